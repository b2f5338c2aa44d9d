//! Types (spec: Structure › Types).

use std::fmt;

/// Number types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

/// Heap types: the abstract ones and concrete type indices (typed function
/// references, GC, exception handling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeapType {
    /// Function references.
    Func,
    /// Bottom of the function hierarchy.
    NoFunc,
    /// External (host) references.
    Extern,
    /// Bottom of the external hierarchy.
    NoExtern,
    /// Top of the internal (GC) hierarchy.
    Any,
    /// References comparable with `ref.eq`.
    Eq,
    /// Unboxed 31-bit integers.
    I31,
    /// All structs.
    Struct,
    /// All arrays.
    Array,
    /// Bottom of the internal hierarchy.
    None,
    /// Exception references.
    Exn,
    /// Bottom of the exception hierarchy.
    NoExn,
    /// A defined type: a type index in a module, a canonical type id in a store.
    Concrete(u32),
    /// An exact defined type `(exact x)` (custom descriptors): the defined type
    /// itself without its strict subtypes.
    Exact(u32),
}

impl HeapType {
    /// Whether this is an abstract heap type.
    pub fn is_abstract(self) -> bool {
        !matches!(self, HeapType::Concrete(_) | HeapType::Exact(_))
    }

    /// The type index (type id) of a defined heap type, exact or not.
    pub fn def_index(self) -> Option<u32> {
        match self {
            HeapType::Concrete(x) | HeapType::Exact(x) => Some(x),
            _ => None,
        }
    }
}

/// Reference types: a nullability and a heap type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefType {
    /// Whether null is a member.
    pub nullable: bool,
    /// The heap type.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref` = `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref` = `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `exnref` = `(ref null exn)`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };

    /// `(ref null? ht)`.
    pub const fn new(nullable: bool, heap: HeapType) -> RefType {
        RefType { nullable, heap }
    }
}

/// Value types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValType {
    /// i32
    I32,
    /// i64
    I64,
    /// f32
    F32,
    /// f64
    F64,
    /// v128
    V128,
    /// A reference type.
    Ref(RefType),
}

impl ValType {
    /// `funcref`
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);

    /// Number of 64-bit slots a value of this type occupies in the interpreter.
    pub fn slots(self) -> u32 {
        if self == ValType::V128 { 2 } else { 1 }
    }

    /// Whether this is a number type.
    pub fn is_num(self) -> bool {
        matches!(
            self,
            ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
        )
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether locals of this type have a default value.
    pub fn defaultable(self) -> bool {
        match self {
            ValType::Ref(r) => r.nullable,
            _ => true,
        }
    }
}

impl From<NumType> for ValType {
    fn from(t: NumType) -> ValType {
        match t {
            NumType::I32 => ValType::I32,
            NumType::I64 => ValType::I64,
            NumType::F32 => ValType::F32,
            NumType::F64 => ValType::F64,
        }
    }
}

/// Function types `[params] -> [results]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl FuncType {
    /// Builds a function type.
    pub fn new(params: impl Into<Vec<ValType>>, results: impl Into<Vec<ValType>>) -> FuncType {
        FuncType {
            params: params.into(),
            results: results.into(),
        }
    }
}

/// Storage types of struct fields and array elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageType {
    /// A value type.
    Val(ValType),
    /// Packed 8-bit integer.
    I8,
    /// Packed 16-bit integer.
    I16,
}

impl StorageType {
    /// The value type it unpacks to.
    pub fn unpacked(self) -> ValType {
        match self {
            StorageType::Val(t) => t,
            StorageType::I8 | StorageType::I16 => ValType::I32,
        }
    }

    /// Whether it is packed.
    pub fn is_packed(self) -> bool {
        !matches!(self, StorageType::Val(_))
    }

    /// Size in bytes (for `array.new_data`).
    pub fn byte_size(self) -> u32 {
        match self {
            StorageType::I8 => 1,
            StorageType::I16 => 2,
            StorageType::Val(ValType::I32 | ValType::F32) => 4,
            StorageType::Val(ValType::V128) => 16,
            StorageType::Val(_) => 8,
        }
    }
}

/// Field types: a storage type and a mutability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldType {
    /// The storage type.
    pub storage: StorageType,
    /// Whether the field is mutable.
    pub mutable: bool,
}

/// Composite types.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompType {
    /// A function type.
    Func(FuncType),
    /// A struct type.
    Struct(Vec<FieldType>),
    /// An array type.
    Array(FieldType),
}

