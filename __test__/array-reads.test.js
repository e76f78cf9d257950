'use strict';
// Lua reading JS arrays through their proxies: the binding may serve reads of
// numeric arrays from a snapshot (src/arraycache.rs), which must never be
// seen: every change JS or Lua makes is visible to the next read.
const { Lua } = require('..');

let lua;
beforeEach(() => {
  lua = new Lua();
});
afterEach(() => {
  lua.close();
});

const N = 2000;
const numbers = (n = N) => Array.from({ length: n }, (_, i) => i);
const SUM = 'return function(a) local s = 0 for i = 1, #a do s = s + a[i] end return s end';

describe('array reads through a proxy', () => {
  test('summing a numeric array, repeatedly', () => {
    const sum = lua.run(SUM);
    const a = numbers();
    for (let r = 0; r < 3; r++) expect(sum(a)).toBe((N * (N - 1)) / 2);
  });

  test('a big array, summed again after a change', () => {
    const sum = lua.run(SUM);
    const n = 100000;
    const a = numbers(n);
    expect(sum(a)).toBe((n * (n - 1)) / 2);
    a[n - 1] = 0;
    expect(sum(a)).toBe((n * (n - 1)) / 2 - (n - 1));
  });

  test('a finalizer reading a big array right after a call that summed it', () => {
    const n = 40000;
    const big = numbers(n);
    lua.set('big', big);
    const step = lua.run(
      `seen = {}
       return function()
         setmetatable({}, { __gc = function() seen[#seen + 1] = #big end })
         local s = 0
         for i = 1, #big do s = s + big[i] end
         return s
       end`,
    );
    for (let i = 0; i < 40; i++) expect(step()).toBe((n * (n - 1)) / 2);
    lua.gc();
    const seen = lua.run('return table.concat(seen, " ")').split(' ');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((x) => x === String(n))).toBe(true);
  });

  test('JS changes between calls are seen', () => {
    const sum = lua.run(SUM);
    const a = numbers();
    expect(sum(a)).toBe((N * (N - 1)) / 2);
    a[5] = 1000;
    expect(sum(a)).toBe((N * (N - 1)) / 2 - 5 + 1000);
    a.push(7);
    expect(sum(a)).toBe((N * (N - 1)) / 2 - 5 + 1000 + 7);
    a.length = 10;
    expect(sum(a)).toBe(45 - 5 + 1000);
  });

  test('a JS callback changing the array between Lua reads is seen', () => {
    const a = numbers();
    lua.set('a', a);
    lua.set('poke', (what) => {
      if (what === 'set') a[N - 1] = -1;
      else if (what === 'push') a.push(123);
      else if (what === 'shrink') a.length = 100;
    });
    const got = lua.run(
      `local s = 0
       for i = 1, #a do s = s + a[i] end
       poke('set')
       local last = a[#a]
       poke('push')
       local pushed, len2 = a[#a], #a
       for i = 1, 500 do s = s + a[i] end
       poke('shrink')
       return last, pushed, len2, #a, a[101], a[100]`,
      { multiple: true },
    );
    expect(got).toEqual([-1, 123, N + 1, 100, undefined, 99]);
  });

  test('a callback changing the array in the middle of a loop', () => {
    const a = numbers();
    lua.set('a', a);
    lua.set('double', () => {
      for (let i = 0; i < a.length; i++) a[i] *= 2;
    });
    // The array is doubled after 1000 reads: the rest must be read doubled.
    const s = lua.run(
      `local s = 0
       for i = 1, #a do
         if i == 1001 then double() end
         s = s + a[i]
       end
       return s`,
    );
    let want = 0;
    for (let i = 0; i < N; i++) want += i < 1000 ? i : 2 * i;
    expect(s).toBe(want);
  });

  test('Lua writes through the proxy are seen by later reads and by JS', () => {
    const a = numbers();
    const f = lua.run(
      `return function(a)
         local s = 0
         for i = 1, #a do s = s + a[i] end
         for i = 1, #a do a[i] = a[i] * 2 end
         local t = 0
         for i = 1, #a do t = t + a[i] end
         a[#a + 1] = 5
         return s, t, #a
       end`,
    );
    const [s, t, n] = f.callMultiple(a);
    expect(s).toBe((N * (N - 1)) / 2);
    expect(t).toBe(N * (N - 1));
    expect(n).toBe(N + 1);
    expect(a[3]).toBe(6);
    expect(a[N]).toBe(5);
  });

  test('reads from two arrays at once', () => {
    const dot = lua.run('return function(a, b) local s = 0 for i = 1, #a do s = s + a[i] * b[i] end return s end');
    const a = numbers();
    const b = numbers().map((x) => x % 7);
    let want = 0;
    for (let i = 0; i < N; i++) want += a[i] * b[i];
    expect(dot(a, b)).toBe(want);
    b[N - 1] = 1000;
    expect(dot(a, b)).toBe(want - (N - 1) * ((N - 1) % 7) + (N - 1) * 1000);
  });

  test('reads from many arrays at once', () => {
    const arrays = Array.from({ length: 6 }, (_, k) => numbers().map((x) => x * (k + 1)));
    const f = lua.run(
      `return function(...)
         local as, s = {...}, 0
         for i = 1, #as[1] do
           for k = 1, #as do s = s + as[k][i] end
           if i == 1500 then as[6][2000] = 0 end
         end
         return s
       end`,
    );
    expect(f(...arrays)).toBe(21 * ((N * (N - 1)) / 2) - 6 * (N - 1));
    expect(arrays[5][N - 1]).toBe(0);
  });

  test('mixed-type arrays read every element as it is', () => {
    const a = numbers();
    a[1500] = 'x';
    a[1600] = true;
    a[1700] = { k: 1 };
    a[1800] = null;
    const f = lua.run(
      `return function(a)
         local s, kinds = 0, {}
         for i = 1, #a do
           local v = a[i]
           if type(v) == 'number' then s = s + v else kinds[#kinds + 1] = type(v) end
         end
         return s, table.concat(kinds, ','), a[1701].k
       end`,
    );
    let want = 0;
    for (const x of a) if (typeof x === 'number') want += x;
    expect(f.callMultiple(a)).toEqual([want, 'string,boolean,table,nil'.replace('table', 'userdata'), 1]);
  });

  test('special numbers convert as on the live path', () => {
    const special = [NaN, -0, 0.5, -2.25, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e300, -Infinity, Infinity, 3];
    const a = [];
    while (a.length < 500) a.push(...special);
    const f = lua.run(
      `return function(a)
         local out = {}
         for i = 1, #a do
           local v = a[i]
           out[i] = (v ~= v and 'nan') or math.type(v) .. ':' .. tostring(v)
         end
         return table.concat(out, ' ', 1, 11), table.concat(out, ' ', #a - 10, #a)
       end`,
    );
    const [first, last] = f.callMultiple(a);
    const want =
      'nan integer:0 float:0.5 float:-2.25 float:9.007199254741e+15 integer:9007199254740991 ' +
      'integer:-9007199254740991 float:1e+300 float:-inf float:inf integer:3';
    // 2^53 is not a safe integer: a float; -(2^53) likewise.
    expect(first).toBe(want.replace('integer:-9007199254740991', 'float:-9.007199254741e+15'));
    const tail = a.slice(-11);
    const start = (a.length - 11) % special.length;
    expect(tail[0]).toBe(special[start]);
    expect(last.split(' ')).toEqual(first.split(' ').slice(start).concat(first.split(' ').slice(0, start)));
  });

  test('sparse arrays: holes read as nil', () => {
    const a = numbers();
    delete a[10];
    a[N + 50] = 9; // a hole of 50 elements before it
    const f = lua.run(
      `return function(a)
         local s, nils = 0, 0
         for i = 1, #a do
           local v = a[i]
           if v == nil then nils = nils + 1 else s = s + v end
         end
         return s, nils, #a
       end`,
    );
    expect(f.callMultiple(a)).toEqual([(N * (N - 1)) / 2 - 10 + 9, 51, N + 51]);
  });

  test('an array whose element has a getter', () => {
    const a = numbers();
    let reads = 0;
    Object.defineProperty(a, 5, {
      get() {
        reads++;
        return 500;
      },
    });
    const sum = lua.run(SUM);
    expect(sum(a)).toBe((N * (N - 1)) / 2 - 5 + 500);
    expect(reads).toBeGreaterThanOrEqual(1);
  });

  test('a JS Proxy of an array goes through its traps', () => {
    const target = numbers();
    const seen = new Set();
    const p = new Proxy(target, {
      get(t, k) {
        seen.add(k);
        return k === '7' ? 70 : t[k];
      },
    });
    const sum = lua.run(SUM);
    expect(sum(p)).toBe((N * (N - 1)) / 2 - 7 + 70);
    expect(seen.has('1999')).toBe(true);
    target[0] = 11;
    expect(sum(p)).toBe((N * (N - 1)) / 2 - 7 + 70 + 11);
  });

  test('a nested call into the same VM changing the array', () => {
    const a = numbers();
    lua.set('a', a);
    const bump = lua.run('return function() for i = 1, #a do a[i] = a[i] + 1 end end');
    lua.set('viaJs', () => {
      a.push(1); // JS changes it, then Lua (nested) changes it
      bump();
    });
    const s = lua.run(
      `local s = 0
       for i = 1, #a do s = s + a[i] end
       viaJs()
       local t = 0
       for i = 1, #a do t = t + a[i] end
       return s, t`,
      { multiple: true },
    );
    expect(s).toEqual([(N * (N - 1)) / 2, (N * (N - 1)) / 2 + N + 2]);
  });

  test('a nested call reading the array, then JS changing it', () => {
    const a = numbers();
    lua.set('a', a);
    const sumA = lua.run('return function() local s = 0 for i = 1, #a do s = s + a[i] end return s end');
    lua.set('readThenChange', () => {
      const s = sumA();
      a[0] = 1000;
      return s;
    });
    const got = lua.run(
      `local s1 = 0
       for i = 1, #a do s1 = s1 + a[i] end
       local s2 = readThenChange()
       local s3 = 0
       for i = 1, #a do s3 = s3 + a[i] end
       return s1, s2, s3`,
      { multiple: true },
    );
    const base = (N * (N - 1)) / 2;
    expect(got).toEqual([base, base, base + 1000]);
  });

  test('an await between reads sees the change made meanwhile', async () => {
    const a = numbers();
    lua.set('a', a);
    // The array changes while Lua waits.
    lua.set(
      'later',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            a.push(10);
            a[0] = 5;
            resolve();
          }, 1),
        ),
    );
    const pending = lua.runAsync(
      `local s1 = 0
       for i = 1, #a do s1 = s1 + a[i] end
       later()
       local s2 = 0
       for i = 1, #a do s2 = s2 + a[i] end
       return s1, s2, #a`,
      { multiple: true },
    );
    const base = (N * (N - 1)) / 2;
    await expect(pending).resolves.toEqual([base, base + 15, N + 1]);
  });

  test('an array handed to two VMs', () => {
    const other = new Lua();
    try {
      const a = numbers();
      lua.set('a', a);
      const sumOther = other.run(SUM);
      lua.set('viaOther', () => {
        a[1] = 100;
        return sumOther(a);
      });
      const got = lua.run(
        `local s = 0
         for i = 1, #a do s = s + a[i] end
         local o = viaOther()
         local t = 0
         for i = 1, #a do t = t + a[i] end
         return s, o, t`,
        { multiple: true },
      );
      const base = (N * (N - 1)) / 2;
      expect(got).toEqual([base, base + 99, base + 99]);
    } finally {
      other.close();
    }
  });
});

