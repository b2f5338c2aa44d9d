//! `cargo fuzz run validate`: our decoder and validator's accept/reject
//! verdict against wasmparser's, with the same feature set, on
//! - wasm-smith modules with possibly invalid function bodies,
//! - wasm-smith modules with a few bytes overwritten,
//! - the raw input itself (seeded with real modules from `corpus/validate`).
//!
//! The first input byte picks the mode.
#![no_main]

use arbitrary::Unstructured;
use engines::oracle::{GenOptions, caps, generate};
use libfuzzer_sys::fuzz_target;
use reference_vm::{Features, decode_module, validate_module};

fn ours(bytes: &[u8], features: &Features) -> Result<(), String> {
    let module = decode_module(bytes, features).map_err(|e| format!("malformed: {e}"))?;
    validate_module(&module, features)
        .map(|_| ())
        .map_err(|e| format!("invalid: {e}"))
}

fn check(bytes: &[u8], features: &Features) {
    let theirs = wasmparser::Validator::new_with_features(caps::wasmparser_features(features))
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string());
    let ours = ours(bytes, features);
    if ours.is_ok() != theirs.is_ok() {
        panic!("validation verdicts differ: reference-vm {ours:?}, wasmparser {theirs:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let features = Features::default();
    let opts = GenOptions {
        features: caps::reference_vm_set(&features),
        allow_invalid_funcs: mode % 3 == 0,
        ensure_termination: false,
        shape: false,
    };
    match mode % 3 {
        0 => {
            if let Ok(case) = generate(rest, &opts) {
                check(&case.wasm, &features);
            }
        }
        1 => {
            let mut u = Unstructured::new(rest);
            let Ok(flips) = u.int_in_range(1..=4u8) else {
                return;
            };
            let mut edits = Vec::new();
            for _ in 0..flips {
                let (Ok(at), Ok(byte)) = (u.arbitrary::<u32>(), u.arbitrary::<u8>()) else {
                    return;
                };
                edits.push((at, byte));
            }
            if let Ok(mut case) = generate(u.take_rest(), &opts) {
                if case.wasm.len() > 8 {
                    for (at, byte) in edits {
                        let i = 8 + at as usize % (case.wasm.len() - 8);
                        case.wasm[i] = byte;
                    }
                }
                check(&case.wasm, &features);
            }
        }
        _ => check(rest, &features),
    }
});
