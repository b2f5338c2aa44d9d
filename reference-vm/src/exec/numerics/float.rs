//! Scalar float operators (spec: exec/numerics), with the spec's NaN and ±0
//! rules, plus the float-to-integer truncations.
//!
//! # The NaN rule of this crate
//!
//! The spec lets an operation that returns a NaN return any element of
//! `nans{z*}`: a *canonical* NaN (quiet bit set, rest of the payload zero,
//! either sign) when every NaN operand is canonical or no operand is a NaN,
//! and otherwise any *arithmetic* NaN (quiet bit set, any payload, any sign).
//!
//! Plain Rust float arithmetic does not pin the NaN down: the language lets
//! the bits of a NaN result vary (sign, and "preferred NaN" versus a quieted
//! operand), between targets and between constant-folded and run-time code.
//! Hardware behaviour does satisfy the spec (x86 SSE returns the negative
//! canonical NaN `0xFFC0_0000` for an invalid operation and the first NaN
//! operand quieted otherwise; AArch64 returns the positive canonical NaN or the
//! first signalling-then-quiet operand quieted; both are in `nans{z*}`), but it
//! is not deterministic across hosts, and an oracle must be. So every operator
//! here that can produce a NaN fixes its bits by one rule, the rule of the
//! spec's reference interpreter (`interpreter/exec/fxx.ml`):
//!
//! > If the result is a NaN, it is the **first NaN operand** (in operand order)
//! > **with its quiet bit set**, sign and payload kept; if no operand is a NaN,
//! > it is the **positive canonical NaN** (`0x7FC0_0000` / `0x7FF8_0000_0000_0000`).
//!
//! This satisfies the spec: if all NaN operands are canonical the first is
//! canonical and setting its (already set) quiet bit keeps it canonical, and a
//! NaN produced from non-NaN operands is canonical; otherwise the result has
//! its quiet bit set, so it is arithmetic.
//! The same rule applies to `sqrt`, `ceil`, `floor`, `trunc`, `nearest`,
//! `min`, `max`, fused multiply-add and to every float lane of `v128`.
//! `promote`/`demote` keep the sign and the top payload bits and set the quiet
//! bit (also the reference interpreter's choice); `abs`, `neg` and `copysign`
//! are bit operations and never change a payload (the interpreter does those
//! on the bits directly).
//!
//! Non-NaN results are the IEEE 754 round-to-nearest-even results, which Rust
//! guarantees for `+ - * /`, `sqrt`, `mul_add` and the integer conversions.

use core::fmt;

/// Bits of the positive canonical f32 NaN (spec: `+nan(canon_32)`).
pub const F32_CANONICAL_NAN: u32 = 0x7FC0_0000;
/// Bits of the positive canonical f64 NaN (spec: `+nan(canon_64)`).
pub const F64_CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

const F32_QUIET: u32 = 0x0040_0000;
const F64_QUIET: u64 = 0x0008_0000_0000_0000;

/// Whether `bits` is a canonical f32 NaN of either sign (spec: `nan:canonical`).
#[inline]
pub fn f32_is_canonical_nan(bits: u32) -> bool {
    bits & 0x7FFF_FFFF == F32_CANONICAL_NAN
}

/// Whether `bits` is an arithmetic f32 NaN: a NaN with the quiet bit set
/// (spec: `nan:arithmetic`).
#[inline]
pub fn f32_is_arithmetic_nan(bits: u32) -> bool {
    bits & 0x7FC0_0000 == 0x7FC0_0000
}

/// Whether `bits` is a canonical f64 NaN of either sign (spec: `nan:canonical`).
#[inline]
pub fn f64_is_canonical_nan(bits: u64) -> bool {
    bits & 0x7FFF_FFFF_FFFF_FFFF == F64_CANONICAL_NAN
}

/// Whether `bits` is an arithmetic f64 NaN: a NaN with the quiet bit set
/// (spec: `nan:arithmetic`).
#[inline]
pub fn f64_is_arithmetic_nan(bits: u64) -> bool {
    bits & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000
}

/// The crate's NaN rule for f32: the first NaN of `operands`, quieted, or the
/// positive canonical NaN if none is a NaN.
#[inline]
pub fn f32_nan_of(operands: &[f32]) -> f32 {
    for &z in operands {
        if z.is_nan() {
            return f32::from_bits(z.to_bits() | F32_QUIET);
        }
    }
    f32::from_bits(F32_CANONICAL_NAN)
}

