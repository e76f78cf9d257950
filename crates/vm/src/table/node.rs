//! The hash part: a power-of-two vector of nodes with collision chains
//! threaded through it, laid out as in PUC-Rio Lua 5.4 (main positions,
//! Brent's variation, a free-slot cursor moving downward) so that `next`
//! visits non-string keys in the same order.

use std::marker::PhantomData;
use std::mem::MaybeUninit;

use gc_arena::Gc;

use super::part::Part;
use crate::value::Value;

/// String lookups in node vectors up to this size compare every key
/// instead of following the chain (the result is the same).
const SCAN: usize = 4;

/// No next node in the chain.
pub(super) const NONE: u32 = u32::MAX;

/// The key left in a node whose key object the collector freed: it equals
/// no key a program can build, and the node stays occupied (not free), as
/// PUC-Rio's dead keys do.
pub(super) fn dead_key<'gc>() -> Value<'gc> {
    Value::LightUserData(usize::MAX)
}

/// A key and its value, packed as PUC-Rio packs its nodes: the two payload
/// words, then both tags (16 bits each, see `Value::to_words`) and the chain
/// link in one word, 24 bytes in all.
#[derive(Clone, Copy)]
pub(super) struct Node<'gc> {
    key_payload: MaybeUninit<u64>,
    value_payload: MaybeUninit<u64>,
    key_tag: u16,
    value_tag: u16,
    /// Index of the next node of the chain, or `NONE`.
    pub next: u32,
    _values: PhantomData<Value<'gc>>,
}

const _: () = assert!(std::mem::size_of::<Node<'static>>() == 24);

impl<'gc> Node<'gc> {
    const FREE: Self = Node {
        key_payload: MaybeUninit::uninit(),
        value_payload: MaybeUninit::uninit(),
        key_tag: Value::NIL_TAG,
        value_tag: Value::NIL_TAG,
        next: NONE,
        _values: PhantomData,
    };

    /// Stores the value of a present key. Removing an entry whose key is an
    /// object keeps only the key's address (as PUC-Rio's dead keys do), so
    /// the removed entry no longer keeps the object alive while `next` can
    /// still continue from it (`Nodes::find_removed`).
    #[inline]
    pub fn store(&mut self, value: Value<'gc>) {
        self.set_value(value);
        if value.is_nil() {
            let key = self.key();
            if super::weak::is_weak_ref(key) {
                self.set_key(Value::LightUserData(key.addr().unwrap_or(0)));
            }
        }
    }

    /// Nil only in a node never used since the vector was made (free).
    #[inline(always)]
    pub fn key(&self) -> Value<'gc> {
        // SAFETY: the words were stored by `set_key`; the table traces its
        // keys, and replaces a dead weak key by `dead_key()`.
        unsafe { Value::from_words(self.key_tag, self.key_payload) }
    }

    /// Nil for a removed entry: its key stays so `next` can continue.
    #[inline(always)]
    pub fn value(&self) -> Value<'gc> {
        // SAFETY: as in `key`; dead weak values are cleared to nil.
        unsafe { Value::from_words(self.value_tag, self.value_payload) }
    }

    #[inline(always)]
    pub fn value_is_nil(&self) -> bool {
        self.value_tag == Value::NIL_TAG
    }

    #[inline(always)]
    pub fn set_key(&mut self, key: Value<'gc>) {
        (self.key_tag, self.key_payload) = key.to_words();
    }

    #[inline(always)]
    pub fn set_value(&mut self, value: Value<'gc>) {
        (self.value_tag, self.value_payload) = value.to_words();
    }

    /// Whether the key is the interned string `s` (by identity).
    #[inline(always)]
    fn key_is(&self, s: crate::string::LuaString<'gc>) -> bool {
        matches!(self.key(), Value::String(t) if Gc::ptr_eq(t.0, s.0))
    }
}

/// The node vector; empty stands for PUC-Rio's shared dummy node. Its
/// `aux` is the free-node cursor: every node at or above it is known to be
/// in use.
#[derive(Default)]
pub(super) struct Nodes<'gc> {
    pub nodes: Part<Node<'gc>, u32>,
}

#[inline]
fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 31)
}

