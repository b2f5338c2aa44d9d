//! Validation-time component types (Explainer.md, "Type Definitions"):
//! value, function, instance and component types resolved from the index
//! spaces, with resource types by identity, the Canonical ABI's sizes
//! (`elem_size`, `alignment`, `flatten_type`) and subtyping (Explainer.md,
//! "Subtyping"; the messages are wasmparser's).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::super::syntax::PrimValType;
use super::{ValidationError, err};
use crate::syntax as core;

type Result<T> = std::result::Result<T, ValidationError>;

/// A resource type's identity: every definition, every `(sub resource)`
/// import or export and every freshened instance type gets a new one.
pub(super) type ResId = u32;

/// Largest effective type size (nodes reachable through a type).
pub(super) const MAX_TYPE_SIZE: u32 = 1_000_000;

/// A value type: a primitive or a defined value type.
#[derive(Clone, Debug)]
pub(super) enum Val {
    Prim(PrimValType),
    Def(Arc<Defined>),
}

/// A defined value type with its identity (for "named" checks) and
/// precomputed facts.
#[derive(Debug)]
pub(super) struct Defined {
    /// Identity of this definition (aliases by `(eq i)` get new ones).
    pub id: u32,
    pub kind: DefKind,
    /// Effective size: nodes reachable (saturating).
    pub size: u32,
    /// Transitively contains a `borrow`.
    pub borrow: bool,
    /// Transitively contains a resource handle.
    pub handles: bool,
    /// CanonicalABI: `elem_size` with 64-bit pointers, saturating.
    pub elem_size: u64,
    /// CanonicalABI: `alignment` with 64-bit pointers.
    pub align: u64,
}

/// Binary: defvaltype, resolved.
#[derive(Clone, Debug)]
pub(super) enum DefKind {
    Prim(PrimValType),
    Record(Vec<(String, Val)>),
    Variant(Vec<(String, Option<Val>)>),
    List(Val),
    FixedList(Val, u32),
    Tuple(Vec<Val>),
    Flags(Vec<String>),
    Enum(Vec<String>),
    Option(Val),
    Result(Option<Val>, Option<Val>),
    Own(ResId),
    Borrow(ResId),
    Stream(Option<Val>),
    Future(Option<Val>),
    Map(Val, Val),
}

/// A component function type.
#[derive(Debug)]
pub(super) struct FuncTy {
    pub is_async: bool,
    pub params: Vec<(String, Val)>,
    pub result: Option<Val>,
}

/// A core module type: imports and exports with core extern types.
#[derive(Debug, Default)]
pub(super) struct ModTy {
    pub imports: Vec<(String, String, core::ExternType)>,
    pub exports: Vec<(String, core::ExternType)>,
}

/// An instance type: its exports, and the resources its `(sub resource)`
/// exports introduce (freshened at each import or export).
#[derive(Debug, Default)]
pub(super) struct InstTy {
    pub exports: Vec<(String, Ent)>,
    pub defined: Vec<ResId>,
}

/// A component type: imports, exports, and the resources introduced by
/// each side.
#[derive(Debug, Default)]
pub(super) struct CompTy {
    pub imports: Vec<(String, Ent)>,
    pub exports: Vec<(String, Ent)>,
    pub imported: Vec<ResId>,
    pub defined: Vec<ResId>,
}

/// An entry of the type index space.
#[derive(Clone, Debug)]
pub(super) enum TypeDef {
    Val(Val),
    Func(Arc<FuncTy>),
    Component(Arc<CompTy>),
    Instance(Arc<InstTy>),
    Resource(ResId),
}

/// The type of an import, export or index-space item (Explainer: externdesc).
#[derive(Clone, Debug)]
pub(super) enum Ent {
    Module(Arc<ModTy>),
    Func(Arc<FuncTy>),
    Value(Val),
    Type(TypeDef),
    Instance(Arc<InstTy>),
    Component(Arc<CompTy>),
}

impl Ent {
    pub fn desc(&self) -> &'static str {
        match self {
            Ent::Module(_) => "module",
            Ent::Func(_) => "func",
            Ent::Value(_) => "value",
            Ent::Type(_) => "type",
            Ent::Instance(_) => "instance",
            Ent::Component(_) => "component",
        }
    }
}

impl TypeDef {
    pub fn desc(&self) -> &'static str {
        match self {
            TypeDef::Val(_) => "defined type",
            TypeDef::Func(_) => "func type",
            TypeDef::Component(_) => "component type",
            TypeDef::Instance(_) => "instance type",
            TypeDef::Resource(_) => "resource",
        }
    }
}

