//! Conversions between strings and numbers as the language defines them
//! (coercions in arithmetic and concatenation, `tostring` of numbers). They
//! live in `text::number`; this module names them for the interpreter.

pub use crate::text::number::{fmt_float, fmt_int, str_to_number, Number};

/// C's `%.<prec>g` (io.write's format for floats).
pub fn fmt_g(f: f64, prec: usize, out: &mut Vec<u8>) {
    crate::text::printf::format_float(&crate::text::printf::Spec::general(prec), f, out);
}
