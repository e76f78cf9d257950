'use strict';
// Awaiting a JS promise from every position Lua code can run in during an
// async job: metamethods, library callbacks, iterators, calls from JS.
const { Lua, LuaError } = require('..');

const sleep = (ms, v) => new Promise((r) => setTimeout(() => r(v), ms).unref());

function vm() {
  const lua = new Lua();
  lua.set('sleep', sleep);
  lua.set('fail', (ms, msg) => new Promise((_, r) => setTimeout(() => r(new Error(msg)), ms)));
  return lua;
}

const positions = [
  ['__index function', 'return setmetatable({}, { __index = function(_, k) return sleep(2, k .. "!") end }).hi', 'hi!'],
  [
    '__newindex function',
    'local t = setmetatable({}, { __newindex = function(t, k, v) rawset(t, k, sleep(2, v * 2)) end }) t.x = 21 return t.x',
    42,
  ],
  ['__add', 'local m = { __add = function(a, b) return sleep(2, 40) + b end } return setmetatable({}, m) + 2', 42],
  ['__add met by string arithmetic', 'return "2" + setmetatable({}, { __add = function(a, b) return sleep(2, 40) + a end })', 42],
  ['a module loader run by require', 'package.preload.m = function() return { v = sleep(2, 7) } end return require("m").v', 7],
  ['__unm', 'return -setmetatable({}, { __unm = function() return sleep(2, -1) end })', -1],
  [
    '__eq',
    'local m = { __eq = function() return sleep(2, true) end } return setmetatable({}, m) == setmetatable({}, m) and "eq" or "ne"',
    'eq',
  ],
  ['__lt', 'local m = { __lt = function() return sleep(2, true) end } local a = setmetatable({}, m) return a < a', true],
  ['__le', 'local m = { __le = function() return sleep(2, false) end } local a = setmetatable({}, m) return not (a <= a)', true],
  [
    '__concat',
    'local m = { __concat = function(a, b) return sleep(2, "C") end } local a = setmetatable({}, m) return "x" .. "y" .. a .. "z"',
    'xyC',
  ],
  ['__len', 'return #setmetatable({}, { __len = function() return sleep(2, 7) end })', 7],
  [
    '__close',
    'local log = {} do local x <close> = setmetatable({}, { __close = function() log[#log + 1] = sleep(2, "closed") end }) end return log[1]',
    'closed',
  ],
  ['__call', 'return setmetatable({}, { __call = function(_, v) return sleep(2, v) end })(8)', 8],
  [
    'string.format %s with __tostring',
    'return ("<%5s>"):format(setmetatable({}, { __tostring = function() return sleep(2, "F") end }))',
    '<    F>',
  ],
  ['tostring with __tostring', 'return tostring(setmetatable({}, { __tostring = function() return sleep(2, "T") end }))', 'T'],
  [
    'print with __tostring',
    'local out = {} local p = print print = function(...) out[#out + 1] = select("#", ...) p(...) end ' +
      'print(setmetatable({}, { __tostring = function() return sleep(2, "P") end })) print = p return out[1]',
    1,
  ],
  [
    '__pairs',
    'local t = setmetatable({}, { __pairs = function(t) return sleep(2, next), { a = 1 }, nil end }) local s = 0 for k, v in pairs(t) do s = s + v end return s',
    1,
  ],
  [
    'ipairs over an __index function',
    'local s = 0 for _, v in ipairs(setmetatable({}, { __index = function(_, i) if i <= 3 then return sleep(1, i) end end })) do s = s + v end return s',
    6,
  ],
  ['a Lua iterator', 'local s = 0 for i in function(_, i) if i < 3 then return sleep(1, i + 1) end end, nil, 0 do s = s + i end return s', 6],
  ['table.sort comparator', 'local t = {3, 1, 2} table.sort(t, function(a, b) return sleep(1, a < b) end) return table.concat(t, ",")', '1,2,3'],
  [
    '__lt during table.sort',
    'local m = { __lt = function(a, b) return sleep(1, a.v < b.v) end } ' +
      'local t = { setmetatable({ v = 2 }, m), setmetatable({ v = 3 }, m), setmetatable({ v = 1 }, m) } ' +
      'table.sort(t) return t[1].v .. t[2].v .. t[3].v',
    '123',
  ],
  [
    'an __index function of a gsub replacement table',
    'return (("abc"):gsub("%w", setmetatable({}, { __index = function(_, k) return sleep(1, k:upper()) end })))',
    'ABC',
  ],
  ['string.gsub replacement function', 'return (("abc"):gsub("%w", function(c) return sleep(1, c:upper()) end))', 'ABC'],
  [
    'load reader function',
    'local parts = { "return ", "4", "2" } local i = 0 return load(function() i = i + 1 return sleep(1, parts[i]) end)()',
    42,
  ],
  [
    'pcall inside a metamethod',
    'return setmetatable({}, { __index = function(_, k) local ok, e = pcall(fail, 2, "no") return e.message end }).x',
    'no',
  ],
  [
    'a coroutine inside a metamethod',
    'return setmetatable({}, { __index = function(_, k) local co = coroutine.wrap(function() coroutine.yield(sleep(2, 5)) end) return co() end }).x',
    5,
  ],
  [
    'a metamethod inside a coroutine',
    'local t = setmetatable({}, { __index = function(_, k) return sleep(2, k) end }) return coroutine.wrap(function() return t.deep end)()',
    'deep',
  ],
];

