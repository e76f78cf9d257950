//! The parser, generating code as it goes (one pass, like PUC-Rio Lua).

use super::func::{Block, FuncState, NO_JUMP};
use super::lexer::{tok_text, Lexer, Tok};
use super::opcode::{Instr, OpCode, FIELDS_PER_FLUSH, MAX_C, OFFSET_SBX, OFFSET_SC};
use super::proto::{Constant, Proto};
use super::SyntaxError;

const MAX_DEPTH: u32 = 200;

/// Where an expression's value is.
#[derive(Clone, Debug)]
enum Exp {
    Nil,
    True,
    False,
    Int(i64),
    Flt(f64),
    Str(Vec<u8>),
    /// A local variable's register.
    Local(usize),
    Upval(usize),
    /// `t[k]` with the table in a register.
    Index(usize, Key),
    /// `U[up][K[k]]`.
    IndexUp(usize, usize),
    /// A value in a temporary register.
    Reg(usize),
    /// A call instruction; its results are open.
    Call(usize),
    Vararg(usize),
}

#[derive(Clone, Debug)]
enum Key {
    Reg(usize),
    Str(usize),
    Int(usize),
}

pub struct Parser<'s> {
    lx: Lexer<'s>,
    tok: Tok,
    ahead: Option<Tok>,
    line: u32,
    fs: Vec<FuncState>,
    chunk: Vec<u8>,
    depth: u32,
}

type R<T> = Result<T, SyntaxError>;

fn binop(t: &Tok) -> Option<(u8, u8)> {
    // (left priority, right priority)
    Some(match t {
        Tok::Or => (1, 1),
        Tok::And => (2, 2),
        Tok::Lt | Tok::Gt | Tok::Le | Tok::Ge | Tok::Ne | Tok::Eq => (3, 3),
        Tok::Pipe => (4, 4),
        Tok::Tilde => (5, 5),
        Tok::Amp => (6, 6),
        Tok::Shl | Tok::Shr => (7, 7),
        Tok::Concat => (9, 8),
        Tok::Plus | Tok::Minus => (10, 10),
        Tok::Star | Tok::Slash | Tok::DSlash | Tok::Percent => (11, 11),
        Tok::Caret => (14, 13),
        _ => return None,
    })
}

const UNARY_PRIORITY: u8 = 12;

impl<'s> Parser<'s> {
    pub fn new(src: &'s [u8], chunk: &[u8]) -> R<Self> {
        let mut lx = Lexer::new(src, chunk);
        let tok = lx.next()?;
        let line = lx.line;
        Ok(Parser {
            lx,
            tok,
            ahead: None,
            line,
            fs: Vec::new(),
            chunk: chunk.to_vec(),
            depth: 0,
        })
    }

    fn advance(&mut self) -> R<()> {
        self.line = self.lx.line;
        self.tok = match self.ahead.take() {
            Some(t) => t,
            None => self.lx.next()?,
        };
        Ok(())
    }

