//! The wasmtime adapter (cargo feature `wasmtime`): wasmtime 48 in process,
//! Cranelift at its lowest optimisation level, fuel metering for the budget,
//! and the proposals wasmtime enables by default plus the ones our
//! comparisons use (relaxed SIMD in its deterministic mode, custom page
//! sizes, wide arithmetic).
//!
//! Components run as wasmtime's own wast runner runs them: each component
//! instance in a store of its own, instantiated and called through the async
//! API (an async-lifted export needs it; a sync one runs the same way) on a
//! minimal executor, and a registered instance becomes a root instance of
//! the component `Linker` holding the instance's exported core modules and
//! resource types (wasmtime cannot put a function of one store into a linker
//! for another).

use crate::component::{ComponentInstanceId, ComponentOutcome, ComponentValue};
use crate::outcome::{ModuleError, Outcome, Trap, TrapKind};
use crate::value::{NullKind, RefValue, Value};
use crate::{Budget, Engine, InstanceId, InstanceState, spectest};
use wasmtime::{
    AnyRef, Extern, ExternRef, Func, Global, GlobalType, Instance, Linker, Memory, MemoryType,
    Module, Mutability, OptLevel, Ref, RefType, Rooted, Store, Table, TableType, ThrownException,
    V128, Val, ValType,
};

/// The wasmtime version this adapter is built against.
const WASMTIME_VERSION: &str = "48.0.8";

/// wasmtime's trap codes and the normalised kinds they mean.
const TRAP_CODES: &[(wasmtime::Trap, TrapKind)] = {
    use wasmtime::Trap as T;
    &[
        (T::UnreachableCodeReached, TrapKind::Unreachable),
        (T::MemoryOutOfBounds, TrapKind::MemoryOutOfBounds),
        (T::TableOutOfBounds, TrapKind::TableOutOfBounds),
        (T::IndirectCallToNull, TrapKind::UninitializedElement),
        (T::BadSignature, TrapKind::IndirectCallTypeMismatch),
        (T::IntegerDivisionByZero, TrapKind::IntegerDivideByZero),
        (T::IntegerOverflow, TrapKind::IntegerOverflow),
        (
            T::BadConversionToInteger,
            TrapKind::InvalidConversionToInteger,
        ),
        (T::NullReference, TrapKind::NullReference),
        (T::CastFailure, TrapKind::CastFailure),
        (T::ArrayOutOfBounds, TrapKind::ArrayOutOfBounds),
        (T::HeapMisaligned, TrapKind::UnalignedAtomic),
        (T::AtomicWaitNonSharedMemory, TrapKind::ExpectedSharedMemory),
        (T::StackOverflow, TrapKind::CallStackExhausted),
        (T::OutOfFuel, TrapKind::OutOfFuel),
        (T::UnhandledTag, TrapKind::UncaughtException),
        (T::AllocationTooLarge, TrapKind::HostError),
        (T::Interrupt, TrapKind::HostError),
    ]
};

/// Phrases by which wasmtime itself (beyond wasmparser's, see
/// `outcome::wasmparser_compile_error`) says a proposal is not implemented.
const UNSUPPORTED_PHRASES: &[&str] = &["Unsupported feature", "unsupported"];

/// The same for components: wasmparser's words for a component-model
/// feature that is switched off (error-context, 64-bit, GC, values, ...).
const COMPONENT_UNSUPPORTED_PHRASES: &[&str] = &[
    "Unsupported feature",
    "unsupported",
    "requires the component model",
    "requires the `",
    "feature to be enabled",
    "requires the shared-everything-threads proposal",
];

/// A wasmtime store with the spectest module and a linker of registered instances.
pub struct WasmtimeEngine {
    store: Store<()>,
    linker: Linker<()>,
    instances: Vec<Instance>,
    budget: Budget,
    /// The linker of component instantiations (registered instances).
    component_linker: wasmtime::component::Linker<()>,
    /// Component instances, each with its store and its component.
    components: Vec<ComponentInstance>,
    /// Handles returned by component calls, numbered in order (their ids).
    handles: usize,
}

impl Default for WasmtimeEngine {
    fn default() -> Self {
        Self::new()
    }
}

/// A component instance in its own store, with its component (whose type
/// says what a registration exposes).
struct ComponentInstance {
    store: Store<()>,
    instance: wasmtime::component::Instance,
    component: wasmtime::component::Component,
}

