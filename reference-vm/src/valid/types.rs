//! valid: types — defined types, iso-recursive canonicalisation and subtyping
//! (spec: Validation › Types, Matching).

use std::collections::HashMap;

use super::{Ctx, Result, ValidationError};
use crate::syntax::*;

/// Marks a type index that refers into the rec group being canonicalised.
pub(crate) const REC_BIT: u32 = 1 << 31;

/// Rewrites every type index in a heap type.
pub(crate) fn map_heap(h: HeapType, f: &impl Fn(u32) -> u32) -> HeapType {
    match h {
        HeapType::Concrete(x) => HeapType::Concrete(f(x)),
        HeapType::Exact(x) => HeapType::Exact(f(x)),
        h => h,
    }
}

/// Rewrites every type index in a value type.
pub(crate) fn map_val(t: ValType, f: &impl Fn(u32) -> u32) -> ValType {
    match t {
        ValType::Ref(r) => ValType::Ref(RefType::new(r.nullable, map_heap(r.heap, f))),
        t => t,
    }
}

fn map_field(t: FieldType, f: &impl Fn(u32) -> u32) -> FieldType {
    FieldType {
        storage: match t.storage {
            StorageType::Val(v) => StorageType::Val(map_val(v, f)),
            s => s,
        },
        mutable: t.mutable,
    }
}

/// Rewrites every type index in a function type.
pub(crate) fn map_func(ft: &FuncType, f: &impl Fn(u32) -> u32) -> FuncType {
    FuncType {
        params: ft.params.iter().map(|&t| map_val(t, f)).collect(),
        results: ft.results.iter().map(|&t| map_val(t, f)).collect(),
    }
}

/// Rewrites every type index in a sub type (its supertypes included).
pub(crate) fn map_sub(st: &SubType, f: &impl Fn(u32) -> u32) -> SubType {
    SubType {
        is_final: st.is_final,
        supers: st.supers.iter().map(|&x| f(x)).collect(),
        describes: st.describes.map(f),
        descriptor: st.descriptor.map(f),
        comp: match &st.comp {
            CompType::Func(ft) => CompType::Func(map_func(ft, f)),
            CompType::Struct(fs) => CompType::Struct(fs.iter().map(|&t| map_field(t, f)).collect()),
            CompType::Array(t) => CompType::Array(map_field(*t, f)),
        },
    }
}

fn for_each_index(st: &SubType, mut f: impl FnMut(u32)) {
    let mut val = |t: ValType| {
        if let ValType::Ref(r) = t
            && let Some(x) = r.heap.def_index()
        {
            f(x);
        }
    };
    match &st.comp {
        CompType::Func(ft) => ft.params.iter().chain(&ft.results).for_each(|&t| val(t)),
        CompType::Struct(fs) => fs.iter().for_each(|t| val(t.storage.unpacked())),
        CompType::Array(t) => val(t.storage.unpacked()),
    }
}

/// The top of a heap type's hierarchy.
pub(crate) fn top_of_kind(comp: &CompType) -> HeapType {
    match comp {
        CompType::Func(_) => HeapType::Func,
        _ => HeapType::Any,
    }
}

impl Ctx {
    /// The defined type at index `x`.
    pub fn def(&self, x: u32) -> Result<&SubType> {
        self.defs
            .get(x as usize)
            .ok_or(ValidationError::Unknown("type", x))
    }

    /// valid: heaptype — concrete (and exact) indices must be defined.
    pub fn check_heap(&self, h: HeapType) -> Result<()> {
        if let Some(x) = h.def_index() {
            self.def(x)?;
        }
        Ok(())
    }

    /// valid: valtype
    pub fn check_val(&self, t: ValType) -> Result<()> {
        if let ValType::Ref(r) = t {
            self.check_heap(r.heap)?;
        }
        Ok(())
    }

    /// The top type of a heap type's hierarchy.
    pub fn top(&self, h: HeapType) -> HeapType {
        match h {
            HeapType::Func | HeapType::NoFunc => HeapType::Func,
            HeapType::Extern | HeapType::NoExtern => HeapType::Extern,
            HeapType::Exn | HeapType::NoExn => HeapType::Exn,
            HeapType::Concrete(x) | HeapType::Exact(x) => self
                .defs
                .get(x as usize)
                .map_or(HeapType::Any, |d| top_of_kind(&d.comp)),
            _ => HeapType::Any,
        }
    }

