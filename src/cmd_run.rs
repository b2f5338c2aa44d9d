//! `wasm-conform run`: a WASI preview1 command runtime on the reference VM.
//!
//! Exit status: the guest's exit code (`_start` returning is 0, `proc_exit(n)`
//! is `n`, truncated to 8 bits by the OS); **134** when the guest traps (the
//! trap and a wasm backtrace, if available, go to stderr); **125** when the
//! module cannot be run (unreadable, malformed, invalid, unlinkable, no
//! `_start`); **2** for usage errors.
//!
//! With `--invoke NAME` the module is instantiated (WASI imports available)
//! and the export `NAME` is called with ARGS parsed per parameter type;
//! results are printed one per line as `TYPE:VALUE` (e.g. `i64:42`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{Args, ValueEnum};
use reference_vm::exec::{ExternVal, Val};
use reference_vm::syntax::ValType;
use reference_vm::wasi::{RunError, WasiCtx, memfs::MemFs};
use reference_vm::{Config, Features};

/// Exit status for a trap.
pub const TRAP_EXIT: u8 = 134;
/// Exit status when the module cannot be run.
pub const LOAD_ERROR_EXIT: u8 = 125;

/// Which file system backs `--dir` preopens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FsKind {
    /// The host file system through capability handles (cap-std).
    Host,
    /// A deterministic in-memory copy of each `--dir` (changes are not written back).
    Memory,
}

/// Arguments of `wasm-conform run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Preopen host folder HOST as GUEST (default: the same name).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Set an environment variable.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// File system backend for preopens.
    #[arg(long, value_enum, default_value = "host")]
    pub fs: FsKind,
    /// Call this export instead of running `_start`.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,
    /// Instruction budget (out of fuel is a trap).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Grant the network (wasi:sockets, name lookups); denied by default.
    #[arg(long)]
    pub allow_net: bool,
    /// The module.
    pub file: PathBuf,
    /// Arguments for the guest (or for `--invoke`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

fn parse_val(t: ValType, s: &str) -> Result<Val, String> {
    let int = |s: &str| -> Result<u64, String> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
        let v = if let Some(h) = body.strip_prefix("0x") {
            u64::from_str_radix(h, 16)
        } else {
            body.parse::<u64>()
        }
        .map_err(|e| format!("{s}: {e}"))?;
        Ok(if neg { v.wrapping_neg() } else { v })
    };
    Ok(match t {
        ValType::I32 => Val::I32(int(s)? as u32),
        ValType::I64 => Val::I64(int(s)?),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|e| format!("{s}: {e}"))?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|e| format!("{s}: {e}"))?.to_bits()),
        other => return Err(format!("cannot pass a {other:?} from the command line")),
    })
}

fn show_val(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(x) => format!("f32:{}", f32::from_bits(*x)),
        Val::F64(x) => format!("f64:{}", f64::from_bits(*x)),
        Val::V128(x) => format!("v128:0x{x:032x}"),
        Val::Ref(r) => format!("ref:{r:?}"),
    }
}

fn build_ctx(args: &RunArgs) -> Result<WasiCtx, String> {
    let prog = args.file.to_string_lossy().into_owned();
    let mut b = WasiCtx::builder()
        .arg(prog)
        .args(&args.args)
        .inherit_stdio()
        .allow_network(args.allow_net);
    for kv in &args.env {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--env {kv}: expected K=V"))?;
        b = b.env(k, v);
    }
    let fs = MemFs::new();
    for d in &args.dirs {
        let (host, guest) = d.split_once("::").unwrap_or((d.as_str(), d.as_str()));
        b = match args.fs {
            FsKind::Host => b
                .preopen_host_dir(host, guest)
                .map_err(|e| format!("--dir {host}: {e}"))?,
            FsKind::Memory => {
                let name = guest.trim_matches('/');
                let name = if name.is_empty() { "root" } else { name };
                let dir = fs
                    .load_host_dir(std::path::Path::new(host), name)
                    .map_err(|e| format!("--dir {host}: {e}"))?;
                b.preopen(Box::new(dir), guest)
            }
        };
    }
    Ok(b.build())
}

/// Runs `wasm-conform run`; returns the process exit status.
pub fn run(args: RunArgs) -> u8 {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("wasm-conform run: {}: {e}", args.file.display());
            return LOAD_ERROR_EXIT;
        }
    };
    let ctx = match build_ctx(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wasm-conform run: {e}");
            return 2;
        }
    };
    let config = Config {
        // 3.0 plus threads, for wasi-threads programs.
        features: Features {
            threads: true,
            ..Features::default()
        },
        fuel: args.fuel,
        ..Config::default()
    };
    let report = |e: &RunError| {
        eprintln!("wasm-conform run: {e}");
        if matches!(e, RunError::Trap { .. }) {
            TRAP_EXIT
        } else {
            LOAD_ERROR_EXIT
        }
    };
    if reference_vm::component::is_component(&bytes) {
        if args.invoke.is_some() {
            eprintln!("wasm-conform run: --invoke is for core modules, not components");
            return 2;
        }
        // A command component: its `wasi:cli/run` export (0.3 preferred).
        return match reference_vm::wasi::run_component(&bytes, ctx, config) {
            Ok(r) => (r.exit_code & 0xff) as u8,
            Err(e) => report(&e),
        };
    }
    let Some(name) = &args.invoke else {
        return match reference_vm::wasi::run_command(&bytes, ctx, config) {
            Ok(r) => (r.exit_code & 0xff) as u8,
            Err(e) => report(&e),
        };
    };
    let ctx = Arc::new(Mutex::new(ctx));
    let (mut store, m) = match reference_vm::wasi::instantiate(&bytes, ctx, config) {
        Ok(Ok(x)) => x,
        Ok(Err(code)) => return (code & 0xff) as u8,
        Err(e) => return report(&e),
    };
    let Some(ExternVal::Func(f)) = store.export(m, name) else {
        eprintln!("wasm-conform run: no exported function `{name}`");
        return LOAD_ERROR_EXIT;
    };
    let ty = store.func_type(f);
    if ty.params.len() != args.args.len() {
        eprintln!(
            "wasm-conform run: `{name}` takes {} arguments, {} given",
            ty.params.len(),
            args.args.len()
        );
        return 2;
    }
    let mut vals = Vec::new();
    for (t, s) in ty.params.iter().zip(&args.args) {
        match parse_val(*t, s) {
            Ok(v) => vals.push(v),
            Err(e) => {
                eprintln!("wasm-conform run: {e}");
                return 2;
            }
        }
    }
    match store.invoke(f, &vals) {
        Ok(results) => {
            for r in &results {
                println!("{}", show_val(r));
            }
            0
        }
        Err(reference_vm::exec::Trap::Exit(c)) => (c & 0xff) as u8,
        Err(t) => report(&RunError::Trap {
            message: t.to_string(),
            backtrace: vec![],
        }),
    }
}
