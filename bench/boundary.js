#!/usr/bin/env node
'use strict';
// Boundary benchmarks: the cost of crossing between JS and Lua, lunarena
// against wasmoon (PUC-Rio Lua compiled to WebAssembly) in the same run.
//
//   node bench/boundary.js [--quick] [--json]
//
// Each case reports the time per operation (best of several rounds):
//   JS->Lua call       a Lua function `(a, b) -> a + b` called from JS
//   Lua->JS call       a JS function `(a, b) => a + b` called from a Lua loop
//   array into Lua     a 10,000-element JS array handed to Lua and summed there
//                      (lunarena: as a proxy, and copied with lua.table();
//                      wasmoon: copied, with enableProxy: false)
//   array out of Lua   a 10,000-element Lua table copied into a JS array
//   object into Lua    a 10,000-key JS object handed to Lua, summed with pairs
//   object out of Lua  a 10,000-key Lua table copied into a JS object
//   create + close     new VM with the default libraries, then closed
// Targets from issue 4: JS->Lua <= 0.1 us, Lua->JS <= 0.15 us, array into
// Lua and summed <= 0.5 ms, create + close <= 30 us.

const { Lua } = require('..');

const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const ROUNDS = quick ? 2 : 5;

function now() {
  return Number(process.hrtime.bigint()) / 1e3; // microseconds
}

/** Best time per operation in microseconds: `fn(n)` does n operations. */
function measure(fn, n) {
  fn(Math.max(1, Math.floor(n / 10))); // warm-up
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = now();
    fn(n);
    const dt = (now() - t0) / n;
    if (dt < best) best = dt;
  }
  return best;
}

async function measureAsync(fn, n) {
  await fn(Math.max(1, Math.floor(n / 10)));
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = now();
    await fn(n);
    const dt = (now() - t0) / n;
    if (dt < best) best = dt;
  }
  return best;
}

const N_CALLS = quick ? 50000 : 300000;
const SIZE = 10000;
const N_BULK = quick ? 10 : 50;
const N_VMS = quick ? 200 : 1000;

const bigArray = Array.from({ length: SIZE }, (_, i) => i);
const bigObject = Object.fromEntries(bigArray.map((i) => [`k${i}`, i]));
const expectedSum = (SIZE * (SIZE - 1)) / 2;

function check(got, want, what) {
  if (got !== want) throw new Error(`${what}: expected ${want}, got ${got}`);
}

function benchLunarena() {
  const r = {};
  const lua = new Lua();
  const add = lua.run('return function(a, b) return a + b end');
  r.jsToLua = measure((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = add(s, 1);
    check(s, n, 'JS->Lua');
  }, N_CALLS);

  lua.set('jsadd', (a, b) => a + b);
  const loop = lua.run('return function(n) local s = 0 for i = 1, n do s = jsadd(s, 1) end return s end');
  r.luaToJs = measure((n) => check(loop(n), n, 'Lua->JS'), N_CALLS);

  const sumProxy = lua.run('return function(a) local s = 0 for i = 1, #a do s = s + a[i] end return s end');
  r.arrayInProxy = measure((n) => {
    for (let i = 0; i < n; i++) check(sumProxy(bigArray), expectedSum, 'array in (proxy)');
  }, N_BULK);
  r.arrayInCopy = measure((n) => {
    for (let i = 0; i < n; i++) {
      const t = lua.table(bigArray);
      check(sumProxy(t), expectedSum, 'array in (copy)');
      t.release();
    }
  }, N_BULK);

  const makeArray = lua.run('return function(n) local t = {} for i = 1, n do t[i] = i - 1 end return t end');
  const luaArray = makeArray(SIZE);
  r.arrayOut = measure((n) => {
    for (let i = 0; i < n; i++) check(luaArray.toArray().length, SIZE, 'array out');
  }, N_BULK);

  const sumPairs = lua.run('return function(o) local s = 0 for _, v in pairs(o) do s = s + v end return s end');
  r.objectInProxy = measure((n) => {
    for (let i = 0; i < n; i++) check(sumPairs(bigObject), expectedSum, 'object in (proxy)');
  }, N_BULK);
  r.objectInCopy = measure((n) => {
    for (let i = 0; i < n; i++) {
      const t = lua.table(bigObject);
      check(sumPairs(t), expectedSum, 'object in (copy)');
      t.release();
    }
  }, N_BULK);

  const makeObject = lua.run('return function(n) local t = {} for i = 0, n - 1 do t["k" .. i] = i end return t end');
  const luaObject = makeObject(SIZE);
  r.objectOut = measure((n) => {
    for (let i = 0; i < n; i++) check(luaObject.toObject().k9999, SIZE - 1, 'object out');
  }, N_BULK);
  lua.close();

  r.createClose = measure((n) => {
    for (let i = 0; i < n; i++) new Lua().close();
  }, N_VMS);
  return r;
}