/// The name of a primitive value type.
pub(super) fn prim_name(p: PrimValType) -> &'static str {
    use PrimValType::*;
    match p {
        Bool => "bool",
        S8 => "s8",
        U8 => "u8",
        S16 => "s16",
        U16 => "u16",
        S32 => "s32",
        U32 => "u32",
        S64 => "s64",
        U64 => "u64",
        F32 => "f32",
        F64 => "f64",
        Char => "char",
        String => "string",
        ErrorContext => "error-context",
    }
}

impl DefKind {
    pub fn desc(&self) -> &'static str {
        match self {
            DefKind::Prim(_) => "primitive",
            DefKind::Record(_) => "record",
            DefKind::Variant(_) => "variant",
            DefKind::List(_) | DefKind::FixedList(..) => "list",
            DefKind::Tuple(_) => "tuple",
            DefKind::Flags(_) => "flags",
            DefKind::Enum(_) => "enum",
            DefKind::Option(_) => "option",
            DefKind::Result(..) => "result",
            DefKind::Own(_) => "own",
            DefKind::Borrow(_) => "borrow",
            DefKind::Stream(_) => "stream",
            DefKind::Future(_) => "future",
            DefKind::Map(..) => "map",
        }
    }

    /// The value types directly inside.
    pub fn children(&self) -> Vec<&Val> {
        match self {
            DefKind::Record(fs) => fs.iter().map(|(_, t)| t).collect(),
            DefKind::Variant(cs) => cs.iter().filter_map(|(_, t)| t.as_ref()).collect(),
            DefKind::List(t) | DefKind::FixedList(t, _) | DefKind::Option(t) => vec![t],
            DefKind::Tuple(ts) => ts.iter().collect(),
            DefKind::Result(a, b) => a.iter().chain(b.iter()).collect(),
            DefKind::Stream(t) | DefKind::Future(t) => t.iter().collect(),
            DefKind::Map(k, v) => vec![k, v],
            _ => Vec::new(),
        }
    }
}

impl Val {
    pub fn size(&self) -> u32 {
        match self {
            Val::Prim(_) => 1,
            Val::Def(d) => d.size,
        }
    }
    pub fn borrow(&self) -> bool {
        matches!(self, Val::Def(d) if d.borrow)
    }
    pub fn handles(&self) -> bool {
        matches!(self, Val::Def(d) if d.handles)
    }
    /// The primitive, seeing through a defined primitive.
    pub fn prim(&self) -> Option<PrimValType> {
        match self {
            Val::Prim(p) => Some(*p),
            Val::Def(d) => match d.kind {
                DefKind::Prim(p) => Some(p),
                _ => None,
            },
        }
    }
    pub fn desc(&self) -> String {
        match self {
            Val::Prim(p) => prim_name(*p).to_string(),
            Val::Def(d) => d.kind.desc().to_string(),
        }
    }
    /// CanonicalABI: `elem_size` and `alignment` (64-bit pointers).
    pub fn layout(&self) -> (u64, u64) {
        match self {
            Val::Prim(p) => prim_layout(*p),
            Val::Def(d) => (d.elem_size, d.align),
        }
    }
}

/// CanonicalABI: `elem_size`/`alignment` of a primitive, 64-bit pointers.
fn prim_layout(p: PrimValType) -> (u64, u64) {
    use PrimValType::*;
    match p {
        Bool | S8 | U8 => (1, 1),
        S16 | U16 => (2, 2),
        S32 | U32 | F32 | Char | ErrorContext => (4, 4),
        S64 | U64 | F64 => (8, 8),
        String => (16, 8),
    }
}

fn align_to(x: u64, a: u64) -> u64 {
    x.div_ceil(a.max(1)).saturating_mul(a.max(1))
}

