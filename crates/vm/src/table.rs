//! Lua tables: an array part for the keys 1..n and an insertion-ordered hash
//! part for everything else.

use gc_arena::collect::Trace;
use gc_arena::lock::RefLock;
use gc_arena::{Collect, Gc, Mutation};

use crate::value::Value;

#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub struct Table<'gc>(pub Gc<'gc, RefLock<TableState<'gc>>>);

impl std::fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "table: {:p}", Gc::as_ptr(self.0))
    }
}

/// Which references of a table are weak (from `__mode` in its metatable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeakMode {
    pub keys: bool,
    pub values: bool,
}

#[derive(Clone, Copy, Default)]
pub struct Node<'gc> {
    pub key: Value<'gc>,
    pub value: Value<'gc>,
}

const EMPTY: u32 = u32::MAX;

/// Hash parts up to this many entries have no index: lookups scan the
/// entries, which is faster for small tables and saves an allocation.
const SMALL: usize = 8;

#[derive(Default)]
pub struct TableState<'gc> {
    pub array: Vec<Value<'gc>>,
    /// Hash entries in insertion order. Removing a key sets its value to nil
    /// and keeps the entry, so that `next` can continue from it.
    entries: Vec<Node<'gc>>,
    /// Open-addressing index into `entries`.
    index: Vec<u32>,
    pub meta: Option<Table<'gc>>,
    pub weak: WeakMode,
    /// Some key is a long (not interned) string, so string keys cannot be
    /// compared by identity alone.
    long_keys: bool,
    /// For a table used as a metatable: bit `tm` set means that metamethod
    /// is known to be absent. Cleared by any store of a non-integer key.
    tm_absent: std::cell::Cell<u32>,
    /// In the collector's list of objects to finalize (`Global::finalizable`).
    pub gc_marked: std::cell::Cell<bool>,
}

/// `next` was given a key that is not in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKey;

/// Why a key cannot be used to store a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
}

impl KeyError {
    pub fn message(self) -> &'static str {
        match self {
            KeyError::Nil => "table index is nil",
            KeyError::NaN => "table index is NaN",
        }
    }
}

#[inline]
fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 31)
}

#[inline]
fn key_hash(key: Value<'_>) -> u64 {
    match key {
        Value::Nil => 0,
        Value::Boolean(b) => b as u64 + 1,
        Value::Integer(i) => mix(i as u64),
        Value::Number(n) => mix(n.to_bits()),
        Value::String(s) => s.hash(),
        other => mix(other.addr().unwrap_or(0) as u64),
    }
}

/// Keys are compared without coercion here: keys are normalised on entry
/// (integral floats become integers), so an integer never equals a float.
#[inline]
fn key_eq<'gc>(a: Value<'gc>, b: Value<'gc>) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Integer(_), Value::Number(_)) | (Value::Number(_), Value::Integer(_)) => false,
        _ => a.raw_eq(b),
    }
}

/// Integral floats are stored as integer keys.
#[inline]
pub fn normalize_key(key: Value<'_>) -> Value<'_> {
    if let Value::Number(n) = key {
        if let Some(i) = crate::vm::arith::float_to_int_exact(n) {
            return Value::Integer(i);
        }
    }
    key
}

unsafe impl<'gc> Collect<'gc> for TableState<'gc> {
    fn trace<T: Trace<'gc>>(&self, cc: &mut T) {
        if let Some(m) = &self.meta {
            cc.trace(m);
        }
        let weak = self.weak;
        for v in &self.array {
            trace_value(cc, *v, weak.values);
        }
        for n in &self.entries {
            if n.value.is_nil() {
                // A removed entry's key is still compared by `next`. Weak
                // tables hold it weakly, strings included, and drop the
                // entry once the key is dead (`clear_dead`).
                if !(weak.keys || weak.values) {
                    cc.trace(&n.key);
                }
                continue;
            }
            // With both sides weak, even a string key lives only as long as
            // its entry: `gc.rs` keeps the keys of the entries that survive.
            if !(weak.keys && weak.values && is_weak_ref(n.value)) {
                trace_value(cc, n.key, weak.keys);
            }
            // With weak keys the entry is an ephemeron: its value is reached
            // only once the collector finds the key alive (`gc.rs`).
            trace_value(
                cc,
                n.value,
                weak.values || (weak.keys && is_weak_ref(n.key)),
            );
        }
    }
}

