//! Running suites: fresh fixture copies, comparison, outcomes, expectations,
//! and the Results JSON.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reports::{EngineInfo, ResultsDoc, RunKind, Status, SuiteInfo, Unit, Verdict};
use serde::Deserialize;

use super::discover::{Suite, WasmKind, discover, test_id, wasm_kind};
use super::runtime::{RunRequest, RunStatus, Runtime};
use super::spec::RawSpec;

/// The outcome of one test, finer than the report's [`Status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Did what the spec expects.
    Pass,
    /// Did something else.
    Fail,
    /// Not run.
    Skip,
    /// Failed, as its expectation entry says.
    XFail,
    /// Passed although an expectation entry says it fails (fails the run).
    XPass,
    /// Did not finish in time.
    Timeout,
    /// The runtime crashed (signal, panic, trap it could not report).
    Crash,
    /// The runtime cannot run this kind of test (a component on a core-only runtime).
    Unsupported,
    /// The adapter could not drive the runtime.
    AdapterError,
}

impl Outcome {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::XFail => "xfail",
            Outcome::XPass => "xpass",
            Outcome::Timeout => "timeout",
            Outcome::Crash => "crash",
            Outcome::Unsupported => "unsupported",
            Outcome::AdapterError => "adapter-error",
        }
    }

    /// The report status: `xfail` stays `fail` (with the entry's reason), `xpass`
    /// is `pass`, `crash` is `fail`, `adapter-error` is `error`.
    pub fn status(self) -> Status {
        match self {
            Outcome::Pass | Outcome::XPass => Status::Pass,
            Outcome::Fail | Outcome::XFail | Outcome::Crash => Status::Fail,
            Outcome::Skip => Status::Skip,
            Outcome::Timeout => Status::Timeout,
            Outcome::Unsupported => Status::Unsupported,
            Outcome::AdapterError => Status::Error,
        }
    }

    /// Whether this outcome makes the run fail.
    pub fn fails_run(self) -> bool {
        matches!(
            self,
            Outcome::Fail
                | Outcome::XPass
                | Outcome::Timeout
                | Outcome::Crash
                | Outcome::AdapterError
        )
    }
}

/// Known failures of one runtime (`expectations/RUNTIME.toml`).
///
/// ```toml
/// [[test]]
/// id = "rust/testsuite/wasm32-wasip1/fd_advise"   # a test id, or a prefix ending in '/'
/// outcome = "fail"                                 # fail (default), timeout, crash, skip
/// reason = "why"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expectations {
    /// The entries.
    #[serde(default, rename = "test")]
    pub tests: Vec<ExpectEntry>,
}

/// One expected non-pass.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectEntry {
    /// A test id, or a prefix ending in `/`.
    pub id: String,
    /// `fail` (any non-pass), or `skip` (do not run it).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Why.
    pub reason: String,
}

impl Expectations {
    /// Parses an expectations file.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The shipped expectations of a runtime, if any (`expectations/NAME.toml`).
    pub fn builtin(runtime: &str) -> Option<Expectations> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("expectations")
            .join(format!("{runtime}.toml"));
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| Self::parse(&t).ok())
    }

    fn find(&self, id: &str) -> Option<&ExpectEntry> {
        self.tests.iter().find(|e| {
            if e.id.ends_with('/') {
                id.starts_with(&e.id)
            } else {
                e.id == id
            }
        })
    }
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Roots to discover suites under.
    pub testsuites: Vec<PathBuf>,
    /// Compare stdout/stderr exactly instead of as a prefix (upstream's mode).
    pub strict: bool,
    /// Per-test wall-clock limit.
    pub timeout: Duration,
    /// Bytes kept per output stream.
    pub output_cap: usize,
    /// Only tests whose id contains this.
    pub filter: Option<String>,
    /// Known failures.
    pub expectations: Expectations,
    /// Parallel tests.
    pub jobs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            testsuites: vec![default_testsuite()],
            strict: false,
            timeout: Duration::from_secs(120),
            output_cap: 1 << 20,
            filter: None,
            expectations: Expectations::default(),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

