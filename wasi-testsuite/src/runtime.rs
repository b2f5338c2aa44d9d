//! Runtimes under test: the contract, and external commands described as data.
//!
//! An external runtime is a command template. Tokens are split on whitespace;
//! `{wasm}` is the module, `{args}` expands to the test's arguments, `{self}`
//! to the running `wasm-conform` executable, `{driver}` to the bundled Node.js
//! driver; a group `[ ... ]` is repeated once per preopen when it mentions
//! `{host}`/`{guest}`, and once per environment variable when it mentions
//! `{key}`/`{value}`. Example:
//! `wasmtime run [--dir {host}::{guest}] [--env {key}={value}] {wasm} {args}`.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub use super::net::Running;

use serde::Deserialize;

/// One run of one test.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The module.
    pub wasm: PathBuf,
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Preopens: (host folder, guest name).
    pub dirs: Vec<(PathBuf, String)>,
    /// Bytes fed to stdin.
    pub stdin: Vec<u8>,
    /// Working directory for external commands.
    pub cwd: PathBuf,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Bytes kept per output stream.
    pub output_cap: usize,
    /// A WASI 0.3 component (a `wasm32-wasip3` test, or one exporting
    /// `wasi:cli/run@0.3`): runtimes may need a flag to enable 0.3.
    pub wasip3: bool,
    /// WASI proposals the test needs (`sockets`, `http`), from its spec or
    /// the component's imports.
    pub proposals: Vec<String>,
    /// Serve the component (`wasi:http/service`) instead of running it.
    pub serve: bool,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStatus {
    /// The program exited with `exit_code`.
    Exited,
    /// Killed after the timeout.
    Timeout,
    /// The runtime died (signal, panic) or trapped.
    Crash(String),
    /// The runtime could not be started or driven.
    AdapterError(String),
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// How it ended.
    pub status: RunStatus,
    /// The exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Captured stdout (capped).
    pub stdout: Vec<u8>,
    /// Captured stderr (capped).
    pub stderr: Vec<u8>,
    /// A shell command line that reproduces the run.
    pub command: String,
}

/// A WASI runtime the suite can run against.
pub trait Runtime: Send + Sync {
    /// Its name in reports.
    fn name(&self) -> String;
    /// Its version (the output of its version command, or a crate version).
    fn version(&self) -> String;
    /// Whether it runs components (`wasm32-wasip3`); core-only runtimes report them unsupported.
    fn supports_components(&self) -> bool {
        false
    }
    /// Whether it can grant the WASI proposal `p` (`sockets`, `http`) to a
    /// test; tests needing one it cannot are reported unsupported.
    fn supports_proposal(&self, _p: &str) -> bool {
        false
    }
    /// Runs one test.
    fn run(&self, req: &RunRequest) -> RunOutput;
    /// Starts one test with network steps (served, or talked to while it
    /// runs); `None`: this runtime cannot, and the test is unsupported.
    fn spawn(&self, _req: &RunRequest) -> Option<Result<Box<dyn Running>, String>> {
        None
    }
}

/// A declarative adapter for an external runtime.
#[derive(Debug, Clone, Deserialize)]
pub struct Adapter {
    /// Its name.
    pub name: String,
    /// The command template (see the module docs).
    pub command: String,
    /// The command that prints its version.
    #[serde(default)]
    pub version: Option<String>,
    /// Whether it runs components.
    #[serde(default)]
    pub components: bool,
    /// What `{flags}` in the command expands to for a WASI 0.3 component
    /// (whitespace-separated).
    #[serde(default)]
    pub p3_flags: Option<String>,
    /// What `{flags}` adds for each WASI proposal a test needs; a proposal
    /// listed here is one the runtime can grant.
    #[serde(default)]
    pub proposal_flags: std::collections::BTreeMap<String, String>,
    /// The command template that serves a `wasi:http/service` component on
    /// a free loopback port; it must print `http://HOST:PORT` on stdout or
    /// stderr, and stop on SIGINT.
    #[serde(default)]
    pub serve_command: Option<String>,
}

