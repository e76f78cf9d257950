//! Values across the boundary (DESIGN.md §3): JS <-> Lua conversion, in one
//! place. The rules are in the README's conversion table.

use std::collections::HashMap;

use gc_arena::Mutation;
use lunarena_vm::error::RtError;
use lunarena_vm::function::{NativeFunction, NativeKind};
use lunarena_vm::state::{Global, GlobalRef};
use lunarena_vm::table::Table;
use lunarena_vm::userdata::UserData;
use lunarena_vm::value::Function;
use lunarena_vm::{Lua, Value};

use crate::binding::{
    self, Vm, CODE_ERROR, H, KIND_FUNCTION, KIND_TABLE, KIND_THREAD, KIND_USERDATA,
};
use crate::callback;
use crate::exports::{ExportId, GLOBALS_ID};
use crate::raw::{self, Env, Js, JsVal, Kind, Thrown};

/// Largest integer a JS number holds exactly.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Properties beyond which `toObject()` sets an object's properties in
/// one call to JS.
const BULK_PROPERTIES: usize = 16;

/// Nesting allowed in deep copies (`lua.table()`, `toObject()`).
const MAX_COPY_DEPTH: usize = 200;

/// A conversion context: a VM and a place in its arena.
pub struct Cv<'gc, 'v> {
    pub vm: &'v Vm,
    pub env: Env,
    pub mc: &'gc Mutation<'gc>,
    pub g: GlobalRef<'gc>,
}

impl<'gc, 'v> Cv<'gc, 'v> {
    pub fn new(vm: &'v Vm, mc: &'gc Mutation<'gc>, g: GlobalRef<'gc>) -> Self {
        Cv {
            vm,
            env: vm.env,
            mc,
            g,
        }
    }

    // ---------------------------------------------------------------- Lua -> JS

    #[inline]
    pub fn to_js(&self, v: Value<'gc>) -> Js<JsVal> {
        // Small integers (the commonest result) inlined into callers, the
        // other kinds kept out of line.
        match v {
            Value::Integer(i) if i32::try_from(i).is_ok() => raw::int32(self.env, i as i32),
            _ => self.other_to_js(v),
        }
    }

    #[inline(never)]
    fn other_to_js(&self, v: Value<'gc>) -> Js<JsVal> {
        let env = self.env;
        match v {
            Value::Nil => Ok(raw::undefined(env)),
            Value::Boolean(b) => raw::boolean(env, b),
            Value::Integer(i) if i32::try_from(i).is_ok() => raw::int32(env, i as i32),
            Value::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => {
                raw::number(env, i as f64)
            }
            Value::Integer(i) => raw::bigint(env, i),
            Value::Number(n) => raw::number(env, n),
            Value::String(s) => bytes_to_js(env, s.as_bytes()),
            Value::UserData(ud) => match self.host_slot_of_ud(ud) {
                Some(slot) => self.import_value(slot),
                None => self.export(v, KIND_USERDATA),
            },
            // A handle too: its identity is its address.
            Value::LightUserData(_) => self.export(v, KIND_USERDATA),
            Value::Function(f) => {
                if let Some(slot) = self.host_slot_of_fn(f) {
                    return self.import_value(slot);
                }
                self.export(v, KIND_FUNCTION)
            }
            Value::Table(_) => self.export(v, KIND_TABLE),
            Value::Thread(_) => self.export(v, KIND_THREAD),
        }
    }

    /// The import slot of a proxy userdata of this VM.
    pub fn host_slot_of_ud(&self, ud: UserData<'gc>) -> Option<u32> {
        // Every host userdata of this VM is a proxy made by the binding.
        ud.host_id().map(binding::slot_of_host)
    }

    /// The import slot of a JS function's closure (or of a bound method).
    pub fn host_slot_of_fn(&self, f: Function<'gc>) -> Option<u32> {
        let Function::Native(nf) = f else { return None };
        if !callback::is_js_trampoline(nf) {
            return None;
        }
        match nf.upvalues.first().map(|u| u.get()) {
            Some(Value::UserData(ud)) => self.host_slot_of_ud(ud),
            _ => None,
        }
    }

