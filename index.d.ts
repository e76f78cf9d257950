/// <reference lib="esnext.disposable" />
// Type definitions for lunarena (hand-written; `npm run build` does not touch
// this file: napi's generated typings go to .napi-generated.d.ts, ignored).

/** The version of the native addon (equals the package version). */
export declare function version(): string;

/**
 * The `lunarena` command line (`npx lunarena file.lua args...`), implemented
 * in the addon. Writes to stdout/stderr itself and returns the exit code.
 * `progname` is the command as invoked (lua.c's `argv[0]`, default
 * "lunarena"): error messages start with it and the script sees it in
 * `arg`. Undefined while the addon does not provide it yet.
 */
export declare const cliMain: ((args: string[], progname?: string) => number) | undefined;

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
  /** Which limit. */
  limit: LimitName;
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

/**
 * The limit a {@link LuaLimitError} names: `memoryLimit`, `instructionLimit`,
 * `timeout`, `maxCallDepth`, an AbortSignal (`'aborted'`), or the thread
 * being torn down (`'interrupted'`).
 */
export type LimitName = 'memory' | 'instructions' | 'time' | 'callDepth' | 'aborted' | 'interrupted' | (string & {});

/**
 * Resource limits. On `new Lua()` they are the VM's defaults; on a call
 * they override those for that call. `null` (or `Infinity`) means no limit.
 */
export interface LimitOptions {
  /** Bytes the whole VM may hold. */
  memoryLimit?: number | null;
  /** Instructions (loop iterations, calls, builtin work) per call. */
  instructionLimit?: number | null;
  /** Wall time per call, in milliseconds (for async calls: including waits). */
  timeout?: number | null;
  /** Lua call frames per call. */
  maxCallDepth?: number | null;
}

/** Options of `new Lua()`. */
export interface LuaOptions extends LimitOptions {
  /**
   * Which standard libraries to open. `'safe'` (the default): base, string,
   * table, math, utf8, coroutine, os time functions, no file or process
   * access. `'all'`: also io, the whole os, debug and file-based require.
   */
  libs?: 'safe' | 'all';
  /**
   * Where `print` and writes to the standard output (`io.write`,
   * `io.stdout:write`) go: called with the text of each call (`print`'s
   * ends with its newline). An error it throws is a Lua error at the
   * `print` call; in an async run a promise it returns is awaited.
   * Default: the process's standard output.
   */
  print?: (text: string) => unknown;
  /**
   * What `require(name)` finds (in `package.preload`): a string or
   * Uint8Array is the module's Lua source, run by the first `require`; any
   * other value is the module itself. A function is asked by `require` for
   * names not in `package.preload` and returns such a module, or undefined
   * for a name it does not know.
   */
  modules?: Record<string, unknown> | Map<string, unknown> | ((name: string) => unknown);
  /**
   * Same script, same output: fixes math.random's seed (`seed`), makes
   * os.time/os.date/os.clock read the host's clock (`now`, `clock`), and
   * os.date format in UTC.
   */
  deterministic?: boolean;
  /** The seed of math.random in deterministic mode (default 0). */
  seed?: number;
  /** Deterministic mode: seconds since the epoch for os.time() (default: always 0). */
  now?: () => number;
  /** Deterministic mode: CPU seconds for os.clock() (default: 1 ms more per read). */
  clock?: () => number;
}

/** Options of `lua.run()` / `lua.load()`. */
export interface RunOptions extends LimitOptions {
  /** The chunk's name in messages and tracebacks (e.g. `'main.lua'`). Default: the code itself. */
  chunkName?: string;
}

/** What `signal` needs of an `AbortSignal` (the typings do not assume DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of `lua.runAsync()`. */
export interface RunAsyncOptions extends RunOptions {
  /** Stops the job; it rejects with a `LuaLimitError` whose `limit` is `'aborted'`. */
  signal?: AbortSignalLike;
}

/** Live counts of a VM, for leak hunting. */
export interface LuaStats {
  /** Lua objects JS holds handles to (roots in the VM's export table). */
  exports: number;
  /** JS objects Lua holds (proxies alive in the VM). */
  imports: number;
  /** Objects allocated in the Lua heap (undefined while a callback is running). */
  heapObjects: number | undefined;
  /** Bytes the VM allocated since it was made and still holds (what `memoryLimit` counts). */
  heapBytes?: number;
  /** Handle drops recorded and not yet applied (applied at the next call into the VM). */
  pendingDrops: number;
  /** Lua -> JS calls in progress. */
  callbackDepth?: number;
  closed: boolean;
}

/**
 * A Lua value as JS sees it: `undefined` (nil), boolean, number, bigint
 * (integers beyond 2^53 - 1), string (or Buffer for bytes that are not
 * UTF-8), a handle, or a JS value that went into Lua and came back.
 */
export type LuaValue = unknown;

/** Base of the handles to Lua objects. */
export interface LuaHandle {
  /** Drops this handle now instead of when it is collected; later use throws `LuaClosedError`. */
  release(): void;
  [Symbol.dispose](): void;
  /** Lua's name for the object, e.g. `"table: 0x55d0c8e0"`. */
  toString(): string;
}
export declare const LuaHandle: {
  readonly prototype: LuaHandle;
  [Symbol.hasInstance](value: unknown): value is LuaHandle;
};