/// The wasmtime configuration of the adapter.
fn config() -> wasmtime::Config {
    // Fuel is an instruction budget, as in the other adapters: a bulk
    // operation costs its flat cost only, not one unit per byte or element
    // (otherwise a `memory.fill` of 4 GiB runs out of fuel before its
    // bounds check traps).
    let mut cost = wasmtime::OperatorCost::new();
    cost.variable = wasmtime::VariableOperatorCost {
        memory_copy_per_byte: 0,
        memory_fill_per_byte: 0,
        memory_init_per_byte: 0,
        memory_grow_per_page: 0,
        table_copy_per_element: 0,
        table_fill_per_element: 0,
        table_init_per_element: 0,
        table_grow_per_element: 0,
        array_copy_per_element: 0,
        array_fill_per_element: 0,
        array_new_data_per_element: 0,
        array_init_data_per_element: 0,
        array_new_elem_per_element: 0,
        array_init_elem_per_element: 0,
        array_new_default_per_element: 0,
        array_new_per_element: 0,
    };
    let mut config = wasmtime::Config::new();
    config
        .cranelift_opt_level(OptLevel::None)
        .consume_fuel(true)
        .operator_cost(cost)
        .wasm_backtrace_max_frames(None)
        .wasm_multi_value(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .wasm_exceptions(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(true)
        .relaxed_simd_deterministic(true)
        .wasm_tail_call(true)
        .wasm_extended_const(true)
        .wasm_multi_memory(true)
        .wasm_memory64(true)
        .wasm_custom_page_sizes(true)
        .wasm_wide_arithmetic(true)
        // The component model with what the reference tests are run with
        // upstream (`-W component-model-more-async-builtins
        // -W component-model-threading -W component-model-async-stackful
        // -W component-model-implements -W component-model-fixed-length-lists
        // -W component-model-map`), on top of the async ABI they build on.
        .wasm_component_model(true)
        .wasm_component_model_async(true)
        .wasm_component_model_more_async_builtins(true)
        .wasm_component_model_threading(true)
        .wasm_component_model_async_stackful(true)
        .wasm_component_model_implements(true)
        .wasm_component_model_fixed_length_lists(true)
        .wasm_component_model_map(true);
    config
}

/// Runs a future that needs no outside wake-up (wasmtime's async calls with
/// no async host functions) to completion by polling it; `None` if it is
/// still pending after [`MAX_POLLS`] polls.
fn block_on<F: std::future::Future>(fut: F) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..MAX_POLLS {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
        std::thread::yield_now();
    }
    None
}

/// How often [`block_on`] polls before it gives up on a call.
const MAX_POLLS: u32 = 1_000_000;

/// Converts a script's component value to wasmtime's.
fn component_val(v: &ComponentValue) -> Result<wasmtime::component::Val, String> {
    use ComponentValue as C;
    use wasmtime::component::Val as W;
    let boxed = |p: &Option<Box<C>>| -> Result<Option<Box<W>>, String> {
        p.as_deref()
            .map(|v| component_val(v).map(Box::new))
            .transpose()
    };
    let all = |vs: &[C]| vs.iter().map(component_val).collect::<Result<Vec<_>, _>>();
    Ok(match v {
        C::Bool(b) => W::Bool(*b),
        C::S8(x) => W::S8(*x),
        C::U8(x) => W::U8(*x),
        C::S16(x) => W::S16(*x),
        C::U16(x) => W::U16(*x),
        C::S32(x) => W::S32(*x),
        C::U32(x) => W::U32(*x),
        C::S64(x) => W::S64(*x),
        C::U64(x) => W::U64(*x),
        C::F32(b) => W::Float32(f32::from_bits(*b)),
        C::F64(b) => W::Float64(f64::from_bits(*b)),
        C::Char(c) => W::Char(*c),
        C::String(s) => W::String(s.clone()),
        C::List(vs) => W::List(all(vs)?),
        C::Record(fs) => W::Record(
            fs.iter()
                .map(|(l, v)| component_val(v).map(|v| (l.clone(), v)))
                .collect::<Result<_, _>>()?,
        ),
        C::Tuple(vs) => W::Tuple(all(vs)?),
        C::Variant(l, p) => W::Variant(l.clone(), boxed(p)?),
        C::Enum(l) => W::Enum(l.clone()),
        C::Option(p) => W::Option(boxed(p)?),
        C::Result(Ok(p)) => W::Result(Ok(boxed(p)?)),
        C::Result(Err(p)) => W::Result(Err(boxed(p)?)),
        C::Flags(ls) => W::Flags(ls.clone()),
        C::Map(kvs) => W::Map(
            kvs.iter()
                .map(|(k, v)| Ok((component_val(k)?, component_val(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        C::Own(_) | C::Borrow(_) | C::Handle(_) => {
            return Err("a handle cannot be passed to a component from a script".into());
        }
    })
}

impl WasmtimeEngine {
    /// A fresh engine: Cranelift without optimisation, fuel metering on, and
    /// every proposal of [`crate::oracle::caps`]'s wasmtime column enabled.
    ///
    /// # Panics
    /// If wasmtime rejects the configuration (a build without Cranelift).
    pub fn new() -> WasmtimeEngine {
        let engine = wasmtime::Engine::new(&config()).expect("the wasmtime configuration is valid");
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut store, &mut linker);
        let mut component_linker = wasmtime::component::Linker::new(&engine);
        component_linker.allow_shadowing(true);
        WasmtimeEngine {
            store,
            linker,
            instances: Vec::new(),
            budget: Budget::default(),
            component_linker,
            components: Vec::new(),
            handles: 0,
        }
    }

    /// Converts wasmtime's component value; handles become fresh ids.
    fn value_of_component(&mut self, v: &wasmtime::component::Val) -> ComponentValue {
        use ComponentValue as C;
        use wasmtime::component::Val as W;
        let boxed = |me: &mut Self, p: &Option<Box<W>>| {
            p.as_deref().map(|v| Box::new(me.value_of_component(v)))
        };
        match v {
            W::Bool(b) => C::Bool(*b),
            W::S8(x) => C::S8(*x),
            W::U8(x) => C::U8(*x),
            W::S16(x) => C::S16(*x),
            W::U16(x) => C::U16(*x),
            W::S32(x) => C::S32(*x),
            W::U32(x) => C::U32(*x),
            W::S64(x) => C::S64(*x),
            W::U64(x) => C::U64(*x),
            W::Float32(f) => C::F32(f.to_bits()),
            W::Float64(f) => C::F64(f.to_bits()),
            W::Char(c) => C::Char(*c),
            W::String(s) => C::String(s.clone()),
            W::List(vs) | W::FixedLengthList(vs) => {
                C::List(vs.iter().map(|v| self.value_of_component(v)).collect())
            }
            W::Map(kvs) => C::Map(
                kvs.iter()
                    .map(|(k, v)| (self.value_of_component(k), self.value_of_component(v)))
                    .collect(),
            ),
            W::Record(fs) => C::Record(
                fs.iter()
                    .map(|(l, v)| (l.clone(), self.value_of_component(v)))
                    .collect(),
            ),
            W::Tuple(vs) => C::Tuple(vs.iter().map(|v| self.value_of_component(v)).collect()),
            W::Variant(l, p) => C::Variant(l.clone(), boxed(self, p)),
            W::Enum(l) => C::Enum(l.clone()),
            W::Option(p) => C::Option(boxed(self, p)),
            W::Result(Ok(p)) => C::Result(Ok(boxed(self, p))),
            W::Result(Err(p)) => C::Result(Err(boxed(self, p))),
            W::Flags(ls) => C::Flags(ls.clone()),
            W::Resource(r) => {
                let id = self.next_handle();
                if r.owned() { C::Own(id) } else { C::Borrow(id) }
            }
            W::Future(_) | W::Stream(_) | W::ErrorContext(_) => C::Handle(self.next_handle()),
        }
    }

    fn next_handle(&mut self) -> u32 {
        self.handles += 1;
        u32::try_from(self.handles).unwrap_or(u32::MAX)
    }

    fn refuel(&mut self) {
        // Fuel metering is enabled in the config, so setting fuel cannot fail.
        let _ = self.store.set_fuel(self.budget.fuel.unwrap_or(u64::MAX));
    }

    fn instance(&self, id: InstanceId) -> Result<Instance, Outcome> {
        self.instances
            .get(id)
            .copied()
            .ok_or_else(|| Outcome::EngineError(format!("no instance #{id}")))
    }

    fn wasmtime_val(&mut self, v: &Value) -> Result<Val, String> {
        Ok(match *v {
            Value::I32(x) => Val::I32(x as i32),
            Value::I64(x) => Val::I64(x as i64),
            Value::F32(x) => Val::F32(x),
            Value::F64(x) => Val::F64(x),
            Value::V128(x) => Val::V128(V128::from(x)),
            Value::Ref(RefValue::Null(NullKind::Func)) => Val::FuncRef(None),
            Value::Ref(RefValue::Null(NullKind::Extern)) => Val::ExternRef(None),
            Value::Ref(RefValue::Null(NullKind::Any)) => Val::AnyRef(None),
            Value::Ref(RefValue::Null(NullKind::Exn)) => Val::ExnRef(None),
            Value::Ref(RefValue::Extern(n)) => Val::ExternRef(Some(
                ExternRef::new(&mut self.store, n).map_err(|e| e.to_string())?,
            )),
            Value::Ref(RefValue::Host(n)) => {
                // The host value `n` seen in the `any` hierarchy: an
                // internalised `ref.extern n`.
                let e = ExternRef::new(&mut self.store, n).map_err(|e| e.to_string())?;
                Val::AnyRef(Some(
                    AnyRef::convert_extern(&mut self.store, e).map_err(|e| e.to_string())?,
                ))
            }
            Value::Ref(RefValue::I31(n)) => Val::AnyRef(Some(AnyRef::from_i31(
                &mut self.store,
                wasmtime::I31::wrapping_u32(n),
            ))),
            Value::Ref(r) => return Err(format!("wasmtime adapter has no reference like {r}")),
        })
    }

    fn value_of(&mut self, v: &Val) -> Value {
        match v {
            Val::I32(x) => Value::I32(*x as u32),
            Val::I64(x) => Value::I64(*x as u64),
            Val::F32(x) => Value::F32(*x),
            Val::F64(x) => Value::F64(*x),
            Val::V128(x) => Value::V128(x.as_u128()),
            Val::FuncRef(f) => self.ref_value_of(&Ref::Func(*f)),
            Val::ExternRef(e) => self.ref_value_of(&Ref::Extern(*e)),
            Val::AnyRef(a) => self.ref_value_of(&Ref::Any(*a)),
            Val::ExnRef(e) => self.ref_value_of(&Ref::Exn(*e)),
            // Stack switching is off: no continuation reaches the host.
            Val::ContRef(None) => Value::Ref(RefValue::Null(NullKind::Unknown)),
            Val::ContRef(Some(_)) => Value::Ref(RefValue::Opaque),
        }
    }

    fn ref_value_of(&mut self, r: &Ref) -> Value {
        Value::Ref(match r {
            Ref::Func(None) => RefValue::Null(NullKind::Func),
            Ref::Func(Some(_)) => RefValue::Func(None),
            Ref::Extern(None) => RefValue::Null(NullKind::Extern),
            Ref::Extern(Some(e)) => self.extern_value(e),
            Ref::Any(None) => RefValue::Null(NullKind::Any),
            Ref::Any(Some(a)) => self.any_value(*a),
            Ref::Exn(None) => RefValue::Null(NullKind::Exn),
            Ref::Exn(Some(_)) => RefValue::Exn(None),
        })
    }

    fn extern_value(&mut self, e: &Rooted<ExternRef>) -> RefValue {
        match e.data(&self.store) {
            Ok(Some(data)) => match data.downcast_ref::<u32>() {
                Some(n) => RefValue::Extern(*n),
                None => RefValue::Opaque,
            },
            // An externalised internal reference (`extern.convert_any`).
            _ => RefValue::Opaque,
        }
    }

    fn any_value(&mut self, a: Rooted<AnyRef>) -> RefValue {
        if let Ok(Some(i)) = a.as_i31(&self.store) {
            return RefValue::I31(i.get_u32());
        }
        if a.is_struct(&self.store).unwrap_or(false) {
            return RefValue::Struct(None);
        }
        if a.is_array(&self.store).unwrap_or(false) {
            return RefValue::Array(None);
        }
        // Not an eqref: an internalised host reference (`any.convert_extern`).
        match ExternRef::convert_any(&mut self.store, a) {
            Ok(e) => match self.extern_value(&e) {
                RefValue::Extern(n) => RefValue::Host(n),
                _ => RefValue::Opaque,
            },
            Err(_) => RefValue::Opaque,
        }
    }

    /// Maps a wasmtime error raised while running code (a call, or the
    /// start function and segment initialisation of an instantiation).
    fn run_error(&mut self, err: &wasmtime::Error) -> Outcome {
        if err.is::<ThrownException>() {
            let payload = match self.store.take_pending_exception() {
                Some(exn) => self.exception_payload(exn),
                None => String::new(),
            };
            return Outcome::Exception(payload);
        }
        if let Some(code) = err.downcast_ref::<wasmtime::Trap>() {
            return trap_outcome(*code);
        }
        Outcome::EngineError(error_message(err))
    }

    /// An uncaught exception's fields, as `[v1 v2 ...]`.
    fn exception_payload(&mut self, exn: Rooted<wasmtime::ExnRef>) -> String {
        let fields: Vec<Val> = match exn.fields(&mut self.store) {
            Ok(fields) => fields.collect(),
            Err(_) => return String::new(),
        };
        let vals: Vec<String> = fields
            .iter()
            .map(|v| self.value_of(v).to_string())
            .collect();
        format!("[{}]", vals.join(" "))
    }
}

/// The outcome of a wasmtime trap code.
fn trap_outcome(code: wasmtime::Trap) -> Outcome {
    let kind = trap_kind(code);
    let trap = Trap {
        kind,
        message: code.to_string(),
    };
    match kind {
        TrapKind::CallStackExhausted | TrapKind::OutOfFuel => Outcome::Exhausted(trap),
        _ => Outcome::Trapped(trap),
    }
}

/// The normalised kind of a wasmtime trap code.
fn trap_kind(code: wasmtime::Trap) -> TrapKind {
    TRAP_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(TrapKind::HostError, |(_, k)| *k)
}

/// An error with its causes, `outer: inner: ...`.
fn error_message(err: &wasmtime::Error) -> String {
    let parts: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    parts.join(": ")
}

/// Maps an error of a component call or instantiation: a core trap code keeps
/// its kind, anything else (wasmtime's component-model checks) is
/// [`TrapKind::Component`]; the message is the whole chain, which holds the
/// reference tests' wording.
fn component_trap(err: &wasmtime::Error) -> ComponentOutcome {
    let message = error_message(err);
    let kind = err
        .downcast_ref::<wasmtime::Trap>()
        .and_then(|code| TRAP_CODES.iter().find(|(c, _)| c == code).map(|(_, k)| *k))
        .unwrap_or(TrapKind::Component);
    let trap = Trap { kind, message };
    match kind {
        TrapKind::CallStackExhausted | TrapKind::OutOfFuel => ComponentOutcome::Exhausted(trap),
        _ => ComponentOutcome::Trapped(trap),
    }
}

/// Maps a wasmtime error raised while compiling a module.
fn compile_error(err: &wasmtime::Error) -> ModuleError {
    let msg = error_message(err);
    let component = msg.contains("component");
    crate::outcome::wasmparser_compile_error(msg, component, UNSUPPORTED_PHRASES)
}

/// Builds the reference interpreter's `spectest` module in wasmtime.
fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) {
    let int = spectest::GLOBAL_INT;
    let globals = [
        ("global_i32", ValType::I32, Val::I32(int as i32)),
        ("global_i64", ValType::I64, Val::I64(int)),
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
    let mut defs: Vec<(&str, Extern)> = Vec::new();
    for (n, ty, v) in globals {
        if let Ok(g) = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), v) {
            defs.push((n, g.into()));
        }
    }
    let (tmin, tmax) = spectest::TABLE_LIMITS;
    let tables = [
        ("table", TableType::new(RefType::FUNCREF, tmin, Some(tmax))),
        (
            "table64",
            TableType::new64(RefType::FUNCREF, tmin.into(), Some(tmax.into())),
        ),
    ];
    for (n, ty) in tables {
        if let Ok(t) = Table::new(&mut *store, ty, Ref::Func(None)) {
            defs.push((n, t.into()));
        }
    }
    let (mmin, mmax) = spectest::MEMORY_LIMITS;
    if let Ok(m) = Memory::new(&mut *store, MemoryType::new(mmin, Some(mmax))) {
        defs.push(("memory", m.into()));
    }
    // `shared_memory` is absent: the adapter is built without wasmtime's
    // threads support, so modules importing it fail to link.
    let prints: [(&str, Func); 7] = [
        ("print", Func::wrap(&mut *store, || {})),
        ("print_i32", Func::wrap(&mut *store, |_: i32| {})),
        ("print_i64", Func::wrap(&mut *store, |_: i64| {})),
        ("print_f32", Func::wrap(&mut *store, |_: f32| {})),
        ("print_f64", Func::wrap(&mut *store, |_: f64| {})),
        (
            "print_i32_f32",
            Func::wrap(&mut *store, |_: i32, _: f32| {}),
        ),
        (
            "print_f64_f64",
            Func::wrap(&mut *store, |_: f64, _: f64| {}),
        ),
    ];
    defs.extend(prints.into_iter().map(|(n, f)| (n, f.into())));
    for (name, ext) in defs {
        // Names are distinct, so definitions cannot clash.
        let _ = linker.define(&*store, "spectest", name, ext);
    }
}

impl Engine for WasmtimeEngine {
    fn name(&self) -> &str {
        "wasmtime"
    }

    fn version(&self) -> String {
        WASMTIME_VERSION.to_string()
    }

    fn config(&self) -> Vec<(String, String)> {
        vec![
            ("compiler".into(), "cranelift, opt-level none".into()),
            (
                "features".into(),
                "mvp, mutable-global, sign-ext, sat-float-to-int, multi-value, multi-memory, \
                 bulk-memory, reference-types, function-references, gc, exceptions, tail-call, \
                 extended-const, custom-page-sizes, memory64, wide-arithmetic, simd, \
                 relaxed-simd (deterministic)"
                    .into(),
            ),
            ("fuel".into(), format!("{:?}", self.budget.fuel)),
        ]
    }

    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        Module::validate(self.store.engine(), bytes).map_err(|e| compile_error(&e))
    }

    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        let module = Module::new(self.store.engine(), bytes).map_err(|e| compile_error(&e))?;
        self.refuel();
        match self.linker.instantiate(&mut self.store, &module) {
            Ok(instance) => {
                self.instances.push(instance);
                Ok(self.instances.len() - 1)
            }
            Err(e) if e.is::<wasmtime::Trap>() || e.is::<ThrownException>() => {
                Err(ModuleError::Uninstantiable(self.run_error(&e)))
            }
            Err(e) => {
                let msg = error_message(&e);
                if msg.contains("import") {
                    Err(ModuleError::Unlinkable(msg))
                } else {
                    Err(ModuleError::EngineError(msg))
                }
            }
        }
    }

    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let inst = self.instance(instance).map_err(|o| o.to_string())?;
        self.linker
            .instance(&mut self.store, name, inst)
            .map(|_| ())
            .map_err(|e| error_message(&e))
    }

    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome {
        let inst = match self.instance(instance) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let Some(func) = inst.get_func(&mut self.store, export) else {
            return Outcome::EngineError(format!("no exported function {export:?}"));
        };
        let mut inputs = Vec::with_capacity(args.len());
        for a in args {
            match self.wasmtime_val(a) {
                Ok(v) => inputs.push(v),
                Err(e) => return Outcome::Unsupported(e),
            }
        }
        let ty = func.ty(&self.store);
        // Every slot is overwritten by the call; the initial values do not matter.
        let mut outputs = vec![Val::I32(0); ty.results().len()];
        self.refuel();
        match func.call(&mut self.store, &inputs, &mut outputs) {
            Ok(()) => Outcome::Returned(outputs.iter().map(|v| self.value_of(v)).collect()),
            Err(e) => self.run_error(&e),
        }
    }

    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome {
        let inst = match self.instance(instance) {
            Ok(i) => i,
            Err(o) => return o,
        };
        match inst.get_global(&mut self.store, export) {
            Some(g) => {
                let v = g.get(&mut self.store);
                Outcome::Returned(vec![self.value_of(&v)])
            }
            None => Outcome::EngineError(format!("no exported global {export:?}")),
        }
    }

    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String> {
        let inst = self.instance(instance).map_err(|o| o.to_string())?;
        let mut state = InstanceState::default();
        let exports: Vec<(String, Extern)> = inst
            .exports(&mut self.store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        for (name, ext) in exports {
            match ext {
                Extern::Global(g) => {
                    let v = g.get(&mut self.store);
                    let v = self.value_of(&v);
                    state.globals.push((name, v));
                }
                Extern::Memory(m) => state.memories.push((name, m.data(&self.store).to_vec())),
                Extern::Table(t) => {
                    let mut elems = Vec::new();
                    for i in 0..t.size(&self.store) {
                        if let Some(r) = t.get(&mut self.store, i) {
                            elems.push(self.ref_value_of(&r));
                        }
                    }
                    state.tables.push((name, elems));
                }
                // No shared memories: the adapter is built without threads.
                Extern::Func(_) | Extern::Tag(_) | Extern::SharedMemory(_) => {}
            }
        }
        Ok(state)
    }

    fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    fn validate_component(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        // wasmparser's messages do not say whether decoding or validation
        // failed: `Rejected`, which assertions score by stage-free rules.
        wasmtime::component::Component::new(self.store.engine(), bytes)
            .map(|_| ())
            .map_err(|e| ModuleError::Rejected(error_message(&e)))
    }

    fn instantiate_component(&mut self, bytes: &[u8]) -> Result<ComponentInstanceId, ModuleError> {
        let component =
            wasmtime::component::Component::new(self.store.engine(), bytes).map_err(|e| {
                let msg = error_message(&e);
                crate::outcome::wasmparser_compile_error(msg, false, COMPONENT_UNSUPPORTED_PHRASES)
            })?;
        let mut store = Store::new(self.store.engine(), ());
        let _ = store.set_fuel(self.budget.fuel.unwrap_or(u64::MAX));
        let made = block_on(
            self.component_linker
                .instantiate_async(&mut store, &component),
        );
        match made {
            Some(Ok(instance)) => {
                self.components.push(ComponentInstance {
                    store,
                    instance,
                    component,
                });
                Ok(self.components.len() - 1)
            }
            Some(Err(e)) if e.is::<wasmtime::Trap>() => {
                Err(ModuleError::Uninstantiable(match component_trap(&e) {
                    ComponentOutcome::Exhausted(t) => Outcome::Exhausted(t),
                    ComponentOutcome::Trapped(t) => Outcome::Trapped(t),
                    o => Outcome::EngineError(o.to_string()),
                }))
            }
            Some(Err(e)) => {
                let msg = error_message(&e);
                if msg.contains("import") {
                    Err(ModuleError::Unlinkable(msg))
                } else {
                    Err(ModuleError::Uninstantiable(Outcome::Trapped(Trap {
                        kind: TrapKind::Component,
                        message: msg,
                    })))
                }
            }
            None => Err(ModuleError::EngineError(
                "instantiation still pending after the polling budget".into(),
            )),
        }
    }

    fn register_component(
        &mut self,
        name: &str,
        instance: ComponentInstanceId,
    ) -> Result<(), String> {
        use wasmtime::component::types::ComponentItem;
        let engine = self.store.engine().clone();
        let ComponentInstance {
            store,
            instance: inst,
            component,
        } = self
            .components
            .get_mut(instance)
            .ok_or_else(|| format!("no component instance #{instance}"))?;
        let mut root = self
            .component_linker
            .instance(name)
            .map_err(|e| error_message(&e))?;
        let ty = component.component_type();
        // What a linker can hold of another store's instance: its core
        // modules and its resource types (as wasmtime's wast runner does).
        for (export, item) in ty.exports(&engine) {
            let defined = match item.ty {
                ComponentItem::Module(_) => match inst.get_module(&mut *store, export) {
                    Some(m) => root.module(export, &m),
                    None => continue,
                },
                ComponentItem::Resource(_) => match inst.get_resource(&mut *store, export) {
                    Some(r) => root.resource(export, r, |_, _| Ok(())),
                    None => continue,
                },
                _ => continue,
            };
            defined.map_err(|e| error_message(&e))?;
        }
        Ok(())
    }

    fn invoke_component(
        &mut self,
        instance: ComponentInstanceId,
        export: &str,
        args: &[ComponentValue],
    ) -> ComponentOutcome {
        let mut params = Vec::with_capacity(args.len());
        for a in args {
            match component_val(a) {
                Ok(v) => params.push(v),
                Err(e) => return ComponentOutcome::Unsupported(e),
            }
        }
        let fuel = self.budget.fuel.unwrap_or(u64::MAX);
        let Some(ComponentInstance {
            store,
            instance: inst,
            ..
        }) = self.components.get_mut(instance)
        else {
            return ComponentOutcome::EngineError(format!("no component instance #{instance}"));
        };
        let Some(func) = inst.get_func(&mut *store, export) else {
            return ComponentOutcome::EngineError(format!("no exported function {export:?}"));
        };
        let _ = store.set_fuel(fuel);
        // Every slot is overwritten by the call; the initial values do not matter.
        let mut results =
            vec![wasmtime::component::Val::Bool(false); func.ty(&*store).results().len()];
        let called = block_on(func.call_async(&mut *store, &params, &mut results));
        match called {
            Some(Ok(())) => ComponentOutcome::Returned(
                results.iter().map(|v| self.value_of_component(v)).collect(),
            ),
            Some(Err(e)) => component_trap(&e),
            None => {
                ComponentOutcome::EngineError("call still pending after the polling budget".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (module (func (export "div") (param i32 i32) (result i32)
    ///   local.get 0 local.get 1 i32.div_s))
    const DIV: &[u8] = &[
        0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 7, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 3, 2, 1, 0, 7, 7,
        1, 3, b'd', b'i', b'v', 0, 0, 10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6d, 0x0b,
    ];

    fn wasm(text: &str) -> Vec<u8> {
        let buf = wast::parser::ParseBuffer::new(text).unwrap();
        let mut module: wast::Wat = wast::parser::parse(&buf).unwrap();
        module.encode().unwrap()
    }

    fn trap_of(o: Outcome) -> TrapKind {
        match o {
            Outcome::Trapped(t) => t.kind,
            o => panic!("expected a trap, got {o}"),
        }
    }

    #[test]
    fn invoke_and_traps() {
        let mut e = WasmtimeEngine::new();
        let id = e.instantiate(DIV).unwrap();
        assert_eq!(
            e.invoke(id, "div", &[Value::I32(7), Value::I32(2)]),
            Outcome::Returned(vec![Value::I32(3)])
        );
        assert_eq!(
            trap_of(e.invoke(id, "div", &[Value::I32(1), Value::I32(0)])),
            TrapKind::IntegerDivideByZero
        );
        assert_eq!(
            trap_of(e.invoke(
                id,
                "div",
                &[Value::I32(i32::MIN as u32), Value::I32(-1i32 as u32)]
            )),
            TrapKind::IntegerOverflow
        );
    }

    #[test]
    fn values_keep_their_bits() {
        let mut e = WasmtimeEngine::new();
        let m = wasm(
            r#"(module
                 (func (export "f32") (param f32) (result f32) local.get 0)
                 (func (export "f64") (param f64) (result f64) local.get 0)
                 (func (export "i64") (param i64) (result i64) local.get 0)
                 (func (export "v128") (param v128) (result v128) local.get 0)
                 (func (export "ext") (param externref) (result externref) local.get 0)
                 (func (export "i31") (param i32) (result i31ref) local.get 0 ref.i31)
                 (func (export "null") (result funcref anyref exnref)
                   ref.null func ref.null any ref.null exn))"#,
        );
        let id = e.instantiate(&m).unwrap();
        for bits in [0x7fa0_0001u32, 0xffc0_0000, 0x7f80_0001, 0x8000_0000] {
            assert_eq!(
                e.invoke(id, "f32", &[Value::F32(bits)]),
                Outcome::Returned(vec![Value::F32(bits)]),
                "f32 {bits:#x}"
            );
        }
        for bits in [0x7ff4_0000_0000_0001u64, 0xfff8_0000_0000_0000, 1] {
            assert_eq!(
                e.invoke(id, "f64", &[Value::F64(bits)]),
                Outcome::Returned(vec![Value::F64(bits)]),
                "f64 {bits:#x}"
            );
        }
        assert_eq!(
            e.invoke(id, "i64", &[Value::I64(u64::MAX)]),
            Outcome::Returned(vec![Value::I64(u64::MAX)])
        );
        let v = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffu128;
        assert_eq!(
            e.invoke(id, "v128", &[Value::V128(v)]),
            Outcome::Returned(vec![Value::V128(v)])
        );
        let conv = wasm(
            r#"(module
                 (func (export "in") (param externref) (result anyref) local.get 0 any.convert_extern)
                 (func (export "out") (param anyref) (result externref) local.get 0 extern.convert_any))"#,
        );
        let c = e.instantiate(&conv).unwrap();
        assert_eq!(
            e.invoke(c, "in", &[Value::Ref(RefValue::Extern(1))]),
            Outcome::Returned(vec![Value::Ref(RefValue::Host(1))])
        );
        assert_eq!(
            e.invoke(c, "out", &[Value::Ref(RefValue::Host(2))]),
            Outcome::Returned(vec![Value::Ref(RefValue::Extern(2))])
        );
        for r in [RefValue::Extern(42), RefValue::Null(NullKind::Extern)] {
            assert_eq!(
                e.invoke(id, "ext", &[Value::Ref(r)]),
                Outcome::Returned(vec![Value::Ref(r)])
            );
        }
        assert_eq!(
            e.invoke(id, "i31", &[Value::I32(0xffff_ffff)]),
            Outcome::Returned(vec![Value::Ref(RefValue::I31(0x7fff_ffff))])
        );
        assert_eq!(
            e.invoke(id, "null", &[]),
            Outcome::Returned(vec![
                Value::Ref(RefValue::Null(NullKind::Func)),
                Value::Ref(RefValue::Null(NullKind::Any)),
                Value::Ref(RefValue::Null(NullKind::Exn)),
            ])
        );
    }

    #[test]
    fn trap_kinds_are_normalised() {
        let mut e = WasmtimeEngine::new();
        let m = wasm(
            r#"(module
                 (type $t (func))
                 (memory 1)
                 (table 2 funcref)
                 (func $f (param i32))
                 (elem (i32.const 1) $f)
                 (func (export "unreachable") unreachable)
                 (func (export "oob") (result i32) i32.const 65536 i32.load)
                 (func (export "null-entry") i32.const 0 call_indirect (type $t))
                 (func (export "undefined") i32.const 5 call_indirect (type $t))
                 (func (export "mismatch") i32.const 1 call_indirect (type $t))
                 (func (export "conv") (result i32) f32.const nan i32.trunc_f32_s)
                 (func (export "table-oob") i32.const 9 ref.null func table.set 0)
                 (func (export "cast") (param anyref) local.get 0 ref.cast (ref i31) drop)
                 (func (export "deref") (param funcref) local.get 0 ref.as_non_null drop))"#,
        );
        let id = e.instantiate(&m).unwrap();
        for (export, kind) in [
            ("unreachable", TrapKind::Unreachable),
            ("oob", TrapKind::MemoryOutOfBounds),
            ("null-entry", TrapKind::UninitializedElement),
            ("mismatch", TrapKind::IndirectCallTypeMismatch),
            ("conv", TrapKind::InvalidConversionToInteger),
            ("table-oob", TrapKind::TableOutOfBounds),
        ] {
            assert_eq!(trap_of(e.invoke(id, export, &[])), kind, "{export}");
        }
        assert!(trap_of(e.invoke(id, "undefined", &[])).matches(TrapKind::UndefinedElement));
        assert_eq!(
            trap_of(e.invoke(id, "cast", &[Value::Ref(RefValue::Null(NullKind::Any))])),
            TrapKind::CastFailure
        );
        assert_eq!(
            trap_of(e.invoke(id, "deref", &[Value::Ref(RefValue::Null(NullKind::Func))])),
            TrapKind::NullReference
        );
        // wasmtime's messages carry the spec's, except where it has words
        // of its own.
        let own_words = [
            TrapKind::Unreachable,
            TrapKind::OutOfFuel,
            TrapKind::ExpectedSharedMemory,
            TrapKind::UncaughtException,
        ];
        for (code, kind) in TRAP_CODES {
            let spec = kind.spec_message();
            if !spec.is_empty() && !own_words.contains(kind) {
                assert!(
                    code.to_string().contains(spec),
                    "{code:?}: {code} vs {spec}"
                );
            }
        }
    }

    #[test]
    fn fuel_exhaustion_is_reported_as_exhausted() {
        let mut e = WasmtimeEngine::new();
        let m = wasm(r#"(module (func (export "spin") (loop br 0)))"#);
        let id = e.instantiate(&m).unwrap();
        e.set_budget(Budget { fuel: Some(10_000) });
        match e.invoke(id, "spin", &[]) {
            Outcome::Exhausted(t) => assert_eq!(t.kind, TrapKind::OutOfFuel),
            o => panic!("expected exhaustion, got {o}"),
        }
        let fill = wasm(
            r#"(module (memory 1)
                 (func (export "fill") (memory.fill (i32.const 1) (i32.const 0) (i32.const -1))))"#,
        );
        let f = e.instantiate(&fill).unwrap();
        assert_eq!(
            trap_of(e.invoke(f, "fill", &[])),
            TrapKind::MemoryOutOfBounds,
            "bulk operations cost no fuel per byte"
        );
        let m = wasm(r#"(module (func $r (export "rec") call $r))"#);
        let id = e.instantiate(&m).unwrap();
        e.set_budget(Budget::default());
        match e.invoke(id, "rec", &[]) {
            Outcome::Exhausted(t) => assert_eq!(t.kind, TrapKind::CallStackExhausted),
            o => panic!("expected exhaustion, got {o}"),
        }
    }

    #[test]
    fn modules_errors_have_stages() {
        let mut e = WasmtimeEngine::new();
        assert!(matches!(
            e.instantiate(b"\0asm\x01"),
            Err(ModuleError::Rejected(_))
        ));
        let bad = wasm(r#"(module (func (result i32) i64.const 0))"#);
        assert!(matches!(e.validate(&bad), Err(ModuleError::Rejected(_))));
        let import = wasm(r#"(module (import "nowhere" "f" (func)))"#);
        assert!(matches!(
            e.instantiate(&import),
            Err(ModuleError::Unlinkable(_))
        ));
        let start = wasm(r#"(module (func $s unreachable) (start $s))"#);
        match e.instantiate(&start) {
            Err(ModuleError::Uninstantiable(Outcome::Trapped(t))) => {
                assert_eq!(t.kind, TrapKind::Unreachable)
            }
            r => panic!("expected a start trap, got {r:?}"),
        }
        let spectest = wasm(
            r#"(module (import "spectest" "global_f32" (global f32))
                       (import "spectest" "print_i32" (func (param i32)))
                       (import "spectest" "table" (table 10 funcref))
                       (import "spectest" "memory" (memory 1)))"#,
        );
        assert!(e.instantiate(&spectest).is_ok());
    }

    #[test]
    fn uncaught_exceptions_and_registration() {
        let mut e = WasmtimeEngine::new();
        let m = wasm(
            r#"(module (tag $t (param i32)) (global (export "g") (mut i32) (i32.const 5))
                 (func (export "throw") i32.const 7 throw $t))"#,
        );
        let id = e.instantiate(&m).unwrap();
        assert_eq!(
            e.invoke(id, "throw", &[]),
            Outcome::Exception("[i32:7]".into())
        );
        assert_eq!(
            e.get_global(id, "g"),
            Outcome::Returned(vec![Value::I32(5)])
        );
        e.register("M", id).unwrap();
        let user = wasm(r#"(module (import "M" "g" (global (mut i32))))"#);
        assert!(e.instantiate(&user).is_ok());
        let state = e.snapshot(id).unwrap();
        assert_eq!(state.globals, vec![("g".to_string(), Value::I32(5))]);
    }
}

#[cfg(test)]
mod component_tests {
    use super::*;

    fn component(text: &str) -> Vec<u8> {
        let buf = wast::parser::ParseBuffer::new(text).unwrap();
        let mut c: wast::Wat = wast::parser::parse(&buf).unwrap();
        c.encode().unwrap()
    }

    #[test]
    fn components_run_with_component_values() {
        let mut e = WasmtimeEngine::new();
        let c = component(
            r#"(component
                 (core module $m
                   (func (export "add") (param i32 i32) (result i32)
                     local.get 0 local.get 1 i32.add)
                   (func (export "boom") unreachable))
                 (core instance $i (instantiate $m))
                 (func (export "add") (param "a" u32) (param "b" u32) (result u32)
                   (canon lift (core func $i "add")))
                 (func (export "boom") (canon lift (core func $i "boom"))))"#,
        );
        assert_eq!(e.validate_component(&c), Ok(()));
        let id = e.instantiate_component(&c).unwrap();
        assert_eq!(
            e.invoke_component(id, "add", &[ComponentValue::U32(2), ComponentValue::U32(3)]),
            ComponentOutcome::Returned(vec![ComponentValue::U32(5)])
        );
        match e.invoke_component(id, "boom", &[]) {
            ComponentOutcome::Trapped(t) => assert_eq!(t.kind, TrapKind::Unreachable),
            o => panic!("expected a trap, got {o}"),
        }
        assert!(matches!(
            e.invoke_component(id, "nope", &[]),
            ComponentOutcome::EngineError(_)
        ));
        assert!(matches!(
            e.validate_component(b"\0asm\x0e\0\x01\0"),
            Err(ModuleError::Rejected(_))
        ));
        let importer = component(r#"(component (import "missing" (func)))"#);
        assert!(matches!(
            e.instantiate_component(&importer),
            Err(ModuleError::Unlinkable(_))
        ));
        // A registered instance's exported core module is importable by name.
        let exporter = component(r#"(component (core module $m) (export "m" (core module $m)))"#);
        let x = e.instantiate_component(&exporter).unwrap();
        e.register_component("dep", x).unwrap();
        let user = component(r#"(component (import "dep" (instance (export "m" (core module)))))"#);
        assert!(e.instantiate_component(&user).is_ok());
        // Core and component instances are numbered apart.
        assert_eq!(x, 1);
    }
}
