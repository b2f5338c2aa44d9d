//! Runs the official wasip1 suites, the wasip3 components and the
//! wasi-threads modules on the reference VM (host and in-memory file systems).
//! Needs `../shared/wasi-testsuite`: under `CI=true` a missing suite fails,
//! elsewhere the test is skipped with a printed reason.

use std::path::PathBuf;

use wasi_testsuite::runner::{Options, Outcome, default_testsuite};
use wasi_testsuite::{refvm::RefVm, run_suites};

fn suite_root() -> Option<PathBuf> {
    let root = default_testsuite();
    if root
        .join("rust/testsuite/wasm32-wasip1/manifest.json")
        .is_file()
    {
        return Some(root);
    }
    let msg = format!("WASI testsuite not found at {}", root.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg} (required under CI=true)");
    }
    eprintln!("skipping: {msg}");
    None
}

fn wasip1(root: &std::path::Path) -> Vec<PathBuf> {
    ["rust", "c", "assemblyscript"]
        .iter()
        .map(|l| root.join(l).join("testsuite/wasm32-wasip1"))
        .collect()
}

fn run(memfs: bool) {
    let Some(root) = suite_root() else { return };
    let opts = Options {
        testsuites: wasip1(&root),
        ..Options::default()
    };
    let report = run_suites(&RefVm { memfs }, &opts).expect("suites run");
    print!("{}", report.table());
    let counts = |l: &str| {
        report
            .results
            .iter()
            .filter(|r| r.id.starts_with(l))
            .count()
    };
    assert_eq!(
        (counts("rust/"), counts("c/"), counts("assemblyscript/")),
        (46, 14, 12)
    );
    let failed: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    assert!(
        failed.is_empty(),
        "{} tests did not pass:\n{}",
        failed.len(),
        report.table()
    );
    assert_eq!(report.doc.totals.pass, 72);
}

#[test]
fn wasip1_on_host_fs() {
    run(false);
}

#[test]
fn wasip1_on_memory_fs() {
    run(true);
}

/// The official wasip3 components on the reference VM, in process on both
/// file-system backends: every test passes or is listed with its reason in
/// `expectations/reference-vm.toml` (none now: all 55 pass, the 12 sockets
/// tests and the 18 http tests among them, served and talked to through the
/// runner's network operations), and a listed test that starts passing
/// fails the run.
#[test]
fn wasip3_components_pass_or_are_listed() {
    let Some(root) = suite_root() else { return };
    for memfs in [false, true] {
        let opts = Options {
            testsuites: vec![root.join("rust/testsuite/wasm32-wasip3")],
            expectations: wasi_testsuite::runner::Expectations::builtin("reference-vm")
                .expect("shipped expectations"),
            ..Options::default()
        };
        let report = run_suites(&RefVm { memfs }, &opts).expect("suite runs");
        assert_eq!(report.results.len(), 55, "{}", report.table());
        assert!(report.success(), "memfs={memfs}\n{}", report.table());
        assert_eq!(report.doc.totals.pass, 55, "{}", report.table());
    }
}

#[test]
fn sandbox_suite_has_no_escape_on_reference_vm() {
    for memfs in [false, true] {
        let (_guard, dir, cases) =
            wasi_testsuite::sandbox::prepare(&wasi_testsuite::sandbox::default_dir())
                .expect("sandbox suite builds");
        let opts = Options {
            testsuites: vec![dir],
            timeout: std::time::Duration::from_secs(60),
            ..Options::default()
        };
        let report = run_suites(&RefVm { memfs }, &opts).expect("sandbox runs");
        print!("{}", report.table());
        assert_eq!(report.results.len(), cases.len());
        let bad: Vec<_> = report
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        assert!(
            bad.is_empty(),
            "memfs={memfs}: {} unsafe or failing cases:\n{}",
            bad.len(),
            report.table()
        );
    }
}