/// CanonicalABI: `discriminant_type` size for `n` cases.
fn discriminant_size(n: usize) -> u64 {
    match n {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

/// CanonicalABI: `elem_size`/`alignment` of a variant with these payloads.
fn variant_layout<'a>(
    n: usize,
    cases: impl Iterator<Item = Option<&'a Val>> + Clone,
) -> (u64, u64) {
    let d = discriminant_size(n);
    let max_align = cases
        .clone()
        .flatten()
        .map(|t| t.layout().1)
        .fold(d, u64::max);
    let max_size = cases.flatten().map(|t| t.layout().0).fold(0, u64::max);
    let s = align_to(d, max_align).saturating_add(max_size);
    (align_to(s, max_align), max_align)
}

/// Builds a [`Defined`], computing its facts; `id` is its identity.
pub(super) fn defined(id: u32, kind: DefKind) -> Defined {
    let children = kind.children();
    let size = children
        .iter()
        .fold(1u32, |s, c| s.saturating_add(c.size()));
    let borrow = matches!(kind, DefKind::Borrow(_)) || children.iter().any(|c| c.borrow());
    let handles = matches!(kind, DefKind::Own(_) | DefKind::Borrow(_))
        || children.iter().any(|c| c.handles());
    let (elem_size, align) = match &kind {
        DefKind::Prim(p) => prim_layout(*p),
        DefKind::Record(fs) => {
            let align = fs.iter().map(|(_, t)| t.layout().1).fold(1, u64::max);
            let mut s = 0u64;
            for (_, t) in fs {
                let (fs, fa) = t.layout();
                s = align_to(s, fa).saturating_add(fs);
            }
            (align_to(s, align), align)
        }
        DefKind::Tuple(ts) => {
            let align = ts.iter().map(|t| t.layout().1).fold(1, u64::max);
            let mut s = 0u64;
            for t in ts {
                let (fs, fa) = t.layout();
                s = align_to(s, fa).saturating_add(fs);
            }
            (align_to(s, align), align)
        }
        DefKind::Variant(cs) => variant_layout(cs.len(), cs.iter().map(|(_, t)| t.as_ref())),
        DefKind::Enum(ls) => variant_layout(ls.len(), ls.iter().map(|_| None)),
        DefKind::Option(t) => variant_layout(2, [None, Some(t)].into_iter()),
        DefKind::Result(a, b) => variant_layout(2, [a.as_ref(), b.as_ref()].into_iter()),
        DefKind::List(_) | DefKind::Map(..) => (16, 8),
        DefKind::FixedList(t, n) => {
            let (s, a) = t.layout();
            (s.saturating_mul(u64::from(*n)), a)
        }
        DefKind::Flags(ls) => match ls.len() {
            0 => (0, 1),
            1..=8 => (1, 1),
            9..=16 => (2, 2),
            n => (4 * (n as u64).div_ceil(32), 4),
        },
        DefKind::Own(_) | DefKind::Borrow(_) | DefKind::Stream(_) | DefKind::Future(_) => (4, 4),
    };
    Defined {
        id,
        kind,
        size,
        borrow,
        handles,
        elem_size,
        align,
    }
}

/// A core value type of the flattened ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flat {
    I32,
    I64,
    F32,
    F64,
}

impl Flat {
    pub fn core(self) -> core::ValType {
        match self {
            Flat::I32 => core::ValType::I32,
            Flat::I64 => core::ValType::I64,
            Flat::F32 => core::ValType::F32,
            Flat::F64 => core::ValType::F64,
        }
    }
}

/// CanonicalABI: `join` of two flat types of variant cases.
fn join(a: Flat, b: Flat) -> Flat {
    match (a, b) {
        _ if a == b => a,
        (Flat::I32, Flat::F32) | (Flat::F32, Flat::I32) => Flat::I32,
        _ => Flat::I64,
    }
}

/// CanonicalABI: `flatten_type`, appending to `out`; stops early once
/// `out` holds more than `limit` types (the caller then uses memory).
pub(super) fn flatten(t: &Val, out: &mut Vec<Flat>, limit: usize) {
    if out.len() > limit {
        return;
    }
    let d = match t {
        Val::Prim(p) => return out.extend_from_slice(prim_flat(*p)),
        Val::Def(d) => d,
    };
    match &d.kind {
        DefKind::Prim(p) => out.extend_from_slice(prim_flat(*p)),
        DefKind::Record(fs) => fs.iter().for_each(|(_, t)| flatten(t, out, limit)),
        DefKind::Tuple(ts) => ts.iter().for_each(|t| flatten(t, out, limit)),
        DefKind::List(_) | DefKind::Map(..) => out.extend_from_slice(&[Flat::I32, Flat::I32]),
        DefKind::FixedList(t, n) => {
            for _ in 0..*n {
                if out.len() > limit {
                    return;
                }
                flatten(t, out, limit);
            }
        }
        DefKind::Variant(cs) => flatten_variant(cs.iter().map(|(_, t)| t.as_ref()), out, limit),
        DefKind::Option(t) => flatten_variant([None, Some(t)].into_iter(), out, limit),
        DefKind::Result(a, b) => flatten_variant([a.as_ref(), b.as_ref()].into_iter(), out, limit),
        DefKind::Flags(_)
        | DefKind::Enum(_)
        | DefKind::Own(_)
        | DefKind::Borrow(_)
        | DefKind::Stream(_)
        | DefKind::Future(_) => out.push(Flat::I32),
    }
}

