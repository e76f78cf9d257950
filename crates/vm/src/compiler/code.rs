//! Code generation: emitting instructions, registers, constants, jump lists
//! and discharging expression descriptors (the job of PUC-Rio's lcode).

use super::func::{ExpDesc, ExpK, FuncState, KKey, VarKind, MAX_REGS, NO_JUMP};
use super::opcode::{Instr, OpCode, MAX_A, MAX_B, MAX_BX, MAX_C, OFFSET_SBX, OFFSET_SC, OFFSET_SJ};
use super::parser::Parser;
use super::proto::Constant;

type R<T> = Result<T, super::SyntaxError>;

/// Register value meaning "no register" in TESTSET patching.
const NO_REG: usize = MAX_A as usize;

pub fn fits_sc(i: i64) -> bool {
    (-(OFFSET_SC as i64)..=(MAX_C as i64 - OFFSET_SC as i64)).contains(&i)
}

fn fits_sbx(i: i64) -> bool {
    (-(OFFSET_SBX as i64)..=(MAX_BX as i64 - OFFSET_SBX as i64)).contains(&i)
}

impl<'s> Parser<'s> {
    pub(super) fn fs(&mut self) -> &mut FuncState {
        let n = self.fss.len();
        &mut self.fss[n - 1]
    }

    pub(super) fn fsr(&self) -> &FuncState {
        &self.fss[self.fss.len() - 1]
    }

    // ---------------- emitting ----------------

    pub(super) fn code(&mut self, i: Instr) -> usize {
        let line = self.line;
        let fs = self.fs();
        fs.f.code.push(i);
        fs.f.line_info.push(line);
        fs.f.code.len() - 1
    }

    pub(super) fn code_abck(&mut self, op: OpCode, a: usize, b: usize, c: usize, k: bool) -> usize {
        self.code(Instr::abc(op, a as u32, b as u32, c as u32, k))
    }

    pub(super) fn code_abc(&mut self, op: OpCode, a: usize, b: usize, c: usize) -> usize {
        self.code_abck(op, a, b, c, false)
    }

    pub(super) fn code_abx(&mut self, op: OpCode, a: usize, bx: usize) -> usize {
        self.code(Instr::abx(op, a as u32, bx as u32))
    }

    fn code_asbx(&mut self, op: OpCode, a: usize, sbx: i64) -> usize {
        self.code(Instr::asbx(op, a as u32, sbx as i32))
    }

