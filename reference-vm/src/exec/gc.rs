//! The GC heap and exceptions (spec: Execution › Store › structures, arrays,
//! exceptions): allocation against a configured byte cap, field access with
//! packing.

use super::code::Ins;
use super::*;

/// exec: allocation — charges `slots` 64-bit slots against the heap cap
/// before allocating, so an allocation bomb ends in a trap.
pub(crate) fn charge(bytes: &mut u64, cap: u64, slots: u64) -> Result<(), Trap> {
    let need = slots
        .checked_mul(8)
        .and_then(|b| b.checked_add(OBJ_OVERHEAD))
        .ok_or(Trap::OutOfMemory)?;
    let total = bytes.checked_add(need).ok_or(Trap::OutOfMemory)?;
    if total > cap {
        return Err(Trap::OutOfMemory);
    }
    *bytes = total;
    Ok(())
}

/// Allocates an object whose slots were charged already.
pub(crate) fn alloc(heap: &mut Vec<Obj>, ty: u32, data: Vec<u64>) -> Result<u32, Trap> {
    let a = u32::try_from(heap.len()).map_err(|_| Trap::OutOfMemory)?;
    if a >= (1 << 31) {
        return Err(Trap::OutOfMemory);
    }
    heap.push(Obj { ty, data });
    Ok(a)
}

/// exec: struct.new_desc (custom descriptors) — allocates a struct of type
/// `tid` from its slot values (fields, then the descriptor); kept out of the
/// interpreter loop, where it is rare.
#[cold]
#[inline(never)]
pub(crate) fn struct_new_desc(
    infos: &[TypeInfo],
    heap: &mut Vec<Obj>,
    heap_bytes: &mut u64,
    max_heap: u64,
    tid: u32,
    slots: &[u64],
) -> Result<u64, Trap> {
    let info = &infos[tid as usize];
    let ds = info.desc_slot.unwrap_or(0) as usize;
    if slots[ds] == 0 {
        return Err(Trap::NullDescriptorRef);
    }
    charge(heap_bytes, max_heap, slots.len() as u64)?;
    let mut data = slots.to_vec();
    for &(off, st) in &info.fields {
        data[off as usize] = pack(st, data[off as usize]);
    }
    Ok(STRUCT_TAG | u64::from(alloc(heap, tid, data)?))
}

/// exec: struct.new_default_desc (custom descriptors) — default fields and
/// the descriptor `desc`.
#[cold]
#[inline(never)]
pub(crate) fn struct_new_default_desc(
    infos: &[TypeInfo],
    heap: &mut Vec<Obj>,
    heap_bytes: &mut u64,
    max_heap: u64,
    tid: u32,
    desc: u64,
) -> Result<u64, Trap> {
    if desc == 0 {
        return Err(Trap::NullDescriptorRef);
    }
    let info = &infos[tid as usize];
    let n = info.slots as usize;
    charge(heap_bytes, max_heap, n as u64)?;
    let mut data = vec![0; n];
    data[info.desc_slot.unwrap_or(0) as usize] = desc;
    Ok(STRUCT_TAG | u64::from(alloc(heap, tid, data)?))
}

/// exec: packing — the value stored for a field of storage type `st`.
#[inline]
pub(crate) fn pack(st: StorageType, v: u64) -> u64 {
    match st {
        StorageType::I8 => v & 0xff,
        StorageType::I16 => v & 0xffff,
        StorageType::Val(ValType::I32 | ValType::F32) => v & 0xffff_ffff,
        _ => v,
    }
}

/// exec: unpacking — `sx` 1 sign-extends, otherwise zero-extends.
#[inline]
pub(crate) fn unpack(st: StorageType, sx: u16, v: u64) -> u64 {
    match (st, sx) {
        (StorageType::I8, 1) => u64::from(v as u8 as i8 as i32 as u32),
        (StorageType::I16, 1) => u64::from(v as u16 as i16 as i32 as u32),
        _ => v,
    }
}

/// exec: array.new_data — reads `n` elements of `st` from bytes at `s`.
pub(crate) fn read_data(bytes: &[u8], s: usize, n: usize, st: StorageType) -> Option<Vec<u64>> {
    let size = st.byte_size() as usize;
    let len = n.checked_mul(size)?;
    let src = bytes.get(s..s.checked_add(len)?)?;
    let slots = st.unpacked().slots() as usize;
    let mut out = Vec::with_capacity(n * slots);
    for c in src.chunks_exact(size) {
        let mut b = [0u8; 16];
        b[..size].copy_from_slice(c);
        let v = u128::from_le_bytes(b);
        out.push(v as u64);
        if slots == 2 {
            out.push((v >> 64) as u64);
        }
    }
    Some(out)
}

