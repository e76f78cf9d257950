//! The table library, checked against the output of the reference
//! interpreter (`tests/lua/table/*.expected`).

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{check_script, run_limited};
use lunarena_vm::Libs;

#[test]
fn insert_remove() {
    check_script(Libs::SAFE, "table/insert_remove");
}

#[test]
fn metamethod_calls_on_proxies() {
    check_script(Libs::SAFE, "table/proxies");
}

#[test]
fn sort() {
    // Order functions that sort, 200 deep: room for debug builds' frames.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| check_script(Libs::ALL, "table/sort"))
        .expect("thread")
        .join()
        .expect("no panic");
}

#[test]
fn order_functions_and_metamethods_of_any_shape() {
    check_script(Libs::SAFE, "table/sort_calls");
}

#[test]
fn sorting_is_stopped_by_the_instruction_limit() {
    // A comparator that never returns, and one that is cheap but called
    // many times: both are counted.
    let src = "local t = {3, 1, 2}
        table.sort(t, function(a, b) while true do end end)";
    assert_eq!(run_limited(src, 1_000_000), "instruction limit reached");
    let src = "local t = {}
        for i = 1, 20000 do t[i] = (i * 7919) % 20000 end
        table.sort(t, function(a, b) return a < b end)";
    assert_eq!(run_limited(src, 100_000), "instruction limit reached");
    assert_eq!(run_limited(src, 50_000_000), "ok");
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

#[test]
fn every_kind_of_value_in_the_hash_part() {
    check_script(Libs::ALL, "table/value_kinds");
}
