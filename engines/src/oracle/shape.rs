//! Operand shaping: our own additions to wasm-smith's generator for what it
//! rarely reaches (see docs/fuzzing.md, "Coverage").
//!
//! wasm-smith gives bulk memory and table instructions arbitrary operands,
//! so nearly all of them trap on their bounds, and with `disallow_traps` it
//! does not generate them at all. Shaping puts a call to an appended helper
//! function before each such instruction (and before `call_indirect`) that
//! maps the operands, deterministically from their own bits, to:
//! - a quarter of the time, the operands unchanged (the traps stay reachable);
//! - otherwise a length of class 1-16, 17-256 or 257-65536 (then clamped to
//!   what fits) with a destination and source in bounds, the destination at
//!   the very end of the memory or table half of those times.
//!
//! Only 32-bit memories and tables are shaped. Every engine runs the same
//! shaped module, so shaping changes what is tested, never the verdict.

use super::instrument::ExtraFunc;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{Function, Instruction, ValType};
use wasmparser::{Operator, Parser, Payload};

/// What a helper shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// memory.fill on a memory.
    MemFill(u32),
    /// memory.copy: destination, source memory.
    MemCopy(u32, u32),
    /// memory.init: memory, data segment.
    MemInit(u32, u32),
    /// table.fill on a table.
    TableFill(u32),
    /// table.copy: destination, source table.
    TableCopy(u32, u32),
    /// table.init: table, element segment.
    TableInit(u32, u32),
    /// The index operand of call_indirect / return_call_indirect: table,
    /// type index.
    Index(u32, u32),
}

/// The helpers of one module: keys and their position among the extras.
#[derive(Debug, Clone, Default)]
pub struct Shaping {
    /// (key, index of the helper in the extra functions).
    pub helpers: Vec<(Key, usize)>,
    /// Bulk instructions injected at the start of each function body, in
    /// code order: the key and three random operands for its helper.
    pub inject: Vec<Vec<(Key, [i32; 3])>>,
    /// Function bodies reencoded so far.
    pub body: usize,
    /// The element type of each table (for `ref.null` before table.fill).
    tables: Vec<ValType>,
    /// A passive data segment appended to the data section (long enough
    /// for memory.init of every length class up to 257-65536).
    pub extra_data: Option<Vec<u8>>,
    /// A passive element segment of function indices appended to the
    /// element section (as long as the largest table).
    pub extra_elems: Option<Vec<u32>>,
    /// Grows memory 0 and the tables to their maximum at the start of
    /// bodies with injected instructions (a memory of 0 pages or an empty
    /// table makes every access trap).
    grow: Vec<Instruction<'static>>,
}

impl Shaping {
    /// The key of an instruction that is shaped, if any.
    pub fn key(insn: &Instruction<'_>) -> Option<Key> {
        use Instruction as I;
        Some(match *insn {
            I::MemoryFill(m) => Key::MemFill(m),
            I::MemoryCopy { src_mem, dst_mem } => Key::MemCopy(dst_mem, src_mem),
            I::MemoryInit { mem, data_index } => Key::MemInit(mem, data_index),
            I::TableFill(t) => Key::TableFill(t),
            I::TableCopy {
                src_table,
                dst_table,
            } => Key::TableCopy(dst_table, src_table),
            I::TableInit { elem_index, table } => Key::TableInit(table, elem_index),
            I::CallIndirect {
                table_index,
                type_index,
            }
            | I::ReturnCallIndirect {
                table_index,
                type_index,
            } => Key::Index(table_index, type_index),
            _ => return None,
        })
    }

    /// The extra-function position of the helper for an instruction.
    pub fn helper(&self, insn: &Instruction<'_>) -> Option<usize> {
        let k = Self::key(insn)?;
        self.helper_of(k)
    }

    fn helper_of(&self, k: Key) -> Option<usize> {
        self.helpers.iter().find(|(h, _)| *h == k).map(|(_, i)| *i)
    }

