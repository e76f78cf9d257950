//! The io library (reference manual §6.8). Without `Libs::io` only
//! `io.write` exists, writing where `print` writes.

mod file;

use std::io::SeekFrom;

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFn, NativeFunction, NativeKind};
use crate::lua::Libs;
use crate::state::{Global, GlobalRef};
use crate::stdlib::{new_lib, set_fn, set_value};
use crate::table::Table;
use crate::text::c_str;
use crate::userdata::UserData;
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;

pub use file::flush_all;
pub use file::LuaFile;
use file::{CloseResult, FileState, Stream};

const IO_INPUT: &[u8] = b"_IO_input";
const IO_OUTPUT: &[u8] = b"_IO_output";
const FILE_META: &[u8] = b"FILE*";
/// Formats `lines` accepts (as lua.c's MAXARGLINE).
const MAX_ARG_LINE: usize = 250;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, libs: Libs) {
    let methods = Table::new(mc);
    let meta = Table::new(mc);
    set_value(
        mc,
        g,
        meta,
        "__name",
        Value::String(Global::intern(g, mc, b"FILE*")),
    );
    set_value(mc, g, meta, "__index", Value::Table(methods));
    set_fn(mc, g, meta, "__gc", f_gc);
    set_fn(mc, g, meta, "__close", f_gc);
    set_fn(mc, g, meta, "__tostring", f_tostring);
    let key = Value::String(Global::intern(g, mc, FILE_META));
    let _ = g.registry.set(mc, key, Value::Table(meta));

    if !libs.io {
        // Sandbox: a standard output handle that can only be written.
        for (name, f) in [
            ("write", f_write as NativeFn),
            ("flush", f_flush),
            ("setvbuf", f_setvbuf),
            ("close", f_close),
        ] {
            set_fn(mc, g, methods, name, f);
        }
        let io = new_lib(mc, g, "io", &[("write", io_write)]);
        let out = new_file(mc, g, Stream::Stdout, true);
        let _ = g
            .registry
            .set(mc, Value::String(Global::intern(g, mc, IO_OUTPUT)), out);
        let _ = io;
        return;
    }
    for (name, f) in [
        ("close", f_close as NativeFn),
        ("flush", f_flush),
        ("lines", f_lines),
        ("read", f_read),
        ("seek", f_seek),
        ("setvbuf", f_setvbuf),
        ("write", f_write),
    ] {
        set_fn(mc, g, methods, name, f);
    }
    let io = new_lib(
        mc,
        g,
        "io",
        &[
            ("close", io_close),
            ("flush", io_flush),
            ("input", io_input),
            ("lines", io_lines),
            ("open", io_open),
            ("output", io_output),
            ("popen", io_popen),
            ("read", io_read),
            ("tmpfile", io_tmpfile),
            ("type", io_type),
            ("write", io_write),
        ],
    );
    let stdin = new_file(mc, g, Stream::Stdin, true);
    let stdout = new_file(mc, g, Stream::Stdout, true);
    let stderr = new_file(mc, g, Stream::Stderr, true);
    set_value(mc, g, io, "stdin", stdin);
    set_value(mc, g, io, "stdout", stdout);
    set_value(mc, g, io, "stderr", stderr);
    let _ = g
        .registry
        .set(mc, Value::String(Global::intern(g, mc, IO_INPUT)), stdin);
    let _ = g
        .registry
        .set(mc, Value::String(Global::intern(g, mc, IO_OUTPUT)), stdout);
}

fn file_meta<'gc>(g: GlobalRef<'gc>, mc: &Mutation<'gc>) -> Option<Table<'gc>> {
    match g
        .registry
        .get(Value::String(Global::intern(g, mc, FILE_META)))
    {
        Value::Table(t) => Some(t),
        _ => None,
    }
}

fn new_file<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, s: Stream, standard: bool) -> Value<'gc> {
    let meta = file_meta(g, mc);
    // No `__gc` registration: dropping the payload flushes and closes.
    let ud = UserData::new(mc, Box::new(LuaFile::new(s, standard)), meta);
    Value::UserData(ud)
}

