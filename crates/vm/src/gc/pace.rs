//! When collection cycles start and how fast they run, in bytes, as
//! PUC-Rio Lua 5.4's incremental mode paces them: a cycle starts when the
//! heap reaches `pause` percent of its size after the previous cycle, and
//! runs in steps proportional to what the program allocates meanwhile.
//!
//! gc-arena measures collector work in objects (marking, tracing and
//! sweeping each cost a fraction of a unit), and on its own starts a cycle
//! after a number of allocated objects. A few objects can hold most of
//! the bytes (strings, table parts), so the arena's own wake-up is disabled
//! ([`ARENA_PACING`]) and bytes are turned into work here: at the start of
//! a cycle its work is estimated from the object counts, and that work is
//! spread over the allocation of a fraction of the live heap.

use std::cell::Cell;

use gc_arena::metrics::{Metrics, Pacing};

/// gc-arena's pacing: work factors as its defaults, no sleep of its own
/// (the driver does not step a sleeping arena before `Pacer::due`).
pub const ARENA_PACING: Pacing = Pacing {
    sleep_factor: 0.0,
    min_sleep: 0,
    ..Pacing::DEFAULT
};

/// Work for an object that survives a cycle (marked, traced, kept).
const LIVE_WORK: f64 =
    ARENA_PACING.mark_factor + ARENA_PACING.trace_factor + ARENA_PACING.keep_factor;
/// Work for an object that dies (dropped, freed).
const DEAD_WORK: f64 = ARENA_PACING.drop_factor + ARENA_PACING.free_factor;

/// At a step multiplier of 100%, a cycle's estimated work is done by the
/// time the program has allocated `1/CYCLE_SPAN` of the live heap more:
/// the heap peaks near `pause + 1/CYCLE_SPAN` times the live size.
const CYCLE_SPAN: f64 = 4.0;

/// The heap never counts as smaller than this when a pause is computed,
/// so that a tiny heap is not collected over and over.
const MIN_ESTIMATE: usize = 256 * 1024;

/// During a cycle, a step is due whenever `1/STEPS_PER_SPAN` of the
/// cycle's span has been allocated, so that the collector keeps up with
/// natives that allocate a lot in few instructions.
const STEPS_PER_SPAN: usize = 8;

/// Steps never come more often than this many allocated bytes apart.
const MIN_STEP_ROOM: usize = 64 * 1024;

/// The pacing state between steps.
pub struct Pacer {
    /// Heap bytes when the last cycle ended (taken as the live size).
    estimate: Cell<usize>,
    /// Objects alive then.
    live_objects: Cell<usize>,
    /// Heap bytes at the last step: allocation since then is new debt.
    paced: Cell<usize>,
    /// Collector work owed per allocated byte in the current cycle.
    rate: Cell<f64>,
    /// A cycle is under way (between `begin_cycle` and `end_cycle`).
    in_cycle: Cell<bool>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            estimate: Cell::new(MIN_ESTIMATE),
            live_objects: Cell::new(0),
            paced: Cell::new(0),
            rate: Cell::new(0.0),
            in_cycle: Cell::new(false),
        }
    }
}

impl Pacer {
    /// Whether a sleeping collector should start a cycle, with the heap at
    /// `heap` bytes and a pause of `pause` percent.
    pub fn due(&self, heap: usize, pause: u32) -> bool {
        heap >= self.threshold(pause)
    }

    /// The heap size at which a sleeping collector starts a cycle.
    fn threshold(&self, pause: u32) -> usize {
        let t = self.estimate.get() as f64 / 100.0 * f64::from(pause);
        t as usize
    }

    /// How many more bytes the program may allocate before the next step
    /// is due: until the pause ends, or a fraction of a cycle's span.
    pub fn room(&self, heap: usize, pause: u32) -> usize {
        let room = if self.in_cycle.get() {
            self.estimate.get() / (CYCLE_SPAN as usize * STEPS_PER_SPAN)
        } else {
            self.threshold(pause).saturating_sub(heap)
        };
        room.max(MIN_STEP_ROOM)
    }

    /// Starts paying for a cycle: the arena's debt (objects allocated while
    /// it slept) is dropped, and the cycle's estimated work (live objects
    /// kept, the rest freed) is spread over allocation to come.
    pub fn begin_cycle(&self, metrics: &Metrics, heap: usize, stepmul: u32) {
        metrics.adjust_debt(-metrics.allocation_debt());
        let live = self.live_objects.get();
        let dead = metrics.total_gc_count().saturating_sub(live);
        let work = live as f64 * LIVE_WORK + dead as f64 * DEAD_WORK;
        let span = self.estimate.get() as f64 / CYCLE_SPAN;
        self.rate
            .set(work / span * f64::from(stepmul.max(1)) / 100.0);
        self.paced.set(heap);
        self.in_cycle.set(true);
    }

    /// Adds to the arena's debt the work owed for what was allocated since
    /// the last step, plus `extra_bytes` worth (explicit steps).
    pub fn charge(&self, metrics: &Metrics, heap: usize, extra_bytes: usize) {
        let grown = heap.saturating_sub(self.paced.get()) + extra_bytes;
        self.paced.set(heap);
        // At least one unit, so that every step makes progress.
        metrics.adjust_debt((grown as f64 * self.rate.get()).max(1.0));
    }

    /// Records the heap after a step: what it freed is not allocation.
    pub fn paid(&self, heap: usize) {
        self.paced.set(heap);
    }

    /// Records the end of a cycle: what is left is the live heap.
    pub fn end_cycle(&self, metrics: &Metrics, heap: usize) {
        self.estimate.set(heap.max(MIN_ESTIMATE));
        self.live_objects.set(metrics.total_gc_count());
        self.paced.set(heap);
        self.in_cycle.set(false);
    }
}
