//! valid: functions — the spec's validation algorithm (appendix
//! "Validation Algorithm"): an operand stack of value types (with the
//! bottom type of unreachable code), a control stack of frames with their
//! label types, height and unreachable flag, and the initialisation of
//! non-defaultable locals. Constant expressions are checked by the same
//! algorithm in constant mode.
//!
//! The validator drives a [`Sink`] after each instruction it accepts,
//! handing over the operand types it popped and pushed ([`Step`]): the
//! interpreter's translator (`exec/translate.rs`) is one; `()` validates only.

use super::{Ctx, Result, ValidationError, addr_type, mismatch};
use crate::syntax::*;

/// What the validator tells a [`Sink`] about one instruction it accepted.
pub(crate) struct Step<'s> {
    /// How many operands the instruction popped (in unreachable code, pops
    /// past the frame's operands count too: they yield the bottom type).
    pub popped: usize,
    /// The types it pushed, bottom first (`None`: the bottom type).
    pub pushed: &'s [Option<ValType>],
    /// A block instruction's type `[params] -> [results]`.
    pub block: Option<(&'s [ValType], &'s [ValType])>,
}

/// A consumer of validated instructions (the translator, or `()`).
pub(crate) trait Sink {
    /// Whether it reads the [`Step`]s (the validator records them only then).
    const STEPS: bool = true;
    /// Called after instruction `i` was validated, with its [`Step`].
    fn instr(&mut self, i: &Instr, step: &Step<'_>) -> Result<()>;
}

/// Validation alone.
impl Sink for () {
    const STEPS: bool = false;
    #[inline(always)]
    fn instr(&mut self, _: &Instr, _: &Step<'_>) -> Result<()> {
        Ok(())
    }
}

/// The kind of a control frame (spec: ctrl_frame.opcode); the translator
/// keeps its frames by the same kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
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

/// A control frame's start_types and end_types, named rather than copied
/// (the validator runs twice per called function: copies cost).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sig {
    /// `[] -> []`
    Empty,
    /// `[] -> [t]`
    Val(ValType),
    /// `[t1*] -> [t2*]` of function type `x` (a validated index).
    Type(u32),
    /// `[] -> [t2*]` of function type `x`: a function's own frame.
    Results(u32),
}

impl Sig {
    /// spec: start_types
    fn params<'s>(&'s self, c: &'s Ctx) -> &'s [ValType] {
        match self {
            Sig::Type(x) => c.ty(*x).map_or(&[], |f| &f.params),
            Sig::Empty | Sig::Val(_) | Sig::Results(_) => &[],
        }
    }

    /// spec: end_types
    fn results<'s>(&'s self, c: &'s Ctx) -> &'s [ValType] {
        match self {
            Sig::Empty => &[],
            Sig::Val(t) => std::slice::from_ref(t),
            Sig::Type(x) | Sig::Results(x) => c.ty(*x).map_or(&[], |f| &f.results),
        }
    }
}

/// A control frame (spec: ctrl_frame).
#[derive(Clone, Copy)]
struct Ctrl {
    kind: Kind,
    /// start_types and end_types
    sig: Sig,
    /// The operand stack's height on entry.
    height: usize,
    unreachable: bool,
    /// Length of the initialised-locals list on entry.
    inits: usize,
}

impl Ctrl {
    /// spec: label_types — a loop's label takes its parameters.
    fn label_types<'s>(&'s self, c: &'s Ctx) -> &'s [ValType] {
        if self.kind == Kind::Loop {
            self.sig.params(c)
        } else {
            self.sig.results(c)
        }
    }
}

/// The validator of one function body or constant expression.
struct Validator<'a, S> {
    c: &'a Ctx,
    /// The operand stack (`None`: the bottom type of unreachable code).
    vals: Vec<Option<ValType>>,
    ctrls: Vec<Ctrl>,
    /// (first index, type) per run of locals.
    locals: Vec<(u64, ValType)>,
    num_locals: u64,
    num_params: u64,
    /// Non-defaultable locals initialised so far (valid: local initialisation).
    inits: Vec<u32>,
    /// Constant-expression mode: only constant instructions, globals below the bound.
    const_globals: Option<usize>,
    sink: &'a mut S,
    /// Operands popped and types pushed by the current instruction.
    popped: usize,
    pushed: Vec<Option<ValType>>,
    /// The current block instruction's type.
    block: Option<Sig>,
    /// The operands [`Validator::pop_results`] popped last, bottom first.
    opds: Vec<Option<ValType>>,
}

/// valid: func — validates one function body, handing each accepted
/// instruction to `sink`.
pub(crate) fn validate<S: Sink>(c: &Ctx, f: &Func, sink: &mut S) -> Result<()> {
    let ft = c.ty(f.ty)?;
    let mut locals = Vec::new();
    let mut idx = 0u64;
    for &p in &ft.params {
        locals.push((idx, p));
        idx += 1;
    }
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
        locals.push((idx, t));
        idx += u64::from(n);
    }
    let mut v = Validator::new(c, sink, Sig::Results(f.ty), None);
    v.locals = locals;
    v.num_locals = idx;
    v.num_params = ft.params.len() as u64;
    for ins in &f.body {
        if v.ctrls.is_empty() {
            // Decoding guarantees the final `end` is last; be defensive anyway.
            return mismatch("instructions after function end");
        }
        v.instr(ins)?;
    }
    if !v.ctrls.is_empty() {
        return mismatch("function body not terminated");
    }
    Ok(())
}

