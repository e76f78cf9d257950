//! Growing and shrinking a table: when the hash part has no free node,
//! the array and hash sizes are recomputed from the keys in use (plus the
//! key being inserted) by PUC-Rio Lua 5.4's rule, so tables change shape
//! at the same moments and `#`/`next` see the same layout.

use std::cell::Cell;

use super::node::Nodes;
use super::part::Part;
use super::TableState;
use crate::value::Value;

/// Integer keys up to 2^ARRAY_BITS can live in the array part.
const ARRAY_BITS: usize = 31;

/// `counts[b]`: keys `k` with `2^(b-1) < k <= 2^b`.
type Counts = [usize; ARRAY_BITS + 1];

/// Counts `key` if it may live in the array part; returns whether it did.
fn count_int(key: i64, counts: &mut Counts) -> bool {
    let k = (key as u64).wrapping_sub(1);
    if k >= 1 << ARRAY_BITS {
        return false;
    }
    // ceil(log2(key)): the slice that holds `key`.
    counts[(64 - k.leading_zeros()) as usize] += 1;
    true
}

/// The largest power of two `n` such that more than half of `1..=n` are
/// among the counted keys, and how many keys that range holds. `candidates`
/// is the number of counted keys.
fn array_size(counts: &Counts, candidates: usize) -> (usize, usize) {
    let (mut below, mut size, mut in_array) = (0, 0, 0);
    for (b, c) in counts.iter().enumerate() {
        let twotoi = 1usize << b;
        if candidates <= twotoi / 2 {
            break;
        }
        below += c;
        if below > twotoi / 2 {
            size = twotoi;
            in_array = below;
        }
    }
    (size, in_array)
}

impl<'gc> TableState<'gc> {
    /// Resizes for one more key `extra` (the table had no free node).
    pub(super) fn rehash(&mut self, extra: Value<'gc>) {
        let mut counts = [0; ARRAY_BITS + 1];
        self.set_limit_to_size();
        let mut candidates = 0;
        for (i, v) in self.array.iter().enumerate() {
            if !v.is_nil() {
                counts[(64 - (i as u64).leading_zeros()) as usize] += 1;
                candidates += 1;
            }
        }
        let mut total = candidates;
        for n in self.nodes.nodes.iter() {
            if !n.value_is_nil() {
                if let Value::Integer(i) = n.key() {
                    candidates += count_int(i, &mut counts) as usize;
                }
                total += 1;
            }
        }
        if let Value::Integer(i) = extra {
            candidates += count_int(i, &mut counts) as usize;
        }
        total += 1;
        let (asize, in_array) = array_size(&counts, candidates);
        self.resize(asize, total - in_array);
    }

    /// Gives the array part `asize` slots and the hash part room for
    /// `hsize` keys (rounded up to a power of two), moving entries between
    /// them: first the vanishing end of the array, then the old nodes in
    /// index order (which decides the new nodes' layout).
    pub(super) fn resize(&mut self, asize: usize, hsize: usize) {
        let old_asize = self.set_limit_to_size();
        let old = std::mem::replace(&mut self.nodes, Nodes::with_size(hsize));
        self.long_keys = false;
        for i in asize..old_asize {
            let v = self.array[i];
            if !v.is_nil() {
                self.insert_fresh(Value::Integer(i as i64 + 1), v);
            }
        }
        if asize != old_asize {
            // Exactly `asize` slots: the array is sized by the rule above.
            let mut array = self.array.take_box().into_vec();
            array.reserve_exact(asize.saturating_sub(old_asize));
            array.resize(asize, Value::Nil);
            self.array = Part::new(array.into_boxed_slice(), Cell::new(0));
        }
        self.set_limit(asize);
        for n in old.nodes.iter() {
            if n.value_is_nil() {
                continue;
            }
            match n.key() {
                Value::Integer(i) if (i as u64).wrapping_sub(1) < asize as u64 => {
                    self.array[i as usize - 1] = n.value();
                }
                key => self.insert_fresh(key, n.value()),
            }
        }
    }

    /// Inserts a key known to be absent into nodes sized to hold it.
    fn insert_fresh(&mut self, key: Value<'gc>, value: Value<'gc>) {
        self.note_key(key);
        let done = self.nodes.insert(key, value);
        debug_assert!(done, "resized hash part too small");
    }

    /// PUC-Rio's `setlimittosize`: the length hint becomes the array size.
    pub(super) fn set_limit_to_size(&mut self) -> usize {
        self.set_limit(self.array.len());
        self.array.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_size_rule() {
        let mut counts = [0; ARRAY_BITS + 1];
        for k in [1, 2, 4] {
            count_int(k, &mut counts);
        }
        assert_eq!(array_size(&counts, 3), (4, 3));
        let mut counts = [0; ARRAY_BITS + 1];
        for k in [1, 100] {
            count_int(k, &mut counts);
        }
        assert_eq!(array_size(&counts, 2), (1, 1));
        assert!(!count_int(0, &mut counts));
        assert!(!count_int(-5, &mut counts));
        assert!(!count_int((1 << 31) + 1, &mut counts));
    }
}
