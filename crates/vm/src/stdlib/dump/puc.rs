//! Binary chunks dumped by PUC-Rio Lua 5.4 (`luac`, `string.dump`) for the
//! same kind of machine as ours (what the common header checks).
//!
//! The body after the header, as `lundump.c` reads it: a byte (the main
//! closure's upvalue count, implied by its prototype here), then a function:
//! source, first and last line, parameter count, vararg flag, frame size,
//! code, constants, upvalues, nested functions and debug information
//! (relative lines, absolute lines, locals, upvalue names). Counts and
//! lines are variable-length unsigned integers (7 bits a byte, most
//! significant first, the last byte marked by its high bit); strings are a
//! size plus one (0: none) and the bytes.
//!
//! Instructions are laid out as ours; the opcode numbers differ where 5.4
//! has its metamethod follow-ups (MMBIN, MMBINI, MMBINK), which our
//! arithmetic opcodes do not need: each is checked against the operation
//! it follows and becomes a no-op, so that every pc (jumps, line
//! information, locals) stays where it was. So does NEWTABLE's EXTRAARG
//! (ours takes the size hint in C). An operation whose constant operand
//! was on the left (`1 + x`: 5.4 marks its follow-up "flipped", for the
//! metamethod's argument order) becomes a load of the constant into a
//! register above 5.4's frame and the operation on two registers. Anything
//! we cannot run exactly as 5.4 would is refused, including a jump to the
//! second instruction of such a pair.

use crate::compiler::opcode::{Instr, OpCode, MAX_C};
use crate::compiler::proto::{Constant, LocalVar, Proto, UpvalueDesc};

type R<T> = Result<T, &'static str>;

const TRUNCATED: &str = "truncated chunk";

/// How deep functions may nest (as the compiler's limit on nested calls).
const MAX_DEPTH: usize = 200;

/// 5.4's opcode numbers that ours do not share.
const MMBIN: u32 = 46;
const MMBINI: u32 = 47;
const MMBINK: u32 = 48;
const EXTRAARG: u32 = 82;

/// 5.4's tags of constants (type and variant bits).
const VNIL: u8 = 0x00;
const VFALSE: u8 = 0x01;
const VTRUE: u8 = 0x11;
const VNUMINT: u8 = 0x03;
const VNUMFLT: u8 = 0x13;
const VSHRSTR: u8 = 0x04;
const VLNGSTR: u8 = 0x14;

/// `lineinfo` entries of this value defer to the absolute line list.
const ABSLINEINFO: i8 = -0x80;

/// Reads the body of a 5.4 chunk (`data` starts after the header). Bytes
/// after the main function are ignored, as 5.4 ignores them.
pub(super) fn undump(data: &[u8]) -> R<Proto> {
    let mut r = Reader { data, depth: 0 };
    r.byte()?; // the main closure's upvalue count
    r.function(b"=?")
}

/// The opcode of ours with 5.4's number `op` (not an MMBIN variant).
fn our_opcode(op: u32) -> Option<OpCode> {
    match op {
        0..=45 => OpCode::from_u8(op as u8),
        MMBIN..=MMBINK => None,
        _ => OpCode::from_u8((op - 3) as u8),
    }
}

