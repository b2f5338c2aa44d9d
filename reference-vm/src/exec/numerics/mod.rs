//! Numerics (spec: Execution › Numerics): the pure operators on scalar floats
//! and on 128-bit vectors that the interpreter calls.

pub mod float;
pub mod relaxed;
pub mod v128;
