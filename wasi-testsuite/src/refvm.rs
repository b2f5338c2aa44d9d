//! The reference VM as an in-process runtime.

use std::sync::mpsc;
use std::time::Duration;

use reference_vm::wasi::{
    OutputSink, RunError, StdinSource, WasiCtx, memfs::MemFs, run_command, run_component,
};
use reference_vm::{Config, Features};

use super::runtime::{RunOutput, RunRequest, RunStatus, Runtime, shell_quote};

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

    /// wasi:sockets, with the network granted to the tests that name it.
    fn supports_proposal(&self, p: &str) -> bool {
        p == "sockets"
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
        let bytes = match std::fs::read(&req.wasm) {
            Ok(b) => b,
            Err(e) => {
                return fail(RunStatus::AdapterError(format!(
                    "{}: {e}",
                    req.wasm.display()
                )));
            }
        };
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
                match fs.load_host_dir(host, name) {
                    Ok(d) => b = b.preopen(Box::new(d), guest.clone()),
                    Err(e) => {
                        return fail(RunStatus::AdapterError(format!("{}: {e}", host.display())));
                    }
                }
            } else {
                match b.preopen_host_dir(host, guest.clone()) {
                    Ok(nb) => b = nb,
                    Err(e) => {
                        return fail(RunStatus::AdapterError(format!("{}: {e}", host.display())));
                    }
                }
            }
        }
        let ctx = b.build();
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
}
