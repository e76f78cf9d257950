//! Running threads together: coroutine switches (resume, yield, wrap) and
//! nested calls from native code back into Lua.

use gc_arena::{Gc, Mutation};

use crate::compiler::opcode::OpCode;
use crate::error::{RtError, RtResult};
use crate::function::{NativeFn, NativeKind};
use crate::state::{Global, GlobalRef};
use crate::thread::{Frame, FrameKind, Thread, ThreadObj, ThreadState, ThreadStatus};
use crate::value::{Function, Value};
use crate::vm::budget::{Budget, MAX_NESTED_CALLS};
use crate::vm::ctx::{self, Ctx};
use crate::vm::exec::{Exec, Exit, Pre};
use crate::vm::hook;

/// A coroutine resumed from this level, and whether through a wrap function.
pub type ChainEntry<'gc> = (Thread<'gc>, bool);

/// How a level stopped without error.
pub enum LevelOutcome {
    /// The base frame returned this many values (at the top of the base stack).
    Returned(usize),
    /// Fuel ran out (only at the outermost level); call again to continue.
    OutOfFuel,
}

/// Borrows a thread's state for mutation.
pub fn borrow_state<'gc>(
    mc: &Mutation<'gc>,
    th: Thread<'gc>,
) -> RtResult<'gc, std::cell::RefMut<'gc, ThreadState<'gc>>> {
    gc_arena::barrier::unlock!(Gc::write(mc, th.0), ThreadObj, state)
        .try_borrow_mut()
        .map_err(|_| RtError::msg("cannot resume non-suspended coroutine"))
}

/// Runs `f` with the state of `th`: the given borrowed base state, or a fresh borrow.
fn with_state<'gc, R>(
    mc: &'gc Mutation<'gc>,
    th: Thread<'gc>,
    base: Thread<'gc>,
    base_ts: &mut Option<&mut ThreadState<'gc>>,
    f: impl FnOnce(&mut ThreadState<'gc>) -> R,
) -> RtResult<'gc, R> {
    if th == base {
        if let Some(ts) = base_ts.as_deref_mut() {
            return Ok(f(ts));
        }
    }
    let mut st = borrow_state(mc, th)?;
    Ok(f(&mut st))
}

