//! The interpreter's hot set (spec: Execution › Instructions › Numeric,
//! Memory, Variable, Control): numeric instructions, loads and stores on
//! memory 0, branches, copies, constants, `global.get`/`global.set`, and calls
//! and returns between functions of one instance, run by a loop of its own.
//!
//! [`run`] is a small function so that the state it touches on every
//! instruction (program counter, code, frame slots, memory) stays in
//! registers: the full loop in `interp.rs`, with host calls, tables,
//! references, exceptions and vectors, has too many live values and spilled
//! them at every dispatch. An instruction outside the set (or a call that
//! must grow the stack, leaves the instance or traps) ends [`run`], and the
//! full loop runs it, then hands back.

use super::code::{CompiledFunc, Ins};
use super::numerics::float;
use super::numerics::v128::{self, RelaxedMode};
use super::{DataInst, ElemInst, Frame, FuncInst, GlobalInst, TableInst, Trap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The slots of a frame the hot loop sees: a fixed-size window of the value
/// stack starting at the frame base. Slot numbers are masked into it, so a
/// slot access needs no bounds check; a function whose frame is bigger (or a
/// frame too close to the end of the value stack) runs in the full loop.
pub(super) use super::code::WINDOW;

/// Whether a frame of `frame_size` slots at `fp` runs in the hot loop.
#[inline(always)]
pub(super) fn fits(frame_size: u32, fp: usize, stack_len: usize) -> bool {
    frame_size as usize <= WINDOW && fp.saturating_add(WINDOW) <= stack_len
}

/// A frame's slots as the hot set reads and writes them: the window of the
/// hot loop (masked, unchecked indices), or a plain slice in the full loop.
pub(super) trait Slots {
    /// Slot `s`.
    fn at(&self, s: u32) -> u64;
    /// Writes slot `s`.
    fn put(&mut self, s: u32, v: u64);
}

impl Slots for [u64; WINDOW] {
    #[inline(always)]
    fn at(&self, s: u32) -> u64 {
        // Every slot of a function the hot loop runs is below its frame size,
        // at most WINDOW (`fits`): the mask changes no slot number.
        self[s as usize & (WINDOW - 1)]
    }
    #[inline(always)]
    fn put(&mut self, s: u32, v: u64) {
        self[s as usize & (WINDOW - 1)] = v;
    }
}

impl Slots for [u64] {
    #[inline(always)]
    fn at(&self, s: u32) -> u64 {
        self[s as usize]
    }
    #[inline(always)]
    fn put(&mut self, s: u32, v: u64) {
        self[s as usize] = v;
    }
}

/// How an instruction of the hot set ended.
pub(super) enum Step {
    /// Go on at the returned program counter.
    Continue,
    /// The instruction is not in the hot set: the full loop runs it.
    Other,
    /// A call or call_indirect: [`run`] makes it or leaves it to the full loop.
    Call,
    /// A return_call or return_call_indirect, likewise.
    ReturnCall,
    /// A return, likewise.
    Return,
    /// It trapped.
    Trap(Trap),
}

fn trunc_err(e: float::TruncError) -> Trap {
    match e {
        float::TruncError::Overflow => Trap::IntegerOverflow,
        float::TruncError::InvalidConversion => Trap::InvalidConversionToInteger,
    }
}

/// What [`run`] needs besides the instructions: the frames, for calls and
/// returns between functions of one instance, and the instance's globals.
pub(super) struct Cx<'a> {
    /// The store's functions.
    pub funcs: &'a [FuncInst],
    /// The running instance (calls and returns stay within it).
    pub inst: u32,
    /// Its function addresses by index.
    pub inst_funcs: &'a [u32],
    /// Its types by index: (canonical type id, parameter slots).
    pub inst_types: &'a [(u32, u32)],
    /// Its table addresses by index.
    pub inst_tables: &'a [u32],
    /// The store's tables.
    pub tables: &'a [TableInst],
    /// Its global addresses by index.
    pub inst_globals: &'a [u32],
    /// The store's globals.
    pub globals: &'a mut [GlobalInst],
    /// The frame stack.
    pub frames: &'a mut Vec<Frame>,
    /// The value stack (frames' slots).
    pub stack: &'a mut Vec<u64>,
    /// The stop request (`Config::interrupt`).
    pub interrupt: Option<&'a AtomicBool>,
    /// The most frames (`Config::max_call_depth`).
    pub max_depth: usize,
    /// The highest frame base whose window fits both the value stack as
    /// it is and the most value-stack slots (`Config::max_stack_slots`):
    /// calls past it are the full loop's.
    pub top: usize,
    /// The relaxed-SIMD choices (`Config::relaxed_simd`).
    pub relaxed: &'a RelaxedMode,
    /// log2 of memory 0's page size; `None` without an unshared memory 0.
    pub page_size_log2: Option<u32>,
    /// Its element segment addresses by index.
    pub inst_elems: &'a [u32],
    /// The store's element segments.
    pub elems: &'a mut [ElemInst],
    /// Its data segment addresses by index.
    pub inst_datas: &'a [u32],
    /// The store's data segments.
    pub datas: &'a mut [DataInst],
    /// The running function.
    pub fa: u32,
    /// Its frame base in `stack`.
    pub fp: usize,
    /// Its next instruction.
    pub pc: usize,
}

