//! The base library (reference manual §6.1).

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFunction, NativeKind, Special};
use crate::lua::Libs;
use crate::state::{Finalizable, Global, GlobalRef, Tm};
use crate::stdlib::mcx;
use crate::stdlib::{set_fn, set_value};
use crate::table::{Table, WeakMode};
use crate::text::c_str;
use crate::thread::{FrameKind, ThreadState};
use crate::userdata::UserData;
use crate::value::{Function, Value};
use crate::vm::cont;
use crate::vm::ctx::Ctx;
use crate::vm::meta;

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
    // `load` calls a reader function through `xpcall` (its errors are
    // load's failure), with a handler passing them on to the enclosing one.
    let xpcall =
        NativeFunction::with_upvalues(mc, "xpcall", NativeKind::Special(Special::XPCall), &[]);
    let forward = NativeFunction::new(mc, crate::vm::debug::READER_HANDLER, reader_error);
    let load = NativeFunction::with_upvalues(
        mc,
        "load",
        NativeKind::Plain(load),
        &[
            Value::Function(Function::Native(xpcall)),
            Value::Function(Function::Native(forward)),
        ],
    );
    set_value(mc, g, t, "load", Value::Function(Function::Native(load)));
    // Outside the sandbox warnings go to standard error; in it they are
    // checked and dropped.
    set_fn(mc, g, t, "warn", if libs.io { warn } else { warn_dropped });
    if libs.io {
        set_fn(mc, g, t, "dofile", dofile);
        set_fn(mc, g, t, "loadfile", loadfile);
    }
}

fn print<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    // Back from the print function (nothing kept), or from a `__tostring`
    // call (see `Ctx::call_then`): then after the n arguments, the text so
    // far and the index being converted.
    if ctx.resumed() && ctx.nargs == 0 {
        return Ok(0);
    }
    let (n, mut i, mut out) = if ctx.resumed() {
        let n = ctx.nargs - 3;
        let mut out = cont::take::<Vec<u8>>(ctx.arg(n));
        let s = meta::tostring_result(ctx.mc, ctx.g, ctx.arg(n + 2))?;
        out.extend_from_slice(s.as_bytes());
        let i = match ctx.arg(n + 1) {
            Value::Integer(i) => i as usize + 1,
            _ => n,
        };
        (n, i, out)
    } else {
        (ctx.nargs, 0, Vec::new())
    };
    while i < n {
        if i > 0 {
            out.push(b'\t');
        }
        let v = ctx.arg(i);
        match v {
            Value::String(s) => out.extend_from_slice(s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => meta::number_to_bytes(v, &mut out),
            _ => {
                let tm = meta::get_tm(ctx.g, v, Tm::ToString);
                if !tm.is_nil() {
                    let held = ctx.arg(n);
                    ctx.set_args(n);
                    let buf = cont::stash(ctx.mc, held, out);
                    ctx.push(buf);
                    ctx.push(Value::Integer(i as i64));
                    return ctx.call_then(tm, &[v], 1);
                }
                out.extend_from_slice(&meta::tostring_raw(ctx.g, v));
            }
        }
        i += 1;
    }
    out.push(b'\n');
    let print_function = ctx.g.print_function.get();
    if !print_function.is_nil() {
        let text = ctx.str_value(&out);
        ctx.set_args(0);
        return ctx.call_then(print_function, &[text], 0);
    }
    (ctx.g.host.0.print.borrow_mut())(&out);
    Ok(0)
}

fn lua_type<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let s = ctx.str_value(v.type_name().as_bytes());
    ctx.ret(s)
}

