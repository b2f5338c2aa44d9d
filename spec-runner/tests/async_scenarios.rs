//! Our own component scripts for the concurrency scenarios of the
//! canonical ABI's Python tests (`design/mvp/canonical-abi/run_tests.py`),
//! in `tests/async-scenarios/` (the README there maps each file to the
//! scenario it mirrors). Every file must pass on reference-vm, and no
//! assertion may break under scheduler seeds `1..=SEEDS`: the scripts are
//! written to hold under every interleaving the specification allows.
//! The scripts are self-contained, so the test needs no `../shared` data.

use reports::Status;
use spec_runner::{ScriptConfig, run_file, suite};
use std::path::Path;

/// Files that expose a reference-vm bug: excluded from the must-pass check,
/// each with the bug it shows (a listed file that passes fails this test,
/// so the list stays true).
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// Seeds per file for the schedule exploration.
const SEEDS: u64 = 20;

fn scenarios() -> suite::Suite {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/async-scenarios");
    let suite = suite::discover(&dir).expect("the async scenario scripts");
    assert!(
        suite.files.len() >= 10,
        "only {} scenario scripts in {}",
        suite.files.len(),
        dir.display()
    );
    suite
}

fn known_bug(id: &str) -> Option<&'static str> {
    KNOWN_BUGS
        .iter()
        .find(|(name, _)| id.ends_with(name))
        .map(|(_, why)| *why)
}

#[test]
fn async_scenarios_pass_on_reference_vm() {
    let suite = scenarios();
    let cfg = ScriptConfig::for_engine("reference-vm");
    let mut failures = Vec::new();
    for file in &suite.files {
        let unit = run_file(file, &cfg);
        let bad: Vec<String> = unit
            .verdicts
            .iter()
            .filter(|v| v.status != Status::Pass)
            .map(|v| {
                format!(
                    "{}:{}: {} {:?}: expected {:?}, got {:?} {:?}",
                    file.id, v.line, v.kind, v.status, v.expected, v.actual, v.reason
                )
            })
            .collect();
        assert!(!unit.verdicts.is_empty(), "{}: no verdicts", file.id);
        match known_bug(&file.id) {
            Some(why) => assert!(
                !bad.is_empty(),
                "{} passes now: remove it from KNOWN_BUGS (it was there for: {why})",
                file.id
            ),
            None => failures.extend(bad),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn async_scenarios_hold_under_20_seeds() {
    let suite = scenarios();
    let files: Vec<_> = suite
        .files
        .iter()
        .filter(|f| known_bug(&f.id).is_none())
        .collect();
    let cfg = ScriptConfig::for_engine("reference-vm");
    let broken = spec_runner::explore_files(&files, &cfg, SEEDS);
    let report: Vec<String> = broken
        .iter()
        .map(|b| format!("{}:{}: seed {}: {}", b.id, b.line, b.seed, b.what))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}
