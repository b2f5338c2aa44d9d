//! WASI 0.2 and 0.3 for components: host instances registered in a
//! component [`Runtime`] over the same [`WasiCtx`] as preview1 (arguments,
//! environment, stdio sinks and sources, clocks, randomness, preopens,
//! limits), and [`run_component`], the component form of
//! [`super::run_command`].
//!
//! Interfaces and function types are those of the WIT packages
//! `wasi:{io,cli,clocks,random,filesystem}@0.2.x` and `@0.3.0`, as the
//! official wasip3 components import them. 0.2 interfaces are registered
//! at [`P2_VERSION`] (an import of any older 0.2.x resolves to them by
//! semver), 0.3 interfaces at [`P3_VERSION`].
//!
//! `P2_VERSION` is the newest 0.2 release the official preview1 adapter
//! (wasmtime 50's) imports, so adapted preview1 programs link.
//!
//! Host resources (streams, pollables, errors, terminals, descriptors,
//! directory-entry streams) are entries of one table; a handle's
//! representation is the entry's key, and each resource type's destructor
//! removes its entry. A 0.2 file stream (`read-via-stream`,
//! `write-via-stream`, `append-via-stream`) names its descriptor's entry and
//! an offset: it reads and writes through the descriptor while it lives, and
//! is closed once the descriptor is dropped.
//!
//! `wasi:filesystem` of both versions sits on the capability file-system
//! layer of preview1 ([`super::fs`]): one path check, one pair of backends.
//!
//! The 0.3 functions that take or return `stream`/`future` values
//! (`wasi:cli/std{in,out,err}@0.3.0`, the descriptors' `*-via-stream` and
//! `read-directory`) hold the host's end of the stream
//! ([`crate::component::HostCx`]): the host reads what the component writes
//! as it writes it, and writes what the component reads as it reads it;
//! their futures are written when the call has checked its arguments.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use super::fs::{OpenOptions, Opened, WasiDir, WasiFile};
use super::types::{self as wt, Errno, TimeSet, errno};
use super::{RunError, RunResult, WasiCtx};
use crate::Config;
use crate::component::HostCx;
use crate::component::exec::{
    HostCall, HostDtor, HostFunc, HostFuncAsync, HostFuncCx, HostItem, HostSink, HostSource,
};
use crate::component::{self, FuncType, ResourceType, Runtime, Trap, ValType, Value};

/// The WASI 0.2 version the host's 0.2 interfaces are registered at.
pub const P2_VERSION: &str = "0.2.12";
/// The WASI 0.3 version the host's 0.3 interfaces are registered at.
pub const P3_VERSION: &str = "0.3.0";
/// `blocking-write-and-flush` takes at most this many bytes (wasi:io/streams).
const BLOCKING_WRITE_MAX: usize = 4096;
/// What `check-write` permits per write.
const WRITE_BUDGET: u64 = 1 << 20;
/// The most bytes one stream read returns.
const READ_CHUNK: u64 = 64 << 10;
/// The most bytes one `get-random-bytes` call returns (0.2: a longer
/// request traps; 0.3's `max-len` is an upper bound, so it is capped).
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// A host object behind a resource handle.
enum Object {
    /// `output-stream`.
    Output(Sink),
    /// `input-stream`.
    Input(Source),
    /// `pollable` (wasi:io/poll@0.2).
    Pollable(Pollable),
    /// `error` (wasi:io/error) with its debug string and, for a file-system
    /// failure, the errno `filesystem-error-code` reports.
    Error(String, Option<Errno>),
    /// `terminal-input` / `terminal-output`.
    Terminal,
    /// `descriptor` (wasi:filesystem).
    Descriptor(Descriptor),
    /// `directory-entry-stream` (wasi:filesystem@0.2): the entries not yet read.
    DirEntries(std::collections::VecDeque<wt::DirEntry>),
    /// `tcp-socket` (wasi:sockets@0.3).
    Tcp(sockets::TcpSock),
    /// `udp-socket` (wasi:sockets@0.3).
    Udp(sockets::UdpSock),
    /// `network` (wasi:sockets@0.2): the one network a run may use.
    Network,
    /// `tcp-socket` (wasi:sockets@0.2), shared with its pollables.
    Tcp2(Arc<Mutex<sockets::Tcp2>>),
    /// `udp-socket` (wasi:sockets@0.2), shared like a `tcp-socket`.
    Udp2(Arc<Mutex<sockets::Udp2>>),
    /// `incoming-datagram-stream` (wasi:sockets@0.2).
    UdpIn(sockets::UdpIn),
    /// `outgoing-datagram-stream` (wasi:sockets@0.2).
    UdpOut(sockets::UdpOut),
    /// `resolve-address-stream` (wasi:sockets@0.2).
    Resolving(sockets::Lookup),
}

/// What a `pollable` waits for.
enum Pollable {
    /// The monotonic clock reading it is ready from (`None`: always ready).
    Clock(Option<u64>),
    /// A host object's readiness (a network stream, a connecting or
    /// listening socket, an HTTP response on its way): asked at each check.
    Watch(Box<dyn FnMut() -> bool + Send>),
}

impl Pollable {
    /// Whether the pollable is ready at monotonic time `now`.
    fn ready(&mut self, now: u64) -> bool {
        match self {
            Pollable::Clock(d) => d.is_none_or(|d| now >= d),
            Pollable::Watch(ready) => ready(),
        }
    }
}

/// How a host-made stream ended (wasi:io/streams `stream-error`).
pub(super) enum StreamEnd {
    /// `closed`: the end of the data, or the peer went away.
    Closed,
    /// `last-operation-failed`, with the `error`'s debug string.
    Failed(String),
}

/// The readable side of a host-made `input-stream` (a TCP connection, an
/// HTTP body): never blocks.
pub(super) trait HostInput: Send {
    /// At most `max` bytes available now (none yet: empty), or the end.
    fn read(&mut self, max: usize) -> Result<Vec<u8>, StreamEnd>;
    /// Whether a read would give bytes or the end now.
    fn ready(&mut self) -> bool;
}

/// The writable side of a host-made `output-stream`: holds what it is
/// given and sends it on as the peer takes it, never blocking.
pub(super) trait HostOutput: Send {
    /// Sends on what it holds as far as the peer takes it now, then says
    /// how many more bytes it takes (0: full), or how the stream ended.
    fn check_write(&mut self) -> Result<u64, StreamEnd>;
    /// Takes `data` (no more than `check_write` allowed).
    fn write(&mut self, data: &[u8]) -> Result<(), StreamEnd>;
    /// Sends on what it holds; whether everything is sent.
    fn flushed(&mut self) -> Result<bool, StreamEnd>;
}

/// A host-made input stream, shared with the pollables that watch it.
pub(super) type HostIn = Arc<Mutex<dyn HostInput>>;
/// A host-made output stream, shared with the pollables that watch it.
pub(super) type HostOut = Arc<Mutex<dyn HostOutput>>;

