'use strict';
// Resource limits: stop runaway scripts without taking the process down.
const { Lua, LuaLimitError } = require('..');

const lua = new Lua({
  memoryLimit: 32 * 1024 * 1024, // bytes, the whole VM
  instructionLimit: 1e7, // per call
  timeout: 1000, // ms per call
  maxCallDepth: 200, // Lua frames
});

for (const code of [
  'local t = {} while true do t[#t + 1] = ("x"):rep(1e6) end',
  'while true do end',
  'local function f() return 1 + f() end return f()',
]) {
  try {
    lua.run(code);
  } catch (e) {
    console.log(e instanceof LuaLimitError, e.limit, e.message);
  }
}

// Per-call overrides.
try {
  lua.run('while true do end', { instructionLimit: null, timeout: 50 });
} catch (e) {
  console.log(e.limit); // time
}
console.log(lua.run('return "still usable"'));
lua.gc();
console.log(lua.stats().heapBytes < 1024 * 1024); // true: the memory came back
lua.close();