fn tostring<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        // `__tostring` returned (see `Ctx::call_then`).
        let s = meta::tostring_result(ctx.mc, ctx.g, ctx.arg(1))?;
        return ctx.ret(Value::String(s));
    }
    let v = ctx.check_any(0)?;
    let tm = meta::get_tm(ctx.g, v, Tm::ToString);
    if !tm.is_nil() {
        ctx.set_args(1);
        return ctx.call_then(tm, &[v], 1);
    }
    let s = ctx.intern(&meta::tostring_raw(ctx.g, v));
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
/// Compiled once per process (every new VM needs it, and compiling costs
/// more than the rest of opening the base library).
fn pairs_helper<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) -> Value<'gc> {
    static PROTO: std::sync::OnceLock<Option<crate::compiler::proto::Proto>> =
        std::sync::OnceLock::new();
    let proto = PROTO.get_or_init(|| {
        let src = b"return function (mm, t) local a, b, c = mm(t) return a, b, c end";
        let mut inner = crate::compiler::compile(src, b"=[C]")
            .ok()
            .and_then(|mut chunk| chunk.protos.pop())?;
        // It stands for `pairs` itself, a C function in PUC-Rio Lua: no lines
        // (error positions and tracebacks show "[C]") and no names for what it
        // calls.
        inner.line_info.clear();
        inner.local_vars.clear();
        Some(inner)
    });
    let Some(inner) = proto.clone() else {
        return Value::Nil;
    };
    let p = crate::function::FnProto::from_proto(mc, &mut Global::strings_mut(g, mc), inner);
    let cl = crate::function::Closure::new(mc, p, []);
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
        // An `__index` function returned (see below).
        _ if ctx.resumed() => ctx.arg(2),
        Value::Table(tb) if tb.metatable().is_none() => tb.get_int(i),
        Value::Table(tb) => match tb.get_int(i) {
            Value::Nil => match meta::get_tm(ctx.g, t, Tm::Index) {
                // Called as a normal call, which may await the host.
                f @ Value::Function(_) => {
                    ctx.set_args(2);
                    return ctx.call_then(f, &[t, Value::Integer(i)], 1);
                }
                _ => index_meta(&mut ctx, t, i)?,
            },
            v => v,
        },
        _ => index_meta(&mut ctx, t, i)?,
    };
    if v.is_nil() {
        return ctx.ret(Value::Nil);
    }
    ctx.push(Value::Integer(i));
    ctx.push(v);
    Ok(2)
}

/// `t[i]` with metamethods, through nested calls.
fn index_meta<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>, i: i64) -> RtResult<'gc, Value<'gc>> {
    mcx(ctx).index(t, Value::Integer(i), &|_: &crate::thread::ThreadState<
        'gc,
    >| String::new())
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
        // `i < -n` rather than `-i > n`: -mininteger overflows.
        if i < -n {
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
        Value::Nil if ctx.nargs < 2 => return Err(ctx.expect_type(1, "nil or table")),
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
    // An object is marked for finalization once, until its finalizer is
    // queued; none is marked while the state closes.
    let mark_for_gc = has_gc && !g.budget.0.gc.closing.get();
    let (was_weak, newly_marked) = {
        let mut tb = t.borrow_mut(mc);
        let was = tb.weak != WeakMode::default();
        tb.meta = mt;
        tb.weak = weak;
        (was, mark_for_gc && !tb.gc_marked.replace(true))
    };
    if weak != WeakMode::default() && !was_weak {
        Global::weak_tables_mut(g, mc).push(gc_arena::Gc::downgrade(t.0));
    }
    if newly_marked {
        Global::finalizable_mut(g, mc).push(Finalizable::Table(gc_arena::Gc::downgrade(t.0)));
    }
}

/// Sets a userdata's metatable (`debug.setmetatable`) and marks the
/// userdata for finalization if the metatable has `__gc`.
pub fn set_userdata_metatable<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    u: UserData<'gc>,
    mt: Option<Table<'gc>>,
) {
    u.set_metatable(mc, mt);
    let has_gc = mt.is_some_and(|m| {
        !m.borrow()
            .get_tm(Tm::Gc as usize, g.tm_name(Tm::Gc))
            .is_nil()
    });
    if has_gc && !g.budget.0.gc.closing.get() && !u.0.gc_marked.replace(true) {
        Global::finalizable_mut(g, mc).push(Finalizable::UserData(gc_arena::Gc::downgrade(u.0)));
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
            let mut m = w;
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
                let mut msg = w;
                msg.extend_from_slice(s.as_bytes());
                return Err(RtError::Value(ctx.str_value(&msg)));
            }
        }
    }
    Err(RtError::Value(v))
}

