//! Binary chunks: what `string.dump` writes and `load` reads back.
//!
//! The format is lunarena's own (the instructions are this compiler's), and
//! a chunk carries a tag keyed with a secret of the running process: only
//! chunks dumped by this process load. The interpreter trusts its bytecode
//! (register and constant indices are not checked at run time), so a chunk
//! made or altered by anyone else is refused rather than run.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use crate::compiler::opcode::{Instr, OpCode, POS_A, POS_B, POS_C, POS_K};
use crate::compiler::proto::{Constant, LocalVar, Proto, UpvalueDesc};
use crate::function::FnProto;

/// `LUA_SIGNATURE`: binary chunks start with it.
pub const SIGNATURE: &[u8] = b"\x1bLua";
const VERSION: u8 = 0x54;
/// Not PUC-Rio's format 0: `lua5.4` refuses these chunks ("format mismatch").
const FORMAT: u8 = b'L';
const MAGIC: &[u8] = b"lunarena\x01";
const HEADER_LEN: usize = SIGNATURE.len() + 2 + MAGIC.len() + 8;

/// The process's key for the tags of dumped chunks.
fn key() -> &'static std::collections::hash_map::RandomState {
    static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    KEY.get_or_init(std::collections::hash_map::RandomState::new)
}

fn tag(payload: &[u8]) -> u64 {
    key().hash_one(payload)
}

/// `string.dump`: the binary chunk of a function prototype; `strip` drops
/// the debug information (source, lines, names of locals and upvalues).
pub fn dump(p: &FnProto<'_>, strip: bool) -> Vec<u8> {
    let mut payload = Vec::new();
    write_proto(&mut payload, p, strip, None);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(SIGNATURE);
    out.push(VERSION);
    out.push(FORMAT);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&tag(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

fn write_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_len(out, b.len());
    out.extend_from_slice(b);
}

fn write_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn raw_instr(i: Instr) -> u32 {
    (i.op() as u32)
        | ((i.a() as u32) << POS_A)
        | ((i.k() as u32) << POS_K)
        | ((i.b() as u32) << POS_B)
        | ((i.c() as u32) << POS_C)
}

/// One prototype; its source is written only where it differs from the
/// enclosing function's (`parent`), as PUC-Rio's dump does.
fn write_proto(out: &mut Vec<u8>, fp: &FnProto<'_>, strip: bool, parent: Option<&[u8]>) {
    let p = &fp.info.0;
    let source: Option<&[u8]> = if strip || parent == Some(&p.source[..]) {
        None
    } else {
        Some(&p.source)
    };
    match source {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            write_bytes(out, s);
        }
    }
    write_u32(out, p.line_defined);
    write_u32(out, p.last_line_defined);
    out.extend_from_slice(&[p.num_params, u8::from(p.is_vararg), p.max_stack]);
    write_len(out, p.code.len());
    for &i in &p.code {
        write_u32(out, raw_instr(i));
    }
    write_len(out, p.constants.len());
    for c in &p.constants {
        match c {
            Constant::Nil => out.push(0),
            Constant::Boolean(b) => out.extend_from_slice(&[1, u8::from(*b)]),
            Constant::Integer(i) => {
                out.push(2);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Constant::Number(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_bits().to_le_bytes());
            }
            Constant::String(s) => {
                out.push(4);
                write_bytes(out, s);
            }
        }
    }
    write_len(out, p.upvalues.len());
    for u in &p.upvalues {
        out.extend_from_slice(&[u8::from(u.in_stack), u.index]);
        write_bytes(out, if strip { b"" } else { &u.name });
    }
    write_len(out, fp.protos.len());
    let own_source = if strip { None } else { Some(&p.source[..]) };
    for child in fp.protos.iter() {
        write_proto(out, child, strip, own_source);
    }
    if strip {
        write_len(out, 0);
        write_len(out, 0);
    } else {
        write_len(out, p.line_info.len());
        for &l in &p.line_info {
            write_u32(out, l);
        }
        write_len(out, p.local_vars.len());
        for v in &p.local_vars {
            write_bytes(out, &v.name);
            write_u32(out, v.start_pc);
            write_u32(out, v.end_pc);
        }
    }
}

