//! Comparing what two engines did: values bit for bit (NaNs by class), trap
//! kinds after normalisation, and exported state.

use crate::outcome::{ModuleError, Outcome, TrapKind};
use crate::value::{
    RefValue, Value, f32_is_arithmetic_nan, f32_is_canonical_nan, f64_is_arithmetic_nan,
    f64_is_canonical_nan,
};
use crate::{InstanceState, NullKind};
use std::fmt;

/// Why a run proved nothing: counted, never reported as a divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// An engine ran out of its own fuel (the wasm-level fuel did not stop it).
    Fuel,
    /// An engine ran out of call stack.
    Stack,
    /// An engine said it does not support something the module uses.
    Unsupported,
    /// An engine or adapter failed without a verdict on wasm.
    EngineError,
    /// Every engine rejected the generated module.
    Rejected,
    /// The input did not make a module.
    Generation,
}

impl Reason {
    /// A short stable name, for the summary line.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Fuel => "fuel",
            Reason::Stack => "stack",
            Reason::Unsupported => "unsupported",
            Reason::EngineError => "engine-error",
            Reason::Rejected => "rejected",
            Reason::Generation => "generation",
        }
    }

    /// The reason an exhaustion trap stands for.
    pub fn of_exhaustion(kind: TrapKind) -> Reason {
        match kind {
            TrapKind::CallStackExhausted => Reason::Stack,
            _ => Reason::Fuel,
        }
    }
}

/// What kind of disagreement was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Validation verdicts differ.
    Validation,
    /// Instantiation outcomes differ (including start-function traps).
    Instantiation,
    /// Both returned, with different values.
    Result,
    /// Both trapped, with different kinds.
    TrapKind,
    /// One returned, the other trapped.
    ReturnVsTrap,
    /// Some other pair of outcomes (exception against value, ...).
    Outcome,
    /// An exported global differs after a call.
    Global,
    /// An exported memory differs after a call.
    Memory,
    /// An exported table differs after a call.
    Table,
    /// An engine panicked.
    Panic,
}

impl Class {
    /// A short stable name, used in file names and keys.
    pub fn name(self) -> &'static str {
        match self {
            Class::Validation => "validation",
            Class::Instantiation => "instantiation",
            Class::Result => "result",
            Class::TrapKind => "trap-kind",
            Class::ReturnVsTrap => "return-vs-trap",
            Class::Outcome => "outcome",
            Class::Global => "global",
            Class::Memory => "memory",
            Class::Table => "table",
            Class::Panic => "panic",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of comparing two observations.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmp {
    /// They agree.
    Same,
    /// Nothing can be concluded.
    Inconclusive(Reason),
    /// They disagree: the class and a key that stays the same when the case
    /// is reduced (class plus trap kinds where there are some).
    Differ(Class, String),
}

/// Whether two `f32` results agree: exact bits, or both NaN of the same class.
pub fn f32_matches(a: u32, b: u32) -> bool {
    let (fa, fb) = (f32::from_bits(a), f32::from_bits(b));
    if fa.is_nan() && fb.is_nan() {
        f32_is_canonical_nan(a) == f32_is_canonical_nan(b)
            && f32_is_arithmetic_nan(a) == f32_is_arithmetic_nan(b)
    } else {
        a == b
    }
}

/// Whether two `f64` results agree: exact bits, or both NaN of the same class.
pub fn f64_matches(a: u64, b: u64) -> bool {
    let (fa, fb) = (f64::from_bits(a), f64::from_bits(b));
    if fa.is_nan() && fb.is_nan() {
        f64_is_canonical_nan(a) == f64_is_canonical_nan(b)
            && f64_is_arithmetic_nan(a) == f64_is_arithmetic_nan(b)
    } else {
        a == b
    }
}

/// Whether two values agree. Numbers by bits (NaNs by class), vectors by
/// bits, references by kind; function identities only when `identity` says
/// the two engines number functions the same way and both report one.
pub fn value_matches(a: &Value, b: &Value, identity: bool) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => f32_matches(*x, *y),
        (Value::F64(x), Value::F64(y)) => f64_matches(*x, *y),
        (Value::Ref(x), Value::Ref(y)) => ref_matches(x, y, identity),
        _ => a == b,
    }
}

