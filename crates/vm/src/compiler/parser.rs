//! The parser, generating code as it goes (one pass, like PUC-Rio Lua):
//! statements, scopes, variables, gotos and labels, functions.

use std::collections::HashMap;

use super::func::{
    BlockCnt, ExpDesc, ExpK, FuncState, LabelDesc, VarDesc, VarKind, MAX_UPVALS, MAX_VARS, NO_JUMP,
};
use super::lexer::{tok_text, Lexer, Tok};
use super::opcode::{Instr, OpCode, FIELDS_PER_FLUSH, MAX_BX};
use super::ops::{BinOp, UnOp};
use super::proto::{LocalVar, Proto, UpvalueDesc};
use super::{SyntaxError, C_STACK_OVERFLOW};
use crate::vm::arith::ArithOp;

/// Nesting limit of recursive syntactic constructs (LUAI_MAXCCALLS).
/// LUAI_MAXCCALLS: PUC-Rio counts each syntax level as a C call, so the
/// calls in progress when a chunk is loaded count toward its limit.
const MAX_C_CALLS: u32 = 200;
const UNARY_PRIORITY: u8 = 12;
const MULTRET: i32 = -1;

type R<T> = Result<T, SyntaxError>;

pub struct Parser<'s> {
    lx: Lexer<'s>,
    tok: Tok,
    /// Source text of the current token, for "near" in messages.
    tok_raw: String,
    ahead: Option<(Tok, String)>,
    /// Line of the last token consumed (instructions are attributed to it).
    pub(super) line: u32,
    pub(super) fss: Vec<FuncState>,
    chunk: Vec<u8>,
    depth: u32,
    depth_limit: u32,
    pub(super) strings: Vec<Vec<u8>>,
    string_ids: HashMap<Vec<u8>, u32>,
    /// Active variables of all functions being compiled.
    pub(super) actvar: Vec<VarDesc>,
    /// Pending gotos and active labels.
    gotos: Vec<LabelDesc>,
    labels: Vec<LabelDesc>,
}

/// State of a table constructor.
struct ConsControl {
    v: ExpDesc,
    table: usize,
    nh: usize,
    na: usize,
    to_store: usize,
}

fn binop(t: &Tok) -> Option<BinOp> {
    if let Some(op) = arith_op(t) {
        return Some(BinOp::Arith(op));
    }
    Some(match t {
        Tok::Concat => BinOp::Concat,
        Tok::Eq => BinOp::Eq,
        Tok::Ne => BinOp::Ne,
        Tok::Lt => BinOp::Lt,
        Tok::Le => BinOp::Le,
        Tok::Gt => BinOp::Gt,
        Tok::Ge => BinOp::Ge,
        Tok::And => BinOp::And,
        Tok::Or => BinOp::Or,
        _ => return None,
    })
}

fn arith_op(t: &Tok) -> Option<ArithOp> {
    Some(match t {
        Tok::Plus => ArithOp::Add,
        Tok::Minus => ArithOp::Sub,
        Tok::Star => ArithOp::Mul,
        Tok::Slash => ArithOp::Div,
        Tok::DSlash => ArithOp::IDiv,
        Tok::Percent => ArithOp::Mod,
        Tok::Caret => ArithOp::Pow,
        Tok::Amp => ArithOp::BAnd,
        Tok::Pipe => ArithOp::BOr,
        Tok::Tilde => ArithOp::BXor,
        Tok::Shl => ArithOp::Shl,
        Tok::Shr => ArithOp::Shr,
        _ => return None,
    })
}

fn unop(t: &Tok) -> Option<UnOp> {
    Some(match t {
        Tok::Not => UnOp::Not,
        Tok::Minus => UnOp::Minus,
        Tok::Tilde => UnOp::BNot,
        Tok::Hash => UnOp::Len,
        _ => return None,
    })
}

impl<'s> Parser<'s> {
    pub fn new(src: &'s [u8], chunk: &[u8]) -> R<Self> {
        let mut lx = Lexer::new(src, chunk);
        let tok = lx.next()?;
        let tok_raw = lx.raw(lx.tok_start);
        let line = lx.line;
        Ok(Parser {
            lx,
            tok,
            tok_raw,
            ahead: None,
            line,
            fss: Vec::new(),
            chunk: chunk.to_vec(),
            depth: 0,
            depth_limit: MAX_C_CALLS - 2,
            strings: Vec::new(),
            string_ids: HashMap::new(),
            actvar: Vec::new(),
            gotos: Vec::new(),
            labels: Vec::new(),
        })
    }

    // ---------------- tokens and errors ----------------

    fn advance(&mut self) -> R<()> {
        self.line = self.lx.line;
        (self.tok, self.tok_raw) = match self.ahead.take() {
            Some(t) => t,
            None => {
                let t = self.lx.next()?;
                (t, self.lx.raw(self.lx.tok_start))
            }
        };
        Ok(())
    }

    fn peek_is_assign(&mut self) -> R<bool> {
        if self.ahead.is_none() {
            let t = self.lx.next()?;
            self.ahead = Some((t, self.lx.raw(self.lx.tok_start)));
        }
        Ok(matches!(self.ahead, Some((Tok::Assign, _))))
    }

    pub(super) fn err_near(&self, msg: &str) -> SyntaxError {
        let near = match &self.tok {
            // PUC-Rio shows no token for a NUL byte (token 0).
            Tok::Char(0) => return self.lx.error(msg, None),
            Tok::Str(s) => string_near_text(&self.tok_raw, s),
            Tok::Name(_) | Tok::Int(_) | Tok::Flt(_) => self.tok_raw.clone(),
            t => tok_text(t),
        };
        self.lx.error(msg, Some(&near))
    }

    /// A semantic error: no "near" part.
    fn sem_err(&self, msg: &str) -> SyntaxError {
        self.lx.error(msg, None)
    }

    fn check(&mut self, t: Tok) -> R<()> {
        if self.tok != t {
            return Err(self.err_near(&format!("{} expected", token_str(&t))));
        }
        Ok(())
    }

    fn check_next(&mut self, t: Tok) -> R<()> {
        self.check(t)?;
        self.advance()
    }

    fn check_match(&mut self, what: Tok, who: Tok, line: u32) -> R<()> {
        if self.tok != what {
            if line == self.lx.line {
                return Err(self.err_near(&format!("{} expected", token_str(&what))));
            }
            return Err(self.err_near(&format!(
                "{} expected (to close {} at line {})",
                token_str(&what),
                token_str(&who),
                line
            )));
        }
        self.advance()
    }

