//! One VM as the binding sees it: the Lua VM, its export and import tables,
//! and the rules for entering it (DESIGN.md §4, §5).
//!
//! # Entering the VM
//!
//! Every native entry point that touches a VM goes through [`Vm::begin`],
//! which returns an [`Entry`] guard. There are two ways to reach the arena:
//!
//! * **outermost**: no Lua code of this VM is running. The entry borrows
//!   the `Lua` and uses its methods (`try_call` runs in fuel slices with
//!   collection steps), then applies a collection step and releases the
//!   imports the collector found dead.
//! * **nested**: Lua called a JS function (a trampoline in `callback.rs`
//!   is running), and that JS function calls back into the same VM. The
//!   `Lua` is mutably borrowed by the outer entry, and collecting now would
//!   free values only the interrupted Rust frames hold. So nested
//!   operations go through the innermost active native context (`Ctx`),
//!   whose raw pointer the trampoline pushed on `ctxs` for the duration of
//!   the JS call: `ctx.call` runs a nested call on the same Lua thread.
//!
//! `locked` is set while binding code works inside the arena and cleared by
//! a trampoline while JS runs. Entering a locked VM (JS code reached from
//! inside a conversion, e.g. a getter read by `lua.table(obj)`) fails with
//! a clear error instead of aliasing the arena.
//!
//! # Exports and imports
//!
//! Exports: a Lua object JS holds a handle to is a strong root here
//! (`exports`, see exports.rs: id -> root, and address -> id for
//! identity). JS records handle drops (FinalizationRegistry, or
//! `release()`) and passes the ids to [`Vm::drop_exports`] soon after, in
//! id order.
//!
//! Imports: a JS object handed to Lua lives in the JS-side `imports` array
//! at a slot (the JS side owns the strong edge, so a dropped VM is ordinary
//! garbage for V8). Lua holds a userdata made with `UserData::new_host`
//! (a fresh host id per userdata; functions are native closures holding
//! it). A weak-valued Lua table maps slot -> the Lua value, for identity.
//! When the collector frees the userdata, its host id comes back from
//! `take_released_host_ids`; if it is still the slot's current host id,
//! the slot is released (the JS side drops the object).

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;

use gc_arena::{Gc, Mutation};
use lunarena_vm::state::GlobalRef;
use lunarena_vm::vm::ctx::Ctx;
use lunarena_vm::{Libs, Lua, LuaError, StashedValue, Value};

use crate::arraycache::ArrayCache;
use crate::exports::{ExportId, Exports};
use crate::raw::{self, Env, Js, JsVal, Thrown, WeakRef};

/// Calls from Lua into JS that may be active at once on one VM.
pub const MAX_JS_DEPTH: usize = 180;

/// Native stack the nested calls of one outermost entry may use. V8 throws
/// "Maximum call stack size exceeded" at about 984 KiB (its default limit,
/// counted from where the thread's JS started): stopping well before makes
/// deep recursion through both languages end with our clear error.
pub const MAX_STACK_BYTES: usize = 640 * 1024;

/// Outermost calls between two collection steps.
const GC_STEP_EVERY: u32 = 16;

/// Calls from Lua into JS that share one handle scope (see `CallScopes`).
const CALLS_PER_SCOPE: u32 = 64;

/// Change in the VM's memory that is worth telling V8 about.
const REPORT_BYTES: i64 = 256 * 1024;

/// Bytes per live Lua object on top of the counted bytes (the standard
/// libraries are made before counting starts, and object headers).
const BYTES_PER_OBJECT: usize = 64;

/// What the VM holds, as reported to V8 (an estimate).
fn vm_bytes(lua: &Lua) -> i64 {
    (lua.memory_used() + lua.object_count() * BYTES_PER_OBJECT) as i64
}

/// The error codes `index.js` understands (see lib.rs).
pub const CODE_ERROR: &str = "LUA_ERROR";
pub const CODE_SYNTAX: &str = "LUA_SYNTAX";
pub const CODE_LIMIT: &str = "LUA_LIMIT";
pub const CODE_CLOSED: &str = "LUA_CLOSED";

/// The kinds of handle `index.js` makes for exports.
pub const KIND_TABLE: u32 = 0;
pub const KIND_FUNCTION: u32 = 1;
pub const KIND_THREAD: u32 = 2;
pub const KIND_USERDATA: u32 = 3;

