//! The `string.pack` / `string.unpack` / `string.packsize` engine.

/// Largest size Lua allows for a packed result or a size field (INT_MAX).
const MAX_SIZE: usize = i32::MAX as usize;
/// Widest integer option (`i16`).
const MAX_INT_SIZE: usize = 16;
/// Alignment `!` selects without a number (that of double and i64).
const NATIVE_ALIGN: usize = 8;

/// An error from the pack engine, in the two shapes Lua raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// A plain error message (bytes: an invalid option is quoted raw).
    Plain(Vec<u8>),
    /// `bad argument #n to '<fn>' (msg)`; `n` is the Lua argument index.
    Arg(usize, String),
}

/// What `pack` asks the caller to convert the next argument to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// An integer (Lua's `checkinteger`).
    Int,
    /// A float (Lua's `checknumber`).
    Float,
    /// A string (Lua's `checklstring`).
    Str,
}

/// A value packed from or unpacked to Lua.
#[derive(Debug, Clone, PartialEq)]
pub enum PackValue {
    /// Integer value.
    Int(i64),
    /// Float value.
    Float(f64),
    /// String value.
    Str(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int { signed: bool },
    Float,
    Double,
    Char,
    Str,
    Zstr,
    Padding,
    PadAlign,
    Nop,
}

struct Parser<'a> {
    fmt: &'a [u8],
    i: usize,
    little: bool,
    max_align: usize,
}

fn plain<T>(msg: String) -> Result<T, PackError> {
    Err(PackError::Plain(msg.into_bytes()))
}

fn arg_err<T>(n: usize, msg: &str) -> Result<T, PackError> {
    Err(PackError::Arg(n, msg.to_string()))
}

impl Parser<'_> {
    fn new(fmt: &[u8]) -> Parser<'_> {
        Parser {
            fmt,
            i: 0,
            little: cfg!(target_endian = "little"),
            max_align: 1,
        }
    }

    fn done(&self) -> bool {
        self.i >= self.fmt.len()
    }

    /// An optional decimal count; stops early like Lua so it never overflows.
    fn number(&mut self) -> Option<usize> {
        let mut n = 0usize;
        let mut any = false;
        while let Some(&d) = self.fmt.get(self.i).filter(|d| d.is_ascii_digit()) {
            if any && n > (MAX_SIZE - 9) / 10 {
                break;
            }
            n = n * 10 + usize::from(d - b'0');
            any = true;
            self.i += 1;
        }
        any.then_some(n)
    }

    fn int_size(&mut self, default: usize) -> Result<usize, PackError> {
        let n = self.number().unwrap_or(default);
        if n == 0 || n > MAX_INT_SIZE {
            return plain(format!(
                "integral size ({n}) out of limits [1,{MAX_INT_SIZE}]"
            ));
        }
        Ok(n)
    }

    /// Reads one option: its kind and size.
    fn option(&mut self) -> Result<(Kind, usize), PackError> {
        let c = self.fmt[self.i];
        self.i += 1;
        let signed = c.is_ascii_lowercase();
        Ok(match c {
            b'b' | b'B' => (Kind::Int { signed }, 1),
            b'h' | b'H' => (Kind::Int { signed }, 2),
            b'l' | b'L' | b'j' | b'J' => (Kind::Int { signed }, 8),
            b'T' => (Kind::Int { signed: false }, 8),
            b'i' | b'I' => (Kind::Int { signed }, self.int_size(4)?),
            b'f' => (Kind::Float, 4),
            b'd' | b'n' => (Kind::Double, 8),
            b's' => (Kind::Str, self.int_size(8)?),
            b'c' => match self.number() {
                Some(n) => (Kind::Char, n),
                None => return plain("missing size for format option 'c'".into()),
            },
            b'z' => (Kind::Zstr, 0),
            b'x' => (Kind::Padding, 1),
            b'X' => (Kind::PadAlign, 0),
            b' ' => (Kind::Nop, 0),
            b'<' | b'>' | b'=' => {
                self.little = match c {
                    b'<' => true,
                    b'>' => false,
                    _ => cfg!(target_endian = "little"),
                };
                (Kind::Nop, 0)
            }
            b'!' => {
                self.max_align = self.int_size(NATIVE_ALIGN)?;
                (Kind::Nop, 0)
            }
            _ => {
                let mut msg = b"invalid format option '".to_vec();
                msg.extend_from_slice(&[c, b'\'']);
                return Err(PackError::Plain(msg));
            }
        })
    }

    /// Reads one option and computes the padding needed before it when the
    /// output is `total` bytes long: returns (kind, size, padding).
    fn details(&mut self, total: usize) -> Result<(Kind, usize, usize), PackError> {
        let (kind, size) = self.option()?;
        let mut align = size;
        if kind == Kind::PadAlign {
            let bad = || arg_err(1, "invalid next option for option 'X'");
            if self.done() {
                return bad();
            }
            let (next, next_size) = self.option()?;
            if next == Kind::Char || next_size == 0 {
                return bad();
            }
            align = next_size;
        }
        if align <= 1 || kind == Kind::Char {
            return Ok((kind, size, 0));
        }
        let align = align.min(self.max_align);
        if !align.is_power_of_two() {
            return arg_err(1, "format asks for alignment not power of 2");
        }
        Ok((kind, size, (align - (total & (align - 1))) & (align - 1)))
    }
}