/// C's `strerror` text and `errno` of an I/O error.
pub fn os_error(e: &std::io::Error) -> (String, i64) {
    match e.raw_os_error() {
        Some(code) => {
            let full = std::io::Error::from_raw_os_error(code).to_string();
            let suffix = format!(" (os error {code})");
            let text = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
            (text, code as i64)
        }
        None => (e.to_string(), 0),
    }
}

/// `luaL_fileresult` for a failure: nil, message, errno.
fn push_fail<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    e: &std::io::Error,
    fname: Option<&[u8]>,
) -> RtResult<'gc, usize> {
    let (text, code) = os_error(e);
    let mut msg = Vec::new();
    if let Some(n) = fname {
        msg.extend_from_slice(n);
        msg.extend_from_slice(b": ");
    }
    msg.extend_from_slice(text.as_bytes());
    ctx.push(Value::Nil);
    let m = ctx.str_value(&msg);
    ctx.push(m);
    ctx.push(Value::Integer(code));
    Ok(3)
}

/// The file handle in argument `i` (open or closed).
fn file_arg<'gc>(ctx: &Ctx<'gc, '_>, i: usize) -> RtResult<'gc, &'gc LuaFile> {
    if let Value::UserData(ud) = ctx.arg(i) {
        if let Some(f) = ud.downcast::<LuaFile>() {
            return Ok(f);
        }
    }
    Err(ctx.expect_type(i, "FILE*"))
}

/// An open file handle in argument `i`.
fn open_file_arg<'gc>(ctx: &Ctx<'gc, '_>, i: usize) -> RtResult<'gc, &'gc LuaFile> {
    let f = file_arg(ctx, i)?;
    if f.state.borrow().is_closed() {
        return Err(RtError::msg("attempt to use a closed file"));
    }
    Ok(f)
}

fn reg_get<'gc>(ctx: &Ctx<'gc, '_>, key: &[u8]) -> Value<'gc> {
    ctx.g.registry.get(ctx.str_value(key))
}

fn reg_set<'gc>(ctx: &Ctx<'gc, '_>, key: &[u8], v: Value<'gc>) {
    let _ = ctx.g.registry.set(ctx.mc, ctx.str_value(key), v);
}

/// The default input or output file, which must be open.
fn io_file<'gc>(ctx: &Ctx<'gc, '_>, key: &[u8]) -> RtResult<'gc, (Value<'gc>, &'gc LuaFile)> {
    let v = reg_get(ctx, key);
    if let Value::UserData(ud) = v {
        if let Some(f) = ud.downcast::<LuaFile>() {
            if !f.state.borrow().is_closed() {
                return Ok((v, f));
            }
        }
    }
    let which = if key == IO_INPUT { "input" } else { "output" };
    Err(RtError::msg(format!("default {which} file is closed")))
}

// ---- reading ----

/// Reads a numeral the way `read("n")` does: at most 200 characters that
/// can form a number, then converts them.
struct NumReader<'f> {
    f: &'f mut FileState,
    buf: Vec<u8>,
    ok: bool,
}

impl NumReader<'_> {
    const MAX_LEN: usize = 200;

    /// Takes the next character if it is in `set`.
    fn accept(&mut self, set: &[u8]) -> bool {
        match self.f.peek() {
            Some(c) if set.contains(&c) => {
                if self.buf.len() >= Self::MAX_LEN {
                    self.ok = false;
                    return false;
                }
                self.buf.push(c);
                self.f.getc();
                true
            }
            _ => false,
        }
    }

    fn digits(&mut self, hex: bool) -> usize {
        let set: &[u8] = if hex {
            b"0123456789abcdefABCDEF"
        } else {
            b"0123456789"
        };
        let mut n = 0;
        while self.accept(set) {
            n += 1;
        }
        n
    }
}

