//! The WASI preview1 hosts a program runs on: the reference VM over the
//! host file system or over its in-memory one, wasmtime in process
//! (`wasmtime-wasi`, cargo feature `wasmtime`), and Node's `node:wasi`
//! through a command.
//!
//! Every host gets the same arguments, environment and fixture, preopened as
//! [`PREOPEN_NAME`], and a null (or empty) stdin; its stdout is captured.

use super::fixture;
use super::program::{ARGS, ENV, PREOPEN_NAME};
use reference_vm::wasi::fs::{OpenOptions, Opened, WasiDir};
use reference_vm::wasi::memfs::MemFs;
use reference_vm::wasi::{Clock, OutputSink, RandomSource, RunError, WasiCtx, run_command};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum End {
    /// `_start` returned (0) or `proc_exit`.
    Exit(i32),
    /// The guest trapped (the host's message).
    Trap(String),
    /// The host could not run the program at all (setup, link, compile):
    /// the comparison is inconclusive.
    Error(String),
}

/// One program's run on one host.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HostRun {
    /// The host's name.
    pub host: String,
    /// Stdout, one line per step that finished.
    pub stdout: String,
    /// How the run ended.
    pub end: End,
    /// The sandbox tree afterwards ([`fixture::snapshot_std`] lines), then
    /// `ESCAPE ...` lines when anything outside it changed.
    pub tree: Vec<String>,
}

/// The hosts `--engines` may name.
pub const HOSTS: &[&str] = &["reference-vm", "reference-vm-memfs", "wasmtime", "node"];

/// Whether `name` is a known host (wasmtime only with the feature).
pub fn is_host(name: &str) -> bool {
    match name {
        "wasmtime" => cfg!(feature = "wasmtime"),
        _ => HOSTS.contains(&name),
    }
}

/// Fuel for the reference VM (programs are straight-line code; this is a backstop).
const FUEL: u64 = 50_000_000;

/// Stdout kept at most.
const STDOUT_CAP: usize = 1 << 22;

static RUN_ID: AtomicU64 = AtomicU64::new(0);

/// A fresh scratch directory for one host run (removed by the guard).
struct Scratch(PathBuf);

