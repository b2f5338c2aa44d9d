//! The program model: a list of WASI preview1 calls ([`Step`]) over the
//! fixture tree, and its generator from fuzz bytes.
//!
//! Descriptors are never named by number across hosts (a host picks any free
//! number, WASI preview1 `path_open` says nothing about which): a successful
//! `path_open` stores its descriptor in one of [`SLOTS`] slots in guest
//! memory, and later steps name the slot ([`Fd::Slot`]), the first preopen
//! ([`Fd::Pre`], fd 3 on every host) or a raw number ([`Fd::Raw`], mostly bad).

use serde::{Deserialize, Serialize};

/// Descriptor slots in guest memory.
pub const SLOTS: u8 = 8;

/// Steps per program at most.
pub const MAX_STEPS: usize = 48;

/// The preopened directory's guest name.
pub const PREOPEN_NAME: &str = "/sandbox";

/// Arguments every host passes (the first is the program name).
pub const ARGS: &[&str] = &["prog", "arg one", "\u{fc}mlaut"];

/// Environment variables every host passes.
pub const ENV: &[(&str, &str)] = &[("A", "1"), ("WASI_FUZZ", "x=y z")];

/// Timestamps the generator sets: a stat showing one of them is compared
/// exactly; any other time is host-chosen (see `compare::ALLOWED`).
pub const MAGIC_TIMES: &[u64] = &[
    1_000_000_000_000_000_123,
    1_234_567_890_000_000_000,
    86_400_000_000_000,
    0,
];

/// A descriptor operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fd {
    /// The preopened directory (fd 3).
    Pre,
    /// The descriptor stored in a slot (an invalid number until a
    /// `path_open` fills it).
    Slot(u8),
    /// A number as is.
    Raw(u32),
}

/// A guest pointer (and length) operand that may be deliberately bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bad {
    /// The pointer is past the end of memory.
    OutOfBounds,
    /// The pointer is in bounds but the length runs past the end of memory.
    Straddle,
}

/// A path operand: bytes placed in guest memory, maybe with a bad pointer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Path {
    /// The bytes (not NUL-terminated; may hold any byte).
    pub bytes: Vec<u8>,
    /// A bad pointer or length instead of the bytes' place.
    pub bad: Option<Bad>,
}

impl std::fmt::Debug for Path {
    /// The bytes as an escaped string (readable in reports), and any bad pointer.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}",
            String::from_utf8_lossy(&self.bytes)
                .chars()
                .take(80)
                .collect::<String>()
        )?;
        if self.bytes.len() > 80 {
            write!(f, "..({} bytes)", self.bytes.len())?;
        }
        if let Some(b) = self.bad {
            write!(f, " bad={b:?}")?;
        }
        Ok(())
    }
}

/// A `poll_oneoff` subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sub {
    /// `eventtype::clock` on `clockid` with a small timeout (ns) and flags.
    Clock {
        /// witx `clockid`.
        id: u32,
        /// Timeout, ns.
        timeout: u64,
        /// `subclockflags` (1: absolute).
        flags: u16,
    },
    /// `eventtype::fd_read` (`write == false`) or `fd_write`.
    Fd {
        /// The descriptor.
        fd: Fd,
        /// `fd_write` readiness instead of `fd_read`.
        write: bool,
    },
}

