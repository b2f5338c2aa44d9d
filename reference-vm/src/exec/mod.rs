//! Execution (spec chapter 4): values, the store, instantiation, invocation.
//!
//! Calls never recurse natively: [`Store::invoke`] runs one loop over an
//! explicit frame stack ([`interp`]), with a call-depth budget
//! (`call stack exhausted`), an optional fuel budget and lazily grown memories.

pub mod code;
pub mod coverage;
mod ext;
mod fast;
mod gc;
mod instantiate;
mod interp;
pub mod numerics;
pub mod shared;
pub mod translate;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::Config;
use crate::syntax::*;
use code::CompiledFunc;
pub use shared::SharedMemory;
use translate::LazyCode;

/// Address of a function in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncAddr(pub u32);
/// Address of a table in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableAddr(pub u32);
/// Address of a memory in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemAddr(pub u32);
/// Address of a global in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalAddr(pub u32);
/// Address of a module instance in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleAddr(pub u32);

/// Address of a tag in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagAddr(pub u32);

/// References.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ref {
    /// A null reference of the given heap type.
    Null(HeapType),
    /// A function reference.
    Func(FuncAddr),
    /// A host reference in the external hierarchy, `ref.extern N`.
    Extern(u32),
    /// A host reference in the internal hierarchy, `ref.host N`
    /// (`any.convert_extern (ref.extern N)`).
    Host(u32),
    /// An unboxed 31-bit integer.
    I31(u32),
    /// A struct on the GC heap.
    Struct(u32),
    /// An array on the GC heap.
    Array(u32),
    /// An exception.
    Exn(u32),
    /// An internal reference converted to `externref` (raw slot bits of the
    /// internal reference).
    Externalized(u64),
}

/// Values. Floats are kept as bits so that NaN payloads are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    /// i32
    I32(u32),
    /// i64
    I64(u64),
    /// f32 bits
    F32(u32),
    /// f64 bits
    F64(u64),
    /// v128, lanes little-endian
    V128(u128),
    /// A reference.
    Ref(Ref),
}

// Slot encoding of references: 0 is null; otherwise a kind in the top four
// bits, the "externalized" bit, and an address or payload in the low 32 bits.
pub(crate) const TAG_MASK: u64 = 15 << 60;
pub(crate) const FUNC_TAG: u64 = 1 << 60;
pub(crate) const HOST_TAG: u64 = 2 << 60;
pub(crate) const I31_TAG: u64 = 3 << 60;
pub(crate) const STRUCT_TAG: u64 = 4 << 60;
pub(crate) const ARRAY_TAG: u64 = 5 << 60;
pub(crate) const EXN_TAG: u64 = 6 << 60;
/// Set on internal references converted to `externref`.
pub(crate) const EXTERN_BIT: u64 = 1 << 59;

impl Ref {
    /// The slot encoding: 0 is null.
    pub(crate) fn to_bits(self) -> u64 {
        match self {
            Ref::Null(_) => 0,
            Ref::Func(a) => FUNC_TAG | u64::from(a.0),
            Ref::Extern(n) => HOST_TAG | EXTERN_BIT | u64::from(n),
            Ref::Host(n) => HOST_TAG | u64::from(n),
            Ref::I31(n) => I31_TAG | u64::from(n & 0x7fff_ffff),
            Ref::Struct(a) => STRUCT_TAG | u64::from(a),
            Ref::Array(a) => ARRAY_TAG | u64::from(a),
            Ref::Exn(a) => EXN_TAG | u64::from(a),
            Ref::Externalized(b) => b | EXTERN_BIT,
        }
    }

    pub(crate) fn from_bits(bits: u64, heap: HeapType) -> Ref {
        if bits == 0 {
            return Ref::Null(heap);
        }
        let ext = bits & EXTERN_BIT != 0;
        let low = bits as u32;
        match bits & TAG_MASK {
            HOST_TAG if ext => Ref::Extern(low),
            _ if ext => Ref::Externalized(bits & !EXTERN_BIT),
            FUNC_TAG => Ref::Func(FuncAddr(low)),
            HOST_TAG => Ref::Host(low),
            I31_TAG => Ref::I31(low),
            STRUCT_TAG => Ref::Struct(low),
            ARRAY_TAG => Ref::Array(low),
            EXN_TAG => Ref::Exn(low),
            _ => Ref::Null(heap),
        }
    }

    /// Whether this is a null reference.
    pub fn is_null(&self) -> bool {
        matches!(self, Ref::Null(_))
    }
}

