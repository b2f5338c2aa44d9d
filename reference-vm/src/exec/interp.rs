//! The interpreter loop (spec: Execution › Instructions) over the internal code,
//! with an explicit frame stack.

use super::code::Ins;
use super::numerics::v128;
use super::*;

/// What the inner loop asks the frame manager to do.
enum Next {
    /// Call `callee` with arguments at `base`; a tail call replaces the current frame.
    Call {
        callee: u32,
        base: u32,
        tail: bool,
    },
    Return,
    /// Run `ext[idx]` of the current function.
    Ext(u32),
    /// Throw the exception at this address from the current instruction.
    Throw(u32),
    Trap(Trap),
    /// Go on at the current frame's `pc` (after a store host function returned).
    Resume,
}

/// Where [`Store::run`] starts: a call of `entry` whose frame begins at
/// slot `fp` (arguments there), or the frame a store host function left.
enum Start {
    Call {
        entry: u32,
        fp: usize,
    },
    Resume {
        fa: u32,
        fp: usize,
        pc: usize,
        next: Next,
    },
}

/// Why [`Store::run`] returned without a trap.
enum Exit {
    /// The entry function returned; its results are at its frame's base.
    Done,
    /// A store host function is called: the loop lets go of the store.
    Host {
        f: StoreFunc,
        ty: u32,
        args: Vec<Val>,
        /// Where the results go.
        dst: usize,
        /// The first slot free above the calling frame.
        top: usize,
        tail: bool,
        fa: u32,
        fp: usize,
        pc: usize,
    },
    /// A function not translated yet is called (its code is the stub of
    /// `LazyCode`): the loop lets go of the store, which translates it and
    /// resumes with the call.
    Translate {
        callee: u32,
        base: u32,
        tail: bool,
        fa: u32,
        fp: usize,
        pc: usize,
    },
}

/// How deep store host functions may nest (each holds native stack).
const MAX_HOST_NESTING: usize = 256;

/// Grows the value stack (doubling, up to `max_slots`) so that a frame at
/// slot `fp` ending at slot `need` (at most `max_slots`) fits, and the hot
/// loop's window of it (`fast::WINDOW` slots from `fp`).
#[inline]
fn grow(stack: &mut Vec<u64>, fp: usize, need: usize, max_slots: usize) {
    let padded = need.max(fp + super::fast::WINDOW);
    if padded > stack.len() {
        let len = need.max(stack.len() * 2).min(max_slots) + super::fast::WINDOW;
        stack.resize(len.max(padded), 0);
    }
}

/// Marks the bottom frame.
const NO_FUNC: u32 = u32::MAX;

/// The most frames a backtrace keeps (innermost first).
pub const MAX_BACKTRACE: usize = 64;

/// exec: v128.loadNxM_sx — widen eight bytes into a vector.
pub(super) fn extend_load(op: u16, b: [u8; 8]) -> u128 {
    let mut r = 0u128;
    match op {
        1 | 2 => {
            for (i, &x) in b.iter().enumerate() {
                let v = if op == 1 {
                    x as i8 as i16 as u16
                } else {
                    u16::from(x)
                };
                r |= u128::from(v) << (16 * i);
            }
        }
        3 | 4 => {
            for i in 0..4 {
                let x = u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
                let v = if op == 3 {
                    x as i16 as i32 as u32
                } else {
                    u32::from(x)
                };
                r |= u128::from(v) << (32 * i);
            }
        }
        _ => {
            for i in 0..2 {
                let x = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
                let v = if op == 5 {
                    x as i32 as i64 as u64
                } else {
                    u64::from(x)
                };
                r |= u128::from(v) << (64 * i);
            }
        }
    }
    r
}

impl Store {
    /// exec: invoke — calls a function with arguments of its parameter types.
    /// From inside a store host function ([`StoreFunc`]) the call runs
    /// nested, above the frames that called the host.
    pub fn invoke(&mut self, f: FuncAddr, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let fi = self
            .funcs
            .get(f.0 as usize)
            .ok_or_else(|| Trap::BadArguments("unknown function".into()))?;
        let ty = self.types[fi.ty_id() as usize].clone();
        if args.len() != ty.params.len()
            || !args
                .iter()
                .zip(&ty.params)
                .all(|(a, t)| self.val_matches(a, *t))
        {
            return Err(Trap::BadArguments(format!("function expects {ty}")));
        }
        let nested = self.host_depth > 0;
        match fi {
            FuncInst::Host { host, .. } => {
                let h = *host as usize;
                match &mut self.hosts[h] {
                    Host::Caller(host) => {
                        let mut caller = Caller {
                            mems: &mut self.mems,
                            globals: &mut self.globals,
                            instance: None,
                        };
                        host(&mut caller, args)
                    }
                    Host::Store(host) => {
                        let host = host.clone();
                        if !nested {
                            self.nested_base = 0;
                        }
                        self.call_store_host(&host, args, self.nested_base)
                    }
                }
            }
            FuncInst::Wasm { .. } => {
                // exec: translation — on the function's first use.
                let code = self.translated(f.0)?;
                let base = if nested { self.nested_base } else { 0 };
                let need = base
                    + (code.frame_size as usize)
                        .max(code.result_slots as usize)
                        .max(4096);
                let depth = self.frames.len();
                // The value stack keeps its length between invocations: a
                // call zeroes its frame's locals itself, so nothing is
                // cleared here (clearing made every call zero 32 KiB).
                if !nested {
                    self.frames.clear();
                }
                if self.stack.len() < need {
                    self.stack.resize(need, 0);
                }
                let mut s = base;
                for (a, t) in args.iter().zip(&ty.params) {
                    let (lo, hi) = a.to_slots();
                    self.stack[s] = lo;
                    if t.slots() == 2 {
                        self.stack[s + 1] = hi;
                    }
                    s += t.slots() as usize;
                }
                self.backtrace.clear();
                let r = self.run_entry(f.0, base);
                if r.is_err() {
                    self.capture_backtrace();
                }
                self.frames.truncate(depth);
                r?;
                let mut out = Vec::with_capacity(ty.results.len());
                let mut s = base;
                for t in &ty.results {
                    let lo = self.stack.get(s).copied().unwrap_or(0);
                    let hi = self.stack.get(s + 1).copied().unwrap_or(0);
                    out.push(self.val_from_slots(*t, lo, hi));
                    s += t.slots() as usize;
                }
                Ok(out)
            }
        }
    }