fn load<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        return load_read(ctx);
    }
    // Arguments are checked in lua5.4's order: mode, chunk name, chunk.
    ctx.opt_string(2)?;
    ctx.opt_string(1)?;
    let chunk = ctx.arg(0);
    let source: Vec<u8> = match chunk {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Integer(_) | Value::Number(_) => ctx.check_string(0)?.as_bytes().to_vec(),
        Value::Function(_) => {
            // Read the pieces with `Ctx::call_then` (the reader may yield or
            // await). State after the four arguments: the text so far and
            // how many arguments were given.
            let given = ctx.nargs;
            ctx.set_args(4);
            let buf = cont::stash(ctx.mc, Value::Nil, Vec::<u8>::new());
            ctx.push(buf);
            ctx.push(Value::Integer(given as i64));
            return read_piece(ctx);
        }
        _ => return Err(ctx.expect_type(0, "function")),
    };
    load_source(ctx, source)
}

/// Calls the reader of `load` (protected: its errors are load's failure).
fn read_piece<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (xpcall, forward, reader) = (ctx.upvalue(0), ctx.upvalue(1), ctx.arg(0));
    ctx.call_then(xpcall, &[reader, forward], 2)
}

/// The message handler of the reader's `xpcall`: lua_load runs the reader
/// under the message handler active where `load` was called, so an error
/// goes to that handler (in place of this one, for tracebacks), if any.
fn reader_error<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.arg(0);
    // `load`'s own marker is the innermost one below this handler's call.
    let below = ctx.ts.handler_floor.min(ctx.ts.frames.len());
    let handler = innermost_protected(ctx.ts, below).and_then(|own| enclosing_handler(ctx.ts, own));
    match handler {
        Some(h) => ctx.tail_call(h, &[v], Some(1)),
        None => ctx.ret(v),
    }
}

/// The innermost `pcall`/`xpcall` marker below frame `below`, not past a
/// finalizer (which runs with no message handler).
fn innermost_protected(ts: &ThreadState<'_>, below: usize) -> Option<usize> {
    let floor = ts.finalizer_frame.unwrap_or(0);
    (floor..below)
        .rev()
        .find(|&i| matches!(ts.frames[i].kind, FrameKind::PCall | FrameKind::XPCall))
}

/// The message handler that handles an error raised above frame `below`.
fn enclosing_handler<'gc>(ts: &ThreadState<'gc>, below: usize) -> Option<Value<'gc>> {
    let m = innermost_protected(ts, below)?;
    let f = ts.frames[m];
    (f.kind == FrameKind::XPCall).then(|| ts.stack[f.func + 1])
}

/// `load` with a reader, after the reader returned.
fn load_read<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (buf, ok, piece) = (ctx.arg(4), ctx.arg(6), ctx.arg(7));
    if !ok.is_truthy() {
        ctx.push(Value::Nil);
        ctx.push(piece);
        return Ok(2);
    }
    let mut text = cont::take::<Vec<u8>>(buf);
    match piece {
        Value::String(s) if !s.is_empty() => text.extend_from_slice(s.as_bytes()),
        v @ (Value::Integer(_) | Value::Number(_)) => meta::number_to_bytes(v, &mut text),
        Value::Nil | Value::String(_) => {
            let given = match ctx.arg(5) {
                Value::Integer(n) => n as usize,
                _ => 1,
            };
            ctx.set_args(given.min(4));
            return load_source(ctx, text);
        }
        _ => {
            ctx.push(Value::Nil);
            // Raised by luaL_error in PUC-Rio: positioned, and handled by
            // the active message handler.
            let mut w = ctx.where_(1);
            w.extend_from_slice(b"reader function must return a string");
            let mut m = ctx.str_value(&w);
            if let Some(h) = enclosing_handler(ctx.ts, ctx.ts.frames.len() - 1) {
                m = ctx.call(h, &[m])?.first().copied().unwrap_or(Value::Nil);
            }
            ctx.push(m);
            return Ok(2);
        }
    }
    cont::stash(ctx.mc, buf, text);
    ctx.set_args(6);
    read_piece(ctx)
}