impl Val {
    /// The value's type (null references report their heap type as nullable).
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::Ref(Ref::Null(h)) => ValType::Ref(RefType {
                nullable: true,
                heap: *h,
            }),
            Val::Ref(r) => ValType::Ref(RefType::new(
                false,
                match r {
                    Ref::Func(_) => HeapType::Func,
                    Ref::Extern(_) | Ref::Externalized(_) => HeapType::Extern,
                    Ref::Host(_) => HeapType::Any,
                    Ref::I31(_) => HeapType::I31,
                    Ref::Struct(_) => HeapType::Struct,
                    Ref::Array(_) => HeapType::Array,
                    Ref::Exn(_) | Ref::Null(_) => HeapType::Exn,
                },
            )),
        }
    }

    /// The default (zero or null) value of a type.
    pub fn default_of(t: ValType) -> Val {
        Val::from_slots(t, 0, 0)
    }

    pub(crate) fn from_slots(t: ValType, lo: u64, hi: u64) -> Val {
        match t {
            ValType::I32 => Val::I32(lo as u32),
            ValType::I64 => Val::I64(lo),
            ValType::F32 => Val::F32(lo as u32),
            ValType::F64 => Val::F64(lo),
            ValType::V128 => Val::V128(u128::from(lo) | (u128::from(hi) << 64)),
            ValType::Ref(r) => Val::Ref(Ref::from_bits(lo, r.heap)),
        }
    }

    pub(crate) fn to_slots(self) -> (u64, u64) {
        match self {
            Val::I32(x) | Val::F32(x) => (u64::from(x), 0),
            Val::I64(x) | Val::F64(x) => (x, 0),
            Val::V128(x) => (x as u64, (x >> 64) as u64),
            Val::Ref(r) => (r.to_bits(), 0),
        }
    }

    /// Whether the value plausibly belongs to type `t` without looking into the
    /// store (see [`Store::val_matches`] for the exact check).
    pub fn has_type(&self, t: ValType) -> bool {
        match (self, t) {
            (Val::Ref(Ref::Null(_)), ValType::Ref(r)) => r.nullable,
            (Val::Ref(_), ValType::Ref(_)) => true,
            _ => self.ty() == t,
        }
    }
}

/// Runtime errors. `Display` is the reference interpreter's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `unreachable executed`
    Unreachable,
    /// `out of bounds memory access`
    MemoryOutOfBounds,
    /// `out of bounds table access`
    TableOutOfBounds,
    /// `undefined element <index>`
    UndefinedElement(u64),
    /// `uninitialized element <index>`
    UninitializedElement(u64),
    /// `indirect call type mismatch`
    IndirectCallTypeMismatch,
    /// `integer divide by zero`
    IntegerDivideByZero,
    /// `integer overflow`
    IntegerOverflow,
    /// `invalid conversion to integer`
    InvalidConversionToInteger,
    /// `null reference`
    NullReference,
    /// `call stack exhausted`
    CallStackExhausted,
    /// `out of fuel`
    OutOfFuel,
    /// Invocation with arguments that do not fit the function type.
    BadArguments(String),
    /// A host function failed.
    Host(String),
    /// WASI `proc_exit` with this status.
    Exit(i32),
    /// `cast failure`
    CastFailure,
    /// `null function reference`
    NullFuncRef,
    /// `null structure reference`
    NullStructRef,
    /// `null array reference`
    NullArrayRef,
    /// `null i31 reference`
    NullI31Ref,
    /// `null exception reference`
    NullExnRef,
    /// `out of bounds array access`
    ArrayOutOfBounds,
    /// `out of memory` — the GC heap's configured size cap was reached.
    OutOfMemory,
    /// An exception (its address in the store) reached the host.
    Exception(u32),
    /// `null descriptor reference` (custom descriptors: allocation or
    /// descriptor cast with a null descriptor).
    NullDescriptorRef,
    /// `descriptor cast failure` (custom descriptors: `ref.cast_desc_eq`).
    DescriptorCastFailure,
    /// `unaligned atomic memory access` (threads)
    UnalignedAtomic,
    /// `expected shared memory`: `memory.atomic.wait*` on an unshared memory (threads)
    ExpectedSharedMemory,
    /// `interrupted`: [`crate::Config::interrupt`] was set.
    Interrupted,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Trap::Unreachable => "unreachable executed",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::UndefinedElement(i) => return write!(f, "undefined element {i}"),
            Trap::UninitializedElement(i) => return write!(f, "uninitialized element {i}"),
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::IntegerDivideByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::InvalidConversionToInteger => "invalid conversion to integer",
            Trap::NullReference => "null reference",
            Trap::CallStackExhausted => "call stack exhausted",
            Trap::OutOfFuel => "out of fuel",
            Trap::BadArguments(s) => return write!(f, "invalid arguments: {s}"),
            Trap::Host(s) => s,
            Trap::Exit(c) => return write!(f, "exit with status {c}"),
            Trap::CastFailure => "cast failure",
            Trap::NullFuncRef => "null function reference",
            Trap::NullStructRef => "null structure reference",
            Trap::NullArrayRef => "null array reference",
            Trap::NullI31Ref => "null i31 reference",
            Trap::NullExnRef => "null exception reference",
            Trap::ArrayOutOfBounds => "out of bounds array access",
            Trap::OutOfMemory => "out of memory",
            Trap::Exception(_) => "uncaught exception",
            Trap::NullDescriptorRef => "null descriptor reference",
            Trap::DescriptorCastFailure => "descriptor cast failure",
            Trap::UnalignedAtomic => "unaligned atomic memory access",
            Trap::ExpectedSharedMemory => "expected shared memory",
            Trap::Interrupted => "interrupted",
        };
        f.write_str(s)
    }
}

impl std::error::Error for Trap {}

/// Import resolution errors (spec: instantiation › unlinkable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// `unknown import` (used by embedders that resolve imports by name).
    UnknownImport(String),
    /// `incompatible import type`
    IncompatibleImportType(String),
    /// The number of provided external values differs from the imports.
    WrongImportCount {
        /// Imports of the module.
        expected: usize,
        /// External values given.
        given: usize,
    },
    /// `elements segment does not fit` (instantiation before bulk memory, as
    /// the pre-2.0 drafts check it: an active element segment out of its
    /// table's bounds makes the module unlinkable).
    ElemSegmentDoesNotFit,
    /// `data segment does not fit` (instantiation before bulk memory, as the
    /// pre-2.0 drafts check it: an active data segment out of its memory's
    /// bounds makes the module unlinkable).
    DataSegmentDoesNotFit,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::UnknownImport(s) => write!(f, "unknown import {s}"),
            LinkError::IncompatibleImportType(s) => write!(f, "incompatible import type {s}"),
            LinkError::ElemSegmentDoesNotFit => f.write_str("elements segment does not fit"),
            LinkError::DataSegmentDoesNotFit => f.write_str("data segment does not fit"),
            LinkError::WrongImportCount { expected, given } => {
                write!(
                    f,
                    "wrong number of imports: expected {expected}, given {given}"
                )
            }
        }
    }
}

