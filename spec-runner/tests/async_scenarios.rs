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
const KNOWN_BUGS: &[(&str, &str)] = &[
    (
        "test_callback_interleaving.wast",
        "line 187: a callback-lifted task blocked in a synchronous future.read \
         inside its callback must keep its instance exclusively \
         (definitions.py: the callback loop sets exclusive_thread back before \
         calling the callback, and a sync read keeps it while it waits), so \
         the other task's callback may not run; reference-vm runs it (poll \
         sees SUBTASK RETURNED for task 1, expected NONE)",
    ),
    (
        "test_cancel_copy.wast",
        "lines 199 and 225: cancelling a stream copy whose other end already \
         took or gave part of it returns the pending progress event, which \
         definitions.py's on_copy sets to COMPLETED (cancel_copy returns it \
         without calling cancel): 0x20 = 2 COMPLETED; reference-vm reports \
         0x22 = 2 CANCELLED, as the reference test cancel-stream.wast \
         (lines 66 and 139, 0x42) expects: the specification and that test \
         disagree, the lead decides",
    ),
    (
        "test_cross_component_realloc.wast",
        "line 56: a realloc called to lower a callee's results runs as a new \
         task and thread of the caller's instance (definitions.py \
         LiftLowerContext.reallocate calls canon_lift), so context.get 0 \
         reads 0 there; reference-vm runs it with the callee's thread \
         context and reads the callee's 0xdead (the rest of the file holds)",
    ),
];

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
