//! Lua threads (coroutines): a value stack, call frames and open upvalues.

use gc_arena::lock::RefLock;
use std::cell::Cell;

use gc_arena::{Collect, Gc, Mutation, Static};

use crate::function::UpValue;
use crate::value::Value;

#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub struct Thread<'gc>(pub Gc<'gc, ThreadObj<'gc>>);

impl std::fmt::Debug for Thread<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "thread: {:p}", Gc::as_ptr(self.0))
    }
}

impl PartialEq for Thread<'_> {
    fn eq(&self, other: &Self) -> bool {
        Gc::ptr_eq(self.0, other.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Collect)]
#[collect(require_static)]
pub enum ThreadStatus {
    /// Created or yielded: can be resumed.
    Suspended,
    Running,
    /// Resumed another coroutine and waits for it.
    Normal,
    Dead,
}

#[derive(Collect)]
#[collect(no_drop)]
pub struct ThreadObj<'gc> {
    /// Outside the lock so that it can be read while the thread runs; plain
    /// data, so that setting it needs no write barrier.
    pub status: Cell<ThreadStatus>,
    pub state: RefLock<ThreadState<'gc>>,
    /// While `state` is borrowed by a suspended native call (or a nested
    /// level) that runs another thread, a pointer to the borrowed state, so
    /// that the other thread can reach upvalues still open on this stack.
    /// Null otherwise. See `Thread::lend`.
    lent: Static<Cell<*mut ()>>,
}

/// What a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A Lua function; varargs (if any) sit just below `base`.
    Lua,
    /// A native function that is running (for tracebacks and error positions).
    Native,
    /// The boundary of `pcall`: an error unwinds to here. `func` is pcall's slot.
    PCall,
    /// The boundary of `xpcall`; the message handler is at `func + 1`.
    XPCall,
}

/// One activation record.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub kind: FrameKind,
    /// Where the called function was, and where its results go.
    pub func: usize,
    /// First register.
    pub base: usize,
    pub pc: usize,
    /// Results the caller wants; -1 for all.
    pub nresults: i32,
    /// Extra arguments of a vararg function, stored below `base`.
    pub nvarargs: u32,
    /// When this frame returns, go back to the Rust code that called it.
    pub fresh: bool,
    /// A metamethod call that yielded out of a nested call: when it returns,
    /// finish the interrupted instruction of the Lua frame below.
    pub finish: bool,
    /// Entered by a Lua tail call: the caller's frame is gone, so the
    /// function has no name from its caller (tracebacks say so), and
    /// `debug.getinfo` reports `istailcall`.
    pub tail: bool,
    /// Where a Lua frame resumes, saved with its `pc` by the interpreter:
    /// the address of instruction `resume_pc` of the frame's function. A
    /// return to the frame jumps there directly while `resume_pc` equals
    /// `pc`, without going through the function for its code.
    pub resume: usize,
    pub resume_pc: u32,
}

impl Frame {
    /// The `resume_pc` of a frame with no saved resume address.
    pub const NO_RESUME: u32 = u32::MAX;

    /// A Lua function's frame at its first instruction: `func` is where the
    /// function was (its results go there), `base` its first register.
    #[inline(always)]
    pub fn lua(func: usize, base: usize, nresults: i32, nvarargs: u32, fresh: bool) -> Frame {
        Frame {
            kind: FrameKind::Lua,
            func,
            base,
            pc: 0,
            nresults,
            nvarargs,
            fresh,
            finish: false,
            tail: false,
            resume: 0,
            resume_pc: Frame::NO_RESUME,
        }
    }

    /// The frame of a native function (or a marker of a special one, of
    /// `kind`) called at `func`, its arguments right after it.
    #[inline(always)]
    pub fn native(kind: FrameKind, func: usize, nresults: i32, fresh: bool) -> Frame {
        Frame {
            kind,
            base: func + 1,
            nvarargs: 0,
            ..Frame::lua(func, func + 1, nresults, 0, fresh)
        }
    }
}

