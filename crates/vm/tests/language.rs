//! Runs Lua scripts and checks what they print.

use std::cell::RefCell;
use std::rc::Rc;

use lunarena_vm::{Libs, Lua};

fn run(src: &str) -> Result<String, String> {
    let mut lua = Lua::new(Libs::SAFE);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    lua.set_print(Box::new(move |b| sink.borrow_mut().extend_from_slice(b)));
    lua.exec(src.as_bytes(), "=test")
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8(out.borrow().clone()).unwrap();
    Ok(text)
}

#[test]
fn arithmetic_and_strings() {
    assert_eq!(
        run("print(1+2, 10/4, 7//2, -7//2, 7 % -3, 2^10, 'a'..'b'..1)").unwrap(),
        "3\t2.5\t3\t-4\t-2\t1024.0\tab1\n"
    );
    assert_eq!(
        run("print(type(math) == 'table', 1e15, 0.1, 3 == 3.0, 1 < 1.5)").unwrap(),
        "true\t1e+15\t0.1\ttrue\ttrue\n"
    );
}

#[test]
fn tables_loops_and_closures() {
    let src = "local t = {1,2,3,x=5}; local s = 0
        for i=1,#t do s = s + t[i] end
        local n = 0; for k, v in pairs(t) do n = n + 1 end
        local function counter() local c = 0; return function() c = c + 1; return c end end
        local f = counter(); f(); f()
        print(s, t.x, #t, n, f())";
    assert_eq!(run(src).unwrap(), "6\t5\t3\t4\t3\n");
}

#[test]
fn recursion_and_tail_calls() {
    let src = "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
        local function loop(n) if n == 0 then return 'done' end return loop(n - 1) end
        print(fib(20), loop(100000))";
    assert_eq!(run(src).unwrap(), "6765\tdone\n");
}

#[test]
fn errors_and_pcall() {
    assert_eq!(
        run("print(pcall(function() error('boom') end))").unwrap(),
        "false\ttest:1: boom\n"
    );
    assert_eq!(
        run("print(pcall(function() local t = nil; return t.x end))").unwrap(),
        "false\ttest:1: attempt to index a nil value (local 't')\n"
    );
    assert_eq!(
        run("print(select(2, pcall(error, {})) ~= nil)").unwrap(),
        "true\n"
    );
    let e = run("local x = nil + 1").unwrap_err();
    assert!(
        e.contains("attempt to perform arithmetic on a nil value"),
        "{e}"
    );
}

#[test]
fn coroutines() {
    let src = "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
        print(coroutine.resume(co, 1)); print(coroutine.resume(co, 10)); print(coroutine.status(co))";
    assert_eq!(run(src).unwrap(), "true\t2\ntrue\t20\ndead\n");
}

/// A `__concat` or `__close` method that yields with the stack top below
/// its operands (after a call with fixed results): resumed, the values of
/// the yield must not land on the suspended frames.
#[test]
fn yields_in_concat_and_close_metamethods() {
    let src = "local co = coroutine.wrap(function()
          local a = setmetatable({}, { __concat = function(a, b) local x = coroutine.yield('C') return x end })
          local r = 'x' .. a .. 'z'
          do local c <close> = setmetatable({}, { __close = function() local y = coroutine.yield('D') r = r .. y end }) end
          return r
        end)
        print(co()) print(co('c')) print(co('!'))";
    assert_eq!(run(src).unwrap(), "C\nD\nxc!\n");
}

#[test]
fn metatables() {
    let src = "local mt = {__add = function(a, b) return a.v + b.v end, __index = function(t, k) return k .. '!' end}
        local a = setmetatable({v = 1}, mt); print(a + a, a.foo)";
    assert_eq!(run(src).unwrap(), "2\tfoo!\n");
}

#[test]
fn syntax_errors_are_reported() {
    let e = run("x = = 1").unwrap_err();
    assert_eq!(e, "test:1: unexpected symbol near '='");
}

