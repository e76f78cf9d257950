'use strict';
const { Lua, LuaTable, LuaFunction, LuaThread, LuaError, LuaSyntaxError, LuaClosedError } = require('..');

let lua;
beforeEach(() => {
  lua = new Lua();
});
afterEach(() => {
  lua.close();
});

describe('values from Lua', () => {
  test('primitives', () => {
    expect(lua.run('return nil')).toBeUndefined();
    expect(lua.run('return true')).toBe(true);
    expect(lua.run('return 42')).toBe(42);
    expect(lua.run('return 1.5')).toBe(1.5);
    expect(lua.run('return "héllo"')).toBe('héllo');
    expect(lua.run('return 2^53')).toBe(2 ** 53);
  });

  test('integers beyond 2^53 - 1 become BigInt', () => {
    expect(lua.run('return 9007199254740991')).toBe(9007199254740991);
    expect(lua.run('return 9007199254740992')).toBe(9007199254740992n);
    expect(lua.run('return 0x7fffffffffffffff')).toBe(9223372036854775807n);
    expect(lua.run('return -0x7fffffffffffffff - 1')).toBe(-9223372036854775808n);
  });

  test('strings that are not UTF-8 become Buffers', () => {
    const b = lua.run('return "\\xff\\xfe"');
    expect(Buffer.isBuffer(b)).toBe(true);
    expect([...b]).toEqual([0xff, 0xfe]);
  });

  test('multiple results', () => {
    expect(lua.run('return 1, "two", nil, true', { multiple: true })).toEqual([1, 'two', undefined, true]);
    expect(lua.run('return', { multiple: true })).toEqual([]);
  });

  test('tables are LuaTable handles', () => {
    const t = lua.run('return { 10, 20, 30, name = "x", nested = { deep = true } }');
    expect(t).toBeInstanceOf(LuaTable);
    expect(t.get(1)).toBe(10);
    expect(t.get('name')).toBe('x');
    expect(t.get('missing')).toBeUndefined();
    expect(t.length()).toBe(3);
    expect(t.has('name')).toBe(true);
    expect(t.has('nope')).toBe(false);
    expect(t.get('nested')).toBeInstanceOf(LuaTable);
    expect(t.get('nested').get('deep')).toBe(true);
    expect(String(t)).toMatch(/^table: 0x[0-9a-f]+$/);
  });

  test('table iteration', () => {
    const t = lua.run('return { "a", "b", k = 1 }');
    expect(t.keys()).toEqual([1, 2, 'k']);
    expect(t.values()).toEqual(['a', 'b', 1]);
    expect(t.entries()).toEqual([
      [1, 'a'],
      [2, 'b'],
      ['k', 1],
    ]);
    expect([...t]).toEqual(t.entries());
    const seen = {};
    for (const [k, v] of t) seen[k] = v;
    expect(seen).toEqual({ 1: 'a', 2: 'b', k: 1 });
  });

  test('set writes into the Lua table', () => {
    const t = lua.run('T = {} return T');
    t.set('a', 1).set(1, 'one');
    expect(lua.run('return T.a, T[1]', { multiple: true })).toEqual([1, 'one']);
    t.set('a', undefined);
    expect(lua.run('return T.a')).toBeUndefined();
  });

  test('get/set/length honour metamethods; raw versions do not', () => {
    const t = lua.run(`
      return setmetatable({}, {
        __index = function(_, k) return "meta:" .. tostring(k) end,
        __newindex = function(t, k, v) rawset(t, k, v * 2) end,
        __len = function() return 99 end,
      })`);
    expect(t.get('x')).toBe('meta:x');
    expect(t.rawGet('x')).toBeUndefined();
    t.set('n', 5);
    expect(t.rawGet('n')).toBe(10);
    t.rawSet('m', 5);
    expect(t.rawGet('m')).toBe(5);
    expect(t.length()).toBe(99);
    expect(t.metatable).toBeInstanceOf(LuaTable);
    expect(lua.run('return {}').metatable).toBeUndefined();
  });

  test('toObject and toArray are deep copies, cycles kept', () => {
    const t = lua.run('local t = { 1, 2, { a = "b" }, name = "n" } t.self = t return t');
    const o = t.toObject();
    expect(o[1]).toBe(1);
    expect(o[3]).toEqual({ a: 'b' });
    expect(o.name).toBe('n');
    expect(o.self).toBe(o);
    expect(lua.run('return { 1, 2, { 3, 4 } }').toObject()).toEqual([1, 2, [3, 4]]);
    expect(t.toArray()).toEqual([1, 2, { a: 'b' }]);
    expect(lua.run('return {}').toObject()).toEqual({});
  });

  test('functions are callable LuaFunction handles', () => {
    const add = lua.run('return function(a, b) return a + b end');
    expect(add).toBeInstanceOf(LuaFunction);
    expect(add).toBeInstanceOf(Function);
    expect(typeof add).toBe('function');
    expect(add(40, 2)).toBe(42);
    const many = lua.run('return function(...) return select("#", ...), ... end');
    expect(many.callMultiple(1, 2, 3, 4, 5)).toEqual([5, 1, 2, 3, 4, 5]);
    expect(many()).toBe(0);
    expect([1, 2, 3].map(lua.run('return function(x) return x * 10 end'))).toEqual([10, 20, 30]);
  });

  test('coroutines are LuaThread handles', () => {
    expect(lua.run('return coroutine.create(function() end)')).toBeInstanceOf(LuaThread);
  });
});

