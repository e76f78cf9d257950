//! The bytecode interpreter: one dispatch loop per run of a thread, with
//! Lua-to-Lua calls, returns, protected calls and error unwinding handled
//! without recursion on the Rust stack.

use gc_arena::lock::Lock;
use gc_arena::{Gc, Mutation};

use crate::compiler::opcode::{Instr, OpCode};
use crate::error::{RtError, RtResult};
use crate::function::{Closure, NativeKind, Special, UpState, UpValue};
use crate::state::{Global, GlobalRef, Tm};
use crate::table::Table;
use crate::thread::{Frame, FrameKind, Thread, ThreadState};
use crate::value::{Function, Value, FLOAT_TAG, INT_TAG};
use crate::vm::arith::{self, ArithOp};
use crate::vm::budget::{MAX_FRAMES, MAX_STACK};
use crate::vm::ctx::Ctx;
use crate::vm::debug;
use crate::vm::meta::{self, MetaCx};

mod cold;
use cold::Flow;
use cold::Subject::{Register, Upvalue};

/// Why a run of a thread stopped.
pub enum Exit<'gc> {
    /// The bottom frame of this run returned `n` values, at the top of the stack.
    Returned(usize),
    /// `coroutine.yield` with `n` values at the top; its frame stays on top.
    Yield(usize),
    /// `coroutine.resume` (or a wrap function): the args are at the top;
    /// the caller's frame for the call stays on top.
    Resume {
        co: Thread<'gc>,
        nargs: usize,
        wrap: bool,
    },
    /// An error that no protected call of this run caught.
    Error(RtError<'gc>),
    /// The slice's fuel ran out; call again to continue.
    OutOfFuel,
    /// A native call turned on this thread's hooks: run it again, hooked
    /// (see `hook::run`).
    Rehook,
}

/// What `precall` did.
pub enum Pre<'gc> {
    /// Frames were pushed: run the interpreter.
    Lua,
    /// The call completed: `Some(n)` if that returned from a fresh frame.
    Done(Option<usize>),
    /// A coroutine switch is needed.
    Switch(Exit<'gc>),
}

/// How a plain native call ended (see `Exec::start_native`).
enum Native<'gc> {
    /// As `precall` reports it.
    Returned(Pre<'gc>),
    /// The native asked for a call in its place, with `nargs` arguments and
    /// `nresults` wanted; the function and arguments are at its slot.
    TailCall { nargs: usize, nresults: i32 },
}

pub struct Exec<'gc, 'a> {
    pub mc: &'gc Mutation<'gc>,
    pub g: GlobalRef<'gc>,
    pub th: Thread<'gc>,
    pub ts: &'a mut ThreadState<'gc>,
}

#[inline]
fn ensure_stack<'gc>(ts: &mut ThreadState<'gc>, size: usize) -> RtResult<'gc, ()> {
    if ts.stack.len() < size {
        if size > MAX_STACK {
            stack_overflow(ts, size > MAX_STACK + ERROR_EXTRA_SLOTS)?;
        }
        ts.stack.resize(
            size.max(ts.stack.len() * 2)
                .min(MAX_STACK + ERROR_EXTRA_SLOTS),
            Value::Nil,
        );
    }
    Ok(())
}

/// Room past the stack limits for handling a stack overflow (message
/// handlers, closing variables), like LUAI_MAXSTACK's error space.
const ERROR_EXTRA_SLOTS: usize = 5_000;
const ERROR_EXTRA_FRAMES: usize = 1_000;

/// The message of an error raised while handling a stack overflow (or by a
/// message handler that keeps failing); it carries no position.
pub const ERRERR: &str = "error in error handling";

/// A stack limit was reached. The first time, "stack overflow"; then the
/// thread may use the extra room to handle it, and past that it is an error
/// in error handling.
#[cold]
fn stack_overflow<'gc>(ts: &mut ThreadState<'gc>, beyond_extra: bool) -> RtResult<'gc, ()> {
    if !ts.in_overflow {
        ts.in_overflow = true;
        Err(RtError::msg("stack overflow"))
    } else if beyond_extra {
        Err(RtError::msg(ERRERR))
    } else {
        Ok(())
    }
}

impl<'gc, 'a> Exec<'gc, 'a> {
    fn meta(&mut self) -> MetaCx<'gc, '_> {
        MetaCx {
            mc: self.mc,
            g: self.g,
            th: self.th,
            ts: self.ts,
        }
    }

    /// Pushes a frame for a Lua closure at `func` with `nargs` arguments.
    #[inline]
    fn push_lua_frame(
        &mut self,
        cl: Gc<'gc, Closure<'gc>>,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, ()> {
        let p = &cl.proto.info.0;
        if self.ts.frames.len() >= MAX_FRAMES {
            let n = self.ts.frames.len();
            stack_overflow(self.ts, n >= MAX_FRAMES + ERROR_EXTRA_FRAMES)?;
        }
        if let Some(limit) = self.g.budget.0.max_call_depth.get() {
            if self.ts.frames.len() >= limit {
                return Err(RtError::Limit(crate::error::LimitKind::CallDepth));
            }
        }
        let np = p.num_params as usize;
        let ts = &mut *self.ts;
        let (base, nvarargs) = if p.is_vararg {
            let base = func + 1 + nargs;
            ensure_stack(ts, base + p.max_stack as usize + 1)?;
            for i in 0..np {
                ts.stack[base + i] = if i < nargs {
                    ts.stack[func + 1 + i]
                } else {
                    Value::Nil
                };
            }
            (base, nargs.saturating_sub(np) as u32)
        } else {
            let base = func + 1;
            ensure_stack(ts, base + p.max_stack as usize + 1)?;
            (base, 0)
        };
        // Missing parameters are nil. (Other registers are written before
        // they are read; stale values there are harmless to the collector,
        // which clears the dead part of stacks before sweeping.)
        if !p.is_vararg && nargs < np {
            ts.stack[base + nargs..base + np].fill(Value::Nil);
        }
        ts.frames
            .push(Frame::lua(func, base, nresults, nvarargs, fresh));
        ts.top = base + p.max_stack as usize;
        Ok(())
    }

    /// Starts a call of the value at `func` with `nargs` arguments above it.
    #[inline]
    pub fn precall(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Pre<'gc>> {
        if let Value::Function(Function::Lua(cl)) = self.ts.stack[func] {
            self.push_lua_frame(cl, func, nargs, nresults, fresh)?;
            return Ok(Pre::Lua);
        }
        self.precall_other(func, nargs, nresults, fresh)
    }

    /// `precall` for natives, special functions and `__call`.
    #[inline(never)]
    fn precall_other(
        &mut self,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Pre<'gc>> {
        // Plain natives first, in a small function: the general path's
        // stack frame costs more than the call itself.
        if let Value::Function(Function::Native(nf)) = self.ts.stack[func] {
            if let NativeKind::Plain(f) = nf.kind.0 {
                return self.call_native(f, func, nargs, nresults, fresh);
            }
        }
        self.precall_general(func, nargs, nresults, fresh, 0)
    }

    /// Calls the plain native `f` at `func`.
    #[inline(always)]
    fn call_native(
        &mut self,
        f: crate::function::NativeFn,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Pre<'gc>> {
        match self.start_native(f, func, nargs, nresults, fresh)? {
            Native::Returned(pre) => Ok(pre),
            Native::TailCall { nargs, nresults } => {
                self.precall_general(func, nargs, nresults, fresh, 1)
            }
        }
    }

    /// Runs the plain native `f` called at `func`, in a frame of its own,
    /// up to what it returns: its results (delivered inline in the common
    /// case), or a function to call in its place, moved to `func`.
    #[inline(always)]
    fn start_native(
        &mut self,
        f: crate::function::NativeFn,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Native<'gc>> {
        self.ts
            .frames
            .push(Frame::native(FrameKind::Native, func, nresults, fresh));
        self.ts.top = func + 1 + nargs;
        if self.ts.hook.live {
            crate::vm::hook::enter_native(self, nargs)?;
        }
        let n = self.run_native(f, func, nargs)?;
        self.native_ended(func, n, nresults)
    }

    /// The plain native called at `func` (its frame on top, as `nresults`
    /// wanted) returned `n`: its results delivered (inline in the common
    /// case), or the function it asked to be called in its place moved to
    /// `func`.
    #[inline(always)]
    fn native_ended(&mut self, func: usize, n: usize, nresults: i32) -> RtResult<'gc, Native<'gc>> {
        // Plain results, the common case, inline (no collection due, no
        // hook to tell).
        let budget = &self.g.budget.0;
        if n & (crate::vm::ctx::TAIL_CALL | crate::vm::ctx::CALL_THEN) == 0
            && !budget.gc_requested.get()
            && !budget.gc_step_due()
            && !self.ts.hook.live
        {
            let src = self.ts.top - n;
            return Ok(Native::Returned(Pre::Done(self.deliver(src, n))));
        }
        if n & crate::vm::ctx::TAIL_CALL != 0 {
            // The native ends by calling a function in its place.
            let (targs, want) = crate::vm::ctx::decode_tail_call(n);
            let src = self.ts.top - targs - 1;
            self.ts.frames.pop();
            self.ts.stack.copy_within(src..src + targs + 1, func);
            let nresults = match want {
                Some(w) if nresults < 0 => w,
                _ => nresults,
            };
            return Ok(Native::TailCall {
                nargs: targs,
                nresults,
            });
        }
        self.native_returned(n).map(Native::Returned)
    }

    /// What `precall(func, _, nresults, fresh)` does once the plain native
    /// it called, whose frame is on top, returned `n`; for callers that ran
    /// the native themselves (see `level::call_nested1`).
    #[inline(never)]
    pub(crate) fn native_finished(
        &mut self,
        func: usize,
        n: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Pre<'gc>> {
        match self.native_ended(func, n, nresults)? {
            Native::Returned(pre) => Ok(pre),
            Native::TailCall { nargs, nresults } => {
                self.precall_general(func, nargs, nresults, fresh, 1)
            }
        }
    }

    /// `precall_other` for any value, `rounds` of the call chain (natives
    /// calling in their place, `__call`) already made.
    #[inline(never)]
    fn precall_general(
        &mut self,
        func: usize,
        mut nargs: usize,
        mut nresults: i32,
        fresh: bool,
        rounds: u32,
    ) -> RtResult<'gc, Pre<'gc>> {
        for _ in rounds..crate::vm::budget::MAX_NESTED_CALLS {
            match self.ts.stack[func] {
                Value::Function(Function::Lua(cl)) => {
                    self.push_lua_frame(cl, func, nargs, nresults, fresh)?;
                    return Ok(Pre::Lua);
                }
                Value::Function(Function::Native(nf)) => {
                    return match nf.kind.0 {
                        NativeKind::Plain(f) => {
                            match self.start_native(f, func, nargs, nresults, fresh)? {
                                Native::Returned(pre) => Ok(pre),
                                Native::TailCall {
                                    nargs: targs,
                                    nresults: want,
                                } => {
                                    (nargs, nresults) = (targs, want);
                                    continue;
                                }
                            }
                        }
                        NativeKind::Special(s) => self.special(
                            s,
                            nf.upvalues.first().map(|u| u.get()),
                            func,
                            nargs,
                            nresults,
                            fresh,
                        ),
                    };
                }
                v => {
                    let tm = meta::get_tm(self.g, v, Tm::Call);
                    if tm.is_nil() {
                        return Err(RtError::msg(debug::call_error_text(self.g, self.ts, v)));
                    }
                    ensure_stack(self.ts, func + nargs + 2)?;
                    self.ts.stack.copy_within(func..func + 1 + nargs, func + 1);
                    self.ts.stack[func] = tm;
                    nargs += 1;
                }
            }
        }
        Err(RtError::msg("'__call' chain too long; possible loop"))
    }

    fn special(
        &mut self,
        s: Special,
        up0: Option<Value<'gc>>,
        func: usize,
        nargs: usize,
        nresults: i32,
        fresh: bool,
    ) -> RtResult<'gc, Pre<'gc>> {
        let marker = |kind| Frame::native(kind, func, nresults, fresh);
        match s {
            Special::PCall => {
                self.enter_special(marker(FrameKind::Native), nargs)?;
                if nargs == 0 {
                    // Raised from the function's own frame, so that it is
                    // named as the caller named it (luaL_argerror).
                    return Err(RtError::bad_arg(1, "value expected"));
                }
                self.become_protected(FrameKind::PCall);
                if let Some(e) = self.c_stack_error() {
                    return self.protected_error(e);
                }
                self.precall_protected(func + 1, nargs - 1)
            }
            Special::XPCall => {
                self.enter_special(marker(FrameKind::Native), nargs)?;
                if nargs < 2 || !matches!(self.ts.stack[func + 2], Value::Function(_)) {
                    let got = if nargs < 2 {
                        "no value".to_string()
                    } else {
                        meta::type_name_meta(self.g, self.ts.stack[func + 2])
                    };
                    return Err(RtError::bad_arg(2, format!("function expected, got {got}")));
                }
                self.ts.stack.swap(func + 1, func + 2);
                self.become_protected(FrameKind::XPCall);
                if let Some(e) = self.c_stack_error() {
                    return self.protected_error(e);
                }
                self.precall_protected(func + 2, nargs - 2)
            }
            Special::Yield => {
                if self.ts.is_coroutine && crate::vm::ctx::in_native_call(self.ts) {
                    let m = Global::intern(
                        self.g,
                        self.mc,
                        b"attempt to yield across a C-call boundary",
                    );
                    return Err(RtError::Value(Value::String(m)));
                }
                self.enter_special(marker(FrameKind::Native), nargs)?;
                Ok(Pre::Switch(Exit::Yield(nargs)))
            }
            Special::Resume => {
                self.enter_special(marker(FrameKind::Native), nargs)?;
                let co = match self.ts.stack[func + 1] {
                    Value::Thread(t) if nargs >= 1 => t,
                    v => {
                        let got = if nargs == 0 {
                            "no value".to_string()
                        } else {
                            meta::type_name_meta(self.g, v)
                        };
                        return Err(RtError::bad_arg(1, format!("thread expected, got {got}")));
                    }
                };
                Ok(Pre::Switch(Exit::Resume {
                    co,
                    nargs: nargs - 1,
                    wrap: false,
                }))
            }
            Special::WrapCall => {
                let Some(Value::Thread(co)) = up0 else {
                    return Err(RtError::msg("invalid wrap function"));
                };
                self.enter_special(marker(FrameKind::Native), nargs)?;
                Ok(Pre::Switch(Exit::Resume {
                    co,
                    nargs,
                    wrap: true,
                }))
            }
        }
    }

    /// Pushes the frame of a special function called with `nargs`
    /// arguments and reports its call event, as for a native.
    fn enter_special(&mut self, frame: Frame, nargs: usize) -> RtResult<'gc, ()> {
        self.ts.frames.push(frame);
        self.ts.top = frame.func + 1 + nargs;
        if self.ts.hook.live {
            crate::vm::hook::enter_native(self, nargs)?;
        }
        Ok(())
    }

