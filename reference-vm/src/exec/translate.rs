//! exec: translation — turns a validated function body into the
//! interpreter's internal code ([`super::code`]): operand slots of the frame,
//! the constant pool, jumps and their fixups, exception handlers, and the
//! peepholes on finished code (`shorten_returns`, `fuse_add_branches`,
//! `fold_address`).
//!
//! The validator (`valid/func.rs`) drives it: after accepting each
//! instruction it hands over how many operands it popped and the types it
//! pushed ([`Step`]); the translator keeps a stack of operand locations in
//! step with the validator's operand stack and never checks a type itself.

use std::sync::{Arc, OnceLock};

use super::code::{CompiledFunc, Ext, Handler, HandlerKind, Ins};
use crate::syntax::*;
use crate::valid::func::{Kind, Sink, Step};
use crate::valid::{Ctx, Result, ValidationError, mismatch};

/// Maximum slots used for a function's constant pool (copied on every call).
const MAX_CONST_SLOTS: usize = 48;
/// Frames bigger than this are not representable; calling such a function exhausts the stack.
const MAX_FRAME_SLOTS: u64 = 1 << 30;

/// Where an operand's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    /// In its own stack slot.
    Stack,
    /// Still in a local or constant slot (not yet copied).
    Slot(u32),
}

/// An entry of the operand stack: the validator's type and its location.
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

/// A forward reference to a label's end, patched when the label ends.
#[derive(Clone, Copy, Debug)]
enum Fixup {
    Ins(usize),
    Table(usize),
    Handler(usize),
}

/// A control frame: the block's type, where its operands start, and the
/// jumps waiting for its end.
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
    /// `try_table`: its handler entries; legacy `try`: its exception slot and
    /// the end of its body.
    try_handlers: Vec<usize>,
    exn_slot: u32,
    body_end: u32,
}

/// A jump made by `Translator::cond_jump` with its target set.
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

/// The translator of one function body (a [`Sink`] of the validator).
pub(crate) struct Translator<'a> {
    c: &'a Ctx,
    vals: Vec<Opd>,
    ctrls: Vec<Ctrl>,
    /// (first index, first slot, count) per local run.
    locals: Vec<(u64, u64, u32)>,
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
    /// Operands the current instruction popped (from the validator).
    popped: usize,
    /// Types the current instruction pushed (from the validator), and how
    /// many of them are on the stack already.
    pushed: Vec<Option<ValType>>,
    next_push: usize,
    br_table: Vec<u32>,
    consts: Vec<u64>,
    /// The body's distinct constants (low bits, high bits, whether a
    /// `v128`), sorted, and the pool slot of each once it is used
    /// (`u32::MAX` before).
    const_keys: Vec<(u64, u64, bool)>,
    const_slots: Vec<u32>,
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
    handlers: Vec<Handler>,
    ref_types: Vec<RefType>,
    /// Next hidden slot for a legacy `try`'s caught exception.
    next_exn_slot: u32,
    ty: FuncType,
    param_slots: u64,
    too_big: bool,
}

/// Validates and translates one function body of a valid module (`c` is
/// its validation context). A validation error here means the module was
/// not valid, which callers treat as an internal fault.
pub(crate) fn translate(c: &Ctx, f: &Func) -> Result<CompiledFunc> {
    let mut t = Translator::new(c, f)?;
    crate::valid::func::validate(c, f, &mut t)?;
    Ok(t.finish())
}