/// One WASI call (or a pair, for args and environ) with its operands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Step {
    /// `path_open`; on success the new descriptor goes to `slot`.
    Open {
        dir: Fd,
        lookup: u32,
        path: Path,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
        slot: u8,
    },
    /// `fd_read` (`at == None`) or `fd_pread`, into iovecs of these lengths.
    Read {
        fd: Fd,
        iovs: Vec<u32>,
        at: Option<u64>,
        bad: Option<Bad>,
    },
    /// `fd_write` or `fd_pwrite` of `data` split into iovecs at `split`.
    Write {
        fd: Fd,
        data: Vec<u8>,
        split: u32,
        at: Option<u64>,
        bad: Option<Bad>,
    },
    Seek {
        fd: Fd,
        offset: i64,
        whence: u8,
    },
    Tell {
        fd: Fd,
    },
    Readdir {
        fd: Fd,
        buflen: u32,
        cookie: u64,
        bad: Option<Bad>,
    },
    FdFilestat {
        fd: Fd,
    },
    FdFdstat {
        fd: Fd,
    },
    SetFlags {
        fd: Fd,
        flags: u16,
    },
    SetRights {
        fd: Fd,
        base: u64,
        inheriting: u64,
    },
    SetSize {
        fd: Fd,
        size: u64,
    },
    FdTimes {
        fd: Fd,
        atim: u64,
        mtim: u64,
        fst: u16,
    },
    Allocate {
        fd: Fd,
        offset: u64,
        len: u64,
    },
    Advise {
        fd: Fd,
        offset: u64,
        len: u64,
        advice: u8,
    },
    Sync {
        fd: Fd,
        data_only: bool,
    },
    PathFilestat {
        dir: Fd,
        lookup: u32,
        path: Path,
    },
    PathTimes {
        dir: Fd,
        lookup: u32,
        path: Path,
        atim: u64,
        mtim: u64,
        fst: u16,
    },
    Mkdir {
        dir: Fd,
        path: Path,
    },
    Rmdir {
        dir: Fd,
        path: Path,
    },
    Unlink {
        dir: Fd,
        path: Path,
    },
    Symlink {
        target: Path,
        dir: Fd,
        path: Path,
    },
    Readlink {
        dir: Fd,
        path: Path,
        buflen: u32,
    },
    Link {
        dir: Fd,
        lookup: u32,
        path: Path,
        dir2: Fd,
        path2: Path,
    },
    Rename {
        dir: Fd,
        path: Path,
        dir2: Fd,
        path2: Path,
    },
    Renumber {
        from: Fd,
        to: Fd,
    },
    Close {
        fd: Fd,
    },
    Prestat {
        fd: Fd,
        name_len: u32,
    },
    Poll {
        subs: Vec<Sub>,
    },
    ClockRes {
        id: u32,
    },
    ClockTime {
        id: u32,
    },
    /// `args_sizes_get` then `args_get`.
    Args,
    /// `environ_sizes_get` then `environ_get`.
    Environ,
    Random {
        len: u32,
    },
    Yield,
}