    fn test_next(&mut self, t: Tok) -> R<bool> {
        if self.tok == t {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(&i) = self.string_ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_vec());
        self.string_ids.insert(s.to_vec(), i);
        i
    }

    fn str_of(&self, id: u32) -> String {
        String::from_utf8_lossy(&self.strings[id as usize]).into_owned()
    }

    fn check_name(&mut self) -> R<u32> {
        if let Tok::Name(n) = &self.tok {
            let n = n.clone();
            let id = self.intern(&n);
            self.advance()?;
            Ok(id)
        } else {
            Err(self.err_near("<name> expected"))
        }
    }

    /// Loading with `c_calls` C calls in progress: the syntax levels may
    /// go up to (not reach) LUAI_MAXCCALLS with them.
    pub(super) fn set_c_calls(&mut self, c_calls: u32) {
        self.depth_limit = (MAX_C_CALLS - 1).saturating_sub(c_calls);
    }

    fn enter_level(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.depth_limit {
            // luaE_checkcstack's runtime error: no position.
            return Err(SyntaxError {
                message: C_STACK_OVERFLOW.to_string(),
                bytes: C_STACK_OVERFLOW.as_bytes().to_vec(),
                line: self.lx.line,
                column: 0,
            });
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.depth -= 1;
    }

    fn error_limit(&self, limit: usize, what: &str) -> SyntaxError {
        let line = self.fsr().f.line_defined;
        let where_ = if line == 0 {
            "main function".to_string()
        } else {
            format!("function at line {line}")
        };
        self.err_near(&format!("too many {what} (limit is {limit}) in {where_}"))
    }

    // ---------------- variables ----------------

    fn new_localvar(&mut self, name: u32) -> R<usize> {
        let fs = self.fsr();
        if self.actvar.len() + 1 - fs.first_local > MAX_VARS {
            return Err(self.error_limit(MAX_VARS, "local variables"));
        }
        self.actvar.push(VarDesc {
            kind: VarKind::Regular,
            ridx: 0,
            pidx: 0,
            name,
            value: ExpK::Nil,
        });
        Ok(self.actvar.len() - 1 - self.fsr().first_local)
    }

    fn new_localvar_literal(&mut self, name: &str) -> R<usize> {
        let id = self.intern(name.as_bytes());
        self.new_localvar(id)
    }

    fn local_desc(&mut self, vidx: usize) -> &mut VarDesc {
        let i = self.fsr().first_local + vidx;
        &mut self.actvar[i]
    }

    /// Activates the last `nvars` declared variables.
    fn adjust_localvars(&mut self, nvars: usize) {
        let first_reg = self.nvarstack();
        for reglevel in first_reg..first_reg + nvars {
            let vidx = self.fsr().nactvar;
            self.fs().nactvar += 1;
            let pc = self.fsr().pc() as u32;
            let name = self.local_desc(vidx).name;
            let name: Box<[u8]> = self.strings[name as usize].clone().into();
            let fs = self.fs();
            fs.f.local_vars.push(LocalVar {
                name,
                start_pc: pc,
                end_pc: 0,
            });
            let pidx = fs.f.local_vars.len() - 1;
            let vd = self.local_desc(vidx);
            vd.ridx = reglevel;
            vd.pidx = pidx;
        }
    }

    /// Closes the scope of variables down to `tolevel` active ones.
    fn remove_vars(&mut self, tolevel: usize) {
        let pc = self.fsr().pc() as u32;
        while self.fsr().nactvar > tolevel {
            self.fs().nactvar -= 1;
            let n = self.fsr().nactvar;
            let first = self.fsr().first_local;
            let vd = &self.actvar[first + n];
            if vd.kind != VarKind::CompileTime {
                let p = vd.pidx;
                if let Some(lv) = self.fs().f.local_vars.get_mut(p) {
                    lv.end_pc = pc;
                }
            }
        }
    }

    fn search_upvalue(&self, level: usize, name: u32) -> Option<usize> {
        let fs = &self.fss[level];
        let s = &self.strings[name as usize];
        fs.f.upvalues.iter().position(|u| *u.name == **s)
    }

    fn new_upvalue(&mut self, level: usize, name: u32, v: &ExpDesc) -> R<usize> {
        if self.fss[level].f.upvalues.len() + 1 > MAX_UPVALS {
            return Err(self.error_limit(MAX_UPVALS, "upvalues"));
        }
        let (in_stack, index, kind) = match v.k {
            ExpK::Local { ridx, vidx } => {
                let prev = &self.fss[level - 1];
                (true, ridx, self.actvar[prev.first_local + vidx].kind)
            }
            ExpK::Upval(u) => (false, u, self.fss[level - 1].upval_kinds[u]),
            _ => (false, 0, VarKind::Regular),
        };
        let nm: Box<[u8]> = self.strings[name as usize].clone().into();
        let fs = &mut self.fss[level];
        fs.f.upvalues.push(UpvalueDesc {
            in_stack,
            index: index as u8,
            name: nm,
        });
        fs.upval_kinds.push(kind);
        Ok(fs.f.upvalues.len() - 1)
    }

    /// Finds a variable among the active locals of function `level`.
    fn search_var(&self, level: usize, name: u32) -> Option<ExpK> {
        let fs = &self.fss[level];
        for i in (0..fs.nactvar).rev() {
            let vd = &self.actvar[fs.first_local + i];
            if vd.name == name {
                return Some(if vd.kind == VarKind::CompileTime {
                    ExpK::Const(fs.first_local + i)
                } else {
                    ExpK::Local {
                        ridx: vd.ridx,
                        vidx: i,
                    }
                });
            }
        }
        None
    }

    /// Marks the block where variable `vidx` lives as having a captured variable.
    fn mark_upval(&mut self, level: usize, vidx: usize) {
        let fs = &mut self.fss[level];
        if let Some(b) = fs.blocks.iter_mut().rev().find(|b| b.nactvar <= vidx) {
            b.upval = true;
        }
        fs.need_close = true;
    }

    fn single_var_aux(&mut self, level: usize, name: u32, base: bool) -> R<ExpDesc> {
        if let Some(k) = self.search_var(level, name) {
            if let (ExpK::Local { vidx, .. }, false) = (k, base) {
                self.mark_upval(level, vidx);
            }
            return Ok(ExpDesc::new(k));
        }
        let idx = match self.search_upvalue(level, name) {
            Some(i) => i,
            None => {
                if level == 0 {
                    return Ok(ExpDesc::new(ExpK::Void));
                }
                let v = self.single_var_aux(level - 1, name, false)?;
                match v.k {
                    ExpK::Local { .. } | ExpK::Upval(_) => self.new_upvalue(level, name, &v)?,
                    _ => return Ok(v),
                }
            }
        };
        Ok(ExpDesc::new(ExpK::Upval(idx)))
    }

    fn single_var(&mut self) -> R<ExpDesc> {
        let name = self.check_name()?;
        let level = self.fss.len() - 1;
        let mut var = self.single_var_aux(level, name, true)?;
        if var.k == ExpK::Void {
            let env = self.intern(b"_ENV");
            var = self.single_var_aux(level, env, true)?;
            self.exp_to_any_reg_up(&mut var)?;
            let mut key = ExpDesc::new(ExpK::KStr(name));
            self.indexed(&mut var, &mut key)?;
        }
        Ok(var)
    }

    fn check_readonly(&self, e: &ExpDesc) -> R<()> {
        let name = match e.k {
            ExpK::Const(i) => Some(self.actvar[i].name),
            ExpK::Local { vidx, .. } => {
                let vd = &self.actvar[self.fsr().first_local + vidx];
                (vd.kind != VarKind::Regular).then_some(vd.name)
            }
            ExpK::Upval(u) => {
                let fs = self.fsr();
                (fs.upval_kinds[u] != VarKind::Regular)
                    .then(|| self.intern_lookup(&fs.f.upvalues[u].name))
                    .flatten()
            }
            _ => None,
        };
        if let Some(n) = name {
            return Err(self.sem_err(&format!(
                "attempt to assign to const variable '{}'",
                self.str_of(n)
            )));
        }
        Ok(())
    }

    fn intern_lookup(&self, s: &[u8]) -> Option<u32> {
        self.string_ids.get(s).copied()
    }

    // ---------------- blocks, labels, gotos ----------------

    fn enter_block(&mut self, is_loop: bool) {
        let first_label = self.labels.len();
        let first_goto = self.gotos.len();
        let fs = self.fs();
        let inside_tbc = fs.blocks.last().is_some_and(|b| b.inside_tbc);
        let nactvar = fs.nactvar;
        fs.blocks.push(BlockCnt {
            first_label,
            first_goto,
            nactvar,
            upval: false,
            is_loop,
            inside_tbc,
        });
    }

    fn leave_block(&mut self) -> R<()> {
        let Some(bl) = self.fs().blocks.pop() else {
            return Ok(());
        };
        let has_previous = !self.fsr().blocks.is_empty();
        let stklevel = self.reg_level(bl.nactvar);
        self.remove_vars(bl.nactvar);
        let mut has_close = false;
        if bl.is_loop {
            // Pending breaks jump here.
            let brk = self.intern(b"break");
            // Solve as if the block were still open, for goto bookkeeping.
            self.fs().blocks.push(bl_copy(&bl));
            has_close = self.create_label(brk, 0, false)?;
            self.fs().blocks.pop();
        }
        if !has_close && has_previous && bl.upval {
            self.code_abc(OpCode::Close, stklevel, 0, 0);
        }
        self.fs().free_reg = stklevel;
        self.labels.truncate(bl.first_label);
        if has_previous {
            self.move_gotos_out(&bl);
        } else if let Some(g) = self.gotos.get(bl.first_goto) {
            return Err(self.undef_goto(g.clone()));
        }
        // Scope ended: the descriptors were kept until now for goto bookkeeping.
        let keep = self.fsr().first_local + bl.nactvar;
        self.actvar.truncate(keep);
        Ok(())
    }

    fn undef_goto(&self, g: LabelDesc) -> SyntaxError {
        let msg = if self.strings[g.name as usize] == b"break" {
            format!("break outside loop at line {}", g.line)
        } else {
            format!(
                "no visible label '{}' for <goto> at line {}",
                self.str_of(g.name),
                g.line
            )
        };
        self.sem_err(&msg)
    }

    /// Pending gotos of a closed block now belong to the enclosing block.
    fn move_gotos_out(&mut self, bl: &BlockCnt) {
        let outer = self.reg_level(bl.nactvar);
        for i in bl.first_goto..self.gotos.len() {
            let gl = self.reg_level(self.gotos[i].nactvar);
            let g = &mut self.gotos[i];
            if gl > outer {
                g.close |= bl.upval;
            }
            g.nactvar = bl.nactvar;
        }
    }

    fn find_label(&self, name: u32) -> Option<usize> {
        let first = self.fsr().first_label;
        (first..self.labels.len()).find(|&i| self.labels[i].name == name)
    }

    fn new_goto(&mut self, name: u32, line: u32, pc: usize) {
        let nactvar = self.fsr().nactvar;
        self.gotos.push(LabelDesc {
            name,
            pc,
            line,
            nactvar,
            close: false,
        });
    }

    /// Declares a label here and resolves pending gotos to it; returns
    /// whether a CLOSE was emitted.
    fn create_label(&mut self, name: u32, line: u32, last: bool) -> R<bool> {
        let pc = self.get_label();
        let nactvar = if last {
            self.fsr().blocks.last().map_or(0, |b| b.nactvar)
        } else {
            self.fsr().nactvar
        };
        let lb = LabelDesc {
            name,
            pc,
            line,
            nactvar,
            close: false,
        };
        self.labels.push(lb.clone());
        let first_goto = self.fsr().blocks.last().map_or(0, |b| b.first_goto);
        let mut need_close = false;
        let mut i = first_goto;
        while i < self.gotos.len() {
            if self.gotos[i].name == name {
                let g = self.gotos.remove(i);
                need_close |= g.close;
                if g.nactvar < lb.nactvar {
                    let vname = self.actvar[self.fsr().first_local + g.nactvar].name;
                    return Err(self.sem_err(&format!(
                        "<goto {}> at line {} jumps into the scope of local '{}'",
                        self.str_of(g.name),
                        g.line,
                        self.str_of(vname)
                    )));
                }
                self.patch_list(g.pc as i32, lb.pc)?;
            } else {
                i += 1;
            }
        }
        if need_close {
            let level = self.nvarstack();
            self.code_abc(OpCode::Close, level, 0, 0);
        }
        Ok(need_close)
    }

    // ---------------- functions ----------------

    fn open_func(&mut self, line: u32) {
        let fs = FuncState::new(&self.chunk, line, self.actvar.len(), self.labels.len());
        self.fss.push(fs);
        self.enter_block(false);
    }

    fn close_func(&mut self) -> R<Proto> {
        let level = self.nvarstack();
        self.ret(level, 0);
        self.leave_block()?;
        self.finish()?;
        let fs = self
            .fss
            .pop()
            .ok_or_else(|| self.sem_err("internal error"))?;
        Ok(fs.f)
    }

    pub fn chunk(mut self) -> R<Proto> {
        self.open_func(0);
        self.fs().f.is_vararg = true;
        self.code_abc(OpCode::VarArgPrep, 0, 0, 0);
        let env = self.intern(b"_ENV");
        self.fs().f.upvalues.push(UpvalueDesc {
            in_stack: true,
            index: 0,
            name: b"_ENV".to_vec().into(),
        });
        self.fs().upval_kinds.push(VarKind::Regular);
        let _ = env;
        self.stat_list()?;
        self.check(Tok::Eof)?;
        let mut p = self.close_func()?;
        p.last_line_defined = 0;
        Ok(p)
    }

    fn body(&mut self, is_method: bool, line: u32) -> R<ExpDesc> {
        self.open_func(line);
        self.check_next(Tok::LParen)?;
        if is_method {
            self.new_localvar_literal("self")?;
            self.adjust_localvars(1);
        }
        self.par_list()?;
        self.check_next(Tok::RParen)?;
        self.stat_list()?;
        self.fs().f.last_line_defined = self.lx.line;
        self.check_match(Tok::End, Tok::Function, line)?;
        let p = self.close_func()?;
        let fs = self.fs();
        fs.f.protos.push(p);
        let idx = fs.f.protos.len() - 1;
        if idx > MAX_BX as usize {
            return Err(self.error_limit(MAX_BX as usize, "functions"));
        }
        let pc = self.code_abx(OpCode::Closure, 0, idx);
        let mut e = ExpDesc::new(ExpK::Reloc(pc));
        self.exp_to_next_reg(&mut e)?;
        Ok(e)
    }

    fn par_list(&mut self) -> R<()> {
        let mut nparams = 0;
        let mut vararg = false;
        if self.tok != Tok::RParen {
            loop {
                match self.tok {
                    Tok::Name(_) => {
                        let n = self.check_name()?;
                        self.new_localvar(n)?;
                        nparams += 1;
                    }
                    Tok::Dots => {
                        self.advance()?;
                        vararg = true;
                    }
                    _ => return Err(self.err_near("<name> or '...' expected")),
                }
                if vararg || !self.test_next(Tok::Comma)? {
                    break;
                }
            }
        }
        self.adjust_localvars(nparams);
        let n = self.fsr().nactvar;
        self.fs().f.num_params = n as u8;
        if vararg {
            self.fs().f.is_vararg = true;
            self.code_abc(OpCode::VarArgPrep, n, 0, 0);
        }
        self.reserve_regs(n)
    }

    // ---------------- statements ----------------

    fn block_follow(&self, with_until: bool) -> bool {
        match self.tok {
            Tok::Else | Tok::Elseif | Tok::End | Tok::Eof => true,
            Tok::Until => with_until,
            _ => false,
        }
    }

    fn stat_list(&mut self) -> R<()> {
        while !self.block_follow(true) {
            if self.tok == Tok::Return {
                return self.statement();
            }
            self.statement()?;
        }
        Ok(())
    }

    fn block(&mut self) -> R<()> {
        self.enter_block(false);
        self.stat_list()?;
        self.leave_block()
    }

    fn statement(&mut self) -> R<()> {
        let line = self.lx.line;
        self.enter_level()?;
        match self.tok {
            Tok::Semi => self.advance()?,
            Tok::If => self.if_stat(line)?,
            Tok::While => self.while_stat(line)?,
            Tok::Do => {
                self.advance()?;
                self.block()?;
                self.check_match(Tok::End, Tok::Do, line)?;
            }
            Tok::For => self.for_stat(line)?,
            Tok::Repeat => self.repeat_stat(line)?,
            Tok::Function => self.func_stat(line)?,
            Tok::Local => {
                self.advance()?;
                if self.test_next(Tok::Function)? {
                    self.local_func()?;
                } else {
                    self.local_stat()?;
                }
            }
            Tok::DColon => {
                self.advance()?;
                let name = self.check_name()?;
                self.label_stat(name, line)?;
            }
            Tok::Return => {
                self.advance()?;
                self.ret_stat()?;
            }
            Tok::Break => {
                self.advance()?;
                let brk = self.intern(b"break");
                let pc = self.jump();
                self.new_goto(brk, line, pc);
            }
            Tok::Goto => {
                self.advance()?;
                let name = self.check_name()?;
                self.goto_stat(name, line)?;
            }
            _ => self.expr_stat()?,
        }
        let level = self.nvarstack();
        self.fs().free_reg = level;
        self.leave_level();
        Ok(())
    }

    fn goto_stat(&mut self, name: u32, line: u32) -> R<()> {
        match self.find_label(name) {
            None => {
                let pc = self.jump();
                self.new_goto(name, line, pc);
            }
            Some(i) => {
                // Backward jump: close what it leaves, then jump.
                let lblevel = self.reg_level(self.labels[i].nactvar);
                if self.nvarstack() > lblevel {
                    self.code_abc(OpCode::Close, lblevel, 0, 0);
                }
                let pc = self.jump();
                let target = self.labels[i].pc;
                self.patch_list(pc as i32, target)?;
            }
        }
        Ok(())
    }

    fn label_stat(&mut self, name: u32, line: u32) -> R<()> {
        self.check_next(Tok::DColon)?;
        while self.tok == Tok::Semi || self.tok == Tok::DColon {
            self.statement()?;
        }
        if let Some(i) = self.find_label(name) {
            return Err(self.sem_err(&format!(
                "label '{}' already defined on line {}",
                self.str_of(name),
                self.labels[i].line
            )));
        }
        let last = self.block_follow(false);
        self.create_label(name, line, last)?;
        Ok(())
    }

    /// Condition of if/while: returns the false-exit list.
    fn cond(&mut self) -> R<i32> {
        let v = self.expr()?;
        self.jump_if_false(v)
    }

    /// The jump taken when the condition `v` is false.
    fn jump_if_false(&mut self, mut v: ExpDesc) -> R<i32> {
        if v.k == ExpK::Nil {
            v.k = ExpK::False;
        }
        self.go_if_true(&mut v)?;
        Ok(v.f)
    }

    fn test_then_block(&mut self, escapes: &mut i32) -> R<()> {
        self.advance()?;
        let mut v = self.expr()?;
        self.check_next(Tok::Then)?;
        // After `then`: the test is on that line (line hooks see it there).
        let jf;
        if self.tok == Tok::Break {
            // `if cond then break`: the test itself jumps out of the loop,
            // with no instruction on the `break` line (as PUC-Rio compiles
            // it; line hooks and coverage tools see the difference).
            let line = self.lx.line;
            self.go_if_false(&mut v)?;
            self.advance()?;
            self.enter_block(false);
            let brk = self.intern(b"break");
            self.new_goto(brk, line, v.t as usize);
            while self.test_next(Tok::Semi)? {}
            if self.block_follow(false) {
                // The jump is the whole block: a false condition falls
                // through to what follows, `else` included.
                return self.leave_block();
            }
            jf = self.jump() as i32;
        } else {
            jf = self.jump_if_false(v)?;
            self.enter_block(false);
        }
        self.stat_list()?;
        self.leave_block()?;
        if self.tok == Tok::Else || self.tok == Tok::Elseif {
            let j = self.jump() as i32;
            self.concat(escapes, j)?;
        }
        self.patch_to_here(jf)
    }

    fn if_stat(&mut self, line: u32) -> R<()> {
        let mut escapes = NO_JUMP;
        self.test_then_block(&mut escapes)?;
        while self.tok == Tok::Elseif {
            self.test_then_block(&mut escapes)?;
        }
        if self.test_next(Tok::Else)? {
            self.block()?;
        }
        self.check_match(Tok::End, Tok::If, line)?;
        self.patch_to_here(escapes)
    }

    fn while_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let init = self.get_label();
        let exit = self.cond()?;
        self.enter_block(true);
        self.check_next(Tok::Do)?;
        self.block()?;
        let j = self.jump();
        self.patch_list(j as i32, init)?;
        self.check_match(Tok::End, Tok::While, line)?;
        self.leave_block()?;
        self.patch_to_here(exit)
    }

