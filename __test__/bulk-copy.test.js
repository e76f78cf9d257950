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
