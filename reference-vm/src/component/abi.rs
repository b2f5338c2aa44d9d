//! The Canonical ABI, synchronous part (CanonicalABI.md; the executable
//! definitions are `canonical-abi/definitions.py`): how component values
//! ([`Value`]) of resolved types ([`ValType`]) are laid out in a linear
//! memory ([`load`], [`store`]) and passed as core values
//! ([`lift_flat`], [`lower_flat`], [`lift_flat_values`],
//! [`lower_flat_values`]).
//!
//! The functions carry the specification's names and follow its order of
//! operations exactly: `realloc` calls are observable by guest code, so
//! their order and arguments are those of definitions.py. Everything the
//! ABI needs from the instance (memory, `realloc`, handle tables) comes
//! through a [`Context`]; [`BumpContext`] is a self-contained one over a
//! `Vec<u8>` for tests and the differential oracle.
//!
//! Choices where the specification leaves freedom:
//! - lowering a NaN produces the canonical NaN (`0x7fc00000`,
//!   `0x7ff8000000000000`), which is the specification's deterministic
//!   profile; the non-deterministic profile allows any NaN;
//! - only 32-bit memories (`ptr_type` i32);
//! - a string lowered from a host value is a UTF-8 source unless the
//!   context says otherwise ([`Context::string_source`]).

use std::fmt;

use super::types::{FuncType, ResourceType, ValType, Value};
use crate::exec::Val;

/// Flattening: the most core parameters passed flat (synchronous).
pub const MAX_FLAT_PARAMS: usize = 16;
/// Flattening: the most core parameters of an `async` lowered import.
pub const MAX_FLAT_ASYNC_PARAMS: usize = 4;
/// Flattening: the most core results returned flat.
pub const MAX_FLAT_RESULTS: usize = 1;
/// Loading: the longest string, in bytes.
pub const MAX_STRING_BYTE_LENGTH: u64 = (1 << 28) - 1;
/// Loading: the longest list, in bytes.
pub const MAX_LIST_BYTE_LENGTH: u64 = (1 << 28) - 1;
/// Storing: the largest size `realloc` is asked for.
pub const REALLOC_I32_MAX: u64 = u32::MAX as u64;
/// Loading: the bit of a `latin1+utf16` length that marks UTF-16 (`utf16_tag`).
pub const UTF16_TAG: u32 = 1 << 31;
/// Loading: the NaN every lifted `f32` NaN becomes.
pub const CANONICAL_FLOAT32_NAN: u32 = 0x7fc0_0000;
/// Loading: the NaN every lifted `f64` NaN becomes.
pub const CANONICAL_FLOAT64_NAN: u64 = 0x7ff8_0000_0000_0000;
/// The most flat values a variant inside [`lift_flat`] or [`lower_flat`]
/// is flattened to (beyond, the caller should have spilled to memory).
const FLAT_LIMIT: usize = 1 << 12;
/// `ptr_size` of a 32-bit memory.
const PTR_SIZE: u64 = 4;

/// The `string-encoding` canonical option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StringEncoding {
    /// `string-encoding=utf8` (the default)
    #[default]
    Utf8,
    /// `string-encoding=utf16`
    Utf16,
    /// `string-encoding=latin1+utf16`
    Latin1Utf16,
}

impl StringEncoding {
    /// The option's text (`utf8`, `utf16`, `latin1+utf16`).
    pub fn name(self) -> &'static str {
        match self {
            StringEncoding::Utf8 => "utf8",
            StringEncoding::Utf16 => "utf16",
            StringEncoding::Latin1Utf16 => "latin1+utf16",
        }
    }

    /// The encoding named `s` (see [`StringEncoding::name`]).
    pub fn from_name(s: &str) -> Option<StringEncoding> {
        [Self::Utf8, Self::Utf16, Self::Latin1Utf16]
            .into_iter()
            .find(|e| e.name() == s)
    }
}

/// The canonical options lifting and lowering depend on (`LiftLowerOptions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Options {
    /// `string-encoding`
    pub string_encoding: StringEncoding,
    /// Whether a `memory` option is present.
    pub memory: bool,
    /// Whether a `realloc` option is present.
    pub realloc: bool,
}

/// A core value type of a flattened signature (`flatten_type`'s results).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoreType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl CoreType {
    /// The core type of a flat value (`None` for v128 and references).
    pub fn of(v: &Val) -> Option<CoreType> {
        match v {
            Val::I32(_) => Some(CoreType::I32),
            Val::I64(_) => Some(CoreType::I64),
            Val::F32(_) => Some(CoreType::F32),
            Val::F64(_) => Some(CoreType::F64),
            _ => None,
        }
    }

    /// The zero of this type (the padding of a variant's unused flat slots).
    pub fn zero(self) -> Val {
        match self {
            CoreType::I32 => Val::I32(0),
            CoreType::I64 => Val::I64(0),
            CoreType::F32 => Val::F32(0),
            CoreType::F64 => Val::F64(0),
        }
    }

    /// `i32`, `i64`, `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            CoreType::I32 => "i32",
            CoreType::I64 => "i64",
            CoreType::F32 => "f32",
            CoreType::F64 => "f64",
        }
    }
}

/// What a memory region written through `realloc`'s result holds (for the
/// fused-adapter wording of [`Trap::ReallocOutOfBounds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// String contents.
    String,
    /// List contents.
    List,
    /// Spilled parameters (the tuple of a `lower_flat_values`).
    Params,
}

/// A trap of the Canonical ABI. `Display` is the text of the reference tests
/// for a call from the host (wasmtime's wording);
/// [`Trap::adapter_message`] is the text for a component-to-component call
/// (wasmtime's fused adapters), where the tests expect different words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A string or list pointer, or a spilled tuple pointer, is misaligned.
    UnalignedPointer,
    /// A spilled tuple pointer (argument or return area) is beyond memory.
    PointerOutOfBounds,
    /// A variant's discriminant is not one of its cases.
    InvalidDiscriminant,
    /// A `char` is a surrogate or above 0x10FFFF.
    InvalidChar,
    /// A UTF-8 string is not valid UTF-8 (`incomplete`: it ends inside a sequence).
    InvalidUtf8 {
        /// Whether the bytes end in the middle of a sequence.
        incomplete: bool,
    },
    /// A UTF-16 string has an unpaired surrogate.
    InvalidUtf16,
    /// A lifted string is (partly) beyond the end of memory.
    StringOutOfBounds,
    /// A string is longer than [`MAX_STRING_BYTE_LENGTH`] (or, lowered,
    /// than `realloc` can be asked for).
    StringTooLong,
    /// A lifted list is (partly) beyond the end of memory.
    ListOutOfBounds,
    /// A list is longer than [`MAX_LIST_BYTE_LENGTH`] (or, lowered, than
    /// `realloc` can be asked for).
    ListTooLong,
    /// `realloc` returned a pointer not aligned as asked.
    ReallocUnaligned,
    /// `realloc` returned a region that ends beyond memory.
    ReallocOutOfBounds(Region),
    /// The canonical options lack `memory` where it is needed.
    NoMemory,
    /// The canonical options lack `realloc` where it is needed.
    NoRealloc,
    /// A value to lower does not match its type (a host error).
    ValueMismatch(String),
    /// Flat values do not match the flattened types (an embedder error).
    FlatMismatch(String),
    /// A core trap inside the context (e.g. in `realloc`).
    Core(crate::exec::Trap),
    /// Any other trap of the context (handle tables, ...), with its message.
    Context(String),
}

