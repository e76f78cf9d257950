//! Operations that may involve metamethods: indexing, arithmetic fallbacks,
//! comparison, length, concatenation, `tostring`. Metamethods that are
//! functions are called through nested calls.

use gc_arena::{Gc, Mutation};

use crate::error::{RtError, RtResult};
use crate::state::{Global, GlobalRef, Tm};
use crate::string::LuaString;
use crate::table::Table;
use crate::thread::{Thread, ThreadState};
use crate::value::Value;
use crate::vm::arith::{self, ArithError, ArithOp};
use crate::vm::convert;

/// Lookups along `__index`/`__newindex` chains before giving up.
const MAX_TAG_LOOP: usize = 2000;

/// Everything an operation with metamethods needs.
pub struct MetaCx<'gc, 'a> {
    pub mc: &'gc Mutation<'gc>,
    pub g: GlobalRef<'gc>,
    pub th: Thread<'gc>,
    pub ts: &'a mut ThreadState<'gc>,
}

#[inline]
pub fn metatable<'gc>(g: GlobalRef<'gc>, v: Value<'gc>) -> Option<Table<'gc>> {
    match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        Value::String(_) => g.string_meta.get(),
        _ => basic_type_index(v).and_then(|i| g.type_metas[i].get()),
    }
}

/// Where `Global::type_metas` keeps the metatable of a basic type.
#[inline]
pub fn basic_type_index(v: Value<'_>) -> Option<usize> {
    match v {
        Value::Nil => Some(0),
        Value::Boolean(_) => Some(1),
        Value::Integer(_) | Value::Number(_) => Some(2),
        Value::Function(_) => Some(3),
        Value::Thread(_) => Some(4),
        Value::LightUserData(_) => Some(5),
        _ => None,
    }
}

/// Sets the metatable shared by all values of `v`'s type (`debug.setmetatable`
/// on a value that is not a table or a full userdata).
pub fn set_type_metatable<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    v: Value<'gc>,
    mt: Option<Table<'gc>>,
) {
    if let Value::String(_) = v {
        Global::set_string_meta(g, mc, mt);
    } else if let Some(i) = basic_type_index(v) {
        let w = gc_arena::Gc::write(mc, g);
        gc_arena::barrier::field!(w, Global, type_metas).as_deref()[i]
            .unlock()
            .set(mt);
    }
}

/// The metamethod `tm` of a value, or nil.
#[inline]
pub fn get_tm<'gc>(g: GlobalRef<'gc>, v: Value<'gc>, tm: Tm) -> Value<'gc> {
    match metatable(g, v) {
        Some(m) => m.borrow().get_tm(tm as usize, g.tm_name(tm)),
        None => Value::Nil,
    }
}

/// The type name for messages: `__name` from the metatable if it is a string.
pub fn type_name_meta<'gc>(g: GlobalRef<'gc>, v: Value<'gc>) -> String {
    if let Value::String(s) = get_tm(g, v, Tm::Name) {
        return String::from_utf8_lossy(crate::text::c_str(s.as_bytes())).into_owned();
    }
    v.type_name().to_string()
}

/// Appends the string form of a number.
pub fn number_to_bytes(v: Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Integer(i) => convert::fmt_int(i, out),
        Value::Number(f) => convert::fmt_float(f, out),
        _ => {}
    }
}

/// "attempt to index" a value that has no `__index`/`__newindex`; only the
/// value first indexed is named (one reached through a chain of
/// metamethods is in no register).
fn index_error<'gc>(
    cx: &MetaCx<'gc, '_>,
    obj: Value<'gc>,
    round: usize,
    describe: &dyn Fn(&ThreadState<'gc>) -> String,
) -> RtError<'gc> {
    let name = if round == 0 {
        describe(cx.ts)
    } else {
        String::new()
    };
    RtError::msg(format!(
        "attempt to index a {} value{name}",
        type_name_meta(cx.g, obj)
    ))
}

