//! GC-independent text and number algorithms behind the standard library:
//! numeral conversion, printf formatting, patterns, pack, time and UTF-8.

pub mod number;
pub mod pack;
pub mod pattern;
pub mod printf;
pub mod time;
pub mod utf8;

#[cfg(test)]
mod fuzz;
