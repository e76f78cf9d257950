'use strict';
// Lifetime scenarios as users meet them (DESIGN.md §4), with real
// collections in both heaps, and the conversions they rely on.
const { MessageChannel } = require('worker_threads');
const { Lua, LuaTable, LuaFunction, LuaError, LuaClosedError } = require('..');
const { collect } = require('./helpers/gc');

jest.setTimeout(120000);

/** Collects both heaps until the VM's counts settle. */
async function settle(lua) {
  for (let i = 0; i < 2; i++) {
    await collect();
    lua.gc();
  }
  return lua.stats();
}

describe('closures and tables outliving what made them', () => {
  test('a Lua closure keeps working after JS dropped the Lua object and everything else', async () => {
    const counter = (() => {
      const lua = new Lua();
      lua.run('local secret = { n = 0 } function bump(k) secret.n = secret.n + k return secret.n end');
      return lua.get('bump');
    })();
    for (let i = 0; i < 3; i++) {
      await collect();
    }
    expect(counter(1)).toBe(1);
    expect(counter(2)).toBe(3);
    expect(counter).toBeInstanceOf(LuaFunction);
  });

  test('a JS callback captured by a Lua closure stays alive while the closure does', async () => {
    const lua = new Lua();
    const seen = [];
    // The only strong path to `cb` is the Lua closure's upvalue.
    const f = lua.load('local cb = ... return function(x) cb(x) end')((x) => seen.push(x));
    const base = await settle(lua);
    expect(base.imports).toBeGreaterThanOrEqual(1);
    f('a');
    await settle(lua);
    f('b');
    expect(seen).toEqual(['a', 'b']);
    lua.close();
  });

  test('a table exported, dropped in JS and re-imported is the same Lua table', async () => {
    const lua = new Lua();
    lua.run('T = { tag = "kept" }');
    const first = lua.get('T');
    const firstName = first.toString();
    // Hand the handle back to Lua: it is the table itself, not a proxy.
    const isSame = lua.run('return function(x) return rawequal(x, T) end');
    expect(isSame(first)).toBe(true);
    for (let i = 0; i < 3; i++) await settle(lua);
    const again = lua.get('T');
    expect(again).toBe(first); // still alive: same handle
    expect(again.toString()).toBe(firstName);
    expect(isSame(again)).toBe(true);
  });

  test('a handle dropped and collected, then exported again, works (no stale drop)', async () => {
    const lua = new Lua();
    lua.run('T = { 1, 2, 3 }');
    (() => {
      lua.get('T');
    })();
    await collect();
    // The drop of the old handle is recorded; the next export must survive it.
    const t = lua.get('T');
    lua.gc();
    await collect();
    lua.gc();
    expect(t.toArray()).toEqual([1, 2, 3]);
    expect(lua.run('return function(x) return rawequal(x, T) end')(t)).toBe(true);
    lua.close();
  });

  test('a JS object held only by a Lua table survives many collections and comes back as itself', async () => {
    const lua = new Lua();
    (() => {
      lua.set('keep', lua.table({}));
      lua.load('keep.obj = ...')({ name: 'held', nested: { deep: [1, 2] } });
    })();
    for (let i = 0; i < 5; i++) {
      lua.run('local junk = {} for i = 1, 2000 do junk[i] = { i } end');
      await settle(lua);
    }
    const obj = lua.run('return keep.obj');
    expect(obj).toEqual({ name: 'held', nested: { deep: [1, 2] } });
    expect(lua.run('return keep.obj.nested.deep[2]')).toBe(2);
    lua.close();
  });
});

describe('cycles through both heaps', () => {
  test('JS object -> Lua table -> JS object: kept while the VM lives, shown by stats(), freed by close()', async () => {
    const lua = new Lua();
    const base = await settle(lua);
    (() => {
      const a = { name: 'a' };
      const t = lua.table({});
      t.set('a', a);
      a.table = t;
    })();
    const held = await settle(lua);
    expect(held.exports).toBe(base.exports + 1);
    expect(held.imports).toBe(base.imports + 1);
    lua.close();
    expect(lua.stats()).toEqual(expect.objectContaining({ exports: 0, imports: 0, closed: true }));
  });

  test('a cycle through both heaps is collected with its VM when JS drops the VM', async () => {
    await collect();
    const baseline = Lua.liveCount();
    const weak = (() => {
      const lua = new Lua();
      const a = { name: 'a' };
      const t = lua.table({ list: [1, 2, 3] });
      t.set('a', a);
      a.table = t;
      a.fn = lua.run('return function() return 1 end');
      return new WeakRef(a);
    })();
    for (let i = 0; i < 10 && (weak.deref() !== undefined || Lua.liveCount() > baseline); i++) {
      await collect();
    }
    expect(weak.deref()).toBeUndefined();
    expect(Lua.liveCount()).toBe(baseline);
  });

  test('without a cycle, both sides return to their baseline after dropping', async () => {
    const lua = new Lua();
    const base = await settle(lua);
    (() => {
      for (let i = 0; i < 1000; i++) {
        const t = lua.run('return {}');
        t.set('obj', { i });
      }
    })();
    const after = await settle(lua);
    expect(after.exports).toBe(base.exports);
    expect(after.imports).toBe(base.imports);
    lua.close();
  });
});

