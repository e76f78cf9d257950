//! One function called many times by a native (`table.sort`'s order
//! function, `string.gsub`'s replacement function): what a nested call
//! (`level::call_nested1`) works out about the function is worked out once,
//! and each call of a Lua function only checks the limits, pushes its frame
//! and runs it. Anything unusual (hooks to start, a stack to grow, a limit
//! reached, another kind of function) takes the general path, which also
//! raises the errors.

use crate::error::RtResult;
use crate::thread::{Frame, FrameKind};
use crate::value::{Function, Value};
use crate::vm::budget::{MAX_FRAMES, MAX_NESTED_CALLS};
use crate::vm::ctx::Ctx;
use crate::vm::exec::{Exec, Exit};

pub struct PreparedCall<'gc> {
    f: Value<'gc>,
    /// Set when `f` is a Lua function with fixed parameters.
    shape: Option<Shape>,
}

/// What a call of the Lua function needs on the stack.
#[derive(Clone, Copy)]
struct Shape {
    num_params: usize,
    max_stack: usize,
}

impl<'gc> PreparedCall<'gc> {
    pub fn new(f: Value<'gc>) -> Self {
        let shape = match f {
            Value::Function(Function::Lua(cl)) if !cl.proto.info.0.is_vararg => Some(Shape {
                num_params: cl.proto.info.0.num_params as usize,
                max_stack: cl.proto.info.0.max_stack as usize,
            }),
            _ => None,
        };
        PreparedCall { f, shape }
    }

    /// Calls the function with `args` and returns its first result, as
    /// `Ctx::call1` does.
    #[inline]
    pub fn call1(&self, ctx: &mut Ctx<'gc, '_>, args: &[Value<'gc>]) -> RtResult<'gc, Value<'gc>> {
        match self.shape {
            Some(shape) if ready(ctx, shape, args.len()) => call_lua(ctx, self.f, shape, args),
            _ => ctx.call1(self.f, args),
        }
    }
}

/// Whether a call can take the fast path: made by the native on top (so
/// not yieldable, as for `call_nested1`), no hook to start, below the
/// nesting and frame limits, and with the stack room already there.
#[inline(always)]
fn ready(ctx: &Ctx<'_, '_>, shape: Shape, nargs: usize) -> bool {
    let ts = &*ctx.ts;
    let budget = &ctx.g.budget.0;
    let depth = ts.frames.len();
    let room = ts.top + 1 + nargs.max(shape.num_params) + shape.max_stack + 1;
    ts.frames.last().is_some_and(|f| f.kind == FrameKind::Native)
        && !ts.hook.live
        && budget.nested.get() < MAX_NESTED_CALLS
        && depth < MAX_FRAMES
        && budget.max_call_depth.get().map_or(true, |limit| depth < limit)
        && room <= ts.stack.len()
}

/// The call of a Lua function that `ready` accepted: the frame that
/// `precall` would push, run by the interpreter; the bookkeeping and the
/// outcomes (errors, coroutine switches) of `level::call_nested1`.
#[inline(always)]
fn call_lua<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    f: Value<'gc>,
    shape: Shape,
    args: &[Value<'gc>],
) -> RtResult<'gc, Value<'gc>> {
    let (mc, g, th) = (ctx.mc, ctx.g, ctx.th);
    let ts = &mut *ctx.ts;
    let func = ts.top;
    let base = func + 1;
    ts.stack[func] = f;
    match *args {
        [a, b] => (ts.stack[base], ts.stack[base + 1]) = (a, b),
        _ => ts.stack[base..base + args.len()].copy_from_slice(args),
    }
    if args.len() < shape.num_params {
        ts.stack[base + args.len()..base + shape.num_params].fill(Value::Nil);
    }
    let depth = ts.frames.len();
    ts.frames.push(Frame {
        kind: FrameKind::Lua,
        func,
        base,
        pc: 0,
        nresults: 1,
        nvarargs: 0,
        fresh: true,
        finish: false,
        tail: false,
    });
    ts.top = base + shape.max_stack;
    let budget = &g.budget.0;
    budget.nested.set(budget.nested.get() + 1);
    budget.nested_noyield.set(budget.nested_noyield.get() + 1);
    ts.nested += 1;
    ts.nny += 1;
    let exit = crate::vm::hook::run(&mut Exec { mc, g, th, ts }, None);
    let result = match exit {
        Exit::Returned(n) => Ok(n),
        exit => crate::vm::level::run_nested(mc, g, th, ts, Some(exit)),
    };
    budget.nested.set(budget.nested.get() - 1);
    budget.nested_noyield.set(budget.nested_noyield.get() - 1);
    ts.nested -= 1;
    ts.nny -= 1;
    match result {
        Ok(n) => {
            let v = if n > 0 {
                ts.stack[ts.top - n]
            } else {
                Value::Nil
            };
            ts.top = func;
            Ok(v)
        }
        Err(e) => Err(crate::vm::level::nested_call_failed(ts, e, depth, func)),
    }
}
