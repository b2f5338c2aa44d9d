//! Shared linear memories and atomic memory access (threads proposal), in
//! safe Rust.
//!
//! # Memory model
//!
//! A shared memory ([`SharedMemory`]) is one byte array seen by every store
//! that holds it (through an `Arc`), on any number of OS threads. Its bytes
//! live in 64-bit atomic words (`AtomicU64`, little-endian: byte `8k + j` is
//! bits `8j..8j+8` of word `k`) behind a `RwLock`; only `memory.grow` takes
//! the write lock, every access takes the read lock for its duration, so a
//! bounds check and the access it guards see the same length.
//!
//! - **Atomic instructions** (`*.atomic.load/store/rmw*`, `cmpxchg`, the load
//!   of `memory.atomic.wait*`) are sequentially consistent and atomic for
//!   their width: an aligned access of 1, 2, 4 or 8 bytes lies within one
//!   word, and is done with one `SeqCst` load, store or compare-exchange loop
//!   on that word (narrow stores and read-modify-writes replace only their
//!   own bytes).
//! - **Non-atomic accesses** (plain loads and stores, SIMD, bulk operations,
//!   data segments, host copies) are done word by word with `Relaxed`
//!   operations: a multi-byte access may tear (another thread may see part of
//!   it), but a partial-word store uses a compare-exchange loop, so it never
//!   loses a neighbouring byte written concurrently. There is no data race in
//!   the Rust sense anywhere.
//! - **Ordering**: atomic instructions and `atomic.fence` are `SeqCst`;
//!   non-atomic accesses are ordered by them as Rust's model orders `Relaxed`
//!   accesses around `SeqCst` ones.
//! - **Wait/notify**: waiters queue per effective address (FIFO) under one
//!   mutex; `wait` compares the value while holding it, so a `notify` that
//!   follows a store cannot be missed. Woken waiters return 0 ("ok"), a
//!   different value returns 1 ("not-equal"), an expired timeout 2
//!   ("timed-out"); there are no spurious wake-ups.
//!
//! Unshared memories keep their plain `Vec<u8>`; atomic instructions on them
//! are ordinary accesses (one thread can see them).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use super::Trap;
use crate::syntax::{MemType, RmwOp};

/// How often a waiter with an interrupt flag checks it.
pub const INTERRUPT_POLL: Duration = Duration::from_millis(10);

/// A shared linear memory: atomic words behind a read-write lock, plus the
/// wait queues of `memory.atomic.wait*` / `memory.atomic.notify`.
pub struct SharedMemory {
    ty: MemType,
    bytes: RwLock<Words>,
    waiters: Mutex<WaitQueues>,
    woken: Condvar,
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("ty", &self.ty)
            .field("len", &self.len())
            .finish()
    }
}

/// The contents: `len` bytes in `ceil(len / 8)` words (trailing bytes zero).
struct Words {
    words: Vec<AtomicU64>,
    len: usize,
}

/// Waiters by effective address, and the tickets already woken.
#[derive(Default)]
struct WaitQueues {
    next: u64,
    queues: HashMap<u64, VecDeque<u64>>,
    woken: HashSet<u64>,
}

/// The mask of the low `width` bytes.
fn mask(width: u32) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

/// threads: exec — the new value of a read-modify-write (before narrowing).
pub(crate) fn rmw_apply(op: RmwOp, old: u64, v: u64) -> u64 {
    match op {
        RmwOp::Add => old.wrapping_add(v),
        RmwOp::Sub => old.wrapping_sub(v),
        RmwOp::And => old & v,
        RmwOp::Or => old | v,
        RmwOp::Xor => old ^ v,
        RmwOp::Xchg => v,
    }
}

impl Words {
    /// `[a, a + n)` inside the memory, as a usize start.
    fn range(&self, a: u64, n: u64) -> Result<usize, Trap> {
        match a.checked_add(n) {
            Some(end) if end <= self.len as u64 => Ok(a as usize),
            _ => Err(Trap::MemoryOutOfBounds),
        }
    }

