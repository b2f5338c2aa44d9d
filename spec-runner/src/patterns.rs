//! Script arguments and result patterns, and matching results against them.

use engines::component::fmt_component_value;
use engines::value::{
    f32_is_arithmetic_nan, f32_is_canonical_nan, f64_is_arithmetic_nan, f64_is_canonical_nan,
};
use engines::{ComponentValue, NullKind, RefValue, Value};
use wast::component::WastVal;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Converts a script argument to an engine value.
pub fn arg_value(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model arguments are not supported".into());
    };
    Ok(match core {
        WastArgCore::I32(v) => Value::I32(*v as u32),
        WastArgCore::I64(v) => Value::I64(*v as u64),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(ht) => Value::Ref(RefValue::Null(null_kind(ht))),
        WastArgCore::RefExtern(n) => Value::Ref(RefValue::Extern(*n)),
        WastArgCore::RefHost(n) => Value::Ref(RefValue::Host(*n)),
    })
}

/// The null family of a heap type written in a script.
pub fn null_kind(ht: &HeapType<'_>) -> NullKind {
    use AbstractHeapType as A;
    match ht {
        HeapType::Abstract { ty, .. } => match ty {
            A::Func | A::NoFunc => NullKind::Func,
            A::Extern | A::NoExtern => NullKind::Extern,
            A::Exn | A::NoExn => NullKind::Exn,
            A::Any | A::Eq | A::Struct | A::Array | A::I31 | A::None => NullKind::Any,
            A::Cont | A::NoCont => NullKind::Unknown,
        },
        HeapType::Concrete(_) | HeapType::Exact(_) => NullKind::Unknown,
    }
}

/// Renders a result pattern in script notation, for reports.
pub fn describe(ret: &WastRet<'_>) -> String {
    match ret {
        WastRet::Core(c) => describe_core(c),
        WastRet::Component(v) => fmt_component_value(&component_value(v)),
        _ => "<unknown result pattern>".into(),
    }
}

fn describe_nan<T>(p: &NanPattern<T>, bits: impl Fn(&T) -> String) -> String {
    match p {
        NanPattern::CanonicalNan => "nan:canonical".into(),
        NanPattern::ArithmeticNan => "nan:arithmetic".into(),
        NanPattern::Value(v) => bits(v),
    }
}

fn describe_core(c: &WastRetCore<'_>) -> String {
    use engines::value::{fmt_f32, fmt_f64};
    match c {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(p) => format!("f32:{}", describe_nan(p, |f| fmt_f32(f.bits))),
        WastRetCore::F64(p) => format!("f64:{}", describe_nan(p, |f| fmt_f64(f.bits))),
        WastRetCore::V128(p) => format!("v128:{}", describe_v128(p)),
        WastRetCore::RefNull(_) => "ref.null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefHost(n) => format!("ref.host {n}"),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::RefAny => "ref.any".into(),
        WastRetCore::RefEq => "ref.eq".into(),
        WastRetCore::RefArray => "ref.array".into(),
        WastRetCore::RefStruct => "ref.struct".into(),
        WastRetCore::RefI31 | WastRetCore::RefI31Shared => "ref.i31".into(),
        WastRetCore::Either(alts) => {
            let parts: Vec<String> = alts.iter().map(describe_core).collect();
            format!("(either {})", parts.join(" | "))
        }
    }
}

fn describe_v128(p: &V128Pattern) -> String {
    fn join<T: ToString>(xs: impl IntoIterator<Item = T>) -> String {
        xs.into_iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
    match p {
        V128Pattern::I8x16(l) => format!("i8x16 {}", join(l)),
        V128Pattern::I16x8(l) => format!("i16x8 {}", join(l)),
        V128Pattern::I32x4(l) => format!("i32x4 {}", join(l)),
        V128Pattern::I64x2(l) => format!("i64x2 {}", join(l)),
        V128Pattern::F32x4(l) => format!(
            "f32x4 {}",
            join(
                l.iter()
                    .map(|p| describe_nan(p, |f| format!("0x{:08x}", f.bits)))
            )
        ),
        V128Pattern::F64x2(l) => format!(
            "f64x2 {}",
            join(
                l.iter()
                    .map(|p| describe_nan(p, |f| format!("0x{:016x}", f.bits)))
            )
        ),
    }
}

/// Whether a returned value matches a result pattern.
pub fn matches(ret: &WastRet<'_>, value: &Value) -> bool {
    match ret {
        WastRet::Core(c) => matches_core(c, value),
        _ => false,
    }
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => f32_is_canonical_nan(bits),
        NanPattern::ArithmeticNan => f32_is_arithmetic_nan(bits),
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => f64_is_canonical_nan(bits),
        NanPattern::ArithmeticNan => f64_is_arithmetic_nan(bits),
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Lane `i` of width `bits` of a vector, zero-extended.
fn lane(v: u128, bits: u32, i: usize) -> u64 {
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    ((v >> (bits as usize * i)) as u64) & mask
}

fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    match p {
        V128Pattern::I8x16(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(v, 8, i) == u64::from(*x as u8)),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(v, 16, i) == u64::from(*x as u16)),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(v, 32, i) == u64::from(*x as u32)),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, x)| lane(v, 64, i) == *x as u64),
        V128Pattern::F32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, lane(v, 32, i) as u32)),
        V128Pattern::F64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, lane(v, 64, i))),
    }
}

