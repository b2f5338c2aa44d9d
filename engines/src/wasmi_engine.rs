//! The wasmi adapter: wasmi 2.x with every proposal it implements switched on.

use crate::outcome::{ModuleError, Outcome, Trap, TrapKind};
use crate::value::{NullKind, RefValue, Value};
use crate::{Budget, Engine, InstanceId, InstanceState, spectest};
use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{
    Extern, ExternRef, F32, F64, Func, Global, Instance, Linker, Memory, MemoryType, Module,
    Mutability, Nullable, Ref, RefType, Store, Table, TableType, TrapCode, V128, Val,
};

/// The wasmi version this adapter is built against.
const WASMI_VERSION: &str = "2.0.0";

/// wasmi's trap codes and the normalised kinds they mean.
const TRAP_CODES: &[(TrapCode, TrapKind)] = &[
    (TrapCode::UnreachableCodeReached, TrapKind::Unreachable),
    (TrapCode::MemoryOutOfBounds, TrapKind::MemoryOutOfBounds),
    (TrapCode::TableOutOfBounds, TrapKind::TableOutOfBounds),
    (TrapCode::IndirectCallToNull, TrapKind::UninitializedElement),
    (
        TrapCode::IntegerDivisionByZero,
        TrapKind::IntegerDivideByZero,
    ),
    (TrapCode::IntegerOverflow, TrapKind::IntegerOverflow),
    (
        TrapCode::BadConversionToInteger,
        TrapKind::InvalidConversionToInteger,
    ),
    (TrapCode::StackOverflow, TrapKind::CallStackExhausted),
    (TrapCode::BadSignature, TrapKind::IndirectCallTypeMismatch),
    (TrapCode::OutOfFuel, TrapKind::OutOfFuel),
    (TrapCode::GrowthOperationLimited, TrapKind::HostError),
    (TrapCode::OutOfSystemMemory, TrapKind::HostError),
];

/// A wasmi store with the spectest module and a linker of registered instances.
pub struct WasmiEngine {
    store: Store<()>,
    /// Registered instances; the spectest module is defined when a module
    /// first imports from it or a module is registered under its name.
    linker: Linker<()>,
    spectest: bool,
    instances: Vec<Instance>,
    budget: Budget,
}

impl Default for WasmiEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl WasmiEngine {
    /// A fresh engine with every proposal wasmi supports enabled and fuel metering on.
    pub fn new() -> WasmiEngine {
        let mut config = wasmi::Config::default();
        config
            .wasm_mutable_global(true)
            .wasm_sign_extension(true)
            .wasm_saturating_float_to_int(true)
            .wasm_multi_value(true)
            .wasm_multi_memory(true)
            .wasm_bulk_memory(true)
            .wasm_reference_types(true)
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_custom_page_sizes(true)
            .wasm_memory64(true)
            .wasm_wide_arithmetic(true)
            .wasm_simd(true)
            .wasm_relaxed_simd(true)
            .consume_fuel(true);
        let engine = wasmi::Engine::new(&config);
        let store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        WasmiEngine {
            store,
            linker,
            spectest: false,
            instances: Vec::new(),
            budget: Budget::default(),
        }
    }

