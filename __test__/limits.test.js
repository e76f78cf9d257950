'use strict';
const { Lua, LuaError, LuaLimitError } = require('..');

function limitOf(f) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LuaLimitError);
    expect(e).toBeInstanceOf(LuaError);
    return e.limit;
  }
  throw new Error('no limit error');
}

describe('limits', () => {
  test('memory bomb stopped; memory comes back after gc()', () => {
    if (global.gc) global.gc();
    const lua = new Lua({ memoryLimit: 64 * 1024 * 1024 });
    lua.run('return 1');
    lua.gc();
    const before = process.memoryUsage().rss;
    const base = lua.stats().heapBytes;
    expect(limitOf(() => lua.run('local t = {} while true do t[#t+1] = ("x"):rep(1e6) end'))).toBe('memory');
    lua.gc();
    expect(lua.stats().heapBytes).toBeLessThan(base + 1024 * 1024);
    const after = process.memoryUsage().rss;
    expect(after).toBeLessThan(before * 1.1);
    // Usable afterwards, and again limited.
    expect(lua.run('return #("x"):rep(1000)')).toBe(1000);
    expect(limitOf(() => lua.run('local t = {} for i = 1, 1e9 do t[i] = {i} end'))).toBe('memory');
    lua.gc();
    expect(limitOf(() => lua.run('return table.concat({("x"):rep(1e7)}, ",", 1, 1):rep(10)'))).toBe('memory');
    expect(lua.run('return 5')).toBe(5);
    lua.close();
  });

  test('runaway pattern stopped by the instruction or time limit', () => {
    const lua = new Lua();
    const code = 'return ("a"):rep(1e5):find(("a*"):rep(100) .. "b")';
    expect(limitOf(() => lua.run(code, { instructionLimit: 1e6 }))).toBe('instructions');
    const t0 = Date.now();
    expect(limitOf(() => lua.run(code, { timeout: 100 }))).toBe('time');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(lua.run('return ("abc"):find("b")')).toBe(2);
    lua.close();
  });

  test('deep recursion stopped by maxCallDepth', () => {
    const lua = new Lua({ maxCallDepth: 200 });
    expect(limitOf(() => lua.run('local function f(n) return 1 + f(n + 1) end return f(1)'))).toBe('callDepth');
    // pcall does not catch limits.
    expect(limitOf(() => lua.run('local function f() return 1 + f() end return pcall(f)'))).toBe('callDepth');
    expect(lua.run('local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(150)')).toBe(150);
    // A per-call override.
    expect(lua.run('local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(500)', { maxCallDepth: 1000 })).toBe(500);
    lua.close();
  });

  test('recursion without loops is stopped by the instruction and time limits', async () => {
    const fib = 'local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(40)';
    const lua = new Lua();
    expect(limitOf(() => lua.run(fib, { instructionLimit: 1e6 }))).toBe('instructions');
    const t0 = Date.now();
    expect(limitOf(() => lua.run(fib, { timeout: 50 }))).toBe('time');
    expect(Date.now() - t0).toBeLessThan(2000);
    // Time slicing reaches it too: the job is paused between slices, so a
    // timer fires while it runs.
    let fired = false;
    setTimeout(() => { fired = true; }, 5);
    await expect(lua.runAsync(fib, { timeout: 200 })).rejects.toThrow(LuaLimitError);
    expect(fired).toBe(true);
    expect(lua.run('local function f(n) if n < 2 then return n end return f(n - 1) + f(n - 2) end return f(20)')).toBe(6765);
    lua.close();
  });

  test('instruction and time limits, per VM and per call', () => {
    const lua = new Lua({ instructionLimit: 1e6 });
    expect(limitOf(() => lua.run('while true do end'))).toBe('instructions');
    // The count starts again for each call.
    for (let i = 0; i < 3; i++) expect(lua.run('local s = 0 for i = 1, 1e5 do s = s + 1 end return s')).toBe(1e5);
    expect(lua.run('local s = 0 for i = 1, 1e7 do s = s + 1 end return s', { instructionLimit: null })).toBe(1e7);
    expect(limitOf(() => lua.run('while true do end', { instructionLimit: null, timeout: 50 }))).toBe('time');
    expect(limitOf(() => lua.run('local t = {} for i = 1, 2e5 do t[i] = i end table.sort(t, function(a, b) return a > b end)'))).toBe('instructions');
    expect(lua.run('return 1')).toBe(1);
    lua.close();
  });

  test('the same limits stop async jobs; the VM stays usable', async () => {
    const lua = new Lua({ memoryLimit: 64 * 1024 * 1024, maxCallDepth: 200 });
    const limitOfJob = (code, opts) =>
      lua.runAsync(code, opts).then(
        () => 'none',
        (e) => {
          expect(e).toBeInstanceOf(LuaLimitError);
          return e.limit;
        },
      );
    const base = lua.stats().heapBytes;
    await expect(limitOfJob('local t = {} while true do t[#t+1] = ("x"):rep(1e6) end')).resolves.toBe('memory');
    // Its memory is freed when it stops (no lua.gc() needed).
    await expect(lua.runAsync('return #("y"):rep(1e6)')).resolves.toBe(1e6);
    expect(lua.stats().heapBytes).toBeLessThan(base + 4 * 1024 * 1024);
    const pattern = 'return ("a"):rep(1e5):find(("a*"):rep(100) .. "b")';
    await expect(limitOfJob(pattern, { instructionLimit: 1e6 })).resolves.toBe('instructions');
    await expect(limitOfJob(pattern, { timeout: 100 })).resolves.toBe('time');
    await expect(limitOfJob('local function f() return 1 + f() end return f()')).resolves.toBe('callDepth');
    // Inside a metamethod and a sort comparator too.
    await expect(
      limitOfJob('return setmetatable({}, { __index = function() while true do end end }).x', { timeout: 50 }),
    ).resolves.toBe('time');
    await expect(
      limitOfJob('local t = {} for i = 1, 1e4 do t[i] = i end table.sort(t, function(a, b) while true do end end)', {
        timeout: 50,
      }),
    ).resolves.toBe('time');
    await expect(lua.runAsync('return 6 * 7')).resolves.toBe(42);
    expect(lua.run('return 1')).toBe(1);
    lua.close();
  });

  test('bad limit values are refused', () => {
    expect(() => new Lua({ memoryLimit: -1 })).toThrow(RangeError);
    expect(() => new Lua({ timeout: 'soon' })).toThrow(RangeError);
  });
});