/// The default suite root: `$WASM_CONFORM_WASI_SUITE`, else
/// `../shared/wasi-testsuite/tests` relative to the repository.
pub fn default_testsuite() -> PathBuf {
    if let Some(p) = std::env::var_os("WASM_CONFORM_WASI_SUITE") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/wasi-testsuite/tests")
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Its id.
    pub id: String,
    /// Its suite's name.
    pub suite: String,
    /// What happened.
    pub outcome: Outcome,
    /// Details (what differed).
    pub message: String,
    /// The command line reproducing it.
    pub command: String,
    /// The expectation's reason, if one applied.
    pub reason: Option<String>,
    /// Time taken.
    pub duration: Duration,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Every result, in discovery order.
    pub results: Vec<TestResult>,
    /// The Results JSON.
    pub doc: ResultsDoc,
}

impl RunReport {
    /// Whether everything expected happened.
    pub fn success(&self) -> bool {
        !self.results.iter().any(|r| r.outcome.fails_run())
    }

    /// A table per suite, and every failure with its command line.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let mut suites: Vec<&str> = Vec::new();
        for r in &self.results {
            if !suites.contains(&r.suite.as_str()) {
                suites.push(&r.suite);
            }
        }
        let names = [
            "pass",
            "fail",
            "xfail",
            "xpass",
            "skip",
            "unsupported",
            "timeout",
            "crash",
            "adapter-error",
        ];
        let _ = writeln!(
            s,
            "{:<48} {}",
            "suite",
            names.map(|n| format!("{n:>7}")).join(" ")
        );
        for suite in suites {
            let counts = names.map(|n| {
                self.results
                    .iter()
                    .filter(|r| r.suite == suite && r.outcome.as_str() == n)
                    .count()
            });
            let _ = writeln!(
                s,
                "{:<48} {}",
                suite,
                counts.map(|c| format!("{c:>7}")).join(" ")
            );
        }
        for r in self
            .results
            .iter()
            .filter(|r| r.outcome.fails_run() || r.outcome == Outcome::XFail)
        {
            let _ = writeln!(
                s,
                "\n{} {}: {}",
                r.outcome.as_str().to_uppercase(),
                r.id,
                r.message.trim_end()
            );
            if let Some(why) = &r.reason {
                let _ = writeln!(s, "  expected: {why}");
            }
            let _ = writeln!(s, "  reproduce: {}", r.command);
        }
        s
    }
}

/// Copies a fixture tree (symlinks as symlinks, files made writable).
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let t = dst.join(e.file_name());
        let ft = e.file_type()?;
        if ft.is_dir() {
            copy_tree(&e.path(), &t)?;
        } else if ft.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &t)?;
        } else {
            std::fs::copy(e.path(), &t)?;
            // Fixtures may be read-only in the checkout; tests write to them.
            let mut p = std::fs::metadata(&t)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            p.set_readonly(false);
            std::fs::set_permissions(&t, p)?;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dst, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() > 2000 {
        format!("{}...", &s[..s.floor_char_boundary(2000)])
    } else {
        s.into_owned()
    }
}

/// What a component needs of a runtime, from its imports and exports.
#[derive(Debug, Default)]
struct Needs {
    /// It exports `wasi:cli/run@0.3.x`.
    wasip3: bool,
    /// `sockets` when it imports `wasi:sockets/*`, `http` for `wasi:http/*`.
    proposals: Vec<String>,
}

