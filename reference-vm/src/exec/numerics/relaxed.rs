//! Relaxed SIMD (spec: exec/numerics, "Relaxed Operations"; the relaxed-simd
//! proposal, opcodes `0xFD 0x100..=0x113`).
//!
//! The spec makes each relaxed operator depend on a *global parameter*
//! `R_op` chosen once by the implementation, an index into a list of allowed
//! behaviours; the *deterministic profile* fixes every parameter to 0. Each
//! parameter is an enum here whose discriminant is the spec's index, and a
//! [`RelaxedMode`] holds one choice per parameter:
//!
//! | parameter (field)   | ops | spec choices (index 0 first) |
//! |---------------------|-----|------------------------------|
//! | `madd`              | `f32x4/f64x2.relaxed_madd/nmadd` | unfused `fadd(fmul(a,b),c)`, fused `fma(a,b,c)` |
//! | `min_max`           | `f32x4/f64x2.relaxed_min/max` | `fmin/fmax`, first operand, second operand, the non-NaN operand / `-0` (min) `+0` (max) |
//! | `trunc_s`           | `i32x4.relaxed_trunc_f32x4_s`, `..._f64x2_s_zero` | `trunc_sat_s`, `INT32_MIN` |
//! | `trunc_u`           | `i32x4.relaxed_trunc_f32x4_u`, `..._f64x2_u_zero` | `trunc_sat_u`, `2^32-1`, `2^32-2`, `2^31` |
//! | `swizzle`           | `i8x16.relaxed_swizzle` | 0, `a[j mod 16]` (for `16 <= j < 128`) |
//! | `laneselect`        | `iNxM.relaxed_laneselect` | bitwise select, select by each lane's top bit |
//! | `q15mulr`           | `i16x8.relaxed_q15mulr_s` | saturate (`0x7FFF`), wrap (`0x8000`) for `-32768 * -32768` |
//! | `dot_operands`      | `relaxed_dot_i8x16_i7x16_s`, `..._add_s` | `b` signed, `b` unsigned |
//!
//! Choices not (or not yet) in the formal spec but accepted by the upstream
//! tests (`relaxed_dot_product.wast`) or produced by real lowerings are extra
//! variants after the spec's: [`RelaxedLaneselect::ByteTopBit`] (`pblendvb`
//! on 16-bit lanes), [`DotOperands::Unsigned`] (both operands unsigned) and [`DotSum::Wrap`] / [`DotSum::Exact`] (the spec saturates the
//! 16-bit pair sums, `ivdot_sat`; AArch64's `smull`+`addp` wraps them; x86
//! VNNI `vpdpbusd` has no 16-bit intermediate at all).
//!
//! The reference VM runs [`RelaxedMode::DETERMINISTIC`] unless `Config::relaxed_simd` says otherwise.
//! [`relaxed_permitted`] lists every result the allowed choices give for an
//! input and [`relaxed_accepts`] checks another engine's result against them,
//! comparing NaN lanes by the spec's NaN classes; both assume, as the spec
//! does, that one choice holds for all lanes of an instruction.

use super::float::{
    f32_add, f32_fma, f32_is_arithmetic_nan, f32_is_canonical_nan, f32_max, f32_min, f32_mul,
    f64_add, f64_fma, f64_is_arithmetic_nan, f64_is_canonical_nan, f64_max, f64_min, f64_mul,
    trunc_sat,
};
use super::v128::{Lane, bitselect, lanes, pack, q15mulr_sat};

/// `R_fmadd`: fused or unfused multiply-add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedMadd {
    /// 0: `fadd(fmul(a, b), c)`, two roundings (deterministic profile).
    Unfused = 0,
    /// 1: `fma(a, b, c)`, one rounding (x86 FMA3 `vfmadd`, AArch64 `fmla`).
    Fused = 1,
}

/// `R_fmin` / `R_fmax`: what `relaxed_min/max` returns for a NaN operand or
/// for zeros of opposite signs (all other inputs give `fmin` / `fmax`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedMinMax {
    /// 0: exactly `fmin` / `fmax` (deterministic profile; AArch64 `fmin`).
    Ieee = 0,
    /// 1: the first operand (the NaN if the first is a NaN).
    First = 1,
    /// 2: the second operand: x86 `minps a, b` / `maxps a, b`.
    Second = 2,
    /// 3: the operand that is not a NaN; `-0` for min, `+0` for max.
    NonNan = 3,
}

/// `R_trunc_s`: the result of `relaxed_trunc_*_s` for NaN or out-of-range lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedTruncS {
    /// 0: `trunc_sat_s` (NaN -> 0, saturate; deterministic; AArch64 `fcvtzs`).
    Saturate = 0,
    /// 1: `0x8000_0000` (x86 `cvttps2dq` "integer indefinite").
    IntMin = 1,
}

/// `R_trunc_u`: the result of `relaxed_trunc_*_u` for NaN or out-of-range lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedTruncU {
    /// 0: `trunc_sat_u` (NaN -> 0, saturate; deterministic; AArch64 `fcvtzu`).
    Saturate = 0,
    /// 1: `2^32 - 1` (x86 AVX-512 `vcvttps2udq`).
    AllOnes = 1,
    /// 2: `2^32 - 2`.
    AllOnesLessOne = 2,
    /// 3: `2^31`.
    HighBit = 3,
}

/// `R_swizzle`: the lane of `relaxed_swizzle` for an index `16 <= j < 128`
/// (indices with the top bit set always give 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedSwizzle {
    /// 0: zero, as `i8x16.swizzle` (deterministic; AArch64 `tbl`).
    Zero = 0,
    /// 1: `a[j mod 16]` (x86 `pshufb`, which only looks at bits 0-3 and 7).
    Modulo = 1,
}

/// `R_laneselect`: the mask `relaxed_laneselect` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedLaneselect {
    /// 0: every bit of the mask, as `v128.bitselect` (deterministic; AArch64 `bsl`).
    Bitwise = 0,
    /// 1: each lane's top bit, spread over the lane (x86 `pblendvb`/`blendvps`/`blendvpd`).
    TopBit = 1,
    /// Not in the formal spec; accepted by the upstream tests for `i16x8`:
    /// each byte by its own top bit (x86 `pblendvb` on 16-bit lanes).
    ByteTopBit = 2,
}