    /// Type equality of defined types (iso-recursive: same canonical group).
    pub fn type_eq(&self, x: u32, y: u32) -> bool {
        x == y || self.canon.get(x as usize) == self.canon.get(y as usize)
    }

    /// match: deftype — `x` is a declared (transitive) subtype of `y`.
    pub fn sub_idx(&self, x: u32, y: u32) -> bool {
        let mut x = x;
        loop {
            if self.type_eq(x, y) {
                return true;
            }
            match self.defs.get(x as usize).and_then(|d| d.supers.first()) {
                Some(&s) if s < x => x = s,
                _ => return false,
            }
        }
    }

    /// match: heaptype
    pub fn match_heap(&self, a: HeapType, b: HeapType) -> bool {
        use HeapType::*;
        if a == b {
            return true;
        }
        match (a, b) {
            (Concrete(x) | Exact(x), Concrete(y)) => self.sub_idx(x, y),
            // custom-descriptors: subtyping — `(exact x) <: (exact y)` iff the
            // types are equal; an inexact type never matches an exact one.
            (Exact(x), Exact(y)) => self.type_eq(x, y),
            (Concrete(_), Exact(_)) => false,
            (Concrete(x) | Exact(x), b) => match self.defs.get(x as usize).map(|d| &d.comp) {
                Some(CompType::Func(_)) => b == Func,
                Some(CompType::Struct(_)) => matches!(b, Struct | Eq | Any),
                Some(CompType::Array(_)) => matches!(b, Array | Eq | Any),
                Option::None => false,
            },
            (None, b) => self.top(b) == Any,
            (NoFunc, b) => self.top(b) == Func,
            (NoExtern, b) => b == Extern,
            (NoExn, b) => b == Exn,
            (I31 | Struct | Array, Eq | Any) => true,
            (Eq, Any) => true,
            _ => false,
        }
    }

    /// match: reftype
    pub fn match_ref(&self, a: RefType, b: RefType) -> bool {
        (b.nullable || !a.nullable) && self.match_heap(a.heap, b.heap)
    }

    /// match: valtype
    pub fn match_val(&self, a: ValType, b: ValType) -> bool {
        match (a, b) {
            (ValType::Ref(a), ValType::Ref(b)) => self.match_ref(a, b),
            _ => a == b,
        }
    }

    fn match_storage(&self, a: StorageType, b: StorageType) -> bool {
        match (a, b) {
            (StorageType::Val(a), StorageType::Val(b)) => self.match_val(a, b),
            _ => a == b,
        }
    }

    fn match_field(&self, a: FieldType, b: FieldType) -> bool {
        a.mutable == b.mutable
            && self.match_storage(a.storage, b.storage)
            && (!a.mutable || self.match_storage(b.storage, a.storage))
    }

    /// match: comptype
    pub fn match_comp(&self, a: &CompType, b: &CompType) -> bool {
        match (a, b) {
            (CompType::Func(a), CompType::Func(b)) => self.match_func(a, b),
            (CompType::Struct(a), CompType::Struct(b)) => {
                a.len() >= b.len() && a.iter().zip(b).all(|(x, y)| self.match_field(*x, *y))
            }
            (CompType::Array(a), CompType::Array(b)) => self.match_field(*a, *b),
            _ => false,
        }
    }

    /// match: functype (contravariant parameters, covariant results)
    pub fn match_func(&self, a: &FuncType, b: &FuncType) -> bool {
        a.params.len() == b.params.len()
            && a.results.len() == b.results.len()
            && b.params
                .iter()
                .zip(&a.params)
                .all(|(x, y)| self.match_val(*x, *y))
            && a.results
                .iter()
                .zip(&b.results)
                .all(|(x, y)| self.match_val(*x, *y))
    }
}

