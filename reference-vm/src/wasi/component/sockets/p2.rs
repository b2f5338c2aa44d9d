//! `wasi:sockets@0.2` (`network`, `instance-network`, `tcp`,
//! `tcp-create-socket`, `udp`, `udp-create-socket`, `ip-name-lookup`) on
//! the same host sockets, state checks, options and error codes as 0.3.
//!
//! 0.2 splits each operation that may wait into `start-*` and `finish-*`
//! (`finish-*` says `would-block` while it goes on) and waits through
//! `wasi:io` pollables: a socket's `subscribe` is ready when its connect
//! or accept can finish. Connections read and write through wasi:io
//! streams made by the host ([`HostInput`], [`HostOutput`]); the output
//! stream holds at most [`OUT_BUFFER`] bytes the kernel has not taken, so
//! a guest flooding a peer that never reads sees `check-write` fall to 0.

use std::collections::VecDeque;

use super::*;

/// What a TCP output stream holds beyond the kernel's buffers at most.
pub(super) const OUT_BUFFER: usize = 64 << 10;
/// Datagrams one `check-send` permits.
const SEND_PERMIT: u64 = 16;
/// Name lookups one run may have under way at once.
const MAX_LOOKUPS: usize = 16;

/// `error-code` of `wasi:sockets/network@0.2`, in order.
const CASES_P2: [&str; 21] = [
    "unknown",
    "access-denied",
    "not-supported",
    "invalid-argument",
    "out-of-memory",
    "timeout",
    "concurrency-conflict",
    "not-in-progress",
    "would-block",
    "invalid-state",
    "new-socket-limit",
    "address-not-bindable",
    "address-in-use",
    "remote-unreachable",
    "connection-refused",
    "connection-reset",
    "connection-aborted",
    "datagram-too-large",
    "name-unresolvable",
    "temporary-resolver-failure",
    "permanent-resolver-failure",
];

impl Code {
    /// The 0.2 `error-code` case.
    fn case_p2(&self) -> &'static str {
        match self {
            AccessDenied => "access-denied",
            NotSupported => "not-supported",
            InvalidArgument => "invalid-argument",
            // The host's socket budget is a system limit on new sockets.
            OutOfMemory => "new-socket-limit",
            Timeout => "timeout",
            InvalidState => "invalid-state",
            AddressNotBindable => "address-not-bindable",
            AddressInUse => "address-in-use",
            RemoteUnreachable => "remote-unreachable",
            ConnectionRefused => "connection-refused",
            // 0.2 has no broken-pipe case: the peer reset the connection.
            ConnectionBroken | ConnectionReset => "connection-reset",
            ConnectionAborted => "connection-aborted",
            DatagramTooLarge => "datagram-too-large",
            WouldBlock => "would-block",
            NotInProgress => "not-in-progress",
            ConcurrencyConflict => "concurrency-conflict",
            Other(_) => "unknown",
        }
    }
}

fn res2(r: Result<Option<Value>, Code>) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(c) => err(Value::Enum(c.case_p2().into())),
    }
}

/// The resource types of `wasi:sockets@0.2` and the `wasi:io` ones its
/// functions name.
pub(in crate::wasi::component) struct P2Sockets {
    /// `network`
    pub network: ResourceType,
    /// `tcp-socket`
    pub tcp: ResourceType,
    /// `udp-socket`
    pub udp: ResourceType,
    /// `incoming-datagram-stream`
    pub incoming: ResourceType,
    /// `outgoing-datagram-stream`
    pub outgoing: ResourceType,
    /// `resolve-address-stream`
    pub resolved: ResourceType,
}

/// A 0.2 `tcp-socket`: the shared socket state, plus a connect's outcome
/// once learnt and a connection accepted while the guest's pollable was
/// being checked.
pub(in crate::wasi::component) struct Tcp2 {
    t: TcpSock,
    connected: Option<Result<(), Code>>,
    accepted: VecDeque<Socket>,
}

impl Tcp2 {
    /// A socket in `state` (`connected` when accepted).
    fn new(family: Family, state: TcpState, sock: Arc<Socket>) -> Tcp2 {
        Tcp2 {
            t: TcpSock {
                family,
                state,
                sock,
                backlog: DEFAULT_BACKLOG,
                sent: false,
                received: false,
            },
            connected: (state == TcpState::Connected).then_some(Ok(())),
            accepted: VecDeque::new(),
        }
    }

    /// How a started connect ended (`None`: the handshake goes on). The
    /// socket's pending error is read once and kept.
    fn connect_outcome(&mut self) -> Option<Result<(), Code>> {
        if self.connected.is_none() {
            self.connected = match self.t.sock.take_error() {
                Ok(Some(e)) | Err(e) => Some(Err(Code::of(&e))),
                Ok(None) if self.t.sock.peer_addr().is_ok() => Some(Ok(())),
                Ok(None) => None,
            };
        }
        self.connected.clone()
    }

    /// Whether `accept` would finish now; a connection taken to find out
    /// waits in `accepted`.
    fn accept_ready(&mut self) -> bool {
        if !self.accepted.is_empty() {
            return true;
        }
        match self.t.sock.accept() {
            Ok((s, _)) => {
                self.accepted.push_back(s);
                true
            }
            Err(e) => !would_block(&e),
        }
    }

