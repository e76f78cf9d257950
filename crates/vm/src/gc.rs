//! Garbage collection steps with finalization: `__gc` resurrection, weak
//! table clearing and interned-string pruning happen while the arena is
//! fully marked, and the arena moves to sweeping right after, with no
//! mutation in between.

use std::cell::Cell;

use gc_arena::arena::CollectionPhase;
use gc_arena::{Arena, Finalization, Gc, Mutation, Rootable};

use crate::error::{RtError, RtResult};
use crate::state::{Finalizable, Global, GlobalRef, Tm};
use crate::table::Table;
use crate::userdata::UserData;
use crate::value::{Function, Value};
use crate::vm::budget::Budget;
use crate::vm::meta;

mod pace;

pub type LuaArena = Arena<Rootable![GlobalRef<'_>]>;

/// Creates a VM's arena with `init` building the root; what building it
/// allocates counts to the VM's bytes like everything after.
pub fn new_arena(init: impl for<'gc> FnOnce(&'gc Mutation<'gc>) -> GlobalRef<'gc>) -> LuaArena {
    // The byte counter lives in the root, which does not exist yet.
    let boot = Cell::new(0);
    let arena = {
        let _count = crate::alloc::enter(&boot);
        LuaArena::new(init)
    };
    arena.metrics().set_pacing(pace::ARENA_PACING);
    arena.mutate(|_, g| g.budget.0.mem_used.set(boot.get()));
    arena
}

/// The collector's state that `collectgarbage` and the driver share.
pub struct Control {
    /// Pause, step multiplier (both percent) and step size (log2 of
    /// bytes), kept in PUC-Rio Lua's storage (a quarter of the percentage,
    /// in a byte) so that scripts read back what Lua 5.4 gives.
    pause: Cell<u8>,
    stepmul: Cell<u8>,
    stepsize: Cell<u8>,
    pacer: pace::Pacer,
    /// A `__gc` metamethod is running: `collectgarbage` then fails, as the
    /// collector cannot be driven from inside one of its own steps.
    pub in_finalizer: Cell<bool>,
    /// The state is closing: objects get no finalizer any more.
    pub closing: Cell<bool>,
    /// `collectgarbage("step", kb)` is waiting for the driver: the size,
    /// and the frame count of the thread whose `collectgarbage` frame will
    /// get the result (see `Lua::finish_step_request`).
    pub step_request: Cell<Option<(i32, usize)>>,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            pause: Cell::new(200 / 4),
            stepmul: Cell::new(100 / 4),
            stepsize: Cell::new(13),
            pacer: pace::Pacer::default(),
            in_finalizer: Cell::new(false),
            closing: Cell::new(false),
            step_request: Cell::new(None),
        }
    }
}

impl Control {
    /// Sets the pause (percent); returns the previous one.
    pub fn set_pause(&self, v: i32) -> i32 {
        Self::replace(&self.pause, v)
    }

    /// Sets the step multiplier (percent); returns the previous one.
    pub fn set_stepmul(&self, v: i32) -> i32 {
        Self::replace(&self.stepmul, v)
    }

    /// Sets the step size (log2 of bytes).
    pub fn set_stepsize(&self, v: i32) {
        // A byte, as in PUC-Rio Lua; past 63 a step has no size limit there,
        // here it is as big as it can be.
        self.stepsize.set(v.clamp(0, 63) as u8);
    }

    fn replace(cell: &Cell<u8>, v: i32) -> i32 {
        // Truncating to a byte is PUC-Rio's storage, kept on purpose.
        i32::from(cell.replace((v / 4) as u8)) * 4
    }

    fn pause(&self) -> u32 {
        u32::from(self.pause.get()) * 4
    }

    fn stepmul(&self) -> u32 {
        u32::from(self.stepmul.get()) * 4
    }

    /// How many more bytes the program may allocate, with the heap at
    /// `heap` bytes, before the collector should step.
    pub fn step_room(&self, heap: usize) -> usize {
        self.pacer.room(heap, self.pause())
    }

    /// The bytes a basic step stands for.
    fn step_bytes(&self) -> usize {
        1usize
            .checked_shl(u32::from(self.stepsize.get()))
            .unwrap_or(usize::MAX)
            .min(isize::MAX as usize)
    }
}

/// The heap size in bytes: the VM's byte count, or without a counting
/// allocator (see alloc.rs) an estimate from the number of objects.
fn heap_bytes(metrics: &gc_arena::metrics::Metrics, budget: &Budget) -> usize {
    match budget.memory_used() {
        0 => metrics.total_gc_count() * 64,
        n => n,
    }
}

