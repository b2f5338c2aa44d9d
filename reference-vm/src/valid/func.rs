//! valid: functions — the spec's validation algorithm (operand and control
//! stacks, polymorphic stack after unconditional branches), translating each
//! instruction into internal code in the same pass.

use std::collections::HashMap;

use super::{Ctx, Result, ValidationError, addr_type, matches_val, mismatch};
use crate::exec::code::{CompiledFunc, Ext, Ins};
use crate::syntax::*;

/// Maximum slots used for a function's constant pool (copied on every call).
const MAX_CONST_SLOTS: usize = 48;
/// Frames bigger than this are not representable; calling such a function exhausts the stack.
const MAX_FRAME_SLOTS: u64 = 1 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    /// In its own stack slot.
    Stack,
    /// Still in a local or constant slot (not yet copied).
    Slot(u32),
}

#[derive(Clone, Copy, Debug)]
struct Opd {
    /// `None` is the bottom type of unreachable code.
    ty: Option<ValType>,
    /// Its stack slot.
    slot: u32,
    loc: Loc,
    /// `Slot` refers to a local (not a constant).
    local: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Block,
    Loop,
    If,
    Else,
    Func,
}

#[derive(Clone, Copy, Debug)]
enum Fixup {
    Ins(usize),
    Table(usize),
}

struct Ctrl {
    kind: Kind,
    params: Vec<ValType>,
    results: Vec<ValType>,
    height: usize,
    slot: u32,
    unreachable: bool,
    /// Entered in unreachable code: nothing is emitted inside.
    dead: bool,
    start_pc: u32,
    fixups: Vec<Fixup>,
    else_fixup: Option<usize>,
}

impl Ctrl {
    fn label_types(&self) -> &[ValType] {
        if self.kind == Kind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

fn slots_of(ts: &[ValType]) -> u32 {
    ts.iter().map(|t| t.slots()).sum()
}

struct Compiler<'a> {
    c: &'a Ctx<'a>,
    vals: Vec<Opd>,
    ctrls: Vec<Ctrl>,
    /// (first index, first slot, type, count) per local run.
    locals: Vec<(u64, u64, ValType, u64)>,
    num_locals: u64,
    code: Vec<Ins>,
    br_table: Vec<u32>,
    consts: Vec<u64>,
    const_map: HashMap<(u64, u64, bool), u32>,
    const_base: u32,
    const_cap: u32,
    v128s: Vec<u128>,
    shuffles: Vec<[u8; 16]>,
    ext: Vec<Ext>,
    height: u32,
    max_height: u32,
    last_result: Option<usize>,
}

/// Validates and translates one function body.
pub(super) fn compile(c: &Ctx<'_>, f: &Func) -> Result<CompiledFunc> {
    let ft = c.ty(f.ty)?.clone();
    let mut locals = Vec::new();
    let (mut idx, mut slot) = (0u64, 0u64);
    for &p in &ft.params {
        locals.push((idx, slot, p, 1));
        idx += 1;
        slot += u64::from(p.slots());
    }
    let param_slots = slot;
    for &(n, t) in &f.locals {
        if n == 0 {
            continue;
        }
        if !t.defaultable() {
            return Err(ValidationError::FeatureDisabled {
                what: "non-defaultable local".into(),
                feature: "function_references",
            });
        }
        locals.push((idx, slot, t, u64::from(n)));
        idx += u64::from(n);
        slot += u64::from(n) * u64::from(t.slots());
    }
    let local_slots = slot;
    // Pre-count distinct constants to size the constant area.
    let mut distinct = std::collections::HashSet::new();
    for i in &f.body {
        let key = match (i.op, &i.imm) {
            (Opcode::I32Const, Imm::I32(v)) => (u64::from(*v), 0, false),
            (Opcode::I64Const, Imm::I64(v)) => (*v, 0, false),
            (Opcode::F32Const, Imm::F32(v)) => (u64::from(*v), 0, false),
            (Opcode::F64Const, Imm::F64(v)) => (*v, 0, false),
            (Opcode::RefNull, _) => (0, 0, false),
            (Opcode::V128Const, Imm::V128(b)) => {
                let v = u128::from_le_bytes(*b);
                (v as u64, (v >> 64) as u64, true)
            }
            _ => continue,
        };
        distinct.insert(key);
    }
    let mut cap = 0usize;
    for k in &distinct {
        let n = if k.2 { 2 } else { 1 };
        if cap + n <= MAX_CONST_SLOTS {
            cap += n;
        }
    }
    let too_big = local_slots + cap as u64 + 16 > MAX_FRAME_SLOTS;
    let const_base = local_slots.min(MAX_FRAME_SLOTS) as u32;
    let stack_base = const_base + cap as u32;
    let mut k = Compiler {
        c,
        vals: Vec::new(),
        ctrls: Vec::new(),
        locals,
        num_locals: idx,
        code: Vec::new(),
        br_table: Vec::new(),
        consts: Vec::new(),
        const_map: HashMap::new(),
        const_base,
        const_cap: cap as u32,
        v128s: Vec::new(),
        shuffles: Vec::new(),
        ext: Vec::new(),
        height: stack_base,
        max_height: stack_base,
        last_result: None,
    };
    k.ctrls.push(Ctrl {
        kind: Kind::Func,
        params: Vec::new(),
        results: ft.results.clone(),
        height: 0,
        slot: stack_base,
        unreachable: false,
        dead: false,
        start_pc: 0,
        fixups: Vec::new(),
        else_fixup: None,
    });
    for ins in &f.body {
        if k.ctrls.is_empty() {
            // Decoding guarantees the final `end` is last; be defensive anyway.
            return mismatch("instructions after function end");
        }
        k.instr(ins)?;
    }
    if !k.ctrls.is_empty() {
        return mismatch("function body not terminated");
    }
    let result_slots = slots_of(&ft.results);
    Ok(CompiledFunc {
        ty: ft,
        code: k.code,
        br_table: k.br_table,
        consts: k.consts,
        v128s: k.v128s,
        shuffles: k.shuffles,
        ext: k.ext,
        param_slots: param_slots as u32,
        local_slots: const_base,
        frame_size: k.max_height.saturating_add(2),
        result_slots,
        too_big,
    })
}

fn lane_count(bytes: u32) -> u32 {
    16 / bytes.max(1)
}

impl Compiler<'_> {
    // ---- operand stack (spec: validation algorithm) ----

