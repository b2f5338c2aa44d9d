//! Validation of components (Explainer.md; Binary.md's validation notes;
//! CanonicalABI.md "Canonical Definitions"). Index spaces are built
//! definition by definition; types are resolved into [`types`]' forms with
//! resource types by identity. Messages are the reference tests' (the
//! wording of wasmparser).
//!
//! Recursion is bounded by the decoder's nesting limit and by the effective
//! type size limit ([`types::MAX_TYPE_SIZE`]); comparisons carry fuel.

mod canon;
mod names;
mod types;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::syntax::{self as cs, *};
use crate::Features;
use crate::syntax as core;
use names::Name;
use types::*;

/// An invalid component. `Display` is the reference tests' message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationError {
    /// A component-level rule, with its message.
    Invalid(String),
    /// A nested core module is invalid (the core validator's error).
    Core(crate::valid::ValidationError),
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::Invalid(s) => f.write_str(s),
            ValidationError::Core(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ValidationError {}

type Result<T> = std::result::Result<T, ValidationError>;

/// An [`ValidationError::Invalid`] error.
pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ValidationError::Invalid(msg.into()))
}

/// Validates a component; nested core modules are validated under
/// `features` and their [`super::syntax::CoreModule::valid`] is filled.
pub fn validate_component(c: &Component, features: &Features) -> Result<()> {
    let mut v = Validator {
        f: *features,
        ids: Ids {
            next_type: 0,
            memo: HashMap::new(),
        },
        scopes: Vec::new(),
        inst_index: HashMap::new(),
        core_index: HashMap::new(),
    };
    v.component(c).map(|_| ())
}

/// Fuel for one subtyping check.
const SUB_FUEL: u32 = 4 * MAX_TYPE_SIZE;

/// What a scope is (Binary.md: outer aliases count scopes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Component,
    ComponentType,
    InstanceType,
}

/// An entry of the core type index space.
#[derive(Clone, Debug)]
enum CoreTy {
    Func(core::FuncType),
    Module(Arc<ModTy>),
    /// A GC struct or array type.
    Other,
}

/// A core instance: its exports.
#[derive(Debug, Default)]
struct CoreInst {
    exports: Vec<(String, core::ExternType)>,
}

/// Import or export.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Import,
    Export,
}

impl Dir {
    fn desc(self) -> &'static str {
        match self {
            Dir::Import => "import",
            Dir::Export => "export",
        }
    }
}

/// The index spaces and bookkeeping of one component, component type or
/// instance type.
struct Scope {
    kind: Kind,
    core_funcs: Vec<core::FuncType>,
    core_tables: Vec<core::TableType>,
    core_mems: Vec<core::MemType>,
    core_globals: Vec<core::GlobalType>,
    core_tags: Vec<core::FuncType>,
    core_types: Vec<CoreTy>,
    core_modules: Vec<Arc<ModTy>>,
    core_instances: Vec<Arc<CoreInst>>,
    funcs: Vec<Arc<FuncTy>>,
    /// Values and whether each was consumed (Binary.md: 🪙 exactly once).
    values: Vec<(Val, bool)>,
    types: Vec<TypeDef>,
    components: Vec<Arc<CompTy>>,
    instances: Vec<Arc<InstTy>>,
    imports: Vec<(String, Ent)>,
    exports: Vec<(String, Ent)>,
    /// Canonical import/export names (strong uniqueness) and the names as written.
    import_names: HashMap<String, String>,
    export_names: HashMap<String, String>,
    imported_res: Vec<ResId>,
    defined_res: Vec<ResId>,
    /// Resources defined here by `(type (resource ...))`: their rep.
    local_res: HashMap<ResId, core::ValType>,
    /// The name each top-level imported resource has, and each exported
    /// one (Binary.md: the two namespaces are disjoint).
    import_res_names: HashMap<ResId, String>,
    export_res_names: HashMap<ResId, String>,
    /// Types (defined-type identities and resources) named by an import or export.
    imported_types: HashSet<u32>,
    exported_types: HashSet<u32>,
    /// The core type of `context.get`/`context.set` (one for all slots).
    context_type: Option<core::ValType>,
}

impl Scope {
    fn new(kind: Kind) -> Scope {
        Scope {
            kind,
            core_funcs: Vec::new(),
            core_tables: Vec::new(),
            core_mems: Vec::new(),
            core_globals: Vec::new(),
            core_tags: Vec::new(),
            core_types: Vec::new(),
            core_modules: Vec::new(),
            core_instances: Vec::new(),
            funcs: Vec::new(),
            values: Vec::new(),
            types: Vec::new(),
            components: Vec::new(),
            instances: Vec::new(),
            imports: Vec::new(),
            exports: Vec::new(),
            import_names: HashMap::new(),
            export_names: HashMap::new(),
            imported_res: Vec::new(),
            defined_res: Vec::new(),
            local_res: HashMap::new(),
            import_res_names: HashMap::new(),
            export_res_names: HashMap::new(),
            imported_types: HashSet::new(),
            exported_types: HashSet::new(),
            context_type: None,
        }
    }
}

fn get<'a, T>(v: &'a [T], i: u32, what: &str) -> Result<&'a T> {
    v.get(i as usize).ok_or_else(|| {
        ValidationError::Invalid(format!("unknown {what} {i}: {what} index out of bounds"))
    })
}

struct Validator {
    f: Features,
    ids: Ids,
    scopes: Vec<Scope>,
    /// Export indices of instances and core instances by address (the Arc
    /// kept alive with its index).
    inst_index: ExportIndex<InstTy>,
    core_index: ExportIndex<CoreInst>,
}

impl Validator {
    fn s(&self) -> &Scope {
        self.scopes.last().expect("a scope is open")
    }
    fn sm(&mut self) -> &mut Scope {
        self.scopes.last_mut().expect("a scope is open")
    }

    // ----- components ---------------------------------------------------

    /// Explainer: component — validates the definitions in order; returns
    /// the component's type.
    fn component(&mut self, c: &Component) -> Result<Arc<CompTy>> {
        self.scopes.push(Scope::new(Kind::Component));
        let r = self.component_body(c);
        let s = self.scopes.pop().expect("pushed above");
        r?;
        // Binary.md 🪙: every value is consumed exactly once.
        if let Some(i) = s.values.iter().position(|(_, used)| !used) {
            return err(format!(
                "value index {i} was not used as part of an instantiation, start function, or export"
            ));
        }
        let mut defined = s.defined_res.clone();
        defined.extend(s.local_res.keys().copied());
        limit(Arc::new(
            CompTy {
                imports: s.imports,
                exports: s.exports,
                imported: s.imported_res,
                defined,
                size: 0,
                depth: 0,
            }
            .sized(),
        ))
    }

