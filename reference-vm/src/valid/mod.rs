//! Validation (spec chapter 3). Function bodies are translated into the
//! interpreter's internal code later, when first called
//! ([`crate::exec::translate`]).

pub(crate) mod func;
pub(crate) mod types;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::Features;
use crate::exec::translate::{LazyCode, Unit};
use crate::syntax::*;

/// An invalid module. `Display` is the reference interpreter's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationError {
    /// `type mismatch` with a detail.
    TypeMismatch(String),
    /// `unknown <space> <index>`, e.g. `unknown global 1`.
    Unknown(&'static str, u32),
    /// `unknown label`
    UnknownLabel(u32),
    /// `invalid result arity`
    InvalidResultArity,
    /// `alignment must not be larger than natural`
    AlignmentTooLarge,
    /// `memory size must be at most 65536 pages (4GiB)` (the wording names the
    /// bound for the memory's address type and page size).
    MemorySizeTooLarge {
        /// 64-bit addresses.
        idx64: bool,
        /// log2 of the page size.
        page_size_log2: u32,
    },
    /// `invalid custom page size`
    InvalidCustomPageSize,
    /// `table size must be at most 2^32-1`
    TableSizeTooLarge,
    /// `size minimum must not be greater than maximum`
    SizeMinGreaterThanMax,
    /// Write to an immutable global; the wording differs between 2.0 and 3.0.
    ImmutableGlobal {
        /// Use the 2.0 wording `global is immutable`.
        legacy: bool,
    },
    /// `constant expression required`
    ConstantExprRequired,
    /// `duplicate export name`
    DuplicateExportName,
    /// `multiple memories`
    MultipleMemories,
    /// `multiple tables`
    MultipleTables,
    /// `start function must not have parameters or results`
    StartFunction,
    /// `undeclared function reference`
    UndeclaredFuncRef(u32),
    /// `invalid lane index`
    InvalidLaneIndex,
    /// `offset out of range`
    OffsetOutOfRange,
    /// `sub type X does not match super type Y`
    SubType(u32, u32),
    /// `uninitialized local X`
    UninitializedLocal(u32),
    /// `immutable field`
    ImmutableField,
    /// `immutable array`
    ImmutableArray,
    /// `array type is not numeric or vector`
    ArrayNotNumeric,
    /// `array types do not match`
    ArrayTypesMismatch,
    /// `non-empty tag result type`
    NonEmptyTagResult,
    /// `invalid rethrow label`
    InvalidRethrowLabel,
    /// `type mismatch on cast: type X has a different top type than type Y`
    /// (custom descriptors: the source and target types of `br_on_cast`).
    CastTopMismatch(HeapType, HeapType),
    /// A rule of the custom descriptors proposal, with the reference
    /// interpreter's message (e.g. `descriptor type must be a struct`).
    Descriptor(String),
    /// `shared memory must have maximum` (threads)
    SharedMemoryNoMax,
    /// `atomic alignment must be natural` (threads)
    AtomicAlignment,
    /// A construct the enabled feature set does not allow.
    FeatureDisabled {
        /// What was found.
        what: String,
        /// The proposal that would allow it.
        feature: &'static str,
    },
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValidationError::*;
        match self {
            TypeMismatch(d) if d.is_empty() => f.write_str("type mismatch"),
            TypeMismatch(d) => write!(f, "type mismatch: {d}"),
            Unknown(what, i) => write!(f, "unknown {what} {i}"),
            UnknownLabel(i) => write!(f, "unknown label {i}"),
            InvalidResultArity => f.write_str("invalid result arity"),
            AlignmentTooLarge => f.write_str("alignment must not be larger than natural"),
            MemorySizeTooLarge {
                idx64,
                page_size_log2,
            } => {
                let bits = if *idx64 { 64 } else { 32 };
                let (pages, bytes) = match (bits, page_size_log2) {
                    (32, 16) => ("65536".to_string(), "4GiB"),
                    (64, 16) => ("2^48".to_string(), "256TiB"),
                    (b, 0) => (format!("2^{b}-1"), if b == 32 { "4GiB" } else { "16EiB" }),
                    (b, p) => (
                        format!("2^{}", b - p),
                        if b == 32 { "4GiB" } else { "16EiB" },
                    ),
                };
                write!(f, "memory size must be at most {pages} pages ({bytes})")
            }
            InvalidCustomPageSize => f.write_str("invalid custom page size"),
            TableSizeTooLarge => f.write_str("table size must be at most 2^32-1"),
            SizeMinGreaterThanMax => f.write_str("size minimum must not be greater than maximum"),
            ImmutableGlobal { legacy: true } => f.write_str("global is immutable"),
            ImmutableGlobal { legacy: false } => f.write_str("immutable global"),
            ConstantExprRequired => f.write_str("constant expression required"),
            DuplicateExportName => f.write_str("duplicate export name"),
            MultipleMemories => f.write_str("multiple memories"),
            MultipleTables => f.write_str("multiple tables"),
            StartFunction => f.write_str("start function must not have parameters or results"),
            UndeclaredFuncRef(i) => write!(f, "undeclared function reference {i}"),
            InvalidLaneIndex => f.write_str("invalid lane index"),
            OffsetOutOfRange => f.write_str("offset out of range"),
            SubType(x, y) => write!(f, "sub type {x} does not match super type {y}"),
            UninitializedLocal(x) => write!(f, "uninitialized local {x}"),
            ImmutableField => f.write_str("immutable field"),
            ImmutableArray => f.write_str("immutable array"),
            ArrayNotNumeric => f.write_str("array type is not numeric or vector"),
            ArrayTypesMismatch => f.write_str("array types do not match"),
            NonEmptyTagResult => f.write_str("non-empty tag result type"),
            InvalidRethrowLabel => f.write_str("invalid rethrow label"),
            Descriptor(m) => f.write_str(m),
            CastTopMismatch(a, b) => write!(
                f,
                "type mismatch on cast: type {a} has a different top type than type {b}"
            ),
            SharedMemoryNoMax => f.write_str("shared memory must have maximum"),
            AtomicAlignment => f.write_str("atomic alignment must be natural"),
            FeatureDisabled { what, feature } => {
                write!(f, "{what} (feature {feature} is not enabled)")
            }
        }
    }
}

