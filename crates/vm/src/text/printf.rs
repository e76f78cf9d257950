//! C-printf-compatible formatting of single conversions, as driven by
//! `string.format`, plus the `%q` quoting helpers.

/// Longest flags/width/precision span `string.format` accepts.
const MAX_SPAN: usize = 20;

/// One parsed `%[flags][width][.precision]conv` specification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spec {
    /// `-`: left-justify.
    pub minus: bool,
    /// `+`: always print a sign.
    pub plus: bool,
    /// ` `: space in place of a `+` sign.
    pub space: bool,
    /// `#`: alternate form.
    pub hash: bool,
    /// `0`: pad with zeros.
    pub zero: bool,
    /// Minimum field width (at most 99).
    pub width: usize,
    /// Precision (at most 99), if given.
    pub precision: Option<usize>,
    /// The conversion letter, e.g. `b'd'`.
    pub conv: u8,
}

impl Spec {
    /// The `%.<precision>g` spec (used by `tostring` with precision 14).
    pub fn general(precision: usize) -> Spec {
        Spec {
            precision: Some(precision),
            conv: b'g',
            ..Spec::default()
        }
    }
}

/// Allowed flags and whether a precision is allowed, per conversion.
fn conv_rules(conv: u8) -> Option<(&'static [u8], bool)> {
    Some(match conv {
        b'c' | b'p' => (b"-", false),
        b'd' | b'i' => (b"-+0 ", true),
        b'u' => (b"-0", true),
        b'o' | b'x' | b'X' => (b"-#0", true),
        b'a' | b'A' | b'e' | b'E' | b'f' | b'g' | b'G' => (b"-+ #0", true),
        b's' => (b"-", true),
        b'q' => (b"", false),
        _ => return None,
    })
}

/// The length of the flags/width/precision span at the start of `rest`;
/// an over-long span is an error (checked before anything else).
fn span_len(rest: &[u8]) -> Result<usize, String> {
    let span = rest
        .iter()
        .take_while(|b| matches!(b, b'-' | b'+' | b' ' | b'#' | b'0'..=b'9' | b'.'))
        .count();
    if span > MAX_SPAN {
        return Err("invalid format (too long)".into());
    }
    Ok(span)
}

/// The position just after the conversion letter of the spec starting at
/// `fmt[pos]`, without checking its flags against the conversion.
pub fn spec_end(fmt: &[u8], pos: usize) -> Result<usize, String> {
    Ok(pos + span_len(fmt.get(pos..).unwrap_or_default())? + 1)
}

/// Parses a spec starting just after a `%` at `fmt[pos]`; returns the spec and
/// the position after its conversion letter. Errors carry Lua's messages.
pub fn parse_spec(fmt: &[u8], pos: usize) -> Result<(Spec, usize), String> {
    let rest = fmt.get(pos..).unwrap_or_default();
    let span = span_len(rest)?;
    let text = |n: usize| String::from_utf8_lossy(&rest[..n]).into_owned();
    let Some(&conv) = rest.get(span) else {
        return Err(format!("invalid conversion '%{}' to 'format'", text(span)));
    };
    let Some((flags, prec_ok)) = conv_rules(conv) else {
        return Err(format!(
            "invalid conversion '%{}' to 'format'",
            text(span + 1)
        ));
    };
    if conv == b'q' && span > 0 {
        return Err("specifier '%q' cannot have modifiers".into());
    }
    let bad = || format!("invalid conversion specification: '%{}'", text(span + 1));
    let body = &rest[..span];
    let mut spec = Spec {
        conv,
        ..Spec::default()
    };
    let mut i = 0;
    while let Some(&b) = body.get(i).filter(|b| flags.contains(b)) {
        match b {
            b'-' => spec.minus = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.hash = true,
            _ => spec.zero = true,
        }
        i += 1;
    }
    let number = |i: &mut usize| {
        let mut n = 0;
        for _ in 0..2 {
            match body.get(*i) {
                Some(&d) if d.is_ascii_digit() => {
                    n = n * 10 + usize::from(d - b'0');
                    *i += 1;
                }
                _ => break,
            }
        }
        n
    };
    if body.get(i) != Some(&b'0') {
        spec.width = number(&mut i);
    }
    if prec_ok && body.get(i) == Some(&b'.') {
        i += 1;
        spec.precision = Some(number(&mut i));
    }
    if i != span {
        return Err(bad());
    }
    Ok((spec, pos + span + 1))
}

