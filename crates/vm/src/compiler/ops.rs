//! Code for unary and binary operators, with constant folding.

use super::code::{exp_info, fits_sc};
use super::func::{ExpDesc, ExpK};
use super::opcode::{OpCode, OFFSET_SC};
use super::parser::Parser;
use crate::value::Value;
use crate::vm::arith::{self, ArithOp};

type R<T> = Result<T, super::SyntaxError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// An arithmetic or bitwise operator (never `Unm` or `BNot`).
    Arith(ArithOp),
    Concat,
    Eq,
    Lt,
    Le,
    Ne,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Minus,
    BNot,
    Not,
    Len,
}

impl BinOp {
    /// (left, right) priorities.
    pub fn priority(self) -> (u8, u8) {
        match self {
            BinOp::Arith(op) => match op {
                ArithOp::Add | ArithOp::Sub => (10, 10),
                ArithOp::Mul | ArithOp::Mod | ArithOp::Div | ArithOp::IDiv => (11, 11),
                ArithOp::Pow => (14, 13),
                ArithOp::BAnd => (6, 6),
                ArithOp::BOr => (4, 4),
                ArithOp::BXor => (5, 5),
                ArithOp::Shl | ArithOp::Shr => (7, 7),
                // Unary: the priority of unary operators.
                ArithOp::Unm | ArithOp::BNot => (12, 12),
            },
            BinOp::Concat => (9, 8),
            BinOp::Eq | BinOp::Lt | BinOp::Le | BinOp::Ne | BinOp::Gt | BinOp::Ge => (3, 3),
            BinOp::And => (2, 2),
            BinOp::Or => (1, 1),
        }
    }
}

/// The instruction for `op` on two registers.
fn reg_op(op: ArithOp) -> OpCode {
    match op {
        ArithOp::Add => OpCode::Add,
        ArithOp::Sub => OpCode::Sub,
        ArithOp::Mul => OpCode::Mul,
        ArithOp::Mod => OpCode::Mod,
        ArithOp::Pow => OpCode::Pow,
        ArithOp::Div => OpCode::Div,
        ArithOp::IDiv => OpCode::IDiv,
        ArithOp::BAnd => OpCode::BAnd,
        ArithOp::BOr => OpCode::BOr,
        ArithOp::BXor => OpCode::BXor,
        ArithOp::Shl => OpCode::Shl,
        ArithOp::Shr => OpCode::Shr,
        ArithOp::Unm => OpCode::Unm,
        ArithOp::BNot => OpCode::BNot,
    }
}

/// The instruction for `op` with a constant right operand, if any.
fn k_op(op: ArithOp) -> Option<OpCode> {
    Some(match op {
        ArithOp::Add => OpCode::AddK,
        ArithOp::Sub => OpCode::SubK,
        ArithOp::Mul => OpCode::MulK,
        ArithOp::Mod => OpCode::ModK,
        ArithOp::Pow => OpCode::PowK,
        ArithOp::Div => OpCode::DivK,
        ArithOp::IDiv => OpCode::IDivK,
        ArithOp::BAnd => OpCode::BAndK,
        ArithOp::BOr => OpCode::BOrK,
        ArithOp::BXor => OpCode::BXorK,
        _ => return None,
    })
}

/// The value of a numeral (an integer or a float).
fn to_numeral(e: &ExpDesc) -> Option<Value<'static>> {
    if e.has_jumps() {
        return None;
    }
    match e.k {
        ExpK::KInt(i) => Some(Value::Integer(i)),
        ExpK::KFlt(f) => Some(Value::Number(f)),
        _ => None,
    }
}

