//! The runner's network side, on loopback only: the HTTP test servers a
//! spec's `servers` describes, connections to a program's sockets
//! (`connect`/`send`/`recv`), HTTP requests to a served component
//! (`request`), and the steps' driver over a [`Running`] program.
//!
//! HTTP is spoken with hyper (no hand-written HTTP). Every wait has a
//! deadline; dropping a [`Servers`] stops its servers and joins their
//! threads, so no port or thread outlives a test.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;

use reference_vm::wasi::component::http::Frames;

use super::runtime::RunOutput;
use super::spec::{EndpointSpec, NetStep, ResponseSpec, ServerSpec, server_env_name};

/// How long one network step may wait (connecting, reading, a response).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

type Body = BoxBody<Bytes, Infallible>;

fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

/// A header map from a spec's fields (names and values as given; an
/// invalid one is left out).
fn header_map(fields: &std::collections::BTreeMap<String, String>) -> hyper::HeaderMap {
    let mut m = hyper::HeaderMap::new();
    for (k, v) in fields {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            m.append(k, v);
        }
    }
    m
}

/// The response of a fixed endpoint: `body` with its length, or `chunks`
/// (and `trailers`) chunked.
fn fixed_response(r: &ResponseSpec) -> hyper::Response<Body> {
    let body = if r.chunks.is_empty() && r.trailers.is_empty() {
        full(r.body.clone().unwrap_or_default())
    } else {
        let mut frames: VecDeque<Frame<Bytes>> = r
            .chunks
            .iter()
            .chain(r.body.iter())
            .map(|c| Frame::data(Bytes::from(c.clone())))
            .collect();
        if !r.trailers.is_empty() {
            frames.push_back(Frame::trailers(header_map(&r.trailers)));
        }
        Frames(frames, None).boxed()
    };
    let mut resp = hyper::Response::new(body);
    *resp.status_mut() =
        hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    *resp.headers_mut() = header_map(&r.headers);
    // RFC 9110 section 6.6.2: the Trailer field announces the trailer
    // fields (hyper sends only the ones announced).
    if !r.trailers.is_empty() {
        let names = r.trailers.keys().cloned().collect::<Vec<_>>().join(", ");
        if let Ok(v) = hyper::header::HeaderValue::from_str(&names) {
            resp.headers_mut().insert(hyper::header::TRAILER, v);
        }
    }
    resp
}

/// Answers one request to a test server.
async fn answer(
    endpoints: Arc<Vec<EndpointSpec>>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    let target = req
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let status = |s: u16| {
        let mut r = hyper::Response::new(full(Bytes::new()));
        *r.status_mut() = hyper::StatusCode::from_u16(s).unwrap_or_default();
        Ok(r)
    };
    let Some(ep) = endpoints
        .iter()
        .find(|e| e.path == target && e.method == method)
    else {
        // RFC 9110 sections 15.5.5/15.5.6: an unknown target, or a known
        // one with another method.
        return status(if endpoints.iter().any(|e| e.path == target) {
            405
        } else {
            404
        });
    };
    match ep.mode.as_deref() {
        Some("echo-body") => {
            let body = match req.into_body().collect().await {
                Ok(c) => c.to_bytes(),
                Err(_) => return status(400),
            };
            Ok(hyper::Response::new(full(body)))
        }
        Some("echo-headers") => {
            let mut out = hyper::HeaderMap::new();
            let echo = |out: &mut hyper::HeaderMap, prefix: &str, m: &hyper::HeaderMap| {
                for (k, v) in m {
                    if let Ok(k) = hyper::header::HeaderName::from_bytes(
                        format!("{prefix}{}", k.as_str()).as_bytes(),
                    ) {
                        out.append(k, v.clone());
                    }
                }
            };
            echo(&mut out, "x-echo-", req.headers());
            for (k, v) in [("x-request-method", &method), ("x-request-path", &target)] {
                if let Ok(v) = hyper::header::HeaderValue::from_str(v) {
                    out.insert(k, v);
                }
            }
            // The request's trailers come after its body.
            let collected = match req.into_body().collect().await {
                Ok(c) => c,
                Err(_) => return status(400),
            };
            if let Some(t) = collected.trailers() {
                echo(&mut out, "x-trailer-", t);
            }
            let mut r = hyper::Response::new(full(Bytes::new()));
            *r.headers_mut() = out;
            Ok(r)
        }
        Some(_) => status(500),
        None => Ok(match &ep.response {
            Some(r) => fixed_response(r),
            None => hyper::Response::new(full(Bytes::new())),
        }),
    }
}