    fn live(&self) -> bool {
        self.ctrls.last().is_some_and(|c| !c.unreachable && !c.dead)
    }

    fn push_opd(&mut self, ty: Option<ValType>, loc: Loc, local: bool) {
        let slot = self.height;
        self.height = self.height.saturating_add(ty.map_or(1, |t| t.slots()));
        self.max_height = self.max_height.max(self.height);
        self.vals.push(Opd {
            ty,
            slot,
            loc,
            local,
        });
    }

    fn push(&mut self, ty: ValType) {
        self.push_opd(Some(ty), Loc::Stack, false);
    }

    fn pop(&mut self) -> Result<Opd> {
        let ctrl = self.ctrls.last().expect("control stack");
        if self.vals.len() == ctrl.height {
            if ctrl.unreachable {
                return Ok(Opd {
                    ty: None,
                    slot: self.height,
                    loc: Loc::Stack,
                    local: false,
                });
            }
            return mismatch("instruction requires an operand but the stack is empty");
        }
        let o = self.vals.pop().expect("non-empty");
        self.height = o.slot;
        Ok(o)
    }

    fn pop_expect(&mut self, t: ValType) -> Result<Opd> {
        let o = self.pop()?;
        if let Some(a) = o.ty
            && !matches_val(a, t)
        {
            return mismatch(format!("instruction requires [{t}] but stack has [{a}]"));
        }
        Ok(o)
    }

    fn pop_ref(&mut self) -> Result<Opd> {
        let o = self.pop()?;
        match o.ty {
            None | Some(ValType::Ref(_)) => Ok(o),
            Some(t) => mismatch(format!(
                "instruction requires reference type but stack has {t}"
            )),
        }
    }

    /// Pops values of the given types (last on top); returns them bottom first.
    fn pop_types(&mut self, ts: &[ValType]) -> Result<Vec<Opd>> {
        let mut v = Vec::with_capacity(ts.len());
        for &t in ts.iter().rev() {
            v.push(self.pop_expect(t)?);
        }
        v.reverse();
        Ok(v)
    }

    fn src(o: &Opd) -> u32 {
        match o.loc {
            Loc::Stack => o.slot,
            Loc::Slot(s) => s,
        }
    }

    // ---- emission ----

    fn emit(&mut self, ins: Ins) -> usize {
        self.last_result = None;
        if !self.live() {
            return usize::MAX;
        }
        self.code.push(ins);
        self.code.len() - 1
    }

    /// Emits an instruction whose result goes to the current stack top, and pushes it.
    fn emit_result(&mut self, ins: Ins, ty: ValType) {
        let pc = self.emit(ins);
        self.push(ty);
        if pc != usize::MAX {
            self.last_result = Some(pc);
        }
    }

    fn copy_ins(ty: Option<ValType>, dst: u32, src: u32) -> Ins {
        if ty == Some(ValType::V128) {
            Ins::Copy2 { dst, src }
        } else {
            Ins::Copy { dst, src }
        }
    }

    /// Puts a popped operand into its stack slot.
    fn materialize_opd(&mut self, o: &mut Opd) {
        if let Loc::Slot(s) = o.loc {
            if o.ty.is_some() {
                self.emit(Self::copy_ins(o.ty, o.slot, s));
            }
            o.loc = Loc::Stack;
            o.local = false;
        }
    }

    /// Copies every operand still referring to a local into its stack slot
    /// (before control flow and before writes to locals).
    fn materialize_locals(&mut self, only: Option<u32>) {
        let live = self.live();
        for i in 0..self.vals.len() {
            let o = self.vals[i];
            if let Loc::Slot(s) = o.loc
                && o.local
                && only.is_none_or(|x| x == s)
            {
                if live && o.ty.is_some() {
                    self.code.push(Self::copy_ins(o.ty, o.slot, s));
                    self.last_result = None;
                }
                self.vals[i].loc = Loc::Stack;
                self.vals[i].local = false;
            }
        }
    }

    fn const_slot(&mut self, lo: u64, hi: u64, v128: bool) -> Option<u32> {
        let key = (lo, hi, v128);
        if let Some(&s) = self.const_map.get(&key) {
            return Some(s);
        }
        let n = if v128 { 2 } else { 1 };
        if self.consts.len() + n > self.const_cap as usize {
            return None;
        }
        let s = self.const_base + self.consts.len() as u32;
        self.consts.push(lo);
        if v128 {
            self.consts.push(hi);
        }
        self.const_map.insert(key, s);
        Some(s)
    }

    fn push_const(&mut self, ty: ValType, bits: u128) {
        let v128 = ty == ValType::V128;
        match self.const_slot(bits as u64, (bits >> 64) as u64, v128) {
            Some(s) => self.push_opd(Some(ty), Loc::Slot(s), false),
            None => {
                let dst = self.height;
                let ins = if v128 {
                    self.v128s.push(bits);
                    Ins::ConstV {
                        dst,
                        idx: (self.v128s.len() - 1) as u32,
                    }
                } else {
                    Ins::Const64 {
                        dst,
                        val: bits as u64,
                    }
                };
                self.emit_result(ins, ty);
            }
        }
    }

    // ---- locals ----