/// Runs the base thread and the coroutines it resumes until the base's
/// bottom frame of this run returns. `next` is an exit already produced by
/// the caller (e.g. a `precall` that switched coroutines).
#[allow(clippy::too_many_arguments)]
pub fn run_level<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    base: Thread<'gc>,
    mut base_ts: Option<&mut ThreadState<'gc>>,
    chain: &mut Vec<ChainEntry<'gc>>,
    mut next: Option<Exit<'gc>>,
    nested: bool,
) -> RtResult<'gc, LevelOutcome> {
    let mut pending: Option<RtError<'gc>> = None;
    loop {
        let cur = chain.last().map(|c| c.0).unwrap_or(base);
        let exit = match next.take() {
            Some(e) => e,
            None => {
                let p = pending.take();
                match base_ts.as_deref_mut() {
                    // Another thread runs while this level holds the base's
                    // state: lend it, for upvalues open on the base's stack.
                    Some(bts) if cur != base => base.lend(bts, || {
                        let mut st = borrow_state(mc, cur)?;
                        Ok(hook::run(
                            &mut Exec {
                                mc,
                                g,
                                th: cur,
                                ts: &mut st,
                            },
                            p,
                        ))
                    })?,
                    _ => with_state(mc, cur, base, &mut base_ts, |ts| {
                        hook::run(&mut Exec { mc, g, th: cur, ts }, p)
                    })?,
                }
            }
        };
        match exit {
            // An await, or the end of a slice in an async call.
            Exit::OutOfFuel if nested => return suspend_level(mc, g, chain, nested),
            Exit::OutOfFuel => return Ok(LevelOutcome::OutOfFuel),
            Exit::Rehook => {}
            Exit::Error(e) if e.is_await() => return suspend_level(mc, g, chain, nested),
            Exit::Returned(n) => {
                let Some((co, wrap)) = chain.pop() else {
                    return Ok(LevelOutcome::Returned(n));
                };
                co.set_status(ThreadStatus::Dead);
                let vals = with_state(mc, co, base, &mut base_ts, |ts| take_top(ts, n))?;
                next = finish_resume(mc, g, chain, base, &mut base_ts, vals, wrap, true)?;
            }
            Exit::Yield(n) => {
                let vals = with_state(mc, cur, base, &mut base_ts, |ts| take_top(ts, n))?;
                match yield_out(mc, g, base, &mut base_ts, chain, vals, nested)? {
                    YieldTo::Resumer(n) => next = n,
                    YieldTo::Refused(e) => pending = Some(e),
                    YieldTo::Outer(vals) => return Err(yield_error(mc, base, &mut base_ts, vals)?),
                }
            }
            Exit::Error(e) if e.is_yield() => {
                let vals = with_state(mc, cur, base, &mut base_ts, |ts| {
                    std::mem::take(&mut ts.yielded)
                })?;
                match yield_out(mc, g, base, &mut base_ts, chain, vals, nested)? {
                    YieldTo::Resumer(n) => next = n,
                    YieldTo::Refused(e) => pending = Some(e),
                    YieldTo::Outer(vals) => return Err(yield_error(mc, base, &mut base_ts, vals)?),
                }
            }
            Exit::Resume { co, nargs, wrap } => {
                let args = with_state(mc, cur, base, &mut base_ts, |ts| take_top(ts, nargs))?;
                let refusal = match co.status() {
                    ThreadStatus::Suspended if chain.len() < MAX_NESTED_CALLS as usize => None,
                    ThreadStatus::Suspended => Some("C stack overflow"),
                    ThreadStatus::Dead => Some("cannot resume dead coroutine"),
                    _ => Some("cannot resume non-suspended coroutine"),
                };
                if let Some(msg) = refusal {
                    if wrap {
                        pending = Some(RtError::msg(msg));
                    } else {
                        let m = Global::intern(g, mc, msg.as_bytes());
                        next = deliver_to(
                            mc,
                            g,
                            cur,
                            base,
                            &mut base_ts,
                            &[Value::Boolean(false), Value::String(m)],
                        )?;
                    }
                    continue;
                }
                cur.set_status(ThreadStatus::Normal);
                co.set_status(ThreadStatus::Running);
                chain.push((co, wrap));
                next = start_or_continue(mc, g, co, &args)?;
            }
            Exit::Error(e) => {
                let Some((co, wrap)) = chain.pop() else {
                    return Err(e);
                };
                co.set_status(ThreadStatus::Dead);
                let resumer = chain.last().map(|c| c.0).unwrap_or(base);
                resumer.set_status(ThreadStatus::Running);
                // A wrap function closes the dead coroutine before it
                // propagates the error (which closing may change).
                let e = match e {
                    RtError::Value(v) if wrap => {
                        let closed = match base_ts.as_deref_mut() {
                            Some(bts) => base.lend(bts, || close_coroutine(mc, g, co)),
                            None => close_coroutine(mc, g, co),
                        }?;
                        RtError::Value(closed.unwrap_or(v))
                    }
                    e => e,
                };
                match e {
                    RtError::Limit(_) => pending = Some(e),
                    // A wrap function propagates the error, with its own
                    // position in front of a string message.
                    RtError::Value(Value::String(s)) if wrap => {
                        let w = with_state(mc, resumer, base, &mut base_ts, |ts| {
                            crate::vm::debug::where_(ts, 1)
                        })?;
                        let mut m = w.into_bytes();
                        m.extend_from_slice(s.as_bytes());
                        let m = Global::intern(g, mc, &m);
                        pending = Some(RtError::Value(Value::String(m)));
                    }
                    e if wrap => pending = Some(e),
                    RtError::Value(v) => {
                        next = deliver_to(
                            mc,
                            g,
                            resumer,
                            base,
                            &mut base_ts,
                            &[Value::Boolean(false), v],
                        )?;
                    }
                    other => pending = Some(other),
                }
            }
        }
    }
}

