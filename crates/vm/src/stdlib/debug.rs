//! The debug library (reference manual §6.10).

use gc_arena::Mutation;

use crate::compiler::proto::Proto;
use crate::error::{RtError, RtResult};
use crate::function::UpState;
use crate::state::GlobalRef;
use crate::stdlib::new_lib;
use crate::table::Table;
use crate::thread::{FrameKind, Thread, ThreadState};
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;
use crate::vm::debug::{frame_line, level_frame};
use crate::vm::hook::{hook_table, MASK_CALL, MASK_COUNT, MASK_LINE, MASK_RET};
use crate::vm::level::borrow_state;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    new_lib(
        mc,
        g,
        "debug",
        &[
            ("debug", debug),
            ("gethook", gethook),
            ("getinfo", getinfo),
            ("getlocal", getlocal),
            ("getmetatable", getmetatable),
            ("getregistry", getregistry),
            ("getupvalue", getupvalue),
            ("getuservalue", getuservalue),
            ("setcstacklimit", setcstacklimit),
            ("sethook", sethook),
            ("setlocal", setlocal),
            ("setmetatable", setmetatable),
            ("setupvalue", setupvalue),
            ("setuservalue", setuservalue),
            ("traceback", traceback),
            ("upvalueid", upvalueid),
            ("upvaluejoin", upvaluejoin),
        ],
    );
}

/// An optional thread first argument: (thread, index of the next argument).
fn thread_arg<'gc>(ctx: &Ctx<'gc, '_>) -> (Option<Thread<'gc>>, usize) {
    match ctx.arg(0) {
        Value::Thread(t) if t != ctx.th => (Some(t), 1),
        Value::Thread(_) => (None, 1),
        _ => (None, 0),
    }
}

/// Runs `f` with the state of `th` (the running thread when `None`).
fn with_thread<'gc, R>(
    ctx: &mut Ctx<'gc, '_>,
    th: Option<Thread<'gc>>,
    f: impl FnOnce(&mut ThreadState<'gc>, bool) -> R,
) -> RtResult<'gc, R> {
    match th {
        None => Ok(f(ctx.ts, true)),
        // A coroutine that waits for the one it resumed has lent its state.
        Some(t) => t
            .with_stack(ctx.mc, |st| f(st, false))
            .ok_or_else(|| RtError::msg("cannot inspect a running coroutine")),
    }
}

fn lua_proto<'gc>(f: Value<'gc>) -> Option<&'gc Proto> {
    match f {
        Value::Function(Function::Lua(cl)) => Some(&gc_arena::Gc::as_ref(cl.proto).info.0),
        _ => None,
    }
}

/// The line of each instruction of a function, in code order, as
/// `activelines` stores them (the order decides the table's layout).
fn active_lines(p: &Proto) -> impl Iterator<Item = u32> + '_ {
    p.line_info.iter().skip(usize::from(p.is_vararg)).copied()
}

struct FrameInfo<'gc> {
    func: Value<'gc>,
    currentline: i64,
    name: Option<(String, Vec<u8>)>,
    tail: bool,
    /// `ftransfer`, `ntransfer` (see `hook::transfer_info`).
    transfer: (usize, usize),
}

