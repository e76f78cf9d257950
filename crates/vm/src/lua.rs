//! The embedding API: a VM that the binding layer and the CLI drive.

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

pub struct Lua {
    arena: LuaArena,
    /// The error value of the last runtime error, for hosts that want it.
    last_error: Option<StashedValue>,
    /// Called between fuel slices; returning false stops the running call
    /// with `LimitKind::Interrupted` (see `set_slice_hook`).
    slice_hook: Option<Box<dyn FnMut() -> bool>>,
}

enum Step {
    Done(Vec<StashedValue>),
    Failed(LuaError, Option<StashedValue>),
    Continue,
}

impl Lua {
    pub fn new(libs: Libs) -> Lua {
        let arena = LuaArena::new(|mc| {
            let g = Gc::new(mc, Global::new(mc));
            Global::register_thread(g, mc, g.main_thread);
            crate::stdlib::open_libs(mc, g, libs);
            g
        });
        // Like PUC-Rio Lua's default pause of 200%: a new cycle starts when
        // the live heap has doubled.
        arena.metrics().set_pacing(gc_arena::metrics::Pacing {
            sleep_factor: 1.0,
            min_sleep: 4096,
            ..gc_arena::metrics::Pacing::DEFAULT
        });
        Lua {
            arena,
            last_error: None,
            slice_hook: None,
        }
    }

    /// Runs `f` inside the arena.
    pub fn enter<F, R>(&self, f: F) -> R
    where
        F: for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>) -> R,
    {
        self.arena.mutate(|mc, root| f(mc, *root))
    }

    pub fn stash<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, v: Value<'gc>) -> StashedValue {
        g.roots.stash::<Rootable![Value<'_>]>(mc, Gc::new(mc, v))
    }

    pub fn fetch<'gc>(g: GlobalRef<'gc>, s: &StashedValue) -> Value<'gc> {
        *g.roots.fetch(s)
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
        let step = self.arena.mutate(|mc, root| {
            let g = *root;
            let fv = Lua::fetch(g, f);
            let args = args(mc, g);
            start_call(mc, g, fv, &args)
        });
        self.drive(step)
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
        let step = self.arena.mutate(|mc, root| {
            let g = *root;
            setup(mc, g).map(|(f, args)| start_call(mc, g, f, &args))
        })?;
        Ok(self.drive(step))
    }

    /// Runs a started call to completion: fuel slices with collection steps
    /// and pending finalizers in between.
    fn drive(&mut self, mut step: Step) -> Result<Vec<StashedValue>, LuaError> {
        loop {
            match step {
                Step::Done(v) => return Ok(v),
                Step::Failed(e, value) => {
                    self.last_error = value;
                    return Err(e);
                }
                Step::Continue => {}
            }
            if self
                .arena
                .mutate(|_, g| g.budget.0.gc_requested.replace(false))
            {
                gc::full_collect(&mut self.arena);
            } else if !self.arena.mutate(|_, g| g.budget.0.gc_stopped.get()) {
                gc::step(&mut self.arena);
            }
            if let Some(hook) = self.slice_hook.as_mut() {
                if !hook() {
                    step = self
                        .arena
                        .mutate(|mc, root| fail(mc, *root, RtError::Limit(LimitKind::Interrupted)));
                    continue;
                }
            }
            step = self.arena.mutate(|mc, root| {
                run_finalizers(mc, *root);
                continue_call(mc, *root, None)
            });
        }
    }

    /// Sets a function the driver calls between fuel slices of a call
    /// (every few thousand instructions). When it returns false, the call
    /// stops with `LuaError::Limit(LimitKind::Interrupted)`: a host uses it
    /// to notice that its thread is being torn down (a terminated worker).
    pub fn set_slice_hook(&mut self, hook: Option<Box<dyn FnMut() -> bool>>) {
        self.slice_hook = hook;
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
        gc::step(&mut self.arena);
        self.arena.mutate(|mc, root| run_finalizers(mc, *root));
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

    /// A full collection, then pending finalizers.
    pub fn gc_collect(&mut self) {
        gc::full_collect(&mut self.arena);
        self.arena.mutate(|mc, root| run_finalizers(mc, *root));
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
    let upvalues = p
        .info
        .0
        .upvalues
        .iter()
        .enumerate()
        .map(|(i, _)| {
            // The first upvalue is the environment; a binary chunk may have others.
            let v = if i == 0 { env } else { Value::Nil };
            Gc::new(
                mc,
                gc_arena::lock::Lock::new(crate::function::UpState::Closed(v)),
            )
        })
        .collect();
    Value::Function(Function::Lua(Gc::new(mc, Closure { proto: p, upvalues })))
}

fn start_call<'gc>(
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    f: Value<'gc>,
    args: &[Value<'gc>],
) -> Step {
    let thread = if g.host_calls.borrow().is_empty() {
        g.main_thread
    } else {
        let th = Thread::new(mc);
        Global::register_thread(g, mc, th);
        th
    };
    Global::host_calls_mut(g, mc).push(HostCall {
        thread,
        chain: Vec::new(),
    });
    thread.set_status(mc, crate::thread::ThreadStatus::Running);
    let next = {
        let mut st = match borrow_state(mc, thread) {
            Ok(st) => st,
            Err(_) => return fail(mc, g, RtError::msg("thread busy")),
        };
        let ts = &mut *st;
        let func = ts.top;
        let need = func + args.len() + 1;
        if ts.stack.len() < need {
            ts.stack.resize(need, Value::Nil);
        }
        ts.stack[func] = f;
        ts.stack[func + 1..need].copy_from_slice(args);
        ts.top = need;
        let mut ex = Exec {
            mc,
            g,
            th: thread,
            ts,
        };
        match ex.precall(func, args.len(), -1, true) {
            Ok(Pre::Lua) => None,
            Ok(Pre::Done(n)) => Some(Exit::Returned(n.unwrap_or(0))),
            Ok(Pre::Switch(e)) => Some(e),
            Err(e) => Some(Exit::Error(match ex.unwind(e) {
                Err(e) => e,
                Ok(_) => RtError::msg("call failed"),
            })),
        }
    };
    continue_call(mc, g, next)
}

fn continue_call<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, next: Option<Exit<'gc>>) -> Step {
    let (thread, mut chain) = {
        let mut calls = Global::host_calls_mut(g, mc);
        let Some(call) = calls.last_mut() else {
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
            if let Some(call) = Global::host_calls_mut(g, mc).last_mut() {
                call.chain = chain;
            }
            Step::Continue
        }
        Ok(LevelOutcome::Returned(n)) => {
            Global::host_calls_mut(g, mc).pop();
            let vals = match borrow_state(mc, thread) {
                Ok(mut st) => {
                    let start = st.top - n;
                    let v: Vec<Value<'gc>> = st.stack[start..st.top].to_vec();
                    st.top = start;
                    v
                }
                Err(_) => Vec::new(),
            };
            thread.set_status(mc, crate::thread::ThreadStatus::Suspended);
            Step::Done(vals.into_iter().map(|v| Lua::stash(mc, g, v)).collect())
        }
        Err(e) => fail(mc, g, e),
    }
}

