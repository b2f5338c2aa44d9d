//! Validation of components (Explainer.md; Binary.md's validation notes).
//! (Being written.)

use std::fmt;

use super::syntax::Component;
use crate::Features;

/// An invalid component. `Display` is the reference tests' message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError(pub String);

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValidationError {}

/// Validates a component; nested core modules are validated under
/// `features` and their [`super::syntax::CoreModule::valid`] is filled.
pub fn validate_component(c: &Component, features: &Features) -> Result<(), ValidationError> {
    let _ = (c, features);
    Err(ValidationError(
        "component validation is not implemented yet".into(),
    ))
}