impl Trap {
    /// The message of this trap inside a component-to-component call
    /// (wasmtime's fused-adapter wording, which the reference tests
    /// expect there); otherwise the same as `Display`.
    pub fn adapter_message(&self) -> String {
        match self {
            Trap::StringOutOfBounds | Trap::StringTooLong => "string content out-of-bounds".into(),
            Trap::ListOutOfBounds | Trap::ListTooLong => "list content out-of-bounds".into(),
            Trap::ReallocUnaligned => "unaligned pointer".into(),
            Trap::ReallocOutOfBounds(Region::String) => "string content out-of-bounds".into(),
            Trap::ReallocOutOfBounds(Region::List) => "list content out-of-bounds".into(),
            Trap::ReallocOutOfBounds(Region::Params) => "pointer out of bounds".into(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Trap::UnalignedPointer => "unaligned pointer",
            Trap::PointerOutOfBounds => "pointer out of bounds of memory",
            Trap::InvalidDiscriminant => "invalid variant discriminant",
            Trap::InvalidChar => "invalid `char` bit pattern",
            Trap::InvalidUtf8 { incomplete: false } => "invalid utf-8",
            Trap::InvalidUtf8 { incomplete: true } => "incomplete utf-8 byte sequence",
            Trap::InvalidUtf16 => "invalid utf-16",
            Trap::StringOutOfBounds | Trap::StringTooLong => {
                "string pointer/length out of bounds of memory"
            }
            Trap::ListOutOfBounds | Trap::ListTooLong => {
                "list pointer/length out of bounds of memory"
            }
            Trap::ReallocUnaligned => "realloc return: result not aligned",
            Trap::ReallocOutOfBounds(_) => "realloc return: beyond end of memory",
            Trap::NoMemory => "canonical option `memory` is required",
            Trap::NoRealloc => "canonical option `realloc` is required",
            Trap::ValueMismatch(s) | Trap::FlatMismatch(s) | Trap::Context(s) => s,
            Trap::Core(t) => return t.fmt(f),
        };
        f.write_str(s)
    }
}

impl std::error::Error for Trap {}

/// What lifting and lowering need from the instance (`LiftLowerContext`):
/// the options, the memory, `realloc`, and the handle table. The
/// instantiation layer implements it over a core memory; [`BumpContext`]
/// implements it over a `Vec<u8>`.
pub trait Context {
    /// The canonical options.
    fn options(&self) -> &Options;
    /// The memory's current size in bytes (0 without a memory).
    fn memory_len(&self) -> usize;
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Trap>;
    /// Writes `bytes` at `addr`.
    fn write(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Trap>;
    /// Calls the `realloc` option (`LiftLowerContext.reallocate`).
    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Trap>;
    /// `lift_own`: removes handle `i`, which must own a resource of type `rt`
    /// with no outstanding lends; returns its representation.
    fn lift_own(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap>;
    /// `lift_borrow`: handle `i` (own or borrow of `rt`) lends its
    /// representation for the call.
    fn lift_borrow(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap>;
    /// `lower_own`: a new owning handle for `rep`; returns its index.
    fn lower_own(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap>;
    /// `lower_borrow`: `rep` itself if this instance implements `rt`,
    /// otherwise a new borrow handle; returns the index.
    fn lower_borrow(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap>;
    /// Lifts a `stream`, `future` or `error-context` handle (📝 🔀; not
    /// part of the synchronous ABI: by default an error).
    fn lift_handle(&mut self, t: &ValType, i: u32) -> Result<Value, Trap> {
        let _ = i;
        Err(Trap::Context(format!("cannot lift {t:?}")))
    }
    /// Lowers a `stream`, `future` or `error-context` value (see
    /// [`Context::lift_handle`]).
    fn lower_handle(&mut self, t: &ValType, v: &Value) -> Result<u32, Trap> {
        let _ = v;
        Err(Trap::Context(format!("cannot lower {t:?}")))
    }
    /// The source of a string being lowered: its encoding and its tagged
    /// code units (the 2nd and 3rd members of the specification's `String`
    /// triple), which decide `store_string`'s `realloc` sequence. A host
    /// string is UTF-8 (the default); a string lifted from another
    /// component has that component's encoding.
    fn string_source(&self, s: &str) -> (StringEncoding, u64) {
        (StringEncoding::Utf8, s.len() as u64)
    }
}

// ---------------------------------------------------------------------------
// Despecialization

/// The cases of a variant-like type, after `despecialize` (`enum`,
/// `option` and `result` are variants).
#[derive(Clone, Copy, Debug)]
pub enum Cases<'a> {
    /// `variant`
    Variant(&'a [(String, Option<ValType>)]),
    /// `enum`: cases without payload
    Enum(&'a [String]),
    /// `option`: `none`, `some(t)`
    Option(&'a ValType),
    /// `result`: `ok(t?)`, `error(u?)`
    Result(Option<&'a ValType>, Option<&'a ValType>),
}

impl<'a> Cases<'a> {
    /// The number of cases.
    pub fn len(self) -> usize {
        match self {
            Cases::Variant(c) => c.len(),
            Cases::Enum(l) => l.len(),
            Cases::Option(_) | Cases::Result(..) => 2,
        }
    }

    /// Whether there are no cases (never for a valid type).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The payload type of case `i`.
    pub fn payload(self, i: usize) -> Option<&'a ValType> {
        match (self, i) {
            (Cases::Variant(c), _) => c.get(i).and_then(|c| c.1.as_ref()),
            (Cases::Option(t), 1) => Some(t),
            (Cases::Result(ok, _), 0) => ok,
            (Cases::Result(_, err), 1) => err,
            _ => None,
        }
    }

    /// All payload types.
    fn payloads(self) -> impl Iterator<Item = &'a ValType> {
        (0..self.len()).filter_map(move |i| self.payload(i))
    }

    /// The value of case `i` with `payload` (the inverse of [`Cases::match_case`]).
    fn wrap(self, i: usize, payload: Option<Value>) -> Value {
        let payload = payload.map(Box::new);
        match self {
            Cases::Variant(c) => Value::Variant(c[i].0.clone(), payload),
            Cases::Enum(l) => Value::Enum(l[i].clone()),
            Cases::Option(_) => Value::Option(payload),
            Cases::Result(..) if i == 0 => Value::Result(Ok(payload)),
            Cases::Result(..) => Value::Result(Err(payload)),
        }
    }

    /// `match_case`: the case index of `v` and its payload, checked against
    /// the case's payload type.
    fn match_case(self, v: &'a Value) -> Option<(usize, Option<&'a Value>)> {
        let (i, payload) = match (self, v) {
            (Cases::Variant(c), Value::Variant(l, p)) => {
                (c.iter().position(|c| c.0 == *l)?, p.as_deref())
            }
            (Cases::Enum(ls), Value::Enum(l)) => (ls.iter().position(|x| x == l)?, None),
            (Cases::Option(_), Value::Option(p)) => (usize::from(p.is_some()), p.as_deref()),
            (Cases::Result(..), Value::Result(Ok(p))) => (0, p.as_deref()),
            (Cases::Result(..), Value::Result(Err(p))) => (1, p.as_deref()),
            _ => return None,
        };
        (self.payload(i).is_some() == payload.is_some()).then_some((i, payload))
    }
}

/// The fields of a record-like type, after `despecialize` (a `tuple` is a
/// record).
#[derive(Clone, Copy, Debug)]
pub enum Fields<'a> {
    /// `record`
    Record(&'a [(String, ValType)]),
    /// `tuple`
    Tuple(&'a [ValType]),
}

impl<'a> Fields<'a> {
    /// The field types in order.
    pub fn types(self) -> impl Iterator<Item = &'a ValType> {
        let (r, t) = match self {
            Fields::Record(f) => (f, &[][..]),
            Fields::Tuple(t) => (&[][..], t),
        };
        r.iter().map(|f| &f.1).chain(t.iter())
    }
}

/// A type after `despecialize` (Despecialization): tuples are records;
/// enums, options and results are variants; a map is a list of pairs.
#[derive(Clone, Debug)]
pub enum Despecialized<'a> {
    /// A type that despecializes to itself (scalars, strings, handles).
    Itself(&'a ValType),
    /// `(list t)` or `(list t n)`
    List(&'a ValType, Option<u32>),
    /// `(map k v)`: `(list (tuple k v))`
    Map(ValType),
    /// `record` or `tuple`
    Record(Fields<'a>),
    /// `variant`, `enum`, `option`, `result`
    Variant(Cases<'a>),
}

/// Despecialization: the fundamental type `t` stands for.
pub fn despecialize(t: &ValType) -> Despecialized<'_> {
    match t {
        ValType::List(e) => Despecialized::List(e, None),
        ValType::FixedList(e, n) => Despecialized::List(e, Some(*n)),
        ValType::Map(k, v) => Despecialized::Map(pair_type(k, v)),
        ValType::Record(f) => Despecialized::Record(Fields::Record(f)),
        ValType::Tuple(t) => Despecialized::Record(Fields::Tuple(t)),
        ValType::Variant(c) => Despecialized::Variant(Cases::Variant(c)),
        ValType::Enum(l) => Despecialized::Variant(Cases::Enum(l)),
        ValType::Option(t) => Despecialized::Variant(Cases::Option(t)),
        ValType::Result(ok, err) => {
            Despecialized::Variant(Cases::Result(ok.as_deref(), err.as_deref()))
        }
        _ => Despecialized::Itself(t),
    }
}

/// The element type of a map: `(tuple k v)`.
fn pair_type(k: &ValType, v: &ValType) -> ValType {
    ValType::Tuple(vec![k.clone(), v.clone()])
}

// ---------------------------------------------------------------------------
// Alignment and element size

/// Alignment: the byte alignment of `t` in memory.
pub fn alignment(t: &ValType) -> u32 {
    match despecialize(t) {
        Despecialized::Itself(t) => scalar_size(t),
        Despecialized::List(e, Some(_)) => alignment(e),
        Despecialized::List(_, None) | Despecialized::Map(_) => PTR_SIZE as u32,
        Despecialized::Record(f) => f.types().map(alignment).max().unwrap_or(1),
        Despecialized::Variant(c) => alignment_variant(c),
    }
}

/// Alignment: a variant's, the larger of its discriminant's and its cases'.
fn alignment_variant(c: Cases<'_>) -> u32 {
    discriminant_size(c.len()).max(max_case_alignment(c))
}

/// Alignment: the largest alignment of a variant's payloads (1 if none).
pub fn max_case_alignment(c: Cases<'_>) -> u32 {
    c.payloads().map(alignment).max().unwrap_or(1)
}

/// The size (and alignment) of a type that despecializes to itself; a
/// string is a pointer and a length, aligned as a pointer.
fn scalar_size(t: &ValType) -> u32 {
    match t {
        ValType::Bool | ValType::S8 | ValType::U8 => 1,
        ValType::S16 | ValType::U16 => 2,
        ValType::S64 | ValType::U64 | ValType::F64 => 8,
        ValType::String => PTR_SIZE as u32,
        ValType::Flags(l) => flags_size(l.len()),
        // s32, u32, f32, char, handles (own, borrow, stream, future, error-context)
        _ => 4,
    }
}

/// `elem_size_flags` and `alignment_flags`: 1, 2 or 4 bytes for up to 8,
/// 16 or 32 labels.
fn flags_size(n: usize) -> u32 {
    match n {
        0..=8 => 1,
        9..=16 => 2,
        _ => 4,
    }
}

/// The discriminant's type of a variant with `n` cases, by size in bytes
/// (`discriminant_type`: u8, u16 or u32).
pub fn discriminant_type(n: usize) -> ValType {
    match discriminant_size(n) {
        1 => ValType::U8,
        2 => ValType::U16,
        _ => ValType::U32,
    }
}

/// The size of [`discriminant_type`]: `ceil(log2(n)/8)` bytes, at least 1.
fn discriminant_size(n: usize) -> u32 {
    match n {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

/// `align_to`: `ptr` rounded up to a multiple of `alignment`.
pub fn align_to(ptr: u64, alignment: u32) -> u64 {
    let a = u64::from(alignment.max(1));
    ptr.div_ceil(a).saturating_mul(a)
}

/// Element Size: the byte size of `t` in memory (saturating: a type of
/// more than 2^64 bytes can never be stored anyway).
pub fn elem_size(t: &ValType) -> u64 {
    match despecialize(t) {
        Despecialized::Itself(ValType::String) => 2 * PTR_SIZE,
        Despecialized::Itself(t) => u64::from(scalar_size(t)),
        Despecialized::List(e, Some(n)) => u64::from(n).saturating_mul(elem_size(e)),
        Despecialized::List(_, None) | Despecialized::Map(_) => 2 * PTR_SIZE,
        Despecialized::Record(f) => {
            let mut s = 0u64;
            let mut a = 1;
            for t in f.types() {
                let ta = alignment(t);
                a = a.max(ta);
                s = align_to(s, ta).saturating_add(elem_size(t));
            }
            align_to(s, a)
        }
        Despecialized::Variant(c) => {
            let mut s = u64::from(discriminant_size(c.len()));
            s = align_to(s, max_case_alignment(c));
            let cs = c.payloads().map(elem_size).max().unwrap_or(0);
            align_to(s.saturating_add(cs), alignment_variant(c))
        }
    }
}

/// The offset of a variant's payload (after the discriminant, aligned).
fn payload_offset(c: Cases<'_>) -> u64 {
    align_to(u64::from(discriminant_size(c.len())), max_case_alignment(c))
}

// ---------------------------------------------------------------------------
// Flattening

/// A flattened core function type (`CoreFuncType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreFuncType {
    /// Core parameters.
    pub params: Vec<CoreType>,
    /// Core results.
    pub results: Vec<CoreType>,
}

/// Whether a function type is flattened for `canon lift` or `canon lower`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlattenContext {
    /// `canon lift`: the core function is the callee.
    Lift,
    /// `canon lower`: the core function is the caller.
    Lower,
}

/// Flattening: the core signature of `ft` (`flatten_functype`). Parameters
/// beyond [`MAX_FLAT_PARAMS`] become one pointer; results beyond
/// [`MAX_FLAT_RESULTS`] a returned pointer (lift) or a pointer parameter
/// (lower). `callback` applies to async lifts.
pub fn flatten_functype(ft: &FuncType, context: FlattenContext, callback: bool) -> CoreFuncType {
    let param_types: Vec<ValType> = ft.params.iter().map(|p| p.1.clone()).collect();
    let flat_params = flatten_types(&param_types, MAX_FLAT_PARAMS);
    let flat_results = flatten_types(ft.result.as_slice(), MAX_FLAT_RESULTS);
    let ptr = || vec![CoreType::I32];
    if !ft.is_async {
        let mut params = flat_params.unwrap_or_else(ptr);
        let results = match (flat_results, context) {
            (Some(r), _) => r,
            (None, FlattenContext::Lift) => ptr(),
            (None, FlattenContext::Lower) => {
                params.push(CoreType::I32);
                vec![]
            }
        };
        return CoreFuncType { params, results };
    }
    match context {
        FlattenContext::Lift => CoreFuncType {
            params: flat_params.unwrap_or_else(ptr),
            results: if callback { ptr() } else { vec![] },
        },
        FlattenContext::Lower => {
            let mut params = flatten_types(&param_types, MAX_FLAT_ASYNC_PARAMS).unwrap_or_else(ptr);
            if ft.result.is_some() {
                params.push(CoreType::I32);
            }
            CoreFuncType {
                params,
                results: ptr(),
            }
        }
    }
}

/// Flattening: `flatten_types`, or `None` if there are more than `limit`
/// core values (the caller then passes a pointer; the limit keeps a huge
/// fixed-length list from being flattened).
pub fn flatten_types(ts: &[ValType], limit: usize) -> Option<Vec<CoreType>> {
    let mut out = Vec::new();
    ts.iter()
        .all(|t| flatten_into(t, &mut out, limit))
        .then_some(out)
}

/// Flattening: `flatten_type`, or `None` beyond `limit` core values.
pub fn flatten_type(t: &ValType, limit: usize) -> Option<Vec<CoreType>> {
    flatten_types(std::slice::from_ref(t), limit)
}

/// Appends the flattening of `t` to `out`; false once `out` exceeds `limit`.
fn flatten_into(t: &ValType, out: &mut Vec<CoreType>, limit: usize) -> bool {
    match despecialize(t) {
        Despecialized::Itself(t) => match t {
            ValType::S64 | ValType::U64 => out.push(CoreType::I64),
            ValType::F32 => out.push(CoreType::F32),
            ValType::F64 => out.push(CoreType::F64),
            ValType::String => out.extend([CoreType::I32; 2]),
            _ => out.push(CoreType::I32),
        },
        Despecialized::List(e, Some(n)) => {
            for _ in 0..n {
                if !flatten_into(e, out, limit) {
                    return false;
                }
            }
        }
        Despecialized::List(_, None) | Despecialized::Map(_) => out.extend([CoreType::I32; 2]),
        Despecialized::Record(f) => {
            for t in f.types() {
                if !flatten_into(t, out, limit) {
                    return false;
                }
            }
        }
        Despecialized::Variant(c) => match flatten_variant(c, limit.saturating_sub(out.len())) {
            Some(flat) => out.extend(flat),
            None => return false,
        },
    }
    out.len() <= limit
}

/// Flattening: a variant is its discriminant (i32) followed by the
/// elementwise `join` of its cases' flattenings (`flatten_variant`).
fn flatten_variant(c: Cases<'_>, limit: usize) -> Option<Vec<CoreType>> {
    let mut flat = vec![CoreType::I32];
    for t in c.payloads() {
        let case = flatten_type(t, limit.saturating_sub(1))?;
        for (i, ft) in case.into_iter().enumerate() {
            match flat.get_mut(i + 1) {
                Some(slot) => *slot = join(*slot, ft),
                None => flat.push(ft),
            }
        }
    }
    (flat.len() <= limit).then_some(flat)
}

/// Flattening: `join`, the core type that holds both `a` and `b` (i32 and
/// f32 share an i32; any other pair of different types an i64).
pub fn join(a: CoreType, b: CoreType) -> CoreType {
    match (a, b) {
        _ if a == b => a,
        (CoreType::I32, CoreType::F32) | (CoreType::F32, CoreType::I32) => CoreType::I32,
        _ => CoreType::I64,
    }
}

// ---------------------------------------------------------------------------
// Memory access helpers

/// Checks the `memory` option.
fn need_memory<C: Context + ?Sized>(cx: &C) -> Result<(), Trap> {
    if cx.options().memory {
        Ok(())
    } else {
        Err(Trap::NoMemory)
    }
}

/// Whether `[ptr, ptr + len)` ends beyond memory (`ptr + len > len(memory)`).
fn beyond<C: Context + ?Sized>(cx: &C, ptr: u64, len: u64) -> bool {
    ptr.saturating_add(len) > cx.memory_len() as u64
}

/// `load_int`: `n` (1, 2, 4, 8) little-endian bytes at `ptr`, zero-extended.
fn load_int<C: Context + ?Sized>(cx: &C, ptr: u64, n: usize) -> Result<u64, Trap> {
    let mut b = [0u8; 8];
    let addr = usize::try_from(ptr).map_err(|_| Trap::PointerOutOfBounds)?;
    cx.read(addr, &mut b[..n])?;
    Ok(u64::from_le_bytes(b))
}

/// `store_int`: the low `n` bytes of `v` at `ptr`, little-endian.
fn store_int<C: Context + ?Sized>(cx: &mut C, v: u64, ptr: u64, n: usize) -> Result<(), Trap> {
    write_at(cx, ptr, &v.to_le_bytes()[..n])
}

/// Writes `bytes` at `ptr`.
fn write_at<C: Context + ?Sized>(cx: &mut C, ptr: u64, bytes: &[u8]) -> Result<(), Trap> {
    let addr = usize::try_from(ptr).map_err(|_| Trap::PointerOutOfBounds)?;
    cx.write(addr, bytes)
}

/// Reads `len` bytes at `ptr` (the caller has checked the bounds).
fn read_at<C: Context + ?Sized>(cx: &C, ptr: u64, len: u64) -> Result<Vec<u8>, Trap> {
    if beyond(cx, ptr, len) {
        return Err(Trap::PointerOutOfBounds);
    }
    let mut buf = vec![0u8; len as usize];
    cx.read(ptr as usize, &mut buf)?;
    Ok(buf)
}

/// `LiftLowerContext.reallocate`, after checking the `realloc` option.
fn reallocate<C: Context + ?Sized>(
    cx: &mut C,
    old: u64,
    old_len: u64,
    align: u32,
    new_len: u64,
) -> Result<u64, Trap> {
    if !cx.options().realloc {
        return Err(Trap::NoRealloc);
    }
    let narrow = |x: u64| u32::try_from(x).map_err(|_| Trap::StringTooLong);
    let p = cx.realloc(narrow(old)?, narrow(old_len)?, align, narrow(new_len)?)?;
    Ok(u64::from(p))
}

/// The checks after `realloc` returned `ptr` for `len` bytes aligned to
/// `align` (`None`: no alignment check, as `store_string_to_utf8` does).
fn check_realloc<C: Context + ?Sized>(
    cx: &C,
    ptr: u64,
    align: Option<u32>,
    len: u64,
    region: Region,
) -> Result<(), Trap> {
    if let Some(a) = align
        && ptr != align_to(ptr, a)
    {
        return Err(Trap::ReallocUnaligned);
    }
    if beyond(cx, ptr, len) {
        return Err(Trap::ReallocOutOfBounds(region));
    }
    Ok(())
}

fn mismatch(t: &ValType, v: &Value) -> Trap {
    Trap::ValueMismatch(format!("type mismatch: expected {t:?}, found {v:?}"))
}

// ---------------------------------------------------------------------------
// Loading

/// Loading: the value of type `t` at `ptr` (`load`). `ptr` is aligned and
/// in bounds when called from [`lift_flat_values`] and from within `load`.
pub fn load<C: Context + ?Sized>(cx: &mut C, ptr: u64, t: &ValType) -> Result<Value, Trap> {
    use ValType as T;
    need_memory(cx)?;
    let p = ptr;
    Ok(match t {
        T::Bool => Value::Bool(load_int(cx, p, 1)? != 0),
        T::U8 => Value::U8(load_int(cx, p, 1)? as u8),
        T::U16 => Value::U16(load_int(cx, p, 2)? as u16),
        T::U32 => Value::U32(load_int(cx, p, 4)? as u32),
        T::U64 => Value::U64(load_int(cx, p, 8)?),
        T::S8 => Value::S8(load_int(cx, p, 1)? as u8 as i8),
        T::S16 => Value::S16(load_int(cx, p, 2)? as u16 as i16),
        T::S32 => Value::S32(load_int(cx, p, 4)? as u32 as i32),
        T::S64 => Value::S64(load_int(cx, p, 8)? as i64),
        T::F32 => Value::F32(canonicalize_nan32(load_int(cx, p, 4)? as u32)),
        T::F64 => Value::F64(canonicalize_nan64(load_int(cx, p, 8)?)),
        T::Char => Value::Char(convert_i32_to_char(load_int(cx, p, 4)? as u32)?),
        T::String => {
            let begin = load_int(cx, p, 4)?;
            let tagged = load_int(cx, p.saturating_add(PTR_SIZE), 4)?;
            Value::String(load_string_from_range(cx, begin, tagged as u32)?)
        }
        T::List(e) => {
            let begin = load_int(cx, p, 4)?;
            let len = load_int(cx, p.saturating_add(PTR_SIZE), 4)?;
            Value::List(load_list_from_range(cx, begin, len, e)?)
        }
        T::FixedList(e, n) => Value::List(load_list_from_valid_range(cx, p, u64::from(*n), e)?),
        T::Map(k, v) => {
            let begin = load_int(cx, p, 4)?;
            let len = load_int(cx, p.saturating_add(PTR_SIZE), 4)?;
            let pairs = load_list_from_range(cx, begin, len, &pair_type(k, v))?;
            Value::Map(pairs.into_iter().map(unpair).collect())
        }
        T::Record(fields) => {
            let vs = load_record(cx, p, Fields::Record(fields))?;
            Value::Record(fields.iter().map(|f| f.0.clone()).zip(vs).collect())
        }
        T::Tuple(ts) => Value::Tuple(load_record(cx, p, Fields::Tuple(ts))?),
        T::Variant(_) | T::Enum(_) | T::Option(_) | T::Result(..) => {
            let Despecialized::Variant(c) = despecialize(t) else {
                unreachable!("variant-like types despecialize to variants")
            };
            load_variant(cx, p, c)?
        }
        T::Flags(labels) => {
            let i = load_int(cx, p, flags_size(labels.len()) as usize)?;
            unpack_flags_from_int(i, labels)
        }
        T::Own(rt) => Value::Own(cx.lift_own(*rt, load_int(cx, p, 4)? as u32)?),
        T::Borrow(rt) => Value::Borrow(cx.lift_borrow(*rt, load_int(cx, p, 4)? as u32)?),
        T::ErrorContext | T::Stream(_) | T::Future(_) => {
            let i = load_int(cx, p, 4)? as u32;
            cx.lift_handle(t, i)?
        }
    })
}

/// A loaded `(tuple k v)` as a map entry.
fn unpair(v: Value) -> (Value, Value) {
    match v {
        Value::Tuple(kv) => {
            let mut it = kv.into_iter();
            match (it.next(), it.next()) {
                (Some(k), Some(v)) => (k, v),
                _ => unreachable!("a pair type loads as a pair"),
            }
        }
        _ => unreachable!("a pair type loads as a tuple"),
    }
}

/// Loading: a float's NaNs become the canonical NaN (`canonicalize_nan32`).
pub fn canonicalize_nan32(bits: u32) -> u32 {
    if f32::from_bits(bits).is_nan() {
        CANONICAL_FLOAT32_NAN
    } else {
        bits
    }
}

/// Loading: `canonicalize_nan64`.
pub fn canonicalize_nan64(bits: u64) -> u64 {
    if f64::from_bits(bits).is_nan() {
        CANONICAL_FLOAT64_NAN
    } else {
        bits
    }
}

/// Loading: `convert_i32_to_char` (surrogates and values above 0x10FFFF trap).
pub fn convert_i32_to_char(i: u32) -> Result<char, Trap> {
    char::from_u32(i).ok_or(Trap::InvalidChar)
}

/// Loading: `load_string_from_range`, the string at `ptr` of
/// `tagged_code_units` in the options' encoding.
pub fn load_string_from_range<C: Context + ?Sized>(
    cx: &C,
    ptr: u64,
    tagged_code_units: u32,
) -> Result<String, Trap> {
    need_memory(cx)?;
    let units = u64::from(tagged_code_units);
    // (alignment, byte length, whether UTF-16 (else UTF-8, or Latin-1 if tagged))
    let (align, byte_length, enc) = match cx.options().string_encoding {
        StringEncoding::Utf8 => (1, units, StringEncoding::Utf8),
        StringEncoding::Utf16 => (2, 2 * units, StringEncoding::Utf16),
        StringEncoding::Latin1Utf16 if tagged_code_units & UTF16_TAG != 0 => (
            2,
            2 * u64::from(tagged_code_units ^ UTF16_TAG),
            StringEncoding::Utf16,
        ),
        StringEncoding::Latin1Utf16 => (2, units, StringEncoding::Latin1Utf16),
    };
    if byte_length > MAX_STRING_BYTE_LENGTH {
        return Err(Trap::StringTooLong);
    }
    if ptr != align_to(ptr, align) {
        return Err(Trap::UnalignedPointer);
    }
    if beyond(cx, ptr, byte_length) {
        return Err(Trap::StringOutOfBounds);
    }
    let bytes = read_at(cx, ptr, byte_length)?;
    match enc {
        StringEncoding::Utf8 => String::from_utf8(bytes).map_err(|e| Trap::InvalidUtf8 {
            incomplete: e.utf8_error().error_len().is_none(),
        }),
        StringEncoding::Utf16 => char::decode_utf16(
            bytes
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]])),
        )
        .collect::<Result<String, _>>()
        .map_err(|_| Trap::InvalidUtf16),
        StringEncoding::Latin1Utf16 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Loading: `load_list_from_range`, `length` elements of `elem_type` at
/// `ptr`, bounds-checked before anything is read or allocated.
pub fn load_list_from_range<C: Context + ?Sized>(
    cx: &mut C,
    ptr: u64,
    length: u64,
    elem_type: &ValType,
) -> Result<Vec<Value>, Trap> {
    let size = elem_size(elem_type);
    let bytes = length.saturating_mul(size);
    // A zero-sized element (never in a valid type) gets the bound of a byte.
    if bytes > MAX_LIST_BYTE_LENGTH || (size == 0 && length > MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::ListTooLong);
    }
    if ptr != align_to(ptr, alignment(elem_type)) {
        return Err(Trap::UnalignedPointer);
    }
    if beyond(cx, ptr, bytes) {
        return Err(Trap::ListOutOfBounds);
    }
    load_list_from_valid_range(cx, ptr, length, elem_type)
}

/// Loading: `load_list_from_valid_range`.
fn load_list_from_valid_range<C: Context + ?Sized>(
    cx: &mut C,
    ptr: u64,
    length: u64,
    elem_type: &ValType,
) -> Result<Vec<Value>, Trap> {
    let size = elem_size(elem_type);
    // Fixed-length lists are bounded by their type; still, reserve no more
    // than memory could hold.
    let mut a = Vec::with_capacity(length.min(cx.memory_len() as u64 + 1) as usize);
    for i in 0..length {
        a.push(load(
            cx,
            ptr.saturating_add(i.saturating_mul(size)),
            elem_type,
        )?);
    }
    Ok(a)
}

/// Loading: `load_record`, the fields in order, each at its aligned offset.
fn load_record<C: Context + ?Sized>(
    cx: &mut C,
    mut ptr: u64,
    fields: Fields<'_>,
) -> Result<Vec<Value>, Trap> {
    let mut vs = Vec::new();
    for t in fields.types() {
        ptr = align_to(ptr, alignment(t));
        vs.push(load(cx, ptr, t)?);
        ptr = ptr.saturating_add(elem_size(t));
    }
    Ok(vs)
}

/// Loading: `load_variant`, the discriminant then the case's payload.
fn load_variant<C: Context + ?Sized>(cx: &mut C, ptr: u64, c: Cases<'_>) -> Result<Value, Trap> {
    let disc_size = discriminant_size(c.len());
    let case_index = load_int(cx, ptr, disc_size as usize)?;
    if case_index >= c.len() as u64 {
        return Err(Trap::InvalidDiscriminant);
    }
    let i = case_index as usize;
    let payload = match c.payload(i) {
        Some(t) => Some(load(cx, ptr.saturating_add(payload_offset(c)), t)?),
        None => None,
    };
    Ok(c.wrap(i, payload))
}

/// Loading: `unpack_flags_from_int`, label `k` set iff bit `k` is.
fn unpack_flags_from_int(i: u64, labels: &[String]) -> Value {
    Value::Flags(
        labels
            .iter()
            .enumerate()
            .filter(|(k, _)| *k < 64 && i >> k & 1 == 1)
            .map(|(_, l)| l.clone())
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Storing

/// Storing: writes `v` of type `t` at `ptr` (`store`). `ptr` is aligned and
/// in bounds when called from [`lower_flat_values`] and from within `store`.
pub fn store<C: Context + ?Sized>(
    cx: &mut C,
    v: &Value,
    t: &ValType,
    ptr: u64,
) -> Result<(), Trap> {
    use ValType as T;
    need_memory(cx)?;
    let p = ptr;
    match (t, v) {
        (T::Bool, Value::Bool(b)) => store_int(cx, u64::from(*b), p, 1),
        (T::U8, Value::U8(x)) => store_int(cx, u64::from(*x), p, 1),
        (T::U16, Value::U16(x)) => store_int(cx, u64::from(*x), p, 2),
        (T::U32, Value::U32(x)) => store_int(cx, u64::from(*x), p, 4),
        (T::U64, Value::U64(x)) => store_int(cx, *x, p, 8),
        (T::S8, Value::S8(x)) => store_int(cx, *x as u64, p, 1),
        (T::S16, Value::S16(x)) => store_int(cx, *x as u64, p, 2),
        (T::S32, Value::S32(x)) => store_int(cx, *x as u64, p, 4),
        (T::S64, Value::S64(x)) => store_int(cx, *x as u64, p, 8),
        (T::F32, Value::F32(b)) => store_int(cx, u64::from(maybe_scramble_nan32(*b)), p, 4),
        (T::F64, Value::F64(b)) => store_int(cx, maybe_scramble_nan64(*b), p, 8),
        (T::Char, Value::Char(c)) => store_int(cx, u64::from(*c), p, 4),
        (T::String, Value::String(s)) => {
            let (begin, tagged) = store_string_into_range(cx, s)?;
            store_int(cx, begin, p, 4)?;
            store_int(cx, tagged, p.saturating_add(PTR_SIZE), 4)
        }
        (T::List(e), Value::List(vs)) => {
            let (begin, length) = store_list_into_range(cx, vs, e)?;
            store_int(cx, begin, p, 4)?;
            store_int(cx, length, p.saturating_add(PTR_SIZE), 4)
        }
        (T::FixedList(e, n), Value::List(vs)) if vs.len() as u64 == u64::from(*n) => {
            store_list_into_valid_range(cx, vs, p, e)
        }
        (T::Map(k, mt), Value::Map(kvs)) => {
            let pairs: Vec<Value> = kvs
                .iter()
                .map(|(a, b)| Value::Tuple(vec![a.clone(), b.clone()]))
                .collect();
            let (begin, length) = store_list_into_range(cx, &pairs, &pair_type(k, mt))?;
            store_int(cx, begin, p, 4)?;
            store_int(cx, length, p.saturating_add(PTR_SIZE), 4)
        }
        (T::Record(_) | T::Tuple(_), _) => {
            let (Despecialized::Record(f), Some(vs)) = (despecialize(t), record_values(t, v))
            else {
                return Err(mismatch(t, v));
            };
            store_record(cx, &vs, p, f)
        }
        (T::Variant(_) | T::Enum(_) | T::Option(_) | T::Result(..), _) => {
            let Despecialized::Variant(c) = despecialize(t) else {
                unreachable!("variant-like types despecialize to variants")
            };
            store_variant(cx, v, t, p, c)
        }
        (T::Flags(labels), Value::Flags(_)) => {
            let i = pack_flags_into_int(v, t, labels)?;
            store_int(cx, i, p, flags_size(labels.len()) as usize)
        }
        (T::Own(rt), Value::Own(rep)) => {
            let i = cx.lower_own(*rt, *rep)?;
            store_int(cx, u64::from(i), p, 4)
        }
        (T::Borrow(rt), Value::Borrow(rep)) => {
            let i = cx.lower_borrow(*rt, *rep)?;
            store_int(cx, u64::from(i), p, 4)
        }
        (T::ErrorContext | T::Stream(_) | T::Future(_), _) => {
            let i = cx.lower_handle(t, v)?;
            store_int(cx, u64::from(i), p, 4)
        }
        _ => Err(mismatch(t, v)),
    }
}

/// The field values of a record or tuple value, checked against its type
/// (count, and labels in order).
fn record_values<'v>(t: &ValType, v: &'v Value) -> Option<Vec<&'v Value>> {
    match (t, v) {
        (ValType::Record(fs), Value::Record(vs)) => (fs.len() == vs.len()
            && fs.iter().zip(vs).all(|(f, v)| f.0 == v.0))
        .then(|| vs.iter().map(|v| &v.1).collect()),
        (ValType::Tuple(ts), Value::Tuple(vs)) => {
            (ts.len() == vs.len()).then(|| vs.iter().collect())
        }
        _ => None,
    }
}

/// Storing: a NaN is lowered as the canonical NaN (`maybe_scramble_nan32`
/// in the deterministic profile; the specification also allows any NaN).
pub fn maybe_scramble_nan32(bits: u32) -> u32 {
    canonicalize_nan32(bits)
}

/// Storing: `maybe_scramble_nan64` (see [`maybe_scramble_nan32`]).
pub fn maybe_scramble_nan64(bits: u64) -> u64 {
    canonicalize_nan64(bits)
}

/// The UTF-16LE bytes of `s`.
fn utf16_bytes(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Storing: `store_string_into_range`, which picks the transcoding from the
/// source's encoding ([`Context::string_source`]) to the options'; returns
/// the pointer and the tagged code units.
pub fn store_string_into_range<C: Context + ?Sized>(
    cx: &mut C,
    src: &str,
) -> Result<(u64, u64), Trap> {
    use StringEncoding::{Latin1Utf16, Utf8, Utf16};
    need_memory(cx)?;
    let (src_encoding, src_tagged_code_units) = cx.string_source(src);
    let tag = u64::from(UTF16_TAG);
    // (simple source encoding: Latin1Utf16 stands for plain Latin-1 here)
    let (simple, units) = match src_encoding {
        Latin1Utf16 if src_tagged_code_units & tag != 0 => (Utf16, src_tagged_code_units ^ tag),
        e => (e, src_tagged_code_units),
    };
    match (cx.options().string_encoding, simple) {
        (Utf8, Utf8) => store_string_copy(cx, src.as_bytes(), units, 1, 1),
        (Utf8, Utf16) => store_string_to_utf8(cx, src, units, units.saturating_mul(3)),
        (Utf8, Latin1Utf16) => store_string_to_utf8(cx, src, units, units.saturating_mul(2)),
        (Utf16, Utf8) => store_utf8_to_utf16(cx, src, units),
        (Utf16, _) => store_string_copy(cx, &utf16_bytes(src), units, 2, 2),
        (Latin1Utf16, _) if src_encoding != Latin1Utf16 => {
            store_string_to_latin1_or_utf16(cx, src, units)
        }
        (Latin1Utf16, Latin1Utf16) => {
            let latin1: Vec<u8> = src.chars().map(|c| c as u32 as u8).collect();
            store_string_copy(cx, &latin1, units, 1, 2)
        }
        (Latin1Utf16, _) => store_probably_utf16_to_latin1_or_utf16(cx, src, units),
    }
}

/// Storing: a `realloc` size the specification asserts fits in an i32.
fn realloc_size(n: u64) -> Result<u64, Trap> {
    if n > REALLOC_I32_MAX {
        Err(Trap::StringTooLong)
    } else {
        Ok(n)
    }
}

/// Storing: `store_string_copy`, no transcoding: one allocation of
/// `code_unit_size * src_code_units` bytes, `encoded` copied in.
fn store_string_copy<C: Context + ?Sized>(
    cx: &mut C,
    encoded: &[u8],
    src_code_units: u64,
    dst_code_unit_size: u64,
    dst_alignment: u32,
) -> Result<(u64, u64), Trap> {
    let dst_byte_length = realloc_size(dst_code_unit_size.saturating_mul(src_code_units))?;
    let ptr = reallocate(cx, 0, 0, dst_alignment, dst_byte_length)?;
    check_realloc(
        cx,
        ptr,
        Some(dst_alignment),
        dst_byte_length,
        Region::String,
    )?;
    if encoded.len() as u64 != dst_byte_length {
        return Err(Trap::Context(
            "string source code units do not match the string".into(),
        ));
    }
    write_at(cx, ptr, encoded)?;
    Ok((ptr, src_code_units))
}

/// Storing: `store_string_to_utf8` (from UTF-16 or Latin-1): optimistically
/// one byte per code unit; at the first non-ASCII character, grow to the
/// worst case, then shrink to the encoded size.
fn store_string_to_utf8<C: Context + ?Sized>(
    cx: &mut C,
    src: &str,
    src_code_units: u64,
    worst_case_size: u64,
) -> Result<(u64, u64), Trap> {
    let src_code_units = realloc_size(src_code_units)?;
    let mut ptr = reallocate(cx, 0, 0, 1, src_code_units)?;
    check_realloc(cx, ptr, None, src_code_units, Region::String)?;
    let encoded = src.as_bytes();
    // The ASCII prefix is written one byte per character before any growth.
    let i = encoded
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(encoded.len());
    write_at(cx, ptr, &encoded[..i])?;
    if i == encoded.len() {
        return Ok((ptr, src_code_units));
    }
    let worst_case_size = realloc_size(worst_case_size)?;
    ptr = reallocate(cx, ptr, src_code_units, 1, worst_case_size)?;
    check_realloc(cx, ptr, None, worst_case_size, Region::String)?;
    write_at(cx, ptr + i as u64, &encoded[i..])?;
    let len = encoded.len() as u64;
    if worst_case_size > len {
        ptr = reallocate(cx, ptr, worst_case_size, 1, len)?;
        check_realloc(cx, ptr, None, len, Region::String)?;
    }
    Ok((ptr, len))
}

/// Storing: `store_utf8_to_utf16`: allocate the worst case (2 bytes per
/// UTF-8 byte), then shrink to the encoded size.
fn store_utf8_to_utf16<C: Context + ?Sized>(
    cx: &mut C,
    src: &str,
    src_code_units: u64,
) -> Result<(u64, u64), Trap> {
    let worst_case_size = realloc_size(src_code_units.saturating_mul(2))?;
    let mut ptr = reallocate(cx, 0, 0, 2, worst_case_size)?;
    check_realloc(cx, ptr, Some(2), worst_case_size, Region::String)?;
    let encoded = utf16_bytes(src);
    write_at(cx, ptr, &encoded)?;
    let len = encoded.len() as u64;
    if len < worst_case_size {
        ptr = reallocate(cx, ptr, worst_case_size, 2, len)?;
        check_realloc(cx, ptr, Some(2), len, Region::String)?;
    }
    Ok((ptr, len / 2))
}

/// Storing: `store_string_to_latin1_or_utf16` (from UTF-8 or UTF-16):
/// optimistically Latin-1; at the first character above U+00FF, grow to
/// the worst case, inflate the Latin-1 prefix in place to UTF-16, and
/// shrink to the encoded size; an all-Latin-1 string is shrunk instead.
fn store_string_to_latin1_or_utf16<C: Context + ?Sized>(
    cx: &mut C,
    src: &str,
    src_code_units: u64,
) -> Result<(u64, u64), Trap> {
    let src_code_units = realloc_size(src_code_units)?;
    let mut ptr = reallocate(cx, 0, 0, 2, src_code_units)?;
    check_realloc(cx, ptr, Some(2), src_code_units, Region::String)?;
    let latin1: Vec<u8> = src
        .chars()
        .take_while(|&c| (c as u32) < 0x100)
        .map(|c| c as u32 as u8)
        .collect();
    let dst_byte_length = latin1.len() as u64;
    write_at(cx, ptr, &latin1)?;
    if src.chars().nth(latin1.len()).is_some() {
        let worst_case_size = realloc_size(src_code_units.saturating_mul(2))?;
        ptr = reallocate(cx, ptr, src_code_units, 2, worst_case_size)?;
        check_realloc(cx, ptr, Some(2), worst_case_size, Region::String)?;
        // Inflate from the new region, which realloc may or may not have copied.
        let prefix = read_at(cx, ptr, dst_byte_length)?;
        let inflated: Vec<u8> = prefix.iter().flat_map(|&b| [b, 0]).collect();
        write_at(cx, ptr, &inflated)?;
        let encoded = utf16_bytes(src);
        write_at(cx, ptr + 2 * dst_byte_length, &encoded[inflated.len()..])?;
        let len = encoded.len() as u64;
        if worst_case_size > len {
            ptr = reallocate(cx, ptr, worst_case_size, 2, len)?;
            check_realloc(cx, ptr, Some(2), len, Region::String)?;
        }
        return Ok((ptr, (len / 2) | u64::from(UTF16_TAG)));
    }
    if dst_byte_length < src_code_units {
        ptr = reallocate(cx, ptr, src_code_units, 2, dst_byte_length)?;
        check_realloc(cx, ptr, Some(2), dst_byte_length, Region::String)?;
    }
    Ok((ptr, dst_byte_length))
}

/// Storing: `store_probably_utf16_to_latin1_or_utf16` (from a tagged UTF-16
/// `latin1+utf16` source): copy as UTF-16; if every character is Latin-1
/// after all, compact in place and shrink.
fn store_probably_utf16_to_latin1_or_utf16<C: Context + ?Sized>(
    cx: &mut C,
    src: &str,
    src_code_units: u64,
) -> Result<(u64, u64), Trap> {
    let src_byte_length = realloc_size(src_code_units.saturating_mul(2))?;
    let mut ptr = reallocate(cx, 0, 0, 2, src_byte_length)?;
    check_realloc(cx, ptr, Some(2), src_byte_length, Region::String)?;
    let encoded = utf16_bytes(src);
    write_at(cx, ptr, &encoded)?;
    if src.chars().any(|c| c as u32 >= 0x100) {
        return Ok((ptr, (encoded.len() as u64 / 2) | u64::from(UTF16_TAG)));
    }
    let latin1: Vec<u8> = encoded.iter().step_by(2).copied().collect();
    write_at(cx, ptr, &latin1)?;
    let latin1_size = latin1.len() as u64;
    ptr = reallocate(cx, ptr, src_byte_length, 1, latin1_size)?;
    check_realloc(cx, ptr, None, latin1_size, Region::String)?;
    Ok((ptr, latin1_size))
}

/// Storing: `store_list_into_range`, one allocation for all elements.
pub fn store_list_into_range<C: Context + ?Sized>(
    cx: &mut C,
    v: &[Value],
    elem_type: &ValType,
) -> Result<(u64, u64), Trap> {
    need_memory(cx)?;
    let byte_length = (v.len() as u64).saturating_mul(elem_size(elem_type));
    if byte_length > REALLOC_I32_MAX {
        return Err(Trap::ListTooLong);
    }
    let align = alignment(elem_type);
    let ptr = reallocate(cx, 0, 0, align, byte_length)?;
    check_realloc(cx, ptr, Some(align), byte_length, Region::List)?;
    store_list_into_valid_range(cx, v, ptr, elem_type)?;
    Ok((ptr, v.len() as u64))
}

/// Storing: `store_list_into_valid_range`.
fn store_list_into_valid_range<C: Context + ?Sized>(
    cx: &mut C,
    v: &[Value],
    ptr: u64,
    elem_type: &ValType,
) -> Result<(), Trap> {
    let size = elem_size(elem_type);
    for (i, e) in v.iter().enumerate() {
        store(
            cx,
            e,
            elem_type,
            ptr.saturating_add((i as u64).saturating_mul(size)),
        )?;
    }
    Ok(())
}

/// Storing: `store_record`, the fields in order at their aligned offsets.
fn store_record<C: Context + ?Sized>(
    cx: &mut C,
    vs: &[&Value],
    mut ptr: u64,
    fields: Fields<'_>,
) -> Result<(), Trap> {
    for (t, v) in fields.types().zip(vs) {
        ptr = align_to(ptr, alignment(t));
        store(cx, v, t, ptr)?;
        ptr = ptr.saturating_add(elem_size(t));
    }
    Ok(())
}

/// Storing: `store_variant`, the discriminant then the payload at the
/// aligned payload offset.
fn store_variant<C: Context + ?Sized>(
    cx: &mut C,
    v: &Value,
    t: &ValType,
    ptr: u64,
    c: Cases<'_>,
) -> Result<(), Trap> {
    let (i, payload) = c.match_case(v).ok_or_else(|| mismatch(t, v))?;
    store_int(cx, i as u64, ptr, discriminant_size(c.len()) as usize)?;
    if let (Some(pt), Some(pv)) = (c.payload(i), payload) {
        store(cx, pv, pt, ptr.saturating_add(payload_offset(c)))?;
    }
    Ok(())
}

/// Storing: `pack_flags_into_int`, bit `k` set iff label `k` is.
fn pack_flags_into_int(v: &Value, t: &ValType, labels: &[String]) -> Result<u64, Trap> {
    let Value::Flags(set) = v else {
        return Err(mismatch(t, v));
    };
    let mut i = 0u64;
    for l in set {
        match labels.iter().position(|x| x == l) {
            Some(k) if k < 32 => i |= 1 << k,
            _ => return Err(mismatch(t, v)),
        }
    }
    Ok(i)
}

// ---------------------------------------------------------------------------
// Flat lifting

/// A source of flat values for [`lift_flat`] (`CoreValueIter`).
pub trait FlatIter {
    /// The next flat value, which must be of type `t`.
    fn next(&mut self, t: CoreType) -> Result<Val, Trap>;
}

/// Flat lifting: `CoreValueIter`, the core values of a call in order.
#[derive(Clone, Debug)]
pub struct CoreValueIter<'a> {
    values: std::borrow::Cow<'a, [Val]>,
    i: usize,
}

impl<'a> CoreValueIter<'a> {
    /// An iterator over `values`.
    pub fn new(values: &'a [Val]) -> Self {
        CoreValueIter {
            values: std::borrow::Cow::Borrowed(values),
            i: 0,
        }
    }

    /// An iterator that owns its values (kept by a call that outlives the
    /// core frame it came from).
    pub fn owned(values: Vec<Val>) -> CoreValueIter<'static> {
        CoreValueIter {
            values: std::borrow::Cow::Owned(values),
            i: 0,
        }
    }

    /// Whether every value was consumed.
    pub fn done(&self) -> bool {
        self.i == self.values.len()
    }
}

impl FlatIter for CoreValueIter<'_> {
    fn next(&mut self, t: CoreType) -> Result<Val, Trap> {
        let v = self.values.get(self.i).ok_or_else(|| {
            Trap::FlatMismatch(format!("missing core value of type {}", t.name()))
        })?;
        if CoreType::of(v) != Some(t) {
            return Err(Trap::FlatMismatch(format!(
                "core value {v:?} is not of type {}",
                t.name()
            )));
        }
        self.i += 1;
        Ok(*v)
    }
}

/// Flat lifting of a variant's payload: `CoerceValueIter`, which reads each
/// flat value at its joined type and converts it to the type wanted.
struct CoerceValueIter<'a> {
    vi: &'a mut dyn FlatIter,
    flat_types: std::iter::Skip<std::vec::IntoIter<CoreType>>,
}

impl FlatIter for CoerceValueIter<'_> {
    fn next(&mut self, want: CoreType) -> Result<Val, Trap> {
        let have = self
            .flat_types
            .next()
            .ok_or_else(|| Trap::FlatMismatch("variant payload too long".into()))?;
        let x = self.vi.next(have)?;
        Ok(match (x, want) {
            (Val::I32(x), CoreType::F32) => Val::F32(canonicalize_nan32(x)),
            (Val::I64(x), CoreType::I32) => Val::I32(x as u32),
            (Val::I64(x), CoreType::F32) => Val::F32(canonicalize_nan32(x as u32)),
            (Val::I64(x), CoreType::F64) => Val::F64(canonicalize_nan64(x)),
            (x, _) if have == want => x,
            _ => return Err(Trap::FlatMismatch("variant payload type".into())),
        })
    }
}

/// The integer of a flat i32 or i64.
fn int_of(v: Val) -> u64 {
    match v {
        Val::I32(x) | Val::F32(x) => u64::from(x),
        Val::I64(x) | Val::F64(x) => x,
        _ => 0,
    }
}

/// Flat lifting: `lift_flat`, the value of type `t` from the next core values.
pub fn lift_flat<C: Context + ?Sized>(
    cx: &mut C,
    vi: &mut dyn FlatIter,
    t: &ValType,
) -> Result<Value, Trap> {
    use CoreType::{F32, F64, I32, I64};
    use ValType as T;
    let i32 = |vi: &mut dyn FlatIter| vi.next(I32).map(int_of);
    Ok(match t {
        T::Bool => Value::Bool(i32(vi)? != 0),
        // lift_flat_unsigned / lift_flat_signed: wrap to the type's width
        T::U8 => Value::U8(i32(vi)? as u8),
        T::U16 => Value::U16(i32(vi)? as u16),
        T::U32 => Value::U32(i32(vi)? as u32),
        T::S8 => Value::S8(i32(vi)? as u8 as i8),
        T::S16 => Value::S16(i32(vi)? as u16 as i16),
        T::S32 => Value::S32(i32(vi)? as u32 as i32),
        T::U64 => Value::U64(int_of(vi.next(I64)?)),
        T::S64 => Value::S64(int_of(vi.next(I64)?) as i64),
        T::F32 => Value::F32(canonicalize_nan32(int_of(vi.next(F32)?) as u32)),
        T::F64 => Value::F64(canonicalize_nan64(int_of(vi.next(F64)?))),
        T::Char => Value::Char(convert_i32_to_char(i32(vi)? as u32)?),
        T::String => {
            let ptr = i32(vi)?;
            let packed_length = i32(vi)?;
            Value::String(load_string_from_range(cx, ptr, packed_length as u32)?)
        }
        T::List(e) => {
            let ptr = i32(vi)?;
            let length = i32(vi)?;
            Value::List(load_list_from_range(cx, ptr, length, e)?)
        }
        T::Map(k, v) => {
            let ptr = i32(vi)?;
            let length = i32(vi)?;
            let pairs = load_list_from_range(cx, ptr, length, &pair_type(k, v))?;
            Value::Map(pairs.into_iter().map(unpair).collect())
        }
        T::FixedList(e, n) => {
            let mut a = Vec::new();
            for _ in 0..*n {
                a.push(lift_flat(cx, vi, e)?);
            }
            Value::List(a)
        }
        T::Record(fields) => {
            let mut vs = Vec::with_capacity(fields.len());
            for (l, t) in fields {
                vs.push((l.clone(), lift_flat(cx, vi, t)?));
            }
            Value::Record(vs)
        }
        T::Tuple(ts) => {
            let mut vs = Vec::with_capacity(ts.len());
            for t in ts {
                vs.push(lift_flat(cx, vi, t)?);
            }
            Value::Tuple(vs)
        }
        T::Variant(_) | T::Enum(_) | T::Option(_) | T::Result(..) => {
            let Despecialized::Variant(c) = despecialize(t) else {
                unreachable!("variant-like types despecialize to variants")
            };
            lift_flat_variant(cx, vi, c)?
        }
        T::Flags(labels) => unpack_flags_from_int(i32(vi)?, labels),
        T::Own(rt) => Value::Own(cx.lift_own(*rt, i32(vi)? as u32)?),
        T::Borrow(rt) => Value::Borrow(cx.lift_borrow(*rt, i32(vi)? as u32)?),
        T::ErrorContext | T::Stream(_) | T::Future(_) => {
            let i = i32(vi)? as u32;
            cx.lift_handle(t, i)?
        }
    })
}

/// Flat lifting: `lift_flat_variant`, the discriminant, the case's payload
/// through [`CoerceValueIter`], then the unused flat values skipped.
fn lift_flat_variant<C: Context + ?Sized>(
    cx: &mut C,
    vi: &mut dyn FlatIter,
    c: Cases<'_>,
) -> Result<Value, Trap> {
    let flat_types = flatten_variant(c, FLAT_LIMIT)
        .ok_or_else(|| Trap::FlatMismatch("variant too large".into()))?;
    let case_index = int_of(vi.next(CoreType::I32)?);
    if case_index >= c.len() as u64 {
        return Err(Trap::InvalidDiscriminant);
    }
    let i = case_index as usize;
    let mut co = CoerceValueIter {
        vi,
        flat_types: flat_types.into_iter().skip(1),
    };
    let v = match c.payload(i) {
        Some(t) => Some(lift_flat(cx, &mut co, t)?),
        None => None,
    };
    for have in co.flat_types {
        co.vi.next(have)?;
    }
    Ok(c.wrap(i, v))
}

// ---------------------------------------------------------------------------
// Flat lowering

/// Flat lowering: `lower_flat`, appends the core values of `v` of type `t`.
pub fn lower_flat<C: Context + ?Sized>(
    cx: &mut C,
    v: &Value,
    t: &ValType,
    out: &mut Vec<Val>,
) -> Result<(), Trap> {
    use ValType as T;
    let flat = match (t, v) {
        (T::Bool, Value::Bool(b)) => Val::I32(u32::from(*b)),
        (T::U8, Value::U8(x)) => Val::I32(u32::from(*x)),
        (T::U16, Value::U16(x)) => Val::I32(u32::from(*x)),
        (T::U32, Value::U32(x)) => Val::I32(*x),
        (T::U64, Value::U64(x)) => Val::I64(*x),
        // lower_flat_signed: two's complement in the core width
        (T::S8, Value::S8(x)) => Val::I32(i32::from(*x) as u32),
        (T::S16, Value::S16(x)) => Val::I32(i32::from(*x) as u32),
        (T::S32, Value::S32(x)) => Val::I32(*x as u32),
        (T::S64, Value::S64(x)) => Val::I64(*x as u64),
        (T::F32, Value::F32(b)) => Val::F32(maybe_scramble_nan32(*b)),
        (T::F64, Value::F64(b)) => Val::F64(maybe_scramble_nan64(*b)),
        (T::Char, Value::Char(c)) => Val::I32(u32::from(*c)),
        (T::String, Value::String(s)) => {
            let (ptr, packed_length) = store_string_into_range(cx, s)?;
            out.extend([Val::I32(ptr as u32), Val::I32(packed_length as u32)]);
            return Ok(());
        }
        (T::List(e), Value::List(vs)) => {
            let (ptr, length) = store_list_into_range(cx, vs, e)?;
            out.extend([Val::I32(ptr as u32), Val::I32(length as u32)]);
            return Ok(());
        }
        (T::Map(k, mt), Value::Map(kvs)) => {
            let pairs: Vec<Value> = kvs
                .iter()
                .map(|(a, b)| Value::Tuple(vec![a.clone(), b.clone()]))
                .collect();
            let (ptr, length) = store_list_into_range(cx, &pairs, &pair_type(k, mt))?;
            out.extend([Val::I32(ptr as u32), Val::I32(length as u32)]);
            return Ok(());
        }
        (T::FixedList(e, n), Value::List(vs)) if vs.len() as u64 == u64::from(*n) => {
            for v in vs {
                lower_flat(cx, v, e, out)?;
            }
            return Ok(());
        }
        (T::Record(_) | T::Tuple(_), _) => {
            let (Despecialized::Record(f), Some(vs)) = (despecialize(t), record_values(t, v))
            else {
                return Err(mismatch(t, v));
            };
            for (t, v) in f.types().zip(vs) {
                lower_flat(cx, v, t, out)?;
            }
            return Ok(());
        }
        (T::Variant(_) | T::Enum(_) | T::Option(_) | T::Result(..), _) => {
            let Despecialized::Variant(c) = despecialize(t) else {
                unreachable!("variant-like types despecialize to variants")
            };
            return lower_flat_variant(cx, v, t, c, out);
        }
        (T::Flags(labels), Value::Flags(_)) => Val::I32(pack_flags_into_int(v, t, labels)? as u32),
        (T::Own(rt), Value::Own(rep)) => Val::I32(cx.lower_own(*rt, *rep)?),
        (T::Borrow(rt), Value::Borrow(rep)) => Val::I32(cx.lower_borrow(*rt, *rep)?),
        (T::ErrorContext | T::Stream(_) | T::Future(_), _) => Val::I32(cx.lower_handle(t, v)?),
        _ => return Err(mismatch(t, v)),
    };
    out.push(flat);
    Ok(())
}

/// Flat lowering: `lower_flat_variant`, the discriminant, the payload
/// coerced to the joined flat types, then zeros for the unused slots.
fn lower_flat_variant<C: Context + ?Sized>(
    cx: &mut C,
    v: &Value,
    t: &ValType,
    c: Cases<'_>,
    out: &mut Vec<Val>,
) -> Result<(), Trap> {
    let (i, payload) = c.match_case(v).ok_or_else(|| mismatch(t, v))?;
    let flat_types = flatten_variant(c, FLAT_LIMIT)
        .ok_or_else(|| Trap::FlatMismatch("variant too large".into()))?;
    out.push(Val::I32(i as u32));
    let start = out.len();
    if let (Some(pt), Some(pv)) = (c.payload(i), payload) {
        lower_flat(cx, pv, pt, out)?;
    }
    let wants = &flat_types[1..];
    for (k, want) in wants.iter().enumerate() {
        match out.get_mut(start + k) {
            Some(slot) => {
                *slot = match (*slot, want) {
                    (Val::F32(b), CoreType::I32) => Val::I32(maybe_scramble_nan32(b)),
                    (Val::I32(x), CoreType::I64) => Val::I64(u64::from(x)),
                    (Val::F32(b), CoreType::I64) => Val::I64(u64::from(maybe_scramble_nan32(b))),
                    (Val::F64(b), CoreType::I64) => Val::I64(maybe_scramble_nan64(b)),
                    (x, _) => x,
                }
            }
            None => out.push(want.zero()),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Lifting and lowering values

/// Lifting and Lowering Values: `lift_flat_values`, the values of types `ts`
/// from core values: flat if they flatten to at most `max_flat` core
/// values, otherwise from a tuple in memory at the one pointer `vi` yields.
pub fn lift_flat_values<C: Context + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    vi: &mut dyn FlatIter,
    ts: &[ValType],
) -> Result<Vec<Value>, Trap> {
    if flatten_types(ts, max_flat).is_some() {
        return ts.iter().map(|t| lift_flat(cx, vi, t)).collect();
    }
    need_memory(cx)?;
    let ptr = int_of(vi.next(CoreType::I32)?);
    let tuple_type = ValType::Tuple(ts.to_vec());
    if ptr != align_to(ptr, alignment(&tuple_type)) {
        return Err(Trap::UnalignedPointer);
    }
    if beyond(cx, ptr, elem_size(&tuple_type)) {
        return Err(Trap::PointerOutOfBounds);
    }
    match load(cx, ptr, &tuple_type)? {
        Value::Tuple(vs) => Ok(vs),
        _ => unreachable!("a tuple type loads as a tuple"),
    }
}

/// Lifting and Lowering Values: `lower_flat_values`, the core values for
/// `vs` of types `ts`: flat if at most `max_flat`, otherwise stored as a
/// tuple in memory, at a pointer from `realloc` (which is then the one core
/// value returned) or, with `out_param`, at the pointer it yields (the
/// caller's return area; nothing is returned).
pub fn lower_flat_values<C: Context + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    vs: &[Value],
    ts: &[ValType],
    out_param: Option<&mut dyn FlatIter>,
) -> Result<Vec<Val>, Trap> {
    if vs.len() != ts.len() {
        return Err(Trap::ValueMismatch(format!(
            "type mismatch: expected {} values, found {}",
            ts.len(),
            vs.len()
        )));
    }
    let mut flat_vals = Vec::new();
    if flatten_types(ts, max_flat).is_some() {
        for (v, t) in vs.iter().zip(ts) {
            lower_flat(cx, v, t, &mut flat_vals)?;
        }
        return Ok(flat_vals);
    }
    need_memory(cx)?;
    let tuple_type = ValType::Tuple(ts.to_vec());
    let (align, size) = (alignment(&tuple_type), elem_size(&tuple_type));
    let ptr = match out_param {
        None => {
            let ptr = reallocate(cx, 0, 0, align, size)?;
            flat_vals.push(Val::I32(ptr as u32));
            check_realloc(cx, ptr, Some(align), size, Region::Params)?;
            ptr
        }
        Some(op) => {
            let ptr = int_of(op.next(CoreType::I32)?);
            if ptr != align_to(ptr, align) {
                return Err(Trap::UnalignedPointer);
            }
            if beyond(cx, ptr, size) {
                return Err(Trap::PointerOutOfBounds);
            }
            ptr
        }
    };
    let tuple_value = Value::Tuple(vs.to_vec());
    store(cx, &tuple_value, &tuple_type, ptr)?;
    Ok(flat_vals)
}

// ---------------------------------------------------------------------------
// A context over a Vec<u8>

/// An entry of [`BumpContext`]'s handle table (`ResourceHandle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    /// The resource type.
    pub rt: ResourceType,
    /// The representation.
    pub rep: u32,
    /// Owning (`own`) or borrowed.
    pub own: bool,
    /// Outstanding lends (`num_lends`).
    pub num_lends: u32,
}

/// A self-contained [`Context`] for tests and the differential oracle:
/// a `Vec<u8>` memory, a deterministic bump allocator as `realloc`, a
/// handle table like the specification's `Table`, and a log of the
/// `realloc` calls.
///
/// The allocator: `realloc(old, old_size, align, new_size)` returns
/// `p = align_to(next, align)` (plus one if this is call number
/// `misalign_call`, to exercise the alignment traps), copies
/// `min(old_size, new_size)` bytes from `old` to `p` where both are in
/// bounds, and sets `next = p + new_size`. The Python driver
/// (`scripts/canonical-abi-oracle.py`) defines the same allocator.
#[derive(Clone, Debug)]
pub struct BumpContext {
    /// The options.
    pub options: Options,
    /// The memory.
    pub memory: Vec<u8>,
    /// The next free address of the bump allocator.
    pub next: u64,
    /// The `realloc` call (0-based) whose result is made misaligned.
    pub misalign_call: Option<usize>,
    /// The `realloc` calls so far: `(old, old_size, align, new_size, result)`.
    pub reallocs: Vec<[u32; 5]>,
    /// The handle table (index 0 is never used).
    pub handles: Vec<Option<Handle>>,
    /// Free handle indices, reused last-in first-out.
    pub free: Vec<u32>,
    /// The source encoding of lowered strings, and whether a
    /// `latin1+utf16` source is tagged UTF-16 even when all Latin-1.
    pub src_encoding: (StringEncoding, bool),
}

/// `Table.MAX_LENGTH`.
const MAX_TABLE_LENGTH: usize = (1 << 28) - 1;

impl BumpContext {
    /// A context with a zeroed memory of `memory_len` bytes and the
    /// allocator starting at `start`.
    pub fn new(options: Options, memory_len: usize, start: u64) -> Self {
        BumpContext {
            options,
            memory: vec![0; memory_len],
            next: start,
            misalign_call: None,
            reallocs: Vec::new(),
            handles: vec![None],
            free: Vec::new(),
            src_encoding: (StringEncoding::Utf8, false),
        }
    }

