//! Binary chunks: what `string.dump` writes and `load` reads back.
//!
//! The header is Lua 5.4's (signature, version, format 0, LUAC_DATA, the
//! sizes of instructions, integers and floats, LUAC_INT and LUAC_NUM), so
//! that scripts that check it see what they expect. What follows is
//! lunarena's own: a magic string, the payload's length, a tag keyed with a
//! secret of the running process, and the prototypes (with this compiler's
//! instructions). Of these chunks only those dumped by this process load.
//!
//! A chunk with that header but without the magic is one of PUC-Rio Lua
//! 5.4 (`puc`): it is translated into our instructions. The interpreter
//! trusts its bytecode (register indices are not checked at run time), so
//! all loaded code is verified (`verify`) before it can run: for a PUC-Rio
//! chunk, which may be anything, this is what keeps it in bounds.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use crate::compiler::opcode::{Instr, OpCode, FIELDS_PER_FLUSH, MAX_C, POS_A, POS_B, POS_C, POS_K};
use crate::compiler::proto::{Constant, LocalVar, Proto, UpvalueDesc};
use crate::function::FnProto;

mod puc;

/// `LUA_SIGNATURE`: binary chunks start with it.
pub const SIGNATURE: &[u8] = b"\x1bLua";
const VERSION: u8 = 0x54;
/// PUC-Rio's format number: the header is theirs.
const FORMAT: u8 = 0;
/// LUAC_DATA, the sizes of Instruction, lua_Integer and lua_Number,
/// LUAC_INT (0x5678) and LUAC_NUM (370.5).
const HEADER_REST: &[u8] = b"\x19\x93\r\n\x1a\n\x04\x08\x08\
    \x78\x56\x00\x00\x00\x00\x00\x00\
    \x00\x00\x00\x00\x00\x28\x77\x40";
/// After the header: a PUC-Rio chunk differs here ("format mismatch").
const MAGIC: &[u8] = b"lunarena\x01";
const PUC_HEADER_LEN: usize = SIGNATURE.len() + 2 + HEADER_REST.len();
/// The header, the magic, the payload's length and its tag.
const HEADER_LEN: usize = PUC_HEADER_LEN + MAGIC.len() + 8 + 8;

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
    out.extend_from_slice(HEADER_REST);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
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
    // The rest of the header, byte by byte: a cut chunk is "truncated".
    let rest_at = SIGNATURE.len() + 2;
    for (i, &b) in HEADER_REST.iter().enumerate() {
        match header(rest_at + i) {
            None => return Err(bad("truncated chunk")),
            Some(x) if x == b => {}
            Some(_) => {
                return Err(bad(match i {
                    0..=5 => "corrupted chunk",
                    6 => "Instruction size mismatch",
                    7 => "lua_Integer size mismatch",
                    8 => "lua_Number size mismatch",
                    9..=16 => "integer format mismatch",
                    _ => "float format mismatch",
                }))
            }
        }
    }
    if !data[PUC_HEADER_LEN..].starts_with(MAGIC) {
        // Not ours: a chunk of PUC-Rio Lua 5.4.
        let p = puc::undump(&data[PUC_HEADER_LEN..]).map_err(bad)?;
        verify(&p, None).map_err(bad)?;
        return Ok(p);
    }
    if data.len() < HEADER_LEN {
        return Err(bad("truncated chunk"));
    }
    let len_at = PUC_HEADER_LEN + MAGIC.len();
    let word = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or([0; 8]));
    let len = word(len_at);
    let payload = &data[HEADER_LEN..];
    if (payload.len() as u64) < len {
        return Err(bad("truncated chunk"));
    }
    if payload.len() as u64 != len || tag(payload) != word(len_at + 8) {
        return Err(bad("not dumped by this process"));
    }
    let mut r = Reader { data: payload };
    let p = r.proto(b"=?").ok_or_else(|| bad("truncated chunk"))?;
    if !r.data.is_empty() {
        return Err(bad("extra bytes"));
    }
    verify(&p, None).map_err(bad)?;
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

type R<T> = Result<T, &'static str>;

