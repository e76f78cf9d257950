//! `table.sort`: PUC-Rio Lua's quicksort. Each interval gets a median of
//! three pivot (a randomized one, once partitions turned out badly
//! unbalanced); the smaller part is sorted first while the larger one
//! waits. The comparisons come in the same order as in PUC-Rio Lua.
//!
//! One algorithm, `QuickSort::run`, serves two kinds of `Order`. Usually
//! the order function runs on the spot, as a nested call, and the sort
//! runs through. In an async host call it runs as a normal call
//! (`Ctx::call_then`) so the host can await inside it: the sort stops at
//! that comparison, keeps its state on the stack and continues from the
//! same step with the answer.

use crate::error::{RtError, RtResult};
use crate::state::Tm;
use crate::value::Value;
use crate::vm::cont;
use crate::vm::ctx::Ctx;
use crate::vm::meta;
use crate::vm::prepared::PreparedCall;

use super::{
    aux_getn, charge, geti_meta, in_native, mcx, raw_geti, raw_seti, seti_meta, CHARGE_EVERY,
    TAB_R, TAB_W,
};

/// Intervals at least this long get a randomized pivot once partitions
/// turn out badly unbalanced.
const RANLIMIT: u64 = 100;

/// Where the sort stands: the places it continues from, after a
/// comparison (which may have been a call the host awaited) or not.
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
    /// Compared a[i] < pivot.
    LessI,
    /// Compared pivot < a[j].
    LessJ,
    /// Partitioned around `p`: sort both parts.
    Split,
}

const STEPS: [Step; 8] = [
    Step::Interval,
    Step::Ends,
    Step::PivotLo,
    Step::PivotUp,
    Step::Partition,
    Step::LessI,
    Step::LessJ,
    Step::Split,
];

struct QuickSort<'gc> {
    t: Value<'gc>,
    cmp: Value<'gc>,
    at: At<'gc>,
    /// Intervals waiting: (lo, up, rnd).
    waiting: Vec<(u64, u64, u64)>,
}

/// Where the sort stands in its current interval. A copy of it lives in
/// locals (registers) while the sort runs.
#[derive(Clone, Copy)]
struct At<'gc> {
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
}

/// Values of the state after sort's two arguments (the last one holds
/// the waiting intervals).
const SORT_SLOTS: usize = 13;

/// `t[i]` in `QuickSort::run`. A raw value stays out of a `Result`:
/// copying one through memory stalls the loads of the value that follow.
macro_rules! get {
    ($t:expr, $ctx:expr, $order:expr, $i:expr) => {
        match raw_geti($t, $i as i64) {
            Some(v) => v,
            None => get_meta($ctx, $order, $t, $i)?,
        }
    };
}

impl<'gc> QuickSort<'gc> {
    fn new(t: Value<'gc>, cmp: Value<'gc>, up: u64) -> Self {
        let at = At {
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
        };
        QuickSort {
            t,
            cmp,
            at,
            waiting: Vec::new(),
        }
    }

