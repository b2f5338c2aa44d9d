//! Bounds-checked access to guest memory: every out-of-range pointer or
//! length is `FAULT`, never a host panic. Offsets are computed in `u64`, so
//! `ptr + len` cannot wrap.

use std::ops::Range;

use super::types::{Errno, errno};

/// The byte range `[ptr, ptr + len)` of `mem`, or `FAULT`.
pub fn range(mem: &[u8], ptr: u32, len: u64) -> Result<Range<usize>, Errno> {
    let end = ptr as u64 + len;
    if end > mem.len() as u64 {
        return Err(errno::FAULT);
    }
    Ok(ptr as usize..end as usize)
}

/// `ptr + i * size` for array indexing, or `FAULT` when it leaves 32 bits.
pub fn elem(ptr: u32, i: u64, size: u64) -> Result<u32, Errno> {
    let a = ptr as u64 + i * size;
    u32::try_from(a).map_err(|_| errno::FAULT)
}

/// Reads `N` bytes at `ptr`.
pub fn read<const N: usize>(mem: &[u8], ptr: u32) -> Result<[u8; N], Errno> {
    let r = range(mem, ptr, N as u64)?;
    let mut b = [0u8; N];
    b.copy_from_slice(&mem[r]);
    Ok(b)
}

/// Reads a little-endian u16.
pub fn read_u16(mem: &[u8], ptr: u32) -> Result<u16, Errno> {
    read::<2>(mem, ptr).map(u16::from_le_bytes)
}

/// Reads a little-endian u32.
pub fn read_u32(mem: &[u8], ptr: u32) -> Result<u32, Errno> {
    read::<4>(mem, ptr).map(u32::from_le_bytes)
}

/// Reads a little-endian u64.
pub fn read_u64(mem: &[u8], ptr: u32) -> Result<u64, Errno> {
    read::<8>(mem, ptr).map(u64::from_le_bytes)
}

/// Writes bytes at `ptr`.
pub fn write(mem: &mut [u8], ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
    let r = range(mem, ptr, bytes.len() as u64)?;
    mem[r].copy_from_slice(bytes);
    Ok(())
}

/// Writes a little-endian u16.
pub fn write_u16(mem: &mut [u8], ptr: u32, v: u16) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Writes a little-endian u32.
pub fn write_u32(mem: &mut [u8], ptr: u32, v: u32) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Writes a little-endian u64.
pub fn write_u64(mem: &mut [u8], ptr: u32, v: u64) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Reads the `i`th `iovec`/`ciovec` of an array: (buf, len), with the buffer range checked.
pub fn iovec(mem: &[u8], iovs: u32, i: u32) -> Result<Range<usize>, Errno> {
    let at = elem(iovs, i as u64, 8)?;
    let b = read::<8>(mem, at)?;
    let buf = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    range(mem, buf, len as u64)
}
