//! Number semantics: Lua 5.4 integer/float arithmetic, comparisons and
//! conversions between the two subtypes.

use crate::state::Tm;
use crate::value::Value;

/// The float as an integer, if it has an exact integer value in range.
#[inline]
pub fn float_to_int_exact(f: f64) -> Option<i64> {
    // -2^63 is exact; 2^63 is out of range.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        let i = f as i64;
        if i as f64 == f {
            return Some(i);
        }
    }
    None
}

/// floor(f) as an integer, if in range.
pub fn float_floor_to_int(f: f64) -> Option<i64> {
    float_to_int_exact(f.floor())
}

/// ceil(f) as an integer, if in range.
pub fn float_ceil_to_int(f: f64) -> Option<i64> {
    float_to_int_exact(f.ceil())
}

/// Integer and float equality without rounding errors.
#[inline]
pub fn int_eq_float(i: i64, f: f64) -> bool {
    float_to_int_exact(f) == Some(i)
}

/// i < f, exactly.
pub fn int_lt_float(i: i64, f: f64) -> bool {
    if f.is_nan() {
        return false;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return true;
    }
    if f < -9_223_372_036_854_775_808.0 {
        return false;
    }
    // i < f  <=>  i < ceil(f) when f is in range
    let c = f.ceil();
    i < c as i64
}

/// i <= f, exactly.
pub fn int_le_float(i: i64, f: f64) -> bool {
    if f.is_nan() {
        return false;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return true;
    }
    if f < -9_223_372_036_854_775_808.0 {
        return false;
    }
    i <= f.floor() as i64
}

/// f < i, exactly.
pub fn float_lt_int(f: f64, i: i64) -> bool {
    if f.is_nan() {
        return false;
    }
    !int_le_float(i, f)
}

/// f <= i, exactly.
pub fn float_le_int(f: f64, i: i64) -> bool {
    if f.is_nan() {
        return false;
    }
    !int_lt_float(i, f)
}

/// Numeric less-than; `None` if either is not a number.
#[inline]
pub fn num_lt(a: Value<'_>, b: Value<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x < y,
        (Value::Number(x), Value::Number(y)) => x < y,
        (Value::Integer(x), Value::Number(y)) => int_lt_float(x, y),
        (Value::Number(x), Value::Integer(y)) => float_lt_int(x, y),
        _ => return None,
    })
}

/// Numeric less-or-equal; `None` if either is not a number.
#[inline]
pub fn num_le(a: Value<'_>, b: Value<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x <= y,
        (Value::Number(x), Value::Number(y)) => x <= y,
        (Value::Integer(x), Value::Number(y)) => int_le_float(x, y),
        (Value::Number(x), Value::Integer(y)) => float_le_int(x, y),
        _ => return None,
    })
}

/// Floor division of integers (`//`); the caller checks for zero.
#[inline]
pub fn int_floor_div(a: i64, b: i64) -> i64 {
    if b == -1 {
        return a.wrapping_neg();
    }
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// Floor modulo of integers (`%`); the caller checks for zero.
#[inline]
pub fn int_mod(a: i64, b: i64) -> i64 {
    if b == -1 {
        return 0;
    }
    let r = a % b;
    if r != 0 && ((r ^ b) < 0) {
        r + b
    } else {
        r
    }
}

/// Float modulo with Lua's sign rule.
#[inline]
pub fn float_mod(a: f64, b: f64) -> f64 {
    let r = crate::vm::fmod::fmod(a, b);
    if r != 0.0 && ((r > 0.0) != (b > 0.0)) {
        r + b
    } else {
        r
    }
}

/// Float `%` with Lua's rules, including infinite divisors.
#[inline]
pub fn lua_fmod(f: f64, g: f64) -> f64 {
    if g.is_infinite() && f.is_finite() {
        if (f >= 0.0) == (g > 0.0) || f == 0.0 {
            f
        } else {
            g
        }
    } else {
        float_mod(f, g)
    }
}

/// Logical shift left (negative counts shift right).
#[inline]
pub fn shift_left(x: i64, n: i64) -> i64 {
    if n <= -64 || n >= 64 {
        0
    } else if n >= 0 {
        ((x as u64) << n) as i64
    } else {
        ((x as u64) >> (-n)) as i64
    }
}

/// The arithmetic and bitwise operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Mod,
    Pow,
    Div,
    IDiv,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    Unm,
    BNot,
}

impl ArithOp {
    /// The metamethod event of the operator.
    pub fn tm(self) -> Tm {
        match self {
            ArithOp::Add => Tm::Add,
            ArithOp::Sub => Tm::Sub,
            ArithOp::Mul => Tm::Mul,
            ArithOp::Mod => Tm::Mod,
            ArithOp::Pow => Tm::Pow,
            ArithOp::Div => Tm::Div,
            ArithOp::IDiv => Tm::IDiv,
            ArithOp::BAnd => Tm::BAnd,
            ArithOp::BOr => Tm::BOr,
            ArithOp::BXor => Tm::BXor,
            ArithOp::Shl => Tm::Shl,
            ArithOp::Shr => Tm::Shr,
            ArithOp::Unm => Tm::Unm,
            ArithOp::BNot => Tm::BNot,
        }
    }

