//! From fuzz input to a test case: a wasm-smith `Config` restricted to the
//! common feature set, a module made to terminate, and the oracle's helpers.

use super::caps::{FeatureSet, Proposal};
use super::instrument;
use arbitrary::Unstructured;
use wasm_smith::{Config, InstructionKind, InstructionKinds, MemoryOffsetChoices};

/// The wasm-level fuel (loop iterations and calls) a module gets before each
/// call and for its start function. Each function entry costs one, so it
/// also bounds recursion: half of wasmi's default limit of 1000 frames, so
/// that deep recursion ends in the same wasm-level trap on every engine.
pub const WASM_FUEL: u32 = 500;

/// The engine-level fuel backstop per call: far above what [`WASM_FUEL`]
/// allows, so the wasm-level fuel (deterministic on every engine) always
/// ends a long run first.
pub const ENGINE_FUEL: u64 = 50_000_000;

/// The largest memory a generated module may declare, in 64 KiB pages.
pub const MAX_MEMORY_PAGES: u64 = 2;

/// The largest table a generated module may declare.
pub const MAX_TABLE_ELEMS: u64 = 32;

/// A generated test case: everything needed to run (and re-run) it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The module, with the oracle's helper exports.
    pub wasm: Vec<u8>,
    /// Seed of the call plan (arguments).
    pub plan_seed: u64,
    /// How many times each export is called.
    pub rounds: u32,
    /// The wasm-level fuel reset before every call.
    pub fuel: u32,
    /// The wasm-smith configuration, as text (for the record).
    pub config: String,
}

/// Options of module generation.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// The proposals modules may use.
    pub features: FeatureSet,
    /// Let wasm-smith emit possibly invalid function bodies (validate target).
    pub allow_invalid_funcs: bool,
    /// Make every function terminate with wasm-level fuel.
    pub ensure_termination: bool,
    /// Shape the operands of bulk instructions and indirect calls
    /// (oracle/shape.rs) in a share of the modules.
    pub shape: bool,
}

impl GenOptions {
    /// Options for a differential comparison of these engines.
    pub fn differential(engines: &[&str]) -> GenOptions {
        GenOptions {
            features: FeatureSet::common(engines),
            allow_invalid_funcs: false,
            ensure_termination: true,
            shape: true,
        }
    }
}

/// Swarm choice: a feature in the set is on three times out of four.
fn feature(u: &mut Unstructured, set: &FeatureSet, p: Proposal) -> arbitrary::Result<bool> {
    Ok(set.has(p) && u.ratio(3u8, 4u8)?)
}

