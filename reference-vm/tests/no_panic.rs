//! Untrusted input never panics: truncated, bit-flipped and random variants of
//! every binary module of the spec suite (and of the benchmark programs) go
//! through decode and validation to a value, and valid ones are instantiated
//! and run under fuel. Skips without the shared data, except under CI.

mod common;

use common::wast_files;
use std::path::Path;

use reference_vm::exec::{ExternVal, Store, Val};
use reference_vm::{Config, Features, decode_module, validate_module};

/// Decodes the string literals of a `.wast` script that follow `(module binary`.
fn binary_modules(src: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while let Some(p) = src[i..].find("(module binary") {
        i += p + "(module binary".len();
        let mut bytes = Vec::new();
        loop {
            while i < b.len() && (b[i] as char).is_whitespace() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b';' && b[i + 1] == b';' {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if i >= b.len() || b[i] != b'"' {
                break;
            }
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    let c = b[i + 1];
                    match c {
                        b'n' => bytes.push(b'\n'),
                        b't' => bytes.push(b'\t'),
                        b'r' => bytes.push(b'\r'),
                        b'\\' | b'"' | b'\'' => bytes.push(c),
                        _ if i + 2 < b.len() => {
                            let h = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                            bytes.push(h.and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0));
                            i += 1;
                        }
                        _ => {}
                    }
                    i += 2;
                } else {
                    bytes.push(b[i]);
                    i += 1;
                }
            }
            i += 1;
        }
        out.push(bytes);
    }
    out
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Decode, validate, and (if valid and import-free) instantiate and call every
/// exported function with default arguments under a small fuel budget.
fn exercise(bytes: &[u8], features: &Features, run: bool) {
    let Ok(m) = decode_module(bytes, features) else {
        return;
    };
    let Ok(v) = validate_module(&m, features) else {
        return;
    };
    if !run || !m.imports.is_empty() {
        return;
    }
    let config = Config {
        fuel: Some(10_000),
        max_memory_bytes: 1 << 20,
        max_table_elems: 1 << 12,
        max_call_depth: 500,
        ..Config::default()
    };
    let mut store = Store::new(config);
    let Ok(inst) = store.instantiate(&v, &[]) else {
        return;
    };
    for (_, ev) in store.exports(inst) {
        if let ExternVal::Func(f) = ev {
            let args: Vec<Val> = store
                .func_type(f)
                .params
                .iter()
                .map(|t| Val::default_of(*t))
                .collect();
            store.set_fuel(Some(10_000));
            let _ = store.invoke(f, &args);
        }
    }
}

#[test]
fn mutated_modules_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if !root.is_dir() {
        assert!(std::env::var("CI").is_err(), "CI: ../shared is missing");
        eprintln!("skipping: {} not found", root.display());
        return;
    }
    let mut files = Vec::new();
    wast_files(&root.join("spec-testsuite/test/core"), &mut files);
    wast_files(
        &root.join("spec-testsuite/proposals/custom-page-sizes"),
        &mut files,
    );
    wast_files(
        &root.join("spec-testsuite/proposals/wide-arithmetic"),
        &mut files,
    );
    files.sort();
    let mut modules: Vec<Vec<u8>> = Vec::new();
    for f in &files {
        if let Ok(src) = std::fs::read_to_string(f) {
            modules.extend(binary_modules(&src));
        }
    }
    for name in [
        "fibrec.wasm",
        "dispatch.wasm",
        "hello-nowasi.wasm",
        "fib-nowasi.wasm",
    ] {
        if let Ok(b) = std::fs::read(root.join("bench").join(name)) {
            modules.push(b);
        }
    }
    assert!(
        modules.len() > 100,
        "found only {} binary modules",
        modules.len()
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let feature_sets = [
        Features::v1(),
        Features::v2(),
        Features::v3(),
        Features::latest(),
    ];
    let mut inputs = 0usize;
    for (mi, m) in modules.iter().enumerate() {
        let f = &feature_sets[mi % feature_sets.len()];
        let big = m.len() > 4096;
        // Truncations.
        let steps = if big { 16 } else { m.len().min(64) };
        for k in 0..steps {
            let cut = if big {
                rng.below(m.len())
            } else {
                k * m.len() / steps.max(1)
            };
            exercise(&m[..cut], f, false);
            inputs += 1;
        }
        // Bit flips and byte replacements.
        for k in 0..if big { 8 } else { 40 } {
            let mut v = m.clone();
            if v.is_empty() {
                break;
            }
            let n = 1 + rng.below(3);
            for _ in 0..n {
                let i = rng.below(v.len());
                if k % 2 == 0 {
                    v[i] ^= 1 << rng.below(8);
                } else {
                    v[i] = rng.next() as u8;
                }
            }
            exercise(&v, f, !big);
            inputs += 1;
        }
    }
    // Random bytes after a valid header.
    for _ in 0..5000 {
        let n = rng.below(64);
        let mut v = b"\0asm\x01\0\0\0".to_vec();
        v.extend((0..n).map(|_| rng.next() as u8));
        exercise(&v, &Features::latest(), true);
        inputs += 1;
    }
    eprintln!("{} modules, {inputs} inputs", modules.len());
    assert!(inputs > 10_000);
}