    /// Defines the spectest module in the linker, once.
    fn define_spectest(&mut self) {
        if !self.spectest {
            define_spectest(&mut self.store, &mut self.linker);
            self.spectest = true;
        }
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

    fn wasmi_val(&mut self, v: &Value) -> Result<Val, String> {
        Ok(match *v {
            Value::I32(x) => Val::I32(x as i32),
            Value::I64(x) => Val::I64(x as i64),
            Value::F32(x) => Val::F32(F32::from_bits(x)),
            Value::F64(x) => Val::F64(F64::from_bits(x)),
            Value::V128(x) => Val::V128(V128::from(x)),
            Value::Ref(RefValue::Null(NullKind::Func)) => Val::FuncRef(Nullable::Null),
            Value::Ref(RefValue::Null(NullKind::Extern)) => Val::ExternRef(Nullable::Null),
            Value::Ref(RefValue::Extern(n)) => {
                Val::ExternRef(Nullable::Val(ExternRef::new(&mut self.store, n)))
            }
            Value::Ref(r) => return Err(format!("wasmi has no reference like {r}")),
        })
    }

    fn value_of(&self, v: &Val) -> Value {
        match v {
            Val::I32(x) => Value::I32(*x as u32),
            Val::I64(x) => Value::I64(*x as u64),
            Val::F32(x) => Value::F32(x.to_bits()),
            Val::F64(x) => Value::F64(x.to_bits()),
            Val::V128(x) => Value::V128(x.as_u128()),
            Val::FuncRef(f) => self.ref_value_of(&Ref::Func(*f)),
            Val::ExternRef(e) => self.ref_value_of(&Ref::Extern(*e)),
        }
    }

    fn ref_value_of(&self, r: &Ref) -> Value {
        Value::Ref(match r {
            Ref::Func(Nullable::Null) => RefValue::Null(NullKind::Func),
            Ref::Func(Nullable::Val(_)) => RefValue::Func(None),
            Ref::Extern(Nullable::Null) => RefValue::Null(NullKind::Extern),
            Ref::Extern(Nullable::Val(e)) => match e.data(&self.store).downcast_ref::<u32>() {
                Some(n) => RefValue::Extern(*n),
                None => RefValue::Opaque,
            },
        })
    }
}

/// Builds the reference interpreter's `spectest` module in wasmi.
fn define_spectest(store: &mut Store<()>, linker: &mut Linker<()>) {
    let int = spectest::GLOBAL_INT;
    let globals = [
        ("global_i32", Val::I32(int as i32)),
        ("global_i64", Val::I64(int)),
        (
            "global_f32",
            Val::F32(F32::from_bits(spectest::GLOBAL_F32_BITS)),
        ),
        (
            "global_f64",
            Val::F64(F64::from_bits(spectest::GLOBAL_F64_BITS)),
        ),
    ];
    let mut defs: Vec<(&str, Extern)> = globals
        .into_iter()
        .map(|(n, v)| (n, Global::new(&mut *store, v, Mutability::Const).into()))
        .collect();
    let (tmin, tmax) = spectest::TABLE_LIMITS;
    let null = Ref::Func(Nullable::Null);
    let tables = [
        ("table", TableType::new(RefType::Func, tmin, Some(tmax))),
        (
            "table64",
            TableType::new64(RefType::Func, tmin.into(), Some(tmax.into())),
        ),
    ];
    for (n, ty) in tables {
        if let Ok(t) = Table::new(&mut *store, ty, null) {
            defs.push((n, t.into()));
        }
    }
    let (mmin, mmax) = spectest::MEMORY_LIMITS;
    if let Ok(m) = Memory::new(&mut *store, MemoryType::new(mmin, Some(mmax))) {
        defs.push(("memory", m.into()));
    }
    // `shared_memory` is absent: wasmi has no threads, so modules importing it
    // fail to link and the runner reports them unsupported.
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
        let _ = linker.define("spectest", name, ext);
    }
}

/// Maps a wasmi error raised while running code.
fn run_error(err: &wasmi::Error) -> Outcome {
    if let Some(code) = err.as_trap_code() {
        let kind = TRAP_CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(TrapKind::HostError, |(_, k)| *k);
        let trap = Trap {
            kind,
            message: code.trap_message().to_string(),
        };
        return match kind {
            TrapKind::CallStackExhausted | TrapKind::OutOfFuel => Outcome::Exhausted(trap),
            _ => Outcome::Trapped(trap),
        };
    }
    Outcome::EngineError(err.to_string())
}

/// Maps a wasmi error raised while compiling a module.
fn compile_error(err: &wasmi::Error) -> ModuleError {
    let msg = err.to_string();
    let component = msg.contains("component model");
    crate::outcome::wasmparser_compile_error(msg, component, &[])
}

impl Engine for WasmiEngine {
    fn name(&self) -> &str {
        "wasmi"
    }

    fn version(&self) -> String {
        WASMI_VERSION.to_string()
    }