/// `R_iq15mulr`: `relaxed_q15mulr_s` of `-32768 * -32768` (the only overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RelaxedQ15mulr {
    /// 0: `0x7FFF`, as `q15mulr_sat_s` (deterministic; AArch64 `sqrdmulh`).
    Saturate = 0,
    /// 1: `0x8000` (x86 `pmulhrsw`).
    Wrap = 1,
}

/// `R_idot`: how `relaxed_dot_i8x16_i7x16_*` reads its 8-bit operands
/// (`a` is always signed in the spec; `b` is meant to be in `0..=127`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DotOperands {
    /// 0: `a` signed, `b` signed (deterministic; AArch64 `smull`/`sdot`).
    Signed = 0,
    /// 1: `a` signed, `b` unsigned (x86 `pmaddubsw b, a`, VNNI `vpdpbusd`).
    SignedUnsigned = 1,
    /// Not in the formal spec; accepted by the upstream tests: both unsigned.
    Unsigned = 2,
}

/// How the relaxed dot products sum the two 8x8-bit products of a 16-bit
/// lane. The formal spec (`ivdot_sat`) saturates; the others are extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DotSum {
    /// Saturate each pair sum to i16 (spec; x86 `pmaddubsw`).
    Saturate = 0,
    /// Wrap each pair sum to i16 (AArch64 `smull` + `addp`).
    Wrap = 1,
    /// No 16-bit intermediate in the `_add_s` form (x86 VNNI `vpdpbusd`);
    /// the 16-bit form wraps.
    Exact = 2,
}

macro_rules! all_variants {
    ($($t:ident: [$($v:ident),*];)*) => {$(
        impl $t {
            /// Every variant, the spec's index order first.
            pub const ALL: &'static [$t] = &[$($t::$v),*];
        }
    )*};
}
all_variants! {
    RelaxedMadd: [Unfused, Fused];
    RelaxedMinMax: [Ieee, First, Second, NonNan];
    RelaxedTruncS: [Saturate, IntMin];
    RelaxedTruncU: [Saturate, AllOnes, AllOnesLessOne, HighBit];
    RelaxedSwizzle: [Zero, Modulo];
    RelaxedLaneselect: [Bitwise, TopBit, ByteTopBit];
    RelaxedQ15mulr: [Saturate, Wrap];
    DotOperands: [Signed, SignedUnsigned, Unsigned];
    DotSum: [Saturate, Wrap, Exact];
}

/// One choice for every relaxed-SIMD parameter (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelaxedMode {
    /// `R_fmadd`.
    pub madd: RelaxedMadd,
    /// `R_fmin` and `R_fmax`.
    pub min_max: RelaxedMinMax,
    /// `R_trunc_s`.
    pub trunc_s: RelaxedTruncS,
    /// `R_trunc_u`.
    pub trunc_u: RelaxedTruncU,
    /// `R_swizzle`.
    pub swizzle: RelaxedSwizzle,
    /// `R_laneselect`.
    pub laneselect: RelaxedLaneselect,
    /// `R_iq15mulr`.
    pub q15mulr: RelaxedQ15mulr,
    /// `R_idot`.
    pub dot_operands: DotOperands,
    /// Pair-sum rule of the dot products (formal spec: saturate).
    pub dot_sum: DotSum,
}

/// Named [`RelaxedMode`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelaxedPreset {
    /// The spec's deterministic profile: every parameter 0.
    Deterministic,
    /// What an x86-64 engine (SSE4.1 + FMA3, as V8 and Wasmtime lower
    /// relaxed SIMD) computes.
    X86,
    /// What an AArch64 engine (NEON) computes.
    Arm64,
}

impl RelaxedMode {
    /// The deterministic profile (spec: every `R` is 0): each relaxed
    /// operator behaves as its non-relaxed counterpart.
    pub const DETERMINISTIC: RelaxedMode = RelaxedMode {
        madd: RelaxedMadd::Unfused,
        min_max: RelaxedMinMax::Ieee,
        trunc_s: RelaxedTruncS::Saturate,
        trunc_u: RelaxedTruncU::Saturate,
        swizzle: RelaxedSwizzle::Zero,
        laneselect: RelaxedLaneselect::Bitwise,
        q15mulr: RelaxedQ15mulr::Saturate,
        dot_operands: DotOperands::Signed,
        dot_sum: DotSum::Saturate,
    };

    /// x86-64: `vfmadd` (fused), `minps/maxps a, b` (second operand on NaN
    /// or ±0), `cvttps2dq` (`INT32_MIN`), unsigned truncation giving
    /// `UINT32_MAX` (AVX-512 `vcvttps2udq`), `pshufb` (index mod 16 unless
    /// bit 7 is set), `blendv*` (top bit; engines that use `pblendvb` for
    /// `i16x8` give [`RelaxedLaneselect::ByteTopBit`] there, which
    /// [`relaxed_accepts`] also allows), `pmulhrsw` (wraps to `0x8000`),
    /// `pmaddubsw` (`b` unsigned, saturating pair sums).
    pub const X86: RelaxedMode = RelaxedMode {
        madd: RelaxedMadd::Fused,
        min_max: RelaxedMinMax::Second,
        trunc_s: RelaxedTruncS::IntMin,
        trunc_u: RelaxedTruncU::AllOnes,
        swizzle: RelaxedSwizzle::Modulo,
        laneselect: RelaxedLaneselect::TopBit,
        q15mulr: RelaxedQ15mulr::Wrap,
        dot_operands: DotOperands::SignedUnsigned,
        dot_sum: DotSum::Saturate,
    };

    /// AArch64: `fmla` (fused), `fmin/fmax` (IEEE), `fcvtzs/fcvtzu`
    /// (saturating), `tbl` (0 out of range), `bsl` (bitwise), `sqrdmulh`
    /// (saturating), `smull` + `addp` (signed, wrapping pair sums).
    pub const ARM64: RelaxedMode = RelaxedMode {
        madd: RelaxedMadd::Fused,
        min_max: RelaxedMinMax::Ieee,
        trunc_s: RelaxedTruncS::Saturate,
        trunc_u: RelaxedTruncU::Saturate,
        swizzle: RelaxedSwizzle::Zero,
        laneselect: RelaxedLaneselect::Bitwise,
        q15mulr: RelaxedQ15mulr::Saturate,
        dot_operands: DotOperands::Signed,
        dot_sum: DotSum::Wrap,
    };

