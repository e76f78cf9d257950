//! Garbage collection seen from Lua: ephemerons, weak tables, `__gc`
//! order and resurrection, `collectgarbage`, against the output of the
//! reference interpreter (`tests/lua/gc/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

// Bytes are counted as in the CLI and the addon, so "count" is real.
#[global_allocator]
static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;

#[test]
fn ephemerons() {
    check_script(Libs::ALL, "gc/ephemeron");
}

#[test]
fn finalizers_and_weak_tables() {
    check_script(Libs::ALL, "gc/finalizers");
}

#[test]
fn collectgarbage_options() {
    check_script(Libs::ALL, "gc/options");
}

#[test]
fn weak_tables() {
    check_script(Libs::ALL, "gc/weak");
}

#[test]
fn garbage_is_collected_while_the_program_runs() {
    check_script(Libs::ALL, "gc/pacing");
}

#[test]
fn random_churn_of_weak_tables() {
    check_script(Libs::ALL, "gc/churn");
}
