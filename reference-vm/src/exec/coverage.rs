//! Executed coverage (spec: none; a measurement of the interpreter): which
//! wasm instructions ran, completed or trapped, the length classes reached by
//! instructions with a length or count operand, loads and stores completed
//! near the end of memory, and branches taken and not taken.
//!
//! The translator (exec/translate.rs) records, for each internal instruction, the
//! wasm instruction it came from ([`CompiledFunc::origins`]): a fused
//! compare-and-branch names both the comparison and the branch, and internal
//! copies made for the operand stack name none. The interpreter loop counts
//! only when a store has coverage switched on ([`Store::set_coverage`]); the
//! loop is compiled twice (`Store::run_impl::<true>` / `::<false>`), so
//! a store without coverage runs the same code as before.

use super::code::{CompiledFunc, Ext, Ins};
use super::{Store, Trap};
use crate::syntax::{Class, Opcode, SimdClass};
use std::collections::BTreeMap;

/// The length classes of [`Coverage::lengths`], in order.
pub const LENGTH_CLASSES: [&str; 5] = ["0", "1-16", "17-256", "257-65536", ">65536"];

/// Bytes from the end of memory within which a completed access counts as
/// near the end.
pub const NEAR_END_BYTES: u64 = 16;

/// `origin` bits: the wasm opcode index + 1 (0: counted for none). Ten
/// bits keep the execution counters at 8 KiB, well inside the L1 cache.
const OP_MASK: u32 = 0x3ff;
/// `origin` bits: the fused comparison's opcode index + 1 (0: none).
const FUSED_SHIFT: u32 = 10;
/// `origin` bit: the internal jump is taken when the wasm branch is not
/// (an `if` jumps to its `else`; a `br_if` with copies skips them).
const INVERTED: u32 = 1 << 20;
/// `origin` bit: the instruction has details to count (branch, length,
/// memory access), looked at by [`detail`].
const DETAIL: u32 = 1 << 21;
/// `origin` bits: a third wasm instruction done by the same internal
/// instruction (an add fused with a compare-and-branch), index + 1.
const FUSED2_SHIFT: u32 = 22;
// Every opcode index + 1 fits the field.
const _: () = assert!(Opcode::ALL.len() < OP_MASK as usize);
/// `origin` bits: both fused-instruction fields.
const FUSED_ANY: u32 = (OP_MASK << FUSED_SHIFT) | (OP_MASK << FUSED2_SHIFT);
/// Counters indexed by an origin's 12-bit opcode fields (0: none).
const SLOTS: usize = OP_MASK as usize + 1;

/// The origin of an internal instruction: wasm instruction `op`, with the
/// comparison fused into it, and whether its internal jump means "not taken".
pub(crate) fn origin(op: Opcode, fused: Option<Opcode>, inverted: bool) -> u32 {
    let idx = |o: Opcode| (o as u32 + 1) & OP_MASK;
    let detail = LENGTH_OPS.contains(&op)
        || BRANCH_OPS.contains(&op)
        || matches!(
            op.class(),
            Class::Load(..)
                | Class::Store(..)
                | Class::Simd(
                    SimdClass::Load(_)
                        | SimdClass::Store
                        | SimdClass::LoadLane(_)
                        | SimdClass::StoreLane(_)
                )
        );
    idx(op)
        | fused.map_or(0, |f| idx(f) << FUSED_SHIFT)
        | if inverted { INVERTED } else { 0 }
        | if detail { DETAIL } else { 0 }
}

/// The origin of one internal instruction doing the work of two in a row
/// with origins `first` and `second` (exec/translate.rs: `shorten_returns`):
/// the second's wasm instruction becomes the fused one. `None` when both
/// name more than that holds.
pub(crate) fn merge_origins(first: u32, second: u32) -> Option<u32> {
    let fused = (OP_MASK << FUSED_SHIFT) | (OP_MASK << FUSED2_SHIFT) | INVERTED | DETAIL;
    match (first, second) {
        (0, o) | (o, 0) => Some(o),
        (a, b) if a & (OP_MASK << FUSED_SHIFT) == 0 && b & fused == 0 => {
            Some(a | (b & OP_MASK) << FUSED_SHIFT)
        }
        _ => None,
    }
}

