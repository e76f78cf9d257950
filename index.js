'use strict';
// lunarena: Lua 5.4 for Node.js.
//
// This file (1) loads the compiled addon `lunarena.<platform>.node` that
// `npm run build` puts at the package root, and (2) owns the error classes.
//
// Why the error classes live here and not in Rust (DESIGN.md §7): jest runs
// every test file in its own realm, with its own `Error`. An error object made
// by the addon belongs to the realm the addon was first loaded in, so in a
// jest test it fails `instanceof Error`. This file is evaluated once per realm
// (jest re-evaluates it per test file), so the classes below extend the
// caller's own `Error`. Native code throws plain errors with a string `code`
// (LUA_ERROR, LUA_SYNTAX, LUA_LIMIT, LUA_CLOSED, LUA_PANIC) and extra fields;
// `convertError` turns them into instances of these classes, and
// `wrapNative` applies it to every call into the addon.

const fs = require('fs');
const path = require('path');
const { isProxy } = require('util').types;

// ---------------------------------------------------------------------------
// Loading the addon

function isMusl() {
  if (process.platform !== 'linux') return false;
  try {
    const report = process.report && process.report.getReport();
    const header = report && (typeof report === 'string' ? JSON.parse(report).header : report.header);
    return !(header && header.glibcVersionRuntime);
  } catch {
    return false;
  }
}

// The suffix `napi build --platform` gives the file, e.g. "linux-x64-gnu".
function platformSuffixes() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    if (arch === 'arm') return [isMusl() ? 'linux-arm-musleabihf' : 'linux-arm-gnueabihf'];
    return [isMusl() ? `linux-${arch}-musl` : `linux-${arch}-gnu`];
  }
  if (platform === 'win32') return [`win32-${arch}-msvc`, `win32-${arch}-gnu`];
  if (platform === 'darwin') return [`darwin-${arch}`, 'darwin-universal'];
  return [`${platform}-${arch}`];
}

function loadNative() {
  const tried = [];
  for (const suffix of platformSuffixes()) {
    const file = path.join(__dirname, `lunarena.${suffix}.node`);
    tried.push(file);
    if (fs.existsSync(file)) return require(file);
  }
  const err = new Error(
    `lunarena: the native addon is not built for ${process.platform}-${process.arch}.\n` +
      `Looked for:\n  ${tried.join('\n  ')}\n` +
      'Build it with `npm run build` (needs a Rust toolchain), or just run ' +
      '`npm test` / `npm start`, which build it when needed.',
  );
  err.code = 'LUNARENA_NOT_BUILT';
  throw err;
}

const native = loadNative();

// ---------------------------------------------------------------------------
// Error classes (one set per realm)

function setHidden(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

/** A Lua runtime error. `value` is the Lua error value, `luaStack` the Lua traceback. */
class LuaError extends Error {
  constructor(message, options = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    setHidden(this, 'name', new.target.name);
    this.value = options.value !== undefined ? options.value : message;
    this.luaStack = options.luaStack !== undefined ? options.luaStack : '';
  }
}

/** A Lua syntax (compile) error, with the chunk name and the position. */
class LuaSyntaxError extends LuaError {
  constructor(message, options = {}) {
    super(message, options);
    this.chunkName = options.chunkName !== undefined ? options.chunkName : '';
    this.line = options.line !== undefined ? options.line : 0;
    this.column = options.column !== undefined ? options.column : 0;
  }
}

/** A VM limit was hit (memory, instructions, call depth, wall time). The VM stays usable. */
class LuaLimitError extends LuaError {
  constructor(message, options = {}) {
    super(message, options);
    this.limit = options.limit !== undefined ? options.limit : '';
  }
}

/** The VM (or a handle into it) was used after `close()`, or closed while a job was pending. */
class LuaClosedError extends Error {
  constructor(message = 'the Lua VM is closed', options = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    setHidden(this, 'name', new.target.name);
  }
}

const ERROR_CODES = ['LUA_ERROR', 'LUA_SYNTAX', 'LUA_LIMIT', 'LUA_CLOSED', 'LUA_PANIC'];

function isOurError(e) {
  return e instanceof LuaError || e instanceof LuaClosedError;
}

/**
 * Turns an error thrown by the addon into an instance of this realm's classes.
 * Anything without a recognised `code` (including errors already converted,
 * and JS errors that a callback threw and that come back out unchanged) is
 * returned as it is.
 */
function convertError(e, stackFrom) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return e;
  if (isOurError(e)) return e;
  const code = e.code;
  if (typeof code !== 'string' || !ERROR_CODES.includes(code)) return e;
  const message = typeof e.message === 'string' ? e.message : String(e.message);
  let out;
  switch (code) {
    case 'LUA_SYNTAX':
      out = new LuaSyntaxError(message, {
        value: e.value,
        luaStack: e.luaStack,
        chunkName: e.chunkName,
        line: e.line,
        column: e.column,
      });
      break;
    case 'LUA_LIMIT':
      out = new LuaLimitError(message, { value: e.value, luaStack: e.luaStack, limit: e.limit });
      break;
    case 'LUA_CLOSED':
      out = new LuaClosedError(message);
      break;
    case 'LUA_PANIC':
      out = new LuaError(message, { value: e.value, luaStack: e.luaStack });
      out.internal = true;
      break;
    default:
      out = new LuaError(message, { value: e.value, luaStack: e.luaStack });
  }
  setHidden(out, 'code', code);
  // The JS stack of the caller: drop the frames of this file.
  if (typeof Error.captureStackTrace === 'function') {
    Error.captureStackTrace(out, stackFrom || convertError);
  }
  if (out.luaStack) {
    const tb = String(out.luaStack);
    out.stack += '\n' + (tb.startsWith('stack traceback') ? tb : `Lua stack traceback:\n${tb}`);
  }
  return out;
}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

