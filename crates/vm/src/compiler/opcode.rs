//! The bytecode instruction format.
//!
//! An instruction is one `u32`, laid out as in Lua 5.4 so that the well-known
//! field names apply:
//!
//! ```text
//!  iABC   C(8) | B(8) | k(1) | A(8) | Op(7)
//!  iABx        Bx(17)      | A(8) | Op(7)
//!  iAsBx      sBx(17)      | A(8) | Op(7)
//!  iAx            Ax(25)          | Op(7)
//!  isJ            sJ(25)          | Op(7)
//! ```
//!
//! Signed fields use excess-K encoding (`sBx = Bx - OFFSET_SBX`,
//! `sC = C - OFFSET_SC`, `sJ = Ax - OFFSET_SJ`).
//!
//! Notation in the opcode docs: `R[x]` register x of the current frame,
//! `K[x]` constant x, `U[x]` upvalue x, `RK(C)` = `K[C]` if `k` else `R[C]`.
//! Arithmetic and comparison opcodes handle their metamethods themselves (there is
//! no MMBIN follow-up instruction); the interpreter completes an opcode whose
//! metamethod was a Lua function when that call returns.

pub const SIZE_OP: u32 = 7;
pub const SIZE_A: u32 = 8;
pub const SIZE_B: u32 = 8;
pub const SIZE_C: u32 = 8;
pub const SIZE_BX: u32 = SIZE_B + SIZE_C + 1;
pub const SIZE_AX: u32 = SIZE_BX + SIZE_A;

pub const POS_A: u32 = SIZE_OP;
pub const POS_K: u32 = POS_A + SIZE_A;
pub const POS_B: u32 = POS_K + 1;
pub const POS_C: u32 = POS_B + SIZE_B;
pub const POS_BX: u32 = POS_K;
pub const POS_AX: u32 = POS_A;

pub const MAX_A: u32 = (1 << SIZE_A) - 1;
pub const MAX_B: u32 = (1 << SIZE_B) - 1;
pub const MAX_C: u32 = (1 << SIZE_C) - 1;
pub const MAX_BX: u32 = (1 << SIZE_BX) - 1;
pub const MAX_AX: u32 = (1 << SIZE_AX) - 1;
pub const OFFSET_SBX: i32 = (MAX_BX >> 1) as i32;
pub const OFFSET_SJ: i32 = (MAX_AX >> 1) as i32;
pub const OFFSET_SC: i32 = (MAX_C >> 1) as i32;

/// Number of list items to accumulate before a SETLIST instruction.
pub const FIELDS_PER_FLUSH: u32 = 50;