impl Adapter {
    /// The words `{flags}` expands to for `req`.
    pub fn flags_for(&self, req: &RunRequest) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if req.wasip3 {
            out.extend(
                self.p3_flags
                    .iter()
                    .flat_map(|f| f.split_whitespace().map(str::to_string)),
            );
        }
        for p in &req.proposals {
            if let Some(f) = self.proposal_flags.get(p) {
                out.extend(f.split_whitespace().map(str::to_string));
            }
        }
        out
    }
}

/// The adapters shipped with wasm-conform (`adapters/*.toml`).
pub const BUILTIN_ADAPTERS: &[&str] = &[
    include_str!("../adapters/wasmtime.toml"),
    include_str!("../adapters/wasmer.toml"),
    include_str!("../adapters/wasmedge.toml"),
    include_str!("../adapters/iwasm.toml"),
    include_str!("../adapters/wazero.toml"),
    include_str!("../adapters/node.toml"),
    include_str!("../adapters/wasm-conform.toml"),
    include_str!("../adapters/jco.toml"),
];

/// The bundled Node.js driver.
pub const NODE_DRIVER: &str = include_str!("../drivers/node-wasi.mjs");

/// Finds a shipped adapter by name.
pub fn builtin_adapter(name: &str) -> Option<Adapter> {
    BUILTIN_ADAPTERS
        .iter()
        .filter_map(|t| toml::from_str::<Adapter>(t).ok())
        .find(|a| a.name == name)
}

/// Names of the shipped adapters.
pub fn builtin_adapter_names() -> Vec<String> {
    BUILTIN_ADAPTERS
        .iter()
        .filter_map(|t| toml::from_str::<Adapter>(t).ok())
        .map(|a| a.name)
        .collect()
}

fn node_driver_path() -> PathBuf {
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("drivers/node-wasi.mjs");
    if in_repo.is_file() {
        return in_repo;
    }
    let p = std::env::temp_dir().join(format!("wasm-conform-node-wasi-{}.mjs", std::process::id()));
    if !p.is_file() {
        let _ = std::fs::write(&p, NODE_DRIVER);
    }
    p
}

/// Shell-quotes one word for a reproducible command line.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Expands a command template for `req` into argv (`{flags}` expands to nothing).
pub fn expand_template(template: &str, req: &RunRequest) -> Vec<String> {
    expand_template_with(template, req, &[])
}

/// Expands a command template for `req` into argv, `{flags}` into `flags`.
pub fn expand_template_with(template: &str, req: &RunRequest, flags: &[String]) -> Vec<String> {
    let tokens: Vec<&str> = template.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "[" || tokens[i].starts_with('[') {
            // A group: up to the token ending with ']'.
            let mut group = Vec::new();
            let first = tokens[i].trim_start_matches('[');
            let mut j = i;
            let mut cur = first.to_string();
            loop {
                let end = cur.ends_with(']');
                let t = cur.trim_end_matches(']').to_string();
                if !t.is_empty() {
                    group.push(t);
                }
                if end || j + 1 >= tokens.len() {
                    break;
                }
                j += 1;
                cur = tokens[j].to_string();
            }
            let text = group.join(" ");
            if text.contains("{host}") || text.contains("{guest}") {
                for (h, g) in &req.dirs {
                    for t in &group {
                        out.push(
                            t.replace("{host}", &h.to_string_lossy())
                                .replace("{guest}", g),
                        );
                    }
                }
            } else if text.contains("{key}") || text.contains("{value}") {
                for (k, v) in &req.env {
                    for t in &group {
                        out.push(t.replace("{key}", k).replace("{value}", v));
                    }
                }
            } else {
                out.extend(group);
            }
            i = j + 1;
            continue;
        }
        match tokens[i] {
            "{args}" => out.extend(req.args.iter().cloned()),
            "{flags}" => out.extend(flags.iter().cloned()),
            t => out.push(
                t.replace("{wasm}", &req.wasm.to_string_lossy())
                    .replace("{driver}", &node_driver_path().to_string_lossy())
                    .replace(
                        "{self}",
                        &std::env::current_exe()
                            .map(|p| p.to_string_lossy().into_owned())
                            .unwrap_or_else(|_| "wasm-conform".into()),
                    ),
            ),
        }
        i += 1;
    }
    out
}

/// An external runtime run through its command template.
#[derive(Debug, Clone)]
pub struct CommandRuntime {
    /// The adapter.
    pub adapter: Adapter,
}

