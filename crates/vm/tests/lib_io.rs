//! The io library: scripts checked against the output of the reference
//! interpreter (`tests/lua/io/*.expected`), and the standard streams
//! through the stand-alone interpreter.

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::process::{Command, Stdio};

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn files() {
    check_script(Libs::ALL, "io/files");
}

/// Runs `lunarena -e code` with standard output (and input) redirected to files.
fn with_files(name: &str, code: &str, input: &[u8]) -> (Vec<u8>, String) {
    let dir = std::env::temp_dir().join(format!("lunarena-io-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out_path, in_path) = (dir.join("out"), dir.join("in"));
    std::fs::write(&in_path, input).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_lunarena"))
        .args(["-e", code])
        .stdin(std::fs::File::open(&in_path).unwrap())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let out = std::fs::read(&out_path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (out, String::from_utf8_lossy(&status.stderr).into_owned())
}

#[test]
fn standard_streams_seek_when_they_are_files() {
    let code = "print(io.stdout:seek()) io.write('abc') print(io.stdout:seek('cur')) \
                print(io.stdout:seek('set', 1)) io.write('Z') print(io.stdout:seek('end'))";
    let (out, err) = with_files("stdout", code, b"");
    assert_eq!(err, "");
    assert_eq!(out, b"01\nZc5\n7\n");
    let code = "print(io.stdin:seek()) print(io.read('l')) print(io.stdin:seek()) \
                print(io.stdin:seek('set', 2)) print(io.read('a')) print(io.stdin:seek('end', -1))";
    let (out, _) = with_files("stdin", code, b"line one\nline two\n");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "0\nline one\n9\n2\nne one\nline two\n\n17\n"
    );
}

#[test]
fn standard_streams_do_not_seek_when_they_are_pipes() {
    let out = Command::new(env!("CARGO_BIN_EXE_lunarena"))
        .args(["-e", "print(io.stdout:seek())"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "nil\tIllegal seek\t29\n"
    );
}