    fn repeat_stat(&mut self, line: u32) -> R<()> {
        let init = self.get_label();
        self.enter_block(true);
        self.enter_block(false);
        self.advance()?;
        self.stat_list()?;
        self.check_match(Tok::Until, Tok::Repeat, line)?;
        let mut exit = self.cond()?;
        let (upval, nactvar) = {
            let b = self.fsr().blocks.last();
            (b.is_some_and(|b| b.upval), b.map_or(0, |b| b.nactvar))
        };
        self.leave_block()?;
        if upval {
            // The loop-back path must close the body's upvalues first.
            let normal = self.jump();
            self.patch_to_here(exit)?;
            let level = self.reg_level(nactvar);
            self.code_abc(OpCode::Close, level, 0, 0);
            exit = self.jump() as i32;
            self.patch_to_here(normal as i32)?;
        }
        self.patch_list(exit, init)?;
        self.leave_block()
    }

    fn exp1(&mut self) -> R<()> {
        let mut e = self.expr()?;
        self.exp_to_next_reg(&mut e)
    }

    fn fix_for_jump(&mut self, pc: usize, dest: usize, back: bool) -> R<()> {
        let off = if back {
            pc as i64 + 1 - dest as i64
        } else {
            dest as i64 - (pc as i64 + 1)
        };
        if !(0..=MAX_BX as i64).contains(&off) {
            return Err(self.err_near("control structure too long"));
        }
        self.instr_mut(pc).set_bx(off as u32);
        Ok(())
    }

