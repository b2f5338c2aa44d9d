//! `cargo fuzz run decode`: arbitrary bytes through our decoder and
//! validator (every feature preset) must end in a value, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reference_vm::{Features, decode_module, validate_module};

fuzz_target!(|data: &[u8]| {
    for features in [Features::v1(), Features::v2(), Features::v3()] {
        if let Ok(module) = decode_module(data, &features) {
            let _ = validate_module(&module, &features);
        }
    }
});
