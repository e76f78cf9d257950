//! Fuel and host limits: how much a run may do before control goes back to
//! the driver, and the limits that stop a script.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::error::LimitKind;

/// Instructions (approximately: loop iterations and calls count) per slice.
pub const SLICE_FUEL: i64 = 20_000;

/// Nested native-to-Lua calls allowed (like LUAI_MAXCCALLS).
pub const MAX_NESTED_CALLS: u32 = 200;

/// Lua call frames allowed on one thread before "stack overflow".
pub const MAX_FRAMES: usize = 200_000;

/// Stack slots allowed on one thread (like LUAI_MAXSTACK).
pub const MAX_STACK: usize = 1_000_000;

#[derive(Default)]
pub struct Budget {
    /// Counted work since the limits were last reset.
    pub used: Cell<u64>,
    pub instruction_limit: Cell<Option<u64>>,
    pub deadline: Cell<Option<Instant>>,
    /// Bytes the VM may hold (see `alloc.rs`); checked at slice boundaries
    /// (after a full collection) and by builtins that build big results.
    pub memory_limit: Cell<Option<usize>>,
    /// Bytes allocated (minus freed) while this VM was entered: the
    /// counter `alloc::Counting` updates.
    pub mem_used: Cell<isize>,
    /// Wall time a host call may take; the driver turns it into `deadline`
    /// when an outermost call starts.
    pub timeout: Cell<Option<Duration>>,
    /// Set by a host native function that returned a value to wait for (a
    /// JS promise) in an async run: together with `gc_requested`, which
    /// makes the interpreter return to the driver right after the native
    /// call with its frame still on top (see exec.rs `precall`). The
    /// driver then reports `Poll::Await` instead of collecting.
    pub await_requested: Cell<bool>,
    /// An async host call is running: natives that call Lua in a loop
    /// (table.sort, string.gsub) use `Ctx::call_then`, where the host can
    /// await, instead of faster nested calls.
    pub async_call: Cell<bool>,
    /// Depth of nested native-to-Lua calls, over all threads.
    pub nested: Cell<u32>,
    /// Those of them that cannot be suspended (natives calling Lua, message
    /// handlers, closing after errors): an await is possible only at 0.
    pub nested_noyield: Cell<u32>,
    /// Lua call depth limit set by the host (frames on one thread).
    pub max_call_depth: Cell<Option<usize>>,
    /// `collectgarbage("collect")` asked for a full collection at the next slice boundary.
    pub gc_requested: Cell<bool>,
    /// The mode `collectgarbage` last set; the collector itself is always
    /// incremental, the mode is kept so scripts see their own setting back.
    pub gc_generational: Cell<bool>,
    /// `collectgarbage("stop")`: no automatic collection steps until "restart".
    pub gc_stopped: Cell<bool>,
    /// Memory use past which a native's return goes back to the driver
    /// for a collection step: a few instructions that allocate a lot (big
    /// strings) must not wait for the fuel to run out.
    pub gc_mem_mark: Cell<isize>,
    /// Collector state shared by `collectgarbage` and the driver.
    pub gc: crate::gc::Control,
}

impl Budget {
    /// Called when a slice's fuel runs out: accounts for it and checks limits.
    pub fn charge(&self, spent: i64) -> Result<(), LimitKind> {
        let used = self.used.get() + spent.max(0) as u64;
        self.used.set(used);
        if let Some(limit) = self.instruction_limit.get() {
            if used > limit {
                return Err(LimitKind::Instructions);
            }
        }
        if let Some(deadline) = self.deadline.get() {
            if Instant::now() >= deadline {
                return Err(LimitKind::Time);
            }
        }
        Ok(())
    }

    /// Whether memory grew enough since the last collection step for another.
    #[inline]
    pub fn gc_step_due(&self) -> bool {
        self.mem_used.get() > self.gc_mem_mark.get()
    }

    /// Sets the next `gc_mem_mark`: when the collector's pacing wants a
    /// step, and at most a quarter more memory in use (1 MiB more for a
    /// small heap), which keeps memory limits checked often enough.
    pub fn set_gc_mem_mark(&self) {
        let now = self.mem_used.get();
        let room = (now / 4)
            .max(1 << 20)
            .min(self.gc.step_room(self.memory_used()) as isize);
        self.gc_mem_mark.set(now.saturating_add(room));
    }

    /// Bytes in use now (never negative).
    pub fn memory_used(&self) -> usize {
        self.mem_used.get().max(0) as usize
    }

    /// Whether `extra` more bytes fit under the memory limit.
    pub fn check_memory(&self, extra: usize) -> Result<(), LimitKind> {
        match self.memory_limit.get() {
            Some(m) if extra > m || self.memory_used().saturating_add(extra) > m => {
                Err(LimitKind::Memory)
            }
            _ => Ok(()),
        }
    }

    /// The fuel to give the next slice.
    pub fn slice_fuel(&self) -> i64 {
        match self.instruction_limit.get() {
            Some(limit) => {
                let left = limit.saturating_sub(self.used.get());
                (left.min(SLICE_FUEL as u64) as i64).max(1)
            }
            None => SLICE_FUEL,
        }
    }
}
