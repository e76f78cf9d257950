//! The embedding API: a VM that the binding layer and the CLI drive.

use std::cell::Cell;
use std::time::{Duration, Instant};

use gc_arena::lock::RefLock;
use gc_arena::{DynamicRoot, Gc, Mutation, Rootable};

use crate::error::{LimitKind, RtError};
use crate::function::{Closure, FnProto};
use crate::gc::{self, LuaArena};
use crate::state::{Global, GlobalRef, HostCall};
use crate::thread::Thread;
use crate::value::{Function, Value};
use crate::vm::exec::{Exec, Exit, Pre};
use crate::vm::level::{borrow_state, run_level, LevelOutcome};
use crate::vm::meta;

/// A Lua value held by the host; keeps the value alive until dropped.
pub type StashedValue = DynamicRoot<Rootable![Value<'_>]>;

/// What the driver calls between fuel slices (see `Lua::set_slice_hook`).
pub type SliceHook = dyn FnMut(&[u64]) -> bool;

/// Where a finished call leaves its results, until the host takes them.
type ResultBuf<'gc> = Gc<'gc, RefLock<Vec<Value<'gc>>>>;
type ResultRoot = DynamicRoot<Rootable![RefLock<Vec<Value<'_>>>]>;

/// Which standard libraries a VM gets.
#[derive(Debug, Clone, Copy)]
pub struct Libs {
    /// `io` with real files and standard streams.
    pub io: bool,
    /// The whole `os` library (exit, getenv, remove, ...), not only time functions.
    pub os_full: bool,
    /// `require` searching `package.path` on the file system.
    pub package_files: bool,
    pub debug: bool,
}

impl Libs {
    /// The sandboxed default: no file, process or module access.
    pub const SAFE: Libs = Libs {
        io: false,
        os_full: false,
        package_files: false,
        debug: false,
    };
    /// Everything, as the stand-alone interpreter has.
    pub const ALL: Libs = Libs {
        io: true,
        os_full: true,
        package_files: true,
        debug: true,
    };
}

/// An error that came out of the VM.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LuaError {
    #[error("{message}")]
    Syntax {
        message: String,
        line: u32,
        column: u32,
    },
    #[error("{message}")]
    Runtime {
        message: String,
        traceback: Option<String>,
    },
    #[error("{}", .0.message())]
    Limit(LimitKind),
}

/// Limits the host sets (see `Budget`). `instruction_limit`, `timeout` and
/// `max_call_depth` apply to each outermost call, `memory_limit` to the
/// whole VM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub instruction_limit: Option<u64>,
    pub timeout: Option<Duration>,
    pub memory_limit: Option<usize>,
    pub max_call_depth: Option<usize>,
}

/// An async host call in progress: runs in slices ([`Lua::poll_async`]),
/// can wait for the host ([`Poll::Await`], [`Lua::resume_async`]), and is
/// independent of other calls (several can be suspended at once).
#[derive(Debug)]
pub struct AsyncCall {
    id: u64,
    used: u64,
    deadline: Option<Instant>,
    instruction_limit: Option<u64>,
    max_call_depth: Option<usize>,
    finished: bool,
}