fn flatten_variant<'a>(
    cases: impl Iterator<Item = Option<&'a Val>>,
    out: &mut Vec<Flat>,
    limit: usize,
) {
    let mut flat: Vec<Flat> = Vec::new();
    for t in cases.flatten() {
        let mut f = Vec::new();
        flatten(t, &mut f, limit);
        for (i, ft) in f.into_iter().enumerate() {
            if i < flat.len() {
                flat[i] = join(flat[i], ft);
            } else {
                flat.push(ft);
            }
        }
        if flat.len() > limit {
            break;
        }
    }
    out.push(Flat::I32);
    out.extend(flat);
}

fn prim_flat(p: PrimValType) -> &'static [Flat] {
    use PrimValType::*;
    match p {
        S64 | U64 => &[Flat::I64],
        F32 => &[Flat::F32],
        F64 => &[Flat::F64],
        String => &[Flat::I32, Flat::I32],
        _ => &[Flat::I32],
    }
}

/// Whether a value type needs linear memory to be lifted or lowered
/// (strings, lists, maps anywhere inside).
pub(super) fn needs_memory(t: &Val) -> bool {
    match t {
        Val::Prim(p) => *p == PrimValType::String,
        Val::Def(d) => match &d.kind {
            DefKind::Prim(p) => *p == PrimValType::String,
            DefKind::List(_) | DefKind::Map(..) => true,
            k => k.children().into_iter().any(needs_memory),
        },
    }
}

/// Resource substitution: a map from resource identities to others.
pub(super) type Subst = HashMap<ResId, ResId>;

/// Fresh identities for substituted definitions.
pub(super) struct Ids {
    pub next_type: u32,
    /// The identity a defined type got under a substitution, by (its
    /// identity, the substitution's entries): every use of one exported
    /// type (e.g. `stream-error` in the functions of `wasi:io/streams`)
    /// stays the same type after an instance type is freshened.
    pub substituted: HashMap<(u32, Vec<(ResId, ResId)>), u32>,
}

impl Ids {
    pub fn ty(&mut self) -> u32 {
        self.next_type = self.next_type.wrapping_add(1);
        self.next_type
    }
    /// Resources share the identity counter of defined types, so that one
    /// set can hold both (named types).
    pub fn res(&mut self) -> ResId {
        self.ty()
    }
}

fn subst_res(r: ResId, m: &Subst) -> ResId {
    m.get(&r).copied().unwrap_or(r)
}

/// Applies a resource substitution to a value type.
pub(super) fn subst_val(t: &Val, m: &Subst, ids: &mut Ids) -> Val {
    let d = match t {
        Val::Def(d) if d.handles && !m.is_empty() => d,
        _ => return t.clone(),
    };
    let sv = |t: &Val, ids: &mut Ids| subst_val(t, m, ids);
    let so = |t: &Option<Val>, ids: &mut Ids| t.as_ref().map(|t| subst_val(t, m, ids));
    let kind = match &d.kind {
        DefKind::Record(fs) => {
            DefKind::Record(fs.iter().map(|(l, t)| (l.clone(), sv(t, ids))).collect())
        }
        DefKind::Variant(cs) => {
            DefKind::Variant(cs.iter().map(|(l, t)| (l.clone(), so(t, ids))).collect())
        }
        DefKind::List(t) => DefKind::List(sv(t, ids)),
        DefKind::FixedList(t, n) => DefKind::FixedList(sv(t, ids), *n),
        DefKind::Tuple(ts) => DefKind::Tuple(ts.iter().map(|t| sv(t, ids)).collect()),
        DefKind::Option(t) => DefKind::Option(sv(t, ids)),
        DefKind::Result(a, b) => DefKind::Result(so(a, ids), so(b, ids)),
        DefKind::Own(r) => DefKind::Own(subst_res(*r, m)),
        DefKind::Borrow(r) => DefKind::Borrow(subst_res(*r, m)),
        DefKind::Stream(t) => DefKind::Stream(so(t, ids)),
        DefKind::Future(t) => DefKind::Future(so(t, ids)),
        DefKind::Map(k, v) => DefKind::Map(sv(k, ids), sv(v, ids)),
        DefKind::Prim(_) | DefKind::Flags(_) | DefKind::Enum(_) => return t.clone(),
    };
    let mut key: Vec<(ResId, ResId)> = m.iter().map(|(a, b)| (*a, *b)).collect();
    key.sort_unstable();
    let id = match ids.substituted.get(&(d.id, key.clone())) {
        Some(id) => *id,
        None => {
            let id = ids.ty();
            ids.substituted.insert((d.id, key), id);
            id
        }
    };
    Val::Def(Arc::new(defined(id, kind)))
}

