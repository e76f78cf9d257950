//! The base library, checked against the output of the reference
//! interpreter (`tests/lua/base/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn tonumber() {
    check_script(Libs::SAFE, "base/tonumber");
}

#[test]
fn loadfile_and_dofile() {
    check_script(Libs::ALL, "base/loadfile");
}

#[test]
fn dofile_frame_results_and_yields() {
    check_script(Libs::ALL, "base/dofile");
}

#[test]
fn warn() {
    check_script(Libs::ALL, "base/warn");
    check_script(Libs::SAFE, "base/warn");
}

#[test]
fn library_contents() {
    check_script(Libs::ALL, "base/contents");
}
