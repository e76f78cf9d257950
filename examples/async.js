'use strict';
// Async Lua: a Lua script that waits for JS promises without blocking Node.
const { Lua, LuaLimitError } = require('..');

async function main() {
  const lua = new Lua();
  // A JS function that returns a promise: in runAsync, Lua waits for it.
  lua.set('fetchUser', (id) => new Promise((resolve) => setTimeout(() => resolve({ id, name: `user${id}` }), 10)));
  lua.set('failing', () => Promise.reject(new Error('service down')));

  const name = await lua.runAsync(`
    local user = fetchUser(42)            -- suspends until the promise settles
    local ok, err = pcall(failing)        -- a rejection is a Lua error
    return user.name .. (ok and "" or " (" .. err.message .. ")")
  `);
  console.log(name); // user42 (service down)

  // Lua functions called from JS can wait too.
  const getName = lua.run('return function(id) return fetchUser(id).name end');
  console.log(await getName.callAsync(7)); // user7

  // Stop a job with an AbortSignal or a timeout; the VM stays usable.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  try {
    await lua.runAsync('while true do end', { signal: ac.signal });
  } catch (e) {
    console.log(e instanceof LuaLimitError, e.limit); // true aborted
  }
  console.log(await lua.runAsync('return 1 + 1')); // 2

  await lua.close();
}

main();