    /// Sets the line of the last instruction.
    pub(super) fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.fs().f.line_info.last_mut() {
            *l = line;
        }
    }

    fn code_k(&mut self, reg: usize, k: usize) -> usize {
        if k <= MAX_BX as usize {
            self.code_abx(OpCode::LoadK, reg, k)
        } else {
            let p = self.code_abx(OpCode::LoadKx, reg, 0);
            self.code(Instr::ax(OpCode::ExtraArg, k as u32));
            p
        }
    }

    pub(super) fn instr_mut(&mut self, pc: usize) -> &mut Instr {
        &mut self.fs().f.code[pc]
    }

    // ---------------- registers ----------------

    pub(super) fn check_stack(&mut self, n: usize) -> R<()> {
        let new = self.fsr().free_reg + n;
        if new > self.fsr().f.max_stack as usize {
            if new >= MAX_REGS {
                return Err(self.err_near("function or expression needs too many registers"));
            }
            self.fs().f.max_stack = new as u8;
        }
        Ok(())
    }

    pub(super) fn reserve_regs(&mut self, n: usize) -> R<()> {
        self.check_stack(n)?;
        self.fs().free_reg += n;
        Ok(())
    }

    fn free_reg(&mut self, reg: usize) {
        if reg >= self.nvarstack() {
            self.fs().free_reg -= 1;
        }
    }

    fn free_regs(&mut self, r1: usize, r2: usize) {
        if r1 > r2 {
            self.free_reg(r1);
            self.free_reg(r2);
        } else {
            self.free_reg(r2);
            self.free_reg(r1);
        }
    }

    pub(super) fn free_exp(&mut self, e: &ExpDesc) {
        if let ExpK::NonReloc(r) = e.k {
            self.free_reg(r);
        }
    }

    pub(super) fn free_exps(&mut self, e1: &ExpDesc, e2: &ExpDesc) {
        match (e1.k, e2.k) {
            (ExpK::NonReloc(a), ExpK::NonReloc(b)) => self.free_regs(a, b),
            _ => {
                self.free_exp(e1);
                self.free_exp(e2);
            }
        }
    }

    // ---------------- constants ----------------

    fn add_k(&mut self, key: KKey, c: Constant) -> R<usize> {
        if let Some(&i) = self.fsr().kcache.get(&key) {
            return Ok(i);
        }
        let n = self.fsr().f.constants.len();
        if n >= (1 << 25) {
            return Err(self.err_near("too many constants"));
        }
        let fs = self.fs();
        fs.f.constants.push(c);
        fs.kcache.insert(key, n);
        Ok(n)
    }

    pub(super) fn string_k(&mut self, s: u32) -> R<usize> {
        let c = Constant::String(self.strings[s as usize].clone().into());
        self.add_k(KKey::Str(s), c)
    }

    fn int_k(&mut self, i: i64) -> R<usize> {
        self.add_k(KKey::Int(i), Constant::Integer(i))
    }

    fn num_k(&mut self, f: f64) -> R<usize> {
        self.add_k(KKey::Flt(f.to_bits()), Constant::Number(f))
    }

    fn bool_k(&mut self, b: bool) -> R<usize> {
        self.add_k(KKey::Bool(b), Constant::Boolean(b))
    }

    fn nil_k(&mut self) -> R<usize> {
        self.add_k(KKey::Nil, Constant::Nil)
    }

    pub(super) fn code_int(&mut self, reg: usize, i: i64) -> R<()> {
        if fits_sbx(i) {
            self.code_asbx(OpCode::LoadI, reg, i);
        } else {
            let k = self.int_k(i)?;
            self.code_k(reg, k);
        }
        Ok(())
    }

    fn code_float(&mut self, reg: usize, f: f64) -> R<()> {
        let i = f as i64;
        if i as f64 == f && fits_sbx(i) && !(f == 0.0 && f.is_sign_negative()) {
            self.code_asbx(OpCode::LoadF, reg, i);
        } else {
            let k = self.num_k(f)?;
            self.code_k(reg, k);
        }
        Ok(())
    }

    /// R[from..from+n] := nil, merged into a preceding LOADNIL when possible.
    pub(super) fn code_nil(&mut self, from: usize, n: usize) {
        let l = from + n - 1;
        let fs = self.fsr();
        if fs.pc() > fs.last_target && fs.pc() > 0 {
            let prev = fs.f.code[fs.pc() - 1];
            if prev.op() == OpCode::LoadNil {
                let pfrom = prev.a();
                let pl = pfrom + prev.b();
                if (pfrom <= from && from <= pl + 1) || (from <= pfrom && pfrom <= l + 1) {
                    let nf = pfrom.min(from);
                    let nl = pl.max(l);
                    let pc = fs.pc() - 1;
                    let i = self.instr_mut(pc);
                    i.set_a(nf as u32);
                    i.set_b((nl - nf) as u32);
                    return;
                }
            }
        }
        self.code_abc(OpCode::LoadNil, from, n - 1, 0);
    }

    // ---------------- jumps ----------------

    fn get_jump(&self, pc: usize) -> i32 {
        let off = self.fsr().f.code[pc].sj_field();
        if off == NO_JUMP {
            NO_JUMP
        } else {
            pc as i32 + 1 + off
        }
    }

    fn fix_jump(&mut self, pc: usize, dest: usize) -> R<()> {
        let off = dest as i64 - (pc as i64 + 1);
        if !(-(OFFSET_SJ as i64)..=OFFSET_SJ as i64).contains(&off) {
            return Err(self.err_near("control structure too long"));
        }
        self.instr_mut(pc).set_sj(off as i32);
        Ok(())
    }

    /// Appends list `l2` to list `l1`.
    pub(super) fn concat(&mut self, l1: &mut i32, l2: i32) -> R<()> {
        if l2 == NO_JUMP {
            return Ok(());
        }
        if *l1 == NO_JUMP {
            *l1 = l2;
            return Ok(());
        }
        let mut list = *l1 as usize;
        loop {
            let next = self.get_jump(list);
            if next == NO_JUMP {
                break;
            }
            list = next as usize;
        }
        self.fix_jump(list, l2 as usize)
    }

    pub(super) fn jump(&mut self) -> usize {
        self.code(Instr::sj(OpCode::Jmp, NO_JUMP))
    }

    pub(super) fn ret(&mut self, first: usize, nret: i32) {
        let op = match nret {
            0 => OpCode::Return0,
            1 => OpCode::Return1,
            _ => OpCode::Return,
        };
        self.code_abc(op, first, (nret + 1) as usize, 0);
    }

    fn cond_jump(&mut self, op: OpCode, a: usize, b: usize, c: usize, k: bool) -> usize {
        self.code_abck(op, a, b, c, k);
        self.jump()
    }

    /// Marks the current pc as a jump target and returns it.
    pub(super) fn get_label(&mut self) -> usize {
        let fs = self.fs();
        fs.last_target = fs.pc();
        fs.last_target
    }

    /// The instruction controlling a jump (its condition), if any.
    fn jump_control(&self, pc: usize) -> usize {
        if pc >= 1 && self.fsr().f.code[pc - 1].op().is_test() {
            pc - 1
        } else {
            pc
        }
    }

    /// Patches the register of a TESTSET, or turns it into a TEST.
    fn patch_test_reg(&mut self, node: usize, reg: usize) -> bool {
        let ipc = self.jump_control(node);
        let i = self.fsr().f.code[ipc];
        if i.op() != OpCode::TestSet {
            return false;
        }
        let ins = self.instr_mut(ipc);
        if reg != NO_REG && reg != i.b() {
            ins.set_a(reg as u32);
        } else {
            *ins = Instr::abc(OpCode::Test, i.b() as u32, 0, 0, i.k());
        }
        true
    }

    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list as usize, NO_REG);
            list = self.get_jump(list as usize);
        }
    }

    fn patch_list_aux(
        &mut self,
        mut list: i32,
        vtarget: usize,
        reg: usize,
        dtarget: usize,
    ) -> R<()> {
        while list != NO_JUMP {
            let next = self.get_jump(list as usize);
            if self.patch_test_reg(list as usize, reg) {
                self.fix_jump(list as usize, vtarget)?;
            } else {
                self.fix_jump(list as usize, dtarget)?;
            }
            list = next;
        }
        Ok(())
    }

    pub(super) fn patch_list(&mut self, list: i32, target: usize) -> R<()> {
        self.patch_list_aux(list, target, NO_REG, target)
    }

    pub(super) fn patch_to_here(&mut self, list: i32) -> R<()> {
        let here = self.get_label();
        self.patch_list(list, here)
    }

    // ---------------- discharging ----------------

    /// Fixes the number of results of an open call or vararg.
    pub(super) fn set_returns(&mut self, e: &mut ExpDesc, nresults: i32) -> R<()> {
        match e.k {
            ExpK::Call(pc) => self.instr_mut(pc).set_c((nresults + 1) as u32),
            ExpK::Vararg(pc) => {
                let fr = self.fsr().free_reg as u32;
                let i = self.instr_mut(pc);
                i.set_c((nresults + 1) as u32);
                i.set_a(fr);
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn set_multret(&mut self, e: &mut ExpDesc) -> R<()> {
        self.set_returns(e, -1)
    }

    pub(super) fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpK::Call(pc) => e.k = ExpK::NonReloc(self.fsr().f.code[pc].a()),
            ExpK::Vararg(pc) => {
                self.instr_mut(pc).set_c(2);
                e.k = ExpK::Reloc(pc);
            }
            _ => {}
        }
    }

    pub(super) fn discharge_vars(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpK::Const(vi) => e.k = self.actvar[vi].value,
            ExpK::Local { ridx, .. } => e.k = ExpK::NonReloc(ridx),
            ExpK::Upval(u) => e.k = ExpK::Reloc(self.code_abc(OpCode::GetUpval, 0, u, 0)),
            ExpK::IndexUp { t, idx } => {
                e.k = ExpK::Reloc(self.code_abc(OpCode::GetTabUp, 0, t, idx));
            }
            ExpK::IndexI { t, idx } => {
                self.free_reg(t);
                e.k = ExpK::Reloc(self.code_abc(OpCode::GetI, 0, t, idx));
            }
            ExpK::IndexStr { t, idx } => {
                self.free_reg(t);
                e.k = ExpK::Reloc(self.code_abc(OpCode::GetField, 0, t, idx));
            }
            ExpK::Indexed { t, idx } => {
                self.free_regs(t, idx);
                e.k = ExpK::Reloc(self.code_abc(OpCode::GetTable, 0, t, idx));
            }
            ExpK::Call(_) | ExpK::Vararg(_) => self.set_one_ret(e),
            _ => {}
        }
    }

    fn discharge_to_reg(&mut self, e: &mut ExpDesc, reg: usize) -> R<()> {
        self.discharge_vars(e);
        match e.k {
            ExpK::Nil => self.code_nil(reg, 1),
            ExpK::False => {
                self.code_abc(OpCode::LoadFalse, reg, 0, 0);
            }
            ExpK::True => {
                self.code_abc(OpCode::LoadTrue, reg, 0, 0);
            }
            ExpK::KStr(s) => {
                let k = self.string_k(s)?;
                self.code_k(reg, k);
            }
            ExpK::K(k) => {
                self.code_k(reg, k);
            }
            ExpK::KFlt(f) => self.code_float(reg, f)?,
            ExpK::KInt(i) => self.code_int(reg, i)?,
            ExpK::Reloc(pc) => self.instr_mut(pc).set_a(reg as u32),
            ExpK::NonReloc(r) => {
                if r != reg {
                    self.code_abc(OpCode::Move, reg, r, 0);
                }
            }
            // A jump: nothing to do here; the caller handles the lists.
            _ => return Ok(()),
        }
        e.k = ExpK::NonReloc(reg);
        Ok(())
    }

    fn discharge_to_any_reg(&mut self, e: &mut ExpDesc) -> R<()> {
        if !matches!(e.k, ExpK::NonReloc(_)) {
            self.reserve_regs(1)?;
            let r = self.fsr().free_reg - 1;
            self.discharge_to_reg(e, r)?;
        }
        Ok(())
    }

    fn code_load_bool(&mut self, a: usize, op: OpCode) -> usize {
        self.get_label();
        self.code_abc(op, a, 0, 0)
    }

    /// Some jump in the list does not produce a value (is not a TESTSET).
    fn need_value(&self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let i = self.fsr().f.code[self.jump_control(list as usize)];
            if i.op() != OpCode::TestSet {
                return true;
            }
            list = self.get_jump(list as usize);
        }
        false
    }

    fn exp_to_reg(&mut self, e: &mut ExpDesc, reg: usize) -> R<()> {
        self.discharge_to_reg(e, reg)?;
        if let ExpK::Jmp(pc) = e.k {
            self.concat(&mut e.t, pc as i32)?;
        }
        if e.has_jumps() {
            let mut p_f = NO_JUMP as usize;
            let mut p_t = NO_JUMP as usize;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, ExpK::Jmp(_)) {
                    NO_JUMP
                } else {
                    self.jump() as i32
                };
                p_f = self.code_load_bool(reg, OpCode::LFalseSkip);
                p_t = self.code_load_bool(reg, OpCode::LoadTrue);
                self.patch_to_here(fj)?;
            }
            let end = self.get_label();
            self.patch_list_aux(e.f, end, reg, p_f)?;
            self.patch_list_aux(e.t, end, reg, p_t)?;
        }
        e.t = NO_JUMP;
        e.f = NO_JUMP;
        e.k = ExpK::NonReloc(reg);
        Ok(())
    }

    pub(super) fn exp_to_next_reg(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e);
        self.free_exp(e);
        self.reserve_regs(1)?;
        let r = self.fsr().free_reg - 1;
        self.exp_to_reg(e, r)
    }

    pub(super) fn exp_to_any_reg(&mut self, e: &mut ExpDesc) -> R<usize> {
        self.discharge_vars(e);
        if let ExpK::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r >= self.nvarstack() {
                self.exp_to_reg(e, r)?;
                return Ok(r);
            }
        }
        self.exp_to_next_reg(e)?;
        match e.k {
            ExpK::NonReloc(r) => Ok(r),
            _ => Ok(0),
        }
    }

    pub(super) fn exp_to_any_reg_up(&mut self, e: &mut ExpDesc) -> R<()> {
        if !matches!(e.k, ExpK::Upval(_)) || e.has_jumps() {
            self.exp_to_any_reg(e)?;
        }
        Ok(())
    }

    pub(super) fn exp_to_val(&mut self, e: &mut ExpDesc) -> R<()> {
        if e.has_jumps() {
            self.exp_to_any_reg(e)?;
        } else {
            self.discharge_vars(e);
        }
        Ok(())
    }

    /// Tries to make `e` a constant-table operand (index <= MAX_B).
    pub(super) fn exp_to_k(&mut self, e: &mut ExpDesc) -> R<bool> {
        if e.has_jumps() {
            return Ok(false);
        }
        let k = match e.k {
            ExpK::True => self.bool_k(true)?,
            ExpK::False => self.bool_k(false)?,
            ExpK::Nil => self.nil_k()?,
            ExpK::KInt(i) => self.int_k(i)?,
            ExpK::KFlt(f) => self.num_k(f)?,
            ExpK::KStr(s) => self.string_k(s)?,
            ExpK::K(k) => k,
            _ => return Ok(false),
        };
        if k <= MAX_B as usize {
            e.k = ExpK::K(k);
            return Ok(true);
        }
        Ok(false)
    }

    /// Returns true if `e` became a constant operand, else it is in a register.
    fn exp_to_rk(&mut self, e: &mut ExpDesc) -> R<bool> {
        if self.exp_to_k(e)? {
            Ok(true)
        } else {
            self.exp_to_any_reg(e)?;
            Ok(false)
        }
    }

    fn rk_operand(&mut self, e: &mut ExpDesc) -> R<(usize, bool)> {
        let k = self.exp_to_rk(e)?;
        Ok((exp_info(e), k))
    }

    pub(super) fn store_var(&mut self, var: &ExpDesc, ex: &mut ExpDesc) -> R<()> {
        match var.k {
            ExpK::Local { ridx, .. } => {
                self.free_exp(ex);
                return self.exp_to_reg(ex, ridx);
            }
            ExpK::Upval(u) => {
                let e = self.exp_to_any_reg(ex)?;
                self.code_abc(OpCode::SetUpval, e, u, 0);
            }
            ExpK::IndexUp { t, idx } => {
                let (c, k) = self.rk_operand(ex)?;
                self.code_abck(OpCode::SetTabUp, t, idx, c, k);
            }
            ExpK::IndexI { t, idx } => {
                let (c, k) = self.rk_operand(ex)?;
                self.code_abck(OpCode::SetI, t, idx, c, k);
            }
            ExpK::IndexStr { t, idx } => {
                let (c, k) = self.rk_operand(ex)?;
                self.code_abck(OpCode::SetField, t, idx, c, k);
            }
            ExpK::Indexed { t, idx } => {
                let (c, k) = self.rk_operand(ex)?;
                self.code_abck(OpCode::SetTable, t, idx, c, k);
            }
            _ => {}
        }
        self.free_exp(ex);
        Ok(())
    }

    /// `e:key` — puts the method and the receiver in consecutive registers.
    pub(super) fn code_self(&mut self, e: &mut ExpDesc, key: &mut ExpDesc) -> R<()> {
        let ereg = self.exp_to_any_reg(e)?;
        self.free_exp(e);
        let base = self.fsr().free_reg;
        e.k = ExpK::NonReloc(base);
        self.reserve_regs(2)?;
        let (c, k) = self.rk_operand(key)?;
        self.code_abck(OpCode::OpSelf, base, ereg, c, k);
        self.free_exp(key);
        Ok(())
    }

    fn negate_cond(&mut self, pc: usize) {
        let ctl = self.jump_control(pc);
        let i = self.instr_mut(ctl);
        let k = i.k();
        i.set_k(!k);
    }

    fn jump_on_cond(&mut self, e: &mut ExpDesc, cond: bool) -> R<usize> {
        if let ExpK::Reloc(pc) = e.k {
            let i = self.fsr().f.code[pc];
            if i.op() == OpCode::Not && pc + 1 == self.fsr().pc() {
                // Drop the NOT and test its operand with the opposite sense.
                let fs = self.fs();
                fs.f.code.pop();
                fs.f.line_info.pop();
                return Ok(self.cond_jump(OpCode::Test, i.b(), 0, 0, !cond));
            }
        }
        self.discharge_to_any_reg(e)?;
        self.free_exp(e);
        Ok(self.cond_jump(OpCode::TestSet, NO_REG, exp_info(e), 0, cond))
    }

    /// Falls through when `e` is true, jumps (via e.f) when false.
    pub(super) fn go_if_true(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpK::Jmp(pc) => {
                self.negate_cond(pc);
                pc as i32
            }
            ExpK::K(_) | ExpK::KFlt(_) | ExpK::KInt(_) | ExpK::KStr(_) | ExpK::True => NO_JUMP,
            _ => self.jump_on_cond(e, false)? as i32,
        };
        let mut f = e.f;
        self.concat(&mut f, pc)?;
        e.f = f;
        self.patch_to_here(e.t)?;
        e.t = NO_JUMP;
        Ok(())
    }

    /// Falls through when `e` is false, jumps (via e.t) when true.
    pub(super) fn go_if_false(&mut self, e: &mut ExpDesc) -> R<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            ExpK::Jmp(pc) => pc as i32,
            ExpK::Nil | ExpK::False => NO_JUMP,
            _ => self.jump_on_cond(e, true)? as i32,
        };
        let mut t = e.t;
        self.concat(&mut t, pc)?;
        e.t = t;
        self.patch_to_here(e.f)?;
        e.f = NO_JUMP;
        Ok(())
    }

    pub(super) fn code_not(&mut self, e: &mut ExpDesc) -> R<()> {
        match e.k {
            ExpK::Nil | ExpK::False => e.k = ExpK::True,
            ExpK::K(_) | ExpK::KFlt(_) | ExpK::KInt(_) | ExpK::KStr(_) | ExpK::True => {
                e.k = ExpK::False
            }
            ExpK::Jmp(pc) => self.negate_cond(pc),
            ExpK::Reloc(_) | ExpK::NonReloc(_) => {
                self.discharge_to_any_reg(e)?;
                self.free_exp(e);
                e.k = ExpK::Reloc(self.code_abc(OpCode::Not, 0, exp_info(e), 0));
            }
            _ => {}
        }
        std::mem::swap(&mut e.t, &mut e.f);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    fn is_kstr(&self, e: &ExpDesc) -> bool {
        if let ExpK::K(k) = e.k {
            return !e.has_jumps()
                && k <= MAX_B as usize
                && matches!(self.fsr().f.constants.get(k), Some(Constant::String(_)));
        }
        false
    }

    /// `t[k]`: turns `t` into an indexed descriptor.
    pub(super) fn indexed(&mut self, t: &mut ExpDesc, k: &mut ExpDesc) -> R<()> {
        if let ExpK::KStr(s) = k.k {
            k.k = ExpK::K(self.string_k(s)?);
        }
        if matches!(t.k, ExpK::Upval(_)) && !self.is_kstr(k) {
            self.exp_to_any_reg(t)?;
        }
        if let ExpK::Upval(u) = t.k {
            t.k = ExpK::IndexUp {
                t: u,
                idx: exp_info(k),
            };
            return Ok(());
        }
        let treg = match t.k {
            ExpK::Local { ridx, .. } => ridx,
            _ => exp_info(t),
        };
        if self.is_kstr(k) {
            t.k = ExpK::IndexStr {
                t: treg,
                idx: exp_info(k),
            };
        } else if let (ExpK::KInt(i), false) = (k.k, k.has_jumps()) {
            if (0..=MAX_C as i64).contains(&i) {
                t.k = ExpK::IndexI {
                    t: treg,
                    idx: i as usize,
                };
            } else {
                let r = self.exp_to_any_reg(k)?;
                t.k = ExpK::Indexed { t: treg, idx: r };
            }
        } else {
            let r = self.exp_to_any_reg(k)?;
            t.k = ExpK::Indexed { t: treg, idx: r };
        }
        Ok(())
    }

    /// Removes the last instruction (used when it is known to be unreachable or redundant).
    pub(super) fn nvarstack(&self) -> usize {
        self.reg_level(self.fsr().nactvar)
    }

    /// Number of registers used by the first `nvar` active variables.
    pub(super) fn reg_level(&self, mut nvar: usize) -> usize {
        let fs = self.fsr();
        while nvar > 0 {
            nvar -= 1;
            if let Some(vd) = self.actvar.get(fs.first_local + nvar) {
                if vd.kind != VarKind::CompileTime {
                    return vd.ridx + 1;
                }
            }
        }
        0
    }

    /// B is the hash size as `ceil(log2(hsize)) + 1` (0 for none), as in
    /// PUC-Rio, so constructors make hash parts of the same size.
    pub(super) fn set_table_size(&mut self, pc: usize, ra: usize, asize: usize, hsize: usize) {
        let b = if hsize == 0 {
            0
        } else {
            hsize.next_power_of_two().trailing_zeros() + 1
        };
        *self.instr_mut(pc) =
            Instr::abc(OpCode::NewTable, ra as u32, b, asize.min(255) as u32, false);
    }

    pub(super) fn set_list(&mut self, base: usize, nelems: usize, tostore: i32) {
        let b = if tostore < 0 { 0 } else { tostore as usize };
        if nelems <= MAX_C as usize {
            self.code_abc(OpCode::SetList, base, b, nelems);
        } else {
            let extra = nelems / (MAX_C as usize + 1);
            self.code_abck(
                OpCode::SetList,
                base,
                b,
                nelems % (MAX_C as usize + 1),
                true,
            );
            self.code(Instr::ax(OpCode::ExtraArg, extra as u32));
        }
        self.fs().free_reg = base + 1;
    }

    /// Final pass: RETURN/TAILCALL flags and jump threading.
    pub(super) fn finish(&mut self) -> R<()> {
        let need_close = self.fsr().need_close;
        let vararg = self.fsr().f.is_vararg;
        for pc in 0..self.fsr().pc() {
            let i = self.fsr().f.code[pc];
            match i.op() {
                OpCode::Return0 | OpCode::Return1 if need_close || vararg => {
                    let mut n =
                        Instr::abc(OpCode::Return, i.a() as u32, i.b() as u32, 0, need_close);
                    n.set_k(need_close);
                    *self.instr_mut(pc) = n;
                }
                OpCode::Return | OpCode::TailCall if need_close => self.instr_mut(pc).set_k(true),
                OpCode::Jmp => {
                    let target = self.final_target(pc);
                    self.fix_jump(pc, target)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Follows a chain of unconditional jumps (bounded, to be safe on cycles).
    fn final_target(&self, mut pc: usize) -> usize {
        for _ in 0..100 {
            let i = self.fsr().f.code[pc];
            if i.op() != OpCode::Jmp {
                break;
            }
            pc = (pc as i64 + 1 + i.sj_field() as i64) as usize;
        }
        pc
    }
}

/// The register or constant index an expression descriptor refers to.
pub fn exp_info(e: &ExpDesc) -> usize {
    match e.k {
        ExpK::K(i) | ExpK::NonReloc(i) | ExpK::Upval(i) | ExpK::Jmp(i) | ExpK::Reloc(i) => i,
        ExpK::Call(i) | ExpK::Vararg(i) | ExpK::Const(i) => i,
        ExpK::Local { ridx, .. } => ridx,
        _ => 0,
    }
}
