//! Component structure (Explainer.md, "Component Definitions"; Binary.md):
//! the abstract syntax a component binary decodes to. Index spaces are
//! built incrementally, so a component is its definitions in binary order.

use std::sync::{Arc, OnceLock};

use crate::syntax as core;
use crate::valid::ValidModule;

/// A component: its definitions in the order of the binary.
#[derive(Clone, Debug, Default)]
pub struct Component {
    /// Definitions, in order (a section of N items gives N definitions).
    pub defs: Vec<Definition>,
    /// The `component-name` custom section's component name, if any.
    pub name: Option<String>,
}

/// Explainer: definition.
#[derive(Clone, Debug)]
pub enum Definition {
    /// `(core module ...)`: a nested core module (section 1).
    CoreModule(Arc<CoreModule>),
    /// `(core instance ...)` (section 2).
    CoreInstance(CoreInstance),
    /// `(core type ...)` (section 3).
    CoreType(CoreType),
    /// `(component ...)`: a nested component (section 4).
    Component(Arc<Component>),
    /// `(instance ...)` (section 5).
    Instance(Instance),
    /// `(alias ...)` (section 6).
    Alias(Alias),
    /// `(type ...)` (section 7).
    Type(DefType),
    /// `(canon ...)` (section 8).
    Canon(Canon),
    /// `(start ...)` (section 9, 🪙).
    Start(Start),
    /// `(import ...)` (section 10).
    Import(Import),
    /// `(export ...)` (section 11).
    Export(Export),
    /// `(value ...)` (section 12, 🪙).
    Value(ValueDef),
}

/// A nested core module: decoded by the core decoder; validation fills
/// `valid` (the translated code instantiation uses).
#[derive(Debug)]
pub struct CoreModule {
    /// The decoded module.
    pub module: Arc<core::Module>,
    /// The validated module, set by component validation.
    pub valid: OnceLock<Arc<ValidModule>>,
}

/// Binary: core:sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreSort {
    /// `func` (0x00)
    Func,
    /// `table` (0x01)
    Table,
    /// `memory` (0x02)
    Memory,
    /// `global` (0x03)
    Global,
    /// `tag` (0x04)
    Tag,
    /// `type` (0x10)
    Type,
    /// `module` (0x11)
    Module,
    /// `instance` (0x12)
    Instance,
}

/// Binary: sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sort {
    /// `core <core:sort>` (0x00)
    Core(CoreSort),
    /// `func` (0x01)
    Func,
    /// `value` (0x02, 🪙)
    Value,
    /// `type` (0x03)
    Type,
    /// `component` (0x04)
    Component,
    /// `instance` (0x05)
    Instance,
}

/// Binary: sortidx / core:sortidx.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SortIdx {
    /// The index space.
    pub sort: Sort,
    /// The index in it.
    pub idx: u32,
}

/// Binary: core:instanceexpr.
#[derive(Clone, Debug)]
pub enum CoreInstance {
    /// `(instantiate m (with name (instance i))*)`
    Instantiate {
        /// The core module index.
        module: u32,
        /// `with` arguments: name and core instance index.
        args: Vec<(String, u32)>,
    },
    /// A bundle of inline exports: name and core sort index.
    Exports(Vec<(String, CoreSort, u32)>),
}

/// Binary: instanceexpr.
#[derive(Clone, Debug)]
pub enum Instance {
    /// `(instantiate c (with name sortidx)*)`
    Instantiate {
        /// The component index.
        component: u32,
        /// `with` arguments.
        args: Vec<(String, SortIdx)>,
    },
    /// A bundle of inline exports.
    Exports(Vec<(ExternName, SortIdx)>),
}

