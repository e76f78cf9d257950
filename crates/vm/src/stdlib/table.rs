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
use crate::vm::ctx::Ctx;
use crate::vm::meta;

use super::mcx;

mod sort;

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
            ("sort", sort::sort),
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

/// `lua_geti`. (The raw path borrows the table once: borrows are memory
/// writes that each access would otherwise wait for.)
#[inline(always)]
pub fn geti<'gc>(ctx: &mut Ctx<'gc, '_>, t: Value<'gc>, i: i64) -> RtResult<'gc, Value<'gc>> {
    match raw_geti(t, i) {
        Some(v) => Ok(v),
        None => geti_meta(ctx, t, i),
    }
}

/// `t[i]` when `t` is a table without metatable.
#[inline(always)]
pub(super) fn raw_geti(t: Value<'_>, i: i64) -> Option<Value<'_>> {
    match t {
        Value::Table(tb) => {
            let st = tb.borrow();
            st.meta.is_none().then(|| st.get_int(i))
        }
        _ => None,
    }
}

#[inline(never)]
pub(super) fn geti_meta<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    i: i64,
) -> RtResult<'gc, Value<'gc>> {
    let r = mcx(ctx).index(t, Value::Integer(i), &crate::vm::meta::no_name);
    in_native(ctx, r)
}

/// `lua_seti` (borrowing the table once, as `geti`).
#[inline(always)]
pub fn seti<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    i: i64,
    v: Value<'gc>,
) -> RtResult<'gc, ()> {
    if raw_seti(ctx.mc, t, i, v) {
        return Ok(());
    }
    seti_meta(ctx, t, i, v)
}

/// `t[i] = v` when `t` is a table without metatable: true then, false
/// (nothing done) otherwise.
#[inline(always)]
pub(super) fn raw_seti<'gc>(mc: &Mutation<'gc>, t: Value<'gc>, i: i64, v: Value<'gc>) -> bool {
    if let Value::Table(tb) = t {
        let mut st = tb.borrow_mut(mc);
        if st.meta.is_none() {
            st.set_int(i, v);
            return true;
        }
    }
    false
}

#[inline(never)]
pub(super) fn seti_meta<'gc>(
    ctx: &mut Ctx<'gc, '_>,
    t: Value<'gc>,
    i: i64,
    v: Value<'gc>,
) -> RtResult<'gc, ()> {
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