/// The opcodes. Semantics follow Lua 5.4's `lopcodes.h` except where noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum OpCode {
    /// A B: R[A] := R[B]
    Move,
    /// A sBx: R[A] := sBx (integer)
    LoadI,
    /// A sBx: R[A] := (float)sBx
    LoadF,
    /// A Bx: R[A] := K[Bx]
    LoadK,
    /// A: R[A] := K[extra arg]; the next instruction is EXTRAARG
    LoadKx,
    /// A: R[A] := false
    LoadFalse,
    /// A: R[A] := false; pc++
    LFalseSkip,
    /// A: R[A] := true
    LoadTrue,
    /// A B: R[A], R[A+1], ..., R[A+B] := nil
    LoadNil,
    /// A B: R[A] := U[B]
    GetUpval,
    /// A B: U[B] := R[A]
    SetUpval,
    /// A B C: R[A] := U[B][K[C]:string]
    GetTabUp,
    /// A B C: R[A] := R[B][R[C]]
    GetTable,
    /// A B C: R[A] := R[B][C] (C is an integer key)
    GetI,
    /// A B C: R[A] := R[B][K[C]:string]
    GetField,
    /// A B C k: U[A][K[B]:string] := RK(C)
    SetTabUp,
    /// A B C k: R[A][R[B]] := RK(C)
    SetTable,
    /// A B C k: R[A][B] := RK(C) (B is an integer key)
    SetI,
    /// A B C k: R[A][K[B]:string] := RK(C)
    SetField,
    /// A B C: R[A] := {} with B = hash size hint, C = array size hint (both raw
    /// counts clamped to 255; no EXTRAARG follows, unlike Lua 5.4)
    NewTable,
    /// A B C k: R[A+1] := R[B]; R[A] := R[B][RK(C):string]
    OpSelf,
    /// A B sC: R[A] := R[B] + sC
    AddI,
    /// A B C: R[A] := R[B] + K[C]:number  (the constant is always the right operand)
    AddK,
    SubK,
    MulK,
    ModK,
    PowK,
    DivK,
    IDivK,
    /// A B C: R[A] := R[B] & K[C]:integer
    BAndK,
    BOrK,
    BXorK,
    /// A B sC: R[A] := R[B] >> sC
    ShrI,
    /// A B sC: R[A] := sC << R[B]
    ShlI,
    /// A B C: R[A] := R[B] + R[C]
    Add,
    Sub,
    Mul,
    Mod,
    Pow,
    Div,
    IDiv,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    /// A B: R[A] := -R[B]
    Unm,
    /// A B: R[A] := ~R[B]
    BNot,
    /// A B: R[A] := not R[B]
    Not,
    /// A B: R[A] := #R[B]
    Len,
    /// A B: R[A] := R[A] .. ... .. R[A + B - 1]
    Concat,
    /// A: close all upvalues and to-be-closed variables >= R[A]
    Close,
    /// A: mark variable R[A] "to be closed"
    Tbc,
    /// sJ: pc += sJ
    Jmp,
    /// A B k: if ((R[A] == R[B]) ~= k) then pc++
    Eq,
    /// A B k: if ((R[A] < R[B]) ~= k) then pc++
    Lt,
    /// A B k: if ((R[A] <= R[B]) ~= k) then pc++
    Le,
    /// A B k: if ((R[A] == K[B]) ~= k) then pc++
    EqK,
    /// A sB C k: if ((R[A] == sB) ~= k) then pc++ (C: sB stands for a float)
    EqI,
    /// A sB C k: if ((R[A] < sB) ~= k) then pc++
    LtI,
    /// A sB C k: if ((R[A] <= sB) ~= k) then pc++
    LeI,
    /// A sB C k: if ((R[A] > sB) ~= k) then pc++
    GtI,
    /// A sB C k: if ((R[A] >= sB) ~= k) then pc++
    GeI,
    /// A k: if (not R[A] == k) then pc++
    Test,
    /// A B k: if (not R[B] == k) then pc++ else R[A] := R[B]
    TestSet,
    /// A B C: R[A], ..., R[A+C-2] := R[A](R[A+1], ..., R[A+B-1]);
    /// B = 0: arguments up to top; C = 0: all results, top set after them
    Call,
    /// A B k: return R[A](R[A+1], ..., R[A+B-1]); k: the frame has upvalues or
    /// to-be-closed variables to close first (C is unused)
    TailCall,
    /// A B k: return R[A], ..., R[A+B-2]; B = 0: up to top; k: close first (C unused)
    Return,
    /// return (no values, nothing to close)
    Return0,
    /// A: return R[A] (nothing to close)
    Return1,
    /// A Bx: numeric for loop step; if the loop continues, pc -= Bx
    ForLoop,
    /// A Bx: numeric for loop preparation; if the loop does not run, pc += Bx + 1
    ForPrep,
    /// A Bx: create the to-be-closed variable R[A+3]; pc += Bx
    TForPrep,
    /// A C: R[A+4], ..., R[A+3+C] := R[A](R[A+1], R[A+2])
    TForCall,
    /// A Bx: if R[A+4] ~= nil then { R[A+2] := R[A+4]; pc -= Bx }
    TForLoop,
    /// A B C k: R[A][C+i] := R[A+i], 1 <= i <= B; B = 0: up to top;
    /// k: C is extended by the next EXTRAARG (C += Ax * (MAX_C + 1))
    SetList,
    /// A Bx: R[A] := closure(KPROTO[Bx])
    Closure,
    /// A C: R[A], R[A+1], ..., R[A+C-2] = vararg; C = 0: all, top set after them
    VarArg,
    /// A: adjust the frame of a vararg function (A = number of fixed parameters)
    VarArgPrep,
    /// Ax: extra (larger) argument for the previous opcode
    ExtraArg,
}

impl OpCode {
    pub const COUNT: u8 = OpCode::ExtraArg as u8 + 1;

    #[inline]
    pub fn from_u8(b: u8) -> Option<OpCode> {
        if b < Self::COUNT {
            // SAFETY: OpCode is repr(u8) with contiguous discriminants 0..COUNT.
            Some(unsafe { std::mem::transmute::<u8, OpCode>(b) })
        } else {
            None
        }
    }

    /// A test: the jump that follows it is taken or skipped by its outcome.
    pub fn is_test(self) -> bool {
        matches!(
            self,
            OpCode::Eq
                | OpCode::Lt
                | OpCode::Le
                | OpCode::EqK
                | OpCode::EqI
                | OpCode::LtI
                | OpCode::LeI
                | OpCode::GtI
                | OpCode::GeI
                | OpCode::Test
                | OpCode::TestSet
        )
    }
}

/// One encoded instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Instr(u32);

#[inline]
fn mask(size: u32) -> u32 {
    (1u32 << size) - 1
}