/// One running test server (or a closed port).
struct Server {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The test servers of one test: stopped when dropped.
pub struct Servers {
    servers: Vec<Server>,
    /// `HTTP_SERVER_<NAME>=host:port` for each, for the guest.
    pub env: Vec<(String, String)>,
}

impl Servers {
    /// Starts each server on `127.0.0.1:0`; a `closed` one gets a port that
    /// was free a moment ago and refuses connections.
    pub fn start(specs: &[ServerSpec]) -> Result<Servers, String> {
        let mut s = Servers {
            servers: Vec::new(),
            env: Vec::new(),
        };
        for spec in specs {
            let l = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| format!("server {}: {e}", spec.name))?;
            let addr = l.local_addr().map_err(|e| e.to_string())?;
            s.env.push((server_env_name(&spec.name), addr.to_string()));
            match spec.kind.as_deref() {
                Some("closed") => drop(l),
                Some(k) => return Err(format!("server {}: unknown kind `{k}`", spec.name)),
                None => s.servers.push(serve_endpoints(l, spec.endpoints.clone())?),
            }
        }
        Ok(s)
    }
}

fn serve_endpoints(
    l: std::net::TcpListener,
    endpoints: Vec<EndpointSpec>,
) -> Result<Server, String> {
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let endpoints = Arc::new(endpoints);
    let thread = std::thread::Builder::new()
        .name("wasi-test-server".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                    return;
                };
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        a = l.accept() => {
                            let Ok((stream, _)) = a else { continue };
                            let eps = endpoints.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |r| answer(eps.clone(), r));
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
            // Dropping the runtime cancels the connections still open.
        })
        .map_err(|e| e.to_string())?;
    Ok(Server {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// What a `request` got back.
#[derive(Debug, Default)]
pub struct Got {
    /// The status code.
    pub status: u16,
    /// The header fields.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// The trailer section, if one came.
    pub trailers: Option<Vec<(String, Vec<u8>)>>,
}

/// Sends one HTTP/1.1 request to `addr` and reads the whole response,
/// within `timeout`.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    timeout: Duration,
) -> Result<Got, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let work = async {
            let stream = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect {addr}: {e}"))?;
            let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let conn = tokio::spawn(conn);
            let mut b = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("host", addr.to_string());
            for (k, v) in headers {
                b = b.header(k.as_str(), v.as_str());
            }
            let req = b
                .body(full(body.unwrap_or("").to_string()))
                .map_err(|e| format!("request: {e}"))?;
            let resp = send
                .send_request(req)
                .await
                .map_err(|e| format!("send: {e}"))?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                .collect();
            let collected = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("response body: {e}"))?;
            let trailers = collected.trailers().map(|t| {
                t.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect()
            });
            conn.abort();
            Ok(Got {
                status,
                headers,
                body: collected.to_bytes().to_vec(),
                trailers,
            })
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| format!("no response within {timeout:?}"))?
    })
}

