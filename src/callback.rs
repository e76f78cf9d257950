//! Lua calling JS: the trampolines behind JS functions and object proxies.
//!
//! A JS function handed to Lua becomes a native closure whose upvalue 0 is
//! a host userdata (its id leads to the import slot); `obj:method()` on a
//! proxy gives a bound method, a closure with the function's userdata and
//! the receiver's. A JS object becomes a host userdata with the shared
//! proxy metatable, whose metamethods call small JS helpers (index.js) that
//! know the JS semantics (arrays are 1-based from Lua, Maps use get/set).
//!
//! Every trampoline: finds the VM of the innermost entry (`active_vm`),
//! opens a handle scope, converts its arguments, pushes its `Ctx` on the
//! VM's context stack (so that the JS code can call back into the VM, see
//! binding.rs), calls JS, pops, and converts the result. A JS exception
//! becomes a Lua error value (the exception object itself, as a proxy), so
//! `pcall` catches it and, uncaught, the same object comes out in JS.

use gc_arena::{Gc, Mutation};
use lunarena_vm::error::{LimitKind, RtError, RtResult};
use lunarena_vm::function::{NativeFn, NativeFunction, NativeKind};
use lunarena_vm::state::{GlobalRef, Tm};
use lunarena_vm::table::Table;
use lunarena_vm::userdata::UserData;
use lunarena_vm::value::Function;
use lunarena_vm::vm::ctx::Ctx;
use lunarena_vm::vm::meta::MetaCx;
use lunarena_vm::{Lua, Value};

use crate::binding::{self, Fixed, Vm, H, MAX_JS_DEPTH, MAX_STACK_BYTES};
use crate::convert::{native_is, Cv, PlainEntries};
use crate::raw::{self, Js, JsVal};

fn native<'gc>(
    mc: &Mutation<'gc>,
    name: &'static str,
    f: NativeFn,
    up: &[Value<'gc>],
) -> Value<'gc> {
    Value::Function(Function::Native(NativeFunction::with_upvalues(
        mc,
        name,
        NativeKind::Plain(f),
        up,
    )))
}

/// Runs `f` on the values the binding keeps in the VM's arena, making them
/// at their first use: a VM that neither receives a JS object nor is
/// indexed from JS never needs them (Lua cannot see when they are made).
fn with_fixed<'gc, R>(
    vm: &Vm,
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    f: impl FnOnce(&Fixed) -> R,
) -> R {
    let mut st = vm.st.borrow_mut();
    f(st.fixed.get_or_insert_with(|| make_fixed(mc, g)))
}

fn make_fixed<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) -> Fixed {
    let key = |s: &str| Value::String(lunarena_vm::state::Global::intern(g, mc, s.as_bytes()));
    // slot -> Lua value, weak values.
    let imports = Table::new(mc);
    let weak_meta = Table::new(mc);
    let _ = weak_meta.set(mc, key(Tm::Mode.name()), key("v"));
    lunarena_vm::stdlib::base::set_table_metatable(mc, g, imports, Some(weak_meta));
    // The proxy metatable.
    let meta = Table::new(mc);
    let entries: [(Tm, &'static str, NativeFn); 5] = [
        (Tm::Index, "__index", proxy_index),
        (Tm::NewIndex, "__newindex", proxy_newindex),
        (Tm::Len, "__len", proxy_len),
        (Tm::Pairs, "__pairs", proxy_pairs),
        (Tm::ToString, "__tostring", proxy_tostring),
    ];
    for (tm, name, f) in entries {
        let _ = meta.set(mc, key(tm.name()), native(mc, name, f, &[]));
    }
    let _ = meta.set(mc, key(Tm::Name.name()), key("JSObject"));
    let _ = meta.set(mc, key(Tm::Metatable.name()), Value::Boolean(false));
    Fixed {
        imports: Lua::stash(mc, g, Value::Table(imports)),
        proxy_meta: Lua::stash(mc, g, Value::Table(meta)),
        op_index: Lua::stash(mc, g, native(mc, "index", op_index, &[])),
        op_newindex: Lua::stash(mc, g, native(mc, "newindex", op_newindex, &[])),
        op_len: Lua::stash(mc, g, native(mc, "len", op_len, &[])),
    }
}

/// Whether a native function is a JS function's closure or bound method.
pub fn is_js_trampoline(nf: Gc<'_, NativeFunction<'_>>) -> bool {
    native_is(nf, js_call) || native_is(nf, js_method)
}

/// The Lua value for the JS object at an import slot: the live one if there
/// is one (identity), else a new proxy.
pub fn proxy_for_slot<'gc>(cv: &Cv<'gc, '_>, slot: u32, obj: JsVal, is_fn: bool) -> Js<Value<'gc>> {
    let (weak, meta) = with_fixed(cv.vm, cv.mc, cv.g, |fixed| {
        (
            Lua::fetch(cv.g, &fixed.imports),
            Lua::fetch(cv.g, &fixed.proxy_meta),
        )
    });
    let (Value::Table(weak), Value::Table(meta)) = (weak, meta) else {
        unreachable!("binding tables are tables")
    };
    let key = Value::Integer(slot as i64);
    let existing = weak.get(key);
    if !existing.is_nil() {
        return Ok(existing);
    }
    let r = raw::WeakRef::new(cv.env, obj)?;
    let host = {
        let mut st = cv.vm.st.borrow_mut();
        let i = slot as usize;
        if st.import_refs.len() <= i {
            st.import_refs.resize_with(i + 1, || None);
        }
        st.import_refs[i] = Some(r);
        let h = binding::host_id(slot, st.next_host);
        st.next_host = st.next_host.wrapping_add(1);
        st.slot_host.insert(slot, h);
        st.released_slots.retain(|s| *s != slot);
        h
    };
    let ud = UserData::new_host(cv.mc, cv.g, host, if is_fn { None } else { Some(meta) });
    let v = if is_fn {
        native(cv.mc, "js function", js_call, &[Value::UserData(ud)])
    } else {
        Value::UserData(ud)
    };
    let _ = weak.set(cv.mc, key, v);
    Ok(v)
}

// ---------------------------------------------------------------- trampolines

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Call,
    Method,
    Index,
    NewIndex,
    Len,
    Pairs,
    ToString,
}

