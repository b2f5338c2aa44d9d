//! `wasm-conform report` killed mid-way (SIGKILL, SIGTERM) leaves a valid
//! partial Results JSON, and `report render` turns it into a dashboard.
//!
//! SIGTERM stands for the polite kills (Ctrl-C's SIGINT has the same default
//! action, but a shell starts background jobs with SIGINT ignored, and the
//! child inherits that, so a SIGINT test would hang there).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wasm-conform");

/// Waits until one of the results files is a partial document with at
/// least one unit; returns it.
fn wait_for_partial(paths: &[PathBuf], limit: Duration) -> Option<PathBuf> {
    let start = Instant::now();
    while start.elapsed() < limit {
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(path)
                && let Ok(doc) = reports::ResultsDoc::from_json(&text)
                && doc.partial
                && !doc.units.is_empty()
            {
                return Some(path.clone());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn killed_run_renders(signal: &str) {
    let dir = std::env::temp_dir().join(format!("wc-killed-{signal}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A suite that cannot finish before the kill: one quick script, then one
    // that loops until its fuel runs out (many seconds on either engine).
    let suite = dir.join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(
        suite.join("a.wast"),
        "(module (func (export \"f\") (result i32) (i32.const 1)))\n\
         (assert_return (invoke \"f\") (i32.const 1))\n",
    )
    .unwrap();
    // Fifty calls that each spin until their fuel ends: far longer than the
    // kill takes, on either engine.
    let spins = "(assert_return (invoke \"spin\"))\n".repeat(50);
    std::fs::write(
        suite.join("b.wast"),
        format!("(module (func (export \"spin\") (loop (br 0))))\n{spins}"),
    )
    .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args([
        "report",
        "--engines",
        "reference-vm,wasmi",
        "--no-wasi",
        "--no-history",
        "--jobs",
        "1",
        "--spec-suite",
    ])
    .arg(&suite);
    let mut child = cmd
        .arg("--out")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wasm-conform report");
    let found = wait_for_partial(
        &[
            dir.join("reference-vm.spec.json"),
            dir.join("wasmi.spec.json"),
        ],
        Duration::from_secs(300),
    );
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().unwrap();
    found.expect("no partial document with units within the time limit");
    assert!(!exit.success(), "the run finished before it was killed");

    // Every document left is valid; the engine that was running when the
    // kill came left a partial one (an engine may have finished before).
    let mut partial = None;
    for path in [
        dir.join("reference-vm.spec.json"),
        dir.join("wasmi.spec.json"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let doc = reports::ResultsDoc::from_json(&text)
                .expect("a killed run leaves a valid document");
            if doc.partial && !doc.units.is_empty() {
                partial = Some((path, doc));
            }
        }
    }
    let (json, doc) =
        partial.expect("the running engine's document says it is partial and has units");
    assert!(!doc.units.is_empty());
    let counted: u64 = doc.units.iter().map(|u| u.totals.total()).sum();
    assert_eq!(doc.totals.total(), counted, "totals agree with the units");

    let out = dir.join("rendered");
    let render = Command::new(BIN)
        .args(["report", "render"])
        .arg(&json)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        render.status.success(),
        "{}",
        String::from_utf8_lossy(&render.stderr)
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<span class=\"badge partial\">partial</span>"));
    assert!(html.contains("<table id=\"matrix\">"));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("**(partial)**"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigkill_leaves_a_partial_report_that_renders() {
    killed_run_renders("KILL");
}

#[test]
fn sigterm_leaves_a_partial_report_that_renders() {
    killed_run_renders("TERM");
}