    /// Replaces the bytes selected by `m` (within word `k`) with those of `v`.
    fn merge(&self, k: usize, m: u64, v: u64, order: Ordering) {
        let w = &self.words[k];
        if m == u64::MAX {
            w.store(v, order);
            return;
        }
        let mut cur = w.load(Ordering::Relaxed);
        loop {
            let new = (cur & !m) | (v & m);
            match w.compare_exchange_weak(cur, new, order, Ordering::Relaxed) {
                Ok(_) => return,
                Err(x) => cur = x,
            }
        }
    }

    fn read(&self, a: usize, buf: &mut [u8]) {
        let mut i = 0;
        while i < buf.len() {
            let (k, j) = ((a + i) / 8, (a + i) % 8);
            let n = (8 - j).min(buf.len() - i);
            let w = self.words[k].load(Ordering::Relaxed).to_le_bytes();
            buf[i..i + n].copy_from_slice(&w[j..j + n]);
            i += n;
        }
    }

    fn write(&self, a: usize, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let (k, j) = ((a + i) / 8, (a + i) % 8);
            let n = (8 - j).min(bytes.len() - i);
            let mut w = [0u8; 8];
            w[j..j + n].copy_from_slice(&bytes[i..i + n]);
            let m = mask(n as u32) << (8 * j);
            self.merge(k, m, u64::from_le_bytes(w), Ordering::Relaxed);
            i += n;
        }
    }

    /// The aligned `width`-byte value at `a`, atomically.
    fn load_atomic(&self, a: usize, width: u32) -> u64 {
        let w = self.words[a / 8].load(Ordering::SeqCst);
        (w >> (8 * (a % 8))) & mask(width)
    }

    /// Applies `f` to the aligned `width`-byte value at `a` atomically; `f`
    /// returns the new value or `None` to leave it. Returns the old value.
    fn update_atomic(&self, a: usize, width: u32, f: impl Fn(u64) -> Option<u64>) -> u64 {
        let (k, sh, m) = (a / 8, 8 * (a % 8) as u32, mask(width));
        let w = &self.words[k];
        let mut cur = w.load(Ordering::SeqCst);
        loop {
            let old = (cur >> sh) & m;
            let Some(v) = f(old) else {
                return old;
            };
            let new = (cur & !(m << sh)) | ((v & m) << sh);
            match w.compare_exchange_weak(cur, new, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return old,
                Err(x) => cur = x,
            }
        }
    }
}

impl SharedMemory {
    /// A shared memory of type `ty` at its minimum size, capped at `cap_bytes`.
    pub fn new(ty: MemType, cap_bytes: u64) -> SharedMemory {
        let len = ty.limits.min.saturating_mul(ty.page_size()).min(cap_bytes) as usize;
        SharedMemory {
            ty,
            bytes: RwLock::new(Words {
                words: (0..len.div_ceil(8)).map(|_| AtomicU64::new(0)).collect(),
                len,
            }),
            waiters: Mutex::new(WaitQueues::default()),
            woken: Condvar::new(),
        }
    }

    /// The memory type it was created with.
    pub fn ty(&self) -> MemType {
        self.ty
    }

    fn words(&self) -> RwLockReadGuard<'_, Words> {
        // A panic while holding the lock cannot leave words inconsistent.
        self.bytes.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The current size in bytes.
    pub fn len(&self) -> usize {
        self.words().len
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.len() as u64 >> self.ty.page_size_log2
    }

    /// exec: memory.grow — the old size in pages, or `None` when the maximum
    /// or `cap_bytes` forbids it. Growing takes the write lock.
    pub fn grow(&self, delta: u64, cap_bytes: u64) -> Option<u64> {
        let mut g = self.bytes.write().unwrap_or_else(|e| e.into_inner());
        let old = g.len as u64 >> self.ty.page_size_log2;
        let new = old.checked_add(delta)?;
        let range = self.ty.max_pages();
        let max = self.ty.limits.max.unwrap_or(range).min(range);
        let new_bytes = new.checked_mul(self.ty.page_size())?;
        if new > max || new_bytes > cap_bytes {
            return None;
        }
        let new_len = usize::try_from(new_bytes).ok()?;
        let words = new_len.div_ceil(8);
        let more = words - g.words.len();
        g.words.try_reserve_exact(more).ok()?;
        g.words.resize_with(words, || AtomicU64::new(0));
        g.len = new_len;
        Some(old)
    }