    /// The special function on top starts its protected call: its frame
    /// becomes the call's marker (after its call hook, whose errors the
    /// call does not catch).
    fn become_protected(&mut self, kind: FrameKind) {
        if let Some(f) = self.ts.frames.last_mut() {
            f.kind = kind;
        }
    }

    /// The native on top returned `n` (a result count, or a request of
    /// `Ctx::call_then` or, from a resumed native, `Ctx::tail_call`).
    #[inline(never)]
    fn native_returned(&mut self, mut n: usize) -> RtResult<'gc, Pre<'gc>> {
        loop {
            if n & crate::vm::ctx::CALL_THEN != 0 {
                // Call the function above the native's frame, which waits.
                let nargs = n & 0xffff_ffff;
                let want = match (n >> 32) & crate::vm::ctx::ALL_RESULTS {
                    crate::vm::ctx::ALL_RESULTS => -1,
                    w => w as i32,
                };
                let src = self.ts.top - nargs - 1;
                let depth = self.native_depth();
                // The C calls in progress as PUC-Rio counts them.
                self.prune_pcalls(self.ts.frames.len());
                let pcalls = 1 + self.ts.pcalls.len() as u32;
                if self
                    .ts
                    .c_calls(depth + pcalls + self.g.budget.0.nested.get())
                    >= crate::vm::budget::MAX_NESTED_CALLS
                {
                    let m = Global::intern(self.g, self.mc, b"C stack overflow");
                    return Err(RtError::Value(Value::String(m)));
                }
                if let Some(f) = self.ts.frames.last_mut() {
                    f.pc = if n & crate::vm::ctx::YIELDABLE != 0 {
                        crate::vm::ctx::NATIVE_WAITING_YIELDABLE
                    } else {
                        crate::vm::ctx::NATIVE_WAITING
                    };
                    f.nvarargs = depth;
                }
                match self.precall(src, nargs, want, false)? {
                    // Done at once (a native): continue the waiting one now
                    // (unless a protected call's return hook is due first).
                    Pre::Done(None)
                        if self
                            .ts
                            .frames
                            .last()
                            .is_some_and(|f| crate::vm::ctx::is_waiting(f.pc)) =>
                    {
                        n = self.resume_native()?
                    }
                    p => return Ok(p),
                }
                continue;
            }
            if n & crate::vm::ctx::TAIL_CALL != 0 {
                let Some(f) = self.ts.frames.pop() else {
                    return Err(RtError::msg("internal error: no native frame"));
                };
                let (targs, want) = crate::vm::ctx::decode_tail_call(n);
                let src = self.ts.top - targs - 1;
                self.ts.stack.copy_within(src..src + targs + 1, f.func);
                let nresults = match want {
                    Some(w) if f.nresults < 0 => w,
                    _ => f.nresults,
                };
                return self.precall(f.func, targs, nresults, f.fresh);
            }
            break;
        }
        // The return hook comes before a pause for a collection (which
        // delivers the results without it).
        if self.ts.hook.live && !self.g.budget.0.await_requested.get() {
            crate::vm::hook::leave_native(self, n)?;
        }
        let budget = &self.g.budget.0;
        if budget.await_requested.get()
            || (budget.gc_requested.get() || budget.gc_step_due())
                && budget.nested.get() == 0
                && self.ts.nested == 0
        {
            // The host awaits (out of nested levels too, see
            // `level::run_level`; an await sets `gc_requested` too, which
            // the fast path checks), `collectgarbage` asked for a full
            // collection, or the native allocated enough for a step: return
            // to the driver with this frame still on top
            // (as PUC-Rio Lua collects inside the call), its result count
            // kept in `pc`.
            if let Some(f) = self.ts.frames.last_mut() {
                f.pc = n;
            }
            return Ok(Pre::Switch(Exit::OutOfFuel));
        }
        let src = self.ts.top - n;
        Ok(Pre::Done(self.deliver(src, n)))
    }

    /// How many natives of this thread wait in `call_then`, counting the
    /// one on top: like PUC-Rio's C calls, they are limited (a `__tostring`
    /// that calls `tostring` forever ends in "C stack overflow"). Kept in
    /// the waiting frames' `nvarargs`, unused by natives.
    fn native_depth(&self) -> u32 {
        let frames = &self.ts.frames;
        let Some((top, below)) = frames.split_last() else {
            return 0;
        };
        if top.pc == crate::vm::ctx::NATIVE_RESUMED {
            return top.nvarargs;
        }
        below
            .iter()
            .rev()
            .find(|f| f.kind == FrameKind::Native && crate::vm::ctx::is_waiting(f.pc))
            .map_or(0, |f| f.nvarargs)
            + 1
    }