/// Where an `output-stream` writes.
#[derive(Clone)]
enum Sink {
    /// Stdout (1) or stderr (2).
    Stdio(u32),
    /// The file of descriptor `desc`, at `at` (`None`: appending).
    File { desc: u32, at: Option<u64> },
    /// A host-made stream.
    Host(HostOut),
}

/// Where an `input-stream` reads from.
#[derive(Clone)]
enum Source {
    /// Stdin.
    Stdin,
    /// The file of descriptor `desc`, from `at`.
    File { desc: u32, at: u64 },
    /// A host-made stream.
    Host(HostIn),
}

/// An open file-system object of `wasi:filesystem`, with its
/// `descriptor-flags`.
struct Descriptor {
    kind: DescKind,
    flags: Vec<String>,
}

enum DescKind {
    Dir(Box<dyn WasiDir>),
    File(Box<dyn WasiFile>),
}

/// The host objects of one run, by representation.
#[derive(Default)]
struct Table {
    next: u32,
    objects: HashMap<u32, Object>,
}

impl Table {
    fn push(&mut self, o: Object) -> u32 {
        self.next = self.next.wrapping_add(1);
        while self.objects.contains_key(&self.next) || self.next == 0 {
            self.next = self.next.wrapping_add(1);
        }
        self.objects.insert(self.next, o);
        self.next
    }
}

/// Preopened directories with their guest names.
type Preopens = Vec<(Box<dyn WasiDir>, String)>;

/// The state every host function shares.
struct Host {
    ctx: Arc<Mutex<WasiCtx>>,
    table: Mutex<Table>,
    interrupt: Arc<AtomicBool>,
    /// `insecure-seed`: drawn once, the same for every call of a run.
    seed: std::sync::OnceLock<(u64, u64)>,
    /// The preopened directories, taken out of the context on first use.
    preopens: Mutex<Option<Preopens>>,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn host_trap(msg: impl Into<String>) -> Trap {
    Trap::Component(msg.into())
}

impl Host {
    fn ctx(&self) -> MutexGuard<'_, WasiCtx> {
        lock(&self.ctx)
    }
    fn table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }
    fn push(&self, o: Object) -> u32 {
        self.table().push(o)
    }
    /// Sleeps for what `ctx.pass_time` asked, without holding the context.
    fn pass_time(&self, ns: u64) {
        let sleep = self.ctx().pass_time(ns);
        if let Some(d) = sleep {
            WasiCtx::sleep_interruptibly(&self.interrupt, d);
        }
    }
    /// Waits until one of `pollables` is ready (their indices), polling
    /// watched objects with a growing pause (50 µs to 10 ms) and sleeping
    /// no later than the earliest clock deadline; a stop request traps.
    fn wait_for(&self, pollables: &mut [&mut Pollable]) -> Result<Vec<u32>, Trap> {
        let mut pause = std::time::Duration::from_micros(50);
        loop {
            let now = self.ctx().clock_now(false);
            let ready: Vec<u32> = (0..pollables.len() as u32)
                .filter(|&i| pollables[i as usize].ready(now))
                .collect();
            if !ready.is_empty() {
                return Ok(ready);
            }
            if self.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Trap::Core(crate::exec::Trap::Interrupted));
            }
            let watching = pollables.iter().any(|p| matches!(p, Pollable::Watch(_)));
            let first = pollables
                .iter()
                .filter_map(|p| match p {
                    Pollable::Clock(d) => *d,
                    Pollable::Watch(_) => None,
                })
                .min();
            match (first, watching) {
                // Only clocks: wait for the first one (virtual time passes
                // at once).
                (Some(d), false) => self.wait_until(d),
                // Clocks and watches: a real pause, no longer than the
                // first deadline (a virtual clock moves on by as much).
                (Some(d), true) => {
                    let nap = pause.min(std::time::Duration::from_nanos(d.saturating_sub(now)));
                    let _ = self
                        .ctx()
                        .pass_time(u64::try_from(nap.as_nanos()).unwrap_or(0));
                    std::thread::sleep(nap);
                }
                (None, _) => std::thread::sleep(pause),
            }
            pause = (pause * 2).min(std::time::Duration::from_millis(10));
        }
    }
    /// Waits until `ready` says so ([`Host::wait_for`] with one watch).
    fn wait_while(&self, ready: impl FnMut() -> bool + Send + 'static) -> Result<(), Trap> {
        let mut watch = Pollable::Watch(Box::new(ready));
        self.wait_for(&mut [&mut watch]).map(|_| ())
    }
    /// Waits until the monotonic clock reads `deadline`.
    fn wait_until(&self, deadline: u64) {
        let now = self.ctx().clock_now(false);
        if deadline > now {
            self.pass_time(deadline - now);
        }
    }
}

// ---- values ----------------------------------------------------------

fn rep(v: Option<&Value>) -> Result<u32, Trap> {
    match v {
        Some(Value::Own(r) | Value::Borrow(r)) => Ok(*r),
        _ => Err(host_trap("host: expected a resource handle")),
    }
}
fn u64_arg(v: Option<&Value>) -> Result<u64, Trap> {
    match v {
        Some(Value::U64(x)) => Ok(*x),
        _ => Err(host_trap("host: expected a u64")),
    }
}
fn string_arg(v: Option<&Value>) -> Result<&str, Trap> {
    match v {
        Some(Value::String(s)) => Ok(s),
        _ => Err(host_trap("host: expected a string")),
    }
}
fn flags_arg(v: Option<&Value>) -> Result<&[String], Trap> {
    match v {
        Some(Value::Flags(f)) => Ok(f),
        _ => Err(host_trap("host: expected flags")),
    }
}
fn bytes_arg(v: Option<&Value>) -> Result<Vec<u8>, Trap> {
    match v {
        Some(Value::List(l)) => l
            .iter()
            .map(|b| match b {
                Value::U8(b) => Ok(*b),
                _ => Err(host_trap("host: expected list<u8>")),
            })
            .collect(),
        _ => Err(host_trap("host: expected list<u8>")),
    }
}
fn bytes(b: &[u8]) -> Value {
    Value::List(b.iter().map(|&b| Value::U8(b)).collect())
}
fn some(v: Value) -> Value {
    Value::Option(Some(Box::new(v)))
}
fn ok(v: Option<Value>) -> Value {
    Value::Result(Ok(v.map(Box::new)))
}
fn err(v: Value) -> Value {
    Value::Result(Err(Some(Box::new(v))))
}
fn tuple2(a: Value, b: Value) -> Value {
    Value::Tuple(vec![a, b])
}
fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    )
}
fn strings(l: Vec<String>) -> Value {
    Value::List(l.into_iter().map(Value::String).collect())
}
fn env_list(l: Vec<(String, String)>) -> Value {
    Value::List(
        l.into_iter()
            .map(|(k, v)| tuple2(Value::String(k), Value::String(v)))
            .collect(),
    )
}

// ---- types -----------------------------------------------------------

use ValType as T;