fn read_number<'gc>(f: &mut FileState) -> Value<'gc> {
    while f
        .peek()
        .is_some_and(|c| c.is_ascii_whitespace() || c == 0x0b)
    {
        f.getc();
    }
    let mut r = NumReader {
        f,
        buf: Vec::new(),
        ok: true,
    };
    r.accept(b"-+");
    let mut count = 0;
    let mut hex = false;
    if r.accept(b"0") {
        if r.accept(b"xX") {
            hex = true;
        } else {
            count = 1;
        }
    }
    count += r.digits(hex);
    if r.accept(b".") {
        count += r.digits(hex);
    }
    if count > 0 && r.accept(if hex { b"pP" } else { b"eE" }) {
        r.accept(b"-+");
        r.digits(false);
    }
    if !r.ok {
        return Value::Nil;
    }
    match crate::vm::convert::str_to_number(&r.buf) {
        Some(crate::vm::convert::Number::Int(i)) => Value::Integer(i),
        Some(crate::vm::convert::Number::Float(x)) => Value::Number(x),
        None => Value::Nil,
    }
}

/// `g_read`: reads with the formats `fmts` (argument numbers start at
/// `first`, 1-based) and pushes the results.
fn g_read<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    file: &LuaFile,
    fmts: &[Value<'gc>],
    first: usize,
) -> RtResult<'gc, usize> {
    let mut st = file.state.borrow_mut();
    st.read_error = None;
    let mut results: Vec<Value<'gc>> = Vec::new();
    let mut success = true;
    if fmts.is_empty() {
        let mut line = Vec::new();
        let nl = st.read_line(false, &mut line);
        success = nl || !line.is_empty();
        results.push(ctx.str_value(&line));
    }
    for (k, fmt) in fmts.iter().enumerate() {
        if !success {
            break;
        }
        let argn = first + k;
        let v = match *fmt {
            Value::Integer(_) | Value::Number(_) => {
                let n = match *fmt {
                    Value::Integer(n) => n,
                    Value::Number(x) => {
                        crate::vm::arith::float_to_int_exact(x).ok_or_else(|| {
                            RtError::bad_arg(argn, "number has no integer representation")
                        })?
                    }
                    _ => 0,
                };
                if n == 0 {
                    success = st.peek().is_some();
                    ctx.str_value(b"")
                } else if n as u64 > super::string::MAX_STRING as u64 {
                    // PUC-Rio reserves the whole count up front (a negative
                    // one wraps to a huge size), which fails even at EOF.
                    return Err(RtError::msg("not enough memory"));
                } else {
                    let mut out = Vec::new();
                    st.read_chars(n as usize, &mut out);
                    success = !out.is_empty();
                    Value::String(ctx.intern_vec(out))
                }
            }
            Value::String(s) => {
                let b = s.as_bytes();
                let b = b.strip_prefix(b"*").unwrap_or(b);
                match b.first() {
                    Some(b'n') => {
                        let v = read_number(&mut st);
                        success = !v.is_nil();
                        v
                    }
                    Some(b'l') | Some(b'L') => {
                        let mut line = Vec::new();
                        let nl = st.read_line(b[0] == b'L', &mut line);
                        success = nl || !line.is_empty();
                        ctx.str_value(&line)
                    }
                    Some(b'a') => {
                        let mut out = Vec::new();
                        st.read_all(&mut out);
                        Value::String(ctx.intern_vec(out))
                    }
                    _ => return Err(RtError::bad_arg(argn, "invalid format")),
                }
            }
            other => {
                let got = crate::vm::meta::type_name_meta(ctx.g, other);
                return Err(RtError::bad_arg(
                    argn,
                    format!("string expected, got {got}"),
                ));
            }
        };
        results.push(v);
    }
    if let Some(e) = st.read_error.take() {
        drop(st);
        return push_fail(ctx, &e, None);
    }
    drop(st);
    if !success {
        results.pop();
        results.push(Value::Nil);
    }
    let n = results.len();
    for v in results {
        ctx.push(v);
    }
    Ok(n)
}

fn io_read<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (_, f) = io_file(&ctx, IO_INPUT)?;
    let fmts: Vec<Value<'gc>> = ctx.args().to_vec();
    g_read(&mut ctx, f, &fmts, 1)
}