    /// `Table.get`.
    fn get(&mut self, i: u32) -> Result<&mut Handle, Trap> {
        self.handles
            .get_mut(i as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| Trap::Context("unknown handle index".into()))
    }

    /// `Table.add`.
    fn add(&mut self, h: Handle) -> Result<u32, Trap> {
        if let Some(i) = self.free.pop() {
            self.handles[i as usize] = Some(h);
            return Ok(i);
        }
        let i = self.handles.len();
        if i > MAX_TABLE_LENGTH {
            return Err(Trap::Context("handle table full".into()));
        }
        self.handles.push(Some(h));
        Ok(i as u32)
    }
}

impl Context for BumpContext {
    fn options(&self) -> &Options {
        &self.options
    }
    fn memory_len(&self) -> usize {
        self.memory.len()
    }
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Trap> {
        let src = addr
            .checked_add(buf.len())
            .and_then(|end| self.memory.get(addr..end))
            .ok_or(Trap::PointerOutOfBounds)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Trap> {
        let dst = addr
            .checked_add(bytes.len())
            .and_then(|end| self.memory.get_mut(addr..end))
            .ok_or(Trap::PointerOutOfBounds)?;
        dst.copy_from_slice(bytes);
        Ok(())
    }
    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Trap> {
        let mut p = align_to(self.next, align);
        if self.misalign_call == Some(self.reallocs.len()) {
            p += 1;
        }
        let p = p as u32;
        let len = self.memory.len() as u64;
        for j in 0..u64::from(old_size.min(new_size)) {
            let (s, d) = (u64::from(old_ptr) + j, u64::from(p) + j);
            if s < len && d < len {
                self.memory[d as usize] = self.memory[s as usize];
            }
        }
        self.next = u64::from(p) + u64::from(new_size);
        self.reallocs.push([old_ptr, old_size, align, new_size, p]);
        Ok(p)
    }
    fn lift_own(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap> {
        let h = self.get(i)?.clone();
        self.handles[i as usize] = None;
        self.free.push(i);
        if h.rt != rt || h.num_lends != 0 || !h.own {
            return Err(Trap::Context("handle is not an own of this type".into()));
        }
        Ok(h.rep)
    }
    fn lift_borrow(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap> {
        let h = self.get(i)?;
        if h.rt != rt {
            return Err(Trap::Context("handle is not of this type".into()));
        }
        h.num_lends += 1;
        Ok(h.rep)
    }
    fn lower_own(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap> {
        self.add(Handle {
            rt,
            rep,
            own: true,
            num_lends: 0,
        })
    }
    fn lower_borrow(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap> {
        self.add(Handle {
            rt,
            rep,
            own: false,
            num_lends: 0,
        })
    }
    fn string_source(&self, s: &str) -> (StringEncoding, u64) {
        string_source_of(s, self.src_encoding.0, self.src_encoding.1)
    }
}

/// The `String` triple's encoding and tagged code units of `s` when it
/// comes from a component using `encoding` (`latin1+utf16`: Latin-1 if
/// every character is, unless `force_utf16`).
pub fn string_source_of(
    s: &str,
    encoding: StringEncoding,
    force_utf16: bool,
) -> (StringEncoding, u64) {
    let units = match encoding {
        StringEncoding::Utf8 => s.len() as u64,
        StringEncoding::Utf16 => s.encode_utf16().count() as u64,
        StringEncoding::Latin1Utf16 => {
            if !force_utf16 && s.chars().all(|c| (c as u32) < 0x100) {
                s.chars().count() as u64
            } else {
                s.encode_utf16().count() as u64 | u64::from(UTF16_TAG)
            }
        }
    };
    (encoding, units)
}

#[cfg(test)]
mod tests;
