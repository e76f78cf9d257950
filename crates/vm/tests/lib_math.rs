//! The math library, checked against the output of the reference
//! interpreter (`tests/lua/math/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn functions() {
    check_script(Libs::SAFE, "math/functions");
}

#[test]
fn float_mod() {
    check_script(Libs::SAFE, "math/float_mod");
}
