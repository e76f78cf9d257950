'use strict';
const lunarena = require('..');
const { version, convertError, wrapNative, LuaError, LuaSyntaxError, LuaLimitError, LuaClosedError } = lunarena;
const pkg = require('../package.json');

// A plain object shaped like an error the addon throws (see src/lib.rs).
function nativeLike(code, message, extra = {}) {
  return Object.assign({ code, message }, extra);
}

describe('addon', () => {
  test('loads and reports the package version', () => {
    expect(typeof version).toBe('function');
    expect(version()).toBe(pkg.version);
  });

  test('ESM entry re-exports the same module', () => {
    // jest cannot import() ESM without flags; check it in a child Node.
    const { execFileSync } = require('child_process');
    const path = require('path');
    const code = [
      "import lunarena, { version, LuaError } from 'lunarena';",
      "import { createRequire } from 'node:module';",
      'const cjs = createRequire(import.meta.url)(\'lunarena\');',
      'console.log(JSON.stringify([version(), lunarena === cjs, LuaError === cjs.LuaError]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([pkg.version, true, true]);
  });
});

describe('error classes in this realm', () => {
  test('LUA_ERROR becomes a LuaError that is an Error of this realm', () => {
    const e = convertError(nativeLike('LUA_ERROR', 'boom', { value: 42, luaStack: 'stack traceback:\n\t[C]: in ?' }));
    expect(e).toBeInstanceOf(LuaError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('LuaError');
    expect(e.message).toBe('boom');
    expect(e.value).toBe(42);
    expect(e.luaStack).toContain('stack traceback');
    expect(e.stack).toContain('stack traceback');
    expect(() => {
      throw e;
    }).toThrow(LuaError);
    expect(() => {
      throw e;
    }).toThrow(Error);
  });

  test('LUA_SYNTAX becomes a LuaSyntaxError with position', () => {
    const e = convertError(nativeLike('LUA_SYNTAX', 'chunk:1: unexpected symbol', { chunkName: 'chunk', line: 1, column: 5 }));
    expect(e).toBeInstanceOf(LuaSyntaxError);
    expect(e).toBeInstanceOf(LuaError);
    expect(e).toBeInstanceOf(Error);
    expect([e.chunkName, e.line, e.column]).toEqual(['chunk', 1, 5]);
  });

  test('LUA_LIMIT becomes a LuaLimitError naming the limit', () => {
    const e = convertError(nativeLike('LUA_LIMIT', 'memory limit exceeded', { limit: 'memory' }));
    expect(e).toBeInstanceOf(LuaLimitError);
    expect(e).toBeInstanceOf(LuaError);
    expect(e.limit).toBe('memory');
  });

  test('LUA_CLOSED becomes a LuaClosedError, which is not a LuaError', () => {
    const e = convertError(nativeLike('LUA_CLOSED', 'the Lua VM is closed'));
    expect(e).toBeInstanceOf(LuaClosedError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(LuaError);
    expect(lunarena.VmClosedError).toBe(LuaClosedError);
  });

  test('other errors pass through unchanged', () => {
    const plain = new TypeError('nope');
    expect(convertError(plain)).toBe(plain);
    expect(convertError('a string')).toBe('a string');
    const mine = new LuaError('already');
    expect(convertError(mine)).toBe(mine);
  });

  test('an error made in another realm is converted into this one', () => {
    const vm = require('vm');
    const foreign = vm.runInNewContext("Object.assign(new Error('from elsewhere'), { code: 'LUA_ERROR', value: 'x' })");
    expect(foreign instanceof Error).toBe(false);
    const wrapped = wrapNative(() => {
      throw foreign;
    });
    expect(() => wrapped()).toThrow(LuaError);
    expect(() => wrapped()).toThrow('from elsewhere');
  });

  test('wrapNative converts promise rejections and keeps this', async () => {
    const obj = {
      k: 7,
      f: wrapNative(function () {
        return this.k;
      }),
    };
    expect(obj.f()).toBe(7);
    const g = wrapNative(() => Promise.reject(nativeLike('LUA_LIMIT', 'too slow', { limit: 'time' })));
    await expect(g()).rejects.toThrow(LuaLimitError);
  });
});