/// A JS function called from Lua (the hot path of Lua -> JS).
fn js_call<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    call_short(ctx, Op::Call)
}

/// A JS function read from a JS object, called with the object as `this`.
fn js_method<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    call_short(ctx, Op::Method)
}

/// `invoke`'s steps for `Op::Call` and `Op::Method`, with the arguments of
/// a short call on the stack.
#[inline(always)]
fn call_short<'gc>(mut ctx: Ctx<'gc, '_>, op: Op) -> RtResult<'gc, usize> {
    const SHORT: usize = 4;
    // `obj:method(x)` passes `obj` first: it is `this`, not an argument.
    let skip = match op {
        Op::Method => usize::from(ctx.args().first().is_some_and(|a| a.raw_eq(ctx.upvalue(1)))),
        _ => 0,
    };
    if ctx.nargs - skip > SHORT {
        return invoke(ctx, op);
    }
    let vm = enter_js(&ctx)?;
    let cv = Cv::new(vm, ctx.mc, ctx.g);
    let env = cv.env;
    let up = ctx.upvalue(0);
    let f = match up {
        Value::UserData(ud) => ud.host_id(),
        _ => None,
    };
    let f = match f {
        Some(host) => vm.scoped_function(host, || cv.import_value(binding::slot_of_host(host))),
        None => slot_of(&cv, up).and_then(|slot| cv.import_value(slot)),
    };
    let Ok(f) = f else {
        return Err(exception_to_lua(&cv));
    };
    let this = match op {
        Op::Method => slot_of(&cv, ctx.upvalue(1)).and_then(|slot| cv.import_value(slot)),
        _ => Ok(vm.scoped_undefined()),
    };
    let Ok(this) = this else {
        return Err(exception_to_lua(&cv));
    };
    let mut args = [std::ptr::null_mut(); SHORT];
    for (slot, v) in args.iter_mut().zip(&ctx.args()[skip..]) {
        let js = match *v {
            Value::Integer(i) if i32::try_from(i).is_ok() => vm.scoped_int(i as i32),
            v => cv.to_js(v),
        };
        let Ok(js) = js else {
            return Err(exception_to_lua(&cv));
        };
        *slot = js;
    }
    let args = &args[..ctx.nargs - skip];
    let result = {
        let p = &mut ctx as *mut Ctx<'gc, '_> as *mut ();
        let _guard = CtxGuard::push(vm, p);
        raw::call(env, this, f, args)
    };
    let Ok(r) = result else {
        return Err(exception_to_lua(&cv));
    };
    if vm.async_running.get() {
        return match is_thenable(env, r) {
            Ok(true) => await_promise(&cv, &mut ctx, r),
            Ok(false) => deliver(&cv, &mut ctx, op, r).map_err(|_| exception_to_lua(&cv)),
            Err(_) => Err(exception_to_lua(&cv)),
        };
    }
    // A number, the commonest result, without leaving this function.
    if let Some(n) = raw::try_number(env, r) {
        ctx.push(crate::convert::number_to_lua(n));
        return Ok(1);
    }
    deliver(&cv, &mut ctx, op, r).map_err(|_| exception_to_lua(&cv))
}

