'use strict';
const { Lua } = require('..');

const script = `
  local out = {}
  for i = 1, 5 do out[#out + 1] = math.random(1000) end
  math.randomseed()
  out[#out + 1] = math.random()
  local t = { alpha = 1, beta = 2, gamma = 3, [10] = 4, [2.5] = 5 }
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. v end
  out[#out + 1] = os.time()
  out[#out + 1] = os.date("%Y-%m-%d %H:%M:%S")
  out[#out + 1] = os.clock()
  return table.concat(out, " ")`;

test('deterministic mode: the same script gives the same output on every run', () => {
  const outputs = new Set();
  for (let i = 0; i < 5; i++) {
    const lua = new Lua({ deterministic: true, seed: 7, now: () => 1700000000 });
    outputs.add(lua.run(script));
    lua.close();
  }
  expect(outputs.size).toBe(1);
  const [out] = outputs;
  expect(out).toContain('1700000000 2023-11-14 22:13:20');
  const other = new Lua({ deterministic: true, seed: 8, now: () => 1700000000 });
  expect(other.run(script)).not.toBe(out);
  other.close();
});
