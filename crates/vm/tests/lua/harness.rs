//! Shared by the library tests: runs a Lua script from `tests/lua/` and
//! compares what it prints with the `.expected` file next to it (made by
//! `regen.sh` with the reference interpreter).
//!
//! The scripts raise their test errors inside Lua closures
//! (`pcall(function() return f(...) end)`), never by handing a library
//! function straight to `pcall`: PUC-Rio then names the function by its
//! global name and adds no position, which the interpreter does not mimic
//! yet.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use lunarena_vm::{Libs, Lua};

pub fn lua_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lua")
}

/// Runs source text; returns what it printed, plus the error if it failed.
pub fn run_with(libs: Libs, src: &[u8], chunk: &str) -> String {
    let mut lua = Lua::new(libs);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    lua.set_print(Box::new(move |b| sink.borrow_mut().extend_from_slice(b)));
    let result = lua.exec(src, chunk);
    let mut text = out.borrow().clone();
    if let Err(e) = result {
        text.extend_from_slice(format!("error: {e}\n").as_bytes());
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Runs a Lua snippet with the safe libraries.
pub fn run(src: &str) -> String {
    run_with(Libs::SAFE, src.as_bytes(), "=test")
}

/// Runs `tests/lua/<name>.lua` and checks its output against `<name>.expected`.
pub fn check_script(libs: Libs, name: &str) {
    let dir = lua_dir();
    let src = std::fs::read(dir.join(format!("{name}.lua"))).unwrap();
    let expected = std::fs::read(dir.join(format!("{name}.expected"))).unwrap();
    let expected = String::from_utf8_lossy(&expected).into_owned();
    let got = run_with(libs, &src, &format!("@{name}.lua"));
    if got != expected {
        let (g, e): (Vec<_>, Vec<_>) = (got.lines().collect(), expected.lines().collect());
        let line = g
            .iter()
            .zip(&e)
            .position(|(a, b)| a != b)
            .unwrap_or(g.len().min(e.len()));
        panic!(
            "{name}.lua: output differs at line {}\n  got:      {:?}\n  expected: {:?}",
            line + 1,
            g.get(line),
            e.get(line)
        );
    }
}

/// Runs `src` with an instruction limit; returns "ok" or the error text.
pub fn run_limited(src: &str, limit: u64) -> String {
    let mut lua = Lua::new(Libs::SAFE);
    lua.with_budget(|b| b.instruction_limit.set(Some(limit)));
    match lua.exec(src.as_bytes(), "=test") {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}
