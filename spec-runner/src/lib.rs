//! The spec runner: `.wast` scripts against any engine, one verdict per
//! assertion (DESIGN.md, "spec-runner").

pub mod chunk;
pub mod expectations;
pub mod patterns;
pub mod script;
pub mod script_cli;
pub mod suite;

pub use expectations::{Expectations, Problem};
pub use script::{ScriptConfig, run_script, run_script_on};
pub use suite::{Suite, SuiteFile};

use rayon::prelude::*;
use reports::Unit;

/// The engine that runs a suite file: plain `reference-vm` runs each file
/// with the preset its suite is written for (3.0 for `test/`, a proposal's
/// own for `proposals/NAME`, see [`engines::reference_vm_preset_for`]); any
/// other name is used as given.
pub fn engine_for_file(engine: &str, file_id: &str) -> String {
    if engine == "reference-vm" {
        format!("reference-vm@{}", engines::reference_vm_preset_for(file_id))
    } else {
        engine.to_string()
    }
}

/// Runs one suite file (with [`engine_for_file`]'s engine) and fills in
/// each verdict's reproducing command.
pub fn run_file(file: &SuiteFile, cfg: &ScriptConfig) -> Unit {
    let foreign = foreign_wording(&file.id);
    let cfg = &ScriptConfig {
        engine: engine_for_file(&cfg.engine, &file.id),
        strict_messages: cfg.strict_messages && !foreign,
        validation_only: cfg.validation_only || foreign,
        ..cfg.clone()
    };
    let mut unit = run_script(&file.id, &file.source, cfg);
    let command = file.command(&cfg.engine);
    for v in &mut unit.verdicts {
        v.command = Some(command.clone());
    }
    unit
}

/// A seed under which a file's run breaks an assertion its default run keeps.
#[derive(Debug, Clone)]
pub struct BrokenSchedule {
    /// The file.
    pub id: String,
    /// The first seed that breaks it.
    pub seed: u64,
    /// The verdict that broke: its line and what happened.
    pub line: u32,
    /// The verdict's status and reason under that seed.
    pub what: String,
}

/// Schedule exploration: runs `file` under scheduler seeds `1..=seeds` (the
/// component model's concurrency, [`engines::Engine::set_schedule_seed`])
/// and returns the first seed under which an assertion that passes in the
/// default schedule does not.
pub fn explore_schedules(
    file: &SuiteFile,
    cfg: &ScriptConfig,
    seeds: u64,
) -> Option<BrokenSchedule> {
    let base = run_file(file, cfg);
    let passed: std::collections::HashSet<(u32, u32)> = base
        .verdicts
        .iter()
        .filter(|v| v.status == reports::Status::Pass)
        .map(|v| (v.line, v.col))
        .collect();
    (1..=seeds).find_map(|seed| {
        let cfg = ScriptConfig {
            schedule_seed: Some(seed),
            ..cfg.clone()
        };
        let unit = run_file(file, &cfg);
        unit.verdicts
            .iter()
            .find(|v| v.status != reports::Status::Pass && passed.contains(&(v.line, v.col)))
            .map(|v| BrokenSchedule {
                id: file.id.clone(),
                seed,
                line: v.line,
                what: format!(
                    "{:?}: {}",
                    v.status,
                    v.actual
                        .clone()
                        .or_else(|| v.reason.clone())
                        .unwrap_or_default()
                ),
            })
    })
}

/// [`explore_schedules`] over files in parallel: the broken ones, in order.
pub fn explore_files(files: &[&SuiteFile], cfg: &ScriptConfig, seeds: u64) -> Vec<BrokenSchedule> {
    files
        .par_iter()
        .filter_map(|f| explore_schedules(f, cfg, seeds))
        .collect()
}

/// Suites whose expected messages are another implementation's wording,
/// not the specification's: there only the stage and outcome are held
/// strictly (a message difference is a note). They are validation suites:
/// a valid component nothing can link is judged by validation.
const FOREIGN_WORDING: &[&str] = &[
    // wasm-tools' component tests: wasmparser's messages.
    "component-model/wasm-tools-tests/",
];

