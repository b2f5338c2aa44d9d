//! Reading and rewriting generated modules: what a module exports, and the
//! small helper functions the oracle appends to it.
//!
//! The helpers are ordinary exported functions appended after the module's
//! own types and functions (no existing index moves), named with the
//! [`ORACLE_PREFIX`] so the oracle never calls them as test subjects:
//! - `__oracle_fuel (param i32)` sets wasm-smith's fuel global (the global
//!   `ensure_termination` adds is not exported, so the oracle needs a setter
//!   to reset it before every call);
//! - `__oracle_peek (param i32) (result i32)` loads a byte of memory 0, so a
//!   `.wast` reproducer can show a memory divergence.
//!
//! The same pass can replace some integer constants in code by small
//! integers ([`SmallConsts`]): wasm-smith draws constants from the whole
//! range or from bit patterns, rarely from the small values where
//! off-by-one faults live (divisors, shift counts, lane indices, bounds).

use super::plan::Rng;
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, MemArg,
    SectionId, TypeSection, ValType,
};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// Exports whose name starts with this are the oracle's own helpers.
pub const ORACLE_PREFIX: &str = "__oracle_";
/// The fuel setter's export name.
pub const FUEL_EXPORT: &str = "__oracle_fuel";
/// The memory peek helper's export name.
pub const PEEK_EXPORT: &str = "__oracle_peek";

/// A value type as far as the oracle needs it to make arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// `funcref` (nullable).
    FuncRef,
    /// `externref` (nullable).
    ExternRef,
    /// Any other reference type: the oracle cannot make an argument of it.
    OtherRef,
}

impl ParamType {
    fn from_wasmparser(t: wasmparser::ValType) -> ParamType {
        match t {
            wasmparser::ValType::I32 => ParamType::I32,
            wasmparser::ValType::I64 => ParamType::I64,
            wasmparser::ValType::F32 => ParamType::F32,
            wasmparser::ValType::F64 => ParamType::F64,
            wasmparser::ValType::V128 => ParamType::V128,
            wasmparser::ValType::Ref(r) if r == wasmparser::RefType::FUNCREF => ParamType::FuncRef,
            wasmparser::ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => {
                ParamType::ExternRef
            }
            wasmparser::ValType::Ref(_) => ParamType::OtherRef,
        }
    }

    /// The text-format name.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::I32 => "i32",
            ParamType::I64 => "i64",
            ParamType::F32 => "f32",
            ParamType::F64 => "f64",
            ParamType::V128 => "v128",
            ParamType::FuncRef => "funcref",
            ParamType::ExternRef => "externref",
            ParamType::OtherRef => "ref",
        }
    }
}

/// An exported function and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFunc {
    /// The export name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<ParamType>,
    /// Result types.
    pub results: Vec<ParamType>,
}

/// What the oracle needs to know about a module's shape.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    /// Types in the type index space; `None` for non-function types.
    pub func_types: Vec<Option<(Vec<ParamType>, Vec<ParamType>)>>,
    /// The type index of each function in the function index space.
    pub funcs: Vec<u32>,
    /// Number of imported functions.
    pub imported_funcs: u32,
    /// Exports: name, kind, index.
    pub exports: Vec<(String, ExternalKind, u32)>,
    /// Whether each memory (imported ones first) is a 64-bit memory.
    pub memories_64: Vec<bool>,
    /// Number of imports of any kind.
    pub imports: u32,
}

