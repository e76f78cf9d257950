//! The context a native function runs in: its arguments, its results, and
//! access to the VM.

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFn, NativeFunction};
use crate::state::{Global, GlobalRef};
use crate::string::LuaString;
use crate::table::Table;
use crate::thread::{Thread, ThreadState};
use crate::value::{Function, Value};
use crate::vm::convert;

pub struct Ctx<'gc, 'a> {
    pub mc: &'gc Mutation<'gc>,
    pub g: GlobalRef<'gc>,
    pub th: Thread<'gc>,
    pub ts: &'a mut ThreadState<'gc>,
    /// Stack index of the first argument.
    pub base: usize,
    pub nargs: usize,
}

impl<'gc, 'a> Ctx<'gc, 'a> {
    /// Argument `i` (0-based); nil when absent.
    #[inline]
    pub fn arg(&self, i: usize) -> Value<'gc> {
        if i < self.nargs {
            self.ts.stack[self.base + i]
        } else {
            Value::Nil
        }
    }

    #[inline]
    pub fn args(&self) -> &[Value<'gc>] {
        &self.ts.stack[self.base..self.base + self.nargs]
    }

    /// Pushes one result.
    #[inline]
    pub fn push(&mut self, v: Value<'gc>) {
        push(self.ts, v);
    }

    /// Returns a single value.
    #[inline]
    pub fn ret(mut self, v: Value<'gc>) -> RtResult<'gc, usize> {
        self.push(v);
        Ok(1)
    }

    pub fn intern(&self, bytes: &[u8]) -> LuaString<'gc> {
        Global::intern(self.g, self.mc, bytes)
    }

    /// A string from an owned buffer (no copy for long strings).
    pub fn intern_vec(&self, bytes: Vec<u8>) -> LuaString<'gc> {
        Global::intern_vec(self.g, self.mc, bytes)
    }

    pub fn str_value(&self, bytes: &[u8]) -> Value<'gc> {
        Value::String(self.intern(bytes))
    }

    pub fn new_table(&self) -> Table<'gc> {
        Table::new(self.mc)
    }

    pub fn native(&self, name: &'static str, f: NativeFn) -> Value<'gc> {
        Value::Function(Function::Native(NativeFunction::new(self.mc, name, f)))
    }

    // ---- argument checks, with PUC-Rio's messages ----

    fn type_error(&self, i: usize, expected: &str) -> RtError<'gc> {
        let v = self.arg(i);
        let got = if i >= self.nargs {
            "no value".into()
        } else if matches!(v, Value::LightUserData(_))
            && crate::vm::meta::get_tm(self.g, v, crate::state::Tm::Name).is_nil()
        {
            // As luaL_typeerror words it.
            "light userdata".into()
        } else {
            crate::vm::meta::type_name_meta(self.g, v)
        };
        RtError::bad_arg(i + 1, format!("{expected} expected, got {got}"))
    }

    pub fn check_any(&self, i: usize) -> RtResult<'gc, Value<'gc>> {
        if i < self.nargs {
            Ok(self.arg(i))
        } else {
            Err(RtError::bad_arg(i + 1, "value expected"))
        }
    }

    pub fn check_table(&self, i: usize) -> RtResult<'gc, Table<'gc>> {
        match self.arg(i) {
            Value::Table(t) => Ok(t),
            _ => Err(self.type_error(i, "table")),
        }
    }

    pub fn check_integer(&self, i: usize) -> RtResult<'gc, i64> {
        match self.arg(i) {
            Value::Integer(n) => Ok(n),
            Value::Number(f) => crate::vm::arith::float_to_int_exact(f)
                .ok_or_else(|| RtError::bad_arg(i + 1, "number has no integer representation")),
            Value::String(s) => match convert::str_to_number(s.as_bytes()) {
                Some(convert::Number::Int(n)) => Ok(n),
                Some(convert::Number::Float(f)) => crate::vm::arith::float_to_int_exact(f)
                    .ok_or_else(|| RtError::bad_arg(i + 1, "number has no integer representation")),
                None => Err(self.type_error(i, "number")),
            },
            _ => Err(self.type_error(i, "number")),
        }
    }

    pub fn opt_integer(&self, i: usize, default: i64) -> RtResult<'gc, i64> {
        if self.arg(i).is_nil() {
            Ok(default)
        } else {
            self.check_integer(i)
        }
    }

    pub fn check_number(&self, i: usize) -> RtResult<'gc, f64> {
        match self.arg(i) {
            Value::Integer(n) => Ok(n as f64),
            Value::Number(f) => Ok(f),
            Value::String(s) => match convert::str_to_number(s.as_bytes()) {
                Some(convert::Number::Int(n)) => Ok(n as f64),
                Some(convert::Number::Float(f)) => Ok(f),
                None => Err(self.type_error(i, "number")),
            },
            _ => Err(self.type_error(i, "number")),
        }
    }

    /// A number argument keeping its subtype.
    pub fn check_numeric(&self, i: usize) -> RtResult<'gc, Value<'gc>> {
        match self.arg(i) {
            v @ (Value::Integer(_) | Value::Number(_)) => Ok(v),
            Value::String(s) => match convert::str_to_number(s.as_bytes()) {
                Some(convert::Number::Int(n)) => Ok(Value::Integer(n)),
                Some(convert::Number::Float(f)) => Ok(Value::Number(f)),
                None => Err(self.type_error(i, "number")),
            },
            _ => Err(self.type_error(i, "number")),
        }
    }

    /// A string argument; numbers are converted as Lua does.
    pub fn check_string(&self, i: usize) -> RtResult<'gc, LuaString<'gc>> {
        match self.arg(i) {
            Value::String(s) => Ok(s),
            v @ (Value::Integer(_) | Value::Number(_)) => {
                let mut buf = Vec::new();
                crate::vm::meta::number_to_bytes(v, &mut buf);
                Ok(self.intern(&buf))
            }
            _ => Err(self.type_error(i, "string")),
        }
    }

    pub fn opt_string(&self, i: usize) -> RtResult<'gc, Option<LuaString<'gc>>> {
        if self.arg(i).is_nil() {
            Ok(None)
        } else {
            self.check_string(i).map(Some)
        }
    }

    pub fn check_function(&self, i: usize) -> RtResult<'gc, Value<'gc>> {
        match self.arg(i) {
            v @ Value::Function(_) => Ok(v),
            _ => Err(self.type_error(i, "function")),
        }
    }

    pub fn check_thread(&self, i: usize) -> RtResult<'gc, Thread<'gc>> {
        match self.arg(i) {
            Value::Thread(t) => Ok(t),
            _ => Err(self.type_error(i, "thread")),
        }
    }

    pub fn expect_type(&self, i: usize, expected: &str) -> RtError<'gc> {
        self.type_error(i, expected)
    }

    // ---- calling back into Lua ----

    /// Calls a value with arguments and returns all its results. Not
    /// yieldable; nesting is bounded.
    pub fn call(&mut self, f: Value<'gc>, args: &[Value<'gc>]) -> RtResult<'gc, Vec<Value<'gc>>> {
        crate::vm::level::call_nested(self.mc, self.g, self.th, self.ts, f, args)
    }

    /// Ends this native by calling `f` with `args` in its place: the call's
    /// results are the native's results (`results`: exactly that many, like
    /// `lua_callk` with a result count). Unlike `call`, the called function
    /// runs as a normal frame: it may yield, and it does not nest.
    pub fn tail_call(
        mut self,
        f: Value<'gc>,
        args: &[Value<'gc>],
        results: Option<usize>,
    ) -> RtResult<'gc, usize> {
        self.push(f);
        for &a in args {
            self.push(a);
        }
        Ok(TAIL_CALL | (results.map_or(0, |k| k + 1) << 32) | args.len())
    }

    /// Ends this run of the native by calling `f` with `args` as a normal
    /// call (like `lua_callk`: it may yield or await, and does not nest).
    /// When `f` returns, the native is called again ([`Ctx::resumed`] is
    /// then true) with its stack as it left it (its arguments and the
    /// values it pushed, which hold its state) followed by `f`'s results;
    /// `results` is how many results `f` gives (padded with nil or cut).
    pub fn call_then(
        mut self,
        f: Value<'gc>,
        args: &[Value<'gc>],
        results: usize,
    ) -> RtResult<'gc, usize> {
        self.push(f);
        for &a in args {
            self.push(a);
        }
        Ok(CALL_THEN | (results << 32) | args.len())
    }

    /// Like `call_then`, for all of `f`'s results, and `f` may yield
    /// across this native (PUC-Rio's `lua_callk` with a continuation, as
    /// `dofile` calls its chunk).
    pub fn call_then_yieldable(
        mut self,
        f: Value<'gc>,
        args: &[Value<'gc>],
    ) -> RtResult<'gc, usize> {
        self.push(f);
        for &a in args {
            self.push(a);
        }
        Ok(CALL_THEN | YIELDABLE | (ALL_RESULTS << 32) | args.len())
    }

    /// Makes the arguments exactly `n` (dropping extra ones, adding nils),
    /// so that values pushed after them have fixed places.
    pub fn set_args(&mut self, n: usize) {
        for _ in self.nargs..n {
            self.push(Value::Nil);
        }
        self.ts.top = self.base + n;
        self.nargs = n;
    }

    /// Whether this run of the native continues after a `call_then`.
    pub fn resumed(&self) -> bool {
        self.ts
            .frames
            .last()
            .is_some_and(|f| f.pc == NATIVE_RESUMED)
    }

    /// Calls a value and returns its first result.
    pub fn call1(&mut self, f: Value<'gc>, args: &[Value<'gc>]) -> RtResult<'gc, Value<'gc>> {
        crate::vm::level::call_nested1(self.mc, self.g, self.th, self.ts, f, args)
    }

    /// "chunk:line: " of the Lua function at `level` (1 = the caller of this
    /// native), with the chunk id's exact bytes.
    pub fn where_(&self, level: usize) -> Vec<u8> {
        crate::vm::debug::where_bytes(self.ts, level)
    }
}

