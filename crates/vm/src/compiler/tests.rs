//! Compiler tests: tokens, messages, code shapes, debug info, robustness.

use super::debuginfo::{describe_called_function, describe_register};
use super::opcode::OpCode;
use super::proto::{Constant, Proto};
use super::{chunk_id, compile};
use crate::text::fuzz::Rng;

fn ok(src: &str) -> Proto {
    match compile(src.as_bytes(), b"=t") {
        Ok(p) => p,
        Err(e) => panic!("{src}: {}", e.message),
    }
}

fn err(src: &str) -> String {
    match compile(src.as_bytes(), src.as_bytes()) {
        Ok(_) => panic!("{src}: compiled"),
        Err(e) => e.message,
    }
}

fn ops(p: &Proto) -> Vec<OpCode> {
    p.code.iter().map(|i| i.op()).collect()
}

#[test]
fn numbers_and_strings() {
    let p = ok("return 3, 0x10, 0xffffffffffffffff, 9223372036854775808, 0x1p4, 0x.8, 1e2, 'a\\x41\\65\\u{48}\\z
        b', [==[
x]]==]");
    let k = &p.constants;
    assert!(k.contains(&Constant::Number(9223372036854775808.0)));
    assert!(k.contains(&Constant::Number(0.5)));
    assert!(k.contains(&Constant::String(b"aAAHb".to_vec().into())));
    assert!(k.contains(&Constant::String(b"x]".to_vec().into())));
    // 0xff..ff wraps to -1 and fits LOADI; 0x1p4 and 1e2 are integral floats (LOADF).
    let loadi: Vec<i32> = p
        .code
        .iter()
        .filter(|i| i.op() == OpCode::LoadI)
        .map(|i| i.sbx())
        .collect();
    assert_eq!(loadi, vec![3, 16, -1]);
    let loadf: Vec<i32> = p
        .code
        .iter()
        .filter(|i| i.op() == OpCode::LoadF)
        .map(|i| i.sbx())
        .collect();
    assert_eq!(loadf, vec![16, 100]);
}

#[test]
fn line_counting() {
    let p = ok("local a = 1\r\nlocal b = 2\n\rlocal c = 3\n\nreturn a");
    assert_eq!(p.local_vars.len(), 3);
    assert_eq!(*p.line_info.last().unwrap_or(&0), 5);
}

#[test]
fn syntax_error_messages() {
    let cases = [
        ("x = = 1", "[string \"x = = 1\"]:1: unexpected symbol near '='"),
        ("x = 'abc", "[string \"x = 'abc\"]:1: unfinished string near <eof>"),
        ("x = \"abc\ny\"", "[string \"x = \"abc...\"]:1: unfinished string near '\"abc'"),
        ("x = 3x", "[string \"x = 3x\"]:1: malformed number near '3x'"),
        ("for i do end", "[string \"for i do end\"]:1: '=' or 'in' expected near 'do'"),
        ("f(", "[string \"f(\"]:1: unexpected symbol near <eof>"),
        ("do break end", "[string \"do break end\"]:1: break outside loop at line 1"),
        ("goto l", "[string \"goto l\"]:1: no visible label 'l' for <goto> at line 1"),
        ("::a:: ::a::", "[string \"::a:: ::a::\"]:1: label 'a' already defined on line 1"),
        ("local x <const> = 1; x = 2", "[string \"local x <const> = 1; x = 2\"]:1: attempt to assign to const variable 'x'"),
        ("local a <close>, b <close> = 1", "[string \"local a <close>, b <close> = 1\"]:1: multiple to-be-closed variables in local list"),
        ("local a <foo> = 1", "[string \"local a <foo> = 1\"]:1: unknown attribute 'foo'"),
        ("function f() return ... end", "[string \"function f() return ... end\"]:1: cannot use '...' outside a vararg function near '...'"),
        ("x = '\\q'", "[string \"x = '\\q'\"]:1: invalid escape sequence near ''\\q'"),
        ("x = [[abc", "[string \"x = [[abc\"]:1: unfinished long string (starting at line 1) near <eof>"),
        ("return return", "[string \"return return\"]:1: unexpected symbol near 'return'"),
        ("return 1;;", "[string \"return 1;;\"]:1: <eof> expected near ';'"),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src}");
    }
    let e = compile(b"local function f()\n  x = 1\n", b"@test.lua")
        .err()
        .map(|e| e.message);
    assert_eq!(
        e.as_deref(),
        Some("test.lua:3: 'end' expected (to close 'function' at line 1) near <eof>")
    );
}