pub(super) fn subst_func(f: &Arc<FuncTy>, m: &Subst, ids: &mut Ids) -> Arc<FuncTy> {
    if m.is_empty() {
        return f.clone();
    }
    Arc::new(FuncTy {
        is_async: f.is_async,
        params: f
            .params
            .iter()
            .map(|(l, t)| (l.clone(), subst_val(t, m, ids)))
            .collect(),
        result: f.result.as_ref().map(|t| subst_val(t, m, ids)),
    })
}

pub(super) fn subst_inst(i: &Arc<InstTy>, m: &Subst, ids: &mut Ids) -> Arc<InstTy> {
    if m.is_empty() {
        return i.clone();
    }
    Arc::new(InstTy {
        exports: i
            .exports
            .iter()
            .map(|(n, e)| (n.clone(), subst_ent(e, m, ids)))
            .collect(),
        defined: i.defined.iter().map(|r| subst_res(*r, m)).collect(),
    })
}

pub(super) fn subst_comp(c: &Arc<CompTy>, m: &Subst, ids: &mut Ids) -> Arc<CompTy> {
    if m.is_empty() {
        return c.clone();
    }
    Arc::new(CompTy {
        imports: c
            .imports
            .iter()
            .map(|(n, e)| (n.clone(), subst_ent(e, m, ids)))
            .collect(),
        exports: c
            .exports
            .iter()
            .map(|(n, e)| (n.clone(), subst_ent(e, m, ids)))
            .collect(),
        imported: c.imported.iter().map(|r| subst_res(*r, m)).collect(),
        defined: c.defined.iter().map(|r| subst_res(*r, m)).collect(),
    })
}

pub(super) fn subst_typedef(t: &TypeDef, m: &Subst, ids: &mut Ids) -> TypeDef {
    match t {
        TypeDef::Val(v) => TypeDef::Val(subst_val(v, m, ids)),
        TypeDef::Func(f) => TypeDef::Func(subst_func(f, m, ids)),
        TypeDef::Component(c) => TypeDef::Component(subst_comp(c, m, ids)),
        TypeDef::Instance(i) => TypeDef::Instance(subst_inst(i, m, ids)),
        TypeDef::Resource(r) => TypeDef::Resource(subst_res(*r, m)),
    }
}

pub(super) fn subst_ent(e: &Ent, m: &Subst, ids: &mut Ids) -> Ent {
    match e {
        Ent::Module(_) => e.clone(),
        Ent::Func(f) => Ent::Func(subst_func(f, m, ids)),
        Ent::Value(v) => Ent::Value(subst_val(v, m, ids)),
        Ent::Type(t) => Ent::Type(subst_typedef(t, m, ids)),
        Ent::Instance(i) => Ent::Instance(subst_inst(i, m, ids)),
        Ent::Component(c) => Ent::Component(subst_comp(c, m, ids)),
    }
}

/// Gives every resource in `defined` a fresh identity in `i` (an instance
/// type imported or exported: each use gets its own resources).
pub(super) fn freshen_inst(i: &Arc<InstTy>, ids: &mut Ids) -> Arc<InstTy> {
    let m: Subst = i.defined.iter().map(|r| (*r, ids.res())).collect();
    subst_inst(i, &m, ids)
}

/// Subtyping (Explainer.md "Subtyping"): whether `a` may be given where
/// `b` is expected. Resources of `b` listed in `open` are bound to `a`'s on
/// first sight (`map`: b's identity to a's).
pub(super) struct Sub<'a> {
    pub map: Subst,
    pub open: HashSet<ResId>,
    pub ids: &'a mut Ids,
    /// Recursion budget (bounded by type sizes, kept as a guard).
    pub fuel: u32,
}

fn ctx<T>(r: Result<T>, c: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|e| ValidationError::Invalid(format!("{}: {e}", c())))
}