describe('many VMs', () => {
  test('VMs created, used and dropped without close() keep memory bounded', async () => {
    await collect();
    const baseline = Lua.liveCount();
    const round = () => {
      for (let i = 0; i < 50; i++) {
        const lua = new Lua();
        lua.set('obj', { payload: 'x'.repeat(1000) });
        lua.run('data = {} for i = 1, 200 do data[i] = string.rep("y", 100) .. i end');
        lua.get('data');
      }
    };
    round();
    for (let i = 0; i < 10 && Lua.liveCount() > baseline; i++) await collect();
    const mem0 = process.memoryUsage().rss;
    for (let r = 0; r < 4; r++) {
      round();
      for (let i = 0; i < 10 && Lua.liveCount() > baseline; i++) await collect();
    }
    expect(Lua.liveCount()).toBe(baseline);
    // 200 more VMs made and dropped: memory does not grow with them.
    expect(process.memoryUsage().rss - mem0).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('toObject() conversion rules', () => {
  test('tables with keys 1..n are arrays, string/number keys give objects', () => {
    const lua = new Lua();
    expect(lua.run('return { 10, 20, 30 }').toObject()).toEqual([10, 20, 30]);
    expect(lua.run('return { a = 1, [2] = "two", [2.5] = "x" }').toObject()).toEqual({ a: 1, 2: 'two', '2.5': 'x' });
    expect(lua.run('return { 1.5, -2, 2^53 }').toArray()).toEqual([1.5, -2, 2 ** 53]);
    expect(lua.run('return { 1, math.maxinteger }').toArray()).toEqual([1, 9223372036854775807n]);
    lua.close();
  });

  test('other keys give a Map, keys converted like values', () => {
    const lua = new Lua();
    const m = lua.run('local k = { id = 7 } return { [true] = "yes", [k] = "table key", name = "n" }').toObject();
    expect(m).toBeInstanceOf(Map);
    expect(m.get(true)).toBe('yes');
    expect(m.get('name')).toBe('n');
    const tableKey = [...m.keys()].find((k) => typeof k === 'object');
    expect(tableKey).toEqual({ id: 7 });
    expect(m.get(tableKey)).toBe('table key');
    const f = lua.run('local f = function() return 1 end return { [f] = f }').toObject();
    const [[fk, fv]] = [...f];
    expect(fk).toBeInstanceOf(LuaFunction);
    expect(fk).toBe(fv);
    lua.close();
  });

  test('cycles and shared tables, through Maps too', () => {
    const lua = new Lua();
    const o = lua.run('local t = {} t.self = t t.list = { t } return t').toObject();
    expect(o.self).toBe(o);
    expect(o.list[0]).toBe(o);
    const m = lua.run('local t = {} t[t] = t return t').toObject();
    const [[k, v]] = [...m];
    expect(k).toBe(m);
    expect(v).toBe(m);
    lua.close();
  });

  test('arrays of numbers cross in bulk with the usual number rules', () => {
    const lua = new Lua();
    const t = lua.table([1, 2.5, -0, 2 ** 53, NaN]);
    expect(lua.run('return function(t) return math.type(t[1]), math.type(t[2]), math.type(t[3]), #t end').callMultiple(t)).toEqual([
      'integer',
      'float',
      'integer',
      5,
    ]);
    expect(lua.table([1, 'two', 3]).toObject()).toEqual([1, 'two', 3]);
    // eslint-disable-next-line no-sparse-arrays
    expect(lua.table([1, , 3]).toObject()).toEqual({ 1: 1, 3: 3 });
    expect(lua.table({ m: [[1, 2], [3, 4]] }).toObject()).toEqual({ m: [[1, 2], [3, 4]] });
    lua.close();
  });
});

describe('the API surface of issue 4', () => {
  test('run returns all results with multiple: true, callMultiple too', () => {
    const lua = new Lua();
    expect(lua.run('return 1, "a", nil, true', { multiple: true })).toEqual([1, 'a', undefined, true]);
    expect(lua.run('return')).toBeUndefined();
    expect(lua.run('return function() return 1, 2 end').callMultiple()).toEqual([1, 2]);
    lua.close();
  });

  test('release() and Symbol.dispose; use afterwards throws LuaClosedError', () => {
    const lua = new Lua();
    const t = lua.run('return { 1 }');
    const f = lua.run('return function() return 1 end');
    t.release();
    f[Symbol.dispose]();
    expect(() => t.get(1)).toThrow(LuaClosedError);
    expect(() => f()).toThrow(LuaClosedError);
    expect(() => lua.set('x', t)).toThrow(LuaClosedError);
    t.release(); // twice is fine
    lua.close();
  });

  test('after close() every handle throws LuaClosedError', () => {
    const lua = new Lua();
    const t = lua.run('return {}');
    const f = lua.run('return print');
    lua.close();
    expect(() => t.get('x')).toThrow(LuaClosedError);
    expect(() => f()).toThrow(LuaClosedError);
    expect(() => lua.run('return 1')).toThrow(LuaClosedError);
    expect(() => t.toObject()).toThrow(LuaClosedError);
  });

  test('a handle of another VM, or of a closed VM, gives a clear error', () => {
    const a = new Lua();
    const b = new Lua();
    const t = a.run('return {}');
    expect(() => b.set('t', t)).toThrow(/another Lua VM/);
    expect(() => b.run('return function(x) end')(t)).toThrow(TypeError);
    a.close();
    expect(() => b.set('t', t)).toThrow(LuaClosedError);
    b.close();
  });

  test('re-entrancy is bounded with a clear error, and the VM stays usable', () => {
    const lua = new Lua();
    lua.set('again', (n) => lua.run(`return again(${n + 1})`));
    expect(() => lua.run('return again(0)')).toThrow(LuaError);
    expect(() => lua.run('return again(0)')).toThrow(/too many nested calls|stack overflow|depth/);
    expect(lua.run('return 1 + 1')).toBe(2);
    lua.close();
  });
});

describe('calls across the boundary, nested and many', () => {
  test('a long Lua loop calling JS returns the right values (handles do not pile up)', () => {
    const lua = new Lua();
    lua.set('mk', (i) => ({ i, s: `x${i}` }));
    lua.set('id', (x) => x);
    expect(lua.run('local s = 0 for i = 1, 100000 do s = s + mk(i).i + id(1) end return s')).toBe(5000050000 + 100000);
    lua.close();
  });

  test('a long run lets go of the JS objects Lua dropped while it runs', () => {
    const lua = new Lua();
    let calls = 0;
    let most = 0;
    lua.set('mk', (i) => {
      if (++calls % 1000 === 0) most = Math.max(most, lua.stats().imports);
      return { i };
    });
    expect(lua.run('local s = 0 for i = 1, 200000 do s = s + mk(i).i end return s')).toBe(20000100000);
    expect(most).toBeLessThan(100000);
    lua.close();
  });

  test('nesting across two VMs and back, with errors caught at each level', () => {
    const a = new Lua();
    const b = new Lua();
    a.set('double', (x) => x * 2);
    b.set('back', (x) => a.run(`return ${x} + double(1)`));
    a.set('toB', (x) => b.run(`return back(${x}) + 1`));
    a.set('bad', () => {
      throw new Error('bad');
    });
    expect(a.run('local s = 0 for i = 1, 500 do s = s + toB(i) + double(i) end return s')).toBe(3 * ((500 * 501) / 2) + 3 * 500);
    expect(a.run('local n = 0 for i = 1, 200 do if not pcall(bad) then n = n + 1 end end return n')).toBe(200);
    b.set('badB', () => a.run('error("deep")'));
    expect(a.run('local n = 0 for i = 1, 100 do local ok, e = pcall(toB, i) n = n + (ok and 1 or 0) end return n')).toBe(100);
    expect(() => b.run('badB()')).toThrow(/deep/);
    a.close();
    b.close();
  });

  test('__gc metamethods that call JS run during collections', () => {
    const lua = new Lua();
    let n = 0;
    lua.set('note', () => {
      n++;
    });
    lua.run('for i = 1, 100 do setmetatable({}, { __gc = function() note() end }) end');
    lua.gc();
    expect(n).toBe(100);
    const t = lua.run('return { 1, 2, 3 }');
    expect(t.toArray()).toEqual([1, 2, 3]);
    lua.close();
  });
});

describe('threads', () => {
  test('handles cannot be used from another thread: a LuaFunction is not cloneable, a LuaTable arrives empty', async () => {
    const lua = new Lua();
    const f = lua.run('return function() return 1 end');
    const t = lua.run('return { x = 1 }');
    const { port1, port2 } = new MessageChannel();
    expect(() => port1.postMessage(f)).toThrow(/could not be cloned/);
    const got = new Promise((resolve) => port2.once('message', resolve));
    port1.postMessage(t);
    const copy = await got;
    expect(copy).not.toBeInstanceOf(LuaTable);
    expect(copy.x).toBeUndefined();
    port1.close();
    // What to send instead: a copy.
    expect(t.toObject()).toEqual({ x: 1 });
    lua.close();
  });
});
