//! `string.pack`, `string.unpack` and `string.packsize`, driving the engine
//! in `crate::text::pack`.

use crate::error::{RtError, RtResult};
use crate::text::pack::{self as engine, ArgKind, PackError, PackValue};
use crate::value::Value;
use crate::vm::ctx::Ctx;

use super::{charge_bytes, pos_start, MAX_STRING};

fn pack_error<'gc>(ctx: &Ctx<'gc, '_>, e: PackError) -> RtError<'gc> {
    match e {
        // As `luaL_error` raises it, the message's bytes kept as they are.
        PackError::Plain(m) => {
            let mut text = ctx.where_(1);
            text.extend_from_slice(&m);
            RtError::Value(ctx.str_value(&text))
        }
        PackError::Arg(n, m) => RtError::bad_arg(n, m),
    }
}

pub(super) fn pack<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fmt = ctx.check_string(0)?.as_bytes();
    let mut arg_error = None;
    let packed = engine::pack(fmt, MAX_STRING, &mut |kind, n| {
        let i = n - 1;
        if i >= ctx.nargs {
            // PUC-Rio's pack keeps a nil above its arguments, so a missing
            // one reads as nil rather than "no value".
            let expected = if kind == ArgKind::Str {
                "string"
            } else {
                "number"
            };
            arg_error = Some(RtError::bad_arg(n, format!("{expected} expected, got nil")));
            return Err(PackError::Plain(Vec::new()));
        }
        let v = match kind {
            ArgKind::Int => ctx.check_integer(i).map(PackValue::Int),
            ArgKind::Float => ctx.check_number(i).map(PackValue::Float),
            ArgKind::Str => ctx
                .check_string(i)
                .map(|s| PackValue::Str(s.as_bytes().to_vec())),
        };
        v.map_err(|e| {
            arg_error = Some(e);
            PackError::Plain(Vec::new())
        })
    });
    let bytes = match packed {
        Ok(b) => b,
        Err(e) => return Err(arg_error.take().unwrap_or_else(|| pack_error(&ctx, e))),
    };
    charge_bytes(ctx.g, bytes.len())?;
    let v = ctx.str_value(&bytes);
    ctx.ret(v)
}

pub(super) fn packsize<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fmt = ctx.check_string(0)?.as_bytes();
    let n = engine::packsize(fmt).map_err(|e| pack_error(&ctx, e))?;
    ctx.ret(Value::Integer(n as i64))
}

pub(super) fn unpack<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fmt = ctx.check_string(0)?.as_bytes();
    let data = ctx.check_string(1)?.as_bytes();
    let pos = pos_start(ctx.opt_integer(2, 1)?, data.len()) - 1;
    let pos = usize::try_from(pos).unwrap_or(usize::MAX);
    let (values, end) = engine::unpack(fmt, data, pos).map_err(|e| pack_error(&ctx, e))?;
    let n = values.len();
    for v in values {
        let v = match v {
            PackValue::Int(i) => Value::Integer(i),
            PackValue::Float(f) => Value::Number(f),
            PackValue::Str(s) => ctx.str_value(&s),
        };
        ctx.push(v);
    }
    ctx.push(Value::Integer(end as i64 + 1));
    Ok(n + 1)
}