impl<'gc> MetaCx<'gc, '_> {
    /// Calls a metamethod (above the live registers of the running
    /// function); its first result.
    pub(crate) fn call1(
        &mut self,
        f: Value<'gc>,
        args: &[Value<'gc>],
    ) -> RtResult<'gc, Value<'gc>> {
        crate::vm::level::call_nested1(self.mc, self.g, self.th, self.ts, f, args)
    }

    /// `obj[key]` with `__index`.
    pub fn index(
        &mut self,
        obj: Value<'gc>,
        key: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>) -> String,
    ) -> RtResult<'gc, Value<'gc>> {
        self.index_inline(obj, key, describe)
    }

    /// `index` inlined, for the interpreter's indexing step.
    #[inline(always)]
    pub(crate) fn index_inline(
        &mut self,
        mut obj: Value<'gc>,
        key: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>) -> String,
    ) -> RtResult<'gc, Value<'gc>> {
        for round in 0..MAX_TAG_LOOP {
            let tm = match obj {
                Value::Table(t) => {
                    let v = t.get(key);
                    if !v.is_nil() {
                        return Ok(v);
                    }
                    match t.metatable() {
                        None => return Ok(Value::Nil),
                        Some(m) => {
                            let tm = m
                                .borrow()
                                .get_tm(Tm::Index as usize, self.g.tm_name(Tm::Index));
                            if tm.is_nil() {
                                return Ok(Value::Nil);
                            }
                            tm
                        }
                    }
                }
                _ => {
                    // `get_tm` inlined: indexing userdata (host objects)
                    // reaches their metamethod at every access.
                    let tm = match metatable(self.g, obj) {
                        Some(m) => m
                            .borrow()
                            .get_tm(Tm::Index as usize, self.g.tm_name(Tm::Index)),
                        None => Value::Nil,
                    };
                    if tm.is_nil() {
                        return Err(index_error(self, obj, round, describe));
                    }
                    tm
                }
            };
            if let Value::Function(_) = tm {
                if let Some(v) = host_fast_index(self.g, tm, obj, key) {
                    return Ok(v);
                }
                return self.call1(tm, &[obj, key]);
            }
            obj = tm;
        }
        Err(RtError::msg("'__index' chain too long; possible loop"))
    }

    /// `obj[key] = value` with `__newindex`.
    pub fn set_index(
        &mut self,
        mut obj: Value<'gc>,
        key: Value<'gc>,
        value: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>) -> String,
    ) -> RtResult<'gc, ()> {
        for round in 0..MAX_TAG_LOOP {
            let tm = match obj {
                Value::Table(t) => {
                    let meta = t.metatable();
                    let tm = match meta {
                        None => Value::Nil,
                        Some(m) => {
                            if t.get(key).is_nil() {
                                m.borrow()
                                    .get_tm(Tm::NewIndex as usize, self.g.tm_name(Tm::NewIndex))
                            } else {
                                Value::Nil
                            }
                        }
                    };
                    if tm.is_nil() {
                        return t
                            .set(self.mc, key, value)
                            .map_err(|e| RtError::msg(e.message()));
                    }
                    tm
                }
                _ => {
                    let tm = get_tm(self.g, obj, Tm::NewIndex);
                    if tm.is_nil() {
                        return Err(index_error(self, obj, round, describe));
                    }
                    tm
                }
            };
            if let Value::Function(_) = tm {
                self.call1(tm, &[obj, key, value])?;
                return Ok(());
            }
            obj = tm;
        }
        Err(RtError::msg("'__newindex' chain too long; possible loop"))
    }

    /// Arithmetic with metamethod fallback. `describe(i)` names operand i (0 or 1).
    pub fn arith(
        &mut self,
        op: ArithOp,
        a: Value<'gc>,
        b: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>, usize) -> String,
    ) -> RtResult<'gc, Value<'gc>> {
        match self.arith_or_tm(op, a, b, describe)? {
            Ok(v) => Ok(v),
            Err(f) => self.call1(f, &[a, b]),
        }
    }

    /// Arithmetic, or (as `Err`) the metamethod to call with `a` and `b`
    /// for it.
    pub fn arith_or_tm(
        &mut self,
        op: ArithOp,
        a: Value<'gc>,
        b: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>, usize) -> String,
    ) -> RtResult<'gc, Result<Value<'gc>, Value<'gc>>> {
        match arith::arith(op, a, b) {
            Ok(v) => Ok(Ok(v)),
            Err(ArithError::DivByZero) => Err(RtError::msg("attempt to divide by zero")),
            Err(ArithError::ModByZero) => Err(RtError::msg("attempt to perform 'n%0'")),
            Err(_) => {
                let tm = op.tm();
                let mut f = get_tm(self.g, a, tm);
                if f.is_nil() {
                    f = get_tm(self.g, b, tm);
                }
                if !f.is_nil() {
                    return Ok(Err(f));
                }
                Err(self.arith_error(op, a, b, describe))
            }
        }
    }

    fn arith_error(
        &self,
        op: ArithOp,
        a: Value<'gc>,
        b: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>, usize) -> String,
    ) -> RtError<'gc> {
        if op.is_bitwise() {
            let num = arith::to_plain_num;
            if num(a).is_some() && num(b).is_some() {
                // Name the operand that does not convert (the first one if both fail).
                let has_int = |v: Value<'gc>| match num(v) {
                    Some(arith::Num::Int(_)) => true,
                    Some(arith::Num::Float(f)) => arith::float_to_int_exact(f).is_some(),
                    None => false,
                };
                let i = if has_int(a) { 1 } else { 0 };
                return RtError::msg(format!(
                    "number{} has no integer representation",
                    describe(self.ts, i)
                ));
            }
            let (bad, i) = if num(a).is_none() { (a, 0) } else { (b, 1) };
            return RtError::msg(format!(
                "attempt to perform bitwise operation on a {} value{}",
                type_name_meta(self.g, bad),
                describe(self.ts, i)
            ));
        }
        // As PUC-Rio: the first operand is the wrong one unless it is a number.
        let (bad, i) = if arith::to_plain_num(a).is_none() {
            (a, 0)
        } else {
            (b, 1)
        };
        RtError::msg(format!(
            "attempt to perform arithmetic on a {} value{}",
            type_name_meta(self.g, bad),
            describe(self.ts, i)
        ))
    }

    /// `a == b` with `__eq`.
    pub fn equals(&mut self, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
        if a.raw_eq(b) {
            return Ok(true);
        }
        let comparable = matches!(
            (a, b),
            (Value::Table(_), Value::Table(_)) | (Value::UserData(_), Value::UserData(_))
        );
        if !comparable {
            return Ok(false);
        }
        let mut f = get_tm(self.g, a, Tm::Eq);
        if f.is_nil() {
            f = get_tm(self.g, b, Tm::Eq);
        }
        if f.is_nil() {
            return Ok(false);
        }
        Ok(self.call1(f, &[a, b])?.is_truthy())
    }

    /// `a < b` (or `a <= b` when `le`).
    pub fn compare(&mut self, a: Value<'gc>, b: Value<'gc>, le: bool) -> RtResult<'gc, bool> {
        let r = if le {
            arith::num_le(a, b)
        } else {
            arith::num_lt(a, b)
        };
        if let Some(r) = r {
            return Ok(r);
        }
        if let (Value::String(x), Value::String(y)) = (a, b) {
            let (x, y) = (x.as_bytes(), y.as_bytes());
            return Ok(if le { x <= y } else { x < y });
        }
        // The comparing Lua frame is on top: marks at or above it are stale.
        let top = self.ts.frames.len().saturating_sub(1) as u32;
        if le {
            self.ts.le_by_lt.retain(|&i| i < top);
        }
        let tm = if le { Tm::Le } else { Tm::Lt };
        let mut f = get_tm(self.g, a, tm);
        if f.is_nil() {
            f = get_tm(self.g, b, tm);
        }
        if !f.is_nil() {
            return Ok(self.call1(f, &[a, b])?.is_truthy());
        }
        if le {
            // LUA_COMPAT_LT_LE, as in the Debian/Ubuntu build of lua5.4:
            // without `__le`, `a <= b` is `not (b < a)`.
            let mut f = get_tm(self.g, b, Tm::Lt);
            if f.is_nil() {
                f = get_tm(self.g, a, Tm::Lt);
            }
            if !f.is_nil() {
                self.ts.le_by_lt.push(top);
                let r = self.call1(f, &[b, a]);
                if !matches!(&r, Err(e) if e.is_suspension()) {
                    self.ts.le_by_lt.retain(|&i| i < top);
                }
                return Ok(!r?.is_truthy());
            }
        }
        Err(compare_error(self.g, a, b))
    }

    /// `#v`.
    pub fn len(
        &mut self,
        v: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>) -> String,
    ) -> RtResult<'gc, Value<'gc>> {
        match v {
            Value::String(s) => Ok(Value::Integer(s.len() as i64)),
            Value::Table(t) => {
                let f = get_tm(self.g, v, Tm::Len);
                if f.is_nil() {
                    Ok(Value::Integer(t.length()))
                } else {
                    self.call1(f, &[v, v])
                }
            }
            _ => {
                let f = get_tm(self.g, v, Tm::Len);
                if f.is_nil() {
                    Err(RtError::msg(format!(
                        "attempt to get length of a {} value{}",
                        type_name_meta(self.g, v),
                        describe(self.ts)
                    )))
                } else {
                    self.call1(f, &[v, v])
                }
            }
        }
    }

    /// `a .. b` for two values, at least one of which is not a string or number.
    pub fn concat_meta(
        &mut self,
        a: Value<'gc>,
        b: Value<'gc>,
        describe: &dyn Fn(&ThreadState<'gc>, usize) -> String,
    ) -> RtResult<'gc, Value<'gc>> {
        let mut f = get_tm(self.g, a, Tm::Concat);
        if f.is_nil() {
            f = get_tm(self.g, b, Tm::Concat);
        }
        if f.is_nil() {
            let (bad, i) = if is_concatable(a) { (b, 1) } else { (a, 0) };
            return Err(RtError::msg(format!(
                "attempt to concatenate a {} value{}",
                type_name_meta(self.g, bad),
                describe(self.ts, i)
            )));
        }
        // Called at the top the caller set (just above the operands).
        let at = self.ts.top;
        crate::vm::level::call_nested1_at(self.mc, self.g, self.th, self.ts, f, &[a, b], at)
    }
}