/// The heap size in kilobytes, as `collectgarbage("count")` reports it.
pub fn heap_kbytes(mc: &Mutation<'_>, budget: &Budget) -> f64 {
    heap_bytes(mc.metrics(), budget) as f64 / 1024.0
}

/// The automatic step between fuel slices: starts a cycle when the heap
/// has grown past the pause, and otherwise does collector work in
/// proportion to what was allocated since the last step.
pub fn step(arena: &mut LuaArena, budget: &Budget) {
    let ctl = &budget.gc;
    let heap = heap_bytes(arena.metrics(), budget);
    if arena.collection_phase() == CollectionPhase::Sleeping {
        if !ctl.pacer.due(heap, ctl.pause()) {
            return;
        }
        ctl.pacer.begin_cycle(arena.metrics(), heap, ctl.stepmul());
    }
    ctl.pacer.charge(arena.metrics(), heap, 0);
    pay_debt(arena, budget);
    ctl.pacer.paid(heap_bytes(arena.metrics(), budget));
}

/// `collectgarbage("step", kb)`: collector work worth `kb` kilobytes of
/// allocation, or a basic step for 0, starting a cycle if none is under
/// way (whatever the pause); whether a cycle ended.
pub fn step_by(arena: &mut LuaArena, budget: &Budget, kb: i32) -> bool {
    if budget.gc_generational.get() {
        // In generational mode a step is a young collection, which frees
        // all young garbage: the nearest the incremental collector has is
        // a whole cycle.
        full_collect(arena, budget);
        return true;
    }
    let ctl = &budget.gc;
    let heap = heap_bytes(arena.metrics(), budget);
    if arena.collection_phase() == CollectionPhase::Sleeping {
        ctl.pacer.begin_cycle(arena.metrics(), heap, ctl.stepmul());
    }
    let bytes = match usize::try_from(kb) {
        Ok(kb) if kb > 0 => kb.saturating_mul(1024),
        _ => ctl.step_bytes(),
    };
    ctl.pacer.charge(arena.metrics(), heap, bytes);
    let ended = pay_debt(arena, budget);
    ctl.pacer.paid(heap_bytes(arena.metrics(), budget));
    ended
}

/// Runs the cycle under way until the arena's debt is paid or the cycle
/// ends; whether it ended.
fn pay_debt(arena: &mut LuaArena, budget: &Budget) -> bool {
    loop {
        match arena.collection_phase() {
            CollectionPhase::Sweeping => {
                arena.cycle_debt();
                if arena.collection_phase() != CollectionPhase::Sleeping {
                    return false;
                }
                let heap = heap_bytes(arena.metrics(), budget);
                budget.gc.pacer.end_cycle(arena.metrics(), heap);
                return true;
            }
            // A sleeping arena wakes up if it has debt.
            _ => {
                if arena.mark_debt().is_none() {
                    return false;
                }
                finalize_and_sweep(arena);
            }
        }
    }
}

/// Runs a full collection: finishes the cycle under way (whose marks may
/// predate deaths), then one whole fresh cycle.
pub fn full_collect(arena: &mut LuaArena, budget: &Budget) {
    if matches!(
        arena.collection_phase(),
        CollectionPhase::Marking | CollectionPhase::Marked
    ) {
        finalize_and_sweep(arena);
    }
    if arena.collection_phase() == CollectionPhase::Sweeping {
        arena.finish_cycle();
    }
    // Sleeping now: this starts a cycle and marks it through.
    finalize_and_sweep(arena);
    arena.finish_cycle();
    let heap = heap_bytes(arena.metrics(), budget);
    budget.gc.pacer.end_cycle(arena.metrics(), heap);
    crate::alloc::release_free_memory();
}

/// Called with the arena fully marked. The order is Lua 5.4's: ephemerons
/// converge, dead weak values are cleared, objects with `__gc` found dead
/// are resurrected (with what they reach, ephemerons again), and only then
/// are dead weak keys and the remaining dead values cleared.
fn finalize_and_sweep(arena: &mut LuaArena) {
    converge_ephemerons(arena);
    // Weak values that are dead now are cleared before the resurrection, so
    // a finalizer does not see them come back.
    let resurrected = match arena.finish_marking() {
        Some(m) => m.finalize(|fc, root| {
            clear_weak_tables(fc, *root, false);
            resurrect_finalizable(fc, *root)
        }),
        None => return,
    };
    if resurrected > 0 {
        converge_ephemerons(arena);
    }
    if let Some(m) = arena.finish_marking() {
        m.finalize(|fc, root| clear_weak(fc, *root));
    }
    // Clearing wrote to the weak tables (a write barrier), so marking runs
    // once more over them before the arena moves to sweeping.
    if let Some(m) = arena.finish_marking() {
        m.start_sweeping();
    }
}

