//! Thin helpers over the raw Node-API (`napi::sys`).
//!
//! The binding talks to V8 through raw Node-API calls: it needs variadic
//! callbacks, handle scopes around every call from Lua into JS, and weak
//! references, and it must never allocate a napi-rs wrapper on a hot path.
//!
//! Error convention: every fallible helper returns [`Js<T>`]. `Err(Thrown)`
//! means "a JS exception is now pending in the env": a failed Node-API call
//! that did not leave an exception gets a generic one thrown, and errors the
//! binding detects itself are thrown with [`throw_coded`] or
//! [`throw_type_error`] before returning `Err(Thrown)`. Callers just
//! propagate with `?`; the entry point returns to JS, which sees the
//! exception, or a trampoline takes it with [`take_exception`] and turns it
//! into a Lua error.

use std::ffi::c_void;
use std::ptr;

use napi::sys;

pub type Env = sys::napi_env;
pub type JsVal = sys::napi_value;

/// A JS exception is pending in the env.
#[derive(Debug, Clone, Copy)]
pub struct Thrown;

pub type Js<T> = Result<T, Thrown>;

/// The `typeof` of a JS value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Symbol,
    Object,
    Function,
    External,
    BigInt,
}

#[inline]
pub fn check(env: Env, status: sys::napi_status) -> Js<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        unsafe { ensure_pending(env, status) };
        Err(Thrown)
    }
}

#[cold]
unsafe fn ensure_pending(env: Env, status: sys::napi_status) {
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if !pending {
        let msg = format!("lunarena: Node-API call failed (status {status})\0");
        sys::napi_throw_error(env, ptr::null(), msg.as_ptr().cast());
    }
}

pub fn is_exception_pending(env: Env) -> bool {
    let mut pending = false;
    unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    pending
}

/// Takes the pending exception (clearing it).
pub fn take_exception(env: Env) -> Option<JsVal> {
    if !is_exception_pending(env) {
        return None;
    }
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_and_clear_last_exception(env, &mut v) };
    Some(v)
}

pub fn throw(env: Env, v: JsVal) -> Thrown {
    unsafe { sys::napi_throw(env, v) };
    Thrown
}

pub fn kind(env: Env, v: JsVal) -> Js<Kind> {
    let mut t = 0;
    check(env, unsafe { sys::napi_typeof(env, v, &mut t) })?;
    use sys::ValueType as T;
    Ok(match t {
        T::napi_undefined => Kind::Undefined,
        T::napi_null => Kind::Null,
        T::napi_boolean => Kind::Boolean,
        T::napi_number => Kind::Number,
        T::napi_string => Kind::String,
        T::napi_symbol => Kind::Symbol,
        T::napi_object => Kind::Object,
        T::napi_function => Kind::Function,
        T::napi_external => Kind::External,
        _ => Kind::BigInt,
    })
}

pub fn undefined(env: Env) -> JsVal {
    let mut v = ptr::null_mut();
    unsafe { sys::napi_get_undefined(env, &mut v) };
    v
}

pub fn boolean(env: Env, b: bool) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe { sys::napi_get_boolean(env, b, &mut v) })?;
    Ok(v)
}

pub fn number(env: Env, n: f64) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe { sys::napi_create_double(env, n, &mut v) })?;
    Ok(v)
}

/// A number from an `i32`: cheaper for V8 than from a double (no check
/// for a small-integer representation).
#[inline]
pub fn int32(env: Env, n: i32) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe { sys::napi_create_int32(env, n, &mut v) })?;
    Ok(v)
}

pub fn bigint(env: Env, n: i64) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_bigint_int64(env, n, &mut v)
    })?;
    Ok(v)
}

pub fn string(env: Env, s: &str) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v)
    })?;
    Ok(v)
}

/// A JS string from bytes already known to be Latin-1 compatible ASCII.
pub fn ascii_string(env: Env, s: &[u8]) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_string_latin1(env, s.as_ptr().cast(), s.len() as isize, &mut v)
    })?;
    Ok(v)
}

pub fn buffer_copy(env: Env, bytes: &[u8]) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    let mut data = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_buffer_copy(env, bytes.len(), bytes.as_ptr().cast(), &mut data, &mut v)
    })?;
    Ok(v)
}

pub fn get_bool(env: Env, v: JsVal) -> Js<bool> {
    let mut b = false;
    check(env, unsafe { sys::napi_get_value_bool(env, v, &mut b) })?;
    Ok(b)
}

pub fn get_number(env: Env, v: JsVal) -> Js<f64> {
    let mut n = 0.0;
    check(env, unsafe { sys::napi_get_value_double(env, v, &mut n) })?;
    Ok(n)
}

