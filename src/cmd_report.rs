//! `wasm-conform report`: the main job. Runs the spec suite (and the WASI
//! suite when one is found) on each engine, keeps a Results JSON per engine
//! and suite, and renders the dashboard (`index.html`), `summary.md`,
//! `junit.xml`, `features.json` and the history chart into one folder.
//! `report diff` compares two runs; `report render` renders saved results.

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use reports::diff::Diff;
use reports::junit::Granularity;
use reports::render::{self, RenderOptions};
use reports::{ResultsDoc, RunKind};
use spec_runner::{RunRequest, ScriptConfig, suite};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const EXIT_OK: u8 = 0;
const EXIT_FAIL: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Arguments of `wasm-conform report`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    action: Option<ReportAction>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum ReportAction {
    /// Compare two runs (files, or folders of results): fixed, regressed,
    /// changed, new, gone. Exits 1 when anything regressed.
    Diff(DiffArgs),
    /// Render saved Results JSON files (or folders of them) into a dashboard.
    Render(RenderArgs),
}

/// Arguments of a report run.
#[derive(Args)]
struct RunArgs {
    /// Engines to test, comma-separated: reference-vm, wasmi, node, external:COMMAND.
    #[arg(long, value_delimiter = ',', default_value = "reference-vm,wasmi")]
    engines: Vec<String>,
    /// A spec suite folder (every .wast under it), e.g. ../shared/spec-testsuite.
    /// Default: the bundled suite (wasm-latest and every proposal).
    #[arg(long = "spec-suite")]
    spec_suite: Vec<PathBuf>,
    /// A bundled spec suite (wasm-v1, wasm-v2, wasm-v3, wasm-latest,
    /// proposals/NAME) instead of the default selection; repeatable.
    #[arg(long)]
    bundled: Vec<String>,
    /// A WASI testsuite folder. Default: $WASM_CONFORM_WASI_SUITE or
    /// ../shared/wasi-testsuite/tests, when it exists.
    #[arg(long = "wasi-suite")]
    wasi_suite: Vec<PathBuf>,
    /// Skip the WASI suite.
    #[arg(long)]
    no_wasi: bool,
    /// Skip the spec suite.
    #[arg(long)]
    no_spec: bool,
    /// Output folder.
    #[arg(long, default_value = "target/conformance")]
    out: PathBuf,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Per-file (spec) and per-test (WASI) timeout in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// JUnit test cases per `assertion` or per `file`.
    #[arg(long, default_value = "assertion")]
    junit: Granularity,
    /// Do not append to history.jsonl / redraw trend.svg.
    #[arg(long)]
    no_history: bool,
    /// Only spec files whose id contains one of these strings.
    #[arg(long)]
    filter: Vec<String>,
    /// The vendor matrix: `--engines` names runtimes of
    /// wasi-testsuite/runtimes.toml (or `all`); each runs the spec suite where
    /// it has a spec engine, the WASI testsuite (wasip1, wasip3,
    /// wasi-threads) and the sandbox suite; also writes runtimes.md.
    #[arg(long)]
    matrix: bool,
}

#[derive(Args)]
struct DiffArgs {
    /// The old run: a Results JSON file or a folder of them.
    before: PathBuf,
    /// The new run: a Results JSON file or a folder of them.
    after: PathBuf,
    /// Also write the diff as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// How many regressions, fixes and changes to list per run.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(Args)]
struct RenderArgs {
    /// Results JSON files, or folders of them.
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "target/conformance")]
    out: PathBuf,
    /// JUnit test cases per `assertion` or per `file`.
    #[arg(long, default_value = "assertion")]
    junit: Granularity,
    /// Append these runs to the folder's history.jsonl and redraw trend.svg.
    #[arg(long)]
    history: bool,
}

/// Runs `wasm-conform report`.
pub fn report(args: ReportArgs) -> u8 {
    match args.action {
        Some(ReportAction::Diff(d)) => diff(d),
        Some(ReportAction::Render(r)) => render_cmd(r),
        None => run(args.run),
    }
}