impl AsyncCall {
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// Where an async call stands after a slice.
pub enum Poll {
    Done(Vec<StashedValue>),
    Failed(LuaError),
    /// The slice time ran out; poll again.
    Pending,
    /// A host function asked to wait (`Budget::await_requested`); resume
    /// with its result.
    Await,
}

pub struct Lua {
    arena: LuaArena,
    /// The VM's byte counter (`Budget::mem_used`, at a fixed address inside
    /// the root), made current while the arena is entered.
    mem: *const Cell<isize>,
    /// The allocator's current-counter cell of the thread that made the VM
    /// (a `Lua` stays on its thread: it is not `Send`).
    alloc_slot: crate::alloc::CounterSlot,
    /// The VM's budget, inside the root (fixed address, plain data with
    /// interior mutability): read on every call without entering the arena.
    budget: *const crate::vm::budget::Budget,
    next_call: u64,
    /// The error value of the last runtime error, for hosts that want it.
    last_error: Option<StashedValue>,
    /// Called between fuel slices; returning false stops the running call
    /// with `LimitKind::Interrupted` (see `set_slice_hook`).
    slice_hook: Option<Box<SliceHook>>,
    /// The results of the call that finished last (a reused buffer, so
    /// that a short call allocates nothing for its results).
    results: ResultRoot,
    /// Checked between fuel slices (see `set_interrupt`).
    interrupt: Option<&'static std::sync::atomic::AtomicBool>,
    /// The storage `try_call_then` lends to the arguments, always empty
    /// between calls (see `lend`).
    arg_scratch: Vec<Value<'static>>,
}

/// The scratch vector lent to one visit to the arena, emptied first (a
/// visit that panicked may have left values in it; they are never read).
fn lend<'s, 'gc>(v: &'s mut Vec<Value<'static>>) -> &'s mut Vec<Value<'gc>> {
    v.clear();
    // SAFETY: the vector is empty, and its borrower empties it before the
    // visit ends, so no value leaves the visit; `Value<'static>` and
    // `Value<'gc>` differ only in a lifetime.
    unsafe { &mut *(v as *mut Vec<Value<'static>>).cast::<Vec<Value<'gc>>>() }
}

enum Step {
    /// Finished; the results are in `Lua::results`.
    Done,
    Failed(LuaError, Option<StashedValue>),
    Continue,
}

/// Where a call stands after `Lua::advance` (results in `Lua::results`).
enum Outcome {
    Done,
    Failed(LuaError),
    Pending,
    Await,
}

impl Lua {
    pub fn new(libs: Libs) -> Lua {
        let arena = gc::new_arena(|mc| {
            let g = Gc::new(mc, Global::new(mc));
            Global::register_thread(g, mc, g.main_thread);
            crate::stdlib::open_libs(mc, g, libs);
            g
        });
        let (mem, budget) = arena.mutate(|_, g| {
            (
                &g.budget.0.mem_used as *const Cell<isize>,
                &g.budget.0 as *const crate::vm::budget::Budget,
            )
        });
        let results = arena.mutate(|mc, g| {
            g.roots.stash::<Rootable![RefLock<Vec<Value<'_>>>]>(
                mc,
                Gc::new(mc, RefLock::new(Vec::new())),
            )
        });
        Lua {
            arena,
            mem,
            alloc_slot: crate::alloc::current_slot(),
            budget,
            next_call: 1,
            last_error: None,
            slice_hook: None,
            results,
            interrupt: None,
            arg_scratch: Vec::new(),
        }
    }

    /// Makes the VM's counter count this thread's allocations while the
    /// returned scope lives.
    #[inline]
    fn count_allocations(&self) -> crate::alloc::Scope {
        crate::alloc::enter_at(self.alloc_slot, self.mem)
    }

    /// Runs `f` inside the arena with the result buffer.
    fn enter_buf<F, R>(&self, f: F) -> R
    where
        F: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>, ResultBuf<'gc>) -> R,
    {
        let results = &self.results;
        self.enter(|mc, g| f(mc, g, g.roots.fetch(results)))
    }

    /// The results of the call that just finished, stashed.
    fn take_results(&self) -> Vec<StashedValue> {
        self.enter_buf(|mc, g, buf| {
            let vals = std::mem::take(&mut *buf.unlock(mc).borrow_mut());
            vals.into_iter().map(|v| Lua::stash(mc, g, v)).collect()
        })
    }

    fn outcome_to_poll(&self, o: Outcome) -> Poll {
        match o {
            Outcome::Done => Poll::Done(self.take_results()),
            Outcome::Failed(e) => Poll::Failed(e),
            Outcome::Pending => Poll::Pending,
            Outcome::Await => Poll::Await,
        }
    }

    /// Runs `f` inside the arena.
    pub fn enter<F, R>(&self, f: F) -> R
    where
        F: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>) -> R,
    {
        let _count = self.count_allocations();
        self.arena.mutate(|mc, root| f(mc, *root))
    }

    fn collect_step(&mut self) {
        let _count = self.count_allocations();
        let budget = self.budget();
        gc::step(&mut self.arena, budget);
    }

    /// Does the step `collectgarbage("step", kb)` of call `id` asked for,
    /// and gives that call its result: whether a cycle ended. The
    /// `collectgarbage` frame is on top of the running thread (which had
    /// `frames` frames then) with its one result, a placeholder `true`.
    fn finish_step_request(&mut self, id: u64, (kb, frames): (i32, usize)) {
        let done = {
            let _count = self.count_allocations();
            let budget = self.budget();
            gc::step_by(&mut self.arena, budget, kb)
        };
        self.enter(|mc, g| {
            let thread = {
                let calls = g.host_calls.borrow();
                let Some(call) = calls.iter().find(|c| c.id == id) else {
                    return;
                };
                call.chain.last().map_or(call.thread, |c| c.0)
            };
            let Ok(mut st) = borrow_state(mc, thread) else {
                return;
            };
            let top = st.top;
            let waiting = st.frames.len() == frames
                && st
                    .frames
                    .last()
                    .is_some_and(|f| f.kind == crate::thread::FrameKind::Native && f.pc == 1)
                && top > 0
                && matches!(st.stack[top - 1], Value::Boolean(true));
            if waiting {
                st.stack[top - 1] = Value::Boolean(done);
            }
        });
    }

    fn collect_full(&mut self) {
        let _count = self.count_allocations();
        let budget = self.budget();
        gc::full_collect(&mut self.arena, budget);
    }

    /// The budget, outside the arena (it is `'static` data in the root).
    /// The reference must not outlive `self` (callers use it locally).
    fn budget<'a>(&self) -> &'a crate::vm::budget::Budget {
        // SAFETY: the root lives, at a fixed address, as long as the arena;
        // `Budget` is plain data with interior mutability.
        unsafe { &*self.budget }
    }

    /// Sets the host limits.
    pub fn set_limits(&self, l: Limits) {
        let b = self.budget();
        b.instruction_limit.set(l.instruction_limit);
        b.timeout.set(l.timeout);
        b.memory_limit.set(l.memory_limit);
        b.max_call_depth.set(l.max_call_depth);
    }

    /// The host limits.
    pub fn limits(&self) -> Limits {
        let b = self.budget();
        Limits {
            instruction_limit: b.instruction_limit.get(),
            timeout: b.timeout.get(),
            memory_limit: b.memory_limit.get(),
            max_call_depth: b.max_call_depth.get(),
        }
    }

    /// Bytes the VM holds (as counted by `alloc::Counting`).
    pub fn memory_used(&self) -> usize {
        self.budget().memory_used()
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_call;
        self.next_call += 1;
        id
    }

    pub fn stash<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, v: Value<'gc>) -> StashedValue {
        g.roots.stash::<Rootable![Value<'_>]>(mc, Gc::new(mc, v))
    }

    pub fn fetch<'gc>(g: GlobalRef<'gc>, s: &StashedValue) -> Value<'gc> {
        *g.roots.fetch(s)
    }

    /// Gives (or removes) the shortcut for one of the host's `__index`
    /// natives (see `FastIndex`).
    pub fn set_fast_index(&self, fast: Option<crate::state::FastIndex>) {
        self.enter(|_, g| g.host.0.fast_index.set(fast));
    }

    /// Sets where `print` (and the default `io.write`) output goes.
    pub fn set_print(&self, sink: crate::state::PrintSink) {
        self.enter(|_, g| *g.host.0.print.borrow_mut() = sink);
    }

    /// The budget (limits) of this VM.
    pub fn with_budget<R>(&self, f: impl FnOnce(&crate::vm::budget::Budget) -> R) -> R {
        self.enter(|_, g| f(&g.budget.0))
    }

    /// Compiles a chunk into a function whose `_ENV` is the globals table.
    pub fn load(&mut self, source: &[u8], chunk_name: &str) -> Result<StashedValue, LuaError> {
        let proto = crate::compiler::compile(source, chunk_name.as_bytes()).map_err(|e| {
            LuaError::Syntax {
                message: e.message,
                line: e.line,
                column: e.column,
            }
        })?;
        Ok(self.enter(|mc, g| {
            let f = load_proto(mc, g, proto, Value::Table(g.globals));
            Lua::stash(mc, g, f)
        }))
    }

    /// `load` for a chunk that may be binary (`string.dump`'s output), as
    /// `luaL_loadfile` does.
    pub fn load_any(&mut self, source: &[u8], chunk_name: &str) -> Result<StashedValue, LuaError> {
        if !source.starts_with(crate::stdlib::dump::SIGNATURE) {
            return self.load(source, chunk_name);
        }
        let proto =
            crate::stdlib::dump::undump(source, chunk_name.as_bytes()).map_err(|message| {
                LuaError::Syntax {
                    message,
                    line: 0,
                    column: 0,
                }
            })?;
        Ok(self.enter(|mc, g| {
            let f = load_proto(mc, g, proto, Value::Table(g.globals));
            Lua::stash(mc, g, f)
        }))
    }

    /// Compiles and runs a chunk; returns its results.
    pub fn exec(&mut self, source: &[u8], chunk_name: &str) -> Result<Vec<StashedValue>, LuaError> {
        let f = self.load(source, chunk_name)?;
        self.call(&f, |_, _| Vec::new())
    }

    /// Calls a function with arguments made inside the arena.
    pub fn call<A>(&mut self, f: &StashedValue, args: A) -> Result<Vec<StashedValue>, LuaError>
    where
        A: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>) -> Vec<Value<'gc>>,
    {
        let id = self.next_id();
        let saved = self.begin_sync();
        let step = self.enter_buf(|mc, g, buf| {
            let fv = Lua::fetch(g, f);
            let args = args(mc, g);
            let next = push_call(mc, g, id, fv, &args);
            continue_call(mc, g, buf, id, next)
        });
        let r = self.drive(id, step);
        self.end_sync(saved);
        r.map(|()| self.take_results())
    }

    /// An outermost synchronous call starts: fresh instruction count and
    /// deadline (an async call suspended meanwhile keeps its own).
    #[inline]
    fn begin_sync(&self) -> (u64, Option<Instant>) {
        let b = self.budget();
        let saved = (b.used.get(), b.deadline.get());
        b.used.set(0);
        b.deadline.set(b.timeout.get().map(|t| Instant::now() + t));
        saved
    }

    #[inline]
    fn end_sync(&self, saved: (u64, Option<Instant>)) {
        let b = self.budget();
        b.used.set(saved.0);
        b.deadline.set(saved.1);
    }

    /// Like [`Lua::call`], but the function and its arguments are both made
    /// inside the arena by `setup`, which may fail: then nothing is called
    /// and its error is returned as the outer `Err`. For hosts whose value
    /// conversion can fail (a JS argument that cannot cross).
    pub fn try_call<S, E>(&mut self, setup: S) -> Result<Result<Vec<StashedValue>, LuaError>, E>
    where
        S: for<'gc> FnOnce(
            &'gc Mutation<'gc>,
            GlobalRef<'gc>,
        ) -> Result<(Value<'gc>, Vec<Value<'gc>>), E>,
    {
        self.try_call_then(
            |mc, g, args| {
                let (f, a) = setup(mc, g)?;
                args.extend_from_slice(&a);
                Ok(f)
            },
            |mc, g, vals| vals.iter().map(|v| Lua::stash(mc, g, *v)).collect(),
        )
    }

    /// Like [`Lua::try_call`], but the results are handed to `finish` inside
    /// the arena instead of being stashed: nothing is allocated per result,
    /// which makes short calls from the host cheap. `setup` returns the
    /// function and pushes the arguments on the vector it is given (empty,
    /// and reused between calls, so it allocates nothing either).
    pub fn try_call_then<S, F, R, E>(
        &mut self,
        setup: S,
        finish: F,
    ) -> Result<Result<R, LuaError>, E>
    where
        S: for<'gc> FnOnce(
            &'gc Mutation<'gc>,
            GlobalRef<'gc>,
            &mut Vec<Value<'gc>>,
        ) -> Result<Value<'gc>, E>,
        F: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>, &[Value<'gc>]) -> R,
    {
        let id = self.next_id();
        let saved = self.begin_sync();
        let mut finish = Some(finish);
        let results = &self.results;
        let scratch = &mut self.arg_scratch;
        // `enter`, with the scratch vector borrowed beside the arena.
        let count = crate::alloc::enter_at(self.alloc_slot, self.mem);
        let first = self.arena.mutate(|mc, root| {
            let g = *root;
            let args = lend(scratch);
            let started = setup(mc, g, args).map(|f| start_call(mc, g, id, f, args, &mut finish));
            args.clear();
            started.map(|started| match started {
                Started::Finished(out) => Ok(out),
                Started::Running(next) => {
                    let buf = g.roots.fetch(results);
                    match continue_call(mc, g, buf, id, next) {
                        // Done within the first slice: the results are
                        // handed over at once, in the same visit to the arena.
                        Step::Done => Ok(hand_over(mc, g, buf, take_finish(&mut finish))),
                        step => Err(step),
                    }
                }
            })
        });
        drop(count);
        let step = match first {
            Ok(Ok(out)) => {
                self.end_sync(saved);
                return Ok(Ok(out));
            }
            Ok(Err(step)) => step,
            Err(e) => {
                self.end_sync(saved);
                return Err(e);
            }
        };
        let r = self.drive(id, step);
        self.end_sync(saved);
        Ok(
            r.map(|()| {
                self.enter_buf(|mc, g, buf| hand_over(mc, g, buf, take_finish(&mut finish)))
            }),
        )
    }

    /// Runs a started call to completion: fuel slices with collection steps
    /// and pending finalizers in between. The results are left in `results`.
    fn drive(&mut self, id: u64, mut step: Step) -> Result<(), LuaError> {
        loop {
            match self.advance(id, step, None) {
                Outcome::Done => return Ok(()),
                Outcome::Failed(e) => return Err(e),
                // Only async runs await; a stray request is dropped.
                Outcome::Await | Outcome::Pending => {}
            }
            step = Step::Continue;
        }
    }

    /// Runs slices of call `id` until it finishes, awaits, or `until` passes.
    fn advance(&mut self, id: u64, mut step: Step, until: Option<Instant>) -> Outcome {
        loop {
            match step {
                Step::Done => return Outcome::Done,
                Step::Failed(e, value) => {
                    if matches!(e, LuaError::Limit(LimitKind::Memory)) {
                        // What the stopped call held is garbage now: free
                        // it, so that the next call has its memory back.
                        self.collect_full();
                    }
                    self.last_error = value;
                    return Outcome::Failed(e);
                }
                Step::Continue => {}
            }
            let b = self.budget();
            if b.await_requested.replace(false) {
                b.gc_requested.set(false);
                b.gc.step_request.set(None);
                return Outcome::Await;
            }
            if b.gc_requested.replace(false) {
                match b.gc.step_request.take() {
                    Some(request) => self.finish_step_request(id, request),
                    None => self.collect_full(),
                }
            } else if !b.gc_stopped.get() {
                self.collect_step();
            }
            b.set_gc_mem_mark();
            if b.memory_limit.get().is_some() && b.check_memory(0).is_err() {
                self.collect_full();
                if self.budget().check_memory(0).is_err() {
                    step = self.enter(|mc, g| fail(mc, g, id, RtError::Limit(LimitKind::Memory)));
                    continue;
                }
            }
            let released = if self.slice_hook.is_some() {
                self.take_released_host_ids()
            } else {
                Vec::new()
            };
            if let Some(hook) = self.slice_hook.as_mut() {
                if !hook(&released) {
                    step =
                        self.enter(|mc, g| fail(mc, g, id, RtError::Limit(LimitKind::Interrupted)));
                    continue;
                }
            }
            if self
                .interrupt
                .is_some_and(|f| f.swap(false, std::sync::atomic::Ordering::Relaxed))
            {
                step = self.enter_buf(|mc, g, buf| {
                    raise_in_call(mc, g, buf, id, RtError::msg("interrupted!"))
                });
                continue;
            }
            if until.is_some_and(|t| Instant::now() >= t) {
                return Outcome::Pending;
            }
            step = self.enter_buf(|mc, g, buf| {
                run_finalizers(mc, g, Some(id));
                continue_call(mc, g, buf, id, None)
            });
        }
    }

    /// Starts an async call: `setup` makes the function and arguments, as
    /// for [`Lua::try_call`]. Runs slices for up to `slice` of time.
    /// Limits are the VM's current ones (`set_limits`), kept by the call.
    pub fn start_async<S, E>(&mut self, setup: S, slice: Duration) -> Result<(AsyncCall, Poll), E>
    where
        S: for<'gc> FnOnce(
            &'gc Mutation<'gc>,
            GlobalRef<'gc>,
        ) -> Result<(Value<'gc>, Vec<Value<'gc>>), E>,
    {
        let b = self.budget();
        let mut call = AsyncCall {
            id: self.next_id(),
            used: 0,
            deadline: b.timeout.get().map(|t| Instant::now() + t),
            instruction_limit: b.instruction_limit.get(),
            max_call_depth: b.max_call_depth.get(),
            finished: false,
        };
        let id = call.id;
        let saved = self.load_async(&call);
        let step = match self.enter_buf(|mc, g, buf| {
            setup(mc, g).map(|(f, args)| {
                let next = push_call(mc, g, id, f, &args);
                continue_call(mc, g, buf, id, next)
            })
        }) {
            Ok(step) => step,
            Err(e) => {
                self.save_async(&mut call, saved);
                return Err(e);
            }
        };
        let o = self.advance(id, step, Some(Instant::now() + slice));
        let poll = self.outcome_to_poll(o);
        self.save_async(&mut call, saved);
        call.finished = matches!(poll, Poll::Done(_) | Poll::Failed(_));
        Ok((call, poll))
    }

    /// Runs more slices of an async call that returned `Poll::Pending`.
    pub fn poll_async(&mut self, call: &mut AsyncCall, slice: Duration) -> Poll {
        if call.finished {
            return Poll::Failed(LuaError::Runtime {
                message: "the call has finished".into(),
                traceback: None,
            });
        }
        let saved = self.load_async(call);
        let o = self.advance(call.id, Step::Continue, Some(Instant::now() + slice));
        let poll = self.outcome_to_poll(o);
        self.save_async(call, saved);
        call.finished = matches!(poll, Poll::Done(_) | Poll::Failed(_));
        poll
    }

    /// Continues an async call that returned `Poll::Await`: `result` makes,
    /// in the arena, the awaited function's results (`Ok`) or the error it
    /// raises (`Err`, catchable by `pcall`).
    pub fn resume_async<R>(&mut self, call: &mut AsyncCall, slice: Duration, result: R) -> Poll
    where
        R: for<'gc> FnOnce(
            &'gc Mutation<'gc>,
            GlobalRef<'gc>,
        ) -> Result<Vec<Value<'gc>>, Value<'gc>>,
    {
        if call.finished {
            return Poll::Failed(LuaError::Runtime {
                message: "the call has finished".into(),
                traceback: None,
            });
        }
        let saved = self.load_async(call);
        let id = call.id;
        let step = self.enter_buf(|mc, g, buf| {
            let r = result(mc, g);
            resume_host_call(mc, g, buf, id, r)
        });
        let o = self.advance(id, step, Some(Instant::now() + slice));
        let poll = self.outcome_to_poll(o);
        self.save_async(call, saved);
        call.finished = matches!(poll, Poll::Done(_) | Poll::Failed(_));
        poll
    }

    /// Abandons an async call (aborted by the host): its coroutines die, its
    /// thread is cleared.
    pub fn cancel_async(&mut self, call: &mut AsyncCall) {
        if call.finished {
            return;
        }
        call.finished = true;
        let id = call.id;
        self.enter(|mc, g| {
            let chain = {
                let calls = g.host_calls.borrow();
                calls
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.chain.iter().map(|e| e.0).collect::<Vec<_>>())
            };
            for co in chain.unwrap_or_default() {
                co.set_status(crate::thread::ThreadStatus::Dead);
                if let Ok(mut st) = borrow_state(mc, co) {
                    st.frames.clear();
                    st.top = 0;
                }
            }
            let _ = fail(mc, g, id, RtError::Limit(LimitKind::Interrupted));
        });
    }

    fn load_async(&self, call: &AsyncCall) -> (u64, Option<Instant>, Option<u64>, Option<usize>) {
        let b = self.budget();
        let saved = (
            b.used.get(),
            b.deadline.get(),
            b.instruction_limit.get(),
            b.max_call_depth.get(),
        );
        b.used.set(call.used);
        b.async_call.set(true);
        b.deadline.set(call.deadline);
        b.instruction_limit.set(call.instruction_limit);
        b.max_call_depth.set(call.max_call_depth);
        saved
    }

    fn save_async(
        &self,
        call: &mut AsyncCall,
        saved: (u64, Option<Instant>, Option<u64>, Option<usize>),
    ) {
        let b = self.budget();
        call.used = b.used.get();
        b.async_call.set(false);
        b.used.set(saved.0);
        b.deadline.set(saved.1);
        b.instruction_limit.set(saved.2);
        b.max_call_depth.set(saved.3);
        b.await_requested.set(false);
    }

    /// Sets a function the driver calls between fuel slices of a call
    /// (every few thousand instructions), outside the arena, with the ids of
    /// the host objects the collector freed since the last report (so that a
    /// long call does not hold on to them until it returns). When it returns
    /// false, the call stops with `LuaError::Limit(LimitKind::Interrupted)`:
    /// a host uses it to notice that its thread is being torn down (a
    /// terminated worker).
    pub fn set_slice_hook(&mut self, hook: Option<Box<SliceHook>>) {
        self.slice_hook = hook;
    }

    /// A flag (set by a signal handler, say) checked between fuel slices:
    /// when set, it is cleared and the running Lua code raises the error
    /// "interrupted!", which `pcall` can catch (lua.c's Ctrl-C).
    pub fn set_interrupt(&mut self, flag: Option<&'static std::sync::atomic::AtomicBool>) {
        self.interrupt = flag;
    }

    /// The error value of the last failed call.
    pub fn last_error_value(&self) -> Option<&StashedValue> {
        self.last_error.as_ref()
    }

    /// An incremental collection step (work proportional to the allocation
    /// debt), then pending finalizers. Hosts call it between their own calls
    /// into the VM so that short calls, which never run out of fuel, still
    /// let the collector progress.
    pub fn gc_step(&mut self) {
        self.collect_step();
        self.enter(|mc, g| run_finalizers(mc, g, None));
    }

    /// Clears the slots above the top of the main thread's stack (stale
    /// arguments and results of finished calls, which the collector still
    /// traces) when no call is in progress. Hosts call it before a full
    /// collection so that values the program dropped really die.
    pub fn clear_stale_slots(&self) {
        self.enter(|mc, g| {
            if !g.host_calls.borrow().is_empty() {
                return;
            }
            if let Ok(mut st) = crate::vm::level::borrow_state(mc, g.main_thread) {
                let top = st.top;
                for v in st.stack[top..].iter_mut() {
                    *v = Value::Nil;
                }
            }
        })
    }

    /// Runs the `__gc` metamethod of every object that has one, as closing
    /// a Lua state does (pending ones first, then all others in reverse
    /// order of marking). Objects given a `__gc` afterwards get no finalizer.
    pub fn run_close_finalizers(&mut self) {
        self.enter(|mc, g| {
            crate::gc::queue_all_finalizers(mc, g);
            run_finalizers(mc, g, None);
        });
    }

    /// A full collection, then pending finalizers.
    pub fn gc_collect(&mut self) {
        self.collect_full();
        self.enter(|mc, g| run_finalizers(mc, g, None));
    }

    /// Ids of host objects whose userdata the collector freed since the last call.
    pub fn take_released_host_ids(&self) -> Vec<u64> {
        self.enter(|_, g| std::mem::take(&mut *g.host.0.released.borrow_mut()))
    }

    /// Objects currently allocated in the arena.
    pub fn object_count(&self) -> usize {
        self.arena.metrics().total_gc_count()
    }
}

