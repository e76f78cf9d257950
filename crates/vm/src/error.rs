//! Runtime errors inside the VM.

use crate::value::Value;

/// A host-imposed limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Memory,
    Instructions,
    Time,
    CallDepth,
    Interrupted,
    /// Not a limit: a coroutine yielded inside a metamethod that was called
    /// through a nested call (the values are in its `ThreadState::yielded`).
    /// It unwinds the Rust stack up to the level that resumed the coroutine,
    /// leaving the coroutine's frames in place. Never seen outside the VM.
    Yield,
    /// Not a limit: an async host call waits for the host (a JS promise),
    /// or ends a slice, inside a nested call. Like `Yield`, it unwinds the
    /// Rust stack, up to the driver, leaving all frames in place (see
    /// `level::run_level`).
    Await,
}

impl LimitKind {
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::Memory => "memory",
            LimitKind::Instructions => "instructions",
            LimitKind::Time => "time",
            LimitKind::CallDepth => "callDepth",
            LimitKind::Interrupted => "interrupted",
            LimitKind::Yield => "yield",
            LimitKind::Await => "await",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            LimitKind::Memory => "not enough memory (memory limit reached)",
            LimitKind::Instructions => "instruction limit reached",
            LimitKind::Time => "time limit reached",
            LimitKind::CallDepth => "call depth limit reached",
            LimitKind::Interrupted => "interrupted",
            LimitKind::Yield => "attempt to yield across a C-call boundary",
            LimitKind::Await => "cannot wait for the host here",
        }
    }
}

/// An error raised while running Lua code.
#[derive(Debug, Clone)]
pub enum RtError<'gc> {
    /// An error value: from `error`, or a message already carrying its position.
    Value(Value<'gc>),
    /// A message that still needs the position of the running Lua code.
    Message(String),
    /// A bad argument to a native function: "bad argument #n to 'f' (msg)".
    BadArg { arg: usize, msg: String },
    /// A host limit was hit; `pcall` does not catch these.
    Limit(LimitKind),
}

impl<'gc> RtError<'gc> {
    pub fn msg(s: impl Into<String>) -> Self {
        RtError::Message(s.into())
    }

    pub fn bad_arg(arg: usize, msg: impl Into<String>) -> Self {
        RtError::BadArg {
            arg,
            msg: msg.into(),
        }
    }

    /// The internal yield through nested calls (see `LimitKind::Yield`).
    pub fn is_yield(&self) -> bool {
        matches!(self, RtError::Limit(LimitKind::Yield))
    }

    /// The internal await through nested calls (see `LimitKind::Await`).
    pub fn is_await(&self) -> bool {
        matches!(self, RtError::Limit(LimitKind::Await))
    }

    /// A yield or an await on its way out of nested calls: the frames stay.
    pub fn is_suspension(&self) -> bool {
        self.is_yield() || self.is_await()
    }

    pub fn is_catchable(&self) -> bool {
        !matches!(self, RtError::Limit(_))
    }
}

pub type RtResult<'gc, T> = Result<T, RtError<'gc>>;
