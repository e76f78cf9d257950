//! Debug hooks (`debug.sethook`): call, return, line and count events,
//! per thread as in Lua 5.4.
//!
//! The interpreter has two instantiations (`execute::<HOOKED>`): the plain
//! one never looks at hooks, except to leave (`Exit::Rehook`) when a native
//! call turned them on; the hooked one reports events. `run` picks one per
//! slice. The hook functions live in the registry table `_HOOKKEY` (weak
//! keys: threads), as the reference implementation keeps them; a thread's
//! state only holds the event mask and the count.
//!
//! `pcall`, `xpcall`, `resume` and wrap functions are control transfers
//! here, not native calls, but report their call and return events as the
//! natives they are in PUC-Rio. A protected call's return hook may fail,
//! so it runs from the interpreter: `deliver` leaves the returned marker on
//! top (`RETURNED`), and `exec::cold::resume_frame` runs the hook and
//! delivers its results.
//! As in PUC-Rio, the instructions of a running hook count toward the
//! count hook (which does not fire while it runs).

use crate::compiler::opcode::OpCode;
use crate::error::RtResult;
use crate::state::Global;
use crate::table::Table;
use crate::thread::ThreadState;
use crate::value::Value;
use crate::vm::exec::{execute, Exec, Exit};

pub const MASK_CALL: u8 = 1;
pub const MASK_RET: u8 = 2;
pub const MASK_LINE: u8 = 4;
pub const MASK_COUNT: u8 = 8;

/// The registry field holding the hook functions, keyed by thread.
const HOOK_KEY: &[u8] = b"_HOOKKEY";

/// A thread's hook settings and the bookkeeping of line events.
#[derive(Default)]
pub struct HookState {
    /// Events hooked (`MASK_*`); 0 when no hook is set.
    mask: u8,
    /// A hook is set and none is running on this thread, or a count hook
    /// is set (it counts the instructions of hooks too): the interpreter
    /// must run its hooked variant.
    pub live: bool,
    /// The count of a count hook (`debug.sethook`'s third argument).
    base_count: u32,
    count_left: u32,
    /// The last instruction traced: (frame index, pc). A new line event
    /// fires when the next instruction of that frame is on another line or
    /// jumps back.
    last: (usize, usize),
    /// The frame whose hook is running (its callee is the hook function).
    pub running: Option<usize>,
    /// Values a call or return hook of frame `.0` can inspect: the first
    /// local index and the count (`getinfo` fields `ftransfer`, `ntransfer`).
    transfer: Option<(usize, usize, usize)>,
}

impl HookState {
    pub fn mask(&self) -> u8 {
        self.mask
    }

    pub fn count(&self) -> u32 {
        self.base_count
    }

    /// Sets the events and count; a mask of 0 removes the hook.
    pub fn set(&mut self, mask: u8, count: u32) {
        self.mask = mask;
        self.base_count = count;
        self.count_left = count;
        self.refresh();
    }

    /// Marks `pc` of frame `fi` as traced: the instruction after it starts
    /// no new line unless its line differs (set by `debug.sethook` to its call).
    pub fn set_last(&mut self, fi: usize, pc: usize) {
        self.last = (fi, pc);
    }

    fn refresh(&mut self) {
        self.live = self.mask != 0 && (self.running.is_none() || self.mask & MASK_COUNT != 0);
    }
}

/// A protected call's marker frame keeps `RETURNED + n` in its pc once it
/// returned `n` results (at its function slot, up to the top) and waits
/// for its return hook; markers otherwise keep pc 0.
pub const RETURNED: usize = 1;

/// A return hook is due for a function returning on this thread now.
pub fn wants_return(h: &HookState) -> bool {
    h.live && h.mask & MASK_RET != 0 && h.running.is_none()
}

/// Runs a slice of the thread: the hooked interpreter when its hooks are live.
pub fn run<'gc>(ex: &mut Exec<'gc, '_>, pending: Option<crate::error::RtError<'gc>>) -> Exit<'gc> {
    if ex.ts.hook.live {
        execute::<true>(ex, pending)
    } else {
        execute::<false>(ex, pending)
    }
}

