//! `wasm-conform fuzz replay` on a saved case whose engine panics: the
//! panic is a divergence that names its site, and a panic the finding's
//! rewrite avoids is put down to that known fault.

use std::process::Command;

/// The module of `fuzz/findings/wasmi-memory64-store-panic/minimal.wast`
/// (the text before its first assertion): wasmi 2.0.0 panics translating
/// its store, on the first call of `f`.
fn store_panic() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/findings/wasmi-memory64-store-panic/minimal.wast"
    );
    let wast = std::fs::read_to_string(path).unwrap();
    let module = &wast[wast.find("(module").unwrap()..];
    module.split("\n(assert").next().unwrap().to_string()
}

#[test]
fn a_panicking_engine_is_a_verdict_with_its_site() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("panic-case");
    std::fs::create_dir(&case).unwrap();
    let wasm = engines::oracle::case::assemble(&store_panic()).unwrap();
    std::fs::write(case.join("module.wasm"), wasm).unwrap();
    let json = serde_json::json!({
        "schema": engines::oracle::case::CASE_SCHEMA,
        "engines": ["reference-vm", "wasmi"],
        "plan_seed": "0x1",
        "rounds": 2,
        "fuel": 100,
        "divergence": { "key": "panic" },
    });
    std::fs::write(case.join("case.json"), json.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-conform"))
        .args(["fuzz", "replay"])
        .arg(&case)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("known fault wasmi-memory64-store-panic (panic at wasmi-"),
        "{text}"
    );
    assert!(
        text.contains("/src/"),
        "the site names a source file: {text}"
    );
    assert!(
        text.contains("replay: 1 cases, 0 diverging, 0 errors"),
        "{text}"
    );
    assert!(out.status.success(), "{text}");
}
