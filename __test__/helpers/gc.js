'use strict';
// Real garbage collection for lifetime tests. `npm test` runs jest under
// `node --expose-gc`; when a test file runs without it (e.g. `npx jest`),
// the flag is switched on at run time instead.
let gcFn = typeof global.gc === 'function' ? global.gc : null;
if (!gcFn) {
  require('v8').setFlagsFromString('--expose-gc');
  gcFn = require('vm').runInNewContext('gc');
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Full V8 collections, with event-loop turns so finalizers run. */
async function collect(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    gcFn();
    await turn();
    await tick();
  }
}

module.exports = { gc: gcFn, collect };