/// The proxies' `__index` native (the VM may answer some of its reads
/// itself: see `arraycache::fast_read`).
pub const PROXY_INDEX: lunarena_vm::function::NativeFn = proxy_index;

fn proxy_index<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let Some(r) = crate::arraycache::index(&mut ctx, false) {
        return r;
    }
    invoke(ctx, Op::Index)
}

fn proxy_newindex<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    invoke(ctx, Op::NewIndex)
}

fn proxy_len<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let Some(r) = crate::arraycache::index(&mut ctx, true) {
        return r;
    }
    invoke(ctx, Op::Len)
}

fn proxy_pairs<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    invoke(ctx, Op::Pairs)
}

fn proxy_tostring<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    invoke(ctx, Op::ToString)
}

/// Pops the context pushed for a JS call, even on unwinding.
struct CtxGuard<'a> {
    vm: &'a Vm,
    below: *mut (),
    was_locked: bool,
}

impl<'a> CtxGuard<'a> {
    #[inline]
    fn push(vm: &'a Vm, p: *mut ()) -> Self {
        let below = vm.ctxs.push(p);
        let was_locked = vm.locked.replace(false);
        CtxGuard {
            vm,
            below,
            was_locked,
        }
    }
}

impl Drop for CtxGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.vm.locked.set(self.was_locked);
        self.vm.ctxs.pop(self.below);
    }
}

/// The checks before a call from Lua into JS: the VM of the innermost
/// entry is this one, nesting and native stack within bounds. Then the
/// call's handle scope (see `CallScopes`).
#[inline(always)]
fn enter_js<'a, 'gc>(ctx: &Ctx<'gc, '_>) -> Result<&'a Vm, RtError<'gc>> {
    let Some((vm, stack_used)) = binding::active_vm() else {
        return Err(RtError::msg(
            "a JavaScript function was called outside of its Lua VM",
        ));
    };
    if vm.gaddr.get() != Gc::as_ptr(ctx.g) as *const () as usize {
        return Err(RtError::msg(
            "a JavaScript function was called from another Lua VM",
        ));
    }
    let level = vm.ctxs.len();
    if level >= MAX_JS_DEPTH {
        return Err(RtError::msg(format!(
            "too many nested calls between Lua and JavaScript (more than {MAX_JS_DEPTH})"
        )));
    }
    if stack_used > MAX_STACK_BYTES {
        return Err(RtError::msg(
            "too many nested calls between Lua and JavaScript (the stack is nearly full)",
        ));
    }
    vm.call_scope(level);
    vm.arrays.js_may_run();
    Ok(vm)
}

fn invoke<'gc>(mut ctx: Ctx<'gc, '_>, op: Op) -> RtResult<'gc, usize> {
    let vm = enter_js(&ctx)?;
    let env = vm.env;
    let cv = Cv::new(vm, ctx.mc, ctx.g);
    let (f, this, args) = match prepare(&cv, &ctx, op) {
        Ok(x) => x,
        Err(_) => return Err(exception_to_lua(&cv)),
    };
    let result = {
        let p = &mut ctx as *mut Ctx<'gc, '_> as *mut ();
        let _guard = CtxGuard::push(vm, p);
        raw::call(env, this, f, args.as_slice())
    };
    match result {
        Ok(r) if vm.async_running.get() && matches!(op, Op::Call | Op::Method) => {
            match is_thenable(env, r) {
                Ok(true) => await_promise(&cv, &mut ctx, r),
                Ok(false) => deliver(&cv, &mut ctx, op, r).map_err(|_| exception_to_lua(&cv)),
                Err(_) => Err(exception_to_lua(&cv)),
            }
        }
        Ok(r) => match deliver(&cv, &mut ctx, op, r) {
            Ok(n) => Ok(n),
            Err(_) => Err(exception_to_lua(&cv)),
        },
        Err(_) => Err(exception_to_lua(&cv)),
    }
}

fn is_thenable(env: raw::Env, v: JsVal) -> Js<bool> {
    if !matches!(raw::kind(env, v)?, raw::Kind::Object | raw::Kind::Function) {
        return Ok(false);
    }
    let then = raw::get_named(env, v, "then\0")?;
    Ok(raw::kind(env, then)? == raw::Kind::Function)
}

