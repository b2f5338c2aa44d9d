//! Unit tests of the WASI host on a plain byte slice as guest memory.

use super::memfs::MemFs;
use super::types::{errno, oflags, rights};
use super::*;

const MEM: usize = 65536;

struct Guest {
    ctx: WasiCtx,
    mem: Vec<u8>,
}

impl Guest {
    fn new(ctx: WasiCtx) -> Guest {
        Guest {
            ctx,
            mem: vec![0; MEM],
        }
    }
    fn call(&mut self, f: &str, args: &[u64]) -> u32 {
        self.ctx.call(f, args, &mut self.mem).expect("no exit")
    }
    fn put(&mut self, at: u32, bytes: &[u8]) -> (u64, u64) {
        self.mem[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        (at as u64, bytes.len() as u64)
    }
    fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.mem[at as usize..at as usize + 4].try_into().unwrap())
    }
    fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.mem[at as usize..at as usize + 8].try_into().unwrap())
    }
    /// path_open on `dir` with all rights; returns (errno, fd).
    fn open(&mut self, dir: u32, path: &[u8], of: u16, follow: bool) -> (u32, u32) {
        let (p, l) = self.put(1000, path);
        let base = if of & oflags::DIRECTORY != 0 {
            rights::DIRECTORY_BASE
        } else {
            rights::ALL
        };
        let e = self.call(
            "path_open",
            &[
                dir as u64,
                follow as u64,
                p,
                l,
                of as u64,
                base,
                rights::ALL,
                0,
                900,
            ],
        );
        (e, self.u32_at(900))
    }
    fn path_op(&mut self, f: &str, dir: u32, path: &[u8]) -> u32 {
        let (p, l) = self.put(1000, path);
        self.call(f, &[dir as u64, p, l])
    }
    fn symlink(&mut self, target: &[u8], dir: u32, link: &[u8]) -> u32 {
        let (t, tl) = self.put(2000, target);
        let (p, l) = self.put(3000, link);
        self.call("path_symlink", &[t, tl, dir as u64, p, l])
    }
    fn write_fd(&mut self, fd: u32, data: &[u8]) -> u32 {
        let (p, l) = self.put(4000, data);
        self.put(100, &(p as u32).to_le_bytes());
        self.put(104, &(l as u32).to_le_bytes());
        self.call("fd_write", &[fd as u64, 100, 1, 120])
    }
}

fn mem_guest() -> (Guest, MemFs) {
    let fs = MemFs::new();
    let d = fs.load_host_dir(std::path::Path::new("/nonexistent-wasi-test"), "x");
    assert!(d.is_err());
    let fs = MemFs::new();
    let ctx = WasiCtx::builder()
        .arg("prog")
        .preopen(Box::new(fs.root()), "sandbox")
        .clock(Clock::Deterministic {
            start_ns: 1000,
            step_ns: 10,
        })
        .random(RandomSource::Seeded(7))
        .build();
    (Guest::new(ctx), fs)
}

#[test]
fn signatures_cover_46_functions() {
    assert_eq!(FUNCTIONS.len(), 46);
    assert_eq!(signature("proc_exit"), Some(("i", false)));
    assert_eq!(signature("path_open"), Some(("iiiiiIIii", true)));
}

