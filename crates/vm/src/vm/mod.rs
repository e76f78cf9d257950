//! The interpreter: execution of bytecode, calls, metamethods and errors.

pub mod arith;
pub mod budget;
pub mod cont;
pub mod convert;
pub mod ctx;
pub mod debug;
pub mod exec;
pub mod fmod;
pub mod hook;
pub mod level;
pub mod meta;
pub mod prepared;