/// valid: constant expressions — typed by the function validator in constant mode.
pub(super) fn check_const(c: &Ctx, e: &Expr, t: ValType, visible_globals: usize) -> Result<()> {
    // The common `t.const n end` of type `t` is valid as it stands (the
    // algorithm below would accept it; a validator costs more to set up).
    if let [k, end] = e.as_slice()
        && end.op == Opcode::End
        && num_const_type(k.op) == Some(t)
    {
        return Ok(());
    }
    let mut sink = ();
    let mut v = Validator::new(c, &mut sink, Sig::Val(t), Some(visible_globals));
    for ins in e {
        if v.ctrls.is_empty() {
            return mismatch("instructions after constant expression end");
        }
        v.instr(ins)?;
    }
    if !v.ctrls.is_empty() {
        return mismatch("constant expression not terminated");
    }
    Ok(())
}

/// The type a numeric or vector `const` instruction pushes.
fn num_const_type(op: Opcode) -> Option<ValType> {
    match op {
        Opcode::I32Const => Some(ValType::I32),
        Opcode::I64Const => Some(ValType::I64),
        Opcode::F32Const => Some(ValType::F32),
        Opcode::F64Const => Some(ValType::F64),
        Opcode::V128Const => Some(ValType::V128),
        _ => None,
    }
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

fn lane_count(bytes: u32) -> u32 {
    16 / bytes.max(1)
}

impl<'a, S: Sink> Validator<'a, S> {
    fn new(c: &'a Ctx, sink: &'a mut S, sig: Sig, consts: Option<usize>) -> Self {
        Validator {
            c,
            vals: Vec::new(),
            ctrls: vec![Ctrl {
                kind: Kind::Func,
                sig,
                height: 0,
                unreachable: false,
                inits: 0,
            }],
            locals: Vec::new(),
            num_locals: 0,
            num_params: 0,
            inits: Vec::new(),
            const_globals: consts,
            sink,
            popped: 0,
            pushed: Vec::new(),
            block: None,
            opds: Vec::new(),
        }
    }

    // ---- operand stack (spec: push_val, pop_val, pop_vals) ----

    fn push_opd(&mut self, ty: Option<ValType>) {
        self.vals.push(ty);
        if S::STEPS {
            self.pushed.push(ty);
        }
    }

    fn push(&mut self, ty: ValType) {
        self.push_opd(Some(ty));
    }

    fn push_all(&mut self, ts: &[ValType]) {
        for &t in ts {
            self.push(t);
        }
    }

    /// spec: pop_val — the bottom type past the frame's operands when unreachable.
    fn pop(&mut self) -> Result<Option<ValType>> {
        let ctrl = self.ctrls.last().expect("control stack");
        self.popped += 1;
        if self.vals.len() == ctrl.height {
            if ctrl.unreachable {
                return Ok(None);
            }
            return mismatch("instruction requires an operand but the stack is empty");
        }
        Ok(self.vals.pop().flatten())
    }

    /// spec: pop_val(expect) — the operand must match `t`.
    fn pop_expect(&mut self, t: ValType) -> Result<Option<ValType>> {
        let ctrl = self.ctrls.last().expect("control stack");
        if self.vals.len() == ctrl.height && !ctrl.unreachable {
            return mismatch(format!("instruction requires [{t}] but stack has []"));
        }
        let o = self.pop()?;
        if let Some(a) = o
            && !self.c.match_val(a, t)
        {
            return mismatch(format!("instruction requires [{t}] but stack has [{a}]"));
        }
        Ok(o)
    }

    fn pop_ref(&mut self) -> Result<Option<ValType>> {
        let o = self.pop()?;
        match o {
            None | Some(ValType::Ref(_)) => Ok(o),
            Some(t) => mismatch(format!(
                "instruction requires reference type but stack has {t}"
            )),
        }
    }

    /// spec: pop_vals — pops values of the given types (last on top).
    fn pop_types(&mut self, ts: &[ValType]) -> Result<()> {
        for &t in ts.iter().rev() {
            self.pop_expect(t)?;
        }
        Ok(())
    }

    /// [`Validator::pop_types`] of a frame's results, keeping the operands
    /// popped (bottom first, in `opds`) for [`Validator::leftover`].
    fn pop_results(&mut self, ts: &[ValType]) -> Result<()> {
        let mut opds = std::mem::take(&mut self.opds);
        opds.clear();
        for &t in ts.iter().rev() {
            opds.push(self.pop_expect(t)?);
        }
        opds.reverse();
        self.opds = opds;
        Ok(())
    }

    /// `block requires [results] but stack has [...]` for values left over
    /// (after [`Validator::pop_results`]).
    fn leftover(&self, results: &[ValType]) -> ValidationError {
        let opds = &self.opds;
        let h = self.ctrls.last().map_or(0, |c| c.height);
        let show = |t: Option<ValType>| t.map_or("(bot)".to_string(), |t| t.to_string());
        let have: Vec<String> = self.vals[h.min(self.vals.len())..]
            .iter()
            .chain(opds)
            .map(|&o| show(o))
            .collect();
        let want: Vec<String> = results.iter().map(|t| t.to_string()).collect();
        ValidationError::TypeMismatch(format!(
            "block requires [{}] but stack has [{}]",
            want.join(" "),
            have.join(" ")
        ))
    }

    // ---- locals ----

    fn local(&self, x: u32) -> Result<ValType> {
        let x = u64::from(x);
        if x >= self.num_locals {
            return Err(ValidationError::Unknown("local", x as u32));
        }
        let i = self.locals.partition_point(|r| r.0 <= x) - 1;
        Ok(self.locals[i].1)
    }

    // ---- control (spec: push_ctrl, pop_ctrl, label_types, unreachable) ----

    fn block_type(&self, bt: &BlockType) -> Result<Sig> {
        Ok(match bt {
            BlockType::Empty => Sig::Empty,
            BlockType::Val(t) => {
                self.c.check_val(*t)?;
                Sig::Val(*t)
            }
            BlockType::Func(x) => {
                self.c.ty(*x)?;
                Sig::Type(*x)
            }
        })
    }

    /// spec: push_ctrl — after popping the block's parameters.
    fn push_ctrl(&mut self, kind: Kind, sig: Sig) -> Result<()> {
        let c = self.c;
        let params = sig.params(c);
        self.pop_types(params)?;
        let height = self.vals.len();
        self.push_all(params);
        if S::STEPS {
            self.block = Some(sig);
        }
        self.ctrls.push(Ctrl {
            kind,
            sig,
            height,
            unreachable: false,
            inits: self.inits.len(),
        });
        Ok(())
    }

    fn label(&self, l: u32) -> Result<usize> {
        let n = self.ctrls.len();
        if (l as usize) >= n {
            return Err(ValidationError::UnknownLabel(l));
        }
        Ok(n - 1 - l as usize)
    }

    /// spec: unreachable — the rest of the block is stack-polymorphic.
    fn set_unreachable(&mut self) {
        let c = self.ctrls.last_mut().expect("control stack");
        self.vals.truncate(c.height);
        c.unreachable = true;
    }

    /// The top `n` operand types without popping them (bottom first), the
    /// bottom type past the frame's operands.
    fn top_opds(&self, n: usize) -> Vec<Option<ValType>> {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        let avail = self.vals.len().saturating_sub(h);
        let mut v: Vec<Option<ValType>> = self.vals[self.vals.len() - avail.min(n)..].to_vec();
        while v.len() < n {
            v.insert(0, None);
        }
        v
    }

    /// spec: pop_ctrl — the frame's results, and nothing else, are on the
    /// stack; then pushes them for the enclosing block.
    fn end(&mut self) -> Result<()> {
        let (cx, frame) = (self.c, *self.ctrls.last().expect("control"));
        let results = frame.sig.results(cx);
        self.pop_results(results)?;
        {
            let c = self.ctrls.last().expect("control");
            if self.vals.len() != c.height {
                return Err(self.leftover(results));
            }
            // valid: if — without else, the parameters pass through as results.
            if c.kind == Kind::If && frame.sig.params(cx) != results {
                return mismatch("if without else must have matching parameter and result types");
            }
        }
        let c = self.ctrls.pop().expect("control");
        self.inits.truncate(c.inits);
        if c.kind != Kind::Func {
            self.push_all(results);
        }
        Ok(())
    }

    // ---- instructions ----

    /// valid: memarg — the memory exists, the alignment is at most natural,
    /// a 32-bit memory's offset is below 2^32; returns the memory's type.
    fn memarg(&self, imm: &Imm, natural: u32) -> Result<MemType> {
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
        Ok(mt)
    }

    /// threads: valid — atomic instructions. The memory must exist, the
    /// alignment must be exactly natural.
    fn atomic(&mut self, i: &Instr, ac: AtomicClass) -> Result<()> {
        if ac == AtomicClass::Fence {
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
        let mt = self.memarg(&i.imm, ac.width())?;
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
        self.pop_types(&params)?;
        if let Some(t) = result {
            self.push(t);
        }
        Ok(())
    }

    /// The address type of memory `x`.
    fn mem_at(&self, x: u32) -> Result<ValType> {
        Ok(addr_type(self.c.mem(x)?.idx64))
    }

    fn num(t: NumType) -> ValType {
        t.into()
    }

    /// Validates instruction `i`, then hands it to the sink.
    fn instr(&mut self, i: &Instr) -> Result<()> {
        self.popped = 0;
        self.pushed.clear();
        self.block = None;
        self.validate(i)?;
        let (c, block) = (self.c, self.block);
        let step = Step {
            popped: self.popped,
            pushed: &self.pushed,
            block: block.as_ref().map(|s| (s.params(c), s.results(c))),
        };
        self.sink.instr(i, &step)
    }

    /// Validates instruction `i` (spec: validation of each instruction).
    fn validate(&mut self, i: &Instr) -> Result<()> {
        let op = i.op;
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
            // valid: numeric instructions — [a] -> [r], [a a] -> [r].
            Class::Unop(a, r) => {
                self.pop_expect(Self::num(a))?;
                self.push(Self::num(r));
                return Ok(());
            }
            Class::Binop(a, r) => {
                self.pop_expect(Self::num(a))?;
                self.pop_expect(Self::num(a))?;
                self.push(Self::num(r));
                return Ok(());
            }
            // valid: t.load — [at] -> [t].
            Class::Load(t, w) => {
                let mt = self.memarg(&i.imm, w)?;
                self.pop_expect(addr_type(mt.idx64))?;
                self.push(Self::num(t));
                return Ok(());
            }
            // valid: t.store — [at t] -> [].
            Class::Store(t, w) => {
                let mt = self.memarg(&i.imm, w)?;
                self.pop_expect(Self::num(t))?;
                self.pop_expect(addr_type(mt.idx64))?;
                return Ok(());
            }
            Class::Simd(sc) => return self.simd(i, sc),
            Class::Atomic(ac) => return self.atomic(i, ac),
            Class::Special(_) => {}
        }
        match op {
            Opcode::Unreachable => {
                self.set_unreachable();
            }
            Opcode::Nop => {}
            // valid: block, loop — [t1*] -> [t2*] of the block type.
            Opcode::Block | Opcode::Loop => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let sig = self.block_type(bt)?;
                self.push_ctrl(
                    if op == Opcode::Block {
                        Kind::Block
                    } else {
                        Kind::Loop
                    },
                    sig,
                )?;
            }
            // valid: if — [t1* i32] -> [t2*].
            Opcode::If => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let sig = self.block_type(bt)?;
                self.pop_expect(ValType::I32)?;
                self.push_ctrl(Kind::If, sig)?;
            }
            // valid: if — the then-branch ends with the results; else starts
            // again from the parameters.
            Opcode::Else => {
                if self.ctrls.last().map(|c| c.kind) != Some(Kind::If) {
                    return mismatch("else without if");
                }
                let (cx, frame) = (self.c, *self.ctrls.last().expect("control"));
                let results = frame.sig.results(cx);
                self.pop_results(results)?;
                if self.vals.len() != frame.height {
                    return Err(self.leftover(results));
                }
                let c = self.ctrls.last_mut().expect("control");
                c.kind = Kind::Else;
                c.unreachable = false;
                self.inits.truncate(frame.inits);
                self.push_all(frame.sig.params(cx));
            }
            Opcode::End => self.end()?,
            // valid: br — the label's types, then stack-polymorphic.
            Opcode::Br => {
                let t = self.label(i.idx())?;
                let (cx, frame) = (self.c, self.ctrls[t]);
                self.pop_types(frame.label_types(cx))?;
                self.set_unreachable();
            }
            // valid: br_if — [t* i32] -> [t*] for the label's types.
            Opcode::BrIf => {
                let t = self.label(i.idx())?;
                self.pop_expect(ValType::I32)?;
                let (cx, frame) = (self.c, self.ctrls[t]);
                let lt = frame.label_types(cx);
                self.pop_types(lt)?;
                self.push_all(lt);
            }
            // valid: br_table — every label has the default label's arity and
            // takes the operands.
            Opcode::BrTable => {
                let Imm::BrTable(ls) = &i.imm else {
                    return mismatch("");
                };
                self.pop_expect(ValType::I32)?;
                let default = *ls.last().unwrap_or(&0);
                let dt = self.label(default)?;
                let arity = self.ctrls[dt].label_types(self.c).len();
                let opds = self.top_opds(arity);
                for &l in ls.iter() {
                    let t = self.label(l)?;
                    let lt = self.ctrls[t].label_types(self.c);
                    if lt.len() != arity {
                        return mismatch("br_table labels have inconsistent arity");
                    }
                    // valid 1.0: br_table — every label has the default label's type.
                    if self.c.f.pre_v2_rules() && lt != self.ctrls[dt].label_types(self.c) {
                        return mismatch("br_table labels have different types");
                    }
                    for (o, &ty) in opds.iter().zip(lt) {
                        if let Some(a) = *o
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
                self.set_unreachable();
            }
            // valid: return — the function's results, then stack-polymorphic.
            Opcode::Return => {
                let (cx, frame) = (self.c, self.ctrls[0]);
                self.pop_types(frame.sig.results(cx))?;
                self.set_unreachable();
            }
            // valid: call — the callee's type.
            Opcode::Call => {
                let cx = self.c;
                let ft = cx.func(i.idx())?;
                self.pop_types(&ft.params)?;
                self.push_all(&ft.results);
            }
            // valid: call_indirect — a funcref table, the type's parameters and
            // the table's address type.
            Opcode::CallIndirect | Opcode::ReturnCallIndirect => {
                let (ty, table) = i.idx2();
                let tt = self.c.table(table)?;
                let cx = self.c;
                let ft = cx.ty(ty)?;
                if !self.c.match_ref(tt.elem, RefType::FUNCREF) {
                    return mismatch("call_indirect requires a table of function type");
                }
                let tail = op == Opcode::ReturnCallIndirect;
                if tail {
                    self.check_tail_results(&ft.results)?;
                }
                self.pop_expect(addr_type(tt.idx64))?;
                self.pop_types(&ft.params)?;
                if tail {
                    self.set_unreachable();
                } else {
                    self.push_all(&ft.results);
                }
            }
            Opcode::ReturnCall => {
                let cx = self.c;
                let ft = cx.func(i.idx())?;
                self.check_tail_results(&ft.results)?;
                self.pop_types(&ft.params)?;
                self.set_unreachable();
            }
            Opcode::Drop => {
                self.pop()?;
            }
            // valid: select — [t t i32] -> [t].
            Opcode::Select | Opcode::SelectT => {
                self.pop_expect(ValType::I32)?;
                let t = if let Imm::Types(ts) = &i.imm {
                    if ts.len() != 1 {
                        return Err(ValidationError::InvalidResultArity);
                    }
                    self.c.check_val(ts[0])?;
                    self.pop_expect(ts[0])?;
                    self.pop_expect(ts[0])?;
                    Some(ts[0])
                } else {
                    // valid: select — both operands numeric (or both vector) and equal.
                    let b = self.pop()?;
                    let a = self.pop()?;
                    if let (Some(x), Some(y)) = (a, b)
                        && x != y
                    {
                        return mismatch(format!("select operands [{x}] and [{y}] differ"));
                    }
                    let t = a.or(b);
                    if let Some(t) = t
                        && t.is_ref()
                    {
                        return mismatch(format!(
                            "select requires numeric or vector type but stack has {t}"
                        ));
                    }
                    t
                };
                self.push_opd(t);
            }
            Opcode::LocalGet => {
                let t = self.local(i.idx())?;
                // valid: local.get — non-defaultable locals must be initialised.
                if !t.defaultable()
                    && u64::from(i.idx()) >= self.num_params
                    && !self.inits.contains(&i.idx())
                {
                    return Err(ValidationError::UninitializedLocal(i.idx()));
                }
                self.push(t);
            }
            Opcode::LocalSet | Opcode::LocalTee => {
                let t = self.local(i.idx())?;
                self.pop_expect(t)?;
                // valid: local.set — a non-defaultable local is initialised from here on.
                if !t.defaultable() && !self.inits.contains(&i.idx()) {
                    self.inits.push(i.idx());
                }
                if op == Opcode::LocalTee {
                    self.push(t);
                }
            }
            Opcode::GlobalGet => {
                let g = self.c.global(i.idx())?;
                self.push(g.ty);
            }
            // valid: global.set — the global is mutable.
            Opcode::GlobalSet => {
                let g = self.c.global(i.idx())?;
                if !g.mutable {
                    // The wording changed with typed function references.
                    return Err(ValidationError::ImmutableGlobal {
                        legacy: self.c.f.legacy_v2_messages() && !self.c.f.function_references,
                    });
                }
                self.pop_expect(g.ty)?;
            }
            Opcode::TableGet => {
                let tt = self.c.table(i.idx())?;
                self.pop_expect(addr_type(tt.idx64))?;
                self.push(ValType::Ref(tt.elem));
            }
            Opcode::TableSet => {
                let tt = self.c.table(i.idx())?;
                self.pop_expect(ValType::Ref(tt.elem))?;
                self.pop_expect(addr_type(tt.idx64))?;
            }
            Opcode::TableSize => {
                let tt = self.c.table(i.idx())?;
                self.push(addr_type(tt.idx64));
            }
            Opcode::TableGrow => {
                let tt = self.c.table(i.idx())?;
                let at = addr_type(tt.idx64);
                self.pop_types(&[ValType::Ref(tt.elem), at])?;
                self.push(at);
            }
            Opcode::TableFill => {
                let tt = self.c.table(i.idx())?;
                let at = addr_type(tt.idx64);
                self.pop_types(&[at, ValType::Ref(tt.elem), at])?;
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
                self.pop_types(&[addr_type(td.idx64), addr_type(ts.idx64), n])?;
            }
            Opcode::TableInit => {
                let (e, t) = i.idx2();
                let tt = self.c.table(t)?;
                let et = self.c.elem(e)?;
                if !self.c.match_val(ValType::Ref(et), ValType::Ref(tt.elem)) {
                    return mismatch("table.init element type does not match the table");
                }
                self.pop_types(&[addr_type(tt.idx64), ValType::I32, ValType::I32])?;
            }
            Opcode::ElemDrop => {
                self.c.elem(i.idx())?;
            }
            Opcode::MemorySize => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                self.push(at);
            }
            Opcode::MemoryGrow => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                self.pop_expect(at)?;
                self.push(at);
            }
            Opcode::MemoryFill => {
                let mem = i.idx();
                let at = self.mem_at(mem)?;
                self.pop_types(&[at, ValType::I32, at])?;
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
                self.pop_types(&[ad, as_, n])?;
            }
            Opcode::MemoryInit => {
                let (x, m) = i.idx2();
                let at = self.mem_at(m)?;
                self.c.data(x)?;
                self.pop_types(&[at, ValType::I32, ValType::I32])?;
            }
            Opcode::DataDrop => {
                self.c.data(i.idx())?;
            }
            Opcode::I64Add128 | Opcode::I64Sub128 => {
                self.pop_types(&[ValType::I64; 4])?;
                self.push(ValType::I64);
                self.push(ValType::I64);
            }
            Opcode::I64MulWideS | Opcode::I64MulWideU => {
                self.pop_types(&[ValType::I64; 2])?;
                self.push(ValType::I64);
                self.push(ValType::I64);
            }
            Opcode::I32Const => self.push(ValType::I32),
            Opcode::I64Const => self.push(ValType::I64),
            Opcode::F32Const => self.push(ValType::F32),
            Opcode::F64Const => self.push(ValType::F64),
            Opcode::RefNull => {
                let Imm::Heap(h) = i.imm else {
                    return mismatch("");
                };
                self.c.check_heap(h)?;
                self.push(ValType::Ref(RefType {
                    nullable: true,
                    heap: h,
                }));
            }
            Opcode::RefIsNull => {
                self.pop_ref()?;
                self.push(ValType::I32);
            }
            // valid: ref.func — the function is declared (outside constant
            // expressions).
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
                self.push(ty);
            }
            _ => return self.instr3(i),
        }
        Ok(())
    }

    /// valid: return_call* — the callee's results match the caller's.
    fn check_tail_results(&self, results: &[ValType]) -> Result<()> {
        let own = self.ctrls[0].sig.results(self.c);
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

    /// valid: vector instructions.
    fn simd(&mut self, i: &Instr, sc: SimdClass) -> Result<()> {
        let v128 = ValType::V128;
        let lane = match i.imm {
            Imm::Lane(l) | Imm::MemArgLane(_, l) => l,
            _ => 0,
        };
        match sc {
            SimdClass::Load(n) => {
                let mt = self.memarg(&i.imm, n)?;
                self.pop_expect(addr_type(mt.idx64))?;
                self.push(v128);
            }
            SimdClass::Store => {
                let mt = self.memarg(&i.imm, 16)?;
                self.pop_expect(v128)?;
                self.pop_expect(addr_type(mt.idx64))?;
            }
            SimdClass::LoadLane(n) | SimdClass::StoreLane(n) => {
                let mt = self.memarg(&i.imm, n)?;
                // valid: v128.loadN_lane — the lane index is below 16/N.
                if u32::from(lane) >= lane_count(n) {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                self.pop_expect(v128)?;
                self.pop_expect(addr_type(mt.idx64))?;
                if matches!(sc, SimdClass::LoadLane(_)) {
                    self.push(v128);
                }
            }
            SimdClass::Const => self.push(v128),
            SimdClass::Shuffle => {
                let Imm::Shuffle(lanes) = i.imm else {
                    return mismatch("");
                };
                // valid: i8x16.shuffle — every lane index is below 32.
                if lanes.iter().any(|&l| l >= 32) {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                self.pop_types(&[v128, v128])?;
                self.push(v128);
            }
            SimdClass::Un => {
                self.pop_expect(v128)?;
                self.push(v128);
            }
            SimdClass::Bin => {
                self.pop_types(&[v128, v128])?;
                self.push(v128);
            }
            SimdClass::Tern => {
                self.pop_types(&[v128, v128, v128])?;
                self.push(v128);
            }
            SimdClass::Test => {
                self.pop_expect(v128)?;
                self.push(ValType::I32);
            }
            SimdClass::Shift => {
                self.pop_expect(ValType::I32)?;
                self.pop_expect(v128)?;
                self.push(v128);
            }
            SimdClass::Splat(t) => {
                self.pop_expect(t.into())?;
                self.push(v128);
            }
            // valid: extract_lane — the lane index is below the lane count.
            SimdClass::Extract(t, lanes) => {
                if lane >= lanes {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                self.pop_expect(v128)?;
                self.push(t.into());
            }
            SimdClass::Replace(t, lanes) => {
                if lane >= lanes {
                    return Err(ValidationError::InvalidLaneIndex);
                }
                self.pop_expect(t.into())?;
                self.pop_expect(v128)?;
                self.push(v128);
            }
        }
        Ok(())
    }
}

impl<S: Sink> Validator<'_, S> {
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
        let (cx, frame) = (self.c, self.ctrls[t]);
        let lt = frame.label_types(cx);
        let Some(ValType::Ref(last)) = lt.last().copied() else {
            return mismatch("br_on_cast_desc_eq requires a label of reference type");
        };
        if !self.c.match_ref(branch_ty, last) {
            return mismatch(format!("type {branch_ty} does not match {last}"));
        }
        let dt = self.desc_cast_ref(rt2)?;
        self.pop_expect(ValType::Ref(dt))?;
        self.pop_expect(ValType::Ref(rt1))?;
        self.pop_types(&lt[..lt.len() - 1])?;
        self.push_all(&lt[..lt.len() - 1]);
        self.push(ValType::Ref(fall_ty));
        Ok(())
    }

    /// The type of the topmost operand without popping it; `None` for the
    /// bottom type (unreachable code or an empty stack).
    fn peek_type(&self) -> Option<ValType> {
        let h = self.ctrls.last().map_or(0, |c| c.height);
        if self.vals.len() > h {
            self.vals.last().copied().flatten()
        } else {
            None
        }
    }

    /// Pops a reference operand; `None` for the bottom type.
    fn pop_any_ref(&mut self) -> Result<Option<RefType>> {
        match self.pop()? {
            None => Ok(None),
            Some(ValType::Ref(r)) => Ok(Some(r)),
            Some(t) => mismatch(format!(
                "instruction requires reference type but stack has {t}"
            )),
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
            // valid: ref.as_non_null — [(ref null ht)] -> [(ref ht)].
            Opcode::RefAsNonNull => {
                let rt = self.pop_any_ref()?;
                self.push_opd(rt.map(|r| Self::ref_ty(false, r.heap)));
            }
            // valid: br_on_null — the label's types, then the reference as non-null.
            Opcode::BrOnNull => {
                let t = self.label(i.idx())?;
                let rt = self.pop_any_ref()?;
                let (cx, frame) = (self.c, self.ctrls[t]);
                let lt = frame.label_types(cx);
                self.pop_types(lt)?;
                self.push_all(lt);
                self.push_opd(rt.map(|r| Self::ref_ty(false, r.heap)));
            }
            // valid: br_on_non_null — the label's last type takes the non-null reference.
            Opcode::BrOnNonNull => {
                let t = self.label(i.idx())?;
                let (cx, frame) = (self.c, self.ctrls[t]);
                let lt = frame.label_types(cx);
                let Some(ValType::Ref(last)) = lt.last().copied() else {
                    return mismatch("br_on_non_null requires a label of reference type");
                };
                let rt = self.pop_any_ref()?;
                if let Some(r) = rt
                    && !self.c.match_ref(RefType::new(false, r.heap), last)
                {
                    return mismatch(format!(
                        "br_on_non_null requires [{last}] but stack has [{r}]"
                    ));
                }
                let rest = &lt[..lt.len() - 1];
                self.pop_types(rest)?;
                self.push_all(rest);
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
                let (cx, frame) = (self.c, self.ctrls[t]);
                let lt = frame.label_types(cx);
                let Some(ValType::Ref(last)) = lt.last().copied() else {
                    return mismatch("br_on_cast requires a label of reference type");
                };
                if !self.c.match_ref(branch_ty, last) {
                    return mismatch(format!("type {branch_ty} does not match {last}"));
                }
                self.pop_expect(ValType::Ref(rt1))?;
                let rest = &lt[..lt.len() - 1];
                self.pop_types(rest)?;
                self.push_all(rest);
                self.push(ValType::Ref(fall_ty));
            }
            Opcode::RefTest | Opcode::RefTestNull | Opcode::RefCast | Opcode::RefCastNull => {
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                self.c.check_heap(rt.heap)?;
                let top = Self::ref_ty(true, self.c.top(rt.heap));
                self.pop_expect(top)?;
                if matches!(op, Opcode::RefTest | Opcode::RefTestNull) {
                    self.push(i32t);
                } else {
                    self.push(ValType::Ref(rt));
                }
            }
            Opcode::RefEq => {
                let eqref = Self::ref_ty(true, HeapType::Eq);
                self.pop_expect(eqref)?;
                self.pop_expect(eqref)?;
                self.push(i32t);
            }
            Opcode::RefI31 => {
                self.pop_expect(i32t)?;
                self.push(Self::ref_ty(false, HeapType::I31));
            }
            Opcode::I31GetS | Opcode::I31GetU => {
                self.pop_expect(Self::ref_ty(true, HeapType::I31))?;
                self.push(i32t);
            }
            Opcode::AnyConvertExtern | Opcode::ExternConvertAny => {
                let (from, to) = if op == Opcode::AnyConvertExtern {
                    (HeapType::Extern, HeapType::Any)
                } else {
                    (HeapType::Any, HeapType::Extern)
                };
                // valid: any.convert_extern — nullability carries over.
                let nullable = match self.pop_expect(Self::ref_ty(true, from))? {
                    Some(ValType::Ref(r)) => r.nullable,
                    _ => false,
                };
                self.push(Self::ref_ty(nullable, to));
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
                self.pop_types(&ts)?;
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
                if let Some(y) = self.alloc_desc(x, op == Opcode::StructNewDefaultDesc)? {
                    self.pop_expect(Self::ref_ty(true, HeapType::Exact(y)))?;
                }
                self.push(ty);
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
                self.pop_expect(Self::ref_ty(true, hx))?;
                self.push(Self::ref_ty(false, hy));
            }
            Opcode::RefCastDescEq | Opcode::RefCastDescEqNull => {
                // custom-descriptors: valid ref.cast_desc_eq
                let Imm::Ref(rt) = i.imm else {
                    return mismatch("");
                };
                self.c.check_heap(rt.heap)?;
                let dt = self.desc_cast_ref(rt)?;
                self.pop_expect(ValType::Ref(dt))?;
                self.pop_expect(Self::ref_ty(true, self.c.top(rt.heap)))?;
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
                self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
                self.push(ft.storage.unpacked());
            }
            Opcode::StructSet => {
                let (x, y) = i.idx2();
                let ft = self.field(x, y)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableField);
                }
                self.pop_expect(ft.storage.unpacked())?;
                self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
            }
            Opcode::ArrayNew | Opcode::ArrayNewDefault => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                let t = ft.storage.unpacked();
                if op == Opcode::ArrayNew {
                    self.pop_types(&[t, i32t])?;
                } else {
                    // valid: array.new_default — the element type is defaultable.
                    if !t.defaultable() {
                        return mismatch(format!("array type {x} is not defaultable"));
                    }
                    self.pop_types(&[i32t])?;
                }
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
                self.pop_types(&ts)?;
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
                    self.pop_types(&[i32t, i32t])?;
                    self.push(Self::ref_ty(false, self.alloc_heap(x)));
                } else {
                    let r = Self::ref_ty(true, HeapType::Concrete(x));
                    self.pop_types(&[r, i32t, i32t, i32t])?;
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
                    self.pop_types(&[i32t, i32t])?;
                    self.push(Self::ref_ty(false, self.alloc_heap(x)));
                } else {
                    let r = Self::ref_ty(true, HeapType::Concrete(x));
                    self.pop_types(&[r, i32t, i32t, i32t])?;
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
                self.pop_types(&[r, i32t])?;
                self.push(ft.storage.unpacked());
            }
            Opcode::ArraySet => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let r = Self::ref_ty(true, HeapType::Concrete(x));
                self.pop_types(&[r, i32t, ft.storage.unpacked()])?;
            }
            Opcode::ArrayLen => {
                self.pop_expect(Self::ref_ty(true, HeapType::Array))?;
                self.push(i32t);
            }
            Opcode::ArrayFill => {
                let x = i.idx();
                let ft = self.c.array_type(x)?;
                if !ft.mutable {
                    return Err(ValidationError::ImmutableArray);
                }
                let r = Self::ref_ty(true, HeapType::Concrete(x));
                self.pop_types(&[r, i32t, ft.storage.unpacked(), i32t])?;
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
                self.pop_types(&[rd, i32t, rs, i32t, i32t])?;
            }
            Opcode::CallRef | Opcode::ReturnCallRef => {
                let x = i.idx();
                let (cx, frame) = (self.c, self.ctrls[0]);
                let ft = cx.ty(x)?;
                if op == Opcode::ReturnCallRef {
                    let results = frame.sig.results(cx);
                    if ft.results.len() != results.len()
                        || !ft
                            .results
                            .iter()
                            .zip(results)
                            .all(|(a, b)| self.c.match_val(*a, *b))
                    {
                        return mismatch("return_call_ref result types do not match");
                    }
                }
                self.pop_expect(Self::ref_ty(true, HeapType::Concrete(x)))?;
                self.pop_types(&ft.params)?;
                if op == Opcode::CallRef {
                    self.push_all(&ft.results);
                } else {
                    self.set_unreachable();
                }
            }
            Opcode::Throw => {
                let x = i.idx();
                let cx = self.c;
                let ft = cx.tag(x)?;
                self.pop_types(&ft.params)?;
                self.set_unreachable();
            }
            Opcode::ThrowRef => {
                self.pop_expect(ValType::Ref(RefType::EXNREF))?;
                self.set_unreachable();
            }
            Opcode::TryTable => {
                let Imm::TryTable(b) = &i.imm else {
                    return mismatch("");
                };
                let (bt, catches) = &**b;
                let sig = self.block_type(bt)?;
                let exn = Self::ref_ty(false, HeapType::Exn);
                // valid: try_table — each catch clause's values match its label.
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
                    let lt = self.ctrls[t].label_types(self.c);
                    if lt.len() != ts.len()
                        || !ts.iter().zip(lt).all(|(a, b)| self.c.match_val(*a, *b))
                    {
                        return mismatch("catch clause does not match its label");
                    }
                }
                self.push_ctrl(Kind::TryTable, sig)?;
            }
            Opcode::Try => {
                let Imm::Block(bt) = &i.imm else {
                    return mismatch("");
                };
                let sig = self.block_type(bt)?;
                self.push_ctrl(Kind::Try, sig)?;
            }
            Opcode::Catch | Opcode::CatchAll => {
                let kind = self.ctrls.last().map(|c| c.kind);
                if !matches!(kind, Some(Kind::Try | Kind::Catch)) {
                    return mismatch("catch without try");
                }
                let cx = self.c;
                let params: &[ValType] = if op == Opcode::Catch {
                    &cx.tag(i.idx())?.params
                } else {
                    &[]
                };
                let frame = *self.ctrls.last().expect("control");
                let results = frame.sig.results(cx);
                self.pop_results(results)?;
                if self.vals.len() != frame.height {
                    return Err(self.leftover(results));
                }
                let c = self.ctrls.last_mut().expect("control");
                c.kind = Kind::Catch;
                c.unreachable = false;
                let inits = c.inits;
                self.inits.truncate(inits);
                self.push_all(params);
            }
            Opcode::Delegate => {
                let top = self.ctrls.len() - 1;
                if self.ctrls[top].kind != Kind::Try {
                    return mismatch("delegate without try");
                }
                self.end()?;
                self.label(i.idx())?;
            }
            Opcode::Rethrow => {
                let t = self.label(i.idx())?;
                if self.ctrls[t].kind != Kind::Catch {
                    return Err(ValidationError::InvalidRethrowLabel);
                }
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