/// The hash bits a string key's main position uses: string hashes have
/// their lowest bit set (zero means "not computed"), so it is dropped.
#[inline(always)]
fn string_position(s: crate::string::LuaString<'_>) -> usize {
    (s.hash() >> 1) as usize
}

/// `x % m` for an odd modulus `m`, in 32 bits when `x` fits (same result,
/// cheaper division).
#[inline]
fn hash_mod(x: u64, m: usize) -> usize {
    if x <= u32::MAX as u64 {
        (x as u32 % m as u32) as usize
    } else {
        (x % m as u64) as usize
    }
}

/// `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (zero, infinities and NaN
/// are returned as they are, with exponent 0).
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    match exp {
        0 if x == 0.0 => (x, 0),
        0 => {
            // Subnormal: scale into the normal range first.
            let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
            (m, e - 64)
        }
        0x7ff => (x, 0),
        _ => {
            let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
            (m, exp - 1022)
        }
    }
}

/// The hash of a non-integral float key: mantissa scaled to 31 bits plus
/// the exponent, folded into a non-negative 32-bit value (PUC-Rio's
/// `l_hashfloat`, so float keys land in the same nodes).
fn float_hash(n: f64) -> u64 {
    let (m, e) = frexp(n);
    let scaled = m * 2_147_483_648.0;
    if !scaled.is_finite() {
        return 0;
    }
    let u = (e as u32).wrapping_add(scaled as i64 as u32);
    u64::from(if u <= i32::MAX as u32 { u } else { !u })
}