describe('values into Lua', () => {
  test('primitives', () => {
    const id = lua.run('return function(...) return ... end');
    // math.type without the math library: integers print without a dot.
    const type = lua.run(
      'return function(x) if type(x) ~= "number" then return type(x) end return tostring(x):find("[%.eEn]") and "float" or "integer" end',
    );
    expect(id(undefined)).toBeUndefined();
    expect(id(null)).toBeUndefined();
    expect(id(true)).toBe(true);
    expect(type(3)).toBe('integer');
    expect(type(-0)).toBe('integer');
    expect(type(3.5)).toBe('float');
    expect(type(2 ** 60)).toBe('float');
    expect(type(10n)).toBe('integer');
    expect(id(2n ** 62n)).toBe(2n ** 62n);
    expect(type('s')).toBe('string');
    expect(id('ünïcødé')).toBe('ünïcødé');
  });

  test('BigInt out of range is a RangeError', () => {
    const id = lua.run('return function(x) return x end');
    expect(() => id(2n ** 64n)).toThrow(RangeError);
  });

  test('Buffers and Uint8Arrays become byte strings', () => {
    const f = lua.run('return function(s) return type(s), #s, s:byte(1, -1) end');
    expect(f.callMultiple(Buffer.from([1, 2, 255]))).toEqual(['string', 3, 1, 2, 255]);
    expect(f.callMultiple(new Uint8Array([7]))).toEqual(['string', 1, 7]);
  });

  test('lua.set / lua.get / lua.globals', () => {
    lua.set('answer', 42);
    expect(lua.run('return answer')).toBe(42);
    lua.run('greeting = "hi"');
    expect(lua.get('greeting')).toBe('hi');
    expect(lua.globals).toBeInstanceOf(LuaTable);
    expect(lua.globals).toBe(lua.globals);
    expect(lua.globals.get('greeting')).toBe('hi');
    expect(lua.run('return _G')).toBe(lua.globals);
    expect(typeof lua.get('print')).toBe('function');
  });

  test('lua.table copies plain data', () => {
    const src = { name: 'x', list: [1, 2, 3], nested: { ok: true } };
    const t = lua.table(src);
    expect(t).toBeInstanceOf(LuaTable);
    lua.set('t', t);
    expect(lua.run('return t.name, #t.list, t.list[3], t.nested.ok', { multiple: true })).toEqual(['x', 3, 3, true]);
    src.name = 'changed';
    expect(t.get('name')).toBe('x');
    expect(lua.table().length()).toBe(0);
    const m = lua.table(new Map([['k', 'v'], [1, 'one']]));
    expect(m.get('k')).toBe('v');
    expect(m.get(1)).toBe('one');
  });

  test('lua.table keeps cycles', () => {
    const a = { name: 'a' };
    a.self = a;
    const t = lua.table(a);
    expect(t.get('self')).toBe(t);
    lua.set('t', t);
    expect(lua.run('return t.self == t and t.self.self.name')).toBe('a');
  });

  test('lua.load compiles without running', () => {
    const f = lua.load('counter = (counter or 0) + 1 return counter');
    expect(f).toBeInstanceOf(LuaFunction);
    expect(lua.get('counter')).toBeUndefined();
    expect(f()).toBe(1);
    expect(f()).toBe(2);
    expect(lua.load('return ...')(7)).toBe(7);
  });
});