async function benchWasmoon() {
  let LuaFactory;
  try {
    ({ LuaFactory } = require('wasmoon'));
  } catch {
    return null;
  }
  const factory = new LuaFactory();
  const r = {};
  const lua = await factory.createEngine({ enableProxy: false });
  const add = lua.doStringSync('return function(a, b) return a + b end');
  r.jsToLua = measure((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s = add(s, 1);
    check(s, n, 'JS->Lua');
  }, N_CALLS / 10);

  lua.global.set('jsadd', (a, b) => a + b);
  const loop = lua.doStringSync('return function(n) local s = 0 for i = 1, n do s = jsadd(s, 1) end return s end');
  r.luaToJs = measure((n) => check(loop(n), n, 'Lua->JS'), N_CALLS / 10);

  const sum = lua.doStringSync('return function(a) local s = 0 for i = 1, #a do s = s + a[i] end return s end');
  r.arrayInCopy = measure((n) => {
    for (let i = 0; i < n; i++) check(sum(bigArray), expectedSum, 'array in');
  }, Math.max(2, N_BULK / 5));

  const makeArray = lua.doStringSync('return function(n) local t = {} for i = 1, n do t[i] = i - 1 end return t end');
  r.arrayOut = measure((n) => {
    for (let i = 0; i < n; i++) check(makeArray(SIZE).length, SIZE, 'array out');
  }, Math.max(2, N_BULK / 5));

  const sumPairs = lua.doStringSync('return function(o) local s = 0 for _, v in pairs(o) do s = s + v end return s end');
  r.objectInCopy = measure((n) => {
    for (let i = 0; i < n; i++) check(sumPairs(bigObject), expectedSum, 'object in');
  }, Math.max(2, N_BULK / 5));

  const makeObject = lua.doStringSync('return function(n) local t = {} for i = 0, n - 1 do t["k" .. i] = i end return t end');
  r.objectOut = measure((n) => {
    for (let i = 0; i < n; i++) check(makeObject(SIZE).k9999, SIZE - 1, 'object out');
  }, Math.max(2, N_BULK / 5));
  lua.global.close();

  r.createClose = await measureAsync(async (n) => {
    for (let i = 0; i < n; i++) (await factory.createEngine()).global.close();
  }, Math.max(20, N_VMS / 10));
  return r;
}

const CASES = [
  ['jsToLua', 'JS->Lua call', 'us', 0.1],
  ['luaToJs', 'Lua->JS call', 'us', 0.15],
  ['arrayInProxy', 'array into Lua + sum (proxy)', 'ms', 0.5],
  ['arrayInCopy', 'array into Lua + sum (copy)', 'ms', 0.5],
  ['arrayOut', 'array out of Lua (copy)', 'ms', null],
  ['objectInProxy', 'object into Lua + sum (proxy)', 'ms', null],
  ['objectInCopy', 'object into Lua + sum (copy)', 'ms', null],
  ['objectOut', 'object out of Lua (copy)', 'ms', null],
  ['createClose', 'new VM + close', 'us', 30],
];

function fmt(us, unit) {
  if (us === undefined || us === null) return '-';
  const v = unit === 'ms' ? us / 1000 : us;
  return v < 10 ? v.toFixed(3) : v < 1000 ? v.toFixed(1) : v.toFixed(0);
}

(async () => {
  const ours = benchLunarena();
  const theirs = await benchWasmoon();
  if (asJson) {
    console.log(JSON.stringify({ lunarena: ours, wasmoon: theirs, unit: 'microseconds per operation' }, null, 2));
    return;
  }
  const rows = [['case', 'unit', 'lunarena', 'wasmoon', 'target']];
  for (const [key, label, unit, target] of CASES) {
    rows.push([label, unit, fmt(ours[key], unit), theirs ? fmt(theirs[key], unit) : 'n/a', target === null ? '' : `<= ${target}`]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  if (!theirs) console.log('(wasmoon is not installed: npm install)');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
