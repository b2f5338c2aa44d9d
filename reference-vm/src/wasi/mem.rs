//! Bounds-checked access to guest memory: every out-of-range pointer or
//! length is `FAULT`, never a host panic. Offsets are computed in `u64`, so
//! `ptr + len` cannot wrap.
//!
//! The WASI functions see guest memory through [`GuestMemory`]: a plain
//! slice for an unshared memory ([`Slice`], which also lends itself out for
//! zero-copy reads and writes), or a shared memory ([`Shared`], copied in and
//! out word-safely, since other threads use it at the same time). A shared
//! memory only grows, so a range checked once stays valid for the call.

use std::ops::Range;

use super::types::{Errno, errno};
use crate::exec::SharedMemory;

/// Guest memory as the WASI host uses it. `load`/`store` get ranges that
/// [`range`] checked against [`GuestMemory::size`].
pub trait GuestMemory {
    /// The current size in bytes.
    fn size(&self) -> u64;
    /// Copies `buf.len()` bytes at `at` out of the memory.
    fn load(&self, at: usize, buf: &mut [u8]);
    /// Copies `bytes` into the memory at `at`.
    fn store(&mut self, at: usize, bytes: &[u8]);
    /// The bytes themselves, when the memory is an unshared slice.
    fn as_slice_mut(&mut self) -> Option<&mut [u8]> {
        None
    }
}

/// An unshared memory (or a test's buffer).
pub struct Slice<'a>(pub &'a mut [u8]);

impl GuestMemory for Slice<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn load(&self, at: usize, buf: &mut [u8]) {
        buf.copy_from_slice(&self.0[at..at + buf.len()]);
    }
    fn store(&mut self, at: usize, bytes: &[u8]) {
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn as_slice_mut(&mut self) -> Option<&mut [u8]> {
        Some(self.0)
    }
}

/// A shared memory (threads), seen by other threads during the call.
pub struct Shared<'a>(pub &'a SharedMemory);

impl GuestMemory for Shared<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn load(&self, at: usize, buf: &mut [u8]) {
        // In bounds: checked, and a shared memory never shrinks.
        let _ = self.0.read(at as u64, buf);
    }
    fn store(&mut self, at: usize, bytes: &[u8]) {
        let _ = self.0.write(at as u64, bytes);
    }
}

/// The byte range `[ptr, ptr + len)` of `mem`, or `FAULT`.
pub fn range(mem: &dyn GuestMemory, ptr: u32, len: u64) -> Result<Range<usize>, Errno> {
    let end = ptr as u64 + len;
    if end > mem.size() {
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
pub fn read<const N: usize>(mem: &dyn GuestMemory, ptr: u32) -> Result<[u8; N], Errno> {
    let r = range(mem, ptr, N as u64)?;
    let mut b = [0u8; N];
    mem.load(r.start, &mut b);
    Ok(b)
}

/// A copy of the checked range `r`.
pub fn read_range(mem: &dyn GuestMemory, r: Range<usize>) -> Vec<u8> {
    let mut v = vec![0u8; r.len()];
    mem.load(r.start, &mut v);
    v
}

/// Reads a little-endian u16.
pub fn read_u16(mem: &dyn GuestMemory, ptr: u32) -> Result<u16, Errno> {
    read::<2>(mem, ptr).map(u16::from_le_bytes)
}

/// Reads a little-endian u32.
pub fn read_u32(mem: &dyn GuestMemory, ptr: u32) -> Result<u32, Errno> {
    read::<4>(mem, ptr).map(u32::from_le_bytes)
}

/// Reads a little-endian u64.
pub fn read_u64(mem: &dyn GuestMemory, ptr: u32) -> Result<u64, Errno> {
    read::<8>(mem, ptr).map(u64::from_le_bytes)
}

/// Writes bytes at `ptr`.
pub fn write(mem: &mut dyn GuestMemory, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
    let r = range(mem, ptr, bytes.len() as u64)?;
    mem.store(r.start, bytes);
    Ok(())
}

/// Writes a little-endian u16.
pub fn write_u16(mem: &mut dyn GuestMemory, ptr: u32, v: u16) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Writes a little-endian u32.
pub fn write_u32(mem: &mut dyn GuestMemory, ptr: u32, v: u32) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Writes a little-endian u64.
pub fn write_u64(mem: &mut dyn GuestMemory, ptr: u32, v: u64) -> Result<(), Errno> {
    write(mem, ptr, &v.to_le_bytes())
}

/// Reads the `i`th `iovec`/`ciovec` of an array: (buf, len), with the buffer range checked.
pub fn iovec(mem: &dyn GuestMemory, iovs: u32, i: u32) -> Result<Range<usize>, Errno> {
    let at = elem(iovs, i as u64, 8)?;
    let b = read::<8>(mem, at)?;
    let buf = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    range(mem, buf, len as u64)
}