/// Reads a binary chunk back (`lua_load` on a chunk starting with
/// `SIGNATURE`); `chunk_name` only names it in messages.
pub fn undump(data: &[u8], chunk_name: &[u8]) -> Result<Proto, String> {
    let name = match chunk_name.first() {
        Some(b'@' | b'=') => String::from_utf8_lossy(&chunk_name[1..]).into_owned(),
        Some(0x1b) => "binary string".to_string(),
        _ => String::from_utf8_lossy(chunk_name).into_owned(),
    };
    let bad = |why: &str| format!("{name}: bad binary format ({why})");
    let header = |i: usize| data.get(i).copied();
    if data.len() < SIGNATURE.len() {
        return Err(bad("truncated chunk"));
    }
    if !data.starts_with(SIGNATURE) {
        return Err(bad("not a binary chunk"));
    }
    match header(SIGNATURE.len()) {
        None => return Err(bad("truncated chunk")),
        Some(VERSION) => {}
        Some(_) => return Err(bad("version mismatch")),
    }
    match header(SIGNATURE.len() + 1) {
        None => return Err(bad("truncated chunk")),
        Some(FORMAT) => {}
        Some(_) => return Err(bad("format mismatch")),
    }
    if data.len() < HEADER_LEN {
        return Err(bad("truncated chunk"));
    }
    let magic_at = SIGNATURE.len() + 2;
    if &data[magic_at..magic_at + MAGIC.len()] != MAGIC {
        return Err(bad("format mismatch"));
    }
    let tag_at = magic_at + MAGIC.len();
    let expected = u64::from_le_bytes(data[tag_at..HEADER_LEN].try_into().unwrap());
    let payload = &data[HEADER_LEN..];
    if tag(payload) != expected {
        return Err(bad("not dumped by this process"));
    }
    let mut r = Reader { data: payload };
    let p = r.proto(b"=?").ok_or_else(|| bad("truncated chunk"))?;
    if !r.data.is_empty() {
        return Err(bad("extra bytes"));
    }
    Ok(p)
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        // Every element takes at least a byte: a longer count is corrupt.
        (n <= self.data.len()).then_some(n)
    }

    fn bytes(&mut self) -> Option<Box<[u8]>> {
        let n = self.len()?;
        Some(self.take(n)?.into())
    }

    fn instr(&mut self) -> Option<Instr> {
        let raw = self.u32()?;
        let field = |pos: u32| (raw >> pos) & 0xff;
        let op = OpCode::from_u8((raw & 0x7f) as u8)?;
        Some(Instr::abc(
            op,
            field(POS_A),
            field(POS_B),
            field(POS_C),
            (raw >> POS_K) & 1 == 1,
        ))
    }

    fn proto(&mut self, parent_source: &[u8]) -> Option<Proto> {
        let source: Box<[u8]> = match self.u8()? {
            0 => parent_source.into(),
            1 => self.bytes()?,
            _ => return None,
        };
        let line_defined = self.u32()?;
        let last_line_defined = self.u32()?;
        let num_params = self.u8()?;
        let is_vararg = self.u8()? != 0;
        let max_stack = self.u8()?;
        let n = self.len()?;
        let code = (0..n).map(|_| self.instr()).collect::<Option<Vec<_>>>()?;
        let n = self.len()?;
        let mut constants = Vec::with_capacity(n);
        for _ in 0..n {
            constants.push(match self.u8()? {
                0 => Constant::Nil,
                1 => Constant::Boolean(self.u8()? != 0),
                2 => Constant::Integer(self.u64()? as i64),
                3 => Constant::Number(f64::from_bits(self.u64()?)),
                4 => Constant::String(self.bytes()?),
                _ => return None,
            });
        }
        let n = self.len()?;
        let mut upvalues = Vec::with_capacity(n);
        for _ in 0..n {
            upvalues.push(UpvalueDesc {
                in_stack: self.u8()? != 0,
                index: self.u8()?,
                name: self.bytes()?,
            });
        }
        let n = self.len()?;
        let mut protos = Vec::with_capacity(n);
        for _ in 0..n {
            protos.push(self.proto(&source)?);
        }
        let n = self.len()?;
        let line_info = (0..n).map(|_| self.u32()).collect::<Option<Vec<_>>>()?;
        let n = self.len()?;
        let mut local_vars = Vec::with_capacity(n);
        for _ in 0..n {
            local_vars.push(LocalVar {
                name: self.bytes()?,
                start_pc: self.u32()?,
                end_pc: self.u32()?,
            });
        }
        Some(Proto {
            source,
            line_defined,
            last_line_defined,
            num_params,
            is_vararg,
            max_stack,
            code,
            constants,
            upvalues,
            protos,
            line_info,
            local_vars,
        })
    }
}