    /// The JS object at an import slot.
    #[inline]
    pub fn import_value(&self, slot: u32) -> Js<JsVal> {
        let cached = match self.vm.st.borrow().import_refs.get(slot as usize) {
            Some(Some(r)) => r.get()?,
            _ => None,
        };
        if let Some(v) = cached {
            return Ok(v);
        }
        let arr = self.vm.helpers.get(self.env, H::Imports)?;
        raw::get_element(self.env, arr, slot)
    }

    /// The id of an export (rooting the value if it is new).
    pub fn export_id(&self, v: Value<'gc>) -> Js<ExportId> {
        if let Value::Table(t) = v {
            if t.ptr_eq(self.g.globals) {
                return Ok(GLOBALS_ID);
            }
        }
        let addr = v.addr().unwrap_or(0);
        let mut st = self.vm.st.borrow_mut();
        if let Some(id) = st.exports.find(addr) {
            return Ok(id);
        }
        st.exports
            .insert(addr, Lua::stash(self.mc, self.g, v))
            .ok_or_else(|| {
                raw::throw_coded(
                    self.env,
                    CODE_ERROR,
                    "too many live Lua handles (16,777,216): drop some before making more",
                    &[],
                )
            })
    }

    /// The JS handle of a Lua object.
    pub fn export(&self, v: Value<'gc>, kind: u32) -> Js<JsVal> {
        let id = self.export_id(v)?;
        let env = self.env;
        let f = self.vm.helpers.get(env, H::Handle)?;
        let k = raw::number(env, kind as f64)?;
        let i = raw::number(env, id as f64)?;
        raw::call(env, raw::undefined(env), f, &[k, i])
    }