    /// `subscribe`'s readiness: a connect or accept can finish (a socket
    /// doing neither is always ready, sockets.wit).
    fn ready(&mut self) -> bool {
        match self.t.state {
            TcpState::Connecting => self.connect_outcome().is_some(),
            TcpState::Listening => self.accept_ready(),
            _ => true,
        }
    }
}

/// A 0.2 `udp-socket`: 0.3's state plus `bind-in-progress`.
pub(in crate::wasi::component) struct Udp2 {
    u: UdpSock,
    binding: bool,
}

/// An `incoming-datagram-stream`.
pub(in crate::wasi::component) struct UdpIn {
    sock: std::net::UdpSocket,
}

/// An `outgoing-datagram-stream`: the datagrams `check-send` permitted.
pub(in crate::wasi::component) struct UdpOut {
    sock: Arc<Socket>,
    remote: Option<SocketAddr>,
    permit: u64,
}

/// A `resolve-address-stream`: the answer once the lookup thread has it.
pub(in crate::wasi::component) type Lookup =
    Arc<Mutex<Option<Result<VecDeque<IpAddr>, &'static str>>>>;

/// The read side of a connection as a wasi:io input stream: what a
/// readiness check read waits in `pending`.
struct TcpIn {
    sock: Arc<Socket>,
    pending: Vec<u8>,
    end: Option<StreamEnd>,
}

impl TcpIn {
    fn fill(&mut self, max: usize) {
        if self.end.is_some() || !self.pending.is_empty() {
            return;
        }
        let mut buf = vec![0u8; max.clamp(1, TCP_READ_CHUNK)];
        match (&*self.sock).read(&mut buf) {
            Ok(0) => self.end = Some(StreamEnd::Closed),
            Ok(n) => self.pending.extend_from_slice(&buf[..n]),
            Err(e) if would_block(&e) => {}
            Err(e) => self.end = Some(StreamEnd::Failed(e.to_string())),
        }
    }
}

impl HostInput for TcpIn {
    fn read(&mut self, max: usize) -> Result<Vec<u8>, StreamEnd> {
        self.fill(max);
        if self.pending.is_empty() {
            return match self.end.take() {
                Some(e) => {
                    // Later reads see the stream closed.
                    self.end = Some(StreamEnd::Closed);
                    Err(e)
                }
                None => Ok(Vec::new()),
            };
        }
        let n = max.min(self.pending.len());
        Ok(self.pending.drain(..n).collect())
    }
    fn ready(&mut self) -> bool {
        self.fill(TCP_READ_CHUNK);
        !self.pending.is_empty() || self.end.is_some()
    }
}

/// The write side of a connection as a wasi:io output stream.
struct TcpOut {
    sock: Arc<Socket>,
    held: Vec<u8>,
    failed: Option<String>,
}

impl TcpOut {
    /// Hands what it holds to the kernel as far as it takes it now.
    fn send_on(&mut self) -> Result<(), StreamEnd> {
        while self.failed.is_none() && !self.held.is_empty() {
            match (&*self.sock).write(&self.held) {
                Ok(0) => break,
                Ok(n) => {
                    self.held.drain(..n);
                }
                Err(e) if would_block(&e) => break,
                Err(e) => self.failed = Some(e.to_string()),
            }
        }
        match &self.failed {
            Some(msg) => Err(StreamEnd::Failed(msg.clone())),
            None => Ok(()),
        }
    }
}

impl HostOutput for TcpOut {
    fn check_write(&mut self) -> Result<u64, StreamEnd> {
        self.send_on()?;
        Ok((OUT_BUFFER - self.held.len().min(OUT_BUFFER)) as u64)
    }
    fn write(&mut self, data: &[u8]) -> Result<(), StreamEnd> {
        self.send_on()?;
        self.held.extend_from_slice(data);
        self.send_on()
    }
    fn flushed(&mut self) -> Result<bool, StreamEnd> {
        self.send_on()?;
        Ok(self.held.is_empty())
    }
}

/// A connection's pair of wasi:io streams (`finish-connect`, `accept`).
fn stream_pair(h: &Host, sock: &Arc<Socket>) -> (Value, Value) {
    let input: HostIn = Arc::new(Mutex::new(TcpIn {
        sock: sock.clone(),
        pending: Vec::new(),
        end: None,
    }));
    let output: HostOut = Arc::new(Mutex::new(TcpOut {
        sock: sock.clone(),
        held: Vec::new(),
        failed: None,
    }));
    (
        Value::Own(h.push(Object::Input(Source::Host(input)))),
        Value::Own(h.push(Object::Output(Sink::Host(output)))),
    )
}

impl Host {
    fn with_tcp2<R>(&self, r: u32, f: impl FnOnce(&mut Tcp2) -> R) -> Result<R, Trap> {
        let t = match self.table().objects.get(&r) {
            Some(Object::Tcp2(t)) => t.clone(),
            _ => return Err(host_trap("host: not a tcp-socket")),
        };
        let mut t = lock(&t);
        Ok(f(&mut t))
    }
    fn with_udp2<R>(&self, r: u32, f: impl FnOnce(&mut Udp2) -> R) -> Result<R, Trap> {
        let u = match self.table().objects.get(&r) {
            Some(Object::Udp2(u)) => u.clone(),
            _ => return Err(host_trap("host: not a udp-socket")),
        };
        let mut u = lock(&u);
        Ok(f(&mut u))
    }
    /// Checks that `v` is the `network` handle (`start-bind`,
    /// `start-connect`, `resolve-addresses`).
    fn check_network(&self, v: Option<&Value>) -> Result<(), Trap> {
        match self.table().objects.get(&rep(v)?) {
            Some(Object::Network) => Ok(()),
            _ => Err(host_trap("host: not a network")),
        }
    }
    fn pollable(&self, p: Pollable) -> Value {
        Value::Own(self.push(Object::Pollable(p)))
    }
}

