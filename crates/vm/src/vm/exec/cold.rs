//! Instructions and steps of `execute` run out of line: calls that are not
//! plain Lua-to-Lua calls, general returns, generic-for setup, closures,
//! varargs, list stores, to-be-closed variables, resuming a frame that is
//! not a Lua function. Keeping them out of the dispatch loop keeps its stack
//! frame small (entering `execute` is cheap) and leaves registers to the
//! loop's own state (pc, register pointer, code).

use std::cell::Cell;

use crate::compiler::opcode::{Instr, MAX_C};
use crate::error::{RtError, RtResult};
use crate::function::{Closure, FnProto, NativeKind};
use crate::state::Tm;
use crate::thread::{FrameKind, Thread, ThreadState};
use crate::value::{Function, Value};
use crate::vm::meta;

use super::{
    arith_fallback, debug, ensure_stack, not_callable, out_of_fuel, upvalue_name, Exec, Exit, Pre,
};

/// What the dispatch loop does after a step run out of line.
pub(super) enum Flow<'gc> {
    /// Go on with the next instruction (after re-deriving the register pointer).
    Next,
    /// Start again from the top frame (another frame may be running now).
    Frame,
    /// Raise this error at the running frame (its pc is already saved).
    Throw(RtError<'gc>),
    /// Leave `execute`.
    Exit(Exit<'gc>),
}

fn set_pc(ex: &mut Exec<'_, '_>, fi: usize, pc: usize) {
    if let Some(f) = ex.ts.frames.get_mut(fi) {
        f.pc = pc;
    }
}

/// The function and argument count of CALL and TAILCALL (B = 0: up to the
/// top); a non-callable value without `__call` fails here.
#[inline(always)]
fn call_operands<'gc>(
    ex: &Exec<'gc, '_>,
    fi: usize,
    base: usize,
    i: Instr,
) -> Result<(usize, usize), RtError<'gc>> {
    let func = base + i.a();
    if !matches!(ex.ts.stack[func], Value::Function(_)) {
        if let Some(e) = not_callable(ex, fi, i.a()) {
            return Err(e);
        }
    }
    let nargs = if i.b() != 0 {
        i.b() - 1
    } else {
        ex.ts.top.saturating_sub(func + 1)
    };
    Ok((func, nargs))
}

/// Resumes a top frame that is not a running Lua function: a native that
/// called with `Ctx::call_then`, a native that finished before a
/// collection, or a protected call closing variables after an error or
/// waiting for its return hook.
#[inline(never)]
pub(super) fn resume_frame<'gc>(ex: &mut Exec<'gc, '_>, kind: FrameKind, pc: usize) -> Flow<'gc> {
    if kind == FrameKind::Native {
        if crate::vm::ctx::is_waiting(pc) {
            // The function a native called with `Ctx::call_then` returned.
            return match ex.continue_native() {
                Ok(Pre::Lua | Pre::Done(None)) => Flow::Frame,
                Ok(Pre::Done(Some(n))) => Flow::Exit(Exit::Returned(n)),
                Ok(Pre::Switch(e)) => Flow::Exit(e),
                Err(e) => Flow::Throw(e),
            };
        }
        // The results' count is in `pc`.
        let n = pc;
        return delivered(ex.deliver(ex.ts.top - n, n));
    }
    if pc >= crate::vm::hook::RETURNED {
        return protected_returned(ex, pc - crate::vm::hook::RETURNED);
    }
    // A protected call that closes variables after an error.
    if ex.ts.frames.last().is_some_and(|f| f.finish) {
        return match ex.continue_closing() {
            Ok(None) => Flow::Frame,
            Ok(Some(n)) => Flow::Exit(Exit::Returned(n)),
            Err(e) => Flow::Throw(e),
        };
    }
    Flow::Exit(Exit::Error(RtError::msg(
        "internal error: resumed into a marker frame",
    )))
}

