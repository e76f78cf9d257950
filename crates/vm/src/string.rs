//! Lua strings: immutable byte strings. Short strings are interned, so two
//! short strings are equal exactly when they are the same object.

use std::cell::Cell;
use std::fmt;

use gc_arena::{Collect, Finalization, Gc, GcWeak, Mutation};

/// Strings up to this length are interned.
pub const SHORT_STRING_MAX: usize = 40;

/// What every string object starts with. A short string's bytes follow it
/// in the same allocation, in the smallest of a few size classes that
/// holds them (`Short`); a long string keeps a box of bytes there (`Long`).
/// `LuaString` points at this header and finds the rest from `len`.
#[derive(Collect)]
#[collect(require_static)]
#[repr(C)]
pub struct StrData {
    /// The hash, lowest bit set once known: computed when a short string
    /// is made, on first use for a long one (0 = not yet).
    hash: Cell<u32>,
    /// A short string's length, or `LONG`.
    len: u8,
}

/// `StrData::len` of a long string.
const LONG: u8 = u8::MAX;

/// Where the bytes (or a long string's box) start, from the header.
const BYTES_AT: usize = std::mem::size_of::<StrData>();

#[derive(Collect)]
#[collect(require_static)]
#[repr(C)]
struct Short<const N: usize> {
    head: StrData,
    bytes: [u8; N],
}

#[derive(Collect)]
#[collect(require_static)]
#[repr(C)]
struct Long {
    head: StrData,
    bytes: Box<[u8]>,
}

const _: () = {
    assert!(SHORT_STRING_MAX < LONG as usize);
    assert!(std::mem::offset_of!(Short<SHORT_STRING_MAX>, bytes) == BYTES_AT);
    assert!(std::mem::offset_of!(Long, bytes) == BYTES_AT);
};

/// Allocates a short string in the size class of `N` bytes.
fn alloc_short<'gc, const N: usize>(
    mc: &Mutation<'gc>,
    bytes: &[u8],
    hash: u32,
) -> Gc<'gc, StrData> {
    let mut buf = [0; N];
    buf[..bytes.len()].copy_from_slice(bytes);
    let s = Gc::new(
        mc,
        Short {
            head: StrData {
                hash: Cell::new(hash),
                len: bytes.len() as u8,
            },
            bytes: buf,
        },
    );
    // SAFETY: `Short` is `repr(C)` and starts with a `StrData`. The
    // collector keeps the allocation's own type (its size, drop, trace).
    unsafe { Gc::cast(s) }
}

/// A short string object. Size classes are chosen so the allocation
/// (with gc-arena's 16-byte header) fills a malloc chunk of 48, 64 or 80
/// bytes.
fn new_short<'gc>(mc: &Mutation<'gc>, bytes: &[u8], hash: u32) -> Gc<'gc, StrData> {
    match bytes.len() {
        0..=16 => alloc_short::<16>(mc, bytes, hash),
        17..=32 => alloc_short::<32>(mc, bytes, hash),
        _ => alloc_short::<SHORT_STRING_MAX>(mc, bytes, hash),
    }
}

fn new_long<'gc>(mc: &Mutation<'gc>, bytes: Box<[u8]>) -> Gc<'gc, StrData> {
    let s = Gc::new(
        mc,
        Long {
            head: StrData {
                hash: Cell::new(0),
                len: LONG,
            },
            bytes,
        },
    );
    // SAFETY: as in `alloc_short`.
    unsafe { Gc::cast(s) }
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
/// The lowest bit is always set.
pub fn hash_bytes(bytes: &[u8]) -> u32 {
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
    h as u32 | 1
}