    fn component_body(&mut self, c: &Component) -> Result<()> {
        let mut started = false;
        for d in &c.defs {
            match d {
                Definition::CoreModule(m) => self.core_module(m)?,
                Definition::CoreInstance(i) => self.core_instance(i)?,
                Definition::CoreType(t) => {
                    let t = self.core_type(t)?;
                    self.sm().core_types.extend(t);
                }
                Definition::Component(c) => {
                    let t = self.component(c)?;
                    self.sm().components.push(t);
                }
                Definition::Instance(i) => self.instance(i)?,
                Definition::Alias(a) => self.alias(a)?,
                Definition::Type(t) => {
                    let t = self.def_type(t)?;
                    self.sm().types.push(t);
                }
                Definition::Canon(c) => self.canon(c)?,
                Definition::Start(s) => {
                    if started {
                        return err("component cannot have more than one start function");
                    }
                    started = true;
                    self.start(s)?;
                }
                Definition::Import(i) => self.import(&i.name, &i.desc)?,
                Definition::Export(e) => self.export(e)?,
                Definition::Value(v) => self.value(v)?,
            }
        }
        Ok(())
    }

    // ----- core definitions ----------------------------------------------

    /// A nested core module: core validation, then its module type.
    fn core_module(&mut self, m: &CoreModule) -> Result<()> {
        let valid = match m.valid.get() {
            Some(v) => v.clone(),
            None => {
                let v = crate::valid::validate_module(&m.module, &self.f)
                    .map_err(ValidationError::Core)?;
                let v = Arc::new(v);
                let _ = m.valid.set(v.clone());
                v
            }
        };
        let mt = module_type(&valid);
        check_core_imports_unique(&mt)?;
        self.sm().core_modules.push(Arc::new(mt));
        Ok(())
    }

    fn core_instance(&mut self, i: &CoreInstance) -> Result<()> {
        let inst = match i {
            CoreInstance::Instantiate { module, args } => {
                let mt = get(&self.s().core_modules, *module, "module")?.clone();
                let mut seen: HashMap<&str, Arc<CoreInst>> = HashMap::new();
                for (name, idx) in args {
                    let inst = get(&self.s().core_instances, *idx, "core instance")?.clone();
                    if seen.insert(name, inst).is_some() {
                        return err(format!(
                            "duplicate module instantiation argument named `{name}`"
                        ));
                    }
                }
                for (m, n, want) in &mt.imports {
                    let Some(arg) = seen.get(m.as_str()) else {
                        return err(format!("missing module instantiation argument named `{m}`"));
                    };
                    let Some(have) = self.core_export(arg, n) else {
                        return err(format!(
                            "module instantiation argument `{m}` does not export an item named `{n}`"
                        ));
                    };
                    core_extern_sub(&have, want).map_err(|e| {
                        ValidationError::Invalid(format!(
                            "type mismatch for export `{n}` of module instantiation argument `{m}`: {e}"
                        ))
                    })?;
                }
                CoreInst {
                    exports: mt.exports.clone(),
                }
            }
            CoreInstance::Exports(list) => {
                let mut exports: Vec<(String, core::ExternType)> = Vec::new();
                let mut names: HashSet<&str> = HashSet::new();
                for (name, sort, idx) in list {
                    if !names.insert(name) {
                        return err(format!(
                            "duplicate instantiation export name `{name}` already defined"
                        ));
                    }
                    exports.push((name.clone(), self.core_item(*sort, *idx)?));
                }
                CoreInst { exports }
            }
        };
        self.sm().core_instances.push(Arc::new(inst));
        Ok(())
    }

    /// The core extern type of a core sort index.
    fn core_item(&self, sort: CoreSort, idx: u32) -> Result<core::ExternType> {
        let s = self.s();
        Ok(match sort {
            CoreSort::Func => core::ExternType::Func(get(&s.core_funcs, idx, "function")?.clone()),
            CoreSort::Table => core::ExternType::Table(*get(&s.core_tables, idx, "table")?),
            CoreSort::Memory => core::ExternType::Mem(*get(&s.core_mems, idx, "memory")?),
            CoreSort::Global => core::ExternType::Global(*get(&s.core_globals, idx, "global")?),
            CoreSort::Tag => core::ExternType::Tag(get(&s.core_tags, idx, "tag")?.clone()),
            _ => {
                return err("invalid core export kind for an instance: only items can be exported");
            }
        })
    }

    /// Binary: core:type — a rec group's types, or a module type.
    fn core_type(&mut self, t: &CoreType) -> Result<Vec<CoreTy>> {
        match t {
            CoreType::Rec(subs) => {
                // Type references inside the group: in bounds, never to a
                // module type (core types of a component share one space).
                let base = self.s().core_types.len();
                let n = base + subs.len();
                for st in subs {
                    if let core::CompType::Func(f) = &st.comp {
                        for t in f.params.iter().chain(&f.results) {
                            let core::ValType::Ref(r) = t else { continue };
                            let (core::HeapType::Concrete(i) | core::HeapType::Exact(i)) = r.heap
                            else {
                                continue;
                            };
                            if i as usize >= n {
                                return err(format!("unknown type {i}: type index out of bounds"));
                            }
                            if let Some(CoreTy::Module(_)) = self.s().core_types.get(i as usize) {
                                return err(format!("type index {i} is a module type"));
                            }
                        }
                    }
                }
                Ok(subs
                    .iter()
                    .map(|st| match &st.comp {
                        core::CompType::Func(f) => CoreTy::Func(f.clone()),
                        _ => CoreTy::Other,
                    })
                    .collect())
            }
            CoreType::Module(decls) => Ok(vec![CoreTy::Module(Arc::new(self.module_type(decls)?))]),
        }
    }

    /// Binary: core:moduletype — validated with an empty core type space.
    fn module_type(&mut self, decls: &[CoreModuleDecl]) -> Result<ModTy> {
        let mut tys: Vec<CoreTy> = Vec::new();
        let mut mt = ModTy::default();
        let mut import_names: HashSet<(String, String)> = HashSet::new();
        let mut export_names: HashSet<String> = HashSet::new();
        let func = |tys: &[CoreTy], i: u32| -> Result<core::FuncType> {
            match get(tys, i, "type")? {
                CoreTy::Func(f) => Ok(f.clone()),
                _ => err(format!("type index {i} is not a function type")),
            }
        };
        let extern_type = |tys: &[CoreTy], d: &core::ImportDesc| -> Result<core::ExternType> {
            Ok(match d {
                core::ImportDesc::Func(i) | core::ImportDesc::FuncExact(i) => {
                    core::ExternType::Func(func(tys, *i)?)
                }
                core::ImportDesc::Table(t) => core::ExternType::Table(*t),
                core::ImportDesc::Mem(m) => core::ExternType::Mem(*m),
                core::ImportDesc::Global(g) => core::ExternType::Global(*g),
                core::ImportDesc::Tag(t) => core::ExternType::Tag(func(tys, t.ty)?),
            })
        };
        for d in decls {
            match d {
                CoreModuleDecl::Import(im) => {
                    let t = extern_type(&tys, &im.desc)?;
                    check_core_extern(&t)?;
                    if !import_names.insert((im.module.clone(), im.name.clone())) {
                        return err(format!("duplicate import name `{}:{}`", im.module, im.name));
                    }
                    mt.imports.push((im.module.clone(), im.name.clone(), t));
                }
                CoreModuleDecl::Type(t) => match t {
                    CoreType::Module(_) => {
                        return err(
                            "invalid leading byte (0x50) for core type in a module type: module types cannot be nested",
                        );
                    }
                    t => tys.extend(self.core_type(t)?),
                },
                CoreModuleDecl::OuterAlias { count, idx } => {
                    // Binary.md: count 0 is the module type, 1 the enclosing
                    // component (type), and so on outward.
                    let n = self.scopes.len();
                    let space = match *count as usize {
                        0 => &tys,
                        c if c <= n => &self.scopes[n - c].core_types,
                        _ => return err(format!("invalid outer alias count of {count}")),
                    };
                    match get(space, *idx, "type")? {
                        CoreTy::Module(_) => {
                            return err("cannot alias a module type into a module type");
                        }
                        t => tys.push(t.clone()),
                    }
                }
                CoreModuleDecl::Export(name, d) => {
                    let t = extern_type(&tys, d)?;
                    check_core_extern(&t)?;
                    if !export_names.insert(name.clone()) {
                        return err(format!("export name `{name}` already defined"));
                    }
                    mt.exports.push((name.clone(), t));
                }
            }
        }
        Ok(mt)
    }