/// The registry table of hook functions, created on first use.
pub fn hook_table<'gc>(
    mc: &gc_arena::Mutation<'gc>,
    g: crate::state::GlobalRef<'gc>,
) -> Table<'gc> {
    let key = Value::String(Global::intern(g, mc, HOOK_KEY));
    if let Value::Table(t) = g.registry.borrow().get(key) {
        return t;
    }
    let t = Table::new(mc);
    let meta = Table::new(mc);
    let mode = Value::String(Global::intern(g, mc, b"__mode"));
    let k = Value::String(Global::intern(g, mc, b"k"));
    let _ = meta.set(mc, mode, k);
    crate::stdlib::base::set_table_metatable(mc, g, t, Some(meta));
    let _ = g.registry.set(mc, key, Value::Table(t));
    t
}

/// The hook function set for the running thread, if any.
fn hook_function<'gc>(ex: &Exec<'gc, '_>) -> Option<Value<'gc>> {
    let key = Value::String(Global::intern(ex.g, ex.mc, HOOK_KEY));
    let Value::Table(t) = ex.g.registry.borrow().get(key) else {
        return None;
    };
    let f = t.borrow().get(Value::Thread(ex.th));
    matches!(f, Value::Function(_)).then_some(f)
}

/// Calls the hook with `event` and the line (nil but for line events) while frame
/// `fi` (the top frame) is the hooked function. No hooks fire while it runs;
/// it may not yield. Its errors propagate from the hooked code.
fn call_hook<'gc>(
    ex: &mut Exec<'gc, '_>,
    event: &[u8],
    line: Option<Value<'gc>>,
    fi: usize,
) -> RtResult<'gc, ()> {
    let Some(f) = hook_function(ex) else {
        return Ok(());
    };
    let ev = Value::String(Global::intern(ex.g, ex.mc, event));
    let args = [ev, line.unwrap_or(Value::Nil)];
    let save_top = ex.ts.top;
    ex.ts.hook.running = Some(fi);
    ex.ts.hook.refresh();
    let r = crate::vm::level::call_nested_noyield(ex.mc, ex.g, ex.th, ex.ts, f, &args);
    ex.ts.hook.running = None;
    ex.ts.hook.transfer = None;
    ex.ts.hook.refresh();
    ex.ts.top = save_top;
    r.map(|_| ())
}

/// A Lua function starts (its frame `fi` is on top, at pc 0): the call hook
/// ("tail call" for a tail call). Returns the pc to start at: a vararg
/// function's first instruction (VARARGPREP, which does nothing here) is
/// skipped, as the reference implementation reports nothing for it.
pub fn enter_lua<'gc>(ex: &mut Exec<'gc, '_>, fi: usize) -> RtResult<'gc, usize> {
    let Some(p) = crate::vm::debug::frame_proto(ex.ts, fi) else {
        return Ok(0);
    };
    let start = usize::from(p.is_vararg);
    if ex.ts.hook.running.is_some() {
        return Ok(start);
    }
    if ex.ts.hook.mask & MASK_CALL != 0 {
        let frame = ex.ts.frames[fi];
        let event: &[u8] = if frame.tail { b"tail call" } else { b"call" };
        ex.ts.hook.transfer = Some((fi, 1, p.num_params as usize));
        // The hooked function's current line is that of its first instruction.
        ex.ts.frames[fi].pc = start + 1;
        let r = call_hook(ex, event, None, fi);
        ex.ts.frames[fi].pc = start;
        r?;
    }
    ex.ts.hook.last = (fi, start);
    Ok(start)
}

