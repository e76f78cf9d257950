//! The length operator. Any border is a valid `#t`; programs print `#` of
//! tables with holes, so this picks the border PUC-Rio Lua 5.4 picks,
//! including its use of the length hint (`limit`) left by earlier calls
//! and integer accesses.

use super::TableState;

/// A border in `array[lo..hi]` (1-based keys), given `lo` zero or
/// present and `hi` absent.
fn binary_search(array: &[crate::value::Value<'_>], mut lo: usize, mut hi: usize) -> usize {
    while hi - lo > 1 {
        let m = (lo + hi) / 2;
        if array[m - 1].is_nil() {
            hi = m;
        } else {
            lo = m;
        }
    }
    lo
}

impl<'gc> TableState<'gc> {
    /// The length operator's border.
    pub fn length(&self) -> i64 {
        let array = &self.array;
        let limit = self.limit();
        if limit > 0 && array[limit - 1].is_nil() {
            // A border below the hint; it becomes the new hint when it can
            // stand for the array size.
            let border = if limit >= 2 && !array[limit - 2].is_nil() {
                let b = limit - 1;
                if self.size_is_pow2() && !b.is_power_of_two() {
                    self.set_hint(b);
                }
                b
            } else {
                let b = binary_search(array, 0, limit);
                if self.size_is_pow2() && b > array.len() / 2 {
                    self.set_hint(b);
                }
                b
            };
            return border as i64;
        }
        if !self.limit_is_array_len() {
            // The hint is present and the array goes on after it.
            if array[limit].is_nil() {
                return limit as i64;
            }
            if array[array.len() - 1].is_nil() {
                let b = binary_search(array, limit, array.len());
                self.set_limit(b);
                return b as i64;
            }
        }
        // The whole array part is in use (or empty): look in the hash part.
        let n = array.len() as i64;
        if self.nodes.len() == 0 || self.get_int(n + 1).is_nil() {
            return n;
        }
        self.hash_search(n as u64) as i64
    }

    /// A border above `j` (zero or present, with `j + 1` present): doubling
    /// until an absent key, then a binary search.
    fn hash_search(&self, mut j: u64) -> u64 {
        let absent = |k: u64| self.get_int(k as i64).is_nil();
        let mut i;
        if j == 0 {
            j = 1;
        }
        loop {
            i = j;
            if j <= i64::MAX as u64 / 2 {
                j *= 2;
                if absent(j) {
                    break;
                }
            } else {
                j = i64::MAX as u64;
                if absent(j) {
                    break;
                }
                return j;
            }
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if absent(m) {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// Makes `b` the length hint, below the array size.
    fn set_hint(&self, b: usize) {
        self.set_limit(b);
    }

    /// Whether the hint may differ from the array size: PUC-Rio keeps only
    /// the hint and recomputes the size from it as the next power of two.
    fn size_is_pow2(&self) -> bool {
        let n = self.array.len();
        n & n.wrapping_sub(1) == 0
    }
}