/// The rest of `load`, once the source is read: name, mode, environment.
fn load_source<'gc>(ctx: Ctx<'gc, '_>, source: Vec<u8>) -> RtResult<'gc, usize> {
    let chunk = ctx.arg(0);
    let name = match ctx.opt_string(1)? {
        Some(n) => c_str(n.as_bytes()).to_vec(),
        None => match chunk {
            Value::Function(_) => b"=(load)".to_vec(),
            _ => c_str(&source).to_vec(),
        },
    };
    let mode = ctx
        .opt_string(2)?
        .map(|m| c_str(m.as_bytes()).to_vec())
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
    match compile_chunk_bytes(&ctx, source, name, mode, env) {
        Ok(f) => ctx.ret(f),
        Err(msg) => {
            let mut m = ctx.str_value(&msg);
            // A runtime error in PUC-Rio (unlike syntax errors): handled
            // by the active message handler.
            if msg == crate::compiler::C_STACK_OVERFLOW.as_bytes() {
                if let Some(h) = enclosing_handler(ctx.ts, ctx.ts.frames.len() - 1) {
                    m = ctx.call(h, &[m])?.first().copied().unwrap_or(Value::Nil);
                }
            }
            ctx.push(Value::Nil);
            ctx.push(m);
            Ok(2)
        }
    }
}

/// `lua_load`: the function of a chunk, or the error message as text.
pub(crate) fn compile_chunk<'gc>(
    ctx: &Ctx<'gc, '_>,
    source: &[u8],
    name: &[u8],
    mode: &[u8],
    env: Value<'gc>,
) -> Result<Value<'gc>, String> {
    compile_chunk_bytes(ctx, source, name, mode, env)
        .map_err(|m| String::from_utf8_lossy(&m).into_owned())
}

/// `lua_load`: the function of a chunk, or the error message's bytes.
fn compile_chunk_bytes<'gc>(
    ctx: &Ctx<'gc, '_>,
    source: &[u8],
    name: &[u8],
    mode: &[u8],
    env: Value<'gc>,
) -> Result<Value<'gc>, Vec<u8>> {
    if source.first() == Some(&0x1b) {
        if !mode.contains(&b'b') {
            return Err(format!(
                "attempt to load a binary chunk (mode is '{}')",
                String::from_utf8_lossy(mode)
            )
            .into_bytes());
        }
        let proto = crate::stdlib::dump::undump(source, name).map_err(String::into_bytes)?;
        // Its first upvalue is `env`, any other is nil (as `lua_load`
        // leaves them).
        return Ok(crate::lua::load_proto(ctx.mc, ctx.g, proto, env));
    }
    if !mode.contains(&b't') {
        return Err(format!(
            "attempt to load a text chunk (mode is '{}')",
            String::from_utf8_lossy(mode)
        )
        .into_bytes());
    }
    let c_calls = crate::vm::debug::c_calls(ctx.g, ctx.ts);
    match crate::compiler::compile_nested(source, name, c_calls) {
        Ok(proto) => Ok(crate::lua::load_proto(ctx.mc, ctx.g, proto, env)),
        Err(e) => Err(e.bytes),
    }
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

fn dofile<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        // The chunk's results, above the file name.
        return Ok(ctx.nargs - 1);
    }
    ctx.set_args(1);
    let env = Value::Table(ctx.g.globals);
    let f = read_file_arg(&ctx)?
        .and_then(|(src, name)| compile_chunk(&ctx, &src, &name, b"bt", env))
        .map_err(|m| RtError::Value(ctx.str_value(m.as_bytes())))?;
    // The chunk runs above dofile's own frame (tracebacks show it) and may
    // yield, as with PUC-Rio's lua_callk.
    ctx.call_then_yieldable(f, &[])
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
    let mut msg = Vec::new();
    // At least one piece (a message is required).
    for i in 0..ctx.nargs.max(1) {
        // Each piece is written as a C string: up to a NUL.
        let piece = ctx.check_string(i)?.as_bytes();
        let end = piece.iter().position(|&b| b == 0).unwrap_or(piece.len());
        msg.extend_from_slice(&piece[..end]);
    }
    if ctx.nargs == 1 && msg.first() == Some(&b'@') {
        match &msg[1..] {
            b"on" => set_warnings(ctx.mc, ctx.g, true),
            b"off" => set_warnings(ctx.mc, ctx.g, false),
            _ => {}
        }
        return Ok(None);
    }
    Ok(Some(msg))
}

