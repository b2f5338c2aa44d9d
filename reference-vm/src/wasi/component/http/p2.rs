//! `wasi:http@0.2` for components, registered at [`P2_VERSION`]:
//! `wasi:http/types` (fields, incoming and outgoing requests and responses,
//! bodies as wasi:io@0.2 streams, future trailers and responses as
//! pollables, the `error-code` variant), `wasi:http/outgoing-handler` (the
//! client), and serving a `wasi:http/proxy` component (one exporting
//! `wasi:http/incoming-handler@0.2.x`).
//!
//! Field syntax, methods, schemes, authorities and paths are checked as in
//! the 0.3 interfaces (the `http` crate's parsers, the same forbidden
//! list). HTTP goes over hyper on a current-thread tokio runtime, one
//! thread per outgoing request: the guest never blocks in `handle`; the
//! response reaches it through `future-incoming-response`, and bodies flow
//! both ways as the guest reads and writes them, with bounded buffers.

use super::*;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::SeqCst;
use std::task::Waker;

/// The most bytes of a received body the host holds before it stops
/// reading from the peer (network back-pressure).
const INBOUND_MAX: usize = 1 << 20;
/// The most bytes of an outgoing body the host holds before
/// `check-write` says 0.
const OUTBOUND_MAX: usize = 1 << 20;
/// The most outgoing requests of one run in flight at once (each has a
/// thread); past that, `handle` answers `connection-limit-reached`.
const MAX_IN_FLIGHT: usize = 64;
/// What the message of a `wasi:io/error` made from an `error-code` starts
/// with (`http-error-code` reads the case back).
const ERROR_PREFIX: &str = "wasi:http error-code: ";

/// How a received body ended: its trailer fields (if a trailer section
/// came), or the `error-code`.
type BodyEnd = Result<Option<Vec<(String, Vec<u8>)>>, Value>;

/// A body the host receives (an incoming request's or response's): the
/// connection fills it, the guest's `input-stream` drains it.
#[derive(Default)]
struct Inbound {
    data: VecDeque<u8>,
    end: Option<BodyEnd>,
    /// Nobody will read the rest (the guest finished or dropped the body):
    /// what still comes is dropped, so the trailers can arrive.
    discard: bool,
    /// The guest dropped every hold on the body: the connection stops
    /// reading it.
    abandoned: bool,
    /// The connection, waiting for room.
    waker: Option<Waker>,
}

