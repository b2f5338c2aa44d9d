//! wasi_snapshot_preview1 host.
//!
//! The core ([`WasiCtx`]) is independent of the interpreter: [`WasiCtx::call`]
//! runs one WASI function on the guest's linear memory given as a byte slice,
//! so the host can be tested, and reused, without a VM. [`link`] and
//! [`run_command`] glue it to the reference VM's store.
//!
//! Capability model: every descriptor carries witx rights, which can only be
//! attenuated; paths are resolved by the backend against directory handles
//! (see [`fs`]); guest pointers are bounds-checked ([`mem`]).

pub mod component;
pub mod fs;
pub mod hostfs;
pub mod mem;
pub mod memfs;
pub mod run;
pub mod stdio;
pub mod types;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use component::{link_component, run_component};
use fs::{OpenOptions, Opened, WasiDir, WasiFile};
pub use mem::GuestMemory;
pub use run::{RunError, RunResult, instantiate, link, run_command};
pub use stdio::{CaptureHandle, Captured, OutputSink, StdinSource};
use types::{
    DIRENT_SIZE, EVENT_SIZE, Errno, FDSTAT_SIZE, PREOPENTYPE_DIR, SUBSCRIPTION_CLOCK_ABSTIME,
    SUBSCRIPTION_SIZE, TimeSet, clockid, errno, eventtype, fdflags, filetype, fstflags,
    lookupflags, oflags, rights, whence,
};

/// The WASI module name every function is imported from.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Parameter types of a WASI function: `i` is i32, `I` is i64.
/// Every function returns one i32 (an errno) except `proc_exit`, which returns nothing.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_sync", "i"),
    ("fd_tell", "ii"),
    ("fd_write", "iiii"),
    ("path_create_directory", "iii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_link", "iiiiiii"),
    ("path_open", "iiiiiIIii"),
    ("path_readlink", "iiiiii"),
    ("path_remove_directory", "iii"),
    ("path_rename", "iiiiii"),
    ("path_symlink", "iiiii"),
    ("path_unlink_file", "iii"),
    ("poll_oneoff", "iiii"),
    ("proc_exit", "i"),
    ("proc_raise", "i"),
    ("sched_yield", ""),
    ("random_get", "ii"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

/// The parameter signature of a WASI function (see [`FUNCTIONS`]), and whether it returns an errno.
pub fn signature(name: &str) -> Option<(&'static str, bool)> {
    FUNCTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| (*p, name != "proc_exit"))
}

/// Why a WASI call did not return to the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WasiExit {
    /// `proc_exit` with this status.
    Exit(u32),
    /// The host cannot go on (unknown function, bad signature, missing memory).
    Trap(String),
}

/// Where clock values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The host's clocks; sleeping really sleeps.
    System,
    /// A virtual clock: starts at `start_ns`, advances `step_ns` per reading,
    /// and jumps (without sleeping) to the deadline of a `poll_oneoff` timeout.
    Deterministic {
        /// The first reading, ns.
        start_ns: u64,
        /// Advance per reading, ns.
        step_ns: u64,
    },
}

/// Where `random_get` bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandomSource {
    /// The host's `/dev/urandom` (a seeded generator if it cannot be read).
    System,
    /// A deterministic generator (splitmix64) with this seed.
    Seeded(u64),
}

/// Caps that keep a guest from exhausting the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open descriptors at most (`MFILE` past it).
    pub max_fds: usize,
    /// iovecs per read or write call at most (`INVAL` past it), as POSIX `IOV_MAX`.
    pub max_iovs: u32,
    /// Path length in bytes at most (`NAMETOOLONG` past it).
    pub max_path_len: u32,
    /// Longest single sleep of `poll_oneoff` with the system clock.
    pub max_sleep: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_fds: 4096,
            max_iovs: 1024,
            max_path_len: 4096,
            max_sleep: Duration::from_secs(3600),
        }
    }
}

enum Handle {
    File(Box<dyn WasiFile>),
    Dir(Box<dyn WasiDir>),
}

struct FdEntry {
    handle: Handle,
    base: u64,
    inheriting: u64,
    flags: u16,
    preopen: Option<String>,
}

/// The state of one WASI guest: arguments, environment, descriptors, clocks,
/// randomness, limits and, once it exited, its exit code.
pub struct WasiCtx {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    fds: BTreeMap<u32, FdEntry>,
    clock: Clock,
    virtual_now: u64,
    rng_state: u64,
    random: RandomSource,
    urandom: Option<std::fs::File>,
    limits: Limits,
    exit_code: Option<u32>,
    /// The run's stop request, shared with the interpreter
    /// ([`crate::Config::interrupt`]): blocking calls wait in slices and
    /// give up once it is set.
    interrupt: Arc<AtomicBool>,
    /// A `poll_oneoff` sleep still to do, when the caller sleeps without
    /// holding the context ([`WasiCtx::call_deferring_sleep`]).
    pending_sleep: Option<Duration>,
    /// Set when a read of an open stdin (nothing left, never end of file)
    /// must wait for the stop request; [`WasiCtx::call_deferring_sleep`]
    /// hands that wait to the caller.
    stdin_blocked: Arc<AtomicBool>,
    /// Whether the run may use the network (wasi:sockets), a capability
    /// the user grants ([`WasiCtxBuilder::allow_network`]).
    network: bool,
}

/// Builds a [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: StdinSource,
    stdout: OutputSink,
    stderr: OutputSink,
    preopens: Vec<(Box<dyn WasiDir>, String)>,
    clock: Clock,
    random: RandomSource,
    limits: Limits,
    interrupt: Option<Arc<AtomicBool>>,
    network: bool,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: StdinSource::Null,
            stdout: OutputSink::Null,
            stderr: OutputSink::Null,
            preopens: Vec::new(),
            clock: Clock::System,
            random: RandomSource::System,
            limits: Limits::default(),
            interrupt: None,
            network: false,
        }
    }
}