/// Hands the results in `buf` to `f`, then empties `buf` (keeping its storage).
fn hand_over<'gc, R>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    buf: ResultBuf<'gc>,
    f: impl FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>, &[Value<'gc>]) -> R,
) -> R {
    let out = f(mc, g, &buf.borrow());
    buf.unlock(mc).borrow_mut().clear();
    out
}

/// The host's result handler, used once per call.
fn take_finish<F>(finish: &mut Option<F>) -> F {
    finish.take().expect("a call finishes once")
}

/// Compiles a chunk into a function whose `_ENV` is the globals table,
/// inside the arena (for hosts already running in it, e.g. a native
/// function that loads code).
pub fn load_chunk<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    source: &[u8],
    chunk_name: &str,
) -> Result<Value<'gc>, LuaError> {
    let proto =
        crate::compiler::compile(source, chunk_name.as_bytes()).map_err(|e| LuaError::Syntax {
            message: e.message,
            line: e.line,
            column: e.column,
        })?;
    Ok(load_proto(mc, g, proto, Value::Table(g.globals)))
}

/// Makes a Lua closure from a compiled chunk with the given `_ENV`.
pub fn load_proto<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    proto: crate::compiler::proto::Proto,
    env: Value<'gc>,
) -> Value<'gc> {
    let p = FnProto::from_proto(mc, &mut Global::strings_mut(g, mc), proto);
    Value::Function(Function::Lua(Closure::with_env(mc, p, env)))
}