/// Reads `wasm`'s imports and exports when it is a component (with the
/// reference VM's decoder); a core module or an undecodable file needs
/// nothing.
fn component_needs(wasm: &Path) -> Needs {
    use reference_vm::component::syntax::Definition;
    let mut n = Needs::default();
    if wasm_kind(wasm) != WasmKind::Component {
        return n;
    }
    let Ok(bytes) = std::fs::read(wasm) else {
        return n;
    };
    let features = reference_vm::Features {
        threads: true,
        ..reference_vm::Features::default()
    };
    let Ok(c) = reference_vm::component::decode_component(&bytes, &features) else {
        return n;
    };
    for d in &c.defs {
        match d {
            Definition::Import(i) => {
                for (prefix, p) in [("wasi:sockets/", "sockets"), ("wasi:http/", "http")] {
                    if i.name.name.starts_with(prefix) && !n.proposals.iter().any(|x| x == p) {
                        n.proposals.push(p.to_string());
                    }
                }
            }
            Definition::Export(e) if e.name.name.starts_with("wasi:cli/run@0.3.") => {
                n.wasip3 = true
            }
            _ => {}
        }
    }
    n
}

/// Runs one test on `runtime`.
pub fn run_test(runtime: &dyn Runtime, suite: &Suite, wasm: &Path, opts: &Options) -> TestResult {
    let id = test_id(suite, wasm);
    let started = Instant::now();
    let mut res = TestResult {
        id: id.clone(),
        suite: suite.name.clone(),
        outcome: Outcome::Pass,
        message: String::new(),
        command: String::new(),
        reason: None,
        duration: Duration::ZERO,
    };
    let expectation = opts.expectations.find(&id);
    if let Some(e) = expectation
        && e.outcome.as_deref() == Some("skip")
    {
        res.outcome = Outcome::Skip;
        res.reason = Some(e.reason.clone());
        res.message = format!("skip: {}", e.reason);
        return res;
    }
    if !wasm.is_file() {
        // Discovery lists a spec without its module: nothing to run, and
        // nothing that passed.
        res.outcome = Outcome::Skip;
        let name = wasm.file_name().unwrap_or_default().to_string_lossy();
        res.reason = Some("missing test module".into());
        res.message = format!(
            "missing test module: {name} is not in the suite (only its spec {} is)",
            wasm.with_extension("json")
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        );
        return res;
    }
    if wasm_kind(wasm) == WasmKind::Component && !runtime.supports_components() {
        res.outcome = Outcome::Unsupported;
        res.message =
            "unsupported: a component (component model); this runtime runs core modules only"
                .into();
        return res;
    }
    let spec = match RawSpec::for_wasm(wasm) {
        Ok(s) => s,
        Err(e) => {
            res.outcome = Outcome::AdapterError;
            res.message = format!("bad test spec: {e}");
            return res;
        }
    };
    let plan = spec.plan();
    if let Some(why) = plan.unsupported {
        res.outcome = Outcome::Unsupported;
        res.message = format!("unsupported: {why}");
        return res;
    }
    // What the test needs from the runtime: WASI 0.3, and the proposals its
    // spec names or its imports show (a test without a spec still needs
    // the network if it imports wasi:sockets).
    let needs = component_needs(wasm);
    let mut proposals = plan.proposals.clone();
    for p in needs.proposals {
        if !proposals.contains(&p) {
            proposals.push(p);
        }
    }
    let missing: Vec<&str> = proposals
        .iter()
        .map(String::as_str)
        .filter(|p| !runtime.supports_proposal(p))
        .collect();
    if !missing.is_empty() {
        res.outcome = Outcome::Unsupported;
        res.message = format!("unsupported: WASI proposals: {}", missing.join(", "));
        return res;
    }
    let tmp = match tempfile::Builder::new().prefix("wasi-test-").tempdir() {
        Ok(t) => t,
        Err(e) => {
            res.outcome = Outcome::AdapterError;
            res.message = format!("temporary directory: {e}");
            return res;
        }
    };
    let mut dirs = Vec::new();
    for (rel, guest) in &plan.dirs {
        let host = tmp.path().join(rel);
        if let Err(e) = copy_tree(&suite.dir.join(rel), &host) {
            res.outcome = Outcome::AdapterError;
            res.message = format!("copying fixture {rel}: {e}");
            return res;
        }
        dirs.push((host, guest.clone()));
    }
    let mut req = RunRequest {
        wasm: wasm.to_path_buf(),
        args: plan.args.clone(),
        env: plan.env.clone(),
        dirs,
        stdin: plan.stdin.clone(),
        cwd: tmp.path().to_path_buf(),
        timeout: opts.timeout,
        output_cap: opts.output_cap,
        wasip3: needs.wasip3 || wasm.components().any(|c| c.as_os_str() == "wasm32-wasip3"),
        proposals,
        serve: plan.serve,
    };
    let mut problems = Vec::new();
    let network = plan.serve || !plan.steps.is_empty() || !plan.servers.is_empty();
    let out = if network {
        match run_network(runtime, &plan, &mut req) {
            Ok((out, step_problems)) => {
                problems = step_problems;
                out
            }
            Err((outcome, why)) => {
                res.outcome = outcome;
                res.message = why;
                return res;
            }
        }
    } else {
        runtime.run(&req)
    };
    res.command = out.command.clone();
    res.duration = started.elapsed();
    let step_failed = !problems.is_empty();
    let outcome = match &out.status {
        // A failed network step is the verdict; how the program then ended
        // (stopped by the runner) is detail.
        _ if step_failed => {
            problems.push(format!("then: {:?}", out.status));
            Outcome::Fail
        }
        RunStatus::Timeout => {
            problems.push(format!("timeout after {:?}", opts.timeout));
            Outcome::Timeout
        }
        RunStatus::Crash(why) => {
            problems.push(format!("crash: {why}"));
            Outcome::Crash
        }
        RunStatus::AdapterError(why) => {
            problems.push(format!("adapter error: {why}"));
            Outcome::AdapterError
        }
        RunStatus::Exited => {
            if out.exit_code != Some(plan.exit_code) {
                problems.push(format!(
                    "exit code {} (expected {})",
                    out.exit_code.map_or("none".into(), |c| c.to_string()),
                    plan.exit_code
                ));
            }
            for (name, want, got) in [
                ("stdout", &plan.stdout, &out.stdout),
                ("stderr", &plan.stderr, &out.stderr),
            ] {
                if let Some(want) = want {
                    let ok = if opts.strict {
                        got.as_slice() == want.as_bytes()
                    } else {
                        got.starts_with(want.as_bytes())
                    };
                    if !ok {
                        problems.push(format!(
                            "{name} differs ({}): expected {:?}, got {:?}",
                            if opts.strict { "exact" } else { "prefix" },
                            want,
                            show(got)
                        ));
                    }
                }
            }
            if problems.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Fail
            }
        }
    };
    if outcome != Outcome::Pass && !out.stderr.is_empty() {
        problems.push(format!("stderr: {}", show(&out.stderr)));
    }
    res.outcome = match (outcome, expectation) {
        (Outcome::Pass, Some(e)) => {
            problems.push(format!(
                "xpass: stale expectation (now passes; remove it): {}",
                e.reason
            ));
            Outcome::XPass
        }
        (Outcome::Pass, None) => Outcome::Pass,
        (o, Some(e)) => {
            res.reason = Some(e.reason.clone());
            problems.insert(0, format!("expected failure ({})", o.as_str()));
            Outcome::XFail
        }
        (o, None) => o,
    };
    if res.outcome.fails_run() || res.outcome == Outcome::XFail {
        // Keep the fixture copy so that the reproducing command works.
        let kept = tmp.keep();
        problems.push(format!("fixtures kept in {}", kept.display()));
    }
    res.message = problems.join("\n");
    res
}

