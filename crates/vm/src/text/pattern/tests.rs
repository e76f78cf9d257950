//! Expectations generated with PUC-Rio Lua 5.4.4 (`string.find`, `match`,
//! `gsub`, `gmatch`), rendered as their results joined by spaces.

use super::*;

fn go() -> bool {
    true
}

fn render_caps(subject: &[u8], caps: Vec<Capture>, out: &mut Vec<String>) {
    for c in caps {
        out.push(match c {
            // High bytes render as '?' so expectations stay ASCII.
            Capture::Str(a, e) => subject[a..e]
                .iter()
                .map(|&b| if b < 128 { char::from(b) } else { '?' })
                .collect(),
            Capture::Pos(p) => (p + 1).to_string(),
        });
    }
}

fn lua_find(s: &[u8], p: &[u8], init: usize) -> Result<Vec<String>, PatternError> {
    let init = init - 1;
    if !has_specials(p) {
        return Ok(match find_plain(s, p, init) {
            Some(i) => vec![(i + 1).to_string(), (i + p.len()).to_string()],
            None => vec!["nil".into()],
        });
    }
    let Some(m) = find(s, p, init, &mut go)? else {
        return Ok(vec!["nil".into()]);
    };
    let mut out = vec![(m.start + 1).to_string(), m.end.to_string()];
    let caps = (0..m.capture_count())
        .map(|i| m.capture(i))
        .collect::<Result<Vec<_>, _>>()?;
    render_caps(s, caps, &mut out);
    Ok(out)
}

fn lua_match(s: &[u8], p: &[u8]) -> Result<Vec<String>, PatternError> {
    let Some(m) = find(s, p, 0, &mut go)? else {
        return Ok(vec!["nil".into()]);
    };
    let mut out = Vec::new();
    render_caps(s, m.results()?, &mut out);
    Ok(out)
}

fn lua_gsub(s: &[u8], p: &[u8], r: &[u8], max: Option<usize>) -> Result<Vec<String>, PatternError> {
    let mut g = GlobalMatcher::new(s, p, 0, true);
    let mut out = Vec::new();
    let mut n = 0;
    while max.is_none_or(|m| n < m) {
        let Some((from, m)) = g.next(&mut go)? else {
            break;
        };
        out.extend_from_slice(&s[from..m.start]);
        expand_replacement(r, &m, s, &mut out)?;
        n += 1;
    }
    out.extend_from_slice(&s[g.rest_start()..]);
    Ok(vec![
        String::from_utf8_lossy(&out).into_owned(),
        n.to_string(),
    ])
}

fn lua_gmatch(s: &[u8], p: &[u8], init: usize) -> String {
    let mut g = GlobalMatcher::new(s, p, init - 1, false);
    let mut items = Vec::new();
    while let Some((_, m)) = g.next(&mut go).unwrap() {
        let mut out = Vec::new();
        render_caps(s, m.results().unwrap(), &mut out);
        items.push(out.join(" "));
    }
    items.join("|")
}

fn show(r: Result<Vec<String>, PatternError>) -> String {
    match r {
        Ok(v) => v.join(" "),
        Err(e) => format!("error: {e}"),
    }
}