/// A fast hasher for the binding's integer keys (ids, addresses).
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 ^= self.0 >> 29;
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A host id encodes its import slot (high 32 bits) and a generation (low
/// 32 bits), so finding a proxy's JS object needs no lookup.
pub fn host_id(slot: u32, generation: u32) -> u64 {
    ((slot as u64) << 32) | generation as u64
}

pub fn slot_of_host(id: u64) -> u32 {
    (id >> 32) as u32
}

/// Values the binding keeps in the arena (made at their first use).
pub struct Fixed {
    /// Weak-valued table: import slot -> its Lua value (userdata or closure).
    pub imports: StashedValue,
    /// The metatable of object proxies.
    pub proxy_meta: StashedValue,
    /// Natives that run table operations with metamethods inside a call.
    pub op_index: StashedValue,
    pub op_newindex: StashedValue,
    pub op_len: StashedValue,
}

#[derive(Default)]
pub struct State {
    pub exports: Exports,
    /// Import slot -> the host id of its live proxy.
    pub slot_host: IdMap<u32, u64>,
    /// Generation of the next host id.
    pub next_host: u32,
    /// Slots released by the collector, not yet handed to JS.
    pub released_slots: Vec<u32>,
    /// Import slot -> a weak reference to its JS object (the `imports`
    /// array holds it strongly): reading one is cheaper than an array read.
    pub import_refs: Vec<Option<WeakRef>>,
    /// Made at the first use (see `callback::with_fixed`).
    pub fixed: Option<Fixed>,
}

/// The JS functions (and the imports array) of the VM's JS side, as
/// properties of one helpers object.
#[derive(Clone, Copy)]
pub enum H {
    Handle,
    Classify,
    Release,
    Index,
    NewIndex,
    Len,
    Pairs,
    ToString,
    ErrorValue,
    PlainKind,
    /// Float64Array -> a plain array of its numbers.
    ArrayFrom,
    /// Makes an empty Map (for `toObject()` of tables with non-string keys).
    NewMap,
    /// Sets many properties of an object (`toObject()` of a big table).
    SetEntries,
    /// A JS array's numbers as a Float64Array, or false (see arraycache.rs).
    ArraySnapshot,
    /// A plain object's names and values (`lua.table(obj)`).
    PlainEntries,
    Imports,
    /// Receives the promise an async run waits for (see callback.rs).
    Awaited,
    /// Does nothing: calling it fails once the thread is being torn down.
    Alive,
    /// The public error (LuaError, TypeError, ...) for an error the binding
    /// threw (see `api::call_function`).
    Convert,
}

/// Property names of the helpers, in the order of `H`.
const HELPER_NAMES: [&str; 19] = [
    "handle\0",
    "classify\0",
    "release\0",
    "index\0",
    "newindex\0",
    "len\0",
    "pairs\0",
    "tostring\0",
    "errorValue\0",
    "plainKind\0",
    "arrayFrom\0",
    "newMap\0",
    "setEntries\0",
    "arraySnapshot\0",
    "plainEntries\0",
    "imports\0",
    "awaited\0",
    "alive\0",
    "convert\0",
];

/// The helpers, held through weak references (the JS side holds them
/// strongly, so nothing here keeps a dropped VM alive). Each one is looked
/// up on its first use: most VMs need few of them, and a reference costs
/// as much to make as to drop.
pub struct Helpers {
    obj: WeakRef,
    refs: [OnceCell<WeakRef>; HELPER_NAMES.len()],
}

impl Helpers {
    pub fn new(obj: WeakRef) -> Helpers {
        Helpers {
            obj,
            refs: Default::default(),
        }
    }

    pub fn get(&self, env: Env, h: H) -> Js<JsVal> {
        let cell = &self.refs[h as usize];
        let found = match cell.get() {
            Some(r) => r.get()?,
            None => match self.obj.get()? {
                Some(obj) => {
                    let v = raw::get_named(env, obj, HELPER_NAMES[h as usize])?;
                    let _ = cell.set(WeakRef::new(env, v)?);
                    Some(v)
                }
                None => None,
            },
        };
        match found {
            Some(v) => Ok(v),
            None => Err(raw::throw_coded(
                env,
                CODE_CLOSED,
                "the Lua VM's JavaScript side was collected",
                &[],
            )),
        }
    }
}

/// Handle scopes for calls from Lua into JS. Each call needs one (a long Lua
/// loop calling JS must not pile up handles in the caller's scope), but
/// opening and closing one costs as much as the rest of a short call; so
/// consecutive calls at one nesting level share a scope, renewed every
/// `CALLS_PER_SCOPE` calls. A level's scope is closed as soon as its Lua
/// code returns to the binding (`end_level`), before anything that must
/// outlive it (results, errors) is made: scopes stay strictly nested.
///
/// What a call reads of the innermost scope is kept in cells (`top`), not
/// behind the `RefCell` of the list: a call then costs a few loads.
pub struct CallScopes {
    /// The open scopes, innermost last, each with the `top` of the scope
    /// it hides (restored when it closes).
    open: RefCell<Vec<(raw::HandleScope, ScopeTop)>>,
    /// The innermost open scope (`level: NO_LEVEL` when none is open).
    top: Cell<ScopeTop>,
    /// Small integers passed to JS in the innermost scope and their handles,
    /// in the entry of their value modulo `INT_HANDLES` (see `no_int` for an
    /// empty one): a loop passing the same numbers makes each handle once
    /// per scope.
    ints: [Cell<(i32, JsVal)>; INT_HANDLES],
}

/// Entries of `CallScopes::ints` (a power of two).
const INT_HANDLES: usize = 8;

/// The state of the innermost call scope.
#[derive(Clone, Copy)]
struct ScopeTop {
    level: usize,
    /// Calls made in it.
    calls: u32,
    /// `undefined`, the receiver of function calls, as a handle of the scope.
    undefined: JsVal,
    /// The JS function called last in it: the host id of its proxy and a
    /// handle to it (valid while the scope is open). A loop calling one JS
    /// function reads its weak reference once per scope.
    last_fn: Option<(u64, JsVal)>,
}

impl Default for CallScopes {
    fn default() -> Self {
        CallScopes {
            open: RefCell::default(),
            top: Cell::default(),
            ints: std::array::from_fn(|i| Cell::new(no_int(i))),
        }
    }
}

/// An empty entry `i` of `CallScopes::ints`: its key belongs to another entry.
fn no_int(i: usize) -> (i32, JsVal) {
    (i as i32 + 1, ptr::null_mut())
}

impl CallScopes {
    /// The innermost scope changed: its handles are no longer the ones cached.
    fn set_top(&self, top: ScopeTop) {
        self.top.set(top);
        for (i, c) in self.ints.iter().enumerate() {
            c.set(no_int(i));
        }
    }
}

/// `ScopeTop::level` when no call scope is open.
const NO_LEVEL: usize = usize::MAX;

impl Default for ScopeTop {
    fn default() -> Self {
        ScopeTop {
            level: NO_LEVEL,
            calls: 0,
            undefined: ptr::null_mut(),
            last_fn: None,
        }
    }
}

/// The native contexts (`*mut Ctx`) of the calls from Lua into JS running
/// on one VM, innermost on top: a list threaded through the trampolines'
/// guards, each of which keeps the context below its own.
pub struct CtxStack {
    top: Cell<*mut ()>,
    len: Cell<usize>,
}

impl CtxStack {
    fn new() -> CtxStack {
        CtxStack {
            top: Cell::new(ptr::null_mut()),
            len: Cell::new(0),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len.get()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// The innermost context.
    #[inline]
    pub fn last(&self) -> Option<*mut ()> {
        let p = self.top.get();
        (!p.is_null()).then_some(p)
    }

    /// Pushes `p`, valid until the matching `pop`; returns the context
    /// below it, which `pop` takes back.
    #[inline]
    pub fn push(&self, p: *mut ()) -> *mut () {
        self.len.set(self.len.get() + 1);
        self.top.replace(p)
    }

    #[inline]
    pub fn pop(&self, below: *mut ()) {
        self.len.set(self.len.get() - 1);
        self.top.set(below);
    }
}

pub struct Vm {
    pub lua: RefCell<Option<Lua>>,
    pub st: RefCell<State>,
    pub env: Env,
    pub helpers: Helpers,
    /// Active native contexts (`*mut Ctx`); valid only while the trampoline
    /// that pushed one is running.
    pub ctxs: CtxStack,
    pub locked: Cell<bool>,
    pub poisoned: Cell<bool>,
    /// Address of the VM's global state, to check a trampoline's VM.
    pub gaddr: Cell<usize>,
    reported_bytes: Cell<i64>,
    /// Outermost calls so far (for batching collection steps).
    calls: Cell<u32>,
    /// Async calls in progress, by the job id `index.js` gave them, with
    /// whether they return all results.
    pub jobs: RefCell<IdMap<u32, (lunarena_vm::lua::AsyncCall, bool)>>,
    /// A slice of an async call is running: a JS function that returns a
    /// promise suspends the call instead of returning the promise.
    pub async_running: Cell<bool>,
    scopes: CallScopes,
    /// The JS epoch and the snapshots of JS arrays Lua reads.
    pub arrays: ArrayCache,
    /// This thread's `ENTERED` (a VM is used only on the thread that made
    /// it): a plain pointer spares a thread-local lookup per entry.
    entered: *const Cell<(*const Vm, usize)>,
}

thread_local! {
    /// VMs alive on this thread (not closed, not collected), for tests and
    /// leak hunting (`Lua.liveCount()`).
    pub static LIVE: Cell<usize> = const { Cell::new(0) };
    /// The VM whose entry is innermost on this thread (the one whose Lua
    /// code may call a trampoline; saved and restored by `Entry`), and the
    /// stack address at this thread's outermost entry (0: none active).
    static ENTERED: Cell<(*const Vm, usize)> = const { Cell::new((ptr::null(), 0)) };
}

/// An address in the current stack frame.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The VM of the innermost entry on this thread, and the bytes of native
/// stack used since this thread's outermost entry (the stack grows down on
/// every platform Node supports).
pub fn active_vm<'a>() -> Option<(&'a Vm, usize)> {
    let (p, base) = ENTERED.with(|e| e.get());
    if p.is_null() {
        return None;
    }
    Some((unsafe { &*p }, base.saturating_sub(stack_address())))
}

/// The VM of the innermost entry on this thread.
#[inline]
pub fn innermost_vm<'a>() -> Option<&'a Vm> {
    let (p, _) = ENTERED.with(|e| e.get());
    // SAFETY: an entry's VM outlives it (see `active_vm`).
    unsafe { p.as_ref() }
}

/// Guard of one entry into a VM.
pub struct Entry<'a> {
    pub vm: &'a Vm,
    prev: *const Vm,
    prev_locked: bool,
    /// The innermost active native context when this entry is nested (the
    /// contexts above it come and go while it lives).
    nested: Option<*mut ()>,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        // Normally closed already, when the Lua code returned.
        self.vm.end_level();
        // Back to JS code.
        self.vm.arrays.js_may_run();
        self.vm.locked.set(self.prev_locked);
        let e = self.vm.entered();
        let base = if self.prev.is_null() { 0 } else { e.get().1 };
        e.set((self.prev, base));
    }
}