    /// Runs until sorted (`None`) or until `order` asks for a function
    /// (the order function, or an `__lt` metamethod) to be called on two
    /// values. `answer` is the result of the last such call.
    fn run<O: Order<'gc>>(
        &mut self,
        ctx: &mut Ctx<'gc, '_>,
        order: &O,
        mut answer: bool,
    ) -> RtResult<'gc, Option<(Value<'gc>, Value<'gc>, Value<'gc>)>> {
        // The state lives in locals (registers) while the sort runs.
        let (t, mut at) = (self.t, self.at);
        // `x < y`, answered by `order`, or by a call: then the sort stops
        // here. Either way it continues at `$step` with the answer.
        macro_rules! ask {
            ($step:expr, $x:expr, $y:expr) => {{
                (at.step, at.x, at.y) = ($step, $x, $y);
                at.work += 1;
                if at.work >= CHARGE_EVERY {
                    at.work = 0;
                    charge(ctx, CHARGE_EVERY)?;
                }
                match order.less(ctx, at.x, at.y)? {
                    Answer::Is(r) => r,
                    Answer::Call(f) => {
                        self.at = at;
                        return Ok(Some((f, at.x, at.y)));
                    }
                }
            }};
        }
        // The steps of one interval, in order: a resumed sort skips to its
        // step, each comparison moves on to the next.
        loop {
            if at.step == Step::Interval {
                if at.lo >= at.up {
                    let Some((lo, up, rnd)) = self.waiting.pop() else {
                        return Ok(None);
                    };
                    (at.lo, at.up, at.rnd) = (lo, up, rnd);
                    continue;
                }
                let a_lo = get!(t, ctx, order, at.lo);
                let a_up = get!(t, ctx, order, at.up);
                answer = ask!(Step::Ends, a_up, a_lo);
            }
            if at.step == Step::Ends {
                if answer {
                    set2(ctx, order, t, (at.lo, at.x), (at.up, at.y))?;
                }
                if at.up - at.lo == 1 {
                    at.lo = at.up;
                    at.step = Step::Interval;
                    continue;
                }
                at.p = choose_pivot(at.lo, at.up, at.rnd);
                let a_p = get!(t, ctx, order, at.p);
                let a_lo = get!(t, ctx, order, at.lo);
                answer = ask!(Step::PivotLo, a_p, a_lo);
            }
            if at.step == Step::PivotLo {
                if answer {
                    set2(ctx, order, t, (at.p, at.y), (at.lo, at.x))?;
                    at.step = Step::Partition;
                } else {
                    let a_up = get!(t, ctx, order, at.up);
                    answer = ask!(Step::PivotUp, a_up, at.x);
                }
            }
            if at.step == Step::PivotUp {
                if answer {
                    set2(ctx, order, t, (at.p, at.x), (at.up, at.y))?;
                }
                at.step = Step::Partition;
            }
            if at.step == Step::Partition {
                if at.up - at.lo == 2 {
                    at.lo = at.up;
                    at.step = Step::Interval;
                    continue;
                }
                let (p, up) = (at.p, at.up);
                at.pivot = get!(t, ctx, order, p);
                let a_up1 = get!(t, ctx, order, up - 1);
                set2(ctx, order, t, (p, a_up1), (up - 1, at.pivot))?;
                (at.i, at.j) = (at.lo + 1, up - 1);
                at.a_i = get!(t, ctx, order, at.i);
                answer = ask!(Step::LessI, at.a_i, at.pivot);
            }
            // The partition loop: raise i while a[i] < pivot, lower j while
            // pivot < a[j], swap, until i and j cross.
            while at.step != Step::Split {
                if at.step == Step::LessI {
                    while answer {
                        if at.i == at.up - 1 {
                            return Err(invalid_order());
                        }
                        at.i += 1;
                        at.a_i = get!(t, ctx, order, at.i);
                        answer = ask!(Step::LessI, at.a_i, at.pivot);
                    }
                    at.j -= 1;
                    let a_j = get!(t, ctx, order, at.j);
                    answer = ask!(Step::LessJ, at.pivot, a_j);
                }
                while answer {
                    if at.j < at.i {
                        return Err(invalid_order());
                    }
                    at.j -= 1;
                    let a_j = get!(t, ctx, order, at.j);
                    answer = ask!(Step::LessJ, at.pivot, a_j);
                }
                let (i, j, a_j) = (at.i, at.j, at.y);
                if j < i {
                    // a[up - 1] holds the pivot (see `Partition`): swap it
                    // with a[i] without reading it again (as PUC-Rio;
                    // visible through __index).
                    set2(ctx, order, t, (at.up - 1, at.a_i), (i, at.pivot))?;
                    at.p = i;
                    at.step = Step::Split;
                } else {
                    set2(ctx, order, t, (i, a_j), (j, at.a_i))?;
                    at.i += 1;
                    at.a_i = get!(t, ctx, order, at.i);
                    answer = ask!(Step::LessI, at.a_i, at.pivot);
                }
            }
            let (small, large) = split(at.lo, at.up, at.p, at.rnd);
            self.waiting.push(large);
            (at.lo, at.up) = small;
            at.step = Step::Interval;
        }
    }

    /// Keeps the state on sort's stack, after its two arguments; `held` is
    /// the holder of the waiting intervals from the last run, if any.
    fn save(self, ctx: &mut Ctx<'gc, '_>, held: Value<'gc>) {
        ctx.set_args(2);
        let int = |n: u64| Value::Integer(n as i64);
        let at = self.at;
        let step = STEPS.iter().position(|&s| s == at.step).unwrap_or(0);
        let waiting = cont::stash(ctx.mc, held, self.waiting);
        for v in [
            int(at.lo),
            int(at.up),
            int(at.rnd),
            int(at.p),
            int(at.i),
            int(at.j),
            int(step as u64),
            Value::Integer(at.work),
            at.pivot,
            at.a_i,
            at.x,
            at.y,
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
        let at = At {
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
        };
        Ok(QuickSort {
            t: ctx.arg(0),
            cmp: ctx.arg(1),
            at,
            waiting: cont::take(ctx.arg(14)),
        })
    }
}

/// `t[i]` through `__index`.
#[inline(never)]
fn get_meta<'gc, O: Order<'gc>>(
    ctx: &mut Ctx<'gc, '_>,
    order: &O,
    t: Value<'gc>,
    i: u64,
) -> RtResult<'gc, Value<'gc>> {
    order.aside(ctx, |ctx| geti_meta(ctx, t, i as i64))
}

