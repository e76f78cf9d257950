//! The native functions `index.js` calls (`native.vm.*`). They are raw
//! Node-API callbacks: variadic, no wrapper objects. Each one catches Rust
//! panics (a panic must never cross into Node), marks the VM unusable when
//! one happens, and turns it into a `LUA_PANIC` error.
//!
//! Every function but `create` takes the VM (an external) first.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use lunarena_vm::{lua::load_chunk, Libs, LuaError, Value};
use napi::sys;

use crate::binding::{self, Helpers, IdMap, Vm, H};
use crate::callback::fixed_value;
use crate::convert::Cv;
use crate::exports::ExportId;
use crate::raw::{self, Env, Js, JsVal, Thrown, WeakRef};

type Handler = fn(Env, &[JsVal]) -> Js<JsVal>;

fn dispatch(env: Env, info: sys::napi_callback_info, h: Handler) -> JsVal {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let ci = raw::cb_info(env, info)?;
        h(env, ci.args())
    }));
    finish(env, r, || {
        let ci = raw::cb_info(env, info).ok()?;
        vm_of(env, *ci.args().first()?).ok()
    })
}

/// The result of a native function for JS: its value, or null with an
/// exception pending. A panic marks the VM (found by `vm`) unusable.
fn finish<'a>(
    env: Env,
    r: std::thread::Result<Js<JsVal>>,
    vm: impl FnOnce() -> Option<&'a Vm>,
) -> JsVal {
    match r {
        Ok(Ok(v)) => v,
        Ok(Err(Thrown)) => ptr::null_mut(),
        Err(payload) => {
            let message = if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else {
                "unknown panic payload".to_string()
            };
            std::mem::forget(payload);
            let _ = catch_unwind(AssertUnwindSafe(|| {
                if let Some(vm) = vm() {
                    vm.poisoned.set(true);
                }
                let _ = raw::take_exception(env);
                raw::throw_coded(
                    env,
                    crate::PANIC_CODE,
                    &format!("internal error (Rust panic): {message}; this Lua VM is now unusable"),
                    &[],
                );
            }));
            ptr::null_mut()
        }
    }
}

/// `call(id, ...args)`, made for one VM (its data is the `Vm`): every
/// `LuaFunction` handle is this function bound to its export id (index.js),
/// so a call from JS goes straight here. Errors leave as index.js's
/// classes. The function holds the VM's external (a fixed property), so
/// the `Vm` lives as long as the function.
unsafe extern "C" fn call_bound(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut vm = ptr::null();
    let r = catch_unwind(AssertUnwindSafe(|| {
        // `id` and up to 3 arguments fetched at once (the common case).
        let (argv, argc, d) = raw::cb_args::<4>(env, info)?;
        vm = d as *const Vm;
        let vm = unsafe { &*vm };
        let id = get_export_id(env, argv[0])?;
        if argc > argv.len() {
            let ci = raw::cb_info(env, info)?;
            return handlers::call_export(vm, id, &ci.args()[1..], false);
        }
        handlers::call_export(vm, id, &argv[1..argc.max(1)], false)
    }));
    let vm = unsafe { vm.as_ref() };
    let out = finish(env, r, || vm);
    match vm {
        Some(vm) if out.is_null() => {
            convert_exception(env, vm);
            out
        }
        _ => out,
    }
}

/// Replaces the pending exception, an error the binding threw, with the
/// one JS code sees (index.js's `convert`: LuaError, LuaClosedError, ...).
fn convert_exception(env: Env, vm: &Vm) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(e) = raw::take_exception(env) else {
            return;
        };
        let converted = vm
            .helpers
            .get(env, H::Convert)
            .and_then(|f| raw::call(env, raw::undefined(env), f, &[e]));
        if let Ok(c) = converted {
            raw::throw(env, c);
        } else if !raw::is_exception_pending(env) {
            raw::throw(env, e);
        }
    }));
}

macro_rules! raw_fns {
    ($($js:literal => $name:ident),* $(,)?) => {
        $(
            unsafe extern "C" fn $name(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
                dispatch(env, info, handlers::$name)
            }
        )*
        /// Puts the native functions on `target`.
        pub fn register(env: Env, target: JsVal) -> Js<()> {
            $(
                let f = raw::function(env, $js, Some($name))?;
                raw::set_named(env, target, concat!($js, "\0"), f)?;
            )*
            Ok(())
        }
    };
}

