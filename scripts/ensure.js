#!/usr/bin/env node
'use strict';
// Makes a fresh clone (or a stale checkout) ready to run: called by the
// `pretest` and `prestart` npm scripts, so `npm test` and `npm start` need
// no other set-up step.
//
// 1. `npm install` when node_modules is missing, or older than package.json
//    or package-lock.json. "Older" is judged by the stamp file
//    node_modules/.lunarena-installed that this script writes after a
//    successful install (a node_modules made without this script has no stamp
//    and gets one `npm install`, which is quick when nothing is missing).
// 2. `npm run build` when the addon lunarena.<platform>.node is missing, or
//    older than any file that goes into it: Cargo.toml, Cargo.lock, build.rs,
//    src/**, crates/*/Cargo.toml, crates/*/src/**.
//
// It prints what it does and why. LUNARENA_SKIP_ENSURE=1 skips it.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const STAMP = path.join(root, 'node_modules', '.lunarena-installed');

function log(msg) {
  console.log(`[ensure] ${msg}`);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

// Newest file below `dir` (recursively), as [mtimeMs, path].
function newestIn(dir, best = [-1, null]) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return best;
  }
  for (const ent of entries) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      best = newestIn(p, best);
    } else if (ent.isFile()) {
      const t = mtime(p);
      if (t > best[0]) best = [t, p];
    }
  }
  return best;
}

function buildInputs() {
  const files = ['Cargo.toml', 'Cargo.lock', 'build.rs'].map((f) => path.join(root, f));
  const dirs = [path.join(root, 'src')];
  const crates = path.join(root, 'crates');
  if (fs.existsSync(crates)) {
    for (const ent of fs.readdirSync(crates, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      files.push(path.join(crates, ent.name, 'Cargo.toml'));
      files.push(path.join(crates, ent.name, 'build.rs'));
      dirs.push(path.join(crates, ent.name, 'src'));
    }
  }
  let best = [-1, null];
  for (const f of files) {
    const t = mtime(f);
    if (t > best[0]) best = [t, f];
  }
  for (const d of dirs) best = newestIn(d, best);
  return best;
}

// The addon file for this platform, as `napi build --platform` names it
// (e.g. lunarena.linux-x64-gnu.node); the newest if there are several.
function addonFile() {
  const prefix = `lunarena.${process.platform}-${process.arch}`;
  let best = null;
  for (const name of fs.readdirSync(root)) {
    if (!name.startsWith(prefix) || !name.endsWith('.node')) continue;
    const p = path.join(root, name);
    if (!best || mtime(p) > mtime(best)) best = p;
  }
  return best;
}

function rel(p) {
  return path.relative(root, p) || p;
}

function run(args, what) {
  // Inside an npm script, npm_execpath is npm's own CLI: run it with this node.
  const npmCli = process.env.npm_execpath;
  const useCli = npmCli && /npm-cli\.js$|npm$/.test(npmCli) && fs.existsSync(npmCli);
  const cmd = useCli && npmCli.endsWith('.js') ? process.execPath : 'npm';
  const argv = useCli && npmCli.endsWith('.js') ? [npmCli, ...args] : args;
  log(`running: npm ${args.join(' ')}`);
  const r = spawnSync(cmd, argv, {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32' && cmd === 'npm',
  });
  if (r.error) {
    console.error(`[ensure] could not run npm for ${what}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`[ensure] ${what} failed (exit code ${r.status}).`);
    process.exit(r.status || 1);
  }
}

function ensureInstalled() {
  const nm = path.join(root, 'node_modules');
  const manifests = ['package.json', 'package-lock.json'].map((f) => path.join(root, f));
  const newestManifest = Math.max(...manifests.map(mtime));
  let reason = null;
  if (!fs.existsSync(nm)) reason = 'node_modules is missing';
  else if (mtime(STAMP) < 0) reason = 'node_modules was not installed by this script yet';
  else if (mtime(STAMP) < newestManifest) reason = 'package.json or package-lock.json changed since the last install';
  if (!reason) {
    log('dependencies: up to date');
    return;
  }
  log(`dependencies: ${reason}`);
  // `npm ci` is not used: the lockfile may lack other platforms' optional packages.
  run(['install', '--no-audit', '--no-fund'], 'npm install');
  fs.writeFileSync(STAMP, `installed ${new Date().toISOString()}\n`);
}

function ensureBuilt() {
  const addon = addonFile();
  const [inputTime, inputFile] = buildInputs();
  let reason = null;
  if (!addon) reason = `lunarena.${process.platform}-${process.arch}*.node is missing`;
  else if (mtime(addon) < inputTime) reason = `${rel(inputFile)} is newer than ${rel(addon)}`;
  if (!reason) {
    log(`addon: up to date (${rel(addon)})`);
    return;
  }
  log(`addon: ${reason}`);
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (cargo.error || cargo.status !== 0) {
    console.error('[ensure] building the addon needs a Rust toolchain (cargo), which was not found. See https://rustup.rs');
    process.exit(1);
  }
  run(['run', 'build'], 'building the addon');
  const built = addonFile();
  if (!built) {
    console.error('[ensure] the build finished but no lunarena.*.node file appeared at the package root.');
    process.exit(1);
  }
  // napi copies the file; make sure its time is after every input we looked at.
  const now = new Date();
  fs.utimesSync(built, now, now);
  log(`addon: built ${rel(built)}`);
}

if (process.env.LUNARENA_SKIP_ENSURE === '1') {
  log('skipped (LUNARENA_SKIP_ENSURE=1)');
} else {
  ensureInstalled();
  ensureBuilt();
}