    // ----- types -----------------------------------------------------------

    /// Binary: valtype.
    fn val_type(&self, t: &ValType) -> Result<Val> {
        match t {
            ValType::Prim(p) => Ok(Val::Prim(*p)),
            ValType::Idx(i) => match get(&self.s().types, *i, "type")? {
                TypeDef::Val(v) => Ok(v.clone()),
                _ => err(format!("type index {i} is not a defined type")),
            },
        }
    }

    fn opt_val(&self, t: &Option<ValType>) -> Result<Option<Val>> {
        t.as_ref().map(|t| self.val_type(t)).transpose()
    }

    /// Binary.md: no `borrow` in stream or future payloads.
    fn stream_payload(&self, t: &Option<ValType>) -> Result<Option<Val>> {
        let e = self.opt_val(t)?;
        if e.as_ref().is_some_and(Val::borrow) {
            return err("stream and future payloads cannot contain a `borrow` type");
        }
        Ok(e)
    }

    fn resource(&self, i: u32) -> Result<Res> {
        match get(&self.s().types, i, "type")? {
            TypeDef::Resource(r) => Ok(*r),
            _ => err(format!("type index {i} is not a resource type")),
        }
    }

    /// Binary: defvaltype — resolved, with its validation rules.
    fn def_val_type(&mut self, t: &DefValType) -> Result<Val> {
        let kind = match t {
            DefValType::Prim(p) => DefKind::Prim(*p),
            DefValType::Record(fs) => {
                if fs.is_empty() {
                    return err("record type must have at least one field");
                }
                labels_unique(fs.iter().map(|(l, _)| l.as_str()), "record field", "field")?;
                DefKind::Record(
                    fs.iter()
                        .map(|(l, t)| Ok((l.clone(), self.val_type(t)?)))
                        .collect::<Result<_>>()?,
                )
            }
            DefValType::Variant(cs) => {
                if cs.is_empty() {
                    return err("variant type must have at least one case");
                }
                labels_unique(cs.iter().map(|(l, _)| l.as_str()), "variant case", "case")?;
                DefKind::Variant(
                    cs.iter()
                        .map(|(l, t)| Ok((l.clone(), self.opt_val(t)?)))
                        .collect::<Result<_>>()?,
                )
            }
            DefValType::List(t) => DefKind::List(self.val_type(t)?),
            DefValType::FixedList(t, n) => {
                // Binary.md 🔧: the length must be larger than 0.
                if *n == 0 {
                    return err("Fixed-length lists must have more than zero elements");
                }
                DefKind::FixedList(self.val_type(t)?, *n)
            }
            DefValType::Tuple(ts) => {
                if ts.is_empty() {
                    return err("tuple type must have at least one type");
                }
                DefKind::Tuple(ts.iter().map(|t| self.val_type(t)).collect::<Result<_>>()?)
            }
            DefValType::Flags(ls) => {
                if ls.is_empty() {
                    return err("flags must have at least one entry");
                }
                // Binary.md: 0 < |l*| <= 32.
                if ls.len() > 32 {
                    return err("cannot have more than 32 flags");
                }
                labels_unique(ls.iter().map(String::as_str), "flag", "flag")?;
                DefKind::Flags(ls.clone())
            }
            DefValType::Enum(ls) => {
                if ls.is_empty() {
                    return err("enum type must have at least one variant");
                }
                labels_unique(ls.iter().map(String::as_str), "enum tag", "tag")?;
                DefKind::Enum(ls.clone())
            }
            DefValType::Option(t) => DefKind::Option(self.val_type(t)?),
            DefValType::Result(a, b) => DefKind::Result(self.opt_val(a)?, self.opt_val(b)?),
            DefValType::Own(i) => DefKind::Own(self.resource(*i)?),
            DefValType::Borrow(i) => DefKind::Borrow(self.resource(*i)?),
            DefValType::Stream(t) => {
                let e = self.stream_payload(t)?;
                // Binary.md: `(stream char)` is rejected for now.
                if e.as_ref().and_then(Val::prim) == Some(PrimValType::Char) {
                    return err(
                        "`stream<char>` is not valid at this time, use `stream<u8>` with a defined by encoding instead for now",
                    );
                }
                DefKind::Stream(e)
            }
            DefValType::Future(t) => DefKind::Future(self.stream_payload(t)?),
            DefValType::Map(k, v) => {
                let k = self.val_type(k)?;
                // Explainer 🗺️: keytype — bool, integers, char, string.
                let key_ok = k.prim().is_some_and(|p| {
                    !matches!(
                        p,
                        PrimValType::F32 | PrimValType::F64 | PrimValType::ErrorContext
                    )
                });
                if !key_ok {
                    return err("map key type must be a primitive type other than a float");
                }
                DefKind::Map(k, self.val_type(v)?)
            }
        };
        let d = defined(self.ids.ty(), kind);
        if d.size > MAX_TYPE_SIZE {
            return err(format!(
                "effective type size exceeds the limit of {MAX_TYPE_SIZE}"
            ));
        }
        if d.depth > MAX_TYPE_DEPTH {
            return err("value type nesting is too deep");
        }
        // Binary.md: elem_size(t, 'i64') < 2^28.
        if d.elem_size >= 1 << 28 {
            return err("value type's maximum in-memory size exceeds maximum byte size");
        }
        Ok(Val::Def(Arc::new(d)))
    }

    /// Binary: type — a type definition.
    fn def_type(&mut self, t: &DefType) -> Result<TypeDef> {
        Ok(match t {
            DefType::Val(v) => TypeDef::Val(self.def_val_type(v)?),
            DefType::Func(f) => TypeDef::Func(self.func_type(f)?),
            DefType::Component(decls) => TypeDef::Component(self.component_type(decls)?),
            DefType::Instance(decls) => TypeDef::Instance(self.instance_type(decls)?),
            DefType::Resource { rep, dtor } => {
                // Binary.md: resource types only in concrete components.
                if self.s().kind != Kind::Component {
                    return err("resources can only be defined within a concrete component");
                }
                // Explainer: `(rep i32)`, or 🐘 `(rep i64)` with 64-bit memories.
                let rep_ok =
                    *rep == core::ValType::I32 || (*rep == core::ValType::I64 && self.f.memory64);
                if !rep_ok {
                    return err(
                        "resources can only be represented by `i32` (or `i64` with memory64)",
                    );
                }
                if let Some(f) = dtor {
                    // Binary.md: the destructor has type [rep] -> [].
                    let ft = get(&self.s().core_funcs, *f, "function")?;
                    if ft.params != [*rep] || !ft.results.is_empty() {
                        return err(format!(
                            "core function {f} has wrong signature for a destructor"
                        ));
                    }
                }
                let r = self.ids.res();
                self.sm().local_res.insert(r, *rep);
                TypeDef::Resource(Res { id: r, alias: r })
            }
        })
    }