/// Binary: alias.
#[derive(Clone, Debug)]
pub enum Alias {
    /// `(alias export i n (sort))`: an export of a component instance.
    InstanceExport {
        /// The aliased sort.
        sort: Sort,
        /// The instance index.
        instance: u32,
        /// The export name.
        name: String,
    },
    /// `(alias core export i n (sort))`: an export of a core instance.
    CoreInstanceExport {
        /// The aliased core sort.
        sort: CoreSort,
        /// The core instance index.
        instance: u32,
        /// The export name.
        name: String,
    },
    /// `(alias outer ct idx (sort))`.
    Outer {
        /// The aliased sort (core type, type, core module or component).
        sort: Sort,
        /// How many enclosing scopes out (0 = this one).
        count: u32,
        /// The index in the target scope's index space.
        idx: u32,
    },
}

/// Binary: core:type (a core type definition in a component or module type).
#[derive(Clone, Debug)]
pub enum CoreType {
    /// A core rec group (WebAssembly 3.0 `rectype`, or one `sub`).
    Rec(Vec<core::SubType>),
    /// `(module md*)`: a core module type.
    Module(Vec<CoreModuleDecl>),
}

/// Binary: core:moduledecl.
#[derive(Clone, Debug)]
pub enum CoreModuleDecl {
    /// `(import ...)`
    Import(core::Import),
    /// `(type ...)`
    Type(CoreType),
    /// `(alias outer ct idx (type))`
    OuterAlias {
        /// Scopes out.
        count: u32,
        /// Core type index there.
        idx: u32,
    },
    /// `(export n t)`: `t` is a core `externtype` (function types by index).
    Export(String, core::ImportDesc),
}

/// Binary: primvaltype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrimValType {
    /// `bool` (0x7f)
    Bool,
    /// `s8` (0x7e)
    S8,
    /// `u8` (0x7d)
    U8,
    /// `s16` (0x7c)
    S16,
    /// `u16` (0x7b)
    U16,
    /// `s32` (0x7a)
    S32,
    /// `u32` (0x79)
    U32,
    /// `s64` (0x78)
    S64,
    /// `u64` (0x77)
    U64,
    /// `f32` (0x76)
    F32,
    /// `f64` (0x75)
    F64,
    /// `char` (0x74)
    Char,
    /// `string` (0x73)
    String,
    /// `error-context` (0x64, 📝)
    ErrorContext,
}

/// Binary: valtype — a primitive or a type index (to a defvaltype).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// A primitive value type.
    Prim(PrimValType),
    /// A type index.
    Idx(u32),
}

/// Binary: defvaltype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DefValType {
    /// A primitive value type.
    Prim(PrimValType),
    /// `(record (field l t)+)`
    Record(Vec<(String, ValType)>),
    /// `(variant (case l t?)+)`
    Variant(Vec<(String, Option<ValType>)>),
    /// `(list t)`
    List(ValType),
    /// `(list t len)` (🔧 fixed-length lists)
    FixedList(ValType, u32),
    /// `(tuple t+)`
    Tuple(Vec<ValType>),
    /// `(flags l+)`
    Flags(Vec<String>),
    /// `(enum l+)`
    Enum(Vec<String>),
    /// `(option t)`
    Option(ValType),
    /// `(result t? (error u)?)`
    Result(Option<ValType>, Option<ValType>),
    /// `(own i)`
    Own(u32),
    /// `(borrow i)`
    Borrow(u32),
    /// `(stream t?)` (🔀)
    Stream(Option<ValType>),
    /// `(future t?)` (🔀)
    Future(Option<ValType>),
    /// `(map k v)` (🗺️)
    Map(ValType, ValType),
}

/// Binary: functype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// `async` (0x43)
    pub is_async: bool,
    /// Labelled parameters.
    pub params: Vec<(String, ValType)>,
    /// The result, if any.
    pub result: Option<ValType>,
}

/// Binary: deftype.
#[derive(Clone, Debug)]
pub enum DefType {
    /// A defined value type.
    Val(DefValType),
    /// A function type.
    Func(FuncType),
    /// `(component cd*)`
    Component(Vec<ComponentDecl>),
    /// `(instance id*)`
    Instance(Vec<InstanceDecl>),
    /// `(resource (rep t) (dtor f)?)`
    Resource {
        /// The representation type (i32 today).
        rep: core::ValType,
        /// The destructor's core function index.
        dtor: Option<u32>,
    },
}