impl<'gc> LuaString<'gc> {
    #[inline]
    pub fn as_bytes(self) -> &'gc [u8] {
        // The pointer from `Gc::as_ptr` covers the whole allocation, not
        // just the header.
        let at = unsafe { (Gc::as_ptr(self.0) as *const u8).add(BYTES_AT) };
        let len = self.0.len;
        if len != LONG {
            // SAFETY: a short string's `len` bytes follow its header and
            // live as long as the object.
            unsafe { std::slice::from_raw_parts(at, usize::from(len)) }
        } else {
            // SAFETY: a long string's header is followed by its box.
            unsafe { &*(at as *const Box<[u8]>) }
        }
    }

    /// Short strings are interned: equal short strings are the same object.
    #[inline]
    pub fn is_short(self) -> bool {
        self.0.len != LONG
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
    pub fn hash(self) -> u32 {
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
        if self.is_short() && other.is_short() {
            return false;
        }
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for LuaString<'_> {}

/// One slot of the interner's open-addressing table: empty (null), the
/// tombstone of a dead string (`dead()`), or a live string's header, whose
/// hash is compared before its bytes.
type Slot = *const StrData;

/// The tombstone: probing goes on past it, and it may be reused. Its
/// address (the header's alignment) is never an object's.
#[inline]
fn dead() -> Slot {
    std::ptr::dangling()
}

/// The string of an occupied slot, as a weak pointer.
///
/// # Safety
///
/// `slot` must be neither empty nor a tombstone. (Every entry is a string
/// not yet freed: see `Interner`'s `Collect` impl.)
#[inline]
unsafe fn entry<'gc>(slot: Slot) -> GcWeak<'gc, StrData> {
    // SAFETY: entries come from `Gc::as_ptr` of live strings and are
    // dropped before the collector frees them.
    unsafe { GcWeak::from_ptr(slot) }
}

/// The hash of an occupied slot's string (see `entry`).
#[inline]
unsafe fn entry_hash(slot: Slot) -> u32 {
    // SAFETY: as in `entry`.
    unsafe { (*slot).hash.get() }
}

/// The slot where probing for `hash` starts (the always-set lowest bit
/// carries no information).
#[inline]
fn home(hash: u32, mask: usize) -> usize {
    (hash >> 1) as usize & mask
}

/// The set of live short strings, held weakly.
pub struct Interner<'gc> {
    /// Open addressing with linear probing and tombstones.
    slots: Vec<Slot>,
    /// Slots in use (live or dead): the load that probing sees.
    used: usize,
    _strings: std::marker::PhantomData<LuaString<'gc>>,
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

impl Default for Interner<'_> {
    fn default() -> Self {
        Interner {
            slots: Vec::new(),
            used: 0,
            _strings: std::marker::PhantomData,
        }
    }
}

impl<'gc> Interner<'gc> {
    /// An interner that holds `strings` strings before it first grows.
    pub fn with_capacity(strings: usize) -> Self {
        Interner {
            slots: vec![std::ptr::null(); ((strings + 1) * 2).next_power_of_two()],
            ..Interner::default()
        }
    }

    /// Like `intern`, taking the bytes by value: a long string keeps the
    /// buffer without copying it.
    pub fn intern_vec(&mut self, mc: &Mutation<'gc>, bytes: Vec<u8>) -> LuaString<'gc> {
        if bytes.len() <= SHORT_STRING_MAX {
            return self.intern(mc, &bytes);
        }
        LuaString(new_long(mc, bytes.into_boxed_slice()))
    }

    /// Returns the string with these bytes, creating it if needed.
    pub fn intern(&mut self, mc: &Mutation<'gc>, bytes: &[u8]) -> LuaString<'gc> {
        if bytes.len() > SHORT_STRING_MAX {
            return LuaString(new_long(mc, bytes.into()));
        }
        let hash = hash_bytes(bytes);
        let mut free = None;
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = home(hash, mask);
            loop {
                let slot = self.slots[i];
                if slot.is_null() {
                    break;
                }
                if slot == dead() {
                    free = free.or(Some(i));
                // SAFETY: the slot is occupied.
                } else if unsafe { entry_hash(slot) } == hash {
                    // SAFETY: as above.
                    match unsafe { entry(slot) }.upgrade(mc) {
                        Some(s) if LuaString(s).as_bytes() == bytes => return LuaString(s),
                        Some(_) => {}
                        None => free = free.or(Some(i)),
                    }
                }
                i = (i + 1) & mask;
            }
        }
        let s = new_short(mc, bytes, hash);
        let slot = Gc::as_ptr(s);
        match free {
            Some(i) => self.slots[i] = slot,
            None => self.insert_new(slot, hash),
        }
        LuaString(s)
    }

    /// Whether a slot holds a string the collector has not dropped.
    fn is_live(slot: Slot) -> bool {
        // SAFETY: the slot is occupied.
        !slot.is_null() && slot != dead() && !unsafe { entry(slot) }.is_dropped()
    }

    fn insert_new(&mut self, slot: Slot, hash: u32) {
        if (self.used + 1) * 2 > self.slots.len() {
            let live = self.slots.iter().filter(|s| Self::is_live(**s)).count();
            self.rebuild(live + 1);
        }
        self.place(slot, hash);
    }

    /// Puts an entry in the first empty slot of its probe sequence.
    fn place(&mut self, slot: Slot, hash: u32) {
        let mask = self.slots.len() - 1;
        let mut i = home(hash, mask);
        while !self.slots[i].is_null() {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
        self.used += 1;
    }

    /// Re-inserts the live entries into a table sized for `live` of them
    /// (at most half full, the load at which `insert_new` grows it),
    /// dropping the dead ones.
    fn rebuild(&mut self, live: usize) {
        let cap = (live * 2).next_power_of_two().max(256);
        let old = std::mem::replace(&mut self.slots, vec![std::ptr::null(); cap]);
        self.used = 0;
        for slot in old {
            if Self::is_live(slot) {
                // SAFETY: the slot is occupied.
                self.place(slot, unsafe { entry_hash(slot) });
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
            if slot.is_null() || *slot == dead() {
                continue;
            }
            // SAFETY: the slot is occupied.
            if unsafe { entry(*slot) }.is_dead(fc) {
                *slot = dead();
            } else {
                live += 1;
            }
        }
        let cap = self.slots.len();
        if self.used - live > cap / 4 || (cap > 256 && live * 16 < cap) {
            self.rebuild(live);
        }
    }
}
