//! Test specifications: the `NAME.json` next to each `NAME.wasm`, in both
//! dialects (`dirs`, and the newer `root`) and with the `operations` list.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// A test's JSON as written upstream; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawSpec {
    /// Arguments after the program name.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Folders (relative to the suite) preopened under their own names.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Newer dialect: one folder preopened as `/`.
    #[serde(default)]
    pub root: Option<String>,
    /// Expected exit status.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Expected stdout.
    #[serde(default)]
    pub stdout: Option<String>,
    /// Expected stderr.
    #[serde(default)]
    pub stderr: Option<String>,
    /// WASI proposals the test needs (`sockets`, `http`, ...).
    #[serde(default)]
    pub proposals: Vec<String>,
    /// The world a component targets.
    #[serde(default)]
    pub world: Option<String>,
    /// The `operations` list of newer specs.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// HTTP test servers on loopback the runner starts before the run; the
    /// guest finds each at `HTTP_SERVER_<NAME>` (see [`server_env_name`]).
    #[serde(default)]
    pub servers: Vec<ServerSpec>,
}

/// One HTTP test server of a spec's `servers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// Its name (the environment variable's suffix, upper-cased).
    pub name: String,
    /// `closed`: a port that refuses connections; absent: a server.
    #[serde(default)]
    pub kind: Option<String>,
    /// What it answers, by method and path (with query).
    #[serde(default)]
    pub endpoints: Vec<EndpointSpec>,
}

/// One endpoint of a test server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// The request method (`GET`, `POST`, ...).
    pub method: String,
    /// The request target: path and query, compared exactly.
    pub path: String,
    /// `echo-body` (the request's body back) or `echo-headers` (each
    /// request header `h` back as `x-echo-h`, with `x-request-method` and
    /// `x-request-path`); absent: the fixed `response`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The fixed response.
    #[serde(default)]
    pub response: Option<ResponseSpec>,
}

/// A response: what a test server sends, or what a `request` expects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// The status code.
    pub status: u16,
    /// Header fields (sent; or expected among the response's).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body (sent with a length; or expected exactly).
    #[serde(default)]
    pub body: Option<String>,
    /// The body as chunks, sent with chunked transfer coding.
    #[serde(default)]
    pub chunks: Vec<String>,
    /// Trailer fields, sent after the last chunk.
    #[serde(default)]
    pub trailers: BTreeMap<String, String>,
}

/// The environment variable that gives the guest server `name`'s address
/// (`host:port`): `HTTP_SERVER_` and the name upper-cased, `-` as `_`.
pub fn server_env_name(name: &str) -> String {
    format!(
        "HTTP_SERVER_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

/// One step of an `operations` list.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Operation {
    /// Start the program.
    Run {
        /// Arguments.
        #[serde(default)]
        args: Vec<String>,
        /// Environment.
        #[serde(default)]
        env: BTreeMap<String, String>,
        /// A folder, relative to the test's folder, preopened as `/`.
        #[serde(default)]
        root: Option<String>,
    },
    /// Expect this output on `stdout` or `stderr`.
    Read {
        /// `stdout` or `stderr`.
        id: String,
        /// The expected bytes (text).
        payload: String,
    },
    /// Write to `stdin`.
    Write {
        /// `stdin`.
        id: String,
        /// The bytes (text).
        payload: String,
    },
    /// Wait for the program to exit.
    Wait {
        /// Expected exit status.
        #[serde(default)]
        exit_code: Option<i32>,
    },
    /// Connect to the address the program prints on its stdout
    /// (`host:port`, one line), as upstream's runner does.
    Connect {
        /// The connection's name for `send`/`recv`.
        id: String,
        /// `tcp` or `udp`.
        #[serde(default)]
        protocol_type: Option<String>,
    },
    /// Send bytes on a connection.
    Send {
        /// The connection.
        id: String,
        /// The bytes (text).
        payload: String,
    },
    /// Expect bytes on a connection.
    Recv {
        /// The connection.
        id: String,
        /// The expected bytes (text).
        payload: String,
    },
    /// An HTTP request to the served component (the `wasi:http/service`
    /// world), and the response expected.
    Request {
        /// The method.
        #[serde(default = "get")]
        method: String,
        /// Path and query.
        #[serde(default = "slash")]
        path: String,
        /// Request header fields.
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// The request body.
        #[serde(default)]
        body: Option<String>,
        /// What must come back.
        response: ResponseSpec,
    },
    /// Send the program a signal (`SIGINT`).
    Kill {
        /// The signal's name.
        #[serde(default)]
        signal: Option<String>,
    },
    /// Anything else: not supported by this runner.
    #[serde(other)]
    Other,
}

fn get() -> String {
    "GET".into()
}
fn slash() -> String {
    "/".into()
}

/// A network step of a plan, in the order of the spec's operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetStep {
    /// See [`Operation::Connect`].
    Connect {
        /// The connection's name.
        id: String,
        /// `true` for UDP.
        udp: bool,
    },
    /// See [`Operation::Send`].
    Send {
        /// The connection's name.
        id: String,
        /// The bytes.
        payload: Vec<u8>,
    },
    /// See [`Operation::Recv`].
    Recv {
        /// The connection's name.
        id: String,
        /// The bytes expected.
        payload: Vec<u8>,
    },
    /// See [`Operation::Request`].
    Request {
        /// The method.
        method: String,
        /// Path and query.
        path: String,
        /// Request header fields.
        headers: Vec<(String, String)>,
        /// The request body.
        body: Option<String>,
        /// What must come back.
        response: ResponseSpec,
    },
    /// See [`Operation::Kill`]: the signal's name.
    Kill(String),
}

