//! The coroutine library (reference manual §6.2).

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFunction, NativeKind, Special};
use crate::state::GlobalRef;
use crate::stdlib::{new_lib, set_value};
use crate::thread::{Thread, ThreadStatus};
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;
use crate::vm::level::borrow_state;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    let t = new_lib(
        mc,
        g,
        "coroutine",
        &[
            ("create", create),
            ("status", status),
            ("wrap", wrap),
            ("running", running),
            ("isyieldable", isyieldable),
            ("close", close),
        ],
    );
    for (name, s) in [("resume", Special::Resume), ("yield", Special::Yield)] {
        let f = NativeFunction::with_upvalues(mc, name, NativeKind::Special(s), &[]);
        set_value(mc, g, t, name, Value::Function(Function::Native(f)));
    }
}

/// A new suspended coroutine whose body is `f`.
pub fn new_coroutine<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, f: Value<'gc>) -> Thread<'gc> {
    let th = Thread::new(mc);
    crate::state::Global::register_thread(g, mc, th);
    if let Ok(mut st) = borrow_state(mc, th) {
        st.stack.push(f);
        st.top = 1;
        st.is_coroutine = true;
    }
    th
}

fn create<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = ctx.check_function(0)?;
    let th = new_coroutine(ctx.mc, ctx.g, f);
    ctx.ret(Value::Thread(th))
}

fn status_name<'gc>(ctx: &Ctx<'gc, '_>, co: Thread<'gc>) -> &'static str {
    if co == ctx.th {
        return "running";
    }
    match co.status() {
        ThreadStatus::Suspended => "suspended",
        ThreadStatus::Running => "running",
        ThreadStatus::Normal => "normal",
        ThreadStatus::Dead => "dead",
    }
}

fn status<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let co = ctx.check_thread(0)?;
    let s = ctx.str_value(status_name(&ctx, co).as_bytes());
    ctx.ret(s)
}

fn wrap<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = ctx.check_function(0)?;
    let th = new_coroutine(ctx.mc, ctx.g, f);
    let w = NativeFunction::with_upvalues(
        ctx.mc,
        "wrap",
        NativeKind::Special(Special::WrapCall),
        &[Value::Thread(th)],
    );
    ctx.ret(Value::Function(Function::Native(w)))
}

fn running<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let th = ctx.th;
    ctx.push(Value::Thread(th));
    ctx.push(Value::Boolean(th == ctx.g.main_thread));
    Ok(2)
}

fn isyieldable<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    // Only a missing argument means the running coroutine (nil is an error).
    let co = if ctx.nargs == 0 {
        ctx.th
    } else {
        ctx.check_thread(0)?
    };
    let yieldable = co != ctx.g.main_thread
        && if co == ctx.th {
            ctx.ts.nny == 0 && !crate::vm::ctx::in_native_call(ctx.ts)
        } else {
            borrow_state(ctx.mc, co).map_or(true, |st| {
                st.nny == 0 && !crate::vm::ctx::in_native_call(&st)
            })
        };
    ctx.ret(Value::Boolean(yieldable))
}

fn close<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let co = ctx.check_thread(0)?;
    match status_name(&ctx, co) {
        "suspended" | "dead" => {}
        s => return Err(RtError::msg(format!("cannot close a {s} coroutine"))),
    }
    let (mc, g, th) = (ctx.mc, ctx.g, ctx.th);
    // The closing code may reach upvalues open on this thread's stack.
    match th.lend(ctx.ts, || crate::vm::level::close_coroutine(mc, g, co))? {
        None => ctx.ret(Value::Boolean(true)),
        Some(v) => {
            ctx.push(Value::Boolean(false));
            ctx.push(v);
            Ok(2)
        }
    }
}