/// The protected call on top returned its `n` results (up to the top):
/// its return hook, then its results go to its caller. An error of the
/// hook is raised in the caller.
#[cold]
#[inline(never)]
fn protected_returned<'gc>(ex: &mut Exec<'gc, '_>, n: usize) -> Flow<'gc> {
    let fi = ex.ts.frames.len() - 1;
    let f = ex.ts.frames[fi];
    let mut src = ex.ts.top - n;
    // The results sit where PUC-Rio's `pcall` and `xpcall` leave them in
    // their own stack (the hook's `ftransfer`): above the function and
    // handler of an `xpcall`, and above the first results of a failed call.
    let ok = ex.ts.stack[src].is_truthy();
    let first = match (f.kind, ok) {
        (FrameKind::PCall, true) => 1,
        (FrameKind::PCall, false) | (FrameKind::XPCall, true) => 3,
        _ => 5,
    };
    if let Err(e) = ensure_stack(ex.ts, f.func + first + n + 1) {
        ex.ts.frames.pop();
        return Flow::Throw(e);
    }
    ex.ts.stack.copy_within(src..src + n, f.func + first);
    src = f.func + first;
    ex.ts.top = src + n;
    if let Err(e) = crate::vm::hook::leave(ex, fi, src, n) {
        ex.ts.frames.pop();
        return Flow::Throw(e);
    }
    delivered(ex.deliver(src, n))
}

/// The flow after `deliver` moved a frame's results: out of this run when
/// that frame was its bottom one, else on in the frame below.
fn delivered<'gc>(bottom_returned: Option<usize>) -> Flow<'gc> {
    match bottom_returned {
        Some(n) => Flow::Exit(Exit::Returned(n)),
        None => Flow::Frame,
    }
}

/// After a call that completed or pushed its frame: the way out of the run
/// when the call used up the slice's fuel (or charging it failed).
fn leave_if_out_of_fuel<'gc>(ex: &mut Exec<'gc, '_>, fuel: &Cell<i64>) -> Option<Flow<'gc>> {
    if fuel.get() > 0 {
        return None;
    }
    match out_of_fuel(ex, fuel) {
        Ok(true) => Some(Flow::Exit(Exit::OutOfFuel)),
        Ok(false) => None,
        Err(e) => Some(Flow::Throw(e)),
    }
}

/// A CALL out of fuel: accounted before the call, which runs again when the
/// thread continues (so recursion without loops can be paused and stopped).
#[cold]
#[inline(never)]
pub(super) fn call_out_of_fuel<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    pc: usize,
    i: Instr,
    fuel: &Cell<i64>,
    max_stack: usize,
) -> Flow<'gc> {
    set_pc(ex, fi, pc - 1);
    if i.b() != 0 {
        // The registers are live (a variable argument count keeps its own top).
        ex.ts.top = base + max_stack;
    }
    match out_of_fuel(ex, fuel) {
        Ok(true) => Flow::Exit(Exit::OutOfFuel),
        Ok(false) => Flow::Next,
        Err(e) => {
            set_pc(ex, fi, pc);
            Flow::Throw(e)
        }
    }
}

/// A backward jump that used up the slice's fuel.
#[cold]
#[inline(never)]
pub(super) fn back_edge_out_of_fuel<'gc>(
    ex: &mut Exec<'gc, '_>,
    base: usize,
    pc: usize,
    proto: &FnProto<'gc>,
    fuel: &Cell<i64>,
) -> Flow<'gc> {
    // Only locals are live at a loop's back edge.
    pause_point(ex, fuel, || base + debug::active_locals(&proto.info.0, pc))
}

/// Charges the fuel spent; when the run gives control back here, the
/// frame keeps the registers below `live_top()`.
#[inline(always)]
fn pause_point<'gc>(
    ex: &mut Exec<'gc, '_>,
    fuel: &Cell<i64>,
    live_top: impl FnOnce() -> usize,
) -> Flow<'gc> {
    match out_of_fuel(ex, fuel) {
        Ok(true) => {
            ex.ts.top = live_top();
            Flow::Exit(Exit::OutOfFuel)
        }
        Ok(false) => Flow::Next,
        Err(e) => Flow::Throw(e),
    }
}

/// After CONCAT, when memory grew enough for a collection step: the
/// outermost run returns to its driver as if the fuel were spent, so a loop
/// that builds strings is collected as it goes (PUC-Rio checks the collector
/// after such instructions). Every register stays live.
#[cold]
#[inline(never)]
pub(super) fn collection_point<'gc>(
    ex: &mut Exec<'gc, '_>,
    base: usize,
    proto: &FnProto<'gc>,
    fuel: &Cell<i64>,
) -> Flow<'gc> {
    pause_point(ex, fuel, || base + proto.info.0.max_stack as usize)
}

