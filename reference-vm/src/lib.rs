//! The reference interpreter of wasm-conform.
//!
//! Organised like the WebAssembly specification:
//! [`syntax`] (Structure), [`binary`] (Binary Format), [`valid`] (Validation)
//! and [`exec`] (Execution). The pipeline is
//! [`binary::decode_module`] → [`valid::validate_module`] → [`exec::Store::instantiate`]
//! → [`exec::Store::invoke`].
//!
//! # NaN rule
//! Scalar float arithmetic returns whatever the host (Rust/IEEE hardware) produces.
//! The spec permits any canonical or arithmetic NaN for non-deterministic results,
//! See [`exec::numerics::float`]: every float operator returns the first NaN
//! operand quieted, or the positive canonical NaN (the reference interpreter's
//! rule); `abs`, `neg`, `copysign` and reinterpretations operate on bits.

pub mod binary;
pub mod component;
pub mod exec;
pub mod syntax;
pub mod valid;
pub mod wasi;

pub use binary::{DecodeError, decode_module};
pub use exec::{InstantiateError, LinkError, Store, Trap, Val};
pub use valid::{ValidModule, ValidationError, validate_module, validate_module_eager};

/// One switch per proposal. Validation and decoding follow the chosen set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features {
    /// Import/export of mutable globals (merged before the 1.0 release).
    pub mutable_globals: bool,
    /// Sign-extension operators (2.0).
    pub sign_extension: bool,
    /// Non-trapping float-to-int conversions (2.0).
    pub saturating_float_to_int: bool,
    /// Multiple results and block parameters (2.0).
    pub multi_value: bool,
    /// Bulk memory and table operations, passive segments (2.0).
    pub bulk_memory: bool,
    /// Reference types, multiple tables, table instructions (2.0).
    pub reference_types: bool,
    /// Fixed-width SIMD (2.0).
    pub simd: bool,
    /// Relaxed SIMD (3.0), deterministic profile of the numerics module.
    pub relaxed_simd: bool,
    /// Tail calls (3.0).
    pub tail_call: bool,
    /// Extended constant expressions (3.0).
    pub extended_const: bool,
    /// Multiple memories (3.0).
    pub multi_memory: bool,
    /// 64-bit memories and tables (3.0).
    pub memory64: bool,
    /// Typed function references (3.0).
    pub function_references: bool,
    /// Garbage collection (3.0).
    pub gc: bool,
    /// Exception handling (3.0), including the legacy `try` instructions.
    pub exceptions: bool,
    /// Threads: shared memories and atomic instructions (prefix 0xFE).
    pub threads: bool,
    /// Custom page sizes (1-byte or 64 KiB pages).
    pub custom_page_sizes: bool,
    /// Wide arithmetic (128-bit add/sub, wide multiplication).
    pub wide_arithmetic: bool,
    /// Custom descriptors (proposal): exact reference types, `descriptor` and
    /// `describes` clauses, descriptor allocation and descriptor casts.
    pub custom_descriptors: bool,
    /// Which rules of the releases before 2.0 apply where 2.0 changed them
    /// ([`Features::pre_v2_rules`]).
    pub legacy: Legacy,
}

/// The rules of a release before 2.0, kept where 2.0 changed them: the
/// decoder (section sizes and name lengths bounded by the module's length,
/// `zero flag expected`, `junk after last section`) and `br_table` typing
/// (every label of one type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Legacy {
    /// The rules of 2.0 and later.
    #[default]
    None,
    /// WebAssembly 1.0 as its maintained suite (bundled `wasm-v1`) checks
    /// it: instantiation as in 2.0 (segments written in order until one
    /// traps with `out of bounds table access` or `out of bounds memory
    /// access`; the suite observes the partial writes).
    V1,
    /// The reference interpreter the proposal drafts before 2.0 were written
    /// against. Without bulk memory, instantiation checks every active
    /// segment's bounds before writing any, and one that does not fit makes
    /// the module unlinkable (`elements segment does not fit`, `data segment
    /// does not fit`).
    Drafts,
}

