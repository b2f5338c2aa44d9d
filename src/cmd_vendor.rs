//! `wasm-conform report --matrix`: the vendor matrix. Each runtime of the
//! catalogue (`wasi-testsuite/runtimes.toml`) runs every suite it can here:
//! the spec suite (an in-process or protocol engine, or the runtime's own
//! script runner), the WASI testsuite (wasip1, wasip3, wasi-threads) and the
//! sandbox suite; a runtime that cannot be installed gets a row with its
//! reason. Writes one Results JSON per (runtime, run), the dashboard with its
//! "Runtimes x suites" section, and `runtimes.md` (the README table).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reports::runtimes::{ROUTE_KEY, TITLE_KEY, UNAVAILABLE_KEY};
use reports::{EngineInfo, ResultsDoc, RunKind, SuiteInfo};
use wasi_testsuite::runtimes::{VendorEntry, VendorRuntime, vendor_entry};
use wasi_testsuite::{Expectations, Options, Runtime};

/// What a matrix run covers.
pub struct MatrixRequest {
    /// Runtime names of the catalogue (`all` for every one).
    pub engines: Vec<String>,
    /// Spec suite folders (none: no spec column).
    pub spec_suites: Vec<PathBuf>,
    /// The WASI testsuite's `tests/` folder (none: no WASI columns).
    pub wasi_suite: Option<PathBuf>,
    /// Whether to run the sandbox suite.
    pub sandbox: bool,
    /// Output folder.
    pub out: PathBuf,
    /// Per-test (WASI) and per-file (spec) timeout.
    pub timeout: Duration,
    /// Parallel tests (0: one per core).
    pub jobs: usize,
}

/// The file name of the README table written next to the dashboard.
pub const RUNTIMES_MD: &str = "runtimes.md";

/// Where a runtime's known failures are listed, for the table's links
/// (relative to the repository): its WASI expectations file, else the
/// catalogue entry that says why it was not run.
pub fn expectations_link(name: &str) -> String {
    let rel = format!("wasi-testsuite/expectations/{name}.toml");
    if Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel).is_file() {
        rel
    } else {
        "wasi-testsuite/runtimes.toml".to_string()
    }
}

fn provenance(doc: &mut ResultsDoc, e: &VendorEntry) {
    let c = &mut doc.engine.config;
    c.insert(TITLE_KEY.into(), serde_json::json!(e.title));
    if let Some(r) = &e.route {
        c.insert(ROUTE_KEY.into(), serde_json::json!(r));
    }
    if let Some(u) = e.missing() {
        c.insert(UNAVAILABLE_KEY.into(), serde_json::json!(u));
    }
}