/// How the start of a host call went (see `start_call`).
enum Started<'gc, R> {
    /// Returned within its first slice; what the host made of the results.
    Finished(R),
    /// Registered and under way: what happened so far is for `continue_call`.
    Running(Option<Exit<'gc>>),
}

/// Starts host call `id`. The common case, no other host call in progress,
/// is the fast path: `f` runs on the main thread at once, the call is
/// registered only if it does not return within its first slice, and
/// results go to `finish` straight from the stack. What happens is what
/// `push_call` then `continue_call` do: this is their first step, inlined.
fn start_call<'gc, F, R>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    id: u64,
    f: Value<'gc>,
    args: &[Value<'gc>],
    finish: &mut Option<F>,
) -> Started<'gc, R>
where
    F: FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>, &[Value<'gc>]) -> R,
{
    let thread = g.main_thread;
    if !g.host_calls.borrow().is_empty() {
        return Started::Running(push_call(mc, g, id, f, args));
    }
    let Ok(mut st) = borrow_state(mc, thread) else {
        return Started::Running(push_call(mc, g, id, f, args));
    };
    thread.set_status(crate::thread::ThreadStatus::Running);
    let ts = &mut *st;
    let mut ex = Exec {
        mc,
        g,
        th: thread,
        ts,
    };
    let exit = match crate::vm::prepared::push_host_frame(ex.ts, &g.budget.0, f, args) {
        Some((cl, base)) if !ex.ts.hook.live => crate::vm::exec::execute_pushed(&mut ex, cl, base),
        Some(_) => crate::vm::hook::run(&mut ex, None),
        None => match enter_call(&mut ex, f, args) {
            None => crate::vm::hook::run(&mut ex, None),
            Some(exit) => exit,
        },
    };
    if let Exit::Returned(n) = exit {
        let start = ts.top - n;
        let out = take_finish(finish)(mc, g, &ts.stack[start..ts.top]);
        ts.top = start;
        drop(st);
        thread.set_status(crate::thread::ThreadStatus::Suspended);
        return Started::Finished(out);
    }
    drop(st);
    register_call(mc, g, id, thread);
    Started::Running(Some(exit))
}

fn register_call<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, id: u64, thread: Thread<'gc>) {
    Global::host_calls_mut(g, mc).push(HostCall {
        id,
        thread,
        chain: Vec::new(),
    });
}

