//! `string.format`, driving the printf engine in `crate::text::printf`.

use crate::error::{RtError, RtResult};
use crate::text::printf::{self, Spec};
use crate::value::Value;
use crate::vm::cont;
use crate::vm::ctx::Ctx;

fn int<'gc>(n: usize) -> Value<'gc> {
    Value::Integer(n as i64)
}

use super::{charge_bytes, MAX_STRING};

/// The conversion letter after the flags/width/precision span starting at
/// `fmt[pos]`, if any.
fn peek_conv(fmt: &[u8], pos: usize) -> Option<u8> {
    fmt.get(pos..)?
        .iter()
        .find(|b| !b"-+ #0123456789.".contains(b))
        .copied()
}

pub(super) fn format<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let fmt = ctx.check_string(0)?.as_bytes();
    // A `__tostring` called for `%s` may await the host (`Ctx::call_then`):
    // after the n arguments, the text so far, where the format goes on,
    // where the `%s` spec starts, and the index of its argument.
    let (mut out, mut i, mut arg, held) = if ctx.resumed() {
        let n = ctx.nargs - 5;
        let int = |k: usize| match ctx.arg(k) {
            Value::Integer(v) => v.max(0) as usize,
            _ => 0,
        };
        let (held, i, start, arg) = (ctx.arg(n), int(n + 1), int(n + 2), int(n + 3));
        let s = crate::vm::meta::tostring_result(ctx.mc, ctx.g, ctx.arg(n + 4))?;
        let mut out = cont::take::<Vec<u8>>(held);
        format_s(fmt, start, s.as_bytes(), arg, &mut out)?;
        ctx.set_args(n);
        (out, i, arg, held)
    } else {
        (Vec::with_capacity(fmt.len()), 0, 0, Value::Nil)
    };
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        arg += 1;
        if arg >= ctx.nargs {
            return Err(RtError::bad_arg(arg + 1, "no value"));
        }
        let start = i;
        // PUC-Rio checks the argument before the spec's flags for these
        // conversions (but not for `%a`, `%c`, `%p` and `%q`).
        let conv = peek_conv(fmt, i);
        let value = match conv {
            Some(b'd' | b'i' | b'u' | b'o' | b'x' | b'X') => {
                Some(Value::Integer(ctx.check_integer(arg)?))
            }
            Some(b'e' | b'E' | b'f' | b'g' | b'G') => Some(Value::Number(ctx.check_number(arg)?)),
            Some(b's') => {
                // `%s`: tostring semantics, `__tostring` included; the
                // value is converted before the spec is checked.
                i = printf::spec_end(fmt, i).map_err(RtError::msg)?;
                let v = ctx.arg(arg);
                let tm = crate::vm::meta::get_tm(ctx.g, v, crate::state::Tm::ToString);
                if !tm.is_nil() {
                    ctx.set_args(ctx.nargs);
                    let buf = cont::stash(ctx.mc, held, out);
                    for k in [buf, int(i), int(start), int(arg)] {
                        ctx.push(k);
                    }
                    return ctx.call_then(tm, &[v], 1);
                }
                let s = crate::vm::meta::tostring_raw(ctx.g, v);
                format_s(fmt, start, &s, arg, &mut out)?;
                None
            }
            _ => None,
        };
        if conv != Some(b's') {
            let (spec, next) = printf::parse_spec(fmt, start).map_err(RtError::msg)?;
            i = next;
            match (spec.conv, value) {
                (_, Some(Value::Integer(n))) => printf::format_int(&spec, n, &mut out),
                (_, Some(Value::Number(f))) => printf::format_float(&spec, f, &mut out),
                (b'c', _) => {
                    let n = ctx.check_integer(arg)?;
                    printf::format_int(&spec, n, &mut out);
                }
                (b'p', _) => format_pointer(&ctx, &spec, arg, &mut out),
                (b'q', _) => quote(&ctx, arg, &mut out)?,
                _ => {
                    let f = ctx.check_number(arg)?;
                    printf::format_float(&spec, f, &mut out);
                }
            }
        }
        if out.len() > MAX_STRING {
            return Err(RtError::msg("resulting string too large"));
        }
    }
    charge_bytes(ctx.g, out.len())?;
    let v = Value::String(ctx.intern_vec(out));
    ctx.ret(v)
}

/// `%s` with the text `s` of argument `arg`, for the spec at `fmt[start]`:
/// zeros are refused (when the spec has modifiers) before the spec's flags
/// are checked, as PUC-Rio does.
fn format_s<'gc>(
    fmt: &[u8],
    start: usize,
    s: &[u8],
    arg: usize,
    out: &mut Vec<u8>,
) -> RtResult<'gc, ()> {
    if fmt.get(start) != Some(&b's') && s.contains(&0) {
        return Err(RtError::bad_arg(arg + 1, "string contains zeros"));
    }
    let (spec, _) = printf::parse_spec(fmt, start).map_err(RtError::msg)?;
    printf::format_str(&spec, s, out).map_err(|e| RtError::bad_arg(arg + 1, e))
}

/// `%p`: the address of a collectable value, `(null)` for the others.
fn format_pointer(ctx: &Ctx<'_, '_>, spec: &Spec, arg: usize, out: &mut Vec<u8>) {
    let text = match ctx.arg(arg).addr() {
        Some(a) => format!("{a:#x}"),
        None => "(null)".to_string(),
    };
    let spec = Spec {
        conv: b's',
        ..spec.clone()
    };
    // Cannot fail: the text has no zero bytes.
    let _ = printf::format_str(&spec, text.as_bytes(), out);
}

/// `%q`: a literal that reads back as the same value.
fn quote<'gc>(ctx: &Ctx<'gc, '_>, arg: usize, out: &mut Vec<u8>) -> RtResult<'gc, ()> {
    match ctx.arg(arg) {
        Value::String(s) => printf::quote_string(s.as_bytes(), out),
        Value::Integer(n) => printf::quote_int(n, out),
        Value::Number(f) => printf::quote_float(f, out),
        Value::Nil => out.extend_from_slice(b"nil"),
        Value::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        _ => return Err(RtError::bad_arg(arg + 1, "value has no literal form")),
    }
    Ok(())
}