/// Whether a weak table may lose this value: objects other than strings.
#[inline]
pub fn is_weak_ref(v: Value<'_>) -> bool {
    matches!(
        v,
        Value::Table(_) | Value::Function(_) | Value::Thread(_) | Value::UserData(_)
    )
}

/// Traces a value, skipping weakly-held objects. Strings are values in Lua's
/// model and are always held strongly. Skipped references are cleared by the
/// collector's finalization step before anything is swept.
fn trace_value<'gc, T: Trace<'gc>>(cc: &mut T, v: Value<'gc>, weak: bool) {
    match v {
        Value::Nil | Value::Boolean(_) | Value::Integer(_) | Value::Number(_) => {}
        Value::String(_) => cc.trace(&v),
        _ if weak => {}
        _ => cc.trace(&v),
    }
}

impl<'gc> TableState<'gc> {
    pub fn with_capacity(narray: usize, nhash: usize) -> Self {
        // `with_capacity` rather than `reserve`: a direct allocation.
        let mut t = TableState {
            array: Vec::with_capacity(narray),
            entries: Vec::with_capacity(nhash),
            ..Default::default()
        };
        if nhash > SMALL {
            t.index = vec![EMPTY; (nhash * 2).next_power_of_two()];
        }
        t
    }

    fn find(&self, key: Value<'gc>) -> Option<usize> {
        if let Value::String(s) = key {
            if !self.long_keys {
                return self.find_interned(s);
            }
        }
        if self.index.is_empty() {
            return self.entries.iter().position(|n| key_eq(n.key, key));
        }
        let mask = self.index.len() - 1;
        let mut i = key_hash(key) as usize & mask;
        loop {
            let e = self.index[i];
            if e == EMPTY {
                return None;
            }
            if key_eq(self.entries[e as usize].key, key) {
                return Some(e as usize);
            }
            i = (i + 1) & mask;
        }
    }

    /// Lookup of a string when every string key is interned: identity
    /// comparison, without reading the strings. (A long `s` matches no
    /// key: it is longer than any of them.)
    #[inline]
    fn find_interned(&self, s: crate::string::LuaString<'gc>) -> Option<usize> {
        let same = |k: Value<'gc>| matches!(k, Value::String(t) if Gc::ptr_eq(t.0, s.0));
        if self.index.is_empty() {
            return self.entries.iter().position(|n| same(n.key));
        }
        let mask = self.index.len() - 1;
        let mut i = s.hash() as usize & mask;
        loop {
            let e = self.index[i];
            if e == EMPTY {
                return None;
            }
            if same(self.entries[e as usize].key) {
                return Some(e as usize);
            }
            i = (i + 1) & mask;
        }
    }