/// Sub types: a composite type with its declared supertypes and finality,
/// and (custom descriptors) its `describes` and `descriptor` clauses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubType {
    /// `final` (no subtypes may be declared).
    pub is_final: bool,
    /// Declared supertypes (at most one is valid).
    pub supers: Vec<u32>,
    /// `describes x`: the type this descriptor type describes.
    pub describes: Option<u32>,
    /// `descriptor x`: the type of this type's custom descriptors.
    pub descriptor: Option<u32>,
    /// The composite type.
    pub comp: CompType,
}

impl SubType {
    /// A final function type without supertypes.
    pub fn func(ft: FuncType) -> SubType {
        SubType {
            is_final: true,
            supers: Vec::new(),
            describes: None,
            descriptor: None,
            comp: CompType::Func(ft),
        }
    }
}

/// Tag types (exception handling): the function type index of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TagType {
    /// Type index of a function type with no results.
    pub ty: u32,
}

/// Limits `{min, max?}` (in pages for memories, elements for tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Minimum.
    pub min: u64,
    /// Optional maximum.
    pub max: Option<u64>,
}

/// Memory types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemType {
    /// Size limits in pages.
    pub limits: Limits,
    /// 64-bit addressing (memory64).
    pub idx64: bool,
    /// Shared memory (threads).
    pub shared: bool,
    /// log2 of the page size (16 unless custom-page-sizes).
    pub page_size_log2: u32,
}

impl MemType {
    /// A 32-bit, unshared memory type with 64 KiB pages.
    pub fn new(min: u64, max: Option<u64>) -> MemType {
        MemType {
            limits: Limits { min, max },
            idx64: false,
            shared: false,
            page_size_log2: 16,
        }
    }
}

impl MemType {
    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1u64 << self.page_size_log2.min(63)
    }

    /// valid: memtype — the largest number of pages the address type allows:
    /// 2^32 (2^64) bytes in pages, or 2^32-1 (2^64-1) one-byte pages.
    pub fn max_pages(&self) -> u64 {
        let bits: u32 = if self.idx64 { 64 } else { 32 };
        if self.page_size_log2 == 0 {
            u64::MAX >> (64 - bits)
        } else {
            1u64 << bits.saturating_sub(self.page_size_log2).min(63)
        }
    }
}

/// Table types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// Element reference type.
    pub elem: RefType,
    /// Size limits in elements.
    pub limits: Limits,
    /// 64-bit indexing (table64).
    pub idx64: bool,
}

impl TableType {
    /// A 32-bit table type.
    pub fn new(elem: RefType, min: u64, max: Option<u64>) -> TableType {
        TableType {
            elem,
            limits: Limits { min, max },
            idx64: false,
        }
    }
}

/// Global types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Whether the global is mutable (`var`).
    pub mutable: bool,
    /// The value type.
    pub ty: ValType,
}

impl GlobalType {
    /// Builds a global type.
    pub fn new(ty: ValType, mutable: bool) -> GlobalType {
        GlobalType { mutable, ty }
    }
}

/// External types: what an import or export describes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A memory.
    Mem(MemType),
    /// A global.
    Global(GlobalType),
    /// A tag with its payload type.
    Tag(FuncType),
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeapType::Func => "func",
            HeapType::NoFunc => "nofunc",
            HeapType::Extern => "extern",
            HeapType::NoExtern => "noextern",
            HeapType::Any => "any",
            HeapType::Eq => "eq",
            HeapType::I31 => "i31",
            HeapType::Struct => "struct",
            HeapType::Array => "array",
            HeapType::None => "none",
            HeapType::Exn => "exn",
            HeapType::NoExn => "noexn",
            HeapType::Concrete(x) => return write!(f, "{x}"),
            HeapType::Exact(x) => return write!(f, "(exact {x})"),
        })
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            let short = match self.heap {
                HeapType::Func => "funcref",
                HeapType::NoFunc => "nullfuncref",
                HeapType::Extern => "externref",
                HeapType::NoExtern => "nullexternref",
                HeapType::Any => "anyref",
                HeapType::Eq => "eqref",
                HeapType::I31 => "i31ref",
                HeapType::Struct => "structref",
                HeapType::Array => "arrayref",
                HeapType::None => "nullref",
                HeapType::Exn => "exnref",
                HeapType::NoExn => "nullexnref",
                HeapType::Concrete(_) | HeapType::Exact(_) => {
                    return write!(f, "(ref null {})", self.heap);
                }
            };
            f.write_str(short)
        } else {
            write!(f, "(ref {})", self.heap)
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => r.fmt(f),
        }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |ts: &[ValType]| {
            ts.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}