    /// The mode of a preset.
    pub const fn preset(p: RelaxedPreset) -> RelaxedMode {
        match p {
            RelaxedPreset::Deterministic => Self::DETERMINISTIC,
            RelaxedPreset::X86 => Self::X86,
            RelaxedPreset::Arm64 => Self::ARM64,
        }
    }
}

impl Default for RelaxedMode {
    fn default() -> Self {
        Self::DETERMINISTIC
    }
}

/// Whether `op` is a relaxed-SIMD sub-opcode (`0x100..=0x113`).
pub fn is_relaxed(op: u32) -> bool {
    (0x100..=0x113).contains(&op)
}

/// Number of v128 operands of a relaxed op (1, 2 or 3), 0 if not relaxed.
pub fn arity(op: u32) -> usize {
    match op {
        0x101..=0x104 => 1,
        0x100 | 0x10D..=0x112 => 2,
        0x105..=0x10C | 0x113 => 3,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------
// Float lanes
// ---------------------------------------------------------------------------

/// A float lane type, with the scalar rules of [`super::float`].
trait Fl: Lane + PartialEq {
    const SIGN: u64;
    fn bits(self) -> u64;
    fn of_bits(b: u64) -> Self;
    fn nan(self) -> bool;
    fn canonical(self) -> bool;
    fn arithmetic(self) -> bool;
    fn fmin(a: Self, b: Self) -> Self;
    fn fmax(a: Self, b: Self) -> Self;
    fn fmul(a: Self, b: Self) -> Self;
    fn fadd(a: Self, b: Self) -> Self;
    fn ffma(a: Self, b: Self, c: Self) -> Self;
    fn zero(neg: bool) -> Self {
        Self::of_bits(if neg { Self::SIGN } else { 0 })
    }
    fn neg(self) -> Self {
        Self::of_bits(self.bits() ^ Self::SIGN)
    }
}

impl Fl for f32 {
    const SIGN: u64 = 0x8000_0000;
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn of_bits(b: u64) -> Self {
        f32::from_bits(b as u32)
    }
    fn nan(self) -> bool {
        self.is_nan()
    }
    fn canonical(self) -> bool {
        f32_is_canonical_nan(self.to_bits())
    }
    fn arithmetic(self) -> bool {
        f32_is_arithmetic_nan(self.to_bits())
    }
    fn fmin(a: Self, b: Self) -> Self {
        f32_min(a, b)
    }
    fn fmax(a: Self, b: Self) -> Self {
        f32_max(a, b)
    }
    fn fmul(a: Self, b: Self) -> Self {
        f32_mul(a, b)
    }
    fn fadd(a: Self, b: Self) -> Self {
        f32_add(a, b)
    }
    fn ffma(a: Self, b: Self, c: Self) -> Self {
        f32_fma(a, b, c)
    }
}

impl Fl for f64 {
    const SIGN: u64 = 0x8000_0000_0000_0000;
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn of_bits(b: u64) -> Self {
        f64::from_bits(b)
    }
    fn nan(self) -> bool {
        self.is_nan()
    }
    fn canonical(self) -> bool {
        f64_is_canonical_nan(self.to_bits())
    }
    fn arithmetic(self) -> bool {
        f64_is_arithmetic_nan(self.to_bits())
    }
    fn fmin(a: Self, b: Self) -> Self {
        f64_min(a, b)
    }
    fn fmax(a: Self, b: Self) -> Self {
        f64_max(a, b)
    }
    fn fmul(a: Self, b: Self) -> Self {
        f64_mul(a, b)
    }
    fn fadd(a: Self, b: Self) -> Self {
        f64_add(a, b)
    }
    fn ffma(a: Self, b: Self, c: Self) -> Self {
        f64_fma(a, b, c)
    }
}

/// exec: `frelaxed_madd` (and `frelaxed_nmadd` = `frelaxed_madd(-a, b, c)`).
fn madd_lane<T: Fl>(a: T, b: T, c: T, neg: bool, m: RelaxedMadd) -> T {
    let a = if neg { a.neg() } else { a };
    match m {
        RelaxedMadd::Unfused => T::fadd(T::fmul(a, b), c),
        RelaxedMadd::Fused => T::ffma(a, b, c),
    }
}

/// exec: `frelaxed_min` / `frelaxed_max`.
fn min_max_lane<T: Fl>(z1: T, z2: T, max: bool, m: RelaxedMinMax) -> T {
    use RelaxedMinMax::*;
    let det = if max {
        T::fmax(z1, z2)
    } else {
        T::fmin(z1, z2)
    };
    if z1.nan() {
        match m {
            Ieee => det,
            First => z1,
            Second | NonNan => z2,
        }
    } else if z2.nan() {
        match m {
            Ieee => det,
            First | NonNan => z1,
            Second => z2,
        }
    } else if z1 == z2 && z1.bits() != z2.bits() {
        // Zeros of opposite signs.
        match m {
            Ieee => det,
            First => z1,
            Second => z2,
            NonNan => T::zero(!max),
        }
    } else {
        det
    }
}

fn map3<T: Fl, const N: usize>(a: u128, b: u128, c: u128, f: impl Fn(T, T, T) -> T) -> u128 {
    let (x, y, z) = (lanes::<T, N>(a), lanes::<T, N>(b), lanes::<T, N>(c));
    pack::<T, N>(core::array::from_fn(|i| f(x[i], y[i], z[i])))
}

// ---------------------------------------------------------------------------
// Integer lanes
// ---------------------------------------------------------------------------

/// exec: `irelaxed_swizzle`.
fn swizzle(a: u128, s: u128, m: RelaxedSwizzle) -> u128 {
    let (x, s) = (lanes::<u8, 16>(a), lanes::<u8, 16>(s));
    pack::<u8, 16>(s.map(|j| match j {
        0..16 => x[j as usize],
        128.. => 0,
        _ => match m {
            RelaxedSwizzle::Zero => 0,
            RelaxedSwizzle::Modulo => x[(j & 15) as usize],
        },
    }))
}

/// exec: `relaxed_trunc_s` / `relaxed_trunc_u` of one lane to 32 bits.
fn trunc_lane(z: f64, signed: bool, m: &RelaxedMode) -> u32 {
    let t = z.trunc();
    let (lo, hi) = if signed {
        (-2147483648.0, 2147483648.0)
    } else {
        (0.0, 4294967296.0)
    };
    if t >= lo && t < hi {
        return trunc_sat(z, signed, 32) as u32;
    }
    if signed {
        match m.trunc_s {
            RelaxedTruncS::Saturate => trunc_sat(z, true, 32) as u32,
            RelaxedTruncS::IntMin => 0x8000_0000,
        }
    } else {
        match m.trunc_u {
            RelaxedTruncU::Saturate => trunc_sat(z, false, 32) as u32,
            RelaxedTruncU::AllOnes => 0xFFFF_FFFF,
            RelaxedTruncU::AllOnesLessOne => 0xFFFF_FFFE,
            RelaxedTruncU::HighBit => 0x8000_0000,
        }
    }
}

/// Each `w`-bit lane of `c` replaced by its top bit, spread over the lane.
fn top_bit_mask(c: u128, w: u32) -> u128 {
    (0..128 / w).fold(0u128, |k, i| {
        let top = (c >> (i * w + w - 1)) & 1;
        k | ((top * ((1u128 << w) - 1)) << (i * w))
    })
}

/// exec: `irelaxed_laneselect` for lanes of `w` bits.
fn laneselect(a: u128, b: u128, c: u128, w: u32, m: RelaxedLaneselect) -> u128 {
    let mask = match m {
        RelaxedLaneselect::Bitwise => c,
        RelaxedLaneselect::TopBit => top_bit_mask(c, w),
        RelaxedLaneselect::ByteTopBit => top_bit_mask(c, 8),
    };
    bitselect(a, b, mask)
}

/// exec: `irelaxed_q15mulr_s`.
fn q15mulr(a: u128, b: u128, m: RelaxedQ15mulr) -> u128 {
    let (x, y) = (lanes::<i16, 8>(a), lanes::<i16, 8>(b));
    pack::<i16, 8>(core::array::from_fn(|i| {
        if x[i] == i16::MIN && y[i] == i16::MIN && m == RelaxedQ15mulr::Wrap {
            i16::MIN
        } else {
            q15mulr_sat(x[i], y[i])
        }
    }))
}

/// exec: `irelaxed_dot_mul` of every byte lane, as exact i32 products.
fn dot_products(a: u128, b: u128, m: DotOperands) -> [i32; 16] {
    let (xs, ys) = (lanes::<i8, 16>(a), lanes::<i8, 16>(b));
    let (xu, yu) = (lanes::<u8, 16>(a), lanes::<u8, 16>(b));
    core::array::from_fn(|i| match m {
        DotOperands::Signed => xs[i] as i32 * ys[i] as i32,
        DotOperands::SignedUnsigned => xs[i] as i32 * yu[i] as i32,
        DotOperands::Unsigned => xu[i] as i32 * yu[i] as i32,
    })
}

/// The 16-bit pair sum of the dot products.
fn pair16(s: i32, m: DotSum) -> i32 {
    match m {
        DotSum::Saturate => s.clamp(i16::MIN as i32, i16::MAX as i32),
        DotSum::Wrap | DotSum::Exact => s as i16 as i32,
    }
}

/// exec: `i16x8.relaxed_dot_i8x16_i7x16_s` (`ivdot_sat` over `irelaxed_dot_mul`).
fn dot16(a: u128, b: u128, m: &RelaxedMode) -> u128 {
    let p = dot_products(a, b, m.dot_operands);
    pack::<i16, 8>(core::array::from_fn(|i| {
        pair16(p[2 * i] + p[2 * i + 1], m.dot_sum) as i16
    }))
}

/// exec: `i32x4.relaxed_dot_i8x16_i7x16_add_s`: the 16-bit relaxed dot,
/// `extadd_pairwise_s` to 32 bits, plus `c` (wrapping).
fn dot32_add(a: u128, b: u128, c: u128, m: &RelaxedMode) -> u128 {
    let p = dot_products(a, b, m.dot_operands);
    let acc = lanes::<i32, 4>(c);
    pack::<i32, 4>(core::array::from_fn(|i| {
        let q = &p[4 * i..4 * i + 4];
        let s = match m.dot_sum {
            DotSum::Exact => q[0] + q[1] + q[2] + q[3],
            sum => pair16(q[0] + q[1], sum) + pair16(q[2] + q[3], sum),
        };
        s.wrapping_add(acc[i])
    }))
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// exec: a relaxed-SIMD instruction under `mode`. Operands are in stack
/// order (`a` deepest); unary ops use `a`, binary `a, b`, ternary `a, b, c`;
/// unused operands are ignored. A non-relaxed `op` gives 0 (debug-asserted).
pub fn eval(op: u32, a: u128, b: u128, c: u128, mode: &RelaxedMode) -> u128 {
    match op {
        0x100 => swizzle(a, b, mode.swizzle),
        0x101 | 0x102 => {
            let signed = op == 0x101;
            pack::<u32, 4>(lanes::<f32, 4>(a).map(|z| trunc_lane(z as f64, signed, mode)))
        }
        0x103 | 0x104 => {
            let signed = op == 0x103;
            let x = lanes::<f64, 2>(a);
            pack::<u32, 4>([
                trunc_lane(x[0], signed, mode),
                trunc_lane(x[1], signed, mode),
                0,
                0,
            ])
        }
        0x105 | 0x106 => map3::<f32, 4>(a, b, c, |x, y, z| {
            madd_lane(x, y, z, op == 0x106, mode.madd)
        }),
        0x107 | 0x108 => map3::<f64, 2>(a, b, c, |x, y, z| {
            madd_lane(x, y, z, op == 0x108, mode.madd)
        }),
        0x109 => laneselect(a, b, c, 8, mode.laneselect),
        0x10A => laneselect(a, b, c, 16, mode.laneselect),
        0x10B => laneselect(a, b, c, 32, mode.laneselect),
        0x10C => laneselect(a, b, c, 64, mode.laneselect),
        0x10D | 0x10E => map3::<f32, 4>(a, b, 0, |x, y, _| {
            min_max_lane(x, y, op == 0x10E, mode.min_max)
        }),
        0x10F | 0x110 => map3::<f64, 2>(a, b, 0, |x, y, _| {
            min_max_lane(x, y, op == 0x110, mode.min_max)
        }),
        0x111 => q15mulr(a, b, mode.q15mulr),
        0x112 => dot16(a, b, mode),
        0x113 => dot32_add(a, b, c, mode),
        _ => {
            debug_assert!(false, "relaxed::eval: 0x{op:x} is not a relaxed op");
            0
        }
    }
}

/// The modes that differ in the parameter(s) `op` depends on, starting with
/// the deterministic profile.
fn modes_for(op: u32) -> Vec<RelaxedMode> {
    let d = RelaxedMode::DETERMINISTIC;
    match op {
        0x100 => RelaxedSwizzle::ALL
            .iter()
            .map(|&swizzle| RelaxedMode { swizzle, ..d })
            .collect(),
        0x101 | 0x103 => RelaxedTruncS::ALL
            .iter()
            .map(|&trunc_s| RelaxedMode { trunc_s, ..d })
            .collect(),
        0x102 | 0x104 => RelaxedTruncU::ALL
            .iter()
            .map(|&trunc_u| RelaxedMode { trunc_u, ..d })
            .collect(),
        0x105..=0x108 => RelaxedMadd::ALL
            .iter()
            .map(|&madd| RelaxedMode { madd, ..d })
            .collect(),
        0x109..=0x10C => RelaxedLaneselect::ALL
            .iter()
            .map(|&laneselect| RelaxedMode { laneselect, ..d })
            .collect(),
        0x10D..=0x110 => RelaxedMinMax::ALL
            .iter()
            .map(|&min_max| RelaxedMode { min_max, ..d })
            .collect(),
        0x111 => RelaxedQ15mulr::ALL
            .iter()
            .map(|&q15mulr| RelaxedMode { q15mulr, ..d })
            .collect(),
        0x112 | 0x113 => DotOperands::ALL
            .iter()
            .flat_map(|&dot_operands| {
                DotSum::ALL.iter().map(move |&dot_sum| RelaxedMode {
                    dot_operands,
                    dot_sum,
                    ..d
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Every result a relaxed instruction may give for these operands: one per
/// allowed choice of its parameter (deduplicated, the deterministic result
/// first). Empty for a non-relaxed `op`.
///
/// Float lanes that are NaN hold one representative NaN (ours); for a check
/// of another engine's result that honours the spec's NaN classes use
/// [`relaxed_accepts`].
pub fn relaxed_permitted(op: u32, a: u128, b: u128, c: u128) -> Vec<u128> {
    let mut out: Vec<u128> = Vec::new();
    for m in modes_for(op) {
        let r = eval(op, a, b, c, &m);
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// Whether `result` is a result the spec allows for relaxed instruction `op`
/// on these operands, for some single choice of its parameter. Integer
/// results must match exactly; a float lane whose allowed value is a NaN from
/// `fadd`/`fmul`/`fma`/`fmin`/`fmax` matches any NaN of the spec's class
/// (canonical if every NaN operand of that lane is canonical, else
/// arithmetic), and a lane whose allowed value is an operand NaN returned as
/// it is (`relaxed_min/max` choices 1-3) matches that NaN with either sign.
pub fn relaxed_accepts(op: u32, a: u128, b: u128, c: u128, result: u128) -> bool {
    match op {
        0x105 | 0x106 => accepts_float::<f32, 4>(op, a, b, c, result),
        0x107 | 0x108 => accepts_float::<f64, 2>(op, a, b, c, result),
        0x10D | 0x10E => accepts_float::<f32, 4>(op, a, b, c, result),
        0x10F | 0x110 => accepts_float::<f64, 2>(op, a, b, c, result),
        _ => relaxed_permitted(op, a, b, c).contains(&result),
    }
}

/// The float-lane form of [`relaxed_accepts`].
fn accepts_float<T: Fl, const N: usize>(op: u32, a: u128, b: u128, c: u128, result: u128) -> bool {
    let (x, y, z, r) = (
        lanes::<T, N>(a),
        lanes::<T, N>(b),
        lanes::<T, N>(c),
        lanes::<T, N>(result),
    );
    let is_madd = (0x105..=0x108).contains(&op);
    let is_max = matches!(op, 0x10E | 0x110);
    modes_for(op).iter().any(|m| {
        (0..N).all(|i| {
            let (want, spec_nan) = if is_madd {
                let neg = matches!(op, 0x106 | 0x108);
                (madd_lane(x[i], y[i], z[i], neg, m.madd), true)
            } else {
                (
                    min_max_lane(x[i], y[i], is_max, m.min_max),
                    m.min_max == RelaxedMinMax::Ieee,
                )
            };
            let got = r[i];
            if !want.nan() {
                return got.bits() == want.bits();
            }
            if !got.nan() {
                return false;
            }
            if spec_nan {
                // nans{operands}: canonical iff every NaN operand is.
                let ops: &[T] = if is_madd {
                    &[x[i], y[i], z[i]]
                } else {
                    &[x[i], y[i]]
                };
                let canon_only = ops.iter().all(|o| !o.nan() || o.canonical());
                if canon_only {
                    got.canonical()
                } else {
                    got.arithmetic()
                }
            } else {
                (got.bits() | T::SIGN) == (want.bits() | T::SIGN)
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::v128::tests::{f32x4, f64x2, i8x16, i16x8, i32x4, i64x2};
    use super::super::v128::{binary, ternary, unary};
    use super::*;

    const D: RelaxedMode = RelaxedMode::DETERMINISTIC;

    #[test]
    fn deterministic_dispatch_matches_eval() {
        let a = i8x16([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let s = i8x16([
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        ]);
        assert_eq!(binary(0x100, a, s), 0);
        assert_eq!(eval(0x100, a, s, 0, &RelaxedMode::X86), a);
        assert_eq!(unary(0x101, f32x4([f32::NAN; 4])), 0);
        assert_eq!(ternary(0x109, u128::MAX, 0, 0x0F), 0x0F);
    }

    #[test]
    fn swizzle_cases() {
        // i8x16_relaxed_swizzle.wast
        let a = i8x16([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let s = i8x16([
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        ]);
        assert_eq!(relaxed_permitted(0x100, a, s, 0), vec![0, a]);
        let hi = i8x16([
            128, 129, 130, 131, 132, 133, 134, 135, 248, 249, 250, 251, 252, 253, 254, 255,
        ]);
        assert_eq!(relaxed_permitted(0x100, a, hi, 0), vec![0]);
        assert_eq!(relaxed_permitted(0x100, a, a, 0), vec![a]);
        assert!(relaxed_accepts(0x100, a, s, 0, a));
        assert!(!relaxed_accepts(0x100, a, s, 0, 1));
    }

    #[test]
    fn trunc_cases() {
        // i32x4_relaxed_trunc.wast (upstream relaxed-simd tests)
        let v = f32x4([-2147483648.0, -2147483904.0, 2.0, 2147483904.0]);
        let p = relaxed_permitted(0x101, v, 0, 0);
        assert_eq!(
            p,
            vec![
                i32x4([i32::MIN as i64, i32::MIN as i64, 2, i32::MAX as i64]),
                i32x4([i32::MIN as i64, i32::MIN as i64, 2, i32::MIN as i64]),
            ]
        );
        let nans = pack::<u32, 4>([0x7FC0_0000, 0xFFC0_0000, 0x7FC4_4444, 0xFFC4_4444]);
        assert_eq!(
            relaxed_permitted(0x101, nans, 0, 0),
            vec![0, i32x4([i32::MIN as i64; 4])]
        );
        let v = f32x4([0.0, -1.0, 4294967040.0, 4294967296.0]);
        let p = relaxed_permitted(0x102, v, 0, 0);
        assert!(p.contains(&i32x4([0, 0, 4294967040, 0xFFFF_FFFF])));
        assert!(p.contains(&i32x4([0, 0xFFFF_FFFF, 4294967040, 0xFFFF_FFFF])));
        assert_eq!(p[0], i32x4([0, 0, 4294967040, 0xFFFF_FFFF]));
        assert_eq!(p.len(), 4);
        let p = relaxed_permitted(0x102, nans, 0, 0);
        assert!(p.contains(&0) && p.contains(&u128::MAX));
        // f64x2 _zero forms: upper lanes are zero
        let v = f64x2([f64::NAN, -1.5]);
        assert_eq!(
            relaxed_permitted(0x103, v, 0, 0),
            vec![i32x4([0, -1, 0, 0]), i32x4([i32::MIN as i64, -1, 0, 0])]
        );
        let v = f64x2([4294967295.5, -0.5]);
        assert_eq!(
            relaxed_permitted(0x104, v, 0, 0),
            vec![i32x4([0xFFFF_FFFF, 0, 0, 0])]
        );
        let v = f64x2([-2147483648.5, 2147483647.9]);
        assert_eq!(
            relaxed_permitted(0x103, v, 0, 0),
            vec![i32x4([i32::MIN as i64, i32::MAX as i64, 0, 0])]
        );
    }

    #[test]
    fn q15_cases() {
        // i16x8_relaxed_q15mulr_s.wast
        let a = i16x8([-32768, -32767, 32767, 0, 0, 0, 0, 0]);
        let b = i16x8([-32768, -32768, 32767, 0, 0, 0, 0, 0]);
        assert_eq!(
            relaxed_permitted(0x111, a, b, 0),
            vec![
                i16x8([32767, 32767, 32766, 0, 0, 0, 0, 0]),
                i16x8([-32768, 32767, 32766, 0, 0, 0, 0, 0]),
            ]
        );
        assert_eq!(
            eval(0x111, a, b, 0, &RelaxedMode::X86),
            i16x8([-32768, 32767, 32766, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn laneselect_cases() {
        // relaxed_laneselect.wast
        let a = i8x16([0, 1, 0x12, 0x12, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let b = i8x16([
            16, 17, 0x34, 0x34, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        ]);
        let m = i8x16([0xFF, 0, 0xF0, 0x0F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            relaxed_permitted(0x109, a, b, m),
            vec![
                i8x16([
                    0, 17, 0x14, 0x32, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
                ]),
                i8x16([
                    0, 17, 0x12, 0x34, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
                ]),
            ]
        );
        let a = i16x8([0, 1, 0x1234, 0x1234, 4, 5, 6, 7]);
        let b = i16x8([8, 9, 0x5678, 0x5678, 12, 13, 14, 15]);
        let m = i16x8([0xFFFF, 0, 0xFF00, 0x00FF, 0, 0, 0, 0]);
        assert_eq!(
            relaxed_permitted(0x10A, a, b, m),
            vec![
                i16x8([0, 9, 0x1278, 0x5634, 12, 13, 14, 15]),
                i16x8([0, 9, 0x1234, 0x5678, 12, 13, 14, 15]),
            ]
        );
        let m = i16x8([0xFFFF, 0, 0xFF00, 0x0080, 0, 0, 0, 0]);
        for r in [
            i16x8([0, 9, 0x1278, 0x5678, 12, 13, 14, 15]),
            i16x8([0, 9, 0x1234, 0x5678, 12, 13, 14, 15]),
            i16x8([0, 9, 0x1278, 0x5634, 12, 13, 14, 15]),
        ] {
            assert!(relaxed_accepts(0x10A, a, b, m, r));
        }
        let a = i32x4([0, 1, 0x12341234, 0x12341234]);
        let b = i32x4([4, 5, 0x56785678, 0x56785678]);
        let m = i32x4([0xFFFFFFFF, 0, 0xFFFF0000, 0x0000FFFF]);
        assert_eq!(
            relaxed_permitted(0x10B, a, b, m),
            vec![
                i32x4([0, 5, 0x12345678, 0x56781234]),
                i32x4([0, 5, 0x12341234, 0x56785678])
            ]
        );
        let a = i64x2([0x1234123412341234, 0x1234123412341234]);
        let b = i64x2([0x5678567856785678, 0x5678567856785678]);
        let m = i64x2([0xFFFFFFFF00000000u64 as i128, 0x00000000FFFFFFFF]);
        assert_eq!(
            relaxed_permitted(0x10C, a, b, m),
            vec![
                i64x2([0x1234123456785678, 0x5678567812341234]),
                i64x2([0x1234123412341234, 0x5678567856785678]),
            ]
        );
    }

    #[test]
    fn dot_cases() {
        // relaxed_dot_product.wast
        let v = i8x16([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        assert_eq!(
            binary(0x112, v, v),
            i16x8([1, 13, 41, 85, 145, 221, 313, 421])
        );
        assert_eq!(relaxed_permitted(0x112, v, v, 0).len(), 1);
        let a = i8x16([-128, -128, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let b = i8x16([127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            binary(0x112, a, b),
            i16x8([-32512, 32258, 0, 0, 0, 0, 0, 0])
        );
        // With b in 0..=127 the spec's choices agree.
        assert_eq!(eval(0x112, a, b, 0, &RelaxedMode::X86), binary(0x112, a, b));
        assert_eq!(
            eval(0x112, a, b, 0, &RelaxedMode::ARM64),
            binary(0x112, a, b)
        );
        let a = i8x16([-128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let b = i8x16([-127, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for r in [-32768, 32512, 33024] {
            assert!(
                relaxed_accepts(0x112, a, b, 0, i16x8([r, 0, 0, 0, 0, 0, 0, 0])),
                "{r}"
            );
        }
        assert_eq!(binary(0x112, a, b), i16x8([32512, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(
            eval(0x112, a, b, 0, &RelaxedMode::X86),
            i16x8([-32768, 0, 0, 0, 0, 0, 0, 0])
        );
        // i32x4 add form
        let c = i32x4([0, 1, 2, 3]);
        assert_eq!(ternary(0x113, v, v, c), i32x4([14, 127, 368, 737]));
        let a = i8x16([
            -128, -128, -128, -128, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        let b = i8x16([
            127, 127, 127, 127, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        let c = i32x4([1, 2, 3, 4]);
        assert_eq!(ternary(0x113, a, b, c), i32x4([-65023, 64518, 3, 4]));
        assert_eq!(
            eval(0x113, a, b, c, &RelaxedMode::X86),
            i32x4([-65023, 64518, 3, 4])
        );
        assert_eq!(
            eval(0x113, a, b, c, &RelaxedMode::ARM64),
            i32x4([-65023, 64518, 3, 4])
        );
        let a = i8x16([-128, -128, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let b = i8x16([-127, -127, -127, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for r in [-66047, -65535, 65025, 66049] {
            assert!(relaxed_accepts(0x113, a, b, c, i32x4([r, 2, 3, 4])), "{r}");
        }
        assert_eq!(ternary(0x113, a, b, c), i32x4([65025, 2, 3, 4]));
        assert_eq!(
            eval(0x113, a, b, c, &RelaxedMode::X86),
            i32x4([-65535, 2, 3, 4])
        );
        assert!(!relaxed_accepts(0x113, a, b, c, i32x4([0, 2, 3, 4])));
        // all -128: signed saturates to 32767 per pair (spec), wraps on Arm64
        let m = i8x16([-128; 16]);
        assert_eq!(binary(0x112, m, m), i16x8([32767; 8]));
        assert_eq!(
            eval(0x112, m, m, 0, &RelaxedMode::ARM64),
            i16x8([-32768; 8])
        );
    }

    #[test]
    fn madd_cases() {
        // relaxed_madd_nmadd.wast: FLT_MAX * 2 - FLT_MAX
        let fmax = f32::MAX;
        let a = f32x4([fmax; 4]);
        let b = f32x4([2.0; 4]);
        let c = f32x4([-fmax; 4]);
        let p = relaxed_permitted(0x105, a, b, c);
        assert_eq!(p, vec![f32x4([f32::INFINITY; 4]), f32x4([fmax; 4])]);
        assert_eq!(
            eval(0x106, a, b, f32x4([fmax; 4]), &D),
            f32x4([f32::NEG_INFINITY; 4])
        );
        // x = 0x1.000004p+0, y = 0x1.0002p+0, z = -0x1.000204p+0: 0 or 2^-37
        let (x, y, z) = (
            f32::from_bits(0x3F80_0002),
            f32::from_bits(0x3F80_0100),
            f32::from_bits(0xBF80_0102),
        );
        let both = vec![f32x4([0.0; 4]), f32x4([f32::powi(2.0, -37); 4])];
        assert_eq!(
            relaxed_permitted(0x105, f32x4([x; 4]), f32x4([y; 4]), f32x4([z; 4])),
            both
        );
        assert_eq!(
            relaxed_permitted(0x106, f32x4([-x; 4]), f32x4([y; 4]), f32x4([z; 4])),
            both
        );
        assert_eq!(
            relaxed_permitted(0x106, f32x4([x; 4]), f32x4([-y; 4]), f32x4([z; 4])),
            both
        );
        // x = 0x1.00000004p+0, y = 0x1.000002p+0, z = -0x1.00000204p+0: 0 or 2^-53
        let x = f64::from_bits(0x3FF0_0000_0040_0000);
        let y = f64::from_bits(0x3FF0_0000_2000_0000);
        let z = f64::from_bits(0xBFF0_0000_2040_0000);
        let both = vec![f64x2([0.0; 2]), f64x2([f64::powi(2.0, -53); 2])];
        assert_eq!(
            relaxed_permitted(0x107, f64x2([x; 2]), f64x2([y; 2]), f64x2([z; 2])),
            both
        );
        assert_eq!(
            relaxed_permitted(0x108, f64x2([-x; 2]), f64x2([y; 2]), f64x2([z; 2])),
            both
        );
        assert_eq!(
            relaxed_permitted(0x108, f64x2([x; 2]), f64x2([-y; 2]), f64x2([z; 2])),
            both
        );
        let m = f64::MAX;
        assert_eq!(
            relaxed_permitted(0x107, f64x2([m; 2]), f64x2([2.0; 2]), f64x2([-m; 2])),
            vec![f64x2([f64::INFINITY; 2]), f64x2([m; 2])]
        );
        // NaN classes
        let n = f32x4([f32::from_bits(0x7FA0_0000), 1.0, f32::INFINITY, 1.0]);
        let o = f32x4([1.0, 1.0, 0.0, 1.0]);
        let got = pack::<u32, 4>([0x7FF0_0000, 0x4000_0000, 0xFFC0_0000, 0x4000_0000]);
        assert!(relaxed_accepts(0x105, n, o, o, got));
        let bad = pack::<u32, 4>([0x7FF0_0000, 0x4000_0000, 0xFFC0_0001, 0x4000_0000]);
        assert!(!relaxed_accepts(0x105, n, o, o, bad));
    }

    #[test]
    fn min_max_cases() {
        // relaxed_min_max.wast
        let n = f32::from_bits(0xFFC0_0000); // -nan
        let p = f32::from_bits(0x7FC0_0000); // nan
        let a = f32x4([n, p, 0.0, 0.0]);
        let b = f32x4([0.0, 0.0, n, p]);
        let cn = 0x7FC0_0000u32;
        for (op, lanes4) in [
            (
                0x10D,
                [
                    [cn, cn, cn, cn],
                    [cn, cn, 0, 0],
                    [0, 0, cn, cn],
                    [0, 0, 0, 0],
                ],
            ),
            (
                0x10E,
                [
                    [cn, cn, cn, cn],
                    [cn, cn, 0, 0],
                    [0, 0, cn, cn],
                    [0, 0, 0, 0],
                ],
            ),
        ] {
            for l in lanes4 {
                assert!(
                    relaxed_accepts(op, a, b, 0, pack::<u32, 4>(l)),
                    "{op:x} {l:x?}"
                );
            }
            assert!(!relaxed_accepts(
                op,
                a,
                b,
                0,
                pack::<u32, 4>([cn, 0, cn, 0])
            ));
            assert_eq!(relaxed_permitted(op, a, b, 0).len(), 4);
        }
        let a = f32x4([0.0, -0.0, 0.0, -0.0]);
        let b = f32x4([-0.0, 0.0, 0.0, -0.0]);
        let min_ok = [
            f32x4([-0.0, -0.0, 0.0, -0.0]),
            f32x4([0.0, -0.0, 0.0, -0.0]),
            f32x4([-0.0, 0.0, 0.0, -0.0]),
        ];
        for r in min_ok {
            assert!(relaxed_accepts(0x10D, a, b, 0, r));
        }
        assert!(!relaxed_accepts(
            0x10D,
            a,
            b,
            0,
            f32x4([0.0, 0.0, 0.0, -0.0])
        ));
        let max_ok = [
            f32x4([0.0, 0.0, 0.0, -0.0]),
            f32x4([0.0, -0.0, 0.0, -0.0]),
            f32x4([-0.0, 0.0, 0.0, -0.0]),
        ];
        for r in max_ok {
            assert!(relaxed_accepts(0x10E, a, b, 0, r));
        }
        assert!(!relaxed_accepts(
            0x10E,
            a,
            b,
            0,
            f32x4([-0.0, -0.0, 0.0, -0.0])
        ));
        assert_eq!(binary(0x10D, a, b), f32x4([-0.0, -0.0, 0.0, -0.0]));
        assert_eq!(
            eval(0x10D, a, b, 0, &RelaxedMode::X86),
            f32x4([-0.0, 0.0, 0.0, -0.0])
        );
        // f64x2
        let a = f64x2([-f64::NAN, f64::NAN]);
        let z = f64x2([0.0, 0.0]);
        for r in [f64x2([f64::NAN, f64::NAN]), z] {
            assert!(relaxed_accepts(0x10F, a, z, 0, r));
            assert!(relaxed_accepts(0x110, z, a, 0, r));
        }
        let a = f64x2([0.0, -0.0]);
        let b = f64x2([-0.0, 0.0]);
        for r in [f64x2([0.0, 0.0]), f64x2([0.0, -0.0]), f64x2([-0.0, 0.0])] {
            assert!(relaxed_accepts(0x110, a, b, 0, r));
        }
        assert!(!relaxed_accepts(0x110, a, b, 0, f64x2([-0.0, -0.0])));
        // A signalling NaN may come back as is (choices 1-3) or quieted (0).
        let s = f32::from_bits(0x7F80_0001);
        let a = f32x4([s, 1.0, 1.0, 1.0]);
        let b = f32x4([2.0; 4]);
        assert!(relaxed_accepts(0x10D, a, b, 0, f32x4([s, 1.0, 1.0, 1.0])));
        assert!(relaxed_accepts(
            0x10D,
            a,
            b,
            0,
            pack::<u32, 4>([0x7FC0_1234, 0x3F80_0000, 0x3F80_0000, 0x3F80_0000])
        ));
        assert!(!relaxed_accepts(
            0x10D,
            a,
            b,
            0,
            pack::<u32, 4>([0x7F80_0002, 0x3F80_0000, 0x3F80_0000, 0x3F80_0000])
        ));
    }

    #[test]
    fn presets_and_arity() {
        assert_eq!(RelaxedMode::default(), D);
        assert_eq!(RelaxedMode::preset(RelaxedPreset::X86), RelaxedMode::X86);
        assert_eq!(
            RelaxedMode::preset(RelaxedPreset::Arm64).madd,
            RelaxedMadd::Fused
        );
        assert_eq!(RelaxedMinMax::Second as u8, 2);
        assert_eq!(RelaxedTruncU::HighBit as u8, 3);
        assert!(is_relaxed(0x100) && is_relaxed(0x113) && !is_relaxed(0x114) && !is_relaxed(0xFF));
        assert_eq!(arity(0x101), 1);
        assert_eq!(arity(0x112), 2);
        assert_eq!(arity(0x113), 3);
        assert!(relaxed_permitted(0x52, 0, 0, 0).is_empty());
        // Every relaxed op: the deterministic result is permitted and accepted.
        let (a, b, c) = (
            0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210u128,
            0x8000_0001_7F80_0000_FFC0_0000_3F80_0000u128,
            0xFFFF_0000_1234_5678_0000_FFFF_8765_4321u128,
        );
        for op in 0x100..=0x113 {
            let r = eval(op, a, b, c, &D);
            assert_eq!(relaxed_permitted(op, a, b, c)[0], r, "{op:x}");
            assert!(relaxed_accepts(op, a, b, c, r), "{op:x}");
            for m in [RelaxedMode::X86, RelaxedMode::ARM64] {
                assert!(
                    relaxed_accepts(op, a, b, c, eval(op, a, b, c, &m)),
                    "{op:x} {m:?}"
                );
            }
        }
    }
}