    /// Binary: functype — labels, and no `borrow` in the result.
    fn func_type(&mut self, f: &cs::FuncType) -> Result<Arc<FuncTy>> {
        let mut seen: HashMap<String, &str> = HashMap::new();
        let mut params = Vec::with_capacity(f.params.len());
        for (l, t) in &f.params {
            names::check_label(l, "function parameter")?;
            if let Some(prev) = seen.insert(names::lower(l), l) {
                return err(format!(
                    "function parameter name `{l}` conflicts with previous parameter name `{prev}`"
                ));
            }
            params.push((l.clone(), self.val_type(t)?));
        }
        let result = self.opt_val(&f.result)?;
        if result.as_ref().is_some_and(Val::borrow) {
            return err("function result cannot contain a `borrow` type");
        }
        let size = params
            .iter()
            .map(|(_, t)| t)
            .chain(&result)
            .fold(1u32, |s, t| s.saturating_add(t.size()));
        if size > MAX_TYPE_SIZE {
            return err(format!(
                "effective type size exceeds the limit of {MAX_TYPE_SIZE}"
            ));
        }
        Ok(Arc::new(FuncTy {
            is_async: f.is_async,
            params,
            result,
        }))
    }

    /// Binary: componenttype — its own scope.
    fn component_type(&mut self, decls: &[ComponentDecl]) -> Result<Arc<CompTy>> {
        self.scopes.push(Scope::new(Kind::ComponentType));
        let r = decls.iter().try_for_each(|d| match d {
            ComponentDecl::Import(n, d) => self.import(n, d),
            ComponentDecl::Instance(d) => self.instance_decl(d),
        });
        let s = self.scopes.pop().expect("pushed above");
        r?;
        limit(Arc::new(
            CompTy {
                imports: s.imports,
                exports: s.exports,
                imported: s.imported_res,
                defined: s.defined_res,
                size: 0,
                depth: 0,
            }
            .sized(),
        ))
    }

    /// Binary: instancetype — its own scope.
    fn instance_type(&mut self, decls: &[InstanceDecl]) -> Result<Arc<InstTy>> {
        self.scopes.push(Scope::new(Kind::InstanceType));
        let r = decls.iter().try_for_each(|d| self.instance_decl(d));
        let s = self.scopes.pop().expect("pushed above");
        r?;
        limit(Arc::new(
            InstTy {
                exports: s.exports,
                defined: s.defined_res,
                size: 0,
                depth: 0,
            }
            .sized(),
        ))
    }

    /// Binary: instancedecl.
    fn instance_decl(&mut self, d: &InstanceDecl) -> Result<()> {
        match d {
            InstanceDecl::CoreType(t) => {
                let t = self.core_type(t)?;
                self.sm().core_types.extend(t);
            }
            InstanceDecl::Type(t) => {
                let t = self.def_type(t)?;
                self.sm().types.push(t);
            }
            InstanceDecl::Alias(a) => {
                // Binary.md: export aliases of instances and types, outer
                // aliases of core types and types.
                let ok = match a {
                    Alias::InstanceExport { sort, .. } => {
                        matches!(sort, Sort::Type | Sort::Instance)
                    }
                    Alias::Outer { sort, .. } => {
                        matches!(sort, Sort::Type | Sort::Core(CoreSort::Type))
                    }
                    Alias::CoreInstanceExport { .. } => false,
                };
                if !ok {
                    return err(
                        "aliases in a component or instance type may only refer to types or instances",
                    );
                }
                self.alias(a)?;
            }
            InstanceDecl::Export(n, d) => {
                let ent = self.extern_desc(d, Dir::Export)?;
                self.add_extern(n, ent, Dir::Export)?;
            }
        }
        Ok(())
    }

    // ----- imports and exports ---------------------------------------------

    /// Binary: externtype — resolved; `(sub resource)` and instance types'
    /// resources get fresh identities.
    fn extern_desc(&mut self, d: &ExternDesc, dir: Dir) -> Result<Ent> {
        let ent = match d {
            ExternDesc::CoreModule(i) => match get(&self.s().core_types, *i, "core type")? {
                CoreTy::Module(m) => Ent::Module(m.clone()),
                _ => return err(format!("core type index {i} is not a module type")),
            },
            ExternDesc::Func(i) => match get(&self.s().types, *i, "type")? {
                TypeDef::Func(f) => Ent::Func(f.clone()),
                _ => return err(format!("type index {i} is not a function type")),
            },
            ExternDesc::Value(ValueBound::Type(t)) => Ent::Value(self.val_type(t)?),
            ExternDesc::Value(ValueBound::Eq(i)) => {
                Ent::Value(get(&self.s().values, *i, "value")?.0.clone())
            }
            ExternDesc::Type(TypeBound::Eq(i)) => {
                Ent::Type(self.with_unique(get(&self.s().types, *i, "type")?.clone()))
            }
            ExternDesc::Type(TypeBound::SubResource) => {
                let r = self.ids.res();
                match dir {
                    Dir::Import => self.sm().imported_res.push(r),
                    Dir::Export => self.sm().defined_res.push(r),
                }
                Ent::Type(TypeDef::Resource(Res { id: r, alias: r }))
            }
            ExternDesc::Instance(i) => match get(&self.s().types, *i, "type")?.clone() {
                TypeDef::Instance(it) => {
                    let it = freshen_inst(&it, &mut self.ids);
                    let fresh = it.defined.clone();
                    match dir {
                        Dir::Import => self.sm().imported_res.extend(fresh),
                        Dir::Export => self.sm().defined_res.extend(fresh),
                    }
                    Ent::Instance(Arc::new(InstTy {
                        exports: it.exports.clone(),
                        defined: Vec::new(),
                        size: it.size,
                        depth: it.depth,
                    }))
                }
                _ => return err(format!("type index {i} is not an instance type")),
            },
            ExternDesc::Component(i) => match get(&self.s().types, *i, "type")? {
                TypeDef::Component(c) => Ent::Component(c.clone()),
                _ => return err(format!("type index {i} is not a component type")),
            },
        };
        Ok(ent)
    }

    /// A new identity for a defined value type (an export or `eq` bound
    /// names it anew); other types keep theirs.
    fn with_unique(&mut self, t: TypeDef) -> TypeDef {
        match t {
            TypeDef::Val(Val::Def(d)) => TypeDef::Val(Val::Def(Arc::new(Defined {
                id: self.ids.ty(),
                kind: d.kind.clone(),
                size: d.size,
                depth: d.depth,
                borrow: d.borrow,
                handles: d.handles,
                elem_size: d.elem_size,
                align: d.align,
            }))),
            TypeDef::Resource(r) => TypeDef::Resource(Res {
                id: r.id,
                alias: self.ids.ty(),
            }),
            t => t,
        }
    }

