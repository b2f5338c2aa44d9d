//! `canon` definitions (CanonicalABI.md "Canonical Definitions"; Binary.md
//! "Canonical Definitions"), 🪙 start and value definitions.

use std::collections::HashSet;

use super::super::syntax::{Builtin, Canon, CanonOpt, PrimValType, Start, ValueDef};
use super::types::*;
use super::{Result, SUB_FUEL, TypeDef, ValidationError, Validator, err, get};
use crate::syntax as core;

/// CanonicalABI: `MAX_FLAT_PARAMS`, `MAX_FLAT_ASYNC_PARAMS`, `MAX_FLAT_RESULTS`.
const MAX_FLAT_PARAMS: usize = 16;
const MAX_FLAT_ASYNC_PARAMS: usize = 4;
const MAX_FLAT_RESULTS: usize = 1;

/// Validated canonical options.
#[derive(Default)]
pub(super) struct Opts {
    memory: Option<core::MemType>,
    realloc: bool,
    post_return: Option<u32>,
    is_async: bool,
    callback: Option<u32>,
}

impl Opts {
    /// The pointer type of the memory (i64 for a 64-bit memory).
    fn ptr(&self) -> Flat {
        match self.memory {
            Some(m) if m.idx64 => Flat::I64,
            _ => Flat::I32,
        }
    }
    fn require_memory(&self) -> Result<()> {
        if self.memory.is_none() {
            return err("canonical option `memory` is required");
        }
        Ok(())
    }
    fn require_realloc(&self) -> Result<()> {
        self.require_memory()?;
        if !self.realloc {
            return err("canonical option `realloc` is required");
        }
        Ok(())
    }
}

fn opt_name(o: &CanonOpt) -> &'static str {
    match o {
        CanonOpt::Utf8 => "utf8",
        CanonOpt::Utf16 => "utf16",
        CanonOpt::Latin1Utf16 => "latin1-utf16",
        CanonOpt::Memory(_) => "memory",
        CanonOpt::Realloc(_) => "realloc",
        CanonOpt::PostReturn(_) => "post-return",
        CanonOpt::Async => "async",
        CanonOpt::Callback(_) => "callback",
    }
}

fn flats(ts: &[Flat]) -> Vec<core::ValType> {
    ts.iter().map(|t| t.core()).collect()
}

/// CanonicalABI: `flatten_functype(opts, ft, context)`, with the memory
/// requirements the flattening implies.
fn flatten_functype(o: &Opts, ft: &FuncTy, lift: bool) -> Result<core::FuncType> {
    let limit = MAX_FLAT_PARAMS + 1;
    let mut params = Vec::new();
    for (_, t) in &ft.params {
        flatten(t, &mut params, limit, o.ptr());
    }
    let mut results = Vec::new();
    if let Some(t) = &ft.result {
        flatten(t, &mut results, limit, o.ptr());
    }
    let params_mem = ft.params.iter().any(|(_, t)| needs_memory(t));
    let result_mem = ft.result.as_ref().is_some_and(needs_memory);
    let ptr = o.ptr();
    if !o.is_async {
        if params.len() > MAX_FLAT_PARAMS {
            params = vec![ptr];
        }
        let spill_results = results.len() > MAX_FLAT_RESULTS;
        if lift {
            // The caller lowers arguments into this instance's memory.
            if params_mem || spilled(ft) {
                o.require_realloc()?;
            }
            if result_mem || spill_results {
                o.require_memory()?;
            }
            if spill_results {
                results = vec![ptr];
            }
        } else {
            if params_mem || spilled(ft) {
                o.require_memory()?;
            }
            if result_mem {
                o.require_realloc()?;
            }
            if spill_results {
                o.require_memory()?;
                params.push(ptr);
                results = Vec::new();
            }
        }
    } else if lift {
        if params.len() > MAX_FLAT_PARAMS {
            params = vec![ptr];
        }
        if params_mem || spilled(ft) {
            o.require_realloc()?;
        }
        // The result goes through `task.return`, from this memory.
        if result_mem || results.len() > MAX_FLAT_PARAMS {
            o.require_memory()?;
        }
        results = if o.callback.is_some() {
            vec![Flat::I32]
        } else {
            Vec::new()
        };
    } else {
        let many = params.len() > MAX_FLAT_ASYNC_PARAMS;
        if many {
            params = vec![ptr];
        }
        if params_mem || many {
            o.require_memory()?;
        }
        if ft.result.is_some() {
            o.require_memory()?;
            if result_mem {
                o.require_realloc()?;
            }
            params.push(ptr);
        }
        results = vec![Flat::I32];
    }
    Ok(core::FuncType {
        params: flats(&params),
        results: flats(&results),
    })
}