    /// The Lua value of an export id.
    pub fn exported(&self, id: ExportId) -> Js<Value<'gc>> {
        self.exported_or(id, "this Lua handle was released")
    }

    /// The Lua value of an export id, or a `LuaClosedError` with `released`
    /// (its message) when the id was dropped.
    #[inline]
    pub fn exported_or(&self, id: ExportId, released: &str) -> Js<Value<'gc>> {
        if id == GLOBALS_ID {
            return Ok(Value::Table(self.g.globals));
        }
        let st = self.vm.st.borrow();
        match st.exports.get(id) {
            Some(root) => Ok(Lua::fetch(self.g, root)),
            None => Err(raw::throw_coded(
                self.env,
                binding::CODE_CLOSED,
                released,
                &[],
            )),
        }
    }

    pub fn table_of(&self, id: ExportId) -> Js<Table<'gc>> {
        match self.exported(id)? {
            Value::Table(t) => Ok(t),
            other => Err(raw::throw_type_error(
                self.env,
                &format!("expected a Lua table, got a {}", other.type_name()),
            )),
        }
    }

    /// Results as JS: the first (or undefined), or all as an array.
    pub fn results(&self, vals: &[Value<'gc>], multi: bool) -> Js<JsVal> {
        if !multi {
            return match vals.first() {
                Some(v) => self.to_js(*v),
                None => Ok(raw::undefined(self.env)),
            };
        }
        let arr = raw::array(self.env, vals.len())?;
        for (i, v) in vals.iter().enumerate() {
            raw::set_element(self.env, arr, i as u32, self.to_js(*v)?)?;
        }
        Ok(arr)
    }

    // ---------------------------------------------------------------- JS -> Lua

    #[inline]
    pub fn to_lua(&self, v: JsVal) -> Js<Value<'gc>> {
        // Numbers first: the commonest argument, one Node-API call (inlined
        // into callers, the other kinds kept out of line).
        match raw::try_number(self.env, v) {
            Some(n) => Ok(number_to_lua(n)),
            None => self.non_number_to_lua(v),
        }
    }

    #[inline(never)]
    fn non_number_to_lua(&self, v: JsVal) -> Js<Value<'gc>> {
        let env = self.env;
        match raw::kind(env, v)? {
            Kind::Undefined | Kind::Null => Ok(Value::Nil),
            Kind::Boolean => Ok(Value::Boolean(raw::get_bool(env, v)?)),
            Kind::Number => Ok(number_to_lua(raw::get_number(env, v)?)),
            Kind::String => {
                let mut buf = Vec::new();
                raw::get_string_into(env, v, &mut buf)?;
                Ok(self.str(&buf))
            }
            Kind::BigInt => {
                let (n, lossless) = raw::get_bigint(env, v)?;
                if !lossless {
                    return Err(raw::throw_range_error(
                        env,
                        "BigInt out of range for a Lua integer (64-bit signed)",
                    ));
                }
                Ok(Value::Integer(n))
            }
            Kind::Symbol => Err(raw::throw_type_error(
                env,
                "a Symbol cannot be passed to Lua",
            )),
            Kind::External => Err(raw::throw_type_error(
                env,
                "an external value cannot be passed to Lua",
            )),
            Kind::Object => {
                if let Some(bytes) = raw::get_bytes(env, v)? {
                    return Ok(self.str(bytes));
                }
                self.import(v, false)
            }
            Kind::Function => self.import(v, true),
        }
    }

    pub fn str(&self, bytes: &[u8]) -> Value<'gc> {
        Value::String(Global::intern(self.g, self.mc, bytes))
    }

    /// A JS object or function into Lua: a handle of this VM gives its Lua
    /// object; anything else a proxy (the same one while it lives).
    pub fn import(&self, v: JsVal, is_fn: bool) -> Js<Value<'gc>> {
        let env = self.env;
        let classify = self.vm.helpers.get(env, H::Classify)?;
        let n = raw::get_number(env, raw::call(env, raw::undefined(env), classify, &[v])?)?;
        if n < 0.0 {
            return self.exported((-n - 1.0) as ExportId);
        }
        let slot = n as u32;
        callback::proxy_for_slot(self, slot, v, is_fn)
    }

    // ---------------------------------------------------------------- deep copies

    /// `lua.table(init)`: plain JS data copied into new Lua tables (arrays
    /// and plain objects are copied, cycles kept; anything else converts
    /// as usual).
    pub fn copy_in(&self, v: JsVal) -> Js<Value<'gc>> {
        let plain_kind = self.vm.helpers.get(self.env, H::PlainKind)?;
        let mut ancestors = Vec::new();
        self.copy_in_rec(v, plain_kind, &mut ancestors)
    }

    fn copy_in_rec(
        &self,
        v: JsVal,
        plain_kind: JsVal,
        ancestors: &mut Vec<(JsVal, Table<'gc>)>,
    ) -> Js<Value<'gc>> {
        let env = self.env;
        if raw::kind(env, v)? != Kind::Object || raw::get_bytes(env, v)?.is_some() {
            return self.to_lua(v);
        }
        for (obj, t) in ancestors.iter() {
            if raw::strict_equals(env, *obj, v)? {
                return Ok(Value::Table(*t));
            }
        }
        // 0: not plain data, 1: array, 2: plain object, 3: Map (any realm),
        // or the numbers of an array of numbers as a Float64Array (copied
        // in bulk: one call instead of a Node-API read per element).
        let pk = raw::call(env, raw::undefined(env), plain_kind, &[v])?;
        if let Some(nums) = raw::get_f64s(env, pk)? {
            let t = Table::with_capacity(self.mc, nums.len(), 0);
            let vals: Vec<Value<'gc>> = nums.iter().map(|n| number_to_lua(*n)).collect();
            t.borrow_mut(self.mc).set_list(0, &vals);
            return Ok(Value::Table(t));
        }
        let pk = raw::get_number(env, pk)?;
        if pk == 0.0 {
            return self.to_lua(v);
        }
        if ancestors.len() >= MAX_COPY_DEPTH {
            return Err(raw::throw_range_error(
                env,
                "lua.table(): the value is nested too deeply",
            ));
        }
        let (is_array, is_map) = (pk == 1.0, pk == 3.0);
        let t = Table::new(self.mc);
        ancestors.push((v, t));
        let r = (|| -> Js<()> {
            if is_array {
                let n = raw::array_len(env, v)?;
                for i in 0..n {
                    let e = raw::get_element(env, v, i)?;
                    let lv = self.copy_in_rec(e, plain_kind, ancestors)?;
                    let _ = t.set(self.mc, Value::Integer(i as i64 + 1), lv);
                }
            } else if is_map {
                let pairs = self.vm.helpers.get(env, H::Pairs)?;
                let flat = raw::call(env, raw::undefined(env), pairs, &[v])?;
                let n = raw::array_len(env, flat)?;
                let mut i = 0;
                while i + 1 < n {
                    let k = self.to_lua(raw::get_element(env, flat, i)?)?;
                    let e = raw::get_element(env, flat, i + 1)?;
                    let lv = self.copy_in_rec(e, plain_kind, ancestors)?;
                    let _ = t.set(self.mc, k, lv);
                    i += 2;
                }
            } else {
                // Names and values in one call: reading properties one by
                // one through Node-API costs several times more.
                let f = self.vm.helpers.get(env, H::PlainEntries)?;
                let entries =
                    PlainEntries::read(env, raw::call(env, raw::undefined(env), f, &[v])?)?;
                for (i, name) in entries.names().enumerate() {
                    let lv = match entries.value(env, i)? {
                        Ok(n) => number_to_lua(n),
                        Err(e) => self.copy_in_rec(e, plain_kind, ancestors)?,
                    };
                    let _ = t.set(self.mc, self.str(name), lv);
                }
            }
            Ok(())
        })();
        ancestors.pop();
        r.map(|_| Value::Table(t))
    }

    /// `toObject()` / `toArray()`: a Lua table copied into plain JS data.
    /// A table whose keys are exactly 1..n (n > 0) becomes an array (always,
    /// with `as_array`: the values 1..#t); one whose keys are all strings
    /// and numbers an object whose property names are the keys as strings;
    /// any other a Map. Cycles and shared tables map to the same JS object.
    pub fn copy_out(&self, t: Table<'gc>, as_array: bool) -> Js<JsVal> {
        let mut seen = HashMap::new();
        self.copy_out_rec(t, as_array, &mut seen, 0)
    }

    fn copy_out_rec(
        &self,
        t: Table<'gc>,
        as_array: bool,
        seen: &mut HashMap<usize, JsVal>,
        depth: usize,
    ) -> Js<JsVal> {
        let env = self.env;
        let addr = Value::Table(t).addr().unwrap_or(0);
        if let Some(v) = seen.get(&addr) {
            return Ok(*v);
        }
        if depth >= MAX_COPY_DEPTH {
            return Err(raw::throw_range_error(
                env,
                "toObject(): the table is nested too deeply",
            ));
        }
        let entries: Vec<(Value<'gc>, Value<'gc>)> = t.borrow().iter().collect();
        let len = t.length();
        let sequence = as_array
            || (len > 0
                && entries.len() as i64 == len
                && entries
                    .iter()
                    .all(|(k, _)| matches!(k, Value::Integer(i) if *i >= 1 && *i <= len)));
        let value = |v: Value<'gc>, seen: &mut HashMap<usize, JsVal>| -> Js<JsVal> {
            match v {
                Value::Table(inner) => self.copy_out_rec(inner, false, seen, depth + 1),
                other => self.to_js(other),
            }
        };
        if sequence {
            let n = len.max(0) as usize;
            if let Some(nums) = numbers_of(t, n) {
                // In bulk: a Float64Array made here becomes an array in JS.
                let f = self.vm.helpers.get(env, H::ArrayFrom)?;
                let ta = raw::f64_array(env, &nums)?;
                let arr = raw::call(env, raw::undefined(env), f, &[ta])?;
                seen.insert(addr, arr);
                return Ok(arr);
            }
            let arr = raw::array(env, n)?;
            seen.insert(addr, arr);
            for i in 0..n {
                let v = t.get(Value::Integer(i as i64 + 1));
                let jv = value(v, seen)?;
                raw::set_element(env, arr, i as u32, jv)?;
            }
            return Ok(arr);
        }
        let string_keys = entries
            .iter()
            .all(|(k, _)| matches!(k, Value::String(_) | Value::Integer(_) | Value::Number(_)));
        if !string_keys {
            // Keys a property name cannot stand for (booleans, tables,
            // functions, ...): a Map, keys copied like values.
            let new_map = self.vm.helpers.get(env, H::NewMap)?;
            let map = raw::call(env, raw::undefined(env), new_map, &[])?;
            seen.insert(addr, map);
            let set = raw::get_named(env, map, "set\0")?;
            for (k, v) in entries {
                let jk = value(k, seen)?;
                let jv = value(v, seen)?;
                raw::call(env, map, set, &[jk, jv])?;
            }
            return Ok(map);
        }
        let obj = raw::object(env)?;
        seen.insert(addr, obj);
        if entries.len() > BULK_PROPERTIES {
            if let Some(keys) = BulkKeys::of(&entries) {
                // Set from JS (one call): a property set through Node-API
                // costs several times what it costs in JS code.
                let nums: Option<Vec<f64>> = entries.iter().map(|(_, v)| js_number(*v)).collect();
                let values = match nums {
                    Some(nums) => raw::f64_array(env, &nums)?,
                    None => {
                        let arr = raw::array(env, entries.len())?;
                        for (i, (_, v)) in entries.iter().enumerate() {
                            raw::set_element(env, arr, i as u32, value(*v, seen)?)?;
                        }
                        arr
                    }
                };
                let text = if keys.text.is_ascii() {
                    raw::ascii_string(env, keys.text.as_bytes())?
                } else {
                    raw::string(env, &keys.text)?
                };
                let ends = raw::f64_array(env, &keys.ends)?;
                let f = self.vm.helpers.get(env, H::SetEntries)?;
                raw::call(env, raw::undefined(env), f, &[obj, text, ends, values])?;
                return Ok(obj);
            }
        }
        for (k, v) in entries {
            let key = match k {
                Value::String(s) => bytes_to_js(env, s.as_bytes())?,
                _ => {
                    let mut out = Vec::new();
                    lunarena_vm::vm::meta::number_to_bytes(k, &mut out);
                    raw::ascii_string(env, &out)?
                }
            };
            let jv = value(v, seen)?;
            raw::set_property(env, obj, key, jv)?;
        }
        Ok(obj)
    }
}