#[test]
fn goto_rules() {
    assert!(err("do goto l; local z = 1; ::l:: print(z) end")
        .ends_with("<goto l> at line 1 jumps into the scope of local 'z'"));
    // A label at the end of a block is outside the scope of the block's locals.
    ok("do goto l; local z = 1; ::l:: end");
    ok("repeat local x; goto e; ::e:: until x");
    ok("for i = 1, 3 do if i == 2 then goto continue end ::continue:: end");
    ok("::top:: do goto top end");
    assert!(err("::l1:: do ::l1:: end").contains("label 'l1' already defined on line 1"));
    assert!(err("for i = 1, 2 do ::l:: end goto l").contains("no visible label 'l'"));
}

#[test]
fn jump_out_of_scope_closes_upvalues() {
    let p = ok("while true do local x = 1; f = function() return x end; if x then break end end");
    assert!(ops(&p).contains(&OpCode::Close));
}

#[test]
fn constant_folding() {
    let p = ok("return 2^3*4 + (7 // 2) - 1");
    assert!(!ops(&p)
        .iter()
        .any(|o| matches!(o, OpCode::Pow | OpCode::Mul | OpCode::Add)));
    // Division by zero and NaN-producing folds are left to run time.
    assert!(
        ops(&ok("return 1 // 0")).contains(&OpCode::IDivK)
            || ops(&ok("return 1 // 0")).contains(&OpCode::IDiv)
    );
    assert!(ops(&ok("return 0/0"))
        .iter()
        .any(|o| matches!(o, OpCode::Div | OpCode::DivK)));
    assert!(ops(&ok("return 1 % 0"))
        .iter()
        .any(|o| matches!(o, OpCode::Mod | OpCode::ModK)));
    // Compile-time constants are folded through <const> locals.
    let p = ok("local N <const> = 10; return N * 2");
    assert_eq!(
        p.code
            .iter()
            .find(|i| i.op() == OpCode::LoadI)
            .map(|i| i.sbx()),
        Some(20)
    );
    // 1 and 1.0 are distinct constants.
    let p = ok("local t = {}; t[100000] = 1; t[100000.5] = 1.0; return 100000, 100000.0");
    assert!(p.constants.contains(&Constant::Integer(100000)));
    assert!(p.constants.contains(&Constant::Number(100000.0)));
}

#[test]
fn comparisons_use_immediates() {
    let p = ok("local x = ...; if x < 3 then end; if 1 < x then end; if x == 'a' then end; if x == 2 then end");
    let o = ops(&p);
    for want in [OpCode::LtI, OpCode::GtI, OpCode::EqK, OpCode::EqI] {
        assert!(o.contains(&want), "{want:?}");
    }
}

#[test]
fn tail_calls_and_returns() {
    let p = ok("local function f(x) return f(x) end");
    assert!(ops(&p.protos[0]).contains(&OpCode::TailCall));
    let p = ok("local function f(x) local c <close> = x; return f(x) end");
    let o = ops(&p.protos[0]);
    assert!(!o.contains(&OpCode::TailCall) && o.contains(&OpCode::Tbc));
    assert!(p.protos[0]
        .code
        .iter()
        .any(|i| i.op() == OpCode::Return && i.k()));
    let main = ok("return 1");
    assert!(main.is_vararg && main.code[0].op() == OpCode::VarArgPrep);
    assert_eq!(main.upvalues[0].name.as_ref(), b"_ENV");
    assert!(main.upvalues[0].in_stack);
}

#[test]
fn set_list_batches() {
    let items: Vec<String> = (0..120).map(|i| i.to_string()).collect();
    let p = ok(&format!("return {{{}, ...}}", items.join(",")));
    let lists: Vec<(usize, usize)> = p
        .code
        .iter()
        .filter(|i| i.op() == OpCode::SetList)
        .map(|i| (i.b(), i.c()))
        .collect();
    assert_eq!(lists, vec![(50, 0), (50, 50), (0, 100)]);
}

#[test]
fn names_for_error_messages() {
    let p = ok("local t = {}; return t.a.b, undefinedglobal.x, t:m(), t[1].x");
    let desc = |reg_pc: (usize, usize)| describe_register(&p, reg_pc.1, reg_pc.0);
    let find = |op: OpCode, nth: usize| {
        p.code
            .iter()
            .enumerate()
            .filter(|(_, i)| i.op() == op)
            .nth(nth)
            .map(|(pc, _)| pc)
            .unwrap_or(0)
    };
    // t.a.b: the second GETFIELD indexes the result of t.a
    let pc = find(OpCode::GetField, 1);
    assert_eq!(desc((p.code[pc].b(), pc)), Some(("field", b"a".to_vec())));
    let pc = find(OpCode::GetField, 0);
    assert_eq!(desc((p.code[pc].b(), pc)), Some(("local", b"t".to_vec())));
    let pc = find(OpCode::GetField, 2);
    assert_eq!(
        desc((p.code[pc].b(), pc)),
        Some(("global", b"undefinedglobal".to_vec()))
    );
    let pc = find(OpCode::Call, 0);
    assert_eq!(
        describe_called_function(&p, pc),
        Some(("method", b"m".to_vec()))
    );
    let pc = find(OpCode::GetField, 3);
    assert_eq!(
        desc((p.code[pc].b(), pc)),
        Some(("field", b"integer index".to_vec()))
    );
    let p2 = ok("local u = 1; return function() return u[1], undefinedfn() end");
    let f = &p2.protos[0];
    let pc = f
        .code
        .iter()
        .position(|i| i.op() == OpCode::GetI)
        .unwrap_or(0);
    assert_eq!(
        describe_register(f, pc, f.code[pc].b()),
        Some(("upvalue", b"u".to_vec()))
    );
    let pc = f
        .code
        .iter()
        .position(|i| i.op() == OpCode::Call)
        .unwrap_or(0);
    assert_eq!(
        describe_called_function(f, pc),
        Some(("global", b"undefinedfn".to_vec()))
    );
    let p3 = ok("for k in next, {} do end");
    let pc = p3
        .code
        .iter()
        .position(|i| i.op() == OpCode::TForCall)
        .unwrap_or(0);
    assert_eq!(
        describe_called_function(&p3, pc),
        Some(("for iterator", b"for iterator".to_vec()))
    );
}