    /// The metamethod named `name` (event number `tm`), remembering absence.
    #[inline]
    pub fn get_tm(&self, tm: usize, name: crate::string::LuaString<'gc>) -> Value<'gc> {
        let bit = 1u32 << (tm & 31);
        if tm < 32 && self.tm_absent.get() & bit != 0 {
            return Value::Nil;
        }
        let v = self.get_str(name);
        if v.is_nil() && tm < 32 {
            self.tm_absent.set(self.tm_absent.get() | bit);
        }
        v
    }

    /// Raw get with an already-normalised key.
    #[inline]
    pub fn get(&self, key: Value<'gc>) -> Value<'gc> {
        match key {
            Value::Integer(i) => self.get_int(i),
            Value::Number(n) => match crate::vm::arith::float_to_int_exact(n) {
                Some(i) => self.get_int(i),
                None => self.get_hashed(key),
            },
            Value::Nil => Value::Nil,
            _ => self.get_hashed(key),
        }
    }

    #[inline]
    pub fn get_int(&self, i: i64) -> Value<'gc> {
        let idx = (i as u64).wrapping_sub(1);
        if idx < self.array.len() as u64 {
            return self.array[idx as usize];
        }
        self.get_hashed(Value::Integer(i))
    }

    #[inline]
    pub fn get_str(&self, key: crate::string::LuaString<'gc>) -> Value<'gc> {
        if !self.long_keys {
            // Identity comparisons only; small tables (the common case of
            // records and metatables) are scanned inline.
            if !self.index.is_empty() {
                return self.get_interned_indexed(key);
            }
            for n in &self.entries {
                if matches!(n.key, Value::String(k) if Gc::ptr_eq(k.0, key.0)) {
                    return n.value;
                }
            }
            return Value::Nil;
        }
        self.get_hashed(Value::String(key))
    }

    #[inline(never)]
    fn get_interned_indexed(&self, key: crate::string::LuaString<'gc>) -> Value<'gc> {
        match self.find_interned(key) {
            Some(e) => self.entries[e].value,
            None => Value::Nil,
        }
    }

    /// Raw set of a string key.
    #[inline]
    pub fn set_str(&mut self, key: crate::string::LuaString<'gc>, value: Value<'gc>) {
        if !self.long_keys && self.index.is_empty() {
            // The common case of a small record, inlined (as `set_hashed`).
            self.tm_absent.set(0);
            for n in self.entries.iter_mut() {
                if matches!(n.key, Value::String(k) if Gc::ptr_eq(k.0, key.0)) {
                    n.value = value;
                    return;
                }
            }
            if value.is_nil() {
                return;
            }
            if self.entries.len() < SMALL {
                self.insert_entry(Value::String(key), value);
                return;
            }
        }
        self.set_hashed(Value::String(key), value);
    }

    /// Stores `value` at `key` if the key is present with a non-nil value
    /// (so no metamethod can be involved); returns whether it did.
    #[inline]
    pub fn replace_present(&mut self, key: Value<'gc>, value: Value<'gc>) -> bool {
        let key = normalize_key(key);
        if let Value::Integer(i) = key {
            let idx = (i as u64).wrapping_sub(1);
            if idx < self.array.len() as u64 {
                let slot = &mut self.array[idx as usize];
                if slot.is_nil() {
                    return false;
                }
                *slot = value;
                return true;
            }
        }
        match self.find(key) {
            Some(e) if !self.entries[e].value.is_nil() => {
                // Replacing a present value cannot make a metamethod appear,
                // so `tm_absent` stays valid.
                self.entries[e].value = value;
                true
            }
            _ => false,
        }
    }

    #[inline]
    fn get_hashed(&self, key: Value<'gc>) -> Value<'gc> {
        match self.find(key) {
            Some(e) => self.entries[e].value,
            None => Value::Nil,
        }
    }

    /// Raw set. Fails only for nil and NaN keys.
    pub fn set(&mut self, key: Value<'gc>, value: Value<'gc>) -> Result<(), KeyError> {
        match key {
            Value::Integer(i) => {
                self.set_int(i, value);
                Ok(())
            }
            Value::Number(n) => {
                if let Some(i) = crate::vm::arith::float_to_int_exact(n) {
                    self.set_int(i, value);
                    Ok(())
                } else if n.is_nan() {
                    Err(KeyError::NaN)
                } else {
                    self.set_hashed(key, value);
                    Ok(())
                }
            }
            Value::Nil => Err(KeyError::Nil),
            _ => {
                self.set_hashed(key, value);
                Ok(())
            }
        }
    }

    #[inline]
    pub fn set_int(&mut self, i: i64, value: Value<'gc>) {
        let idx = (i as u64).wrapping_sub(1);
        let len = self.array.len() as u64;
        if idx < len {
            self.array[idx as usize] = value;
        } else if idx == len && !value.is_nil() {
            self.array.push(value);
            if !self.entries.is_empty() {
                self.migrate_to_array();
                // The key may also have lived in the hash part before.
                if let Some(e) = self.find(Value::Integer(i)) {
                    self.entries[e].value = Value::Nil;
                }
            }
        } else {
            self.set_hashed(Value::Integer(i), value);
        }
    }

    /// Stores `values` at keys `start + 1 ..` (a table constructor's list
    /// items). The array part is sized to hold them all, nils included, so
    /// `#{1, 2, nil, 4}` is 4 as in PUC-Rio Lua.
    pub fn set_list(&mut self, start: usize, values: &[Value<'gc>]) {
        let end = start + values.len();
        if self.array.len() == start && self.entries.is_empty() {
            self.array.extend_from_slice(values);
            return;
        }
        if self.array.len() < end && self.array.len() >= start {
            self.array.resize(end, Value::Nil);
        }
        for (j, v) in values.iter().enumerate() {
            self.set_int((start + j + 1) as i64, *v);
        }
    }

    /// After the array grew by one, moves the following integer keys from
    /// the hash part into the array.
    fn migrate_to_array(&mut self) {
        loop {
            let next = self.array.len() as i64 + 1;
            match self.find(Value::Integer(next)) {
                Some(e) if !self.entries[e].value.is_nil() => {
                    let v = std::mem::take(&mut self.entries[e].value);
                    self.array.push(v);
                }
                _ => return,
            }
        }
    }

    fn set_hashed(&mut self, key: Value<'gc>, value: Value<'gc>) {
        self.tm_absent.set(0);
        if let Some(e) = self.find(key) {
            self.entries[e].value = value;
            return;
        }
        if value.is_nil() {
            return;
        }
        let full = if self.index.is_empty() {
            self.entries.len() >= SMALL
        } else {
            self.entries.len() * 2 >= self.index.len()
        };
        if full {
            self.rehash(key);
            if let Value::Integer(i) = key {
                let idx = (i as u64).wrapping_sub(1);
                if idx <= self.array.len() as u64 {
                    self.set_int(i, value);
                    return;
                }
            }
        }
        self.insert_entry(key, value);
    }

    fn insert_entry(&mut self, key: Value<'gc>, value: Value<'gc>) {
        if let Value::String(s) = key {
            self.long_keys |= !s.is_short();
        }
        let e = self.entries.len() as u32;
        self.entries.push(Node { key, value });
        if self.index.is_empty() {
            return;
        }
        let mask = self.index.len() - 1;
        let mut i = key_hash(key) as usize & mask;
        while self.index[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.index[i] = e;
    }

    /// Rebuilds the hash part without dead entries, resizing it for one more
    /// key, and moves integer keys into the array part when that is denser.
    fn rehash(&mut self, extra: Value<'gc>) {
        let live: Vec<Node<'gc>> = self
            .entries
            .drain(..)
            .filter(|n| !n.value.is_nil())
            .collect();
        let new_array_len = self.best_array_len(&live, extra);
        let mut moved = Vec::new();
        let mut kept = Vec::with_capacity(live.len());
        for n in live {
            match n.key {
                Value::Integer(i) if i >= 1 && (i as u64) <= new_array_len as u64 => moved.push(n),
                _ => kept.push(n),
            }
        }
        if new_array_len > self.array.len() {
            self.array.resize(new_array_len, Value::Nil);
            for n in moved {
                if let Value::Integer(i) = n.key {
                    self.array[i as usize - 1] = n.value;
                }
            }
        }
        if kept.len() < SMALL {
            self.index = Vec::new();
            self.entries = kept;
            self.entries.reserve(1);
            return;
        }
        let cap = ((kept.len() + 1) * 2).next_power_of_two();
        self.index = vec![EMPTY; cap];
        self.entries = Vec::with_capacity(cap / 2);
        for n in kept {
            self.insert_entry(n.key, n.value);
        }
    }

    /// The largest power of two n such that more than half of 1..n would be
    /// in use (counting the array, the live hash keys and one extra key).
    fn best_array_len(&self, live: &[Node<'gc>], extra: Value<'gc>) -> usize {
        const BITS: usize = 40;
        let mut counts = [0usize; BITS];
        let mut count_key = |i: i64| {
            if i >= 1 && (i as u64) < (1u64 << (BITS - 1)) {
                let slot = 64 - ((i - 1) as u64).leading_zeros() as usize;
                counts[slot] += 1;
            }
        };
        for (i, v) in self.array.iter().enumerate() {
            if !v.is_nil() {
                count_key(i as i64 + 1);
            }
        }
        for n in live {
            if let Value::Integer(i) = n.key {
                count_key(i);
            }
        }
        if let Value::Integer(i) = extra {
            count_key(i);
        }
        let mut total = 0;
        let mut best = 0;
        for (slot, c) in counts.iter().enumerate() {
            total += c;
            let size = 1usize << slot;
            if total > size / 2 {
                best = size;
            }
        }
        best.max(self.array.len())
    }

    /// The length operator's border.
    pub fn length(&self) -> i64 {
        let n = self.array.len();
        if n > 0 && self.array[n - 1].is_nil() {
            // Binary search for a border inside the array.
            let (mut lo, mut hi) = (0usize, n);
            while hi - lo > 1 {
                let m = (lo + hi) / 2;
                if self.array[m - 1].is_nil() {
                    hi = m;
                } else {
                    lo = m;
                }
            }
            return lo as i64;
        }
        if self.entries.is_empty() {
            return n as i64;
        }
        // Unbound search in the hash part.
        let mut j = n as i64;
        if self.get_hashed(Value::Integer(j + 1)).is_nil() {
            return j;
        }
        // Doubling from `j` itself (not `j + 1`) picks the same border as
        // PUC-Rio when there are several (programs print `#t` of such tables).
        let mut i;
        j = j.max(1);
        loop {
            i = j;
            if j > i64::MAX / 2 {
                // Pathological table: fall back to a linear search.
                let mut k = 1;
                while !self.get_int(k).is_nil() {
                    k += 1;
                }
                return k - 1;
            }
            j *= 2;
            if self.get_int(j).is_nil() {
                break;
            }
        }
        while j - i > 1 {
            let m = i + (j - i) / 2;
            if self.get_hashed(Value::Integer(m)).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// The entry after `key` in traversal order, or `Ok(None)` at the end.
    pub fn next(&self, key: Value<'gc>) -> Result<Option<(Value<'gc>, Value<'gc>)>, InvalidKey> {
        let key = normalize_key(key);
        let mut array_start = 0usize;
        let mut entry_start = 0usize;
        match key {
            Value::Nil => {}
            Value::Integer(i) if i >= 1 && (i as u64) <= self.array.len() as u64 => {
                array_start = i as usize;
            }
            _ => {
                array_start = self.array.len();
                entry_start = self.find(key).ok_or(InvalidKey)? + 1;
            }
        }
        for i in array_start..self.array.len() {
            let v = self.array[i];
            if !v.is_nil() {
                return Ok(Some((Value::Integer(i as i64 + 1), v)));
            }
        }
        for n in &self.entries[entry_start.min(self.entries.len())..] {
            if !n.value.is_nil() {
                return Ok(Some((n.key, n.value)));
            }
        }
        Ok(None)
    }

    /// Number of hash entries (live or not); for memory estimates.
    pub fn hash_capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Clears what the collector found dead in a weak table: a dead value
    /// leaves its entry empty (the key stays, as `next` may continue from
    /// it), an entry with a dead key goes. With `keys` false only values
    /// are considered (the step before finalizers resurrect objects, as in
    /// PUC-Rio Lua).
    pub fn clear_dead(&mut self, is_dead: &dyn Fn(Value<'gc>) -> bool, keys: bool) {
        if self.weak.values {
            for v in self.array.iter_mut() {
                if is_dead(*v) {
                    *v = Value::Nil;
                }
            }
        }
        let mut dead_keys = false;
        for n in self.entries.iter_mut() {
            if self.weak.values && is_dead(n.value) {
                n.value = Value::Nil;
            }
            // The key of an empty entry is held weakly in any weak table
            // (even a string: see `trace`).
            if keys && (self.weak.keys || n.value.is_nil()) && is_dead(n.key) {
                n.key = Value::Nil;
                dead_keys = true;
            }
        }
        if !dead_keys {
            return;
        }
        // Dropping entries moves the others: rebuild the index.
        let entries = std::mem::take(&mut self.entries);
        if !self.index.is_empty() {
            self.index.fill(EMPTY);
        }
        for n in entries {
            if !n.key.is_nil() {
                self.insert_entry(n.key, n.value);
            }
        }
    }

    /// The ephemeron entries of a table with weak keys only: live entries
    /// whose key and value are both objects, so the value must not outlive
    /// the key. Other tables have none.
    pub fn ephemerons(&self) -> impl DoubleEndedIterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        let entries: &[Node<'gc>] = if self.weak.keys && !self.weak.values {
            &self.entries
        } else {
            &[]
        };
        entries
            .iter()
            .filter(|n| is_weak_ref(n.key) && is_weak_ref(n.value))
            .map(|n| (n.key, n.value))
    }

    /// In a table with weak keys and values, the entries with a string key
    /// and an object value: their keys are not traced (see `trace`).
    pub fn untraced_string_keys(&self) -> impl Iterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        let entries: &[Node<'gc>] = if self.weak.keys && self.weak.values {
            &self.entries
        } else {
            &[]
        };
        entries
            .iter()
            .filter(|n| matches!(n.key, Value::String(_)) && is_weak_ref(n.value))
            .map(|n| (n.key, n.value))
    }

    /// Iterates the live entries (array then hash), for library code.
    pub fn iter(&self) -> impl Iterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        self.array
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nil())
            .map(|(i, v)| (Value::Integer(i as i64 + 1), *v))
            .chain(
                self.entries
                    .iter()
                    .filter(|n| !n.value.is_nil())
                    .map(|n| (n.key, n.value)),
            )
    }
}

impl<'gc> Table<'gc> {
    pub fn new(mc: &Mutation<'gc>) -> Table<'gc> {
        Table(Gc::new(mc, RefLock::new(TableState::default())))
    }

    pub fn with_capacity(mc: &Mutation<'gc>, narray: usize, nhash: usize) -> Table<'gc> {
        Table(Gc::new(
            mc,
            RefLock::new(TableState::with_capacity(narray, nhash)),
        ))
    }

    #[inline]
    pub fn borrow(self) -> std::cell::Ref<'gc, TableState<'gc>> {
        self.0.borrow()
    }

    #[inline]
    pub fn borrow_mut(self, mc: &Mutation<'gc>) -> std::cell::RefMut<'gc, TableState<'gc>> {
        self.0.borrow_mut(mc)
    }

    #[inline]
    pub fn get(self, key: Value<'gc>) -> Value<'gc> {
        self.0.borrow().get(key)
    }

    #[inline]
    pub fn get_int(self, i: i64) -> Value<'gc> {
        self.0.borrow().get_int(i)
    }

    #[inline]
    pub fn set(
        self,
        mc: &Mutation<'gc>,
        key: Value<'gc>,
        value: Value<'gc>,
    ) -> Result<(), KeyError> {
        self.0.borrow_mut(mc).set(key, value)
    }

    pub fn length(self) -> i64 {
        self.0.borrow().length()
    }

    #[inline]
    pub fn metatable(self) -> Option<Table<'gc>> {
        self.0.borrow().meta
    }

    pub fn set_metatable(self, mc: &Mutation<'gc>, meta: Option<Table<'gc>>) {
        self.0.borrow_mut(mc).meta = meta;
    }

    pub fn ptr_eq(self, other: Table<'gc>) -> bool {
        Gc::ptr_eq(self.0, other.0)
    }
}