describe('awaits in every position', () => {
  test.each(positions)('%s', async (_, code, expected) => {
    const lua = vm();
    await expect(lua.runAsync(code)).resolves.toEqual(expected);
    // Two at once wait together, and the VM stays usable.
    await expect(Promise.all([lua.runAsync(code), lua.runAsync(code)])).resolves.toEqual([expected, expected]);
    expect(lua.run('return 1')).toBe(1);
    lua.close();
  });

  test('two jobs waiting inside metamethods wait at the same time', async () => {
    const lua = vm();
    const code = 'return setmetatable({}, { __index = function(_, k) return sleep(50, k) end }).x';
    let t0 = Date.now();
    await expect(lua.runAsync(code)).resolves.toBe('x');
    const one = Date.now() - t0;
    t0 = Date.now();
    await expect(Promise.all([lua.runAsync(code), lua.runAsync(code)])).resolves.toEqual(['x', 'x']);
    // About as long as one (50 ms), not two after each other.
    expect(Date.now() - t0).toBeLessThan(one + 40);
    lua.close();
  });

  test('a long loop inside a metamethod lets timers run between slices', async () => {
    const lua = vm();
    const t0 = Date.now();
    let fired = 0;
    setTimeout(() => {
      fired = Date.now() - t0;
    }, 10);
    const code = `return setmetatable({}, { __index = function(_, k)
      local co = coroutine.wrap(function() local t = os.clock() while os.clock() - t < 0.3 do end return k end)
      return co()
    end }).done`;
    await expect(lua.runAsync(code)).resolves.toBe('done');
    expect(fired).toBeGreaterThan(0);
    // A slice is a few ms; the margin is for loaded machines.
    expect(fired).toBeLessThan(200);
    lua.close();
  });

  test('a rejection inside a metamethod is a Lua error pcall catches', async () => {
    const lua = vm();
    const code = `
      local t = setmetatable({}, { __index = function(_, k) return fail(2, "bad " .. k) end })
      local ok, e = pcall(function() return t.key end)
      return tostring(ok) .. " " .. e.message`;
    await expect(lua.runAsync(code)).resolves.toBe('false bad key');
    lua.close();
  });
});

describe('edge cases', () => {
  test('a JS function as the metamethod itself', async () => {
    const lua = vm();
    lua.set('lazy', (_, k) => sleep(2, `${k}?`));
    await expect(lua.runAsync('return setmetatable({}, { __index = lazy }).key')).resolves.toBe('key?');
    // ... as the gsub replacement and the sort order function.
    lua.set('upper', (c) => sleep(1, c.toUpperCase()));
    lua.set('before', (a, b) => sleep(1, a > b));
    await expect(lua.runAsync('return (("abc"):gsub("%w", upper))')).resolves.toBe('ABC');
    await expect(lua.runAsync('local t = {1, 3, 2} table.sort(t, before) return table.concat(t)')).resolves.toBe('321');
    lua.close();
  });

  test('places that cannot wait raise a clear error and the VM stays usable', async () => {
    const lua = vm();
    // A closing method run while an error unwinds.
    const e = await lua
      .runAsync('do local x <close> = setmetatable({}, { __close = function() sleep(1) end }) error("boom") end')
      .catch((x) => x);
    expect(e).toBeInstanceOf(LuaError);
    expect(e.message).toMatch(/cannot wait for a JavaScript promise here/);
    // __newindex met by a table function.
    await expect(lua.runAsync('table.insert(setmetatable({}, { __newindex = function(t, k, v) sleep(1) rawset(t, k, v) end }), 1)')).rejects.toThrow(/cannot wait for a JavaScript promise here/);
    await expect(lua.runAsync('return sleep(1, 5)')).resolves.toBe(5);
    lua.close();
  });
});