impl ModuleInfo {
    /// Reads the shape of a module (not validated; a malformed module is an error).
    pub fn parse(wasm: &[u8]) -> Result<ModuleInfo, String> {
        let mut info = ModuleInfo::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| e.to_string())? {
                Payload::TypeSection(r) => {
                    for group in r {
                        let group = group.map_err(|e| e.to_string())?;
                        for sub in group.types() {
                            info.func_types.push(match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => Some((
                                    f.params()
                                        .iter()
                                        .map(|t| ParamType::from_wasmparser(*t))
                                        .collect(),
                                    f.results()
                                        .iter()
                                        .map(|t| ParamType::from_wasmparser(*t))
                                        .collect(),
                                )),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for import in r.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        info.imports += 1;
                        match import.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                info.funcs.push(t);
                                info.imported_funcs += 1;
                            }
                            TypeRef::Memory(m) => info.memories_64.push(m.memory64),
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        info.funcs.push(t.map_err(|e| e.to_string())?);
                    }
                }
                Payload::MemorySection(r) => {
                    for m in r {
                        info.memories_64
                            .push(m.map_err(|e| e.to_string())?.memory64);
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.map_err(|e| e.to_string())?;
                        info.exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// The exported functions in export order, with signatures.
    pub fn exported_funcs(&self) -> Vec<ExportedFunc> {
        self.exports
            .iter()
            .filter(|(_, kind, _)| *kind == ExternalKind::Func)
            .filter_map(|(name, _, idx)| {
                let ty = *self.funcs.get(*idx as usize)?;
                let (params, results) = self.func_types.get(ty as usize)?.clone()?;
                Some(ExportedFunc {
                    name: name.clone(),
                    params,
                    results,
                })
            })
            .collect()
    }

    /// Whether an export of this name exists.
    pub fn has_export(&self, name: &str) -> bool {
        self.exports.iter().any(|(n, _, _)| n == name)
    }
}

/// A function to append to a module.
pub struct ExtraFunc {
    /// Its parameters.
    pub params: Vec<ValType>,
    /// Its results.
    pub results: Vec<ValType>,
    /// Its body (locals and instructions, ending with `end`).
    pub body: Function,
    /// The export name, if exported.
    pub export: Option<String>,
}

/// Rank of a section in the binary order (custom sections aside).
fn rank(id: SectionId) -> u8 {
    match id {
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
        _ => 0,
    }
}

/// A reencoder that appends functions (with their types and exports) and
/// optionally replaces `i32.rem_s` by a call or masks conditions.
struct Appender<'a> {
    first_type: u32,
    first_func: u32,
    extras: &'a [ExtraFunc],
    rem_s_to_call: Option<u32>,
    /// A meaning-preserving rewrite of every function body.
    body_rewrite: Option<BodyRewrite>,
    /// The module's shape and the function index of the next body (for
    /// rewrites that add locals).
    info: Option<(&'a ModuleInfo, u32)>,
    done: [bool; 4],
    small_consts: Option<SmallConsts>,
    /// Whether the previous instruction read the fuel global (the constant
    /// after it is the fuel decrement, which must stay as it is).
    after_fuel_get: bool,
    /// Whether a function body is being reencoded.
    in_body: bool,
    /// Operand-shaping helpers to call before bulk instructions.
    shaping: Option<super::shape::Shaping>,
    /// For [`BodyRewrite::BlockParamsViaLocals`]: per function type with
    /// parameters and several results, the index of the `[] -> results`
    /// type appended after the module's own (and the extras') types.
    results_only: Vec<(u32, u32, Vec<ValType>)>,
}

/// Replacement of integer constants in code by small integers.
#[derive(Debug, Clone)]
pub struct SmallConsts {
    /// The random source of which constants and which values.
    pub rng: Rng,
    /// Each constant is replaced with probability `per_256 / 256`.
    pub per_256: u64,
    /// wasm-smith's fuel global, whose decrement constant is kept.
    pub fuel_global: Option<u32>,
}

const SECTIONS: [SectionId; 4] = [
    SectionId::Type,
    SectionId::Function,
    SectionId::Export,
    SectionId::Code,
];

impl Appender<'_> {
    fn add_types(&self, s: &mut TypeSection) {
        for f in self.extras {
            s.ty()
                .function(f.params.iter().copied(), f.results.iter().copied());
        }
        for (_, _, results) in &self.results_only {
            s.ty().function([], results.iter().copied());
        }
    }
    fn add_funcs(&self, s: &mut FunctionSection) {
        for i in 0..self.extras.len() as u32 {
            s.function(self.first_type + i);
        }
    }
    fn add_exports(&self, s: &mut ExportSection) {
        for (i, f) in self.extras.iter().enumerate() {
            if let Some(name) = &f.export {
                s.export(name, ExportKind::Func, self.first_func + i as u32);
            }
        }
    }
    fn add_code(&self, s: &mut CodeSection) {
        for f in self.extras {
            s.function(&f.body);
        }
    }
}

type ReError = reencode::Error<std::convert::Infallible>;

impl Reencode for Appender<'_> {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_type_section(self, types, section)?;
        self.add_types(types);
        self.done[0] = true;
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        funcs: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_function_section(self, funcs, section)?;
        self.add_funcs(funcs);
        self.done[1] = true;
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_exports(exports);
        self.done[2] = true;
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_code_section(self, code, section)?;
        self.add_code(code);
        self.done[3] = true;
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), ReError> {
        // Constants are only made small in function bodies, never in
        // constant expressions (the fuel global's initial value is one).
        self.in_body = true;
        let mut locals = Vec::new();
        for pair in func.get_locals_reader()? {
            let (n, t) = pair?;
            locals.push((n, self.val_type(t)?));
        }
        let mut reader = func.get_operators_reader()?;
        let mut body = Vec::new();
        while !reader.eof() {
            body.push(self.parse_instruction(&mut reader)?);
        }
        // The module's shape, this body's function index and its first
        // local past its own (parameters, then locals), for the rewrites
        // that add locals.
        let this = self.info.as_mut().map(|(info, func_index)| {
            let own = locals
                .iter()
                .fold(param_count(info, *func_index), |n, (k, _)| {
                    n.saturating_add(*k)
                });
            *func_index += 1;
            (*info, *func_index - 1, own)
        });
        // A local per operand (address or value) and type for the store
        // operands.
        let mut spill: Vec<((bool, ValType), u32)> = Vec::new();
        match (self.body_rewrite, this) {
            (Some(BodyRewrite::StoreOperandsViaLocals), Some((info, _, own))) => {
                for (addr, value) in body.iter().filter_map(|i| store_operands(i, info)) {
                    for key in [(false, addr), (true, value)] {
                        if !spill.iter().any(|(k, _)| *k == key) {
                            spill.push((key, own.saturating_add(spill.len() as u32)));
                        }
                    }
                }
                locals.extend(spill.iter().map(|((_, t), _)| (1, *t)));
            }
            (Some(BodyRewrite::BlockParamsViaLocals), Some((info, _, own))) => {
                let (rewritten, extra) = params_via_locals(&body, info, &self.results_only, own);
                body = rewritten;
                locals.extend(extra.into_iter().map(|t| (1, t)));
            }
            (Some(BodyRewrite::BrTableViaLocals), Some((info, func_index, own))) => {
                let (rewritten, extra) = br_table_via_locals(&body, info, func_index, own);
                body = rewritten;
                locals.extend(extra.into_iter().map(|t| (1, t)));
            }
            _ => {}
        }
        let mut f = Function::new(locals);
        if let Some(s) = &mut self.shaping {
            for insn in s.next_body(self.first_func) {
                f.instruction(&insn);
            }
        }
        let local_of = |key| spill.iter().find(|(k, _)| *k == key).map(|(_, i)| *i);
        let mut i = 0;
        while i < body.len() {
            let insn = &body[i];
            match (self.body_rewrite, insn, body.get(i + 1)) {
                // An `if` with no type and no instructions only pops its condition.
                (
                    Some(BodyRewrite::EmptyIfToDrop),
                    Instruction::If(wasm_encoder::BlockType::Empty),
                    Some(Instruction::End),
                ) => {
                    f.instruction(&Instruction::Drop);
                    i += 1;
                }
                // `a v` -> `set v; set a; get a; get v`: the same operands.
                (Some(BodyRewrite::StoreOperandsViaLocals), insn, _)
                    if let Some((addr, value)) =
                        self.info.and_then(|(info, _)| store_operands(insn, info))
                        && let (Some(a), Some(v)) =
                            (local_of((false, addr)), local_of((true, value))) =>
                {
                    f.instruction(&Instruction::LocalSet(v));
                    f.instruction(&Instruction::LocalSet(a));
                    f.instruction(&Instruction::LocalGet(a));
                    f.instruction(&Instruction::LocalGet(v));
                    f.instruction(insn);
                }
                // Operand shaping: the helper maps the operands in place.
                (_, insn, _)
                    if let Some(h) = self.shaping.as_ref().and_then(|s| s.helper(insn)) =>
                {
                    f.instruction(&Instruction::Call(self.first_func + h as u32));
                    f.instruction(insn);
                }
                (Some(BodyRewrite::DropSameTypeCalls), Instruction::Call(f), _)
                    if self.info.is_some_and(|(info, _)| same_type_func(info, *f)) => {}
                // 0 or 1 stays 0 or 1.
                (Some(BodyRewrite::MaskConditions), insn, _) if is_test(insn) => {
                    f.instruction(insn);
                    f.instruction(&Instruction::I32Const(1));
                    f.instruction(&Instruction::I32And);
                }
                _ => {
                    f.instruction(insn);
                }
            }
            i += 1;
        }
        code.function(&f);
        self.in_body = false;
        Ok(())
    }

    fn parse_data_section(
        &mut self,
        data: &mut wasm_encoder::DataSection,
        section: wasmparser::DataSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_data_section(self, data, section)?;
        if let Some(bytes) = self.shaping.as_ref().and_then(|s| s.extra_data.as_ref()) {
            data.passive(bytes.iter().copied());
        }
        Ok(())
    }

    fn data_count(&mut self, count: u32) -> Result<u32, ReError> {
        let extra = self
            .shaping
            .as_ref()
            .is_some_and(|s| s.extra_data.is_some());
        Ok(count + u32::from(extra))
    }

    fn parse_element_section(
        &mut self,
        elems: &mut wasm_encoder::ElementSection,
        section: wasmparser::ElementSectionReader<'_>,
    ) -> Result<(), ReError> {
        reencode::utils::parse_element_section(self, elems, section)?;
        if let Some(funcs) = self.shaping.as_ref().and_then(|s| s.extra_elems.as_ref()) {
            elems.passive(wasm_encoder::Elements::Functions(funcs.as_slice().into()));
        }
        Ok(())
    }

    fn parse_instruction<'a>(
        &mut self,
        reader: &mut wasmparser::OperatorsReader<'a>,
    ) -> Result<Instruction<'a>, ReError> {
        let insn = reencode::utils::parse_instruction(self, reader)?;
        let after_fuel_get = std::mem::replace(
            &mut self.after_fuel_get,
            matches!((&insn, &self.small_consts), (Instruction::GlobalGet(g), Some(c)) if c.fuel_global == Some(*g)),
        );
        if let Some(c) = &mut self.small_consts
            && self.in_body
            && !after_fuel_get
            && matches!(insn, Instruction::I32Const(_) | Instruction::I64Const(_))
            && c.rng.below(256) < c.per_256
        {
            let v = c.rng.below(17) as i64 - 8;
            return Ok(match insn {
                Instruction::I32Const(_) => Instruction::I32Const(v as i32),
                _ => Instruction::I64Const(v),
            });
        }
        Ok(match (insn, self.rem_s_to_call) {
            (Instruction::I32RemS, Some(f)) => Instruction::Call(f),
            (insn, _) => insn,
        })
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), ReError> {
        for (i, id) in SECTIONS.iter().enumerate() {
            if self.done[i] || before.is_some_and(|b| rank(b) <= rank(*id)) {
                continue;
            }
            self.done[i] = true;
            match id {
                SectionId::Type => {
                    let mut s = TypeSection::new();
                    self.add_types(&mut s);
                    module.section(&s);
                }
                SectionId::Function => {
                    let mut s = FunctionSection::new();
                    self.add_funcs(&mut s);
                    module.section(&s);
                }
                SectionId::Export => {
                    let mut s = ExportSection::new();
                    self.add_exports(&mut s);
                    module.section(&s);
                }
                _ => {
                    let mut s = CodeSection::new();
                    self.add_code(&mut s);
                    module.section(&s);
                }
            }
        }
        Ok(())
    }
}