impl std::error::Error for LinkError {}

/// Instantiation failure: unlinkable or trapped (uninstantiable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstantiateError {
    /// Imports do not match.
    Link(LinkError),
    /// A segment initialisation or the start function trapped.
    Trap(Trap),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Link(e) => e.fmt(f),
            InstantiateError::Trap(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for InstantiateError {}

impl From<LinkError> for InstantiateError {
    fn from(e: LinkError) -> Self {
        InstantiateError::Link(e)
    }
}

impl From<Trap> for InstantiateError {
    fn from(t: Trap) -> Self {
        InstantiateError::Trap(t)
    }
}

/// External values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternVal {
    /// A function.
    Func(FuncAddr),
    /// A table.
    Table(TableAddr),
    /// A memory.
    Mem(MemAddr),
    /// A global.
    Global(GlobalAddr),
    /// A tag.
    Tag(TagAddr),
}

/// A host function: receives the caller's context and the arguments.
pub type HostFunc = Box<dyn FnMut(&mut Caller<'_>, &[Val]) -> Result<Vec<Val>, Trap> + Send>;

/// A host function that receives the whole store and may call back into
/// wasm: a [`Store::invoke`] from inside it runs nested, above the calling
/// frame (the component layer's lowered imports, `realloc`, built-ins).
pub type StoreFunc = Arc<dyn Fn(&mut Store, &[Val]) -> Result<Vec<Val>, Trap> + Send + Sync>;

/// The two kinds of host function.
pub(crate) enum Host {
    /// Sees the calling instance's memories and globals only.
    Caller(HostFunc),
    /// Sees the store; may re-enter the interpreter.
    Store(StoreFunc),
}

/// What a host function can see of the calling instance.
pub struct Caller<'a> {
    pub(crate) mems: &'a mut Vec<MemInst>,
    pub(crate) globals: &'a mut Vec<GlobalInst>,
    pub(crate) instance: Option<&'a ModuleInst>,
}

impl Caller<'_> {
    fn export(&self, name: &str) -> Option<ExternVal> {
        self.instance?
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// The calling instance's exported memory `export_name` (e.g. "memory");
    /// empty for a shared memory (see [`Caller::memory_read`]).
    pub fn memory_mut(&mut self, export_name: &str) -> Option<&mut [u8]> {
        match self.export(export_name)? {
            ExternVal::Mem(m) => self
                .mems
                .get_mut(m.0 as usize)
                .map(|m| m.data.as_mut_slice()),
            _ => None,
        }
    }

    /// The calling instance's exported memory, read-only.
    pub fn memory(&self, export_name: &str) -> Option<&[u8]> {
        match self.export(export_name)? {
            ExternVal::Mem(m) => self.mems.get(m.0 as usize).map(|m| m.data.as_slice()),
            _ => None,
        }
    }

    /// Copies bytes out of the calling instance's exported memory, shared or
    /// not (`memory`/`memory_mut` give no slice of a shared memory).
    pub fn memory_read(&self, export_name: &str, addr: u64, buf: &mut [u8]) -> Result<(), Trap> {
        match self.export(export_name) {
            Some(ExternVal::Mem(m)) => self
                .mems
                .get(m.0 as usize)
                .ok_or(Trap::MemoryOutOfBounds)?
                .read(addr, buf),
            _ => Err(Trap::Host(format!("no exported memory {export_name:?}"))),
        }
    }

    /// Copies bytes into the calling instance's exported memory, shared or not.
    pub fn memory_write(&mut self, export_name: &str, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
        match self.export(export_name) {
            Some(ExternVal::Mem(m)) => self
                .mems
                .get_mut(m.0 as usize)
                .ok_or(Trap::MemoryOutOfBounds)?
                .write(addr, bytes),
            _ => Err(Trap::Host(format!("no exported memory {export_name:?}"))),
        }
    }

    /// The shared memory behind the calling instance's exported memory
    /// `export_name`; `None` when it is unshared or missing.
    pub fn shared_memory(&self, export_name: &str) -> Option<&SharedMemory> {
        match self.export(export_name)? {
            ExternVal::Mem(m) => self.mems.get(m.0 as usize)?.shared.as_deref(),
            _ => None,
        }
    }

    /// The value of the calling instance's exported global.
    pub fn global(&self, export_name: &str) -> Option<Val> {
        match self.export(export_name)? {
            ExternVal::Global(g) => self.globals.get(g.0 as usize).map(|g| g.get()),
            _ => None,
        }
    }
}

pub(crate) enum FuncInst {
    Wasm {
        ty: u32,
        /// Its code: the stub of [`LazyCode`] until its first call, then
        /// the translated code (exec/translate.rs).
        code: Arc<CompiledFunc>,
        lazy: Arc<LazyCode>,
        inst: u32,
    },
    Host {
        ty: u32,
        host: u32,
    },
}

impl FuncInst {
    pub(crate) fn ty_id(&self) -> u32 {
        match self {
            FuncInst::Wasm { ty, .. } | FuncInst::Host { ty, .. } => *ty,
        }
    }
}

