//! The table library (reference manual §6.6). Element access goes through
//! `__index`/`__newindex`/`__len` when the table has a metatable, with a raw
//! fast path otherwise.

use std::ops::Range;

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::state::{GlobalRef, Tm};
use crate::stdlib::new_lib;
use crate::table::Table;
use crate::value::Value;
use crate::vm::cont;
use crate::vm::ctx::Ctx;
use crate::vm::meta::{self, MetaCx};

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    new_lib(
        mc,
        g,
        "table",
        &[
            ("concat", concat),
            ("insert", insert),
            ("move", tmove),
            ("pack", pack),
            ("remove", remove),
            ("sort", sort),
            ("unpack", unpack),
        ],
    );
}

/// Work units charged to the host budget per batch of builtin steps.
const CHARGE_EVERY: i64 = 1024;

const TAB_R: u8 = 1;
const TAB_W: u8 = 2;
const TAB_L: u8 = 4;

/// A runtime error raised while a native function runs carries no position
/// (as `luaG_runerror` adds none when the running function is not Lua);
/// `luaL_error`-style errors (`RtError::msg` in natives) keep theirs.
pub(crate) fn in_native<'gc, T>(ctx: &Ctx<'gc, '_>, r: RtResult<'gc, T>) -> RtResult<'gc, T> {
    match r {
        Err(RtError::Message(m)) => Err(RtError::Value(ctx.str_value(m.as_bytes()))),
        r => r,
    }
}

fn mcx<'gc, 'b>(ctx: &'b mut Ctx<'gc, '_>) -> MetaCx<'gc, 'b> {
    MetaCx {
        mc: ctx.mc,
        g: ctx.g,
        th: ctx.th,
        ts: ctx.ts,
    }
}

/// A table argument, or a value whose metatable provides what is needed.
fn check_tab<'gc>(ctx: &Ctx<'gc, '_>, i: usize, what: u8) -> RtResult<'gc, ()> {
    let v = ctx.arg(i);
    if matches!(v, Value::Table(_)) {
        return Ok(());
    }
    if let Some(m) = meta::metatable(ctx.g, v) {
        let mb = m.borrow();
        let has = |tm: Tm| !mb.get_str(ctx.g.tm_name(tm)).is_nil();
        if (what & TAB_R == 0 || has(Tm::Index))
            && (what & TAB_W == 0 || has(Tm::NewIndex))
            && (what & TAB_L == 0 || has(Tm::Len))
        {
            return Ok(());
        }
    }
    Err(ctx.expect_type(i, "table"))
}

/// Raw table when no metamethod can intervene.
#[inline]
fn raw_table(v: Value<'_>) -> Option<Table<'_>> {
    match v {
        Value::Table(t) if t.metatable().is_none() => Some(t),
        _ => None,
    }
}

/// `lua_geti`.
pub fn geti<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>, i: i64) -> RtResult<'gc, Value<'gc>> {
    if let Some(tb) = raw_table(t) {
        return Ok(tb.get_int(i));
    }
    let r = mcx(ctx).index(t, Value::Integer(i), &crate::vm::meta::no_name);
    in_native(ctx, r)
}

/// `lua_seti`.
pub fn seti<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    i: i64,
    v: Value<'gc>,
) -> RtResult<'gc, ()> {
    if let Some(tb) = raw_table(t) {
        tb.borrow_mut(ctx.mc).set_int(i, v);
        return Ok(());
    }
    let r = mcx(ctx).set_index(t, Value::Integer(i), v, &crate::vm::meta::no_name);
    in_native(ctx, r)
}

/// `luaL_len`: the length, which must be an integer.
pub fn len_of<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>) -> RtResult<'gc, i64> {
    if let Some(tb) = raw_table(t) {
        return Ok(tb.length());
    }
    let r = mcx(ctx).len(t, &crate::vm::meta::no_name);
    let l = in_native(ctx, r)?;
    use crate::vm::convert::{str_to_number, Number};
    let n = match l {
        Value::Integer(n) => Some(n),
        Value::Number(f) => crate::vm::arith::float_to_int_exact(f),
        Value::String(s) => match str_to_number(s.as_bytes()) {
            Some(Number::Int(n)) => Some(n),
            Some(Number::Float(f)) => crate::vm::arith::float_to_int_exact(f),
            None => None,
        },
        _ => None,
    };
    n.ok_or_else(|| RtError::msg("object length is not an integer"))
}