/// Appends functions to a module; `rem_s_to_extra` replaces every `i32.rem_s`
/// in the module's own code by a call to that extra function (by position in
/// `extras`), for the deliberately faulty test engine.
pub fn append_funcs(
    wasm: &[u8],
    extras: &[ExtraFunc],
    rem_s_to_extra: Option<usize>,
) -> Result<Vec<u8>, String> {
    rewrite(wasm, extras, rem_s_to_extra, None, None)
}

/// [`append_funcs`], and replaces integer constants in code by small
/// integers as `small_consts` says.
pub fn rewrite(
    wasm: &[u8],
    extras: &[ExtraFunc],
    rem_s_to_extra: Option<usize>,
    small_consts: Option<SmallConsts>,
    shaping: Option<super::shape::Shaping>,
) -> Result<Vec<u8>, String> {
    let info = ModuleInfo::parse(wasm)?;
    let first_type = info.func_types.len() as u32;
    let first_func = info.funcs.len() as u32;
    let mut appender = Appender {
        first_type,
        first_func,
        extras,
        rem_s_to_call: rem_s_to_extra.map(|i| first_func + i as u32),
        body_rewrite: None,
        info: None,
        done: [false; 4],
        small_consts,
        after_fuel_get: false,
        in_body: false,
        shaping,
        results_only: Vec::new(),
    };
    let mut module = wasm_encoder::Module::new();
    appender
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| e.to_string())?;
    Ok(module.finish())
}

