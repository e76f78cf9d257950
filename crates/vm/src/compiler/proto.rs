//! The compiler's output: function prototypes as plain data, independent of
//! the garbage collector. The runtime turns a `Proto` into its collected form
//! when a chunk is loaded.

use super::opcode::Instr;

/// A constant of a function prototype.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Nil,
    Boolean(bool),
    Integer(i64),
    Number(f64),
    String(Box<[u8]>),
}

/// How a closure finds one of its upvalues when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpvalueDesc {
    /// The upvalue is a register of the enclosing function (else an upvalue of it).
    pub in_stack: bool,
    /// Register index or upvalue index in the enclosing function.
    pub index: u8,
    pub name: Box<[u8]>,
}

/// A local variable's name and the pc range where it is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalVar {
    pub name: Box<[u8]>,
    /// First instruction where the variable is active.
    pub start_pc: u32,
    /// First instruction where the variable is dead.
    pub end_pc: u32,
}

/// A compiled function.
#[derive(Debug, Clone, Default)]
pub struct Proto {
    /// The chunk name as given to `load` (e.g. `@file.lua`, `=stdin`, or the source).
    pub source: Box<[u8]>,
    pub line_defined: u32,
    pub last_line_defined: u32,
    pub num_params: u8,
    pub is_vararg: bool,
    /// Registers the function needs.
    pub max_stack: u8,
    pub code: Vec<Instr>,
    pub constants: Vec<Constant>,
    pub upvalues: Vec<UpvalueDesc>,
    pub protos: Vec<Proto>,
    /// Source line of each instruction (same length as `code`).
    pub line_info: Vec<u32>,
    pub local_vars: Vec<LocalVar>,
}