    fn config(&self) -> Vec<(String, String)> {
        vec![
            (
                "features".into(),
                "mvp, mutable-global, sign-ext, sat-float-to-int, multi-value, multi-memory, \
                 bulk-memory, reference-types, tail-call, extended-const, custom-page-sizes, \
                 memory64, wide-arithmetic, simd, relaxed-simd"
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
        if module.imports().any(|i| i.module() == "spectest") {
            self.define_spectest();
        }
        self.refuel();
        match self.linker.instantiate_and_start(&mut self.store, &module) {
            Ok(instance) => {
                self.instances.push(instance);
                Ok(self.instances.len() - 1)
            }
            Err(e) if e.as_trap_code().is_some() => Err(ModuleError::Uninstantiable(run_error(&e))),
            Err(e) => match e.kind() {
                // Segment initialisation out of bounds is a trap in the spec.
                ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit {
                    ..
                }) => Err(ModuleError::Uninstantiable(Outcome::Trapped(Trap {
                    kind: TrapKind::TableOutOfBounds,
                    message: e.to_string(),
                }))),
                ErrorKind::Linker(_) | ErrorKind::Instantiation(_) => {
                    Err(ModuleError::Unlinkable(e.to_string()))
                }
                _ => Err(ModuleError::EngineError(e.to_string())),
            },
        }
    }

    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let inst = self.instance(instance).map_err(|o| o.to_string())?;
        if name == "spectest" {
            // Registered names shadow the spectest module's, as when it is
            // defined up front.
            self.define_spectest();
        }
        self.linker
            .instance(&mut self.store, name, inst)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome {
        let inst = match self.instance(instance) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let Some(func) = inst.get_func(&self.store, export) else {
            return Outcome::EngineError(format!("no exported function {export:?}"));
        };
        let mut inputs = Vec::with_capacity(args.len());
        for a in args {
            match self.wasmi_val(a) {
                Ok(v) => inputs.push(v),
                Err(e) => return Outcome::Unsupported(e),
            }
        }
        let ty = func.ty(&self.store);
        let mut outputs: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        self.refuel();
        match func.call(&mut self.store, &inputs, &mut outputs) {
            Ok(()) => Outcome::Returned(outputs.iter().map(|v| self.value_of(v)).collect()),
            Err(e) => run_error(&e),
        }
    }

    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome {
        let inst = match self.instance(instance) {
            Ok(i) => i,
            Err(o) => return o,
        };
        match inst.get_global(&self.store, export) {
            Some(g) => Outcome::Returned(vec![self.value_of(&g.get(&self.store))]),
            None => Outcome::EngineError(format!("no exported global {export:?}")),
        }
    }

    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String> {
        let inst = self.instance(instance).map_err(|o| o.to_string())?;
        let mut state = InstanceState::default();
        let exports: Vec<(String, Extern)> = inst
            .exports(&self.store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        for (name, ext) in exports {
            match ext {
                Extern::Global(g) => {
                    let v = self.value_of(&g.get(&self.store));
                    state.globals.push((name, v));
                }
                Extern::Memory(m) => state.memories.push((name, m.data(&self.store).to_vec())),
                Extern::Table(t) => {
                    let elems = (0..t.size(&self.store))
                        .filter_map(|i| t.get(&self.store, i))
                        .map(|r| self.ref_value_of(&r))
                        .collect();
                    state.tables.push((name, elems));
                }
                Extern::Func(_) => {}
            }
        }
        Ok(state)
    }

    fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
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

    #[test]
    fn invoke_and_traps() {
        let mut e = WasmiEngine::new();
        let id = e.instantiate(DIV).unwrap();
        assert_eq!(
            e.invoke(id, "div", &[Value::I32(7), Value::I32(2)]),
            Outcome::Returned(vec![Value::I32(3)])
        );
        match e.invoke(id, "div", &[Value::I32(1), Value::I32(0)]) {
            Outcome::Trapped(t) => assert_eq!(t.kind, TrapKind::IntegerDivideByZero),
            o => panic!("expected a trap, got {o}"),
        }
        match e.invoke(
            id,
            "div",
            &[Value::I32(i32::MIN as u32), Value::I32(-1i32 as u32)],
        ) {
            Outcome::Trapped(t) => assert_eq!(t.kind, TrapKind::IntegerOverflow),
            o => panic!("expected a trap, got {o}"),
        }
    }

    #[test]
    fn garbage_is_rejected() {
        let mut e = WasmiEngine::new();
        assert!(matches!(
            e.instantiate(b"\0asm\x01"),
            Err(ModuleError::Rejected(_))
        ));
    }
}
