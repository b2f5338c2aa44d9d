//! The component model (`../shared/component-model/design/mvp/`): a layer
//! on top of the core VM, shaped like the specification's documents. The
//! core VM ([`crate::syntax`], [`crate::binary`], [`crate::valid`],
//! [`crate::exec`]) never imports it.
//!
//! The pipeline is [`decode_component`] → [`validate_component`] →
//! [`Runtime::instantiate`] → [`Runtime::invoke`].
//!
//! - [`syntax`] — the abstract syntax (Explainer.md, Binary.md)
//! - [`binary`] — decoding of every component section (Binary.md)
//! - [`valid`] — validation (Explainer.md, Binary.md's validation notes)
//! - [`types`] — resolved types and component values
//! - [`abi`] — the Canonical ABI's flattening, lifting and lowering (CanonicalABI.md)
//! - [`exec`] — instantiation, linking, `canon` definitions, resources

pub mod abi;
pub mod binary;
pub mod exec;
pub mod syntax;
pub mod types;
pub mod valid;

pub use binary::{DecodeError, decode_component};
pub use exec::{Error, HostCx, Runtime, Trap};
pub use types::{FuncType, ResourceType, ValType, Value};
pub use valid::{ValidationError, validate_component};

/// Binary: preamble — whether `bytes` start like a component (magic, then
/// version `0x0d 0x00` or any other, then layer `0x01 0x00`), not a core
/// module (layer `0x00 0x00`).
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}