/// Writes the low `size` bytes of `v` (sign-extending past 8 bytes).
fn pack_int(v: u64, little: bool, size: usize, negative: bool, out: &mut Vec<u8>) {
    let start = out.len();
    for i in 0..size {
        out.push(match i {
            0..8 => (v >> (8 * i)) as u8,
            _ if negative => 0xff,
            _ => 0,
        });
    }
    if !little {
        out[start..].reverse();
    }
}

fn int_arg(v: PackValue, n: usize) -> Result<i64, PackError> {
    match v {
        PackValue::Int(i) => Ok(i),
        PackValue::Float(f) => crate::vm::arith::float_to_int_exact(f)
            .ok_or_else(|| PackError::Arg(n, "number has no integer representation".into())),
        PackValue::Str(_) => arg_err(n, "number expected, got string"),
    }
}

/// Packs values fetched through `next_arg(kind, lua_arg_index)` according to
/// `fmt`; results longer than `max_len` fail with "format result too large".
pub fn pack(
    fmt: &[u8],
    max_len: usize,
    next_arg: &mut dyn FnMut(ArgKind, usize) -> Result<PackValue, PackError>,
) -> Result<Vec<u8>, PackError> {
    let mut p = Parser::new(fmt);
    let mut out = Vec::new();
    let mut argn = 1;
    while !p.done() {
        let (kind, size, pad) = p.details(out.len())?;
        let grown = out.len().saturating_add(pad).saturating_add(size);
        if grown > max_len.min(MAX_SIZE) {
            return arg_err(1, "format result too large");
        }
        out.resize(out.len() + pad, 0);
        let mut fetch = |k| {
            argn += 1;
            next_arg(k, argn).map(|v| (v, argn))
        };
        match kind {
            Kind::Int { signed } => {
                let (v, n) = fetch(ArgKind::Int)?;
                let i = int_arg(v, n)?;
                if size < 8 {
                    let bits = size * 8;
                    let fits = if signed {
                        let lim = 1i64 << (bits - 1);
                        (-lim..lim).contains(&i)
                    } else {
                        (i as u64) < 1u64 << bits
                    };
                    if !fits {
                        let msg = if signed {
                            "integer overflow"
                        } else {
                            "unsigned overflow"
                        };
                        return arg_err(n, msg);
                    }
                }
                pack_int(i as u64, p.little, size, signed && i < 0, &mut out);
            }
            Kind::Float | Kind::Double => {
                let f = match fetch(ArgKind::Float)? {
                    (PackValue::Float(f), _) => f,
                    (PackValue::Int(i), _) => i as f64,
                    (PackValue::Str(_), n) => return arg_err(n, "number expected, got string"),
                };
                let bytes = if kind == Kind::Float {
                    let b = (f as f32).to_bits();
                    u64::from(b)
                } else {
                    f.to_bits()
                };
                pack_int(bytes, p.little, size, false, &mut out);
            }
            Kind::Char | Kind::Str | Kind::Zstr => {
                let (s, n) = match fetch(ArgKind::Str)? {
                    (PackValue::Str(s), n) => (s, n),
                    (_, n) => return arg_err(n, "string expected"),
                };
                if out.len().saturating_add(s.len()) > max_len.min(MAX_SIZE) {
                    return arg_err(1, "format result too large");
                }
                match kind {
                    Kind::Char => {
                        if s.len() > size {
                            return arg_err(n, "string longer than given size");
                        }
                        out.extend_from_slice(&s);
                        out.resize(out.len() + size - s.len(), 0);
                    }
                    Kind::Str => {
                        if size < 8 && s.len() as u64 >= 1u64 << (size * 8) {
                            return arg_err(n, "string length does not fit in given size");
                        }
                        pack_int(s.len() as u64, p.little, size, false, &mut out);
                        out.extend_from_slice(&s);
                    }
                    _ => {
                        if s.contains(&0) {
                            return arg_err(n, "string contains zeros");
                        }
                        out.extend_from_slice(&s);
                        out.push(0);
                    }
                }
            }
            Kind::Padding => out.push(0),
            Kind::PadAlign | Kind::Nop => {}
        }
    }
    Ok(out)
}