/// CALL of anything but a Lua function with fixed parameters and room on
/// the stack: natives, varargs, `__call`, errors, stack growth.
#[inline(never)]
pub(super) fn call<'gc, const HOOKED: bool>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    i: Instr,
    fuel: &Cell<i64>,
    max_stack: usize,
) -> Flow<'gc> {
    let (func, nargs) = match call_operands(ex, fi, base, i) {
        Ok(x) => x,
        Err(e) => return Flow::Throw(e),
    };
    let nresults = i.c() as i32 - 1;
    fuel.set(fuel.get() - 1);
    // A plain native (the commonest callee here) called right here: one
    // function frame less than through `precall`.
    let pre = match ex.ts.stack[func] {
        Value::Function(Function::Native(nf)) => match nf.kind.0 {
            NativeKind::Plain(f) => ex.call_native(f, func, nargs, nresults, false),
            _ => ex.precall(func, nargs, nresults, false),
        },
        _ => ex.precall(func, nargs, nresults, false),
    };
    match pre {
        Ok(Pre::Lua) => Flow::Frame,
        Ok(Pre::Done(None)) => {
            if let Some(leave) = leave_if_out_of_fuel(ex, fuel) {
                return leave;
            }
            // A completed pcall may have left a different frame on top.
            if ex.ts.frames.len() - 1 != fi {
                return Flow::Frame;
            }
            if nresults >= 0 {
                ex.ts.top = base + max_stack;
            }
            if !HOOKED && ex.ts.hook.live {
                return Flow::Exit(Exit::Rehook);
            }
            Flow::Next
        }
        Ok(Pre::Done(Some(n))) => Flow::Exit(Exit::Returned(n)),
        Ok(Pre::Switch(exit)) => Flow::Exit(exit),
        Err(e) => Flow::Throw(e),
    }
}

/// TAILCALL other than a Lua function replacing the running one in place.
#[inline(never)]
pub(super) fn tail_call<'gc, const HOOKED: bool>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    i: Instr,
    fuel: &Cell<i64>,
) -> Flow<'gc> {
    let (func, nargs) = match call_operands(ex, fi, base, i) {
        Ok(x) => x,
        Err(e) => return Flow::Throw(e),
    };
    if i.k() {
        if let Err(e) = ex.close_level(base, None) {
            return Flow::Throw(e);
        }
    }
    fuel.set(fuel.get() - 1);
    if let Value::Function(Function::Lua(_)) = ex.ts.stack[func] {
        let Some(f) = ex.ts.frames.pop() else {
            return Flow::Exit(Exit::Error(RtError::msg("internal error: no frame")));
        };
        let dst = f.func;
        super::move_down(&mut ex.ts.stack, func, 1 + nargs, dst);
        return match ex.precall(dst, nargs, f.nresults, f.fresh) {
            Ok(_) => {
                if let Some(top) = ex.ts.frames.last_mut() {
                    top.tail = true;
                    // It completes the instruction the replaced frame was to.
                    top.finish = f.finish;
                }
                leave_if_out_of_fuel(ex, fuel).unwrap_or(Flow::Frame)
            }
            Err(e) => {
                // Report the error in the caller's context.
                ex.ts.frames.push(f);
                Flow::Throw(e)
            }
        };
    }
    // Other functions are plain calls, their results returned at once.
    match ex.precall(func, nargs, -1, false) {
        Ok(Pre::Lua) => Flow::Frame,
        Ok(Pre::Done(None)) => {
            if ex.ts.frames.len() - 1 != fi {
                return Flow::Frame;
            }
            let n = ex.ts.top - func;
            if HOOKED {
                if let Err(e) = crate::vm::hook::leave(ex, fi, func, n) {
                    return Flow::Throw(e);
                }
            }
            delivered(ex.deliver(func, n))
        }
        Ok(Pre::Done(Some(n))) => Flow::Exit(Exit::Returned(n)),
        Ok(Pre::Switch(exit)) => Flow::Exit(exit),
        Err(e) => Flow::Throw(e),
    }
}

/// Any return of `n` results from R[A]: `close` (RETURN's k) closes
/// upvalues and to-be-closed variables first. The caller saved the pc.
#[inline(never)]
pub(super) fn ret<'gc, const HOOKED: bool>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    pc: usize,
    i: Instr,
    n: usize,
    close: bool,
) -> Flow<'gc> {
    let a = i.a();
    if close {
        let save_top = ex.ts.top;
        ex.ts.top = ex.ts.top.max(base + a + n);
        if let Err(e) = ex.close_level(base, None) {
            return Flow::Throw(e);
        }
        ex.ts.top = save_top;
        if !HOOKED && ex.ts.hook.live {
            // A closing method set a hook: return hooked (closing again
            // finds nothing left to close).
            set_pc(ex, fi, pc - 1);
            return Flow::Exit(Exit::Rehook);
        }
    }
    if HOOKED {
        if let Err(e) = crate::vm::hook::leave(ex, fi, base + a, n) {
            return Flow::Throw(e);
        }
    }
    delivered(ex.deliver(base + a, n))
}