    fn import(&mut self, n: &ExternName, d: &ExternDesc) -> Result<()> {
        let ent = self.extern_desc(d, Dir::Import)?;
        self.add_extern(n, ent, Dir::Import)
    }

    /// An import or export (or an export declarator): name rules, named
    /// types, then the item joins its index space.
    fn add_extern(&mut self, n: &ExternName, ent: Ent, dir: Dir) -> Result<()> {
        // Top-level resources are known by name for `[method]` etc.
        if let Ent::Type(TypeDef::Resource(r)) = &ent {
            let s = self.sm();
            let names = match dir {
                Dir::Import => &mut s.import_res_names,
                Dir::Export => &mut s.export_res_names,
            };
            names.entry(r.alias).or_insert_with(|| n.name.clone());
        }
        self.check_name(n, &ent, dir)?;
        if !self.named(&ent, dir, true) {
            return err(format!(
                "{} not valid to be used as {}",
                ent.desc(),
                dir.desc()
            ));
        }
        if let Ent::Value(v) = &ent
            && dir == Dir::Export
            && v.borrow()
        {
            return err("exported value type cannot contain a `borrow` type");
        }
        let s = self.sm();
        match dir {
            Dir::Import => s.imports.push((n.name.clone(), ent.clone())),
            Dir::Export => s.exports.push((n.name.clone(), ent.clone())),
        }
        // An exported value is consumed by the export; an import is fresh.
        let used = dir == Dir::Export;
        self.push_ent(ent, used);
        Ok(())
    }

    /// An instance's export by name, through an index built once per
    /// instance (aliases of many exports stay linear).
    fn inst_export(&mut self, it: &Arc<InstTy>, name: &str) -> Option<Ent> {
        export_by_name(&mut self.inst_index, it, |t| &t.exports, name)
    }

    /// A core instance's export by name, through an index built once.
    fn core_export(&mut self, ci: &Arc<CoreInst>, name: &str) -> Option<core::ExternType> {
        export_by_name(&mut self.core_index, ci, |c| &c.exports, name)
    }

    fn push_ent(&mut self, ent: Ent, used: bool) {
        let s = self.sm();
        match ent {
            Ent::Module(m) => s.core_modules.push(m),
            Ent::Func(f) => s.funcs.push(f),
            Ent::Value(v) => s.values.push((v, used)),
            Ent::Type(t) => s.types.push(t),
            Ent::Instance(i) => s.instances.push(i),
            Ent::Component(c) => s.components.push(c),
        }
    }

    /// Binary.md "Import and Export Definitions": name validity, attributes,
    /// annotated names, strong uniqueness.
    fn check_name(&mut self, n: &ExternName, ent: &Ent, dir: Dir) -> Result<()> {
        let raw = n.name.as_str();
        let parsed = names::parse(raw).map_err(|e| {
            ValidationError::Invalid(format!(
                "{} name `{raw}` is not a valid extern name: {e}",
                dir.desc()
            ))
        })?;
        if let Some(a) = n.repeated_attribute {
            return err(format!("duplicate '{a}' option in name"));
        }
        check_attributes(n, &parsed, ent)?;
        self.check_annotated(&parsed, n, ent, dir).map_err(|e| {
            ValidationError::Invalid(format!("{} name `{raw}` is not valid: {e}", dir.desc()))
        })?;
        let canonical = parsed.canonical(raw);
        let names = match dir {
            Dir::Import => &mut self.sm().import_names,
            Dir::Export => &mut self.sm().export_names,
        };
        if let Some(prev) = names.get(&canonical) {
            return err(format!(
                "{} name `{raw}` conflicts with previous name `{prev}`",
                dir.desc()
            ));
        }
        names.insert(canonical, raw.to_string());
        Ok(())
    }

    /// Binary.md: `[constructor]`, `[method]`, `[static]` names.
    fn check_annotated(&self, parsed: &Name, n: &ExternName, ent: &Ent, dir: Dir) -> Result<()> {
        let res_names = match dir {
            Dir::Import => &self.s().import_res_names,
            Dir::Export => &self.s().export_res_names,
        };
        check_annotated(parsed, n, ent, res_names)
    }
}

/// Binary.md: `[constructor]`, `[method]`, `[static]` names, against the
/// resource names of their namespace.
fn check_annotated(
    parsed: &Name,
    n: &ExternName,
    ent: &Ent,
    res_names: &HashMap<ResId, String>,
) -> Result<()> {
    if let Name::Interface(v) = parsed {
        return names::check_version(v.as_deref(), n.version_suffix.as_deref())
            .map_err(|e| ValidationError::Invalid(format!("invalid interface version: {e}")));
    }
    let func = || match ent {
        Ent::Func(f) => Ok(f.clone()),
        _ => err("item is not a func"),
    };
    let handle = |v: &Val, borrow: bool| match v {
        Val::Def(d) => match d.kind {
            DefKind::Own(r) if !borrow => Some(r),
            DefKind::Borrow(r) if borrow => Some(r),
            _ => None,
        },
        Val::Prim(_) => None,
    };
    match parsed {
        Name::Constructor(r) => {
            let f = func()?;
            if f.is_async {
                return err("constructor function cannot be async");
            }
            let Some(res) = &f.result else {
                return err("function should return one value");
            };
            let id = handle(res, false).or_else(|| match res {
                Val::Def(d) => match &d.kind {
                    DefKind::Result(Some(ok), _) => handle(ok, false),
                    _ => None,
                },
                Val::Prim(_) => None,
            });
            let Some(id) = id else {
                return err("function should return `(own $T)` or `(result (own $T))`");
            };
            resource_name(res_names, id.alias, r)
        }
        Name::Method(r, _) => {
            let f = func()?;
            let Some((pname, pty)) = f.params.first() else {
                return err("function should have at least one argument");
            };
            if pname != "self" {
                return err("function should have a first argument called `self`");
            }
            let Some(id) = handle(pty, true) else {
                return err("function should take a first argument of `(borrow $T)`");
            };
            resource_name(res_names, id.alias, r)
        }
        Name::Static(r, _) => {
            func()?;
            if !res_names.values().any(|n| n == r) {
                return err("static resource name is not known in this context");
            }
            Ok(())
        }
        Name::Label(_) | Name::Interface(_) => Ok(()),
    }
}