/// custom-descriptors: the descriptor reference of the (non-null) reference
/// `bits`, or 0 (null) when it is not a struct with a descriptor.
#[inline]
pub(crate) fn desc_of(infos: &[TypeInfo], heap: &[Obj], bits: u64) -> u64 {
    if bits & (TAG_MASK | EXTERN_BIT) != STRUCT_TAG {
        return 0;
    }
    heap.get(bits as u32 as usize)
        .and_then(|o| {
            let slot = infos.get(o.ty as usize)?.desc_slot?;
            o.data.get(slot as usize).copied()
        })
        .unwrap_or(0)
}

/// custom-descriptors: exec ref.cast_desc_eq, br_on_cast_desc_eq — whether the
/// reference `bits` passes a descriptor cast against the non-null descriptor
/// `desc`: a null passes when the target type is nullable; otherwise the
/// reference's descriptor must be `desc` itself (which fixes its exact type).
#[inline]
pub(crate) fn desc_matches(
    infos: &[TypeInfo],
    heap: &[Obj],
    bits: u64,
    desc: u64,
    nullable: bool,
) -> bool {
    if bits == 0 {
        return nullable;
    }
    desc_of(infos, heap, bits) == desc
}

/// What the struct and array instructions reach beyond their operands.
pub(crate) struct Ctx<'a> {
    /// The instance of the running function (type, data and element indices).
    pub inst: &'a ModuleInst,
    /// Per-type layout.
    pub infos: &'a [TypeInfo],
    /// The heap.
    pub heap: &'a mut Vec<Obj>,
    /// Bytes allocated so far, against `max_heap`.
    pub heap_bytes: &'a mut u64,
    /// The heap cap (`Config::max_heap_bytes`).
    pub max_heap: u64,
    /// The store's data segments.
    pub datas: &'a [DataInst],
    /// The store's element segments.
    pub elems: &'a [ElemInst],
}

