//! `wasm-conform report --matrix`: the vendor matrix. Each runtime of the
//! catalogue (`wasi-testsuite/runtimes.toml`) runs every suite it can here:
//! the spec suite (an in-process or protocol engine, or the runtime's own
//! script runner), the WASI testsuite (wasip1, wasip3, wasi-threads), the
//! wasip1 tests as WASI 0.2 components made with the official preview1
//! adapter (where the runtime runs components) and the sandbox suite; a
//! runtime that cannot be installed gets a row with its reason. Writes one
//! Results JSON per (runtime, run), the dashboard with its "Runtimes x
//! suites" section, and `runtimes.md` (the README table, with a note on the
//! adapter's column).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reports::runtimes::{COMPONENTS_KEY, P1_COMPONENT, ROUTE_KEY, TITLE_KEY, UNAVAILABLE_KEY};
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

/// Where a runtime's failures of the adapter's components are explained:
/// the adapter's own expectations (those of every runtime in that mode).
pub const ADAPTER_EXPECTATIONS_LINK: &str = "wasi-testsuite/expectations/preview1-adapter.toml";

/// The runtime a catalogue entry is run with: the reference VM in process,
/// any other through its command lines.
fn matrix_runtime(e: &VendorEntry) -> Box<dyn Runtime> {
    if e.name == "reference-vm" {
        Box::new(wasi_testsuite::refvm::RefVm { memfs: false })
    } else {
        Box::new(VendorRuntime { entry: e.clone() })
    }
}

/// Records in a document's engine config where the runtime comes from and
/// whether it runs components (not said for a runtime not run here).
fn provenance(doc: &mut ResultsDoc, e: &VendorEntry) {
    let c = &mut doc.engine.config;
    c.insert(TITLE_KEY.into(), serde_json::json!(e.title));
    if let Some(r) = &e.route {
        c.insert(ROUTE_KEY.into(), serde_json::json!(r));
    }
    match e.missing() {
        Some(u) => {
            c.insert(UNAVAILABLE_KEY.into(), serde_json::json!(u));
        }
        None => {
            let components = matrix_runtime(e).supports_components();
            c.insert(COMPONENTS_KEY.into(), serde_json::json!(components));
        }
    }
}

/// The expectations of a runtime in the adapter's column: its own, plus the
/// adapter's (its faults, whatever the runtime), as
/// `wasm-conform wasi --preview1-as-component` merges them.
fn p1component_expectations(name: &str) -> Expectations {
    let mut e = Expectations::builtin(name).unwrap_or_default();
    if let Some(a) = Expectations::builtin(wasi_testsuite::p1component::EXPECTATIONS) {
        e.tests.extend(a.tests);
    }
    e
}

/// The paragraph under the table about the adapter's column, from the
/// results: what the column is, who ran it, and the tests the adapter
/// itself fails (listed in its expectations and failing as listed on every
/// runtime that ran them), which no runtime can pass. `None` when no
/// runtime ran the column.
pub fn adapter_note(docs: &[ResultsDoc]) -> Option<String> {
    let facts = reports::runtimes::column_facts(docs, P1_COMPONENT);
    if facts.runtimes.is_empty() {
        return None;
    }
    let rows = reports::runtimes::rows(docs);
    let title = |n: &String| {
        rows.iter()
            .find(|r| &r.name == n)
            .map_or_else(|| n.clone(), |r| r.title.clone())
    };
    let names: Vec<String> = facts.runtimes.iter().map(title).collect();
    let mut s = format!(
        "*{P1_COMPONENT}*: the {} wasip1 tests turned into WASI 0.2 components with the official preview1 adapter (`wasi_snapshot_preview1.command.wasm` of wasi-preview1-component-adapter-provider {}; `wasm-conform wasi --preview1-as-component`), run on the runtimes that run components ({}); the others run core modules only.",
        facts.tests,
        wasi_testsuite::p1component::ADAPTER_VERSION,
        names.join(", ")
    );
    let listed =
        Expectations::builtin(wasi_testsuite::p1component::EXPECTATIONS).unwrap_or_default();
    let faults = facts
        .known_everywhere
        .iter()
        .filter(|id| listed.tests.iter().any(|e| &e.id == *id))
        .count();
    if faults > 0 {
        let _ = write!(
            s,
            " {faults} of them fail on every one of these runtimes in the adapter itself, not in the WASI 0.2 host ([{0}]({0}) gives each reason), so {1}/{2} is the most any runtime can reach in this column.",
            ADAPTER_EXPECTATIONS_LINK,
            facts.tests.saturating_sub(faults),
            facts.tests
        );
    }
    Some(s)
}

