// ESM entry: re-exports the CommonJS module (one copy of the addon and of the
// error classes per realm, whichever way it is loaded).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const lunarena = require('./index.js');

export default lunarena;
export const {
  version,
  cliMain,
  Lua,
  LuaHandle,
  LuaTable,
  LuaFunction,
  LuaThread,
  LuaUserData,
  LuaError,
  LuaSyntaxError,
  LuaLimitError,
  LuaClosedError,
  VmClosedError,
  convertError,
  wrapNative,
} = lunarena;
