//! `a[i]` and `#a` from Lua on a proxy of a JS array, with a read cache.
//!
//! A live read costs Node-API calls per element. But a JS array can change
//! only while JS code runs, so the binding keeps a per-VM *JS epoch*
//! (`ArrayCache::js_may_run`), bumped wherever control may pass to JS code:
//! every entry into the VM from JS and every return to JS (binding.rs
//! `Vm::begin`, `Entry`'s drop), every call from Lua into JS or proxy
//! operation through a JS helper (callback.rs `enter_js`), and a live array
//! read that meets an object (its conversion may run Proxy traps).
//!
//! After a run of reads of one array within one epoch, the array is copied
//! in bulk by one call to the `arraySnapshot` helper (index.js) into a
//! Float64Array, then into native memory here, provided every element is a
//! number: later reads in that epoch come from memory. The run needed is
//! `FIRST_RUN` live reads, and at least one per `RUN_PER_ELEMENTS` elements
//! unless the array's previous snapshot served a read per element (a loop
//! over all of it): so code that alternates a few reads with writes or JS
//! calls (each ends the epoch) pays for a copy with enough live reads to
//! cost more than it, never O(n) per read. Runs are counted per array
//! (`MAX_TRACKED` at once), so loops reading several arrays get snapshots
//! of each.
//!
//! Array element reads (live ones and snapshots) do not bump the epoch
//! themselves: they run JS code only through getters on array elements (or
//! on `Array.prototype` indices, for holes), and such getters run when the
//! snapshot is taken (README, "Values across the boundary").
//!
//! Typed arrays need no copy: their elements are read where they are,
//! through a view (data pointer, length) valid while neither the epoch nor
//! `getter_runs` (bumped wherever an element getter may run: a live array
//! read, a snapshot) moved: only JS code can detach or resize the memory of
//! a typed array.
//!
//! Snapshots live in native memory only (never in the Lua heap): at most
//! `MAX_TRACKED` arrays of at most `MAX_LEN` elements each; big buffers
//! are freed after each outermost call (`Vm::after_outer`) and at `close()`.

use std::cell::{Cell, RefCell};

use gc_arena::Gc;
use lunarena_vm::error::RtResult;
use lunarena_vm::state::HostNumber;
use lunarena_vm::vm::ctx::Ctx;
use lunarena_vm::Value;

use crate::binding::{self, Vm, H};
use crate::convert::{number_to_lua, Cv};
use crate::raw::{self, Js, JsVal};

/// Live reads of one array, within one epoch, before its length is looked at.
const FIRST_RUN: u32 = 16;

/// Then one more live read needed per this many elements: copying an
/// element costs a small fraction of a live read.
const RUN_PER_ELEMENTS: u32 = 64;

/// Arrays longer than this are always read live.
const MAX_LEN: usize = 1 << 20;

/// Arrays tracked at once (per VM), each with at most one snapshot.
const MAX_TRACKED: usize = 4;

/// Snapshot buffers bigger than this (in elements) are freed after each
/// outermost call.
const KEEP_LEN: usize = 1 << 14;

/// A run never reaches this count: the array cannot be copied this epoch.
const NEVER: u32 = u32::MAX;

/// An array Lua read lately: its run of live reads and its snapshot.
struct Tracked {
    /// The host id of the array's proxy (slot and generation: a released
    /// slot's next object has another one).
    host: u64,
    /// The epoch of the run of live reads.
    run_epoch: u64,
    reads: u32,
    /// Reads that make a snapshot (`FIRST_RUN` until the length is known).
    needed: u32,
    /// The epoch the snapshot was taken in (0: none); valid only while
    /// that is the current one.
    snap_epoch: u64,
    nums: Vec<f64>,
    /// The snapshot's length (kept when a big `nums` is freed).
    snap_len: usize,
    /// Reads the snapshot served (saturating).
    served: Cell<u32>,
}

/// Where a typed array's elements are, while no JS code runs.
struct View {
    host: u64,
    /// The epoch and `getter_runs` it was found at; valid only while both
    /// are current.
    epoch: u64,
    getter_runs: u64,
    kind: i32,
    data: *const u8,
    len: usize,
}