fn ref_matches(a: &RefValue, b: &RefValue, identity: bool) -> bool {
    match (a, b) {
        (RefValue::Null(x), RefValue::Null(y)) => {
            x == y || *x == NullKind::Unknown || *y == NullKind::Unknown
        }
        (RefValue::Func(x), RefValue::Func(y)) => match (x, y) {
            (Some(x), Some(y)) if identity => x == y,
            _ => true,
        },
        (RefValue::Struct(_), RefValue::Struct(_))
        | (RefValue::Array(_), RefValue::Array(_))
        | (RefValue::Exn(_), RefValue::Exn(_)) => true,
        _ => a == b,
    }
}

/// Whether two lists of values agree.
pub fn values_match(a: &[Value], b: &[Value], identity: bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| value_matches(x, y, identity))
}

/// Compares the outcomes of one call on two engines.
pub fn compare_outcomes(a: &Outcome, b: &Outcome, identity: bool) -> Cmp {
    use Outcome::*;
    match (a, b) {
        (Exhausted(t), _) | (_, Exhausted(t)) => Cmp::Inconclusive(Reason::of_exhaustion(t.kind)),
        (Unsupported(_), _) | (_, Unsupported(_)) => Cmp::Inconclusive(Reason::Unsupported),
        (EngineError(_), _) | (_, EngineError(_)) => Cmp::Inconclusive(Reason::EngineError),
        (Returned(x), Returned(y)) => {
            if values_match(x, y, identity) {
                Cmp::Same
            } else {
                Cmp::Differ(Class::Result, Class::Result.name().into())
            }
        }
        (Trapped(x), Trapped(y)) => {
            if x.kind.matches(y.kind) {
                Cmp::Same
            } else {
                let key = format!("trap-kind:{}/{}", x.kind.name(), y.kind.name());
                Cmp::Differ(Class::TrapKind, key)
            }
        }
        (Trapped(t), Returned(_)) | (Returned(_), Trapped(t)) => {
            let key = format!("return-vs-trap:{}", t.kind.name());
            Cmp::Differ(Class::ReturnVsTrap, key)
        }
        (Exception(_), Exception(_)) => Cmp::Same,
        _ => Cmp::Differ(Class::Outcome, Class::Outcome.name().into()),
    }
}

/// Compares validation verdicts: accept/reject must agree.
pub fn compare_validation(a: &Result<(), ModuleError>, b: &Result<(), ModuleError>) -> Cmp {
    match (a, b) {
        (Err(ModuleError::Unsupported(_)), _) | (_, Err(ModuleError::Unsupported(_))) => {
            Cmp::Inconclusive(Reason::Unsupported)
        }
        (Err(ModuleError::EngineError(_)), _) | (_, Err(ModuleError::EngineError(_))) => {
            Cmp::Inconclusive(Reason::EngineError)
        }
        (Ok(()), Ok(())) => Cmp::Same,
        (Err(_), Err(_)) => Cmp::Inconclusive(Reason::Rejected),
        (Ok(()), Err(e)) | (Err(e), Ok(())) => {
            Cmp::Differ(Class::Validation, format!("validation:{}", stage_family(e)))
        }
    }
}

/// Decode and validation errors are one family (not every engine separates them).
fn stage_family(e: &ModuleError) -> &'static str {
    match e {
        ModuleError::Malformed(_) | ModuleError::Invalid(_) | ModuleError::Rejected(_) => "reject",
        other => other.stage(),
    }
}

/// Compares instantiation results (`Ok` is an instance on each side).
pub fn compare_instantiation<T>(
    a: &Result<T, ModuleError>,
    b: &Result<T, ModuleError>,
    identity: bool,
) -> Cmp {
    let exhausted = |r: &Result<T, ModuleError>| match r {
        Err(ModuleError::Uninstantiable(Outcome::Exhausted(t))) => {
            Some(Reason::of_exhaustion(t.kind))
        }
        Err(ModuleError::Unsupported(_)) => Some(Reason::Unsupported),
        Err(ModuleError::EngineError(_)) => Some(Reason::EngineError),
        _ => None,
    };
    if let Some(r) = exhausted(a).or_else(|| exhausted(b)) {
        return Cmp::Inconclusive(r);
    }
    let differ = |what: String| Cmp::Differ(Class::Instantiation, format!("instantiation:{what}"));
    match (a, b) {
        (Ok(_), Ok(_)) => Cmp::Same,
        (Err(ModuleError::Uninstantiable(x)), Err(ModuleError::Uninstantiable(y))) => {
            match compare_outcomes(x, y, identity) {
                Cmp::Differ(_, key) => differ(key),
                other => other,
            }
        }
        (Err(x), Err(y)) if stage_family(x) == stage_family(y) => Cmp::Same,
        (Err(x), Err(y)) => differ(format!("{}/{}", stage_family(x), stage_family(y))),
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => differ(stage_family(e).to_string()),
    }
}

