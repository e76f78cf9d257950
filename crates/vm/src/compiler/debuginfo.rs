//! Questions about compiled code that error messages and tracebacks ask:
//! what a register holds, and what name a called function was reached by.

use super::opcode::OpCode;
use super::proto::{Constant, Proto};

/// The name of the local variable in register `reg` at instruction `pc`.
pub fn local_name(proto: &Proto, reg: usize, pc: usize) -> Option<&[u8]> {
    let mut n = reg;
    for v in &proto.local_vars {
        if v.start_pc as usize > pc {
            break;
        }
        if pc < v.end_pc as usize {
            if n == 0 {
                return Some(&v.name);
            }
            n -= 1;
        }
    }
    None
}

/// A string constant as a name in messages: PUC-Rio passes it as a C
/// string, so it ends at its first zero byte.
fn const_str(proto: &Proto, k: usize) -> Option<Vec<u8>> {
    match proto.constants.get(k) {
        Some(Constant::String(s)) => Some(crate::text::c_str(s).to_vec()),
        _ => None,
    }
}

fn upvalue_name(proto: &Proto, u: usize) -> Vec<u8> {
    proto
        .upvalues
        .get(u)
        .map(|d| d.name.to_vec())
        .unwrap_or_else(|| b"?".to_vec())
}

/// Whether an instruction writes its A register.
fn sets_a(op: OpCode) -> bool {
    op == OpCode::TestSet
        || !(op.is_test()
            || matches!(
                op,
                OpCode::Jmp
                    | OpCode::SetTabUp
                    | OpCode::SetTable
                    | OpCode::SetI
                    | OpCode::SetField
                    | OpCode::SetUpval
                    | OpCode::SetList
                    | OpCode::Return
                    | OpCode::Return0
                    | OpCode::Return1
                    | OpCode::Close
                    | OpCode::Tbc
                    | OpCode::ExtraArg
                    | OpCode::VarArgPrep
                    | OpCode::TForLoop
            ))
}

/// The last instruction before `lastpc` that wrote register `reg`, unless
/// that write is conditional (it lies inside the range of a forward jump).
fn find_setter(proto: &Proto, lastpc: usize, reg: usize) -> Option<usize> {
    let mut found = None;
    let mut jmp_target = 0;
    for (pc, ins) in proto.code.iter().enumerate().take(lastpc) {
        let a = ins.a();
        let writes = match ins.op() {
            OpCode::LoadNil => a <= reg && reg <= a + ins.b(),
            OpCode::TForCall => reg >= a + 2,
            OpCode::Call | OpCode::TailCall => reg >= a,
            OpCode::Jmp => {
                let dest = pc as i64 + 1 + ins.sj_field() as i64;
                if dest <= lastpc as i64 && dest > jmp_target as i64 {
                    jmp_target = dest as usize;
                }
                false
            }
            op => sets_a(op) && reg == a,
        };
        if writes {
            found = if pc < jmp_target { None } else { Some(pc) };
        }
    }
    found
}

/// The name of a register used as a key: only constant strings are meaningful.
fn reg_key_name(proto: &Proto, pc: usize, reg: usize) -> Vec<u8> {
    match describe_register(proto, pc, reg) {
        Some(("constant", s)) => s,
        _ => b"?".to_vec(),
    }
}

/// What the value in `reg` just before `pc` is called: ("local", name),
/// ("global", name), ("field", name), ("upvalue", name), ("constant", s), ("method", name).
pub fn describe_register(proto: &Proto, pc: usize, reg: usize) -> Option<(&'static str, Vec<u8>)> {
    if let Some(name) = local_name(proto, reg, pc) {
        return Some(("local", name.to_vec()));
    }
    let setter = find_setter(proto, pc, reg)?;
    let ins = proto.code[setter];
    let is_env = |name: Option<&[u8]>| name == Some(b"_ENV".as_slice());
    match ins.op() {
        OpCode::Move => {
            let b = ins.b();
            if b < ins.a() {
                return describe_register(proto, setter, b);
            }
            None
        }
        OpCode::GetTabUp => {
            let name = const_str(proto, ins.c()).unwrap_or_else(|| b"?".to_vec());
            let env = is_env(Some(&upvalue_name(proto, ins.b())));
            Some((if env { "global" } else { "field" }, name))
        }
        OpCode::GetField | OpCode::GetTable => {
            let name = if ins.op() == OpCode::GetField {
                const_str(proto, ins.c()).unwrap_or_else(|| b"?".to_vec())
            } else {
                reg_key_name(proto, setter, ins.c())
            };
            let t = describe_register(proto, setter, ins.b());
            let env = matches!(&t, Some(("local" | "upvalue", n)) if n == b"_ENV");
            Some((if env { "global" } else { "field" }, name))
        }
        OpCode::GetI => Some(("field", b"integer index".to_vec())),
        OpCode::GetUpval => Some(("upvalue", upvalue_name(proto, ins.b()))),
        OpCode::LoadK => const_str(proto, ins.bx()).map(|s| ("constant", s)),
        OpCode::LoadKx => {
            let k = proto.code.get(setter + 1)?.ax_field();
            const_str(proto, k).map(|s| ("constant", s))
        }
        OpCode::OpSelf => {
            let name = if ins.k() {
                const_str(proto, ins.c()).unwrap_or_else(|| b"?".to_vec())
            } else {
                reg_key_name(proto, setter, ins.c())
            };
            Some(("method", name))
        }
        _ => None,
    }
}