    /// Calls a store host function; invocations it makes start at `top`.
    fn call_store_host(
        &mut self,
        f: &StoreFunc,
        args: &[Val],
        top: usize,
    ) -> Result<Vec<Val>, Trap> {
        // Each nesting holds native stack: bound it like wasm frames.
        if self.host_depth as usize >= MAX_HOST_NESTING {
            return Err(Trap::CallStackExhausted);
        }
        let saved = self.nested_base;
        self.nested_base = top;
        self.host_depth += 1;
        let r = f(self, args);
        self.host_depth -= 1;
        self.nested_base = saved;
        r
    }

    /// Runs `entry` (arguments at slot `base`) to its return, calling the
    /// store host functions it reaches with the store let go.
    fn run_entry(&mut self, entry: u32, base: usize) -> Result<(), Trap> {
        let mut start = Start::Call { entry, fp: base };
        loop {
            let (f, ty, args, dst, top, tail, fa, fp, pc) = match self.run(start)? {
                Exit::Done => return Ok(()),
                Exit::Translate {
                    callee,
                    base,
                    tail,
                    fa,
                    fp,
                    pc,
                } => {
                    if let Err(t) = self.translated(callee) {
                        self.trap_site = (fa, pc.saturating_sub(1) as u32);
                        return Err(t);
                    }
                    let next = Next::Call { callee, base, tail };
                    start = Start::Resume { fa, fp, pc, next };
                    continue;
                }
                Exit::Host {
                    f,
                    ty,
                    args,
                    dst,
                    top,
                    tail,
                    fa,
                    fp,
                    pc,
                } => (f, ty, args, dst, top, tail, fa, fp, pc),
            };
            let res = match self.call_store_host(&f, &args, top) {
                Ok(r) => r,
                Err(t) => {
                    self.trap_site = (fa, pc.saturating_sub(1) as u32);
                    return Err(t);
                }
            };
            let ft = &self.types[ty as usize];
            if res.len() != ft.results.len()
                || !res.iter().zip(&ft.results).all(|(v, t)| v.has_type(*t))
            {
                self.trap_site = (fa, pc.saturating_sub(1) as u32);
                return Err(Trap::Host(format!(
                    "host function returned values not of type {ft}"
                )));
            }
            // A host function in tail position returns for the caller.
            let mut s = if tail { fp } else { dst };
            for (v, t) in res.iter().zip(&ft.results) {
                let (lo, hi) = v.to_slots();
                if s + 2 > self.stack.len() {
                    self.stack.resize(s + 2, 0);
                }
                self.stack[s] = lo;
                if t.slots() == 2 {
                    self.stack[s + 1] = hi;
                }
                s += t.slots() as usize;
            }
            if !tail && fa == NO_FUNC {
                return Ok(());
            }
            let next = if tail { Next::Return } else { Next::Resume };
            start = Start::Resume { fa, fp, pc, next };
        }
    }

    /// The code of wasm function `fa`, translated now if it was not yet
    /// (exec/translate.rs); the function instance keeps it, so later calls
    /// find it in place.
    fn translated(&mut self, fa: u32) -> Result<Arc<code::CompiledFunc>, Trap> {
        let Some(FuncInst::Wasm { code, lazy, .. }) = self.funcs.get_mut(fa as usize) else {
            return Err(Trap::Host("internal: not a wasm function".into()));
        };
        if code.pending {
            *code = lazy.force()?;
        }
        Ok(Arc::clone(code))
    }

    /// Builds the backtrace of a trap from the trap site and the frame stack:
    /// innermost first, at most [`MAX_BACKTRACE`] frames.
    fn capture_backtrace(&mut self) {
        let (site_func, site_pc) = self.trap_site;
        let sites = std::iter::once((site_func, site_pc)).chain(
            self.frames
                .iter()
                .rev()
                .map(|fr| (fr.func, fr.pc.saturating_sub(1))),
        );
        self.backtrace = sites
            .filter(|&(f, _)| f != NO_FUNC)
            .take(MAX_BACKTRACE)
            .map(|(f, pc)| BacktraceFrame {
                func: FuncAddr(f),
                name: self.func_names.get(&f).map(|n| n.to_string()),
                pc,
            })
            .collect();
    }

    /// Runs from `start` until the entry function returns or a store host
    /// function is called.
    fn run(&mut self, start: Start) -> Result<Exit, Trap> {
        // Two copies of the loop: the one without coverage has no counting
        // code at all (exec/coverage.rs).
        if self.coverage.is_some() {
            self.run_impl::<true>(start)
        } else {
            self.run_impl::<false>(start)
        }
    }

