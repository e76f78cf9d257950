//! Lua strings: immutable byte strings. Short strings are interned, so two
//! short strings are equal exactly when they are the same object.

use std::cell::Cell;
use std::fmt;

use gc_arena::{Collect, Finalization, Gc, GcWeak, Mutation};

/// Strings up to this length are interned.
pub const SHORT_STRING_MAX: usize = 40;

#[derive(Collect)]
#[collect(require_static)]
pub struct StrData {
    bytes: Bytes,
    /// The hash; computed eagerly for short strings, lazily (0 = unknown) for long ones.
    hash: Cell<u64>,
}

/// A string's bytes: short (interned) strings keep them inline, so that
/// creating one takes a single allocation.
enum Bytes {
    Short {
        len: u8,
        buf: [u8; SHORT_STRING_MAX],
    },
    Long(Box<[u8]>),
}

impl StrData {
    fn short(bytes: &[u8], hash: u64) -> StrData {
        let mut buf = [0; SHORT_STRING_MAX];
        buf[..bytes.len()].copy_from_slice(bytes);
        StrData {
            bytes: Bytes::Short {
                len: bytes.len() as u8,
                buf,
            },
            hash: Cell::new(hash),
        }
    }

    fn long(bytes: Box<[u8]>) -> StrData {
        StrData {
            bytes: Bytes::Long(bytes),
            hash: Cell::new(0),
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Short { len, buf } => &buf[..usize::from(*len)],
            Bytes::Long(b) => b,
        }
    }

    #[inline]
    fn is_short(&self) -> bool {
        matches!(self.bytes, Bytes::Short { .. })
    }
}

#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub struct LuaString<'gc>(pub Gc<'gc, StrData>);

impl fmt::Debug for LuaString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// FNV-1a style hash over the bytes, mixed at the end; fast and good enough
/// for table keys (not exposed to untrusted hash flooding across processes).
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (bytes.len() as u64);
    // Long strings hash a bounded sample, like PUC-Rio Lua, so hashing stays O(1)-ish.
    let step = (bytes.len() >> 5) + 1;
    let mut i = bytes.len();
    while i >= step {
        h = (h ^ bytes[i - 1] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        i -= step;
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    h | 1
}

impl<'gc> LuaString<'gc> {
    #[inline]
    pub fn as_bytes(self) -> &'gc [u8] {
        Gc::as_ref(self.0).as_bytes()
    }

    /// Short strings are interned: equal short strings are the same object.
    #[inline]
    pub fn is_short(self) -> bool {
        self.0.is_short()
    }

    #[inline]
    pub fn len(self) -> usize {
        self.as_bytes().len()
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.as_bytes().is_empty()
    }

    #[inline]
    pub fn hash(self) -> u64 {
        let h = self.0.hash.get();
        if h != 0 {
            return h;
        }
        let h = hash_bytes(self.as_bytes());
        self.0.hash.set(h);
        h
    }

    pub fn addr(self) -> usize {
        Gc::as_ptr(self.0) as *const () as usize
    }

    pub fn to_str_lossy(self) -> std::borrow::Cow<'gc, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl PartialEq for LuaString<'_> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        if Gc::ptr_eq(self.0, other.0) {
            return true;
        }
        if self.0.is_short() && other.0.is_short() {
            return false;
        }
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for LuaString<'_> {}

/// One slot of the interner's open-addressing table.
#[derive(Clone, Copy)]
enum Slot<'gc> {
    Empty,
    /// A string that died: probing goes on past it, and it may be reused.
    Dead,
    Live(u64, GcWeak<'gc, StrData>),
}

/// The set of live short strings, held weakly.
#[derive(Default)]
pub struct Interner<'gc> {
    /// Open addressing with linear probing and tombstones.
    slots: Vec<Slot<'gc>>,
    /// Slots in use (live or dead): the load that probing sees.
    used: usize,
}

