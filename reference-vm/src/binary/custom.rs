//! Custom sections this crate understands (spec: Appendix › Custom Sections):
//! the name section and the branch hints of `metadata.code.branch_hint`.
//!
//! Errors in custom sections never make a module malformed or invalid; they
//! are reported apart, as [`CustomError`], with the reference interpreter's
//! messages, so a runner can judge `assert_malformed_custom` and
//! `assert_invalid_custom`.

use std::collections::BTreeMap;
use std::fmt;

use super::reader::Reader;
use crate::syntax::{Module, Opcode};

/// A malformed or invalid custom section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomError {
    /// The section does not decode.
    Malformed(String),
    /// The section decodes but does not fit the module.
    Invalid(String),
}

impl fmt::Display for CustomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomError::Malformed(m) | CustomError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CustomError {}

/// The contents of a name section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The module's name (subsection 0).
    pub module: Option<String>,
    /// Function names by function index (subsection 1).
    pub funcs: BTreeMap<u32, String>,
    /// Local names by function index, then local index (subsection 2).
    pub locals: BTreeMap<u32, BTreeMap<u32, String>>,
}

/// A branch hint: the function, the hinted instruction (an index into the
/// function's body) and whether the branch is likely taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchHint {
    /// Function index.
    pub func: u32,
    /// Index of the `if` or `br_if` in the function's body.
    pub instr: usize,
    /// `true` for likely (1), `false` for unlikely (0).
    pub likely: bool,
}

/// What the known custom sections of a module say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomSections {
    /// The (last) name section.
    pub names: Names,
    /// All branch hints, in section order.
    pub branch_hints: Vec<BranchHint>,
}

/// The section name of branch hints.
pub const BRANCH_HINT_SECTION: &str = "metadata.code.branch_hint";

fn name_eos(_: super::DecodeError) -> CustomError {
    CustomError::Malformed("unexpected end of name section".into())
}

/// custom: name section — module, function and local names; other
/// subsections are skipped by their size.
pub fn decode_names(data: &[u8]) -> Result<Names, CustomError> {
    let mut r = Reader::new(data);
    let mut names = Names::default();
    let mut last_id: Option<u8> = None;
    let bad = |m: &str| CustomError::Malformed(format!("malformed name section: {m}"));
    let namemap = |r: &mut Reader<'_>| -> Result<BTreeMap<u32, String>, CustomError> {
        let n = r.len32().map_err(name_eos)?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let idx = r.u32().map_err(name_eos)?;
            let name = r.name().map_err(name_eos)?;
            m.insert(idx, name);
        }
        Ok(m)
    };
    while !r.at_end() {
        let id = r.byte().map_err(name_eos)?;
        // custom: subsections appear at most once, in increasing order.
        if last_id.is_some_and(|l| id <= l) {
            return Err(bad("subsections out of order"));
        }
        last_id = Some(id);
        let size = r.section_len().map_err(name_eos)?;
        let start = r.pos();
        match id {
            0 => names.module = Some(r.name().map_err(name_eos)?),
            1 => names.funcs = namemap(&mut r)?,
            2 => {
                let n = r.len32().map_err(name_eos)?;
                for _ in 0..n {
                    let f = r.u32().map_err(name_eos)?;
                    names.locals.insert(f, namemap(&mut r)?);
                }
            }
            _ => r.advance(size),
        }
        if r.pos() != start + size {
            return Err(bad("subsection size mismatch"));
        }
    }
    Ok(names)
}

fn hint_err(m: &str) -> CustomError {
    CustomError::Malformed(format!("{BRANCH_HINT_SECTION} section: {m}"))
}

/// custom: metadata.code.branch_hint — decodes the hints of a module's
/// section. A hint names the first instruction at or after its byte offset.
pub fn decode_branch_hints(m: &Module, data: &[u8]) -> Result<Vec<BranchHint>, CustomError> {
    let eos = |_| CustomError::Malformed("unexpected end of name section".into());
    let mut r = Reader::new(data);
    let nimports = m.num_imported_funcs() as u64;
    let mut out = Vec::new();
    let nfuncs = r.len32().map_err(eos)?;
    for _ in 0..nfuncs {
        let fidx = r.u32().map_err(eos)?;
        let func = u64::from(fidx)
            .checked_sub(nimports)
            .and_then(|i| m.funcs.get(i as usize))
            .ok_or_else(|| hint_err("invalid function index"))?;
        let n = r.len32().map_err(eos)?;
        for _ in 0..n {
            let off = r.u32().map_err(eos)?;
            if r.u32().map_err(eos)? != 1 {
                return Err(hint_err("missing reserved byte"));
            }
            let likely = match r.byte().map_err(eos)? {
                0 => false,
                1 => true,
                _ => return Err(hint_err("invalid hint value")),
            };
            let instr = func
                .body
                .iter()
                .zip(&func.offsets)
                .position(|(i, &o)| o >= off && !matches!(i.op, Opcode::End | Opcode::Else))
                .ok_or_else(|| hint_err("invalid offset"))?;
            out.push(BranchHint {
                func: fidx,
                instr,
                likely,
            });
        }
    }
    Ok(out)
}

/// custom: metadata.code.branch_hint — each hint targets an `if` or `br_if`,
/// in increasing order within a function.
pub fn validate_branch_hints(m: &Module, hints: &[BranchHint]) -> Result<(), CustomError> {
    let invalid =
        |msg: &str| CustomError::Invalid(format!("@{BRANCH_HINT_SECTION} annotation: {msg}"));
    let nimports = m.num_imported_funcs();
    let mut prev: Option<(u32, usize)> = None;
    for h in hints {
        let op = (h.func as usize)
            .checked_sub(nimports)
            .and_then(|i| m.funcs.get(i))
            .and_then(|f| f.body.get(h.instr))
            .map(|i| i.op);
        if !matches!(op, Some(Opcode::If | Opcode::BrIf)) {
            return Err(invalid("invalid target"));
        }
        if let Some((f, i)) = prev
            && f == h.func
            && i >= h.instr
        {
            return Err(invalid("invalid order"));
        }
        prev = Some((h.func, h.instr));
    }
    Ok(())
}

/// Decodes and checks every custom section this crate knows.
pub fn check_custom_sections(m: &Module) -> Result<CustomSections, CustomError> {
    let mut out = CustomSections::default();
    for c in &m.customs {
        match c.name.as_str() {
            "name" => out.names = decode_names(&c.data)?,
            BRANCH_HINT_SECTION => {
                let hints = decode_branch_hints(m, &c.data)?;
                validate_branch_hints(m, &hints)?;
                out.branch_hints.extend(hints);
            }
            _ => {}
        }
    }
    Ok(out)
}

impl Module {
    /// The names of the module's (last well-formed) name section, or none.
    pub fn names(&self) -> Names {
        self.customs
            .iter()
            .rev()
            .filter(|c| c.name == "name")
            .find_map(|c| decode_names(&c.data).ok())
            .unwrap_or_default()
    }
}
