//! The reference-vm adapter: our own interpreter, held to the spec
//! interpreter's messages.

use crate::component::{ComponentInstanceId, ComponentOutcome, ComponentValue};
use crate::outcome::{ModuleError, Outcome, Trap, TrapKind};
use crate::value::{NullKind, RefValue, Value};
use crate::{Budget, Engine, InstanceId, InstanceState, SpawnedThread, spectest};
use reference_vm::component as cm;
use reference_vm::exec::{self, ExternVal, InstantiateError, ModuleAddr, Ref, Val};
use reference_vm::syntax::{FuncType, GlobalType, HeapType, MemType, RefType, TableType, ValType};
use reference_vm::valid::validate_module_owned;
use reference_vm::{Config, Features, Store, decode_module, validate_module};
use std::collections::HashMap;

/// The largest module (in instructions of all function bodies) whose
/// functions are translated during validation rather than on first call.
const EAGER_TRANSLATION_MAX_INSTRS: usize = 20_000;

/// The exports of a registered instance, by name.
type Exports = HashMap<String, ExternVal>;

/// A reference-vm store with the spectest module and a registry of named
/// instances for import resolution.
pub struct ReferenceVmEngine {
    name: String,
    store: Store,
    features: Features,
    /// Registered instances by name; `spectest` is added when a module first
    /// imports from it (most fuzz inputs never do, and its memory and table
    /// cost more to make than a small module).
    registry: HashMap<String, Exports>,
    instances: Vec<Inst>,
    budget: Budget,
    /// The component store, made on the first component; component
    /// instances are numbered by their index in `components`.
    runtime: Option<cm::Runtime>,
    components: Vec<cm::exec::InstanceId>,
    /// The component scheduler's seed ([`Engine::set_schedule_seed`]).
    schedule_seed: Option<u64>,
}

/// An instance as the runner sees it.
#[derive(Clone, Debug)]
enum Inst {
    /// A module instance of this store, with its exports that make up its
    /// state (globals, memories, tables), listed once for every snapshot.
    Module(ModuleAddr, Vec<(String, ExternVal)>),
    /// What a module instance of another thread's store shares with this
    /// one ([`Engine::spawn_thread`]): its shared memories, by export name.
    Shared(Vec<(String, ExternVal)>),
}

impl Default for ReferenceVmEngine {
    fn default() -> Self {
        Self::new("reference-vm", Features::default())
    }
}

/// Maps a reference-vm trap to the normalised kind.
fn trap_kind(t: &exec::Trap) -> TrapKind {
    use exec::Trap as T;
    match t {
        T::Unreachable => TrapKind::Unreachable,
        T::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        T::TableOutOfBounds => TrapKind::TableOutOfBounds,
        T::UndefinedElement(_) => TrapKind::UndefinedElement,
        T::UninitializedElement(_) => TrapKind::UninitializedElement,
        T::IndirectCallTypeMismatch => TrapKind::IndirectCallTypeMismatch,
        T::IntegerDivideByZero => TrapKind::IntegerDivideByZero,
        T::IntegerOverflow => TrapKind::IntegerOverflow,
        T::InvalidConversionToInteger => TrapKind::InvalidConversionToInteger,
        T::NullReference => TrapKind::NullReference,
        T::CallStackExhausted => TrapKind::CallStackExhausted,
        // A stop request (Config::interrupt) ends a run like running out of fuel.
        T::OutOfFuel | T::Interrupted => TrapKind::OutOfFuel,
        T::NullFuncRef | T::NullStructRef | T::NullArrayRef | T::NullI31Ref | T::NullExnRef => {
            TrapKind::NullReference
        }
        T::CastFailure | T::DescriptorCastFailure => TrapKind::CastFailure,
        T::NullDescriptorRef => TrapKind::NullReference,
        T::ArrayOutOfBounds => TrapKind::ArrayOutOfBounds,
        T::Exception(_) => TrapKind::UncaughtException,
        T::UnalignedAtomic => TrapKind::UnalignedAtomic,
        T::ExpectedSharedMemory => TrapKind::ExpectedSharedMemory,
        T::BadArguments(_) | T::Host(_) | T::Exit(_) | T::OutOfMemory => TrapKind::HostError,
    }
}