fn f_read<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = open_file_arg(&ctx, 0)?;
    let fmts: Vec<Value<'gc>> = ctx.args()[1.min(ctx.nargs)..].to_vec();
    g_read(&mut ctx, f, &fmts, 2)
}

// ---- writing ----

fn g_write<'gc>(
    mut ctx: Ctx<'gc, '_>,
    fv: Value<'gc>,
    file: &LuaFile,
    args: &[Value<'gc>],
    first: usize,
) -> RtResult<'gc, usize> {
    let mut data = Vec::new();
    for (k, v) in args.iter().enumerate() {
        match *v {
            Value::String(s) => data.extend_from_slice(s.as_bytes()),
            Value::Integer(i) => crate::vm::convert::fmt_int(i, &mut data),
            Value::Number(x) => fmt_number_g(x, &mut data),
            other => {
                let got = crate::vm::meta::type_name_meta(ctx.g, other);
                return Err(RtError::bad_arg(
                    first + k,
                    format!("string expected, got {got}"),
                ));
            }
        }
    }
    let print_function = ctx.g.print_function.get();
    if !print_function.is_nil() && file.state.borrow().is_stdout() {
        // Kept for the return: the file (see `resumed_write`).
        let text = ctx.str_value(&data);
        ctx.set_args(0);
        ctx.push(fv);
        return ctx.call_then(print_function, &[text], 0);
    }
    let r = {
        let mut sink = ctx.g.host.0.print.borrow_mut();
        file.state.borrow_mut().write(&data, &mut *sink)
    };
    match r {
        Ok(()) => {
            ctx.push(fv);
            Ok(1)
        }
        Err(e) => push_fail(&mut ctx, &e, None),
    }
}

/// `%.14g` as `io.write` formats floats (no ".0" suffix).
fn fmt_number_g(x: f64, out: &mut Vec<u8>) {
    if x.is_nan() {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
    } else if x.is_infinite() {
        out.extend_from_slice(if x < 0.0 { b"-inf" } else { b"inf" });
    } else {
        crate::vm::convert::fmt_g(x, 14, out);
    }
}

fn io_write<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        return resumed_write(ctx);
    }
    let (fv, f) = io_file(&ctx, IO_OUTPUT)?;
    let args: Vec<Value<'gc>> = ctx.args().to_vec();
    g_write(ctx, fv, f, &args, 1)
}

fn f_write<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        return resumed_write(ctx);
    }
    let f = open_file_arg(&ctx, 0)?;
    let fv = ctx.arg(0);
    let args: Vec<Value<'gc>> = ctx.args()[1.min(ctx.nargs)..].to_vec();
    g_write(ctx, fv, f, &args, 2)
}

/// A write to the standard output returns from the print function (see
/// `Global::set_print_function`): the result is the file, kept first.
fn resumed_write<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fv = ctx.arg(0);
    ctx.ret(fv)
}

// ---- other methods ----

fn aux_close<'gc>(mut ctx: Ctx<'gc, '_>, f: &LuaFile) -> RtResult<'gc, usize> {
    let r = f.state.borrow_mut().close();
    match r {
        CloseResult::Ok => ctx.ret(Value::Boolean(true)),
        CloseResult::Err(e) => push_fail(&mut ctx, &e, None),
        CloseResult::Standard => {
            ctx.push(Value::Nil);
            let m = ctx.str_value(b"cannot close standard file");
            ctx.push(m);
            Ok(2)
        }
        CloseResult::Exit(code, signal) => {
            let (what, n) = match (code, signal) {
                (Some(c), _) => ("exit", c),
                (None, Some(s)) => ("signal", s),
                _ => ("exit", -1),
            };
            if what == "exit" && n == 0 {
                ctx.push(Value::Boolean(true));
            } else {
                ctx.push(Value::Nil);
            }
            let w = ctx.str_value(what.as_bytes());
            ctx.push(w);
            ctx.push(Value::Integer(n as i64));
            Ok(3)
        }
    }
}