/// Registers host call `id` and calls `f` on its thread; what happened
/// (if the call already finished or failed) goes to `continue_call`.
fn push_call<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    id: u64,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> Option<Exit<'gc>> {
    let thread = if g.host_calls.borrow().is_empty() {
        g.main_thread
    } else {
        let th = Thread::new(mc);
        Global::register_thread(g, mc, th);
        th
    };
    register_call(mc, g, id, thread);
    thread.set_status(crate::thread::ThreadStatus::Running);
    let mut st = match borrow_state(mc, thread) {
        Ok(st) => st,
        Err(_) => return Some(Exit::Error(RtError::msg("thread busy"))),
    };
    enter_call(
        &mut Exec {
            mc,
            g,
            th: thread,
            ts: &mut st,
        },
        f,
        args,
    )
}

/// Puts `f` and its arguments on top of the thread's stack and calls it:
/// `None` when a Lua frame is ready to run, else how the call ended.
fn enter_call<'gc>(
    ex: &mut Exec<'gc, '_>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> Option<Exit<'gc>> {
    let ts = &mut *ex.ts;
    let func = ts.top;
    let need = func + args.len() + 1;
    if ts.stack.len() < need {
        ts.stack.resize(need, Value::Nil);
    }
    ts.stack[func] = f;
    ts.stack[func + 1..need].copy_from_slice(args);
    ts.top = need;
    match ex.precall(func, args.len(), -1, true) {
        Ok(Pre::Lua) => None,
        Ok(Pre::Done(n)) => Some(Exit::Returned(n.unwrap_or(0))),
        Ok(Pre::Switch(e)) => Some(e),
        Err(e) => Some(Exit::Error(match ex.unwind(e) {
            Err(e) => e,
            Ok(_) => RtError::msg("call failed"),
        })),
    }
}

