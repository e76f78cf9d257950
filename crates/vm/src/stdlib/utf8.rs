//! The utf8 library (reference manual §6.5), on `crate::text::utf8`.
//!
//! Where Lua 5.4 patch releases differ, this follows 5.4.6: `utf8.codes`
//! rejects stray continuation bytes ("invalid UTF-8 code").

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::state::GlobalRef;
use crate::stdlib::{new_lib, set_value};
use crate::text::utf8::{self, CHAR_PATTERN, MAX_UTF};
use crate::value::Value;
use crate::vm::convert;
use crate::vm::ctx::Ctx;

const MSG_INVALID: &str = "invalid UTF-8 code";

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    let t = new_lib(
        mc,
        g,
        "utf8",
        &[
            ("offset", offset),
            ("codepoint", codepoint),
            ("char", char),
            ("len", len),
            ("codes", codes),
        ],
    );
    let pat = crate::state::Global::intern(g, mc, CHAR_PATTERN);
    set_value(mc, g, t, "charpattern", Value::String(pat));
}

/// A relative position made absolute (0 when before the start).
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos >= 0 {
        pos
    } else if pos.unsigned_abs() > len as u64 {
        0
    } else {
        len as i64 + pos + 1
    }
}

/// Whether `s[i]` is a continuation byte (the end of the string is not).
fn iscont(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|&b| utf8::is_continuation(b))
}

fn char<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let mut out = Vec::new();
    for i in 0..ctx.nargs {
        let code = ctx.check_integer(i)? as u64;
        if code > u64::from(MAX_UTF) {
            return Err(RtError::bad_arg(i + 1, "value out of range"));
        }
        utf8::encode(code as u32, &mut out);
    }
    let v = ctx.str_value(&out);
    ctx.ret(v)
}

fn len<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let l = s.len() as i64;
    let mut posi = posrelat(ctx.opt_integer(1, 1)?, s.len());
    let mut posj = posrelat(ctx.opt_integer(2, -1)?, s.len());
    let lax = ctx.arg(3).is_truthy();
    if !(1 <= posi && posi - 1 <= l) {
        return Err(RtError::bad_arg(2, "initial position out of bounds"));
    }
    posi -= 1;
    posj -= 1;
    if posj >= l {
        return Err(RtError::bad_arg(3, "final position out of bounds"));
    }
    let mut n: i64 = 0;
    while posi <= posj {
        match utf8::decode(&s[posi as usize..], !lax) {
            Some((_, size)) => posi += size as i64,
            None => {
                ctx.push(Value::Nil);
                ctx.push(Value::Integer(posi + 1));
                return Ok(2);
            }
        }
        n += 1;
    }
    ctx.ret(Value::Integer(n))
}

fn codepoint<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let posi = posrelat(ctx.opt_integer(1, 1)?, s.len());
    let pose = posrelat(ctx.opt_integer(2, posi)?, s.len());
    let lax = ctx.arg(3).is_truthy();
    if posi < 1 {
        return Err(RtError::bad_arg(2, "out of bounds"));
    }
    if pose > s.len() as i64 {
        return Err(RtError::bad_arg(3, "out of bounds"));
    }
    if posi > pose {
        return Ok(0);
    }
    if pose - posi >= i64::from(i32::MAX) {
        return Err(RtError::msg("string slice too long"));
    }
    if (pose - posi) as usize >= crate::stdlib::string::stack_room(&ctx) {
        return Err(RtError::msg("stack overflow (string slice too long)"));
    }
    let mut i = posi as usize - 1;
    let end = pose as usize;
    let mut n = 0;
    while i < end {
        let Some((code, size)) = utf8::decode(&s[i..], !lax) else {
            return Err(RtError::msg(MSG_INVALID));
        };
        ctx.push(Value::Integer(i64::from(code)));
        i += size;
        n += 1;
    }
    Ok(n)
}

fn offset<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let l = s.len() as i64;
    let mut n = ctx.check_integer(1)?;
    let default = if n >= 0 { 1 } else { l + 1 };
    let mut posi = posrelat(ctx.opt_integer(2, default)?, s.len());
    if !(1 <= posi && posi - 1 <= l) {
        return Err(RtError::bad_arg(3, "position out of bounds"));
    }
    posi -= 1;
    let cont = |p: i64| iscont(s, p as usize);
    if n == 0 {
        while posi > 0 && cont(posi) {
            posi -= 1;
        }
    } else {
        if cont(posi) {
            return Err(RtError::msg("initial position is a continuation byte"));
        }
        if n < 0 {
            while n < 0 && posi > 0 {
                loop {
                    posi -= 1;
                    if !(posi > 0 && cont(posi)) {
                        break;
                    }
                }
                n += 1;
            }
        } else {
            n -= 1;
            while n > 0 && posi < l {
                loop {
                    posi += 1;
                    if !cont(posi) {
                        break;
                    }
                }
                n -= 1;
            }
        }
    }
    let v = if n == 0 {
        Value::Integer(posi + 1)
    } else {
        Value::Nil
    };
    ctx.ret(v)
}

fn codes<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let lax = ctx.arg(1).is_truthy();
    let s = ctx.check_string(0)?;
    if iscont(s.as_bytes(), 0) {
        return Err(RtError::bad_arg(1, MSG_INVALID));
    }
    let f = if lax {
        ctx.native("codes_iter", iter_lax)
    } else {
        ctx.native("codes_iter", iter_strict)
    };
    ctx.push(f);
    ctx.push(Value::String(s));
    ctx.push(Value::Integer(0));
    Ok(3)
}

fn iter_strict<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    iter_aux(ctx, true)
}

fn iter_lax<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    iter_aux(ctx, false)
}

/// `lua_tointeger`: the integer value of a number or numeral, else 0.
fn to_integer(v: Value<'_>) -> i64 {
    match v {
        Value::Integer(i) => i,
        Value::Number(f) => crate::vm::arith::float_to_int_exact(f).unwrap_or(0),
        Value::String(s) => match convert::str_to_number(s.as_bytes()) {
            Some(convert::Number::Int(i)) => i,
            Some(convert::Number::Float(f)) => crate::vm::arith::float_to_int_exact(f).unwrap_or(0),
            None => 0,
        },
        _ => 0,
    }
}

fn iter_aux<'gc>(mut ctx: Ctx<'gc, '_>, strict: bool) -> RtResult<'gc, usize> {
    let s = ctx.check_string(0)?.as_bytes();
    let len = s.len() as u64;
    // The control value is the position of the previous character (0 at
    // first); negative values wrap to huge ones and end the iteration.
    let mut n = to_integer(ctx.arg(1)) as u64;
    if n < len {
        while iscont(s, n as usize) {
            n += 1;
        }
    }
    if n >= len {
        return Ok(0);
    }
    let n = n as usize;
    match utf8::decode(&s[n..], strict) {
        Some((code, size)) if !iscont(s, n + size) => {
            ctx.push(Value::Integer(n as i64 + 1));
            ctx.push(Value::Integer(i64::from(code)));
            Ok(2)
        }
        _ => Err(RtError::msg(MSG_INVALID)),
    }
}