fn f_close<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = open_file_arg(&ctx, 0)?;
    aux_close(ctx, f)
}

fn io_close<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.nargs == 0 {
        let v = reg_get(&ctx, IO_OUTPUT);
        let f = match v {
            Value::UserData(ud) => ud.downcast::<LuaFile>(),
            _ => None,
        };
        let Some(f) = f else {
            return Err(RtError::msg("default output file is closed"));
        };
        if f.state.borrow().is_closed() {
            return Err(RtError::msg("attempt to use a closed file"));
        }
        return aux_close(ctx, f);
    }
    let f = open_file_arg(&ctx, 0)?;
    aux_close(ctx, f)
}

fn f_gc<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = file_arg(&ctx, 0)?;
    let mut st = f.state.borrow_mut();
    if !st.is_closed() && !st.standard {
        let _ = st.close();
    }
    Ok(0)
}

fn f_tostring<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = file_arg(&ctx, 0)?;
    let s = if f.state.borrow().is_closed() {
        "file (closed)".to_string()
    } else {
        format!("file ({:p})", std::rc::Rc::as_ptr(&f.state))
    };
    let v = ctx.str_value(s.as_bytes());
    ctx.ret(v)
}

fn f_flush<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = open_file_arg(&ctx, 0)?;
    let r = f.state.borrow_mut().flush();
    match r {
        Ok(()) => ctx.ret(Value::Boolean(true)),
        Err(e) => push_fail(&mut ctx, &e, None),
    }
}

fn io_flush<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (_, f) = io_file(&ctx, IO_OUTPUT)?;
    let r = f.state.borrow_mut().flush();
    match r {
        Ok(()) => ctx.ret(Value::Boolean(true)),
        Err(e) => push_fail(&mut ctx, &e, None),
    }
}

/// `luaL_checkoption`.
fn check_option<'gc>(
    ctx: &Ctx<'gc, '_>,
    i: usize,
    default: Option<&str>,
    options: &[&str],
) -> RtResult<'gc, usize> {
    let s = match (ctx.opt_string(i)?, default) {
        (Some(s), _) => s.as_bytes().to_vec(),
        (None, Some(d)) => d.as_bytes().to_vec(),
        (None, None) => ctx.check_string(i)?.as_bytes().to_vec(),
    };
    // Compared as the C string PUC-Rio sees: up to a zero byte.
    let s = c_str(&s);
    options
        .iter()
        .position(|o| o.as_bytes() == s)
        .ok_or_else(|| {
            RtError::bad_arg(
                i + 1,
                format!("invalid option '{}'", String::from_utf8_lossy(s)),
            )
        })
}

fn f_seek<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = open_file_arg(&ctx, 0)?;
    let op = check_option(&ctx, 1, Some("cur"), &["set", "cur", "end"])?;
    let off = ctx.opt_integer(2, 0)?;
    let whence = match op {
        0 => {
            if off < 0 {
                let e = std::io::Error::from_raw_os_error(22);
                return push_fail(&mut ctx, &e, None);
            }
            SeekFrom::Start(off as u64)
        }
        1 => SeekFrom::Current(off),
        _ => SeekFrom::End(off),
    };
    let r = f.state.borrow_mut().seek(whence);
    match r {
        Ok(pos) => ctx.ret(Value::Integer(pos as i64)),
        Err(e) => push_fail(&mut ctx, &e, None),
    }
}

fn f_setvbuf<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = open_file_arg(&ctx, 0)?;
    let op = check_option(&ctx, 1, None, &["no", "full", "line"])?;
    ctx.opt_integer(2, 1024)?;
    let mut st = f.state.borrow_mut();
    let _ = st.flush_buffer();
    st.mode = match op {
        0 => file::BufMode::No,
        1 => file::BufMode::Full,
        _ => file::BufMode::Line,
    };
    drop(st);
    ctx.ret(Value::Boolean(true))
}

// ---- lines ----