    /// Runs the native on top again after the function it called with
    /// `Ctx::call_then` returned: with its own stack values and then that
    /// function's results as arguments.
    fn resume_native(&mut self) -> RtResult<'gc, usize> {
        let Some(fr) = self.ts.frames.last_mut() else {
            return Err(RtError::msg("internal error: no native frame"));
        };
        fr.pc = crate::vm::ctx::NATIVE_RESUMED;
        let func = fr.func;
        let Value::Function(Function::Native(nf)) = self.ts.stack[func] else {
            return Err(RtError::msg("internal error: resumed a non-native frame"));
        };
        let NativeKind::Plain(f) = nf.kind.0 else {
            return Err(RtError::msg("internal error: resumed a special native"));
        };
        let nargs = self.ts.top - func - 1;
        self.run_native(f, func, nargs)
    }

    /// Calls native `f`, whose frame is on top, on its `nargs` arguments
    /// above `func`.
    #[inline(always)]
    fn run_native(
        &mut self,
        f: crate::function::NativeFn,
        func: usize,
        nargs: usize,
    ) -> RtResult<'gc, usize> {
        f(Ctx {
            mc: self.mc,
            g: self.g,
            th: self.th,
            ts: self.ts,
            base: func + 1,
            nargs,
        })
    }

    /// `resume_native`, then what its result asks for.
    pub(crate) fn continue_native(&mut self) -> RtResult<'gc, Pre<'gc>> {
        let n = self.resume_native()?;
        self.native_returned(n)
    }

    /// Calls the function of a protected call; errors in the call setup are
    /// caught by the marker frame just pushed.
    fn precall_protected(&mut self, func: usize, nargs: usize) -> RtResult<'gc, Pre<'gc>> {
        match self.precall(func, nargs, -1, false) {
            Ok(p) => Ok(p),
            // Host limits are not caught: the caller unwinds everything.
            Err(e) if !e.is_catchable() => Err(e),
            Err(e) => self.protected_error(e),
        }
    }

    /// Raises an error inside the protected call whose marker is on top.
    fn protected_error(&mut self, e: RtError<'gc>) -> RtResult<'gc, Pre<'gc>> {
        match self.unwind(e) {
            Ok(None) => Ok(Pre::Lua),
            Ok(Some(n)) => Ok(Pre::Done(Some(n))),
            Err(e) => Err(e),
        }
    }

    /// Starts the Lua metamethod `f` for the instruction of the running Lua
    /// frame (its pc saved) in this run, as a frame that completes the
    /// instruction with its first result when it returns (`finish_op`).
    /// False (nothing done) for other functions and while hooks are on:
    /// those are called nested.
    pub(crate) fn push_metamethod(
        &mut self,
        f: Value<'gc>,
        args: &[Value<'gc>],
    ) -> RtResult<'gc, bool> {
        let Value::Function(Function::Lua(cl)) = f else {
            return Ok(false);
        };
        if self.ts.hook.live {
            return Ok(false);
        }
        // Counted as a C call, as PUC-Rio Lua calls metamethods.
        if self.ts.c_calls(self.g.budget.0.nested.get()) >= crate::vm::budget::MAX_NESTED_CALLS {
            return Err(RtError::msg("C stack overflow"));
        }
        let func = self.ts.frame_top();
        let top = func + 1 + args.len();
        ensure_stack(self.ts, top)?;
        self.ts.stack[func] = f;
        self.ts.stack[func + 1..top].copy_from_slice(args);
        self.ts.top = top;
        self.push_lua_frame(cl, func, args.len(), 1, false)?;
        if let Some(fr) = self.ts.frames.last_mut() {
            fr.finish = true;
        }
        self.ts.finishing += 1;
        Ok(true)
    }

    /// A protected call counts as a C call, as `lua_pcall` does in PUC-Rio
    /// Lua: with the nested calls, at most `MAX_NESTED_CALLS` ("C stack
    /// overflow"), a little more while handling that error. Called with the
    /// call's marker on top.
    fn c_stack_error(&mut self) -> Option<RtError<'gc>> {
        let n = self.ts.frames.len() - 1;
        self.prune_pcalls(n);
        self.ts.pcalls.push(n as u32);
        // As PUC-Rio's count, with the host's call into the VM.
        let others = 1 + self.ts.pcalls.len() as u32 + self.g.budget.0.nested.get();
        let depth = self.ts.c_calls(others) as usize;
        let limit = crate::vm::budget::MAX_NESTED_CALLS as usize;
        if depth == limit {
            let m = Global::intern(self.g, self.mc, b"C stack overflow");
            Some(RtError::Value(Value::String(m)))
        } else if depth >= limit + limit / 10 {
            Some(RtError::msg(ERRERR))
        } else {
            None
        }
    }

    /// `pcalls` may keep markers that are gone: drops those at or above
    /// frame `n` from the top.
    fn prune_pcalls(&mut self, n: usize) {
        let ts = &mut *self.ts;
        while let Some(&i) = ts.pcalls.last() {
            let i = i as usize;
            if i >= n || !matches!(ts.frames[i].kind, FrameKind::PCall | FrameKind::XPCall) {
                ts.pcalls.pop();
            } else {
                break;
            }
        }
    }

    /// Pops the top frame, moving its `n` results from `src` to its function
    /// slot, and completes any protected-call markers below it. Returns
    /// `Some(count)` when a fresh frame returned (the run must exit).
    #[inline(always)]
    pub fn deliver(&mut self, src: usize, n: usize) -> Option<usize> {
        // Fast path: a plain Lua frame returning to a Lua frame.
        let frames = &self.ts.frames;
        let len = frames.len();
        if len >= 2 {
            let f = &frames[len - 1];
            if !f.fresh && !f.finish && frames[len - 2].kind == FrameKind::Lua {
                let (dst, nresults) = (f.func, f.nresults);
                self.ts.frames.pop();
                let want = if nresults >= 0 { nresults as usize } else { n };
                let stack = &mut self.ts.stack;
                if want == 1 && n >= 1 {
                    // The usual case: one result wanted and given.
                    stack[dst] = stack[src];
                } else {
                    for j in 0..want.min(n) {
                        stack[dst + j] = stack[src + j];
                    }
                    for j in n..want {
                        stack[dst + j] = Value::Nil;
                    }
                }
                self.ts.top = dst + want;
                return None;
            }
        }
        self.deliver_slow(src, n)
    }

    #[inline(never)]
    fn deliver_slow(&mut self, mut src: usize, mut n: usize) -> Option<usize> {
        loop {
            let Some(f) = self.ts.frames.pop() else {
                return Some(n);
            };
            let ts = &mut *self.ts;
            let dst = f.func;
            if src != dst {
                move_down(&mut ts.stack, src, n, dst);
            }
            if f.nresults >= 0 {
                let want = f.nresults as usize;
                for i in n..want {
                    ts.stack[dst + i] = Value::Nil;
                }
                n = want;
            }
            ts.top = dst + n;
            if f.fresh {
                return Some(n);
            }
            if f.finish {
                ts.finishing = ts.finishing.saturating_sub(1);
                crate::vm::level::finish_op(ts, dst, n);
                return None;
            }
            match ts.frames.last().map(|f| (f.kind, f.finish)) {
                // A protected call closing variables after an error: a
                // closing method returned; the interpreter goes on closing.
                Some((FrameKind::PCall | FrameKind::XPCall, true)) => return None,
                Some((FrameKind::PCall, _)) => {
                    let m = *ts.frames.last().unwrap_or(&f);
                    ts.stack[m.func] = Value::Boolean(true);
                    src = m.func;
                    n += 1;
                }
                Some((FrameKind::XPCall, _)) => {
                    let m = *ts.frames.last().unwrap_or(&f);
                    ts.stack.copy_within(dst..dst + n, m.func + 1);
                    ts.stack[m.func] = Value::Boolean(true);
                    src = m.func;
                    n += 1;
                }
                _ => return None,
            }
            if crate::vm::hook::wants_return(&ts.hook) {
                // The protected call returns: its return hook (which may
                // fail) runs from the interpreter, see `hook::RETURNED`.
                if let Some(m) = ts.frames.last_mut().filter(|m| !m.fresh) {
                    m.pc = crate::vm::hook::RETURNED + n;
                    ts.top = src + n;
                    return None;
                }
            }
        }
    }

    /// Converts an error into the value Lua code sees, adding the position.
    pub(crate) fn error_value(&mut self, e: RtError<'gc>) -> Value<'gc> {
        let top_is_native = self
            .ts
            .frames
            .iter()
            .rev()
            .find(|f| matches!(f.kind, FrameKind::Lua | FrameKind::Native))
            .is_some_and(|f| f.kind == FrameKind::Native);
        let level = if top_is_native { 1 } else { 0 };
        match e {
            RtError::Value(v) => v,
            RtError::Message(m) if m == ERRERR => {
                Value::String(Global::intern(self.g, self.mc, m.as_bytes()))
            }
            RtError::Message(m) => {
                // A runtime error of Lua code is placed as luaG_runerror
                // does; one raised by a native as luaL_error does.
                let w = if level == 0 {
                    debug::runtime_where(self.ts, 0)
                } else {
                    debug::where_(self.ts, level)
                };
                let s = format!("{w}{m}");
                Value::String(Global::intern(self.g, self.mc, s.as_bytes()))
            }
            RtError::BadArg { arg, msg } => {
                let s = format!(
                    "{}{}",
                    debug::where_(self.ts, level),
                    self.bad_arg_text(arg, &msg)
                );
                Value::String(Global::intern(self.g, self.mc, s.as_bytes()))
            }
            RtError::Limit(_) => Value::Nil,
        }
    }

    /// "bad argument #n to 'f' (msg)" as luaL_argerror words it: the name
    /// the caller used, `self` not counted for method calls, else the
    /// function's global name.
    fn bad_arg_text(&self, arg: usize, msg: &str) -> String {
        let Some(nf) = self
            .ts
            .frames
            .iter()
            .rposition(|f| f.kind == FrameKind::Native)
        else {
            return format!("bad argument #{arg} ({msg})");
        };
        let mut arg = arg;
        let name = match debug::called_name(self.ts, nf) {
            Some((kind, name)) => {
                if kind == "method" {
                    arg -= 1;
                    if arg == 0 {
                        return format!("calling '{name}' on bad self ({msg})");
                    }
                }
                name
            }
            None => {
                let fv = self.ts.stack[self.ts.frames[nf].func];
                debug::global_func_name(self.g, fv).unwrap_or_else(|| "?".into())
            }
        };
        format!("bad argument #{arg} to '{name}' ({msg})")
    }

    /// Unwinds to the innermost protected call of this run. `Ok(None)`: caught,
    /// continue running; `Ok(Some(n))`: caught and a fresh frame returned;
    /// `Err`: not caught in this run (frames of this run are popped).
    #[inline(never)]
    pub fn unwind(&mut self, e: RtError<'gc>) -> Result<Option<usize>, RtError<'gc>> {
        if e.is_suspension() {
            return Err(e);
        }
        // The innermost protected call of this run, if any.
        let catchable = e.is_catchable();
        let mut catcher = None;
        for i in (0..self.ts.frames.len()).rev() {
            let f = &self.ts.frames[i];
            if catchable && matches!(f.kind, FrameKind::PCall | FrameKind::XPCall) {
                catcher = Some(i);
                break;
            }
            if f.fresh {
                break;
            }
        }
        let Some(m) = catcher else {
            let stop = self.stop_depth();
            if let RtError::Limit(_) = e {
                let _ = self.abandon(stop, Value::Nil);
                return Err(e);
            }
            let mut v = self.error_value(e);
            if stop > 0 {
                // Leaving a nested call: a message handler further down runs
                // now, where the error happened (as in PUC-Rio Lua).
                v = self.handle_early(stop, v)?;
            }
            if stop == 0 && self.ts.is_coroutine && self.ts.nested == 0 {
                // The coroutine dies: its frames and to-be-closed variables
                // stay until it is closed.
                self.ts.dead_error = Some(v);
                return Err(RtError::Value(v));
            }
            // The traceback of an error no pcall will catch is taken here,
            // before a nested call (such as `require` running a chunk)
            // drops its frames. It is kept with the error it is for: a
            // native may catch the error (`load` from a reader).
            let uncaught = stop == 0
                || !self
                    .ts
                    .frames
                    .iter()
                    .any(|f| matches!(f.kind, FrameKind::PCall | FrameKind::XPCall));
            let known = matches!(&self.ts.traceback, Some((tv, _)) if tv.raw_eq(v));
            if uncaught && !known {
                let msg = meta::tostring_raw(self.g, v);
                let tb = debug::traceback(self.g, self.ts, Some(&String::from_utf8_lossy(&msg)), 0);
                self.ts.traceback = Some((v, tb));
            }
            let v = self.abandon(stop, v);
            return Err(RtError::Value(v));
        };
        let mut v = self.error_value(e);
        let mf = self.ts.frames[m];
        if mf.kind == FrameKind::XPCall {
            v = match self.ts.handled.take() {
                Some((hm, hv)) if hm == m && hv.raw_eq(v) => v,
                _ => self.call_handler(mf.func + 1, v)?,
            };
        }
        // The frames go first: closing methods run as called by the pcall.
        // The marker closes the pending variables with the error (kept in
        // its own slot), as normal calls that may yield; a later error
        // replaces it.
        self.ts.frames.truncate(m + 1);
        self.ts.frames[m].finish = true;
        self.ts.stack[mf.func] = v;
        self.continue_closing()
    }

    /// Goes on with the protected call on top, which closes variables after
    /// an error (see `unwind`): calls the next closing method, or completes
    /// the call with false and the error. Same results as `unwind`.
    pub(crate) fn continue_closing(&mut self) -> Result<Option<usize>, RtError<'gc>> {
        loop {
            let m = self.ts.frames.len() - 1;
            let mf = self.ts.frames[m];
            let level = mf.func + 1;
            close_upvalues(self.mc, self.ts, level);
            let err = self.ts.stack[mf.func];
            let slot = match self.ts.tbc.last() {
                Some(&s) if s >= level => s,
                _ => {
                    self.ts.frames[m].finish = false;
                    self.settle_overflow(mf.func);
                    ensure_stack(self.ts, mf.func + 2)?;
                    self.ts.stack[mf.func] = Value::Boolean(false);
                    self.ts.stack[mf.func + 1] = err;
                    if crate::vm::hook::wants_return(&self.ts.hook) && !mf.fresh {
                        // Returned; the return hook runs from the
                        // interpreter (see `hook::RETURNED`).
                        self.ts.frames[m].pc = crate::vm::hook::RETURNED + 2;
                        self.ts.top = mf.func + 2;
                        return Ok(None);
                    }
                    return Ok(self.deliver(mf.func, 2));
                }
            };
            self.ts.tbc.pop();
            let obj = self.ts.stack[slot];
            let tm = meta::get_tm(self.g, obj, Tm::Close);
            let at = self.ts.top.max(slot + 1);
            let plain = match tm {
                Value::Function(Function::Lua(_)) => true,
                Value::Function(Function::Native(nf)) => matches!(nf.kind.0, NativeKind::Plain(_)),
                _ => false,
            };
            if plain {
                ensure_stack(self.ts, at + 3)?;
                self.ts.stack[at] = tm;
                self.ts.stack[at + 1] = obj;
                self.ts.stack[at + 2] = err;
                self.ts.top = at + 3;
                return match self.precall(at, 2, 0, false) {
                    // A Lua method runs; when it returns, `deliver` leaves
                    // the marker on top and the interpreter comes back here.
                    Ok(Pre::Lua) | Ok(Pre::Switch(_)) => Ok(None),
                    Ok(Pre::Done(r)) => Ok(r),
                    Err(e) => self.unwind(e),
                };
            }
            // Anything else (not callable, or a native that switches
            // coroutines) through a nested call, which cannot yield.
            self.ts.nny += 1;
            let r = crate::vm::level::call_nested_at(
                self.mc,
                self.g,
                self.th,
                self.ts,
                tm,
                &[obj, err],
                at,
            );
            self.ts.nny -= 1;
            if let Err(e) = r {
                return self.unwind(e);
            }
        }
    }

    /// Calls the message handler of an `xpcall` (at stack slot `slot`) on an
    /// error value. A handler that fails is called again on its own error,
    /// up to the nesting limit ("error in error handling").
    fn call_handler(&mut self, slot: usize, mut v: Value<'gc>) -> RtResult<'gc, Value<'gc>> {
        let handler = self.ts.stack[slot];
        let save_top = self.ts.top;
        // PUC-Rio calls a failing handler again from inside the failed
        // call, one C call deeper each time: at LUAI_MAXCCALLS the call
        // fails with "C stack overflow" (handled in turn), and a tenth past
        // it, with an error in error handling.
        let max = crate::vm::budget::MAX_NESTED_CALLS;
        let first = (debug::c_calls(self.g, self.ts) + 1).min(max + max / 10 - 1);
        let mut result = None;
        let floor = std::mem::replace(&mut self.ts.handler_floor, self.ts.frames.len());
        for depth in first..max + max / 10 {
            if depth == max {
                v = Value::String(Global::intern(self.g, self.mc, b"C stack overflow"));
                continue;
            }
            match crate::vm::level::call_nested_noyield(
                self.mc,
                self.g,
                self.th,
                self.ts,
                handler,
                &[v],
            ) {
                Ok(r) => {
                    result = Some(r.first().copied().unwrap_or(Value::Nil));
                    break;
                }
                Err(e) if !e.is_catchable() => {
                    self.ts.handler_floor = floor;
                    return Err(e);
                }
                Err(e) => v = self.error_value(e),
            }
        }
        self.ts.handler_floor = floor;
        self.ts.top = save_top;
        Ok(result
            .unwrap_or_else(|| Value::String(Global::intern(self.g, self.mc, ERRERR.as_bytes()))))
    }

    /// An error leaves the nested call whose frame is `stop`: if the
    /// protected call that will catch it is an `xpcall`, calls its handler
    /// now and remembers that it did.
    fn handle_early(&mut self, stop: usize, v: Value<'gc>) -> RtResult<'gc, Value<'gc>> {
        // Not past a message handler that is running: its own errors go
        // back to it (see `call_handler`); nor past a finalizer, whose
        // errors become warnings (GCTM runs with no message handler).
        let floor = self
            .ts
            .handler_floor
            .max(self.ts.finalizer_frame.unwrap_or(0));
        let Some(m) = (floor..stop)
            .rev()
            .find(|&i| matches!(self.ts.frames[i].kind, FrameKind::PCall | FrameKind::XPCall))
        else {
            return Ok(v);
        };
        if self.ts.frames[m].kind != FrameKind::XPCall {
            return Ok(v);
        }
        if let Some((hm, hv)) = self.ts.handled {
            if hm == m && hv.raw_eq(v) {
                return Ok(v);
            }
        }
        let hv = self.call_handler(self.ts.frames[m].func + 1, v)?;
        self.ts.handled = Some((m, hv));
        Ok(hv)
    }

    /// Leaves the extra room for stack overflows once the stack is well
    /// below its limits again.
    fn settle_overflow(&mut self, top: usize) {
        if self.ts.in_overflow && self.ts.frames.len() < MAX_FRAMES / 2 && top < MAX_STACK / 2 {
            self.ts.in_overflow = false;
        }
    }

    /// Index of the bottom frame of this run (the innermost fresh frame).
    fn stop_depth(&self) -> usize {
        (0..self.ts.frames.len())
            .rev()
            .find(|&i| self.ts.frames[i].fresh)
            .unwrap_or(0)
    }

    /// Drops the frames of this run after an uncaught error.
    /// Returns the error, replaced by any error of a closing method.
    fn abandon(&mut self, stop: usize, err: Value<'gc>) -> Value<'gc> {
        let mut err = err;
        if let Some(f) = self.ts.frames.get(stop).copied() {
            self.ts.frames.truncate(stop);
            self.ts.nny += 1;
            err = self.close_all(f.func, err);
            self.ts.nny -= 1;
            self.ts.top = f.func;
            self.settle_overflow(f.func);
        }
        err
    }

    /// Closes upvalues and to-be-closed variables at or above `level`.
    /// Stops at the first error of a closing method.
    #[inline(never)]
    pub fn close_level(&mut self, level: usize, err: Option<Value<'gc>>) -> RtResult<'gc, ()> {
        close_upvalues(self.mc, self.ts, level);
        while let Some(&slot) = self.ts.tbc.last() {
            if slot < level {
                break;
            }
            self.ts.tbc.pop();
            let v = self.ts.stack[slot];
            let f = meta::get_tm(self.g, v, Tm::Close);
            let save_top = self.ts.top;
            // Above the variable and the values being returned (`finish_op`
            // relies on it).
            let at = self.ts.top.max(slot + 1);
            let r = crate::vm::level::call_nested_at(
                self.mc,
                self.g,
                self.th,
                self.ts,
                f,
                &[v, err.unwrap_or(Value::Nil)],
                at,
            );
            if matches!(&r, Err(e) if e.is_suspension()) {
                // The method's frames stay above `at` (see `finish_op`).
                return r.map(drop);
            }
            self.ts.top = save_top;
            if let Err(e) = r {
                // The other variables are left to whoever handles the
                // error (a protected call, `close_all`).
                if !e.is_catchable() {
                    return Err(e);
                }
                return Err(RtError::Value(self.error_value(e)));
            }
        }
        Ok(())
    }

    /// Closes everything at or above `level` after an error `err` (which
    /// errors of closing methods replace); returns the final error.
    pub fn close_all(&mut self, level: usize, err: Value<'gc>) -> Value<'gc> {
        let mut err = err;
        loop {
            match self.close_level(level, Some(err)) {
                Ok(()) => return err,
                Err(RtError::Value(v)) => err = v,
                Err(_) => return err,
            }
        }
    }

    fn find_upvalue(&mut self, index: usize) -> UpValue<'gc> {
        let ups = &mut self.ts.open_upvalues;
        let mut pos = ups.len();
        while pos > 0 {
            match ups[pos - 1].get() {
                UpState::Open { index: i, .. } if i == index => return ups[pos - 1],
                UpState::Open { index: i, .. } if i < index => break,
                _ => pos -= 1,
            }
        }
        let uv = Gc::new(
            self.mc,
            Lock::new(UpState::Open {
                thread: self.th,
                index,
            }),
        );
        ups.insert(pos, uv);
        uv
    }

    // Upvalue access is inlined into the dispatch loop (`upvalue!`, and
    // `set_upvalue` with no result on its fast path); only upvalues open on
    // another thread's stack take the out-of-line paths.
    #[cold]
    #[inline(never)]
    fn get_foreign_upvalue(&self, thread: Thread<'gc>, index: usize) -> RtResult<'gc, Value<'gc>> {
        thread
            .with_stack(self.mc, |st| st.stack[index])
            .ok_or_else(foreign_upvalue_error)
    }

    /// Writes `v` to upvalue `uv`; false when it is open on another
    /// thread's stack (`set_foreign_upvalue`).
    #[inline(always)]
    fn set_upvalue(&mut self, uv: UpValue<'gc>, v: Value<'gc>) -> bool {
        match uv.get() {
            UpState::Closed(_) => {
                uv.set(self.mc, UpState::Closed(v));
                true
            }
            UpState::Open { thread, index } if thread == self.th => {
                self.ts.stack[index] = v;
                true
            }
            UpState::Open { .. } => false,
        }
    }

    #[cold]
    #[inline(never)]
    fn set_foreign_upvalue(&mut self, uv: UpValue<'gc>, v: Value<'gc>) -> RtResult<'gc, ()> {
        let UpState::Open { thread, index } = uv.get() else {
            return Err(foreign_upvalue_error());
        };
        thread
            .with_stack(self.mc, |st| st.stack[index] = v)
            .ok_or_else(foreign_upvalue_error)
    }
}

fn foreign_upvalue_error<'gc>() -> RtError<'gc> {
    RtError::msg("cannot access a variable of a thread suspended in a native call")
}

/// Closes the open upvalues at or above stack slot `level`.
pub fn close_upvalues<'gc>(mc: &Mutation<'gc>, ts: &mut ThreadState<'gc>, level: usize) {
    while let Some(&uv) = ts.open_upvalues.last() {
        match uv.get() {
            UpState::Open { index, .. } if index >= level => {
                uv.set(mc, UpState::Closed(ts.stack[index]));
                ts.open_upvalues.pop();
            }
            _ => break,
        }
    }
}