fn arg(a: &[Value], i: usize) -> Result<&Value, Trap> {
    a.get(i).ok_or_else(|| host_trap("host: missing argument"))
}

/// How a socket method fails: with an `error-code` the guest gets, or a
/// trap (a malformed argument).
enum Fail {
    Code(Code),
    Trap(Trap),
}

impl From<Code> for Fail {
    fn from(c: Code) -> Fail {
        Fail::Code(c)
    }
}

impl From<Trap> for Fail {
    fn from(t: Trap) -> Fail {
        Fail::Trap(t)
    }
}

type Method<S> = dyn Fn(&Host, &mut S, &[Value]) -> Result<Option<Value>, Fail> + Send + Sync;

/// A `tcp-socket` method returning `result<T, error-code>`: `f` works on
/// the socket `self` names, with the call's arguments.
fn on_tcp(
    f: impl Fn(&Host, &mut Tcp2, &[Value]) -> Result<Option<Value>, Fail> + Send + Sync + 'static,
) -> impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static {
    let f: Arc<Method<Tcp2>> = Arc::new(f);
    move |h: &Host, a: &[Value]| outcome(h.with_tcp2(rep(a.first())?, |t| f(h, t, a))?)
}

/// A `udp-socket` method returning `result<T, error-code>`.
fn on_udp(
    f: impl Fn(&Host, &mut Udp2, &[Value]) -> Result<Option<Value>, Fail> + Send + Sync + 'static,
) -> impl Fn(&Host, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync + 'static {
    let f: Arc<Method<Udp2>> = Arc::new(f);
    move |h: &Host, a: &[Value]| outcome(h.with_udp2(rep(a.first())?, |u| f(h, u, a))?)
}

/// A method's `result` value, or its trap.
fn outcome(r: Result<Option<Value>, Fail>) -> Result<Option<Value>, Trap> {
    match r {
        Ok(v) => Ok(Some(ok(v))),
        Err(Fail::Code(c)) => Ok(Some(res2(Err(c)))),
        Err(Fail::Trap(t)) => Err(t),
    }
}