/// The origin of an add (`first`) fused into the conditional jump after it
/// (`second`, itself possibly a fused comparison; exec/translate.rs:
/// `fuse_add_branches`): the add becomes the third wasm instruction.
pub(crate) fn merge_add_origin(first: u32, second: u32) -> Option<u32> {
    let extra = (OP_MASK << FUSED_SHIFT) | INVERTED | DETAIL;
    match (first, second) {
        (0, o) => Some(o),
        (a, b) if a & extra == 0 && b & (OP_MASK << FUSED2_SHIFT) == 0 => {
            Some(b | (a & OP_MASK) << FUSED2_SHIFT)
        }
        _ => None,
    }
}

/// The wasm instruction an origin names, if any.
pub(crate) fn origin_op(o: u32) -> Option<Opcode> {
    let i = (o & OP_MASK) as usize;
    i.checked_sub(1).and_then(|i| Opcode::ALL.get(i).copied())
}

/// The opcodes that take a length or count operand, with the length classes
/// reported for each.
pub const LENGTH_OPS: &[Opcode] = &[
    Opcode::MemoryFill,
    Opcode::MemoryCopy,
    Opcode::MemoryInit,
    Opcode::MemoryGrow,
    Opcode::TableFill,
    Opcode::TableCopy,
    Opcode::TableInit,
    Opcode::TableGrow,
    Opcode::ArrayNew,
    Opcode::ArrayNewDefault,
    Opcode::ArrayNewData,
    Opcode::ArrayNewElem,
    Opcode::ArrayFill,
    Opcode::ArrayCopy,
    Opcode::ArrayInitData,
    Opcode::ArrayInitElem,
];

/// The opcodes with branches counted taken / not taken.
pub const BRANCH_OPS: &[Opcode] = &[
    Opcode::BrIf,
    Opcode::If,
    Opcode::BrTable,
    Opcode::BrOnNull,
    Opcode::BrOnNonNull,
    Opcode::BrOnCast,
    Opcode::BrOnCastFail,
];

/// The class of a length: index into [`LENGTH_CLASSES`].
pub fn length_class(n: u64) -> usize {
    match n {
        0 => 0,
        1..=16 => 1,
        17..=256 => 2,
        257..=65536 => 3,
        _ => 4,
    }
}

/// A short, stable name of a trap's kind (its index or payload left out).
pub fn trap_kind(t: &Trap) -> &'static str {
    use Trap as T;
    match t {
        T::Unreachable => "unreachable",
        T::MemoryOutOfBounds => "out of bounds memory access",
        T::TableOutOfBounds => "out of bounds table access",
        T::UndefinedElement(_) => "undefined element",
        T::UninitializedElement(_) => "uninitialized element",
        T::IndirectCallTypeMismatch => "indirect call type mismatch",
        T::IntegerDivideByZero => "integer divide by zero",
        T::IntegerOverflow => "integer overflow",
        T::InvalidConversionToInteger => "invalid conversion to integer",
        T::NullReference
        | T::NullFuncRef
        | T::NullStructRef
        | T::NullArrayRef
        | T::NullI31Ref
        | T::NullExnRef
        | T::NullDescriptorRef => "null reference",
        T::CallStackExhausted => "call stack exhausted",
        T::OutOfFuel => "out of fuel",
        T::Interrupted => "interrupted",
        T::CastFailure | T::DescriptorCastFailure => "cast failure",
        T::ArrayOutOfBounds => "out of bounds array access",
        T::OutOfMemory => "out of memory",
        T::Exception(_) => "uncaught exception",
        T::UnalignedAtomic => "unaligned atomic",
        T::ExpectedSharedMemory => "expected shared memory",
        T::BadArguments(_) | T::Host(_) | T::Exit(_) => "host",
    }
}