fn diff(args: DiffArgs) -> u8 {
    let load = |p: &PathBuf| render::load_docs(std::slice::from_ref(p)).map(render::merge_runs);
    let (before, after) = match (load(&args.before), load(&args.after)) {
        (Ok(b), Ok(a)) => (b, a),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("wasm-conform report diff: {e}");
            return EXIT_USAGE;
        }
    };
    if before.is_empty() || after.is_empty() {
        eprintln!("wasm-conform report diff: no results documents found");
        return EXIT_USAGE;
    }
    let d = Diff::new(&before, &after);
    print!("{}", d.render_text(args.limit));
    if let Some(path) = &args.markdown
        && let Err(e) = std::fs::write(path, d.render_markdown(args.limit))
    {
        eprintln!("wasm-conform report diff: {}: {e}", path.display());
        return EXIT_USAGE;
    }
    if d.has_regressions() {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

fn render_cmd(args: RenderArgs) -> u8 {
    let mut docs = match render::load_docs(&args.results).map(render::merge_runs) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            eprintln!("wasm-conform report render: no results documents found");
            return EXIT_USAGE;
        }
        Err(e) => {
            eprintln!("wasm-conform report render: {e}");
            return EXIT_USAGE;
        }
    };
    // A vendor matrix's results also give the README table (runtimes.md).
    match crate::cmd_vendor::render_table(&mut docs, &args.out) {
        Some(Ok(p)) => println!("wrote {}", p.display()),
        Some(Err(e)) => eprintln!("wasm-conform report render: {e}"),
        None => {}
    }
    let opts = RenderOptions {
        junit: args.junit,
        history: args.history,
    };
    match render::write_all(&docs, &args.out, opts) {
        Ok(paths) => {
            print_matrix(&docs);
            for p in paths {
                println!("wrote {}", p.display());
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("wasm-conform report render: {}: {e}", args.out.display());
            EXIT_USAGE
        }
    }
}

/// A file-name-safe form of an engine name (`external:./drv --x` -> `external-drv-x`).
fn file_stem(engine: &str) -> String {
    let mut s: String = engine
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').chars().take(60).collect()
}

fn bar(total: u64, prefix: &str) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>22} {bar:40} {pos}/{len} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(prefix.to_string());
        bar
    })
}

fn print_matrix(docs: &[ResultsDoc]) {
    let md = reports::markdown::render(docs);
    // The matrix section only: from its heading to the next.
    if let Some(start) = md.find("## Engines x proposals") {
        let rest = &md[start..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
        println!("{}", rest[..end].trim_end());
    }
}

fn run(args: RunArgs) -> u8 {
    if args.matrix {
        return run_matrix(args);
    }
    let started = Instant::now();
    if args.no_spec && args.no_wasi {
        eprintln!("wasm-conform report: --no-spec and --no-wasi leave nothing to run");
        return EXIT_USAGE;
    }
    for e in &args.engines {
        if let Err(err) = engines::create_engine(e) {
            eprintln!("wasm-conform report: engine {e}: {err}");
            return EXIT_USAGE;
        }
    }
    let suites = if args.no_spec {
        Vec::new()
    } else if args.spec_suite.is_empty() {
        let names = if args.bundled.is_empty() {
            suite::bundled_default()
        } else {
            args.bundled.clone()
        };
        match names
            .iter()
            .map(|n| suite::bundled(n))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("wasm-conform report: {e}");
                return EXIT_USAGE;
            }
        }
    } else {
        match args
            .spec_suite
            .iter()
            .map(|d| suite::discover(d))
            .chain(args.bundled.iter().map(|n| suite::bundled(n)))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("wasm-conform report: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let wasi_suites: Vec<PathBuf> = if args.no_wasi {
        Vec::new()
    } else if args.wasi_suite.is_empty() {
        let d = wasi_testsuite::runner::default_testsuite();
        if d.is_dir() {
            vec![d.canonicalize().unwrap_or(d)]
        } else {
            eprintln!(
                "note: no WASI testsuite at {} (use --wasi-suite DIR); spec suite only",
                d.display()
            );
            Vec::new()
        }
    } else {
        for d in &args.wasi_suite {
            if !d.is_dir() {
                eprintln!(
                    "wasm-conform report: WASI testsuite folder {} not found",
                    d.display()
                );
                return EXIT_USAGE;
            }
        }
        args.wasi_suite.clone()
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("wasm-conform report: {}: {e}", args.out.display());
        return EXIT_USAGE;
    }

    let mut docs: Vec<ResultsDoc> = Vec::new();
    let render_opts = RenderOptions {
        junit: args.junit,
        history: false,
    };
    for engine in &args.engines {
        if !suites.is_empty() {
            let json = args.out.join(format!("{}.spec.json", file_stem(engine)));
            match run_spec(engine, &suites, &args, &json) {
                Ok(doc) => docs.push(doc),
                Err(e) => {
                    eprintln!("wasm-conform report: {engine}: {e}");
                    return EXIT_USAGE;
                }
            }
            // Keep the dashboard current, so a run stopped later still has one.
            let _ = render::write_all(&docs, &args.out, render_opts);
        }
        if !wasi_suites.is_empty() {
            match wasi_testsuite::runtime_by_name(engine) {
                Some(runtime) => {
                    let json = args.out.join(format!("{}.wasi.json", file_stem(engine)));
                    match run_wasi(runtime.as_ref(), &wasi_suites, &args, &json) {
                        Ok(doc) => docs.push(doc),
                        Err(e) => eprintln!("note: {engine}: WASI suite not run: {e}"),
                    }
                    let _ = render::write_all(&docs, &args.out, render_opts);
                }
                None => eprintln!(
                    "note: {engine} has no WASI runtime adapter; WASI suite skipped for it"
                ),
            }
        }
    }
    let opts = RenderOptions {
        junit: args.junit,
        history: !args.no_history,
    };
    let paths = match render::write_all(&docs, &args.out, opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wasm-conform report: {}: {e}", args.out.display());
            return EXIT_USAGE;
        }
    };
    println!();
    print_matrix(&docs);
    println!();
    for p in paths {
        println!("wrote {}", p.display());
    }
    println!(
        "report done in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        args.out.join(render::INDEX_HTML).display()
    );
    EXIT_OK
}

