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