const FINDS: &[(&[u8], &[u8], usize, &str)] = &[
    (b"a", b"%1", 1, "error: invalid capture index %1"),
    (b"a", b"%0", 1, "error: invalid capture index %0"),
    (b"a", b"(a)%2", 1, "error: invalid capture index %2"),
    (b"a", b"(a%1)", 1, "error: invalid capture index %1"),
    (b"a", b"(a", 1, "error: unfinished capture"),
    (b"a", b"a)", 1, "nil"),
    (b"a", b"%", 1, "error: malformed pattern (ends with '%')"),
    (b"", b"a%", 1, "nil"),
    (b"a", b"[a", 1, "error: malformed pattern (missing ']')"),
    (b"a", b"[]", 1, "error: malformed pattern (missing ']')"),
    (b"a", b"[^]", 1, "error: malformed pattern (missing ']')"),
    (b"a", b"%b", 1, "error: malformed pattern (missing arguments to '%b')"),
    (b"a", b"%ba", 1, "error: malformed pattern (missing arguments to '%b')"),
    (b"a", b"%f", 1, "error: missing '[' after '%f' in pattern"),
    (b"a", b"%fa", 1, "error: missing '[' after '%f' in pattern"),
    (b"a", b"(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)", 1, "nil"),
    (b"aaa", b"(((a)))", 1, "1 1 a a a"),
    (b"a]b", b"[]]", 1, "2 2"),
    (b"a-b", b"[a-]", 2, "2 2"),
    (b"THE (quick) fox", b"%((%a+)%)", 1, "5 11 quick"),
    (b"x", b"()x()", 1, "1 1 1 2"),
    (b"aaa", b"a-$", 1, "1 3"),
    (b"abc", b"%f[%w]%w+", 1, "1 3"),
    (b"a.b", b"%.", 1, "2 2"),
    (b"a$b", b"$b", 1, "2 3"),
    (b"ab", b"b$", 1, "2 2"),
    (b"[[x]]", b"%b[]", 1, "1 5"),
    (b"hello world", b"o w", 1, "5 7"),
    (b"hello", b"l+", 1, "3 4"),
    (b"hello", b"l*", 4, "4 4"),
    (b"hello", b"", 10, "nil"),
    (b"hello", b"", 6, "6 5"),
    (b"hello", b"^h", 2, "nil"),
    (b"hello", b"^e", 2, "2 2"),
    (b"hello", b"o$", 1, "5 5"),
    (b"a+b", b"+", 1, "2 2"),
    (b"a+b", b"a+b", 1, "nil"),
    (b"x = 10, y = 20", b"(%w+)%s*=%s*(%d+)", 1, "1 6 x 10"),
    (b"  trim  ", b"^%s*(.-)%s*$", 1, "1 8 trim"),
    (b"abc123def", b"%d+", 1, "4 6"),
    (b"abc", b"[%a-z]+", 1, "1 3"),
    (b"a-z", b"[a%-z]+", 1, "1 3"),
    (b"ABCabc", b"[^%l]+", 1, "1 3"),
    (b"ABCabc", b"%U+", 1, "4 6"),
    (b"a\x00b", b"%z", 1, "2 2"),
    (b"a\x00b", b"[%z]", 1, "2 2"),
    (b"hello", b"(h)(e)(l)(l)(o)", 1, "1 5 h e l l o"),
    (b"f(a(b)c)d", b"%b()", 1, "2 8"),
    (b"f(a(b c)d", b"%b()", 1, "4 8"),
    (b"THE (quick) fox", b"%f[%a]%a+", 5, "6 10"),
    (b"the end", b"%f[%z]", 1, "8 7"),
    (b"ab", b"%f[%l]", 1, "1 0"),
    (b"x\xffy", b"[\xc8-\xff]", 1, "2 2"),
    (b"abab", b"(ab)%1", 1, "1 4 ab"),
    (b"abac", b"(ab)%1", 1, "nil"),
    (b"aa", b"(a)%1()", 1, "1 2 a 3"),
    (b"aa", b"()%1", 1, "nil"),
    (b"a.b-c", b"[.-]", 1, "2 2"),
    (b"a^b", b"[b^]", 1, "2 2"),
    (b"a^b", b"[^^]+", 1, "1 1"),
    (b"a]", b"[]a]+", 1, "1 2"),
    (b"a%", b"[%%]", 1, "2 2"),
    (b"key=val", b"(.-)=(.*)", 1, "1 7 key val"),
    (b"aaab", b"a-b", 1, "1 4"),
    (b"aaab", b"a*b", 1, "1 4"),
    (b"aaa", b"a?a?a?a?", 1, "1 3"),
    (b"xyz", b"x?y?z?w?", 1, "1 3"),
    (b"0x1F", b"%x+", 3, "3 4"),
    (b"\x09\n ", b"%s+", 1, "1 3"),
    (b"!@#", b"%p+", 1, "1 3"),
    (b"abc", b"%g+", 1, "1 3"),
    (b"\x01\x02", b"%c+", 1, "1 2"),
    (b"abc", b"%w%W", 1, "nil"),
    (b"ab cd", b"%w%W", 1, "2 3"),
    (b"a", b"[a-]", 1, "1 1"),
    (b"-", b"[a-]", 1, "1 1"),
    (b"b", b"[a-c]", 1, "1 1"),
    (b"b", b"[c-a]", 1, "nil"),
    (b"%", b"[%]", 1, "error: malformed pattern (missing ']')"),
    (b"abc", b"(()b())", 1, "2 2 b 2 3"),
    (b"abc", b".-(b)", 1, "1 2 b"),
    (b"", b"^$", 1, "1 0"),
    (b"", b"$", 1, "1 0"),
    (b"a", b"^", 1, "1 0"),
    (b"abc", b"[%]]", 1, "nil"),
    (b"a", b"%f[a]", 1, "1 0"),
];
const MATCHES: &[(&[u8], &[u8], &str)] = &[
    (b"a", b"%1", "error: invalid capture index %1"),
    (b"a", b"%0", "error: invalid capture index %0"),
    (b"a", b"(a)%2", "error: invalid capture index %2"),
    (b"a", b"(a%1)", "error: invalid capture index %1"),
    (b"a", b"(a", "error: unfinished capture"),
    (b"a", b"a)", "error: invalid pattern capture"),
    (b"a", b"%", "error: malformed pattern (ends with '%')"),
    (b"", b"a%", "nil"),
    (b"a", b"[a", "error: malformed pattern (missing ']')"),
    (b"a", b"[]", "error: malformed pattern (missing ']')"),
    (b"a", b"[^]", "error: malformed pattern (missing ']')"),
    (b"a", b"%b", "error: malformed pattern (missing arguments to '%b')"),
    (b"a", b"%ba", "error: malformed pattern (missing arguments to '%b')"),
    (b"a", b"%f", "error: missing '[' after '%f' in pattern"),
    (b"a", b"%fa", "error: missing '[' after '%f' in pattern"),
    (b"a", b"(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)", "nil"),
    (b"aaa", b"(((a)))", "a a a"),
    (b"a]b", b"[]]", "]"),
    (b"THE (quick) fox", b"%((%a+)%)", "quick"),
    (b"x", b"()x()", "1 2"),
    (b"aaa", b"a-$", "aaa"),
    (b"abc", b"%f[%w]%w+", "abc"),
    (b"a.b", b"%.", "."),
    (b"a$b", b"$b", "$b"),
    (b"ab", b"b$", "b"),
    (b"[[x]]", b"%b[]", "[[x]]"),
    (b"hello world", b"o w", "o w"),
    (b"hello", b"l+", "ll"),
    (b"hello", b"o$", "o"),
    (b"a+b", b"a+b", "nil"),
    (b"x = 10, y = 20", b"(%w+)%s*=%s*(%d+)", "x 10"),
    (b"  trim  ", b"^%s*(.-)%s*$", "trim"),
    (b"abc123def", b"%d+", "123"),
    (b"abc", b"[%a-z]+", "abc"),
    (b"a-z", b"[a%-z]+", "a-z"),
    (b"ABCabc", b"[^%l]+", "ABC"),
    (b"ABCabc", b"%U+", "abc"),
    (b"a\x00b", b"%z", "\x00"),
    (b"a\x00b", b"[%z]", "\x00"),
    (b"hello", b"(h)(e)(l)(l)(o)", "h e l l o"),
    (b"f(a(b)c)d", b"%b()", "(a(b)c)"),
    (b"f(a(b c)d", b"%b()", "(b c)"),
    (b"the end", b"%f[%z]", ""),
    (b"ab", b"%f[%l]", ""),
    (b"x\xffy", b"[\xc8-\xff]", "?"),
    (b"abab", b"(ab)%1", "ab"),
    (b"abac", b"(ab)%1", "nil"),
    (b"aa", b"(a)%1()", "a 3"),
    (b"aa", b"()%1", "nil"),
    (b"a.b-c", b"[.-]", "."),
    (b"a^b", b"[b^]", "^"),
    (b"a^b", b"[^^]+", "a"),
    (b"a]", b"[]a]+", "a]"),
    (b"a%", b"[%%]", "%"),
    (b"key=val", b"(.-)=(.*)", "key val"),
    (b"aaab", b"a-b", "aaab"),
    (b"aaab", b"a*b", "aaab"),
    (b"aaa", b"a?a?a?a?", "aaa"),
    (b"xyz", b"x?y?z?w?", "xyz"),
    (b"\x09\n ", b"%s+", "\x09\n "),
    (b"!@#", b"%p+", "!@#"),
    (b"abc", b"%g+", "abc"),
    (b"\x01\x02", b"%c+", "\x01\x02"),
    (b"abc", b"%w%W", "nil"),
    (b"ab cd", b"%w%W", "b "),
    (b"a", b"[a-]", "a"),
    (b"-", b"[a-]", "-"),
    (b"b", b"[a-c]", "b"),
    (b"b", b"[c-a]", "nil"),
    (b"%", b"[%]", "error: malformed pattern (missing ']')"),
    (b"abc", b"(()b())", "b 2 3"),
    (b"abc", b".-(b)", "b"),
    (b"", b"^$", ""),
    (b"", b"$", ""),
    (b"a", b"^", ""),
    (b"abc", b"[%]]", "nil"),
    (b"a", b"%f[a]", ""),
];
/// (subject, pattern, replacement, max count, expected).
type GsubCase = (
    &'static [u8],
    &'static [u8],
    &'static [u8],
    Option<usize>,
    &'static str,
);
const GSUBS: &[GsubCase] = &[
    (
        b"abc",
        b"(b)",
        b"%2",
        None,
        "error: invalid capture index %2",
    ),
    (b"abc", b"b", b"%1", None, "abc 1"),
    (b"abc", b"b", b"%2", None, "error: invalid capture index %2"),
    (
        b"abc",
        b"b",
        b"%x",
        None,
        "error: invalid use of '%' in replacement string",
    ),
    (
        b"abc",
        b"b",
        b"x%",
        None,
        "error: invalid use of '%' in replacement string",
    ),
    (b"abc", b"()", b"%1", None, "1a2b3c4 4"),
    (b"abc", b"(b", b"%0", None, "abc 1"),
    (b"abc", b"(b", b"%1", None, "error: unfinished capture"),
    (b"hello world", b"o*", b"-", None, "-h-e-l-l- -w-r-l-d- 10"),
    (b"abc", b"", b"-", None, "-a-b-c- 4"),
    (b"abc", b"^", b"-", None, "-abc 1"),
    (b"abc", b"b*", b"X", None, "XaXcX 3"),
    (b"hello world", b"(%w+)", b"<%1>", None, "<hello> <world> 2"),
    (
        b"hello world",
        b"%w+",
        b"%0 %0",
        None,
        "hello hello world world 2",
    ),
    (b"abc", b"%w", b"%%", None, "%%% 3"),
    (b"hello", b"l", b"L", Some(1), "heLlo 1"),
    (b"hello", b"l", b"L", Some(0), "hello 0"),
    (b"abc", b"^a", b"x", None, "xbc 1"),
    (b"aaa", b"^a", b"x", None, "xaa 1"),
    (b"abc", b"$", b"!", None, "abc! 1"),
    (b"a,b,,c", b",", b";", None, "a;b;;c 3"),
    (b"one two", b"(%w+) (%w+)", b"%2 %1", None, "two one 1"),
    (b"abc", b".-", b"-", None, "-a-b-c- 4"),
    (b"abc", b"x*", b"-", None, "-a-b-c- 4"),
    (b"", b"", b"x", None, "x 1"),
    (b"", b"x*", b"y", None, "y 1"),
    (b"abc", b"(a)(b)(c)", b"%3%2%1%0", None, "cbaabc 1"),
];
const GMATCHES: &[(&[u8], &[u8], usize, &str)] = &[
    (b"hello world from lua", b"%a+", 1, "hello|world|from|lua"),
    (b"^a^a", b"^a", 1, "^a|^a"),
    (b"abc", b"", 1, "|||"),
    (b"k=v, x=y", b"(%w+)=(%w+)", 1, "k v|x y"),
    (b"abc", b"()", 1, "1|2|3|4"),
    (b"aaa", b"a*", 1, "aaa"),
    (b"a,b,,c", b"([^,]*)", 1, "a|b||c"),
    (b"hello", b"l", 4, "l"),
];