/// Whether the parameters spill to memory (more than `MAX_FLAT_PARAMS`).
fn spilled(ft: &FuncTy) -> bool {
    let mut params = Vec::new();
    for (_, t) in &ft.params {
        flatten(t, &mut params, MAX_FLAT_PARAMS + 1, Flat::I32);
    }
    params.len() > MAX_FLAT_PARAMS
}

fn ft(params: &[core::ValType], results: &[core::ValType]) -> core::FuncType {
    core::FuncType {
        params: params.to_vec(),
        results: results.to_vec(),
    }
}

impl Validator {
    /// Binary.md: canonopt — no duplicates or conflicts; indices and
    /// signatures checked.
    fn opts(&self, list: &[CanonOpt]) -> Result<Opts> {
        let mut o = Opts::default();
        let mut encoding: Option<&CanonOpt> = None;
        let mut seen: HashSet<&'static str> = HashSet::new();
        let mut realloc = None;
        for opt in list {
            match opt {
                CanonOpt::Utf8 | CanonOpt::Utf16 | CanonOpt::Latin1Utf16 => {
                    if let Some(e) = encoding {
                        return err(format!(
                            "canonical encoding option `{}` conflicts with option `{}`",
                            opt_name(e),
                            opt_name(opt)
                        ));
                    }
                    encoding = Some(opt);
                    continue;
                }
                _ => {}
            }
            if !seen.insert(opt_name(opt)) {
                return err(format!(
                    "canonical option `{}` is specified more than once",
                    opt_name(opt)
                ));
            }
            match opt {
                CanonOpt::Memory(m) => {
                    let mem = *get(&self.s().core_mems, *m, "memory")?;
                    // CanonicalABI: the memory is a plain (unshared) memory.
                    if mem.shared {
                        return err("mismatch in the shared flag for memories");
                    }
                    o.memory = Some(mem);
                }
                CanonOpt::Realloc(f) => realloc = Some(*f),
                CanonOpt::PostReturn(f) => {
                    get(&self.s().core_funcs, *f, "function")?;
                    o.post_return = Some(*f);
                }
                CanonOpt::Async => o.is_async = true,
                CanonOpt::Callback(f) => {
                    get(&self.s().core_funcs, *f, "function")?;
                    o.callback = Some(*f);
                }
                _ => {}
            }
        }
        if o.callback.is_some() && !o.is_async {
            return err("cannot specify callback without async");
        }
        if o.is_async && o.post_return.is_some() {
            return err("cannot specify post-return function in async");
        }
        if let Some(f) = realloc {
            if o.memory.is_none() {
                return err("canonical option `realloc` requires `memory` to also be specified");
            }
            let p = o.ptr().core();
            let t = get(&self.s().core_funcs, f, "function")?;
            if t.params != [p, p, p, p] || t.results != [p] {
                return err(
                    "canonical option `realloc` uses a core function with an incorrect signature",
                );
            }
            o.realloc = true;
        }
        Ok(o)
    }

    fn func_type_at(&self, i: u32) -> Result<std::sync::Arc<FuncTy>> {
        match get(&self.s().types, i, "type")? {
            TypeDef::Func(f) => Ok(f.clone()),
            _ => err(format!("type index {i} is not a function type")),
        }
    }

