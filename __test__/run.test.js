'use strict';
const { Lua, LuaError, LuaSyntaxError } = require('..');

describe('Lua.run', () => {
  test('returns primitive results', () => {
    const lua = new Lua();
    expect(lua.run('return 1 + 2')).toBe(3);
    expect(lua.run('return 10 / 4')).toBe(2.5);
    expect(lua.run("return 'a' .. 'b'")).toBe('ab');
    expect(lua.run('return true')).toBe(true);
    expect(lua.run('return nil')).toBeUndefined();
    expect(lua.run('return 9007199254740993')).toBe(9007199254740993n);
    expect(lua.run('return 2^53')).toBe(2 ** 53);
    lua.close();
  });

  test('keeps state between runs', () => {
    const lua = new Lua();
    lua.run('counter = 41');
    expect(lua.run('counter = counter + 1; return counter')).toBe(42);
    lua.close();
  });

  test('runtime errors are LuaErrors with Lua messages and a traceback', () => {
    const lua = new Lua();
    expect(() => lua.run("error('boom')", { chunkName: '=job' })).toThrow(LuaError);
    expect(() => lua.run("error('boom')", { chunkName: '=job' })).toThrow(Error);
    try {
      lua.run('local t = nil; return t.x', { chunkName: '=job' });
      throw new Error('not reached');
    } catch (e) {
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toBe("job:1: attempt to index a nil value (local 't')");
      expect(e.luaStack).toMatch(/stack traceback/);
    }
    lua.close();
  });

  test('syntax errors are LuaSyntaxErrors with a line', () => {
    const lua = new Lua();
    try {
      lua.run('x = = 1', { chunkName: '=job' });
      throw new Error('not reached');
    } catch (e) {
      expect(e).toBeInstanceOf(LuaSyntaxError);
      expect(e.message).toBe("job:1: unexpected symbol near '='");
      expect(e.line).toBe(1);
    }
    lua.close();
  });

  test('the VM stays usable after an error', () => {
    const lua = new Lua();
    expect(() => lua.run('error({})')).toThrow(LuaError);
    expect(lua.run('return 7')).toBe(7);
    lua.close();
  });
});
