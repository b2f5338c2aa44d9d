//! Which proposal (or feature area) a unit belongs to, as data.
//!
//! Suite ids come in a few shapes: an upstream checkout (`test/core/simd/x.wast`,
//! `test/legacy/exceptions/core/x.wast`, `proposals/threads/x.wast`), the
//! bundled crate (`wasm-latest/x.wast`, `proposals/gc/x.wast`), the component
//! model's checkout (`component-model/test/values/x.wast`,
//! `component-model/wasm-tools-tests/x.wast`) and WASI tests
//! (`rust/testsuite/x`). The tables below map them to one proposal name each,
//! so every renderer groups the same way.

use crate::RunKind;

/// Subfolders of `test/core` that hold one proposal's tests.
const CORE_FOLDERS: &[(&str, &str)] = &[
    ("simd", "simd"),
    ("relaxed-simd", "relaxed-simd"),
    ("gc", "gc"),
    ("memory64", "memory64"),
    ("multi-memory", "multi-memory"),
    ("bulk-memory", "bulk-memory"),
    ("exceptions", "exceptions"),
];

/// Files at the top of the core suite that came with a proposal.
const CORE_FILES: &[(&str, &str)] = &[
    ("annotations", "annotations"),
    ("id", "annotations"),
    ("br_on_non_null", "function-references"),
    ("br_on_null", "function-references"),
    ("call_ref", "function-references"),
    ("local_init", "function-references"),
    ("ref", "function-references"),
    ("ref_as_non_null", "function-references"),
    ("return_call_ref", "function-references"),
    ("return_call", "tail-call"),
    ("return_call_indirect", "tail-call"),
    ("type-canon", "gc"),
    ("type-equivalence", "gc"),
    ("type-rec", "gc"),
    ("ref_func", "reference-types"),
    ("ref_is_null", "reference-types"),
    ("ref_null", "reference-types"),
    ("table-sub", "reference-types"),
    ("table_copy", "reference-types"),
    ("table_fill", "reference-types"),
    ("table_get", "reference-types"),
    ("table_grow", "reference-types"),
    ("table_init", "reference-types"),
    ("table_set", "reference-types"),
    ("table_size", "reference-types"),
    ("bulk", "bulk-memory"),
    ("memory_copy", "bulk-memory"),
    ("memory_fill", "bulk-memory"),
    ("memory_init", "bulk-memory"),
];

/// Folders of `test/custom` (custom sections).
const CUSTOM_FOLDERS: &[(&str, &str)] = &[
    ("custom", "custom-sections"),
    ("name", "name-section"),
    ("metadata.code.branch_hint", "branch-hinting"),
];

/// File-name prefixes that identify a proposal wherever the file sits.
const FILE_PREFIXES: &[(&str, &str)] = &[("relaxed_", "relaxed-simd"), ("simd_", "simd")];