    /// Binary: canon.
    pub(super) fn canon(&mut self, c: &Canon) -> Result<()> {
        use core::ValType::{I32, I64};
        if let Canon::Builtin(b @ (Builtin::ContextGet(t, i) | Builtin::ContextSet(t, i))) = c {
            // CanonicalABI: `$i` must be less than 2; `$t` is i32 (🐘 or i64).
            let what = match b {
                Builtin::ContextGet(..) => "context.get",
                _ => "context.set",
            };
            if *i >= 2 {
                return err(format!("`{what}` immediate must be zero or one: {i}"));
            }
            if !matches!(t, core::ValType::I32 | core::ValType::I64) {
                return err(format!("`{what}` type must be `i32` or `i64`"));
            }
            // Every context slot has the one core type first used.
            if let Some(prev) = self.sm().context_type.replace(*t)
                && prev != *t
            {
                return err("context.{get,set} type must match previous context type");
            }
        }
        let core_ft = match c {
            Canon::Lift { func, opts, ty } => {
                let core = get(&self.s().core_funcs, *func, "function")?.clone();
                let ft = self.func_type_at(*ty)?;
                let o = self.opts(opts)?;
                if o.is_async && !ft.is_async {
                    return err("the `async` canonical option requires an async function type");
                }
                let want = flatten_functype(&o, &ft, true)?;
                check_core_sig(&want, &core)?;
                if let Some(pr) = o.post_return {
                    let t = get(&self.s().core_funcs, pr, "function")?;
                    if t.params != core.results || !t.results.is_empty() {
                        return err(
                            "canonical option `post-return` uses a core function with an incorrect signature",
                        );
                    }
                }
                if let Some(cb) = o.callback {
                    let t = get(&self.s().core_funcs, cb, "function")?;
                    if t.params != [I32, I32, I32] || t.results != [I32] {
                        return err(
                            "canonical option `callback` uses a core function with an incorrect signature",
                        );
                    }
                }
                self.sm().funcs.push(ft);
                return Ok(());
            }
            Canon::Lower { func, opts } => {
                let ft = get(&self.s().funcs, *func, "function")?.clone();
                let o = self.opts(opts)?;
                if o.is_async && !ft.is_async {
                    return err("the `async` canonical option requires an async function type");
                }
                if o.post_return.is_some() {
                    return err("canonical option `post-return` cannot be specified for lowerings");
                }
                if o.callback.is_some() {
                    return err("canonical option `callback` cannot be specified for lowerings");
                }
                flatten_functype(&o, &ft, false)?
            }
            Canon::ResourceNew(rt) => {
                let r = self.resource(*rt)?;
                let Some(rep) = self.s().local_res.get(&r.id) else {
                    return err(format!("type {rt} is not a local resource"));
                };
                ft(&[*rep], &[I32])
            }
            Canon::ResourceDrop(rt) => {
                self.resource(*rt)?;
                ft(&[I32], &[])
            }
            Canon::ResourceRep(rt) => {
                let r = self.resource(*rt)?;
                let Some(rep) = self.s().local_res.get(&r.id) else {
                    return err(format!("type {rt} is not a local resource"));
                };
                ft(&[I32], &[*rep])
            }
            Canon::Builtin(b) => self.builtin(b)?,
        };
        let _ = I64;
        self.sm().core_funcs.push(core_ft);
        Ok(())
    }

    /// A stream or future type index.
    /// A stream or future type index: its payload.
    fn stream_or_future(&self, t: u32, stream: bool) -> Result<Option<Val>> {
        let what = if stream { "stream" } else { "future" };
        match get(&self.s().types, t, "type")? {
            TypeDef::Val(Val::Def(d)) => match (&d.kind, stream) {
                (DefKind::Stream(p), true) | (DefKind::Future(p), false) => Ok(p.clone()),
                _ => err(format!("`{what}` requires a {what} type")),
            },
            _ => err(format!("`{what}` requires a {what} type")),
        }
    }

    /// `stream.read`/`write`, `future.read`/`write` options: memory for a
    /// payload, realloc to read one holding pointers.
    fn copy_opts(&self, payload: &Option<Val>, opts: &[CanonOpt], read: bool) -> Result<()> {
        let o = self.opts(opts)?;
        if let Some(p) = payload {
            o.require_memory()?;
            if read && needs_memory(p) {
                o.require_realloc()?;
            }
        }
        if o.post_return.is_some() {
            return err("canonical option `post-return` cannot be specified for lowerings");
        }
        if o.callback.is_some() {
            return err("canonical option `callback` cannot be specified for lowerings");
        }
        Ok(())
    }