/// Binary.md 🏷️/🔗: `implements` and `versionsuffix` attributes.
fn check_attributes(n: &ExternName, parsed: &Name, ent: &Ent) -> Result<()> {
    let raw = n.name.as_str();
    let is_instance = matches!(ent, Ent::Instance(_));
    if let Some(suffix) = &n.version_suffix {
        if !is_instance {
            return err("only instances can have a `version-suffix`");
        }
        if suffix.is_empty() {
            return err("version suffix cannot be empty");
        }
        if n.implements.is_none() && !matches!(parsed, Name::Interface(_)) {
            return err("`version-suffix` requires an interface name or `implements`");
        }
    }
    if let Some(imp) = &n.implements {
        if !matches!(parsed, Name::Label(_)) {
            return err(format!("name `{raw}` is not valid with `implements`"));
        }
        if !is_instance {
            return err("only instances can have an `implements`");
        }
        match names::parse(imp)
            .map_err(|e| ValidationError::Invalid(format!("`{imp}` is not a valid name: {e}")))?
        {
            Name::Interface(v) => names::check_version(v.as_deref(), n.version_suffix.as_deref())
                .map_err(|e| {
                ValidationError::Invalid(format!("invalid interface version: {e}"))
            })?,
            _ => return err(format!("name `{imp}` must be an interface")),
        }
    }
    Ok(())
}

/// Binary.md: the resource of a `[constructor]`/`[method]` has that name here.
fn resource_name(res_names: &HashMap<ResId, String>, id: ResId, name: &str) -> Result<()> {
    match res_names.get(&id) {
        None => err("resource used in function does not have a name in this context"),
        Some(n) if n != name => err(format!(
            "function does not match expected resource name `{n}`"
        )),
        Some(_) => Ok(()),
    }
}

impl Validator {
    /// Binary.md: every type an import or export uses must itself be
    /// imported or exported (named); registers the types this one names.
    fn named(&mut self, ent: &Ent, dir: Dir, top: bool) -> bool {
        if self.s().kind == Kind::InstanceType {
            return true;
        }
        let _ = top;
        match ent {
            Ent::Type(t) => {
                let s = self.s();
                let set = match dir {
                    Dir::Import => &s.imported_types,
                    Dir::Export => &s.exported_types,
                };
                if !typedef_named(t, set) {
                    return false;
                }
                let id = match t {
                    TypeDef::Val(Val::Def(d)) => Some(d.id),
                    TypeDef::Resource(r) => Some(r.alias),
                    _ => None,
                };
                if let Some(id) = id {
                    let s = self.sm();
                    if dir == Dir::Import {
                        s.imported_types.insert(id);
                    }
                    s.exported_types.insert(id);
                }
                true
            }
            Ent::Instance(i) => i.exports.iter().all(|(_, e)| self.named(e, dir, false)),
            Ent::Func(f) => {
                let s = self.s();
                let set = match dir {
                    Dir::Import => &s.imported_types,
                    Dir::Export => &s.exported_types,
                };
                func_named(f, set)
            }
            Ent::Value(v) => {
                let s = self.s();
                let set = match dir {
                    Dir::Import => &s.imported_types,
                    Dir::Export => &s.exported_types,
                };
                val_named(v, set)
            }
            Ent::Component(_) | Ent::Module(_) => true,
        }
    }

    fn export(&mut self, e: &cs::Export) -> Result<()> {
        let actual = self.item(&e.item)?;
        let ent = match &e.desc {
            None => match actual {
                Ent::Type(t) => Ent::Type(self.with_unique(t)),
                a => a,
            },
            Some(d) => {
                let before = self.s().defined_res.len();
                let want = self.extern_desc(d, Dir::Export)?;
                let open: HashSet<ResId> = self.s().defined_res[before..].iter().copied().collect();
                let mut sub = Sub {
                    map: Subst::new(),
                    open,
                    ids: &mut self.ids,
                    fuel: SUB_FUEL,
                };
                sub.ent(&actual, &want).map_err(|e| {
                    ValidationError::Invalid(format!(
                        "ascribed type of export is not compatible with item's type: {e}"
                    ))
                })?;
                // The ascribed type is the export's: a `(sub resource)`
                // stays a fresh abstract resource to the outside.
                want
            }
        };
        self.add_extern(&e.name, ent, Dir::Export)
    }

    /// The type of a sort index; values are consumed.
    fn item(&mut self, si: &SortIdx) -> Result<Ent> {
        let i = si.idx;
        let s = self.s();
        Ok(match si.sort {
            Sort::Core(CoreSort::Module) => Ent::Module(get(&s.core_modules, i, "module")?.clone()),
            Sort::Core(_) => return err("core items other than modules cannot be used here"),
            Sort::Func => Ent::Func(get(&s.funcs, i, "function")?.clone()),
            Sort::Value => {
                let (v, used) = get(&s.values, i, "value")?.clone();
                if used {
                    return err(format!("value {i} cannot be used more than once"));
                }
                self.sm().values[i as usize].1 = true;
                Ent::Value(v)
            }
            Sort::Type => Ent::Type(get(&s.types, i, "type")?.clone()),
            Sort::Component => Ent::Component(get(&s.components, i, "component")?.clone()),
            Sort::Instance => Ent::Instance(get(&s.instances, i, "instance")?.clone()),
        })
    }

    // ----- instances and aliases -------------------------------------------

    fn instance(&mut self, i: &Instance) -> Result<()> {
        let it = match i {
            Instance::Instantiate { component, args } => {
                let ct = get(&self.s().components, *component, "component")?.clone();
                let mut given: Vec<(String, Ent)> = Vec::new();
                let mut lowered: HashMap<String, &str> = HashMap::new();
                for (name, si) in args {
                    if let Some(prev) = lowered.insert(names::lower(name), name) {
                        return err(format!(
                            "instantiation argument `{name}` conflicts with previous argument `{prev}`"
                        ));
                    }
                    let e = self.item(si)?;
                    given.push((name.clone(), e));
                }
                let given: HashMap<&str, &Ent> =
                    given.iter().map(|(n, e)| (n.as_str(), e)).collect();
                let mut sub = Sub {
                    map: Subst::new(),
                    open: ct.imported.iter().copied().collect(),
                    ids: &mut self.ids,
                    fuel: SUB_FUEL,
                };
                for (k, want) in &ct.imports {
                    let Some(have) = given.get(k.as_str()) else {
                        return err(format!("missing import named `{k}`"));
                    };
                    sub.ent(have, want).map_err(|e| {
                        ValidationError::Invalid(format!(
                            "type mismatch for component instantiation argument `{k}`: {e}"
                        ))
                    })?;
                }
                let mut m = sub.map;
                for r in &ct.defined {
                    let fresh = self.ids.res();
                    m.res.insert(
                        *r,
                        Res {
                            id: fresh,
                            alias: fresh,
                        },
                    );
                }
                self.ids.memo.clear();
                InstTy {
                    exports: ct
                        .exports
                        .iter()
                        .map(|(n, e)| (n.clone(), subst_ent(e, &m, &mut self.ids)))
                        .collect(),
                    defined: Vec::new(),
                    size: ct.size,
                    depth: ct.depth,
                }
            }
            Instance::Exports(list) => {
                let mut exports: Vec<(String, Ent)> = Vec::new();
                let mut seen: HashMap<String, String> = HashMap::new();
                let res_names: HashMap<ResId, String> = HashMap::new();
                for (n, si) in list {
                    let parsed = names::parse(&n.name).map_err(|e| {
                        ValidationError::Invalid(format!(
                            "export name `{}` is not a valid extern name: {e}",
                            n.name
                        ))
                    })?;
                    if let Some(a) = n.repeated_attribute {
                        return err(format!("duplicate '{a}' option in name"));
                    }
                    // A bag's exports keep their types' identities and give
                    // resources no names: annotated names in a bag can only
                    // refer to resources named nowhere (always an error).
                    let e = self.item(si)?;
                    check_attributes(n, &parsed, &e)?;
                    check_annotated(&parsed, n, &e, &res_names).map_err(|err| {
                        ValidationError::Invalid(format!(
                            "export name `{}` is not valid: {err}",
                            n.name
                        ))
                    })?;
                    let c = parsed.canonical(&n.name);
                    if let Some(prev) = seen.get(&c) {
                        return err(format!(
                            "export name `{}` conflicts with previous name `{prev}`",
                            n.name
                        ));
                    }
                    seen.insert(c, n.name.clone());
                    exports.push((n.name.clone(), e));
                }
                InstTy {
                    exports,
                    defined: Vec::new(),
                    size: 0,
                    depth: 0,
                }
                .sized()
            }
        };
        let it = limit(Arc::new(it))?;
        self.sm().instances.push(it);
        Ok(())
    }