    fn for_body(&mut self, base: usize, line: u32, nvars: usize, generic: bool) -> R<()> {
        self.check_next(Tok::Do)?;
        let prep = if generic {
            self.code_abx(OpCode::TForPrep, base, 0)
        } else {
            self.code_abx(OpCode::ForPrep, base, 0)
        };
        self.enter_block(false);
        self.adjust_localvars(nvars);
        self.reserve_regs(nvars)?;
        self.block()?;
        self.leave_block()?;
        let here = self.get_label();
        self.fix_for_jump(prep, here, false)?;
        if generic {
            self.code_abc(OpCode::TForCall, base, 0, nvars);
            self.fix_line(line);
        }
        let end = if generic {
            self.code_abx(OpCode::TForLoop, base, 0)
        } else {
            self.code_abx(OpCode::ForLoop, base, 0)
        };
        self.fix_for_jump(end, prep + 1, true)?;
        self.fix_line(line);
        Ok(())
    }

    fn for_num(&mut self, var: u32, line: u32) -> R<()> {
        let base = self.fsr().free_reg;
        for _ in 0..3 {
            self.new_localvar_literal("(for state)")?;
        }
        self.new_localvar(var)?;
        self.check_next(Tok::Assign)?;
        self.exp1()?;
        self.check_next(Tok::Comma)?;
        self.exp1()?;
        if self.test_next(Tok::Comma)? {
            self.exp1()?;
        } else {
            let r = self.fsr().free_reg;
            self.code_int(r, 1)?;
            self.reserve_regs(1)?;
        }
        self.adjust_localvars(3);
        self.for_body(base, line, 1, false)
    }