/// TFORPREP: the closing value (R[A+3]) is to be closed like a `<close>` local.
#[inline(never)]
pub(super) fn tfor_prep<'gc>(
    ex: &mut Exec<'gc, '_>,
    base: usize,
    i: Instr,
) -> Option<RtError<'gc>> {
    let slot = base + i.a() + 3;
    let v = ex.ts.stack[slot];
    if v.is_truthy() {
        if meta::get_tm(ex.g, v, Tm::Close).is_nil() {
            return Some(RtError::msg(
                "variable '(for state)' got a non-closable value",
            ));
        }
        ex.ts.tbc.push(slot);
    }
    None
}

/// TFORCALL: calls the iterator with the state and control value, copied
/// above the loop variables (the copies may reach past max_stack).
#[inline(never)]
pub(super) fn tfor_call<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    i: Instr,
    fuel: &Cell<i64>,
    max_stack: usize,
) -> Flow<'gc> {
    let ra = base + i.a();
    let cb = ra + 4;
    if let Err(e) = ensure_stack(ex.ts, cb + 3) {
        return Flow::Throw(e);
    }
    ex.ts.stack.copy_within(ra..ra + 3, cb);
    fuel.set(fuel.get() - 1);
    match ex.precall(cb, 2, i.c() as i32, false) {
        Ok(Pre::Lua) => Flow::Frame,
        Ok(Pre::Done(None)) => {
            if ex.ts.frames.len() - 1 != fi {
                return Flow::Frame;
            }
            ex.ts.top = base + max_stack;
            Flow::Next
        }
        Ok(Pre::Done(Some(n))) => Flow::Exit(Exit::Returned(n)),
        Ok(Pre::Switch(exit)) => Flow::Exit(exit),
        Err(e) => Flow::Throw(e),
    }
}

/// SETLIST: stores R[A+1..] into the table R[A] from index `C + extra *
/// (MAX_C + 1)` on (B = 0: up to the top).
#[inline(never)]
pub(super) fn set_list(
    ex: &mut Exec<'_, '_>,
    base: usize,
    i: Instr,
    extra: usize,
    max_stack: usize,
) {
    let ra = base + i.a();
    let n = match i.b() {
        0 => ex.ts.top.saturating_sub(ra + 1),
        b => b,
    };
    let start = i.c() + extra * (MAX_C as usize + 1);
    if let Value::Table(t) = ex.ts.stack[ra] {
        t.borrow_mut(ex.mc)
            .set_list(start, &ex.ts.stack[ra + 1..ra + 1 + n]);
    }
    ex.ts.top = base + max_stack;
}

/// CLOSURE: a closure of the `bx`th nested prototype, its upvalues the
/// running function's registers and upvalues.
#[inline(never)]
pub(super) fn closure<'gc>(
    ex: &mut Exec<'gc, '_>,
    base: usize,
    bx: usize,
    cl: &Closure<'gc>,
    proto: &FnProto<'gc>,
) -> Value<'gc> {
    let p = proto.protos[bx];
    let descs = &p.info.0.upvalues;
    let mut ups = Vec::with_capacity(descs.len());
    for d in descs.iter() {
        if d.in_stack {
            ups.push(ex.find_upvalue(base + d.index as usize));
        } else {
            ups.push(cl.upvalue(d.index as usize));
        }
    }
    Value::Function(Function::Lua(Closure::new(ex.mc, p, ups)))
}

/// VARARG: copies C - 1 of the frame's extra arguments (C = 0: all, setting
/// the top) to R[A..]; multiple results may go past max_stack.
#[inline(never)]
pub(super) fn vararg<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    base: usize,
    i: Instr,
) -> Option<RtError<'gc>> {
    let ra = base + i.a();
    let nvar = ex.ts.frames[fi].nvarargs as usize;
    let want = if i.c() == 0 { nvar } else { i.c() - 1 };
    if let Err(e) = ensure_stack(ex.ts, ra + want + 1) {
        return Some(e);
    }
    for j in 0..want {
        ex.ts.stack[ra + j] = if j < nvar {
            ex.ts.stack[base - nvar + j]
        } else {
            Value::Nil
        };
    }
    if i.c() == 0 {
        ex.ts.top = ra + want;
    }
    None
}