/// The value of a number; `None` (and no exception) for anything else.
#[inline(always)]
pub fn try_number(env: Env, v: JsVal) -> Option<f64> {
    let mut n = 0.0;
    let status = unsafe { sys::napi_get_value_double(env, v, &mut n) };
    (status == sys::Status::napi_ok).then_some(n)
}

/// A BigInt as i64, and whether it fitted.
pub fn get_bigint(env: Env, v: JsVal) -> Js<(i64, bool)> {
    let mut n = 0;
    let mut lossless = false;
    check(env, unsafe {
        sys::napi_get_value_bigint_int64(env, v, &mut n, &mut lossless)
    })?;
    Ok((n, lossless))
}

/// The UTF-8 bytes of a JS string, appended to `out`.
pub fn get_string_into(env: Env, v: JsVal, out: &mut Vec<u8>) -> Js<()> {
    let mut len = 0usize;
    check(env, unsafe {
        sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len)
    })?;
    let start = out.len();
    out.resize(start + len + 1, 0);
    let mut written = 0usize;
    check(env, unsafe {
        sys::napi_get_value_string_utf8(
            env,
            v,
            out[start..].as_mut_ptr().cast(),
            len + 1,
            &mut written,
        )
    })?;
    out.truncate(start + written);
    Ok(())
}

pub fn get_string(env: Env, v: JsVal) -> Js<String> {
    let mut bytes = Vec::new();
    get_string_into(env, v, &mut bytes)?;
    // Node-API writes valid UTF-8 (lone surrogates become U+FFFD).
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The bytes of a Buffer or Uint8Array; `None` for any other value.
pub fn get_bytes<'a>(env: Env, v: JsVal) -> Js<Option<&'a [u8]>> {
    typed_elements(env, v, sys::TypedarrayType::uint8_array)
}

/// The numbers of a Float64Array; `None` for any other value.
pub fn get_f64s<'a>(env: Env, v: JsVal) -> Js<Option<&'a [f64]>> {
    typed_elements(env, v, sys::TypedarrayType::float64_array)
}

/// The elements of `v` if it is a typed array of kind `kind`, whose
/// elements must be `T`s; `None` for any other value.
fn typed_elements<'a, T>(env: Env, v: JsVal, kind: i32) -> Js<Option<&'a [T]>> {
    let Some((ty, len, data)) = typedarray_info(env, v)? else {
        return Ok(None);
    };
    if ty != kind {
        return Ok(None);
    }
    if len == 0 || data.is_null() {
        return Ok(Some(&[]));
    }
    // SAFETY: Node-API gives the data pointer and element count of a live
    // typed array whose elements are `T`s; the data is aligned for `T` (a
    // typed array's byte offset is a multiple of its element size).
    Ok(Some(unsafe {
        std::slice::from_raw_parts(data as *const T, len)
    }))
}

/// A new Float64Array holding `nums`.
pub fn f64_array(env: Env, nums: &[f64]) -> Js<JsVal> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut ab = ptr::null_mut();
    let bytes = std::mem::size_of_val(nums);
    check(env, unsafe {
        sys::napi_create_arraybuffer(env, bytes, &mut data, &mut ab)
    })?;
    if bytes != 0 {
        unsafe { ptr::copy_nonoverlapping(nums.as_ptr(), data as *mut f64, nums.len()) };
    }
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_typedarray(
            env,
            sys::TypedarrayType::float64_array,
            nums.len(),
            ab,
            0,
            &mut v,
        )
    })?;
    Ok(v)
}

/// Type, length (in elements) and data pointer of a typed array.
pub fn typedarray_info(env: Env, v: JsVal) -> Js<Option<(i32, usize, *mut c_void)>> {
    let mut is = false;
    check(env, unsafe { sys::napi_is_typedarray(env, v, &mut is) })?;
    if !is {
        return Ok(None);
    }
    let mut ty = 0;
    let mut len = 0usize;
    let mut data: *mut c_void = ptr::null_mut();
    let mut ab = ptr::null_mut();
    let mut off = 0usize;
    check(env, unsafe {
        sys::napi_get_typedarray_info(env, v, &mut ty, &mut len, &mut data, &mut ab, &mut off)
    })?;
    Ok(Some((ty, len, data)))
}

pub fn is_array(env: Env, v: JsVal) -> Js<bool> {
    let mut b = false;
    check(env, unsafe { sys::napi_is_array(env, v, &mut b) })?;
    Ok(b)
}

pub fn array_len(env: Env, v: JsVal) -> Js<u32> {
    let mut n = 0;
    check(env, unsafe { sys::napi_get_array_length(env, v, &mut n) })?;
    Ok(n)
}

pub fn array(env: Env, len: usize) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_array_with_length(env, len, &mut v)
    })?;
    Ok(v)
}

