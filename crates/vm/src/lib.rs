//! lunarena-vm: a Lua 5.4 virtual machine on gc-arena.
//!
//! See ARCHITECTURE.md at the repository root for which module owns what.

pub mod alloc;
pub mod cli;
pub mod compiler;
pub mod error;
pub mod function;
pub mod gc;
pub mod lua;
pub mod state;
pub mod stdlib;
pub mod string;
pub mod table;
pub mod text;
pub mod thread;
pub mod userdata;
pub mod value;
pub mod vm;

pub use lua::{Libs, Lua, LuaError, StashedValue};
pub use value::Value;
