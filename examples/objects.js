'use strict';
// JS objects in Lua, Lua tables in JS, and errors in both directions.
const { Lua, LuaError } = require('..');

const lua = new Lua();

// A JS object (here a class instance) used from Lua through a proxy.
class Inventory {
  constructor() {
    this.items = new Map();
  }
  add(name, count) {
    this.items.set(name, (this.items.get(name) || 0) + count);
    return this.items.get(name);
  }
}
const inv = new Inventory();
lua.set('inv', inv);
lua.run(`
  inv:add("apple", 3)
  inv:add("pear", 1)
  inv:add("apple", 2)
`);
console.log('apples:', inv.items.get('apple'));
console.log('kinds of item, counted in Lua:', lua.run('return #inv.items'));

// Plain data copied into Lua, processed by a loaded chunk, copied back.
const scores = lua.table({ alice: [9, 7, 10], bob: [6, 8] });
const averages = lua.load(
  `
  local scores = ...
  local out = {}
  for name, list in pairs(scores) do
    local sum = 0
    for _, s in ipairs(list) do sum = sum + s end
    out[name] = sum / #list
  end
  return out
`,
  { chunkName: 'averages.lua' },
);
console.log('averages:', averages(scores).toObject());

// A JS exception is a Lua error that pcall catches...
lua.set('risky', () => {
  throw new RangeError('out of range');
});
console.log('pcall in Lua:', lua.run('local ok, e = pcall(risky) local m = e.message return m'));
// ...and, uncaught, comes back out as the same object.
try {
  lua.run('risky()');
} catch (e) {
  console.log('back in JS:', e instanceof RangeError, e.message);
}
// A Lua error is a LuaError.
try {
  lua.run('local t = nil; return t.x', { chunkName: 'oops.lua' });
} catch (e) {
  console.log(e instanceof LuaError, e.message);
}

console.log('stats:', lua.stats());
lua.close();