/// A chunk whose evaluation fails, run 50 times with collections in between
/// (a scenario that crashed another gc-arena VM): no panic, memory comes back.
#[test]
fn failing_chunks_with_collections() {
    let mut lua = Lua::new(Libs::SAFE);
    lua.gc_collect();
    let baseline = lua.object_count();
    for _ in 0..50 {
        let r = lua.exec(b"return moule.x", "=moule");
        assert!(r.is_err());
        lua.gc_collect();
    }
    lua.gc_collect();
    assert!(
        lua.object_count() <= baseline + 16,
        "{} > {}",
        lua.object_count(),
        baseline
    );
}

#[test]
fn tables_grow_shrink_and_iterate() {
    let src = "local t = {}
        for i = 1, 100 do t['k' .. i] = i end
        for i = 1, 100, 2 do t['k' .. i] = nil end
        local n, sum = 0, 0
        for k, v in pairs(t) do n = n + 1; sum = sum + v end
        local a = {}
        for i = 10, 1, -1 do a[i] = i end
        a[5] = nil
        local c = 0
        for k in pairs(a) do c = c + 1 end
        local m = {1, 2, 3, nil, 5, x = 1, [2.0] = 'two', [-1] = 'neg'}
        print(n, sum, t.k2, t.k1, c, a[10], m[2], m[-1], #'abc')";
    assert_eq!(run(src).unwrap(), "50\t2550\t2\tnil\t9\t10\t2\tneg\t3\n");
}

/// The interpreter's fast paths (inline lookups and stores, `__index`
/// chains, Lua-to-Lua calls and returns) keep the general semantics.
#[test]
fn fast_paths_keep_semantics() {
    let src = r##"-- __index chains: tables, a long chain, a function at the end
local base = {greet = "hi"}
local t = base
for i = 1, 20 do t = setmetatable({}, {__index = t}) end
local mid = setmetatable({}, {__index = function(_, k) return k .. "!" end})
local top = setmetatable({}, {__index = setmetatable({}, {__index = mid})})
print(t.greet, t.missing, top.x, rawget(top, "x"))
-- stores into tables with metatables: present keys, nil array slots, float keys
local log = {}
local o = setmetatable({1, nil, 3, a = 1}, {__newindex = function(tb, k, v) log[#log + 1] = tostring(k); rawset(tb, k, v) end})
o.a = 2; o[1.0] = 10; o[2] = 20; o.b = 5; o.a = nil; o.a = 7
print(o.a, o[1], o[2], o.b, table.concat(log, ","))
-- small records: overwrite, delete, re-add, grow past the inline size
local r = {x = 1, y = 2}
r.x = nil; r.z = 3; r.x = 4
for i = 1, 12 do r["k" .. i] = i end
local n = 0; for _ in pairs(r) do n = n + 1 end
print(r.x, r.y, r.z, r.k12, n)
-- calls: missing arguments, extra arguments, results padded with nil
local function f(a, b, c) return c end
local function g(a) return a end
local function h() end
local x, y, z = g(1, 2, 3)
local p, q = h()
print(f(1), f(1, 2, 3, 4), x, y, z, p, q, select("#", h()), select("#", g()))
-- a Lua comparator and a deep recursion through the fast paths
local arr = {5, 3, 8, 1, 9, 2}
table.sort(arr, function(a, b) return a > b end)
local function depth(k) if k == 0 then return 0 end return 1 + depth(k - 1) end
print(table.concat(arr, " "), depth(10000))
print(pcall(function() local function inf(k) return 1 + inf(k) end return inf(1) end))
"##;
    assert_eq!(
        run(src).unwrap(),
        "hi\tnil\tx!\tnil\n7\t10\t20\t5\t2,b,a\n4\t2\t3\t12\t15\n\
         nil\t3\t1\tnil\tnil\tnil\tnil\t0\t1\n9 8 5 3 2 1\t10000\n\
         false\ttest:31: stack overflow\n"
    );
}