/// Flag of a native's result count: it ends with a tail call (see
/// `Ctx::tail_call`).
pub const TAIL_CALL: usize = 1 << 62;

/// Flag of a native's result count: call a function, then run the native
/// again (see `Ctx::call_then`).
pub const CALL_THEN: usize = 1 << 61;

/// Flag of a `call_then` request: the called function may yield.
pub const YIELDABLE: usize = 1 << 63;

/// The result count of a `call_then` request for all results.
pub const ALL_RESULTS: usize = 0x1fff_ffff;

/// `pc` of a native frame waiting for the function it called with
/// `call_then` (`_YIELDABLE`: with `call_then_yieldable`), and of one
/// running again after it.
pub const NATIVE_WAITING: usize = usize::MAX;
pub const NATIVE_RESUMED: usize = usize::MAX - 1;
pub const NATIVE_WAITING_YIELDABLE: usize = usize::MAX - 2;

/// Whether a native frame's `pc` says it waits for a function it called.
pub fn is_waiting(pc: usize) -> bool {
    pc == NATIVE_WAITING || pc == NATIVE_WAITING_YIELDABLE
}

/// Whether a native of this thread waits for a function it called with
/// `call_then`. Coroutines cannot yield then, as in PUC-Rio Lua, where
/// those natives (gsub, load, tostring...) cannot be yielded across; only
/// the host's awaits suspend them.
pub fn in_native_call(ts: &ThreadState<'_>) -> bool {
    ts.frames
        .iter()
        .any(|f| f.kind == crate::thread::FrameKind::Native && f.pc == NATIVE_WAITING)
}

