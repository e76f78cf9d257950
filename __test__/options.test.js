'use strict';
// The `print` and `modules` options of `new Lua()`.

const { Lua, LuaError, LuaSyntaxError } = require('..');

describe('print option', () => {
  test('print and io.write hand their text to the sink', () => {
    const out = [];
    const lua = new Lua({ print: (text) => out.push(text) });
    lua.run('print("a", 1, nil, true, 2.5) io.write("x", 2, 3.5)');
    lua.run('print(setmetatable({}, { __tostring = function() return "T" end }))');
    expect(out).toEqual(['a\t1\tnil\ttrue\t2.5\n', 'x23.5', 'T\n']);
    lua.close();
  });

  test('print returns nothing and io.write returns the file', () => {
    const lua = new Lua({ libs: 'all', print: () => {} });
    expect(lua.run('return select("#", print("q"))')).toBe(0);
    expect(lua.run('return io.write("z") == io.stdout and io.stdout:write("w") == io.stdout')).toBe(true);
    lua.close();
  });

  test('writes to other files do not go to the sink', () => {
    const out = [];
    const lua = new Lua({ libs: 'all', print: (text) => out.push(text) });
    lua.run('local f = io.tmpfile() f:write("hidden") f:seek("set") assert(f:read("a") == "hidden") f:close()');
    expect(out).toEqual([]);
    lua.close();
  });

  test('an error thrown by the sink is a Lua error at the print call', () => {
    const lua = new Lua({ print: () => { throw new RangeError('sink failed'); } });
    expect(() => lua.run('print("x")')).toThrow('sink failed');
    const [ok, message] = lua.run('local ok, e = pcall(print, "x") return ok, tostring(e)', { multiple: true });
    expect(ok).toBe(false);
    expect(message).toMatch('sink failed');
    lua.close();
  });

  test('the sink may use the VM again', () => {
    const out = [];
    const lua = new Lua({
      print: (text) => {
        if (text === 'outer\n') lua.run('print("inner")');
        out.push(text);
      },
    });
    lua.run('print("outer")');
    expect(out).toEqual(['inner\n', 'outer\n']);
    lua.close();
  });

  test('in an async run the sink may return a promise, which print waits for', async () => {
    const out = [];
    const lua = new Lua({
      print: (text) => new Promise((resolve) => setTimeout(() => resolve(out.push(text)), 2)),
    });
    await lua.runAsync('print("p1") print("p2")');
    expect(out).toEqual(['p1\n', 'p2\n']);
    lua.close();
  });

  test('a print option that is not a function is refused', () => {
    expect(() => new Lua({ print: 'stdout' })).toThrow(TypeError);
  });
});

describe('modules option', () => {
  test('require gives a JS value as the module, the same one every time', () => {
    const config = { debug: true, list: [1, 2, 3] };
    const lua = new Lua({ modules: { config } });
    expect(lua.run('return require("config").debug')).toBe(true);
    expect(lua.run('return #require("config").list')).toBe(3);
    expect(lua.run('return require("config") == require("config")')).toBe(true);
    expect(lua.run('return require("config")')).toBe(config);
    lua.close();
  });

  test('a string is Lua source run by the first require, with the module name as ...', () => {
    const lua = new Lua({
      modules: {
        greet: 'local name = ... return { hi = function(x) return "hi " .. x .. " from " .. name end }',
        counter: 'count = (count or 0) + 1 return count',
      },
    });
    expect(lua.run('return require("greet").hi("bob")')).toBe('hi bob from greet');
    expect(lua.run('require("counter") require("counter") return count')).toBe(1);
    lua.close();
  });

  test('errors: a module that fails when required, and source that does not compile', () => {
    const lua = new Lua({ modules: { bad: 'error("boom")' } });
    expect(() => lua.run('require("bad")')).toThrow(LuaError);
    expect(() => lua.run('require("bad")')).toThrow('bad:1: boom');
    expect(() => lua.run('require("missing")')).toThrow("module 'missing' not found");
    lua.close();
    expect(() => new Lua({ modules: { m: 'return +' } })).toThrow(LuaSyntaxError);
    expect(() => new Lua({ modules: 'm' })).toThrow(TypeError);
  });

  test('a Map works as well as an object', () => {
    const lua = new Lua({ modules: new Map([['answer', 42]]) });
    expect(lua.run('return require("answer")')).toBe(42);
    lua.close();
  });

  test('a function is a searcher that require asks for names it finds nowhere else', () => {
    const asked = [];
    const lua = new Lua({
      modules: (name) => {
        asked.push(name);
        if (name === 'util') return 'return { twice = function(x) return 2 * x end }';
        if (name === 'config') return { level: 3 };
        if (name === 'broken') throw new Error('loader failed');
        return undefined;
      },
    });
    expect(lua.run('return require("util").twice(21), require("config").level', { multiple: true })).toEqual([42, 3]);
    expect(lua.run('return require("util") == require("util")')).toBe(true);
    expect(asked).toEqual(['util', 'config']);
    expect(() => lua.run('require("nope")')).toThrow("no module 'nope' from the host");
    expect(() => lua.run('require("broken")')).toThrow('loader failed');
    lua.close();
  });
});
