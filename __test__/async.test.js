'use strict';
const { Lua, LuaError, LuaLimitError, LuaClosedError } = require('..');

// Unref'd: the long sleeps of aborted jobs do not hold the process.
const sleep = (ms, v) => new Promise((r) => setTimeout(() => r(v), ms).unref());
const failAfter = (ms, msg) => new Promise((_, r) => setTimeout(() => r(new Error(msg)), ms));

function vmWithTimers() {
  const lua = new Lua();
  lua.set('sleep', sleep);
  lua.set('fail', failAfter);
  return lua;
}

describe('runAsync / callAsync', () => {
  test('returns a promise of the results', async () => {
    const lua = new Lua();
    await expect(lua.runAsync('return 1 + 2')).resolves.toBe(3);
    await expect(lua.runAsync('return 1, 2', { multiple: true })).resolves.toEqual([1, 2]);
    const f = lua.run('return function(a, b) return a * b end');
    await expect(f.callAsync(6, 7)).resolves.toBe(42);
    await expect(lua.runAsync('error("boom")', { chunkName: 'job.lua' })).rejects.toThrow(LuaError);
    await expect(lua.runAsync('return +')).rejects.toThrow(LuaError);
    lua.close();
  });

  test('a long loop lets timers run between slices', async () => {
    const lua = new Lua();
    const t0 = Date.now();
    let fired = 0;
    setTimeout(() => {
      fired = Date.now() - t0;
    }, 10);
    await lua.runAsync('local t = os.clock() while os.clock() - t < 0.5 do end');
    const elapsed = Date.now() - t0;
    expect(fired).toBeGreaterThan(0);
    // A slice is a few ms, so the timer fires near the start of the half
    // second loop, not at its end as it would if the run blocked. Relative
    // to the run's own wall time, so a loaded machine slows both alike.
    expect(fired).toBeLessThan(elapsed / 3);
    lua.close();
  });

  test('the VM is usable synchronously while an async job waits', async () => {
    const lua = vmWithTimers();
    const p = lua.runAsync('x = 1 local v = sleep(20, 5) return v + x');
    await sleep(5);
    expect(lua.run('x = 10 return 2')).toBe(2);
    await expect(p).resolves.toBe(15);
    lua.close();
  });
});

describe('awaiting JS promises from Lua', () => {
  test('in plain code', async () => {
    const lua = vmWithTimers();
    await expect(lua.runAsync('return sleep(10, 41) + 1')).resolves.toBe(42);
    lua.close();
  });

  test('a rejection is a Lua error that pcall catches', async () => {
    const lua = vmWithTimers();
    await expect(
      lua.runAsync('local ok, e = pcall(fail, 5, "nope") return tostring(ok) .. " " .. e.message'),
    ).resolves.toBe('false nope');
    // Uncaught, the same JS error comes out.
    const err = await lua.runAsync('return fail(5, "out")').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('out');
    lua.close();
  });

  test('inside pcall, coroutines, iterators and Lua functions called with callAsync', async () => {
    const lua = vmWithTimers();
    await expect(lua.runAsync('local ok, v = pcall(function() return sleep(5, 3) end) return v')).resolves.toBe(3);
    await expect(
      lua.runAsync(`
        local co = coroutine.wrap(function(a)
          local x = sleep(5, a)
          coroutine.yield(x)
          return sleep(5, x * 2)
        end)
        return co(5) + co()`),
    ).resolves.toBe(15);
    await expect(
      lua.runAsync(`
        local co = coroutine.create(function() return coroutine.resume(coroutine.create(function() return sleep(5, 9) end)) end)
        local ok, ok2, v = coroutine.resume(co)
        return v`),
    ).resolves.toBe(9);
    lua.set('nextItem', (_, i) => sleep(1, i < 3 ? i + 1 : undefined));
    await expect(
      lua.runAsync('local s = 0 for i in nextItem, nil, 0 do s = s + i end return s'),
    ).resolves.toBe(6);
    const f = lua.run('return function(a) return sleep(5, a) * 2 end');
    await expect(f.callAsync(21)).resolves.toBe(42);
    // A Lua function used as a metamethod awaits from the interpreter too.
    await expect(
      lua.runAsync('local t = setmetatable({}, { __call = function(_, v) return sleep(5, v) end }) return t(8)'),
    ).resolves.toBe(8);
    lua.close();
  });

  test('p:await() on a promise value', async () => {
    const lua = vmWithTimers();
    lua.set('obj', { p: sleep(5, 'ready') });
    await expect(lua.runAsync('return obj.p:await()')).resolves.toBe('ready');
    // In a synchronous run a promise is a plain value; awaiting it is a clear error.
    expect(() => lua.run('return sleep(1, 1):await()')).toThrow(/synchronous run/);
    expect(typeof lua.run('return type(sleep(1, 1))')).toBe('string');
    lua.close();
  });

  test('awaits in nested native calls raise a clear error', async () => {
    const lua = vmWithTimers();
    await expect(
      lua.runAsync('table.insert(setmetatable({}, { __newindex = function(t, k, v) sleep(1) rawset(t, k, v) end }), 1)'),
    ).rejects.toThrow(/cannot wait for a JavaScript promise here/);
    await expect(lua.runAsync('return 1')).resolves.toBe(1);
    lua.close();
  });

  test('many suspended at once', async () => {
    const lua = vmWithTimers();
    const events = [];
    lua.set('track', (n) => {
      events.push(`start ${n}`);
      return sleep(50, n).then((v) => {
        events.push(`end ${n}`);
        return v;
      });
    });
    const r = await Promise.all([lua.runAsync('return track(1)'), lua.runAsync('return track(2)')]);
    expect(r).toEqual([1, 2]);
    // Both waited at the same time.
    expect(events).toEqual(['start 1', 'start 2', 'end 1', 'end 2']);
    lua.close();
  });
});

