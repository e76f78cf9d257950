// The package under Node's own test runner (`node --test`), as an ESM user
// would load it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Lua, LuaError } from '../../index.mjs';

test('runs Lua and returns values', () => {
  const lua = new Lua();
  assert.equal(lua.run('return 6 * 7'), 42);
  const t = lua.run('return { a = 1 }');
  assert.equal(t.get('a'), 1);
  lua.close();
});

test('Lua errors are LuaErrors', () => {
  const lua = new Lua();
  assert.throws(() => lua.run("error('boom')", { chunkName: '=t' }), (e) => e instanceof LuaError && e.message === 't:1: boom');
  lua.close();
});

test('async runs resolve', async () => {
  const lua = new Lua();
  assert.equal(await lua.runAsync('return 1 + 1'), 2);
  await lua.close();
});