/// Turns a reference-vm trap into an outcome; an uncaught exception is shown
/// with its payload.
fn trap_outcome_in(store: &Store, t: &exec::Trap) -> Outcome {
    if let exec::Trap::Exception(e) = t {
        let payload = match store.exception(*e) {
            Some((tag, vals)) => {
                let vals: Vec<String> = vals.iter().map(|v| from_vm(v).to_string()).collect();
                format!("tag {} [{}]", tag.0, vals.join(" "))
            }
            None => String::new(),
        };
        return Outcome::Exception(payload);
    }
    trap_outcome(t)
}

/// Turns a component trap into an outcome: a core trap keeps its kind, a
/// component-model trap is [`TrapKind::Component`]; the message is the
/// component layer's (the reference tests' wording: `wasm trap: ...`).
fn component_trap_outcome(t: &cm::Trap) -> ComponentOutcome {
    match t {
        cm::Trap::Core(core) => match trap_outcome(core) {
            Outcome::Trapped(tr) => ComponentOutcome::Trapped(Trap {
                kind: tr.kind,
                message: t.to_string(),
            }),
            Outcome::Exhausted(t) => ComponentOutcome::Exhausted(t),
            Outcome::EngineError(e) => ComponentOutcome::EngineError(e),
            o => ComponentOutcome::Trapped(Trap {
                kind: TrapKind::UncaughtException,
                message: o.to_string(),
            }),
        },
        cm::Trap::Component(_) => ComponentOutcome::Trapped(Trap {
            kind: TrapKind::Component,
            message: t.to_string(),
        }),
    }
}

/// A component outcome as a core one, for an instantiation that trapped.
fn uninstantiable(o: ComponentOutcome) -> ModuleError {
    ModuleError::Uninstantiable(match o {
        ComponentOutcome::Trapped(t) => Outcome::Trapped(t),
        ComponentOutcome::Exhausted(t) => Outcome::Exhausted(t),
        ComponentOutcome::Returned(_) => Outcome::Returned(Vec::new()),
        ComponentOutcome::Unsupported(m) => Outcome::Unsupported(m),
        ComponentOutcome::EngineError(m) => Outcome::EngineError(m),
    })
}

/// Turns a reference-vm trap into an outcome.
fn trap_outcome(t: &exec::Trap) -> Outcome {
    let kind = trap_kind(t);
    let trap = Trap {
        kind,
        message: t.to_string(),
    };
    match kind {
        TrapKind::CallStackExhausted | TrapKind::OutOfFuel => Outcome::Exhausted(trap),
        TrapKind::HostError if matches!(t, exec::Trap::BadArguments(_)) => {
            Outcome::EngineError(trap.message)
        }
        _ => Outcome::Trapped(trap),
    }
}

fn to_vm(v: &Value) -> Result<Val, String> {
    Ok(match *v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(x) => Val::F32(x),
        Value::F64(x) => Val::F64(x),
        Value::V128(x) => Val::V128(x),
        Value::Ref(RefValue::Null(NullKind::Func)) => Val::Ref(Ref::Null(HeapType::Func)),
        Value::Ref(RefValue::Null(NullKind::Extern)) => Val::Ref(Ref::Null(HeapType::Extern)),
        Value::Ref(RefValue::Null(NullKind::Any)) => Val::Ref(Ref::Null(HeapType::Any)),
        Value::Ref(RefValue::Null(NullKind::Exn)) => Val::Ref(Ref::Null(HeapType::Exn)),
        Value::Ref(RefValue::Null(NullKind::Unknown)) => Val::Ref(Ref::Null(HeapType::None)),
        Value::Ref(RefValue::Extern(n)) => Val::Ref(Ref::Extern(n)),
        Value::Ref(RefValue::Host(n)) => Val::Ref(Ref::Host(n)),
        Value::Ref(RefValue::I31(n)) => Val::Ref(Ref::I31(n)),
        Value::Ref(r) => return Err(format!("reference-vm has no reference like {r}")),
    })
}

