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
    /// Network operations (loopback only): connect, send, recv, request, kill.
    #[serde(other)]
    Network,
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
                Operation::Network => {
                    p.unsupported = Some("network operations (sockets/http)".to_string())
                }
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
        let n: RawSpec = serde_json::from_str(
            r#"{"operations":[{"type":"run"},{"type":"connect","id":"x","protocol_type":"tcp"}]}"#,
        )
        .unwrap();
        assert!(n.plan().unsupported.is_some());
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