    /// Copies `buf.len()` bytes at `addr` out of the memory (non-atomic).
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Trap> {
        let g = self.words();
        let a = g.range(addr, buf.len() as u64)?;
        g.read(a, buf);
        Ok(())
    }

    /// Copies `bytes` into the memory at `addr` (non-atomic, never loses a
    /// neighbouring byte).
    pub fn write(&self, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
        let g = self.words();
        let a = g.range(addr, bytes.len() as u64)?;
        g.write(a, bytes);
        Ok(())
    }

    /// exec: memory.fill on a shared memory.
    pub fn fill(&self, addr: u64, val: u8, n: u64) -> Result<(), Trap> {
        let g = self.words();
        let a = g.range(addr, n)?;
        const CHUNK: usize = 4096;
        let block = [val; CHUNK];
        let mut done = 0usize;
        while done < n as usize {
            let k = CHUNK.min(n as usize - done);
            g.write(a + done, &block[..k]);
            done += k;
        }
        Ok(())
    }

    /// exec: memory.copy within one shared memory (as if through a buffer).
    pub fn copy_within(&self, dst: u64, src: u64, n: u64) -> Result<(), Trap> {
        let g = self.words();
        let d = g.range(dst, n)?;
        let s = g.range(src, n)?;
        let mut tmp = vec![0u8; n as usize];
        g.read(s, &mut tmp);
        g.write(d, &tmp);
        Ok(())
    }

