//! Source text to bytecode: lexer, parser, code generator.

pub mod opcode;
pub mod proto;