/// Counters of one run or of many (see [`Coverage::merge`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Executions begun, by opcode index + 1 (slot 0: none).
    executed: Box<[u64; SLOTS]>,
    /// Traps, by opcode index and trap kind.
    trapped: BTreeMap<(usize, &'static str), u64>,
    /// Completed executions by length class, by opcode index.
    lengths: Vec<[u64; 5]>,
    /// Completed accesses within [`NEAR_END_BYTES`] of the end, by opcode index.
    near_end: Vec<u64>,
    /// Completed branches: [taken, not taken], by opcode index.
    branches: Vec<[u64; 2]>,
}

impl Default for Coverage {
    fn default() -> Self {
        let n = Opcode::ALL.len();
        Coverage {
            executed: Box::new([0; SLOTS]),
            trapped: BTreeMap::new(),
            lengths: vec![[0; 5]; n],
            near_end: vec![0; n],
            branches: vec![[0; 2]; n],
        }
    }
}

/// One instruction's counters, as [`Coverage::instructions`] lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstrCount {
    /// Text-format name.
    pub name: &'static str,
    /// Executions begun.
    pub executed: u64,
    /// Executions that completed (did not trap).
    pub completed: u64,
    /// Traps by kind ([`trap_kind`]).
    pub trapped: Vec<(&'static str, u64)>,
}

impl Coverage {
    /// Adds another run's counters to these.
    pub fn merge(&mut self, other: &Coverage) {
        for (a, b) in self.executed.iter_mut().zip(other.executed.iter()) {
            *a += b;
        }
        for (k, v) in &other.trapped {
            *self.trapped.entry(*k).or_default() += v;
        }
        for (a, b) in self.lengths.iter_mut().zip(&other.lengths) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.near_end.iter_mut().zip(&other.near_end) {
            *a += b;
        }
        for (a, b) in self.branches.iter_mut().zip(&other.branches) {
            a[0] += b[0];
            a[1] += b[1];
        }
    }