/// Where fixtures are made: `WASM_CONFORM_WASI_SCRATCH`, else `/dev/shm`
/// when present (a memory file system: a fixture on a busy disk costs
/// 20 times as much), else the temporary directory.
fn scratch_root() -> PathBuf {
    if let Some(d) = std::env::var_os("WASM_CONFORM_WASI_SCRATCH") {
        return PathBuf::from(d);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        let id = RUN_ID.fetch_add(1, Ordering::Relaxed);
        let p = scratch_root().join(format!("wasi-fuzz-{}-{id}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p)?;
        Ok(Scratch(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `wasm` on host `name`.
pub fn run(name: &str, wasm: &[u8]) -> HostRun {
    let r = match name {
        "reference-vm" => run_refvm_host(wasm),
        "reference-vm-memfs" => run_refvm_memfs(wasm),
        #[cfg(feature = "wasmtime")]
        "wasmtime" => run_wasmtime(wasm),
        "node" => run_node(wasm),
        _ => Err(format!("unknown WASI host {name:?}")),
    };
    match r {
        Ok((stdout, end, tree)) => HostRun {
            host: name.to_string(),
            stdout,
            end,
            tree,
        },
        Err(e) => HostRun {
            host: name.to_string(),
            stdout: String::new(),
            end: End::Error(e),
            tree: Vec::new(),
        },
    }
}

type Ran = Result<(String, End, Vec<String>), String>;

fn refvm_ctx(preopen: Box<dyn WasiDir>) -> (WasiCtx, reference_vm::wasi::CaptureHandle) {
    let (out, handle) = OutputSink::capture(STDOUT_CAP);
    let mut b = WasiCtx::builder()
        .args(ARGS.iter())
        .stdout(out)
        .clock(Clock::Deterministic {
            start_ns: 1_700_000_000_000_000_000,
            step_ns: 1000,
        })
        .random(RandomSource::Seeded(1))
        .preopen(preopen, PREOPEN_NAME);
    for (k, v) in ENV {
        b = b.env(k, v);
    }
    (b.build(), handle)
}

fn refvm_run(
    wasm: &[u8],
    ctx: WasiCtx,
    handle: &reference_vm::wasi::CaptureHandle,
) -> (String, End) {
    let config = reference_vm::Config {
        fuel: Some(FUEL),
        ..reference_vm::Config::default()
    };
    let end = match run_command(wasm, ctx, config) {
        Ok(r) => End::Exit(r.exit_code),
        Err(RunError::Trap { message, .. }) => End::Trap(message),
        Err(e) => End::Error(e.to_string()),
    };
    let out = handle.lock().unwrap_or_else(|p| p.into_inner());
    (String::from_utf8_lossy(&out.bytes).into_owned(), end)
}

/// The host tree after a run: the sandbox, then any change outside it.
fn host_tree(root: &Path) -> Vec<String> {
    let mut tree = fixture::snapshot_std(&root.join("sandbox"));
    let outside = fixture::snapshot_std(&root.join("outside"));
    if outside != fixture::outside_expected() {
        tree.push(format!("ESCAPE outside is now: {}", outside.join("; ")));
    }
    tree
}

fn run_refvm_host(wasm: &[u8]) -> Ran {
    let scratch = Scratch::new().map_err(|e| format!("scratch: {e}"))?;
    let sandbox = fixture::create_host(&scratch.0).map_err(|e| format!("fixture: {e}"))?;
    let dir = reference_vm::wasi::hostfs::HostDir::open_ambient(&sandbox)
        .map_err(|e| format!("preopen: {e}"))?;
    let (ctx, handle) = refvm_ctx(Box::new(dir));
    let (stdout, end) = refvm_run(wasm, ctx, &handle);
    Ok((stdout, end, host_tree(&scratch.0)))
}

fn open_dir(dir: &dyn WasiDir, name: &str) -> Result<Box<dyn WasiDir>, String> {
    let o = OpenOptions {
        directory: true,
        read: true,
        ..OpenOptions::default()
    };
    match dir.open(name, &o) {
        Ok(Opened::Dir(d)) => Ok(d),
        _ => Err(format!("memfs: cannot open {name}")),
    }
}

fn run_refvm_memfs(wasm: &[u8]) -> Ran {
    let fs = MemFs::new();
    let root = fs.root();
    root.create_dir("sandbox")
        .map_err(|e| format!("memfs: {e}"))?;
    root.create_dir("outside")
        .map_err(|e| format!("memfs: {e}"))?;
    let sandbox = open_dir(&root, "sandbox")?;
    fixture::create_wasi(sandbox.as_ref())?;
    let outside = open_dir(&root, "outside")?;
    for (p, n) in fixture::OUTSIDE {
        if let fixture::Node::File(b) = n {
            let o = OpenOptions {
                create: true,
                write: true,
                ..OpenOptions::default()
            };
            if let Ok(Opened::File(mut f)) = outside.open(p, &o) {
                let _ = f.write(b, false);
            }
        }
    }
    let (ctx, handle) = refvm_ctx(sandbox);
    let (stdout, end) = refvm_run(wasm, ctx, &handle);
    let sandbox = open_dir(&root, "sandbox")?;
    let mut tree = fixture::snapshot_wasi(sandbox.as_ref());
    let outside = fixture::snapshot_wasi(outside.as_ref());
    if outside != fixture::outside_expected() {
        tree.push(format!("ESCAPE outside is now: {}", outside.join("; ")));
    }
    Ok((stdout, end, tree))
}

#[cfg(feature = "wasmtime")]
fn run_wasmtime(wasm: &[u8]) -> Ran {
    use std::sync::OnceLock;
    use wasmtime_wasi::p1::{self, WasiP1Ctx};
    static ENGINE: OnceLock<wasmtime::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let mut c = wasmtime::Config::new();
        c.consume_fuel(true);
        c.cranelift_opt_level(wasmtime::OptLevel::None);
        wasmtime::Engine::new(&c).unwrap_or_default()
    });
    let scratch = Scratch::new().map_err(|e| format!("scratch: {e}"))?;
    let sandbox = fixture::create_host(&scratch.0).map_err(|e| format!("fixture: {e}"))?;
    let module = wasmtime::Module::new(engine, wasm).map_err(|e| format!("compile: {e}"))?;
    let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(STDOUT_CAP);
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    b.args(ARGS).stdout(stdout.clone());
    for (k, v) in ENV {
        b.env(k, v);
    }
    b.preopened_dir(&sandbox, PREOPEN_NAME, wasmtime_wasi::FsPerms::ReadWrite)
        .map_err(|e| format!("preopen: {e}"))?;
    let ctx = b.build_p1();
    let mut linker: wasmtime::Linker<WasiP1Ctx> = wasmtime::Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |t| t).map_err(|e| format!("link: {e}"))?;
    let mut store = wasmtime::Store::new(engine, ctx);
    store.set_fuel(FUEL).map_err(|e| format!("fuel: {e}"))?;
    let end = match linker.instantiate(&mut store, &module) {
        Err(e) => End::Error(format!("instantiate: {e}")),
        Ok(inst) => match inst.get_typed_func::<(), ()>(&mut store, "_start") {
            Err(e) => End::Error(format!("_start: {e}")),
            Ok(f) => match f.call(&mut store, ()) {
                Ok(()) => End::Exit(0),
                Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                    Some(x) => End::Exit(x.0),
                    None => End::Trap(format!("{e:#}")),
                },
            },
        },
    };
    drop(store);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    Ok((out, end, host_tree(&scratch.0)))
}

/// The Node driver: runs argv[2] with `node:wasi` (preview1), the sandbox
/// argv[3] preopened, stdout inherited; exits with the guest's code, or 134
/// with the error on stderr when the guest traps.
const NODE_DRIVER: &str = r#"
const fs = require('fs');
const { WASI } = require('node:wasi');
const [wasmPath, sandbox, preopen, args, env] = process.argv.slice(1);
const wasi = new WASI({ version: 'preview1', args: JSON.parse(args), env: JSON.parse(env),
  preopens: { [preopen]: sandbox }, returnOnExit: true });
try {
  const m = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const i = new WebAssembly.Instance(m, wasi.getImportObject());
  process.exitCode = wasi.start(i);
} catch (e) {
  process.stderr.write('trap: ' + e + '\n');
  process.exitCode = 134;
}
"#;

fn run_node(wasm: &[u8]) -> Ran {
    let scratch = Scratch::new().map_err(|e| format!("scratch: {e}"))?;
    let sandbox = fixture::create_host(&scratch.0).map_err(|e| format!("fixture: {e}"))?;
    let wasm_path = scratch.0.join("program.wasm");
    std::fs::write(&wasm_path, wasm).map_err(|e| e.to_string())?;
    let env: std::collections::BTreeMap<&str, &str> = ENV.iter().copied().collect();
    let args = serde_json::to_string(ARGS).unwrap_or_default();
    let env = serde_json::to_string(&env).unwrap_or_default();
    let out = std::process::Command::new("node")
        .arg("--no-warnings")
        .arg("-e")
        .arg(NODE_DRIVER)
        .arg("--")
        .arg(&wasm_path)
        .arg(&sandbox)
        .arg(PREOPEN_NAME)
        .arg(args)
        .arg(env)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let _ = std::fs::remove_file(&wasm_path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let end = match out.status.code() {
        Some(134) => End::Trap(stderr.trim().to_string()),
        Some(c) => End::Exit(c),
        None => End::Error(format!("node killed: {stderr}")),
    };
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        end,
        host_tree(&scratch.0),
    ))
}
