//! The engine contract of wasm-conform (DESIGN.md, "engines"): what every
//! runner may ask of a WebAssembly engine, the outcomes it gets back, and the
//! adapters that map real engines onto that contract.

pub mod bench;
pub mod component;
pub mod external;
pub mod oracle;
pub mod outcome;
mod reference_vm;
pub mod value;
pub mod wasi_fuzz;
mod wasmi_engine;
#[cfg(feature = "wasmtime")]
mod wasmtime_engine;

pub use component::{ComponentInstanceId, ComponentOutcome, ComponentValue};
pub use outcome::{ModuleError, Outcome, Trap, TrapKind};
pub use reference_vm::ReferenceVmEngine;
pub use value::{NullKind, RefValue, Value, ValueType};
pub use wasmi_engine::WasmiEngine;
#[cfg(feature = "wasmtime")]
pub use wasmtime_engine::WasmtimeEngine;

/// An instance created by [`Engine::instantiate`], valid for that engine only.
pub type InstanceId = usize;

/// Exported state of an instance, read after a call (for the differential oracle).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceState {
    /// Exported globals by name, with their current values.
    pub globals: Vec<(String, Value)>,
    /// Exported memories by name, with their contents.
    pub memories: Vec<(String, Vec<u8>)>,
    /// Exported tables by name, with their elements.
    pub tables: Vec<(String, Vec<Value>)>,
}

/// Limits applied by an engine to each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Instruction budget (the engine's notion of fuel) per call, if any.
    pub fuel: Option<u64>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            fuel: Some(DEFAULT_FUEL),
        }
    }
}

/// The default per-call fuel: far more than any spec test needs, small
/// enough that an infinite loop ends in seconds.
pub const DEFAULT_FUEL: u64 = 2_000_000_000;

/// A WebAssembly engine as the runners see it.
///
/// An engine owns one store: every instance it creates lives until the engine
/// is dropped, and `register`ed instances are visible as imports to later
/// instantiations. The `spectest` module of the reference interpreter is
/// registered from the start.
pub trait Engine {
    /// The engine's name (`reference-vm`, `wasmi`, ...).
    fn name(&self) -> &str;

    /// The engine's version.
    fn version(&self) -> String;

    /// The configuration in force (features, limits), for provenance.
    fn config(&self) -> Vec<(String, String)>;

    /// Decodes and validates a binary module without instantiating it.
    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError>;

    /// Decodes, validates, links against registered instances and instantiates.
    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError>;

    /// Makes an instance's exports importable under `name`.
    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String>;

    /// Calls an exported function.
    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome;

    /// Reads an exported global.
    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome;

    /// Reads every exported global, memory and table.
    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String>;

    /// Decodes a module and checks the custom sections the engine knows
    /// (name section, branch hints): `Malformed` when one does not decode,
    /// `Invalid` when one does not fit the module.
    fn check_custom_sections(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        let _ = bytes;
        Err(ModuleError::Unsupported(format!(
            "custom-section checks: {} does not report them",
            self.name()
        )))
    }

    /// Sets the per-call limits (core and component calls alike).
    fn set_budget(&mut self, budget: Budget);

    /// Chooses the interleaving of component-model concurrency: `None` is
    /// the engine's own schedule; a seed picks one of the interleavings the
    /// specification allows, the same one each time (an engine with one
    /// fixed schedule ignores it).
    fn set_schedule_seed(&mut self, seed: Option<u64>) {
        let _ = seed;
    }

    // ---- components (DESIGN.md, "The component model") ----
    //
    // Component instances are numbered apart from core instances (see
    // [`component`]). Engines without components keep these defaults:
    // `Unsupported`.

    /// Decodes and validates a component binary without instantiating it:
    /// `Malformed` when it does not decode, `Invalid` when it does not
    /// validate (or `Rejected` for an engine that does not say which).
    fn validate_component(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        let _ = bytes;
        Err(ModuleError::Unsupported(format!(
            "component model: {} does not run components",
            self.name()
        )))
    }

    /// Decodes, validates and instantiates a component; its imports are
    /// resolved by name against the component instances
    /// [`Engine::register_component`]ed so far (`Unlinkable` when one is
    /// missing or does not match, `Uninstantiable` when a start traps).
    fn instantiate_component(&mut self, bytes: &[u8]) -> Result<ComponentInstanceId, ModuleError> {
        let _ = bytes;
        Err(ModuleError::Unsupported(format!(
            "component model: {} does not run components",
            self.name()
        )))
    }

