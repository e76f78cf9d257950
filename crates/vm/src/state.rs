//! The root of a VM's heap: globals, registry, interned strings and the
//! bookkeeping the collector needs.

use std::cell::RefCell;

use gc_arena::lock::{Lock, RefLock};
use gc_arena::{Collect, Gc, GcWeak, Mutation, Static};

use crate::string::{Interner, LuaString};
use crate::table::{Table, TableState};
use crate::thread::Thread;
use crate::userdata::UserDataObj;
use crate::value::Value;

/// Metamethod events, in a fixed order so their names can be pre-interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tm {
    Index,
    NewIndex,
    Gc,
    Mode,
    Len,
    Eq,
    Add,
    Sub,
    Mul,
    Mod,
    Pow,
    Div,
    IDiv,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    Unm,
    BNot,
    Lt,
    Le,
    Concat,
    Call,
    Close,
    ToString,
    Name,
    Pairs,
    Metatable,
}

const TM_NAMES: [&str; 29] = [
    "__index",
    "__newindex",
    "__gc",
    "__mode",
    "__len",
    "__eq",
    "__add",
    "__sub",
    "__mul",
    "__mod",
    "__pow",
    "__div",
    "__idiv",
    "__band",
    "__bor",
    "__bxor",
    "__shl",
    "__shr",
    "__unm",
    "__bnot",
    "__lt",
    "__le",
    "__concat",
    "__call",
    "__close",
    "__tostring",
    "__name",
    "__pairs",
    "__metatable",
];

impl Tm {
    pub fn name(self) -> &'static str {
        TM_NAMES[self as usize]
    }
}

/// An object registered for finalization (its metatable had `__gc`).
#[derive(Clone, Copy, Collect)]
#[collect(no_drop)]
pub enum Finalizable<'gc> {
    Table(GcWeak<'gc, RefLock<TableState<'gc>>>),
    UserData(GcWeak<'gc, UserDataObj<'gc>>),
}

/// A call from the host into Lua that has not finished yet.
#[derive(Collect)]
#[collect(no_drop)]
pub struct HostCall<'gc> {
    /// Given by `Lua`; async calls are found by it (they need not be the
    /// last entry: several can be suspended at once).
    pub id: u64,
    pub thread: Thread<'gc>,
    pub chain: Vec<crate::vm::level::ChainEntry<'gc>>,
}

/// Where `print` output goes.
pub type PrintSink = Box<dyn FnMut(&[u8])>;

/// Host-provided services: where `print` writes, and similar hooks.
pub struct Host {
    pub print: RefCell<PrintSink>,
    /// A shortcut the host gives for one of its `__index` natives (see
    /// `FastIndex`).
    pub fast_index: std::cell::Cell<Option<FastIndex>>,
    /// Ids of host objects (see `UserData::new_host`) that the collector
    /// found dead, in the order found; the embedding drains them.
    pub released: RefCell<Vec<u64>>,
}

/// A number a host answers a read with (no collectable values: the
/// answer is made outside the arena).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HostNumber {
    Int(i64),
    Float(f64),
}

/// An inline cache of a host's `__index` native: when indexing a host
/// userdata with an integer key reaches `native` as its `__index`, the VM
/// first asks `read(global address, host id, key)`, which answers only what
/// the native would return, without running code; on None the native runs.
#[derive(Clone, Copy)]
pub struct FastIndex {
    pub native: crate::function::NativeFn,
    pub read: fn(usize, u64, i64) -> Option<HostNumber>,
}

impl Default for Host {
    fn default() -> Self {
        Host {
            print: RefCell::new(Box::new(|bytes| {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
            })),
            released: RefCell::new(Vec::new()),
            fast_index: std::cell::Cell::new(None),
        }
    }
}

