//! Binary format of components (Binary.md). (Being written.)

use std::fmt;

use super::syntax::Component;
use crate::Features;

/// A malformed component. `Display` is the reference tests' message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Binary: component — decodes a component binary (core modules inside
/// it with the core decoder under `features`).
pub fn decode_component(bytes: &[u8], features: &Features) -> Result<Component, DecodeError> {
    let _ = (bytes, features);
    Err(DecodeError(
        "component decoding is not implemented yet".into(),
    ))
}
