//! The math library (reference manual §6.7), including the 5.3
//! compatibility functions that the stand-alone `lua5.4` also has.

use std::cell::Cell;

use gc_arena::Mutation;

use crate::error::{RtError, RtResult};
use crate::function::{NativeFn, NativeFunction, NativeKind};
use crate::state::{Global, GlobalRef};
use crate::stdlib::{new_lib, set_value};
use crate::userdata::UserData;
use crate::value::{Function, Value};
use crate::vm::arith::float_to_int_exact;
use crate::vm::ctx::Ctx;

pub fn open<'gc>(mc: &Mutation<'gc>, g: GlobalRef<'gc>) {
    let fns: &[(&'static str, NativeFn)] = &[
        ("abs", abs),
        ("ceil", ceil),
        ("floor", floor),
        ("fmod", fmod),
        ("modf", modf),
        ("sqrt", sqrt),
        ("exp", exp),
        ("log", log),
        ("sin", sin),
        ("cos", cos),
        ("tan", tan),
        ("asin", asin),
        ("acos", acos),
        ("atan", atan),
        ("deg", deg),
        ("rad", rad),
        ("tointeger", tointeger),
        ("type", math_type),
        ("ult", ult),
        ("max", max),
        ("min", min),
        // LUA_COMPAT_MATHLIB, as in the Debian/Ubuntu build of lua5.4
        // (`atan2` is added below).
        ("cosh", cosh),
        ("sinh", sinh),
        ("tanh", tanh),
        ("pow", pow),
        ("frexp", frexp),
        ("ldexp", ldexp),
        ("log10", log10),
    ];
    let t = new_lib(mc, g, "math", fns);
    // The compat `atan2` is the very function `atan` (`math.atan2 == math.atan`).
    let atan_fn = t.get(Value::String(Global::intern(g, mc, b"atan")));
    set_value(mc, g, t, "atan2", atan_fn);
    set_value(mc, g, t, "pi", Value::Number(std::f64::consts::PI));
    set_value(mc, g, t, "huge", Value::Number(f64::INFINITY));
    set_value(mc, g, t, "maxinteger", Value::Integer(i64::MAX));
    set_value(mc, g, t, "mininteger", Value::Integer(i64::MIN));

    let state = RandState {
        s: Cell::new([0; 4]),
    };
    let ud = UserData::new(mc, Box::new(state), None);
    let seed1 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() ^ ((d.subsec_nanos() as u64) << 32))
        .unwrap_or(0);
    let seed2 = gc_arena::Gc::as_ptr(ud.0) as *const () as usize as u64;
    if let Some(st) = ud.downcast::<RandState>() {
        st.seed(seed1, seed2);
    }
    for (name, f) in [("random", random as NativeFn), ("randomseed", randomseed)] {
        let nf =
            NativeFunction::with_upvalues(mc, name, NativeKind::Plain(f), &[Value::UserData(ud)]);
        set_value(mc, g, t, name, Value::Function(Function::Native(nf)));
    }
}

/// `lua_isinteger`: an actual integer value (strings do not count).
fn int_arg(ctx: &Ctx<'_, '_>, i: usize) -> Option<i64> {
    match ctx.arg(i) {
        Value::Integer(n) => Some(n),
        _ => None,
    }
}

/// An integer when the float has an exact integer value, else the float.
fn num_or_int<'gc>(f: f64) -> Value<'gc> {
    match float_to_int_exact(f) {
        Some(i) => Value::Integer(i),
        None => Value::Number(f),
    }
}

fn abs<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let r = match int_arg(&ctx, 0) {
        Some(n) => Value::Integer(n.wrapping_abs()),
        None => Value::Number(ctx.check_number(0)?.abs()),
    };
    ctx.ret(r)
}

fn floor<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let r = match int_arg(&ctx, 0) {
        Some(n) => Value::Integer(n),
        None => num_or_int(ctx.check_number(0)?.floor()),
    };
    ctx.ret(r)
}

fn ceil<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let r = match int_arg(&ctx, 0) {
        Some(n) => Value::Integer(n),
        None => num_or_int(ctx.check_number(0)?.ceil()),
    };
    ctx.ret(r)
}