/// Registers `wasi:sockets/*@0.2`.
pub(in crate::wasi::component) fn sockets_p2(
    rt: &mut Runtime,
    host: &Arc<Host>,
    p: &P2Types,
    s: &P2Sockets,
) {
    let v = P2_VERSION;
    let ty = Types::new();
    let error_code = enum_(&CASES_P2);
    let r2 = |ok: Option<ValType>| result(ok, Some(error_code.clone()));
    let addr = ty.socket_address.clone();
    let net = ("network", T::Borrow(s.network));

    // -- network, instance-network --
    Iface::new(host)
        .resource("error", p.error)
        .resource("network", s.network)
        .ty("error-code", error_code.clone())
        .ty("ip-address-family", ty.family.clone())
        .ty("ip-address", ty.ip_address.clone())
        .ty("ip-socket-address", addr.clone())
        .register(rt, "wasi:sockets/network", v);
    Iface::new(host)
        .resource("network", s.network)
        .func("instance-network", &[], Some(T::Own(s.network)), |h, _| {
            Ok(Some(Value::Own(h.push(Object::Network))))
        })
        .register(rt, "wasi:sockets/instance-network", v);

    // -- tcp --
    let me = ("self", T::Borrow(s.tcp));
    let pair = tuple(vec![T::Own(p.input), T::Own(p.output)]);
    let mut tcp = Iface::new(host)
        .resource("input-stream", p.input)
        .resource("output-stream", p.output)
        .resource("pollable", p.pollable)
        .resource("network", s.network)
        .ty("duration", T::U64)
        .ty("error-code", error_code.clone())
        .ty("ip-socket-address", addr.clone())
        .ty("ip-address-family", ty.family.clone())
        .ty("shutdown-type", enum_(&["receive", "send", "both"]))
        .resource("tcp-socket", s.tcp)
        .func(
            "[method]tcp-socket.start-bind",
            &[me.clone(), net.clone(), ("local-address", addr.clone())],
            Some(r2(None)),
            on_tcp(|h, t, a| {
                h.check_network(a.get(1))?;
                let local = socket_addr(arg(a, 2)?)?;
                if t.t.state != TcpState::Unbound {
                    return Err(InvalidState.into());
                }
                bind(&t.t.sock, t.t.family, &local, true)?;
                t.t.state = TcpState::BindStarted;
                Ok(None)
            }),
        )
        .func(
            "[method]tcp-socket.finish-bind",
            std::slice::from_ref(&me),
            Some(r2(None)),
            on_tcp(|_, t, _| {
                if t.t.state != TcpState::BindStarted {
                    return Err(NotInProgress.into());
                }
                t.t.state = TcpState::Bound;
                Ok(None)
            }),
        )
        .func(
            "[method]tcp-socket.start-connect",
            &[me.clone(), net.clone(), ("remote-address", addr.clone())],
            Some(r2(None)),
            on_tcp(|h, t, a| {
                h.check_network(a.get(1))?;
                let remote = socket_addr(arg(a, 2)?)?;
                match t.t.state {
                    TcpState::Unbound | TcpState::Bound => {}
                    TcpState::BindStarted | TcpState::ListenStarted | TcpState::Connecting => {
                        return Err(ConcurrencyConflict.into());
                    }
                    _ => return Err(InvalidState.into()),
                }
                check_remote(&remote, t.t.family)?;
                t.connected = None;
                match t.t.sock.connect(&SockAddr::from(remote)) {
                    Ok(()) => t.connected = Some(Ok(())),
                    Err(e) if would_block(&e) => {}
                    Err(e) => t.connected = Some(Err(Code::of(&e))),
                }
                // sockets.wit: the outcome, even an immediate failure,
                // comes from finish-connect.
                t.t.state = TcpState::Connecting;
                Ok(None)
            }),
        )
        .func(
            "[method]tcp-socket.finish-connect",
            std::slice::from_ref(&me),
            Some(r2(Some(pair.clone()))),
            on_tcp(|h, t, _| {
                if t.t.state != TcpState::Connecting {
                    return Err(NotInProgress.into());
                }
                match t.connect_outcome() {
                    None => Err(WouldBlock.into()),
                    Some(Ok(())) => {
                        t.t.state = TcpState::Connected;
                        let (i, o) = stream_pair(h, &t.t.sock);
                        Ok(Some(tuple2(i, o)))
                    }
                    Some(Err(c)) => {
                        t.t.state = TcpState::Closed;
                        Err(c.into())
                    }
                }
            }),
        )
        .func(
            "[method]tcp-socket.start-listen",
            std::slice::from_ref(&me),
            Some(r2(None)),
            on_tcp(|_, t, _| {
                match t.t.state {
                    TcpState::Bound => {}
                    TcpState::BindStarted | TcpState::ListenStarted | TcpState::Connecting => {
                        return Err(ConcurrencyConflict.into());
                    }
                    // Unbound (0.2 binds no address implicitly), listening,
                    // connected, closed.
                    _ => return Err(InvalidState.into()),
                }
                io(t.t.sock.listen(t.t.backlog))?;
                t.t.state = TcpState::ListenStarted;
                Ok(None)
            }),
        )
        .func(
            "[method]tcp-socket.finish-listen",
            std::slice::from_ref(&me),
            Some(r2(None)),
            on_tcp(|_, t, _| {
                if t.t.state != TcpState::ListenStarted {
                    return Err(NotInProgress.into());
                }
                t.t.state = TcpState::Listening;
                Ok(None)
            }),
        )
        .func(
            "[method]tcp-socket.accept",
            std::slice::from_ref(&me),
            Some(r2(Some(tuple(vec![
                T::Own(s.tcp),
                T::Own(p.input),
                T::Own(p.output),
            ])))),
            on_tcp(|h, t, _| {
                if t.t.state != TcpState::Listening {
                    return Err(InvalidState.into());
                }
                let conn = match t.accepted.pop_front() {
                    Some(s) => s,
                    None => match t.t.sock.accept() {
                        Ok((s, _)) => s,
                        Err(e) if would_block(&e) => return Err(WouldBlock.into()),
                        Err(e) => return Err(Code::of(&e).into()),
                    },
                };
                io(conn.set_nonblocking(true))?;
                let sock = Arc::new(conn);
                let accepted = Tcp2::new(t.t.family, TcpState::Connected, sock.clone());
                let r = h.add_socket(|| Ok(Object::Tcp2(Arc::new(Mutex::new(accepted)))))?;
                let (i, o) = stream_pair(h, &sock);
                Ok(Some(Value::Tuple(vec![Value::Own(r), i, o])))
            }),
        )
        .func(
            "[method]tcp-socket.local-address",
            std::slice::from_ref(&me),
            Some(r2(Some(addr.clone()))),
            on_tcp(|_, t, _| {
                if matches!(
                    t.t.state,
                    TcpState::Unbound | TcpState::BindStarted | TcpState::Closed
                ) {
                    return Err(InvalidState.into());
                }
                Ok(Some(addr_value(local_of(&t.t.sock)?)))
            }),
        )
        .func(
            "[method]tcp-socket.remote-address",
            std::slice::from_ref(&me),
            Some(r2(Some(addr.clone()))),
            on_tcp(|_, t, _| {
                if t.t.state != TcpState::Connected {
                    return Err(InvalidState.into());
                }
                let peer = io(t.t.sock.peer_addr())?.as_socket().ok_or(InvalidState)?;
                Ok(Some(addr_value(peer)))
            }),
        )
        .func(
            "[method]tcp-socket.is-listening",
            std::slice::from_ref(&me),
            Some(T::Bool),
            |h, a| {
                let l = h.with_tcp2(rep(a.first())?, |t| t.t.state == TcpState::Listening)?;
                Ok(Some(Value::Bool(l)))
            },
        )
        .func(
            "[method]tcp-socket.address-family",
            std::slice::from_ref(&me),
            Some(ty.family.clone()),
            |h, a| {
                Ok(Some(family_value(
                    h.with_tcp2(rep(a.first())?, |t| t.t.family)?,
                )))
            },
        )
        .func(
            "[method]tcp-socket.subscribe",
            std::slice::from_ref(&me),
            Some(T::Own(p.pollable)),
            |h, a| {
                let t = match h.table().objects.get(&rep(a.first())?) {
                    Some(Object::Tcp2(t)) => t.clone(),
                    _ => return Err(host_trap("host: not a tcp-socket")),
                };
                Ok(Some(h.pollable(Pollable::Watch(Box::new(move || {
                    lock(&t).ready()
                })))))
            },
        )
        .func(
            "[method]tcp-socket.shutdown",
            &[
                me.clone(),
                ("shutdown-type", enum_(&["receive", "send", "both"])),
            ],
            Some(r2(None)),
            on_tcp(|_, t, a| {
                let how = match a.get(1) {
                    Some(Value::Enum(s)) if s == "receive" => Shutdown::Read,
                    Some(Value::Enum(s)) if s == "send" => Shutdown::Write,
                    Some(Value::Enum(s)) if s == "both" => Shutdown::Both,
                    _ => return Err(host_trap("host: expected a shutdown-type").into()),
                };
                if t.t.state != TcpState::Connected {
                    return Err(InvalidState.into());
                }
                match t.t.sock.shutdown(how) {
                    // sockets.wit: shutting a direction down twice is ok.
                    Err(e) if e.kind() != ErrorKind::NotConnected => Err(Code::of(&e).into()),
                    _ => Ok(None),
                }
            }),
        );
    for (name, param, out, f) in tcp_options() {
        let name = name.strip_prefix("get-").unwrap_or(name);
        let mut params = vec![me.clone()];
        params.extend(param.map(|p| ("value", p)));
        tcp = tcp.func(
            &format!("[method]tcp-socket.{name}"),
            &params,
            Some(r2(out)),
            on_tcp(move |_, t, a| {
                if t.t.state == TcpState::Closed {
                    return Err(InvalidState.into());
                }
                Ok(f(&mut t.t, a.get(1))?)
            }),
        );
    }
    tcp.register(rt, "wasi:sockets/tcp", v);
    Iface::new(host)
        .resource("network", s.network)
        .resource("tcp-socket", s.tcp)
        .ty("error-code", error_code.clone())
        .ty("ip-address-family", ty.family.clone())
        .func(
            "create-tcp-socket",
            &[("address-family", ty.family.clone())],
            Some(r2(Some(T::Own(s.tcp)))),
            |h, a| {
                let f = family_of(arg(a, 0)?)?;
                let r = h.add_socket(|| {
                    let t = Tcp2::new(f, TcpState::Unbound, Arc::new(new_socket(f, false)?));
                    Ok(Object::Tcp2(Arc::new(Mutex::new(t))))
                });
                Ok(Some(res2(r.map(|r| Some(Value::Own(r))))))
            },
        )
        .register(rt, "wasi:sockets/tcp-create-socket", v);

    udp_p2(rt, host, p, s, &ty, &error_code);
    lookup_p2(rt, host, p, s, &ty, &error_code);
}

