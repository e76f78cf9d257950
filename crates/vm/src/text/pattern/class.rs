//! C-locale character classes of patterns (`%a`, `%D`...) and a fast
//! byte search, both by table lookup / word-at-a-time scanning.

const ALPHA: u16 = 1 << 0;
const CNTRL: u16 = 1 << 1;
const DIGIT: u16 = 1 << 2;
const GRAPH: u16 = 1 << 3;
const LOWER: u16 = 1 << 4;
const PUNCT: u16 = 1 << 5;
const SPACE: u16 = 1 << 6;
const UPPER: u16 = 1 << 7;
const ALNUM: u16 = 1 << 8;
const XDIGIT: u16 = 1 << 9;
const ZERO: u16 = 1 << 10;
/// In `CLASS_OF`: the class letter is upper case (the complement).
const NEGATE: u16 = 1 << 15;

/// The classes each byte belongs to.
static PROPS: [u16; 256] = props();
/// For each class letter (either case), its class bit (0: not a class).
static CLASS_OF: [u16; 256] = class_of();

const fn props() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut m = 0;
        if c.is_ascii_alphabetic() {
            m |= ALPHA;
        }
        if c.is_ascii_control() {
            m |= CNTRL;
        }
        if c.is_ascii_digit() {
            m |= DIGIT;
        }
        if c.is_ascii_graphic() {
            m |= GRAPH;
        }
        if c.is_ascii_lowercase() {
            m |= LOWER;
        }
        if c.is_ascii_punctuation() {
            m |= PUNCT;
        }
        // C's isspace: the same set as `text::number::is_space`.
        if matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            m |= SPACE;
        }
        if c.is_ascii_uppercase() {
            m |= UPPER;
        }
        if c.is_ascii_alphanumeric() {
            m |= ALNUM;
        }
        if c.is_ascii_hexdigit() {
            m |= XDIGIT;
        }
        if c == 0 {
            m |= ZERO; // `%z`: deprecated, still accepted by 5.4
        }
        t[i] = m;
        i += 1;
    }
    t
}

const fn class_of() -> [u16; 256] {
    let mut t = [0u16; 256];
    let letters: [(u8, u16); 11] = [
        (b'a', ALPHA),
        (b'c', CNTRL),
        (b'd', DIGIT),
        (b'g', GRAPH),
        (b'l', LOWER),
        (b'p', PUNCT),
        (b's', SPACE),
        (b'u', UPPER),
        (b'w', ALNUM),
        (b'x', XDIGIT),
        (b'z', ZERO),
    ];
    let mut i = 0;
    while i < letters.len() {
        let (l, bit) = letters[i];
        t[l as usize] = bit;
        t[l.to_ascii_uppercase() as usize] = bit | NEGATE;
        i += 1;
    }
    t
}

/// Whether `c` matches `%cl`; an unknown class letter matches itself.
#[inline]
pub fn match_class(c: u8, cl: u8) -> bool {
    let class = CLASS_OF[usize::from(cl)];
    if class == 0 {
        return cl == c;
    }
    (PROPS[usize::from(c)] & class != 0) != (class & NEGATE != 0)
}

/// Offset of the first `byte` in `hay` (a hand-written memchr: eight bytes
/// at a time).
pub fn find_byte(byte: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(byte);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        // Flags the zero bytes of x; the lowest flag is always exact.
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(base + found.trailing_zeros() as usize / 8);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == byte)
        .map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C-locale definition the tables encode.
    fn reference(c: u8, cl: u8) -> bool {
        let res = match cl.to_ascii_lowercase() {
            b'a' => c.is_ascii_alphabetic(),
            b'c' => c.is_ascii_control(),
            b'd' => c.is_ascii_digit(),
            b'g' => c.is_ascii_graphic(),
            b'l' => c.is_ascii_lowercase(),
            b'p' => c.is_ascii_punctuation(),
            b's' => crate::text::number::is_space(c),
            b'u' => c.is_ascii_uppercase(),
            b'w' => c.is_ascii_alphanumeric(),
            b'x' => c.is_ascii_hexdigit(),
            b'z' => c == 0,
            _ => return cl == c,
        };
        res != cl.is_ascii_uppercase()
    }

    #[test]
    fn classes_match_the_c_locale() {
        for cl in 0..=255u8 {
            for c in 0..=255u8 {
                assert_eq!(match_class(c, cl), reference(c, cl), "%{} {c}", cl as char);
            }
        }
    }

    #[test]
    fn find_byte_finds_the_first_occurrence() {
        let hay: Vec<u8> = (0..40u8).map(|i| i % 7 + 1).collect();
        for start in 0..hay.len() {
            for b in 0..=9 {
                let want = hay[start..].iter().position(|&c| c == b);
                assert_eq!(find_byte(b, &hay[start..]), want);
            }
        }
    }
}