    /// CanonicalABI.md: the core function type of each built-in.
    fn builtin(&self, b: &Builtin) -> Result<core::FuncType> {
        use Builtin as B;
        use core::ValType::{I32, I64};
        let opts_mem = |opts: &[CanonOpt]| -> Result<()> {
            let o = self.opts(opts)?;
            o.require_memory()
        };
        Ok(match b {
            B::BackpressureInc | B::BackpressureDec | B::TaskCancel => ft(&[], &[]),
            B::TaskReturn(r, opts) => {
                // CanonicalABI: `$opts` may only contain `memory` and `string-encoding`.
                if let Some(o) = opts.iter().find(|o| {
                    !matches!(
                        o,
                        CanonOpt::Memory(_)
                            | CanonOpt::Utf8
                            | CanonOpt::Utf16
                            | CanonOpt::Latin1Utf16
                    )
                }) {
                    return err(format!(
                        "cannot specify `{}` option on `task.return`",
                        opt_name(o)
                    ));
                }
                let o = self.opts(opts)?;
                let mut params = Vec::new();
                if let Some(t) = r {
                    let t = self.val_type(t)?;
                    flatten(&t, &mut params, MAX_FLAT_PARAMS + 1, o.ptr());
                    if needs_memory(&t) {
                        o.require_memory()?;
                    }
                    if params.len() > MAX_FLAT_PARAMS {
                        o.require_memory()?;
                        params = vec![o.ptr()];
                    }
                }
                core::FuncType {
                    params: flats(&params),
                    results: Vec::new(),
                }
            }
            B::ContextGet(t, _) => ft(&[], &[*t]),
            B::ContextSet(t, _) => ft(&[*t], &[]),
            B::SubtaskCancel(_) => ft(&[I32], &[I32]),
            B::SubtaskDrop => ft(&[I32], &[]),
            B::StreamNew(t) => {
                self.stream_or_future(*t, true)?;
                ft(&[], &[I64])
            }
            B::StreamRead(t, opts) | B::StreamWrite(t, opts) => {
                let p = self.stream_or_future(*t, true)?;
                self.copy_opts(&p, opts, matches!(b, B::StreamRead(..)))?;
                ft(&[I32, I32, I32], &[I32])
            }
            B::StreamCancelRead(t, _) | B::StreamCancelWrite(t, _) => {
                self.stream_or_future(*t, true)?;
                ft(&[I32], &[I32])
            }
            B::StreamDropReadable(t) | B::StreamDropWritable(t) => {
                self.stream_or_future(*t, true)?;
                ft(&[I32], &[])
            }
            B::FutureNew(t) => {
                self.stream_or_future(*t, false)?;
                ft(&[], &[I64])
            }
            B::FutureRead(t, opts) | B::FutureWrite(t, opts) => {
                let p = self.stream_or_future(*t, false)?;
                self.copy_opts(&p, opts, matches!(b, B::FutureRead(..)))?;
                ft(&[I32, I32], &[I32])
            }
            B::FutureCancelRead(t, _) | B::FutureCancelWrite(t, _) => {
                self.stream_or_future(*t, false)?;
                ft(&[I32], &[I32])
            }
            B::FutureDropReadable(t) | B::FutureDropWritable(t) => {
                self.stream_or_future(*t, false)?;
                ft(&[I32], &[])
            }
            B::ErrorContextNew(opts) => {
                opts_mem(opts)?;
                ft(&[I32, I32], &[I32])
            }
            B::ErrorContextDebugMessage(opts) => {
                // The message is a string written into this memory.
                self.opts(opts)?.require_realloc()?;
                ft(&[I32, I32], &[])
            }
            B::ErrorContextDrop | B::WaitableSetDrop => ft(&[I32], &[]),
            B::WaitableSetNew | B::ThreadIndex => ft(&[], &[I32]),
            B::WaitableSetWait(_, m) | B::WaitableSetPoll(_, m) => {
                get(&self.s().core_mems, *m, "memory")?;
                ft(&[I32, I32], &[I32])
            }
            B::WaitableJoin => ft(&[I32, I32], &[]),
            B::ThreadNewIndirect(t, tbl) => {
                // CanonicalABI: `$ft` is `(func (param i32))` (🐘 or i64),
                // `$ftbl` holds funcrefs; the index has the table's address type.
                let c = self.thread_func_type(*t)?;
                let tt = *get(&self.s().core_tables, *tbl, "table")?;
                if !matches!(tt.elem.heap, core::HeapType::Func) {
                    return err(format!(
                        "table is not a table of (ref null (func)): expected table element type funcref, found {}",
                        tt.elem
                    ));
                }
                let u = if tt.idx64 { I64 } else { I32 };
                ft(&[u, c], &[I32])
            }
            B::ThreadResumeLater => ft(&[I32], &[]),
            B::ThreadSuspend(_) | B::ThreadYield(_) => ft(&[], &[I32]),
            B::ThreadSuspendThenResume(_)
            | B::ThreadYieldThenResume(_)
            | B::ThreadSuspendThenPromote(_)
            | B::ThreadYieldThenPromote(_) => ft(&[I32], &[I32]),
            B::ThreadSpawnRef(_, t) => {
                get(&self.s().core_types, *t, "type")?;
                ft(&[I32, I32], &[I32])
            }
            B::ThreadSpawnIndirect(_, t, tbl) => {
                get(&self.s().core_types, *t, "type")?;
                get(&self.s().core_tables, *tbl, "table")?;
                ft(&[I32, I32], &[I32])
            }
            B::ThreadAvailableParallelism(_) => ft(&[], &[I32]),
        })
    }

