//! Regressions found by running the official Lua 5.4 test suite: each case
//! is a Lua snippet and what `lua5.4` prints for it.

use std::cell::RefCell;
use std::rc::Rc;

use lunarena_vm::{Libs, Lua};

fn run(src: &str) -> String {
    let mut lua = Lua::new(Libs::ALL);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    lua.set_print(Box::new(move |b| sink.borrow_mut().extend_from_slice(b)));
    let r = lua.exec(src.as_bytes(), "=test");
    let mut text = String::from_utf8_lossy(&out.borrow()).into_owned();
    if let Err(e) = r {
        text.push_str(&format!("error: {e}\n"));
    }
    text
}

fn check(src: &str, expected: &str) {
    assert_eq!(run(src), expected, "for:\n{src}");
}

#[test]
fn yields_inside_metamethods() {
    let prelude = r#"
local mt = {}
local function val(x) if type(x) == "table" then return x.x else return x end end
mt.__add = function(a, b) coroutine.yield("add") return setmetatable({x = val(a) + val(b)}, mt) end
mt.__concat = function(a, b) coroutine.yield("concat") return setmetatable({x = val(a) .. val(b)}, mt) end
mt.__lt = function(a, b) coroutine.yield("lt") return val(a) < val(b) end
mt.__index = function(t, k) coroutine.yield("index") return k .. "!" end
mt.__newindex = function(t, k, v) coroutine.yield("newindex") rawset(t, k, v * 2) end
mt.__eq = function(a, b) coroutine.yield("eq") return val(a) == val(b) end
mt.__len = function(a) coroutine.yield("len") return 42 end
local function run(f)
  local co = coroutine.wrap(f)
  local ys = {}
  while true do
    local a, b, c = co()
    if a == "done" then print(b, c, table.concat(ys, ",")) return end
    ys[#ys+1] = a
  end
end
local a, b, c = setmetatable({x=1}, mt), setmetatable({x=2}, mt), setmetatable({x=3}, mt)
"#;
    let cases = [
        ("run(function() return 'done', (a + b + 10).x end)", "13\tnil\tadd,add\n"),
        (
            "run(function() local s = a .. b .. 'x' .. c .. 4; return 'done', s.x end)",
            "12x34\tnil\tconcat,concat,concat,concat\n",
        ),
        ("run(function() return 'done', a < b, b < a end)", "true\tfalse\tlt,lt\n"),
        (
            "run(function() if a < b then return 'done', 'yes' else return 'done', 'no' end end)",
            "yes\tnil\tlt\n",
        ),
        (
            "run(function() local t = setmetatable({}, mt); local x = t.foo; t.y = 5; return 'done', x .. rawget(t, 'y') end)",
            "foo!10\tnil\tindex,newindex\n",
        ),
        ("run(function() return 'done', a == b, #a end)", "false\t42\teq,len\n"),
        (
            "run(function() local x <close> = setmetatable({}, {__close = function() coroutine.yield('close') end}); return 'done', 1 end)",
            "1\tnil\tclose\n",
        ),
        (
            "run(function() local function f(...) local x <close> = setmetatable({}, {__close = function() coroutine.yield('close') end}); return ... end; return f('done', 7, 8) end)",
            "7\t8\tclose\n",
        ),
        (
            "local co = coroutine.create(function() local t = setmetatable({}, {__index = coroutine.yield}); return t.x end)
             local ok, t, k = coroutine.resume(co); print(ok, type(t), k); print(coroutine.resume(co, 99))",
            "true\ttable\tx\ntrue\t99\n",
        ),
    ];
    for (src, out) in cases {
        check(&format!("{prelude}{src}"), out);
    }
}

#[test]
fn yield_across_natives_is_refused() {
    check(
        "print(coroutine.resume(coroutine.create(function()
           return pcall(string.gsub, 'a', 'a', function() coroutine.yield() end) end)))
         print(pcall(coroutine.yield))",
        "true\tfalse\tattempt to yield across a C-call boundary\n\
         false\tattempt to yield from outside a coroutine\n",
    );
}

#[test]
fn metamethod_that_is_not_callable() {
    check(
        "local a = setmetatable({}, {__add = 34}); print(pcall(function() return a + 1 end))
         local b = setmetatable({}, {__index = function(t, k) return k .. k end})
         print(pcall(function() return {} < {} end), b.x .. 'y')",
        "false\ttest:1: attempt to call a number value (metamethod 'add')\n\
         false\txxy\n",
    );
}

