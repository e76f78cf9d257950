//! File handles: a stream (file, standard stream, pipe or the host's print
//! sink) with C-stdio-like read and write buffering.

use std::cell::RefCell;
use std::io::{Read, Seek, SeekFrom, Write};
use std::process::Child;
use std::rc::{Rc, Weak};

/// Bytes read or written to the OS at a time.
const BUFSIZE: usize = 8192;

/// Where the bytes of a handle go or come from.
pub enum Stream {
    File(std::fs::File),
    Stdin,
    /// Standard output: the host's print sink.
    Stdout,
    Stderr,
    /// `io.popen(cmd, "r")`: the child's standard output is read.
    PipeRead(Child),
    /// `io.popen(cmd, "w")`: the child's standard input is written.
    PipeWrite(Child),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufMode {
    No,
    Full,
    Line,
}

/// How closing a handle went.
pub enum CloseResult {
    Ok,
    Err(std::io::Error),
    /// A standard file, which cannot be closed.
    Standard,
    /// A process: its exit status (code, or the signal that stopped it).
    Exit(Option<i32>, Option<i32>),
}

pub struct FileState {
    pub stream: Option<Stream>,
    /// A standard stream: `close` refuses.
    pub standard: bool,
    rbuf: Vec<u8>,
    rpos: usize,
    wbuf: Vec<u8>,
    pub mode: BufMode,
    /// A read failed (like C's `ferror`); cleared at each read call.
    pub read_error: Option<std::io::Error>,
    /// Opened for writing: C's stdio refuses writes to a read-only stream
    /// at once (instead of when the buffer is flushed).
    pub writable: bool,
}

/// Writes to the host's print sink.
pub type Sink<'a> = &'a mut dyn FnMut(&[u8]);

thread_local! {
    /// Open handles, so that buffered output can be flushed at exit.
    static OPEN: RefCell<Vec<Weak<RefCell<FileState>>>> = const { RefCell::new(Vec::new()) };
}

/// Flushes the output buffers of every open file (C's `exit` does this).
pub fn flush_all() {
    OPEN.with(|o| {
        for w in o.borrow().iter() {
            if let Some(f) = w.upgrade() {
                if let Ok(mut f) = f.try_borrow_mut() {
                    let _ = f.flush_buffer();
                }
            }
        }
    });
}

/// The payload of a `FILE*` userdata.
pub struct LuaFile {
    pub state: Rc<RefCell<FileState>>,
}

impl LuaFile {
    pub fn new(stream: Stream, standard: bool) -> LuaFile {
        let mode = match stream {
            Stream::Stderr => BufMode::No,
            Stream::Stdout | Stream::Stdin => BufMode::Line,
            _ => BufMode::Full,
        };
        let writable = !matches!(stream, Stream::Stdin | Stream::PipeRead(_));
        let state = Rc::new(RefCell::new(FileState {
            stream: Some(stream),
            standard,
            rbuf: Vec::new(),
            rpos: 0,
            wbuf: Vec::new(),
            writable,
            mode,
            read_error: None,
        }));
        OPEN.with(|o| {
            let mut o = o.borrow_mut();
            o.retain(|w| w.strong_count() > 0);
            o.push(Rc::downgrade(&state));
        });
        LuaFile { state }
    }
}

impl Drop for FileState {
    fn drop(&mut self) {
        let _ = self.flush_buffer();
        if let Some(Stream::PipeRead(c) | Stream::PipeWrite(c)) = &mut self.stream {
            drop(c.stdin.take());
            let _ = c.wait();
        }
    }
}

fn ebadf() -> std::io::Error {
    std::io::Error::from_raw_os_error(9)
}

fn espipe() -> std::io::Error {
    std::io::Error::from_raw_os_error(29)
}

/// Seeks a standard stream's descriptor (it works when the stream is a
/// file); `unread` bytes were read ahead from it.
fn std_seek(fd: i32, whence: SeekFrom, unread: i64) -> std::io::Result<u64> {
    use std::os::unix::io::FromRawFd;
    // SAFETY: the descriptor is one of the process's standard streams, and
    // `ManuallyDrop` never closes it.
    let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    match whence {
        SeekFrom::Current(off) => f.seek(SeekFrom::Current(off.wrapping_sub(unread))),
        other => f.seek(other),
    }
}

impl FileState {
    pub fn is_closed(&self) -> bool {
        self.stream.is_none()
    }