describe('JS functions and objects in Lua', () => {
  test('JS functions are callable from Lua', () => {
    lua.set('add', (a, b) => a + b);
    expect(lua.run('return add(2, 3)')).toBe(5);
    expect(lua.run('return type(add)')).toBe('function');
    lua.set('nothing', () => undefined);
    expect(lua.run('return select("#", nothing())')).toBe(0);
  });

  test('JS objects are proxies', () => {
    const obj = { n: 1, list: [10, 20, 30], map: new Map([['k', 'v']]) };
    lua.set('obj', obj);
    expect(lua.run('return obj.n')).toBe(1);
    lua.run('obj.n = obj.n + 1; obj.fresh = "yes"');
    expect(obj.n).toBe(2);
    expect(obj.fresh).toBe('yes');
    expect(lua.run('return obj.list[1], obj.list[3], #obj.list', { multiple: true })).toEqual([10, 30, 3]);
    lua.run('obj.list[4] = 40');
    expect(obj.list).toEqual([10, 20, 30, 40]);
    expect(lua.run('local s = 0 for _, v in ipairs(obj.list) do s = s + v end return s')).toBe(100);
    expect(lua.run('return obj.map.k, #obj.map', { multiple: true })).toEqual(['v', 1]);
    lua.run('obj.map.z = 26');
    expect(obj.map.get('z')).toBe(26);
    expect(lua.run('local n = 0 for k, v in pairs(obj) do n = n + 1 end return n')).toBe(Object.keys(obj).length);
    expect(lua.run('return type(obj)')).toBe('userdata');
    expect(lua.run('return tostring(obj.list)')).toBe('10,20,30,40');
    lua.run('obj.fresh = nil');
    expect('fresh' in obj).toBe(false);
  });

  test('obj:method() calls with this = obj', () => {
    class Counter {
      constructor() {
        this.count = 0;
      }
      inc(by) {
        this.count += by;
        return this.count;
      }
    }
    const c = new Counter();
    lua.set('c', c);
    expect(lua.run('c:inc(5) return c:inc(2)')).toBe(7);
    expect(c.count).toBe(7);
    lua.set('math2', { twice: (x) => x * 2 });
    expect(lua.run('return math2.twice(21)')).toBe(42);
  });

  test('a proxy comes back as the original object', () => {
    const obj = { a: 1 };
    const fn = () => 1;
    const id = lua.run('return function(x) return x end');
    expect(id(obj)).toBe(obj);
    expect(id(fn)).toBe(fn);
  });

  test('identity: the same JS object is the same Lua value', () => {
    const obj = {};
    const fn = () => {};
    const same = lua.run('return function(a, b) return rawequal(a, b) end');
    expect(same(obj, obj)).toBe(true);
    expect(same(fn, fn)).toBe(true);
    expect(same(obj, {})).toBe(false);
    lua.set('o', obj);
    lua.run('keyed = { [o] = "found" }');
    const get = lua.run('return function(k) return keyed[k] end');
    expect(get(obj)).toBe('found');
    expect(get({})).toBeUndefined();
  });

  test('identity: the same Lua object is the same handle', () => {
    lua.run('T = {} F = function() end');
    expect(lua.get('T')).toBe(lua.get('T'));
    expect(lua.get('F')).toBe(lua.get('F'));
    const t = lua.get('T');
    const same = lua.run('return function(x) return rawequal(x, T) end');
    expect(same(t)).toBe(true);
  });

  test('Lua functions can be handed back to Lua', () => {
    const double = lua.run('return function(x) return x * 2 end');
    const apply = lua.run('return function(f, x) return f(x) end');
    expect(apply(double, 21)).toBe(42);
    expect(apply((x) => x + 1, 41)).toBe(42);
  });
});

