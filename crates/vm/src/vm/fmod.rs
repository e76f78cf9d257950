//! The floating-point remainder of C's `fmod`: `x - n*y` with `n` the
//! quotient `x/y` truncated toward zero. The remainder is always exactly
//! representable, so every correct method gives the same bits; this one
//! reduces the significands by integer division, up to 11 bits of the
//! quotient at a time, where a generic `fmod` subtracts bit by bit (one
//! unpredictable branch per bit).

const SIGN: u64 = 1 << 63;
const INF: u64 = 0x7ff << 52;
const IMPLICIT: u64 = 1 << 52;

/// The significand and biased exponent of a finite nonzero magnitude's
/// bits: its value is `m * 2^(e - 1075)` with `m < 2^53`, `e >= 1`
/// (subnormals take `e = 1` and no implicit bit).
fn unpack(bits: u64) -> (u64, i64) {
    let e = (bits >> 52) as i64;
    let frac = bits & (IMPLICIT - 1);
    if e == 0 {
        (frac, 1)
    } else {
        (frac | IMPLICIT, e)
    }
}

/// `fmod(x, y)`: NaN when `x` is infinite or `y` is zero (or either is
/// NaN), `x` when `y` is infinite; otherwise the exact remainder, with the
/// sign of `x`.
pub fn fmod(x: f64, y: f64) -> f64 {
    let (ux, uy) = (x.to_bits(), y.to_bits());
    let (ax, ay) = (ux & !SIGN, uy & !SIGN);
    if ay == 0 || ay > INF || ax >= INF {
        // `p / p`: the NaN of an invalid operation, or an operand's NaN.
        let p = x * y;
        #[allow(clippy::eq_op)]
        let nan = p / p;
        return nan;
    }
    if ax <= ay {
        return if ax == ay { 0.0 * x } else { x };
    }
    let (mx, ex) = unpack(ax);
    let (my, ey) = unpack(ay);
    // |x| > |y| so ex >= ey: the remainder is (mx * 2^d) mod my, scaled as
    // y. The running remainder is below my < 2^53, so 11 more bits fit.
    let mut d = ex - ey;
    let mut r = mx;
    loop {
        let s = d.min(11);
        r = (r << s) % my;
        d -= s;
        if d == 0 {
            break;
        }
    }
    if r == 0 {
        return 0.0 * x;
    }
    // r * 2^(ey - 1075) with r's top bit moved to the implicit bit; below
    // the normal range, shifted back (only zeros shifted in go out, as
    // ey >= 1).
    let shift = r.leading_zeros() as i64 - 11;
    let m = r << shift;
    let e = ey - shift;
    let bits = if e >= 1 {
        ((e as u64) << 52) | (m & (IMPLICIT - 1))
    } else {
        m >> (1 - e)
    };
    f64::from_bits(bits | (ux & SIGN))
}

#[cfg(test)]
mod tests {
    use super::fmod;

    /// The same bits as the generic `fmod` (Rust's `%`); NaNs as NaNs.
    fn check(x: f64, y: f64) {
        let (got, want) = (fmod(x, y), x % y);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "fmod({x:e}, {y:e}) = {got:e}, want {want:e}"
        );
    }

    #[test]
    fn special_values() {
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            1e-310,
            f64::MAX,
            -f64::MAX,
            1.0,
            -1.0,
            0.5,
            3.0,
            -7.25,
            2147483647.0,
            9007199254740993.0,
            1e300,
            -1e-300,
        ];
        for &x in &specials {
            for &y in &specials {
                check(x, y);
            }
        }
    }

    #[test]
    fn random_operands() {
        // A fixed xorshift sequence of bit patterns: all exponents, and
        // operands close in size (the common case) as well as far apart.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..200_000 {
            let x = f64::from_bits(next());
            let y = f64::from_bits(next());
            check(x, y);
            let near =
                f64::from_bits((x.to_bits() & !(0x7ff << 52)) | ((next() % 64 + 1000) << 52));
            check(near, y.abs() % 1e6 + 1.0);
            check((next() >> 11) as f64, (next() >> 30) as f64 + 1.0);
        }
    }
}