/// Binary: componentdecl.
#[derive(Clone, Debug)]
pub enum ComponentDecl {
    /// `(import na et)`
    Import(ExternName, ExternDesc),
    /// Any instance declarator.
    Instance(InstanceDecl),
}

/// Binary: instancedecl.
#[derive(Clone, Debug)]
pub enum InstanceDecl {
    /// A core type.
    CoreType(CoreType),
    /// A type.
    Type(DefType),
    /// An alias (only `export` of instance/type and `outer` of core type/type).
    Alias(Alias),
    /// `(export na et)`
    Export(ExternName, ExternDesc),
}

/// Binary: externtype (the description of an import or export).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternDesc {
    /// `(core module (type i))`
    CoreModule(u32),
    /// `(func (type i))`
    Func(u32),
    /// `(value b)` (🪙)
    Value(ValueBound),
    /// `(type b)`
    Type(TypeBound),
    /// `(component (type i))`
    Component(u32),
    /// `(instance (type i))`
    Instance(u32),
}

/// Binary: typebound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeBound {
    /// `(eq i)`
    Eq(u32),
    /// `(sub resource)`
    SubResource,
}

/// Binary: valuebound (🪙).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueBound {
    /// `(eq i)`: equal to value `i`.
    Eq(u32),
    /// A value of this type.
    Type(ValType),
}

/// Binary: nameattributes — an extern name and its attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExternName {
    /// The name (plainname, interfacename, ...), as written.
    pub name: String,
    /// `(implements "in")` (🏷️)
    pub implements: Option<String>,
    /// `(versionsuffix "vs")` (🔗)
    pub version_suffix: Option<String>,
    /// `(external-id n)` (🏷️)
    pub external_id: Option<String>,
    /// The first attribute kind given more than once (`"implements"`,
    /// `"version-suffix"`, `"external-id"`): kept by the decoder for
    /// validation to reject (Binary.md: each kind at most once).
    pub repeated_attribute: Option<&'static str>,
}

/// Binary: canonopt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CanonOpt {
    /// `string-encoding=utf8`
    Utf8,
    /// `string-encoding=utf16`
    Utf16,
    /// `string-encoding=latin1+utf16`
    Latin1Utf16,
    /// `(memory m)`
    Memory(u32),
    /// `(realloc f)`
    Realloc(u32),
    /// `(post-return f)`
    PostReturn(u32),
    /// `async` (🔀)
    Async,
    /// `(callback f)` (🔀)
    Callback(u32),
}

/// Binary: canon — each defines a component function (`lift`) or a core function.
#[derive(Clone, Debug)]
pub enum Canon {
    /// `(canon lift f opts (type ft))`: a component function.
    Lift {
        /// The core function.
        func: u32,
        /// Options.
        opts: Vec<CanonOpt>,
        /// The component function type index.
        ty: u32,
    },
    /// `(canon lower f opts)`: a core function.
    Lower {
        /// The component function.
        func: u32,
        /// Options.
        opts: Vec<CanonOpt>,
    },
    /// `resource.new rt`
    ResourceNew(u32),
    /// `resource.drop rt` (the `async` flag of older drafts is not kept)
    ResourceDrop(u32),
    /// `resource.rep rt`
    ResourceRep(u32),
    /// Every other built-in (🔀 async, 📝 error-context, 🧵 threads): its
    /// opcode and immediates, for the concurrency layer.
    Builtin(Builtin),
}

