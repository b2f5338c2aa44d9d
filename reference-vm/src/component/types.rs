//! Resolved component types and component values (Explainer.md, "Type
//! Definitions"; CanonicalABI.md, "Supporting definitions"): what
//! instantiation makes of the type index space, and what the Canonical ABI
//! lifts and lowers. Unlike [`super::syntax`], these types hold no indices.

/// A resource type, by identity: every `(type (resource ...))` definition
/// evaluated at instantiation, and every resource a host defines, gets a
/// fresh one (resource types are generative).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceType(pub u32);

/// A resolved value type (CanonicalABI.md's `ValType` classes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `u8`
    U8,
    /// `s16`
    S16,
    /// `u16`
    U16,
    /// `s32`
    S32,
    /// `u32`
    U32,
    /// `s64`
    S64,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`
    Char,
    /// `string`
    String,
    /// `error-context` (📝)
    ErrorContext,
    /// `(list t)`
    List(Box<ValType>),
    /// `(list t len)` (🔧)
    FixedList(Box<ValType>, u32),
    /// `(record (field l t)+)`
    Record(Vec<(String, ValType)>),
    /// `(tuple t+)`
    Tuple(Vec<ValType>),
    /// `(variant (case l t?)+)`
    Variant(Vec<(String, Option<ValType>)>),
    /// `(enum l+)`
    Enum(Vec<String>),
    /// `(option t)`
    Option(Box<ValType>),
    /// `(result t? (error u)?)`
    Result(Option<Box<ValType>>, Option<Box<ValType>>),
    /// `(flags l+)`
    Flags(Vec<String>),
    /// `(own r)`
    Own(ResourceType),
    /// `(borrow r)`
    Borrow(ResourceType),
    /// `(stream t?)` (🔀)
    Stream(Option<Box<ValType>>),
    /// `(future t?)` (🔀)
    Future(Option<Box<ValType>>),
    /// `(map k v)` (🗺️)
    Map(Box<ValType>, Box<ValType>),
}

/// A resolved component function type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// `async`
    pub is_async: bool,
    /// Labelled parameters.
    pub params: Vec<(String, ValType)>,
    /// The result, if any.
    pub result: Option<ValType>,
}

/// A component value: what a component function takes and returns, as the
/// host (a test script, an engine adapter) sees it. Floats are kept as bits.
/// A handle is the resource's representation (`rep`) as the Canonical ABI
/// moves it between handle tables (`lift_own`/`lower_own`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `s8`
    S8(i8),
    /// `u8`
    U8(u8),
    /// `s16`
    S16(i16),
    /// `u16`
    U16(u16),
    /// `s32`
    S32(i32),
    /// `u32`
    U32(u32),
    /// `s64`
    S64(i64),
    /// `u64`
    U64(u64),
    /// `f32`, by bits
    F32(u32),
    /// `f64`, by bits
    F64(u64),
    /// `char`
    Char(char),
    /// `string`
    String(String),
    /// `list` and fixed-length `list`
    List(Vec<Value>),
    /// `record`: fields in type order, with their labels
    Record(Vec<(String, Value)>),
    /// `tuple`
    Tuple(Vec<Value>),
    /// `variant`: the case label and its payload
    Variant(String, Option<Box<Value>>),
    /// `enum`: the case label
    Enum(String),
    /// `option`
    Option(Option<Box<Value>>),
    /// `result`: `Ok(payload)` or `Err(payload)`
    Result(Result<Option<Box<Value>>, Option<Box<Value>>>),
    /// `flags`: the labels that are set, in type order
    Flags(Vec<String>),
    /// `own`: the resource's representation
    Own(u32),
    /// `borrow`: the resource's representation
    Borrow(u32),
    /// `stream`, `future`, `error-context`: a handle index (🔀 📝)
    Handle(u32),
    /// `map` (🗺️): key/value pairs in order
    Map(Vec<(Value, Value)>),
}
