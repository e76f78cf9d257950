//! The export table: Lua values JS holds handles to, each a strong root
//! until JS drops its handle.
//!
//! Entries live in slots of a vector, so finding a handle's value is an
//! index, not a hash lookup (every call of a `LuaFunction` does one).
//! Slots are reused, so an id carries its slot's generation too: an id
//! kept after its export was dropped (a released handle called again)
//! never reaches the slot's next occupant. Ids stay exact JS numbers (at
//! most 2^53), and freed slots are reused oldest first, which keeps most
//! ids in V8's small-integer range; a slot whose generation is used up is
//! retired.

use std::collections::VecDeque;

use lunarena_vm::StashedValue;

use crate::binding::IdMap;

/// Slot bits of an id; the generation is above them.
const SLOT_BITS: u32 = 24;
const MAX_SLOTS: usize = 1 << SLOT_BITS;
/// Generations stop here, so that ids stay below 2^53.
const MAX_GENERATION: u32 = (1 << (53 - SLOT_BITS)) - 1;

/// An export's id as JS sees it: generation and slot.
pub type ExportId = u64;

/// The id of the globals table, always exported (slot 0 is never used).
pub const GLOBALS_ID: ExportId = 0;

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

struct Entry {
    root: StashedValue,
    /// The value's address, its key in `by_addr`.
    addr: usize,
}

pub struct Exports {
    slots: Vec<Slot>,
    free: VecDeque<u32>,
    /// Identity: the id of each exported object, by address.
    by_addr: IdMap<usize, ExportId>,
}

impl Default for Exports {
    fn default() -> Self {
        Exports {
            // Slot 0 stands for the globals table, which needs no root.
            slots: vec![Slot {
                generation: 0,
                entry: None,
            }],
            free: VecDeque::new(),
            by_addr: IdMap::default(),
        }
    }
}

fn split(id: ExportId) -> (usize, u32) {
    ((id as usize) & (MAX_SLOTS - 1), (id >> SLOT_BITS) as u32)
}

fn join(slot: usize, generation: u32) -> ExportId {
    ((generation as u64) << SLOT_BITS) | slot as u64
}

impl Exports {
    /// The root of a live export.
    #[inline]
    pub fn get(&self, id: ExportId) -> Option<&StashedValue> {
        let (slot, generation) = split(id);
        match self.slots.get(slot) {
            Some(Slot {
                generation: g,
                entry: Some(e),
            }) if *g == generation => Some(&e.root),
            _ => None,
        }
    }

    /// The id of the object at `addr` if it is exported already.
    pub fn find(&self, addr: usize) -> Option<ExportId> {
        self.by_addr.get(&addr).copied()
    }

    /// Exports a new object; `None` when every slot is taken.
    pub fn insert(&mut self, addr: usize, root: StashedValue) -> Option<ExportId> {
        let slot = match self.free.pop_front() {
            Some(s) => s as usize,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot {
                    generation: 0,
                    entry: None,
                });
                self.slots.len() - 1
            }
            None => return None,
        };
        let s = &mut self.slots[slot];
        s.entry = Some(Entry { root, addr });
        let id = join(slot, s.generation);
        self.by_addr.insert(addr, id);
        Some(id)
    }

    /// Drops an export (a stale or unknown id is ignored).
    pub fn remove(&mut self, id: ExportId) {
        if self.get(id).is_none() {
            return;
        }
        let (slot, _) = split(id);
        let s = &mut self.slots[slot];
        if let Some(e) = s.entry.take() {
            self.by_addr.remove(&e.addr);
        }
        if s.generation < MAX_GENERATION {
            s.generation += 1;
            self.free.push_back(slot as u32);
        }
    }

    /// How many exports are live.
    pub fn len(&self) -> usize {
        self.by_addr.len()
    }
}
