//! `cargo fuzz run differential`: the differential oracle of
//! `engines::oracle` on a libFuzzer input. Engines default to
//! `reference-vm,wasmi` (`reference-vm,wasmi,wasmtime` when built with
//! `--features wasmtime`); divergences confirmed as a known fault of an
//! engine (`engines::oracle::known`, `fuzz/findings/`) are not reported. Set `WASM_CONFORM_FUZZ_ENGINES` to compare others
//! (e.g. `wasmi,wasmi`, or `reference-vm-faulty,reference-vm` to see a
//! finding). A divergence panics with its key, so libFuzzer saves the input
//! as an artifact; `wasm-conform fuzz replay ARTIFACT --out DIR` turns it into a
//! reduced case with a `.wast` reproducer.
//!
//! libFuzzer's entropic scheduler is off by default here (`-entropic=0` is
//! added unless the command line sets `-entropic`): one input of this
//! target touches ~100,000 coverage features (a generator, two validators,
//! two compilers, two interpreters), and entropic's bookkeeping of rare
//! features took ~85% of the time, 7 to 9 times fewer inputs per second
//! (docs/fuzzing.md, "What a libFuzzer run gets per core"). Pass
//! `-entropic=1` to have it back. `-print_funcs=0` is a default too (pass
//! `-print_funcs=2` for libFuzzer's `NEW_FUNC` lines).
#![no_main]

use engines::oracle::{self, GenOptions, Verdict};
use std::ffi::{CStr, c_char, c_int};
use std::sync::OnceLock;

/// The engines compared when `WASM_CONFORM_FUZZ_ENGINES` is not set.
#[cfg(not(feature = "wasmtime"))]
const DEFAULT_ENGINES: &str = "reference-vm,wasmi";
/// The engines compared when `WASM_CONFORM_FUZZ_ENGINES` is not set.
#[cfg(feature = "wasmtime")]
const DEFAULT_ENGINES: &str = "reference-vm,wasmi,wasmtime";

/// libFuzzer flags this target defaults to, each added to the command line
/// unless a flag of the same name (the text up to `=`) is already there.
/// `-print_funcs=0`: each newly covered function is otherwise symbolized
/// (llvm-symbolizer on a 130 MB binary) while the fuzzer waits, hundreds
/// of times a minute at first.
const DEFAULT_FLAGS: &[&CStr] = &[c"-entropic=0", c"-print_funcs=0"];

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

/// Called by libFuzzer once, before it parses its flags (what
/// `libfuzzer_sys::fuzz_target!` generates, plus [`DEFAULT_FLAGS`]):
/// libFuzzer reads the command line from `*argv` after this returns, and
/// passes it on to the processes of `-fork`/`-jobs`.
///
/// # Safety
/// libFuzzer passes its own `argc`/`argv` (`int *`, `char ***`), valid for
/// the whole run.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LLVMFuzzerInitialize(
    argc: *mut c_int,
    argv: *mut *mut *mut c_char,
) -> c_int {
    libfuzzer_sys::initialize(argc as *const isize, argv as *const *const *const u8);
    if argc.is_null() || argv.is_null() {
        return 0;
    }
    // SAFETY: libFuzzer's argv holds *argc valid C strings.
    let args: Vec<*mut c_char> = unsafe {
        let n = usize::try_from(*argc).unwrap_or(0);
        (0..n).map(|i| *(*argv).add(i)).collect()
    };
    let given = |flag: &CStr| {
        let name = flag
            .to_bytes()
            .split(|&b| b == b'=')
            .next()
            .unwrap_or_default();
        args.iter().any(|&a| {
            // SAFETY: each argument is a C string of libFuzzer's argv.
            let a = unsafe { CStr::from_ptr(a) }.to_bytes();
            a.strip_prefix(name)
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
    };
    let added: Vec<*mut c_char> = DEFAULT_FLAGS
        .iter()
        .filter(|f| !given(f))
        .map(|f| f.as_ptr().cast_mut())
        .collect();
    if added.is_empty() {
        return 0;
    }
    // The new argv (NULL-terminated, as C's) lives as long as the process.
    let mut new_argv = args;
    new_argv.extend(added);
    let new_argc = c_int::try_from(new_argv.len()).unwrap_or(c_int::MAX);
    new_argv.push(std::ptr::null_mut());
    // SAFETY: argc and argv are libFuzzer's, writable (see above).
    unsafe {
        *argc = new_argc;
        *argv = Box::leak(new_argv.into_boxed_slice()).as_mut_ptr();
    }
    0
}

/// libFuzzer's entry for one input, through `libfuzzer_sys` (which catches
/// a panic and aborts, so that libFuzzer saves the input). The signature is
/// the one `libfuzzer_sys` declares and calls (Rust to Rust).
#[unsafe(no_mangle)]
#[allow(improper_ctypes_definitions)]
pub extern "C" fn rust_fuzzer_test_input(bytes: &[u8]) -> i32 {
    // `cargo fuzz fmt` sets RUST_LIBFUZZER_DEBUG_PATH: write the input's
    // debug form there instead of running it.
    if let Some(path) = libfuzzer_sys::rust_libfuzzer_debug_path() {
        use std::io::Write;
        let mut file = std::fs::File::create(path).expect("create RUST_LIBFUZZER_DEBUG_PATH");
        writeln!(file, "{bytes:?}").expect("write RUST_LIBFUZZER_DEBUG_PATH");
        return 0;
    }
    differential(bytes);
    0
}

/// One input through the oracle; a divergence panics with its key. Not
/// inlined, so that a crash's stack names this target.
#[inline(never)]
fn differential(data: &[u8]) {
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
}
