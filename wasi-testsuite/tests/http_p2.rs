//! wasi:http@0.2 in the reference VM, end to end: components built here
//! from a core module (tests/http_p2/*.wat) and the WIT world they target
//! (tests/http_p2/world.wit, the subset of wasi:http@0.2.12 they use),
//! talking to the runner's loopback test servers or served by
//! `serve_component` to requests the test makes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reference_vm::component::{self, Runtime, Value};
use reference_vm::wasi::WasiCtx;
use wasi_testsuite::net::{self, Servers};
use wasi_testsuite::spec::{EndpointSpec, ServerSpec};

const WIT: &str = include_str!("http_p2/world.wit");
const COMMON: &str = include_str!("http_p2/common.wat");
const CLIENT: &str = include_str!("http_p2/client.wat");
const PROXY: &str = include_str!("http_p2/proxy.wat");
/// How long a request the test makes may take before the test fails
/// (a hang guard, not a measurement).
const GUARD: Duration = Duration::from_secs(120);

/// The component of world `world` from the shared helpers and `part`.
fn component(world: &str, part: &str) -> Vec<u8> {
    let (imports, body) = part.split_once(";;BODY;;").expect("marker");
    let text = format!(
        "(module\n{}\n{body}\n)",
        COMMON.replace(";;IMPORTS;;", imports)
    );
    let mut module = wat::parse_str(&text).expect("test module parses");
    let mut resolve = wit_parser::Resolve::default();
    let pkg = resolve
        .push_source("world.wit", WIT)
        .expect("test WIT resolves");
    let w = resolve
        .select_world(&[pkg], Some(world))
        .expect("world exists");
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        w,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("metadata embeds");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .unwrap_or_else(|e| panic!("component encodes: {e:#}"))
}

/// The client component instantiated over a fresh WASI context.
fn client(network: bool) -> (Runtime, component::exec::InstanceId) {
    let bytes = component("client", CLIENT);
    let config = reference_vm::Config::default();
    let c = component::decode_component(&bytes, &config.features).expect("decodes");
    component::validate_component(&c, &config.features).expect("validates");
    let ctx = WasiCtx::builder().allow_network(network).build();
    let mut rt = Runtime::new(config);
    reference_vm::wasi::component::link_component(&mut rt, Arc::new(Mutex::new(ctx)));
    let inst = rt.instantiate(&Arc::new(c)).expect("instantiates");
    (rt, inst)
}

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

fn bytes_value(b: &[u8]) -> Value {
    Value::List(b.iter().map(|&b| Value::U8(b)).collect())
}