/// One VM's array read cache.
pub struct ArrayCache {
    epoch: Cell<u64>,
    /// Bumped wherever element getters may run (a live read of an array, a
    /// snapshot): a typed array's memory can move (detached, resized) only
    /// when some JS code runs.
    getter_runs: Cell<u64>,
    /// Least recently read live first.
    arrays: RefCell<Vec<Tracked>>,
    /// Most recently found last.
    views: RefCell<Vec<View>>,
    /// A snapshot buffer is bigger than `KEEP_LEN`.
    big: Cell<bool>,
}

impl Default for ArrayCache {
    fn default() -> Self {
        ArrayCache {
            epoch: Cell::new(1),
            getter_runs: Cell::new(0),
            arrays: RefCell::new(Vec::new()),
            views: RefCell::new(Vec::new()),
            big: Cell::new(false),
        }
    }
}

impl ArrayCache {
    /// JS code may run (or may have run): every snapshot is stale.
    #[inline(always)]
    pub fn js_may_run(&self) {
        self.epoch.set(self.epoch.get().wrapping_add(1));
    }

    /// Getters on array elements may run: typed-array views are stale.
    #[inline(always)]
    fn getters_may_run(&self) {
        self.getter_runs.set(self.getter_runs.get().wrapping_add(1));
    }

    /// `ta[i]` through a current view of the typed array of `host`: None
    /// when there is none, or for an element Lua cannot hold as such (a
    /// BigUint64 above 2^63 - 1: the general path throws its RangeError).
    #[inline(always)]
    fn view_read<'gc>(&self, host: u64, i: i64) -> Option<Value<'gc>> {
        let (epoch, runs) = (self.epoch.get(), self.getter_runs.get());
        let views = self.views.borrow();
        let v = views
            .iter()
            .rev()
            .find(|v| v.host == host && v.epoch == epoch && v.getter_runs == runs)?;
        // Out of range, a typed array reads undefined (no prototype lookup).
        let i = i.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        let Some(i) = i.filter(|i| *i < v.len) else {
            return Some(Value::Nil);
        };
        // SAFETY: `i` is within the view, whose memory stays put while no
        // JS code runs (`epoch`, `getter_runs`).
        unsafe { element(v.kind, v.data, i) }
    }

    /// Records where the typed array of `host` keeps its elements.
    fn install_view(&self, host: u64, kind: i32, data: *const u8, len: usize) {
        let mut views = self.views.borrow_mut();
        views.retain(|v| v.host != host);
        if views.len() == MAX_TRACKED {
            views.remove(0);
        }
        views.push(View {
            host,
            epoch: self.epoch.get(),
            getter_runs: self.getter_runs.get(),
            kind,
            data,
            len,
        });
    }

    /// `#a` (`key` None) or `a[key]` from a valid snapshot, if there is one
    /// and the index is within it.
    #[inline(always)]
    fn read<'gc>(&self, host: u64, key: Option<i64>) -> Option<Value<'gc>> {
        let epoch = self.epoch.get();
        let arrays = self.arrays.borrow();
        let t = arrays
            .iter()
            .rev()
            .find(|t| t.host == host && t.snap_epoch == epoch)?;
        let v = match key {
            None => Value::Integer(t.nums.len() as i64),
            Some(i) => number_to_lua(*t.nums.get(usize::try_from(i).ok()?.checked_sub(1)?)?),
        };
        t.served.set(t.served.get().saturating_add(1));
        Some(v)
    }

    /// Whether `host`'s object is known to be an array.
    fn known_array(&self, host: u64) -> bool {
        self.arrays.borrow().iter().any(|t| t.host == host)
    }

    /// Counts a live read of the array of proxy `host`; true when the run
    /// is long enough for a snapshot. `len` gives the array's length.
    fn count_read(&self, host: u64, len: impl FnOnce() -> Js<u32>) -> Js<bool> {
        let epoch = self.epoch.get();
        let mut arrays = self.arrays.borrow_mut();
        let i = match arrays.iter().position(|t| t.host == host) {
            Some(i) => i,
            None => {
                if arrays.len() == MAX_TRACKED {
                    arrays.remove(0);
                }
                arrays.push(Tracked {
                    host,
                    run_epoch: 0,
                    reads: 0,
                    needed: NEVER,
                    snap_epoch: 0,
                    nums: Vec::new(),
                    snap_len: 0,
                    served: Cell::new(0),
                });
                arrays.len() - 1
            }
        };
        let t = &mut arrays[i];
        if t.run_epoch != epoch {
            t.run_epoch = epoch;
            t.reads = 0;
            t.needed = FIRST_RUN;
        }
        t.reads = t.reads.saturating_add(1);
        if t.reads == FIRST_RUN {
            let n = len()? as usize;
            // A snapshot (now stale) that served as many reads as it has
            // elements: a loop over the whole array is likely again.
            let read_through = t.snap_epoch != 0 && t.served.get() as usize >= t.snap_len;
            t.needed = if n > MAX_LEN {
                NEVER
            } else if read_through {
                FIRST_RUN
            } else {
                FIRST_RUN.max((n as u32) / RUN_PER_ELEMENTS)
            };
        }
        let ready = t.reads >= t.needed && t.needed != NEVER;
        if ready {
            // Made now, or found impossible for this epoch (a snapshot
            // that fails keeps failing until JS runs).
            t.needed = NEVER;
        }
        // Most recently read last.
        let t = arrays.remove(i);
        arrays.push(t);
        Ok(ready)
    }