impl Instr {
    #[inline]
    pub fn abc(op: OpCode, a: u32, b: u32, c: u32, k: bool) -> Instr {
        debug_assert!(a <= MAX_A && b <= MAX_B && c <= MAX_C);
        Instr((op as u32) | (a << POS_A) | ((k as u32) << POS_K) | (b << POS_B) | (c << POS_C))
    }

    #[inline]
    pub fn abx(op: OpCode, a: u32, bx: u32) -> Instr {
        debug_assert!(a <= MAX_A && bx <= MAX_BX);
        Instr((op as u32) | (a << POS_A) | (bx << POS_BX))
    }

    #[inline]
    pub fn asbx(op: OpCode, a: u32, sbx: i32) -> Instr {
        Instr::abx(op, a, (sbx + OFFSET_SBX) as u32)
    }

    #[inline]
    pub fn ax(op: OpCode, ax: u32) -> Instr {
        debug_assert!(ax <= MAX_AX);
        Instr((op as u32) | (ax << POS_AX))
    }

    #[inline]
    pub fn sj(op: OpCode, sj: i32) -> Instr {
        Instr::ax(op, (sj + OFFSET_SJ) as u32)
    }

    #[inline]
    pub fn op(self) -> OpCode {
        // Instructions are only built through the constructors above, so the
        // opcode field always holds a valid discriminant.
        let b = (self.0 & mask(SIZE_OP)) as u8;
        debug_assert!(b < OpCode::COUNT);
        // SAFETY: `Instr`'s field is private and every constructor takes an
        // `OpCode`; the setters never touch the opcode bits.
        unsafe { std::mem::transmute::<u8, OpCode>(b) }
    }

    #[inline]
    pub fn a(self) -> usize {
        ((self.0 >> POS_A) & mask(SIZE_A)) as usize
    }

    #[inline]
    pub fn b(self) -> usize {
        ((self.0 >> POS_B) & mask(SIZE_B)) as usize
    }

    #[inline]
    pub fn c(self) -> usize {
        ((self.0 >> POS_C) & mask(SIZE_C)) as usize
    }

    #[inline]
    pub fn k(self) -> bool {
        (self.0 >> POS_K) & 1 != 0
    }

    #[inline]
    pub fn bx(self) -> usize {
        ((self.0 >> POS_BX) & mask(SIZE_BX)) as usize
    }

    #[inline]
    pub fn sbx(self) -> i32 {
        self.bx() as i32 - OFFSET_SBX
    }

    #[inline]
    pub fn ax_field(self) -> usize {
        ((self.0 >> POS_AX) & mask(SIZE_AX)) as usize
    }

    #[inline]
    pub fn sj_field(self) -> i32 {
        self.ax_field() as i32 - OFFSET_SJ
    }

    /// The signed B operand of EQI/LTI/LEI/GTI/GEI.
    #[inline]
    pub fn sb(self) -> i32 {
        self.b() as i32 - OFFSET_SC
    }

    /// The signed C operand of ADDI/SHRI/SHLI.
    #[inline]
    pub fn sc(self) -> i32 {
        self.c() as i32 - OFFSET_SC
    }

    /// Replaces the `size` bits at `pos` with `v`.
    #[inline]
    fn set_field(&mut self, pos: u32, size: u32, v: u32) {
        self.0 = (self.0 & !(mask(size) << pos)) | (v << pos);
    }

    /// Replaces the sBx field (for jump patching).
    #[inline]
    pub fn set_sbx(&mut self, sbx: i32) {
        self.set_bx((sbx + OFFSET_SBX) as u32);
    }

    /// Replaces the Bx field.
    #[inline]
    pub fn set_bx(&mut self, bx: u32) {
        self.set_field(POS_BX, SIZE_BX, bx);
    }

    /// Replaces the sJ field (for jump patching).
    #[inline]
    pub fn set_sj(&mut self, sj: i32) {
        self.set_field(POS_AX, SIZE_AX, (sj + OFFSET_SJ) as u32);
    }

    #[inline]
    pub fn set_a(&mut self, a: u32) {
        self.set_field(POS_A, SIZE_A, a);
    }

    #[inline]
    pub fn set_b(&mut self, b: u32) {
        self.set_field(POS_B, SIZE_B, b);
    }

    #[inline]
    pub fn set_c(&mut self, c: u32) {
        self.set_field(POS_C, SIZE_C, c);
    }

    #[inline]
    pub fn set_k(&mut self, k: bool) {
        self.set_field(POS_K, 1, k as u32);
    }
}

impl std::fmt::Debug for Instr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} a={} b={} c={} k={} bx={} sj={}",
            self.op(),
            self.a(),
            self.b(),
            self.c(),
            self.k(),
            self.bx(),
            self.sj_field()
        )
    }
}
