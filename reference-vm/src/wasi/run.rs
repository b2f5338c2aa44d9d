//! Glue between the WASI host and the reference VM's store: linking the 46
//! functions as host functions, and running a command module.

use std::sync::{Arc, Mutex};

use super::{MODULE, WasiCtx, WasiExit, signature};
use crate::exec::{ExternVal, ModuleAddr, Store, Trap, Val};
use crate::syntax::{FuncType, ImportDesc, ValType};
use crate::{Config, decode_module, validate_module};

/// Allocates every wasi_snapshot_preview1 function in `store`, each sharing `ctx`.
/// Returns (module, name, function) triples to resolve imports with.
pub fn link(store: &mut Store, ctx: Arc<Mutex<WasiCtx>>) -> Vec<(String, String, ExternVal)> {
    let mut out = Vec::new();
    for (name, params) in super::FUNCTIONS {
        let ps: Vec<ValType> = params
            .chars()
            .map(|c| if c == 'i' { ValType::I32 } else { ValType::I64 })
            .collect();
        let (_, returns) = signature(name).expect("listed");
        let rs = if returns { vec![ValType::I32] } else { vec![] };
        let ctx = ctx.clone();
        let f = store.alloc_host_func(
            FuncType::new(ps, rs),
            Box::new(move |caller, args| {
                let a: Vec<u64> = args
                    .iter()
                    .map(|v| match v {
                        Val::I32(x) => *x as u64,
                        Val::I64(x) => *x,
                        _ => 0,
                    })
                    .collect();
                let mut ctx = ctx.lock().unwrap_or_else(|p| p.into_inner());
                let mut none: [u8; 0] = [];
                let mem = caller.memory_mut("memory").unwrap_or(&mut none);
                match ctx.call(name, &a, mem) {
                    Ok(errno) if returns => Ok(vec![Val::I32(errno)]),
                    Ok(_) => Ok(vec![]),
                    Err(WasiExit::Exit(code)) => Err(Trap::Exit(code as i32)),
                    Err(WasiExit::Trap(msg)) => Err(Trap::Host(msg)),
                }
            }),
        );
        out.push((MODULE.to_string(), name.to_string(), ExternVal::Func(f)));
    }
    out
}

/// How running a command ended, when it ran at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// The guest's exit code: 0 when `_start` returned, else `proc_exit`'s status.
    pub exit_code: i32,
}

/// Why a command could not run to an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The bytes are not a module (`malformed`).
    Decode(String),
    /// The module does not validate (`invalid`).
    Invalid(String),
    /// An import is not provided, or has another type (`unlinkable`).
    Link(String),
    /// No `_start` export.
    NoStart,
    /// The guest trapped.
    Trap {
        /// The trap message (the reference interpreter's wording).
        message: String,
        /// Wasm frames, innermost first, when the VM provides them.
        backtrace: Vec<String>,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Decode(m) => write!(f, "malformed module: {m}"),
            RunError::Invalid(m) => write!(f, "invalid module: {m}"),
            RunError::Link(m) => write!(f, "unlinkable: {m}"),
            RunError::NoStart => f.write_str("no `_start` export"),
            RunError::Trap { message, backtrace } => {
                write!(f, "wasm trap: {message}")?;
                for (i, fr) in backtrace.iter().enumerate() {
                    write!(f, "\n  {i}: {fr}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Decodes, validates and instantiates `bytes` with its WASI imports resolved
/// against `ctx` (any other import is `unlinkable`). A `proc_exit` during
/// instantiation is returned as `Ok(Err(code))`.
#[allow(clippy::type_complexity)]
pub fn instantiate(
    bytes: &[u8],
    ctx: Arc<Mutex<WasiCtx>>,
    config: Config,
) -> Result<Result<(Store, ModuleAddr), i32>, RunError> {
    let features = config.features;
    let module = decode_module(bytes, &features).map_err(|e| RunError::Decode(e.to_string()))?;
    let valid =
        validate_module(&module, &features).map_err(|e| RunError::Invalid(e.to_string()))?;
    let mut store = Store::new(config);
    let wasi = link(&mut store, ctx);
    let mut externs = Vec::new();
    for imp in &module.imports {
        let found = wasi
            .iter()
            .find(|(m, n, _)| *m == imp.module && *n == imp.name)
            .map(|(_, _, v)| *v);
        let Some(v) = found else {
            return Err(RunError::Link(format!(
                "unknown import {}::{}",
                imp.module, imp.name
            )));
        };
        if let (ImportDesc::Func(ti) | ImportDesc::FuncExact(ti), ExternVal::Func(f)) =
            (&imp.desc, v)
        {
            let want = module.types.get(*ti as usize);
            if want != Some(&store.func_type(f)) {
                return Err(RunError::Link(format!(
                    "incompatible import type {}::{}",
                    imp.module, imp.name
                )));
            }
        } else {
            return Err(RunError::Link(format!(
                "incompatible import type {}::{}",
                imp.module, imp.name
            )));
        }
        externs.push(v);
    }
    match store.instantiate(&valid, &externs) {
        Ok(m) => Ok(Ok((store, m))),
        Err(crate::exec::InstantiateError::Trap(Trap::Exit(c))) => Ok(Err(c)),
        Err(crate::exec::InstantiateError::Trap(t)) => Err(RunError::Trap {
            message: t.to_string(),
            backtrace: backtrace(&store),
        }),
        Err(crate::exec::InstantiateError::Link(e)) => Err(RunError::Link(e.to_string())),
    }
}

/// Runs a WASI command: instantiates it and calls `_start`. `proc_exit(n)`
/// becomes exit code `n`; a trap is an error with the trap message.
pub fn run_command(bytes: &[u8], ctx: WasiCtx, config: Config) -> Result<RunResult, RunError> {
    let ctx = Arc::new(Mutex::new(ctx));
    let (mut store, m) = match instantiate(bytes, ctx, config)? {
        Ok(x) => x,
        Err(code) => return Ok(RunResult { exit_code: code }),
    };
    let Some(ExternVal::Func(start)) = store.export(m, "_start") else {
        return Err(RunError::NoStart);
    };
    match store.invoke(start, &[]) {
        Ok(_) => Ok(RunResult { exit_code: 0 }),
        Err(Trap::Exit(c)) => Ok(RunResult { exit_code: c }),
        Err(t) => Err(RunError::Trap {
            message: t.to_string(),
            backtrace: backtrace(&store),
        }),
    }
}

/// The frames of the store's last trap, innermost first, with names from the
/// name section where the module has one.
fn backtrace(store: &Store) -> Vec<String> {
    store
        .last_backtrace()
        .iter()
        .map(|f| f.to_string())
        .collect()
}