/// Runs the hot set, calls between functions of the instance and returns
/// to them, until an instruction it leaves to the full loop (`cx.pc` is
/// then at it) or a trap (`cx.pc` is then past the trapping instruction).
/// Calls and backward branches take one unit of `fuel` each.
#[inline(never)]
pub(super) fn run(cx: &mut Cx, mem: &mut [u8], fuel: &mut u64) -> Result<(), Trap> {
    let interrupt = cx.interrupt;
    'frame: loop {
        let Some(FuncInst::Wasm { code: cf, .. }) = cx.funcs.get(cx.fa as usize) else {
            return Ok(());
        };
        let (code, br_table): (&[Ins], &[u32]) = (&cf.code, &cf.br_table);
        if cf.frame_size as usize > WINDOW {
            return Ok(());
        }
        let Some(Ok(regs)) = cx
            .stack
            .get_mut(cx.fp..cx.fp.saturating_add(WINDOW))
            .map(<&mut [u64; WINDOW]>::try_from)
        else {
            return Ok(());
        };
        // exec: call, call_indirect, return_call, return_call_indirect
        // (`$tail`) — a function of the same instance whose frame fits the
        // stack as it is; anything else (a host function, growing the stack,
        // a trap, a type check needing subtyping) is the full loop's.
        macro_rules! call {
            ($tail:literal, $ins:ident, $pc:ident, $regs:ident) => {{
                let (tail, ins, pc, regs): (bool, Ins, usize, &mut [u64; WINDOW]) =
                    ($tail, $ins, $pc, $regs);
                let (callee, base) = match ins {
                    Ins::Call { func, base } | Ins::ReturnCall { func, base } => {
                        match cx.inst_funcs.get(func as usize) {
                            Some(&callee) => (callee, base),
                            None => break,
                        }
                    }
                    Ins::CallIndirect { ty, table, base }
                    | Ins::ReturnCallIndirect { ty, table, base } => {
                        let Some(&(tid, pslots)) = cx.inst_types.get(ty as usize) else {
                            break;
                        };
                        let i = regs.at(base + pslots) as u32 as usize;
                        let r = match cx.inst_tables.get(table as usize) {
                            Some(&t) => cx.tables[t as usize].elems.get(i).copied(),
                            None => None,
                        };
                        // A null reference is 0; a function reference's
                        // low 32 bits are its address.
                        let Some(r) = r.filter(|&r| r != 0) else {
                            break;
                        };
                        match cx.funcs.get(r as u32 as usize) {
                            Some(f) if f.ty_id() == tid => (r as u32, base),
                            _ => break,
                        }
                    }
                    _ => break,
                };
                let Some(FuncInst::Wasm { code: cf, inst, .. }) = cx.funcs.get(callee as usize)
                else {
                    break;
                };
                // A tail call's callee takes over the caller's frame.
                let new_fp = if tail { cx.fp } else { cx.fp + base as usize };
                // One test for fuel: at 0 the full loop traps, and where a
                // stop request is polled (every 1024 units) it polls.
                if *inst != cx.inst
                    || (!tail && cx.frames.len() >= cx.max_depth)
                    || *fuel % 1024 <= 1
                    || new_fp > cx.top
                    || cf.frame_size as usize > WINDOW
                {
                    break;
                }
                // exec: call — the locals after the parameters zeroed, then
                // the constant pool (`CompiledFunc::entry`, which a frame
                // of the window has), in one loop.
                let p = new_fp + cf.param_slots as usize;
                if tail {
                    // exec: return_call — the arguments move to the frame's start.
                    let from = cx.fp + base as usize;
                    if p > cx.stack.len() || from + cf.param_slots as usize > cx.stack.len() {
                        break;
                    }
                    cx.stack
                        .copy_within(from..from + cf.param_slots as usize, cx.fp);
                }
                let Some(init) = cx.stack.get_mut(p..p + cf.entry.len()) else {
                    break;
                };
                for (s, &v) in init.iter_mut().zip(cf.entry.iter()) {
                    *s = v;
                }
                *fuel -= 1;
                if !tail {
                    cx.frames.push(Frame {
                        pc: (pc + 1) as u32,
                        fp: cx.fp as u32,
                        func: cx.fa,
                    });
                }
                (cx.fa, cx.fp, cx.pc) = (callee, new_fp, 0);
                continue 'frame;
            }};
        }
        let mut pc = cx.pc;
        while let Some(&ins) = code.get(pc) {
            match step(ins, pc + 1, regs, mem, br_table, fuel, interrupt) {
                (Step::Continue, p) => {
                    pc = p;
                    continue;
                }
                (Step::Trap(t), p) => {
                    cx.pc = p;
                    return Err(t);
                }
                (Step::Other, _) => {}
                (Step::Call, _) => {
                    let Some(&ins) = code.get(pc) else {
                        break;
                    };
                    call!(false, ins, pc, regs)
                }
                (Step::ReturnCall, _) => {
                    let Some(&ins) = code.get(pc) else {
                        break;
                    };
                    call!(true, ins, pc, regs)
                }
                (Step::Return, _) => {
                    // exec: return — to a caller of the same instance.
                    let Some(&Ins::Return { src, n }) = code.get(pc) else {
                        break;
                    };
                    let Some(&fr) = cx.frames.last() else {
                        break;
                    };
                    match cx.funcs.get(fr.func as usize) {
                        Some(FuncInst::Wasm { inst, .. }) if *inst == cx.inst => {}
                        _ => break,
                    }
                    match n {
                        0 => {}
                        1 => regs.put(0, regs.at(src)),
                        _ => regs.copy_within(src as usize..(src + n) as usize, 0),
                    }
                    cx.frames.pop();
                    (cx.fa, cx.fp, cx.pc) = (fr.func, fr.fp as usize, fr.pc as usize);
                    continue 'frame;
                }
            }
            // Read again: keeping `ins` alive past `step` made the compiler
            // spill every instruction to the stack before dispatching it.
            let Some(&ins) = code.get(pc) else {
                break;
            };
            match ins {
                Ins::GlobalGet { dst, g } => match cx.inst_globals.get(g as usize) {
                    Some(&a) => regs.put(dst, cx.globals[a as usize].val[0]),
                    None => break,
                },
                Ins::GlobalSet { g, src } => match cx.inst_globals.get(g as usize) {
                    Some(&a) => cx.globals[a as usize].val[0] = regs.at(src),
                    None => break,
                },
                _ if rare(
                    ins,
                    regs,
                    mem.len(),
                    cf,
                    &mut Rare {
                        inst_funcs: cx.inst_funcs,
                        inst_tables: cx.inst_tables,
                        tables: cx.tables,
                        inst_globals: cx.inst_globals,
                        globals: cx.globals,
                        relaxed: cx.relaxed,
                        page_size_log2: cx.page_size_log2,
                        inst_elems: cx.inst_elems,
                        elems: cx.elems,
                        inst_datas: cx.inst_datas,
                        datas: cx.datas,
                    },
                ) => {}
                _ => break,
            }
            pc += 1;
        }
        cx.pc = pc;
        return Ok(());
    }
}

/// What [`rare`] needs of a [`Cx`] (all but the frames and the value
/// stack, which the hot loop holds).
struct Rare<'c> {
    inst_funcs: &'c [u32],
    inst_tables: &'c [u32],
    tables: &'c [TableInst],
    inst_globals: &'c [u32],
    globals: &'c mut [GlobalInst],
    relaxed: &'c RelaxedMode,
    page_size_log2: Option<u32>,
    inst_elems: &'c [u32],
    elems: &'c mut [ElemInst],
    inst_datas: &'c [u32],
    datas: &'c mut [DataInst],
}

