//! The string library, checked against the output of the reference
//! interpreter (`tests/lua/string/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{check_script, run, run_limited};
use lunarena_vm::Libs;

#[test]
fn basic_functions() {
    check_script(Libs::SAFE, "string/basic");
}

#[test]
fn dump_and_load() {
    check_script(Libs::ALL, "string/dump");
}

#[test]
fn binary_chunks_from_elsewhere_are_refused() {
    // A chunk that lua5.4 dumped loads (see tests/binary_chunks.rs).
    let puc = r#"\x1b\x4c\x75\x61\x54\x00\x19\x93\x0d\x0a\x1a\x0a\x04\x08\x08\x78\x56\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x77\x40\x01\x80\x80\x80\x00\x01\x02\x84\x51\x00\x00\x00\x01\x00\x00\x80\x46\x00\x02\x01\x46\x00\x01\x01\x80\x81\x01\x00\x00\x80\x80\x80\x80\x80"#;
    assert_eq!(run(&format!("print(load(\"{puc}\", '=puc')())")), "1\n");
    // One of ours: altered anywhere after its header (Lua 5.4's header,
    // then the magic, the length and the tag: 56 bytes), cut anywhere, or
    // with a byte more.
    let src = "local s = string.dump(function (a) return a + 1 end)
        local out = {}
        for i = 57, #s do
          local t = s:sub(1, i - 1) .. string.char((s:byte(i) + 1) % 256) .. s:sub(i + 1)
          local f, m = load(t, '=t')
          out[m] = (out[m] or 0) + 1
        end
        for i = 1, #s - 1 do
          local f, m = load(s:sub(1, i), '=t')
          out[m] = (out[m] or 0) + 1
        end
        local f, m = load(s .. 'x', '=t')
        out[m] = (out[m] or 0) + 1
        local keys = {}
        for k, n in pairs(out) do keys[#keys + 1] = k .. ' ' .. n end
        table.sort(keys)
        print(table.concat(keys, '; '), #s)
        print(load(s, '=t')(41))";
    let out = run(src);
    let (first, second) = out.split_once('\n').unwrap();
    let (msgs, len) = first.rsplit_once('\t').unwrap();
    let len: usize = len.parse().unwrap();
    assert_eq!(
        msgs,
        format!(
            "t: bad binary format (not dumped by this process) {}; \
             t: bad binary format (truncated chunk) {}",
            len - 56 + 1,
            len - 1
        )
    );
    assert_eq!(second, "42\n");
}

#[test]
fn patterns() {
    check_script(Libs::SAFE, "string/pattern");
}

#[test]
fn pattern_shortcuts() {
    check_script(Libs::SAFE, "string/pattern_shortcuts");
}

#[test]
fn format() {
    check_script(Libs::SAFE, "string/format");
}

#[test]
fn format_errors() {
    check_script(Libs::SAFE, "string/format_errors");
}

#[test]
fn pack_unpack() {
    check_script(Libs::SAFE, "string/pack");
}

#[test]
fn gsub_returns_the_subject_when_nothing_changed() {
    let src = "local s = string.rep('a', 100)
        local r1 = string.gsub(s, 'b', 'c')
        local r2 = string.gsub(s, '.', {x = 'y'})
        local r3 = string.gsub(s, '.', function() end)
        local r4 = string.gsub(s, 'a', 'a')
        local p = string.format('%p', s)
        print(string.format('%p', r1) == p, string.format('%p', r2) == p,
              string.format('%p', r3) == p, string.format('%p', r4) == p)";
    assert_eq!(run(src), "true\ttrue\ttrue\tfalse\n");
}

#[test]
fn pointers_are_hex_addresses() {
    let src = "local t = {}
        local p = string.format('%p', t)
        print(p:match('^0x%x+$') ~= nil, tostring(t):find(p:sub(3), 1, true) ~= nil)";
    assert_eq!(run(src), "true\ttrue\n");
}

#[test]
fn pattern_matching_is_stopped_by_the_instruction_limit() {
    // Exponential backtracking: would run for ages without the budget.
    // pcall does not catch the limit, whether it calls the native directly
    // or through a Lua function.
    let src = "local s = string.rep('a', 40)
        return pcall(function() return string.find(s, string.rep('a*', 40) .. 'b') end)";
    assert_eq!(run_limited(src, 2_000_000), "instruction limit reached");
    let src = "local s = string.rep('a', 40)
        return pcall(string.find, s, string.rep('a*', 40) .. 'b')";
    assert_eq!(run_limited(src, 2_000_000), "instruction limit reached");
    let src = "local s = string.rep('a', 30)
        for w in string.gmatch(s, string.rep('a*', 30) .. 'b') do end";
    assert_eq!(run_limited(src, 2_000_000), "instruction limit reached");
    let src = "return string.gsub(string.rep('a', 30), string.rep('a*', 30) .. 'b', 'x')";
    assert_eq!(run_limited(src, 2_000_000), "instruction limit reached");
}

#[test]
fn large_results_are_charged_to_the_budget() {
    let src = "for i = 1, 100 do local s = string.rep('x', 100000000) end";
    assert_eq!(run_limited(src, 1_000_000), "instruction limit reached");
    let src = "local s = string.rep('ab', 3000000, ',')
        print(#s, s:sub(1, 7), s:sub(-7))";
    assert_eq!(run(src), "8999999	ab,ab,a	b,ab,ab\n");
}

#[test]
fn results_larger_than_the_memory_limit_are_refused() {
    let mut lua = lunarena_vm::Lua::new(Libs::SAFE);
    lua.with_budget(|b| b.memory_limit.set(Some(64 << 20)));
    let err = match lua.exec(b"local s = string.rep('x', 1 << 30)", "=test") {
        Ok(_) => String::from("ok"),
        Err(e) => e.to_string(),
    };
    assert_eq!(err, "not enough memory (memory limit reached)");
}
