//! Lowering a [`Program`] to a WASI command module with wasm-encoder.
//!
//! Each step is a function `$sN` that makes its call(s) and prints one line
//! on stdout: the step number, then per call its errno and its outputs as
//! unsigned decimals or lower-case hex blobs (`-` for an empty one), space
//! separated. All operands are constants placed by data segments except
//! descriptors from slots, loaded when the call is made. Memory (two pages):
//!
//! | range | use |
//! |---|---|
//! | `0x0000..0x00f0` | result pointers of the calls (`RES`) |
//! | `0x00f0..0x0100` | the iovec and count of the line printer |
//! | `0x0100..0x0120` | descriptor slots (`SLOTS_AT`), 4 bytes each |
//! | `0x0140..0x0150` | hex digits |
//! | `0x0200..0x0220` | decimal digit scratch |
//! | `0x1000..0x5000` | the line being printed (`OUT`) |
//! | `0x5000..0x10000` | operand pool (paths, data, iovecs, subscriptions) |
//! | `0x10000..0x20000` | I/O buffer (`IOBUF`) |

use super::program::{Bad, Fd, Path, Program, SLOTS, Step, Sub};
use reference_vm::wasi::FUNCTIONS;
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, IndirectNameMap, MemArg, MemoryType,
    Module, NameMap, NameSection, TypeSection, ValType,
};

/// Result pointers.
pub const RES: u32 = 0x0000;
const FLUSH_IOV: u32 = 0x00f0;
const FLUSH_NWRITTEN: u32 = 0x00f8;
/// Descriptor slots.
pub const SLOTS_AT: u32 = 0x0100;
const HEX: u32 = 0x0140;
const DIGITS_END: u32 = 0x0220;
const OUT: u32 = 0x1000;
const POOL: u32 = 0x5000;
const POOL_END: u32 = 0x10000;
/// The I/O buffer.
pub const IOBUF: u32 = 0x10000;
/// End of memory.
pub const MEM_END: u32 = 0x20000;
/// Blobs are printed up to this many bytes.
const BLOB_CAP: u32 = 4096;
/// The value an empty slot holds: a descriptor no host hands out this early.
pub const EMPTY_SLOT: u32 = 1000;

/// An operand.
#[derive(Debug, Clone, Copy)]
enum Arg {
    I32(u32),
    I64(u64),
    Fd(Fd),
}

/// How an output is compared (see `compare`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// A number compared as is.
    Num,
    /// A number no two hosts need agree on (clock readings).
    Ignore,
    /// Bytes compared as is.
    Bytes,
    /// A witx `filestat`.
    Filestat,
    /// A witx `fdstat`.
    Fdstat,
    /// `fd_readdir` output for a buffer of this size.
    Dirents(u32),
    /// `poll_oneoff` events.
    Events,
    /// A witx `prestat`.
    Prestat,
}

/// What is printed after an errno.
#[derive(Debug, Clone, Copy)]
enum Val {
    U32(u32),
    U64(u32),
    /// `len` bytes at an address.
    Blob(u32, u32),
    /// At most `cap` bytes, as many as the u32 at the second address says.
    BlobAt(u32, u32, u32),
}

/// One WASI call of a step.
#[derive(Debug, Clone)]
pub struct Call {
    /// The function.
    pub func: &'static str,
    args: Vec<Arg>,
    /// Descriptors stored into the pool before the call (poll subscriptions).
    pre: Vec<(u32, Fd)>,
    outs: Vec<(Val, Show)>,
    /// On success, the u32 at this address goes to this slot.
    save: Option<(u32, u8)>,
}

impl Call {
    fn new(func: &'static str, args: Vec<Arg>) -> Call {
        Call {
            func,
            args,
            pre: Vec::new(),
            outs: Vec::new(),
            save: None,
        }
    }
    fn out(mut self, v: Val, s: Show) -> Call {
        self.outs.push((v, s));
        self
    }
    /// How each printed output of this call is compared.
    pub fn shows(&self) -> Vec<Show> {
        self.outs.iter().map(|(_, s)| *s).collect()
    }
}