/// exec: the struct and array instructions (GC, custom descriptors) on the
/// frame's slots `regs`. Kept out of the interpreter loop so the registers
/// of the hot numeric and memory instructions are not spent on them.
#[inline(never)]
pub(crate) fn exec(ins: &Ins, regs: &mut [u64], cx: &mut Ctx<'_>) -> Result<(), Trap> {
    let Ctx {
        inst,
        infos,
        heap,
        heap_bytes,
        max_heap,
        datas,
        elems,
    } = cx;
    let (inst, infos, datas, elems, max_heap) = (*inst, *infos, *datas, *elems, *max_heap);
    macro_rules! trap {
        ($t:expr) => {
            return Err($t)
        };
    }
    macro_rules! r32 {
        ($s:expr) => {
            regs[$s as usize] as u32
        };
    }
    macro_rules! r64 {
        ($s:expr) => {
            regs[$s as usize]
        };
    }
    macro_rules! set {
        ($d:expr, $v:expr) => {{
            let v: u64 = $v;
            regs[$d as usize] = v;
        }};
    }
    match *ins {
        Ins::StructNew { ty, base } => {
            // exec: struct.new — operands are laid out like the fields.
            let tid = inst.types[ty as usize].0;
            let info = &infos[tid as usize];
            let n = info.slots as usize;
            charge(heap_bytes, max_heap, n as u64)?;
            let mut data = regs[base as usize..base as usize + n].to_vec();
            for &(off, st) in &info.fields {
                data[off as usize] = pack(st, data[off as usize]);
            }
            match alloc(heap, tid, data) {
                Ok(a) => set!(base, STRUCT_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        Ins::StructNewDefault { ty, dst } => {
            let tid = inst.types[ty as usize].0;
            let n = infos[tid as usize].slots as usize;
            charge(heap_bytes, max_heap, n as u64)?;
            match alloc(heap, tid, vec![0; n]) {
                Ok(a) => set!(dst, STRUCT_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        // ---- custom descriptors (spec: proposal exec rules) ----
        Ins::StructNewDesc { ty, base } => {
            // exec: struct.new_desc — fields then the descriptor,
            // laid out like the struct's slots (out of line: rare).
            let tid = inst.types[ty as usize].0;
            let n = infos[tid as usize].slots as usize;
            let fields = &regs[base as usize..base as usize + n];
            match struct_new_desc(infos, heap, heap_bytes, max_heap, tid, fields) {
                Ok(r) => set!(base, r),
                Err(t) => trap!(t),
            }
        }
        Ins::StructNewDefaultDesc { ty, dst, a } => {
            let tid = inst.types[ty as usize].0;
            let d = r64!(a);
            match struct_new_default_desc(infos, heap, heap_bytes, max_heap, tid, d) {
                Ok(r) => set!(dst, r),
                Err(t) => trap!(t),
            }
        }
        Ins::RefGetDesc { dst, a } => {
            // exec: ref.get_desc
            let v = r64!(a);
            if v == 0 {
                trap!(Trap::NullReference);
            }
            set!(dst, desc_of(infos, heap, v))
        }
        Ins::RefCastDesc {
            nullable,
            dst,
            a,
            d,
        } => {
            // exec: ref.cast_desc_eq
            let (v, d) = (r64!(a), r64!(d));
            if d == 0 {
                trap!(Trap::NullDescriptorRef);
            }
            if !desc_matches(infos, heap, v, d, nullable != 0) {
                trap!(Trap::DescriptorCastFailure);
            }
            set!(dst, v)
        }
        Ins::StructGet { sx, field, dst, a } => {
            let v = r64!(a);
            if v == 0 {
                trap!(Trap::NullStructRef);
            }
            let o = &heap[v as u32 as usize];
            let (off, st) = infos[o.ty as usize].fields[field as usize];
            let x = unpack(st, sx, o.data[off as usize]);
            if st.unpacked().slots() == 2 {
                let hi = o.data[off as usize + 1];
                set!(dst, x);
                set!(dst + 1, hi);
            } else {
                set!(dst, x);
            }
        }
        Ins::StructSet { field, a, v } => {
            let r = r64!(a);
            if r == 0 {
                trap!(Trap::NullStructRef);
            }
            let o = &mut heap[r as u32 as usize];
            let (off, st) = infos[o.ty as usize].fields[field as usize];
            o.data[off as usize] = pack(st, r64!(v));
            if st.unpacked().slots() == 2 {
                o.data[off as usize + 1] = r64!(v + 1);
            }
        }
        Ins::ArrayNew { default, ty, base } => {
            // exec: array.new, array.new_default
            let tid = inst.types[ty as usize].0;
            let info = &infos[tid as usize];
            let (s, st) = (info.slots, info.fields[0].1);
            let (lo, hi, n) = if default != 0 {
                (0, 0, r32!(base))
            } else {
                (
                    pack(st, r64!(base)),
                    if s == 2 { r64!(base + 1) } else { 0 },
                    r32!(base + s),
                )
            };
            let total = u64::from(n) * u64::from(s);
            charge(heap_bytes, max_heap, total)?;
            let data = if s == 2 {
                let mut d = Vec::with_capacity(total as usize);
                for _ in 0..n {
                    d.push(lo);
                    d.push(hi);
                }
                d
            } else {
                vec![lo; n as usize]
            };
            match alloc(heap, tid, data) {
                Ok(a) => set!(base, ARRAY_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        Ins::ArrayNewFixed { ty, base, n } => {
            let tid = inst.types[ty as usize].0;
            let info = &infos[tid as usize];
            let (s, st) = (info.slots, info.fields[0].1);
            let total = u64::from(n) * u64::from(s);
            charge(heap_bytes, max_heap, total)?;
            let mut data = regs[base as usize..base as usize + total as usize].to_vec();
            if s == 1 {
                for x in &mut data {
                    *x = pack(st, *x);
                }
            }
            match alloc(heap, tid, data) {
                Ok(a) => set!(base, ARRAY_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        Ins::ArrayNewData { ty, data, base } => {
            let tid = inst.types[ty as usize].0;
            let st = infos[tid as usize].fields[0].1;
            let (s, n) = (r32!(base) as usize, r32!(base + 1) as usize);
            let bytes = &datas[inst.datas[data as usize] as usize].bytes;
            let Some(vals) = read_data(bytes, s, n, st) else {
                trap!(Trap::MemoryOutOfBounds)
            };
            charge(heap_bytes, max_heap, vals.len() as u64)?;
            match alloc(heap, tid, vals) {
                Ok(a) => set!(base, ARRAY_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        Ins::ArrayNewElem { ty, elem, base } => {
            let tid = inst.types[ty as usize].0;
            let (s, n) = (r32!(base) as usize, r32!(base + 1) as usize);
            let seg = &elems[inst.elems[elem as usize] as usize].elems;
            let Some(src) = s.checked_add(n).and_then(|e| seg.get(s..e)) else {
                trap!(Trap::TableOutOfBounds)
            };
            charge(heap_bytes, max_heap, n as u64)?;
            match alloc(heap, tid, src.to_vec()) {
                Ok(a) => set!(base, ARRAY_TAG | u64::from(a)),
                Err(t) => trap!(t),
            }
        }
        Ins::ArrayGet { sx, base } => {
            let r = r64!(base);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let i = r32!(base + 1) as usize;
            let o = &heap[r as u32 as usize];
            let info = &infos[o.ty as usize];
            let (s, st) = (info.slots as usize, info.fields[0].1);
            if i >= o.data.len() / s {
                trap!(Trap::ArrayOutOfBounds);
            }
            let x = unpack(st, sx, o.data[i * s]);
            if s == 2 {
                let hi = o.data[i * s + 1];
                set!(base, x);
                set!(base + 1, hi);
            } else {
                set!(base, x);
            }
        }
        Ins::ArraySet { base } => {
            let r = r64!(base);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let i = r32!(base + 1) as usize;
            let o = &mut heap[r as u32 as usize];
            let info = &infos[o.ty as usize];
            let (s, st) = (info.slots as usize, info.fields[0].1);
            if i >= o.data.len() / s {
                trap!(Trap::ArrayOutOfBounds);
            }
            o.data[i * s] = pack(st, r64!(base + 2));
            if s == 2 {
                o.data[i * s + 1] = r64!(base + 3);
            }
        }
        Ins::ArrayLen { dst, a } => {
            let r = r64!(a);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let o = &heap[r as u32 as usize];
            let s = infos[o.ty as usize].slots as usize;
            set!(dst, (o.data.len() / s) as u64)
        }
        Ins::ArrayFill { base } => {
            let r = r64!(base);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let d = r32!(base + 1) as usize;
            let o = &mut heap[r as u32 as usize];
            let info = &infos[o.ty as usize];
            let (s, st) = (info.slots as usize, info.fields[0].1);
            let (lo, hi) = (pack(st, r64!(base + 2)), r64!(base + 3));
            let n = r32!(base + 2 + s as u32) as usize;
            if d + n > o.data.len() / s {
                trap!(Trap::ArrayOutOfBounds);
            }
            for k in d..d + n {
                o.data[k * s] = lo;
                if s == 2 {
                    o.data[k * s + 1] = hi;
                }
            }
        }
        Ins::ArrayCopy { base } => {
            // exec: array.copy (overlapping ranges like memmove)
            let (dr, sr) = (r64!(base), r64!(base + 2));
            if dr == 0 || sr == 0 {
                trap!(Trap::NullArrayRef);
            }
            let (d, s, n) = (
                r32!(base + 1) as usize,
                r32!(base + 3) as usize,
                r32!(base + 4) as usize,
            );
            let (da, sa) = (dr as u32 as usize, sr as u32 as usize);
            let sl = infos[heap[da].ty as usize].slots as usize;
            let (dlen, slen) = (heap[da].data.len() / sl, heap[sa].data.len() / sl);
            if d + n > dlen || s + n > slen {
                trap!(Trap::ArrayOutOfBounds);
            }
            if da == sa {
                heap[da].data.copy_within(s * sl..(s + n) * sl, d * sl);
            } else {
                let src = heap[sa].data[s * sl..(s + n) * sl].to_vec();
                heap[da].data[d * sl..(d + n) * sl].copy_from_slice(&src);
            }
        }
        Ins::ArrayInitData { data, base } => {
            let r = r64!(base);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let (d, s, n) = (
                r32!(base + 1) as usize,
                r32!(base + 2) as usize,
                r32!(base + 3) as usize,
            );
            let o = &mut heap[r as u32 as usize];
            let info = &infos[o.ty as usize];
            let (sl, st) = (info.slots as usize, info.fields[0].1);
            if d + n > o.data.len() / sl {
                trap!(Trap::ArrayOutOfBounds);
            }
            let bytes = &datas[inst.datas[data as usize] as usize].bytes;
            let Some(vals) = read_data(bytes, s, n, st) else {
                trap!(Trap::MemoryOutOfBounds)
            };
            o.data[d * sl..(d + n) * sl].copy_from_slice(&vals);
        }
        Ins::ArrayInitElem { elem, base } => {
            let r = r64!(base);
            if r == 0 {
                trap!(Trap::NullArrayRef);
            }
            let (d, s, n) = (
                r32!(base + 1) as usize,
                r32!(base + 2) as usize,
                r32!(base + 3) as usize,
            );
            let o = &mut heap[r as u32 as usize];
            if d + n > o.data.len() {
                trap!(Trap::ArrayOutOfBounds);
            }
            let seg = &elems[inst.elems[elem as usize] as usize].elems;
            let Some(src) = s.checked_add(n).and_then(|e| seg.get(s..e)) else {
                trap!(Trap::TableOutOfBounds)
            };
            o.data[d..d + n].copy_from_slice(src);
        }
        _ => {
            return Err(Trap::Host(format!(
                "internal: {ins:?} is not a struct or array instruction"
            )));
        }
    }
    Ok(())
}