impl std::error::Error for ValidationError {}

pub(crate) type Result<T> = std::result::Result<T, ValidationError>;

/// A validated module with the code of its functions (translated lazily).
#[derive(Clone, Debug)]
pub struct ValidModule {
    /// The module.
    pub module: Arc<Module>,
    /// Code of the defined functions, in order, each translated when first
    /// needed.
    pub code: Vec<Arc<LazyCode>>,
    /// Types of all functions (imported first).
    pub func_types: Vec<u32>,
    /// The feature set it was validated with.
    pub features: Features,
    /// Canonical representative of each type index (iso-recursive equivalence).
    pub canon: Vec<u32>,
}

impl ValidModule {
    /// Translates every function now (translation is otherwise lazy): for
    /// tests and for callers that want translation faults up front.
    pub fn translate_all(&self) -> std::result::Result<(), crate::exec::Trap> {
        for c in &self.code {
            c.force()?;
        }
        Ok(())
    }

    /// The module's imports with their external types.
    pub fn imports(&self) -> Vec<(String, String, ExternType)> {
        self.module
            .imports
            .iter()
            .map(|im| {
                let ty = match &im.desc {
                    ImportDesc::Func(t) | ImportDesc::FuncExact(t) => ExternType::Func(
                        self.module
                            .types
                            .get(*t as usize)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    ImportDesc::Table(t) => ExternType::Table(*t),
                    ImportDesc::Mem(t) => ExternType::Mem(*t),
                    ImportDesc::Global(t) => ExternType::Global(*t),
                    ImportDesc::Tag(t) => ExternType::Tag(
                        self.module
                            .types
                            .get(t.ty as usize)
                            .cloned()
                            .unwrap_or_default(),
                    ),
                };
                (im.module.clone(), im.name.clone(), ty)
            })
            .collect()
    }

    /// Export names and kinds.
    pub fn exports(&self) -> Vec<(String, ExportDesc)> {
        self.module
            .exports
            .iter()
            .map(|e| (e.name.clone(), e.desc))
            .collect()
    }
}

/// The validation context C (spec: Validation › Contexts).
pub(crate) struct Ctx {
    pub f: Features,
    pub defs: Arc<[SubType]>,
    /// Canonical representative of each type index.
    pub canon: Vec<u32>,
    /// Type index of each tag.
    pub tags: Vec<u32>,
    pub funcs: Vec<u32>,
    /// custom-descriptors: whether `ref.func` of each function is exact
    /// (defined functions and exact imports).
    pub funcs_exact: Vec<bool>,
    pub tables: Vec<TableType>,
    pub mems: Vec<MemType>,
    pub globals: Vec<GlobalType>,
    pub elems: Vec<RefType>,
    pub datas: u32,
    pub refs: HashSet<u32>,
}

impl Ctx {
    pub fn ty(&self, x: u32) -> Result<&FuncType> {
        match self.defs.get(x as usize).map(|d| &d.comp) {
            Some(CompType::Func(ft)) => Ok(ft),
            Some(_) => mismatch(format!("non-function type {x}")),
            None => Err(ValidationError::Unknown("type", x)),
        }
    }
    pub fn tag(&self, x: u32) -> Result<&FuncType> {
        let t = *self
            .tags
            .get(x as usize)
            .ok_or(ValidationError::Unknown("tag", x))?;
        self.ty(t)
    }
    pub fn struct_type(&self, x: u32) -> Result<&[FieldType]> {
        match self.def(x)?.comp {
            CompType::Struct(ref fs) => Ok(fs),
            _ => mismatch(format!("non-struct type {x}")),
        }
    }
    pub fn array_type(&self, x: u32) -> Result<FieldType> {
        match self.def(x)?.comp {
            CompType::Array(ft) => Ok(ft),
            _ => mismatch(format!("non-array type {x}")),
        }
    }
    pub fn func(&self, x: u32) -> Result<&FuncType> {
        let t = *self
            .funcs
            .get(x as usize)
            .ok_or(ValidationError::Unknown("function", x))?;
        self.ty(t)
    }
    pub fn table(&self, x: u32) -> Result<TableType> {
        self.tables
            .get(x as usize)
            .copied()
            .ok_or(ValidationError::Unknown("table", x))
    }
    pub fn mem(&self, x: u32) -> Result<MemType> {
        self.mems
            .get(x as usize)
            .copied()
            .ok_or(ValidationError::Unknown("memory", x))
    }
    pub fn global(&self, x: u32) -> Result<GlobalType> {
        self.globals
            .get(x as usize)
            .copied()
            .ok_or(ValidationError::Unknown("global", x))
    }
    pub fn elem(&self, x: u32) -> Result<RefType> {
        self.elems
            .get(x as usize)
            .copied()
            .ok_or(ValidationError::Unknown("elem segment", x))
    }
    pub fn data(&self, x: u32) -> Result<()> {
        if x < self.datas {
            Ok(())
        } else {
            Err(ValidationError::Unknown("data segment", x))
        }
    }
}

pub(crate) fn mismatch<T>(detail: impl Into<String>) -> Result<T> {
    Err(ValidationError::TypeMismatch(detail.into()))
}

/// valid: limits
fn check_limits(l: &Limits, range: u64, err: ValidationError) -> Result<()> {
    if l.min > range {
        return Err(err);
    }
    if let Some(max) = l.max {
        if max > range {
            return Err(err);
        }
        if l.min > max {
            return Err(ValidationError::SizeMinGreaterThanMax);
        }
    }
    Ok(())
}

/// valid: memtype — the limits' range depends on the address type and page size.
fn check_mem_type(t: &MemType) -> Result<()> {
    // spec: custom-page-sizes — only 1 and 64 KiB pages.
    if t.page_size_log2 != 0 && t.page_size_log2 != 16 {
        return Err(ValidationError::InvalidCustomPageSize);
    }
    check_limits(
        &t.limits,
        t.max_pages(),
        ValidationError::MemorySizeTooLarge {
            idx64: t.idx64,
            page_size_log2: t.page_size_log2,
        },
    )?;
    // threads: valid memtype — a shared memory declares its maximum.
    if t.shared && t.limits.max.is_none() {
        return Err(ValidationError::SharedMemoryNoMax);
    }
    Ok(())
}

/// valid: tabletype
fn check_table_type(t: &TableType) -> Result<()> {
    let range = if t.idx64 { u64::MAX } else { 0xffff_ffff };
    check_limits(&t.limits, range, ValidationError::TableSizeTooLarge)
}

/// The address type of a memory or table (memory64/table64).
pub(crate) fn addr_type(idx64: bool) -> ValType {
    if idx64 { ValType::I64 } else { ValType::I32 }
}

/// Validates a module; each function is translated to internal code on
/// its first call (`exec/translate.rs`).
pub fn validate_module(m: &Module, features: &Features) -> Result<ValidModule> {
    validate(Cow::Borrowed(m), features, false)
}

/// [`validate_module`] (or, with `eager`, [`validate_module_eager`]) of a
/// module the caller gives away: the valid module keeps it instead of a
/// copy (a copy cost ~6% of validation under a fuzzer).
pub fn validate_module_owned(m: Module, features: &Features, eager: bool) -> Result<ValidModule> {
    validate(Cow::Owned(m), features, eager)
}

/// [`validate_module`], translating every function in the same pass as
/// its validation instead of on its first call (same errors): cheaper when
/// nearly every function will run and the module is small, as under a
/// fuzzer; start-up pays for all of it.
pub fn validate_module_eager(m: &Module, features: &Features) -> Result<ValidModule> {
    validate(Cow::Borrowed(m), features, true)
}

/// Validates `m`; with `eager`, the translator rides along each function's
/// validation.
fn validate(owned: Cow<'_, Module>, features: &Features, eager: bool) -> Result<ValidModule> {
    let m: &Module = &owned;
    let mut c = Ctx {
        f: *features,
        defs: m.type_defs.clone().into(),
        canon: Vec::new(),
        tags: Vec::new(),
        funcs: Vec::new(),
        funcs_exact: Vec::new(),
        tables: Vec::new(),
        mems: Vec::new(),
        globals: Vec::new(),
        elems: Vec::new(),
        datas: 0,
        refs: HashSet::new(),
    };
    types::validate_types(&mut c, m)?;
    for st in &m.type_defs {
        let mut r = Ok(());
        let mut chk = |t: ValType| {
            if r.is_ok() {
                r = c.check_val(t);
            }
        };
        match &st.comp {
            CompType::Func(ft) => ft.params.iter().chain(&ft.results).for_each(|&t| chk(t)),
            CompType::Struct(fs) => fs.iter().for_each(|f| chk(f.storage.unpacked())),
            CompType::Array(f) => chk(f.storage.unpacked()),
        }
        r?;
    }
    let check_tag = |c: &Ctx, t: &TagType| -> Result<()> {
        if !c.ty(t.ty)?.results.is_empty() {
            return Err(ValidationError::NonEmptyTagResult);
        }
        Ok(())
    };
    // valid: imports
    for im in &m.imports {
        match &im.desc {
            ImportDesc::Tag(t) => {
                check_tag(&c, t)?;
                c.tags.push(t.ty);
            }
            ImportDesc::Func(x) => {
                c.ty(*x)?;
                c.funcs.push(*x);
                c.funcs_exact.push(false);
            }
            ImportDesc::FuncExact(x) => {
                c.ty(*x)?;
                c.funcs.push(*x);
                c.funcs_exact.push(true);
            }
            ImportDesc::Table(t) => {
                check_table_type(t)?;
                c.check_val(ValType::Ref(t.elem))?;
                c.tables.push(*t);
            }
            ImportDesc::Mem(t) => {
                check_mem_type(t)?;
                c.mems.push(*t);
            }
            ImportDesc::Global(t) => {
                c.check_val(t.ty)?;
                if t.mutable && !features.mutable_globals {
                    return Err(ValidationError::FeatureDisabled {
                        what: "mutable global import".into(),
                        feature: "mutable_globals",
                    });
                }
                c.globals.push(*t);
            }
        }
    }
    let num_imported_globals = c.globals.len();
    for f in &m.funcs {
        c.ty(f.ty)?;
        c.funcs.push(f.ty);
        c.funcs_exact.push(true);
    }
    c.tables.extend(m.tables.iter().map(|t| t.ty));
    c.mems.extend(m.mems.iter().copied());
    for t in &m.tags {
        check_tag(&c, t)?;
        c.tags.push(t.ty);
    }
    // valid: C.refs — functions referenced outside function bodies.
    let note_refs = |e: &Expr, refs: &mut HashSet<u32>| {
        for i in e {
            if i.op == Opcode::RefFunc {
                refs.insert(i.idx());
            }
        }
    };
    let mut refs = HashSet::new();
    for g in &m.globals {
        note_refs(&g.init, &mut refs);
    }
    for t in &m.tables {
        if let Some(e) = &t.init {
            note_refs(e, &mut refs);
        }
    }
    for e in &m.elems {
        c.check_val(ValType::Ref(e.ty))?;
        for x in &e.init {
            note_refs(x, &mut refs);
        }
    }
    for e in &m.exports {
        if let ExportDesc::Func(x) = e.desc {
            refs.insert(x);
        }
    }
    c.refs = refs;
    // valid: globals (each sees the globals before it; 2.0 only imported ones)
    let globals_see_defined =
        features.extended_const || features.function_references || features.gc;
    for g in &m.globals {
        c.check_val(g.ty.ty)?;
        let visible = if globals_see_defined {
            c.globals.len()
        } else {
            num_imported_globals
        };
        check_const(&c, &g.init, g.ty.ty, visible)?;
        c.globals.push(g.ty);
    }
    c.elems = m.elems.iter().map(|e| e.ty).collect();
    c.datas = m.datas.len() as u32;
    let nglobals = c.globals.len();
    for t in &m.tables {
        check_table_type(&t.ty)?;
        c.check_val(ValType::Ref(t.ty.elem))?;
        match &t.init {
            // valid: table — initialisers see the imported globals only.
            Some(e) => check_const(&c, e, ValType::Ref(t.ty.elem), num_imported_globals)?,
            // valid: table — a table without initialiser needs a nullable type.
            None if !t.ty.elem.nullable => {
                return mismatch("table of non-nullable type needs an initialiser");
            }
            None => {}
        }
    }
    for t in &m.mems {
        check_mem_type(t)?;
    }
    // valid: elem
    for e in &m.elems {
        c.check_val(ValType::Ref(e.ty))?;
        for x in &e.init {
            check_const(&c, x, ValType::Ref(e.ty), nglobals)?;
        }
        if let ElemMode::Active { table, offset } = &e.mode {
            let tt = c.table(*table)?;
            if !c.match_val(ValType::Ref(e.ty), ValType::Ref(tt.elem)) {
                return mismatch("element segment's type does not match table's element type");
            }
            check_const(&c, offset, addr_type(tt.idx64), nglobals)?;
        }
    }
    // valid: data
    for d in &m.datas {
        if let DataMode::Active { mem, offset } = &d.mode {
            let mt = c.mem(*mem)?;
            check_const(&c, offset, addr_type(mt.idx64), nglobals)?;
        }
    }
    // valid: func — every body now; translation waits for its first call
    // unless `eager`.
    let mut translated = Vec::with_capacity(if eager { m.funcs.len() } else { 0 });
    for f in &m.funcs {
        if eager {
            translated.push(crate::exec::translate::translate(&c, f)?);
        } else {
            func::validate(&c, f, &mut ())?;
        }
    }
    // valid: start
    if let Some(s) = m.start {
        let t = c.func(s)?;
        if !t.params.is_empty() || !t.results.is_empty() {
            return Err(ValidationError::StartFunction);
        }
    }
    // valid: exports
    let mut names = HashSet::new();
    for e in &m.exports {
        match e.desc {
            ExportDesc::Func(x) => {
                c.func(x)?;
            }
            ExportDesc::Table(x) => {
                c.table(x)?;
            }
            ExportDesc::Mem(x) => {
                c.mem(x)?;
            }
            ExportDesc::Tag(x) => {
                c.tag(x)?;
            }
            ExportDesc::Global(x) => {
                let g = c.global(x)?;
                if g.mutable && !features.mutable_globals && x as usize >= num_imported_globals {
                    return Err(ValidationError::FeatureDisabled {
                        what: "mutable global export".into(),
                        feature: "mutable_globals",
                    });
                }
            }
        }
        if !names.insert(e.name.as_str()) {
            return Err(ValidationError::DuplicateExportName);
        }
    }
    if c.mems.len() > 1 && !features.multi_memory {
        return Err(ValidationError::MultipleMemories);
    }
    if c.tables.len() > 1 && !features.reference_types {
        return Err(ValidationError::MultipleTables);
    }
    let nfuncs = m.funcs.len() as u32;
    let module = Arc::new(owned.into_owned());
    let (canon, func_types) = (c.canon.clone(), c.funcs.clone());
    let unit = Unit::new(c, Arc::clone(&module));
    let mut translated = translated.into_iter();
    let code = (0..nfuncs)
        .map(|i| Arc::new(LazyCode::new(&unit, i, translated.next())))
        .collect();
    Ok(ValidModule {
        canon,
        module,
        code,
        func_types,
        features: *features,
    })
}

/// valid: constant expressions (`visible_globals` = how many globals may be read).
fn check_const(c: &Ctx, e: &Expr, t: ValType, visible_globals: usize) -> Result<()> {
    func::check_const(c, e, t, visible_globals)
}

#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
pub(crate) mod tests;