#[derive(Collect)]
#[collect(no_drop)]
pub struct Global<'gc> {
    pub globals: Table<'gc>,
    pub registry: Table<'gc>,
    pub strings: RefLock<Interner<'gc>>,
    pub string_meta: Lock<Option<Table<'gc>>>,
    /// Metatables of the other basic types (`debug.setmetatable`), indexed
    /// by `meta::basic_type_index`: nil, boolean, number, function, thread,
    /// light userdata.
    pub type_metas: Box<[Lock<Option<Table<'gc>>>]>,
    pub main_thread: Thread<'gc>,
    tm_names: Box<[LuaString<'gc>]>,
    /// Tables with weak keys or values, to clear in the finalization step.
    pub weak_tables: RefLock<Vec<GcWeak<'gc, RefLock<TableState<'gc>>>>>,
    /// Every thread, held weakly: the collector clears their dead stack parts.
    pub threads: RefLock<Vec<GcWeak<'gc, crate::thread::ThreadObj<'gc>>>>,
    /// Userdata standing for host objects, with the host's id for each.
    pub host_objects: RefLock<Vec<(GcWeak<'gc, UserDataObj<'gc>>, u64)>>,
    /// Objects with a `__gc` metamethod, not yet found dead.
    pub finalizable: RefLock<Vec<Finalizable<'gc>>>,
    /// Dead objects resurrected for their `__gc` call, in order.
    pub to_finalize: RefLock<std::collections::VecDeque<Value<'gc>>>,
    pub host: Static<Host>,
    /// When not nil, the function `print` and writes to the standard output
    /// call with their text instead of handing it to `Host::print` (see
    /// `Global::set_print_function`).
    pub print_function: Lock<Value<'gc>>,
    /// Values held by the embedding (handles); see `DynamicRootSet`.
    pub roots: gc_arena::DynamicRootSet<'gc>,
    /// Host calls in progress (re-entrant calls nest): each runs on a thread
    /// and remembers the coroutines it resumed.
    pub host_calls: RefLock<Vec<HostCall<'gc>>>,
    /// Coroutines resumed inside nested levels that an await is unwinding,
    /// outermost first: the driver's level takes them over.
    pub awaiting_chain: RefLock<Vec<crate::vm::level::ChainEntry<'gc>>>,
    pub budget: Static<crate::vm::budget::Budget>,
}

/// Strings the interner holds before it first grows: more than the names
/// the standard libraries intern (under 200 with every library), so that
/// opening them never rebuilds it.
const INITIAL_STRINGS: usize = 250;

/// Entries the globals table starts with room for (the libraries put
/// about 40 names there).
const GLOBALS_CAPACITY: usize = 48;

impl<'gc> Global<'gc> {
    pub fn new(mc: &Mutation<'gc>) -> Global<'gc> {
        let mut strings = Interner::with_capacity(INITIAL_STRINGS);
        let tm_names = TM_NAMES
            .iter()
            .map(|n| strings.intern(mc, n.as_bytes()))
            .collect();
        Global {
            // Sized for the standard library's names: filling it never rehashes.
            globals: Table::with_capacity(mc, 0, GLOBALS_CAPACITY),
            registry: Table::new(mc),
            strings: RefLock::new(strings),
            string_meta: Lock::new(None),
            type_metas: (0..6).map(|_| Lock::new(None)).collect(),
            main_thread: Thread::new(mc),
            tm_names,
            weak_tables: RefLock::new(Vec::new()),
            finalizable: RefLock::new(Vec::new()),
            host_objects: RefLock::new(Vec::new()),
            threads: RefLock::new(Vec::new()),
            to_finalize: RefLock::new(Default::default()),
            host: Static(Host::default()),
            print_function: Lock::new(Value::Nil),
            roots: gc_arena::DynamicRootSet::new(mc),
            host_calls: RefLock::new(Vec::new()),
            awaiting_chain: RefLock::new(Vec::new()),
            budget: Static(Default::default()),
        }
    }

    #[inline]
    pub fn tm_name(&self, tm: Tm) -> LuaString<'gc> {
        self.tm_names[tm as usize]
    }

    pub fn intern(this: GlobalRef<'gc>, mc: &Mutation<'gc>, bytes: &[u8]) -> LuaString<'gc> {
        Self::strings_mut(this, mc).intern(mc, bytes)
    }

    /// `intern` for an owned buffer (no copy for long strings).
    pub fn intern_vec(this: GlobalRef<'gc>, mc: &Mutation<'gc>, bytes: Vec<u8>) -> LuaString<'gc> {
        Self::strings_mut(this, mc).intern_vec(mc, bytes)
    }

    pub fn strings_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Interner<'gc>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, strings).borrow_mut()
    }

    pub fn weak_tables_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Vec<GcWeak<'gc, RefLock<TableState<'gc>>>>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, weak_tables).borrow_mut()
    }

    pub fn finalizable_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Vec<Finalizable<'gc>>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, finalizable).borrow_mut()
    }

    pub fn host_objects_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Vec<(GcWeak<'gc, UserDataObj<'gc>>, u64)>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, host_objects).borrow_mut()
    }

    /// Makes a new thread known to the collector (see `threads`).
    pub fn register_thread(this: GlobalRef<'gc>, mc: &Mutation<'gc>, th: Thread<'gc>) {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, threads)
            .borrow_mut()
            .push(Gc::downgrade(th.0));
    }

    pub fn awaiting_chain_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Vec<crate::vm::level::ChainEntry<'gc>>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, awaiting_chain).borrow_mut()
    }

    /// Makes `print` and writes to the standard output call `f` (a Lua
    /// value, called like any function) with their text; nil restores the
    /// host's print sink.
    pub fn set_print_function(this: GlobalRef<'gc>, mc: &Mutation<'gc>, f: Value<'gc>) {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, print_function).set(f);
    }

    pub fn host_calls_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, Vec<HostCall<'gc>>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, host_calls).borrow_mut()
    }

    pub fn to_finalize_mut(
        this: GlobalRef<'gc>,
        mc: &Mutation<'gc>,
    ) -> std::cell::RefMut<'gc, std::collections::VecDeque<Value<'gc>>> {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, to_finalize).borrow_mut()
    }

    pub fn set_string_meta(this: Gc<'gc, Global<'gc>>, mc: &Mutation<'gc>, t: Option<Table<'gc>>) {
        gc_arena::barrier::unlock!(Gc::write(mc, this), Global, string_meta).set(t);
    }
}

/// The arena root: everything reachable from a VM.
pub type GlobalRef<'gc> = Gc<'gc, Global<'gc>>;
