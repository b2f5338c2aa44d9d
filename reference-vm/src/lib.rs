//! The reference interpreter of wasm-conform.