    /// The instructions injected at the start of the next function body
    /// (helpers numbered from `first_func`); each leaves the stack as it was.
    pub fn next_body(&mut self, first_func: u32) -> Vec<Instruction<'static>> {
        use Instruction as I;
        let mut out = Vec::new();
        let body = self.body;
        self.body += 1;
        let Some(list) = self.inject.get(body) else {
            return out;
        };
        if !list.is_empty() {
            out.extend(self.grow.iter().cloned());
        }
        for &(key, [a, b, c]) in list {
            let Some(h) = self.helper_of(key) else {
                continue;
            };
            out.push(I::I32Const(a));
            match (
                key,
                self.tables.get(match key {
                    Key::TableFill(t) => t as usize,
                    _ => usize::MAX,
                }),
            ) {
                (Key::TableFill(_), Some(ValType::Ref(rt))) => out.push(I::RefNull(rt.heap_type)),
                (Key::TableFill(_), _) => return Vec::new(),
                _ => out.push(I::I32Const(b)),
            }
            out.push(I::I32Const(c));
            out.push(I::Call(first_func + h as u32));
            out.push(match key {
                Key::MemFill(m) => I::MemoryFill(m),
                Key::MemCopy(d, s) => I::MemoryCopy {
                    dst_mem: d,
                    src_mem: s,
                },
                Key::MemInit(m, seg) => I::MemoryInit {
                    mem: m,
                    data_index: seg,
                },
                Key::TableFill(t) => I::TableFill(t),
                Key::TableCopy(d, s) => I::TableCopy {
                    dst_table: d,
                    src_table: s,
                },
                Key::TableInit(t, seg) => I::TableInit {
                    elem_index: seg,
                    table: t,
                },
                Key::Index(..) => continue,
            });
        }
        out
    }
}

/// What shaping needs to know of a module.
#[derive(Default)]
struct Facts {
    /// Whether each memory is 32-bit.
    mem32: Vec<bool>,
    /// Pages each memory may grow by (maximum - minimum).
    mem_room: Vec<u64>,
    /// Each table: 32-bit, and its element type.
    tables: Vec<(bool, ValType)>,
    /// Elements each table may grow by.
    table_room: Vec<u64>,
    /// Byte length of each data segment.
    data_lens: Vec<u32>,
    /// Element count and type of each element segment.
    elem_lens: Vec<u32>,
    elem_types: Vec<ValType>,
    /// Whether the module has a data count section (memory.init needs one).
    data_count: bool,
    /// Number of function bodies.
    bodies: usize,
    /// Whether the module has a data section and an element section.
    has_data: bool,
    has_elems: bool,
    /// Number of functions.
    funcs: u32,
    /// The type index of each function.
    func_types: Vec<u32>,
    /// Functions `ref.func` may name in a body (exported or in an element
    /// segment: validation's C.refs), in index order.
    declared: std::collections::BTreeSet<u32>,
    /// Each type's signature when it is a function type alone in its
    /// recursion group, final and without supertype: two such types with
    /// equal signatures are equivalent (3.0 type equivalence), so a
    /// function of one may be called through the other.
    sigs: Vec<Option<Sig>>,
    /// The shaped instructions in code.
    keys: Vec<Key>,
}

/// A function type's parameters and results.
type Sig = (Vec<ValType>, Vec<ValType>);

