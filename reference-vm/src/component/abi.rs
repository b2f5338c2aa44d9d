//! The Canonical ABI, synchronous part (CanonicalABI.md). (Being written:
//! this placeholder carries the interface exec.rs is written against.)

use super::types::{FuncType, ResourceType, ValType, Value};
use crate::exec::Val;
use std::fmt;

/// MAX_FLAT_PARAMS
pub const MAX_FLAT_PARAMS: usize = 16;
/// MAX_FLAT_RESULTS
pub const MAX_FLAT_RESULTS: usize = 1;

/// The `string-encoding` option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StringEncoding {
    /// utf8
    #[default]
    Utf8,
    /// utf16
    Utf16,
    /// latin1+utf16
    Latin1Utf16,
}

/// Lift or lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// lift
    Lift,
    /// lower
    Lower,
}

/// ABI traps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    /// From the context.
    Core(crate::exec::Trap),
    /// Not there yet.
    Todo,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Core(t) => t.fmt(f),
            Trap::Todo => f.write_str("canonical ABI not implemented"),
        }
    }
}

/// What lifting and lowering see.
pub trait Context {
    /// The string encoding.
    fn encoding(&self) -> StringEncoding;
    /// Memory size.
    fn memory_len(&self) -> usize;
    /// Reads memory.
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Trap>;
    /// Writes memory.
    fn write(&mut self, addr: usize, bytes: &[u8]) -> Result<(), Trap>;
    /// realloc.
    fn realloc(&mut self, old: u32, old_size: u32, align: u32, new_size: u32) -> Result<u32, Trap>;
    /// lift_own.
    fn lift_own(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap>;
    /// lift_borrow.
    fn lift_borrow(&mut self, rt: ResourceType, i: u32) -> Result<u32, Trap>;
    /// lower_own.
    fn lower_own(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap>;
    /// lower_borrow.
    fn lower_borrow(&mut self, rt: ResourceType, rep: u32) -> Result<u32, Trap>;
}

/// flatten_functype
pub fn flatten_functype(ft: &FuncType, d: Direction) -> crate::syntax::FuncType {
    let _ = (ft, d);
    crate::syntax::FuncType::new(vec![], vec![])
}

/// lift_flat_values
pub fn lift_flat_values(
    cx: &mut dyn Context,
    max_flat: usize,
    vi: &[Val],
    ts: &[ValType],
) -> Result<Vec<Value>, Trap> {
    let _ = (cx, max_flat, vi, ts);
    Err(Trap::Todo)
}

/// lower_flat_values
pub fn lower_flat_values(
    cx: &mut dyn Context,
    max_flat: usize,
    vs: &[Value],
    ts: &[ValType],
    out_param: Option<&[Val]>,
) -> Result<Vec<Val>, Trap> {
    let _ = (cx, max_flat, vs, ts, out_param);
    Err(Trap::Todo)
}
