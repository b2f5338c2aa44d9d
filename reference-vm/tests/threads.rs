//! Threads proposal: one shared memory, several stores on several OS threads.
//!
//! The modules are assembled by hand (this crate depends on no other
//! WebAssembly implementation, not even for tests).

use std::sync::Arc;

use reference_vm::exec::{ExternVal, FuncAddr, SharedMemory};
use reference_vm::syntax::MemType;
use reference_vm::{Config, Features, Store, Trap, Val, decode_module, validate_module};

fn leb(mut v: u32, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn section(id: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(content.len() as u32, out);
    out.extend_from_slice(content);
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u32, out);
    out.extend_from_slice(s.as_bytes());
}

/// Function types of the test modules.
const TYPES: &[(&[u8], &[u8])] = &[
    (&[0x7f], &[]),       // 0: (i32) -> ()
    (&[], &[0x7f]),       // 1: () -> i32
    (&[0x7e], &[0x7f]),   // 2: (i64) -> i32
    (&[0x7f, 0x7f], &[]), // 3: (i32 i32) -> ()
];

/// A module whose memory 0 is imported as `env.mem` with limits flags
/// `flags` (0x03: shared 1..1, 0x01: unshared 1..1), exporting `funcs`
/// (name, type index, body without the locals prefix).
fn module(flags: u8, funcs: &[(&str, u8, &[u8])]) -> Vec<u8> {
    let mut m = vec![0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    let mut c = Vec::new();
    leb(TYPES.len() as u32, &mut c);
    for (p, r) in TYPES {
        c.push(0x60);
        leb(p.len() as u32, &mut c);
        c.extend_from_slice(p);
        leb(r.len() as u32, &mut c);
        c.extend_from_slice(r);
    }
    section(1, &c, &mut m);
    let mut c = vec![1];
    name("env", &mut c);
    name("mem", &mut c);
    c.extend_from_slice(&[2, flags, 1, 1]);
    section(2, &c, &mut m);
    let mut c = Vec::new();
    leb(funcs.len() as u32, &mut c);
    for (_, t, _) in funcs {
        c.push(*t);
    }
    section(3, &c, &mut m);
    let mut c = Vec::new();
    leb(funcs.len() as u32, &mut c);
    for (i, (n, _, _)) in funcs.iter().enumerate() {
        name(n, &mut c);
        c.push(0);
        leb(i as u32, &mut c);
    }
    section(7, &c, &mut m);
    let mut c = Vec::new();
    leb(funcs.len() as u32, &mut c);
    for (_, _, body) in funcs {
        let mut b = vec![0]; // no locals
        b.extend_from_slice(body);
        leb(b.len() as u32, &mut c);
        c.extend_from_slice(&b);
    }
    section(10, &c, &mut m);
    m
}

/// `add (param n)`: n times `i32.atomic.rmw.add (i32.const 0) (i32.const 1)`.
const ADD: &[u8] = &[
    0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1, // block loop; br_if 1 (n == 0)
    0x41, 0, 0x41, 1, 0xfe, 0x1e, 2, 0, 0x1a, // i32.atomic.rmw.add; drop
    0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, // n -= 1; br 0
    0x0b, 0x0b, 0x0b,
];
/// `get`: `i32.atomic.load (i32.const 0)`.
const GET: &[u8] = &[0x41, 0, 0xfe, 0x10, 2, 0, 0x0b];
/// `wait`: `memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const -1)`.
const WAIT: &[u8] = &[0x41, 8, 0x41, 0, 0x42, 0x7f, 0xfe, 0x01, 2, 0, 0x0b];
/// `wait_for (param timeout i64)`: `memory.atomic.wait32 (i32.const 8) (i32.const 0) timeout`.
const WAIT_FOR: &[u8] = &[0x41, 8, 0x41, 0, 0x20, 0, 0xfe, 0x01, 2, 0, 0x0b];
/// `notify`: `memory.atomic.notify (i32.const 8) (i32.const 1)`.
const NOTIFY: &[u8] = &[0x41, 8, 0x41, 1, 0xfe, 0x00, 2, 0, 0x0b];
/// `put (param v)`: `i32.store (i32.const 16) v` (non-atomic).
const PUT: &[u8] = &[0x41, 16, 0x20, 0, 0x36, 2, 0, 0x0b];
/// `data`: `i32.load (i32.const 16)` (non-atomic).
const DATA: &[u8] = &[0x41, 16, 0x28, 2, 0, 0x0b];
/// `bytes (param k n)`: n times `i32.store8 (k) (n)` — each thread its own byte.
const BYTES: &[u8] = &[
    0x02, 0x40, 0x03, 0x40, 0x20, 1, 0x45, 0x0d, 1, // block loop; br_if 1 (n == 0)
    0x20, 0, 0x20, 1, 0x3a, 0, 0, // i32.store8 k n
    0x20, 1, 0x41, 1, 0x6b, 0x21, 1, 0x0c, 0, // n -= 1; br 0
    0x0b, 0x0b, 0x0b,
];

fn funcs() -> Vec<(&'static str, u8, &'static [u8])> {
    vec![
        ("add", 0, ADD),
        ("get", 1, GET),
        ("wait", 1, WAIT),
        ("wait_for", 2, WAIT_FOR),
        ("notify", 1, NOTIFY),
        ("put", 0, PUT),
        ("data", 1, DATA),
        ("bytes", 3, BYTES),
    ]
}

fn shared_type() -> MemType {
    MemType {
        shared: true,
        ..MemType::new(1, Some(1))
    }
}

/// An agent: a store of its own with the module instantiated over `mem`.
struct Agent {
    store: Store,
    inst: reference_vm::exec::ModuleAddr,
}

impl Agent {
    fn new(mem: Arc<SharedMemory>) -> Agent {
        let f = Features::latest();
        let bytes = module(0x03, &funcs());
        let valid = validate_module(&decode_module(&bytes, &f).unwrap(), &f).unwrap();
        let mut store = Store::new(Config {
            features: f,
            ..Config::default()
        });
        let m = store.import_shared_memory(mem);
        let inst = store.instantiate(&valid, &[ExternVal::Mem(m)]).unwrap();
        Agent { store, inst }
    }

    fn func(&self, name: &str) -> FuncAddr {
        match self.store.export(self.inst, name) {
            Some(ExternVal::Func(f)) => f,
            other => panic!("no function {name}: {other:?}"),
        }
    }

    fn call(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let f = self.func(name);
        self.store.invoke(f, args)
    }
}

#[test]
fn atomic_increments_from_four_threads_all_count() {
    const THREADS: u32 = 4;
    const N: u32 = 200_000;
    let mem = Arc::new(SharedMemory::new(shared_type(), u64::MAX));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let mem = mem.clone();
            std::thread::spawn(move || {
                let mut a = Agent::new(mem);
                a.call("add", &[Val::I32(N)]).unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut a = Agent::new(mem.clone());
    assert_eq!(a.call("get", &[]).unwrap(), vec![Val::I32(THREADS * N)]);
    assert_eq!(mem.atomic_load(0, 4), Ok(u64::from(THREADS * N)));
}

#[test]
fn wait_notify_handshake_passes_a_message() {
    let mem = Arc::new(SharedMemory::new(shared_type(), u64::MAX));
    let waiter = {
        let mem = mem.clone();
        std::thread::spawn(move || {
            let mut a = Agent::new(mem);
            let woke = a.call("wait", &[]).unwrap();
            let data = a.call("data", &[]).unwrap();
            (woke, data)
        })
    };
    let mut b = Agent::new(mem);
    b.call("put", &[Val::I32(42)]).unwrap();
    // Notify until the waiter was woken: it may not be waiting yet.
    let mut spins = 0u64;
    while b.call("notify", &[]).unwrap() != vec![Val::I32(1)] {
        spins += 1;
        std::thread::yield_now();
    }
    let (woke, data) = waiter.join().unwrap();
    assert_eq!(
        woke,
        vec![Val::I32(0)],
        "woken: ok (after {spins} empty notifies)"
    );
    assert_eq!(data, vec![Val::I32(42)]);
}

#[test]
fn wait_results_not_equal_and_timed_out() {
    let mem = Arc::new(SharedMemory::new(shared_type(), u64::MAX));
    let mut a = Agent::new(mem.clone());
    // The value is 0: a zero timeout times out at once, a short one too.
    assert_eq!(
        a.call("wait_for", &[Val::I64(0)]).unwrap(),
        vec![Val::I32(2)]
    );
    assert_eq!(
        a.call("wait_for", &[Val::I64(1_000_000)]).unwrap(),
        vec![Val::I32(2)]
    );
    // Nobody waits: notify wakes none.
    assert_eq!(a.call("notify", &[]).unwrap(), vec![Val::I32(0)]);
    mem.atomic_store(8, 4, 5).unwrap();
    assert_eq!(
        a.call("wait_for", &[Val::I64(u64::MAX)]).unwrap(),
        vec![Val::I32(1)]
    );
    assert_eq!(mem.atomic_load(6, 4), Err(Trap::UnalignedAtomic));
    assert_eq!(mem.atomic_load(65536, 4), Err(Trap::MemoryOutOfBounds));
    // Alignment is checked before bounds.
    assert_eq!(mem.atomic_load(65535, 4), Err(Trap::UnalignedAtomic));
}

#[test]
fn wait_on_unshared_memory_traps_and_notify_returns_zero() {
    let f = Features::latest();
    let bytes = module(0x01, &funcs());
    let valid = validate_module(&decode_module(&bytes, &f).unwrap(), &f).unwrap();
    let mut store = Store::new(Config::default());
    let m = store.alloc_mem(MemType::new(1, Some(1)));
    let inst = store.instantiate(&valid, &[ExternVal::Mem(m)]).unwrap();
    let mut a = Agent { store, inst };
    assert_eq!(a.call("wait", &[]), Err(Trap::ExpectedSharedMemory));
    assert_eq!(
        Trap::ExpectedSharedMemory.to_string(),
        "expected shared memory"
    );
    assert_eq!(a.call("notify", &[]).unwrap(), vec![Val::I32(0)]);
    a.call("add", &[Val::I32(3)]).unwrap();
    assert_eq!(a.call("get", &[]).unwrap(), vec![Val::I32(3)]);
}

#[test]
fn concurrent_byte_stores_never_lose_a_neighbour() {
    // Four threads store to four bytes of one word; a store that rewrote the
    // whole word from a stale copy would lose a neighbour's last byte.
    const N: u32 = 50_000;
    let mem = Arc::new(SharedMemory::new(shared_type(), u64::MAX));
    let handles: Vec<_> = (0..4u32)
        .map(|k| {
            let mem = mem.clone();
            std::thread::spawn(move || {
                let mut a = Agent::new(mem);
                a.call("bytes", &[Val::I32(32 + k), Val::I32(N)]).unwrap();
                // The last store of each thread writes n = 1.
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut b = [0u8; 4];
    mem.read(32, &mut b).unwrap();
    assert_eq!(b, [1, 1, 1, 1]);
}

#[test]
fn grow_is_seen_by_every_store_and_capped_by_the_maximum() {
    let ty = MemType {
        shared: true,
        ..MemType::new(1, Some(2))
    };
    let mem = Arc::new(SharedMemory::new(ty, u64::MAX));
    let mut s1 = Store::new(Config::default());
    let mut s2 = Store::new(Config::default());
    let m1 = s1.import_shared_memory(mem.clone());
    let m2 = s2.import_shared_memory(mem.clone());
    assert_eq!(mem.grow(1, u64::MAX), Some(1));
    assert_eq!(mem.grow(1, u64::MAX), None, "beyond the maximum");
    assert_eq!(s2.memory_len(m2), 2 * 65536);
    s1.memory_write(m1, 70_000, b"hi").unwrap();
    let mut b = [0u8; 2];
    s2.memory_read(m2, 70_000, &mut b).unwrap();
    assert_eq!(&b, b"hi");
    assert_eq!(s2.memory_to_vec(m2).len(), 2 * 65536);
    // A shared memory lends no slice.
    assert!(s2.memory_data(m2).is_empty());
    assert_eq!(
        s2.memory_write(m2, 2 * 65536 - 1, b"xy"),
        Err(Trap::MemoryOutOfBounds)
    );
}

/// A module with one function `f: [] -> []` of `body`, over memory `mem`
/// given as its memory type bytes (limits flags, min, max).
fn one_func(mem: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = vec![0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    section(1, &[1, 0x60, 0, 0], &mut m);
    section(3, &[1, 0], &mut m);
    let mut c = vec![1];
    c.extend_from_slice(mem);
    section(5, &c, &mut m);
    let mut c = vec![1];
    let mut b = vec![0];
    b.extend_from_slice(body);
    leb(b.len() as u32, &mut c);
    c.extend_from_slice(&b);
    section(10, &c, &mut m);
    m
}

fn check(bytes: &[u8], f: &Features) -> Result<(), String> {
    let m = decode_module(bytes, f).map_err(|e| format!("malformed: {e}"))?;
    validate_module(&m, f)
        .map(|_| ())
        .map_err(|e| format!("invalid: {e}"))
}

#[test]
fn validation_follows_the_threads_rules() {
    let latest = Features::latest();
    // (i32.atomic.load align=N (i32.const 0)) drop
    let load = |align: u8| vec![0x41, 0, 0xfe, 0x10, align, 0, 0x1a, 0x0b];
    assert_eq!(check(&one_func(&[3, 1, 1], &load(2)), &latest), Ok(()));
    for align in [0, 1, 3] {
        assert_eq!(
            check(&one_func(&[3, 1, 1], &load(align)), &latest),
            Err("invalid: atomic alignment must be natural".into()),
            "align {align}"
        );
    }
    // Atomics are valid on an unshared memory, and need a memory at all.
    assert_eq!(check(&one_func(&[1, 1, 1], &load(2)), &latest), Ok(()));
    // A shared memory declares its maximum.
    assert_eq!(
        check(&one_func(&[2, 1], &[0x0b]), &latest),
        Err("invalid: shared memory must have maximum".into())
    );
    // atomic.fence has a zero byte.
    assert_eq!(
        check(&one_func(&[1, 1, 1], &[0xfe, 0x03, 0x00, 0x0b]), &latest),
        Ok(())
    );
    assert!(
        check(&one_func(&[1, 1, 1], &[0xfe, 0x03, 0x01, 0x0b]), &latest)
            .is_err_and(|e| e.starts_with("malformed")),
    );
}

#[test]
fn without_threads_the_flag_and_prefix_stay_malformed() {
    let v3 = Features::v3();
    let load = [0x41, 0, 0xfe, 0x10, 2, 0, 0x1a, 0x0b];
    assert!(
        check(&one_func(&[3, 1, 1], &[0x0b]), &v3)
            .is_err_and(|e| e.starts_with("malformed: malformed limits flags")),
    );
    assert!(
        check(&one_func(&[1, 1, 1], &load), &v3)
            .is_err_and(|e| e.starts_with("malformed: illegal opcode fe")),
        "{:?}",
        check(&one_func(&[1, 1, 1], &load), &v3)
    );
}
