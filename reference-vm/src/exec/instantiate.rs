//! Instantiation (spec: Execution › Modules › Instantiation).

use std::sync::Arc;

use super::*;
use crate::valid::ValidModule;
use crate::valid::types::{REC_BIT, map_val};

fn incompatible<T>(what: impl Into<String>) -> Result<T, InstantiateError> {
    Err(InstantiateError::Link(LinkError::IncompatibleImportType(
        what.into(),
    )))
}

/// valid: import subtyping on limits (actual `a` matches expected `e`).
fn limits_match(a: &Limits, e: &Limits) -> bool {
    a.min >= e.min
        && match (a.max, e.max) {
            (_, None) => true,
            (Some(am), Some(em)) => am <= em,
            (None, Some(_)) => false,
        }
}

impl Store {
    /// exec: instantiate — checks imports, allocates, runs element and data
    /// segments and the start function. `externvals` are in import order.
    pub fn instantiate(
        &mut self,
        module: &ValidModule,
        externvals: &[ExternVal],
    ) -> Result<ModuleAddr, InstantiateError> {
        let m: &Module = &module.module;
        if externvals.len() != m.imports.len() {
            return Err(InstantiateError::Link(LinkError::WrongImportCount {
                expected: m.imports.len(),
                given: externvals.len(),
            }));
        }
        // exec: type canonicalisation — each rec group to store type ids.
        let mut type_ids: Vec<u32> = Vec::with_capacity(m.type_defs.len());
        for &(start, len) in &m.rec_groups {
            let group: Vec<SubType> = m.type_defs[start as usize..(start + len) as usize]
                .iter()
                .map(|st| {
                    crate::valid::types::map_sub(st, &|y| {
                        if y >= start { REC_BIT | (y - start) } else { y }
                    })
                })
                .collect();
            let ids = &type_ids;
            let first = self.intern_group(&group, &|y| ids.get(y as usize).copied().unwrap_or(0));
            for i in 0..len {
                type_ids.push(first + i);
            }
        }
        let sv = |t: ValType| map_val(t, &|y| type_ids.get(y as usize).copied().unwrap_or(0));
        // exec: import matching
        for (im, ev) in m.imports.iter().zip(externvals) {
            let Some(actual) = self.extern_type(*ev) else {
                return Err(InstantiateError::Link(LinkError::UnknownImport(format!(
                    "{}.{}",
                    im.module, im.name
                ))));
            };
            let ok = match (&im.desc, &actual) {
                // match: func — the provided function's type is a subtype.
                (ImportDesc::Func(t), ExternType::Func(_)) => match *ev {
                    ExternVal::Func(f) => self
                        .func_type_id(f)
                        .zip(type_ids.get(*t as usize))
                        .is_some_and(|(a, &e)| self.is_sub_id(a, e)),
                    _ => false,
                },
                // custom-descriptors: match func exact — exactly the type.
                (ImportDesc::FuncExact(t), ExternType::Func(_)) => match *ev {
                    ExternVal::Func(f) => self
                        .func_type_id(f)
                        .zip(type_ids.get(*t as usize))
                        .is_some_and(|(a, &e)| a == e),
                    _ => false,
                },
                (ImportDesc::Tag(t), ExternType::Tag(_)) => match *ev {
                    ExternVal::Tag(a) => self
                        .tags
                        .get(a.0 as usize)
                        .zip(type_ids.get(t.ty as usize))
                        .is_some_and(|(a, &e)| a.ty == e),
                    _ => false,
                },
                (ImportDesc::Table(e), ExternType::Table(a)) => {
                    let et = sv(ValType::Ref(e.elem));
                    ValType::Ref(a.elem) == et
                        && a.idx64 == e.idx64
                        && limits_match(&a.limits, &e.limits)
                }
                (ImportDesc::Mem(e), ExternType::Mem(a)) => {
                    a.idx64 == e.idx64
                        && a.shared == e.shared
                        && a.page_size_log2 == e.page_size_log2
                        && limits_match(&a.limits, &e.limits)
                }
                (ImportDesc::Global(e), ExternType::Global(a)) => {
                    let et = sv(e.ty);
                    a.mutable == e.mutable
                        && if e.mutable {
                            a.ty == et
                        } else {
                            self.match_val(a.ty, et)
                        }
                }
                _ => false,
            };
            if !ok {
                return incompatible(format!("{}.{}", im.module, im.name));
            }
        }
        // exec: allocmodule
        let inst_idx = self.instances.len() as u32;
        let mut inst = ModuleInst::default();
        for (t, &id) in m.types.iter().zip(&type_ids) {
            let slots: u32 = t.params.iter().map(|p| p.slots()).sum();
            inst.types.push((id, slots));
        }
        for ev in externvals {
            match *ev {
                ExternVal::Func(a) => inst.funcs.push(a.0),
                ExternVal::Table(a) => inst.tables.push(a.0),
                ExternVal::Mem(a) => inst.mems.push(a.0),
                ExternVal::Global(a) => inst.globals.push(a.0),
                ExternVal::Tag(a) => inst.tags.push(a.0),
            }
        }
        for t in &m.tags {
            let ty = type_ids.get(t.ty as usize).copied().unwrap_or(0);
            self.tags.push(TagInst { ty });
            inst.tags.push((self.tags.len() - 1) as u32);
        }
        for (f, code) in m.funcs.iter().zip(&module.code) {
            let ty = inst.types.get(f.ty as usize).map_or(0, |t| t.0);
            self.funcs.push(FuncInst::Wasm {
                ty,
                code: code.current(),
                lazy: Arc::clone(code),
                inst: inst_idx,
            });
            inst.funcs.push((self.funcs.len() - 1) as u32);
        }
        // custom: the name section names functions in traps and traces.
        for (idx, name) in m.names().funcs {
            if let Some(&a) = inst.funcs.get(idx as usize) {
                self.func_names
                    .entry(a)
                    .or_insert_with(|| Arc::from(name.as_str()));
            }
        }
        for t in &m.mems {
            inst.mems.push(self.alloc_mem(*t).0);
        }
        // exec: globals and tables are allocated in order of their initialisers'
        // dependencies: globals first (they may be read by table initialisers).
        for g in &m.globals {
            let v = self.eval_const(&inst, &g.init)?;
            let ty = GlobalType {
                mutable: g.ty.mutable,
                ty: sv(g.ty.ty),
            };
            let (lo, hi) = v;
            self.globals.push(GlobalInst { ty, val: [lo, hi] });
            inst.globals.push((self.globals.len() - 1) as u32);
        }
        let num_imported_tables = inst.tables.len();
        let _ = num_imported_tables;
        for t in &m.tables {
            let bits = match &t.init {
                Some(e) => self.eval_const(&inst, e)?.0,
                None => 0,
            };
            let ValType::Ref(elem) = sv(ValType::Ref(t.ty.elem)) else {
                unreachable!("reference type")
            };
            let ty = TableType { elem, ..t.ty };
            let n = usize::try_from(ty.limits.min)
                .unwrap_or(usize::MAX)
                .min(self.config.max_table_elems as usize);
            self.tables.push(TableInst {
                ty,
                elems: vec![bits; n],
            });
            inst.tables.push((self.tables.len() - 1) as u32);
        }
        for e in &m.elems {
            let mut elems = Vec::with_capacity(e.init.len());
            for x in &e.init {
                elems.push(self.eval_const(&inst, x)?.0);
            }
            self.elems.push(ElemInst { elems });
            inst.elems.push((self.elems.len() - 1) as u32);
        }
        for d in &m.datas {
            self.datas.push(DataInst {
                bytes: Arc::from(d.init.as_slice()),
            });
            inst.datas.push((self.datas.len() - 1) as u32);
        }
        for e in &m.exports {
            let v = match e.desc {
                ExportDesc::Func(x) => ExternVal::Func(FuncAddr(inst.funcs[x as usize])),
                ExportDesc::Table(x) => ExternVal::Table(TableAddr(inst.tables[x as usize])),
                ExportDesc::Mem(x) => ExternVal::Mem(MemAddr(inst.mems[x as usize])),
                ExportDesc::Global(x) => ExternVal::Global(GlobalAddr(inst.globals[x as usize])),
                ExportDesc::Tag(x) => ExternVal::Tag(TagAddr(inst.tags[x as usize])),
            };
            inst.exports.push((e.name.clone(), v));
        }
        let elem_addrs = inst.elems.clone();
        let data_addrs = inst.datas.clone();
        let table_addrs = inst.tables.clone();
        let mem_addrs = inst.mems.clone();
        let offsets: Vec<Option<(u32, u64)>> = m
            .elems
            .iter()
            .map(|e| match &e.mode {
                ElemMode::Active { table, offset } => Some((
                    *table,
                    self.eval_const(&inst, offset)
                        .map_or(0, |v| v.0 as u32 as u64),
                )),
                _ => None,
            })
            .collect();
        let data_offsets: Vec<Option<(u32, u64)>> = m
            .datas
            .iter()
            .map(|d| match &d.mode {
                DataMode::Active { mem, offset } => Some((
                    *mem,
                    self.eval_const(&inst, offset)
                        .map_or(0, |v| v.0 as u32 as u64),
                )),
                DataMode::Passive => None,
            })
            .collect();
        self.instances.push(inst);
        // exec 1.0: instantiation (the interpreter of the pre-2.0 drafts) —
        // without bulk memory, every active segment is bounds-checked before
        // any is written, and one that does not fit makes the module
        // unlinkable. The maintained 1.0 suite expects the 2.0 order instead.
        let f = &self.config.features;
        if !f.bulk_memory && f.legacy == crate::Legacy::Drafts {
            for (e, o) in m.elems.iter().zip(&offsets) {
                if let Some((t, off)) = *o {
                    let len = self.tables[table_addrs[t as usize] as usize].elems.len();
                    if off + e.init.len() as u64 > len as u64 {
                        return Err(LinkError::ElemSegmentDoesNotFit.into());
                    }
                }
            }
            for (d, o) in m.datas.iter().zip(&data_offsets) {
                if let Some((mi, off)) = *o {
                    let len = self.mems[mem_addrs[mi as usize] as usize].len();
                    if off + d.init.len() as u64 > len as u64 {
                        return Err(LinkError::DataSegmentDoesNotFit.into());
                    }
                }
            }
        }
        // exec: active and declarative element segments (table.init; elem.drop)
        for (i, e) in m.elems.iter().enumerate() {
            let ea = elem_addrs[i] as usize;
            match (&e.mode, offsets[i]) {
                (ElemMode::Active { .. }, Some((t, off))) => {
                    let ta = table_addrs[t as usize] as usize;
                    let src = std::mem::take(&mut self.elems[ea].elems);
                    let table = &mut self.tables[ta].elems;
                    let end = off
                        .checked_add(src.len() as u64)
                        .filter(|&e| e <= table.len() as u64);
                    let Some(end) = end else {
                        return Err(Trap::TableOutOfBounds.into());
                    };
                    table[off as usize..end as usize].copy_from_slice(&src);
                }
                (ElemMode::Declarative, _) => self.elems[ea].elems.clear(),
                _ => {}
            }
        }
        // exec: active data segments (memory.init; data.drop)
        for (i, _) in m.datas.iter().enumerate() {
            if let Some((mi, off)) = data_offsets[i] {
                let da = data_addrs[i] as usize;
                let bytes = std::mem::replace(&mut self.datas[da].bytes, Arc::from(&[][..]));
                // A shared memory takes the bytes through its own accessors.
                self.mems[mem_addrs[mi as usize] as usize].write(off, &bytes)?;
            }
        }
        // exec: start function
        if let Some(s) = m.start {
            let fa = self.instances[inst_idx as usize].funcs[s as usize];
            self.invoke(FuncAddr(fa), &[])?;
        }
        Ok(ModuleAddr(inst_idx))
    }