    fn os_read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.stream.as_mut() {
            Some(Stream::File(f)) => f.read(buf),
            Some(Stream::Stdin) => std::io::stdin().lock().read(buf),
            Some(Stream::PipeRead(c)) => match c.stdout.as_mut() {
                Some(out) => out.read(buf),
                None => Err(ebadf()),
            },
            _ => Err(ebadf()),
        }
    }

    fn os_write(&mut self, data: &[u8], sink: Option<Sink<'_>>) -> std::io::Result<()> {
        match self.stream.as_mut() {
            Some(Stream::File(f)) => f.write_all(data),
            Some(Stream::Stdout) => {
                match sink {
                    Some(s) => s(data),
                    None => std::io::stdout().lock().write_all(data)?,
                }
                Ok(())
            }
            Some(Stream::Stderr) => std::io::stderr().lock().write_all(data),
            Some(Stream::PipeWrite(c)) => match c.stdin.as_mut() {
                Some(inp) => inp.write_all(data),
                None => Err(ebadf()),
            },
            _ => Err(ebadf()),
        }
    }

    /// Writes out buffered output.
    pub fn flush_buffer(&mut self) -> std::io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.wbuf);
        self.os_write(&data, None)
    }

    /// `fflush`.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.flush_buffer()?;
        match self.stream.as_mut() {
            Some(Stream::File(f)) => f.flush(),
            Some(Stream::Stdout) => std::io::stdout().flush(),
            Some(Stream::PipeWrite(c)) => match c.stdin.as_mut() {
                Some(i) => i.flush(),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Gives back read-ahead bytes to the OS position before writing or seeking.
    fn drop_read_ahead(&mut self) -> std::io::Result<()> {
        let unread = self.rbuf.len() - self.rpos;
        self.rbuf.clear();
        self.rpos = 0;
        if unread > 0 {
            if let Some(Stream::File(f)) = self.stream.as_mut() {
                f.seek(SeekFrom::Current(-(unread as i64)))?;
            }
        }
        Ok(())
    }

    /// The process's standard output (which writes through the host's print sink).
    pub fn is_stdout(&self) -> bool {
        matches!(self.stream, Some(Stream::Stdout))
    }

    pub fn write(&mut self, data: &[u8], sink: Sink<'_>) -> std::io::Result<()> {
        if self.is_closed() {
            return Err(ebadf());
        }
        if data.is_empty() {
            return Ok(());
        }
        if !self.writable {
            return Err(ebadf());
        }
        if self.rpos < self.rbuf.len() {
            self.drop_read_ahead()?;
        }
        match self.stream {
            Some(Stream::Stdout) => return self.os_write(data, Some(sink)),
            Some(Stream::Stderr) | Some(Stream::Stdin) | Some(Stream::PipeRead(_)) => {
                return self.os_write(data, None)
            }
            _ => {}
        }
        match self.mode {
            BufMode::No => {
                self.flush_buffer()?;
                self.os_write(data, None)
            }
            BufMode::Line => {
                self.wbuf.extend_from_slice(data);
                if data.contains(&b'\n') {
                    self.flush_buffer()?;
                }
                Ok(())
            }
            BufMode::Full => {
                self.wbuf.extend_from_slice(data);
                if self.wbuf.len() >= BUFSIZE {
                    self.flush_buffer()?;
                }
                Ok(())
            }
        }
    }

    /// Makes sure there is unread data in the buffer; false at end of file.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.rpos < self.rbuf.len() {
            return Ok(true);
        }
        self.flush_buffer()?;
        self.rbuf.resize(BUFSIZE, 0);
        self.rpos = 0;
        let mut buf = std::mem::take(&mut self.rbuf);
        let r = loop {
            match self.os_read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        match r {
            Ok(n) => {
                buf.truncate(n);
                self.rbuf = buf;
                Ok(n > 0)
            }
            Err(e) => {
                buf.clear();
                self.rbuf = buf;
                Err(e)
            }
        }
    }

    /// The next byte without consuming it; `None` at end of file or error.
    pub fn peek(&mut self) -> Option<u8> {
        match self.fill() {
            Ok(true) => Some(self.rbuf[self.rpos]),
            Ok(false) => None,
            Err(e) => {
                self.read_error = Some(e);
                None
            }
        }
    }

    pub fn getc(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.rpos += 1;
        Some(c)
    }

    /// Reads a line; returns the bytes and whether a newline ended it.
    pub fn read_line(&mut self, keep_nl: bool, out: &mut Vec<u8>) -> bool {
        loop {
            if self.peek().is_none() {
                return false;
            }
            let avail = &self.rbuf[self.rpos..];
            match avail.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    out.extend_from_slice(&avail[..if keep_nl { i + 1 } else { i }]);
                    self.rpos += i + 1;
                    return true;
                }
                None => {
                    out.extend_from_slice(avail);
                    self.rpos = self.rbuf.len();
                }
            }
        }
    }

    /// Reads up to `n` bytes.
    pub fn read_chars(&mut self, mut n: usize, out: &mut Vec<u8>) {
        while n > 0 && self.peek().is_some() {
            let avail = &self.rbuf[self.rpos..];
            let k = avail.len().min(n);
            out.extend_from_slice(&avail[..k]);
            self.rpos += k;
            n -= k;
        }
    }

    pub fn read_all(&mut self, out: &mut Vec<u8>) {
        while self.peek().is_some() {
            out.extend_from_slice(&self.rbuf[self.rpos..]);
            self.rpos = self.rbuf.len();
        }
    }

    pub fn seek(&mut self, whence: SeekFrom) -> std::io::Result<u64> {
        self.flush_buffer()?;
        let unread = (self.rbuf.len() - self.rpos) as i64;
        self.rbuf.clear();
        self.rpos = 0;
        match self.stream.as_mut() {
            Some(Stream::File(f)) => {
                let pos = match whence {
                    SeekFrom::Current(off) => {
                        f.seek(SeekFrom::Current(off.wrapping_sub(unread)))?
                    }
                    other => f.seek(other)?,
                };
                Ok(pos)
            }
            Some(Stream::Stdin) => std_seek(0, whence, unread),
            Some(Stream::Stdout) => {
                // Output goes through the process's buffered stdout.
                std::io::stdout().flush()?;
                std_seek(1, whence, 0)
            }
            Some(Stream::Stderr) => std_seek(2, whence, 0),
            Some(_) => Err(espipe()),
            None => Err(ebadf()),
        }
    }

    pub fn close(&mut self) -> CloseResult {
        if self.standard {
            return CloseResult::Standard;
        }
        let flushed = self.flush_buffer();
        self.rbuf.clear();
        self.rpos = 0;
        match self.stream.take() {
            Some(Stream::PipeRead(mut c)) | Some(Stream::PipeWrite(mut c)) => {
                drop(c.stdin.take());
                drop(c.stdout.take());
                match c.wait() {
                    Ok(st) => {
                        use std::os::unix::process::ExitStatusExt;
                        CloseResult::Exit(st.code(), st.signal())
                    }
                    Err(e) => CloseResult::Err(e),
                }
            }
            Some(_) => match flushed {
                Ok(()) => CloseResult::Ok,
                Err(e) => CloseResult::Err(e),
            },
            None => CloseResult::Err(ebadf()),
        }
    }
}
