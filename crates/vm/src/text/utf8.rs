//! UTF-8 decoding and encoding as Lua 5.4's `utf8` library does it: up to six
//! bytes for values up to 0x7FFFFFFF, overlong forms rejected.

/// Largest value the lax decoder and the encoder accept.
pub const MAX_UTF: u32 = 0x7FFF_FFFF;
/// Largest Unicode scalar value, the strict limit.
pub const MAX_UNICODE: u32 = 0x10_FFFF;
/// Lua's `utf8.charpattern`.
pub const CHAR_PATTERN: &[u8] = b"[\x00-\x7F\xC2-\xFD][\x80-\xBF]*";

/// Smallest value needing `n` continuation bytes (smaller is overlong).
const LIMITS: [u32; 6] = [0, 0x80, 0x800, 0x1_0000, 0x20_0000, 0x400_0000];

/// Whether `b` is a continuation byte (`10xxxxxx`).
pub fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Decodes the sequence starting at `s[0]`: (code point, length). `strict`
/// also rejects surrogates and values above 0x10FFFF.
pub fn decode(s: &[u8], strict: bool) -> Option<(u32, usize)> {
    let lead = *s.first()?;
    if lead < 0x80 {
        return Some((u32::from(lead), 1));
    }
    let count = (lead << 1).leading_ones() as usize; // continuation bytes
    if count == 0 || count > 5 {
        return None;
    }
    let mut res = u32::from(lead) & (0x3F >> count);
    for i in 1..=count {
        let cc = *s.get(i)?;
        if !is_continuation(cc) {
            return None;
        }
        res = (res << 6) | u32::from(cc & 0x3F);
    }
    if res < LIMITS[count] || res > MAX_UTF {
        return None;
    }
    if strict && (res > MAX_UNICODE || (0xD800..=0xDFFF).contains(&res)) {
        return None;
    }
    Some((res, count + 1))
}

/// Appends the encoding of `cp` (values above 0x7FFFFFFF are the caller's
/// "value out of range" error and are not encoded).
pub fn encode(cp: u32, out: &mut Vec<u8>) {
    if cp > MAX_UTF {
        return;
    }
    if cp < 0x80 {
        out.push(cp as u8);
        return;
    }
    let mut tail = [0u8; 6];
    let mut n = 0;
    let mut x = cp;
    let mut max_first = 0x3Fu32; // payload that still fits in the lead byte
    while x > max_first {
        tail[n] = 0x80 | (x & 0x3F) as u8;
        n += 1;
        x >>= 6;
        max_first >>= 1;
    }
    out.push(((!max_first << 1) | x) as u8);
    out.extend(tail[..n].iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_utf8_char() {
        let cases: &[(u32, &str)] = &[
            (0x0, "00"),
            (0x7f, "7f"),
            (0x80, "c280"),
            (0x7ff, "dfbf"),
            (0x800, "e0a080"),
            (0xffff, "efbfbf"),
            (0x10000, "f0908080"),
            (0x10ffff, "f48fbfbf"),
            (0x110000, "f4908080"),
            (0x1fffff, "f7bfbfbf"),
            (0x200000, "f888808080"),
            (0x3ffffff, "fbbfbfbfbf"),
            (0x4000000, "fc8480808080"),
            (0x7fffffff, "fdbfbfbfbfbf"),
            (0xd800, "eda080"),
        ];
        for &(cp, want) in cases {
            let mut out = Vec::new();
            encode(cp, &mut out);
            let got: String = out.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, want, "{cp:#x}");
            let len = out.len();
            assert_eq!(decode(&out, false), Some((cp, len)));
        }
    }

    #[test]
    fn decodes_like_utf8_codepoint() {
        // (bytes, strict result, lax result) from lua5.4 utf8.codepoint.
        let cases: &[(&[u8], Option<u32>, Option<u32>)] = &[
            (b"\xc0\x80", None, None),
            (b"\xc1\xbf", None, None),
            (b"\xc2\x80", Some(0x80), Some(0x80)),
            (b"\xe0\x80\x80", None, None),
            (b"\xe0\xa0\x80", Some(0x800), Some(0x800)),
            (b"\xed\xa0\x80", None, Some(0xd800)),
            (b"\xf4\x90\x80\x80", None, Some(0x110000)),
            (b"\xf0\x80\x80\x80", None, None),
            (b"\xf8\x88\x80\x80\x80", None, Some(0x200000)),
            (b"\xfc\x84\x80\x80\x80\x80", None, Some(0x4000000)),
            (b"\xfd\xbf\xbf\xbf\xbf\xbf", None, Some(0x7fffffff)),
            (b"\xfe\x80\x80\x80\x80\x80\x80", None, None),
            (b"\xff", None, None),
            (b"\x80", None, None),
            (b"\xc2", None, None),
            (b"\xc2\x41", None, None),
            (b"\xe2\x82", None, None),
            (b"\x41", Some(0x41), Some(0x41)),
            (b"\xf7\xbf\xbf\xbf", None, Some(0x1fffff)),
            (b"\xf8\x87\xbf\xbf\xbf", None, None),
        ];
        for &(s, strict, lax) in cases {
            assert_eq!(decode(s, true).map(|r| r.0), strict, "{s:x?}");
            assert_eq!(decode(s, false).map(|r| r.0), lax, "{s:x?}");
        }
        assert_eq!(decode(b"", false), None);
    }
}
