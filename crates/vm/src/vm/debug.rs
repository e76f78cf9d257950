//! Positions and tracebacks for error messages.

use crate::compiler::proto::Proto;
use crate::state::GlobalRef;
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
    frame_where_bytes(ts, fi).map(|w| String::from_utf8_lossy(&w).into_owned())
}

/// `frame_where` with the chunk id's exact bytes.
fn frame_where_bytes(ts: &ThreadState<'_>, fi: usize) -> Option<Vec<u8>> {
    let p = frame_proto(ts, fi)?;
    let line = frame_line(ts, fi)?;
    let mut w = crate::compiler::chunk_id(&p.source);
    w.extend_from_slice(format!(":{line}:").as_bytes());
    Some(w)
}

/// Frame index at `level` (level 0 = the running function). The markers of
/// `pcall`/`xpcall` are levels too: they stand for those C functions.
pub fn level_frame(ts: &ThreadState<'_>, level: usize) -> Option<usize> {
    let n = ts.frames.len();
    if level < n {
        Some(n - 1 - level)
    } else {
        None
    }
}

/// How many local variables are active at `pc` (they occupy the first registers).
pub fn active_locals(p: &Proto, pc: usize) -> usize {
    p.local_vars
        .iter()
        .filter(|v| (v.start_pc as usize) <= pc && pc < v.end_pc as usize)
        .count()
}

/// The position luaG_runerror gives a runtime error of the Lua function at
/// `level`: like `where_`, but code without line information (a stripped
/// binary chunk) is "?:-1: ".
pub fn runtime_where(ts: &ThreadState<'_>, level: usize) -> String {
    if let Some(fi) = level_frame(ts, level) {
        if let Some(p) = frame_proto(ts, fi) {
            if p.line_info.is_empty() {
                let id = crate::compiler::chunk_id(&p.source);
                return format!("{}:-1: ", String::from_utf8_lossy(&id));
            }
        }
    }
    where_(ts, level)
}

/// luaL_where: "chunk:line: " for the function at `level`, or "" when it is not Lua.
pub fn where_(ts: &ThreadState<'_>, level: usize) -> String {
    String::from_utf8_lossy(&where_bytes(ts, level)).into_owned()
}

/// `where_` with the chunk id's exact bytes (a chunk id may be cut inside
/// a UTF-8 sequence).
pub fn where_bytes(ts: &ThreadState<'_>, level: usize) -> Vec<u8> {
    level_frame(ts, level)
        .and_then(|fi| frame_where_bytes(ts, fi))
        .map(|mut w| {
            w.push(b' ');
            w
        })
        .unwrap_or_default()
}

/// The name under which `package.loaded` holds a function: `print`,
/// `string.rep`, or a module's name when the module is the function (as
/// luaL_traceback and luaL_argerror report them).
pub fn global_func_name<'gc>(g: GlobalRef<'gc>, f: Value<'gc>) -> Option<String> {
    let loaded = g.registry.borrow().iter().find_map(|(k, v)| match (k, v) {
        (Value::String(k), Value::Table(t))
            if k.as_bytes() == crate::stdlib::package::LOADED_KEY =>
        {
            Some(t)
        }
        _ => None,
    })?;
    let loaded = loaded.borrow();
    // `_G` first: lua5.4 takes the first match in its (per-process random)
    // string order, so a function that a module also exports (`M.error =
    // error`) is named either way there; the global name is the stable one.
    let is_g = |k: &Value<'gc>| matches!(k, Value::String(s) if s.as_bytes() == b"_G");
    let globals = loaded.iter().filter(|(k, _)| is_g(k));
    let modules = loaded.iter().filter(|(k, _)| !is_g(k));
    for (modname, m) in globals.chain(modules) {
        let Value::String(modname) = modname else {
            continue;
        };
        if m.raw_eq(f) {
            return Some(modname.to_str_lossy().into_owned());
        }
        let Value::Table(m) = m else {
            continue;
        };
        for (k, v) in m.borrow().iter() {
            if let Value::String(k) = k {
                if v.raw_eq(f) {
                    let k = k.to_str_lossy();
                    return Some(if modname.as_bytes() == b"_G" {
                        k.into_owned()
                    } else {
                        format!("{}.{}", modname.to_str_lossy(), k)
                    });
                }
            }
        }
    }
    None
}

