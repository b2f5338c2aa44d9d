//! `wasm-conform spec` and `wasm-conform wast`.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use reports::{Status, summary};
use spec_runner::{RunRequest, ScriptConfig, Suite, suite};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Exit status: everything expected happened.
pub const EXIT_OK: u8 = 0;
/// Exit status: something failed or an expectation went stale.
pub const EXIT_FAIL: u8 = 1;
/// Exit status: the command line or environment was wrong.
pub const EXIT_USAGE: u8 = 2;

/// Arguments of `wasm-conform spec`.
#[derive(Args)]
pub struct SpecArgs {
    /// Engine to test: reference-vm, wasmi (wasmtime with the `wasmtime` feature).
    #[arg(long, default_value = "reference-vm")]
    engine: String,
    /// A suite folder (every .wast under it), e.g. ../shared/spec-testsuite.
    #[arg(long)]
    suite: Vec<PathBuf>,
    /// A bundled suite: wasm-v1, wasm-v2, wasm-v3, wasm-latest, proposals/NAME.
    #[arg(long)]
    bundled: Vec<String>,
    /// Write the Results JSON here (kept valid while the run goes on).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Per-file wall-clock timeout in seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Schedule exploration: also run each component-model file under
    /// scheduler seeds 1..=N and report the first seed that breaks an
    /// assertion the default schedule passes.
    #[arg(long, default_value_t = 0)]
    schedule_seeds: u64,
    /// Only files whose id contains one of these strings.
    filter: Vec<String>,
}

/// Arguments of `wasm-conform wast`.
#[derive(Args)]
pub struct WastArgs {
    /// The script to run.
    file: PathBuf,
    /// Engine to run it on.
    #[arg(long, default_value = "reference-vm")]
    engine: String,
}

fn load_suites(args: &SpecArgs) -> Result<Vec<Suite>, String> {
    let mut suites = Vec::new();
    for dir in &args.suite {
        suites.push(suite::discover(dir)?);
    }
    let bundled = if args.suite.is_empty() && args.bundled.is_empty() {
        suite::bundled_default()
    } else {
        args.bundled.clone()
    };
    for name in &bundled {
        suites.push(suite::bundled(name)?);
    }
    Ok(suites)
}

/// Runs `wasm-conform spec`.
pub fn spec(args: SpecArgs) -> u8 {
    let suites = match load_suites(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasm-conform spec: {e}");
            return EXIT_USAGE;
        }
    };
    let mut config = ScriptConfig::for_engine(&args.engine);
    config.timeout = Duration::from_secs(args.timeout);
    let request = RunRequest {
        suites,
        filters: args.filter.clone(),
        config: config.clone(),
        jobs: args.jobs,
        json: args.json.clone(),
    };
    let total = request.files().len();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let done = AtomicUsize::new(0);
    let result = request.run(&|unit| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        match &bar {
            Some(bar) => {
                bar.set_message(unit.id.clone());
                bar.inc(1);
            }
            None => eprintln!(
                "[{n}/{total}] {}: {} pass, {} fail",
                unit.id, unit.totals.pass, unit.totals.fail
            ),
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wasm-conform spec: {e}");
            return EXIT_USAGE;
        }
    };
    // The suites as the user named them (a path as passed, never made
    // absolute: the line is pasted into README tables), then bundled ones.
    let named: Vec<String> = args
        .suite
        .iter()
        .map(|p| p.display().to_string())
        .chain(args.bundled.iter().cloned())
        .collect();
    let on = if named.is_empty() {
        result.doc.suite.root.clone()
    } else {
        named.join(", ")
    };
    println!(
        "{} {} on {} ({} files, {:.1} s)\n",
        result.doc.engine.name,
        result.doc.engine.version,
        on,
        result.doc.units.len(),
        result.doc.duration_ms as f64 / 1000.0
    );
    print!("{}", summary::folder_table(&result.doc));
    if let Some(path) = &args.json {
        println!("\nresults: {}", path.display());
    }
    let broken = explore(&request, &config, args.schedule_seeds);
    if result.problems.is_empty() && broken.is_empty() {
        println!("\nall verdicts as expected");
        EXIT_OK
    } else {
        if !result.problems.is_empty() {
            println!("\n{} problem(s):", result.problems.len());
        }
        for p in &result.problems {
            println!("  {p}");
        }
        EXIT_FAIL
    }
}

/// `--schedule-seeds N`: explores the component-model files' schedules and
/// prints what it found; returns the files some seed breaks.
fn explore(request: &RunRequest, config: &ScriptConfig, seeds: u64) -> Vec<String> {
    if seeds == 0 {
        return Vec::new();
    }
    let files: Vec<_> = request
        .files()
        .into_iter()
        .filter(|f| f.id.contains("component-model/"))
        .collect();
    let broken = spec_runner::explore_files(&files, config, seeds);
    println!(
        "\nschedule exploration: {} component-model files under seeds 1..={seeds}: {}",
        files.len(),
        if broken.is_empty() {
            "every assertion holds under every seed".to_string()
        } else {
            format!("{} file(s) broken", broken.len())
        }
    );
    for b in &broken {
        println!(
            "  {}:{}: seed {} breaks it: {}",
            b.id, b.line, b.seed, b.what
        );
    }
    broken.into_iter().map(|b| b.id).collect()
}

/// Runs `wasm-conform wast`.
pub fn wast(args: WastArgs) -> u8 {
    let source = match std::fs::read_to_string(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasm-conform wast: {}: {e}", args.file.display());
            return EXIT_USAGE;
        }
    };
    let name = args.file.display().to_string();
    let unit = spec_runner::run_script(&name, &source, &ScriptConfig::for_engine(&args.engine));
    let mut bad = 0;
    for v in &unit.verdicts {
        if v.status == Status::Pass {
            continue;
        }
        bad += 1;
        let what = match (&v.expected, &v.actual) {
            (Some(e), Some(a)) => format!("expected {e}, got {a}"),
            _ => String::new(),
        };
        let why = v
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        println!(
            "{name}:{}:{} {} [{}]: {what}{why}",
            v.line,
            v.col,
            v.kind,
            v.status.as_str()
        );
    }
    let t = unit.totals;
    println!(
        "{name}: {} pass, {} fail, {} other",
        t.pass,
        t.fail,
        t.total() - t.pass - t.fail
    );
    if bad == 0 { EXIT_OK } else { EXIT_FAIL }
}
