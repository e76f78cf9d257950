//! Per-function compilation state and the expression descriptor the
//! one-pass code generator works with (the design of PUC-Rio's lcode).

use std::collections::HashMap;

use super::proto::Proto;

/// End of a jump list.
pub const NO_JUMP: i32 = -1;
/// Registers a function may use (one less than 256 so `freereg` fits a byte).
pub const MAX_REGS: usize = 255;
pub const MAX_VARS: usize = 200;
pub const MAX_UPVALS: usize = 255;

/// Where the value of an expression is, or how to get it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExpK {
    /// Empty expression list / no value.
    Void,
    Nil,
    True,
    False,
    /// Constant `K[i]`.
    K(usize),
    KFlt(f64),
    KInt(i64),
    /// A string literal (index into the parser's string table).
    KStr(u32),
    /// Value in a fixed register.
    NonReloc(usize),
    /// A local variable: its register and its index among active variables.
    Local {
        ridx: usize,
        vidx: usize,
    },
    Upval(usize),
    /// Compile-time constant variable (absolute index in the variable list).
    Const(usize),
    /// `R[t][R[idx]]`.
    Indexed {
        t: usize,
        idx: usize,
    },
    /// `U[t][K[idx]]`.
    IndexUp {
        t: usize,
        idx: usize,
    },
    /// `R[t][idx]` with an integer key.
    IndexI {
        t: usize,
        idx: usize,
    },
    /// `R[t][K[idx]]` with a string key.
    IndexStr {
        t: usize,
        idx: usize,
    },
    /// A comparison/test: the pc of its jump.
    Jmp(usize),
    /// The instruction at pc can put the result in any register.
    Reloc(usize),
    Call(usize),
    Vararg(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpDesc {
    pub k: ExpK,
    /// Patch list of "exit when true".
    pub t: i32,
    /// Patch list of "exit when false".
    pub f: i32,
}

impl ExpDesc {
    pub fn new(k: ExpK) -> ExpDesc {
        ExpDesc {
            k,
            t: NO_JUMP,
            f: NO_JUMP,
        }
    }

    pub fn has_jumps(&self) -> bool {
        self.t != self.f
    }

    pub fn is_multret(&self) -> bool {
        matches!(self.k, ExpK::Call(_) | ExpK::Vararg(_))
    }

    pub fn is_var(&self) -> bool {
        matches!(
            self.k,
            ExpK::Local { .. }
                | ExpK::Upval(_)
                | ExpK::Const(_)
                | ExpK::Indexed { .. }
                | ExpK::IndexUp { .. }
                | ExpK::IndexI { .. }
                | ExpK::IndexStr { .. }
        )
    }

    pub fn is_indexed(&self) -> bool {
        matches!(
            self.k,
            ExpK::Indexed { .. }
                | ExpK::IndexUp { .. }
                | ExpK::IndexI { .. }
                | ExpK::IndexStr { .. }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Regular,
    /// `<const>` kept in a register.
    Const,
    /// `<close>`.
    ToClose,
    /// `<const>` with a compile-time value: no register.
    CompileTime,
}

pub struct VarDesc {
    pub kind: VarKind,
    pub ridx: usize,
    /// Index into `Proto::local_vars` (unused for compile-time constants).
    pub pidx: usize,
    pub name: u32,
    /// The value of a compile-time constant.
    pub value: ExpK,
}

/// A pending goto or an active label.
#[derive(Debug, Clone)]
pub struct LabelDesc {
    pub name: u32,
    pub pc: usize,
    pub line: u32,
    /// Number of active variables at that point.
    pub nactvar: usize,
    /// A goto that leaves the scope of a variable needing a close.
    pub close: bool,
}

pub struct BlockCnt {
    pub first_label: usize,
    pub first_goto: usize,
    pub nactvar: usize,
    /// Some variable of the block is captured or to-be-closed.
    pub upval: bool,
    pub is_loop: bool,
    /// Inside the scope of a to-be-closed variable.
    pub inside_tbc: bool,
}

/// Constant-table key: floats by bit pattern so 1 and 1.0 stay distinct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KKey {
    Nil,
    Bool(bool),
    Int(i64),
    Flt(u64),
    Str(u32),
}

pub struct FuncState {
    pub f: Proto,
    pub blocks: Vec<BlockCnt>,
    /// Last pc that is a jump target (no peephole across it).
    pub last_target: usize,
    pub free_reg: usize,
    /// Active local variables (including compile-time constants).
    pub nactvar: usize,
    /// Index of this function's first variable in the parser's list.
    pub first_local: usize,
    pub first_label: usize,
    /// Returns must close upvalues / to-be-closed variables.
    pub need_close: bool,
    /// Kind of the variable each upvalue refers to (for const checks).
    pub upval_kinds: Vec<VarKind>,
    pub kcache: HashMap<KKey, usize>,
}

impl FuncState {
    pub fn new(source: &[u8], line: u32, first_local: usize, first_label: usize) -> FuncState {
        FuncState {
            f: Proto {
                source: source.into(),
                line_defined: line,
                max_stack: 2,
                ..Default::default()
            },
            blocks: Vec::new(),
            last_target: 0,
            free_reg: 0,
            nactvar: 0,
            first_local,
            first_label,
            need_close: false,
            upval_kinds: Vec::new(),
            kcache: HashMap::new(),
        }
    }

    pub fn pc(&self) -> usize {
        self.f.code.len()
    }
}
