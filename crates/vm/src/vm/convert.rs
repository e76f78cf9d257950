//! Conversions between strings and numbers as the language defines them
//! (coercions in arithmetic and concatenation, `tostring` of numbers).

/// A parsed numeral.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

/// Parses a string the way arithmetic coercion and `tonumber` do.
pub fn str_to_number(s: &[u8]) -> Option<Number> {
    let t = trim(s)?;
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        return parse_hex(&body[2..], neg);
    }
    if body.iter().all(u8::is_ascii_digit) && !body.is_empty() {
        let mut v: i64 = 0;
        let mut overflow = false;
        for &d in body {
            match v
                .checked_mul(10)
                .and_then(|x| x.checked_add((d - b'0') as i64))
            {
                Some(x) => v = x,
                None => {
                    overflow = true;
                    break;
                }
            }
        }
        if !overflow {
            return Some(Number::Int(if neg { v.wrapping_neg() } else { v }));
        }
        // "9223372036854775808" with a minus sign is mininteger.
        if neg && body == b"9223372036854775808" {
            return Some(Number::Int(i64::MIN));
        }
    }
    let text = std::str::from_utf8(body).ok()?;
    if !text
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    if !text
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'.')
    {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    Some(Number::Float(if neg { -f } else { f }))
}

fn trim(s: &[u8]) -> Option<&[u8]> {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = s.iter().position(|c| !is_space(c))?;
    let end = s.iter().rposition(|c| !is_space(c))? + 1;
    Some(&s[start..end])
}

fn hex_digit(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

fn parse_hex(s: &[u8], neg: bool) -> Option<Number> {
    let mut mantissa: u64 = 0;
    let mut fmant: f64 = 0.0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut seen_dot = false;
    let mut is_float = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'.' {
            if seen_dot {
                return None;
            }
            seen_dot = true;
            is_float = true;
        } else if let Some(d) = hex_digit(c) {
            any = true;
            mantissa = mantissa.wrapping_mul(16).wrapping_add(d as u64);
            fmant = fmant * 16.0 + d as f64;
            if seen_dot {
                exp -= 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < s.len() {
        if (s[i] | 0x20) != b'p' {
            return None;
        }
        is_float = true;
        i += 1;
        let (eneg, rest) = match s.get(i) {
            Some(b'-') => (true, &s[i + 1..]),
            Some(b'+') => (false, &s[i + 1..]),
            _ => (false, &s[i..]),
        };
        if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut e: i64 = 0;
        for &d in rest {
            e = (e * 10 + (d - b'0') as i64).min(1 << 20);
        }
        exp += if eneg { -e } else { e };
    }
    if is_float {
        let f = fmant * (2.0f64).powi(exp.clamp(-2000, 2000) as i32);
        Some(Number::Float(if neg { -f } else { f }))
    } else {
        let v = mantissa as i64;
        Some(Number::Int(if neg { v.wrapping_neg() } else { v }))
    }
}

/// Appends Lua's `tostring` of a float: `%.14g`, with `.0` for integral values.
pub fn fmt_float(f: f64, out: &mut Vec<u8>) {
    if f.is_nan() {
        out.extend_from_slice(if f.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if f.is_infinite() {
        out.extend_from_slice(if f < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    let start = out.len();
    fmt_g(f, 14, out);
    if out[start..]
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b'-')
    {
        out.extend_from_slice(b".0");
    }
}

/// C's `%.<prec>g` for finite values.
pub fn fmt_g(f: f64, prec: usize, out: &mut Vec<u8>) {
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, f);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    if x >= -4 && x < prec as i32 {
        let fixed = format!("{:.*}", (prec as i32 - 1 - x).max(0) as usize, f);
        out.extend_from_slice(strip_zeros(&fixed).as_bytes());
    } else {
        out.extend_from_slice(strip_zeros(mant).as_bytes());
        out.push(b'e');
        out.push(if x < 0 { b'-' } else { b'+' });
        let ax = x.unsigned_abs();
        if ax < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(ax.to_string().as_bytes());
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Appends an integer in decimal.
pub fn fmt_int(i: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut p = buf.len();
    loop {
        p -= 1;
        buf[p] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[p..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut v = Vec::new();
        fmt_float(x, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn float_formatting() {
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1e15), "1e+15");
        assert_eq!(f(1e14), "1e+14");
        assert_eq!(f(123456789012.0), "123456789012.0");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(1.0 / 3.0), "0.33333333333333");
        assert_eq!(f(1e-5), "1e-05");
        assert_eq!(f(f64::INFINITY), "inf");
    }

    #[test]
    fn number_parsing() {
        assert_eq!(str_to_number(b" 10 "), Some(Number::Int(10)));
        assert_eq!(str_to_number(b"0x10"), Some(Number::Int(16)));
        assert_eq!(str_to_number(b"1e2"), Some(Number::Float(100.0)));
        assert_eq!(str_to_number(b"0x1p4"), Some(Number::Float(16.0)));
        assert_eq!(str_to_number(b"abc"), None);
        assert_eq!(str_to_number(b"1e"), None);
        assert_eq!(str_to_number(b"inf"), None);
        assert_eq!(
            str_to_number(b"9223372036854775808"),
            Some(Number::Float(9.223372036854776e18))
        );
    }
}