#[derive(Default)]
pub struct ThreadState<'gc> {
    /// All slots up to `stack.len()` are initialised; `top` is the logical top
    /// used by multiple results and native calls.
    pub stack: Vec<Value<'gc>>,
    pub top: usize,
    pub frames: Vec<Frame>,
    /// Open upvalues, sorted by stack index.
    pub open_upvalues: Vec<UpValue<'gc>>,
    /// Stack slots of live to-be-closed variables, in order.
    pub tbc: Vec<usize>,
    /// Nested native calls on this thread.
    pub nested: u32,
    /// Non-yieldable nested calls on this thread (natives calling Lua, error
    /// handlers): yielding is impossible while > 0.
    pub nny: u32,
    /// Values still to concatenate when a `CONCAT` is re-executed after its
    /// `__concat` metamethod yielded.
    pub concat_resume: Option<usize>,
    /// The error that killed this coroutine; its frames and to-be-closed
    /// variables stay until it is closed (`coroutine.close`, or a wrap
    /// function propagating the error).
    pub dead_error: Option<Value<'gc>>,
    /// Frame indices of the protected-call markers, innermost last; entries
    /// whose frames are gone are dropped when the next marker is pushed.
    pub pcalls: Vec<u32>,
    /// Frame indices of Lua frames whose `a <= b` runs `__lt` as
    /// `not (b < a)` (LUA_COMPAT_LT_LE), innermost last: if that call
    /// yields, `finish_op` negates its result. Entries whose frames are gone
    /// are dropped when the next `<=` with metamethods starts.
    pub le_by_lt: Vec<u32>,
    /// An error on its way out of nested calls that the message handler of
    /// the `xpcall` marker at this frame index already turned into this value.
    pub handled: Option<(usize, Value<'gc>)>,
    /// Frames below this index belong to code that called a message handler
    /// which is still running.
    pub handler_floor: usize,
    /// A stack overflow is being handled: the stack may use its extra room.
    pub in_overflow: bool,
    /// Values of a yield on their way out of nested calls (`LimitKind::Yield`).
    pub yielded: Vec<Value<'gc>>,
    /// Made by `coroutine.create`/`wrap` (else it runs host calls, which
    /// tracebacks show as a C caller at the bottom).
    pub is_coroutine: bool,
    /// The traceback of the last error that escaped this thread's host call.
    /// (With the error value it is for.)
    pub traceback: Option<(Value<'gc>, String)>,
    /// Debug hooks of this thread (`debug.sethook`).
    pub hook: crate::vm::hook::HookState,
    /// Frames that complete an instruction of the frame below when they
    /// return (`Frame::finish`): metamethod calls, which count as C calls
    /// against `MAX_NESTED_CALLS`. Frames dropped by an error are not
    /// subtracted: `c_calls` counts again when near the limit.
    pub finishing: u32,
    /// The frame index of a running `__gc` metamethod (`debug.getinfo`
    /// names it).
    pub finalizer_frame: Option<usize>,
}

unsafe impl<'gc> Collect<'gc> for ThreadState<'gc> {
    fn trace<T: gc_arena::collect::Trace<'gc>>(&self, cc: &mut T) {
        // Only the live part of the stack is traced (see `live_top`); the
        // collector's finalization step clears the rest before sweeping.
        for v in &self.stack[..self.live_top()] {
            cc.trace(v);
        }
        for u in &self.open_upvalues {
            cc.trace(u);
        }
        for v in &self.yielded {
            cc.trace(v);
        }
        if let Some(v) = &self.dead_error {
            cc.trace(v);
        }
        if let Some((_, v)) = &self.handled {
            cc.trace(v);
        }
        if let Some((v, _)) = &self.traceback {
            cc.trace(v);
        }
    }
}

impl<'gc> ThreadState<'gc> {
    /// C calls in progress as PUC-Rio Lua counts them: `others` (nested
    /// levels, protected calls) and this thread's metamethod frames.
    pub fn c_calls(&mut self, others: u32) -> u32 {
        if others + self.finishing >= crate::vm::budget::MAX_NESTED_CALLS {
            self.finishing = self
                .frames
                .iter()
                .filter(|f| f.finish && matches!(f.kind, FrameKind::Lua | FrameKind::Native))
                .count() as u32;
        }
        others + self.finishing
    }

    /// The end of the live part of the stack, as in PUC-Rio Lua: the logical
    /// top, which the interpreter sets before giving control back (the
    /// results of a finished call, or the active locals at a loop's back
    /// edge); lower frames are live only below the function they call.
    pub fn live_top(&self) -> usize {
        let base = self.frames.last().map_or(0, |f| f.base);
        self.top.max(base).min(self.stack.len())
    }

    /// The first slot above the running frame's registers and the logical top:
    /// where a nested call may put its function and arguments.
    pub fn frame_top(&self) -> usize {
        let mut t = self.top;
        if let Some(f) = self.frames.last() {
            if let (FrameKind::Lua, Some(Value::Function(crate::value::Function::Lua(cl)))) =
                (f.kind, self.stack.get(f.func))
            {
                t = t.max(f.base + cl.proto.info.0.max_stack as usize);
            }
        }
        t
    }

    /// Clears the dead part of the stack, whose values the collector did not
    /// mark: they must not survive into a later, larger live part.
    pub fn clear_dead_part(&mut self) {
        let live = self.live_top();
        self.stack[live..].fill(Value::Nil);
    }
}

impl<'gc> Thread<'gc> {
    pub fn new(mc: &Mutation<'gc>) -> Thread<'gc> {
        Thread(Gc::new(
            mc,
            ThreadObj {
                status: Cell::new(ThreadStatus::Suspended),
                state: RefLock::new(ThreadState::default()),
                lent: Static(Cell::new(std::ptr::null_mut())),
            },
        ))
    }

    pub fn status(self) -> ThreadStatus {
        self.0.status.get()
    }

    /// Runs `f` with this thread's state lent (see `ThreadObj::lent`): `ts`
    /// is the borrowed state of this thread, which `f` must not use (it
    /// cannot: `ts` is borrowed for the call).
    pub fn lend<R>(self, ts: &mut ThreadState<'gc>, f: impl FnOnce() -> R) -> R {
        let prev = self
            .0
            .lent
            .0
            .replace(ts as *mut ThreadState<'gc> as *mut ());
        let r = f();
        self.0.lent.0.set(prev);
        r
    }

    /// The state of this thread: borrowed, or reached through `lend` when
    /// it is borrowed by a suspended call. `f` must not run Lua code.
    pub fn with_stack<R>(
        self,
        mc: &Mutation<'gc>,
        f: impl FnOnce(&mut ThreadState<'gc>) -> R,
    ) -> Option<R> {
        let lock = gc_arena::barrier::unlock!(Gc::write(mc, self.0), ThreadObj, state);
        if let Ok(mut st) = lock.try_borrow_mut() {
            return Some(f(&mut st));
        }
        let p = self.0.lent.0.get() as *mut ThreadState<'gc>;
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` comes from the `&mut ThreadState` given to `lend`,
        // whose owner is suspended in `lend` until this access is over (`f`
        // runs no Lua code, so it cannot come back to that owner), and the
        // pointer is cleared before `lend` returns.
        Some(f(unsafe { &mut *p }))
    }

    pub fn set_status(self, status: ThreadStatus) {
        self.0.status.set(status);
    }
}
