//! Expectations generated with PUC-Rio Lua 5.4.4; results are rendered as
//! hex strings, errors as `arg N: msg` or the plain message.

use super::*;
use crate::text::printf::{format_float, Spec};

#[derive(Debug)]
enum Arg {
    I(i64),
    F(f64),
    S(&'static [u8]),
}
use Arg::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn show_err(e: PackError) -> String {
    match e {
        PackError::Plain(m) => String::from_utf8_lossy(&m).into_owned(),
        PackError::Arg(n, m) => format!("arg {n}: {m}"),
    }
}

fn run_pack(fmt: &[u8], args: &[Arg]) -> String {
    let mut next = |kind: ArgKind, n: usize| {
        let a = args
            .get(n - 2)
            .ok_or(PackError::Arg(n, "no value".into()))?;
        Ok(match (kind, a) {
            (_, I(i)) => PackValue::Int(*i),
            (_, F(f)) => PackValue::Float(*f),
            (_, S(s)) => PackValue::Str(s.to_vec()),
        })
    };
    pack(fmt, usize::MAX, &mut next).map_or_else(show_err, |v| hex(&v))
}

fn run_unpack(fmt: &[u8], data: &[u8], pos: usize) -> String {
    match unpack(fmt, data, pos - 1) {
        Err(e) => show_err(e),
        Ok((vals, next)) => {
            let mut parts: Vec<String> = vals
                .into_iter()
                .map(|v| match v {
                    PackValue::Int(i) => i.to_string(),
                    PackValue::Float(f) => {
                        let mut out = Vec::new();
                        format_float(&Spec::general(17), f, &mut out);
                        String::from_utf8(out).unwrap()
                    }
                    PackValue::Str(s) => hex(&s),
                })
                .collect();
            parts.push((next + 1).to_string());
            parts.join(" ")
        }
    }
}

const PACKS: &[(&[u8], &[Arg], &str)] = &[
    (b"y", &[I(1)], "invalid format option 'y'"),
    (b"i17", &[I(1)], "integral size (17) out of limits [1,16]"),
    (b"i0", &[I(1)], "integral size (0) out of limits [1,16]"),
    (b"Xz", &[I(1)], "arg 1: invalid next option for option 'X'"),
    (b"X", &[I(1)], "arg 1: invalid next option for option 'X'"),
    (b"Xc1", &[I(1)], "arg 1: invalid next option for option 'X'"),
    (b"!3i4", &[I(1)], "arg 1: format asks for alignment not power of 2"),
    (b"!4i3", &[I(1)], "arg 1: format asks for alignment not power of 2"),
    (b"c", &[S(b"a")], "missing size for format option 'c'"),
    (b"b", &[I(200)], "arg 2: integer overflow"),
    (b"B", &[I(-1)], "arg 2: unsigned overflow"),
    (b"B", &[I(256)], "arg 2: unsigned overflow"),
    (b"s1", &[S(b"")], "00"),
    (b"z", &[S(b"a\x00b")], "arg 2: string contains zeros"),
    (b"c2", &[S(b"abc")], "arg 2: string longer than given size"),
    (b"i", &[F(1.5)], "arg 2: number has no integer representation"),
    (b"i3", &[I(8388608)], "arg 2: integer overflow"),
    (b"i3", &[I(-8388608)], "000080"),
    (b"I3", &[I(-1)], "arg 2: unsigned overflow"),
    (b"I16", &[I(-1)], "ffffffffffffffff0000000000000000"),
    (b"i16", &[I(-5)], "fbffffffffffffffffffffffffffffff"),
    (b"<i2 >i2", &[I(-129), I(5)], "7fff0005"),
    (b">i3 <I2 =h !4 b i4 s1 z x d f n j c5 i16 I9", &[I(-2), I(513), I(-3), I(7), I(100000), S(b"hi"), S(b"zs"), F(1.5), F(0.25), F(3.0), I(-9223372036854775808), S(b"ab"), I(-5), I(258)], "fffffe0102fdff07a08601000268697a73000000000000000000f83f0000803e000000000000084000000000000000806162000000000000fbffffffffffffffffffffffffffffff020100000000000000"),
    (b"!8 b i8", &[I(1), I(2)], "01000000000000000200000000000000"),
    (b"!2 b Xh", &[I(1)], "0100"),
    (b"Xx", &[I(1)], ""),
    (b"bXs2", &[I(1)], "01"),
    (b"b!2h", &[I(1), I(2)], "01000200"),
    (b">j", &[I(1)], "0000000000000001"),
    (b"<T", &[I(7)], "0700000000000000"),
    (b">f", &[F(-0.5)], "bf000000"),
    (b">d", &[F(f64::INFINITY)], "7ff0000000000000"),
    (b"s2", &[S(b"abc")], "0300616263"),
    (b"c0", &[S(b"")], ""),
    (b"xxb", &[I(1)], "000001"),
    (b"!4 b Xi8 b", &[I(1), I(2)], "0100000002"),
    (b"i9", &[I(-9223372036854775808)], "0000000000000080ff"),
    (b"I9", &[I(-9223372036854775808)], "000000000000008000"),
];
const UNPACKS: &[(&[u8], &[u8], usize, &str)] = &[
    (b"i4", b"abc", 1, "arg 2: data string too short"),
    (b"z", b"abc", 1, "arg 2: unfinished string for format 'z'"),
    (b"s1", b"\x05abc", 1, "arg 2: data string too short"),
    (b"i16", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, "-1 17"),
    (b"i16", b"\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00", 1, "16-byte integer does not fit into Lua Integer"),
    (b"I9", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 1, "9-byte integer does not fit into Lua Integer"),
    (b"i9", b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 1, "9-byte integer does not fit into Lua Integer"),
    (b"i", b"abcd", 6, "arg 3: initial position out of string"),
    (b"i", b"abcd", 3, "arg 2: data string too short"),
    (b"i", b"abcd", 5, "arg 2: data string too short"),
    (b"c0", b"", 1, " 1"),
    (b"c3", b"ab", 1, "arg 2: data string too short"),
    (b"z", b"ab\x00c", 1, "6162 4"),
    (b"<i2 >i2", b"\xff\x7f\xff\x7f", 1, "32767 -129 5"),
    (b"<i3", b"\xff\xff\xff", 1, "-1 4"),
    (b"<I3", b"\xff\xff\xff", 1, "16777215 4"),
    (b">i3 <I2 =h !4 b i4 s1 z x d f n j c5 i16 I9", b"\xff\xff\xfe\x01\x02\xfd\xff\x07\xa0\x86\x01\x00\x02hizs\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf8?\x00\x00\x80>\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x00\x80ab\x00\x00\x00\x00\x00\x00\xfb\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x01\x00\x00\x00\x00\x00\x00\x00", 1, "-2 513 -3 7 100000 6869 7a73 1.5 0.25 3 -9223372036854775808 6162000000 -5 258 82"),
    (b"!4 b Xi4 i4", b"\x01\x00\x00\x00\x02\x00\x00\x00", 1, "1 2 9"),
    (b"bb", b"\x01\x02", 2, "arg 2: data string too short"),
    (b"i9", b"\x00\x00\x00\x00\x00\x00\x00\x00\x01", 1, "9-byte integer does not fit into Lua Integer"),
    (b"<s2", b"\x03\x00ab", 1, "arg 2: data string too short"),
    (b">f", b"\xbf\x00\x00\x00", 1, "-0.5 5"),
];
const SIZES: &[(&[u8], &str)] = &[
    (b"!8 b i8", "16"),
    (b"!b d", "16"),
    (b"! b d", "16"),
    (b"b Xi4", "1"),
    (b"bXi16", "1"),
    (b"!16 b Xi16", "16"),
    (b"<!4 i2 i8", "12"),
    (b"!4 i3", "arg 1: format asks for alignment not power of 2"),
    (b"!2 b Xh", "2"),
    (b"Xx", "0"),
    (b"bXs2", "1"),
    (b"!!", "0"),
    (b"!", "0"),
    (b"b!2h", "4"),
    (b" ", "0"),
    (b"<>=", "0"),
    (b"i16", "16"),
    (b"j", "8"),
    (b"T", "8"),
    (b"l", "8"),
    (b"n", "8"),
    (b"f", "4"),
    (b"!4 bXd", "4"),
    (b"!bXd", "8"),
    (b"bXb", "1"),
    (b"!8bXj", "8"),
    (b"!17", "integral size (17) out of limits [1,16]"),
    (
        b"c1000000000c1000000000c1000000000",
        "arg 1: format result too large",
    ),
    (b"i0", "integral size (0) out of limits [1,16]"),
    (b"x", "1"),
    (b"s", "arg 1: variable-length format"),
    (b"z", "arg 1: variable-length format"),
    (b"c2147483647c1", "invalid format option '7'"),
    (b"c99999999999", "invalid format option '9'"),
    (b"c", "missing size for format option 'c'"),
    (b"c214748364", "214748364"),
    (b"c2147483640c2147483640", "invalid format option '0'"),
    (b"X", "arg 1: invalid next option for option 'X'"),
    (b"Xi", "0"),
    (b"i", "4"),
];

#[test]
fn pack_matches_lua() {
    for (fmt, args, want) in PACKS {
        assert_eq!(
            run_pack(fmt, args),
            *want,
            "{:?}",
            String::from_utf8_lossy(fmt)
        );
    }
    let long = vec![b'x'; 256];
    let mut next = |_, _| Ok(PackValue::Str(long.clone()));
    let e = pack(b"s1", usize::MAX, &mut next).unwrap_err();
    assert_eq!(
        show_err(e),
        "arg 2: string length does not fit in given size"
    );
}

#[test]
fn unpack_matches_lua() {
    for (fmt, data, pos, want) in UNPACKS {
        assert_eq!(
            run_unpack(fmt, data, *pos),
            *want,
            "{:?}",
            String::from_utf8_lossy(fmt)
        );
    }
}

#[test]
fn packsize_matches_lua() {
    for (fmt, want) in SIZES {
        let got = packsize(fmt).map_or_else(show_err, |n| n.to_string());
        assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(fmt));
    }
}

#[test]
fn huge_results_are_refused() {
    let mut next = |_, _| Ok(PackValue::Str(Vec::new()));
    let e = pack(b"c2000000000", 1 << 20, &mut next).unwrap_err();
    assert_eq!(show_err(e), "arg 1: format result too large");
}
