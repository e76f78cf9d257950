//! The string library (reference manual §6.4), built on the GC-free
//! algorithms in `crate::text`. `string.format` and the pack functions live
//! in submodules.

use gc_arena::Mutation;

use crate::error::{LimitKind, RtError, RtResult};
use crate::function::{NativeFunction, NativeKind};
use crate::state::{Global, GlobalRef, Tm};
use crate::stdlib::{new_lib, set_fn, set_value};
use crate::table::Table;
use crate::text::pattern::{self, Capture, GlobalMatcher, Match, PatternError};
use crate::value::{Function, Value};
use crate::vm::arith::{self, ArithError, ArithOp};
use crate::vm::cont;
use crate::vm::ctx::Ctx;
use crate::vm::meta;

mod format;
mod pack;

/// Longest string the library builds (`rep`, `format`, `gsub`...): Lua's
/// limit for a 32-bit `int` length, beyond which it says "too large".
pub(crate) const MAX_STRING: usize = i32::MAX as usize;

/// Work charged to the host budget each time the pattern matcher reports
/// progress (it does so every 4096 matching steps).
const PATTERN_CHARGE: i64 = 1024;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    let t = new_lib(
        mc,
        g,
        "string",
        &[
            ("byte", byte),
            ("char", char),
            ("dump", dump),
            ("find", find),
            ("format", format::format),
            ("gmatch", gmatch),
            ("gsub", gsub),
            ("len", len),
            ("lower", lower),
            ("match", str_match),
            ("rep", rep),
            ("reverse", reverse),
            ("sub", sub),
            ("upper", upper),
            ("pack", pack::pack),
            ("packsize", pack::packsize),
            ("unpack", pack::unpack),
        ],
    );
    // The string metatable: `__index` for method calls, and the arithmetic
    // metamethods that convert numeric strings (5.4 moved string coercion
    // of arithmetic operands here).
    let m = Table::new(mc);
    set_value(mc, g, m, "__index", Value::Table(t));
    for (name, f) in [
        ("__add", mt_add as crate::function::NativeFn),
        ("__sub", mt_sub),
        ("__mul", mt_mul),
        ("__mod", mt_mod),
        ("__pow", mt_pow),
        ("__div", mt_div),
        ("__idiv", mt_idiv),
        ("__unm", mt_unm),
    ] {
        set_fn(mc, g, m, name, f);
    }
    Global::set_string_meta(g, mc, Some(m));
}

// ---- positions ----

/// A start position made absolute (1-based, at least 1; may exceed `len`).
pub(crate) fn pos_start(pos: i64, len: usize) -> u64 {
    let len = len as i64;
    if pos > 0 {
        pos as u64
    } else if pos == 0 || pos < -len {
        1
    } else {
        (len + pos + 1) as u64
    }
}

/// An end position made absolute (0..=len).
fn pos_end(pos: i64, len: usize) -> usize {
    let l = len as i64;
    if pos > l {
        len
    } else if pos >= 0 {
        pos as usize
    } else if pos < -l {
        0
    } else {
        (l + pos + 1) as usize
    }
}

// ---- host budget ----

/// Charges `amount` of work to the host budget; on a limit remembers it.
pub(crate) fn charge(g: GlobalRef<'_>, amount: i64, hit: &mut Option<LimitKind>) -> bool {
    match g.budget.0.charge(amount) {
        Ok(()) => true,
        Err(k) => {
            *hit = Some(k);
            false
        }
    }
}

/// Charges the work of building a result of `bytes` bytes; a result larger
/// than the host's whole memory limit is refused before it is built.
pub(crate) fn charge_bytes<'gc>(g: GlobalRef<'gc>, bytes: usize) -> RtResult<'gc, ()> {
    g.budget.0.check_memory(bytes).map_err(RtError::Limit)?;
    if bytes >= 4096 {
        g.budget
            .0
            .charge((bytes / 64) as i64)
            .map_err(RtError::Limit)?;
    }
    Ok(())
}

fn pattern_error<'gc>(e: PatternError, hit: Option<LimitKind>) -> RtError<'gc> {
    match e {
        PatternError::Message(m) => RtError::msg(m),
        PatternError::Interrupted => RtError::Limit(hit.unwrap_or(LimitKind::Interrupted)),
    }
}