/// Upstream's wasi-threads folder: 15 modules, every one passing. The
/// `*_wasi_read` tests need a stdin that stays open (a read blocks until
/// another thread ends the program), which every test now gets.
#[test]
fn wasi_threads_proposal_all_pass() {
    let Some(root) = suite_root() else { return };
    let opts = Options {
        testsuites: vec![root.join("proposals/wasi-threads")],
        ..Options::default()
    };
    let report = run_suites(&RefVm { memfs: false }, &opts).expect("suite runs");
    print!("{}", report.table());
    let read_tests = report
        .results
        .iter()
        .filter(|r| r.id.ends_with("_wasi_read"))
        .count();
    assert_eq!((report.results.len(), read_tests), (15, 3));
    assert_eq!(report.doc.totals.pass, 15, "{}", report.table());
}

/// The expectations of the reference VM plus the adapter's own
/// (`--preview1-as-component` mode).
fn adapter_expectations() -> wasi_testsuite::runner::Expectations {
    let mut e = wasi_testsuite::runner::Expectations::builtin("reference-vm")
        .expect("shipped expectations");
    e.tests.extend(
        wasi_testsuite::runner::Expectations::builtin(wasi_testsuite::p1component::EXPECTATIONS)
            .expect("shipped adapter expectations")
            .tests,
    );
    e
}

/// The 72 wasip1 tests as WASI 0.2 components (the official preview1
/// adapter, generated into target/), on both file-system backends: each
/// passes or fails as `expectations/preview1-adapter.toml` says (failures
/// the adapter causes on every runtime), and an expected failure that
/// starts passing fails the run.
#[test]
fn wasip1_as_components_on_reference_vm() {
    let Some(root) = suite_root() else { return };
    let out = wasi_testsuite::p1component::default_out_dir();
    let comp_root =
        wasi_testsuite::p1component::prepare(&wasip1(&root), &out).expect("components generated");
    let expectations = adapter_expectations();
    for memfs in [false, true] {
        let opts = Options {
            testsuites: vec![comp_root.clone()],
            expectations: expectations.clone(),
            ..Options::default()
        };
        let report = run_suites(&RefVm { memfs }, &opts).expect("suites run");
        print!("{}", report.table());
        assert_eq!(report.results.len(), 72, "{}", report.table());
        assert!(
            report
                .results
                .iter()
                .all(|r| r.id.contains("wasm32-wasip1-as-component/")),
            "ids name the mode"
        );
        assert!(report.success(), "memfs={memfs}\n{}", report.table());
        let listed = report
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::XFail)
            .count();
        assert_eq!(report.doc.totals.pass as usize, 72 - listed);
    }
}

/// The sandbox suite through `wasi:filesystem@0.2` descriptors (the probe
/// wrapped with the preview1 adapter): no escape, no host crash; the only
/// non-passes are the listed preview1-rights and guest-pointer cases.
#[test]
fn sandbox_suite_through_p2_descriptors_has_no_escape() {
    let (_guard, dir, cases) =
        wasi_testsuite::sandbox::prepare(&wasi_testsuite::sandbox::default_dir())
            .expect("sandbox suite builds");
    let out = wasi_testsuite::p1component::default_out_dir();
    let comp_root =
        wasi_testsuite::p1component::prepare(&[dir], &out).expect("components generated");
    for memfs in [false, true] {
        let opts = Options {
            testsuites: vec![comp_root.clone()],
            timeout: std::time::Duration::from_secs(60),
            expectations: adapter_expectations(),
            ..Options::default()
        };
        let report = run_suites(&RefVm { memfs }, &opts).expect("sandbox runs");
        print!("{}", report.table());
        assert_eq!(report.results.len(), cases.len());
        assert!(report.success(), "memfs={memfs}\n{}", report.table());
        // Every escape case (a path leaving the jail) passes.
        for r in &report.results {
            let name = r.id.rsplit('/').next().unwrap_or_default();
            if !name.starts_with("ro-")
                && ["escape", "dotdot", "symlink", "absolute", "trailing-slash"]
                    .iter()
                    .any(|k| name.contains(k))
            {
                assert_eq!(r.outcome, Outcome::Pass, "{}: {}", r.id, r.message);
            }
        }
    }
}
