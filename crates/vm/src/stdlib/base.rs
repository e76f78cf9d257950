//! The base library (reference manual §6.1).

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFunction, NativeKind, Special};
use crate::lua::Libs;
use crate::state::{Finalizable, Global, GlobalRef, Tm};
use crate::stdlib::{set_fn, set_value};
use crate::table::{Table, WeakMode};
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;
use crate::vm::meta::{self, MetaCx};

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, libs: Libs) {
    let t = g.globals;
    set_value(mc, g, t, "_G", Value::Table(t));
    let version = Global::intern(g, mc, b"Lua 5.4");
    set_value(mc, g, t, "_VERSION", Value::String(version));
    for (name, f) in [
        ("print", print as crate::function::NativeFn),
        ("type", lua_type),
        ("tostring", tostring),
        ("tonumber", tonumber),
        ("select", select),
        ("rawget", rawget),
        ("rawset", rawset),
        ("rawequal", rawequal),
        ("rawlen", rawlen),
        ("getmetatable", getmetatable),
        ("setmetatable", setmetatable),
        ("assert", assert),
        ("error", error),
        ("load", load),
        ("collectgarbage", collectgarbage),
    ] {
        set_fn(mc, g, t, name, f);
    }
    let next = Value::Function(Function::Native(NativeFunction::new(mc, "next", next)));
    set_value(mc, g, t, "next", next);
    let pairs = NativeFunction::with_upvalues(
        mc,
        "pairs",
        NativeKind::Plain(pairs),
        &[next, pairs_helper(mc, g)],
    );
    set_value(mc, g, t, "pairs", Value::Function(Function::Native(pairs)));
    let aux = Value::Function(Function::Native(NativeFunction::new(
        mc,
        "ipairs_aux",
        ipairs_aux,
    )));
    let ipairs = NativeFunction::with_upvalues(mc, "ipairs", NativeKind::Plain(ipairs), &[aux]);
    set_value(
        mc,
        g,
        t,
        "ipairs",
        Value::Function(Function::Native(ipairs)),
    );
    for (name, s) in [("pcall", Special::PCall), ("xpcall", Special::XPCall)] {
        let f = NativeFunction::with_upvalues(mc, name, NativeKind::Special(s), &[]);
        set_value(mc, g, t, name, Value::Function(Function::Native(f)));
    }
    // Outside the sandbox warnings go to standard error; in it they are
    // checked and dropped.
    set_fn(mc, g, t, "warn", if libs.io { warn } else { warn_dropped });
    if libs.io {
        set_fn(mc, g, t, "dofile", dofile);
        set_fn(mc, g, t, "loadfile", loadfile);
    }
}

fn print<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let mut out = Vec::new();
    for i in 0..ctx.nargs {
        if i > 0 {
            out.push(b'\t');
        }
        let v = ctx.arg(i);
        match v {
            Value::String(s) => out.extend_from_slice(s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => meta::number_to_bytes(v, &mut out),
            _ => {
                let s = ctx.to_string(v)?;
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out.push(b'\n');
    (ctx.g.host.0.print.borrow_mut())(&out);
    Ok(0)
}

fn lua_type<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let s = ctx.str_value(v.type_name().as_bytes());
    ctx.ret(s)
}

fn tostring<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let s = ctx.to_string(v)?;
    ctx.ret(Value::String(s))
}

fn tonumber<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use crate::vm::convert::{str_to_number, Number};
    if ctx.arg(1).is_nil() {
        let v = ctx.check_any(0)?;
        let r = match v {
            Value::Integer(_) | Value::Number(_) => v,
            Value::String(s) => match str_to_number(s.as_bytes()) {
                Some(Number::Int(i)) => Value::Integer(i),
                Some(Number::Float(f)) => Value::Number(f),
                None => Value::Nil,
            },
            _ => Value::Nil,
        };
        return ctx.ret(r);
    }
    let base = ctx.check_integer(1)?;
    let s = match ctx.arg(0) {
        Value::String(s) => s,
        _ => return Err(ctx.expect_type(0, "string")),
    };
    if !(2..=36).contains(&base) {
        return Err(RtError::bad_arg(2, "base out of range"));
    }
    let r = match crate::text::number::str_to_int_base(s.as_bytes(), base as u32) {
        Some(i) => Value::Integer(i),
        None => Value::Nil,
    };
    ctx.ret(r)
}