/// A plain object's properties as index.js's `plainEntries` gives them:
/// `[names joined, where each ends, values]`, the values a Float64Array
/// when they all are numbers.
pub struct PlainEntries {
    text: Vec<u8>,
    ends: Vec<f64>,
    values: JsVal,
    nums: Option<Vec<f64>>,
}

impl PlainEntries {
    pub fn read(env: Env, bulk: JsVal) -> Js<PlainEntries> {
        let mut text = Vec::new();
        raw::get_string_into(env, raw::get_element(env, bulk, 0)?, &mut text)?;
        let ends = raw::get_f64s(env, raw::get_element(env, bulk, 1)?)?
            .unwrap_or(&[])
            .to_vec();
        let values = raw::get_element(env, bulk, 2)?;
        let nums = raw::get_f64s(env, values)?.map(<[f64]>::to_vec);
        Ok(PlainEntries {
            text,
            ends,
            values,
            nums,
        })
    }

    /// The names (UTF-8), in order.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        cut_names(&self.text, &self.ends)
    }

    /// Value `i`: a number, or the JS value when they are not all numbers.
    pub fn value(&self, env: Env, i: usize) -> Js<Result<f64, JsVal>> {
        match &self.nums {
            Some(nums) => Ok(Ok(nums[i])),
            None => Ok(Err(raw::get_element(env, self.values, i as u32)?)),
        }
    }
}