#[test]
fn message_handlers() {
    check(
        r##"print(xpcall(error, function(m) error("x") end, "e"))
print(xpcall(error, function(m) return m .. "!" end, "e"))
local n = 0
print(xpcall(error, function(m) n = n + 1; if n < 5 then error("x" .. n) end return m end, "e"))
print(pcall(xpcall, error, 42, "e"))
print(select("#", xpcall(error, function() end, "e")))
local function loop (x,y,z) return 1 + loop(x, y, z) end
print(xpcall(loop, function (m)
  assert(string.find(m, "stack overflow"))
  local st, err = pcall(loop)
  assert(not st and err == "error in error handling")
  assert(math.sin(0) == 0)
  return 15
end))
print(pcall(loop))"##,
        "false\terror in error handling\n\
         false\te!\n\
         false\ttest:4: x4\n\
         false\tbad argument #2 to 'xpcall' (function expected, got number)\n\
         2\n\
         false\t15\n\
         false\ttest:7: stack overflow\n",
    );
}

#[test]
fn assert_messages_get_a_position() {
    check(
        "print(pcall(function() assert(false, 'm') end))
         print(pcall(function() assert(nil, 42) end))
         print(pcall(function() assert(false) end))",
        "false\ttest:1: m\nfalse\t42\nfalse\ttest:3: assertion failed!\n",
    );
}

#[test]
fn coroutines_reach_upvalues_of_a_thread_in_a_native_call() {
    check(
        r#"local x = 1
local t = setmetatable({}, {__index = function() return coroutine.wrap(function() return x end)() end})
print(t.y)
print(string.gsub("abc", "%w", function(c) return coroutine.wrap(function() x = x + 1; return c .. x end)() end))
local co
co = coroutine.create(function()
  local v <close> = setmetatable({}, {__close = function() coroutine.close(co) end})
  coroutine.yield(20)
end)
print(coroutine.resume(co))
print(coroutine.close(co))"#,
        "1\na2b3c4\t3\ntrue\t20\nfalse\ttest:7: cannot close a running coroutine\n",
    );
}

#[test]
fn dead_coroutines_keep_their_error_until_closed() {
    check(
        r#"local co = coroutine.create(error)
print(coroutine.resume(co, 100))
print(coroutine.close(co))
print(coroutine.close(co))
local x = 0
local function func2close(f) return setmetatable({}, {__close = f}) end
co = coroutine.create(function()
  local y <close> = func2close(function(self, err) x = err; error(200) end)
  local z <close> = func2close(function(self, err) error(111) end)
  coroutine.yield()
end)
coroutine.resume(co)
print(x, coroutine.close(co))
print(x, coroutine.close(co))
local w = coroutine.wrap(function()
  local y <close> = func2close(function(self, err) x = err end)
  error("boom")
end)
print(pcall(w))
print(x)"#,
        "false\t100\nfalse\t100\ntrue\n0\tfalse\t200\n111\ttrue\n\
         false\ttest:17: boom\ntest:17: boom\n",
    );
}