/// The instructions of the hot set that are rare in loops (two-slot
/// globals, `ref.func`, sizes, segment drops, vector instructions on
/// slots), out of line so the hot loop keeps its registers; false for an
/// instruction the full loop must run.
#[inline(never)]
fn rare(
    ins: Ins,
    regs: &mut [u64; WINDOW],
    mem_len: usize,
    cf: &CompiledFunc,
    cx: &mut Rare,
) -> bool {
    match ins {
        Ins::GlobalGet2 { dst, g } => match cx.inst_globals.get(g as usize) {
            Some(&a) => {
                let [lo, hi] = cx.globals[a as usize].val;
                regs.put(dst, lo);
                regs.put(dst + 1, hi);
            }
            None => return false,
        },
        Ins::GlobalSet2 { g, src } => match cx.inst_globals.get(g as usize) {
            Some(&a) => cx.globals[a as usize].val = [regs.at(src), regs.at(src + 1)],
            None => return false,
        },
        // exec: ref.func — the function's address, tagged.
        Ins::RefFunc { dst, func } => match cx.inst_funcs.get(func as usize) {
            Some(&f) => regs.put(dst, super::FUNC_TAG | u64::from(f)),
            None => return false,
        },
        // exec: memory.size, table.size
        Ins::MemorySize { dst } => match cx.page_size_log2 {
            Some(log2) => regs.put(dst, mem_len as u64 >> log2),
            None => return false,
        },
        Ins::TableSize { table, dst } => match cx.inst_tables.get(table as usize) {
            Some(&t) => regs.put(dst, cx.tables[t as usize].elems.len() as u64),
            None => return false,
        },
        // exec: elem.drop, data.drop
        Ins::ElemDrop { elem } => match cx.inst_elems.get(elem as usize) {
            Some(&e) => cx.elems[e as usize].elems = Vec::new(),
            None => return false,
        },
        Ins::DataDrop { data } => match cx.inst_datas.get(data as usize) {
            Some(&d) => cx.datas[d as usize].bytes = Arc::from(&[][..]),
            None => return false,
        },
        _ => return vector(ins, regs, cf, cx.relaxed),
    }
    true
}

/// Runs a vector instruction that touches only a frame's slots (spec:
/// exec/instructions › Vector), for both loops; false for any other
/// instruction. Out of line, so the hot loop keeps its registers.
#[inline(never)]
pub(super) fn vector<R: Slots + ?Sized>(
    ins: Ins,
    regs: &mut R,
    cf: &CompiledFunc,
    relaxed: &RelaxedMode,
) -> bool {
    let r128 = |regs: &R, s: u32| u128::from(regs.at(s)) | (u128::from(regs.at(s + 1)) << 64);
    let set128 = |regs: &mut R, d: u32, v: u128| {
        regs.put(d, v as u64);
        regs.put(d + 1, (v >> 64) as u64);
    };
    match ins {
        Ins::Copy2 { dst, src } => set128(regs, dst, r128(regs, src)),
        Ins::ConstV { dst, idx } => match cf.v128s.get(idx as usize) {
            Some(&v) => set128(regs, dst, v),
            None => return false,
        },
        // exec: select on two-slot values (the first operand is already in `dst`).
        Ins::Select2 { dst, b, cond } => {
            if regs.at(cond) as u32 == 0 {
                set128(regs, dst, r128(regs, b));
            }
        }
        Ins::VUn { op, dst, a } => {
            let v = v128::unary_with(u32::from(op), r128(regs, a), relaxed);
            set128(regs, dst, v)
        }
        Ins::VBin { op, dst, a, b } => {
            let v = v128::binary_with(u32::from(op), r128(regs, a), r128(regs, b), relaxed);
            set128(regs, dst, v)
        }
        Ins::VTern { op, dst } => {
            let (x, y, z) = (r128(regs, dst), r128(regs, dst + 2), r128(regs, dst + 4));
            set128(
                regs,
                dst,
                v128::ternary_with(u32::from(op), x, y, z, relaxed),
            )
        }
        Ins::VTest { op, dst, a } => {
            regs.put(dst, u64::from(v128::test(u32::from(op), r128(regs, a))))
        }
        Ins::VShift { op, dst, a, b } => {
            let v = v128::shift(u32::from(op), r128(regs, a), regs.at(b) as u32);
            set128(regs, dst, v)
        }
        Ins::VSplat { op, dst, a } => set128(regs, dst, v128::splat(u32::from(op), regs.at(a))),
        Ins::VExtract { op_lane, dst, a } => {
            let (op, lane) = (u32::from(op_lane >> 4), (op_lane & 15) as u8);
            regs.put(dst, v128::extract_lane(op, r128(regs, a), lane))
        }
        Ins::VReplace { op_lane, dst, a, b } => {
            let (op, lane) = (u32::from(op_lane >> 4), (op_lane & 15) as u8);
            let v = v128::replace_lane(op, r128(regs, a), lane, regs.at(b));
            set128(regs, dst, v)
        }
        Ins::VShuffle { dst, idx } => match cf.shuffles.get(idx as usize) {
            Some(lanes) => {
                let v = v128::shuffle(r128(regs, dst), r128(regs, dst + 2), lanes);
                set128(regs, dst, v)
            }
            None => return false,
        },
        _ => return false,
    }
    true
}