/// An await, or the end of a slice of an async call (see
/// `LimitKind::Await`), stops this level. A nested level unwinds: its
/// coroutines go in front of those of the levels it unwound already. The
/// driver's level takes them all over and stops as if out of fuel (the
/// driver then sees the await, or runs the next slice).
#[cold]
#[inline(never)]
fn suspend_level<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    chain: &mut Vec<ChainEntry<'gc>>,
    nested: bool,
) -> RtResult<'gc, LevelOutcome> {
    let budget = &g.budget.0;
    if !budget.await_requested.get() && !budget.async_call.get() {
        return Err(RtError::msg("internal error: nested run out of fuel"));
    }
    let mut waiting = Global::awaiting_chain_mut(g, mc);
    chain.append(&mut waiting);
    if !nested {
        return Ok(LevelOutcome::OutOfFuel);
    }
    std::mem::swap(&mut *waiting, chain);
    Err(RtError::Limit(crate::error::LimitKind::Await))
}

/// Closes a suspended or dead coroutine (`lua_closethread`): drops its
/// frames and closes its pending to-be-closed variables, with the error
/// that killed it if any. Returns the final error: that one, or one raised
/// by a `__close` metamethod. The thread that asks must have lent its state.
pub fn close_coroutine<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    co: Thread<'gc>,
) -> RtResult<'gc, Option<Value<'gc>>> {
    let mut st = borrow_state(mc, co)?;
    let err = st.dead_error.take();
    st.frames.clear();
    st.nny += 1;
    let mut ex = Exec {
        mc,
        g,
        th: co,
        ts: &mut st,
    };
    let r = match ex.close_level(0, err) {
        Ok(()) => err,
        // Later errors replace the first.
        Err(RtError::Value(v)) => Some(ex.close_all(0, v)),
        Err(e) => {
            ex.ts.nny -= 1;
            return Err(e);
        }
    };
    ex.ts.nny -= 1;
    ex.ts.top = 0;
    co.set_status(ThreadStatus::Dead);
    Ok(r)
}

/// The error that carries a yield out of a nested level; the values wait in
/// the yielding thread's state.
fn yield_error<'gc>(
    mc: &'gc Mutation<'gc>,
    base: Thread<'gc>,
    base_ts: &mut Option<&mut ThreadState<'gc>>,
    vals: Vec<Value<'gc>>,
) -> RtResult<'gc, RtError<'gc>> {
    with_state(mc, base, base, base_ts, |ts| ts.yielded = vals)?;
    Ok(RtError::Limit(crate::error::LimitKind::Yield))
}