fn capture_value<'gc>(ctx: &Ctx<'gc, '_>, subject: &[u8], c: Capture) -> Value<'gc> {
    match c {
        Capture::Str(a, e) => ctx.str_value(&subject[a..e]),
        Capture::Pos(p) => Value::Integer(p as i64 + 1),
    }
}

/// Pushes the captures of a match (or the whole match when there are none).
fn push_results<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    subject: &[u8],
    m: &Match,
    whole_if_none: bool,
) -> RtResult<'gc, usize> {
    if !whole_if_none && m.capture_count() == 0 {
        return Ok(0);
    }
    let n = m.capture_count().max(1);
    for i in 0..n {
        let c = m.capture(i).map_err(|e| pattern_error(e, None))?;
        let v = capture_value(ctx, subject, c);
        ctx.push(v);
    }
    Ok(n)
}

/// How many results a native may still push (Lua's `luaL_checkstack`).
pub(crate) fn stack_room(ctx: &Ctx<'_, '_>) -> usize {
    crate::vm::budget::MAX_STACK.saturating_sub(ctx.ts.top + 64)
}

// ---- simple functions ----

fn len<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    ctx.ret(Value::Integer(s.len() as i64))
}

fn sub<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    let l = s.len();
    let start = pos_start(ctx.check_integer(1)?, l);
    let end = pos_end(ctx.opt_integer(2, -1)?, l);
    let v = if start <= end as u64 {
        ctx.str_value(&s.as_bytes()[start as usize - 1..end])
    } else {
        ctx.str_value(b"")
    };
    ctx.ret(v)
}

fn reverse<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    let mut b = s.as_bytes().to_vec();
    b.reverse();
    let v = ctx.str_value(&b);
    ctx.ret(v)
}

fn lower<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    let v = ctx.str_value(&s.as_bytes().to_ascii_lowercase());
    ctx.ret(v)
}

fn upper<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    let v = ctx.str_value(&s.as_bytes().to_ascii_uppercase());
    ctx.ret(v)
}

fn rep<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let n = ctx.check_integer(1)?;
    let sep = match ctx.opt_string(2)? {
        Some(sep) => sep.as_bytes(),
        None => b"",
    };
    if n <= 0 || s.len() + sep.len() == 0 {
        let v = ctx.str_value(b"");
        return ctx.ret(v);
    }
    let n = n as u64;
    // PUC-Rio's test: the piece length must fit MAXSIZE / n (MAXSIZE = INT_MAX).
    if (s.len() + sep.len()) as u64 > MAX_STRING as u64 / n {
        return Err(RtError::msg("resulting string too large"));
    }
    let total = (n as usize) * s.len() + (n as usize - 1) * sep.len();
    charge_bytes(ctx.g, total)?;
    // `s (sep s)*`: after the first copy, the tail is whole `sep s` units,
    // so it can be doubled by copying from itself.
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(s);
    if n > 1 {
        out.extend_from_slice(sep);
        out.extend_from_slice(s);
    }
    while out.len() < total {
        let take = (out.len() - s.len()).min(total - out.len());
        out.extend_from_within(s.len()..s.len() + take);
    }
    let v = Value::String(ctx.intern_vec(out));
    ctx.ret(v)
}

fn byte<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let pi = ctx.opt_integer(1, 1)?;
    let start = pos_start(pi, s.len());
    let end = pos_end(ctx.opt_integer(2, pi)?, s.len());
    if start > end as u64 {
        return Ok(0);
    }
    let n = end - start as usize + 1;
    if n >= i32::MAX as usize {
        return Err(RtError::msg("string slice too long"));
    }
    if n > stack_room(&ctx) {
        return Err(RtError::msg("stack overflow (string slice too long)"));
    }
    for &b in &s[start as usize - 1..end] {
        ctx.push(Value::Integer(i64::from(b)));
    }
    Ok(n)
}

fn char<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let mut out = Vec::with_capacity(ctx.nargs);
    for i in 0..ctx.nargs {
        let c = ctx.check_integer(i)?;
        if c as u64 > 255 {
            return Err(RtError::bad_arg(i + 1, "value out of range"));
        }
        out.push(c as u8);
    }
    let v = Value::String(ctx.intern_vec(out));
    ctx.ret(v)
}