    fn for_list(&mut self, first: u32) -> R<()> {
        let base = self.fsr().free_reg;
        for _ in 0..4 {
            self.new_localvar_literal("(for state)")?;
        }
        self.new_localvar(first)?;
        let mut nvars = 5;
        while self.test_next(Tok::Comma)? {
            let n = self.check_name()?;
            self.new_localvar(n)?;
            nvars += 1;
        }
        self.check_next(Tok::In)?;
        let line = self.lx.line;
        let (n, mut e) = self.exp_list()?;
        self.adjust_assign(4, n, &mut e)?;
        self.adjust_localvars(4);
        self.mark_to_be_closed();
        self.check_stack(3)?;
        self.for_body(base, line, nvars - 4, true)
    }

    fn for_stat(&mut self, line: u32) -> R<()> {
        self.enter_block(true);
        self.advance()?;
        let var = self.check_name()?;
        match self.tok {
            Tok::Assign => self.for_num(var, line)?,
            Tok::Comma | Tok::In => self.for_list(var)?,
            _ => return Err(self.err_near("'=' or 'in' expected")),
        }
        self.check_match(Tok::End, Tok::For, line)?;
        self.leave_block()
    }

    fn mark_to_be_closed(&mut self) {
        let fs = self.fs();
        if let Some(b) = fs.blocks.last_mut() {
            b.upval = true;
            b.inside_tbc = true;
        }
        fs.need_close = true;
    }

