'use strict';
// The addon in several worker_threads at once, each with its own VMs
// (DESIGN.md §5), and a worker terminated in the middle of a run.
const { Worker } = require('worker_threads');
const path = require('path');

const entry = path.join(__dirname, '..');

function runWorker(code, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (c) => c !== 0 && reject(new Error(`worker exited with ${c}`)));
  });
}

test('several workers run their own VMs at once', async () => {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const { Lua } = require(workerData.entry);
    const lua = new Lua();
    lua.set('mul', (a, b) => a * b);
    const t = lua.run('local t = {} for i = 1, 1000 do t[i] = mul(i, ' + workerData.k + ') end return t');
    let sum = 0;
    for (const v of t.values()) sum += v;
    lua.close();
    parentPort.postMessage(sum);
  `;
  const ks = [1, 2, 3, 4];
  const sums = await Promise.all(ks.map((k) => runWorker(code, { entry, k })));
  expect(sums).toEqual(ks.map((k) => (k * 1000 * 1001) / 2));
});

test('a worker terminated in the middle of a run does not disturb the others', async () => {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const { Lua } = require(workerData.entry);
    const lua = new Lua();
    lua.set('ping', () => parentPort.postMessage('running'));
    lua.run('ping() local x = 0 while true do x = x + 1 end');
  `;
  const w = new Worker(code, { eval: true, workerData: { entry } });
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  const { Lua } = require('..');
  const lua = new Lua();
  expect(lua.run('return 6 * 7')).toBe(42);
  lua.close();
});