/**
 * Wraps a native function (or method: `this` is passed through) so that what
 * it throws, or what its returned promise rejects with, is converted by
 * `convertError`.
 */
function wrapNative(fn) {
  if (typeof fn !== 'function') throw new TypeError('wrapNative expects a function');
  const wrapped = function (...args) {
    let result;
    try {
      result = fn.apply(this, args);
    } catch (e) {
      throw convertError(e, wrapped);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).catch((e) => {
        throw convertError(e);
      });
    }
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped;
}

// ---------------------------------------------------------------------------
// Exports

const exported = {
  version: wrapNative(native.version),
  LuaError,
  LuaSyntaxError,
  LuaLimitError,
  LuaClosedError,
  // DESIGN.md §6 calls it VmClosedError; one class, two names.
  VmClosedError: LuaClosedError,
  convertError,
  wrapNative,
};

// The CLI entry point (`bin/lunarena.js`), implemented in Rust. It writes to
// stdout/stderr itself and returns the exit code.
if (typeof native.cliMain === 'function') exported.cliMain = wrapNative(native.cliMain);

// ---------------------------------------------------------------------------
// The Lua class and the handles (DESIGN.md §3-§5)
//
// The native side (src/api.rs) works with ids: a Lua object handed to JS is
// an export id, rooted in the VM until JS drops it; a JS object handed to Lua
// sits in this VM's `imports` array at a slot, which holds it strongly (so a
// dropped VM is an ordinary island of garbage for V8: nothing native keeps
// JS objects alive). The native side holds only weak references to `Core`'s
// helpers and `imports`.
//
// Handle lifetimes: one JS handle per export id while it lives (identity);
// a FinalizationRegistry records a collected handle's id, and a microtask
// after that round of finalization (or an earlier entry into the VM from
// this file) passes the recorded ids (sorted) to the native side, which
// removes the roots; `release()` passes its id at once. A WeakRef per
// handle is its version: a drop recorded for an older handle of the same id
// is ignored.

const nvm = native.vm;

/** handle (LuaTable object, LuaFunction function, ...) -> its record { core, id, kind } */
const handleData = new WeakMap();

const KIND_TABLE = 0;
const KIND_FUNCTION = 1;
const KIND_THREAD = 2;
const KIND_USERDATA = 3;
const GLOBALS_ID = 0;

function noConstruct(name) {
  return function () {
    throw new TypeError(`${name} objects are made by a Lua VM (lua.run, lua.table, lua.globals, ...), not with new`);
  };
}

/** Base of all handles. */
const LuaHandle = noConstruct('LuaHandle');
/** A Lua table. */
const LuaTable = noConstruct('LuaTable');
/** A Lua function: a real JS function (`f(1, 2)`). */
const LuaFunction = noConstruct('LuaFunction');
/** A Lua coroutine. */
const LuaThread = noConstruct('LuaThread');
/** A Lua userdata (made by Lua code or a library, not a JS object). */
const LuaUserData = noConstruct('LuaUserData');
Object.setPrototypeOf(LuaFunction.prototype, Function.prototype);
for (const C of [LuaTable, LuaThread, LuaUserData]) Object.setPrototypeOf(C.prototype, LuaHandle.prototype);
Object.defineProperty(LuaHandle, Symbol.hasInstance, {
  value: (v) => handleData.has(v),
});
for (const [C, name] of [
  [LuaHandle, 'LuaHandle'],
  [LuaTable, 'LuaTable'],
  [LuaFunction, 'LuaFunction'],
  [LuaThread, 'LuaThread'],
  [LuaUserData, 'LuaUserData'],
]) {
  Object.defineProperty(C, 'name', { value: name });
}

function recordOf(h) {
  const r = handleData.get(h);
  if (r === undefined) throw new TypeError('not a Lua handle');
  return r;
}

/** The record of a usable handle; throws LuaClosedError after close()/release(). */
function live(h) {
  const r = recordOf(h);
  const c = r.core;
  if (c.closed) throw new LuaClosedError();
  if (r.id < 0) throw new LuaClosedError(`this ${kindName(r.kind)} handle was released`);
  if (c.pending.length !== 0) c.flush();
  return r;
}

function kindName(kind) {
  return ['LuaTable', 'LuaFunction', 'LuaThread', 'LuaUserData'][kind] || 'Lua';
}

function release(h) {
  const r = handleData.get(h);
  if (r === undefined || r.id <= 0) return;
  const c = r.core;
  c.registry.unregister(r);
  const wr = c.handles.get(r.id);
  if (wr !== undefined && wr.deref() === h) {
    c.handles.delete(r.id);
    if (!c.closed) {
      // At once: a released LuaFunction, a native function, finds its
      // export gone when called.
      c.pending.push(r.id);
      c.flush();
    }
  }
  r.id = -1;
}

