//! Translation happens on a function's first call (exec/translate.rs), so
//! the spec scripts only translate the functions they call. Here every
//! function of every valid core module of the spec suite is translated, and
//! each must translate: a failure after validation is an internal fault.
//! Eager translation (`validate_module_eager`) must give the same code, and
//! the same errors for invalid modules.
//! Skips without the suite, except under CI.

mod common;

use std::path::{Path, PathBuf};

use reference_vm::{Features, decode_module, validate_module, validate_module_eager};

/// The module of a directive that defines one or says it is invalid.
fn module_of(d: wast::WastDirective<'_>) -> Option<wast::QuoteWat<'_>> {
    use wast::WastDirective as D;
    match d {
        D::Module(q) | D::ModuleDefinition(q) => Some(q),
        D::AssertInvalid { module, .. } => Some(module),
        _ => None,
    }
}

#[test]
fn every_function_of_every_valid_spec_module_translates() {
    // The suite is `../shared/spec-testsuite` (or `$WASM_CONFORM_SPEC_SUITE`).
    let root = std::env::var_os("WASM_CONFORM_SPEC_SUITE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec-testsuite"),
        PathBuf::from,
    );
    if !root.is_dir() {
        assert!(std::env::var("CI").is_err(), "CI: ../shared is missing");
        eprintln!("skipping: {} not found", root.display());
        return;
    }
    let features = Features::default();
    let (mut modules, mut funcs, mut faults) = (0usize, 0usize, Vec::new());
    let dirs = [root.join("test/core"), root.join("proposals")];
    common::for_each_encoded(&dirs, module_of, |f, bytes| {
        let Ok(m) = decode_module(&bytes, &features) else {
            return;
        };
        let (lazy, eager) = (
            validate_module(&m, &features),
            validate_module_eager(&m, &features),
        );
        let (v, e) = match (lazy, eager) {
            (Ok(v), Ok(e)) => (v, e),
            (Err(a), Err(b)) if a.to_string() == b.to_string() => return,
            (a, b) => {
                let show = |r: Result<_, reference_vm::ValidationError>| {
                    r.map_or_else(|e| e.to_string(), |_| "valid".to_string())
                };
                faults.push(format!(
                    "{}: lazy {}, eager {}",
                    f.display(),
                    show(a),
                    show(b)
                ));
                return;
            }
        };
        modules += 1;
        funcs += v.code.len();
        if let Err(t) = v.translate_all() {
            faults.push(format!("{}: {t}", f.display()));
            return;
        }
        for (i, (a, b)) in v.code.iter().zip(&e.code).enumerate() {
            if format!("{:?}", a.force()) != format!("{:?}", b.force()) {
                faults.push(format!(
                    "{}: function {i} translates differently",
                    f.display()
                ));
            }
        }
    });
    eprintln!("translated {funcs} functions of {modules} valid modules");
    assert!(modules > 1000, "only {modules} valid modules found");
    assert!(
        faults.is_empty(),
        "translation faults:\n{}",
        faults.join("\n")
    );
}
