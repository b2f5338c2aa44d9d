//! `cargo fuzz run differential`: the differential oracle of
//! `engines::oracle` on a libFuzzer input. Engines default to
//! `reference-vm,wasmi` (`reference-vm,wasmi,wasmtime` when built with
//! `--features wasmtime`); divergences confirmed as a known fault of an
//! engine (`engines::oracle::known`, `fuzz/findings/`) are not reported. Set `WASM_CONFORM_FUZZ_ENGINES` to compare others
//! (e.g. `wasmi,wasmi`, or `reference-vm-faulty,reference-vm` to see a
//! finding). A divergence panics with its key, so libFuzzer saves the input
//! as an artifact; `wasm-conform fuzz replay ARTIFACT --out DIR` turns it into a
//! reduced case with a `.wast` reproducer.
#![no_main]

use engines::oracle::{self, GenOptions, Verdict};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The engines compared when `WASM_CONFORM_FUZZ_ENGINES` is not set.
#[cfg(not(feature = "wasmtime"))]
const DEFAULT_ENGINES: &str = "reference-vm,wasmi";
/// The engines compared when `WASM_CONFORM_FUZZ_ENGINES` is not set.
#[cfg(feature = "wasmtime")]
const DEFAULT_ENGINES: &str = "reference-vm,wasmi,wasmtime";

struct Setup {
    engines: Vec<String>,
    opts: GenOptions,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let list = std::env::var("WASM_CONFORM_FUZZ_ENGINES")
            .unwrap_or_else(|_| DEFAULT_ENGINES.to_string());
        let engines: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
        let names: Vec<&str> = engines.iter().map(String::as_str).collect();
        let opts = GenOptions::differential(&names);
        Setup { engines, opts }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let names: Vec<&str> = s.engines.iter().map(String::as_str).collect();
    let (case, run) = oracle::run_input(data, &names, &s.opts).expect("engines can be created");
    // A divergence confirmed as a known fault (fuzz/findings/) is not a new finding.
    let known = case
        .as_ref()
        .is_some_and(|c| !oracle::known::confirm(c, &run, &names).is_empty());
    if let (Verdict::Diverge(d), false) = (&run.verdict, known) {
        panic!(
            "divergence {} between {}: {}",
            d.key,
            names.join(" and "),
            d.observed.join(" | ")
        );
    }
});
