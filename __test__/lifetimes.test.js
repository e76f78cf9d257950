'use strict';
// Lifetimes across the two heaps (DESIGN.md §4), with real collections:
// `npm test` runs jest under `node --expose-gc` (helpers/gc.js falls back to
// switching the flag on at run time).
const { Lua, LuaTable } = require('..');
const { gc, collect } = require('./helpers/gc');

jest.setTimeout(120000);

/** Collects both heaps until the VM's counts settle. */
async function settle(lua) {
  await collect();
  lua.gc();
  await collect();
  lua.gc();
  return lua.stats();
}

describe('exports: Lua objects held by JS', () => {
  test('dropping 100,000 handles returns the export table to its baseline', async () => {
    const lua = new Lua();
    const base = await settle(lua);
    const make = lua.run('return function(i) return { i = i } end');
    let sum = 0;
    for (let i = 0; i < 100000; i++) {
      const t = make(i);
      sum += t.get('i');
    }
    expect(sum).toBe((99999 * 100000) / 2);
    expect(lua.stats().exports).toBeGreaterThan(base.exports);
    const after = await settle(lua);
    expect(after.exports).toBe(base.exports);
    expect(after.heapObjects).toBeLessThanOrEqual(base.heapObjects + 50);
    lua.close();
  });

  test('release() and using-style dispose free at once', () => {
    const lua = new Lua();
    const base = lua.stats().exports;
    for (let i = 0; i < 1000; i++) {
      const t = lua.run('return {}');
      t.release();
    }
    expect(lua.stats().exports).toBe(base);
    const f = lua.run('return function() end');
    f[Symbol.dispose]();
    expect(lua.stats().exports).toBe(base);
    lua.close();
  });

  test('a handle still held keeps its object alive through many collections', async () => {
    const lua = new Lua();
    const t = lua.run('return { x = 1, inner = { y = 2 } }');
    const f = lua.run('local n = 0 return function() n = n + 1 return n end');
    for (let i = 0; i < 5; i++) {
      lua.run('local junk = {} for i = 1, 1000 do junk[i] = { i } end');
      await collect(2);
      lua.gc();
    }
    expect(t.get('x')).toBe(1);
    expect(t.get('inner').get('y')).toBe(2);
    expect(f()).toBe(1);
    expect(f()).toBe(2);
    lua.close();
  });

  test('identity holds while the handle lives; a re-export after a drop works', async () => {
    const lua = new Lua();
    lua.run('T = { v = 7 }');
    const before = lua.stats().exports;
    // (In a plain function: a suspended async function keeps its dead temporaries alive.)
    const weak = (() => {
      const a = lua.get('T');
      expect(lua.get('T')).toBe(a);
      return new WeakRef(a);
    })();
    // Every handle to T dropped; the drop is recorded, then T is handed out again.
    await collect();
    expect(weak.deref()).toBeUndefined();
    const again = lua.get('T');
    expect(again).toBeInstanceOf(LuaTable);
    expect(again.get('v')).toBe(7);
    await settle(lua);
    // The new handle's root was not lost to the old handle's drop.
    expect(again.get('v')).toBe(7);
    expect(lua.stats().exports).toBe(before + 1);
    lua.close();
  });
});

describe('imports: JS objects held by Lua', () => {
  test('Lua dropping 100,000 proxies returns the import table to its baseline', async () => {
    const lua = new Lua();
    const base = await settle(lua);
    const touch = lua.run('return function(o, f) return o.n + f() end');
    let total = 0;
    for (let i = 0; i < 100000; i++) {
      total += touch({ n: i }, () => 1);
    }
    expect(total).toBe((99999 * 100000) / 2 + 100000);
    const after = await settle(lua);
    expect(after.imports).toBe(base.imports);
    lua.close();
  });

  test('the JS objects Lua dropped are collectable by V8', async () => {
    const lua = new Lua();
    const keep = lua.run('return function(o) KEPT = o end');
    let obj = { big: new Array(1000).fill(1) };
    const weak = new WeakRef(obj);
    keep(obj);
    obj = null;
    await collect();
    expect(weak.deref()).toBeDefined();
    lua.run('KEPT = nil');
    await settle(lua);
    await collect();
    expect(weak.deref()).toBeUndefined();
    lua.close();
  });

  test('a JS object used as a table key is released once its entry is removed', async () => {
    const lua = new Lua();
    lua.run('registry = {}');
    const add = lua.run('return function(o) registry[o] = true end');
    const remove = lua.run('return function(o) registry[o] = nil end');
    let obj = { big: new Array(1000).fill(1) };
    const weak = new WeakRef(obj);
    add(obj);
    remove(obj);
    obj = null;
    const stats = await settle(lua);
    expect(stats.imports).toBe(0);
    await collect();
    expect(weak.deref()).toBeUndefined();
    lua.close();
  });

  test('a JS object held only by Lua stays alive through many collections', async () => {
    const lua = new Lua();
    lua.set('keep', { v: 42, fn: (x) => x + 1 });
    for (let i = 0; i < 5; i++) {
      lua.run('local junk = {} for i = 1, 1000 do junk[i] = { i } end');
      await collect(2);
      lua.gc();
    }
    expect(lua.run('return keep.v + keep.fn(1)')).toBe(44);
    lua.close();
  });

  test('identity: the same JS object gives the same userdata while Lua holds it', async () => {
    const lua = new Lua();
    const obj = {};
    lua.set('a', obj);
    await settle(lua);
    const same = lua.run('return function(x) return rawequal(x, a) end');
    expect(same(obj)).toBe(true);
    lua.close();
  });
});

describe('whole VMs', () => {
  test('200 VMs dropped without close() are freed, cycles through both heaps included', async () => {
    await collect();
    const baseline = Lua.liveCount();
    // (In a plain function: a suspended async function keeps its dead temporaries alive.)
    (() => {
      for (let i = 0; i < 200; i++) {
        const lua = new Lua();
        // A cycle through both heaps: Lua table -> JS object -> Lua table handle.
        const obj = { lua };
        lua.set('obj', obj);
        obj.table = lua.run('T = { obj = obj, data = string.rep("x", 10000) } return T');
        obj.fn = lua.run('return function() return obj end');
      }
    })();
    expect(Lua.liveCount()).toBeGreaterThanOrEqual(baseline + 1);
    for (let i = 0; i < 10 && Lua.liveCount() > baseline; i++) await collect();
    expect(Lua.liveCount()).toBe(baseline);
  });

  test('close() frees a cycle through both heaps, and stats() shows it before', () => {
    const lua = new Lua();
    const obj = {};
    lua.set('obj', obj);
    obj.t = lua.run('return { obj = obj }');
    const s = lua.stats();
    expect(s.exports).toBeGreaterThanOrEqual(1);
    expect(s.imports).toBeGreaterThanOrEqual(1);
    const live = Lua.liveCount();
    lua.close();
    expect(Lua.liveCount()).toBe(live - 1);
    expect(lua.stats()).toEqual(expect.objectContaining({ exports: 0, imports: 0, closed: true }));
  });
});

test('gc is real in this process', () => {
  expect(typeof gc).toBe('function');
});