/// Runs the thread until its bottom frame of this run returns, it switches
/// coroutines, an error escapes, or fuel runs out. `pending` is an error to
/// raise first (at the current top frame). `HOOKED`: report debug hook
/// events (see `hook.rs`, which picks the instantiation).
#[inline(always)]
pub fn execute<'gc, const HOOKED: bool>(
    ex: &mut Exec<'gc, '_>,
    pending: Option<RtError<'gc>>,
) -> Exit<'gc> {
    run::<HOOKED>(ex, pending, None)
}

/// `execute` (unhooked) of the Lua frame just pushed on top for closure
/// `cl` with its first register at `base`: the start of the run skips
/// working that out from the frame.
#[inline(always)]
pub fn execute_pushed<'gc>(
    ex: &mut Exec<'gc, '_>,
    cl: Gc<'gc, Closure<'gc>>,
    base: usize,
) -> Exit<'gc> {
    run::<false>(ex, None, Some((Gc::as_ref(cl), base)))
}

/// `execute`, with `start` set when the run starts at a Lua frame just
/// pushed on top (its closure and base; no error pending).
#[inline(never)]
fn run<'gc, const HOOKED: bool>(
    ex: &mut Exec<'gc, '_>,
    mut pending: Option<RtError<'gc>>,
    mut start: Option<(&'gc Closure<'gc>, usize)>,
) -> Exit<'gc> {
    let budget: &'gc crate::vm::budget::Budget = &Gc::as_ref(ex.g).budget.0;
    // In memory rather than a register: the dispatch loop then carries no
    // copy of it from one instruction to the next.
    let fuel = std::cell::Cell::new(budget.slice_fuel());
    std::hint::black_box(&fuel);
    // The frames a Lua call may find before it takes the slow path (which
    // raises the right error). The host's depth limit changes only around
    // its own calls, each of which runs in a run of its own.
    let frame_limit = budget
        .max_call_depth
        .get()
        .map_or(MAX_FRAMES, |l| l.min(MAX_FRAMES));
    'frame: loop {
        // The running function; Lua-to-Lua calls and returns switch these
        // in place (`enter!`).
        let (mut fi, mut cl, mut base, mut pc) = match start.take() {
            Some((cl, base)) => (ex.ts.frames.len().wrapping_sub(1), cl, base, 0),
            None => {
                if let Some(e) = pending.take() {
                    match ex.unwind(e) {
                        Ok(None) => {}
                        Ok(Some(n)) => return Exit::Returned(n),
                        Err(e) => return Exit::Error(e),
                    }
                }
                // Fields are read one by one: copying the whole frame right
                // after it was pushed stalls on store forwarding.
                let Some(top_frame) = ex.ts.frames.last() else {
                    return Exit::Returned(0);
                };
                let (kind, func, base, pc) =
                    (top_frame.kind, top_frame.func, top_frame.base, top_frame.pc);
                if kind != FrameKind::Lua {
                    match cold::resume_frame(ex, kind, pc) {
                        Flow::Next | Flow::Frame => continue 'frame,
                        Flow::Throw(e) => {
                            pending = Some(e);
                            continue 'frame;
                        }
                        Flow::Exit(x) => return x,
                    }
                }
                let Value::Function(Function::Lua(cl)) = ex.ts.stack[func] else {
                    return Exit::Error(RtError::msg(
                        "internal error: frame without a Lua function",
                    ));
                };
                (ex.ts.frames.len() - 1, Gc::as_ref(cl), base, pc)
            }
        };
        // The running function's prototype, read from the closure where
        // needed (one variable fewer to keep across instructions).
        macro_rules! proto {
            () => {
                Gc::as_ref(cl.proto)
            };
        }
        // The running function's code and constants (their lengths, where
        // needed, from the prototype).
        let mut code: *const Instr = proto!().info.0.code.as_ptr();
        let mut k: *const Value<'gc> = proto!().constants.as_ptr();
        if HOOKED && pc == 0 {
            match crate::vm::hook::enter_lua(ex, fi) {
                Ok(start) => pc = start,
                Err(e) => {
                    pending = Some(e);
                    continue 'frame;
                }
            }
        }
        // The next instruction, a pointer into `code`; `pc!()` is its index.
        let mut ip: *const Instr = code.wrapping_add(pc);
        macro_rules! pc {
            () => {
                (ip as usize - code as usize) / std::mem::size_of::<Instr>()
            };
        }
        // Saves the running frame's pc, with `ip` for returns to it.
        macro_rules! save_pc {
            () => {
                if let Some(f) = ex.ts.frames.get_mut(fi) {
                    save_resume!(f)
                }
            };
        }
        macro_rules! save_resume {
            ($f:expr) => {{
                let pc = pc!();
                $f.pc = pc;
                $f.resume = ip as usize;
                $f.resume_pc = pc as u32;
            }};
        }
        // Registers are reached through a raw pointer into the stack, for
        // speed. Invariant: the frame was pushed with at least
        // `base + max_stack + 1` stack slots, and the compiler never names a
        // register at or past `max_stack`; `sync!` re-derives the pointer after
        // anything that may touch the stack vector.
        let mut regs: *mut Value<'gc> = ex.ts.stack.as_mut_ptr().wrapping_add(base);
        macro_rules! sync {
            () => {
                regs = ex.ts.stack.as_mut_ptr().wrapping_add(base)
            };
        }
        // Switches to the Lua frame `fi`, whose closure is `$cl`, at its
        // saved pc (the frame's stack room is as at the top of 'frame).
        macro_rules! enter {
            ($cl:expr) => {{
                let f = &ex.ts.frames[fi];
                enter!($cl, f.base, f.pc)
            }};
            // The frame's base and pc already known (a call just pushed it).
            ($cl:expr, $base:expr, $pc:expr) => {
                enter!(@ $cl, $base, code.wrapping_add($pc))
            };
            // At instruction pointer `$ip` (read after `code` is set).
            (@ $cl:expr, $base:expr, $ip:expr) => {{
                base = $base;
                cl = Gc::as_ref($cl);
                code = proto!().info.0.code.as_ptr();
                ip = $ip;
                k = proto!().constants.as_ptr();
                sync!();
            }};
        }
        macro_rules! r {
            ($i:expr) => {{
                let idx: usize = $i;
                debug_assert!(
                    idx <= proto!().info.0.max_stack as usize && base + idx < ex.ts.stack.len()
                );
                // SAFETY: see the invariant above.
                unsafe { load_value(regs.add(idx)) }
            }};
        }
        macro_rules! set {
            ($i:expr, $v:expr) => {{
                let v: Value<'gc> = $v;
                let idx: usize = $i;
                debug_assert!(
                    idx <= proto!().info.0.max_stack as usize && base + idx < ex.ts.stack.len()
                );
                // SAFETY: see the invariant above.
                unsafe { store_value(regs.add(idx), v) }
            }};
        }
        // Instructions and constants are read without bounds checks.
        // Invariant: every prototype comes from the compiler or passed the
        // binary-chunk verifier (`stdlib::dump`): constant indices are in
        // range, jumps land inside the code, and the code ends with a return
        // or a jump, so `ip` never runs past the end.
        macro_rules! kst {
            ($i:expr) => {{
                let idx: usize = $i;
                debug_assert!(idx < proto!().constants.len());
                // SAFETY: see the invariant above.
                unsafe { *k.add(idx) }
            }};
        }
        // The instruction at `ip`.
        macro_rules! fetch {
            () => {{
                debug_assert!(pc!() < proto!().info.0.code.len());
                // SAFETY: see the invariant above.
                unsafe { *ip }
            }};
        }
        macro_rules! throw {
            ($e:expr) => {{
                save_pc!();
                pending = Some($e);
                continue 'frame;
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => {
                        sync!();
                        v
                    }
                    Err(e) => throw!(e),
                }
            };
        }
        // The value of a slow path that put any error in `pending`.
        macro_rules! slow {
            ($e:expr) => {
                match $e {
                    Some(v) => {
                        sync!();
                        v
                    }
                    None => continue 'frame,
                }
            };
        }
        // The outcome of a step run out of line (see `cold`).
        macro_rules! flow {
            ($e:expr) => {
                match $e {
                    Flow::Next => sync!(),
                    Flow::Frame => continue 'frame,
                    Flow::Throw(e) => {
                        pending = Some(e);
                        continue 'frame;
                    }
                    Flow::Exit(x) => return x,
                }
            };
        }
        // `t[key]` through metamethods (out of line), `t` being register `$reg`.
        macro_rules! index_slow {
            ($t:expr, $key:expr, $reg:expr) => {
                slow!(cold::index(
                    ex,
                    fi,
                    pc!(),
                    ($t, $key),
                    Register($reg),
                    &mut pending
                ))
            };
        }
        // The arithmetic instruction `i` without its fast path: metamethods,
        // string coercion, errors (out of line, see `arith_fallback`).
        macro_rules! arith_slow {
            ($i:expr) => {
                slow!(cold::arith(ex, fi, pc!(), $i, &mut pending))
            };
        }
        // Pointers to register `$i` and to constant `$i`, for the number
        // fast paths, which work on values in place (`Value::tag_at`).
        macro_rules! rp {
            ($i:expr) => {{
                let idx: usize = $i;
                debug_assert!(
                    idx <= proto!().info.0.max_stack as usize && base + idx < ex.ts.stack.len()
                );
                // In bounds: see the invariant of `r!`.
                regs.wrapping_add(idx)
            }};
        }
        macro_rules! kp {
            ($i:expr) => {{
                let idx: usize = $i;
                debug_assert!(idx < proto!().constants.len());
                // In bounds: see the invariant of `kst!`.
                k.wrapping_add(idx)
            }};
        }
        // Arithmetic on R[B] and the operand at `$pc` (a register or a
        // constant), with fast paths for numbers; `$int` returns None when
        // the integer case must take the slow path (division by zero). Each
        // path stores its own result: integers from an integer register,
        // floats from a float register. A fast path that stored its result
        // goes on to the next instruction (`continue`).
        // SAFETY (these macros): the pointers are to valid values (registers
        // and constants, see `rp!` and `kp!`), payloads read as their tags say.
        macro_rules! arith {
            ($i:expr, $pc:expr, $int:expr, $flt:expr) => {{
                let (pb, pc_) = (rp!($i.b()), $pc);
                let (tb, tc) = unsafe { (Value::tag_at(pb), Value::tag_at(pc_)) };
                if tb == INT_TAG && tc == INT_TAG {
                    if let Some(v) =
                        $int(unsafe { Value::int_at(pb) }, unsafe { Value::int_at(pc_) })
                    {
                        unsafe { Value::write_int(rp!($i.a()), v) };
                        continue;
                    }
                } else {
                    float_arith!($i, tb, pb, tc, pc_, $flt);
                }
                set!($i.a(), arith_slow!($i))
            }};
        }
        // The float case of arithmetic: both operands numbers (`$tb`, `$tc`:
        // their tags), converted to floats.
        macro_rules! float_arith {
            ($i:expr, $tb:expr, $pb:expr, $tc:expr, $pc:expr, $flt:expr) => {{
                let x = match $tb {
                    FLOAT_TAG => Some(unsafe { Value::float_at($pb) }),
                    INT_TAG => Some(unsafe { Value::int_at($pb) } as f64),
                    _ => None,
                };
                let y = match $tc {
                    FLOAT_TAG => Some(unsafe { Value::float_at($pc) }),
                    INT_TAG => Some(unsafe { Value::int_at($pc) } as f64),
                    _ => None,
                };
                if let (Some(x), Some(y)) = (x, y) {
                    unsafe { Value::write_float(rp!($i.a()), $flt(x, y)) };
                    continue;
                }
            }};
        }
        // `/` and `^`, whose operands are always converted to floats.
        macro_rules! arith_float {
            ($i:expr, $pc:expr, $flt:expr) => {{
                let (pb, pc_) = (rp!($i.b()), $pc);
                let (tb, tc) = unsafe { (Value::tag_at(pb), Value::tag_at(pc_)) };
                float_arith!($i, tb, pb, tc, pc_, $flt);
                set!($i.a(), arith_slow!($i))
            }};
        }
        macro_rules! bitwise {
            ($i:expr, $pc:expr, $int:expr) => {{
                let (pb, pc_) = (rp!($i.b()), $pc);
                if unsafe { Value::tag_at(pb) == INT_TAG && Value::tag_at(pc_) == INT_TAG } {
                    let v = $int(unsafe { Value::int_at(pb) }, unsafe { Value::int_at(pc_) });
                    unsafe { Value::write_int(rp!($i.a()), v) };
                    continue;
                }
                set!($i.a(), arith_slow!($i))
            }};
        }
        // Every backward jump spends fuel, so loops can be paused and stopped.
        macro_rules! back_edge {
            () => {{
                fuel.set(fuel.get() - 1);
                if fuel.get() <= 0 {
                    save_pc!();
                    flow!(cold::back_edge_out_of_fuel(
                        ex,
                        base,
                        pc!(),
                        proto!(),
                        &fuel
                    ));
                }
            }};
        }
        macro_rules! jump_next {
            () => {{
                let off = fetch!().sj_field();
                ip = ip.wrapping_offset(1 + off as isize);
                if off < 0 {
                    back_edge!();
                }
            }};
        }
        macro_rules! cond_jump {
            ($cond:expr, $i:expr) => {{
                if $cond != $i.k() {
                    ip = ip.wrapping_add(1);
                } else {
                    jump_next!();
                }
            }};
        }
        macro_rules! compare_slow {
            ($a:expr, $b:expr, $le:expr) => {{
                slow!(cold::compare(ex, fi, pc!(), ($a, $b), $le, &mut pending))
            }};
        }

        // The value of upvalue `$n` of the running closure: closed, or open
        // on this thread's stack, read inline (no `Result` built in memory).
        macro_rules! upvalue {
            ($n:expr) => {
                match cl.upvalue($n).get() {
                    UpState::Closed(v) => v,
                    UpState::Open { thread, index } if thread == ex.th => ex.ts.stack[index],
                    UpState::Open { thread, index } => {
                        match cold::foreign_upvalue(ex, fi, pc!(), thread, index, &mut pending) {
                            Some(v) => v,
                            None => continue 'frame,
                        }
                    }
                }
            };
        }
        // GETFIELD and SELF: R[A] := R[B][key].
        macro_rules! get_field {
            ($i:expr, $key:expr) => {{
                let (tv, key) = (r!($i.b()), $key);
                let v = match get_str_fast(ex.g, tv, key) {
                    Some(v) => v,
                    None => index_slow!(tv, key, $i.b()),
                };
                set!($i.a(), v);
            }};
        }
        // SETTABLE, SETI, SETFIELD: R[A][key] := RK(C).
        macro_rules! set_table {
            ($i:expr, $key:expr) => {{
                let (tv, key) = (r!($i.a()), $key);
                let val = if $i.k() { kst!($i.c()) } else { r!($i.c()) };
                if !store_fast(ex.mc, tv, key, val) {
                    if !cold::set_index(
                        ex,
                        fi,
                        pc!(),
                        (tv, key, val),
                        Register($i.a()),
                        &mut pending,
                    ) {
                        continue 'frame;
                    }
                    sync!();
                }
            }};
        }
        // LTI, LEI, GTI, GEI: R[A] `$op` the immediate sB (a float when C
        // is set); for metamethods, `$swap` puts the immediate first and
        // `$le` picks `__le` over `__lt`.
        macro_rules! compare_imm {
            ($i:expr, $op:tt, $swap:expr, $le:expr) => {{
                let va = r!($i.a());
                let sb = $i.sb() as i64;
                let res = if let Some(x) = va.as_int() {
                    x $op sb
                } else if let Some(x) = va.as_float() {
                    x $op sb as f64
                } else {
                    let imm = if $i.c() != 0 {
                        Value::Number(sb as f64)
                    } else {
                        Value::Integer(sb)
                    };
                    if $swap {
                        compare_slow!(imm, va, $le)
                    } else {
                        compare_slow!(va, imm, $le)
                    }
                };
                cond_jump!(res, $i);
            }};
        }
        // RETURN0 and RETURN1 straight back to a Lua caller (or out of
        // this run); `$nv` is the result count and the result.
        macro_rules! return_plain {
            ($nv:expr) => {{
                // Fast path: back to the calling Lua function, or out of
                // this run.
                let (n, v) = $nv;
                // The running frame is the top one.
                let Some(f) = ex.ts.frames.pop() else {
                    return Exit::Error(RtError::msg("internal error: no frame"));
                };
                let want = if f.nresults >= 0 {
                    f.nresults as usize
                } else {
                    n
                };
                if want > 0 {
                    debug_assert!(f.func < base);
                    // SAFETY: the function's slot is below its registers
                    // (`regs` points at `base`, in the stack).
                    unsafe { store_value(regs.wrapping_sub(base - f.func), v) };
                    if want > 1 {
                        ex.ts.stack[f.func + 1..f.func + want].fill(Value::Nil);
                    }
                }
                ex.ts.top = f.func + want;
                if f.fresh {
                    return Exit::Returned(want);
                }
                fi -= 1;
                let Some(&Frame {
                    func: cfunc,
                    base: cbase,
                    pc: cpc,
                    resume,
                    resume_pc,
                    ..
                }) = ex.ts.frames.last()
                else {
                    return Exit::Error(RtError::msg("internal error: no frame"));
                };
                // The caller goes on at its saved instruction pointer: the
                // next instruction does not wait for the loads of its
                // function's code.
                match ex.ts.stack[cfunc] {
                    Value::Function(Function::Lua(cl)) if resume_pc as usize == cpc => {
                        enter!(@ cl, cbase, resume as *const Instr)
                    }
                    _ => continue 'frame,
                }
            }};
        }
        // Any return: `$n` results from R[A]; `$close`: close upvalues and
        // to-be-closed variables first.
        macro_rules! return_general {
            ($i:expr, $n:expr, $close:expr) => {{
                save_pc!();
                flow!(cold::ret::<HOOKED>(ex, fi, base, pc!(), $i, $n, $close))
            }};
        }

        loop {
            if HOOKED && ex.ts.hook.live {
                if let Err(e) = crate::vm::hook::trace(ex, fi, pc!()) {
                    pending = Some(e);
                    continue 'frame;
                }
                sync!();
            }
            let i = fetch!();
            ip = ip.wrapping_add(1);
            match i.op() {
                OpCode::Move => set!(i.a(), r!(i.b())),
                OpCode::LoadI => set!(i.a(), Value::Integer(i.sbx() as i64)),
                OpCode::LoadF => set!(i.a(), Value::Number(i.sbx() as f64)),
                OpCode::LoadK => set!(i.a(), kst!(i.bx())),
                OpCode::LoadKx => {
                    let extra = fetch!().ax_field();
                    ip = ip.wrapping_add(1);
                    set!(i.a(), kst!(extra));
                }
                OpCode::LoadFalse => set!(i.a(), Value::Boolean(false)),
                OpCode::LFalseSkip => {
                    set!(i.a(), Value::Boolean(false));
                    ip = ip.wrapping_add(1);
                }
                OpCode::LoadTrue => set!(i.a(), Value::Boolean(true)),
                OpCode::LoadNil => {
                    let a = i.a();
                    for j in 0..=i.b() {
                        set!(a + j, Value::Nil);
                    }
                }
                OpCode::GetUpval => {
                    let v = upvalue!(i.b());
                    set!(i.a(), v);
                }
                OpCode::SetUpval => {
                    let (uv, v) = (cl.upvalue(i.b()), r!(i.a()));
                    if !ex.set_upvalue(uv, v) {
                        tri!(ex.set_foreign_upvalue(uv, v));
                    }
                }
                OpCode::GetTabUp => {
                    let t = upvalue!(i.b());
                    let key = kst!(i.c());
                    let fast = get_str_fast(ex.g, t, key);
                    let v = match fast {
                        Some(v) => v,
                        None => {
                            let ops = (t, key);
                            let up = Upvalue(proto!(), i.b());
                            slow!(cold::index(ex, fi, pc!(), ops, up, &mut pending))
                        }
                    };
                    set!(i.a(), v);
                }
                OpCode::GetTable => {
                    let (tv, key) = (r!(i.b()), r!(i.c()));
                    let v = match tv {
                        Value::Table(t) => {
                            let v = match key {
                                Value::Integer(n) => t.borrow().get_int(n),
                                _ => t.borrow().get(key),
                            };
                            if v.is_nil() && t.metatable().is_some() {
                                index_slow!(tv, key, i.b())
                            } else {
                                v
                            }
                        }
                        _ => index_slow!(tv, key, i.b()),
                    };
                    set!(i.a(), v);
                }
                OpCode::GetI => {
                    let tv = r!(i.b());
                    let n = i.c() as i64;
                    let v = match tv {
                        Value::Table(t) => {
                            let v = t.borrow().get_int(n);
                            if v.is_nil() && t.metatable().is_some() {
                                let key = Value::Integer(n);
                                index_slow!(tv, key, i.b())
                            } else {
                                v
                            }
                        }
                        _ => {
                            let key = Value::Integer(n);
                            index_slow!(tv, key, i.b())
                        }
                    };
                    set!(i.a(), v);
                }
                OpCode::GetField => get_field!(i, kst!(i.c())),
                OpCode::OpSelf => {
                    set!(i.a() + 1, r!(i.b()));
                    get_field!(i, if i.k() { kst!(i.c()) } else { r!(i.c()) })
                }
                OpCode::SetTabUp => {
                    let t = upvalue!(i.a());
                    let key = kst!(i.b());
                    let val = if i.k() { kst!(i.c()) } else { r!(i.c()) };
                    if !store_fast(ex.mc, t, key, val) {
                        let ops = (t, key, val);
                        let up = Upvalue(proto!(), i.a());
                        if !cold::set_index(ex, fi, pc!(), ops, up, &mut pending) {
                            continue 'frame;
                        }
                        sync!();
                    }
                }
                OpCode::SetTable => set_table!(i, r!(i.b())),
                OpCode::SetI => set_table!(i, Value::Integer(i.b() as i64)),
                OpCode::SetField => set_table!(i, kst!(i.b())),
                OpCode::NewTable => {
                    // B is log2(hash size) + 1. A constructor takes an
                    // instruction per field, so only a corrupt chunk asks
                    // for more nodes than the function has instructions.
                    let nhash = match i.b() {
                        0 => 0,
                        b => (1usize << (b - 1).min(30))
                            .min(proto!().info.0.code.len().next_power_of_two()),
                    };
                    set!(
                        i.a(),
                        Value::Table(Table::with_capacity(ex.mc, i.c(), nhash))
                    );
                    fuel.set(fuel.get() - 1);
                }
                OpCode::AddI => {
                    let pb = rp!(i.b());
                    let sc = i.sc() as i64;
                    // SAFETY: the pointers are to registers, payloads read
                    // as their tags say.
                    match unsafe { Value::tag_at(pb) } {
                        INT_TAG => unsafe {
                            Value::write_int(rp!(i.a()), Value::int_at(pb).wrapping_add(sc))
                        },
                        FLOAT_TAG => unsafe {
                            Value::write_float(rp!(i.a()), Value::float_at(pb) + sc as f64)
                        },
                        _ => set!(i.a(), arith_slow!(i)),
                    }
                }
                OpCode::AddK => arith!(
                    i,
                    kp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_add(y)),
                    |x: f64, y: f64| x + y
                ),
                OpCode::SubK => arith!(
                    i,
                    kp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_sub(y)),
                    |x: f64, y: f64| x - y
                ),
                OpCode::MulK => arith!(
                    i,
                    kp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_mul(y)),
                    |x: f64, y: f64| x * y
                ),
                OpCode::ModK => arith!(i, kp!(i.c()), int_mod_op, arith::lua_fmod),
                OpCode::PowK => arith_float!(i, kp!(i.c()), pow),
                OpCode::DivK => arith_float!(i, kp!(i.c()), |x: f64, y: f64| x / y),
                OpCode::IDivK => {
                    arith!(i, kp!(i.c()), int_idiv_op, |x: f64, y: f64| (x / y).floor())
                }
                OpCode::BAndK => bitwise!(i, kp!(i.c()), |x: i64, y: i64| x & y),
                OpCode::BOrK => bitwise!(i, kp!(i.c()), |x: i64, y: i64| x | y),
                OpCode::BXorK => bitwise!(i, kp!(i.c()), |x: i64, y: i64| x ^ y),
                OpCode::ShrI => {
                    let b = i.b();
                    let vb = r!(b);
                    let sc = i.sc() as i64;
                    let res = match vb {
                        Value::Integer(x) => {
                            Value::Integer(arith::shift_left(x, sc.wrapping_neg()))
                        }
                        _ => arith_slow!(i),
                    };
                    set!(i.a(), res);
                }
                OpCode::ShlI => {
                    // sC << R[B]
                    let b = i.b();
                    let vb = r!(b);
                    let res = match vb {
                        Value::Integer(x) => Value::Integer(arith::shift_left(i.sc() as i64, x)),
                        _ => arith_slow!(i),
                    };
                    set!(i.a(), res);
                }
                OpCode::Add => arith!(
                    i,
                    rp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_add(y)),
                    |x: f64, y: f64| x + y
                ),
                OpCode::Sub => arith!(
                    i,
                    rp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_sub(y)),
                    |x: f64, y: f64| x - y
                ),
                OpCode::Mul => arith!(
                    i,
                    rp!(i.c()),
                    |x: i64, y: i64| Some(x.wrapping_mul(y)),
                    |x: f64, y: f64| x * y
                ),
                OpCode::Mod => arith!(i, rp!(i.c()), int_mod_op, arith::lua_fmod),
                OpCode::Pow => arith_float!(i, rp!(i.c()), pow),
                OpCode::Div => arith_float!(i, rp!(i.c()), |x: f64, y: f64| x / y),
                OpCode::IDiv => {
                    arith!(i, rp!(i.c()), int_idiv_op, |x: f64, y: f64| (x / y).floor())
                }
                OpCode::BAnd => bitwise!(i, rp!(i.c()), |x: i64, y: i64| x & y),
                OpCode::BOr => bitwise!(i, rp!(i.c()), |x: i64, y: i64| x | y),
                OpCode::BXor => bitwise!(i, rp!(i.c()), |x: i64, y: i64| x ^ y),
                OpCode::Shl => bitwise!(i, rp!(i.c()), arith::shift_left),
                OpCode::Shr => bitwise!(i, rp!(i.c()), |x: i64, y: i64| {
                    arith::shift_left(x, y.wrapping_neg())
                }),
                OpCode::Unm => {
                    let pb = rp!(i.b());
                    // SAFETY: the pointers are to registers, payloads read
                    // as their tags say.
                    match unsafe { Value::tag_at(pb) } {
                        INT_TAG => unsafe {
                            Value::write_int(rp!(i.a()), Value::int_at(pb).wrapping_neg())
                        },
                        FLOAT_TAG => unsafe {
                            Value::write_float(rp!(i.a()), -Value::float_at(pb))
                        },
                        _ => set!(i.a(), arith_slow!(i)),
                    }
                }
                OpCode::BNot => {
                    let b = i.b();
                    let vb = r!(b);
                    let res = match vb {
                        Value::Integer(x) => Value::Integer(!x),
                        _ => arith_slow!(i),
                    };
                    set!(i.a(), res);
                }
                OpCode::Not => set!(i.a(), Value::Boolean(!r!(i.b()).is_truthy())),
                OpCode::Len => {
                    let b = i.b();
                    let vb = r!(b);
                    let res = match vb {
                        Value::String(s) => Value::Integer(s.len() as i64),
                        Value::Table(t) if t.metatable().is_none() => Value::Integer(t.length()),
                        _ => slow!(cold::len(ex, fi, pc!(), vb, b, &mut pending)),
                    };
                    set!(i.a(), res);
                }
                OpCode::Concat => {
                    let (a, n) = (i.a(), i.b());
                    save_pc!();
                    let v = tri!(concat(ex, fi, base + a, n));
                    set!(a, v);
                    fuel.set(fuel.get() - 1);
                    if ex.g.budget.0.gc_step_due() {
                        flow!(cold::collection_point(ex, base, proto!(), &fuel));
                    }
                }
                OpCode::Close => {
                    save_pc!();
                    tri!(ex.close_level(base + i.a(), None));
                }
                OpCode::Tbc => {
                    if r!(i.a()).is_truthy() {
                        if let Some(e) = cold::tbc(ex, base, pc!(), i, proto!()) {
                            throw!(e);
                        }
                    }
                }
                OpCode::Jmp => {
                    let off = i.sj_field();
                    ip = ip.wrapping_offset(off as isize);
                    if off < 0 {
                        back_edge!();
                    }
                }
                OpCode::Eq => {
                    let (va, vb) = (r!(i.a()), r!(i.b()));
                    let eq = match (va, vb) {
                        (Value::Table(_), Value::Table(_))
                        | (Value::UserData(_), Value::UserData(_)) => {
                            slow!(cold::equals(ex, fi, pc!(), (va, vb), &mut pending))
                        }
                        _ => va.raw_eq(vb),
                    };
                    cond_jump!(eq, i);
                }
                OpCode::Lt => {
                    let (va, vb) = (r!(i.a()), r!(i.b()));
                    let res = if let (Some(x), Some(y)) = (va.as_int(), vb.as_int()) {
                        x < y
                    } else if let (Some(x), Some(y)) = (va.as_float(), vb.as_float()) {
                        x < y
                    } else {
                        compare_slow!(va, vb, false)
                    };
                    cond_jump!(res, i);
                }
                OpCode::Le => {
                    let (va, vb) = (r!(i.a()), r!(i.b()));
                    let res = if let (Some(x), Some(y)) = (va.as_int(), vb.as_int()) {
                        x <= y
                    } else if let (Some(x), Some(y)) = (va.as_float(), vb.as_float()) {
                        x <= y
                    } else {
                        compare_slow!(va, vb, true)
                    };
                    cond_jump!(res, i);
                }
                OpCode::EqK => {
                    let eq = r!(i.a()).raw_eq(kst!(i.b()));
                    cond_jump!(eq, i);
                }
                OpCode::EqI => {
                    let sb = i.sb() as i64;
                    let va = r!(i.a());
                    let eq = if let Some(x) = va.as_int() {
                        x == sb
                    } else if let Some(x) = va.as_float() {
                        x == sb as f64
                    } else {
                        false
                    };
                    cond_jump!(eq, i);
                }
                OpCode::LtI => compare_imm!(i, <, false, false),
                OpCode::LeI => compare_imm!(i, <=, false, true),
                OpCode::GtI => compare_imm!(i, >, true, false),
                OpCode::GeI => compare_imm!(i, >=, true, true),
                OpCode::Test => {
                    let t = r!(i.a()).is_truthy();
                    cond_jump!(t, i);
                }
                OpCode::TestSet => {
                    let vb = r!(i.b());
                    if vb.is_truthy() == i.k() {
                        set!(i.a(), vb);
                        jump_next!();
                    } else {
                        ip = ip.wrapping_add(1);
                    }
                }
                OpCode::Call => {
                    if fuel.get() <= 0 {
                        // Calls spend fuel too: see `call_out_of_fuel`.
                        let max_stack = proto!().info.0.max_stack as usize;
                        flow!(cold::call_out_of_fuel(
                            ex,
                            fi,
                            base,
                            pc!(),
                            i,
                            &fuel,
                            max_stack
                        ));
                    }
                    if let Value::Function(Function::Lua(callee)) = r!(i.a()) {
                        // Fast path: a Lua function with fixed parameters and
                        // room on the stack and in the frame list.
                        let p = &callee.proto.info.0;
                        let func = base + i.a();
                        let nbase = func + 1;
                        let ntop = nbase + p.max_stack as usize;
                        if !p.is_vararg
                            && ntop < ex.ts.stack.len()
                            && ex.ts.frames.len() < frame_limit
                        {
                            let nargs = if i.b() != 0 {
                                i.b() - 1
                            } else {
                                ex.ts.top.saturating_sub(nbase)
                            };
                            // The running frame is the top one.
                            if let Some(f) = ex.ts.frames.last_mut() {
                                save_resume!(f)
                            }
                            fuel.set(fuel.get() - 1);
                            let np = p.num_params as usize;
                            if nargs < np {
                                ex.ts.stack[nbase + nargs..nbase + np].fill(Value::Nil);
                            }
                            let nresults = i.c() as i32 - 1;
                            ex.ts
                                .frames
                                .push(Frame::lua(func, nbase, nresults, 0, false));
                            ex.ts.top = ntop;
                            if HOOKED {
                                // The call event comes from the top of the frame loop.
                                continue 'frame;
                            }
                            fi += 1;
                            enter!(callee, nbase, 0);
                            continue;
                        }
                    }
                    save_pc!();
                    let max_stack = proto!().info.0.max_stack as usize;
                    flow!(cold::call::<HOOKED>(ex, fi, base, i, &fuel, max_stack));
                }
                OpCode::TailCall => {
                    // Fast path: a Lua function with fixed parameters
                    // replaces the running one in its frame.
                    let lua = matches!(r!(i.a()), Value::Function(Function::Lua(_)));
                    if !HOOKED && lua && !i.k() && fuel.get() > 1 {
                        if let Some((callee, nbase)) = lua_tail_call(ex.ts, base, i) {
                            fuel.set(fuel.get() - 1);
                            enter!(callee, nbase, 0);
                            continue;
                        }
                    }
                    save_pc!();
                    flow!(cold::tail_call::<HOOKED>(ex, fi, base, i, &fuel));
                }
                OpCode::Return0 if !HOOKED && returns_plainly(&ex.ts.frames) => {
                    return_plain!((0, Value::Nil))
                }
                OpCode::Return1 if !HOOKED && returns_plainly(&ex.ts.frames) => {
                    return_plain!((1, r!(i.a())))
                }
                OpCode::Return0 => return_general!(i, 0, false),
                OpCode::Return1 => return_general!(i, 1, false),
                OpCode::Return => return_general!(
                    i,
                    if i.b() != 0 {
                        i.b() - 1
                    } else {
                        ex.ts.top.saturating_sub(base + i.a())
                    },
                    i.k()
                ),
                OpCode::ForLoop => {
                    let a = i.a();
                    match (r!(a), r!(a + 1)) {
                        (Value::Integer(count), Value::Integer(step)) => {
                            // Integer loop: R[A] counts the remaining iterations.
                            if count > 0 {
                                set!(a, Value::Integer(count - 1));
                                if let Value::Integer(idx) = r!(a + 2) {
                                    let next = idx.wrapping_add(step);
                                    set!(a + 2, Value::Integer(next));
                                    set!(a + 3, Value::Integer(next));
                                }
                                ip = ip.wrapping_sub(i.bx());
                            }
                        }
                        _ => {
                            let go = float_for_step(ex.ts, base + a);
                            sync!();
                            if go {
                                ip = ip.wrapping_sub(i.bx());
                            }
                        }
                    }
                    back_edge!();
                }
                OpCode::ForPrep => {
                    let a = i.a();
                    save_pc!();
                    let skip = tri!(for_prep(ex.g, ex.ts, base + a));
                    if skip {
                        ip = ip.wrapping_add(i.bx() + 1);
                    }
                }
                OpCode::TForPrep => {
                    if r!(i.a() + 3).is_truthy() {
                        if let Some(e) = cold::tfor_prep(ex, base, i) {
                            throw!(e);
                        }
                    }
                    ip = ip.wrapping_add(i.bx());
                }
                OpCode::TForCall => {
                    save_pc!();
                    let max_stack = proto!().info.0.max_stack as usize;
                    flow!(cold::tfor_call(ex, fi, base, i, &fuel, max_stack));
                }
                OpCode::TForLoop => {
                    let a = i.a();
                    let v = r!(a + 4);
                    if !v.is_nil() {
                        set!(a + 2, v);
                        ip = ip.wrapping_sub(i.bx());
                    }
                    back_edge!();
                }
                OpCode::SetList => {
                    let extra = if i.k() {
                        let extra = fetch!().ax_field();
                        ip = ip.wrapping_add(1);
                        extra
                    } else {
                        0
                    };
                    let max_stack = proto!().info.0.max_stack as usize;
                    cold::set_list(ex, base, i, extra, max_stack);
                    sync!();
                }
                OpCode::Closure => {
                    let c = cold::closure(ex, base, i.bx(), cl, proto!());
                    set!(i.a(), c);
                    fuel.set(fuel.get() - 1);
                }
                OpCode::VarArg => {
                    if let Some(e) = cold::vararg(ex, fi, base, i) {
                        throw!(e);
                    }
                    sync!();
                }
                OpCode::VarArgPrep => {}
                OpCode::ExtraArg => {}
            }
        }
    }
}