    fn local(&self, x: u32) -> Result<(ValType, u32)> {
        let x = u64::from(x);
        if x >= self.num_locals {
            return Err(ValidationError::Unknown("local", x as u32));
        }
        let i = self.locals.partition_point(|r| r.0 <= x) - 1;
        let (first, slot, t, _) = self.locals[i];
        let s = slot + (x - first) * u64::from(t.slots());
        Ok((t, s.min(MAX_FRAME_SLOTS) as u32))
    }

    // ---- control ----

    fn block_type(&self, bt: &BlockType) -> Result<(Vec<ValType>, Vec<ValType>)> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Val(t) => (vec![], vec![*t]),
            BlockType::Func(x) => {
                let t = self.c.ty(*x)?;
                (t.params.clone(), t.results.clone())
            }
        })
    }

    fn push_ctrl(&mut self, kind: Kind, params: Vec<ValType>, results: Vec<ValType>) -> Result<()> {
        let mut opds = self.pop_types(&params)?;
        let dead = !self.live();
        self.materialize_locals(None);
        for (o, &t) in opds.iter_mut().zip(&params) {
            self.materialize_opd(o);
            self.push_opd(Some(t), Loc::Stack, false);
        }
        let height = self.vals.len() - params.len();
        let slot = self.vals.get(height).map_or(self.height, |o| o.slot);
        self.ctrls.push(Ctrl {
            kind,
            params,
            results,
            height,
            slot,
            unreachable: false,
            dead,
            start_pc: self.code.len() as u32,
            fixups: Vec::new(),
            else_fixup: None,
        });
        self.last_result = None;
        Ok(())
    }

    fn label(&self, l: u32) -> Result<usize> {
        let n = self.ctrls.len();
        if (l as usize) >= n {
            return Err(ValidationError::UnknownLabel(l));
        }
        Ok(n - 1 - l as usize)
    }

    fn set_unreachable(&mut self) {
        let c = self.ctrls.last_mut().expect("control stack");
        self.vals.truncate(c.height);
        c.unreachable = true;
        self.height = c.slot;
        self.last_result = None;
    }

    /// Copies the top operands `opds` (bottom first) into the label's slots.
    fn branch_copies(&self, target: usize, opds: &[Opd]) -> Vec<Ins> {
        let mut v = Vec::new();
        let mut dst = self.ctrls[target].slot;
        for o in opds {
            let src = Self::src(o);
            if src != dst && o.ty.is_some() {
                v.push(Self::copy_ins(o.ty, dst, src));
            }
            dst += o.ty.map_or(1, |t| t.slots());
        }
        v
    }

    /// Emits a jump to label `target` (a control stack index), recording a fixup if forward.
    fn emit_jump(&mut self, target: usize, make: impl FnOnce(u32) -> Ins) {
        let c = &self.ctrls[target];
        let (is_loop, start) = (c.kind == Kind::Loop, c.start_pc);
        let pc = self.emit(make(if is_loop { start } else { u32::MAX }));
        if pc != usize::MAX && !is_loop {
            self.ctrls[target].fixups.push(Fixup::Ins(pc));
        }
    }

    fn top_opds(&self, n: usize) -> Vec<Opd> {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        let avail = self.vals.len().saturating_sub(h);
        let mut v: Vec<Opd> = self.vals[self.vals.len() - avail.min(n)..].to_vec();
        while v.len() < n {
            v.insert(
                0,
                Opd {
                    ty: None,
                    slot: 0,
                    loc: Loc::Stack,
                    local: false,
                },
            );
        }
        v
    }

    fn patch(&mut self, f: Fixup, target: u32) {
        match f {
            Fixup::Table(i) => self.br_table[i] = target,
            Fixup::Ins(pc) => match &mut self.code[pc] {
                Ins::Br { target: t }
                | Ins::BrIfNz { target: t, .. }
                | Ins::BrIfZ { target: t, .. } => *t = target,
                _ => {}
            },
        }
    }

    fn end(&mut self) -> Result<()> {
        let results = self.ctrls.last().expect("control").results.clone();
        let mut opds = self.pop_types(&results)?;
        {
            let c = self.ctrls.last().expect("control");
            if self.vals.len() != c.height {
                return mismatch("block has values left on the stack");
            }
            if c.kind == Kind::If && c.params != c.results {
                return mismatch("if without else must have matching parameter and result types");
            }
        }
        for o in opds.iter_mut() {
            self.materialize_opd(o);
        }
        let c = self.ctrls.pop().expect("control");
        let here = self.code.len() as u32;
        for f in &c.fixups {
            self.patch(*f, here);
        }
        if let Some(pc) = c.else_fixup {
            self.patch(Fixup::Ins(pc), here);
        }
        self.height = c.slot;
        self.last_result = None;
        if c.kind == Kind::Func {
            // The function's results are at its stack base.
            if !c.dead {
                self.code.push(Ins::Return {
                    src: c.slot,
                    n: slots_of(&results),
                });
            }
            return Ok(());
        }
        for t in results {
            self.push(t);
        }
        Ok(())
    }

    // ---- instructions ----

    /// valid: memarg — returns the memarg, the memory's type and, when the
    /// access can use the fast path (memory 0, 32-bit, offset below 2^32), the offset.
    fn memarg(&self, imm: &Imm, natural: u32) -> Result<(MemArg, MemType, Option<u32>)> {
        let m = match imm {
            Imm::MemArg(m) => *m,
            Imm::MemArgLane(m, _) => *m,
            _ => MemArg {
                align: 0,
                offset: 0,
                mem: 0,
            },
        };
        let mt = self.c.mem(m.mem)?;
        if m.align >= 32 || (1u64 << m.align) > u64::from(natural) {
            return Err(ValidationError::AlignmentTooLarge);
        }
        // valid: memarg — a 32-bit memory's offset is below 2^32.
        if !mt.idx64 && m.offset > u64::from(u32::MAX) {
            return Err(ValidationError::OffsetOutOfRange);
        }
        let fast = (m.mem == 0 && !mt.idx64).then_some(m.offset as u32);
        Ok((m, mt, fast))
    }

    /// Emits `Ins::Ext` for an instruction off the fast path.
    fn emit_ext(&mut self, e: Ext) {
        if self.live() {
            self.ext.push(e);
            let idx = (self.ext.len() - 1) as u32;
            self.emit(Ins::Ext { idx });
        } else {
            self.last_result = None;
        }
    }

    /// The address type of memory `x` (already checked to exist).
    fn mem_at(&self, x: u32) -> Result<ValType> {
        Ok(addr_type(self.c.mem(x)?.idx64))
    }

    fn num(t: NumType) -> ValType {
        t.into()
    }

    /// Pops operands of `ts`, puts them in contiguous stack slots, returns the first slot.
    fn pop_contiguous(&mut self, ts: &[ValType]) -> Result<u32> {
        let mut opds = self.pop_types(ts)?;
        for o in opds.iter_mut() {
            self.materialize_opd(o);
        }
        Ok(opds.first().map_or(self.height, |o| o.slot))
    }

    fn instr(&mut self, i: &Instr) -> Result<()> {
        let op = i.op;
        match op.class() {
            Class::Unop(a, r) => {
                let x = self.pop_expect(Self::num(a))?;
                let ins = Ins::unop(op, x.slot, Self::src(&x)).expect("unop");
                self.emit_result(ins, Self::num(r));
                return Ok(());
            }
            Class::Binop(a, r) => {
                let y = self.pop_expect(Self::num(a))?;
                let x = self.pop_expect(Self::num(a))?;
                let ins = Ins::binop(op, x.slot, Self::src(&x), Self::src(&y)).expect("binop");
                self.emit_result(ins, Self::num(r));
                return Ok(());
            }
            Class::Load(t, w) => {
                let (m, mt, fast) = self.memarg(&i.imm, w)?;
                let a = self.pop_expect(addr_type(mt.idx64))?;
                if let Some(off) = fast {
                    let ins = Ins::load(op, a.slot, Self::src(&a), off).expect("load");
                    self.emit_result(ins, Self::num(t));
                } else {
                    self.emit_ext(Ext::Load {
                        op,
                        mem: m.mem,
                        dst: a.slot,
                        addr: Self::src(&a),
                        off: m.offset,
                        lane: 0,
                    });
                    self.push(Self::num(t));
                }
                return Ok(());
            }
            Class::Store(t, w) => {
                let (m, mt, fast) = self.memarg(&i.imm, w)?;
                let v = self.pop_expect(Self::num(t))?;
                let a = self.pop_expect(addr_type(mt.idx64))?;
                if let Some(off) = fast {
                    self.emit(Ins::store(op, Self::src(&a), Self::src(&v), off).expect("store"));
                } else {
                    self.emit_ext(Ext::Store {
                        op,
                        mem: m.mem,
                        addr: Self::src(&a),
                        val: Self::src(&v),
                        off: m.offset,
                        lane: 0,
                    });
                }
                return Ok(());
            }
            Class::Simd(sc) => return self.simd(i, sc),
            Class::Special(_) => {}
        }
        match op {
            Opcode::Unreachable => {
                self.emit(Ins::Unreachable);
                self.set_unreachable();
            }
            Opcode::Nop => {}
            Opcode::Block | Opcode::Loop => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let (p, r) = self.block_type(bt)?;
                self.push_ctrl(
                    if op == Opcode::Block {
                        Kind::Block
                    } else {
                        Kind::Loop
                    },
                    p,
                    r,
                )?;
            }
            Opcode::If => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let (p, r) = self.block_type(bt)?;
                let cond = self.pop_expect(ValType::I32)?;
                self.push_ctrl(Kind::If, p, r)?;
                let pc = self.emit(Ins::BrIfZ {
                    cond: Self::src(&cond),
                    target: u32::MAX,
                });
                let c = self.ctrls.last_mut().expect("control");
                c.start_pc = (pc.wrapping_add(1)) as u32;
                if pc != usize::MAX {
                    c.else_fixup = Some(pc);
                }
            }
            Opcode::Else => {
                if self.ctrls.last().map(|c| c.kind) != Some(Kind::If) {
                    return mismatch("else without if");
                }
                let results = self.ctrls.last().expect("control").results.clone();
                let mut opds = self.pop_types(&results)?;
                if self.vals.len() != self.ctrls.last().expect("control").height {
                    return mismatch("block has values left on the stack");
                }
                for o in opds.iter_mut() {
                    self.materialize_opd(o);
                }
                let top = self.ctrls.len() - 1;
                self.emit_jump(top, |t| Ins::Br { target: t });
                let here = self.code.len() as u32;
                let c = self.ctrls.last_mut().expect("control");
                if let Some(pc) = c.else_fixup.take()
                    && let Ins::BrIfZ { target, .. } = &mut self.code[pc]
                {
                    *target = here;
                }
                c.kind = Kind::Else;
                c.unreachable = false;
                let (slot, params) = (c.slot, c.params.clone());
                self.height = slot;
                for t in params {
                    self.push(t);
                }
                self.last_result = None;
            }
            Opcode::End => self.end()?,
            Opcode::Br => {
                let t = self.label(i.idx())?;
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_types(&lt)?;
                if self.live() {
                    for ins in self.branch_copies(t, &opds) {
                        self.emit(ins);
                    }
                    self.emit_jump(t, |t| Ins::Br { target: t });
                }
                self.set_unreachable();
            }
            Opcode::BrIf => {
                let t = self.label(i.idx())?;
                let cond = self.pop_expect(ValType::I32)?;
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_types(&lt)?;
                if self.live() {
                    let copies = self.branch_copies(t, &opds);
                    let c = Self::src(&cond);
                    if copies.is_empty() {
                        self.emit_jump(t, |t| Ins::BrIfNz { cond: c, target: t });
                    } else {
                        let skip = self.emit(Ins::BrIfZ { cond: c, target: 0 });
                        for ins in copies {
                            self.emit(ins);
                        }
                        self.emit_jump(t, |t| Ins::Br { target: t });
                        let here = self.code.len() as u32;
                        self.patch(Fixup::Ins(skip), here);
                    }
                }
                for (o, &ty) in opds.iter().zip(&lt) {
                    self.push_opd(Some(ty), o.loc, o.local);
                }
            }
            Opcode::BrTable => {
                let Imm::BrTable(ls) = &i.imm else {
                    return mismatch("");
                };
                let cond = self.pop_expect(ValType::I32)?;
                let default = *ls.last().unwrap_or(&0);
                let dt = self.label(default)?;
                let arity = self.ctrls[dt].label_types().len();
                let opds = self.top_opds(arity);
                for &l in ls.iter() {
                    let t = self.label(l)?;
                    let lt = self.ctrls[t].label_types();
                    if lt.len() != arity {
                        return mismatch("br_table labels have inconsistent arity");
                    }
                    for (o, &ty) in opds.iter().zip(lt) {
                        if let Some(a) = o.ty
                            && !matches_val(a, ty)
                        {
                            return mismatch(format!(
                                "br_table requires [{ty}] but stack has [{a}]"
                            ));
                        }
                    }
                }
                // Pop the operands (their types were checked against every label).
                for _ in 0..arity {
                    self.pop()?;
                }
                if self.live() {
                    let start = self.br_table.len() as u32;
                    let len = (ls.len() - 1) as u32;
                    self.emit(Ins::BrTable {
                        idx: Self::src(&cond),
                        start,
                        len,
                    });
                    let mut stubs: Vec<(usize, usize)> = Vec::new();
                    for &l in ls.iter() {
                        let t = self.label(l)?;
                        let e = self.br_table.len();
                        self.br_table.push(u32::MAX);
                        if self.branch_copies(t, &opds).is_empty() {
                            let c = &self.ctrls[t];
                            if c.kind == Kind::Loop {
                                self.br_table[e] = c.start_pc;
                            } else {
                                self.ctrls[t].fixups.push(Fixup::Table(e));
                            }
                        } else {
                            stubs.push((e, t));
                        }
                    }
                    for (e, t) in stubs {
                        self.br_table[e] = self.code.len() as u32;
                        for ins in self.branch_copies(t, &opds) {
                            self.emit(ins);
                        }
                        self.emit_jump(t, |t| Ins::Br { target: t });
                    }
                }
                self.set_unreachable();
            }
            Opcode::Return => {
                let results = self.ctrls[0].results.clone();
                let mut opds = self.pop_types(&results)?;
                for o in opds.iter_mut() {
                    self.materialize_opd(o);
                }
                let src = opds.first().map_or(self.height, |o| o.slot);
                self.emit(Ins::Return {
                    src,
                    n: slots_of(&results),
                });
                self.set_unreachable();
            }
            Opcode::Call => {
                let ft = self.c.func(i.idx())?.clone();
                let base = self.pop_contiguous(&ft.params)?;
                self.emit(Ins::Call {
                    func: i.idx(),
                    base,
                });
                self.height = base;
                for &t in &ft.results {
                    self.push(t);
                }
            }
            Opcode::CallIndirect | Opcode::ReturnCallIndirect => {
                let (ty, table) = i.idx2();
                let tt = self.c.table(table)?;
                let ft = self.c.ty(ty)?.clone();
                if tt.elem.heap != HeapType::Func {
                    return mismatch("call_indirect requires a table of function type");
                }
                let tail = op == Opcode::ReturnCallIndirect;
                if tail {
                    self.check_tail_results(&ft.results)?;
                }
                let mut idx = self.pop_expect(addr_type(tt.idx64))?;
                let base = self.pop_contiguous(&ft.params)?;
                self.materialize_opd(&mut idx);
                if tt.idx64 {
                    self.emit_ext(Ext::CallIndirect {
                        ty,
                        table,
                        base,
                        tail,
                    });
                } else if tail {
                    self.emit(Ins::ReturnCallIndirect { ty, table, base });
                } else {
                    self.emit(Ins::CallIndirect { ty, table, base });
                }
                if tail {
                    self.set_unreachable();
                } else {
                    self.height = base;
                    for &t in &ft.results {
                        self.push(t);
                    }
                }
            }
            Opcode::ReturnCall => {
                let ft = self.c.func(i.idx())?.clone();
                self.check_tail_results(&ft.results)?;
                let base = self.pop_contiguous(&ft.params)?;
                self.emit(Ins::ReturnCall {
                    func: i.idx(),
                    base,
                });
                self.set_unreachable();
            }
            Opcode::Drop => {
                self.pop()?;
            }
            Opcode::Select | Opcode::SelectT => {
                let cond = self.pop_expect(ValType::I32)?;
                let (t, b, mut a) = if let Imm::Types(ts) = &i.imm {
                    if ts.len() != 1 {
                        return Err(ValidationError::InvalidResultArity);
                    }
                    let b = self.pop_expect(ts[0])?;
                    let a = self.pop_expect(ts[0])?;
                    (Some(ts[0]), b, a)
                } else {
                    // valid: select — both operands numeric (or both vector) and equal.
                    let b = self.pop()?;
                    let a = self.pop()?;
                    if let (Some(x), Some(y)) = (a.ty, b.ty)
                        && x != y
                    {
                        return mismatch(format!("select operands [{x}] and [{y}] differ"));
                    }
                    let t = a.ty.or(b.ty);
                    if let Some(t) = t
                        && t.is_ref()
                    {
                        return mismatch(format!(
                            "select requires numeric or vector type but stack has {t}"
                        ));
                    }
                    (t, b, a)
                };
                if self.live() && t.is_some() {
                    self.materialize_opd(&mut a);
                    let (dst, b, cond) = (a.slot, Self::src(&b), Self::src(&cond));
                    self.emit(if t == Some(ValType::V128) {
                        Ins::Select2 { dst, b, cond }
                    } else {
                        Ins::Select { dst, b, cond }
                    });
                }
                self.height = a.slot;
                self.push_opd(t, Loc::Stack, false);
            }
            Opcode::LocalGet => {
                let (t, s) = self.local(i.idx())?;
                self.push_opd(Some(t), Loc::Slot(s), true);
            }
            Opcode::LocalSet | Opcode::LocalTee => {
                let (t, s) = self.local(i.idx())?;
                let v = self.pop_expect(t)?;
                if self.live() {
                    self.materialize_locals(Some(s));
                    let retarget = matches!(v.loc, Loc::Stack)
                        && self.last_result_pc().is_some_and(|pc| {
                            let mut ins = self.code[pc];
                            ins.dst_mut().is_some_and(|d| *d == v.slot)
                        });
                    if retarget {
                        let pc = self.code.len() - 1;
                        if let Some(d) = self.code[pc].dst_mut() {
                            *d = s;
                        }
                        self.last_result = None;
                        if op == Opcode::LocalTee {
                            self.push_opd(Some(t), Loc::Slot(s), true);
                        }
                        return Ok(());
                    }
                    if Self::src(&v) != s {
                        self.emit(Self::copy_ins(Some(t), s, Self::src(&v)));
                    }
                }
                if op == Opcode::LocalTee {
                    self.push_opd(Some(t), v.loc, v.local);
                }
            }
            Opcode::GlobalGet => {
                let g = self.c.global(i.idx())?;
                let dst = self.height;
                let ins = if g.ty == ValType::V128 {
                    Ins::GlobalGet2 { dst, g: i.idx() }
                } else {
                    Ins::GlobalGet { dst, g: i.idx() }
                };
                self.emit_result(ins, g.ty);
            }
            Opcode::GlobalSet => {
                let g = self.c.global(i.idx())?;
                if !g.mutable {
                    return Err(ValidationError::ImmutableGlobal {
                        legacy: self.c.f.legacy_v2_messages(),
                    });
                }
                let v = self.pop_expect(g.ty)?;
                let src = Self::src(&v);
                self.emit(if g.ty == ValType::V128 {
                    Ins::GlobalSet2 { g: i.idx(), src }
                } else {
                    Ins::GlobalSet { g: i.idx(), src }
                });
            }
            Opcode::TableGet => {
                let tt = self.c.table(i.idx())?;
                let x = self.pop_expect(addr_type(tt.idx64))?;
                let (table, dst, idx) = (i.idx(), x.slot, Self::src(&x));
                if tt.idx64 {
                    self.emit_ext(Ext::TableGet { table, dst, idx });
                    self.push(ValType::Ref(tt.elem));
                } else {
                    self.emit_result(Ins::TableGet { table, dst, idx }, ValType::Ref(tt.elem));
                }
            }
            Opcode::TableSet => {
                let tt = self.c.table(i.idx())?;
                let v = self.pop_expect(ValType::Ref(tt.elem))?;
                let x = self.pop_expect(addr_type(tt.idx64))?;
                let (table, idx, val) = (i.idx(), Self::src(&x), Self::src(&v));
                if tt.idx64 {
                    self.emit_ext(Ext::TableSet { table, idx, val });
                } else {
                    self.emit(Ins::TableSet { table, idx, val });
                }
            }
            Opcode::TableSize => {
                let tt = self.c.table(i.idx())?;
                let (table, dst) = (i.idx(), self.height);
                if tt.idx64 {
                    self.emit_ext(Ext::TableSize { table, dst });
                    self.push(ValType::I64);
                } else {
                    self.emit_result(Ins::TableSize { table, dst }, ValType::I32);
                }
            }
            Opcode::TableGrow => {
                let tt = self.c.table(i.idx())?;
                let at = addr_type(tt.idx64);
                let base = self.pop_contiguous(&[ValType::Ref(tt.elem), at])?;
                let table = i.idx();
                if tt.idx64 {
                    self.emit_ext(Ext::TableGrow { table, base });
                } else {
                    self.emit(Ins::TableGrow { table, base });
                }
                self.height = base;
                self.push(at);
            }
            Opcode::TableFill => {
                let tt = self.c.table(i.idx())?;
                let at = addr_type(tt.idx64);
                let base = self.pop_contiguous(&[at, ValType::Ref(tt.elem), at])?;
                let table = i.idx();
                if tt.idx64 {
                    self.emit_ext(Ext::TableFill { table, base });
                } else {
                    self.emit(Ins::TableFill { table, base });
                }
            }
            Opcode::TableCopy => {
                let (d, s) = i.idx2();
                let td = self.c.table(d)?;
                let ts = self.c.table(s)?;
                if !matches_val(ValType::Ref(ts.elem), ValType::Ref(td.elem)) {
                    return mismatch("table.copy element types differ");
                }
                // valid: table.copy — the length has the smaller of the two address types.
                let n = addr_type(td.idx64 && ts.idx64);
                let base = self.pop_contiguous(&[addr_type(td.idx64), addr_type(ts.idx64), n])?;
                let (dst_table, src_table) = (d, s);
                if td.idx64 || ts.idx64 {
                    self.emit_ext(Ext::TableCopy {
                        dst_table,
                        src_table,
                        base,
                    });
                } else {
                    self.emit(Ins::TableCopy {
                        dst_table,
                        src_table,
                        base,
                    });
                }
            }
            Opcode::TableInit => {
                let (e, t) = i.idx2();
                let tt = self.c.table(t)?;
                let et = self.c.elem(e)?;
                if !matches_val(ValType::Ref(et), ValType::Ref(tt.elem)) {
                    return mismatch("table.init element type does not match the table");
                }
                let base =
                    self.pop_contiguous(&[addr_type(tt.idx64), ValType::I32, ValType::I32])?;
                let (table, elem) = (t, e);
                if tt.idx64 {
                    self.emit_ext(Ext::TableInit { table, elem, base });
                } else {
                    self.emit(Ins::TableInit { table, elem, base });
                }
            }
            Opcode::ElemDrop => {
                self.c.elem(i.idx())?;
                self.emit(Ins::ElemDrop { elem: i.idx() });
            }
            Opcode::MemorySize => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                let dst = self.height;
                if mem == 0 && at == ValType::I32 {
                    self.emit_result(Ins::MemorySize { dst }, ValType::I32);
                } else {
                    self.emit_ext(Ext::MemorySize { mem, dst });
                    self.push(at);
                }
            }
            Opcode::MemoryGrow => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                let d = self.pop_expect(at)?;
                let (dst, delta) = (d.slot, Self::src(&d));
                if mem == 0 && at == ValType::I32 {
                    self.emit_result(Ins::MemoryGrow { dst, delta }, ValType::I32);
                } else {
                    self.emit_ext(Ext::MemoryGrow { mem, dst, delta });
                    self.push(at);
                }
            }
            Opcode::MemoryFill => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                let base = self.pop_contiguous(&[at, ValType::I32, at])?;
                if mem == 0 && at == ValType::I32 {
                    self.emit(Ins::MemoryFill { base });
                } else {
                    self.emit_ext(Ext::MemoryFill { mem, base });
                }
            }
            Opcode::MemoryCopy => {
                let (d, s) = i.idx2();
                let (ad, as_) = (self.mem_at(d)?, self.mem_at(s)?);
                // valid: memory.copy — the length has the smaller of the two address types.
                let n = if ad == ValType::I64 && as_ == ValType::I64 {
                    ValType::I64
                } else {
                    ValType::I32
                };
                let base = self.pop_contiguous(&[ad, as_, n])?;
                if d == 0 && s == 0 && n == ValType::I32 && ad == ValType::I32 {
                    self.emit(Ins::MemoryCopy { base });
                } else {
                    self.emit_ext(Ext::MemoryCopy {
                        dst_mem: d,
                        src_mem: s,
                        base,
                    });
                }
            }
            Opcode::MemoryInit => {
                let (x, m) = i.idx2();
                let at = self.mem_at(m)?;
                self.c.data(x)?;
                let base = self.pop_contiguous(&[at, ValType::I32, ValType::I32])?;
                if m == 0 && at == ValType::I32 {
                    self.emit(Ins::MemoryInit { data: x, base });
                } else {
                    self.emit_ext(Ext::MemoryInit {
                        mem: m,
                        data: x,
                        base,
                    });
                }
            }
            Opcode::DataDrop => {
                self.c.data(i.idx())?;
                self.emit(Ins::DataDrop { data: i.idx() });
            }
            Opcode::I64Add128 | Opcode::I64Sub128 => {
                let base = self.pop_contiguous(&[ValType::I64; 4])?;
                self.emit(if op == Opcode::I64Add128 {
                    Ins::I64Add128 { base }
                } else {
                    Ins::I64Sub128 { base }
                });
                self.height = base;
                self.push(ValType::I64);
                self.push(ValType::I64);
            }
            Opcode::I64MulWideS | Opcode::I64MulWideU => {
                let base = self.pop_contiguous(&[ValType::I64; 2])?;
                self.emit(if op == Opcode::I64MulWideS {
                    Ins::I64MulWideS { base }
                } else {
                    Ins::I64MulWideU { base }
                });
                self.height = base;
                self.push(ValType::I64);
                self.push(ValType::I64);
            }
            Opcode::I32Const | Opcode::F32Const => {
                let (t, v) = match i.imm {
                    Imm::I32(v) => (ValType::I32, v),
                    Imm::F32(v) => (ValType::F32, v),
                    _ => return mismatch(""),
                };
                self.push_const(t, u128::from(v));
            }
            Opcode::I64Const | Opcode::F64Const => {
                let (t, v) = match i.imm {
                    Imm::I64(v) => (ValType::I64, v),
                    Imm::F64(v) => (ValType::F64, v),
                    _ => return mismatch(""),
                };
                self.push_const(t, u128::from(v));
            }
            Opcode::RefNull => {
                let Imm::Heap(h) = i.imm else {
                    return mismatch("");
                };
                self.push_const(
                    ValType::Ref(RefType {
                        nullable: true,
                        heap: h,
                    }),
                    0,
                );
            }
            Opcode::RefIsNull => {
                let x = self.pop_ref()?;
                self.emit_result(
                    Ins::RefIsNull {
                        dst: x.slot,
                        a: Self::src(&x),
                    },
                    ValType::I32,
                );
            }
            Opcode::RefFunc => {
                let x = i.idx();
                self.c.func(x)?;
                if !self.c.refs.contains(&x) {
                    return Err(ValidationError::UndeclaredFuncRef(x));
                }
                let dst = self.height;
                self.emit_result(Ins::RefFunc { dst, func: x }, ValType::FUNCREF);
            }
            _ => {
                return Err(ValidationError::FeatureDisabled {
                    what: format!("instruction {}", op.name()),
                    feature: "unimplemented",
                });
            }
        }
        Ok(())
    }

    /// valid: return_call* — the callee's results match the caller's.
    fn check_tail_results(&self, results: &[ValType]) -> Result<()> {
        let own = &self.ctrls[0].results;
        if results.len() != own.len() || !results.iter().zip(own).all(|(&a, &e)| matches_val(a, e))
        {
            let list = |ts: &[ValType]| {
                ts.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return mismatch(format!(
                "instruction requires [{}] but callee returns [{}]",
                list(own),
                list(results)
            ));
        }
        Ok(())
    }

    fn last_result_pc(&self) -> Option<usize> {
        self.last_result.filter(|&pc| pc + 1 == self.code.len())
    }

    fn simd(&mut self, i: &Instr, sc: SimdClass) -> Result<()> {
        let op = i.op.encoding().1 as u16;
        let v128 = ValType::V128;
        let lane = match i.imm {
            Imm::Lane(l) | Imm::MemArgLane(_, l) => l,
            _ => 0,
        };
        let op_lane = (op << 4) | u16::from(lane & 0xf);
        match sc {
            SimdClass::Load(n) => {
                let (m, mt, fast) = self.memarg(&i.imm, n)?;
                let a = self.pop_expect(addr_type(mt.idx64))?;
                let (dst, addr) = (a.slot, Self::src(&a));
                match fast {
                    Some(off) => self.emit_result(Ins::VLoad { op, dst, addr, off }, v128),
                    None => {
                        self.emit_ext(Ext::Load {
                            op: i.op,
                            mem: m.mem,
                            dst,
                            addr,
                            off: m.offset,
                            lane: 0,
                        });
                        self.push(v128);
                    }
                }
            }
            SimdClass::Store => {
                let (m, mt, fast) = self.memarg(&i.imm, 16)?;
                let x = self.pop_expect(v128)?;
                let a = self.pop_expect(addr_type(mt.idx64))?;
                let (addr, val) = (Self::src(&a), Self::src(&x));
                match fast {
                    Some(off) => {
                        self.emit(Ins::VStore { addr, val, off });
                    }
                    None => self.emit_ext(Ext::Store {
                        op: i.op,
                        mem: m.mem,
                        addr,
                        val,
                        off: m.offset,
                        lane: 0,
                    }),
                }
            }
            SimdClass::LoadLane(n) | SimdClass::StoreLane(n) => {
                let (m, mt, fast) = self.memarg(&i.imm, n)?;
                if u32::from(lane) >= lane_count(n) {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                let mut x = self.pop_expect(v128)?;
                let a = self.pop_expect(addr_type(mt.idx64))?;
                let addr = Self::src(&a);
                if matches!(sc, SimdClass::LoadLane(_)) {
                    self.materialize_opd(&mut x);
                    match fast {
                        Some(off) => {
                            self.emit(Ins::VLoadLane {
                                op_lane,
                                dst: a.slot,
                                addr,
                                off,
                            });
                        }
                        None => self.emit_ext(Ext::Load {
                            op: i.op,
                            mem: m.mem,
                            dst: a.slot,
                            addr,
                            off: m.offset,
                            lane,
                        }),
                    }
                    self.height = a.slot;
                    self.push(v128);
                } else {
                    let val = Self::src(&x);
                    match fast {
                        Some(off) => {
                            self.emit(Ins::VStoreLane {
                                op_lane,
                                addr,
                                val,
                                off,
                            });
                        }
                        None => self.emit_ext(Ext::Store {
                            op: i.op,
                            mem: m.mem,
                            addr,
                            val,
                            off: m.offset,
                            lane,
                        }),
                    }
                }
            }
            SimdClass::Const => {
                let Imm::V128(b) = i.imm else {
                    return mismatch("");
                };
                self.push_const(v128, u128::from_le_bytes(b));
            }
            SimdClass::Shuffle => {
                let Imm::Shuffle(lanes) = i.imm else {
                    return mismatch("");
                };
                if lanes.iter().any(|&l| l >= 32) {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                let base = self.pop_contiguous(&[v128, v128])?;
                self.shuffles.push(lanes);
                self.emit(Ins::VShuffle {
                    dst: base,
                    idx: (self.shuffles.len() - 1) as u32,
                });
                self.height = base;
                self.push(v128);
            }
            SimdClass::Un => {
                let x = self.pop_expect(v128)?;
                self.emit_result(
                    Ins::VUn {
                        op,
                        dst: x.slot,
                        a: Self::src(&x),
                    },
                    v128,
                );
            }
            SimdClass::Bin => {
                let y = self.pop_expect(v128)?;
                let x = self.pop_expect(v128)?;
                self.emit_result(
                    Ins::VBin {
                        op,
                        dst: x.slot,
                        a: Self::src(&x),
                        b: Self::src(&y),
                    },
                    v128,
                );
            }
            SimdClass::Tern => {
                let base = self.pop_contiguous(&[v128, v128, v128])?;
                self.emit(Ins::VTern { op, dst: base });
                self.height = base;
                self.push(v128);
            }
            SimdClass::Test => {
                let x = self.pop_expect(v128)?;
                self.emit_result(
                    Ins::VTest {
                        op,
                        dst: x.slot,
                        a: Self::src(&x),
                    },
                    ValType::I32,
                );
            }
            SimdClass::Shift => {
                let y = self.pop_expect(ValType::I32)?;
                let x = self.pop_expect(v128)?;
                self.emit_result(
                    Ins::VShift {
                        op,
                        dst: x.slot,
                        a: Self::src(&x),
                        b: Self::src(&y),
                    },
                    v128,
                );
            }
            SimdClass::Splat(t) => {
                let x = self.pop_expect(t.into())?;
                self.emit_result(
                    Ins::VSplat {
                        op,
                        dst: x.slot,
                        a: Self::src(&x),
                    },
                    v128,
                );
            }
            SimdClass::Extract(t, lanes) => {
                if lane >= lanes {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                let x = self.pop_expect(v128)?;
                self.emit_result(
                    Ins::VExtract {
                        op_lane,
                        dst: x.slot,
                        a: Self::src(&x),
                    },
                    t.into(),
                );
            }
            SimdClass::Replace(t, lanes) => {
                if lane >= lanes {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                let y = self.pop_expect(t.into())?;
                let x = self.pop_expect(v128)?;
                let ins = Ins::VReplace {
                    op_lane,
                    dst: x.slot,
                    a: Self::src(&x),
                    b: Self::src(&y),
                };
                self.emit_result(ins, v128);
            }
        }
        Ok(())
    }
}