/// What differs between a response and the one expected (empty: none).
/// Expected headers must be among the response's, with that value; an
/// expected body must be the whole body.
pub fn compare(want: &ResponseSpec, got: &Got) -> Vec<String> {
    let mut p = Vec::new();
    if got.status != want.status {
        p.push(format!("status {} (expected {})", got.status, want.status));
    }
    for (k, v) in &want.headers {
        let vals: Vec<&[u8]> = got
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_slice())
            .collect();
        if !vals.contains(&v.as_bytes()) {
            p.push(format!(
                "header {k}: {:?} (expected {v:?})",
                vals.iter()
                    .map(|v| String::from_utf8_lossy(v))
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(b) = &want.body
        && got.body != b.as_bytes()
    {
        p.push(format!(
            "body {:?} (expected {b:?})",
            String::from_utf8_lossy(&got.body)
        ));
    }
    p
}

/// A program started for a test with network steps, running while the
/// runner acts on it.
pub trait Running: Send {
    /// The next line the program writes to stdout (without its end),
    /// waiting at most `timeout`.
    fn stdout_line(&mut self, timeout: Duration) -> Result<String, String>;
    /// The address a served component listens on, waiting at most `timeout`.
    fn serve_addr(&mut self, timeout: Duration) -> Result<SocketAddr, String>;
    /// Delivers `signal` (`SIGINT`) to the program.
    fn signal(&mut self, signal: &str) -> Result<(), String>;
    /// Waits for the program to end (stopping it after `timeout`).
    fn wait(self: Box<Self>, timeout: Duration) -> RunOutput;
}

/// A connection of `connect`.
enum Conn {
    Tcp(TcpStream),
    Udp(UdpSocket),
}

/// Parses `host:port` as printed by a program (`localhost` is loopback).
fn parse_addr(line: &str) -> Result<SocketAddr, String> {
    let line = line.trim();
    let (host, port) = line
        .rsplit_once(':')
        .ok_or_else(|| format!("expected `host:port` on stdout, got {line:?}"))?;
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("expected `host:port` on stdout, got {line:?}"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("expected `host:port` on stdout, got {line:?}"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Takes `steps` on `prog`; returns what went wrong (empty: nothing). The
/// first failing step ends the steps.
pub fn drive(prog: &mut dyn Running, steps: &[NetStep], serve: bool) -> Vec<String> {
    let mut conns: HashMap<String, Conn> = HashMap::new();
    let mut served: Option<SocketAddr> = None;
    for (i, step) in steps.iter().enumerate() {
        let r = (|| -> Result<(), String> {
            match step {
                NetStep::Connect { id, udp } => {
                    let addr = parse_addr(&prog.stdout_line(STEP_TIMEOUT)?)?;
                    let c = if *udp {
                        let s = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
                        s.connect(addr)
                            .map_err(|e| format!("connect {addr}: {e}"))?;
                        s.set_read_timeout(Some(STEP_TIMEOUT))
                            .map_err(|e| e.to_string())?;
                        Conn::Udp(s)
                    } else {
                        let s = TcpStream::connect_timeout(&addr, STEP_TIMEOUT)
                            .map_err(|e| format!("connect {addr}: {e}"))?;
                        s.set_read_timeout(Some(STEP_TIMEOUT))
                            .map_err(|e| e.to_string())?;
                        s.set_write_timeout(Some(STEP_TIMEOUT))
                            .map_err(|e| e.to_string())?;
                        Conn::Tcp(s)
                    };
                    conns.insert(id.clone(), c);
                }
                NetStep::Send { id, payload } => match conns.get_mut(id) {
                    Some(Conn::Tcp(s)) => s.write_all(payload).map_err(|e| e.to_string())?,
                    Some(Conn::Udp(s)) => {
                        s.send(payload).map_err(|e| e.to_string())?;
                    }
                    None => return Err(format!("no connection `{id}`")),
                },
                NetStep::Recv { id, payload } => {
                    let mut got = vec![0u8; payload.len()];
                    match conns.get_mut(id) {
                        Some(Conn::Tcp(s)) => s.read_exact(&mut got).map_err(|e| e.to_string())?,
                        Some(Conn::Udp(s)) => {
                            let mut buf = vec![0u8; 65536];
                            let n = s.recv(&mut buf).map_err(|e| e.to_string())?;
                            got = buf[..n].to_vec();
                        }
                        None => return Err(format!("no connection `{id}`")),
                    }
                    if &got != payload {
                        return Err(format!(
                            "received {:?} (expected {:?})",
                            String::from_utf8_lossy(&got),
                            String::from_utf8_lossy(payload)
                        ));
                    }
                }
                NetStep::Request {
                    method,
                    path,
                    headers,
                    body,
                    response,
                } => {
                    if !serve {
                        return Err("`request` to a program that is not served".into());
                    }
                    let addr = match served {
                        Some(a) => a,
                        None => {
                            let a = prog.serve_addr(STEP_TIMEOUT)?;
                            served = Some(a);
                            a
                        }
                    };
                    let got =
                        http_request(addr, method, path, headers, body.as_deref(), STEP_TIMEOUT)?;
                    let p = compare(response, &got);
                    if !p.is_empty() {
                        return Err(p.join("; "));
                    }
                }
                NetStep::Kill(sig) => prog.signal(sig)?,
            }
            Ok(())
        })();
        if let Err(e) = r {
            return vec![format!("step {} ({}): {e}", i + 1, step_name(step))];
        }
    }
    Vec::new()
}

fn step_name(s: &NetStep) -> String {
    match s {
        NetStep::Connect { id, .. } => format!("connect {id}"),
        NetStep::Send { id, .. } => format!("send {id}"),
        NetStep::Recv { id, .. } => format!("recv {id}"),
        NetStep::Request { method, path, .. } => format!("request {method} {path}"),
        NetStep::Kill(s) => format!("kill {s}"),
    }
}

/// Finds `http://HOST:PORT` in what a server printed.
pub fn find_http_addr(text: &str) -> Option<SocketAddr> {
    let at = text.find("http://")?;
    let rest = &text[at + "http://".len()..];
    let end = rest
        .find(|c: char| c == '/' || c.is_whitespace())
        .unwrap_or(rest.len());
    let a = &rest[..end];
    let a = a.replace("0.0.0.0", "127.0.0.1");
    parse_addr(&a).ok()
}

/// A deadline helper: the time left, or an error naming `what`.
pub fn left(deadline: Instant, what: &str) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("no {what} in time"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn endpoints() -> Vec<EndpointSpec> {
        let mut trailers = BTreeMap::new();
        trailers.insert("x-sum".to_string(), "7".to_string());
        vec![
            EndpointSpec {
                method: "GET".into(),
                path: "/fixed?q=1".into(),
                mode: None,
                response: Some(ResponseSpec {
                    status: 201,
                    body: Some("made".into()),
                    ..Default::default()
                }),
            },
            EndpointSpec {
                method: "GET".into(),
                path: "/chunks".into(),
                mode: None,
                response: Some(ResponseSpec {
                    status: 200,
                    chunks: vec!["a".into(), "bc".into()],
                    trailers,
                    ..Default::default()
                }),
            },
            EndpointSpec {
                method: "POST".into(),
                path: "/echo".into(),
                mode: Some("echo-body".into()),
                response: None,
            },
            EndpointSpec {
                method: "GET".into(),
                path: "/h".into(),
                mode: Some("echo-headers".into()),
                response: None,
            },
        ]
    }

    #[test]
    fn loopback_server_round_trip() {
        let servers = Servers::start(&[
            ServerSpec {
                name: "main".into(),
                kind: None,
                endpoints: endpoints(),
            },
            ServerSpec {
                name: "dead".into(),
                kind: Some("closed".into()),
                endpoints: vec![],
            },
        ])
        .unwrap();
        assert_eq!(servers.env[0].0, "HTTP_SERVER_MAIN");
        let addr: SocketAddr = servers.env[0].1.parse().unwrap();
        let t = Duration::from_secs(20);
        let g = http_request(addr, "GET", "/fixed?q=1", &[], None, t).unwrap();
        assert_eq!((g.status, g.body.as_slice()), (201, b"made".as_slice()));
        let g = http_request(addr, "GET", "/chunks", &[], None, t).unwrap();
        assert_eq!(g.body, b"abc");
        assert!(
            g.headers
                .iter()
                .any(|(k, v)| k == "transfer-encoding" && v == b"chunked")
        );
        // hyper's server sends the trailer section to a client that accepts
        // it (RFC 9110 section 10.1.4, `TE: trailers`).
        let te = vec![("te".to_string(), "trailers".to_string())];
        let g = http_request(addr, "GET", "/chunks", &te, None, t).unwrap();
        assert_eq!(g.trailers, Some(vec![("x-sum".to_string(), b"7".to_vec())]));
        let g = http_request(addr, "POST", "/echo", &[], Some("ping"), t).unwrap();
        assert_eq!(g.body, b"ping");
        let h = vec![("x-single".to_string(), "one".to_string())];
        let g = http_request(addr, "GET", "/h", &h, None, t).unwrap();
        let want = ResponseSpec {
            status: 200,
            headers: [
                ("x-echo-x-single".to_string(), "one".to_string()),
                ("x-request-method".to_string(), "GET".to_string()),
                ("x-request-path".to_string(), "/h".to_string()),
            ]
            .into(),
            body: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(compare(&want, &g), Vec::<String>::new());
        let g = http_request(addr, "POST", "/fixed?q=1", &[], None, t).unwrap();
        assert_eq!(g.status, 405);
        let g = http_request(addr, "GET", "/nothing", &[], None, t).unwrap();
        assert_eq!(g.status, 404);
        assert!(!compare(&want, &g).is_empty());
        let dead: SocketAddr = servers.env[1].1.parse().unwrap();
        drop(servers);
        // Both ports refuse connections once the servers are gone.
        assert!(TcpStream::connect(dead).is_err());
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn addresses_from_program_output() {
        assert_eq!(
            parse_addr("127.0.0.1:8080\n").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(parse_addr("nope").is_err());
        assert_eq!(
            find_http_addr("Serving HTTP on http://0.0.0.0:1234/\n"),
            Some("127.0.0.1:1234".parse().unwrap())
        );
        assert_eq!(find_http_addr("nothing"), None);
    }
}