/// The crate's NaN rule for f64: the first NaN of `operands`, quieted, or the
/// positive canonical NaN if none is a NaN.
#[inline]
pub fn f64_nan_of(operands: &[f64]) -> f64 {
    for &z in operands {
        if z.is_nan() {
            return f64::from_bits(z.to_bits() | F64_QUIET);
        }
    }
    f64::from_bits(F64_CANONICAL_NAN)
}

/// Generates the NaN-fixed unary and binary operators for one float type.
macro_rules! float_ops {
    ($t:ident, $nan_of:ident,
     $add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident,
     $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident,
     $min:ident, $max:ident, $fma:ident) => {
        #[doc = concat!("exec: `fadd` on ", stringify!($t), " (IEEE sum; NaN by the crate's rule).")]
        #[inline]
        pub fn $add(a: $t, b: $t) -> $t {
            let r = a + b;
            if r.is_nan() { $nan_of(&[a, b]) } else { r }
        }

        #[doc = concat!("exec: `fsub` on ", stringify!($t), " (IEEE difference; NaN by the crate's rule).")]
        #[inline]
        pub fn $sub(a: $t, b: $t) -> $t {
            let r = a - b;
            if r.is_nan() { $nan_of(&[a, b]) } else { r }
        }

        #[doc = concat!("exec: `fmul` on ", stringify!($t), " (IEEE product; NaN by the crate's rule).")]
        #[inline]
        pub fn $mul(a: $t, b: $t) -> $t {
            let r = a * b;
            if r.is_nan() { $nan_of(&[a, b]) } else { r }
        }

        #[doc = concat!("exec: `fdiv` on ", stringify!($t), " (IEEE quotient; NaN by the crate's rule).")]
        #[inline]
        pub fn $div(a: $t, b: $t) -> $t {
            let r = a / b;
            if r.is_nan() { $nan_of(&[a, b]) } else { r }
        }

        #[doc = concat!("exec: `fsqrt` on ", stringify!($t), " (`sqrt(-0) = -0`; negative -> NaN by the crate's rule).")]
        #[inline]
        pub fn $sqrt(a: $t) -> $t {
            let r = a.sqrt();
            if r.is_nan() { $nan_of(&[a]) } else { r }
        }

        #[doc = concat!("exec: `fceil` on ", stringify!($t), " (sign of zero kept, e.g. `ceil(-0.5) = -0`).")]
        #[inline]
        pub fn $ceil(a: $t) -> $t {
            if a.is_nan() { $nan_of(&[a]) } else { a.ceil() }
        }

        #[doc = concat!("exec: `ffloor` on ", stringify!($t), " (sign of zero kept).")]
        #[inline]
        pub fn $floor(a: $t) -> $t {
            if a.is_nan() { $nan_of(&[a]) } else { a.floor() }
        }

        #[doc = concat!("exec: `ftrunc` on ", stringify!($t), " (round toward zero, sign of zero kept).")]
        #[inline]
        pub fn $trunc(a: $t) -> $t {
            if a.is_nan() { $nan_of(&[a]) } else { a.trunc() }
        }

        #[doc = concat!("exec: `fnearest` on ", stringify!($t), ": round to nearest, ties to even, sign of zero kept (`nearest(-0.5) = -0`).")]
        #[inline]
        pub fn $nearest(a: $t) -> $t {
            if a.is_nan() { $nan_of(&[a]) } else { a.round_ties_even() }
        }

        #[doc = concat!("exec: `fmin` on ", stringify!($t), ": a NaN operand gives a NaN (crate rule), `min(-0, +0) = -0`.")]
        #[inline]
        pub fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                $nan_of(&[a, b])
            } else if a == b {
                // Equal values differ at most in the sign of zero: prefer -0.
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }

        #[doc = concat!("exec: `fmax` on ", stringify!($t), ": a NaN operand gives a NaN (crate rule), `max(-0, +0) = +0`.")]
        #[inline]
        pub fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                $nan_of(&[a, b])
            } else if a == b {
                // Equal values differ at most in the sign of zero: prefer +0.
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else if a > b {
                a
            } else {
                b
            }
        }

        #[doc = concat!("exec: `fma` on ", stringify!($t), " (`a * b + c` with one rounding; NaN by the crate's rule over `a, b, c`).")]
        #[inline]
        pub fn $fma(a: $t, b: $t, c: $t) -> $t {
            let r = a.mul_add(b, c);
            if r.is_nan() { $nan_of(&[a, b, c]) } else { r }
        }
    };
}

