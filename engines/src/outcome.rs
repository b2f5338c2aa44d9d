//! What an engine answers: outcomes of calls, traps, and module errors.

use crate::value::{Value, fmt_values};
use std::fmt;

/// The normalised set of trap kinds every adapter maps its engine's traps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// `unreachable` executed.
    Unreachable,
    /// Linear memory access out of bounds.
    MemoryOutOfBounds,
    /// Table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` index beyond the table.
    UndefinedElement,
    /// `call_indirect` on a null entry.
    UninitializedElement,
    /// `call_indirect` signature mismatch.
    IndirectCallTypeMismatch,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Integer overflow (division, truncation).
    IntegerOverflow,
    /// Float-to-int conversion of NaN.
    InvalidConversionToInteger,
    /// Operation on a null reference.
    NullReference,
    /// `ref.cast` (or a descriptor cast) failed.
    CastFailure,
    /// Array access out of bounds.
    ArrayOutOfBounds,
    /// Atomic access not naturally aligned.
    UnalignedAtomic,
    /// `memory.atomic.wait*` on an unshared memory.
    ExpectedSharedMemory,
    /// The instruction budget ran out.
    OutOfFuel,
    /// The call stack budget ran out.
    CallStackExhausted,
    /// An exception reached the host.
    UncaughtException,
    /// A host function failed.
    HostError,
    /// A trap the component model defines (Canonical ABI checks, handles,
    /// reentrance, ...), whose message is the reference tests' wording.
    Component,
}

/// Phrases by which wasmparser (inside wasmi and wasmtime) says a proposal
/// is switched off.
const WASMPARSER_UNSUPPORTED: &[&str] = &[
    "not enabled",
    "to be enabled",
    "must be enabled",
    "not supported",
    "function references required",
    "require the function-references proposal",
];

/// The stage of a compile error of a wasmparser-based engine: `Unsupported`
/// when the message says a proposal is switched off (wasmparser's phrases,
/// plus the engine's own `extra` ones), else `Rejected`. A component binary
/// is `Rejected` (malformed for a core engine), whatever the engine says
/// about its component-model switch.
pub(crate) fn wasmparser_compile_error(
    msg: String,
    component: bool,
    extra: &[&str],
) -> ModuleError {
    let switched_off = WASMPARSER_UNSUPPORTED
        .iter()
        .chain(extra)
        .any(|p| msg.contains(p));
    if switched_off && !component {
        ModuleError::Unsupported(msg)
    } else {
        ModuleError::Rejected(msg)
    }
}

/// Each trap kind with the spec interpreter's message prefix that selects it.
/// Longer, more specific prefixes come first.
const TRAP_MESSAGES: &[(&str, TrapKind)] = &[
    ("unreachable", TrapKind::Unreachable),
    ("out of bounds memory access", TrapKind::MemoryOutOfBounds),
    ("out of bounds table access", TrapKind::TableOutOfBounds),
    ("out of bounds array access", TrapKind::ArrayOutOfBounds),
    ("undefined element", TrapKind::UndefinedElement),
    ("uninitialized element", TrapKind::UninitializedElement),
    (
        "indirect call type mismatch",
        TrapKind::IndirectCallTypeMismatch,
    ),
    ("integer divide by zero", TrapKind::IntegerDivideByZero),
    ("integer overflow", TrapKind::IntegerOverflow),
    (
        "invalid conversion to integer",
        TrapKind::InvalidConversionToInteger,
    ),
    ("null", TrapKind::NullReference),
    ("cast failure", TrapKind::CastFailure),
    ("descriptor cast failure", TrapKind::CastFailure),
    ("unaligned atomic", TrapKind::UnalignedAtomic),
    ("expected shared memory", TrapKind::ExpectedSharedMemory),
    ("out of fuel", TrapKind::OutOfFuel),
    ("call stack exhausted", TrapKind::CallStackExhausted),
    ("uncaught exception", TrapKind::UncaughtException),
];

impl TrapKind {
    /// The kind the spec testsuite means by an expected trap message, if any.
    pub fn from_spec_message(message: &str) -> Option<TrapKind> {
        TRAP_MESSAGES
            .iter()
            .find(|(prefix, _)| message.starts_with(prefix))
            .map(|(_, k)| *k)
    }

    /// The trap kind a free-form message mentions, by its spec message or its
    /// [`TrapKind::name`] anywhere in the text (an engine's own wording such
    /// as "uninstantiable: wasm trap: integer divide by zero").
    pub fn mentioned_in(text: &str) -> Option<TrapKind> {
        TRAP_MESSAGES
            .iter()
            .map(|(_, k)| *k)
            .find(|k| text.contains(k.name()) || text.contains(k.spec_message()))
    }

    /// Every kind an expected message can mean: the kinds whose spec message
    /// starts with it (`"out of bounds"` means memory, table or array bounds),
    /// or whose message it extends (`"uninitialized element 2"`).
    pub fn candidates(message: &str) -> Vec<TrapKind> {
        TRAP_MESSAGES
            .iter()
            .filter(|(prefix, _)| message.starts_with(prefix) || prefix.starts_with(message))
            .map(|(_, k)| *k)
            .collect()
    }

