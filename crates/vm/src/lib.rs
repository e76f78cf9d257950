//! lunarena-vm: a Lua 5.4 virtual machine on gc-arena.

pub mod compiler;
pub mod text;
