//! The internal code that validated function bodies are translated into
//! (exec/translate.rs; spec: none; this is the interpreter's representation).
//!
//! Every operand lives in a 64-bit slot addressed relative to the frame base:
//! `[params | other locals | constants | operand stack]`. A v128 takes two slots.
//! Instruction operands name slots directly, so `local.get` and constants cost
//! nothing at run time; branch targets are resolved instruction indices.

use std::sync::Arc;

use crate::syntax::{FuncType, Opcode, RefType};

/// An exception handler: a code range and what to do for exceptions thrown in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    /// First instruction covered.
    pub start: u32,
    /// First instruction not covered.
    pub end: u32,
    /// Nesting depth of its block (inner handlers are deeper).
    pub depth: u32,
    /// The action.
    pub kind: HandlerKind,
}

/// What a handler does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    /// Catch exceptions of `tag` (module tag index; `u32::MAX` = all): write the
    /// payload to `dst`, the exception reference to `ref_dst` (`u32::MAX` = none)
    /// and continue at `target`.
    Catch {
        /// Tag index or `u32::MAX`.
        tag: u32,
        /// Continuation.
        target: u32,
        /// Payload slots.
        dst: u32,
        /// Exception reference slot or `u32::MAX`.
        ref_dst: u32,
    },
    /// Legacy `delegate`: continue the search among handlers at most this deep.
    Delegate {
        /// Depth bound.
        limit: u32,
    },
}