/// The first difference between two snapshots of exported state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDiff {
    /// Global, memory or table.
    pub class: Class,
    /// The export's name.
    pub name: String,
    /// What differs, in words.
    pub detail: String,
    /// For a memory: the first differing byte's address and both bytes.
    pub byte: Option<(usize, Option<u8>, Option<u8>)>,
    /// For a global: both values.
    pub values: Option<(Value, Value)>,
}

/// Compares exported globals, memories (length, then first differing byte)
/// and tables (size, then each element's null-ness, kind and identity).
pub fn compare_states(a: &InstanceState, b: &InstanceState, identity: bool) -> Option<StateDiff> {
    let diff = |class: Class, name: &str, detail: String| StateDiff {
        class,
        name: name.to_string(),
        detail,
        byte: None,
        values: None,
    };
    for (name, va) in &a.globals {
        match b.globals.iter().find(|(n, _)| n == name) {
            None => {
                return Some(diff(
                    Class::Global,
                    name,
                    "exported on one side only".into(),
                ));
            }
            Some((_, vb)) if !value_matches(va, vb, identity) => {
                let mut d = diff(Class::Global, name, format!("{va} vs {vb}"));
                d.values = Some((*va, *vb));
                return Some(d);
            }
            _ => {}
        }
    }
    for (name, ma) in &a.memories {
        let Some((_, mb)) = b.memories.iter().find(|(n, _)| n == name) else {
            return Some(diff(
                Class::Memory,
                name,
                "exported on one side only".into(),
            ));
        };
        if ma.len() != mb.len() || ma != mb {
            let first = ma
                .iter()
                .zip(mb.iter())
                .position(|(x, y)| x != y)
                .unwrap_or_else(|| ma.len().min(mb.len()));
            let mut d = diff(
                Class::Memory,
                name,
                format!(
                    "length {} vs {}; first differing byte at {first}: {:?} vs {:?}",
                    ma.len(),
                    mb.len(),
                    ma.get(first),
                    mb.get(first)
                ),
            );
            d.byte = Some((first, ma.get(first).copied(), mb.get(first).copied()));
            return Some(d);
        }
    }
    for (name, ta) in &a.tables {
        let Some((_, tb)) = b.tables.iter().find(|(n, _)| n == name) else {
            return Some(diff(Class::Table, name, "exported on one side only".into()));
        };
        if ta.len() != tb.len() {
            return Some(diff(
                Class::Table,
                name,
                format!("size {} vs {}", ta.len(), tb.len()),
            ));
        }
        if let Some(i) = ta
            .iter()
            .zip(tb)
            .position(|(x, y)| !value_matches(x, y, identity))
        {
            return Some(diff(
                Class::Table,
                name,
                format!("element {i}: {} vs {}", ta[i], tb[i]),
            ));
        }
    }
    // Exported on the second side only.
    let extra = |names: Vec<&String>, others: Vec<&String>, class| {
        names
            .into_iter()
            .find(|n| !others.contains(n))
            .map(|n| diff(class, n, "exported on one side only".into()))
    };
    extra(
        b.globals.iter().map(|g| &g.0).collect(),
        a.globals.iter().map(|g| &g.0).collect(),
        Class::Global,
    )
    .or_else(|| {
        extra(
            b.memories.iter().map(|g| &g.0).collect(),
            a.memories.iter().map(|g| &g.0).collect(),
            Class::Memory,
        )
    })
    .or_else(|| {
        extra(
            b.tables.iter().map(|g| &g.0).collect(),
            a.tables.iter().map(|g| &g.0).collect(),
            Class::Table,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Trap;

    fn trap(kind: TrapKind) -> Outcome {
        Outcome::Trapped(Trap {
            kind,
            message: kind.name().into(),
        })
    }

    #[test]
    fn nans_compare_by_class() {
        assert!(f32_matches(0x7fc0_0000, 0xffc0_0000), "both canonical");
        assert!(
            !f32_matches(0x7fc0_0000, 0x7fc0_0001),
            "canonical vs arithmetic"
        );
        assert!(f32_matches(0x7fc0_0001, 0xffc0_1000), "both arithmetic");
        assert!(
            !f32_matches(0x7fa0_0000, 0x7fc0_0001),
            "signalling vs arithmetic"
        );
        assert!(!f32_matches(0x0000_0000, 0x8000_0000), "zeros by sign");
        assert!(f64_matches(0x7ff8_0000_0000_0000, 0xfff8_0000_0000_0000));
        assert!(!f64_matches(0x7ff8_0000_0000_0000, 0x7ff0_0000_0000_0000));
    }

    #[test]
    fn outcomes() {
        let r = |v: u32| Outcome::Returned(vec![Value::I32(v)]);
        assert_eq!(compare_outcomes(&r(1), &r(1), false), Cmp::Same);
        assert_eq!(
            compare_outcomes(&r(1), &r(2), false),
            Cmp::Differ(Class::Result, "result".into())
        );
        assert_eq!(
            compare_outcomes(
                &trap(TrapKind::UndefinedElement),
                &trap(TrapKind::TableOutOfBounds),
                false
            ),
            Cmp::Same
        );
        assert!(matches!(
            compare_outcomes(&r(1), &trap(TrapKind::Unreachable), false),
            Cmp::Differ(Class::ReturnVsTrap, _)
        ));
        let exhausted = Outcome::Exhausted(Trap {
            kind: TrapKind::CallStackExhausted,
            message: String::new(),
        });
        assert_eq!(
            compare_outcomes(&exhausted, &r(1), false),
            Cmp::Inconclusive(Reason::Stack)
        );
        let f = |i| Outcome::Returned(vec![Value::Ref(RefValue::Func(i))]);
        assert_eq!(compare_outcomes(&f(Some(1)), &f(None), true), Cmp::Same);
        assert_ne!(compare_outcomes(&f(Some(1)), &f(Some(2)), true), Cmp::Same);
        assert_eq!(compare_outcomes(&f(Some(1)), &f(Some(2)), false), Cmp::Same);
    }

    #[test]
    fn states() {
        let mut a = InstanceState::default();
        a.memories.push(("m".into(), vec![0, 1, 2]));
        a.globals.push(("g".into(), Value::I64(3)));
        a.tables
            .push(("t".into(), vec![Value::Ref(RefValue::Null(NullKind::Func))]));
        let mut b = a.clone();
        assert_eq!(compare_states(&a, &b, false), None);
        b.memories[0].1[2] = 9;
        let d = compare_states(&a, &b, false).unwrap();
        assert_eq!(
            (d.class, d.byte),
            (Class::Memory, Some((2, Some(2), Some(9))))
        );
        let mut b = a.clone();
        b.tables[0].1[0] = Value::Ref(RefValue::Func(None));
        assert_eq!(compare_states(&a, &b, false).unwrap().class, Class::Table);
        let mut b = a.clone();
        b.globals.push(("h".into(), Value::I32(0)));
        assert_eq!(compare_states(&a, &b, false).unwrap().name, "h");
    }

    #[test]
    fn validation_and_instantiation() {
        let ok: Result<(), ModuleError> = Ok(());
        let bad = Err(ModuleError::Invalid("type mismatch".into()));
        assert_eq!(compare_validation(&ok, &ok), Cmp::Same);
        assert!(matches!(
            compare_validation(&ok, &bad),
            Cmp::Differ(Class::Validation, _)
        ));
        let start_trap: Result<(), _> =
            Err(ModuleError::Uninstantiable(trap(TrapKind::Unreachable)));
        assert_eq!(
            compare_instantiation(&start_trap, &start_trap, false),
            Cmp::Same
        );
        assert!(matches!(
            compare_instantiation(&ok, &start_trap, false),
            Cmp::Differ(Class::Instantiation, _)
        ));
    }
}