#[test]
fn find_matches_lua() {
    for &(s, p, init, want) in FINDS {
        assert_eq!(show(lua_find(s, p, init)), want, "{:?} {:?}", s, p);
    }
}

#[test]
fn match_matches_lua() {
    for &(s, p, want) in MATCHES {
        assert_eq!(show(lua_match(s, p)), want, "{:?} {:?}", s, p);
    }
}

#[test]
fn gsub_matches_lua() {
    for &(s, p, r, max, want) in GSUBS {
        assert_eq!(show(lua_gsub(s, p, r, max)), want, "{:?} {:?}", s, p);
    }
}

#[test]
fn gmatch_matches_lua() {
    for &(s, p, init, want) in GMATCHES {
        assert_eq!(lua_gmatch(s, p, init), want, "{:?} {:?}", s, p);
    }
}

#[test]
fn depth_limits_match_lua() {
    let s = "a".repeat(300);
    let cases = [
        ("a?".repeat(300), "error: pattern too complex"),
        ("a?".repeat(200), "error: pattern too complex"),
        ("a?".repeat(199), "1 199"),
        (
            "(a)".repeat(20) + &"a?".repeat(180),
            "error: pattern too complex",
        ),
        ("a*".repeat(200), "1 300"),
        ("a-".repeat(200), "error: pattern too complex"),
        ("a-".repeat(199), "1 0"),
        ("a".repeat(250), "1 250"),
    ];
    for (p, want) in cases {
        assert_eq!(show(lua_find(s.as_bytes(), p.as_bytes(), 1)), want, "{p}");
    }
    let caps = show(lua_find(s.as_bytes(), "(a)".repeat(32).as_bytes(), 1));
    assert_eq!(caps, format!("1 32{}", " a".repeat(32)));
    let too_many = show(lua_find(s.as_bytes(), "(a)".repeat(33).as_bytes(), 1));
    assert_eq!(too_many, "error: too many captures");
}

#[test]
fn budget_interrupts_catastrophic_pattern() {
    let s = "a".repeat(100_000);
    let p = "a*".repeat(100) + "b";
    let mut calls = 0;
    let mut budget = || {
        calls += 1;
        calls < 1000
    };
    let r = find(s.as_bytes(), p.as_bytes(), 0, &mut budget);
    assert_eq!(r, Err(PatternError::Interrupted));
}