/// Appends `prefix` and `body` padded to the spec's width. `zero_ok` says
/// whether the `0` flag applies (it pads between prefix and body).
fn pad(spec: &Spec, prefix: &[u8], body: &[u8], zero_ok: bool, out: &mut Vec<u8>) {
    let len = prefix.len() + body.len();
    let fill = spec.width.saturating_sub(len);
    if spec.minus {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if spec.zero && zero_ok {
        out.extend_from_slice(prefix);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body);
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
}

fn sign_prefix(spec: &Spec, negative: bool) -> &'static [u8] {
    if negative {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    }
}

/// Formats an integer for `d i u o x X c`.
pub fn format_int(spec: &Spec, i: i64, out: &mut Vec<u8>) {
    if matches!(spec.conv, b'd' | b'i') && spec.precision.is_none() {
        // The common case, without building a string first.
        let mut buf = [0; 20];
        let digits = decimal(i.unsigned_abs(), &mut buf);
        return pad(spec, sign_prefix(spec, i < 0), digits, true, out);
    }
    let u = i as u64;
    let (prefix, mut digits): (&[u8], String) = match spec.conv {
        b'c' => return pad(spec, b"", &[i as u8], false, out),
        b'd' | b'i' => (sign_prefix(spec, i < 0), i.unsigned_abs().to_string()),
        b'o' => (b"", format!("{u:o}")),
        b'x' => (
            if spec.hash && u != 0 { b"0x" } else { b"" },
            format!("{u:x}"),
        ),
        b'X' => (
            if spec.hash && u != 0 { b"0X" } else { b"" },
            format!("{u:X}"),
        ),
        _ => (b"", u.to_string()),
    };
    if let Some(p) = spec.precision {
        if p == 0 && u == 0 {
            digits.clear();
        }
        if digits.len() < p {
            digits.insert_str(0, &"0".repeat(p - digits.len()));
        }
    }
    if spec.conv == b'o' && spec.hash && !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    pad(
        spec,
        prefix,
        digits.as_bytes(),
        spec.precision.is_none(),
        out,
    );
}