    /// Copies `nums` in as the snapshot of `host` for the current epoch.
    fn install(&self, host: u64, nums: &[f64]) {
        let epoch = self.epoch.get();
        let mut arrays = self.arrays.borrow_mut();
        if let Some(t) = arrays.iter_mut().find(|t| t.host == host) {
            t.snap_epoch = epoch;
            t.served.set(0);
            t.snap_len = nums.len();
            t.nums.clear();
            t.nums.extend_from_slice(nums);
            if t.nums.capacity() > KEEP_LEN {
                self.big.set(true);
            }
        }
    }

    /// At `close()`: everything is let go.
    pub fn clear(&self) {
        self.arrays.borrow_mut().clear();
        self.views.borrow_mut().clear();
    }

    /// After an outermost call: big buffers are let go.
    #[inline(always)]
    pub fn trim(&self) {
        if self.big.get() {
            self.free_big();
        }
    }

    #[cold]
    #[inline(never)]
    fn free_big(&self) {
        self.big.set(false);
        // Lua code may still run before the entry ends (finalizers in the
        // collection step): no snapshot stays valid without its numbers.
        self.js_may_run();
        for t in self.arrays.borrow_mut().iter_mut() {
            if t.nums.capacity() > KEEP_LEN {
                t.nums = Vec::new();
            }
        }
    }
}

/// The VM's shortcut for `proxy_index` (see `lunarena_vm::state::FastIndex`):
/// `a[key]` of the array of proxy `host` from a valid snapshot, for the VM
/// at `gaddr`, without a call.
pub fn fast_read(gaddr: usize, host: u64, key: i64) -> Option<HostNumber> {
    let vm = binding::innermost_vm()?;
    if vm.gaddr.get() != gaddr {
        return None;
    }
    match vm.arrays.read(host, Some(key))? {
        Value::Integer(n) => Some(HostNumber::Int(n)),
        Value::Number(x) => Some(HostNumber::Float(x)),
        _ => None,
    }
}

/// `a[i]` (`len` false) or `#a` on a proxy, when it is a JS array (`ta[i]`
/// for a typed array): the
/// result, or None for the general path (not an array, not an integer key,
/// an element that is a function, or not this VM's call).
#[inline(always)]
pub fn index<'gc>(ctx: &mut Ctx<'gc, '_>, len: bool) -> Option<RtResult<'gc, usize>> {
    let key = match (len, ctx.arg(1)) {
        (true, _) => None,
        (false, Value::Integer(i)) => Some(i),
        _ => return None,
    };
    let Value::UserData(ud) = ctx.arg(0) else {
        return None;
    };
    let host = ud.host_id()?;
    let vm = binding::innermost_vm()?;
    if vm.gaddr.get() != Gc::as_ptr(ctx.g) as *const () as usize {
        return None;
    }
    let cached = match (vm.arrays.read(host, key), key) {
        (Some(v), _) => Some(v),
        (None, Some(i)) => vm.arrays.view_read(host, i),
        (None, None) => None,
    };
    let v = match cached {
        Some(v) => v,
        None => match live(vm, ctx, host, key) {
            Ok(Some(v)) => v,
            Ok(None) => return None,
            Err(_) => {
                let cv = Cv::new(vm, ctx.mc, ctx.g);
                return Some(Err(crate::callback::exception_to_lua(&cv)));
            }
        },
    };
    ctx.push(v);
    Some(Ok(1))
}

