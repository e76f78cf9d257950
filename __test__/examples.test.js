'use strict';
// Every program in examples/ runs and exits cleanly.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', 'examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));

test.each(files)('examples/%s runs', (file) => {
  const out = execFileSync(process.execPath, [path.join(dir, file)], { encoding: 'utf8', timeout: 60000 });
  expect(out.length).toBeGreaterThan(0);
});