describe('errors', () => {
  test('runtime errors are LuaError with value and traceback', () => {
    let err;
    try {
      lua.run('local x = nil\nreturn x.field', { chunkName: 'main.lua' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LuaError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^main\.lua:2: attempt to index a nil value/);
    expect(typeof err.luaStack).toBe('string');
    expect(() => lua.run('error("x")')).toThrow(LuaError);
    expect(() => lua.run('error("x")')).toThrow(Error);
  });

  test('error values cross as values', () => {
    try {
      lua.run('error({ code = 42 })');
    } catch (e) {
      expect(e).toBeInstanceOf(LuaError);
      expect(e.value).toBeInstanceOf(LuaTable);
      expect(e.value.get('code')).toBe(42);
    }
    expect.assertions(3);
  });

  test('syntax errors are LuaSyntaxError with chunk, line and column', () => {
    let err;
    try {
      lua.run('x = = 1', { chunkName: 'bad.lua' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LuaSyntaxError);
    expect(err).toBeInstanceOf(LuaError);
    expect(err.chunkName).toBe('bad.lua');
    expect(err.line).toBe(1);
    expect(err.column).toBeGreaterThan(0);
    expect(() => lua.load('return +')).toThrow(LuaSyntaxError);
  });

  test('a LuaFunction error throws LuaError', () => {
    const f = lua.run('return function() error("inside") end');
    expect(() => f()).toThrow(LuaError);
    expect(() => f()).toThrow(/inside/);
  });

  test('a JS exception crosses Lua and comes back as the same object', () => {
    const boom = new TypeError('boom');
    lua.set('fail', () => {
      throw boom;
    });
    let caught;
    try {
      lua.run('fail()');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
  });

  test('pcall catches a JS exception', () => {
    lua.set('fail', () => {
      throw new Error('from js');
    });
    expect(lua.run('local ok, e = pcall(fail) local m = e.message local s = tostring(e) return ok, m, s', { multiple: true })).toEqual([
      false,
      'from js',
      'Error: from js',
    ]);
    lua.set('failStr', () => {
      throw 'plain string';
    });
    expect(lua.run('local ok, e = pcall(failStr) return e')).toBe('plain string');
  });

  test('a Lua error inside a JS callback keeps its value through pcall', () => {
    const inner = lua.run('return function() error({ tag = "inner" }) end');
    lua.set('callInner', () => inner());
    expect(lua.run('local ok, e = pcall(callInner) local tag = e.tag return type(e), tag', { multiple: true })).toEqual(['table', 'inner']);
  });

  test('a handle of another VM is refused', () => {
    const other = new Lua();
    try {
      const t = other.run('return {}');
      expect(() => lua.set('t', t)).toThrow(/another Lua VM/);
    } finally {
      other.close();
    }
  });
});

describe('re-entrancy', () => {
  test('a JS callback can run code, call functions and read tables of the same VM', () => {
    lua.run('T = { v = 1 } function twice(x) return 2 * x end');
    const twice = lua.get('twice');
    lua.set('js', (x) => {
      const t = lua.get('T');
      t.set('v', t.get('v') + x);
      return twice(x) + lua.run('return T.v');
    });
    expect(lua.run('local a = 5 local r = js(a) return r + a')).toBe(2 * 5 + 6 + 5);
    expect(lua.get('T').get('v')).toBe(6);
  });

  test('upvalues of the running chunk stay valid during nested calls', () => {
    lua.set('poke', () => lua.run('return 1'));
    expect(
      lua.run(`
        local acc = {}
        local function add(x) acc[#acc + 1] = x end
        for i = 1, 50 do add(poke() + i) end
        return #acc, acc[50]`, { multiple: true }),
    ).toEqual([50, 51]);
  });

  test('deep recursion through both languages fails with a clear error', () => {
    lua.set('down', (n) => lua.get('rec')(n));
    lua.run('function rec(n) if n == 0 then return 0 end return 1 + down(n - 1) end');
    expect(lua.run('return rec(20)')).toBe(20);
    expect(() => lua.run('return rec(100000)')).toThrow(/nested|stack|depth|overflow/i);
    // The VM is still usable.
    expect(lua.run('return rec(10)')).toBe(10);
  });

  test('arguments stay right across many calls and nested levels', () => {
    // Calls share handle scopes (and the handles of small integers) per
    // nesting level; inner levels open and close theirs between outer calls.
    const seen = [];
    lua.set('pair', (a, b) => a * 1000 + b);
    lua.set('inner', (k) => lua.run(`local s = 0 for i = 1, ${k} do s = s + pair(i % 9, 7) end return s`));
    lua.set('note', (a, b, c, d) => {
      seen.push([a, b, c, d]);
      return a + b + c + d;
    });
    const out = lua.run(`
      local total, last = 0, 0
      for i = 1, 100 do
        total = total + pair(i % 5, -3) + note(i, 1, -1, i % 3)
        if i % 7 == 0 then last = inner(i) end
        total = total + pair(2, i)
      end
      return total, last`, { multiple: true });
    let total = 0;
    let last = 0;
    for (let i = 1; i <= 100; i++) {
      total += (i % 5) * 1000 - 3 + i + (i % 3);
      if (i % 7 === 0) {
        last = 0;
        for (let j = 1; j <= i; j++) last += (j % 9) * 1000 + 7;
      }
      total += 2000 + i;
    }
    expect(out).toEqual([total, last]);
    expect(seen[41]).toEqual([42, 1, -1, 0]);
  });

  test('methods get the right this and arguments, with or without the receiver', () => {
    const obj = {
      k: 10,
      f(...args) {
        return [this === obj, ...args].join(',');
      },
    };
    lua.set('obj', obj);
    expect(lua.run('return obj:f(1, 2)')).toBe('true,1,2');
    expect(lua.run('return obj.f(obj, 1, 2)')).toBe('true,1,2');
    expect(lua.run('return obj.f(1, 2)')).toBe('true,1,2');
    expect(lua.run('return obj:f(1, 2, 3, 4, 5, 6)')).toBe('true,1,2,3,4,5,6');
    expect(lua.run('local f = obj.f return f(obj)')).toBe('true');
  });

  test('close() from inside a callback is refused', () => {
    lua.set('closer', () => lua.close());
    expect(() => lua.run('closer()')).toThrow(/while it is running/);
    expect(lua.run('return 1')).toBe(1);
  });
});

describe('close', () => {
  test('handles throw LuaClosedError after close', () => {
    const other = new Lua();
    const t = other.run('return {}');
    const f = other.run('return function() end');
    other.close();
    expect(() => t.get(1)).toThrow(LuaClosedError);
    expect(() => f()).toThrow(LuaClosedError);
    expect(() => other.run('return 1')).toThrow(LuaClosedError);
    expect(other.closed).toBe(true);
    other.close();
  });

  test('close() runs pending __gc metamethods, which may call JS', () => {
    const other = new Lua();
    const seen = [];
    other.set('note', (what) => {
      // A finalizer's JS code may still use the VM.
      seen.push(`${what} ${other.get('n')}`);
    });
    other.run('n = 1; setmetatable({}, { __gc = function() note("dropped") end })');
    other.run('kept = setmetatable({}, { __gc = function() note("kept") end })');
    expect(seen).toEqual([]);
    other.close();
    expect(seen.sort()).toEqual(['dropped 1', 'kept 1']);
    expect(other.closed).toBe(true);
  });

  test('closing twice runs the finalizers once', () => {
    const other = new Lua();
    let runs = 0;
    other.set('count', () => runs++);
    other.run('x = setmetatable({}, { __gc = function() count() end })');
    other.close();
    other.close();
    expect(runs).toBe(1);
  });

  test('errors in finalizers do not escape close(); the others still run', () => {
    const other = new Lua();
    const seen = [];
    other.set('note', (x) => seen.push(x));
    other.set('fail', () => {
      throw new Error('JS failure');
    });
    other.run(`
      a = setmetatable({}, { __gc = function() error("boom") end })
      b = setmetatable({}, { __gc = function() fail() end })
      c = setmetatable({}, { __gc = function() note("c") end })
      d = setmetatable({}, { __gc = function() note("d") end })
    `);
    expect(() => other.close()).not.toThrow();
    expect(seen.sort()).toEqual(['c', 'd']);
  });

  test('a finalizer cannot close the VM it runs in', () => {
    const other = new Lua();
    let error;
    other.set('closer', () => {
      try {
        other.close();
      } catch (e) {
        error = e;
      }
    });
    other.run('x = setmetatable({}, { __gc = function() closer() end })');
    other.close();
    expect(error.message).toMatch(/while it is running/);
    expect(other.closed).toBe(true);
  });

  test('Symbol.dispose closes', () => {
    const other = new Lua();
    other[Symbol.dispose]();
    expect(() => other.run('return 1')).toThrow(LuaClosedError);
  });

  test('released handles throw a clear error', () => {
    const t = lua.run('return {}');
    t.release();
    expect(() => t.get(1)).toThrow(/released/);
    const f = lua.run('return function() end');
    f[Symbol.dispose]();
    expect(() => f()).toThrow(/released/);
  });
});

describe('stats and gc', () => {
  test('stats reports exports, imports and heap objects', () => {
    const s0 = lua.stats();
    expect(s0).toEqual(
      expect.objectContaining({
        exports: expect.any(Number),
        imports: expect.any(Number),
        heapObjects: expect.any(Number),
        heapBytes: expect.any(Number),
      }),
    );
    const t = lua.run('return {}');
    lua.set('o', {});
    const s1 = lua.stats();
    expect(s1.exports).toBe(s0.exports + 1);
    expect(s1.imports).toBe(s0.imports + 1);
    t.release();
    expect(lua.stats().exports).toBe(s0.exports);
    lua.run('o = nil');
    lua.gc();
    const s2 = lua.stats();
    expect(s2.exports).toBe(s0.exports);
    expect(s2.imports).toBe(s0.imports);
  });
});

test('ESM: import { Lua } from "lunarena" works', () => {
  const { execFileSync } = require('child_process');
  const path = require('path');
  const code = [
    "import { Lua, LuaTable } from 'lunarena';",
    'const lua = new Lua();',
    "lua.set('add', (a, b) => a + b);",
    "const t = lua.run('return { sum = add(40, 2) }');",
    "console.log(JSON.stringify([t instanceof LuaTable, t.get('sum')]));",
    'lua.close();',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out)).toEqual([true, 42]);
});
