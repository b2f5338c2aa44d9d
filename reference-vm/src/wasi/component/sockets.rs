//! `wasi:sockets@0.3.0` (`types`, `ip-name-lookup`) on the host's sockets:
//! TCP and UDP with the specification's state machine and error codes
//! (sockets.wit; TcpSocketOperationalSemantics-0.3.0.md). Nothing here
//! blocks the component: the host's sockets are non-blocking, and what
//! must wait (a connect, an accept, a read, a datagram) waits as a pending
//! stream, future or host call that the event loop polls.
//!
//! The network is a capability: unless the run grants it
//! ([`super::super::WasiCtxBuilder::allow_network`]), every socket is
//! refused with `access-denied` and every lookup fails.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};

use super::*;
use crate::component::exec::{HostCall, HostPending, HostPollSink, HostPollSource};

mod p2;
pub(super) use p2::{Lookup, P2Sockets, Tcp2, Udp2, UdpIn, UdpOut, sockets_p2};

/// Sockets one run may hold open at most (a guest that opens them in a
/// loop gets `out-of-memory`, the host stays up).
const MAX_SOCKETS: usize = 256;
/// The listen backlog when the component sets none.
const DEFAULT_BACKLOG: i32 = 128;
/// The most bytes one stream read takes from a TCP socket.
const TCP_READ_CHUNK: usize = 64 << 10;
/// The largest UDP payload (65,535 less the IPv4 and UDP headers).
const MAX_DATAGRAM: usize = 65_507;
/// Linux's bounds on the keep-alive settings (tcp(7)); values past them
/// are clamped, as sockets.wit permits.
const MAX_KEEPALIVE_SECS: u64 = 32_767;
const MAX_KEEPALIVE_COUNT: u32 = 127;

/// `ip-address-family`
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Family {
    V4,
    V6,
}

/// A TCP socket's state (sockets.wit, `tcp-socket`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TcpState {
    Unbound,
    /// 0.2's `bind-in-progress` (between `start-bind` and `finish-bind`).
    BindStarted,
    Bound,
    /// 0.2's `listen-in-progress`.
    ListenStarted,
    Listening,
    Connecting,
    Connected,
    Closed,
}

/// A `tcp-socket`: the OS socket is shared with the streams and futures
/// made from it (shared ownership, sockets.wit).
pub(super) struct TcpSock {
    family: Family,
    state: TcpState,
    sock: Arc<Socket>,
    backlog: i32,
    sent: bool,
    received: bool,
}

/// A `udp-socket`.
pub(super) struct UdpSock {
    family: Family,
    sock: Arc<Socket>,
    bound: bool,
    remote: Option<SocketAddr>,
}

/// What a socket call fails with: `error-code`'s case (and `other`'s text).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Code {
    AccessDenied,
    NotSupported,
    InvalidArgument,
    OutOfMemory,
    Timeout,
    InvalidState,
    AddressNotBindable,
    AddressInUse,
    RemoteUnreachable,
    ConnectionRefused,
    ConnectionBroken,
    ConnectionReset,
    ConnectionAborted,
    DatagramTooLarge,
    /// 0.2 only: `would-block` (an operation still in progress).
    WouldBlock,
    /// 0.2 only: `not-in-progress` (a `finish-*` without its `start-*`).
    NotInProgress,
    /// 0.2 only: `concurrency-conflict` (another operation is in progress).
    ConcurrencyConflict,
    Other(String),
}

use Code::*;

/// `error-code`'s cases, in order, with their codes.
const CASES: [(&str, Option<Code>); 15] = [
    ("access-denied", Some(AccessDenied)),
    ("not-supported", Some(NotSupported)),
    ("invalid-argument", Some(InvalidArgument)),
    ("out-of-memory", Some(OutOfMemory)),
    ("timeout", Some(Timeout)),
    ("invalid-state", Some(InvalidState)),
    ("address-not-bindable", Some(AddressNotBindable)),
    ("address-in-use", Some(AddressInUse)),
    ("remote-unreachable", Some(RemoteUnreachable)),
    ("connection-refused", Some(ConnectionRefused)),
    ("connection-broken", Some(ConnectionBroken)),
    ("connection-reset", Some(ConnectionReset)),
    ("connection-aborted", Some(ConnectionAborted)),
    ("datagram-too-large", Some(DatagramTooLarge)),
    ("other", None),
];

impl Code {
    fn value(&self) -> Value {
        match self {
            Other(s) => Value::Variant(
                "other".into(),
                Some(Box::new(some(Value::String(s.clone())))),
            ),
            c => match CASES.iter().find(|(_, k)| k.as_ref() == Some(c)) {
                Some((name, _)) => Value::Variant((*name).into(), None),
                // A 0.2-only condition has no 0.3 case.
                None => Other(format!("{c:?}")).value(),
            },
        }
    }

    /// The error code of an OS error (sockets.wit's POSIX equivalents).
    fn of(e: &std::io::Error) -> Code {
        match e.kind() {
            ErrorKind::PermissionDenied => AccessDenied,
            ErrorKind::Unsupported => NotSupported,
            ErrorKind::InvalidInput => InvalidArgument,
            ErrorKind::OutOfMemory => OutOfMemory,
            ErrorKind::TimedOut => Timeout,
            ErrorKind::AddrNotAvailable => AddressNotBindable,
            ErrorKind::AddrInUse => AddressInUse,
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown => {
                RemoteUnreachable
            }
            ErrorKind::ConnectionRefused => ConnectionRefused,
            ErrorKind::BrokenPipe => ConnectionBroken,
            ErrorKind::ConnectionReset => ConnectionReset,
            ErrorKind::ConnectionAborted => ConnectionAborted,
            ErrorKind::NotConnected => InvalidState,
            _ if e.raw_os_error() == Some(EMSGSIZE) => DatagramTooLarge,
            _ => Other(e.to_string()),
        }
    }
}

/// `EMSGSIZE` (Linux's number: std has no error kind for it).
const EMSGSIZE: i32 = 90;

fn res(r: Result<Option<Value>, Code>) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(c) => err(c.value()),
    }
}

// ---- addresses --------------------------------------------------------

fn family_of(v: &Value) -> Result<Family, Trap> {
    match v {
        Value::Enum(s) if s == "ipv4" => Ok(Family::V4),
        Value::Enum(s) if s == "ipv6" => Ok(Family::V6),
        _ => Err(host_trap("host: expected an ip-address-family")),
    }
}