/// Checks that the code of `p` (and of its nested functions) only names
/// registers below its frame size, existing constants, upvalues and
/// prototypes, jumps inside the code, comes in the sequences the
/// interpreter assumes (a test then its jump, TFORCALL then TFORLOOP, an
/// EXTRAARG where one is read) and fills no table from an index its
/// constructor cannot have reached. `parent`: the enclosing function's
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
    // A test skips its jump: something must follow that.
    let jump_follows = |pc: usize| {
        next_is(pc, OpCode::Jmp)?;
        target(pc as i64 + 2)
    };
    match p.code.last().map(|i| i.op()) {
        Some(OpCode::Return | OpCode::Return0 | OpCode::Return1 | OpCode::Jmp) => {}
        _ => return Err(BAD),
    }
    let mut set_lists = 0; // SETLISTs before pc
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
                jump_follows(pc)?;
            }
            OpCode::EqK => {
                reg(a)?;
                k(b)?;
                jump_follows(pc)?;
            }
            OpCode::EqI | OpCode::LtI | OpCode::LeI | OpCode::GtI | OpCode::GeI | OpCode::Test => {
                reg(a)?;
                jump_follows(pc)?;
            }
            OpCode::TestSet => {
                reg(a)?;
                reg(b)?;
                jump_follows(pc)?;
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
                let extra = if i.k() {
                    next_is(pc, OpCode::ExtraArg)?;
                    p.code[pc + 1].ax_field()
                } else {
                    0
                };
                // Its first index counts the items of earlier flushes, at
                // most FIELDS_PER_FLUSH each: a larger one would only make
                // a huge table.
                let first = c + extra * (MAX_C as usize + 1);
                if first > FIELDS_PER_FLUSH as usize * set_lists {
                    return Err(BAD);
                }
                set_lists += 1;
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

#[cfg(test)]
mod tests {
    use crate::error::RtResult;
    use crate::vm::ctx::Ctx;
    use crate::{Libs, Lua};

    /// `resign(chunk)`: the chunk with its length and tag made valid again,
    /// so that corrupted payloads reach the verifier.
    fn resign<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
        let mut c = ctx.check_string(0)?.as_bytes().to_vec();
        if c.len() >= super::HEADER_LEN {
            let len_at = super::PUC_HEADER_LEN + super::MAGIC.len();
            let payload = c[super::HEADER_LEN..].to_vec();
            c[len_at..len_at + 8].copy_from_slice(&(payload.len() as u64).to_le_bytes());
            c[len_at + 8..len_at + 16].copy_from_slice(&super::tag(&payload).to_le_bytes());
        }
        let v = ctx.str_value(&c);
        ctx.ret(v)
    }

    /// Corrupted code that gets past the tag is refused or runs safely: the
    /// verifier keeps registers, constants, upvalues and jumps in bounds.
    #[test]
    fn verified_code_never_crashes() {
        let mut lua = Lua::new(Libs::ALL);
        lua.enter(|mc, g| crate::stdlib::set_fn(mc, g, g.globals, "resign", resign));
        let setup = r#"
            BODY = string.dump(function (x, ...)
              local t = {x, ...}
              for i = 1, #t do t[i] = tostring(t[i]) .. i end
              local s = 0
              for k, v in pairs(t) do s = s + k end
              local function g(a) return a .. s, #t end
              return g(x), select('#', ...)
            end)
            SEED = 12345
            function RAND(n) SEED = (SEED * 1103515245 + 12345) % 2147483648; return SEED % n end"#;
        lua.exec(setup.as_bytes(), "=setup").unwrap();
        let round = r#"
            local c = BODY
            for n = 1, 1 + RAND(3) do
              local i = 57 + RAND(#c - 56)
              c = c:sub(1, i - 1) .. string.char(RAND(256)) .. c:sub(i + 1)
            end
            local f = load(resign(c), 'x', 'b')
            if f then
              LOADED = (LOADED or 0) + 1
              local co = coroutine.wrap(function () return pcall(f, 'a', 'b', 3) end)
              pcall(co)
            end"#;
        for _ in 0..3000 {
            // A corrupted loop may never end: each round has its own budget.
            lua.with_budget(|b| {
                b.used.set(0);
                b.instruction_limit.set(Some(100_000));
            });
            let _ = lua.exec(round.as_bytes(), "=round");
        }
        // Enough corrupted chunks got past the checks to run.
        let n = lua.exec(b"return LOADED", "=n").unwrap();
        let loaded = lua.enter(|_, g| match Lua::fetch(g, &n[0]) {
            crate::value::Value::Integer(i) => i,
            _ => 0,
        });
        assert!(loaded > 100, "{loaded}");
    }

    /// A setting of the fuzz tests: a few thousand rounds from a fixed
    /// seed in the test suite (set LUNARENA_FUZZ_ROUNDS and
    /// LUNARENA_FUZZ_SEED for other runs).
    fn setting(name: &str, default: u64) -> u64 {
        std::env::var(name)
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(default)
    }

    fn rounds(default: u64) -> u64 {
        setting("LUNARENA_FUZZ_ROUNDS", default)
    }

    fn seed(default: u64) -> Rng {
        Rng(setting("LUNARENA_FUZZ_SEED", default))
    }

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// A Lua state whose `TRY(chunk)` loads a chunk and runs it (in a
    /// coroutine, with arguments, at times a line hook) in an environment without
    /// the functions that reach outside the process, counting in LOADED
    /// what loads.
    fn fuzz_state() -> Lua {
        let mut lua = Lua::new(Libs::ALL);
        lua.set_print(Box::new(|_| {}));
        let setup = r#"
            local env = {}
            for k, v in pairs(_G) do env[k] = v end
            env.os, env.io, env.debug, env.package = nil, {write = print}, nil, nil
            env.load, env.loadfile, env.dofile, env.require = nil, nil, nil, nil
            env.collectgarbage = nil
            LOADED = 0
            -- The debug information (lines, locals, names) is read too.
            local getinfo, getlocal = debug.getinfo, debug.getlocal
            local function hook()
              getinfo(2, "nSltu")
              getlocal(2, 1)
              getlocal(2, 2)
            end
            function TRY(c)
              local f = load(c, "=fuzz", "b", env)
              if f then
                LOADED = LOADED + 1
                getinfo(f, "SLlu")
                getlocal(f, 1)
                debug.getupvalue(f, 1)
                local co = coroutine.wrap(function ()
                  -- (Not always: hooks are slow.)
                  if LOADED % 8 == 0 then debug.sethook(hook, "l") end
                  return xpcall(f, debug.traceback, 1, "b", {})
                end)
                pcall(co)
              end
            end"#;
        lua.exec(setup.as_bytes(), "=setup").unwrap();
        lua
    }

    /// Loads and runs `chunk` with a budget: a corrupted loop may not end.
    fn try_chunk(lua: &mut Lua, chunk: &[u8]) {
        lua.with_budget(|b| {
            b.used.set(0);
            b.instruction_limit.set(Some(20_000));
        });
        lua.enter(|mc, g| {
            let v = crate::value::Value::String(crate::state::Global::intern(g, mc, chunk));
            crate::stdlib::set_value(mc, g, g.globals, "CHUNK", v);
        });
        let _ = lua.exec(b"TRY(CHUNK)", "=round");
    }

    fn loaded(lua: &mut Lua) -> i64 {
        let n = lua.exec(b"return LOADED", "=n").unwrap();
        lua.enter(|_, g| match Lua::fetch(g, &n[0]) {
            crate::value::Value::Integer(i) => i,
            _ => 0,
        })
    }

    /// Chunks dumped by lua5.4 (the fixtures of tests/binary_chunks.rs).
    const PUC_CHUNKS: &[&[u8]] = &[
        include_bytes!("../../tests/binary_chunks/meta.luac"),
        include_bytes!("../../tests/binary_chunks/loops.luac"),
        include_bytes!("../../tests/binary_chunks/tbc.s.luac"),
        include_bytes!("../../tests/binary_chunks/closures.luac"),
        include_bytes!("../../tests/binary_chunks/tables.s.luac"),
        include_bytes!("../../tests/binary_chunks/consts.s.luac"),
        include_bytes!("../../tests/binary_chunks/bigtable.s.luac"),
    ];

    /// Random changes and cuts of chunks dumped by lua5.4 load with an
    /// error or run (with errors or not), never crash.
    #[test]
    fn mutated_puc_chunks_never_crash() {
        let mut lua = fuzz_state();
        let mut rng = seed(7);
        for _ in 0..rounds(3000) {
            let mut c = PUC_CHUNKS[rng.below(PUC_CHUNKS.len() as u64) as usize].to_vec();
            let body = super::PUC_HEADER_LEN as u64 + 1;
            match rng.below(8) {
                0 => c.truncate((body + rng.below(c.len() as u64 - body)) as usize),
                _ => {
                    for _ in 0..1 + rng.below(4) {
                        let at = (body + rng.below(c.len() as u64 - body)) as usize;
                        // Flip a bit, or set a byte.
                        c[at] = match rng.below(2) {
                            0 => c[at] ^ (1 << rng.below(8)),
                            _ => rng.below(256) as u8,
                        };
                    }
                }
            }
            try_chunk(&mut lua, &c);
        }
        let n = loaded(&mut lua);
        assert!(n > 100, "{n}");
    }

    /// A 5.4 chunk: a vararg main function (2 parameters, a frame of 16,
    /// `_ENV` and an upvalue of the function below, constants) made of
    /// `code`, and a nested function with random code too.
    fn puc_chunk(code: &[u32], inner: &[u32]) -> Vec<u8> {
        fn function(out: &mut Vec<u8>, code: &[u32], upvalues: &[[u8; 3]], child: Option<&[u32]>) {
            // No source, lines 0 and 0, 2 parameters, vararg, frame of 16.
            out.extend_from_slice(&[0x80, 0x80, 0x80, 2, 1, 16]);
            out.push(0x80 | code.len() as u8);
            for w in code {
                out.extend_from_slice(&w.to_le_bytes());
            }
            // Constants: "x", 2, 0.5, true, nil.
            out.extend_from_slice(b"\x85\x04\x82x\x03");
            out.extend_from_slice(&2i64.to_le_bytes());
            out.push(0x13);
            out.extend_from_slice(&0.5f64.to_bits().to_le_bytes());
            out.extend_from_slice(&[0x11, 0x00]);
            out.push(0x80 | upvalues.len() as u8);
            for u in upvalues {
                out.extend_from_slice(u);
            }
            match child {
                Some(c) => {
                    out.push(0x81);
                    function(out, c, &[[1, 0, 0], [0, 0, 0]], None);
                }
                None => out.push(0x80),
            }
            // No debug information.
            out.extend_from_slice(&[0x80; 4]);
        }
        let mut c = super::SIGNATURE.to_vec();
        c.extend_from_slice(&[super::VERSION, super::FORMAT]);
        c.extend_from_slice(super::HEADER_REST);
        c.push(2);
        function(&mut c, code, &[[1, 0, 0], [1, 1, 0]], Some(inner));
        c
    }

    /// A random instruction of 5.4 with small operands (mostly in the frame).
    fn random_instr(rng: &mut Rng) -> u32 {
        // Not MMBIN, MMBINI or MMBINK (after their operations only).
        let op = match rng.below(80) as u32 {
            op @ 46.. => op + 3,
            op => op,
        };
        let small = |rng: &mut Rng| match rng.below(32) {
            0 => rng.below(256) as u32,
            _ => rng.below(6) as u32,
        };
        let (a, b, c) = (small(rng), small(rng), small(rng));
        let k = rng.below(2) as u32;
        let mut w = op | a << 7 | k << 15 | b << 16 | c << 24;
        match op {
            // JMP: a short sJ either way.
            56 => w = op | ((1 << 24) - 3 + rng.below(7) as u32) << 7,
            // The loops' Bx (with A): a short jump.
            73..=77 => w = op | a << 7 | (rng.below(5) as u32) << 15,
            _ => {}
        }
        w
    }

    /// `n` random instructions, an arithmetic one mostly followed by an MMBIN
    /// on its operands, then RETURN0 or JMP.
    fn random_code(rng: &mut Rng, n: u64) -> Vec<u32> {
        let mut code = Vec::new();
        for _ in 0..n {
            let w = random_instr(rng);
            code.push(w);
            let op = w & 0x7f;
            // What the verifier wants after some instructions (mostly).
            let sj = |rng: &mut Rng| ((1 << 24) - 2 + rng.below(5) as u32) << 7;
            match (op, rng.below(16)) {
                (19 | 4, _) => code.push(82), // NEWTABLE's, LOADKX's EXTRAARG
                (57..=67, 1..) => code.push(56 | sj(rng)), // a test's JMP
                (76, 1..) => code.push(77 | w & 0x7f80 | sj(rng) & !0x7fff), // TFORLOOP
                _ => {}
            }
            if (21..=45).contains(&op) && rng.below(32) != 0 {
                // MMBINI for ADDI, SHRI, SHLI, MMBINK for the K forms.
                let mm = match op {
                    21 | 32 | 33 => 47,
                    22..=31 => 48,
                    _ => 46,
                };
                let (b, c) = ((w >> 16) & 0xff, w >> 24);
                // Its event, or sometimes another one.
                let tm = match (rng.below(16), op) {
                    (0, _) => 6 + rng.below(12) as u32,
                    (_, 21) => 6,
                    (_, 22..=31) => op - 16,
                    (_, 32) => 17,
                    (_, 33) => 16,
                    _ => op - 28,
                };
                // Operands swapped: SHLI's form, and a constant on the left.
                let flip = u32::from(op == 33 || rng.below(8) == 0);
                code.push(mm | b << 7 | flip << 15 | c << 16 | tm << 24);
            }
        }
        // RETURN0, or a jump back: the other way code may end.
        match rng.below(4) {
            0 => code.push(56 | ((1 << 24) - 1 - rng.below(3) as u32) << 7),
            _ => code.push(71),
        }
        code
    }

    /// Random instruction sequences get past the reader: the verifier and
    /// the translation of the MMBIN pairs must keep them from crashing.
    #[test]
    fn random_puc_code_never_crashes() {
        let mut lua = fuzz_state();
        let mut rng = seed(11);
        for _ in 0..rounds(3000) {
            let n = 1 + rng.below(8);
            let code = random_code(&mut rng, n);
            let n = rng.below(4);
            let inner = random_code(&mut rng, n);
            try_chunk(&mut lua, &puc_chunk(&code, &inner));
        }
        let n = loaded(&mut lua);
        assert!(n > 100, "{n}");
    }
}