/// The C calls in progress as PUC-Rio counts them (its `nCcalls`): the
/// host's call, protected calls, natives waiting for a function they
/// called, and nested calls (metamethods, ...).
pub fn c_calls<'gc>(g: GlobalRef<'gc>, ts: &ThreadState<'gc>) -> u32 {
    let in_frames = ts.frames.iter().filter(|f| match f.kind {
        FrameKind::PCall | FrameKind::XPCall => true,
        FrameKind::Native => crate::vm::ctx::is_waiting(f.pc),
        FrameKind::Lua => false,
    });
    1 + in_frames.count() as u32 + g.budget.0.nested.get()
}

/// The name of the message handler under which `load` calls its reader.
pub const READER_HANDLER: &str = "load reader handler";

/// Whether the `xpcall` marker at frame `fi` is `load` calling its reader.
fn is_reader_call(ts: &ThreadState<'_>, fi: usize) -> bool {
    let handler = ts.stack.get(ts.frames[fi].func + 1);
    matches!(handler, Some(Value::Function(Function::Native(nf))) if nf.name.0 == READER_HANDLER)
}

/// A traceback of the thread's frames, innermost first, as `debug.traceback` prints it.
pub fn traceback<'gc>(
    g: GlobalRef<'gc>,
    ts: &ThreadState<'gc>,
    message: Option<&str>,
    level: usize,
) -> String {
    let mut out = String::new();
    if let Some(m) = message {
        out.push_str(m);
        out.push('\n');
    }
    out.push_str("stack traceback:");
    // One line per level, each starting "\n\t".
    let mut levels: Vec<String> = Vec::new();
    let n = ts.frames.len();
    // A protected call at the bottom of the main thread is the host's own
    // (the stand-alone interpreter runs chunks under a message handler, as
    // lua.c does with lua_pcall): it stands for the host, like lua.c's
    // unnamed C function at the bottom.
    let host_frame = !ts.is_coroutine
        && ts
            .frames
            .first()
            .is_some_and(|f| matches!(f.kind, FrameKind::PCall | FrameKind::XPCall));
    let first = usize::from(host_frame);
    for fi in (first..n.saturating_sub(level)).rev() {
        let f = ts.frames[fi];
        match f.kind {
            FrameKind::PCall => levels.push("\n\t[C]: in function 'pcall'".into()),
            // `load` calling its reader: no level of its own in PUC-Rio.
            FrameKind::XPCall if is_reader_call(ts, fi) => {}
            FrameKind::XPCall => levels.push("\n\t[C]: in function 'xpcall'".into()),
            FrameKind::Native => {
                let fv = ts.stack.get(f.func).copied().unwrap_or(Value::Nil);
                match global_func_name(g, fv).or_else(|| caller_name(ts, fi)) {
                    Some(name) if name.contains(' ') => levels.push(format!("\n\t[C]: in {name}")),
                    Some(name) => levels.push(format!("\n\t[C]: in function '{name}'")),
                    None => levels.push("\n\t[C]: in ?".into()),
                }
            }
            FrameKind::Lua => {
                let Some(p) = frame_proto(ts, fi) else {
                    continue;
                };
                let id =
                    String::from_utf8_lossy(&crate::compiler::chunk_id(&p.source)).into_owned();
                // As luaL_traceback: no line (stripped code), no number.
                let place = match frame_line(ts, fi) {
                    Some(l) => format!("{id}:{l}:"),
                    None => format!("{id}:"),
                };
                let fv = ts.stack.get(f.func).copied().unwrap_or(Value::Nil);
                // As luaL_traceback: a global name, then the caller's name
                // for it, and only then "main chunk".
                let what = if let Some(name) = global_func_name(g, fv) {
                    format!("in function '{name}'")
                } else if let Some(n) = caller_name(ts, fi) {
                    format!("in {n}")
                } else if p.line_defined == 0 {
                    "in main chunk".to_string()
                } else {
                    format!("in function <{}:{}>", id, p.line_defined)
                };
                levels.push(format!("\n\t{place} {what}"));
                if f.tail {
                    levels.push("\n\t(...tail calls...)".into());
                }
            }
        }
    }
    if !ts.is_coroutine && n > level {
        levels.push("\n\t[C]: in ?".into());
    }
    // As luaL_traceback: past 22 levels, the first 10 and the last 11 (its
    // count of skipped levels is one short).
    const FIRST: usize = 10;
    const LAST: usize = 11;
    if levels.len() > FIRST + LAST + 1 {
        let skipped = levels.len() - FIRST - LAST;
        for l in &levels[..FIRST] {
            out.push_str(l);
        }
        out.push_str(&format!("\n\t...\t(skipping {} levels)", skipped - 1));
        for l in &levels[levels.len() - LAST..] {
            out.push_str(l);
        }
    } else {
        for l in &levels {
            out.push_str(l);
        }
    }
    out
}