describe('one ordered queue per VM', () => {
  test('the error of job 1 arrives before the result of job 2 and before close() resolves (1000 times)', async () => {
    for (let i = 0; i < 1000; i++) {
      const lua = vmWithTimers();
      const order = [];
      const p1 = lua.runAsync(i % 2 ? 'error("one")' : 'sleep(1) error("one")').then(
        () => order.push('r1'),
        () => order.push('e1'),
      );
      const p2 = lua.runAsync('return 2').then(
        () => order.push('r2'),
        (e) => order.push(e instanceof LuaClosedError ? 'c2' : 'e2'),
      );
      if (i % 3 === 0) {
        await Promise.all([p1, p2]);
        await lua.close();
        order.push('closed');
        expect(order).toEqual(['e1', 'r2', 'closed']);
      } else {
        await new Promise((r) => setImmediate(r));
        await lua.close().then(() => order.push('closed'));
        await Promise.all([p1, p2]);
        expect(order[0]).toBe('e1');
        expect(order[order.length - 1]).toBe('closed');
        expect(order.length).toBe(3);
      }
    }
  });

  test('close() rejects pending jobs in order with LuaClosedError, then resolves', async () => {
    for (let i = 0; i < 1000; i++) {
      const lua = vmWithTimers();
      const order = [];
      const jobs = [1, 2, 3].map((n) =>
        lua.runAsync(`return sleep(50, ${n})`).catch((e) => order.push(`${n}:${e instanceof LuaClosedError}`)),
      );
      const closed = lua.close().then(() => order.push('closed'));
      await Promise.all([...jobs, closed]);
      expect(order).toEqual(['1:true', '2:true', '3:true', 'closed']);
      await expect(lua.runAsync('return 1')).rejects.toThrow(LuaClosedError);
    }
  });

  test('jobs start in submission order', async () => {
    const lua = new Lua();
    const seen = [];
    lua.set('mark', (n) => seen.push(n));
    await Promise.all([1, 2, 3, 4].map((n) => lua.runAsync(`mark(${n})`)));
    expect(seen).toEqual([1, 2, 3, 4]);
    lua.close();
  });
});

describe('stopping async jobs', () => {
  test('AbortSignal mid-loop and mid-await; the VM stays usable', async () => {
    const lua = vmWithTimers();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const e1 = await lua.runAsync('while true do end', { signal: ac.signal }).catch((e) => e);
    expect(e1).toBeInstanceOf(LuaLimitError);
    expect(e1.limit).toBe('aborted');
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 20);
    const e2 = await lua.runAsync('return sleep(5000)', { signal: ac2.signal }).catch((e) => e);
    expect(e2.limit).toBe('aborted');
    const ac3 = new AbortController();
    ac3.abort();
    await expect(lua.runAsync('return 1', { signal: ac3.signal })).rejects.toThrow(LuaLimitError);
    await expect(lua.runAsync('return 1 + 1')).resolves.toBe(2);
    expect(lua.run('return 3')).toBe(3);
    lua.close();
  });

  test('timeout mid-loop and mid-await', async () => {
    const lua = vmWithTimers();
    const e1 = await lua.runAsync('while true do end', { timeout: 30 }).catch((e) => e);
    expect(e1).toBeInstanceOf(LuaLimitError);
    expect(e1.limit).toBe('time');
    const e2 = await lua.runAsync('return sleep(5000)', { timeout: 30 }).catch((e) => e);
    expect(e2.limit).toBe('time');
    const e3 = await lua
      .runAsync('local co = coroutine.wrap(function() return sleep(5000) end) return co()', { timeout: 30 })
      .catch((e) => e);
    expect(e3.limit).toBe('time');
    await expect(lua.runAsync('return sleep(1, 7)')).resolves.toBe(7);
    lua.close();
  });

  test('instruction limit on an async job', async () => {
    const lua = new Lua({ instructionLimit: 1e6 });
    const e = await lua.runAsync('while true do end').catch((x) => x);
    expect(e.limit).toBe('instructions');
    await expect(lua.runAsync('local s = 0 for i = 1, 1000 do s = s + i end return s')).resolves.toBe(500500);
    lua.close();
  });
});