fn warn<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let Some(msg) = warning(&ctx)? {
        emit_warning(ctx.mc, ctx.g, &msg);
    }
    Ok(0)
}

/// Writes a warning to standard error if warnings are on.
pub fn emit_warning<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, msg: &[u8]) {
    use std::io::Write;
    let key = Value::String(Global::intern(g, mc, WARN_KEY));
    if !g.registry.get(key).is_truthy() {
        return;
    }
    let mut line = b"Lua warning: ".to_vec();
    line.extend_from_slice(msg);
    line.push(b'\n');
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&line);
}

/// The sandbox's `warn`: checks its arguments, and never turns warnings
/// on (which would let finalizer errors reach standard error).
fn warn_dropped<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    ctx.check_string(0)?;
    for i in 1..ctx.nargs {
        ctx.check_string(i)?;
    }
    Ok(0)
}

const GC_OPTIONS: [&str; 10] = [
    "stop",
    "restart",
    "collect",
    "count",
    "step",
    "setpause",
    "setstepmul",
    "isrunning",
    "generational",
    "incremental",
];

fn collectgarbage<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let opt = match ctx.opt_string(0)? {
        Some(s) => c_str(s.as_bytes()),
        None => b"collect",
    };
    let Some(&name) = GC_OPTIONS.iter().find(|o| o.as_bytes() == opt) else {
        let o = String::from_utf8_lossy(opt).into_owned();
        return Err(RtError::bad_arg(1, format!("invalid option '{o}'")));
    };
    let nargs = match name {
        "step" | "setpause" | "setstepmul" => 1,
        "generational" => 2,
        "incremental" => 3,
        _ => 0,
    };
    let mut args = [0i32; 3];
    for (i, a) in args.iter_mut().enumerate().take(nargs) {
        // C ints in PUC-Rio Lua: truncated, on purpose.
        *a = ctx.opt_integer(i + 1, 0)? as i32;
    }
    let budget = &ctx.g.budget.0;
    let control = &budget.gc;
    if control.in_finalizer.get() {
        // The collector is busy (this is one of its finalizers): fail.
        return ctx.ret(Value::Nil);
    }
    let r = match name {
        "stop" | "restart" => {
            budget.gc_stopped.set(name == "stop");
            Value::Integer(0)
        }
        "collect" => {
            // The driver collects when this call returns (see exec.rs).
            budget.gc_requested.set(true);
            Value::Integer(0)
        }
        "step" => {
            budget.gc_requested.set(true);
            // The driver does the step when this call returns and replaces
            // the result with whether a cycle ended. Inside a nested call
            // it cannot (the collection waits for the next slice): then the
            // step is a full collection, which does end one.
            if budget.nested.get() == 0 && ctx.ts.nested == 0 {
                control
                    .step_request
                    .set(Some((args[0], ctx.ts.frames.len())));
            }
            Value::Boolean(true)
        }
        "count" => Value::Number(crate::gc::heap_kbytes(ctx.mc, budget)),
        "setpause" => Value::Integer(control.set_pause(args[0]).into()),
        "setstepmul" => Value::Integer(control.set_stepmul(args[0]).into()),
        "isrunning" => Value::Boolean(!budget.gc_stopped.get()),
        mode => {
            if mode == "incremental" {
                // Zero keeps a parameter unchanged.
                if args[0] != 0 {
                    control.set_pause(args[0]);
                }
                if args[1] != 0 {
                    control.set_stepmul(args[1]);
                }
                if args[2] != 0 {
                    control.set_stepsize(args[2]);
                }
            }
            let was = budget.gc_generational.replace(mode == "generational");
            ctx.str_value(if was { b"generational" } else { b"incremental" })
        }
    };
    ctx.ret(r)
}
