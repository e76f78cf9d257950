#!/usr/bin/env node
'use strict';
// `lunarena` command line: `npx lunarena file.lua args...`, like `lua5.4`.
// The CLI itself is the addon's `cliMain(args)`, which writes to
// stdout/stderr and returns the exit code.

let lunarena;
try {
  lunarena = require('..');
} catch (e) {
  console.error(e && e.message ? e.message : String(e));
  process.exit(1);
}

if (typeof lunarena.cliMain !== 'function') {
  console.error(
    `lunarena ${lunarena.version()}: this build of the addon has no command line yet (cliMain is not exported).`,
  );
  process.exit(1);
}

// The program name, as lua.c's argv[0]: the command as typed ("lunarena"
// through npm's bin link), which starts error messages and is `arg[-1]`.
const progname = require('path').basename(process.argv[1], '.js');

let code;
try {
  code = lunarena.cliMain(process.argv.slice(2), progname);
} catch (e) {
  console.error(`lunarena: ${e && e.stack ? e.stack : String(e)}`);
  process.exit(1);
}
// Let stdout/stderr drain before exiting (they may be pipes).
process.exitCode = typeof code === 'number' ? code : 0;