struct Reader<'a> {
    data: &'a [u8],
    depth: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        if self.data.len() < n {
            return Err(TRUNCATED);
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn byte(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().map_err(|_| TRUNCATED)?))
    }

    /// A variable-length unsigned integer below `limit` (`loadUnsigned`).
    fn unsigned(&mut self, limit: u64) -> R<u64> {
        let limit = limit >> 7;
        let mut x: u64 = 0;
        loop {
            let b = self.byte()?;
            if x >= limit {
                return Err("integer overflow");
            }
            x = (x << 7) | u64::from(b & 0x7f);
            if b & 0x80 != 0 {
                return Ok(x);
            }
        }
    }

    /// An `int` of the dump (counts, lines, pcs).
    fn int(&mut self) -> R<u32> {
        Ok(self.unsigned(i32::MAX as u64)? as u32)
    }

    /// A count of elements of at least `min_size` bytes each: a count the
    /// rest of the chunk cannot hold means a cut chunk (and no huge
    /// allocation).
    fn count(&mut self, min_size: usize) -> R<usize> {
        let n = self.int()? as usize;
        if n.saturating_mul(min_size) > self.data.len() {
            return Err(TRUNCATED);
        }
        Ok(n)
    }

    /// A string, or None for the dump's "no string".
    fn string(&mut self) -> R<Option<Box<[u8]>>> {
        let size = self.unsigned(u64::MAX)?;
        if size == 0 {
            return Ok(None);
        }
        let len = usize::try_from(size - 1).map_err(|_| TRUNCATED)?;
        Ok(Some(self.take(len)?.into()))
    }

    fn function(&mut self, parent_source: &[u8]) -> R<Proto> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("functions nested too deeply");
        }
        let source = self.string()?.unwrap_or_else(|| parent_source.into());
        let line_defined = self.int()?;
        let last_line_defined = self.int()?;
        let num_params = self.byte()?;
        let is_vararg = self.byte()? != 0;
        let max_stack = self.byte()?;
        let n = self.count(4)?;
        let mut raw = Vec::with_capacity(n);
        for _ in 0..n {
            let b = self.take(4)?;
            raw.push(u32::from_le_bytes(b.try_into().map_err(|_| TRUNCATED)?));
        }
        let constants = self.constants()?;
        let n = self.count(3)?;
        let mut upvalues = Vec::with_capacity(n);
        for _ in 0..n {
            let in_stack = self.byte()? != 0;
            let index = self.byte()?;
            self.byte()?; // the kind of variable, for the compiler only
            upvalues.push(UpvalueDesc {
                in_stack,
                index,
                name: Box::default(),
            });
        }
        let n = self.count(1)?;
        let mut protos = Vec::with_capacity(n);
        for _ in 0..n {
            protos.push(self.function(&source)?);
        }
        let line_info = self.lines(line_defined, raw.len())?;
        let n = self.count(3)?;
        let mut local_vars = Vec::with_capacity(n);
        for _ in 0..n {
            local_vars.push(LocalVar {
                name: self.string()?.unwrap_or_default(),
                start_pc: self.int()?,
                end_pc: self.int()?,
            });
        }
        // Upvalue names: none, or one per upvalue whatever the count says.
        if self.int()? != 0 {
            for u in &mut upvalues {
                u.name = self.string()?.unwrap_or_default();
            }
        }
        self.depth -= 1;
        let mut p = Proto {
            source,
            line_defined,
            last_line_defined,
            num_params,
            is_vararg,
            max_stack,
            code: Vec::new(),
            constants,
            upvalues,
            protos,
            line_info,
            local_vars,
        };
        p.code = translate(&raw, &mut p)?;
        Ok(p)
    }

    fn constants(&mut self) -> R<Vec<Constant>> {
        let n = self.count(1)?;
        let mut constants = Vec::with_capacity(n);
        for _ in 0..n {
            constants.push(match self.byte()? {
                VNIL => Constant::Nil,
                VFALSE => Constant::Boolean(false),
                VTRUE => Constant::Boolean(true),
                VNUMINT => Constant::Integer(self.u64()? as i64),
                VNUMFLT => Constant::Number(f64::from_bits(self.u64()?)),
                VSHRSTR | VLNGSTR => {
                    Constant::String(self.string()?.ok_or("bad format for constant string")?)
                }
                _ => return Err("invalid constant"),
            });
        }
        Ok(constants)
    }

    /// The line of each of the `n` instructions (none if stripped), from
    /// the relative lines and the absolute ones (`luaG_getfuncline`).
    fn lines(&mut self, line_defined: u32, n: usize) -> R<Vec<u32>> {
        let count = self.count(1)?;
        let deltas = self.take(count)?;
        let count = self.count(2)?;
        let mut abs = Vec::with_capacity(count);
        for _ in 0..count {
            abs.push((self.int()? as usize, i64::from(self.int()?)));
        }
        if deltas.is_empty() {
            return Ok(Vec::new());
        }
        // A line list shorter than the code (only in a corrupt chunk)
        // repeats its last line.
        let mut lines = Vec::with_capacity(n);
        let mut line = i64::from(line_defined);
        let mut next_abs = 0;
        for pc in 0..n {
            match deltas.get(pc).map(|&d| d as i8) {
                Some(ABSLINEINFO) => {
                    while next_abs < abs.len() && abs[next_abs].0 < pc {
                        next_abs += 1;
                    }
                    if let Some(&(at, l)) = abs.get(next_abs) {
                        if at == pc {
                            line = l;
                        }
                    }
                }
                Some(d) => line += i64::from(d),
                None => {}
            }
            lines.push(line.clamp(0, i64::from(u32::MAX)) as u32);
        }
        Ok(lines)
    }
}