    /// Makes a component instance's exports importable under `name` by
    /// later component instantiations.
    fn register_component(
        &mut self,
        name: &str,
        instance: ComponentInstanceId,
    ) -> Result<(), String> {
        let _ = (name, instance);
        Err(format!(
            "component model: {} does not run components",
            self.name()
        ))
    }

    /// Calls an exported component function with component values.
    fn invoke_component(
        &mut self,
        instance: ComponentInstanceId,
        export: &str,
        args: &[ComponentValue],
    ) -> ComponentOutcome {
        let _ = (instance, export, args);
        ComponentOutcome::Unsupported(format!(
            "component model: {} does not run components",
            self.name()
        ))
    }

    /// Whether the engine runs `thread` blocks on shared memory.
    fn supports_threads(&self) -> bool {
        false
    }

    /// A fresh engine for a script's `(thread $T (shared (module $M)) ...)`
    /// block, to run on another OS thread. It sees what the instances in
    /// `shared` can share across threads (for the reference VM: their shared
    /// memories, and the `spectest` shared memory), as instances of its own,
    /// returned in the same order, which the thread may `register`.
    /// Engines without threads keep this default: unsupported.
    fn spawn_thread(&mut self, shared: &[InstanceId]) -> Result<SpawnedThread, String> {
        let _ = shared;
        Err(format!(
            "threads: {} does not run thread blocks",
            self.name()
        ))
    }

    /// Switches executed-coverage counting on (`wasm-conform fuzz
    /// --coverage`), adding to `counters`; an engine that does not count
    /// coverage hands them back (reference-vm counts, through
    /// `reference_vm::exec::coverage`).
    fn lend_coverage(&mut self, counters: Box<Coverage>) -> Option<Box<Coverage>> {
        Some(counters)
    }

    /// The counters lent, when counting; counting is off afterwards.
    fn take_coverage(&mut self) -> Option<Box<Coverage>> {
        None
    }
}

/// Executed-coverage counters ([`Engine::lend_coverage`]).
pub use ::reference_vm::exec::coverage::Coverage;

/// An engine created by [`Engine::spawn_thread`] and the ids, in that engine,
/// of the shared instances it was given.
pub struct SpawnedThread {
    /// The thread's engine.
    pub engine: Box<dyn Engine + Send>,
    /// One instance per shared instance, in order.
    pub instances: Vec<InstanceId>,
}

/// The engines this build can create, by CLI name (`wasmtime` with the
/// cargo feature of that name).
#[cfg(not(feature = "wasmtime"))]
pub const ENGINE_NAMES: &[&str] = &["reference-vm", "wasmi"];
/// The engines this build can create, by CLI name (`wasmtime` with the
/// cargo feature of that name).
#[cfg(feature = "wasmtime")]
pub const ENGINE_NAMES: &[&str] = &["reference-vm", "wasmi", "wasmtime"];

/// The feature presets of the reference VM, selected as `reference-vm@PRESET`.
/// (A proposal's name is a preset too: see [`reference_vm_features`].)
pub const REFERENCE_VM_PRESETS: &[&str] = &["1.0", "2.0", "3.0", "latest"];

/// The feature set of a reference-vm preset (`None`: plain `reference-vm`,
/// the 3.0 preset): a release (`1.0`, `2.0`, `3.0`), `latest`, or a
/// proposal's name (`reference_vm::Features::proposal`); `None` for an
/// unknown preset.
pub fn reference_vm_features(preset: Option<&str>) -> Option<::reference_vm::Features> {
    use ::reference_vm::Features;
    Some(match preset {
        None | Some("3.0") => Features::v3(),
        Some("2.0") => Features::v2(),
        Some("1.0") => Features::v1(),
        Some("latest") => Features::latest(),
        Some(name) => return Features::proposal(name),
    })
}