fn matches_core(c: &WastRetCore<'_>, value: &Value) -> bool {
    use RefValue as R;
    match (c, value) {
        (WastRetCore::Either(alts), _) => alts.iter().any(|a| matches_core(a, value)),
        (WastRetCore::I32(x), Value::I32(v)) => *x as u32 == *v,
        (WastRetCore::I64(x), Value::I64(v)) => *x as u64 == *v,
        (WastRetCore::F32(p), Value::F32(v)) => f32_matches(p, *v),
        (WastRetCore::F64(p), Value::F64(v)) => f64_matches(p, *v),
        (WastRetCore::V128(p), Value::V128(v)) => v128_matches(p, *v),
        (WastRetCore::RefNull(ht), Value::Ref(R::Null(kind))) => match ht {
            // A null's family is checked only when both sides state it.
            Some(ht) => {
                let want = null_kind(ht);
                want == NullKind::Unknown || *kind == NullKind::Unknown || want == *kind
            }
            None => true,
        },
        (WastRetCore::RefExtern(None), Value::Ref(r)) => matches!(r, R::Extern(_) | R::Opaque),
        (WastRetCore::RefExtern(Some(n)), Value::Ref(R::Extern(m))) => n == m,
        (WastRetCore::RefHost(n), Value::Ref(R::Host(m))) => n == m,
        (WastRetCore::RefFunc(_), Value::Ref(R::Func(_))) => true,
        (WastRetCore::RefAny, Value::Ref(r)) => {
            matches!(
                r,
                R::Host(_) | R::I31(_) | R::Struct(_) | R::Array(_) | R::Opaque
            )
        }
        (WastRetCore::RefEq, Value::Ref(r)) => matches!(r, R::I31(_) | R::Struct(_) | R::Array(_)),
        (WastRetCore::RefArray, Value::Ref(R::Array(_))) => true,
        (WastRetCore::RefStruct, Value::Ref(R::Struct(_))) => true,
        (WastRetCore::RefI31 | WastRetCore::RefI31Shared, Value::Ref(R::I31(_))) => true,
        _ => false,
    }
}

// ---- component values (`WastArg::Component`, `WastRet::Component`) ----

/// Converts a script's component value (`u32.const 7`, `(str "x")`,
/// `(record (field "a" ...))`, ...) to the engines' value tree.
pub fn component_value(v: &WastVal<'_>) -> ComponentValue {
    use ComponentValue as C;
    let boxed = |p: &Option<Box<WastVal<'_>>>| p.as_deref().map(|v| Box::new(component_value(v)));
    match v {
        WastVal::Bool(b) => C::Bool(*b),
        WastVal::U8(x) => C::U8(*x),
        WastVal::S8(x) => C::S8(*x),
        WastVal::U16(x) => C::U16(*x),
        WastVal::S16(x) => C::S16(*x),
        WastVal::U32(x) => C::U32(*x),
        WastVal::S32(x) => C::S32(*x),
        WastVal::U64(x) => C::U64(*x),
        WastVal::S64(x) => C::S64(*x),
        WastVal::F32(f) => C::F32(f.bits),
        WastVal::F64(f) => C::F64(f.bits),
        WastVal::Char(c) => C::Char(*c),
        WastVal::String(s) => C::String((*s).to_string()),
        WastVal::List(vs) => C::List(vs.iter().map(component_value).collect()),
        WastVal::Map(kvs) => C::Map(
            kvs.iter()
                .map(|(k, v)| (component_value(k), component_value(v)))
                .collect(),
        ),
        WastVal::Record(fs) => C::Record(
            fs.iter()
                .map(|(l, v)| ((*l).to_string(), component_value(v)))
                .collect(),
        ),
        WastVal::Tuple(vs) => C::Tuple(vs.iter().map(component_value).collect()),
        WastVal::Variant(l, p) => C::Variant((*l).to_string(), boxed(p)),
        WastVal::Enum(l) => C::Enum((*l).to_string()),
        WastVal::Option(p) => C::Option(boxed(p)),
        WastVal::Result(Ok(p)) => C::Result(Ok(boxed(p))),
        WastVal::Result(Err(p)) => C::Result(Err(boxed(p))),
        WastVal::Flags(ls) => C::Flags(ls.iter().map(|l| (*l).to_string()).collect()),
    }
}

