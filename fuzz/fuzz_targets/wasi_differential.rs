//! `cargo fuzz run wasi_differential`: WASI preview1 hosts compared on a
//! program generated from the libFuzzer input (`engines::wasi_fuzz`). Hosts
//! default to `reference-vm,reference-vm-memfs`
//! (`reference-vm,wasmtime` when built with `--features wasmtime`); set
//! `WASM_CONFORM_WASI_HOSTS` to compare others (`node` too). Divergences
//! of a triaged finding (`fuzz/findings/`) are not reported. A divergence
//! panics with its key, so libFuzzer saves the input as an artifact; the
//! program it stands for is `Program::generate(input)`.
#![no_main]

use engines::wasi_fuzz::{self, Verdict};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The hosts compared when `WASM_CONFORM_WASI_HOSTS` is not set.
#[cfg(not(feature = "wasmtime"))]
const DEFAULT_HOSTS: &str = "reference-vm,reference-vm-memfs";
/// The hosts compared when `WASM_CONFORM_WASI_HOSTS` is not set.
#[cfg(feature = "wasmtime")]
const DEFAULT_HOSTS: &str = "reference-vm,wasmtime";

fn hosts() -> &'static [String] {
    static HOSTS: OnceLock<Vec<String>> = OnceLock::new();
    HOSTS.get_or_init(|| {
        std::env::var("WASM_CONFORM_WASI_HOSTS")
            .unwrap_or_else(|_| DEFAULT_HOSTS.to_string())
            .split(',')
            .map(|s| s.trim().to_string())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let names: Vec<&str> = hosts().iter().map(String::as_str).collect();
    let (program, outcome) = wasi_fuzz::run_input(data, &names);
    if let Verdict::Diverge {
        key,
        hosts: (_, other),
        detail,
    } = &outcome.verdict
        && wasi_fuzz::known(other, key).is_none()
    {
        panic!(
            "WASI divergence {key}: {detail}\nprogram: {:?}",
            program.steps
        );
    }
});