fn next<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.check_table(0)?;
    let r = t.borrow().next(ctx.arg(1));
    match r {
        Ok(Some((k, v))) => {
            let mut ctx = ctx;
            ctx.push(k);
            ctx.push(v);
            Ok(2)
        }
        Ok(None) => ctx.ret(Value::Nil),
        // Raised by the API (`lua_next`): no position.
        Err(_) => Err(RtError::Value(ctx.str_value(b"invalid key to 'next'"))),
    }
}

/// `function (mm, t) local a, b, c = mm(t) return a, b, c end`: calls a
/// `__pairs` metamethod and keeps exactly three results.
fn pairs_helper<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) -> Value<'gc> {
    let src = b"return function (mm, t) local a, b, c = mm(t) return a, b, c end";
    let Ok(mut proto) = crate::compiler::compile(src, b"=[C]") else {
        return Value::Nil;
    };
    let Some(inner) = proto.protos.pop() else {
        return Value::Nil;
    };
    let p = crate::function::FnProto::from_proto(mc, &mut Global::strings_mut(g, mc), inner);
    let cl = gc_arena::Gc::new(
        mc,
        crate::function::Closure {
            proto: p,
            upvalues: Box::new([]),
        },
    );
    Value::Function(Function::Lua(cl))
}

fn pairs<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let tm = meta::get_tm(ctx.g, v, Tm::Pairs);
    if !tm.is_nil() {
        // Through a Lua helper that keeps three results, by a tail call:
        // `__pairs` runs as a normal call, which may yield.
        let helper = ctx.upvalue(1);
        return ctx.tail_call(helper, &[tm, v], None);
    }
    // Any value will do: `next` checks it on the first step.
    let next = ctx.upvalue(0);
    ctx.push(next);
    ctx.push(v);
    ctx.push(Value::Nil);
    Ok(3)
}

fn ipairs_aux<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.arg(0);
    let i = ctx.check_integer(1)?.wrapping_add(1);
    let v = match t {
        Value::Table(tb) if tb.metatable().is_none() => tb.get_int(i),
        _ => MetaCx {
            mc: ctx.mc,
            g: ctx.g,
            th: ctx.th,
            ts: ctx.ts,
        }
        .index(t, Value::Integer(i), &|_: &crate::thread::ThreadState<
            'gc,
        >| String::new())?,
    };
    if v.is_nil() {
        return ctx.ret(Value::Nil);
    }
    ctx.push(Value::Integer(i));
    ctx.push(v);
    Ok(2)
}

fn ipairs<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let f = ctx.upvalue(0);
    ctx.push(f);
    ctx.push(v);
    ctx.push(Value::Integer(0));
    Ok(3)
}

fn select<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let n = ctx.nargs as i64 - 1;
    if let Value::String(s) = ctx.arg(0) {
        if s.as_bytes() == b"#" {
            return ctx.ret(Value::Integer(n));
        }
    }
    let i = ctx.check_integer(0)?;
    let start = if i < 0 {
        if -i > n {
            return Err(RtError::bad_arg(1, "index out of range"));
        }
        n + i
    } else if i == 0 {
        return Err(RtError::bad_arg(1, "index out of range"));
    } else {
        (i - 1).min(n)
    };
    let count = (n - start) as usize;
    for j in 0..count {
        let v = ctx.arg(1 + start as usize + j);
        ctx.push(v);
    }
    Ok(count)
}

fn rawget<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.check_table(0)?;
    let k = ctx.check_any(1)?;
    let v = t.get(k);
    ctx.ret(v)
}

fn rawset<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.check_table(0)?;
    let k = ctx.check_any(1)?;
    let v = ctx.check_any(2)?;
    // Raised by the API, not by Lua code: the message has no position.
    if let Err(e) = t.set(ctx.mc, k, v) {
        return Err(RtError::Value(ctx.str_value(e.message().as_bytes())));
    }
    ctx.ret(Value::Table(t))
}

fn rawequal<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let a = ctx.check_any(0)?;
    let b = ctx.check_any(1)?;
    ctx.ret(Value::Boolean(a.raw_eq(b)))
}

fn rawlen<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let n = match ctx.arg(0) {
        Value::Table(t) => t.length(),
        Value::String(s) => s.len() as i64,
        _ => return Err(ctx.expect_type(0, "table or string")),
    };
    ctx.ret(Value::Integer(n))
}

