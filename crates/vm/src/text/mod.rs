//! GC-independent text and number algorithms behind the standard library:
//! numeral conversion, printf formatting, patterns, pack, time and UTF-8.

pub mod number;
pub mod pack;
pub mod pattern;
pub mod printf;
pub mod time;
pub mod utf8;

#[cfg(test)]
pub(crate) mod fuzz;

/// What a C function sees of a Lua string passed as `const char *`: the
/// bytes before the first NUL (names, paths, modes and chunk names are
/// cut there in PUC-Rio Lua).
pub fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}
