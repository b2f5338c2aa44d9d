//! Instantiation and execution of components (Explainer.md,
//! "Instantiation"; CanonicalABI.md, "Canonical Definitions" and "Runtime
//! State"): definitions are evaluated in order into index spaces of
//! runtime items; every core instance lives in one core [`Store`]; `canon
//! lower`ed functions and resource built-ins are store host functions
//! ([`crate::exec::StoreFunc`]) that may call back into core code.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::abi::{self, CoreValueIter, FlatIter, StringEncoding};
use super::syntax::{
    self, Alias, Builtin, Canon, CanonOpt, Component, CoreInstance, CoreModule, CoreSort, DefType,
    DefValType, Definition, ExternDesc, Instance, PrimValType, Sort, SortIdx, TypeBound,
};
use super::types::{FuncType, ResourceType, ValType, Value};
use crate::exec::{ExternVal, FuncAddr, MemAddr, Store, Val};
use crate::syntax as core;
use crate::{Config, Features};

mod concurrency;

use concurrency::{
    EndKind, Resolved, Rng, Sched, ThreadId, WaitableId, WaitableSet, call_from_host,
    canon_builtin, canon_lower,
};
pub use concurrency::{HostCx, HostPollSink, HostPollSource, HostSink, HostSource};

/// A component instance created by [`Runtime::instantiate`].
pub type InstanceId = u32;

/// A trap while running a component. `Display` is the reference tests'
/// message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A trap in core code (or a core limit: fuel, stack).
    Core(crate::exec::Trap),
    /// A trap the component model defines (Canonical ABI, handles, reentrance),
    /// with its message.
    Component(String),
}

/// The reference tests' wording of core traps where it differs from the
/// core suite's (the component tests are written against wasmtime).
const CORE_TRAP_WORDING: &[(crate::exec::Trap, &str)] = &[
    (
        crate::exec::Trap::Unreachable,
        "wasm `unreachable` instruction executed",
    ),
    (
        crate::exec::Trap::OutOfFuel,
        "all fuel consumed by WebAssembly",
    ),
];

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wasm trap: ")?;
        match self {
            Trap::Core(t) => match CORE_TRAP_WORDING.iter().find(|(c, _)| c == t) {
                Some((_, s)) => f.write_str(s),
                None => t.fmt(f),
            },
            Trap::Component(s) => f.write_str(s),
        }
    }
}

/// Component traps cross core frames as host traps with this prefix, so
/// that a trap in a nested call keeps its component message.
const COMPONENT_TRAP: &str = "component: ";

impl From<crate::exec::Trap> for Trap {
    fn from(t: crate::exec::Trap) -> Trap {
        match t {
            crate::exec::Trap::Host(s) if s.starts_with(COMPONENT_TRAP) => {
                Trap::Component(s[COMPONENT_TRAP.len()..].to_string())
            }
            t => Trap::Core(t),
        }
    }
}

impl From<Trap> for crate::exec::Trap {
    fn from(t: Trap) -> crate::exec::Trap {
        match t {
            Trap::Core(t) => t,
            Trap::Component(s) => crate::exec::Trap::Host(format!("{COMPONENT_TRAP}{s}")),
        }
    }
}

/// A trap of the Canonical ABI in a call from the host (`adapter`: false)
/// or between components (true: the reference tests word some of those
/// traps as wasmtime's fused adapters do).
fn abi_trap(t: abi::Trap, adapter: bool) -> Trap {
    match t {
        abi::Trap::Core(t) => Trap::from(t),
        abi::Trap::Context(s) => Trap::Component(s),
        t if adapter => Trap::Component(t.adapter_message()),
        t => Trap::Component(t.to_string()),
    }
}

fn trap(msg: impl Into<String>) -> Trap {
    Trap::Component(msg.into())
}

/// Why a component could not be instantiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// An import is missing or does not match (`Display`: the message).
    Unlinkable(String),
    /// Instantiation trapped (a core start function, a component start).
    Trap(Trap),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unlinkable(s) => f.write_str(s),
            Error::Trap(t) => t.fmt(f),
        }
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Error {
        Error::Trap(t)
    }
}

fn unlinkable(msg: impl Into<String>) -> Error {
    Error::Unlinkable(msg.into())
}

/// A runtime type in a type index space.
#[derive(Clone, Debug)]
enum Type {
    /// A defined value type.
    Val(ValType),
    /// A function type.
    Func(Arc<FuncType>),
    /// A resource type (defined here, or imported).
    Resource(ResourceType),
    /// A component or instance type: only checked by validation.
    Other,
}

/// The lift/lower options of a `canon` definition, resolved to addresses
/// (CanonicalABI.md, "Canonical ABI Options").
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// What the Canonical ABI sees of them.
    pub abi: abi::Options,
    pub memory: Option<MemAddr>,
    pub realloc: Option<FuncAddr>,
    pub post_return: Option<FuncAddr>,
    /// `async` (🔀)
    pub is_async: bool,
    /// `(callback f)` (🔀)
    pub callback: Option<FuncAddr>,
}

/// A component function: a core function lifted with its options in the
/// instance that defined it.
#[derive(Debug)]
pub(crate) struct Func {
    ty: Arc<FuncType>,
    core: FuncAddr,
    opts: Options,
    inst: u32,
}

/// A function the host defines for components to import: it takes the
/// lifted arguments and gives the result to lower (handles as the
/// resource's representation).
pub type HostFunc = Arc<dyn Fn(&[Value]) -> Result<Option<Value>, Trap> + Send + Sync>;

/// A host function that also makes and takes streams and futures through
/// a [`HostCx`] (the asynchronous interfaces of WASI 0.3).
pub type HostFuncCx =
    Arc<dyn Fn(&mut HostCx<'_>, &[Value]) -> Result<Option<Value>, Trap> + Send + Sync>;

/// What an asynchronous host function gives back when called: its result,
/// or the work still to do, which the event loop polls until it is ready.
pub enum HostCall {
    /// The call is done with this result.
    Done(Option<Value>),
    /// The call goes on: polled (with a [`HostCx`]) until it gives the result.
    Later(HostPending),
}

/// A host call in progress: `Pending` until it is done.
pub type HostPending =
    Box<dyn FnMut(&mut HostCx<'_>) -> std::task::Poll<Result<Option<Value>, Trap>> + Send>;

/// A host function that may finish after it returns to the caller (an
/// `async func` whose work waits on the outside world, like a socket's
/// `receive`): the caller's subtask stays pending, and other component
/// threads run, until the event loop finds it done.
pub type HostFuncAsync =
    Arc<dyn Fn(&mut HostCx<'_>, &[Value]) -> Result<HostCall, Trap> + Send + Sync>;

/// The host's implementation of a function.
#[derive(Clone)]
enum HostImpl {
    Plain(HostFunc),
    Cx(HostFuncCx),
    Async(HostFuncAsync),
}

/// A host resource's destructor: called with the representation when a
/// component drops the last owning handle.
pub type HostDtor = Arc<dyn Fn(u32) + Send + Sync>;

/// A function in a component's function index space.
#[derive(Clone)]
enum Callee {
    /// `canon lift`ed core code.
    Lifted(Arc<Func>),
    /// A host function.
    Host(Arc<FuncType>, HostImpl),
}

impl Callee {
    fn ty(&self) -> &Arc<FuncType> {
        match self {
            Callee::Lifted(f) => &f.ty,
            Callee::Host(t, _) => t,
        }
    }

    /// The string encoding of the values it returns.
    fn encoding(&self) -> StringEncoding {
        match self {
            Callee::Lifted(f) => f.opts.abi.string_encoding,
            Callee::Host(..) => StringEncoding::Utf8,
        }
    }
}

impl fmt::Debug for Callee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Callee::Lifted(l) => l.fmt(f),
            Callee::Host(t, _) => write!(f, "host function {t:?}"),
        }
    }
}

