//! valid: functions — the spec's validation algorithm (operand and control
//! stacks, polymorphic stack after unconditional branches), translating each
//! instruction into internal code in the same pass.

use std::collections::HashMap;

use super::{Ctx, Result, ValidationError, addr_type, mismatch};
use crate::exec::code::{CompiledFunc, Ext, Handler, HandlerKind, Ins};
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
    TryTable,
    /// Legacy `try` body.
    Try,
    /// Legacy `catch`/`catch_all` body.
    Catch,
}

#[derive(Clone, Copy, Debug)]
enum Fixup {
    Ins(usize),
    Table(usize),
    Handler(usize),
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
    /// Length of the initialised-locals list on entry.
    inits: usize,
    /// `try_table`: its handler entries; legacy `try`: its exception slot and
    /// the end of its body.
    try_handlers: Vec<usize>,
    exn_slot: u32,
    body_end: u32,
}

/// A jump made by `Compiler::cond_jump` with its target set.
fn with_target(mut jump: Ins, target: u32) -> Ins {
    if let Some(t) = jump.target_mut() {
        *t = target;
    }
    jump
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
    num_params: u64,
    code: Vec<Ins>,
    /// The wasm instruction each of `code` came from (exec/coverage.rs).
    origins: Vec<u32>,
    /// The wasm instruction being translated.
    cur_op: Option<Opcode>,
    /// Whether an internal instruction already counts for `cur_op`.
    counted: bool,
    /// The fused comparison and polarity of the conditional jump that
    /// `cond_jump` made, for the origin of its emission.
    jump_origin: Option<(Option<Opcode>, bool)>,
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
    /// Code before this instruction index may be reached by jumps from
    /// later code or end a block: `fold_address` removes nothing there.
    barrier: usize,
    /// Non-defaultable locals initialised so far (valid: local initialisation).
    inits: Vec<u32>,
    handlers: Vec<Handler>,
    ref_types: Vec<RefType>,
    /// Next hidden slot for a legacy `try`'s caught exception.
    next_exn_slot: u32,
    /// Constant-expression mode: only constant instructions, globals below the bound.
    const_globals: Option<usize>,
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
        c.check_val(t)?;
        if !t.defaultable() && !c.f.function_references {
            return Err(ValidationError::FeatureDisabled {
                what: "non-defaultable local".into(),
                feature: "function_references",
            });
        }
        locals.push((idx, slot, t, u64::from(n)));
        idx += u64::from(n);
        slot += u64::from(n) * u64::from(t.slots());
    }
    let num_tries = f.body.iter().filter(|i| i.op == Opcode::Try).count() as u64;
    let exn_base = slot;
    slot += num_tries;
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
        num_params: ft.params.len() as u64,
        code: Vec::new(),
        origins: Vec::new(),
        cur_op: None,
        counted: false,
        jump_origin: None,
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
        barrier: 0,
        inits: Vec::new(),
        handlers: Vec::new(),
        ref_types: Vec::new(),
        next_exn_slot: exn_base.min(MAX_FRAME_SLOTS) as u32,
        const_globals: None,
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
        inits: 0,
        try_handlers: Vec::new(),
        exn_slot: 0,
        body_end: 0,
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
    // Innermost handlers first; clauses of one try in order.
    k.handlers.sort_by_key(|h| std::cmp::Reverse(h.depth));
    shorten_returns(&mut k.code, &mut k.origins);
    fuse_add_branches(
        &mut k.code,
        &mut k.origins,
        &mut k.br_table,
        &mut k.handlers,
    );
    let frame_size = k.max_height.saturating_add(2);
    let entry = if frame_size as usize <= crate::exec::code::WINDOW {
        let mut e = vec![0; (const_base as u64 - param_slots) as usize];
        e.extend_from_slice(&k.consts);
        e
    } else {
        Vec::new()
    };
    Ok(CompiledFunc {
        entry,
        handlers: k.handlers,
        ref_types: k.ref_types,
        ty: ft,
        code: k.code,
        origins: k.origins,
        br_table: k.br_table,
        consts: k.consts,
        v128s: k.v128s,
        shuffles: k.shuffles,
        ext: k.ext,
        param_slots: param_slots as u32,
        local_slots: const_base,
        frame_size,
        result_slots,
        too_big,
    })
}

/// The slots written by an instruction of straight-line code (no jump,
/// call or block boundary): first slot and count (two for a v128, none for
/// a store). `None` for any other instruction.
fn straight(ins: &Ins) -> Option<(u32, u32)> {
    match *ins {
        Ins::Copy { dst, .. } => Some((dst, 1)),
        Ins::Copy2 { dst, .. } => Some((dst, 2)),
        _ if ins.wrapped_address().is_some() => {
            let mut i = *ins;
            Some(i.dst_mut().map_or((0, 0), |d| (*d, 2)))
        }
        _ => {
            let mut i = *ins;
            let wide = matches!(
                ins,
                Ins::GlobalGet2 { .. }
                    | Ins::VUn { .. }
                    | Ins::VBin { .. }
                    | Ins::VShift { .. }
                    | Ins::VSplat { .. }
                    | Ins::VReplace { .. }
                    | Ins::VLoad { .. }
            );
            match i.dst_mut() {
                Some(d) => Some((*d, if wide { 2 } else { 1 })),
                None => crate::exec::code::is_fast_store(ins).then_some((0, 0)),
            }
        }
    }
}

/// Peephole on finished code: an add into its own operand followed by the
/// conditional jump testing the sum (a loop counter's step and test) become
/// one instruction (`Ins::fuse_add_branch`) where no jump lands between
/// them; the instruction indices after each removed add move down.
fn fuse_add_branches(
    code: &mut Vec<Ins>,
    origins: &mut Vec<u32>,
    br_table: &mut [u32],
    handlers: &mut [Handler],
) {
    use crate::exec::coverage::merge_add_origin;
    // Every instruction index something may continue at.
    let mut landing = vec![false; code.len() + 1];
    let mut mark = |t: u32| {
        if let Some(l) = landing.get_mut(t as usize) {
            *l = true;
        }
    };
    for ins in code.iter() {
        let mut i = *ins;
        if let Some(t) = i.target_mut() {
            mark(*t);
        }
    }
    br_table.iter().for_each(|&t| mark(t));
    for h in handlers.iter() {
        mark(h.start);
        mark(h.end);
        if let HandlerKind::Catch { target, .. } = h.kind {
            mark(target);
        }
    }
    let mut keep = vec![true; code.len()];
    let mut any = false;
    for pc in 0..code.len().saturating_sub(1) {
        if !keep[pc] || landing[pc + 1] {
            continue;
        }
        if let Some(fused) = code[pc].fuse_add_branch(&code[pc + 1])
            && let Some(o) = merge_add_origin(origins[pc], origins[pc + 1])
        {
            code[pc + 1] = fused;
            origins[pc + 1] = o;
            keep[pc] = false;
            any = true;
        }
    }
    if !any {
        return;
    }
    // new[pc]: the index of the first kept instruction at or after pc.
    let mut new = Vec::with_capacity(code.len() + 1);
    let mut n = 0u32;
    for &k in &keep {
        new.push(n);
        n += u32::from(k);
    }
    new.push(n);
    let map = |t: u32| new.get(t as usize).copied().unwrap_or(t);
    let mut w = 0;
    for pc in 0..code.len() {
        if keep[pc] {
            let mut ins = code[pc];
            if let Some(t) = ins.target_mut() {
                *t = map(*t);
            }
            code[w] = ins;
            origins[w] = origins[pc];
            w += 1;
        }
    }
    code.truncate(w);
    origins.truncate(w);
    br_table.iter_mut().for_each(|t| *t = map(*t));
    for h in handlers.iter_mut() {
        h.start = map(h.start);
        h.end = map(h.end);
        if let HandlerKind::Catch { target, .. } = &mut h.kind {
            *target = map(*target);
        }
    }
}