/// Builds a wasm-smith `Config` from fuzz input. Every field is set here,
/// explicitly, with no `..Default::default()`: wasm-smith 0.263 turns almost
/// every proposal on by default, and a field added by a future release must
/// fail to compile here rather than silently widen what is generated.
pub fn smith_config(u: &mut Unstructured, opts: &GenOptions) -> arbitrary::Result<Config> {
    let f = &opts.features;
    let reference_types = feature(u, f, Proposal::ReferenceTypes)?;
    let simd = feature(u, f, Proposal::Simd)?;
    let gc = reference_types && feature(u, f, Proposal::Gc)?;
    let threads = feature(u, f, Proposal::Threads)?;
    let multi_memory = feature(u, f, Proposal::MultiMemory)?;
    let exceptions = feature(u, f, Proposal::Exceptions)?;
    let custom_page_sizes = feature(u, f, Proposal::CustomPageSizes)?;
    let memory64 = feature(u, f, Proposal::Memory64)?;
    // Swarm testing: half the time only some instruction kinds, so that
    // each kind's instructions are dense in the modules that have it.
    let all_kinds = u.ratio(1u8, 2u8)?;
    let allowed_instructions = if all_kinds {
        InstructionKinds::all()
    } else {
        use InstructionKind::*;
        let mut kinds = Vec::new();
        for k in [
            NumericInt, Numeric, VectorInt, Vector, Reference, Parametric, Variable, Table,
            MemoryInt, Memory, Control, Aggregate,
        ] {
            if u.arbitrary()? {
                kinds.push(k);
            }
        }
        InstructionKinds::new(&kinds)
    };
    let memory_bytes = u.int_in_range(1..=MAX_MEMORY_PAGES)? * 65536;
    Ok(Config {
        available_imports: None,
        exports: None,
        module_shape: None,
        allow_start_export: true,
        allowed_instructions,
        allow_floats: u.ratio(7u8, 8u8)?,
        bulk_memory_enabled: feature(u, f, Proposal::BulkMemory)?,
        // Arithmetic NaNs may differ in sign and payload between conforming
        // engines, and a reinterpret or a store makes the bits observable:
        // wasm-smith canonicalises every NaN a float operation produces.
        canonicalize_nans: true,
        // Half the modules guard their operations against traps, so that
        // calls run deeper instead of trapping at the first load.
        disallow_traps: u.ratio(1u8, 2u8)?,
        exceptions_enabled: exceptions,
        // Everything exported most of the time: more functions to call and
        // more state (globals, memories, tables) to compare.
        export_everything: u.ratio(3u8, 4u8)?,
        gc_enabled: gc,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        custom_page_sizes_enabled: custom_page_sizes,
        generate_custom_sections: false,
        max_aliases: 0,
        max_components: 0,
        max_data_segments: u.int_in_range(0..=8)?,
        max_element_segments: u.int_in_range(0..=8)?,
        // Up to the largest table, so table.init reaches long ranges.
        max_elements: u.int_in_range(0..=MAX_TABLE_ELEMS as usize)?,
        max_exports: u.int_in_range(1..=16)?,
        max_funcs: u.int_in_range(1..=12)?,
        max_globals: u.int_in_range(0..=10)?,
        // Imports off: every engine sees a closed module.
        max_imports: 0,
        max_instances: 0,
        max_instructions: u.int_in_range(16..=160)?,
        max_memories: if multi_memory { 2 } else { 1 },
        max_memory32_bytes: memory_bytes,
        max_memory64_bytes: u128::from(memory_bytes),
        max_modules: 0,
        max_nesting_depth: u.int_in_range(1..=8)?,
        max_table_elements: u.int_in_range(1..=MAX_TABLE_ELEMS)?,
        max_tables: if reference_types { 2 } else { 1 },
        max_tags: if exceptions { 4 } else { 0 },
        max_type_size: 1000,
        max_types: u.int_in_range(1..=16)?,
        max_values: 0,
        memory64_enabled: memory64,
        memory_max_size_required: true,
        memory_offset_choices: MemoryOffsetChoices(90, 9, 1),
        min_data_segments: 0,
        min_element_segments: 0,
        min_elements: 0,
        min_exports: 1,
        min_funcs: 1,
        min_globals: 0,
        min_imports: 0,
        min_memories: 0,
        min_tables: 0,
        min_tags: 0,
        // At least one type, so that there is a function type (GC off) and
        // `min_funcs` can be honoured.
        min_types: usize::from(!gc),
        min_uleb_size: if u.ratio(1u8, 8u8)? {
            u.int_in_range(2..=5)?
        } else {
            1
        },
        multi_value_enabled: feature(u, f, Proposal::MultiValue)?,
        reference_types_enabled: reference_types,
        relaxed_simd_enabled: simd && feature(u, f, Proposal::RelaxedSimd)?,
        saturating_float_to_int_enabled: feature(u, f, Proposal::SaturatingFloatToInt)?,
        sign_extension_ops_enabled: feature(u, f, Proposal::SignExtension)?,
        shared_everything_threads_enabled: false,
        simd_enabled: simd,
        tail_call_enabled: feature(u, f, Proposal::TailCall)?,
        table_max_size_required: true,
        threads_enabled: threads,
        allow_invalid_funcs: opts.allow_invalid_funcs,
        wide_arithmetic_enabled: feature(u, f, Proposal::WideArithmetic)?,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        extended_const_enabled: feature(u, f, Proposal::ExtendedConst)?,
        const_expr_fuel: 50,
        limit_arrays_in_const_exprs: true,
    })
}