fn getmetatable<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let r = match meta::metatable(ctx.g, v) {
        None => Value::Nil,
        Some(m) => {
            let protected = m.borrow().get_str(ctx.g.tm_name(Tm::Metatable));
            if protected.is_nil() {
                Value::Table(m)
            } else {
                protected
            }
        }
    };
    ctx.ret(r)
}

fn setmetatable<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.check_table(0)?;
    let mt = match ctx.arg(1) {
        Value::Nil => None,
        Value::Table(m) => Some(m),
        _ => return Err(ctx.expect_type(1, "nil or table")),
    };
    if let Some(old) = t.metatable() {
        if !old.borrow().get_str(ctx.g.tm_name(Tm::Metatable)).is_nil() {
            return Err(RtError::msg("cannot change a protected metatable"));
        }
    }
    set_table_metatable(ctx.mc, ctx.g, t, mt);
    ctx.ret(Value::Table(t))
}

/// Sets a table's metatable and registers it for `__gc` and `__mode` handling.
pub fn set_table_metatable<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    t: Table<'gc>,
    mt: Option<Table<'gc>>,
) {
    let mut weak = WeakMode::default();
    let mut has_gc = false;
    if let Some(m) = mt {
        let mb = m.borrow();
        if let Value::String(mode) = mb.get_tm(Tm::Mode as usize, g.tm_name(Tm::Mode)) {
            weak.keys = mode.as_bytes().contains(&b'k');
            weak.values = mode.as_bytes().contains(&b'v');
        }
        has_gc = !mb.get_tm(Tm::Gc as usize, g.tm_name(Tm::Gc)).is_nil();
    }
    let was_weak = {
        let mut tb = t.borrow_mut(mc);
        let was = tb.weak != WeakMode::default();
        tb.meta = mt;
        tb.weak = weak;
        was
    };
    if weak != WeakMode::default() && !was_weak {
        Global::weak_tables_mut(g, mc).push(gc_arena::Gc::downgrade(t.0));
    }
    if has_gc && !g.host.0.closing.get() {
        let mut list = Global::finalizable_mut(g, mc);
        let already = list.iter().any(|f| matches!(f, Finalizable::Table(w) if std::ptr::eq(w.as_ptr(), gc_arena::Gc::as_ptr(t.0))));
        if !already {
            list.push(Finalizable::Table(gc_arena::Gc::downgrade(t.0)));
        }
    }
}

fn assert<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    if v.is_truthy() {
        return Ok(ctx.nargs);
    }
    // Like `error(message)`: a string message gets the caller's position.
    let msg = if ctx.nargs >= 2 {
        ctx.arg(1)
    } else {
        ctx.str_value(b"assertion failed!")
    };
    if let Value::String(s) = msg {
        let w = ctx.where_(1);
        if !w.is_empty() {
            let mut m = w.into_bytes();
            m.extend_from_slice(s.as_bytes());
            return Err(RtError::Value(ctx.str_value(&m)));
        }
    }
    Err(RtError::Value(msg))
}

fn error<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.arg(0);
    let level = ctx.opt_integer(1, 1)?;
    if let Value::String(s) = v {
        if level > 0 {
            let w = ctx.where_(level as usize);
            if !w.is_empty() {
                let mut msg = w.into_bytes();
                msg.extend_from_slice(s.as_bytes());
                return Err(RtError::Value(ctx.str_value(&msg)));
            }
        }
    }
    Err(RtError::Value(v))
}

fn load<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let chunk = ctx.arg(0);
    let source: Vec<u8> = match chunk {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(_) | Value::Number(_) => ctx.check_string(0)?.as_bytes().to_vec(),
        Value::Function(_) => {
            let mut buf = Vec::new();
            loop {
                // Errors of the reader are load's failure, as in lua_load.
                let piece = match ctx.call1(chunk, &[]) {
                    Ok(p) => p,
                    Err(e) if !e.is_catchable() => return Err(e),
                    Err(e) => {
                        let m = match e {
                            RtError::Value(v) => v,
                            RtError::Message(m) | RtError::BadArg { msg: m, .. } => {
                                ctx.str_value(m.as_bytes())
                            }
                            RtError::Limit(_) => Value::Nil,
                        };
                        ctx.push(Value::Nil);
                        ctx.push(m);
                        return Ok(2);
                    }
                };
                match piece {
                    Value::Nil => break,
                    Value::String(s) if s.is_empty() => break,
                    Value::String(s) => buf.extend_from_slice(s.as_bytes()),
                    v @ (Value::Integer(_) | Value::Number(_)) => {
                        meta::number_to_bytes(v, &mut buf)
                    }
                    _ => {
                        ctx.push(Value::Nil);
                        let m = ctx.str_value(b"reader function must return a string");
                        ctx.push(m);
                        return Ok(2);
                    }
                }
            }
            buf
        }
        _ => return Err(ctx.expect_type(0, "function")),
    };
    let name = match ctx.opt_string(1)? {
        Some(n) => n.as_bytes().to_vec(),
        None => match chunk {
            Value::Function(_) => b"=(load)".to_vec(),
            _ => source.clone(),
        },
    };
    let mode = ctx
        .opt_string(2)?
        .map(|m| m.as_bytes().to_vec())
        .unwrap_or_else(|| b"bt".to_vec());
    let env = if ctx.nargs >= 4 {
        ctx.arg(3)
    } else {
        Value::Table(ctx.g.globals)
    };
    load_chunk(ctx, &source, &name, &mode, env)
}