/// The thread host call `id` runs on now: the innermost coroutine it
/// resumed, else its own thread.
fn innermost_thread<'gc>(g: GlobalRef<'gc>, id: u64) -> Option<Thread<'gc>> {
    let calls = g.host_calls.borrow();
    calls
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.chain.last().map(|e| e.0).unwrap_or(c.thread))
}

/// Raises `e` in the running code of host call `id` (its innermost
/// thread), then goes on with the call.
fn raise_in_call<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    buf: ResultBuf<'gc>,
    id: u64,
    e: RtError<'gc>,
) -> Step {
    let Some(th) = innermost_thread(g, id) else {
        return continue_call(mc, g, buf, id, None);
    };
    let next = match borrow_state(mc, th) {
        Ok(mut st) => Some(crate::vm::hook::run(
            &mut Exec {
                mc,
                g,
                th,
                ts: &mut st,
            },
            Some(e),
        )),
        Err(e) => Some(Exit::Error(e)),
    };
    continue_call(mc, g, buf, id, next)
}

/// Gives a suspended host call the result of what it awaited: values for
/// the native frame on top of its innermost thread, or an error raised there.
fn resume_host_call<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    buf: ResultBuf<'gc>,
    id: u64,
    result: Result<Vec<Value<'gc>>, Value<'gc>>,
) -> Step {
    let Some(th) = innermost_thread(g, id) else {
        return continue_call(mc, g, buf, id, None);
    };
    let next = match borrow_state(mc, th) {
        Ok(mut st) => {
            let ts = &mut *st;
            match result {
                Ok(vals) => {
                    // The native frame's own results (none) are replaced.
                    let n = ts.frames.last().map(|f| f.pc).unwrap_or(0);
                    let start = ts.top - n;
                    let need = start + vals.len() + 1;
                    if ts.stack.len() < need {
                        ts.stack.resize(need, Value::Nil);
                    }
                    ts.stack[start..start + vals.len()].copy_from_slice(&vals);
                    ts.top = start + vals.len();
                    if let Some(f) = ts.frames.last_mut() {
                        f.pc = vals.len();
                    }
                    None
                }
                Err(v) => Some(crate::vm::hook::run(
                    &mut Exec { mc, g, th, ts },
                    Some(RtError::Value(v)),
                )),
            }
        }
        Err(e) => Some(Exit::Error(e)),
    };
    continue_call(mc, g, buf, id, next)
}