fn getinfo<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, a) = thread_arg(&ctx);
    let target = ctx.arg(a);
    let opts_v = ctx.opt_string(a + 1)?;
    let opts: Vec<u8> = opts_v
        .map(|s| crate::text::c_str(s.as_bytes()).to_vec())
        .unwrap_or_else(|| b"flnSrtu".to_vec());
    let info = if let Value::Function(_) = target {
        FrameInfo {
            func: target,
            currentline: -1,
            name: None,
            tail: false,
            transfer: (0, 0),
        }
    } else {
        let level = check_c_int(&ctx, a)?;
        if opts.first() == Some(&b'>') {
            return Err(RtError::bad_arg(a + 2, "invalid option '>'"));
        }
        let r = with_thread(&mut ctx, th, |ts, _| {
            if level < 0 {
                return None;
            }
            let fi = level_frame(ts, level as usize)?;
            let func = ts.stack[ts.frames[fi].func];
            let currentline = match ts.frames[fi].kind {
                FrameKind::Lua => frame_line(ts, fi).map(|l| l as i64).unwrap_or(-1),
                _ => -1,
            };
            Some(FrameInfo {
                func,
                currentline,
                name: crate::vm::debug::called_name_bytes(ts, fi)
                    .map(|(kind, name)| (kind.to_string(), name)),
                tail: ts.frames[fi].tail,
                transfer: crate::vm::hook::transfer_info(ts, fi),
            })
        })?;
        match r {
            Some(i) => i,
            None => return ctx.ret(Value::Nil),
        }
    };
    if opts.first() == Some(&b'>') {
        return Err(RtError::bad_arg(a + 2, "invalid option '>'"));
    }
    let t = Table::new(ctx.mc);
    let set = |ctx: &Ctx<'gc, '_>, k: &str, v: Value<'gc>| {
        let key = ctx.str_value(k.as_bytes());
        let _ = t.set(ctx.mc, key, v);
    };
    let proto = lua_proto(info.func);
    for &o in &opts {
        match o {
            b'S' => match proto {
                Some(p) => {
                    let src = ctx.str_value(&p.source);
                    set(&ctx, "source", src);
                    let short = ctx.str_value(&crate::compiler::chunk_id(&p.source));
                    set(&ctx, "short_src", short);
                    set(&ctx, "linedefined", Value::Integer(p.line_defined as i64));
                    set(
                        &ctx,
                        "lastlinedefined",
                        Value::Integer(p.last_line_defined as i64),
                    );
                    let what: &[u8] = if p.line_defined == 0 { b"main" } else { b"Lua" };
                    let w = ctx.str_value(what);
                    set(&ctx, "what", w);
                }
                None => {
                    let src = ctx.str_value(b"=[C]");
                    set(&ctx, "source", src);
                    let short = ctx.str_value(b"[C]");
                    set(&ctx, "short_src", short);
                    set(&ctx, "linedefined", Value::Integer(-1));
                    set(&ctx, "lastlinedefined", Value::Integer(-1));
                    let w = ctx.str_value(b"C");
                    set(&ctx, "what", w);
                }
            },
            b'l' => set(&ctx, "currentline", Value::Integer(info.currentline)),
            b'u' => {
                let (nups, nparams, vararg) = match info.func {
                    Value::Function(Function::Lua(cl)) => {
                        let p = &cl.proto.info.0;
                        (cl.upvalues.len(), p.num_params as usize, p.is_vararg)
                    }
                    Value::Function(Function::Native(nf)) => (nf.upvalues.len(), 0, true),
                    _ => (0, 0, true),
                };
                set(&ctx, "nups", Value::Integer(nups as i64));
                set(&ctx, "nparams", Value::Integer(nparams as i64));
                set(&ctx, "isvararg", Value::Boolean(vararg));
            }
            b'n' => match &info.name {
                Some((what, name)) => {
                    let n = ctx.str_value(name);
                    set(&ctx, "name", n);
                    let w = ctx.str_value(what.as_bytes());
                    set(&ctx, "namewhat", w);
                }
                None => {
                    let w = ctx.str_value(b"");
                    set(&ctx, "namewhat", w);
                }
            },
            b't' => set(&ctx, "istailcall", Value::Boolean(info.tail)),
            b'r' => {
                // PUC-Rio keeps transfer information only when values moved.
                let (first, n) = match info.transfer {
                    (_, 0) => (0, 0),
                    t => t,
                };
                set(&ctx, "ftransfer", Value::Integer(first as i64));
                set(&ctx, "ntransfer", Value::Integer(n as i64));
            }
            b'L' => {
                if let Some(p) = proto {
                    let lines = Table::new(ctx.mc);
                    for l in active_lines(p) {
                        let _ = lines.set(ctx.mc, Value::Integer(l as i64), Value::Boolean(true));
                    }
                    set(&ctx, "activelines", Value::Table(lines));
                }
            }
            b'f' => set(&ctx, "func", info.func),
            _ => return Err(RtError::bad_arg(a + 2, "invalid option")),
        }
    }
    ctx.ret(Value::Table(t))
}

