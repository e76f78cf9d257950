//! What the collector needs from tables: tracing (weak references skipped)
//! and clearing what it found dead in weak tables.

use gc_arena::collect::Trace;
use gc_arena::Collect;

use super::node::{dead_key, Node};
use super::TableState;
use crate::value::Value;

unsafe impl<'gc> Collect<'gc> for TableState<'gc> {
    fn trace<T: Trace<'gc>>(&self, cc: &mut T) {
        if let Some(m) = &self.meta {
            cc.trace(m);
        }
        let weak = self.weak;
        for v in self.array.iter() {
            trace_value(cc, *v, weak.values);
        }
        for n in self.nodes.nodes.iter() {
            let (key, value) = (n.key(), n.value());
            if value.is_nil() {
                // A removed entry's key is still compared by `next`. Weak
                // tables hold it weakly, strings included, and the key
                // becomes dead once collected (`clear_dead`).
                if !(weak.keys || weak.values) {
                    cc.trace(&key);
                }
                continue;
            }
            // With both sides weak, even a string key lives only as long as
            // its entry: `gc.rs` keeps the keys of the entries that survive.
            if !(weak.keys && weak.values && is_weak_ref(value)) {
                trace_value(cc, key, weak.keys);
            }
            // With weak keys the entry is an ephemeron: its value is reached
            // only once the collector finds the key alive (`gc.rs`).
            trace_value(cc, value, weak.values || (weak.keys && is_weak_ref(key)));
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
    /// Clears what the collector found dead in a weak table: a dead value
    /// leaves its entry empty (the key stays, as `next` may continue from
    /// it); an entry whose key is dead is emptied and its key replaced by a
    /// dead-key marker (the node stays in its chain). With `keys` false only
    /// values are considered (the step before finalizers resurrect objects,
    /// as in PUC-Rio Lua).
    pub fn clear_dead(&mut self, is_dead: &dyn Fn(Value<'gc>) -> bool, keys: bool) {
        if self.weak.values {
            for v in self.array.iter_mut() {
                if is_dead(*v) {
                    *v = Value::Nil;
                }
            }
        }
        let weak = self.weak;
        for n in self.nodes.nodes.iter_mut() {
            if weak.values && is_dead(n.value()) {
                n.set_value(Value::Nil);
            }
            // The key of an empty entry is held weakly in any weak table
            // (even a string: see `trace`).
            if keys && (weak.keys || n.value_is_nil()) && is_dead(n.key()) {
                n.set_key(dead_key());
                n.set_value(Value::Nil);
            }
        }
    }

    /// The ephemeron entries of a table with weak keys only: live entries
    /// whose key and value are both objects, so the value must not outlive
    /// the key. Other tables have none.
    pub fn ephemerons(&self) -> impl DoubleEndedIterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        let nodes: &[Node<'gc>] = if self.weak.keys && !self.weak.values {
            &self.nodes.nodes
        } else {
            &[]
        };
        nodes
            .iter()
            .filter(|n| is_weak_ref(n.key()) && is_weak_ref(n.value()))
            .map(|n| (n.key(), n.value()))
    }

    /// In a table with weak keys and values, the entries with a string key
    /// and an object value: their keys are not traced (see `trace`).
    pub fn untraced_string_keys(&self) -> impl Iterator<Item = (Value<'gc>, Value<'gc>)> + '_ {
        let nodes: &[Node<'gc>] = if self.weak.keys && self.weak.values {
            &self.nodes.nodes
        } else {
            &[]
        };
        nodes
            .iter()
            .filter(|n| matches!(n.key(), Value::String(_)) && is_weak_ref(n.value()))
            .map(|n| (n.key(), n.value()))
    }
}