fn list(t: ValType) -> ValType {
    T::List(Box::new(t))
}
fn tuple(ts: Vec<ValType>) -> ValType {
    T::Tuple(ts)
}
fn option(t: ValType) -> ValType {
    T::Option(Box::new(t))
}
fn result(ok: Option<ValType>, err: Option<ValType>) -> ValType {
    T::Result(ok.map(Box::new), err.map(Box::new))
}
fn rec(fields: &[(&str, ValType)]) -> ValType {
    T::Record(
        fields
            .iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect(),
    )
}
fn enum_(cases: &[&str]) -> ValType {
    T::Enum(cases.iter().map(|c| c.to_string()).collect())
}
fn flags(names: &[&str]) -> ValType {
    T::Flags(names.iter().map(|c| c.to_string()).collect())
}
fn variant(cases: &[(&str, Option<ValType>)]) -> ValType {
    T::Variant(
        cases
            .iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect(),
    )
}

/// A function type from named parameters and an optional result.
fn functype(is_async: bool, params: &[(&str, ValType)], result: Option<ValType>) -> FuncType {
    FuncType {
        is_async,
        params: params
            .iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect(),
        result,
    }
}

type Impl = dyn Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync;

/// One host interface being built.
struct Iface {
    host: Arc<Host>,
    items: Vec<(String, HostItem)>,
}