impl<'a> Translator<'a> {
    /// Lays out the frame of `f`: parameters, locals, the hidden slots of
    /// legacy `try` blocks, then the constant pool.
    fn new(c: &'a Ctx, f: &Func) -> Result<Self> {
        let ty = c.ty(f.ty)?.clone();
        let mut locals = Vec::new();
        let (mut idx, mut slot) = (0u64, 0u64);
        for &p in &ty.params {
            locals.push((idx, slot, p.slots()));
            idx += 1;
            slot += u64::from(p.slots());
        }
        let param_slots = slot;
        for &(n, t) in &f.locals {
            if n == 0 {
                continue;
            }
            locals.push((idx, slot, t.slots()));
            idx += u64::from(n);
            slot += u64::from(n) * u64::from(t.slots());
        }
        let num_tries = f.body.iter().filter(|i| i.op == Opcode::Try).count() as u64;
        let exn_base = slot;
        slot += num_tries;
        let local_slots = slot;
        // Pre-count distinct constants to size the constant area.
        let mut distinct = Vec::new();
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
            distinct.push(key);
        }
        distinct.sort_unstable();
        distinct.dedup();
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
        let results = ty.results.clone();
        let mut t = Translator {
            c,
            vals: Vec::new(),
            ctrls: Vec::new(),
            locals,
            code: Vec::new(),
            origins: Vec::new(),
            cur_op: None,
            counted: false,
            jump_origin: None,
            popped: 0,
            pushed: Vec::new(),
            next_push: 0,
            br_table: Vec::new(),
            consts: Vec::new(),
            const_slots: vec![u32::MAX; distinct.len()],
            const_keys: distinct,
            const_base,
            const_cap: cap as u32,
            v128s: Vec::new(),
            shuffles: Vec::new(),
            ext: Vec::new(),
            height: stack_base,
            max_height: stack_base,
            last_result: None,
            barrier: 0,
            handlers: Vec::new(),
            ref_types: Vec::new(),
            next_exn_slot: exn_base.min(MAX_FRAME_SLOTS) as u32,
            ty,
            param_slots,
            too_big,
        };
        t.ctrls.push(Ctrl {
            kind: Kind::Func,
            params: Vec::new(),
            results,
            height: 0,
            slot: stack_base,
            unreachable: false,
            dead: false,
            start_pc: 0,
            fixups: Vec::new(),
            else_fixup: None,
            try_handlers: Vec::new(),
            exn_slot: 0,
            body_end: 0,
        });
        Ok(t)
    }

    /// The finished function: handlers ordered, peepholes run, the entry
    /// image of the frame built.
    fn finish(mut self) -> CompiledFunc {
        let result_slots = slots_of(&self.ty.results);
        // Innermost handlers first; clauses of one try in order.
        self.handlers.sort_by_key(|h| std::cmp::Reverse(h.depth));
        shorten_returns(&mut self.code, &mut self.origins);
        fuse_add_branches(
            &mut self.code,
            &mut self.origins,
            &mut self.br_table,
            &mut self.handlers,
        );
        let frame_size = self.max_height.saturating_add(2);
        let entry = if frame_size as usize <= super::code::WINDOW {
            let mut e = vec![0; (u64::from(self.const_base) - self.param_slots) as usize];
            e.extend_from_slice(&self.consts);
            e
        } else {
            Vec::new()
        };
        CompiledFunc {
            entry,
            handlers: self.handlers,
            ref_types: self.ref_types,
            ty: self.ty,
            code: self.code,
            origins: self.origins,
            br_table: self.br_table,
            consts: self.consts,
            v128s: self.v128s,
            shuffles: self.shuffles,
            ext: self.ext,
            param_slots: self.param_slots as u32,
            local_slots: self.const_base,
            frame_size,
            result_slots,
            too_big: self.too_big,
            pending: false,
        }
    }
}

impl Sink for Translator<'_> {
    fn instr(&mut self, i: &Instr, step: &Step<'_>) -> Result<()> {
        self.popped = step.popped;
        self.pushed.clear();
        self.pushed.extend_from_slice(step.pushed);
        self.next_push = 0;
        self.instr(i, step.block)
    }
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