    /// [`Store::run`], counting executed coverage when `COV`.
    fn run_impl<const COV: bool>(&mut self, start: Start) -> Result<Exit, Trap> {
        let Store {
            config,
            types,
            funcs,
            hosts,
            tables,
            mems,
            globals,
            elems,
            datas,
            instances,
            stack,
            frames,
            fuel,
            trap_site,
            infos,
            heap,
            heap_bytes,
            exns,
            tags,
            coverage,
            ..
        } = self;
        // What to count when the instruction being executed completes.
        let mut pending = super::coverage::Pending::None;
        let infos: &[TypeInfo] = infos;
        let tags: &[TagInst] = tags;
        let max_heap = config.max_heap_bytes;
        let funcs: &[FuncInst] = funcs;
        let instances: &[ModuleInst] = instances;
        let max_depth = config.max_call_depth;
        let max_slots = config.max_stack_slots;
        let max_mem = config.max_memory_bytes;
        let max_table = config.max_table_elems;
        // exec/numerics: the implementation's relaxed-SIMD parameters.
        let relaxed = config.relaxed_simd;
        // A stop request is polled where fuel is charged (calls, backward
        // branches), once every 1024 units so the hot loops stay cheap.
        let interrupt: Option<&std::sync::atomic::AtomicBool> = config.interrupt.as_deref();
        let poll = |fuel: u64| {
            fuel.is_multiple_of(1024)
                && interrupt.is_some_and(|i| i.load(std::sync::atomic::Ordering::Relaxed))
        };
        let mut no_mem = MemInst::unshared(MemType::new(0, Some(0)), 0);
        let (mut fa, mut fp, mut pc, mut next) = match start {
            Start::Call { entry, fp } => (
                NO_FUNC,
                fp,
                0usize,
                Next::Call {
                    callee: entry,
                    base: 0,
                    tail: false,
                },
            ),
            Start::Resume { fa, fp, pc, next } => (fa, fp, pc, next),
        };
        // Records where execution stopped (for the backtrace) and fails.
        macro_rules! fail {
            ($e:expr) => {{
                *trap_site = (fa, pc.saturating_sub(1) as u32);
                let e = $e;
                if COV
                    && let Some(c) = coverage.as_deref_mut()
                    && let Some(FuncInst::Wasm { code: cf, .. }) = funcs.get(fa as usize)
                    && let Some(&o) = cf.origins.get(pc.wrapping_sub(1))
                {
                    c.trap(o, &e);
                }
                return Err(e);
            }};
        }
        loop {
            match next {
                Next::Call {
                    callee,
                    base,
                    tail: true,
                } if matches!(funcs.get(callee as usize), Some(FuncInst::Wasm { .. })) => {
                    // exec: return_call — the callee takes over the current frame,
                    // so a chain of tail calls runs in constant frame space.
                    let Some(FuncInst::Wasm { code: cf, .. }) = funcs.get(callee as usize) else {
                        unreachable!("matched above");
                    };
                    if cf.pending {
                        // exec: translation — on the function's first call.
                        return Ok(Exit::Translate {
                            callee,
                            base,
                            tail: true,
                            fa,
                            fp,
                            pc,
                        });
                    }
                    if cf.too_big {
                        fail!(Trap::CallStackExhausted);
                    }
                    if *fuel == 0 {
                        fail!(Trap::OutOfFuel);
                    }
                    *fuel -= 1;
                    if poll(*fuel) {
                        fail!(Trap::Interrupted);
                    }
                    let need = fp + cf.frame_size as usize;
                    if need > max_slots {
                        fail!(Trap::CallStackExhausted);
                    }
                    grow(stack, fp, need, max_slots);
                    let src = fp + base as usize;
                    stack.copy_within(src..src + cf.param_slots as usize, fp);
                    stack[fp + cf.param_slots as usize..fp + cf.local_slots as usize].fill(0);
                    let cb = fp + cf.local_slots as usize;
                    stack[cb..cb + cf.consts.len()].copy_from_slice(&cf.consts);
                    (fa, pc) = (callee, 0);
                }
                Next::Call { callee, base, tail } => match funcs.get(callee as usize) {
                    Some(FuncInst::Wasm { code: cf, .. }) => {
                        if cf.pending {
                            // exec: translation — on the function's first call.
                            return Ok(Exit::Translate {
                                callee,
                                base,
                                tail,
                                fa,
                                fp,
                                pc,
                            });
                        }
                        // exec: call — push a frame with zeroed locals and the constant pool.
                        if frames.len() >= max_depth || cf.too_big {
                            fail!(Trap::CallStackExhausted);
                        }
                        if *fuel == 0 {
                            fail!(Trap::OutOfFuel);
                        }
                        *fuel -= 1;
                        if poll(*fuel) {
                            fail!(Trap::Interrupted);
                        }
                        let new_fp = fp + base as usize;
                        let need = new_fp + cf.frame_size as usize;
                        if need > max_slots {
                            fail!(Trap::CallStackExhausted);
                        }
                        grow(stack, new_fp, need, max_slots);
                        frames.push(Frame {
                            pc: pc as u32,
                            fp: fp as u32,
                            func: fa,
                        });
                        stack[new_fp + cf.param_slots as usize..new_fp + cf.local_slots as usize]
                            .fill(0);
                        let cb = new_fp + cf.local_slots as usize;
                        stack[cb..cb + cf.consts.len()].copy_from_slice(&cf.consts);
                        (fa, fp, pc) = (callee, new_fp, 0);
                    }
                    Some(FuncInst::Host { ty, host }) => {
                        let ft = &types[*ty as usize];
                        let base = fp + base as usize;
                        let mut args = Vec::with_capacity(ft.params.len());
                        let mut s = base;
                        for &t in &ft.params {
                            args.push(Val::from_slots(
                                t,
                                stack[s],
                                stack.get(s + 1).copied().unwrap_or(0),
                            ));
                            s += t.slots() as usize;
                        }
                        let host = match &mut hosts[*host as usize] {
                            Host::Caller(h) => h,
                            Host::Store(f) => {
                                // The store is let go; run_entry calls it and resumes here.
                                let frame_end = match funcs.get(fa as usize) {
                                    Some(FuncInst::Wasm { code: cf, .. }) => {
                                        fp + cf.frame_size as usize
                                    }
                                    _ => base,
                                };
                                let top =
                                    frame_end.max(base + 2 * ft.params.len().max(ft.results.len()));
                                return Ok(Exit::Host {
                                    f: f.clone(),
                                    ty: *ty,
                                    args,
                                    dst: base,
                                    top,
                                    tail,
                                    fa,
                                    fp,
                                    pc,
                                });
                            }
                        };
                        let instance = match funcs.get(fa as usize) {
                            Some(FuncInst::Wasm { inst, .. }) => instances.get(*inst as usize),
                            _ => None,
                        };
                        let mut caller = Caller {
                            mems,
                            globals,
                            instance,
                        };
                        let res = match host(&mut caller, &args) {
                            Ok(r) => r,
                            Err(t) => fail!(t),
                        };
                        if res.len() != ft.results.len()
                            || !res.iter().zip(&ft.results).all(|(v, t)| v.has_type(*t))
                        {
                            fail!(Trap::Host(format!(
                                "host function returned values not of type {ft}"
                            )));
                        }
                        // A host function in tail position returns for the caller.
                        let mut s = if tail { fp } else { base };
                        for (v, t) in res.iter().zip(&ft.results) {
                            let (lo, hi) = v.to_slots();
                            if s + 2 > stack.len() {
                                stack.resize(s + 2, 0);
                            }
                            stack[s] = lo;
                            if t.slots() == 2 {
                                stack[s + 1] = hi;
                            }
                            s += t.slots() as usize;
                        }
                        if tail {
                            next = Next::Return;
                            continue;
                        }
                        if fa == NO_FUNC {
                            return Ok(Exit::Done);
                        }
                    }
                    None => fail!(Trap::Host("call of an unknown function".into())),
                },
                Next::Return => {
                    let Some(fr) = frames.pop() else {
                        return Ok(Exit::Done);
                    };
                    if fr.func == NO_FUNC {
                        return Ok(Exit::Done);
                    }
                    (fa, fp, pc) = (fr.func, fr.fp as usize, fr.pc as usize);
                }
                Next::Ext(idx) => {
                    let Some(FuncInst::Wasm { code: cf, inst, .. }) = funcs.get(fa as usize) else {
                        fail!(Trap::Host("internal: frame of a host function".into()));
                    };
                    let mut cx = super::ext::ExtCtx {
                        inst: &instances[*inst as usize],
                        funcs,
                        mems,
                        tables,
                        elems,
                        datas,
                        max_mem,
                        max_table,
                        interrupt,
                    };
                    let r = super::ext::exec(&cf.ext[idx as usize], &mut stack[fp..], &mut cx);
                    if let Some(c) = match r {
                        Ok(c) => c,
                        Err(t) => fail!(t),
                    } {
                        next = Next::Call {
                            callee: c.callee,
                            base: c.base,
                            tail: c.tail,
                        };
                        continue;
                    }
                }
                Next::Trap(t) => fail!(t),
                Next::Resume => {}
                Next::Throw(exn) => {
                    // exec: throw — unwind frames to the innermost matching handler.
                    let tag = exns[exn as usize].tag;
                    let mut at = pc.wrapping_sub(1);
                    loop {
                        let Some(FuncInst::Wasm { code: cf, inst, .. }) = funcs.get(fa as usize)
                        else {
                            fail!(Trap::Exception(exn));
                        };
                        let inst = &instances[*inst as usize];
                        let mut limit = u32::MAX;
                        let mut found = None;
                        for h in &cf.handlers {
                            if h.depth > limit || (at as u32) < h.start || (at as u32) >= h.end {
                                continue;
                            }
                            match h.kind {
                                code::HandlerKind::Delegate { limit: l } => limit = l,
                                code::HandlerKind::Catch {
                                    tag: t,
                                    target,
                                    dst,
                                    ref_dst,
                                } => {
                                    if t == u32::MAX || inst.tags[t as usize] == tag {
                                        found = Some((t, target, dst, ref_dst));
                                        break;
                                    }
                                }
                            }
                        }
                        if let Some((t, target, dst, ref_dst)) = found {
                            let regs = &mut stack[fp..];
                            if t != u32::MAX {
                                let vals = &exns[exn as usize].vals;
                                regs[dst as usize..dst as usize + vals.len()].copy_from_slice(vals);
                            }
                            if ref_dst != u32::MAX {
                                regs[ref_dst as usize] = EXN_TAG | u64::from(exn);
                            }
                            pc = target as usize;
                            break;
                        }
                        let Some(fr) = frames.pop() else {
                            fail!(Trap::Exception(exn));
                        };
                        if fr.func == NO_FUNC {
                            fail!(Trap::Exception(exn));
                        }
                        (fa, fp, pc) = (fr.func, fr.fp as usize, fr.pc as usize);
                        at = pc.wrapping_sub(1);
                    }
                }
            }
            // Whether this frame runs in the hot loop (its window fits).
            let hot = matches!(funcs.get(fa as usize), Some(FuncInst::Wasm { code: cf, .. })
                if super::fast::fits(cf.frame_size, fp, stack.len()));
            if !COV
                && hot
                && let Some(FuncInst::Wasm { inst: ia, .. }) = funcs.get(fa as usize)
                && let Some(inst) = instances.get(*ia as usize)
            {
                // The hot set, and calls and returns within the instance, run
                // in a loop of their own (exec/fast.rs) up to an instruction
                // it leaves to the match below.
                let (mem, page_size_log2): (&mut [u8], Option<u32>) = match inst.mems.first() {
                    Some(&a) => {
                        let m = &mut mems[a as usize];
                        // A shared memory's size is not its `data`'s.
                        let log2 = m.shared.is_none().then_some(m.ty.page_size_log2);
                        (&mut m.data, log2)
                    }
                    None => (&mut [], None),
                };
                let top = max_slots
                    .min(stack.len())
                    .saturating_sub(super::fast::WINDOW);
                let mut cx = super::fast::Cx {
                    funcs,
                    inst: *ia,
                    inst_funcs: &inst.funcs,
                    inst_types: &inst.types,
                    inst_tables: &inst.tables,
                    tables,
                    inst_globals: &inst.globals,
                    globals,
                    frames,
                    stack,
                    interrupt,
                    max_depth,
                    top,
                    relaxed: &relaxed,
                    page_size_log2,
                    inst_elems: &inst.elems,
                    elems,
                    inst_datas: &inst.datas,
                    datas,
                    fa,
                    fp,
                    pc,
                };
                let r = super::fast::run(&mut cx, mem, fuel);
                (fa, fp, pc) = (cx.fa, cx.fp, cx.pc);
                if let Err(t) = r {
                    fail!(t);
                }
            }
            let Some(FuncInst::Wasm { code: cf, inst, .. }) = funcs.get(fa as usize) else {
                fail!(Trap::Host("internal: frame of a host function".into()));
            };
            let inst = &instances[*inst as usize];
            let code: &[Ins] = &cf.code;
            let mem: &mut MemInst = match inst.mems.first() {
                Some(&a) => &mut mems[a as usize],
                None => &mut no_mem,
            };
            let regs: &mut [u64] = &mut stack[fp..];
            // Coverage counters (exec/coverage.rs), for this stretch of the loop.
            let mut cov = if COV { coverage.as_deref_mut() } else { None };
            next = 'exec: loop {
                let ins = code[pc];
                if COV && let Some(c) = cov.as_deref_mut() {
                    // The previous instruction completed: count what it did.
                    c.settle(pending);
                    pending = super::coverage::Pending::None;
                    let o = cf.origins.get(pc).copied().unwrap_or(0);
                    if c.exec(o) {
                        let view = super::coverage::View {
                            regs,
                            mem_len: mem.data.len() as u64,
                            mem64: mem.ty.idx64,
                        };
                        pending = super::coverage::detail(o, cf, pc, &view);
                    }
                }
                pc += 1;

                macro_rules! trap {
                    ($t:expr) => {
                        break 'exec Next::Trap($t)
                    };
                }
                macro_rules! r32 {
                    ($s:expr) => {
                        regs[$s as usize] as u32
                    };
                }
                macro_rules! r64 {
                    ($s:expr) => {
                        regs[$s as usize]
                    };
                }
                macro_rules! r128 {
                    ($s:expr) => {
                        u128::from(regs[$s as usize]) | (u128::from(regs[$s as usize + 1]) << 64)
                    };
                }
                macro_rules! set {
                    ($d:expr, $v:expr) => {{
                        let v: u64 = $v;
                        regs[$d as usize] = v;
                    }};
                }
                macro_rules! set128 {
                    ($d:expr, $v:expr) => {{
                        let v: u128 = $v;
                        regs[$d as usize] = v as u64;
                        regs[$d as usize + 1] = (v >> 64) as u64;
                    }};
                }
                macro_rules! jump {
                    ($t:expr) => {{
                        let t = $t as usize;
                        if t < pc {
                            if *fuel == 0 {
                                trap!(Trap::OutOfFuel);
                            }
                            *fuel -= 1;
                            if poll(*fuel) {
                                trap!(Trap::Interrupted);
                            }
                        }
                        pc = t;
                    }};
                }
                macro_rules! ea {
                    ($addr:expr, $off:expr) => {
                        (regs[$addr as usize] as u32 as usize).wrapping_add($off as usize)
                    };
                }
                macro_rules! store {
                    ($addr:expr, $off:expr, $n:literal, $bytes:expr) => {{
                        let ea = ea!($addr, $off);
                        let bytes: [u8; $n] = $bytes;
                        match ea.checked_add($n).and_then(|end| mem.data.get_mut(ea..end)) {
                            Some(s) => s.copy_from_slice(&bytes),
                            None => trap!(Trap::MemoryOutOfBounds),
                        }
                    }};
                }
                macro_rules! rt {
                    ($i:expr) => {{
                        let r = cf.ref_types[$i as usize];
                        match r.heap {
                            HeapType::Concrete(x) => RefType::new(
                                r.nullable,
                                HeapType::Concrete(inst.types[x as usize].0),
                            ),
                            HeapType::Exact(x) => {
                                RefType::new(r.nullable, HeapType::Exact(inst.types[x as usize].0))
                            }
                            _ => r,
                        }
                    }};
                }
                macro_rules! table {
                    ($t:expr) => {
                        &mut tables[inst.tables[$t as usize] as usize]
                    };
                }
                macro_rules! call_indirect {
                    ($ty:expr, $table:expr, $base:expr, $tail:expr) => {{
                        // exec: call_indirect
                        let (tid, pslots) = inst.types[$ty as usize];
                        let i = r32!($base + pslots);
                        let elems = &table!($table).elems;
                        let Some(&r) = elems.get(i as usize) else {
                            trap!(Trap::UndefinedElement(u64::from(i)))
                        };
                        if r == 0 {
                            trap!(Trap::UninitializedElement(u64::from(i)));
                        }
                        let callee = r as u32;
                        // exec: call_indirect — the function's type must match (3.0: subtype).
                        let fty = funcs.get(callee as usize).map_or(u32::MAX, |f| f.ty_id());
                        if fty != tid && !is_sub_id(infos, fty, tid) {
                            trap!(Trap::IndirectCallTypeMismatch);
                        }
                        break 'exec Next::Call {
                            callee,
                            base: $base,
                            tail: $tail,
                        };
                    }};
                }

                match ins {
                    Ins::Unreachable => trap!(Trap::Unreachable),
                    Ins::Return { src, n } => {
                        regs.copy_within(src as usize..(src + n) as usize, 0);
                        break 'exec Next::Return;
                    }
                    Ins::Call { func, base } => {
                        break 'exec Next::Call {
                            callee: inst.funcs[func as usize],
                            base,
                            tail: false,
                        };
                    }
                    Ins::ReturnCall { func, base } => {
                        break 'exec Next::Call {
                            callee: inst.funcs[func as usize],
                            base,
                            tail: true,
                        };
                    }
                    Ins::CallIndirect { ty, table, base } => call_indirect!(ty, table, base, false),
                    Ins::ReturnCallIndirect { ty, table, base } => {
                        call_indirect!(ty, table, base, true)
                    }
                    Ins::Ext { idx } => break 'exec Next::Ext(idx),
                    Ins::I64Add128 { base } | Ins::I64Sub128 { base } => {
                        // exec: i64.add128, i64.sub128 — on (lo, hi) pairs.
                        let x = u128::from(r64!(base)) | (u128::from(r64!(base + 1)) << 64);
                        let y = u128::from(r64!(base + 2)) | (u128::from(r64!(base + 3)) << 64);
                        let r = if matches!(ins, Ins::I64Add128 { .. }) {
                            x.wrapping_add(y)
                        } else {
                            x.wrapping_sub(y)
                        };
                        set!(base, r as u64);
                        set!(base + 1, (r >> 64) as u64);
                    }
                    Ins::I64MulWideS { base } => {
                        // exec: i64.mul_wide_s — the full 128-bit signed product.
                        let r = i128::from(r64!(base) as i64) * i128::from(r64!(base + 1) as i64);
                        set!(base, r as u64);
                        set!(base + 1, (r >> 64) as u64);
                    }
                    Ins::I64MulWideU { base } => {
                        let r = u128::from(r64!(base)) * u128::from(r64!(base + 1));
                        set!(base, r as u64);
                        set!(base + 1, (r >> 64) as u64);
                    }
                    Ins::GlobalGet { dst, g } => {
                        set!(dst, globals[inst.globals[g as usize] as usize].val[0])
                    }
                    Ins::GlobalGet2 { dst, g } => {
                        let v = globals[inst.globals[g as usize] as usize].val;
                        regs[dst as usize] = v[0];
                        regs[dst as usize + 1] = v[1];
                    }
                    Ins::GlobalSet { g, src } => {
                        globals[inst.globals[g as usize] as usize].val[0] = regs[src as usize]
                    }
                    Ins::GlobalSet2 { g, src } => {
                        globals[inst.globals[g as usize] as usize].val =
                            [regs[src as usize], regs[src as usize + 1]]
                    }
                    Ins::TableGet { table, dst, idx } => {
                        let i = r32!(idx) as usize;
                        match table!(table).elems.get(i) {
                            Some(&r) => set!(dst, r),
                            None => trap!(Trap::TableOutOfBounds),
                        }
                    }
                    Ins::TableSet { table, idx, val } => {
                        let (i, v) = (r32!(idx) as usize, r64!(val));
                        match table!(table).elems.get_mut(i) {
                            Some(r) => *r = v,
                            None => trap!(Trap::TableOutOfBounds),
                        }
                    }
                    Ins::TableSize { table, dst } => set!(dst, table!(table).elems.len() as u64),
                    Ins::TableGrow { table, base } => {
                        // exec: table.grow
                        let (init, n) = (r64!(base), u64::from(r32!(base + 1)));
                        let t = table!(table);
                        let old = t.elems.len() as u64;
                        let max =
                            t.ty.limits
                                .max
                                .unwrap_or(u64::from(u32::MAX))
                                .min(max_table);
                        let r = match old.checked_add(n) {
                            Some(new) if new <= max && t.elems.try_reserve(n as usize).is_ok() => {
                                t.elems.resize(new as usize, init);
                                old as u32
                            }
                            _ => u32::MAX,
                        };
                        set!(base, u64::from(r));
                    }
                    Ins::TableFill { table, base } => {
                        let (i, v, n) =
                            (r32!(base) as usize, r64!(base + 1), r32!(base + 2) as usize);
                        match table!(table).elems.get_mut(i..i + n) {
                            Some(s) => s.fill(v),
                            None => trap!(Trap::TableOutOfBounds),
                        }
                    }
                    Ins::TableCopy {
                        dst_table,
                        src_table,
                        base,
                    } => {
                        let (d, s, n) = (
                            r32!(base) as usize,
                            r32!(base + 1) as usize,
                            r32!(base + 2) as usize,
                        );
                        let (da, sa) = (
                            inst.tables[dst_table as usize] as usize,
                            inst.tables[src_table as usize] as usize,
                        );
                        let (dl, sl) = (tables[da].elems.len(), tables[sa].elems.len());
                        if d + n > dl || s + n > sl {
                            trap!(Trap::TableOutOfBounds);
                        }
                        if da == sa {
                            tables[da].elems.copy_within(s..s + n, d);
                        } else {
                            let src: Vec<u64> = tables[sa].elems[s..s + n].to_vec();
                            tables[da].elems[d..d + n].copy_from_slice(&src);
                        }
                    }
                    Ins::TableInit { table, elem, base } => {
                        let (d, s, n) = (
                            r32!(base) as usize,
                            r32!(base + 1) as usize,
                            r32!(base + 2) as usize,
                        );
                        let seg = &elems[inst.elems[elem as usize] as usize].elems;
                        let t = &mut tables[inst.tables[table as usize] as usize].elems;
                        if s + n > seg.len() || d + n > t.len() {
                            trap!(Trap::TableOutOfBounds);
                        }
                        t[d..d + n].copy_from_slice(&seg[s..s + n]);
                    }
                    Ins::ElemDrop { elem } => {
                        elems[inst.elems[elem as usize] as usize].elems = Vec::new()
                    }
                    Ins::MemorySize { dst } => set!(dst, mem.pages()),
                    Ins::MemoryGrow { dst, delta } => {
                        let d = u64::from(r32!(delta));
                        let r = mem.grow(d, max_mem).map_or(u32::MAX, |old| old as u32);
                        set!(dst, u64::from(r));
                    }
                    Ins::MemoryFill { base } => {
                        let (d, v, n) = (
                            r32!(base) as usize,
                            r32!(base + 1) as u8,
                            r32!(base + 2) as usize,
                        );
                        match mem.data.get_mut(d..d + n) {
                            Some(s) => s.fill(v),
                            None => trap!(Trap::MemoryOutOfBounds),
                        }
                    }
                    Ins::MemoryCopy { base } => {
                        let (d, s, n) = (
                            r32!(base) as usize,
                            r32!(base + 1) as usize,
                            r32!(base + 2) as usize,
                        );
                        let len = mem.data.len();
                        if d + n > len || s + n > len {
                            trap!(Trap::MemoryOutOfBounds);
                        }
                        mem.data.copy_within(s..s + n, d);
                    }
                    Ins::MemoryInit { data, base } => {
                        let (d, s, n) = (
                            r32!(base) as usize,
                            r32!(base + 1) as usize,
                            r32!(base + 2) as usize,
                        );
                        let bytes = &datas[inst.datas[data as usize] as usize].bytes;
                        if s + n > bytes.len() || d + n > mem.data.len() {
                            trap!(Trap::MemoryOutOfBounds);
                        }
                        mem.data[d..d + n].copy_from_slice(&bytes[s..s + n]);
                    }
                    Ins::DataDrop { data } => {
                        datas[inst.datas[data as usize] as usize].bytes = Arc::from(&[][..])
                    }
                    Ins::RefFunc { dst, func } => {
                        set!(dst, FUNC_TAG | u64::from(inst.funcs[func as usize]))
                    }
                    // ---- typed references, GC, exceptions (spec: exec/instructions) ----
                    Ins::BrIfNull { cond, target } => {
                        if r64!(cond) == 0 {
                            jump!(target)
                        }
                    }
                    Ins::BrIfNonNull { cond, target } => {
                        if r64!(cond) != 0 {
                            jump!(target)
                        }
                    }
                    Ins::BrIfCast { a, rt, target } => {
                        if ref_matches(infos, funcs, heap, r64!(a), rt!(rt)) {
                            jump!(target)
                        }
                    }
                    Ins::BrIfNotCast { a, rt, target } => {
                        if !ref_matches(infos, funcs, heap, r64!(a), rt!(rt)) {
                            jump!(target)
                        }
                    }
                    Ins::RefAsNonNull { dst, a } => {
                        let v = r64!(a);
                        if v == 0 {
                            trap!(Trap::NullReference);
                        }
                        set!(dst, v)
                    }
                    Ins::RefTest { dst, a, rt } => {
                        let ok = ref_matches(infos, funcs, heap, r64!(a), rt!(rt));
                        set!(dst, u64::from(ok))
                    }
                    Ins::RefCast { dst, a, rt } => {
                        // exec: ref.cast
                        let v = r64!(a);
                        if !ref_matches(infos, funcs, heap, v, rt!(rt)) {
                            trap!(Trap::CastFailure);
                        }
                        set!(dst, v)
                    }
                    Ins::RefEq { dst, a, b } => set!(dst, u64::from(r64!(a) == r64!(b))),
                    Ins::RefI31 { dst, a } => set!(dst, I31_TAG | (r64!(a) & 0x7fff_ffff)),
                    Ins::I31Get { signed, dst, a } => {
                        let v = r64!(a);
                        if v == 0 {
                            trap!(Trap::NullI31Ref);
                        }
                        let x = (v as u32) & 0x7fff_ffff;
                        let r = if signed != 0 {
                            (((x << 1) as i32) >> 1) as u32
                        } else {
                            x
                        };
                        set!(dst, u64::from(r))
                    }
                    Ins::AnyConvertExtern { dst, a } => {
                        let v = r64!(a);
                        set!(dst, if v == 0 { 0 } else { v & !EXTERN_BIT })
                    }
                    Ins::ExternConvertAny { dst, a } => {
                        let v = r64!(a);
                        set!(dst, if v == 0 { 0 } else { v | EXTERN_BIT })
                    }
                    Ins::CallRef { base, r } | Ins::ReturnCallRef { base, r } => {
                        // exec: call_ref
                        let v = r64!(r);
                        if v == 0 {
                            trap!(Trap::NullFuncRef);
                        }
                        break 'exec Next::Call {
                            callee: v as u32,
                            base,
                            tail: matches!(ins, Ins::ReturnCallRef { .. }),
                        };
                    }
                    Ins::StructNew { .. }
                    | Ins::StructNewDefault { .. }
                    | Ins::StructNewDesc { .. }
                    | Ins::StructNewDefaultDesc { .. }
                    | Ins::RefGetDesc { .. }
                    | Ins::RefCastDesc { .. }
                    | Ins::StructGet { .. }
                    | Ins::StructSet { .. }
                    | Ins::ArrayNew { .. }
                    | Ins::ArrayNewFixed { .. }
                    | Ins::ArrayNewData { .. }
                    | Ins::ArrayNewElem { .. }
                    | Ins::ArrayGet { .. }
                    | Ins::ArraySet { .. }
                    | Ins::ArrayLen { .. }
                    | Ins::ArrayFill { .. }
                    | Ins::ArrayCopy { .. }
                    | Ins::ArrayInitData { .. }
                    | Ins::ArrayInitElem { .. } => {
                        // exec: struct and array instructions (out of line, see gc::exec).
                        let mut cx = gc::Ctx {
                            inst,
                            infos,
                            heap,
                            heap_bytes,
                            max_heap,
                            datas,
                            elems,
                        };
                        if let Err(t) = gc::exec(&code[pc - 1], regs, &mut cx) {
                            trap!(t);
                        }
                    }
                    Ins::BrIfCastDesc {
                        nullable,
                        a,
                        d,
                        target,
                    }
                    | Ins::BrIfNotCastDesc {
                        nullable,
                        a,
                        d,
                        target,
                    } => {
                        // exec: br_on_cast_desc_eq(_fail)
                        let (v, d) = (r64!(a), r64!(d));
                        if d == 0 {
                            trap!(Trap::NullDescriptorRef);
                        }
                        let ok = gc::desc_matches(infos, heap, v, d, nullable != 0);
                        if ok == matches!(ins, Ins::BrIfCastDesc { .. }) {
                            jump!(target)
                        }
                    }
                    Ins::Throw { tag, base } => {
                        // exec: throw — allocate the exception, then unwind.
                        let ta = inst.tags[tag as usize];
                        let ft = &types[tags[ta as usize].ty as usize];
                        let n: usize = ft.params.iter().map(|t| t.slots() as usize).sum();
                        if let Err(t) = gc::charge(heap_bytes, max_heap, n as u64) {
                            trap!(t);
                        }
                        let vals = regs[base as usize..base as usize + n].into();
                        exns.push(ExnInst { tag: ta, vals });
                        break 'exec Next::Throw((exns.len() - 1) as u32);
                    }
                    Ins::ThrowRef { a } => {
                        let v = r64!(a);
                        if v == 0 {
                            trap!(Trap::NullExnRef);
                        }
                        break 'exec Next::Throw(v as u32);
                    }
                    Ins::VLoad { op, dst, addr, off } => {
                        // exec: v128.load*, extending, splat and zero loads
                        let ea = ea!(addr, off);
                        let n = match op {
                            0 => 16,
                            1..=6 | 10 | 93 => 8,
                            7 => 1,
                            8 => 2,
                            _ => 4,
                        };
                        let Some(s) = ea.checked_add(n).and_then(|end| mem.data.get(ea..end))
                        else {
                            trap!(Trap::MemoryOutOfBounds)
                        };
                        let mut b = [0u8; 16];
                        b[..n].copy_from_slice(s);
                        let x = u128::from_le_bytes(b);
                        let v = match op {
                            0 | 92 | 93 => x,
                            1..=6 => {
                                let mut e = [0u8; 8];
                                e.copy_from_slice(&b[..8]);
                                extend_load(op, e)
                            }
                            // splat ops 15..18 are i8x16..i64x2.splat
                            _ => v128::splat(u32::from(op) + 8, x as u64),
                        };
                        set128!(dst, v);
                    }
                    Ins::VStore { addr, val, off } => {
                        store!(addr, off, 16, r128!(val).to_le_bytes())
                    }
                    Ins::VLoadLane {
                        op_lane,
                        dst,
                        addr,
                        off,
                    } => {
                        let (op, lane) = (op_lane >> 4, u32::from(op_lane & 15));
                        let n = 1usize << (op - 84);
                        let ea = ea!(addr, off);
                        let Some(s) = ea.checked_add(n).and_then(|end| mem.data.get(ea..end))
                        else {
                            trap!(Trap::MemoryOutOfBounds)
                        };
                        let mut b = [0u8; 16];
                        b[..n].copy_from_slice(s);
                        let x = u128::from_le_bytes(b);
                        let bits = (n * 8) as u32;
                        let shift = bits * lane;
                        let mask = (u128::MAX >> (128 - bits)) << shift;
                        let v = (r128!(dst + 1) & !mask) | (x << shift);
                        set128!(dst, v);
                    }
                    Ins::VStoreLane {
                        op_lane,
                        addr,
                        val,
                        off,
                    } => {
                        let (op, lane) = (op_lane >> 4, u32::from(op_lane & 15));
                        let n = 1usize << (op - 88);
                        let bits = (n * 8) as u32;
                        let bytes = (r128!(val) >> (bits * lane)).to_le_bytes();
                        let ea = ea!(addr, off);
                        match ea.checked_add(n).and_then(|end| mem.data.get_mut(ea..end)) {
                            Some(s) => s.copy_from_slice(&bytes[..n]),
                            None => trap!(Trap::MemoryOutOfBounds),
                        }
                    }

                    // ---- vectors in slots (exec/fast.rs, shared with the hot loop) ----
                    _ if super::fast::vector(ins, regs, cf, &relaxed) => {}
                    // ---- numeric, memory 0, branches and copies: the hot set (exec/fast.rs) ----
                    _ => match super::fast::step(
                        ins,
                        pc,
                        regs,
                        &mut mem.data,
                        &cf.br_table,
                        fuel,
                        interrupt,
                    ) {
                        (super::fast::Step::Continue, p) => pc = p,
                        (super::fast::Step::Trap(t), _) => trap!(t),
                        (
                            super::fast::Step::Other
                            | super::fast::Step::Call
                            | super::fast::Step::ReturnCall
                            | super::fast::Step::Return,
                            _,
                        ) => {
                            trap!(Trap::Host("internal: instruction without a handler".into()))
                        }
                    },
                }
                // Back to the hot loop after each instruction it left here.
                if !COV && hot {
                    break 'exec Next::Resume;
                }
            };
        }
    }
}