fn from_vm(v: &Val) -> Value {
    match *v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(x) => Value::F32(x),
        Val::F64(x) => Value::F64(x),
        Val::V128(x) => Value::V128(x),
        Val::Ref(r) => Value::Ref(match r {
            Ref::Null(h) => RefValue::Null(match h {
                HeapType::Func | HeapType::NoFunc => NullKind::Func,
                HeapType::Extern | HeapType::NoExtern => NullKind::Extern,
                HeapType::Exn | HeapType::NoExn => NullKind::Exn,
                HeapType::Concrete(_) | HeapType::Exact(_) => NullKind::Unknown,
                _ => NullKind::Any,
            }),
            Ref::Func(a) => RefValue::Func(Some(u64::from(a.0))),
            Ref::Extern(n) => RefValue::Extern(n),
            Ref::Host(n) => RefValue::Host(n),
            Ref::I31(n) => RefValue::I31(n),
            Ref::Struct(a) => RefValue::Struct(Some(u64::from(a))),
            Ref::Array(a) => RefValue::Array(Some(u64::from(a))),
            Ref::Exn(a) => RefValue::Exn(Some(u64::from(a))),
            Ref::Externalized(_) => RefValue::Opaque,
        }),
    }
}

impl ReferenceVmEngine {
    /// A fresh engine with a feature set, reporting itself as `name`.
    pub fn new(name: &str, features: Features) -> ReferenceVmEngine {
        let config = Config {
            features,
            ..Config::default()
        };
        ReferenceVmEngine {
            name: name.to_string(),
            store: Store::new(config),
            features,
            registry: HashMap::new(),
            instances: Vec::new(),
            budget: Budget::default(),
            runtime: None,
            components: Vec::new(),
            schedule_seed: None,
        }
    }

    /// The spectest module's exports, made on first use (unless a module
    /// was registered under its name).
    fn spectest(&mut self) -> &mut Exports {
        let store = &mut self.store;
        self.registry
            .entry("spectest".to_string())
            .or_insert_with(|| spectest_exports(store))
    }

    /// The component runtime, made with this engine's features on first use.
    fn runtime(&mut self) -> &mut cm::Runtime {
        let features = self.features;
        let seed = self.schedule_seed;
        self.runtime.get_or_insert_with(|| {
            let mut r = cm::Runtime::new(Config {
                features,
                ..Config::default()
            });
            r.set_schedule_seed(seed);
            r
        })
    }

    /// Decodes and validates a component: decode errors are `Malformed`,
    /// validation errors `Invalid`.
    fn checked_component(&self, bytes: &[u8]) -> Result<cm::syntax::Component, ModuleError> {
        let c = cm::decode_component(bytes, &self.features)
            .map_err(|e| ModuleError::Malformed(e.to_string()))?;
        cm::validate_component(&c, &self.features)
            .map_err(|e| ModuleError::Invalid(e.to_string()))?;
        Ok(c)
    }

    fn component(&self, id: ComponentInstanceId) -> Result<cm::exec::InstanceId, String> {
        self.components
            .get(id)
            .copied()
            .ok_or_else(|| format!("no component instance #{id}"))
    }

    fn instance(&self, id: InstanceId) -> Result<ModuleAddr, Outcome> {
        match self.instances.get(id) {
            Some(Inst::Module(a, _)) => Ok(*a),
            Some(Inst::Shared(_)) => Err(Outcome::EngineError(format!(
                "instance #{id} belongs to another thread: only its shared memories are visible here"
            ))),
            None => Err(Outcome::EngineError(format!("no instance #{id}"))),
        }
    }