/// Runs one instruction of the hot set (`pc` is already past it); returns
/// how it ended and the next program counter.
#[inline(always)]
pub(super) fn step<R: Slots + ?Sized>(
    ins: Ins,
    mut pc: usize,
    regs: &mut R,
    mem: &mut [u8],
    br_table: &[u32],
    fuel: &mut u64,
    interrupt: Option<&AtomicBool>,
) -> (Step, usize) {
    macro_rules! trap {
        ($t:expr) => {
            return (Step::Trap($t), pc)
        };
    }
    macro_rules! r32 {
        ($s:expr) => {
            regs.at($s) as u32
        };
    }
    macro_rules! r64 {
        ($s:expr) => {
            regs.at($s)
        };
    }
    macro_rules! f32r {
        ($s:expr) => {
            f32::from_bits(regs.at($s) as u32)
        };
    }
    macro_rules! f64r {
        ($s:expr) => {
            f64::from_bits(regs.at($s))
        };
    }
    macro_rules! set {
        ($d:expr, $v:expr) => {{
            let v: u64 = $v;
            regs.put($d, v);
        }};
    }
    // A taken jump; backward jumps charge one unit of fuel, and a stop
    // request is polled once every 1024 units.
    macro_rules! jump {
        ($t:expr) => {{
            let t = $t as usize;
            if t < pc {
                // One test on the common path: fuel 0 traps, and fuel
                // about to become a multiple of 1024 polls the stop flag.
                let f = *fuel;
                if f % 1024 <= 1 {
                    if f == 0 {
                        trap!(Trap::OutOfFuel);
                    }
                    if f % 1024 == 1 && interrupt.is_some_and(|i| i.load(Ordering::Relaxed)) {
                        *fuel = f - 1;
                        trap!(Trap::Interrupted);
                    }
                }
                *fuel = f - 1;
            }
            pc = t;
        }};
    }
    macro_rules! add_br {
        ($x:expr, $y:expr, $b:expr, $t:expr, 32, $signed:tt, $op:tt) => {{
            let x = u32::from($x);
            let v = r32!(x).wrapping_add(r32!(u32::from($y)));
            set!(x, u64::from(v));
            if add_br!(@rel v, r32!($b), i32, $signed, $op) {
                jump!($t)
            }
        }};
        ($x:expr, $y:expr, $b:expr, $t:expr, 64, $signed:tt, $op:tt) => {{
            let x = u32::from($x);
            let v = r64!(x).wrapping_add(r64!(u32::from($y)));
            set!(x, v);
            if add_br!(@rel v, r64!($b), i64, $signed, $op) {
                jump!($t)
            }
        }};
        (@rel $v:expr, $w:expr, $s:ty, true, $op:tt) => {
            ($v as $s) $op ($w as $s)
        };
        (@rel $v:expr, $w:expr, $s:ty, false, $op:tt) => {
            $v $op $w
        };
    }
    // exec: the effective address (a 32-bit index plus the static offset).
    // (Both are below 2^32: the sum cannot overflow.)
    macro_rules! ea {
        ($addr:expr, $off:expr) => {
            (u64::from(r32!($addr)) + u64::from($off)) as usize
        };
    }
    // The same with the address an `i32.add` of a constant folded into the
    // access computed (wrapped to 32 bits; code.rs: `Ins::fold_address`).
    macro_rules! eaw {
        ($addr:expr, $off:expr) => {
            r32!($addr).wrapping_add($off) as usize
        };
    }
    macro_rules! store {
        ($ea:expr, $n:literal, $bytes:expr) => {{
            let ea = $ea;
            let bytes: [u8; $n] = $bytes;
            match mem.get_mut(ea..ea + $n) {
                Some(s) => s.copy_from_slice(&bytes),
                None => trap!(Trap::MemoryOutOfBounds),
            }
        }};
    }
    macro_rules! load {
        ($dst:expr, $ea:expr, $n:literal, $f:expr) => {{
            let ea = $ea;
            match mem.get(ea..ea + $n) {
                Some(s) => {
                    let mut b = [0u8; $n];
                    b.copy_from_slice(s);
                    set!($dst, ($f)(b));
                }
                None => trap!(Trap::MemoryOutOfBounds),
            }
        }};
    }
    macro_rules! idiv {
        ($dst:expr, $a:expr, $b:expr, $r:ident, $s:ty, $u:ty, $op:ident, $signed:expr, $rem:expr) => {{
            let (x, y) = ($r!($a) as $u, $r!($b) as $u);
            if y == 0 {
                trap!(Trap::IntegerDivideByZero);
            }
            let v = if $signed {
                let (x, y) = (x as $s, y as $s);
                if !$rem && x == <$s>::MIN && y == -1 {
                    trap!(Trap::IntegerOverflow);
                }
                x.$op(y) as $u
            } else {
                x.$op(y)
            };
            set!($dst, v as u64);
        }};
    }
    macro_rules! trunc {
        ($dst:expr, $x:expr, $signed:expr, $bits:expr) => {{
            match float::trunc($x, $signed, $bits) {
                Ok(v) => set!($dst, v),
                Err(e) => trap!(trunc_err(e)),
            }
        }};
    }

    match ins {
        Ins::Br { target } => jump!(target),
        Ins::BrIfNz { cond, target } => {
            if r32!(cond) != 0 {
                jump!(target)
            }
        }
        Ins::BrIfZ { cond, target } => {
            if r32!(cond) == 0 {
                jump!(target)
            }
        }
        // A comparison fused with its br_if/if (exec/translate.rs: cond_jump).
        Ins::BrI32Eq { a, b, target } => {
            if r32!(a) == r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI32Ne { a, b, target } => {
            if r32!(a) != r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI32LtS { a, b, target } => {
            if (r32!(a) as i32) < (r32!(b) as i32) {
                jump!(target)
            }
        }
        Ins::BrI32LtU { a, b, target } => {
            if r32!(a) < r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI32GtS { a, b, target } => {
            if (r32!(a) as i32) > (r32!(b) as i32) {
                jump!(target)
            }
        }
        Ins::BrI32GtU { a, b, target } => {
            if r32!(a) > r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI32LeS { a, b, target } => {
            if (r32!(a) as i32) <= (r32!(b) as i32) {
                jump!(target)
            }
        }
        Ins::BrI32LeU { a, b, target } => {
            if r32!(a) <= r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI32GeS { a, b, target } => {
            if (r32!(a) as i32) >= (r32!(b) as i32) {
                jump!(target)
            }
        }
        Ins::BrI32GeU { a, b, target } => {
            if r32!(a) >= r32!(b) {
                jump!(target)
            }
        }
        Ins::BrI64Eq { a, b, target } => {
            if r64!(a) == r64!(b) {
                jump!(target)
            }
        }
        Ins::BrI64Ne { a, b, target } => {
            if r64!(a) != r64!(b) {
                jump!(target)
            }
        }
        Ins::BrI64LtS { a, b, target } => {
            if (r64!(a) as i64) < (r64!(b) as i64) {
                jump!(target)
            }
        }
        Ins::BrI64LtU { a, b, target } => {
            if r64!(a) < r64!(b) {
                jump!(target)
            }
        }
        Ins::BrI64GtS { a, b, target } => {
            if (r64!(a) as i64) > (r64!(b) as i64) {
                jump!(target)
            }
        }
        Ins::BrI64GtU { a, b, target } => {
            if r64!(a) > r64!(b) {
                jump!(target)
            }
        }
        Ins::BrI64LeS { a, b, target } => {
            if (r64!(a) as i64) <= (r64!(b) as i64) {
                jump!(target)
            }
        }
        Ins::BrI64LeU { a, b, target } => {
            if r64!(a) <= r64!(b) {
                jump!(target)
            }
        }
        Ins::BrI64GeS { a, b, target } => {
            if (r64!(a) as i64) >= (r64!(b) as i64) {
                jump!(target)
            }
        }
        Ins::BrI64GeU { a, b, target } => {
            if r64!(a) >= r64!(b) {
                jump!(target)
            }
        }
        // An add fused with the compare-and-branch on its sum (code.rs:
        // `Ins::fuse_add_branch`): the sum is written, then compared.
        Ins::AddBrI32Eq { x, y, b, target } => add_br!(x, y, b, target, 32, false, ==),
        Ins::AddBrI32Ne { x, y, b, target } => add_br!(x, y, b, target, 32, false, !=),
        Ins::AddBrI32LtS { x, y, b, target } => add_br!(x, y, b, target, 32, true, <),
        Ins::AddBrI32LtU { x, y, b, target } => add_br!(x, y, b, target, 32, false, <),
        Ins::AddBrI32GtS { x, y, b, target } => add_br!(x, y, b, target, 32, true, >),
        Ins::AddBrI32GtU { x, y, b, target } => add_br!(x, y, b, target, 32, false, >),
        Ins::AddBrI32LeS { x, y, b, target } => add_br!(x, y, b, target, 32, true, <=),
        Ins::AddBrI32LeU { x, y, b, target } => add_br!(x, y, b, target, 32, false, <=),
        Ins::AddBrI32GeS { x, y, b, target } => add_br!(x, y, b, target, 32, true, >=),
        Ins::AddBrI32GeU { x, y, b, target } => add_br!(x, y, b, target, 32, false, >=),
        Ins::AddBrI64Eq { x, y, b, target } => add_br!(x, y, b, target, 64, false, ==),
        Ins::AddBrI64Ne { x, y, b, target } => add_br!(x, y, b, target, 64, false, !=),
        Ins::AddBrI64LtS { x, y, b, target } => add_br!(x, y, b, target, 64, true, <),
        Ins::AddBrI64LtU { x, y, b, target } => add_br!(x, y, b, target, 64, false, <),
        Ins::AddBrI64GtS { x, y, b, target } => add_br!(x, y, b, target, 64, true, >),
        Ins::AddBrI64GtU { x, y, b, target } => add_br!(x, y, b, target, 64, false, >),
        Ins::AddBrI64LeS { x, y, b, target } => add_br!(x, y, b, target, 64, true, <=),
        Ins::AddBrI64LeU { x, y, b, target } => add_br!(x, y, b, target, 64, false, <=),
        Ins::AddBrI64GeS { x, y, b, target } => add_br!(x, y, b, target, 64, true, >=),
        Ins::AddBrI64GeU { x, y, b, target } => add_br!(x, y, b, target, 64, false, >=),
        Ins::AddBrI32Nz { x, y, target } => {
            let x = u32::from(x);
            let v = r32!(x).wrapping_add(r32!(u32::from(y)));
            set!(x, u64::from(v));
            if v != 0 {
                jump!(target)
            }
        }
        Ins::AddBrI32Z { x, y, target } => {
            let x = u32::from(x);
            let v = r32!(x).wrapping_add(r32!(u32::from(y)));
            set!(x, u64::from(v));
            if v == 0 {
                jump!(target)
            }
        }
        Ins::BrTable { idx, start, len } => {
            let i = r32!(idx).min(len);
            let t = br_table[(start + i) as usize];
            jump!(t)
        }
        Ins::Copy { dst, src } => set!(dst, regs.at(src)),
        // exec: ref.is_null — a null reference is 0 in a slot.
        Ins::RefIsNull { dst, a } => set!(dst, u64::from(regs.at(a) == 0)),
        Ins::Const32 { dst, val } => set!(dst, u64::from(val)),
        Ins::Const64 { dst, lo, hi } => set!(dst, u64::from(hi) << 32 | u64::from(lo)),
        Ins::Select { dst, b, cond } => {
            if r32!(cond) == 0 {
                set!(dst, regs.at(b));
            }
        }
        Ins::I32Eqz { dst, a } => set!(dst, u64::from(r32!(a) == 0)),
        Ins::I64Eqz { dst, a } => set!(dst, u64::from(r64!(a) == 0)),
        Ins::I32Eq { dst, a, b } => set!(dst, u64::from(r32!(a) == r32!(b))),
        Ins::I32Ne { dst, a, b } => set!(dst, u64::from(r32!(a) != r32!(b))),
        Ins::I32LtS { dst, a, b } => {
            set!(dst, u64::from((r32!(a) as i32) < r32!(b) as i32))
        }
        Ins::I32LtU { dst, a, b } => set!(dst, u64::from(r32!(a) < r32!(b))),
        Ins::I32GtS { dst, a, b } => {
            set!(dst, u64::from(r32!(a) as i32 > r32!(b) as i32))
        }
        Ins::I32GtU { dst, a, b } => set!(dst, u64::from(r32!(a) > r32!(b))),
        Ins::I32LeS { dst, a, b } => {
            set!(dst, u64::from(r32!(a) as i32 <= r32!(b) as i32))
        }
        Ins::I32LeU { dst, a, b } => set!(dst, u64::from(r32!(a) <= r32!(b))),
        Ins::I32GeS { dst, a, b } => {
            set!(dst, u64::from(r32!(a) as i32 >= r32!(b) as i32))
        }
        Ins::I32GeU { dst, a, b } => set!(dst, u64::from(r32!(a) >= r32!(b))),
        Ins::I64Eq { dst, a, b } => set!(dst, u64::from(r64!(a) == r64!(b))),
        Ins::I64Ne { dst, a, b } => set!(dst, u64::from(r64!(a) != r64!(b))),
        Ins::I64LtS { dst, a, b } => {
            set!(dst, u64::from((r64!(a) as i64) < r64!(b) as i64))
        }
        Ins::I64LtU { dst, a, b } => set!(dst, u64::from(r64!(a) < r64!(b))),
        Ins::I64GtS { dst, a, b } => {
            set!(dst, u64::from(r64!(a) as i64 > r64!(b) as i64))
        }
        Ins::I64GtU { dst, a, b } => set!(dst, u64::from(r64!(a) > r64!(b))),
        Ins::I64LeS { dst, a, b } => {
            set!(dst, u64::from(r64!(a) as i64 <= r64!(b) as i64))
        }
        Ins::I64LeU { dst, a, b } => set!(dst, u64::from(r64!(a) <= r64!(b))),
        Ins::I64GeS { dst, a, b } => {
            set!(dst, u64::from(r64!(a) as i64 >= r64!(b) as i64))
        }
        Ins::I64GeU { dst, a, b } => set!(dst, u64::from(r64!(a) >= r64!(b))),
        Ins::F32Eq { dst, a, b } => set!(dst, u64::from(f32r!(a) == f32r!(b))),
        Ins::F32Ne { dst, a, b } => set!(dst, u64::from(f32r!(a) != f32r!(b))),
        Ins::F32Lt { dst, a, b } => set!(dst, u64::from(f32r!(a) < f32r!(b))),
        Ins::F32Gt { dst, a, b } => set!(dst, u64::from(f32r!(a) > f32r!(b))),
        Ins::F32Le { dst, a, b } => set!(dst, u64::from(f32r!(a) <= f32r!(b))),
        Ins::F32Ge { dst, a, b } => set!(dst, u64::from(f32r!(a) >= f32r!(b))),
        Ins::F64Eq { dst, a, b } => set!(dst, u64::from(f64r!(a) == f64r!(b))),
        Ins::F64Ne { dst, a, b } => set!(dst, u64::from(f64r!(a) != f64r!(b))),
        Ins::F64Lt { dst, a, b } => set!(dst, u64::from(f64r!(a) < f64r!(b))),
        Ins::F64Gt { dst, a, b } => set!(dst, u64::from(f64r!(a) > f64r!(b))),
        Ins::F64Le { dst, a, b } => set!(dst, u64::from(f64r!(a) <= f64r!(b))),
        Ins::F64Ge { dst, a, b } => set!(dst, u64::from(f64r!(a) >= f64r!(b))),
        Ins::I32Clz { dst, a } => set!(dst, u64::from(r32!(a).leading_zeros())),
        Ins::I32Ctz { dst, a } => set!(dst, u64::from(r32!(a).trailing_zeros())),
        Ins::I32Popcnt { dst, a } => set!(dst, u64::from(r32!(a).count_ones())),
        Ins::I32Add { dst, a, b } => {
            set!(dst, u64::from(r32!(a).wrapping_add(r32!(b))))
        }
        Ins::I32Sub { dst, a, b } => {
            set!(dst, u64::from(r32!(a).wrapping_sub(r32!(b))))
        }
        Ins::I32Mul { dst, a, b } => {
            set!(dst, u64::from(r32!(a).wrapping_mul(r32!(b))))
        }
        Ins::I32DivS { dst, a, b } => {
            idiv!(dst, a, b, r32, i32, u32, wrapping_div, true, false)
        }
        Ins::I32DivU { dst, a, b } => {
            idiv!(dst, a, b, r32, i32, u32, wrapping_div, false, false)
        }
        Ins::I32RemS { dst, a, b } => {
            idiv!(dst, a, b, r32, i32, u32, wrapping_rem, true, true)
        }
        Ins::I32RemU { dst, a, b } => {
            idiv!(dst, a, b, r32, i32, u32, wrapping_rem, false, true)
        }
        Ins::I32And { dst, a, b } => set!(dst, u64::from(r32!(a) & r32!(b))),
        Ins::I32Or { dst, a, b } => set!(dst, u64::from(r32!(a) | r32!(b))),
        Ins::I32Xor { dst, a, b } => set!(dst, u64::from(r32!(a) ^ r32!(b))),
        Ins::I32Shl { dst, a, b } => {
            set!(dst, u64::from(r32!(a).wrapping_shl(r32!(b))))
        }
        Ins::I32ShrS { dst, a, b } => set!(
            dst,
            u64::from((r32!(a) as i32).wrapping_shr(r32!(b)) as u32)
        ),
        Ins::I32ShrU { dst, a, b } => {
            set!(dst, u64::from(r32!(a).wrapping_shr(r32!(b))))
        }
        Ins::I32Rotl { dst, a, b } => {
            set!(dst, u64::from(r32!(a).rotate_left(r32!(b) % 32)))
        }
        Ins::I32Rotr { dst, a, b } => {
            set!(dst, u64::from(r32!(a).rotate_right(r32!(b) % 32)))
        }
        Ins::I64Clz { dst, a } => set!(dst, u64::from(r64!(a).leading_zeros())),
        Ins::I64Ctz { dst, a } => set!(dst, u64::from(r64!(a).trailing_zeros())),
        Ins::I64Popcnt { dst, a } => set!(dst, u64::from(r64!(a).count_ones())),
        Ins::I64Add { dst, a, b } => set!(dst, r64!(a).wrapping_add(r64!(b))),
        Ins::I64Sub { dst, a, b } => set!(dst, r64!(a).wrapping_sub(r64!(b))),
        Ins::I64Mul { dst, a, b } => set!(dst, r64!(a).wrapping_mul(r64!(b))),
        Ins::I64DivS { dst, a, b } => {
            idiv!(dst, a, b, r64, i64, u64, wrapping_div, true, false)
        }
        Ins::I64DivU { dst, a, b } => {
            idiv!(dst, a, b, r64, i64, u64, wrapping_div, false, false)
        }
        Ins::I64RemS { dst, a, b } => {
            idiv!(dst, a, b, r64, i64, u64, wrapping_rem, true, true)
        }
        Ins::I64RemU { dst, a, b } => {
            idiv!(dst, a, b, r64, i64, u64, wrapping_rem, false, true)
        }
        Ins::I64And { dst, a, b } => set!(dst, r64!(a) & r64!(b)),
        Ins::I64Or { dst, a, b } => set!(dst, r64!(a) | r64!(b)),
        Ins::I64Xor { dst, a, b } => set!(dst, r64!(a) ^ r64!(b)),
        Ins::I64Shl { dst, a, b } => set!(dst, r64!(a).wrapping_shl(r64!(b) as u32)),
        Ins::I64ShrS { dst, a, b } => {
            set!(dst, (r64!(a) as i64).wrapping_shr(r64!(b) as u32) as u64)
        }
        Ins::I64ShrU { dst, a, b } => set!(dst, r64!(a).wrapping_shr(r64!(b) as u32)),
        Ins::I64Rotl { dst, a, b } => {
            set!(dst, r64!(a).rotate_left((r64!(b) % 64) as u32))
        }
        Ins::I64Rotr { dst, a, b } => {
            set!(dst, r64!(a).rotate_right((r64!(b) % 64) as u32))
        }
        Ins::F32Abs { dst, a } => set!(dst, u64::from(r32!(a) & 0x7fff_ffff)),
        Ins::F32Neg { dst, a } => set!(dst, u64::from(r32!(a) ^ 0x8000_0000)),
        Ins::F32Ceil { dst, a } => {
            set!(dst, u64::from(float::f32_ceil(f32r!(a)).to_bits()))
        }
        Ins::F32Floor { dst, a } => {
            set!(dst, u64::from(float::f32_floor(f32r!(a)).to_bits()))
        }
        Ins::F32Trunc { dst, a } => {
            set!(dst, u64::from(float::f32_trunc(f32r!(a)).to_bits()))
        }
        Ins::F32Nearest { dst, a } => {
            set!(dst, u64::from(float::f32_nearest(f32r!(a)).to_bits()))
        }
        Ins::F32Sqrt { dst, a } => {
            set!(dst, u64::from(float::f32_sqrt(f32r!(a)).to_bits()))
        }
        Ins::F32Add { dst, a, b } => {
            set!(dst, u64::from(float::f32_add(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Sub { dst, a, b } => {
            set!(dst, u64::from(float::f32_sub(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Mul { dst, a, b } => {
            set!(dst, u64::from(float::f32_mul(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Div { dst, a, b } => {
            set!(dst, u64::from(float::f32_div(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Min { dst, a, b } => {
            set!(dst, u64::from(float::f32_min(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Max { dst, a, b } => {
            set!(dst, u64::from(float::f32_max(f32r!(a), f32r!(b)).to_bits()))
        }
        Ins::F32Copysign { dst, a, b } => {
            set!(
                dst,
                u64::from((r32!(a) & 0x7fff_ffff) | (r32!(b) & 0x8000_0000))
            )
        }
        Ins::F64Abs { dst, a } => set!(dst, r64!(a) & 0x7fff_ffff_ffff_ffff),
        Ins::F64Neg { dst, a } => set!(dst, r64!(a) ^ 0x8000_0000_0000_0000),
        Ins::F64Ceil { dst, a } => set!(dst, float::f64_ceil(f64r!(a)).to_bits()),
        Ins::F64Floor { dst, a } => set!(dst, float::f64_floor(f64r!(a)).to_bits()),
        Ins::F64Trunc { dst, a } => set!(dst, float::f64_trunc(f64r!(a)).to_bits()),
        Ins::F64Nearest { dst, a } => set!(dst, float::f64_nearest(f64r!(a)).to_bits()),
        Ins::F64Sqrt { dst, a } => set!(dst, float::f64_sqrt(f64r!(a)).to_bits()),
        Ins::F64Add { dst, a, b } => {
            set!(dst, float::f64_add(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Sub { dst, a, b } => {
            set!(dst, float::f64_sub(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Mul { dst, a, b } => {
            set!(dst, float::f64_mul(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Div { dst, a, b } => {
            set!(dst, float::f64_div(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Min { dst, a, b } => {
            set!(dst, float::f64_min(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Max { dst, a, b } => {
            set!(dst, float::f64_max(f64r!(a), f64r!(b)).to_bits())
        }
        Ins::F64Copysign { dst, a, b } => {
            set!(
                dst,
                (r64!(a) & 0x7fff_ffff_ffff_ffff) | (r64!(b) & 0x8000_0000_0000_0000)
            )
        }
        Ins::I32WrapI64 { dst, a } => set!(dst, u64::from(r64!(a) as u32)),
        Ins::I32TruncF32S { dst, a } => trunc!(dst, f64::from(f32r!(a)), true, 32),
        Ins::I32TruncF32U { dst, a } => trunc!(dst, f64::from(f32r!(a)), false, 32),
        Ins::I32TruncF64S { dst, a } => trunc!(dst, f64r!(a), true, 32),
        Ins::I32TruncF64U { dst, a } => trunc!(dst, f64r!(a), false, 32),
        Ins::I64ExtendI32S { dst, a } => set!(dst, r32!(a) as i32 as i64 as u64),
        Ins::I64ExtendI32U { dst, a } => set!(dst, u64::from(r32!(a))),
        Ins::I64TruncF32S { dst, a } => trunc!(dst, f64::from(f32r!(a)), true, 64),
        Ins::I64TruncF32U { dst, a } => trunc!(dst, f64::from(f32r!(a)), false, 64),
        Ins::I64TruncF64S { dst, a } => trunc!(dst, f64r!(a), true, 64),
        Ins::I64TruncF64U { dst, a } => trunc!(dst, f64r!(a), false, 64),
        Ins::F32ConvertI32S { dst, a } => {
            set!(dst, u64::from((r32!(a) as i32 as f32).to_bits()))
        }
        Ins::F32ConvertI32U { dst, a } => {
            set!(dst, u64::from((r32!(a) as f32).to_bits()))
        }
        Ins::F32ConvertI64S { dst, a } => {
            set!(dst, u64::from((r64!(a) as i64 as f32).to_bits()))
        }
        Ins::F32ConvertI64U { dst, a } => {
            set!(dst, u64::from((r64!(a) as f32).to_bits()))
        }
        Ins::F32DemoteF64 { dst, a } => {
            set!(dst, u64::from(float::f32_demote(f64r!(a)).to_bits()))
        }
        Ins::F64ConvertI32S { dst, a } => {
            set!(dst, f64::from(r32!(a) as i32).to_bits())
        }
        Ins::F64ConvertI32U { dst, a } => set!(dst, f64::from(r32!(a)).to_bits()),
        Ins::F64ConvertI64S { dst, a } => set!(dst, (r64!(a) as i64 as f64).to_bits()),
        Ins::F64ConvertI64U { dst, a } => set!(dst, (r64!(a) as f64).to_bits()),
        Ins::F64PromoteF32 { dst, a } => {
            set!(dst, float::f64_promote(f32r!(a)).to_bits())
        }
        Ins::I32ReinterpretF32 { dst, a } | Ins::F32ReinterpretI32 { dst, a } => {
            set!(dst, u64::from(r32!(a)))
        }
        Ins::I64ReinterpretF64 { dst, a } | Ins::F64ReinterpretI64 { dst, a } => {
            set!(dst, r64!(a))
        }
        Ins::I32Extend8S { dst, a } => {
            set!(dst, u64::from(r32!(a) as i8 as i32 as u32))
        }
        Ins::I32Extend16S { dst, a } => {
            set!(dst, u64::from(r32!(a) as i16 as i32 as u32))
        }
        Ins::I64Extend8S { dst, a } => set!(dst, r64!(a) as i8 as i64 as u64),
        Ins::I64Extend16S { dst, a } => set!(dst, r64!(a) as i16 as i64 as u64),
        Ins::I64Extend32S { dst, a } => set!(dst, r64!(a) as i32 as i64 as u64),
        Ins::I32TruncSatF32S { dst, a } => {
            set!(dst, float::trunc_sat(f64::from(f32r!(a)), true, 32))
        }
        Ins::I32TruncSatF32U { dst, a } => {
            set!(dst, float::trunc_sat(f64::from(f32r!(a)), false, 32))
        }
        Ins::I32TruncSatF64S { dst, a } => {
            set!(dst, float::trunc_sat(f64r!(a), true, 32))
        }
        Ins::I32TruncSatF64U { dst, a } => {
            set!(dst, float::trunc_sat(f64r!(a), false, 32))
        }
        Ins::I64TruncSatF32S { dst, a } => {
            set!(dst, float::trunc_sat(f64::from(f32r!(a)), true, 64))
        }
        Ins::I64TruncSatF32U { dst, a } => {
            set!(dst, float::trunc_sat(f64::from(f32r!(a)), false, 64))
        }
        Ins::I64TruncSatF64S { dst, a } => {
            set!(dst, float::trunc_sat(f64r!(a), true, 64))
        }
        Ins::I64TruncSatF64U { dst, a } => {
            set!(dst, float::trunc_sat(f64r!(a), false, 64))
        }
        Ins::I32Load { dst, addr, off } => {
            load!(dst, ea!(addr, off), 4, |b| u64::from(u32::from_le_bytes(b)))
        }
        Ins::I64Load { dst, addr, off } => load!(dst, ea!(addr, off), 8, u64::from_le_bytes),
        Ins::F32Load { dst, addr, off } => {
            load!(dst, ea!(addr, off), 4, |b| u64::from(u32::from_le_bytes(b)))
        }
        Ins::F64Load { dst, addr, off } => load!(dst, ea!(addr, off), 8, u64::from_le_bytes),
        Ins::I32Load8S { dst, addr, off } => {
            load!(dst, ea!(addr, off), 1, |b: [u8; 1]| u64::from(
                b[0] as i8 as i32 as u32
            ))
        }
        Ins::I32Load8U { dst, addr, off } => {
            load!(dst, ea!(addr, off), 1, |b: [u8; 1]| u64::from(b[0]))
        }
        Ins::I32Load16S { dst, addr, off } => {
            load!(dst, ea!(addr, off), 2, |b| u64::from(
                i16::from_le_bytes(b) as i32 as u32
            ))
        }
        Ins::I32Load16U { dst, addr, off } => {
            load!(dst, ea!(addr, off), 2, |b| u64::from(u16::from_le_bytes(b)))
        }
        Ins::I64Load8S { dst, addr, off } => {
            load!(dst, ea!(addr, off), 1, |b: [u8; 1]| b[0] as i8 as i64
                as u64)
        }
        Ins::I64Load8U { dst, addr, off } => {
            load!(dst, ea!(addr, off), 1, |b: [u8; 1]| u64::from(b[0]))
        }
        Ins::I64Load16S { dst, addr, off } => {
            load!(dst, ea!(addr, off), 2, |b| i16::from_le_bytes(b) as i64
                as u64)
        }
        Ins::I64Load16U { dst, addr, off } => {
            load!(dst, ea!(addr, off), 2, |b| u64::from(u16::from_le_bytes(b)))
        }
        Ins::I64Load32S { dst, addr, off } => {
            load!(dst, ea!(addr, off), 4, |b| i32::from_le_bytes(b) as i64
                as u64)
        }
        Ins::I64Load32U { dst, addr, off } => {
            load!(dst, ea!(addr, off), 4, |b| u64::from(u32::from_le_bytes(b)))
        }
        Ins::I32Store { addr, val, off } => {
            store!(ea!(addr, off), 4, r32!(val).to_le_bytes())
        }
        Ins::I64Store { addr, val, off } => {
            store!(ea!(addr, off), 8, r64!(val).to_le_bytes())
        }
        Ins::F32Store { addr, val, off } => {
            store!(ea!(addr, off), 4, r32!(val).to_le_bytes())
        }
        Ins::F64Store { addr, val, off } => {
            store!(ea!(addr, off), 8, r64!(val).to_le_bytes())
        }
        Ins::I32Store8 { addr, val, off } => store!(ea!(addr, off), 1, [r32!(val) as u8]),
        Ins::I32Store16 { addr, val, off } => {
            store!(ea!(addr, off), 2, (r32!(val) as u16).to_le_bytes())
        }
        Ins::I64Store8 { addr, val, off } => store!(ea!(addr, off), 1, [r64!(val) as u8]),
        Ins::I64Store16 { addr, val, off } => {
            store!(ea!(addr, off), 2, (r64!(val) as u16).to_le_bytes())
        }
        Ins::I64Store32 { addr, val, off } => {
            store!(ea!(addr, off), 4, (r64!(val) as u32).to_le_bytes())
        }
        Ins::I32LoadW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 4, |b| u64::from(u32::from_le_bytes(
                b
            )))
        }
        Ins::I64LoadW { dst, addr, off } => load!(dst, eaw!(addr, off), 8, u64::from_le_bytes),
        Ins::F32LoadW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 4, |b| u64::from(u32::from_le_bytes(
                b
            )))
        }
        Ins::F64LoadW { dst, addr, off } => load!(dst, eaw!(addr, off), 8, u64::from_le_bytes),
        Ins::I32Load8SW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 1, |b: [u8; 1]| u64::from(
                b[0] as i8 as i32 as u32
            ))
        }
        Ins::I32Load8UW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 1, |b: [u8; 1]| u64::from(b[0]))
        }
        Ins::I32Load16SW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 2, |b| u64::from(
                i16::from_le_bytes(b) as i32 as u32
            ))
        }
        Ins::I32Load16UW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 2, |b| u64::from(u16::from_le_bytes(
                b
            )))
        }
        Ins::I64Load8SW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 1, |b: [u8; 1]| b[0] as i8 as i64
                as u64)
        }
        Ins::I64Load8UW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 1, |b: [u8; 1]| u64::from(b[0]))
        }
        Ins::I64Load16SW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 2, |b| i16::from_le_bytes(b) as i64
                as u64)
        }
        Ins::I64Load16UW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 2, |b| u64::from(u16::from_le_bytes(
                b
            )))
        }
        Ins::I64Load32SW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 4, |b| i32::from_le_bytes(b) as i64
                as u64)
        }
        Ins::I64Load32UW { dst, addr, off } => {
            load!(dst, eaw!(addr, off), 4, |b| u64::from(u32::from_le_bytes(
                b
            )))
        }
        Ins::I32StoreW { addr, val, off } => {
            store!(eaw!(addr, off), 4, r32!(val).to_le_bytes())
        }
        Ins::I64StoreW { addr, val, off } => {
            store!(eaw!(addr, off), 8, r64!(val).to_le_bytes())
        }
        Ins::F32StoreW { addr, val, off } => {
            store!(eaw!(addr, off), 4, r32!(val).to_le_bytes())
        }
        Ins::F64StoreW { addr, val, off } => {
            store!(eaw!(addr, off), 8, r64!(val).to_le_bytes())
        }
        Ins::I32Store8W { addr, val, off } => store!(eaw!(addr, off), 1, [r32!(val) as u8]),
        Ins::I32Store16W { addr, val, off } => {
            store!(eaw!(addr, off), 2, (r32!(val) as u16).to_le_bytes())
        }
        Ins::I64Store8W { addr, val, off } => store!(eaw!(addr, off), 1, [r64!(val) as u8]),
        Ins::I64Store16W { addr, val, off } => {
            store!(eaw!(addr, off), 2, (r64!(val) as u16).to_le_bytes())
        }
        Ins::I64Store32W { addr, val, off } => {
            store!(eaw!(addr, off), 4, (r64!(val) as u32).to_le_bytes())
        }
        // Told apart here so that the hot loop needs no second dispatch.
        Ins::Call { .. } | Ins::CallIndirect { .. } => return (Step::Call, pc),
        Ins::ReturnCall { .. } | Ins::ReturnCallIndirect { .. } => {
            return (Step::ReturnCall, pc);
        }
        Ins::Return { .. } => return (Step::Return, pc),
        _ => return (Step::Other, pc),
    }
    (Step::Continue, pc)
}

#[cfg(test)]
mod tests {
    use crate::exec::{ExternVal, Store, Trap, Val};
    use crate::{Config, Features, decode_module, validate_module};

    /// Fuel on calls the hot loop makes: each call and tail call costs one
    /// unit, to the unit, also around the multiples of 1024 where a call is
    /// left to the full loop (fuel at 0 traps there, the stop flag is polled).
    #[test]
    fn calls_in_the_hot_loop_are_charged_to_the_unit() {
        // `f n` costs n + 2: its own call, the call of `$g` or `$t`, and n
        // more calls (nested for `$g`, tail calls for `$t`).
        let wat = r#"(module
          (func $g (param i32)
            (if (local.get 0) (then (call $g (i32.sub (local.get 0) (i32.const 1))))))
          (func $t (param i32)
            (if (local.get 0) (then (return_call $t (i32.sub (local.get 0) (i32.const 1))))))
          (func (export "g") (param i32) (call $g (local.get 0)))
          (func (export "t") (param i32) (call $t (local.get 0))))"#;
        let bytes = wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new(wat).unwrap())
            .unwrap()
            .encode()
            .unwrap();
        let features = Features::v3();
        let v = validate_module(&decode_module(&bytes, &features).unwrap(), &features).unwrap();
        for name in ["g", "t"] {
            for fuel in [2u64, 3, 1023, 1024, 1025, 1026, 2048, 3000] {
                let mut s = Store::new(Config::default());
                let m = s.instantiate(&v, &[]).unwrap();
                let Some(ExternVal::Func(f)) = s.export(m, name) else {
                    panic!("no export {name}")
                };
                let n = fuel as u32 - 2;
                s.set_fuel(Some(fuel));
                assert_eq!(
                    s.invoke(f, &[Val::I32(n)]),
                    Ok(vec![]),
                    "{name} fuel {fuel}"
                );
                assert_eq!(s.fuel(), 0, "{name} fuel {fuel}");
                s.set_fuel(Some(fuel));
                assert_eq!(
                    s.invoke(f, &[Val::I32(n + 1)]),
                    Err(Trap::OutOfFuel),
                    "{name} fuel {fuel}"
                );
                assert_eq!(s.fuel(), 0, "{name} fuel {fuel}");
            }
        }
    }
}