/// `string.dump`: a binary chunk of a Lua function (see `compiler::dump`).
fn dump<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let f = ctx.check_function(0)?;
    let Value::Function(crate::value::Function::Lua(cl)) = f else {
        return Err(RtError::msg("unable to dump given function"));
    };
    let chunk = crate::stdlib::dump::dump(&cl.proto, ctx.arg(1).is_truthy());
    let s = ctx.str_value(&chunk);
    ctx.ret(s)
}

// ---- pattern matching ----

fn find_aux<'gc>(mut ctx: Ctx<'gc, '_>, find: bool) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let p = ctx.check_string(1)?.as_bytes();
    let init = pos_start(ctx.opt_integer(2, 1)?, s.len()) - 1;
    if init > s.len() as u64 {
        return ctx.ret(Value::Nil);
    }
    let init = init as usize;
    if find && (ctx.arg(3).is_truthy() || !pattern::has_specials(p)) {
        return match pattern::find_plain(s, p, init) {
            Some(start) => {
                ctx.push(Value::Integer(start as i64 + 1));
                ctx.push(Value::Integer((start + p.len()) as i64));
                Ok(2)
            }
            None => ctx.ret(Value::Nil),
        };
    }
    let g = ctx.g;
    let mut hit = None;
    let found = pattern::find(s, p, init, &mut || charge(g, PATTERN_CHARGE, &mut hit));
    match found.map_err(|e| pattern_error(e, hit))? {
        Some(m) => {
            if find {
                ctx.push(Value::Integer(m.start as i64 + 1));
                ctx.push(Value::Integer(m.end as i64));
                Ok(2 + push_results(&mut ctx, s, &m, false)?)
            } else {
                push_results(&mut ctx, s, &m, true)
            }
        }
        None => ctx.ret(Value::Nil),
    }
}

fn find<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    find_aux(ctx, true)
}

fn str_match<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    find_aux(ctx, false)
}

fn gmatch<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?;
    let p = ctx.check_string(1)?;
    let ls = s.len() as u64;
    let init = (pos_start(ctx.opt_integer(2, 1)?, s.len()) - 1).min(ls + 1);
    let f = NativeFunction::with_upvalues(
        ctx.mc,
        "gmatch_aux",
        NativeKind::Plain(gmatch_aux),
        &[
            Value::String(s),
            Value::String(p),
            Value::Integer(init as i64),
            Value::Nil,
        ],
    );
    ctx.ret(Value::Function(Function::Native(f)))
}

/// The iterator `gmatch` returns; upvalues: subject, pattern, position,
/// end of the last match (or nil).
fn gmatch_aux<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let (Value::String(s), Value::String(p), Value::Integer(pos)) =
        (ctx.upvalue(0), ctx.upvalue(1), ctx.upvalue(2))
    else {
        return Ok(0);
    };
    let last = match ctx.upvalue(3) {
        Value::Integer(e) => Some(e as usize),
        _ => None,
    };
    let (s, p) = (s.as_bytes(), p.as_bytes());
    let g = ctx.g;
    let mut hit = None;
    let mut m = GlobalMatcher::new(s, p, pos as usize, false).with_last_end(last);
    let next = m.next(&mut || charge(g, PATTERN_CHARGE, &mut hit));
    match next.map_err(|e| pattern_error(e, hit))? {
        Some((_, found)) => {
            ctx.set_upvalue(2, Value::Integer(found.end as i64));
            ctx.set_upvalue(3, Value::Integer(found.end as i64));
            push_results(&mut ctx, s, &found, true)
        }
        None => {
            ctx.set_upvalue(2, Value::Integer(s.len() as i64 + 1));
            Ok(0)
        }
    }
}

