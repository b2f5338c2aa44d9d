//! Instantiation (spec: Execution › Modules › Instantiation).

use std::sync::Arc;

use super::*;
use crate::valid::{ValidModule, matches_val};

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
        // exec: import matching
        for (im, ev) in m.imports.iter().zip(externvals) {
            let Some(actual) = self.extern_type(*ev) else {
                return Err(InstantiateError::Link(LinkError::UnknownImport(format!(
                    "{}.{}",
                    im.module, im.name
                ))));
            };
            let ok = match (&im.desc, &actual) {
                (ImportDesc::Func(t), ExternType::Func(a)) => m.types.get(*t as usize) == Some(a),
                (ImportDesc::Table(e), ExternType::Table(a)) => {
                    a.elem == e.elem && a.idx64 == e.idx64 && limits_match(&a.limits, &e.limits)
                }
                (ImportDesc::Mem(e), ExternType::Mem(a)) => {
                    a.idx64 == e.idx64
                        && a.shared == e.shared
                        && a.page_size_log2 == e.page_size_log2
                        && limits_match(&a.limits, &e.limits)
                }
                (ImportDesc::Global(e), ExternType::Global(a)) => {
                    a.mutable == e.mutable
                        && if e.mutable {
                            a.ty == e.ty
                        } else {
                            matches_val(a.ty, e.ty)
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
        for t in &m.types {
            let id = self.intern_type(t);
            let slots: u32 = t.params.iter().map(|p| p.slots()).sum();
            inst.types.push((id, slots));
        }
        for ev in externvals {
            match *ev {
                ExternVal::Func(a) => inst.funcs.push(a.0),
                ExternVal::Table(a) => inst.tables.push(a.0),
                ExternVal::Mem(a) => inst.mems.push(a.0),
                ExternVal::Global(a) => inst.globals.push(a.0),
            }
        }
        for (f, code) in m.funcs.iter().zip(&module.code) {
            let ty = inst.types.get(f.ty as usize).map_or(0, |t| t.0);
            self.funcs.push(FuncInst::Wasm {
                ty,
                code: Arc::clone(code),
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
        for t in &m.tables {
            let init = match &t.init {
                Some(e) => match self.eval_const(&inst, e)? {
                    Val::Ref(r) => r,
                    _ => Ref::Null(t.ty.elem.heap),
                },
                None => Ref::Null(t.ty.elem.heap),
            };
            inst.tables.push(self.alloc_table(t.ty, init).0);
        }
        for t in &m.mems {
            inst.mems.push(self.alloc_mem(*t).0);
        }
        for g in &m.globals {
            let v = self.eval_const(&inst, &g.init)?;
            inst.globals.push(self.alloc_global(g.ty, v).0);
        }
        for e in &m.elems {
            let mut elems = Vec::with_capacity(e.init.len());
            for x in &e.init {
                let v = self.eval_const(&inst, x)?;
                elems.push(v.to_slots().0);
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
                    self.eval_const(&inst, offset).map_or(0, |v| match v {
                        Val::I32(x) => u64::from(x),
                        v => v.to_slots().0,
                    }),
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
                    self.eval_const(&inst, offset).map_or(0, |v| match v {
                        Val::I32(x) => u64::from(x),
                        v => v.to_slots().0,
                    }),
                )),
                DataMode::Passive => None,
            })
            .collect();
        self.instances.push(inst);
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
                let mem = &mut self.mems[mem_addrs[mi as usize] as usize].data;
                let end = off
                    .checked_add(bytes.len() as u64)
                    .filter(|&e| e <= mem.len() as u64);
                let Some(end) = end else {
                    return Err(Trap::MemoryOutOfBounds.into());
                };
                mem[off as usize..end as usize].copy_from_slice(&bytes);
            }
        }
        // exec: start function
        if let Some(s) = m.start {
            let fa = self.instances[inst_idx as usize].funcs[s as usize];
            self.invoke(FuncAddr(fa), &[])?;
        }
        Ok(ModuleAddr(inst_idx))
    }

    /// exec: constant expressions.
    fn eval_const(&self, inst: &ModuleInst, e: &Expr) -> Result<Val, Trap> {
        let mut st: Vec<Val> = Vec::new();
        let bad = || Trap::Host("invalid constant expression".into());
        for i in e {
            let v = match (i.op, &i.imm) {
                (Opcode::End, _) => break,
                (Opcode::I32Const, Imm::I32(v)) => Val::I32(*v),
                (Opcode::I64Const, Imm::I64(v)) => Val::I64(*v),
                (Opcode::F32Const, Imm::F32(v)) => Val::F32(*v),
                (Opcode::F64Const, Imm::F64(v)) => Val::F64(*v),
                (Opcode::V128Const, Imm::V128(b)) => Val::V128(u128::from_le_bytes(*b)),
                (Opcode::RefNull, Imm::Heap(h)) => Val::Ref(Ref::Null(*h)),
                (Opcode::RefFunc, Imm::Idx(x)) => Val::Ref(Ref::Func(FuncAddr(
                    *inst.funcs.get(*x as usize).ok_or_else(bad)?,
                ))),
                (Opcode::GlobalGet, Imm::Idx(x)) => {
                    let a = *inst.globals.get(*x as usize).ok_or_else(bad)?;
                    self.globals.get(a as usize).ok_or_else(bad)?.get()
                }
                (op, _) => {
                    let b = st.pop().ok_or_else(bad)?;
                    let a = st.pop().ok_or_else(bad)?;
                    match (op, a, b) {
                        (Opcode::I32Add, Val::I32(a), Val::I32(b)) => Val::I32(a.wrapping_add(b)),
                        (Opcode::I32Sub, Val::I32(a), Val::I32(b)) => Val::I32(a.wrapping_sub(b)),
                        (Opcode::I32Mul, Val::I32(a), Val::I32(b)) => Val::I32(a.wrapping_mul(b)),
                        (Opcode::I64Add, Val::I64(a), Val::I64(b)) => Val::I64(a.wrapping_add(b)),
                        (Opcode::I64Sub, Val::I64(a), Val::I64(b)) => Val::I64(a.wrapping_sub(b)),
                        (Opcode::I64Mul, Val::I64(a), Val::I64(b)) => Val::I64(a.wrapping_mul(b)),
                        _ => return Err(bad()),
                    }
                }
            };
            st.push(v);
        }
        st.pop().ok_or_else(bad)
    }
}