impl Iface {
    fn new(host: &Arc<Host>) -> Iface {
        Iface {
            host: host.clone(),
            items: Vec::new(),
        }
    }
    fn ty(mut self, name: &str, t: ValType) -> Self {
        self.items.push((name.to_string(), HostItem::Type(t)));
        self
    }
    fn resource(mut self, name: &str, rt: ResourceType) -> Self {
        self.items.push((name.to_string(), HostItem::Resource(rt)));
        self
    }
    fn func_(
        mut self,
        is_async: bool,
        name: &str,
        params: &[(&str, ValType)],
        res: Option<ValType>,
        f: impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static,
    ) -> Self {
        let ty = functype(is_async, params, res);
        let host = self.host.clone();
        let f: Arc<Impl> = Arc::new(f);
        let hf: HostFunc = Arc::new(move |args: &[Value]| f(&host, args));
        self.items.push((name.to_string(), HostItem::Func(ty, hf)));
        self
    }
    fn func(
        self,
        name: &str,
        params: &[(&str, ValType)],
        res: Option<ValType>,
        f: impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static,
    ) -> Self {
        self.func_(false, name, params, res, f)
    }
    fn async_func(
        self,
        name: &str,
        params: &[(&str, ValType)],
        res: Option<ValType>,
        f: impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static,
    ) -> Self {
        self.func_(true, name, params, res, f)
    }
    /// A function that makes or takes streams and futures.
    fn func_cx(
        mut self,
        name: &str,
        params: &[(&str, ValType)],
        res: Option<ValType>,
        f: impl Fn(&Arc<Host>, &mut HostCx<'_>, &[Value]) -> Result<Option<Value>, Trap>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let ty = functype(false, params, res);
        let host = self.host.clone();
        let hf: HostFuncCx =
            Arc::new(move |cx: &mut HostCx<'_>, args: &[Value]| f(&host, cx, args));
        self.items
            .push((name.to_string(), HostItem::FuncCx(ty, hf)));
        self
    }
    /// An `async` function that may finish after it returns ([`HostCall`]).
    fn func_async(
        mut self,
        name: &str,
        params: &[(&str, ValType)],
        res: Option<ValType>,
        f: impl Fn(&Arc<Host>, &mut HostCx<'_>, &[Value]) -> Result<HostCall, Trap>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let ty = functype(true, params, res);
        let host = self.host.clone();
        let hf: HostFuncAsync =
            Arc::new(move |cx: &mut HostCx<'_>, args: &[Value]| f(&host, cx, args));
        self.items
            .push((name.to_string(), HostItem::FuncAsync(ty, hf)));
        self
    }
    fn register(self, rt: &mut Runtime, name: &str, version: &str) {
        rt.register_host(&format!("{name}@{version}"), HostItem::Instance(self.items));
    }
}

/// `exit(status: result)`: ends the run with 0 or 1.
fn exit_impl(h: &Host, a: &[Value]) -> Result<Option<Value>, Trap> {
    let code = match a.first() {
        Some(Value::Result(Ok(_))) => 0,
        _ => 1,
    };
    h.ctx().set_exit_code(code);
    Err(Trap::Core(crate::exec::Trap::Exit(code as i32)))
}

/// `exit-with-code(status-code: u8)`.
fn exit_code_impl(h: &Host, a: &[Value]) -> Result<Option<Value>, Trap> {
    let code = match a.first() {
        Some(Value::U8(c)) => *c as u32,
        _ => 1,
    };
    h.ctx().set_exit_code(code);
    Err(Trap::Core(crate::exec::Trap::Exit(code as i32)))
}

fn terminal_for(
    fd: u32,
) -> impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static {
    move |h: &Host, _: &[Value]| {
        let tty = h.ctx().stdio_file(fd).is_some_and(|f| f.is_tty());
        Ok(Some(Value::Option(
            tty.then(|| Box::new(Value::Own(h.push(Object::Terminal)))),
        )))
    }
}

/// `get-random-bytes` / `get-insecure-random-bytes`: `exact` for 0.2's
/// `len`, else 0.3's `max-len` (an upper bound).
fn random_bytes(
    secure: bool,
    exact: bool,
) -> impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static {
    move |h: &Host, a: &[Value]| {
        let n = u64_arg(a.first())?;
        if exact && n > MAX_RANDOM_BYTES {
            return Err(host_trap(format!(
                "random byte request of {n} bytes exceeds the host's limit of {MAX_RANDOM_BYTES}"
            )));
        }
        let mut b = vec![0u8; n.min(MAX_RANDOM_BYTES) as usize];
        let mut c = h.ctx();
        if secure {
            c.random_bytes(&mut b);
        } else {
            for chunk in b.chunks_mut(8) {
                let v = c.insecure_u64().to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
        Ok(Some(bytes(&b)))
    }
}

// ---- wasi:io@0.2 ------------------------------------------------------

/// The resource types shared between 0.2 interfaces.
struct P2Types {
    error: ResourceType,
    pollable: ResourceType,
    input: ResourceType,
    output: ResourceType,
}

fn stream_error(p: &P2Types) -> ValType {
    variant(&[
        ("last-operation-failed", Some(T::Own(p.error))),
        ("closed", None),
    ])
}

/// A `stream-error` value for a failed read or write.
fn failed(h: &Host, e: Errno) -> Value {
    failed_with(h, errno::name(e).to_string(), Some(e))
}
fn failed_with(h: &Host, msg: String, e: Option<Errno>) -> Value {
    let r = h.push(Object::Error(msg, e));
    err(Value::Variant(
        "last-operation-failed".into(),
        Some(Box::new(Value::Own(r))),
    ))
}
fn closed() -> Value {
    err(Value::Variant("closed".into(), None))
}
/// The `stream-error` of a host-made stream's end.
fn ended(h: &Host, e: StreamEnd) -> Value {
    match e {
        StreamEnd::Closed => closed(),
        StreamEnd::Failed(msg) => failed_with(h, msg, None),
    }
}

/// The sink of output stream `r`.
fn sink_of(h: &Host, r: u32) -> Result<Sink, Trap> {
    match h.table().objects.get(&r) {
        Some(Object::Output(s)) => Ok(s.clone()),
        _ => Err(host_trap("host: not an output-stream")),
    }
}

/// The source of input stream `r`.
fn source_of(h: &Host, r: u32) -> Result<Source, Trap> {
    match h.table().objects.get(&r) {
        Some(Object::Input(s)) => Ok(s.clone()),
        _ => Err(host_trap("host: not an input-stream")),
    }
}

/// Writes `data` to the output stream `r`. A host-made stream takes no
/// more than `check-write` permits (wasi:io/streams `write`: more traps)
/// unless `blocking`, when it waits for room and then for the flush.
fn stream_write(h: &Host, r: u32, data: &[u8], blocking: bool) -> Result<Value, Trap> {
    let (desc, at) = match sink_of(h, r)? {
        Sink::Host(o) => return host_write(h, &o, data, blocking),
        Sink::Stdio(fd) => {
            let mut c = h.ctx();
            let Some(f) = c.stdio_file(fd) else {
                return Ok(closed());
            };
            let mut at = 0;
            while at < data.len() {
                match f.write(&data[at..], false) {
                    Ok(0) => return Ok(closed()),
                    Ok(n) => at += n,
                    Err(e) => {
                        drop(c);
                        return Ok(failed(h, e));
                    }
                }
            }
            return Ok(ok(None));
        }
        Sink::File { desc, at } => (desc, at),
    };
    // A file stream (wasi:filesystem write-via-stream / append-via-stream):
    // writes at its offset, or at the end when appending.
    let res = {
        let mut t = h.table();
        match t.objects.get_mut(&desc) {
            Some(Object::Descriptor(Descriptor {
                kind: DescKind::File(f),
                ..
            })) => {
                let mut done = 0usize;
                let mut r = Ok(());
                while done < data.len() {
                    let w = match at {
                        Some(off) => f.write_at(&data[done..], off.saturating_add(done as u64)),
                        None => f.write(&data[done..], true),
                    };
                    match w {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                }
                r.map(|_| done)
            }
            // The descriptor is gone: the stream is closed.
            _ => return Ok(closed()),
        }
    };
    match res {
        Ok(n) => {
            if let (Some(off), Some(Object::Output(Sink::File { at: pos, .. }))) =
                (at, h.table().objects.get_mut(&r))
            {
                *pos = Some(off.saturating_add(n as u64));
            }
            Ok(ok(None))
        }
        Err(e) => Ok(failed(h, e)),
    }
}

/// `write` / `blocking-write-and-flush` on a host-made stream.
fn host_write(h: &Host, o: &HostOut, data: &[u8], blocking: bool) -> Result<Value, Trap> {
    let room = |o: &HostOut| lock(o).check_write();
    if !blocking {
        let permit = match room(o) {
            Ok(n) => n,
            Err(e) => return Ok(ended(h, e)),
        };
        // wasi:io/streams `write`: more than `check-write` permits traps.
        if data.len() as u64 > permit {
            return Err(host_trap(format!(
                "output-stream.write of {} bytes exceeds the {permit} permitted",
                data.len()
            )));
        }
        return Ok(match lock(o).write(data) {
            Ok(()) => ok(None),
            Err(e) => ended(h, e),
        });
    }
    let mut at = 0;
    while at < data.len() {
        let n = match room(o) {
            Ok(0) => {
                let o2 = o.clone();
                h.wait_while(move || !matches!(room(&o2), Ok(0)))?;
                continue;
            }
            Ok(n) => (n as usize).min(data.len() - at),
            Err(e) => return Ok(ended(h, e)),
        };
        if let Err(e) = lock(o).write(&data[at..at + n]) {
            return Ok(ended(h, e));
        }
        at += n;
    }
    host_flush(h, o, true)
}

/// `flush` / `blocking-flush` on a host-made stream.
fn host_flush(h: &Host, o: &HostOut, blocking: bool) -> Result<Value, Trap> {
    let o2 = o.clone();
    if blocking {
        h.wait_while(move || !matches!(lock(&o2).flushed(), Ok(false)))?;
    }
    Ok(match lock(o).flushed() {
        Ok(_) => ok(None),
        Err(e) => ended(h, e),
    })
}

/// Reads at most `len` bytes from the input stream `r`: `closed` at end of
/// file. A host-made stream with nothing to give waits when `blocking`.
fn stream_read(h: &Host, r: u32, len: u64, blocking: bool) -> Result<Value, Trap> {
    let mut buf = vec![0u8; len.min(READ_CHUNK) as usize];
    let got = match source_of(h, r)? {
        Source::Host(i) => loop {
            let got = lock(&i).read(buf.len());
            match got {
                Ok(b) if b.is_empty() && blocking && len > 0 => {
                    let i2 = i.clone();
                    h.wait_while(move || lock(&i2).ready())?;
                }
                Ok(b) => return Ok(ok(Some(bytes(&b)))),
                Err(e) => return Ok(ended(h, e)),
            }
        },
        Source::Stdin => {
            let mut c = h.ctx();
            let Some(f) = c.stdio_file(0) else {
                return Ok(closed());
            };
            f.read(&mut buf)
        }
        Source::File { desc, at } => {
            let mut t = h.table();
            let got = match t.objects.get_mut(&desc) {
                Some(Object::Descriptor(Descriptor {
                    kind: DescKind::File(f),
                    ..
                })) => f.read_at(&mut buf, at),
                _ => return Ok(closed()),
            };
            if let (Ok(n), Some(Object::Input(Source::File { at, .. }))) =
                (&got, t.objects.get_mut(&r))
            {
                *at = at.saturating_add(*n as u64);
            }
            got
        }
    };
    match got {
        Ok(0) if len > 0 => Ok(closed()),
        Ok(n) => Ok(ok(Some(bytes(&buf[..n])))),
        Err(e) => Ok(failed(h, e)),
    }
}

/// Waits until one of the pollables `reps` is ready (wasi:io/poll `poll`):
/// the indices of the ready ones. The pollables leave the table while the
/// host waits (a list may name one twice).
fn poll_reps(h: &Host, reps: &[u32]) -> Result<Vec<u32>, Trap> {
    let mut uniq = reps.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let mut taken: Vec<Pollable> = Vec::with_capacity(uniq.len());
    let mut bad = false;
    {
        let mut t = h.table();
        for r in &uniq {
            match t.objects.remove(r) {
                Some(Object::Pollable(p)) => taken.push(p),
                Some(o) => {
                    t.objects.insert(*r, o);
                    bad = true;
                    break;
                }
                None => {
                    bad = true;
                    break;
                }
            }
        }
    }
    let waited = if bad {
        Err(host_trap("host: not a pollable"))
    } else {
        let mut refs: Vec<&mut Pollable> = taken.iter_mut().collect();
        h.wait_for(&mut refs)
    };
    let mut t = h.table();
    for (r, p) in uniq.iter().zip(taken) {
        t.objects.insert(*r, Object::Pollable(p));
    }
    let ready: Vec<u32> = waited?.iter().map(|&i| uniq[i as usize]).collect();
    Ok((0..reps.len() as u32)
        .filter(|&i| ready.contains(&reps[i as usize]))
        .collect())
}

/// A pollable for the stream `r` (`subscribe`): a host-made stream is
/// ready when it has bytes or room (or ended); the others always are.
fn stream_pollable(h: &Host, r: u32) -> Result<Value, Trap> {
    let p = match h.table().objects.get(&r) {
        Some(Object::Input(Source::Host(i))) => {
            let i = i.clone();
            Pollable::Watch(Box::new(move || lock(&i).ready()))
        }
        Some(Object::Output(Sink::Host(o))) => {
            let o = o.clone();
            Pollable::Watch(Box::new(move || !matches!(lock(&o).check_write(), Ok(0))))
        }
        Some(Object::Input(_) | Object::Output(_)) => Pollable::Clock(None),
        _ => return Err(host_trap("host: not a stream")),
    };
    Ok(Value::Own(h.push(Object::Pollable(p))))
}

/// `splice` / `blocking-splice` (wasi:io/streams): `check-write` on the
/// output, a read of no more than it permits (and `len`) from the input,
/// then a write of what came; the blocking form waits for bytes to read,
/// then for room and the flush. The number of bytes moved, or the first
/// error.
fn splice(h: &Host, a: &[Value], blocking: bool) -> Result<Option<Value>, Trap> {
    let (out, inp, len) = (rep(a.first())?, rep(a.get(1))?, u64_arg(a.get(2))?);
    let room = match sink_of(h, out)? {
        Sink::Host(o) => {
            let r = lock(&o).check_write();
            match r {
                Ok(n) => n,
                Err(e) => return Ok(Some(ended(h, e))),
            }
        }
        _ => WRITE_BUDGET,
    };
    let want = if blocking { len } else { len.min(room) };
    if want == 0 {
        return Ok(Some(ok(Some(Value::U64(0)))));
    }
    let data = match stream_read(h, inp, want, blocking)? {
        Value::Result(Ok(Some(l))) => bytes_arg(Some(&l))?,
        other => return Ok(Some(other)),
    };
    Ok(Some(match stream_write(h, out, &data, blocking)? {
        Value::Result(Ok(_)) => ok(Some(Value::U64(data.len() as u64))),
        other => other,
    }))
}

fn io_p2(rt: &mut Runtime, host: &Arc<Host>, p: &P2Types) {
    let v = P2_VERSION;
    Iface::new(host)
        .resource("error", p.error)
        .func(
            "[method]error.to-debug-string",
            &[("self", T::Borrow(p.error))],
            Some(T::String),
            |h, a| {
                let r = rep(a.first())?;
                match h.table().objects.get(&r) {
                    Some(Object::Error(s, _)) => Ok(Some(Value::String(s.clone()))),
                    _ => Err(host_trap("host: not an error")),
                }
            },
        )
        .register(rt, "wasi:io/error", v);
    Iface::new(host)
        .resource("pollable", p.pollable)
        .func(
            "[method]pollable.ready",
            &[("self", T::Borrow(p.pollable))],
            Some(T::Bool),
            |h, a| {
                let r = rep(a.first())?;
                let now = h.ctx().clock_now(false);
                match h.table().objects.get_mut(&r) {
                    Some(Object::Pollable(p)) => Ok(Some(Value::Bool(p.ready(now)))),
                    _ => Err(host_trap("host: not a pollable")),
                }
            },
        )
        .func(
            "[method]pollable.block",
            &[("self", T::Borrow(p.pollable))],
            None,
            |h, a| poll_reps(h, &[rep(a.first())?]).map(|_| None),
        )
        .func(
            "poll",
            &[("in", list(T::Borrow(p.pollable)))],
            Some(list(T::U32)),
            |h, a| {
                let Some(Value::List(ps)) = a.first() else {
                    return Err(host_trap("host: expected a list of pollables"));
                };
                // wasi:io/poll: trap on an empty list.
                if ps.is_empty() {
                    return Err(host_trap("poll: the list of pollables is empty"));
                }
                let reps: Vec<u32> = ps.iter().map(|p| rep(Some(p))).collect::<Result<_, _>>()?;
                let ready = poll_reps(h, &reps)?;
                Ok(Some(Value::List(
                    ready.into_iter().map(Value::U32).collect(),
                )))
            },
        )
        .register(rt, "wasi:io/poll", v);
    let se = stream_error(p);
    let (inp, out) = (T::Borrow(p.input), T::Borrow(p.output));
    let read = |blocking| {
        move |h: &Host, a: &[Value]| {
            stream_read(h, rep(a.first())?, u64_arg(a.get(1))?, blocking).map(Some)
        }
    };
    let skip = |blocking| {
        move |h: &Host, a: &[Value]| {
            Ok(Some(
                match stream_read(h, rep(a.first())?, u64_arg(a.get(1))?, blocking)? {
                    Value::Result(Ok(Some(l))) => match *l {
                        Value::List(l) => ok(Some(Value::U64(l.len() as u64))),
                        _ => ok(Some(Value::U64(0))),
                    },
                    other => other,
                },
            ))
        }
    };
    let subscribe = |h: &Host, a: &[Value]| stream_pollable(h, rep(a.first())?).map(Some);
    let flush = |blocking| {
        move |h: &Host, a: &[Value]| match sink_of(h, rep(a.first())?)? {
            Sink::Host(o) => host_flush(h, &o, blocking).map(Some),
            _ => Ok(Some(ok(None))),
        }
    };
    let check_write = |h: &Host, a: &[Value]| {
        Ok(Some(match sink_of(h, rep(a.first())?)? {
            Sink::Host(o) => {
                let room = lock(&o).check_write();
                match room {
                    Ok(n) => ok(Some(Value::U64(n))),
                    Err(e) => ended(h, e),
                }
            }
            _ => ok(Some(Value::U64(WRITE_BUDGET))),
        }))
    };
    let write = |h: &Host, a: &[Value]| {
        let data = bytes_arg(a.get(1))?;
        stream_write(h, rep(a.first())?, &data, false).map(Some)
    };
    let blocking_write = |h: &Host, a: &[Value]| {
        let data = bytes_arg(a.get(1))?;
        // wasi:io/streams: at most 4096 bytes per blocking-write-and-flush.
        if data.len() > BLOCKING_WRITE_MAX {
            return Err(host_trap(format!(
                "blocking-write-and-flush of {} bytes exceeds {BLOCKING_WRITE_MAX}",
                data.len()
            )));
        }
        stream_write(h, rep(a.first())?, &data, true).map(Some)
    };
    let zeroes = |blocking| {
        move |h: &Host, a: &[Value]| {
            let n = u64_arg(a.get(1))?.min(WRITE_BUDGET) as usize;
            stream_write(h, rep(a.first())?, &vec![0; n], blocking).map(Some)
        }
    };
    let read_result = Some(result(Some(list(T::U8)), Some(se.clone())));
    let count_result = Some(result(Some(T::U64), Some(se.clone())));
    let unit_result = Some(result(None, Some(se.clone())));
    Iface::new(host)
        .resource("input-stream", p.input)
        .resource("output-stream", p.output)
        .resource("error", p.error)
        .resource("pollable", p.pollable)
        .ty("stream-error", se)
        .func(
            "[method]input-stream.read",
            &[("self", inp.clone()), ("len", T::U64)],
            read_result.clone(),
            read(false),
        )
        .func(
            "[method]input-stream.blocking-read",
            &[("self", inp.clone()), ("len", T::U64)],
            read_result,
            read(true),
        )
        .func(
            "[method]input-stream.skip",
            &[("self", inp.clone()), ("len", T::U64)],
            count_result.clone(),
            skip(false),
        )
        .func(
            "[method]input-stream.blocking-skip",
            &[("self", inp.clone()), ("len", T::U64)],
            count_result.clone(),
            skip(true),
        )
        .func(
            "[method]input-stream.subscribe",
            &[("self", inp)],
            Some(T::Own(p.pollable)),
            subscribe,
        )
        .func(
            "[method]output-stream.check-write",
            &[("self", out.clone())],
            count_result.clone(),
            check_write,
        )
        .func(
            "[method]output-stream.write",
            &[("self", out.clone()), ("contents", list(T::U8))],
            unit_result.clone(),
            write,
        )
        .func(
            "[method]output-stream.blocking-write-and-flush",
            &[("self", out.clone()), ("contents", list(T::U8))],
            unit_result.clone(),
            blocking_write,
        )
        .func(
            "[method]output-stream.flush",
            &[("self", out.clone())],
            unit_result.clone(),
            flush(false),
        )
        .func(
            "[method]output-stream.blocking-flush",
            &[("self", out.clone())],
            unit_result.clone(),
            flush(true),
        )
        .func(
            "[method]output-stream.subscribe",
            &[("self", out.clone())],
            Some(T::Own(p.pollable)),
            subscribe,
        )
        .func(
            "[method]output-stream.write-zeroes",
            &[("self", out.clone()), ("len", T::U64)],
            unit_result.clone(),
            zeroes(false),
        )
        .func(
            "[method]output-stream.blocking-write-zeroes-and-flush",
            &[("self", out.clone()), ("len", T::U64)],
            unit_result,
            zeroes(true),
        )
        .func(
            "[method]output-stream.splice",
            &[
                ("self", out.clone()),
                ("src", T::Borrow(p.input)),
                ("len", T::U64),
            ],
            count_result.clone(),
            |h, a| splice(h, a, false),
        )
        .func(
            "[method]output-stream.blocking-splice",
            &[("self", out), ("src", T::Borrow(p.input)), ("len", T::U64)],
            count_result,
            |h, a| splice(h, a, true),
        )
        .register(rt, "wasi:io/streams", v);
}

// ---- wasi:cli ----------------------------------------------------------

fn environment(rt: &mut Runtime, host: &Arc<Host>, version: &str, cwd_name: &str) {
    Iface::new(host)
        .func(
            "get-environment",
            &[],
            Some(list(tuple(vec![T::String, T::String]))),
            |h, _| Ok(Some(env_list(h.ctx().env_pairs()))),
        )
        .func("get-arguments", &[], Some(list(T::String)), |h, _| {
            Ok(Some(strings(h.ctx().arg_strings())))
        })
        .func(cwd_name, &[], Some(option(T::String)), |_, _| {
            Ok(Some(Value::Option(None)))
        })
        .register(rt, "wasi:cli/environment", version);
}

fn exit(rt: &mut Runtime, host: &Arc<Host>, version: &str) {
    Iface::new(host)
        .func("exit", &[("status", result(None, None))], None, exit_impl)
        .func(
            "exit-with-code",
            &[("status-code", T::U8)],
            None,
            exit_code_impl,
        )
        .register(rt, "wasi:cli/exit", version);
}

/// `terminal-input`, `terminal-output` and the three `terminal-std*`
/// interfaces of one version.
fn terminals(
    rt: &mut Runtime,
    host: &Arc<Host>,
    version: &str,
    tin: ResourceType,
    tout: ResourceType,
) {
    Iface::new(host).resource("terminal-input", tin).register(
        rt,
        "wasi:cli/terminal-input",
        version,
    );
    Iface::new(host).resource("terminal-output", tout).register(
        rt,
        "wasi:cli/terminal-output",
        version,
    );
    for (iface, res_name, rt_, fd, func) in [
        (
            "wasi:cli/terminal-stdin",
            "terminal-input",
            tin,
            0,
            "get-terminal-stdin",
        ),
        (
            "wasi:cli/terminal-stdout",
            "terminal-output",
            tout,
            1,
            "get-terminal-stdout",
        ),
        (
            "wasi:cli/terminal-stderr",
            "terminal-output",
            tout,
            2,
            "get-terminal-stderr",
        ),
    ] {
        Iface::new(host)
            .resource(res_name, rt_)
            .func(func, &[], Some(option(T::Own(rt_))), terminal_for(fd))
            .register(rt, iface, version);
    }
}

fn cli_p2(rt: &mut Runtime, host: &Arc<Host>, p: &P2Types, tin: ResourceType, tout: ResourceType) {
    let v = P2_VERSION;
    environment(rt, host, v, "initial-cwd");
    exit(rt, host, v);
    for (iface, func, obj) in [
        ("wasi:cli/stdout", "get-stdout", 1),
        ("wasi:cli/stderr", "get-stderr", 2),
    ] {
        Iface::new(host)
            .resource("output-stream", p.output)
            .func(func, &[], Some(T::Own(p.output)), move |h, _| {
                Ok(Some(Value::Own(h.push(Object::Output(Sink::Stdio(obj))))))
            })
            .register(rt, iface, v);
    }
    Iface::new(host)
        .resource("input-stream", p.input)
        .func("get-stdin", &[], Some(T::Own(p.input)), |h, _| {
            Ok(Some(Value::Own(h.push(Object::Input(Source::Stdin)))))
        })
        .register(rt, "wasi:cli/stdin", v);
    terminals(rt, host, v, tin, tout);
}

fn cli_p3(rt: &mut Runtime, host: &Arc<Host>, tin: ResourceType, tout: ResourceType) {
    let v = P3_VERSION;
    environment(rt, host, v, "get-initial-cwd");
    exit(rt, host, v);
    let error_code = enum_(&["io", "illegal-byte-sequence", "pipe"]);
    Iface::new(host)
        .ty("error-code", error_code.clone())
        .register(rt, "wasi:cli/types", v);
    let done_t = result(None, Some(error_code.clone()));
    let done = T::Future(Some(Box::new(done_t.clone())));
    let bytes_stream = T::Stream(Some(Box::new(T::U8)));
    for (iface, fd) in [("wasi:cli/stdout", 1), ("wasi:cli/stderr", 2)] {
        let done_t = done_t.clone();
        Iface::new(host)
            .ty("error-code", error_code.clone())
            .func_cx(
                "write-via-stream",
                &[("data", bytes_stream.clone())],
                Some(done.clone()),
                // The host reads the stream to its end into stdout/stderr;
                // the future says the write went well.
                move |h, cx, a| {
                    let h = h.clone();
                    let data = a.first().ok_or_else(|| host_trap("host: no stream"))?;
                    cx.stream_into(
                        data,
                        Box::new(move |vs| {
                            let b: Vec<u8> = vs
                                .iter()
                                .filter_map(|v| match v {
                                    Value::U8(b) => Some(*b),
                                    _ => None,
                                })
                                .collect();
                            let mut c = h.ctx();
                            if let Some(f) = c.stdio_file(fd) {
                                let mut at = 0;
                                while at < b.len() {
                                    match f.write(&b[at..], false) {
                                        Ok(n) if n > 0 => at += n,
                                        _ => break,
                                    }
                                }
                            }
                        }),
                    )?;
                    cx.future_ready(Some(done_t.clone()), ok(None)).map(Some)
                },
            )
            .register(rt, iface, v);
    }
    let stdin_done = done_t.clone();
    Iface::new(host)
        .ty("error-code", error_code)
        .func_cx(
            "read-via-stream",
            &[],
            Some(tuple(vec![bytes_stream, done])),
            // A stream the host fills from stdin as the component reads it.
            move |h, cx, _| {
                let h = h.clone();
                let source = Box::new(move |max: usize| {
                    let mut buf = vec![0u8; max.min(READ_CHUNK as usize)];
                    let mut c = h.ctx();
                    let f = c.stdio_file(0)?;
                    match f.read(&mut buf) {
                        Ok(n) if n > 0 => Some(buf[..n].iter().map(|b| Value::U8(*b)).collect()),
                        _ => None,
                    }
                });
                let stream = cx.stream_from(Some(T::U8), source)?;
                let done = cx.future_ready(Some(stdin_done.clone()), ok(None))?;
                Ok(Some(tuple2(stream, done)))
            },
        )
        .register(rt, "wasi:cli/stdin", v);
    terminals(rt, host, v, tin, tout);
}

// ---- wasi:clocks, wasi:random -----------------------------------------

fn clocks_p2(rt: &mut Runtime, host: &Arc<Host>, p: &P2Types) {
    let v = P2_VERSION;
    let datetime = rec(&[("seconds", T::U64), ("nanoseconds", T::U32)]);
    let dt = |ns: u64| {
        record(vec![
            ("seconds", Value::U64(ns / 1_000_000_000)),
            ("nanoseconds", Value::U32((ns % 1_000_000_000) as u32)),
        ])
    };
    Iface::new(host)
        .ty("datetime", datetime.clone())
        .func("now", &[], Some(datetime.clone()), move |h, _| {
            Ok(Some(dt(h.ctx().clock_now(true))))
        })
        .func("resolution", &[], Some(datetime), move |h, _| {
            Ok(Some(dt(h.ctx().clock_resolution())))
        })
        .register(rt, "wasi:clocks/wall-clock", v);
    Iface::new(host)
        .resource("pollable", p.pollable)
        .ty("instant", T::U64)
        .ty("duration", T::U64)
        .func("now", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().clock_now(false))))
        })
        .func("resolution", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().clock_resolution())))
        })
        .func(
            "subscribe-instant",
            &[("when", T::U64)],
            Some(T::Own(p.pollable)),
            |h, a| {
                let when = u64_arg(a.first())?;
                Ok(Some(Value::Own(
                    h.push(Object::Pollable(Pollable::Clock(Some(when)))),
                )))
            },
        )
        .func(
            "subscribe-duration",
            &[("when", T::U64)],
            Some(T::Own(p.pollable)),
            |h, a| {
                let d = u64_arg(a.first())?;
                let when = h.ctx().clock_now(false).saturating_add(d);
                Ok(Some(Value::Own(
                    h.push(Object::Pollable(Pollable::Clock(Some(when)))),
                )))
            },
        )
        .register(rt, "wasi:clocks/monotonic-clock", v);
}

