//! The Canonical ABI oracle in `cargo test`: 2,000 generated cases through
//! reference-vm's `component::abi` and through the specification's
//! definitions.py must agree.
//!
//! Needs `python3` and `../shared/component-model` (or
//! `$WASM_CONFORM_COMPONENT_MODEL`): under `CI=true` a missing one fails,
//! otherwise the test is skipped with the reason printed.

use engines::oracle::abi;

/// Cases run (the case sequence of seed 1).
const CASES: u64 = 2_000;

fn prerequisites() -> Result<std::path::PathBuf, String> {
    let defs = abi::default_defs_dir();
    if !defs.join("definitions.py").is_file() {
        return Err(format!("{}: no definitions.py", defs.display()));
    }
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        return Err("python3 is not available".into());
    }
    Ok(defs)
}

#[test]
fn reference_vm_abi_agrees_with_definitions_py() {
    let defs_dir = match prerequisites() {
        Ok(d) => d,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI: {e}"),
        Err(e) => {
            eprintln!("skipped: {e}");
            return;
        }
    };
    let summary = abi::run(&abi::RunOptions {
        seed: 1,
        cases: CASES,
        time: None,
        out: None,
        defs_dir,
    })
    .expect("the oracle runs");
    assert_eq!(summary.cases, CASES);
    assert!(
        summary.differences == 0,
        "{}\n{}",
        summary.line(),
        summary.first.join("\n")
    );
    // The generator reaches the traps too (tiny memories, misaligned reallocs).
    assert!(summary.lower_traps > 0, "no lowering trapped");
}

/// A difference is detected: a deliberately wrong answer differs.
#[test]
fn a_wrong_answer_is_a_difference() {
    let case = abi::gen_case(1, 0);
    let mine = abi::ours(&case);
    assert_eq!(abi::difference(&mine, &mine), None);
    let mut wrong = mine.clone();
    wrong["lower"]["reallocs"] = serde_json::json!([[0, 0, 1, 1, 1]]);
    assert!(abi::difference(&mine, &wrong).is_some());
    // and a case survives its JSON form
    let back = abi::AbiCase::from_request(&case.request()).expect("parses");
    assert_eq!(back.request(), case.request());
}