macro_rules! define_ins {
    (
        special { $($special:tt)* }
        unop { $( $un:ident $up:literal $uc:literal $ut:literal $ua:ident $ub:ident $uf:ident; )* }
        binop { $( $bn:ident $bp:literal $bc:literal $bt:literal $ba:ident $bb:ident $bf:ident; )* }
        load { $( $ln:ident $lp:literal $lc:literal $lt:literal $la:ident $lw:literal $lf:ident; )* }
        store { $( $tn:ident $tp:literal $tc:literal $tt:literal $ta:ident $tw:literal $tf:ident; )* }
        simd { $($simd:tt)* }
        atomic { $($atomic:tt)* }
    ) => {
        /// One internal instruction. Field names: `dst` result slot, `a`/`b` operand
        /// slots, `base` first of several contiguous operand slots, `off` memarg offset.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Ins {
            /// Trap `unreachable`.
            Unreachable,
            /// Jump.
            Br { target: u32 },
            /// Jump if the i32 in `cond` is non-zero.
            BrIfNz { cond: u32, target: u32 },
            /// Jump if the i32 in `cond` is zero.
            BrIfZ { cond: u32, target: u32 },
            // An i32 or i64 comparison fused with the `br_if` or `if` that consumes
            // its result (see `Ins::fuse_branch`): jump if `a OP b`.
            BrI32Eq { a: u32, b: u32, target: u32 },
            BrI32Ne { a: u32, b: u32, target: u32 },
            BrI32LtS { a: u32, b: u32, target: u32 },
            BrI32LtU { a: u32, b: u32, target: u32 },
            BrI32GtS { a: u32, b: u32, target: u32 },
            BrI32GtU { a: u32, b: u32, target: u32 },
            BrI32LeS { a: u32, b: u32, target: u32 },
            BrI32LeU { a: u32, b: u32, target: u32 },
            BrI32GeS { a: u32, b: u32, target: u32 },
            BrI32GeU { a: u32, b: u32, target: u32 },
            BrI64Eq { a: u32, b: u32, target: u32 },
            BrI64Ne { a: u32, b: u32, target: u32 },
            BrI64LtS { a: u32, b: u32, target: u32 },
            BrI64LtU { a: u32, b: u32, target: u32 },
            BrI64GtS { a: u32, b: u32, target: u32 },
            BrI64GtU { a: u32, b: u32, target: u32 },
            BrI64LeS { a: u32, b: u32, target: u32 },
            BrI64LeU { a: u32, b: u32, target: u32 },
            BrI64GeS { a: u32, b: u32, target: u32 },
            BrI64GeU { a: u32, b: u32, target: u32 },
            /// Jump to `br_table[start + min(idx, len)]`.
            BrTable { idx: u32, start: u32, len: u32 },
            /// Copy one slot.
            Copy { dst: u32, src: u32 },
            /// Copy two slots (v128).
            Copy2 { dst: u32, src: u32 },
            /// Write a 32-bit constant.
            Const32 { dst: u32, val: u32 },
            /// Write the 64-bit constant `hi << 32 | lo` (two halves: no
            /// field of the instruction is 64-bit, which keeps the loop's
            /// operand decoding to 32-bit loads).
            Const64 { dst: u32, lo: u32, hi: u32 },
            /// Write the v128 constant `v128s[idx]`.
            ConstV { dst: u32, idx: u32 },
            /// Return the `n` slots at `src`.
            Return { src: u32, n: u32 },
            /// Call function `func` of the instance; arguments at `base`.
            Call { func: u32, base: u32 },
            /// call_indirect: arguments at `base`, table index right after them.
            CallIndirect { ty: u32, table: u32, base: u32 },
            /// return_call: replaces the current frame; arguments at `base`.
            ReturnCall { func: u32, base: u32 },
            /// return_call_indirect: as `CallIndirect`, replacing the current frame.
            ReturnCallIndirect { ty: u32, table: u32, base: u32 },
            /// `ext[idx]`: an instruction off the fast path, run by the frame manager.
            Ext { idx: u32 },
            /// i64.add128: operands (lo1, hi1, lo2, hi2) at base; result (lo, hi) at base.
            I64Add128 { base: u32 },
            /// i64.sub128, laid out as `I64Add128`.
            I64Sub128 { base: u32 },
            /// i64.mul_wide_s: operands at base, base+1; result (lo, hi) at base.
            I64MulWideS { base: u32 },
            /// i64.mul_wide_u, laid out as `I64MulWideS`.
            I64MulWideU { base: u32 },
            /// `dst = cond != 0 ? dst : b` (one slot).
            Select { dst: u32, b: u32, cond: u32 },
            /// Same for two slots.
            Select2 { dst: u32, b: u32, cond: u32 },
            GlobalGet { dst: u32, g: u32 },
            GlobalGet2 { dst: u32, g: u32 },
            GlobalSet { g: u32, src: u32 },
            GlobalSet2 { g: u32, src: u32 },
            TableGet { table: u32, dst: u32, idx: u32 },
            TableSet { table: u32, idx: u32, val: u32 },
            TableSize { table: u32, dst: u32 },
            /// Operands (init, delta) at base; result at base.
            TableGrow { table: u32, base: u32 },
            /// Operands (i, val, n) at base.
            TableFill { table: u32, base: u32 },
            /// Operands (d, s, n) at base.
            TableCopy { dst_table: u32, src_table: u32, base: u32 },
            /// Operands (d, s, n) at base.
            TableInit { table: u32, elem: u32, base: u32 },
            ElemDrop { elem: u32 },
            MemorySize { dst: u32 },
            MemoryGrow { dst: u32, delta: u32 },
            /// Operands (d, val, n) at base.
            MemoryFill { base: u32 },
            /// Operands (d, s, n) at base.
            MemoryCopy { base: u32 },
            /// Operands (d, s, n) at base.
            MemoryInit { data: u32, base: u32 },
            DataDrop { data: u32 },
            RefIsNull { dst: u32, a: u32 },
            RefFunc { dst: u32, func: u32 },
            /// Jump if the reference in `cond` is null.
            BrIfNull { cond: u32, target: u32 },
            /// Jump if the reference in `cond` is not null.
            BrIfNonNull { cond: u32, target: u32 },
            /// Jump if the reference in `a` matches `ref_types[rt]`.
            BrIfCast { a: u32, rt: u32, target: u32 },
            /// Jump if it does not.
            BrIfNotCast { a: u32, rt: u32, target: u32 },
            RefAsNonNull { dst: u32, a: u32 },
            RefTest { dst: u32, a: u32, rt: u32 },
            RefCast { dst: u32, a: u32, rt: u32 },
            RefEq { dst: u32, a: u32, b: u32 },
            RefI31 { dst: u32, a: u32 },
            I31Get { signed: u16, dst: u32, a: u32 },
            AnyConvertExtern { dst: u32, a: u32 },
            ExternConvertAny { dst: u32, a: u32 },
            /// call_ref: arguments at `base`, the function reference in `r`.
            CallRef { base: u32, r: u32 },
            ReturnCallRef { base: u32, r: u32 },
            /// Field values at base; the reference is written to base.
            StructNew { ty: u32, base: u32 },
            StructNewDefault { ty: u32, dst: u32 },
            // ---- custom descriptors ----
            /// struct.new_desc: field values then the descriptor at base; the
            /// reference is written to base.
            StructNewDesc { ty: u32, base: u32 },
            /// struct.new_default_desc: the descriptor in `a`.
            StructNewDefaultDesc { ty: u32, dst: u32, a: u32 },
            /// ref.get_desc
            RefGetDesc { dst: u32, a: u32 },
            /// ref.cast_desc_eq: the reference in `a`, the descriptor in `d`.
            RefCastDesc { nullable: u16, dst: u32, a: u32, d: u32 },
            /// Jump if the reference in `a` has the descriptor in `d` (or is a
            /// null and `nullable`).
            BrIfCastDesc { nullable: u16, a: u32, d: u32, target: u32 },
            /// Jump if it does not.
            BrIfNotCastDesc { nullable: u16, a: u32, d: u32, target: u32 },
            /// `sx`: 0 plain, 1 signed, 2 unsigned.
            StructGet { sx: u16, field: u32, dst: u32, a: u32 },
            StructSet { field: u32, a: u32, v: u32 },
            /// Operands (init?, n) at base.
            ArrayNew { default: u16, ty: u32, base: u32 },
            ArrayNewFixed { ty: u32, base: u32, n: u32 },
            /// Operands (s, n) at base.
            ArrayNewData { ty: u32, data: u32, base: u32 },
            ArrayNewElem { ty: u32, elem: u32, base: u32 },
            /// Operands (ref, i) at base, result at base.
            ArrayGet { sx: u16, base: u32 },
            /// Operands (ref, i, v) at base.
            ArraySet { base: u32 },
            ArrayLen { dst: u32, a: u32 },
            /// Operands (ref, i, v, n) at base.
            ArrayFill { base: u32 },
            /// Operands (dref, d, sref, s, n) at base.
            ArrayCopy { base: u32 },
            /// Operands (ref, d, s, n) at base.
            ArrayInitData { data: u32, base: u32 },
            ArrayInitElem { elem: u32, base: u32 },
            /// Payload at base.
            Throw { tag: u32, base: u32 },
            ThrowRef { a: u32 },
            VUn { op: u16, dst: u32, a: u32 },
            VBin { op: u16, dst: u32, a: u32, b: u32 },
            /// Operands at dst, dst+2, dst+4.
            VTern { op: u16, dst: u32 },
            VTest { op: u16, dst: u32, a: u32 },
            VShift { op: u16, dst: u32, a: u32, b: u32 },
            VSplat { op: u16, dst: u32, a: u32 },
            /// `op_lane` = opcode << 4 | lane.
            VExtract { op_lane: u16, dst: u32, a: u32 },
            VReplace { op_lane: u16, dst: u32, a: u32, b: u32 },
            /// Operands at dst and dst+2; lanes in `shuffles[idx]`.
            VShuffle { dst: u32, idx: u32 },
            VLoad { op: u16, dst: u32, addr: u32, off: u32 },
            VStore { addr: u32, val: u32, off: u32 },
            /// Vector operand at dst+1.
            VLoadLane { op_lane: u16, dst: u32, addr: u32, off: u32 },
            VStoreLane { op_lane: u16, addr: u32, val: u32, off: u32 },
            // An `i32.add`/`i64.add` into its own first operand fused with the
            // compare-and-branch that tests the sum (`fuse_add_branch`):
            // `x += y`, then jump if `x OP b` (slot `b` read after the add).
            AddBrI32Eq { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32Ne { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32LtS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32LtU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32GtS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32GtU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32LeS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32LeU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32GeS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI32GeU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64Eq { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64Ne { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64LtS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64LtU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64GtS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64GtU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64LeS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64LeU { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64GeS { x: u16, y: u16, b: u32, target: u32 },
            AddBrI64GeU { x: u16, y: u16, b: u32, target: u32 },
            /// `x += y` (i32), then jump if `x` is non-zero.
            AddBrI32Nz { x: u16, y: u16, target: u32 },
            /// `x += y` (i32), then jump if `x` is zero.
            AddBrI32Z { x: u16, y: u16, target: u32 },
            // A load or store of memory 0 whose address is an `i32.add` of a
            // constant folded in (see `Ins::fold_address`): the effective address
            // is `addr + off` wrapped to 32 bits, as the add computed it.
            I32LoadW { dst: u32, addr: u32, off: u32 },
            I64LoadW { dst: u32, addr: u32, off: u32 },
            F32LoadW { dst: u32, addr: u32, off: u32 },
            F64LoadW { dst: u32, addr: u32, off: u32 },
            I32Load8SW { dst: u32, addr: u32, off: u32 },
            I32Load8UW { dst: u32, addr: u32, off: u32 },
            I32Load16SW { dst: u32, addr: u32, off: u32 },
            I32Load16UW { dst: u32, addr: u32, off: u32 },
            I64Load8SW { dst: u32, addr: u32, off: u32 },
            I64Load8UW { dst: u32, addr: u32, off: u32 },
            I64Load16SW { dst: u32, addr: u32, off: u32 },
            I64Load16UW { dst: u32, addr: u32, off: u32 },
            I64Load32SW { dst: u32, addr: u32, off: u32 },
            I64Load32UW { dst: u32, addr: u32, off: u32 },
            I32StoreW { addr: u32, val: u32, off: u32 },
            I64StoreW { addr: u32, val: u32, off: u32 },
            F32StoreW { addr: u32, val: u32, off: u32 },
            F64StoreW { addr: u32, val: u32, off: u32 },
            I32Store8W { addr: u32, val: u32, off: u32 },
            I32Store16W { addr: u32, val: u32, off: u32 },
            I64Store8W { addr: u32, val: u32, off: u32 },
            I64Store16W { addr: u32, val: u32, off: u32 },
            I64Store32W { addr: u32, val: u32, off: u32 },
            $( $un { dst: u32, a: u32 }, )*
            $( $bn { dst: u32, a: u32, b: u32 }, )*
            $( $ln { dst: u32, addr: u32, off: u32 }, )*
            $( $tn { addr: u32, val: u32, off: u32 }, )*
        }

        impl Ins {
            /// The internal instruction of a numeric unary operator.
            pub fn unop(op: Opcode, dst: u32, a: u32) -> Option<Ins> {
                match op { $( Opcode::$un => Some(Ins::$un { dst, a }), )* _ => None }
            }
            /// The internal instruction of a numeric binary operator.
            pub fn binop(op: Opcode, dst: u32, a: u32, b: u32) -> Option<Ins> {
                match op { $( Opcode::$bn => Some(Ins::$bn { dst, a, b }), )* _ => None }
            }
            /// The internal instruction of a scalar load.
            pub fn load(op: Opcode, dst: u32, addr: u32, off: u32) -> Option<Ins> {
                match op { $( Opcode::$ln => Some(Ins::$ln { dst, addr, off }), )* _ => None }
            }
            /// The internal instruction of a scalar store.
            pub fn store(op: Opcode, addr: u32, val: u32, off: u32) -> Option<Ins> {
                match op { $( Opcode::$tn => Some(Ins::$tn { addr, val, off }), )* _ => None }
            }
            /// The result slot of a single-result instruction that reads all its
            /// operands before writing (so the result may be redirected to a local).
            pub fn dst_mut(&mut self) -> Option<&mut u32> {
                match self {
                    $( Ins::$un { dst, .. } => Some(dst), )*
                    $( Ins::$bn { dst, .. } => Some(dst), )*
                    $( Ins::$ln { dst, .. } => Some(dst), )*
                    Ins::I32LoadW { dst, .. } => Some(dst),
                    Ins::I64LoadW { dst, .. } => Some(dst),
                    Ins::F32LoadW { dst, .. } => Some(dst),
                    Ins::F64LoadW { dst, .. } => Some(dst),
                    Ins::I32Load8SW { dst, .. } => Some(dst),
                    Ins::I32Load8UW { dst, .. } => Some(dst),
                    Ins::I32Load16SW { dst, .. } => Some(dst),
                    Ins::I32Load16UW { dst, .. } => Some(dst),
                    Ins::I64Load8SW { dst, .. } => Some(dst),
                    Ins::I64Load8UW { dst, .. } => Some(dst),
                    Ins::I64Load16SW { dst, .. } => Some(dst),
                    Ins::I64Load16UW { dst, .. } => Some(dst),
                    Ins::I64Load32SW { dst, .. } => Some(dst),
                    Ins::I64Load32UW { dst, .. } => Some(dst),
                    Ins::GlobalGet { dst, .. } | Ins::GlobalGet2 { dst, .. } | Ins::TableGet { dst, .. }
                    | Ins::TableSize { dst, .. } | Ins::MemorySize { dst } | Ins::MemoryGrow { dst, .. }
                    | Ins::RefIsNull { dst, .. } | Ins::RefFunc { dst, .. } | Ins::VUn { dst, .. }
                    | Ins::RefTest { dst, .. } | Ins::RefEq { dst, .. } | Ins::RefI31 { dst, .. }
                    | Ins::RefGetDesc { dst, .. }
                    | Ins::I31Get { dst, .. } | Ins::ArrayLen { dst, .. }
                    | Ins::AnyConvertExtern { dst, .. } | Ins::ExternConvertAny { dst, .. }
                    | Ins::VBin { dst, .. } | Ins::VTest { dst, .. } | Ins::VShift { dst, .. }
                    | Ins::VSplat { dst, .. } | Ins::VExtract { dst, .. } | Ins::VReplace { dst, .. }
                    | Ins::VLoad { dst, .. } | Ins::Const32 { dst, .. } | Ins::Const64 { dst, .. } => Some(dst),
                    _ => None,
                }
            }
        }
    };
}

crate::for_each_instr!(define_ins);

macro_rules! define_is_fast_store {
    (
        special { $($special:tt)* }
        unop { $($unop:tt)* }
        binop { $($binop:tt)* }
        load { $($load:tt)* }
        store { $( $tn:ident $tp:literal $tc:literal $tt:literal $ta:ident $tw:literal $tf:ident; )* }
        simd { $($simd:tt)* }
        atomic { $($atomic:tt)* }
    ) => {
        /// Whether `ins` is a scalar store of the fast path (memory 0).
        pub fn is_fast_store(ins: &Ins) -> bool {
            matches!(ins, $( Ins::$tn { .. } )|*)
        }
    };
}

crate::for_each_instr!(define_is_fast_store);

/// Each i32 and i64 comparison with the fused jumps taken when it holds and when it
/// does not (its negation).
macro_rules! fused_comparisons {
    ($m:ident) => {
        $m! {
            I32Eq => BrI32Eq, BrI32Ne;
            I32Ne => BrI32Ne, BrI32Eq;
            I32LtS => BrI32LtS, BrI32GeS;
            I32LtU => BrI32LtU, BrI32GeU;
            I32GtS => BrI32GtS, BrI32LeS;
            I32GtU => BrI32GtU, BrI32LeU;
            I32LeS => BrI32LeS, BrI32GtS;
            I32LeU => BrI32LeU, BrI32GtU;
            I32GeS => BrI32GeS, BrI32LtS;
            I32GeU => BrI32GeU, BrI32LtU;
            I64Eq => BrI64Eq, BrI64Ne;
            I64Ne => BrI64Ne, BrI64Eq;
            I64LtS => BrI64LtS, BrI64GeS;
            I64LtU => BrI64LtU, BrI64GeU;
            I64GtS => BrI64GtS, BrI64LeS;
            I64GtU => BrI64GtU, BrI64LeU;
            I64LeS => BrI64LeS, BrI64GtS;
            I64LeU => BrI64LeU, BrI64GtU;
            I64GeS => BrI64GeS, BrI64LtS;
            I64GeU => BrI64GeU, BrI64LtU;
        }
    };
}

macro_rules! define_fusion {
    ($( $cmp:ident => $yes:ident, $no:ident; )*) => {
        impl Ins {
            /// The jump to `target` taken when the i32 result of this
            /// instruction is non-zero (`when`) or zero (`!when`), with the
            /// comparison done by the jump itself: an integer comparison or
            /// `i32.eqz`. `None` for any other instruction.
            pub fn fuse_branch(&self, when: bool, target: u32) -> Option<Ins> {
                Some(match *self {
                    $( Ins::$cmp { a, b, .. } if when => Ins::$yes { a, b, target },
                       Ins::$cmp { a, b, .. } => Ins::$no { a, b, target }, )*
                    Ins::I32Eqz { a, .. } if when => Ins::BrIfZ { cond: a, target },
                    Ins::I32Eqz { a, .. } => Ins::BrIfNz { cond: a, target },
                    _ => return None,
                })
            }

            /// The jump target of a (conditional) jump.
            pub fn target_mut(&mut self) -> Option<&mut u32> {
                match self {
                    Ins::Br { target }
                    | Ins::BrIfNz { target, .. }
                    | Ins::BrIfZ { target, .. }
                    | Ins::BrIfNull { target, .. }
                    | Ins::BrIfNonNull { target, .. }
                    | Ins::BrIfCast { target, .. }
                    | Ins::BrIfNotCast { target, .. }
                    | Ins::BrIfCastDesc { target, .. }
                    | Ins::BrIfNotCastDesc { target, .. } => Some(target),
                    $( Ins::$yes { target, .. } => Some(target), )*
                    _ => self.add_branch_target_mut(),
                }
            }
        }
    };
}

fused_comparisons!(define_fusion);

/// Each fused comparison-and-branch with its form after an add (the add,
/// the jump, the fused form, the width, the relation, whether signed).
macro_rules! add_branches {
    ($m:ident) => {
        $m! {
            I32Add BrI32Eq => AddBrI32Eq, 32, ==, false;
            I32Add BrI32Ne => AddBrI32Ne, 32, !=, false;
            I32Add BrI32LtS => AddBrI32LtS, 32, <, true;
            I32Add BrI32LtU => AddBrI32LtU, 32, <, false;
            I32Add BrI32GtS => AddBrI32GtS, 32, >, true;
            I32Add BrI32GtU => AddBrI32GtU, 32, >, false;
            I32Add BrI32LeS => AddBrI32LeS, 32, <=, true;
            I32Add BrI32LeU => AddBrI32LeU, 32, <=, false;
            I32Add BrI32GeS => AddBrI32GeS, 32, >=, true;
            I32Add BrI32GeU => AddBrI32GeU, 32, >=, false;
            I64Add BrI64Eq => AddBrI64Eq, 64, ==, false;
            I64Add BrI64Ne => AddBrI64Ne, 64, !=, false;
            I64Add BrI64LtS => AddBrI64LtS, 64, <, true;
            I64Add BrI64LtU => AddBrI64LtU, 64, <, false;
            I64Add BrI64GtS => AddBrI64GtS, 64, >, true;
            I64Add BrI64GtU => AddBrI64GtU, 64, >, false;
            I64Add BrI64LeS => AddBrI64LeS, 64, <=, true;
            I64Add BrI64LeU => AddBrI64LeU, 64, <=, false;
            I64Add BrI64GeS => AddBrI64GeS, 64, >=, true;
            I64Add BrI64GeU => AddBrI64GeU, 64, >=, false;
        }
    };
}

macro_rules! define_add_branches {
    ($( $add:ident $jump:ident => $fused:ident, $w:tt, $op:tt, $signed:tt; )*) => {
        impl Ins {
            /// The conditional jump `next` made to test the result of this
            /// instruction, an `i32.add`/`i64.add` into its own first (or
            /// second) operand, as one instruction doing both (slot numbers
            /// below 2^16 only). `None` for any other pair.
            pub fn fuse_add_branch(&self, next: &Ins) -> Option<Ins> {
                let (x, y) = match *self {
                    Ins::I32Add { dst, a, b } | Ins::I64Add { dst, a, b } if dst == a => (dst, b),
                    Ins::I32Add { dst, a, b } | Ins::I64Add { dst, a, b } if dst == b => (dst, a),
                    _ => return None,
                };
                let (Ok(x16), Ok(y)) = (u16::try_from(x), u16::try_from(y)) else {
                    return None;
                };
                let i32_add = matches!(self, Ins::I32Add { .. });
                Some(match *next {
                    $( Ins::$jump { a, b, target } if a == x && matches!(self, Ins::$add { .. }) => {
                        Ins::$fused { x: x16, y, b, target }
                    } )*
                    Ins::BrIfNz { cond, target } if cond == x && i32_add => {
                        Ins::AddBrI32Nz { x: x16, y, target }
                    }
                    Ins::BrIfZ { cond, target } if cond == x && i32_add => {
                        Ins::AddBrI32Z { x: x16, y, target }
                    }
                    _ => return None,
                })
            }

            /// The jump target of an instruction made by `fuse_add_branch`.
            fn add_branch_target_mut(&mut self) -> Option<&mut u32> {
                match self {
                    $( Ins::$fused { target, .. } => Some(target), )*
                    Ins::AddBrI32Nz { target, .. } | Ins::AddBrI32Z { target, .. } => Some(target),
                    _ => None,
                }
            }

            /// For an instruction made by `fuse_add_branch`: its first
            /// operand slot `x`, the sum it writes there (computed from
            /// `read`, the slots before it runs) and whether it jumps.
            pub fn add_branch_outcome(&self, read: impl Fn(u32) -> u64) -> Option<(u32, u64, bool)> {
                macro_rules! sum {
                    ($x:expr, $y:expr, 32) => {
                        u64::from((read(u32::from($x)) as u32).wrapping_add(read(u32::from($y)) as u32))
                    };
                    ($x:expr, $y:expr, 64) => {
                        read(u32::from($x)).wrapping_add(read(u32::from($y)))
                    };
                }
                macro_rules! rel {
                    ($v:expr, $q:expr, 32, true, $o:tt) => { ($v as u32 as i32) $o ($q as u32 as i32) };
                    ($v:expr, $q:expr, 32, false, $o:tt) => { ($v as u32) $o ($q as u32) };
                    ($v:expr, $q:expr, 64, true, $o:tt) => { ($v as i64) $o ($q as i64) };
                    ($v:expr, $q:expr, 64, false, $o:tt) => { $v $o $q };
                }
                Some(match *self {
                    $( Ins::$fused { x, y, b, .. } => {
                        let v = sum!(x, y, $w);
                        let w = if b == u32::from(x) { v } else { read(b) };
                        (u32::from(x), v, rel!(v, w, $w, $signed, $op))
                    } )*
                    Ins::AddBrI32Nz { x, y, .. } => {
                        let v = sum!(x, y, 32);
                        (u32::from(x), v, v != 0)
                    }
                    Ins::AddBrI32Z { x, y, .. } => {
                        let v = sum!(x, y, 32);
                        (u32::from(x), v, v == 0)
                    }
                    _ => return None,
                })
            }
        }
    };
}

add_branches!(define_add_branches);

/// Each fast-path load and store with its form whose address is wrapped.
macro_rules! wrapped_accesses {
    ($m:ident) => {
        $m! {
            loads {
            I32Load => I32LoadW;
            I64Load => I64LoadW;
            F32Load => F32LoadW;
            F64Load => F64LoadW;
            I32Load8S => I32Load8SW;
            I32Load8U => I32Load8UW;
            I32Load16S => I32Load16SW;
            I32Load16U => I32Load16UW;
            I64Load8S => I64Load8SW;
            I64Load8U => I64Load8UW;
            I64Load16S => I64Load16SW;
            I64Load16U => I64Load16UW;
            I64Load32S => I64Load32SW;
            I64Load32U => I64Load32UW;
            }
            stores {
            I32Store => I32StoreW;
            I64Store => I64StoreW;
            F32Store => F32StoreW;
            F64Store => F64StoreW;
            I32Store8 => I32Store8W;
            I32Store16 => I32Store16W;
            I64Store8 => I64Store8W;
            I64Store16 => I64Store16W;
            I64Store32 => I64Store32W;
            }
        }
    };
}

macro_rules! define_wrapped {
    (loads { $( $l:ident => $lw:ident; )* } stores { $( $t:ident => $tw:ident; )* }) => {
        impl Ins {
            /// exec: t.load / t.store of an address `i32.add x c` — this
            /// load or store (of memory 0, static offset 0) reading its
            /// address as `x + c` wrapped to 32 bits, the add done by the
            /// access itself. `None` if it is not such an access.
            pub fn fold_address(&self, x: u32, c: u32) -> Option<Ins> {
                Some(match *self {
                    $( Ins::$l { dst, off: 0, .. } => Ins::$lw { dst, addr: x, off: c }, )*
                    $( Ins::$t { val, off: 0, .. } => Ins::$tw { addr: x, val, off: c }, )*
                    _ => return None,
                })
            }

            /// The address slot and constant of an access made by
            /// [`Ins::fold_address`].
            pub fn wrapped_address(&self) -> Option<(u32, u32)> {
                match *self {
                    $( Ins::$lw { addr, off, .. } => Some((addr, off)), )*
                    $( Ins::$tw { addr, off, .. } => Some((addr, off)), )*
                    _ => None,
                }
            }
        }
    };
}

wrapped_accesses!(define_wrapped);

/// Memory and table instructions off the fast path: a memory other than
/// memory 0, a 64-bit or shared memory, a 64-bit table, a static offset of
/// 2^32 or more, and the atomic instructions.
/// Address operands are read as i64 when the memory (table) is 64-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Ext {
    /// A scalar or vector load (`lane` for load-lane, whose vector operand is at dst+1).
    Load {
        op: Opcode,
        mem: u32,
        dst: u32,
        addr: u32,
        off: u64,
        lane: u8,
    },
    /// A scalar or vector store (`lane` for store-lane).
    Store {
        op: Opcode,
        mem: u32,
        addr: u32,
        val: u32,
        off: u64,
        lane: u8,
    },
    MemorySize {
        mem: u32,
        dst: u32,
    },
    MemoryGrow {
        mem: u32,
        dst: u32,
        delta: u32,
    },
    /// Operands (d, val, n) at base.
    MemoryFill {
        mem: u32,
        base: u32,
    },
    /// Operands (d, s, n) at base.
    MemoryCopy {
        dst_mem: u32,
        src_mem: u32,
        base: u32,
    },
    /// Operands (d, s, n) at base.
    MemoryInit {
        mem: u32,
        data: u32,
        base: u32,
    },
    TableGet {
        table: u32,
        dst: u32,
        idx: u32,
    },
    TableSet {
        table: u32,
        idx: u32,
        val: u32,
    },
    TableSize {
        table: u32,
        dst: u32,
    },
    /// Operands (init, delta) at base; result at base.
    TableGrow {
        table: u32,
        base: u32,
    },
    /// Operands (i, val, n) at base.
    TableFill {
        table: u32,
        base: u32,
    },
    /// Operands (d, s, n) at base.
    TableCopy {
        dst_table: u32,
        src_table: u32,
        base: u32,
    },
    /// Operands (d, s, n) at base.
    TableInit {
        table: u32,
        elem: u32,
        base: u32,
    },
    /// An atomic instruction (threads), on any memory: operands (address,
    /// values) at base, the result, if any, at base.
    Atomic {
        op: Opcode,
        mem: u32,
        base: u32,
        off: u64,
    },
    /// call_indirect / return_call_indirect through a 64-bit table.
    CallIndirect {
        ty: u32,
        table: u32,
        base: u32,
        tail: bool,
    },
}

/// Slots of the window through which the interpreter's hot loop sees a
/// frame (exec/fast.rs): functions with bigger frames run in the full loop.
pub const WINDOW: usize = 1 << 12;

/// A translated function body.
#[derive(Clone, Debug, Default)]
pub struct CompiledFunc {
    /// The function's type.
    pub ty: FuncType,
    /// Internal code.
    pub code: Vec<Ins>,
    /// The wasm instruction each of `code` came from (exec/coverage.rs).
    pub origins: Vec<u32>,
    /// `br_table` targets.
    pub br_table: Vec<u32>,
    /// Constant slot values, copied to `local_slots..` on entry.
    pub consts: Vec<u64>,
    /// What a call writes after the parameters: zeros for the other
    /// locals, then `consts`. Empty when the frame is bigger than
    /// [`WINDOW`] (the hot loop does not run it).
    pub entry: Vec<u64>,
    /// v128 constants for `ConstV`.
    pub v128s: Vec<u128>,
    /// Shuffle lane immediates.
    pub shuffles: Vec<[u8; 16]>,
    /// Instructions off the fast path, for `Ins::Ext`.
    pub ext: Vec<Ext>,
    /// Exception handlers, innermost first.
    pub handlers: Vec<Handler>,
    /// Reference types of casts and tests (module type indices).
    pub ref_types: Vec<RefType>,
    /// Slots taken by parameters.
    pub param_slots: u32,
    /// Slots taken by parameters and locals.
    pub local_slots: u32,
    /// Total frame size in slots.
    pub frame_size: u32,
    /// Slots taken by results.
    pub result_slots: u32,
    /// The frame cannot be represented (e.g. billions of locals): calling it
    /// exhausts the stack.
    pub too_big: bool,
    /// Not translated yet: a stand-in whose `frame_size` no stack fits, so
    /// the hot loop leaves calls to it to the full loop, which translates
    /// the function first (exec/translate.rs, [`super::translate::LazyCode`]).
    pub pending: bool,
}

/// Shared handle to a compiled function.
pub type CodeRef = Arc<CompiledFunc>;