/// What the host gives a component to import: functions, resource types,
/// and instances of those ([`Runtime::register_host`]).
#[derive(Clone)]
pub enum HostItem {
    /// A function of this type.
    Func(FuncType, HostFunc),
    /// A function of this type that makes or takes streams and futures.
    FuncCx(FuncType, HostFuncCx),
    /// A function of this type that may finish later ([`HostCall::Later`]).
    FuncAsync(FuncType, HostFuncAsync),
    /// A resource type made by [`Runtime::host_resource`].
    Resource(ResourceType),
    /// A defined value type (e.g. `error-code` in `wasi:cli/types`), for
    /// components that alias it out of the instance.
    Type(ValType),
    /// An instance with these exports.
    Instance(Vec<(String, HostItem)>),
}

/// The outer scopes a nested component sees (outer aliases reach types,
/// core types, core modules and components only).
#[derive(Debug, Default)]
struct Env {
    parent: Option<Arc<Env>>,
    types: Vec<Type>,
    core_modules: Vec<Arc<CoreModule>>,
    components: Vec<Arc<Closure>>,
}

/// A component definition with the scopes it was defined in.
#[derive(Debug)]
struct Closure {
    component: Arc<Component>,
    env: Option<Arc<Env>>,
}

/// A component-level item: what instances export and imports receive.
#[derive(Clone, Debug)]
enum Item {
    Func(Callee),
    Value(Value),
    Type(Type),
    Component(Arc<Closure>),
    Instance(Arc<Exports>),
    CoreModule(Arc<CoreModule>),
}

/// The exports of a component instance, in order.
#[derive(Debug, Default)]
struct Exports(Vec<(String, Item)>);

impl Exports {
    fn get(&self, name: &str) -> Option<&Item> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, i)| i)
    }
}

/// A handle in a component instance's table (CanonicalABI.md, "Resource State").
#[derive(Clone, Debug)]
struct Handle {
    rt: ResourceType,
    rep: u32,
    own: bool,
    /// For a borrow: the task whose `num_borrows` counts it (none when the
    /// handle was lent to the resource's own instance: then it is the rep).
    scope: Option<usize>,
    /// How many calls this handle is lent to right now.
    num_lends: u32,
}

/// What a component instance's handle table holds (CanonicalABI.md,
/// "Table State": resource handles, waitables and waitable sets share it).
#[derive(Debug)]
enum Element {
    Resource(Handle),
    WaitableSet(WaitableSet),
    /// A subtask or a stream/future end.
    Waitable(WaitableId),
    /// An error context (its debug message's index).
    ErrorContext(usize),
}

/// CanonicalABI.md, "Table State": index 0 is never used; freed slots are
/// reused last-in first-out.
#[derive(Debug)]
struct Table<T = Element> {
    array: Vec<Option<T>>,
    free: Vec<u32>,
}

/// Table::MAX_LENGTH
const MAX_TABLE_LENGTH: usize = (1 << 28) - 1;

impl<T> Default for Table<T> {
    fn default() -> Table<T> {
        Table {
            array: vec![None],
            free: Vec::new(),
        }
    }
}

fn unknown_handle(i: u32) -> Trap {
    trap(format!("unknown handle index {i}"))
}

fn not_a_resource(i: u32) -> Trap {
    trap(format!("handle index {i} is not a resource handle"))
}

impl<T> Table<T> {
    fn element(&self, i: u32) -> Result<&T, Trap> {
        self.array
            .get(i as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| unknown_handle(i))
    }

    fn element_mut(&mut self, i: u32) -> Result<&mut T, Trap> {
        self.array
            .get_mut(i as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| unknown_handle(i))
    }

    fn add(&mut self, e: T) -> Result<u32, Trap> {
        if let Some(i) = self.free.pop() {
            self.array[i as usize] = Some(e);
            return Ok(i);
        }
        let i = self.array.len();
        if i > MAX_TABLE_LENGTH {
            return Err(trap("handle table is full"));
        }
        self.array.push(Some(e));
        Ok(i as u32)
    }

    fn remove(&mut self, i: u32) -> Result<T, Trap> {
        let e = self
            .array
            .get_mut(i as usize)
            .and_then(Option::take)
            .ok_or_else(|| unknown_handle(i))?;
        self.free.push(i);
        Ok(e)
    }
}

impl Table {
    fn get(&self, i: u32) -> Result<&Handle, Trap> {
        match self.element(i)? {
            Element::Resource(h) => Ok(h),
            _ => Err(not_a_resource(i)),
        }
    }

    fn get_mut(&mut self, i: u32) -> Result<&mut Handle, Trap> {
        match self.array.get_mut(i as usize).and_then(Option::as_mut) {
            Some(Element::Resource(h)) => Ok(h),
            Some(_) => Err(not_a_resource(i)),
            None => Err(unknown_handle(i)),
        }
    }

    /// Removes a resource handle (the slot is left alone if it is not one).
    fn remove_resource(&mut self, i: u32) -> Result<Handle, Trap> {
        self.get(i)?;
        match self.remove(i)? {
            Element::Resource(h) => Ok(h),
            _ => Err(not_a_resource(i)),
        }
    }
}

/// ComponentInstance (CanonicalABI.md, "Runtime State").
#[derive(Debug)]
struct InstState {
    parent: Option<u32>,
    handles: Table,
    may_enter: bool,
    may_leave: bool,
    backpressure: u32,
    /// `threads`: the instance's thread table.
    threads: Table<ThreadId>,
    num_waiting_to_enter: u32,
    exclusive_thread: Option<ThreadId>,
}

/// A resource type's definition: its destructor and the instance that
/// defines it (`rt.impl`; none for a host resource).
struct ResourceDef {
    dtor: Dtor,
    inst: Option<u32>,
}

/// A resource type's destructor.
#[derive(Clone)]
enum Dtor {
    None,
    /// A core function of the defining instance.
    Core(FuncAddr),
    /// The host's.
    Host(HostDtor),
}

impl fmt::Debug for ResourceDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dtor = match &self.dtor {
            Dtor::None => "none".to_string(),
            Dtor::Core(a) => format!("core func {}", a.0),
            Dtor::Host(_) => "host".to_string(),
        };
        write!(f, "resource (instance {:?}, dtor {dtor})", self.inst)
    }
}

/// The component-level state that `canon` functions reach.
#[derive(Default)]
struct State {
    insts: Vec<InstState>,
    resources: Vec<ResourceDef>,
    /// Tasks, threads, waitables, streams and futures.
    sched: Sched,
}

impl State {
    fn inst(&mut self, i: u32) -> &mut InstState {
        &mut self.insts[i as usize]
    }

    /// `self_and_ancestors`
    fn self_and_ancestors(&self, i: u32) -> Vec<u32> {
        let mut out = vec![i];
        let mut at = self.insts[i as usize].parent;
        while let Some(p) = at {
            out.push(p);
            at = self.insts[p as usize].parent;
        }
        out
    }

    /// `trap_if(not inst.may_leave)`
    fn check_leave(&self, inst: u32) -> Result<(), Trap> {
        if self.insts[inst as usize].may_leave {
            Ok(())
        } else {
            Err(trap("cannot leave component instance"))
        }
    }

    /// `Store.lift`'s `trap_if(not inst.may_enter_from(caller))` then
    /// `inst.enter_from(caller)`: the entered instances, for [`State::leave_to`].
    fn enter_from(&mut self, callee: u32, caller: Option<u32>) -> Result<Vec<u32>, Trap> {
        let set = self.entering_set(callee, caller);
        if set.iter().any(|&i| !self.insts[i as usize].may_enter) {
            return Err(trap("cannot enter component instance"));
        }
        for &i in &set {
            self.inst(i).may_enter = false;
        }
        Ok(set)
    }