impl Entry<'_> {
    /// The innermost active native context, when this entry is nested.
    pub fn nested(&self) -> Option<*mut ()> {
        self.nested
    }
}

pub fn closed_error(env: Env) -> Thrown {
    raw::throw_coded(env, CODE_CLOSED, "the Lua VM is closed", &[])
}

impl Vm {
    pub fn new(env: Env, helpers: Helpers, libs: Libs) -> Box<Vm> {
        let lua = Lua::new(libs);
        let gaddr = lua.enter(|_, g| Gc::as_ptr(g) as usize);
        LIVE.with(|n| n.set(n.get() + 1));
        // V8 feels the VM's memory, so that dropped VMs get collected.
        let bytes = vm_bytes(&lua);
        raw::adjust_external_memory(env, bytes);
        let st = State {
            next_host: 1,
            ..State::default()
        };
        let vm = Box::new(Vm {
            lua: RefCell::new(Some(lua)),
            st: RefCell::new(st),
            env,
            helpers,
            ctxs: CtxStack::new(),
            locked: Cell::new(false),
            poisoned: Cell::new(false),
            gaddr: Cell::new(gaddr),
            reported_bytes: Cell::new(bytes),
            calls: Cell::new(0),
            jobs: RefCell::new(IdMap::default()),
            async_running: Cell::new(false),
            scopes: CallScopes::default(),
            arrays: ArrayCache::default(),
            // The cell has no destructor: it stays valid while the thread runs.
            entered: ENTERED.with(|e| e as *const _),
        });
        let this: *const Vm = &*vm;
        let hook = move |released: &[u64]| {
            // SAFETY: the hook belongs to the VM's `Lua`, which the VM owns
            // (and drops first); the box does not move.
            let vm = unsafe { &*this };
            let _scope = raw::HandleScope::open(env);
            // Proxies Lua freed during a long call are let go at once.
            vm.release_hosts(released);
            if vm.flush_released_slots().is_err() {
                let _ = raw::take_exception(env);
            }
            // Calling the `alive` helper fails once the thread is being torn
            // down (a terminated worker), which stops the running call.
            let Ok(f) = vm.helpers.get(env, H::Alive) else {
                return false;
            };
            raw::call(env, raw::undefined(env), f, &[]).is_ok()
        };
        if let Some(lua) = vm.lua.borrow_mut().as_mut() {
            lua.set_slice_hook(Some(Box::new(hook)));
            // Array proxies read from a snapshot without a call.
            lua.set_fast_index(Some(lunarena_vm::state::FastIndex {
                native: crate::callback::PROXY_INDEX,
                read: crate::arraycache::fast_read,
            }));
        }
        vm
    }