/// Marks ephemeron values whose keys are alive, until marking what they
/// reach makes no more keys alive. Each round is one finalization callback
/// (which sees the arena as marking left it) followed by more marking.
fn converge_ephemerons(arena: &mut LuaArena) {
    let mut backwards = false;
    while let Some(m) = arena.finish_marking() {
        if !m.finalize(|fc, root| mark_ephemerons(fc, *root, backwards)) {
            return;
        }
        // Alternating the direction lets chains built in either order
        // advance by more than one link per round.
        backwards = !backwards;
    }
}

/// One round of ephemeron marking; whether any value was marked.
fn mark_ephemerons<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>, backwards: bool) -> bool {
    let mut marked = false;
    for w in g.weak_tables.borrow().iter() {
        // A dead table is skipped: if a finalizer resurrects it, the
        // round after the resurrection sees it alive.
        if w.is_dead(fc) {
            continue;
        }
        let Some(t) = w.upgrade(fc) else { continue };
        let t = t.borrow();
        let mut visit = |(k, v): (Value<'gc>, Value<'gc>)| {
            // A resurrected object is gray, hence already not dead, so a
            // key marked earlier in this round counts as alive.
            if !is_dead(fc, k) && is_dead(fc, v) {
                resurrect(fc, v);
                marked = true;
            }
        };
        if backwards {
            t.ephemerons().rev().for_each(&mut visit);
        } else {
            t.ephemerons().for_each(&mut visit);
        }
    }
    marked
}

/// Whether a value was found unreachable (plain values never are; strings
/// only as keys in weak tables, the one place they may not be traced).
fn is_dead<'gc>(fc: &Finalization<'gc>, v: Value<'gc>) -> bool {
    match v {
        Value::String(s) => Gc::is_dead(fc, s.0),
        Value::Table(t) => Gc::is_dead(fc, t.0),
        Value::Function(Function::Lua(f)) => Gc::is_dead(fc, f),
        Value::Function(Function::Native(f)) => Gc::is_dead(fc, f),
        Value::Thread(t) => Gc::is_dead(fc, t.0),
        Value::UserData(u) => Gc::is_dead(fc, u.0),
        _ => false,
    }
}

/// Keeps an object value (and, once marking resumes, what it reaches) alive this cycle.
fn resurrect<'gc>(fc: &Finalization<'gc>, v: Value<'gc>) {
    match v {
        Value::Table(t) => Gc::resurrect(fc, t.0),
        Value::Function(Function::Lua(f)) => Gc::resurrect(fc, f),
        Value::Function(Function::Native(f)) => Gc::resurrect(fc, f),
        Value::Thread(t) => Gc::resurrect(fc, t.0),
        Value::UserData(u) => Gc::resurrect(fc, u.0),
        Value::String(s) => Gc::resurrect(fc, s.0),
        _ => {}
    }
}

/// A table taken off the finalization list to be finalized: no longer
/// marked, so a new `__gc` metatable marks it again.
fn queued_table<'gc>(
    t: Gc<'gc, gc_arena::lock::RefLock<crate::table::TableState<'gc>>>,
) -> Value<'gc> {
    t.borrow().gc_marked.set(false);
    Value::Table(Table(t))
}

/// `queued_table` for a userdata.
fn queued_userdata<'gc>(u: Gc<'gc, crate::userdata::UserDataObj<'gc>>) -> Value<'gc> {
    u.gc_marked.set(false);
    Value::UserData(UserData(u))
}

fn resurrect_finalizable<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>) -> usize {
    let mut list = Global::finalizable_mut(g, fc);
    let mut queued = Vec::new();
    list.retain(|f| {
        let dead = match f {
            Finalizable::Table(w) => w.is_dead(fc),
            Finalizable::UserData(w) => w.is_dead(fc),
        };
        if dead {
            let v = match f {
                Finalizable::Table(w) => w.resurrect(fc).map(queued_table),
                Finalizable::UserData(w) => w.resurrect(fc).map(queued_userdata),
            };
            if let Some(v) = v {
                queued.push(v);
            }
        }
        !dead
    });
    drop(list);
    let n = queued.len();
    if n > 0 {
        // Finalizers run in reverse order of registration, as in PUC-Rio Lua.
        queued.reverse();
        Global::to_finalize_mut(g, fc).extend(queued);
    }
    n
}