/// The fields of a raw instruction: opcode, A, B, C, k.
fn fields(raw: u32) -> (u32, u32, u32, u32, bool) {
    let f = |pos: u32| (raw >> pos) & 0xff;
    (raw & 0x7f, f(7), f(16), f(24), (raw >> 15) & 1 == 1)
}

/// The metamethod event (5.4's `TMS` number) of a binary arithmetic or
/// bitwise opcode, and whether its operands commute.
fn event(op: OpCode) -> Option<(u32, bool)> {
    use OpCode::*;
    Some(match op {
        Add | AddK | AddI => (6, true),
        Sub | SubK => (7, false),
        Mul | MulK => (8, true),
        Mod | ModK => (9, false),
        Pow | PowK => (10, false),
        Div | DivK => (11, false),
        IDiv | IDivK => (12, false),
        BAnd | BAndK => (13, true),
        BOr | BOrK => (14, true),
        BXor | BXorK => (15, true),
        Shl | ShlI => (16, false),
        Shr | ShrI => (17, false),
        _ => return None,
    })
}

const TM_SUB: u32 = 7;
const TM_SHL: u32 = 16;

/// The operation on two registers that a constant operation stands for.
fn register_form(op: OpCode) -> Option<OpCode> {
    use OpCode::*;
    Some(match op {
        AddK | AddI => Add,
        MulK => Mul,
        BAndK => BAnd,
        BOrK => BOr,
        BXorK => BXor,
        _ => return None,
    })
}

/// A no-op that keeps its place: `pc += 0`.
fn nop() -> Instr {
    Instr::sj(OpCode::Jmp, 0)
}

const BAD: &str = "bad instruction";