fn family_value(f: Family) -> Value {
    Value::Enum(if f == Family::V4 { "ipv4" } else { "ipv6" }.into())
}

fn field<'a>(fields: &'a [(String, Value)], name: &str) -> Result<&'a Value, Trap> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| host_trap(format!("host: no field {name}")))
}

fn num<T: TryFrom<u64>>(v: &Value) -> Result<T, Trap> {
    let x = match v {
        Value::U8(x) => u64::from(*x),
        Value::U16(x) => u64::from(*x),
        Value::U32(x) => u64::from(*x),
        Value::U64(x) => *x,
        _ => return Err(host_trap("host: expected a number")),
    };
    T::try_from(x).map_err(|_| host_trap("host: number out of range"))
}

/// An `ip-socket-address` value as a socket address.
fn socket_addr(v: &Value) -> Result<SocketAddr, Trap> {
    let Value::Variant(case, Some(payload)) = v else {
        return Err(host_trap("host: expected an ip-socket-address"));
    };
    let Value::Record(fields) = payload.as_ref() else {
        return Err(host_trap("host: expected an ip-socket-address record"));
    };
    let port: u16 = num(field(fields, "port")?)?;
    let Value::Tuple(parts) = field(fields, "address")? else {
        return Err(host_trap("host: expected an address tuple"));
    };
    Ok(if case == "ipv4" {
        let o: Vec<u8> = parts.iter().map(num).collect::<Result<_, _>>()?;
        let [a, b, c, d] = o[..] else {
            return Err(host_trap("host: an ipv4-address has 4 parts"));
        };
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port))
    } else {
        let s: Vec<u16> = parts.iter().map(num).collect::<Result<_, _>>()?;
        let [a, b, c, d, e, f, g, h] = s[..] else {
            return Err(host_trap("host: an ipv6-address has 8 parts"));
        };
        SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(a, b, c, d, e, f, g, h),
            port,
            num(field(fields, "flow-info")?)?,
            num(field(fields, "scope-id")?)?,
        ))
    })
}

/// A socket address as an `ip-socket-address` value.
fn addr_value(a: SocketAddr) -> Value {
    match a {
        SocketAddr::V4(a) => Value::Variant(
            "ipv4".into(),
            Some(Box::new(record(vec![
                ("port", Value::U16(a.port())),
                (
                    "address",
                    Value::Tuple(a.ip().octets().map(Value::U8).to_vec()),
                ),
            ]))),
        ),
        SocketAddr::V6(a) => Value::Variant(
            "ipv6".into(),
            Some(Box::new(record(vec![
                ("port", Value::U16(a.port())),
                ("flow-info", Value::U32(a.flowinfo())),
                (
                    "address",
                    Value::Tuple(a.ip().segments().map(Value::U16).to_vec()),
                ),
                ("scope-id", Value::U32(a.scope_id())),
            ]))),
        ),
    }
}

fn ip_value(ip: IpAddr) -> Value {
    match ip {
        IpAddr::V4(a) => Value::Variant(
            "ipv4".into(),
            Some(Box::new(Value::Tuple(a.octets().map(Value::U8).to_vec()))),
        ),
        IpAddr::V6(a) => Value::Variant(
            "ipv6".into(),
            Some(Box::new(Value::Tuple(
                a.segments().map(Value::U16).to_vec(),
            ))),
        ),
    }
}

fn matches_family(a: &SocketAddr, f: Family) -> bool {
    a.is_ipv4() == (f == Family::V4)
}

fn is_v4_mapped(a: &SocketAddr) -> bool {
    matches!(a, SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some())
}

/// An address a socket may bind to (`bind`'s invalid-argument cases).
fn check_local(a: &SocketAddr, f: Family) -> Result<(), Code> {
    if !matches_family(a, f) || is_v4_mapped(a) || a.ip().is_multicast() {
        return Err(InvalidArgument);
    }
    if let IpAddr::V4(v4) = a.ip()
        && v4.is_broadcast()
    {
        return Err(InvalidArgument);
    }
    Ok(())
}

/// An address a socket may connect or send to (`connect`'s and `send`'s
/// invalid-argument cases).
fn check_remote(a: &SocketAddr, f: Family) -> Result<(), Code> {
    check_local(a, f)?;
    if a.ip().is_unspecified() || a.port() == 0 {
        return Err(InvalidArgument);
    }
    Ok(())
}