    /// exec: constant expressions — evaluated on slot pairs (low, high).
    fn eval_const(&mut self, inst: &ModuleInst, e: &Expr) -> Result<(u64, u64), Trap> {
        let mut st: Vec<(u64, u64)> = Vec::new();
        let bad = || Trap::Host("invalid constant expression".into());
        let cap = self.config.max_heap_bytes;
        for i in e {
            let v = match (i.op, &i.imm) {
                (Opcode::End, _) => break,
                (Opcode::I32Const, Imm::I32(v)) => (u64::from(*v), 0),
                (Opcode::I64Const, Imm::I64(v)) => (*v, 0),
                (Opcode::F32Const, Imm::F32(v)) => (u64::from(*v), 0),
                (Opcode::F64Const, Imm::F64(v)) => (*v, 0),
                (Opcode::V128Const, Imm::V128(b)) => {
                    let v = u128::from_le_bytes(*b);
                    (v as u64, (v >> 64) as u64)
                }
                (Opcode::RefNull, _) => (0, 0),
                (Opcode::RefFunc, Imm::Idx(x)) => (
                    FUNC_TAG | u64::from(*inst.funcs.get(*x as usize).ok_or_else(bad)?),
                    0,
                ),
                (Opcode::GlobalGet, Imm::Idx(x)) => {
                    let a = *inst.globals.get(*x as usize).ok_or_else(bad)?;
                    let g = self.globals.get(a as usize).ok_or_else(bad)?;
                    (g.val[0], g.val[1])
                }
                (Opcode::RefI31, _) => {
                    let (a, _) = st.pop().ok_or_else(bad)?;
                    (I31_TAG | (a & 0x7fff_ffff), 0)
                }
                (Opcode::AnyConvertExtern | Opcode::ExternConvertAny, _) => {
                    let (a, _) = st.pop().ok_or_else(bad)?;
                    let r = match (a, i.op) {
                        (0, _) => 0,
                        (a, Opcode::AnyConvertExtern) => a & !EXTERN_BIT,
                        (a, _) => a | EXTERN_BIT,
                    };
                    (r, 0)
                }
                (
                    Opcode::StructNew
                    | Opcode::StructNewDefault
                    | Opcode::StructNewDesc
                    | Opcode::StructNewDefaultDesc
                    | Opcode::ArrayNew
                    | Opcode::ArrayNewDefault
                    | Opcode::ArrayNewFixed,
                    _,
                ) => {
                    let x = match i.imm {
                        Imm::Idx(x) | Imm::Idx2(x, _) => x,
                        _ => return Err(bad()),
                    };
                    let ty = inst.types.get(x as usize).ok_or_else(bad)?.0;
                    let info = &self.infos[ty as usize];
                    let slots = info.slots as usize;
                    let fields = info.fields.clone();
                    // custom-descriptors: the descriptor operand is on top.
                    let desc = match (i.op, info.desc_slot) {
                        (Opcode::StructNewDesc | Opcode::StructNewDefaultDesc, Some(ds)) => {
                            let (d, _) = st.pop().ok_or_else(bad)?;
                            if d == 0 {
                                return Err(Trap::NullDescriptorRef);
                            }
                            Some((ds as usize, d))
                        }
                        _ => None,
                    };
                    let (is_struct, mut data) = match i.op {
                        Opcode::StructNew | Opcode::StructNewDesc => {
                            let n = fields.len();
                            let vals = st.split_off(st.len().checked_sub(n).ok_or_else(bad)?);
                            let mut data = vec![0; slots];
                            for ((off, s), (lo, hi)) in fields.iter().zip(vals) {
                                data[*off as usize] = gc::pack(*s, lo);
                                if s.unpacked().slots() == 2 {
                                    data[*off as usize + 1] = hi;
                                }
                            }
                            (true, data)
                        }
                        Opcode::StructNewDefault | Opcode::StructNewDefaultDesc => {
                            (true, vec![0; slots])
                        }
                        _ => {
                            let (n, init): (u64, Vec<(u64, u64)>) = match i.op {
                                Opcode::ArrayNewFixed => {
                                    let n = match i.imm {
                                        Imm::Idx2(_, n) => n as usize,
                                        _ => 0,
                                    };
                                    let v = st.split_off(st.len().checked_sub(n).ok_or_else(bad)?);
                                    (n as u64, v)
                                }
                                Opcode::ArrayNew => {
                                    let (n, _) = st.pop().ok_or_else(bad)?;
                                    let v = st.pop().ok_or_else(bad)?;
                                    (n as u32 as u64, vec![v])
                                }
                                _ => {
                                    let (n, _) = st.pop().ok_or_else(bad)?;
                                    (n as u32 as u64, vec![(0, 0)])
                                }
                            };
                            gc::charge(&mut self.heap_bytes, cap, n * slots as u64)?;
                            let s = fields[0].1;
                            let mut data = Vec::with_capacity(n as usize * slots);
                            for k in 0..n as usize {
                                let (lo, hi) = if init.len() == 1 { init[0] } else { init[k] };
                                data.push(gc::pack(s, lo));
                                if slots == 2 {
                                    data.push(hi);
                                }
                            }
                            (false, data)
                        }
                    };
                    if let Some((ds, d)) = desc {
                        data[ds] = d;
                    }
                    if is_struct {
                        gc::charge(&mut self.heap_bytes, cap, slots as u64)?;
                    }
                    let a = gc::alloc(&mut self.heap, ty, data)?;
                    let tag = if is_struct { STRUCT_TAG } else { ARRAY_TAG };
                    (tag | u64::from(a), 0)
                }
                (op, _) => {
                    let (b, _) = st.pop().ok_or_else(bad)?;
                    let (a, _) = st.pop().ok_or_else(bad)?;
                    let (a32, b32) = (a as u32, b as u32);
                    let r = match op {
                        Opcode::I32Add => u64::from(a32.wrapping_add(b32)),
                        Opcode::I32Sub => u64::from(a32.wrapping_sub(b32)),
                        Opcode::I32Mul => u64::from(a32.wrapping_mul(b32)),
                        Opcode::I64Add => a.wrapping_add(b),
                        Opcode::I64Sub => a.wrapping_sub(b),
                        Opcode::I64Mul => a.wrapping_mul(b),
                        _ => return Err(bad()),
                    };
                    (r, 0)
                }
            };
            st.push(v);
        }
        st.pop().ok_or_else(bad)
    }
}