// SAFETY: the entries are weak pointers that are deliberately not traced:
// a traced weak pointer keeps a dead string's allocation until the next
// cycle, an untraced one lets the sweep free it in the cycle it died in.
// No entry can then outlive its string: every cycle (gc.rs drives them
// all) runs `prune` in the finalization step, with the arena fully marked
// and nothing mutated before sweeping, so each string the cycle frees has
// lost its entry first.
unsafe impl<'gc> Collect<'gc> for Interner<'gc> {
    const NEEDS_TRACE: bool = false;
}

impl<'gc> Interner<'gc> {
    /// An interner that holds `strings` strings before it first grows.
    pub fn with_capacity(strings: usize) -> Self {
        Interner {
            slots: vec![Slot::Empty; ((strings + 1) * 2).next_power_of_two()],
            used: 0,
        }
    }

    /// Like `intern`, taking the bytes by value: a long string keeps the
    /// buffer without copying it.
    pub fn intern_vec(&mut self, mc: &Mutation<'gc>, bytes: Vec<u8>) -> LuaString<'gc> {
        if bytes.len() <= SHORT_STRING_MAX {
            return self.intern(mc, &bytes);
        }
        LuaString(Gc::new(mc, StrData::long(bytes.into_boxed_slice())))
    }

    /// Returns the string with these bytes, creating it if needed.
    pub fn intern(&mut self, mc: &Mutation<'gc>, bytes: &[u8]) -> LuaString<'gc> {
        if bytes.len() > SHORT_STRING_MAX {
            return LuaString(Gc::new(mc, StrData::long(bytes.into())));
        }
        let hash = hash_bytes(bytes);
        let mut free = None;
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = hash as usize & mask;
            loop {
                match self.slots[i] {
                    Slot::Empty => break,
                    Slot::Dead => {
                        free = free.or(Some(i));
                    }
                    Slot::Live(h, weak) if h == hash => match weak.upgrade(mc) {
                        Some(s) if s.as_bytes() == bytes => return LuaString(s),
                        Some(_) => {}
                        None => free = free.or(Some(i)),
                    },
                    Slot::Live(..) => {}
                }
                i = (i + 1) & mask;
            }
        }
        let s = Gc::new(mc, StrData::short(bytes, hash));
        match free {
            Some(slot) => self.slots[slot] = Slot::Live(hash, Gc::downgrade(s)),
            None => self.insert_new(hash, Gc::downgrade(s)),
        }
        LuaString(s)
    }

    fn insert_new(&mut self, hash: u64, s: GcWeak<'gc, StrData>) {
        if (self.used + 1) * 2 > self.slots.len() {
            let live = self
                .slots
                .iter()
                .filter(|s| matches!(s, Slot::Live(_, w) if !w.is_dropped()))
                .count();
            self.rebuild(live + 1);
        }
        self.place(hash, s);
    }

    /// Puts an entry in the first empty slot of its probe sequence.
    fn place(&mut self, hash: u64, s: GcWeak<'gc, StrData>) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while !matches!(self.slots[i], Slot::Empty) {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot::Live(hash, s);
        self.used += 1;
    }

    /// Re-inserts the live entries into a table sized for `live` of them
    /// (at most half full, the load at which `insert_new` grows it),
    /// dropping the dead ones.
    fn rebuild(&mut self, live: usize) {
        let cap = (live * 2).next_power_of_two().max(256);
        let old = std::mem::replace(&mut self.slots, vec![Slot::Empty; cap]);
        self.used = 0;
        for slot in old {
            if let Slot::Live(hash, weak) = slot {
                if !weak.is_dropped() {
                    self.place(hash, weak);
                }
            }
        }
    }

    /// Drops the entries of strings that this collection cycle found dead.
    /// Called in the finalization step, so no dead entry survives into
    /// sweeping. Dead entries become tombstones in place; the table is
    /// rebuilt only when they, or its emptiness, make probing slow.
    pub fn prune(&mut self, fc: &Finalization<'gc>) {
        let mut live = 0;
        for slot in &mut self.slots {
            if let Slot::Live(_, w) = slot {
                if w.is_dead(fc) {
                    *slot = Slot::Dead;
                } else {
                    live += 1;
                }
            }
        }
        let cap = self.slots.len();
        if self.used - live > cap / 4 || (cap > 256 && live * 16 < cap) {
            self.rebuild(live);
        }
    }
}