fn unspecified(f: Family) -> SocketAddr {
    match f {
        Family::V4 => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        Family::V6 => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

fn local_of(s: &Socket) -> Result<SocketAddr, Code> {
    s.local_addr()
        .map_err(|e| Code::of(&e))?
        .as_socket()
        .ok_or(InvalidState)
}

/// A new non-blocking OS socket (IPv6 sockets are IPv6-only, sockets.wit).
fn new_socket(f: Family, udp: bool) -> Result<Socket, Code> {
    let domain = if f == Family::V4 {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let (ty, proto) = if udp {
        (Type::DGRAM, Protocol::UDP)
    } else {
        (Type::STREAM, Protocol::TCP)
    };
    let s = Socket::new(domain, ty, Some(proto)).map_err(|e| Code::of(&e))?;
    if f == Family::V6 {
        s.set_only_v6(true).map_err(|e| Code::of(&e))?;
    }
    s.set_nonblocking(true).map_err(|e| Code::of(&e))?;
    Ok(s)
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
        || e.raw_os_error() == Some(EINPROGRESS)
}

/// A host call made of one non-blocking attempt: done when the first
/// attempt is, else retried at each poll of the event loop until it is.
fn retried(attempt: impl Fn() -> Poll<Value> + Send + 'static) -> HostCall {
    match attempt() {
        Poll::Ready(v) => HostCall::Done(Some(v)),
        Poll::Pending => HostCall::Later(Box::new(move |_| attempt().map(|v| Ok(Some(v))))),
    }
}

/// `EINPROGRESS` (a non-blocking connect under way).
const EINPROGRESS: i32 = 115;

// ---- the host's socket table -----------------------------------------

impl Host {
    /// A new socket object, within the run's grant and budget.
    fn add_socket(&self, make: impl FnOnce() -> Result<Object, Code>) -> Result<u32, Code> {
        if !self.ctx().network_allowed() {
            return Err(AccessDenied);
        }
        let count = self
            .table()
            .objects
            .values()
            .filter(|o| {
                matches!(
                    o,
                    Object::Tcp(_) | Object::Udp(_) | Object::Tcp2(_) | Object::Udp2(_)
                )
            })
            .count();
        if count >= MAX_SOCKETS {
            return Err(OutOfMemory);
        }
        let o = make()?;
        Ok(self.push(o))
    }

    fn with_tcp<R>(&self, r: u32, f: impl FnOnce(&mut TcpSock) -> R) -> Result<R, Trap> {
        match self.table().objects.get_mut(&r) {
            Some(Object::Tcp(t)) => Ok(f(t)),
            _ => Err(host_trap("host: not a tcp-socket")),
        }
    }

    fn with_udp<R>(&self, r: u32, f: impl FnOnce(&mut UdpSock) -> R) -> Result<R, Trap> {
        match self.table().objects.get_mut(&r) {
            Some(Object::Udp(u)) => Ok(f(u)),
            _ => Err(host_trap("host: not a udp-socket")),
        }
    }
}

/// A result the host fills in later, read by a future it wrote.
type Slot = Arc<Mutex<Option<Value>>>;

fn slot_future(cx: &mut HostCx<'_>, t: &ValType, slot: Slot) -> Result<Value, Trap> {
    let mut given = false;
    cx.future_polled(
        Some(t.clone()),
        Box::new(move || {
            if given {
                return Poll::Ready(None);
            }
            match lock(&slot).take() {
                Some(v) => {
                    given = true;
                    Poll::Ready(Some(v))
                }
                None => Poll::Pending,
            }
        }),
    )
}

/// The read half of a connected socket behind `receive`'s stream: at the
/// end of the stream (or when the component drops it) the future learns
/// how it ended; a dropped stream shuts the read side (`SHUT_RD`).
struct ReadHalf {
    sock: Arc<Socket>,
    done: Slot,
    ended: bool,
}

impl ReadHalf {
    fn end(&mut self, v: Value) {
        if !self.ended {
            self.ended = true;
            *lock(&self.done) = Some(v);
        }
    }

    fn poll(&mut self, max: usize) -> Poll<Option<Vec<Value>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut buf = vec![0u8; max.clamp(1, TCP_READ_CHUNK)];
        match (&*self.sock).read(&mut buf) {
            Ok(0) => {
                self.end(ok(None));
                Poll::Ready(None)
            }
            Ok(n) => Poll::Ready(Some(buf[..n].iter().map(|b| Value::U8(*b)).collect())),
            Err(e) if would_block(&e) => Poll::Pending,
            Err(e) => {
                self.end(err(Code::of(&e).value()));
                Poll::Ready(None)
            }
        }
    }
}

impl Drop for ReadHalf {
    fn drop(&mut self) {
        if !self.ended {
            let _ = self.sock.shutdown(Shutdown::Read);
            self.end(ok(None));
        }
    }
}

/// The write half behind `send`'s stream: writes what the component sends,
/// shuts the write side (`SHUT_WR`) at the end of the stream, and fills the
/// future with how it went. After an error the rest is read and dropped.
struct WriteHalf {
    sock: Arc<Socket>,
    done: Slot,
    failed: bool,
}

impl WriteHalf {
    fn poll(&mut self, vs: Option<&[Value]>) -> Poll<usize> {
        let Some(vs) = vs else {
            if !self.failed {
                let r = match self.sock.shutdown(Shutdown::Write) {
                    Ok(()) => ok(None),
                    // The peer already went away: everything was sent.
                    Err(e) if e.kind() == ErrorKind::NotConnected => ok(None),
                    Err(e) => err(Code::of(&e).value()),
                };
                *lock(&self.done) = Some(r);
            }
            return Poll::Ready(0);
        };
        if self.failed {
            return Poll::Ready(vs.len());
        }
        let data: Vec<u8> = vs
            .iter()
            .map(|v| if let Value::U8(b) = v { *b } else { 0 })
            .collect();
        match (&*self.sock).write(&data) {
            Ok(n) => Poll::Ready(n),
            Err(e) if would_block(&e) => Poll::Pending,
            Err(e) => {
                self.failed = true;
                *lock(&self.done) = Some(err(Code::of(&e).value()));
                Poll::Ready(vs.len())
            }
        }
    }
}

// ---- wasi:sockets/types ----------------------------------------------

/// The `wasi:sockets` types every interface function names.
struct Types {
    error_code: ValType,
    family: ValType,
    socket_address: ValType,
    ip_address: ValType,
}

impl Types {
    fn new() -> Types {
        let u8s = |n| tuple(vec![T::U8; n]);
        let u16s = |n| tuple(vec![T::U16; n]);
        Types {
            error_code: variant(
                &CASES
                    .iter()
                    .map(|(n, c)| (*n, c.is_none().then(|| option(T::String))))
                    .collect::<Vec<_>>(),
            ),
            family: enum_(&["ipv4", "ipv6"]),
            socket_address: variant(&[
                ("ipv4", Some(rec(&[("port", T::U16), ("address", u8s(4))]))),
                (
                    "ipv6",
                    Some(rec(&[
                        ("port", T::U16),
                        ("flow-info", T::U32),
                        ("address", u16s(8)),
                        ("scope-id", T::U32),
                    ])),
                ),
            ]),
            ip_address: variant(&[("ipv4", Some(u8s(4))), ("ipv6", Some(u16s(8)))]),
        }
    }

    fn result(&self, ok: Option<ValType>) -> ValType {
        result(ok, Some(self.error_code.clone()))
    }
}

/// An option setter's check: 0 is `invalid-argument` (sockets.wit).
fn nonzero(v: u64) -> Result<u64, Code> {
    if v == 0 { Err(InvalidArgument) } else { Ok(v) }
}

fn io<T>(r: std::io::Result<T>) -> Result<T, Code> {
    r.map_err(|e| Code::of(&e))
}

/// Sets keep-alive parameters without switching keep-alive on (socket2
/// turns it on with them; sockets.wit keeps the two apart).
fn set_keepalive_param(s: &Socket, k: TcpKeepalive) -> Result<(), Code> {
    let on = io(s.keepalive())?;
    io(s.set_tcp_keepalive(&k))?;
    io(s.set_keepalive(on))
}

fn secs_clamped(ns: u64) -> Duration {
    Duration::from_secs((ns / 1_000_000_000).clamp(1, MAX_KEEPALIVE_SECS))
}

fn duration_ns(d: Duration) -> Value {
    Value::U64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A TCP socket's option getters and setters: (name, parameter type or
/// none for a getter, what it does).
type TcpOpt = fn(&mut TcpSock, Option<&Value>) -> Result<Option<Value>, Code>;

fn tcp_options() -> Vec<(&'static str, Option<ValType>, Option<ValType>, TcpOpt)> {
    vec![
        ("get-keep-alive-enabled", None, Some(T::Bool), |t, _| {
            Ok(Some(Value::Bool(io(t.sock.keepalive())?)))
        }),
        ("set-keep-alive-enabled", Some(T::Bool), None, |t, v| {
            let on = matches!(v, Some(Value::Bool(true)));
            io(t.sock.set_keepalive(on)).map(|_| None)
        }),
        ("get-keep-alive-idle-time", None, Some(T::U64), |t, _| {
            Ok(Some(duration_ns(io(t.sock.tcp_keepalive_time())?)))
        }),
        ("set-keep-alive-idle-time", Some(T::U64), None, |t, v| {
            let ns = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            set_keepalive_param(&t.sock, TcpKeepalive::new().with_time(secs_clamped(ns)))
                .map(|_| None)
        }),
        ("get-keep-alive-interval", None, Some(T::U64), |t, _| {
            Ok(Some(duration_ns(io(t.sock.tcp_keepalive_interval())?)))
        }),
        ("set-keep-alive-interval", Some(T::U64), None, |t, v| {
            let ns = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            set_keepalive_param(&t.sock, TcpKeepalive::new().with_interval(secs_clamped(ns)))
                .map(|_| None)
        }),
        ("get-keep-alive-count", None, Some(T::U32), |t, _| {
            Ok(Some(Value::U32(io(t.sock.tcp_keepalive_retries())?)))
        }),
        ("set-keep-alive-count", Some(T::U32), None, |t, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            let n = u32::try_from(n)
                .unwrap_or(u32::MAX)
                .min(MAX_KEEPALIVE_COUNT);
            set_keepalive_param(&t.sock, TcpKeepalive::new().with_retries(n)).map(|_| None)
        }),
        ("get-hop-limit", None, Some(T::U8), |t, _| {
            let h = if t.family == Family::V4 {
                io(t.sock.ttl_v4())?
            } else {
                io(t.sock.unicast_hops_v6())?
            };
            Ok(Some(Value::U8(u8::try_from(h).unwrap_or(u8::MAX))))
        }),
        ("set-hop-limit", Some(T::U8), None, |t, v| {
            let h = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))? as u32;
            if t.family == Family::V4 {
                io(t.sock.set_ttl_v4(h))?;
            } else {
                io(t.sock.set_unicast_hops_v6(h))?;
            }
            Ok(None)
        }),
        ("get-receive-buffer-size", None, Some(T::U64), |t, _| {
            Ok(Some(reported_size(io(t.sock.recv_buffer_size())?)))
        }),
        ("set-receive-buffer-size", Some(T::U64), None, |t, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            io(t.sock.set_recv_buffer_size(buffer_size(n))).map(|_| None)
        }),
        ("get-send-buffer-size", None, Some(T::U64), |t, _| {
            Ok(Some(reported_size(io(t.sock.send_buffer_size())?)))
        }),
        ("set-send-buffer-size", Some(T::U64), None, |t, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            io(t.sock.set_send_buffer_size(buffer_size(n))).map(|_| None)
        }),
        ("set-listen-backlog-size", Some(T::U64), None, |t, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            let n = i32::try_from(n).unwrap_or(i32::MAX);
            match t.state {
                TcpState::Connecting | TcpState::Connected | TcpState::Closed => {
                    return Err(InvalidState);
                }
                // Linux takes a new backlog by listening again.
                TcpState::Listening | TcpState::ListenStarted => io(t.sock.listen(n))?,
                TcpState::Unbound | TcpState::BindStarted | TcpState::Bound => {}
            }
            t.backlog = n;
            Ok(None)
        }),
    ]
}