impl WasiCtxBuilder {
    /// Appends one argument (the first is the program name).
    pub fn arg(mut self, a: impl AsRef<str>) -> Self {
        self.args.push(a.as_ref().as_bytes().to_vec());
        self
    }
    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, it: I) -> Self {
        for a in it {
            self = self.arg(a);
        }
        self
    }
    /// Adds an environment variable.
    pub fn env(mut self, k: impl AsRef<str>, v: impl AsRef<str>) -> Self {
        self.env
            .push(format!("{}={}", k.as_ref(), v.as_ref()).into_bytes());
        self
    }
    /// Sets stdin.
    pub fn stdin(mut self, s: StdinSource) -> Self {
        self.stdin = s;
        self
    }
    /// Sets stdout.
    pub fn stdout(mut self, s: OutputSink) -> Self {
        self.stdout = s;
        self
    }
    /// Sets stderr.
    pub fn stderr(mut self, s: OutputSink) -> Self {
        self.stderr = s;
        self
    }
    /// Inherits all three standard streams from the host process.
    pub fn inherit_stdio(self) -> Self {
        self.stdin(StdinSource::Inherit)
            .stdout(OutputSink::Inherit)
            .stderr(OutputSink::Inherit)
    }
    /// Preopens a directory handle under `guest_name` (fds 3, 4, ... in order).
    pub fn preopen(mut self, dir: Box<dyn WasiDir>, guest_name: impl Into<String>) -> Self {
        self.preopens.push((dir, guest_name.into()));
        self
    }
    /// Preopens a host directory (through `cap-std`) under `guest_name`.
    pub fn preopen_host_dir(
        self,
        host: impl AsRef<std::path::Path>,
        guest_name: impl Into<String>,
    ) -> std::io::Result<Self> {
        let d = hostfs::HostDir::open_ambient(host.as_ref())?;
        Ok(self.preopen(Box::new(d), guest_name))
    }
    /// Sets the clock source.
    pub fn clock(mut self, c: Clock) -> Self {
        self.clock = c;
        self
    }
    /// Sets the randomness source.
    pub fn random(mut self, r: RandomSource) -> Self {
        self.random = r;
        self
    }
    /// Sets the limits.
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }
    /// Uses `flag` as the run's stop request (see [`WasiCtx::interrupt_handle`]).
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }
    /// Grants the network: WASI sockets and name lookups work (denied by
    /// default, with `access-denied`).
    pub fn allow_network(mut self, allow: bool) -> Self {
        self.network = allow;
        self
    }
    /// Builds the context: fds 0-2 are the standard streams, preopens follow.
    pub fn build(self) -> WasiCtx {
        let interrupt = self.interrupt.unwrap_or_default();
        let stdin_blocked = Arc::new(AtomicBool::new(false));
        let mut fds = BTreeMap::new();
        let stdio_rights = rights::STDIO_BASE;
        fds.insert(
            0,
            FdEntry {
                handle: Handle::File(Box::new(stdio::StdinFile {
                    src: self.stdin,
                    pos: 0,
                    interrupt: interrupt.clone(),
                    blocked: stdin_blocked.clone(),
                })),
                base: stdio_rights & !rights::FD_WRITE,
                inheriting: 0,
                flags: 0,
                preopen: None,
            },
        );
        for (fd, sink) in [(1u32, self.stdout), (2, self.stderr)] {
            fds.insert(
                fd,
                FdEntry {
                    handle: Handle::File(Box::new(stdio::OutputFile {
                        sink,
                        stderr: fd == 2,
                    })),
                    base: stdio_rights & !rights::FD_READ,
                    inheriting: 0,
                    flags: 0,
                    preopen: None,
                },
            );
        }
        for (i, (dir, name)) in self.preopens.into_iter().enumerate() {
            fds.insert(
                3 + i as u32,
                FdEntry {
                    handle: Handle::Dir(dir),
                    base: rights::DIRECTORY_BASE,
                    inheriting: rights::DIRECTORY_INHERITING,
                    flags: 0,
                    preopen: Some(name),
                },
            );
        }
        let (virtual_now, seed) = match (self.clock, self.random) {
            (Clock::Deterministic { start_ns, .. }, RandomSource::Seeded(s)) => (start_ns, s),
            (Clock::Deterministic { start_ns, .. }, _) => (start_ns, 0x5eed),
            (_, RandomSource::Seeded(s)) => (0, s),
            _ => (
                0,
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1),
            ),
        };
        WasiCtx {
            args: self.args,
            env: self.env,
            fds,
            clock: self.clock,
            virtual_now,
            rng_state: seed,
            random: self.random,
            urandom: None,
            limits: self.limits,
            exit_code: None,
            interrupt,
            pending_sleep: None,
            stdin_blocked,
            network: self.network,
        }
    }
}

fn ok(r: Result<(), Errno>) -> u32 {
    match r {
        Ok(()) => 0,
        Err(e) => e as u32,
    }
}

