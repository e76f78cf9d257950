//! The stand-alone interpreter (`lunarena`), against what `lua5.4` prints.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn lunarena(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lunarena"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lunarena-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn script_that_cannot_be_read() {
    let out = lunarena(&["nope.lua"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "lunarena: cannot open nope.lua: No such file or directory\n"
    );
    let dir = scratch("unreadable");
    let out = lunarena(&[dir.to_str().unwrap()], b"");
    assert_eq!(
        text(&out.stderr),
        format!("lunarena: cannot read {}: Is a directory\n", dir.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn byte_order_mark_and_first_line_comment() {
    let dir = scratch("bom");
    let script = dir.join("s.lua");
    std::fs::write(
        &script,
        b"\xEF\xBB\xBF#!/usr/bin/env lua\nprint(1 + 1)\nerror('x')\n",
    )
    .unwrap();
    let out = lunarena(&[script.to_str().unwrap()], b"");
    assert_eq!(text(&out.stdout), "2\n");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("lunarena: {}:3: x\n", script.display())),
        "{err}"
    );
    let out = lunarena(&["-"], b"\xEF\xBB\xBF# comment\nprint(...)\nerror('y')");
    assert_eq!(text(&out.stdout), "\n");
    assert!(text(&out.stderr).starts_with("lunarena: stdin:3: y\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn warnings_go_to_stderr_once_on() {
    let code = "warn('off') warn('@on') warn('one') warn('@on', 'two') warn('a', 'b', 3) \
                warn('@off') warn('no')";
    let out = lunarena(&["-e", code], b"");
    assert_eq!(
        text(&out.stderr),
        "Lua warning: one\nLua warning: @ontwo\nLua warning: ab3\n"
    );
}