/// In an async run, a JS function returned a promise: the Lua call
/// suspends (the driver returns `Poll::Await`) and resumes with what the
/// promise settles to. Metamethod calls made by the interpreter suspend
/// too; a library function that calls Lua in a way it cannot resume, or a
/// synchronous call from JS back into Lua, cannot.
fn await_promise<'gc>(cv: &Cv<'gc, '_>, ctx: &mut Ctx<'gc, '_>, p: JsVal) -> RtResult<'gc, usize> {
    let budget = &ctx.g.budget.0;
    if !cv.vm.ctxs.is_empty() {
        return Err(RtError::msg(
            "cannot wait for a JavaScript promise in a Lua function called synchronously from JavaScript; call it with callAsync() and return that promise",
        ));
    }
    if budget.nested_noyield.get() != 0 {
        return Err(RtError::msg(
            "cannot wait for a JavaScript promise here: this call is nested inside a library function that calls Lua and cannot be suspended",
        ));
    }
    let env = cv.env;
    let stored = (|| -> Js<()> {
        let f = cv.vm.helpers.get(env, H::Awaited)?;
        raw::call(env, raw::undefined(env), f, &[p])?;
        Ok(())
    })();
    if stored.is_err() {
        return Err(exception_to_lua(cv));
    }
    budget.await_requested.set(true);
    budget.gc_requested.set(true);
    Ok(0)
}

/// The import slot of a host userdata value, or a Lua error.
#[inline]
fn slot_of<'gc>(cv: &Cv<'gc, '_>, v: Value<'gc>) -> Js<u32> {
    if let Value::UserData(ud) = v {
        if let Some(slot) = cv.host_slot_of_ud(ud) {
            return Ok(slot);
        }
    }
    Err(raw::throw_type_error(
        cv.env,
        &format!("expected a JavaScript object, got a Lua {}", v.type_name()),
    ))
}

fn prepare<'gc>(cv: &Cv<'gc, '_>, ctx: &Ctx<'gc, '_>, op: Op) -> Js<(JsVal, JsVal, raw::ArgBuf)> {
    let env = cv.env;
    let undefined = cv.vm.scoped_undefined();
    let helpers = &cv.vm.helpers;
    match op {
        Op::Call => {
            let f = cv.import_value(slot_of(cv, ctx.upvalue(0))?)?;
            let mut args = raw::ArgBuf::new();
            for v in ctx.args() {
                args.push(cv.to_js(*v)?);
            }
            Ok((f, undefined, args))
        }
        Op::Method => {
            let f = cv.import_value(slot_of(cv, ctx.upvalue(0))?)?;
            let recv = ctx.upvalue(1);
            let this = cv.import_value(slot_of(cv, recv)?)?;
            let all = ctx.args();
            let skip = usize::from(all.first().is_some_and(|a| a.raw_eq(recv)));
            let mut args = raw::ArgBuf::new();
            for v in &all[skip..] {
                args.push(cv.to_js(*v)?);
            }
            Ok((f, this, args))
        }
        _ => {
            let obj = cv.import_value(slot_of(cv, ctx.arg(0))?)?;
            let (helper, extra) = match op {
                Op::Index => (H::Index, 1),
                Op::NewIndex => (H::NewIndex, 2),
                Op::Len => (H::Len, 0),
                Op::Pairs => (H::Pairs, 0),
                _ => (H::ToString, 0),
            };
            let f = helpers.get(env, helper)?;
            let mut args = raw::ArgBuf::new();
            args.push(obj);
            for i in 1..=extra {
                args.push(cv.to_js(ctx.arg(i))?);
            }
            Ok((f, undefined, args))
        }
    }
}