/// Generates a case from fuzz input. The input's first bytes choose the
/// configuration and the call plan, the rest shape the module.
pub fn generate(data: &[u8], opts: &GenOptions) -> Result<Case, String> {
    let mut u = Unstructured::new(data);
    let config = smith_config(&mut u, opts).map_err(|e| e.to_string())?;
    let plan_seed: u64 = u.arbitrary().map_err(|e| e.to_string())?;
    // Swarm: no, few, many or most integer constants made small.
    let small_per_256 = [0, 32, 96, 192][u.int_in_range(0..=3usize).map_err(|e| e.to_string())?];
    let rounds = u.int_in_range(3..=6).map_err(|e| e.to_string())?;
    // Operand shaping (oracle/shape.rs) in three modules of four (its
    // helpers return three values), with bulk instructions injected in half
    // of those when the module may have them (bulk memory and reference types).
    let shape = opts.shape
        && opts.features.has(Proposal::MultiValue)
        && u.ratio(3u8, 4u8).map_err(|e| e.to_string())?;
    let reftypes = config.reference_types_enabled;
    let inject = shape
        && config.bulk_memory_enabled
        && config.reference_types_enabled
        && u.ratio(1u8, 2u8).map_err(|e| e.to_string())?;
    let config_text = format!("{config:#?}");
    let mut module = wasm_smith::Module::new(config, &mut u).map_err(|e| e.to_string())?;
    let fuel_global = if opts.ensure_termination {
        Some(
            module
                .ensure_termination(WASM_FUEL)
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let wasm = module.to_bytes();
    let wasm = if opts.allow_invalid_funcs {
        wasm
    } else {
        let small_consts = (small_per_256 > 0).then(|| instrument::SmallConsts {
            rng: super::plan::Rng::new(plan_seed ^ 0x5ca1_ab1e),
            per_256: small_per_256,
            fuel_global,
        });
        let shaping = shape.then(|| {
            (
                inject.then(|| super::plan::Rng::new(plan_seed ^ 0xb01c_5eed)),
                reftypes,
            )
        });
        instrument::add_oracle_exports(&wasm, fuel_global, small_consts, shaping)?
    };
    Ok(Case {
        wasm,
        plan_seed,
        rounds,
        fuel: WASM_FUEL,
        config: config_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(seed: u64, len: usize) -> Vec<u8> {
        let mut rng = super::super::plan::Rng::new(seed);
        (0..len).map(|_| rng.next() as u8).collect()
    }

    #[test]
    fn generated_modules_are_valid_and_respect_the_features() {
        let opts = GenOptions::differential(&["reference-vm", "wasmi"]);
        let mut made = 0;
        for seed in 0..200 {
            let Ok(case) = generate(&data(seed, 2048), &opts) else {
                continue;
            };
            made += 1;
            // Validated with only the common features of the two engines.
            wasmparser::Validator::new_with_features(opts.features.wasmparser())
                .validate_all(&case.wasm)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let info = instrument::ModuleInfo::parse(&case.wasm).unwrap();
            assert!(info.has_export(instrument::FUEL_EXPORT), "seed {seed}");
            assert_eq!(info.imports, 0);
        }
        assert!(made > 150, "only {made} cases generated");
    }

    #[test]
    fn memories_and_tables_have_small_maxima() {
        let opts = GenOptions::differential(&["reference-vm", "wasmi"]);
        for seed in 0..100 {
            let Ok(case) = generate(&data(seed, 4096), &opts) else {
                continue;
            };
            for payload in wasmparser::Parser::new(0).parse_all(&case.wasm) {
                match payload.unwrap() {
                    wasmparser::Payload::MemorySection(r) => {
                        for m in r {
                            let max = m.unwrap().maximum.expect("memory maximum");
                            assert!(max <= MAX_MEMORY_PAGES);
                        }
                    }
                    wasmparser::Payload::TableSection(r) => {
                        for t in r {
                            let max = t.unwrap().ty.maximum.expect("table maximum");
                            assert!(max <= MAX_TABLE_ELEMS);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