/// A buffer size the OS takes (capped so Linux's doubling fits).
fn buffer_size(n: u64) -> usize {
    usize::try_from(n.min(i32::MAX as u64 / 2)).unwrap_or(usize::MAX)
}

/// A buffer size as the component set it: Linux reports twice the value
/// set (socket(7): the kernel doubles it for bookkeeping).
fn reported_size(n: usize) -> Value {
    let n = if cfg!(target_os = "linux") { n / 2 } else { n };
    Value::U64(n as u64)
}

/// The UDP option getters and setters.
type UdpOpt = fn(&mut UdpSock, Option<&Value>) -> Result<Option<Value>, Code>;

fn udp_options() -> Vec<(&'static str, Option<ValType>, Option<ValType>, UdpOpt)> {
    vec![
        ("get-unicast-hop-limit", None, Some(T::U8), |u, _| {
            let h = if u.family == Family::V4 {
                io(u.sock.ttl_v4())?
            } else {
                io(u.sock.unicast_hops_v6())?
            };
            Ok(Some(Value::U8(u8::try_from(h).unwrap_or(u8::MAX))))
        }),
        ("set-unicast-hop-limit", Some(T::U8), None, |u, v| {
            let h = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))? as u32;
            if u.family == Family::V4 {
                io(u.sock.set_ttl_v4(h))?;
            } else {
                io(u.sock.set_unicast_hops_v6(h))?;
            }
            Ok(None)
        }),
        ("get-receive-buffer-size", None, Some(T::U64), |u, _| {
            Ok(Some(reported_size(io(u.sock.recv_buffer_size())?)))
        }),
        ("set-receive-buffer-size", Some(T::U64), None, |u, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            io(u.sock.set_recv_buffer_size(buffer_size(n))).map(|_| None)
        }),
        ("get-send-buffer-size", None, Some(T::U64), |u, _| {
            Ok(Some(reported_size(io(u.sock.send_buffer_size())?)))
        }),
        ("set-send-buffer-size", Some(T::U64), None, |u, v| {
            let n = nonzero(v.and_then(|v| num::<u64>(v).ok()).unwrap_or(0))?;
            io(u.sock.set_send_buffer_size(buffer_size(n))).map(|_| None)
        }),
    ]
}

impl UdpSock {
    /// Forgets the connected peer. POSIX dissociates with an AF_UNSPEC
    /// connect, which safe Rust cannot spell: a fresh socket takes over
    /// the local address instead.
    fn disconnect(&mut self) -> Result<(), Code> {
        let local = local_of(&self.sock)?;
        let fresh = new_socket(self.family, true)?;
        self.sock = Arc::new(fresh);
        let keep = SocketAddr::new(
            if local.ip().is_loopback() {
                local.ip()
            } else {
                unspecified(self.family).ip()
            },
            local.port(),
        );
        self.bound = self.sock.bind(&SockAddr::from(keep)).is_ok();
        self.remote = None;
        Ok(())
    }
}