impl CommandRuntime {
    /// A runtime from a bare `--runtime-cmd` template.
    pub fn from_template(template: &str) -> CommandRuntime {
        let name = template
            .split_whitespace()
            .next()
            .unwrap_or("custom")
            .to_string();
        CommandRuntime {
            adapter: Adapter {
                name: format!("cmd:{name}"),
                command: template.to_string(),
                version: None,
                components: false,
                p3_flags: None,
                proposal_flags: Default::default(),
                serve_command: None,
            },
        }
    }
}

impl Runtime for CommandRuntime {
    fn name(&self) -> String {
        self.adapter.name.clone()
    }

    fn version(&self) -> String {
        let Some(v) = &self.adapter.version else {
            return "unknown".into();
        };
        let req = RunRequest {
            wasm: PathBuf::new(),
            args: vec![],
            env: vec![],
            dirs: vec![],
            stdin: vec![],
            cwd: std::env::temp_dir(),
            timeout: Duration::from_secs(10),
            output_cap: 4096,
            wasip3: false,
            proposals: vec![],
            serve: false,
        };
        let argv = expand_template(v, &req);
        let out = run_argv(&argv, &req);
        match out.status {
            RunStatus::Exited => String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .unwrap_or("unknown")
                .trim()
                .to_string(),
            _ => "unavailable".into(),
        }
    }

    fn supports_components(&self) -> bool {
        self.adapter.components
    }

    fn supports_proposal(&self, p: &str) -> bool {
        self.adapter.proposal_flags.contains_key(p)
    }

    fn run(&self, req: &RunRequest) -> RunOutput {
        let flags = self.adapter.flags_for(req);
        run_argv(
            &expand_template_with(&self.adapter.command, req, &flags),
            req,
        )
    }

    fn spawn(&self, req: &RunRequest) -> Option<Result<Box<dyn Running>, String>> {
        let template = if req.serve {
            self.adapter.serve_command.as_ref()?
        } else {
            &self.adapter.command
        };
        let flags = self.adapter.flags_for(req);
        let argv = expand_template_with(template, req, &flags);
        Some(Process::start(&argv, req).map(|p| Box::new(p) as Box<dyn Running>))
    }
}

/// Output a reader thread keeps, and a signal for each new piece.
type Shared = Arc<(Mutex<Vec<u8>>, Condvar)>;

fn read_shared(
    mut r: impl Read + Send + 'static,
    cap: usize,
) -> (Shared, std::thread::JoinHandle<()>) {
    let shared: Shared = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let s = shared.clone();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut kept = s.0.lock().unwrap_or_else(|e| e.into_inner());
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                    s.1.notify_all();
                }
            }
        }
        s.1.notify_all();
    });
    (shared, t)
}

