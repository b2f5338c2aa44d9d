//! `wasi:http@0.3.0` for components: `wasi:http/types` (fields with the
//! RFC 9110 syntax checks, requests, responses, request options, the
//! `error-code` variant), over host objects of this module's own table.
//!
//! Syntax checks use the `http` crate's parsers (field names, field values,
//! methods, schemes, authorities, paths): no HTTP syntax is parsed by hand.
//!
//! Bodies: a request or response made by a component keeps the readable
//! end of its contents stream and its trailers future; `consume-body` hands
//! them back (a body made by the host is a stream the host writes).

use super::*;

/// The fields of one `fields` resource, in order, with their immutability.
#[derive(Clone, Default)]
struct FieldList {
    /// (name as first given, value), in serialisation order.
    entries: Vec<(String, Vec<u8>)>,
    /// `request.get-headers` and friends give immutable fields
    /// (wasi:http/types `fields`: "might be immutable").
    immutable: bool,
}

/// The `header-error` cases (wasi:http/types `header-error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HeaderError {
    /// `invalid-syntax`.
    InvalidSyntax,
    /// `forbidden`.
    Forbidden,
    /// `immutable`.
    Immutable,
}

impl HeaderError {
    fn name(self) -> &'static str {
        match self {
            HeaderError::InvalidSyntax => "invalid-syntax",
            HeaderError::Forbidden => "forbidden",
            HeaderError::Immutable => "immutable",
        }
    }
}

/// Field names a guest may not set: the connection-specific fields of
/// RFC 9110 section 7.6.1 and RFC 9113 section 8.2.2, and `host` (the
/// authority says it). WASI/issues/940 leaves the list to hosts.
const FORBIDDEN: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
    "host",
];

