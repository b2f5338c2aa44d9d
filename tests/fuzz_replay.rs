//! `wasm-conform fuzz replay` on a saved case whose engine panics: the
//! panic is a divergence that names its site, and a panic the finding's
//! rewrite avoids is put down to that known fault.

use std::process::Command;

/// `fuzz/findings/wasmi-memory64-store-panic/minimal.wast`'s module: wasmi
/// 2.0.0 panics translating the store (on the first call of `f`).
const STORE_PANIC: &str = r#"(module
  (memory i64 2 2)
  (func (export "f") (local i64)
    memory.size
    local.tee 0
    local.get 0
    i64.store8 offset=109168))"#;

#[test]
fn a_panicking_engine_is_a_verdict_with_its_site() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("panic-case");
    std::fs::create_dir(&case).unwrap();
    let wasm = engines::oracle::case::assemble(STORE_PANIC).unwrap();
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