/// The name the function called at `pc` was reached by.
pub fn describe_called_function(proto: &Proto, pc: usize) -> Option<(&'static str, Vec<u8>)> {
    let ins = *proto.code.get(pc)?;
    let event: &str = match ins.op() {
        OpCode::Call | OpCode::TailCall => return describe_register(proto, pc, ins.a()),
        OpCode::TForCall => return Some(("for iterator", b"for iterator".to_vec())),
        OpCode::GetTabUp | OpCode::GetTable | OpCode::GetI | OpCode::GetField | OpCode::OpSelf => {
            "index"
        }
        OpCode::SetTabUp | OpCode::SetTable | OpCode::SetI | OpCode::SetField => "newindex",
        OpCode::AddI if ins.k() => "sub",
        OpCode::ShrI if ins.k() => "shl",
        OpCode::Add | OpCode::AddI | OpCode::AddK => "add",
        OpCode::Sub | OpCode::SubK => "sub",
        OpCode::Mul | OpCode::MulK => "mul",
        OpCode::Mod | OpCode::ModK => "mod",
        OpCode::Pow | OpCode::PowK => "pow",
        OpCode::Div | OpCode::DivK => "div",
        OpCode::IDiv | OpCode::IDivK => "idiv",
        OpCode::BAnd | OpCode::BAndK => "band",
        OpCode::BOr | OpCode::BOrK => "bor",
        OpCode::BXor | OpCode::BXorK => "bxor",
        OpCode::Shl | OpCode::ShlI => "shl",
        OpCode::Shr | OpCode::ShrI => "shr",
        OpCode::Unm => "unm",
        OpCode::BNot => "bnot",
        OpCode::Len => "len",
        OpCode::Concat => "concat",
        OpCode::Eq => "eq",
        OpCode::Lt | OpCode::LtI | OpCode::GtI => "lt",
        OpCode::Le | OpCode::LeI | OpCode::GeI => "le",
        OpCode::Close | OpCode::Return => "close",
        _ => return None,
    };
    Some(("metamethod", event.as_bytes().to_vec()))
}

/// A readable listing of `proto` and its nested functions (for debugging).
pub fn disassemble(proto: &Proto) -> String {
    let mut out = String::new();
    disassemble_into(proto, &mut out);
    out
}

fn disassemble_into(proto: &Proto, out: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "function <{}:{}> params={} vararg={} stack={} upvalues={:?}",
        String::from_utf8_lossy(&super::chunk_id(&proto.source)),
        proto.line_defined,
        proto.num_params,
        proto.is_vararg,
        proto.max_stack,
        proto
            .upvalues
            .iter()
            .map(|u| format!(
                "{}:{}{}",
                String::from_utf8_lossy(&u.name),
                if u.in_stack { "R" } else { "U" },
                u.index
            ))
            .collect::<Vec<_>>()
    );
    for (pc, ins) in proto.code.iter().enumerate() {
        let line = proto.line_info.get(pc).copied().unwrap_or(0);
        let args = match ins.op() {
            OpCode::LoadI | OpCode::LoadF | OpCode::ForLoop | OpCode::ForPrep => {
                format!(
                    "{} {}",
                    ins.a(),
                    if ins.op() == OpCode::LoadI || ins.op() == OpCode::LoadF {
                        ins.sbx()
                    } else {
                        ins.bx() as i32
                    }
                )
            }
            OpCode::LoadK | OpCode::Closure | OpCode::TForPrep | OpCode::TForLoop => {
                format!("{} {}", ins.a(), ins.bx())
            }
            OpCode::Jmp => format!(
                "{} -> {}",
                ins.sj_field(),
                pc as i64 + 1 + ins.sj_field() as i64
            ),
            OpCode::ExtraArg => format!("{}", ins.ax_field()),
            OpCode::EqI | OpCode::LtI | OpCode::LeI | OpCode::GtI | OpCode::GeI => {
                format!("{} {} {} k={}", ins.a(), ins.sb(), ins.c(), ins.k() as u8)
            }
            OpCode::AddI | OpCode::ShrI | OpCode::ShlI => {
                format!("{} {} {}", ins.a(), ins.b(), ins.sc())
            }
            _ => format!("{} {} {} k={}", ins.a(), ins.b(), ins.c(), ins.k() as u8),
        };
        let _ = writeln!(out, "  {pc:4} [{line}] {:?} {args}", ins.op());
    }
    let _ = writeln!(out, "  constants: {:?}", proto.constants);
    let locals: Vec<String> = proto
        .local_vars
        .iter()
        .map(|l| {
            format!(
                "{}@{}-{}",
                String::from_utf8_lossy(&l.name),
                l.start_pc,
                l.end_pc
            )
        })
        .collect();
    let _ = writeln!(out, "  locals: {}", locals.join(" "));
    for p in &proto.protos {
        disassemble_into(p, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `LUNARENA_DIS=file.lua cargo test -p lunarena-vm --lib dump_listing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn dump_listing() {
        let path = std::env::var("LUNARENA_DIS").unwrap_or_default();
        let src = std::fs::read(&path).unwrap_or_default();
        match super::super::compile(&src, format!("@{path}").as_bytes()) {
            Ok(p) => println!("{}", disassemble(&p)),
            Err(e) => println!("{}", e.message),
        }
    }
}