fn aux_getn<'gc>(ctx: &mut Ctx<'gc, '_>, i: usize, what: u8) -> RtResult<'gc, i64> {
    check_tab(ctx, i, what | TAB_L)?;
    let t = ctx.arg(i);
    len_of(ctx, t)
}

fn charge<'gc>(ctx: &Ctx<'gc, '_>, work: i64) -> RtResult<'gc, ()> {
    ctx.g.budget.0.charge(work).map_err(RtError::Limit)
}

/// Copies `t[src]` to the keys from `dst` on, as one slice copy, when `t`
/// is a table without metatable whose array part holds all those keys (no
/// metamethod can then observe the moves one by one); false otherwise.
fn move_in_array<'gc>(ctx: &Ctx<'gc, '_>, t: Value<'gc>, src: Range<i64>, dst: i64) -> bool {
    let Value::Table(tb) = t else {
        return false;
    };
    if tb.metatable().is_some() {
        return false;
    }
    let len = tb.0.borrow().array_len() as i64;
    let last = dst + (src.end - src.start);
    if src.start < 1 || dst < 1 || src.end > len + 1 || last > len + 1 {
        return false;
    }
    let (from, to) = ((src.start - 1) as usize..(src.end - 1) as usize, dst - 1);
    tb.borrow_mut(ctx.mc).array_copy_within(from, to as usize);
    true
}

fn insert<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let e = aux_getn(&mut ctx, 0, TAB_R | TAB_W)?.wrapping_add(1);
    let t = ctx.arg(0);
    let pos = match ctx.nargs {
        2 => e,
        3 => {
            let pos = ctx.check_integer(1)?;
            if (pos as u64).wrapping_sub(1) >= e as u64 {
                return Err(RtError::bad_arg(2, "position out of bounds"));
            }
            let mut i = e;
            if i > pos + 1 {
                // The first move may grow the array part; the others then
                // stay inside it.
                let v = geti(&mut ctx, t, i - 1)?;
                seti(&mut ctx, t, i, v)?;
                if move_in_array(&ctx, t, pos..i - 1, pos + 1) {
                    charge(&ctx, (e - pos) / CHARGE_EVERY * CHARGE_EVERY)?;
                    i = pos;
                } else {
                    i -= 1;
                }
            }
            while i > pos {
                let v = geti(&mut ctx, t, i - 1)?;
                seti(&mut ctx, t, i, v)?;
                i -= 1;
                if (e - i) % CHARGE_EVERY == 0 {
                    charge(&ctx, CHARGE_EVERY)?;
                }
            }
            pos
        }
        _ => return Err(RtError::msg("wrong number of arguments to 'insert'")),
    };
    let v = ctx.arg(ctx.nargs - 1);
    seti(&mut ctx, t, pos, v)?;
    Ok(0)
}

fn remove<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let size = aux_getn(&mut ctx, 0, TAB_R | TAB_W)?;
    let t = ctx.arg(0);
    let mut pos = ctx.opt_integer(1, size)?;
    if pos != size && (pos as u64).wrapping_sub(1) > size as u64 {
        return Err(RtError::bad_arg(1, "position out of bounds"));
    }
    let result = geti(&mut ctx, t, pos)?;
    let mut steps = 0i64;
    if pos < size && move_in_array(&ctx, t, pos + 1..size + 1, pos) {
        charge(&ctx, (size - pos) / CHARGE_EVERY * CHARGE_EVERY)?;
        pos = size;
    }
    while pos < size {
        let v = geti(&mut ctx, t, pos + 1)?;
        seti(&mut ctx, t, pos, v)?;
        pos += 1;
        steps += 1;
        if steps % CHARGE_EVERY == 0 {
            charge(&ctx, CHARGE_EVERY)?;
        }
    }
    seti(&mut ctx, t, pos, Value::Nil)?;
    ctx.ret(result)
}

