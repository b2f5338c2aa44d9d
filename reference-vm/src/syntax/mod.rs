//! Structure (spec chapter 2): types, instructions, modules.

pub mod instructions;
pub mod module;
pub mod types;

pub use instructions::*;
pub use module::*;
pub use types::*;