/// Adds the oracle's helper exports to a generated module: the fuel setter
/// (when `fuel_global` is given) and the memory peek (when memory 0 is a
/// 32-bit memory); `small_consts` also replaces some integer constants, and
/// `shape` adds operand shaping ([`super::shape`]), with bulk
/// instructions injected as its random source, if any, says (its flag: the
/// module may use reference types).
pub fn add_oracle_exports(
    wasm: &[u8],
    fuel_global: Option<u32>,
    small_consts: Option<SmallConsts>,
    shape: Option<(Option<Rng>, bool)>,
) -> Result<Vec<u8>, String> {
    let info = ModuleInfo::parse(wasm)?;
    let mut extras = Vec::new();
    if let Some(g) = fuel_global {
        let mut body = Function::new([]);
        body.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::GlobalSet(g))
            .instruction(&Instruction::End);
        extras.push(ExtraFunc {
            params: vec![ValType::I32],
            results: vec![],
            body,
            export: Some(unique_name(&info, FUEL_EXPORT)),
        });
    }
    if info.memories_64.first() == Some(&false) {
        let mut body = Function::new([]);
        body.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::I32Load8U(MemArg {
                offset: 0,
                align: 0,
                target: wasm_encoder::MemArgTarget::Memory(0),
                ordering: None,
            }))
            .instruction(&Instruction::End);
        extras.push(ExtraFunc {
            params: vec![ValType::I32],
            results: vec![ValType::I32],
            body,
            export: Some(unique_name(&info, PEEK_EXPORT)),
        });
    }
    let mut shaping = None;
    if let Some((mut inject, reftypes)) = shape
        && let Ok((helpers, s)) =
            super::shape::helpers(wasm, extras.len(), inject.as_mut(), reftypes)
    {
        extras.extend(helpers);
        shaping = Some(s);
    }
    if extras.is_empty() && small_consts.is_none() {
        return Ok(wasm.to_vec());
    }
    rewrite(wasm, &extras, None, small_consts, shaping)
}

/// `name`, or `name_N` if the module already exports `name`.
fn unique_name(info: &ModuleInfo, name: &str) -> String {
    let mut candidate = name.to_string();
    let mut n = 1;
    while info.has_export(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    candidate
}

/// Rewrites a module so that every `i32.rem_s` in its code returns one more
/// than it should when the divisor is 7: the deliberately faulty engine of
/// the oracle's self-test (see [`super::faulty`]).
pub fn fault_rem_s_by_7(wasm: &[u8]) -> Result<Vec<u8>, String> {
    // (func (param i32 i32) (result i32)
    //   local.get 0 local.get 1 i32.rem_s
    //   local.get 1 i32.const 7 i32.eq i32.add)
    let mut body = Function::new([]);
    for insn in [
        Instruction::LocalGet(0),
        Instruction::LocalGet(1),
        Instruction::I32RemS,
        Instruction::LocalGet(1),
        Instruction::I32Const(7),
        Instruction::I32Eq,
        Instruction::I32Add,
        Instruction::End,
    ] {
        body.instruction(&insn);
    }
    let extra = ExtraFunc {
        params: vec![ValType::I32, ValType::I32],
        results: vec![ValType::I32],
        body,
        export: None,
    };
    append_funcs(wasm, &[extra], Some(0))
}

/// A rewrite of function bodies that keeps their meaning (used to confirm a
/// known fault of an engine, see [`super::known`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRewrite {
    /// `i32.const 1; i32.and` after every test (`eqz`, comparisons,
    /// `ref.is_null`, `ref.eq`), so an engine can no longer fuse the test
    /// into the instruction consuming it.
    MaskConditions,
    /// Every `if` without type or instructions (`if end`) becomes `drop`.
    EmptyIfToDrop,
    /// Every `call` of a function whose results are its parameters'
    /// types is dropped (the stack keeps its shape): the reducer's first
    /// step, which removes operand shaping's helper calls.
    DropSameTypeCalls,
    /// The address and value of every store pass through fresh locals
    /// (`local.set v; local.set a; local.get a; local.get v` before it), so
    /// an engine sees two plain local reads as the store's operands.
    StoreOperandsViaLocals,
    /// Every `block` and `if` with parameters takes them through fresh
    /// locals instead (`local.set` before it, `local.get` at the start of
    /// each arm; an `if` without `else` gains one that passes them on), so
    /// no value below it is a block parameter's neighbour.
    BlockParamsViaLocals,
    /// Every `br_table` that carries values takes its index and values
    /// through fresh locals and becomes a `br_table` without values into
    /// one empty block per distinct target, after whose `end` a plain `br`
    /// carries the values on, so no engine copies values for a `br_table`.
    BrTableViaLocals,
}

/// Whether function `f`'s results have its parameters' types.
fn same_type_func(info: &ModuleInfo, f: u32) -> bool {
    let ty = info.funcs.get(f as usize).copied();
    matches!(
        ty.and_then(|t| info.func_types.get(t as usize)),
        Some(Some((p, r))) if p == r
    )
}