/// The README table of a matrix run's documents, with its notes.
fn table(docs: &[ResultsDoc]) -> String {
    let notes: Vec<String> = adapter_note(docs).into_iter().collect();
    reports::runtimes::markdown(docs, &expectations_link, &notes)
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
    // The adapter's components, made once for every runtime that runs them.
    let mut p1_root: Option<Result<PathBuf, String>> = None;
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
        let runtime = matrix_runtime(e);
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
        // (kind, suite folders, file name part, expectations) of each run.
        let mut runs: Vec<(RunKind, Vec<PathBuf>, &str, Expectations)> = Vec::new();
        let own = || Expectations::builtin(&e.name).unwrap_or_default();
        if let Some(w) = &req.wasi_suite {
            runs.push((RunKind::Wasi, vec![w.clone()], "wasi", own()));
            // The wasip1 tests as components: only where components run
            // (the row says "modules only" elsewhere).
            if runtime.supports_components() {
                match p1_root.get_or_insert_with(|| {
                    wasi_testsuite::p1component::prepare(
                        &wasi_testsuite::p1component::wasip1_suites(w),
                        &wasi_testsuite::p1component::default_out_dir(),
                    )
                }) {
                    Ok(root) => runs.push((
                        RunKind::Wasi,
                        vec![root.clone()],
                        "wasip1-as-component",
                        p1component_expectations(&e.name),
                    )),
                    Err(err) => {
                        eprintln!("{}: {P1_COMPONENT}: not run: {err}", e.name);
                        unexpected.push(format!("{} {P1_COMPONENT}: not run: {err}", e.name));
                    }
                }
            }
        }
        let mut _sandbox_guard = None;
        if req.sandbox {
            match wasi_testsuite::sandbox::prepare(&wasi_testsuite::sandbox::default_dir()) {
                Ok((guard, dir, _)) => {
                    _sandbox_guard = Some(guard);
                    runs.push((RunKind::Sandbox, vec![dir], "sandbox", own()));
                }
                Err(err) => eprintln!("sandbox suite not prepared: {err}"),
            }
        }
        for (kind, testsuites, what, expectations) in runs {
            let mut opts = Options {
                testsuites,
                timeout: req.timeout,
                expectations,
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
    let md = table(&docs);
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
    // Results saved before the documents said whether the runtime runs
    // components: the catalogue says.
    for d in docs.iter_mut().filter(|d| is_matrix(d)) {
        if d.engine.config.contains_key(UNAVAILABLE_KEY)
            || d.engine.config.contains_key(COMPONENTS_KEY)
        {
            continue;
        }
        if let Some(e) = catalogue.iter().find(|e| e.name == d.engine.name) {
            let components = matrix_runtime(e).supports_components();
            d.engine
                .config
                .insert(COMPONENTS_KEY.into(), serde_json::json!(components));
        }
    }
    docs.sort_by_key(|d| {
        catalogue
            .iter()
            .position(|e| e.name == d.engine.name)
            .unwrap_or(usize::MAX)
    });
    let path = out.join(RUNTIMES_MD);
    Some(
        std::fs::create_dir_all(out)
            .and_then(|_| std::fs::write(&path, table(docs)))
            .map(|_| path),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::{Status, Unit, Verdict};

    /// A WASI document of a catalogue runtime as a matrix run writes it
    /// (title and route in the config; `components` only when given), with
    /// units as (id, verdict kind, status).
    fn doc(name: &str, components: Option<bool>, units: &[(&str, &str, Status)]) -> ResultsDoc {
        let mut d = ResultsDoc::new(
            RunKind::Wasi,
            EngineInfo {
                name: name.into(),
                version: "1".into(),
                config: Default::default(),
            },
            SuiteInfo {
                root: "tests".into(),
                revision: None,
            },
        );
        let c = &mut d.engine.config;
        c.insert(TITLE_KEY.into(), serde_json::json!(format!("{name} title")));
        c.insert(ROUTE_KEY.into(), serde_json::json!("test"));
        if let Some(b) = components {
            c.insert(COMPONENTS_KEY.into(), serde_json::json!(b));
        }
        for (id, kind, st) in units {
            d.push(Unit::new(*id, vec![Verdict::new(0, 0, *kind, *st)]));
        }
        d
    }

    /// A test the adapter's own expectations list (read from the file).
    fn adapter_fault() -> String {
        Expectations::builtin(wasi_testsuite::p1component::EXPECTATIONS)
            .expect("the adapter's expectations parse")
            .tests
            .into_iter()
            .map(|e| e.id)
            .find(|id| id.contains("wasm32-wasip1-as-component/"))
            .expect("the adapter's expectations list a wasip1 test")
    }

    #[test]
    fn the_note_counts_only_adapter_faults_failing_everywhere() {
        let listed = adapter_fault();
        let ok = "rust/testsuite/wasm32-wasip1-as-component/ok";
        let both = "rust/testsuite/wasm32-wasip1-as-component/both-but-not-the-adapter";
        let one = "rust/testsuite/wasm32-wasip1-as-component/one";
        let units = |one_status: (&'static str, Status)| {
            vec![
                (listed.as_str(), "xfail", Status::Fail),
                (ok, "pass", Status::Pass),
                (both, "xfail", Status::Fail),
                (one, one_status.0, one_status.1),
            ]
        };
        let docs = [
            doc("reference-vm", Some(true), &units(("pass", Status::Pass))),
            doc("wasmtime", Some(true), &units(("xfail", Status::Fail))),
            doc("wamr", Some(false), &[]),
        ];
        let note = adapter_note(&docs).expect("a note when the column was run");
        assert!(
            note.contains("the 4 wasip1 tests")
                && note.contains("(reference-vm title, wasmtime title)")
                && note.contains(" 1 of them fail on every one")
                && note.contains("so 3/4 is the most")
                && note.contains(ADAPTER_EXPECTATIONS_LINK),
            "{note}"
        );
        // When a runtime passes the adapter's test, the adapter is not
        // blamed (and the runner reports its stale entry).
        let mut docs = docs;
        docs[1] = doc(
            "wasmtime",
            Some(true),
            &[(listed.as_str(), "xpass", Status::Pass)],
        );
        let note = adapter_note(&docs).expect("a note");
        assert!(!note.contains("most any runtime"), "{note}");
        // No runtime ran the column: no note.
        assert_eq!(adapter_note(&docs[2..]), None);
    }

    #[test]
    fn rendering_saved_results_fills_in_who_runs_components() {
        let listed = adapter_fault();
        let ok = "rust/testsuite/wasm32-wasip1-as-component/ok";
        // Saved before documents said `components`: the catalogue says
        // wamr runs modules only and wasmtime runs components.
        let mut docs = vec![
            doc(
                "wamr",
                None,
                &[("rust/testsuite/wasm32-wasip1/a", "pass", Status::Pass)],
            ),
            doc(
                "wasmtime",
                None,
                &[("rust/testsuite/wasm32-wasip1/a", "pass", Status::Pass)],
            ),
            doc(
                "reference-vm",
                Some(true),
                &[
                    (ok, "pass", Status::Pass),
                    (listed.as_str(), "xfail", Status::Fail),
                ],
            ),
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        let path = render_table(&mut docs, dir.path())
            .expect("a matrix run")
            .expect("written");
        let md = std::fs::read_to_string(path).expect("runtimes.md");
        let header = md.lines().next().unwrap_or_default();
        let col = header
            .split(" | ")
            .position(|c| c == P1_COMPONENT)
            .expect("the column is in the header");
        let cell = |name: &str| {
            md.lines()
                .find(|l| l.starts_with(&format!("| [{name} title]")))
                .and_then(|l| l.split(" | ").nth(col))
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(cell("reference-vm"), "1/2 (50.0%), 1 known", "{md}");
        assert_eq!(cell("wamr"), reports::runtimes::MODULES_ONLY, "{md}");
        assert_eq!(cell("wasmtime"), "not run", "{md}");
        assert!(md.contains("so 1/2 is the most"), "{md}");
    }
}