/// RFC 9110 section 5.1: `field-name = token`.
pub(super) fn valid_name(name: &str) -> bool {
    ::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// RFC 9110 section 5.5: `field-value = *field-content` (visible ASCII,
/// obs-text, SP and HTAB; no CR, LF, NUL or other controls).
pub(super) fn valid_value(v: &[u8]) -> bool {
    ::http::HeaderValue::from_bytes(v).is_ok()
}

/// Checks a name (and value) a guest sets: syntax first, then the
/// forbidden list (case-insensitively, RFC 9110 section 5.1).
pub(super) fn check_field(name: &str, value: Option<&[u8]>) -> Result<(), HeaderError> {
    if !valid_name(name) {
        return Err(HeaderError::InvalidSyntax);
    }
    if FORBIDDEN.iter().any(|f| f.eq_ignore_ascii_case(name)) {
        return Err(HeaderError::Forbidden);
    }
    if value.is_some_and(|v| !valid_value(v)) {
        return Err(HeaderError::InvalidSyntax);
    }
    Ok(())
}

impl FieldList {
    /// `from-list`: every entry checked; the first failure wins.
    pub(super) fn from_entries(entries: Vec<(String, Vec<u8>)>) -> Result<FieldList, HeaderError> {
        let mut f = FieldList::default();
        for (n, v) in entries {
            check_field(&n, Some(&v))?;
            f.push(n, v);
        }
        Ok(f)
    }
    /// Appends, keeping the casing the name first had (names compare
    /// case-insensitively: RFC 9110 section 5.1).
    fn push(&mut self, name: String, value: Vec<u8>) {
        let name = self
            .entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map_or(name, |(n, _)| n.clone());
        self.entries.push((name, value));
    }
    fn get(&self, name: &str) -> Vec<Vec<u8>> {
        self.entries
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
    fn mutable(&self) -> Result<(), HeaderError> {
        if self.immutable {
            Err(HeaderError::Immutable)
        } else {
            Ok(())
        }
    }
    fn remove(&mut self, name: &str) -> Vec<Vec<u8>> {
        let old = self.get(name);
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        old
    }
    /// `set`: replaces every value of `name` (the new values go last).
    pub(super) fn set(&mut self, name: &str, values: Vec<Vec<u8>>) -> Result<(), HeaderError> {
        self.mutable()?;
        check_field(name, None)?;
        if values.iter().any(|v| !valid_value(v)) {
            return Err(HeaderError::InvalidSyntax);
        }
        self.remove(name);
        for v in values {
            self.push(name.to_string(), v);
        }
        Ok(())
    }
    /// `append`.
    pub(super) fn append(&mut self, name: &str, value: Vec<u8>) -> Result<(), HeaderError> {
        self.mutable()?;
        check_field(name, Some(&value))?;
        self.push(name.to_string(), value);
        Ok(())
    }
    /// `get-and-delete` (and `delete`): an invalid name is `invalid-syntax`.
    pub(super) fn delete(&mut self, name: &str) -> Result<Vec<Vec<u8>>, HeaderError> {
        self.mutable()?;
        if !valid_name(name) {
            return Err(HeaderError::InvalidSyntax);
        }
        if FORBIDDEN.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(HeaderError::Forbidden);
        }
        Ok(self.remove(name))
    }
}

/// The most bytes of one message body the host holds (0.3 bodies are
/// buffered whole between the component and the network): a longer body
/// fails its message with `HTTP-request-body-size` /
/// `HTTP-response-body-size`, or a served request with 413.
pub const MAX_BODY: usize = 16 << 20;

/// What the host has read of a body a component writes: the bytes so far
/// (at most [`MAX_BODY`]; `written` counts them all), and the trailers
/// future's value once written.
#[derive(Clone, Default)]
struct Sunk {
    data: Arc<Mutex<Vec<u8>>>,
    /// Every byte the component wrote, kept or not.
    written: Arc<std::sync::atomic::AtomicU64>,
    trailers: Arc<Mutex<Option<Value>>>,
    /// The contents stream ended (its writer dropped), or there is none.
    ended: Arc<std::sync::atomic::AtomicBool>,
    /// The trailers future was written or its writer dropped.
    settled: Arc<std::sync::atomic::AtomicBool>,
}

impl Sunk {
    /// The body's length when it went past [`MAX_BODY`].
    fn too_long(&self) -> Option<u64> {
        let n = self.written.load(std::sync::atomic::Ordering::SeqCst);
        (n > MAX_BODY as u64).then_some(n)
    }

    /// Whether the component has finished writing the body.
    fn complete(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.ended.load(SeqCst) && self.settled.load(SeqCst)
    }
}

/// A request's or response's body.
enum Body {
    /// Given by a component: the host reads its contents stream and its
    /// trailers future as the component writes them.
    Guest(Sunk),
    /// Received by the host: the bytes and the trailers.
    Host(Vec<u8>, Option<FieldList>),
}

/// `request` (wasi:http/types).
struct Request {
    method: Value,
    path: Option<String>,
    scheme: Option<Value>,
    authority: Option<String>,
    headers: FieldList,
    options: Option<Options>,
    body: Body,
    /// Where `send` writes how the transmission went (the future
    /// `request.new` returned reads it).
    sent: Arc<Mutex<Option<Value>>>,
}

/// `response` (wasi:http/types).
struct Response {
    status: u16,
    headers: FieldList,
    body: Body,
}

/// `request-options` (wasi:http/types): the three timeouts, in ns.
#[derive(Clone, Default)]
struct Options {
    connect: Option<u64>,
    first_byte: Option<u64>,
    between_bytes: Option<u64>,
    immutable: bool,
}

/// A host object of this module.
enum Obj {
    Fields(FieldList),
    Request(Request),
    Response(Response),
    Options(Options),
}

/// This module's objects, by representation.
#[derive(Default)]
pub(super) struct Objects {
    next: u32,
    map: HashMap<u32, Obj>,
}

impl Objects {
    fn push(&mut self, o: Obj) -> u32 {
        self.next = self.next.wrapping_add(1);
        while self.map.contains_key(&self.next) || self.next == 0 {
            self.next = self.next.wrapping_add(1);
        }
        self.map.insert(self.next, o);
        self.next
    }
}

type Shared = Arc<Mutex<Objects>>;

/// The wasi:http types, built once.
struct Types {
    fields: ResourceType,
    request: ResourceType,
    response: ResourceType,
    options: ResourceType,
    method: ValType,
    scheme: ValType,
    error_code: ValType,
    header_error: ValType,
    options_error: ValType,
}

/// `DNS-error-payload`, `TLS-alert-received-payload`, `field-size-payload`.
fn payload_types() -> [(&'static str, ValType); 3] {
    let opt = option;
    [
        (
            "DNS-error-payload",
            rec(&[("rcode", opt(T::String)), ("info-code", opt(T::U16))]),
        ),
        (
            "TLS-alert-received-payload",
            rec(&[("alert-id", opt(T::U8)), ("alert-message", opt(T::String))]),
        ),
        (
            "field-size-payload",
            rec(&[("field-name", opt(T::String)), ("field-size", opt(T::U32))]),
        ),
    ]
}

fn error_code_type() -> ValType {
    let opt = option;
    let [(_, dns), (_, tls), (_, field_size)] = payload_types();
    // wasi:http/types `error-code`, case by case in WIT order.
    variant(&[
        ("DNS-timeout", None),
        ("DNS-error", Some(dns)),
        ("destination-not-found", None),
        ("destination-unavailable", None),
        ("destination-IP-prohibited", None),
        ("destination-IP-unroutable", None),
        ("connection-refused", None),
        ("connection-terminated", None),
        ("connection-timeout", None),
        ("connection-read-timeout", None),
        ("connection-write-timeout", None),
        ("connection-limit-reached", None),
        ("TLS-protocol-error", None),
        ("TLS-certificate-error", None),
        ("TLS-alert-received", Some(tls)),
        ("HTTP-request-denied", None),
        ("HTTP-request-length-required", None),
        ("HTTP-request-body-size", Some(opt(T::U64))),
        ("HTTP-request-method-invalid", None),
        ("HTTP-request-URI-invalid", None),
        ("HTTP-request-URI-too-long", None),
        ("HTTP-request-header-section-size", Some(opt(T::U32))),
        ("HTTP-request-header-size", Some(opt(field_size.clone()))),
        ("HTTP-request-trailer-section-size", Some(opt(T::U32))),
        ("HTTP-request-trailer-size", Some(field_size.clone())),
        ("HTTP-response-incomplete", None),
        ("HTTP-response-header-section-size", Some(opt(T::U32))),
        ("HTTP-response-header-size", Some(field_size.clone())),
        ("HTTP-response-body-size", Some(opt(T::U64))),
        ("HTTP-response-trailer-section-size", Some(opt(T::U32))),
        ("HTTP-response-trailer-size", Some(field_size)),
        ("HTTP-response-transfer-coding", Some(opt(T::String))),
        ("HTTP-response-content-coding", Some(opt(T::String))),
        ("HTTP-response-timeout", None),
        ("HTTP-upgrade-failed", None),
        ("HTTP-protocol-error", None),
        ("loop-detected", None),
        ("configuration-error", None),
        ("internal-error", Some(opt(T::String))),
    ])
}

/// The standard methods, in `method`'s case order, with their tokens.
const METHODS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("head", "HEAD"),
    ("post", "POST"),
    ("put", "PUT"),
    ("delete", "DELETE"),
    ("connect", "CONNECT"),
    ("options", "OPTIONS"),
    ("trace", "TRACE"),
    ("patch", "PATCH"),
];

/// A `method` value checked (RFC 9110 section 9.1: `method = token`) and
/// normalised: `other` naming a standard method is that method
/// (wasi-http issue 194).
fn method_value(v: &Value) -> Option<Value> {
    match v {
        Value::Variant(case, None) if METHODS.iter().any(|(c, _)| c == case) => Some(v.clone()),
        Value::Variant(case, Some(s)) if case == "other" => {
            let Value::String(s) = &**s else { return None };
            ::http::Method::from_bytes(s.as_bytes()).ok()?;
            Some(match METHODS.iter().find(|(_, t)| t == s) {
                Some((c, _)) => Value::Variant(c.to_string(), None),
                None => v.clone(),
            })
        }
        _ => None,
    }
}

/// The token of a (checked) `method` value.
fn method_token(v: &Value) -> Option<String> {
    match v {
        Value::Variant(case, None) => METHODS
            .iter()
            .find(|(c, _)| c == case)
            .map(|(_, t)| t.to_string()),
        Value::Variant(_, Some(s)) => match &**s {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// A `scheme` value checked (RFC 3986 section 3.1) and normalised:
/// `other("http")`/`other("https")` are `HTTP`/`HTTPS`.
fn scheme_value(v: &Value) -> Option<Value> {
    match v {
        Value::Variant(case, None) if case == "HTTP" || case == "HTTPS" => Some(v.clone()),
        Value::Variant(case, Some(s)) if case == "other" => {
            let Value::String(s) = &**s else { return None };
            match s.as_str() {
                "http" => return Some(Value::Variant("HTTP".into(), None)),
                "https" => return Some(Value::Variant("HTTPS".into(), None)),
                _ => {}
            }
            // A scheme is parsed as the start of an absolute URI.
            let uri = format!("{s}://a");
            let u: ::http::Uri = uri.parse().ok()?;
            (u.scheme_str() == Some(s.as_str())).then(|| v.clone())
        }
        _ => None,
    }
}

/// RFC 3986 section 3.2: an authority (userinfo allowed, as in the test
/// suite's expectations); the port, if any, is digits.
fn valid_authority(s: &str) -> bool {
    let Ok(a) = s.parse::<::http::uri::Authority>() else {
        return false;
    };
    // `host:port`: a colon after the host must be followed by a port.
    let hostport = a.as_str().rsplit('@').next().unwrap_or("");
    if let Some((_, port)) = hostport.rsplit_once(':')
        && !hostport.ends_with(']')
        && !port.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    !a.host().is_empty()
}

/// RFC 3986 sections 3.3/3.4: path and query (`""` is `/`). A relative
/// reference (`a/b`, `?q`: wasi-http issue 178) is checked as the same
/// characters after a `/`.
fn path_value(s: &str) -> Option<String> {
    let absolute = if s.starts_with('/') {
        s.to_string()
    } else {
        format!("/{s}")
    };
    let _: ::http::uri::PathAndQuery = absolute.parse().ok()?;
    if s.is_empty() {
        return Some("/".to_string());
    }
    Some(s.to_string())
}

fn fields_arg(v: Option<&Value>) -> Result<Vec<(String, Vec<u8>)>, Trap> {
    match v {
        Some(Value::List(l)) => l
            .iter()
            .map(|e| match e {
                Value::Tuple(t) if t.len() == 2 => {
                    Ok((string_arg(t.first())?.to_string(), bytes_arg(t.get(1))?))
                }
                _ => Err(host_trap("host: expected a field entry")),
            })
            .collect(),
        _ => Err(host_trap("host: expected a field list")),
    }
}

fn values_arg(v: Option<&Value>) -> Result<Vec<Vec<u8>>, Trap> {
    match v {
        Some(Value::List(l)) => l.iter().map(|b| bytes_arg(Some(b))).collect(),
        _ => Err(host_trap("host: expected a list of field values")),
    }
}

fn values(vs: Vec<Vec<u8>>) -> Value {
    Value::List(vs.iter().map(|v| bytes(v)).collect())
}

fn entries_value(f: &FieldList) -> Value {
    Value::List(
        f.entries
            .iter()
            .map(|(n, v)| tuple2(Value::String(n.clone()), bytes(v)))
            .collect(),
    )
}

fn header_err(e: HeaderError) -> Value {
    err(Value::Variant(e.name().to_string(), None))
}

fn opt_u64(v: Option<&Value>) -> Result<Option<u64>, Trap> {
    match v {
        Some(Value::Option(None)) => Ok(None),
        Some(Value::Option(Some(x))) => u64_arg(Some(x)).map(Some),
        _ => Err(host_trap("host: expected option<duration>")),
    }
}

fn opt_string(v: Option<&Value>) -> Result<Option<String>, Trap> {
    match v {
        Some(Value::Option(None)) => Ok(None),
        Some(Value::Option(Some(x))) => string_arg(Some(x)).map(|s| Some(s.to_string())),
        _ => Err(host_trap("host: expected option<string>")),
    }
}

fn opt_value(o: Option<Value>) -> Value {
    Value::Option(o.map(Box::new))
}

fn unit_result(okay: bool) -> Value {
    Value::Result(if okay { Ok(None) } else { Err(None) })
}

/// Runs `f` on the object `rep` names, or traps.
fn with<R>(
    objs: &Shared,
    a: &[Value],
    f: impl FnOnce(&mut Obj) -> Result<R, Trap>,
) -> Result<R, Trap> {
    let r = rep(a.first())?;
    let mut o = lock(objs);
    let obj = o
        .map
        .get_mut(&r)
        .ok_or_else(|| host_trap("host: unknown wasi:http handle"))?;
    f(obj)
}

fn fields_of(o: &mut Obj) -> Result<&mut FieldList, Trap> {
    match o {
        Obj::Fields(f) => Ok(f),
        _ => Err(host_trap("host: not a fields handle")),
    }
}

fn options_of(o: &mut Obj) -> Result<&mut Options, Trap> {
    match o {
        Obj::Options(f) => Ok(f),
        _ => Err(host_trap("host: not a request-options handle")),
    }
}

fn request_of(o: &mut Obj) -> Result<&mut Request, Trap> {
    match o {
        Obj::Request(f) => Ok(f),
        _ => Err(host_trap("host: not a request handle")),
    }
}

/// A request setter's answer: a value that passed its check (`Some`) is
/// stored and answers `ok`; one that did not leaves the request as it was
/// and answers `err`.
fn set_request<V>(
    objs: &Shared,
    a: &[Value],
    checked: Option<V>,
    set: impl FnOnce(&mut Request, V),
) -> Result<Option<Value>, Trap> {
    with(objs, a, |x| {
        let r = request_of(x)?;
        let good = checked.is_some();
        if let Some(v) = checked {
            set(r, v);
        }
        Ok(Some(unit_result(good)))
    })
}

fn response_of(o: &mut Obj) -> Result<&mut Response, Trap> {
    match o {
        Obj::Response(f) => Ok(f),
        _ => Err(host_trap("host: not a response handle")),
    }
}

/// Takes the `fields` an owning handle passes (it moves into a request
/// or response).
fn take_fields(objs: &Shared, v: Option<&Value>) -> Result<FieldList, Trap> {
    let r = rep(v)?;
    match lock(objs).map.remove(&r) {
        Some(Obj::Fields(f)) => Ok(f),
        _ => Err(host_trap("host: not a fields handle")),
    }
}

fn take_options(objs: &Shared, v: Option<&Value>) -> Result<Option<Options>, Trap> {
    match v {
        Some(Value::Option(None)) => Ok(None),
        Some(Value::Option(Some(o))) => {
            let r = rep(Some(o))?;
            match lock(objs).map.remove(&r) {
                Some(Obj::Options(o)) => Ok(Some(o)),
                _ => Err(host_trap("host: not a request-options handle")),
            }
        }
        _ => Err(host_trap("host: expected option<request-options>")),
    }
}

/// The body a `new` gets (the optional contents stream and the trailers
/// future): the host reads both as the component writes them.
fn guest_body(cx: &mut HostCx<'_>, a: &[Value], at: usize) -> Result<Body, Trap> {
    use std::sync::atomic::Ordering::SeqCst;
    let sunk = Sunk::default();
    match a.get(at) {
        Some(Value::Option(None)) => sunk.ended.store(true, SeqCst),
        Some(Value::Option(Some(s))) => {
            let data = sunk.data.clone();
            let written = sunk.written.clone();
            let ended = sunk.ended.clone();
            cx.stream_into_polled(
                s,
                Box::new(move |vs| match vs {
                    Some(vs) => {
                        // Past the cap the bytes are counted, not kept.
                        let n = written.fetch_add(vs.len() as u64, SeqCst);
                        if n.saturating_add(vs.len() as u64) <= MAX_BODY as u64 {
                            lock(&data).extend(vs.iter().filter_map(|v| match v {
                                Value::U8(b) => Some(*b),
                                _ => None,
                            }));
                        }
                        std::task::Poll::Ready(vs.len())
                    }
                    None => {
                        ended.store(true, SeqCst);
                        std::task::Poll::Ready(0)
                    }
                }),
            )?;
        }
        _ => return Err(host_trap("host: expected option<stream<u8>>")),
    }
    let fut = a
        .get(at + 1)
        .ok_or_else(|| host_trap("host: expected a trailers future"))?;
    let tr = sunk.trailers.clone();
    let settled = sunk.settled.clone();
    cx.stream_into_polled(
        fut,
        Box::new(move |vs| {
            if let Some(v) = vs.and_then(|vs| vs.first()) {
                *lock(&tr) = Some(v.clone());
            }
            settled.store(true, SeqCst);
            std::task::Poll::Ready(vs.map_or(0, |vs| vs.len()))
        }),
    )?;
    Ok(Body::Guest(sunk))
}

/// A stream the host writes `data` to, then ends.
fn bytes_source(cx: &mut HostCx<'_>, data: Vec<u8>) -> Result<Value, Trap> {
    let mut data = Some(data);
    let source: HostSource = Box::new(move |max| {
        let mut d = data.take()?;
        if d.is_empty() {
            return None;
        }
        let rest = d.split_off(max.min(d.len()));
        if !rest.is_empty() {
            data = Some(rest);
        }
        Some(d.into_iter().map(Value::U8).collect())
    });
    cx.stream_from(Some(T::U8), source)
}

/// `consume-body`'s result: the contents stream and the trailers future.
fn consume(objs: &Shared, cx: &mut HostCx<'_>, body: Body, t: &Types) -> Result<Value, Trap> {
    let trailers_t = result(Some(option(T::Own(t.fields))), Some(t.error_code.clone()));
    let (data, trailers) = match body {
        Body::Guest(sunk) => {
            let data = std::mem::take(&mut *lock(&sunk.data));
            let trailers = lock(&sunk.trailers).take();
            (data, trailers.unwrap_or_else(|| ok(Some(opt_value(None)))))
        }
        Body::Host(data, trailers) => {
            let t = trailers.map(|f| Value::Own(lock(objs).push(Obj::Fields(f))));
            (data, ok(Some(opt_value(t))))
        }
    };
    let stream = bytes_source(cx, data)?;
    let fut = cx.future_ready(Some(trailers_t), trailers)?;
    Ok(tuple2(stream, fut))
}

/// Registers `wasi:http/types@0.3.0` and `wasi:http/client@0.3.0`, and
/// (feature `http`) `wasi:http/types` and `wasi:http/outgoing-handler` at
/// the 0.2 version, over the wasi:io@0.2 resources of `p2`.
pub(super) fn http(rt: &mut Runtime, host: &Arc<Host>, p2: &P2Types) -> Objs {
    #[cfg(not(feature = "http"))]
    let _ = p2;
    Objs {
        p3: register(rt, host),
        #[cfg(feature = "http")]
        p2: p2::register_p2(rt, host, p2),
    }
}

/// The objects behind the `wasi:http` resources of one run (what serving
/// a component reaches).
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(super) struct Objs {
    p3: Shared,
    #[cfg(feature = "http")]
    p2: p2::Shared2,
}

/// `wasi:http@0.2` (types, outgoing-handler, serving the proxy world).
#[cfg(feature = "http")]
mod p2;

/// Registers the interfaces; the objects and types they share.
fn register(rt: &mut Runtime, host: &Arc<Host>) -> Shared {
    let objs: Shared = Arc::new(Mutex::new(Objects::default()));
    let resource = |rt: &mut Runtime| {
        let o = objs.clone();
        let dtor: HostDtor = Arc::new(move |r| {
            lock(&o).map.remove(&r);
        });
        rt.host_resource(Some(dtor))
    };
    let t = Arc::new(Types {
        fields: resource(rt),
        request: resource(rt),
        response: resource(rt),
        options: resource(rt),
        method: variant(&[
            ("get", None),
            ("head", None),
            ("post", None),
            ("put", None),
            ("delete", None),
            ("connect", None),
            ("options", None),
            ("trace", None),
            ("patch", None),
            ("other", Some(T::String)),
        ]),
        scheme: variant(&[("HTTP", None), ("HTTPS", None), ("other", Some(T::String))]),
        error_code: error_code_type(),
        header_error: variant(&[
            ("invalid-syntax", None),
            ("forbidden", None),
            ("immutable", None),
            ("size-exceeded", None),
            ("other", Some(option(T::String))),
        ]),
        options_error: variant(&[
            ("not-supported", None),
            ("immutable", None),
            ("other", Some(option(T::String))),
        ]),
    });
    types(rt, host, &objs, &t);
    objs
}

fn types(rt: &mut Runtime, host: &Arc<Host>, objs: &Shared, t: &Arc<Types>) {
    let v = P3_VERSION;
    let fields = T::Own(t.fields);
    let me_f = ("self", T::Borrow(t.fields));
    let me_r = ("self", T::Borrow(t.request));
    let me_p = ("self", T::Borrow(t.response));
    let me_o = ("self", T::Borrow(t.options));
    let entries_t = list(tuple(vec![T::String, list(T::U8)]));
    let values_t = list(list(T::U8));
    let herr = |ok_t: Option<ValType>| result(ok_t, Some(t.header_error.clone()));
    let oerr = result(None, Some(t.options_error.clone()));
    let trailers_t = result(Some(option(fields.clone())), Some(t.error_code.clone()));
    let trailers_fut = T::Future(Some(Box::new(trailers_t.clone())));
    let done_t = result(None, Some(t.error_code.clone()));
    let done_fut = T::Future(Some(Box::new(done_t.clone())));
    let bytes_stream = T::Stream(Some(Box::new(T::U8)));
    let duration = T::U64;

    let mut i = Iface::new(host)
        .ty("duration", duration.clone())
        .ty("method", t.method.clone())
        .ty("scheme", t.scheme.clone())
        .ty("error-code", t.error_code.clone())
        .ty("header-error", t.header_error.clone())
        .ty("request-options-error", t.options_error.clone())
        .ty("field-name", T::String)
        .ty("field-value", list(T::U8))
        .ty("status-code", T::U16)
        .resource("fields", t.fields)
        .resource("headers", t.fields)
        .resource("trailers", t.fields)
        .resource("request", t.request)
        .resource("response", t.response)
        .resource("request-options", t.options);
    for (name, ty) in payload_types() {
        i = i.ty(name, ty);
    }

    // ---- fields ----
    let o = objs.clone();
    i = i.func(
        "[constructor]fields",
        &[],
        Some(fields.clone()),
        move |_, _| {
            Ok(Some(Value::Own(
                lock(&o).push(Obj::Fields(FieldList::default())),
            )))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[static]fields.from-list",
        &[("entries", entries_t.clone())],
        Some(herr(Some(fields.clone()))),
        move |_, a| {
            Ok(Some(
                match FieldList::from_entries(fields_arg(a.first())?) {
                    Ok(f) => ok(Some(Value::Own(lock(&o).push(Obj::Fields(f))))),
                    Err(e) => header_err(e),
                },
            ))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.get",
        &[me_f.clone(), ("name", T::String)],
        Some(values_t.clone()),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            with(&o, a, |x| Ok(Some(values(fields_of(x)?.get(&name)))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.has",
        &[me_f.clone(), ("name", T::String)],
        Some(T::Bool),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            with(&o, a, |x| Ok(Some(Value::Bool(fields_of(x)?.has(&name)))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.set",
        &[
            me_f.clone(),
            ("name", T::String),
            ("value", values_t.clone()),
        ],
        Some(herr(None)),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            let vs = values_arg(a.get(2))?;
            with(&o, a, |x| {
                Ok(Some(match fields_of(x)?.set(&name, vs) {
                    Ok(()) => ok(None),
                    Err(e) => header_err(e),
                }))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.delete",
        &[me_f.clone(), ("name", T::String)],
        Some(herr(None)),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            with(&o, a, |x| {
                Ok(Some(match fields_of(x)?.delete(&name) {
                    Ok(_) => ok(None),
                    Err(e) => header_err(e),
                }))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.get-and-delete",
        &[me_f.clone(), ("name", T::String)],
        Some(herr(Some(values_t.clone()))),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            with(&o, a, |x| {
                Ok(Some(match fields_of(x)?.delete(&name) {
                    Ok(old) => ok(Some(values(old))),
                    Err(e) => header_err(e),
                }))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.append",
        &[me_f.clone(), ("name", T::String), ("value", list(T::U8))],
        Some(herr(None)),
        move |_, a| {
            let name = string_arg(a.get(1))?.to_string();
            let val = bytes_arg(a.get(2))?;
            with(&o, a, |x| {
                Ok(Some(match fields_of(x)?.append(&name, val) {
                    Ok(()) => ok(None),
                    Err(e) => header_err(e),
                }))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.copy-all",
        std::slice::from_ref(&me_f),
        Some(entries_t.clone()),
        move |_, a| with(&o, a, |x| Ok(Some(entries_value(fields_of(x)?)))),
    );
    let o = objs.clone();
    i = i.func(
        "[method]fields.clone",
        std::slice::from_ref(&me_f),
        Some(fields.clone()),
        move |_, a| {
            let mut f = with(&o, a, |x| Ok(fields_of(x)?.clone()))?;
            f.immutable = false;
            Ok(Some(Value::Own(lock(&o).push(Obj::Fields(f)))))
        },
    );

    // ---- request ----
    let o = objs.clone();
    let done_c = done_t.clone();
    i = i.func_cx(
        "[static]request.new",
        &[
            ("headers", fields.clone()),
            ("contents", option(bytes_stream.clone())),
            ("trailers", trailers_fut.clone()),
            ("options", option(T::Own(t.options))),
        ],
        Some(tuple(vec![T::Own(t.request), done_fut.clone()])),
        move |_, cx, a| {
            let mut headers = take_fields(&o, a.first())?;
            headers.immutable = true;
            let body = guest_body(cx, a, 1)?;
            let options = take_options(&o, a.get(3))?.map(|mut x| {
                x.immutable = true;
                x
            });
            let sent: Arc<Mutex<Option<Value>>> = Arc::default();
            let r = lock(&o).push(Obj::Request(Request {
                method: Value::Variant("get".into(), None),
                path: None,
                scheme: None,
                authority: None,
                headers,
                options,
                body,
                sent: sent.clone(),
            }));
            // The transmission future: resolved by `send` (ok once the
            // request went out, the error-code otherwise).
            let fut = cx.future_polled(
                Some(done_c.clone()),
                Box::new(move || match lock(&sent).take() {
                    Some(v) => std::task::Poll::Ready(Some(v)),
                    None => std::task::Poll::Pending,
                }),
            )?;
            Ok(Some(tuple2(Value::Own(r), fut)))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-method",
        std::slice::from_ref(&me_r),
        Some(t.method.clone()),
        move |_, a| with(&o, a, |x| Ok(Some(request_of(x)?.method.clone()))),
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.set-method",
        &[me_r.clone(), ("method", t.method.clone())],
        Some(result(None, None)),
        move |_, a| {
            let m = a.get(1).and_then(method_value);
            set_request(&o, a, m, |r, m| r.method = m)
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-path-with-query",
        std::slice::from_ref(&me_r),
        Some(option(T::String)),
        move |_, a| {
            with(&o, a, |x| {
                Ok(Some(opt_value(
                    request_of(x)?.path.clone().map(Value::String),
                )))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.set-path-with-query",
        &[me_r.clone(), ("path-with-query", option(T::String))],
        Some(result(None, None)),
        move |_, a| {
            let p = opt_string(a.get(1))?;
            let checked = match &p {
                None => Some(None),
                Some(s) => path_value(s).map(Some),
            };
            set_request(&o, a, checked, |r, p| r.path = p)
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-scheme",
        std::slice::from_ref(&me_r),
        Some(option(t.scheme.clone())),
        move |_, a| {
            with(&o, a, |x| {
                Ok(Some(opt_value(request_of(x)?.scheme.clone())))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.set-scheme",
        &[me_r.clone(), ("scheme", option(t.scheme.clone()))],
        Some(result(None, None)),
        move |_, a| {
            let checked = match a.get(1) {
                Some(Value::Option(None)) => Some(None),
                Some(Value::Option(Some(s))) => scheme_value(s).map(Some),
                _ => return Err(host_trap("host: expected option<scheme>")),
            };
            set_request(&o, a, checked, |r, s| r.scheme = s)
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-authority",
        std::slice::from_ref(&me_r),
        Some(option(T::String)),
        move |_, a| {
            with(&o, a, |x| {
                Ok(Some(opt_value(
                    request_of(x)?.authority.clone().map(Value::String),
                )))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.set-authority",
        &[me_r.clone(), ("authority", option(T::String))],
        Some(result(None, None)),
        move |_, a| {
            let s = opt_string(a.get(1))?;
            let good = s.as_deref().is_none_or(valid_authority);
            set_request(&o, a, good.then_some(s), |r, s| r.authority = s)
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-options",
        std::slice::from_ref(&me_r),
        Some(option(T::Own(t.options))),
        move |_, a| {
            let opts = with(&o, a, |x| Ok(request_of(x)?.options.clone()))?;
            Ok(Some(opt_value(opts.map(|mut p| {
                p.immutable = true;
                Value::Own(lock(&o).push(Obj::Options(p)))
            }))))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]request.get-headers",
        std::slice::from_ref(&me_r),
        Some(fields.clone()),
        move |_, a| {
            let mut f = with(&o, a, |x| Ok(request_of(x)?.headers.clone()))?;
            f.immutable = true;
            Ok(Some(Value::Own(lock(&o).push(Obj::Fields(f)))))
        },
    );
    let o = objs.clone();
    let tc = t.clone();
    i = i.func_cx(
        "[static]request.consume-body",
        &[("this", T::Own(t.request)), ("res", done_fut.clone())],
        Some(tuple(vec![bytes_stream.clone(), trailers_fut.clone()])),
        move |_, cx, a| {
            let r = rep(a.first())?;
            let body = match lock(&o).map.remove(&r) {
                Some(Obj::Request(rq)) => rq.body,
                _ => return Err(host_trap("host: not a request handle")),
            };
            consume(&o, cx, body, &tc).map(Some)
        },
    );

    // ---- request-options ----
    let o = objs.clone();
    i = i.func(
        "[constructor]request-options",
        &[],
        Some(T::Own(t.options)),
        move |_, _| {
            Ok(Some(Value::Own(
                lock(&o).push(Obj::Options(Options::default())),
            )))
        },
    );
    type Get = fn(&Options) -> Option<u64>;
    type Set = fn(&mut Options) -> &mut Option<u64>;
    let timeouts: [(&str, Get, Set); 3] = [
        ("connect-timeout", |p| p.connect, |p| &mut p.connect),
        (
            "first-byte-timeout",
            |p| p.first_byte,
            |p| &mut p.first_byte,
        ),
        (
            "between-bytes-timeout",
            |p| p.between_bytes,
            |p| &mut p.between_bytes,
        ),
    ];
    for (name, get, set) in timeouts {
        let o = objs.clone();
        i = i.func(
            &format!("[method]request-options.get-{name}"),
            std::slice::from_ref(&me_o),
            Some(option(duration.clone())),
            move |_, a| {
                with(&o, a, |x| {
                    Ok(Some(opt_value(get(options_of(x)?).map(Value::U64))))
                })
            },
        );
        let o = objs.clone();
        i = i.func(
            &format!("[method]request-options.set-{name}"),
            &[me_o.clone(), ("duration", option(duration.clone()))],
            Some(oerr.clone()),
            move |_, a| {
                let d = opt_u64(a.get(1))?;
                with(&o, a, |x| {
                    let p = options_of(x)?;
                    Ok(Some(if p.immutable {
                        err(Value::Variant("immutable".into(), None))
                    } else {
                        *set(p) = d;
                        ok(None)
                    }))
                })
            },
        );
    }
    let o = objs.clone();
    i = i.func(
        "[method]request-options.clone",
        std::slice::from_ref(&me_o),
        Some(T::Own(t.options)),
        move |_, a| {
            let mut p = with(&o, a, |x| Ok(options_of(x)?.clone()))?;
            p.immutable = false;
            Ok(Some(Value::Own(lock(&o).push(Obj::Options(p)))))
        },
    );

    // ---- response ----
    let o = objs.clone();
    let done_c = done_t.clone();
    i = i.func_cx(
        "[static]response.new",
        &[
            ("headers", fields.clone()),
            ("contents", option(bytes_stream.clone())),
            ("trailers", trailers_fut.clone()),
        ],
        Some(tuple(vec![T::Own(t.response), done_fut.clone()])),
        move |_, cx, a| {
            let mut headers = take_fields(&o, a.first())?;
            headers.immutable = true;
            let body = guest_body(cx, a, 1)?;
            let r = lock(&o).push(Obj::Response(Response {
                status: 200,
                headers,
                body,
            }));
            let fut = cx.future_ready(Some(done_c.clone()), ok(None))?;
            Ok(Some(tuple2(Value::Own(r), fut)))
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]response.get-status-code",
        std::slice::from_ref(&me_p),
        Some(T::U16),
        move |_, a| with(&o, a, |x| Ok(Some(Value::U16(response_of(x)?.status)))),
    );
    let o = objs.clone();
    i = i.func(
        "[method]response.set-status-code",
        &[me_p.clone(), ("status-code", T::U16)],
        Some(result(None, None)),
        move |_, a| {
            let code = match a.get(1) {
                Some(Value::U16(c)) => *c,
                _ => return Err(host_trap("host: expected a status code")),
            };
            // RFC 9110 section 15: a status code is three digits; the
            // classes defined are 1xx to 5xx (100-599).
            let good = (100..=599).contains(&code);
            with(&o, a, |x| {
                if good {
                    response_of(x)?.status = code;
                }
                Ok(Some(unit_result(good)))
            })
        },
    );
    let o = objs.clone();
    i = i.func(
        "[method]response.get-headers",
        std::slice::from_ref(&me_p),
        Some(fields.clone()),
        move |_, a| {
            let mut f = with(&o, a, |x| Ok(response_of(x)?.headers.clone()))?;
            f.immutable = true;
            Ok(Some(Value::Own(lock(&o).push(Obj::Fields(f)))))
        },
    );
    let o = objs.clone();
    let tc = t.clone();
    i = i.func_cx(
        "[static]response.consume-body",
        &[("this", T::Own(t.response)), ("res", done_fut.clone())],
        Some(tuple(vec![bytes_stream.clone(), trailers_fut.clone()])),
        move |_, cx, a| {
            let r = rep(a.first())?;
            let body = match lock(&o).map.remove(&r) {
                Some(Obj::Response(rs)) => rs.body,
                _ => return Err(host_trap("host: not a response handle")),
            };
            consume(&o, cx, body, &tc).map(Some)
        },
    );
    let _ = (trailers_t, done_t);
    i.register(rt, "wasi:http/types", v);

    // wasi:http/client: `send` (an async function the host completes
    // before it returns).
    let o = objs.clone();
    let tc = t.clone();
    Iface::new(host)
        .ty("request", T::Own(t.request))
        .ty("response", T::Own(t.response))
        .ty("error-code", t.error_code.clone())
        .func_async(
            "send",
            &[("request", T::Own(t.request))],
            Some(result(Some(T::Own(t.response)), Some(t.error_code.clone()))),
            move |h, _cx, a| {
                let r = rep(a.first())?;
                let rq = match lock(&o).map.remove(&r) {
                    Some(Obj::Request(q)) => q,
                    _ => return Err(host_trap("host: not a request handle")),
                };
                // Network access is a capability the embedder grants.
                if !h.ctx().network_allowed() {
                    *lock(&rq.sent) = Some(err(code("HTTP-request-denied")));
                    return Ok(HostCall::Done(Some(err(code("HTTP-request-denied")))));
                }
                Ok(HostCall::Later(send_later(o.clone(), tc.clone(), rq)))
            },
        )
        .register(rt, "wasi:http/client", v);
}

/// An `error-code` case without a payload.
fn code(case: &str) -> Value {
    Value::Variant(case.to_string(), None)
}

/// `internal-error(some(why))`.
fn internal(why: impl Into<String>) -> Value {
    Value::Variant(
        "internal-error".into(),
        Some(Box::new(opt_value(Some(Value::String(why.into()))))),
    )
}

/// What a client request goes out as.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
struct Outgoing {
    method: String,
    authority: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    trailers: Option<Vec<(String, Vec<u8>)>>,
    connect_timeout: Option<Duration>,
    first_byte_timeout: Option<Duration>,
}

/// What came back.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
struct Incoming {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    trailers: Option<Vec<(String, Vec<u8>)>>,
}

use std::time::Duration;

/// `wasi:http/client.send`, finishing later: once the component has
/// written the request's body and trailers, the request goes out over
/// HTTP/1.1 (`http` scheme only) on a thread of its own, and the call
/// completes with the whole response. The VM runs on meanwhile.
fn send_later(objs: Shared, t: Arc<Types>, rq: Request) -> component::exec::HostPending {
    type Slot = Arc<Mutex<Option<Value>>>;
    let mut rq = Some(rq);
    let mut answer: Option<Slot> = None;
    let mut sent: Option<Slot> = None;
    Box::new(move |_cx| {
        use std::task::Poll;
        if let Some(slot) = &answer {
            let v = lock(slot).take();
            return match v {
                Some(v) => {
                    if let Some(s) = &sent {
                        *lock(s) = Some(match &v {
                            Value::Result(Ok(_)) => ok(None),
                            Value::Result(Err(Some(e))) => err((**e).clone()),
                            _ => err(internal("no transmission")),
                        });
                    }
                    Poll::Ready(Ok(Some(v)))
                }
                None => Poll::Pending,
            };
        }
        // The body and trailers must be complete before the request goes out.
        if let Some(Request {
            body: Body::Guest(s),
            ..
        }) = &rq
            && !s.complete()
        {
            return Poll::Pending;
        }
        let Some(q) = rq.take() else {
            return Poll::Ready(Err(host_trap("host: send polled after it finished")));
        };
        sent = Some(q.sent.clone());
        let slot: Slot = Arc::default();
        answer = Some(slot.clone());
        let (o, t) = (objs.clone(), t.clone());
        let spawned = std::thread::Builder::new()
            .name("wasi-http-send".into())
            .spawn(move || {
                let v = send(&o, &t, q);
                *lock(&slot) = Some(v);
            });
        if spawned.is_err() {
            return Poll::Ready(Ok(Some(err(internal("cannot start the request")))));
        }
        Poll::Pending
    })
}

/// Sends `rq` and reads the whole response (blocking this thread).
fn send(objs: &Shared, _t: &Types, rq: Request) -> Value {
    let out = match outgoing(objs, rq) {
        Ok(o) => o,
        Err(e) => return err(e),
    };
    match client_send(out) {
        Ok(inc) => {
            let headers = FieldList {
                entries: inc.headers,
                immutable: true,
            };
            let trailers = inc.trailers.map(|e| FieldList {
                entries: e,
                immutable: true,
            });
            let resp = Response {
                status: inc.status,
                headers,
                body: Body::Host(inc.body, trailers),
            };
            ok(Some(Value::Own(lock(objs).push(Obj::Response(resp)))))
        }
        Err(e) => err(e),
    }
}

/// Checks a request for sending (wasi:http/types `request`: "it is the
/// obligation of `send` to reject invalid constructions").
fn outgoing(objs: &Shared, rq: Request) -> Result<Outgoing, Value> {
    match &rq.scheme {
        None => {}
        Some(Value::Variant(c, None)) if c == "HTTP" => {}
        Some(_) => return Err(internal("only the http scheme is supported")),
    }
    let method = method_token(&rq.method).ok_or_else(|| code("HTTP-request-method-invalid"))?;
    let authority = rq
        .authority
        .clone()
        .ok_or_else(|| code("HTTP-request-URI-invalid"))?;
    let (body, trailers) = match rq.body {
        Body::Guest(sunk) => {
            if let Some(n) = sunk.too_long() {
                return Err(Value::Variant(
                    "HTTP-request-body-size".into(),
                    Some(Box::new(opt_value(Some(Value::U64(n))))),
                ));
            }
            let data = std::mem::take(&mut *lock(&sunk.data));
            let t = lock(&sunk.trailers).take();
            let trailers = match t {
                Some(Value::Result(Ok(Some(v)))) => match *v {
                    Value::Option(Some(f)) => match *f {
                        Value::Own(r) => match lock(objs).map.remove(&r) {
                            Some(Obj::Fields(f)) => Some(f.entries),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                },
                Some(Value::Result(Err(Some(e)))) => return Err(*e),
                _ => None,
            };
            (data, trailers)
        }
        Body::Host(d, t) => (d, t.map(|f| f.entries)),
    };
    // RFC 9110 section 8.6: a Content-Length the component set must be the
    // length of the body it gave (wasi:http `HTTP-request-body-size`).
    let declared = rq
        .headers
        .entries
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    if let Some((_, v)) = declared {
        let n = std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        if n != Some(body.len() as u64) {
            return Err(Value::Variant(
                "HTTP-request-body-size".into(),
                Some(Box::new(opt_value(Some(Value::U64(body.len() as u64))))),
            ));
        }
    }
    let ns = |d: Option<u64>| d.map(Duration::from_nanos);
    Ok(Outgoing {
        method,
        authority,
        path: rq.path.unwrap_or_else(|| "/".to_string()),
        headers: rq.headers.entries,
        body,
        trailers,
        connect_timeout: ns(rq.options.as_ref().and_then(|o| o.connect)),
        first_byte_timeout: ns(rq.options.as_ref().and_then(|o| o.first_byte)),
    })
}

#[cfg(not(feature = "http"))]
fn client_send(_o: Outgoing) -> Result<Incoming, Value> {
    Err(internal(
        "wasi:http/client needs the `http` feature of reference-vm",
    ))
}

/// How long a request may wait when its options set no timeout.
#[cfg(feature = "http")]
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

#[cfg(feature = "http")]
pub use wire::Frames;

#[cfg(feature = "http")]
mod wire {
    //! HTTP/1.1 over hyper, on a current-thread tokio runtime.
    use super::*;
    use bytes::Bytes;
    use http_body_util::BodyExt;
    use hyper::body::Frame;
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A body given in advance: its data, then its trailers, and its size
    /// when known (`None`: it goes chunked, RFC 9112 section 7.1, with the
    /// trailers in the trailer section).
    pub struct Frames(pub VecDeque<Frame<Bytes>>, pub Option<u64>);

    impl hyper::body::Body for Frames {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
        fn is_end_stream(&self) -> bool {
            self.0.is_empty()
        }
        fn size_hint(&self) -> hyper::body::SizeHint {
            match self.1 {
                Some(n) => hyper::body::SizeHint::with_exact(n),
                None => hyper::body::SizeHint::default(),
            }
        }
    }

    /// A body of `data` (with its length) or, with trailers, chunked.
    pub(super) fn frames(data: Vec<u8>, trailers: Option<&[(String, Vec<u8>)]>) -> Frames {
        let mut f = VecDeque::new();
        let len = data.len() as u64;
        if !data.is_empty() {
            f.push_back(Frame::data(Bytes::from(data)));
        }
        match trailers {
            Some(t) => {
                f.push_back(Frame::trailers(header_map(t)));
                Frames(f, None)
            }
            None => Frames(f, Some(len)),
        }
    }

    /// Announces `trailers`' names in a Trailer field (RFC 9110 section
    /// 6.6.2; hyper sends only announced trailer fields).
    pub(super) fn announce(h: &mut hyper::HeaderMap, trailers: Option<&[(String, Vec<u8>)]>) {
        let Some(t) = trailers.filter(|t| !t.is_empty()) else {
            return;
        };
        let names = t
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(v) = ::http::HeaderValue::from_str(&names) {
            h.insert(::http::header::TRAILER, v);
        }
    }

    pub(super) fn header_map(fields: &[(String, Vec<u8>)]) -> hyper::HeaderMap {
        let mut m = hyper::HeaderMap::new();
        for (k, v) in fields {
            if let (Ok(k), Ok(v)) = (
                ::http::HeaderName::from_bytes(k.as_bytes()),
                ::http::HeaderValue::from_bytes(v),
            ) {
                m.append(k, v);
            }
        }
        m
    }

    pub(super) fn entries(m: &hyper::HeaderMap) -> Vec<(String, Vec<u8>)> {
        m.iter()
            .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    /// The `error-code` of a failed connect (wasi:http/types `error-code`,
    /// after the IANA proxy error types).
    pub(super) fn connect_error(e: &std::io::Error) -> Value {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => code("connection-refused"),
            K::TimedOut => code("connection-timeout"),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                code("connection-terminated")
            }
            K::NotFound | K::InvalidInput => Value::Variant(
                "DNS-error".into(),
                Some(Box::new(record(vec![
                    ("rcode", opt_value(None)),
                    ("info-code", opt_value(None)),
                ]))),
            ),
            _ => code("destination-unavailable"),
        }
    }

    pub(super) fn hyper_error(e: &hyper::Error) -> Value {
        if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
            code("HTTP-response-incomplete")
        } else if e.is_parse() {
            code("HTTP-protocol-error")
        } else if e.is_timeout() {
            code("HTTP-response-timeout")
        } else {
            internal(e.to_string())
        }
    }

    /// Connects to `authority` (any userinfo dropped) within `timeout` and
    /// shakes hands over HTTP/1.1; the connection runs on a task of its own.
    pub(super) async fn open<B>(
        authority: &str,
        timeout: Duration,
    ) -> Result<
        (
            hyper::client::conn::http1::SendRequest<B>,
            tokio::task::JoinHandle<hyper::Result<()>>,
        ),
        Value,
    >
    where
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let addr = authority.rsplit('@').next().unwrap_or("");
        let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| code("connection-timeout"))?
            .map_err(|e| connect_error(&e))?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| hyper_error(&e))?;
        Ok((sender, tokio::spawn(conn)))
    }

    /// A client request's head: method, path, the component's fields, the
    /// authority as `Host` (RFC 9110 section 7.2), and `TE: trailers`
    /// (section 10.1.4: this client takes a trailer section, which hyper's
    /// server sends only when asked).
    pub(super) fn request_head(
        method: &str,
        path: &str,
        authority: &str,
        headers: &[(String, Vec<u8>)],
    ) -> ::http::request::Builder {
        let mut b = hyper::Request::builder().method(method).uri(path);
        if let Some(h) = b.headers_mut() {
            *h = header_map(headers);
            if let Ok(v) = ::http::HeaderValue::from_str(authority) {
                h.insert(::http::header::HOST, v);
            }
            h.insert(
                ::http::header::TE,
                ::http::HeaderValue::from_static("trailers"),
            );
        }
        b
    }

    pub(super) fn send(o: Outgoing) -> Result<Incoming, Value> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| internal(e.to_string()))?;
        rt.block_on(async move {
            let (mut sender, conn) =
                open(&o.authority, o.connect_timeout.unwrap_or(DEFAULT_TIMEOUT)).await?;
            let b = request_head(&o.method, &o.path, &o.authority, &o.headers);
            let req = b
                .body(frames(o.body, o.trailers.as_deref()))
                .map_err(|_| code("HTTP-request-URI-invalid"))?;
            let resp = tokio::time::timeout(
                o.first_byte_timeout.unwrap_or(DEFAULT_TIMEOUT),
                sender.send_request(req),
            )
            .await
            .map_err(|_| code("HTTP-response-timeout"))?
            .map_err(|e| hyper_error(&e))?;
            let status = resp.status().as_u16();
            let headers = entries(resp.headers());
            let limited = http_body_util::Limited::new(resp.into_body(), MAX_BODY);
            let collected = tokio::time::timeout(DEFAULT_TIMEOUT, limited.collect())
                .await
                .map_err(|_| code("HTTP-response-timeout"))?
                .map_err(|e| match e.downcast_ref::<hyper::Error>() {
                    Some(e) => hyper_error(e),
                    // Past the host's cap (http_body_util's LengthLimitError).
                    None => Value::Variant(
                        "HTTP-response-body-size".into(),
                        Some(Box::new(opt_value(None))),
                    ),
                })?;
            let trailers = collected.trailers().map(entries);
            conn.abort();
            Ok(Incoming {
                status,
                headers,
                body: collected.to_bytes().to_vec(),
                trailers,
            })
        })
    }
}

#[cfg(feature = "http")]
fn client_send(o: Outgoing) -> Result<Incoming, Value> {
    wire::send(o)
}

/// The `wasi:http/handler@0.3.x` export to call.
#[cfg(feature = "http")]
fn handler_export(c: &component::syntax::Component) -> Option<String> {
    c.defs.iter().find_map(|d| match d {
        component::syntax::Definition::Export(e)
            if e.name.name.starts_with("wasi:http/handler@0.3.") =>
        {
            Some(e.name.name.clone())
        }
        _ => None,
    })
}

/// One request the server hands the VM, and where its answer goes.
#[cfg(feature = "http")]
struct Job {
    method: String,
    path: String,
    authority: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    trailers: Option<Vec<(String, Vec<u8>)>>,
    reply: tokio::sync::oneshot::Sender<Incoming>,
}

/// Serves a `wasi:http/service` component (`wasi:http/handler@0.3.x`
/// exported) on `listener` until `stop` is set: each request becomes a
/// host `request` the component's `handle` gets, on one instance, one
/// request at a time; its `response` goes back with the body the component
/// wrote. A `handle` that fails or traps answers 500. Returns exit code 0
/// once stopped; decoding, validation and linking errors as with
/// [`super::run_component`].
#[cfg(feature = "http")]
pub fn serve_component(
    bytes: &[u8],
    ctx: WasiCtx,
    config: Config,
    listener: std::net::TcpListener,
    stop: Arc<AtomicBool>,
) -> Result<RunResult, RunError> {
    let mut config = config;
    config.interrupt = Some(ctx.interrupt_handle());
    let features = config.features;
    let c = component::decode_component(bytes, &features)
        .map_err(|e| RunError::Decode(e.to_string()))?;
    component::validate_component(&c, &features).map_err(|e| RunError::Invalid(e.to_string()))?;
    // A `wasi:http/service` (0.3) export is preferred; else the 0.2
    // `wasi:http/proxy` world's `incoming-handler`.
    let handler = handler_export(&c);
    let proxy = p2::incoming_handler_export(&c);
    if handler.is_none() && proxy.is_none() {
        return Err(RunError::NoStart);
    }
    let interrupt = ctx.interrupt_handle();
    let ctx = Arc::new(Mutex::new(ctx));
    let c = Arc::new(c);
    let Some(handler) = handler else {
        let export = proxy.unwrap_or_default();
        let r = p2::serve_p2(&c, &ctx, &config, &export, listener, &stop);
        interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
        return r;
    };
    let mut rt = Runtime::new(config);
    let objs = super::link(&mut rt, ctx).p3;
    let inst = match rt.instantiate(&c) {
        Ok(i) => i,
        Err(component::Error::Unlinkable(m)) => return Err(RunError::Link(m)),
        Err(component::Error::Trap(t)) => return super::trap_outcome(t),
    };
    let (jobs, rx) = std::sync::mpsc::channel::<Job>();
    let (quit, quitted) = tokio::sync::oneshot::channel::<()>();
    listener
        .set_nonblocking(true)
        .map_err(|e| RunError::Link(format!("cannot serve: {e}")))?;
    let server = std::thread::Builder::new()
        .name("wasi-http-serve".into())
        .spawn(move || accept_loop(listener, jobs, quitted, answer))
        .map_err(|e| RunError::Link(format!("cannot serve: {e}")))?;
    let mut outcome = Ok(RunResult { exit_code: 0 });
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let job = match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(j) => j,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        };
        let (answer, trap) = handle(&mut rt, inst, &handler, &objs, &job);
        let _ = job.reply.send(answer);
        if let Some(t) = trap {
            // A trapped instance may not be entered again (component model:
            // a trap poisons the instance): serving ends with the trap.
            outcome = super::trap_outcome(t);
            break;
        }
    }
    interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = quit.send(());
    let _ = server.join();
    outcome
}

/// Calls `handle` for one job: the answer, and the trap if it trapped.
#[cfg(feature = "http")]
fn handle(
    rt: &mut Runtime,
    inst: component::exec::InstanceId,
    handler: &str,
    objs: &Shared,
    job: &Job,
) -> (Incoming, Option<Trap>) {
    let fail = |status: u16| Incoming {
        status,
        headers: Vec::new(),
        body: Vec::new(),
        trailers: None,
    };
    let method = METHODS.iter().find(|(_, t)| *t == job.method).map_or_else(
        || {
            Value::Variant(
                "other".into(),
                Some(Box::new(Value::String(job.method.clone()))),
            )
        },
        |(c, _)| Value::Variant(c.to_string(), None),
    );
    let rq = Request {
        method,
        path: Some(job.path.clone()),
        scheme: Some(Value::Variant("HTTP".into(), None)),
        authority: job.authority.clone(),
        headers: FieldList {
            entries: job.headers.clone(),
            immutable: true,
        },
        options: None,
        sent: Arc::default(),
        body: Body::Host(
            job.body.clone(),
            job.trailers.clone().map(|e| FieldList {
                entries: e,
                immutable: true,
            }),
        ),
    };
    let r = lock(objs).push(Obj::Request(rq));
    let got = rt.invoke_path(inst, &[handler, "handle"], &[Value::Own(r)]);
    let resp = match got {
        Err(t) => return (fail(500), Some(t)),
        Ok(v) => match v.into_iter().next() {
            Some(Value::Result(Ok(Some(v)))) => match *v {
                Value::Own(r) => lock(objs).map.remove(&r),
                _ => None,
            },
            _ => None,
        },
    };
    let Some(Obj::Response(resp)) = resp else {
        return (fail(500), None);
    };
    // The component may write the body after `handle` returned: the event
    // loop runs until the body and its trailers are complete.
    if let Body::Guest(s) = &resp.body {
        let s = s.clone();
        if let Err(t) = rt.run_until(|| s.complete()) {
            return (fail(500), Some(t));
        }
    }
    let (body, trailers) = match resp.body {
        Body::Guest(sunk) => {
            if sunk.too_long().is_some() {
                return (fail(500), None);
            }
            let data = std::mem::take(&mut *lock(&sunk.data));
            let t = lock(&sunk.trailers).take();
            let trailers = match t {
                Some(Value::Result(Ok(Some(v)))) => match *v {
                    Value::Option(Some(f)) => match *f {
                        Value::Own(r) => match lock(objs).map.remove(&r) {
                            Some(Obj::Fields(f)) => Some(f.entries),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            (data, trailers)
        }
        Body::Host(d, t) => (d, t.map(|f| f.entries)),
    };
    (
        Incoming {
            status: resp.status,
            headers: resp.headers.entries,
            body,
            trailers,
        },
        None,
    )
}

/// The server side of both `serve` forms: accepts connections and answers
/// each request with `answer` (which hands it to the VM through `jobs`),
/// until `quit`.
#[cfg(feature = "http")]
pub(super) fn accept_loop<J, B, Fut>(
    listener: std::net::TcpListener,
    jobs: std::sync::mpsc::Sender<J>,
    mut quit: tokio::sync::oneshot::Receiver<()>,
    answer: fn(std::sync::mpsc::Sender<J>, hyper::Request<hyper::body::Incoming>) -> Fut,
) where
    J: Send + 'static,
    Fut: std::future::Future<Output = hyper::Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        let Ok(l) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        loop {
            let accepted = tokio::select! {
                _ = &mut quit => break,
                a = l.accept() => a,
            };
            let Ok((stream, _)) = accepted else { continue };
            let jobs = jobs.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let reply = answer(jobs.clone(), req);
                        async move { Ok::<_, std::convert::Infallible>(reply.await) }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}

/// One request to a served `wasi:http/service` component: its body read
/// whole (413 past [`MAX_BODY`]), handed to the VM, answered with what the
/// component returned (503 when the VM is gone).
#[cfg(feature = "http")]
async fn answer(
    jobs: std::sync::mpsc::Sender<Job>,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Frames> {
    use http_body_util::BodyExt;
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    let (body, trailers) = match limited.collect().await {
        Ok(c) => {
            let t = c.trailers().map(wire::entries);
            (c.to_bytes().to_vec(), t)
        }
        // RFC 9110 section 15.5.14: past the host's cap.
        Err(e) if e.downcast_ref::<hyper::Error>().is_none() => {
            let mut r = hyper::Response::new(wire::frames(Vec::new(), None));
            *r.status_mut() = hyper::StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        }
        Err(_) => (Vec::new(), None),
    };
    let (reply, answered) = tokio::sync::oneshot::channel();
    let job = Job {
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
        body,
        trailers,
        reply,
    };
    let inc = match jobs.send(job) {
        Ok(()) => answered.await.ok(),
        Err(_) => None,
    };
    let inc = inc.unwrap_or(Incoming {
        status: 503,
        headers: Vec::new(),
        body: Vec::new(),
        trailers: None,
    });
    let mut headers = wire::header_map(&inc.headers);
    wire::announce(&mut headers, inc.trailers.as_deref());
    let mut resp = hyper::Response::new(wire::frames(inc.body, inc.trailers.as_deref()));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(inc.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    *resp.headers_mut() = headers;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response body past the host's cap fails the request with
    /// `HTTP-response-body-size` instead of growing the host without bound.
    #[cfg(feature = "http")]
    #[test]
    fn a_response_body_past_the_cap_is_a_body_size_error() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut head = [0u8; 1024];
            let _ = conn.read(&mut head);
            let len = MAX_BODY + 1;
            let _ = write!(conn, "HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n");
            let chunk = vec![b'x'; 1 << 16];
            let mut sent = 0;
            while sent < len {
                let n = chunk.len().min(len - sent);
                if conn.write_all(&chunk[..n]).is_err() {
                    break;
                }
                sent += n;
            }
        });
        let r = wire::send(Outgoing {
            method: "GET".into(),
            authority: addr.to_string(),
            path: "/".into(),
            headers: Vec::new(),
            body: Vec::new(),
            trailers: None,
            connect_timeout: None,
            first_byte_timeout: None,
        });
        match r {
            Err(Value::Variant(case, _)) => assert_eq!(case, "HTTP-response-body-size"),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("a body past the cap was taken"),
        }
        let _ = server.join();
    }

    #[test]
    fn field_names_are_tokens() {
        for good in ["foo", "x-a", "!#$%&'*+-.^_`|~", "A1"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "", "voilà", "hey ho", " x", "(a)", "[a]", "{a}", "a:b", "\"q\"",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn field_values_exclude_controls() {
        assert!(valid_value(b""));
        assert!(valid_value(b" \t x \t"));
        assert!(valid_value(&[0x80, 0xff]));
        for bad in [b"\n".as_slice(), b"\r", b"\0", &[0x7f], &[0x01]] {
            assert!(!valid_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn fields_set_append_delete_and_errors() {
        let mut f = FieldList::default();
        assert_eq!(f.append("Foo", b"1".to_vec()), Ok(()));
        assert_eq!(f.append("foo", b"2".to_vec()), Ok(()));
        // The casing the name first had is kept.
        assert_eq!(
            f.entries,
            vec![("Foo".into(), b"1".to_vec()), ("Foo".into(), b"2".to_vec())]
        );
        assert_eq!(f.get("FOO"), vec![b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(f.append("Host", b"x".to_vec()), Err(HeaderError::Forbidden));
        assert_eq!(
            f.append("a b", b"x".to_vec()),
            Err(HeaderError::InvalidSyntax)
        );
        assert_eq!(
            f.append("a", b"\n".to_vec()),
            Err(HeaderError::InvalidSyntax)
        );
        assert_eq!(f.delete("foo"), Ok(vec![b"1".to_vec(), b"2".to_vec()]));
        assert!(!f.has("foo"));
        f.immutable = true;
        assert_eq!(f.set("x", vec![]), Err(HeaderError::Immutable));
        assert_eq!(
            FieldList::from_entries(vec![("ok".into(), vec![]), ("te\0".into(), vec![])]).err(),
            Some(HeaderError::InvalidSyntax)
        );
    }

    #[test]
    fn methods_schemes_paths_authorities() {
        let other =
            |s: &str| Value::Variant("other".into(), Some(Box::new(Value::String(s.into()))));
        assert_eq!(
            method_value(&other("GET")),
            Some(Value::Variant("get".into(), None))
        );
        assert_eq!(method_value(&other("coucou")), Some(other("coucou")));
        assert_eq!(method_value(&other("")), None);
        assert_eq!(method_value(&other("a b")), None);
        assert_eq!(
            scheme_value(&other("https")),
            Some(Value::Variant("HTTPS".into(), None))
        );
        assert_eq!(scheme_value(&other("x")), Some(other("x")));
        assert_eq!(scheme_value(&other("!")), None);
        assert_eq!(path_value(""), Some("/".into()));
        assert_eq!(path_value("/a?b"), Some("/a?b".into()));
        assert_eq!(path_value("/ a"), None);
        for rel in ["a/b/c", "../..", "?foo"] {
            assert_eq!(path_value(rel), Some(rel.to_string()));
        }
        for good in ["1.2.3.4:80", "user:pass@localhost:80", "example.com"] {
            assert!(valid_authority(good), "{good}");
        }
        for bad in ["::", ":@", "@@", "@:", " ", "", "#", "localhost:what"] {
            assert!(!valid_authority(bad), "{bad}");
        }
    }
}
