//! `wasm-conform wasi`: the official WASI testsuite against a runtime.
//!
//! Exit status: 0 when every test passed or failed as expected, 1 when a test
//! failed unexpectedly, timed out, crashed, hit an adapter error or an
//! expectation went stale, 2 for usage errors.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use wasi_testsuite::runner::{Expectations, Options, default_testsuite};
use wasi_testsuite::{CommandRuntime, Runtime, run_suites, runtime_by_name};

/// Arguments of `wasm-conform wasi`.
#[derive(Debug, Args)]
pub struct WasiArgs {
    /// Runtime: reference-vm (default, in process), reference-vm-memfs, wasmtime,
    /// wasmer, wasmedge, iwasm, wazero, node, wasm-conform-run, jco.
    #[arg(long, conflicts_with = "runtime_cmd")]
    pub runtime: Option<String>,
    /// An arbitrary runtime command template, e.g.
    /// "myrt run [--dir {host}::{guest}] [--env {key}={value}] {wasm} {args}".
    #[arg(long = "runtime-cmd", value_name = "TEMPLATE")]
    pub runtime_cmd: Option<String>,
    /// Folders to discover suites in (default: $WASM_CONFORM_WASI_SUITE or
    /// ../shared/wasi-testsuite/tests).
    #[arg(long = "testsuite", value_name = "DIR")]
    pub testsuites: Vec<PathBuf>,
    /// Write the Results JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Compare stdout/stderr exactly (default: as a prefix, as upstream does).
    #[arg(long)]
    pub strict: bool,
    /// Expectations file (default: wasi-testsuite/expectations/RUNTIME.toml if present).
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// Per-test timeout in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Only tests whose id contains this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Tests run in parallel (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run our sandbox suite (sandbox/ of this repository) instead of the
    /// official suite; the results have `kind: "sandbox"`.
    #[arg(long, conflicts_with = "testsuites")]
    pub sandbox: bool,
    /// Turn the wasip1 suites (default: rust, c and assemblyscript
    /// wasm32-wasip1 of the default root; or the --testsuite folders, or
    /// the sandbox suite with --sandbox) into WASI 0.2 components with the
    /// official preview1 adapter, generated into target/wasip1-as-component,
    /// and run those (test ids `.../wasm32-wasip1-as-component/NAME`).
    #[arg(long = "preview1-as-component")]
    pub preview1_as_component: bool,
}

/// Runs `wasm-conform wasi`; returns the process exit status.
pub fn wasi(args: WasiArgs) -> u8 {
    let runtime: Box<dyn Runtime> = match (&args.runtime, &args.runtime_cmd) {
        (_, Some(t)) => Box::new(CommandRuntime::from_template(t)),
        (name, None) => {
            let name = name.as_deref().unwrap_or("reference-vm");
            match runtime_by_name(name) {
                Some(r) => r,
                None => {
                    eprintln!(
                        "wasm-conform wasi: unknown runtime `{name}` (known: reference-vm, reference-vm-memfs, {})",
                        wasi_testsuite::runtime::builtin_adapter_names().join(", ")
                    );
                    return 2;
                }
            }
        }
    };
    let expectations = match &args.expectations {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| Expectations::parse(&t))
        {
            Ok(e) => e,
            Err(e) => {
                eprintln!("wasm-conform wasi: {}: {e}", p.display());
                return 2;
            }
        },
        None => Expectations::builtin(&runtime.name()).unwrap_or_default(),
    };
    let mut sandbox_cases = Vec::new();
    let mut _sandbox_guard = None;
    let testsuites = if args.sandbox {
        match wasi_testsuite::sandbox::prepare(&wasi_testsuite::sandbox::default_dir()) {
            Ok((guard, dir, cases)) => {
                _sandbox_guard = Some(guard);
                sandbox_cases = cases;
                vec![dir]
            }
            Err(e) => {
                eprintln!("wasm-conform wasi: sandbox suite: {e}");
                return 2;
            }
        }
    } else if args.testsuites.is_empty() && args.preview1_as_component {
        wasi_testsuite::p1component::wasip1_suites(&default_testsuite())
    } else if args.testsuites.is_empty() {
        vec![default_testsuite()]
    } else {
        args.testsuites.clone()
    };
    for t in &testsuites {
        if !t.is_dir() {
            eprintln!(
                "wasm-conform wasi: testsuite folder {} not found",
                t.display()
            );
            return 2;
        }
    }
    // Through the adapter, the adapter's own known failures apply to every runtime.
    let mut expectations = expectations;
    if args.preview1_as_component
        && let Some(e) = Expectations::builtin(wasi_testsuite::p1component::EXPECTATIONS)
    {
        expectations.tests.extend(e.tests);
    }
    let testsuites = if args.preview1_as_component {
        let out = wasi_testsuite::p1component::default_out_dir();
        match wasi_testsuite::p1component::prepare(&testsuites, &out) {
            Ok(root) => vec![root],
            Err(e) => {
                eprintln!("wasm-conform wasi: --preview1-as-component: {e}");
                return 2;
            }
        }
    } else {
        testsuites
    };
    let mut opts = Options {
        testsuites,
        strict: args.strict,
        timeout: Duration::from_secs(args.timeout),
        filter: args.filter.clone(),
        expectations,
        ..Options::default()
    };
    if let Some(j) = args.jobs {
        opts.jobs = j.max(1);
    }
    let mut report = match run_suites(runtime.as_ref(), &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wasm-conform wasi: {e}");
            return 2;
        }
    };
    println!(
        "runtime: {} {} (output compared {})",
        report.doc.engine.name,
        report.doc.engine.version,
        if args.strict {
            "exactly"
        } else {
            "as a prefix"
        }
    );
    if args.sandbox {
        report.doc.kind = reports::RunKind::Sandbox;
    }
    print!("{}", report.table());
    for r in report
        .results
        .iter()
        .filter(|r| r.outcome != wasi_testsuite::Outcome::Pass)
    {
        let name = r.id.rsplit('/').next().unwrap_or(&r.id);
        if let Some(c) = sandbox_cases.iter().find(|c| c.name == name) {
            println!("{}: a safe host must: {}", r.id, c.safe);
        }
    }
    if let Some(path) = &args.json
        && let Err(e) = reports::write_atomic(path, &report.doc)
    {
        eprintln!("wasm-conform wasi: {}: {e}", path.display());
        return 2;
    }
    use wasi_testsuite::Outcome as O;
    let count = |f: &dyn Fn(O) -> bool| report.results.iter().filter(|r| f(r.outcome)).count();
    let xfail = count(&|o| o == O::XFail);
    if xfail > 0 {
        println!("{xfail} expected failures (see the expectations file)");
    }
    println!(
        "{} passed, {} failed, {} skipped",
        count(&|o| o == O::Pass),
        count(&|o| o.fails_run()),
        count(&|o| matches!(o, O::Skip | O::Unsupported))
    );
    if report.success() { 0 } else { 1 }
}