fn run_spec(
    engine: &str,
    suites: &[spec_runner::Suite],
    args: &RunArgs,
    json: &Path,
) -> Result<ResultsDoc, String> {
    let mut config = ScriptConfig::for_engine(engine);
    config.timeout = Duration::from_secs(args.timeout);
    let request = RunRequest {
        suites: suites.to_vec(),
        filters: args.filter.clone(),
        config,
        jobs: args.jobs,
        json: Some(json.to_path_buf()),
    };
    let total = request.files().len();
    let bar = bar(total as u64, &format!("{engine} spec"));
    let done = AtomicUsize::new(0);
    let t0 = Instant::now();
    let result = request.run(&|unit| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        match &bar {
            Some(b) => {
                b.set_message(unit.id.clone());
                b.inc(1);
            }
            None if n.is_multiple_of(50) || n == total => {
                eprintln!("[{engine} spec {n}/{total}] {}", unit.id)
            }
            None => {}
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t = &result.doc.totals;
    eprintln!(
        "{engine} spec: {} files, {} pass, {} fail, {} unsupported, {} other in {:.1} s ({} unexpected){}",
        result.doc.units.len(),
        t.pass,
        t.fail,
        t.unsupported,
        t.skip + t.blocked + t.timeout + t.error,
        t0.elapsed().as_secs_f64(),
        result.problems.len(),
        format_args!(" -> {}", json.display())
    );
    Ok(result.doc)
}

fn run_wasi(
    runtime: &dyn wasi_testsuite::Runtime,
    testsuites: &[PathBuf],
    args: &RunArgs,
    json: &Path,
) -> Result<ResultsDoc, String> {
    let mut opts = wasi_testsuite::Options {
        testsuites: testsuites.to_vec(),
        timeout: Duration::from_secs(args.timeout),
        expectations: wasi_testsuite::Expectations::builtin(&runtime.name()).unwrap_or_default(),
        ..wasi_testsuite::Options::default()
    };
    if args.jobs > 0 {
        opts.jobs = args.jobs;
    }
    // A placeholder partial document, so a run killed now still leaves one.
    let mut placeholder = ResultsDoc::new(
        RunKind::Wasi,
        reports::EngineInfo {
            name: runtime.name(),
            version: runtime.version(),
            config: Default::default(),
        },
        reports::SuiteInfo {
            root: testsuites
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            revision: None,
        },
    );
    placeholder.partial = true;
    reports::write_atomic(json, &placeholder).map_err(|e| format!("{}: {e}", json.display()))?;
    let spinner = bar(0, &format!("{} wasi", runtime.name()));
    if let Some(s) = &spinner {
        s.set_style(
            ProgressStyle::with_template(
                "{prefix:>22} {spinner} {elapsed} running the WASI testsuite",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        s.enable_steady_tick(Duration::from_millis(120));
    }
    let t0 = Instant::now();
    let report = wasi_testsuite::run_suites(runtime, &opts)?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    reports::write_atomic(json, &report.doc).map_err(|e| format!("{}: {e}", json.display()))?;
    let t = &report.doc.totals;
    eprintln!(
        "{} wasi: {} tests, {} pass, {} fail, {} other in {:.1} s -> {}",
        runtime.name(),
        report.doc.units.len(),
        t.pass,
        t.fail,
        t.total() - t.pass - t.fail,
        t0.elapsed().as_secs_f64(),
        json.display()
    );
    Ok(report.doc)
}

/// `report --matrix`: the vendor matrix (src/cmd_vendor.rs).
fn run_matrix(args: RunArgs) -> u8 {
    let wasi_suite = if args.no_wasi {
        None
    } else {
        let d = args
            .wasi_suite
            .first()
            .cloned()
            .unwrap_or_else(wasi_testsuite::runner::default_testsuite);
        if !d.is_dir() {
            eprintln!(
                "wasm-conform report: WASI testsuite folder {} not found",
                d.display()
            );
            return EXIT_USAGE;
        }
        Some(d)
    };
    crate::cmd_vendor::run(crate::cmd_vendor::MatrixRequest {
        engines: args.engines,
        spec_suites: if args.no_spec {
            Vec::new()
        } else {
            args.spec_suite
        },
        wasi_suite,
        sandbox: !args.no_wasi,
        out: args.out,
        timeout: Duration::from_secs(args.timeout),
        jobs: args.jobs,
    })
}