/// The fast path of TAILCALL (nothing to close): a Lua function with fixed
/// parameters replaces the running one in its frame when the stack has
/// room. Returns the callee and its first register, or None (the general
/// path handles the call).
#[inline(never)]
fn lua_tail_call<'gc>(
    ts: &mut ThreadState<'gc>,
    base: usize,
    i: Instr,
) -> Option<(Gc<'gc, Closure<'gc>>, usize)> {
    let src = base + i.a();
    let Value::Function(Function::Lua(callee)) = ts.stack[src] else {
        return None;
    };
    let p = &callee.proto.info.0;
    let nargs = if i.b() != 0 {
        i.b() - 1
    } else {
        ts.top.saturating_sub(src + 1)
    };
    let f = ts.frames.last_mut()?;
    let dst = f.func;
    let nbase = dst + 1;
    let ntop = nbase + p.max_stack as usize;
    if p.is_vararg || dst >= src || ntop >= ts.stack.len() {
        return None;
    }
    // As `precall` would push it: a plain Lua frame that keeps where its
    // results go.
    *f = Frame {
        kind: FrameKind::Lua,
        base: nbase,
        pc: 0,
        nvarargs: 0,
        tail: true,
        resume_pc: Frame::NO_RESUME,
        ..*f
    };
    move_down(&mut ts.stack, src, 1 + nargs, dst);
    let np = p.num_params as usize;
    if nargs < np {
        ts.stack[nbase + nargs..nbase + np].fill(Value::Nil);
    }
    ts.top = ntop;
    Some((callee, nbase))
}

