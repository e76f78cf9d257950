//! `table.sort`: PUC-Rio Lua's quicksort. Each interval gets a median of
//! three pivot (a randomized one, once partitions turned out badly
//! unbalanced); the smaller part is sorted first while the larger one
//! waits. The comparisons come in the same order as in PUC-Rio Lua.
//!
//! The algorithm has two forms. `Direct` calls the order function on the
//! spot, as a nested call: the fast form, used unless the host call is
//! async. `QuickSort` is a state machine that stops at each call of the
//! order function, which runs as a normal call (`Ctx::call_then`) so the
//! host can await inside it.

use crate::error::{RtError, RtResult};
use crate::state::Tm;
use crate::value::Value;
use crate::vm::cont;
use crate::vm::ctx::Ctx;
use crate::vm::meta;
use crate::vm::prepared::PreparedCall;

use super::{
    aux_getn, charge, geti, geti_meta, in_native, mcx, raw_geti, raw_seti, seti, seti_meta,
    CHARGE_EVERY, TAB_R, TAB_W,
};

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

    /// Runs until sorted (`None`) or until a function (the order
    /// function, or an `__lt` metamethod) must be called on two values.
    /// `answer` is the result of the last call.
    fn run(
        &mut self,
        ctx: &mut Ctx<'gc, '_>,
        mut answer: bool,
    ) -> RtResult<'gc, Option<(Value<'gc>, Value<'gc>, Value<'gc>)>> {
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
                        set2(ctx, self.t, (self.lo, self.x), (self.up, self.y))?;
                    }
                    if self.up - self.lo == 1 {
                        self.finish_interval();
                        continue;
                    }
                    self.p = choose_pivot(self.lo, self.up, self.rnd);
                    let a_p = self.get(ctx, self.p)?;
                    let a_lo = self.get(ctx, self.lo)?;
                    (Step::PivotLo, a_p, a_lo)
                }
                Step::PivotLo => {
                    if answer {
                        set2(ctx, self.t, (self.p, self.y), (self.lo, self.x))?;
                        self.step = Step::Partition;
                        continue;
                    }
                    let a_up = self.get(ctx, self.up)?;
                    (Step::PivotUp, a_up, self.x)
                }
                Step::PivotUp => {
                    if answer {
                        set2(ctx, self.t, (self.p, self.x), (self.up, self.y))?;
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
                    set2(ctx, self.t, (p, a_up1), (up - 1, self.pivot))?;
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
                            return Err(invalid_order());
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
                            return Err(invalid_order());
                        }
                        self.step = Step::NextJ;
                    } else if j < i {
                        // a[up - 1] holds the pivot (see `partition`).
                        set2(ctx, self.t, (self.up - 1, self.a_i), (i, self.pivot))?;
                        self.p = i;
                        self.step = Step::Split;
                    } else {
                        set2(ctx, self.t, (i, a_j), (j, self.a_i))?;
                        self.step = Step::NextI;
                    }
                    continue;
                }
                Step::Split => {
                    let (small, large) = split(self.lo, self.up, self.p, self.rnd);
                    self.waiting.push(large);
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
            return Ok(Some((f, x, y)));
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

/// The pivot of `lo..=up`: the middle, or a random place in its middle
/// half once `rnd` is set.
fn choose_pivot(lo: u64, up: u64, rnd: u64) -> u64 {
    if up - lo < RANLIMIT || rnd == 0 {
        lo + (up - lo) / 2
    } else {
        let r4 = (up - lo) / 4;
        rnd % (r4 * 2) + (lo + r4)
    }
}

/// The parts of `lo..=up` partitioned around `p`: the smaller one (sorted
/// first, with the same `rnd`) and the larger one with its `rnd`, a
/// random seed if the parts are badly unbalanced.
fn split(lo: u64, up: u64, p: u64, rnd: u64) -> ((u64, u64), (u64, u64, u64)) {
    let (small, large, n) = if p - lo < up - p {
        ((lo, p - 1), (p + 1, up), p - lo)
    } else {
        ((p + 1, up), (lo, p - 1), up - p)
    };
    let rnd = if large.1.wrapping_sub(large.0) / 128 > n && large.1 > large.0 {
        random_pivot_seed()
    } else {
        rnd
    };
    (small, (large.0, large.1, rnd))
}

fn invalid_order<'gc>() -> RtError<'gc> {
    RtError::msg("invalid order function for sorting")
}

/// `t[i]` in `Direct`. A raw value stays out of a `Result`: copying one
/// through memory stalls the loads of the value that follow.
macro_rules! get {
    ($d:expr, $ctx:expr, $i:expr) => {
        match raw_geti($d.t, $i as i64) {
            Some(v) => v,
            None => $d.get_meta($ctx, $i)?,
        }
    };
}

/// How `Direct` compares two values. Inlined into the sort, so the values
/// stay in registers: handed over through memory, they would stall.
trait Order<'gc> {
    fn less(&self, ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool>;

    /// Runs `f`, which calls the table's metamethods.
    fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R>;
}

/// Without an order function, Lua's `<`: numbers and strings directly,
/// `__lt` (a nested call) and errors in `compare`.
struct LessThan;

impl<'gc> Order<'gc> for LessThan {
    #[inline(always)]
    fn less(&self, ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
        if let Some(r) = crate::vm::arith::num_lt(a, b) {
            return Ok(r);
        }
        match (a, b) {
            (Value::String(x), Value::String(y)) => Ok(x.as_bytes() < y.as_bytes()),
            _ => compare(ctx, a, b),
        }
    }

    fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        f(ctx)
    }
}