/// The asynchronous, error-context and thread built-ins (Binary.md,
/// "Canonical Definitions"; CanonicalABI.md, "Canonical Built-ins").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `backpressure.inc`
    BackpressureInc,
    /// `backpressure.dec`
    BackpressureDec,
    /// `task.return rs opts`
    TaskReturn(Option<ValType>, Vec<CanonOpt>),
    /// `task.cancel`
    TaskCancel,
    /// `context.get t i`
    ContextGet(core::ValType, u32),
    /// `context.set t i`
    ContextSet(core::ValType, u32),
    /// `subtask.cancel async?`
    SubtaskCancel(bool),
    /// `subtask.drop`
    SubtaskDrop,
    /// `stream.new t`
    StreamNew(u32),
    /// `stream.read t opts`
    StreamRead(u32, Vec<CanonOpt>),
    /// `stream.write t opts`
    StreamWrite(u32, Vec<CanonOpt>),
    /// `stream.cancel-read t async?`
    StreamCancelRead(u32, bool),
    /// `stream.cancel-write t async?`
    StreamCancelWrite(u32, bool),
    /// `stream.drop-readable t`
    StreamDropReadable(u32),
    /// `stream.drop-writable t`
    StreamDropWritable(u32),
    /// `future.new t`
    FutureNew(u32),
    /// `future.read t opts`
    FutureRead(u32, Vec<CanonOpt>),
    /// `future.write t opts`
    FutureWrite(u32, Vec<CanonOpt>),
    /// `future.cancel-read t async?`
    FutureCancelRead(u32, bool),
    /// `future.cancel-write t async?`
    FutureCancelWrite(u32, bool),
    /// `future.drop-readable t`
    FutureDropReadable(u32),
    /// `future.drop-writable t`
    FutureDropWritable(u32),
    /// `error-context.new opts`
    ErrorContextNew(Vec<CanonOpt>),
    /// `error-context.debug-message opts`
    ErrorContextDebugMessage(Vec<CanonOpt>),
    /// `error-context.drop`
    ErrorContextDrop,
    /// `waitable-set.new`
    WaitableSetNew,
    /// `waitable-set.wait cancellable? (memory m)`
    WaitableSetWait(bool, u32),
    /// `waitable-set.poll cancellable? (memory m)`
    WaitableSetPoll(bool, u32),
    /// `waitable-set.drop`
    WaitableSetDrop,
    /// `waitable.join`
    WaitableJoin,
    /// `thread.index`
    ThreadIndex,
    /// `thread.new-indirect ft tbl`
    ThreadNewIndirect(u32, u32),
    /// `thread.resume-later`
    ThreadResumeLater,
    /// `thread.suspend cancellable?`
    ThreadSuspend(bool),
    /// `thread.yield cancellable?`
    ThreadYield(bool),
    /// `thread.suspend-then-resume cancellable?`
    ThreadSuspendThenResume(bool),
    /// `thread.yield-then-resume cancellable?`
    ThreadYieldThenResume(bool),
    /// `thread.suspend-then-promote cancellable?`
    ThreadSuspendThenPromote(bool),
    /// `thread.yield-then-promote cancellable?`
    ThreadYieldThenPromote(bool),
    /// `thread.spawn-ref shared? ft`
    ThreadSpawnRef(bool, u32),
    /// `thread.spawn-indirect shared? ft tbl`
    ThreadSpawnIndirect(bool, u32, u32),
    /// `thread.available-parallelism shared?`
    ThreadAvailableParallelism(bool),
}

/// Binary: start (🪙).
#[derive(Clone, Debug)]
pub struct Start {
    /// The component function.
    pub func: u32,
    /// Value indices of the arguments.
    pub args: Vec<u32>,
    /// Number of results.
    pub results: u32,
}

/// Binary: import.
#[derive(Clone, Debug)]
pub struct Import {
    /// The name and attributes.
    pub name: ExternName,
    /// The type.
    pub desc: ExternDesc,
}

/// Binary: export.
#[derive(Clone, Debug)]
pub struct Export {
    /// The name and attributes.
    pub name: ExternName,
    /// What is exported.
    pub item: SortIdx,
    /// The optional ascribed type.
    pub desc: Option<ExternDesc>,
}

/// Binary: value (🪙): a value definition, its type and encoded bytes.
#[derive(Clone, Debug)]
pub struct ValueDef {
    /// The value's type.
    pub ty: ValType,
    /// The encoded value (`val(t)`), decoded against the type by validation.
    pub bytes: Vec<u8>,
}