impl Sub<'_> {
    fn burn(&mut self) -> Result<()> {
        self.fuel = self
            .fuel
            .checked_sub(1)
            .ok_or_else(|| ValidationError::Invalid("type too large to compare".into()))?;
        Ok(())
    }

    fn res(&mut self, a: ResId, b: ResId) -> Result<()> {
        if !self.map.contains_key(&b) && self.open.remove(&b) {
            self.map.insert(b, a);
        }
        if subst_res(b, &self.map) != a {
            return err("resource types are not the same");
        }
        Ok(())
    }

    pub fn ent(&mut self, a: &Ent, b: &Ent) -> Result<()> {
        self.burn()?;
        match (a, b) {
            (Ent::Module(a), Ent::Module(b)) => module_sub(a, b),
            (Ent::Func(a), Ent::Func(b)) => self.func(a, b),
            (Ent::Value(a), Ent::Value(b)) => self.val(a, b),
            (Ent::Type(a), Ent::Type(b)) => self.typedef(a, b),
            (Ent::Instance(a), Ent::Instance(b)) => self.inst(a, b),
            (Ent::Component(a), Ent::Component(b)) => self.comp(a, b),
            (a, b) => err(format!("expected {}, found {}", b.desc(), a.desc())),
        }
    }

    pub fn typedef(&mut self, a: &TypeDef, b: &TypeDef) -> Result<()> {
        match (a, b) {
            (TypeDef::Resource(a), TypeDef::Resource(b)) => self.res(*a, *b),
            (TypeDef::Val(a), TypeDef::Val(b)) => self.val(a, b),
            (TypeDef::Func(a), TypeDef::Func(b)) => self.func(a, b),
            (TypeDef::Instance(a), TypeDef::Instance(b)) => self.inst(a, b),
            (TypeDef::Component(a), TypeDef::Component(b)) => self.comp(a, b),
            (a, b) => err(format!("expected {}, found {}", b.desc(), a.desc())),
        }
    }

    pub fn func(&mut self, a: &FuncTy, b: &FuncTy) -> Result<()> {
        if a.is_async != b.is_async {
            let d = |x: bool| if x { "async" } else { "sync" };
            return err(format!(
                "expected {} function, found {} function",
                d(b.is_async),
                d(a.is_async)
            ));
        }
        if a.params.len() != b.params.len() {
            return err(format!(
                "expected {} parameters, found {}",
                b.params.len(),
                a.params.len()
            ));
        }
        for ((an, at), (bn, bt)) in a.params.iter().zip(&b.params) {
            if !an.eq_ignore_ascii_case(bn) {
                return err(format!("expected parameter named `{bn}`, found `{an}`"));
            }
            // Value types match by equality, so the direction is moot;
            // keeping it lets expected resources bind to given ones.
            let r = self.val(at, bt);
            ctx(r, || format!("type mismatch in function parameter `{an}`"))?;
        }
        match (&a.result, &b.result) {
            (Some(a), Some(b)) => {
                let r = self.val(a, b);
                ctx(r, || "type mismatch with result type".into())
            }
            (None, None) => Ok(()),
            (Some(_), None) => err("expected a result, found none"),
            (None, Some(_)) => err("expected no result, found one"),
        }
    }

    pub fn inst(&mut self, a: &InstTy, b: &InstTy) -> Result<()> {
        for r in &b.defined {
            self.open.insert(*r);
        }
        for (k, bt) in &b.exports {
            let Some((_, at)) = a.exports.iter().find(|(n, _)| n == k) else {
                return err(format!("missing expected export `{k}`"));
            };
            let r = self.ent(at, bt);
            ctx(r, || format!("type mismatch in instance export `{k}`"))?;
        }
        Ok(())
    }

    pub fn comp(&mut self, a: &CompTy, b: &CompTy) -> Result<()> {
        // Imports are contravariant: b's imports must satisfy a's.
        let mut inner = Sub {
            map: Subst::new(),
            open: a.imported.iter().copied().collect(),
            ids: self.ids,
            fuel: self.fuel,
        };
        for (k, at) in &a.imports {
            let Some((_, bt)) = b.imports.iter().find(|(n, _)| n == k) else {
                return err(format!("missing expected import `{k}`"));
            };
            let r = inner.ent(bt, at);
            ctx(r, || format!("type mismatch in import `{k}`"))?;
        }
        let m = inner.map;
        self.fuel = inner.fuel;
        for r in &b.defined {
            self.open.insert(*r);
        }
        for (k, bt) in &b.exports {
            let Some((_, at)) = a.exports.iter().find(|(n, _)| n == k) else {
                return err(format!("missing expected export `{k}`"));
            };
            let at = subst_ent(at, &m, self.ids);
            let r = self.ent(&at, bt);
            ctx(r, || format!("type mismatch in export `{k}`"))?;
        }
        Ok(())
    }

    /// Value types: equal up to resource identities.
    pub fn val(&mut self, a: &Val, b: &Val) -> Result<()> {
        self.burn()?;
        if let (Some(pa), Some(pb)) = (a.prim(), b.prim()) {
            if pa != pb {
                return err(format!(
                    "expected primitive `{}` found primitive `{}`",
                    prim_name(pb),
                    prim_name(pa)
                ));
            }
            return Ok(());
        }
        let (da, db) = match (a, b) {
            (Val::Def(da), Val::Def(db)) => (da, db),
            _ => return err(format!("expected {}, found {}", b.desc(), a.desc())),
        };
        if Arc::ptr_eq(da, db) {
            return Ok(());
        }
        let mismatch = || {
            err(format!(
                "expected {}, found {}",
                db.kind.desc(),
                da.kind.desc()
            ))
        };
        match (&da.kind, &db.kind) {
            (DefKind::Record(fa), DefKind::Record(fb)) => {
                if fa.len() != fb.len() {
                    return err(format!("expected {} fields, found {}", fb.len(), fa.len()));
                }
                for ((an, at), (bn, bt)) in fa.iter().zip(fb) {
                    if !an.eq_ignore_ascii_case(bn) {
                        return err(format!("expected field name `{bn}`, found `{an}`"));
                    }
                    let r = self.val(at, bt);
                    ctx(r, || format!("type mismatch in record field `{an}`"))?;
                }
                Ok(())
            }
            (DefKind::Variant(ca), DefKind::Variant(cb)) => {
                if ca.len() != cb.len() {
                    return err(format!("expected {} cases, found {}", cb.len(), ca.len()));
                }
                for ((an, at), (bn, bt)) in ca.iter().zip(cb) {
                    if !an.eq_ignore_ascii_case(bn) {
                        return err(format!("expected case named `{bn}`, found `{an}`"));
                    }
                    match (at, bt) {
                        (Some(at), Some(bt)) => {
                            let r = self.val(at, bt);
                            ctx(r, || format!("type mismatch in variant case `{an}`"))?;
                        }
                        (None, None) => {}
                        (None, Some(_)) => {
                            return err(format!("expected case `{an}` to have a type, found none"));
                        }
                        (Some(_), None) => {
                            return err(format!("expected case `{an}` to have no type"));
                        }
                    }
                }
                Ok(())
            }
            (DefKind::List(a), DefKind::List(b)) | (DefKind::Option(a), DefKind::Option(b)) => {
                self.val(a, b)
            }
            (DefKind::FixedList(a, na), DefKind::FixedList(b, nb)) => {
                if na != nb {
                    return err(format!("expected fixed-length {nb}, found size {na}"));
                }
                self.val(a, b)
            }
            (DefKind::Map(ka, va), DefKind::Map(kb, vb)) => {
                let r = self.val(ka, kb);
                ctx(r, || "type mismatch in map key".into())?;
                let r = self.val(va, vb);
                ctx(r, || "type mismatch in map value".into())
            }
            (DefKind::Tuple(ta), DefKind::Tuple(tb)) => {
                if ta.len() != tb.len() {
                    return err(format!("expected {} types, found {}", tb.len(), ta.len()));
                }
                for (i, (a, b)) in ta.iter().zip(tb).enumerate() {
                    let r = self.val(a, b);
                    ctx(r, || format!("type mismatch in tuple field {i}"))?;
                }
                Ok(())
            }
            (DefKind::Flags(a), DefKind::Flags(b)) | (DefKind::Enum(a), DefKind::Enum(b)) => {
                if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !x.eq_ignore_ascii_case(y)) {
                    return err(format!("mismatch in {} elements", da.kind.desc()));
                }
                Ok(())
            }
            (DefKind::Result(oa, ea), DefKind::Result(ob, eb)) => {
                match (oa, ob) {
                    (Some(a), Some(b)) => {
                        let r = self.val(a, b);
                        ctx(r, || "type mismatch in ok variant".into())?;
                    }
                    (None, None) => {}
                    (None, Some(_)) => return err("expected ok type, but found none"),
                    (Some(_), None) => return err("expected ok type to not be present"),
                }
                match (ea, eb) {
                    (Some(a), Some(b)) => {
                        let r = self.val(a, b);
                        ctx(r, || "type mismatch in err variant".into())
                    }
                    (None, None) => Ok(()),
                    (None, Some(_)) => err("expected err type, but found none"),
                    (Some(_), None) => err("expected err type to not be present"),
                }
            }
            (DefKind::Own(a), DefKind::Own(b)) | (DefKind::Borrow(a), DefKind::Borrow(b)) => {
                self.res(*a, *b)
            }
            (DefKind::Stream(a), DefKind::Stream(b)) | (DefKind::Future(a), DefKind::Future(b)) => {
                let what = da.kind.desc();
                match (a, b) {
                    (Some(a), Some(b)) => {
                        let r = self.val(a, b);
                        ctx(r, || format!("type mismatch in {what}"))
                    }
                    (None, None) => Ok(()),
                    (None, Some(_)) => err(format!("expected {what} type, but found none")),
                    (Some(_), None) => err(format!("expected {what} type to not be present")),
                }
            }
            _ => mismatch(),
        }
    }
}