fn gsub<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let src_str = ctx.check_string(0)?;
    let src = src_str.as_bytes();
    let p = ctx.check_string(1)?.as_bytes();
    let repl = ctx.arg(2);
    let max_n = ctx.opt_integer(3, src.len() as i64 + 1)?;
    if !matches!(
        repl,
        Value::String(_)
            | Value::Integer(_)
            | Value::Number(_)
            | Value::Table(_)
            | Value::Function(_)
    ) {
        return Err(ctx.expect_type(2, "string/function/table"));
    }
    let repl_bytes = match repl {
        Value::String(_) | Value::Integer(_) | Value::Number(_) => {
            Some(ctx.check_string(2)?.as_bytes())
        }
        _ => None,
    };
    let g = ctx.g;
    let mut hit = None;
    let resumed = ctx.resumed();
    let mut st = if resumed {
        GsubState::restore(&ctx, src)?
    } else {
        GsubState {
            out: Vec::new(),
            count: 0,
            changed: false,
            at: (0, None, false),
        }
    };
    let mut matcher = GlobalMatcher::resume(src, p, st.at);
    while st.count < max_n {
        let next = matcher.next(&mut || charge(g, PATTERN_CHARGE, &mut hit));
        let Some((from, m)) = next.map_err(|e| pattern_error(e, hit))? else {
            break;
        };
        st.count += 1;
        st.out.extend_from_slice(&src[from..m.start]);
        let whole = &src[m.start..m.end];
        let value = match (repl_bytes, repl) {
            (Some(r), _) => {
                pattern::expand_replacement(r, &m, src, &mut st.out)
                    .map_err(|e| pattern_error(e, None))?;
                st.changed = true;
                if st.out.len() > MAX_STRING {
                    return Err(RtError::msg("resulting string too large"));
                }
                continue;
            }
            (None, Value::Table(t)) => {
                let key =
                    capture_value(&ctx, src, m.capture(0).map_err(|e| pattern_error(e, None))?);
                match (t.get(key), meta::get_tm(g, repl, Tm::Index)) {
                    // An `__index` function runs like a replacement function.
                    (Value::Nil, f @ Value::Function(_)) if g.budget.0.async_call.get() => {
                        st.at = matcher.position();
                        st.save(&mut ctx, resumed, (m.start, m.end));
                        return ctx.call_then(f, &[repl, key], 1);
                    }
                    (Value::Nil, Value::Nil) => Value::Nil,
                    (Value::Nil, _) => super::mcx(&mut ctx).index(repl, key, &|_| String::new())?,
                    (v, _) => v,
                }
            }
            (None, _) => {
                let n = m.capture_count().max(1);
                let mut args = [Value::Nil; pattern::MAX_CAPTURES];
                for (i, arg) in args.iter_mut().enumerate().take(n) {
                    let c = m.capture(i).map_err(|e| pattern_error(e, None))?;
                    *arg = capture_value(&ctx, src, c);
                }
                let args = &args[..n];
                if !g.budget.0.async_call.get() {
                    // Faster, but the function cannot await.
                    ctx.call1(repl, args)?
                } else {
                    // A normal call, which may await the host; gsub goes
                    // on when it returns.
                    st.at = matcher.position();
                    st.save(&mut ctx, resumed, (m.start, m.end));
                    return ctx.call_then(repl, args, 1);
                }
            }
        };
        st.add(value, whole)?;
    }
    let result = if !st.changed {
        Value::String(src_str)
    } else {
        let mut out = st.out;
        out.extend_from_slice(&src[matcher.rest_start()..]);
        charge_bytes(g, out.len())?;
        Value::String(ctx.intern_vec(out))
    };
    ctx.push(result);
    ctx.push(Value::Integer(st.count));
    Ok(2)
}

/// What `gsub` keeps while a replacement function runs: after its four
/// arguments, the text so far, the matcher's position (3 values), the
/// count, whether anything changed, and the match being replaced.
struct GsubState {
    out: Vec<u8>,
    count: i64,
    changed: bool,
    at: (usize, Option<usize>, bool),
}

impl GsubState {
    const SLOTS: usize = 4 + 8;