/// Converts a script argument of a component call. `f32.const` and
/// `f64.const` are core and component keywords at once, and the wast crate
/// reads them as core: for a component function they are its floats.
pub fn component_arg(arg: &WastArg<'_>) -> Result<ComponentValue, String> {
    match arg {
        WastArg::Component(v) => Ok(component_value(v)),
        WastArg::Core(WastArgCore::F32(f)) => Ok(ComponentValue::F32(f.bits)),
        WastArg::Core(WastArgCore::F64(f)) => Ok(ComponentValue::F64(f.bits)),
        _ => Err("a core argument to a component function: write a component value".into()),
    }
}

/// Whether a component call's value matches an expected result (a float
/// result is read as core by the wast crate, with its NaN patterns:
/// `nan:canonical`, `nan:arithmetic`, or bits, where a NaN matches any NaN
/// as in [`component_value_matches`]).
pub fn matches_component(ret: &WastRet<'_>, value: &ComponentValue) -> bool {
    match (ret, value) {
        (WastRet::Component(v), _) => component_value_matches(&component_value(v), value),
        (WastRet::Core(WastRetCore::F32(p)), ComponentValue::F32(bits)) => match p {
            NanPattern::CanonicalNan => f32_is_canonical_nan(*bits),
            NanPattern::ArithmeticNan => f32_is_arithmetic_nan(*bits),
            NanPattern::Value(f) => component_value_matches(&ComponentValue::F32(f.bits), value),
        },
        (WastRet::Core(WastRetCore::F64(p)), ComponentValue::F64(bits)) => match p {
            NanPattern::CanonicalNan => f64_is_canonical_nan(*bits),
            NanPattern::ArithmeticNan => f64_is_arithmetic_nan(*bits),
            NanPattern::Value(f) => component_value_matches(&ComponentValue::F64(f.bits), value),
        },
        _ => false,
    }
}