    /// The exports of an instance (for a shared one, what crossed threads).
    fn exports_of(&self, id: InstanceId) -> Result<Vec<(String, ExternVal)>, String> {
        match self.instances.get(id) {
            Some(Inst::Module(a, _)) => Ok(self.store.exports(*a)),
            Some(Inst::Shared(e)) => Ok(e.clone()),
            None => Err(format!("no instance #{id}")),
        }
    }

    /// Imports into `into` the shared memories among `exports` of this store.
    fn share_memories(
        &self,
        exports: &[(String, ExternVal)],
        into: &mut Store,
    ) -> Vec<(String, ExternVal)> {
        let mut out = Vec::new();
        for (name, ev) in exports {
            if let ExternVal::Mem(m) = ev
                && let Some(shared) = self.store.shared_memory(*m)
            {
                out.push((
                    name.clone(),
                    ExternVal::Mem(into.import_shared_memory(shared)),
                ));
            }
        }
        out
    }
}

/// The reference interpreter's `spectest` module, allocated in `store`.
fn spectest_exports(store: &mut Store) -> Exports {
    let mut e = Exports::new();
    let int = spectest::GLOBAL_INT;
    let globals = [
        ("global_i32", ValType::I32, Val::I32(int as u32)),
        ("global_i64", ValType::I64, Val::I64(int as u64)),
        (
            "global_f32",
            ValType::F32,
            Val::F32(spectest::GLOBAL_F32_BITS),
        ),
        (
            "global_f64",
            ValType::F64,
            Val::F64(spectest::GLOBAL_F64_BITS),
        ),
    ];
    for (name, ty, v) in globals {
        let g = store.alloc_global(GlobalType::new(ty, false), v);
        e.insert(name.into(), ExternVal::Global(g));
    }
    let (tmin, tmax) = spectest::TABLE_LIMITS;
    let table = TableType::new(RefType::FUNCREF, tmin.into(), Some(tmax.into()));
    let null = Ref::Null(HeapType::Func);
    e.insert(
        "table".into(),
        ExternVal::Table(store.alloc_table(table, null)),
    );
    let table64 = TableType {
        idx64: true,
        ..table
    };
    e.insert(
        "table64".into(),
        ExternVal::Table(store.alloc_table(table64, null)),
    );
    let (mmin, mmax) = spectest::MEMORY_LIMITS;
    let memory = MemType::new(mmin.into(), Some(mmax.into()));
    e.insert("memory".into(), ExternVal::Mem(store.alloc_mem(memory)));
    let shared = MemType {
        shared: true,
        ..MemType::new(1, Some(1))
    };
    e.insert(
        "shared_memory".into(),
        ExternVal::Mem(store.alloc_mem(shared)),
    );
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(params.to_vec(), Vec::new());
        let f = store.alloc_host_func(ty, Box::new(|_, _| Ok(Vec::new())));
        e.insert(name.into(), ExternVal::Func(f));
    }
    e
}

impl Engine for ReferenceVmEngine {
    fn lend_coverage(&mut self, counters: Box<crate::Coverage>) -> Option<Box<crate::Coverage>> {
        self.store.set_coverage(Some(counters));
        None
    }

    fn take_coverage(&mut self) -> Option<Box<crate::Coverage>> {
        self.store.take_coverage()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn config(&self) -> Vec<(String, String)> {
        vec![
            ("features".into(), format!("{:?}", self.features)),
            ("fuel".into(), format!("{:?}", self.budget.fuel)),
            (
                "max_call_depth".into(),
                self.store.config().max_call_depth.to_string(),
            ),
        ]
    }

    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        let module = decode_module(bytes, &self.features)
            .map_err(|e| ModuleError::Malformed(e.to_string()))?;
        validate_module(&module, &self.features)
            .map(|_| ())
            .map_err(|e| ModuleError::Invalid(e.to_string()))
    }

