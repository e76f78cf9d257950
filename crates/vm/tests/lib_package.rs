//! The package library: scripts checked against the output of the
//! reference interpreter (`tests/lua/package/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn searchpath() {
    check_script(Libs::ALL, "package/searchpath");
}
