//! The Lua value type.

use std::mem::MaybeUninit;

use gc_arena::{Collect, Gc};

use crate::function::{Closure, NativeFunction};
use crate::string::LuaString;
use crate::table::Table;
use crate::thread::Thread;
use crate::userdata::UserData;

/// A Lua value. Sixteen bytes: a tag and a payload; collectable objects are
/// single `Gc` pointers, so copying a value never allocates.
#[derive(Debug, Clone, Copy, Collect, Default)]
#[collect(no_drop)]
pub enum Value<'gc> {
    #[default]
    Nil,
    Boolean(bool),
    Integer(i64),
    Number(f64),
    String(LuaString<'gc>),
    Table(Table<'gc>),
    Function(Function<'gc>),
    Thread(Thread<'gc>),
    UserData(UserData<'gc>),
    /// A light userdata: an opaque address, compared by value, with no
    /// object behind it (`debug.upvalueid` returns these).
    LightUserData(usize),
}

/// A function value: a Lua closure or a native (Rust) function.
#[derive(Debug, Clone, Copy, Collect)]
#[collect(no_drop)]
pub enum Function<'gc> {
    Lua(Gc<'gc, Closure<'gc>>),
    Native(Gc<'gc, NativeFunction<'gc>>),
}

impl<'gc> Function<'gc> {
    pub fn ptr_eq(self, other: Function<'gc>) -> bool {
        match (self, other) {
            (Function::Lua(a), Function::Lua(b)) => Gc::ptr_eq(a, b),
            (Function::Native(a), Function::Native(b)) => Gc::ptr_eq(a, b),
            _ => false,
        }
    }

    pub fn addr(self) -> usize {
        match self {
            Function::Lua(a) => Gc::as_ptr(a) as *const () as usize,
            Function::Native(a) => Gc::as_ptr(a) as *const () as usize,
        }
    }
}

const _: () = assert!(std::mem::size_of::<Value<'static>>() == 16);

/// The two machine words of a value, read at compile time.
const fn words(v: Value<'static>) -> [u64; 2] {
    // SAFETY: `Value` is 16 bytes (asserted above); const evaluation rejects
    // the transmute if any byte of these variants were uninitialised.
    unsafe { std::mem::transmute::<Value<'static>, [u64; 2]>(v) }
}

/// The first word of integers and of floats. The interpreter's number fast
/// paths test this word directly: a `match` on the enum decodes its niche
/// layout (functions store their own tag in this word) before comparing.
pub(crate) const INT_TAG: u64 = words(Value::Integer(0))[0];
pub(crate) const FLOAT_TAG: u64 = words(Value::Number(0.0))[0];

// The layout those reads rely on: the tag (a whole word, initialised for
// every variant, as `Nil` and `Boolean` show) comes first, and integers and
// floats keep their payload in the second word.
const _: () = {
    let i = words(Value::Integer(0x0123_4567_89ab_cdef));
    assert!(i[0] == INT_TAG && i[1] == 0x0123_4567_89ab_cdef);
    let f = words(Value::Number(-1.5));
    assert!(f[0] == FLOAT_TAG && f[1] == (-1.5f64).to_bits());
    assert!(INT_TAG != FLOAT_TAG);
    let (nil, f, t) = (
        words(Value::Nil)[0],
        words(Value::Boolean(false))[0],
        words(Value::Boolean(true))[0],
    );
    assert!(nil != INT_TAG && nil != FLOAT_TAG);
    assert!(nil <= u16::MAX as u64 && INT_TAG <= u16::MAX as u64 && FLOAT_TAG <= u16::MAX as u64);
    assert!(f != INT_TAG && f != FLOAT_TAG && t != INT_TAG && t != FLOAT_TAG);
};

impl<'gc> Value<'gc> {
    /// The name `type()` returns.
    pub fn type_name(self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Boolean(_) => "boolean",
            Value::Integer(_) | Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
            Value::Thread(_) => "thread",
            Value::UserData(_) | Value::LightUserData(_) => "userdata",
        }
    }

    #[inline(always)]
    fn tag_word(&self) -> u64 {
        // SAFETY: the first word is the tag, initialised for every variant
        // (see the layout checks above).
        unsafe { (self as *const Self as *const u64).read() }
    }

    /// The value as its tag word, which fits 16 bits for every variant,
    /// and its payload word, for storage that packs the tags of several
    /// values together (table nodes).
    #[inline(always)]
    pub(crate) fn to_words(self) -> (u16, MaybeUninit<u64>) {
        let tag = self.tag_word();
        // Checked on every store, so that `from_words` only ever sees a
        // tag word that was whole.
        assert!(tag <= u64::from(u16::MAX), "value tag wider than 16 bits");
        // SAFETY: the payload is the second word (see the layout checks
        // above); `MaybeUninit` keeps its bytes, uninitialised or pointers.
        let words: [MaybeUninit<u64>; 2] = unsafe { std::mem::transmute(self) };
        (tag as u16, words[1])
    }

    /// The value `to_words` split.
    ///
    /// # Safety
    ///
    /// `tag` and `payload` must come from one `to_words` call, and a
    /// collectable payload must still be alive.
    #[inline(always)]
    pub(crate) unsafe fn from_words(tag: u16, payload: MaybeUninit<u64>) -> Self {
        let words = [MaybeUninit::new(u64::from(tag)), payload];
        // SAFETY: the caller passes the two words of a valid value.
        unsafe { std::mem::transmute(words) }
    }

    /// The tag word of nil, as `to_words` gives it.
    pub(crate) const NIL_TAG: u16 = words(Value::Nil)[0] as u16;

    /// The integer, if this is one (a single compare of the tag word).
    #[inline(always)]
    pub fn as_int(&self) -> Option<i64> {
        if self.tag_word() == INT_TAG {
            // SAFETY: this is an integer (checked above).
            Some(unsafe { Self::int_at(self) })
        } else {
            None
        }
    }

    /// The float, if this is one (a single compare of the tag word).
    #[inline(always)]
    pub fn as_float(&self) -> Option<f64> {
        if self.tag_word() == FLOAT_TAG {
            // SAFETY: this is a float (checked above).
            Some(unsafe { Self::float_at(self) })
        } else {
            None
        }
    }

    /// The tag word of the value at `p` (compare with `INT_TAG`,
    /// `FLOAT_TAG`). With `int_at`, `float_at`, `write_int` and
    /// `write_float`, the interpreter's number fast paths work on values in
    /// place, word by word: integers stay in integer registers and floats in
    /// float registers, where a whole `Value` would pass through one kind.
    ///
    /// # Safety
    ///
    /// `p` must point to a valid value.
    #[inline(always)]
    pub(crate) unsafe fn tag_at(p: *const Self) -> u64 {
        // SAFETY: the first word is the tag (see the layout checks above).
        unsafe { (p as *const u64).read() }
    }

    /// The payload of the integer at `p`.
    ///
    /// # Safety
    ///
    /// `p` must point to a valid value whose tag is `INT_TAG`.
    #[inline(always)]
    pub(crate) unsafe fn int_at(p: *const Self) -> i64 {
        // SAFETY: an integer's payload is its second word.
        unsafe { (p as *const i64).add(1).read() }
    }

    /// The payload of the float at `p`.
    ///
    /// # Safety
    ///
    /// `p` must point to a valid value whose tag is `FLOAT_TAG`.
    #[inline(always)]
    pub(crate) unsafe fn float_at(p: *const Self) -> f64 {
        // SAFETY: a float's payload is its second word.
        unsafe { (p as *const f64).add(1).read() }
    }

    /// Stores `Value::Integer(x)` at `p`.
    ///
    /// # Safety
    ///
    /// `p` must be valid for writing a value.
    #[inline(always)]
    pub(crate) unsafe fn write_int(p: *mut Self, x: i64) {
        // SAFETY: tag and payload words as `Value::Integer(x)` has them.
        unsafe {
            (p as *mut u64).write(INT_TAG);
            (p as *mut i64).add(1).write(x);
        }
    }

    /// Stores `Value::Number(x)` at `p`.
    ///
    /// # Safety
    ///
    /// `p` must be valid for writing a value.
    #[inline(always)]
    pub(crate) unsafe fn write_float(p: *mut Self, x: f64) {
        // SAFETY: tag and payload words as `Value::Number(x)` has them.
        unsafe {
            (p as *mut u64).write(FLOAT_TAG);
            (p as *mut f64).add(1).write(x);
        }
    }

    #[inline]
    pub fn is_nil(self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Lua truthiness: everything but nil and false.
    #[inline]
    pub fn is_truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Boolean(false))
    }

    /// Primitive equality without metamethods (`rawequal`).
    pub fn raw_eq(self, other: Value<'gc>) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Integer(a), Value::Integer(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Integer(a), Value::Number(b)) | (Value::Number(b), Value::Integer(a)) => {
                crate::vm::arith::int_eq_float(a, b)
            }
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => Gc::ptr_eq(a.0, b.0),
            (Value::Function(a), Value::Function(b)) => a.ptr_eq(b),
            (Value::Thread(a), Value::Thread(b)) => Gc::ptr_eq(a.0, b.0),
            (Value::UserData(a), Value::UserData(b)) => Gc::ptr_eq(a.0, b.0),
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            _ => false,
        }
    }

    /// The address of a collectable value, for `%p` and `tostring`.
    pub fn addr(self) -> Option<usize> {
        Some(match self {
            Value::String(s) => s.addr(),
            Value::Table(t) => Gc::as_ptr(t.0) as *const () as usize,
            Value::Function(f) => f.addr(),
            Value::Thread(t) => Gc::as_ptr(t.0) as *const () as usize,
            Value::UserData(u) => Gc::as_ptr(u.0) as *const () as usize,
            Value::LightUserData(p) => p,
            _ => return None,
        })
    }
}

impl<'gc> From<bool> for Value<'gc> {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl<'gc> From<i64> for Value<'gc> {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}

impl<'gc> From<f64> for Value<'gc> {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl<'gc> From<LuaString<'gc>> for Value<'gc> {
    fn from(s: LuaString<'gc>) -> Self {
        Value::String(s)
    }
}

impl<'gc> From<Table<'gc>> for Value<'gc> {
    fn from(t: Table<'gc>) -> Self {
        Value::Table(t)
    }
}