impl Step {
    /// The WASI function name (the first, for two-call steps).
    pub fn name(&self) -> &'static str {
        match self {
            Step::Open { .. } => "path_open",
            Step::Read { at: None, .. } => "fd_read",
            Step::Read { .. } => "fd_pread",
            Step::Write { at: None, .. } => "fd_write",
            Step::Write { .. } => "fd_pwrite",
            Step::Seek { .. } => "fd_seek",
            Step::Tell { .. } => "fd_tell",
            Step::Readdir { .. } => "fd_readdir",
            Step::FdFilestat { .. } => "fd_filestat_get",
            Step::FdFdstat { .. } => "fd_fdstat_get",
            Step::SetFlags { .. } => "fd_fdstat_set_flags",
            Step::SetRights { .. } => "fd_fdstat_set_rights",
            Step::SetSize { .. } => "fd_filestat_set_size",
            Step::FdTimes { .. } => "fd_filestat_set_times",
            Step::Allocate { .. } => "fd_allocate",
            Step::Advise { .. } => "fd_advise",
            Step::Sync {
                data_only: false, ..
            } => "fd_sync",
            Step::Sync { .. } => "fd_datasync",
            Step::PathFilestat { .. } => "path_filestat_get",
            Step::PathTimes { .. } => "path_filestat_set_times",
            Step::Mkdir { .. } => "path_create_directory",
            Step::Rmdir { .. } => "path_remove_directory",
            Step::Unlink { .. } => "path_unlink_file",
            Step::Symlink { .. } => "path_symlink",
            Step::Readlink { .. } => "path_readlink",
            Step::Link { .. } => "path_link",
            Step::Rename { .. } => "path_rename",
            Step::Renumber { .. } => "fd_renumber",
            Step::Close { .. } => "fd_close",
            Step::Prestat { .. } => "fd_prestat_get",
            Step::Poll { .. } => "poll_oneoff",
            Step::ClockRes { .. } => "clock_res_get",
            Step::ClockTime { .. } => "clock_time_get",
            Step::Args => "args_get",
            Step::Environ => "environ_get",
            Step::Random { .. } => "random_get",
            Step::Yield => "sched_yield",
        }
    }

    /// Whether an operand is outside its witx type: an enum value past the
    /// last case or flag bits the type does not define (`clockid` > 3,
    /// `whence` > 2, `advice` > 5, `oflags` >= 16, `fdflags` >= 32,
    /// `lookupflags` >= 2, `fstflags` >= 16, rights >= 2^29, `subclockflags` >= 2).
    pub fn has_invalid_value(&self) -> bool {
        const RIGHTS: u64 = (1 << 29) - 1;
        match self {
            Step::Open {
                lookup,
                oflags,
                base,
                inheriting,
                fdflags,
                ..
            } => *lookup > 1 || *oflags > 15 || *fdflags > 31 || (base | inheriting) & !RIGHTS != 0,
            Step::PathFilestat { lookup, .. } | Step::Link { lookup, .. } => *lookup > 1,
            Step::PathTimes { lookup, fst, .. } => *lookup > 1 || *fst > 15,
            Step::FdTimes { fst, .. } => *fst > 15,
            Step::Seek { whence, .. } => *whence > 2,
            Step::Advise { advice, .. } => *advice > 5,
            Step::SetFlags { flags, .. } => *flags > 31,
            Step::SetRights {
                base, inheriting, ..
            } => (base | inheriting) & !RIGHTS != 0,
            Step::ClockRes { id } | Step::ClockTime { id } => *id > 3,
            Step::Poll { subs } => subs
                .iter()
                .any(|s| matches!(s, Sub::Clock { id, flags, .. } if *id > 3 || *flags > 1)),
            _ => false,
        }
    }

    /// Whether the step operates on standard input or error (fd 0 or 2).
    pub fn uses_stdio(&self) -> bool {
        let std = |fd: &Fd| matches!(fd, Fd::Raw(0) | Fd::Raw(2));
        match self {
            Step::Open { dir, .. }
            | Step::PathFilestat { dir, .. }
            | Step::PathTimes { dir, .. }
            | Step::Mkdir { dir, .. }
            | Step::Rmdir { dir, .. }
            | Step::Unlink { dir, .. }
            | Step::Symlink { dir, .. }
            | Step::Readlink { dir, .. } => std(dir),
            Step::Link { dir, dir2, .. } | Step::Rename { dir, dir2, .. } => std(dir) || std(dir2),
            Step::Read { fd, .. }
            | Step::Write { fd, .. }
            | Step::Seek { fd, .. }
            | Step::Tell { fd }
            | Step::Readdir { fd, .. }
            | Step::FdFilestat { fd }
            | Step::FdFdstat { fd }
            | Step::SetFlags { fd, .. }
            | Step::SetRights { fd, .. }
            | Step::SetSize { fd, .. }
            | Step::FdTimes { fd, .. }
            | Step::Allocate { fd, .. }
            | Step::Advise { fd, .. }
            | Step::Sync { fd, .. }
            | Step::Close { fd }
            | Step::Prestat { fd, .. } => std(fd),
            Step::Renumber { from, to } => std(from) || std(to),
            Step::Poll { subs } => subs
                .iter()
                .any(|s| matches!(s, Sub::Fd { fd, .. } if std(fd))),
            _ => false,
        }
    }

    /// Whether the step passes a deliberately bad pointer or length.
    pub fn has_bad_pointer(&self) -> bool {
        let p = |p: &Path| p.bad.is_some();
        match self {
            Step::Read { bad, .. } | Step::Write { bad, .. } | Step::Readdir { bad, .. } => {
                bad.is_some()
            }
            Step::Open { path, .. }
            | Step::PathFilestat { path, .. }
            | Step::PathTimes { path, .. }
            | Step::Mkdir { path, .. }
            | Step::Rmdir { path, .. }
            | Step::Unlink { path, .. }
            | Step::Readlink { path, .. } => p(path),
            Step::Symlink { target, path, .. } => p(target) || p(path),
            Step::Link { path, path2, .. } | Step::Rename { path, path2, .. } => {
                p(path) || p(path2)
            }
            _ => false,
        }
    }
}