impl Features {
    /// WebAssembly 1.0 (the W3C Recommendation of 2019): the MVP with
    /// import and export of mutable globals, under the 1.0 rules
    /// ([`Legacy::V1`]).
    pub const fn v1() -> Features {
        Features {
            mutable_globals: true,
            sign_extension: false,
            saturating_float_to_int: false,
            multi_value: false,
            bulk_memory: false,
            reference_types: false,
            simd: false,
            relaxed_simd: false,
            tail_call: false,
            extended_const: false,
            multi_memory: false,
            memory64: false,
            function_references: false,
            gc: false,
            exceptions: false,
            threads: false,
            custom_page_sizes: false,
            wide_arithmetic: false,
            custom_descriptors: false,
            legacy: Legacy::V1,
        }
    }

    /// WebAssembly 2.0: 1.0 plus sign extension, saturating conversions,
    /// multi-value, bulk memory, reference types and SIMD, under the 2.0 rules.
    pub const fn v2() -> Features {
        Features {
            legacy: Legacy::None,
            sign_extension: true,
            saturating_float_to_int: true,
            multi_value: true,
            bulk_memory: true,
            reference_types: true,
            simd: true,
            ..Features::v1()
        }
    }

    /// WebAssembly 3.0 as far as implemented (grows as proposals land).
    pub const fn v3() -> Features {
        Features {
            extended_const: true,
            function_references: true,
            gc: true,
            exceptions: true,
            relaxed_simd: true,
            tail_call: true,
            multi_memory: true,
            memory64: true,
            ..Features::v2()
        }
    }

    /// WebAssembly 3.0 plus the proposals beyond it: custom page sizes, wide
    /// arithmetic, threads and custom descriptors. Kept apart from
    /// [`Features::v3`] because the 3.0 suite requires what they add to be
    /// malformed (limits flags 0x02 and 0x08, opcodes 0xFC 19-22 and 0xFB
    /// 32-38, the 0xFE prefix, the exact prefix 0x62).
    pub const fn latest() -> Features {
        Features {
            custom_page_sizes: true,
            wide_arithmetic: true,
            // Custom descriptors proposal.
            custom_descriptors: true,
            threads: true,
            ..Features::v3()
        }
    }

    /// The feature set a proposal's own test suite assumes (the folders
    /// `proposals/NAME` of the upstream testsuite): the proposal on top of
    /// the release it was written against. The snapshots of the proposals
    /// merged into 3.0 predate the 3.0 rules (e.g. they expect the memory
    /// index byte of `memory.size` to be zero), those beyond 3.0 build on
    /// it. The drafts of the proposals merged into 2.0 build on 1.0 and keep
    /// the rules of its interpreter ([`Legacy::Drafts`]). `None` for a name not in
    /// [`Features::PROPOSALS`].
    pub fn proposal(name: &str) -> Option<Features> {
        let v1 = Features {
            legacy: Legacy::Drafts,
            ..Features::v1()
        };
        let v2 = Features::v2();
        let v3 = Features::v3();
        Some(match name {
            // Mutable-global import/export is part of 1.0 itself.
            "mutable-global" => v1,
            "multi-value" => Features {
                multi_value: true,
                ..v1
            },
            // The reference-types draft builds on the post-1.0 proposals it
            // merged (sign extension, saturating conversions, multi-value,
            // bulk memory) but predates SIMD and the 2.0 rules.
            "reference-types" => Features {
                sign_extension: true,
                saturating_float_to_int: true,
                multi_value: true,
                bulk_memory: true,
                reference_types: true,
                ..v1
            },
            "tail-call" => Features {
                tail_call: true,
                ..v2
            },
            "extended-const" => Features {
                extended_const: true,
                ..v2
            },
            "multi-memory" => Features {
                multi_memory: true,
                ..v2
            },
            "memory64" => Features {
                memory64: true,
                ..v2
            },
            "relaxed-simd" => Features {
                relaxed_simd: true,
                ..v2
            },
            "function-references" => Features {
                tail_call: true,
                function_references: true,
                ..v2
            },
            "gc" | "exceptions" => v3,
            "custom-page-sizes" => Features {
                custom_page_sizes: true,
                ..v3
            },
            "wide-arithmetic" => Features {
                wide_arithmetic: true,
                ..v3
            },
            // The threads suite predates reference types and multi-memory: a
            // second table or memory is invalid there.
            "threads" => Features {
                threads: true,
                reference_types: false,
                ..v2
            },
            "custom-descriptors" => Features {
                custom_descriptors: true,
                ..v3
            },
            _ => return None,
        })
    }