    fn check_custom_sections(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        use ::reference_vm::binary::custom::{CustomError, check_custom_sections};
        let module = decode_module(bytes, &self.features)
            .map_err(|e| ModuleError::Malformed(e.to_string()))?;
        match check_custom_sections(&module) {
            Ok(_) => Ok(()),
            Err(CustomError::Malformed(m)) => Err(ModuleError::Malformed(m)),
            Err(CustomError::Invalid(m)) => Err(ModuleError::Invalid(m)),
        }
    }

    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        let module = decode_module(bytes, &self.features)
            .map_err(|e| ModuleError::Malformed(e.to_string()))?;
        // A small module (a fuzz case, a spec script's) has its functions
        // translated while they are validated: nearly all of them run, and
        // lazy translation would validate each a second time. A large one
        // (a benchmark program) keeps translation on first call.
        let size: usize = module.funcs.iter().map(|f| f.body.len()).sum();
        let eager = size <= EAGER_TRANSLATION_MAX_INSTRS;
        // The valid module keeps the decoded one (no copy).
        let valid = validate_module_owned(module, &self.features, eager)
            .map_err(|e| ModuleError::Invalid(e.to_string()))?;
        let imports = &valid.module.imports;
        if imports.iter().any(|i| i.module == "spectest") {
            self.spectest();
        }
        // spec: instantiation resolves each import by module and name.
        let mut externvals = Vec::with_capacity(imports.len());
        for import in imports {
            let found = self
                .registry
                .get(&import.module)
                .and_then(|exports| exports.get(&import.name));
            match found {
                Some(v) => externvals.push(*v),
                None => {
                    return Err(ModuleError::Unlinkable(format!(
                        "unknown import \"{}\" \"{}\"",
                        import.module, import.name
                    )));
                }
            }
        }
        self.store.set_fuel(self.budget.fuel);
        match self.store.instantiate(&valid, &externvals) {
            Ok(addr) => {
                let mut state = self.store.exports(addr);
                state.retain(|(_, e)| !matches!(e, ExternVal::Func(_) | ExternVal::Tag(_)));
                self.instances.push(Inst::Module(addr, state));
                Ok(self.instances.len() - 1)
            }
            Err(InstantiateError::Link(e)) => Err(ModuleError::Unlinkable(e.to_string())),
            Err(InstantiateError::Trap(t)) => Err(ModuleError::Uninstantiable(trap_outcome_in(
                &self.store,
                &t,
            ))),
        }
    }

    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let exports = self.exports_of(instance)?.into_iter().collect();
        self.registry.insert(name.to_string(), exports);
        Ok(())
    }

    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome {
        let addr = match self.instance(instance) {
            Ok(a) => a,
            Err(o) => return o,
        };
        let Some(ExternVal::Func(f)) = self.store.export(addr, export) else {
            return Outcome::EngineError(format!("no exported function {export:?}"));
        };
        let mut vm_args = Vec::with_capacity(args.len());
        for a in args {
            match to_vm(a) {
                Ok(v) => vm_args.push(v),
                Err(e) => return Outcome::Unsupported(e),
            }
        }
        self.store.set_fuel(self.budget.fuel);
        match self.store.invoke(f, &vm_args) {
            Ok(results) => Outcome::Returned(results.iter().map(from_vm).collect()),
            Err(t) => trap_outcome_in(&self.store, &t),
        }
    }

    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome {
        let addr = match self.instance(instance) {
            Ok(a) => a,
            Err(o) => return o,
        };
        match self.store.export(addr, export) {
            Some(ExternVal::Global(g)) => {
                Outcome::Returned(vec![from_vm(&self.store.global_get(g))])
            }
            _ => Outcome::EngineError(format!("no exported global {export:?}")),
        }
    }

    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String> {
        let exports = match self.instances.get(instance) {
            Some(Inst::Module(_, e) | Inst::Shared(e)) => e,
            None => return Err(format!("no instance #{instance}")),
        };
        let mut state = InstanceState::default();
        for (name, ext) in exports {
            let name = name.clone();
            match *ext {
                ExternVal::Global(g) => state
                    .globals
                    .push((name, from_vm(&self.store.global_get(g)))),
                ExternVal::Mem(m) => state.memories.push((name, self.store.memory_to_vec(m))),
                ExternVal::Table(t) => {
                    let elems = (0..self.store.table_size(t))
                        .filter_map(|i| self.store.table_get(t, i))
                        .map(|v| from_vm(&v))
                        .collect();
                    state.tables.push((name, elems));
                }
                ExternVal::Func(_) | ExternVal::Tag(_) => {}
            }
        }
        Ok(state)
    }

    fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    fn set_schedule_seed(&mut self, seed: Option<u64>) {
        self.schedule_seed = seed;
        if let Some(r) = self.runtime.as_mut() {
            r.set_schedule_seed(seed);
        }
    }

    fn validate_component(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        self.checked_component(bytes).map(|_| ())
    }

    fn instantiate_component(&mut self, bytes: &[u8]) -> Result<ComponentInstanceId, ModuleError> {
        let component = std::sync::Arc::new(self.checked_component(bytes)?);
        let fuel = self.budget.fuel;
        let runtime = self.runtime();
        runtime.set_fuel(fuel);
        match runtime.instantiate(&component) {
            Ok(id) => {
                self.components.push(id);
                Ok(self.components.len() - 1)
            }
            Err(cm::Error::Unlinkable(m)) => Err(ModuleError::Unlinkable(m)),
            Err(cm::Error::Trap(t)) => Err(uninstantiable(component_trap_outcome(&t))),
        }
    }

    fn register_component(
        &mut self,
        name: &str,
        instance: ComponentInstanceId,
    ) -> Result<(), String> {
        let id = self.component(instance)?;
        self.runtime().register(name, id)
    }

    fn invoke_component(
        &mut self,
        instance: ComponentInstanceId,
        export: &str,
        args: &[ComponentValue],
    ) -> ComponentOutcome {
        let id = match self.component(instance) {
            Ok(id) => id,
            Err(e) => return ComponentOutcome::EngineError(e),
        };
        let fuel = self.budget.fuel;
        let runtime = self.runtime();
        runtime.set_fuel(fuel);
        match runtime.invoke(id, export, args) {
            Ok(results) => ComponentOutcome::Returned(results),
            Err(t) => component_trap_outcome(&t),
        }
    }

    fn supports_threads(&self) -> bool {
        self.features.threads
    }

    /// threads: a new agent — a store of its own that holds the same shared
    /// memories (those of `shared`, and `spectest.shared_memory`).
    fn spawn_thread(&mut self, shared: &[InstanceId]) -> Result<SpawnedThread, String> {
        if !self.features.threads {
            return Err(format!("threads: {} has threads disabled", self.name));
        }
        let mut t = ReferenceVmEngine::new(&self.name, self.features);
        t.budget = self.budget;
        // The spectest module is one instance for all agents.
        let exports: Vec<(String, ExternVal)> = self
            .spectest()
            .iter()
            .map(|(n, v)| (n.clone(), *v))
            .collect();
        let carried = self.share_memories(&exports, &mut t.store);
        t.spectest().extend(carried);
        let mut ids = Vec::with_capacity(shared.len());
        for &id in shared {
            let exports = self.exports_of(id)?;
            let carried = self.share_memories(&exports, &mut t.store);
            t.instances.push(Inst::Shared(carried));
            ids.push(t.instances.len() - 1);
        }
        Ok(SpawnedThread {
            engine: Box::new(t),
            instances: ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Component decode errors are `Malformed`, for validation and
    /// instantiation alike; unknown component instances are engine errors.
    #[test]
    fn component_stages() {
        let mut e = ReferenceVmEngine::default();
        let wrong_version = b"\0asm\x0e\0\x01\0";
        assert!(matches!(
            e.validate_component(wrong_version),
            Err(ModuleError::Malformed(_))
        ));
        assert!(matches!(
            e.instantiate_component(wrong_version),
            Err(ModuleError::Malformed(_))
        ));
        assert!(matches!(
            e.invoke_component(7, "f", &[]),
            ComponentOutcome::EngineError(_)
        ));
        assert!(e.register_component("x", 7).is_err());
    }
}