#[inline(never)]
fn compare<'gc>(ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
    let r = mcx(ctx).compare(a, b, false);
    in_native(ctx, r)
}

impl<'gc> Order<'gc> for &PreparedCall<'gc> {
    #[inline(always)]
    fn less(&self, ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
        self.test2(ctx, a, b)
    }

    fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        PreparedCall::aside(self, ctx, f)
    }
}

/// The sort calling its comparisons on the spot.
struct Direct<'gc, O> {
    t: Value<'gc>,
    order: O,
    /// Comparisons since work was last charged.
    work: i64,
}

impl<'gc, O: Order<'gc>> Direct<'gc, O> {
    #[inline(always)]
    fn lt(&mut self, ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
        self.work += 1;
        if self.work >= CHARGE_EVERY {
            self.work = 0;
            charge(ctx, CHARGE_EVERY)?;
        }
        self.order.less(ctx, a, b)
    }

    /// `t[i]` through `__index`.
    #[inline(never)]
    fn get_meta(&self, ctx: &mut Ctx<'gc, '_>, i: u64) -> RtResult<'gc, Value<'gc>> {
        self.order
            .aside(ctx, |ctx| geti_meta(ctx, self.t, i as i64))
    }

    /// `t[i], t[j] = vi, vj`, as `set2`.
    #[inline(always)]
    fn set2(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        (i, vi): (u64, Value<'gc>),
        (j, vj): (u64, Value<'gc>),
    ) -> RtResult<'gc, ()> {
        if let Value::Table(tb) = self.t {
            let mut st = tb.borrow_mut(ctx.mc);
            if st.meta.is_none() {
                st.set_int(i as i64, vi);
                st.set_int(j as i64, vj);
                return Ok(());
            }
        }
        self.set(ctx, i, vi)?;
        self.set(ctx, j, vj)
    }

    #[inline(never)]
    fn set(&self, ctx: &mut Ctx<'gc, '_>, i: u64, v: Value<'gc>) -> RtResult<'gc, ()> {
        if raw_seti(ctx.mc, self.t, i as i64, v) {
            return Ok(());
        }
        self.order
            .aside(ctx, |ctx| seti_meta(ctx, self.t, i as i64, v))
    }

    /// Sorts `lo..=up`: the smaller part of each partition by recursion
    /// (so at most about 31 levels deep), the larger one in this loop.
    fn sort(
        &mut self,
        ctx: &mut Ctx<'gc, '_>,
        mut lo: u64,
        mut up: u64,
        mut rnd: u64,
    ) -> RtResult<'gc, ()> {
        while lo < up {
            let (a_lo, a_up) = (get!(self, ctx, lo), get!(self, ctx, up));
            if self.lt(ctx, a_up, a_lo)? {
                self.set2(ctx, (lo, a_up), (up, a_lo))?;
            }
            if up - lo == 1 {
                break;
            }
            let p = choose_pivot(lo, up, rnd);
            let (a_p, a_lo) = (get!(self, ctx, p), get!(self, ctx, lo));
            if self.lt(ctx, a_p, a_lo)? {
                self.set2(ctx, (p, a_lo), (lo, a_p))?;
            } else {
                let a_up = get!(self, ctx, up);
                if self.lt(ctx, a_up, a_p)? {
                    self.set2(ctx, (p, a_up), (up, a_p))?;
                }
            }
            if up - lo == 2 {
                break;
            }
            let p = self.partition(ctx, lo, up, p)?;
            let (small, large) = split(lo, up, p, rnd);
            self.sort(ctx, small.0, small.1, rnd)?;
            (lo, up, rnd) = large;
        }
        Ok(())
    }

    /// Partitions `lo..=up` (whose ends are already on the right sides)
    /// around the value at `p`; returns where that value ends.
    fn partition(
        &mut self,
        ctx: &mut Ctx<'gc, '_>,
        lo: u64,
        up: u64,
        p: u64,
    ) -> RtResult<'gc, u64> {
        let pivot = get!(self, ctx, p);
        let a_up1 = get!(self, ctx, up - 1);
        self.set2(ctx, (p, a_up1), (up - 1, pivot))?;
        let (mut i, mut j) = (lo, up - 1);
        loop {
            i += 1;
            let mut a_i = get!(self, ctx, i);
            while self.lt(ctx, a_i, pivot)? {
                if i == up - 1 {
                    return Err(invalid_order());
                }
                i += 1;
                a_i = get!(self, ctx, i);
            }
            j -= 1;
            let mut a_j = get!(self, ctx, j);
            while self.lt(ctx, pivot, a_j)? {
                if j < i {
                    return Err(invalid_order());
                }
                j -= 1;
                a_j = get!(self, ctx, j);
            }
            if j < i {
                // a[up - 1] holds the pivot: swap it with a[i] without
                // reading it again (as PUC-Rio; visible through __index).
                self.set2(ctx, (up - 1, a_i), (i, pivot))?;
                return Ok(i);
            }
            self.set2(ctx, (i, a_j), (j, a_i))?;
        }
    }
}