/// Folds `a op b` (`a op a` for unary operators) with the arithmetic the
/// VM runs, when that is safe: no errors, no division by zero, no NaN or
/// -0 results.
fn fold(op: ArithOp, a: Value<'static>, b: Value<'static>) -> Option<ExpK> {
    let zero = match b {
        Value::Integer(i) => i == 0,
        Value::Number(f) => f == 0.0,
        _ => false,
    };
    if matches!(op, ArithOp::Div | ArithOp::IDiv | ArithOp::Mod) && zero {
        return None;
    }
    match arith::arith(op, a, b).ok()? {
        Value::Integer(i) => Some(ExpK::KInt(i)),
        Value::Number(f) if !f.is_nan() && f != 0.0 => Some(ExpK::KFlt(f)),
        _ => None,
    }
}

/// `e` as a signed-C immediate: (value, is_float).
fn sc_number(e: &ExpDesc) -> Option<(usize, bool)> {
    let (i, isf) = match to_numeral(e)? {
        Value::Integer(i) => (i, false),
        Value::Number(f) => (arith::float_to_int_exact(f)?, true),
        _ => return None,
    };
    if fits_sc(i) {
        Some(((i + OFFSET_SC as i64) as usize, isf))
    } else {
        None
    }
}

fn sc_int(e: &ExpDesc) -> Option<i64> {
    match e.k {
        ExpK::KInt(i) if !e.has_jumps() && fits_sc(i) => Some(i),
        _ => None,
    }
}

impl<'s> Parser<'s> {
    pub(super) fn prefix(&mut self, op: UnOp, e: &mut ExpDesc, line: u32) -> R<()> {
        self.discharge_vars(e);
        match op {
            UnOp::Minus | UnOp::BNot => {
                let op = if op == UnOp::Minus {
                    ArithOp::Unm
                } else {
                    ArithOp::BNot
                };
                if let Some(k) = to_numeral(e).and_then(|n| fold(op, n, n)) {
                    e.k = k;
                    return Ok(());
                }
                self.code_unexp(reg_op(op), e, line)
            }
            UnOp::Len => self.code_unexp(OpCode::Len, e, line),
            UnOp::Not => self.code_not(e),
        }
    }

    fn code_unexp(&mut self, op: OpCode, e: &mut ExpDesc, line: u32) -> R<()> {
        let r = self.exp_to_any_reg(e)?;
        self.free_exp(e);
        e.k = ExpK::Reloc(self.code_abc(op, 0, r, 0));
        self.fix_line(line);
        Ok(())
    }