/// TBC: R[A] becomes a to-be-closed variable (nil and false are ignored).
#[inline(never)]
pub(super) fn tbc<'gc>(
    ex: &mut Exec<'gc, '_>,
    base: usize,
    pc: usize,
    i: Instr,
    proto: &FnProto<'gc>,
) -> Option<RtError<'gc>> {
    let slot = base + i.a();
    let v = ex.ts.stack[slot];
    if !v.is_truthy() {
        return None;
    }
    if meta::get_tm(ex.g, v, Tm::Close).is_nil() {
        let name = crate::compiler::debuginfo::local_name(&proto.info.0, i.a(), pc - 1)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_else(|| "?".into());
        return Some(RtError::msg(format!(
            "variable '{name}' got a non-closable value"
        )));
    }
    ex.ts.tbc.push(slot);
    None
}

// Slow paths of the operations with metamethods. Each saves the pc, moves
// an error into `pending` and returns only the value: a small `Option` comes
// back in registers, where a `Result` would take a stack slot in `execute`
// at every call site.

fn stash<'gc, T>(r: RtResult<'gc, T>, pending: &mut Option<RtError<'gc>>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            *pending = Some(e);
            None
        }
    }
}

/// What an error message names an indexed value after.
#[derive(Clone, Copy)]
pub(super) enum Subject<'p, 'gc> {
    /// The value is in this register.
    Register(usize),
    /// The value is this upvalue of the running function.
    Upvalue(&'p FnProto<'gc>, usize),
}

impl<'gc> Subject<'_, 'gc> {
    fn describe(self, ts: &ThreadState<'gc>, fi: usize) -> String {
        match self {
            Subject::Register(reg) => debug::describe_reg(ts, fi, reg),
            Subject::Upvalue(proto, up) => upvalue_name(proto, up),
        }
    }
}

/// `t[key]` with metamethods; `subject` names `t` in messages.
#[inline(never)]
pub(super) fn index<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    (t, key): (Value<'gc>, Value<'gc>),
    subject: Subject<'_, 'gc>,
    pending: &mut Option<RtError<'gc>>,
) -> Option<Value<'gc>> {
    set_pc(ex, fi, pc);
    let describe = |ts: &ThreadState<'gc>| subject.describe(ts, fi);
    stash(ex.meta().index_inline(t, key, &describe), pending)
}

/// `t[key] = val` with metamethods; `subject` names `t` in messages.
#[inline(never)]
pub(super) fn set_index<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    (t, key, val): (Value<'gc>, Value<'gc>, Value<'gc>),
    subject: Subject<'_, 'gc>,
    pending: &mut Option<RtError<'gc>>,
) -> bool {
    set_pc(ex, fi, pc);
    let describe = |ts: &ThreadState<'gc>| subject.describe(ts, fi);
    stash(ex.meta().set_index(t, key, val, &describe), pending).is_some()
}

/// `a < b` (`a <= b` when `le`) with metamethods.
#[inline(never)]
pub(super) fn compare<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    (a, b): (Value<'gc>, Value<'gc>),
    le: bool,
    pending: &mut Option<RtError<'gc>>,
) -> Option<bool> {
    set_pc(ex, fi, pc);
    stash(ex.meta().compare(a, b, le), pending)
}

/// `a == b` for two tables or two userdata (`__eq`).
#[inline(never)]
pub(super) fn equals<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    (a, b): (Value<'gc>, Value<'gc>),
    pending: &mut Option<RtError<'gc>>,
) -> Option<bool> {
    set_pc(ex, fi, pc);
    stash(ex.meta().equals(a, b), pending)
}

/// `#v` with metamethods; `reg` names `v` in messages.
#[inline(never)]
pub(super) fn len<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    v: Value<'gc>,
    reg: usize,
    pending: &mut Option<RtError<'gc>>,
) -> Option<Value<'gc>> {
    set_pc(ex, fi, pc);
    let describe = |ts: &ThreadState<'gc>| debug::describe_reg(ts, fi, reg);
    stash(ex.meta().len(v, &describe), pending)
}

/// An upvalue open on another thread's stack.
#[cold]
#[inline(never)]
pub(super) fn foreign_upvalue<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    thread: Thread<'gc>,
    index: usize,
    pending: &mut Option<RtError<'gc>>,
) -> Option<Value<'gc>> {
    set_pc(ex, fi, pc);
    stash(ex.get_foreign_upvalue(thread, index), pending)
}

/// An arithmetic or bitwise instruction that missed its fast path (see
/// `arith_fallback`).
#[cold]
#[inline(never)]
pub(super) fn arith<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    i: Instr,
    pending: &mut Option<RtError<'gc>>,
) -> Option<Value<'gc>> {
    stash(arith_fallback(ex, fi, pc, i), pending).flatten()
}