pub fn object(env: Env) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe { sys::napi_create_object(env, &mut v) })?;
    Ok(v)
}

pub fn get_element(env: Env, obj: JsVal, i: u32) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe { sys::napi_get_element(env, obj, i, &mut v) })?;
    Ok(v)
}

pub fn set_element(env: Env, obj: JsVal, i: u32, v: JsVal) -> Js<()> {
    check(env, unsafe { sys::napi_set_element(env, obj, i, v) })
}

pub fn set_property(env: Env, obj: JsVal, key: JsVal, v: JsVal) -> Js<()> {
    check(env, unsafe { sys::napi_set_property(env, obj, key, v) })
}

/// `obj[name]`; `name` must end with a NUL byte.
pub fn get_named(env: Env, obj: JsVal, name: &str) -> Js<JsVal> {
    debug_assert!(name.ends_with('\0'));
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_get_named_property(env, obj, name.as_ptr().cast(), &mut v)
    })?;
    Ok(v)
}

/// `obj[name] = v`; `name` must end with a NUL byte.
pub fn set_named(env: Env, obj: JsVal, name: &str, v: JsVal) -> Js<()> {
    debug_assert!(name.ends_with('\0'));
    check(env, unsafe {
        sys::napi_set_named_property(env, obj, name.as_ptr().cast(), v)
    })
}

pub fn strict_equals(env: Env, a: JsVal, b: JsVal) -> Js<bool> {
    let mut r = false;
    check(env, unsafe { sys::napi_strict_equals(env, a, b, &mut r) })?;
    Ok(r)
}

/// Calls `f` with `this` and `args`; `Err(Thrown)` when it threw.
pub fn call(env: Env, this: JsVal, f: JsVal, args: &[JsVal]) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_call_function(env, this, f, args.len(), args.as_ptr(), &mut v)
    })?;
    Ok(v)
}

/// Throws an `Error` with a string `code` (LUA_ERROR, ...) and extra properties.
pub fn throw_coded(env: Env, code: &str, message: &str, props: &[(&str, JsVal)]) -> Thrown {
    match make_coded(env, code, message, props) {
        Ok(e) => throw(env, e),
        Err(t) => t,
    }
}

pub fn make_coded(env: Env, code: &str, message: &str, props: &[(&str, JsVal)]) -> Js<JsVal> {
    let c = string(env, code)?;
    let m = string(env, message)?;
    let mut e = ptr::null_mut();
    check(env, unsafe { sys::napi_create_error(env, c, m, &mut e) })?;
    for (k, v) in props {
        let key = string(env, k)?;
        set_property(env, e, key, *v)?;
    }
    Ok(e)
}

pub fn throw_type_error(env: Env, message: &str) -> Thrown {
    let msg = format!("{message}\0");
    unsafe { sys::napi_throw_type_error(env, c"LUNARENA_TYPE".as_ptr(), msg.as_ptr().cast()) };
    Thrown
}

pub fn throw_range_error(env: Env, message: &str) -> Thrown {
    let msg = format!("{message}\0");
    unsafe { sys::napi_throw_range_error(env, c"LUNARENA_RANGE".as_ptr(), msg.as_ptr().cast()) };
    Thrown
}

/// A weak reference (count 0): does not keep its target alive.
pub struct WeakRef {
    env: Env,
    raw: sys::napi_ref,
}

impl WeakRef {
    pub fn new(env: Env, v: JsVal) -> Js<WeakRef> {
        let mut raw = ptr::null_mut();
        check(env, unsafe {
            sys::napi_create_reference(env, v, 0, &mut raw)
        })?;
        Ok(WeakRef { env, raw })
    }

    /// The target, or `None` when it was collected.
    pub fn get(&self) -> Js<Option<JsVal>> {
        let mut v = ptr::null_mut();
        check(self.env, unsafe {
            sys::napi_get_reference_value(self.env, self.raw, &mut v)
        })?;
        Ok(if v.is_null() { None } else { Some(v) })
    }
}

impl Drop for WeakRef {
    fn drop(&mut self) {
        unsafe { sys::napi_delete_reference(self.env, self.raw) };
    }
}

/// A handle scope: napi values made while it is open are released when it
/// closes (used around each call from Lua into JS, so that a long Lua loop
/// does not pile up handles in the caller's scope).
pub struct HandleScope {
    env: Env,
    raw: sys::napi_handle_scope,
}

impl HandleScope {
    pub fn open(env: Env) -> HandleScope {
        let mut raw = ptr::null_mut();
        unsafe { sys::napi_open_handle_scope(env, &mut raw) };
        HandleScope { env, raw }
    }
}

impl Drop for HandleScope {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            unsafe { sys::napi_close_handle_scope(self.env, self.raw) };
        }
    }
}