/// The operand pool: constants in guest memory.
struct Pool {
    bytes: Vec<u8>,
}

impl Pool {
    fn put(&mut self, b: &[u8]) -> u32 {
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
        let at = POOL + self.bytes.len() as u32;
        self.bytes.extend_from_slice(b);
        at
    }
    fn path(&mut self, p: &Path) -> (Arg, Arg) {
        let len = p.bytes.len() as u32;
        match p.bad {
            None => (Arg::I32(self.put(&p.bytes)), Arg::I32(len)),
            Some(Bad::OutOfBounds) => (Arg::I32(0xffff_ff00), Arg::I32(len)),
            Some(Bad::Straddle) => (Arg::I32(MEM_END - 2), Arg::I32(len.max(3) + 8)),
        }
    }
    fn iovs(&mut self, list: &[(u32, u32)]) -> u32 {
        let mut b = Vec::new();
        for (p, l) in list {
            b.extend_from_slice(&p.to_le_bytes());
            b.extend_from_slice(&l.to_le_bytes());
        }
        self.put(&b)
    }
}

/// The pool bytes a step needs at most (to keep programs inside the pool).
pub fn pool_need(step: &Step) -> usize {
    let p = |p: &Path| p.bytes.len() + 8;
    64 + match step {
        Step::Open { path, .. }
        | Step::PathFilestat { path, .. }
        | Step::PathTimes { path, .. }
        | Step::Mkdir { path, .. }
        | Step::Rmdir { path, .. }
        | Step::Unlink { path, .. }
        | Step::Readlink { path, .. } => p(path),
        Step::Symlink { target, path, .. } => p(target) + p(path),
        Step::Link { path, path2, .. } | Step::Rename { path, path2, .. } => p(path) + p(path2),
        Step::Write { data, .. } => data.len() + 8,
        Step::Poll { subs } => 48 * subs.len(),
        _ => 0,
    }
}

/// Room for operands.
pub const POOL_SIZE: usize = (POOL_END - POOL) as usize;