/// A generated program: its steps, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Program {
    /// The calls.
    pub steps: Vec<Step>,
}

/// Fuzz bytes read as a stream of choices; zeros once exhausted.
pub struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Src<'a> {
    /// A source over `data`.
    pub fn new(data: &'a [u8]) -> Src<'a> {
        Src { data, pos: 0 }
    }
    /// Whether every byte was read.
    pub fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    /// A number below `n` (`n > 0`; at most 2^16 choices use two bytes).
    fn below(&mut self, n: u32) -> u32 {
        if n <= 256 {
            u32::from(self.byte()) % n
        } else {
            (u32::from(self.byte()) << 8 | u32::from(self.byte())) % n
        }
    }
    fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den) < num
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// Path components: fixture names first (most picks), then new names,
/// dot entries, the empty component and odd bytes.
const NAMES: &[&str] = &[
    "file.txt",
    "empty",
    "dir",
    "a.txt",
    "sub",
    "deep",
    "emptydir",
    "ln_file",
    "ln_dir",
    "ln_up",
    "ln_esc",
    "ln_abs",
    "ln_dangling",
    "loop1",
    "ln_self",
    "ln_trail",
    "ln_root",
    "ln_out",
    "new",
    "new2",
    "x.txt",
    ".",
    "..",
    "",
];

/// Whole paths that usually resolve (so that later steps have something to use).
const GOOD_PATHS: &[&str] = &[
    "file.txt",
    "empty",
    "dir",
    "dir/a.txt",
    "dir/sub",
    "dir/sub/deep",
    "emptydir",
    "ln_file",
    "ln_dir",
    "ln_dir/a.txt",
    "dir/ln_up",
    ".",
    "new",
    "dir/new",
    "x.txt",
];

/// Odd components: control and non-UTF-8 bytes, NUL, very long names.
fn odd_component(src: &mut Src) -> Vec<u8> {
    match src.below(7) {
        0 => b"a\0b".to_vec(),
        1 => vec![0xff, 0xfe],
        2 => "\u{e9}t\u{e9}".as_bytes().to_vec(),
        3 => vec![b'n'; 256],
        4 => vec![b'l'; 255],
        5 => b"a\\b".to_vec(),
        _ => b" sp ace".to_vec(),
    }
}

fn gen_path(src: &mut Src) -> Path {
    let mut bytes = if src.chance(3, 5) {
        src.pick(GOOD_PATHS).as_bytes().to_vec()
    } else {
        let n = 1 + src.below(4);
        let mut parts = Vec::new();
        for _ in 0..n {
            if src.chance(1, 12) {
                parts.push(odd_component(src));
            } else {
                parts.push(src.pick(NAMES).as_bytes().to_vec());
            }
        }
        parts.join(&b'/')
    };
    match src.below(16) {
        0 => bytes.insert(0, b'/'),
        1 => bytes.push(b'/'),
        2 => bytes.extend_from_slice(b"/."),
        3 => {
            let mut v = b"../sandbox/".to_vec();
            v.extend_from_slice(&bytes);
            bytes = v;
        }
        4 => {
            bytes = bytes
                .iter()
                .flat_map(|&b| if b == b'/' { vec![b'/', b'/'] } else { vec![b] })
                .collect()
        }
        _ => {}
    }
    let bad = match src.below(40) {
        0 => Some(Bad::OutOfBounds),
        1 => Some(Bad::Straddle),
        _ => None,
    };
    Path { bytes, bad }
}

fn gen_fd(src: &mut Src, dir_likely: bool) -> Fd {
    match src.below(20) {
        0 => Fd::Raw(src.pick(&[0, 2, 99, 0x7fff_ffff, u32::MAX])),
        1..=6 if dir_likely => Fd::Pre,
        1 => Fd::Pre,
        _ => Fd::Slot(src.below(u32::from(SLOTS)) as u8),
    }
}

/// A descriptor that a program may close or renumber over: never the
/// standard output the program prints on (fd 1) nor stderr.
fn gen_closable_fd(src: &mut Src) -> Fd {
    match src.below(16) {
        0 => Fd::Raw(src.pick(&[0, 99, u32::MAX])),
        1 => Fd::Pre,
        _ => Fd::Slot(src.below(u32::from(SLOTS)) as u8),
    }
}