    /// A copy of all bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let g = self.words();
        let mut v = vec![0u8; g.len];
        g.read(0, &mut v);
        v
    }

    /// threads: exec — a misaligned atomic access traps before its bounds check.
    fn atomic_at(g: &Words, ea: u64, width: u32) -> Result<usize, Trap> {
        if !ea.is_multiple_of(u64::from(width)) {
            return Err(Trap::UnalignedAtomic);
        }
        g.range(ea, u64::from(width))
    }

    /// An atomic load of `width` bytes at `ea` (zero-extended).
    pub fn atomic_load(&self, ea: u64, width: u32) -> Result<u64, Trap> {
        let g = self.words();
        let a = Self::atomic_at(&g, ea, width)?;
        Ok(g.load_atomic(a, width))
    }

    /// An atomic store of the low `width` bytes of `v` at `ea`.
    pub fn atomic_store(&self, ea: u64, width: u32, v: u64) -> Result<(), Trap> {
        let g = self.words();
        let a = Self::atomic_at(&g, ea, width)?;
        g.update_atomic(a, width, |_| Some(v));
        Ok(())
    }

    /// An atomic read-modify-write; returns the old value.
    pub fn atomic_rmw(&self, ea: u64, width: u32, op: RmwOp, v: u64) -> Result<u64, Trap> {
        let g = self.words();
        let a = Self::atomic_at(&g, ea, width)?;
        Ok(g.update_atomic(a, width, |old| Some(rmw_apply(op, old, v))))
    }

    /// An atomic compare-exchange (`expected` wrapped to the width); returns
    /// the old value.
    pub fn atomic_cmpxchg(
        &self,
        ea: u64,
        width: u32,
        expected: u64,
        replacement: u64,
    ) -> Result<u64, Trap> {
        let g = self.words();
        let a = Self::atomic_at(&g, ea, width)?;
        let e = expected & mask(width);
        Ok(g.update_atomic(a, width, |old| (old == e).then_some(replacement)))
    }

    /// exec: memory.atomic.waitN — 0 "ok" (woken), 1 "not-equal", 2
    /// "timed-out". A negative `timeout_ns` waits forever.
    pub fn wait(&self, ea: u64, width: u32, expected: u64, timeout_ns: i64) -> Result<u32, Trap> {
        self.wait_interruptible(ea, width, expected, timeout_ns, None)
    }

    /// [`SharedMemory::wait`] that also ends with [`Trap::Interrupted`] soon
    /// after `interrupt` becomes true: with a flag, the waiter sleeps in
    /// slices of at most [`INTERRUPT_POLL`] and checks it between them
    /// (whoever sets the flag need not know which memories have waiters).
    pub fn wait_interruptible(
        &self,
        ea: u64,
        width: u32,
        expected: u64,
        timeout_ns: i64,
        interrupt: Option<&AtomicBool>,
    ) -> Result<u32, Trap> {
        let deadline = u64::try_from(timeout_ns)
            .ok()
            .map(|ns| Instant::now() + Duration::from_nanos(ns));
        let mut q = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        // The comparison happens under the queue lock, so a notify that
        // follows a store of another value cannot slip in between.
        if self.atomic_load(ea, width)? != expected & mask(width) {
            return Ok(1);
        }
        if timeout_ns == 0 {
            return Ok(2);
        }
        let ticket = q.next;
        q.next += 1;
        q.queues.entry(ea).or_default().push_back(ticket);
        let leave = |q: &mut WaitQueues| {
            if let Some(list) = q.queues.get_mut(&ea) {
                list.retain(|t| *t != ticket);
                if list.is_empty() {
                    q.queues.remove(&ea);
                }
            }
        };
        loop {
            if q.woken.remove(&ticket) {
                return Ok(0);
            }
            if interrupt.is_some_and(|i| i.load(Ordering::Relaxed)) {
                leave(&mut q);
                return Err(Trap::Interrupted);
            }
            let now = Instant::now();
            let mut slice = match deadline {
                None => None,
                Some(d) if now >= d => {
                    leave(&mut q);
                    return Ok(2);
                }
                Some(d) => Some(d - now),
            };
            if interrupt.is_some() {
                slice = Some(slice.map_or(INTERRUPT_POLL, |s| s.min(INTERRUPT_POLL)));
            }
            q = match slice {
                None => self.woken.wait(q).unwrap_or_else(|e| e.into_inner()),
                Some(s) => {
                    self.woken
                        .wait_timeout(q, s)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// exec: memory.atomic.notify — wakes up to `count` waiters at `ea`
    /// (oldest first) and returns how many it woke.
    pub fn notify(&self, ea: u64, count: u32) -> Result<u32, Trap> {
        {
            let g = self.words();
            Self::atomic_at(&g, ea, 4)?;
        }
        let mut q = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0u32;
        if let Some(list) = q.queues.get_mut(&ea) {
            let mut woke = Vec::new();
            while n < count {
                let Some(t) = list.pop_front() else { break };
                woke.push(t);
                n += 1;
            }
            if list.is_empty() {
                q.queues.remove(&ea);
            }
            q.woken.extend(woke);
        }
        if n > 0 {
            self.woken.notify_all();
        }
        Ok(n)
    }
}

/// Atomic instructions on an unshared memory: plain accesses with the same
/// alignment and bounds rules (one thread can see the memory).
pub(crate) mod local {
    use super::*;

    /// threads: exec — alignment first, then bounds.
    pub fn at(data: &[u8], ea: u64, width: u32) -> Result<usize, Trap> {
        if !ea.is_multiple_of(u64::from(width)) {
            return Err(Trap::UnalignedAtomic);
        }
        match ea.checked_add(u64::from(width)) {
            Some(end) if end <= data.len() as u64 => Ok(ea as usize),
            _ => Err(Trap::MemoryOutOfBounds),
        }
    }

    /// Loads `width` bytes at `a` (checked), zero-extended.
    pub fn load(data: &[u8], a: usize, width: u32) -> u64 {
        let mut b = [0u8; 8];
        b[..width as usize].copy_from_slice(&data[a..a + width as usize]);
        u64::from_le_bytes(b)
    }

    /// Stores the low `width` bytes of `v` at `a` (checked).
    pub fn store(data: &mut [u8], a: usize, width: u32, v: u64) {
        data[a..a + width as usize].copy_from_slice(&v.to_le_bytes()[..width as usize]);
    }

    /// Wraps a value to `width` bytes.
    pub fn wrap(v: u64, width: u32) -> u64 {
        v & mask(width)
    }
}