fn fmod<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let (Some(a), Some(b)) = (int_arg(&ctx, 0), int_arg(&ctx, 1)) {
        let r = match b {
            0 => return Err(RtError::bad_arg(2, "zero")),
            -1 => 0,
            _ => a % b,
        };
        return ctx.ret(Value::Integer(r));
    }
    // The divisor is checked first, as lua5.4 does (its C compiler evaluates
    // fmod's arguments right to left), so errors blame the same argument.
    let b = ctx.check_number(1)?;
    let a = ctx.check_number(0)?;
    ctx.ret(Value::Number(crate::vm::fmod::fmod(a, b)))
}

fn modf<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    if let Some(n) = int_arg(&ctx, 0) {
        ctx.push(Value::Integer(n));
        ctx.push(Value::Number(0.0));
        return Ok(2);
    }
    let n = ctx.check_number(0)?;
    let ip = if n < 0.0 { n.ceil() } else { n.floor() };
    // The integral part is an integer when it fits (as lua5.4 prints it).
    ctx.push(num_or_int(ip));
    ctx.push(Value::Number(if n == ip { 0.0 } else { n - ip }));
    Ok(2)
}

macro_rules! float_fn {
    ($name:ident, $f:expr) => {
        fn $name<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
            let x = ctx.check_number(0)?;
            let f: fn(f64) -> f64 = $f;
            ctx.ret(Value::Number(f(x)))
        }
    };
}

float_fn!(sqrt, f64::sqrt);
float_fn!(exp, f64::exp);
float_fn!(sin, f64::sin);
float_fn!(cos, f64::cos);
float_fn!(tan, f64::tan);
float_fn!(asin, f64::asin);
float_fn!(acos, f64::acos);
float_fn!(cosh, f64::cosh);
float_fn!(sinh, f64::sinh);
float_fn!(tanh, f64::tanh);
float_fn!(log10, f64::log10);
float_fn!(deg, |x| x * (180.0 / std::f64::consts::PI));
float_fn!(rad, |x| x * (std::f64::consts::PI / 180.0));

fn atan<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let y = ctx.check_number(0)?;
    let x = if ctx.arg(1).is_nil() {
        1.0
    } else {
        ctx.check_number(1)?
    };
    ctx.ret(Value::Number(y.atan2(x)))
}

fn log<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let x = ctx.check_number(0)?;
    let r = if ctx.arg(1).is_nil() {
        x.ln()
    } else {
        let b = ctx.check_number(1)?;
        if b == 2.0 {
            x.log2()
        } else if b == 10.0 {
            x.log10()
        } else {
            x.ln() / b.ln()
        }
    };
    ctx.ret(Value::Number(r))
}

fn pow<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let x = ctx.check_number(0)?;
    let y = ctx.check_number(1)?;
    ctx.ret(Value::Number(x.powf(y)))
}

/// C's frexp: `x = m * 2^e` with 0.5 <= |m| < 1.
pub fn frexp_f(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, adj) = if x.abs() < f64::MIN_POSITIVE {
        (x * 2f64.powi(64), -64)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let e = exp - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e + adj)
}

/// C's ldexp: `m * 2^e` without intermediate overflow.
pub fn ldexp_f(m: f64, e: i64) -> f64 {
    let mut r = m;
    let mut e = e.clamp(-4000, 4000) as i32;
    while e > 1000 {
        r *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        r *= 2f64.powi(-1000);
        e += 1000;
    }
    r * 2f64.powi(e)
}

fn frexp<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let x = ctx.check_number(0)?;
    let (m, e) = frexp_f(x);
    ctx.push(Value::Number(m));
    ctx.push(Value::Integer(e));
    Ok(2)
}

fn ldexp<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let m = ctx.check_number(0)?;
    let e = ctx.check_integer(1)?;
    ctx.ret(Value::Number(ldexp_f(m, e)))
}

fn tointeger<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    use crate::vm::convert::{str_to_number, Number};
    let r = match ctx.arg(0) {
        Value::Integer(n) => Some(n),
        Value::Number(f) => float_to_int_exact(f),
        Value::String(s) => match str_to_number(s.as_bytes()) {
            Some(Number::Int(n)) => Some(n),
            Some(Number::Float(f)) => float_to_int_exact(f),
            None => None,
        },
        _ => None,
    };
    match r {
        Some(n) => ctx.ret(Value::Integer(n)),
        None => {
            ctx.check_any(0)?;
            ctx.ret(Value::Nil)
        }
    }
}