/// Compiles `source` and pushes the function, or nil and the message.
fn load_chunk<'gc>(
    mut ctx: Ctx<'gc, '_>,
    source: &[u8],
    name: &[u8],
    mode: &[u8],
    env: Value<'gc>,
) -> RtResult<'gc, usize> {
    match compile_chunk(&ctx, source, name, mode, env) {
        Ok(f) => ctx.ret(f),
        Err(msg) => {
            ctx.push(Value::Nil);
            let m = ctx.str_value(msg.as_bytes());
            ctx.push(m);
            Ok(2)
        }
    }
}

/// `lua_load`: the function of a chunk, or the error message.
fn compile_chunk<'gc>(
    ctx: &Ctx<'gc, '_>,
    source: &[u8],
    name: &[u8],
    mode: &[u8],
    env: Value<'gc>,
) -> Result<Value<'gc>, String> {
    if source.first() == Some(&0x1b) {
        if !mode.contains(&b'b') {
            return Err(format!(
                "attempt to load a binary chunk (mode is '{}')",
                String::from_utf8_lossy(mode)
            ));
        }
        let proto = crate::stdlib::dump::undump(source, name)?;
        return Ok(binary_closure(ctx.mc, ctx.g, proto, env));
    }
    if !mode.contains(&b't') {
        return Err(format!(
            "attempt to load a text chunk (mode is '{}')",
            String::from_utf8_lossy(mode)
        ));
    }
    match crate::compiler::compile(source, name) {
        Ok(proto) => Ok(crate::lua::load_proto(ctx.mc, ctx.g, proto, env)),
        Err(e) => Err(e.message),
    }
}

/// The function of a binary chunk: its first upvalue is `env`, any other
/// is nil (as `lua_load` leaves them).
fn binary_closure<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    proto: crate::compiler::proto::Proto,
    env: Value<'gc>,
) -> Value<'gc> {
    use crate::function::{Closure, FnProto, UpState};
    let p = FnProto::from_proto(mc, &mut Global::strings_mut(g, mc), proto);
    let upvalues = (0..p.info.0.upvalues.len())
        .map(|i| {
            let v = if i == 0 { env } else { Value::Nil };
            gc_arena::Gc::new(mc, gc_arena::lock::Lock::new(UpState::Closed(v)))
        })
        .collect();
    Value::Function(Function::Lua(gc_arena::Gc::new(
        mc,
        Closure { proto: p, upvalues },
    )))
}

/// The chunk `loadfile`/`dofile` read (`luaL_loadfilex`): the file named
/// by argument 1, or standard input.
fn read_file_arg<'gc>(
    ctx: &Ctx<'gc, '_>,
) -> RtResult<'gc, Result<crate::stdlib::package::Source, String>> {
    let path = ctx.opt_string(0)?;
    Ok(crate::stdlib::package::read_source(
        path.map(|p| p.as_bytes()),
    ))
}

fn loadfile<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let source = read_file_arg(&ctx)?;
    let mode = ctx
        .opt_string(1)?
        .map(|m| m.as_bytes().to_vec())
        .unwrap_or_else(|| b"bt".to_vec());
    let env = if ctx.nargs >= 3 {
        ctx.arg(2)
    } else {
        Value::Table(ctx.g.globals)
    };
    match source {
        Ok((src, name)) => load_chunk(ctx, &src, &name, &mode, env),
        Err(m) => {
            ctx.push(Value::Nil);
            let m = ctx.str_value(m.as_bytes());
            ctx.push(m);
            Ok(2)
        }
    }
}