/// Where the values of a yield go.
enum YieldTo<'gc> {
    /// To the resumer: continue with this exit.
    Resumer(Option<Exit<'gc>>),
    /// Yielding is not possible here: raise this error at the yield.
    Refused(RtError<'gc>),
    /// Out of this nested level, up to the level that resumed the coroutine.
    Outer(Vec<Value<'gc>>),
}

/// A yield of the running thread of this level (the last of the chain, or
/// the base when the chain is empty).
fn yield_out<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    base: Thread<'gc>,
    base_ts: &mut Option<&mut ThreadState<'gc>>,
    chain: &mut Vec<ChainEntry<'gc>>,
    vals: Vec<Value<'gc>>,
    nested: bool,
) -> RtResult<'gc, YieldTo<'gc>> {
    let Some((co, wrap)) = chain.pop() else {
        let msg = if base == g.main_thread {
            "attempt to yield from outside a coroutine"
        } else if nested && with_state(mc, base, base, base_ts, |ts| ts.nny == 0)? {
            return Ok(YieldTo::Outer(vals));
        } else {
            "attempt to yield across a C-call boundary"
        };
        // Raised by the yield itself, a native: no position.
        let m = Global::intern(g, mc, msg.as_bytes());
        return Ok(YieldTo::Refused(RtError::Value(Value::String(m))));
    };
    co.set_status(ThreadStatus::Suspended);
    Ok(YieldTo::Resumer(finish_resume(
        mc, g, chain, base, base_ts, vals, wrap, true,
    )?))
}

/// Hands the values a coroutine yielded or returned to its resumer.
#[allow(clippy::too_many_arguments)]
fn finish_resume<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    chain: &mut [ChainEntry<'gc>],
    base: Thread<'gc>,
    base_ts: &mut Option<&mut ThreadState<'gc>>,
    vals: Vec<Value<'gc>>,
    wrap: bool,
    ok: bool,
) -> RtResult<'gc, Option<Exit<'gc>>> {
    let resumer = chain.last().map(|c| c.0).unwrap_or(base);
    resumer.set_status(ThreadStatus::Running);
    if wrap {
        deliver_to(mc, g, resumer, base, base_ts, &vals)
    } else {
        let mut all = Vec::with_capacity(vals.len() + 1);
        all.push(Value::Boolean(ok));
        all.extend_from_slice(&vals);
        deliver_to(mc, g, resumer, base, base_ts, &all)
    }
}

/// Completes the pending resume/wrap call of `th` with `vals`.
fn deliver_to<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    base: Thread<'gc>,
    base_ts: &mut Option<&mut ThreadState<'gc>>,
    vals: &[Value<'gc>],
) -> RtResult<'gc, Option<Exit<'gc>>> {
    with_state(mc, th, base, base_ts, |ts| {
        let src = ts.top;
        if ts.stack.len() < src + vals.len() {
            ts.stack.resize(src + vals.len(), Value::Nil);
        }
        ts.stack[src..src + vals.len()].copy_from_slice(vals);
        ts.top = src + vals.len();
        let mut ex = Exec { mc, g, th, ts };
        // The return hook of `resume` or the wrap function.
        if ex.ts.hook.live {
            if let Err(e) = hook::leave_native(&mut ex, vals.len()) {
                return match ex.unwind(e) {
                    Ok(None) => None,
                    Ok(Some(n)) => Some(Exit::Returned(n)),
                    Err(e) => Some(Exit::Error(e)),
                };
            }
        }
        ex.deliver(src, vals.len()).map(Exit::Returned)
    })
}

/// Removes the top `n` values of a stack.
fn take_top<'gc>(ts: &mut ThreadState<'gc>, n: usize) -> Vec<Value<'gc>> {
    let start = ts.top - n;
    let v = ts.stack[start..ts.top].to_vec();
    ts.top = start;
    v
}

/// Passes resume arguments to a coroutine: as its body's arguments on the
/// first resume, as the results of its pending `yield` afterwards.
fn start_or_continue<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    co: Thread<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, Option<Exit<'gc>>> {
    let mut st = borrow_state(mc, co)?;
    let ts = &mut *st;
    let src = ts.top;
    if ts.stack.len() < src + args.len() + 1 {
        ts.stack.resize(src + args.len() + 1, Value::Nil);
    }
    ts.stack[src..src + args.len()].copy_from_slice(args);
    ts.top = src + args.len();
    let mut ex = Exec { mc, g, th: co, ts };
    if ex.ts.frames.is_empty() {
        // First resume: the body function sits at slot 0.
        return Ok(match ex.precall(0, args.len(), -1, true) {
            Ok(Pre::Lua) => None,
            Ok(Pre::Done(n)) => Some(Exit::Returned(n.unwrap_or(0))),
            Ok(Pre::Switch(e)) => Some(e),
            Err(e) => Some(Exit::Error(match ex.unwind(e) {
                Err(e) => e,
                Ok(_) => RtError::msg("cannot resume coroutine"),
            })),
        });
    }
    // The pending `yield` returns: its return hook.
    if ex.ts.hook.live
        && ex
            .ts
            .frames
            .last()
            .is_some_and(|f| f.kind == FrameKind::Native)
    {
        if let Err(e) = hook::leave_native(&mut ex, args.len()) {
            return Ok(match ex.unwind(e) {
                Ok(None) => None,
                Ok(Some(n)) => Some(Exit::Returned(n)),
                Err(e) => Some(Exit::Error(e)),
            });
        }
    }
    Ok(ex.deliver(src, args.len()).map(Exit::Returned))
}

