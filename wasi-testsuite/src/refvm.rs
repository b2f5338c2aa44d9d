//! The reference VM as an in-process runtime.

use std::sync::mpsc;
use std::time::Duration;

use reference_vm::wasi::{
    OutputSink, RunError, StdinSource, WasiCtx, memfs::MemFs, run_command, run_component,
};
use reference_vm::{Config, Features};

use super::runtime::{RunOutput, RunRequest, RunStatus, Running, Runtime, shell_quote};

/// Exit status `wasm-conform run` uses for a trap (as `abort()` would).
pub const TRAP_EXIT: i32 = 134;
/// How long a timed-out run may take to stop once asked.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Exit status `wasm-conform run` uses when the module cannot be run at all.
pub const LOAD_ERROR_EXIT: i32 = 125;

/// The reference VM with its WASI host, in this process.
#[derive(Debug, Clone, Copy)]
pub struct RefVm {
    /// Use the in-memory file system (fixtures loaded into it) instead of the host's.
    pub memfs: bool,
}

/// The command line that reproduces an in-process run with `wasm-conform run`.
pub fn command_line(req: &RunRequest, memfs: bool) -> String {
    let mut w = vec!["wasm-conform".to_string(), "run".to_string()];
    if memfs {
        w.push("--fs".into());
        w.push("memory".into());
    }
    for (h, g) in &req.dirs {
        w.push("--dir".into());
        w.push(format!("{}::{g}", h.display()));
    }
    for (k, v) in &req.env {
        w.push("--env".into());
        w.push(format!("{k}={v}"));
    }
    w.push(req.wasm.display().to_string());
    w.extend(req.args.iter().cloned());
    let mut s = format!("cd {} && ", shell_quote(&req.cwd.to_string_lossy()));
    s.push_str(
        &w.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if !req.stdin.is_empty() {
        // The test's bytes, then a stdin that stays open (`cat` of the terminal).
        s = format!(
            "(printf %s {}; cat) | ({s})",
            shell_quote(&String::from_utf8_lossy(&req.stdin))
        );
    }
    s
}

impl Runtime for RefVm {
    fn name(&self) -> String {
        if self.memfs {
            "reference-vm-memfs".into()
        } else {
            "reference-vm".into()
        }
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// Components run through the VM's WASI 0.2/0.3 host.
    fn supports_components(&self) -> bool {
        true
    }

    /// wasi:sockets, with the network granted to the tests that name it,
    /// and wasi:http (types, client, and serving `wasi:http/service`).
    fn supports_proposal(&self, p: &str) -> bool {
        p == "sockets" || p == "http"
    }

    /// Serves a `wasi:http/service` component in process on a free
    /// loopback port, or runs a program the runner talks to over sockets.
    fn spawn(&self, req: &RunRequest) -> Option<Result<Box<dyn Running>, String>> {
        Some(self.serve(req).map(|s| Box::new(s) as Box<dyn Running>))
    }

    fn run(&self, req: &RunRequest) -> RunOutput {
        let command = command_line(req, self.memfs);
        let fail = |status: RunStatus| RunOutput {
            status,
            exit_code: None,
            stdout: vec![],
            stderr: vec![],
            command: command.clone(),
        };
        let (bytes, ctx, out_h, err_h) = match self.context(req) {
            Ok(x) => x,
            Err(e) => return fail(RunStatus::AdapterError(e)),
        };
        // On timeout the run is stopped through the context's stop request
        // (every guest thread, including ones blocked in a wait or a WASI
        // call); a fuel budget per thread backs it up.
        let stop = ctx.interrupt_handle();
        let config = Config {
            // WASI programs may use threads (wasi-threads) on top of 3.0.
            features: Features {
                threads: true,
                ..Features::default()
            },
            fuel: Some(req.timeout.as_secs().max(1).saturating_mul(2_000_000_000)),
            ..Config::default()
        };
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("wasi-test".into())
            .stack_size(64 << 20)
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if reference_vm::component::is_component(&bytes) {
                        run_component(&bytes, ctx, config)
                    } else {
                        run_command(&bytes, ctx, config)
                    }
                }));
                let _ = tx.send(r);
            });
        if let Err(e) = spawned {
            return fail(RunStatus::AdapterError(format!("thread: {e}")));
        }
        let mut result = rx.recv_timeout(req.timeout + Duration::from_millis(100));
        if result.is_err() {
            // Stop the guest and give it a moment to wind down, so that it does
            // not run on in a detached thread; it is a timeout either way.
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = rx.recv_timeout(STOP_GRACE);
            result = Err(mpsc::RecvTimeoutError::Timeout);
        }
        finish(result, &out_h, &err_h, command)
    }
}

/// Captured output of an in-process run.
type Capture = reference_vm::wasi::CaptureHandle;