    /// Makes sure a call from Lua into JS at nesting level `level` (the
    /// current length of `ctxs`) runs inside a handle scope (see
    /// `CallScopes`).
    #[inline]
    pub fn call_scope(&self, level: usize) {
        let mut top = self.scopes.top.get();
        if top.level == level && top.calls + 1 < CALLS_PER_SCOPE {
            top.calls += 1;
            self.scopes.top.set(top);
            return;
        }
        self.renew_scope(level);
    }

    /// `undefined` as a handle of the current call scope (right after
    /// `call_scope`), for the receiver of a function call.
    #[inline]
    pub fn scoped_undefined(&self) -> JsVal {
        self.scopes.top.get().undefined
    }

    /// Opens the handle scope of level `level`, closing first the one it
    /// replaces (the innermost, when it is that level's).
    #[inline(never)]
    fn renew_scope(&self, level: usize) {
        let mut open = self.scopes.open.borrow_mut();
        let mut below = self.scopes.top.get();
        if below.level == level {
            if let Some((_, hidden)) = open.pop() {
                below = hidden;
            }
        }
        let scope = raw::HandleScope::open(self.env);
        let undefined = raw::undefined(self.env);
        open.push((scope, below));
        self.scopes.set_top(ScopeTop {
            level,
            calls: 0,
            undefined,
            last_fn: None,
        });
    }