/// `wasi:sockets/udp@0.2` and `udp-create-socket`.
fn udp_p2(
    rt: &mut Runtime,
    host: &Arc<Host>,
    p: &P2Types,
    s: &P2Sockets,
    ty: &Types,
    error_code: &ValType,
) {
    let v = P2_VERSION;
    let r2 = |ok: Option<ValType>| result(ok, Some(error_code.clone()));
    let addr = ty.socket_address.clone();
    let me = ("self", T::Borrow(s.udp));
    let incoming = rec(&[("data", list(T::U8)), ("remote-address", addr.clone())]);
    let outgoing = rec(&[
        ("data", list(T::U8)),
        ("remote-address", option(addr.clone())),
    ]);
    let mut udp = Iface::new(host)
        .resource("pollable", p.pollable)
        .resource("network", s.network)
        .ty("error-code", error_code.clone())
        .ty("ip-socket-address", addr.clone())
        .ty("ip-address-family", ty.family.clone())
        .ty("incoming-datagram", incoming.clone())
        .ty("outgoing-datagram", outgoing.clone())
        .resource("udp-socket", s.udp)
        .resource("incoming-datagram-stream", s.incoming)
        .resource("outgoing-datagram-stream", s.outgoing)
        .func(
            "[method]udp-socket.start-bind",
            &[
                me.clone(),
                ("network", T::Borrow(s.network)),
                ("local-address", addr.clone()),
            ],
            Some(r2(None)),
            on_udp(|h, u, a| {
                h.check_network(a.get(1))?;
                let local = socket_addr(arg(a, 2)?)?;
                if u.u.bound || u.binding {
                    return Err(InvalidState.into());
                }
                bind(&u.u.sock, u.u.family, &local, false)?;
                u.binding = true;
                Ok(None)
            }),
        )
        .func(
            "[method]udp-socket.finish-bind",
            std::slice::from_ref(&me),
            Some(r2(None)),
            on_udp(|_, u, _| {
                if !u.binding {
                    return Err(NotInProgress.into());
                }
                u.binding = false;
                u.u.bound = true;
                Ok(None)
            }),
        )
        .func(
            "[method]udp-socket.stream",
            &[me.clone(), ("remote-address", option(addr.clone()))],
            Some(r2(Some(tuple(vec![
                T::Own(s.incoming),
                T::Own(s.outgoing),
            ])))),
            on_udp(|h, u, a| {
                let remote = match a.get(1) {
                    Some(Value::Option(Some(v))) => Some(socket_addr(v)?),
                    Some(Value::Option(None)) => None,
                    _ => return Err(host_trap("host: expected option<ip-socket-address>").into()),
                };
                // sockets.wit: unlike POSIX, the socket must be bound.
                if !u.u.bound {
                    return Err(InvalidState.into());
                }
                if let Some(to) = &remote {
                    check_remote(to, u.u.family)?;
                }
                if u.u.remote.is_some() {
                    u.u.disconnect()?;
                }
                if let Some(to) = remote {
                    io(u.u.sock.connect(&SockAddr::from(to)))?;
                    u.u.remote = Some(to);
                }
                let view = std::net::UdpSocket::from(io(u.u.sock.try_clone())?);
                let i = h.push(Object::UdpIn(UdpIn { sock: view }));
                let o = h.push(Object::UdpOut(UdpOut {
                    sock: u.u.sock.clone(),
                    remote,
                    permit: 0,
                }));
                Ok(Some(tuple2(Value::Own(i), Value::Own(o))))
            }),
        )
        .func(
            "[method]udp-socket.local-address",
            std::slice::from_ref(&me),
            Some(r2(Some(addr.clone()))),
            on_udp(|_, u, _| {
                if !u.u.bound {
                    return Err(InvalidState.into());
                }
                Ok(Some(addr_value(local_of(&u.u.sock)?)))
            }),
        )
        .func(
            "[method]udp-socket.remote-address",
            std::slice::from_ref(&me),
            Some(r2(Some(addr.clone()))),
            on_udp(|_, u, _| Ok(Some(addr_value(u.u.remote.ok_or(InvalidState)?)))),
        )
        .func(
            "[method]udp-socket.address-family",
            std::slice::from_ref(&me),
            Some(ty.family.clone()),
            |h, a| {
                Ok(Some(family_value(
                    h.with_udp2(rep(a.first())?, |u| u.u.family)?,
                )))
            },
        )
        .func(
            "[method]udp-socket.subscribe",
            std::slice::from_ref(&me),
            Some(T::Own(p.pollable)),
            // Nothing on a 0.2 UDP socket waits (binding finishes at once).
            |h, _| Ok(Some(h.pollable(Pollable::Clock(None)))),
        )
        .func(
            "[method]incoming-datagram-stream.receive",
            &[("self", T::Borrow(s.incoming)), ("max-results", T::U64)],
            Some(r2(Some(list(incoming)))),
            |h, a| {
                let max = u64_arg(a.get(1))?.min(SEND_PERMIT * 4) as usize;
                let r = rep(a.first())?;
                let t = h.table();
                let Some(Object::UdpIn(u)) = t.objects.get(&r) else {
                    return Err(host_trap("host: not an incoming-datagram-stream"));
                };
                let mut got = Vec::new();
                let mut buf = vec![0u8; MAX_DATAGRAM];
                while got.len() < max {
                    match u.sock.recv_from(&mut buf) {
                        Ok((n, from)) => got.push(record(vec![
                            ("data", bytes(&buf[..n])),
                            ("remote-address", addr_value(from)),
                        ])),
                        Err(e) if would_block(&e) => break,
                        // sockets.wit: errors only when nothing was received.
                        Err(_) if !got.is_empty() => break,
                        Err(e) => return Ok(Some(res2(Err(Code::of(&e))))),
                    }
                }
                Ok(Some(ok(Some(Value::List(got)))))
            },
        )
        .func(
            "[method]incoming-datagram-stream.subscribe",
            &[("self", T::Borrow(s.incoming))],
            Some(T::Own(p.pollable)),
            |h, a| {
                let view = match h.table().objects.get(&rep(a.first())?) {
                    Some(Object::UdpIn(u)) => u.sock.try_clone(),
                    _ => return Err(host_trap("host: not an incoming-datagram-stream")),
                };
                let p = match view {
                    Ok(view) => Pollable::Watch(Box::new(move || {
                        // A datagram (or an error) waits: peek, never take.
                        !matches!(view.peek_from(&mut [0u8; 1]), Err(e) if would_block(&e))
                    })),
                    Err(_) => Pollable::Clock(None),
                };
                Ok(Some(h.pollable(p)))
            },
        )
        .func(
            "[method]outgoing-datagram-stream.check-send",
            &[("self", T::Borrow(s.outgoing))],
            Some(r2(Some(T::U64))),
            |h, a| match h.table().objects.get_mut(&rep(a.first())?) {
                Some(Object::UdpOut(o)) => {
                    o.permit = SEND_PERMIT;
                    Ok(Some(ok(Some(Value::U64(SEND_PERMIT)))))
                }
                _ => Err(host_trap("host: not an outgoing-datagram-stream")),
            },
        )
        .func(
            "[method]outgoing-datagram-stream.send",
            &[
                ("self", T::Borrow(s.outgoing)),
                ("datagrams", list(outgoing)),
            ],
            Some(r2(Some(T::U64))),
            |h, a| {
                let Some(Value::List(ds)) = a.get(1) else {
                    return Err(host_trap("host: expected a list of datagrams"));
                };
                let r = rep(a.first())?;
                let mut t = h.table();
                let Some(Object::UdpOut(o)) = t.objects.get_mut(&r) else {
                    return Err(host_trap("host: not an outgoing-datagram-stream"));
                };
                // sockets.wit: more datagrams than check-send permitted traps.
                if ds.len() as u64 > o.permit {
                    return Err(host_trap(format!(
                        "outgoing-datagram-stream.send of {} datagrams exceeds the {} permitted",
                        ds.len(),
                        o.permit
                    )));
                }
                // sockets.wit: each send needs a check-send of its own.
                o.permit = 0;
                let mut sent = 0u64;
                for d in ds {
                    let outcome = send_datagram(o, d)?;
                    match outcome {
                        Ok(true) => sent += 1,
                        Ok(false) => break,
                        Err(_) if sent > 0 => break,
                        Err(c) => return Ok(Some(res2(Err(c)))),
                    }
                }
                Ok(Some(ok(Some(Value::U64(sent)))))
            },
        )
        .func(
            "[method]outgoing-datagram-stream.subscribe",
            &[("self", T::Borrow(s.outgoing))],
            Some(T::Own(p.pollable)),
            // check-send always permits some datagrams.
            |h, _| Ok(Some(h.pollable(Pollable::Clock(None)))),
        );
    for (name, param, out, f) in udp_options() {
        let name = name.strip_prefix("get-").unwrap_or(name);
        let mut params = vec![me.clone()];
        params.extend(param.map(|p| ("value", p)));
        udp = udp.func(
            &format!("[method]udp-socket.{name}"),
            &params,
            Some(r2(out)),
            on_udp(move |_, u, a| Ok(f(&mut u.u, a.get(1))?)),
        );
    }
    udp.register(rt, "wasi:sockets/udp", v);
    Iface::new(host)
        .resource("network", s.network)
        .resource("udp-socket", s.udp)
        .ty("error-code", error_code.clone())
        .ty("ip-address-family", ty.family.clone())
        .func(
            "create-udp-socket",
            &[("address-family", ty.family.clone())],
            Some(r2(Some(T::Own(s.udp)))),
            |h, a| {
                let f = family_of(arg(a, 0)?)?;
                let r = h.add_socket(|| {
                    let u = Udp2 {
                        u: UdpSock {
                            family: f,
                            sock: Arc::new(new_socket(f, true)?),
                            bound: false,
                            remote: None,
                        },
                        binding: false,
                    };
                    Ok(Object::Udp2(Arc::new(Mutex::new(u))))
                });
                Ok(Some(res2(r.map(|r| Some(Value::Own(r))))))
            },
        )
        .register(rt, "wasi:sockets/udp-create-socket", v);
}