/// Peephole on finished code: a copy of one slot followed by the return of
/// that slot becomes the return of the copy's source, and a jump to a
/// return becomes that return (one instruction instead of two; the
/// instruction after each stays for the jumps that reach it).
fn shorten_returns(code: &mut [Ins], origins: &mut [u32]) {
    use crate::exec::coverage::merge_origins;
    let jumps_to_returns = |code: &mut [Ins], origins: &mut [u32]| {
        for pc in 0..code.len() {
            if let Ins::Br { target } = code[pc]
                && let Some(&ret @ Ins::Return { .. }) = code.get(target as usize)
                && let Some(o) = merge_origins(origins[pc], origins[target as usize])
            {
                code[pc] = ret;
                origins[pc] = o;
            }
        }
    };
    jumps_to_returns(code, origins);
    for pc in (0..code.len().saturating_sub(1)).rev() {
        if let (Ins::Copy { dst, src }, Ins::Return { src: r, n: 1 }) = (code[pc], code[pc + 1])
            && dst == r
            && let Some(o) = merge_origins(origins[pc], origins[pc + 1])
        {
            code[pc] = Ins::Return { src, n: 1 };
            origins[pc] = o;
        }
    }
    jumps_to_returns(code, origins);
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
        let ctrl = self.ctrls.last().expect("control stack");
        if self.vals.len() == ctrl.height && !ctrl.unreachable {
            return mismatch(format!("instruction requires [{t}] but stack has []"));
        }
        let o = self.pop()?;
        if let Some(a) = o.ty
            && !self.c.match_val(a, t)
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

    /// `block requires [results] but stack has [...]` for values left over.
    fn leftover(&self, results: &[ValType], opds: &[Opd]) -> ValidationError {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        let show = |t: Option<ValType>| t.map_or("(bot)".to_string(), |t| t.to_string());
        let have: Vec<String> = self.vals[h.min(self.vals.len())..]
            .iter()
            .chain(opds)
            .map(|o| show(o.ty))
            .collect();
        let want: Vec<String> = results.iter().map(|t| t.to_string()).collect();
        ValidationError::TypeMismatch(format!(
            "block requires [{}] but stack has [{}]",
            want.join(" "),
            have.join(" ")
        ))
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
        self.push_origin(&ins);
        if straight(&ins).is_none() {
            self.barrier = self.code.len();
        }
        self.code.len() - 1
    }

    /// Records the origin of the instruction just pushed: the first
    /// internal instruction of a wasm instruction counts for it (a copy only
    /// for `local.*`); the rest, and operand-stack copies, count for none.
    fn push_origin(&mut self, ins: &Ins) {
        let jump = self.jump_origin.take();
        let copy = matches!(ins, Ins::Copy { .. } | Ins::Copy2 { .. });
        let o = match self.cur_op {
            Some(op)
                if !self.counted
                    && (!copy
                        || matches!(
                            op,
                            Opcode::LocalSet | Opcode::LocalTee | Opcode::LocalGet
                        )) =>
            {
                self.counted = true;
                let (fused, inverted) = jump.unwrap_or((None, false));
                crate::exec::coverage::origin(op, fused, inverted)
            }
            _ => 0,
        };
        self.origins.push(o);
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
                    self.origins.push(0);
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
                        lo: bits as u32,
                        hi: (bits >> 32) as u32,
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
            BlockType::Val(t) => {
                self.c.check_val(*t)?;
                (vec![], vec![*t])
            }
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
            inits: self.inits.len(),
            try_handlers: Vec::new(),
            exn_slot: 0,
            body_end: 0,
        });
        self.last_result = None;
        self.barrier = self.code.len();
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
            Fixup::Handler(i) => {
                if let HandlerKind::Catch { target: t, .. } = &mut self.handlers[i].kind {
                    *t = target;
                }
            }
            Fixup::Ins(pc) => {
                if let Some(t) = self.code[pc].target_mut() {
                    *t = target;
                }
            }
        }
    }

    fn end(&mut self) -> Result<()> {
        let results = self.ctrls.last().expect("control").results.clone();
        let mut opds = self.pop_types(&results)?;
        {
            let c = self.ctrls.last().expect("control");
            if self.vals.len() != c.height {
                return Err(self.leftover(&results, &opds));
            }
            if c.kind == Kind::If && c.params != c.results {
                return mismatch("if without else must have matching parameter and result types");
            }
        }
        for o in opds.iter_mut() {
            self.materialize_opd(o);
        }
        let c = self.ctrls.pop().expect("control");
        self.inits.truncate(c.inits);
        self.barrier = self.code.len();
        let here = self.code.len() as u32;
        if c.kind == Kind::TryTable {
            for &h in &c.try_handlers {
                self.handlers[h].end = here;
            }
        }
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
                self.origins.push(0);
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
        let fast = (m.mem == 0 && !mt.idx64 && !mt.shared).then_some(m.offset as u32);
        Ok((m, mt, fast))
    }

    /// Whether memory `x` is served by the interpreter's fast path: memory 0,
    /// 32-bit and unshared (a shared memory's bytes are atomic words).
    fn mem_fast(&self, x: u32) -> Result<bool> {
        let mt = self.c.mem(x)?;
        Ok(x == 0 && !mt.idx64 && !mt.shared)
    }

    /// threads: valid — atomic instructions. The memory must exist, the
    /// alignment must be exactly natural; all run off the fast path.
    fn atomic(&mut self, i: &Instr, ac: AtomicClass) -> Result<()> {
        if ac == AtomicClass::Fence {
            self.emit_ext(Ext::Atomic {
                op: i.op,
                mem: 0,
                base: self.height,
                off: 0,
            });
            return Ok(());
        }
        let Imm::MemArg(m) = i.imm else {
            return mismatch("");
        };
        self.c.mem(m.mem)?;
        // threads: valid — an atomic access's alignment equals its width.
        if m.align >= 32 || 1u64 << m.align != u64::from(ac.width()) {
            return Err(ValidationError::AtomicAlignment);
        }
        let (m, mt, _) = self.memarg(&i.imm, ac.width())?;
        let at = addr_type(mt.idx64);
        let num = |t: NumType| -> ValType { t.into() };
        let (params, result): (Vec<ValType>, Option<ValType>) = match ac {
            AtomicClass::Notify => (vec![at, ValType::I32], Some(ValType::I32)),
            AtomicClass::Wait(t) => (vec![at, num(t), ValType::I64], Some(ValType::I32)),
            AtomicClass::Load(t, _) => (vec![at], Some(num(t))),
            AtomicClass::Store(t, _) => (vec![at, num(t)], None),
            AtomicClass::Rmw(t, ..) => (vec![at, num(t)], Some(num(t))),
            AtomicClass::Cmpxchg(t, _) => (vec![at, num(t), num(t)], Some(num(t))),
            AtomicClass::Fence => (vec![], None),
        };
        let base = self.pop_contiguous(&params)?;
        self.emit_ext(Ext::Atomic {
            op: i.op,
            mem: m.mem,
            base,
            off: m.offset,
        });
        if let Some(t) = result {
            self.height = base;
            self.push(t);
        }
        Ok(())
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
        (self.cur_op, self.counted, self.jump_origin) = (Some(op), false, None);
        if let Some(visible) = self.const_globals {
            // valid: constant expressions — constant instructions only.
            if !is_constant(op, &self.c.f) {
                return Err(ValidationError::ConstantExprRequired);
            }
            if op == Opcode::GlobalGet {
                let x = i.idx();
                if x as usize >= visible {
                    return Err(ValidationError::Unknown("global", x));
                }
                if self.c.global(x)?.mutable {
                    return Err(ValidationError::ConstantExprRequired);
                }
            }
        }
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
                    let ins = self.fold_address(&a, &ins).unwrap_or(ins);
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
                    let ins = Ins::store(op, Self::src(&a), Self::src(&v), off).expect("store");
                    let ins = self.fold_address(&a, &ins).unwrap_or(ins);
                    self.emit(ins);
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
            Class::Atomic(ac) => return self.atomic(i, ac),
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
                let skip = self.cond_jump(&cond, false);
                self.push_ctrl(Kind::If, p, r)?;
                let pc = self.emit(with_target(skip, u32::MAX));
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
                    return Err(self.leftover(&results, &opds));
                }
                for o in opds.iter_mut() {
                    self.materialize_opd(o);
                }
                let top = self.ctrls.len() - 1;
                self.emit_jump(top, |t| Ins::Br { target: t });
                let here = self.code.len() as u32;
                let c = self.ctrls.last_mut().expect("control");
                if let Some(pc) = c.else_fixup.take()
                    && let Some(target) = self.code[pc].target_mut()
                {
                    *target = here;
                }
                c.kind = Kind::Else;
                c.unreachable = false;
                self.barrier = self.code.len();
                let (slot, params) = (c.slot, c.params.clone());
                let inits = c.inits;
                self.inits.truncate(inits);
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
                    if copies.is_empty() {
                        let jump = self.cond_jump(&cond, true);
                        self.emit_jump(t, |t| with_target(jump, t));
                    } else {
                        let skip = self.cond_jump(&cond, false);
                        let skip = self.emit(skip);
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
                    // valid 1.0: br_table — every label has the default label's type.
                    if self.c.f.pre_v2_rules() && lt != self.ctrls[dt].label_types() {
                        return mismatch("br_table labels have different types");
                    }
                    for (o, &ty) in opds.iter().zip(lt) {
                        if let Some(a) = o.ty
                            && !self.c.match_val(a, ty)
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
                if !self.c.match_ref(tt.elem, RefType::FUNCREF) {
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
                    self.c.check_val(ts[0])?;
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
                // valid: local.get — non-defaultable locals must be initialised.
                if !t.defaultable()
                    && u64::from(i.idx()) >= self.num_params
                    && !self.inits.contains(&i.idx())
                {
                    return Err(ValidationError::UninitializedLocal(i.idx()));
                }
                self.push_opd(Some(t), Loc::Slot(s), true);
            }
            Opcode::LocalSet | Opcode::LocalTee => {
                let (t, s) = self.local(i.idx())?;
                let v = self.pop_expect(t)?;
                if !t.defaultable() && !self.inits.contains(&i.idx()) {
                    self.inits.push(i.idx());
                }
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
                    // The wording changed with typed function references.
                    return Err(ValidationError::ImmutableGlobal {
                        legacy: self.c.f.legacy_v2_messages() && !self.c.f.function_references,
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
                if !self
                    .c
                    .match_val(ValType::Ref(ts.elem), ValType::Ref(td.elem))
                {
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
                if !self.c.match_val(ValType::Ref(et), ValType::Ref(tt.elem)) {
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
                if self.mem_fast(mem)? {
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
                if self.mem_fast(mem)? {
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
                if self.mem_fast(mem)? {
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
                if self.mem_fast(d)? && self.mem_fast(s)? {
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
                if self.mem_fast(m)? {
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
                self.c.check_heap(h)?;
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
                if self.const_globals.is_none() && !self.c.refs.contains(&x) {
                    return Err(ValidationError::UndeclaredFuncRef(x));
                }
                // valid: ref.func — typed `(ref $t)` with function references;
                // custom-descriptors: `(ref (exact $t))` unless an inexact import.
                let ty = if self.c.f.function_references {
                    let t = self.c.funcs[x as usize];
                    let heap = if self.c.funcs_exact[x as usize] {
                        self.alloc_heap(t)
                    } else {
                        HeapType::Concrete(t)
                    };
                    ValType::Ref(RefType::new(false, heap))
                } else {
                    ValType::FUNCREF
                };
                let dst = self.height;
                self.emit_result(Ins::RefFunc { dst, func: x }, ty);
            }
            _ => return self.instr3(i),
        }
        Ok(())
    }

    /// valid: return_call* — the callee's results match the caller's.
    fn check_tail_results(&self, results: &[ValType]) -> Result<()> {
        let own = &self.ctrls[0].results;
        if results.len() != own.len()
            || !results
                .iter()
                .zip(own)
                .all(|(&a, &e)| self.c.match_val(a, e))
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

    /// The jump on the popped i32 `cond` taken when it is non-zero (`when`)
    /// or zero, its target still to be set. When `cond` is the result of the
    /// comparison just emitted, that comparison becomes part of the jump.
    fn cond_jump(&mut self, cond: &Opd, when: bool) -> Ins {
        if matches!(cond.loc, Loc::Stack)
            && let Some(pc) = self.last_result_pc()
            && self.code[pc].dst_mut().is_some_and(|d| *d == cond.slot)
            && let Some(jump) = self.code[pc].fuse_branch(when, 0)
        {
            self.code.pop();
            let cmp = self
                .origins
                .pop()
                .and_then(crate::exec::coverage::origin_op);
            self.jump_origin = Some((cmp, !when));
            self.last_result = None;
            return jump;
        }
        self.jump_origin = Some((None, !when));
        let cond = Self::src(cond);
        if when {
            Ins::BrIfNz { cond, target: 0 }
        } else {
            Ins::BrIfZ { cond, target: 0 }
        }
    }

    /// When the address operand `a` of the fast-path load or store `access`
    /// is the result of an `i32.add` of a constant emitted since the last
    /// barrier, with only straight-line code after it that does not write
    /// the add's other operand, removes the add and returns the access
    /// doing it (`Ins::fold_address`; one instruction instead of two). Its
    /// origin counts the add as fused.
    fn fold_address(&mut self, a: &Opd, access: &Ins) -> Option<Ins> {
        if !matches!(a.loc, Loc::Stack) || !self.live() {
            return None;
        }
        let from = self.barrier.min(self.code.len());
        // The last instruction writing the address slot.
        let pc = (from..self.code.len()).rev().find(|&pc| {
            straight(&self.code[pc])
                .is_none_or(|(d, n)| d <= a.slot && a.slot < d.saturating_add(n))
        })?;
        let Ins::I32Add { dst, a: x, b: y } = self.code[pc] else {
            return None;
        };
        if dst != a.slot {
            return None;
        }
        // A slot of the constant area holds its constant for the whole call.
        let konst = |s: u32| {
            s.checked_sub(self.const_base)
                .and_then(|i| self.consts.get(i as usize))
                .map(|&v| v as u32)
        };
        let (x, c) = match (konst(y), konst(x)) {
            (Some(c), _) => (x, c),
            (None, Some(c)) => (y, c),
            (None, None) => return None,
        };
        // The access reads `x` where the add did: nothing in between may
        // write it.
        let untouched = self.code[pc + 1..]
            .iter()
            .all(|i| straight(i).is_some_and(|(d, n)| n == 0 || x < d || x >= d.saturating_add(n)));
        if !untouched {
            return None;
        }
        let folded = access.fold_address(x, c)?;
        self.code.remove(pc);
        let add = crate::exec::coverage::origin_op(self.origins.remove(pc));
        self.jump_origin = Some((add, false));
        self.last_result = None;
        Some(folded)
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

/// valid: constant expressions — typed by the function validator in constant mode.
pub(super) fn check_const(c: &Ctx<'_>, e: &Expr, t: ValType, visible_globals: usize) -> Result<()> {
    let mut k = Compiler {
        c,
        vals: Vec::new(),
        ctrls: Vec::new(),
        locals: Vec::new(),
        num_locals: 0,
        num_params: 0,
        code: Vec::new(),
        origins: Vec::new(),
        cur_op: None,
        counted: false,
        jump_origin: None,
        br_table: Vec::new(),
        consts: Vec::new(),
        const_map: HashMap::new(),
        const_base: 0,
        const_cap: 0,
        v128s: Vec::new(),
        shuffles: Vec::new(),
        ext: Vec::new(),
        height: 0,
        max_height: 0,
        last_result: None,
        barrier: 0,
        inits: Vec::new(),
        handlers: Vec::new(),
        ref_types: Vec::new(),
        next_exn_slot: 0,
        const_globals: Some(visible_globals),
    };
    k.ctrls.push(Ctrl {
        kind: Kind::Func,
        params: Vec::new(),
        results: vec![t],
        height: 0,
        slot: 0,
        unreachable: false,
        dead: false,
        start_pc: 0,
        fixups: Vec::new(),
        else_fixup: None,
        inits: 0,
        try_handlers: Vec::new(),
        exn_slot: 0,
        body_end: 0,
    });
    for ins in e {
        if k.ctrls.is_empty() {
            return mismatch("instructions after constant expression end");
        }
        k.instr(ins)?;
    }
    if !k.ctrls.is_empty() {
        return mismatch("constant expression not terminated");
    }
    Ok(())
}

/// Whether an instruction may appear in a constant expression.
fn is_constant(op: Opcode, f: &crate::Features) -> bool {
    use Opcode::*;
    match op {
        I32Const | I64Const | F32Const | F64Const | V128Const | RefNull | RefFunc | GlobalGet
        | End => true,
        I32Add | I32Sub | I32Mul | I64Add | I64Sub | I64Mul => f.extended_const,
        RefI31 | StructNew | StructNewDefault | ArrayNew | ArrayNewDefault | ArrayNewFixed
        | AnyConvertExtern | ExternConvertAny => f.gc,
        StructNewDesc | StructNewDefaultDesc => f.custom_descriptors,
        _ => false,
    }
}

const NO_SLOT: u32 = u32::MAX;

/// Builds a conditional cast branch `(a, rt, target)`.
type CastJump = fn(u32, u32, u32) -> Ins;

impl Compiler<'_> {
    fn ref_ty(nullable: bool, heap: HeapType) -> ValType {
        ValType::Ref(RefType::new(nullable, heap))
    }

    /// custom-descriptors: allocations (and defined functions) produce exact
    /// references `(ref (exact x))`; without the proposal, `(ref x)`.
    fn alloc_heap(&self, x: u32) -> HeapType {
        if self.c.f.custom_descriptors {
            HeapType::Exact(x)
        } else {
            HeapType::Concrete(x)
        }
    }

    /// custom-descriptors: valid desc_cast_ref — the descriptor operand type
    /// `(ref null exact? y)` of a descriptor cast to `rt = (ref null? exact? x)`
    /// where `x` has `descriptor y`.
    fn desc_cast_ref(&self, rt: RefType) -> Result<RefType> {
        let none =
            || ValidationError::Descriptor(format!("type {} does not have a descriptor", rt.heap));
        let x = rt.heap.def_index().ok_or_else(none)?;
        let y = self.c.def(x)?.descriptor.ok_or_else(none)?;
        let heap = match rt.heap {
            HeapType::Exact(_) => HeapType::Exact(y),
            _ => HeapType::Concrete(y),
        };
        Ok(RefType::new(true, heap))
    }

    /// custom-descriptors: the descriptor type of a struct type allocated with
    /// a descriptor, or the reference interpreter's error.
    fn alloc_desc(&self, x: u32, with_desc: bool) -> Result<Option<u32>> {
        match (self.c.def(x)?.descriptor, with_desc) {
            (Some(_), false) => Err(ValidationError::Descriptor(
                "type with descriptor requires descriptor allocation".into(),
            )),
            (None, true) => Err(ValidationError::Descriptor(
                "type without descriptor requires non-descriptor allocation".into(),
            )),
            (d, _) => Ok(d),
        }
    }

    /// valid: br_on_cast(_fail) — the target type `rt2` matches the source
    /// type `rt1`; custom-descriptors relaxes this to both having the same top
    /// type.
    fn check_cast_types(&self, rt1: RefType, rt2: RefType) -> Result<()> {
        if self.c.f.custom_descriptors {
            let (t1, t2) = (self.c.top(rt1.heap), self.c.top(rt2.heap));
            if t1 != t2 {
                return Err(ValidationError::CastTopMismatch(rt1.heap, rt2.heap));
            }
        } else if !self.c.match_ref(rt2, rt1) {
            return mismatch(format!("type {rt2} does not match {rt1}"));
        }
        Ok(())
    }

    /// custom-descriptors: valid br_on_cast_desc_eq(_fail) — `br_on_cast(_fail)`
    /// with a descriptor operand `(ref null exact? y)` on top of the reference.
    fn br_on_cast_desc(&mut self, i: &Instr) -> Result<()> {
        let Imm::Cast(b) = &i.imm else {
            return mismatch("");
        };
        let (l, rt1, rt2) = **b;
        self.c.check_heap(rt1.heap)?;
        self.c.check_heap(rt2.heap)?;
        let t = self.label(l)?;
        self.check_cast_types(rt1, rt2)?;
        let on_cast = i.op == Opcode::BrOnCastDescEq;
        let diff = RefType::new(rt1.nullable && !rt2.nullable, rt1.heap);
        let (branch_ty, fall_ty) = if on_cast { (rt2, diff) } else { (diff, rt2) };
        let lt = self.ctrls[t].label_types().to_vec();
        let Some(ValType::Ref(last)) = lt.last().copied() else {
            return mismatch("br_on_cast_desc_eq requires a label of reference type");
        };
        if !self.c.match_ref(branch_ty, last) {
            return mismatch(format!("type {branch_ty} does not match {last}"));
        }
        let dt = self.desc_cast_ref(rt2)?;
        let d = self.pop_expect(ValType::Ref(dt))?;
        let mut o = self.pop_expect(ValType::Ref(rt1))?;
        let mut opds = self.pop_types(&lt[..lt.len() - 1])?;
        let (a, d, nullable) = (Self::src(&o), Self::src(&d), u16::from(rt2.nullable));
        o.ty = Some(ValType::Ref(branch_ty));
        opds.push(o);
        let cast = move |target| Ins::BrIfCastDesc {
            nullable,
            a,
            d,
            target,
        };
        let not_cast = move |target| Ins::BrIfNotCastDesc {
            nullable,
            a,
            d,
            target,
        };
        if on_cast {
            self.cond_branch(t, &opds, cast, not_cast(0));
        } else {
            self.cond_branch(t, &opds, not_cast, cast(0));
        }
        opds.pop();
        for (p, &ty) in opds.iter().zip(&lt) {
            self.push_opd(Some(ty), p.loc, p.local);
        }
        self.push_opd(Some(ValType::Ref(fall_ty)), o.loc, o.local);
        Ok(())
    }

    /// The type of the topmost operand without popping it; `None` for the
    /// bottom type (unreachable code or an empty stack).
    fn peek_type(&self) -> Option<ValType> {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        if self.vals.len() > h {
            self.vals.last().and_then(|o| o.ty)
        } else {
            None
        }
    }

    /// Pops a reference operand; `None` type for the bottom type.
    fn pop_any_ref(&mut self) -> Result<(Opd, Option<RefType>)> {
        let o = self.pop()?;
        match o.ty {
            None => Ok((o, None)),
            Some(ValType::Ref(r)) => Ok((o, Some(r))),
            Some(t) => mismatch(format!(
                "instruction requires reference type but stack has {t}"
            )),
        }
    }

    fn add_ref_type(&mut self, rt: RefType) -> u32 {
        self.ref_types.push(rt);
        (self.ref_types.len() - 1) as u32
    }

    /// Emits a conditional branch to label `t` carrying `opds`: `taken` jumps
    /// when the condition holds, `not_taken` is its negation (used to skip copies).
    fn cond_branch(&mut self, t: usize, opds: &[Opd], taken: impl Fn(u32) -> Ins, not_taken: Ins) {
        if !self.live() {
            return;
        }
        let copies = self.branch_copies(t, opds);
        // Copies first: the emitted jump skips them when the branch is not taken.
        self.jump_origin = Some((None, !copies.is_empty()));
        if copies.is_empty() {
            self.emit_jump(t, taken);
        } else {
            let skip = self.emit(not_taken);
            for ins in copies {
                self.emit(ins);
            }
            self.emit_jump(t, |t| Ins::Br { target: t });
            let here = self.code.len() as u32;
            self.patch(Fixup::Ins(skip), here);
        }
    }

    fn field(&self, x: u32, y: u32) -> Result<FieldType> {
        self.c
            .struct_type(x)?
            .get(y as usize)
            .copied()
            .ok_or(ValidationError::Unknown("field", y))
    }

    /// Typing of the 3.0 instructions (typed references, GC, exceptions).
    fn instr3(&mut self, i: &Instr) -> Result<()> {
        let op = i.op;
        let i32t = ValType::I32;
        match op {
            Opcode::RefAsNonNull => {
                let (o, rt) = self.pop_any_ref()?;
                let ty = rt.map(|r| Self::ref_ty(false, r.heap));
                let a = Self::src(&o);
                self.emit(Ins::RefAsNonNull { dst: o.slot, a });
                self.push_opd(ty, Loc::Stack, false);
            }
            Opcode::BrOnNull => {
                let t = self.label(i.idx())?;
                let (o, rt) = self.pop_any_ref()?;
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_types(&lt)?;
                let cond = Self::src(&o);
                self.cond_branch(
                    t,
                    &opds,
                    |target| Ins::BrIfNull { cond, target },
                    Ins::BrIfNonNull { cond, target: 0 },
                );
                for (p, &ty) in opds.iter().zip(&lt) {
                    self.push_opd(Some(ty), p.loc, p.local);
                }
                let ty = rt.map(|r| Self::ref_ty(false, r.heap));
                self.push_opd(ty, o.loc, o.local);
            }
            Opcode::BrOnNonNull => {
                let t = self.label(i.idx())?;
                let lt = self.ctrls[t].label_types().to_vec();
                let Some(ValType::Ref(last)) = lt.last().copied() else {
                    return mismatch("br_on_non_null requires a label of reference type");
                };
                let (mut o, rt) = self.pop_any_ref()?;
                if let Some(r) = rt
                    && !self.c.match_ref(RefType::new(false, r.heap), last)
                {
                    return mismatch(format!(
                        "br_on_non_null requires [{last}] but stack has [{r}]"
                    ));
                }
                let mut opds = self.pop_types(&lt[..lt.len() - 1])?;
                let cond = Self::src(&o);
                o.ty = rt.map(|r| Self::ref_ty(false, r.heap));
                opds.push(o);
                self.cond_branch(
                    t,
                    &opds,
                    |target| Ins::BrIfNonNull { cond, target },
                    Ins::BrIfNull { cond, target: 0 },
                );
                opds.pop();
                for (p, &ty) in opds.iter().zip(&lt) {
                    self.push_opd(Some(ty), p.loc, p.local);
                }
            }
            Opcode::BrOnCastDescEq | Opcode::BrOnCastDescEqFail => self.br_on_cast_desc(i)?,
            Opcode::BrOnCast | Opcode::BrOnCastFail => {
                let Imm::Cast(b) = &i.imm else {
                    return mismatch("");
                };
                let (l, rt1, rt2) = **b;
                self.c.check_heap(rt1.heap)?;
                self.c.check_heap(rt2.heap)?;
                let t = self.label(l)?;
                self.check_cast_types(rt1, rt2)?;
                let diff = RefType::new(rt1.nullable && !rt2.nullable, rt1.heap);
                let (branch_ty, fall_ty) = if op == Opcode::BrOnCast {
                    (rt2, diff)
                } else {
                    (diff, rt2)
                };
                let lt = self.ctrls[t].label_types().to_vec();
                let Some(ValType::Ref(last)) = lt.last().copied() else {
                    return mismatch("br_on_cast requires a label of reference type");
                };
                if !self.c.match_ref(branch_ty, last) {
                    return mismatch(format!("type {branch_ty} does not match {last}"));
                }
                let mut o = self.pop_expect(ValType::Ref(rt1))?;
                let mut opds = self.pop_types(&lt[..lt.len() - 1])?;
                let (a, rt) = (Self::src(&o), self.add_ref_type(rt2));
                o.ty = Some(ValType::Ref(branch_ty));
                opds.push(o);
                let (taken, not): (CastJump, CastJump) = if op == Opcode::BrOnCast {
                    (
                        |a, rt, target| Ins::BrIfCast { a, rt, target },
                        |a, rt, target| Ins::BrIfNotCast { a, rt, target },
                    )
                } else {
                    (
                        |a, rt, target| Ins::BrIfNotCast { a, rt, target },
                        |a, rt, target| Ins::BrIfCast { a, rt, target },
                    )
                };
                self.cond_branch(t, &opds, |target| taken(a, rt, target), not(a, rt, 0));
                opds.pop();
                for (p, &ty) in opds.iter().zip(&lt) {
                    self.push_opd(Some(ty), p.loc, p.local);
                }
                self.push_opd(Some(ValType::Ref(fall_ty)), o.loc, o.local);
            }
            Opcode::RefTest | Opcode::RefTestNull | Opcode::RefCast | Opcode::RefCastNull => {
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                self.c.check_heap(rt.heap)?;
                let top = Self::ref_ty(true, self.c.top(rt.heap));
                let o = self.pop_expect(top)?;
                let idx = self.add_ref_type(rt);
                let a = Self::src(&o);
                if matches!(op, Opcode::RefTest | Opcode::RefTestNull) {
                    self.emit_result(
                        Ins::RefTest {
                            dst: o.slot,
                            a,
                            rt: idx,
                        },
                        i32t,
                    );
                } else {
                    self.emit(Ins::RefCast {
                        dst: o.slot,
                        a,
                        rt: idx,
                    });
                    self.push(ValType::Ref(rt));
                }
            }
            Opcode::RefEq => {
                let eqref = Self::ref_ty(true, HeapType::Eq);
                let b = self.pop_expect(eqref)?;
                let a = self.pop_expect(eqref)?;
                self.emit_result(
                    Ins::RefEq {
                        dst: a.slot,
                        a: Self::src(&a),
                        b: Self::src(&b),
                    },
                    i32t,
                );
            }
            Opcode::RefI31 => {
                let a = self.pop_expect(i32t)?;
                self.emit_result(
                    Ins::RefI31 {
                        dst: a.slot,
                        a: Self::src(&a),
                    },
                    Self::ref_ty(false, HeapType::I31),
                );
            }
            Opcode::I31GetS | Opcode::I31GetU => {
                let a = self.pop_expect(Self::ref_ty(true, HeapType::I31))?;
                let signed = u16::from(op == Opcode::I31GetS);
                self.emit_result(
                    Ins::I31Get {
                        signed,
                        dst: a.slot,
                        a: Self::src(&a),
                    },
                    i32t,
                );
            }
            Opcode::AnyConvertExtern | Opcode::ExternConvertAny => {
                let (from, to) = if op == Opcode::AnyConvertExtern {
                    (HeapType::Extern, HeapType::Any)
                } else {
                    (HeapType::Any, HeapType::Extern)
                };
                let o = self.pop_expect(Self::ref_ty(true, from))?;
                let nullable = match o.ty {
                    Some(ValType::Ref(r)) => r.nullable,
                    _ => false,
                };
                let a = Self::src(&o);
                let ins = if op == Opcode::AnyConvertExtern {
                    Ins::AnyConvertExtern { dst: o.slot, a }
                } else {
                    Ins::ExternConvertAny { dst: o.slot, a }
                };
                self.emit_result(ins, Self::ref_ty(nullable, to));
            }
            Opcode::StructNew | Opcode::StructNewDesc => {
                let x = i.idx();
                let mut ts: Vec<ValType> = self
                    .c
                    .struct_type(x)?
                    .iter()
                    .map(|f| f.storage.unpacked())
                    .collect();
                // custom-descriptors: struct.new_desc takes `(ref null (exact y))`
                // last, for `x` with `descriptor y`; struct.new needs no descriptor.
                if let Some(y) = self.alloc_desc(x, op == Opcode::StructNewDesc)? {
                    ts.push(Self::ref_ty(true, HeapType::Exact(y)));
                }
                let base = self.pop_contiguous(&ts)?;
                if op == Opcode::StructNew {
                    self.emit(Ins::StructNew { ty: x, base });
                } else {
                    self.emit(Ins::StructNewDesc { ty: x, base });
                }
                self.height = base;
                self.push(Self::ref_ty(false, self.alloc_heap(x)));
            }
            Opcode::StructNewDefault | Opcode::StructNewDefaultDesc => {
                let x = i.idx();
                if self
                    .c
                    .struct_type(x)?
                    .iter()
                    .any(|f| !f.storage.unpacked().defaultable())
                {
                    return mismatch(format!("field type of struct {x} is not defaultable"));
                }
                let ty = Self::ref_ty(false, self.alloc_heap(x));
                match self.alloc_desc(x, op == Opcode::StructNewDefaultDesc)? {
                    Some(y) => {
                        let d = self.pop_expect(Self::ref_ty(true, HeapType::Exact(y)))?;
                        let a = Self::src(&d);
                        self.emit(Ins::StructNewDefaultDesc {
                            ty: x,
                            dst: d.slot,
                            a,
                        });
                        self.push(ty);
                    }
                    None => {
                        let dst = self.height;
                        self.emit_result(Ins::StructNewDefault { ty: x, dst }, ty);
                    }
                }
            }
            Opcode::RefGetDesc => {
                // custom-descriptors: valid ref.get_desc — exact operands (and
                // the bottom type) give an exact descriptor.
                let x = i.idx();
                let Some(y) = self.c.def(x)?.descriptor else {
                    return Err(ValidationError::Descriptor(format!(
                        "type without descriptor {x}"
                    )));
                };
                let exact = match self.peek_type() {
                    None => true,
                    Some(ValType::Ref(r)) => self.c.match_heap(r.heap, HeapType::Exact(x)),
                    Some(_) => false,
                };
                let (hx, hy) = if exact {
                    (HeapType::Exact(x), HeapType::Exact(y))
                } else {
                    (HeapType::Concrete(x), HeapType::Concrete(y))
                };
                let o = self.pop_expect(Self::ref_ty(true, hx))?;
                let a = Self::src(&o);
                self.emit(Ins::RefGetDesc { dst: o.slot, a });
                self.push(Self::ref_ty(false, hy));
            }
            Opcode::RefCastDescEq | Opcode::RefCastDescEqNull => {
                // custom-descriptors: valid ref.cast_desc_eq
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                self.c.check_heap(rt.heap)?;
                let dt = self.desc_cast_ref(rt)?;
                let d = self.pop_expect(ValType::Ref(dt))?;
                let o = self.pop_expect(Self::ref_ty(true, self.c.top(rt.heap)))?;
                self.emit(Ins::RefCastDesc {
                    nullable: u16::from(rt.nullable),
                    dst: o.slot,
                    a: Self::src(&o),
                    d: Self::src(&d),
                });
                self.push(ValType::Ref(rt));
            }
            Opcode::StructGet | Opcode::StructGetS | Opcode::StructGetU => {
                let (x, y) = i.idx2();
                let ft = self.field(x, y)?;
                let packed = ft.storage.is_packed();
                if packed == (op == Opcode::StructGet) {
                    return mismatch(if packed {
                        "field is packed"
                    } else {
                        "field is not packed"
                    });
                }
                let o = self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
                let sx = match op {
                    Opcode::StructGetS => 1,
                    Opcode::StructGetU => 2,
                    _ => 0,
                };
                self.emit(Ins::StructGet {
                    sx,
                    field: y,
                    dst: o.slot,
                    a: Self::src(&o),
                });
                self.push(ft.storage.unpacked());
            }
            Opcode::StructSet => {
                let (x, y) = i.idx2();
                let ft = self.field(x, y)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableField);
                }
                let v = self.pop_expect(ft.storage.unpacked())?;
                let o = self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
                self.emit(Ins::StructSet {
                    field: y,
                    a: Self::src(&o),
                    v: Self::src(&v),
                });
            }
            Opcode::ArrayNew | Opcode::ArrayNewDefault => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                let t = ft.storage.unpacked();
                let base = if op == Opcode::ArrayNew {
                    self.pop_contiguous(&[t, i32t])?
                } else {
                    if !t.defaultable() {
                        return mismatch(format!("array type {x} is not defaultable"));
                    }
                    self.pop_contiguous(&[i32t])?
                };
                let default = u16::from(op == Opcode::ArrayNewDefault);
                self.emit(Ins::ArrayNew {
                    default,
                    ty: x,
                    base,
                });
                self.height = base;
                self.push(Self::ref_ty(false, self.alloc_heap(x)));
            }
            Opcode::ArrayNewFixed => {
                let (x, n) = i.idx2();
                let t = self.c.array_type(x)?.storage.unpacked();
                if n as usize > self.vals.len() + 1
                    && !self.ctrls.last().is_some_and(|c| c.unreachable)
                {
                    return mismatch("array.new_fixed: not enough operands");
                }
                let ts = vec![t; n as usize];
                let base = self.pop_contiguous(&ts)?;
                self.emit(Ins::ArrayNewFixed { ty: x, base, n });
                self.height = base;
                self.push(Self::ref_ty(false, self.alloc_heap(x)));
            }
            Opcode::ArrayNewData | Opcode::ArrayInitData => {
                let (x, d) = i.idx2();
                let ft = self.c.array_type(x)?;
                if op == Opcode::ArrayInitData && !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let numeric = match ft.storage {
                    StorageType::Val(t) => t.is_num() || t == ValType::V128,
                    _ => true,
                };
                if !numeric {
                    return Err(ValidationError::ArrayNotNumeric);
                }
                self.c.data(d)?;
                if op == Opcode::ArrayNewData {
                    let base = self.pop_contiguous(&[i32t, i32t])?;
                    self.emit(Ins::ArrayNewData {
                        ty: x,
                        data: d,
                        base,
                    });
                    self.height = base;
                    self.push(Self::ref_ty(false, self.alloc_heap(x)));
                } else {
                    let r = Self::ref_ty(true, HeapType::Concrete(x));
                    let base = self.pop_contiguous(&[r, i32t, i32t, i32t])?;
                    self.emit(Ins::ArrayInitData { data: d, base });
                }
            }
            Opcode::ArrayNewElem | Opcode::ArrayInitElem => {
                let (x, e) = i.idx2();
                let ft = self.c.array_type(x)?;
                if op == Opcode::ArrayInitElem && !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let et = self.c.elem(e)?;
                if !self.c.match_val(ValType::Ref(et), ft.storage.unpacked())
                    || ft.storage.is_packed()
                {
                    return mismatch(format!("element segment {e} does not match array {x}"));
                }
                if op == Opcode::ArrayNewElem {
                    let base = self.pop_contiguous(&[i32t, i32t])?;
                    self.emit(Ins::ArrayNewElem {
                        ty: x,
                        elem: e,
                        base,
                    });
                    self.height = base;
                    self.push(Self::ref_ty(false, self.alloc_heap(x)));
                } else {
                    let r = Self::ref_ty(true, HeapType::Concrete(x));
                    let base = self.pop_contiguous(&[r, i32t, i32t, i32t])?;
                    self.emit(Ins::ArrayInitElem { elem: e, base });
                }
            }
            Opcode::ArrayGet | Opcode::ArrayGetS | Opcode::ArrayGetU => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                let packed = ft.storage.is_packed();
                if packed == (op == Opcode::ArrayGet) {
                    return mismatch(if packed {
                        "array is packed"
                    } else {
                        "array is not packed"
                    });
                }
                let r = Self::ref_ty(true, HeapType::Concrete(x));
                let base = self.pop_contiguous(&[r, i32t])?;
                let sx = match op {
                    Opcode::ArrayGetS => 1,
                    Opcode::ArrayGetU => 2,
                    _ => 0,
                };
                self.emit(Ins::ArrayGet { sx, base });
                self.height = base;
                self.push(ft.storage.unpacked());
            }
            Opcode::ArraySet => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let r = Self::ref_ty(true, HeapType::Concrete(x));
                let base = self.pop_contiguous(&[r, i32t, ft.storage.unpacked()])?;
                self.emit(Ins::ArraySet { base });
            }
            Opcode::ArrayLen => {
                let o = self.pop_expect(Self::ref_ty(true, HeapType::Array))?;
                self.emit_result(
                    Ins::ArrayLen {
                        dst: o.slot,
                        a: Self::src(&o),
                    },
                    i32t,
                );
            }
            Opcode::ArrayFill => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let r = Self::ref_ty(true, HeapType::Concrete(x));
                let base = self.pop_contiguous(&[r, i32t, ft.storage.unpacked(), i32t])?;
                self.emit(Ins::ArrayFill { base });
            }
            Opcode::ArrayCopy => {
                let (x, y) = i.idx2();
                let fd = self.c.array_type(x)?;
                let fs = self.c.array_type(y)?;
                if !fd.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let ok = match (fs.storage, fd.storage) {
                    (StorageType::Val(a), StorageType::Val(b)) => self.c.match_val(a, b),
                    (a, b) => a == b,
                };
                if !ok {
                    return Err(ValidationError::ArrayTypesMismatch);
                }
                let rd = Self::ref_ty(true, HeapType::Concrete(x));
                let rs = Self::ref_ty(true, HeapType::Concrete(y));
                let base = self.pop_contiguous(&[rd, i32t, rs, i32t, i32t])?;
                self.emit(Ins::ArrayCopy { base });
            }
            Opcode::CallRef | Opcode::ReturnCallRef => {
                let x = i.idx();
                let ft = self.c.ty(x)?.clone();
                if op == Opcode::ReturnCallRef {
                    let results = self.ctrls[0].results.clone();
                    if ft.results.len() != results.len()
                        || !ft
                            .results
                            .iter()
                            .zip(&results)
                            .all(|(a, b)| self.c.match_val(*a, *b))
                    {
                        return mismatch("return_call_ref result types do not match");
                    }
                }
                let mut r = self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
                let base = self.pop_contiguous(&ft.params)?;
                self.materialize_opd(&mut r);
                let rs = Self::src(&r);
                if op == Opcode::CallRef {
                    self.emit(Ins::CallRef { base, r: rs });
                    self.height = base;
                    for &t in &ft.results {
                        self.push(t);
                    }
                } else {
                    self.emit(Ins::ReturnCallRef { base, r: rs });
                    self.set_unreachable();
                }
            }
            Opcode::Throw => {
                let x = i.idx();
                let ft = self.c.tag(x)?.clone();
                let base = self.pop_contiguous(&ft.params)?;
                self.emit(Ins::Throw { tag: x, base });
                self.set_unreachable();
            }
            Opcode::ThrowRef => {
                let o = self.pop_expect(ValType::Ref(RefType::EXNREF))?;
                self.emit(Ins::ThrowRef { a: Self::src(&o) });
                self.set_unreachable();
            }
            Opcode::TryTable => {
                let Imm::TryTable(b) = &i.imm else {
                    return mismatch("");
                };
                let (bt, catches) = &**b;
                let (p, r) = self.block_type(bt)?;
                let exn = Self::ref_ty(false, HeapType::Exn);
                let mut targets = Vec::with_capacity(catches.len());
                for ct in catches {
                    let t = self.label(ct.label)?;
                    let mut ts = match ct.kind {
                        CatchKind::Catch | CatchKind::CatchRef => {
                            self.c.tag(ct.tag)?.params.clone()
                        }
                        _ => Vec::new(),
                    };
                    if matches!(ct.kind, CatchKind::CatchRef | CatchKind::CatchAllRef) {
                        ts.push(exn);
                    }
                    let lt = self.ctrls[t].label_types();
                    if lt.len() != ts.len()
                        || !ts.iter().zip(lt).all(|(a, b)| self.c.match_val(*a, *b))
                    {
                        return mismatch("catch clause does not match its label");
                    }
                    targets.push((t, ts));
                }
                self.push_ctrl(Kind::TryTable, p, r)?;
                if self.live() {
                    let depth = (self.ctrls.len() - 1) as u32;
                    let start = self.code.len() as u32;
                    let mut hs = Vec::new();
                    for (ct, (t, ts)) in catches.iter().zip(targets) {
                        let c = &self.ctrls[t];
                        let dst = c.slot;
                        let nvals = ts.len()
                            - usize::from(matches!(
                                ct.kind,
                                CatchKind::CatchRef | CatchKind::CatchAllRef
                            ));
                        let val_slots = slots_of(&ts[..nvals]);
                        let ref_dst = match ct.kind {
                            CatchKind::CatchRef | CatchKind::CatchAllRef => dst + val_slots,
                            _ => NO_SLOT,
                        };
                        let tag = match ct.kind {
                            CatchKind::Catch | CatchKind::CatchRef => ct.tag,
                            _ => NO_SLOT,
                        };
                        let (is_loop, lpc) = (c.kind == Kind::Loop, c.start_pc);
                        let h = self.handlers.len();
                        self.handlers.push(Handler {
                            start,
                            end: u32::MAX,
                            depth,
                            kind: HandlerKind::Catch {
                                tag,
                                target: if is_loop { lpc } else { u32::MAX },
                                dst,
                                ref_dst,
                            },
                        });
                        if !is_loop {
                            self.ctrls[t].fixups.push(Fixup::Handler(h));
                        }
                        hs.push(h);
                    }
                    self.ctrls.last_mut().expect("control").try_handlers = hs;
                }
            }
            Opcode::Try => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let (p, r) = self.block_type(bt)?;
                self.push_ctrl(Kind::Try, p, r)?;
                let slot = self.next_exn_slot;
                self.next_exn_slot += 1;
                self.ctrls.last_mut().expect("control").exn_slot = slot;
            }
            Opcode::Catch | Opcode::CatchAll => {
                let kind = self.ctrls.last().map(|c| c.kind);
                if !matches!(kind, Some(Kind::Try | Kind::Catch)) {
                    return mismatch("catch without try");
                }
                let params = if op == Opcode::Catch {
                    self.c.tag(i.idx())?.params.clone()
                } else {
                    Vec::new()
                };
                let results = self.ctrls.last().expect("control").results.clone();
                let mut opds = self.pop_types(&results)?;
                if self.vals.len() != self.ctrls.last().expect("control").height {
                    return Err(self.leftover(&results, &opds));
                }
                for o in opds.iter_mut() {
                    self.materialize_opd(o);
                }
                let top = self.ctrls.len() - 1;
                if kind == Some(Kind::Try) {
                    self.ctrls[top].body_end = self.code.len() as u32;
                }
                self.emit_jump(top, |t| Ins::Br { target: t });
                let live_block = !self.ctrls[top].dead;
                let here = self.code.len() as u32;
                let c = &mut self.ctrls[top];
                if live_block {
                    let tag = if op == Opcode::Catch {
                        i.idx()
                    } else {
                        NO_SLOT
                    };
                    self.handlers.push(Handler {
                        start: c.start_pc,
                        end: c.body_end,
                        depth: top as u32,
                        kind: HandlerKind::Catch {
                            tag,
                            target: here,
                            dst: c.slot,
                            ref_dst: c.exn_slot,
                        },
                    });
                }
                c.kind = Kind::Catch;
                c.unreachable = false;
                let (slot, inits) = (c.slot, c.inits);
                self.inits.truncate(inits);
                self.height = slot;
                for t in params {
                    self.push(t);
                }
                self.last_result = None;
                // The payload arrives without an instruction writing it.
                self.barrier = self.code.len();
            }
            Opcode::Delegate => {
                let top = self.ctrls.len() - 1;
                if self.ctrls[top].kind != Kind::Try {
                    return mismatch("delegate without try");
                }
                let (start, dead) = (self.ctrls[top].start_pc, self.ctrls[top].dead);
                let end = self.code.len() as u32;
                self.end()?;
                let t = self.label(i.idx())?;
                if !dead {
                    self.handlers.push(Handler {
                        start,
                        end,
                        depth: top as u32,
                        kind: HandlerKind::Delegate { limit: t as u32 },
                    });
                }
            }
            Opcode::Rethrow => {
                let t = self.label(i.idx())?;
                if self.ctrls[t].kind != Kind::Catch {
                    return Err(ValidationError::InvalidRethrowLabel);
                }
                let a = self.ctrls[t].exn_slot;
                self.emit(Ins::ThrowRef { a });
                self.set_unreachable();
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
}