pub(super) fn sort<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        let answer = ctx.arg(ctx.nargs - 1).is_truthy();
        let qs = QuickSort::restore(&ctx)?;
        return run_async(ctx, qs, answer, true);
    }
    let n = aux_getn(&mut ctx, 0, TAB_R | TAB_W)?;
    if n <= 1 {
        return Ok(0);
    }
    if n >= i32::MAX as i64 {
        return Err(RtError::bad_arg(1, "array too big"));
    }
    let (t, cmp) = (ctx.arg(0), ctx.arg(1));
    if !cmp.is_nil() && !matches!(cmp, Value::Function(_)) {
        return Err(ctx.expect_type(1, "function"));
    }
    let up = n as u64;
    if ctx.g.budget.0.async_call.get() {
        let qs = QuickSort {
            t,
            cmp,
            step: Step::Interval,
            lo: 1,
            up,
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
        return run_async(ctx, qs, false, false);
    }
    if cmp.is_nil() {
        let order = LessThan;
        Direct { t, order, work: 0 }.sort(&mut ctx, 1, up, 0)?;
    } else {
        PreparedCall::run(&mut ctx, cmp, |ctx, order| {
            Direct { t, order, work: 0 }.sort(ctx, 1, up, 0)
        })?;
    }
    Ok(0)
}

/// Runs the state machine until sorted, or until it calls a function
/// (`resumed`: this run continues after such a call).
fn run_async<'gc>(
    mut ctx: Ctx<'gc, '_>,
    mut qs: QuickSort<'gc>,
    answer: bool,
    resumed: bool,
) -> RtResult<'gc, usize> {
    match qs.run(&mut ctx, answer)? {
        None => Ok(0),
        Some((f, x, y)) => {
            let held = if resumed { ctx.arg(14) } else { Value::Nil };
            qs.save(&mut ctx, held);
            ctx.call_then(f, &[x, y], 1)
        }
    }
}

/// `t[i], t[j] = vi, vj` (with metamethods), the swap both sorts make.
#[inline(always)]
fn set2<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    (i, vi): (u64, Value<'gc>),
    (j, vj): (u64, Value<'gc>),
) -> RtResult<'gc, ()> {
    seti(ctx, t, i as i64, vi)?;
    seti(ctx, t, j as i64, vj)
}