const handleMethods = {
  /** Drops this handle now (instead of when it is collected). Later use throws. */
  release() {
    release(this);
  },
  [Symbol.dispose]() {
    release(this);
  },
  /** Lua's name for the object, e.g. "table: 0x55d0c8e0". */
  toString() {
    const r = live(this);
    try {
      return nvm.describe(r.core.ext, r.id);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
};
for (const [k, v] of Object.entries(handleMethods)) {
  Object.defineProperty(LuaHandle.prototype, k, { value: v, writable: true, configurable: true });
}
Object.defineProperty(LuaHandle.prototype, Symbol.dispose, {
  value: handleMethods[Symbol.dispose],
  writable: true,
  configurable: true,
});
for (const k of ['release', 'toString', Symbol.dispose]) {
  Object.defineProperty(LuaFunction.prototype, k, {
    value: LuaHandle.prototype[k],
    writable: true,
    configurable: true,
  });
}

const tableMethods = {
  /** `t[key]`, with metamethods (`__index`). */
  get(key) {
    const r = live(this);
    try {
      return nvm.index(r.core.ext, r.id, key);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  /** `t[key] = value`, with metamethods (`__newindex`). */
  set(key, value) {
    const r = live(this);
    try {
      nvm.setIndex(r.core.ext, r.id, key, value);
    } catch (e) {
      throw r.core.convert(e);
    }
    return this;
  },
  /** `rawget(t, key)` */
  rawGet(key) {
    const r = live(this);
    try {
      return nvm.rawGet(r.core.ext, r.id, key);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  /** `rawset(t, key, value)` */
  rawSet(key, value) {
    const r = live(this);
    try {
      nvm.rawSet(r.core.ext, r.id, key, value);
    } catch (e) {
      throw r.core.convert(e);
    }
    return this;
  },
  /** Whether `rawget(t, key) ~= nil`. */
  has(key) {
    const r = live(this);
    try {
      return nvm.rawHas(r.core.ext, r.id, key);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  /** `#t`, with `__len`. */
  length() {
    const r = live(this);
    try {
      return nvm.length(r.core.ext, r.id);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  /** The keys, in `next` order (a snapshot array). */
  keys() {
    return entriesOf(this, 0);
  },
  /** The values, in `next` order (a snapshot array). */
  values() {
    return entriesOf(this, 1);
  },
  /** `[key, value]` pairs, in `next` order (a snapshot array). */
  entries() {
    const flat = entriesOf(this, 2);
    const out = new Array(flat.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = [flat[2 * i], flat[2 * i + 1]];
    return out;
  },
  [Symbol.iterator]() {
    return this.entries()[Symbol.iterator]();
  },
  /**
   * A deep copy as plain JS data: a table with keys 1..n becomes an array,
   * one with only string and number keys an object (keys as strings), any
   * other a Map. Cycles are kept.
   */
  toObject() {
    const r = live(this);
    try {
      return nvm.toJs(r.core.ext, r.id, false);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  /** A deep copy of `t[1..#t]` as an array (nested tables as toObject()). */
  toArray() {
    const r = live(this);
    try {
      return nvm.toJs(r.core.ext, r.id, true);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
};
for (const k of Reflect.ownKeys(tableMethods)) {
  Object.defineProperty(LuaTable.prototype, k, { value: tableMethods[k], writable: true, configurable: true });
}
/** The table's metatable (raw), or undefined. */
Object.defineProperty(LuaTable.prototype, 'metatable', {
  get() {
    const r = live(this);
    try {
      return nvm.metatable(r.core.ext, r.id);
    } catch (e) {
      throw r.core.convert(e);
    }
  },
  configurable: true,
});

function entriesOf(h, mode) {
  const r = live(h);
  try {
    return nvm.entries(r.core.ext, r.id, mode);
  } catch (e) {
    throw r.core.convert(e);
  }
}

Object.defineProperty(LuaFunction.prototype, 'callMultiple', {
  /** Calls the function and returns all its results as an array. */
  value: function callMultiple(...args) {
    const r = recordOf(this);
    const c = r.core;
    if (c.closed) throw new LuaClosedError();
    if (r.id < 0) throw new LuaClosedError('this LuaFunction handle was released');
    if (c.pending.length !== 0) c.flush();
    try {
      return nvm.callMulti(c.ext, r.id, ...args);
    } catch (e) {
      throw c.convert(e);
    }
  },
  writable: true,
  configurable: true,
});

Object.defineProperty(LuaFunction.prototype, 'callAsync', {
  /**
   * Calls the function as an async job of its VM (see `Lua#runAsync`):
   * returns a promise of its first result.
   */
  value: function callAsync(...args) {
    const r = recordOf(this);
    return r.core.submit({ kind: 1, fn: r, args }, {});
  },
  writable: true,
  configurable: true,
});

const LIMIT_KEYS = ['instructionLimit', 'timeout', 'memoryLimit', 'maxCallDepth'];

/** No limits (never mutated: limits objects are replaced, not changed). */
const NO_LIMITS = Object.freeze({ instructionLimit: null, timeout: null, memoryLimit: null, maxCallDepth: null });

/** Whether `options` sets a limit (checked on every run: no loop, no keyed reads). */
function hasLimitOptions(options) {
  return (
    options !== null &&
    typeof options === 'object' &&
    (options.instructionLimit !== undefined ||
      options.timeout !== undefined ||
      options.memoryLimit !== undefined ||
      options.maxCallDepth !== undefined)
  );
}

function checkLimit(name, v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
    throw new RangeError(`${name} must be a non-negative number (or null for no limit)`);
  }
  return v === Infinity ? null : v;
}

/** Limits from options, on top of `base`. */
function mergeLimits(base, options) {
  const out = { ...base };
  if (options !== null && typeof options === 'object') {
    for (const k of LIMIT_KEYS) if (options[k] !== undefined) out[k] = checkLimit(k, options[k]);
  }
  return out;
}

function limitError(limit, message) {
  const e = new LuaLimitError(message, { limit });
  return e;
}

function newMap() {
  return new Map();
}

/**
 * A plain object's own enumerable string-keyed properties for lua.table():
 * `[names joined, where each ends (UTF-16 units), values]`, the values as
 * a Float64Array when they all are numbers.
 */
function plainEntries(o) {
  const names = Object.keys(o);
  const n = names.length;
  const ends = new Float64Array(n);
  const nums = new Float64Array(n);
  let values = null;
  let end = 0;
  for (let i = 0; i < n; i++) {
    end += names[i].length;
    ends[i] = end;
    const x = o[names[i]];
    if (values === null) {
      if (typeof x === 'number') {
        nums[i] = x;
        continue;
      }
      values = Array.from(nums.subarray(0, i));
    }
    values.push(x);
  }
  return [names.join(''), ends, values === null ? nums : values];
}

/**
 * `o[name] = values[i]` for each name: the names are `text` cut at `ends`
 * (toObject() of a big table: one call instead of one per property).
 */
function setEntries(o, text, ends, values) {
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i];
    o[text.slice(start, end)] = values[i];
    start = end;
  }
}

/** Called between slices of a long call: fails once the thread is being torn down. */
function alive() {
  return true;
}

/** The per-VM state shared by a `Lua` and its handles. */
class Core {
  constructor(options) {
    this.closed = false;
    /** export id -> WeakRef(handle); the WeakRef carries `.id` */
    this.handles = new Map();
    /** export ids whose handles were dropped, not yet passed to the VM */
    this.pending = [];
    /** import slot -> JS object (slot 0 unused) */
    this.imports = [undefined];
    /** JS object -> import slot */
    this.importSlots = new WeakMap();
    this.freeSlots = [];
    this.globalsHandle = undefined;
    const core = this;
    this.flushQueued = false;
    this.registry = new FinalizationRegistry((wr) => {
      if (core.handles.get(wr.id) === wr) {
        core.handles.delete(wr.id);
        if (!core.closed) core.dropSoon(wr.id);
      }
    });
    this.helpers = {
      imports: this.imports,
      handle: (kind, id) => core.handle(kind, id),
      classify: (v) => core.classify(v),
      release: (slots) => core.releaseSlots(slots),
      index: proxyIndex,
      newindex: proxyNewIndex,
      len: proxyLen,
      pairs: proxyPairs,
      tostring: proxyToString,
      errorValue: (e) => core.errorValue(e),
      plainKind,
      arrayFrom,
      newMap,
      setEntries,
      plainEntries,
      arraySnapshot: makeArraySnapshot(),
      alive,
      awaited: (p) => {
        core.awaited = p;
      },
      convert: (e) => core.convert(e),
    };
    this.helpers.index = (obj, key) => {
      if (key === 'await' && isThenable(obj) && !('await' in Object(obj))) return awaitSelf;
      return proxyIndex(obj, key);
    };
    // `p:await()` on a promise proxy: in an async run the returned promise
    // suspends the Lua code (like any JS function returning one); in a
    // synchronous run it is an error.
    function awaitSelf() {
      if (core.asyncDepth === 0) {
        throw new Error('cannot await a JavaScript promise in a synchronous run; use lua.runAsync() or fn.callAsync()');
      }
      return this;
    }
    const made = nvm.create(this.helpers, options.libs === 'all');
    this.ext = made[0];
    /** `call(id, ...args)`: calls export `id` (the target of every LuaFunction). */
    this.call = made[1];
    Object.setPrototypeOf(this.call, LuaFunction.prototype);
    /** The VM's default limits (per-call options override them). */
    this.limits = NO_LIMITS;
    // A new VM has no limits: the native call is needed only to set some.
    if (hasLimitOptions(options)) {
      this.limits = mergeLimits(NO_LIMITS, options);
      this.applyLimits(this.limits);
    }
    if (options.deterministic) this.makeDeterministic(options);
    if (options.print !== undefined && options.print !== null) this.setPrint(options.print);
    if (options.modules !== undefined && options.modules !== null) this.addModules(options.modules);
    /** Async jobs not yet settled, in submission order (the one queue). */
    this.jobs = [];
    /** Jobs waiting for a slice, in order. */
    this.ready = [];
    this.nextJob = 1;
    this.pumpScheduled = false;
    this.asyncDepth = 0;
    /** The job whose slice is running now, if any. */
    this.running = undefined;
    this.awaited = undefined;
  }

  /**
   * Deterministic mode: math.random's seed fixed, and the clock that
   * os.time, os.clock and os.date read given by the host (`now`: seconds
   * since the epoch, default 0; `clock`: CPU seconds, default a counter
   * that advances 1 ms per read); os.date formats in UTC.
   */
  makeDeterministic(options) {
    const seed = options.seed === undefined ? 0 : options.seed;
    if (typeof seed !== 'number' && typeof seed !== 'bigint') throw new TypeError('seed must be a number');
    let ticks = 0;
    const now = typeof options.now === 'function' ? options.now : () => 0;
    const clock = typeof options.clock === 'function' ? options.clock : () => ticks++ / 1000;
    const setup = nvm.run(
      this.ext,
      `return function(seed, now, clock)
        local rs, time, date = math.randomseed, os.time, os.date
        rs(seed)
        math.randomseed = function(...)
          if select('#', ...) == 0 then return rs(seed) end
          return rs(...)
        end
        os.time = function(t)
          if t == nil then return math.tointeger(now()) or now() end
          return time(t)
        end
        os.clock = function() return clock() end
        os.date = function(fmt, t)
          fmt = fmt or "%c"
          if fmt:sub(1, 1) ~= "!" then fmt = "!" .. fmt end
          if t == nil then t = os.time() end
          return date(fmt, t)
        end
      end`,
      '=(deterministic)',
      false,
    );
    setup(seed, now, clock);
  }

  /**
   * `print` option: `print` and writes to the standard output (`io.write`)
   * call `sink` with their text instead of writing to stdout.
   */
  setPrint(sink) {
    if (typeof sink !== 'function') throw new TypeError('the print option must be a function');
    nvm.setPrint(this.ext, sink);
  }

  /**
   * `modules` option. An object (or Map) of `name: module`: `require(name)`
   * gives each entry, from `package.preload`. A function `(name) => module`:
   * a searcher `require` asks (after `package.preload`) for any other name;
   * it returns undefined or null for a name it does not know. A module that
   * is a string or a Uint8Array is Lua source, run by the first `require`
   * (with `...` = name and where it came from); any other value is the
   * module itself. `package.loaded` keeps the results as usual.
   */
  addModules(modules) {
    if (typeof modules === 'function') {
      const searchers = nvm.run(this.ext, 'return package.searchers', '=(modules)', false);
      const search = (name) => {
        const mod = modules(name);
        if (mod === undefined || mod === null) return `no module '${name}' from the host`;
        return this.moduleLoader(name, mod);
      };
      nvm.run(this.ext, 'return table.insert', '=(modules)', false)(searchers, 2, search);
      return;
    }
    if (typeof modules !== 'object') {
      throw new TypeError('the modules option must be an object of name: module, or a function');
    }
    const entries = modules instanceof Map ? [...modules] : Object.entries(modules);
    const preload = nvm.run(this.ext, 'return package.preload', '=(modules)', false);
    for (const [name, mod] of entries) {
      if (typeof name !== 'string') throw new TypeError('module names must be strings');
      preload.rawSet(name, this.moduleLoader(name, mod));
    }
  }

  /** The loader of module `name` (see `addModules`). */
  moduleLoader(name, mod) {
    if (typeof mod === 'string' || mod instanceof Uint8Array) {
      const chunkName = `=${name}`;
      try {
        return nvm.load(this.ext, mod, chunkName);
      } catch (e) {
        throw this.convert(e, chunkName);
      }
    }
    return () => mod;
  }

  applyLimits(l) {
    nvm.setLimits(this.ext, l.instructionLimit, l.timeout, l.memoryLimit, l.maxCallDepth);
  }

  /** Runs `f` with per-call limit overrides from `options`. */
  withLimits(options, f) {
    if (!hasLimitOptions(options)) return f();
    this.applyLimits(mergeLimits(this.limits, options));
    try {
      return f();
    } finally {
      if (!this.closed) this.applyLimits(this.limits);
    }
  }

  /**
   * Queues an async job; returns its promise. Jobs start in submission
   * order and take turns in slices; their promises settle in submission
   * order too (a job that finishes early waits for the ones before it).
   */
  submit(work, options) {
    const core = this;
    return new Promise((resolve, reject) => {
      if (core.closed) {
        reject(new LuaClosedError());
        return;
      }
      const job = {
        id: core.nextJob++,
        work,
        multi: !!(options && options.multiple),
        limits: hasLimitOptions(options) ? mergeLimits(core.limits, options) : undefined,
        chunkName: work.name,
        state: 'queued',
        done: false,
        ok: false,
        value: undefined,
        resolve,
        reject,
        timer: undefined,
        signal: options && options.signal,
        onAbort: undefined,
      };
      // A job submitted by JS code that a running job called (`f.callAsync`
      // in a callback) goes before that job: the running job may wait for it.
      const parent = core.running === undefined ? -1 : core.jobs.indexOf(core.running);
      if (parent >= 0) core.jobs.splice(parent, 0, job);
      else core.jobs.push(job);
      const signal = job.signal;
      if (signal) {
        if (signal.aborted) {
          core.abortJob(job, abortError(signal));
          return;
        }
        job.onAbort = () => core.abortJob(job, abortError(signal));
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      core.ready.push(job);
      core.schedule();
    });
  }

  schedule() {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  pump() {
    this.pumpScheduled = false;
    if (this.closed) return;
    const job = this.ready.shift();
    if (job !== undefined) this.step(job);
    if (this.ready.length !== 0) this.schedule();
  }

  /** One slice of a job. */
  step(job) {
    if (job.done) return;
    if (this.pending.length !== 0) this.flush();
    const limits = job.limits;
    let status;
    this.asyncDepth++;
    this.running = job;
    try {
      if (limits !== undefined) this.applyLimits(limits);
      if (job.state === 'queued') {
        job.state = 'running';
        const timeout = (limits || this.limits).timeout;
        if (timeout !== null && timeout !== undefined) {
          // Mid-slice the VM's own deadline stops the job; this timer
          // stops it while it waits for a promise or for its turn.
          job.timer = setTimeout(() => this.abortJob(job, limitError('time', 'time limit reached')), timeout);
        }
        const w = job.work;
        if (w.kind === 0) {
          status = nvm.asyncStart(this.ext, job.id, job.multi, 0, w.code, w.name);
        } else {
          if (w.fn.id < 0) throw new LuaClosedError('this LuaFunction handle was released');
          status = nvm.asyncStart(this.ext, job.id, job.multi, 1, w.fn.id, undefined, ...w.args);
        }
      } else if (job.state === 'resume') {
        job.state = 'running';
        const { ok, value } = job.settled;
        job.settled = undefined;
        status = nvm.asyncResume(this.ext, job.id, ok, value);
      } else {
        status = nvm.asyncPoll(this.ext, job.id);
      }
    } catch (e) {
      this.asyncDepth--;
      this.running = undefined;
      this.awaited = undefined;
      if (limits !== undefined && !this.closed) this.applyLimits(this.limits);
      this.finish(job, false, this.convert(e, job.chunkName));
      return;
    }
    this.asyncDepth--;
    this.running = undefined;
    if (limits !== undefined && !this.closed) this.applyLimits(this.limits);
    switch (status[0]) {
      case 0:
        this.finish(job, true, status[1]);
        break;
      case 1:
        this.ready.push(job);
        break;
      default: {
        const p = this.awaited;
        this.awaited = undefined;
        job.state = 'awaiting';
        Promise.resolve(p).then(
          (v) => this.resumeJob(job, true, v),
          (e) => this.resumeJob(job, false, e),
        );
      }
    }
  }

  resumeJob(job, ok, value) {
    if (job.done || this.closed) return;
    if (!ok && value instanceof LuaError && this.errorOrigin.get(value) === this && !(value instanceof LuaLimitError)) {
      value = value.value;
    }
    job.state = 'resume';
    job.settled = { ok, value };
    this.ready.push(job);
    this.schedule();
  }

  /** Stops a job (signal, timeout): it fails with `err`; the VM stays usable. */
  abortJob(job, err) {
    if (job.done || this.closed) return;
    const i = this.ready.indexOf(job);
    if (i >= 0) this.ready.splice(i, 1);
    if (job.state !== 'queued') {
      try {
        nvm.asyncCancel(this.ext, job.id);
      } catch {
        // The VM is running (abort from inside a callback): the job's own
        // checks will not see it; it is still reported as aborted.
      }
    }
    this.finish(job, false, err);
  }

  finish(job, ok, value) {
    job.done = true;
    job.ok = ok;
    job.value = value;
    this.cleanupJob(job);
    this.settleInOrder();
  }

  cleanupJob(job) {
    if (job.timer !== undefined) clearTimeout(job.timer);
    job.timer = undefined;
    if (job.onAbort !== undefined) job.signal.removeEventListener('abort', job.onAbort);
    job.onAbort = undefined;
  }

  /** Settles finished jobs from the head of the queue, in order. */
  settleInOrder() {
    const jobs = this.jobs;
    let n = 0;
    while (n < jobs.length && jobs[n].done) n++;
    if (n === 0) return;
    const head = jobs.splice(0, n);
    for (const job of head) {
      if (job.ok) job.resolve(job.value);
      else job.reject(job.value);
    }
  }

  /**
   * Records a collected handle's id; the drops of one round of finalization
   * reach the VM together, right after it (calling a LuaFunction does not
   * pass through this file, so the next entry may never come from here).
   */
  dropSoon(id) {
    this.pending.push(id);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.closed && this.pending.length !== 0) this.flush();
    });
  }

  flush() {
    const ids = this.pending;
    this.pending = [];
    ids.sort((a, b) => a - b);
    nvm.drop(this.ext, ids);
  }

  enter() {
    if (this.closed) throw new LuaClosedError();
    if (this.pending.length !== 0) this.flush();
  }

  /** The handle for an export id: the live one, or a new one. */
  handle(kind, id) {
    if (id === GLOBALS_ID) {
      if (this.globalsHandle === undefined) this.globalsHandle = this.newHandle(KIND_TABLE, GLOBALS_ID).h;
      return this.globalsHandle;
    }
    const wr = this.handles.get(id);
    if (wr !== undefined) {
      const h = wr.deref();
      if (h !== undefined) return h;
    }
    // The old handle's drop may be recorded but not yet applied: the new
    // handle keeps the export.
    if (this.pending.length !== 0) {
      const at = this.pending.indexOf(id);
      if (at !== -1) this.pending.splice(at, 1);
    }
    const { h, r } = this.newHandle(kind, id);
    const nwr = new WeakRef(h);
    nwr.id = id;
    this.handles.set(id, nwr);
    this.registry.register(h, nwr, r);
    return h;
  }

  newHandle(kind, id) {
    const r = { core: this, id, kind };
    let h;
    if (kind === KIND_FUNCTION) {
      // The VM's native `call` bound to the export id: a call goes straight
      // to the VM (src/api.rs `call_bound`), which makes every check. A
      // bound function takes its target's prototype (LuaFunction's).
      h = this.call.bind(undefined, id);
    } else {
      const C = kind === KIND_TABLE ? LuaTable : kind === KIND_THREAD ? LuaThread : LuaUserData;
      h = Object.create(C.prototype);
    }
    handleData.set(h, r);
    return { h, r };
  }

  /**
   * A JS object or function on its way into Lua: a handle of this VM gives
   * -(id + 1); anything else its import slot (> 0).
   */
  classify(v) {
    const r = handleData.get(v);
    if (r !== undefined) {
      if (r.core !== this) {
        if (r.core.closed) throw new LuaClosedError('this Lua handle belongs to a closed Lua VM');
        throw new TypeError('this Lua handle belongs to another Lua VM; values cannot move between VMs (copy with toObject())');
      }
      if (r.id < 0) throw new LuaClosedError(`this ${kindName(r.kind)} handle was released`);
      return -(r.id + 1);
    }
    let slot = this.importSlots.get(v);
    if (slot !== undefined && this.imports[slot] === v) return slot;
    slot = this.freeSlots.length !== 0 ? this.freeSlots.pop() : this.imports.length;
    this.imports[slot] = v;
    this.importSlots.set(v, slot);
    return slot;
  }

  /** Slots whose Lua proxies the Lua collector freed. */
  releaseSlots(slots) {
    for (const slot of slots) {
      const o = this.imports[slot];
      this.imports[slot] = undefined;
      if (this.importSlots.get(o) === slot) this.importSlots.delete(o);
      this.freeSlots.push(slot);
    }
  }

  /**
   * A JS exception thrown into Lua: [0, value] (the error value Lua sees) or
   * [1, limit] (a limit error keeps going up, pcall does not catch it).
   */
  errorValue(e) {
    if (e instanceof LuaError && this.errorOrigin.get(e) === this) {
      if (e instanceof LuaLimitError) return [1, e.limit];
      return [0, e.value];
    }
    return [0, e];
  }

  /** Converts a native error into this realm's classes. */
  convert(e, chunkName) {
    if (e !== null && typeof e === 'object' && (e.code === 'LUNARENA_TYPE' || e.code === 'LUNARENA_RANGE')) {
      const C = e.code === 'LUNARENA_TYPE' ? TypeError : RangeError;
      const out = new C(e.message);
      Object.defineProperty(out, 'code', { value: e.code, configurable: true, writable: true });
      return out;
    }
    if (e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code.startsWith('LUA_')) {
      if (e.code === 'LUA_SYNTAX' && chunkName !== undefined) e.chunkName = displayName(chunkName);
      const out = convertError(e);
      if (out instanceof LuaError) this.errorOrigin.set(out, this);
      return out;
    }
    return e;
  }

  close() {
    if (this.closed) return;
    nvm.close(this.ext);
    this.closed = true;
    // Pending jobs settle first, in order: finished ones with their
    // outcome, the others with LuaClosedError.
    const jobs = this.jobs;
    this.jobs = [];
    this.ready = [];
    for (const job of jobs) {
      this.cleanupJob(job);
      if (job.done) {
        if (job.ok) job.resolve(job.value);
        else job.reject(job.value);
      } else {
        job.done = true;
        job.reject(new LuaClosedError('the Lua VM was closed before this job finished'));
      }
    }
    this.pending = [];
    this.handles.clear();
    this.imports.length = 1;
    this.freeSlots = [];
    this.importSlots = new WeakMap();
  }
}
Core.prototype.errorOrigin = new WeakMap();

function abortError(signal) {
  const e = limitError('aborted', 'the Lua call was aborted');
  if (signal.reason !== undefined) e.cause = signal.reason;
  return e;
}

function displayName(chunkName) {
  if (chunkName.startsWith('=') || chunkName.startsWith('@')) return chunkName.slice(1);
  return chunkName;
}

function chunkNameFor(code, options) {
  const name = options && options.chunkName;
  if (name !== undefined && name !== null) {
    const s = String(name);
    return s.startsWith('=') || s.startsWith('@') ? s : `=${s}`;
  }
  return typeof code === 'string' ? code : '=(load)';
}

// Proxy helpers: JS semantics of a JS object seen from Lua.
function isIndexed(obj) {
  return Array.isArray(obj) || (ArrayBuffer.isView(obj) && !(obj instanceof DataView));
}

function proxyIndex(obj, key) {
  if (obj instanceof Map) return obj.get(key);
  if (typeof key === 'number' && isIndexed(obj)) return obj[key - 1];
  return obj[key];
}

function proxyNewIndex(obj, key, value) {
  if (obj instanceof Map) {
    if (value === undefined) obj.delete(key);
    else obj.set(key, value);
  } else if (typeof key === 'number' && isIndexed(obj)) {
    obj[key - 1] = value;
  } else if (value === undefined) {
    delete obj[key];
  } else {
    obj[key] = value;
  }
}

function proxyLen(obj) {
  if (obj instanceof Map || obj instanceof Set) return obj.size;
  const n = obj.length;
  return typeof n === 'number' ? n : 0;
}

function proxyPairs(obj) {
  // An object's properties as plainEntries gives them (read in bulk).
  if (!(obj instanceof Map) && !isIndexed(obj)) return plainEntries(obj);
  const out = [];
  if (obj instanceof Map) {
    for (const [k, v] of obj) out.push(k, v);
  } else {
    for (let i = 0; i < obj.length; i++) out.push(i + 1, obj[i]);
  }
  return out;
}

/**
 * For lua.table(): 0 not plain data (proxied), 1 array, 2 plain object, 3 Map,
 * or for an array of numbers its numbers as a Float64Array (the native side
 * copies those in bulk). Works across realms.
 */
function plainKind(v) {
  if (Array.isArray(v)) return numbersOf(v) || 1;
  if (v instanceof Map || Object.prototype.toString.call(v) === '[object Map]') return 3;
  const p = Object.getPrototypeOf(v);
  return p === null || Object.getPrototypeOf(p) === null ? 2 : 0;
}

/** The elements of an array as a Float64Array if they are all numbers (no holes). */
function numbersOf(a) {
  const n = a.length;
  if (n === 0) return undefined;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (typeof x !== 'number') return undefined;
    out[i] = x;
  }
  return out;
}

/**
 * For the binding's array read cache (src/arraycache.rs), one per VM: a
 * function that copies a JS array's elements into a Float64Array it reuses
 * and returns the filled part, or false when the array is a Proxy or an
 * element is not a number (a hole included). Element getters run here.
 */
function makeArraySnapshot() {
  let buf = new Float64Array(0);
  return (a) => {
    if (isProxy(a)) return false;
    const n = a.length;
    let out = buf;
    if (out.length < n) {
      out = new Float64Array(n);
      // Small buffers are kept for the next snapshot.
      if (n <= 16384) buf = out;
    }
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if (typeof x !== 'number') return false;
      out[i] = x;
    }
    return out.length === n ? out : out.subarray(0, n);
  };
}

/** A Float64Array's numbers as a plain array (toObject()/toArray() of a table of numbers). */
function arrayFrom(ta) {
  const out = [];
  for (let i = 0; i < ta.length; i++) out.push(ta[i]);
  return out;
}

function proxyToString(obj) {
  try {
    return String(obj);
  } catch {
    return Object.prototype.toString.call(obj);
  }
}

const kCore = Symbol('lunarena.core');

function coreOf(lua) {
  const c = lua && lua[kCore];
  if (c === undefined) throw new TypeError('not a Lua VM');
  return c;
}

/**
 * A Lua 5.4 VM. See README.md for the conversion rules and lifetimes.
 */
class Lua {
  /**
   * @param {{ libs?: 'safe' | 'all', print?: Function, modules?: object }} [options]
   *   `libs: 'all'` opens io, os, debug and file-based require too (the
   *   default is the sandboxed set); `print` receives what print and
   *   io.write write; `modules` are what require finds. See index.d.ts.
   */
  constructor(options = {}) {
    Object.defineProperty(this, kCore, { value: new Core(options || {}) });
  }

  /**
   * Runs a chunk; returns its first result, or all of them with
   * `{ multiple: true }`. Limit options (`instructionLimit`, `timeout`,
   * `memoryLimit`, `maxCallDepth`) override the VM's for this call.
   */
  run(code, options = {}) {
    const c = coreOf(this);
    c.enter();
    const name = chunkNameFor(code, options);
    try {
      return c.withLimits(options, () => nvm.run(c.ext, code, name, !!(options && options.multiple)));
    } catch (e) {
      throw c.convert(e, name);
    }
  }

  /**
   * Runs a chunk as an async job: in slices that let the event loop turn,
   * and waiting for the promises JS functions return. Returns a promise of
   * the first result (all of them with `multiple: true`). Options: the
   * limits, `signal` (an AbortSignal), `chunkName`, `multiple`.
   */
  runAsync(code, options = {}) {
    const c = coreOf(this);
    if (c.closed) return Promise.reject(new LuaClosedError());
    if (typeof code !== 'string' && !(code instanceof Uint8Array)) {
      return Promise.reject(new TypeError('Lua code must be a string or a Buffer'));
    }
    const name = chunkNameFor(code, options);
    return c.submit({ kind: 0, code, name }, options || {});
  }

  /** Compiles a chunk without running it. */
  load(code, options = {}) {
    const c = coreOf(this);
    c.enter();
    const name = chunkNameFor(code, options);
    try {
      return nvm.load(c.ext, code, name);
    } catch (e) {
      throw c.convert(e, name);
    }
  }

  /** A global variable. */
  get(name) {
    const c = coreOf(this);
    c.enter();
    try {
      return nvm.index(c.ext, GLOBALS_ID, name);
    } catch (e) {
      throw c.convert(e);
    }
  }

  /** Sets a global variable. */
  set(name, value) {
    const c = coreOf(this);
    c.enter();
    try {
      nvm.setIndex(c.ext, GLOBALS_ID, name, value);
    } catch (e) {
      throw c.convert(e);
    }
    return this;
  }

  /** The globals table (`_G`). */
  get globals() {
    const c = coreOf(this);
    c.enter();
    return c.handle(KIND_TABLE, GLOBALS_ID);
  }

  /** A new Lua table: a deep copy of plain JS data (arrays, plain objects, Maps). */
  table(init) {
    const c = coreOf(this);
    c.enter();
    try {
      return nvm.fromJs(c.ext, init);
    } catch (e) {
      throw c.convert(e);
    }
  }

  /** Applies recorded handle drops, runs a full Lua collection, releases dead imports. */
  gc() {
    const c = coreOf(this);
    c.enter();
    try {
      nvm.gc(c.ext);
    } catch (e) {
      throw c.convert(e);
    }
  }

  /** Live counts, for leak hunting. */
  stats() {
    const c = coreOf(this);
    if (c.closed) return { exports: 0, imports: 0, heapObjects: 0, pendingDrops: 0, closed: true };
    const pendingDrops = c.pending.length;
    c.enter();
    const s = nvm.stats(c.ext);
    s.pendingDrops = pendingDrops;
    s.closed = false;
    return s;
  }

  /** Whether close() was called. */
  get closed() {
    return coreOf(this).closed;
  }

  /**
   * Frees the VM and everything in it; later use of it or its handles
   * throws LuaClosedError. Pending `__gc` metamethods run first (an error
   * in one is a warning); pending async jobs are rejected, in order, with
   * LuaClosedError; the returned promise resolves after that.
   */
  close() {
    const c = coreOf(this);
    try {
      c.close();
    } catch (e) {
      throw c.convert(e);
    }
    return Promise.resolve();
  }

  [Symbol.dispose]() {
    this.close();
  }

  /**
   * How many VMs are alive on this thread (not closed, not yet collected):
   * for tests and leak hunting.
   */
  static liveCount() {
    return nvm.liveCount();
  }
}

Object.assign(exported, { Lua, LuaHandle, LuaTable, LuaFunction, LuaThread, LuaUserData });

module.exports = exported;