    fn func_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let mut v = self.single_var()?;
        let mut is_method = false;
        while self.tok == Tok::Dot {
            self.field_sel(&mut v)?;
        }
        if self.tok == Tok::Colon {
            is_method = true;
            self.field_sel(&mut v)?;
        }
        let mut b = self.body(is_method, line)?;
        self.check_readonly(&v)?;
        self.store_var(&v, &mut b)?;
        self.fix_line(line);
        Ok(())
    }

    fn local_func(&mut self) -> R<()> {
        let name = self.check_name()?;
        let fvar = self.fsr().nactvar;
        self.new_localvar(name)?;
        self.adjust_localvars(1);
        let line = self.lx.line;
        self.body(false, line)?;
        // The variable's scope starts after the closure is built.
        let pc = self.fsr().pc() as u32;
        let pidx = self.local_desc(fvar).pidx;
        if let Some(lv) = self.fs().f.local_vars.get_mut(pidx) {
            lv.start_pc = pc;
        }
        Ok(())
    }

    fn attrib(&mut self) -> R<VarKind> {
        if self.test_next(Tok::Lt)? {
            let a = self.check_name()?;
            self.check_next(Tok::Gt)?;
            return match self.strings[a as usize].as_slice() {
                b"const" => Ok(VarKind::Const),
                b"close" => Ok(VarKind::ToClose),
                _ => Err(self.sem_err(&format!("unknown attribute '{}'", self.str_of(a)))),
            };
        }
        Ok(VarKind::Regular)
    }

    fn local_stat(&mut self) -> R<()> {
        let mut toclose: Option<usize> = None;
        let mut nvars = 0;
        let mut vidx;
        loop {
            let name = self.check_name()?;
            vidx = self.new_localvar(name)?;
            let kind = self.attrib()?;
            self.local_desc(vidx).kind = kind;
            if kind == VarKind::ToClose {
                if toclose.is_some() {
                    return Err(self.sem_err("multiple to-be-closed variables in local list"));
                }
                toclose = Some(self.fsr().nactvar + nvars);
            }
            nvars += 1;
            if !self.test_next(Tok::Comma)? {
                break;
            }
        }
        let (nexps, mut e) = if self.test_next(Tok::Assign)? {
            self.exp_list()?
        } else {
            (0, ExpDesc::new(ExpK::Void))
        };
        let last_kind = self.local_desc(vidx).kind;
        let ctc = if nvars == nexps && last_kind == VarKind::Const {
            self.exp_const_value(&e)
        } else {
            None
        };
        if let Some(value) = ctc {
            let vd = self.local_desc(vidx);
            vd.kind = VarKind::CompileTime;
            vd.value = value;
            self.adjust_localvars(nvars - 1);
            self.fs().nactvar += 1;
        } else {
            self.adjust_assign(nvars, nexps, &mut e)?;
            self.adjust_localvars(nvars);
        }
        if let Some(level) = toclose {
            self.mark_to_be_closed();
            let r = self.reg_level(level);
            self.code_abc(OpCode::Tbc, r, 0, 0);
        }
        Ok(())
    }

    /// The compile-time value of `e`, if it is a literal constant.
    fn exp_const_value(&self, e: &ExpDesc) -> Option<ExpK> {
        if e.has_jumps() {
            return None;
        }
        match e.k {
            ExpK::Nil | ExpK::True | ExpK::False | ExpK::KStr(_) | ExpK::KInt(_) => Some(e.k),
            ExpK::KFlt(f) if !f.is_nan() => Some(e.k),
            ExpK::Const(i) => Some(self.actvar[i].value),
            _ => None,
        }
    }

    fn ret_stat(&mut self) -> R<()> {
        let mut first = self.nvarstack();
        let nret;
        if self.block_follow(true) || self.tok == Tok::Semi {
            nret = 0;
        } else {
            let (n, mut e) = self.exp_list()?;
            if e.is_multret() {
                self.set_multret(&mut e)?;
                if let ExpK::Call(pc) = e.k {
                    let in_tbc = self.fsr().blocks.last().is_some_and(|b| b.inside_tbc);
                    if n == 1 && !in_tbc {
                        let i = self.fsr().f.code[pc];
                        *self.instr_mut(pc) =
                            Instr::abc(OpCode::TailCall, i.a() as u32, i.b() as u32, 0, false);
                    }
                }
                nret = MULTRET;
            } else if n == 1 {
                first = self.exp_to_any_reg(&mut e)?;
                nret = 1;
            } else {
                self.exp_to_next_reg(&mut e)?;
                nret = n as i32;
            }
        }
        self.ret(first, nret);
        self.test_next(Tok::Semi)?;
        Ok(())
    }

    fn expr_stat(&mut self) -> R<()> {
        let v = self.suffixed_exp()?;
        if self.tok == Tok::Assign || self.tok == Tok::Comma {
            let mut lhs = vec![v];
            self.rest_assign(&mut lhs)
        } else {
            match v.k {
                ExpK::Call(pc) => {
                    self.instr_mut(pc).set_c(1);
                    Ok(())
                }
                _ => Err(self.err_near("syntax error")),
            }
        }
    }

    /// If a previous assignment target uses the variable `v` being assigned
    /// now as table or key, copies it to a temporary first.
    fn check_conflict(&mut self, lhs: &mut [ExpDesc], v: &ExpDesc) -> R<()> {
        let extra = self.fsr().free_reg;
        let mut conflict = false;
        for lh in lhs.iter_mut() {
            match lh.k {
                ExpK::IndexUp { t, idx } if v.k == ExpK::Upval(t) => {
                    conflict = true;
                    lh.k = ExpK::IndexStr { t: extra, idx };
                }
                ExpK::Indexed { t, idx } => {
                    let mut nt = t;
                    let mut ni = idx;
                    if let ExpK::Local { ridx, .. } = v.k {
                        if t == ridx {
                            conflict = true;
                            nt = extra;
                        }
                        if idx == ridx {
                            conflict = true;
                            ni = extra;
                        }
                    }
                    lh.k = ExpK::Indexed { t: nt, idx: ni };
                }
                ExpK::IndexI { t, idx } => {
                    if matches!(v.k, ExpK::Local { ridx, .. } if ridx == t) {
                        conflict = true;
                        lh.k = ExpK::IndexI { t: extra, idx };
                    }
                }
                ExpK::IndexStr { t, idx } => {
                    if matches!(v.k, ExpK::Local { ridx, .. } if ridx == t) {
                        conflict = true;
                        lh.k = ExpK::IndexStr { t: extra, idx };
                    }
                }
                _ => {}
            }
        }
        if conflict {
            match v.k {
                ExpK::Local { ridx, .. } => self.code_abc(OpCode::Move, extra, ridx, 0),
                ExpK::Upval(u) => self.code_abc(OpCode::GetUpval, extra, u, 0),
                _ => 0,
            };
            self.reserve_regs(1)?;
        }
        Ok(())
    }

    /// Assignment `lhs[0], lhs[1], ... = explist`; `lhs` grows as targets are read.
    fn rest_assign(&mut self, lhs: &mut Vec<ExpDesc>) -> R<()> {
        let Some(&last) = lhs.last() else {
            return Ok(());
        };
        if !last.is_var() {
            return Err(self.err_near("syntax error"));
        }
        self.check_readonly(&last)?;
        if self.test_next(Tok::Comma)? {
            let nv = self.suffixed_exp()?;
            if !nv.is_indexed() {
                let n = lhs.len();
                self.check_conflict(&mut lhs[..n], &nv)?;
            }
            self.enter_level()?;
            lhs.push(nv);
            self.rest_assign(lhs)?;
            lhs.pop();
            self.leave_level();
        } else {
            self.check_next(Tok::Assign)?;
            let (nexps, mut e) = self.exp_list()?;
            let nvars = lhs.len();
            if nexps != nvars {
                self.adjust_assign(nvars, nexps, &mut e)?;
            } else {
                self.set_one_ret(&mut e);
                let target = lhs[nvars - 1];
                return self.store_var(&target, &mut e);
            }
        }
        let target = lhs[lhs.len() - 1];
        let mut e = ExpDesc::new(ExpK::NonReloc(self.fsr().free_reg - 1));
        self.store_var(&target, &mut e)
    }

    /// Adjusts `nexps` values (last one `e`) to `nvars` registers.
    fn adjust_assign(&mut self, nvars: usize, nexps: usize, e: &mut ExpDesc) -> R<()> {
        let needed = nvars as i64 - nexps as i64;
        if e.is_multret() {
            let extra = (needed + 1).max(0);
            self.set_returns(e, extra as i32)?;
        } else {
            if e.k != ExpK::Void {
                self.exp_to_next_reg(e)?;
            }
            if needed > 0 {
                let r = self.fsr().free_reg;
                self.code_nil(r, needed as usize);
            }
        }
        if needed > 0 {
            self.reserve_regs(needed as usize)?;
        } else {
            let fs = self.fs();
            fs.free_reg = (fs.free_reg as i64 + needed) as usize;
        }
        Ok(())
    }

    // ---------------- expressions ----------------

    fn exp_list(&mut self) -> R<(usize, ExpDesc)> {
        let mut n = 1;
        let mut e = self.expr()?;
        while self.test_next(Tok::Comma)? {
            self.exp_to_next_reg(&mut e)?;
            e = self.expr()?;
            n += 1;
        }
        Ok((n, e))
    }

    pub(super) fn expr(&mut self) -> R<ExpDesc> {
        let (e, _) = self.subexpr(0)?;
        Ok(e)
    }

    fn subexpr(&mut self, limit: u8) -> R<(ExpDesc, Option<BinOp>)> {
        self.enter_level()?;
        let mut v = if let Some(op) = unop(&self.tok) {
            let line = self.lx.line;
            self.advance()?;
            let (mut v, _) = self.subexpr(UNARY_PRIORITY)?;
            self.prefix(op, &mut v, line)?;
            v
        } else {
            self.simple_exp()?
        };
        let mut op = binop(&self.tok);
        while let Some(o) = op {
            if o.priority().0 <= limit {
                break;
            }
            let line = self.lx.line;
            self.advance()?;
            self.infix(o, &mut v)?;
            let (mut v2, next) = self.subexpr(o.priority().1)?;
            self.posfix(o, &mut v, &mut v2, line)?;
            op = next;
        }
        self.leave_level();
        Ok((v, op))
    }

    fn simple_exp(&mut self) -> R<ExpDesc> {
        let e = match self.tok.clone() {
            Tok::Flt(f) => ExpDesc::new(ExpK::KFlt(f)),
            Tok::Int(i) => ExpDesc::new(ExpK::KInt(i)),
            Tok::Str(s) => ExpDesc::new(ExpK::KStr(self.intern(&s))),
            Tok::Nil => ExpDesc::new(ExpK::Nil),
            Tok::True => ExpDesc::new(ExpK::True),
            Tok::False => ExpDesc::new(ExpK::False),
            Tok::Dots => {
                if !self.fsr().f.is_vararg {
                    return Err(self.err_near("cannot use '...' outside a vararg function"));
                }
                let pc = self.code_abc(OpCode::VarArg, 0, 0, 1);
                ExpDesc::new(ExpK::Vararg(pc))
            }
            Tok::LBrace => return self.constructor(),
            Tok::Function => {
                let line = self.lx.line;
                self.advance()?;
                return self.body(false, line);
            }
            _ => return self.suffixed_exp(),
        };
        self.advance()?;
        Ok(e)
    }

    fn primary_exp(&mut self) -> R<ExpDesc> {
        match self.tok {
            Tok::Name(_) => self.single_var(),
            Tok::LParen => {
                let line = self.lx.line;
                self.advance()?;
                let mut e = self.expr()?;
                self.check_match(Tok::RParen, Tok::LParen, line)?;
                self.discharge_vars(&mut e);
                Ok(e)
            }
            _ => Err(self.err_near("unexpected symbol")),
        }
    }

    fn suffixed_exp(&mut self) -> R<ExpDesc> {
        let line = self.lx.line;
        let mut v = self.primary_exp()?;
        loop {
            match self.tok {
                Tok::Dot => self.field_sel(&mut v)?,
                Tok::LBracket => {
                    self.exp_to_any_reg_up(&mut v)?;
                    let mut k = self.yindex()?;
                    self.indexed(&mut v, &mut k)?;
                }
                Tok::Colon => {
                    self.advance()?;
                    let n = self.check_name()?;
                    let mut key = ExpDesc::new(ExpK::KStr(n));
                    self.code_self(&mut v, &mut key)?;
                    self.func_args(&mut v, line)?;
                }
                Tok::LParen | Tok::Str(_) | Tok::LBrace => {
                    self.exp_to_next_reg(&mut v)?;
                    self.func_args(&mut v, line)?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn field_sel(&mut self, v: &mut ExpDesc) -> R<()> {
        self.exp_to_any_reg_up(v)?;
        self.advance()?;
        let n = self.check_name()?;
        let mut key = ExpDesc::new(ExpK::KStr(n));
        self.indexed(v, &mut key)
    }

    fn yindex(&mut self) -> R<ExpDesc> {
        self.advance()?;
        let mut e = self.expr()?;
        self.exp_to_val(&mut e)?;
        self.check_next(Tok::RBracket)?;
        Ok(e)
    }

    fn func_args(&mut self, f: &mut ExpDesc, line: u32) -> R<()> {
        let mut args = match self.tok.clone() {
            Tok::LParen => {
                self.advance()?;
                let a = if self.tok == Tok::RParen {
                    ExpDesc::new(ExpK::Void)
                } else {
                    let (_, mut a) = self.exp_list()?;
                    if a.is_multret() {
                        self.set_multret(&mut a)?;
                    }
                    a
                };
                self.check_match(Tok::RParen, Tok::LParen, line)?;
                a
            }
            Tok::LBrace => self.constructor()?,
            Tok::Str(s) => {
                let id = self.intern(&s);
                self.advance()?;
                ExpDesc::new(ExpK::KStr(id))
            }
            _ => return Err(self.err_near("function arguments expected")),
        };
        let base = match f.k {
            ExpK::NonReloc(r) => r,
            _ => 0,
        };
        let nparams = if args.is_multret() {
            MULTRET
        } else {
            if args.k != ExpK::Void {
                self.exp_to_next_reg(&mut args)?;
            }
            self.fsr().free_reg as i32 - (base as i32 + 1)
        };
        let pc = self.code_abc(OpCode::Call, base, (nparams + 1) as usize, 2);
        *f = ExpDesc::new(ExpK::Call(pc));
        self.fix_line(line);
        self.fs().free_reg = base + 1;
        Ok(())
    }

    fn constructor(&mut self) -> R<ExpDesc> {
        let line = self.lx.line;
        let pc = self.code_abc(OpCode::NewTable, 0, 0, 0);
        let table = self.fsr().free_reg;
        self.reserve_regs(1)?;
        let mut cc = ConsControl {
            v: ExpDesc::new(ExpK::Void),
            table,
            nh: 0,
            na: 0,
            to_store: 0,
        };
        self.check_next(Tok::LBrace)?;
        loop {
            if self.tok == Tok::RBrace {
                break;
            }
            self.close_list_field(&mut cc)?;
            self.field(&mut cc)?;
            if !(self.test_next(Tok::Comma)? || self.test_next(Tok::Semi)?) {
                break;
            }
        }
        self.check_match(Tok::RBrace, Tok::LBrace, line)?;
        self.last_list_field(&mut cc)?;
        self.set_table_size(pc, table, cc.na, cc.nh);
        Ok(ExpDesc::new(ExpK::NonReloc(table)))
    }

    fn close_list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        if cc.v.k == ExpK::Void {
            return Ok(());
        }
        self.exp_to_next_reg(&mut cc.v)?;
        cc.v.k = ExpK::Void;
        if cc.to_store == FIELDS_PER_FLUSH as usize {
            self.set_list(cc.table, cc.na, cc.to_store as i32);
            cc.na += cc.to_store;
            cc.to_store = 0;
        }
        Ok(())
    }

    fn last_list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        if cc.to_store == 0 {
            return Ok(());
        }
        if cc.v.is_multret() {
            self.set_multret(&mut cc.v)?;
            self.set_list(cc.table, cc.na, MULTRET);
            cc.na += cc.to_store - 1;
        } else {
            if cc.v.k != ExpK::Void {
                self.exp_to_next_reg(&mut cc.v)?;
            }
            self.set_list(cc.table, cc.na, cc.to_store as i32);
            cc.na += cc.to_store;
        }
        Ok(())
    }

    fn field(&mut self, cc: &mut ConsControl) -> R<()> {
        match self.tok {
            Tok::Name(_) => {
                if self.peek_is_assign()? {
                    self.rec_field(cc)
                } else {
                    self.list_field(cc)
                }
            }
            Tok::LBracket => self.rec_field(cc),
            _ => self.list_field(cc),
        }
    }

    fn list_field(&mut self, cc: &mut ConsControl) -> R<()> {
        cc.v = self.expr()?;
        cc.to_store += 1;
        Ok(())
    }

    fn rec_field(&mut self, cc: &mut ConsControl) -> R<()> {
        let reg = self.fsr().free_reg;
        let mut key = if let Tok::Name(_) = self.tok {
            let n = self.check_name()?;
            ExpDesc::new(ExpK::KStr(n))
        } else {
            self.yindex()?
        };
        cc.nh += 1;
        self.check_next(Tok::Assign)?;
        let mut tab = ExpDesc::new(ExpK::NonReloc(cc.table));
        self.indexed(&mut tab, &mut key)?;
        let mut val = self.expr()?;
        self.store_var(&tab, &mut val)?;
        self.fs().free_reg = reg;
        Ok(())
    }
}

/// A token as named in "expected" messages.
fn token_str(t: &Tok) -> String {
    match t {
        Tok::Eof => "<eof>".into(),
        Tok::Name(_) => "<name>".into(),
        Tok::Str(_) => "<string>".into(),
        Tok::Int(_) => "<integer>".into(),
        Tok::Flt(_) => "<number>".into(),
        t => format!("'{}'", tok_text(t)),
    }
}

fn bl_copy(b: &BlockCnt) -> BlockCnt {
    BlockCnt {
        first_label: b.first_label,
        first_goto: b.first_goto,
        nactvar: b.nactvar,
        upval: b.upval,
        is_loop: b.is_loop,
        inside_tbc: b.inside_tbc,
    }
}

/// A string token as PUC-Rio shows it after "near": its delimiters around
/// the string's value (escapes already decoded).
fn string_near_text(raw: &str, value: &[u8]) -> String {
    let value = String::from_utf8_lossy(value);
    match raw.as_bytes().first() {
        Some(b'[') => {
            let level = raw[1..].bytes().take_while(|&b| b == b'=').count();
            let eq = "=".repeat(level);
            format!("[{eq}[{value}]{eq}]")
        }
        Some(&q) => format!("{}{value}{}", q as char, q as char),
        None => value.into_owned(),
    }
}