/// The reference-vm preset a spec file is written for, from its path in the
/// suite: the bundled release suites (`wasm-v1/`, `wasm-v2/`, `wasm-v3/`)
/// their release, `proposals/NAME/` the proposal's own preset (or `latest`
/// for a proposal without one), everything else 3.0: `test/` and
/// `wasm-latest/`, the spec's draft of its next release, which holds 3.0's
/// features and none of the proposals our `latest` preset adds (its
/// binary.wast requires limits flag 0x08, a page size under custom page
/// sizes, to be malformed).
pub fn reference_vm_preset_for(file_id: &str) -> &'static str {
    let mut parts = file_id.split('/');
    match (parts.next(), parts.next()) {
        (Some("wasm-v1"), _) => "1.0",
        (Some("wasm-v2"), _) => "2.0",
        // The component model's tests use core features beyond 3.0 (shared
        // memories; custom page sizes in wasm-tools' tests), as the
        // runtimes they are written against enable by default.
        (Some("component-model"), _) => "latest",
        (Some("proposals"), Some(name)) => ::reference_vm::Features::PROPOSALS
            .iter()
            .find(|p| **p == name)
            .copied()
            .unwrap_or("latest"),
        _ => "3.0",
    }
}

/// Creates a fresh engine by its CLI name. `reference-vm@2.0` (or `@1.0`,
/// `@3.0`, `@latest`) selects a feature preset of the reference VM; plain
/// `reference-vm` is the 3.0 preset, and `@latest` adds the proposals beyond
/// 3.0 (custom page sizes, wide arithmetic), whose rules the 3.0 suite forbids.
pub fn create_engine(name: &str) -> Result<Box<dyn Engine + Send>, String> {
    if name == "node" {
        return Ok(Box::new(external::node_engine()?));
    }
    if let Some(command) = name.strip_prefix("external:") {
        return Ok(Box::new(external::external_engine(command)?));
    }
    let (base, preset) = match name.split_once('@') {
        Some((b, p)) => (b, Some(p)),
        None => (name, None),
    };
    match (base, preset) {
        ("reference-vm", preset) => {
            let features = reference_vm_features(preset).ok_or_else(|| {
                format!(
                    "unknown reference-vm preset {:?} (available: {}, or a proposal: {})",
                    preset.unwrap_or_default(),
                    REFERENCE_VM_PRESETS.join(", "),
                    ::reference_vm::Features::PROPOSALS.join(", ")
                )
            })?;
            Ok(Box::new(ReferenceVmEngine::new(name, features)))
        }
        ("wasmi", None) => Ok(Box::new(WasmiEngine::new())),
        #[cfg(feature = "wasmtime")]
        ("wasmtime", None) => Ok(Box::new(WasmtimeEngine::new())),
        _ => Err(format!(
            "unknown engine {name:?} (available: {}, reference-vm@{{{}}})",
            ENGINE_NAMES.join(", "),
            REFERENCE_VM_PRESETS.join(",")
        )),
    }
}

/// The spectest constants of the reference interpreter (`spectest.global_*`).
pub mod spectest {
    /// `spectest.global_i32` and `global_i64`.
    pub const GLOBAL_INT: i64 = 666;
    /// `spectest.global_f32`, as bits of 666.6f32.
    pub const GLOBAL_F32_BITS: u32 = 0x4426_a666;
    /// `spectest.global_f64`, as bits of 666.6f64.
    pub const GLOBAL_F64_BITS: u64 = 0x4084_d4cc_cccc_cccd;
    /// `spectest.table` and `table64` limits.
    pub const TABLE_LIMITS: (u32, u32) = (10, 20);
    /// `spectest.memory` limits, in pages.
    pub const MEMORY_LIMITS: (u32, u32) = (1, 2);

    #[cfg(test)]
    #[test]
    fn float_constants_are_666_6() {
        assert_eq!(f32::from_bits(GLOBAL_F32_BITS), 666.6f32);
        assert_eq!(f64::from_bits(GLOBAL_F64_BITS), 666.6f64);
    }
}

#[cfg(test)]
mod preset_tests {
    use super::*;

    #[test]
    fn bundled_suites_pick_their_presets() {
        assert_eq!(reference_vm_preset_for("wasm-v1/binary.wast"), "1.0");
        assert_eq!(reference_vm_preset_for("wasm-v2/binary.wast"), "2.0");
        assert_eq!(reference_vm_preset_for("wasm-latest/binary.wast"), "3.0");
        // The pre-2.0 drafts have presets of their own.
        for p in ["multi-value", "mutable-global", "reference-types"] {
            assert_eq!(
                reference_vm_preset_for(&format!("proposals/{p}/binary.wast")),
                p
            );
            assert!(create_engine(&format!("reference-vm@{p}")).is_ok());
        }
        assert_eq!(
            reference_vm_preset_for("proposals/annotations/id.wast"),
            "latest"
        );
    }
}