/// Waits until `found` finds something in `shared`'s bytes, or `timeout`.
fn wait_for<T>(
    shared: &Shared,
    timeout: Duration,
    mut found: impl FnMut(&[u8]) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut kept = shared.0.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(t) = found(&kept) {
            return Some(t);
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        // Woken by each new piece; a short slice so a reader that ended is
        // not waited on forever.
        kept = shared
            .1
            .wait_timeout(kept, left.min(Duration::from_millis(50)))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// An external runtime's process, started for a test with network steps.
/// Dropping it kills the process if it still runs.
pub struct Process {
    child: std::process::Child,
    out: Shared,
    err: Shared,
    readers: Vec<std::thread::JoinHandle<()>>,
    /// How much of stdout `stdout_line` has consumed.
    line_at: usize,
    command: String,
}

impl Process {
    /// Starts argv (stdin empty) with the request's cwd.
    pub fn start(argv: &[String], req: &RunRequest) -> Result<Process, String> {
        let (prog, rest) = argv.split_first().ok_or("empty command")?;
        let command = format!(
            "cd {} && {}",
            shell_quote(&req.cwd.to_string_lossy()),
            argv.iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let prog = &super::runtimes::resolve_program(prog);
        let mut child = Command::new(prog)
            .args(rest)
            .current_dir(&req.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{prog}`: {e}"))?;
        let (out, t1) = read_shared(child.stdout.take().ok_or("no stdout")?, req.output_cap);
        let (err, t2) = read_shared(child.stderr.take().ok_or("no stderr")?, req.output_cap);
        Ok(Process {
            child,
            out,
            err,
            readers: vec![t1, t2],
            line_at: 0,
            command,
        })
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running for Process {
    fn stdout_line(&mut self, timeout: Duration) -> Result<String, String> {
        let at = self.line_at;
        let line = wait_for(&self.out, timeout, |b| {
            let rest = b.get(at..)?;
            let n = rest.iter().position(|&c| c == b'\n')?;
            Some((String::from_utf8_lossy(&rest[..n]).into_owned(), n + 1))
        });
        let (line, n) = line.ok_or_else(|| format!("no line on stdout within {timeout:?}"))?;
        self.line_at += n;
        Ok(line)
    }

    fn serve_addr(&mut self, timeout: Duration) -> Result<SocketAddr, String> {
        let deadline = Instant::now() + timeout;
        loop {
            for s in [&self.err, &self.out] {
                let text = s.0.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(a) = super::net::find_http_addr(&String::from_utf8_lossy(&text)) {
                    return Ok(a);
                }
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                return Err(format!("the server ended ({st}) before listening"));
            }
            if Instant::now() > deadline {
                return Err(format!("no `http://` address printed within {timeout:?}"));
            }
            let _ = wait_for(&self.err, Duration::from_millis(50), |_| None::<()>);
        }
    }

    fn signal(&mut self, signal: &str) -> Result<(), String> {
        let name = signal.trim_start_matches("SIG");
        let st = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        if st.success() {
            Ok(())
        } else {
            Err(format!("kill -s {name} failed ({st})"))
        }
    }

    fn wait(mut self: Box<Self>, timeout: Duration) -> RunOutput {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if start.elapsed() > timeout => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        for t in std::mem::take(&mut self.readers) {
            let _ = t.join();
        }
        let take = |s: &Shared| std::mem::take(&mut *s.0.lock().unwrap_or_else(|e| e.into_inner()));
        let (status, exit_code) = exit_status(status);
        RunOutput {
            status,
            exit_code,
            stdout: take(&self.out),
            stderr: take(&self.err),
            command: self.command.clone(),
        }
    }
}

/// How a process's end reads as a run status.
fn exit_status(status: Option<std::process::ExitStatus>) -> (RunStatus, Option<i32>) {
    match status {
        None => (RunStatus::Timeout, None),
        Some(s) => match s.code() {
            Some(c) => (RunStatus::Exited, Some(c)),
            None => {
                #[cfg(unix)]
                let why = {
                    use std::os::unix::process::ExitStatusExt;
                    format!("killed by signal {}", s.signal().unwrap_or(0))
                };
                #[cfg(not(unix))]
                let why = "no exit code".to_string();
                (RunStatus::Crash(why), None)
            }
        },
    }
}

fn read_capped(mut r: impl Read + Send + 'static, cap: usize) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = cap.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
        kept
    })
}