/// Core extern type matching (core Validation › Matching), wasmparser's
/// messages.
pub(super) fn core_extern_sub(a: &core::ExternType, b: &core::ExternType) -> Result<()> {
    use core::ExternType as E;
    let desc = |e: &E| match e {
        E::Func(_) => "func",
        E::Table(_) => "table",
        E::Mem(_) => "memory",
        E::Global(_) => "global",
        E::Tag(_) => "tag",
    };
    let limits = |a: &core::Limits, b: &core::Limits| {
        a.min >= b.min
            && match (a.max, b.max) {
                (_, None) => true,
                (Some(x), Some(y)) => x <= y,
                (None, Some(_)) => false,
            }
    };
    match (a, b) {
        (E::Func(a), E::Func(b)) | (E::Tag(a), E::Tag(b)) => {
            if a != b {
                return err(format!(
                    "type mismatch: expected: {}\nfound:    {}",
                    core_func_display(b),
                    core_func_display(a)
                ));
            }
            Ok(())
        }
        (E::Table(a), E::Table(b)) => {
            if a.elem != b.elem {
                return err(format!(
                    "expected table element type {}, found {}",
                    b.elem, a.elem
                ));
            }
            if a.idx64 != b.idx64 {
                return err("mismatch in index type used for tables");
            }
            if !limits(&a.limits, &b.limits) {
                return err("mismatch in table limits");
            }
            Ok(())
        }
        (E::Mem(a), E::Mem(b)) => {
            if a.shared != b.shared {
                return err("mismatch in the shared flag for memories");
            }
            if a.idx64 != b.idx64 {
                return err("mismatch in index type used for memories");
            }
            if a.page_size_log2 != b.page_size_log2 {
                return err("mismatch in page size for memories");
            }
            if !limits(&a.limits, &b.limits) {
                return err("mismatch in memory limits");
            }
            Ok(())
        }
        (E::Global(a), E::Global(b)) => {
            if a.mutable != b.mutable {
                return err("global types differ in mutability");
            }
            if a.ty != b.ty {
                return err(format!("expected global type {}, found {}", b.ty, a.ty));
            }
            Ok(())
        }
        (a, b) => err(format!("expected {}, found {}", desc(b), desc(a))),
    }
}