fn tmove<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = ctx.check_integer(1)?;
    let e = ctx.check_integer(2)?;
    let t = ctx.check_integer(3)?;
    let tt = if ctx.arg(4).is_nil() { 0 } else { 4 };
    check_tab(&ctx, 0, TAB_R)?;
    check_tab(&ctx, tt, TAB_W)?;
    let src = ctx.arg(0);
    let dst = ctx.arg(tt);
    if e >= f {
        if !(f > 0 || e < i64::MAX.wrapping_add(f)) {
            return Err(RtError::bad_arg(3, "too many elements to move"));
        }
        let n = e - f + 1;
        if t > i64::MAX - n + 1 {
            return Err(RtError::bad_arg(4, "destination wrap around"));
        }
        let same = tt == 0 || {
            let r = mcx(&mut ctx).equals(src, dst);
            in_native(&ctx, r)?
        };
        if t > e || t <= f || !same {
            let mut i = 0;
            while i < n {
                let v = geti(&mut ctx, src, f + i)?;
                seti(&mut ctx, dst, t + i, v)?;
                i += 1;
                if i % CHARGE_EVERY == 0 {
                    charge(&ctx, CHARGE_EVERY)?;
                }
            }
        } else {
            let mut i = n - 1;
            while i >= 0 {
                let v = geti(&mut ctx, src, f + i)?;
                seti(&mut ctx, dst, t + i, v)?;
                if i % CHARGE_EVERY == 0 {
                    charge(&ctx, CHARGE_EVERY)?;
                }
                i -= 1;
            }
        }
    }
    ctx.ret(dst)
}

fn pack<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let n = ctx.nargs;
    charge(&ctx, n as i64)?;
    let t = Table::with_capacity(ctx.mc, n, 1);
    // All in the array part, nils included (`#` then sees them as PUC does).
    t.borrow_mut(ctx.mc).set_list(0, ctx.args());
    let key = ctx.str_value(b"n");
    let _ = t.set(ctx.mc, key, Value::Integer(n as i64));
    ctx.ret(Value::Table(t))
}

fn unpack<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let t = ctx.arg(0);
    let i = ctx.opt_integer(1, 1)?;
    let e = if ctx.arg(2).is_nil() {
        len_of(&mut ctx, t)?
    } else {
        ctx.check_integer(2)?
    };
    if i > e {
        return Ok(0);
    }
    let n = (e as u64).wrapping_sub(i as u64);
    let room = crate::vm::budget::MAX_STACK.saturating_sub(ctx.ts.top + 64) as u64;
    if n >= i32::MAX as u64 || n >= room {
        return Err(RtError::msg("too many results to unpack"));
    }
    let n = n as usize + 1;
    charge(&ctx, n as i64)?;
    if let Some(tb) = raw_table(t) {
        let tb = tb.borrow();
        for k in 0..n {
            let v = tb.get_int(i.wrapping_add(k as i64));
            crate::vm::ctx::push(ctx.ts, v);
        }
        return Ok(n);
    }
    let mut vals = Vec::with_capacity(n);
    for k in 0..n {
        vals.push(geti(&mut ctx, t, i.wrapping_add(k as i64))?);
    }
    for v in vals {
        ctx.push(v);
    }
    Ok(n)
}

fn concat<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let last = aux_getn(&mut ctx, 0, TAB_R)?;
    let t = ctx.arg(0);
    let sep = ctx.opt_string(1)?;
    let sep: &[u8] = sep.map(|s| s.as_bytes()).unwrap_or(b"");
    let mut i = ctx.opt_integer(2, 1)?;
    let last = ctx.opt_integer(3, last)?;
    let mut out = Vec::new();
    let mut steps = 0i64;
    loop {
        if i > last {
            break;
        }
        let v = geti(&mut ctx, t, i)?;
        match v {
            Value::String(s) => out.extend_from_slice(s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => meta::number_to_bytes(v, &mut out),
            _ => {
                return Err(RtError::msg(format!(
                    "invalid value ({}) at index {} in table for 'concat'",
                    v.type_name(),
                    i
                )))
            }
        }
        if i == last {
            break;
        }
        out.extend_from_slice(sep);
        i += 1;
        steps += 1;
        if steps % CHARGE_EVERY == 0 {
            charge(&ctx, CHARGE_EVERY)?;
        }
    }
    let s = Value::String(ctx.intern_vec(out));
    ctx.ret(s)
}

