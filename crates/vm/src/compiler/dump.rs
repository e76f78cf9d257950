//! Binary chunks: `string.dump` and loading them back.
//!
//! The header is Lua 5.4's; what follows is lunarena's own (the prototypes
//! as plain data), so precompiled chunks of PUC-Rio Lua do not load. Loaded
//! code is verified before it can run: every register,
//! constant, upvalue, prototype and jump it names must exist, because the
//! interpreter trusts the compiler on these.

use super::opcode::{Instr, OpCode};
use super::proto::{Constant, LocalVar, Proto, UpvalueDesc};

/// "\x1bLua", version 5.4, format 0, LUAC_DATA.
const HEADER: &[u8] = b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n";
const TEST_INT: i64 = 0x5678;
const TEST_NUM: f64 = 370.5;

/// The bytes of `p` as a binary chunk; `strip` leaves out debug information.
pub fn dump(p: &Proto, strip: bool) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    out.push(std::mem::size_of::<Instr>() as u8);
    out.push(8); // lua_Integer
    out.push(8); // lua_Number
    out.extend_from_slice(&TEST_INT.to_le_bytes());
    out.extend_from_slice(&TEST_NUM.to_le_bytes());
    dump_proto(&mut out, p, None, strip);
    out
}

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, s: &[u8]) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A string that may be absent (0), else its length + 1 and its bytes.
fn put_opt_bytes(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        None => put_uint(out, 0),
        Some(s) => {
            put_uint(out, s.len() as u64 + 1);
            out.extend_from_slice(s);
        }
    }
}