/// Strings and numbers concatenate without metamethods.
#[inline]
pub fn is_concatable(v: Value<'_>) -> bool {
    matches!(v, Value::String(_) | Value::Integer(_) | Value::Number(_))
}

pub fn compare_error<'gc>(g: GlobalRef<'gc>, a: Value<'gc>, b: Value<'gc>) -> RtError<'gc> {
    let (ta, tb) = (type_name_meta(g, a), type_name_meta(g, b));
    if ta == tb {
        RtError::msg(format!("attempt to compare two {ta} values"))
    } else {
        RtError::msg(format!("attempt to compare {ta} with {tb}"))
    }
}

/// What a `__tostring` metamethod returned, as `tostring`'s result.
pub fn tostring_result<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    r: Value<'gc>,
) -> RtResult<'gc, LuaString<'gc>> {
    match r {
        Value::String(s) => Ok(s),
        n @ (Value::Integer(_) | Value::Number(_)) => {
            let mut buf = Vec::new();
            number_to_bytes(n, &mut buf);
            Ok(Global::intern(g, mc, &buf))
        }
        _ => Err(RtError::msg("'__tostring' must return a string")),
    }
}

/// The default string form of a value (no `__tostring`).
pub fn tostring_raw<'gc>(g: GlobalRef<'gc>, v: Value<'gc>) -> Vec<u8> {
    let mut out = Vec::new();
    match v {
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Integer(_) | Value::Number(_) => number_to_bytes(v, &mut out),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        _ => {
            match get_tm(g, v, Tm::Name) {
                Value::String(s) => out.extend_from_slice(crate::text::c_str(s.as_bytes())),
                _ => out.extend_from_slice(v.type_name().as_bytes()),
            }
            out.extend_from_slice(format!(": {:#x}", v.addr().unwrap_or(0)).as_bytes());
        }
    }
    out
}

/// A `describe` callback for operations whose operand has no name to report.
pub fn no_name(_: &ThreadState<'_>) -> String {
    String::new()
}

/// The host's answer for `obj[key]` when `tm`, the `__index` of host
/// userdata `obj`, is the native the host gave a shortcut for (see
/// `FastIndex`).
#[inline]
fn host_fast_index<'gc>(
    g: GlobalRef<'gc>,
    tm: Value<'gc>,
    obj: Value<'gc>,
    key: Value<'gc>,
) -> Option<Value<'gc>> {
    let fast = g.host.0.fast_index.get()?;
    let (
        Value::Function(crate::value::Function::Native(nf)),
        Value::UserData(ud),
        Value::Integer(i),
    ) = (tm, obj, key)
    else {
        return None;
    };
    let crate::function::NativeKind::Plain(f) = nf.kind.0 else {
        return None;
    };
    if f as usize != fast.native as usize {
        return None;
    }
    let host = ud.host_id()?;
    Some(match (fast.read)(Gc::as_ptr(g) as usize, host, i)? {
        crate::state::HostNumber::Int(n) => Value::Integer(n),
        crate::state::HostNumber::Float(x) => Value::Number(x),
    })
}
