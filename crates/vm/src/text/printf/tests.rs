//! Expectations generated with `string.format` of PUC-Rio Lua 5.4.4 (glibc).

use super::*;

enum Arg {
    I(i64),
    F(f64),
    S(&'static [u8]),
}
use Arg::*;

/// Formats a one-spec format string (with literal text after the spec).
fn run(fmt: &str, arg: &Arg) -> Vec<u8> {
    let fmt = fmt.as_bytes();
    let (spec, end) = parse_spec(fmt, 1).unwrap();
    let mut out = Vec::new();
    match *arg {
        I(i) => format_int(&spec, i, &mut out),
        F(f) => format_float(&spec, f, &mut out),
        S(s) => format_str(&spec, s, &mut out).unwrap(),
    }
    out.extend_from_slice(&fmt[end..]);
    out
}

const CASES: &[(&str, Arg, &[u8])] = &[
    ("%d", I(5), b"5"),
    ("%+d", I(5), b"+5"),
    ("% d", I(5), b" 5"),
    ("%-5d|", I(5), b"5    |"),
    ("%05d", I(-5), b"-0005"),
    ("%.3d", I(5), b"005"),
    ("%#x", I(255), b"0xff"),
    ("%#o", I(8), b"010"),
    ("%x", I(-1), b"ffffffffffffffff"),
    ("%-3c|", I(65), b"A  |"),
    ("%c", I(256), b"\x00"),
    ("%#e", F(f64::from_bits(0x3ff0000000000000)), b"1.000000e+00"),
    ("%+.3e", F(f64::from_bits(0x3ff8000000000000)), b"+1.500e+00"),
    ("%#g", F(f64::from_bits(0x3ff0000000000000)), b"1.00000"),
    ("%#a", F(f64::from_bits(0x3ff0000000000000)), b"0x1.p+0"),
    ("%+a", F(f64::from_bits(0x3ff0000000000000)), b"+0x1p+0"),
    ("%5.1a", F(f64::from_bits(0x3ff0000000000000)), b"0x1.0p+0"),
    ("%-5s|", S(b"ab"), b"ab   |"),
    ("%.1s", S(b"ab"), b"a"),
    ("%99d", I(1), b"                                                                                                  1"),
    ("%.99f", F(f64::from_bits(0x3ff0000000000000)), b"1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
    ("%i", I(3), b"3"),
    ("%5.3i", I(3), b"  003"),
    ("%010.3f|", F(f64::from_bits(0xfff0000000000000)), b"      -inf|"),
    ("%010.3f|", F(f64::from_bits(0x7ff8000000000000)), b"       nan|"),
    ("%E", F(f64::from_bits(0x7ff0000000000000)), b"INF"),
    ("%G", F(f64::from_bits(0xfff8000000000000)), b"-NAN"),
    ("%A", F(f64::from_bits(0x3ff8000000000000)), b"0X1.8P+0"),
    ("%a", F(f64::from_bits(0x8000000000000000)), b"-0x0p+0"),
    ("%a", F(f64::from_bits(0x12688b70e62b)), b"0x0.012688b70e62bp-1022"),
    ("%.0a", F(f64::from_bits(0x3ff8000000000000)), b"0x2p+0"),
    ("%.0a", F(f64::from_bits(0x4004000000000000)), b"0x1p+1"),
    ("%.1a", F(f64::from_bits(0x3fff800000000000)), b"0x2.0p+0"),
    ("%A", F(f64::from_bits(0x7ff0000000000000)), b"INF"),
    ("%.0f", F(f64::from_bits(0x3fe0000000000000)), b"0"),
    ("%.0f", F(f64::from_bits(0x3ff8000000000000)), b"2"),
    ("%.0f", F(f64::from_bits(0x4004000000000000)), b"2"),
    ("%.3g", F(f64::from_bits(0x3ee4f8b588e368f1)), b"1e-05"),
    ("%g", F(f64::from_bits(0x40f86a0000000000)), b"100000"),
    ("%g", F(f64::from_bits(0x430c6bf526340000)), b"1e+15"),
    ("%g", F(f64::from_bits(0x4341c37937e08000)), b"1e+16"),
    ("%.14g", F(f64::from_bits(0x3fb999999999999a)), b"0.1"),
    ("%g", F(f64::from_bits(0x3f1a36e2eb1c432d)), b"0.0001"),
    ("%g", F(f64::from_bits(0x3ee4f8b588e368f1)), b"1e-05"),
    ("%#.3g", F(f64::from_bits(0x3ff0000000000000)), b"1.00"),
    ("%g", F(f64::from_bits(0x0)), b"0"),
    ("%e", F(f64::from_bits(0x0)), b"0.000000e+00"),
    ("%.20e", F(f64::from_bits(0x3fb999999999999a)), b"1.00000000000000005551e-01"),
    ("%5.0e|", F(f64::from_bits(0x3ff0000000000000)), b"1e+00|"),
    ("% 5d|", I(1), b"    1|"),
    ("%-+5d|", I(2), b"+2   |"),
    ("%+-5d|", I(3), b"+3   |"),
    ("%0-5d|", I(4), b"4    |"),
    ("%-#10x|", I(255), b"0xff      |"),
    ("%#X", I(255), b"0XFF"),
    ("%#x", I(0), b"0"),
    ("%#o", I(0), b"0"),
    ("%.0d|", I(0), b"|"),
    ("%#.0o", I(0), b"0"),
    ("%#.0e", F(f64::from_bits(0x3ff0000000000000)), b"1.e+00"),
    ("%#.0f", F(f64::from_bits(0x3ff0000000000000)), b"1."),
    ("%--5d|", I(1), b"1    |"),
    ("%+ d", I(1), b"+1"),
    ("% +d", I(1), b"+1"),
    ("%#-x", I(1), b"0x1"),
    ("%.d", I(7), b"7"),
    ("%5.f", F(f64::from_bits(0x3ff8000000000000)), b"    2"),
    ("%0x", I(1), b"1"),
    ("%05.3x", I(1), b"  001"),
    ("%#05x", I(1), b"0x001"),
    ("%-#5o|", I(1), b"01   |"),
    ("%s", S(b"a\x00b"), b"a\x00b"),
    ("%-.3s|", S(b"abcdef"), b"abc|"),
    ("%010.3e", F(f64::from_bits(0xbff8000000000000)), b"-1.500e+00"),
    ("%+g", F(f64::from_bits(0x7ff8000000000000)), b"+nan"),
    ("% f", F(f64::from_bits(0x7ff0000000000000)), b" inf"),
    ("%-8f|", F(f64::from_bits(0x7ff0000000000000)), b"inf     |"),
    ("%#x", I(-1), b"0xffffffffffffffff"),
    ("%#.3a", F(f64::from_bits(0x3fd5555555555555)), b"0x1.555p-2"),
    ("%.13a", F(f64::from_bits(0x3fb999999999999a)), b"0x1.999999999999ap-4"),
    ("%.14a", F(f64::from_bits(0x3fb999999999999a)), b"0x1.999999999999a0p-4"),
    ("%.20a", F(f64::from_bits(0x3fb999999999999a)), b"0x1.999999999999a0000000p-4"),
    ("%.0a", F(f64::from_bits(0x0)), b"0x0p+0"),
    ("%.2a", F(f64::from_bits(0x7e8)), b"0x0.00p-1022"),
    ("%.0a", F(f64::from_bits(0x7e8)), b"0x0p-1022"),
    ("%05.1f", F(f64::from_bits(0x8000000000000000)), b"-00.0"),
    ("%g", F(f64::from_bits(0x419d6f3454000000)), b"1.23457e+08"),
    ("%.0g", F(f64::from_bits(0x3fe0000000000000)), b"0.5"),
    ("%.0g", F(f64::from_bits(0x405ec00000000000)), b"1e+02"),
    ("%#.0g", F(f64::from_bits(0x3ff0000000000000)), b"1."),
    ("%g", F(f64::from_bits(0x1a56e1fc2f8f359)), b"1e-300"),
    ("%.99g", F(f64::from_bits(0x3fb999999999999a)), b"0.1000000000000000055511151231257827021181583404541015625"),
    ("%#g", F(f64::from_bits(0x0)), b"0.00000"),
    ("%#g", F(f64::from_bits(0x4415af1d78b58c40)), b"1.00000e+20"),
    ("%g", F(f64::from_bits(0x1)), b"4.94066e-324"),
    ("%.3f", F(f64::from_bits(0x4000010624dd2f1b)), b"2.001"),
    ("%.2f", F(f64::from_bits(0x3fc0000000000000)), b"0.12"),
    ("%.2f", F(f64::from_bits(0x3fd8000000000000)), b"0.38"),
    ("%.2e", F(f64::from_bits(0x3ff2000000000000)), b"1.12e+00"),
    ("%e", F(f64::from_bits(0x1)), b"4.940656e-324"),
    ("%f", F(f64::from_bits(0x7e37e43c8800759c)), b"1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000"),
    ("%.1a", F(f64::from_bits(0x3ff2800000000000)), b"0x1.2p+0"),
    ("%.1a", F(f64::from_bits(0x3ff3800000000000)), b"0x1.4p+0"),
    ("%.1a", F(f64::from_bits(0x3ff2810000000000)), b"0x1.3p+0"),
    ("%.0a", F(f64::from_bits(0x3ff7ff0000000000)), b"0x1p+0"),
    ("%#.0a", F(f64::from_bits(0x4008000000000000)), b"0x2.p+1"),
    ("%.2a", F(f64::from_bits(0x7fefff0000000000)), b"0x2.00p+1023"),
    ("%.3A", F(f64::from_bits(0x12688b70e62b)), b"0X0.012P-1022"),
    ("%020a|", F(f64::from_bits(0x3ff8000000000000)), b"0x0000000000001.8p+0|"),
    ("%-12a|", F(f64::from_bits(0x4000000000000000)), b"0x1p+1      |"),
    ("%+012.2a|", F(f64::from_bits(0xc008000000000000)), b"-0x001.80p+1|"),
    ("% a", F(f64::from_bits(0x3fe0000000000000)), b" 0x1p-1"),
    ("%u", I(-1), b"18446744073709551615"),
    ("%5u", I(3), b"    3"),
    ("%-05u|", I(3), b"3    |"),
    ("%.3u", I(3), b"003"),
    ("%0u", I(3), b"3"),
    ("%.99e", F(f64::from_bits(0x7e37e43c8800759c)), b"1.000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864e+300"),
    ("%99.99g", F(f64::from_bits(0x81a56e1fc2f8f359)), b"-1.0000000000000000250590918352087596856961468077037052499253423199004660431840514846763028121819501e-300"),
    ("%g", F(f64::from_bits(0x7ff0000000000000)), b"inf"),
    ("%.15g", F(f64::from_bits(0x3fb999999999999a)), b"0.1"),
    ("%.17g", F(f64::from_bits(0x3fb999999999999a)), b"0.10000000000000001"),
    ("%g", F(f64::from_bits(0x3ee9e0fcaf9380fc)), b"1.234e-05"),
    ("%G", F(f64::from_bits(0x3ddb7cdfd9d7bdbb)), b"1E-10"),
    ("%g", F(f64::from_bits(0x412e847f00000000)), b"1e+06"),
    ("%g", F(f64::from_bits(0x416312cf60000000)), b"1e+07"),
    ("%.1f", F(f64::from_bits(0x3fa999999999999a)), b"0.1"),
    ("%.1f", F(f64::from_bits(0x3fd0000000000000)), b"0.2"),
    ("%.1f", F(f64::from_bits(0x3fd6666666666666)), b"0.3"),
    ("%+.0e", F(f64::from_bits(0xc023000000000000)), b"-1e+01"),
    ("%e", F(f64::from_bits(0x1a56e1fc2f8f359)), b"1.000000e-300"),
    ("%08.2f", F(f64::from_bits(0xc00921f9f01b866e)), b"-0003.14"),
    ("%+08d", I(42), b"+0000042"),
    ("% 08d", I(42), b" 0000042"),
    ("%8.3d|", I(-42), b"    -042|"),
    ("%-8.3x|", I(42), b"02a     |"),
    ("%o", I(-1), b"1777777777777777777777"),
    ("%X", I(-1), b"FFFFFFFFFFFFFFFF"),
    ("%d", I(-9223372036854775808), b"-9223372036854775808"),
    ("%i", I(9223372036854775807), b"9223372036854775807"),
];

#[test]
fn matches_lua() {
    for (fmt, arg, want) in CASES {
        assert_eq!(
            String::from_utf8_lossy(&run(fmt, arg)),
            String::from_utf8_lossy(want),
            "{fmt}"
        );
    }
}

#[test]
fn spec_errors() {
    let err = |f: &str| parse_spec(f.as_bytes(), 1).unwrap_err();
    assert_eq!(err("%#d"), "invalid conversion specification: '%#d'");
    assert_eq!(err("%+x"), "invalid conversion specification: '%+x'");
    assert_eq!(err("%05c"), "invalid conversion specification: '%05c'");
    assert_eq!(err("%.2c"), "invalid conversion specification: '%.2c'");
    assert_eq!(err("%05s"), "invalid conversion specification: '%05s'");
    assert_eq!(err("%100d"), "invalid conversion specification: '%100d'");
    assert_eq!(err("%.100f"), "invalid conversion specification: '%.100f'");
    assert_eq!(err("%.3.3f"), "invalid conversion specification: '%.3.3f'");
    assert_eq!(err("%..d"), "invalid conversion specification: '%..d'");
    assert_eq!(err("% u"), "invalid conversion specification: '% u'");
    assert_eq!(err("%123"), "invalid conversion '%123' to 'format'");
    assert_eq!(err("%y"), "invalid conversion '%y' to 'format'");
    assert_eq!(err("%"), "invalid conversion '%' to 'format'");
    assert_eq!(err("%F"), "invalid conversion '%F' to 'format'");
    assert_eq!(err("%1$d"), "invalid conversion '%1$' to 'format'");
    assert_eq!(err("%---------------------d"), "invalid format (too long)");
    assert!(parse_spec(b"%--------------------d", 1).is_ok());
    assert_eq!(err("%5.q"), "specifier '%q' cannot have modifiers");
    assert_eq!(err("%-q"), "specifier '%q' cannot have modifiers");
    let spec = parse_spec(b"%.1s", 1).unwrap().0;
    assert_eq!(
        format_str(&spec, b"a\0b", &mut Vec::new()).unwrap_err(),
        "string contains zeros"
    );
}

#[test]
fn quoting() {
    let mut out = Vec::new();
    quote_string(b"a\x001\r\n\"\\\x01x\x012\x80\x7f", &mut out);
    assert_eq!(out, b"\"a\\0001\\13\\\n\\\"\\\\\\1x\\0012\x80\\127\"");
    let q = |f: f64| {
        let mut v = Vec::new();
        quote_float(f, &mut v);
        String::from_utf8(v).unwrap()
    };
    assert_eq!(q(1.5), "0x1.8p+0");
    assert_eq!(q(1.0), "0x1p+0");
    assert_eq!(q(-0.0), "-0x0p+0");
    assert_eq!(q(0.1), "0x1.999999999999ap-4");
    assert_eq!(q(1e100), "0x1.249ad2594c37dp+332");
    assert_eq!(q(f64::INFINITY), "1e9999");
    assert_eq!(q(f64::NEG_INFINITY), "-1e9999");
    assert_eq!(q(f64::NAN), "(0/0)");
    let mut v = Vec::new();
    quote_int(i64::MIN, &mut v);
    v.push(b' ');
    quote_int(255, &mut v);
    assert_eq!(v, b"0x8000000000000000 255");
}
