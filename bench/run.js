#!/usr/bin/env node
'use strict';
// Script benchmarks: lunarena against the reference interpreter lua5.4.
//
//   node bench/run.js [DIR] [--runs N] [--json[=FILE]] [--no-process] [--filter TEXT]
//
// DIR defaults to ../shared/bench/lua (beside the repository). For every
// *.lua there it measures, best of N runs (default 3):
//   lua5.4 ms     `lua5.4 script.lua` as a process (includes process start-up)
//   lunarena ms   the addon's cliMain([script]) in process (wall time around
//                 the call, in a child Node that loaded the addon once)
//   ratio         lunarena ms / lua5.4 ms (lower is better)
//   node ms       `node bin/lunarena.js script.lua` as a process (includes
//                 Node's start-up and loading the addon); --no-process skips it
// and checks that both print the same last line (each script ends by printing
// a checksum line); a difference is reported as MISMATCH. The geometric mean
// of the ratios closes the table. --json prints the results as JSON instead;
// --json=FILE writes them to FILE as well as printing the table.
// Exit code: 0, or 1 when a run failed or a checksum did not match.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

function parseArgs(argv) {
  const opts = { dir: null, runs: 3, json: false, jsonFile: null, process: true, filter: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a === '-n') opts.runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) opts.runs = Number(a.slice(7));
    else if (a === '--json') opts.json = true;
    else if (a.startsWith('--json=')) opts.jsonFile = a.slice(7);
    else if (a === '--no-process') opts.process = false;
    else if (a === '--filter') opts.filter = argv[++i];
    else if (a.startsWith('--filter=')) opts.filter = a.slice(9);
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 20).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else if (a.startsWith('-')) {
      console.error(`bench: unknown option ${a} (try --help)`);
      process.exit(2);
    } else opts.dir = a;
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) {
    console.error('bench: --runs needs a positive integer');
    process.exit(2);
  }
  opts.dir = path.resolve(opts.dir || path.join(root, '..', 'shared', 'bench', 'lua'));
  return opts;
}

function lastLine(text) {
  const lines = String(text).split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length ? lines[lines.length - 1] : '';
}

function hasCommand(cmd, args = ['-v']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

// Best wall time of `runs` runs of a process; its last stdout line.
function timeProcess(cmd, args, runs, cwd) {
  let best = Infinity;
  let out = null;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit code ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
      return { error: `${why}: ${lastLine(r.stderr) || lastLine(r.stdout)}` };
    }
    best = Math.min(best, ms);
    out = lastLine(r.stdout);
  }
  return { ms: best, line: out };
}

// In-process timing: a child Node loads the addon once and calls
// cliMain([script]) `runs` times. The script's output goes to the child's
// stdout (captured here); the timings come back on stderr after a marker.
const MARK = '@@lunarena-bench ';
const CHILD = `
const lunarena = require(process.argv[1]);
const script = process.argv[2];
const runs = Number(process.argv[3]);
const times = [];
let code = 0;
for (let i = 0; i < runs && code === 0; i++) {
  const t0 = process.hrtime.bigint();
  code = lunarena.cliMain([script]);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
process.stderr.write('\\n${MARK}' + JSON.stringify({ code, times }) + '\\n');
`;

function timeInProcess(script, runs) {
  const r = spawnSync(process.execPath, ['-e', CHILD, root, script, String(runs)], {
    cwd: path.dirname(script),
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS * runs,
    maxBuffer: 64 << 20,
  });
  const markLine = String(r.stderr || '').split('\n').find((l) => l.startsWith(MARK));
  if (r.error || !markLine) {
    const why = r.error ? r.error.message : `exit code ${r.status}`;
    return { error: `${why}: ${lastLine(r.stderr)}` };
  }
  const { code, times } = JSON.parse(markLine.slice(MARK.length));
  if (code !== 0) {
    const errText = String(r.stderr).split('\n').filter((l) => !l.startsWith(MARK));
    return { error: `cliMain returned ${code}: ${lastLine(errText.join('\n'))}` };
  }
  return { ms: Math.min(...times), line: lastLine(r.stdout) };
}