pub(crate) struct TableInst {
    pub ty: TableType,
    pub elems: Vec<u64>,
}

/// A memory instance. An unshared memory owns its bytes (`data`, the
/// interpreter's fast path); a shared one (threads) keeps `data` empty and
/// lives in `shared`, which other stores may hold too.
pub(crate) struct MemInst {
    pub ty: MemType,
    pub data: Vec<u8>,
    pub shared: Option<Arc<SharedMemory>>,
}

impl MemInst {
    /// An unshared memory of `bytes` zero bytes.
    pub(crate) fn unshared(ty: MemType, bytes: usize) -> MemInst {
        MemInst {
            ty,
            data: vec![0; bytes],
            shared: None,
        }
    }

    pub(crate) fn pages(&self) -> u64 {
        match &self.shared {
            Some(s) => s.pages(),
            None => self.data.len() as u64 >> self.ty.page_size_log2,
        }
    }

    /// The current size in bytes.
    pub(crate) fn len(&self) -> usize {
        match &self.shared {
            Some(s) => s.len(),
            None => self.data.len(),
        }
    }

    /// Copies bytes out at `addr` (bounds-checked).
    pub(crate) fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), Trap> {
        match &self.shared {
            Some(s) => s.read(addr, buf),
            None => {
                let a = addr
                    .checked_add(buf.len() as u64)
                    .filter(|end| *end <= self.data.len() as u64)
                    .map(|_| addr as usize)
                    .ok_or(Trap::MemoryOutOfBounds)?;
                buf.copy_from_slice(&self.data[a..a + buf.len()]);
                Ok(())
            }
        }
    }

    /// Copies bytes in at `addr` (bounds-checked).
    pub(crate) fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
        match &self.shared {
            Some(s) => s.write(addr, bytes),
            None => {
                let a = addr
                    .checked_add(bytes.len() as u64)
                    .filter(|end| *end <= self.data.len() as u64)
                    .map(|_| addr as usize)
                    .ok_or(Trap::MemoryOutOfBounds)?;
                self.data[a..a + bytes.len()].copy_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// exec: memory.grow — `None` when the limits or the configured cap forbid it.
    pub(crate) fn grow(&mut self, delta: u64, cap_bytes: u64) -> Option<u64> {
        if let Some(s) = &self.shared {
            return s.grow(delta, cap_bytes);
        }
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let range = self.ty.max_pages();
        let max = self.ty.limits.max.unwrap_or(range).min(range);
        let new_bytes = new.checked_mul(self.ty.page_size())?;
        if new > max || new_bytes > cap_bytes {
            return None;
        }
        let new_len = usize::try_from(new_bytes).ok()?;
        self.data
            .try_reserve_exact(new_len - self.data.len())
            .ok()?;
        self.data.resize(new_len, 0);
        Some(old)
    }
}

pub(crate) struct GlobalInst {
    pub ty: GlobalType,
    pub val: [u64; 2],
}

impl GlobalInst {
    fn get(&self) -> Val {
        Val::from_slots(self.ty.ty, self.val[0], self.val[1])
    }
}

/// A defined type in the store: its sub type in store type ids, its
/// supertype chain and the slot layout of its instances.
pub(crate) struct TypeInfo {
    pub sub: SubType,
    /// This type and all its supertypes.
    pub ancestors: Vec<u32>,
    /// Struct: slot offset and storage type per field; array: one entry.
    pub fields: Vec<(u32, StorageType)>,
    /// Struct: total slots; array: slots per element.
    pub slots: u32,
    /// custom-descriptors: the slot holding a struct's descriptor reference
    /// (after the fields), for types with a `descriptor` clause.
    pub desc_slot: Option<u32>,
}

/// A struct or array on the GC heap.
pub(crate) struct Obj {
    pub ty: u32,
    pub data: Vec<u64>,
}

/// An exception: its tag and payload slots.
pub(crate) struct ExnInst {
    pub tag: u32,
    pub vals: Box<[u64]>,
}

pub(crate) struct TagInst {
    /// Store type id of the payload's function type.
    pub ty: u32,
}

/// Bytes charged per heap object beyond its slots.
pub(crate) const OBJ_OVERHEAD: u64 = 32;

pub(crate) struct ElemInst {
    pub elems: Vec<u64>,
}

pub(crate) struct DataInst {
    pub bytes: Arc<[u8]>,
}

/// A module instance: the module's index spaces resolved to store addresses.
#[derive(Default)]
pub(crate) struct ModuleInst {
    /// Per type index: canonical type id and parameter slot count.
    pub types: Vec<(u32, u32)>,
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub mems: Vec<u32>,
    pub globals: Vec<u32>,
    pub elems: Vec<u32>,
    pub datas: Vec<u32>,
    pub tags: Vec<u32>,
    pub exports: Vec<(String, ExternVal)>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub pc: u32,
    pub fp: u32,
    pub func: u32,
}

/// The store: all runtime objects, plus the interpreter's stacks.
pub struct Store {
    pub(crate) config: Config,
    /// Function type of each store type id (a default for struct/array types).
    pub(crate) types: Vec<FuncType>,
    pub(crate) infos: Vec<TypeInfo>,
    /// Canonical rec groups (internal references marked) to their first type id.
    rec_ids: HashMap<Vec<SubType>, u32>,
    pub(crate) heap: Vec<Obj>,
    pub(crate) heap_bytes: u64,
    pub(crate) exns: Vec<ExnInst>,
    pub(crate) tags: Vec<TagInst>,
    pub(crate) funcs: Vec<FuncInst>,
    pub(crate) hosts: Vec<Host>,
    /// Store host functions running now (their nested invocations keep the
    /// frames below them).
    pub(crate) host_depth: u32,
    /// Where a nested invocation puts its frame: above the calling frame.
    pub(crate) nested_base: usize,
    pub(crate) tables: Vec<TableInst>,
    pub(crate) mems: Vec<MemInst>,
    pub(crate) globals: Vec<GlobalInst>,
    pub(crate) elems: Vec<ElemInst>,
    pub(crate) datas: Vec<DataInst>,
    pub(crate) instances: Vec<ModuleInst>,
    pub(crate) stack: Vec<u64>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) fuel: u64,
    /// Names of functions from their modules' name sections, by address.
    pub(crate) func_names: HashMap<u32, Arc<str>>,
    /// Where the last trap happened: function address and instruction index.
    pub(crate) trap_site: (u32, u32),
    /// The backtrace of the last trapping invocation.
    pub(crate) backtrace: Vec<BacktraceFrame>,
    /// Executed-coverage counters, when switched on (exec/coverage.rs).
    pub(crate) coverage: Option<Box<coverage::Coverage>>,
}