float_ops!(
    f32,
    f32_nan_of,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_sqrt,
    f32_ceil,
    f32_floor,
    f32_trunc,
    f32_nearest,
    f32_min,
    f32_max,
    f32_fma
);
float_ops!(
    f64,
    f64_nan_of,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_sqrt,
    f64_ceil,
    f64_floor,
    f64_trunc,
    f64_nearest,
    f64_min,
    f64_max,
    f64_fma
);

/// exec: `demote` f64 -> f32: round to nearest even; a NaN keeps its sign and
/// the top 22 payload bits, with the quiet bit set (canonical stays canonical).
#[inline]
pub fn f32_demote(z: f64) -> f32 {
    if z.is_nan() {
        let bits = z.to_bits();
        let sign = ((bits >> 63) as u32) << 31;
        let payload = ((bits >> 29) as u32) & 0x007F_FFFF;
        f32::from_bits(sign | 0x7F80_0000 | F32_QUIET | payload)
    } else {
        z as f32
    }
}

/// exec: `promote` f32 -> f64: exact; a NaN keeps its sign and payload
/// (shifted to the top of the f64 payload), with the quiet bit set.
#[inline]
pub fn f64_promote(z: f32) -> f64 {
    if z.is_nan() {
        let bits = z.to_bits();
        let sign = ((bits >> 31) as u64) << 63;
        let payload = ((bits & 0x007F_FFFF) as u64) << 29;
        f64::from_bits(sign | 0x7FF0_0000_0000_0000 | F64_QUIET | payload)
    } else {
        z as f64
    }
}

/// Trap of a non-saturating float-to-integer truncation (spec: `trunc_s`,
/// `trunc_u` are partial; the instruction traps where they are undefined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TruncError {
    /// The truncated value is outside the target integer range (or infinite).
    Overflow,
    /// The operand is a NaN.
    InvalidConversion,
}

impl fmt::Display for TruncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TruncError::Overflow => "integer overflow",
            TruncError::InvalidConversion => "invalid conversion to integer",
        })
    }
}

impl std::error::Error for TruncError {}

/// The exclusive-inclusive integer range `[lo, hi)` of a `bits`-wide integer,
/// as exact f64 values (all are powers of two or zero).
#[inline]
fn int_range(signed: bool, bits: u32) -> (f64, f64) {
    debug_assert!(bits == 32 || bits == 64, "trunc to i{bits}");
    let half = (2.0f64).powi(bits as i32 - 1);
    if signed {
        (-half, half)
    } else {
        (0.0, 2.0 * half)
    }
}

/// Bits of the integer `t` (already truncated, in range) zero-extended to u64.
#[inline]
fn int_bits(t: f64, signed: bool, bits: u32) -> u64 {
    if signed {
        let v = t as i64 as u64;
        if bits == 32 { v & 0xFFFF_FFFF } else { v }
    } else {
        t as u64
    }
}

/// exec: `trunc_u` / `trunc_s` (partial): truncate toward zero to a
/// `bits`-wide (32 or 64) integer, signed or unsigned.
///
/// `x` is the exact operand widened to f64 (f32 -> f64 is exact). NaN gives
/// [`TruncError::InvalidConversion`]; a result outside the range (including
/// infinities) gives [`TruncError::Overflow`]. The boundaries are those of
/// the truncated value: for i32, `-2147483648.9` gives `-2147483648` while
/// `-2147483649.0` overflows; for u32, `-0.9` gives `0`. The result is the
/// integer's bit pattern zero-extended to u64 (for `bits = 32`, the u32 bits).
#[inline]
pub fn trunc(x: f64, signed: bool, bits: u32) -> Result<u64, TruncError> {
    if x.is_nan() {
        return Err(TruncError::InvalidConversion);
    }
    let t = x.trunc();
    let (lo, hi) = int_range(signed, bits);
    if t >= lo && t < hi {
        Ok(int_bits(t, signed, bits))
    } else {
        Err(TruncError::Overflow)
    }
}