impl Translator<'_> {
    // ---- operand locations (in step with the validator's operand stack) ----

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

    /// The next type the validator pushed for this instruction.
    fn next_type(&mut self) -> Option<ValType> {
        let t = self.pushed.get(self.next_push).copied().flatten();
        self.next_push += 1;
        t
    }

    /// Pushes the next type the validator pushed, at location `loc`.
    fn push_next_at(&mut self, loc: Loc, local: bool) {
        let t = self.next_type();
        self.push_opd(t, loc, local);
    }

    /// Pushes the next type the validator pushed, in its own stack slot.
    fn push_next(&mut self) {
        self.push_next_at(Loc::Stack, false);
    }

    /// Pushes the rest of the types the validator pushed.
    fn push_rest(&mut self) {
        while self.next_push < self.pushed.len() {
            self.push_next();
        }
    }

    /// Pops an operand; past the frame's operands in unreachable code, one
    /// of the bottom type (the validator accepted the pop).
    fn pop(&mut self) -> Opd {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        if self.vals.len() <= h {
            return Opd {
                ty: None,
                slot: self.height,
                loc: Loc::Stack,
                local: false,
            };
        }
        match self.vals.pop() {
            Some(o) => {
                self.height = o.slot;
                o
            }
            None => Opd {
                ty: None,
                slot: self.height,
                loc: Loc::Stack,
                local: false,
            },
        }
    }

    /// Pops `n` operands; returns them bottom first.
    fn pop_n(&mut self, n: usize) -> Vec<Opd> {
        let mut v: Vec<Opd> = (0..n).map(|_| self.pop()).collect();
        v.reverse();
        v
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
    fn emit_result(&mut self, ins: Ins) {
        let pc = self.emit(ins);
        self.push_next();
        if pc != usize::MAX {
            self.last_result = Some(pc);
        }
    }

    /// A copy of a value `n` slots wide.
    fn copy_slots(n: u32, dst: u32, src: u32) -> Ins {
        if n == 2 {
            Ins::Copy2 { dst, src }
        } else {
            Ins::Copy { dst, src }
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
        let k = self.const_keys.binary_search(&(lo, hi, v128)).ok()?;
        if self.const_slots[k] != u32::MAX {
            return Some(self.const_slots[k]);
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
        self.const_slots[k] = s;
        Some(s)
    }

    /// Pushes a constant (the validator's type) from the constant pool, or
    /// emits it when the pool is full.
    fn push_const(&mut self, bits: u128) {
        let v128 = self.pushed.first() == Some(&Some(ValType::V128));
        match self.const_slot(bits as u64, (bits >> 64) as u64, v128) {
            Some(s) => self.push_next_at(Loc::Slot(s), false),
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
                self.emit_result(ins);
            }
        }
    }

    // ---- locals ----

    /// Local `x`: its width in slots and its first slot.
    fn local(&self, x: u32) -> (u32, u32) {
        let x = u64::from(x);
        let i = self.locals.partition_point(|r| r.0 <= x).saturating_sub(1);
        let (first, slot, n) = self.locals.get(i).copied().unwrap_or((0, 0, 1));
        let s = slot + x.saturating_sub(first) * u64::from(n);
        (n, s.min(MAX_FRAME_SLOTS) as u32)
    }

    // ---- control ----

    /// Enters a block of type `[params] -> [results]` (from the validator).
    fn push_ctrl(&mut self, kind: Kind, block: Option<(&[ValType], &[ValType])>) {
        let (params, results) = block.unwrap_or_default();
        let (params, results) = (params.to_vec(), results.to_vec());
        let mut opds = self.pop_n(params.len());
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
            try_handlers: Vec::new(),
            exn_slot: 0,
            body_end: 0,
        });
        self.last_result = None;
        self.barrier = self.code.len();
    }

    /// Label `l` as an index of the control stack (the validator checked it).
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

    /// Ends the innermost block: its results in its slots, its forward
    /// jumps patched.
    fn end(&mut self) {
        let Some(results) = self.ctrls.last().map(|c| c.results.clone()) else {
            return;
        };
        let mut opds = self.pop_n(results.len());
        for o in opds.iter_mut() {
            self.materialize_opd(o);
        }
        let Some(c) = self.ctrls.pop() else {
            return;
        };
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
            return;
        }
        self.push_rest();
    }

    // ---- instructions ----

    /// The memarg of a validated access and, when the access can use the
    /// fast path (memory 0, 32-bit, unshared), its offset.
    fn memarg(&self, imm: &Imm) -> Result<(MemArg, Option<u32>)> {
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
        let fast = (m.mem == 0 && !mt.idx64 && !mt.shared).then_some(m.offset as u32);
        Ok((m, fast))
    }

    /// Whether memory `x` is served by the interpreter's fast path: memory 0,
    /// 32-bit and unshared (a shared memory's bytes are atomic words).
    fn mem_fast(&self, x: u32) -> Result<bool> {
        let mt = self.c.mem(x)?;
        Ok(x == 0 && !mt.idx64 && !mt.shared)
    }

    /// threads: atomic instructions, all off the fast path.
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
        let (m, _) = self.memarg(&i.imm)?;
        let base = self.pop_contiguous(self.popped);
        self.emit_ext(Ext::Atomic {
            op: i.op,
            mem: m.mem,
            base,
            off: m.offset,
        });
        if !self.pushed.is_empty() {
            self.height = base;
            self.push_next();
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

    /// Pops `n` operands, puts them in contiguous stack slots, returns the first slot.
    /// Emits the instruction `ins` makes from slot `base`, where the top
    /// operands the validator popped now lie contiguous; with `result`, its
    /// results are pushed from `base`.
    fn emit_over(&mut self, result: bool, ins: impl FnOnce(u32) -> Ins) {
        let base = self.pop_contiguous(self.popped);
        self.emit(ins(base));
        if result {
            self.height = base;
            self.push_next();
        }
    }

    fn pop_contiguous(&mut self, n: usize) -> u32 {
        let mut opds = self.pop_n(n);
        for o in opds.iter_mut() {
            self.materialize_opd(o);
        }
        opds.first().map_or(self.height, |o| o.slot)
    }

    /// Translates instruction `i`, which the validator accepted; `block` is
    /// a block instruction's type.
    fn instr(&mut self, i: &Instr, block: Option<(&[ValType], &[ValType])>) -> Result<()> {
        let op = i.op;
        (self.cur_op, self.counted, self.jump_origin) = (Some(op), false, None);
        match op.class() {
            Class::Unop(..) => {
                let x = self.pop();
                let ins = Ins::unop(op, x.slot, Self::src(&x)).expect("unop");
                self.emit_result(ins);
                return Ok(());
            }
            Class::Binop(..) => {
                let y = self.pop();
                let x = self.pop();
                let ins = Ins::binop(op, x.slot, Self::src(&x), Self::src(&y)).expect("binop");
                self.emit_result(ins);
                return Ok(());
            }
            Class::Load(..) => {
                let (m, fast) = self.memarg(&i.imm)?;
                let a = self.pop();
                if let Some(off) = fast {
                    let ins = Ins::load(op, a.slot, Self::src(&a), off).expect("load");
                    let ins = self.fold_address(&a, &ins).unwrap_or(ins);
                    self.emit_result(ins);
                } else {
                    self.emit_ext(Ext::Load {
                        op,
                        mem: m.mem,
                        dst: a.slot,
                        addr: Self::src(&a),
                        off: m.offset,
                        lane: 0,
                    });
                    self.push_next();
                }
                return Ok(());
            }
            Class::Store(..) => {
                let (m, fast) = self.memarg(&i.imm)?;
                let v = self.pop();
                let a = self.pop();
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
                let kind = if op == Opcode::Block {
                    Kind::Block
                } else {
                    Kind::Loop
                };
                self.push_ctrl(kind, block);
            }
            Opcode::If => {
                let cond = self.pop();
                let skip = self.cond_jump(&cond, false);
                self.push_ctrl(Kind::If, block);
                let pc = self.emit(with_target(skip, u32::MAX));
                let c = self.ctrls.last_mut().expect("control");
                c.start_pc = (pc.wrapping_add(1)) as u32;
                if pc != usize::MAX {
                    c.else_fixup = Some(pc);
                }
            }
            Opcode::Else => {
                let results = self.ctrls.last().expect("control").results.clone();
                let mut opds = self.pop_n(results.len());
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
                self.height = c.slot;
                self.push_rest();
                self.last_result = None;
            }
            Opcode::End => self.end(),
            Opcode::Br => {
                let t = self.label(i.idx())?;
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_n(lt.len());
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
                let cond = self.pop();
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_n(lt.len());
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
                for o in &opds {
                    self.push_next_at(o.loc, o.local);
                }
            }
            Opcode::BrTable => {
                let Imm::BrTable(ls) = &i.imm else {
                    return mismatch("");
                };
                let cond = self.pop();
                let default = *ls.last().unwrap_or(&0);
                let dt = self.label(default)?;
                let arity = self.ctrls[dt].label_types().len();
                let opds = self.top_opds(arity);
                self.pop_n(arity);
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
                let mut opds = self.pop_n(results.len());
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
                let base = self.pop_contiguous(self.popped);
                self.emit(Ins::Call {
                    func: i.idx(),
                    base,
                });
                self.height = base;
                self.push_rest();
            }
            Opcode::CallIndirect | Opcode::ReturnCallIndirect => {
                let (ty, table) = i.idx2();
                let tt = self.c.table(table)?;
                let tail = op == Opcode::ReturnCallIndirect;
                let mut idx = self.pop();
                let base = self.pop_contiguous(self.popped.saturating_sub(1));
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
                    self.push_rest();
                }
            }
            Opcode::ReturnCall => {
                let base = self.pop_contiguous(self.popped);
                self.emit(Ins::ReturnCall {
                    func: i.idx(),
                    base,
                });
                self.set_unreachable();
            }
            Opcode::Drop => {
                self.pop();
            }
            Opcode::Select | Opcode::SelectT => {
                let cond = self.pop();
                let b = self.pop();
                let mut a = self.pop();
                let t = self.pushed.first().copied().flatten();
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
                self.push_next();
            }
            Opcode::LocalGet => {
                let (_, s) = self.local(i.idx());
                self.push_next_at(Loc::Slot(s), true);
            }
            Opcode::LocalSet | Opcode::LocalTee => {
                let (n, s) = self.local(i.idx());
                let v = self.pop();
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
                            self.push_next_at(Loc::Slot(s), true);
                        }
                        return Ok(());
                    }
                    if Self::src(&v) != s {
                        self.emit(Self::copy_slots(n, s, Self::src(&v)));
                    }
                }
                if op == Opcode::LocalTee {
                    self.push_next_at(v.loc, v.local);
                }
            }
            Opcode::GlobalGet => {
                let dst = self.height;
                let ins = if self.pushed.first() == Some(&Some(ValType::V128)) {
                    Ins::GlobalGet2 { dst, g: i.idx() }
                } else {
                    Ins::GlobalGet { dst, g: i.idx() }
                };
                self.emit_result(ins);
            }
            Opcode::GlobalSet => {
                let v = self.pop();
                let src = Self::src(&v);
                self.emit(if v.ty == Some(ValType::V128) {
                    Ins::GlobalSet2 { g: i.idx(), src }
                } else {
                    Ins::GlobalSet { g: i.idx(), src }
                });
            }
            Opcode::TableGet => {
                let tt = self.c.table(i.idx())?;
                let x = self.pop();
                let (table, dst, idx) = (i.idx(), x.slot, Self::src(&x));
                if tt.idx64 {
                    self.emit_ext(Ext::TableGet { table, dst, idx });
                    self.push_next();
                } else {
                    self.emit_result(Ins::TableGet { table, dst, idx });
                }
            }
            Opcode::TableSet => {
                let tt = self.c.table(i.idx())?;
                let v = self.pop();
                let x = self.pop();
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
                    self.push_next();
                } else {
                    self.emit_result(Ins::TableSize { table, dst });
                }
            }
            Opcode::TableGrow => {
                let tt = self.c.table(i.idx())?;
                let base = self.pop_contiguous(self.popped);
                let table = i.idx();
                if tt.idx64 {
                    self.emit_ext(Ext::TableGrow { table, base });
                } else {
                    self.emit(Ins::TableGrow { table, base });
                }
                self.height = base;
                self.push_next();
            }
            Opcode::TableFill => {
                let tt = self.c.table(i.idx())?;
                let base = self.pop_contiguous(self.popped);
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
                let base = self.pop_contiguous(self.popped);
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
                let base = self.pop_contiguous(self.popped);
                let (table, elem) = (t, e);
                if tt.idx64 {
                    self.emit_ext(Ext::TableInit { table, elem, base });
                } else {
                    self.emit(Ins::TableInit { table, elem, base });
                }
            }
            Opcode::ElemDrop => {
                self.emit(Ins::ElemDrop { elem: i.idx() });
            }
            Opcode::MemorySize => {
                let mem = i.idx();
                let dst = self.height;
                if self.mem_fast(mem)? {
                    self.emit_result(Ins::MemorySize { dst });
                } else {
                    self.emit_ext(Ext::MemorySize { mem, dst });
                    self.push_next();
                }
            }
            Opcode::MemoryGrow => {
                let mem = i.idx();
                let d = self.pop();
                let (dst, delta) = (d.slot, Self::src(&d));
                if self.mem_fast(mem)? {
                    self.emit_result(Ins::MemoryGrow { dst, delta });
                } else {
                    self.emit_ext(Ext::MemoryGrow { mem, dst, delta });
                    self.push_next();
                }
            }
            Opcode::MemoryFill => {
                let mem = i.idx();
                let base = self.pop_contiguous(self.popped);
                if self.mem_fast(mem)? {
                    self.emit(Ins::MemoryFill { base });
                } else {
                    self.emit_ext(Ext::MemoryFill { mem, base });
                }
            }
            Opcode::MemoryCopy => {
                let (d, s) = i.idx2();
                let base = self.pop_contiguous(self.popped);
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
                let base = self.pop_contiguous(self.popped);
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
                self.emit(Ins::DataDrop { data: i.idx() });
            }
            Opcode::I64Add128 | Opcode::I64Sub128 => {
                let base = self.pop_contiguous(self.popped);
                self.emit(if op == Opcode::I64Add128 {
                    Ins::I64Add128 { base }
                } else {
                    Ins::I64Sub128 { base }
                });
                self.height = base;
                self.push_rest();
            }
            Opcode::I64MulWideS | Opcode::I64MulWideU => {
                let base = self.pop_contiguous(self.popped);
                self.emit(if op == Opcode::I64MulWideS {
                    Ins::I64MulWideS { base }
                } else {
                    Ins::I64MulWideU { base }
                });
                self.height = base;
                self.push_rest();
            }
            Opcode::I32Const | Opcode::F32Const | Opcode::I64Const | Opcode::F64Const => {
                let v = match i.imm {
                    Imm::I32(v) | Imm::F32(v) => u64::from(v),
                    Imm::I64(v) | Imm::F64(v) => v,
                    _ => return mismatch(""),
                };
                self.push_const(u128::from(v));
            }
            Opcode::RefNull => self.push_const(0),
            Opcode::RefIsNull => {
                let x = self.pop();
                self.emit_result(Ins::RefIsNull {
                    dst: x.slot,
                    a: Self::src(&x),
                });
            }
            Opcode::RefFunc => {
                let x = i.idx();
                let dst = self.height;
                self.emit_result(Ins::RefFunc { dst, func: x });
            }
            _ => return self.instr3(i, block),
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
        let lane = match i.imm {
            Imm::Lane(l) | Imm::MemArgLane(_, l) => l,
            _ => 0,
        };
        let op_lane = (op << 4) | u16::from(lane & 0xf);
        match sc {
            SimdClass::Load(_) => {
                let (m, fast) = self.memarg(&i.imm)?;
                let a = self.pop();
                let (dst, addr) = (a.slot, Self::src(&a));
                match fast {
                    Some(off) => self.emit_result(Ins::VLoad { op, dst, addr, off }),
                    None => {
                        self.emit_ext(Ext::Load {
                            op: i.op,
                            mem: m.mem,
                            dst,
                            addr,
                            off: m.offset,
                            lane: 0,
                        });
                        self.push_next();
                    }
                }
            }
            SimdClass::Store => {
                let (m, fast) = self.memarg(&i.imm)?;
                let x = self.pop();
                let a = self.pop();
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
            SimdClass::LoadLane(_) | SimdClass::StoreLane(_) => {
                let (m, fast) = self.memarg(&i.imm)?;
                let mut x = self.pop();
                let a = self.pop();
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
                    self.push_next();
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
                self.push_const(u128::from_le_bytes(b));
            }
            SimdClass::Shuffle => {
                let Imm::Shuffle(lanes) = i.imm else {
                    return mismatch("");
                };
                let base = self.pop_contiguous(self.popped);
                self.shuffles.push(lanes);
                self.emit(Ins::VShuffle {
                    dst: base,
                    idx: (self.shuffles.len() - 1) as u32,
                });
                self.height = base;
                self.push_next();
            }
            // One operand, the result in its slot.
            SimdClass::Un | SimdClass::Test | SimdClass::Splat(_) | SimdClass::Extract(..) => {
                let x = self.pop();
                let (dst, a) = (x.slot, Self::src(&x));
                self.emit_result(match sc {
                    SimdClass::Un => Ins::VUn { op, dst, a },
                    SimdClass::Test => Ins::VTest { op, dst, a },
                    SimdClass::Splat(_) => Ins::VSplat { op, dst, a },
                    _ => Ins::VExtract { op_lane, dst, a },
                });
            }
            // Two operands, the result in the first one's slot.
            SimdClass::Bin | SimdClass::Shift | SimdClass::Replace(..) => {
                let y = self.pop();
                let x = self.pop();
                let (dst, a, b) = (x.slot, Self::src(&x), Self::src(&y));
                self.emit_result(match sc {
                    SimdClass::Bin => Ins::VBin { op, dst, a, b },
                    SimdClass::Shift => Ins::VShift { op, dst, a, b },
                    _ => Ins::VReplace { op_lane, dst, a, b },
                });
            }
            SimdClass::Tern => {
                self.emit_over(true, |base| Ins::VTern { op, dst: base });
            }
        }
        Ok(())
    }
}