/// Sends one `outgoing-datagram`: `Ok(false)` when the kernel takes no
/// more now.
fn send_datagram(o: &UdpOut, d: &Value) -> Result<Result<bool, Code>, Trap> {
    let Value::Record(fields) = d else {
        return Err(host_trap("host: expected an outgoing-datagram"));
    };
    let data = bytes_arg(Some(field(fields, "data")?))?;
    let to = match field(fields, "remote-address")? {
        Value::Option(Some(v)) => Some(socket_addr(v)?),
        _ => None,
    };
    let family = if local_of(&o.sock).is_ok_and(|a| a.is_ipv4()) {
        Family::V4
    } else {
        Family::V6
    };
    if let Some(to) = &to
        && let Err(c) = check_remote(to, family)
    {
        return Ok(Err(c));
    }
    // sockets.wit: a streamed-to socket takes only its own peer; an
    // unconnected one needs an address.
    let to = match (o.remote, to) {
        (Some(c), Some(to)) if c != to => return Ok(Err(InvalidArgument)),
        (Some(_), _) => None,
        (None, None) => return Ok(Err(InvalidArgument)),
        (None, Some(to)) => Some(to),
    };
    if data.len() > MAX_DATAGRAM {
        return Ok(Err(DatagramTooLarge));
    }
    let sent = match to {
        None => o.sock.send(&data),
        Some(to) => o.sock.send_to(&data, &SockAddr::from(to)),
    };
    Ok(match sent {
        Ok(_) => Ok(true),
        Err(e) if would_block(&e) => Ok(false),
        Err(e) => Err(Code::of(&e)),
    })
}