// ---- sort: quicksort with a median-of-three pivot, as in Lua 5.4 ----
//
// Written as a state machine that stops at each call of the order
// function, which runs as a normal call (`Ctx::call_then`): it may await
// the host. The comparisons happen in the order of PUC-Rio's recursive
// version (the smaller part first, the larger one waiting on a stack).

/// Intervals at least this long get a randomized pivot once partitions
/// turn out badly unbalanced.
const RANLIMIT: u64 = 100;

/// Where the sort stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Start sorting `lo..=up` (or take the next waiting interval).
    Interval,
    /// Compared a[up] < a[lo].
    Ends,
    /// Compared a[p] < a[lo].
    PivotLo,
    /// Compared a[up] < a[p].
    PivotUp,
    /// Median of three in place: start partitioning.
    Partition,
    /// Next i: compare a[i] < pivot.
    NextI,
    /// Compared a[i] < pivot.
    LessI,
    /// Next j: compare pivot < a[j].
    NextJ,
    /// Compared pivot < a[j].
    LessJ,
    /// Partitioned around `p`: sort both parts.
    Split,
}

const STEPS: [Step; 10] = [
    Step::Interval,
    Step::Ends,
    Step::PivotLo,
    Step::PivotUp,
    Step::Partition,
    Step::NextI,
    Step::LessI,
    Step::NextJ,
    Step::LessJ,
    Step::Split,
];

struct QuickSort<'gc> {
    t: Value<'gc>,
    cmp: Value<'gc>,
    step: Step,
    lo: u64,
    up: u64,
    rnd: u64,
    p: u64,
    i: u64,
    j: u64,
    /// Comparisons since work was last charged.
    work: i64,
    pivot: Value<'gc>,
    a_i: Value<'gc>,
    /// The operands of the pending comparison.
    x: Value<'gc>,
    y: Value<'gc>,
    /// Intervals waiting: (lo, up, rnd).
    waiting: Vec<(u64, u64, u64)>,
}

/// Values of the state after sort's two arguments (the last one holds
/// the waiting intervals).
const SORT_SLOTS: usize = 13;

impl<'gc> QuickSort<'gc> {
    fn get(&self, ctx: &mut Ctx<'gc, '_>, i: u64) -> RtResult<'gc, Value<'gc>> {
        geti(ctx, self.t, i as i64)
    }