fn bytes_of(v: &Value) -> Vec<u8> {
    match v {
        Value::List(l) => l
            .iter()
            .map(|b| match b {
                Value::U8(b) => *b,
                other => panic!("not a byte: {other:?}"),
            })
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

fn u32_of(v: &Value) -> u32 {
    match v {
        Value::U32(n) => *n,
        other => panic!("not a u32: {other:?}"),
    }
}

/// The single tuple a test export returned.
fn tuple(got: Vec<Value>) -> Vec<Value> {
    match got.into_iter().next() {
        Some(Value::Tuple(t)) => t,
        other => panic!("expected a tuple, got {other:?}"),
    }
}

/// The index of `case` in wasi:http/types `error-code` (the WIT's order).
fn error_case(case: &str) -> u32 {
    let start = WIT.find("variant error-code {").expect("error-code in WIT");
    let body = &WIT[start..];
    let body = &body[body.find('{').unwrap_or(0) + 1..body.find('}').unwrap_or(0)];
    body.split(',')
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .position(|c| c.split('(').next() == Some(case))
        .unwrap_or_else(|| panic!("no error-code case {case}")) as u32
}

fn echo_servers() -> Servers {
    let ep = |path: &str, mode: &str| EndpointSpec {
        method: "POST".into(),
        path: path.into(),
        mode: Some(mode.into()),
        ..EndpointSpec::default()
    };
    Servers::start(&[
        ServerSpec {
            name: "echo".into(),
            kind: None,
            endpoints: vec![ep("/echo", "echo-body"), ep("/headers", "echo-headers")],
        },
        ServerSpec {
            name: "closed".into(),
            kind: Some("closed".into()),
            endpoints: Vec::new(),
        },
    ])
    .expect("test servers start")
}

fn addr_of(s: &Servers, name: &str) -> String {
    let key = format!("HTTP_SERVER_{}", name.to_uppercase());
    s.env
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
        .expect("server address")
}

#[test]
fn client_sends_a_streamed_body_and_reads_the_echo() {
    let servers = echo_servers();
    let echo = addr_of(&servers, "echo");
    let (mut rt, inst) = client(true);
    let body = b"a request body, streamed after handle".to_vec();
    let got = rt
        .invoke_path(
            inst,
            &["roundtrip"],
            &[
                string(&echo),
                string("/echo"),
                bytes_value(&body),
                Value::Bool(false),
                string("content-length"),
            ],
        )
        .expect("roundtrip runs");
    let t = tuple(got);
    assert_eq!(u32_of(&t[0]), 200);
    // The echo server answers with a body of the request's length.
    assert_eq!(bytes_of(&t[1]), body.len().to_string().into_bytes());
    assert_eq!(bytes_of(&t[2]), body);
    // The test server sends no trailer section: `get` gives none.
    assert_eq!(bytes_of(&t[3]), b"");
}

#[test]
fn client_headers_and_trailers_reach_the_server() {
    let servers = echo_servers();
    let echo = addr_of(&servers, "echo");
    let (mut rt, inst) = client(true);
    for (want, value) in [("x-echo-x-test", "hello"), ("x-trailer-x-t", "tv")] {
        let got = rt
            .invoke_path(
                inst,
                &["roundtrip"],
                &[
                    string(&echo),
                    string("/headers"),
                    bytes_value(b"with trailers"),
                    Value::Bool(true),
                    string(want),
                ],
            )
            .expect("roundtrip runs");
        let t = tuple(got);
        assert_eq!(u32_of(&t[0]), 200, "{want}");
        assert_eq!(bytes_of(&t[1]), value.as_bytes(), "{want}");
    }
}

#[test]
fn header_errors_follow_the_spec() {
    let (mut rt, inst) = client(false);
    let got = rt
        .invoke_path(inst, &["header-errors"], &[])
        .expect("header-errors runs");
    let codes = bytes_of(&got[0]);
    let case = |c: &str| {
        ["invalid-syntax", "forbidden", "immutable"]
            .iter()
            .position(|x| *x == c)
            .expect("header-error case") as u8
    };
    assert_eq!(
        codes,
        vec![
            case("invalid-syntax"), // append "bad name"
            case("invalid-syntax"), // append a value with a newline
            case("forbidden"),      // append Connection
            255,                    // append x-ok: fine
            case("forbidden"),      // from-list [(host, ..)]
            case("immutable"),      // append to outgoing-request.headers
            case("immutable"),      // delete from them
            1,                      // get "X-OK": one value
        ]
    );
}

#[test]
fn client_error_codes() {
    let servers = echo_servers();
    let (echo, closed) = (addr_of(&servers, "echo"), addr_of(&servers, "closed"));
    let run = |network: bool, authority: &str, mode: u32| {
        let (mut rt, inst) = client(network);
        let got = rt
            .invoke_path(inst, &["failure"], &[string(authority), Value::U32(mode)])
            .expect("failure runs");
        tuple(got).iter().map(u32_of).collect::<Vec<_>>()
    };
    // Refused connection: through the future.
    assert_eq!(
        run(true, &closed, 0),
        vec![1, error_case("connection-refused"), 0]
    );
    // No network permission: `handle` refuses at once.
    assert_eq!(
        run(false, &echo, 0),
        vec![0, error_case("HTTP-request-denied"), 0]
    );
    // A GET to a path the server does not know: a response, 404.
    assert_eq!(run(true, &echo, 0), vec![3, 404, 0]);
    // Content-Length 10: a write past it fails with an error whose
    // http-error-code is HTTP-request-body-size, and `finish` after 3
    // bytes is refused with it too.
    let size = error_case("HTTP-request-body-size");
    assert_eq!(run(true, &echo, 1), vec![2, size, size + 1]);
}

#[test]
fn serves_the_proxy_world() {
    let (addr, stop, server) = serve_proxy();
    let mut answers = Vec::new();
    for body in ["first", "second request"] {
        answers.push(net::http_request(
            addr,
            "POST",
            "/any?q=1",
            &[
                ("x-test".to_string(), format!("v-{body}")),
                // RFC 9110 section 10.1.4: this client takes trailers.
                ("te".to_string(), "trailers".to_string()),
            ],
            Some(body),
            GUARD,
        ));
    }
    // A handler that traps (no x-test header) answers 500; its instance
    // was the request's own, so serving goes on.
    let trapped = net::http_request(addr, "GET", "/", &[], None, GUARD);
    let after = net::http_request(
        addr,
        "POST",
        "/",
        &[("x-test".to_string(), "again".to_string())],
        Some("z"),
        GUARD,
    );
    stop.store(true, Ordering::SeqCst);
    let served = server.join().expect("server thread");
    assert_eq!(served.map(|r| r.exit_code).ok(), Some(0));
    assert_eq!(trapped.expect("a response").status, 500);
    let after = after.expect("a response");
    assert_eq!((after.status, after.body), (201, b"echo:z".to_vec()));
    for (a, body) in answers.into_iter().zip(["first", "second request"]) {
        let got = a.expect("a response");
        assert_eq!(got.status, 201);
        let header = got
            .headers
            .iter()
            .find(|(k, _)| k == "x-got")
            .map(|(_, v)| v.clone());
        assert_eq!(header, Some(format!("v-{body}").into_bytes()));
        assert_eq!(got.body, format!("echo:{body}").into_bytes());
        assert_eq!(
            got.trailers,
            Some(vec![("x-t".to_string(), b"tv".to_vec())])
        );
    }
}

/// Serves the proxy component on a loopback port until the returned flag
/// is set; the thread gives serving's outcome.
fn serve_proxy() -> (
    std::net::SocketAddr,
    Arc<AtomicBool>,
    std::thread::JoinHandle<Result<reference_vm::wasi::RunResult, reference_vm::wasi::RunError>>,
) {
    let bytes = component("proxy", PROXY);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let server = std::thread::spawn(move || {
        reference_vm::wasi::component::http::serve_component(
            &bytes,
            WasiCtx::builder().build(),
            reference_vm::Config::default(),
            listener,
            st,
        )
    });
    (addr, stop, server)
}

#[test]
fn client_component_talks_to_the_served_proxy() {
    let (addr, stop, server) = serve_proxy();
    let (mut rt, inst) = client(true);
    let got = rt.invoke_path(
        inst,
        &["roundtrip"],
        &[
            string(&addr.to_string()),
            string("/p"),
            bytes_value(b"payload"),
            Value::Bool(false),
            string("x-got"),
        ],
    );
    stop.store(true, Ordering::SeqCst);
    let served = server.join().expect("server thread");
    assert_eq!(served.map(|r| r.exit_code).ok(), Some(0));
    let t = tuple(got.expect("roundtrip runs"));
    assert_eq!(u32_of(&t[0]), 201);
    assert_eq!(bytes_of(&t[1]), b"hello");
    assert_eq!(bytes_of(&t[2]), b"echo:payload");
    // The proxy's trailer, through incoming-body.finish and future-trailers.
    assert_eq!(bytes_of(&t[3]), b"tv");
}