/// Runs a test with network steps: starts its HTTP test servers (their
/// addresses in the guest's environment), starts the program, takes the
/// steps, and waits for its end. Every server and the program are gone when
/// this returns. `Err` is the outcome when nothing could be run.
fn run_network(
    runtime: &dyn Runtime,
    plan: &super::spec::Plan,
    req: &mut RunRequest,
) -> Result<(super::runtime::RunOutput, Vec<String>), (Outcome, String)> {
    let servers = super::net::Servers::start(&plan.servers)
        .map_err(|e| (Outcome::AdapterError, format!("test servers: {e}")))?;
    req.env.extend(servers.env.iter().cloned());
    let mut prog = match runtime.spawn(req) {
        None => {
            return Err((
                Outcome::Unsupported,
                "unsupported: network operations (serving, connections) on this runtime".into(),
            ));
        }
        Some(Err(e)) => return Err((Outcome::AdapterError, format!("starting: {e}"))),
        Some(Ok(p)) => p,
    };
    let problems = super::net::drive(&mut *prog, &plan.steps, plan.serve);
    let wait = if problems.is_empty() {
        req.timeout
    } else {
        // A step failed: the program is stopped rather than waited for.
        let _ = prog.signal("SIGKILL");
        Duration::from_secs(5)
    };
    let out = prog.wait(wait);
    drop(servers);
    Ok((out, problems))
}