/// `instant` of `wasi:clocks/system-clock@0.3.0`.
fn instant_p3() -> ValType {
    rec(&[("seconds", T::S64), ("nanoseconds", T::U32)])
}
fn instant_value(ns: u64) -> Value {
    record(vec![
        ("seconds", Value::S64((ns / 1_000_000_000) as i64)),
        ("nanoseconds", Value::U32((ns % 1_000_000_000) as u32)),
    ])
}

fn clocks_p3(rt: &mut Runtime, host: &Arc<Host>) {
    let v = P3_VERSION;
    Iface::new(host)
        .ty("duration", T::U64)
        .register(rt, "wasi:clocks/types", v);
    Iface::new(host)
        .ty("duration", T::U64)
        .ty("instant", instant_p3())
        .func("now", &[], Some(instant_p3()), |h, _| {
            Ok(Some(instant_value(h.ctx().clock_now(true))))
        })
        .func("get-resolution", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().clock_resolution())))
        })
        .register(rt, "wasi:clocks/system-clock", v);
    Iface::new(host)
        .ty("duration", T::U64)
        .ty("mark", T::U64)
        .func("now", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().clock_now(false))))
        })
        .func("get-resolution", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().clock_resolution())))
        })
        .async_func("wait-until", &[("when", T::U64)], None, |h, a| {
            h.wait_until(u64_arg(a.first())?);
            Ok(None)
        })
        .async_func("wait-for", &[("how-long", T::U64)], None, |h, a| {
            h.pass_time(u64_arg(a.first())?);
            Ok(None)
        })
        .register(rt, "wasi:clocks/monotonic-clock", v);
}

