//! Conversions between byte strings and Lua numbers: parsing numerals and
//! `tostring` of numbers.

/// A Lua number: either a 64-bit integer or a double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer subtype value.
    Int(i64),
    /// A float subtype value.
    Float(f64),
}

/// C `isspace` in the C locale.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Strips leading and trailing C whitespace.
fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// Splits an optional leading sign off; returns (negative, rest).
fn split_sign(s: &[u8]) -> (bool, &[u8]) {
    match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn hex_prefix(s: &[u8]) -> Option<&[u8]> {
    match s {
        [b'0', b'x' | b'X', rest @ ..] => Some(rest),
        _ => None,
    }
}

/// Converts a string the way Lua's `tonumber(s)` and string coercion do.
pub fn str_to_number(s: &[u8]) -> Option<Number> {
    let t = trim(s);
    if let Some(i) = str_to_int(t) {
        return Some(Number::Int(i));
    }
    str_to_float(t).map(Number::Float)
}

/// Integer syntax: decimal (None on overflow, so it becomes a float) or hex
/// (wrapping modulo 2^64).
fn str_to_int(t: &[u8]) -> Option<i64> {
    let (neg, body) = split_sign(t);
    let value: u64 = if let Some(hex) = hex_prefix(body) {
        if hex.is_empty() {
            return None;
        }
        let mut v: u64 = 0;
        for &b in hex {
            let d = (b as char).to_digit(16)?;
            v = v.wrapping_mul(16).wrapping_add(u64::from(d));
        }
        v
    } else {
        if body.is_empty() {
            return None;
        }
        let limit = if neg { 1u64 << 63 } else { i64::MAX as u64 };
        let mut v: u64 = 0;
        for &b in body {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            if v > limit {
                return None;
            }
        }
        v
    };
    let v = value as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Float syntax (decimal or hex); the words `inf`/`nan` are not numerals.
fn str_to_float(t: &[u8]) -> Option<f64> {
    let (neg, body) = split_sign(t);
    let v = match hex_prefix(body) {
        Some(hex) => hex_float(hex)?,
        None => dec_float(body)?,
    };
    Some(if neg { -v } else { v })
}

/// Counts leading ASCII digits of the given radix.
fn digits(s: &[u8], radix: u32) -> usize {
    s.iter()
        .take_while(|&&b| (b as char).is_digit(radix))
        .count()
}

fn dec_float(s: &[u8]) -> Option<f64> {
    let int_len = digits(s, 10);
    let mut i = int_len;
    let mut frac_len = 0;
    if s.get(i) == Some(&b'.') {
        frac_len = digits(&s[i + 1..], 10);
        i += 1 + frac_len;
    }
    if int_len + frac_len == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let (_, exp) = split_sign(&s[i + 1..]);
        let n = digits(exp, 10);
        if n == 0 {
            return None;
        }
        i = s.len() - exp.len() + n;
    }
    if i != s.len() {
        return None;
    }
    // The syntax was checked above, so Rust's correctly rounded parser agrees.
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

fn hex_float(s: &[u8]) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0; // binary exponent adjustment
    let mut sticky = false;
    let mut any_digit = false;
    let mut seen_dot = false;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            any_digit = true;
            if mant >> 56 == 0 {
                mant = mant * 16 + u64::from(d);
                if seen_dot {
                    exp -= 4;
                }
            } else {
                // Mantissa full: remember dropped bits for correct rounding.
                sticky |= d != 0;
                if !seen_dot {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any_digit {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let (eneg, e) = split_sign(&s[i + 1..]);
        let n = digits(e, 10);
        if n == 0 {
            return None;
        }
        let mut ev: i64 = 0;
        for &b in &e[..n] {
            ev = (ev * 10 + i64::from(b - b'0')).min(1 << 20);
        }
        exp += if eneg { -ev } else { ev };
        i = s.len() - e.len() + n;
    }
    if i != s.len() {
        return None;
    }
    let m = (mant | u64::from(sticky)) as f64;
    Some(ldexp(m, exp))
}

/// `x * 2^e` for a mantissa `x` of at least 1 (or 0), without intermediate
/// overflow or underflow: the factors are exact powers of two, and a step
/// down leaves `x` normal, so only the last product rounds.
fn ldexp(mut x: f64, e: i64) -> f64 {
    // 2^k for k in -1022..=1023, built from its bits.
    let pow2 = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
    let mut e = e.clamp(-3000, 3000);
    while e > 1023 {
        x *= pow2(1023);
        e -= 1023;
    }
    while e < -1022 {
        x *= pow2(-1022);
        e += 1022;
    }
    x * pow2(e)
}

/// Converts a string in the given base (2..=36), like `tonumber(s, base)`.
pub fn str_to_int_base(s: &[u8], base: u32) -> Option<i64> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let (neg, body) = split_sign(trim(s));
    if body.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in body {
        let d = (b as char).to_digit(36).filter(|&d| d < base)?;
        v = v.wrapping_mul(u64::from(base)).wrapping_add(u64::from(d));
    }
    let v = v as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Appends Lua's `tostring` of a float (`%.14g`, plus `.0` if it looks integral).
pub fn fmt_float(f: f64, out: &mut Vec<u8>) {
    if !f.is_finite() {
        let s: &[u8] = if f.is_nan() { b"nan" } else { b"inf" };
        if f.is_sign_negative() {
            out.push(b'-');
        }
        out.extend_from_slice(s);
        return;
    }
    let start = out.len();
    let spec = crate::text::printf::Spec::general(14);
    crate::text::printf::format_float(&spec, f, out);
    if out[start..]
        .iter()
        .all(|&b| b == b'-' || b.is_ascii_digit())
    {
        out.extend_from_slice(b".0");
    }
}

/// Appends the decimal form of an integer.
pub fn fmt_int(i: i64, out: &mut Vec<u8>) {
    if i < 0 {
        out.push(b'-');
    }
    let mut buf = [0u8; 20];
    out.extend_from_slice(crate::text::printf::decimal(i.unsigned_abs(), &mut buf));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<Number> {
        str_to_number(s.as_bytes())
    }

    #[test]
    fn parses_like_lua() {
        use Number::*;
        let cases: &[(&str, Option<Number>)] = &[
            (" 10 ", Some(Int(10))),
            ("+5", Some(Int(5))),
            ("-0x10", Some(Int(-16))),
            ("0x", None),
            ("0x.8", Some(Float(0.5))),
            ("0x.p1", None),
            ("0x1p", None),
            ("0x1p+", None),
            ("1e", None),
            ("1e+", None),
            (".", None),
            ("5.", Some(Float(5.0))),
            (".5", Some(Float(0.5))),
            ("-.5e1", Some(Float(-5.0))),
            ("0x1.8p3", Some(Float(12.0))),
            ("0xffffffffffffffffff", Some(Int(-1))),
            ("9223372036854775807", Some(Int(i64::MAX))),
            ("9223372036854775808", Some(Float(9223372036854775808.0))),
            ("-9223372036854775808", Some(Int(i64::MIN))),
            ("-9223372036854775809", Some(Float(-9223372036854775808.0))),
            ("1 2", None),
            ("inf", None),
            ("nan", None),
            ("0x1P-2", Some(Float(0.25))),
            ("0X1E", Some(Int(30))),
            ("1E2", Some(Float(100.0))),
            ("\t\n\x0b\x0c\r7\t", Some(Int(7))),
            ("", None),
            (" ", None),
            ("0x1.", Some(Float(1.0))),
            ("0x.1", Some(Float(0.0625))),
            ("1.5e400", Some(Float(f64::INFINITY))),
            ("0e", None),
            ("0xep1", Some(Float(28.0))),
            ("1_0", None),
            ("1..2", None),
            ("--1", None),
            ("+-1", None),
            ("0x+1", None),
            ("00012", Some(Int(12))),
            ("1e2.5", None),
            ("1\0", None),
            ("0x1.fffffffffffff8p0", Some(Float(2.0))),
            (
                "0x123456789abcdef0123p-40",
                Some(Float(0x123456789abcdef0123u128 as f64 / 2f64.powi(40))),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(num(s), *want, "{s:?}");
        }
        assert!(matches!(num("-1e-400"), Some(Float(f)) if f == 0.0 && f.is_sign_negative()));
    }

    #[test]
    fn parses_bases() {
        let b = |s: &str, base| str_to_int_base(s.as_bytes(), base);
        assert_eq!(b("ff", 16), Some(255));
        assert_eq!(b(" -ff ", 16), Some(-255));
        assert_eq!(b("+ff", 16), Some(255));
        assert_eq!(b("zz", 36), Some(1295));
        assert_eq!(b("12", 2), None);
        assert_eq!(b("", 10), None);
        assert_eq!(b("-", 10), None);
        assert_eq!(b("ffffffffffffffffff", 16), Some(-1));
        assert_eq!(b("1 0", 10), None);
        assert_eq!(b("1.0", 10), None);
        assert_eq!(b("- 1", 10), None);
        assert_eq!(b("1", 37), None);
    }

    #[test]
    fn formats_like_tostring() {
        let f = |x: f64| {
            let mut v = Vec::new();
            fmt_float(x, &mut v);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(f(1e15), "1e+15");
        assert_eq!(f(1e16), "1e+16");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(-0.0), "-0.0");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(2f64.powi(63)), "9.2233720368548e+18");
        assert_eq!(f(123.0), "123.0");
        assert_eq!(f(1.0 / 3.0), "0.33333333333333");
        assert_eq!(f(-1e-300), "-1e-300");
        assert_eq!(f(1e14), "1e+14");
        assert_eq!(f(1.23456789012345), "1.2345678901235");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(f64::NAN), "nan");
        assert_eq!(f(-f64::NAN), "-nan");
        let mut v = Vec::new();
        fmt_int(i64::MIN, &mut v);
        assert_eq!(v, b"-9223372036854775808");
    }
}