/// The iterator `lines` returns. Upvalues: file, number of formats,
/// whether to close the file at the end, then the formats.
fn io_readline<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fv = ctx.upvalue(0);
    let Some(f) = (match fv {
        Value::UserData(ud) => ud.downcast::<LuaFile>(),
        _ => None,
    }) else {
        return Err(RtError::msg("file is already closed"));
    };
    if f.state.borrow().is_closed() {
        return Err(RtError::msg("file is already closed"));
    }
    let n = match ctx.upvalue(1) {
        Value::Integer(n) => n as usize,
        _ => 0,
    };
    let fmts: Vec<Value<'gc>> = (0..n).map(|i| ctx.upvalue(3 + i)).collect();
    let before = ctx.ts.top;
    let count = g_read(&mut ctx, f, &fmts, 2)?;
    let first = ctx.ts.stack[ctx.ts.top - count];
    if first.is_truthy() {
        return Ok(count);
    }
    if count > 1 {
        let msg = ctx.ts.stack[ctx.ts.top - count + 1];
        let text = match msg {
            Value::String(s) => s.to_str_lossy().into_owned(),
            _ => String::new(),
        };
        return Err(RtError::msg(text));
    }
    ctx.ts.top = before;
    if ctx.upvalue(2).is_truthy() {
        let _ = f.state.borrow_mut().close();
    }
    Ok(0)
}

fn aux_lines<'gc>(ctx: &Ctx<'gc, '_>, fv: Value<'gc>, to_close: bool) -> RtResult<'gc, Value<'gc>> {
    let fmts = &ctx.args()[1.min(ctx.nargs)..];
    if fmts.len() > MAX_ARG_LINE {
        return Err(RtError::bad_arg(MAX_ARG_LINE + 2, "too many arguments"));
    }
    let mut ups = vec![
        fv,
        Value::Integer(fmts.len() as i64),
        Value::Boolean(to_close),
    ];
    ups.extend_from_slice(fmts);
    let nf =
        NativeFunction::with_upvalues(ctx.mc, "for iterator", NativeKind::Plain(io_readline), &ups);
    Ok(Value::Function(Function::Native(nf)))
}

fn f_lines<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    open_file_arg(&ctx, 0)?;
    let it = aux_lines(&ctx, ctx.arg(0), false)?;
    ctx.ret(it)
}

fn io_lines<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.arg(0).is_nil() {
        let fv = reg_get(&ctx, IO_INPUT);
        let ok = matches!(fv, Value::UserData(ud) if ud.downcast::<LuaFile>().is_some_and(|f| !f.state.borrow().is_closed()));
        if !ok {
            return Err(RtError::msg("attempt to use a closed file"));
        }
        let it = aux_lines(&ctx, fv, false)?;
        return ctx.ret(it);
    }
    let name = ctx.check_string(0)?;
    let fv = open_check_file(&ctx, c_str(name.as_bytes()), "r")?;
    let it = aux_lines(&ctx, fv, true)?;
    ctx.push(it);
    ctx.push(Value::Nil);
    ctx.push(Value::Nil);
    ctx.push(fv);
    Ok(4)
}

// ---- opening ----

/// Checks an `io.open` mode: `[rwa]%+?b*`.
fn valid_mode(m: &[u8]) -> bool {
    let Some((&first, rest)) = m.split_first() else {
        return false;
    };
    if !b"rwa".contains(&first) {
        return false;
    }
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    rest.iter().all(|&c| c == b'b')
}

fn open_stream(name: &[u8], mode: &[u8]) -> std::io::Result<std::fs::File> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(name));
    let plus = mode.contains(&b'+');
    let mut o = std::fs::OpenOptions::new();
    match mode[0] {
        b'r' => o.read(true).write(plus),
        b'w' => o.write(true).create(true).truncate(true).read(plus),
        _ => o.append(true).create(true).read(plus),
    };
    o.open(path)
}