fn facts(wasm: &[u8]) -> Result<Facts, String> {
    let mut f = Facts::default();
    let err = |e: wasmparser::BinaryReaderError| e.to_string();
    let mut re = RoundtripReencoder;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(err)? {
            Payload::ImportSection(_) => return Err("imports are not shaped".into()),
            Payload::TypeSection(r) => {
                for group in r {
                    let group = group.map_err(err)?;
                    let single = group.types().len() == 1;
                    for sub in group.types() {
                        let sig = match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(ft)
                                if single
                                    && sub.is_final
                                    && sub.supertype_idxs.is_empty()
                                    && !sub.composite_type.shared =>
                            {
                                let mut conv = |v: &[wasmparser::ValType]| {
                                    v.iter()
                                        .map(|&t| re.val_type(t).map_err(|e| format!("{e:?}")))
                                        .collect::<Result<Vec<_>, _>>()
                                };
                                Some((conv(ft.params())?, conv(ft.results())?))
                            }
                            _ => None,
                        };
                        f.sigs.push(sig);
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    let m = m.map_err(err)?;
                    f.mem32.push(!m.memory64);
                    f.mem_room
                        .push(m.maximum.unwrap_or(m.initial).saturating_sub(m.initial));
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    let t = t.map_err(err)?;
                    let rt = re
                        .ref_type(t.ty.element_type)
                        .map_err(|e| format!("{e:?}"))?;
                    f.tables.push((!t.ty.table64, ValType::Ref(rt)));
                    let room = t.ty.maximum.unwrap_or(t.ty.initial);
                    f.table_room.push(room.saturating_sub(t.ty.initial));
                }
            }
            Payload::FunctionSection(r) => {
                f.funcs = r.count();
                for t in r {
                    f.func_types.push(t.map_err(err)?);
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.map_err(err)?;
                    if e.kind == wasmparser::ExternalKind::Func {
                        f.declared.insert(e.index);
                    }
                }
            }
            Payload::DataSection(r) => {
                f.has_data = true;
                for d in r {
                    f.data_lens.push(d.map_err(err)?.data.len() as u32);
                }
            }
            Payload::ElementSection(r) => {
                f.has_elems = true;
                for e in r {
                    let (n, ty) = match e.map_err(err)?.items {
                        wasmparser::ElementItems::Functions(r) => {
                            let n = r.count();
                            for i in r {
                                f.declared.insert(i.map_err(err)?);
                            }
                            (n, ValType::Ref(wasm_encoder::RefType::FUNCREF))
                        }
                        wasmparser::ElementItems::Expressions(t, r) => (
                            r.count(),
                            ValType::Ref(re.ref_type(t).map_err(|e| format!("{e:?}"))?),
                        ),
                    };
                    f.elem_lens.push(n);
                    f.elem_types.push(ty);
                }
            }
            Payload::DataCountSection { .. } => f.data_count = true,
            Payload::CodeSectionEntry(body) => {
                f.bodies += 1;
                let mut ops = body.get_operators_reader().map_err(err)?;
                while !ops.eof() {
                    let key = match ops.read().map_err(err)? {
                        Operator::MemoryFill { mem } => Key::MemFill(mem),
                        Operator::MemoryCopy { dst_mem, src_mem } => Key::MemCopy(dst_mem, src_mem),
                        Operator::MemoryInit { data_index, mem } => Key::MemInit(mem, data_index),
                        Operator::TableFill { table } => Key::TableFill(table),
                        Operator::TableCopy {
                            dst_table,
                            src_table,
                        } => Key::TableCopy(dst_table, src_table),
                        Operator::TableInit { elem_index, table } => {
                            Key::TableInit(table, elem_index)
                        }
                        Operator::CallIndirect {
                            table_index,
                            type_index,
                        }
                        | Operator::ReturnCallIndirect {
                            table_index,
                            type_index,
                        } => Key::Index(table_index, type_index),
                        _ => continue,
                    };
                    if !f.keys.contains(&key) {
                        f.keys.push(key);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// Length of the appended passive data segment.
const EXTRA_DATA_BYTES: u32 = 1024;
/// Length of the appended passive element segment.
const EXTRA_ELEMS: u32 = super::generate::MAX_TABLE_ELEMS as u32;

/// Locals of a range helper: parameters 0..3, then these.
const DSZ: u32 = 3;
const H: u32 = 4;
const N2: u32 = 5;
const C: u32 = 6;
const SSZ: u32 = 7;

/// The multiplier of the operand hash (a golden-ratio constant).
const MIX: i32 = 0x9e37_79b1_u32 as i32;

/// A helper `(d, x, n) -> (d', x', n')` for a bulk instruction: `dst_size`
/// pushes the destination's size, `src_size` the source's (for copy and
/// init; `x` is then the source offset, otherwise a value passed through).
fn range_helper(
    x_ty: ValType,
    dst_size: &[Instruction<'static>],
    src_size: Option<&[Instruction<'static>]>,
) -> ExtraFunc {
    use Instruction as I;
    let mut f = Function::new([(5, ValType::I32)]);
    let mut ins = |i: I<'_>| {
        f.instruction(&i);
    };
    // h = (n ^ (d << 7)) * MIX; c = h >> 28 & 3
    for i in [
        I::LocalGet(2),
        I::LocalGet(0),
        I::I32Const(7),
        I::I32Shl,
        I::I32Xor,
        I::I32Const(MIX),
        I::I32Mul,
        I::LocalTee(H),
        I::I32Const(28),
        I::I32ShrU,
        I::I32Const(3),
        I::I32And,
        I::LocalTee(C),
        I::I32Eqz,
        I::If(wasm_encoder::BlockType::Empty),
        I::LocalGet(0),
        I::LocalGet(1),
        I::LocalGet(2),
        I::Return,
        I::End,
    ] {
        ins(i);
    }
    // Sizes: the source's defaults to the destination's.
    for i in dst_size {
        ins(i.clone());
    }
    ins(I::LocalTee(DSZ));
    ins(I::LocalSet(SSZ));
    if let Some(s) = src_size {
        for i in s {
            ins(i.clone());
        }
        ins(I::LocalSet(SSZ));
    }
    // n2 = h & (c == 3 ? 0xffff : c == 2 ? 0xff : 0xf)
    for i in [
        I::I32Const(0xffff),
        I::I32Const(0xff),
        I::I32Const(0xf),
        I::LocalGet(C),
        I::I32Const(2),
        I::I32Eq,
        I::Select,
        I::LocalGet(C),
        I::I32Const(3),
        I::I32Eq,
        I::Select,
        I::LocalGet(H),
        I::I32And,
        I::LocalSet(N2),
    ] {
        ins(i);
    }
    // n2 = n2 % (min(dsz, ssz) + 1) when it exceeds min(dsz, ssz)
    for i in [
        I::LocalGet(DSZ),
        I::LocalGet(SSZ),
        I::LocalGet(DSZ),
        I::LocalGet(SSZ),
        I::I32LtU,
        I::Select,
        I::LocalSet(C), // C is now the common bound
        I::LocalGet(N2),
        I::LocalGet(C),
        I::I32Const(1),
        I::I32Add,
        I::I32RemU,
        I::LocalGet(N2),
        I::LocalGet(N2),
        I::LocalGet(C),
        I::I32GtU,
        I::Select,
        I::LocalSet(N2),
    ] {
        ins(i);
    }
    // d' = h bit 20 ? dsz - n2 : d % (dsz - n2 + 1)
    for i in [
        I::LocalGet(DSZ),
        I::LocalGet(N2),
        I::I32Sub,
        I::LocalGet(0),
        I::LocalGet(DSZ),
        I::LocalGet(N2),
        I::I32Sub,
        I::I32Const(1),
        I::I32Add,
        I::I32RemU,
        I::LocalGet(H),
        I::I32Const(20),
        I::I32ShrU,
        I::I32Const(1),
        I::I32And,
        I::Select,
    ] {
        ins(i);
    }
    // x' = s % (ssz - n2 + 1) for a source, x otherwise
    if src_size.is_some() {
        for i in [
            I::LocalGet(1),
            I::LocalGet(SSZ),
            I::LocalGet(N2),
            I::I32Sub,
            I::I32Const(1),
            I::I32Add,
            I::I32RemU,
        ] {
            ins(i);
        }
    } else {
        ins(I::LocalGet(1));
    }
    ins(I::LocalGet(N2));
    ins(I::End);
    ExtraFunc {
        params: vec![ValType::I32, x_ty, ValType::I32],
        results: vec![ValType::I32, x_ty, ValType::I32],
        body: f,
        export: None,
    }
}

/// A helper `(i) -> i'` for call_indirect: a quarter of the time the index
/// unchanged (the traps stay reachable). Otherwise, with a `callee` (a
/// function of the call's type that `ref.func` may name): an empty table
/// grows by one entry holding it, and half of the time the callee is stored
/// at `i % size` (`table.set`), so the call enters it. Otherwise the index
/// modulo the table's size (when not empty), moved on to the next non-null
/// entry when `scan` (the table's entries are read with `table.get`).
fn index_helper(table: u32, scan: bool, callee: Option<u32>) -> ExtraFunc {
    use Instruction as I;
    use wasm_encoder::BlockType::Empty;
    // Locals: 0 = i, 1 = size, 2 = j, 3 = entries left to scan.
    let mut f = Function::new([(3, ValType::I32)]);
    let mut code = vec![
        // (i * MIX) >> 30 == 0: unchanged
        I::LocalGet(0),
        I::I32Const(MIX),
        I::I32Mul,
        I::I32Const(30),
        I::I32ShrU,
        I::I32Eqz,
        I::If(Empty),
        I::LocalGet(0),
        I::Return,
        I::End,
        I::TableSize(table),
        I::LocalSet(1),
    ];
    if let Some(g) = callee {
        code.extend([
            // size == 0: table.grow by one entry holding the callee, else give up
            I::LocalGet(1),
            I::I32Eqz,
            I::If(Empty),
            I::RefFunc(g),
            I::I32Const(1),
            I::TableGrow(table),
            I::I32Const(-1),
            I::I32Eq,
            I::If(Empty),
            I::LocalGet(0),
            I::Return,
            I::End,
            I::I32Const(0),
            I::Return,
            I::End,
            // bit 29 of the hash: j = i % size; table[j] = callee; return j
            I::LocalGet(0),
            I::I32Const(MIX),
            I::I32Mul,
            I::I32Const(29),
            I::I32ShrU,
            I::I32Const(1),
            I::I32And,
            I::If(Empty),
            I::LocalGet(0),
            I::LocalGet(1),
            I::I32RemU,
            I::LocalTee(2),
            I::RefFunc(g),
            I::TableSet(table),
            I::LocalGet(2),
            I::Return,
            I::End,
        ]);
    }
    code.extend([
        I::LocalGet(1),
        I::I32Eqz,
        I::If(Empty),
        I::LocalGet(0),
        I::Return,
        I::End,
    ]);
    if scan {
        code.extend([
            // j = i % size; k = size; loop: non-null at j -> j; j = (j+1) % size
            I::LocalGet(0),
            I::LocalGet(1),
            I::I32RemU,
            I::LocalSet(2),
            I::LocalGet(1),
            I::LocalSet(3),
            I::Loop(Empty),
            I::LocalGet(2),
            I::TableGet(table),
            I::RefIsNull,
            I::I32Eqz,
            I::If(Empty),
            I::LocalGet(2),
            I::Return,
            I::End,
            I::LocalGet(2),
            I::I32Const(1),
            I::I32Add,
            I::LocalGet(1),
            I::I32RemU,
            I::LocalSet(2),
            I::LocalGet(3),
            I::I32Const(1),
            I::I32Sub,
            I::LocalTee(3),
            I::BrIf(0),
            I::End,
            I::LocalGet(2),
            I::End,
        ]);
    } else {
        code.extend([I::LocalGet(0), I::LocalGet(1), I::I32RemU, I::End]);
    }
    for i in &code {
        f.instruction(i);
    }
    ExtraFunc {
        params: vec![ValType::I32],
        results: vec![ValType::I32],
        body: f,
        export: None,
    }
}

/// A function of the module that `ref.func` may name and that
/// `call_indirect (type ty)` may call: of type `ty` or of an equivalent one.
/// Among several, one picked by `ty` (so calls of one type do not always
/// reach the same function).
fn callee_of(f: &Facts, ty: u32) -> Option<u32> {
    let want = f.sigs.get(ty as usize).cloned().flatten();
    let fits = |g: &u32| {
        let gt = f.func_types.get(*g as usize).copied();
        gt == Some(ty)
            || (want.is_some()
                && gt.and_then(|t| f.sigs.get(t as usize).cloned().flatten()) == want)
    };
    let all: Vec<u32> = f.declared.iter().copied().filter(fits).collect();
    (!all.is_empty()).then(|| all[ty as usize % all.len()])
}

/// A function of type `ty` returning zeros (nulls for references), for a
/// `call_indirect` whose type no function of the module has; `None` when
/// a result has no default (a non-nullable reference) or the type is not a
/// plain function type.
fn stub(f: &Facts, ty: u32) -> Option<ExtraFunc> {
    use Instruction as I;
    let (params, results) = f.sigs.get(ty as usize).cloned().flatten()?;
    let mut body = Function::new([]);
    for r in &results {
        body.instruction(&match r {
            ValType::I32 => I::I32Const(0),
            ValType::I64 => I::I64Const(0),
            ValType::F32 => I::F32Const(0.0.into()),
            ValType::F64 => I::F64Const(0.0.into()),
            ValType::V128 => I::V128Const(0),
            ValType::Ref(rt) if rt.nullable => I::RefNull(rt.heap_type),
            ValType::Ref(_) => return None,
        });
    }
    body.instruction(&I::End);
    Some(ExtraFunc {
        params,
        results,
        body,
        export: None,
    })
}

/// The bytes of a memory: `memory.size << 16` (wraps to 0 at 4 GiB, which
/// only makes the shaped operands trap).
fn mem_bytes(m: u32) -> Vec<Instruction<'static>> {
    vec![
        Instruction::MemorySize(m),
        Instruction::I32Const(16),
        Instruction::I32Shl,
    ]
}

/// The helpers for a module's bulk instructions and indirect calls, to be
/// appended after `first_extra` other extra functions. Instructions on
/// 64-bit memories or tables get none.
pub fn helpers(
    wasm: &[u8],
    first_extra: usize,
    inject: Option<&mut super::plan::Rng>,
    reftypes: bool,
) -> Result<(Vec<ExtraFunc>, Shaping), String> {
    let mut f = facts(wasm)?;
    let mut extras = Vec::new();
    let mut shaping = Shaping {
        tables: f.tables.iter().map(|t| t.1).collect(),
        ..Shaping::default()
    };
    if let Some(rng) = inject {
        // The bulk instructions that are valid here, on memory 0 and the
        // tables, each injected at the start of a body with probability 1/2.
        let mut kinds = Vec::new();
        if f.has_data && f.data_count && f.mem32.first() == Some(&true) {
            let seg = f.data_lens.len() as u32;
            let bytes: Vec<u8> = (0..EXTRA_DATA_BYTES).map(|i| (i * 31 + 7) as u8).collect();
            f.data_lens.push(bytes.len() as u32);
            shaping.extra_data = Some(bytes);
            kinds.push(Key::MemInit(0, seg));
        }
        let funcref = ValType::Ref(wasm_encoder::RefType::FUNCREF);
        if f.has_elems && f.funcs > 0 {
            let seg = f.elem_lens.len() as u32;
            let elems: Vec<u32> = (0..EXTRA_ELEMS).map(|i| i % f.funcs).collect();
            f.elem_lens.push(elems.len() as u32);
            f.elem_types.push(funcref);
            shaping.extra_elems = Some(elems);
            let _ = seg;
        }
        if f.mem32.first() == Some(&true) {
            kinds.push(Key::MemFill(0));
            kinds.push(Key::MemCopy(0, 0));
            if f.data_count {
                for seg in 0..f.data_lens.len() as u32 {
                    kinds.push(Key::MemInit(0, seg));
                }
            }
        }
        for (t, &(is32, ty)) in f.tables.iter().enumerate() {
            if !is32 {
                continue;
            }
            let t = t as u32;
            kinds.push(Key::TableFill(t));
            kinds.push(Key::TableCopy(t, t));
            for (seg, st) in f.elem_types.iter().enumerate() {
                if *st == ty {
                    kinds.push(Key::TableInit(t, seg as u32));
                }
            }
        }
        if f.mem32.first() == Some(&true) && f.mem_room[0] > 0 {
            shaping.grow.extend([
                Instruction::I32Const(f.mem_room[0].min(1 << 16) as i32),
                Instruction::MemoryGrow(0),
                Instruction::Drop,
            ]);
        }
        for (t, &(is32, ty)) in f.tables.iter().enumerate() {
            if let (true, ValType::Ref(rt), Some(&room)) = (is32, ty, f.table_room.get(t))
                && room > 0
            {
                shaping.grow.extend([
                    Instruction::RefNull(rt.heap_type),
                    Instruction::I32Const(room.min(1 << 16) as i32),
                    Instruction::TableGrow(t as u32),
                    Instruction::Drop,
                ]);
            }
        }
        if !kinds.is_empty() {
            for _ in 0..f.bodies {
                let mut list = Vec::new();
                while rng.below(2) == 0 && list.len() < 4 {
                    let k = kinds[rng.below(kinds.len() as u64) as usize];
                    let ops = [rng.next() as i32, rng.next() as i32, rng.next() as i32];
                    list.push((k, ops));
                    if !f.keys.contains(&k) {
                        f.keys.push(k);
                    }
                }
                shaping.inject.push(list);
            }
        }
    }
    let mem32 = |m: u32| f.mem32.get(m as usize).copied().unwrap_or(false);
    let table = |t: u32| f.tables.get(t as usize).copied().filter(|(is32, _)| *is32);
    let len = |v: &[u32], i: u32| v.get(i as usize).copied();
    for &key in &f.keys {
        let helper = match key {
            Key::MemFill(m) if mem32(m) => range_helper(ValType::I32, &mem_bytes(m), None),
            Key::MemCopy(d, s) if mem32(d) && mem32(s) => {
                range_helper(ValType::I32, &mem_bytes(d), Some(&mem_bytes(s)))
            }
            Key::MemInit(m, seg) if mem32(m) => match len(&f.data_lens, seg) {
                Some(l) => range_helper(
                    ValType::I32,
                    &mem_bytes(m),
                    Some(&[Instruction::I32Const(l as i32)]),
                ),
                None => continue,
            },
            Key::TableFill(t) => match table(t) {
                Some((_, ty)) => range_helper(ty, &[Instruction::TableSize(t)], None),
                None => continue,
            },
            Key::TableCopy(d, s) if table(d).is_some() && table(s).is_some() => range_helper(
                ValType::I32,
                &[Instruction::TableSize(d)],
                Some(&[Instruction::TableSize(s)]),
            ),
            Key::TableInit(t, seg) if table(t).is_some() => match len(&f.elem_lens, seg) {
                Some(l) => range_helper(
                    ValType::I32,
                    &[Instruction::TableSize(t)],
                    Some(&[Instruction::I32Const(l as i32)]),
                ),
                None => continue,
            },
            Key::Index(t, ty) if table(t).is_some() => {
                // In a funcref table the helper can store a function of the
                // call's type at the index, so the call enters its callee
                // (wasm-smith's tables seldom hold one there, and often the
                // module has no function of that type at all).
                let funcref = ValType::Ref(wasm_encoder::RefType::FUNCREF);
                let callee = if reftypes && table(t).map(|x| x.1) == Some(funcref) {
                    match callee_of(&f, ty) {
                        Some(g) => Some(g),
                        None => match stub(&f, ty) {
                            Some(mut s) => {
                                // Exported, so `ref.func` may name it; the
                                // oracle's prefix keeps it out of the calls.
                                s.export = Some(format!("__oracle_callee_{ty}"));
                                let g = f.funcs + (first_extra + extras.len()) as u32;
                                extras.push(s);
                                Some(g)
                            }
                            None => None,
                        },
                    }
                } else {
                    None
                };
                index_helper(t, reftypes, callee)
            }
            _ => continue,
        };
        shaping.helpers.push((key, first_extra + extras.len()));
        extras.push(helper);
    }
    Ok((extras, shaping))
}

#[cfg(test)]
mod tests {
    use super::super::{Coverage, GenOptions, generate, run_case_with};
    use reference_vm::syntax::Opcode;

    /// Shaped modules validate with the common features, and over a few
    /// thousand inputs reference-vm completes memory.fill and memory.copy at
    /// lengths 17-256 and 257-65536 and table.fill at 1-16 (with wasm-smith
    /// alone nearly all of them trap on their bounds).
    #[test]
    fn shaped_bulk_operations_complete_over_long_ranges() {
        let opts = GenOptions::differential(&["reference-vm@latest", "wasmi"]);
        let mut cov = Some(Box::<Coverage>::default());
        for seed in 0..2000u64 {
            let mut rng = super::super::plan::Rng::new(seed);
            let len = 256 + rng.below(3840) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let Ok(case) = generate(&data, &opts) else {
                continue;
            };
            wasmparser::Validator::new_with_features(opts.features.wasmparser())
                .validate_all(&case.wasm)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            run_case_with(
                &case,
                &["reference-vm@latest", "reference-vm@latest"],
                &mut cov,
            )
            .unwrap();
        }
        let c = cov.unwrap();
        for op in [Opcode::MemoryFill, Opcode::MemoryCopy] {
            let l = c.lengths(op);
            assert!(l[2] > 0 && l[3] > 0, "{}: {l:?}", op.name());
        }
        assert!(c.lengths(Opcode::TableFill)[1] > 0);
    }

    /// A module whose only `call_indirect` names a type no function has,
    /// through an empty table: shaped, some calls enter a callee (an
    /// appended stub of that type, stored by the index helper) and some
    /// still trap (the quarter left unchanged, the entries left null).
    #[test]
    fn shaped_call_indirect_enters_a_callee() {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction as I,
            Module, TableSection, TableType, TypeSection, ValType,
        };
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I64]);
        types.ty().function([], [ValType::I64, ValType::F32]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: wasm_encoder::RefType::FUNCREF,
            table64: false,
            minimum: 0,
            maximum: Some(4),
            shared: false,
        });
        m.section(&tables);
        let mut exports = ExportSection::new();
        exports.export("f", ExportKind::Func, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        for i in [
            I::LocalGet(0),
            I::CallIndirect {
                type_index: 1,
                table_index: 0,
            },
            I::Drop,
            I::End,
        ] {
            f.instruction(&i);
        }
        code.function(&f);
        m.section(&code);
        let shaped = super::super::instrument::add_oracle_exports(
            &m.finish(),
            None,
            None,
            Some((None, true)),
        )
        .unwrap();
        let mut e = crate::create_engine("reference-vm").unwrap();
        let inst = e.instantiate(&shaped).unwrap();
        let (mut entered, mut trapped) = (0, 0);
        for i in 0..64u32 {
            match e.invoke(
                inst,
                "f",
                &[crate::Value::I32(
                    i.wrapping_mul(0x2545_f491).rotate_left(13),
                )],
            ) {
                crate::Outcome::Returned(v) if v == [crate::Value::I64(0)] => entered += 1,
                crate::Outcome::Trapped(_) => trapped += 1,
                other => panic!("{i}: {other:?}"),
            }
        }
        assert!(
            entered > 0 && trapped > 0,
            "{entered} entered, {trapped} trapped"
        );
    }
}