impl<'gc> Nodes<'gc> {
    /// A vector of `size` rounded up to a power of two free nodes.
    pub fn with_size(size: usize) -> Self {
        if size == 0 {
            return Nodes::default();
        }
        let size = size.next_power_of_two();
        Nodes {
            nodes: Part::new(vec![Node::FREE; size].into_boxed_slice(), size as u32),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node where `key`'s chain starts. Integers and floats use a
    /// remainder by an odd number and booleans their value, as PUC-Rio;
    /// strings use our own hash (PUC-Rio's string order is random anyway).
    #[inline(always)]
    pub fn main_position(&self, key: Value<'gc>) -> usize {
        let size = self.nodes.len();
        debug_assert!(size > 0);
        let mask = size - 1;
        match key {
            Value::String(s) => string_position(s) & mask,
            Value::Integer(i) => hash_mod(i as u64, mask | 1),
            Value::Number(n) => hash_mod(float_hash(n), mask | 1),
            Value::Boolean(b) => b as usize & mask,
            other => mix(other.addr().unwrap_or(0) as u64) as usize & mask,
        }
    }

    /// The node holding `key` (normalised), removed or not.
    #[inline]
    pub fn find(&self, key: Value<'gc>, long_keys: bool) -> Option<usize> {
        if self.nodes.is_empty() {
            return None;
        }
        match key {
            Value::String(s) if !long_keys => self.find_interned(s),
            Value::Integer(i) => self.find_by(
                self.main_position(key),
                |n| matches!(n.key(), Value::Integer(j) if j == i),
            ),
            _ => self.find_by(self.main_position(key), |n| key_eq(n.key(), key)),
        }
    }

    /// The removed entry whose key was the object `key` (see `Node::store`):
    /// it hashes and compares as the object's address.
    pub fn find_removed(&self, key: Value<'gc>) -> Option<usize> {
        if self.nodes.is_empty() || !super::weak::is_weak_ref(key) {
            return None;
        }
        let removed = Value::LightUserData(key.addr()?);
        self.find_by(self.main_position(removed), |n| key_eq(n.key(), removed))
    }

    /// The node holding the interned string `s` (compared by identity).
    #[inline(always)]
    pub fn find_interned(&self, s: crate::string::LuaString<'gc>) -> Option<usize> {
        if self.nodes.len() <= SCAN {
            // Cheaper than hashing for records and metatables this small.
            return self.nodes.iter().position(|n| n.key_is(s));
        }
        self.find_by(string_position(s), |n| n.key_is(s))
    }

    /// The value at the interned string `s` (nil when absent): the lookup
    /// of `find_interned`, reading the value where it finds the key.
    #[inline(always)]
    pub fn get_interned(&self, s: crate::string::LuaString<'gc>) -> Value<'gc> {
        let nodes = &*self.nodes;
        if nodes.len() <= SCAN {
            for n in nodes {
                if n.key_is(s) {
                    return n.value();
                }
            }
            return Value::Nil;
        }
        let mut n = &nodes[string_position(s) & (nodes.len() - 1)];
        loop {
            if n.key_is(s) {
                return n.value();
            }
            if n.next == NONE {
                return Value::Nil;
            }
            n = &nodes[n.next as usize];
        }
    }

    /// Walks the chain from `start` (masked) for a key satisfying `same`.
    #[inline(always)]
    fn find_by(&self, start: usize, same: impl Fn(&Node<'gc>) -> bool) -> Option<usize> {
        let nodes = &*self.nodes;
        let mut i = start & (nodes.len() - 1);
        loop {
            let n = &nodes[i];
            if same(n) {
                return Some(i);
            }
            if n.next == NONE {
                return None;
            }
            i = n.next as usize;
        }
    }

    /// The next never-used node below the cursor.
    fn free_position(&mut self) -> Option<usize> {
        while self.nodes.aux > 0 {
            self.nodes.aux -= 1;
            let i = self.nodes.aux as usize;
            if self.nodes[i].key().is_nil() {
                return Some(i);
            }
        }
        None
    }

    /// Inserts a key known to be absent with a non-nil value. Returns false
    /// (changing nothing) when there is no free node: the table must grow.
    #[inline(always)]
    pub fn insert(&mut self, key: Value<'gc>, value: Value<'gc>) -> bool {
        if self.nodes.is_empty() {
            return false;
        }
        let mp = self.main_position(key);
        let n = &mut self.nodes[mp];
        if !n.value_is_nil() {
            return self.insert_colliding(mp, key, value);
        }
        n.set_key(key);
        n.set_value(value);
        true
    }

    /// `insert` when the main position `mp` is taken.
    #[cold]
    fn insert_colliding(&mut self, mut mp: usize, key: Value<'gc>, value: Value<'gc>) -> bool {
        let Some(f) = self.free_position() else {
            return false;
        };
        let other = self.main_position(self.nodes[mp].key());
        if other != mp {
            // The occupant is not in its own main position: move it to the
            // free node (its chain follows) and take its place.
            let mut prev = other;
            while self.nodes[prev].next as usize != mp {
                prev = self.nodes[prev].next as usize;
            }
            self.nodes[prev].next = f as u32;
            self.nodes[f] = self.nodes[mp];
            self.nodes[mp].next = NONE;
        } else {
            // The occupant belongs here: the new key goes to the free node,
            // second in the occupant's chain.
            self.nodes[f].next = self.nodes[mp].next;
            self.nodes[mp].next = f as u32;
            mp = f;
        }
        let n = &mut self.nodes[mp];
        n.set_key(key);
        n.set_value(value);
        true
    }
}

/// Keys are compared without coercion here: keys are normalised on entry
/// (integral floats become integers), so an integer never equals a float.
#[inline]
pub(super) fn key_eq<'gc>(a: Value<'gc>, b: Value<'gc>) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Integer(_), Value::Number(_)) | (Value::Number(_), Value::Integer(_)) => false,
        _ => a.raw_eq(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_matches_the_definition() {
        for x in [1.0, 0.75, -3.5, 1e300, 5e-324, 2.5e-310, 123456.789] {
            let (m, e) = frexp(x);
            assert!((0.5..1.0).contains(&m.abs()), "{x}");
            // In two steps: 2^e alone may not be representable.
            assert_eq!(m * 2f64.powi(e / 2) * 2f64.powi(e - e / 2), x);
        }
        assert_eq!(frexp(0.0), (0.0, 0));
    }

    #[test]
    fn float_hash_values() {
        // 2.5 = 0.625 * 2^2: 0.625 * 2^31 + 2.
        assert_eq!(float_hash(2.5), 1_342_177_282);
        // Negative mantissas fold to a non-negative value.
        assert_eq!(float_hash(-2.5), !(2u32.wrapping_sub(1_342_177_280)) as u64);
        assert_eq!(float_hash(f64::INFINITY), 0);
    }
}