/// Before the instruction at `pc` of the Lua frame `fi` (on top): the count
/// and line hooks.
pub fn trace<'gc>(ex: &mut Exec<'gc, '_>, fi: usize, pc: usize) -> RtResult<'gc, ()> {
    let Some(p) = crate::vm::debug::frame_proto(ex.ts, fi) else {
        return Ok(());
    };
    let h = &mut ex.ts.hook;
    if h.running.is_some() {
        // Inside a hook: only counted.
        h.count_left = h.count_left.saturating_sub(1);
        if h.count_left == 0 {
            h.count_left = h.base_count;
        }
        return Ok(());
    }
    let last = h.last;
    // Instructions the reference implementation runs as part of the one
    // before: TFORLOOP after TFORCALL, and the first TFORCALL after
    // TFORPREP. They are not traced.
    let op_at = |i: usize| p.code.get(i).map(|i| i.op());
    match op_at(pc) {
        Some(OpCode::TForLoop) => return Ok(()),
        Some(OpCode::TForCall) if last.0 == fi && op_at(last.1) == Some(OpCode::TForPrep) => {
            return Ok(())
        }
        _ => {}
    }
    h.last = (fi, pc);
    let mut count_event = false;
    if h.mask & MASK_COUNT != 0 {
        h.count_left = h.count_left.saturating_sub(1);
        if h.count_left == 0 {
            h.count_left = h.base_count;
            count_event = true;
        }
    }
    let mut line_event = None;
    if h.mask & MASK_LINE != 0 {
        // Back from a call (deeper frames ran): the last instruction of this
        // frame was the one before `pc`.
        let old = if last.0 == fi {
            last.1
        } else {
            pc.saturating_sub(1)
        };
        let old = if old < p.code.len() { old } else { 0 };
        let line = |i: usize| p.line_info.get(i).copied();
        // Code without line information reports a nil line, and only on
        // entry and backward jumps. After a count event the line event
        // fires too, as in the reference implementation (where the count
        // hook's return resets the last traced instruction).
        if count_event || pc <= old || line(old) != line(pc) {
            line_event = Some(line(pc).map_or(Value::Nil, |l| Value::Integer(l.into())));
        }
    }
    if !count_event && line_event.is_none() {
        return Ok(());
    }
    // The hooked function is at the instruction about to run.
    let save_pc = ex.ts.frames[fi].pc;
    ex.ts.frames[fi].pc = pc + 1;
    let mut r = Ok(());
    if count_event {
        r = call_hook(ex, b"count", None, fi);
    }
    if let (Ok(()), Some(l)) = (&r, line_event) {
        r = call_hook(ex, b"line", Some(l), fi);
    }
    if r.is_ok() {
        ex.ts.frames[fi].pc = save_pc;
        // A hook that ran code on this thread moved `last`.
        ex.ts.hook.last = (fi, pc);
    }
    r
}

/// The function of the top frame `fi` returns `n` values from stack slot
/// `first`: the return hook.
pub fn leave<'gc>(ex: &mut Exec<'gc, '_>, fi: usize, first: usize, n: usize) -> RtResult<'gc, ()> {
    let h = &ex.ts.hook;
    if h.mask & MASK_RET == 0 || !h.live || h.running.is_some() {
        return Ok(());
    }
    let base = ex.ts.frames[fi].base;
    ex.ts.hook.transfer = Some((fi, (first + 1).saturating_sub(base), n));
    let save_top = ex.ts.top;
    ex.ts.top = ex.ts.top.max(first + n);
    let r = call_hook(ex, b"return", None, fi);
    ex.ts.top = save_top;
    r
}

/// A native function starts with `nargs` arguments (its frame is on top):
/// the call hook.
pub fn enter_native<'gc>(ex: &mut Exec<'gc, '_>, nargs: usize) -> RtResult<'gc, ()> {
    if ex.ts.hook.mask & MASK_CALL == 0 || ex.ts.hook.running.is_some() {
        return Ok(());
    }
    let fi = ex.ts.frames.len() - 1;
    ex.ts.hook.transfer = Some((fi, 1, nargs));
    call_hook(ex, b"call", None, fi)
}

/// A native function on top returns its `n` results at the top of the stack.
pub fn leave_native<'gc>(ex: &mut Exec<'gc, '_>, n: usize) -> RtResult<'gc, ()> {
    let fi = ex.ts.frames.len() - 1;
    let first = ex.ts.top - n;
    leave(ex, fi, first, n)
}

/// `ftransfer` and `ntransfer` of frame `fi` (0, 0 outside its hooks).
pub fn transfer_info(ts: &ThreadState<'_>, fi: usize) -> (usize, usize) {
    match ts.hook.transfer {
        Some((f, first, n)) if f == fi => (first, n),
        _ => (0, 0),
    }
}