/// Discovers and runs every suite under `opts.testsuites`.
pub fn run_suites(runtime: &dyn Runtime, opts: &Options) -> Result<RunReport, String> {
    let started = Instant::now();
    let mut work: Vec<(Suite, PathBuf)> = Vec::new();
    for root in &opts.testsuites {
        let suites = discover(root).map_err(|e| format!("{}: {e}", root.display()))?;
        if suites.is_empty() {
            return Err(format!(
                "{}: no suite (no manifest.json) found",
                root.display()
            ));
        }
        for s in suites {
            for t in &s.tests {
                let id = test_id(&s, t);
                if opts.filter.as_ref().is_none_or(|f| id.contains(f.as_str())) {
                    work.push((s.clone(), t.clone()));
                }
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; work.len()]);
    std::thread::scope(|sc| {
        for _ in 0..opts.jobs.max(1).min(work.len().max(1)) {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((suite, wasm)) = work.get(i) else {
                        break;
                    };
                    let r = run_test(runtime, suite, wasm, opts);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    let results: Vec<TestResult> = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let doc = results_doc(runtime, opts, &results, RunKind::Wasi, started.elapsed());
    Ok(RunReport { results, doc })
}

/// The Results JSON of a run (one unit per test).
pub fn results_doc(
    runtime: &dyn Runtime,
    opts: &Options,
    results: &[TestResult],
    kind: RunKind,
    took: Duration,
) -> ResultsDoc {
    let mut config = std::collections::BTreeMap::new();
    config.insert(
        "output_compare".to_string(),
        serde_json::json!(if opts.strict { "exact" } else { "prefix" }),
    );
    config.insert(
        "timeout_ms".into(),
        serde_json::json!(opts.timeout.as_millis() as u64),
    );
    config.insert("output_cap".into(), serde_json::json!(opts.output_cap));
    let mut doc = ResultsDoc::new(
        kind,
        EngineInfo {
            name: runtime.name(),
            version: runtime.version(),
            config,
        },
        SuiteInfo {
            root: opts
                .testsuites
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            revision: None,
        },
    );
    for r in results {
        let mut v = Verdict::new(0, 0, r.outcome.as_str(), r.outcome.status());
        v.message = (!r.message.is_empty()).then(|| r.message.clone());
        v.reason = r.reason.clone();
        v.command = (!r.command.is_empty()).then(|| r.command.clone());
        v.duration_us = Some(r.duration.as_micros() as u64);
        let mut u = Unit::new(r.id.clone(), vec![v]);
        u.duration_ms = Some(r.duration.as_millis() as u64);
        doc.push(u);
    }
    doc.duration_ms = took.as_millis() as u64;
    doc
}