/// The decimal digits of `n`, written at the end of `buf`.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// Formats a float for `a A e E f g G`.
pub fn format_float(spec: &Spec, f: f64, out: &mut Vec<u8>) {
    let upper = spec.conv.is_ascii_uppercase();
    let prefix = sign_prefix(spec, f.is_sign_negative());
    let x = f.abs();
    if !x.is_finite() {
        let word = match (x.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        return pad(spec, prefix, word, false, out);
    }
    let mut body = match spec.conv.to_ascii_lowercase() {
        b'a' => return hex_float(spec, x, prefix, upper, out),
        b'e' => exp_form(x, spec.precision.unwrap_or(6), spec.hash),
        b'f' => fixed_form(x, spec.precision.unwrap_or(6), spec.hash),
        _ => general_form(x, spec.precision.unwrap_or(6), spec.hash),
    };
    if upper {
        body.make_ascii_uppercase();
    }
    pad(spec, prefix, body.as_bytes(), true, out);
}

/// Exact decimal digits of `x` rounded to `prec` places after the first
/// significant digit: returns (mantissa "d.ddd", decimal exponent).
fn sci_parts(x: f64, prec: usize) -> (String, i32) {
    // Rust's formatting is exact and rounds ties to even, like glibc.
    let s = format!("{x:.prec$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    (m.to_string(), e.parse().unwrap_or(0))
}

fn exp_form(x: f64, prec: usize, hash: bool) -> String {
    let (mut m, e) = sci_parts(x, prec);
    if hash && prec == 0 {
        m.push('.');
    }
    let sign = if e < 0 { '-' } else { '+' };
    format!("{m}e{sign}{:02}", e.unsigned_abs())
}

fn fixed_form(x: f64, prec: usize, hash: bool) -> String {
    let mut s = format!("{x:.prec$}");
    if hash && prec == 0 {
        s.push('.');
    }
    s
}

fn general_form(x: f64, prec: usize, hash: bool) -> String {
    let p = prec.max(1);
    let (_, e) = sci_parts(x, p - 1);
    let e = i64::from(e);
    let mut s = if e < -4 || e >= p as i64 {
        exp_form(x, p - 1, hash)
    } else {
        fixed_form(x, (p as i64 - 1 - e) as usize, hash)
    };
    if !hash {
        strip_fraction_zeros(&mut s);
    }
    s
}

/// Removes trailing zeros of the fraction (and a bare point), keeping any
/// exponent suffix.
fn strip_fraction_zeros(s: &mut String) {
    let exp_at = s.find('e').unwrap_or(s.len());
    let (mant, exp) = s.split_at(exp_at);
    if !mant.contains('.') {
        return;
    }
    let kept = mant.trim_end_matches('0').trim_end_matches('.');
    *s = format!("{kept}{exp}");
}

/// glibc-style `%a`: normalised `1.xxx`, subnormals as `0.xxxp-1022`, ties
/// rounded to even, a carry may produce a leading `2`.
fn hex_float(spec: &Spec, x: f64, sign: &[u8], upper: bool, out: &mut Vec<u8>) {
    let bits = x.to_bits();
    let biased = (bits >> 52) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (lead, exp) = match (biased, frac) {
        (0, 0) => (0u64, 0i64),
        (0, _) => (0, -1022),
        _ => (1, biased - 1023),
    };
    let full = (lead << 52) | frac; // 13 hex digits of fraction
    let (value, ndigits) = match spec.precision {
        Some(p) if p < 13 => {
            let shift = (13 - p) * 4;
            let kept = full >> shift;
            let rem = full & ((1u64 << shift) - 1);
            let half = 1u64 << (shift - 1);
            let up = rem > half || (rem == half && kept & 1 == 1);
            (kept + u64::from(up), p)
        }
        Some(p) => (full, p),
        None => {
            let mut n = 13;
            let mut v = full;
            while n > 0 && v & 0xf == 0 {
                v >>= 4;
                n -= 1;
            }
            (v, n)
        }
    };
    let digits_in_value = ndigits.min(13);
    let lead_digit = value >> (digits_in_value * 4);
    let mut body = format!("{lead_digit:x}");
    if ndigits > 0 || spec.hash {
        body.push('.');
    }
    if digits_in_value > 0 {
        let fr = value & ((1u64 << (digits_in_value * 4)) - 1);
        body.push_str(&format!("{fr:0w$x}", w = digits_in_value));
    }
    body.extend(std::iter::repeat_n('0', ndigits - digits_in_value));
    body.push_str(&format!("p{exp:+}"));
    let mut prefix = sign.to_vec();
    prefix.extend_from_slice(b"0x");
    if upper {
        body.make_ascii_uppercase();
        prefix.make_ascii_uppercase();
    }
    pad(spec, &prefix, body.as_bytes(), true, out);
}

/// Formats a string for `s` (precision truncates). Errors with Lua's message
/// when a modified spec meets a string with embedded zeros.
pub fn format_str(spec: &Spec, s: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let plain = spec.width == 0 && spec.precision.is_none() && !spec.minus;
    if plain {
        out.extend_from_slice(s);
        return Ok(());
    }
    if s.contains(&0) {
        return Err("string contains zeros".into());
    }
    let n = spec.precision.map_or(s.len(), |p| p.min(s.len()));
    pad(spec, b"", &s[..n], false, out);
    Ok(())
}

/// Appends `s` quoted as `%q` does: reloadable by the Lua lexer.
pub fn quote_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'"' | b'\\' | b'\n' => out.extend_from_slice(&[b'\\', b]),
            0..=31 | 127 => {
                let next_digit = s.get(i + 1).is_some_and(u8::is_ascii_digit);
                let code = if next_digit {
                    format!("\\{b:03}")
                } else {
                    format!("\\{b}")
                };
                out.extend_from_slice(code.as_bytes());
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Appends a float as `%q` does: hex float, `1e9999`, `-1e9999` or `(0/0)`.
pub fn quote_float(f: f64, out: &mut Vec<u8>) {
    if f.is_nan() {
        out.extend_from_slice(b"(0/0)");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"1e9999" } else { b"-1e9999" });
    } else {
        let spec = Spec {
            conv: b'a',
            ..Spec::default()
        };
        format_float(&spec, f, out);
    }
}

/// Appends an integer as `%q` does (mininteger in hex so it reads back).
pub fn quote_int(i: i64, out: &mut Vec<u8>) {
    if i == i64::MIN {
        out.extend_from_slice(b"0x8000000000000000");
    } else {
        crate::text::number::fmt_int(i, out);
    }
}

#[cfg(test)]
mod tests;