    /// The JS number for `n`, for a call made in the current call scope
    /// (right after `call_scope`).
    #[inline]
    pub fn scoped_int(&self, n: i32) -> Js<JsVal> {
        let cell = &self.scopes.ints[n as usize & (INT_HANDLES - 1)];
        let (k, v) = cell.get();
        if k == n {
            return Ok(v);
        }
        let v = raw::int32(self.env, n)?;
        cell.set((n, v));
        Ok(v)
    }

    /// The JS function of the proxy with host id `host`, for a call made in
    /// the current call scope (right after `call_scope`): the one that
    /// scope found last, or what `find` gives (then kept).
    #[inline]
    pub fn scoped_function(&self, host: u64, find: impl FnOnce() -> Js<JsVal>) -> Js<JsVal> {
        if let Some((h, f)) = self.scopes.top.get().last_fn {
            if h == host {
                return Ok(f);
            }
        }
        let f = find()?;
        let mut top = self.scopes.top.get();
        if top.level != NO_LEVEL {
            top.last_fn = Some((host, f));
            self.scopes.top.set(top);
        }
        Ok(f)
    }

    /// The Lua code of the current nesting level returned to the binding:
    /// its calls' handle scope closes.
    pub fn end_level(&self) {
        // Most entries never called JS: no scope is open.
        if self.scopes.top.get().level == self.ctxs.len() {
            self.close_scope();
        }
    }

    #[inline(never)]
    fn close_scope(&self) {
        let closed = self.scopes.open.borrow_mut().pop();
        if let Some((scope, below)) = closed {
            self.scopes.set_top(below);
            drop(scope);
        }
    }

    fn entered(&self) -> &Cell<(*const Vm, usize)> {
        // SAFETY: see the field.
        unsafe { &*self.entered }
    }

    pub fn is_closed(&self) -> bool {
        match self.lua.try_borrow() {
            Ok(l) => l.is_none(),
            Err(_) => false,
        }
    }