fn dump_proto(out: &mut Vec<u8>, p: &Proto, parent_source: Option<&[u8]>, strip: bool) {
    // Like PUC-Rio: no source when stripped or when it is the parent's.
    let source = if strip || parent_source == Some(&p.source[..]) {
        None
    } else {
        Some(&p.source[..])
    };
    put_opt_bytes(out, source);
    put_uint(out, p.line_defined as u64);
    put_uint(out, p.last_line_defined as u64);
    out.push(p.num_params);
    out.push(p.is_vararg as u8);
    out.push(p.max_stack);
    put_uint(out, p.code.len() as u64);
    for i in &p.code {
        out.extend_from_slice(&i.0.to_le_bytes());
    }
    put_uint(out, p.constants.len() as u64);
    for c in &p.constants {
        match c {
            Constant::Nil => out.push(0),
            Constant::Boolean(false) => out.push(1),
            Constant::Boolean(true) => out.push(2),
            Constant::Integer(i) => {
                out.push(3);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Constant::Number(n) => {
                out.push(4);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Constant::String(s) => {
                out.push(5);
                put_bytes(out, s);
            }
        }
    }
    put_uint(out, p.upvalues.len() as u64);
    for u in &p.upvalues {
        out.push(u.in_stack as u8);
        out.push(u.index);
    }
    put_uint(out, p.protos.len() as u64);
    for child in &p.protos {
        dump_proto(out, child, Some(&p.source), strip);
    }
    // Debug information.
    if strip {
        put_uint(out, 0);
        put_uint(out, 0);
        put_uint(out, 0);
        return;
    }
    put_uint(out, p.line_info.len() as u64);
    for &l in &p.line_info {
        put_uint(out, l as u64);
    }
    put_uint(out, p.local_vars.len() as u64);
    for v in &p.local_vars {
        put_bytes(out, &v.name);
        put_uint(out, v.start_pc as u64);
        put_uint(out, v.end_pc as u64);
    }
    put_uint(out, p.upvalues.len() as u64);
    for u in &p.upvalues {
        put_bytes(out, &u.name);
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, &'static str>;

impl Reader<'_> {
    fn byte(&mut self) -> R<u8> {
        let b = *self.data.get(self.pos).ok_or("truncated chunk")?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> R<&[u8]> {
        if self.data.len() - self.pos < n {
            return Err("truncated chunk");
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn uint(&mut self) -> R<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("integer overflow")
    }

    fn u32(&mut self) -> R<u32> {
        u32::try_from(self.uint()?).map_err(|_| "integer overflow")
    }

    /// A count of items that take at least `min_size` bytes each.
    fn count(&mut self, min_size: usize) -> R<usize> {
        let n = self.uint()?;
        let left = (self.data.len() - self.pos) as u64;
        if n.saturating_mul(min_size as u64) > left {
            return Err("truncated chunk");
        }
        Ok(n as usize)
    }

    fn string(&mut self) -> R<Box<[u8]>> {
        let n = self.count(1)?;
        Ok(self.bytes(n)?.into())
    }

    fn opt_string(&mut self) -> R<Option<Box<[u8]>>> {
        let n = self.uint()?;
        if n == 0 {
            return Ok(None);
        }
        let n = usize::try_from(n - 1).map_err(|_| "truncated chunk")?;
        Ok(Some(self.bytes(n)?.into()))
    }

    fn i64(&mut self) -> R<i64> {
        let b = self.bytes(8)?;
        Ok(i64::from_le_bytes(
            b.try_into().map_err(|_| "truncated chunk")?,
        ))
    }

    fn f64(&mut self) -> R<f64> {
        let b = self.bytes(8)?;
        Ok(f64::from_le_bytes(
            b.try_into().map_err(|_| "truncated chunk")?,
        ))
    }
}

/// Whether `data` starts like a binary chunk (the first byte is ESC).
pub fn is_binary(data: &[u8]) -> bool {
    data.first() == Some(&0x1b)
}

/// Loads a binary chunk made by `dump`. The error is the message `load`
/// gives ("chunkname: bad binary format (...)" or "...: truncated chunk").
pub fn undump(data: &[u8], chunk_name: &[u8]) -> Result<Proto, String> {
    // The name in messages, as lundump.c gives it.
    let id = match chunk_name.first() {
        Some(b'@' | b'=') => String::from_utf8_lossy(&chunk_name[1..]).into_owned(),
        Some(0x1b) => "binary string".to_string(),
        _ => String::from_utf8_lossy(chunk_name).into_owned(),
    };
    let fail = |why: &str| format!("{id}: bad binary format ({why})");
    let mut r = Reader { data, pos: 0 };
    let sig = r.bytes(4).map_err(|_| fail("truncated chunk"))?;
    if sig != &HEADER[..4] {
        return Err(fail("not a binary chunk"));
    }
    let version = r.byte().map_err(fail)?;
    if version != HEADER[4] {
        return Err(fail("version mismatch"));
    }
    let format = r.byte().map_err(fail)?;
    if format != HEADER[5] {
        return Err(fail("format mismatch"));
    }
    if r.bytes(HEADER.len() - 6).map_err(fail)? != &HEADER[6..] {
        return Err(fail("corrupted chunk"));
    }
    if r.byte().map_err(fail)? as usize != std::mem::size_of::<Instr>() {
        return Err(fail("Instruction size mismatch"));
    }
    if r.byte().map_err(fail)? != 8 {
        return Err(fail("lua_Integer size mismatch"));
    }
    if r.byte().map_err(fail)? != 8 {
        return Err(fail("lua_Number size mismatch"));
    }
    if r.i64().map_err(fail)? != TEST_INT {
        return Err(fail("integer format mismatch"));
    }
    if r.f64().map_err(fail)? != TEST_NUM {
        return Err(fail("float format mismatch"));
    }
    let p = load_proto(&mut r, b"=?", 0).map_err(fail)?;
    if r.pos != data.len() {
        return Err(fail("corrupted chunk"));
    }
    verify(&p, None).map_err(fail)?;
    Ok(p)
}

fn load_proto(r: &mut Reader<'_>, parent_source: &[u8], depth: usize) -> R<Proto> {
    if depth > 200 {
        return Err("corrupted chunk");
    }
    let source = r.opt_string()?.unwrap_or_else(|| parent_source.into());
    let line_defined = r.u32()?;
    let last_line_defined = r.u32()?;
    let num_params = r.byte()?;
    let is_vararg = r.byte()? != 0;
    let max_stack = r.byte()?;
    let n = r.count(4)?;
    let mut code = Vec::with_capacity(n);
    for _ in 0..n {
        let b = r.bytes(4)?;
        code.push(Instr(u32::from_le_bytes(
            b.try_into().map_err(|_| "truncated chunk")?,
        )));
    }
    let n = r.count(1)?;
    let mut constants = Vec::with_capacity(n);
    for _ in 0..n {
        constants.push(match r.byte()? {
            0 => Constant::Nil,
            1 => Constant::Boolean(false),
            2 => Constant::Boolean(true),
            3 => Constant::Integer(r.i64()?),
            4 => Constant::Number(r.f64()?),
            5 => Constant::String(r.string()?),
            _ => return Err("corrupted chunk"),
        });
    }
    let n = r.count(2)?;
    let mut upvalues = Vec::with_capacity(n);
    for _ in 0..n {
        upvalues.push(UpvalueDesc {
            in_stack: r.byte()? != 0,
            index: r.byte()?,
            name: Box::new([]),
        });
    }
    let n = r.count(1)?;
    let mut protos = Vec::with_capacity(n);
    for _ in 0..n {
        protos.push(load_proto(r, &source, depth + 1)?);
    }
    let n = r.count(1)?;
    let mut line_info = Vec::with_capacity(n);
    for _ in 0..n {
        line_info.push(r.u32()?);
    }
    let n = r.count(3)?;
    let mut local_vars = Vec::with_capacity(n);
    for _ in 0..n {
        local_vars.push(LocalVar {
            name: r.string()?,
            start_pc: r.u32()?,
            end_pc: r.u32()?,
        });
    }
    let n = r.count(1)?;
    if n != 0 && n != upvalues.len() {
        return Err("corrupted chunk");
    }
    for u in upvalues.iter_mut().take(n) {
        u.name = r.string()?;
    }
    Ok(Proto {
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

/// Checks that the code of `p` (and of its nested functions) only names
/// registers below its frame size, existing constants, upvalues and
/// prototypes, and jumps inside the code. `parent`: the enclosing function's
/// frame size and upvalue count.
fn verify(p: &Proto, parent: Option<(usize, usize)>) -> R<()> {
    const BAD: &str = "corrupted chunk";
    let top = p.max_stack as usize; // registers 0..=top are allocated
    let nk = p.constants.len();
    let nup = p.upvalues.len();
    let n = p.code.len();
    if p.num_params as usize > top || (!p.line_info.is_empty() && p.line_info.len() != n) {
        return Err(BAD);
    }
    if let Some((pstack, pups)) = parent {
        for u in &p.upvalues {
            let ok = if u.in_stack {
                (u.index as usize) < pstack
            } else {
                (u.index as usize) < pups
            };
            if !ok {
                return Err(BAD);
            }
        }
    }
    let reg = |r: usize| if r <= top { Ok(()) } else { Err(BAD) };
    let k = |i: usize| if i < nk { Ok(()) } else { Err(BAD) };
    let up = |i: usize| if i < nup { Ok(()) } else { Err(BAD) };
    let rk = |i: Instr, c: usize| if i.k() { k(c) } else { reg(c) };
    let target = |t: i64| {
        if t >= 0 && (t as usize) < n {
            Ok(())
        } else {
            Err(BAD)
        }
    };
    let next_is = |pc: usize, op: OpCode| match p.code.get(pc + 1) {
        Some(j) if j.op() == op => Ok(()),
        _ => Err(BAD),
    };
    match p.code.last().map(|i| i.op()) {
        Some(OpCode::Return | OpCode::Return0 | OpCode::Return1 | OpCode::Jmp) => {}
        _ => return Err(BAD),
    }
    for (pc, &i) in p.code.iter().enumerate() {
        let (a, b, c) = (i.a(), i.b(), i.c());
        let pc1 = pc as i64 + 1;
        match i.op() {
            OpCode::Move | OpCode::Unm | OpCode::BNot | OpCode::Not | OpCode::Len => {
                reg(a)?;
                reg(b)?;
            }
            OpCode::LoadI | OpCode::LoadF | OpCode::LoadFalse | OpCode::LoadTrue => reg(a)?,
            OpCode::NewTable | OpCode::Close | OpCode::Tbc | OpCode::VarArg => reg(a)?,
            OpCode::LFalseSkip => {
                reg(a)?;
                target(pc1 + 1)?;
            }
            OpCode::LoadK => {
                reg(a)?;
                k(i.bx())?;
            }
            OpCode::LoadKx => {
                reg(a)?;
                next_is(pc, OpCode::ExtraArg)?;
                k(p.code[pc + 1].ax_field())?;
            }
            OpCode::LoadNil => reg(a + b)?,
            OpCode::GetUpval | OpCode::SetUpval => {
                reg(a)?;
                up(b)?;
            }
            OpCode::GetTabUp => {
                reg(a)?;
                up(b)?;
                k(c)?;
            }
            OpCode::GetTable => {
                reg(a)?;
                reg(b)?;
                reg(c)?;
            }
            OpCode::GetI | OpCode::AddI | OpCode::ShrI | OpCode::ShlI => {
                reg(a)?;
                reg(b)?;
            }
            OpCode::GetField => {
                reg(a)?;
                reg(b)?;
                k(c)?;
            }
            OpCode::SetTabUp => {
                up(a)?;
                k(b)?;
                rk(i, c)?;
            }
            OpCode::SetTable => {
                reg(a)?;
                reg(b)?;
                rk(i, c)?;
            }
            OpCode::SetI => {
                reg(a)?;
                rk(i, c)?;
            }
            OpCode::SetField => {
                reg(a)?;
                k(b)?;
                rk(i, c)?;
            }
            OpCode::OpSelf => {
                reg(a + 1)?;
                reg(b)?;
                rk(i, c)?;
            }
            OpCode::AddK
            | OpCode::SubK
            | OpCode::MulK
            | OpCode::ModK
            | OpCode::PowK
            | OpCode::DivK
            | OpCode::IDivK
            | OpCode::BAndK
            | OpCode::BOrK
            | OpCode::BXorK => {
                reg(a)?;
                reg(b)?;
                k(c)?;
            }
            OpCode::Add
            | OpCode::Sub
            | OpCode::Mul
            | OpCode::Mod
            | OpCode::Pow
            | OpCode::Div
            | OpCode::IDiv
            | OpCode::BAnd
            | OpCode::BOr
            | OpCode::BXor
            | OpCode::Shl
            | OpCode::Shr => {
                reg(a)?;
                reg(b)?;
                reg(c)?;
            }
            OpCode::Concat => reg(a + b.max(1) - 1)?,
            OpCode::Jmp => target(pc1 + i.sj_field() as i64)?,
            OpCode::Eq | OpCode::Lt | OpCode::Le => {
                reg(a)?;
                reg(b)?;
                next_is(pc, OpCode::Jmp)?;
            }
            OpCode::EqK => {
                reg(a)?;
                k(b)?;
                next_is(pc, OpCode::Jmp)?;
            }
            OpCode::EqI | OpCode::LtI | OpCode::LeI | OpCode::GtI | OpCode::GeI | OpCode::Test => {
                reg(a)?;
                next_is(pc, OpCode::Jmp)?;
            }
            OpCode::TestSet => {
                reg(a)?;
                reg(b)?;
                next_is(pc, OpCode::Jmp)?;
            }
            OpCode::Call | OpCode::TailCall | OpCode::Return => {
                reg(a)?;
                if b > 0 {
                    reg(a + b - 1)?;
                }
                if i.op() == OpCode::Call && c > 1 {
                    reg(a + c - 2)?;
                }
                if i.op() != OpCode::Return {
                    target(pc1)?;
                }
            }
            OpCode::Return0 => {}
            OpCode::Return1 => reg(a)?,
            OpCode::ForLoop => {
                reg(a + 3)?;
                target(pc1 - i.bx() as i64)?;
            }
            OpCode::ForPrep => {
                reg(a + 3)?;
                target(pc1 + i.bx() as i64 + 1)?;
                target(pc1)?;
            }
            OpCode::TForPrep => {
                reg(a + 3)?;
                target(pc1 + i.bx() as i64)?;
            }
            OpCode::TForCall => {
                reg(a + 6)?;
                reg(a + 3 + c)?;
                next_is(pc, OpCode::TForLoop)?;
            }
            OpCode::TForLoop => {
                reg(a + 4)?;
                target(pc1 - i.bx() as i64)?;
            }
            OpCode::SetList => {
                reg(a + b)?;
                if i.k() {
                    next_is(pc, OpCode::ExtraArg)?;
                }
            }
            OpCode::Closure => {
                reg(a)?;
                if i.bx() >= p.protos.len() {
                    return Err(BAD);
                }
            }
            OpCode::VarArgPrep | OpCode::ExtraArg => {}
        }
    }
    for child in &p.protos {
        verify(child, Some((top, nup)))?;
    }
    Ok(())
}
