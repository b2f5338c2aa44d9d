//! The capability table: which engine implements which proposal, and which
//! proposals a differential comparison may generate.
//!
//! A module is only generated with the proposals that *every* engine in the
//! comparison supports, and only with proposals whose results are
//! deterministic across conforming engines (relaxed SIMD is not: its results
//! are implementation-defined, so two correct engines may differ).

use std::fmt;

/// A WebAssembly proposal (or the MVP), as the fuzzer switches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proposal {
    /// Sign-extension operators (2.0).
    SignExtension,
    /// Non-trapping float-to-int conversions (2.0).
    SaturatingFloatToInt,
    /// Multiple results and block parameters (2.0).
    MultiValue,
    /// Bulk memory and table operations (2.0).
    BulkMemory,
    /// Reference types (2.0).
    ReferenceTypes,
    /// Fixed-width SIMD (2.0).
    Simd,
    /// Relaxed SIMD (3.0).
    RelaxedSimd,
    /// Extended constant expressions (3.0).
    ExtendedConst,
    /// Tail calls (3.0).
    TailCall,
    /// Multiple memories (3.0).
    MultiMemory,
    /// 64-bit memories and tables (3.0).
    Memory64,
    /// Garbage collection and typed function references (3.0).
    Gc,
    /// Exception handling (3.0).
    Exceptions,
    /// Threads and atomics.
    Threads,
    /// Custom page sizes.
    CustomPageSizes,
    /// Wide arithmetic.
    WideArithmetic,
}

impl Proposal {
    /// Every proposal the fuzzer knows, in a stable order.
    pub const ALL: &'static [Proposal] = &[
        Proposal::SignExtension,
        Proposal::SaturatingFloatToInt,
        Proposal::MultiValue,
        Proposal::BulkMemory,
        Proposal::ReferenceTypes,
        Proposal::Simd,
        Proposal::RelaxedSimd,
        Proposal::ExtendedConst,
        Proposal::TailCall,
        Proposal::MultiMemory,
        Proposal::Memory64,
        Proposal::Gc,
        Proposal::Exceptions,
        Proposal::Threads,
        Proposal::CustomPageSizes,
        Proposal::WideArithmetic,
    ];

    /// The proposal's short name (as in the spec repository's `proposals/`).
    pub fn name(self) -> &'static str {
        match self {
            Proposal::SignExtension => "sign-extension-ops",
            Proposal::SaturatingFloatToInt => "nontrapping-float-to-int-conversions",
            Proposal::MultiValue => "multi-value",
            Proposal::BulkMemory => "bulk-memory-operations",
            Proposal::ReferenceTypes => "reference-types",
            Proposal::Simd => "simd",
            Proposal::RelaxedSimd => "relaxed-simd",
            Proposal::ExtendedConst => "extended-const",
            Proposal::TailCall => "tail-call",
            Proposal::MultiMemory => "multi-memory",
            Proposal::Memory64 => "memory64",
            Proposal::Gc => "gc",
            Proposal::Exceptions => "exception-handling",
            Proposal::Threads => "threads",
            Proposal::CustomPageSizes => "custom-page-sizes",
            Proposal::WideArithmetic => "wide-arithmetic",
        }
    }

    /// Whether two conforming engines must give the same results for it.
    /// Relaxed SIMD lets each engine pick among several results.
    pub fn deterministic(self) -> bool {
        !matches!(self, Proposal::RelaxedSimd)
    }
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an engine (by its CLI name) implements a proposal.
///
/// The reference-vm column is read from the VM's own feature switches (the
/// preset the engine name selects, see [`crate::reference_vm_features`]), so
/// the fuzzer widens by itself as the VM gains proposals. The wasmi column is what the wasmi adapter enables
/// (wasmi 2.0); the wasmtime column is what the wasmtime adapter enables
/// (wasmtime 48, cargo feature `wasmtime`: everything but threads).
/// `node` and `external:` engines are assumed to support
/// WebAssembly 2.0. Unknown engines support nothing beyond the MVP.
pub fn supports(engine: &str, p: Proposal) -> bool {
    let base = engine.strip_suffix("-faulty").unwrap_or(engine);
    if base.starts_with("external:") {
        return web_2_0(p);
    }
    if let Some(preset) = base.strip_prefix("reference-vm")
        && (preset.is_empty() || preset.starts_with('@'))
    {
        return crate::reference_vm_features(preset.strip_prefix('@'))
            .is_some_and(|f| reference_vm_set(&f).has(p));
    }
    match base {
        "node" => web_2_0(p),
        "wasmi" => matches!(
            p,
            Proposal::SignExtension
                | Proposal::SaturatingFloatToInt
                | Proposal::MultiValue
                | Proposal::BulkMemory
                | Proposal::ReferenceTypes
                | Proposal::Simd
                | Proposal::RelaxedSimd
                | Proposal::ExtendedConst
                | Proposal::TailCall
                | Proposal::MultiMemory
                | Proposal::Memory64
                | Proposal::CustomPageSizes
                | Proposal::WideArithmetic
        ),
        "wasmtime" if cfg!(feature = "wasmtime") => !matches!(p, Proposal::Threads),
        _ => false,
    }
}

