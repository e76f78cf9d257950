'use strict';
// `npm start` runs this: a short tour of lunarena, JS <-> Lua round trips.
// Each step runs only when the addon offers what it needs, so this file
// grows with the API.
const lunarena = require('..');

console.log(`lunarena ${lunarena.version()} (Lua 5.4 for Node.js)`);

if (typeof lunarena.Lua !== 'function') {
  console.log('The Lua class is not in this build of the addon yet: nothing more to show.');
  process.exit(0);
}

const { Lua, LuaError } = lunarena;
const lua = new Lua();
try {
  // JS -> Lua: run a chunk and get its results back.
  console.log('1 + 2 in Lua =', lua.run('return 1 + 2'));

  // JS values into Lua, Lua values out.
  lua.set('greeting', 'hello from JS');
  lua.run('shout = string.upper(greeting) .. "!"');
  console.log('Lua says:', lua.get('shout'));

  // A Lua function called from JS.
  const add = lua.run('return function(a, b) return a + b end');
  console.log('add(40, 2) =', add(40, 2));

  // A JS function called from Lua.
  lua.set('jsSquare', (x) => x * x);
  console.log('jsSquare(12) from Lua =', lua.run('return jsSquare(12)'));

  // Lua errors arrive as LuaError.
  try {
    lua.run('error("something went wrong")');
  } catch (e) {
    console.log('caught', e instanceof LuaError ? 'LuaError:' : 'error:', e.message);
  }
} finally {
  lua.close();
}