/// Reads an integer of `size` bytes; wider than 8 bytes it must fit in i64.
fn unpack_int(b: &[u8], little: bool, signed: bool) -> Result<i64, PackError> {
    let size = b.len();
    let byte = |i: usize| if little { b[i] } else { b[size - 1 - i] };
    let mut v: u64 = 0;
    for i in (0..size.min(8)).rev() {
        v = (v << 8) | u64::from(byte(i));
    }
    if size < 8 {
        if signed {
            let shift = 64 - 8 * size;
            return Ok(((v << shift) as i64) >> shift);
        }
    } else {
        let ext = if signed && (v as i64) < 0 { 0xff } else { 0 };
        if (8..size).any(|i| byte(i) != ext) {
            return plain(format!("{size}-byte integer does not fit into Lua Integer"));
        }
    }
    Ok(v as i64)
}

/// Unpacks `data` from byte offset `pos`; returns the values and the offset
/// after the last byte read (Lua returns it plus one).
pub fn unpack(fmt: &[u8], data: &[u8], pos: usize) -> Result<(Vec<PackValue>, usize), PackError> {
    if pos > data.len() {
        return arg_err(3, "initial position out of string");
    }
    let mut p = Parser::new(fmt);
    let mut pos = pos;
    let mut vals = Vec::new();
    let short = || arg_err(2, "data string too short");
    while !p.done() {
        let (kind, size, pad) = p.details(pos)?;
        if pad.saturating_add(size) > data.len() - pos {
            return short();
        }
        pos += pad;
        let field = &data[pos..pos + size];
        match kind {
            Kind::Int { signed } => vals.push(PackValue::Int(unpack_int(field, p.little, signed)?)),
            Kind::Float => {
                let bits = unpack_int(field, p.little, false)? as u32;
                vals.push(PackValue::Float(f64::from(f32::from_bits(bits))));
            }
            Kind::Double => {
                let bits = unpack_int(field, p.little, false)? as u64;
                vals.push(PackValue::Float(f64::from_bits(bits)));
            }
            Kind::Char => vals.push(PackValue::Str(field.to_vec())),
            Kind::Str => {
                let len = unpack_int(field, p.little, false)? as u64;
                let avail = data.len() - pos - size;
                if len > avail as u64 {
                    return short();
                }
                let start = pos + size;
                vals.push(PackValue::Str(data[start..start + len as usize].to_vec()));
                pos += len as usize;
            }
            Kind::Zstr => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    return arg_err(2, "unfinished string for format 'z'");
                };
                vals.push(PackValue::Str(data[pos..pos + len].to_vec()));
                pos += len + 1;
            }
            Kind::Padding | Kind::PadAlign | Kind::Nop => {}
        }
        pos += size;
    }
    Ok((vals, pos))
}

/// Size of the result of `string.pack(fmt, ...)` for fixed-size formats.
pub fn packsize(fmt: &[u8]) -> Result<usize, PackError> {
    let mut p = Parser::new(fmt);
    let mut total = 0usize;
    while !p.done() {
        let (kind, size, pad) = p.details(total)?;
        if matches!(kind, Kind::Str | Kind::Zstr) {
            return arg_err(1, "variable-length format");
        }
        let size = size + pad;
        if total > MAX_SIZE - size.min(MAX_SIZE) || size > MAX_SIZE {
            return arg_err(1, "format result too large");
        }
        total += size;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