/// Calls `f` from native code (or from an instruction, for metamethods) and
/// returns all its results. The call runs to completion here; nesting is
/// bounded. A call made by a Lua instruction (the top frame is a Lua frame)
/// may yield: the yield then leaves as `RtError::Yield` and the interrupted
/// instruction is finished when the call returns after the coroutine is
/// resumed (see `finish_op`).
pub fn call_nested<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, Vec<Value<'gc>>> {
    let at = ts.frame_top();
    call_nested_at(mc, g, th, ts, f, args, at)
}

/// Whether a nested call may yield (or await): made by an instruction (a
/// Lua frame on top), on a thread where nothing forbids it (closing
/// variables while an error unwinds).
fn is_yieldable(ts: &ThreadState<'_>) -> bool {
    ts.nny == 0 && ts.frames.last().is_some_and(|f| f.kind == FrameKind::Lua)
}

/// Like `call_nested`, but returns only the first result (no allocation).
pub fn call_nested1<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, Value<'gc>> {
    let at = ts.frame_top();
    call_nested1_at(mc, g, th, ts, f, args, at)
}

/// `call_nested1` with the function put at stack slot `at` (see
/// `call_nested_at`).
#[inline(always)]
pub fn call_nested1_at<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
    at: usize,
) -> RtResult<'gc, Value<'gc>> {
    // The general path out of line: the direct one needs a smaller stack
    // frame.
    if let Some(native) = direct_native(g, ts, f, args.len(), at) {
        return call_native1(mc, g, th, ts, native, f, args, at);
    }
    call_other1(mc, g, th, ts, f, args, at)
}

/// `call_nested1_at` for any function.
#[inline(never)]
fn call_other1<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
    at: usize,
) -> RtResult<'gc, Value<'gc>> {
    let yieldable = is_yieldable(ts);
    let (func, n) = call_nested_ex(mc, g, th, ts, f, args, yieldable, at)?;
    Ok(first_result(ts, func, n))
}

/// The first of the `n` results at the top of the stack of a nested call
/// made at `func`, which is the top again.
#[inline(always)]
fn first_result<'gc>(ts: &mut ThreadState<'gc>, func: usize, n: usize) -> Value<'gc> {
    let v = if n > 0 {
        ts.stack[ts.top - n]
    } else {
        Value::Nil
    };
    ts.top = func;
    v
}

/// The plain native that `f` is, when a nested call of it at `func` with
/// `nargs` arguments can run it directly (`call_native1`): no hooks, the
/// nesting and the stack within their limits (the general path raises
/// those errors).
#[inline(always)]
fn direct_native<'gc>(
    g: GlobalRef<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    nargs: usize,
    func: usize,
) -> Option<NativeFn> {
    let Value::Function(Function::Native(nf)) = f else {
        return None;
    };
    let NativeKind::Plain(native) = nf.kind.0 else {
        return None;
    };
    let fits = !ts.hook.live
        && func + nargs < crate::vm::budget::MAX_STACK
        && ts.c_calls(g.budget.0.nested.get()) < MAX_NESTED_CALLS;
    fits.then_some(native)
}

