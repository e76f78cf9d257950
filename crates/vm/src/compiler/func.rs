//! Per-function compilation state: code emission, registers, constants,
//! local variables, upvalues, blocks and jump lists.

use super::opcode::{Instr, OpCode, MAX_BX};
use super::proto::{Constant, LocalVar, Proto, UpvalueDesc};

pub const NO_JUMP: i64 = -1;
pub const MAX_REGS: usize = 250;
pub const MAX_LOCALS: usize = 200;

pub struct ActiveLocal {
    pub name: Vec<u8>,
    pub reg: u8,
    /// Index into `proto.local_vars`.
    pub info: usize,
    pub is_const: bool,
}

pub struct Block {
    pub nactive: usize,
    pub is_loop: bool,
    pub breaks: Vec<usize>,
    /// A local of this block is captured by a closure or is to-be-closed.
    pub needs_close: bool,
    pub labels: Vec<(Vec<u8>, usize, usize)>,
}

pub struct PendingGoto {
    pub name: Vec<u8>,
    pub pc: usize,
    pub line: u32,
    pub nactive: usize,
    pub block_depth: usize,
}

pub struct FuncState {
    pub proto: Proto,
    pub free_reg: usize,
    pub actives: Vec<ActiveLocal>,
    pub blocks: Vec<Block>,
    pub gotos: Vec<PendingGoto>,
    pub has_tbc: bool,
    pub needs_close_any: bool,
}

impl FuncState {
    pub fn new(source: &[u8], line: u32) -> Self {
        FuncState {
            proto: Proto {
                source: source.into(),
                line_defined: line,
                max_stack: 2,
                ..Default::default()
            },
            free_reg: 0,
            actives: Vec::new(),
            blocks: Vec::new(),
            gotos: Vec::new(),
            has_tbc: false,
            needs_close_any: false,
        }
    }

    pub fn pc(&self) -> usize {
        self.proto.code.len()
    }

    pub fn emit(&mut self, i: Instr, line: u32) -> usize {
        self.proto.code.push(i);
        self.proto.line_info.push(line);
        self.proto.code.len() - 1
    }

    pub fn abc(&mut self, op: OpCode, a: usize, b: usize, c: usize, k: bool, line: u32) -> usize {
        self.emit(Instr::abc(op, a as u32, b as u32, c as u32, k), line)
    }

    pub fn abx(&mut self, op: OpCode, a: usize, bx: usize, line: u32) -> usize {
        self.emit(Instr::abx(op, a as u32, bx as u32), line)
    }

    pub fn jump(&mut self, line: u32) -> usize {
        self.emit(Instr::sj(OpCode::Jmp, 0), line)
    }

    /// Points the jump at `pc` to `target`.
    pub fn patch(&mut self, pc: usize, target: usize) -> Result<(), String> {
        let off = target as i64 - (pc as i64 + 1);
        if off.abs() > (1 << 24) - 2 {
            return Err("control structure too long".into());
        }
        self.proto.code[pc].set_sj(off as i32);
        Ok(())
    }

    pub fn patch_here(&mut self, pc: usize) -> Result<(), String> {
        let here = self.pc();
        self.patch(pc, here)
    }

    pub fn reserve(&mut self, n: usize) -> Result<usize, String> {
        let r = self.free_reg;
        self.free_reg += n;
        if self.free_reg > MAX_REGS {
            return Err("function or expression needs too many registers".into());
        }
        if self.free_reg > self.proto.max_stack as usize {
            self.proto.max_stack = self.free_reg as u8;
        }
        Ok(r)
    }

    pub fn nactive_regs(&self) -> usize {
        self.actives.len()
    }

    pub fn constant(&mut self, c: Constant) -> Result<usize, String> {
        if let Some(i) = self.proto.constants.iter().position(|k| match (k, &c) {
            (Constant::Number(a), Constant::Number(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        }) {
            return Ok(i);
        }
        if self.proto.constants.len() >= MAX_BX as usize {
            return Err("too many constants".into());
        }
        self.proto.constants.push(c);
        Ok(self.proto.constants.len() - 1)
    }

    pub fn string_constant(&mut self, s: &[u8]) -> Result<usize, String> {
        self.constant(Constant::String(s.into()))
    }

    pub fn add_local(&mut self, name: Vec<u8>, is_const: bool) -> Result<(), String> {
        if self.actives.len() >= MAX_LOCALS {
            return Err("too many local variables".into());
        }
        let reg = self.actives.len() as u8;
        let info = self.proto.local_vars.len();
        self.proto.local_vars.push(LocalVar {
            name: name.clone().into(),
            start_pc: self.pc() as u32,
            end_pc: u32::MAX,
        });
        self.actives.push(ActiveLocal {
            name,
            reg,
            info,
            is_const,
        });
        Ok(())
    }

    /// Ends the locals above `n` active ones.
    pub fn remove_locals(&mut self, n: usize) {
        let pc = self.pc() as u32;
        while self.actives.len() > n {
            if let Some(l) = self.actives.pop() {
                self.proto.local_vars[l.info].end_pc = pc;
            }
        }
        self.free_reg = n;
    }

    pub fn find_local(&self, name: &[u8]) -> Option<usize> {
        self.actives.iter().rposition(|l| l.name == name)
    }

    pub fn find_upvalue(&self, name: &[u8]) -> Option<usize> {
        self.proto.upvalues.iter().position(|u| &*u.name == name)
    }

    pub fn add_upvalue(
        &mut self,
        name: &[u8],
        in_stack: bool,
        index: usize,
    ) -> Result<usize, String> {
        if self.proto.upvalues.len() >= 255 {
            return Err("too many upvalues".into());
        }
        self.proto.upvalues.push(UpvalueDesc {
            in_stack,
            index: index as u8,
            name: name.into(),
        });
        Ok(self.proto.upvalues.len() - 1)
    }

    /// Marks the block owning local `idx` as needing a CLOSE on exit.
    pub fn mark_captured(&mut self, idx: usize) {
        for b in self.blocks.iter_mut().rev() {
            if b.nactive <= idx {
                b.needs_close = true;
                break;
            }
        }
        self.needs_close_any = true;
    }
}
