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
pub mod exec;
pub mod syntax;
pub mod valid;
pub mod wasi;

pub use binary::{DecodeError, decode_module};
pub use exec::{InstantiateError, LinkError, Store, Trap, Val};
pub use valid::{ValidModule, ValidationError, validate_module};

/// One switch per proposal. Validation and decoding follow the chosen set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Features {
    /// Import/export of mutable globals (2.0).
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
}

impl Features {
    /// No proposal at all: WebAssembly 1.0 (MVP).
    pub const fn v1() -> Features {
        Features {
            mutable_globals: false,
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
        }
    }

    /// WebAssembly 2.0: MVP plus mutable globals, sign extension, saturating
    /// conversions, multi-value, bulk memory, reference types and SIMD.
    pub const fn v2() -> Features {
        Features {
            mutable_globals: true,
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
    /// it. `None` for a name not in [`Features::PROPOSALS`].
    pub fn proposal(name: &str) -> Option<Features> {
        let v2 = Features::v2();
        let v3 = Features::v3();
        Some(match name {
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

    /// The proposal names [`Features::proposal`] knows.
    pub const PROPOSALS: &[&str] = &[
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