raw_fns! {
    "create" => create,
    "run" => run,
    "load" => load,
    "callMulti" => call_multi,
    "index" => index,
    "setIndex" => set_index,
    "rawGet" => raw_get,
    "rawSet" => raw_set,
    "rawHas" => raw_has,
    "length" => length,
    "entries" => entries,
    "metatable" => metatable,
    "toJs" => to_js,
    "fromJs" => from_js,
    "describe" => describe,
    "drop" => drop_exports,
    "gc" => gc,
    "stats" => stats,
    "close" => close,
    "liveCount" => live_count,
    "setLimits" => set_limits,
    "setPrint" => set_print,
    "asyncStart" => async_start,
    "asyncPoll" => async_poll,
    "asyncResume" => async_resume,
    "asyncCancel" => async_cancel,
}

/// Time an async call runs before the event loop gets a turn.
const SLICE: std::time::Duration = std::time::Duration::from_millis(4);

thread_local! {
    /// The VMs made on this thread and not yet freed: an external passed to
    /// a native function is used only if its pointer is one of them (cheaper
    /// than a type-tag check on every call, and as safe).
    static VMS: RefCell<IdMap<usize, ()>> = RefCell::new(IdMap::default());
}

fn vm_of<'a>(env: Env, v: JsVal) -> Js<&'a Vm> {
    let mut p = ptr::null_mut();
    let status = unsafe { sys::napi_get_value_external(env, v, &mut p) };
    let known =
        status == sys::Status::napi_ok && VMS.with(|vms| vms.borrow().contains_key(&(p as usize)));
    if !known {
        return Err(raw::throw_type_error(env, "lunarena: not a Lua VM"));
    }
    Ok(unsafe { &*(p as *const Vm) })
}

fn arg(a: &[JsVal], i: usize, env: Env) -> JsVal {
    a.get(i).copied().unwrap_or_else(|| raw::undefined(env))
}

fn get_u32(env: Env, v: JsVal) -> Js<u32> {
    Ok(raw::get_number(env, v)? as u32)
}

/// An export id from JS; anything but a whole number below 2^53 becomes an
/// id that names no export.
fn get_export_id(env: Env, v: JsVal) -> Js<ExportId> {
    let n = raw::get_number(env, v)?;
    let id = n as ExportId;
    Ok(if id as f64 == n && id < 1 << 53 {
        id
    } else {
        ExportId::MAX
    })
}

fn truthy(env: Env, v: JsVal) -> Js<bool> {
    Ok(raw::kind(env, v)? == raw::Kind::Boolean && raw::get_bool(env, v)?)
}

/// Source code: a string, or a Buffer/Uint8Array of bytes.
fn source(env: Env, v: JsVal) -> Js<Vec<u8>> {
    if let Some(b) = raw::get_bytes(env, v)? {
        return Ok(b.to_vec());
    }
    if raw::kind(env, v)? != raw::Kind::String {
        return Err(raw::throw_type_error(
            env,
            "Lua code must be a string or a Buffer",
        ));
    }
    let mut out = Vec::new();
    raw::get_string_into(env, v, &mut out)?;
    Ok(out)
}

fn compile_error(env: Env, e: LuaError) -> Thrown {
    match e {
        LuaError::Syntax {
            message,
            line,
            column,
        } => binding::throw_syntax(env, &message, line, column),
        other => raw::throw_coded(env, binding::CODE_ERROR, &other.to_string(), &[]),
    }
}

unsafe extern "C" fn finalize_vm(
    _env: sys::napi_env,
    data: *mut std::ffi::c_void,
    _hint: *mut std::ffi::c_void,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let _ = VMS.try_with(|vms| vms.borrow_mut().remove(&(data as usize)));
        drop(unsafe { Box::from_raw(data as *mut Vm) });
    }));
}

mod handlers {
    use super::*;