/// (arguments, wanted results) of a native's tail call.
pub fn decode_tail_call(n: usize) -> (usize, Option<i32>) {
    let want = (n >> 32) & 0x3fff_ffff;
    (n & 0xffff_ffff, want.checked_sub(1).map(|w| w as i32))
}

/// Pushes a value at the logical top of a thread's stack.
#[inline(always)]
pub fn push<'gc>(ts: &mut ThreadState<'gc>, v: Value<'gc>) {
    if ts.top < ts.stack.len() {
        ts.stack[ts.top] = v;
        ts.top += 1;
    } else {
        push_growing(ts, v);
    }
}

/// `push` past the end of the stack's storage (kept out of line, so that
/// natives get the plain store inlined).
#[inline(never)]
fn push_growing<'gc>(ts: &mut ThreadState<'gc>, v: Value<'gc>) {
    ts.stack.push(v);
    ts.top += 1;
}

impl<'gc> Ctx<'gc, '_> {
    /// Upvalue `i` of the running native function.
    pub fn upvalue(&self, i: usize) -> Value<'gc> {
        match self.ts.stack[self.base - 1] {
            Value::Function(Function::Native(nf)) => {
                nf.upvalues.get(i).map(|u| u.get()).unwrap_or(Value::Nil)
            }
            _ => Value::Nil,
        }
    }

    /// Sets upvalue `i` of the running native function.
    pub fn set_upvalue(&self, i: usize, v: Value<'gc>) {
        if let Value::Function(Function::Native(nf)) = self.ts.stack[self.base - 1] {
            if i < nf.upvalues.len() {
                let w = gc_arena::Gc::write(self.mc, nf);
                gc_arena::barrier::field!(w, NativeFunction, upvalues).as_deref()[i]
                    .unlock()
                    .set(v);
            }
        }
    }
}