/// The proposal a spec unit belongs to: `core` for the core suite, else the
/// proposal's repository name (`simd`, `gc`, `threads`, ...).
pub fn spec_proposal(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    let file = parts.last().copied().unwrap_or("");
    let stem = file.strip_suffix(".wast").unwrap_or(file);
    let lookup = |table: &[(&str, &'static str)], key: &str| {
        table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    };
    let by_file = || {
        lookup(CORE_FILES, stem)
            .or_else(|| {
                FILE_PREFIXES
                    .iter()
                    .find(|(p, _)| stem.starts_with(p))
                    .map(|(_, v)| *v)
            })
            .unwrap_or("core")
            .to_string()
    };
    match parts.as_slice() {
        // A component-model checkout: its reference tests and wasm-tools'.
        ["component-model", _, ..] => "component-model".into(),
        ["proposals", name, ..] if parts.len() > 2 => name.to_string(),
        ["test", "core", sub, _, ..] => lookup(CORE_FOLDERS, sub)
            .map(str::to_string)
            .unwrap_or_else(|| sub.to_string()),
        ["test", "core", _] => by_file(),
        ["test", "legacy", "exceptions", ..] => "legacy-exceptions".into(),
        ["test", "custom", sub, ..] => lookup(CUSTOM_FOLDERS, sub)
            .map(str::to_string)
            .unwrap_or_else(|| format!("custom/{sub}")),
        [root, _] if root.starts_with("wasm-") => by_file(),
        _ => by_file(),
    }
}

/// The proposal (row of the matrix) of a unit of a run of `kind`.
///
/// WASI tests are grouped as `wasi/<first folder>` (`wasi/rust`, `wasi/c`).
pub fn proposal_of(kind: RunKind, id: &str) -> String {
    match kind {
        RunKind::Spec | RunKind::Fuzz => spec_proposal(id),
        RunKind::Wasi | RunKind::Sandbox => {
            let top = id.split('/').next().filter(|t| *t != id).unwrap_or("tests");
            let prefix = if kind == RunKind::Wasi {
                "wasi"
            } else {
                "sandbox"
            };
            format!("{prefix}/{top}")
        }
    }
}

/// Row order: `core` first, then proposals alphabetically, WASI last.
pub fn proposal_order(name: &str) -> (u8, String) {
    let group = if name == "core" {
        0
    } else if name.starts_with("wasi/") || name.starts_with("sandbox/") {
        2
    } else {
        1
    };
    (group, name.to_string())
}

/// The key of a proposal in the WebAssembly website's `features.json`, for
/// the proposals that table lists.
pub fn feature_key(proposal: &str) -> Option<&'static str> {
    Some(match proposal {
        "bulk-memory" => "bulkMemory",
        "exceptions" => "exceptionsFinal",
        "legacy-exceptions" => "exceptions",
        "extended-const" => "extendedConst",
        "function-references" => "typedFunctionReferences",
        "gc" => "gc",
        "memory64" => "memory64",
        "multi-memory" => "multiMemory",
        "multi-value" => "multiValue",
        "mutable-global" => "mutableGlobals",
        "nontrapping-float-to-int-conversions" => "saturatedFloatToInt",
        "reference-types" => "referenceTypes",
        "relaxed-simd" => "relaxedSimd",
        "sign-extension-ops" => "signExtensions",
        "simd" => "simd",
        "tail-call" => "tailCall",
        "threads" => "threads",
        "custom-page-sizes" => "customPageSizes",
        "wide-arithmetic" => "wideArithmetic",
        "custom-descriptors" => "customDescriptors",
        "branch-hinting" => "branchHinting",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (id, p) in [
            ("test/core/i32.wast", "core"),
            ("test/core/simd/simd_lane.wast", "simd"),
            ("test/core/gc/array.wast", "gc"),
            ("test/core/return_call.wast", "tail-call"),
            ("test/core/call_ref.wast", "function-references"),
            (
                "test/legacy/exceptions/core/try_catch.wast",
                "legacy-exceptions",
            ),
            ("test/custom/name/name.wast", "name-section"),
            ("proposals/threads/atomic.wast", "threads"),
            (
                "component-model/test/values/strings.wast",
                "component-model",
            ),
            (
                "component-model/wasm-tools-tests/big.wast",
                "component-model",
            ),
            ("proposals/gc/i32.wast", "gc"),
            ("wasm-latest/i32.wast", "core"),
            ("wasm-latest/return_call.wast", "tail-call"),
            ("wasm-v2/simd_lane.wast", "simd"),
            ("my-tests/foo.wast", "core"),
            ("foo.wast", "core"),
        ] {
            assert_eq!(spec_proposal(id), p, "{id}");
        }
        assert_eq!(
            proposal_of(RunKind::Wasi, "rust/testsuite/fd_close"),
            "wasi/rust"
        );
        assert_eq!(proposal_of(RunKind::Wasi, "lonely"), "wasi/tests");
        assert!(proposal_order("core") < proposal_order("gc"));
        assert!(proposal_order("zzz") < proposal_order("wasi/c"));
    }
}
