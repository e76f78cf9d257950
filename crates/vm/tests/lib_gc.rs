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
fn removed_keys_do_not_keep_objects_alive() {
    check_script(Libs::ALL, "gc/removed_keys");
}

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

/// Runs `src` with all libraries and parses the numbers it prints.
fn printed_numbers(src: &str) -> Vec<f64> {
    let out = harness::run_with(Libs::ALL, src.as_bytes(), "=test");
    out.split_whitespace()
        .map(|w| {
            w.parse()
                .unwrap_or_else(|_| panic!("not a number in {out:?}"))
        })
        .collect()
}

/// Keeps about 3 MB alive (`live`), then allocates `n` short-lived tables
/// with the collector paced by `pause`; prints the peak heap over the
/// heap after a full collection.
fn peak_ratio(pause: u32, n: u32) -> f64 {
    let src = format!(
        "collectgarbage('incremental', {pause})
        local live = {{}}
        for i = 1, 20000 do live[i] = {{i}} end
        collectgarbage()
        local base = collectgarbage('count')
        local peak = 0
        for i = 1, {n} do
          local t = {{i}}
          if i % 500 == 0 then peak = math.max(peak, collectgarbage('count')) end
        end
        print(peak / base)"
    );
    printed_numbers(&src)[0]
}

#[test]
fn a_full_collection_leaves_the_live_heap() {
    let r = printed_numbers(
        "collectgarbage()
        local live = {}
        for i = 1, 20000 do live[i] = {i} end
        collectgarbage()
        local kept = collectgarbage('count')
        for i = 1, 50000 do local t = {i, function () return i end} end
        collectgarbage()
        print(collectgarbage('count') / kept)",
    );
    assert!((0.97..1.03).contains(&r[0]), "after/live = {}", r[0]);
}

#[test]
fn dead_interned_strings_are_freed_by_one_collection() {
    let r = printed_numbers(
        "collectgarbage()
        local kept = collectgarbage('count')
        for i = 1, 20000 do local s = 'k' .. i end
        collectgarbage()
        print(collectgarbage('count') / kept)",
    );
    assert!(r[0] < 1.05, "after/before = {}", r[0]);
}

#[test]
fn a_generational_step_is_a_whole_collection() {
    let out = harness::run_with(
        Libs::ALL,
        b"print(collectgarbage('generational'))
        local t = setmetatable({}, {__mode = 'v'})
        t[1] = {}
        print(collectgarbage('step', 0), t[1])
        print(collectgarbage('incremental'))",
        "=test",
    );
    assert_eq!(out, "incremental\ntrue\tnil\ngenerational\n");
}

#[test]
fn an_allocation_loop_keeps_the_heap_near_the_pause() {
    // A pause of 200% lets the heap double before a cycle starts; the
    // cycle itself runs while a little more is allocated.
    let at_200 = peak_ratio(200, 150_000);
    assert!((1.8..2.7).contains(&at_200), "peak/live at 200% = {at_200}");
    let at_400 = peak_ratio(400, 300_000);
    assert!((3.5..5.5).contains(&at_400), "peak/live at 400% = {at_400}");
}

#[test]
fn bigger_steps_end_a_cycle_in_fewer_calls() {
    let r = printed_numbers(
        "local keep = {}
        for i = 1, 2000 do keep[i] = {i} end
        local function dosteps(kb)
          collectgarbage()
          local a = {}
          for i = 1, 100 do a[i] = {{}}; local b = {} end
          local x = collectgarbage('count')
          local i = 0
          repeat i = i + 1 until collectgarbage('step', kb)
          assert(collectgarbage('count') < x)
          return i
        end
        collectgarbage('stop')
        print(dosteps(10), dosteps(2), dosteps(20000))
        assert(collectgarbage('step', 20000) and collectgarbage('step', 20000))
        assert(not collectgarbage('isrunning'))",
    );
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r[0] < r[1], "steps of 10 and 2 KB: {r:?}");
    assert_eq!(r[2], 1.0, "a huge step is a whole cycle");
}

#[test]
fn a_memory_limit_stops_allocation_loops_and_spares_garbage() {
    let mut lua = lunarena_vm::Lua::new(Libs::ALL);
    lua.with_budget(|b| b.memory_limit.set(Some(8 << 20)));
    let mut run = |src: &str| match lua.exec(src.as_bytes(), "=test") {
        Ok(_) => String::from("ok"),
        Err(e) => e.to_string(),
    };
    let limit = "not enough memory (memory limit reached)";
    assert_eq!(run("local t = {} for i = 1, 1e9 do t[i] = {i} end"), limit);
    assert_eq!(
        run("local t = {} while true do t[#t + 1] = ('x'):rep(1e5) end"),
        limit
    );
    // Much more garbage than the limit, little of it alive at once.
    assert_eq!(run("for i = 1, 2e5 do local t = {i} end"), "ok");
    assert_eq!(run("for i = 1, 200 do local s = ('x'):rep(1e5) end"), "ok");
    lua.gc_collect();
    // What stays is the collector's gray queue: gc-arena keeps its capacity
    // (8 bytes for each object the biggest table above held at the limit).
    assert!(lua.memory_used() < 2 << 20, "{} bytes", lua.memory_used());
}

#[test]
fn string_building_loops_are_collected_as_they_run() {
    // 20,000 concatenations allocate about 800 MB in all, one slice of
    // fuel at most; the collector must run between them, not after.
    let mut lua = lunarena_vm::Lua::new(Libs::ALL);
    lua.with_budget(|b| b.memory_limit.set(Some(16 << 20)));
    let r = lua.exec(
        b"local s = '' for i = 1, 20000 do s = s .. 'abcd' end return #s",
        "=test",
    );
    assert!(r.is_ok(), "{:?}", r.err().map(|e| e.to_string()));
}