/// Property names joined in `text` (UTF-8), cut where they end (`ends`:
/// offsets in UTF-16 units, as JS counts them).
fn cut_names<'a>(text: &'a [u8], ends: &'a [f64]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let ascii = text.is_ascii();
    let (mut byte, mut units) = (0usize, 0usize);
    ends.iter().map(move |&end| {
        let (start, end) = (byte, end as usize);
        if ascii {
            byte = end.min(text.len());
        } else {
            // Whole UTF-8 sequences until the name's UTF-16 length is reached.
            while units < end && byte < text.len() {
                let b = text[byte];
                let (len, n16) = match b {
                    0..=0x7f => (1, 1),
                    0xc0..=0xdf => (2, 1),
                    0xe0..=0xef => (3, 1),
                    _ => (4, 2),
                };
                byte = (byte + len).min(text.len());
                units += n16;
            }
        }
        &text[start.min(byte)..byte]
    })
}

/// The property names of a big object copied out of Lua, as one string
/// and where each name ends in it (in UTF-16 units, as JS counts).
struct BulkKeys {
    text: String,
    ends: Vec<f64>,
}

impl BulkKeys {
    /// None when a key is not valid UTF-8 (such keys go one by one).
    fn of(entries: &[(Value<'_>, Value<'_>)]) -> Option<BulkKeys> {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(entries.len());
        let mut units = 0usize;
        let mut num = Vec::new();
        for (k, _) in entries {
            let name = match k {
                Value::String(s) => std::str::from_utf8(s.as_bytes()).ok()?,
                _ => {
                    num.clear();
                    lunarena_vm::vm::meta::number_to_bytes(*k, &mut num);
                    std::str::from_utf8(&num).ok()?
                }
            };
            units += if name.is_ascii() {
                name.len()
            } else {
                name.encode_utf16().count()
            };
            text.push_str(name);
            ends.push(units as f64);
        }
        Some(BulkKeys { text, ends })
    }
}

