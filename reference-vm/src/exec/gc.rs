//! The GC heap and exceptions (spec: Execution › Store › structures, arrays,
//! exceptions): allocation against a configured byte cap, field access with
//! packing.

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