/// The wasmparser feature set that matches a reference-vm feature set, for
/// the `validate` fuzz target (our validator against wasmparser's).
pub fn wasmparser_features(f: &reference_vm::Features) -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as W;
    let mut w = W::MVP;
    let switches = [
        (f.mutable_globals, W::MUTABLE_GLOBAL),
        (f.sign_extension, W::SIGN_EXTENSION),
        (f.saturating_float_to_int, W::SATURATING_FLOAT_TO_INT),
        (f.multi_value, W::MULTI_VALUE),
        (f.bulk_memory, W::BULK_MEMORY),
        (f.reference_types, W::REFERENCE_TYPES),
        (f.simd, W::SIMD),
        (f.relaxed_simd, W::RELAXED_SIMD),
        (f.tail_call, W::TAIL_CALL),
        (f.extended_const, W::EXTENDED_CONST),
        (f.multi_memory, W::MULTI_MEMORY),
        (f.memory64, W::MEMORY64),
        (f.function_references, W::FUNCTION_REFERENCES),
        (f.gc, W::GC),
        (f.exceptions, W::EXCEPTIONS),
        // Our exception handling includes the legacy `try` instructions
        // (test/legacy/exceptions); wasmparser has a switch of their own.
        (f.exceptions, W::LEGACY_EXCEPTIONS),
        (f.threads, W::THREADS),
        (f.custom_page_sizes, W::CUSTOM_PAGE_SIZES),
        (f.wide_arithmetic, W::WIDE_ARITHMETIC),
        // Custom descriptors proposal.
        (f.custom_descriptors, W::CUSTOM_DESCRIPTORS),
    ];
    for (on, flag) in switches {
        w.set(flag, on);
    }
    w
}

/// The proposals of a reference-vm feature set (what the `validate` target generates).
pub fn reference_vm_set(f: &reference_vm::Features) -> FeatureSet {
    FeatureSet(
        Proposal::ALL
            .iter()
            .copied()
            .filter(|p| match p {
                Proposal::SignExtension => f.sign_extension,
                Proposal::SaturatingFloatToInt => f.saturating_float_to_int,
                Proposal::MultiValue => f.multi_value,
                Proposal::BulkMemory => f.bulk_memory,
                Proposal::ReferenceTypes => f.reference_types,
                Proposal::Simd => f.simd,
                Proposal::RelaxedSimd => f.relaxed_simd,
                Proposal::ExtendedConst => f.extended_const,
                Proposal::TailCall => f.tail_call,
                Proposal::MultiMemory => f.multi_memory,
                Proposal::Memory64 => f.memory64,
                Proposal::Gc => f.gc && f.function_references,
                Proposal::Exceptions => f.exceptions,
                Proposal::Threads => f.threads,
                Proposal::CustomPageSizes => f.custom_page_sizes,
                Proposal::WideArithmetic => f.wide_arithmetic,
            })
            .collect(),
    )
}

/// The WebAssembly 2.0 proposals: what external engines (Node.js included)
/// are assumed to support, since their drivers do not report more.
fn web_2_0(p: Proposal) -> bool {
    matches!(
        p,
        Proposal::SignExtension
            | Proposal::SaturatingFloatToInt
            | Proposal::MultiValue
            | Proposal::BulkMemory
            | Proposal::ReferenceTypes
            | Proposal::Simd
    )
}

/// A set of proposals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeatureSet(Vec<Proposal>);

impl FeatureSet {
    /// The proposals every engine named supports and whose results are
    /// deterministic: what a differential run may generate.
    pub fn common(engines: &[&str]) -> FeatureSet {
        FeatureSet(
            Proposal::ALL
                .iter()
                .copied()
                .filter(|p| p.deterministic() && engines.iter().all(|e| supports(e, *p)))
                .collect(),
        )
    }

    /// Every proposal (for the `validate` target, which compares verdicts only).
    pub fn all() -> FeatureSet {
        FeatureSet(Proposal::ALL.to_vec())
    }

    /// Whether the set holds a proposal.
    pub fn has(&self, p: Proposal) -> bool {
        self.0.contains(&p)
    }

    /// The proposals, in [`Proposal::ALL`] order.
    pub fn proposals(&self) -> &[Proposal] {
        &self.0
    }