/// Where local `n` of frame `fi` lives and its name (`luaG_findlocal`).
fn find_local(ts: &ThreadState<'_>, fi: usize, n: i64, is_top: bool) -> Option<(Vec<u8>, usize)> {
    let f = ts.frames[fi];
    let proto = crate::vm::debug::frame_proto(ts, fi);
    if let Some(p) = proto {
        if n < 0 {
            if !p.is_vararg {
                return None;
            }
            let nextra = f.nvarargs as i64;
            if n >= -nextra {
                let slot = f.func + 1 + p.num_params as usize + (-n - 1) as usize;
                return Some((b"(vararg)".to_vec(), slot));
            }
            return None;
        }
        if n > 0 {
            let pc = f.pc.saturating_sub(1);
            if let Some(name) = crate::compiler::debuginfo::local_name(p, n as usize - 1, pc) {
                return Some((name.to_vec(), f.base + n as usize - 1));
            }
        }
    }
    let limit = if is_top {
        ts.top
    } else {
        ts.frames.get(fi + 1).map(|nf| nf.func).unwrap_or(ts.top)
    };
    if n > 0 && limit >= f.base && (limit - f.base) as i64 >= n {
        let name: &[u8] = if proto.is_some() {
            b"(temporary)"
        } else {
            b"(C temporary)"
        };
        return Some((name.to_vec(), f.base + n as usize - 1));
    }
    None
}

/// An integer argument as PUC-Rio's `(int)luaL_checkinteger` sees it:
/// truncated to 32 bits (so a huge level can name level 0).
fn check_c_int<'gc>(ctx: &Ctx<'gc, '_>, a: usize) -> RtResult<'gc, i64> {
    Ok(i64::from(ctx.check_integer(a)? as i32))
}

fn getlocal<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, a) = thread_arg(&ctx);
    let n = check_c_int(&ctx, a + 1)?;
    if let Value::Function(_) = ctx.arg(a) {
        let r = lua_proto(ctx.arg(a))
            .filter(|_| n > 0)
            .and_then(|p| crate::compiler::debuginfo::local_name(p, n as usize - 1, 0))
            .map(|s| s.to_vec());
        let v = match r {
            Some(name) => ctx.str_value(&name),
            None => Value::Nil,
        };
        return ctx.ret(v);
    }
    let level = check_c_int(&ctx, a)?;
    let r = with_local(&mut ctx, (th, a), level, n, |ts, slot| {
        ts.stack.get(slot).copied().unwrap_or(Value::Nil)
    })?;
    match r {
        None => ctx.ret(Value::Nil),
        Some((name, v)) => {
            let nv = ctx.str_value(&name);
            ctx.push(nv);
            ctx.push(v);
            Ok(2)
        }
    }
}

fn setlocal<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, a) = thread_arg(&ctx);
    let level = check_c_int(&ctx, a)?;
    let n = check_c_int(&ctx, a + 1)?;
    let v = ctx.check_any(a + 2)?;
    let r = with_local(&mut ctx, (th, a), level, n, |ts, slot| {
        if slot < ts.stack.len() {
            ts.stack[slot] = v;
        }
    })?;
    match r {
        None => ctx.ret(Value::Nil),
        Some((name, ())) => {
            let nv = ctx.str_value(&name);
            ctx.ret(nv)
        }
    }
}

/// Runs `f` on the stack slot of local `n` of the function at `level` of
/// the thread `th` (given as argument `a`, or the running one); gives the
/// local's name with `f`'s result, `None` if there is no such local.
fn with_local<'gc, R>(
    ctx: &mut Ctx<'gc, '_>,
    (th, a): (Option<Thread<'gc>>, usize),
    level: i64,
    n: i64,
    f: impl FnOnce(&mut ThreadState<'gc>, usize) -> R,
) -> RtResult<'gc, Option<(Vec<u8>, R)>> {
    let own = th.is_none();
    let r = with_thread(ctx, th, |ts, _| {
        if level < 0 {
            return Err(());
        }
        let fi = level_frame(ts, level as usize).ok_or(())?;
        let is_top = !own && fi + 1 == ts.frames.len();
        Ok(find_local(ts, fi, n, is_top).map(|(name, slot)| (name, f(ts, slot))))
    })?;
    r.map_err(|()| RtError::bad_arg(a + 1, "level out of range"))
}

