#!/usr/bin/env node
'use strict';
// The cost of limits: the same scripts with and without limits, in one run.
//
//   node bench/limits.js [--runs N] [--baseline PATH]
//
// For each script it measures (best of N, default 5):
//   none     a VM with no limits
//   limits   a VM with memoryLimit, instructionLimit and timeout set (far
//            above what the scripts use): fuel checks against the limits,
//            memory checks at slice boundaries and in big builtins
// and prints limits/none. The byte counting behind memoryLimit is always on
// (a counting global allocator): --baseline PATH loads another build of the
// addon (e.g. one from before the counting allocator) and adds its time as
// `base`, with none/base.

const path = require('path');

const args = process.argv.slice(2);
let runs = 5;
let baseline = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--baseline') baseline = args[++i];
}

const scripts = {
  'tables (alloc-heavy)': `
    local n = 0
    for i = 1, 200000 do
      local t = { i, i + 1, name = "x" .. (i % 100), sub = { i } }
      n = n + #t + #t.sub
    end
    return n`,
  'strings': `
    local parts = {}
    for i = 1, 100000 do parts[#parts + 1] = tostring(i) .. ":" .. ("ab"):rep(i % 10) end
    return #table.concat(parts, ",")`,
  'loop (fuel only)': `
    local s = 0
    for i = 1, 20000000 do s = s + i % 7 end
    return s`,
  'calls': `
    local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
    return fib(27)`,
};

const LIMITS = { memoryLimit: 2 * 1024 ** 3, instructionLimit: 1e12, timeout: 600000 };

function once(Lua, options, code) {
  const lua = new Lua(options);
  lua.run('return 1');
  const t0 = process.hrtime.bigint();
  lua.run(code);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  lua.close();
  return ms;
}

/** Best of `runs` for each variant, the variants interleaved (the machine's load drifts). */
function timeAll(variants, code) {
  const best = variants.map(() => Infinity);
  for (let r = 0; r < runs; r++) {
    variants.forEach(([L, o], i) => {
      if (global.gc) global.gc();
      best[i] = Math.min(best[i], once(L, o, code));
    });
  }
  return best;
}

const { Lua } = require(path.join(__dirname, '..'));
let BaseLua = null;
if (baseline) {
  // Load another build's .node through this index.js's loader conventions.
  const native = require(path.resolve(baseline));
  BaseLua = native.Lua || null;
  if (!BaseLua) {
    console.error('--baseline: expected a path to a package directory exporting Lua');
    process.exit(2);
  }
}

const rows = [];
for (const [name, code] of Object.entries(scripts)) {
  const variants = [[Lua, {}], [Lua, LIMITS]];
  if (BaseLua) variants.push([BaseLua, {}]);
  const [none, limited, base] = timeAll(variants, code);
  const row = { script: name, 'none ms': none.toFixed(1), 'limits ms': limited.toFixed(1), 'limits/none': (limited / none).toFixed(3) };
  if (BaseLua) {
    row['base ms'] = base.toFixed(1);
    row['none/base'] = (none / base).toFixed(3);
  }
  rows.push(row);
}
console.table(rows);
const gm = (k) => Math.exp(rows.reduce((a, r) => a + Math.log(Number(r[k])), 0) / rows.length).toFixed(3);
console.log(`geometric mean limits/none: ${gm('limits/none')}` + (BaseLua ? `, none/base: ${gm('none/base')}` : ''));