impl Inbound {
    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

type InShared = Arc<Mutex<Inbound>>;

/// The guest's hold on a received body: when the last holder goes (the
/// body, its stream, its future trailers, its request or response), the
/// connection drops what remains.
struct Reader(InShared);

impl Drop for Reader {
    fn drop(&mut self) {
        let mut g = lock(&self.0);
        g.discard = true;
        g.abandoned = true;
        g.data.clear();
        g.wake();
    }
}

type InRef = Arc<Reader>;

/// The `error-code` of a failed stream, as a `wasi:io/error` message:
/// the case, and after `: ` a payload of a number or string option.
fn error_message(code: &Value) -> String {
    let Value::Variant(case, payload) = code else {
        return ERROR_PREFIX.trim_end().to_string();
    };
    let shown = payload.as_deref().and_then(|p| match p {
        Value::Option(Some(v)) => match &**v {
            Value::String(s) => Some(s.clone()),
            Value::U64(n) => Some(n.to_string()),
            Value::U32(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    });
    match shown {
        Some(s) => format!("{ERROR_PREFIX}{case}: {s}"),
        None => format!("{ERROR_PREFIX}{case}"),
    }
}

/// The `error-code` an error message names, when the message came from
/// [`error_message`] and the case has no payload or an optional number or
/// string (`http-error-code`).
fn message_code(msg: &str) -> Option<Value> {
    let rest = msg.strip_prefix(ERROR_PREFIX)?;
    let (case, shown) = match rest.split_once(": ") {
        Some((c, w)) => (c, Some(w)),
        None => (rest, None),
    };
    let ValType::Variant(cases) = error_code_type() else {
        return None;
    };
    let (_, ty) = cases.iter().find(|(c, _)| c == case)?;
    let payload = match (ty, shown) {
        (None, None) => return Some(code(case)),
        (Some(ValType::Option(t)), shown) => opt_value(match (&**t, shown) {
            (_, None) => None,
            (ValType::String, Some(s)) => Some(Value::String(s.to_string())),
            (ValType::U64, Some(s)) => Some(Value::U64(s.parse().ok()?)),
            (ValType::U32, Some(s)) => Some(Value::U32(s.parse().ok()?)),
            _ => return None,
        }),
        _ => return None,
    };
    Some(Value::Variant(case.to_string(), Some(Box::new(payload))))
}

/// The guest's `input-stream` over a received body.
struct BodyReader(InRef);

impl HostInput for BodyReader {
    fn read(&mut self, max: usize) -> Result<Vec<u8>, StreamEnd> {
        let mut g = lock(&self.0.0);
        if !g.data.is_empty() {
            let n = max.min(g.data.len());
            let out: Vec<u8> = g.data.drain(..n).collect();
            g.wake();
            return Ok(out);
        }
        match &g.end {
            None => Ok(Vec::new()),
            Some(Ok(_)) => Err(StreamEnd::Closed),
            Some(Err(c)) => Err(StreamEnd::Failed(error_message(c))),
        }
    }
    fn ready(&mut self) -> bool {
        let g = lock(&self.0.0);
        !g.data.is_empty() || g.end.is_some()
    }
}

/// One piece of an outgoing body.
enum Piece {
    Data(Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>),
    /// The body is incomplete (dropped unfinished, or a Content-Length
    /// mismatch): the connection is broken off.
    Abort(String),
}

/// A body the guest sends (an outgoing request's or response's): the
/// guest's `output-stream` fills it, the connection drains it.
#[derive(Default)]
struct Outbound {
    queue: VecDeque<Piece>,
    /// Data bytes queued and not yet taken by the connection.
    held: usize,
    /// Data bytes written so far.
    written: u64,
    /// The Content-Length the guest set, if any.
    limit: Option<u64>,
    /// The `error-code` case of a body longer or shorter than `limit`.
    size_case: &'static str,
    /// Nothing more comes (finished or aborted).
    done: bool,
    /// The connection is gone: why.
    gone: Option<String>,
    /// The connection, waiting for data.
    waker: Option<Waker>,
}

impl Outbound {
    fn new(headers: &FieldList, size_case: &'static str) -> Outbound {
        // RFC 9110 section 8.6: Content-Length is a decimal count.
        let limit = headers
            .entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
        Outbound {
            limit,
            size_case,
            ..Outbound::default()
        }
    }
    fn push(&mut self, p: Piece) {
        self.queue.push_back(p);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
    /// Ends the body unfinished.
    fn abort(&mut self, why: &str) {
        if !self.done {
            self.done = true;
            self.push(Piece::Abort(why.to_string()));
        }
    }
    fn size_error(&self) -> Value {
        Value::Variant(
            self.size_case.into(),
            Some(Box::new(opt_value(Some(Value::U64(self.written))))),
        )
    }
}

type OutShared = Arc<Mutex<Outbound>>;

/// The guest's `output-stream` over an outgoing body. The queue is the
/// host's buffer: what is written is handed to the connection in order,
/// so a flush has nothing to wait for; `check-write` applies the bound.
struct BodyWriter(OutShared);

impl HostOutput for BodyWriter {
    fn check_write(&mut self) -> Result<u64, StreamEnd> {
        let g = lock(&self.0);
        if let Some(why) = &g.gone {
            return Err(StreamEnd::Failed(why.clone()));
        }
        if g.done {
            return Err(StreamEnd::Closed);
        }
        Ok(OUTBOUND_MAX.saturating_sub(g.held) as u64)
    }
    fn write(&mut self, data: &[u8]) -> Result<(), StreamEnd> {
        let mut g = lock(&self.0);
        if let Some(why) = &g.gone {
            return Err(StreamEnd::Failed(why.clone()));
        }
        if g.done {
            return Err(StreamEnd::Closed);
        }
        // wasi:http/types `outgoing-body`: no more than the Content-Length.
        let after = g.written.saturating_add(data.len() as u64);
        if g.limit.is_some_and(|l| after > l) {
            let e = g.size_error();
            return Err(StreamEnd::Failed(error_message(&e)));
        }
        if !data.is_empty() {
            g.written = after;
            g.held += data.len();
            g.push(Piece::Data(data.to_vec()));
        }
        Ok(())
    }
    fn flushed(&mut self) -> Result<bool, StreamEnd> {
        match &lock(&self.0).gone {
            Some(why) => Err(StreamEnd::Failed(why.clone())),
            None => Ok(true),
        }
    }
}

/// The hyper body of an outgoing body.
pub(super) struct SendBody(OutShared);

impl hyper::body::Body for SendBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        use std::task::Poll;
        let mut g = lock(&self.0);
        match g.queue.pop_front() {
            Some(Piece::Data(d)) => {
                g.held = g.held.saturating_sub(d.len());
                Poll::Ready(Some(Ok(hyper::body::Frame::data(bytes::Bytes::from(d)))))
            }
            Some(Piece::Trailers(t)) => {
                Poll::Ready(Some(Ok(hyper::body::Frame::trailers(wire::header_map(&t)))))
            }
            Some(Piece::Abort(why)) => Poll::Ready(Some(Err(why.into()))),
            None if g.done => Poll::Ready(None),
            None => {
                g.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        // A Content-Length the guest set goes out as the body's length.
        match lock(&self.0).limit {
            Some(n) => hyper::body::SizeHint::with_exact(n),
            None => hyper::body::SizeHint::default(),
        }
    }
}

impl Outbound {
    /// Whether the connection has everything: finished and sent, or all
    /// of a declared Content-Length sent (hyper then ends the body itself).
    fn complete(&self) -> bool {
        self.queue.is_empty() && (self.done || self.limit == Some(self.written))
    }
}

impl Drop for SendBody {
    fn drop(&mut self) {
        // The connection let go of a body it did not have whole.
        let mut g = lock(&self.0);
        if !g.complete() {
            g.gone = Some(error_message(&code("connection-terminated")));
        }
    }
}

/// A response on its way (`future-incoming-response`).
enum Arrival {
    Waiting,
    Ready(Result<InResponse, Value>),
    Taken,
}

/// `incoming-request`.
struct InRequest {
    method: Value,
    path: Option<String>,
    scheme: Option<Value>,
    authority: Option<String>,
    headers: FieldList,
    body: Option<InRef>,
}

/// `outgoing-request` and `outgoing-response`: what they share.
struct OutMessage {
    headers: FieldList,
    body: OutShared,
    body_taken: bool,
}

impl OutMessage {
    fn new(headers: FieldList, size_case: &'static str) -> OutMessage {
        let body = Arc::new(Mutex::new(Outbound::new(&headers, size_case)));
        OutMessage {
            headers: FieldList {
                immutable: true,
                ..headers
            },
            body,
            body_taken: false,
        }
    }
    /// `body`: the message's outgoing-body, once (`None` after that).
    fn take_body(&mut self) -> Option<Obj> {
        if self.body_taken {
            return None;
        }
        self.body_taken = true;
        Some(Obj::OutBody(OutBody {
            body: self.body.clone(),
            stream: None,
            finished: false,
        }))
    }
    /// The body of a message sent without `body` ever being called: empty.
    fn seal(&self) -> Result<(), Value> {
        if self.body_taken {
            return Ok(());
        }
        let mut g = lock(&self.body);
        g.done = true;
        if g.limit.is_some_and(|l| l != 0) {
            return Err(g.size_error());
        }
        Ok(())
    }
}

/// `outgoing-request`.
struct OutRequest {
    method: Value,
    path: Option<String>,
    scheme: Option<Value>,
    authority: Option<String>,
    msg: OutMessage,
}

/// `outgoing-response`.
struct OutResponse {
    status: u16,
    msg: OutMessage,
}

/// `incoming-response`.
struct InResponse {
    status: u16,
    headers: FieldList,
    body: Option<InRef>,
}

/// `incoming-body`.
struct InBody {
    body: InRef,
    /// The `input-stream` child, once made.
    stream: Option<HostIn>,
}

/// `outgoing-body`.
struct OutBody {
    body: OutShared,
    /// The `output-stream` child, once made.
    stream: Option<HostOut>,
    finished: bool,
}

impl Drop for OutBody {
    fn drop(&mut self) {
        // wasi:http/types `outgoing-body`: dropped without `finish`, the
        // body is incomplete and the transmission fails.
        if !self.finished {
            lock(&self.body).abort("outgoing-body dropped without finish");
        }
    }
}

/// What a served request's `response-outparam.set` gives the server.
type Answer = Result<(u16, Vec<(String, Vec<u8>)>, OutShared), Value>;

/// `response-outparam`.
struct Outparam {
    reply: Option<tokio::sync::oneshot::Sender<Answer>>,
    /// The serving loop's record of the body handed over.
    handed: Arc<Mutex<Option<OutShared>>>,
}

/// A host object of `wasi:http@0.2`.
enum Obj {
    Fields(FieldList),
    InRequest(InRequest),
    OutRequest(OutRequest),
    Options(Options),
    Outparam(Outparam),
    InResponse(InResponse),
    InBody(InBody),
    /// `future-trailers`: the body, and whether `get` gave its value.
    Trailers(InRef, bool),
    OutResponse(OutResponse),
    OutBody(OutBody),
    /// `future-incoming-response`.
    Future(Arc<Mutex<Arrival>>),
}

/// The objects behind the `wasi:http@0.2` resources of one run.
#[derive(Default)]
pub(super) struct Objects2 {
    next: u32,
    map: HashMap<u32, Obj>,
    /// Outgoing requests not yet over.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl Objects2 {
    fn push(&mut self, o: Obj) -> u32 {
        self.next = self.next.wrapping_add(1);
        while self.map.contains_key(&self.next) || self.next == 0 {
            self.next = self.next.wrapping_add(1);
        }
        self.map.insert(self.next, o);
        self.next
    }
}

pub(super) type Shared2 = Arc<Mutex<Objects2>>;

/// The resource types of `wasi:http/types@0.2`.
struct Types2 {
    fields: ResourceType,
    in_request: ResourceType,
    out_request: ResourceType,
    options: ResourceType,
    outparam: ResourceType,
    in_response: ResourceType,
    in_body: ResourceType,
    trailers: ResourceType,
    out_response: ResourceType,
    out_body: ResourceType,
    future: ResourceType,
}

/// Runs `f` on the object the handle `v` names, or traps.
fn with2<R>(
    objs: &Shared2,
    v: Option<&Value>,
    f: impl FnOnce(&mut Obj) -> Result<R, Trap>,
) -> Result<R, Trap> {
    let r = rep(v)?;
    let mut o = lock(objs);
    let obj = o
        .map
        .get_mut(&r)
        .ok_or_else(|| host_trap("host: unknown wasi:http handle"))?;
    f(obj)
}

/// Takes the object an owning handle passes.
fn take2(objs: &Shared2, v: Option<&Value>) -> Result<Obj, Trap> {
    let r = rep(v)?;
    lock(objs)
        .map
        .remove(&r)
        .ok_or_else(|| host_trap("host: unknown wasi:http handle"))
}

fn bad(what: &str) -> Trap {
    host_trap(format!("host: not a {what} handle"))
}

fn own(objs: &Shared2, o: Obj) -> Value {
    Value::Own(lock(objs).push(o))
}

/// Whether the host table still holds the stream child `s`.
fn child_alive(h: &Host, input: Option<&HostIn>, output: Option<&HostOut>) -> bool {
    let same = |a: *const (), b: Option<*const ()>| b.is_some_and(|b| a == b);
    let inp = input.map(|i| Arc::as_ptr(i) as *const ());
    let out = output.map(|o| Arc::as_ptr(o) as *const ());
    h.table().objects.values().any(|o| match o {
        Object::Input(Source::Host(i)) => same(Arc::as_ptr(i) as *const (), inp),
        Object::Output(Sink::Host(o)) => same(Arc::as_ptr(o) as *const (), out),
        _ => false,
    })
}

/// Registers `wasi:http/types@0.2` and `wasi:http/outgoing-handler@0.2`
/// at [`P2_VERSION`], over the wasi:io@0.2 resources of `p`.
pub(super) fn register_p2(rt: &mut Runtime, host: &Arc<Host>, p: &P2Types) -> Shared2 {
    let objs: Shared2 = Arc::default();
    let resource = |rt: &mut Runtime| {
        let o = objs.clone();
        let dtor: HostDtor = Arc::new(move |r| {
            // Dropped outside the lock: some objects' drops end bodies.
            let gone = lock(&o).map.remove(&r);
            drop(gone);
        });
        rt.host_resource(Some(dtor))
    };
    let t = Types2 {
        fields: resource(rt),
        in_request: resource(rt),
        out_request: resource(rt),
        options: resource(rt),
        outparam: resource(rt),
        in_response: resource(rt),
        in_body: resource(rt),
        trailers: resource(rt),
        out_response: resource(rt),
        out_body: resource(rt),
        future: resource(rt),
    };
    types_p2(rt, host, &objs, &t, p);
    outgoing_handler(rt, host, &objs, &t);
    objs
}

fn method_type() -> ValType {
    let mut cases: Vec<(&str, Option<ValType>)> = METHODS.iter().map(|(c, _)| (*c, None)).collect();
    cases.push(("other", Some(T::String)));
    variant(&cases)
}

fn scheme_type() -> ValType {
    variant(&[("HTTP", None), ("HTTPS", None), ("other", Some(T::String))])
}

/// `header-error` of 0.2 (three cases).
fn header_error_type() -> ValType {
    variant(&[
        ("invalid-syntax", None),
        ("forbidden", None),
        ("immutable", None),
    ])
}

fn opt_method(v: Option<&Value>) -> Result<&Value, Trap> {
    v.ok_or_else(|| host_trap("host: expected a method"))
}

/// The `option<T>` argument's payload.
fn opt_arg(v: Option<&Value>) -> Result<Option<&Value>, Trap> {
    match v {
        Some(Value::Option(o)) => Ok(o.as_deref()),
        _ => Err(host_trap("host: expected an option")),
    }
}

#[allow(clippy::too_many_lines)]
fn types_p2(rt: &mut Runtime, host: &Arc<Host>, objs: &Shared2, t: &Types2, p: &P2Types) {
    let fields = T::Own(t.fields);
    let herr = |ok_t: Option<ValType>| result(ok_t, Some(header_error_type()));
    let entries_t = list(tuple(vec![T::String, list(T::U8)]));
    let values_t = list(list(T::U8));
    let ec = error_code_type();
    let unit = result(None, None);
    let me = |r: ResourceType| ("self", T::Borrow(r));
    let mut i = Iface::new(host)
        .ty("duration", T::U64)
        .resource("input-stream", p.input)
        .resource("output-stream", p.output)
        .resource("io-error", p.error)
        .resource("pollable", p.pollable)
        .ty("method", method_type())
        .ty("scheme", scheme_type())
        .ty("error-code", ec.clone())
        .ty("header-error", header_error_type())
        .ty("field-key", T::String)
        .ty("field-name", T::String)
        .ty("field-value", list(T::U8))
        .ty("status-code", T::U16)
        .resource("fields", t.fields)
        .resource("headers", t.fields)
        .resource("trailers", t.fields)
        .resource("incoming-request", t.in_request)
        .resource("outgoing-request", t.out_request)
        .resource("request-options", t.options)
        .resource("response-outparam", t.outparam)
        .resource("incoming-response", t.in_response)
        .resource("incoming-body", t.in_body)
        .resource("future-trailers", t.trailers)
        .resource("outgoing-response", t.out_response)
        .resource("outgoing-body", t.out_body)
        .resource("future-incoming-response", t.future);
    for (name, ty) in payload_types() {
        i = i.ty(name, ty);
    }

    // ---- fields (wasi:http/types `fields`) ----
    let o = objs.clone();
    i = i.func(
        "[constructor]fields",
        &[],
        Some(fields.clone()),
        move |_, _| Ok(Some(own(&o, Obj::Fields(FieldList::default())))),
    );
    let o = objs.clone();
    i = i.func(
        "[static]fields.from-list",
        &[("entries", entries_t.clone())],
        Some(herr(Some(fields.clone()))),
        move |_, a| {
            Ok(Some(
                match FieldList::from_entries(fields_arg(a.first())?) {
                    Ok(f) => ok(Some(own(&o, Obj::Fields(f)))),
                    Err(e) => header_err(e),
                },
            ))
        },
    );
    let field_fn = |name: &'static str| {
        let o = objs.clone();
        move |_: &Host, a: &[Value]| -> Result<Option<Value>, Trap> {
            let key = string_arg(a.get(1))?.to_string();
            let arg = a.get(2).cloned();
            with2(&o, a.first(), |x| {
                let Obj::Fields(f) = x else {
                    return Err(bad("fields"));
                };
                Ok(Some(match name {
                    // An invalid name is simply absent.
                    "get" => values(f.get(&key)),
                    "has" => Value::Bool(f.has(&key)),
                    "set" => match f.set(&key, values_arg(arg.as_ref())?) {
                        Ok(()) => ok(None),
                        Err(e) => header_err(e),
                    },
                    "append" => match f.append(&key, bytes_arg(arg.as_ref())?) {
                        Ok(()) => ok(None),
                        Err(e) => header_err(e),
                    },
                    _ => match f.delete(&key) {
                        Ok(_) => ok(None),
                        Err(e) => header_err(e),
                    },
                }))
            })
        }
    };
    let name_p = ("name", T::String);
    i = i
        .func(
            "[method]fields.get",
            &[me(t.fields), name_p.clone()],
            Some(values_t.clone()),
            field_fn("get"),
        )
        .func(
            "[method]fields.has",
            &[me(t.fields), name_p.clone()],
            Some(T::Bool),
            field_fn("has"),
        )
        .func(
            "[method]fields.set",
            &[me(t.fields), name_p.clone(), ("value", values_t)],
            Some(herr(None)),
            field_fn("set"),
        )
        .func(
            "[method]fields.delete",
            &[me(t.fields), name_p.clone()],
            Some(herr(None)),
            field_fn("delete"),
        )
        .func(
            "[method]fields.append",
            &[me(t.fields), name_p, ("value", list(T::U8))],
            Some(herr(None)),
            field_fn("append"),
        );
    let o = objs.clone();
    i = i.func(
        "[method]fields.entries",
        &[me(t.fields)],
        Some(entries_t),
        move |_, a| {
            with2(&o, a.first(), |x| match x {
                Obj::Fields(f) => Ok(Some(entries_value(f))),
                _ => Err(bad("fields")),
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.clone",
        &[me(t.fields)],
        Some(fields.clone()),
        move |_, a| {
            // A deep copy, mutable.
            let f = with2(&o, a.first(), |x| match x {
                Obj::Fields(f) => Ok(f.entries.clone()),
                _ => Err(bad("fields")),
            })?;
            Ok(Some(own(
                &o,
                Obj::Fields(FieldList {
                    entries: f,
                    immutable: false,
                }),
            )))
        },
    );

    // ---- incoming-request ----
    let in_rq = |what: &'static str| {
        let o = objs.clone();
        move |_: &Host, a: &[Value]| -> Result<Option<Value>, Trap> {
            let mut g = lock(&o);
            let r = rep(a.first())?;
            let Some(Obj::InRequest(q)) = g.map.get_mut(&r) else {
                return Err(bad("incoming-request"));
            };
            let v = match what {
                "method" => q.method.clone(),
                "path-with-query" => opt_value(q.path.clone().map(Value::String)),
                "scheme" => opt_value(q.scheme.clone()),
                "authority" => opt_value(q.authority.clone().map(Value::String)),
                "headers" => {
                    let f = FieldList {
                        entries: q.headers.entries.clone(),
                        immutable: true,
                    };
                    Value::Own(g.push(Obj::Fields(f)))
                }
                // `consume`: the body, at most once.
                _ => match q.body.take() {
                    Some(b) => Value::Result(Ok(Some(Box::new(Value::Own(g.push(Obj::InBody(
                        InBody {
                            body: b,
                            stream: None,
                        },
                    ))))))),
                    None => Value::Result(Err(None)),
                },
            };
            Ok(Some(v))
        }
    };
    for (name, ty) in [
        ("method", method_type()),
        ("path-with-query", option(T::String)),
        ("scheme", option(scheme_type())),
        ("authority", option(T::String)),
        ("headers", fields.clone()),
        ("consume", result(Some(T::Own(t.in_body)), None)),
    ] {
        i = i.func(
            &format!("[method]incoming-request.{name}"),
            &[me(t.in_request)],
            Some(ty),
            in_rq(name),
        );
    }

    // ---- outgoing-request ----
    let o = objs.clone();
    i = i.func(
        "[constructor]outgoing-request",
        &[("headers", fields.clone())],
        Some(T::Own(t.out_request)),
        move |_, a| {
            let Obj::Fields(f) = take2(&o, a.first())? else {
                return Err(bad("fields"));
            };
            // Defaults: GET, no path, scheme or authority.
            let q = OutRequest {
                method: Value::Variant("get".into(), None),
                path: None,
                scheme: None,
                authority: None,
                msg: OutMessage::new(f, "HTTP-request-body-size"),
            };
            Ok(Some(own(&o, Obj::OutRequest(q))))
        },
    );
    let out_rq = |what: &'static str| {
        let o = objs.clone();
        move |_: &Host, a: &[Value]| -> Result<Option<Value>, Trap> {
            let mut g = lock(&o);
            let r = rep(a.first())?;
            let Some(Obj::OutRequest(q)) = g.map.get_mut(&r) else {
                return Err(bad("outgoing-request"));
            };
            let arg = a.get(1);
            let v = match what {
                "method" => q.method.clone(),
                "path-with-query" => opt_value(q.path.clone().map(Value::String)),
                "scheme" => opt_value(q.scheme.clone()),
                "authority" => opt_value(q.authority.clone().map(Value::String)),
                // Setters: a value failing its check leaves the request as
                // it was and answers `err`.
                "set-method" => {
                    let m = method_value(opt_method(arg)?);
                    let good = m.is_some();
                    if let Some(m) = m {
                        q.method = m;
                    }
                    unit_result(good)
                }
                "set-path-with-query" => match opt_arg(arg)? {
                    None => {
                        q.path = None;
                        unit_result(true)
                    }
                    Some(s) => match path_value(string_arg(Some(s))?) {
                        Some(p) => {
                            q.path = Some(p);
                            unit_result(true)
                        }
                        None => unit_result(false),
                    },
                },
                "set-scheme" => match opt_arg(arg)? {
                    None => {
                        q.scheme = None;
                        unit_result(true)
                    }
                    Some(s) => match scheme_value(s) {
                        Some(s) => {
                            q.scheme = Some(s);
                            unit_result(true)
                        }
                        None => unit_result(false),
                    },
                },
                "set-authority" => match opt_arg(arg)? {
                    None => {
                        q.authority = None;
                        unit_result(true)
                    }
                    Some(s) => {
                        let s = string_arg(Some(s))?;
                        let good = valid_authority(s);
                        if good {
                            q.authority = Some(s.to_string());
                        }
                        unit_result(good)
                    }
                },
                "headers" => {
                    let f = q.msg.headers.clone();
                    return Ok(Some(Value::Own(g.push(Obj::Fields(f)))));
                }
                // `body`: at most once.
                _ => match q.msg.take_body() {
                    Some(b) => ok(Some(Value::Own(g.push(b)))),
                    None => Value::Result(Err(None)),
                },
            };
            Ok(Some(v))
        }
    };
    for (name, param, ty) in [
        ("body", None, result(Some(T::Own(t.out_body)), None)),
        ("method", None, method_type()),
        ("set-method", Some(("method", method_type())), unit.clone()),
        ("path-with-query", None, option(T::String)),
        (
            "set-path-with-query",
            Some(("path-with-query", option(T::String))),
            unit.clone(),
        ),
        ("scheme", None, option(scheme_type())),
        (
            "set-scheme",
            Some(("scheme", option(scheme_type()))),
            unit.clone(),
        ),
        ("authority", None, option(T::String)),
        (
            "set-authority",
            Some(("authority", option(T::String))),
            unit.clone(),
        ),
        ("headers", None, fields.clone()),
    ] {
        let mut params = vec![me(t.out_request)];
        params.extend(param);
        i = i.func(
            &format!("[method]outgoing-request.{name}"),
            &params,
            Some(ty),
            out_rq(name),
        );
    }

    // ---- request-options ----
    let o = objs.clone();
    i = i.func(
        "[constructor]request-options",
        &[],
        Some(T::Own(t.options)),
        move |_, _| Ok(Some(own(&o, Obj::Options(Options::default())))),
    );
    type Field = fn(&mut Options) -> &mut Option<u64>;
    let timeouts: [(&str, Field); 3] = [
        ("connect-timeout", |o| &mut o.connect),
        ("first-byte-timeout", |o| &mut o.first_byte),
        ("between-bytes-timeout", |o| &mut o.between_bytes),
    ];
    for (name, field) in timeouts {
        let o = objs.clone();
        i = i.func(
            &format!("[method]request-options.{name}"),
            &[me(t.options)],
            Some(option(T::U64)),
            move |_, a| {
                with2(&o, a.first(), |x| match x {
                    Obj::Options(op) => Ok(Some(opt_value((*field(op)).map(Value::U64)))),
                    _ => Err(bad("request-options")),
                })
            },
        );
        let o = objs.clone();
        i = i.func(
            &format!("[method]request-options.set-{name}"),
            &[me(t.options), ("duration", option(T::U64))],
            Some(unit.clone()),
            move |_, a| {
                let d = opt_u64(a.get(1))?;
                with2(&o, a.first(), |x| match x {
                    Obj::Options(op) => {
                        *field(op) = d;
                        Ok(Some(ok(None)))
                    }
                    _ => Err(bad("request-options")),
                })
            },
        );
    }

    // ---- response-outparam ----
    i = i.func(
        "[method]response-outparam.send-informational",
        &[
            me(t.outparam),
            ("status", T::U16),
            ("headers", fields.clone()),
        ],
        Some(result(None, Some(ec.clone()))),
        |_, a| {
            let status = match a.get(1) {
                Some(Value::U16(s)) => *s,
                _ => return Err(host_trap("host: expected a status")),
            };
            // wasi:http/types `send-informational`: `HTTP-protocol-error`
            // outside 1xx; this host sends no informational responses.
            Ok(Some(if (100..200).contains(&status) {
                err(internal("informational responses are not supported"))
            } else {
                err(code("HTTP-protocol-error"))
            }))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[static]response-outparam.set",
        &[
            ("param", T::Own(t.outparam)),
            (
                "response",
                result(Some(T::Own(t.out_response)), Some(ec.clone())),
            ),
        ],
        None,
        move |_, a| {
            let Obj::Outparam(mut param) = take2(&o, a.first())? else {
                return Err(bad("response-outparam"));
            };
            let answer: Answer = match a.get(1) {
                Some(Value::Result(Ok(Some(r)))) => {
                    let Obj::OutResponse(resp) = take2(&o, Some(r))? else {
                        return Err(bad("outgoing-response"));
                    };
                    match resp.msg.seal() {
                        Ok(()) => {
                            *lock(&param.handed) = Some(resp.msg.body.clone());
                            Ok((resp.status, resp.msg.headers.entries, resp.msg.body))
                        }
                        Err(e) => Err(e),
                    }
                }
                Some(Value::Result(Err(Some(e)))) => Err((**e).clone()),
                _ => return Err(host_trap("host: expected a response result")),
            };
            if let Some(reply) = param.reply.take() {
                let _ = reply.send(answer);
            }
            Ok(None)
        },
    );

    // ---- outgoing-response ----
    let o = objs.clone();
    i = i.func(
        "[constructor]outgoing-response",
        &[("headers", fields.clone())],
        Some(T::Own(t.out_response)),
        move |_, a| {
            let Obj::Fields(f) = take2(&o, a.first())? else {
                return Err(bad("fields"));
            };
            let r = OutResponse {
                status: 200,
                msg: OutMessage::new(f, "HTTP-response-body-size"),
            };
            Ok(Some(own(&o, Obj::OutResponse(r))))
        },
    );
    let out_rs = |what: &'static str| {
        let o = objs.clone();
        move |_: &Host, a: &[Value]| -> Result<Option<Value>, Trap> {
            let mut g = lock(&o);
            let r = rep(a.first())?;
            let Some(Obj::OutResponse(q)) = g.map.get_mut(&r) else {
                return Err(bad("outgoing-response"));
            };
            let v = match what {
                "status-code" => Value::U16(q.status),
                // RFC 9110 section 15: a status code is three digits, 100
                // to 599 (the `http` crate's range check).
                "set-status-code" => {
                    let s = match a.get(1) {
                        Some(Value::U16(s)) => *s,
                        _ => return Err(host_trap("host: expected a status")),
                    };
                    let good = ::http::StatusCode::from_u16(s).is_ok() && s < 600;
                    if good {
                        q.status = s;
                    }
                    unit_result(good)
                }
                "headers" => {
                    let f = q.msg.headers.clone();
                    return Ok(Some(Value::Own(g.push(Obj::Fields(f)))));
                }
                _ => match q.msg.take_body() {
                    Some(b) => ok(Some(Value::Own(g.push(b)))),
                    None => Value::Result(Err(None)),
                },
            };
            Ok(Some(v))
        }
    };
    for (name, param, ty) in [
        ("status-code", None, T::U16),
        ("set-status-code", Some(("status-code", T::U16)), unit),
        ("headers", None, fields.clone()),
        ("body", None, result(Some(T::Own(t.out_body)), None)),
    ] {
        let mut params = vec![me(t.out_response)];
        params.extend(param);
        i = i.func(
            &format!("[method]outgoing-response.{name}"),
            &params,
            Some(ty),
            out_rs(name),
        );
    }

    // ---- incoming-response ----
    let in_rs = |what: &'static str| {
        let o = objs.clone();
        move |_: &Host, a: &[Value]| -> Result<Option<Value>, Trap> {
            let mut g = lock(&o);
            let r = rep(a.first())?;
            let Some(Obj::InResponse(q)) = g.map.get_mut(&r) else {
                return Err(bad("incoming-response"));
            };
            Ok(Some(match what {
                "status" => Value::U16(q.status),
                "headers" => {
                    let f = FieldList {
                        entries: q.headers.entries.clone(),
                        immutable: true,
                    };
                    Value::Own(g.push(Obj::Fields(f)))
                }
                _ => match q.body.take() {
                    Some(b) => ok(Some(Value::Own(g.push(Obj::InBody(InBody {
                        body: b,
                        stream: None,
                    }))))),
                    None => Value::Result(Err(None)),
                },
            }))
        }
    };
    for (name, ty) in [
        ("status", T::U16),
        ("headers", fields.clone()),
        ("consume", result(Some(T::Own(t.in_body)), None)),
    ] {
        i = i.func(
            &format!("[method]incoming-response.{name}"),
            &[me(t.in_response)],
            Some(ty),
            in_rs(name),
        );
    }

    // ---- incoming-body, future-trailers ----
    let o = objs.clone();
    i = i.func(
        "[method]incoming-body.stream",
        &[me(t.in_body)],
        Some(result(Some(T::Own(p.input)), None)),
        move |h, a| {
            let made = with2(&o, a.first(), |x| match x {
                Obj::InBody(b) if b.stream.is_none() => {
                    let s: HostIn = Arc::new(Mutex::new(BodyReader(b.body.clone())));
                    b.stream = Some(s.clone());
                    Ok(Some(s))
                }
                // At most once.
                Obj::InBody(_) => Ok(None),
                _ => Err(bad("incoming-body")),
            })?;
            Ok(Some(match made {
                Some(s) => ok(Some(Value::Own(h.push(Object::Input(Source::Host(s)))))),
                None => Value::Result(Err(None)),
            }))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[static]incoming-body.finish",
        &[("this", T::Own(t.in_body))],
        Some(T::Own(t.trailers)),
        move |h, a| {
            let Obj::InBody(b) = take2(&o, a.first())? else {
                return Err(bad("incoming-body"));
            };
            // wasi:http/types `finish`: traps while the stream child lives.
            if child_alive(h, b.stream.as_ref(), None) {
                return Err(host_trap(
                    "incoming-body.finish: its input-stream has not been dropped",
                ));
            }
            {
                // What the guest did not read is dropped (the trailers come
                // after it).
                let mut g = lock(&b.body.0);
                g.discard = true;
                g.data.clear();
                g.wake();
            }
            Ok(Some(own(&o, Obj::Trailers(b.body, false))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]future-trailers.subscribe",
        &[me(t.trailers)],
        Some(T::Own(p.pollable)),
        move |h, a| {
            let body = with2(&o, a.first(), |x| match x {
                Obj::Trailers(b, _) => Ok(b.clone()),
                _ => Err(bad("future-trailers")),
            })?;
            let watch = Pollable::Watch(Box::new(move || lock(&body.0).end.is_some()));
            Ok(Some(Value::Own(h.push(Object::Pollable(watch)))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]future-trailers.get",
        &[me(t.trailers)],
        Some(option(result(
            Some(result(Some(option(fields.clone())), Some(ec.clone()))),
            None,
        ))),
        move |_, a| {
            let end = with2(&o, a.first(), |x| match x {
                Obj::Trailers(b, taken) => {
                    let end = lock(&b.0).end.clone();
                    Ok(match end {
                        None => None,
                        // The value goes out once; later calls get `err`.
                        Some(_) if *taken => Some(None),
                        Some(e) => {
                            *taken = true;
                            Some(Some(e))
                        }
                    })
                }
                _ => Err(bad("future-trailers")),
            })?;
            Ok(Some(match end {
                None => opt_value(None),
                Some(None) => some(Value::Result(Err(None))),
                Some(Some(Ok(t))) => {
                    let t = t.map(|e| {
                        own(
                            &o,
                            Obj::Fields(FieldList {
                                entries: e,
                                immutable: true,
                            }),
                        )
                    });
                    some(ok(Some(ok(Some(opt_value(t))))))
                }
                Some(Some(Err(e))) => some(ok(Some(err(e)))),
            }))
        },
    );

    // ---- outgoing-body ----
    let o = objs.clone();
    i = i.func(
        "[method]outgoing-body.write",
        &[me(t.out_body)],
        Some(result(Some(T::Own(p.output)), None)),
        move |h, a| {
            let made = with2(&o, a.first(), |x| match x {
                Obj::OutBody(b) if b.stream.is_none() => {
                    let s: HostOut = Arc::new(Mutex::new(BodyWriter(b.body.clone())));
                    b.stream = Some(s.clone());
                    Ok(Some(s))
                }
                Obj::OutBody(_) => Ok(None),
                _ => Err(bad("outgoing-body")),
            })?;
            Ok(Some(match made {
                Some(s) => ok(Some(Value::Own(h.push(Object::Output(Sink::Host(s)))))),
                None => Value::Result(Err(None)),
            }))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[static]outgoing-body.finish",
        &[
            ("this", T::Own(t.out_body)),
            ("trailers", option(fields.clone())),
        ],
        Some(result(None, Some(ec.clone()))),
        move |h, a| {
            let trailers = match opt_arg(a.get(1))? {
                Some(f) => match take2(&o, Some(f))? {
                    Obj::Fields(f) => Some(f.entries),
                    _ => return Err(bad("fields")),
                },
                None => None,
            };
            let Obj::OutBody(mut b) = take2(&o, a.first())? else {
                return Err(bad("outgoing-body"));
            };
            // wasi:http/types `finish`: traps while the stream child lives.
            if child_alive(h, None, b.stream.as_ref()) {
                return Err(host_trap(
                    "outgoing-body.finish: its output-stream has not been dropped",
                ));
            }
            b.finished = true;
            let mut g = lock(&b.body);
            // A Content-Length the guest set must be what it wrote.
            if g.limit.is_some_and(|l| l != g.written) {
                let e = g.size_error();
                g.abort("body length differs from its Content-Length");
                return Ok(Some(err(e)));
            }
            if let Some(t) = trailers {
                g.push(Piece::Trailers(t));
            }
            g.done = true;
            if let Some(w) = g.waker.take() {
                w.wake();
            }
            Ok(Some(ok(None)))
        },
    );

    // ---- future-incoming-response ----
    let o = objs.clone();
    i = i.func(
        "[method]future-incoming-response.subscribe",
        &[me(t.future)],
        Some(T::Own(p.pollable)),
        move |h, a| {
            let slot = with2(&o, a.first(), |x| match x {
                Obj::Future(s) => Ok(s.clone()),
                _ => Err(bad("future-incoming-response")),
            })?;
            let watch =
                Pollable::Watch(Box::new(move || !matches!(*lock(&slot), Arrival::Waiting)));
            Ok(Some(Value::Own(h.push(Object::Pollable(watch)))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]future-incoming-response.get",
        &[me(t.future)],
        Some(option(result(
            Some(result(Some(T::Own(t.in_response)), Some(ec.clone()))),
            None,
        ))),
        move |_, a| {
            let slot = with2(&o, a.first(), |x| match x {
                Obj::Future(s) => Ok(s.clone()),
                _ => Err(bad("future-incoming-response")),
            })?;
            let mut g = lock(&slot);
            let v = match std::mem::replace(&mut *g, Arrival::Taken) {
                Arrival::Waiting => {
                    *g = Arrival::Waiting;
                    opt_value(None)
                }
                // The response goes out once; later calls get `err`.
                Arrival::Taken => some(Value::Result(Err(None))),
                Arrival::Ready(Ok(resp)) => {
                    some(ok(Some(ok(Some(own(&o, Obj::InResponse(resp)))))))
                }
                Arrival::Ready(Err(e)) => some(ok(Some(err(e)))),
            };
            Ok(Some(v))
        },
    );

    // ---- http-error-code ----
    i = i.func(
        "http-error-code",
        &[("err", T::Borrow(p.error))],
        Some(option(ec)),
        |h, a| {
            let r = rep(a.first())?;
            match h.table().objects.get(&r) {
                Some(Object::Error(msg, _)) => Ok(Some(opt_value(message_code(msg)))),
                _ => Err(host_trap("host: not an error")),
            }
        },
    );
    i.register(rt, "wasi:http/types", P2_VERSION);
}

/// `wasi:http/outgoing-handler@0.2`.
fn outgoing_handler(rt: &mut Runtime, host: &Arc<Host>, objs: &Shared2, t: &Types2) {
    let ec = error_code_type();
    let o = objs.clone();
    Iface::new(host)
        .resource("outgoing-request", t.out_request)
        .resource("request-options", t.options)
        .resource("future-incoming-response", t.future)
        .ty("error-code", ec.clone())
        .func(
            "handle",
            &[
                ("request", T::Own(t.out_request)),
                ("options", option(T::Own(t.options))),
            ],
            Some(result(Some(T::Own(t.future)), Some(ec))),
            move |h, a| {
                let Obj::OutRequest(rq) = take2(&o, a.first())? else {
                    return Err(bad("outgoing-request"));
                };
                let options = match opt_arg(a.get(1))? {
                    Some(v) => match take2(&o, Some(v))? {
                        Obj::Options(op) => Some(op),
                        _ => return Err(bad("request-options")),
                    },
                    None => None,
                };
                // Network access is a capability the embedder grants.
                if !h.ctx().network_allowed() {
                    lock(&rq.msg.body).abort("request denied");
                    return Ok(Some(err(code("HTTP-request-denied"))));
                }
                let prepared = match prepare(rq, options) {
                    Ok(p) => p,
                    Err(e) => return Ok(Some(err(e))),
                };
                // A bounded number of requests at once (each holds a
                // thread and two bounded buffers).
                let count = lock(&o).in_flight.clone();
                let taken =
                    count.fetch_update(SeqCst, SeqCst, |n| (n < MAX_IN_FLIGHT).then_some(n + 1));
                if taken.is_err() {
                    lock(&prepared.body).abort("too many requests");
                    return Ok(Some(err(code("connection-limit-reached"))));
                }
                let slot = Arc::new(Mutex::new(Arrival::Waiting));
                let s = slot.clone();
                let c = count.clone();
                let spawned = std::thread::Builder::new()
                    .name("wasi-http-p2-request".into())
                    .spawn(move || {
                        exchange(prepared, s);
                        c.fetch_sub(1, SeqCst);
                    });
                if spawned.is_err() {
                    count.fetch_sub(1, SeqCst);
                    return Ok(Some(err(internal("cannot start the request"))));
                }
                Ok(Some(ok(Some(own(&o, Obj::Future(slot))))))
            },
        )
        .register(rt, "wasi:http/outgoing-handler", P2_VERSION);
}

/// A request checked for sending.
struct Prepared {
    method: String,
    authority: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: OutShared,
    connect: Duration,
    first_byte: Duration,
    between: Duration,
}

/// Checks a request for sending (wasi:http/types `outgoing-request`: "it
/// is the obligation of `outgoing-handler.handle` to reject invalid
/// constructions").
fn prepare(rq: OutRequest, options: Option<Options>) -> Result<Prepared, Value> {
    let fail = |e: Value| {
        lock(&rq.msg.body).abort("request rejected");
        e
    };
    match &rq.scheme {
        None => {}
        Some(Value::Variant(c, None)) if c == "HTTP" => {}
        Some(_) => return Err(fail(internal("only the http scheme is supported"))),
    }
    let method =
        method_token(&rq.method).ok_or_else(|| fail(code("HTTP-request-method-invalid")))?;
    // The HTTP scheme requires an authority (RFC 9110 section 4.2.1).
    let Some(authority) = rq.authority.clone() else {
        return Err(fail(code("HTTP-request-URI-invalid")));
    };
    rq.msg.seal()?;
    let d = |v: Option<u64>| v.map_or(DEFAULT_TIMEOUT, Duration::from_nanos);
    let op = options.unwrap_or_default();
    Ok(Prepared {
        method,
        authority,
        path: rq.path.clone().unwrap_or_else(|| "/".to_string()),
        headers: rq.msg.headers.entries.clone(),
        body: rq.msg.body.clone(),
        connect: d(op.connect),
        first_byte: d(op.first_byte),
        between: d(op.between_bytes),
    })
}

/// Waits until the guest has room for more of a received body (or wants
/// none of it): whether to go on reading.
async fn room(dst: &InShared) -> bool {
    std::future::poll_fn(|cx| {
        let mut g = lock(dst);
        if g.discard {
            return std::task::Poll::Ready(false);
        }
        if g.data.len() < INBOUND_MAX {
            return std::task::Poll::Ready(true);
        }
        g.waker = Some(cx.waker().clone());
        std::task::Poll::Pending
    })
    .await
}

/// Reads a received body into `dst` as the guest makes room, then sets
/// its end (trailers or error). Once the guest has finished the body, what
/// remains is read and dropped until the end (the trailers come last);
/// once it has dropped every hold on the body, reading stops.
async fn feed(mut body: hyper::body::Incoming, dst: InShared, between: Duration) {
    use http_body_util::BodyExt;
    let mut trailers = None;
    let end = loop {
        let keep = room(&dst).await;
        if lock(&dst).abandoned {
            return;
        }
        let next = match tokio::time::timeout(between, body.frame()).await {
            Err(_) => break Err(code("connection-read-timeout")),
            Ok(n) => n,
        };
        match next {
            None => break Ok(trailers),
            Some(Err(e)) => break Err(wire::hyper_error(&e)),
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => {
                    if keep {
                        lock(&dst).data.extend(d.iter());
                    }
                }
                Err(f) => {
                    if let Ok(t) = f.into_trailers() {
                        trailers = Some(wire::entries(&t));
                    }
                }
            },
        }
    };
    lock(&dst).end = Some(end);
}

/// Sends a request and receives its response (on this thread's own
/// runtime): the head goes to `slot`, the body streams into the response's
/// `incoming-body` as the guest reads it.
fn exchange(p: Prepared, slot: Arc<Mutex<Arrival>>) {
    let done = |r: Result<InResponse, Value>| *lock(&slot) = Arrival::Ready(r);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return done(Err(internal(e.to_string()))),
    };
    let body = p.body.clone();
    rt.block_on(async move {
        let head = async {
            let (mut sender, _conn) = wire::open(&p.authority, p.connect).await?;
            let b = wire::request_head(&p.method, &p.path, &p.authority, &p.headers);
            let req = b
                .body(SendBody(p.body.clone()))
                .map_err(|_| code("HTTP-request-URI-invalid"))?;
            let resp = tokio::time::timeout(p.first_byte, sender.send_request(req))
                .await
                .map_err(|_| code("connection-read-timeout"))?
                .map_err(|e| wire::hyper_error(&e))?;
            Ok::<_, Value>(resp)
        };
        match head.await {
            Err(e) => done(Err(e)),
            Ok(resp) => {
                let (parts, incoming) = resp.into_parts();
                let dst: InShared = Arc::default();
                done(Ok(InResponse {
                    status: parts.status.as_u16(),
                    headers: FieldList {
                        entries: wire::entries(&parts.headers),
                        immutable: true,
                    },
                    body: Some(Arc::new(Reader(dst.clone()))),
                }));
                feed(incoming, dst, p.between).await;
            }
        }
    });
    // The request is over: a body the guest still writes goes nowhere.
    let mut g = lock(&body);
    if !g.complete() {
        g.gone = Some(error_message(&code("connection-terminated")));
    }
}

// ---- serving wasi:http/proxy ----------------------------------------

/// The `wasi:http/incoming-handler@0.2.x` export to call.
pub(super) fn incoming_handler_export(c: &component::syntax::Component) -> Option<String> {
    c.defs.iter().find_map(|d| match d {
        component::syntax::Definition::Export(e)
            if e.name.name.starts_with("wasi:http/incoming-handler@0.2.") =>
        {
            Some(e.name.name.clone())
        }
        _ => None,
    })
}

/// One request the server hands the VM, and where its answer goes.
struct Job2 {
    method: String,
    path: String,
    authority: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: InShared,
    reply: tokio::sync::oneshot::Sender<Answer>,
}

/// Serves a `wasi:http/proxy` component (its `incoming-handler` export
/// `export`) on `listener` until `stop` is set: each request gets a fresh
/// instance (as hosts of the proxy world do: a guest may keep per-request
/// state), over the one WASI context, and becomes an `incoming-request`
/// and a `response-outparam` its `handle` gets, one request at a time. The
/// response goes out when the component sets it, its body as the
/// component writes it; a response never set (or set to an error), or a
/// trap, answers 500 and serving goes on. Linking errors end serving
/// before the first request.
pub(super) fn serve_p2(
    c: &Arc<component::syntax::Component>,
    ctx: &Arc<Mutex<WasiCtx>>,
    config: &Config,
    export: &str,
    listener: std::net::TcpListener,
    stop: &AtomicBool,
) -> Result<RunResult, RunError> {
    let fresh = || -> Result<(Runtime, component::exec::InstanceId, Shared2), RunError> {
        let mut rt = Runtime::new(config.clone());
        let objs = super::super::link(&mut rt, ctx.clone()).p2;
        match rt.instantiate(c) {
            Ok(i) => Ok((rt, i, objs)),
            Err(component::Error::Unlinkable(m)) => Err(RunError::Link(m)),
            Err(component::Error::Trap(t)) => match super::super::trap_outcome(t) {
                Err(e) => Err(e),
                Ok(r) => Err(RunError::Link(format!(
                    "the component exited with {} while instantiating",
                    r.exit_code
                ))),
            },
        }
    };
    // The first instance, made before serving: linking errors show at once.
    let mut ready = Some(fresh()?);
    let (jobs, rx) = std::sync::mpsc::channel::<Job2>();
    let (quit, quitted) = tokio::sync::oneshot::channel::<()>();
    listener
        .set_nonblocking(true)
        .map_err(|e| RunError::Link(format!("cannot serve: {e}")))?;
    let server = std::thread::Builder::new()
        .name("wasi-http-p2-serve".into())
        .spawn(move || super::accept_loop(listener, jobs, quitted, answer))
        .map_err(|e| RunError::Link(format!("cannot serve: {e}")))?;
    let mut outcome = Ok(RunResult { exit_code: 0 });
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let job = match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(j) => j,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        };
        let made = match ready.take() {
            Some(r) => Ok(r),
            None => fresh(),
        };
        let (mut rt, inst, objs) = match made {
            Ok(r) => r,
            Err(e) => {
                // The job's reply channel closes: the request gets 500.
                outcome = Err(e);
                break;
            }
        };
        // A trap ends this request's instance only: its outparam, never
        // set, answers 500.
        let _trap = handle_p2(&mut rt, inst, export, &objs, job);
    }
    let _ = quit.send(());
    let _ = server.join();
    outcome
}

/// Calls `handle` for one job; the trap if it trapped.
fn handle_p2(
    rt: &mut Runtime,
    inst: component::exec::InstanceId,
    export: &str,
    objs: &Shared2,
    job: Job2,
) -> Option<Trap> {
    let method = METHODS.iter().find(|(_, t)| *t == job.method).map_or_else(
        || {
            Value::Variant(
                "other".into(),
                Some(Box::new(Value::String(job.method.clone()))),
            )
        },
        |(c, _)| Value::Variant(c.to_string(), None),
    );
    let rq = InRequest {
        method,
        path: Some(job.path),
        scheme: Some(Value::Variant("HTTP".into(), None)),
        authority: job.authority,
        headers: FieldList {
            entries: job.headers,
            immutable: true,
        },
        body: Some(Arc::new(Reader(job.body))),
    };
    let handed: Arc<Mutex<Option<OutShared>>> = Arc::default();
    let (r, out) = {
        let mut g = lock(objs);
        let r = g.push(Obj::InRequest(rq));
        let out = g.push(Obj::Outparam(Outparam {
            reply: Some(job.reply),
            handed: handed.clone(),
        }));
        (r, out)
    };
    let got = rt.invoke_path(inst, &[export, "handle"], &[Value::Own(r), Value::Own(out)]);
    // `handle` has returned: an outparam never set answers 500 (its reply
    // channel closes), and a body left unfinished is incomplete.
    let left = {
        let mut g = lock(objs);
        match g.map.get(&out) {
            Some(Obj::Outparam(p)) if Arc::ptr_eq(&p.handed, &handed) => g.map.remove(&out),
            _ => None,
        }
    };
    drop(left);
    if let Some(b) = lock(&handed).take() {
        lock(&b).abort("the handler returned before finishing the body");
    }
    got.err()
}

/// One served request: handed to the VM, answered with what the component
/// sets (500 when it sets none or an error).
async fn answer(
    jobs: std::sync::mpsc::Sender<Job2>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<SendBody> {
    let (parts, incoming) = req.into_parts();
    let dst: InShared = Arc::default();
    tokio::spawn(feed(incoming, dst.clone(), DEFAULT_TIMEOUT));
    let (reply, answered) = tokio::sync::oneshot::channel();
    let job = Job2 {
        method: parts.method.as_str().to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string()),
        authority: parts
            .headers
            .get(::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string),
        headers: wire::entries(&parts.headers),
        body: dst,
        reply,
    };
    let got = match jobs.send(job) {
        Ok(()) => answered.await.ok(),
        Err(_) => None,
    };
    let empty = || {
        SendBody(Arc::new(Mutex::new(Outbound {
            done: true,
            ..Outbound::default()
        })))
    };
    let (status, headers, body) = match got {
        Some(Ok((s, h, b))) => (s, h, SendBody(b)),
        _ => (500, Vec::new(), empty()),
    };
    let mut resp = hyper::Response::new(body);
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    *resp.headers_mut() = wire::header_map(&headers);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_carry_their_code() {
        let sized = |n: Option<u64>| {
            Value::Variant(
                "HTTP-request-body-size".into(),
                Some(Box::new(opt_value(n.map(Value::U64)))),
            )
        };
        for v in [
            code("connection-refused"),
            internal("why: not"),
            sized(Some(3)),
            sized(None),
        ] {
            assert_eq!(message_code(&error_message(&v)), Some(v));
        }
        // A record payload is not read back; other messages are no code.
        let dns = Value::Variant(
            "DNS-error".into(),
            Some(Box::new(record(vec![
                ("rcode", opt_value(None)),
                ("info-code", opt_value(None)),
            ]))),
        );
        assert_eq!(message_code(&error_message(&dns)), None);
        assert_eq!(message_code("closed"), None);
    }

    #[test]
    fn outgoing_body_keeps_to_its_content_length() {
        let mut h = FieldList::default();
        h.append("content-length", b"3".to_vec()).unwrap();
        let out = Arc::new(Mutex::new(Outbound::new(&h, "HTTP-request-body-size")));
        let mut w = BodyWriter(out.clone());
        assert_eq!(w.check_write().ok(), Some(OUTBOUND_MAX as u64));
        assert!(w.write(b"ab").is_ok());
        assert!(matches!(w.write(b"cd"), Err(StreamEnd::Failed(_))));
        assert_eq!(lock(&out).written, 2);
        assert_eq!(lock(&out).held, 2);
    }

    #[test]
    fn a_body_sent_whole_is_not_cut_off() {
        // hyper lets go of a body once its Content-Length is sent: that
        // body is whole, and a flush after it succeeds.
        let mut h = FieldList::default();
        h.append("content-length", b"2".to_vec()).unwrap();
        let out = Arc::new(Mutex::new(Outbound::new(&h, "HTTP-response-body-size")));
        let mut w = BodyWriter(out.clone());
        assert!(w.write(b"ok").is_ok());
        lock(&out).queue.clear();
        drop(SendBody(out.clone()));
        assert!(matches!(w.flushed(), Ok(true)));
        // Without a length, a body let go of before `finish` is cut off.
        let out = Arc::new(Mutex::new(Outbound::default()));
        let mut w = BodyWriter(out.clone());
        assert!(w.write(b"partial").is_ok());
        drop(SendBody(out));
        assert!(matches!(w.flushed(), Err(StreamEnd::Failed(_))));
    }

    #[test]
    fn body_reader_drains_then_ends() {
        let shared: InShared = Arc::default();
        let mut r = BodyReader(Arc::new(Reader(shared.clone())));
        assert!(!r.ready());
        assert_eq!(r.read(10).ok(), Some(Vec::new()));
        lock(&shared).data.extend(b"hello");
        lock(&shared).end = Some(Ok(None));
        assert_eq!(r.read(3).ok(), Some(b"hel".to_vec()));
        assert_eq!(r.read(10).ok(), Some(b"lo".to_vec()));
        assert!(matches!(r.read(10), Err(StreamEnd::Closed)));
        drop(r);
        assert!(lock(&shared).discard);
    }
}