#[test]
fn args_and_environ() {
    let ctx = WasiCtx::builder()
        .args(["prog", "a b"])
        .env("K", "V")
        .build();
    let mut g = Guest::new(ctx);
    assert_eq!(g.call("args_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 9));
    assert_eq!(g.call("args_get", &[100, 200]), 0);
    assert_eq!(&g.mem[200..209], b"prog\0a b\0");
    assert_eq!(g.u32_at(104), 205);
    assert_eq!(g.call("environ_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (1, 4));
    // Buffers out of bounds are FAULT, never a panic.
    assert_eq!(
        g.call("args_get", &[MEM as u64 - 4, 200]),
        errno::FAULT as u32
    );
    assert_eq!(
        g.call("args_get", &[100, MEM as u64 - 3]),
        errno::FAULT as u32
    );
    assert_eq!(
        g.call("args_sizes_get", &[u32::MAX as u64, 0]),
        errno::FAULT as u32
    );
}

#[test]
fn proc_exit_and_unknown_function() {
    let mut g = Guest::new(WasiCtx::builder().build());
    assert_eq!(
        g.ctx.call("proc_exit", &[3], &mut g.mem),
        Err(WasiExit::Exit(3))
    );
    assert_eq!(g.ctx.exit_code(), Some(3));
    assert!(matches!(
        g.ctx.call("nope", &[], &mut g.mem),
        Err(WasiExit::Trap(_))
    ));
    assert!(matches!(
        g.ctx.call("fd_close", &[], &mut g.mem),
        Err(WasiExit::Trap(_))
    ));
}

#[test]
fn stdout_capture_with_cap() {
    let (sink, h) = OutputSink::capture(4);
    let mut g = Guest::new(WasiCtx::builder().stdout(sink).build());
    assert_eq!(g.write_fd(1, b"hello"), 0);
    assert_eq!(g.u32_at(120), 5);
    let c = h.lock().unwrap();
    assert_eq!(c.bytes, b"hell");
    assert!(c.truncated);
}

#[test]
fn iovec_bounds_and_caps() {
    let (sink, _h) = OutputSink::capture(100);
    let mut g = Guest::new(WasiCtx::builder().stdout(sink).build());
    // iovec pointing past the end of memory.
    g.put(100, &(MEM as u32 - 2).to_le_bytes());
    g.put(104, &8u32.to_le_bytes());
    assert_eq!(g.call("fd_write", &[1, 100, 1, 120]), errno::FAULT as u32);
    // A wrapping length.
    g.put(100, &(MEM as u32 - 2).to_le_bytes());
    g.put(104, &u32::MAX.to_le_bytes());
    assert_eq!(g.call("fd_write", &[1, 100, 1, 120]), errno::FAULT as u32);
    // A huge iovec count is refused before anything is read.
    assert_eq!(
        g.call("fd_write", &[1, 100, 1 << 30, 120]),
        errno::INVAL as u32
    );
    // The iovec array itself out of bounds.
    assert_eq!(
        g.call("fd_write", &[1, MEM as u64 - 4, 1, 120]),
        errno::FAULT as u32
    );
}

#[test]
fn random_get_bounds_and_determinism() {
    let mk = || Guest::new(WasiCtx::builder().random(RandomSource::Seeded(1)).build());
    let (mut a, mut b) = (mk(), mk());
    assert_eq!(a.call("random_get", &[0, 64]), 0);
    assert_eq!(b.call("random_get", &[0, 64]), 0);
    assert_eq!(a.mem[..64], b.mem[..64]);
    assert_ne!(a.mem[..64], [0u8; 64]);
    // A 4 GiB request on a 64 KiB memory is FAULT without allocating.
    assert_eq!(
        a.call("random_get", &[0, u32::MAX as u64]),
        errno::FAULT as u32
    );
    assert_eq!(a.call("random_get", &[MEM as u64, 0]), 0);
}

#[test]
fn clocks_deterministic() {
    let (mut g, _) = mem_guest();
    assert_eq!(g.call("clock_time_get", &[1, 0, 0]), 0);
    assert_eq!(g.u64_at(0), 1000);
    assert_eq!(g.call("clock_time_get", &[0, 0, 0]), 0);
    assert_eq!(g.u64_at(0), 1010);
    assert_eq!(g.call("clock_time_get", &[9, 0, 0]), errno::INVAL as u32);
    assert_eq!(g.call("clock_res_get", &[1, 0]), 0);
}

#[test]
fn fd_table_abuse() {
    let (mut g, _) = mem_guest();
    // renumber onto itself keeps the descriptor open.
    assert_eq!(g.call("fd_renumber", &[3, 3]), 0);
    assert_eq!(g.call("fd_fdstat_get", &[3, 0]), 0);
    // renumber onto a closed or huge number is BADF.
    assert_eq!(g.call("fd_renumber", &[3, 1 << 31]), errno::BADF as u32);
    assert_eq!(g.call("fd_renumber", &[77, 3]), errno::BADF as u32);
    assert_eq!(g.call("fd_close", &[u32::MAX as u64]), errno::BADF as u32);
    // renumber onto stdout replaces it.
    assert_eq!(g.call("fd_renumber", &[3, 1]), 0);
    assert_eq!(g.call("fd_prestat_get", &[1, 0]), 0);
    assert_eq!(g.call("fd_prestat_get", &[3, 0]), errno::BADF as u32);
}

#[test]
fn fd_table_cap() {
    let fs = MemFs::new();
    let ctx = WasiCtx::builder()
        .preopen(Box::new(fs.root()), "d")
        .limits(Limits {
            max_fds: 6,
            ..Limits::default()
        })
        .build();
    let mut g = Guest::new(ctx);
    assert_eq!(g.open(3, b".", oflags::DIRECTORY, false).0, 0);
    assert_eq!(g.open(3, b".", oflags::DIRECTORY, false).0, 0);
    assert_eq!(
        g.open(3, b".", oflags::DIRECTORY, false).0,
        errno::MFILE as u32
    );
}

#[test]
fn rights_only_attenuate() {
    let (mut g, _) = mem_guest();
    assert_eq!(
        g.call("fd_fdstat_set_rights", &[3, rights::PATH_OPEN, 0]),
        0
    );
    assert_eq!(
        g.call(
            "fd_fdstat_set_rights",
            &[3, rights::PATH_OPEN | rights::FD_READ, 0]
        ),
        errno::NOTCAPABLE as u32
    );
    assert_eq!(
        g.path_op("path_create_directory", 3, b"d"),
        errno::NOTCAPABLE as u32
    );
}

#[test]
fn paths_nul_utf8_absolute() {
    let (mut g, _) = mem_guest();
    assert_eq!(
        g.open(3, b"a\0b", oflags::CREAT, false).0,
        errno::INVAL as u32
    );
    assert_eq!(
        g.open(3, b"a\xffb", oflags::CREAT, false).0,
        errno::ILSEQ as u32
    );
    assert_eq!(g.open(3, b"/etc/passwd", 0, false).0, errno::PERM as u32);
    assert_eq!(g.open(3, b"", 0, false).0, errno::NOENT as u32);
    assert_eq!(
        g.open(3, &[b'a'; 5000], 0, false).0,
        errno::NAMETOOLONG as u32
    );
    // Path pointer out of bounds.
    let e = g.call("path_open", &[3, 0, MEM as u64 - 1, 4, 0, 0, 0, 0, 900]);
    assert_eq!(e, errno::FAULT as u32);
}

#[test]
fn memfs_dotdot_never_escapes() {
    let (mut g, _) = mem_guest();
    assert_eq!(g.path_op("path_create_directory", 3, b"a"), 0);
    assert_eq!(g.open(3, b"a/../a/.", oflags::DIRECTORY, false).0, 0);
    assert_eq!(
        g.open(3, b"..", oflags::DIRECTORY, false).0,
        errno::PERM as u32
    );
    assert_eq!(
        g.open(3, b"a/../..", oflags::DIRECTORY, false).0,
        errno::PERM as u32
    );
    assert_eq!(
        g.open(3, b"a/../../sandbox", oflags::DIRECTORY, false).0,
        errno::PERM as u32
    );
    // A directory opened below is the root of its own sandbox.
    let (e, sub) = g.open(3, b"a", oflags::DIRECTORY, false);
    assert_eq!(e, 0);
    assert_eq!(
        g.open(sub, b"..", oflags::DIRECTORY, false).0,
        errno::PERM as u32
    );
}

#[test]
fn memfs_symlinks_sandboxed() {
    let (mut g, _) = mem_guest();
    // Absolute targets are refused at creation.
    assert_eq!(g.symlink(b"/etc", 3, b"abs"), errno::PERM as u32);
    assert_eq!(g.symlink(b"../..", 3, b"up"), 0);
    assert_eq!(g.open(3, b"up/x", 0, false).0, errno::PERM as u32);
    // A loop.
    assert_eq!(g.symlink(b"l2", 3, b"l1"), 0);
    assert_eq!(g.symlink(b"l1", 3, b"l2"), 0);
    assert_eq!(g.open(3, b"l1", 0, true).0, errno::LOOP as u32);
    // Without follow, the final symlink itself is refused.
    assert_eq!(g.open(3, b"l1", 0, false).0, errno::LOOP as u32);
    // Chains: 40 expansions resolve, 41 do not.
    g.path_op("path_create_directory", 3, b"target");
    for i in 0..41 {
        let t = if i == 0 {
            "target".to_string()
        } else {
            format!("c{}", i - 1)
        };
        assert_eq!(g.symlink(t.as_bytes(), 3, format!("c{i}").as_bytes()), 0);
    }
    assert_eq!(g.open(3, b"c39", oflags::DIRECTORY, true).0, 0);
    assert_eq!(
        g.open(3, b"c40", oflags::DIRECTORY, true).0,
        errno::LOOP as u32
    );
}

#[test]
fn memfs_files_and_readdir() {
    let (mut g, _) = mem_guest();
    let (e, fd) = g.open(3, b"f", oflags::CREAT, false);
    assert_eq!((e, fd), (0, 4));
    assert_eq!(g.write_fd(fd, b"hello"), 0);
    assert_eq!(g.call("fd_filestat_get", &[fd as u64, 0]), 0);
    assert_eq!(g.u64_at(32), 5);
    // Trailing slash on a file.
    assert_eq!(g.open(3, b"f/", 0, false).0, errno::NOTDIR as u32);
    assert_eq!(g.call("fd_readdir", &[3, 200, 512, 0, 0]), 0);
    let used = g.u32_at(0);
    assert_eq!(used, 24 + 1 + 24 + 2 + 24 + 1);
    assert_eq!(&g.mem[200 + 24..200 + 25], b".");
    // Second entry's cookie, resuming.
    assert_eq!(g.call("fd_readdir", &[3, 200, 512, 2, 0]), 0);
    assert_eq!(g.u32_at(0), 25);
    // A buffer too small is filled completely.
    assert_eq!(g.call("fd_readdir", &[3, 200, 10, 0, 0]), 0);
    assert_eq!(g.u32_at(0), 10);
    // readdir on a file: files never carry the fd_readdir right.
    assert_eq!(
        g.call("fd_readdir", &[fd as u64, 200, 10, 0, 0]),
        errno::NOTCAPABLE as u32
    );
    // Files bigger than the file system are refused without allocating.
    assert_eq!(
        g.call("fd_filestat_set_size", &[fd as u64, 1 << 40]),
        errno::FBIG as u32
    );
    g.put(100, &4000u32.to_le_bytes());
    g.put(104, &1u32.to_le_bytes());
    assert_eq!(
        g.call("fd_pwrite", &[fd as u64, 100, 1, 1 << 40, 120]),
        errno::NOSPC as u32
    );
}

#[test]
fn memfs_deterministic_inodes_and_times() {
    let run = || {
        let (mut g, _) = mem_guest();
        g.open(3, b"f", oflags::CREAT, false);
        let (p, l) = g.put(1000, b"f");
        assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 0]), 0);
        g.mem[..64].to_vec()
    };
    assert_eq!(run(), run());
}

#[test]
fn poll_oneoff_clock_and_fds() {
    let (mut g, _) = mem_guest();
    // One clock subscription, relative 5 ms: virtual time advances, no sleep.
    let mut sub = [0u8; 48];
    sub[0..8].copy_from_slice(&42u64.to_le_bytes());
    sub[8] = 0;
    sub[16..20].copy_from_slice(&1u32.to_le_bytes());
    sub[24..32].copy_from_slice(&5_000_000u64.to_le_bytes());
    g.put(0, &sub);
    assert_eq!(g.call("poll_oneoff", &[0, 100, 1, 200]), 0);
    assert_eq!(g.u32_at(200), 1);
    assert_eq!(g.u64_at(100), 42);
    // nsubscriptions = 0 is INVAL; arrays out of bounds FAULT.
    assert_eq!(
        g.call("poll_oneoff", &[0, 100, 0, 200]),
        errno::INVAL as u32
    );
    assert_eq!(
        g.call("poll_oneoff", &[0, 100, 1 << 20, 200]),
        errno::FAULT as u32
    );
    // fd_write on stdout is ready at once; a bad fd gives an event with BADF.
    let mut sub2 = [0u8; 48];
    sub2[0..8].copy_from_slice(&7u64.to_le_bytes());
    sub2[8] = 2;
    sub2[16..20].copy_from_slice(&1u32.to_le_bytes());
    let mut sub3 = sub2;
    sub3[16..20].copy_from_slice(&99u32.to_le_bytes());
    g.put(0, &sub2);
    g.put(48, &sub3);
    assert_eq!(g.call("poll_oneoff", &[0, 300, 2, 200]), 0);
    assert_eq!(g.u32_at(200), 2);
    assert_eq!(u16::from_le_bytes([g.mem[308], g.mem[309]]), 0);
    assert_eq!(u16::from_le_bytes([g.mem[340], g.mem[341]]), errno::BADF);
}

#[test]
fn sockets_report_notsock_or_badf() {
    let mut g = Guest::new(WasiCtx::builder().build());
    assert_eq!(g.call("sock_shutdown", &[1, 2]), errno::NOTSOCK as u32);
    assert_eq!(g.call("sock_shutdown", &[42, 2]), errno::BADF as u32);
}

#[cfg(unix)]
#[test]
fn hostfs_sandbox() {
    let tmp = std::env::temp_dir().join(format!("wasi-hostfs-{}", std::process::id()));
    let inside = tmp.join("inside");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(tmp.join("secret"), b"s").unwrap();
    std::os::unix::fs::symlink("../secret", inside.join("escape")).unwrap();
    let ctx = WasiCtx::builder()
        .preopen_host_dir(&inside, "inside")
        .unwrap()
        .build();
    let mut g = Guest::new(ctx);
    assert_eq!(g.open(3, b"../secret", 0, false).0, errno::PERM as u32);
    assert_eq!(g.open(3, b"escape", 0, true).0, errno::PERM as u32);
    assert_eq!(g.open(3, b"/etc/passwd", 0, false).0, errno::PERM as u32);
    let (e, fd) = g.open(3, b"new", oflags::CREAT, false);
    assert_eq!(e, 0);
    assert_eq!(g.write_fd(fd, b"abc"), 0);
    assert_eq!(g.call("fd_filestat_get", &[fd as u64, 0]), 0);
    assert_eq!(g.u64_at(32), 3);
    assert_eq!(std::fs::read(inside.join("new")).unwrap(), b"abc");
    // Regression: O_CREAT without write rights (std refuses create without write).
    let (p, l) = g.put(1000, b"ro-created");
    let e = g.call(
        "path_open",
        &[3, 0, p, l, oflags::CREAT as u64, 0, 0, 0, 900],
    );
    assert_eq!(e, 0);
    assert!(inside.join("ro-created").exists());
    // Regression: rmdir with a trailing slash.
    assert_eq!(g.path_op("path_create_directory", 3, b"d"), 0);
    assert_eq!(g.path_op("path_remove_directory", 3, b"d/"), 0);
    assert_eq!(
        g.path_op("path_remove_directory", 3, b"ro-created/"),
        errno::NOTDIR as u32
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

fn wasm(sections: &[&[u8]]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    for s in sections {
        m.extend_from_slice(s);
    }
    m
}

/// `(func (export "_start") (call $proc_exit (i32.const 7)))` importing proc_exit from `module`.
fn exit7(module: &str) -> Vec<u8> {
    let mut imp = vec![1u8, module.len() as u8];
    imp.extend_from_slice(module.as_bytes());
    imp.push(9);
    imp.extend_from_slice(b"proc_exit");
    imp.extend_from_slice(&[0, 0]);
    let mut import = vec![2u8, imp.len() as u8];
    import.extend_from_slice(&imp);
    wasm(&[
        &[1, 8, 2, 0x60, 1, 0x7f, 0, 0x60, 0, 0],
        &import,
        &[3, 2, 1, 1],
        &[7, 10, 1, 6, b'_', b's', b't', b'a', b'r', b't', 0, 1],
        &[10, 8, 1, 6, 0, 0x41, 7, 0x10, 0, 0x0b],
    ])
}

#[test]
fn run_command_proc_exit_is_the_exit_code() {
    let r = run_command(
        &exit7(MODULE),
        WasiCtx::builder().build(),
        crate::Config::default(),
    );
    assert_eq!(r, Ok(RunResult { exit_code: 7 }));
}

#[test]
fn run_command_unknown_import_is_unlinkable() {
    let r = run_command(
        &exit7("env"),
        WasiCtx::builder().build(),
        crate::Config::default(),
    );
    assert!(matches!(r, Err(RunError::Link(_))), "{r:?}");
}

#[test]
fn run_command_trap_and_no_start() {
    let traps = wasm(&[
        &[1, 4, 1, 0x60, 0, 0],
        &[3, 2, 1, 0],
        &[7, 10, 1, 6, b'_', b's', b't', b'a', b'r', b't', 0, 0],
        &[10, 5, 1, 3, 0, 0, 0x0b],
    ]);
    let r = run_command(&traps, WasiCtx::builder().build(), crate::Config::default());
    assert!(
        matches!(&r, Err(RunError::Trap { message, .. }) if message.contains("unreachable")),
        "{r:?}"
    );
    let empty = wasm(&[]);
    let r = run_command(&empty, WasiCtx::builder().build(), crate::Config::default());
    assert_eq!(r, Err(RunError::NoStart));
    let r = run_command(
        b"\0asm\x01\0\0\0\x99",
        WasiCtx::builder().build(),
        crate::Config::default(),
    );
    assert!(matches!(r, Err(RunError::Decode(_))), "{r:?}");
}

/// A stdin that stays open gives its bytes, then never end of file: once the
/// run is stopped, a read that would wait fails with `INTR` (a `Bytes` stdin
/// reads as end of file instead).
#[test]
fn open_stdin_never_reads_end_of_file() {
    for (src, after) in [
        (StdinSource::Open(b"ab".to_vec()), errno::INTR),
        (StdinSource::Bytes(b"ab".to_vec()), errno::SUCCESS),
    ] {
        let ctx = WasiCtx::builder().stdin(src).build();
        let stop = ctx.interrupt_handle();
        let mut g = Guest::new(ctx);
        // iovec at 100: 8 bytes at 200; nread at 300.
        g.put(100, &200u32.to_le_bytes());
        g.put(104, &8u32.to_le_bytes());
        assert_eq!(
            g.call("fd_read", &[0, 100, 1, 300]),
            u32::from(errno::SUCCESS)
        );
        assert_eq!((g.u32_at(300), &g.mem[200..202]), (2, &b"ab"[..]));
        // Stopped before the next read, so an open stdin returns at once.
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(g.call("fd_read", &[0, 100, 1, 300]), u32::from(after));
    }
}