/// Moves the `n` values at `src` to `dst`, which is not above `src` (a
/// call's function and arguments, results): value by value, as there are
/// few; `copy_within` would call `memmove`.
#[inline(always)]
fn move_down(stack: &mut [Value<'_>], src: usize, n: usize, dst: usize) {
    if dst > src {
        stack.copy_within(src..src + n, dst);
        return;
    }
    for j in 0..n {
        stack[dst + j] = stack[src + j];
    }
}

/// Whether the running (top) frame returns without any bookkeeping: not
/// finishing an interrupted instruction, and either the bottom of this run
/// or called by a Lua function.
#[inline(always)]
fn returns_plainly(frames: &[Frame]) -> bool {
    match frames {
        [.., caller, f] => !f.finish && (f.fresh || caller.kind == FrameKind::Lua),
        [f] => !f.finish && f.fresh,
        [] => false,
    }
}

/// The error for calling register `reg` when it holds a non-callable value.
fn not_callable<'gc>(ex: &Exec<'gc, '_>, fi: usize, reg: usize) -> Option<RtError<'gc>> {
    let base = ex.ts.frames[fi].base;
    let v = ex.ts.stack[base + reg];
    if !meta::get_tm(ex.g, v, Tm::Call).is_nil() {
        return None;
    }
    Some(RtError::msg(format!(
        "attempt to call a {} value{}",
        meta::type_name_meta(ex.g, v),
        debug::describe_reg(ex.ts, fi, reg)
    )))
}

/// Reads a value as two 8-byte words. Values are usually stored as a tag
/// word and a payload word; a single 16-byte load of such a pair cannot be
/// forwarded from those stores and stalls, which dominated the dispatch loop.
#[inline(always)]
unsafe fn load_value<'gc>(p: *const Value<'gc>) -> Value<'gc> {
    use std::mem::MaybeUninit;
    let w = p as *const MaybeUninit<u64>;
    let a = std::ptr::read_volatile(w);
    let b = std::ptr::read_volatile(w.add(1));
    // SAFETY: the two words are the bytes of a valid `Value` (16 bytes, no
    // invalid bit patterns introduced: padding stays uninitialised).
    std::mem::transmute::<[MaybeUninit<u64>; 2], Value<'gc>>([a, b])
}

