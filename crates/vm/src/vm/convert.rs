//! Conversions between strings and numbers as the language defines them
//! (coercions in arithmetic and concatenation, `tostring` of numbers).

/// Parsing numerals (arithmetic coercion, `tonumber`, the lexer) is
/// `text::number`'s.
pub use crate::text::number::{str_to_number, Number};

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
