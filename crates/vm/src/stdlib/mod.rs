//! The standard libraries, one module each.

use gc_arena::Mutation;

use crate::function::{NativeFn, NativeFunction};
use crate::lua::Libs;
use crate::state::{Global, GlobalRef};
use crate::table::Table;
use crate::value::{Function, Value};
use crate::vm::ctx::Ctx;
use crate::vm::meta::MetaCx;

pub mod base;
pub mod coroutine;
pub mod debug;
pub mod dump;
pub mod io;
pub mod math;
pub mod os;
pub mod package;
pub mod string;
pub mod table;
pub mod utf8;

/// Opens the libraries a VM gets.
pub fn open_libs<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>, libs: Libs) {
    base::open(mc, g, libs);
    coroutine::open(mc, g);
    string::open(mc, g);
    utf8::open(mc, g);
    os::open(mc, g, libs);
    table::open(mc, g);
    math::open(mc, g);
    io::open(mc, g, libs);
    if libs.debug {
        debug::open(mc, g);
    }
    // Last: registers the libraries opened before it in `package.loaded`.
    package::open(mc, g, libs);
}

/// Sets `t[name] = native function`.
pub fn set_fn<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    t: Table<'gc>,
    name: &'static str,
    f: NativeFn,
) {
    let key = Global::intern(g, mc, name.as_bytes());
    let v = Value::Function(Function::Native(NativeFunction::new(mc, name, f)));
    let _ = t.set(mc, Value::String(key), v);
}

/// Sets `t[name] = v`.
pub fn set_value<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    t: Table<'gc>,
    name: &str,
    v: Value<'gc>,
) {
    let key = Global::intern(g, mc, name.as_bytes());
    let _ = t.set(mc, Value::String(key), v);
}

/// Room a library table gets beyond its functions, for the values its
/// `open` adds after `new_lib` (`math.pi`, `utf8.charpattern`...): the
/// table is made at its final size and never grows while it is filled.
const LIB_SPARE: usize = 8;

/// Creates a library table, registers it as a global and in `package.loaded`.
pub fn new_lib<'gc>(
    mc: &Mutation<'gc>,
    g: GlobalRef<'gc>,
    name: &str,
    fns: &[(&'static str, NativeFn)],
) -> Table<'gc> {
    let t = Table::with_capacity(mc, 0, fns.len() + LIB_SPARE);
    for (n, f) in fns {
        set_fn(mc, g, t, n, *f);
    }
    set_value(mc, g, g.globals, name, Value::Table(t));
    t
}

/// What a native needs to index, compare or call metamethods through
/// nested calls.
pub(crate) fn mcx<'gc, 'b>(ctx: &'b mut Ctx<'gc, '_>) -> MetaCx<'gc, 'b> {
    MetaCx {
        mc: ctx.mc,
        g: ctx.g,
        th: ctx.th,
        ts: ctx.ts,
    }
}