/// A handle on an opened file, writable as its mode says.
fn file_value<'gc>(ctx: &Ctx<'gc, '_>, f: std::fs::File, mode: &[u8]) -> Value<'gc> {
    let v = new_file(ctx.mc, ctx.g, Stream::File(f), false);
    if mode.first() == Some(&b'r') && !mode.contains(&b'+') {
        if let Value::UserData(ud) = v {
            if let Some(lf) = ud.downcast::<LuaFile>() {
                lf.state.borrow_mut().writable = false;
            }
        }
    }
    v
}

fn open_check_file<'gc>(ctx: &Ctx<'gc, '_>, name: &[u8], mode: &str) -> RtResult<'gc, Value<'gc>> {
    match open_stream(name, mode.as_bytes()) {
        Ok(f) => Ok(file_value(ctx, f, mode.as_bytes())),
        Err(e) => Err(RtError::msg(format!(
            "cannot open file '{}' ({})",
            String::from_utf8_lossy(name),
            os_error(&e).0
        ))),
    }
}

fn io_open<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let name = ctx.check_string(0)?;
    let name = c_str(name.as_bytes());
    let mode = ctx
        .opt_string(1)?
        .map(|s| c_str(s.as_bytes()).to_vec())
        .unwrap_or_else(|| b"r".to_vec());
    if !valid_mode(&mode) {
        return Err(RtError::bad_arg(2, "invalid mode"));
    }
    match open_stream(name, &mode) {
        Ok(f) => {
            let v = file_value(&ctx, f, &mode);
            ctx.ret(v)
        }
        Err(e) => push_fail(&mut ctx, &e, Some(name)),
    }
}

fn io_popen<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::process::Stdio;
    let prog = ctx.check_string(0)?;
    let mode = ctx
        .opt_string(1)?
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b"r".to_vec());
    if mode != b"r" && mode != b"w" {
        return Err(RtError::bad_arg(2, "invalid mode"));
    }
    let mut cmd = crate::stdlib::os::shell_command(prog.as_bytes());
    let reading = mode == b"r";
    if reading {
        cmd.stdout(Stdio::piped());
    } else {
        cmd.stdin(Stdio::piped());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    match cmd.spawn() {
        Ok(child) => {
            let s = if reading {
                Stream::PipeRead(child)
            } else {
                Stream::PipeWrite(child)
            };
            let v = new_file(ctx.mc, ctx.g, s, false);
            ctx.ret(v)
        }
        Err(e) => push_fail(&mut ctx, &e, Some(prog.as_bytes())),
    }
}

fn io_tmpfile<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let mut last_err = None;
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = dir.join(format!("lua_{}_{n}_{t:x}", std::process::id()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                let v = new_file(ctx.mc, ctx.g, Stream::File(f), false);
                return ctx.ret(v);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                last_err = Some(e);
                break;
            }
        }
    }
    let e = last_err.unwrap_or_else(|| std::io::Error::from_raw_os_error(17));
    push_fail(&mut ctx, &e, None)
}

fn io_type<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let r = match v {
        Value::UserData(ud) => match ud.downcast::<LuaFile>() {
            Some(f) if f.state.borrow().is_closed() => ctx.str_value(b"closed file"),
            Some(_) => ctx.str_value(b"file"),
            None => Value::Nil,
        },
        _ => Value::Nil,
    };
    ctx.ret(r)
}

/// `io.input` / `io.output`.
fn g_iofile<'gc>(ctx: Ctx<'gc, '_>, key: &[u8], mode: &str) -> RtResult<'gc, usize> {
    let a = ctx.arg(0);
    if !a.is_nil() {
        let v = match a {
            Value::String(_) | Value::Integer(_) | Value::Number(_) => {
                let name = ctx.check_string(0)?;
                open_check_file(&ctx, c_str(name.as_bytes()), mode)?
            }
            _ => {
                open_file_arg(&ctx, 0)?;
                a
            }
        };
        reg_set(&ctx, key, v);
    }
    let cur = reg_get(&ctx, key);
    ctx.ret(cur)
}

fn io_input<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    g_iofile(ctx, IO_INPUT, "r")
}

fn io_output<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    g_iofile(ctx, IO_OUTPUT, "w")
}