    fn alias(&mut self, a: &Alias) -> Result<()> {
        match a {
            Alias::InstanceExport {
                sort,
                instance,
                name,
            } => {
                let it = get(&self.s().instances, *instance, "instance")?.clone();
                let Some(e) = self.inst_export(&it, name) else {
                    return err(format!("instance {instance} has no export named `{name}`"));
                };
                let ok = matches!(
                    (sort, &e),
                    (Sort::Core(CoreSort::Module), Ent::Module(_))
                        | (Sort::Func, Ent::Func(_))
                        | (Sort::Value, Ent::Value(_))
                        | (Sort::Type, Ent::Type(_))
                        | (Sort::Component, Ent::Component(_))
                        | (Sort::Instance, Ent::Instance(_))
                );
                if !ok {
                    return err(format!(
                        "export `{name}` for instance {instance} is not a {}",
                        sort_desc(*sort)
                    ));
                }
                self.push_ent(e.clone(), false);
            }
            Alias::CoreInstanceExport {
                sort,
                instance,
                name,
            } => {
                let ci = get(&self.s().core_instances, *instance, "core instance")?.clone();
                let Some(t) = self.core_export(&ci, name) else {
                    return err(format!(
                        "core instance {instance} has no export named `{name}`"
                    ));
                };
                let s = self.sm();
                match (sort, &t) {
                    (CoreSort::Func, core::ExternType::Func(f)) => s.core_funcs.push(f.clone()),
                    (CoreSort::Table, core::ExternType::Table(t)) => s.core_tables.push(*t),
                    (CoreSort::Memory, core::ExternType::Mem(m)) => s.core_mems.push(*m),
                    (CoreSort::Global, core::ExternType::Global(g)) => s.core_globals.push(*g),
                    (CoreSort::Tag, core::ExternType::Tag(f)) => s.core_tags.push(f.clone()),
                    _ => {
                        return err(format!(
                            "export `{name}` for core instance {instance} is not a {}",
                            core_sort_desc(*sort)
                        ));
                    }
                }
            }
            Alias::Outer { sort, count, idx } => {
                let n = self.scopes.len();
                if *count as usize >= n {
                    return err(format!("invalid outer alias count of {count}"));
                }
                let target = n - 1 - *count as usize;
                let t = &self.scopes[target];
                let crosses = self.scopes[target + 1..]
                    .iter()
                    .any(|s| s.kind == Kind::Component);
                match sort {
                    Sort::Core(CoreSort::Type) => {
                        let t = get(&t.core_types, *idx, "core type")?.clone();
                        self.sm().core_types.push(t);
                    }
                    Sort::Core(CoreSort::Module) => {
                        let m = get(&t.core_modules, *idx, "module")?.clone();
                        self.sm().core_modules.push(m);
                    }
                    Sort::Type => {
                        let ty = get(&t.types, *idx, "type")?.clone();
                        // Binary.md: across a component boundary, no resources.
                        if crosses && typedef_has_resources(&ty) {
                            return err(
                                "cannot alias outer type which transitively refers to resources not defined in the current component",
                            );
                        }
                        self.sm().types.push(ty);
                    }
                    Sort::Component => {
                        let c = get(&t.components, *idx, "component")?.clone();
                        self.sm().components.push(c);
                    }
                    _ => {
                        return err(
                            "only types, modules and components can be aliased from an outer scope",
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

fn sort_desc(s: Sort) -> &'static str {
    match s {
        Sort::Core(c) => core_sort_desc(c),
        Sort::Func => "func",
        Sort::Value => "value",
        Sort::Type => "type",
        Sort::Component => "component",
        Sort::Instance => "instance",
    }
}

fn core_sort_desc(s: CoreSort) -> &'static str {
    match s {
        CoreSort::Func => "func",
        CoreSort::Table => "table",
        CoreSort::Memory => "memory",
        CoreSort::Global => "global",
        CoreSort::Tag => "tag",
        CoreSort::Type => "type",
        CoreSort::Module => "module",
        CoreSort::Instance => "instance",
    }
}

/// The effective type size and nesting limits of an instance or
/// component type (bounding every later traversal of it).
fn limit<T: SizeDepth>(t: Arc<T>) -> Result<Arc<T>> {
    let (size, depth) = t.size_depth();
    if size > MAX_TYPE_SIZE {
        return err(format!(
            "effective type size exceeds the limit of {MAX_TYPE_SIZE}"
        ));
    }
    if depth > MAX_TYPE_DEPTH {
        return err("instance or component type nesting is too deep");
    }
    Ok(t)
}

trait SizeDepth {
    fn size_depth(&self) -> (u32, u32);
}

impl SizeDepth for InstTy {
    fn size_depth(&self) -> (u32, u32) {
        (self.size, self.depth)
    }
}

impl SizeDepth for CompTy {
    fn size_depth(&self) -> (u32, u32) {
        (self.size, self.depth)
    }
}

/// Labels of a record, variant, flags or enum: kebab case, strongly unique.
fn labels_unique<'a>(ls: impl Iterator<Item = &'a str>, what: &str, prev_what: &str) -> Result<()> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for l in ls {
        names::check_label(l, what)?;
        if let Some(prev) = seen.insert(names::lower(l), l) {
            return err(format!(
                "{what} name `{l}` conflicts with previous {prev_what} name `{prev}`"
            ));
        }
    }
    Ok(())
}

/// Whether a value type is "named" in `set` (a record, variant, flags or
/// enum must itself be named; the others must have named parts).
fn val_named(v: &Val, set: &HashSet<u32>) -> bool {
    let Val::Def(d) = v else { return true };
    match &d.kind {
        DefKind::Prim(_) => true,
        DefKind::Record(_) | DefKind::Variant(_) | DefKind::Flags(_) | DefKind::Enum(_) => {
            set.contains(&d.id)
        }
        DefKind::Own(r) | DefKind::Borrow(r) => set.contains(&r.alias),
        k => k.children().into_iter().all(|c| val_named(c, set)),
    }
}

/// One layer: the parts of a defined type are named.
fn def_parts_named(v: &Val, set: &HashSet<u32>) -> bool {
    let Val::Def(d) = v else { return true };
    match &d.kind {
        DefKind::Own(r) | DefKind::Borrow(r) => set.contains(&r.alias),
        k => k.children().into_iter().all(|c| val_named(c, set)),
    }
}

fn func_named(f: &FuncTy, set: &HashSet<u32>) -> bool {
    f.params
        .iter()
        .map(|(_, t)| t)
        .chain(&f.result)
        .all(|t| val_named(t, set))
}

fn typedef_named(t: &TypeDef, set: &HashSet<u32>) -> bool {
    match t {
        TypeDef::Resource(_) | TypeDef::Component(_) => true,
        TypeDef::Val(v) => def_parts_named(v, set),
        TypeDef::Func(f) => func_named(f, set),
        TypeDef::Instance(i) => {
            let mut set = set.clone();
            i.exports.iter().all(|(_, e)| match e {
                Ent::Module(_) | Ent::Component(_) => true,
                Ent::Func(f) => func_named(f, &set),
                Ent::Type(t) => {
                    let ok = typedef_named(t, &set);
                    match t {
                        TypeDef::Val(Val::Def(d)) => {
                            set.insert(d.id);
                        }
                        TypeDef::Resource(r) => {
                            set.insert(r.alias);
                        }
                        _ => {}
                    }
                    ok
                }
                Ent::Value(v) => def_parts_named(v, &set),
                Ent::Instance(i) => typedef_named(&TypeDef::Instance(i.clone()), &set),
            })
        }
    }
}

fn ent_has_resources(e: &Ent) -> bool {
    match e {
        Ent::Module(_) => false,
        Ent::Func(f) => f
            .params
            .iter()
            .map(|(_, t)| t)
            .chain(&f.result)
            .any(Val::handles),
        Ent::Value(v) => v.handles(),
        Ent::Type(t) => typedef_has_resources(t),
        Ent::Instance(i) => i.exports.iter().any(|(_, e)| ent_has_resources(e)),
        Ent::Component(c) => c
            .imports
            .iter()
            .chain(&c.exports)
            .any(|(_, e)| ent_has_resources(e)),
    }
}

/// Whether a type transitively refers to a resource type.
fn typedef_has_resources(t: &TypeDef) -> bool {
    match t {
        TypeDef::Resource(_) => true,
        TypeDef::Val(v) => v.handles(),
        TypeDef::Func(f) => ent_has_resources(&Ent::Func(f.clone())),
        TypeDef::Instance(i) => ent_has_resources(&Ent::Instance(i.clone())),
        TypeDef::Component(c) => ent_has_resources(&Ent::Component(c.clone())),
    }
}

/// The module type of a validated core module.
fn module_type(v: &crate::valid::ValidModule) -> ModTy {
    let m = &v.module;
    let imports = v.imports();
    let (mut tables, mut mems, mut globals, mut tags) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (_, _, t) in &imports {
        match t {
            core::ExternType::Table(t) => tables.push(*t),
            core::ExternType::Mem(t) => mems.push(*t),
            core::ExternType::Global(t) => globals.push(*t),
            core::ExternType::Tag(t) => tags.push(t.clone()),
            core::ExternType::Func(_) => {}
        }
    }
    tables.extend(m.tables.iter().map(|t| t.ty));
    mems.extend(m.mems.iter().copied());
    globals.extend(m.globals.iter().map(|g| g.ty));
    tags.extend(
        m.tags
            .iter()
            .map(|t| m.types.get(t.ty as usize).cloned().unwrap_or_default()),
    );
    let func = |i: u32| {
        v.func_types
            .get(i as usize)
            .and_then(|t| m.types.get(*t as usize))
            .cloned()
            .unwrap_or_default()
    };
    let exports = m
        .exports
        .iter()
        .map(|e| {
            let t = match e.desc {
                core::ExportDesc::Func(i) => core::ExternType::Func(func(i)),
                core::ExportDesc::Table(i) => core::ExternType::Table(
                    tables.get(i as usize).copied().unwrap_or(core::TableType {
                        elem: core::RefType::FUNCREF,
                        limits: core::Limits { min: 0, max: None },
                        idx64: false,
                    }),
                ),
                core::ExportDesc::Mem(i) => {
                    core::ExternType::Mem(mems.get(i as usize).copied().unwrap_or(core::MemType {
                        limits: core::Limits { min: 0, max: None },
                        idx64: false,
                        shared: false,
                        page_size_log2: 16,
                    }))
                }
                core::ExportDesc::Global(i) => {
                    core::ExternType::Global(globals.get(i as usize).copied().unwrap_or(
                        core::GlobalType {
                            mutable: false,
                            ty: core::ValType::I32,
                        },
                    ))
                }
                core::ExportDesc::Tag(i) => {
                    core::ExternType::Tag(tags.get(i as usize).cloned().unwrap_or_default())
                }
            };
            (e.name.clone(), t)
        })
        .collect();
    ModTy { imports, exports }
}

/// Core validation of a module type's extern types (limits).
fn check_core_extern(t: &core::ExternType) -> Result<()> {
    let (l, max, what) = match t {
        core::ExternType::Mem(m) => {
            // core: 2^16 pages of 64 KiB (2^48 with 64-bit addresses).
            let max = if m.idx64 { 1u64 << 48 } else { 1 << 16 };
            (
                m.limits,
                max,
                "memory size must be at most 65536 pages (4GiB)",
            )
        }
        core::ExternType::Table(t) => {
            let max = if t.idx64 {
                u64::MAX
            } else {
                u64::from(u32::MAX)
            };
            (
                t.limits,
                max,
                "table size must be at most 2^32 - 1 elements",
            )
        }
        _ => return Ok(()),
    };
    if l.min > max || l.max.is_some_and(|m| m > max) {
        return err(what);
    }
    if l.max.is_some_and(|m| m < l.min) {
        return err("size minimum must not be greater than maximum");
    }
    if let core::ExternType::Mem(m) = t
        && m.shared
        && m.limits.max.is_none()
    {
        return err("shared memory must have maximum size");
    }
    Ok(())
}

/// A core module in a component may not import the same name twice.
fn check_core_imports_unique(mt: &ModTy) -> Result<()> {
    let mut seen = HashSet::new();
    for (m, n, _) in &mt.imports {
        if !seen.insert((m.as_str(), n.as_str())) {
            return err(format!("duplicate import name `{m}:{n}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// Name-to-position indexes of (core) instance types' exports, by the
/// instance type's address (kept alive beside its index).
type ExportIndex<T> = HashMap<usize, (Arc<T>, HashMap<String, usize>)>;

/// The export `name` of `it`, through `index` (built on first use; the
/// first export of a name wins, as a linear search would find it).
fn export_by_name<T, E: Clone>(
    index: &mut ExportIndex<T>,
    it: &Arc<T>,
    exports: impl Fn(&T) -> &Vec<(String, E)>,
    name: &str,
) -> Option<E> {
    let key = Arc::as_ptr(it) as usize;
    let (_, idx) = index.entry(key).or_insert_with(|| {
        let idx = exports(it)
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        (it.clone(), idx)
    });
    idx.get(name).map(|&i| exports(it)[i].1.clone())
}