fn fail<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>, e: RtError<'gc>) -> Step {
    let thread = Global::host_calls_mut(g, mc).pop().map(|c| c.thread);
    let traceback = thread.and_then(|t| {
        t.set_status(mc, crate::thread::ThreadStatus::Suspended);
        borrow_state(mc, t).ok().and_then(|mut st| {
            st.frames.clear();
            st.top = 0;
            st.traceback.take()
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

/// Calls the `__gc` metamethods of objects the collector queued.
fn run_finalizers<'gc>(mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>) {
    loop {
        let next = {
            let mut q = Global::to_finalize_mut(g, mc);
            if q.is_empty() {
                return;
            }
            q.remove(0)
        };
        let f = meta::get_tm(g, next, crate::state::Tm::Gc);
        if f.is_nil() {
            continue;
        }
        let thread = g
            .host_calls
            .borrow()
            .last()
            .map(|c| c.thread)
            .unwrap_or(g.main_thread);
        if let Ok(mut st) = borrow_state(mc, thread) {
            let r = crate::vm::level::call_nested(mc, g, thread, &mut st, f, &[next]);
            if let Err(RtError::Value(v)) = r {
                let msg = meta::tostring_raw(g, v);
                eprintln!(
                    "lunarena: warning: error in __gc ({})",
                    String::from_utf8_lossy(&msg)
                );
            }
        }
    }
}