    fn peek_ahead(&mut self) -> R<&Tok> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lx.next()?);
        }
        Ok(self.ahead.as_ref().unwrap_or(&Tok::Eof))
    }

    fn err_near(&self, msg: &str) -> SyntaxError {
        let near = match &self.tok {
            Tok::Str(_) | Tok::Name(_) | Tok::Int(_) | Tok::Flt(_) => tok_text(&self.tok),
            t => tok_text(t),
        };
        self.lx.error(msg, Some(&near))
    }

    fn err(&self, msg: &str) -> SyntaxError {
        self.lx.error(msg, None)
    }

    fn fserr(&self, r: Result<usize, String>) -> R<usize> {
        r.map_err(|m| self.err_near(&m))
    }

    fn fs(&mut self) -> &mut FuncState {
        self.fs.last_mut().expect("a function is being compiled")
    }

    fn check(&mut self, t: Tok) -> R<()> {
        if self.tok != t {
            return Err(self.err_near(&format!("'{}' expected", tok_text(&t))));
        }
        self.advance()
    }

    fn check_match(&mut self, what: Tok, who: Tok, line: u32) -> R<()> {
        if self.tok != what {
            if line == self.lx.line {
                return Err(self.err_near(&format!("'{}' expected", tok_text(&what))));
            }
            return Err(self.err_near(&format!(
                "'{}' expected (to close '{}' at line {})",
                tok_text(&what),
                tok_text(&who),
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

    fn name(&mut self) -> R<Vec<u8>> {
        if let Tok::Name(n) = &self.tok {
            let n = n.clone();
            self.advance()?;
            Ok(n)
        } else {
            Err(self.err_near("<name> expected"))
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_near("chunk has too many syntax levels"));
        }
        Ok(())
    }

    // ---------------- code emission helpers ----------------

    fn emit_abc(&mut self, op: OpCode, a: usize, b: usize, c: usize, k: bool) -> usize {
        let line = self.line;
        self.fs().abc(op, a, b, c, k, line)
    }

    fn emit_abx(&mut self, op: OpCode, a: usize, bx: usize) -> usize {
        let line = self.line;
        self.fs().abx(op, a, bx, line)
    }

    fn jump(&mut self) -> usize {
        let line = self.line;
        self.fs().jump(line)
    }

    fn patch(&mut self, pc: usize, target: usize) -> R<()> {
        let r = self.fs().patch(pc, target);
        r.map_err(|m| self.err(&m))
    }

    fn patch_here(&mut self, pc: usize) -> R<()> {
        let here = self.fs().pc();
        self.patch(pc, here)
    }

    fn reserve(&mut self, n: usize) -> R<usize> {
        let r = self.fs().reserve(n);
        self.fserr(r)
    }

    fn free_to(&mut self, reg: usize) {
        let n = self.fs().nactive_regs();
        self.fs().free_reg = reg.max(n);
    }

    fn str_k(&mut self, s: &[u8]) -> R<usize> {
        let r = self.fs().string_constant(s);
        self.fserr(r)
    }

    fn load_k(&mut self, reg: usize, c: Constant) -> R<()> {
        let r = self.fs().constant(c);
        let k = self.fserr(r)?;
        if k < (1 << 17) {
            self.emit_abx(OpCode::LoadK, reg, k);
        } else {
            self.emit_abx(OpCode::LoadKx, reg, 0);
            let line = self.line;
            self.fs().emit(Instr::ax(OpCode::ExtraArg, k as u32), line);
        }
        Ok(())
    }

    /// Puts the value of `e` into register `reg`.
    fn to_reg(&mut self, e: Exp, reg: usize) -> R<()> {
        match e {
            Exp::Nil => {
                self.emit_abc(OpCode::LoadNil, reg, 0, 0, false);
            }
            Exp::True => {
                self.emit_abc(OpCode::LoadTrue, reg, 0, 0, false);
            }
            Exp::False => {
                self.emit_abc(OpCode::LoadFalse, reg, 0, 0, false);
            }
            Exp::Int(i) => {
                if (-OFFSET_SBX as i64..=OFFSET_SBX as i64).contains(&i) {
                    self.emit_abx(OpCode::LoadI, reg, (i + OFFSET_SBX as i64) as usize);
                } else {
                    self.load_k(reg, Constant::Integer(i))?;
                }
            }
            Exp::Flt(f) => {
                if f.fract() == 0.0
                    && f.abs() < OFFSET_SBX as f64
                    && !(f == 0.0 && f.is_sign_negative())
                {
                    self.emit_abx(OpCode::LoadF, reg, (f as i64 + OFFSET_SBX as i64) as usize);
                } else {
                    self.load_k(reg, Constant::Number(f))?;
                }
            }
            Exp::Str(s) => self.load_k(reg, Constant::String(s.into()))?,
            Exp::Local(r) | Exp::Reg(r) => {
                if r != reg {
                    self.emit_abc(OpCode::Move, reg, r, 0, false);
                }
            }
            Exp::Upval(u) => {
                self.emit_abc(OpCode::GetUpval, reg, u, 0, false);
            }
            Exp::IndexUp(u, k) => {
                self.emit_abc(OpCode::GetTabUp, reg, u, k, false);
            }
            Exp::Index(t, key) => match key {
                Key::Reg(k) => {
                    self.emit_abc(OpCode::GetTable, reg, t, k, false);
                }
                Key::Str(k) => {
                    self.emit_abc(OpCode::GetField, reg, t, k, false);
                }
                Key::Int(i) => {
                    self.emit_abc(OpCode::GetI, reg, t, i, false);
                }
            },
            Exp::Call(pc) => {
                self.fs().proto.code[pc].set_c(2);
                let a = self.fs().proto.code[pc].a();
                if a != reg {
                    self.emit_abc(OpCode::Move, reg, a, 0, false);
                }
            }
            Exp::Vararg(pc) => {
                self.fs().proto.code[pc].set_c(2);
                let a = self.fs().proto.code[pc].a();
                if a != reg {
                    self.emit_abc(OpCode::Move, reg, a, 0, false);
                }
            }
        }
        Ok(())
    }

    /// A single-result call or vararg is a value in its own register.
    fn discharge(&mut self, e: Exp) -> Exp {
        match e {
            Exp::Call(pc) | Exp::Vararg(pc) => {
                self.fs().proto.code[pc].set_c(2);
                Exp::Reg(self.fs().proto.code[pc].a())
            }
            e => e,
        }
    }

    /// The value of `e` in the next free register.
    fn to_next_reg(&mut self, e: Exp) -> R<usize> {
        let e = self.discharge(e);
        if let Exp::Reg(r) = e {
            if r + 1 == self.fs().free_reg {
                return Ok(r);
            }
        }
        self.release(&e);
        let r = self.reserve(1)?;
        self.to_reg(e, r)?;
        Ok(r)
    }

    /// The value of `e` in some register (a local's own register if it is one).
    fn to_any_reg(&mut self, e: Exp) -> R<usize> {
        match self.discharge(e) {
            Exp::Local(r) => Ok(r),
            Exp::Reg(r) => Ok(r),
            e => self.to_next_reg(e),
        }
    }

    /// Frees the temporary registers an expression descriptor holds.
    fn release(&mut self, e: &Exp) {
        let n = self.fs().nactive_regs();
        let free = |p: &mut Self, r: usize| {
            if r >= n && r + 1 == p.fs().free_reg {
                p.fs().free_reg = r;
            }
        };
        match e {
            Exp::Reg(r) => free(self, *r),
            Exp::Index(t, key) => {
                if let Key::Reg(k) = key {
                    free(self, *k);
                }
                free(self, *t);
            }
            _ => {}
        }
    }

    /// Frees the given registers if they are the topmost temporaries.
    fn free_regs(&mut self, regs: &[usize]) {
        let mut v: Vec<usize> = regs.to_vec();
        v.sort_unstable_by(|a, b| b.cmp(a));
        for r in v {
            self.release(&Exp::Reg(r));
        }
    }

    /// Sets multiple results for an open call or vararg (`n` = -1 for all).
    fn set_returns(&mut self, e: &Exp, n: i32) -> R<()> {
        match e {
            Exp::Call(pc) => {
                self.fs().proto.code[*pc].set_c((n + 1) as u32);
            }
            Exp::Vararg(pc) => {
                self.fs().proto.code[*pc].set_c((n + 1) as u32);
                if n > 0 {
                    self.reserve(n as usize - 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn is_multi(e: &Exp) -> bool {
        matches!(e, Exp::Call(_) | Exp::Vararg(_))
    }

    // ---------------- functions and blocks ----------------

    pub fn chunk(mut self) -> R<Proto> {
        let mut fs = FuncState::new(&self.chunk, 0);
        fs.proto.is_vararg = true;
        fs.add_upvalue(b"_ENV", true, 0).map_err(|m| self.err(&m))?;
        self.fs.push(fs);
        self.emit_abc(OpCode::VarArgPrep, 0, 0, 0, false);
        self.open_block(false);
        self.block()?;
        if self.tok != Tok::Eof {
            return Err(self.err_near("'<eof>' expected"));
        }
        self.close_function()
    }

    fn open_block(&mut self, is_loop: bool) {
        let n = self.fs().nactive_regs();
        self.fs().blocks.push(Block {
            nactive: n,
            is_loop,
            breaks: Vec::new(),
            needs_close: false,
            labels: Vec::new(),
        });
    }

    fn close_block(&mut self) -> R<()> {
        let b = self.fs().blocks.pop().expect("block");
        let has_outer = !self.fs().blocks.is_empty();
        if b.needs_close && has_outer {
            self.emit_abc(OpCode::Close, b.nactive, 0, 0, false);
        }
        self.fs().remove_locals(b.nactive);
        let here = self.fs().pc();
        for j in b.breaks {
            self.patch(j, here)?;
        }
        self.resolve_gotos(&b.labels, b.nactive)?;
        Ok(())
    }

    fn resolve_gotos(&mut self, labels: &[(Vec<u8>, usize, usize)], _nactive: usize) -> R<()> {
        let depth = self.fs().blocks.len();
        let mut i = 0;
        while i < self.fs().gotos.len() {
            let g = &self.fs().gotos[i];
            if g.block_depth > depth {
                if let Some((_, pc, _)) = labels.iter().find(|(n, _, _)| *n == g.name) {
                    let (gpc, target) = (g.pc, *pc);
                    self.fs().gotos.remove(i);
                    self.patch(gpc, target)?;
                    continue;
                }
                // Moves out to the enclosing block.
                self.fs().gotos[i].block_depth = depth;
            }
            i += 1;
        }
        Ok(())
    }

    fn close_function(&mut self) -> R<Proto> {
        self.close_block_final()?;
        let line = self.line;
        self.fs().abc(OpCode::Return, 0, 1, 0, false, line);
        let mut fs = self.fs.pop().expect("function");
        if let Some(g) = fs.gotos.first() {
            self.line = g.line;
            return Err(self.lx.error(
                &format!(
                    "no visible label '{}' for goto at line {}",
                    String::from_utf8_lossy(&g.name),
                    g.line
                ),
                None,
            ));
        }
        fs.proto.last_line_defined = self.lx.line;
        // Returns must close upvalues when the function has captured locals.
        if fs.needs_close_any || fs.has_tbc {
            for i in fs.proto.code.iter_mut() {
                if i.op() == OpCode::Return || i.op() == OpCode::TailCall {
                    i.set_k(true);
                }
            }
        }
        Ok(fs.proto)
    }

    fn close_block_final(&mut self) -> R<()> {
        let b = self.fs().blocks.pop().expect("block");
        self.fs().remove_locals(b.nactive);
        self.resolve_gotos(&b.labels, b.nactive)
    }

    fn block_follow(&self, with_until: bool) -> bool {
        match self.tok {
            Tok::Else | Tok::Elseif | Tok::End | Tok::Eof => true,
            Tok::Until => with_until,
            _ => false,
        }
    }

    fn block(&mut self) -> R<()> {
        while !self.block_follow(true) {
            if self.tok == Tok::Return {
                self.ret_stat()?;
                return Ok(());
            }
            self.statement()?;
        }
        Ok(())
    }

    // ---------------- statements ----------------

    fn statement(&mut self) -> R<()> {
        self.enter()?;
        let line = self.lx.line;
        match self.tok.clone() {
            Tok::Semi => self.advance()?,
            Tok::If => self.if_stat(line)?,
            Tok::While => self.while_stat(line)?,
            Tok::Do => {
                self.advance()?;
                self.open_block(false);
                self.block()?;
                self.check_match(Tok::End, Tok::Do, line)?;
                self.close_block()?;
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
                let name = self.name()?;
                self.check(Tok::DColon)?;
                let pc = self.fs().pc();
                if self
                    .fs()
                    .blocks
                    .iter()
                    .any(|b| b.labels.iter().any(|(n, _, _)| *n == name))
                {
                    return Err(self.err(&format!(
                        "label '{}' already defined",
                        String::from_utf8_lossy(&name)
                    )));
                }
                let n = self.fs().nactive_regs();
                self.fs()
                    .blocks
                    .last_mut()
                    .expect("block")
                    .labels
                    .push((name, pc, n));
                // Gotos already seen in this block jump backwards here.
                let labels = self.fs().blocks.last().expect("block").labels.clone();
                let depth = self.fs().blocks.len();
                let mut i = 0;
                while i < self.fs().gotos.len() {
                    let g = &self.fs().gotos[i];
                    if g.block_depth == depth && labels.iter().any(|(n, _, _)| *n == g.name) {
                        let gpc = g.pc;
                        self.fs().gotos.remove(i);
                        self.patch(gpc, pc)?;
                        continue;
                    }
                    i += 1;
                }
            }
            Tok::Return => return Err(self.err_near("'<eof>' expected")),
            Tok::Break => {
                self.advance()?;
                let needs_close = self
                    .fs()
                    .blocks
                    .iter()
                    .rev()
                    .take_while(|b| !b.is_loop)
                    .any(|b| b.needs_close);
                let loop_block = self.fs().blocks.iter().rposition(|b| b.is_loop);
                let Some(lb) = loop_block else {
                    return Err(self.lx.error(
                        &format!("break outside a loop at line {line}"),
                        Some(&tok_text(&self.tok)),
                    ));
                };
                if needs_close || self.fs().blocks[lb].needs_close {
                    let n = self.fs().blocks[lb].nactive;
                    self.emit_abc(OpCode::Close, n, 0, 0, false);
                }
                let j = self.jump();
                self.fs().blocks[lb].breaks.push(j);
            }
            Tok::Goto => {
                self.advance()?;
                let name = self.name()?;
                // A backward goto to a visible label.
                let target = self.fs().blocks.iter().rev().find_map(|b| {
                    b.labels
                        .iter()
                        .find(|(n, _, _)| *n == name)
                        .map(|(_, pc, na)| (*pc, *na))
                });
                if let Some((pc, na)) = target {
                    if self.fs().nactive_regs() > na && self.fs().needs_close_any {
                        self.emit_abc(OpCode::Close, na, 0, 0, false);
                    }
                    let j = self.jump();
                    self.patch(j, pc)?;
                } else {
                    let j = self.jump();
                    let n = self.fs().nactive_regs();
                    let depth = self.fs().blocks.len();
                    self.fs().gotos.push(super::func::PendingGoto {
                        name,
                        pc: j,
                        line,
                        nactive: n,
                        block_depth: depth,
                    });
                }
            }
            _ => self.expr_stat()?,
        }
        let n = self.fs().nactive_regs();
        self.fs().free_reg = n;
        self.depth -= 1;
        Ok(())
    }

    fn cond_jump_false(&mut self) -> R<usize> {
        let e = self.expr()?;
        self.jump_if(e, false)
    }

    /// Emits a jump taken when `e`'s truth equals `when`; returns its pc.
    fn jump_if(&mut self, e: Exp, when: bool) -> R<usize> {
        match e {
            Exp::Nil | Exp::False if !when => return Ok(self.jump()),
            Exp::True | Exp::Int(_) | Exp::Flt(_) | Exp::Str(_) if when => return Ok(self.jump()),
            _ => {}
        }
        let base = self.fs().free_reg;
        let r = self.to_any_reg(e)?;
        self.emit_abc(OpCode::Test, r, 0, 0, when);
        self.free_to(base);
        Ok(self.jump())
    }

    fn if_stat(&mut self, line: u32) -> R<()> {
        let mut exits = Vec::new();
        self.advance()?;
        let mut jf = self.cond_then()?;
        loop {
            match self.tok {
                Tok::Elseif => {
                    self.advance()?;
                    exits.push(self.jump());
                    self.patch_here(jf)?;
                    jf = self.cond_then()?;
                }
                Tok::Else => {
                    self.advance()?;
                    exits.push(self.jump());
                    self.patch_here(jf)?;
                    jf = NO_JUMP as usize;
                    self.open_block(false);
                    self.block()?;
                    self.close_block()?;
                    break;
                }
                _ => break,
            }
        }
        self.check_match(Tok::End, Tok::If, line)?;
        if jf != NO_JUMP as usize {
            self.patch_here(jf)?;
        }
        for j in exits {
            self.patch_here(j)?;
        }
        Ok(())
    }

    fn cond_then(&mut self) -> R<usize> {
        let jf = self.cond_jump_false()?;
        self.check(Tok::Then)?;
        self.open_block(false);
        self.block()?;
        self.close_block()?;
        Ok(jf)
    }

    fn while_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let start = self.fs().pc();
        let exit = self.cond_jump_false()?;
        self.check(Tok::Do)?;
        self.open_block(true);
        self.block()?;
        let back = self.jump();
        self.patch(back, start)?;
        self.check_match(Tok::End, Tok::While, line)?;
        self.close_block()?;
        self.patch_here(exit)?;
        Ok(())
    }

    fn repeat_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let start = self.fs().pc();
        self.open_block(true);
        self.open_block(false);
        self.block()?;
        self.check_match(Tok::Until, Tok::Repeat, line)?;
        let e = self.expr()?;
        let needs_close = self.fs().blocks.last().expect("block").needs_close;
        if needs_close {
            let n = self.fs().blocks.last().expect("block").nactive;
            let base = self.fs().free_reg;
            let r = self.to_any_reg(e)?;
            let exit = {
                self.emit_abc(OpCode::Test, r, 0, 0, false);
                self.jump()
            };
            self.emit_abc(OpCode::Close, n, 0, 0, false);
            let back = self.jump();
            self.patch(back, start)?;
            self.patch_here(exit)?;
            self.emit_abc(OpCode::Close, n, 0, 0, false);
            self.free_to(base);
        } else {
            let j = self.jump_if(e, false)?;
            self.patch(j, start)?;
        }
        let b = self.fs().blocks.pop().expect("block");
        self.fs().remove_locals(b.nactive);
        self.resolve_gotos(&b.labels, b.nactive)?;
        self.close_block()
    }

    fn for_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let n1 = self.name()?;
        self.open_block(true);
        if self.tok == Tok::Assign {
            self.advance()?;
            let base = self.fs().free_reg;
            let e = self.expr()?;
            self.to_next_reg(e)?;
            self.check(Tok::Comma)?;
            let e = self.expr()?;
            self.to_next_reg(e)?;
            if self.test_next(Tok::Comma)? {
                let e = self.expr()?;
                self.to_next_reg(e)?;
            } else {
                let r = self.reserve(1)?;
                self.emit_abx(OpCode::LoadI, r, (1 + OFFSET_SBX) as usize);
            }
            self.check(Tok::Do)?;
            for name in [
                b"(for state)".to_vec(),
                b"(for state)".to_vec(),
                b"(for state)".to_vec(),
            ] {
                self.fs().add_local(name, false).map_err(|m| self.err(&m))?;
            }
            let prep = self.emit_abx(OpCode::ForPrep, base, 0);
            self.open_block(false);
            self.fs().add_local(n1, false).map_err(|m| self.err(&m))?;
            self.reserve(1)?;
            self.block()?;
            self.close_block()?;
            let lp = self.emit_abx(OpCode::ForLoop, base, 0);
            let body = prep + 1;
            self.fs().proto.code[prep].set_bx((lp - prep - 1) as u32);
            self.fs().proto.code[lp].set_bx((lp + 1 - body) as u32);
        } else {
            let mut names = vec![n1];
            while self.test_next(Tok::Comma)? {
                names.push(self.name()?);
            }
            self.check(Tok::In)?;
            let base = self.fs().free_reg;
            self.exp_list_adjust(3)?;
            // The closing value slot.
            let r = self.reserve(1)?;
            self.emit_abc(OpCode::LoadNil, r, 0, 0, false);
            self.check(Tok::Do)?;
            for _ in 0..4 {
                self.fs()
                    .add_local(b"(for state)".to_vec(), false)
                    .map_err(|m| self.err(&m))?;
            }
            self.fs().blocks.last_mut().expect("block").needs_close = true;
            self.fs().needs_close_any = true;
            let prep = self.emit_abx(OpCode::TForPrep, base, 0);
            self.open_block(false);
            let nv = names.len();
            for n in names {
                self.fs().add_local(n, false).map_err(|m| self.err(&m))?;
            }
            self.reserve(nv)?;
            self.block()?;
            self.close_block()?;
            let call = self.emit_abc(OpCode::TForCall, base, 0, nv, false);
            let lp = self.emit_abx(OpCode::TForLoop, base, 0);
            self.fs().proto.code[prep].set_bx((call - prep - 1) as u32);
            self.fs().proto.code[lp].set_bx((lp - prep) as u32);
        }
        self.check_match(Tok::End, Tok::For, line)?;
        self.close_block()
    }

    /// Evaluates an expression list into `n` consecutive new registers.
    fn exp_list_adjust(&mut self, n: usize) -> R<()> {
        let mut count = 0;
        loop {
            let e = self.expr()?;
            let more = self.tok == Tok::Comma;
            if !more && Self::is_multi(&e) {
                let want = n as i32 - count as i32;
                if want > 0 {
                    self.set_returns(&e, want)?;
                    if let Exp::Call(pc) = e {
                        let a = self.fs().proto.code[pc].a();
                        self.fs().free_reg = a;
                        self.reserve(want as usize)?;
                    }
                } else {
                    self.set_returns(&e, 0)?;
                    self.release(&e);
                }
                return Ok(());
            }
            if count < n {
                self.to_next_reg(e)?;
            } else {
                let r = self.to_next_reg(e)?;
                self.free_to(r);
            }
            count += 1;
            if !self.test_next(Tok::Comma)? {
                break;
            }
        }
        while count < n {
            let r = self.reserve(1)?;
            self.emit_abc(OpCode::LoadNil, r, 0, 0, false);
            count += 1;
        }
        Ok(())
    }

    fn func_stat(&mut self, line: u32) -> R<()> {
        self.advance()?;
        let n = self.name()?;
        let mut target = self.single_var(&n)?;
        let mut is_method = false;
        loop {
            match self.tok {
                Tok::Dot => {
                    self.advance()?;
                    let key = self.name()?;
                    let t = self.to_any_reg(target)?;
                    let k = self.str_k(&key)?;
                    target = self.index_exp(t, Exp::Str(key), k)?;
                }
                Tok::Colon => {
                    self.advance()?;
                    let key = self.name()?;
                    let t = self.to_any_reg(target)?;
                    let k = self.str_k(&key)?;
                    target = self.index_exp(t, Exp::Str(key), k)?;
                    is_method = true;
                    break;
                }
                _ => break,
            }
        }
        let f = self.body(is_method, line)?;
        self.store(target, f)
    }

    fn local_func(&mut self) -> R<()> {
        let name = self.name()?;
        self.fs().add_local(name, false).map_err(|m| self.err(&m))?;
        let r = self.reserve(1)?;
        let line = self.line;
        let f = self.body(false, line)?;
        self.to_reg(f, r)?;
        let pc = self.fs().pc() as u32;
        let info = self.fs().actives.last().expect("local").info;
        self.fs().proto.local_vars[info].start_pc = pc;
        Ok(())
    }

    fn local_stat(&mut self) -> R<()> {
        let mut names = Vec::new();
        let mut close_idx = None;
        loop {
            let n = self.name()?;
            let mut is_const = false;
            if self.test_next(Tok::Lt)? {
                let attr = self.name()?;
                match attr.as_slice() {
                    b"const" => is_const = true,
                    b"close" => {
                        if close_idx.is_some() {
                            return Err(
                                self.err_near("multiple to-be-closed variables in local list")
                            );
                        }
                        close_idx = Some(names.len());
                        is_const = true;
                    }
                    _ => {
                        return Err(self.err_near(&format!(
                            "unknown attribute '{}'",
                            String::from_utf8_lossy(&attr)
                        )))
                    }
                }
                self.check(Tok::Gt)?;
            }
            names.push((n, is_const));
            if !self.test_next(Tok::Comma)? {
                break;
            }
        }
        let n = names.len();
        if self.test_next(Tok::Assign)? {
            self.exp_list_adjust(n)?;
        } else {
            let r = self.reserve(n)?;
            self.emit_abc(OpCode::LoadNil, r, n - 1, 0, false);
        }
        let first = self.fs().nactive_regs();
        for (name, c) in names {
            self.fs().add_local(name, c).map_err(|m| self.err(&m))?;
        }
        if let Some(i) = close_idx {
            let reg = first + i;
            self.fs().mark_captured(reg);
            self.fs().has_tbc = true;
            self.emit_abc(OpCode::Tbc, reg, 0, 0, false);
        }
        Ok(())
    }

    fn ret_stat(&mut self) -> R<()> {
        self.advance()?;
        let base = self.fs().nactive_regs();
        if self.block_follow(true) || self.tok == Tok::Semi {
            self.emit_abc(OpCode::Return, base, 1, 0, false);
        } else {
            let first = self.fs().free_reg;
            let mut count = 0usize;
            let mut last_multi = None;
            loop {
                let e = self.expr()?;
                if self.tok != Tok::Comma && Self::is_multi(&e) {
                    last_multi = Some(e);
                    break;
                }
                if count == 0 && self.tok != Tok::Comma {
                    if let Exp::Local(r) = e {
                        self.emit_abc(OpCode::Return, r, 2, 0, false);
                        self.test_next(Tok::Semi)?;
                        return Ok(());
                    }
                }
                self.to_next_reg(e)?;
                count += 1;
                if !self.test_next(Tok::Comma)? {
                    break;
                }
            }
            match last_multi {
                Some(Exp::Call(pc)) if count == 0 && !self.fs().has_tbc => {
                    let i = self.fs().proto.code[pc];
                    self.fs().proto.code[pc] =
                        Instr::abc(OpCode::TailCall, i.a() as u32, i.b() as u32, 0, false);
                    let a = i.a();
                    self.emit_abc(OpCode::Return, a, 0, 0, false);
                }
                Some(e) => {
                    self.set_returns(&e, -1)?;
                    self.emit_abc(OpCode::Return, first, 0, 0, false);
                }
                None => {
                    self.emit_abc(OpCode::Return, first, count + 1, 0, false);
                }
            }
        }
        self.test_next(Tok::Semi)?;
        if !self.block_follow(true) {
            return Err(self.err_near("'<eof>' expected"));
        }
        Ok(())
    }

    fn expr_stat(&mut self) -> R<()> {
        let e = self.suffixed_exp()?;
        if self.tok == Tok::Assign || self.tok == Tok::Comma {
            let mut targets = vec![e];
            while self.test_next(Tok::Comma)? {
                targets.push(self.suffixed_exp()?);
            }
            self.check(Tok::Assign)?;
            for t in &targets {
                self.check_assignable(t)?;
            }
            if targets.len() == 1 {
                let v = self.expr()?;
                if self.tok == Tok::Comma {
                    // Extra values are evaluated and dropped.
                    let r = self.to_next_reg(v)?;
                    while self.test_next(Tok::Comma)? {
                        let e = self.expr()?;
                        let x = self.to_next_reg(e)?;
                        self.free_to(x);
                    }
                    let t = targets.pop().expect("target");
                    return self.store(t, Exp::Reg(r));
                }
                let v = if Self::is_multi(&v) {
                    self.set_returns(&v, 1)?;
                    v
                } else {
                    v
                };
                let t = targets.pop().expect("target");
                return self.store(t, v);
            }
            let n = targets.len();
            let first = self.fs().free_reg;
            self.exp_list_adjust(n)?;
            for (i, t) in targets.into_iter().enumerate().rev() {
                self.store(t, Exp::Reg(first + i))?;
            }
            return Ok(());
        }
        match e {
            Exp::Call(pc) => {
                self.fs().proto.code[pc].set_c(1);
                Ok(())
            }
            _ => Err(self.err_near("syntax error")),
        }
    }

    fn check_assignable(&self, t: &Exp) -> R<()> {
        match t {
            Exp::Local(r) => {
                if let Some(l) = self
                    .fs
                    .last()
                    .and_then(|f| f.actives.iter().find(|l| l.reg as usize == *r))
                {
                    if l.is_const {
                        return Err(self.err(&format!(
                            "attempt to assign to const variable '{}'",
                            String::from_utf8_lossy(&l.name)
                        )));
                    }
                }
                Ok(())
            }
            Exp::Upval(_) | Exp::Index(..) | Exp::IndexUp(..) => Ok(()),
            _ => Err(self.err_near("syntax error")),
        }
    }

    /// Stores `v` into the assignable `target`.
    fn store(&mut self, target: Exp, v: Exp) -> R<()> {
        match target {
            Exp::Local(r) => {
                self.release(&v);
                self.to_reg(v, r)
            }
            Exp::Upval(u) => {
                let r = self.to_any_reg(v)?;
                self.emit_abc(OpCode::SetUpval, r, u, 0, false);
                Ok(())
            }
            Exp::IndexUp(u, k) => {
                let r = self.to_any_reg(v)?;
                self.emit_abc(OpCode::SetTabUp, u, k, r, false);
                Ok(())
            }
            Exp::Index(t, key) => {
                let r = self.to_any_reg(v)?;
                match key {
                    Key::Reg(k) => self.emit_abc(OpCode::SetTable, t, k, r, false),
                    Key::Str(k) => self.emit_abc(OpCode::SetField, t, k, r, false),
                    Key::Int(i) => self.emit_abc(OpCode::SetI, t, i, r, false),
                };
                Ok(())
            }
            _ => Err(self.err_near("syntax error")),
        }
    }

    // ---------------- expressions ----------------

    fn expr(&mut self) -> R<Exp> {
        self.sub_expr(0)
    }

    fn sub_expr(&mut self, limit: u8) -> R<Exp> {
        self.enter()?;
        let mut e = match self.tok {
            Tok::Not | Tok::Minus | Tok::Hash | Tok::Tilde => {
                let op = self.tok.clone();
                self.advance()?;
                let operand = self.sub_expr(UNARY_PRIORITY)?;
                self.unary(op, operand)?
            }
            _ => self.simple_exp()?,
        };
        while let Some((lp, rp)) = binop(&self.tok) {
            if lp <= limit {
                break;
            }
            let op = self.tok.clone();
            let line = self.lx.line;
            self.advance()?;
            e = match op {
                Tok::And | Tok::Or => {
                    let base = self.fs().free_reg;
                    let r = self.to_next_reg(e)?;
                    let _ = base;
                    self.emit_abc(OpCode::Test, r, 0, 0, op == Tok::Or);
                    let j = self.jump();
                    let rhs = self.sub_expr(rp)?;
                    self.release(&rhs);
                    self.to_reg(rhs, r)?;
                    self.free_to(r + 1);
                    self.patch_here(j)?;
                    Exp::Reg(r)
                }
                Tok::Concat => {
                    let left = Exp::Reg(self.to_next_reg_fixed(e)?);
                    let rhs = self.sub_expr(rp)?;
                    self.line = line;
                    self.binary(op, left, rhs)?
                }
                _ => {
                    let left = self.operand_reg(e)?;
                    let rhs = self.sub_expr(rp)?;
                    self.line = line;
                    self.binary(op, left, rhs)?
                }
            };
        }
        self.depth -= 1;
        Ok(e)
    }

    /// Puts a left operand in a register, keeping constants for folding.
    fn operand_reg(&mut self, e: Exp) -> R<Exp> {
        Ok(match self.discharge(e) {
            e @ (Exp::Int(_) | Exp::Flt(_) | Exp::Str(_)) => e,
            Exp::Local(r) => Exp::Local(r),
            e => Exp::Reg(self.to_next_reg(e)?),
        })
    }

    fn unary(&mut self, op: Tok, e: Exp) -> R<Exp> {
        match (&op, &e) {
            (Tok::Minus, Exp::Int(i)) => return Ok(Exp::Int(i.wrapping_neg())),
            (Tok::Minus, Exp::Flt(f)) => return Ok(Exp::Flt(-f)),
            (Tok::Not, Exp::Nil | Exp::False) => return Ok(Exp::True),
            (Tok::Not, Exp::True | Exp::Int(_) | Exp::Flt(_) | Exp::Str(_)) => {
                return Ok(Exp::False)
            }
            _ => {}
        }
        let r = self.to_any_reg(e)?;
        self.free_regs(&[r]);
        let dst = self.reserve(1)?;
        let code = match op {
            Tok::Not => OpCode::Not,
            Tok::Minus => OpCode::Unm,
            Tok::Hash => OpCode::Len,
            _ => OpCode::BNot,
        };
        self.emit_abc(code, dst, r, 0, false);
        Ok(Exp::Reg(dst))
    }

    fn binary(&mut self, op: Tok, left: Exp, right: Exp) -> R<Exp> {
        if let Some(v) = fold(&op, &left, &right) {
            return Ok(v);
        }
        if op == Tok::Concat {
            // Operands must be in consecutive registers.
            let a = match left {
                Exp::Reg(x) => x,
                other => self.to_next_reg_fixed(other)?,
            };
            self.to_next_reg_fixed(right)?;
            self.emit_abc(OpCode::Concat, a, 2, 0, false);
            self.free_to(a + 1);
            return Ok(Exp::Reg(a));
        }
        let cmp = matches!(
            op,
            Tok::Lt | Tok::Gt | Tok::Le | Tok::Ge | Tok::Eq | Tok::Ne
        );
        let arith_k = |op: &Tok| -> Option<OpCode> {
            Some(match op {
                Tok::Plus => OpCode::AddK,
                Tok::Minus => OpCode::SubK,
                Tok::Star => OpCode::MulK,
                Tok::Percent => OpCode::ModK,
                Tok::Caret => OpCode::PowK,
                Tok::Slash => OpCode::DivK,
                Tok::DSlash => OpCode::IDivK,
                _ => return None,
            })
        };
        if !cmp {
            if let (Some(kop), Exp::Int(_) | Exp::Flt(_)) = (arith_k(&op), &right) {
                let l = self.to_any_reg(left)?;
                if let (Tok::Plus, Exp::Int(i)) = (&op, &right) {
                    if (-(OFFSET_SC as i64)..=OFFSET_SC as i64).contains(i) {
                        self.free_regs(&[l]);
                        let dst = self.reserve(1)?;
                        self.emit_abc(
                            OpCode::AddI,
                            dst,
                            l,
                            (*i + OFFSET_SC as i64) as usize,
                            false,
                        );
                        return Ok(Exp::Reg(dst));
                    }
                }
                let c = match right {
                    Exp::Int(i) => Constant::Integer(i),
                    Exp::Flt(f) => Constant::Number(f),
                    _ => unreachable!("matched above"),
                };
                let r = self.fs().constant(c);
                let k = self.fserr(r)?;
                if k <= MAX_C as usize {
                    self.free_regs(&[l]);
                    let dst = self.reserve(1)?;
                    self.emit_abc(kop, dst, l, k, false);
                    return Ok(Exp::Reg(dst));
                }
                let rr = self.reserve(1)?;
                self.load_k(rr, c_again(&right))?;
                self.free_regs(&[l, rr]);
                let dst = self.reserve(1)?;
                self.emit_abc(reg_op(&op), dst, l, rr, false);
                return Ok(Exp::Reg(dst));
            }
        }
        let l = self.to_any_reg(left)?;
        let r = self.to_any_reg(right)?;
        if cmp {
            // Produce a boolean: CMP; JMP; LFALSESKIP; LOADTRUE.
            let (code, a, b) = match op {
                Tok::Lt => (OpCode::Lt, l, r),
                Tok::Le => (OpCode::Le, l, r),
                Tok::Gt => (OpCode::Lt, r, l),
                Tok::Ge => (OpCode::Le, r, l),
                _ => (OpCode::Eq, l, r),
            };
            let truth = op != Tok::Ne;
            self.free_regs(&[l, r]);
            let dst = self.reserve(1)?;
            self.emit_abc(code, a, b, 0, truth);
            let j = self.jump();
            self.emit_abc(OpCode::LFalseSkip, dst, 0, 0, false);
            self.patch_here(j)?;
            self.emit_abc(OpCode::LoadTrue, dst, 0, 0, false);
            return Ok(Exp::Reg(dst));
        }
        self.free_regs(&[l, r]);
        let dst = self.reserve(1)?;
        self.emit_abc(reg_op(&op), dst, l, r, false);
        Ok(Exp::Reg(dst))
    }

    /// Like `to_next_reg` but always copies into a fresh register.
    fn to_next_reg_fixed(&mut self, e: Exp) -> R<usize> {
        match self.discharge(e) {
            Exp::Reg(r) if r + 1 == self.fs().free_reg => Ok(r),
            e => {
                let r = self.reserve(1)?;
                self.to_reg(e, r)?;
                Ok(r)
            }
        }
    }

    fn simple_exp(&mut self) -> R<Exp> {
        let e = match self.tok.clone() {
            Tok::Int(i) => Exp::Int(i),
            Tok::Flt(f) => Exp::Flt(f),
            Tok::Str(s) => Exp::Str(s),
            Tok::Nil => Exp::Nil,
            Tok::True => Exp::True,
            Tok::False => Exp::False,
            Tok::Dots => {
                if !self.fs().proto.is_vararg {
                    return Err(self.err_near("cannot use '...' outside a vararg function"));
                }
                let r = self.fs().free_reg;
                self.reserve(1)?;
                let pc = self.emit_abc(OpCode::VarArg, r, 0, 2, false);
                Exp::Vararg(pc)
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

    fn primary_exp(&mut self) -> R<Exp> {
        match self.tok.clone() {
            Tok::Name(n) => {
                self.advance()?;
                self.single_var(&n)
            }
            Tok::LParen => {
                let line = self.lx.line;
                self.advance()?;
                let e = self.expr()?;
                self.check_match(Tok::RParen, Tok::LParen, line)?;
                Ok(match e {
                    Exp::Call(_) | Exp::Vararg(_) => {
                        self.set_returns(&e, 1)?;
                        let r = self.to_next_reg(e)?;
                        Exp::Reg(r)
                    }
                    e => e,
                })
            }
            _ => Err(self.err_near("unexpected symbol")),
        }
    }

    fn suffixed_exp(&mut self) -> R<Exp> {
        let mut e = self.primary_exp()?;
        loop {
            match self.tok.clone() {
                Tok::Dot => {
                    self.advance()?;
                    let key = self.name()?;
                    e = self.field(e, key)?;
                }
                Tok::LBracket => {
                    self.advance()?;
                    let t = self.to_any_reg_keep(e)?;
                    let k = self.expr()?;
                    self.check(Tok::RBracket)?;
                    e = match k {
                        Exp::Str(s) => {
                            let ki = self.str_k(&s)?;
                            self.index_exp(t, Exp::Str(s), ki)?
                        }
                        Exp::Int(i) if (0..=MAX_C as i64).contains(&i) => {
                            Exp::Index(t, Key::Int(i as usize))
                        }
                        k => {
                            let kr = self.to_any_reg(k)?;
                            Exp::Index(t, Key::Reg(kr))
                        }
                    };
                }
                Tok::Colon => {
                    self.advance()?;
                    let name = self.name()?;
                    let obj = self.to_any_reg(e)?;
                    self.free_regs(&[obj]);
                    let base = self.reserve(2)?;
                    let k = self.str_k(&name)?;
                    if k <= MAX_C as usize {
                        self.emit_abc(OpCode::OpSelf, base, obj, k, true);
                    } else {
                        let kr = self.reserve(1)?;
                        self.load_k(kr, Constant::String(name.into()))?;
                        self.emit_abc(OpCode::OpSelf, base, obj, kr, false);
                        self.free_to(base + 2);
                    }
                    e = self.call_args(base, 1)?;
                }
                Tok::LParen | Tok::Str(_) | Tok::LBrace => {
                    let f = self.to_next_reg_fixed_call(e)?;
                    e = self.call_args(f, 0)?;
                }
                _ => return Ok(e),
            }
        }
    }

    fn to_any_reg_keep(&mut self, e: Exp) -> R<usize> {
        self.to_any_reg(e)
    }

    fn to_next_reg_fixed_call(&mut self, e: Exp) -> R<usize> {
        match self.discharge(e) {
            Exp::Reg(r) if r + 1 == self.fs().free_reg => Ok(r),
            e => {
                self.release(&e);
                let r = self.reserve(1)?;
                self.to_reg(e, r)?;
                Ok(r)
            }
        }
    }

    fn field(&mut self, e: Exp, key: Vec<u8>) -> R<Exp> {
        let k = self.str_k(&key)?;
        if let Exp::Upval(u) = e {
            if k <= MAX_C as usize {
                return Ok(Exp::IndexUp(u, k));
            }
        }
        let t = self.to_any_reg(e)?;
        self.index_exp(t, Exp::Str(key), k)
    }

    fn index_exp(&mut self, t: usize, key: Exp, k: usize) -> R<Exp> {
        if k <= MAX_C as usize {
            return Ok(Exp::Index(t, Key::Str(k)));
        }
        let kr = self.to_next_reg(key)?;
        Ok(Exp::Index(t, Key::Reg(kr)))
    }

    /// Parses call arguments for a function in register `f` (with `extra`
    /// arguments already placed, e.g. self).
    fn call_args(&mut self, f: usize, extra: usize) -> R<Exp> {
        let line = self.lx.line;
        let mut multi = false;
        match self.tok.clone() {
            Tok::Str(s) => {
                self.advance()?;
                self.to_next_reg(Exp::Str(s))?;
            }
            Tok::LBrace => {
                let t = self.constructor()?;
                self.to_next_reg(t)?;
            }
            Tok::LParen => {
                self.advance()?;
                if self.tok != Tok::RParen {
                    loop {
                        let e = self.expr()?;
                        if self.tok != Tok::Comma && Self::is_multi(&e) {
                            self.set_returns(&e, -1)?;
                            multi = true;
                            break;
                        }
                        self.to_next_reg(e)?;
                        if !self.test_next(Tok::Comma)? {
                            break;
                        }
                    }
                }
                self.check_match(Tok::RParen, Tok::LParen, line)?;
            }
            _ => return Err(self.err_near("function arguments expected")),
        }
        let nargs = self.fs().free_reg - f - 1;
        let _ = extra;
        let b = if multi { 0 } else { nargs + 1 };
        self.line = line;
        let pc = self.emit_abc(OpCode::Call, f, b, 2, false);
        self.fs().free_reg = f + 1;
        Ok(Exp::Call(pc))
    }

    fn constructor(&mut self) -> R<Exp> {
        let line = self.lx.line;
        self.check(Tok::LBrace)?;
        let t = self.reserve(1)?;
        let pc = self.emit_abc(OpCode::NewTable, t, 0, 0, false);
        let mut narray = 0usize;
        let mut nhash = 0usize;
        let mut pending = 0usize;
        loop {
            if self.tok == Tok::RBrace {
                break;
            }
            let is_named = matches!(self.tok, Tok::Name(_)) && *self.peek_ahead()? == Tok::Assign;
            if is_named {
                let key = self.name()?;
                self.advance()?;
                let v = self.expr()?;
                let k = self.str_k(&key)?;
                let r = self.to_any_reg(v)?;
                if k <= MAX_C as usize {
                    self.emit_abc(OpCode::SetField, t, k, r, false);
                } else {
                    let kr = self.to_next_reg(Exp::Str(key))?;
                    self.emit_abc(OpCode::SetTable, t, kr, r, false);
                }
                self.free_to(t + 1 + pending);
                nhash += 1;
            } else if self.tok == Tok::LBracket {
                self.advance()?;
                let k = self.expr()?;
                self.check(Tok::RBracket)?;
                self.check(Tok::Assign)?;
                let kr = self.to_any_reg(k)?;
                let v = self.expr()?;
                let vr = self.to_any_reg(v)?;
                self.emit_abc(OpCode::SetTable, t, kr, vr, false);
                self.free_to(t + 1 + pending);
                nhash += 1;
            } else {
                let v = self.expr()?;
                let last = self.tok != Tok::Comma && self.tok != Tok::Semi;
                if last && Self::is_multi(&v) {
                    self.set_returns(&v, -1)?;
                    self.flush_list(t, narray - pending, 0)?;
                    pending = 0;
                    self.fs().free_reg = t + 1;
                    break;
                }
                self.to_next_reg(v)?;
                narray += 1;
                pending += 1;
                if pending == FIELDS_PER_FLUSH as usize {
                    self.flush_list(t, narray - pending, pending)?;
                    pending = 0;
                    self.fs().free_reg = t + 1;
                }
            }
            if !self.test_next(Tok::Comma)? && !self.test_next(Tok::Semi)? {
                break;
            }
        }
        self.check_match(Tok::RBrace, Tok::LBrace, line)?;
        if pending > 0 {
            self.flush_list(t, narray - pending, pending)?;
        }
        self.fs().free_reg = t + 1;
        self.fs().proto.code[pc].set_b(nhash.min(255) as u32);
        self.fs().proto.code[pc].set_c(narray.min(255) as u32);
        Ok(Exp::Reg(t))
    }

    fn flush_list(&mut self, t: usize, start: usize, n: usize) -> R<()> {
        if start <= MAX_C as usize {
            self.emit_abc(OpCode::SetList, t, n, start, false);
        } else {
            let lo = start % (MAX_C as usize + 1);
            let hi = start / (MAX_C as usize + 1);
            self.emit_abc(OpCode::SetList, t, n, lo, true);
            let line = self.line;
            self.fs().emit(Instr::ax(OpCode::ExtraArg, hi as u32), line);
        }
        Ok(())
    }

    /// Parses a function body; returns the closure in a register.
    fn body(&mut self, is_method: bool, line: u32) -> R<Exp> {
        let mut fs = FuncState::new(&self.chunk, line);
        fs.blocks.push(Block {
            nactive: 0,
            is_loop: false,
            breaks: Vec::new(),
            needs_close: false,
            labels: Vec::new(),
        });
        self.fs.push(fs);
        if is_method {
            self.fs()
                .add_local(b"self".to_vec(), false)
                .map_err(|m| self.err(&m))?;
        }
        self.check(Tok::LParen)?;
        if self.tok != Tok::RParen {
            loop {
                match self.tok.clone() {
                    Tok::Name(n) => {
                        self.advance()?;
                        self.fs().add_local(n, false).map_err(|m| self.err(&m))?;
                    }
                    Tok::Dots => {
                        self.advance()?;
                        self.fs().proto.is_vararg = true;
                        break;
                    }
                    _ => return Err(self.err_near("<name> expected")),
                }
                if !self.test_next(Tok::Comma)? {
                    break;
                }
            }
        }
        let np = self.fs().nactive_regs();
        self.fs().proto.num_params = np as u8;
        self.fs().free_reg = np;
        let _ = self.reserve(0)?;
        if self.fs().proto.is_vararg {
            self.emit_abc(OpCode::VarArgPrep, np, 0, 0, false);
        }
        self.check(Tok::RParen)?;
        self.block()?;
        self.check_match(Tok::End, Tok::Function, line)?;
        let proto = self.close_function()?;
        let idx = self.fs().proto.protos.len();
        self.fs().proto.protos.push(proto);
        let r = self.reserve(1)?;
        self.emit_abx(OpCode::Closure, r, idx);
        Ok(Exp::Reg(r))
    }

    /// Resolves a name: local, upvalue or global.
    fn single_var(&mut self, name: &[u8]) -> R<Exp> {
        let level = self.fs.len() - 1;
        match self.resolve(level, name)? {
            Some(e) => Ok(e),
            None => {
                let env = self
                    .resolve(level, b"_ENV")?
                    .ok_or_else(|| self.err("no _ENV"))?;
                let k = self.str_k(name)?;
                match env {
                    Exp::Upval(u) if k <= MAX_C as usize => Ok(Exp::IndexUp(u, k)),
                    env => {
                        let t = self.to_any_reg(env)?;
                        self.index_exp(t, Exp::Str(name.to_vec()), k)
                    }
                }
            }
        }
    }

    fn resolve(&mut self, level: usize, name: &[u8]) -> R<Option<Exp>> {
        if let Some(i) = self.fs[level].find_local(name) {
            return Ok(Some(Exp::Local(self.fs[level].actives[i].reg as usize)));
        }
        if let Some(u) = self.fs[level].find_upvalue(name) {
            return Ok(Some(Exp::Upval(u)));
        }
        if level == 0 {
            return Ok(None);
        }
        let up = match self.resolve(level - 1, name)? {
            None => return Ok(None),
            Some(Exp::Local(r)) => {
                self.fs[level - 1].mark_captured(r);
                self.fs[level].add_upvalue(name, true, r)
            }
            Some(Exp::Upval(u)) => self.fs[level].add_upvalue(name, false, u),
            Some(_) => return Ok(None),
        };
        let u = up.map_err(|m| self.err(&m))?;
        Ok(Some(Exp::Upval(u)))
    }
}

fn c_again(e: &Exp) -> Constant {
    match e {
        Exp::Int(i) => Constant::Integer(*i),
        Exp::Flt(f) => Constant::Number(*f),
        _ => Constant::Nil,
    }
}

fn reg_op(op: &Tok) -> OpCode {
    match op {
        Tok::Plus => OpCode::Add,
        Tok::Minus => OpCode::Sub,
        Tok::Star => OpCode::Mul,
        Tok::Slash => OpCode::Div,
        Tok::DSlash => OpCode::IDiv,
        Tok::Percent => OpCode::Mod,
        Tok::Caret => OpCode::Pow,
        Tok::Amp => OpCode::BAnd,
        Tok::Pipe => OpCode::BOr,
        Tok::Tilde => OpCode::BXor,
        Tok::Shl => OpCode::Shl,
        _ => OpCode::Shr,
    }
}

/// Folds arithmetic on numeric constants when it cannot raise an error.
fn fold(op: &Tok, a: &Exp, b: &Exp) -> Option<Exp> {
    let (x, y) = match (a, b) {
        (Exp::Int(x), Exp::Int(y)) => (*x, *y),
        _ => return None,
    };
    Some(Exp::Int(match op {
        Tok::Plus => x.wrapping_add(y),
        Tok::Minus => x.wrapping_sub(y),
        Tok::Star => x.wrapping_mul(y),
        _ => return None,
    }))
}