    /// True when the rules of a release before 2.0 apply ([`Legacy`]).
    pub const fn pre_v2_rules(&self) -> bool {
        !matches!(self.legacy, Legacy::None)
    }

    /// The proposal names [`Features::proposal`] knows.
    pub const PROPOSALS: &[&str] = &[
        "mutable-global",
        "multi-value",
        "reference-types",
        "tail-call",
        "extended-const",
        "multi-memory",
        "memory64",
        "relaxed-simd",
        "function-references",
        "gc",
        "exceptions",
        "custom-page-sizes",
        "wide-arithmetic",
        "threads",
        "custom-descriptors",
    ];
}

impl Default for Features {
    fn default() -> Self {
        Features::v3()
    }
}

/// Limits and options of a [`exec::Store`].
#[derive(Clone, Debug)]
pub struct Config {
    /// The feature set (used by the adapter for decoding/validation; kept here for reference).
    pub features: Features,
    /// Maximum number of nested wasm calls before `call stack exhausted`.
    pub max_call_depth: usize,
    /// Instruction budget (charged per call and per backward branch); `None` = unlimited.
    pub fuel: Option<u64>,
    /// `memory.grow` beyond this many bytes fails (returns -1).
    pub max_memory_bytes: u64,
    /// `table.grow` beyond this many elements fails (returns -1).
    pub max_table_elems: u64,
    /// Maximum number of 64-bit value slots on the operand/locals stack.
    pub max_stack_slots: usize,
    /// GC heap cap in bytes (structs, arrays, exceptions); exceeding it traps
    /// with `out of memory`.
    pub max_heap_bytes: u64,
    /// The choice for each relaxed-SIMD parameter (spec: exec/numerics,
    /// relaxed operations): the deterministic profile by default, or any
    /// permitted behaviour, e.g. `RelaxedMode::X86` / `RelaxedMode::ARM64`.
    pub relaxed_simd: exec::numerics::v128::RelaxedMode,
    /// A stop request: once the flag is true, running code traps with
    /// `interrupted` ([`exec::Trap::Interrupted`]) at its next call or
    /// backward branch (where fuel is charged), and `memory.atomic.wait*`
    /// wakes up to the same trap. Another thread (a timeout, or the WASI host
    /// ending a multi-threaded program) sets it; `None` = never.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            features: Features::default(),
            max_call_depth: 20_000,
            fuel: None,
            max_memory_bytes: 4 << 30,
            max_table_elems: 10_000_000,
            max_stack_slots: 16 << 20,
            max_heap_bytes: 1 << 30,
            relaxed_simd: exec::numerics::v128::RelaxedMode::DETERMINISTIC,
            interrupt: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_proposal_has_a_preset() {
        for name in Features::PROPOSALS {
            assert!(Features::proposal(name).is_some(), "{name}");
        }
        assert_eq!(Features::proposal("no-such-proposal"), None);
    }

    #[test]
    fn v1_includes_mutable_globals_under_the_1_0_rules() {
        let v1 = Features::v1();
        assert!(v1.mutable_globals && !v1.bulk_memory && !v1.multi_value);
        assert_eq!(v1.legacy, Legacy::V1);
        assert!(v1.pre_v2_rules() && v1.legacy_v1_messages());
        for f in [Features::v2(), Features::v3(), Features::latest()] {
            assert!(!f.pre_v2_rules() && !f.legacy_v1_messages());
        }
    }

    #[test]
    fn pre_v2_drafts_build_on_1_0_with_the_drafts_interpreter() {
        let drafts_v1 = Features {
            legacy: Legacy::Drafts,
            ..Features::v1()
        };
        assert_eq!(Features::proposal("mutable-global"), Some(drafts_v1));
        assert_eq!(
            Features::proposal("multi-value"),
            Some(Features {
                multi_value: true,
                ..drafts_v1
            })
        );
        let rt = Features::proposal("reference-types").unwrap();
        assert!(rt.reference_types && rt.bulk_memory && rt.multi_value);
        assert!(!rt.simd, "the draft predates SIMD");
        assert_eq!(rt.legacy, Legacy::Drafts);
        // 1.0 wording needs the 1.0 binary format (no bulk memory, no reference types).
        assert!(rt.pre_v2_rules() && !rt.legacy_v1_messages());
    }
}