    /// The wasmparser features of this set (the MVP and mutable globals always on).
    pub fn wasmparser(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as W;
        let mut w = W::WASM1;
        for p in &self.0 {
            w |= match p {
                Proposal::SignExtension => W::SIGN_EXTENSION,
                Proposal::SaturatingFloatToInt => W::SATURATING_FLOAT_TO_INT,
                Proposal::MultiValue => W::MULTI_VALUE,
                Proposal::BulkMemory => W::BULK_MEMORY,
                Proposal::ReferenceTypes => W::REFERENCE_TYPES,
                Proposal::Simd => W::SIMD,
                Proposal::RelaxedSimd => W::RELAXED_SIMD,
                Proposal::ExtendedConst => W::EXTENDED_CONST,
                Proposal::TailCall => W::TAIL_CALL,
                Proposal::MultiMemory => W::MULTI_MEMORY,
                Proposal::Memory64 => W::MEMORY64,
                Proposal::Gc => W::GC | W::FUNCTION_REFERENCES,
                Proposal::Exceptions => W::EXCEPTIONS,
                Proposal::Threads => W::THREADS,
                Proposal::CustomPageSizes => W::CUSTOM_PAGE_SIZES,
                Proposal::WideArithmetic => W::WIDE_ARITHMETIC,
            };
        }
        w
    }

    /// Removes a proposal.
    pub fn without(mut self, p: Proposal) -> FeatureSet {
        self.0.retain(|q| *q != p);
        self
    }
}

impl fmt::Display for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|p| p.name()).collect();
        write!(f, "mvp")?;
        for n in names {
            write!(f, ", {n}")?;
        }
        Ok(())
    }
}

/// The capability table as Markdown (engines x proposals), for docs and
/// `wasm-conform fuzz --capabilities`.
pub fn table_markdown(engines: &[&str]) -> String {
    let mut out = String::from("| proposal |");
    for e in engines {
        out.push_str(&format!(" {e} |"));
    }
    out.push_str(" fuzzed |\n|---|");
    for _ in engines {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    let common = FeatureSet::common(engines);
    for p in Proposal::ALL {
        out.push_str(&format!("| {} |", p.name()));
        for e in engines {
            out.push_str(if supports(e, *p) { " yes |" } else { " no |" });
        }
        let fuzzed = if common.has(*p) {
            "yes"
        } else if !p.deterministic() {
            "no (nondeterministic)"
        } else {
            "no"
        };
        out.push_str(&format!(" {fuzzed} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_set_is_the_intersection_minus_nondeterminism() {
        let both = FeatureSet::common(&["reference-vm", "wasmi"]);
        assert!(both.has(Proposal::Simd));
        assert!(both.has(Proposal::BulkMemory));
        assert!(!both.has(Proposal::RelaxedSimd), "nondeterministic");
        assert!(!both.has(Proposal::Gc), "neither engine has GC");
        let wasmi = FeatureSet::common(&["wasmi", "wasmi"]);
        assert!(wasmi.has(Proposal::TailCall));
        assert!(wasmi.has(Proposal::Memory64));
        for p in both.proposals() {
            assert!(supports("reference-vm", *p) && supports("wasmi", *p));
        }
        assert_eq!(
            FeatureSet::common(&["reference-vm-faulty", "reference-vm"]),
            FeatureSet::common(&["reference-vm"])
        );
    }

    #[test]
    fn presets_and_wasmparser_features() {
        assert!(supports("reference-vm@2.0", Proposal::Simd));
        assert!(!supports("reference-vm@2.0", Proposal::ExtendedConst));
        assert!(!supports("reference-vm@1.0", Proposal::SignExtension));
        assert!(supports("node", Proposal::BulkMemory));
        assert_eq!(
            wasmparser_features(&reference_vm::Features::v2()),
            wasmparser::WasmFeatures::WASM2
        );
    }

    /// The `validate` fuzz target found reference-vm accepting a legacy
    /// `try` that wasmparser, without its legacy switch, rejected: with the
    /// same feature set both accept it.
    #[test]
    fn legacy_try_is_valid_for_both_validators() {
        let wasm = super::super::case::assemble(
            "(module (tag $e) (func try throw $e catch $e catch_all end))",
        )
        .unwrap();
        let v3 = reference_vm::Features::v3();
        let module = reference_vm::decode_module(&wasm, &v3).unwrap();
        assert!(reference_vm::validate_module(&module, &v3).is_ok());
        wasmparser::Validator::new_with_features(wasmparser_features(&v3))
            .validate_all(&wasm)
            .unwrap();
    }

    #[test]
    fn table_lists_every_proposal() {
        let t = table_markdown(&["reference-vm", "wasmi"]);
        for p in Proposal::ALL {
            assert!(t.contains(p.name()));
        }
        assert!(t.contains("| relaxed-simd | yes | yes | no (nondeterministic) |"));
    }

    #[cfg(feature = "wasmtime")]
    #[test]
    fn wasmtime_column() {
        let common = FeatureSet::common(&["reference-vm@latest", "wasmtime"]);
        for p in [
            Proposal::Simd,
            Proposal::TailCall,
            Proposal::Memory64,
            Proposal::MultiMemory,
            Proposal::ExtendedConst,
        ] {
            assert!(common.has(p), "{p}");
        }
        assert!(!common.has(Proposal::RelaxedSimd), "nondeterministic");
        assert!(!common.has(Proposal::Threads), "built without threads");
        assert!(super::super::is_oracle_engine("wasmtime"));
    }
}