    /// CanonicalABI `thread.*`: the thread function type `(func (param T))`
    /// with `T` i32 (🐘 or i64); returns `T`.
    fn thread_func_type(&self, t: u32) -> Result<core::ValType> {
        match get(&self.s().core_types, t, "type")? {
            super::CoreTy::Func(f)
                if f.results.is_empty()
                    && matches!(f.params[..], [core::ValType::I32 | core::ValType::I64]) =>
            {
                Ok(f.params[0])
            }
            _ => err(format!(
                "type index {t} is not a function type `(func (param i32))`"
            )),
        }
    }

    /// Binary.md 🪙 start: arguments and result count match the function.
    pub(super) fn start(&mut self, s: &Start) -> Result<()> {
        let f = get(&self.s().funcs, s.func, "function")?.clone();
        if s.args.len() != f.params.len() {
            return err(format!(
                "component start function requires {} arguments but was given {}",
                f.params.len(),
                s.args.len()
            ));
        }
        for (i, (a, (_, want))) in s.args.iter().zip(&f.params).enumerate() {
            let (have, used) = get(&self.s().values, *a, "value")?.clone();
            if used {
                return err(format!("value {a} cannot be used more than once"));
            }
            self.sm().values[*a as usize].1 = true;
            let mut sub = Sub {
                map: Subst::new(),
                open: HashSet::new(),
                ids: &mut self.ids,
                fuel: SUB_FUEL,
            };
            sub.val(&have, want).map_err(|e| {
                ValidationError::Invalid(format!(
                    "type mismatch for component start function argument {i}: {e}"
                ))
            })?;
        }
        let n = u32::from(f.result.is_some());
        if s.results != n {
            return err(format!(
                "component start function has a result count of {} but the function type has a result count of {n}",
                s.results
            ));
        }
        if let Some(t) = &f.result {
            self.sm().values.push((t.clone(), false));
        }
        Ok(())
    }

    /// Binary.md 🪙 value: the bytes are a value of the type.
    pub(super) fn value(&mut self, v: &ValueDef) -> Result<()> {
        let t = self.val_type(&v.ty)?;
        let mut r = ValReader {
            b: &v.bytes,
            pos: 0,
            fuel: 1 << 20,
        };
        r.val(&t)?;
        if r.pos != v.bytes.len() {
            return err("value bytes do not match the value's length");
        }
        self.sm().values.push((t, false));
        Ok(())
    }
}

/// The core function a `canon lift` is given must have the flattened type.
fn check_core_sig(want: &core::FuncType, have: &core::FuncType) -> Result<()> {
    if want.params != have.params {
        return err(format!(
            "lowered parameter types `{:?}` do not match parameter types `{:?}` of core function",
            want.params, have.params
        ));
    }
    if want.results != have.results {
        return err(format!(
            "lowered result types `{:?}` do not match result types `{:?}` of core function",
            want.results, have.results
        ));
    }
    Ok(())
}

/// Decoding of a 🪙 value (Binary.md "Value Definitions") against its type.
struct ValReader<'a> {
    b: &'a [u8],
    pos: usize,
    fuel: u32,
}

