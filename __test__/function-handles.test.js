'use strict';
// A LuaFunction is the VM's native `call` bound to an export id: calls from
// JS reach the VM without a JS wrapper. What a wrapper used to check (VM
// closed, handle released, pending drops, error classes) must still hold.
const { Lua, LuaFunction, LuaHandle, LuaError, LuaClosedError } = require('..');
const { collect } = require('./helpers/gc');

jest.setTimeout(60000);

describe('LuaFunction handles', () => {
  test('are functions with the LuaFunction prototype and methods', () => {
    const lua = new Lua();
    const f = lua.run('return function(...) return select("#", ...), ... end');
    expect(typeof f).toBe('function');
    expect(f).toBeInstanceOf(LuaFunction);
    expect(f).toBeInstanceOf(Function);
    expect(f).toBeInstanceOf(LuaHandle);
    expect(Object.getPrototypeOf(f)).toBe(LuaFunction.prototype);
    expect(String(f)).toMatch(/^function: /);
    expect(f.name).toBe('bound LuaFunction');
    expect(f.callMultiple(1, 2)).toEqual([2, 1, 2]);
    expect(lua.run('return function() end')).not.toBe(f);
    lua.set('g', f);
    expect(lua.get('g')).toBe(f);
    lua.close();
  });

  test('pass every argument, undefined ones included, and ignore `this`', () => {
    const lua = new Lua();
    const count = lua.run('return function(...) return select("#", ...) end');
    expect(count()).toBe(0);
    expect(count(undefined)).toBe(1);
    expect(count(1, 2, 3)).toBe(3);
    expect(count(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)).toBe(11);
    const sum = lua.run('return function(...) local s = 0 for _, v in ipairs({...}) do s = s + v end return s end');
    expect(sum(...Array.from({ length: 40 }, (_, i) => i))).toBe(780);
    const obj = { count };
    expect(obj.count(1, 2)).toBe(2);
    expect(count.call({}, 1)).toBe(1);
    expect(count.apply(null, [1, 2, 3, 4])).toBe(4);
    lua.close();
  });

  test('errors keep their classes and JS exceptions their identity', () => {
    const lua = new Lua();
    const fail = lua.run('return function(m) error(m, 0) end');
    expect(() => fail('boom')).toThrow(LuaError);
    try {
      fail('boom');
    } catch (e) {
      expect(e.message).toBe('boom');
      expect(e.value).toBe('boom');
    }
    const thrown = new Error('from JS');
    const call = lua.run('return function(f) f() end');
    let caught;
    try {
      call(() => {
        throw thrown;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(thrown);
    expect(() => fail(Symbol('no'))).toThrow(TypeError);
    lua.close();
  });

  test('a released handle throws LuaClosedError at once, even inside a callback', () => {
    const lua = new Lua();
    const f = lua.run('return function() return 1 end');
    const viaLua = lua.run('return function(cb) return cb() end');
    expect(
      viaLua(() => {
        f.release();
        try {
          f();
        } catch (e) {
          return e instanceof LuaClosedError && /LuaFunction handle was released/.test(e.message);
        }
        return false;
      }),
    ).toBe(true);
    expect(() => f()).toThrow(LuaClosedError);
    expect(() => f.callMultiple()).toThrow(/released/);
    // The same Lua function handed out again is a new, usable handle.
    lua.run('F = function() return 2 end');
    const g = lua.get('F');
    g.release();
    expect(lua.get('F')()).toBe(2);
    lua.close();
  });

  test('a released handle never reaches a Lua function exported after it', () => {
    const lua = new Lua();
    const make = lua.run('return function(i) return function() return i end end');
    const stale = make(0);
    stale.release();
    // Many new exports come and go, reusing the released handle's room.
    for (let i = 1; i <= 3000; i++) {
      const f = make(i);
      expect(f()).toBe(i);
      f.release();
    }
    const live = Array.from({ length: 100 }, (_, i) => make(i));
    expect(() => stale()).toThrow(LuaClosedError);
    expect(live.map((f) => f())).toEqual(live.map((_, i) => i));
    expect(lua.stats().exports).toBe(100 + 1);
    lua.close();
  });

  test('after close() a call throws LuaClosedError', () => {
    const lua = new Lua();
    const f = lua.run('return function() return 1 end');
    lua.close();
    expect(() => f()).toThrow(LuaClosedError);
    expect(() => f()).toThrow('the Lua VM is closed');
  });

  test('handles collected while only LuaFunctions are called still release their roots', async () => {
    const lua = new Lua();
    const make = lua.run('return function(i) return { i = i } end');
    const base = lua.stats().exports;
    // Only direct calls: no other entry into the VM flushes the drops.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) make(i);
      await collect();
    }
    // V8 decides when the handles die: under load that can take more rounds.
    for (let i = 0; i < 20 && lua.stats().exports >= base + 2000; i++) {
      await collect();
      make(-1); // a direct call applies the drops recorded so far
    }
    expect(lua.stats().pendingDrops).toBe(0);
    expect(lua.stats().exports).toBeLessThan(base + 2000);
    lua.close();
  });

  test('Lua calling many JS functions in one loop gets each one right', () => {
    const lua = new Lua();
    const run = lua.run(`return function(make, g, n)
      local s = 0
      for i = 1, n do
        local f = make(i)
        s = s + f() + g()
        if i % 50 == 0 then collectgarbage() end
      end
      return s
    end`);
    expect(run((i) => () => i, () => 1, 2000)).toBe(2001000 + 2000);
    lua.close();
  });
});