function fmt(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  '))
    .join('\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.dir)) {
    console.error(`bench: no benchmark directory ${opts.dir} (give one as an argument)`);
    process.exit(2);
  }
  let scripts = fs
    .readdirSync(opts.dir)
    .filter((f) => f.endsWith('.lua'))
    .sort();
  if (opts.filter) scripts = scripts.filter((f) => f.includes(opts.filter));
  if (!scripts.length) {
    console.error(`bench: no *.lua files in ${opts.dir}`);
    process.exit(2);
  }

  const notes = [];
  const haveLua = hasCommand('lua5.4');
  if (!haveLua) notes.push('lua5.4 not found: install it (Debian/Ubuntu: apt-get install lua5.4) for the reference numbers.');

  let haveCli = false;
  let version = null;
  try {
    const lunarena = require(root);
    version = lunarena.version();
    haveCli = typeof lunarena.cliMain === 'function';
    if (!haveCli) notes.push(`lunarena ${version}: the addon does not export cliMain yet, so only lua5.4 is measured.`);
  } catch (e) {
    notes.push(`lunarena could not be loaded (${String(e.message).split('\n')[0]}); run \`npm run build\`.`);
  }

  const log = opts.json ? () => {} : (s) => process.stderr.write(s);
  log(`benchmarks in ${opts.dir}, best of ${opts.runs} run(s)\n`);

  const results = [];
  let failed = false;
  for (const name of scripts) {
    const script = path.join(opts.dir, name);
    log(`  ${name} ...`);
    const res = { script: name };
    if (haveLua) res.lua = timeProcess('lua5.4', [script], opts.runs, opts.dir);
    if (haveCli) {
      res.lunarena = timeInProcess(script, opts.runs);
      if (opts.process) res.node = timeProcess(process.execPath, [path.join(root, 'bin', 'lunarena.js'), script], opts.runs, opts.dir);
    }
    for (const k of ['lua', 'lunarena', 'node']) if (res[k] && res[k].error) failed = true;
    if (res.lua && res.lunarena && res.lua.ms !== undefined && res.lunarena.ms !== undefined) {
      res.ratio = res.lunarena.ms / res.lua.ms;
    }
    const theirs = res.lua && res.lua.line;
    const ours = [res.lunarena, res.node].filter((r) => r && r.line !== undefined).map((r) => r.line);
    if (theirs !== undefined && ours.length) {
      res.check = ours.every((l) => l === theirs) ? 'ok' : 'MISMATCH';
      if (res.check === 'MISMATCH') failed = true;
    }
    results.push(res);
    log(' done\n');
  }

  // A run that printed the wrong checksum did not do the same work: leave it out.
  const ratios = results
    .filter((r) => r.check !== 'MISMATCH')
    .map((r) => r.ratio)
    .filter((x) => Number.isFinite(x) && x > 0);
  const geomean = ratios.length ? Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length) : null;

  const report = {
    date: new Date().toISOString(),
    host: { platform: process.platform, arch: process.arch, cpus: os.cpus().length, node: process.version },
    lunarena: version,
    runs: opts.runs,
    dir: opts.dir,
    results,
    geomean,
    notes,
  };
  if (opts.jsonFile) fs.writeFileSync(opts.jsonFile, JSON.stringify(report, null, 2) + '\n');
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const rows = [['script', 'lua5.4 ms', 'lunarena ms', 'ratio', 'node ms', 'check']];
    for (const r of results) {
      rows.push([
        r.script,
        r.lua ? (r.lua.error ? 'FAILED' : fmt(r.lua.ms)) : '-',
        r.lunarena ? (r.lunarena.error ? 'FAILED' : fmt(r.lunarena.ms)) : '-',
        r.ratio !== undefined ? r.ratio.toFixed(2) : '-',
        r.node ? (r.node.error ? 'FAILED' : fmt(r.node.ms)) : '-',
        r.check || '-',
      ]);
    }
    console.log(table(rows));
    if (geomean !== null) console.log(`\ngeometric mean of ratios (lunarena / lua5.4, ${ratios.length} scripts): ${geomean.toFixed(2)}`);
    for (const r of results) {
      for (const k of ['lua', 'lunarena', 'node']) {
        if (r[k] && r[k].error) console.log(`${r.script}: ${k} failed: ${r[k].error}`);
      }
      if (r.check === 'MISMATCH') {
        console.log(`${r.script}: MISMATCH lua5.4 printed ${JSON.stringify(r.lua.line)}, lunarena ${JSON.stringify(r.lunarena ? r.lunarena.line : r.node.line)}`);
      }
    }
    for (const n of notes) console.log(`note: ${n}`);
  }
  process.exit(failed ? 1 : 0);
}

main();