/// `wasi:sockets/ip-name-lookup@0.2`: a lookup runs on its own thread, so
/// `resolve-addresses` never blocks; `resolve-next-address` says
/// `would-block` until the answer is in.
fn lookup_p2(
    rt: &mut Runtime,
    host: &Arc<Host>,
    p: &P2Types,
    s: &P2Sockets,
    ty: &Types,
    error_code: &ValType,
) {
    let r2 = |ok: Option<ValType>| result(ok, Some(error_code.clone()));
    let me = ("self", T::Borrow(s.resolved));
    let lookup_of = |h: &Host, a: &[Value]| -> Result<Lookup, Trap> {
        match h.table().objects.get(&rep(a.first())?) {
            Some(Object::Resolving(l)) => Ok(l.clone()),
            _ => Err(host_trap("host: not a resolve-address-stream")),
        }
    };
    Iface::new(host)
        .resource("pollable", p.pollable)
        .resource("network", s.network)
        .ty("error-code", error_code.clone())
        .ty("ip-address", ty.ip_address.clone())
        .resource("resolve-address-stream", s.resolved)
        .func(
            "[method]resolve-address-stream.resolve-next-address",
            std::slice::from_ref(&me),
            Some(r2(Some(option(ty.ip_address.clone())))),
            move |h, a| {
                let l = lookup_of(h, a)?;
                let mut answer = lock(&l);
                Ok(Some(match answer.as_mut() {
                    None => res2(Err(WouldBlock)),
                    Some(Ok(ips)) => ok(Some(Value::Option(
                        ips.pop_front().map(|ip| Box::new(ip_value(ip))),
                    ))),
                    Some(Err(case)) => err(Value::Enum((*case).into())),
                }))
            },
        )
        .func(
            "[method]resolve-address-stream.subscribe",
            std::slice::from_ref(&me),
            Some(T::Own(p.pollable)),
            move |h, a| {
                let l = lookup_of(h, a)?;
                Ok(Some(h.pollable(Pollable::Watch(Box::new(move || {
                    lock(&l).is_some()
                })))))
            },
        )
        .func(
            "resolve-addresses",
            &[("network", T::Borrow(s.network)), ("name", T::String)],
            Some(r2(Some(T::Own(s.resolved)))),
            |h, a| {
                h.check_network(a.first())?;
                let name = string_arg(a.get(1))?.to_string();
                if !h.ctx().network_allowed() {
                    return Ok(Some(res2(Err(AccessDenied))));
                }
                let slot: Lookup = Arc::default();
                match spawn_lookup(name, slot.clone()) {
                    Err(case) => Ok(Some(err(Value::Enum(case.into())))),
                    Ok(()) => Ok(Some(ok(Some(Value::Own(h.push(Object::Resolving(slot))))))),
                }
            },
        )
        .register(rt, "wasi:sockets/ip-name-lookup", P2_VERSION);
}

