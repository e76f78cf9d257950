//! Garbage collection steps with finalization: `__gc` resurrection, weak
//! table clearing and interned-string pruning happen while the arena is
//! fully marked, and the arena moves to sweeping right after, with no
//! mutation in between.

use gc_arena::arena::CollectionPhase;
use gc_arena::{Arena, Finalization, Gc, Rootable};

use crate::state::{Finalizable, Global, GlobalRef};
use crate::value::Value;

pub type LuaArena = Arena<Rootable![GlobalRef<'_>]>;

/// Does a bounded amount of collection work (proportional to allocation debt).
pub fn step(arena: &mut LuaArena) {
    if arena.collection_phase() == CollectionPhase::Sweeping {
        arena.cycle_debt();
        return;
    }
    if arena.mark_debt().is_some() {
        finalize_and_sweep(arena);
    }
}

/// Runs a full collection cycle (finishing any cycle in progress first).
pub fn full_collect(arena: &mut LuaArena) {
    if arena.collection_phase() == CollectionPhase::Sweeping {
        arena.finish_cycle();
    }
    for _ in 0..2 {
        if arena.finish_marking().is_some() {
            finalize_and_sweep(arena);
        }
        arena.finish_cycle();
    }
}

/// Called with the arena fully marked.
fn finalize_and_sweep(arena: &mut LuaArena) {
    // 1. Objects with __gc found dead are resurrected and queued for their finalizer.
    //    Weak values that are dead now are cleared first, so a finalizer does
    //    not see them come back.
    match arena.finish_marking() {
        Some(m) => m.finalize(|fc, root| {
            clear_weak_tables(fc, *root, false);
            resurrect_finalizable(fc, *root);
        }),
        None => return,
    }
    // 2. Mark what the resurrected objects reach, then clear weak references
    //    to what is still dead, and move to sweeping in the same step.
    if let Some(m) = arena.finish_marking() {
        m.finalize(|fc, root| clear_weak(fc, *root));
    }
    if let Some(m) = arena.finish_marking() {
        m.start_sweeping();
    }
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
                Finalizable::Table(w) => w
                    .resurrect(fc)
                    .map(|t| Value::Table(crate::table::Table(t))),
                Finalizable::UserData(w) => w
                    .resurrect(fc)
                    .map(|u| Value::UserData(crate::userdata::UserData(u))),
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

/// Removes weak entries whose key (when `keys`) or value the cycle found dead.
fn clear_weak_tables<'gc>(fc: &Finalization<'gc>, g: GlobalRef<'gc>, keys: bool) {
    let is_dead = |v: Value<'gc>| -> bool {
        match v {
            Value::Table(t) => Gc::is_dead(fc, t.0),
            Value::Function(crate::value::Function::Lua(f)) => Gc::is_dead(fc, f),
            Value::Function(crate::value::Function::Native(f)) => Gc::is_dead(fc, f),
            Value::Thread(t) => Gc::is_dead(fc, t.0),
            Value::UserData(u) => Gc::is_dead(fc, u.0),
            _ => false,
        }
    };
    let mut weak = Global::weak_tables_mut(g, fc);
    weak.retain(|w| !w.is_dead(fc));
    for w in weak.iter() {
        if let Some(t) = w.upgrade(fc) {
            t.borrow_mut(fc).clear_dead(&is_dead, keys);
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