/// Writes a value as two 8-byte words, the counterpart of `load_value`: a
/// value just built from its words (a table read, a slow path's result)
/// sits in memory as two words, and copying it with one 16-byte load
/// stalls on store forwarding.
#[inline(always)]
pub(crate) unsafe fn store_value<'gc>(p: *mut Value<'gc>, v: Value<'gc>) {
    use std::mem::MaybeUninit;
    // SAFETY: `Value` is 16 bytes; its words are copied as they are.
    let [a, b] = std::mem::transmute::<Value<'gc>, [MaybeUninit<u64>; 2]>(v);
    let w = p as *mut MaybeUninit<u64>;
    std::ptr::write_volatile(w, a);
    std::ptr::write_volatile(w.add(1), b);
}

/// An arithmetic or bitwise instruction whose operands missed the fast
/// path: its operands read again from the instruction, then coercions,
/// metamethods or the error. Out of line so that the dispatch loop keeps
/// no operand copies around for it. `None`: a Lua metamethod's frame was
/// pushed, which completes the instruction when it returns.
#[inline]
fn arith_fallback<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    pc: usize,
    i: Instr,
) -> RtResult<'gc, Option<Value<'gc>>> {
    ex.ts.frames[fi].pc = pc;
    let Frame { func, base, .. } = ex.ts.frames[fi];
    let Value::Function(Function::Lua(cl)) = ex.ts.stack[func] else {
        return Err(RtError::msg("internal error: frame without a Lua function"));
    };
    let k = &cl.proto.constants;
    let reg = |r: usize| ex.ts.stack[base + r];
    let (b, c) = (i.b(), i.c());
    let sc = Value::Integer(i.sc() as i64);
    let neg_sc = Value::Integer(-(i.sc() as i64));
    // (operation, operands, the registers they came from for messages)
    let (op, x, y, rx, ry) = match i.op() {
        // k: compiled from `x - c` (the metamethod is __sub with c).
        OpCode::AddI if i.k() => (ArithOp::Sub, reg(b), neg_sc, Some(b), None),
        OpCode::AddI => (ArithOp::Add, reg(b), sc, Some(b), None),
        // k: compiled from `x << c` (the metamethod is __shl with c).
        OpCode::ShrI if i.k() => (ArithOp::Shl, reg(b), neg_sc, Some(b), None),
        OpCode::ShrI => (ArithOp::Shr, reg(b), sc, Some(b), None),
        OpCode::ShlI => (ArithOp::Shl, sc, reg(b), None, Some(b)),
        OpCode::Unm => (ArithOp::Unm, reg(b), reg(b), Some(b), Some(b)),
        OpCode::BNot => (ArithOp::BNot, reg(b), reg(b), Some(b), Some(b)),
        o => {
            let (op, constant) = match o {
                OpCode::AddK => (ArithOp::Add, true),
                OpCode::SubK => (ArithOp::Sub, true),
                OpCode::MulK => (ArithOp::Mul, true),
                OpCode::ModK => (ArithOp::Mod, true),
                OpCode::PowK => (ArithOp::Pow, true),
                OpCode::DivK => (ArithOp::Div, true),
                OpCode::IDivK => (ArithOp::IDiv, true),
                OpCode::BAndK => (ArithOp::BAnd, true),
                OpCode::BOrK => (ArithOp::BOr, true),
                OpCode::BXorK => (ArithOp::BXor, true),
                OpCode::Add => (ArithOp::Add, false),
                OpCode::Sub => (ArithOp::Sub, false),
                OpCode::Mul => (ArithOp::Mul, false),
                OpCode::Mod => (ArithOp::Mod, false),
                OpCode::Pow => (ArithOp::Pow, false),
                OpCode::Div => (ArithOp::Div, false),
                OpCode::IDiv => (ArithOp::IDiv, false),
                OpCode::BAnd => (ArithOp::BAnd, false),
                OpCode::BOr => (ArithOp::BOr, false),
                OpCode::BXor => (ArithOp::BXor, false),
                OpCode::Shl => (ArithOp::Shl, false),
                OpCode::Shr => (ArithOp::Shr, false),
                _ => {
                    return Err(RtError::msg(
                        "internal error: not an arithmetic instruction",
                    ))
                }
            };
            if constant {
                (op, reg(b), k[c], Some(b), None)
            } else {
                (op, reg(b), reg(c), Some(b), Some(c))
            }
        }
    };
    let regs = [rx, ry];
    let done = ex
        .meta()
        .arith_or_tm(op, x, y, &|ts: &ThreadState<'gc>, n: usize| {
            regs[n]
                .map(|r| debug::describe_reg(ts, fi, r))
                .unwrap_or_default()
        })?;
    match done {
        Ok(v) => Ok(Some(v)),
        Err(f) if ex.push_metamethod(f, &[x, y])? => Ok(None),
        Err(f) => ex.meta().call1(f, &[x, y]).map(Some),
    }
}