/// Lookups on their threads now, across the process.
static UNDER_WAY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Starts resolving `name` into `slot` (both versions' `resolve-addresses`):
/// an IP literal or a malformed name is answered at once (the latter
/// `invalid-argument`); a name goes to the system resolver on a thread of
/// its own, at most [`MAX_LOOKUPS`] at once (past that:
/// `temporary-resolver-failure`).
pub(in crate::wasi::component) fn spawn_lookup(
    name: String,
    slot: Lookup,
) -> Result<(), &'static str> {
    use std::sync::atomic::Ordering::SeqCst;
    match answer_at_once(&name) {
        Some(Err(case)) => return Err(case),
        Some(Ok(ips)) => {
            *lock(&slot) = Some(Ok(VecDeque::from(ips)));
            return Ok(());
        }
        None => {}
    }
    if UNDER_WAY.fetch_add(1, SeqCst) >= MAX_LOOKUPS {
        UNDER_WAY.fetch_sub(1, SeqCst);
        *lock(&slot) = Some(Err("temporary-resolver-failure"));
        return Ok(());
    }
    let worker = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("wasi-lookup".into())
        .spawn(move || {
            let answer = lookup(&name).map(VecDeque::from);
            *lock(&worker) = Some(answer);
            UNDER_WAY.fetch_sub(1, SeqCst);
        });
    if spawned.is_err() {
        UNDER_WAY.fetch_sub(1, SeqCst);
        *lock(&slot) = Some(Err("temporary-resolver-failure"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_p2_case() {
        let codes = [
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
            WouldBlock,
            NotInProgress,
            ConcurrencyConflict,
            Other("x".into()),
        ];
        for c in codes {
            assert!(CASES_P2.contains(&c.case_p2()), "{c:?}");
        }
        // 0.3 has no case for a 0.2-only condition: `other` with its name.
        assert!(matches!(WouldBlock.value(), Value::Variant(n, Some(_)) if n == "other"));
    }

    /// A flood into a peer that never reads: the output stream's room
    /// falls to 0 once the kernel's buffers and [`OUT_BUFFER`] are full,
    /// and the host holds no more than that.
    #[test]
    fn a_flooded_output_stream_stops_permitting_writes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let sock = Socket::from(accepted);
        sock.set_nonblocking(true).unwrap();
        let mut out = TcpOut {
            sock: Arc::new(sock),
            held: Vec::new(),
            failed: None,
        };
        let mut written = 0usize;
        loop {
            let room = out.check_write().ok().expect("no error") as usize;
            if room == 0 {
                break;
            }
            out.write(&vec![1u8; room]).ok().expect("no error");
            written += room;
            assert!(written < 512 << 20, "never full");
        }
        assert_eq!(out.held.len(), OUT_BUFFER);
        assert!(!out.flushed().ok().expect("no error"));
        drop(peer);
    }

    #[test]
    fn lookups_of_literals_answer_at_once_and_bad_names_fail() {
        let slot: Lookup = Arc::default();
        spawn_lookup("127.0.0.1".into(), slot.clone()).unwrap();
        assert_eq!(
            lock(&slot).clone(),
            Some(Ok(VecDeque::from([IpAddr::from([127, 0, 0, 1])])))
        );
        assert_eq!(
            spawn_lookup("a b".into(), Arc::default()),
            Err("invalid-argument")
        );
        // A name is answered later, by its thread.
        let slot: Lookup = Arc::default();
        spawn_lookup("localhost".into(), slot.clone()).unwrap();
        while lock(&slot).is_none() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(lock(&slot).as_ref().unwrap().is_ok(), "{:?}", lock(&slot));
    }
}
