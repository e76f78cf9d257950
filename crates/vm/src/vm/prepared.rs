//! Calls that skip the general call setup. `PreparedCall`: one function
//! called many times by a native (`table.sort`'s order function): what a
//! nested call (`level::call_nested1`) works out about the function is
//! worked out once, the nesting of the calls is counted once around all of
//! them, and each call of a Lua function only checks the limits,
//! pushes its frame and runs it. `push_host_frame`: the frame of a
//! call from the host. Anything unusual (hooks to start, a stack to grow,
//! a limit reached, another kind of function) takes the general path,
//! which also raises the errors.

use crate::compiler::proto::Proto;
use crate::function::Closure;
use gc_arena::Gc;

use crate::error::RtResult;
use crate::thread::{Frame, FrameKind, ThreadState};
use crate::value::{Function, Value};
use crate::vm::budget::{Budget, MAX_FRAMES, MAX_NESTED_CALLS};
use crate::vm::ctx::Ctx;
use crate::vm::exec::{execute_pushed, store_value, Exec, Exit};

pub struct PreparedCall<'gc> {
    f: Value<'gc>,
    /// Set when `f` is a Lua function with fixed parameters, and the
    /// nesting limit leaves room for its calls: its closure and what its
    /// calls need.
    shape: Option<(Gc<'gc, Closure<'gc>>, Shape)>,
    /// The frames of the thread when the native prepared the call (its
    /// own on top): while that holds, the native makes the call.
    depth: usize,
}

/// What a call of the Lua function with two arguments needs on the stack.
#[derive(Clone, Copy)]
struct Shape {
    /// Parameters beyond the two arguments (set to nil).
    extra_params: usize,
    max_stack: usize,
    /// Slots above the native's top that the call uses: the function, its
    /// parameters, its registers and one more (as `push_lua_frame`).
    room: usize,
}

impl Shape {
    fn of(p: &Proto) -> Shape {
        let (params, max_stack) = (p.num_params as usize, p.max_stack as usize);
        Shape {
            extra_params: params.saturating_sub(2),
            max_stack,
            room: 1 + params.max(2) + max_stack + 1,
        }
    }
}

impl<'gc> PreparedCall<'gc> {
    /// Prepares calls of `f` by the native of `ctx`.
    fn new(ctx: &Ctx<'gc, '_>, f: Value<'gc>) -> Self {
        let frames = &ctx.ts.frames;
        let native_on_top = frames.last().is_some_and(|f| f.kind == FrameKind::Native);
        let lua = match f {
            Value::Function(Function::Lua(cl))
                if !cl.proto.info.0.is_vararg
                    && native_on_top
                    && frames.len() < MAX_FRAMES
                    && ctx.g.budget.0.nested.get() < MAX_NESTED_CALLS =>
            {
                Some(cl)
            }
            _ => None,
        };
        PreparedCall {
            f,
            shape: lua.map(|cl| (cl, Shape::of(&cl.proto.info.0))),
            depth: frames.len(),
        }
    }

    /// Runs `body`, which calls `f` (as the native of `ctx`) through the
    /// `PreparedCall` it gets. The nesting of those calls, which
    /// `call_nested1` counts around each one (not yieldable), is counted
    /// once around all of `body`; anything else `body` calls (metamethods)
    /// must go through `aside`.
    pub fn run<R>(
        ctx: &mut Ctx<'gc, '_>,
        f: Value<'gc>,
        body: impl FnOnce(&mut Ctx<'gc, '_>, &PreparedCall<'gc>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        let call = PreparedCall::new(ctx, f);
        if call.shape.is_none() {
            return body(ctx, &call);
        }
        nest(ctx, true);
        let r = body(ctx, &call);
        nest(ctx, false);
        r
    }

    /// Runs `f`, which calls something else than the prepared function,
    /// with the nesting that `run` counts set aside (as it is between the
    /// calls that `call_nested1` would make).
    #[inline(never)]
    pub fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        if self.shape.is_none() {
            return f(ctx);
        }
        nest(ctx, false);
        let r = f(ctx);
        nest(ctx, true);
        r
    }