    /// `create(helpers, allLibs)` -> `[vm, call]`: the VM (an external) and
    /// its `call(id, ...args)` (see `call_bound`).
    pub fn create(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let helpers = Helpers::new(WeakRef::new(env, arg(a, 0, env))?);
        let libs = if truthy(env, arg(a, 1, env))? {
            Libs::ALL
        } else {
            Libs::SAFE
        };
        let vm = Box::into_raw(Vm::new(env, helpers, libs));
        let ext = match raw::external(env, vm.cast(), Some(finalize_vm)) {
            Ok(e) => e,
            Err(t) => {
                drop(unsafe { Box::from_raw(vm) });
                return Err(t);
            }
        };
        VMS.with(|vms| vms.borrow_mut().insert(vm as usize, ()));
        // Named for how handles show in JS: a handle is this function bound to
        // its export id, so it reads `[Function: bound LuaFunction]`.
        let call = raw::function_with_data(env, "LuaFunction", Some(call_bound), vm.cast())?;
        // The function keeps the VM alive by itself too.
        raw::define_fixed(env, call, "vm\0", ext)?;
        let out = raw::array(env, 2)?;
        raw::set_element(env, out, 0, ext)?;
        raw::set_element(env, out, 1, call)?;
        Ok(out)
    }

    /// `run(vm, code, chunkName, multi)`
    pub fn run(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let code = source(env, arg(a, 1, env))?;
        let name = raw::get_string(env, arg(a, 2, env))?;
        let multi = truthy(env, arg(a, 3, env))?;
        let e = vm.begin()?;
        vm.call(
            &e,
            |mc, g, _| load_chunk(mc, g, &code, &name).map_err(|err| compile_error(env, err)),
            |mc, g, vals| Cv::new(vm, mc, g).results(vals, multi),
        )
    }