/** A Lua table. */
export interface LuaTable extends LuaHandle {
  /** `t[key]`, with metamethods. */
  get(key: unknown): LuaValue;
  /** `t[key] = value`, with metamethods. */
  set(key: unknown, value: unknown): this;
  rawGet(key: unknown): LuaValue;
  rawSet(key: unknown, value: unknown): this;
  /** Whether `rawget(t, key) ~= nil`. */
  has(key: unknown): boolean;
  /** `#t`, with `__len`. */
  length(): number;
  /** The keys in `next` order (a snapshot). */
  keys(): LuaValue[];
  /** The values in `next` order (a snapshot). */
  values(): LuaValue[];
  /** `[key, value]` pairs in `next` order (a snapshot). */
  entries(): [LuaValue, LuaValue][];
  [Symbol.iterator](): IterableIterator<[LuaValue, LuaValue]>;
  /**
   * A deep copy: a table with keys 1..n becomes an array, one with only
   * string and number keys a plain object, any other a `Map` (keys
   * converted like values). Cycles are kept.
   */
  toObject(): any;
  /** A deep copy of `t[1..#t]` as an array. */
  toArray(): any[];
  /** The metatable (raw), or undefined. */
  readonly metatable: LuaTable | undefined;
}
export declare const LuaTable: {
  readonly prototype: LuaTable;
  [Symbol.hasInstance](value: unknown): value is LuaTable;
};

/**
 * A Lua function: a real JS function. Calling it returns the first result.
 * It is the VM's native call bound to the function, so its `name` is
 * `"bound LuaFunction"` and its `length` is 0.
 */
export interface LuaFunction extends LuaHandle {
  (...args: unknown[]): any;
  /** Calls the function and returns all its results. */
  callMultiple(...args: unknown[]): any[];
  /**
   * Calls the function as an async job of its VM (see `Lua#runAsync`):
   * a promise of its first result. Called by a JS function that Lua code
   * of a running job called, the new job settles before that job, which
   * may wait for it. (Called synchronously from there, a Lua function
   * cannot wait for promises.)
   */
  callAsync(...args: unknown[]): Promise<any>;
}
export declare const LuaFunction: {
  readonly prototype: LuaFunction;
  [Symbol.hasInstance](value: unknown): value is LuaFunction;
};

/** A Lua coroutine. */
export interface LuaThread extends LuaHandle {}
export declare const LuaThread: {
  readonly prototype: LuaThread;
  [Symbol.hasInstance](value: unknown): value is LuaThread;
};

/** A Lua userdata made by Lua or a library (JS objects come back as themselves). */
export interface LuaUserData extends LuaHandle {}
export declare const LuaUserData: {
  readonly prototype: LuaUserData;
  [Symbol.hasInstance](value: unknown): value is LuaUserData;
};

/** A Lua 5.4 VM. */
export declare class Lua {
  constructor(options?: LuaOptions);
  /** Runs a chunk and returns its first result. */
  run(code: string | Uint8Array, options?: RunOptions & { multiple?: false }): any;
  /** Runs a chunk and returns all its results. */
  run(code: string | Uint8Array, options: RunOptions & { multiple: true }): any[];
  /**
   * Runs a chunk as an async job: in time slices that let the event loop
   * turn, waiting for the promises that JS functions called from Lua
   * return. Jobs of one VM start, and settle, in submission order.
   */
  runAsync(code: string | Uint8Array, options?: RunAsyncOptions & { multiple?: false }): Promise<any>;
  runAsync(code: string | Uint8Array, options: RunAsyncOptions & { multiple: true }): Promise<any[]>;
  /** Compiles a chunk without running it. */
  load(code: string | Uint8Array, options?: RunOptions): LuaFunction;
  /** A global variable. */
  get(name: string): any;
  /** Sets a global variable. */
  set(name: string, value: unknown): this;
  /** The globals table (`_G`). */
  readonly globals: LuaTable;
  /** A new Lua table: a deep copy of plain JS data (arrays, plain objects, Maps). */
  table(init?: object): LuaTable;
  /** Applies recorded handle drops, runs a full Lua collection, releases the JS objects Lua dropped. */
  gc(): void;
  /** Live counts, for leak hunting. */
  stats(): LuaStats;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /**
   * Frees the VM and everything in it; later use of it or its handles
   * throws `LuaClosedError`. The `__gc` metamethods still pending run
   * before the VM is freed (as Lua's `lua_close` runs them; they may call JS
   * functions, and an error in one is a warning, never an exception).
   * Pending async jobs are rejected, in order, with `LuaClosedError`; the
   * promise resolves after that. Closing twice does nothing.
   */
  close(): Promise<void>;
  [Symbol.dispose](): void;
  /** VMs alive on this thread (not closed and not yet collected). */
  static liveCount(): number;
}

declare const lunarena: {
  Lua: typeof Lua;
  LuaHandle: typeof LuaHandle;
  LuaTable: typeof LuaTable;
  LuaFunction: typeof LuaFunction;
  LuaThread: typeof LuaThread;
  LuaUserData: typeof LuaUserData;
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