fn continue_call<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    buf: ResultBuf<'gc>,
    id: u64,
    next: Option<Exit<'gc>>,
) -> Step {
    let (thread, mut chain) = {
        let mut calls = Global::host_calls_mut(g, mc);
        let Some(call) = calls.iter_mut().find(|c| c.id == id) else {
            return Step::Failed(
                LuaError::Runtime {
                    message: "no call in progress".into(),
                    traceback: None,
                },
                None,
            );
        };
        (call.thread, std::mem::take(&mut call.chain))
    };
    let r = run_level(mc, g, thread, None, &mut chain, next, false);
    match r {
        Ok(LevelOutcome::OutOfFuel) => {
            if let Some(call) = Global::host_calls_mut(g, mc)
                .iter_mut()
                .find(|c| c.id == id)
            {
                call.chain = chain;
            }
            Step::Continue
        }
        Ok(LevelOutcome::Returned(n)) => {
            remove_call(mc, g, id);
            let mut out = buf.unlock(mc).borrow_mut();
            out.clear();
            if let Ok(mut st) = borrow_state(mc, thread) {
                let start = st.top - n;
                out.extend_from_slice(&st.stack[start..st.top]);
                st.top = start;
            }
            thread.set_status(crate::thread::ThreadStatus::Suspended);
            Step::Done
        }
        Err(e) => fail(mc, g, id, e),
    }
}