/// Arguments kept inline by [`cb_info`] and [`ArgBuf`]; more spill to the heap.
const INLINE_ARGS: usize = 8;

/// Arguments for a call into JS, without an allocation for up to 8.
pub struct ArgBuf {
    inline: [JsVal; INLINE_ARGS],
    len: usize,
    spilled: Vec<JsVal>,
}

impl ArgBuf {
    pub fn new() -> ArgBuf {
        ArgBuf {
            inline: [ptr::null_mut(); INLINE_ARGS],
            len: 0,
            spilled: Vec::new(),
        }
    }

    pub fn push(&mut self, v: JsVal) {
        if self.len < INLINE_ARGS {
            self.inline[self.len] = v;
        } else {
            if self.spilled.is_empty() {
                self.spilled.extend_from_slice(&self.inline);
            }
            self.spilled.push(v);
        }
        self.len += 1;
    }

    pub fn as_slice(&self) -> &[JsVal] {
        if self.len <= INLINE_ARGS {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

/// The arguments of a native callback (no allocation for up to 8), and
/// the data pointer its function was made with.
pub struct CbInfo {
    inline: [JsVal; INLINE_ARGS],
    len: usize,
    spilled: Vec<JsVal>,
    pub data: *mut c_void,
}

impl CbInfo {
    pub fn args(&self) -> &[JsVal] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

pub fn cb_info(env: Env, info: sys::napi_callback_info) -> Js<CbInfo> {
    cb_info_expecting(env, info, INLINE_ARGS)
}

/// [`cb_info`] for a function usually called with at most `usual` (at most
/// 8) arguments: Node-API fills every slot asked for that the call did not
/// pass, so asking for fewer is cheaper.
fn cb_info_expecting(env: Env, info: sys::napi_callback_info, usual: usize) -> Js<CbInfo> {
    let mut ci = CbInfo {
        inline: [ptr::null_mut(); INLINE_ARGS],
        len: usual.min(INLINE_ARGS),
        spilled: Vec::new(),
        data: ptr::null_mut(),
    };
    check(env, unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut ci.len,
            ci.inline.as_mut_ptr(),
            ptr::null_mut(),
            &mut ci.data,
        )
    })?;
    if ci.len <= usual.min(INLINE_ARGS) {
        return Ok(ci);
    }
    let mut n = ci.len;
    ci.spilled = vec![ptr::null_mut(); n];
    check(env, unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut n,
            ci.spilled.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    })?;
    ci.spilled.truncate(n.min(ci.len));
    Ok(ci)
}

/// The first `N` arguments of a native callback in an array on the stack,
/// how many were passed (more than `N` when some did not fit) and the data
/// pointer: for hot callbacks with a fixed shape.
#[inline]
pub fn cb_args<const N: usize>(
    env: Env,
    info: sys::napi_callback_info,
) -> Js<([JsVal; N], usize, *mut c_void)> {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    let mut data = ptr::null_mut();
    check(env, unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        )
    })?;
    Ok((argv, argc, data))
}

/// Makes a JS function from a raw callback.
pub fn function(env: Env, name: &str, cb: sys::napi_callback) -> Js<JsVal> {
    function_with_data(env, name, cb, ptr::null_mut())
}

/// Makes a JS function from a raw callback that receives `data` (in
/// [`CbInfo::data`]).
pub fn function_with_data(
    env: Env,
    name: &str,
    cb: sys::napi_callback,
    data: *mut c_void,
) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_function(
            env,
            name.as_ptr().cast(),
            name.len() as isize,
            cb,
            data,
            &mut v,
        )
    })?;
    Ok(v)
}

/// Defines `obj[name] = v` as a property that can be neither changed nor
/// deleted; `name` must end with a NUL byte.
pub fn define_fixed(env: Env, obj: JsVal, name: &str, v: JsVal) -> Js<()> {
    debug_assert!(name.ends_with('\0'));
    let prop = sys::napi_property_descriptor {
        utf8name: name.as_ptr().cast(),
        name: ptr::null_mut(),
        method: None,
        getter: None,
        setter: None,
        value: v,
        attributes: sys::PropertyAttributes::default,
        data: ptr::null_mut(),
    };
    check(env, unsafe {
        sys::napi_define_properties(env, obj, 1, &prop)
    })
}

pub fn external(env: Env, data: *mut c_void, finalize: sys::napi_finalize) -> Js<JsVal> {
    let mut v = ptr::null_mut();
    check(env, unsafe {
        sys::napi_create_external(env, data, finalize, ptr::null_mut(), &mut v)
    })?;
    Ok(v)
}

pub fn adjust_external_memory(env: Env, delta: i64) {
    let mut total = 0i64;
    unsafe { sys::napi_adjust_external_memory(env, delta, &mut total) };
}