fn random(rt: &mut Runtime, host: &Arc<Host>, version: &str, p3: bool) {
    let len = if p3 { "max-len" } else { "len" };
    let (prefix, seed) = if p3 {
        ("get-", "get-insecure-seed")
    } else {
        ("get-", "insecure-seed")
    };
    Iface::new(host)
        .func(
            &format!("{prefix}random-bytes"),
            &[(len, T::U64)],
            Some(list(T::U8)),
            random_bytes(true, !p3),
        )
        .func(&format!("{prefix}random-u64"), &[], Some(T::U64), |h, _| {
            let mut b = [0u8; 8];
            h.ctx().random_bytes(&mut b);
            Ok(Some(Value::U64(u64::from_le_bytes(b))))
        })
        .register(rt, "wasi:random/random", version);
    Iface::new(host)
        .func(
            "get-insecure-random-bytes",
            &[(len, T::U64)],
            Some(list(T::U8)),
            random_bytes(false, !p3),
        )
        .func("get-insecure-random-u64", &[], Some(T::U64), |h, _| {
            Ok(Some(Value::U64(h.ctx().insecure_u64())))
        })
        .register(rt, "wasi:random/insecure", version);
    Iface::new(host)
        .func(seed, &[], Some(tuple(vec![T::U64, T::U64])), |h, _| {
            let (a, b) = *h.seed.get_or_init(|| {
                let mut c = h.ctx();
                (c.insecure_u64(), c.insecure_u64())
            });
            Ok(Some(tuple2(Value::U64(a), Value::U64(b))))
        })
        .register(rt, "wasi:random/insecure-seed", version);
}

