//! Lua tables, laid out as in PUC-Rio Lua 5.4 so that programs see the same
//! `next` order (for keys other than strings and objects) and the same `#`
//! of tables with holes: an array part for keys 1..n and a hash part of
//! chained nodes (`node.rs`), resized only when no node is free
//! (`resize.rs`), with PUC-Rio's length hint (`length.rs`). Weak tables
//! are traced and cleared in `weak.rs`.

mod length;
mod node;
mod part;
mod resize;
mod weak;

use std::cell::Cell;

use gc_arena::lock::RefLock;
use gc_arena::{Collect, Gc, Mutation};

use crate::string::LuaString;
use crate::value::Value;
use node::Nodes;
use part::Part;

pub use weak::is_weak_ref;

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

/// The fields are sized so the whole fits in 48 bytes: array sizes are
/// below 2^31 (`resize.rs`), and so are node counts.
#[derive(Default)]
pub struct TableState<'gc> {
    /// The array part; its length is the array size. Its `aux` is
    /// PUC-Rio's `alimit`: a hint for `#` at or below the array size,
    /// moved by `#` and by integer accesses; keys below it are in the array.
    array: Part<Value<'gc>, Cell<u32>>,
    nodes: Nodes<'gc>,
    pub meta: Option<Table<'gc>>,
    pub weak: WeakMode,
    /// Some key is a long (not interned) string, so string keys cannot be
    /// compared by identity alone.
    long_keys: bool,
    /// For a table used as a metatable: bit `tm` set means that metamethod
    /// is known to be absent. Cleared by any store of a non-integer key.
    tm_absent: Cell<u32>,
    /// In the collector's list of objects to finalize (`Global::finalizable`).
    pub gc_marked: Cell<bool>,
}

const _: () = assert!(std::mem::size_of::<TableState<'static>>() == 48);

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

/// Stores `value` in `slot` unless the slot is empty; returns whether it did.
#[inline]
fn replace_if_present<'gc>(slot: &mut Value<'gc>, value: Value<'gc>) -> bool {
    if slot.is_nil() {
        return false;
    }
    *slot = value;
    true
}

impl<'gc> TableState<'gc> {
    /// A table with `narray` array slots and room for `nhash` other keys
    /// (as `lua_createtable`).
    pub fn with_capacity(narray: usize, nhash: usize) -> Self {
        TableState {
            array: Part::new(
                vec![Value::Nil; narray].into_boxed_slice(),
                Cell::new(narray as u32),
            ),
            nodes: Nodes::with_size(nhash),
            ..Default::default()
        }
    }

    /// The length hint.
    #[inline(always)]
    fn limit(&self) -> usize {
        self.array.aux.get() as usize
    }

    /// Moves the length hint (at most the array size, below 2^31).
    #[inline(always)]
    fn set_limit(&self, n: usize) {
        debug_assert!(n <= u32::MAX as usize);
        self.array.aux.set(n as u32);
    }

    /// The array size.
    pub fn array_len(&self) -> usize {
        self.array.len()
    }

    /// Moves array slots `from` to start at `to` (0-based, all inside the
    /// array part), with the effect on the length hint that reading and
    /// writing those keys one by one has.
    pub fn array_copy_within(&mut self, from: std::ops::Range<usize>, to: usize) {
        let last = from.end.max(to + from.len());
        self.array.copy_within(from, to);
        self.array_index(last as i64);
    }

    fn limit_is_array_len(&self) -> bool {
        self.limit() == self.array.len()
    }

    /// The array index of key `i` if the array part holds it. Like
    /// PUC-Rio's `luaH_getint`, finding a key in the array above the length
    /// hint raises the hint to it.
    #[inline(always)]
    fn array_index(&self, i: i64) -> Option<usize> {
        let k = (i as u64).wrapping_sub(1);
        if k >= self.array.len() as u64 {
            return None;
        }
        if k >= u64::from(self.array.aux.get()) {
            self.set_limit(k as usize + 1);
        }
        Some(k as usize)
    }

    /// The metamethod named `name` (event number `tm`), remembering absence.
    #[inline(always)]
    pub fn get_tm(&self, tm: usize, name: LuaString<'gc>) -> Value<'gc> {
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
            Value::String(s) => self.get_str(s),
            Value::Nil => Value::Nil,
            _ => self.get_hashed(key),
        }
    }