/// The address and value types of a store instruction (the address type
/// is its memory's index type); `None` for anything else.
fn store_operands(insn: &Instruction<'_>, info: &ModuleInfo) -> Option<(ValType, ValType)> {
    use Instruction as I;
    let (m, value) = match insn {
        I::I32Store(m) | I::I32Store8(m) | I::I32Store16(m) => (m, ValType::I32),
        I::I64Store(m) | I::I64Store8(m) | I::I64Store16(m) | I::I64Store32(m) => (m, ValType::I64),
        I::F32Store(m) => (m, ValType::F32),
        I::F64Store(m) => (m, ValType::F64),
        I::V128Store(m)
        | I::V128Store8Lane { memarg: m, .. }
        | I::V128Store16Lane { memarg: m, .. }
        | I::V128Store32Lane { memarg: m, .. }
        | I::V128Store64Lane { memarg: m, .. } => (m, ValType::V128),
        _ => return None,
    };
    let wasm_encoder::MemArgTarget::Memory(index) = m.target else {
        return None;
    };
    let memory64 = *info.memories_64.get(index as usize)?;
    Some((if memory64 { ValType::I64 } else { ValType::I32 }, value))
}

/// The number of parameters of a function (0 for an index out of range).
fn param_count(info: &ModuleInfo, func_index: u32) -> u32 {
    info.funcs
        .get(func_index as usize)
        .and_then(|t| info.func_types.get(*t as usize)?.as_ref())
        .map_or(0, |(params, _)| params.len() as u32)
}

/// Whether an instruction is a test: its result is an `i32` that is 0 or 1.
fn is_test(insn: &Instruction<'_>) -> bool {
    use Instruction as I;
    matches!(
        insn,
        I::I32Eqz
            | I::I32Eq
            | I::I32Ne
            | I::I32LtS
            | I::I32LtU
            | I::I32GtS
            | I::I32GtU
            | I::I32LeS
            | I::I32LeU
            | I::I32GeS
            | I::I32GeU
            | I::I64Eqz
            | I::I64Eq
            | I::I64Ne
            | I::I64LtS
            | I::I64LtU
            | I::I64GtS
            | I::I64GtU
            | I::I64LeS
            | I::I64LeU
            | I::I64GeS
            | I::I64GeU
            | I::F32Eq
            | I::F32Ne
            | I::F32Lt
            | I::F32Gt
            | I::F32Le
            | I::F32Ge
            | I::F64Eq
            | I::F64Ne
            | I::F64Lt
            | I::F64Gt
            | I::F64Le
            | I::F64Ge
            | I::RefIsNull
            | I::RefEq
    )
}

/// The encoder's type of a parameter type the oracle knows by name
/// (`None` for other references, which may not be defaultable).
fn encoder_type(t: ParamType) -> Option<ValType> {
    Some(match t {
        ParamType::I32 => ValType::I32,
        ParamType::I64 => ValType::I64,
        ParamType::F32 => ValType::F32,
        ParamType::F64 => ValType::F64,
        ParamType::V128 => ValType::V128,
        ParamType::FuncRef => ValType::FUNCREF,
        ParamType::ExternRef => ValType::EXTERNREF,
        ParamType::OtherRef => return None,
    })
}

/// For [`BodyRewrite::BlockParamsViaLocals`]: each function type with
/// parameters and several results, with the index its `[] -> results`
/// type gets when appended after the module's types.
fn results_only_types(info: &ModuleInfo) -> Vec<(u32, u32, Vec<ValType>)> {
    let mut out = Vec::new();
    for (t, ty) in info.func_types.iter().enumerate() {
        if let Some((params, results)) = ty
            && !params.is_empty()
            && results.len() > 1
            && let Some(results) = results.iter().map(|r| encoder_type(*r)).collect()
        {
            let index = info.func_types.len() + out.len();
            out.push((t as u32, index as u32, results));
        }
    }
    out
}