/// One frame of a trap's backtrace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacktraceFrame {
    /// The function.
    pub func: FuncAddr,
    /// Its name from the name section of the module that defined (or first
    /// imported) it.
    pub name: Option<String>,
    /// The index of the trapping (or calling) instruction in the function's
    /// internal code.
    pub pc: u32,
}

impl fmt::Display for BacktraceFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "${n} (func {}) at {}", self.func.0, self.pc),
            None => write!(f, "func {} at {}", self.func.0, self.pc),
        }
    }
}

/// One line of execution's interpreter state: its value and frame stacks
/// and its host nesting. The component model's threads each keep one and
/// install it in the store while they run ([`Store::swap_exec`]).
#[derive(Debug, Default)]
pub struct ExecStack {
    stack: Vec<u64>,
    frames: Vec<Frame>,
    host_depth: u32,
    nested_base: usize,
}

impl Store {
    /// Exchanges the store's interpreter state with `other`: what runs next
    /// continues `other`'s calls, and `other` keeps the calls that were
    /// running (to be swapped back in later).
    pub fn swap_exec(&mut self, other: &mut ExecStack) {
        std::mem::swap(&mut self.stack, &mut other.stack);
        std::mem::swap(&mut self.frames, &mut other.frames);
        std::mem::swap(&mut self.host_depth, &mut other.host_depth);
        std::mem::swap(&mut self.nested_base, &mut other.nested_base);
    }

    /// Moves the store's contents out, leaving an empty store with the same
    /// configuration (the component model hands the store from thread to
    /// thread this way).
    pub fn take(&mut self) -> Store {
        let empty = Store::new(self.config.clone());
        std::mem::replace(self, empty)
    }
}