#[inline]
fn int_mod_op(x: i64, y: i64) -> Option<i64> {
    (y != 0).then(|| arith::int_mod(x, y))
}

#[inline]
fn int_idiv_op(x: i64, y: i64) -> Option<i64> {
    (y != 0).then(|| arith::int_floor_div(x, y))
}

#[inline]
fn pow(x: f64, y: f64) -> f64 {
    if y == 2.0 {
        x * x
    } else {
        x.powf(y)
    }
}

/// `t[key]` for a string key, following `__index` tables, when no
/// function metamethod (or non-table value) is involved.
#[inline(always)]
fn get_str_fast<'gc>(g: GlobalRef<'gc>, t: Value<'gc>, key: Value<'gc>) -> Option<Value<'gc>> {
    let (Value::Table(t), Value::String(s)) = (t, key) else {
        return None;
    };
    let tb = t.borrow();
    let v = tb.get_str(s);
    if !v.is_nil() {
        return Some(v);
    }
    match tb.meta {
        None => Some(Value::Nil),
        Some(m) => index_chain_fast(g, m, s),
    }
}

/// `get_str_fast` after a miss in a table with metatable `m`.
#[inline(never)]
fn index_chain_fast<'gc>(
    g: GlobalRef<'gc>,
    m: Table<'gc>,
    s: crate::string::LuaString<'gc>,
) -> Option<Value<'gc>> {
    let mut m = m;
    // Longer chains (and their loop errors) are left to `MetaCx::index`.
    for _ in 0..16 {
        let h = m.borrow().get_tm(Tm::Index as usize, g.tm_name(Tm::Index));
        let Value::Table(t) = h else {
            return if h.is_nil() { Some(Value::Nil) } else { None };
        };
        let tb = t.borrow();
        let v = tb.get_str(s);
        if !v.is_nil() {
            return Some(v);
        }
        match tb.meta {
            None => return Some(Value::Nil),
            Some(next) => m = next,
        }
    }
    None
}

/// Table store without metamethods when possible. Returns false when the
/// slow path (metamethods, errors) is needed.
#[inline(always)]
fn store_fast<'gc>(mc: &Mutation<'gc>, t: Value<'gc>, key: Value<'gc>, val: Value<'gc>) -> bool {
    let Value::Table(t) = t else { return false };
    let mut tb = t.borrow_mut(mc);
    // With a metatable, only present keys can be stored directly.
    if tb.meta.is_some() {
        return tb.replace_present(key, val);
    }
    match key {
        Value::String(s) => {
            tb.set_str(s, val);
            true
        }
        Value::Integer(n) => {
            tb.set_int(n, val);
            true
        }
        _ => tb.set(key, val).is_ok(),
    }
}

fn upvalue_name(proto: &crate::function::FnProto<'_>, idx: usize) -> String {
    match proto.info.0.upvalues.get(idx) {
        Some(d) => format!(" (upvalue '{}')", String::from_utf8_lossy(&d.name)),
        None => String::new(),
    }
}

/// Accounts a used-up slice. `Ok(true)`: return to the driver.
#[inline(never)]
fn out_of_fuel<'gc>(ex: &mut Exec<'gc, '_>, fuel: &std::cell::Cell<i64>) -> RtResult<'gc, bool> {
    let budget = &ex.g.budget.0;
    let spent = budget.slice_fuel() - fuel.get();
    budget.charge(spent).map_err(RtError::Limit)?;
    fuel.set(budget.slice_fuel());
    // The outermost run gives control back; nested runs only in an async
    // call where each nested call can be suspended, as for an await (see
    // `level::run_level`).
    Ok(budget.nested.get() == 0 && ex.ts.nested == 0
        || budget.async_call.get() && budget.nested_noyield.get() == 0)
}

/// Prepares a numeric for loop at `ra`. Returns true when the loop must be skipped.
/// Integer loops keep: R[A] = remaining-count (internal), R[A+1] = step,
/// R[A+2] = index, R[A+3] = control variable. Float loops keep init, limit,
/// step as floats in R[A], R[A+1], R[A+2] (marked by a float in R[A]).
#[inline(never)]
fn for_prep<'gc>(g: GlobalRef<'gc>, ts: &mut ThreadState<'gc>, ra: usize) -> RtResult<'gc, bool> {
    let for_error = |v: Value<'gc>, what: &str| {
        RtError::msg(format!(
            "bad 'for' {what} (number expected, got {})",
            meta::type_name_meta(g, v)
        ))
    };
    let (init, limit, step) = (ts.stack[ra], ts.stack[ra + 1], ts.stack[ra + 2]);
    if let (Value::Integer(init), Value::Integer(step)) = (init, step) {
        if step == 0 {
            return Err(RtError::msg("'for' step is zero"));
        }
        let limit = match for_limit(limit, step).map_err(|_| for_error(limit, "limit"))? {
            Some(l) => l,
            None => return Ok(true),
        };
        if if step > 0 { init > limit } else { init < limit } {
            return Ok(true);
        }
        let count = if step > 0 {
            (limit as u128 as i128 - init as i128) as u128 / step as u128
        } else {
            (init as i128 - limit as i128) as u128 / (-(step as i128)) as u128
        };
        // R[A] holds the remaining count, R[A+1] the step.
        ts.stack[ra] = Value::Integer(count.min(i64::MAX as u128) as i64);
        ts.stack[ra + 1] = Value::Integer(step);
        ts.stack[ra + 2] = Value::Integer(init);
        ts.stack[ra + 3] = Value::Integer(init);
        return Ok(false);
    }
    let to_f = |v: Value<'gc>, what: &str| -> RtResult<'gc, f64> {
        match v {
            Value::Integer(i) => Ok(i as f64),
            Value::Number(f) => Ok(f),
            Value::String(s) => match crate::vm::convert::str_to_number(s.as_bytes()) {
                Some(crate::vm::convert::Number::Int(i)) => Ok(i as f64),
                Some(crate::vm::convert::Number::Float(f)) => Ok(f),
                None => Err(for_error(v, what)),
            },
            _ => Err(for_error(v, what)),
        }
    };
    let l = to_f(limit, "limit")?;
    let s = to_f(step, "step")?;
    let i0 = to_f(init, "initial value")?;
    if s == 0.0 {
        return Err(RtError::msg("'for' step is zero"));
    }
    if if s > 0.0 { i0 > l } else { i0 < l } {
        return Ok(true);
    }
    ts.stack[ra] = Value::Number(i0);
    ts.stack[ra + 1] = Value::Number(l);
    ts.stack[ra + 2] = Value::Number(s);
    ts.stack[ra + 3] = Value::Number(i0);
    Ok(false)
}

/// Converts a for-loop limit for an integer loop; `None` means "skip the loop".
fn for_limit<'gc>(limit: Value<'gc>, step: i64) -> RtResult<'gc, Option<i64>> {
    let f = match limit {
        Value::Integer(i) => return Ok(Some(i)),
        Value::Number(f) => f,
        Value::String(s) => match crate::vm::convert::str_to_number(s.as_bytes()) {
            Some(crate::vm::convert::Number::Int(i)) => return Ok(Some(i)),
            Some(crate::vm::convert::Number::Float(f)) => f,
            None => return Err(RtError::msg("'for' limit must be a number")),
        },
        _ => return Err(RtError::msg("'for' limit must be a number")),
    };
    if f.is_nan() {
        return Ok(None);
    }
    let fl = if step > 0 { f.floor() } else { f.ceil() };
    if fl >= 9_223_372_036_854_775_808.0 {
        return Ok(if step > 0 { Some(i64::MAX) } else { None });
    }
    if fl < -9_223_372_036_854_775_808.0 {
        return Ok(if step < 0 { Some(i64::MIN) } else { None });
    }
    Ok(Some(fl as i64))
}

/// One step of a float loop; true when it continues.
fn float_for_step(ts: &mut ThreadState<'_>, ra: usize) -> bool {
    let (Value::Number(idx), Value::Number(limit), Value::Number(step)) =
        (ts.stack[ra], ts.stack[ra + 1], ts.stack[ra + 2])
    else {
        return false;
    };
    let next = idx + step;
    let go = if step > 0.0 {
        next <= limit
    } else {
        next >= limit
    };
    if go {
        ts.stack[ra] = Value::Number(next);
        ts.stack[ra + 3] = Value::Number(next);
    }
    go
}

/// Concatenates `n` values starting at stack slot `start`, right to left.
#[inline(never)]
fn concat<'gc>(
    ex: &mut Exec<'gc, '_>,
    fi: usize,
    start: usize,
    n: usize,
) -> RtResult<'gc, Value<'gc>> {
    let base = ex.ts.frames[fi].base;
    // Re-executed after a `__concat` that yielded: fewer values are left.
    let n = ex.ts.concat_resume.take().unwrap_or(n);
    let mut top = start + n; // one past the last pending value
    while top - start > 1 {
        let (a, b) = (ex.ts.stack[top - 2], ex.ts.stack[top - 1]);
        if meta::is_concatable(a) && meta::is_concatable(b) {
            // Collect the longest run of strings/numbers ending at top.
            let mut first = top - 2;
            while first > start && meta::is_concatable(ex.ts.stack[first - 1]) {
                first -= 1;
            }
            // The result's size is known first: check it against the limits
            // before building it (repeated `s = s .. s` grows fast).
            let len: usize = (first..top)
                .map(|j| match ex.ts.stack[j] {
                    Value::String(s) => s.len(),
                    _ => 24,
                })
                .sum();
            crate::stdlib::string::charge_bytes(ex.g, len)?;
            let mut buf = Vec::with_capacity(len);
            for j in first..top {
                match ex.ts.stack[j] {
                    Value::String(s) => buf.extend_from_slice(s.as_bytes()),
                    v => meta::number_to_bytes(v, &mut buf),
                }
            }
            let s = Global::intern_vec(ex.g, ex.mc, buf);
            ex.ts.stack[first] = Value::String(s);
            top = first + 1;
        } else {
            let regs = [top - 2 - base, top - 1 - base];
            let save_top = ex.ts.top;
            // The metamethod is called at `top` (the registers above are
            // free): `finish_op` relies on it.
            ex.ts.top = top;
            let r = ex
                .meta()
                .concat_meta(a, b, &|ts: &ThreadState<'gc>, i: usize| {
                    debug::describe_reg(ts, fi, regs[i])
                });
            match r {
                // The metamethod's frames stay above `top` (see `finish_op`).
                Err(e) if e.is_suspension() => return Err(e),
                r => {
                    ex.ts.top = save_top;
                    ex.ts.stack[top - 2] = r?;
                }
            }
            top -= 1;
        }
    }
    Ok(ex.ts.stack[start])
}
