//! Deterministic random inputs through every entry point: nothing may panic.

use super::*;

/// xorshift64 generator (the compiler's robustness tests use it too).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A short string drawn from `alphabet`.
    fn text(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let n = self.next() as usize % (max + 1);
        (0..n)
            .map(|_| alphabet[self.next() as usize % alphabet.len()])
            .collect()
    }
}

#[test]
fn no_panics_on_random_input() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut go = || true;
    for _ in 0..20_000 {
        let s = rng.text(b"0123456789abcdefxXpPeE.+- \t\0n", 12);
        let _ = number::str_to_number(&s);
        let _ = number::str_to_int_base(&s, (rng.next() % 40) as u32);

        let f = f64::from_bits(rng.next());
        let i = rng.next() as i64;
        let fmt = rng.text(b"%-+ #0123456789.diuxXoceEfgGaAsqpz", 8);
        if let Ok((spec, _)) = printf::parse_spec(&fmt, 1) {
            let mut out = Vec::new();
            printf::format_int(&spec, i, &mut out);
            printf::format_float(&spec, f, &mut out);
            let _ = printf::format_str(&spec, &s, &mut out);
        }
        let mut out = Vec::new();
        number::fmt_float(f, &mut out);
        printf::quote_float(f, &mut out);
        printf::quote_string(&s, &mut out);

        let subject = rng.text(b"ab()[]%. \0", 16);
        let pat = rng.text(b"ab()[]%^$*+-?.bfd1230", 10);
        let repl = rng.text(b"%0129a", 4);
        let mut g = pattern::GlobalMatcher::new(&subject, &pat, 0, true);
        for _ in 0..20 {
            match g.next(&mut go) {
                Ok(Some((_, m))) => {
                    let _ = m.results();
                    let _ = pattern::expand_replacement(&repl, &m, &subject, &mut out);
                }
                _ => break,
            }
        }

        let pfmt = rng.text(b"<>=!bBhHlLjJTiInfdszxXc 0123456789", 8);
        let data = rng.text(b"\0\x01\x7f\x80\xff", 24);
        let _ = pack::packsize(&pfmt);
        let _ = pack::unpack(&pfmt, &data, rng.next() as usize % 30);
        let mut next = |k: pack::ArgKind, _| {
            Ok(match k {
                pack::ArgKind::Int => pack::PackValue::Int(i),
                pack::ArgKind::Float => pack::PackValue::Float(f),
                pack::ArgKind::Str => pack::PackValue::Str(data.clone()),
            })
        };
        let _ = pack::pack(&pfmt, 1 << 16, &mut next);

        if let Some(tm) = time::tm_from_epoch(i >> (rng.next() % 64)) {
            let tfmt = rng.text(b"%aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZEOq", 6);
            let _ = time::strftime(&tfmt, &tm, "UTC", &mut out);
        }
        let d = time::DateFields {
            year: (i >> 33),
            month: (rng.next() as i64) >> 33,
            day: (rng.next() as i64) >> 33,
            hour: (rng.next() as i64) >> 33,
            min: (rng.next() as i64) >> 33,
            sec: (rng.next() as i64) >> 33,
            isdst: None,
        };
        let _ = time::epoch_from_tm(&d);

        let _ = utf8::decode(&data, rng.next() & 1 == 0);
        utf8::encode(rng.next() as u32, &mut out);
    }
}