fn deliver<'gc>(cv: &Cv<'gc, '_>, ctx: &mut Ctx<'gc, '_>, op: Op, r: JsVal) -> Js<usize> {
    let env = cv.env;
    match op {
        Op::Call | Op::Method => {
            if let Some(n) = raw::try_number(env, r) {
                ctx.push(crate::convert::number_to_lua(n));
                return Ok(1);
            }
            if raw::kind(env, r)? == raw::Kind::Undefined {
                return Ok(0);
            }
            let v = cv.to_lua(r)?;
            ctx.push(v);
            Ok(1)
        }
        Op::NewIndex => Ok(0),
        Op::Index => {
            let mut v = cv.to_lua(r)?;
            // A JS function read from a JS object: bound to it, so that
            // `obj:method(x)` calls it with `this = obj`.
            if let Value::Function(Function::Native(nf)) = v {
                if native_is(nf, js_call) {
                    let fud = nf.upvalues[0].get();
                    v = native(cv.mc, "js method", js_method, &[fud, ctx.arg(0)]);
                }
            }
            ctx.push(v);
            Ok(1)
        }
        Op::Len | Op::ToString => {
            let v = cv.to_lua(r)?;
            ctx.push(v);
            Ok(1)
        }
        Op::Pairs => {
            let t = Table::new(cv.mc);
            let n = raw::array_len(env, r)?;
            if n == 3 {
                // A plain object's `[names, ends, values]` (a list of pairs
                // has an even length).
                let entries = PlainEntries::read(env, r)?;
                for (i, name) in entries.names().enumerate() {
                    let v = match entries.value(env, i)? {
                        Ok(n) => crate::convert::number_to_lua(n),
                        Err(e) => cv.to_lua(e)?,
                    };
                    let _ = t.set(cv.mc, cv.str(name), v);
                }
            } else {
                let mut i = 0;
                while i + 1 < n {
                    let k = cv.to_lua(raw::get_element(env, r, i)?)?;
                    let v = cv.to_lua(raw::get_element(env, r, i + 1)?)?;
                    let _ = t.set(cv.mc, k, v);
                    i += 2;
                }
            }
            ctx.push(native(cv.mc, "next", snapshot_next, &[]));
            ctx.push(Value::Table(t));
            ctx.push(Value::Nil);
            Ok(3)
        }
    }
}

/// The pending JS exception as a Lua error.
pub(crate) fn exception_to_lua<'gc>(cv: &Cv<'gc, '_>) -> RtError<'gc> {
    let env = cv.env;
    let Some(exc) = raw::take_exception(env) else {
        return RtError::msg("JavaScript call failed");
    };
    let converted = (|| -> Js<RtError<'gc>> {
        let f = cv.vm.helpers.get(env, H::ErrorValue)?;
        let pair = raw::call(env, raw::undefined(env), f, &[exc])?;
        let tag = raw::get_number(env, raw::get_element(env, pair, 0)?)?;
        let value = raw::get_element(env, pair, 1)?;
        if tag == 1.0 {
            let name = raw::get_string(env, value)?;
            return Ok(RtError::Limit(limit_kind(&name)));
        }
        Ok(RtError::Value(cv.to_lua(value)?))
    })();
    match converted {
        Ok(e) => e,
        Err(_) => {
            let _ = raw::take_exception(env);
            // The helper itself failed: in practice, the JS stack is exhausted.
            RtError::msg(
                "JavaScript exception during deep recursion between Lua and JavaScript (stack overflow)",
            )
        }
    }
}

fn limit_kind(name: &str) -> LimitKind {
    [
        LimitKind::Memory,
        LimitKind::Instructions,
        LimitKind::Time,
        LimitKind::CallDepth,
        LimitKind::Interrupted,
    ]
    .into_iter()
    .find(|k| k.name() == name)
    .unwrap_or(LimitKind::Interrupted)
}

/// `next` over a snapshot table made by `__pairs`.
fn snapshot_next<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.check_table(0)?;
    let r = t.borrow().next(ctx.arg(1));
    match r {
        Ok(Some((k, v))) => {
            ctx.push(k);
            ctx.push(v);
            Ok(2)
        }
        Ok(None) => ctx.ret(Value::Nil),
        Err(_) => Err(RtError::msg("invalid key to 'next'")),
    }
}

// ---------------------------------------------------------------- table operations

fn op_index<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (t, k) = (ctx.arg(0), ctx.arg(1));
    let v = MetaCx {
        mc: ctx.mc,
        g: ctx.g,
        th: ctx.th,
        ts: &mut *ctx.ts,
    }
    .index(t, k, &|_| String::new())?;
    ctx.ret(v)
}

fn op_newindex<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (t, k, v) = (ctx.arg(0), ctx.arg(1), ctx.arg(2));
    MetaCx {
        mc: ctx.mc,
        g: ctx.g,
        th: ctx.th,
        ts: &mut *ctx.ts,
    }
    .set_index(t, k, v, &|_| String::new())?;
    Ok(0)
}

fn op_len<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.arg(0);
    let v = MetaCx {
        mc: ctx.mc,
        g: ctx.g,
        th: ctx.th,
        ts: &mut *ctx.ts,
    }
    .len(t, &|_| String::new())?;
    ctx.ret(v)
}

/// Fetches one of the binding's fixed natives.
pub fn fixed_value<'gc>(
    vm: &Vm,
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    pick: impl FnOnce(&Fixed) -> &lunarena_vm::StashedValue,
) -> Value<'gc> {
    with_fixed(vm, mc, g, |fixed| Lua::fetch(g, pick(fixed)))
}