#[test]
fn closing_errors_replace_the_error_in_order() {
    check(
        r#"local function func2close(f) return setmetatable({}, {__close = f}) end
local track = {}
local function foo ()
  local x0 <close> = func2close(function (_, msg) track[#track + 1] = "x0:" .. msg end)
  local x <close> = func2close(function ()
    local xx <close> = func2close(function (_, msg)
      track[#track + 1] = "xx:" .. msg
      error(202)
    end)
    error(101)
  end)
  return 20, 30, 40
end
print(pcall(foo))
print(table.concat(track, " "))
local function bar() local z <close> = func2close(function() print(debug.getinfo(2, "n").name) end); error("e") end
print(pcall(bar))
print(select(2, xpcall(function() local z <close> = func2close(function() error("@z") end) end,
  function(m) return (debug.traceback(m, 2):gsub("\n[^\n]*main chunk.*", "")) end)))"#,
        "false\t202\nxx:101 x0:202\npcall\nfalse\ttest:16: e\n\
         test:18: @z\nstack traceback:\n\t[C]: in function 'error'\n\
         \ttest:18: in metamethod 'close'\n\ttest:18: in function <test:18>\n\
         \t[C]: in function 'xpcall'\n",
    );
}

#[test]
fn protected_calls_count_as_c_calls() {
    check(
        r#"local depth = 0
local function loop () depth = depth + 1; local ok, m = pcall(loop); if not ok then error(m, 0) end end
local ok, m = pcall(loop)
print(ok, m, depth > 150 and depth < 200)
local function loop2 () assert(pcall(loop2)) end
local ok, m = xpcall(loop2, loop2)
print(ok, m)"#,
        "false\tC stack overflow\ttrue\nfalse\terror in error handling\n",
    );
}

#[test]
fn scanner_details() {
    check(
        "print(load('return \\'\\\\z  \\n\\t\\f\\v\\n\\', 1')())
         print(select(2, load('return \"\\\\x5\"', '')))
         print(select(2, load('return \"\\\\xAG', '')))
         print(load('#=1', ''))
         local s1 <const> = '01234567890123456789012345678901234567890123456789'
         local function f() return '01234567890123456789012345678901234567890123456789' end
         print(string.format('%p', s1) == string.format('%p', f()))",
        "\t1\n\
         [string \"\"]:1: hexadecimal digit expected near '\"\\x5\"'\n\
         [string \"\"]:1: hexadecimal digit expected near '\"\\xAG'\n\
         nil\t[string \"\"]:1: unexpected symbol near '#'\n\
         true\n",
    );
}

#[test]
fn metamethod_arguments() {
    check(
        r#"local t = {}
local a = setmetatable({}, t)
local cap
local function f(op) return function (...) cap = {[0] = op, ...} ; return (...) end end
for _, op in ipairs{"sub", "len", "shl", "add", "shr"} do t["__" .. op] = f(op) end
local function show() local out = {cap[0]}; for i = 1, #cap do out[#out+1] = cap[i] == a and "a" or tostring(cap[i]) end; print(table.concat(out, " ")) end
local _ = a - 3; show()
_ = #a; show()
_ = a << 3; show()
_ = a + 3; show()
_ = a >> 3; show()
t.__sub = 1
print(pcall(function() return a - 3 end))"#,
        "sub a 3\nlen a a\nshl a 3\nadd a 3\nshr a 3\n\
         false\ttest:13: attempt to call a number value (metamethod 'sub')\n",
    );
}

#[test]
fn metatables_of_basic_types() {
    check(
        r#"local mt = {__index = function (a,b) return a+b end, __len = function (x) return math.floor(x) end}
debug.setmetatable(10, mt)
print(getmetatable(-2) == mt, (10)[3], #3.45)
debug.setmetatable(23, nil)
print(getmetatable(-2))
debug.setmetatable(nil, {__add = function (a,b) return (a or 1) + (b or 2) end})
print(10 + nil, nil + nil)
debug.setmetatable(nil, nil)
debug.setmetatable(print, {__index = function(f, k) return k end})
print((print).x)
debug.setmetatable(print, nil)"#,
        "true\t13\t3\nnil\n12\t3\nx\n",
    );
}

#[test]
fn yieldable_pairs_and_dofile_and_load_readers() {
    check(
        r##"local t = setmetatable({10, 20, 30}, {__pairs = function (t)
  local inc = coroutine.yield()
  return function (t, i) if i > 1 then return i - inc, t[i - inc] else return nil end end, t, #t + 1
end})
local res = {}
local co = coroutine.wrap(function () for i, p in pairs(t) do res[#res + 1] = p end end)
co(); co(1)
print(table.concat(res, " "))
local u = setmetatable({}, {__pairs = function(t) return next, {1, 2}, nil, "extra" end})
print(select("#", pairs(u)))
for k, v in pairs(u) do io.write(k, "=", v, " ") end print()
print(load(function() error("hhi") end))
local n = 0
print(type(load(function() n = n + 1; if n == 1 then return 42 end end)))
print(pcall(load, {}))
print(load(12))
print(pcall(dofile, "/nonexistent/x"))"##,
        "30 20 10\n3\n1=1 2=2 \nnil\ttest:12: hhi\nnil\n\
         false\tbad argument #1 to 'load' (function expected, got table)\n\
         nil\t[string \"12\"]:1: unexpected symbol near '12'\n\
         false\tcannot open /nonexistent/x: No such file or directory\n",
    );
}

#[test]
fn for_loop_errors() {
    check(
        r#"print(pcall(load("for i = {}, 10 do end")))
print(pcall(load("for i = 1.0, 'x' do end")))
print(pcall(load("for i = 1, 2, print do end")))
print(pcall(load("for i = setmetatable({}, {__name='My'}), 2 do end")))
for i = 1, '3' do io.write(i, ' ') end print()"#,
        "false\t[string \"for i = {}, 10 do end\"]:1: bad 'for' initial value (number expected, got table)\n\
         false\t[string \"for i = 1.0, 'x' do end\"]:1: bad 'for' limit (number expected, got string)\n\
         false\t[string \"for i = 1, 2, print do end\"]:1: bad 'for' step (number expected, got function)\n\
         false\t[string \"for i = setmetatable({}, {__name='My'}), 2 do...\"]:1: bad 'for' initial value (number expected, got My)\n\
         1 2 3 \n",
    );
}

#[test]
fn binary_chunks() {
    check(
        r#"local f = function (a) return a + 1 end
local g = assert(load(string.dump(f, true)))
print(g(3), pcall(g, {}))
local a, b = 20, 30
local x = load(string.dump(function (x)
  if x == "set" then a = 10+b; b = b+1 else return a end
end), "", "b", nil)
print(x(), debug.setupvalue(x, 1, "hi"), x(), debug.setupvalue(x, 2, 13))
x("set"); print(x())
local d = string.dump(load("x = 1; return x"))
print(load(d, nil, "t"))
print(load(d:sub(1, 20)))
print(load(d, "=name")())
local h = load(string.dump(function(...) local t = {...} return #t, ... end))
print(h(1, 2, 3))
print(pcall(string.dump, print))"#,
        "4\tfalse\t?:-1: attempt to perform arithmetic on a table value\n\
         nil\ta\thi\tb\n23\n\
         nil\tattempt to load a binary chunk (mode is 't')\n\
         nil\tbinary string: bad binary format (truncated chunk)\n\
         1\n3\t1\t2\t3\n\
         false\tunable to dump given function\n",
    );
}

/// Corrupted binary chunks are refused or run safely: the verifier keeps
/// every register, constant, upvalue and jump of loaded code in bounds.
#[test]
fn corrupted_binary_chunks_never_crash() {
    let body = "function (x, ...) local t = {x, ...}; for i = 1, #t do t[i] = t[i] .. i end \
                local s = 0; for k, v in pairs(t) do s = s + k end; \
                return (function() return s, t, x end)() end";
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..1500 {
        let (pos, byte, count) = (next() % 400, next() % 256, 1 + next() % 3);
        let mut lua = Lua::new(Libs::ALL);
        lua.with_budget(|b| b.instruction_limit.set(Some(200_000)));
        let src = format!(
            "local c = string.dump({body})
             for n = 1, {count} do
               local i = ({pos} * n) % #c + 1
               c = c:sub(1, i - 1) .. string.char(({byte} + n) % 256) .. c:sub(i + 1)
             end
             local f = load(c, 'x', 'b')
             if f then pcall(f, 'a', 'b', 3) end"
        );
        let _ = lua.exec(src.as_bytes(), "=fuzz");
    }
}

#[test]
fn yields_in_closing_methods_after_errors() {
    check(
        r##"local function func2close(f) return setmetatable({}, {__close = f}) end
local co = coroutine.wrap(function ()
  local function foo (err)
    local z <close> = func2close(function(_, msg)
      coroutine.yield("z:" .. tostring(msg))
    end)
    local y <close> = func2close(function(_, msg)
      coroutine.yield("y:" .. tostring(msg))
      if err then error(err + 20) end
    end)
    local x <close> = func2close(function(_, msg)
      coroutine.yield("x:" .. tostring(msg))
    end)
    if err == 10 then error(err) else return 10, 20 end
  end
  coroutine.yield(pcall(foo, nil))
  coroutine.yield(pcall(foo, 1))
  return pcall(foo, 10)
end)
local out = {}
for i = 1, 12 do local a, b, c = co(); out[#out+1] = tostring(a) .. "," .. tostring(b) .. "," .. tostring(c) end
print(table.concat(out, " "))
print(pcall(function() local a <close> = func2close(function() error("e1") end); local b <close> = func2close(function(_, m) error(m .. "+e2") end); error("e0") end))"##,
        "x:nil,nil,nil y:nil,nil,nil z:nil,nil,nil true,10,20 x:nil,nil,nil y:nil,nil,nil \
         z:21,nil,nil false,21,nil x:10,nil,nil y:10,nil,nil z:30,nil,nil false,30,nil\n\
         false\ttest:23: e1\n",
    );
}

/// Runs on a large stack: unoptimised test builds use far bigger Rust
/// frames than release builds (which handle this depth on a 2 MB stack).
#[test]
fn deep_nesting_errors_cleanly() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(deep_nesting_errors_cleanly_body)
        .expect("thread")
        .join()
        .expect("no panic");
}

fn deep_nesting_errors_cleanly_body() {
    check(
        r#"local function rec2() return tostring(setmetatable({}, {__tostring = function() return rec2() end})) end
print(pcall(rec2))
local function rec3() local t = setmetatable({}, {__add = function() return rec3() end}); return t + 1 end
print(pcall(rec3))
local function srec() return string.gsub("a", "a", srec) end
print(pcall(srec))
local t = setmetatable({}, {__index = function(t, k) return t[k + 1] end})
print(pcall(function() return t[1] end))
local function mix(n)
  if n == 0 then return 0 end
  local t = setmetatable({}, {__index = function() return select(2, pcall(mix, n - 1)) end})
  return coroutine.wrap(function() return t.x end)() + 1
end
print(pcall(mix, 1000))
local r = setmetatable({}, {__index = tostring, __tostring = function(s) return s.x end})
print(pcall(tostring, r))"#,
        "false\tC stack overflow\nfalse\ttest:3: C stack overflow\nfalse\tC stack overflow\n\
         false\ttest:7: C stack overflow\n\
         false\ttest:12: attempt to add a 'string' with a 'number'\n\
         false\tC stack overflow\n",
    );
}

/// Native functions as metamethods (called directly, without a nested run
/// of the interpreter): errors named after the metamethod at the
/// position of the instruction, tracebacks through them, yields across
/// them where PUC-Rio allows them, hooks. (The C stack limit through
/// them: `deep_nesting_errors_cleanly`.)
#[test]
fn native_metamethods() {
    check(
        r#"local mt = {__index = string.rep, __newindex = string.rep, __len = string.rep,
  __add = string.rep, __eq = string.rep, __lt = string.rep, __le = string.rep,
  __concat = string.rep, __unm = string.rep, __call = string.rep}
local t, u = setmetatable({}, mt), setmetatable({}, mt)
for _, f in ipairs{
  function() return t.x end,
  function() t.x = 1 end,
  function() return #t end,
  function() return t + 1 end,
  function() return t == u end,
  function() return t < u end,
  function() return t <= u end,
  function() return t .. "a" end,
  function() return -t end,
  function() return t() end,
} do print(pcall(f)) end
mt.__index, mt.__newindex, mt.__len = rawget, rawset, rawlen
mt.__eq, mt.__lt, mt.__concat = rawequal, rawequal, rawequal
t.k = 7
print(t.k, rawget(t, "k"), t.none, #t, t == u, t < u, t .. 2)
debug.setmetatable(0, {__index = debug.traceback})
local function inner() local s = (5)[1] return s end
print(inner())
debug.setmetatable(0, {__index = error})
print(pcall(function() return (5)[1] end))
print(pcall(function() return (5)["x"] end))
debug.setmetatable(0, {__index = coroutine.yield})
local y = setmetatable({}, {__add = coroutine.yield})
local co = coroutine.wrap(function()
  local v = (5)[6]
  local w = y + 1
  return "got " .. tostring(v) .. " " .. tostring(w)
end)
print(co()) print(select(2, co("v"))) print(co("w"))
print(pcall(string.gsub, "a", "a", function() return (5)[1] end))
print(pcall(coroutine.wrap(function()
  return string.gsub("a", "a", function() return (5)[1] end)
end)))
debug.setmetatable(0, {__index = pcall})
print((5)[6])
debug.setmetatable(0, nil)
local ev = {}
local m2 = setmetatable({}, {__index = rawlen})
debug.sethook(function(e)
  local i = debug.getinfo(2, "nS")
  ev[#ev + 1] = e .. ":" .. tostring(i.name) .. ":" .. i.what
end, "cr")
local _ = m2.k
debug.sethook()
print(table.concat(ev, " "))"#,
        "false\ttest:6: bad argument #1 to 'index' (string expected, got table)\n\
         false\ttest:7: bad argument #1 to 'newindex' (string expected, got table)\n\
         false\ttest:8: bad argument #1 to 'len' (string expected, got table)\n\
         false\ttest:9: bad argument #1 to 'add' (string expected, got table)\n\
         false\ttest:10: bad argument #1 to 'eq' (string expected, got table)\n\
         false\ttest:11: bad argument #1 to 'lt' (string expected, got table)\n\
         false\ttest:12: bad argument #1 to 'le' (string expected, got table)\n\
         false\ttest:13: bad argument #1 to 'concat' (string expected, got table)\n\
         false\ttest:14: bad argument #1 to 'unm' (string expected, got table)\n\
         false\ttest:15: bad argument #1 to 't' (string expected, got table)\n\
         7\t7\tnil\t0\tfalse\tfalse\tfalse\n\
         5\n\
         stack traceback:\n\
         \ttest:22: in local 'inner'\n\
         \ttest:23: in main chunk\n\
         \t[C]: in ?\n\
         false\t5\n\
         false\ttest:26: bad argument #2 to 'index' (number expected, got string)\n\
         5\t6\n\
         1\n\
         got v w\n\
         false\tattempt to yield from outside a coroutine\n\
         false\tattempt to yield across a C-call boundary\n\
         false\n\
         return:sethook:C call:index:C return:index:C call:sethook:C\n",
    );
}

/// Native metamethods that call Lua in their place (`pairs`), or call it
/// and continue (`tostring`, `ipairs`' iterator), or raise errors.
#[test]
fn native_metamethods_that_call_lua() {
    check(
        r#"local mt = {__pairs = function(t, k) return "p1", "p2", "p3" end}
mt.__index = pairs
local t = setmetatable({}, mt)
print(t.k)
local ia = select(1, ipairs({}))
local src = setmetatable({}, {__index = function(_, i) return i * 10 end})
local viaipairs = setmetatable({}, {__index = function(_, i) return ia(src, i) end})
print(viaipairs[3])
debug.setmetatable(0, {__index = ia})
print(pcall(function() return (5)[1] end))
debug.setmetatable(0, nil)
local ts = setmetatable({}, {__tostring = function() coroutine.yield(1) return "x" end})
getmetatable(ts).__index = tostring
print(pcall(coroutine.wrap(function() return ts.k end)))
local ts2 = setmetatable({}, {__tostring = function() return "T2" end, __index = tostring})
print(ts2.k, ts2[1])
local ts3 = setmetatable({}, {__tostring = function() error("in tostring") end, __index = tostring})
print(pcall(function() return ts3.k end))
print(select(2, xpcall(function() return ts3.k end, function(m) return "handled: " .. m end)))
local e = setmetatable({}, {__index = error})
print(pcall(function() return e[{}] end))
print(pcall(function() return e.msg end))
local ok, err = pcall(function() return e[setmetatable({}, {__tostring = function() return "obj" end})] end)
print(ok, tostring(err))
print(select(2, pcall(string.rep)))
print(pcall(next, setmetatable({}, {__index = next}), "nokey"))
local s = setmetatable({}, {__index = next})
print(pcall(function() return s.nokey end))"#,
        "p1\n\
         4\n\
         false\tC stack overflow\n\
         false\tattempt to yield across a C-call boundary\n\
         T2\tT2\n\
         false\ttest:17: in tostring\n\
         handled: test:17: in tostring\n\
         false\ttest:21: bad argument #2 to 'index' (number expected, got table)\n\
         false\ttest:22: bad argument #2 to 'index' (number expected, got string)\n\
         false\ttest:23: bad argument #2 to 'index' (number expected, got table)\n\
         bad argument #1 to 'string.rep' (string expected, got no value)\n\
         false\tinvalid key to 'next'\n\
         false\tinvalid key to 'next'\n",
    );
}