describe('stopping jobs that wait inside metamethods and library callbacks', () => {
  test.each([
    ['__index', 'return setmetatable({}, { __index = function() return sleep(5000) end }).x'],
    ['a coroutine in __index', 'return setmetatable({}, { __index = function() return coroutine.wrap(function() return sleep(5000) end)() end }).x'],
    ['a sort comparator', 'local t = {2, 1} table.sort(t, function(a, b) return sleep(5000, a < b) end)'],
    ['a gsub function', 'return ("a"):gsub(".", function(c) return sleep(5000, c) end)'],
  ])('%s: timeout and abort', async (_, code) => {
    const lua = vm();
    const e1 = await lua.runAsync(code, { timeout: 20 }).catch((x) => x);
    expect(e1.limit).toBe('time');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const e2 = await lua.runAsync(code, { signal: ac.signal }).catch((x) => x);
    expect(e2.limit).toBe('aborted');
    await expect(lua.runAsync('return setmetatable({}, { __index = function() return sleep(1, 3) end }).x')).resolves.toBe(3);
    expect(lua.run('local t = {2, 1} table.sort(t) return t[1]')).toBe(1);
    lua.close();
  });
});

test('close() while jobs wait inside metamethods and callbacks rejects them in order', async () => {
  const { LuaClosedError } = require('..');
  const lua = vm();
  const order = [];
  const jobs = [
    'return setmetatable({}, { __index = function() return sleep(5000) end }).x',
    'local t = {2, 1} table.sort(t, function(a, b) return sleep(5000, a < b) end)',
    'return tostring(setmetatable({}, { __tostring = function() return sleep(5000, "") end }))',
  ].map((code, i) => lua.runAsync(code).catch((e) => order.push(`${i}:${e instanceof LuaClosedError}`)));
  await sleep(10);
  await lua.close().then(() => order.push('closed'));
  await Promise.all(jobs);
  expect(order).toEqual(['0:true', '1:true', '2:true', 'closed']);
});

describe('Lua functions called back from JS', () => {
  test('through callAsync: the JS function returns its promise', async () => {
    const lua = vm();
    lua.set('viaJs', (f, x) => f.callAsync(x));
    await expect(lua.runAsync('return viaJs(function(v) return sleep(2, v) * 2 end, 21)')).resolves.toBe(42);
    // Nested twice.
    await expect(
      lua.runAsync('return viaJs(function(v) return viaJs(function(w) return sleep(2, w + 1) end, v) * 2 end, 20)'),
    ).resolves.toBe(42);
    // Jobs submitted before and after still settle in submission order.
    const order = [];
    const a = lua.runAsync('return sleep(5, "a")').then((v) => order.push(v));
    const b = lua.runAsync('return viaJs(function() return sleep(1, "b") end)').then((v) => order.push(v));
    const c = lua.runAsync('return "c"').then((v) => order.push(v));
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    lua.close();
  });

  test('synchronously: waiting there is a clear error', async () => {
    const lua = vm();
    lua.set('viaJsSync', (f, x) => f(x));
    const e = await lua.runAsync('return viaJsSync(function(v) return sleep(2, v) end, 1)').catch((x) => x);
    expect(e).toBeInstanceOf(LuaError);
    expect(e.message).toMatch(/called synchronously from JavaScript.*callAsync/);
    // Without waiting, the synchronous call works in an async job.
    await expect(lua.runAsync('return viaJsSync(function(v) return v + 1 end, 1)')).resolves.toBe(2);
    lua.close();
  });
});
