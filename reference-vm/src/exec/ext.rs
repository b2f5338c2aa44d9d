//! Instructions off the interpreter's fast path (spec: Execution › Memory
//! Instructions, Table Instructions): accesses to a memory other than memory 0,
//! 64-bit memories and tables (memory64, table64), static offsets of 2^32 or
//! more. The frame manager runs them with access to the whole store.
//!
//! Bounds are checked in u64 with `checked_add`, so no address, offset or
//! length can wrap around.

use super::code::Ext;
use super::numerics::v128;
use super::*;

/// What an [`Ext`] instruction needs of the store.
pub(super) struct ExtCtx<'a> {
    pub inst: &'a ModuleInst,
    pub funcs: &'a [FuncInst],
    pub mems: &'a mut [MemInst],
    pub tables: &'a mut [TableInst],
    pub elems: &'a [ElemInst],
    pub datas: &'a [DataInst],
    pub max_mem: u64,
    pub max_table: u64,
    /// The stop request of [`crate::Config::interrupt`], which ends a wait.
    pub interrupt: Option<&'a std::sync::atomic::AtomicBool>,
}

/// A call requested by `call_indirect` through a 64-bit table.
pub(super) struct ExtCall {
    pub callee: u32,
    pub base: u32,
    pub tail: bool,
}

/// Reads an address, index or length operand of the given address type.
fn rd(regs: &[u64], s: u32, idx64: bool) -> u64 {
    let v = regs[s as usize];
    if idx64 { v } else { u64::from(v as u32) }
}

/// The result slot value `-1` of the address type (failed `grow`).
fn minus_one(idx64: bool) -> u64 {
    if idx64 { u64::MAX } else { u64::from(u32::MAX) }
}

/// `[a, a + n)` inside `len`: the start as usize.
fn within(a: u64, n: u64, len: usize) -> Option<usize> {
    let end = a.checked_add(n)?;
    (end <= len as u64).then_some(a as usize)
}

/// Bytes accessed by a load or store instruction.
fn access_width(op: Opcode) -> usize {
    match op.class() {
        Class::Load(_, w) | Class::Store(_, w) => w as usize,
        Class::Simd(SimdClass::Load(n) | SimdClass::LoadLane(n) | SimdClass::StoreLane(n)) => {
            n as usize
        }
        _ => 16,
    }
}

/// exec: t.load, v128.load* — the value loaded from `b` (the accessed bytes,
/// zero-padded); `old` is the vector operand of a load-lane.
fn loaded(op: Opcode, b: [u8; 16], lane: u8, old: u128) -> u128 {
    let x = u128::from_le_bytes(b);
    let code = op.encoding().1;
    match op.class() {
        Class::Load(t, w) => {
            let bits = w * 8;
            let mut v = x as u64;
            if op.name().ends_with("_s") {
                let sh = 64 - bits;
                v = (((v << sh) as i64) >> sh) as u64;
            }
            if t == NumType::I32 {
                v &= u64::from(u32::MAX);
            }
            u128::from(v)
        }
        Class::Simd(SimdClass::LoadLane(n)) => {
            let bits = n * 8;
            let shift = bits * u32::from(lane);
            let mask = (u128::MAX >> (128 - bits)) << shift;
            (old & !mask) | (x << shift)
        }
        _ => match code {
            1..=6 => {
                let mut e = [0u8; 8];
                e.copy_from_slice(&b[..8]);
                super::interp::extend_load(code as u16, e)
            }
            // v128.loadN_splat: splat ops 15..18 are i8x16..i64x2.splat.
            7..=10 => v128::splat(code + 8, x as u64),
            // v128.load, v128.load32_zero, v128.load64_zero
            _ => x,
        },
    }
}

/// exec: t.store, v128.store* — the bytes to write (the first `access_width`).
fn stored(op: Opcode, v: u128, lane: u8) -> [u8; 16] {
    match op.class() {
        Class::Simd(SimdClass::StoreLane(n)) => (v >> (n * 8 * u32::from(lane))).to_le_bytes(),
        _ => v.to_le_bytes(),
    }
}

