//! Glue between the WASI host and the reference VM's store: linking the 46
//! functions as host functions, running a command module, and wasi-threads.
//!
//! # wasi-threads
//!
//! A module that imports a shared memory (wasi-libc's threads ABI imports
//! `env.memory`) gets one created from the import's type, and
//! `wasi.thread-spawn (param i32) (result i32)` instantiates the same module
//! again in a new [`Store`] on a new OS thread, with the same shared memory
//! and WASI context, and calls its export `wasi_thread_start(tid, arg)`
//! there. Thread ids count up from 1; a negative result is an error
//! (`-EAGAIN` when the run is ending or out of threads or ids, `-EINVAL`
//! when the module has no shared memory import or no `wasi_thread_start`).
//!
//! The program ends at the first of: `_start` returning (exit code 0),
//! `proc_exit` in any thread, a trap in any thread, or the context's stop
//! request ([`WasiCtx::interrupt_handle`]). Ending sets the stop request,
//! which every thread sees at its next call or backward branch, in
//! `memory.atomic.wait`, and in blocking WASI calls (sleeps and stdin reads
//! wait in slices); [`run_command`] joins every thread before it returns.
//! `proc_exit` does not take the context's lock, so it is never held up by
//! a thread blocked in a WASI call.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use super::mem::{Shared, Slice};
use super::types::errno;
use super::{MODULE, WasiCtx, WasiExit, signature};
use crate::exec::{ExternVal, ModuleAddr, SharedMemory, Store, Trap, Val};
use crate::syntax::{FuncType, ImportDesc, ValType};
use crate::valid::ValidModule;
use crate::{Config, decode_module, validate_module};

/// The import module of `thread-spawn`.
pub const THREADS_MODULE: &str = "wasi";
/// The import name of the thread-spawn function.
pub const THREAD_SPAWN: &str = "thread-spawn";
/// The export a new thread starts in: `(param i32 tid) (param i32 start_arg)`.
pub const THREAD_START: &str = "wasi_thread_start";
/// The largest thread id (wasi-threads: ids fit in 29 bits).
const MAX_TID: u32 = 0x1FFF_FFFF;
/// How many spawned threads of one run may be alive at once.
const MAX_THREADS: usize = 1024;
/// The native stack of a spawned thread (the interpreter keeps wasm frames
/// on its own stacks).
const THREAD_STACK_BYTES: usize = 16 << 20;

/// Allocates every wasi_snapshot_preview1 function in `store`, each sharing `ctx`.
/// Returns (module, name, function) triples to resolve imports with.
pub fn link(store: &mut Store, ctx: Arc<Mutex<WasiCtx>>) -> Vec<(String, String, ExternVal)> {
    link_with(store, ctx, None)
}

