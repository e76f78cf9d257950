//! Running threads together: coroutine switches (resume, yield, wrap) and
//! nested calls from native code back into Lua.

use gc_arena::{Gc, Mutation};

use crate::error::{RtError, RtResult};
use crate::state::GlobalRef;
use crate::thread::{Thread, ThreadObj, ThreadState, ThreadStatus};
use crate::value::Value;
use crate::vm::budget::MAX_NESTED_CALLS;
use crate::vm::exec::{execute, Exec, Exit, Pre};

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
                with_state(mc, cur, base, &mut base_ts, |ts| {
                    execute(&mut Exec { mc, g, th: cur, ts }, p)
                })?
            }
        };
        match exit {
            Exit::OutOfFuel => return Ok(LevelOutcome::OutOfFuel),
            Exit::Returned(n) => {
                let Some((co, wrap)) = chain.pop() else {
                    return Ok(LevelOutcome::Returned(n));
                };
                co.set_status(mc, ThreadStatus::Dead);
                let vals = with_state(mc, co, base, &mut base_ts, |ts| take_top(ts, n))?;
                next = finish_resume(mc, g, chain, base, &mut base_ts, vals, wrap, true)?;
            }
            Exit::Yield(n) => {
                let Some((co, wrap)) = chain.pop() else {
                    let msg = if nested && base != g.main_thread {
                        "attempt to yield across a C-call boundary"
                    } else {
                        "attempt to yield from outside a coroutine"
                    };
                    pending = Some(RtError::msg(msg));
                    continue;
                };
                co.set_status(mc, ThreadStatus::Suspended);
                let vals = with_state(mc, co, base, &mut base_ts, |ts| take_top(ts, n))?;
                next = finish_resume(mc, g, chain, base, &mut base_ts, vals, wrap, true)?;
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
                        let m = crate::state::Global::intern(g, mc, msg.as_bytes());
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
                cur.set_status(mc, ThreadStatus::Normal);
                co.set_status(mc, ThreadStatus::Running);
                chain.push((co, wrap));
                next = start_or_continue(mc, g, co, &args)?;
            }
            Exit::Error(e) => {
                let Some((co, wrap)) = chain.pop() else {
                    return Err(e);
                };
                co.set_status(mc, ThreadStatus::Dead);
                let resumer = chain.last().map(|c| c.0).unwrap_or(base);
                resumer.set_status(mc, ThreadStatus::Running);
                match e {
                    RtError::Limit(_) => pending = Some(e),
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
    resumer.set_status(mc, ThreadStatus::Running);
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
    Ok(ex.deliver(src, args.len()).map(Exit::Returned))
}

/// Calls `f` from native code and returns all its results. The call runs to
/// completion here (it cannot yield); nesting is bounded.
pub fn call_nested<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, Vec<Value<'gc>>> {
    let (func, n) = call_nested_raw(mc, g, th, ts, f, args)?;
    let vals = ts.stack[ts.top - n..ts.top].to_vec();
    ts.top = func;
    Ok(vals)
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
    let (func, n) = call_nested_raw(mc, g, th, ts, f, args)?;
    let v = if n > 0 {
        ts.stack[ts.top - n]
    } else {
        Value::Nil
    };
    ts.top = func;
    Ok(v)
}

/// Runs a nested call; on success its `n` results are at the top of the
/// stack and the caller resets `top` to the returned function slot.
fn call_nested_raw<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    th: Thread<'gc>,
    ts: &mut ThreadState<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> RtResult<'gc, (usize, usize)> {
    let budget = &g.budget.0;
    if budget.nested.get() >= MAX_NESTED_CALLS {
        return Err(RtError::msg("C stack overflow"));
    }
    // Above the running frame's registers: `top` may be lower after a call
    // returned a fixed number of results.
    let func = ts.frame_top();
    let need = func + args.len() + 1;
    if ts.stack.len() < need {
        ts.stack.resize(need.max(ts.stack.len() * 2), Value::Nil);
    }
    ts.stack[func] = f;
    ts.stack[func + 1..need].copy_from_slice(args);
    ts.top = need;
    let depth = ts.frames.len();
    budget.nested.set(budget.nested.get() + 1);
    ts.nested += 1;
    let result = {
        let mut ex = Exec {
            mc,
            g,
            th,
            ts: &mut *ts,
        };
        match ex.precall(func, args.len(), -1, true) {
            Ok(Pre::Done(Some(n))) => Ok(n),
            Ok(Pre::Done(None)) => Ok(0),
            Ok(Pre::Lua) => run_nested(mc, g, th, ex.ts, None),
            Ok(Pre::Switch(e)) => run_nested(mc, g, th, ex.ts, Some(e)),
            Err(e) => {
                // An error of a native called directly: give it its position now.
                let err = match e {
                    RtError::Limit(_) => e,
                    e => match ex.unwind(e) {
                        Err(e) => e,
                        Ok(_) => RtError::msg("error in nested call"),
                    },
                };
                Err(err)
            }
        }
    };
    budget.nested.set(budget.nested.get() - 1);
    ts.nested -= 1;
    match result {
        Ok(n) => Ok((func, n)),
        Err(e) => {
            ts.frames.truncate(depth);
            ts.top = func;
            Err(e)
        }
    }
}

fn run_nested<'gc>(
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