impl ValReader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .b
            .get(self.pos)
            .ok_or_else(|| ValidationError::Invalid("unexpected end-of-file in value".into()))?;
        self.pos += 1;
        Ok(b)
    }
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.b.len() - self.pos {
            return err("unexpected end-of-file in value");
        }
        self.pos += n;
        Ok(&self.b[self.pos - n..self.pos])
    }
    /// An unsigned or signed LEB128 of at most `bits` bits.
    fn leb(&mut self, bits: u32, signed: bool) -> Result<()> {
        let max = bits.div_ceil(7);
        for i in 0..max {
            let b = self.byte()?;
            if b & 0x80 == 0 {
                if i + 1 == max {
                    let used = bits - 7 * i;
                    let rest = b >> (used - u32::from(signed)).min(7);
                    let ok = if signed {
                        rest == 0 || rest == (0x7f >> (used - 1).min(7))
                    } else {
                        rest == 0
                    };
                    if !ok {
                        return err("integer too large");
                    }
                }
                return Ok(());
            }
        }
        err("integer representation too long")
    }
    fn u32(&mut self) -> Result<u32> {
        let mut x = 0u64;
        for i in 0..5 {
            let b = self.byte()?;
            x |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(x)
                    .map_err(|_| ValidationError::Invalid("integer too large".into()));
            }
        }
        err("integer representation too long")
    }
    fn val(&mut self, t: &Val) -> Result<()> {
        self.fuel = self
            .fuel
            .checked_sub(1)
            .ok_or_else(|| ValidationError::Invalid("value too large".into()))?;
        if let Some(p) = t.prim() {
            use PrimValType::*;
            return match p {
                Bool => match self.byte()? {
                    0 | 1 => Ok(()),
                    _ => err("invalid boolean value"),
                },
                S8 | U8 => self.byte().map(|_| ()),
                S16 => self.leb(16, true),
                U16 => self.leb(16, false),
                S32 => self.leb(32, true),
                U32 => self.leb(32, false),
                S64 => self.leb(64, true),
                U64 => self.leb(64, false),
                F32 => self.take(4).map(|_| ()),
                F64 => self.take(8).map(|_| ()),
                Char => {
                    // core:utf8 of one scalar value.
                    let b0 = self.byte()?;
                    let n = match b0 {
                        0x00..=0x7f => 0,
                        0xc0..=0xdf => 1,
                        0xe0..=0xef => 2,
                        0xf0..=0xf7 => 3,
                        _ => return err("malformed UTF-8 encoding"),
                    };
                    let start = self.pos - 1;
                    self.take(n)?;
                    match std::str::from_utf8(&self.b[start..self.pos]) {
                        Ok(_) => Ok(()),
                        Err(_) => err("malformed UTF-8 encoding"),
                    }
                }
                String => {
                    let n = self.u32()? as usize;
                    let s = self.take(n)?;
                    std::str::from_utf8(s)
                        .map(|_| ())
                        .map_err(|_| ValidationError::Invalid("malformed UTF-8 encoding".into()))
                }
                ErrorContext => err("error-context values cannot be defined"),
            };
        }
        let Val::Def(d) = t else { return Ok(()) };
        match &d.kind {
            DefKind::Record(fs) => fs.iter().try_for_each(|(_, t)| self.val(t)),
            DefKind::Tuple(ts) => ts.iter().try_for_each(|t| self.val(t)),
            DefKind::Variant(cs) => {
                let i = self.u32()? as usize;
                match cs.get(i) {
                    Some((_, Some(t))) => self.val(t),
                    Some((_, None)) => Ok(()),
                    None => err("invalid variant case"),
                }
            }
            DefKind::List(t) => {
                let n = self.u32()?;
                (0..n).try_for_each(|_| self.val(t))
            }
            DefKind::FixedList(t, n) => (0..*n).try_for_each(|_| self.val(t)),
            DefKind::Flags(ls) => self.take(ls.len().div_ceil(8)).map(|_| ()),
            DefKind::Enum(ls) => {
                if self.u32()? as usize >= ls.len() {
                    return err("invalid enum case");
                }
                Ok(())
            }
            DefKind::Option(t) => match self.byte()? {
                0 => Ok(()),
                1 => self.val(t),
                _ => err("invalid option discriminant"),
            },
            DefKind::Result(a, b) => {
                let t = match self.byte()? {
                    0 => a,
                    1 => b,
                    _ => return err("invalid result discriminant"),
                };
                t.as_ref().map_or(Ok(()), |t| self.val(t))
            }
            DefKind::Map(k, v) => {
                let n = self.u32()?;
                (0..n).try_for_each(|_| {
                    self.val(k)?;
                    self.val(v)
                })
            }
            DefKind::Prim(_) => Ok(()),
            DefKind::Own(_) | DefKind::Borrow(_) | DefKind::Stream(_) | DefKind::Future(_) => {
                err("values of this type cannot be defined")
            }
        }
    }
}