/// A Lua value as the JS number it converts to, when it converts to one.
fn js_number(v: Value<'_>) -> Option<f64> {
    match v {
        Value::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => Some(i as f64),
        Value::Number(n) => Some(n),
        _ => None,
    }
}

/// `t[1..n]` as numbers, when they all are and convert to JS numbers
/// (integers beyond 2^53 become BigInts).
fn numbers_of(t: Table<'_>, n: usize) -> Option<Vec<f64>> {
    let t = t.borrow();
    let mut out = Vec::with_capacity(n);
    for i in 1..=n as i64 {
        match t.get_int(i) {
            Value::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => {
                out.push(i as f64)
            }
            Value::Number(x) => out.push(x),
            _ => return None,
        }
    }
    Some(out)
}

/// A JS number into Lua: safe integers become integers, others floats.
#[inline]
pub fn number_to_lua<'gc>(n: f64) -> Value<'gc> {
    // The casts saturate (NaN gives 0): only an integral `n` survives the
    // round trip, and -0 becomes 0. Small integers (the commonest) first.
    let small = n as i32;
    if small as f64 == n {
        return Value::Integer(small as i64);
    }
    let i = n as i64;
    if i as f64 == n && (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) {
        Value::Integer(i)
    } else {
        Value::Number(n)
    }
}

/// Lua string bytes into JS: valid UTF-8 gives a string, other bytes a Buffer.
pub fn bytes_to_js(env: Env, bytes: &[u8]) -> Js<JsVal> {
    if bytes.is_ascii() {
        return raw::ascii_string(env, bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => raw::string(env, s),
        Err(_) => raw::buffer_copy(env, bytes),
    }
}

/// Throws the JS error for a Lua runtime error: the original JS value when
/// the error value is a proxy (a JS exception that crossed Lua), else a
/// `LUA_ERROR` with the converted value.
pub fn throw_runtime<'gc>(
    vm: &Vm,
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    value: Value<'gc>,
    message: &str,
    traceback: &str,
) -> Thrown {
    let cv = Cv::new(vm, mc, g);
    let env = vm.env;
    let is_host = match value {
        Value::UserData(ud) => cv.host_slot_of_ud(ud).is_some(),
        Value::Function(f) => cv.host_slot_of_fn(f).is_some(),
        _ => false,
    };
    if is_host {
        return match cv.to_js(value) {
            Ok(js) => raw::throw(env, js),
            Err(t) => t,
        };
    }
    let props = (|| -> Js<Vec<(&'static str, JsVal)>> {
        let v = cv.to_js(value)?;
        Ok(vec![
            ("value", v),
            ("luaStack", raw::string(env, traceback)?),
        ])
    })();
    match props {
        Ok(p) => raw::throw_coded(env, CODE_ERROR, message, &p),
        Err(t) => t,
    }
}

/// Throws the JS error for an error of a nested call (`Ctx::call`).
pub fn throw_rt_error<'gc>(
    vm: &Vm,
    mc: &'gc Mutation<'gc>,
    g: GlobalRef<'gc>,
    err: RtError<'gc>,
) -> Thrown {
    match err {
        RtError::Limit(k) => binding::throw_limit(vm.env, k.name(), k.message()),
        RtError::Value(v) => {
            let message = match v {
                Value::String(s) => s.to_str_lossy().into_owned(),
                Value::Nil => "nil".to_string(),
                other => format!("(error object is a {} value)", other.type_name()),
            };
            throw_runtime(vm, mc, g, v, &message, "")
        }
        RtError::Message(m) | RtError::BadArg { msg: m, .. } => {
            let s = Global::intern(g, mc, m.as_bytes());
            throw_runtime(vm, mc, g, Value::String(s), &m, "")
        }
    }
}

/// Whether a native function is `NativeKind::Plain(f)`.
pub fn native_is(
    nf: gc_arena::Gc<'_, NativeFunction<'_>>,
    f: lunarena_vm::function::NativeFn,
) -> bool {
    match nf.kind.0 {
        NativeKind::Plain(p) => std::ptr::fn_addr_eq(p, f),
        NativeKind::Special(_) => false,
    }
}