    fn swap_set(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        i: u64,
        vi: Value<'gc>,
        j: u64,
        vj: Value<'gc>,
    ) -> RtResult<'gc, ()> {
        seti(ctx, self.t, i as i64, vi)?;
        seti(ctx, self.t, j as i64, vj)
    }

    /// Runs until sorted (`None`) or, in an async call, until a function
    /// (the order function, or an `__lt` metamethod) must be called on two
    /// values. `answer` is the result of the last call.
    fn run(
        &mut self,
        ctx: &mut Ctx<'gc, '_>,
        mut answer: bool,
    ) -> RtResult<'gc, Option<(Value<'gc>, Value<'gc>, Value<'gc>)>> {
        let invalid = || RtError::msg("invalid order function for sorting");
        loop {
            // Each step either goes on to another one, or compares x < y
            // and goes on with the answer.
            let (next, x, y) = match self.step {
                Step::Interval => {
                    if self.lo >= self.up {
                        let Some((lo, up, rnd)) = self.waiting.pop() else {
                            return Ok(None);
                        };
                        (self.lo, self.up, self.rnd) = (lo, up, rnd);
                        continue;
                    }
                    let a_lo = self.get(ctx, self.lo)?;
                    let a_up = self.get(ctx, self.up)?;
                    (Step::Ends, a_up, a_lo)
                }
                Step::Ends => {
                    if answer {
                        self.swap_set(ctx, self.lo, self.x, self.up, self.y)?;
                    }
                    if self.up - self.lo == 1 {
                        self.finish_interval();
                        continue;
                    }
                    let (lo, up) = (self.lo, self.up);
                    self.p = if up - lo < RANLIMIT || self.rnd == 0 {
                        lo + (up - lo) / 2
                    } else {
                        let r4 = (up - lo) / 4;
                        self.rnd % (r4 * 2) + (lo + r4)
                    };
                    let a_p = self.get(ctx, self.p)?;
                    let a_lo = self.get(ctx, lo)?;
                    (Step::PivotLo, a_p, a_lo)
                }
                Step::PivotLo => {
                    if answer {
                        self.swap_set(ctx, self.p, self.y, self.lo, self.x)?;
                        self.step = Step::Partition;
                        continue;
                    }
                    let a_up = self.get(ctx, self.up)?;
                    (Step::PivotUp, a_up, self.x)
                }
                Step::PivotUp => {
                    if answer {
                        self.swap_set(ctx, self.p, self.x, self.up, self.y)?;
                    }
                    self.step = Step::Partition;
                    continue;
                }
                Step::Partition => {
                    if self.up - self.lo == 2 {
                        self.finish_interval();
                        continue;
                    }
                    let (p, up) = (self.p, self.up);
                    self.pivot = self.get(ctx, p)?;
                    let a_up1 = self.get(ctx, up - 1)?;
                    self.swap_set(ctx, p, a_up1, up - 1, self.pivot)?;
                    (self.i, self.j) = (self.lo, up - 1);
                    self.step = Step::NextI;
                    continue;
                }
                Step::NextI => {
                    self.i += 1;
                    self.a_i = self.get(ctx, self.i)?;
                    (Step::LessI, self.a_i, self.pivot)
                }
                Step::LessI => {
                    if answer {
                        if self.i == self.up - 1 {
                            return Err(invalid());
                        }
                        self.step = Step::NextI;
                    } else {
                        self.step = Step::NextJ;
                    }
                    continue;
                }
                Step::NextJ => {
                    self.j -= 1;
                    let a_j = self.get(ctx, self.j)?;
                    (Step::LessJ, self.pivot, a_j)
                }
                Step::LessJ => {
                    let (i, j, a_j) = (self.i, self.j, self.y);
                    if answer {
                        if j < i {
                            return Err(invalid());
                        }
                        self.step = Step::NextJ;
                    } else if j < i {
                        let a_up1 = self.get(ctx, self.up - 1)?;
                        self.swap_set(ctx, self.up - 1, self.a_i, i, a_up1)?;
                        self.p = i;
                        self.step = Step::Split;
                    } else {
                        self.swap_set(ctx, i, a_j, j, self.a_i)?;
                        self.step = Step::NextI;
                    }
                    continue;
                }
                Step::Split => {
                    // The smaller part now, the larger one later (with a
                    // random pivot if the parts are badly unbalanced).
                    let (lo, up, p) = (self.lo, self.up, self.p);
                    let (small, large, n) = if p - lo < up - p {
                        ((lo, p - 1), (p + 1, up), p - lo)
                    } else {
                        ((p + 1, up), (lo, p - 1), up - p)
                    };
                    let mut rnd = self.rnd;
                    if large.1.wrapping_sub(large.0) / 128 > n && large.1 > large.0 {
                        rnd = random_pivot_seed();
                    }
                    self.waiting.push((large.0, large.1, rnd));
                    (self.lo, self.up) = small;
                    self.step = Step::Interval;
                    continue;
                }
            };
            self.step = next;
            (self.x, self.y) = (x, y);
            self.work += 1;
            if self.work >= CHARGE_EVERY {
                self.work = 0;
                charge(ctx, CHARGE_EVERY)?;
            }
            let f = if !self.cmp.is_nil() {
                self.cmp
            } else if let Some(r) = crate::vm::arith::num_lt(x, y) {
                answer = r;
                continue;
            } else {
                match lt_metamethod(ctx, x, y) {
                    Some(f) => f,
                    None => {
                        let r = mcx(ctx).compare(x, y, false);
                        answer = in_native(ctx, r)?;
                        continue;
                    }
                }
            };
            if ctx.g.budget.0.async_call.get() {
                return Ok(Some((f, x, y)));
            }
            // Faster, but the function cannot await.
            answer = ctx.call1(f, &[x, y])?.is_truthy();
        }
    }

    /// This interval is sorted: go on with the next waiting one.
    fn finish_interval(&mut self) {
        self.lo = self.up;
        self.step = Step::Interval;
    }

    /// Keeps the state on sort's stack, after its two arguments; `held` is
    /// the holder of the waiting intervals from the last run, if any.
    fn save(self, ctx: &mut Ctx<'gc, '_>, held: Value<'gc>) {
        ctx.set_args(2);
        let int = |n: u64| Value::Integer(n as i64);
        let step = STEPS.iter().position(|&s| s == self.step).unwrap_or(0);
        let waiting = cont::stash(ctx.mc, held, self.waiting);
        for v in [
            int(self.lo),
            int(self.up),
            int(self.rnd),
            int(self.p),
            int(self.i),
            int(self.j),
            int(step as u64),
            Value::Integer(self.work),
            self.pivot,
            self.a_i,
            self.x,
            self.y,
            waiting,
        ] {
            ctx.push(v);
        }
    }

    /// The state `save` kept (the order function's answer follows it).
    fn restore(ctx: &Ctx<'gc, '_>) -> RtResult<'gc, QuickSort<'gc>> {
        if ctx.nargs != 2 + SORT_SLOTS + 1 {
            return Err(RtError::msg("internal error: bad sort state"));
        }
        let int = |i: usize| match ctx.arg(i) {
            Value::Integer(n) => n as u64,
            _ => 0,
        };
        Ok(QuickSort {
            t: ctx.arg(0),
            cmp: ctx.arg(1),
            lo: int(2),
            up: int(3),
            rnd: int(4),
            p: int(5),
            i: int(6),
            j: int(7),
            step: STEPS
                .get(int(8) as usize)
                .copied()
                .unwrap_or(Step::Interval),
            work: int(9) as i64,
            pivot: ctx.arg(10),
            a_i: ctx.arg(11),
            x: ctx.arg(12),
            y: ctx.arg(13),
            waiting: cont::take(ctx.arg(14)),
        })
    }
}

