// Type definitions for lunarena (hand-written; `npm run build` does not touch
// this file: napi's generated typings go to .napi-generated.d.ts, ignored).

/** The version of the native addon (equals the package version). */
export declare function version(): string;

/**
 * The `lunarena` command line (`npx lunarena file.lua args...`), implemented
 * in the addon. Writes to stdout/stderr itself and returns the exit code.
 * Undefined while the addon does not provide it yet.
 */
export declare const cliMain: ((args: string[]) => number) | undefined;

/** Options accepted by the error constructors (mostly for the addon's use). */
export interface LuaErrorOptions {
  /** The Lua error value (the argument given to `error()`). */
  value?: unknown;
  /** The Lua traceback, as `debug.traceback` prints it. */
  luaStack?: string;
  cause?: unknown;
}

/** A Lua runtime error. */
export declare class LuaError extends Error {
  constructor(message: string, options?: LuaErrorOptions);
  /** The Lua error value (the argument given to `error()`, converted to JS). */
  value: unknown;
  /** The Lua traceback. */
  luaStack: string;
  /** `true` when the error comes from an internal failure (a caught Rust panic); the VM is unusable. */
  internal?: boolean;
  /** The addon's error code (`'LUA_ERROR'`, ...), when it came from the addon. */
  readonly code?: string;
}

export interface LuaSyntaxErrorOptions extends LuaErrorOptions {
  chunkName?: string;
  line?: number;
  column?: number;
}

/** A Lua syntax error: the chunk did not compile. */
export declare class LuaSyntaxError extends LuaError {
  constructor(message: string, options?: LuaSyntaxErrorOptions);
  chunkName: string;
  line: number;
  column: number;
}

export interface LuaLimitErrorOptions extends LuaErrorOptions {
  limit?: string;
}

/** A limit set on the VM was hit (memory, instructions, call depth, wall time). The VM stays usable. */
export declare class LuaLimitError extends LuaError {
  constructor(message: string, options?: LuaLimitErrorOptions);
  /** Which limit: e.g. `'memory'`, `'instructions'`, `'depth'`, `'time'`. */
  limit: string;
}

/** The VM, or a handle into it, was used after `close()`. */
export declare class LuaClosedError extends Error {
  constructor(message?: string, options?: { cause?: unknown });
  readonly code?: string;
}

/** Another name for {@link LuaClosedError}. */
export declare const VmClosedError: typeof LuaClosedError;

/**
 * Converts an error thrown by the addon (recognised by its `code`) into an
 * instance of the classes above, in the caller's realm. Returns anything
 * else unchanged.
 */
export declare function convertError(error: unknown): unknown;

/**
 * Wraps a function so that errors it throws, or that its returned promise
 * rejects with, go through {@link convertError}.
 */
export declare function wrapNative<F extends (...args: any[]) => any>(fn: F): F;

declare const lunarena: {
  version: typeof version;
  cliMain: typeof cliMain;
  LuaError: typeof LuaError;
  LuaSyntaxError: typeof LuaSyntaxError;
  LuaLimitError: typeof LuaLimitError;
  LuaClosedError: typeof LuaClosedError;
  VmClosedError: typeof VmClosedError;
  convertError: typeof convertError;
  wrapNative: typeof wrapNative;
};
export default lunarena;

// API (in progress, DESIGN.md §3-§6): `Lua` (new Lua(), run, runAsync, get,
// set, close, stats, gc) and the handles `LuaTable`, `LuaFunction`, ... are
// declared here once the addon exports them.