    /// Every instruction executed at least once, in opcode table order.
    pub fn instructions(&self) -> Vec<InstrCount> {
        let mut out = Vec::new();
        for (i, &executed) in self
            .executed
            .iter()
            .skip(1)
            .take(Opcode::ALL.len())
            .enumerate()
        {
            if executed == 0 {
                continue;
            }
            let trapped: Vec<(&'static str, u64)> = self
                .trapped
                .range((i, "")..(i + 1, ""))
                .map(|(&(_, k), &v)| (k, v))
                .collect();
            let t: u64 = trapped.iter().map(|(_, v)| v).sum();
            out.push(InstrCount {
                name: Opcode::ALL[i].name(),
                executed,
                completed: executed.saturating_sub(t),
                trapped,
            });
        }
        out
    }

    /// Executions of `op` that completed.
    pub fn completed(&self, op: Opcode) -> u64 {
        let i = op as usize;
        let t: u64 = self
            .trapped
            .range((i, "")..(i + 1, ""))
            .map(|(_, v)| v)
            .sum();
        self.executed[i + 1].saturating_sub(t)
    }

    /// Completed executions of `op` by length class ([`LENGTH_CLASSES`]).
    pub fn lengths(&self, op: Opcode) -> [u64; 5] {
        self.lengths[op as usize]
    }

    /// Completed accesses of `op` within [`NEAR_END_BYTES`] of the end of memory.
    pub fn near_end(&self, op: Opcode) -> u64 {
        self.near_end[op as usize]
    }

    /// Completed branches of `op`: (taken, not taken). For `if`, taken is
    /// the `then` arm; for `br_table`, a listed label (not the default).
    pub fn branches(&self, op: Opcode) -> (u64, u64) {
        let b = self.branches[op as usize];
        (b[0], b[1])
    }

    /// Every load or store with at least one completed access near the end.
    pub fn near_end_ops(&self) -> Vec<(&'static str, u64)> {
        (0..self.near_end.len())
            .filter(|&i| self.near_end[i] > 0)
            .map(|i| (Opcode::ALL[i].name(), self.near_end[i]))
            .collect()
    }

    /// Counts an execution of the instruction (and fused instructions) of
    /// origin `o` (slot 0 counts "none"): one increment, two more only for
    /// a fused instruction (most are not: three increments on every
    /// instruction cost more than the test). Returns whether it has
    /// details to count ([`detail`]).
    #[inline(always)]
    pub(crate) fn exec(&mut self, o: u32) -> bool {
        self.executed[(o & OP_MASK) as usize] += 1;
        if o & FUSED_ANY != 0 {
            self.executed[((o >> FUSED_SHIFT) & OP_MASK) as usize] += 1;
            self.executed[((o >> FUSED2_SHIFT) & OP_MASK) as usize] += 1;
        }
        o & DETAIL != 0
    }

    /// Records a trap of the instruction whose origin is `o`.
    pub(crate) fn trap(&mut self, o: u32, t: &Trap) {
        if let Some(op) = origin_op(o) {
            // A fused comparison completed; only its branch can trap (fuel).
            *self.trapped.entry((op as usize, trap_kind(t))).or_default() += 1;
        }
    }

    /// Counts a completed instruction's details (see [`Pending`]).
    #[inline(always)]
    pub(crate) fn settle(&mut self, p: Pending) {
        // The variant alone (a derived `!=` compares the payloads too).
        if !matches!(p, Pending::None) {
            self.settle_detail(p);
        }
    }

    #[inline(never)]
    fn settle_detail(&mut self, p: Pending) {
        match p {
            Pending::None => {}
            Pending::Length(op, n) => self.lengths[op as usize][length_class(n)] += 1,
            Pending::NearEnd(op) => self.near_end[op as usize] += 1,
            Pending::Branch(op, taken) => self.branches[op as usize][usize::from(!taken)] += 1,
        }
    }
}

/// What to count once the instruction being executed completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    None,
    /// A length class of this opcode.
    Length(Opcode, u64),
    /// An access near the end of memory.
    NearEnd(Opcode),
    /// A branch, taken or not.
    Branch(Opcode, bool),
}

/// What the interpreter can see of the state when an instruction starts.
pub(crate) struct View<'a> {
    /// The frame's slots.
    pub regs: &'a [u64],
    /// The size in bytes of the instance's memory 0 (0 without one).
    pub mem_len: u64,
    /// Whether memory 0 is 64-bit.
    pub mem64: bool,
}