/// A core function type as wasmparser prints it: `(func (param i32) (result i32))`.
pub(super) fn core_func_display(f: &core::FuncType) -> String {
    let mut s = String::from("(func");
    if !f.params.is_empty() {
        s.push_str(" (param");
        for p in &f.params {
            s.push_str(&format!(" {p}"));
        }
        s.push(')');
    }
    if !f.results.is_empty() {
        s.push_str(" (result");
        for p in &f.results {
            s.push_str(&format!(" {p}"));
        }
        s.push(')');
    }
    s.push(')');
    s
}

/// Core module type subtyping: fewer imports, more exports.
pub(super) fn module_sub(a: &ModTy, b: &ModTy) -> Result<()> {
    for (m, n, at) in &a.imports {
        match b.imports.iter().find(|(bm, bn, _)| bm == m && bn == n) {
            Some((_, _, bt)) => {
                let r = core_extern_sub(bt, at);
                ctx(r, || format!("type mismatch in import `{m}::{n}`"))?;
            }
            None => return err(format!("missing expected import `{m}::{n}`")),
        }
    }
    for (k, bt) in &b.exports {
        match a.exports.iter().find(|(n, _)| n == k) {
            Some((_, at)) => {
                let r = core_extern_sub(at, bt);
                ctx(r, || format!("type mismatch in export `{k}`"))?;
            }
            None => return err(format!("missing expected export `{k}`")),
        }
    }
    Ok(())
}