fn dofile<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let env = Value::Table(ctx.g.globals);
    let f = read_file_arg(&ctx)?
        .and_then(|(src, name)| compile_chunk(&ctx, &src, &name, b"bt", env))
        .map_err(|m| RtError::Value(ctx.str_value(m.as_bytes())))?;
    // A tail call: the chunk may yield, as with PUC-Rio's lua_callk.
    ctx.tail_call(f, &[], None)
}

/// Registry key of the warning switch (`warn("@on")`, `warn("@off")`).
const WARN_KEY: &[u8] = b"_WARN_on";

/// Turns warnings on or off, as `warn("@on")`/`warn("@off")` (and lua.c's `-W`) do.
pub fn set_warnings<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, on: bool) {
    let key = Value::String(Global::intern(g, mc, WARN_KEY));
    let _ = g.registry.set(mc, key, Value::Boolean(on));
}

/// The message of a `warn` call, or `None` for a control message (which
/// it carries out). Warnings start off, as in lua.c.
fn warning<'gc>(ctx: &Ctx<'gc, '_>) -> RtResult<'gc, Option<Vec<u8>>> {
    let mut msg = ctx.check_string(0)?.as_bytes().to_vec();
    for i in 1..ctx.nargs {
        msg.extend_from_slice(ctx.check_string(i)?.as_bytes());
    }
    if ctx.nargs == 1 && msg.first() == Some(&b'@') {
        match &msg[1..] {
            b"on" => set_warnings(ctx.mc, ctx.g, true),
            b"off" => set_warnings(ctx.mc, ctx.g, false),
            _ => {}
        }
        return Ok(None);
    }
    let on = ctx.g.registry.get(ctx.str_value(WARN_KEY)).is_truthy();
    Ok(on.then_some(msg))
}

fn warn<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let Some(msg) = warning(&ctx)? {
        write_warning(&msg);
    }
    Ok(0)
}

fn write_warning(msg: &[u8]) {
    use std::io::Write;
    let mut line = b"Lua warning: ".to_vec();
    line.extend_from_slice(msg);
    line.push(b'\n');
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&line);
}

/// The warning PUC-Rio Lua gives for an error it cannot raise (in a
/// finalizer, `what` = "__gc"), if warnings are on.
pub fn warn_error<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, what: &str, err: Value<'gc>) {
    let key = Value::String(Global::intern(g, mc, WARN_KEY));
    if !g.registry.get(key).is_truthy() {
        return;
    }
    let mut msg = format!("error in {what} (").into_bytes();
    match err {
        Value::String(s) => msg.extend_from_slice(s.as_bytes()),
        _ => msg.extend_from_slice(b"error object is not a string"),
    }
    msg.push(b')');
    write_warning(&msg);
}

fn warn_dropped<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    warning(&ctx)?;
    Ok(0)
}

fn collectgarbage<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.g.host.0.closing.get() {
        // The state is closing (`lua_gc` fails then): no collector to drive.
        return ctx.ret(Value::Nil);
    }
    let opt = ctx
        .opt_string(0)?
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b"collect".to_vec());
    match opt.as_slice() {
        b"collect" | b"step" => {
            ctx.g.budget.0.gc_requested.set(true);
            let r = if opt == b"step" {
                Value::Boolean(true)
            } else {
                Value::Integer(0)
            };
            ctx.ret(r)
        }
        b"count" => {
            let kb = ctx.mc.metrics().total_gc_count() as f64 * 64.0 / 1024.0;
            ctx.ret(Value::Number(kb))
        }
        b"isrunning" => {
            let running = !ctx.g.budget.0.gc_stopped.get();
            ctx.ret(Value::Boolean(running))
        }
        b"incremental" | b"generational" => {
            let budget = &ctx.g.budget.0;
            let was = budget
                .gc_generational
                .replace(opt.as_slice() == b"generational");
            let s = ctx.str_value(if was { b"generational" } else { b"incremental" });
            ctx.ret(s)
        }
        b"stop" | b"restart" => {
            ctx.g.budget.0.gc_stopped.set(opt.as_slice() == b"stop");
            ctx.ret(Value::Integer(0))
        }
        b"setpause" => ctx.ret(Value::Integer(200)),
        b"setstepmul" => ctx.ret(Value::Integer(100)),
        _ => {
            let o = String::from_utf8_lossy(&opt).into_owned();
            Err(RtError::bad_arg(1, format!("invalid option '{o}'")))
        }
    }
}