fn getmetatable<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(0)?;
    let r = match crate::vm::meta::metatable(ctx.g, v) {
        Some(m) => Value::Table(m),
        None => Value::Nil,
    };
    ctx.ret(r)
}

fn setmetatable<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.arg(0);
    let mt = match ctx.arg(1) {
        Value::Nil => None,
        Value::Table(m) => Some(m),
        _ => return Err(ctx.expect_type(1, "nil or table")),
    };
    match v {
        Value::Table(t) => crate::stdlib::base::set_table_metatable(ctx.mc, ctx.g, t, mt),
        Value::UserData(u) => crate::stdlib::base::set_userdata_metatable(ctx.mc, ctx.g, u, mt),
        other => crate::vm::meta::set_type_metatable(ctx.mc, ctx.g, other, mt),
    }
    ctx.ret(v)
}

fn getregistry<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let r = Value::Table(ctx.g.registry);
    ctx.ret(r)
}

/// An upvalue's current value.
fn upvalue_get<'gc>(ctx: &Ctx<'gc, '_>, uv: crate::function::UpValue<'gc>) -> Value<'gc> {
    match uv.get() {
        UpState::Closed(v) => v,
        UpState::Open { thread, index } => {
            if thread == ctx.th {
                ctx.ts.stack.get(index).copied().unwrap_or(Value::Nil)
            } else {
                thread
                    .0
                    .state
                    .try_borrow()
                    .ok()
                    .and_then(|st| st.stack.get(index).copied())
                    .unwrap_or(Value::Nil)
            }
        }
    }
}

fn upvalue_set<'gc>(ctx: &mut Ctx<'gc, '_>, uv: crate::function::UpValue<'gc>, v: Value<'gc>) {
    match uv.get() {
        UpState::Closed(_) => uv.set(ctx.mc, UpState::Closed(v)),
        UpState::Open { thread, index } => {
            if thread == ctx.th {
                if index < ctx.ts.stack.len() {
                    ctx.ts.stack[index] = v;
                }
            } else if let Ok(mut st) = borrow_state(ctx.mc, thread) {
                if index < st.stack.len() {
                    st.stack[index] = v;
                }
            }
        }
    }
}

/// Name and value of upvalue `n` (1-based) of a function.
fn aux_upvalue<'gc>(ctx: &Ctx<'gc, '_>, f: Value<'gc>, n: i64) -> Option<(Vec<u8>, Value<'gc>)> {
    if n < 1 {
        return None;
    }
    let i = n as usize - 1;
    match f {
        Value::Function(Function::Lua(cl)) => {
            let uv = cl.upvalues.get(i)?.get();
            let name = cl
                .proto
                .info
                .0
                .upvalues
                .get(i)
                .map(|d| d.name.to_vec())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| b"(no name)".to_vec());
            Some((name, upvalue_get(ctx, uv)))
        }
        Value::Function(Function::Native(nf)) => {
            let v = nf.upvalues.get(i)?.get();
            Some((Vec::new(), v))
        }
        _ => None,
    }
}

fn getupvalue<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let n = check_c_int(&ctx, 1)?;
    let f = ctx.check_function(0)?;
    match aux_upvalue(&ctx, f, n) {
        Some((name, v)) => {
            let nv = ctx.str_value(&name);
            ctx.push(nv);
            ctx.push(v);
            Ok(2)
        }
        None => Ok(0),
    }
}

fn setupvalue<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = ctx.check_any(2)?;
    let n = check_c_int(&ctx, 1)?;
    let f = ctx.check_function(0)?;
    let Some((name, _)) = aux_upvalue(&ctx, f, n) else {
        return Ok(0);
    };
    match f {
        Value::Function(Function::Lua(cl)) => {
            let uv = cl.upvalue(n as usize - 1);
            upvalue_set(&mut ctx, uv, v);
        }
        Value::Function(Function::Native(nf)) => {
            let w = gc_arena::Gc::write(ctx.mc, nf);
            gc_arena::barrier::field!(w, crate::function::NativeFunction, upvalues).as_deref()
                [n as usize - 1]
                .unlock()
                .set(v);
        }
        _ => {}
    }
    let nv = ctx.str_value(&name);
    ctx.ret(nv)
}