/// The calls of one step (operands placed in `pool`).
fn lower(step: &Step, pool: &mut Pool) -> Vec<Call> {
    use Arg::{Fd as F, I32, I64};
    use Show::*;
    let res = Val::U32(RES);
    match step {
        Step::Open {
            dir,
            lookup,
            path,
            oflags,
            base,
            inheriting,
            fdflags,
            slot,
        } => {
            let (p, l) = pool.path(path);
            let mut c = Call::new(
                "path_open",
                vec![
                    F(*dir),
                    I32(*lookup),
                    p,
                    l,
                    I32(u32::from(*oflags)),
                    I64(*base),
                    I64(*inheriting),
                    I32(u32::from(*fdflags)),
                    I32(RES),
                ],
            );
            c.save = Some((RES, *slot % SLOTS));
            vec![c]
        }
        Step::Read { fd, iovs, at, bad } => {
            let mut list = Vec::new();
            let mut off = IOBUF;
            for l in iovs {
                list.push((off, *l));
                off += l;
            }
            if bad == &Some(Bad::Straddle)
                && let Some(last) = list.last_mut()
            {
                *last = (MEM_END - 4, 64);
            }
            let iov = if bad == &Some(Bad::OutOfBounds) {
                0xffff_fff0
            } else {
                pool.iovs(&list)
            };
            let n = list.len() as u32;
            let c = match at {
                None => Call::new(step.name(), vec![F(*fd), I32(iov), I32(n), I32(RES)]),
                Some(o) => Call::new(
                    step.name(),
                    vec![F(*fd), I32(iov), I32(n), I64(*o), I32(RES)],
                ),
            };
            vec![
                c.out(res, Num)
                    .out(Val::BlobAt(IOBUF, RES, BLOB_CAP), Bytes),
            ]
        }
        Step::Write {
            fd,
            data,
            split,
            at,
            bad,
        } => {
            let d = pool.put(data);
            let s = (*split).min(data.len() as u32);
            let mut list = vec![(d, s), (d + s, data.len() as u32 - s)];
            if bad == &Some(Bad::Straddle) {
                list[1] = (MEM_END - 4, 64);
            }
            let iov = if bad == &Some(Bad::OutOfBounds) {
                0xffff_fff0
            } else {
                pool.iovs(&list)
            };
            let c = match at {
                None => Call::new(step.name(), vec![F(*fd), I32(iov), I32(2), I32(RES)]),
                Some(o) => Call::new(
                    step.name(),
                    vec![F(*fd), I32(iov), I32(2), I64(*o), I32(RES)],
                ),
            };
            vec![c.out(res, Num)]
        }
        Step::Seek { fd, offset, whence } => vec![
            Call::new(
                "fd_seek",
                vec![
                    F(*fd),
                    I64(*offset as u64),
                    I32(u32::from(*whence)),
                    I32(RES),
                ],
            )
            .out(Val::U64(RES), Num),
        ],
        Step::Tell { fd } => {
            vec![Call::new("fd_tell", vec![F(*fd), I32(RES)]).out(Val::U64(RES), Num)]
        }
        Step::Readdir {
            fd,
            buflen,
            cookie,
            bad,
        } => {
            let buf = match bad {
                None => IOBUF,
                Some(Bad::OutOfBounds) => 0xffff_ff00,
                Some(Bad::Straddle) => MEM_END - 8,
            };
            vec![
                Call::new(
                    "fd_readdir",
                    vec![F(*fd), I32(buf), I32(*buflen), I64(*cookie), I32(RES)],
                )
                .out(res, Num)
                .out(
                    Val::BlobAt(IOBUF, RES, BLOB_CAP.min(*buflen)),
                    Dirents(*buflen),
                ),
            ]
        }
        Step::FdFilestat { fd } => vec![
            Call::new("fd_filestat_get", vec![F(*fd), I32(RES)]).out(Val::Blob(RES, 64), Filestat),
        ],
        Step::FdFdstat { fd } => {
            vec![Call::new("fd_fdstat_get", vec![F(*fd), I32(RES)]).out(Val::Blob(RES, 24), Fdstat)]
        }
        Step::SetFlags { fd, flags } => vec![Call::new(
            "fd_fdstat_set_flags",
            vec![F(*fd), I32(u32::from(*flags))],
        )],
        Step::SetRights {
            fd,
            base,
            inheriting,
        } => vec![Call::new(
            "fd_fdstat_set_rights",
            vec![F(*fd), I64(*base), I64(*inheriting)],
        )],
        Step::SetSize { fd, size } => {
            vec![Call::new("fd_filestat_set_size", vec![F(*fd), I64(*size)])]
        }
        Step::FdTimes {
            fd,
            atim,
            mtim,
            fst,
        } => vec![Call::new(
            "fd_filestat_set_times",
            vec![F(*fd), I64(*atim), I64(*mtim), I32(u32::from(*fst))],
        )],
        Step::Allocate { fd, offset, len } => {
            vec![Call::new(
                "fd_allocate",
                vec![F(*fd), I64(*offset), I64(*len)],
            )]
        }
        Step::Advise {
            fd,
            offset,
            len,
            advice,
        } => vec![Call::new(
            "fd_advise",
            vec![F(*fd), I64(*offset), I64(*len), I32(u32::from(*advice))],
        )],
        Step::Sync { fd, .. } => vec![Call::new(step.name(), vec![F(*fd)])],
        Step::PathFilestat { dir, lookup, path } => {
            let (p, l) = pool.path(path);
            vec![
                Call::new(
                    "path_filestat_get",
                    vec![F(*dir), I32(*lookup), p, l, I32(RES)],
                )
                .out(Val::Blob(RES, 64), Filestat),
            ]
        }
        Step::PathTimes {
            dir,
            lookup,
            path,
            atim,
            mtim,
            fst,
        } => {
            let (p, l) = pool.path(path);
            vec![Call::new(
                "path_filestat_set_times",
                vec![
                    F(*dir),
                    I32(*lookup),
                    p,
                    l,
                    I64(*atim),
                    I64(*mtim),
                    I32(u32::from(*fst)),
                ],
            )]
        }
        Step::Mkdir { dir, path } | Step::Rmdir { dir, path } | Step::Unlink { dir, path } => {
            let (p, l) = pool.path(path);
            vec![Call::new(step.name(), vec![F(*dir), p, l])]
        }
        Step::Symlink { target, dir, path } => {
            let (t, tl) = pool.path(target);
            let (p, l) = pool.path(path);
            vec![Call::new("path_symlink", vec![t, tl, F(*dir), p, l])]
        }
        Step::Readlink { dir, path, buflen } => {
            let (p, l) = pool.path(path);
            vec![
                Call::new(
                    "path_readlink",
                    vec![F(*dir), p, l, I32(IOBUF), I32(*buflen), I32(RES)],
                )
                .out(res, Num)
                .out(Val::BlobAt(IOBUF, RES, (*buflen).min(BLOB_CAP)), Bytes),
            ]
        }
        Step::Link {
            dir,
            lookup,
            path,
            dir2,
            path2,
        } => {
            let (p, l) = pool.path(path);
            let (p2, l2) = pool.path(path2);
            vec![Call::new(
                "path_link",
                vec![F(*dir), I32(*lookup), p, l, F(*dir2), p2, l2],
            )]
        }
        Step::Rename {
            dir,
            path,
            dir2,
            path2,
        } => {
            let (p, l) = pool.path(path);
            let (p2, l2) = pool.path(path2);
            vec![Call::new(
                "path_rename",
                vec![F(*dir), p, l, F(*dir2), p2, l2],
            )]
        }
        Step::Renumber { from, to } => vec![Call::new("fd_renumber", vec![F(*from), F(*to)])],
        Step::Close { fd } => vec![Call::new("fd_close", vec![F(*fd)])],
        Step::Prestat { fd, name_len } => vec![
            Call::new("fd_prestat_get", vec![F(*fd), I32(RES)]).out(Val::Blob(RES, 8), Prestat),
            Call::new(
                "fd_prestat_dir_name",
                vec![F(*fd), I32(IOBUF), I32(*name_len)],
            )
            .out(Val::BlobAt(IOBUF, RES + 4, (*name_len).min(64)), Bytes),
        ],
        Step::Poll { subs } => {
            let mut bytes = Vec::new();
            let mut pre = Vec::new();
            for (i, s) in subs.iter().enumerate() {
                let mut b = [0u8; 48];
                b[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                match s {
                    Sub::Clock { id, timeout, flags } => {
                        b[8] = 0;
                        b[16..20].copy_from_slice(&id.to_le_bytes());
                        b[24..32].copy_from_slice(&timeout.to_le_bytes());
                        b[40..42].copy_from_slice(&flags.to_le_bytes());
                    }
                    Sub::Fd { fd, write } => {
                        b[8] = if *write { 2 } else { 1 };
                        pre.push((i as u32 * 48 + 16, *fd));
                    }
                }
                bytes.extend_from_slice(&b);
            }
            let at = pool.put(&bytes);
            let n = subs.len() as u32;
            let mut c = Call::new("poll_oneoff", vec![I32(at), I32(IOBUF), I32(n), I32(RES)])
                .out(res, Num)
                .out(Val::BlobAt(IOBUF, RES, 32 * n), Events);
            c.pre = pre.into_iter().map(|(o, fd)| (at + o, fd)).collect();
            vec![c]
        }
        Step::ClockRes { id } => {
            vec![Call::new("clock_res_get", vec![I32(*id), I32(RES)]).out(Val::U64(RES), Ignore)]
        }
        Step::ClockTime { id } => vec![
            Call::new("clock_time_get", vec![I32(*id), I64(0), I32(RES)])
                .out(Val::U64(RES), Ignore),
        ],
        Step::Args | Step::Environ => {
            let (sizes, get) = if matches!(step, Step::Args) {
                ("args_sizes_get", "args_get")
            } else {
                ("environ_sizes_get", "environ_get")
            };
            vec![
                Call::new(sizes, vec![I32(RES), I32(RES + 4)])
                    .out(res, Num)
                    .out(Val::U32(RES + 4), Num),
                Call::new(get, vec![I32(IOBUF), I32(IOBUF + 256)])
                    .out(Val::BlobAt(IOBUF + 256, RES + 4, 1024), Bytes),
            ]
        }
        Step::Random { len } => vec![Call::new("random_get", vec![I32(IOBUF), I32(*len)])],
        Step::Yield => vec![Call::new("sched_yield", vec![])],
    }
}

/// The calls of every step, as the module makes them (for rendering output).
pub fn calls(program: &Program) -> Vec<Vec<Call>> {
    let mut pool = Pool { bytes: Vec::new() };
    program.steps.iter().map(|s| lower(s, &mut pool)).collect()
}

fn mem(offset: u32, align: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align,
        target: wasm_encoder::MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// Encodes the program as a WASI command module (`_start` runs every step).
pub fn encode(program: &Program) -> Vec<u8> {
    let mut pool = Pool { bytes: Vec::new() };
    let lowered: Vec<Vec<Call>> = program.steps.iter().map(|s| lower(s, &mut pool)).collect();
    // The imported functions: fd_write (the printer) and every one used.
    let mut used: Vec<&'static str> = vec!["fd_write"];
    for c in lowered.iter().flatten() {
        if !used.contains(&c.func) {
            used.push(c.func);
        }
    }
    let mut types = TypeSection::new();
    let mut imports = ImportSection::new();
    let mut names = NameMap::new();
    for (i, f) in used.iter().enumerate() {
        let params = FUNCTIONS
            .iter()
            .find(|(n, _)| n == f)
            .map(|(_, p)| *p)
            .unwrap_or("");
        let ps: Vec<ValType> = params
            .chars()
            .map(|c| if c == 'i' { ValType::I32 } else { ValType::I64 })
            .collect();
        types.ty().function(ps, [ValType::I32]);
        imports.import("wasi_snapshot_preview1", f, EntityType::Function(i as u32));
        names.append(i as u32, f);
    }
    let import_of = |f: &str| used.iter().position(|u| *u == f).unwrap_or(0) as u32;
    let nimports = used.len() as u32;
    // Local types: [] -> [], (i64) -> [], (i32, i32) -> [].
    let t_void = used.len() as u32;
    types.ty().function([], []);
    let t_i64 = t_void + 1;
    types.ty().function([ValType::I64], []);
    let t_ii = t_void + 2;
    types.ty().function([ValType::I32, ValType::I32], []);
    let f_dec = nimports;
    let f_hex = nimports + 1;
    let f_flush = nimports + 2;
    let f_start = nimports + 3;
    let f_step0 = nimports + 4;
    names.append(f_dec, "out_dec");
    names.append(f_hex, "out_hex");
    names.append(f_flush, "flush");
    names.append(f_start, "_start");

    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    let pos = 0u32; // global index
    let m0 = mem(0, 0);

    // out_dec(v: i64): " " then the decimal digits of v.
    funcs.function(t_i64);
    let mut f = Function::new([(1, ValType::I32)]);
    {
        let (v, p) = (0u32, 1u32);
        let mut s = f.instructions();
        s.i32_const(DIGITS_END as i32).local_set(p);
        s.loop_(wasm_encoder::BlockType::Empty);
        s.local_get(p).i32_const(1).i32_sub().local_tee(p);
        s.local_get(v).i64_const(10).i64_rem_u().i32_wrap_i64();
        s.i32_const(48).i32_add().i32_store8(m0);
        s.local_get(v).i64_const(10).i64_div_u().local_tee(v);
        s.i64_const(0).i64_ne().br_if(0).end();
        s.global_get(pos).i32_const(32).i32_store8(mem(OUT, 0));
        s.global_get(pos).i32_const(1).i32_add().global_set(pos);
        s.loop_(wasm_encoder::BlockType::Empty);
        s.global_get(pos)
            .local_get(p)
            .i32_load8_u(m0)
            .i32_store8(mem(OUT, 0));
        s.global_get(pos).i32_const(1).i32_add().global_set(pos);
        s.local_get(p).i32_const(1).i32_add().local_tee(p);
        s.i32_const(DIGITS_END as i32).i32_lt_u().br_if(0).end();
        s.end();
    }
    code.function(&f);

    // out_hex(ptr, len): " " then two hex digits per byte, or "-".
    funcs.function(t_ii);
    let mut f = Function::new([]);
    {
        let (ptr, len) = (0u32, 1u32);
        let mut s = f.instructions();
        s.global_get(pos).i32_const(32).i32_store8(mem(OUT, 0));
        s.global_get(pos).i32_const(1).i32_add().global_set(pos);
        s.local_get(len)
            .i32_eqz()
            .if_(wasm_encoder::BlockType::Empty);
        s.global_get(pos).i32_const(45).i32_store8(mem(OUT, 0));
        s.global_get(pos).i32_const(1).i32_add().global_set(pos);
        s.return_().end();
        s.loop_(wasm_encoder::BlockType::Empty);
        s.global_get(pos)
            .local_get(ptr)
            .i32_load8_u(m0)
            .i32_const(4)
            .i32_shr_u();
        s.i32_load8_u(mem(HEX, 0)).i32_store8(mem(OUT, 0));
        s.global_get(pos)
            .local_get(ptr)
            .i32_load8_u(m0)
            .i32_const(15)
            .i32_and();
        s.i32_load8_u(mem(HEX, 0)).i32_store8(mem(OUT + 1, 0));
        s.global_get(pos).i32_const(2).i32_add().global_set(pos);
        s.local_get(ptr).i32_const(1).i32_add().local_set(ptr);
        s.local_get(len)
            .i32_const(1)
            .i32_sub()
            .local_tee(len)
            .br_if(0);
        s.end();
        s.end();
    }
    code.function(&f);

    // flush(): "\n", then fd_write(1, [OUT, pos]).
    funcs.function(t_void);
    let mut f = Function::new([]);
    {
        let mut s = f.instructions();
        s.global_get(pos).i32_const(10).i32_store8(mem(OUT, 0));
        s.i32_const(FLUSH_IOV as i32)
            .i32_const(OUT as i32)
            .i32_store(mem(0, 2));
        s.i32_const(FLUSH_IOV as i32)
            .global_get(pos)
            .i32_const(1)
            .i32_add();
        s.i32_store(mem(4, 2));
        s.i32_const(1).i32_const(FLUSH_IOV as i32).i32_const(1);
        s.i32_const(FLUSH_NWRITTEN as i32)
            .call(import_of("fd_write"))
            .drop();
        s.i32_const(0).global_set(pos);
        s.end();
    }
    code.function(&f);

    // _start: every step in order.
    funcs.function(t_void);
    let mut f = Function::new([]);
    {
        let mut s = f.instructions();
        for k in 0..lowered.len() as u32 {
            s.call(f_step0 + k);
        }
        s.end();
    }
    code.function(&f);

    let push_fd = |s: &mut wasm_encoder::InstructionSink, fd: Fd| match fd {
        Fd::Pre => {
            s.i32_const(3);
        }
        Fd::Raw(n) => {
            s.i32_const(n as i32);
        }
        Fd::Slot(k) => {
            s.i32_const(0)
                .i32_load(mem(SLOTS_AT + 4 * u32::from(k % SLOTS), 2));
        }
    };
    for (k, (calls, step)) in lowered.iter().zip(&program.steps).enumerate() {
        funcs.function(t_void);
        names.append(f_step0 + k as u32, &format!("s{k}_{}", step.name()));
        // Locals: the errno, a length.
        let mut f = Function::new([(2, ValType::I32)]);
        let (e, t) = (0u32, 1u32);
        let mut s = f.instructions();
        s.i64_const(k as i64).call(f_dec);
        for c in calls {
            for (at, fd) in &c.pre {
                s.i32_const(*at as i32);
                push_fd(&mut s, *fd);
                s.i32_store(mem(0, 2));
            }
            for a in &c.args {
                match a {
                    Arg::I32(v) => {
                        s.i32_const(*v as i32);
                    }
                    Arg::I64(v) => {
                        s.i64_const(*v as i64);
                    }
                    Arg::Fd(fd) => push_fd(&mut s, *fd),
                }
            }
            s.call(import_of(c.func)).local_tee(e);
            s.i64_extend_i32_u().call(f_dec);
            if let Some((at, slot)) = c.save {
                s.local_get(e).i32_eqz().if_(wasm_encoder::BlockType::Empty);
                s.i32_const(0).i32_const(0).i32_load(mem(at, 2));
                s.i32_store(mem(SLOTS_AT + 4 * u32::from(slot), 2)).end();
            }
            for (v, _) in &c.outs {
                match *v {
                    Val::U32(at) => {
                        s.i32_const(0)
                            .i32_load(mem(at, 2))
                            .i64_extend_i32_u()
                            .call(f_dec);
                    }
                    Val::U64(at) => {
                        s.i32_const(0).i64_load(mem(at, 3)).call(f_dec);
                    }
                    Val::Blob(at, n) => {
                        s.i32_const(at as i32).i32_const(n as i32).call(f_hex);
                    }
                    Val::BlobAt(at, len_at, cap) => {
                        s.i32_const(at as i32);
                        s.i32_const(0).i32_load(mem(len_at, 2)).local_tee(t);
                        s.i32_const(cap as i32).local_get(t).i32_const(cap as i32);
                        s.i32_lt_u().select().call(f_hex);
                    }
                }
            }
        }
        s.call(f_flush).end();
        code.function(&f);
    }

    let mut module = Module::new();
    module.section(&types);
    module.section(&imports);
    module.section(&funcs);
    let mut memories = wasm_encoder::MemorySection::new();
    memories.memory(MemoryType {
        minimum: u64::from(MEM_END / 0x10000),
        maximum: Some(u64::from(MEM_END / 0x10000)),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(0),
    );
    module.section(&globals);
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("_start", ExportKind::Func, f_start);
    module.section(&exports);
    module.section(&code);
    let mut data = DataSection::new();
    let slots: Vec<u8> = (0..SLOTS).flat_map(|_| EMPTY_SLOT.to_le_bytes()).collect();
    data.active(0, &ConstExpr::i32_const(SLOTS_AT as i32), slots);
    data.active(
        0,
        &ConstExpr::i32_const(HEX as i32),
        b"0123456789abcdef".iter().copied(),
    );
    if !pool.bytes.is_empty() {
        data.active(
            0,
            &ConstExpr::i32_const(POOL as i32),
            pool.bytes.iter().copied(),
        );
    }
    module.section(&data);
    let mut ns = NameSection::new();
    ns.functions(&names);
    let mut locals = IndirectNameMap::new();
    let mut l = NameMap::new();
    l.append(0, "v");
    l.append(1, "p");
    locals.append(f_dec, &l);
    ns.locals(&locals);
    module.section(&ns);
    module.finish()
}