const NO_SLOT: u32 = u32::MAX;

/// Builds a conditional cast branch `(a, rt, target)`.
type CastJump = fn(u32, u32, u32) -> Ins;

impl Translator<'_> {
    /// custom-descriptors: `br_on_cast_desc_eq(_fail)`, `br_on_cast(_fail)`
    /// with a descriptor operand on top of the reference.
    fn br_on_cast_desc(&mut self, i: &Instr) -> Result<()> {
        let Imm::Cast(b) = &i.imm else {
            return mismatch("");
        };
        let (l, _, rt2) = **b;
        let t = self.label(l)?;
        let on_cast = i.op == Opcode::BrOnCastDescEq;
        let n = self.ctrls[t].label_types().len();
        let d = self.pop();
        let o = self.pop();
        let mut opds = self.pop_n(n.saturating_sub(1));
        let (a, d, nullable) = (Self::src(&o), Self::src(&d), u16::from(rt2.nullable));
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
        for p in &opds {
            self.push_next_at(p.loc, p.local);
        }
        Ok(())
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

    /// Translation of the 3.0 instructions (typed references, GC, exceptions).
    fn instr3(&mut self, i: &Instr, block: Option<(&[ValType], &[ValType])>) -> Result<()> {
        let op = i.op;
        match op {
            Opcode::RefAsNonNull => {
                let o = self.pop();
                let a = Self::src(&o);
                self.emit(Ins::RefAsNonNull { dst: o.slot, a });
                self.push_next();
            }
            Opcode::BrOnNull => {
                let t = self.label(i.idx())?;
                let o = self.pop();
                let lt = self.ctrls[t].label_types().to_vec();
                let opds = self.pop_n(lt.len());
                let cond = Self::src(&o);
                self.cond_branch(
                    t,
                    &opds,
                    |target| Ins::BrIfNull { cond, target },
                    Ins::BrIfNonNull { cond, target: 0 },
                );
                for p in &opds {
                    self.push_next_at(p.loc, p.local);
                }
                self.push_next_at(o.loc, o.local);
            }
            Opcode::BrOnNonNull => {
                let t = self.label(i.idx())?;
                let lt = self.ctrls[t].label_types().to_vec();
                let o = self.pop();
                let mut opds = self.pop_n(lt.len() - 1);
                let cond = Self::src(&o);
                opds.push(o);
                self.cond_branch(
                    t,
                    &opds,
                    |target| Ins::BrIfNonNull { cond, target },
                    Ins::BrIfNull { cond, target: 0 },
                );
                opds.pop();
                for p in &opds {
                    self.push_next_at(p.loc, p.local);
                }
            }
            Opcode::BrOnCastDescEq | Opcode::BrOnCastDescEqFail => self.br_on_cast_desc(i)?,
            Opcode::BrOnCast | Opcode::BrOnCastFail => {
                let Imm::Cast(b) = &i.imm else {
                    return mismatch("");
                };
                let (l, _, rt2) = **b;
                let t = self.label(l)?;
                let n = self.ctrls[t].label_types().len();
                let o = self.pop();
                let mut opds = self.pop_n(n.saturating_sub(1));
                let (a, rt) = (Self::src(&o), self.add_ref_type(rt2));
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
                for p in &opds {
                    self.push_next_at(p.loc, p.local);
                }
            }
            Opcode::RefTest | Opcode::RefTestNull | Opcode::RefCast | Opcode::RefCastNull => {
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                let o = self.pop();
                let idx = self.add_ref_type(rt);
                let a = Self::src(&o);
                if matches!(op, Opcode::RefTest | Opcode::RefTestNull) {
                    self.emit_result(Ins::RefTest {
                        dst: o.slot,
                        a,
                        rt: idx,
                    });
                } else {
                    self.emit(Ins::RefCast {
                        dst: o.slot,
                        a,
                        rt: idx,
                    });
                    self.push_next();
                }
            }
            Opcode::RefEq => {
                let b = self.pop();
                let a = self.pop();
                self.emit_result(Ins::RefEq {
                    dst: a.slot,
                    a: Self::src(&a),
                    b: Self::src(&b),
                });
            }
            Opcode::RefI31 => {
                let a = self.pop();
                self.emit_result(Ins::RefI31 {
                    dst: a.slot,
                    a: Self::src(&a),
                });
            }
            Opcode::I31GetS | Opcode::I31GetU => {
                let a = self.pop();
                let signed = u16::from(op == Opcode::I31GetS);
                self.emit_result(Ins::I31Get {
                    signed,
                    dst: a.slot,
                    a: Self::src(&a),
                });
            }
            Opcode::AnyConvertExtern | Opcode::ExternConvertAny => {
                let o = self.pop();
                let a = Self::src(&o);
                let ins = if op == Opcode::AnyConvertExtern {
                    Ins::AnyConvertExtern { dst: o.slot, a }
                } else {
                    Ins::ExternConvertAny { dst: o.slot, a }
                };
                self.emit_result(ins);
            }
            Opcode::StructNew | Opcode::StructNewDesc => {
                let x = i.idx();
                self.emit_over(true, |base| {
                    if op == Opcode::StructNew {
                        Ins::StructNew { ty: x, base }
                    } else {
                        Ins::StructNewDesc { ty: x, base }
                    }
                });
            }
            Opcode::StructNewDefault | Opcode::StructNewDefaultDesc => {
                let x = i.idx();
                match self.popped {
                    // custom-descriptors: the descriptor operand.
                    1 => {
                        let d = self.pop();
                        let a = Self::src(&d);
                        self.emit(Ins::StructNewDefaultDesc {
                            ty: x,
                            dst: d.slot,
                            a,
                        });
                        self.push_next();
                    }
                    _ => {
                        let dst = self.height;
                        self.emit_result(Ins::StructNewDefault { ty: x, dst });
                    }
                }
            }
            Opcode::RefGetDesc => {
                let o = self.pop();
                let a = Self::src(&o);
                self.emit(Ins::RefGetDesc { dst: o.slot, a });
                self.push_next();
            }
            Opcode::RefCastDescEq | Opcode::RefCastDescEqNull => {
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                let d = self.pop();
                let o = self.pop();
                self.emit(Ins::RefCastDesc {
                    nullable: u16::from(rt.nullable),
                    dst: o.slot,
                    a: Self::src(&o),
                    d: Self::src(&d),
                });
                self.push_next();
            }
            Opcode::StructGet | Opcode::StructGetS | Opcode::StructGetU => {
                let (_, y) = i.idx2();
                let o = self.pop();
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
                self.push_next();
            }
            Opcode::StructSet => {
                let (_, y) = i.idx2();
                let v = self.pop();
                let o = self.pop();
                self.emit(Ins::StructSet {
                    field: y,
                    a: Self::src(&o),
                    v: Self::src(&v),
                });
            }
            Opcode::ArrayNew | Opcode::ArrayNewDefault => {
                let x = i.idx();
                let default = u16::from(op == Opcode::ArrayNewDefault);
                self.emit_over(true, |base| Ins::ArrayNew {
                    default,
                    ty: x,
                    base,
                });
            }
            Opcode::ArrayNewFixed => {
                let (x, n) = i.idx2();
                self.emit_over(true, |base| Ins::ArrayNewFixed { ty: x, base, n });
            }
            Opcode::ArrayNewData | Opcode::ArrayInitData => {
                let (x, d) = i.idx2();
                if op == Opcode::ArrayNewData {
                    self.emit_over(true, |base| Ins::ArrayNewData {
                        ty: x,
                        data: d,
                        base,
                    });
                } else {
                    self.emit_over(false, |base| Ins::ArrayInitData { data: d, base });
                }
            }
            Opcode::ArrayNewElem | Opcode::ArrayInitElem => {
                let (x, e) = i.idx2();
                if op == Opcode::ArrayNewElem {
                    self.emit_over(true, |base| Ins::ArrayNewElem {
                        ty: x,
                        elem: e,
                        base,
                    });
                } else {
                    self.emit_over(false, |base| Ins::ArrayInitElem { elem: e, base });
                }
            }
            Opcode::ArrayGet | Opcode::ArrayGetS | Opcode::ArrayGetU => {
                let sx = match op {
                    Opcode::ArrayGetS => 1,
                    Opcode::ArrayGetU => 2,
                    _ => 0,
                };
                self.emit_over(true, |base| Ins::ArrayGet { sx, base });
            }
            Opcode::ArraySet => {
                self.emit_over(false, |base| Ins::ArraySet { base });
            }
            Opcode::ArrayLen => {
                let o = self.pop();
                self.emit_result(Ins::ArrayLen {
                    dst: o.slot,
                    a: Self::src(&o),
                });
            }
            Opcode::ArrayFill => {
                self.emit_over(false, |base| Ins::ArrayFill { base });
            }
            Opcode::ArrayCopy => {
                self.emit_over(false, |base| Ins::ArrayCopy { base });
            }
            Opcode::CallRef | Opcode::ReturnCallRef => {
                let mut r = self.pop();
                let base = self.pop_contiguous(self.popped.saturating_sub(1));
                self.materialize_opd(&mut r);
                let rs = Self::src(&r);
                if op == Opcode::CallRef {
                    self.emit(Ins::CallRef { base, r: rs });
                    self.height = base;
                    self.push_rest();
                } else {
                    self.emit(Ins::ReturnCallRef { base, r: rs });
                    self.set_unreachable();
                }
            }
            Opcode::Throw => {
                let x = i.idx();
                let base = self.pop_contiguous(self.popped);
                self.emit(Ins::Throw { tag: x, base });
                self.set_unreachable();
            }
            Opcode::ThrowRef => {
                let o = self.pop();
                self.emit(Ins::ThrowRef { a: Self::src(&o) });
                self.set_unreachable();
            }
            Opcode::TryTable => {
                let Imm::TryTable(b) = &i.imm else {
                    return mismatch("");
                };
                let (_, catches) = &**b;
                let mut targets = Vec::with_capacity(catches.len());
                for ct in catches {
                    targets.push(self.label(ct.label)?);
                }
                self.push_ctrl(Kind::TryTable, block);
                if self.live() {
                    let depth = (self.ctrls.len() - 1) as u32;
                    let start = self.code.len() as u32;
                    let mut hs = Vec::new();
                    for (ct, t) in catches.iter().zip(targets) {
                        let c = &self.ctrls[t];
                        let dst = c.slot;
                        // The label's types are the clause's (validated).
                        let ts = c.label_types();
                        let nvals = ts.len().saturating_sub(usize::from(matches!(
                            ct.kind,
                            CatchKind::CatchRef | CatchKind::CatchAllRef
                        )));
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
                self.push_ctrl(Kind::Try, block);
                let slot = self.next_exn_slot;
                self.next_exn_slot += 1;
                self.ctrls.last_mut().expect("control").exn_slot = slot;
            }
            Opcode::Catch | Opcode::CatchAll => {
                let kind = self.ctrls.last().map(|c| c.kind);
                let results = self.ctrls.last().expect("control").results.clone();
                let mut opds = self.pop_n(results.len());
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
                self.height = c.slot;
                self.push_rest();
                self.last_result = None;
                // The payload arrives without an instruction writing it.
                self.barrier = self.code.len();
            }
            Opcode::Delegate => {
                let top = self.ctrls.len() - 1;
                let (start, dead) = (self.ctrls[top].start_pc, self.ctrls[top].dead);
                let end = self.code.len() as u32;
                self.end();
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

/// What translating a function later needs from its validated module: the
/// validation context and the function bodies.
pub(crate) struct Unit {
    ctx: Ctx,
    module: Arc<Module>,
}

impl Unit {
    /// The unit of a module validated with context `ctx`.
    pub(crate) fn new(ctx: Ctx, module: Arc<Module>) -> Arc<Self> {
        Arc::new(Unit { ctx, module })
    }
}

/// A defined function's internal code, translated when it is first needed
/// (exec: a call, or an invocation from the host). The module was validated
/// as a whole before, so a failure here is an internal fault, reported as a
/// trap. Every instance and store of the module shares it; until then a
/// store's function instance holds [`LazyCode::stub`].
pub struct LazyCode {
    unit: Arc<Unit>,
    /// The function's index among the module's defined functions.
    index: u32,
    /// The stand-in before translation (`CompiledFunc::pending`).
    stub: Arc<CompiledFunc>,
    code: OnceLock<Arc<CompiledFunc>>,
}

impl std::fmt::Debug for LazyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyCode")
            .field("index", &self.index)
            .field("translated", &self.code.get().is_some())
            .finish()
    }
}

impl LazyCode {
    /// The code of defined function `index` of `unit`: `code` if it was
    /// translated already, else translated on first use.
    pub(crate) fn new(unit: &Arc<Unit>, index: u32, code: Option<CompiledFunc>) -> Self {
        let ty = unit
            .module
            .funcs
            .get(index as usize)
            .and_then(|f| unit.ctx.ty(f.ty).ok())
            .cloned()
            .unwrap_or_default();
        // No frame fits a stub: the hot loop (exec/fast.rs) leaves every
        // call to it to the full loop, which translates first.
        let stub = CompiledFunc {
            ty,
            frame_size: u32::MAX,
            pending: true,
            ..CompiledFunc::default()
        };
        let cell = OnceLock::new();
        if let Some(c) = code {
            let _ = cell.set(Arc::new(c));
        }
        LazyCode {
            unit: Arc::clone(unit),
            index,
            stub: Arc::new(stub),
            code: cell,
        }
    }

    /// The translated code if there is some already, else the stub.
    pub fn current(&self) -> Arc<CompiledFunc> {
        Arc::clone(self.code.get().unwrap_or(&self.stub))
    }

    /// The code, translated now if it was not yet.
    pub fn force(&self) -> std::result::Result<Arc<CompiledFunc>, super::Trap> {
        if let Some(c) = self.code.get() {
            return Ok(Arc::clone(c));
        }
        let fault = |e: &dyn std::fmt::Display| {
            super::Trap::Host(format!(
                "internal fault: translating defined function {} of a valid module failed: {e}",
                self.index
            ))
        };
        let f = self
            .unit
            .module
            .funcs
            .get(self.index as usize)
            .ok_or_else(|| fault(&"no such function"))?;
        let code = translate(&self.unit.ctx, f).map_err(|e| fault(&e))?;
        // Another thread may have won the race; both translations are equal.
        Ok(Arc::clone(self.code.get_or_init(|| Arc::new(code))))
    }
}