    /// `load(vm, code, chunkName)` -> LuaFunction
    pub fn load(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let code = source(env, arg(a, 1, env))?;
        let name = raw::get_string(env, arg(a, 2, env))?;
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| match load_chunk(mc, g, &code, &name) {
            Ok(f) => Cv::new(vm, mc, g).to_js(f),
            Err(err) => Err(compile_error(env, err)),
        })
    }

    /// `callMulti(vm, id, ...args)`: all results, as an array (the first
    /// alone: the handle itself, see `call_bound`).
    pub fn call_multi(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        call_export(vm, id, a.get(2..).unwrap_or(&[]), true)
    }

    /// Calls export `id` with `args`.
    #[inline]
    pub fn call_export(vm: &Vm, id: ExportId, args: &[JsVal], multi: bool) -> Js<JsVal> {
        let e = vm.begin()?;
        vm.call(
            &e,
            |mc, g, list| {
                let cv = Cv::new(vm, mc, g);
                let f = cv.exported_or(id, "this LuaFunction handle was released")?;
                for v in args {
                    list.push(cv.to_lua(*v)?);
                }
                Ok(f)
            },
            |mc, g, vals| Cv::new(vm, mc, g).results(vals, multi),
        )
    }

    /// `index(vm, id, key)`: `t[key]`, with metamethods.
    pub fn index(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let key = arg(a, 2, env);
        let e = vm.begin()?;
        vm.call(
            &e,
            |mc, g, args| {
                let cv = Cv::new(vm, mc, g);
                args.push(cv.exported(id)?);
                args.push(cv.to_lua(key)?);
                Ok(fixed_value(vm, mc, g, |f| &f.op_index))
            },
            |mc, g, vals| Cv::new(vm, mc, g).results(vals, false),
        )
    }

    /// `setIndex(vm, id, key, value)`: `t[key] = value`, with metamethods.
    pub fn set_index(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let (key, value) = (arg(a, 2, env), arg(a, 3, env));
        let e = vm.begin()?;
        vm.call(
            &e,
            |mc, g, args| {
                let cv = Cv::new(vm, mc, g);
                args.push(cv.exported(id)?);
                args.push(cv.to_lua(key)?);
                args.push(cv.to_lua(value)?);
                Ok(fixed_value(vm, mc, g, |f| &f.op_newindex))
            },
            |_, _, _| Ok(raw::undefined(env)),
        )
    }

    /// `length(vm, id)`: `#t`, with `__len`.
    pub fn length(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let e = vm.begin()?;
        vm.call(
            &e,
            |mc, g, args| {
                args.push(Cv::new(vm, mc, g).exported(id)?);
                Ok(fixed_value(vm, mc, g, |f| &f.op_len))
            },
            |mc, g, vals| Cv::new(vm, mc, g).results(vals, false),
        )
    }

    /// `rawGet(vm, id, key)`
    pub fn raw_get(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let key = arg(a, 2, env);
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let t = cv.table_of(id)?;
            let v = t.get(cv.to_lua(key)?);
            cv.to_js(v)
        })
    }

    /// `rawSet(vm, id, key, value)`
    pub fn raw_set(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let (key, value) = (arg(a, 2, env), arg(a, 3, env));
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let t = cv.table_of(id)?;
            let k = cv.to_lua(key)?;
            let v = cv.to_lua(value)?;
            match t.set(mc, k, v) {
                Ok(()) => Ok(raw::undefined(env)),
                Err(e) => Err(raw::throw_type_error(env, e.message())),
            }
        })
    }

    /// `rawHas(vm, id, key)`
    pub fn raw_has(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let key = arg(a, 2, env);
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let t = cv.table_of(id)?;
            let v = t.get(cv.to_lua(key)?);
            raw::boolean(env, !v.is_nil())
        })
    }

    /// `entries(vm, id, mode)`: a flat array of the raw entries (mode 0:
    /// keys, 1: values, 2: key, value, key, value, ...).
    pub fn entries(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let mode = get_u32(env, arg(a, 2, env))?;
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let t = cv.table_of(id)?;
            let all: Vec<(Value<'_>, Value<'_>)> = t.borrow().iter().collect();
            let per = if mode == 2 { 2 } else { 1 };
            let arr = raw::array(env, all.len() * per)?;
            let mut i = 0u32;
            for (k, v) in all {
                if mode != 1 {
                    raw::set_element(env, arr, i, cv.to_js(k)?)?;
                    i += 1;
                }
                if mode != 0 {
                    raw::set_element(env, arr, i, cv.to_js(v)?)?;
                    i += 1;
                }
            }
            Ok(arr)
        })
    }

    /// `metatable(vm, id)`: the raw metatable handle, or undefined.
    pub fn metatable(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let m = match cv.exported(id)? {
                Value::Table(t) => t.metatable(),
                Value::UserData(u) => u.metatable(),
                _ => None,
            };
            match m {
                Some(m) => cv.to_js(Value::Table(m)),
                None => Ok(raw::undefined(env)),
            }
        })
    }

    /// `toJs(vm, id, asArray)`: a deep copy into plain JS data.
    pub fn to_js(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let as_array = truthy(env, arg(a, 2, env))?;
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let t = cv.table_of(id)?;
            cv.copy_out(t, as_array)
        })
    }

    /// `fromJs(vm, value)`: a deep copy of plain JS data into Lua.
    pub fn from_js(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let init = arg(a, 1, env);
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let v = match raw::kind(env, init)? {
                raw::Kind::Undefined | raw::Kind::Null => {
                    Value::Table(lunarena_vm::table::Table::new(mc))
                }
                _ => cv.copy_in(init)?,
            };
            cv.to_js(v)
        })
    }

    /// `setPrint(vm, fn)`: where `print` and writes to the standard output
    /// go (a JS function, called with their text); undefined: stdout.
    pub fn set_print(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let f = arg(a, 1, env);
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let v = Cv::new(vm, mc, g).to_lua(f)?;
            lunarena_vm::state::Global::set_print_function(g, mc, v);
            Ok(raw::undefined(env))
        })
    }

    /// `describe(vm, id)`: "table: 0x...", as Lua's rawtostring.
    pub fn describe(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let id = get_export_id(env, arg(a, 1, env))?;
        let e = vm.begin()?;
        vm.with_arena(&e, |mc, g| {
            let cv = Cv::new(vm, mc, g);
            let v = cv.exported(id)?;
            let s = match v {
                Value::Table(_) | Value::Function(_) | Value::Thread(_) | Value::UserData(_) => {
                    format!("{}: 0x{:014x}", v.type_name(), v.addr().unwrap_or(0))
                }
                other => other.type_name().to_string(),
            };
            raw::string(env, &s)
        })
    }

    /// `drop(vm, ids)`: handles JS dropped; their roots are removed.
    pub fn drop_exports(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let arr = arg(a, 1, env);
        if vm.is_closed() {
            return Ok(raw::undefined(env));
        }
        let n = raw::array_len(env, arr)?;
        let mut ids = Vec::with_capacity(n as usize);
        for i in 0..n {
            ids.push(get_export_id(env, raw::get_element(env, arr, i)?)?);
        }
        vm.drop_exports(&mut ids);
        Ok(raw::undefined(env))
    }

    /// `gc(vm)`: a full collection; dead imports released.
    pub fn gc(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let e = vm.begin()?;
        vm.full_gc(&e)?;
        Ok(raw::undefined(env))
    }

    /// `stats(vm)`
    pub fn stats(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let e = vm.begin()?;
        let objects = if e.nested().is_some() {
            None
        } else {
            vm.lua.borrow().as_ref().map(|l| l.object_count())
        };
        let o = raw::object(env)?;
        let exports = vm.st.borrow().exports.len();
        raw::set_named(env, o, "exports\0", raw::number(env, exports as f64)?)?;
        raw::set_named(
            env,
            o,
            "imports\0",
            raw::number(env, vm.import_count() as f64)?,
        )?;
        let heap = match objects {
            Some(n) => raw::number(env, n as f64)?,
            None => raw::undefined(env),
        };
        raw::set_named(env, o, "heapObjects\0", heap)?;
        let bytes = vm
            .lua
            .try_borrow()
            .ok()
            .and_then(|l| l.as_ref().map(|l| l.memory_used()));
        let bytes = match bytes {
            Some(n) => raw::number(env, n as f64)?,
            None => raw::undefined(env),
        };
        raw::set_named(env, o, "heapBytes\0", bytes)?;
        let depth = vm.ctxs.len();
        raw::set_named(env, o, "callbackDepth\0", raw::number(env, depth as f64)?)?;
        Ok(o)
    }

    /// `setLimits(vm, instructionLimit, timeoutMs, memoryLimit, maxCallDepth)`:
    /// each a number, or undefined/null for none.
    pub fn set_limits(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let num = |i: usize| -> Js<Option<f64>> {
            let v = arg(a, i, env);
            match raw::kind(env, v)? {
                raw::Kind::Number => {
                    let n = raw::get_number(env, v)?;
                    if n.is_nan() || n < 0.0 {
                        return Err(raw::throw_range_error(
                            env,
                            "limits must be non-negative numbers",
                        ));
                    }
                    Ok(if n.is_finite() { Some(n) } else { None })
                }
                raw::Kind::Undefined | raw::Kind::Null => Ok(None),
                _ => Err(raw::throw_type_error(env, "limits must be numbers")),
            }
        };
        let limits = lunarena_vm::lua::Limits {
            instruction_limit: num(1)?.map(|n| n as u64),
            timeout: num(2)?.map(|n| std::time::Duration::from_secs_f64(n / 1000.0)),
            memory_limit: num(3)?.map(|n| n as usize),
            max_call_depth: num(4)?.map(|n| (n as usize).max(1)),
        };
        if let Some(lua) = vm.lua.try_borrow().ok().as_ref().and_then(|l| l.as_ref()) {
            lua.set_limits(limits);
            return Ok(raw::undefined(env));
        }
        // Inside a running call the `Lua` is borrowed: reach the budget
        // through the arena of the innermost native context.
        let e = vm.begin()?;
        vm.with_arena(&e, |_, g| {
            let b = &g.budget.0;
            b.instruction_limit.set(limits.instruction_limit);
            b.timeout.set(limits.timeout);
            b.memory_limit.set(limits.memory_limit);
            b.max_call_depth.set(limits.max_call_depth);
            Ok(raw::undefined(env))
        })
    }

    /// `asyncStart(vm, job, multi, mode, a, b, ...args)`: mode 0 runs code
    /// `a` with chunk name `b`; mode 1 calls export `a` with `args`.
    pub fn async_start(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let job = get_u32(env, arg(a, 1, env))?;
        let multi = truthy(env, arg(a, 2, env))?;
        let mode = get_u32(env, arg(a, 3, env))?;
        let code = if mode == 0 {
            Some((
                source(env, arg(a, 4, env))?,
                raw::get_string(env, arg(a, 5, env))?,
            ))
        } else {
            None
        };
        let id = if mode == 1 {
            get_export_id(env, arg(a, 4, env))?
        } else {
            0
        };
        let rest = a.get(6..).unwrap_or(&[]);
        let e = vm.begin()?;
        vm.async_slice(&e, job, |lua, _| {
            let (call, poll) = lua.start_async(
                |mc, g| match &code {
                    Some((code, name)) => match load_chunk(mc, g, code, name) {
                        Ok(f) => Ok((f, Vec::new())),
                        Err(err) => Err(compile_error(env, err)),
                    },
                    None => {
                        let cv = Cv::new(vm, mc, g);
                        let f = cv.exported(id)?;
                        let mut args = Vec::with_capacity(rest.len());
                        for v in rest {
                            args.push(cv.to_lua(*v)?);
                        }
                        Ok((f, args))
                    }
                },
                SLICE,
            )?;
            Ok((poll, Some((call, multi))))
        })
    }

    /// `asyncPoll(vm, job)`: another slice.
    pub fn async_poll(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let job = get_u32(env, arg(a, 1, env))?;
        let e = vm.begin()?;
        vm.async_slice(&e, job, |lua, call| match call {
            Some(c) => Ok((lua.poll_async(c, SLICE), None)),
            None => Err(raw::throw_coded(
                env,
                binding::CODE_ERROR,
                "no such async call",
                &[],
            )),
        })
    }

    /// `asyncResume(vm, job, ok, value)`: the awaited promise settled.
    pub fn async_resume(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let job = get_u32(env, arg(a, 1, env))?;
        let ok = truthy(env, arg(a, 2, env))?;
        let value = arg(a, 3, env);
        let e = vm.begin()?;
        vm.async_slice(&e, job, |lua, call| {
            let Some(c) = call else {
                return Err(raw::throw_coded(
                    env,
                    binding::CODE_ERROR,
                    "no such async call",
                    &[],
                ));
            };
            let mut failed = None;
            let poll = lua.resume_async(c, SLICE, |mc, g| {
                let cv = Cv::new(vm, mc, g);
                let v = match raw::kind(env, value) {
                    Ok(raw::Kind::Undefined) if ok => return Ok(Vec::new()),
                    _ => match cv.to_lua(value) {
                        Ok(v) => v,
                        Err(_) => {
                            failed = raw::take_exception(env);
                            let m = "the awaited value cannot be converted to Lua";
                            Value::String(lunarena_vm::state::Global::intern(g, mc, m.as_bytes()))
                        }
                    },
                };
                if ok && failed.is_none() {
                    Ok(vec![v])
                } else {
                    Err(v)
                }
            });
            Ok((poll, None))
        })
    }

    /// `asyncCancel(vm, job)`: abandons an async call.
    pub fn async_cancel(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        let job = get_u32(env, arg(a, 1, env))?;
        let entry = vm.jobs.borrow_mut().remove(&job);
        if let Some((mut call, _)) = entry {
            let mut guard = match vm.lua.try_borrow_mut() {
                Ok(g) => g,
                Err(_) => {
                    vm.jobs.borrow_mut().insert(job, (call, false));
                    return Err(raw::throw_coded(
                        env,
                        binding::CODE_ERROR,
                        "cannot cancel an async call while the VM is running",
                        &[],
                    ));
                }
            };
            if let Some(lua) = guard.as_mut() {
                lua.cancel_async(&mut call);
            }
        }
        Ok(raw::undefined(env))
    }

    /// `liveCount()`: VMs alive on this thread.
    pub fn live_count(env: Env, _a: &[JsVal]) -> Js<JsVal> {
        raw::number(env, binding::LIVE.with(|n| n.get()) as f64)
    }

    /// `close(vm)`
    pub fn close(env: Env, a: &[JsVal]) -> Js<JsVal> {
        let vm = vm_of(env, arg(a, 0, env))?;
        vm.close()?;
        Ok(raw::undefined(env))
    }
}