/// The details of instruction `pc` of `cf` (origin `o`, for which
/// [`Coverage::exec`] said there are some): what to count when it completes.
#[inline(never)]
pub(crate) fn detail(o: u32, cf: &CompiledFunc, pc: usize, v: &View<'_>) -> Pending {
    let Some(op) = origin_op(o) else {
        return Pending::None;
    };
    let Some(ins) = cf.code.get(pc) else {
        return Pending::None;
    };
    let r32 = |s: u32| u64::from(v.regs.get(s as usize).copied().unwrap_or(0) as u32);
    let r64 = |s: u32| v.regs.get(s as usize).copied().unwrap_or(0);
    let rd = |s: u32, wide: bool| if wide { r64(s) } else { r32(s) };
    // exec: the jump condition of each (fused) conditional branch.
    let jump = |c: bool| Pending::Branch(op, c != (o & INVERTED != 0));
    let near = |addr: u32, off: u64, width: u64| {
        let ea = rd(addr, v.mem64).checked_add(off);
        match ea.and_then(|e| e.checked_add(width)) {
            Some(end) if end <= v.mem_len && end + NEAR_END_BYTES > v.mem_len => {
                Pending::NearEnd(op)
            }
            _ => Pending::None,
        }
    };
    use Ins as I;
    let (i32s, i64s) = (|s| r32(s) as u32 as i32, |s| r64(s) as i64);
    match *ins {
        I::BrIfNz { cond, .. } => jump(r32(cond) != 0),
        I::BrIfZ { cond, .. } => jump(r32(cond) == 0),
        _ if let Some((_, _, j)) = ins.add_branch_outcome(r64) => jump(j),
        I::BrI32Eq { a, b, .. } => jump(r32(a) == r32(b)),
        I::BrI32Ne { a, b, .. } => jump(r32(a) != r32(b)),
        I::BrI32LtS { a, b, .. } => jump(i32s(a) < i32s(b)),
        I::BrI32LtU { a, b, .. } => jump(r32(a) < r32(b)),
        I::BrI32GtS { a, b, .. } => jump(i32s(a) > i32s(b)),
        I::BrI32GtU { a, b, .. } => jump(r32(a) > r32(b)),
        I::BrI32LeS { a, b, .. } => jump(i32s(a) <= i32s(b)),
        I::BrI32LeU { a, b, .. } => jump(r32(a) <= r32(b)),
        I::BrI32GeS { a, b, .. } => jump(i32s(a) >= i32s(b)),
        I::BrI32GeU { a, b, .. } => jump(r32(a) >= r32(b)),
        I::BrI64Eq { a, b, .. } => jump(r64(a) == r64(b)),
        I::BrI64Ne { a, b, .. } => jump(r64(a) != r64(b)),
        I::BrI64LtS { a, b, .. } => jump(i64s(a) < i64s(b)),
        I::BrI64LtU { a, b, .. } => jump(r64(a) < r64(b)),
        I::BrI64GtS { a, b, .. } => jump(i64s(a) > i64s(b)),
        I::BrI64GtU { a, b, .. } => jump(r64(a) > r64(b)),
        I::BrI64LeS { a, b, .. } => jump(i64s(a) <= i64s(b)),
        I::BrI64LeU { a, b, .. } => jump(r64(a) <= r64(b)),
        I::BrI64GeS { a, b, .. } => jump(i64s(a) >= i64s(b)),
        I::BrI64GeU { a, b, .. } => jump(r64(a) >= r64(b)),
        I::BrIfNull { cond, .. } => jump(r64(cond) == 0),
        I::BrIfNonNull { cond, .. } => jump(r64(cond) != 0),
        I::BrTable { idx, len, .. } => Pending::Branch(op, r32(idx) < u64::from(len)),
        // Lengths and counts: the operand layouts of code.rs.
        I::MemoryFill { base } | I::MemoryCopy { base } | I::MemoryInit { base, .. } => {
            Pending::Length(op, r32(base + 2))
        }
        I::TableFill { base, .. } | I::TableCopy { base, .. } | I::TableInit { base, .. } => {
            Pending::Length(op, r32(base + 2))
        }
        I::MemoryGrow { delta, .. } => Pending::Length(op, r32(delta)),
        I::TableGrow { base, .. } => Pending::Length(op, r32(base + 1)),
        I::ArrayNewData { base, .. } | I::ArrayNewElem { base, .. } => {
            Pending::Length(op, r32(base + 1))
        }
        I::ArrayCopy { base } => Pending::Length(op, r32(base + 4)),
        I::ArrayInitData { base, .. } | I::ArrayInitElem { base, .. } => {
            Pending::Length(op, r32(base + 3))
        }
        I::Ext { idx } => match cf.ext.get(idx as usize) {
            // Memory 0 is the memory whose width is known here; others are
            // read as their low 32 bits.
            Some(Ext::Load {
                mem,
                addr,
                off,
                op: lop,
                ..
            }) => {
                let w = access_width(*lop);
                if *mem == 0 {
                    near(*addr, *off, w)
                } else {
                    Pending::None
                }
            }
            Some(Ext::Store {
                mem,
                addr,
                off,
                op: sop,
                ..
            }) => {
                let w = access_width(*sop);
                if *mem == 0 {
                    near(*addr, *off, w)
                } else {
                    Pending::None
                }
            }
            Some(Ext::MemoryFill { mem, base }) | Some(Ext::MemoryInit { mem, base, .. }) => {
                Pending::Length(op, rd(base + 2, *mem == 0 && v.mem64))
            }
            Some(Ext::MemoryCopy {
                dst_mem,
                src_mem,
                base,
            }) => {
                let wide = *dst_mem == 0 && *src_mem == 0 && v.mem64;
                Pending::Length(op, rd(base + 2, wide))
            }
            Some(Ext::MemoryGrow { mem, delta, .. }) => {
                Pending::Length(op, rd(*delta, *mem == 0 && v.mem64))
            }
            _ => Pending::None,
        },
        I::ArrayNew { default, base, .. } if default != 0 => Pending::Length(op, r32(base)),
        _ => match (load_store_slots(ins), ins.wrapped_address()) {
            (Some((addr, off)), _) => near(addr, u64::from(off), access_width(op)),
            // An access with an `i32.add` folded in: its address wraps at
            // 32 bits (code.rs: `Ins::fold_address`).
            (None, Some((addr, c))) => {
                let ea = u64::from((r32(addr) as u32).wrapping_add(c));
                let end = ea + access_width(op);
                if end <= v.mem_len && end + NEAR_END_BYTES > v.mem_len {
                    Pending::NearEnd(op)
                } else {
                    Pending::None
                }
            }
            (None, None) => Pending::None,
        },
    }
}

