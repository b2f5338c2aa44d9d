//! Runs the official WASI testsuite (and our sandbox suite) against the
//! reference VM in process and against other runtimes through declarative
//! command adapters, and reports in the Results JSON.

pub mod discover;
pub mod net;
pub mod p1component;
pub mod refvm;
pub mod runner;
pub mod runtime;
pub mod runtimes;
pub mod sandbox;
pub mod spec;

pub use runner::{Expectations, Options, Outcome, RunReport, TestResult, run_suites};
pub use runtime::{Adapter, CommandRuntime, RunOutput, RunRequest, RunStatus, Runtime};

/// A runtime by name: `reference-vm` (in process, `--fs host`), `reference-vm-memfs`,
/// or a shipped adapter (`wasmtime`, `wasmer`, `wasmedge`, `iwasm`, `wazero`,
/// `node`, `wasm-conform-run`, `jco`).
pub fn runtime_by_name(name: &str) -> Option<Box<dyn Runtime>> {
    match name {
        "reference-vm" => Some(Box::new(refvm::RefVm { memfs: false })),
        "reference-vm-memfs" => Some(Box::new(refvm::RefVm { memfs: true })),
        _ if name.starts_with("vendor:") => runtimes::vendor_entry(&name["vendor:".len()..])
            .map(|entry| Box::new(runtimes::VendorRuntime { entry }) as Box<dyn Runtime>),
        _ => runtime::builtin_adapter(name)
            .map(|adapter| Box::new(CommandRuntime { adapter }) as Box<dyn Runtime>),
    }
}