    /// Enters the VM (see the module doc).
    #[inline]
    pub fn begin(&self) -> Js<Entry<'_>> {
        if self.poisoned.get() || self.locked.get() || self.is_closed() {
            return Err(self.refusal());
        }
        let e = self.entered();
        let (prev, base) = e.get();
        let base = if prev.is_null() {
            stack_address()
        } else {
            base
        };
        e.set((self as *const Vm, base));
        let prev_locked = self.locked.replace(true);
        // JS code ran since the VM was last left.
        self.arrays.js_may_run();
        Ok(Entry {
            vm: self,
            prev,
            prev_locked,
            nested: self.ctxs.last(),
        })
    }

    /// Why `begin` refused to enter, thrown.
    #[cold]
    #[inline(never)]
    fn refusal(&self) -> Thrown {
        let env = self.env;
        if self.poisoned.get() {
            raw::throw_coded(
                env,
                "LUA_PANIC",
                "this Lua VM hit an internal error earlier and is unusable",
                &[],
            )
        } else if self.is_closed() {
            closed_error(env)
        } else {
            raw::throw_coded(
                env,
                CODE_ERROR,
                "the Lua VM is busy: it cannot be used from inside a value conversion (e.g. a getter read by lua.table())",
                &[],
            )
        }
    }

    /// Runs `f` inside the arena (the innermost native context when nested).
    pub fn with_arena<T>(
        &self,
        e: &Entry<'_>,
        f: impl for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>) -> Js<T>,
    ) -> Js<T> {
        if let Some(p) = e.nested() {
            let ctx = unsafe { &mut *(p as *mut Ctx<'static, 'static>) };
            return f(ctx.mc, ctx.g);
        }
        let lua = self.lua.borrow();
        let Some(lua) = lua.as_ref() else {
            return Err(closed_error(self.env));
        };
        lua.enter(f)
    }

    /// Calls a Lua value: `setup` returns the function and pushes its
    /// arguments, `finish` converts the results. Errors become JS exceptions.
    pub fn call<T>(
        &self,
        e: &Entry<'_>,
        setup: impl for<'gc> FnOnce(
            &'gc Mutation<'gc>,
            GlobalRef<'gc>,
            &mut Vec<Value<'gc>>,
        ) -> Js<Value<'gc>>,
        finish: impl for<'gc> FnOnce(&'gc Mutation<'gc>, GlobalRef<'gc>, &[Value<'gc>]) -> Js<T>,
    ) -> Js<T> {
        if let Some(p) = e.nested() {
            let ctx = unsafe { &mut *(p as *mut Ctx<'static, 'static>) };
            let mut args = Vec::new();
            let f = setup(ctx.mc, ctx.g, &mut args)?;
            let r = ctx.call(f, &args);
            self.end_level();
            return match r {
                Ok(results) => finish(ctx.mc, ctx.g, &results),
                Err(err) => {
                    let (mc, g) = (ctx.mc, ctx.g);
                    Err(crate::convert::throw_rt_error(self, mc, g, err))
                }
            };
        }
        let mut guard = self.lua.borrow_mut();
        let Some(lua) = guard.as_mut() else {
            return Err(closed_error(self.env));
        };
        let r = lua.try_call_then(setup, |mc, g, vals| {
            self.end_level();
            finish(mc, g, vals)
        });
        if !matches!(r, Ok(Ok(Ok(_)))) {
            // Closed by `finish` when the call returned.
            self.end_level();
        }
        let out = match r {
            Err(t) | Ok(Ok(Err(t))) => Err(t),
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Err(err)) => Err(self.throw_lua_error(lua, &err)),
        };
        drop(guard);
        self.after_outer(e);
        out
    }

    /// Runs a slice of async job `job` (outermost entries only): `f` starts,
    /// polls or resumes it. Returns `[0, results]` when it finished, `[1]`
    /// when it wants another slice, `[2]` when it waits for the promise it
    /// handed to the `awaited` helper; a failure is thrown.
    pub fn async_slice(
        &self,
        e: &Entry<'_>,
        job: u32,
        f: impl FnOnce(
            &mut Lua,
            Option<&mut lunarena_vm::lua::AsyncCall>,
        ) -> Js<(
            lunarena_vm::lua::Poll,
            Option<(lunarena_vm::lua::AsyncCall, bool)>,
        )>,
    ) -> Js<JsVal> {
        use lunarena_vm::lua::Poll;
        let env = self.env;
        if e.nested().is_some() {
            return Err(raw::throw_coded(
                env,
                CODE_ERROR,
                "an async Lua call cannot run inside a synchronous one",
                &[],
            ));
        }
        let mut entry = self.jobs.borrow_mut().remove(&job);
        let multi = entry.as_ref().map(|x| x.1).unwrap_or(false);
        let mut guard = self.lua.borrow_mut();
        let Some(lua) = guard.as_mut() else {
            return Err(closed_error(env));
        };
        self.async_running.set(true);
        let r = f(lua, entry.as_mut().map(|x| &mut x.0));
        self.async_running.set(false);
        self.end_level();
        let (poll, started) = match r {
            Ok(x) => x,
            Err(t) => {
                drop(guard);
                return Err(t);
            }
        };
        if let Some(s) = started {
            entry = Some(s);
        }
        let multi = entry.as_ref().map(|x| x.1).unwrap_or(multi);
        let out = match poll {
            Poll::Done(vals) => lua.enter(|mc, g| {
                let v: Vec<Value<'_>> = vals.iter().map(|s| Lua::fetch(g, s)).collect();
                let res = crate::convert::Cv::new(self, mc, g).results(&v, multi)?;
                let arr = raw::array(env, 2)?;
                raw::set_element(env, arr, 0, raw::number(env, 0.0)?)?;
                raw::set_element(env, arr, 1, res)?;
                Ok(arr)
            }),
            Poll::Failed(err) => Err(self.throw_lua_error(lua, &err)),
            Poll::Pending | Poll::Await => {
                let code = if matches!(poll, Poll::Pending) {
                    1.0
                } else {
                    2.0
                };
                if let Some(x) = entry.take() {
                    self.jobs.borrow_mut().insert(job, x);
                }
                (|| {
                    let arr = raw::array(env, 1)?;
                    raw::set_element(env, arr, 0, raw::number(env, code)?)?;
                    Ok(arr)
                })()
            }
        };
        drop(guard);
        self.after_outer(e);
        out
    }

    /// Throws the JS error for an error that came out of `Lua::call`.
    fn throw_lua_error(&self, lua: &Lua, err: &LuaError) -> Thrown {
        let env = self.env;
        match err {
            LuaError::Syntax {
                message,
                line,
                column,
            } => throw_syntax(env, message, *line, *column),
            LuaError::Limit(k) => throw_limit(env, k.name(), k.message()),
            LuaError::Runtime { message, traceback } => {
                let tb = traceback.clone().unwrap_or_default();
                let value = lua.last_error_value();
                lua.enter(|mc, g| {
                    let v = value.map(|s| Lua::fetch(g, s)).unwrap_or(Value::Nil);
                    crate::convert::throw_runtime(self, mc, g, v, message, &tb)
                })
            }
        }
    }

    /// After an outermost entry: big array snapshots freed, a collection
    /// step, dead imports released, memory reported to V8.
    #[inline]
    pub fn after_outer(&self, e: &Entry<'_>) {
        if e.nested().is_some() {
            return;
        }
        self.arrays.trim();
        // Collection work is paid for in batches: a step after every short
        // call would cost more than the call itself.
        let n = self.calls.get().wrapping_add(1);
        self.calls.set(n);
        if n.is_multiple_of(GC_STEP_EVERY) {
            self.collect_step();
        }
    }

    #[inline(never)]
    fn collect_step(&self) {
        let ids = {
            let mut guard = self.lua.borrow_mut();
            let Some(lua) = guard.as_mut() else { return };
            lua.gc_step();
            // `__gc` metamethods may have called JS.
            self.end_level();
            self.report_memory(lua);
            lua.take_released_host_ids()
        };
        self.release_hosts(&ids);
        let _ = self.flush_released_slots();
    }

    /// Tells V8 (`adjust_external_memory`) how much the VM holds, when that
    /// changed noticeably since the last report.
    fn report_memory(&self, lua: &Lua) {
        let bytes = vm_bytes(lua);
        let delta = bytes - self.reported_bytes.get();
        if delta.abs() > REPORT_BYTES {
            raw::adjust_external_memory(self.env, delta);
            self.reported_bytes.set(bytes);
        }
    }

    /// Records host ids the collector freed; their slots become free.
    pub fn release_hosts(&self, ids: &[u64]) {
        if ids.is_empty() {
            return;
        }
        let mut st = self.st.borrow_mut();
        for h in ids {
            let slot = slot_of_host(*h);
            if st.slot_host.get(&slot) == Some(h) {
                st.slot_host.remove(&slot);
                st.released_slots.push(slot);
                if let Some(r) = st.import_refs.get_mut(slot as usize) {
                    *r = None;
                }
            }
        }
    }

    /// Hands released slots to the JS side.
    pub fn flush_released_slots(&self) -> Js<()> {
        let slots = std::mem::take(&mut self.st.borrow_mut().released_slots);
        if slots.is_empty() {
            return Ok(());
        }
        let env = self.env;
        let arr = raw::array(env, slots.len())?;
        for (i, s) in slots.iter().enumerate() {
            raw::set_element(env, arr, i as u32, raw::number(env, *s as f64)?)?;
        }
        let f = self.helpers.get(env, H::Release)?;
        raw::call(env, raw::undefined(env), f, &[arr])?;
        Ok(())
    }

    /// Removes export roots whose handles JS dropped.
    pub fn drop_exports(&self, ids: &mut [ExportId]) {
        ids.sort_unstable();
        let mut st = self.st.borrow_mut();
        for id in ids.iter() {
            st.exports.remove(*id);
        }
    }

    /// A full collection (outermost only), then dead imports released.
    pub fn full_gc(&self, e: &Entry<'_>) -> Js<()> {
        if e.nested().is_some() {
            return Ok(());
        }
        let ids = {
            let mut guard = self.lua.borrow_mut();
            let Some(lua) = guard.as_mut() else {
                return Err(closed_error(self.env));
            };
            lua.clear_stale_slots();
            lua.gc_collect();
            lua.gc_collect();
            // `__gc` metamethods may have called JS.
            self.end_level();
            self.report_memory(lua);
            lua.take_released_host_ids()
        };
        self.release_hosts(&ids);
        self.flush_released_slots()
    }

    /// Frees the VM and everything it holds.
    pub fn close(&self) -> Js<()> {
        if !self.ctxs.is_empty() || self.locked.get() {
            return Err(raw::throw_coded(
                self.env,
                CODE_ERROR,
                "cannot close the Lua VM while it is running (close it after the current call returns)",
                &[],
            ));
        }
        self.jobs.borrow_mut().clear();
        self.run_close_finalizers();
        self.arrays.clear();
        let lua = self.lua.borrow_mut().take();
        if lua.is_some() {
            LIVE.with(|n| n.set(n.get().saturating_sub(1)));
        }
        // Roots first, then the arena.
        let st = std::mem::take(&mut *self.st.borrow_mut());
        drop(st);
        drop(lua);
        if self.reported_bytes.get() != 0 {
            raw::adjust_external_memory(self.env, -self.reported_bytes.get());
            self.reported_bytes.set(0);
        }
        Ok(())
    }

    /// Runs the `__gc` metamethods of the objects that have one, as
    /// `lua_close` does. They may call JS (as an outermost entry's Lua code
    /// does); an error in one becomes a warning (`warn`), never an
    /// exception out of `close`. A VM that panicked runs none.
    fn run_close_finalizers(&self) {
        if self.poisoned.get() || self.is_closed() {
            return;
        }
        // Entered like an outermost call, so that their calls into JS find
        // this VM (the entry's end closes the handle scope they shared).
        let Ok(_entry) = self.begin() else {
            let _ = raw::take_exception(self.env);
            return;
        };
        if let Some(lua) = self.lua.borrow_mut().as_mut() {
            lua.run_close_finalizers();
        }
    }

    pub fn import_count(&self) -> usize {
        self.st.borrow().slot_host.len()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let lua = self.lua.get_mut().take();
        if lua.is_some() {
            LIVE.with(|n| n.set(n.get().saturating_sub(1)));
        }
        drop(std::mem::take(self.st.get_mut()));
        drop(lua);
        if self.reported_bytes.get() != 0 {
            raw::adjust_external_memory(self.env, -self.reported_bytes.get());
        }
    }
}

pub fn throw_syntax(env: Env, message: &str, line: u32, column: u32) -> Thrown {
    let props = (|| -> Js<Vec<(&'static str, JsVal)>> {
        Ok(vec![
            ("line", raw::number(env, line as f64)?),
            ("column", raw::number(env, column as f64)?),
        ])
    })();
    match props {
        Ok(p) => raw::throw_coded(env, CODE_SYNTAX, message, &p),
        Err(t) => t,
    }
}

pub fn throw_limit(env: Env, name: &str, message: &str) -> Thrown {
    match raw::string(env, name) {
        Ok(n) => raw::throw_coded(env, CODE_LIMIT, message, &[("limit", n)]),
        Err(t) => t,
    }
}
