//! The table library, checked against the output of the reference
//! interpreter (`tests/lua/table/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn insert_remove() {
    check_script(Libs::SAFE, "table/insert_remove");
}

#[test]
fn layout_order_and_borders() {
    check_script(Libs::ALL, "table/layout");
}

#[test]
fn layout_after_random_operations() {
    check_script(Libs::SAFE, "table/random_ops");
}

#[test]
fn borders_at_the_edges() {
    check_script(Libs::SAFE, "table/borders");
}