/// The `__lt` metamethod that orders two values that are neither both
/// numbers nor both strings.
fn lt_metamethod<'gc>(ctx: &Ctx<'gc, '_>, x: Value<'gc>, y: Value<'gc>) -> Option<Value<'gc>> {
    if matches!((x, y), (Value::String(_), Value::String(_))) {
        return None;
    }
    let f = match meta::get_tm(ctx.g, x, Tm::Lt) {
        Value::Nil => meta::get_tm(ctx.g, y, Tm::Lt),
        f => f,
    };
    (!f.is_nil()).then_some(f)
}

fn random_pivot_seed() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() ^ d.subsec_nanos() as u64).max(1)
}

fn sort<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let resumed = ctx.resumed();
    let (mut qs, answer) = if resumed {
        let answer = ctx.arg(ctx.nargs - 1).is_truthy();
        (QuickSort::restore(&ctx)?, answer)
    } else {
        let n = aux_getn(&mut ctx, 0, TAB_R | TAB_W)?;
        if n <= 1 {
            return Ok(0);
        }
        if n >= i32::MAX as i64 {
            return Err(RtError::bad_arg(1, "array too big"));
        }
        let cmp = ctx.arg(1);
        if !cmp.is_nil() && !matches!(cmp, Value::Function(_)) {
            return Err(ctx.expect_type(1, "function"));
        }
        let qs = QuickSort {
            t: ctx.arg(0),
            cmp,
            step: Step::Interval,
            lo: 1,
            up: n as u64,
            rnd: 0,
            p: 0,
            i: 0,
            j: 0,
            work: 0,
            pivot: Value::Nil,
            a_i: Value::Nil,
            x: Value::Nil,
            y: Value::Nil,
            waiting: Vec::new(),
        };
        (qs, false)
    };
    match qs.run(&mut ctx, answer)? {
        None => Ok(0),
        Some((f, x, y)) => {
            let held = if resumed { ctx.arg(14) } else { Value::Nil };
            qs.save(&mut ctx, held);
            ctx.call_then(f, &[x, y], 1)
        }
    }
}