fn stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Runs the matrix; returns the exit status (1 when anything unexpected
/// happened, a stale expectation included).
pub fn run(req: MatrixRequest) -> u8 {
    let started = Instant::now();
    let catalogue = wasi_testsuite::runtimes::catalogue();
    let mut entries = Vec::new();
    for name in &req.engines {
        if name == "all" {
            entries.extend(catalogue.iter().cloned());
            continue;
        }
        match vendor_entry(name) {
            Some(e) => entries.push(e),
            None => {
                eprintln!(
                    "wasm-conform report --matrix: unknown runtime `{name}` (known: {})",
                    catalogue
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return 2;
            }
        }
    }
    if let Err(e) = std::fs::create_dir_all(&req.out) {
        eprintln!("wasm-conform report: {}: {e}", req.out.display());
        return 2;
    }
    let mut docs: Vec<ResultsDoc> = Vec::new();
    let mut unexpected = Vec::new();
    let save = |doc: &ResultsDoc, what: &str| {
        let path = req
            .out
            .join(format!("{}.{what}.json", stem(&doc.engine.name)));
        if let Err(e) = reports::write_atomic(&path, doc) {
            eprintln!("wasm-conform report: {}: {e}", path.display());
        }
    };
    for e in &entries {
        if let Some(why) = e.missing() {
            eprintln!("{}: {why}", e.name);
            let mut doc = ResultsDoc::new(
                RunKind::Wasi,
                EngineInfo {
                    name: e.name.clone(),
                    version: String::new(),
                    config: Default::default(),
                },
                SuiteInfo {
                    root: String::new(),
                    revision: None,
                },
            );
            provenance(&mut doc, e);
            save(&doc, "unavailable");
            docs.push(doc);
            continue;
        }
        // The spec suite, where the runtime has a spec engine.
        if !req.spec_suites.is_empty() && e.spec.is_none() && e.wast.is_some() {
            match run_spec_cli(e, &req) {
                Ok((mut doc, problems)) => {
                    provenance(&mut doc, e);
                    if problems > 0 {
                        unexpected.push(format!("{} spec: {problems} unexpected", e.name));
                    }
                    save(&doc, "spec");
                    docs.push(doc);
                }
                Err(err) => eprintln!("{} spec: not run: {err}", e.name),
            }
        } else if !req.spec_suites.is_empty() {
            match spec_engine(e) {
                Some(engine) => match run_spec(&engine, &req) {
                    Ok((mut doc, problems)) => {
                        doc.engine.name = e.name.clone();
                        provenance(&mut doc, e);
                        if problems > 0 {
                            unexpected.push(format!("{} spec: {problems} unexpected", e.name));
                        }
                        save(&doc, "spec");
                        docs.push(doc);
                    }
                    Err(err) => eprintln!("{} spec: not run: {err}", e.name),
                },
                None => eprintln!(
                    "{}: no spec engine or script runner; spec column not run",
                    e.name
                ),
            }
        }
        let runtime: Box<dyn Runtime> = if e.name == "reference-vm" {
            Box::new(wasi_testsuite::refvm::RefVm { memfs: false })
        } else {
            Box::new(VendorRuntime { entry: e.clone() })
        };
        let mut runs: Vec<(RunKind, Vec<PathBuf>)> = Vec::new();
        if let Some(w) = &req.wasi_suite {
            runs.push((RunKind::Wasi, vec![w.clone()]));
        }
        let mut _sandbox_guard = None;
        if req.sandbox {
            match wasi_testsuite::sandbox::prepare(&wasi_testsuite::sandbox::default_dir()) {
                Ok((guard, dir, _)) => {
                    _sandbox_guard = Some(guard);
                    runs.push((RunKind::Sandbox, vec![dir]));
                }
                Err(err) => eprintln!("sandbox suite not prepared: {err}"),
            }
        }
        for (kind, testsuites) in runs {
            let mut opts = Options {
                testsuites,
                timeout: req.timeout,
                expectations: Expectations::builtin(&e.name).unwrap_or_default(),
                ..Options::default()
            };
            if req.jobs > 0 {
                opts.jobs = req.jobs;
            }
            let t0 = Instant::now();
            match wasi_testsuite::run_suites(runtime.as_ref(), &opts) {
                Ok(report) => {
                    let mut doc = report.doc.clone();
                    doc.kind = kind;
                    provenance(&mut doc, e);
                    let what = if kind == RunKind::Sandbox {
                        "sandbox"
                    } else {
                        "wasi"
                    };
                    let bad: Vec<_> = report
                        .results
                        .iter()
                        .filter(|r| r.outcome.fails_run())
                        .collect();
                    eprintln!(
                        "{} {what}: {} tests, {} pass, {} unexpected in {:.1} s",
                        e.name,
                        doc.units.len(),
                        doc.totals.pass,
                        bad.len(),
                        t0.elapsed().as_secs_f64()
                    );
                    for r in &bad {
                        unexpected.push(format!(
                            "{} {}: {} {}",
                            e.name,
                            r.id,
                            r.outcome.as_str(),
                            r.message.lines().next().unwrap_or_default()
                        ));
                    }
                    save(&doc, what);
                    docs.push(doc);
                }
                Err(err) => eprintln!("{}: WASI suite not run: {err}", e.name),
            }
        }
        let _ = reports::render::write_all(
            &docs,
            &req.out,
            reports::render::RenderOptions {
                junit: reports::junit::Granularity::File,
                history: false,
            },
        );
    }
    let opts = reports::render::RenderOptions {
        junit: reports::junit::Granularity::File,
        history: false,
    };
    if let Err(e) = reports::render::write_all(&docs, &req.out, opts) {
        eprintln!("wasm-conform report: {}: {e}", req.out.display());
        return 2;
    }
    let md = reports::runtimes::markdown(&docs, &expectations_link);
    let md_path = req.out.join(RUNTIMES_MD);
    if let Err(e) = std::fs::write(&md_path, &md) {
        eprintln!("wasm-conform report: {}: {e}", md_path.display());
        return 2;
    }
    println!("{md}");
    for u in &unexpected {
        println!("UNEXPECTED {u}");
    }
    println!(
        "matrix done in {:.1} s: {} and {}",
        started.elapsed().as_secs_f64(),
        req.out.join(reports::render::INDEX_HTML).display(),
        md_path.display()
    );
    if unexpected.is_empty() { 0 } else { 1 }
}

/// The spec engine of a runtime: its catalogue `spec` name, or its own
/// script runner (`wast-cli:NAME`) when it has one.
fn spec_engine(e: &VendorEntry) -> Option<String> {
    e.spec.clone()
}

fn run_spec(engine: &str, req: &MatrixRequest) -> Result<(ResultsDoc, usize), String> {
    let suites = req
        .spec_suites
        .iter()
        .map(|d| spec_runner::suite::discover(d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = spec_runner::ScriptConfig::for_engine(engine);
    config.timeout = req.timeout;
    let json = req.out.join(format!("{}.spec.partial.json", stem(engine)));
    let request = spec_runner::RunRequest {
        suites,
        filters: Vec::new(),
        config,
        jobs: req.jobs,
        json: Some(json.clone()),
    };
    let t0 = Instant::now();
    let result = request.run(&|_| {})?;
    let _ = std::fs::remove_file(&json);
    let t = &result.doc.totals;
    eprintln!(
        "{engine} spec: {} files, {} pass, {} fail, {} unsupported in {:.1} s ({} unexpected)",
        result.doc.units.len(),
        t.pass,
        t.fail,
        t.unsupported,
        t0.elapsed().as_secs_f64(),
        result.problems.len()
    );
    Ok((result.doc, result.problems.len()))
}

/// The spec suite through the runtime's own script runner
/// ([`spec_runner::script_cli`]); known failures come from
/// `spec-runner/expectations/NAME.toml` when there is one.
fn run_spec_cli(e: &VendorEntry, req: &MatrixRequest) -> Result<(ResultsDoc, usize), String> {
    let template = e.wast.as_deref().ok_or("no script runner")?;
    let mut words = template.split_whitespace();
    let prog = wasi_testsuite::runtimes::resolve_program(words.next().unwrap_or_default());
    let command = std::iter::once(prog.as_str())
        .chain(words)
        .collect::<Vec<_>>()
        .join(" ");
    let runner = spec_runner::script_cli::ScriptRunner {
        name: e.name.clone(),
        command,
        failure_marker: "failed directive on {script}:".into(),
        max_runs: 200,
        timeout: req.timeout,
    };
    let suites = req
        .spec_suites
        .iter()
        .map(|d| spec_runner::suite::discover(d))
        .collect::<Result<Vec<_>, _>>()?;
    let files: Vec<spec_runner::SuiteFile> = suites
        .iter()
        .flat_map(|s| s.files.iter().cloned())
        .collect();
    // Reduced scripts are written here (and removed as each file ends).
    let scratch = req.out.join(".wast-scratch");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let t0 = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let units = std::sync::Mutex::new(vec![None; files.len()]);
    let jobs = if req.jobs > 0 {
        req.jobs
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    std::thread::scope(|sc| {
        for _ in 0..jobs.min(files.len().max(1)) {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(f) = files.get(i) else { break };
                    let u = spec_runner::script_cli::run_script_cli(
                        &runner, &f.id, &f.source, &scratch,
                    );
                    units.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(u);
                }
            });
        }
    });
    let mut units: Vec<reports::Unit> = units
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-runner/expectations")
        .join(format!("{}.toml", e.name));
    let expectations = match std::fs::read_to_string(&path) {
        Ok(t) => spec_runner::Expectations::parse(&t)
            .map_err(|err| format!("{}: {err}", path.display()))?,
        Err(_) => spec_runner::Expectations::default(),
    };
    let problems = expectations.apply(&mut units);
    let runtime = VendorRuntime { entry: e.clone() };
    let mut config = std::collections::BTreeMap::new();
    config.insert("script_runner".into(), serde_json::json!(template));
    let mut doc = ResultsDoc::new(
        RunKind::Spec,
        EngineInfo {
            name: e.name.clone(),
            version: runtime.version(),
            config,
        },
        SuiteInfo {
            root: suites
                .iter()
                .map(|s| s.root.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            revision: suites.first().and_then(|s| s.revision.clone()),
        },
    );
    for u in units {
        doc.push(u);
    }
    doc.duration_ms = t0.elapsed().as_millis() as u64;
    let t = &doc.totals;
    eprintln!(
        "{} spec (its script runner): {} files, {} pass, {} fail, {} blocked, {} error in {:.1} s ({} unexpected)",
        e.name,
        doc.units.len(),
        t.pass,
        t.fail,
        t.blocked,
        t.error,
        t0.elapsed().as_secs_f64(),
        problems.len()
    );
    for p in problems.iter().take(20) {
        eprintln!("  {p}");
    }
    Ok((doc, problems.len()))
}

/// For `report render` of a matrix run's results: puts the documents in the
/// catalogue's order and writes `runtimes.md` beside the dashboard. Does
/// nothing (returns `None`) when no document comes from a matrix run.
pub fn render_table(docs: &mut [ResultsDoc], out: &Path) -> Option<std::io::Result<PathBuf>> {
    let is_matrix = |d: &ResultsDoc| {
        d.engine.config.contains_key(ROUTE_KEY) || d.engine.config.contains_key(UNAVAILABLE_KEY)
    };
    if !docs.iter().any(is_matrix) {
        return None;
    }
    let catalogue = wasi_testsuite::runtimes::catalogue();
    docs.sort_by_key(|d| {
        catalogue
            .iter()
            .position(|e| e.name == d.engine.name)
            .unwrap_or(usize::MAX)
    });
    let path = out.join(RUNTIMES_MD);
    Some(
        std::fs::create_dir_all(out)
            .and_then(|_| {
                std::fs::write(&path, reports::runtimes::markdown(docs, &expectations_link))
            })
            .map(|_| path),
    )
}
