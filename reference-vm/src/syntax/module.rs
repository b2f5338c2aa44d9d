//! Modules (spec: Structure › Modules).

use super::instructions::Instr;
use super::types::*;

/// A constant or body expression, including its final `end`.
pub type Expr = Vec<Instr>;

/// A module as decoded from the binary format.
#[derive(Clone, Debug, Default)]
pub struct Module {
    /// Type section: the function type of each type index (a default for
    /// struct and array types; see `type_defs`).
    pub types: Vec<FuncType>,
    /// Type section: every defined type with its supertypes (GC).
    pub type_defs: Vec<SubType>,
    /// Recursive type groups as (first type index, count).
    pub rec_groups: Vec<(u32, u32)>,
    /// Tag section (exception handling).
    pub tags: Vec<TagType>,
    /// Import section.
    pub imports: Vec<Import>,
    /// Defined functions (function + code sections).
    pub funcs: Vec<Func>,
    /// Defined tables.
    pub tables: Vec<Table>,
    /// Defined memories.
    pub mems: Vec<MemType>,
    /// Defined globals.
    pub globals: Vec<Global>,
    /// Exports.
    pub exports: Vec<Export>,
    /// Start function.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<Elem>,
    /// Data segments.
    pub datas: Vec<Data>,
    /// Data count section.
    pub data_count: Option<u32>,
    /// Custom sections in order.
    pub customs: Vec<Custom>,
}

/// An import.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Item name.
    pub name: String,
    /// What is imported.
    pub desc: ImportDesc,
}

/// Import descriptions.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportDesc {
    /// A function of the given type index.
    Func(u32),
    /// A function of exactly the given type index, `func exact x` (custom
    /// descriptors): its subtypes do not match.
    FuncExact(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Mem(MemType),
    /// A global.
    Global(GlobalType),
    /// A tag.
    Tag(TagType),
}

/// A defined function.
#[derive(Clone, Debug, Default)]
pub struct Func {
    /// Type index.
    pub ty: u32,
    /// Local declarations, run-length encoded as in the binary format.
    pub locals: Vec<(u32, ValType)>,
    /// The body, including the final `end`.
    pub body: Expr,
    /// Byte offset of each instruction of `body` from the start of the
    /// function's code entry (its local declarations), for code metadata.
    pub offsets: Vec<u32>,
}

/// A defined table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Its type.
    pub ty: TableType,
    /// Initialiser (3.0); `None` means null.
    pub init: Option<Expr>,
}

/// A defined global.
#[derive(Clone, Debug)]
pub struct Global {
    /// Its type.
    pub ty: GlobalType,
    /// Initialiser.
    pub init: Expr,
}

/// An export.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// What is exported.
    pub desc: ExportDesc,
}

/// Export descriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportDesc {
    /// Function index.
    Func(u32),
    /// Table index.
    Table(u32),
    /// Memory index.
    Mem(u32),
    /// Global index.
    Global(u32),
    /// Tag index.
    Tag(u32),
}

/// Element segment modes.
#[derive(Clone, Debug)]
pub enum ElemMode {
    /// Passive.
    Passive,
    /// Active: copied into a table at instantiation.
    Active {
        /// Table index.
        table: u32,
        /// Offset expression.
        offset: Expr,
    },
    /// Declarative: only declares references.
    Declarative,
}

/// An element segment.
#[derive(Clone, Debug)]
pub struct Elem {
    /// Element type.
    pub ty: RefType,
    /// Initialiser expressions.
    pub init: Vec<Expr>,
    /// Mode.
    pub mode: ElemMode,
}

/// Data segment modes.
#[derive(Clone, Debug)]
pub enum DataMode {
    /// Passive.
    Passive,
    /// Active: copied into a memory at instantiation.
    Active {
        /// Memory index.
        mem: u32,
        /// Offset expression.
        offset: Expr,
    },
}

/// A data segment.
#[derive(Clone, Debug)]
pub struct Data {
    /// The bytes.
    pub init: Vec<u8>,
    /// Mode.
    pub mode: DataMode,
}

/// A custom section.
#[derive(Clone, Debug)]
pub struct Custom {
    /// Its name.
    pub name: String,
    /// Its contents after the name.
    pub data: Vec<u8>,
}

impl Module {
    /// Number of imported functions.
    pub fn num_imported_funcs(&self) -> usize {
        self.num_imported(|d| matches!(d, ImportDesc::Func(_) | ImportDesc::FuncExact(_)))
    }

    /// Number of imports of one kind.
    pub fn num_imported(&self, kind: impl Fn(&ImportDesc) -> bool) -> usize {
        self.imports.iter().filter(|i| kind(&i.desc)).count()
    }

    #[allow(dead_code)]
    fn num_imported_funcs_old(&self) -> usize {
        self.imports
            .iter()
            .filter(|i| matches!(i.desc, ImportDesc::Func(_) | ImportDesc::FuncExact(_)))
            .count()
    }
}
