//! Node.js bindings for the lunarena Lua VM.
//!
//! This crate is the binding layer only (DESIGN.md §1): it converts between
//! JavaScript and `lunarena-vm` values and never holds interpreter logic.
//!
//! # Panics never cross a napi entry point (DESIGN.md §7)
//!
//! A Rust panic that unwinds out of an `extern "C"` napi callback aborts the
//! whole Node process. Two tools prevent that:
//!
//! * `#[napi(catch_unwind)]` on an exported function or method: napi-derive
//!   wraps the generated call in `std::panic::catch_unwind` and turns a panic
//!   into a thrown JS `Error` (status `GenericFailure`, message = the panic
//!   payload). The closure it builds must be `UnwindSafe`: if the compiler
//!   complains (e.g. a `&mut self` method), use [`guard`] inside the body
//!   instead, which asserts unwind safety and lets you mark the VM unusable.
//! * [`guard`]: run a closure, and turn a panic into a `napi::Error` whose
//!   status (the JS `code` property) is `LUA_PANIC`. Use it around every
//!   call into the VM; on `Err` with that code, poison the VM so later calls
//!   fail cleanly ("this VM panicked and is unusable").
//!
//! `profile.release` keeps `panic = "unwind"`, which both tools rely on.
//!
//! # Error shape expected by `index.js`
//!
//! `index.js` turns native errors into the JS classes of the caller's realm
//! (`LuaError`, `LuaSyntaxError`, `LuaLimitError`, `LuaClosedError`). It
//! recognises a thrown error by its string `code` property:
//!
//! | code         | JS class         | extra own properties read            |
//! |--------------|------------------|--------------------------------------|
//! | `LUA_ERROR`  | `LuaError`       | `value` (the Lua error value), `luaStack` (traceback string) |
//! | `LUA_SYNTAX` | `LuaSyntaxError` | `chunkName`, `line`, `column`, `luaStack` |
//! | `LUA_LIMIT`  | `LuaLimitError`  | `limit` (`"memory"`, `"instructions"`, `"depth"`, `"time"`), `value` |
//! | `LUA_CLOSED` | `LuaClosedError` | —                                    |
//! | `LUA_PANIC`  | `LuaError`       | `internal: true` is set by index.js  |
//!
//! A `napi::Error::new("LUA_SYNTAX", msg)` (custom status string) already
//! gives the right `code`; errors that need the extra fields are built as a
//! JS `Error` object with those properties set, then thrown. Anything else
//! (no such `code`) is passed through to the user unchanged.

use napi_derive::napi;

/// Counts allocations per entered VM (memory limits, `stats().heapBytes`).
#[global_allocator]
static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;

/// Status string carried by errors that come from a caught Rust panic.
pub const PANIC_CODE: &str = "LUA_PANIC";

/// Runs `f`, converting a Rust panic into a `napi::Error` with status
/// `LUA_PANIC`, so that it can be thrown into JS instead of aborting Node.
///
/// The closure is wrapped in `AssertUnwindSafe`: the caller is responsible
/// for not reusing state the panic may have left half-updated (mark the VM
/// unusable when this returns the panic error).
pub fn guard<T, F>(f: F) -> Result<T, napi::Error<String>>
where
    F: FnOnce() -> Result<T, napi::Error<String>>,
{
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else {
                "unknown panic payload".to_string()
            };
            // The payload's destructor could itself panic; never let that escape.
            std::mem::forget(payload);
            Err(napi::Error::new(
                PANIC_CODE.to_string(),
                format!("internal error (Rust panic): {message}"),
            ))
        }
    }
}

/// The version of the `lunarena` addon crate (matches package.json).
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The stand-alone interpreter (`bin/lunarena.js`): runs with the given
/// arguments, writes to stdout/stderr, returns the exit code. `progname` is
/// the command as invoked, lua.c's `argv[0]`: it starts error messages and
/// is the script's `arg[-1]` (default "lunarena").
#[napi]
pub fn cli_main(args: Vec<String>, progname: Option<String>) -> napi::Result<i32, String> {
    guard(|| {
        let progname = progname.unwrap_or_else(|| "lunarena".to_string());
        Ok(lunarena_vm::cli::main_with_progname(&progname, &args))
    })
}

/// Adds `exports.vm`: the raw native functions `index.js` builds the `Lua`
/// class on (see api.rs).
#[napi(module_exports)]
pub fn init(exports: napi::bindgen_prelude::Object<'_>, env: napi::Env) -> napi::Result<()> {
    use napi::JsValue;
    let env = env.raw();
    let ok = (|| -> raw::Js<()> {
        let vm = raw::object(env)?;
        api::register(env, vm)?;
        raw::set_named(env, exports.raw(), "vm\0", vm)
    })();
    ok.map_err(|_| napi::Error::from_reason("lunarena: could not register the native functions"))
}

// No `#[cfg(test)]` unit tests here: a test binary of this crate would have to
// link the napi symbols that only a running Node provides, so `npm test` runs
// `cargo test --workspace --exclude lunarena` and tests the binding via jest.

mod api;
mod arraycache;
mod binding;
mod callback;
mod convert;
mod exports;
mod raw;