/// `tcp-socket.bind` and `udp-socket.bind`'s shared part.
fn bind(s: &Socket, f: Family, a: &SocketAddr, reuse: bool) -> Result<(), Code> {
    check_local(a, f)?;
    // sockets.wit: a bind ignores TIME_WAIT (SO_REUSEADDR). Linux also
    // wants it on the socket whose connections linger, so every TCP bind
    // sets it (a listening socket's port stays taken: address-in-use).
    if reuse {
        io(s.set_reuse_address(true))?;
    }
    io(s.bind(&SockAddr::from(*a)))
}

/// Registers `wasi:sockets/types@0.3.0` and `ip-name-lookup@0.3.0`.
pub(super) fn sockets_p3(rt: &mut Runtime, host: &Arc<Host>, tcp: ResourceType, udp: ResourceType) {
    let ty = Types::new();
    let me_tcp = ("self", T::Borrow(tcp));
    let me_udp = ("self", T::Borrow(udp));
    let addr = ty.socket_address.clone();
    let unit = ty.result(None);
    let mut iface = Iface::new(host)
        .ty("error-code", ty.error_code.clone())
        .ty("ip-address-family", ty.family.clone())
        .ty("ip-address", ty.ip_address.clone())
        .ty("ip-socket-address", addr.clone())
        .resource("tcp-socket", tcp)
        .resource("udp-socket", udp);

    // -- tcp-socket --
    iface = iface
        .func(
            "[static]tcp-socket.create",
            &[("address-family", ty.family.clone())],
            Some(ty.result(Some(T::Own(tcp)))),
            |h, a| {
                let f = family_of(a.first().ok_or_else(|| host_trap("host: no family"))?)?;
                let r = h.add_socket(|| {
                    Ok(Object::Tcp(TcpSock {
                        family: f,
                        state: TcpState::Unbound,
                        sock: Arc::new(new_socket(f, false)?),
                        backlog: DEFAULT_BACKLOG,
                        sent: false,
                        received: false,
                    }))
                });
                Ok(Some(res(r.map(|r| Some(Value::Own(r))))))
            },
        )
        .func(
            "[method]tcp-socket.bind",
            &[me_tcp.clone(), ("local-address", addr.clone())],
            Some(unit.clone()),
            |h, a| {
                let local = socket_addr(a.get(1).ok_or_else(|| host_trap("host: no address"))?)?;
                let r = h.with_tcp(rep(a.first())?, |t| {
                    if t.state != TcpState::Unbound {
                        return Err(InvalidState);
                    }
                    bind(&t.sock, t.family, &local, true)?;
                    t.state = TcpState::Bound;
                    Ok(None)
                })?;
                Ok(Some(res(r)))
            },
        );
    iface = iface.func_async(
        "[method]tcp-socket.connect",
        &[me_tcp.clone(), ("remote-address", addr.clone())],
        Some(unit.clone()),
        |h, _cx, a| {
            let remote = socket_addr(a.get(1).ok_or_else(|| host_trap("host: no address"))?)?;
            let r = rep(a.first())?;
            let started = h.with_tcp(r, |t| {
                match t.state {
                    TcpState::Unbound | TcpState::Bound => {}
                    _ => return Err(InvalidState),
                }
                check_remote(&remote, t.family)?;
                t.state = TcpState::Connecting;
                match t.sock.connect(&SockAddr::from(remote)) {
                    Ok(()) => Ok(None),
                    Err(e) if would_block(&e) => Ok(Some(t.sock.clone())),
                    Err(e) => {
                        t.state = TcpState::Closed;
                        Err(Code::of(&e))
                    }
                }
            })?;
            let sock = match started {
                Err(c) => return Ok(HostCall::Done(Some(res(Err(c))))),
                Ok(None) => {
                    h.with_tcp(r, |t| t.state = TcpState::Connected)?;
                    return Ok(HostCall::Done(Some(ok(None))));
                }
                Ok(Some(sock)) => sock,
            };
            // The handshake goes on: done when the socket has a peer or an error.
            let h = h.clone();
            let poll: HostPending = Box::new(move |_| {
                let outcome = match sock.take_error() {
                    Ok(Some(e)) | Err(e) => Err(Code::of(&e)),
                    Ok(None) if sock.peer_addr().is_ok() => Ok(None),
                    Ok(None) => return Poll::Pending,
                };
                let state = if outcome.is_ok() {
                    TcpState::Connected
                } else {
                    TcpState::Closed
                };
                // The component may have dropped the socket meanwhile.
                let _ = h.with_tcp(r, |t| t.state = state);
                Poll::Ready(Ok(Some(res(outcome))))
            });
            Ok(HostCall::Later(poll))
        },
    );
    let tcp_t = tcp;
    iface = iface.func_cx(
        "[method]tcp-socket.listen",
        std::slice::from_ref(&me_tcp),
        Some(ty.result(Some(T::Stream(Some(Box::new(T::Own(tcp))))))),
        move |h, cx, a| {
            let r = rep(a.first())?;
            let listening = h.with_tcp(r, |t| {
                match t.state {
                    TcpState::Unbound => {
                        // sockets.wit: listen binds implicitly.
                        bind(&t.sock, t.family, &unspecified(t.family), true)?;
                    }
                    TcpState::Bound => {}
                    _ => return Err(InvalidState),
                }
                io(t.sock.listen(t.backlog))?;
                t.state = TcpState::Listening;
                Ok((t.sock.clone(), t.family))
            })?;
            let (sock, family) = match listening {
                Ok(l) => l,
                Err(c) => return Ok(Some(res(Err(c)))),
            };
            let h2 = h.clone();
            // Each accepted connection becomes a connected socket; the
            // stream only ends with the listener.
            let source: HostPollSource = Box::new(move |max| {
                let mut out = Vec::new();
                while out.len() < max {
                    match sock.accept() {
                        Ok((s, _)) => {
                            if s.set_nonblocking(true).is_err() {
                                continue;
                            }
                            let made = h2.add_socket(|| {
                                Ok(Object::Tcp(TcpSock {
                                    family,
                                    state: TcpState::Connected,
                                    sock: Arc::new(s),
                                    backlog: DEFAULT_BACKLOG,
                                    sent: false,
                                    received: false,
                                }))
                            });
                            // Past the budget the connection is refused (dropped).
                            if let Ok(r) = made {
                                out.push(Value::Own(r));
                            }
                        }
                        Err(e) if would_block(&e) => break,
                        // Transient accept errors are skipped (sockets.wit's
                        // implementors note).
                        Err(_) => break,
                    }
                }
                if out.is_empty() {
                    Poll::Pending
                } else {
                    Poll::Ready(Some(out))
                }
            });
            let stream = cx.stream_polled(Some(T::Own(tcp_t)), source)?;
            Ok(Some(ok(Some(stream))))
        },
    );
    let done_t = unit.clone();
    iface = iface.func_cx(
        "[method]tcp-socket.send",
        &[me_tcp.clone(), ("data", T::Stream(Some(Box::new(T::U8))))],
        Some(T::Future(Some(Box::new(unit.clone())))),
        move |h, cx, a| {
            let data = a.get(1).ok_or_else(|| host_trap("host: no stream"))?;
            let sock = h.with_tcp(rep(a.first())?, |t| {
                if t.state != TcpState::Connected || t.sent {
                    return None;
                }
                t.sent = true;
                Some(t.sock.clone())
            })?;
            let done: Slot = Arc::default();
            let sink: HostPollSink = match sock {
                Some(sock) => {
                    let mut half = WriteHalf {
                        sock,
                        done: done.clone(),
                        failed: false,
                    };
                    Box::new(move |vs| half.poll(vs))
                }
                // A refused send still reads the stream to its end.
                None => {
                    *lock(&done) = Some(err(InvalidState.value()));
                    Box::new(|vs| Poll::Ready(vs.map_or(0, <[Value]>::len)))
                }
            };
            cx.stream_into_polled(data, sink)?;
            slot_future(cx, &done_t, done).map(Some)
        },
    );
    let done_t = unit.clone();
    iface = iface.func_cx(
        "[method]tcp-socket.receive",
        std::slice::from_ref(&me_tcp),
        Some(tuple(vec![
            T::Stream(Some(Box::new(T::U8))),
            T::Future(Some(Box::new(unit.clone()))),
        ])),
        move |h, cx, a| {
            let sock = h.with_tcp(rep(a.first())?, |t| {
                if t.state != TcpState::Connected || t.received {
                    return None;
                }
                t.received = true;
                Some(t.sock.clone())
            })?;
            let done: Slot = Arc::default();
            let source: HostPollSource = match sock {
                Some(sock) => {
                    let mut half = ReadHalf {
                        sock,
                        done: done.clone(),
                        ended: false,
                    };
                    Box::new(move |max| half.poll(max))
                }
                // sockets.wit: a closed stream and `err(invalid-state)`.
                None => {
                    *lock(&done) = Some(err(InvalidState.value()));
                    Box::new(|_| Poll::Ready(None))
                }
            };
            let stream = cx.stream_polled(Some(T::U8), source)?;
            let fut = slot_future(cx, &done_t, done)?;
            Ok(Some(tuple2(stream, fut)))
        },
    );
    iface = iface
        .func(
            "[method]tcp-socket.get-local-address",
            std::slice::from_ref(&me_tcp),
            Some(ty.result(Some(addr.clone()))),
            |h, a| {
                let r = h.with_tcp(rep(a.first())?, |t| {
                    if matches!(t.state, TcpState::Unbound | TcpState::Closed) {
                        return Err(InvalidState);
                    }
                    local_of(&t.sock).map(|a| Some(addr_value(a)))
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]tcp-socket.get-remote-address",
            std::slice::from_ref(&me_tcp),
            Some(ty.result(Some(addr.clone()))),
            |h, a| {
                let r = h.with_tcp(rep(a.first())?, |t| {
                    if t.state != TcpState::Connected {
                        return Err(InvalidState);
                    }
                    let peer = io(t.sock.peer_addr())?.as_socket().ok_or(InvalidState)?;
                    Ok(Some(addr_value(peer)))
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]tcp-socket.get-is-listening",
            std::slice::from_ref(&me_tcp),
            Some(T::Bool),
            |h, a| {
                let l = h.with_tcp(rep(a.first())?, |t| t.state == TcpState::Listening)?;
                Ok(Some(Value::Bool(l)))
            },
        )
        .func(
            "[method]tcp-socket.get-address-family",
            std::slice::from_ref(&me_tcp),
            Some(ty.family.clone()),
            |h, a| {
                Ok(Some(family_value(
                    h.with_tcp(rep(a.first())?, |t| t.family)?,
                )))
            },
        );
    for (name, param, out, f) in tcp_options() {
        let mut params = vec![me_tcp.clone()];
        params.extend(param.map(|p| ("value", p)));
        iface = iface.func(
            &format!("[method]tcp-socket.{name}"),
            &params,
            Some(ty.result(out)),
            move |h, a| {
                let r = h.with_tcp(rep(a.first())?, |t| {
                    if t.state == TcpState::Closed {
                        return Err(InvalidState);
                    }
                    f(t, a.get(1))
                })?;
                Ok(Some(res(r)))
            },
        );
    }

    // -- udp-socket --
    iface = iface
        .func(
            "[static]udp-socket.create",
            &[("address-family", ty.family.clone())],
            Some(ty.result(Some(T::Own(udp)))),
            |h, a| {
                let f = family_of(a.first().ok_or_else(|| host_trap("host: no family"))?)?;
                let r = h.add_socket(|| {
                    Ok(Object::Udp(UdpSock {
                        family: f,
                        sock: Arc::new(new_socket(f, true)?),
                        bound: false,
                        remote: None,
                    }))
                });
                Ok(Some(res(r.map(|r| Some(Value::Own(r))))))
            },
        )
        .func(
            "[method]udp-socket.bind",
            &[me_udp.clone(), ("local-address", addr.clone())],
            Some(unit.clone()),
            |h, a| {
                let local = socket_addr(a.get(1).ok_or_else(|| host_trap("host: no address"))?)?;
                let r = h.with_udp(rep(a.first())?, |u| {
                    if u.bound {
                        return Err(InvalidState);
                    }
                    bind(&u.sock, u.family, &local, false)?;
                    u.bound = true;
                    Ok(None)
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]udp-socket.connect",
            &[me_udp.clone(), ("remote-address", addr.clone())],
            Some(unit.clone()),
            |h, a| {
                let remote = socket_addr(a.get(1).ok_or_else(|| host_trap("host: no address"))?)?;
                let r = h.with_udp(rep(a.first())?, |u| {
                    check_remote(&remote, u.family)?;
                    // The OS binds implicitly and picks the local address.
                    io(u.sock.connect(&SockAddr::from(remote)))?;
                    u.bound = true;
                    u.remote = Some(remote);
                    Ok(None)
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]udp-socket.disconnect",
            std::slice::from_ref(&me_udp),
            Some(unit.clone()),
            |h, a| {
                let r = h.with_udp(rep(a.first())?, |u| {
                    if u.remote.is_none() {
                        return Err(InvalidState);
                    }
                    u.disconnect().map(|_| None)
                })?;
                Ok(Some(res(r)))
            },
        );
    iface = iface.func_async(
        "[method]udp-socket.send",
        &[
            me_udp.clone(),
            ("data", list(T::U8)),
            ("remote-address", option(addr.clone())),
        ],
        Some(unit.clone()),
        |h, _cx, a| {
            let data = bytes_arg(a.get(1))?;
            let to = match a.get(2) {
                Some(Value::Option(Some(v))) => Some(socket_addr(v)?),
                Some(Value::Option(None)) => None,
                _ => return Err(host_trap("host: expected option<ip-socket-address>")),
            };
            let checked = h.with_udp(rep(a.first())?, |u| {
                if let Some(to) = &to {
                    check_remote(to, u.family)?;
                }
                match (u.remote, to) {
                    (Some(c), Some(to)) if c != to => return Err(InvalidArgument),
                    (None, None) => return Err(InvalidArgument),
                    _ => {}
                }
                if data.len() > MAX_DATAGRAM {
                    return Err(DatagramTooLarge);
                }
                u.bound = true;
                Ok((u.sock.clone(), u.remote.is_some()))
            })?;
            let (sock, connected) = match checked {
                Ok(s) => s,
                Err(c) => return Ok(HostCall::Done(Some(res(Err(c))))),
            };
            let attempt = move || {
                let sent = if connected {
                    sock.send(&data)
                } else {
                    let to = to.map(SockAddr::from);
                    match &to {
                        Some(to) => sock.send_to(&data, to),
                        None => Err(std::io::Error::from(ErrorKind::InvalidInput)),
                    }
                };
                match sent {
                    Ok(_) => Poll::Ready(ok(None)),
                    Err(e) if would_block(&e) => Poll::Pending,
                    Err(e) => Poll::Ready(err(Code::of(&e).value())),
                }
            };
            Ok(retried(attempt))
        },
    );
    let datagram = tuple(vec![list(T::U8), addr.clone()]);
    iface = iface.func_async(
        "[method]udp-socket.receive",
        std::slice::from_ref(&me_udp),
        Some(ty.result(Some(datagram))),
        |h, _cx, a| {
            let sock = h.with_udp(rep(a.first())?, |u| u.bound.then(|| u.sock.clone()))?;
            let Some(sock) = sock else {
                return Ok(HostCall::Done(Some(err(InvalidState.value()))));
            };
            let attempt = move || {
                let mut buf = vec![0u8; MAX_DATAGRAM];
                // socket2's recv_from takes uninitialised memory; the std
                // view of the same socket reads into bytes.
                let std_view = match sock.try_clone() {
                    Ok(s) => std::net::UdpSocket::from(s),
                    Err(e) => return Poll::Ready(err(Code::of(&e).value())),
                };
                match std_view.recv_from(&mut buf) {
                    Ok((n, from)) => {
                        Poll::Ready(ok(Some(tuple2(bytes(&buf[..n]), addr_value(from)))))
                    }
                    Err(e) if would_block(&e) => Poll::Pending,
                    Err(e) => Poll::Ready(err(Code::of(&e).value())),
                }
            };
            Ok(retried(attempt))
        },
    );
    iface = iface
        .func(
            "[method]udp-socket.get-local-address",
            std::slice::from_ref(&me_udp),
            Some(ty.result(Some(addr.clone()))),
            |h, a| {
                let r = h.with_udp(rep(a.first())?, |u| {
                    if !u.bound {
                        return Err(InvalidState);
                    }
                    local_of(&u.sock).map(|a| Some(addr_value(a)))
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]udp-socket.get-remote-address",
            std::slice::from_ref(&me_udp),
            Some(ty.result(Some(addr.clone()))),
            |h, a| {
                let r = h.with_udp(rep(a.first())?, |u| {
                    u.remote.map(|a| Some(addr_value(a))).ok_or(InvalidState)
                })?;
                Ok(Some(res(r)))
            },
        )
        .func(
            "[method]udp-socket.get-address-family",
            std::slice::from_ref(&me_udp),
            Some(ty.family.clone()),
            |h, a| {
                Ok(Some(family_value(
                    h.with_udp(rep(a.first())?, |u| u.family)?,
                )))
            },
        );
    for (name, param, out, f) in udp_options() {
        let mut params = vec![me_udp.clone()];
        params.extend(param.map(|p| ("value", p)));
        iface = iface.func(
            &format!("[method]udp-socket.{name}"),
            &params,
            Some(ty.result(out)),
            move |h, a| Ok(Some(res(h.with_udp(rep(a.first())?, |u| f(u, a.get(1)))?))),
        );
    }
    iface.register(rt, "wasi:sockets/types", P3_VERSION);
    name_lookup(rt, host, &ty);
}

/// `ip-name-lookup`'s `error-code`.
const LOOKUP_CASES: [&str; 6] = [
    "access-denied",
    "invalid-argument",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
    "other",
];

/// What `lookup` answers without the resolver: an IP literal as it is,
/// a malformed name `invalid-argument`; `None` for a name to resolve.
fn answer_at_once(name: &str) -> Option<Result<Vec<IpAddr>, &'static str>> {
    if let Ok(ip) = name.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some(Ok(vec![ip]));
    }
    if name.is_empty() || name.contains([' ', '/', ':', '\0']) {
        return Some(Err("invalid-argument"));
    }
    None
}

/// Resolves `name` (both versions' `resolve-addresses`): an IP literal
/// as it is; a name through the system resolver, IPv4-mapped IPv6 answers
/// as IPv4, each address once. Errors are `error-code` case names.
fn lookup(name: &str) -> Result<Vec<IpAddr>, &'static str> {
    if let Some(answer) = answer_at_once(name) {
        return answer;
    }
    use std::net::ToSocketAddrs;
    let addrs = (name, 0u16)
        .to_socket_addrs()
        .map_err(|_| "name-unresolvable")?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in addrs {
        let ip = match a.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            ip => ip,
        };
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if ips.is_empty() {
        return Err("name-unresolvable");
    }
    Ok(ips)
}

/// `wasi:sockets/ip-name-lookup@0.3.0`: IP literals parse as they are;
/// names resolve through the system resolver (never IPv4-mapped IPv6).
fn name_lookup(rt: &mut Runtime, host: &Arc<Host>, ty: &Types) {
    let error_code = variant(
        &LOOKUP_CASES
            .iter()
            .map(|n| (*n, (*n == "other").then(|| option(T::String))))
            .collect::<Vec<_>>(),
    );
    fn case(n: &str) -> Value {
        Value::Variant(n.into(), None)
    }
    Iface::new(host)
        .ty("error-code", error_code.clone())
        .ty("ip-address", ty.ip_address.clone())
        .func_async(
            "resolve-addresses",
            &[("name", T::String)],
            Some(result(Some(list(ty.ip_address.clone())), Some(error_code))),
            move |h, _cx, a| {
                let name = string_arg(a.first())?.to_string();
                if !h.ctx().network_allowed() {
                    return Ok(HostCall::Done(Some(err(case("access-denied")))));
                }
                // The resolver runs on its own thread; the call finishes
                // when it answers.
                let slot: Lookup = Arc::default();
                if let Err(e) = p2::spawn_lookup(name, slot.clone()) {
                    return Ok(HostCall::Done(Some(err(case(e)))));
                }
                Ok(retried(move || match lock(&slot).take() {
                    None => Poll::Pending,
                    Some(Ok(ips)) => Poll::Ready(ok(Some(Value::List(
                        ips.into_iter().map(ip_value).collect(),
                    )))),
                    Some(Err(e)) => Poll::Ready(err(case(e))),
                }))
            },
        )
        .register(rt, "wasi:sockets/ip-name-lookup", P3_VERSION);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(network: bool) -> Host {
        let ctx = WasiCtx::builder().allow_network(network).build();
        Host {
            interrupt: ctx.interrupt_handle(),
            ctx: Arc::new(Mutex::new(ctx)),
            table: Mutex::new(Table::default()),
            seed: std::sync::OnceLock::new(),
            preopens: Mutex::new(None),
        }
    }

    fn tcp(h: &Host) -> Result<u32, Code> {
        h.add_socket(|| {
            Ok(Object::Tcp(TcpSock {
                family: Family::V4,
                state: TcpState::Unbound,
                sock: Arc::new(new_socket(Family::V4, false)?),
                backlog: DEFAULT_BACKLOG,
                sent: false,
                received: false,
            }))
        })
    }

    #[test]
    fn addresses_round_trip_through_values() {
        for a in ["127.0.0.1:80", "[::1]:8080", "[fe80::1%3]:1", "0.0.0.0:0"] {
            let a: SocketAddr = a.parse().unwrap();
            assert_eq!(socket_addr(&addr_value(a)).unwrap(), a);
        }
        // A malformed value is a host trap, never a panic.
        assert!(socket_addr(&Value::U8(1)).is_err());
        let short = Value::Variant(
            "ipv4".into(),
            Some(Box::new(record(vec![
                ("port", Value::U16(1)),
                ("address", Value::Tuple(vec![Value::U8(1)])),
            ]))),
        );
        assert!(socket_addr(&short).is_err());
    }

    #[test]
    fn remote_addresses_follow_the_invalid_argument_rules() {
        let bad = [
            ("[::1]:80", Family::V4),              // wrong family
            ("127.0.0.1:80", Family::V6),          // wrong family
            ("0.0.0.0:80", Family::V4),            // unspecified
            ("127.0.0.1:0", Family::V4),           // port 0
            ("[::ffff:127.0.0.1]:80", Family::V6), // IPv4-mapped
            ("224.0.0.1:80", Family::V4),          // multicast
            ("255.255.255.255:80", Family::V4),    // broadcast
        ];
        for (a, f) in bad {
            assert_eq!(
                check_remote(&a.parse().unwrap(), f),
                Err(InvalidArgument),
                "{a}"
            );
        }
        assert_eq!(
            check_remote(&"127.0.0.1:80".parse().unwrap(), Family::V4),
            Ok(())
        );
        // A local address may be unspecified and have port 0.
        assert_eq!(
            check_local(&"0.0.0.0:0".parse().unwrap(), Family::V4),
            Ok(())
        );
    }

    #[test]
    fn the_network_is_denied_unless_granted_and_sockets_are_budgeted() {
        assert_eq!(tcp(&host(false)), Err(AccessDenied));
        let h = host(true);
        let mut made = Vec::new();
        for _ in 0..MAX_SOCKETS {
            made.push(tcp(&h).expect("within the budget"));
        }
        // Past the budget: a clean error, and the host stays up.
        assert_eq!(tcp(&h), Err(OutOfMemory));
        h.table().objects.remove(&made[0]);
        assert!(tcp(&h).is_ok(), "a dropped socket frees its place");
    }

    /// A guest that floods a peer that never reads: the host's write half
    /// takes what the kernel buffers and then answers `Pending` (the guest's
    /// write waits), so the host never buffers the flood itself.
    #[test]
    fn a_flood_to_a_peer_that_never_reads_waits_instead_of_buffering() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let sock = Socket::from(accepted);
        sock.set_nonblocking(true).unwrap();
        let mut half = WriteHalf {
            sock: Arc::new(sock),
            done: Arc::default(),
            failed: false,
        };
        let chunk = vec![Value::U8(7); 1 << 20];
        let (mut taken, mut waited) = (0usize, false);
        // Far more than any kernel buffers for one connection.
        while taken < 256 << 20 {
            match half.poll(Some(&chunk)) {
                Poll::Ready(n) => taken += n,
                Poll::Pending => {
                    waited = true;
                    break;
                }
            }
        }
        assert!(waited, "the write half took {taken} bytes without waiting");
        assert!(
            lock(&half.done).is_none(),
            "no error: the peer is only slow"
        );
        drop(peer);
    }

    #[test]
    fn error_codes_are_the_wit_cases() {
        assert_eq!(
            Code::of(&std::io::Error::from(ErrorKind::ConnectionRefused)).value(),
            Value::Variant("connection-refused".into(), None)
        );
        assert_eq!(
            Code::of(&std::io::Error::from_raw_os_error(EMSGSIZE)),
            DatagramTooLarge
        );
        assert!(matches!(Other("x".into()).value(), Value::Variant(n, Some(_)) if n == "other"));
    }
}