/// [`BodyRewrite::BlockParamsViaLocals`] on one body whose locals start at
/// `first_local`: the new body and the locals it adds. A block whose
/// parameter or result types are not all nameable stays as it is.
fn params_via_locals<'a>(
    body: &[Instruction<'a>],
    info: &ModuleInfo,
    results_only: &[(u32, u32, Vec<ValType>)],
    first_local: u32,
) -> (Vec<Instruction<'a>>, Vec<ValType>) {
    use wasm_encoder::BlockType as B;
    let mut out = Vec::with_capacity(body.len());
    let mut extra: Vec<ValType> = Vec::new();
    // Per open construct: the locals holding an `if`'s parameters and
    // whether its `else` was seen (`None` for anything else).
    let mut open: Vec<Option<(Vec<u32>, bool)>> = Vec::new();
    let gets = |out: &mut Vec<Instruction<'a>>, locals: &[u32]| {
        out.extend(locals.iter().map(|l| Instruction::LocalGet(*l)));
    };
    for insn in body {
        let rewritable = match insn {
            Instruction::Block(B::FunctionType(t)) | Instruction::If(B::FunctionType(t)) => {
                info.func_types.get(*t as usize).and_then(|ty| {
                    let (params, results) = ty.as_ref()?;
                    let params: Vec<ValType> = params
                        .iter()
                        .map(|p| encoder_type(*p))
                        .collect::<Option<_>>()?;
                    let bt = match results.as_slice() {
                        [] => B::Empty,
                        [r] => B::Result(encoder_type(*r)?),
                        _ => B::FunctionType(results_only.iter().find(|(orig, ..)| orig == t)?.1),
                    };
                    (!params.is_empty()).then_some((params, bt))
                })
            }
            _ => None,
        };
        match insn {
            Instruction::Block(_) | Instruction::If(_) if let Some((params, bt)) = rewritable => {
                let is_if = matches!(insn, Instruction::If(_));
                let mut fresh = |t: ValType| {
                    extra.push(t);
                    first_local.saturating_add(extra.len() as u32 - 1)
                };
                let locals: Vec<u32> = params.iter().map(|t| fresh(*t)).collect();
                let cond = is_if.then(|| fresh(ValType::I32));
                if let Some(c) = cond {
                    out.push(Instruction::LocalSet(c));
                }
                out.extend(locals.iter().rev().map(|l| Instruction::LocalSet(*l)));
                if let Some(c) = cond {
                    out.push(Instruction::LocalGet(c));
                    out.push(Instruction::If(bt));
                    open.push(Some((locals.clone(), false)));
                } else {
                    out.push(Instruction::Block(bt));
                    open.push(None);
                }
                gets(&mut out, &locals);
            }
            Instruction::Block(_)
            | Instruction::If(_)
            | Instruction::Loop(_)
            | Instruction::Try(_)
            | Instruction::TryTable(..) => {
                out.push(insn.clone());
                open.push(None);
            }
            Instruction::Else => {
                out.push(Instruction::Else);
                if let Some(Some((locals, seen))) = open.last_mut() {
                    *seen = true;
                    gets(&mut out, locals);
                }
            }
            // An `if` without `else` passes its parameters on as results.
            Instruction::End | Instruction::Delegate(_) => {
                if let Some(Some((locals, false))) = open.pop() {
                    out.push(Instruction::Else);
                    gets(&mut out, &locals);
                }
                out.push(insn.clone());
            }
            _ => out.push(insn.clone()),
        }
    }
    (out, extra)
}

/// The encoder types of a list of types the oracle knows by name (`None`
/// if one is not nameable).
fn encoder_types(types: &[ParamType]) -> Option<Vec<ValType>> {
    types.iter().map(|t| encoder_type(*t)).collect()
}

/// The types a branch to a label of `bt` carries (a loop's parameters,
/// another construct's results); `None` if one is not nameable.
fn label_types(
    info: &ModuleInfo,
    bt: &wasm_encoder::BlockType,
    is_loop: bool,
) -> Option<Vec<ValType>> {
    use wasm_encoder::BlockType as B;
    match bt {
        B::Empty => Some(Vec::new()),
        B::Result(t) => Some(if is_loop { Vec::new() } else { vec![*t] }),
        B::FunctionType(t) => {
            let (params, results) = info.func_types.get(*t as usize)?.as_ref()?;
            encoder_types(if is_loop { params } else { results })
        }
    }
}

/// [`BodyRewrite::BrTableViaLocals`] on the body of function `func_index`
/// whose locals start at `first_local`: the new body and the locals it
/// adds. A `br_table` whose values are not all nameable stays as it is.
fn br_table_via_locals<'a>(
    body: &[Instruction<'a>],
    info: &ModuleInfo,
    func_index: u32,
    first_local: u32,
) -> (Vec<Instruction<'a>>, Vec<ValType>) {
    let mut out = Vec::with_capacity(body.len());
    let mut extra: Vec<ValType> = Vec::new();
    // The types each open label carries, innermost last; the function's
    // own label (its results) at the bottom.
    let results = info
        .funcs
        .get(func_index as usize)
        .and_then(|t| info.func_types.get(*t as usize)?.as_ref())
        .and_then(|(_, r)| encoder_types(r));
    let mut labels: Vec<Option<Vec<ValType>>> = vec![results];
    for insn in body {
        match insn {
            Instruction::Block(bt) | Instruction::If(bt) | Instruction::Try(bt) => {
                labels.push(label_types(info, bt, false));
            }
            Instruction::TryTable(bt, _) => labels.push(label_types(info, bt, false)),
            Instruction::Loop(bt) => labels.push(label_types(info, bt, true)),
            Instruction::End | Instruction::Delegate(_) => {
                labels.pop();
            }
            _ => {}
        }
        let Instruction::BrTable(targets, default) = insn else {
            out.push(insn.clone());
            continue;
        };
        let types = labels
            .len()
            .checked_sub(1 + *default as usize)
            .and_then(|i| labels[i].clone());
        let Some(types) = types.filter(|t| !t.is_empty()) else {
            out.push(insn.clone());
            continue;
        };
        // The index, then the values (top first), into fresh locals.
        let mut fresh = |t: ValType| {
            extra.push(t);
            first_local.saturating_add(extra.len() as u32 - 1)
        };
        let index = fresh(ValType::I32);
        let values: Vec<u32> = types.iter().map(|t| fresh(*t)).collect();
        out.push(Instruction::LocalSet(index));
        out.extend(values.iter().rev().map(|l| Instruction::LocalSet(*l)));
        // One empty block per distinct target (the first target innermost).
        let mut distinct: Vec<u32> = Vec::new();
        for l in targets.iter().chain([default]) {
            if !distinct.contains(l) {
                distinct.push(*l);
            }
        }
        let m = distinct.len() as u32;
        let position = |l: &u32| distinct.iter().position(|d| d == l).unwrap_or(0) as u32;
        out.extend((0..m).map(|_| Instruction::Block(wasm_encoder::BlockType::Empty)));
        out.push(Instruction::LocalGet(index));
        out.push(Instruction::BrTable(
            targets.iter().map(position).collect::<Vec<_>>().into(),
            position(default),
        ));
        // After the `end` of block j, m - 1 - j of the new blocks are open.
        for (j, l) in distinct.iter().enumerate() {
            out.push(Instruction::End);
            out.extend(values.iter().map(|v| Instruction::LocalGet(*v)));
            out.push(Instruction::Br(l.saturating_add(m - 1 - j as u32)));
        }
    }
    (out, extra)
}