/// Our code for 5.4's `raw` code of `p` (whose frame may grow by a
/// scratch register, for constant operands on the left).
fn translate(raw: &[u32], p: &mut Proto) -> R<Vec<Instr>> {
    let mut code = Vec::with_capacity(raw.len());
    // Above 5.4's frame: a free register, if one is needed.
    let scratch = u32::from(p.max_stack);
    let mut uses_scratch = false;
    // The second instructions of pairs, which 5.4 runs only after the first.
    let mut seconds = vec![false; raw.len()];
    let mut pc = 0;
    while pc < raw.len() {
        let (op, a, b, c, k) = fields(raw[pc]);
        let Some(ours) = our_opcode(op) else {
            // An MMBIN not right after its operation.
            return Err(BAD);
        };
        if let Some((tm, commutes)) = event(ours) {
            // The operation, then its MMBIN: both become ours.
            let next = raw.get(pc + 1).copied().map(fields);
            let (mop, ma, mb, mc, flip) = next.ok_or(BAD)?;
            let sc = c as i32 - (MAX_C >> 1) as i32;
            let msb = mb as i32 - (MAX_C >> 1) as i32;
            let (first, second) = match (ours, mop) {
                (OpCode::AddI, MMBINI) if ma == b && !flip && mc == TM_SUB && msb == -sc => {
                    (Instr::abc(ours, a, b, c, true), nop())
                }
                (OpCode::ShrI, MMBINI) if ma == b && !flip && mc == TM_SHL && msb == -sc => {
                    (Instr::abc(ours, a, b, c, true), nop())
                }
                (OpCode::ShlI, MMBINI) if ma == b && flip && mc == tm && msb == sc => {
                    (Instr::abc(ours, a, b, c, false), nop())
                }
                (OpCode::AddI | OpCode::ShrI, MMBINI) if ma == b && mc == tm && msb == sc => {
                    if !flip {
                        (Instr::abc(ours, a, b, c, false), nop())
                    } else if ours == OpCode::AddI {
                        // `sC + R[B]`: sC in the scratch register, then R[B].
                        uses_scratch = true;
                        let load = Instr::asbx(OpCode::LoadI, scratch, sc);
                        (load, Instr::abc(OpCode::Add, a, scratch, b, false))
                    } else {
                        return Err(BAD);
                    }
                }
                (OpCode::ShlI | OpCode::AddI | OpCode::ShrI, _) => return Err(BAD),
                (_, MMBINK) if ma == b && mb == c && mc == tm && is_k_op(ours) => {
                    if !flip {
                        (Instr::abc(ours, a, b, c, false), nop())
                    } else if commutes {
                        let reg_op = register_form(ours).ok_or(BAD)?;
                        uses_scratch = true;
                        let load = Instr::abx(OpCode::LoadK, scratch, c);
                        (load, Instr::abc(reg_op, a, scratch, b, false))
                    } else {
                        return Err(BAD);
                    }
                }
                (_, MMBIN) if ma == b && mb == c && mc == tm && !is_k_op(ours) => {
                    (Instr::abc(ours, a, b, c, false), nop())
                }
                _ => return Err(BAD),
            };
            code.push(first);
            code.push(second);
            seconds[pc + 1] = true;
            pc += 2;
            continue;
        }
        match ours {
            OpCode::NewTable => {
                // Its EXTRAARG always follows: the high part of the array
                // size. Ours takes a clamped size hint and no EXTRAARG.
                let (next_op, ..) = raw.get(pc + 1).copied().map(fields).ok_or(BAD)?;
                if next_op != EXTRAARG {
                    return Err(BAD);
                }
                let high = if k { raw[pc + 1] >> 7 } else { 0 };
                let size = (u64::from(high) << 8 | u64::from(c)).min(u64::from(MAX_C));
                code.push(Instr::abc(ours, a, b, size as u32, false));
                code.push(nop());
                seconds[pc + 1] = true;
                pc += 2;
            }
            _ => {
                code.push(Instr::abc(ours, a, b, c, k));
                pc += 1;
            }
        }
    }
    if jumps_into(&code, &seconds) {
        return Err("jump into an instruction pair");
    }
    if uses_scratch {
        p.max_stack = u8::try_from(scratch + 1).map_err(|_| "function needs too many registers")?;
    }
    Ok(code)
}

/// Whether an instruction of `code` may go to one of the pcs marked in
/// `seconds` other than by falling through to it.
fn jumps_into(code: &[Instr], seconds: &[bool]) -> bool {
    code.iter().enumerate().any(|(pc, i)| {
        let next = pc as i64 + 1;
        let bx = i.bx() as i64;
        let to = match i.op() {
            OpCode::Jmp => next + i64::from(i.sj_field()),
            OpCode::ForLoop | OpCode::TForLoop => next - bx,
            OpCode::ForPrep => next + bx + 1,
            OpCode::TForPrep => next + bx,
            OpCode::LFalseSkip => next + 1,
            _ => return false,
        };
        usize::try_from(to).is_ok_and(|to| seconds.get(to) == Some(&true))
    })
}

fn is_k_op(op: OpCode) -> bool {
    use OpCode::*;
    matches!(
        op,
        AddK | SubK | MulK | ModK | PowK | DivK | IDivK | BAndK | BOrK | BXorK
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcode_numbers_follow_lua_5_4() {
        assert_eq!(our_opcode(0), Some(OpCode::Move));
        assert_eq!(our_opcode(19), Some(OpCode::NewTable));
        assert_eq!(our_opcode(45), Some(OpCode::Shr));
        assert_eq!(our_opcode(MMBIN), None);
        assert_eq!(our_opcode(49), Some(OpCode::Unm));
        assert_eq!(our_opcode(56), Some(OpCode::Jmp));
        assert_eq!(our_opcode(68), Some(OpCode::Call));
        assert_eq!(our_opcode(72), Some(OpCode::Return1));
        assert_eq!(our_opcode(81), Some(OpCode::VarArgPrep));
        assert_eq!(our_opcode(EXTRAARG), Some(OpCode::ExtraArg));
        assert_eq!(our_opcode(83), None);
        assert_eq!(our_opcode(127), None);
    }
}
