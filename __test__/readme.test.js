'use strict';
// The examples of the README's Async, Limits, Output and modules, and Deterministic mode
// sections run as written.
const fs = require('fs');
const path = require('path');
const { Lua, LuaLimitError } = require('..');

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

function examples(section) {
  const start = readme.indexOf(`\n## ${section}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

describe.each(['Async', 'Limits', 'Output and modules', 'Deterministic mode'])('README: %s', (section) => {
  const blocks = examples(section);
  test('has examples', () => expect(blocks.length).toBeGreaterThan(0));
  test.each(blocks.map((b, i) => [i, b]))('example %i runs', async (_, code) => {
    await new AsyncFunction('Lua', 'LuaLimitError', code)(Lua, LuaLimitError);
  });
});