/// Two distinct elements of a slice, mutably.
fn two_mut<T>(s: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    if a < b {
        let (l, r) = s.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = s.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

/// threads: exec — one atomic access of memory `m` at effective address
/// `ea` (`None` when it overflowed) with value operands `a`, `b`. Alignment
/// is checked first, then (for `wait`) sharedness, then bounds. Returns the
/// result slot value (unused for stores).
fn atomic(
    m: &mut MemInst,
    ac: AtomicClass,
    ea: Option<u64>,
    (a, b): (u64, u64),
    interrupt: Option<&std::sync::atomic::AtomicBool>,
) -> Result<u64, Trap> {
    use super::shared::local;
    let w = ac.width();
    let Some(ea) = ea else {
        return Err(Trap::MemoryOutOfBounds);
    };
    if !ea.is_multiple_of(u64::from(w)) {
        return Err(Trap::UnalignedAtomic);
    }
    if let Some(sh) = &m.shared {
        return match ac {
            AtomicClass::Load(..) => sh.atomic_load(ea, w),
            AtomicClass::Store(..) => sh.atomic_store(ea, w, a).map(|_| 0),
            AtomicClass::Rmw(_, _, op) => sh.atomic_rmw(ea, w, op, a),
            AtomicClass::Cmpxchg(..) => sh.atomic_cmpxchg(ea, w, a, b),
            // The timeout is a signed i64 in nanoseconds.
            AtomicClass::Wait(_) => sh
                .wait_interruptible(ea, w, a, b as i64, interrupt)
                .map(u64::from),
            AtomicClass::Notify => sh.notify(ea, a as u32).map(u64::from),
            AtomicClass::Fence => Ok(0),
        };
    }
    if matches!(ac, AtomicClass::Wait(_)) {
        // threads: exec — waiting needs a shared memory.
        return Err(Trap::ExpectedSharedMemory);
    }
    let at = local::at(&m.data, ea, w)?;
    let data = &mut m.data;
    Ok(match ac {
        AtomicClass::Load(..) => local::load(data, at, w),
        AtomicClass::Store(..) => {
            local::store(data, at, w, a);
            0
        }
        AtomicClass::Rmw(_, _, op) => {
            let old = local::load(data, at, w);
            local::store(data, at, w, super::shared::rmw_apply(op, old, a));
            old
        }
        AtomicClass::Cmpxchg(..) => {
            let old = local::load(data, at, w);
            if old == local::wrap(a, w) {
                local::store(data, at, w, b);
            }
            old
        }
        // No other agent can wait on an unshared memory.
        AtomicClass::Notify | AtomicClass::Wait(_) | AtomicClass::Fence => 0,
    })
}

/// Runs one off-fast-path instruction over the frame's slots `regs`.
pub(super) fn exec(
    e: &Ext,
    regs: &mut [u64],
    cx: &mut ExtCtx<'_>,
) -> Result<Option<ExtCall>, Trap> {
    let oob = Trap::MemoryOutOfBounds;
    let toob = Trap::TableOutOfBounds;
    let mem_addr = |m: u32| cx.inst.mems[m as usize] as usize;
    let table_addr = |t: u32| cx.inst.tables[t as usize] as usize;
    match *e {
        Ext::Load {
            op,
            mem,
            dst,
            addr,
            off,
            lane,
        } => {
            let m = &cx.mems[mem_addr(mem)];
            let n = access_width(op);
            let ea = rd(regs, addr, m.ty.idx64)
                .checked_add(off)
                .ok_or(oob.clone())?;
            let mut b = [0u8; 16];
            m.read(ea, &mut b[..n])?;
            let d = dst as usize;
            let vector = !matches!(op.class(), Class::Load(..));
            let old = if matches!(op.class(), Class::Simd(SimdClass::LoadLane(_))) {
                u128::from(regs[d + 1]) | (u128::from(regs[d + 2]) << 64)
            } else {
                0
            };
            let v = loaded(op, b, lane, old);
            regs[d] = v as u64;
            if vector {
                regs[d + 1] = (v >> 64) as u64;
            }
        }
        Ext::Store {
            op,
            mem,
            addr,
            val,
            off,
            lane,
        } => {
            let m = &mut cx.mems[mem_addr(mem)];
            let n = access_width(op);
            let ea = rd(regs, addr, m.ty.idx64)
                .checked_add(off)
                .ok_or(oob.clone())?;
            let vector = !matches!(op.class(), Class::Store(..));
            let v = if vector {
                u128::from(regs[val as usize]) | (u128::from(regs[val as usize + 1]) << 64)
            } else {
                u128::from(regs[val as usize])
            };
            m.write(ea, &stored(op, v, lane)[..n])?;
        }
        Ext::MemorySize { mem, dst } => regs[dst as usize] = cx.mems[mem_addr(mem)].pages(),
        Ext::MemoryGrow { mem, dst, delta } => {
            let m = &mut cx.mems[mem_addr(mem)];
            let d = rd(regs, delta, m.ty.idx64);
            regs[dst as usize] = m.grow(d, cx.max_mem).unwrap_or(minus_one(m.ty.idx64));
        }
        Ext::MemoryFill { mem, base } => {
            // exec: memory.fill
            let m = &mut cx.mems[mem_addr(mem)];
            let (d, v, n) = (
                rd(regs, base, m.ty.idx64),
                regs[base as usize + 1] as u8,
                rd(regs, base + 2, m.ty.idx64),
            );
            if let Some(sh) = &m.shared {
                return sh.fill(d, v, n).map(|_| None);
            }
            let d = within(d, n, m.data.len()).ok_or(oob)?;
            m.data[d..d + n as usize].fill(v);
        }
        Ext::MemoryCopy {
            dst_mem,
            src_mem,
            base,
        } => {
            // exec: memory.copy — between two memories, or within one.
            let (da, sa) = (mem_addr(dst_mem), mem_addr(src_mem));
            let (d64, s64) = (cx.mems[da].ty.idx64, cx.mems[sa].ty.idx64);
            let (d, s, n) = (
                rd(regs, base, d64),
                rd(regs, base + 1, s64),
                rd(regs, base + 2, d64 && s64),
            );
            let d = within(d, n, cx.mems[da].len()).ok_or(oob.clone())?;
            let s = within(s, n, cx.mems[sa].len()).ok_or(oob)?;
            if let (true, Some(sh)) = (da == sa, &cx.mems[da].shared) {
                return sh.copy_within(d as u64, s as u64, n).map(|_| None);
            }
            if cx.mems[da].shared.is_some() || cx.mems[sa].shared.is_some() {
                // A shared memory on either side: copy out, then in.
                let mut tmp = vec![0u8; n as usize];
                cx.mems[sa].read(s as u64, &mut tmp)?;
                return cx.mems[da].write(d as u64, &tmp).map(|_| None);
            }
            let n = n as usize;
            if da == sa {
                cx.mems[da].data.copy_within(s..s + n, d);
            } else {
                let (dm, sm) = two_mut(cx.mems, da, sa);
                dm.data[d..d + n].copy_from_slice(&sm.data[s..s + n]);
            }
        }
        Ext::MemoryInit { mem, data, base } => {
            // exec: memory.init
            let m = &mut cx.mems[mem_addr(mem)];
            let bytes = &cx.datas[cx.inst.datas[data as usize] as usize].bytes;
            let (d, s, n) = (
                rd(regs, base, m.ty.idx64),
                rd(regs, base + 1, false),
                rd(regs, base + 2, false),
            );
            let s = within(s, n, bytes.len()).ok_or(oob.clone())?;
            let d = within(d, n, m.len()).ok_or(oob)?;
            let n = n as usize;
            m.write(d as u64, &bytes[s..s + n])?;
        }
        Ext::Atomic { op, mem, base, off } => {
            let Class::Atomic(ac) = op.class() else {
                return Err(Trap::Host("internal: not an atomic instruction".into()));
            };
            if ac == AtomicClass::Fence {
                // threads: exec — atomic.fence orders like any SeqCst operation.
                std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
                return Ok(None);
            }
            let m = &mut cx.mems[mem_addr(mem)];
            let ea = rd(regs, base, m.ty.idx64).checked_add(off);
            let opd = |k: usize| regs.get(base as usize + k).copied().unwrap_or(0);
            let (a, b) = (opd(1), opd(2));
            let r = atomic(m, ac, ea, (a, b), cx.interrupt)?;
            if !matches!(ac, AtomicClass::Store(..)) {
                regs[base as usize] = r;
            }
        }
        Ext::TableGet { table, dst, idx } => {
            let t = &cx.tables[table_addr(table)];
            let i = rd(regs, idx, t.ty.idx64);
            let i = within(i, 1, t.elems.len()).ok_or(toob)?;
            regs[dst as usize] = t.elems[i];
        }
        Ext::TableSet { table, idx, val } => {
            let t = &mut cx.tables[table_addr(table)];
            let i = rd(regs, idx, t.ty.idx64);
            let i = within(i, 1, t.elems.len()).ok_or(toob)?;
            t.elems[i] = regs[val as usize];
        }
        Ext::TableSize { table, dst } => {
            regs[dst as usize] = cx.tables[table_addr(table)].elems.len() as u64
        }
        Ext::TableGrow { table, base } => {
            // exec: table.grow
            let t = &mut cx.tables[table_addr(table)];
            let idx64 = t.ty.idx64;
            let (init, n) = (regs[base as usize], rd(regs, base + 1, idx64));
            let old = t.elems.len() as u64;
            let range = if idx64 { u64::MAX } else { u64::from(u32::MAX) };
            let max = t.ty.limits.max.unwrap_or(range).min(cx.max_table);
            regs[base as usize] = match old.checked_add(n) {
                Some(new)
                    if new <= max
                        && usize::try_from(n).is_ok_and(|n| t.elems.try_reserve(n).is_ok()) =>
                {
                    t.elems.resize(new as usize, init);
                    old
                }
                _ => minus_one(idx64),
            };
        }
        Ext::TableFill { table, base } => {
            let t = &mut cx.tables[table_addr(table)];
            let idx64 = t.ty.idx64;
            let (i, v, n) = (
                rd(regs, base, idx64),
                regs[base as usize + 1],
                rd(regs, base + 2, idx64),
            );
            let i = within(i, n, t.elems.len()).ok_or(toob)?;
            t.elems[i..i + n as usize].fill(v);
        }
        Ext::TableCopy {
            dst_table,
            src_table,
            base,
        } => {
            let (da, sa) = (table_addr(dst_table), table_addr(src_table));
            let (d64, s64) = (cx.tables[da].ty.idx64, cx.tables[sa].ty.idx64);
            let (d, s, n) = (
                rd(regs, base, d64),
                rd(regs, base + 1, s64),
                rd(regs, base + 2, d64 && s64),
            );
            let d = within(d, n, cx.tables[da].elems.len()).ok_or(toob.clone())?;
            let s = within(s, n, cx.tables[sa].elems.len()).ok_or(toob)?;
            let n = n as usize;
            if da == sa {
                cx.tables[da].elems.copy_within(s..s + n, d);
            } else {
                let (dt, st) = two_mut(cx.tables, da, sa);
                dt.elems[d..d + n].copy_from_slice(&st.elems[s..s + n]);
            }
        }
        Ext::TableInit { table, elem, base } => {
            let t = &mut cx.tables[table_addr(table)];
            let seg = &cx.elems[cx.inst.elems[elem as usize] as usize].elems;
            let (d, s, n) = (
                rd(regs, base, t.ty.idx64),
                rd(regs, base + 1, false),
                rd(regs, base + 2, false),
            );
            let s = within(s, n, seg.len()).ok_or(toob.clone())?;
            let d = within(d, n, t.elems.len()).ok_or(toob)?;
            let n = n as usize;
            t.elems[d..d + n].copy_from_slice(&seg[s..s + n]);
        }
        Ext::CallIndirect {
            ty,
            table,
            base,
            tail,
        } => {
            // exec: call_indirect through a 64-bit table
            let (tid, pslots) = cx.inst.types[ty as usize];
            let t = &cx.tables[table_addr(table)];
            let i = rd(regs, base + pslots, t.ty.idx64);
            let r = usize::try_from(i)
                .ok()
                .and_then(|i| t.elems.get(i))
                .copied()
                .ok_or(Trap::UndefinedElement(i))?;
            if r == 0 {
                return Err(Trap::UninitializedElement(i));
            }
            let callee = r as u32;
            if cx.funcs.get(callee as usize).map(|f| f.ty_id()) != Some(tid) {
                return Err(Trap::IndirectCallTypeMismatch);
            }
            return Ok(Some(ExtCall { callee, base, tail }));
        }
    }
    Ok(None)
}