/// The identity of upvalue `n` of function argument `argf` (the address
/// of the shared upvalue, or of a native's own slot), checking the
/// arguments as `checkupval` does.
fn upvalue_identity<'gc>(
    ctx: &Ctx<'gc, '_>,
    argf: usize,
    argn: usize,
) -> RtResult<'gc, Option<usize>> {
    let n = check_c_int(ctx, argn)?;
    let f = ctx.check_function(argf)?;
    let Ok(i) = usize::try_from(n - 1) else {
        return Ok(None);
    };
    Ok(match f {
        Value::Function(Function::Lua(cl)) => cl
            .upvalues
            .get(i)
            .map(|u| gc_arena::Gc::as_ptr(u.get()) as *const () as usize),
        Value::Function(Function::Native(nf)) => nf
            .upvalues
            .get(i)
            .map(|u| u as *const _ as *const () as usize),
        _ => None,
    })
}

fn upvalueid<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let v = upvalue_identity(&ctx, 0, 1)?.map_or(Value::Nil, Value::LightUserData);
    ctx.ret(v)
}

/// `debug.upvaluejoin(f1, n1, f2, n2)`: upvalue `n1` of `f1` becomes upvalue
/// `n2` of `f2`. The indices are checked first, as `db_upvaluejoin` does.
fn upvaluejoin<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    for (argf, argn) in [(0, 1), (2, 3)] {
        if upvalue_identity(&ctx, argf, argn)?.is_none() {
            return Err(RtError::bad_arg(argn + 1, "invalid upvalue index"));
        }
    }
    let lua_closure = |arg: usize| match ctx.arg(arg) {
        Value::Function(Function::Lua(cl)) => Ok(cl),
        _ => Err(RtError::bad_arg(arg + 1, "Lua function expected")),
    };
    let f1 = lua_closure(0)?;
    let f2 = lua_closure(2)?;
    let n1 = check_c_int(&ctx, 1)? as usize - 1;
    let n2 = check_c_int(&ctx, 3)? as usize - 1;
    crate::function::Closure::set_upvalue_slot(f1, ctx.mc, n1, f2.upvalue(n2));
    Ok(0)
}

fn getuservalue<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let n = ctx.opt_integer(1, 1)?;
    let Value::UserData(ud) = ctx.arg(0) else {
        return ctx.ret(Value::Nil);
    };
    // File handles have no user values, as in the reference implementation.
    let count = if ud.downcast::<crate::stdlib::io::LuaFile>().is_some() {
        0
    } else {
        1
    };
    if n < 1 || n > count {
        return ctx.ret(Value::Nil);
    }
    ctx.push(ud.0.user_value.get());
    ctx.push(Value::Boolean(true));
    Ok(2)
}

fn setuservalue<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let Value::UserData(ud) = ctx.arg(0) else {
        return Err(ctx.expect_type(0, "userdata"));
    };
    let v = ctx.check_any(1)?;
    let n = ctx.opt_integer(2, 1)?;
    if n != 1 || ud.downcast::<crate::stdlib::io::LuaFile>().is_some() {
        return ctx.ret(Value::Nil);
    }
    gc_arena::barrier::unlock!(
        gc_arena::Gc::write(ctx.mc, ud.0),
        crate::userdata::UserDataObj,
        user_value
    )
    .set(v);
    ctx.ret(Value::UserData(ud))
}