/// [`link`], with `fallback` as the guest memory of a module that exports
/// none (it imports its shared memory only).
fn link_with(
    store: &mut Store,
    ctx: Arc<Mutex<WasiCtx>>,
    fallback: Option<Arc<SharedMemory>>,
) -> Vec<(String, String, ExternVal)> {
    let stop = lock(&ctx).interrupt.clone();
    let mut out = Vec::new();
    for (name, params) in super::FUNCTIONS {
        let ps: Vec<ValType> = params
            .chars()
            .map(|c| if c == 'i' { ValType::I32 } else { ValType::I64 })
            .collect();
        let (_, returns) = signature(name).expect("listed");
        let rs = if returns { vec![ValType::I32] } else { vec![] };
        let ctx = ctx.clone();
        let stop = stop.clone();
        let fallback = fallback.clone();
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
                if *name == "proc_exit" {
                    // Without waiting for the lock: another thread may hold
                    // it in a blocking call, and exiting must not wait for that.
                    let code = a[0] as u32;
                    if let Ok(mut c) = ctx.try_lock() {
                        c.exit_code = Some(code);
                    }
                    return Err(Trap::Exit(code as i32));
                }
                if stop.load(Ordering::Relaxed) {
                    return Err(Trap::Interrupted);
                }
                let (r, sleep) = {
                    let mut ctx = lock(&ctx);
                    if let Some(sh) = caller.shared_memory("memory") {
                        ctx.call_deferring_sleep(name, &a, &mut Shared(sh))
                    } else if let Some(m) = caller.memory_mut("memory") {
                        ctx.call_deferring_sleep(name, &a, &mut Slice(m))
                    } else if let Some(sh) = &fallback {
                        ctx.call_deferring_sleep(name, &a, &mut Shared(sh))
                    } else {
                        ctx.call_deferring_sleep(name, &a, &mut Slice(&mut []))
                    }
                };
                if let Some(d) = sleep {
                    WasiCtx::sleep_interruptibly(&stop, d);
                }
                if stop.load(Ordering::Relaxed) {
                    return Err(Trap::Interrupted);
                }
                match r {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    /// The run was stopped from outside ([`WasiCtx::interrupt_handle`]).
    Interrupted,
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
            RunError::Interrupted => f.write_str("interrupted"),
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
/// instantiation is returned as `Ok(Err(code))`. A shared memory import is
/// created, and `wasi.thread-spawn` provided; threads spawned from the
/// instance run detached (only [`run_command`] ends and joins them).
#[allow(clippy::type_complexity)]
pub fn instantiate(
    bytes: &[u8],
    ctx: Arc<Mutex<WasiCtx>>,
    config: Config,
) -> Result<Result<(Store, ModuleAddr), i32>, RunError> {
    let p = Program::new(bytes, ctx, config)?;
    let r = p.instantiate();
    if let Ok(Ok((store, m))) = &r {
        p.enable_spawn(store, *m);
    }
    r
}

/// Runs a WASI command: instantiates it and calls `_start`. `proc_exit(n)`
/// becomes exit code `n`; a trap is an error with the trap message. With
/// wasi-threads, the first thread to end the program decides the result,
/// and every thread is stopped and joined before this returns (see the
/// module documentation). `config.interrupt` is replaced by the context's
/// stop request ([`WasiCtx::interrupt_handle`]).
pub fn run_command(bytes: &[u8], ctx: WasiCtx, config: Config) -> Result<RunResult, RunError> {
    let p = Program::new(bytes, Arc::new(Mutex::new(ctx)), config)?;
    match p.instantiate() {
        Err(e) => p.finish(Err(e)),
        Ok(Err(code)) => p.finish(Ok(code)),
        Ok(Ok((mut store, m))) => {
            p.enable_spawn(&store, m);
            match store.export(m, "_start") {
                Some(ExternVal::Func(start)) => {
                    // wasi-threads: returning from `_start` ends the program.
                    let r = store.invoke(start, &[]).map(|_| 0);
                    p.finish(ended(r, &store));
                }
                _ => p.finish(Err(RunError::NoStart)),
            }
        }
    }
    p.join_all();
    let outcome = lock(&p.outcome).take();
    outcome
        .unwrap_or(Err(RunError::Interrupted))
        .map(|exit_code| RunResult { exit_code })
}

/// How a thread's code ended, as a program result.
fn ended(r: Result<i32, Trap>, store: &Store) -> Result<i32, RunError> {
    match r {
        Ok(c) | Err(Trap::Exit(c)) => Ok(c),
        Err(Trap::Interrupted) => Err(RunError::Interrupted),
        Err(t) => Err(RunError::Trap {
            message: t.to_string(),
            backtrace: backtrace(store),
        }),
    }
}

/// One run of a module: what all of its threads share.
struct Program {
    module: ValidModule,
    ctx: Arc<Mutex<WasiCtx>>,
    /// The configuration of every thread's store, with the stop request.
    config: Config,
    stop: Arc<AtomicBool>,
    /// The shared memory the module imports, created for the run.
    memory: Option<Arc<SharedMemory>>,
    /// Whether `thread-spawn` can start threads (set once the first instance
    /// showed a `wasi_thread_start` of the right type).
    can_spawn: OnceLock<bool>,
    /// The first ending: an exit code or an error.
    outcome: Mutex<Option<Result<i32, RunError>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_tid: AtomicU32,
}

impl Program {
    fn new(
        bytes: &[u8],
        ctx: Arc<Mutex<WasiCtx>>,
        mut config: Config,
    ) -> Result<Arc<Program>, RunError> {
        let features = config.features;
        let module =
            decode_module(bytes, &features).map_err(|e| RunError::Decode(e.to_string()))?;
        let module =
            validate_module(&module, &features).map_err(|e| RunError::Invalid(e.to_string()))?;
        let stop = lock(&ctx).interrupt.clone();
        config.interrupt = Some(stop.clone());
        let memory = module.module.imports.iter().find_map(|imp| match imp.desc {
            ImportDesc::Mem(t) if t.shared => {
                Some(Arc::new(SharedMemory::new(t, config.max_memory_bytes)))
            }
            _ => None,
        });
        Ok(Arc::new(Program {
            module,
            ctx,
            config,
            stop,
            memory,
            can_spawn: OnceLock::new(),
            outcome: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
            next_tid: AtomicU32::new(1),
        }))
    }

    /// Records how the program ended, unless it already had, and stops
    /// every thread.
    fn finish(&self, r: Result<i32, RunError>) {
        {
            let mut o = lock(&self.outcome);
            if o.is_none() {
                *o = Some(r);
            }
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Joins every thread, including any spawned meanwhile (none can be
    /// once `stop` is set: spawning checks it under the same lock).
    fn join_all(&self) {
        loop {
            let Some(h) = lock(&self.threads).pop() else {
                return;
            };
            if h.join().is_err() {
                self.finish(Err(RunError::Trap {
                    message: "internal error: a thread panicked".into(),
                    backtrace: vec![],
                }));
            }
        }
    }

    fn enable_spawn(&self, store: &Store, m: ModuleAddr) {
        let ok = self.memory.is_some()
            && matches!(store.export(m, THREAD_START), Some(ExternVal::Func(f))
                if store.func_type(f) == FuncType::new([ValType::I32, ValType::I32], []));
        let _ = self.can_spawn.set(ok);
    }

    /// A new store with an instance of the module.
    #[allow(clippy::type_complexity)]
    fn instantiate(self: &Arc<Self>) -> Result<Result<(Store, ModuleAddr), i32>, RunError> {
        let module = &self.module.module;
        let mut store = Store::new(self.config.clone());
        let wasi = link_with(&mut store, self.ctx.clone(), self.memory.clone());
        let mut externs = Vec::new();
        for imp in &module.imports {
            if let (ImportDesc::Mem(t), Some(mem)) = (&imp.desc, &self.memory)
                && t.shared
            {
                externs.push(ExternVal::Mem(store.import_shared_memory(mem.clone())));
                continue;
            }
            let found = if imp.module == THREADS_MODULE && imp.name == THREAD_SPAWN {
                Some(ExternVal::Func(self.spawn_func(&mut store)))
            } else {
                wasi.iter()
                    .find(|(m, n, _)| *m == imp.module && *n == imp.name)
                    .map(|(_, _, v)| *v)
            };
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
        match store.instantiate(&self.module, &externs) {
            Ok(m) => Ok(Ok((store, m))),
            Err(crate::exec::InstantiateError::Trap(Trap::Exit(c))) => Ok(Err(c)),
            Err(crate::exec::InstantiateError::Trap(Trap::Interrupted)) => {
                Err(RunError::Interrupted)
            }
            Err(crate::exec::InstantiateError::Trap(t)) => Err(RunError::Trap {
                message: t.to_string(),
                backtrace: backtrace(&store),
            }),
            Err(crate::exec::InstantiateError::Link(e)) => Err(RunError::Link(e.to_string())),
        }
    }

    /// `wasi.thread-spawn` in `store`.
    fn spawn_func(self: &Arc<Self>, store: &mut Store) -> crate::exec::FuncAddr {
        let p = self.clone();
        store.alloc_host_func(
            FuncType::new([ValType::I32], [ValType::I32]),
            Box::new(move |_, args| {
                let arg = match args.first() {
                    Some(Val::I32(a)) => *a as i32,
                    _ => 0,
                };
                Ok(vec![Val::I32(p.spawn(arg) as u32)])
            }),
        )
    }

    /// thread-spawn: a new thread's id, or a negative errno.
    fn spawn(self: &Arc<Self>, arg: i32) -> i32 {
        if self.can_spawn.get() != Some(&true) {
            return -i32::from(errno::INVAL);
        }
        let mut threads = lock(&self.threads);
        if self.stop.load(Ordering::SeqCst) {
            return -i32::from(errno::AGAIN);
        }
        // Finished threads need no joining.
        threads.retain(|h| !h.is_finished());
        let tid = self.next_tid.load(Ordering::Relaxed);
        if tid > MAX_TID || threads.len() >= MAX_THREADS {
            return -i32::from(errno::AGAIN);
        }
        let p = self.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("wasi-thread-{tid}"))
            .stack_size(THREAD_STACK_BYTES)
            .spawn(move || p.run_thread(tid, arg));
        match spawned {
            Ok(h) => {
                self.next_tid.store(tid + 1, Ordering::Relaxed);
                threads.push(h);
                tid as i32
            }
            Err(_) => -i32::from(errno::AGAIN),
        }
    }

    /// The body of a spawned thread: its own instance, then
    /// `wasi_thread_start(tid, arg)`.
    fn run_thread(self: Arc<Self>, tid: u32, arg: i32) {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match self.instantiate() {
                Err(e) => self.finish(Err(e)),
                Ok(Err(code)) => self.finish(Ok(code)),
                Ok(Ok((mut store, m))) => {
                    let Some(ExternVal::Func(f)) = store.export(m, THREAD_START) else {
                        return self.finish(Err(RunError::Link(format!("no `{THREAD_START}`"))));
                    };
                    let r = store.invoke(f, &[Val::I32(tid), Val::I32(arg as u32)]);
                    match r {
                        // The thread is done; the program goes on.
                        Ok(_) => {}
                        Err(t) => self.finish(ended(Err(t), &store)),
                    }
                }
            }
        }));
        if run.is_err() {
            self.finish(Err(RunError::Trap {
                message: format!("internal error: thread {tid} panicked"),
                backtrace: vec![],
            }));
        }
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