/// valid: types — checks every rec group and computes the canonical
/// representative of each type index (iso-recursive equivalence).
pub(crate) fn validate_types(c: &mut Ctx, m: &Module) -> Result<()> {
    let mut seen: HashMap<Vec<SubType>, u32> = HashMap::new();
    c.canon = Vec::with_capacity(m.type_defs.len());
    for &(start, len) in &m.rec_groups {
        let end = start + len;
        check_descriptors(m, start, end)?;
        // valid: rectype — references only to earlier groups or this one.
        for x in start..end {
            let st = &m.type_defs[x as usize];
            let mut bad = None;
            for_each_index(st, |y| {
                if y >= end && bad.is_none() {
                    bad = Some(y);
                }
            });
            if let Some(y) = bad {
                return Err(ValidationError::Unknown("type", y));
            }
            for &s in &st.supers {
                if s >= x {
                    return Err(ValidationError::Unknown("type", s));
                }
            }
            check_desc_comp(st)?;
        }
        let canon = &c.canon;
        let key: Vec<SubType> = (start..end)
            .map(|x| {
                map_sub(&m.type_defs[x as usize], &|y| {
                    if y >= start {
                        REC_BIT | (y - start)
                    } else {
                        canon[y as usize]
                    }
                })
            })
            .collect();
        let rep = *seen.entry(key).or_insert(start);
        for i in 0..len {
            c.canon.push(rep + i);
        }
        // valid: subtype — at most one supertype, not final, matching.
        for x in start..end {
            let st = &m.type_defs[x as usize];
            if st.supers.len() > 1 {
                return Err(ValidationError::SubType(x, st.supers[1]));
            }
            if let Some(&s) = st.supers.first() {
                let sup = &m.type_defs[s as usize];
                if sup.is_final {
                    return Err(ValidationError::SubType(x, s));
                }
                check_desc_sub(c, st, sup, x, s)?;
                if !c.match_comp(&st.comp, &sup.comp) {
                    return Err(ValidationError::SubType(x, s));
                }
            }
        }
    }
    Ok(())
}

/// custom-descriptors: valid rectype — `describes` and `descriptor` clauses
/// point into the same rec group and agree with each other; a described type
/// precedes its descriptor (so no type is in its own descriptor chain).
fn check_descriptors(m: &Module, start: u32, end: u32) -> Result<()> {
    let err = |s: &str| Err(ValidationError::Descriptor(s.into()));
    for x in start..end {
        let st = &m.type_defs[x as usize];
        if let Some(y) = st.describes {
            if !(start..end).contains(&y) {
                return err("described type is outside rec group");
            }
            if m.type_defs[y as usize].descriptor != Some(x) {
                return err("described type is not described by descriptor");
            }
            if y >= x {
                return err("forward use of described type");
            }
        }
        if let Some(y) = st.descriptor {
            if !(start..end).contains(&y) {
                return err("descriptor type is outside rec group");
            }
            if m.type_defs[y as usize].describes != Some(x) {
                return err("type is not described by its descriptor");
            }
        }
    }
    Ok(())
}

/// custom-descriptors: valid desctype — only struct types have `descriptor`
/// or `describes` clauses.
fn check_desc_comp(st: &SubType) -> Result<()> {
    if matches!(st.comp, CompType::Struct(_)) {
        return Ok(());
    }
    if st.descriptor.is_some() {
        return Err(ValidationError::Descriptor(
            "descriptor type must be a struct".into(),
        ));
    }
    if st.describes.is_some() {
        return Err(ValidationError::Descriptor(
            "described type must be a struct".into(),
        ));
    }
    Ok(())
}

/// custom-descriptors: valid subtype — a subtype describes a subtype of what
/// its supertype describes, and has a descriptor (a subtype of the
/// supertype's) whenever the supertype has one.
fn check_desc_sub(c: &Ctx, st: &SubType, sup: &SubType, x: u32, s: u32) -> Result<()> {
    match (st.describes, sup.describes) {
        (Some(a), Some(b)) if !c.sub_idx(a, b) => {
            return Err(ValidationError::Descriptor(format!(
                "described type {a} does not match {b}"
            )));
        }
        (Some(_), None) | (None, Some(_)) => return Err(ValidationError::SubType(x, s)),
        _ => {}
    }
    match (st.descriptor, sup.descriptor) {
        (Some(a), Some(b)) if !c.sub_idx(a, b) => Err(ValidationError::Descriptor(format!(
            "descriptor type {a} does not match {b}"
        ))),
        (None, Some(_)) => Err(ValidationError::SubType(x, s)),
        _ => Ok(()),
    }
}