// ---- wasi:filesystem@0.3.0 --------------------------------------------

mod filesystem;
mod sockets;
use filesystem::{Fs, filesystem};
pub mod http;

// ---- linking, running ------------------------------------------------

/// Registers every WASI 0.2 and 0.3 interface of the host in `rt`, over
/// `ctx` (its preopens move into `wasi:filesystem/preopens`).
pub fn link_component(rt: &mut Runtime, ctx: Arc<Mutex<WasiCtx>>) {
    link(rt, ctx);
}

/// [`link_component`], giving the objects of the `wasi:http` interfaces
/// (what serving `wasi:http/service` reaches).
fn link(rt: &mut Runtime, ctx: Arc<Mutex<WasiCtx>>) -> http::Objs {
    let interrupt = lock(&ctx).interrupt_handle();
    let host = Arc::new(Host {
        ctx,
        table: Mutex::new(Table::default()),
        interrupt,
        seed: std::sync::OnceLock::new(),
        preopens: Mutex::new(None),
    });
    let resource = |rt: &mut Runtime| {
        let h = host.clone();
        let dtor: HostDtor = Arc::new(move |r| {
            lock(&h.table).objects.remove(&r);
        });
        rt.host_resource(Some(dtor))
    };
    let p2 = P2Types {
        error: resource(rt),
        pollable: resource(rt),
        input: resource(rt),
        output: resource(rt),
    };
    let (tin2, tout2, tin3, tout3) = (resource(rt), resource(rt), resource(rt), resource(rt));
    let (descriptor2, dir_stream2, descriptor3) = (resource(rt), resource(rt), resource(rt));
    io_p2(rt, &host, &p2);
    cli_p2(rt, &host, &p2, tin2, tout2);
    clocks_p2(rt, &host, &p2);
    random(rt, &host, P2_VERSION, false);
    cli_p3(rt, &host, tin3, tout3);
    clocks_p3(rt, &host);
    random(rt, &host, P3_VERSION, true);
    filesystem(
        rt,
        &host,
        Fs { p3: false },
        descriptor2,
        Some((&p2, dir_stream2)),
    );
    filesystem(rt, &host, Fs { p3: true }, descriptor3, None);
    let (tcp, udp) = (resource(rt), resource(rt));
    sockets::sockets_p3(rt, &host, tcp, udp);
    let net2 = sockets::P2Sockets {
        network: resource(rt),
        tcp: resource(rt),
        udp: resource(rt),
        incoming: resource(rt),
        outgoing: resource(rt),
        resolved: resource(rt),
    };
    sockets::sockets_p2(rt, &host, &p2, &net2);
    http::http(rt, &host, &p2)
}