fn math_type<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let r = match ctx.check_any(0)? {
        Value::Integer(_) => ctx.str_value(b"integer"),
        Value::Number(_) => ctx.str_value(b"float"),
        _ => Value::Nil,
    };
    ctx.ret(r)
}

fn ult<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let a = ctx.check_integer(0)?;
    let b = ctx.check_integer(1)?;
    ctx.ret(Value::Boolean((a as u64) < (b as u64)))
}

fn min_max<'gc>(mut ctx: Ctx<'gc, '_>, want_max: bool) -> RtResult<'gc, usize> {
    // As lmathlib: any values that `<` compares (strings, `__lt`).
    let n = ctx.nargs;
    if n == 0 {
        return Err(RtError::bad_arg(1, "value expected"));
    }
    let mut best = ctx.arg(0);
    for i in 1..n {
        let v = ctx.arg(i);
        let mut m = super::mcx(&mut ctx);
        let better = if want_max {
            m.compare(best, v, false)
        } else {
            m.compare(v, best, false)
        };
        let better = crate::stdlib::table::in_native(&ctx, better)?;
        if better {
            best = v;
        }
    }
    ctx.ret(best)
}

fn max<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    min_max(ctx, true)
}

fn min<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    min_max(ctx, false)
}

// ---- pseudo-random numbers: xoshiro256** as in Lua 5.4 ----

/// The generator's state, shared by `random` and `randomseed`.
pub struct RandState {
    s: Cell<[u64; 4]>,
}

impl RandState {
    pub fn next(&self) -> u64 {
        let mut s = self.s.get();
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        self.s.set(s);
        result
    }

    pub fn seed(&self, n1: u64, n2: u64) {
        self.s.set([n1, 0xff, n2, 0]);
        for _ in 0..16 {
            self.next();
        }
    }

    /// A value in `[0, n]`, without bias.
    fn project(&self, mut ran: u64, n: u64) -> u64 {
        if n & n.wrapping_add(1) == 0 {
            return ran & n;
        }
        let mut lim = n;
        lim |= lim >> 1;
        lim |= lim >> 2;
        lim |= lim >> 4;
        lim |= lim >> 8;
        lim |= lim >> 16;
        lim |= lim >> 32;
        loop {
            ran &= lim;
            if ran <= n {
                return ran;
            }
            ran = self.next();
        }
    }
}

fn rand_state<'gc>(ctx: &Ctx<'gc, '_>) -> RtResult<'gc, &'gc RandState> {
    match ctx.upvalue(0) {
        Value::UserData(ud) => ud
            .downcast::<RandState>()
            .ok_or_else(|| RtError::msg("invalid random state")),
        _ => Err(RtError::msg("invalid random state")),
    }
}

fn random<'gc>(ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let st = rand_state(&ctx)?;
    let rv = st.next();
    let (low, up) = match ctx.nargs {
        0 => {
            let f = (rv >> 11) as f64 * (0.5f64).powi(53);
            return ctx.ret(Value::Number(f));
        }
        1 => {
            let up = ctx.check_integer(0)?;
            if up == 0 {
                return ctx.ret(Value::Integer(rv as i64));
            }
            (1, up)
        }
        2 => (ctx.check_integer(0)?, ctx.check_integer(1)?),
        _ => return Err(RtError::msg("wrong number of arguments")),
    };
    if low > up {
        return Err(RtError::bad_arg(1, "interval is empty"));
    }
    let p = st.project(rv, (up as u64).wrapping_sub(low as u64));
    ctx.ret(Value::Integer(p.wrapping_add(low as u64) as i64))
}

fn randomseed<'gc>(mut ctx: Ctx<'gc, '_>) -> RtResult<'gc, usize> {
    let st = rand_state(&ctx)?;
    let (n1, n2) = if ctx.nargs == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() ^ ((d.subsec_nanos() as u64) << 32))
            .unwrap_or(0);
        (t as i64, st as *const RandState as usize as i64)
    } else {
        (ctx.check_integer(0)?, ctx.opt_integer(1, 0)?)
    };
    st.seed(n1 as u64, n2 as u64);
    ctx.push(Value::Integer(n1));
    ctx.push(Value::Integer(n2));
    Ok(2)
}
