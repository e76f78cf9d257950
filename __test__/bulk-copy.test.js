'use strict';
// Deep copies of big tables and objects take bulk paths (one call into JS
// for all properties); they must give what the one-by-one paths give.
const { Lua } = require('..');

describe('toObject() of big tables (properties set in bulk)', () => {
  test('keys of every kind, any values, cycles', () => {
    const lua = new Lua();
    const t = lua.run(`
      local t = {}
      for i = 1, 200 do t["k" .. i] = i end
      t["ключ"] = "unicode"; t["😀x"] = 1.5; t[2.5] = "float key"; t[-3] = "negative"
      t.nested = { a = { b = true } }; t.self = t; t.big = math.maxinteger
      t.f = function() end
      return t`);
    const o = t.toObject();
    expect(Object.getPrototypeOf(Object.getPrototypeOf(o))).toBe(null);
    expect(o.k1).toBe(1);
    expect(o.k200).toBe(200);
    expect(o['ключ']).toBe('unicode');
    expect(o['😀x']).toBe(1.5);
    expect(o['2.5']).toBe('float key');
    expect(o['-3']).toBe('negative');
    expect(o.nested).toEqual({ a: { b: true } });
    expect(o.self).toBe(o);
    expect(o.big).toBe(BigInt('9223372036854775807'));
    expect(typeof o.f).toBe('function');
    expect(Object.keys(o).length).toBe(208);
    lua.close();
  });

  test('numbers only, in next order', () => {
    const lua = new Lua();
    const t = lua.run('local t = {} for i = 1, 100 do t["n" .. i] = i / 2 end return t');
    const o = t.toObject();
    expect(Object.keys(o)).toEqual(t.keys());
    expect(o.n7).toBe(3.5);
    lua.close();
  });
});

describe('lua.table() of plain objects (properties read in bulk)', () => {
  test('names of every kind, values of every kind, getters, cycles', () => {
    const lua = new Lua();
    const o = { plain: 1, 'ключ': 2, '😀x': 3, ['\ud800']: 4, 10: 'ten', 2: 'two', nested: { a: [1, 2] }, s: 'str' };
    o.self = o;
    Object.defineProperty(o, 'getter', { get: () => 42, enumerable: true });
    Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });
    o[Symbol('x')] = 1;
    const t = lua.table(o);
    const check = lua.run(`return function(t)
      local n = 0 for _ in pairs(t) do n = n + 1 end
      return n, t.plain, t["ключ"], t["😀x"], t["\\u{FFFD}"], t["10"], t["2"], t.nested.a[2], t.s, t.self == t, t.getter, t.hidden
    end`);
    expect(check.callMultiple(t)).toEqual([10, 1, 2, 3, 4, 'ten', 'two', 2, 'str', true, 42, undefined]);
    lua.close();
  });

  test('numbers only, and a null-prototype object', () => {
    const lua = new Lua();
    const o = Object.create(null);
    for (let i = 0; i < 100; i++) o[`k${i}`] = i + 0.5;
    const sum = lua.run('return function(t) local s = 0 for _, v in pairs(t) do s = s + v end return s end');
    expect(sum(lua.table(o))).toBe(5000);
    expect(sum(lua.table({}))).toBe(0);
    lua.close();
  });

  test('a throwing getter stops the copy with its error', () => {
    const lua = new Lua();
    const err = new Error('no');
    const o = { a: 1 };
    Object.defineProperty(o, 'b', { get: () => { throw err; }, enumerable: true });
    expect(() => lua.table(o)).toThrow(err);
    lua.close();
  });
});

describe('pairs() over a proxied JS object (properties read in bulk)', () => {
  test('names and values of every kind', () => {
    const lua = new Lua();
    const fn = () => 7;
    const inner = { x: 1 };
    const o = { n: 1.5, 'ключ': 'v', 3: true, f: fn, inner };
    const collect = lua.run(`return function(o)
      local out = {}
      for k, v in pairs(o) do out[#out + 1] = k; out[#out + 1] = v end
      return out
    end`);
    const flat = collect(o).toArray();
    const got = new Map();
    for (let i = 0; i < flat.length; i += 2) got.set(flat[i], flat[i + 1]);
    expect(got).toEqual(new Map([['3', true], ['n', 1.5], ['ключ', 'v'], ['f', fn], ['inner', inner]]));
    expect(got.get('f')).toBe(fn);
    expect(got.get('inner')).toBe(inner);
    const sum = lua.run('return function(o) local s = 0 for _, v in pairs(o) do s = s + v end return s end');
    const big = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(sum(big)).toBe(499500);
    lua.close();
  });
});