/// A nested call of the plain native `native` (the value `f`) at `func`,
/// which `direct_native` accepted: the frame `precall` would push, the
/// native run right here, and its first result read where it left it. A
/// native that returns anything else (a call in its place, an await, a
/// hook turned on) goes on as `call_nested_ex` would from `precall`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn call_native1<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    native: NativeFn,
    f: Value<'gc>,
    args: &[Value<'gc>],
    func: usize,
) -> RtResult<'gc, Value<'gc>> {
    let budget = &g.budget.0;
    let yieldable = is_yieldable(ts);
    place_call(ts, f, args, func);
    let depth = ts.frames.len();
    count_nested(ts, budget, true, yieldable);
    ts.frames
        .push(Frame::native(FrameKind::Native, func, -1, true));
    let r = native(Ctx {
        mc,
        g,
        th,
        ts: &mut *ts,
        base: func + 1,
        nargs: args.len(),
    });
    match r {
        Ok(n)
            if n & (ctx::TAIL_CALL | ctx::CALL_THEN) == 0
                && !budget.await_requested.get()
                && !ts.hook.live =>
        {
            // The frame is the top one again: its results are on top.
            ts.frames.pop();
            count_nested(ts, budget, false, yieldable);
            Ok(first_result(ts, func, n))
        }
        r => native_went_on(mc, g, th, ts, r, func, depth, yieldable),
    }
}

/// The rest of `call_native1` when the native returned anything but
/// results, as `call_nested_ex` goes on after `precall`.
#[allow(clippy::too_many_arguments)]
#[cold]
#[inline(never)]
fn native_went_on<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    r: RtResult<'gc, usize>,
    func: usize,
    depth: usize,
    yieldable: bool,
) -> RtResult<'gc, Value<'gc>> {
    let mut ex = Exec { mc, g, th, ts };
    let pre = r.and_then(|n| ex.native_finished(func, n, -1, true));
    let result = complete_nested(&mut ex, pre, func, depth);
    count_nested(ts, &g.budget.0, false, yieldable);
    match result {
        Ok(n) => Ok(first_result(ts, func, n)),
        Err(e) => Err(nested_call_failed(ts, e, depth, func)),
    }
}

/// Puts `f` and `args` at `func` for a call, the stack's top above them.
/// The caller checked that the stack may grow that far.
#[inline(always)]
fn place_call<'gc>(ts: &mut ThreadState<'gc>, f: Value<'gc>, args: &[Value<'gc>], func: usize) {
    let need = func + args.len() + 1;
    if ts.stack.len() < need {
        ts.stack.resize(need.max(ts.stack.len() * 2), Value::Nil);
    }
    ts.stack[func] = f;
    let dst = &mut ts.stack[func + 1..need];
    // Most nested calls pass one or two values (comparators, metamethods):
    // plain moves for those, where `copy_from_slice` would call `memcpy`.
    match *args {
        [a] => dst[0] = a,
        [a, b] => (dst[0], dst[1]) = (a, b),
        _ => dst.copy_from_slice(args),
    }
    ts.top = need;
}

/// Moves a finished nested call's results off the stack.
fn take_results<'gc>(
    ts: &mut ThreadState<'gc>,
    r: RtResult<'gc, (usize, usize)>,
) -> RtResult<'gc, Vec<Value<'gc>>> {
    let (func, n) = r?;
    let vals = ts.stack[ts.top - n..ts.top].to_vec();
    ts.top = func;
    Ok(vals)
}

/// `call_nested` with the function put at stack slot `at`, for callers that
/// know which registers are free: `finish_op` finds the state of their
/// instruction from it (concatenation, closing variables).
pub fn call_nested_at<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
    at: usize,
) -> RtResult<'gc, Vec<Value<'gc>>> {
    let yieldable = is_yieldable(ts);
    let r = call_nested_ex(mc, g, th, ts, f, args, yieldable, at);
    take_results(ts, r)
}

/// `call_nested` for calls that may never yield (message handlers, closing
/// variables while unwinding an error).
pub fn call_nested_noyield<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, Vec<Value<'gc>>> {
    let at = ts.frame_top();
    let r = call_nested_ex(mc, g, th, ts, f, args, false, at);
    take_results(ts, r)
}

