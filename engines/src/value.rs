//! Values exchanged with engines, with exact bits.

use std::fmt;

/// A WebAssembly value as an engine returns it: numbers by bits, vectors as
/// 128 bits, references by kind and, where the engine exposes it, identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// `i32`, as its bits.
    I32(u32),
    /// `i64`, as its bits.
    I64(u64),
    /// `f32`, as its IEEE 754 bits.
    F32(u32),
    /// `f64`, as its IEEE 754 bits.
    F64(u64),
    /// `v128`, lanes little-endian.
    V128(u128),
    /// A reference.
    Ref(RefValue),
}

/// The heap type family of a null reference, as far as a result shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullKind {
    /// `ref.null func` / `nofunc`.
    Func,
    /// `ref.null extern` / `noextern`.
    Extern,
    /// `ref.null any` and its subtypes (`none`).
    Any,
    /// `ref.null exn` / `noexn`.
    Exn,
    /// A null whose type the engine does not report.
    Unknown,
}

/// A reference value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefValue {
    /// A null reference.
    Null(NullKind),
    /// A function reference; identity if the engine exposes one.
    Func(Option<u64>),
    /// An external host reference, `ref.extern N` in scripts.
    Extern(u32),
    /// A host reference in the `any` hierarchy, `ref.host N` in scripts.
    Host(u32),
    /// An `i31ref`, its 31 bits zero-extended.
    I31(u32),
    /// A struct reference.
    Struct(Option<u64>),
    /// An array reference.
    Array(Option<u64>),
    /// An exception reference.
    Exn(Option<u64>),
    /// Some other non-null reference (e.g. an externalised internal reference).
    Opaque,
}

/// The value type of a [`Value`], as far as the value shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// Any reference.
    Ref,
}

impl Value {
    /// The type of this value.
    pub fn ty(&self) -> ValueType {
        match self {
            Value::I32(_) => ValueType::I32,
            Value::I64(_) => ValueType::I64,
            Value::F32(_) => ValueType::F32,
            Value::F64(_) => ValueType::F64,
            Value::V128(_) => ValueType::V128,
            Value::Ref(_) => ValueType::Ref,
        }
    }
}

/// exec/numerics: a canonical NaN of `f32` has only the top payload bit set.
pub fn f32_is_canonical_nan(bits: u32) -> bool {
    bits & 0x7fff_ffff == 0x7fc0_0000
}

/// exec/numerics: an arithmetic NaN of `f32` has the top payload bit set.
pub fn f32_is_arithmetic_nan(bits: u32) -> bool {
    bits & 0x7fc0_0000 == 0x7fc0_0000
}

/// exec/numerics: a canonical NaN of `f64` has only the top payload bit set.
pub fn f64_is_canonical_nan(bits: u64) -> bool {
    bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
}

/// exec/numerics: an arithmetic NaN of `f64` has the top payload bit set.
pub fn f64_is_arithmetic_nan(bits: u64) -> bool {
    bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
}

/// Formats `f32` bits as a decimal value followed by its bits.
pub fn fmt_f32(bits: u32) -> String {
    let v = f32::from_bits(bits);
    if v.is_nan() {
        let sign = if bits >> 31 == 1 { "-" } else { "" };
        format!("{sign}nan:0x{:x}", bits & 0x7f_ffff)
    } else {
        format!("{v:?} (0x{bits:08x})")
    }
}

/// Formats `f64` bits as a decimal value followed by its bits.
pub fn fmt_f64(bits: u64) -> String {
    let v = f64::from_bits(bits);
    if v.is_nan() {
        let sign = if bits >> 63 == 1 { "-" } else { "" };
        format!("{sign}nan:0x{:x}", bits & 0xf_ffff_ffff_ffff)
    } else {
        format!("{v:?} (0x{bits:016x})")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{}", *v as i32),
            Value::I64(v) => write!(f, "i64:{}", *v as i64),
            Value::F32(v) => write!(f, "f32:{}", fmt_f32(*v)),
            Value::F64(v) => write!(f, "f64:{}", fmt_f64(*v)),
            Value::V128(v) => write!(f, "v128:0x{v:032x}"),
            Value::Ref(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for RefValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = |f: &mut fmt::Formatter<'_>, name: &str, id: &Option<u64>| match id {
            Some(i) => write!(f, "ref.{name} #{i}"),
            None => write!(f, "ref.{name}"),
        };
        match self {
            RefValue::Null(k) => write!(
                f,
                "ref.null {}",
                match k {
                    NullKind::Func => "func",
                    NullKind::Extern => "extern",
                    NullKind::Any => "any",
                    NullKind::Exn => "exn",
                    NullKind::Unknown => "?",
                }
            ),
            RefValue::Func(i) => id(f, "func", i),
            RefValue::Extern(n) => write!(f, "ref.extern {n}"),
            RefValue::Host(n) => write!(f, "ref.host {n}"),
            RefValue::I31(n) => write!(f, "ref.i31 {n}"),
            RefValue::Struct(i) => id(f, "struct", i),
            RefValue::Array(i) => id(f, "array", i),
            RefValue::Exn(i) => id(f, "exn", i),
            RefValue::Opaque => write!(f, "ref.any"),
        }
    }
}

/// Formats a list of values as `[a, b]`.
pub fn fmt_values(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_classes() {
        assert!(f32_is_canonical_nan(0x7fc0_0000));
        assert!(f32_is_canonical_nan(0xffc0_0000));
        assert!(!f32_is_canonical_nan(0x7fc0_0001));
        assert!(f32_is_arithmetic_nan(0x7fc0_0001));
        assert!(!f32_is_arithmetic_nan(0x7fa0_0000));
        assert!(!f32_is_arithmetic_nan(0x3f80_0000));
        assert!(f64_is_canonical_nan(0xfff8_0000_0000_0000));
        assert!(!f64_is_canonical_nan(0x7ff8_0000_0000_0001));
        assert!(f64_is_arithmetic_nan(0x7ff8_0000_0000_0001));
        assert!(!f64_is_arithmetic_nan(0x7ff4_0000_0000_0000));
    }

    #[test]
    fn display() {
        assert_eq!(Value::I32(u32::MAX).to_string(), "i32:-1");
        assert_eq!(Value::F32(0x3f80_0000).to_string(), "f32:1.0 (0x3f800000)");
        assert_eq!(Value::F32(0xffc0_0000).to_string(), "f32:-nan:0x400000");
        assert_eq!(
            Value::F64(0x7ff8_0000_0000_0000).to_string(),
            "f64:nan:0x8000000000000"
        );
        assert_eq!(Value::Ref(RefValue::Extern(3)).to_string(), "ref.extern 3");
    }
}