#[test]
fn chunk_ids() {
    assert_eq!(chunk_id(b"=stdin"), b"stdin");
    assert_eq!(chunk_id(b"@f.lua"), b"f.lua");
    assert_eq!(chunk_id(b"x = 1"), b"[string \"x = 1\"]");
    assert_eq!(chunk_id(b"x\ny"), b"[string \"x...\"]");
    let s44 = [b'x'; 44];
    assert_eq!(chunk_id(&s44).len(), 44 + 11);
    let s45 = [b'x'; 45];
    assert!(chunk_id(&s45).ends_with(b"...\"]"));
    let long = [b"@".as_slice(), &[b'd'; 100]].concat();
    let id = chunk_id(&long);
    assert!(id.starts_with(b"...") && id.len() == 59);
}

#[test]
fn limits() {
    let locals: Vec<String> = (0..201).map(|i| format!("local v{i} = {i}")).collect();
    assert!(err(&locals.join("\n"))
        .contains("too many local variables (limit is 200) in main function"));
    let deep = format!("x = {}1{}", "(".repeat(300), ")".repeat(300));
    assert!(err(&deep).contains("C stack overflow"));
    let deep = format!("x = {}{}", "{".repeat(300), "}".repeat(300));
    assert!(err(&deep).contains("C stack overflow"));
    ok(&format!("x = {}1{}", "(".repeat(100), ")".repeat(100)));
    // Close to the limit, the parser's recursion must still fit a 2 MB test-thread stack.
    ok(&format!("x = {}{}", "{".repeat(190), "}".repeat(190)));
    ok(&format!("x = {}1{}", "-(".repeat(95), ")".repeat(95)));
    ok(&format!("{}{}", "do ".repeat(190), "end ".repeat(190)));
    ok(&format!(
        "{}{}",
        "f = function() ".repeat(95),
        "end ".repeat(95)
    ));
    let many: Vec<String> = (0..300).map(|i| format!("a{i}")).collect();
    assert!(err(&format!("f({})", many.join(", "))).contains("too many registers"));
}

#[test]
fn arbitrary_input_never_panics() {
    let seeds: &[&[u8]] = &[
        b"local t = {1, 2, x = 3, [4] = 5, f(...)} for i = 1, #t do t[i] = t[i] .. 'x' end",
        b"local function f(a, ...) local b <const> = 2; goto l; ::l:: return a and b or f(...) end",
        b"while x do repeat local y <close> = z until y > 1 and not y end if a then elseif b then else end",
        b"x = 0x1p4 + 1e-3 // 2 ~ 3 << 4 >> 5 & 6 | 7 .. [==[s]==] .. '\\u{48}\\x41\\z  '",
        b"for k, v in pairs(t) do t.a.b:c(k)(v){}'s' end return ...",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"()[]{}<>=~+-*/%^#&|.,;:'\"\\ \n\tabcxyz0123456789_ localfunctionendifthen";
    for round in 0..3000 {
        let base = seeds[round % seeds.len()];
        let mut s = base.to_vec();
        match rng.next() % 4 {
            0 => s.truncate((rng.next() as usize) % (s.len() + 1)),
            1 => {
                for _ in 0..(rng.next() % 5 + 1) {
                    let p = rng.next() as usize % (s.len() + 1);
                    s.insert(p, alphabet[rng.next() as usize % alphabet.len()]);
                }
            }
            2 => {
                for _ in 0..(rng.next() % 5 + 1) {
                    if !s.is_empty() {
                        let p = rng.next() as usize % s.len();
                        s[p] = rng.next() as u8;
                    }
                }
            }
            _ => {
                let n = rng.next() % 64;
                s = (0..n).map(|_| rng.next() as u8).collect();
            }
        }
        let _ = compile(&s, b"=fuzz");
    }
}