    /// `inst.leave_to(caller)`: the entered instances may be entered again.
    fn leave_to(&mut self, entered: &[u32]) {
        for &i in entered {
            self.inst(i).may_enter = true;
        }
    }

    /// `entering_set`: the instances a call from `caller` into `callee` enters.
    fn entering_set(&self, callee: u32, caller: Option<u32>) -> Vec<u32> {
        let mut set = self.self_and_ancestors(callee);
        if let Some(c) = caller {
            let theirs = self.self_and_ancestors(c);
            set.retain(|i| !theirs.contains(i));
        }
        set
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Mutex<State>) -> Result<MutexGuard<'_, State>, Trap> {
    state
        .try_lock()
        .map_err(|_| trap("internal: component state is busy"))
}

/// The component store: the core store, component instance state, and the
/// names registered for later instantiations to import.
pub struct Runtime {
    store: Store,
    state: Shared,
    registered: HashMap<String, Item>,
    instances: Vec<Arc<Exports>>,
}

impl Runtime {
    /// An empty runtime; `config` applies to the core store (its features
    /// to the core modules of components).
    pub fn new(config: Config) -> Runtime {
        Runtime {
            store: Store::new(config),
            state: Shared::default(),
            registered: HashMap::new(),
            instances: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.store.config()
    }

    /// Sets the fuel of the core store (`None`: unlimited).
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.store.set_fuel(fuel);
    }

    /// Instantiates a validated component; its imports are resolved by name
    /// against the instances [`Runtime::register`]ed so far.
    pub fn instantiate(&mut self, component: &Arc<Component>) -> Result<InstanceId, Error> {
        let closure = Closure {
            component: component.clone(),
            env: None,
        };
        let mut args = HashMap::new();
        for def in &component.defs {
            if let Definition::Import(im) = def {
                let name = &im.name.name;
                let item = resolve_import(&self.registered, name)
                    .ok_or_else(|| unlinkable(format!("missing import named `{name}`")))?;
                args.insert(name.clone(), item.clone());
            }
        }
        let features = self.store.config().features;
        let mut cx = Instantiator {
            store: &mut self.store,
            state: &self.state,
            features,
        };
        let exports = cx.instantiate(&closure, &args, None)?;
        self.instances.push(exports);
        Ok((self.instances.len() - 1) as InstanceId)
    }