/// How the caller of frame `fi` named the function (kind, name), when the
/// caller is a Lua function.
pub fn called_name(ts: &ThreadState<'_>, fi: usize) -> Option<(&'static str, String)> {
    let (kind, name) = called_name_bytes(ts, fi)?;
    Some((kind, String::from_utf8_lossy(&name).into_owned()))
}

/// `called_name` with the name's bytes. A function called by a tail call
/// has no name; a hook function is named "?", of kind "hook"; a finalizer
/// is the metamethod "__gc".
pub fn called_name_bytes(ts: &ThreadState<'_>, fi: usize) -> Option<(&'static str, Vec<u8>)> {
    if ts.frames.get(fi)?.tail {
        return None;
    }
    call_site_name(ts, fi)
}

/// How the instruction of frame `fi - 1` names the function it calls into
/// frame `fi` (which need not exist yet).
fn call_site_name(ts: &ThreadState<'_>, fi: usize) -> Option<(&'static str, Vec<u8>)> {
    let caller = fi.checked_sub(1)?;
    if ts.hook.running == Some(caller) {
        return Some(("hook", b"?".to_vec()));
    }
    if ts.finalizer_frame == Some(fi) {
        return Some(("metamethod", b"__gc".to_vec()));
    }
    let p = frame_proto(ts, caller)?;
    let pc = ts.frames[caller].pc.saturating_sub(1);
    crate::compiler::debuginfo::describe_called_function(p, pc)
}

/// "attempt to call a nil value (global 'f')" as luaG_callerror words it:
/// the name comes from the call site (the running function's instruction),
/// so a `__call` chain ending in a non-callable value is named after the
/// value first called.
pub fn call_error_text<'gc>(g: GlobalRef<'gc>, ts: &ThreadState<'gc>, v: Value<'gc>) -> String {
    let what = call_site_name(ts, ts.frames.len())
        .map(|(kind, name)| format!(" ({kind} '{}')", String::from_utf8_lossy(&name)))
        .unwrap_or_default();
    format!(
        "attempt to call a {} value{what}",
        crate::vm::meta::type_name_meta(g, v)
    )
}

/// How the caller of frame `fi` named it ("function 'f'", "method 'm'", ...).
fn caller_name(ts: &ThreadState<'_>, fi: usize) -> Option<String> {
    let (kind, name) = called_name(ts, fi)?;
    Some(match kind {
        "global" => format!("function '{name}'"),
        "for iterator" => "for iterator 'for iterator'".to_string(),
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