    /// Processes the first operand before the second is read.
    pub(super) fn infix(&mut self, op: BinOp, v: &mut ExpDesc) -> R<()> {
        self.discharge_vars(v);
        match op {
            BinOp::And => self.go_if_true(v)?,
            BinOp::Or => self.go_if_false(v)?,
            BinOp::Concat => self.exp_to_next_reg(v)?,
            BinOp::Eq | BinOp::Ne => {
                if to_numeral(v).is_none() {
                    self.exp_to_rk_keep(v)?;
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if sc_number(v).is_none() {
                    self.exp_to_any_reg(v)?;
                }
            }
            _ => {
                if to_numeral(v).is_none() {
                    self.exp_to_any_reg(v)?;
                }
            }
        }
        Ok(())
    }

    fn exp_to_rk_keep(&mut self, v: &mut ExpDesc) -> R<()> {
        // Constants stay constants (they may become K operands); others go to a register.
        match v.k {
            ExpK::True | ExpK::False | ExpK::Nil | ExpK::KStr(_) | ExpK::K(_) if !v.has_jumps() => {
                Ok(())
            }
            _ => {
                self.exp_to_any_reg(v)?;
                Ok(())
            }
        }
    }

    pub(super) fn posfix(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> R<()> {
        self.discharge_vars(e2);
        match op {
            BinOp::Arith(op) => self.code_arith_op(op, e1, e2, line)?,
            BinOp::And => {
                let mut f = e2.f;
                self.concat(&mut f, e1.f)?;
                e2.f = f;
                *e1 = *e2;
            }
            BinOp::Or => {
                let mut t = e2.t;
                self.concat(&mut t, e1.t)?;
                e2.t = t;
                *e1 = *e2;
            }
            BinOp::Concat => {
                self.exp_to_next_reg(e2)?;
                self.code_concat(e1, e2, line)?;
            }
            BinOp::Eq | BinOp::Ne => self.code_eq(op == BinOp::Eq, e1, e2)?,
            BinOp::Lt | BinOp::Le => self.code_order(op == BinOp::Lt, e1, e2)?,
            BinOp::Gt | BinOp::Ge => {
                // a > b  is  b < a
                std::mem::swap(e1, e2);
                self.code_order(op == BinOp::Gt, e1, e2)?;
            }
        }
        Ok(())
    }

    /// `e1 op e2`, folded when both are numerals.
    fn code_arith_op(
        &mut self,
        op: ArithOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> R<()> {
        if let (Some(a), Some(b)) = (to_numeral(e1), to_numeral(e2)) {
            if let Some(k) = fold(op, a, b) {
                e1.k = k;
                return Ok(());
            }
        }
        match op {
            ArithOp::Add => {
                if let Some(i) = sc_int(e2) {
                    self.code_bin_imm(OpCode::AddI, e1, e2, i, line)
                } else {
                    self.code_arith(op, e1, e2, line)
                }
            }
            ArithOp::Sub => match sc_int(e2) {
                Some(i) if fits_sc(-i) => {
                    // x - k as x + (-k); k marks it for the metamethod (__sub, k).
                    self.code_bin_imm(OpCode::AddI, e1, e2, -i, line)?;
                    self.mark_negated(e1);
                    Ok(())
                }
                _ => self.code_arith(op, e1, e2, line),
            },
            ArithOp::BAnd | ArithOp::BOr | ArithOp::BXor => {
                if matches!(e2.k, ExpK::KInt(_)) && !e2.has_jumps() {
                    self.code_arith(op, e1, e2, line)
                } else {
                    self.code_bin_regs(reg_op(op), e1, e2, line)
                }
            }
            ArithOp::Shl => {
                if let Some(i) = sc_int(e1) {
                    // sC << R[B]
                    std::mem::swap(e1, e2);
                    return self.code_bin_imm(OpCode::ShlI, e1, e2, i, line);
                }
                match sc_int(e2) {
                    Some(i) if fits_sc(-i) => {
                        // x << k as x >> (-k); k marks it for the metamethod (__shl, k).
                        self.code_bin_imm(OpCode::ShrI, e1, e2, -i, line)?;
                        self.mark_negated(e1);
                        Ok(())
                    }
                    _ => self.code_bin_regs(OpCode::Shl, e1, e2, line),
                }
            }
            ArithOp::Shr => match sc_int(e2) {
                Some(i) => self.code_bin_imm(OpCode::ShrI, e1, e2, i, line),
                None => self.code_bin_regs(OpCode::Shr, e1, e2, line),
            },
            // Mul, Div, IDiv, Mod, Pow (Unm and BNot are not binary).
            _ => self.code_arith(op, e1, e2, line),
        }
    }

    fn finish_bin(
        &mut self,
        op: OpCode,
        e1: &mut ExpDesc,
        e2: &ExpDesc,
        v2: usize,
        line: u32,
    ) -> R<()> {
        let v1 = self.exp_to_any_reg(e1)?;
        let pc = self.code_abc(op, 0, v1, v2);
        self.free_exps(e1, e2);
        e1.k = ExpK::Reloc(pc);
        e1.t = super::func::NO_JUMP;
        e1.f = super::func::NO_JUMP;
        self.fix_line(line);
        Ok(())
    }

    fn code_bin_imm(
        &mut self,
        op: OpCode,
        e1: &mut ExpDesc,
        e2: &ExpDesc,
        i: i64,
        line: u32,
    ) -> R<()> {
        self.finish_bin(op, e1, e2, (i + OFFSET_SC as i64) as usize, line)
    }

    /// Sets the k flag of the instruction just made for `e`: an `ADDI`
    /// that stands for a subtraction, a `SHRI` for a left shift.
    fn mark_negated(&mut self, e: &ExpDesc) {
        if let ExpK::Reloc(pc) = e.k {
            self.instr_mut(pc).set_k(true);
        }
    }

    fn code_bin_regs(
        &mut self,
        op: OpCode,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
    ) -> R<()> {
        let v2 = self.exp_to_any_reg(e2)?;
        self.finish_bin(op, e1, e2, v2, line)
    }

    /// Arithmetic with a constant right operand when possible.
    fn code_arith(&mut self, op: ArithOp, e1: &mut ExpDesc, e2: &mut ExpDesc, line: u32) -> R<()> {
        if let Some(kop) = k_op(op) {
            if to_numeral(e2).is_some() && self.exp_to_k(e2)? {
                let v2 = exp_info(e2);
                return self.finish_bin(kop, e1, e2, v2, line);
            }
        }
        self.code_bin_regs(reg_op(op), e1, e2, line)
    }

    fn code_concat(&mut self, e1: &mut ExpDesc, e2: &ExpDesc, line: u32) -> R<()> {
        let fs = self.fsr();
        let pc = fs.pc();
        if pc > 0 && pc > fs.last_target {
            let prev = fs.f.code[pc - 1];
            if prev.op() == OpCode::Concat && Some(prev.a()) == reg_of(e2) {
                let n = prev.b();
                self.free_exp(e2);
                let i = self.instr_mut(pc - 1);
                i.set_a(exp_info(e1) as u32);
                i.set_b((n + 1) as u32);
                return Ok(());
            }
        }
        self.code_abc(OpCode::Concat, exp_info(e1), 2, 0);
        self.free_exp(e2);
        self.fix_line(line);
        Ok(())
    }

    fn code_eq(&mut self, is_eq: bool, e1: &mut ExpDesc, e2: &mut ExpDesc) -> R<()> {
        if !matches!(e1.k, ExpK::NonReloc(_)) {
            // e1 is a constant kept for an immediate operand: compare the other way.
            std::mem::swap(e1, e2);
        }
        let r1 = self.exp_to_any_reg(e1)?;
        let (op, r2, isf) = if let Some((im, isf)) = sc_number(e2) {
            (OpCode::EqI, im, isf)
        } else if self.exp_to_k(e2)? {
            (OpCode::EqK, exp_info(e2), false)
        } else {
            (OpCode::Eq, self.exp_to_any_reg(e2)?, false)
        };
        self.free_exps(e1, e2);
        let j = self.code_cond(op, r1, r2, isf as usize, is_eq);
        *e1 = ExpDesc::new(ExpK::Jmp(j));
        Ok(())
    }

    /// `e1 < e2` (`lt`) or `e1 <= e2`.
    fn code_order(&mut self, lt: bool, e1: &mut ExpDesc, e2: &mut ExpDesc) -> R<()> {
        let (op, r1, r2, isf) = if let Some((im, isf)) = sc_number(e2) {
            let r1 = self.exp_to_any_reg(e1)?;
            (if lt { OpCode::LtI } else { OpCode::LeI }, r1, im, isf)
        } else if let Some((im, isf)) = sc_number(e1) {
            let r1 = self.exp_to_any_reg(e2)?;
            (if lt { OpCode::GtI } else { OpCode::GeI }, r1, im, isf)
        } else {
            let r1 = self.exp_to_any_reg(e1)?;
            let r2 = self.exp_to_any_reg(e2)?;
            (if lt { OpCode::Lt } else { OpCode::Le }, r1, r2, false)
        };
        self.free_exps(e1, e2);
        let j = self.code_cond(op, r1, r2, isf as usize, true);
        *e1 = ExpDesc::new(ExpK::Jmp(j));
        Ok(())
    }

    fn code_cond(&mut self, op: OpCode, a: usize, b: usize, c: usize, k: bool) -> usize {
        self.code_abck(op, a, b, c, k);
        self.jump()
    }
}

fn reg_of(e: &ExpDesc) -> Option<usize> {
    match e.k {
        ExpK::NonReloc(r) => Some(r),
        _ => None,
    }
}