fn clear_weak<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>) {
    clear_weak_tables(fc, g, true);
    Global::strings_mut(g, fc).prune(fc);
    clear_thread_stacks(fc, g);
    release_host_objects(fc, g);
}

/// Removes weak entries whose key (when `keys`) or value the cycle found
/// dead. Dead weak tables are dropped from the list only in the last pass
/// (`keys`): before that a finalizer may still resurrect them.
fn clear_weak_tables<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>, keys: bool) {
    let mut weak = Global::weak_tables_mut(g, fc);
    if keys {
        weak.retain(|w| !w.is_dead(fc));
    }
    for w in weak.iter() {
        if w.is_dead(fc) {
            continue;
        }
        if let Some(t) = w.upgrade(fc) {
            if keys {
                // Entries that survive keep their string keys.
                for (k, v) in t.borrow().untraced_string_keys() {
                    if !is_dead(fc, v) {
                        resurrect(fc, k);
                    }
                }
            }
            t.borrow_mut(fc).clear_dead(&|v| is_dead(fc, v), keys);
        }
    }
}

/// Clears the dead part of every live thread's stack (see `ThreadState::live_top`).
fn clear_thread_stacks<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>) {
    let mut threads = gc_arena::barrier::unlock!(Gc::write(fc, g), Global, threads).borrow_mut();
    threads.retain(|w| !w.is_dead(fc));
    for w in threads.iter() {
        if let Some(th) = w.upgrade(fc) {
            if let Ok(mut st) =
                gc_arena::barrier::unlock!(Gc::write(fc, th), crate::thread::ThreadObj, state)
                    .try_borrow_mut()
            {
                st.clear_dead_part();
            }
        }
    }
}

/// Queues the ids of host objects whose userdata died.
fn release_host_objects<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>) {
    let mut hosts = Global::host_objects_mut(g, fc);
    let mut released = g.host.0.released.borrow_mut();
    hosts.retain(|(w, id)| {
        let dead = w.is_dead(fc);
        if dead {
            released.push(*id);
        }
        !dead
    });
}

/// Queues every object that has a `__gc` metamethod, dead or alive, in
/// reverse order of marking after those already queued: what closing a
/// Lua state does. Objects marked from now on get no finalizer.
pub fn queue_all_finalizers<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    g.budget.0.gc.closing.set(true);
    let all = std::mem::take(&mut *Global::finalizable_mut(g, mc));
    let mut queue = Global::to_finalize_mut(g, mc);
    for f in all.into_iter().rev() {
        let v = match f {
            Finalizable::Table(w) => w.upgrade(mc).map(queued_table),
            Finalizable::UserData(w) => w.upgrade(mc).map(queued_userdata),
        };
        queue.extend(v);
    }
}

/// Calls the `__gc` metamethod of each queued object, in order, with
/// `call(metamethod, object)`. An error in one is a warning, as in Lua 5.4.
pub fn run_queued_finalizers<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    mut call: impl FnMut(Value<'gc>, Value<'gc>) -> RtResult<'gc, ()>,
) {
    let in_finalizer = &g.budget.0.gc.in_finalizer;
    loop {
        let Some(obj) = Global::to_finalize_mut(g, mc).pop_front() else {
            return;
        };
        // The metamethod is looked up now: one removed since does not run.
        let f = meta::get_tm(g, obj, Tm::Gc);
        if f.is_nil() {
            continue;
        }
        let callable = matches!(f, Value::Function(_)) || !meta::get_tm(g, f, Tm::Call).is_nil();
        let r = if callable {
            let outer = in_finalizer.replace(true);
            let r = call(f, obj);
            in_finalizer.set(outer);
            r
        } else {
            let t = meta::type_name_meta(g, f);
            Err(RtError::msg(format!(
                "attempt to call a {t} value (metamethod '__gc')"
            )))
        };
        if let Err(e) = r {
            let msg: &[u8] = match &e {
                RtError::Value(Value::String(s)) => s.as_bytes(),
                RtError::Message(m) | RtError::BadArg { msg: m, .. } => m.as_bytes(),
                _ => b"error object is not a string",
            };
            let mut line = b"error in __gc (".to_vec();
            line.extend_from_slice(msg);
            line.push(b')');
            crate::stdlib::base::emit_warning(mc, g, &line);
        }
    }
}