// Inlined: its callers are themselves thin, and the call with eight
// arguments costs as much as a small Lua function's body.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn call_nested_ex<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
    yieldable: bool,
    func: usize,
) -> RtResult<'gc, (usize, usize)> {
    let budget = &g.budget.0;
    if ts.c_calls(budget.nested.get()) >= MAX_NESTED_CALLS {
        // Raised by the running function: positioned only when it is Lua
        // (a metamethod call), as luaG_runerror does.
        return Err(
            if ts.frames.last().is_some_and(|f| f.kind == FrameKind::Lua) {
                RtError::msg("C stack overflow")
            } else {
                let m = Global::intern(g, mc, b"C stack overflow");
                RtError::Value(Value::String(m))
            },
        );
    }
    if !matches!(f, Value::Function(_))
        && crate::vm::meta::get_tm(g, f, crate::state::Tm::Call).is_nil()
    {
        return Err(call_error(g, ts, f));
    }
    if func + args.len() + 1 > crate::vm::budget::MAX_STACK {
        return Err(RtError::msg("stack overflow"));
    }
    place_call(ts, f, args, func);
    let depth = ts.frames.len();
    count_nested(ts, budget, true, yieldable);
    let result = {
        let mut ex = Exec {
            mc,
            g,
            th,
            ts: &mut *ts,
        };
        let pre = ex.precall(func, args.len(), -1, true);
        complete_nested(&mut ex, pre, func, depth)
    };
    count_nested(ts, budget, false, yieldable);
    match result {
        Ok(n) => Ok((func, n)),
        Err(e) => Err(nested_call_failed(ts, e, depth, func)),
    }
}

/// Runs a nested call (the frames above `depth`) that `pre` started at
/// `func` to its end: the number of its results, on top of the stack.
#[inline(always)]
fn complete_nested<'gc>(
    ex: &mut Exec<'gc, '_>,
    pre: RtResult<'gc, Pre<'gc>>,
    func: usize,
    depth: usize,
) -> RtResult<'gc, usize> {
    match pre {
        Ok(Pre::Done(Some(n))) => Ok(n),
        Ok(Pre::Done(None)) => Ok(0),
        // Run the called function here; only a switch of coroutines
        // (or an error or a yield) needs the level loop.
        Ok(Pre::Lua) => match run_pushed(ex, func) {
            Exit::Returned(n) => Ok(n),
            exit => run_nested(ex.mc, ex.g, ex.th, ex.ts, Some(exit)),
        },
        Ok(Pre::Switch(e)) => run_nested(ex.mc, ex.g, ex.th, ex.ts, Some(e)),
        // An error of a native called directly: give it its position now.
        Err(e) if e.is_catchable() && ex.ts.frames.len() > depth => {
            Err(RtError::Value(ex.error_value(e)))
        }
        Err(e) => Err(e),
    }
}

/// Runs the Lua function at `func`, whose frame `precall` just pushed.
#[inline(always)]
fn run_pushed<'gc>(ex: &mut Exec<'gc, '_>, func: usize) -> Exit<'gc> {
    match (ex.ts.stack[func], ex.ts.frames.last()) {
        (Value::Function(Function::Lua(cl)), Some(f)) if !ex.ts.hook.live => {
            let base = f.base;
            crate::vm::exec::execute_pushed(ex, cl, base)
        }
        _ => hook::run(ex, None),
    }
}

/// Counts a call made by a native in (`enter`) or out, on the thread and
/// in the VM's budget; as not yieldable too unless `yieldable`.
#[inline(always)]
pub(crate) fn count_nested(
    ts: &mut ThreadState<'_>,
    budget: &Budget,
    enter: bool,
    yieldable: bool,
) {
    let step = |n: u32| if enter { n + 1 } else { n - 1 };
    budget.nested.set(step(budget.nested.get()));
    ts.nested = step(ts.nested);
    if !yieldable {
        budget.nested_noyield.set(step(budget.nested_noyield.get()));
        ts.nny = step(ts.nny);
    }
}