/// The component binaries of the component model's reference tests (and
/// wasm-tools' tests), encoded by the `wast` crate: every component of every
/// directive that holds one. Files `wast` cannot parse are skipped.
fn reference_components(root: &Path) -> Vec<Vec<u8>> {
    let dirs = [
        root.join("component-model/test"),
        root.join("component-model/wasm-tools-tests"),
    ];
    let mut out = Vec::new();
    common::for_each_encoded(
        &dirs,
        |d| {
            use wast::WastDirective as D;
            match d {
                D::Module(q) | D::ModuleDefinition(q) => Some(q),
                D::AssertInvalid { module, .. } | D::AssertMalformed { module, .. } => Some(module),
                D::AssertUnlinkable { module, .. } => Some(wast::QuoteWat::Wat(module)),
                _ => None,
            }
        },
        |_, bytes| {
            if reference_vm::component::is_component(&bytes) {
                out.push(bytes);
            }
        },
    );
    out
}

/// Decode and validate a component (and a core module where the bytes say
/// so): any result but a panic.
fn exercise_component(bytes: &[u8], f: &Features) {
    use reference_vm::component::{decode_component, validate_component};
    if let Ok(c) = decode_component(bytes, f) {
        let _ = validate_component(&c, f);
    }
}

#[test]
fn mutated_components_never_panic() {
    // ../shared next to the repository (or next to a worktree's folder).
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = [here.join("../../shared"), here.join("../../../shared")]
        .into_iter()
        .find(|r| r.join("component-model/test").is_dir())
        .unwrap_or_else(|| here.join("../../shared"));
    if !root.join("component-model/test").is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "CI: ../shared/component-model is missing"
        );
        eprintln!("skipping: {} not found", root.display());
        return;
    }
    let comps = reference_components(&root);
    assert!(comps.len() > 500, "found only {} components", comps.len());
    let f = Features::latest();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut inputs = 0usize;
    for c in &comps {
        // Every truncation of small components, a sample of big ones.
        let cuts: Vec<usize> = if c.len() <= 2048 {
            (0..c.len()).collect()
        } else {
            (0..256).map(|_| rng.below(c.len())).collect()
        };
        for cut in cuts {
            exercise_component(&c[..cut], &f);
            inputs += 1;
        }
        // Bit flips and byte replacements after the preamble.
        for k in 0..96 {
            if c.len() <= 8 {
                break;
            }
            let mut v = c.clone();
            for _ in 0..1 + rng.below(3) {
                let i = 8 + rng.below(v.len() - 8);
                if k % 2 == 0 {
                    v[i] ^= 1 << rng.below(8);
                } else {
                    v[i] = rng.next() as u8;
                }
            }
            exercise_component(&v, &f);
            inputs += 1;
        }
    }
    // Random sections after a component preamble.
    for _ in 0..5000 {
        let n = rng.below(64);
        let mut v = b"\0asm\x0d\0\x01\0".to_vec();
        v.extend((0..n).map(|_| rng.next() as u8));
        exercise_component(&v, &f);
        inputs += 1;
    }
    eprintln!("{} components, {inputs} inputs", comps.len());
    assert!(inputs > 100_000);
}

/// wasm-smith's random components (its component-model generator) decode
/// and validate to a value, never a panic; most of them are valid.
#[test]
fn smith_components_never_panic() {
    use reference_vm::component::{decode_component, validate_component};
    let f = Features::latest();
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut made, mut decoded, mut valid) = (0usize, 0usize, 0usize);
    let n = 400;
    for _ in 0..n {
        let data: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        let mut u = arbitrary::Unstructured::new(&data);
        // The compact import section is a core proposal the core decoder
        // does not implement.
        let config = wasm_smith::Config {
            compact_imports_enabled: false,
            ..wasm_smith::Config::default()
        };
        let Ok(c) = wasm_smith::Component::new(config, &mut u) else {
            continue;
        };
        let bytes = c.to_bytes();
        made += 1;
        match decode_component(&bytes, &f) {
            Ok(c) => {
                decoded += 1;
                match validate_component(&c, &f) {
                    Ok(()) => valid += 1,
                    Err(e) => eprintln!("smith: invalid: {e}"),
                }
            }
            Err(e) => eprintln!("smith: malformed: {e}"),
        }
        for cut in (0..bytes.len()).step_by(1 + bytes.len() / 64) {
            exercise_component(&bytes[..cut], &f);
        }
    }
    eprintln!("{made} smith components: {decoded} decoded, {valid} valid");
    assert!(
        made > n / 2 && decoded * 10 >= made * 9,
        "{decoded} of {made} decoded"
    );
}