/// The read through Node-API, counted toward a snapshot.
#[inline(never)]
fn live<'gc>(vm: &Vm, ctx: &Ctx<'gc, '_>, host: u64, key: Option<i64>) -> Js<Option<Value<'gc>>> {
    let cache = &vm.arrays;
    let env = vm.env;
    vm.call_scope(vm.ctxs.len());
    let cv = Cv::new(vm, ctx.mc, ctx.g);
    let obj = cv.import_value(binding::slot_of_host(host))?;
    if !cache.known_array(host) && !raw::is_array(env, obj)? {
        // `#ta` takes the general path: an own `length` may shadow the real one.
        return match key {
            Some(i) => typed(vm, host, obj, i),
            None => Ok(None),
        };
    }
    if cache.count_read(host, || raw::array_len(env, obj))? && snapshot(vm, host, obj)? {
        if let Some(v) = cache.read(host, key) {
            return Ok(Some(v));
        }
    }
    let i = match key {
        None => return Ok(Some(Value::Integer(raw::array_len(env, obj)? as i64))),
        // Past the end the read gives undefined (nil): no length check.
        Some(i) if i >= 1 && i <= u32::MAX as i64 => i,
        Some(_) => return Ok(Some(Value::Nil)),
    };
    cache.getters_may_run();
    let v = raw::get_element(env, obj, (i - 1) as u32)?;
    // Numbers, the commonest elements, with one Node-API call.
    if let Some(n) = raw::try_number(env, v) {
        return Ok(Some(number_to_lua(n)));
    }
    match raw::kind(env, v)? {
        // Functions read from objects are bound to them: the general path.
        raw::Kind::Function => Ok(None),
        raw::Kind::Object => {
            // Importing an object may run Proxy traps.
            cache.js_may_run();
            cv.to_lua(v).map(Some)
        }
        _ => cv.to_lua(v).map(Some),
    }
}

/// Asks the `arraySnapshot` helper for the array's numbers; true when it
/// gave them (all numbers, not too many) and they are installed.
fn snapshot(vm: &Vm, host: u64, obj: JsVal) -> Js<bool> {
    let env = vm.env;
    let f = vm.helpers.get(env, H::ArraySnapshot)?;
    vm.arrays.getters_may_run();
    let r = raw::call(env, raw::undefined(env), f, &[obj])?;
    match raw::get_f64s(env, r)? {
        Some(nums) if nums.len() <= MAX_LEN => {
            vm.arrays.install(host, nums);
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// `ta[i]` on a typed array: its view found, then read. None for any other
/// object (the general path).
fn typed<'gc>(vm: &Vm, host: u64, obj: JsVal, i: i64) -> Js<Option<Value<'gc>>> {
    let Some((kind, len, data)) = raw::typedarray_info(vm.env, obj)? else {
        return Ok(None);
    };
    vm.arrays.install_view(host, kind, data as *const u8, len);
    Ok(vm.arrays.view_read(host, i))
}

/// Element `i` of a typed array of kind `kind` whose elements start at
/// `data`, as the general path converts it; None when it has no Lua value
/// there (see `view_read`), or for a kind this does not know.
///
/// # Safety
/// `data` must point to at least `i + 1` elements of that kind.
unsafe fn element<'gc>(kind: i32, data: *const u8, i: usize) -> Option<Value<'gc>> {
    use napi::sys::TypedarrayType as T;
    unsafe fn at<E: Copy>(data: *const u8, i: usize) -> E {
        unsafe { (data as *const E).add(i).read_unaligned() }
    }
    let v = unsafe {
        match kind {
            T::int8_array => Value::Integer(at::<i8>(data, i) as i64),
            T::uint8_array | T::uint8_clamped_array => Value::Integer(at::<u8>(data, i) as i64),
            T::int16_array => Value::Integer(at::<i16>(data, i) as i64),
            T::uint16_array => Value::Integer(at::<u16>(data, i) as i64),
            T::int32_array => Value::Integer(at::<i32>(data, i) as i64),
            T::uint32_array => Value::Integer(at::<u32>(data, i) as i64),
            T::float32_array => number_to_lua(at::<f32>(data, i) as f64),
            T::float64_array => number_to_lua(at::<f64>(data, i)),
            T::bigint64_array => Value::Integer(at::<i64>(data, i)),
            T::biguint64_array => Value::Integer(i64::try_from(at::<u64>(data, i)).ok()?),
            _ => return None,
        }
    };
    Some(v)
}