/// Cleans up after a nested call at `func` (whose frame was `depth`) that
/// did not return: a yield or an await leaves its frames, an error drops
/// them.
pub(crate) fn nested_call_failed<'gc>(
    ts: &mut ThreadState<'gc>,
    e: RtError<'gc>,
    depth: usize,
    func: usize,
) -> RtError<'gc> {
    if e.is_suspension() {
        // The call's frame now finishes the caller's instruction when it
        // returns.
        if let Some(f) = ts.frames.get_mut(depth) {
            f.fresh = false;
            f.finish = true;
            ts.finishing += 1;
        }
    } else {
        ts.frames.truncate(depth);
        ts.top = func;
    }
    e
}

/// "attempt to call a nil value (metamethod 'index')": a value that a nested
/// call cannot call, named after the instruction of the running Lua function.
fn call_error<'gc>(g: GlobalRef<'gc>, ts: &ThreadState<'gc>, f: Value<'gc>) -> RtError<'gc> {
    let what = ts
        .frames
        .len()
        .checked_sub(1)
        .and_then(|fi| {
            let p = crate::vm::debug::frame_proto(ts, fi)?;
            let pc = ts.frames[fi].pc.checked_sub(1)?;
            crate::compiler::debuginfo::describe_called_function(p, pc)
        })
        .map(|(kind, name)| format!(" ({kind} '{}')", String::from_utf8_lossy(&name)))
        .unwrap_or_default();
    RtError::msg(format!(
        "attempt to call a {} value{what}",
        crate::vm::meta::type_name_meta(g, f)
    ))
}

/// Completes the instruction of the Lua frame now on top, which was
/// interrupted when a metamethod it called yielded; the metamethod has just
/// returned `n` values at `func` (where it was called).
pub fn finish_op(ts: &mut ThreadState<'_>, func: usize, n: usize) {
    let fi = ts.frames.len() - 1;
    let Some(p) = crate::vm::debug::frame_proto(ts, fi) else {
        return;
    };
    let frame = ts.frames[fi];
    let base = frame.base;
    let Some(&i) = frame.pc.checked_sub(1).and_then(|pc| p.code.get(pc)) else {
        return;
    };
    let res = if n > 0 { ts.stack[func] } else { Value::Nil };
    let frame_top = base + p.max_stack as usize;
    ts.top = frame_top;
    match i.op() {
        OpCode::Eq
        | OpCode::Lt
        | OpCode::Le
        | OpCode::LtI
        | OpCode::LeI
        | OpCode::GtI
        | OpCode::GeI => {
            let pc = frame.pc;
            let by_lt = matches!(i.op(), OpCode::Le | OpCode::LeI | OpCode::GeI)
                && ts.le_by_lt.last() == Some(&(fi as u32));
            if by_lt {
                ts.le_by_lt.pop();
            }
            let holds = res.is_truthy() != by_lt;
            ts.frames[fi].pc = if holds != i.k() {
                pc + 1
            } else {
                let j = p.code[pc];
                (pc as i64 + 1 + j.sj_field() as i64) as usize
            };
        }
        OpCode::Concat => {
            // The metamethod concatenated the two values just below `func`.
            ts.stack[func - 2] = res;
            let left = func - 1 - (base + i.a());
            if left > 1 {
                ts.concat_resume = Some(left);
                ts.frames[fi].pc -= 1;
            }
        }
        OpCode::Close => ts.frames[fi].pc -= 1,
        OpCode::Return => {
            // Close the other variables, then return; a multiple return
            // keeps its values below `func`.
            if i.b() == 0 {
                ts.top = func;
            }
            ts.frames[fi].pc -= 1;
        }
        OpCode::SetTabUp
        | OpCode::SetTable
        | OpCode::SetI
        | OpCode::SetField
        | OpCode::TailCall
        | OpCode::Call
        | OpCode::TForCall => {}
        _ => ts.stack[base + i.a()] = res,
    }
}

pub(crate) fn run_nested<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    next: Option<Exit<'gc>>,
) -> RtResult<'gc, usize> {
    let mut chain = Vec::new();
    match run_level(mc, g, th, Some(ts), &mut chain, next, true)? {
        LevelOutcome::Returned(n) => Ok(n),
        LevelOutcome::OutOfFuel => Err(RtError::msg("internal error: nested run out of fuel")),
    }
}