/// Bytes accessed by a scalar or vector load or store.
fn access_width(op: Opcode) -> u64 {
    use crate::syntax::{Class, SimdClass};
    match op.class() {
        Class::Load(_, w) | Class::Store(_, w) => u64::from(w),
        Class::Simd(SimdClass::Load(n)) => u64::from(n),
        Class::Simd(SimdClass::LoadLane(n)) | Class::Simd(SimdClass::StoreLane(n)) => u64::from(n),
        _ => 16,
    }
}

macro_rules! load_store_slots {
    (
        special { $($special:tt)* }
        unop { $($unop:tt)* }
        binop { $($binop:tt)* }
        load { $( $ln:ident $lp:literal $lc:literal $lt:literal $la:ident $lw:literal $lf:ident; )* }
        store { $( $tn:ident $tp:literal $tc:literal $tt:literal $ta:ident $tw:literal $tf:ident; )* }
        simd { $($simd:tt)* }
        atomic { $($atomic:tt)* }
    ) => {
        /// The address slot and static offset of a fast-path load or store.
        fn load_store_slots(ins: &Ins) -> Option<(u32, u32)> {
            match *ins {
                $( Ins::$ln { addr, off, .. } => Some((addr, off)), )*
                $( Ins::$tn { addr, off, .. } => Some((addr, off)), )*
                Ins::VLoad { addr, off, .. } | Ins::VStore { addr, off, .. } => Some((addr, off)),
                Ins::VLoadLane { addr, off, .. } | Ins::VStoreLane { addr, off, .. } => {
                    Some((addr, off))
                }
                _ => None,
            }
        }
    };
}

crate::for_each_instr!(load_store_slots);

impl Store {
    /// Switches executed-coverage counting on, adding to `counters`, or off
    /// (`None`).
    pub fn set_coverage(&mut self, counters: Option<Box<Coverage>>) {
        self.coverage = counters;
    }

    /// The counters (None when off); counting is off afterwards.
    pub fn take_coverage(&mut self) -> Option<Box<Coverage>> {
        self.coverage.take()
    }
}
