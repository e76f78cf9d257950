// Type-checked (not run) by `tsc -p __test__/tsconfig.json` in `npm test`:
// shows index.d.ts describes the package as a user writes against it.
import lunarena, { version, LuaError, LuaSyntaxError, LuaLimitError, LuaClosedError, convertError, wrapNative } from '..';

const v: string = version();
const v2: string = lunarena.version();

function handle(e: unknown): string {
  if (e instanceof LuaSyntaxError) return `${e.chunkName}:${e.line}:${e.column}: ${e.message}`;
  if (e instanceof LuaLimitError) return `limit ${e.limit}`;
  if (e instanceof LuaError) return `${String(e.value)}\n${e.luaStack}`;
  if (e instanceof LuaClosedError) return 'closed';
  return 'other';
}

const converted: unknown = convertError({ code: 'LUA_ERROR', message: 'x' });
const add = wrapNative((a: number, b: number) => a + b);
const three: number = add(1, 2);

if (lunarena.cliMain) {
  const code: number = lunarena.cliMain(['-e', 'print(1)']);
  void code;
}

void [v, v2, handle(converted), three];

// The Lua API as a user writes it.
import { Lua, LuaTable, LuaFunction, LuaStats } from '..';

const lua = new Lua({ libs: 'safe' });
const first: unknown = lua.run('return 1', { chunkName: 'main.lua' });
const all: unknown[] = lua.run('return 1, 2', { multiple: true });
const fn: LuaFunction = lua.load('return ...');
const r: unknown = fn(1, 'two', { three: 3 });
const rs: unknown[] = fn.callMultiple(1, 2);
lua.set('greet', (name: string) => `hello ${name}`).set('n', 1);
const g: unknown = lua.get('greet');
const t: LuaTable = lua.table({ list: [1, 2, 3] });
t.set('k', 'v').rawSet(1, true);
const len: number = t.length();
const has: boolean = t.has('k');
for (const [k, v] of t) void [k, v];
const keys: unknown[] = t.keys();
const obj: unknown = t.toObject();
const arr: unknown[] = t.toArray();
const mt: LuaTable | undefined = t.metatable;
const globals: LuaTable = lua.globals;
const value = lua.run('return {}');
if (value instanceof LuaTable) value.release();
if (g instanceof LuaFunction) void g('x');
t[Symbol.dispose]();
lua.gc();
const s: LuaStats = lua.stats();
const live: number = Lua.liveCount();
lua.close();
lua[Symbol.dispose]();
void [first, all, r, rs, len, has, keys, obj, arr, mt, globals, s.exports + s.imports, live, lunarena.Lua];

// Output and modules.
const printed: string[] = [];
const withOptions = new Lua({
  print: (text: string) => printed.push(text),
  modules: { config: { debug: true }, greet: 'return 1', bytes: new Uint8Array([114, 101, 116]) },
});
const withMap = new Lua({ modules: new Map<string, unknown>([['answer', 42]]) });
const withSearcher = new Lua({ modules: (name: string) => (name === 'x' ? 'return 1' : undefined) });
void [withOptions, withMap, withSearcher];

// Limits and async jobs.
async function limitsAndAsync(): Promise<void> {
  const vm = new Lua({ memoryLimit: 64 * 1024 * 1024, instructionLimit: 1e8, timeout: 1000, maxCallDepth: 200 });
  const n: any = vm.run('return 1', { instructionLimit: 1000 });
  const ac = { signal: { aborted: false, addEventListener() {}, removeEventListener() {} } };
  const r: any = await vm.runAsync('return 1', { signal: ac.signal, timeout: 50 });
  const all: any[] = await vm.runAsync('return 1, 2', { multiple: true });
  const f = vm.run('return function() end') as LuaFunction;
  const x: any = await f.callAsync(1, 2);
  const bytes: number | undefined = vm.stats().heapBytes;
  try {
    vm.run('while true do end');
  } catch (e) {
    if (e instanceof LuaLimitError) {
      const which: string = e.limit;
      void which;
    }
  }
  await vm.close();
  void [n, r, all, x, bytes];
}
void limitsAndAsync;