fn remove_call<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, id: u64) -> Option<HostCall<'gc>> {
    let mut calls = Global::host_calls_mut(g, mc);
    let i = calls.iter().rposition(|c| c.id == id)?;
    Some(calls.remove(i))
}

fn fail<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, id: u64, e: RtError<'gc>) -> Step {
    let thread = remove_call(mc, g, id).map(|c| c.thread);
    let traceback = thread.and_then(|t| {
        t.set_status(crate::thread::ThreadStatus::Suspended);
        borrow_state(mc, t).ok().and_then(|mut st| {
            st.frames.clear();
            st.top = 0;
            // Only the traceback taken for this very error.
            st.traceback.take().and_then(|(tv, tb)| match &e {
                RtError::Value(v) if !tv.raw_eq(*v) => None,
                _ => Some(tb),
            })
        })
    });
    match e {
        RtError::Limit(k) => Step::Failed(LuaError::Limit(k), None),
        RtError::Value(v) => {
            let message = match v {
                Value::String(s) => s.to_str_lossy().into_owned(),
                Value::Nil => "nil".to_string(),
                _ if !meta::get_tm(g, v, crate::state::Tm::ToString).is_nil() => {
                    String::from_utf8_lossy(&meta::tostring_raw(g, v)).into_owned()
                }
                _ => format!("(error object is a {} value)", v.type_name()),
            };
            Step::Failed(
                LuaError::Runtime { message, traceback },
                Some(Lua::stash(mc, g, v)),
            )
        }
        RtError::Message(m) | RtError::BadArg { msg: m, .. } => Step::Failed(
            LuaError::Runtime {
                message: m,
                traceback,
            },
            None,
        ),
    }
}

/// Calls the `__gc` metamethods of objects the collector queued: on the
/// thread of the running call `running`, else on an idle thread.
fn run_finalizers<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, running: Option<u64>) {
    crate::gc::run_queued_finalizers(mc, g, |f, obj| {
        let thread = {
            let calls = g.host_calls.borrow();
            match running {
                Some(id) => calls.iter().find(|c| c.id == id).map(|c| c.thread),
                None if calls.is_empty() => Some(g.main_thread),
                None => None,
            }
        };
        let thread = thread.unwrap_or_else(|| {
            // Suspended async calls hold their threads: use a fresh one.
            let th = Thread::new(mc);
            Global::register_thread(g, mc, th);
            th
        });
        match borrow_state(mc, thread) {
            // Finalizers run between slices: they cannot yield or await.
            Ok(mut st) => {
                let depth = st.frames.len();
                let saved = st.finalizer_frame.replace(depth);
                let r = crate::vm::level::call_nested_noyield(mc, g, thread, &mut st, f, &[obj])
                    .map(drop);
                st.finalizer_frame = saved;
                r
            }
            Err(_) => Ok(()),
        }
    });
}