impl RefVm {
    /// Starts `req` in a thread: served (`req.serve`) or run.
    fn serve(&self, req: &RunRequest) -> Result<Served, String> {
        let (bytes, ctx, out, err) = self.context(req)?;
        let serve = req.serve;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let interrupt = ctx.interrupt_handle();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let config = Config {
            features: Features {
                threads: true,
                ..Features::default()
            },
            ..Config::default()
        };
        let (tx, done) = mpsc::channel();
        let st = stop.clone();
        std::thread::Builder::new()
            .name("wasi-test-serve".into())
            .stack_size(64 << 20)
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if serve {
                        reference_vm::wasi::component::http::serve_component(
                            &bytes, ctx, config, listener, st,
                        )
                    } else if reference_vm::component::is_component(&bytes) {
                        drop(listener);
                        run_component(&bytes, ctx, config)
                    } else {
                        drop(listener);
                        run_command(&bytes, ctx, config)
                    }
                }));
                let _ = tx.send(r);
            })
            .map_err(|e| format!("thread: {e}"))?;
        let mut command = command_line(req, self.memfs);
        if serve {
            command = command.replacen("wasm-conform run", "wasm-conform serve", 1);
        }
        Ok(Served {
            addr,
            stop,
            interrupt,
            done,
            out,
            err,
            command,
            line_at: 0,
        })
    }

    /// The module's bytes and the WASI context of `req`, with its captures.
    fn context(&self, req: &RunRequest) -> Result<(Vec<u8>, WasiCtx, Capture, Capture), String> {
        let bytes = std::fs::read(&req.wasm).map_err(|e| format!("{}: {e}", req.wasm.display()))?;
        let (out, out_h) = OutputSink::capture(req.output_cap);
        let (err, err_h) = OutputSink::capture(req.output_cap);
        let prog = req
            .wasm
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut b = WasiCtx::builder()
            .arg(prog)
            .args(&req.args)
            .stdin(StdinSource::Open(req.stdin.clone()))
            .stdout(out)
            .stderr(err)
            .allow_network(req.proposals.iter().any(|p| p == "sockets" || p == "http"));
        for (k, v) in &req.env {
            b = b.env(k, v);
        }
        let fs = MemFs::new();
        for (host, guest) in &req.dirs {
            if self.memfs {
                let name = if guest == "/" { "root" } else { guest.as_str() };
                let d = fs
                    .load_host_dir(host, name)
                    .map_err(|e| format!("{}: {e}", host.display()))?;
                b = b.preopen(Box::new(d), guest.clone());
            } else {
                b = b
                    .preopen_host_dir(host, guest.clone())
                    .map_err(|e| format!("{}: {e}", host.display()))?;
            }
        }
        Ok((bytes, b.build(), out_h, err_h))
    }
}

/// A program started in process for a test with network steps: a
/// `wasi:http/service` component served (for `request` and `kill`), or a
/// program run (for `connect`, `send`, `recv`).
struct Served {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    done: mpsc::Receiver<std::thread::Result<Result<reference_vm::wasi::RunResult, RunError>>>,
    out: Capture,
    err: Capture,
    command: String,
    /// How much of stdout `stdout_line` has consumed.
    line_at: usize,
}

impl Running for Served {
    fn stdout_line(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            {
                let c = self.out.lock().map_err(|_| "stdout capture poisoned")?;
                let rest = c.bytes.get(self.line_at..).unwrap_or(&[]);
                if let Some(n) = rest.iter().position(|&b| b == b'\n') {
                    let line = String::from_utf8_lossy(&rest[..n]).into_owned();
                    self.line_at += n + 1;
                    return Ok(line);
                }
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("no line on stdout within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn serve_addr(&mut self, _timeout: Duration) -> Result<std::net::SocketAddr, String> {
        Ok(self.addr)
    }

    fn signal(&mut self, signal: &str) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        match signal {
            "SIGINT" | "INT" | "SIGTERM" | "TERM" => self.stop.store(true, Ordering::SeqCst),
            _ => {
                self.stop.store(true, Ordering::SeqCst);
                self.interrupt.store(true, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    fn wait(self: Box<Self>, timeout: Duration) -> RunOutput {
        let mut result = self.done.recv_timeout(timeout);
        if result.is_err() {
            self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
            self.interrupt
                .store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = self.done.recv_timeout(STOP_GRACE);
            result = Err(mpsc::RecvTimeoutError::Timeout);
        }
        finish(result, &self.out, &self.err, self.command.clone())
    }
}

/// The run output of an in-process run's result.
fn finish(
    result: Result<
        std::thread::Result<Result<reference_vm::wasi::RunResult, RunError>>,
        mpsc::RecvTimeoutError,
    >,
    out_h: &Capture,
    err_h: &Capture,
    command: String,
) -> RunOutput {
    let stdout = out_h.lock().map(|c| c.bytes.clone()).unwrap_or_default();
    let mut stderr = err_h.lock().map(|c| c.bytes.clone()).unwrap_or_default();
    let (status, exit_code) = match result {
        Err(_) => (RunStatus::Timeout, None),
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            (
                RunStatus::Crash(format!("reference-vm panicked: {msg}")),
                None,
            )
        }
        Ok(Ok(Ok(r))) => (RunStatus::Exited, Some(r.exit_code)),
        Ok(Ok(Err(RunError::Trap { message, .. }))) if message == "out of fuel" => {
            (RunStatus::Timeout, None)
        }
        Ok(Ok(Err(RunError::Interrupted))) => (RunStatus::Timeout, None),
        Ok(Ok(Err(e))) => {
            stderr.extend_from_slice(format!("\nwasm-conform: {e}\n").as_bytes());
            let code = if matches!(e, RunError::Trap { .. }) {
                TRAP_EXIT
            } else {
                LOAD_ERROR_EXIT
            };
            (RunStatus::Exited, Some(code))
        }
    };
    RunOutput {
        status,
        exit_code,
        stdout,
        stderr,
        command,
    }
}