/// Runs argv with the request's stdin, cwd, timeout and output cap.
pub fn run_argv(argv: &[String], req: &RunRequest) -> RunOutput {
    let command = argv
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let command = format!(
        "cd {} && {}",
        shell_quote(&req.cwd.to_string_lossy()),
        command
    );
    let fail = |msg: String, command: String| RunOutput {
        status: RunStatus::AdapterError(msg),
        exit_code: None,
        stdout: vec![],
        stderr: vec![],
        command,
    };
    let Some((prog, rest)) = argv.split_first() else {
        return fail("empty command".into(), command);
    };
    // An installed runtime (target/runtimes/bin) before PATH.
    let prog = &super::runtimes::resolve_program(prog);
    let mut child = match Command::new(prog)
        .args(rest)
        .current_dir(&req.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start `{prog}`: {e}"), command),
    };
    // The test's bytes, then the pipe stays open until the program has
    // ended (as the upstream runner leaves it): a read past the bytes waits
    // instead of seeing end of file. Dropping `stdin_open` lets the writer
    // thread close it.
    let (stdin_open, stdin_closed) = std::sync::mpsc::channel::<()>();
    if let Some(mut stdin) = child.stdin.take() {
        let data = req.stdin.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
            let _ = stdin.flush();
            let _ = stdin_closed.recv();
        });
    }
    let out = read_capped(child.stdout.take().expect("piped"), req.output_cap);
    let err = read_capped(child.stderr.take().expect("piped"), req.output_cap);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > req.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    drop(stdin_open);
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let (status, exit_code) = exit_status(status);
    RunOutput {
        status,
        exit_code,
        stdout,
        stderr,
        command,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RunRequest {
        RunRequest {
            wasm: "t.wasm".into(),
            args: vec!["a b".into(), "c".into()],
            env: vec![("K".into(), "V".into()), ("X".into(), "1".into())],
            dirs: vec![("/tmp/d".into(), "d".into())],
            stdin: vec![],
            cwd: "/tmp".into(),
            timeout: Duration::from_secs(5),
            output_cap: 100,
            wasip3: false,
            proposals: vec![],
            serve: false,
        }
    }

    /// `{flags}` gives the wasmtime adapter's flags for what the test
    /// needs, before the module, and nothing for a plain test.
    #[test]
    fn flags_follow_what_the_test_needs() {
        let a = builtin_adapter("wasmtime").expect("shipped adapter");
        let mut r = req();
        let plain = expand_template_with(&a.command, &r, &a.flags_for(&r));
        assert!(
            !plain
                .iter()
                .any(|w| w.starts_with("-S") || w.starts_with("-W"))
        );
        r.wasip3 = true;
        r.proposals = vec!["sockets".into(), "unknown".into()];
        let argv = expand_template_with(&a.command, &r, &a.flags_for(&r));
        let at = |w: &str| argv.iter().position(|x| x == w);
        for f in ["-Sp3", "-Wcomponent-model-async", "-Sinherit-network"] {
            assert!(at(f) < at("t.wasm") && at(f).is_some(), "{f} in {argv:?}");
        }
        assert!(CommandRuntime { adapter: a.clone() }.supports_proposal("http"));
        assert!(!CommandRuntime { adapter: a }.supports_proposal("unknown"));
    }

    #[test]
    fn templates_expand_groups() {
        let argv = expand_template(
            "rt run [--dir {host}::{guest}] [--env {key}={value}] {wasm} {args}",
            &req(),
        );
        assert_eq!(
            argv,
            vec![
                "rt",
                "run",
                "--dir",
                "/tmp/d::d",
                "--env",
                "K=V",
                "--env",
                "X=1",
                "t.wasm",
                "a b",
                "c"
            ]
        );
        let argv = expand_template("rt [--mapdir={guest}::{host}] {wasm}", &req());
        assert_eq!(argv, vec!["rt", "--mapdir=d::/tmp/d", "t.wasm"]);
    }

    #[test]
    fn stdin_stays_open_until_the_program_ends() {
        // `head -c 3` ends after the test's bytes; `cat` would wait for end
        // of file, which never comes while the program runs: a timeout.
        let mut r = req();
        r.stdin = b"abc".to_vec();
        let o = run_argv(&["head".into(), "-c".into(), "3".into()], &r);
        assert_eq!(
            (o.status, o.stdout.as_slice()),
            (RunStatus::Exited, &b"abc"[..])
        );
        r.timeout = Duration::from_millis(300);
        let o = run_argv(&["cat".into()], &r);
        assert_eq!(
            (o.status, o.stdout.as_slice()),
            (RunStatus::Timeout, &b"abc"[..])
        );
    }

    #[test]
    fn every_builtin_adapter_parses() {
        assert_eq!(builtin_adapter_names().len(), BUILTIN_ADAPTERS.len());
        assert!(builtin_adapter("node").is_some());
    }

    #[test]
    fn process_runs_time_out_and_cap_output() {
        let mut r = req();
        r.timeout = Duration::from_millis(300);
        let o = run_argv(&["sleep".into(), "5".into()], &r);
        assert_eq!(o.status, RunStatus::Timeout);
        let o = run_argv(
            &[
                "sh".into(),
                "-c".into(),
                "yes | head -c 100000; exit 3".into(),
            ],
            &r,
        );
        assert_eq!(
            (o.status, o.exit_code, o.stdout.len()),
            (RunStatus::Exited, Some(3), 100)
        );
        let o = run_argv(&["/nonexistent/runtime".into()], &r);
        assert!(matches!(o.status, RunStatus::AdapterError(_)));
    }
}
