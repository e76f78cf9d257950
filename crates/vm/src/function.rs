//! Function prototypes, Lua closures, upvalues and native functions.

use gc_arena::lock::Lock;
use gc_arena::{Collect, Gc, Mutation, Static};

use crate::compiler::proto::{Constant, Proto};
use crate::error::RtError;
use crate::string::{Interner, LuaString};
use crate::thread::Thread;
use crate::value::Value;
use crate::vm::ctx::Ctx;

/// A function prototype in collected form: constants are Lua values.
#[derive(Collect)]
#[collect(no_drop)]
pub struct FnProto<'gc> {
    pub constants: Box<[Value<'gc>]>,
    pub protos: Box<[Gc<'gc, FnProto<'gc>>]>,
    /// Code, debug info, upvalue descriptions and the plain constants (its
    /// own `protos` are emptied: they live above).
    pub info: Static<Proto>,
}

impl<'gc> FnProto<'gc> {
    /// Converts a compiled prototype, interning its string constants. Equal
    /// long strings of one chunk share one object, as in PUC-Rio Lua.
    pub fn from_proto(
        mc: &Mutation<'gc>,
        strings: &mut Interner<'gc>,
        proto: Proto,
    ) -> Gc<'gc, FnProto<'gc>> {
        let mut long = std::collections::HashMap::new();
        Self::convert(mc, strings, proto, &mut long)
    }

    /// The plain prototype back, with its nested functions (for `string.dump`).
    pub fn to_proto(&self) -> Proto {
        let mut p = self.info.0.clone();
        p.protos = self.protos.iter().map(|c| c.to_proto()).collect();
        p
    }

    fn convert(
        mc: &Mutation<'gc>,
        strings: &mut Interner<'gc>,
        mut proto: Proto,
        long: &mut std::collections::HashMap<Box<[u8]>, LuaString<'gc>>,
    ) -> Gc<'gc, FnProto<'gc>> {
        // The plain constants stay in `info` too: debug info reads names from them.
        let constants = proto
            .constants
            .iter()
            .map(|c| match c {
                Constant::Nil => Value::Nil,
                Constant::Boolean(b) => Value::Boolean(*b),
                Constant::Integer(i) => Value::Integer(*i),
                Constant::Number(n) => Value::Number(*n),
                // Short strings are interned anyway.
                Constant::String(s) if s.len() <= 40 => Value::String(strings.intern(mc, s)),
                Constant::String(s) => Value::String(
                    *long
                        .entry(s.to_vec().into_boxed_slice())
                        .or_insert_with(|| strings.intern(mc, s)),
                ),
            })
            .collect();
        let protos = std::mem::take(&mut proto.protos)
            .into_iter()
            .map(|p| FnProto::convert(mc, strings, p, long))
            .collect();
        Gc::new(
            mc,
            FnProto {
                constants,
                protos,
                info: Static(proto),
            },
        )
    }
}

/// Where an upvalue's value lives.
#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub enum UpState<'gc> {
    /// Still a register of a running function: slot `index` of `thread`'s stack.
    Open {
        thread: Thread<'gc>,
        index: usize,
    },
    Closed(Value<'gc>),
}

pub type UpValue<'gc> = Gc<'gc, Lock<UpState<'gc>>>;

#[derive(Collect)]
#[collect(no_drop)]
pub struct Closure<'gc> {
    pub proto: Gc<'gc, FnProto<'gc>>,
    /// One slot per upvalue. A slot is a cell (reading it is a plain load)
    /// so that `debug.upvaluejoin` can point it at another upvalue.
    pub upvalues: Box<[Lock<UpValue<'gc>>]>,
}

impl<'gc> Closure<'gc> {
    pub fn new(
        mc: &Mutation<'gc>,
        proto: Gc<'gc, FnProto<'gc>>,
        upvalues: impl IntoIterator<Item = UpValue<'gc>>,
    ) -> Gc<'gc, Closure<'gc>> {
        let upvalues = upvalues.into_iter().map(Lock::new).collect();
        Gc::new(mc, Closure { proto, upvalues })
    }

    /// A closure of `proto` whose upvalues are closed: the first holds
    /// `env`, the others nil (loaded chunks).
    pub fn with_env(
        mc: &Mutation<'gc>,
        proto: Gc<'gc, FnProto<'gc>>,
        env: Value<'gc>,
    ) -> Gc<'gc, Closure<'gc>> {
        let n = proto.info.0.upvalues.len();
        let ups = (0..n).map(|i| {
            let v = if i == 0 { env } else { Value::Nil };
            Gc::new(mc, Lock::new(UpState::Closed(v)))
        });
        Closure::new(mc, proto, ups)
    }

    /// The upvalue in slot `i`.
    #[inline]
    pub fn upvalue(&self, i: usize) -> UpValue<'gc> {
        self.upvalues[i].get()
    }

    /// Points slot `i` of `this` at `uv` (`debug.upvaluejoin`).
    pub fn set_upvalue_slot(
        this: Gc<'gc, Closure<'gc>>,
        mc: &Mutation<'gc>,
        i: usize,
        uv: UpValue<'gc>,
    ) {
        let w = Gc::write(mc, this);
        gc_arena::barrier::field!(w, Closure, upvalues).as_deref()[i]
            .unlock()
            .set(uv);
    }
}

/// The result of a native function: how many values it pushed.
pub type NativeResult<'gc> = Result<usize, RtError<'gc>>;

/// A native function: receives its arguments through the context and pushes results.
pub type NativeFn = for<'gc, 'a> fn(Ctx<'gc, 'a>) -> NativeResult<'gc>;

/// Natives that need the interpreter's cooperation because they transfer
/// control (protected calls, coroutine switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    PCall,
    XPCall,
    Resume,
    Yield,
    /// The function `coroutine.wrap` returns; upvalue 0 is the coroutine.
    WrapCall,
}

#[derive(Clone, Copy)]
pub enum NativeKind {
    Plain(NativeFn),
    Special(Special),
}

#[derive(Collect)]
#[collect(no_drop)]
pub struct NativeFunction<'gc> {
    pub kind: Static<NativeKind>,
    pub name: Static<&'static str>,
    pub upvalues: Box<[Lock<Value<'gc>>]>,
}

impl std::fmt::Debug for NativeFunction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "builtin: {}", self.name.0)
    }
}

impl std::fmt::Debug for Closure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "function: {:p}", self as *const _)
    }
}

impl<'gc> NativeFunction<'gc> {
    pub fn new(
        mc: &Mutation<'gc>,
        name: &'static str,
        f: NativeFn,
    ) -> Gc<'gc, NativeFunction<'gc>> {
        Self::with_upvalues(mc, name, NativeKind::Plain(f), &[])
    }

    pub fn with_upvalues(
        mc: &Mutation<'gc>,
        name: &'static str,
        kind: NativeKind,
        upvalues: &[Value<'gc>],
    ) -> Gc<'gc, NativeFunction<'gc>> {
        Gc::new(
            mc,
            NativeFunction {
                kind: Static(kind),
                name: Static(name),
                upvalues: upvalues.iter().map(|v| Lock::new(*v)).collect(),
            },
        )
    }
}
