//! The wasm-conform results model (schema `wasm-conform-results/1`, see
//! DESIGN.md "Results JSON") and the renderers built on it.
//!
//! Every run (`spec`, `wasi`, `sandbox`, `fuzz`) produces one [`ResultsDoc`];
//! everything a user reads is rendered from it.

pub mod diff;
pub mod features;
pub mod history;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod matrix;
mod model;
pub mod proposals;
pub mod render;
pub mod runtimes;
pub mod summary;
mod writer;

pub use model::*;
pub use writer::{IncrementalWriter, write_atomic};
