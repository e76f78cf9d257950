//! The debug library, checked against the output of the reference
//! interpreter (`tests/lua/debug/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn traceback_of_deep_stacks() {
    check_script(Libs::ALL, "debug/traceback");
}

#[test]
fn upvalues() {
    check_script(Libs::ALL, "debug/upvalues");
}

#[test]
fn hooks() {
    check_script(Libs::ALL, "debug/hooks");
}

#[test]
fn upvalue_join_and_light_userdata() {
    check_script(Libs::ALL, "debug/upvaluejoin");
}

#[test]
fn hooks_of_protected_calls_and_coroutines() {
    check_script(Libs::ALL, "debug/hookcalls");
}