/// Whether a file's messages are another implementation's wording.
fn foreign_wording(id: &str) -> bool {
    FOREIGN_WORDING.iter().any(|p| id.starts_with(p))
}

/// Runs files in parallel on `jobs` threads (0 = all cores); results come
/// back in input order. `progress` is called as each file finishes.
pub fn run_files(
    files: &[SuiteFile],
    cfg: &ScriptConfig,
    jobs: usize,
    progress: &(dyn Fn(&Unit) + Sync),
) -> Result<Vec<Unit>, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let unit = run_file(f, cfg);
                progress(&unit);
                unit
            })
            .collect()
    }))
}

/// A whole spec run: which suites, which engine, where results go.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The suites to run.
    pub suites: Vec<Suite>,
    /// Substrings of ids to keep (none: keep all).
    pub filters: Vec<String>,
    /// How each script runs.
    pub config: ScriptConfig,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Where to keep the Results JSON, written as files finish.
    pub json: Option<std::path::PathBuf>,
}

/// The outcome of a run: the results document (expectations applied) and
/// what failed unexpectedly or went stale.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The results, in suite order.
    pub doc: reports::ResultsDoc,
    /// Unexpected failures and stale expectations; empty means success.
    pub problems: Vec<Problem>,
}

impl RunRequest {
    /// The files selected by the filters, in suite order.
    pub fn files(&self) -> Vec<&SuiteFile> {
        self.suites
            .iter()
            .flat_map(|s| s.files.iter())
            .filter(|f| {
                self.filters.is_empty() || self.filters.iter().any(|p| f.id.contains(p.as_str()))
            })
            .collect()
    }

    /// Runs every selected file and applies the engine's expectations.
    pub fn run(&self, progress: &(dyn Fn(&Unit) + Sync)) -> Result<RunResult, String> {
        let engine = engines::create_engine(&self.config.engine)?;
        let mut config: std::collections::BTreeMap<String, serde_json::Value> = engine
            .config()
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        config.insert("strict_messages".into(), self.config.strict_messages.into());
        config.insert(
            "file_timeout_s".into(),
            self.config.timeout.as_secs().into(),
        );
        let info = reports::EngineInfo {
            name: engine.name().to_string(),
            version: engine.version(),
            config,
        };
        drop(engine);
        let first = self.suites.first();
        let suite = reports::SuiteInfo {
            root: self
                .suites
                .iter()
                .map(|s| s.root.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            revision: first.and_then(|s| s.revision.clone()),
        };
        let doc = reports::ResultsDoc::new(reports::RunKind::Spec, info, suite);
        let writer = match &self.json {
            Some(path) => Some(std::sync::Mutex::new(
                reports::IncrementalWriter::create(path, doc.clone())
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            )),
            None => None,
        };
        let files: Vec<SuiteFile> = self.files().into_iter().cloned().collect();
        let started = std::time::Instant::now();
        let mut units = run_files(&files, &self.config, self.jobs, &|unit| {
            if let Some(w) = &writer
                && let Ok(mut w) = w.lock()
            {
                // A failed partial write is retried at the next unit and at the end.
                let _ = w.push(unit.clone());
            }
            progress(unit);
        })?;
        let expectations = Expectations::load(&self.config.engine)?;
        let problems = expectations.apply(&mut units);
        let doc = match writer {
            Some(w) => {
                let w = w
                    .into_inner()
                    .map_err(|_| "results writer poisoned".to_string())?;
                w.finish_with(units).map_err(|e| e.to_string())?
            }
            None => {
                let mut doc = doc;
                for u in units {
                    doc.push(u);
                }
                doc.duration_ms = started.elapsed().as_millis() as u64;
                doc
            }
        };
        Ok(RunResult { doc, problems })
    }
}
