//! The wasm-conform results model (schema `wasm-conform-results/1`, see
//! DESIGN.md "Results JSON") and the renderers built on it.
//!
//! Every run (`spec`, `wasi`, `sandbox`, `fuzz`) produces one [`ResultsDoc`];
//! everything a user reads is rendered from it.

mod model;
pub mod summary;
mod writer;

pub use model::*;
pub use writer::{IncrementalWriter, write_atomic};