/// `t[i], t[j] = vi, vj` (with metamethods), the swaps of the sort.
#[inline(always)]
fn set2<'gc, O: Order<'gc>>(
    ctx: &mut Ctx<'gc, '_>,
    order: &O,
    t: Value<'gc>,
    (i, vi): (u64, Value<'gc>),
    (j, vj): (u64, Value<'gc>),
) -> RtResult<'gc, ()> {
    if let Value::Table(tb) = t {
        let mut st = tb.borrow_mut(ctx.mc);
        if st.meta.is_none() {
            st.set_int(i as i64, vi);
            st.set_int(j as i64, vj);
            return Ok(());
        }
    }
    set(ctx, order, t, i, vi)?;
    set(ctx, order, t, j, vj)
}

#[inline(never)]
fn set<'gc, O: Order<'gc>>(
    ctx: &mut Ctx<'gc, '_>,
    order: &O,
    t: Value<'gc>,
    i: u64,
    v: Value<'gc>,
) -> RtResult<'gc, ()> {
    if raw_seti(ctx.mc, t, i as i64, v) {
        return Ok(());
    }
    order.aside(ctx, |ctx| seti_meta(ctx, t, i as i64, v))
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

/// What an order says about `a < b`.
enum Answer<'gc> {
    Is(bool),
    /// Ask this function (the order function or an `__lt` metamethod),
    /// as a normal call the host may await in.
    Call(Value<'gc>),
}

/// How the sort compares two values. Inlined into the sort, so the values
/// stay in registers: handed over through memory, they would stall.
trait Order<'gc> {
    fn less(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, Answer<'gc>>;

    /// Runs `f`, which calls the table's metamethods.
    fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        f(ctx)
    }
}

/// Without an order function, Lua's `<`: numbers and strings directly,
/// `__lt` (a nested call) and errors in `compare`.
struct LessThan;

impl<'gc> Order<'gc> for LessThan {
    #[inline(always)]
    fn less(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, Answer<'gc>> {
        if let Some(r) = crate::vm::arith::num_lt(a, b) {
            return Ok(Answer::Is(r));
        }
        match (a, b) {
            (Value::String(x), Value::String(y)) => Ok(Answer::Is(x.as_bytes() < y.as_bytes())),
            _ => compare(ctx, a, b).map(Answer::Is),
        }
    }
}

#[inline(never)]
fn compare<'gc>(ctx: &mut Ctx<'gc, '_>, a: Value<'gc>, b: Value<'gc>) -> RtResult<'gc, bool> {
    let r = mcx(ctx).compare(a, b, false);
    in_native(ctx, r)
}

/// The order function, called on the spot (a nested call).
impl<'gc> Order<'gc> for &PreparedCall<'gc> {
    #[inline(always)]
    fn less(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, Answer<'gc>> {
        self.test2(ctx, a, b).map(Answer::Is)
    }

    fn aside<R>(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        f: impl FnOnce(&mut Ctx<'gc, '_>) -> RtResult<'gc, R>,
    ) -> RtResult<'gc, R> {
        PreparedCall::aside(self, ctx, f)
    }
}

/// In an async host call: every function (order function or `__lt`) runs
/// as a normal call, so the host can await inside it.
struct Resumable<'gc> {
    cmp: Value<'gc>,
}

impl<'gc> Order<'gc> for Resumable<'gc> {
    fn less(
        &self,
        ctx: &mut Ctx<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
    ) -> RtResult<'gc, Answer<'gc>> {
        if !self.cmp.is_nil() {
            return Ok(Answer::Call(self.cmp));
        }
        if let Some(r) = crate::vm::arith::num_lt(a, b) {
            return Ok(Answer::Is(r));
        }
        match lt_metamethod(ctx, a, b) {
            Some(f) => Ok(Answer::Call(f)),
            None => compare(ctx, a, b).map(Answer::Is),
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
    let mut qs = QuickSort::new(t, cmp, n as u64);
    if ctx.g.budget.0.async_call.get() {
        return run_async(ctx, qs, false, false);
    }
    // Orders that always answer on the spot: the run ends sorted.
    if cmp.is_nil() {
        qs.run(&mut ctx, &LessThan, false)?;
    } else {
        PreparedCall::run(&mut ctx, cmp, |ctx, order| {
            qs.run(ctx, &order, false).map(drop)
        })?;
    }
    Ok(0)
}

/// Runs the sort until sorted, or until it calls a function (`resumed`:
/// this run continues after such a call).
fn run_async<'gc>(
    mut ctx: Ctx<'gc, '_>,
    mut qs: QuickSort<'gc>,
    answer: bool,
    resumed: bool,
) -> RtResult<'gc, usize> {
    let order = Resumable { cmp: qs.cmp };
    match qs.run(&mut ctx, &order, answer)? {
        None => Ok(0),
        Some((f, x, y)) => {
            let held = if resumed { ctx.arg(14) } else { Value::Nil };
            qs.save(&mut ctx, held);
            ctx.call_then(f, &[x, y], 1)
        }
    }
}