    #[inline]
    pub fn get_int(&self, i: i64) -> Value<'gc> {
        match self.array_index(i) {
            Some(k) => self.array[k],
            None => self.get_int_hashed(i),
        }
    }

    #[inline(never)]
    fn get_int_hashed(&self, i: i64) -> Value<'gc> {
        match self.nodes.find(Value::Integer(i), false) {
            Some(n) => self.nodes.nodes[n].value(),
            None => Value::Nil,
        }
    }

    #[inline]
    pub fn get_str(&self, key: LuaString<'gc>) -> Value<'gc> {
        if self.long_keys {
            return self.get_hashed(Value::String(key));
        }
        // Identity comparisons only while every string key is interned.
        self.nodes.get_interned(key)
    }

    #[inline]
    fn get_hashed(&self, key: Value<'gc>) -> Value<'gc> {
        match self.nodes.find(key, self.long_keys) {
            Some(n) => self.nodes.nodes[n].value(),
            None => Value::Nil,
        }
    }

    /// Raw set of a string key.
    #[inline]
    pub fn set_str(&mut self, key: LuaString<'gc>, value: Value<'gc>) {
        self.tm_absent.set(0);
        let found = if self.long_keys {
            self.nodes.find(Value::String(key), true)
        } else {
            self.nodes.find_interned(key)
        };
        match found {
            Some(n) => self.nodes.nodes[n].set_value(value),
            None => self.new_key(Value::String(key), value),
        }
    }

    /// Stores `value` at `key` if the key is present with a non-nil value
    /// (so no metamethod can be involved); returns whether it did.
    #[inline]
    pub fn replace_present(&mut self, key: Value<'gc>, value: Value<'gc>) -> bool {
        let key = normalize_key(key);
        if let Value::Integer(i) = key {
            if let Some(k) = self.array_index(i) {
                return replace_if_present(&mut self.array[k], value);
            }
        }
        // Replacing a present value cannot make a metamethod appear, so
        // `tm_absent` stays valid.
        match self.nodes.find(key, self.long_keys) {
            Some(n) => {
                let node = &mut self.nodes.nodes[n];
                let present = !node.value_is_nil();
                if present {
                    node.store(value);
                }
                present
            }
            None => false,
        }
    }

    /// Raw set. Fails only for nil and NaN keys.
    pub fn set(&mut self, key: Value<'gc>, value: Value<'gc>) -> Result<(), KeyError> {
        match key {
            Value::Integer(i) => self.set_int(i, value),
            Value::Number(n) => {
                if let Some(i) = crate::vm::arith::float_to_int_exact(n) {
                    self.set_int(i, value);
                } else if n.is_nan() {
                    return Err(KeyError::NaN);
                } else {
                    self.set_hashed(key, value);
                }
            }
            Value::Nil => return Err(KeyError::Nil),
            _ => self.set_hashed(key, value),
        }
        Ok(())
    }

    #[inline]
    pub fn set_int(&mut self, i: i64, value: Value<'gc>) {
        if let Some(k) = self.array_index(i) {
            self.array[k] = value;
            return;
        }
        match self.nodes.find(Value::Integer(i), false) {
            Some(n) => self.nodes.nodes[n].set_value(value),
            None => self.new_key(Value::Integer(i), value),
        }
    }

    /// Stores `values` at keys `start + 1 ..` (a table constructor's list
    /// items, as SETLIST): the array part grows to hold them all, nils
    /// included, so `#{1, 2, nil, 4}` is 4 as in PUC-Rio Lua.
    pub fn set_list(&mut self, start: usize, values: &[Value<'gc>]) {
        let end = start + values.len();
        if end > self.array.len() {
            self.resize(end, self.nodes.len());
        }
        self.array[start..end].copy_from_slice(values);
    }

    /// Set of a normalised key that is not an integer.
    fn set_hashed(&mut self, key: Value<'gc>, value: Value<'gc>) {
        self.tm_absent.set(0);
        match self.nodes.find(key, self.long_keys) {
            Some(n) => self.nodes.nodes[n].store(value),
            None => self.new_key(key, value),
        }
    }

    /// Adds an absent (normalised) key, growing the table when no node is
    /// free. Nil values are not stored.
    #[inline(always)]
    fn new_key(&mut self, key: Value<'gc>, value: Value<'gc>) {
        if value.is_nil() {
            return;
        }
        self.note_key(key);
        if !self.nodes.insert(key, value) {
            self.grow_and_set(key, value);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_and_set(&mut self, key: Value<'gc>, value: Value<'gc>) {
        self.rehash(key);
        match key {
            Value::Integer(i) => self.set_int(i, value),
            _ => self.set_hashed(key, value),
        }
    }

    /// Keeps `long_keys` up to date for a key entering the hash part.
    #[inline]
    fn note_key(&mut self, key: Value<'gc>) {
        if let Value::String(s) = key {
            self.long_keys |= !s.is_short();
        }
    }

    /// The entry after `key` in traversal order (the array part, then the
    /// nodes in index order), or `Ok(None)` at the end.
    pub fn next(&self, key: Value<'gc>) -> Result<Option<(Value<'gc>, Value<'gc>)>, InvalidKey> {
        let asize = self.array.len();
        // Float keys are not normalised: as in PUC-Rio, `next(t, 1.0)` is
        // an invalid key.
        let start = match key {
            Value::Nil => 0,
            Value::Integer(i) if (i as u64).wrapping_sub(1) < asize as u64 => i as usize,
            _ => {
                let n = self.nodes.find(key, self.long_keys);
                asize
                    + n.or_else(|| self.nodes.find_removed(key))
                        .ok_or(InvalidKey)?
                    + 1
            }
        };
        for i in start..asize {
            let v = self.array[i];
            if !v.is_nil() {
                return Ok(Some((Value::Integer(i as i64 + 1), v)));
            }
        }
        let nodes = &self.nodes.nodes[start.max(asize) - asize..];
        Ok(nodes
            .iter()
            .find(|n| !n.value_is_nil())
            .map(|n| (n.key(), n.value())))
    }

    /// Number of hash nodes; for memory estimates.
    pub fn hash_capacity(&self) -> usize {
        self.nodes.len()
    }

    /// Iterates the live entries (array then hash), for library code.
    pub fn iter(&self) -> impl Iterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        self.array
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_nil())
            .map(|(i, v)| (Value::Integer(i as i64 + 1), *v))
            .chain(
                self.nodes
                    .nodes
                    .iter()
                    .filter(|n| !n.value_is_nil())
                    .map(|n| (n.key(), n.value())),
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
