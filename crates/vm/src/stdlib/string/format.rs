//! `string.format`, driving the printf engine in `crate::text::printf`.

use crate::error::{RtError, RtResult};
use crate::text::printf::{self, Spec};
use crate::value::Value;
use crate::vm::ctx::Ctx;

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
    let mut out = Vec::with_capacity(fmt.len());
    let mut arg = 0usize; // 0-based index of the last argument used
    let mut i = 0;
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
        // Numbers are checked before the spec itself, as PUC-Rio does.
        let value = match peek_conv(fmt, i) {
            Some(b'd' | b'i' | b'u' | b'o' | b'x' | b'X') => {
                Some(Value::Integer(ctx.check_integer(arg)?))
            }
            Some(b'a' | b'A' | b'e' | b'E' | b'f' | b'g' | b'G') => {
                Some(Value::Number(ctx.check_number(arg)?))
            }
            _ => None,
        };
        let (spec, next) = printf::parse_spec(fmt, i).map_err(RtError::msg)?;
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
                // `%s`: tostring semantics, `__tostring` included.
                let s = ctx.to_string(ctx.arg(arg))?;
                printf::format_str(&spec, s.as_bytes(), &mut out)
                    .map_err(|e| RtError::bad_arg(arg + 1, e))?;
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