/// exec: `trunc_sat_u` / `trunc_sat_s`: truncate toward zero, saturating to
/// the `bits`-wide (32 or 64) range; NaN gives 0. Result bits as in [`trunc`].
#[inline]
pub fn trunc_sat(x: f64, signed: bool, bits: u32) -> u64 {
    if x.is_nan() {
        return 0;
    }
    let t = x.trunc();
    let (lo, hi) = int_range(signed, bits);
    if t < lo {
        int_bits(lo, signed, bits)
    } else if t >= hi {
        // The largest integer: hi - 1, which f64 cannot always hold exactly.
        match (signed, bits) {
            (true, 32) => i32::MAX as u32 as u64,
            (false, 32) => u32::MAX as u64,
            (true, _) => i64::MAX as u64,
            (false, _) => u64::MAX,
        }
    } else {
        int_bits(t, signed, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32b(x: f32) -> u32 {
        x.to_bits()
    }
    fn f64b(x: f64) -> u64 {
        x.to_bits()
    }
    const F32_SNAN: u32 = 0x7F80_0001;
    const F32_NEG_SNAN_PAYLOAD: u32 = 0xFFA0_0005;

    #[test]
    fn min_max_zero_signs() {
        assert_eq!(f32b(f32_min(-0.0, 0.0)), f32b(-0.0));
        assert_eq!(f32b(f32_min(0.0, -0.0)), f32b(-0.0));
        assert_eq!(f32b(f32_max(-0.0, 0.0)), f32b(0.0));
        assert_eq!(f32b(f32_max(0.0, -0.0)), f32b(0.0));
        assert_eq!(f64b(f64_min(0.0, -0.0)), f64b(-0.0));
        assert_eq!(f64b(f64_max(-0.0, 0.0)), f64b(0.0));
        assert_eq!(f64b(f64_max(-0.0, -0.0)), f64b(-0.0));
        assert_eq!(f32_min(1.0, 2.0), 1.0);
        assert_eq!(f32_max(1.0, 2.0), 2.0);
        assert_eq!(f64_min(f64::NEG_INFINITY, 0.0), f64::NEG_INFINITY);
        assert_eq!(f64_max(f64::INFINITY, 0.0), f64::INFINITY);
    }

    #[test]
    fn min_max_nan() {
        let cn = f32::from_bits(F32_CANONICAL_NAN);
        let neg_cn = f32::from_bits(0xFFC0_0000);
        let snan = f32::from_bits(F32_SNAN);
        for (a, b) in [(cn, 1.0), (1.0, cn), (neg_cn, 0.0), (cn, f32::INFINITY)] {
            assert!(f32_is_canonical_nan(f32b(f32_min(a, b))));
            assert!(f32_is_canonical_nan(f32b(f32_max(a, b))));
        }
        // A signalling NaN comes back quieted: arithmetic, payload kept.
        let r = f32b(f32_min(0.0, snan));
        assert!(f32_is_arithmetic_nan(r));
        assert_eq!(r, 0x7FC0_0001);
        let r = f32b(f32_max(f32::from_bits(F32_NEG_SNAN_PAYLOAD), 1.0));
        assert_eq!(r, 0xFFE0_0005);
        let r = f64b(f64_max(f64::from_bits(0x7FF0_0000_0000_0001), 1.0));
        assert_eq!(r, 0x7FF8_0000_0000_0001);
        assert!(f64_is_canonical_nan(f64b(f64_min(f64::NAN, -0.0))));
    }

    #[test]
    fn arith_nan_rule() {
        // Invalid operations on non-NaN operands: positive canonical NaN.
        assert_eq!(
            f32b(f32_sub(f32::INFINITY, f32::INFINITY)),
            F32_CANONICAL_NAN
        );
        assert_eq!(f32b(f32_mul(0.0, f32::INFINITY)), F32_CANONICAL_NAN);
        assert_eq!(f32b(f32_div(0.0, 0.0)), F32_CANONICAL_NAN);
        assert_eq!(f32b(f32_sqrt(-1.0)), F32_CANONICAL_NAN);
        assert_eq!(f64b(f64_div(-0.0, 0.0)), F64_CANONICAL_NAN);
        assert_eq!(f64b(f64_sqrt(-2.0)), F64_CANONICAL_NAN);
        // First NaN operand wins, quieted, sign and payload kept.
        let a = f32::from_bits(0xFF80_0123); // negative sNaN
        let b = f32::from_bits(0x7FC0_4444);
        assert_eq!(f32b(f32_add(a, b)), 0xFFC0_0123);
        assert_eq!(f32b(f32_add(b, a)), 0x7FC0_4444);
        assert_eq!(f32b(f32_add(1.0, a)), 0xFFC0_0123);
        assert_eq!(f32b(f32_fma(1.0, 2.0, a)), 0xFFC0_0123);
        assert_eq!(f32b(f32_fma(f32::INFINITY, 0.0, 1.0)), F32_CANONICAL_NAN);
        assert_eq!(f32b(f32_ceil(a)), 0xFFC0_0123);
        assert_eq!(f32b(f32_nearest(a)), 0xFFC0_0123);
        assert_eq!(f32b(f32_sqrt(f32::from_bits(0xFFC0_0000))), 0xFFC0_0000);
        // sqrt(-0) = -0
        assert_eq!(f64b(f64_sqrt(-0.0)), f64b(-0.0));
    }

    #[test]
    fn rounding() {
        // simd_f32x4_rounding.wast / f32.wast style cases.
        assert_eq!(f32b(f32_nearest(0.5)), f32b(0.0));
        assert_eq!(f32b(f32_nearest(-0.5)), f32b(-0.0));
        assert_eq!(f32_nearest(1.5), 2.0);
        assert_eq!(f32_nearest(2.5), 2.0);
        assert_eq!(f32_nearest(-1.5), -2.0);
        assert_eq!(f32_nearest(-2.5), -2.0);
        assert_eq!(f32_nearest(4194303.5), 4194304.0);
        assert_eq!(f64_nearest(4503599627370495.5), 4503599627370496.0);
        assert_eq!(f64_nearest(-4503599627370495.5), -4503599627370496.0);
        assert_eq!(f64_nearest(0.5000000000000001), 1.0);
        assert_eq!(f64b(f64_nearest(-0.0)), f64b(-0.0));
        assert_eq!(f32b(f32_ceil(-0.5)), f32b(-0.0));
        assert_eq!(f32b(f32_floor(0.5)), f32b(0.0));
        assert_eq!(f32b(f32_floor(-0.5)), f32b(-1.0));
        assert_eq!(f64b(f64_trunc(-0.9)), f64b(-0.0));
        assert_eq!(f64_ceil(1.0000000000000002), 2.0);
        assert_eq!(f64_floor(-1.0000000000000002), -2.0);
        assert_eq!(f32_trunc(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn promote_demote() {
        assert_eq!(
            f32b(f32_demote(f64::from_bits(F64_CANONICAL_NAN))),
            F32_CANONICAL_NAN
        );
        assert_eq!(
            f32b(f32_demote(f64::from_bits(0xFFF8_0000_0000_0000))),
            0xFFC0_0000
        );
        // Signalling NaN with only low payload bits: quiet bit set.
        let r = f32b(f32_demote(f64::from_bits(0x7FF0_0000_0000_0001)));
        assert!(f32_is_arithmetic_nan(r));
        assert_eq!(r, 0x7FC0_0000);
        assert_eq!(
            f32b(f32_demote(f64::from_bits(0x7FF4_0000_0000_0000))),
            0x7FE0_0000
        );
        assert_eq!(
            f64b(f64_promote(f32::from_bits(0x7FA0_0000))),
            0x7FFC_0000_0000_0000
        );
        assert_eq!(
            f64b(f64_promote(f32::from_bits(0xFFC0_0000))),
            0xFFF8_0000_0000_0000
        );
        assert_eq!(
            f64b(f64_promote(f32::from_bits(0x7F80_0001))),
            0x7FF8_0000_2000_0000
        );
        assert_eq!(f32_demote(1.0e300), f32::INFINITY);
        assert_eq!(f32b(f32_demote(-1.0e-300)), f32b(-0.0));
        // Round to nearest even at the f32 ulp boundary.
        assert_eq!(f32_demote(1.0 + f64::powi(2.0, -24)), 1.0);
        assert_eq!(
            f32_demote(1.0 + 3.0 * f64::powi(2.0, -24)),
            1.0 + f32::EPSILON * 2.0
        );
        assert_eq!(f64_promote(f32::MAX), f32::MAX as f64);
    }

    #[test]
    fn trunc_boundaries() {
        use TruncError::*;
        // i32
        assert_eq!(trunc(-2147483648.9, true, 32), Ok(0x8000_0000));
        assert_eq!(trunc(-2147483649.0, true, 32), Err(Overflow));
        assert_eq!(trunc(2147483647.9, true, 32), Ok(0x7FFF_FFFF));
        assert_eq!(trunc(2147483648.0, true, 32), Err(Overflow));
        assert_eq!(trunc(-1.9, true, 32), Ok(0xFFFF_FFFF));
        assert_eq!(
            trunc(f32::from_bits(0xCF00_0000) as f64, true, 32),
            Ok(0x8000_0000)
        );
        assert_eq!(
            trunc(f32::from_bits(0x4F00_0000) as f64, true, 32),
            Err(Overflow)
        );
        // u32
        assert_eq!(trunc(-0.9, false, 32), Ok(0));
        assert_eq!(trunc(-1.0, false, 32), Err(Overflow));
        assert_eq!(trunc(4294967295.9, false, 32), Ok(0xFFFF_FFFF));
        assert_eq!(trunc(4294967296.0, false, 32), Err(Overflow));
        // i64
        assert_eq!(
            trunc(-9223372036854775808.0, true, 64),
            Ok(0x8000_0000_0000_0000)
        );
        assert_eq!(trunc(9223372036854775808.0, true, 64), Err(Overflow));
        assert_eq!(trunc(-9223372036854777856.0, true, 64), Err(Overflow));
        assert_eq!(
            trunc(9223372036854774784.0, true, 64),
            Ok(0x7FFF_FFFF_FFFF_FC00)
        );
        assert_eq!(trunc(-1.0, true, 64), Ok(u64::MAX));
        // u64
        assert_eq!(
            trunc(18446744073709549568.0, false, 64),
            Ok(0xFFFF_FFFF_FFFF_F800)
        );
        assert_eq!(trunc(18446744073709551616.0, false, 64), Err(Overflow));
        assert_eq!(trunc(-0.99999, false, 64), Ok(0));
        // NaN and infinities
        assert_eq!(trunc(f64::NAN, true, 32), Err(InvalidConversion));
        assert_eq!(trunc(-f64::NAN, false, 64), Err(InvalidConversion));
        assert_eq!(trunc(f64::INFINITY, true, 64), Err(Overflow));
        assert_eq!(trunc(f64::NEG_INFINITY, false, 32), Err(Overflow));
        assert_eq!(Overflow.to_string(), "integer overflow");
        assert_eq!(
            InvalidConversion.to_string(),
            "invalid conversion to integer"
        );
    }

    #[test]
    fn trunc_sat_cases() {
        assert_eq!(trunc_sat(f64::NAN, true, 32), 0);
        assert_eq!(trunc_sat(-f64::NAN, false, 64), 0);
        assert_eq!(trunc_sat(f64::INFINITY, true, 32), 0x7FFF_FFFF);
        assert_eq!(trunc_sat(f64::NEG_INFINITY, true, 32), 0x8000_0000);
        assert_eq!(trunc_sat(f64::INFINITY, false, 32), 0xFFFF_FFFF);
        assert_eq!(trunc_sat(f64::NEG_INFINITY, false, 32), 0);
        assert_eq!(trunc_sat(f64::INFINITY, true, 64), i64::MAX as u64);
        assert_eq!(trunc_sat(f64::NEG_INFINITY, true, 64), i64::MIN as u64);
        assert_eq!(trunc_sat(f64::INFINITY, false, 64), u64::MAX);
        assert_eq!(trunc_sat(-1.5, false, 64), 0);
        assert_eq!(trunc_sat(-2147483649.0, true, 32), 0x8000_0000);
        assert_eq!(trunc_sat(2147483648.0, true, 32), 0x7FFF_FFFF);
        assert_eq!(trunc_sat(-2147483648.9, true, 32), 0x8000_0000);
        assert_eq!(trunc_sat(4294967296.0, false, 32), 0xFFFF_FFFF);
        assert_eq!(trunc_sat(-3.7, true, 32), (-3i32) as u32 as u64);
        assert_eq!(trunc_sat(1e30, true, 64), i64::MAX as u64);
    }
}
