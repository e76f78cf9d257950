//! The utf8 library, checked against the output of the reference
//! interpreter (`tests/lua/utf8/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{check_script, run};
use lunarena_vm::Libs;

#[test]
fn utf8_library() {
    check_script(Libs::SAFE, "utf8/utf8");
}

/// `utf8.codes` rejects stray continuation bytes as Lua 5.4.6 does (5.4.4
/// skipped them silently).
#[test]
fn codes_rejects_stray_continuation_bytes() {
    let src = r#"
        for _, s in ipairs({"in\x80valid", "\xbfinvalid", "αλφ\xBFα", "ab\xff", "\u{110000}"}) do
          print(pcall(function() for p, c in utf8.codes(s) do end end))
        end
        local n = 0
        for p, c in utf8.codes("\u{110000}", true) do n = n + 1 end
        print(n)"#;
    assert_eq!(
        run(src),
        "false\ttest:3: invalid UTF-8 code\n\
         false\ttest:3: bad argument #1 to 'codes' (invalid UTF-8 code)\n\
         false\ttest:3: invalid UTF-8 code\n\
         false\ttest:3: invalid UTF-8 code\n\
         false\ttest:3: invalid UTF-8 code\n\
         1\n"
    );
}