/// What the runner does with one test, normalised over dialects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Environment, in a stable order.
    pub env: Vec<(String, String)>,
    /// (folder relative to the suite, guest name).
    pub dirs: Vec<(String, String)>,
    /// Bytes written to stdin before the program runs.
    pub stdin: Vec<u8>,
    /// Expected exit status.
    pub exit_code: i32,
    /// Expected stdout (prefix, or exact in strict mode).
    pub stdout: Option<String>,
    /// Expected stderr.
    pub stderr: Option<String>,
    /// Why the plan cannot be run here (network operations), if so.
    pub unsupported: Option<String>,
    /// WASI proposals the test needs (`sockets`, `http`): a runtime that
    /// cannot grant one reports the test unsupported.
    pub proposals: Vec<String>,
    /// HTTP test servers to start before the run.
    pub servers: Vec<ServerSpec>,
    /// Network steps taken while the program runs, in order.
    pub steps: Vec<NetStep>,
    /// The program is served (`world: wasi:http/service`), not run.
    pub serve: bool,
}

impl RawSpec {
    /// Reads `wasm`'s spec (`.json` beside it); none means the defaults.
    pub fn for_wasm(wasm: &Path) -> Result<RawSpec, String> {
        let json = wasm.with_extension("json");
        match std::fs::read_to_string(&json) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RawSpec::default()),
            Err(e) => Err(format!("{}: {e}", json.display())),
        }
    }

    /// Normalises either dialect into a [`Plan`].
    pub fn plan(&self) -> Plan {
        let mut p = Plan {
            args: self.args.clone(),
            env: self
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            dirs: self.dirs.iter().map(|d| (d.clone(), d.clone())).collect(),
            exit_code: self.exit_code.unwrap_or(0),
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            ..Plan::default()
        };
        if let Some(root) = &self.root {
            p.dirs.push((root.clone(), "/".to_string()));
        }
        let mut stdout = String::new();
        let mut stderr = String::new();
        for op in &self.operations {
            match op {
                Operation::Run { args, env, root } => {
                    p.args = args.clone();
                    p.env = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    if let Some(root) = root {
                        p.dirs.retain(|(_, g)| g != "/");
                        p.dirs.push((root.clone(), "/".to_string()));
                    }
                }
                Operation::Write { id, payload } if id == "stdin" => {
                    p.stdin.extend_from_slice(payload.as_bytes())
                }
                Operation::Read { id, payload } if id == "stdout" => stdout.push_str(payload),
                Operation::Read { id, payload } if id == "stderr" => stderr.push_str(payload),
                Operation::Wait { exit_code } => p.exit_code = exit_code.unwrap_or(0),
                Operation::Connect { id, protocol_type } => p.steps.push(NetStep::Connect {
                    id: id.clone(),
                    udp: protocol_type.as_deref() == Some("udp"),
                }),
                Operation::Send { id, payload } => p.steps.push(NetStep::Send {
                    id: id.clone(),
                    payload: payload.as_bytes().to_vec(),
                }),
                Operation::Recv { id, payload } => p.steps.push(NetStep::Recv {
                    id: id.clone(),
                    payload: payload.as_bytes().to_vec(),
                }),
                Operation::Request {
                    method,
                    path,
                    headers,
                    body,
                    response,
                } => p.steps.push(NetStep::Request {
                    method: method.clone(),
                    path: path.clone(),
                    headers: headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    body: body.clone(),
                    response: response.clone(),
                }),
                Operation::Kill { signal } => p
                    .steps
                    .push(NetStep::Kill(signal.clone().unwrap_or("SIGINT".into()))),
                Operation::Other => p.unsupported = Some("an unknown operation".to_string()),
                Operation::Write { id, .. } | Operation::Read { id, .. } => {
                    p.unsupported = Some(format!("stream `{id}`"))
                }
            }
        }
        if !stdout.is_empty() {
            p.stdout = Some(stdout);
        }
        if !stderr.is_empty() {
            p.stderr = Some(stderr);
        }
        p.proposals = self.proposals.clone();
        p.servers = self.servers.clone();
        p.serve = self.world.as_deref() == Some("wasi:http/service");
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_dialect() {
        let s: RawSpec = serde_json::from_str(
            r#"{"dirs":["fs-tests.dir"],"args":["fs-tests.dir"],"exit_code":3,"stdout":"x"}"#,
        )
        .unwrap();
        let p = s.plan();
        assert_eq!(p.dirs, vec![("fs-tests.dir".into(), "fs-tests.dir".into())]);
        assert_eq!((p.exit_code, p.stdout.as_deref()), (3, Some("x")));
    }

    #[test]
    fn operations_dialect() {
        let s: RawSpec = serde_json::from_str(
            r#"{"root":"r","operations":[{"type":"run","args":["a"],"env":{"k":"v"}},
            {"type":"write","id":"stdin","payload":"hi"},{"type":"read","id":"stdout","payload":"hi"},
            {"type":"wait","exit_code":1}]}"#,
        )
        .unwrap();
        let p = s.plan();
        assert_eq!(p.dirs, vec![("r".into(), "/".into())]);
        assert_eq!(p.args, vec!["a"]);
        assert_eq!(p.stdin, b"hi");
        assert_eq!(p.stdout.as_deref(), Some("hi"));
        assert_eq!(p.exit_code, 1);
        assert!(p.unsupported.is_none());
        let n: RawSpec =
            serde_json::from_str(r#"{"operations":[{"type":"run"},{"type":"dance"}]}"#).unwrap();
        assert!(n.plan().unsupported.is_some());
    }

    #[test]
    fn network_operations_and_servers() {
        let s: RawSpec = serde_json::from_str(
            r#"{"world":"wasi:http/service",
            "servers":[{"name":"main","endpoints":[{"method":"GET","path":"/c",
              "response":{"status":200,"chunks":["a","b"],"trailers":{"x-t":"1"}}},
              {"method":"POST","path":"/e","mode":"echo-body"}]},{"name":"dead","kind":"closed"}],
            "operations":[{"type":"run"},{"type":"connect","id":"s","protocol_type":"udp"},
            {"type":"send","id":"s","payload":"hi"},{"type":"recv","id":"s","payload":"ho"},
            {"type":"request","method":"POST","path":"/x","headers":{"a":"b"},"body":"q",
             "response":{"status":201,"body":"r"}},
            {"type":"kill","signal":"SIGINT"},{"type":"wait"}]}"#,
        )
        .unwrap();
        let p = s.plan();
        assert!(p.unsupported.is_none(), "{:?}", p.unsupported);
        assert!(p.serve);
        assert_eq!(p.servers.len(), 2);
        assert_eq!(p.servers[1].kind.as_deref(), Some("closed"));
        assert_eq!(
            p.servers[0].endpoints[0].response.as_ref().unwrap().chunks,
            ["a", "b"]
        );
        assert_eq!(p.steps.len(), 5);
        assert_eq!(
            p.steps[0],
            NetStep::Connect {
                id: "s".into(),
                udp: true
            }
        );
        match &p.steps[3] {
            NetStep::Request {
                method, response, ..
            } => {
                assert_eq!((method.as_str(), response.status), ("POST", 201))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.steps[4], NetStep::Kill("SIGINT".into()));
        assert_eq!(server_env_name("main"), "HTTP_SERVER_MAIN");
    }

    #[test]
    fn run_operation_root_is_the_guest_root() {
        let s: RawSpec = serde_json::from_str(
            r#"{"root":"old","operations":[{"type":"run","root":"fs-tests.dir"},{"type":"wait"}]}"#,
        )
        .unwrap();
        let p = s.plan();
        assert_eq!(p.dirs, vec![("fs-tests.dir".into(), "/".into())]);
        assert!(p.unsupported.is_none());
    }
}
