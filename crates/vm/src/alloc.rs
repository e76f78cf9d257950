//! Counting memory by VM: a global allocator wrapper that adds every
//! allocation's size to the counter of the VM entered on this thread.
//!
//! Underneath is mimalloc rather than the system allocator: a VM makes and
//! frees many small objects (tables, closures, strings), and mimalloc's
//! per-thread free lists serve them with fewer instructions and better
//! locality (tables and strings benchmarks run 10-25% faster).
//!
//! gc-arena counts objects, not bytes, so a VM's byte count (for the
//! `memory_limit`) comes from here. The cdylib and the CLI binary declare
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;
//! ```
//!
//! and `Lua` sets the thread's current counter (its `Budget::mem_used`)
//! around every entry into its arena and every collection step
//! ([`enter`]). Without the global allocator (e.g. `cargo test` of this
//! crate) the counters stay at zero and memory limits are not enforced.
//!
//! Allocations made while one VM is entered and freed while another (or
//! none) is are attributed imprecisely; that drift is small (the binding's
//! temporary buffers) and the counter is clamped at zero where it is read.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ptr;

use libmimalloc_sys as mi;

thread_local! {
    static CURRENT: Cell<*const Cell<isize>> = const { Cell::new(ptr::null()) };
}

#[inline]
fn add(delta: isize) {
    let _ = CURRENT.try_with(|c| {
        let p = c.get();
        if !p.is_null() {
            // SAFETY: `enter` keeps the counter alive while it is current.
            let counter = unsafe { &*p };
            counter.set(counter.get() + delta);
        }
    });
}

/// mimalloc, counting bytes per entered VM.
pub struct Counting;

/// mimalloc's blocks are aligned to at least a word; larger alignments
/// take its (slower) aligned entry points.
const WORD_ALIGN: usize = std::mem::size_of::<usize>();

unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe {
            if layout.align() <= WORD_ALIGN {
                mi::mi_malloc(layout.size())
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align())
            }
        };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p.cast()
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe {
            if layout.align() <= WORD_ALIGN {
                mi::mi_zalloc(layout.size())
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align())
            }
        };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p.cast()
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mi::mi_free(ptr.cast()) };
        add(-(layout.size() as isize));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe {
            if layout.align() <= WORD_ALIGN {
                mi::mi_realloc(ptr.cast(), new_size)
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align())
            }
        };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p.cast()
    }
}

/// While alive, allocations on this thread count to `counter`.
pub struct Scope {
    slot: CounterSlot,
    prev: *const Cell<isize>,
}

/// This thread's current-counter cell, for [`enter_at`]. The cell has no
/// destructor, so it stays valid while the thread runs; the handle is not
/// `Send`, so it is only used on that thread.
#[derive(Clone, Copy)]
pub struct CounterSlot(*const Cell<*const Cell<isize>>);

impl CounterSlot {
    fn cell(&self) -> &Cell<*const Cell<isize>> {
        // SAFETY: see the type.
        unsafe { &*self.0 }
    }
}

pub fn current_slot() -> CounterSlot {
    CounterSlot(CURRENT.with(|c| c as *const _))
}

/// Makes `counter` the thread's current one until the returned scope drops.
/// The counter must outlive the scope.
pub fn enter(counter: *const Cell<isize>) -> Scope {
    enter_at(current_slot(), counter)
}

/// [`enter`] with this thread's [`current_slot`] already known (it saves a
/// thread-local lookup on every entry).
#[inline]
pub fn enter_at(slot: CounterSlot, counter: *const Cell<isize>) -> Scope {
    let prev = slot.cell().replace(counter);
    Scope { slot, prev }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.slot.cell().set(self.prev);
    }
}

/// Hands the memory the allocator keeps for reuse (freed pages, empty
/// segments) back to the system at once, rather than after its delay, so
/// a host sees the process shrink after a full collection.
pub fn release_free_memory() {
    // SAFETY: `mi_collect` only returns memory no allocation uses.
    unsafe { mi::mi_collect(true) }
}
