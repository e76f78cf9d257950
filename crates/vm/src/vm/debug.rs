//! Positions and tracebacks for error messages.

use crate::compiler::proto::Proto;
use crate::thread::{FrameKind, ThreadState};
use crate::value::{Function, Value};

/// The prototype of the Lua function running in frame `fi`, if it is one.
pub fn frame_proto<'gc>(ts: &ThreadState<'gc>, fi: usize) -> Option<&'gc Proto> {
    let f = ts.frames.get(fi)?;
    if f.kind != FrameKind::Lua {
        return None;
    }
    match ts.stack.get(f.func)? {
        Value::Function(Function::Lua(cl)) => Some(&gc_arena::Gc::as_ref(cl.proto).info.0),
        _ => None,
    }
}

/// The line being executed by frame `fi` (its pc points past the current instruction).
pub fn frame_line(ts: &ThreadState<'_>, fi: usize) -> Option<u32> {
    let p = frame_proto(ts, fi)?;
    let pc = ts.frames[fi].pc.saturating_sub(1);
    p.line_info.get(pc).copied()
}

/// "chunk:line:" for a Lua frame.
pub fn frame_where(ts: &ThreadState<'_>, fi: usize) -> Option<String> {
    let p = frame_proto(ts, fi)?;
    let line = frame_line(ts, fi)?;
    let id = crate::compiler::chunk_id(&p.source);
    Some(format!("{}:{}:", String::from_utf8_lossy(&id), line))
}

/// Frame index at `level` counting only function frames from the top
/// (level 0 = the running function); markers of pcall are skipped.
pub fn level_frame(ts: &ThreadState<'_>, level: usize) -> Option<usize> {
    let mut remaining = level;
    for fi in (0..ts.frames.len()).rev() {
        match ts.frames[fi].kind {
            FrameKind::Lua | FrameKind::Native => {
                if remaining == 0 {
                    return Some(fi);
                }
                remaining -= 1;
            }
            FrameKind::PCall | FrameKind::XPCall => {}
        }
    }
    None
}

/// luaL_where: "chunk:line: " for the function at `level`, or "" when it is not Lua.
pub fn where_(ts: &ThreadState<'_>, level: usize) -> String {
    level_frame(ts, level)
        .and_then(|fi| frame_where(ts, fi))
        .map(|w| format!("{w} "))
        .unwrap_or_default()
}

/// A traceback of the thread's frames, innermost first, as `debug.traceback` prints it.
pub fn traceback(ts: &ThreadState<'_>, message: Option<&str>, level: usize) -> String {
    let mut out = String::new();
    if let Some(m) = message {
        out.push_str(m);
        out.push('\n');
    }
    out.push_str("stack traceback:");
    let mut lvl = 0usize;
    for fi in (0..ts.frames.len()).rev() {
        let f = ts.frames[fi];
        match f.kind {
            FrameKind::PCall | FrameKind::XPCall => continue,
            FrameKind::Native => {
                if lvl >= level {
                    let name = match ts.stack.get(f.func) {
                        Some(Value::Function(Function::Native(n))) => n.name.0,
                        _ => "?",
                    };
                    out.push_str(&format!("\n\t[C]: in function '{name}'"));
                }
            }
            FrameKind::Lua => {
                if lvl >= level {
                    let Some(p) = frame_proto(ts, fi) else {
                        continue;
                    };
                    let id =
                        String::from_utf8_lossy(&crate::compiler::chunk_id(&p.source)).into_owned();
                    let line = frame_line(ts, fi)
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "?".into());
                    let what = if p.line_defined == 0 {
                        "in main chunk".to_string()
                    } else {
                        match caller_name(ts, fi) {
                            Some(n) => format!("in {n}"),
                            None => format!("in function <{}:{}>", id, p.line_defined),
                        }
                    };
                    out.push_str(&format!("\n\t{id}:{line}: {what}"));
                }
            }
        }
        lvl += 1;
    }
    out
}

/// How the caller of frame `fi` named it ("function 'f'", "method 'm'", ...).
fn caller_name(ts: &ThreadState<'_>, fi: usize) -> Option<String> {
    let caller = (0..fi).rev().find(|&i| {
        ts.frames[i].kind != FrameKind::PCall && ts.frames[i].kind != FrameKind::XPCall
    })?;
    let p = frame_proto(ts, caller)?;
    let pc = ts.frames[caller].pc.saturating_sub(1);
    let (kind, name) = crate::compiler::debuginfo::describe_called_function(p, pc)?;
    let name = String::from_utf8_lossy(&name).into_owned();
    Some(match kind {
        "global" => format!("function '{name}'"),
        "method" => format!("method '{name}'"),
        "field" => format!("field '{name}'"),
        "local" => format!("local '{name}'"),
        "upvalue" => format!("upvalue '{name}'"),
        "metamethod" => format!("metamethod '{name}'"),
        other => format!("{other} '{name}'"),
    })
}

/// " (local 'x')"-style suffix naming the value in register `reg` of frame `fi`.
pub fn describe_reg(ts: &ThreadState<'_>, fi: usize, reg: usize) -> String {
    let Some(p) = frame_proto(ts, fi) else {
        return String::new();
    };
    let pc = ts.frames[fi].pc.saturating_sub(1);
    match crate::compiler::debuginfo::describe_register(p, pc, reg) {
        Some((kind, name)) => format!(" ({kind} '{}')", String::from_utf8_lossy(&name)),
        None => String::new(),
    }
}

/// " (constant 'x')"-style suffix for a constant operand.
pub fn describe_constant(v: Value<'_>) -> String {
    match v {
        Value::String(s) => format!(" (constant '{}')", s.to_str_lossy()),
        _ => String::new(),
    }
}