impl Store {
    /// An empty store.
    pub fn new(config: Config) -> Store {
        let fuel = config.fuel.unwrap_or(u64::MAX);
        Store {
            config,
            types: Vec::new(),
            infos: Vec::new(),
            rec_ids: HashMap::new(),
            heap: Vec::new(),
            heap_bytes: 0,
            exns: Vec::new(),
            tags: Vec::new(),
            funcs: Vec::new(),
            hosts: Vec::new(),
            host_depth: 0,
            nested_base: 0,
            tables: Vec::new(),
            mems: Vec::new(),
            globals: Vec::new(),
            elems: Vec::new(),
            datas: Vec::new(),
            instances: Vec::new(),
            stack: Vec::new(),
            frames: Vec::new(),
            fuel,
            func_names: HashMap::new(),
            trap_site: (u32::MAX, 0),
            backtrace: Vec::new(),
            coverage: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Remaining fuel (`u64::MAX` when unlimited).
    pub fn fuel(&self) -> u64 {
        self.fuel
    }

    /// Sets the remaining fuel.
    pub fn set_fuel(&mut self, fuel: Option<u64>) {
        self.fuel = fuel.unwrap_or(u64::MAX);
    }

    pub(crate) fn intern_type(&mut self, t: &FuncType) -> u32 {
        self.intern_group(&[SubType::func(t.clone())], &|x| x)
    }

    /// exec: type canonicalisation — interns a rec group whose external type
    /// indices `ext` maps to store type ids; returns the id of its first type.
    pub(crate) fn intern_group(&mut self, group: &[SubType], ext: &dyn Fn(u32) -> u32) -> u32 {
        use crate::valid::types::{REC_BIT, map_sub};
        let n = group.len() as u32;
        // Within a module's group, indices >= the group's own start are internal:
        // callers pass them already as REC_BIT | i.
        let key: Vec<SubType> = group
            .iter()
            .map(|st| map_sub(st, &|y| if y & REC_BIT != 0 { y } else { ext(y) }))
            .collect();
        if let Some(&id) = self.rec_ids.get(&key) {
            return id;
        }
        let first = self.infos.len() as u32;
        for st in &key {
            let sub = map_sub(st, &|y| {
                if y & REC_BIT != 0 {
                    first + (y & !REC_BIT)
                } else {
                    y
                }
            });
            let id = self.infos.len() as u32;
            let mut ancestors = vec![id];
            if let Some(&s) = sub.supers.first()
                && let Some(p) = self.infos.get(s as usize)
            {
                ancestors.extend_from_slice(&p.ancestors);
            }
            let (mut fields, mut slots, mut desc_slot) = (Vec::new(), 0, None);
            match &sub.comp {
                CompType::Struct(fs) => {
                    for f in fs {
                        fields.push((slots, f.storage));
                        slots += f.storage.unpacked().slots();
                    }
                    if sub.descriptor.is_some() {
                        desc_slot = Some(slots);
                        slots += 1;
                    }
                }
                CompType::Array(f) => {
                    fields.push((0, f.storage));
                    slots = f.storage.unpacked().slots();
                }
                CompType::Func(_) => {}
            }
            self.types.push(match &sub.comp {
                CompType::Func(ft) => ft.clone(),
                _ => FuncType::default(),
            });
            self.infos.push(TypeInfo {
                sub,
                ancestors,
                fields,
                slots,
                desc_slot,
            });
        }
        let _ = n;
        self.rec_ids.insert(key, first);
        first
    }

    /// Whether store type `a` is `b` or a declared subtype of it.
    pub(crate) fn is_sub_id(&self, a: u32, b: u32) -> bool {
        is_sub_id(&self.infos, a, b)
    }

    /// match: heaptype over store type ids.
    pub(crate) fn match_heap(&self, a: HeapType, b: HeapType) -> bool {
        use HeapType::*;
        let kind = |x: u32| self.infos.get(x as usize).map(|i| &i.sub.comp);
        let top = |h: HeapType| match h {
            Func | NoFunc => Func,
            Extern | NoExtern => Extern,
            Exn | NoExn => Exn,
            Concrete(x) | Exact(x) => match kind(x) {
                Some(CompType::Func(_)) => Func,
                _ => Any,
            },
            _ => Any,
        };
        if a == b {
            return true;
        }
        match (a, b) {
            (Concrete(x) | Exact(x), Concrete(y)) => self.is_sub_id(x, y),
            // custom-descriptors: exact types match only themselves (store
            // type ids are canonical, so equality is type equality).
            (Exact(_) | Concrete(_), Exact(_)) => false,
            (Concrete(x) | Exact(x), b) => match kind(x) {
                Some(CompType::Func(_)) => b == Func,
                Some(CompType::Struct(_)) => matches!(b, Struct | Eq | Any),
                Some(CompType::Array(_)) => matches!(b, Array | Eq | Any),
                Option::None => false,
            },
            (None, b) => top(b) == Any,
            (NoFunc, b) => top(b) == Func,
            (NoExtern, b) => b == Extern,
            (NoExn, b) => b == Exn,
            (I31 | Struct | Array, Eq | Any) | (Eq, Any) => true,
            _ => false,
        }
    }

    /// match: valtype over store type ids.
    pub(crate) fn match_val(&self, a: ValType, b: ValType) -> bool {
        match (a, b) {
            (ValType::Ref(a), ValType::Ref(b)) => {
                (b.nullable || !a.nullable) && self.match_heap(a.heap, b.heap)
            }
            _ => a == b,
        }
    }

    /// Whether a value belongs to a type given in store type ids (spec: value typing).
    pub fn val_matches(&self, v: &Val, t: ValType) -> bool {
        match (v, t) {
            (Val::Ref(r), ValType::Ref(rt)) => {
                ref_matches(&self.infos, &self.funcs, &self.heap, r.to_bits(), rt)
            }
            _ => v.ty() == t,
        }
    }

    /// The abstract top type of a heap type given in store type ids.
    pub(crate) fn top_heap(&self, h: HeapType) -> HeapType {
        use HeapType::*;
        match h {
            Func | NoFunc => Func,
            Extern | NoExtern => Extern,
            Exn | NoExn => Exn,
            Concrete(x) | Exact(x) => match self.infos.get(x as usize).map(|i| &i.sub.comp) {
                Some(CompType::Func(_)) => Func,
                _ => Any,
            },
            _ => Any,
        }
    }

    /// A value read from slots of a type in store type ids; nulls report the
    /// abstract top of their hierarchy.
    pub(crate) fn val_from_slots(&self, t: ValType, lo: u64, hi: u64) -> Val {
        match t {
            ValType::Ref(r) => Val::Ref(Ref::from_bits(lo, self.top_heap(r.heap))),
            t => Val::from_slots(t, lo, hi),
        }
    }

    /// The name of a function, from the name section of its module.
    pub fn func_name(&self, f: FuncAddr) -> Option<&str> {
        self.func_names.get(&f.0).map(|n| &**n)
    }

    /// The backtrace of the last invocation that trapped (innermost frame
    /// first; empty after a successful one), with function names.
    pub fn last_backtrace(&self) -> &[BacktraceFrame] {
        &self.backtrace
    }

    /// Exports of an instance, in order.
    pub fn exports(&self, m: ModuleAddr) -> Vec<(String, ExternVal)> {
        self.instances
            .get(m.0 as usize)
            .map(|i| i.exports.clone())
            .unwrap_or_default()
    }

    /// One export of an instance by name.
    pub fn export(&self, m: ModuleAddr, name: &str) -> Option<ExternVal> {
        let i = self.instances.get(m.0 as usize)?;
        i.exports.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// The type id of a function in the store.
    pub fn func_type_id(&self, f: FuncAddr) -> Option<u32> {
        self.funcs.get(f.0 as usize).map(|fi| fi.ty_id())
    }

    /// The type of a function.
    pub fn func_type(&self, f: FuncAddr) -> FuncType {
        self.funcs
            .get(f.0 as usize)
            .and_then(|fi| self.types.get(fi.ty_id() as usize))
            .cloned()
            .unwrap_or_default()
    }

    /// The current value of a global.
    pub fn global_get(&self, g: GlobalAddr) -> Val {
        self.globals.get(g.0 as usize).map_or(Val::I32(0), |g| {
            self.val_from_slots(g.ty.ty, g.val[0], g.val[1])
        })
    }

    /// Sets a mutable global (checks the type).
    pub fn global_set(&mut self, g: GlobalAddr, v: Val) -> Result<(), Trap> {
        let ty = self
            .globals
            .get(g.0 as usize)
            .ok_or_else(|| Trap::BadArguments("no such global".into()))?
            .ty;
        if !ty.mutable || !self.val_matches(&v, ty.ty) {
            return Err(Trap::BadArguments(
                "global is immutable or of another type".into(),
            ));
        }
        let (lo, hi) = v.to_slots();
        self.globals[g.0 as usize].val = [lo, hi];
        Ok(())
    }

    /// The type of a global.
    pub fn global_type(&self, g: GlobalAddr) -> Option<GlobalType> {
        self.globals.get(g.0 as usize).map(|g| g.ty)
    }

    /// The bytes of an unshared memory. A shared memory (threads) cannot be
    /// lent out as a slice: this is empty for it; use [`Store::memory_read`],
    /// [`Store::memory_write`] or [`Store::memory_to_vec`].
    pub fn memory_data(&self, m: MemAddr) -> &[u8] {
        self.mems
            .get(m.0 as usize)
            .map_or(&[], |m| m.data.as_slice())
    }

    /// The bytes of an unshared memory, writable (empty for a shared memory,
    /// as [`Store::memory_data`]).
    pub fn memory_data_mut(&mut self, m: MemAddr) -> &mut [u8] {
        match self.mems.get_mut(m.0 as usize) {
            Some(m) => m.data.as_mut_slice(),
            None => &mut [],
        }
    }

    /// The current size of a memory in bytes (shared or not).
    pub fn memory_len(&self, m: MemAddr) -> usize {
        self.mems.get(m.0 as usize).map_or(0, MemInst::len)
    }

    /// Copies `buf.len()` bytes at `addr` out of a memory, shared or not.
    pub fn memory_read(&self, m: MemAddr, addr: u64, buf: &mut [u8]) -> Result<(), Trap> {
        self.mems
            .get(m.0 as usize)
            .ok_or(Trap::MemoryOutOfBounds)?
            .read(addr, buf)
    }

    /// Copies `bytes` into a memory at `addr`, shared or not.
    pub fn memory_write(&mut self, m: MemAddr, addr: u64, bytes: &[u8]) -> Result<(), Trap> {
        self.mems
            .get_mut(m.0 as usize)
            .ok_or(Trap::MemoryOutOfBounds)?
            .write(addr, bytes)
    }

    /// A copy of all bytes of a memory, shared or not.
    pub fn memory_to_vec(&self, m: MemAddr) -> Vec<u8> {
        match self.mems.get(m.0 as usize) {
            Some(MemInst {
                shared: Some(s), ..
            }) => s.to_vec(),
            Some(mi) => mi.data.clone(),
            None => Vec::new(),
        }
    }

    /// The shared memory behind `m`, to import into another store (possibly
    /// on another thread) with [`Store::import_shared_memory`]; `None` for an
    /// unshared memory.
    pub fn shared_memory(&self, m: MemAddr) -> Option<Arc<SharedMemory>> {
        self.mems.get(m.0 as usize)?.shared.clone()
    }

    /// Makes a shared memory of another store (or a fresh one) a memory of
    /// this store: both see the same bytes.
    pub fn import_shared_memory(&mut self, mem: Arc<SharedMemory>) -> MemAddr {
        self.mems.push(MemInst {
            ty: mem.ty(),
            data: Vec::new(),
            shared: Some(mem),
        });
        MemAddr((self.mems.len() - 1) as u32)
    }

    /// The type of a memory (with its current size as the minimum).
    pub fn memory_type(&self, m: MemAddr) -> Option<MemType> {
        self.mems.get(m.0 as usize).map(|mi| {
            let mut t = mi.ty;
            t.limits.min = mi.pages();
            t
        })
    }

    /// The number of elements of a table.
    pub fn table_size(&self, t: TableAddr) -> u64 {
        self.tables
            .get(t.0 as usize)
            .map_or(0, |t| t.elems.len() as u64)
    }

    /// One element of a table.
    pub fn table_get(&self, t: TableAddr, i: u64) -> Option<Val> {
        let ti = self.tables.get(t.0 as usize)?;
        let bits = *ti.elems.get(usize::try_from(i).ok()?)?;
        Some(Val::Ref(Ref::from_bits(
            bits,
            self.top_heap(ti.ty.elem.heap),
        )))
    }

    /// The type of a table (with its current size as the minimum).
    pub fn table_type(&self, t: TableAddr) -> Option<TableType> {
        self.tables.get(t.0 as usize).map(|ti| {
            let mut ty = ti.ty;
            ty.limits.min = ti.elems.len() as u64;
            ty
        })
    }

    /// Allocates a host function.
    pub fn alloc_host_func(&mut self, ty: FuncType, f: HostFunc) -> FuncAddr {
        self.alloc_host(ty, Host::Caller(f))
    }

    /// Allocates a host function that sees the whole store ([`StoreFunc`]).
    pub fn alloc_store_func(&mut self, ty: FuncType, f: StoreFunc) -> FuncAddr {
        self.alloc_host(ty, Host::Store(f))
    }

    fn alloc_host(&mut self, ty: FuncType, h: Host) -> FuncAddr {
        let ty = self.intern_type(&ty);
        self.hosts.push(h);
        self.funcs.push(FuncInst::Host {
            ty,
            host: (self.hosts.len() - 1) as u32,
        });
        FuncAddr((self.funcs.len() - 1) as u32)
    }

    /// Allocates a table filled with `init`.
    pub fn alloc_table(&mut self, ty: TableType, init: Ref) -> TableAddr {
        let n = usize::try_from(ty.limits.min)
            .unwrap_or(usize::MAX)
            .min(self.config.max_table_elems as usize);
        self.tables.push(TableInst {
            ty,
            elems: vec![init.to_bits(); n],
        });
        TableAddr((self.tables.len() - 1) as u32)
    }

    /// Allocates a memory of its minimum size (a [`SharedMemory`] when the
    /// type is shared).
    pub fn alloc_mem(&mut self, ty: MemType) -> MemAddr {
        if ty.shared {
            let mem = Arc::new(SharedMemory::new(ty, self.config.max_memory_bytes));
            return self.import_shared_memory(mem);
        }
        let bytes = ty
            .limits
            .min
            .saturating_mul(ty.page_size())
            .min(self.config.max_memory_bytes);
        self.mems.push(MemInst::unshared(ty, bytes as usize));
        MemAddr((self.mems.len() - 1) as u32)
    }

    /// Allocates a global.
    pub fn alloc_global(&mut self, ty: GlobalType, v: Val) -> GlobalAddr {
        let (lo, hi) = v.to_slots();
        self.globals.push(GlobalInst { ty, val: [lo, hi] });
        GlobalAddr((self.globals.len() - 1) as u32)
    }

    /// The external type of an external value.
    pub fn extern_type(&self, v: ExternVal) -> Option<ExternType> {
        Some(match v {
            ExternVal::Func(f) => {
                self.funcs.get(f.0 as usize)?;
                ExternType::Func(self.func_type(f))
            }
            ExternVal::Table(t) => ExternType::Table(self.table_type(t)?),
            ExternVal::Mem(m) => ExternType::Mem(self.memory_type(m)?),
            ExternVal::Global(g) => ExternType::Global(self.global_type(g)?),
            ExternVal::Tag(t) => ExternType::Tag(
                self.types
                    .get(self.tags.get(t.0 as usize)?.ty as usize)?
                    .clone(),
            ),
        })
    }

    /// Allocates a tag with a payload of function type `ty`.
    pub fn alloc_tag(&mut self, ty: FuncType) -> TagAddr {
        let ty = self.intern_type(&ty);
        self.tags.push(TagInst { ty });
        TagAddr((self.tags.len() - 1) as u32)
    }

    /// The tag and payload of an exception (e.g. one that escaped as [`Trap::Exception`]).
    pub fn exception(&self, exn: u32) -> Option<(TagAddr, Vec<Val>)> {
        let e = self.exns.get(exn as usize)?;
        let ty = &self.types[self.tags[e.tag as usize].ty as usize];
        let mut s = 0;
        let mut vals = Vec::new();
        for &t in &ty.params {
            let lo = e.vals.get(s).copied().unwrap_or(0);
            let hi = e.vals.get(s + 1).copied().unwrap_or(0);
            vals.push(self.val_from_slots(t, lo, hi));
            s += t.slots() as usize;
        }
        Some((TagAddr(e.tag), vals))
    }
}

/// Whether store type `a` is `b` or a declared subtype of it.
pub(crate) fn is_sub_id(infos: &[TypeInfo], a: u32, b: u32) -> bool {
    a == b
        || infos
            .get(a as usize)
            .is_some_and(|i| i.ancestors.contains(&b))
}

/// exec: value typing of a reference's slot bits against a reference type in
/// store type ids (ref.test, ref.cast, br_on_cast, host arguments).
pub(crate) fn ref_matches(
    infos: &[TypeInfo],
    funcs: &[FuncInst],
    heap: &[Obj],
    bits: u64,
    rt: RefType,
) -> bool {
    if bits == 0 {
        return rt.nullable;
    }
    let ext = bits & EXTERN_BIT != 0;
    let kind = bits & TAG_MASK;
    let low = bits as u32 as usize;
    match rt.heap {
        HeapType::Extern => ext,
        _ if ext => false,
        HeapType::Any => matches!(kind, HOST_TAG | I31_TAG | STRUCT_TAG | ARRAY_TAG),
        HeapType::Eq => matches!(kind, I31_TAG | STRUCT_TAG | ARRAY_TAG),
        HeapType::I31 => kind == I31_TAG,
        HeapType::Struct => kind == STRUCT_TAG,
        HeapType::Array => kind == ARRAY_TAG,
        HeapType::Func => kind == FUNC_TAG,
        HeapType::Exn => kind == EXN_TAG,
        HeapType::Concrete(id) => match kind {
            FUNC_TAG => funcs
                .get(low)
                .is_some_and(|f| is_sub_id(infos, f.ty_id(), id)),
            STRUCT_TAG | ARRAY_TAG => heap.get(low).is_some_and(|o| is_sub_id(infos, o.ty, id)),
            _ => false,
        },
        // custom-descriptors: exact casts — only references of exactly the type.
        HeapType::Exact(id) => match kind {
            FUNC_TAG => funcs.get(low).is_some_and(|f| f.ty_id() == id),
            STRUCT_TAG | ARRAY_TAG => heap.get(low).is_some_and(|o| o.ty == id),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod desc_tests;
#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod tests;