    fn save<'gc>(self, ctx: &mut Ctx<'gc, '_>, resumed: bool, whole: (usize, usize)) {
        let held = if resumed { ctx.arg(4) } else { Value::Nil };
        ctx.set_args(4);
        let buf = cont::stash(ctx.mc, held, self.out);
        let (pos, last_end, done) = self.at;
        for v in [
            buf,
            Value::Integer(pos as i64),
            last_end.map_or(Value::Nil, |e| Value::Integer(e as i64)),
            Value::Boolean(done),
            Value::Integer(self.count),
            Value::Boolean(self.changed),
            Value::Integer(whole.0 as i64),
            Value::Integer(whole.1 as i64),
        ] {
            ctx.push(v);
        }
    }

    /// The state `save` kept, with the function's result added.
    fn restore<'gc>(ctx: &Ctx<'gc, '_>, src: &[u8]) -> RtResult<'gc, GsubState> {
        let int = |i: usize| match ctx.arg(i) {
            Value::Integer(n) => n.max(0) as usize,
            _ => 0,
        };
        if ctx.nargs != Self::SLOTS + 1 {
            return Err(RtError::msg("internal error: bad gsub state"));
        }
        let mut st = GsubState {
            out: cont::take::<Vec<u8>>(ctx.arg(4)),
            count: int(8) as i64,
            changed: ctx.arg(9).is_truthy(),
            at: (
                int(5),
                ctx.arg(6).is_truthy().then(|| int(6)),
                ctx.arg(7).is_truthy(),
            ),
        };
        let whole = src.get(int(10)..int(11)).unwrap_or_default();
        st.add(ctx.arg(Self::SLOTS), whole)?;
        Ok(st)
    }

    /// Appends a replacement value (`whole`, the match, for nil or false).
    fn add<'gc>(&mut self, value: Value<'gc>, whole: &[u8]) -> RtResult<'gc, ()> {
        match value {
            Value::Nil | Value::Boolean(false) => self.out.extend_from_slice(whole),
            Value::String(s) => {
                self.out.extend_from_slice(s.as_bytes());
                self.changed = true;
            }
            v @ (Value::Integer(_) | Value::Number(_)) => {
                meta::number_to_bytes(v, &mut self.out);
                self.changed = true;
            }
            v => {
                return Err(RtError::msg(format!(
                    "invalid replacement value (a {})",
                    v.type_name()
                )))
            }
        }
        if self.out.len() > MAX_STRING {
            return Err(RtError::msg("resulting string too large"));
        }
        Ok(())
    }
}

// ---- arithmetic metamethods ----

/// Converts an operand as the string metamethods do: numbers, and strings
/// that are numerals (no other coercion).
fn to_numeric(v: Value<'_>) -> Option<Value<'_>> {
    match v {
        Value::Integer(_) | Value::Number(_) => Some(v),
        Value::String(_) => match arith::to_num(v)? {
            arith::Num::Int(i) => Some(Value::Integer(i)),
            arith::Num::Float(f) => Some(Value::Number(f)),
        },
        _ => None,
    }
}

fn string_arith<'gc>(mut ctx: Ctx<'gc, '_>, op: ArithOp) -> RtResult<'gc, usize> {
    if ctx.resumed() {
        // The second operand's metamethod returned (see below).
        let r = ctx.arg(2);
        return ctx.ret(r);
    }
    let (a, b) = (ctx.arg(0), ctx.arg(1));
    // With one argument PUC-Rio's code reads its own converted copy of the
    // first operand as the second one.
    let x = to_numeric(a);
    let y = if ctx.nargs < 2 { x } else { to_numeric(b) };
    if let (Some(x), Some(y)) = (x, y) {
        // Errors raised by the arithmetic itself carry no position (they
        // come from inside this native function).
        let raw = |m: &str| RtError::Value(ctx.str_value(m.as_bytes()));
        return match arith::arith(op, x, y) {
            Ok(v) => ctx.ret(v),
            Err(ArithError::DivByZero) => Err(raw("attempt to divide by zero")),
            Err(ArithError::ModByZero) => Err(raw("attempt to perform 'n%0'")),
            Err(_) => Err(raw("number has no integer representation")),
        };
    }
    // Not both numeric: try the second operand's metamethod.
    let f = if matches!(b, Value::String(_)) {
        Value::Nil
    } else {
        meta::get_tm(ctx.g, b, op.tm())
    };
    if f.is_nil() {
        let event = &op.tm().name()[2..];
        return Err(RtError::msg(format!(
            "attempt to {event} a '{}' with a '{}'",
            a.type_name(),
            b.type_name()
        )));
    }
    // A normal call, which may await the host.
    ctx.set_args(2);
    ctx.call_then(f, &[a, b], 1)
}

macro_rules! string_arith_fns {
    ($($name:ident: $op:ident;)*) => {$(
        fn $name<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
            string_arith(ctx, ArithOp::$op)
        }
    )*};
}

string_arith_fns! {
    mt_add: Add;
    mt_sub: Sub;
    mt_mul: Mul;
    mt_mod: Mod;
    mt_pow: Pow;
    mt_div: Div;
    mt_idiv: IDiv;
    mt_unm: Unm;
}