fn gen_rights(src: &mut Src) -> u64 {
    match src.below(8) {
        0 => 0,
        1 => u64::MAX,
        2 => (1 << 29) - 1, // every witx right
        3 => 1 << 1,        // fd_read
        4 => 1 << 6,        // fd_write
        5 => (1 << 1) | (1 << 6) | (1 << 2) | (1 << 5),
        6 => src.u64(),
        _ => (1 << 29) - 1,
    }
}

fn gen_time(src: &mut Src) -> u64 {
    src.pick(MAGIC_TIMES)
}

fn gen_bad(src: &mut Src) -> Option<Bad> {
    match src.below(40) {
        0 => Some(Bad::OutOfBounds),
        1 => Some(Bad::Straddle),
        _ => None,
    }
}

fn gen_step(src: &mut Src) -> Step {
    let lookup = |src: &mut Src| {
        if src.chance(2, 3) {
            1
        } else {
            src.pick(&[0, 2, 3])
        }
    };
    match src.below(100) {
        0..=24 => {
            let oflags = if src.chance(1, 6) {
                src.below(16) as u16
            } else {
                src.pick(&[0, 0, 0, 1, 2, 1 | 4, 1 | 8, 8])
            };
            let fdflags = if src.chance(1, 5) {
                src.below(32) as u16
            } else {
                src.pick(&[0, 0, 1])
            };
            Step::Open {
                dir: gen_fd(src, true),
                lookup: lookup(src),
                path: gen_path(src),
                oflags,
                base: gen_rights(src),
                inheriting: gen_rights(src),
                fdflags,
                slot: src.below(u32::from(SLOTS)) as u8,
            }
        }
        25..=32 => {
            let n = 1 + src.below(3);
            let iovs = (0..n)
                .map(|_| src.pick(&[0, 1, 3, 5, 16, 100, 4096]))
                .collect();
            let at = src
                .chance(1, 3)
                .then(|| src.pick(&[0, 1, 5, 12, 100, 1 << 40]));
            Step::Read {
                fd: gen_fd(src, false),
                iovs,
                at,
                bad: gen_bad(src),
            }
        }
        33..=40 => {
            let len = src.pick(&[0, 1, 3, 7, 20, 64]);
            let data: Vec<u8> = (0..len).map(|_| b'A' + (src.byte() % 26)).collect();
            let split = src.below(len as u32 + 1);
            let at = src.chance(1, 3).then(|| src.pick(&[0, 2, 13, 100]));
            Step::Write {
                fd: gen_fd(src, false),
                data,
                split,
                at,
                bad: gen_bad(src),
            }
        }
        41..=44 => Step::Seek {
            fd: gen_fd(src, false),
            offset: src.pick(&[0, 1, -1, 3, -3, 100, i64::MIN, i64::MAX]),
            whence: src.pick(&[0, 1, 2, 0, 3]),
        },
        45 => Step::Tell {
            fd: gen_fd(src, false),
        },
        46..=50 => Step::Readdir {
            fd: gen_fd(src, true),
            buflen: src.pick(&[0, 10, 24, 64, 200, 4096]),
            cookie: src.pick(&[0, 0, 0, 1, 2, 3, 1000, u64::MAX]),
            bad: gen_bad(src),
        },
        51..=53 => Step::FdFilestat {
            fd: gen_fd(src, false),
        },
        54 | 55 => Step::FdFdstat {
            fd: gen_fd(src, false),
        },
        56 => Step::SetFlags {
            fd: gen_fd(src, false),
            flags: src.pick(&[0, 1, 4, 16, 31]),
        },
        57 => Step::SetRights {
            fd: gen_fd(src, false),
            base: gen_rights(src),
            inheriting: gen_rights(src),
        },
        58 | 59 => Step::SetSize {
            fd: gen_fd(src, false),
            size: src.pick(&[0, 1, 5, 100, 1 << 20]),
        },
        60 | 61 => Step::FdTimes {
            fd: gen_fd(src, false),
            atim: gen_time(src),
            mtim: gen_time(src),
            fst: src.below(16) as u16,
        },
        62 => Step::Allocate {
            fd: gen_fd(src, false),
            offset: src.pick(&[0, 10]),
            len: src.pick(&[0, 1, 50]),
        },
        63 => Step::Advise {
            fd: gen_fd(src, false),
            offset: 0,
            len: src.pick(&[0, 10]),
            advice: src.below(7) as u8,
        },
        64 => Step::Sync {
            fd: gen_fd(src, false),
            data_only: src.chance(1, 2),
        },
        65..=69 => Step::PathFilestat {
            dir: gen_fd(src, true),
            lookup: lookup(src),
            path: gen_path(src),
        },
        70 | 71 => Step::PathTimes {
            dir: gen_fd(src, true),
            lookup: lookup(src),
            path: gen_path(src),
            atim: gen_time(src),
            mtim: gen_time(src),
            fst: src.below(16) as u16,
        },
        72..=74 => Step::Mkdir {
            dir: gen_fd(src, true),
            path: gen_path(src),
        },
        75 | 76 => Step::Rmdir {
            dir: gen_fd(src, true),
            path: gen_path(src),
        },
        77 | 78 => Step::Unlink {
            dir: gen_fd(src, true),
            path: gen_path(src),
        },
        79 | 80 => Step::Symlink {
            target: if src.chance(1, 2) {
                gen_path(src)
            } else {
                let t: &str = src.pick(&[
                    "file.txt",
                    "../outside/secret",
                    "/etc",
                    "dir/",
                    "nothing",
                    "..",
                ]);
                Path {
                    bytes: t.as_bytes().to_vec(),
                    bad: None,
                }
            },
            dir: gen_fd(src, true),
            path: gen_path(src),
        },
        81 | 82 => Step::Readlink {
            dir: gen_fd(src, true),
            path: gen_path(src),
            buflen: src.pick(&[0, 3, 64, 256]),
        },
        83 | 84 => Step::Link {
            dir: gen_fd(src, true),
            lookup: lookup(src),
            path: gen_path(src),
            dir2: gen_fd(src, true),
            path2: gen_path(src),
        },
        85..=87 => Step::Rename {
            dir: gen_fd(src, true),
            path: gen_path(src),
            dir2: gen_fd(src, true),
            path2: gen_path(src),
        },
        88 => Step::Renumber {
            from: gen_closable_fd(src),
            to: gen_closable_fd(src),
        },
        89 | 90 => Step::Close {
            fd: gen_closable_fd(src),
        },
        91 => Step::Prestat {
            fd: src.pick(&[Fd::Pre, Fd::Raw(0), Fd::Raw(4), Fd::Slot(0)]),
            name_len: src.pick(&[0, 4, 8, 64]),
        },
        92 | 93 => {
            let n = 1 + src.below(3);
            let subs = (0..n)
                .map(|_| {
                    if src.chance(1, 2) {
                        Sub::Clock {
                            id: src.pick(&[0, 1, 0, 1, 2, 9]),
                            timeout: src.pick(&[0, 1, 1000]),
                            flags: src.pick(&[0, 0, 1]),
                        }
                    } else {
                        Sub::Fd {
                            fd: gen_fd(src, false),
                            write: src.chance(1, 2),
                        }
                    }
                })
                .collect();
            Step::Poll { subs }
        }
        94 => Step::ClockRes {
            id: src.pick(&[0, 1, 2, 3, 4]),
        },
        95 => Step::ClockTime {
            id: src.pick(&[0, 1, 2, 3, 4]),
        },
        96 => Step::Args,
        97 => Step::Environ,
        98 => Step::Random {
            len: src.pick(&[0, 1, 16]),
        },
        _ => Step::Yield,
    }
}

impl Program {
    /// The program the fuzz bytes `data` describe (deterministic).
    pub fn generate(data: &[u8]) -> Program {
        let mut src = Src::new(data);
        let mut steps = Vec::new();
        let mut pool = 0;
        while steps.len() < MAX_STEPS && !src.exhausted() {
            let s = gen_step(&mut src);
            pool += super::encode::pool_need(&s);
            if pool > super::encode::POOL_SIZE {
                break;
            }
            steps.push(s);
        }
        Program { steps }
    }
}