/// Applies a [`BodyRewrite`] to every function body of a module.
pub fn rewrite_bodies(wasm: &[u8], rewrite: BodyRewrite) -> Result<Vec<u8>, String> {
    let info = ModuleInfo::parse(wasm)?;
    let mut appender = Appender {
        first_type: info.func_types.len() as u32,
        first_func: info.funcs.len() as u32,
        extras: &[],
        rem_s_to_call: None,
        body_rewrite: Some(rewrite),
        info: Some((&info, info.imported_funcs)),
        done: [true; 4],
        small_consts: None,
        after_fuel_get: false,
        in_body: false,
        shaping: None,
        results_only: if rewrite == BodyRewrite::BlockParamsViaLocals {
            results_only_types(&info)
        } else {
            Vec::new()
        },
    };
    let mut module = wasm_encoder::Module::new();
    appender
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| e.to_string())?;
    Ok(module.finish())
}

/// Number of instructions in all function bodies (each `end` included).
pub fn count_instructions(wasm: &[u8]) -> Result<usize, String> {
    let mut n = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.map_err(|e| e.to_string())? {
            let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
            while !ops.eof() {
                ops.read().map_err(|e| e.to_string())?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// A plain round trip through the reencoder (for tests).
#[cfg(test)]
pub fn roundtrip(wasm: &[u8]) -> Vec<u8> {
    use wasm_encoder::reencode::RoundtripReencoder;
    let mut module = wasm_encoder::Module::new();
    RoundtripReencoder
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .unwrap();
    module.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (module (memory 1) (global (mut i32) (i32.const 0))
    ///   (func (export "f") (param i32 i32) (result i32)
    ///     local.get 0 local.get 1 i32.rem_s))
    fn sample() -> Vec<u8> {
        let mut m = wasm_encoder::Module::new();
        let mut types = TypeSection::new();
        types
            .ty()
            .function([ValType::I32, ValType::I32], [ValType::I32]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut mems = wasm_encoder::MemorySection::new();
        mems.memory(wasm_encoder::MemoryType {
            minimum: 1,
            maximum: Some(1),
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mems);
        let mut globals = wasm_encoder::GlobalSection::new();
        globals.global(
            wasm_encoder::GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &wasm_encoder::ConstExpr::i32_const(0),
        );
        m.section(&globals);
        let mut exports = ExportSection::new();
        exports.export("f", ExportKind::Func, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::LocalGet(1))
            .instruction(&Instruction::I32RemS)
            .instruction(&Instruction::End);
        code.function(&f);
        m.section(&code);
        m.finish()
    }

    #[test]
    fn helpers_are_appended_and_valid() {
        let wasm = add_oracle_exports(&sample(), Some(0), None, None).unwrap();
        wasmparser::Validator::new().validate_all(&wasm).unwrap();
        let info = ModuleInfo::parse(&wasm).unwrap();
        let names: Vec<String> = info.exported_funcs().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["f", FUEL_EXPORT, PEEK_EXPORT]);
        assert_eq!(count_instructions(&wasm).unwrap(), 4 + 3 + 3);
    }

    #[test]
    fn helpers_go_into_an_empty_module() {
        let empty = wasm_encoder::Module::new().finish();
        let wasm = add_oracle_exports(&empty, None, None, None).unwrap();
        assert_eq!(wasm, empty);
        let extra = ExtraFunc {
            params: vec![],
            results: vec![],
            body: {
                let mut f = Function::new([]);
                f.instruction(&Instruction::End);
                f
            },
            export: Some("x".into()),
        };
        let wasm = append_funcs(&empty, &[extra], None).unwrap();
        wasmparser::Validator::new().validate_all(&wasm).unwrap();
        assert!(ModuleInfo::parse(&wasm).unwrap().has_export("x"));
    }

    #[test]
    fn faulty_rewrite_calls_the_helper() {
        let wasm = fault_rem_s_by_7(&sample()).unwrap();
        wasmparser::Validator::new().validate_all(&wasm).unwrap();
        let text = wasmprinter::print_bytes(&wasm).unwrap();
        assert!(text.contains("call 1"), "{text}");
        assert_eq!(roundtrip(&sample()), sample());
    }

    #[test]
    fn store_operands_go_through_fresh_locals_of_the_right_types() {
        // An imported function shifts the function indices; `g` has a
        // parameter and a local of its own, stores to a 32-bit and a 64-bit
        // memory, of i32, f64 and v128 values.
        let wat = r#"(module
          (import "m" "h" (func (param f32)))
          (memory 1) (memory i64 1)
          (func (export "g") (param i32) (local f32)
            local.get 0 i32.const 7 i32.store
            i64.const 8 f64.const 2.5 f64.store 1
            i32.const 16 v128.const i64x2 1 2 v128.store8_lane 0 1
            i32.const 24 local.get 0 i32.store16))"#;
        let wasm = crate::oracle::case::assemble(wat).unwrap();
        let out = rewrite_bodies(&wasm, BodyRewrite::StoreOperandsViaLocals).unwrap();
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let text = wasmprinter::print_bytes(&out).unwrap();
        // Locals 0 and 1 are the function's own; 2.. are added, one per
        // operand and type: address i32, value i32, address i64, value f64,
        // value v128.
        assert!(text.contains("(local f32 i32 i32 i64 f64 v128)"), "{text}");
        for spill in [
            "local.set 3\n    local.set 2\n    local.get 2\n    local.get 3\n    i32.store\n",
            "local.set 5\n    local.set 4\n    local.get 4\n    local.get 5\n    f64.store 1",
            "local.set 6\n    local.set 2\n    local.get 2\n    local.get 6\n    v128.store8_lane",
            "local.set 3\n    local.set 2\n    local.get 2\n    local.get 3\n    i32.store16",
        ] {
            assert!(text.contains(spill), "{spill:?} not in {text}");
        }
    }

    /// Each export's outcome on the reference VM (one round), by name.
    fn outcomes(wasm: &[u8]) -> Vec<(String, String)> {
        let case = super::super::generate::Case {
            wasm: wasm.to_vec(),
            plan_seed: 1,
            rounds: 1,
            fuel: 100,
            config: String::new(),
        };
        let run = super::super::run_case(&case, &["reference-vm"]).unwrap();
        run.calls
            .iter()
            .map(|c| (c.export.clone(), c.outcomes[0].to_string()))
            .collect()
    }

    #[test]
    fn block_params_go_through_fresh_locals_and_keep_the_meaning() {
        // An `if` with two parameters and two results and no `else`, a
        // `block` with a parameter nested in its `then` arm, a `loop` with a
        // parameter (left alone: branches to it carry its parameters); the
        // condition is a global, so both exports run both paths.
        let wat = r#"(module
          (type $pp (func (param i32 i64) (result i32 i64)))
          (global $c (mut i32) (i32.const 0))
          (func $f (result i32 i64) (local f64)
            i32.const 5 i64.const 6 global.get $c
            if (type $pp)
              block (param i64) (result i64)
                i64.const 10 i64.mul
              end
            end
            i32.const 0
            loop (param i32) (result i32) end
            drop)
          (func (export "else") (result i32 i64) call $f)
          (func (export "then") (result i32 i64) i32.const 1 global.set $c call $f))"#;
        let wasm = crate::oracle::case::assemble(wat).unwrap();
        let out = rewrite_bodies(&wasm, BodyRewrite::BlockParamsViaLocals).unwrap();
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let text = wasmprinter::print_bytes(&out).unwrap();
        // Local 0 is the function's own; then the `if`'s two parameters
        // and condition, then the block's parameter.
        assert!(text.contains("(local f64 i32 i64 i32 i64)"), "{text}");
        for shape in [
            "local.set 3\n    local.set 2\n    local.set 1\n    local.get 3\n    if (type 4) (result i32 i64)",
            "local.set 4\n      block (result i64)",
            "local.get 4\n        i64.const 10",
            "else\n      local.get 1\n      local.get 2\n    end",
            "loop (type 3) (param i32) (result i32)",
        ] {
            assert!(text.contains(shape), "{shape:?} not in {text}");
        }
        // The same results on both paths: (5, 60) and (5, 6).
        let before = outcomes(&wasm);
        assert!(
            before.iter().any(|(_, o)| o.contains("i64:60")) && before.len() == 2,
            "{before:?}"
        );
        assert_eq!(before, outcomes(&out));
    }

    #[test]
    fn br_table_values_go_through_fresh_locals_and_keep_the_meaning() {
        // A `br_table` carrying two values over an f32 to a block, a loop's
        // outer block and the function (duplicate targets share one block);
        // one carrying nothing stays as it is.
        let wat = r#"(module
          (func $f (param i32) (result i64 i64)
            block (result i64 i64)
              block (result i64 i64)
                f32.const 1 i64.const 5 i64.const 7 local.get 0
                br_table 0 1 2 0
              end
              i64.const 100 i64.add
              block local.get 0 br_table 0 0 end
            end
            i64.const 1000 i64.add)
          (func (export "0") (result i64 i64) i32.const 0 call $f)
          (func (export "1") (result i64 i64) i32.const 1 call $f)
          (func (export "2") (result i64 i64) i32.const 2 call $f)
          (func (export "9") (result i64 i64) i32.const 9 call $f))"#;
        let wasm = crate::oracle::case::assemble(wat).unwrap();
        let out = rewrite_bodies(&wasm, BodyRewrite::BrTableViaLocals).unwrap();
        wasmparser::Validator::new().validate_all(&out).unwrap();
        let text = wasmprinter::print_bytes(&out).unwrap();
        // The index and the two values, then three empty blocks (targets
        // 0, 1, 2) and a plain `br` per target, 2 + 2 deeper than the label.
        for shape in [
            "(local i32 i64 i64)",
            "local.set 1\n        local.set 3\n        local.set 2\n        block ;; label = @3\n          block ;; label = @4\n            block ;; label = @5\n              local.get 1\n              br_table 0 (;@5;) 1 (;@4;) 2 (;@3;) 0 (;@5;)",
            "end\n            local.get 2\n            local.get 3\n            br 2 (;@2;)",
            "end\n          local.get 2\n          local.get 3\n          br 2 (;@1;)",
            "end\n        local.get 2\n        local.get 3\n        br 2\n",
            "local.get 0\n        br_table 0 (;@2;) 0 (;@2;)",
        ] {
            assert!(text.contains(shape), "{shape:?} not in {text}");
        }
        let before = outcomes(&wasm);
        assert_eq!(before.len(), 4, "{before:?}");
        assert!(before[0].1.contains("i64:5, i64:1107"), "{before:?}");
        assert!(before[1].1.contains("i64:5, i64:1007"), "{before:?}");
        assert!(before[2].1.contains("i64:5, i64:7]"), "{before:?}");
        assert_eq!(before, outcomes(&out));
    }
}