    pub fn is_bitwise(self) -> bool {
        matches!(
            self,
            ArithOp::BAnd
                | ArithOp::BOr
                | ArithOp::BXor
                | ArithOp::Shl
                | ArithOp::Shr
                | ArithOp::BNot
        )
    }
}

/// Why an arithmetic operation on plain values failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithError {
    /// Not numbers (after string coercion): try a metamethod.
    NotNumbers,
    /// A float or string without an integer representation in a bitwise op.
    NoIntegerRep,
    DivByZero,
    ModByZero,
}

/// A number operand after string coercion.
#[derive(Clone, Copy)]
pub enum Num {
    Int(i64),
    Float(f64),
}

#[inline]
pub fn to_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Integer(i) => Some(Num::Int(i)),
        Value::Number(n) => Some(Num::Float(n)),
        Value::String(s) => match crate::vm::convert::str_to_number(s.as_bytes())? {
            crate::vm::convert::Number::Int(i) => Some(Num::Int(i)),
            crate::vm::convert::Number::Float(f) => Some(Num::Float(f)),
        },
        _ => None,
    }
}

/// A number operand without string coercion.
#[inline]
pub fn to_plain_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Integer(i) => Some(Num::Int(i)),
        Value::Number(n) => Some(Num::Float(n)),
        _ => None,
    }
}

fn num_to_int(n: Num) -> Option<i64> {
    match n {
        Num::Int(i) => Some(i),
        Num::Float(f) => float_to_int_exact(f),
    }
}

fn num_to_float(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

/// Performs an arithmetic operation on two numbers (the second is ignored
/// by unary operators), without metamethods. Strings are not converted:
/// as in Lua 5.4, numeric strings reach arithmetic through the string
/// metatable's metamethods (stdlib/string.rs), which a script may change.
pub fn arith<'gc>(op: ArithOp, a: Value<'gc>, b: Value<'gc>) -> Result<Value<'gc>, ArithError> {
    let x = to_plain_num(a).ok_or(ArithError::NotNumbers)?;
    let y = if matches!(op, ArithOp::Unm | ArithOp::BNot) {
        x
    } else {
        to_plain_num(b).ok_or(ArithError::NotNumbers)?
    };
    if op.is_bitwise() {
        let i = num_to_int(x).ok_or(ArithError::NoIntegerRep)?;
        let j = num_to_int(y).ok_or(ArithError::NoIntegerRep)?;
        return Ok(Value::Integer(match op {
            ArithOp::BAnd => i & j,
            ArithOp::BOr => i | j,
            ArithOp::BXor => i ^ j,
            ArithOp::Shl => shift_left(i, j),
            ArithOp::Shr => shift_left(i, j.wrapping_neg()),
            _ => !i,
        }));
    }
    if let (Num::Int(i), Num::Int(j)) = (x, y) {
        match op {
            ArithOp::Add => return Ok(Value::Integer(i.wrapping_add(j))),
            ArithOp::Sub => return Ok(Value::Integer(i.wrapping_sub(j))),
            ArithOp::Mul => return Ok(Value::Integer(i.wrapping_mul(j))),
            ArithOp::Unm => return Ok(Value::Integer(i.wrapping_neg())),
            ArithOp::IDiv => {
                if j == 0 {
                    return Err(ArithError::DivByZero);
                }
                return Ok(Value::Integer(int_floor_div(i, j)));
            }
            ArithOp::Mod => {
                if j == 0 {
                    return Err(ArithError::ModByZero);
                }
                return Ok(Value::Integer(int_mod(i, j)));
            }
            _ => {}
        }
    }
    let (f, g) = (num_to_float(x), num_to_float(y));
    Ok(Value::Number(match op {
        ArithOp::Add => f + g,
        ArithOp::Sub => f - g,
        ArithOp::Mul => f * g,
        ArithOp::Div => f / g,
        ArithOp::Pow => {
            if g == 2.0 {
                f * f
            } else {
                f.powf(g)
            }
        }
        ArithOp::IDiv => (f / g).floor(),
        ArithOp::Mod => lua_fmod(f, g),
        ArithOp::Unm => -f,
        _ => unreachable!("bitwise and integer cases handled above"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_and_modulo() {
        assert_eq!(int_floor_div(7, 2), 3);
        assert_eq!(int_floor_div(-7, 2), -4);
        assert_eq!(int_floor_div(i64::MIN, -1), i64::MIN);
        assert_eq!(int_mod(-7, 2), 1);
        assert_eq!(int_mod(7, -2), -1);
        assert_eq!(int_mod(i64::MIN, -1), 0);
        assert_eq!(float_mod(-7.0, 2.0), 1.0);
    }

    #[test]
    fn exact_comparisons() {
        assert!(int_lt_float(1, 1.5));
        assert!(!int_lt_float(2, 1.5));
        assert!(int_le_float(i64::MAX, 9_223_372_036_854_775_808.0));
        assert!(!int_eq_float(i64::MAX, 9_223_372_036_854_775_808.0));
        assert!(float_lt_int(-0.5, 0));
        assert_eq!(float_to_int_exact(-0.0), Some(0));
        assert_eq!(float_to_int_exact(0.5), None);
    }
}
