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

// TODO(lead): route the `Lua` class (and the handles it returns) through
// convertError/wrapNative before exporting it here.
/**
 * A Lua 5.4 VM. `run(code)` compiles and runs a chunk and returns its first
 * result (primitives only for now: nil -> undefined, booleans, numbers,
 * integers beyond 2^53 as BigInt, strings; non-UTF-8 strings as Buffer).
 */
class Lua {
  constructor() {
    this._native = new native.NativeLua();
  }

  run(code, options = {}) {
    if (typeof code !== 'string') throw new TypeError('Lua.run: code must be a string');
    try {
      const result = this._native.run(code, options.chunkName);
      // The addon reports nil as null; Lua's nil is JS's undefined.
      return result === null ? undefined : result;
    } catch (e) {
      throw this._convert(e);
    }
  }

  close() {
    this._native.close();
  }

  [Symbol.dispose]() {
    this.close();
  }

  _convert(e) {
    const details = e && typeof e.code === 'string' && e.code.startsWith('LUA_') ? this._native.takeErrorDetails() : null;
    if (details) {
      e.luaStack = details.luaStack;
      e.line = details.line;
      e.column = details.column;
      e.limit = details.limit;
    }
    return convertError(e, Lua.prototype.run);
  }
}
exported.Lua = Lua;

module.exports = exported;
