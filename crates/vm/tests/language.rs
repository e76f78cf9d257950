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