/// Component values compared as the reference tests mean them: floats by
/// bits, except that an expected NaN matches any NaN (CanonicalABI.md,
/// "Loading": lifting a float may canonicalize or keep a NaN's payload,
/// nondeterministically); `flags` as sets of labels; everything else
/// structurally. Handles never match a written value (scripts cannot write
/// one).
pub fn component_value_matches(expected: &ComponentValue, actual: &ComponentValue) -> bool {
    use ComponentValue as C;
    let opt = |e: &Option<Box<C>>, a: &Option<Box<C>>| match (e, a) {
        (Some(e), Some(a)) => component_value_matches(e, a),
        (None, None) => true,
        _ => false,
    };
    let all = |e: &[C], a: &[C]| {
        e.len() == a.len() && e.iter().zip(a).all(|(e, a)| component_value_matches(e, a))
    };
    match (expected, actual) {
        (C::F32(e), C::F32(a)) => {
            e == a || (f32::from_bits(*e).is_nan() && f32::from_bits(*a).is_nan())
        }
        (C::F64(e), C::F64(a)) => {
            e == a || (f64::from_bits(*e).is_nan() && f64::from_bits(*a).is_nan())
        }
        (C::List(e), C::List(a)) | (C::Tuple(e), C::Tuple(a)) => all(e, a),
        (C::Record(e), C::Record(a)) => {
            e.len() == a.len()
                && e.iter()
                    .zip(a)
                    .all(|((el, ev), (al, av))| el == al && component_value_matches(ev, av))
        }
        (C::Map(e), C::Map(a)) => {
            e.len() == a.len()
                && e.iter().zip(a).all(|((ek, ev), (ak, av))| {
                    component_value_matches(ek, ak) && component_value_matches(ev, av)
                })
        }
        (C::Variant(el, ep), C::Variant(al, ap)) => el == al && opt(ep, ap),
        (C::Option(e), C::Option(a)) => opt(e, a),
        (C::Result(Ok(e)), C::Result(Ok(a))) | (C::Result(Err(e)), C::Result(Err(a))) => opt(e, a),
        (C::Flags(e), C::Flags(a)) => {
            use std::collections::BTreeSet;
            e.iter().collect::<BTreeSet<_>>() == a.iter().collect::<BTreeSet<_>>()
        }
        (C::Own(_) | C::Borrow(_) | C::Handle(_), _) => false,
        (e, a) => e == a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::parser::{self, ParseBuffer};

    /// Parses one result pattern, e.g. `(i32.const 1)`.
    fn ret(text: &str) -> WastRet<'static> {
        let inner = &text[1..text.len() - 1];
        let buf = Box::leak(Box::new(
            ParseBuffer::new(Box::leak(inner.to_string().into_boxed_str())).unwrap(),
        ));
        parser::parse::<WastRet>(buf).unwrap()
    }

    #[test]
    fn numbers_and_nans() {
        assert!(matches(&ret("(i32.const -1)"), &Value::I32(u32::MAX)));
        assert!(!matches(&ret("(i32.const -1)"), &Value::I64(u64::MAX)));
        assert!(matches(
            &ret("(f32.const nan:canonical)"),
            &Value::F32(0xffc0_0000)
        ));
        assert!(!matches(
            &ret("(f32.const nan:canonical)"),
            &Value::F32(0x7fc0_0001)
        ));
        assert!(matches(
            &ret("(f32.const nan:arithmetic)"),
            &Value::F32(0x7fc0_0001)
        ));
        assert!(!matches(
            &ret("(f64.const nan:arithmetic)"),
            &Value::F64(0x7ff4_0000_0000_0000)
        ));
        assert!(matches(&ret("(f64.const -0)"), &Value::F64(1 << 63)));
        assert!(!matches(&ret("(f64.const 0)"), &Value::F64(1 << 63)));
    }

    #[test]
    fn vector_lanes() {
        let v = 0x0000_0004_0000_0003_0000_0002_ffff_ffffu128;
        assert!(matches(
            &ret("(v128.const i32x4 -1 2 3 4)"),
            &Value::V128(v)
        ));
        assert!(!matches(
            &ret("(v128.const i32x4 -1 2 3 5)"),
            &Value::V128(v)
        ));
        assert!(matches(
            &ret("(v128.const i64x2 0x2ffffffff 0x400000003)"),
            &Value::V128(v)
        ));
        let nans = 0x7fc0_0000_7fc0_0001_7fc0_0000_ffc0_0000u128;
        assert!(matches(
            &ret("(v128.const f32x4 nan:canonical nan:canonical nan:arithmetic nan:canonical)"),
            &Value::V128(nans)
        ));
        assert!(!matches(
            &ret("(v128.const f32x4 nan:canonical nan:canonical nan:canonical nan:canonical)"),
            &Value::V128(nans)
        ));
    }

    #[test]
    fn references_and_either() {
        assert!(matches(
            &ret("(ref.null func)"),
            &Value::Ref(RefValue::Null(NullKind::Func))
        ));
        assert!(!matches(
            &ret("(ref.null extern)"),
            &Value::Ref(RefValue::Null(NullKind::Func))
        ));
        assert!(!matches(
            &ret("(ref.null func)"),
            &Value::Ref(RefValue::Func(None))
        ));
        assert!(matches(
            &ret("(ref.extern 3)"),
            &Value::Ref(RefValue::Extern(3))
        ));
        assert!(!matches(
            &ret("(ref.extern 3)"),
            &Value::Ref(RefValue::Extern(4))
        ));
        assert!(matches(
            &ret("(ref.extern)"),
            &Value::Ref(RefValue::Extern(4))
        ));
        assert!(matches(
            &ret("(ref.func)"),
            &Value::Ref(RefValue::Func(Some(1)))
        ));
        assert!(matches(&ret("(ref.eq)"), &Value::Ref(RefValue::I31(1))));
        assert!(!matches(
            &ret("(ref.struct)"),
            &Value::Ref(RefValue::Array(None))
        ));
        assert!(matches(
            &ret("(either (i32.const 1) (i32.const 2))"),
            &Value::I32(2)
        ));
        assert!(!matches(
            &ret("(either (i32.const 1) (i32.const 2))"),
            &Value::I32(3)
        ));
    }

    #[test]
    fn component_values_match_as_the_tests_mean_them() {
        use ComponentValue as C;
        let nan = C::F32(0x7fc0_0000);
        assert!(component_value_matches(&nan, &C::F32(0xffc0_0001)));
        assert!(!component_value_matches(&nan, &C::F32(0)));
        assert!(!component_value_matches(&C::F64(0), &C::F64(1 << 63)));
        let flags = |ls: &[&str]| C::Flags(ls.iter().map(|l| l.to_string()).collect());
        assert!(component_value_matches(
            &flags(&["a", "b"]),
            &flags(&["b", "a"])
        ));
        assert!(!component_value_matches(
            &flags(&["a"]),
            &flags(&["a", "b"])
        ));
        let rec = |l: &str| C::Record(vec![(l.to_string(), C::U8(1))]);
        assert!(component_value_matches(&rec("x"), &rec("x")));
        assert!(!component_value_matches(&rec("x"), &rec("y")));
        assert!(!component_value_matches(&C::U32(1), &C::S32(1)));
        assert!(!component_value_matches(&C::Own(1), &C::Own(1)));
        let some = |v| C::Option(Some(Box::new(v)));
        assert!(component_value_matches(
            &some(nan.clone()),
            &some(C::F32(0x7f80_0001))
        ));
    }
}