impl WasiCtx {
    /// A builder with no arguments, no environment, null stdio and no preopens.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::default()
    }

    /// The status passed to `proc_exit`, once the guest called it.
    pub fn exit_code(&self) -> Option<u32> {
        self.exit_code
    }

    /// The stop request of runs of this context: setting it makes
    /// [`run_command`] end every thread of the guest soon (the running code
    /// traps with `interrupted`, blocking calls give up) and return
    /// [`RunError::Interrupted`]. `run_command` also sets it itself when the
    /// program ends, to stop its other threads.
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// Whether the run may use the network ([`WasiCtxBuilder::allow_network`]).
    pub fn network_allowed(&self) -> bool {
        self.network
    }

    /// Sleeps `d` in slices, giving up when the stop request is set.
    pub(crate) fn sleep_interruptibly(flag: &AtomicBool, d: Duration) {
        // No end (a wait for the stop request only) when it does not fit.
        let end = Instant::now().checked_add(d);
        loop {
            if flag.load(Ordering::Relaxed) {
                return;
            }
            let now = Instant::now();
            let left = match end {
                Some(end) if now >= end => return,
                Some(end) => end - now,
                None => crate::exec::shared::INTERRUPT_POLL,
            };
            std::thread::sleep(left.min(crate::exec::shared::INTERRUPT_POLL));
        }
    }

    /// [`WasiCtx::call_on`], except that a `poll_oneoff` sleep is not done
    /// but returned, so that the caller can sleep without holding the
    /// context (other threads keep using it meanwhile).
    pub fn call_deferring_sleep(
        &mut self,
        func: &str,
        args: &[u64],
        memory: &mut dyn GuestMemory,
    ) -> (Result<u32, WasiExit>, Option<Duration>) {
        let r = self.dispatch(func, args, memory);
        if self.stdin_blocked.swap(false, Ordering::SeqCst) {
            // A read that never completes: wait (without the lock) until stopped.
            return (r, Some(Duration::MAX));
        }
        (r, self.pending_sleep.take())
    }

    /// How many descriptors are open.
    pub fn open_fds(&self) -> usize {
        self.fds.len()
    }

    /// Runs the WASI function `func` with `args` (i32 values zero-extended,
    /// i64 values as bits) on the guest memory `memory`. Returns the errno the
    /// function returns to the guest, or why the guest must stop.
    pub fn call(&mut self, func: &str, args: &[u64], memory: &mut [u8]) -> Result<u32, WasiExit> {
        self.call_on(func, args, &mut mem::Slice(memory))
    }

    /// [`WasiCtx::call`] on any guest memory, e.g. a shared one ([`mem::Shared`]).
    pub fn call_on(
        &mut self,
        func: &str,
        args: &[u64],
        memory: &mut dyn GuestMemory,
    ) -> Result<u32, WasiExit> {
        let (r, sleep) = self.call_deferring_sleep(func, args, memory);
        if let Some(d) = sleep {
            Self::sleep_interruptibly(&self.interrupt, d);
        }
        r
    }

    fn dispatch(
        &mut self,
        func: &str,
        args: &[u64],
        memory: &mut dyn GuestMemory,
    ) -> Result<u32, WasiExit> {
        let Some((params, _)) = signature(func) else {
            return Err(WasiExit::Trap(format!("unknown WASI function {func}")));
        };
        if params.len() != args.len() {
            return Err(WasiExit::Trap(format!(
                "{func}: expected {} arguments, got {}",
                params.len(),
                args.len()
            )));
        }
        let a = |i: usize| args[i] as u32;
        let m = memory;
        let r = match func {
            "args_get" => ok(Self::strings_get(&self.args, m, a(0), a(1))),
            "args_sizes_get" => ok(Self::strings_sizes(&self.args, m, a(0), a(1))),
            "environ_get" => ok(Self::strings_get(&self.env, m, a(0), a(1))),
            "environ_sizes_get" => ok(Self::strings_sizes(&self.env, m, a(0), a(1))),
            "clock_res_get" => ok(self.clock_res_get(m, a(0), a(1))),
            "clock_time_get" => ok(self.clock_time_get(m, a(0), a(2))),
            "fd_advise" => ok(self.fd_advise(a(0), args[1], args[2], a(3))),
            "fd_allocate" => ok(self.fd_allocate(a(0), args[1], args[2])),
            "fd_close" => ok(self.fd_close(a(0))),
            "fd_datasync" => ok(self.fd_sync(a(0), rights::FD_DATASYNC)),
            "fd_fdstat_get" => ok(self.fd_fdstat_get(m, a(0), a(1))),
            "fd_fdstat_set_flags" => ok(self.fd_fdstat_set_flags(a(0), a(1))),
            "fd_fdstat_set_rights" => ok(self.fd_fdstat_set_rights(a(0), args[1], args[2])),
            "fd_filestat_get" => ok(self.fd_filestat_get(m, a(0), a(1))),
            "fd_filestat_set_size" => ok(self.fd_filestat_set_size(a(0), args[1])),
            "fd_filestat_set_times" => ok(self.fd_filestat_set_times(a(0), args[1], args[2], a(3))),
            "fd_pread" => ok(self.fd_rw(m, a(0), a(1), a(2), Some(args[3]), a(4), false)),
            "fd_prestat_get" => ok(self.fd_prestat_get(m, a(0), a(1))),
            "fd_prestat_dir_name" => ok(self.fd_prestat_dir_name(m, a(0), a(1), a(2))),
            "fd_pwrite" => ok(self.fd_rw(m, a(0), a(1), a(2), Some(args[3]), a(4), true)),
            "fd_read" => ok(self.fd_rw(m, a(0), a(1), a(2), None, a(3), false)),
            "fd_readdir" => ok(self.fd_readdir(m, a(0), a(1), a(2), args[3], a(4))),
            "fd_renumber" => ok(self.fd_renumber(a(0), a(1))),
            "fd_seek" => ok(self.fd_seek(m, a(0), args[1] as i64, a(2), a(3))),
            "fd_sync" => ok(self.fd_sync(a(0), rights::FD_SYNC)),
            "fd_tell" => ok(self.fd_seek(m, a(0), 0, whence::CUR as u32, a(1))),
            "fd_write" => ok(self.fd_rw(m, a(0), a(1), a(2), None, a(3), true)),
            "path_create_directory" => ok(self.path_simple(m, a(0), a(1), a(2), PathOp::Mkdir)),
            "path_filestat_get" => ok(self.path_filestat_get(m, a(0), a(1), a(2), a(3), a(4))),
            "path_filestat_set_times" => {
                ok(self.path_filestat_set_times(m, a(0), a(1), a(2), a(3), args[4], args[5], a(6)))
            }
            "path_link" => ok(self.path_link(m, a(0), a(1), a(2), a(3), a(4), a(5), a(6))),
            "path_open" => ok(self.path_open(
                m,
                a(0),
                a(1),
                a(2),
                a(3),
                a(4),
                args[5],
                args[6],
                a(7),
                a(8),
            )),
            "path_readlink" => ok(self.path_readlink(m, a(0), a(1), a(2), a(3), a(4), a(5))),
            "path_remove_directory" => ok(self.path_simple(m, a(0), a(1), a(2), PathOp::Rmdir)),
            "path_rename" => ok(self.path_rename(m, a(0), a(1), a(2), a(3), a(4), a(5))),
            "path_symlink" => ok(self.path_symlink(m, a(0), a(1), a(2), a(3), a(4))),
            "path_unlink_file" => ok(self.path_simple(m, a(0), a(1), a(2), PathOp::Unlink)),
            "poll_oneoff" => ok(self.poll_oneoff(m, a(0), a(1), a(2), a(3))),
            "proc_exit" => {
                self.exit_code = Some(a(0));
                return Err(WasiExit::Exit(a(0)));
            }
            "proc_raise" => errno::NOTSUP as u32,
            "sched_yield" => {
                std::thread::yield_now();
                0
            }
            "random_get" => ok(self.random_get(m, a(0), a(1))),
            "sock_accept" => ok(self.sock(a(0))),
            "sock_recv" => ok(self.sock(a(0))),
            "sock_send" => ok(self.sock(a(0))),
            "sock_shutdown" => ok(self.sock(a(0))),
            _ => unreachable!("every name in FUNCTIONS is dispatched"),
        };
        Ok(r)
    }

    // ---- args, environ -------------------------------------------------

    fn strings_sizes(
        list: &[Vec<u8>],
        m: &mut dyn GuestMemory,
        count: u32,
        size: u32,
    ) -> Result<(), Errno> {
        let total: usize = list.iter().map(|s| s.len() + 1).sum();
        let total = u32::try_from(total).map_err(|_| errno::OVERFLOW)?;
        mem::write_u32(m, count, list.len() as u32)?;
        mem::write_u32(m, size, total)
    }

    fn strings_get(
        list: &[Vec<u8>],
        m: &mut dyn GuestMemory,
        ptrs: u32,
        buf: u32,
    ) -> Result<(), Errno> {
        let total: u64 = list.iter().map(|s| s.len() as u64 + 1).sum();
        mem::range(m, ptrs, list.len() as u64 * 4)?;
        mem::range(m, buf, total)?;
        let mut at = buf;
        for (i, s) in list.iter().enumerate() {
            mem::write_u32(m, ptrs + 4 * i as u32, at)?;
            mem::write(m, at, s)?;
            mem::write(m, at + s.len() as u32, &[0])?;
            at += s.len() as u32 + 1;
        }
        Ok(())
    }

    // ---- clocks, random ------------------------------------------------

    fn now(&mut self, id: u32) -> Result<u64, Errno> {
        if id > clockid::THREAD_CPUTIME_ID {
            return Err(errno::INVAL);
        }
        match self.clock {
            Clock::Deterministic { step_ns, .. } => {
                let t = self.virtual_now;
                self.virtual_now = self.virtual_now.saturating_add(step_ns);
                Ok(t)
            }
            Clock::System => match id {
                clockid::REALTIME => Ok(SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0)),
                _ => Ok(monotonic_ns()),
            },
        }
    }

    fn clock_res_get(&mut self, m: &mut dyn GuestMemory, id: u32, out: u32) -> Result<(), Errno> {
        if id > clockid::THREAD_CPUTIME_ID {
            return Err(errno::INVAL);
        }
        let res = match self.clock {
            Clock::Deterministic { step_ns, .. } => step_ns.max(1),
            Clock::System => 1,
        };
        mem::write_u64(m, out, res)
    }

    fn clock_time_get(&mut self, m: &mut dyn GuestMemory, id: u32, out: u32) -> Result<(), Errno> {
        mem::range(m, out, 8)?;
        let t = self.now(id)?;
        mem::write_u64(m, out, t)
    }

    fn next_random(&mut self) -> u64 {
        // splitmix64
        self.rng_state = self.rng_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_get(&mut self, m: &mut dyn GuestMemory, buf: u32, len: u32) -> Result<(), Errno> {
        let r = mem::range(m, buf, len as u64)?;
        let mut bytes = vec![0u8; r.len()];
        self.fill_random(&mut bytes);
        m.store(r.start, &bytes);
        Ok(())
    }

    fn fill_random(&mut self, out: &mut [u8]) {
        if self.random == RandomSource::System {
            if self.urandom.is_none() {
                self.urandom = std::fs::File::open("/dev/urandom").ok();
            }
            if let Some(f) = self.urandom.as_mut()
                && f.read_exact(out).is_ok()
            {
                return;
            }
        }
        for chunk in out.chunks_mut(8) {
            let v = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    // ---- descriptors ---------------------------------------------------

    fn entry(&mut self, fd: u32, need: u64) -> Result<&mut FdEntry, Errno> {
        let e = self.fds.get_mut(&fd).ok_or(errno::BADF)?;
        if e.base & need != need {
            return Err(errno::NOTCAPABLE);
        }
        Ok(e)
    }

    fn file(&mut self, fd: u32, need: u64) -> Result<(&mut Box<dyn WasiFile>, u16), Errno> {
        let e = self.entry(fd, need)?;
        let flags = e.flags;
        match &mut e.handle {
            Handle::File(f) => Ok((f, flags)),
            Handle::Dir(_) => Err(errno::BADF),
        }
    }

    fn dir(&self, fd: u32, need: u64) -> Result<&dyn WasiDir, Errno> {
        let e = self.fds.get(&fd).ok_or(errno::BADF)?;
        let Handle::Dir(d) = &e.handle else {
            return Err(errno::NOTDIR);
        };
        if e.base & need != need {
            return Err(errno::NOTCAPABLE);
        }
        Ok(d.as_ref())
    }

    fn alloc_fd(&mut self, entry: FdEntry) -> Result<u32, Errno> {
        if self.fds.len() >= self.limits.max_fds {
            return Err(errno::MFILE);
        }
        let mut fd = 0u32;
        for k in self.fds.keys() {
            if *k != fd {
                break;
            }
            fd += 1;
        }
        self.fds.insert(fd, entry);
        Ok(fd)
    }

    fn fd_advise(&mut self, fd: u32, _off: u64, _len: u64, advice: u32) -> Result<(), Errno> {
        self.file(fd, rights::FD_ADVISE)?;
        if advice > 5 {
            return Err(errno::INVAL);
        }
        Ok(())
    }

    fn fd_allocate(&mut self, fd: u32, off: u64, len: u64) -> Result<(), Errno> {
        let (f, _) = self.file(fd, rights::FD_ALLOCATE)?;
        f.allocate(off, len)
    }

    fn fd_close(&mut self, fd: u32) -> Result<(), Errno> {
        self.fds.remove(&fd).map(|_| ()).ok_or(errno::BADF)
    }

    fn fd_sync(&mut self, fd: u32, need: u64) -> Result<(), Errno> {
        let e = self.entry(fd, need)?;
        match &mut e.handle {
            Handle::File(f) => f.sync(),
            Handle::Dir(d) => d.sync(),
        }
    }

    fn fd_fdstat_get(&mut self, m: &mut dyn GuestMemory, fd: u32, out: u32) -> Result<(), Errno> {
        mem::range(m, out, FDSTAT_SIZE as u64)?;
        let e = self.entry(fd, 0)?;
        let ft = match &e.handle {
            Handle::File(f) => f.filetype(),
            Handle::Dir(_) => filetype::DIRECTORY,
        };
        let mut b = [0u8; FDSTAT_SIZE as usize];
        b[0] = ft;
        b[2..4].copy_from_slice(&e.flags.to_le_bytes());
        b[8..16].copy_from_slice(&e.base.to_le_bytes());
        b[16..24].copy_from_slice(&e.inheriting.to_le_bytes());
        mem::write(m, out, &b)
    }

    fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u32) -> Result<(), Errno> {
        let e = self.entry(fd, rights::FD_FDSTAT_SET_FLAGS)?;
        if flags & !(fdflags::ALL as u32) != 0 {
            return Err(errno::INVAL);
        }
        e.flags = flags as u16;
        Ok(())
    }

    fn fd_fdstat_set_rights(&mut self, fd: u32, base: u64, inh: u64) -> Result<(), Errno> {
        let e = self.entry(fd, 0)?;
        if base & !e.base != 0 || inh & !e.inheriting != 0 {
            return Err(errno::NOTCAPABLE);
        }
        e.base = base;
        e.inheriting = inh;
        Ok(())
    }

    fn fd_filestat_get(&mut self, m: &mut dyn GuestMemory, fd: u32, out: u32) -> Result<(), Errno> {
        mem::range(m, out, types::FILESTAT_SIZE as u64)?;
        let e = self.entry(fd, rights::FD_FILESTAT_GET)?;
        let st = match &e.handle {
            Handle::File(f) => f.stat()?,
            Handle::Dir(d) => d.stat()?,
        };
        mem::write(m, out, &st.to_bytes())
    }

    fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> Result<(), Errno> {
        let (f, _) = self.file(fd, rights::FD_FILESTAT_SET_SIZE)?;
        if size > i64::MAX as u64 {
            return Err(errno::FBIG);
        }
        f.set_size(size)
    }

    fn times(atim: u64, mtim: u64, flags: u32) -> Result<(TimeSet, TimeSet), Errno> {
        if flags & !(fstflags::ALL as u32) != 0 {
            return Err(errno::INVAL);
        }
        let f = flags as u16;
        Ok((
            TimeSet::from_flags(f, fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
            TimeSet::from_flags(f, fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
        ))
    }

    fn fd_filestat_set_times(
        &mut self,
        fd: u32,
        atim: u64,
        mtim: u64,
        flags: u32,
    ) -> Result<(), Errno> {
        let e = self.entry(fd, rights::FD_FILESTAT_SET_TIMES)?;
        let (a, mt) = Self::times(atim, mtim, flags)?;
        match &mut e.handle {
            Handle::File(f) => f.set_times(a, mt),
            Handle::Dir(d) => d.set_times(None, true, a, mt),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fd_rw(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        iovs: u32,
        n_iovs: u32,
        offset: Option<u64>,
        out: u32,
        write: bool,
    ) -> Result<(), Errno> {
        let need = match (write, offset.is_some()) {
            (false, false) => rights::FD_READ,
            (true, false) => rights::FD_WRITE,
            (false, true) => rights::FD_READ | rights::FD_SEEK,
            (true, true) => rights::FD_WRITE | rights::FD_SEEK,
        };
        let max_iovs = self.limits.max_iovs;
        mem::range(m, out, 4)?;
        let e = self.fds.get_mut(&fd).ok_or(errno::BADF)?;
        let Handle::File(f) = &mut e.handle else {
            return Err(if e.base & need != need {
                errno::NOTCAPABLE
            } else {
                errno::ISDIR
            });
        };
        if e.base & need != need {
            return Err(errno::NOTCAPABLE);
        }
        if n_iovs > max_iovs {
            return Err(errno::INVAL);
        }
        mem::range(m, iovs, n_iovs as u64 * 8)?;
        if let Some(o) = offset
            && o > i64::MAX as u64
        {
            return Err(errno::INVAL);
        }
        let append = e.flags & fdflags::APPEND != 0;
        let mut total: u64 = 0;
        for i in 0..n_iovs {
            let r = mem::iovec(m, iovs, i)?;
            let len = r.len();
            if len == 0 {
                continue;
            }
            // The sum is returned as a u32 size: never go past it.
            let room = (u32::MAX as u64 - total) as usize;
            let r = r.start..r.start + len.min(room);
            let mut io = |buf: &mut [u8]| match (write, offset) {
                (false, None) => f.read(buf),
                (false, Some(o)) => f.read_at(buf, o + total),
                (true, None) => f.write(buf, append),
                (true, Some(o)) => f.write_at(buf, o + total),
            };
            let res = match m.as_slice_mut() {
                // Unshared: straight from and into guest memory.
                Some(s) => io(&mut s[r]),
                // Shared: through a copy (only the bytes read are copied back).
                None => {
                    let mut buf = if write {
                        mem::read_range(m, r.clone())
                    } else {
                        vec![0u8; r.len()]
                    };
                    let res = io(&mut buf);
                    if let (false, Ok(n)) = (write, &res) {
                        m.store(r.start, &buf[..(*n).min(buf.len())]);
                    }
                    res
                }
            };
            let n = match res {
                Ok(n) => n,
                Err(err) if total == 0 => return Err(err),
                Err(_) => break,
            };
            total += n as u64;
            if n < len || total >= u32::MAX as u64 {
                break;
            }
        }
        mem::write_u32(m, out, total as u32)
    }

    fn fd_prestat_get(&mut self, m: &mut dyn GuestMemory, fd: u32, out: u32) -> Result<(), Errno> {
        let e = self.fds.get(&fd).ok_or(errno::BADF)?;
        let name = e.preopen.as_ref().ok_or(errno::BADF)?;
        let mut b = [0u8; 8];
        b[0] = PREOPENTYPE_DIR;
        b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
        mem::write(m, out, &b)
    }

    fn fd_prestat_dir_name(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        buf: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.get(&fd).ok_or(errno::BADF)?;
        let name = e.preopen.as_ref().ok_or(errno::BADF)?;
        if (len as usize) < name.len() {
            return Err(errno::NAMETOOLONG);
        }
        mem::write(m, buf, name.as_bytes())
    }

    fn fd_readdir(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
        out: u32,
    ) -> Result<(), Errno> {
        mem::range(m, out, 4)?;
        let r = mem::range(m, buf, buf_len as u64)?;
        let e = self.fds.get(&fd).ok_or(errno::BADF)?;
        if e.base & rights::FD_READDIR == 0 {
            return Err(errno::NOTCAPABLE);
        }
        let Handle::Dir(d) = &e.handle else {
            return Err(errno::NOTDIR);
        };
        let entries = d.entries()?;
        let mut dst = vec![0u8; r.len()];
        let mut used = 0usize;
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, ent) in entries.iter().enumerate().skip(start) {
            let mut rec = Vec::with_capacity(DIRENT_SIZE as usize + ent.name.len());
            rec.extend_from_slice(&(i as u64 + 1).to_le_bytes());
            rec.extend_from_slice(&ent.ino.to_le_bytes());
            rec.extend_from_slice(&(ent.name.len() as u32).to_le_bytes());
            rec.push(ent.filetype);
            rec.extend_from_slice(&[0, 0, 0]);
            rec.extend_from_slice(&ent.name);
            let n = rec.len().min(dst.len() - used);
            dst[used..used + n].copy_from_slice(&rec[..n]);
            used += n;
            if used == dst.len() {
                break;
            }
        }
        m.store(r.start, &dst[..used]);
        mem::write_u32(m, out, used as u32)
    }

    fn fd_renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        if !self.fds.contains_key(&from) || !self.fds.contains_key(&to) {
            return Err(errno::BADF);
        }
        if from == to {
            return Ok(());
        }
        let e = self.fds.remove(&from).ok_or(errno::BADF)?;
        self.fds.insert(to, e);
        Ok(())
    }

    fn fd_seek(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        off: i64,
        wh: u32,
        out: u32,
    ) -> Result<(), Errno> {
        mem::range(m, out, 8)?;
        let need = if off == 0 && wh == whence::CUR as u32 {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        let e = self.fds.get_mut(&fd).ok_or(errno::BADF)?;
        if e.base & need != need {
            return Err(errno::NOTCAPABLE);
        }
        let Handle::File(f) = &mut e.handle else {
            return Err(errno::BADF);
        };
        if wh > whence::END as u32 {
            return Err(errno::INVAL);
        }
        let pos = f.seek(off, wh as u8)?;
        mem::write_u64(m, out, pos)
    }

    // ---- paths ---------------------------------------------------------

    fn path(&self, m: &dyn GuestMemory, ptr: u32, len: u32) -> Result<String, Errno> {
        let r = mem::range(m, ptr, len as u64)?;
        if len > self.limits.max_path_len {
            return Err(errno::NAMETOOLONG);
        }
        let bytes = mem::read_range(m, r);
        if bytes.contains(&0) {
            return Err(errno::INVAL);
        }
        let s = std::str::from_utf8(&bytes).map_err(|_| errno::ILSEQ)?;
        fs::check_path(s, self.limits.max_path_len)?;
        Ok(s.to_string())
    }

    fn path_simple(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        p: u32,
        len: u32,
        op: PathOp,
    ) -> Result<(), Errno> {
        let need = match op {
            PathOp::Mkdir => rights::PATH_CREATE_DIRECTORY,
            PathOp::Rmdir => rights::PATH_REMOVE_DIRECTORY,
            PathOp::Unlink => rights::PATH_UNLINK_FILE,
        };
        let d = self.dir(fd, need)?;
        let path = self.path(m, p, len)?;
        match op {
            PathOp::Mkdir => d.create_dir(&path),
            PathOp::Rmdir => d.remove_dir(&path),
            PathOp::Unlink => d.unlink_file(&path),
        }
    }

    fn path_filestat_get(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        flags: u32,
        p: u32,
        len: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let d = self.dir(fd, rights::PATH_FILESTAT_GET)?;
        let path = self.path(m, p, len)?;
        mem::range(m, out, types::FILESTAT_SIZE as u64)?;
        let st = d.path_stat(&path, flags & lookupflags::SYMLINK_FOLLOW != 0)?;
        mem::write(m, out, &st.to_bytes())
    }

    #[allow(clippy::too_many_arguments)]
    fn path_filestat_set_times(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        flags: u32,
        p: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> Result<(), Errno> {
        let d = self.dir(fd, rights::PATH_FILESTAT_SET_TIMES)?;
        let path = self.path(m, p, len)?;
        let (a, mt) = Self::times(atim, mtim, fst)?;
        d.set_times(Some(&path), flags & lookupflags::SYMLINK_FOLLOW != 0, a, mt)
    }

    #[allow(clippy::too_many_arguments)]
    fn path_link(
        &mut self,
        m: &mut dyn GuestMemory,
        old_fd: u32,
        old_flags: u32,
        op: u32,
        ol: u32,
        new_fd: u32,
        np: u32,
        nl: u32,
    ) -> Result<(), Errno> {
        let from = self.dir(old_fd, rights::PATH_LINK_SOURCE)?;
        let to = self.dir(new_fd, rights::PATH_LINK_TARGET)?;
        let old = self.path(m, op, ol)?;
        let new = self.path(m, np, nl)?;
        from.hard_link(&old, old_flags & lookupflags::SYMLINK_FOLLOW != 0, to, &new)
    }

    #[allow(clippy::too_many_arguments)]
    fn path_open(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        dirflags: u32,
        p: u32,
        len: u32,
        of: u32,
        base: u64,
        inh: u64,
        fdfl: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let of = of as u16;
        let mut need = rights::PATH_OPEN;
        if of & oflags::CREAT != 0 {
            need |= rights::PATH_CREATE_FILE;
        }
        if of & oflags::TRUNC != 0 {
            need |= rights::PATH_FILESTAT_SET_SIZE;
        }
        let d = self.dir(fd, need)?;
        let dir_inh = self.fds.get(&fd).map(|e| e.inheriting).unwrap_or(0);
        let path = self.path(m, p, len)?;
        mem::range(m, out, 4)?;
        if fdfl & !(fdflags::ALL as u32) != 0 {
            return Err(errno::INVAL);
        }
        let base = base & dir_inh;
        let inh = inh & dir_inh;
        const WRITE: u64 = rights::FD_WRITE
            | rights::FD_ALLOCATE
            | rights::FD_FILESTAT_SET_SIZE
            | rights::FD_DATASYNC;
        let opts = OpenOptions {
            follow: dirflags & lookupflags::SYMLINK_FOLLOW != 0,
            create: of & oflags::CREAT != 0,
            exclusive: of & oflags::EXCL != 0,
            truncate: of & oflags::TRUNC != 0,
            directory: of & oflags::DIRECTORY != 0,
            read: base & (rights::FD_READ | rights::FD_READDIR) != 0,
            write: base & WRITE != 0,
        };
        let opened = d.open(&path, &opts)?;
        let (handle, base) = match opened {
            Opened::File(f) => (Handle::File(f), base & rights::REGULAR_FILE_BASE),
            Opened::Dir(d) => (
                Handle::Dir(d),
                base & (rights::DIRECTORY_BASE | rights::FD_READ),
            ),
        };
        let newfd = self.alloc_fd(FdEntry {
            handle,
            base,
            inheriting: inh,
            flags: fdfl as u16,
            preopen: None,
        })?;
        mem::write_u32(m, out, newfd)
    }

    #[allow(clippy::too_many_arguments)]
    fn path_readlink(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        p: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        out: u32,
    ) -> Result<(), Errno> {
        let d = self.dir(fd, rights::PATH_READLINK)?;
        let path = self.path(m, p, len)?;
        let r = mem::range(m, buf, buf_len as u64)?;
        mem::range(m, out, 4)?;
        let target = d.readlink(&path)?;
        let n = target.len().min(r.len());
        m.store(r.start, &target[..n]);
        mem::write_u32(m, out, n as u32)
    }

    #[allow(clippy::too_many_arguments)]
    fn path_rename(
        &mut self,
        m: &mut dyn GuestMemory,
        fd: u32,
        op: u32,
        ol: u32,
        new_fd: u32,
        np: u32,
        nl: u32,
    ) -> Result<(), Errno> {
        let from = self.dir(fd, rights::PATH_RENAME_SOURCE)?;
        let to = self.dir(new_fd, rights::PATH_RENAME_TARGET)?;
        let old = self.path(m, op, ol)?;
        let new = self.path(m, np, nl)?;
        from.rename(&old, to, &new)
    }

    fn path_symlink(
        &mut self,
        m: &mut dyn GuestMemory,
        op: u32,
        ol: u32,
        fd: u32,
        np: u32,
        nl: u32,
    ) -> Result<(), Errno> {
        let d = self.dir(fd, rights::PATH_SYMLINK)?;
        // The target is stored, not resolved; an absolute one could only ever
        // name something outside the sandbox, so it is refused outright.
        let target = self.path(m, op, ol)?;
        let link = self.path(m, np, nl)?;
        d.symlink(&target, &link)
    }

    // ---- poll ----------------------------------------------------------

    fn poll_oneoff(
        &mut self,
        m: &mut dyn GuestMemory,
        input: u32,
        output: u32,
        n: u32,
        out_n: u32,
    ) -> Result<(), Errno> {
        if n == 0 {
            return Err(errno::INVAL);
        }
        mem::range(m, input, n as u64 * SUBSCRIPTION_SIZE as u64)?;
        mem::range(m, output, n as u64 * EVENT_SIZE as u64)?;
        mem::range(m, out_n, 4)?;
        // First pass: descriptor events that are ready now, and clock deadlines.
        let mut events: Vec<[u8; EVENT_SIZE as usize]> = Vec::new();
        let mut clocks: Vec<(u64, u64)> = Vec::new(); // (userdata, relative ns)
        for i in 0..n {
            let s = input + i * SUBSCRIPTION_SIZE;
            let userdata = mem::read_u64(m, s)?;
            let [tag] = mem::read::<1>(m, s + 8)?;
            match tag {
                eventtype::CLOCK => {
                    let id = mem::read_u32(m, s + 16)?;
                    let timeout = mem::read_u64(m, s + 24)?;
                    let flags = mem::read_u16(m, s + 40)?;
                    if id > clockid::THREAD_CPUTIME_ID {
                        events.push(event(userdata, errno::INVAL, tag, 0));
                        continue;
                    }
                    let rel = if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                        timeout.saturating_sub(self.now(id)?)
                    } else {
                        timeout
                    };
                    clocks.push((userdata, rel));
                }
                eventtype::FD_READ | eventtype::FD_WRITE => {
                    let fd = mem::read_u32(m, s + 16)?;
                    let ev = match self.fds.get(&fd) {
                        None => event(userdata, errno::BADF, tag, 0),
                        Some(e) if e.base & rights::POLL_FD_READWRITE == 0 => {
                            event(userdata, errno::NOTCAPABLE, tag, 0)
                        }
                        Some(e) => {
                            let nbytes = match &e.handle {
                                Handle::File(f) if tag == eventtype::FD_READ => {
                                    f.bytes_ready().unwrap_or(0)
                                }
                                _ => 0,
                            };
                            event(userdata, 0, tag, nbytes)
                        }
                    };
                    events.push(ev);
                }
                _ => events.push(event(userdata, errno::INVAL, tag, 0)),
            }
        }
        if events.is_empty() {
            let wait = clocks.iter().map(|c| c.1).min().unwrap_or(0);
            match self.clock {
                Clock::System => {
                    // Done by the caller, after the events are written.
                    self.pending_sleep = Some(Duration::from_nanos(wait).min(self.limits.max_sleep))
                }
                Clock::Deterministic { .. } => {
                    self.virtual_now = self.virtual_now.saturating_add(wait)
                }
            }
            // Every clock subscription due by now fires.
            for (userdata, rel) in clocks {
                if rel <= wait {
                    events.push(event(userdata, 0, eventtype::CLOCK, 0));
                }
            }
        }
        for (i, ev) in events.iter().enumerate() {
            mem::write(m, output + i as u32 * EVENT_SIZE, ev)?;
        }
        mem::write_u32(m, out_n, events.len() as u32)
    }

    fn sock(&mut self, fd: u32) -> Result<(), Errno> {
        // No socket is ever in the table: preview1 cannot create one, and we preopen none.
        if self.fds.contains_key(&fd) {
            Err(errno::NOTSOCK)
        } else {
            Err(errno::BADF)
        }
    }
}

#[derive(Clone, Copy)]
enum PathOp {
    Mkdir,
    Rmdir,
    Unlink,
}

/// What the component host ([`component`]) reads and changes of a context:
/// the same arguments, environment, stdio, clocks, randomness and preopens
/// as preview1 sees.
impl WasiCtx {
    /// The arguments, as strings (invalid UTF-8 replaced).
    pub(crate) fn arg_strings(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// The environment as `(key, value)` pairs.
    pub(crate) fn env_pairs(&self) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|kv| {
                let s = String::from_utf8_lossy(kv);
                match s.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (s.into_owned(), String::new()),
                }
            })
            .collect()
    }

    /// A reading of the realtime (`wall`) or monotonic clock, ns.
    pub(crate) fn clock_now(&mut self, wall: bool) -> u64 {
        let id = if wall {
            clockid::REALTIME
        } else {
            clockid::MONOTONIC
        };
        self.now(id).unwrap_or(0)
    }

    /// The clocks' resolution, ns.
    pub(crate) fn clock_resolution(&self) -> u64 {
        match self.clock {
            Clock::Deterministic { step_ns, .. } => step_ns.max(1),
            Clock::System => 1,
        }
    }

    /// Lets `ns` pass: the virtual clock jumps; the system clock gives the
    /// sleep for the caller to do (capped by the limits).
    pub(crate) fn pass_time(&mut self, ns: u64) -> Option<Duration> {
        match self.clock {
            Clock::Deterministic { .. } => {
                self.virtual_now = self.virtual_now.saturating_add(ns);
                None
            }
            Clock::System => Some(Duration::from_nanos(ns).min(self.limits.max_sleep)),
        }
    }

    /// Fills `out` from the context's randomness source.
    pub(crate) fn random_bytes(&mut self, out: &mut [u8]) {
        self.fill_random(out)
    }

    /// The next value of the context's deterministic generator (for the
    /// `insecure` interfaces).
    pub(crate) fn insecure_u64(&mut self) -> u64 {
        self.next_random()
    }

    /// The open stdio file `fd` (0, 1, 2), unless the guest closed it.
    pub(crate) fn stdio_file(&mut self, fd: u32) -> Option<&mut Box<dyn WasiFile>> {
        match self.fds.get_mut(&fd).map(|e| &mut e.handle) {
            Some(Handle::File(f)) if fd <= 2 => Some(f),
            _ => None,
        }
    }

    /// Moves the preopened directories out, in order, with their guest names.
    pub(crate) fn take_preopens(&mut self) -> Vec<(Box<dyn WasiDir>, String)> {
        let fds: Vec<u32> = self
            .fds
            .iter()
            .filter(|(_, e)| e.preopen.is_some())
            .map(|(fd, _)| *fd)
            .collect();
        let mut out = Vec::new();
        for fd in fds {
            if let Some(FdEntry {
                handle: Handle::Dir(d),
                preopen: Some(name),
                ..
            }) = self.fds.remove(&fd)
            {
                out.push((d, name));
            }
        }
        out
    }

    /// Records the exit status.
    pub(crate) fn set_exit_code(&mut self, code: u32) {
        self.exit_code = Some(code);
    }

    /// The limits.
    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }
}

fn event(userdata: u64, err: Errno, tag: u8, nbytes: u64) -> [u8; EVENT_SIZE as usize] {
    let mut b = [0u8; EVENT_SIZE as usize];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8..10].copy_from_slice(&err.to_le_bytes());
    b[10] = tag;
    b[16..24].copy_from_slice(&nbytes.to_le_bytes());
    b
}

fn monotonic_ns() -> u64 {
    use std::sync::OnceLock;
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    let a = *ANCHOR.get_or_init(Instant::now);
    // Offset by one second so that readings are never zero.
    1_000_000_000 + a.elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests;