    /// Chooses how the scheduler makes the choices the specification leaves
    /// open: `None` is the deterministic profile (first candidate), a seed
    /// draws them from a generator (one seed, one interleaving).
    pub fn set_schedule_seed(&mut self, seed: Option<u64>) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sched
            .rng = Rng::new(seed);
    }

    /// Makes an instance importable under `name` by later instantiations.
    pub fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        let exports = self
            .instances
            .get(instance as usize)
            .ok_or_else(|| format!("unknown component instance {instance}"))?;
        self.registered
            .insert(name.to_string(), Item::Instance(exports.clone()));
        Ok(())
    }

    /// A fresh resource type the host implements; `dtor` runs when a
    /// component drops an owning handle of it.
    pub fn host_resource(&mut self, dtor: Option<HostDtor>) -> ResourceType {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.resources.push(ResourceDef {
            dtor: dtor.map_or(Dtor::None, Dtor::Host),
            inst: None,
        });
        ResourceType((st.resources.len() - 1) as u32)
    }

    /// Makes host items importable under `name` (e.g. an instance named
    /// `wasi:cli/stdout@0.2.6`) by later instantiations.
    pub fn register_host(&mut self, name: &str, item: HostItem) {
        self.registered.insert(name.to_string(), host_item(item));
    }

    /// The names of an instance's exported functions.
    pub fn exported_funcs(&self, instance: InstanceId) -> Vec<String> {
        self.instances
            .get(instance as usize)
            .map(|e| {
                e.0.iter()
                    .filter(|(_, i)| matches!(i, Item::Func(_)))
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs the event loop until `done()` holds (`Ok(true)`) or nothing
    /// can make progress any more (`Ok(false)`): the work components go on
    /// doing after a call returned, such as writing a stream they returned.
    pub fn run_until(&mut self, mut done: impl FnMut() -> bool) -> Result<bool, Trap> {
        concurrency::run_until(&mut self.store, &self.state, &mut done)
    }

    /// Gives `f` a [`HostCx`] outside any host function: to read a stream
    /// or future a call returned, or make one to pass to a call.
    pub fn with_host_cx<R>(&mut self, f: impl FnOnce(&mut HostCx<'_>) -> R) -> R {
        f(&mut HostCx::new(&mut self.store, &self.state))
    }

    /// Calls an exported component function with component values from the
    /// host; returns its result (none or one value).
    pub fn invoke(
        &mut self,
        instance: InstanceId,
        name: &str,
        args: &[Value],
    ) -> Result<Vec<Value>, Trap> {
        self.invoke_path(instance, &[name], args)
    }

    /// Calls a function exported through nested instances: `path` names
    /// an instance export at each step, then the function (e.g.
    /// `["wasi:cli/run@0.3.0", "run"]`).
    pub fn invoke_path(
        &mut self,
        instance: InstanceId,
        path: &[&str],
        args: &[Value],
    ) -> Result<Vec<Value>, Trap> {
        let mut exports = self
            .instances
            .get(instance as usize)
            .cloned()
            .ok_or_else(|| trap(format!("unknown component instance {instance}")))?;
        let Some((name, outer)) = path.split_last() else {
            return Err(trap("no export named"));
        };
        for step in outer {
            exports = match exports.get(step) {
                Some(Item::Instance(e)) => e.clone(),
                _ => return Err(trap(format!("no exported instance `{step}`"))),
            };
        }
        let Some(Item::Func(f)) = exports.get(name) else {
            return Err(trap(format!("no exported function `{name}`")));
        };
        let f = f.clone();
        if args.len() != f.ty().params.len() {
            return Err(trap(format!(
                "expected {} arguments, got {}",
                f.ty().params.len(),
                args.len()
            )));
        }
        let result = call_from_host(&mut self.store, &self.state, &f, args.to_vec())?;
        Ok(result.into_iter().collect())
    }
}

impl Drop for Runtime {
    /// Parked component threads wait on channels their thread objects hold:
    /// dropping those lets the OS threads end.
    fn drop(&mut self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.sched.threads.clear();
        st.sched.tasks.clear();
    }
}

/// The index spaces of one component instance being built.
#[derive(Default)]
struct Spaces {
    core_funcs: Vec<FuncAddr>,
    core_tables: Vec<ExternVal>,
    core_mems: Vec<ExternVal>,
    core_globals: Vec<ExternVal>,
    core_tags: Vec<ExternVal>,
    core_modules: Vec<Arc<CoreModule>>,
    core_instances: Vec<Arc<Vec<(String, ExternVal)>>>,
    /// Core types by index (function types; `None` for the others).
    core_types: Vec<Option<core::FuncType>>,
    funcs: Vec<Callee>,
    values: Vec<Value>,
    types: Vec<Type>,
    components: Vec<Arc<Closure>>,
    instances: Vec<Arc<Exports>>,
}

impl Spaces {
    /// A core type definition: each type of a rec group, or a module type.
    fn push_core_type(&mut self, t: &syntax::CoreType) {
        match t {
            syntax::CoreType::Rec(group) => {
                for st in group {
                    self.core_types.push(match &st.comp {
                        core::CompType::Func(f) => Some(f.clone()),
                        _ => None,
                    });
                }
            }
            syntax::CoreType::Module(_) => self.core_types.push(None),
        }
    }
}

fn oob(what: &str, i: u32) -> Error {
    unlinkable(format!("internal: {what} index {i} out of bounds"))
}

impl Spaces {
    fn core(&self, sort: CoreSort, i: u32) -> Result<ExternVal, Error> {
        let v = match sort {
            CoreSort::Func => self.core_funcs.get(i as usize).map(|f| ExternVal::Func(*f)),
            CoreSort::Table => self.core_tables.get(i as usize).copied(),
            CoreSort::Memory => self.core_mems.get(i as usize).copied(),
            CoreSort::Global => self.core_globals.get(i as usize).copied(),
            CoreSort::Tag => self.core_tags.get(i as usize).copied(),
            _ => None,
        };
        v.ok_or_else(|| oob("core item", i))
    }

    fn push_core(&mut self, v: ExternVal) {
        match v {
            ExternVal::Func(f) => self.core_funcs.push(f),
            ExternVal::Table(_) => self.core_tables.push(v),
            ExternVal::Mem(_) => self.core_mems.push(v),
            ExternVal::Global(_) => self.core_globals.push(v),
            ExternVal::Tag(_) => self.core_tags.push(v),
        }
    }

    fn item(&self, s: SortIdx) -> Result<Item, Error> {
        let i = s.idx as usize;
        let item = match s.sort {
            Sort::Func => self.funcs.get(i).cloned().map(Item::Func),
            Sort::Value => self.values.get(i).cloned().map(Item::Value),
            Sort::Type => self.types.get(i).cloned().map(Item::Type),
            Sort::Component => self.components.get(i).cloned().map(Item::Component),
            Sort::Instance => self.instances.get(i).cloned().map(Item::Instance),
            Sort::Core(CoreSort::Module) => self.core_modules.get(i).cloned().map(Item::CoreModule),
            Sort::Core(_) => None,
        };
        item.ok_or_else(|| oob("item", s.idx))
    }

    fn push(&mut self, item: Item) {
        match item {
            Item::Func(f) => self.funcs.push(f),
            Item::Value(v) => self.values.push(v),
            Item::Type(t) => self.types.push(t),
            Item::Component(c) => self.components.push(c),
            Item::Instance(e) => self.instances.push(e),
            Item::CoreModule(m) => self.core_modules.push(m),
        }
    }

    fn ty(&self, i: u32) -> Result<&Type, Error> {
        self.types.get(i as usize).ok_or_else(|| oob("type", i))
    }

    /// Resolves a syntax value type against the type index space.
    fn valtype(&self, t: syntax::ValType) -> Result<ValType, Error> {
        match t {
            syntax::ValType::Prim(p) => Ok(prim(p)),
            syntax::ValType::Idx(i) => match self.ty(i)? {
                Type::Val(v) => Ok(v.clone()),
                _ => Err(unlinkable(format!("type index {i} is not a defined type"))),
            },
        }
    }

    fn resource(&self, i: u32) -> Result<ResourceType, Error> {
        match self.ty(i)? {
            Type::Resource(r) => Ok(*r),
            _ => Err(unlinkable(format!("type index {i} is not a resource type"))),
        }
    }

    fn functype(&self, ft: &syntax::FuncType) -> Result<FuncType, Error> {
        Ok(FuncType {
            is_async: ft.is_async,
            params: ft
                .params
                .iter()
                .map(|(l, t)| Ok((l.clone(), self.valtype(*t)?)))
                .collect::<Result<_, Error>>()?,
            result: ft.result.map(|t| self.valtype(t)).transpose()?,
        })
    }

    /// Resolves a defined value type.
    fn defvaltype(&self, d: &DefValType) -> Result<ValType, Error> {
        let b = |t: syntax::ValType| self.valtype(t).map(Box::new);
        Ok(match d {
            DefValType::Prim(p) => prim(*p),
            DefValType::Record(fs) => ValType::Record(
                fs.iter()
                    .map(|(l, t)| Ok((l.clone(), self.valtype(*t)?)))
                    .collect::<Result<_, Error>>()?,
            ),
            DefValType::Variant(cs) => ValType::Variant(
                cs.iter()
                    .map(|(l, t)| Ok((l.clone(), t.map(|t| self.valtype(t)).transpose()?)))
                    .collect::<Result<_, Error>>()?,
            ),
            DefValType::List(t) => ValType::List(b(*t)?),
            DefValType::FixedList(t, n) => ValType::FixedList(b(*t)?, *n),
            DefValType::Tuple(ts) => ValType::Tuple(
                ts.iter()
                    .map(|t| self.valtype(*t))
                    .collect::<Result<_, Error>>()?,
            ),
            DefValType::Flags(ls) => ValType::Flags(ls.clone()),
            DefValType::Enum(ls) => ValType::Enum(ls.clone()),
            DefValType::Option(t) => ValType::Option(b(*t)?),
            DefValType::Result(ok, err) => {
                ValType::Result(ok.map(b).transpose()?, err.map(b).transpose()?)
            }
            DefValType::Own(i) => ValType::Own(self.resource(*i)?),
            DefValType::Borrow(i) => ValType::Borrow(self.resource(*i)?),
            DefValType::Stream(t) => ValType::Stream(t.map(b).transpose()?),
            DefValType::Future(t) => ValType::Future(t.map(b).transpose()?),
            DefValType::Map(k, v) => ValType::Map(b(*k)?, b(*v)?),
        })
    }

    fn options(&self, opts: &[CanonOpt]) -> Result<Options, Error> {
        let mut o = Options::default();
        for opt in opts {
            match *opt {
                CanonOpt::Utf8 => o.abi.string_encoding = StringEncoding::Utf8,
                CanonOpt::Utf16 => o.abi.string_encoding = StringEncoding::Utf16,
                CanonOpt::Latin1Utf16 => o.abi.string_encoding = StringEncoding::Latin1Utf16,
                CanonOpt::Memory(m) => match self.core(CoreSort::Memory, m)? {
                    ExternVal::Mem(m) => {
                        o.memory = Some(m);
                        o.abi.memory = true;
                    }
                    _ => return Err(oob("memory", m)),
                },
                CanonOpt::Realloc(f) => {
                    o.realloc = Some(self.core_func(f)?);
                    o.abi.realloc = true;
                }
                CanonOpt::PostReturn(f) => o.post_return = Some(self.core_func(f)?),
                CanonOpt::Async => o.is_async = true,
                CanonOpt::Callback(f) => o.callback = Some(self.core_func(f)?),
            }
        }
        Ok(o)
    }

    fn core_func(&self, i: u32) -> Result<FuncAddr, Error> {
        self.core_funcs
            .get(i as usize)
            .copied()
            .ok_or_else(|| oob("core func", i))
    }

    fn snapshot(&self, parent: &Option<Arc<Env>>) -> Arc<Env> {
        Arc::new(Env {
            parent: parent.clone(),
            types: self.types.clone(),
            core_modules: self.core_modules.clone(),
            components: self.components.clone(),
        })
    }
}

fn prim(p: PrimValType) -> ValType {
    match p {
        PrimValType::Bool => ValType::Bool,
        PrimValType::S8 => ValType::S8,
        PrimValType::U8 => ValType::U8,
        PrimValType::S16 => ValType::S16,
        PrimValType::U16 => ValType::U16,
        PrimValType::S32 => ValType::S32,
        PrimValType::U32 => ValType::U32,
        PrimValType::S64 => ValType::S64,
        PrimValType::U64 => ValType::U64,
        PrimValType::F32 => ValType::F32,
        PrimValType::F64 => ValType::F64,
        PrimValType::Char => ValType::Char,
        PrimValType::String => ValType::String,
        PrimValType::ErrorContext => ValType::ErrorContext,
    }
}

/// Instantiation of one component, with the store and state it builds in.
struct Instantiator<'a> {
    store: &'a mut Store,
    state: &'a Shared,
    features: Features,
}

impl Instantiator<'_> {
    /// Explainer: instantiate — evaluates the definitions in order with the
    /// import `args` (by name); returns the instance's exports.
    fn instantiate(
        &mut self,
        closure: &Closure,
        args: &HashMap<String, Item>,
        parent: Option<u32>,
    ) -> Result<Arc<Exports>, Error> {
        let inst = {
            let mut st = lock(self.state)?;
            st.insts.push(InstState {
                parent,
                handles: Table::default(),
                may_enter: true,
                may_leave: true,
                backpressure: 0,
                threads: Table::default(),
                num_waiting_to_enter: 0,
                exclusive_thread: None,
            });
            (st.insts.len() - 1) as u32
        };
        let mut sp = Spaces::default();
        let mut exports = Exports::default();
        for def in &closure.component.defs {
            match def {
                Definition::CoreModule(m) => sp.core_modules.push(m.clone()),
                Definition::CoreInstance(ci) => {
                    let exports = self.core_instance(&sp, ci)?;
                    sp.core_instances.push(Arc::new(exports));
                }
                Definition::CoreType(t) => sp.push_core_type(t),
                Definition::Component(c) => {
                    let env = sp.snapshot(&closure.env);
                    sp.components.push(Arc::new(Closure {
                        component: c.clone(),
                        env: Some(env),
                    }));
                }
                Definition::Instance(Instance::Instantiate { component, args }) => {
                    let c = sp
                        .components
                        .get(*component as usize)
                        .cloned()
                        .ok_or_else(|| oob("component", *component))?;
                    let mut named = HashMap::new();
                    for (n, s) in args {
                        named.insert(n.clone(), sp.item(*s)?);
                    }
                    let e = self.instantiate(&c, &named, Some(inst))?;
                    sp.instances.push(e);
                }
                Definition::Instance(Instance::Exports(list)) => {
                    let mut e = Exports::default();
                    for (n, s) in list {
                        e.0.push((n.name.clone(), sp.item(*s)?));
                    }
                    sp.instances.push(Arc::new(e));
                }
                Definition::Alias(a) => self.alias(&mut sp, &closure.env, a)?,
                Definition::Type(t) => {
                    let t = self.deftype(&sp, t, inst)?;
                    sp.types.push(t);
                }
                Definition::Canon(c) => self.canon(&mut sp, c, inst)?,
                Definition::Start(s) => {
                    let f = sp
                        .funcs
                        .get(s.func as usize)
                        .cloned()
                        .ok_or_else(|| oob("func", s.func))?;
                    let vals = s
                        .args
                        .iter()
                        .map(|&v| {
                            sp.values
                                .get(v as usize)
                                .cloned()
                                .ok_or_else(|| oob("value", v))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let result = call_from_host(self.store, self.state, &f, vals)?;
                    sp.values.extend(result);
                }
                Definition::Import(im) => {
                    let name = &im.name.name;
                    let item = args
                        .get(name)
                        .cloned()
                        .ok_or_else(|| unlinkable(format!("missing import named `{name}`")))?;
                    let item = match (im.desc, item) {
                        (ExternDesc::Type(TypeBound::Eq(i)), _) => Item::Type(sp.ty(i)?.clone()),
                        (d, item) => {
                            check_sort(d, &item, name)?;
                            item
                        }
                    };
                    sp.push(item);
                }
                Definition::Export(ex) => {
                    let item = sp.item(ex.item)?;
                    exports.0.push((ex.name.name.clone(), item.clone()));
                    sp.push(item);
                }
                Definition::Value(v) => {
                    let _ = v;
                    return Err(unlinkable(
                        "value definitions are not supported yet by reference-vm",
                    ));
                }
            }
        }
        Ok(Arc::new(exports))
    }

    /// Core instantiation: `(instantiate m (with name (instance i))*)` or
    /// inline exports.
    fn core_instance(
        &mut self,
        sp: &Spaces,
        ci: &CoreInstance,
    ) -> Result<Vec<(String, ExternVal)>, Error> {
        match ci {
            CoreInstance::Exports(list) => list
                .iter()
                .map(|(n, s, i)| Ok((n.clone(), sp.core(*s, *i)?)))
                .collect(),
            CoreInstance::Instantiate { module, args } => {
                let m = sp
                    .core_modules
                    .get(*module as usize)
                    .ok_or_else(|| oob("core module", *module))?;
                let valid = match m.valid.get() {
                    Some(v) => v.clone(),
                    None => {
                        let v = crate::valid::validate_module(&m.module, &self.features)
                            .map_err(|e| unlinkable(e.to_string()))?;
                        m.valid.get_or_init(|| Arc::new(v)).clone()
                    }
                };
                let mut externs = Vec::with_capacity(m.module.imports.len());
                for im in &m.module.imports {
                    let provider = args
                        .iter()
                        .find(|(n, _)| *n == im.module)
                        .and_then(|(_, i)| sp.core_instances.get(*i as usize))
                        .ok_or_else(|| {
                            unlinkable(format!("unknown import: `{}` not provided", im.module))
                        })?;
                    let v = provider
                        .iter()
                        .find(|(n, _)| *n == im.name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| {
                            unlinkable(format!("unknown import `{}::{}`", im.module, im.name))
                        })?;
                    externs.push(v);
                }
                let addr = self
                    .store
                    .instantiate(&valid, &externs)
                    .map_err(|e| match e {
                        crate::exec::InstantiateError::Link(l) => unlinkable(l.to_string()),
                        crate::exec::InstantiateError::Trap(t) => Error::Trap(Trap::from(t)),
                    })?;
                Ok(self.store.exports(addr))
            }
        }
    }

    fn alias(&mut self, sp: &mut Spaces, env: &Option<Arc<Env>>, a: &Alias) -> Result<(), Error> {
        match a {
            Alias::InstanceExport {
                sort,
                instance,
                name,
            } => {
                let e = sp
                    .instances
                    .get(*instance as usize)
                    .ok_or_else(|| oob("instance", *instance))?;
                let item = e
                    .get(name)
                    .cloned()
                    .ok_or_else(|| unlinkable(format!("instance has no export named `{name}`")))?;
                let _ = sort;
                sp.push(item);
            }
            Alias::CoreInstanceExport {
                sort,
                instance,
                name,
            } => {
                let e = sp
                    .core_instances
                    .get(*instance as usize)
                    .ok_or_else(|| oob("core instance", *instance))?;
                let v = e
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| unlinkable(format!("core instance has no export `{name}`")))?;
                let _ = sort;
                sp.push_core(v);
            }
            Alias::Outer { sort, count, idx } => {
                let i = *idx as usize;
                if *count == 0 {
                    match sort {
                        Sort::Core(CoreSort::Type) => {
                            let t = sp.core_types.get(i).cloned().flatten();
                            sp.core_types.push(t);
                        }
                        _ => {
                            let item = sp.item(SortIdx {
                                sort: *sort,
                                idx: *idx,
                            })?;
                            sp.push(item);
                        }
                    }
                    return Ok(());
                }
                let mut scope = env.clone();
                for _ in 1..*count {
                    scope = scope.and_then(|e| e.parent.clone());
                }
                let scope = scope.ok_or_else(|| unlinkable("invalid outer alias count"))?;
                match sort {
                    Sort::Type => sp.types.push(
                        scope
                            .types
                            .get(i)
                            .cloned()
                            .ok_or_else(|| oob("type", *idx))?,
                    ),
                    Sort::Core(CoreSort::Type) => sp.core_types.push(None),
                    Sort::Core(CoreSort::Module) => sp.core_modules.push(
                        scope
                            .core_modules
                            .get(i)
                            .cloned()
                            .ok_or_else(|| oob("core module", *idx))?,
                    ),
                    Sort::Component => sp.components.push(
                        scope
                            .components
                            .get(i)
                            .cloned()
                            .ok_or_else(|| oob("component", *idx))?,
                    ),
                    _ => {
                        return Err(unlinkable(
                            "outer aliases may only refer to types, modules and components",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn deftype(&mut self, sp: &Spaces, t: &DefType, inst: u32) -> Result<Type, Error> {
        Ok(match t {
            DefType::Val(d) => Type::Val(sp.defvaltype(d)?),
            DefType::Func(ft) => Type::Func(Arc::new(sp.functype(ft)?)),
            DefType::Resource { dtor, .. } => {
                let dtor = match dtor {
                    Some(f) => Dtor::Core(sp.core_func(*f)?),
                    None => Dtor::None,
                };
                let mut st = lock(self.state)?;
                st.resources.push(ResourceDef {
                    dtor,
                    inst: Some(inst),
                });
                Type::Resource(ResourceType((st.resources.len() - 1) as u32))
            }
            DefType::Component(_) | DefType::Instance(_) => Type::Other,
        })
    }

    fn canon(&mut self, sp: &mut Spaces, c: &Canon, inst: u32) -> Result<(), Error> {
        let i32_ = core::ValType::I32;
        match c {
            Canon::Lift { func, opts, ty } => {
                let ty = match sp.ty(*ty)? {
                    Type::Func(f) => f.clone(),
                    _ => {
                        return Err(unlinkable(format!(
                            "type index {ty} is not a function type"
                        )));
                    }
                };
                sp.funcs.push(Callee::Lifted(Arc::new(Func {
                    ty,
                    core: sp.core_func(*func)?,
                    opts: sp.options(opts)?,
                    inst,
                })));
            }
            Canon::Lower { func, opts } => {
                let callee = sp
                    .funcs
                    .get(*func as usize)
                    .cloned()
                    .ok_or_else(|| oob("func", *func))?;
                let opts = sp.options(opts)?;
                // flatten_functype depends on the `async` option, not the type's.
                let ft = FuncType {
                    is_async: opts.is_async,
                    ..(**callee.ty()).clone()
                };
                let core_ty = core_functype(&abi::flatten_functype(
                    &ft,
                    abi::FlattenContext::Lower,
                    false,
                ));
                let state = self.state.clone();
                let f = self.store.alloc_store_func(
                    core_ty,
                    Arc::new(move |store: &mut Store, args: &[Val]| {
                        canon_lower(store, &state, &callee, &opts, inst, args).map_err(Into::into)
                    }),
                );
                sp.core_funcs.push(f);
            }
            Canon::ResourceNew(rt) | Canon::ResourceDrop(rt) | Canon::ResourceRep(rt) => {
                let rt = sp.resource(*rt)?;
                // CanonicalABI: resource.new and .rep are [i32] -> [i32], .drop [i32] -> [].
                let (op, results): (ResourceOp, &[core::ValType]) = match c {
                    Canon::ResourceNew(_) => (canon_resource_new, &[i32_]),
                    Canon::ResourceDrop(_) => (canon_resource_drop, &[]),
                    _ => (canon_resource_rep, &[i32_]),
                };
                let state = self.state.clone();
                let f = self.store.alloc_store_func(
                    core::FuncType::new(vec![i32_], results.to_vec()),
                    Arc::new(move |store: &mut Store, args: &[Val]| {
                        op(store, &state, inst, rt, arg_u32(args)).map_err(Into::into)
                    }),
                );
                sp.core_funcs.push(f);
            }
            Canon::Builtin(b) => {
                let ty = builtin_type(b, sp)?;
                let state = self.state.clone();
                let b = resolve_builtin(b, sp)?;
                let f = self.store.alloc_store_func(
                    ty,
                    Arc::new(move |store: &mut Store, args: &[Val]| {
                        canon_builtin(store, &state, inst, &b, args).map_err(Into::into)
                    }),
                );
                sp.core_funcs.push(f);
            }
        }
        Ok(())
    }
}

/// The payload type of a `stream` or `future` type index.
fn payload(sp: &Spaces, i: u32) -> Result<Option<ValType>, Error> {
    match sp.ty(i)? {
        Type::Val(ValType::Stream(p) | ValType::Future(p)) => Ok(p.as_deref().cloned()),
        _ => Err(unlinkable(format!(
            "type index {i} is not a stream or future type"
        ))),
    }
}

/// Resolves a built-in's immediates (types, options, memories, tables).
fn resolve_builtin(b: &Builtin, sp: &Spaces) -> Result<Resolved, Error> {
    use EndKind::*;
    Ok(match b {
        Builtin::TaskReturn(t, opts) => {
            Resolved::TaskReturn(t.map(|t| sp.valtype(t)).transpose()?, sp.options(opts)?)
        }
        Builtin::WaitableSetWait(c, m) | Builtin::WaitableSetPoll(c, m) => {
            let ExternVal::Mem(mem) = sp.core(CoreSort::Memory, *m)? else {
                return Err(oob("memory", *m));
            };
            Resolved::Wait(matches!(b, Builtin::WaitableSetWait(..)), *c, mem)
        }
        Builtin::StreamNew(t) => Resolved::New(ReadableStream, payload(sp, *t)?),
        Builtin::FutureNew(t) => Resolved::New(ReadableFuture, payload(sp, *t)?),
        Builtin::StreamRead(t, o) => {
            Resolved::Copy(ReadableStream, payload(sp, *t)?, sp.options(o)?)
        }
        Builtin::StreamWrite(t, o) => {
            Resolved::Copy(WritableStream, payload(sp, *t)?, sp.options(o)?)
        }
        Builtin::FutureRead(t, o) => {
            Resolved::Copy(ReadableFuture, payload(sp, *t)?, sp.options(o)?)
        }
        Builtin::FutureWrite(t, o) => {
            Resolved::Copy(WritableFuture, payload(sp, *t)?, sp.options(o)?)
        }
        Builtin::StreamCancelRead(t, a) => {
            Resolved::CancelCopy(ReadableStream, payload(sp, *t)?, *a)
        }
        Builtin::StreamCancelWrite(t, a) => {
            Resolved::CancelCopy(WritableStream, payload(sp, *t)?, *a)
        }
        Builtin::FutureCancelRead(t, a) => {
            Resolved::CancelCopy(ReadableFuture, payload(sp, *t)?, *a)
        }
        Builtin::FutureCancelWrite(t, a) => {
            Resolved::CancelCopy(WritableFuture, payload(sp, *t)?, *a)
        }
        Builtin::StreamDropReadable(t) => Resolved::Drop(ReadableStream, payload(sp, *t)?),
        Builtin::StreamDropWritable(t) => Resolved::Drop(WritableStream, payload(sp, *t)?),
        Builtin::FutureDropReadable(t) => Resolved::Drop(ReadableFuture, payload(sp, *t)?),
        Builtin::FutureDropWritable(t) => Resolved::Drop(WritableFuture, payload(sp, *t)?),
        Builtin::ErrorContextNew(o) => Resolved::ErrorContext(true, sp.options(o)?),
        Builtin::ErrorContextDebugMessage(o) => Resolved::ErrorContext(false, sp.options(o)?),
        Builtin::ThreadNewIndirect(ft, tbl) => {
            let ft = sp.core_types.get(*ft as usize).cloned().flatten();
            Resolved::ThreadNew(ft, sp.core(CoreSort::Table, *tbl)?)
        }
        b => Resolved::Other(b.clone()),
    })
}

/// The item for a host item.
fn host_item(item: HostItem) -> Item {
    match item {
        HostItem::Func(ty, f) => Item::Func(Callee::Host(Arc::new(ty), HostImpl::Plain(f))),
        HostItem::FuncCx(ty, f) => Item::Func(Callee::Host(Arc::new(ty), HostImpl::Cx(f))),
        HostItem::FuncAsync(ty, f) => Item::Func(Callee::Host(Arc::new(ty), HostImpl::Async(f))),
        HostItem::Resource(rt) => Item::Type(Type::Resource(rt)),
        HostItem::Type(vt) => Item::Type(Type::Val(vt)),
        HostItem::Instance(items) => Item::Instance(Arc::new(Exports(
            items.into_iter().map(|(n, i)| (n, host_item(i))).collect(),
        ))),
    }
}

/// An import by name: the registered item of that name, or else, for a
/// versioned interface name (`ns:pkg/iface@1.2.3`), the highest registered
/// version it is compatible with by semver (same major version, or same
/// minor for 0.x, and no older than asked).
fn resolve_import<'a>(registered: &'a HashMap<String, Item>, name: &str) -> Option<&'a Item> {
    if let Some(item) = registered.get(name) {
        return Some(item);
    }
    let (base, want) = split_version(name)?;
    registered
        .iter()
        .filter_map(|(n, item)| {
            let (b, have) = split_version(n)?;
            let compatible = b == base
                && have.0 == want.0
                && (want.0 > 0 || have.1 == want.1)
                && (want.0 > 0 || want.1 > 0 || have.2 == want.2)
                && have >= want;
            compatible.then_some((have, item))
        })
        .max_by_key(|(v, _)| *v)
        .map(|(_, item)| item)
}

/// `ns:pkg/iface@MAJOR.MINOR.PATCH` into the name and the version (a
/// pre-release or build suffix makes no match).
fn split_version(name: &str) -> Option<(&str, (u64, u64, u64))> {
    let (base, v) = name.rsplit_once('@')?;
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some((base, version))
}

/// Whether an import's item has the sort its type says.
fn check_sort(d: ExternDesc, item: &Item, name: &str) -> Result<(), Error> {
    let ok = matches!(
        (d, item),
        (ExternDesc::CoreModule(_), Item::CoreModule(_))
            | (ExternDesc::Func(_), Item::Func(_))
            | (ExternDesc::Value(_), Item::Value(_))
            | (ExternDesc::Type(_), Item::Type(_))
            | (ExternDesc::Component(_), Item::Component(_))
            | (ExternDesc::Instance(_), Item::Instance(_))
    );
    if ok {
        Ok(())
    } else {
        Err(unlinkable(format!("type mismatch in import `{name}`")))
    }
}

/// A flattened signature as a core function type.
fn core_functype(ft: &abi::CoreFuncType) -> core::FuncType {
    let t = |c: &abi::CoreType| match c {
        abi::CoreType::I32 => core::ValType::I32,
        abi::CoreType::I64 => core::ValType::I64,
        abi::CoreType::F32 => core::ValType::F32,
        abi::CoreType::F64 => core::ValType::F64,
    };
    core::FuncType::new(
        ft.params.iter().map(t).collect::<Vec<_>>(),
        ft.results.iter().map(t).collect::<Vec<_>>(),
    )
}

fn arg_u32(args: &[Val]) -> u32 {
    match args.first() {
        Some(Val::I32(i)) => *i,
        _ => 0,
    }
}

/// The context the Canonical ABI lifts from and lowers into: one component
/// instance with one set of options, during one call.
struct Cx<'a> {
    store: &'a mut Store,
    state: &'a Mutex<State>,
    inst: u32,
    opts: &'a Options,
    /// Lifting: the handles lent to the callee (`Subtask.lenders`).
    lenders: Vec<u32>,
    /// Lowering: the task borrowed handles count against.
    task: Option<usize>,
    /// Lowering: the encoding of the side the strings were lifted from
    /// (the host's strings are UTF-8).
    src_encoding: StringEncoding,
}

impl<'a> Cx<'a> {
    fn new(store: &'a mut Store, state: &'a Mutex<State>, inst: u32, opts: &'a Options) -> Cx<'a> {
        Cx {
            store,
            state,
            inst,
            opts,
            lenders: Vec::new(),
            task: None,
            src_encoding: StringEncoding::Utf8,
        }
    }

    fn mem(&self) -> Result<MemAddr, abi::Trap> {
        self.opts.memory.ok_or(abi::Trap::NoMemory)
    }
}

impl abi::Context for Cx<'_> {
    fn options(&self) -> &abi::Options {
        &self.opts.abi
    }

    fn memory_len(&self) -> usize {
        self.opts.memory.map_or(0, |m| self.store.memory_len(m))
    }

    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), abi::Trap> {
        self.store
            .memory_read(self.mem()?, addr as u64, buf)
            .map_err(abi::Trap::Core)
    }

    fn write(&mut self, addr: usize, bytes: &[u8]) -> Result<(), abi::Trap> {
        let m = self.mem()?;
        self.store
            .memory_write(m, addr as u64, bytes)
            .map_err(abi::Trap::Core)
    }

    /// LiftLowerContext.reallocate: the instance may not leave meanwhile.
    fn realloc(
        &mut self,
        old: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, abi::Trap> {
        let f = self.opts.realloc.ok_or(abi::Trap::NoRealloc)?;
        set_may_leave(self.state, self.inst, false).map_err(to_abi)?;
        // `reallocate` runs `realloc` as a new task with a thread of its own
        // (`canon_lift`): what it can observe of that is a fresh `storage`
        // (every other built-in traps while the instance may not leave).
        let saved = concurrency::swap_storage(self.state, [0; 2]).map_err(to_abi)?;
        let r = self
            .store
            .invoke(
                f,
                &[
                    Val::I32(old),
                    Val::I32(old_size),
                    Val::I32(align),
                    Val::I32(new_size),
                ],
            )
            .map_err(abi::Trap::Core)?;
        concurrency::swap_storage(self.state, saved).map_err(to_abi)?;
        set_may_leave(self.state, self.inst, true).map_err(to_abi)?;
        match r.as_slice() {
            [Val::I32(p)] => Ok(*p),
            _ => Err(abi::Trap::Context("realloc returned no i32".into())),
        }
    }

    /// lift_own
    fn lift_own(&mut self, rt: ResourceType, i: u32) -> Result<u32, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        let t = &mut st.inst(self.inst).handles;
        let h = t.get(i).map_err(to_abi)?;
        check_type(h, rt, i).map_err(to_abi)?;
        if h.num_lends != 0 {
            return Err(to_abi(trap("cannot remove owned resource while borrowed")));
        }
        if !h.own {
            return Err(to_abi(trap(format!(
                "handle index {i} is a borrow, expected an own handle"
            ))));
        }
        Ok(t.remove_resource(i).map_err(to_abi)?.rep)
    }

    /// lift_borrow
    fn lift_borrow(&mut self, rt: ResourceType, i: u32) -> Result<u32, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        let h = st.inst(self.inst).handles.get_mut(i).map_err(to_abi)?;
        check_type(h, rt, i).map_err(to_abi)?;
        h.num_lends += 1;
        let rep = h.rep;
        self.lenders.push(i);
        Ok(rep)
    }

    /// lower_own
    fn lower_own(&mut self, rt: ResourceType, rep: u32) -> Result<u32, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        st.inst(self.inst)
            .handles
            .add(Element::Resource(Handle {
                rt,
                rep,
                own: true,
                scope: None,
                num_lends: 0,
            }))
            .map_err(to_abi)
    }

    /// lower_borrow: the resource's own instance gets the rep itself.
    fn lower_borrow(&mut self, rt: ResourceType, rep: u32) -> Result<u32, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        if st.resources.get(rt.0 as usize).and_then(|r| r.inst) == Some(self.inst) {
            return Ok(rep);
        }
        let task = self.task;
        if let Some(Ok(t)) = task.map(|t| st.task_mut(t)) {
            t.num_borrows += 1;
        }
        st.inst(self.inst)
            .handles
            .add(Element::Resource(Handle {
                rt,
                rep,
                own: false,
                scope: task,
                num_lends: 0,
            }))
            .map_err(to_abi)
    }

    fn string_source(&self, s: &str) -> (StringEncoding, u64) {
        abi::string_source_of(s, self.src_encoding, false)
    }

    /// lift_stream / lift_future / lift_error_context
    fn lift_handle(&mut self, t: &ValType, i: u32) -> Result<Value, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        concurrency::lift_handle(&mut st, self.inst, t, i).map_err(to_abi)
    }

    /// lower_stream / lower_future / lower_error_context
    fn lower_handle(&mut self, t: &ValType, v: &Value) -> Result<u32, abi::Trap> {
        let mut st = lock(self.state).map_err(to_abi)?;
        concurrency::lower_handle(&mut st, self.inst, t, v).map_err(to_abi)
    }
}

fn to_abi(t: Trap) -> abi::Trap {
    match t {
        Trap::Core(t) => abi::Trap::Core(t),
        Trap::Component(s) => abi::Trap::Context(s),
    }
}

/// The wrong-type trap of handle operations.
fn check_type(h: &Handle, rt: ResourceType, i: u32) -> Result<(), Trap> {
    if h.rt == rt {
        Ok(())
    } else {
        Err(trap(format!(
            "handle index {i} used with the wrong type, expected guest-defined resource but found a different guest-defined resource"
        )))
    }
}

fn set_may_leave(state: &Mutex<State>, inst: u32, v: bool) -> Result<(), Trap> {
    lock(state)?.inst(inst).may_leave = v;
    Ok(())
}

/// Who calls a lifted function: the host, or a component instance whose
/// options have this string encoding.
#[derive(Clone, Copy)]
struct Caller {
    inst: u32,
    encoding: StringEncoding,
}

/// A resource built-in: `resource.new`, `resource.drop` or `resource.rep`
/// of one resource type, on its argument.
type ResourceOp = fn(&mut Store, &Shared, u32, ResourceType, u32) -> Result<Vec<Val>, Trap>;

/// canon resource.new
fn canon_resource_new(
    _: &mut Store,
    state: &Shared,
    inst: u32,
    rt: ResourceType,
    rep: u32,
) -> Result<Vec<Val>, Trap> {
    let mut st = lock(state)?;
    st.check_leave(inst)?;
    let i = st.inst(inst).handles.add(Element::Resource(Handle {
        rt,
        rep,
        own: true,
        scope: None,
        num_lends: 0,
    }))?;
    Ok(vec![Val::I32(i)])
}

/// canon resource.drop: an own handle runs the destructor in the
/// resource's instance; a borrow handle ends its borrow.
fn canon_resource_drop(
    store: &mut Store,
    state: &Shared,
    inst: u32,
    rt: ResourceType,
    i: u32,
) -> Result<Vec<Val>, Trap> {
    let (h, dtor, impl_inst) = {
        let mut st = lock(state)?;
        st.check_leave(inst)?;
        let h = st.inst(inst).handles.get(i)?;
        check_type(h, rt, i)?;
        if h.num_lends != 0 {
            return Err(trap("cannot remove owned resource while borrowed"));
        }
        let h = st.inst(inst).handles.remove_resource(i)?;
        if !h.own {
            if let Some(Ok(t)) = h.scope.map(|t| st.task_mut(t)) {
                t.num_borrows = t.num_borrows.saturating_sub(1);
            }
            return Ok(Vec::new());
        }
        let def = &st.resources[rt.0 as usize];
        (h, def.dtor.clone(), def.inst)
    };
    match (dtor, impl_inst) {
        (Dtor::Host(d), _) => d(h.rep),
        // Store.lift(dtor, [u32] -> [], rt.impl), lowered into `inst` and called.
        (Dtor::Core(dtor), Some(impl_inst)) => {
            let callee = Callee::Lifted(Arc::new(Func {
                ty: Arc::new(FuncType {
                    is_async: false,
                    params: vec![(String::new(), ValType::U32)],
                    result: None,
                }),
                core: dtor,
                opts: Options::default(),
                inst: impl_inst,
            }));
            canon_lower(
                store,
                state,
                &callee,
                &Options::default(),
                inst,
                &[Val::I32(h.rep)],
            )?;
        }
        _ => {}
    }
    Ok(Vec::new())
}

/// canon resource.rep
fn canon_resource_rep(
    _: &mut Store,
    state: &Shared,
    inst: u32,
    rt: ResourceType,
    i: u32,
) -> Result<Vec<Val>, Trap> {
    let mut st = lock(state)?;
    let h = st.inst(inst).handles.get(i)?;
    check_type(h, rt, i)?;
    Ok(vec![Val::I32(h.rep)])
}

/// The core function type of a built-in (CanonicalABI.md: "`$f` is given
/// type ...").
fn builtin_type(b: &Builtin, sp: &Spaces) -> Result<core::FuncType, Error> {
    use core::ValType::{I32, I64};
    let (params, results): (&[core::ValType], &[core::ValType]) = match b {
        Builtin::BackpressureInc | Builtin::BackpressureDec | Builtin::TaskCancel => (&[], &[]),
        Builtin::TaskReturn(t, _) => {
            let ft = FuncType {
                is_async: false,
                params: t
                    .map(|t| sp.valtype(t))
                    .transpose()?
                    .map(|t| vec![(String::new(), t)])
                    .unwrap_or_default(),
                result: None,
            };
            return Ok(core_functype(&abi::flatten_functype(
                &ft,
                abi::FlattenContext::Lower,
                false,
            )));
        }
        Builtin::ContextGet(t, _) => return Ok(core::FuncType::new(vec![], vec![*t])),
        Builtin::ContextSet(t, _) => return Ok(core::FuncType::new(vec![*t], vec![])),
        Builtin::WaitableSetNew
        | Builtin::ThreadIndex
        | Builtin::ThreadSuspend(_)
        | Builtin::ThreadYield(_)
        | Builtin::ThreadAvailableParallelism(_) => (&[], &[I32]),
        Builtin::WaitableSetWait(..) | Builtin::WaitableSetPoll(..) => (&[I32, I32], &[I32]),
        Builtin::WaitableSetDrop
        | Builtin::SubtaskDrop
        | Builtin::StreamDropReadable(_)
        | Builtin::StreamDropWritable(_)
        | Builtin::FutureDropReadable(_)
        | Builtin::FutureDropWritable(_)
        | Builtin::ErrorContextDrop
        | Builtin::ThreadResumeLater => (&[I32], &[]),
        Builtin::WaitableJoin | Builtin::ErrorContextDebugMessage(_) => (&[I32, I32], &[]),
        Builtin::SubtaskCancel(_)
        | Builtin::StreamCancelRead(..)
        | Builtin::StreamCancelWrite(..)
        | Builtin::FutureCancelRead(..)
        | Builtin::FutureCancelWrite(..)
        | Builtin::ThreadSuspendThenResume(_)
        | Builtin::ThreadYieldThenResume(_)
        | Builtin::ThreadSuspendThenPromote(_)
        | Builtin::ThreadYieldThenPromote(_) => (&[I32], &[I32]),
        Builtin::StreamNew(_) | Builtin::FutureNew(_) => (&[], &[I64]),
        Builtin::StreamRead(..) | Builtin::StreamWrite(..) => (&[I32, I32, I32], &[I32]),
        Builtin::FutureRead(..)
        | Builtin::FutureWrite(..)
        | Builtin::ErrorContextNew(_)
        | Builtin::ThreadNewIndirect(..)
        | Builtin::ThreadSpawnIndirect(..) => (&[I32, I32], &[I32]),
        Builtin::ThreadSpawnRef(..) => {
            return Err(unlinkable(
                "thread.spawn-ref is not supported yet by reference-vm",
            ));
        }
    };
    Ok(core::FuncType::new(params.to_vec(), results.to_vec()))
}