    /// Calls the function with `a` and `b`: whether its first result is
    /// true (as `Ctx::call1` then `is_truthy`). Inlined, and the values go
    /// straight between registers and the stack: handed over through
    /// memory, they would stall the loads that follow their stores.
    #[inline(always)]
    pub fn test2(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, bool> {
        match self.shape {
            Some((cl, shape)) if self.ready(ctx, shape) => call_lua(ctx, cl, shape, a, b),
            _ => Ok(self.call_other(ctx, a, b)?.is_truthy()),
        }
    }

    fn call_other(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, Value<'gc>> {
        self.aside(ctx, |ctx| ctx.call1(self.f, &[a, b]))
    }

    /// Whether this call can take the fast path: made by the native that
    /// prepared it (so not yieldable, as for `call_nested1`, and below the
    /// frame limit and the nesting limit), no hook to start, below the
    /// host's depth limit (which a host function may change between two
    /// calls), and with the stack room already there.
    #[inline(always)]
    fn ready(&self, ctx: &Ctx<'_, '_>, shape: Shape) -> bool {
        let ts = &*ctx.ts;
        let budget = &ctx.g.budget.0;
        ts.frames.len() == self.depth
            && !ts.hook.live
            && budget
                .max_call_depth
                .get()
                .is_none_or(|limit| self.depth < limit)
            && ts.top + shape.room <= ts.stack.len()
    }
}

/// Counts one nested, not yieldable call in (`true`) or out, as
/// `level::call_nested1` does around a call made by a native.
fn nest(ctx: &mut Ctx<'_, '_>, enter: bool) {
    crate::vm::level::count_nested(ctx.ts, &ctx.g.budget.0, enter, false);
}

/// The call of a Lua function with `a` and `b` that `ready` accepted
/// inside `run`: the frame that `precall` would push, run by the
/// interpreter; the outcomes (errors, coroutine switches) of
/// `level::call_nested1`. Whether the first result is true.
#[inline(always)]
fn call_lua<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    cl: Gc<'gc, Closure<'gc>>,
    shape: Shape,
    a: Value<'gc>,
    b: Value<'gc>,
) -> RtResult<'gc, bool> {
    let (mc, g, th) = (ctx.mc, ctx.g, ctx.th);
    let ts = &mut *ctx.ts;
    let func = ts.top;
    let base = func + 1;
    // SAFETY: `ready` saw `shape.room` slots from `func` on the stack, at
    // least the function, two arguments and the extra parameters. The
    // arguments are written word by word (`store_value`): a value copied
    // whole goes through a 16-byte load of its words that cannot be
    // forwarded from their separate stores.
    unsafe {
        let slots = ts.stack.as_mut_ptr().add(func);
        store_value(slots, Value::Function(Function::Lua(cl)));
        store_value(slots.add(1), a);
        store_value(slots.add(2), b);
        for i in 0..shape.extra_params {
            slots.add(3 + i).write(Value::Nil);
        }
    }
    let depth = ts.frames.len();
    ts.frames.push(Frame::lua(func, base, 1, 0, true));
    ts.top = base + shape.max_stack;
    // No hook to start (`ready`).
    let exit = execute_pushed(&mut Exec { mc, g, th, ts }, cl, base);
    let answer = match exit {
        // The frame wants one result: it is where the function was (known
        // here without waiting for the interpreter's `top`).
        // SAFETY: `func` was in the stack (`ready`), which never shrinks.
        Exit::Returned(_) => Ok(unsafe { ts.stack.get_unchecked(func) }.is_truthy()),
        exit => crate::vm::level::run_nested(mc, g, th, ts, Some(exit))
            .map(|n| n > 0 && ts.stack[ts.top - n].is_truthy()),
    };
    match answer {
        Ok(answer) => {
            ts.top = func;
            Ok(answer)
        }
        Err(e) => Err(crate::vm::level::nested_call_failed(ts, e, depth, func)),
    }
}

/// The frame `precall` pushes for a call of `f` from the host (all results
/// wanted), pushed directly when `f` is a Lua function with fixed
/// parameters, the stack room is already there and no frame or depth
/// limit is near: the arguments are copied once, straight into place.
/// The closure and the frame's base when pushed (to start the run with,
/// see `execute_pushed`); `None` when anything is unusual, and nothing was
/// done then.
#[inline(always)]
pub fn push_host_frame<'gc>(
    ts: &mut ThreadState<'gc>,
    budget: &Budget,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> Option<(Gc<'gc, Closure<'gc>>, usize)> {
    let Value::Function(Function::Lua(cl)) = f else {
        return None;
    };
    let p = &cl.proto.info.0;
    let (np, nargs) = (p.num_params as usize, args.len());
    let func = ts.top;
    let base = func + 1;
    let depth = ts.frames.len();
    if p.is_vararg
        || depth >= MAX_FRAMES
        || budget
            .max_call_depth
            .get()
            .is_some_and(|limit| depth >= limit)
        || base + nargs.max(np) + p.max_stack as usize + 1 > ts.stack.len()
    {
        return None;
    }
    ts.stack[func] = f;
    // A host passes a few arguments: plain moves for up to two, where a
    // loop (or `memcpy`) would cost more than the copy.
    let dst = &mut ts.stack[base..base + nargs];
    match *args {
        [] => {}
        [a] => dst[0] = a,
        [a, b] => (dst[0], dst[1]) = (a, b),
        _ => dst.copy_from_slice(args),
    }
    if nargs < np {
        ts.stack[base + nargs..base + np].fill(Value::Nil);
    }
    ts.frames.push(Frame::lua(func, base, -1, 0, true));
    ts.top = base + p.max_stack as usize;
    Some((cl, base))
}
