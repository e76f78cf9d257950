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
    bytes: Box<[u8]>,
    /// The hash; computed eagerly for short strings, lazily (0 = unknown) for long ones.
    hash: Cell<u64>,
    short: bool,
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
        &Gc::as_ref(self.0).bytes
    }

    /// Short strings are interned: equal short strings are the same object.
    #[inline]
    pub fn is_short(self) -> bool {
        self.0.short
    }

    #[inline]
    pub fn len(self) -> usize {
        self.0.bytes.len()
    }

    #[inline]
    pub fn is_empty(self) -> bool {
        self.0.bytes.is_empty()
    }

    #[inline]
    pub fn hash(self) -> u64 {
        let h = self.0.hash.get();
        if h != 0 {
            return h;
        }
        let h = hash_bytes(&self.0.bytes);
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
        if self.0.short && other.0.short {
            return false;
        }
        self.0.bytes == other.0.bytes
    }
}

impl Eq for LuaString<'_> {}

/// The set of live short strings, held weakly.
#[derive(Collect, Default)]
#[collect(no_drop)]
pub struct Interner<'gc> {
    /// Open addressing; `None` is an empty slot.
    slots: Vec<Option<(u64, GcWeak<'gc, StrData>)>>,
    len: usize,
}

impl<'gc> Interner<'gc> {
    /// Like `intern`, taking the bytes by value: a long string keeps the
    /// buffer without copying it.
    pub fn intern_vec(&mut self, mc: &Mutation<'gc>, bytes: Vec<u8>) -> LuaString<'gc> {
        if bytes.len() <= SHORT_STRING_MAX {
            return self.intern(mc, &bytes);
        }
        LuaString(Gc::new(
            mc,
            StrData {
                bytes: bytes.into_boxed_slice(),
                hash: Cell::new(0),
                short: false,
            },
        ))
    }

    /// Returns the string with these bytes, creating it if needed.
    pub fn intern(&mut self, mc: &Mutation<'gc>, bytes: &[u8]) -> LuaString<'gc> {
        if bytes.len() > SHORT_STRING_MAX {
            return LuaString(Gc::new(
                mc,
                StrData {
                    bytes: bytes.into(),
                    hash: Cell::new(0),
                    short: false,
                },
            ));
        }
        let hash = hash_bytes(bytes);
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = hash as usize & mask;
            let mut free = None;
            loop {
                match self.slots[i] {
                    None => break,
                    Some((h, weak)) => {
                        if h == hash {
                            match weak.upgrade(mc) {
                                Some(s) if *s.bytes == *bytes => return LuaString(s),
                                Some(_) => {}
                                None => {
                                    if free.is_none() {
                                        free = Some(i);
                                    }
                                }
                            }
                        }
                    }
                }
                i = (i + 1) & mask;
            }
            let s = Gc::new(
                mc,
                StrData {
                    bytes: bytes.into(),
                    hash: Cell::new(hash),
                    short: true,
                },
            );
            if let Some(slot) = free {
                self.slots[slot] = Some((hash, Gc::downgrade(s)));
                return LuaString(s);
            }
            self.insert_new(hash, s);
            LuaString(s)
        } else {
            let s = Gc::new(
                mc,
                StrData {
                    bytes: bytes.into(),
                    hash: Cell::new(hash),
                    short: true,
                },
            );
            self.insert_new(hash, s);
            LuaString(s)
        }
    }

    fn insert_new(&mut self, hash: u64, s: Gc<'gc, StrData>) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some((hash, Gc::downgrade(s)));
        self.len += 1;
    }

    fn grow(&mut self) {
        let new_cap = (self.slots.len() * 2).max(256);
        let old = std::mem::replace(&mut self.slots, vec![None; new_cap]);
        self.len = 0;
        let mask = new_cap - 1;
        for (hash, weak) in old.into_iter().flatten() {
            if weak.is_dropped() {
                continue;
            }
            let mut i = hash as usize & mask;
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some((hash, weak));
            self.len += 1;
        }
    }

    /// Drops the entries of strings that this collection cycle found dead.
    /// Called in the finalization step, so no dead entry survives into sweeping.
    pub fn prune(&mut self, fc: &Finalization<'gc>) {
        let live: Vec<(u64, GcWeak<'gc, StrData>)> = self
            .slots
            .iter()
            .flatten()
            .filter(|(_, w)| !w.is_dead(fc))
            .copied()
            .collect();
        let cap = (live.len() * 4).next_power_of_two().max(256);
        self.slots = vec![None; cap];
        self.len = 0;
        let mask = cap - 1;
        for (hash, weak) in live {
            let mut i = hash as usize & mask;
            while self.slots[i].is_some() {
                i = (i + 1) & mask;
            }
            self.slots[i] = Some((hash, weak));
            self.len += 1;
        }
    }
}