/// `debug.sethook([thread,] hook, mask [, count])`; no hook (or an empty
/// mask and no count) turns the thread's hooks off.
fn sethook<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, a) = thread_arg(&ctx);
    let (func, mask, count) = if ctx.arg(a).is_nil() {
        (Value::Nil, 0, 0)
    } else {
        let smask = ctx.check_string(a + 1)?;
        let f = ctx.check_function(a)?;
        let count = ctx.opt_integer(a + 2, 0)?;
        let mut mask = 0;
        for (c, m) in [(b'c', MASK_CALL), (b'r', MASK_RET), (b'l', MASK_LINE)] {
            if crate::text::c_str(smask.as_bytes()).contains(&c) {
                mask |= m;
            }
        }
        let count = u32::try_from(count.clamp(0, i64::from(i32::MAX))).unwrap_or(0);
        if count > 0 {
            mask |= MASK_COUNT;
        }
        (f, mask, count)
    };
    let own = th.is_none();
    with_thread(&mut ctx, th, |ts, _| {
        ts.hook.set(mask, count);
        if own {
            // The caller goes on after this call: not a new line.
            let n = ts.frames.len();
            if let Some(caller) = n.checked_sub(2) {
                let pc = ts.frames[caller].pc.saturating_sub(1);
                ts.hook.set_last(caller, pc);
            }
        }
    })?;
    let target = th.unwrap_or(ctx.th);
    let _ = hook_table(ctx.mc, ctx.g).set(ctx.mc, Value::Thread(target), func);
    Ok(0)
}

/// `debug.gethook([thread])`: the hook function, its mask and count.
fn gethook<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, _) = thread_arg(&ctx);
    let target = th.unwrap_or(ctx.th);
    let (mask, count) = with_thread(&mut ctx, th, |ts, _| (ts.hook.mask(), ts.hook.count()))?;
    if mask == 0 {
        return ctx.ret(Value::Nil);
    }
    let f = hook_table(ctx.mc, ctx.g).get(Value::Thread(target));
    let mut smask = Vec::new();
    for (c, m) in [(b'c', MASK_CALL), (b'r', MASK_RET), (b'l', MASK_LINE)] {
        if mask & m != 0 {
            smask.push(c);
        }
    }
    let sv = ctx.str_value(&smask);
    ctx.push(f);
    ctx.push(sv);
    ctx.push(Value::Integer(i64::from(count)));
    Ok(3)
}

fn setcstacklimit<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    ctx.check_integer(0)?;
    ctx.ret(Value::Integer(crate::vm::budget::MAX_NESTED_CALLS as i64))
}

fn traceback<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (th, a) = thread_arg(&ctx);
    let mv = ctx.arg(a);
    let msg = match mv {
        Value::String(s) => Some(s.to_str_lossy().into_owned()),
        Value::Integer(_) | Value::Number(_) => {
            let mut b = Vec::new();
            crate::vm::meta::number_to_bytes(mv, &mut b);
            Some(String::from_utf8_lossy(&b).into_owned())
        }
        Value::Nil => None,
        other => return ctx.ret(other),
    };
    let default_level = if th.is_none() { 1 } else { 0 };
    let level = i64::from(ctx.opt_integer(a + 1, default_level)? as i32);
    let g = ctx.g;
    let text = with_thread(&mut ctx, th, |ts, _| {
        crate::vm::debug::traceback(g, ts, msg.as_deref(), level.max(0) as usize)
    })?;
    let v = ctx.str_value(text.as_bytes());
    ctx.ret(v)
}

/// `debug.debug`: runs lines from standard input until "cont".
fn debug<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use std::io::{BufRead, Write};
    loop {
        let _ = write!(std::io::stderr(), "lua_debug> ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => return Ok(0),
            Ok(_) => {}
        }
        if line == "cont\n" || line == "cont" {
            return Ok(0);
        }
        let r = match crate::compiler::compile(line.as_bytes(), b"=(debug command)") {
            Ok(p) => {
                let f = crate::lua::load_proto(ctx.mc, ctx.g, p, Value::Table(ctx.g.globals));
                let r = ctx.call(f, &[]);
                if let Err(RtError::Limit(k)) = r {
                    return Err(RtError::Limit(k));
                }
                r.map(|_| ()).map_err(|e| match e {
                    RtError::Value(v) => {
                        String::from_utf8_lossy(&crate::vm::meta::tostring_raw(ctx.g, v))
                            .into_owned()
                    }
                    RtError::Message(m) | RtError::BadArg { msg: m, .. } => m,
                    RtError::Limit(k) => k.message().to_string(),
                })
            }
            Err(e) => Err(e.message),
        };
        if let Err(m) = r {
            let _ = writeln!(std::io::stderr(), "{m}");
        }
    }
}