/// The `wasi:cli/run` export to call: the highest 0.3.x, else the highest
/// 0.2.x (a runner prefers the 0.3 export).
fn run_export(c: &component::syntax::Component) -> Option<String> {
    let mut best: Option<((u64, u64, u64), String)> = None;
    for d in &c.defs {
        if let component::syntax::Definition::Export(e) = d {
            let Some(v) = e.name.name.strip_prefix("wasi:cli/run@") else {
                continue;
            };
            let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
            let (Some(Some(a)), Some(Some(b)), Some(Some(p))) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if a == 0 && (b == 2 || b == 3) && best.as_ref().is_none_or(|(bv, _)| *bv < (a, b, p)) {
                best = Some(((a, b, p), e.name.name.clone()));
            }
        }
    }
    best.map(|(_, n)| n)
}

/// How a trap ends a run: `exit` ends it with its code, a stop request as
/// interrupted, anything else as a trap with its message.
fn trap_outcome(t: Trap) -> Result<RunResult, RunError> {
    match t {
        Trap::Core(crate::exec::Trap::Exit(code)) => Ok(RunResult { exit_code: code }),
        Trap::Core(crate::exec::Trap::Interrupted) => Err(RunError::Interrupted),
        t => {
            let s = t.to_string();
            let message = s.strip_prefix("wasm trap: ").unwrap_or(&s).to_string();
            Err(RunError::Trap {
                message,
                backtrace: Vec::new(),
            })
        }
    }
}

/// Runs a command component: decodes and validates `bytes`, registers the
/// WASI host over `ctx`, instantiates, and calls the `run` function of its
/// `wasi:cli/run` export (0.3 preferred over 0.2). `run` returning `ok` is
/// exit code 0, `err` is 1; `exit` ends the run with its status.
/// `config.interrupt` is replaced by the context's stop request.
pub fn run_component(bytes: &[u8], ctx: WasiCtx, config: Config) -> Result<RunResult, RunError> {
    let mut config = config;
    let stop = ctx.interrupt_handle();
    config.interrupt = Some(stop.clone());
    let features = config.features;
    let c = component::decode_component(bytes, &features)
        .map_err(|e| RunError::Decode(e.to_string()))?;
    component::validate_component(&c, &features).map_err(|e| RunError::Invalid(e.to_string()))?;
    let run = run_export(&c).ok_or(RunError::NoStart)?;
    let ctx = Arc::new(Mutex::new(ctx));
    let mut rt = Runtime::new(config);
    link_component(&mut rt, ctx);
    let r = match rt.instantiate(&Arc::new(c)) {
        Ok(inst) => rt.invoke_path(inst, &[&run, "run"], &[]),
        Err(component::Error::Unlinkable(m)) => return Err(RunError::Link(m)),
        Err(component::Error::Trap(t)) => Err(t),
    };
    // The run is over: anything still waiting on the stop request ends.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    match r {
        Ok(v) => match v.first() {
            Some(Value::Result(Err(_))) => Ok(RunResult { exit_code: 1 }),
            Some(Value::Result(Ok(_))) | None => Ok(RunResult { exit_code: 0 }),
            Some(other) => Err(RunError::Trap {
                message: format!("`run` returned {other:?}, not a result"),
                backtrace: Vec::new(),
            }),
        },
        Err(t) => trap_outcome(t),
    }
}