    /// The spec interpreter's message (prefix) for this kind, as a script's
    /// `assert_trap` would write it; empty for host errors.
    pub fn spec_message(self) -> &'static str {
        TRAP_MESSAGES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(m, _)| m)
    }

    /// A short stable name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "memory out of bounds",
            TrapKind::TableOutOfBounds => "table out of bounds",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::IntegerDivideByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::NullReference => "null reference",
            TrapKind::CastFailure => "cast failure",
            TrapKind::ArrayOutOfBounds => "array out of bounds",
            TrapKind::UnalignedAtomic => "unaligned atomic",
            TrapKind::ExpectedSharedMemory => "expected shared memory",
            TrapKind::OutOfFuel => "out of fuel",
            TrapKind::CallStackExhausted => "call stack exhausted",
            TrapKind::UncaughtException => "uncaught exception",
            TrapKind::HostError => "host error",
            TrapKind::Component => "component trap",
        }
    }

    /// Whether two kinds are the same fault as the spec sees it. The spec
    /// reports an out-of-range `call_indirect` as "undefined element" and an
    /// out-of-range `table.get` as "out of bounds table access"; engines do
    /// not all separate those, so they match each other.
    pub fn matches(self, expected: TrapKind) -> bool {
        use TrapKind::*;
        self == expected
            || matches!(
                (self, expected),
                (UndefinedElement, TableOutOfBounds) | (TableOutOfBounds, UndefinedElement)
            )
    }
}

/// A trap: the normalised kind and the engine's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// The normalised kind.
    pub kind: TrapKind,
    /// The engine's message.
    pub message: String,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message == self.kind.name() {
            write!(f, "trap: {}", self.message)
        } else {
            write!(f, "trap ({}): {}", self.kind.name(), self.message)
        }
    }
}

/// What an invocation (or a global read) did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Returned these values.
    Returned(Vec<Value>),
    /// Trapped.
    Trapped(Trap),
    /// Ran out of a resource (call stack, fuel); the trap says which.
    Exhausted(Trap),
    /// Threw an exception that no handler caught.
    Exception(String),
    /// The engine cannot do this (a feature it lacks).
    Unsupported(String),
    /// The engine or adapter failed in a way that is no verdict on wasm.
    EngineError(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returned(v) => write!(f, "returned {}", fmt_values(v)),
            Outcome::Trapped(t) => write!(f, "{t}"),
            Outcome::Exhausted(t) => write!(f, "exhausted: {}", t.message),
            Outcome::Exception(p) => write!(f, "uncaught exception {p}"),
            Outcome::Unsupported(w) => write!(f, "unsupported: {w}"),
            Outcome::EngineError(e) => write!(f, "engine error: {e}"),
        }
    }
}

/// Why a module was not instantiated. The stage is part of the error.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleError {
    /// Decoding failed (binary format).
    Malformed(String),
    /// Validation failed.
    Invalid(String),
    /// Rejected before instantiation by an engine that does not report
    /// whether decoding or validation failed.
    Rejected(String),
    /// Imports could not be resolved or did not match.
    Unlinkable(String),
    /// Instantiation trapped or threw (segment initialisation, start function).
    Uninstantiable(Outcome),
    /// The module uses a feature the engine lacks.
    Unsupported(String),
    /// The engine or adapter failed.
    EngineError(String),
}

impl ModuleError {
    /// A short name of the stage, for reports.
    pub fn stage(&self) -> &'static str {
        match self {
            ModuleError::Malformed(_) => "malformed",
            ModuleError::Invalid(_) => "invalid",
            ModuleError::Rejected(_) => "rejected",
            ModuleError::Unlinkable(_) => "unlinkable",
            ModuleError::Uninstantiable(_) => "uninstantiable",
            ModuleError::Unsupported(_) => "unsupported",
            ModuleError::EngineError(_) => "engine error",
        }
    }

    /// The engine's message.
    pub fn message(&self) -> String {
        match self {
            ModuleError::Malformed(m)
            | ModuleError::Invalid(m)
            | ModuleError::Rejected(m)
            | ModuleError::Unlinkable(m)
            | ModuleError::Unsupported(m)
            | ModuleError::EngineError(m) => m.clone(),
            ModuleError::Uninstantiable(Outcome::Trapped(t) | Outcome::Exhausted(t)) => {
                t.message.clone()
            }
            ModuleError::Uninstantiable(o) => o.to_string(),
        }
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.stage(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_messages_select_kinds() {
        use TrapKind::*;
        for (msg, kind) in [
            ("uninitialized element 2", UninitializedElement),
            ("descriptor cast failure", CastFailure),
            ("null structure reference", NullReference),
            ("out of bounds table access", TableOutOfBounds),
            ("integer overflow", IntegerOverflow),
        ] {
            assert_eq!(TrapKind::from_spec_message(msg), Some(kind), "{msg}");
        }
        assert_eq!(TrapKind::from_spec_message("something else"), None);
        assert!(UndefinedElement.matches(TableOutOfBounds));
        let oob = TrapKind::candidates("out of bounds");
        assert!(oob.contains(&MemoryOutOfBounds) && oob.contains(&ArrayOutOfBounds));
        assert_eq!(
            TrapKind::candidates("integer divide by zero"),
            vec![IntegerDivideByZero]
        );
        assert!(TrapKind::candidates("no such trap").is_empty());
        assert!(!IntegerOverflow.matches(IntegerDivideByZero));
    }
}