describe('typed array reads through a proxy', () => {
  const READ_ALL = `return function(a, n)
    local out = {}
    for i = 0, n + 1 do
      local v = a[i]
      out[#out + 1] = v == nil and 'nil' or (v ~= v and 'nan') or math.type(v) .. ':' .. tostring(v)
    end
    return table.concat(out, ' ')
  end`;

  test('every kind reads as the general path converts it', () => {
    const f = lua.run(READ_ALL);
    const cases = [
      [Int8Array.of(-128, 127), 'integer:-128 integer:127'],
      [Uint8ClampedArray.of(0, 255), 'integer:0 integer:255'],
      [Int16Array.of(-32768, 32767), 'integer:-32768 integer:32767'],
      [Uint16Array.of(0, 65535), 'integer:0 integer:65535'],
      [Int32Array.of(-(2 ** 31), 2 ** 31 - 1), 'integer:-2147483648 integer:2147483647'],
      [Uint32Array.of(0, 2 ** 32 - 1), 'integer:0 integer:4294967295'],
      [Float32Array.of(0.5, NaN, -0, 3), 'float:0.5 nan integer:0 integer:3'],
      [Float64Array.of(0.1, 2 ** 53, -Infinity), 'float:0.1 float:9.007199254741e+15 float:-inf'],
      [BigInt64Array.of(-(2n ** 63n), 5n), 'integer:-9223372036854775808 integer:5'],
      [BigUint64Array.of(2n ** 63n - 1n), 'integer:9223372036854775807'],
    ];
    for (const [ta, want] of cases) {
      expect([ta.constructor.name, f(ta, ta.length)]).toEqual([ta.constructor.name, `nil ${want} nil`]);
    }
  });

  test('a BigUint64 beyond Lua integers is a RangeError, as before', () => {
    lua.set('big', BigUint64Array.of(1n, 2n ** 64n - 1n));
    expect(lua.run('return big[1]')).toBe(1);
    expect(() => lua.run('return big[2]')).toThrow(/BigInt out of range/);
  });

  test('summing, with JS and Lua changing it between reads', () => {
    const ta = Float64Array.from(numbers());
    lua.set('ta', ta);
    lua.set('poke', () => {
      ta[0] = 1000;
    });
    const got = lua.run(
      `local s = 0
       for i = 1, #ta do s = s + ta[i] end
       poke()
       local first = ta[1]
       ta[2] = 7
       return s, first, ta[2], #ta`,
      { multiple: true },
    );
    expect(got).toEqual([(N * (N - 1)) / 2, 1000, 7, N]);
    expect(ta[1]).toBe(7);
  });

  test('a buffer detached or resized between reads', () => {
    const ta = new Float64Array(new ArrayBuffer(8 * 100, { maxByteLength: 8 * 200 })).fill(1);
    const plain = Float64Array.from(numbers(50));
    lua.set('ta', ta);
    lua.set('plain', plain);
    lua.set('shrink', () => ta.buffer.resize(8 * 10));
    lua.set('detach', () => structuredClone(plain.buffer, { transfer: [plain.buffer] }));
    const got = lua.run(
      `local s, p = 0, 0
       for i = 1, 100 do s = s + ta[i] end
       for i = 1, 50 do p = p + plain[i] end
       shrink()
       detach()
       return s, p, ta[10], ta[11], #ta, plain[1], #plain`,
      { multiple: true },
    );
    expect(got).toEqual([100, 1225, 1, undefined, 10, undefined, 0]);
  });

  test('a getter on a plain array element that detaches a typed array', () => {
    const ta = Float64Array.from(numbers(100));
    const a = numbers(100);
    Object.defineProperty(a, 50, {
      get() {
        structuredClone(ta.buffer, { transfer: [ta.buffer] });
        return 50;
      },
    });
    const f = lua.run(
      `return function(a, ta)
         local s, nils = 0, 0
         for i = 1, 100 do
           s = s + a[i]
           local v = ta[i]
           if v == nil then nils = nils + 1 else s = s + v end
         end
         return s, nils
       end`,
    );
    const [s, nils] = f.callMultiple(a, ta);
    // The getter runs at the latest when a[51] is read (earlier if a snapshot is taken).
    expect(nils).toBeGreaterThanOrEqual(50);
    const k = 100 - nils; // elements of ta read before the detach
    expect(s).toBe(4950 + (k * (k - 1)) / 2);
  });
});

test('a proxy whose metatable Lua replaced is read through its new __index', () => {
  const lua = new Lua({ libs: 'all' });
  const sum = lua.run('return function(a) local s = 0 for i = 1, #a do s = s + a[i] end return s end');
  const arr = Array.from({ length: 1000 }, (_, i) => i);
  expect(sum(arr)).toBe(499500);
  const replaced = lua.run(`return function(a)
    local mt = debug.getmetatable(a)
    debug.setmetatable(a, { __index = function(_, k) return 1 end, __len = mt.__len })
    local s = 0 for i = 1, #a do s = s + a[i] end
    debug.setmetatable(a, mt)
    return s
  end`);
  expect(replaced(arr)).toBe(1000);
  expect(sum(arr)).toBe(499500);
  lua.close();
});
