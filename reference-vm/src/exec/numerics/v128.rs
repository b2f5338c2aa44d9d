//! Vector operators on v128 (spec: exec/numerics and exec/instructions,
//! "Vector Instructions"), WebAssembly 2.0 fixed-width SIMD plus relaxed SIMD.
//!
//! A v128 is a `u128` whose lanes are little-endian: lane 0 of `i8x16` is bits
//! 0..8, lane 1 of `i32x4` is bits 32..64, and so on, exactly the byte order
//! of `v128.store`. `op` is always the SIMD sub-opcode, the `u32` LEB128 after
//! the `0xFD` prefix in the binary format (spec: binary/instructions, "Vector
//! Instructions"). The interpreter owns the opcode table; these functions only
//! dispatch on `op` to the operation's rule.
//!
//! Validated code never calls a function with an opcode of another class; if
//! it happens anyway the function returns 0 (and asserts in debug builds).
//!
//! Float lanes follow [`super::float`] exactly (NaN rule, min/max, rounding,
//! trunc_sat, promote/demote). Relaxed SIMD opcodes (`0x100..=0x113`) are
//! evaluated with [`RelaxedMode::DETERMINISTIC`], the spec's deterministic
//! profile; [`relaxed::eval`] takes another mode, and [`relaxed_permitted`] /
//! [`relaxed_accepts`] give the whole set of results the spec allows.

use super::float::{
    f32_add, f32_ceil, f32_demote, f32_div, f32_floor, f32_max, f32_min, f32_mul, f32_nearest,
    f32_sqrt, f32_sub, f32_trunc, f64_add, f64_ceil, f64_div, f64_floor, f64_max, f64_min, f64_mul,
    f64_nearest, f64_promote, f64_sqrt, f64_sub, f64_trunc, trunc_sat,
};
use super::relaxed;
pub use super::relaxed::{RelaxedMode, RelaxedPreset, relaxed_accepts, relaxed_permitted};

// ---------------------------------------------------------------------------
// Lane helpers
// ---------------------------------------------------------------------------

/// A lane type: a fixed-width little-endian number inside a v128.
pub(crate) trait Lane: Copy {
    /// Width in bytes.
    const BYTES: usize;
    /// Reads the lane from its little-endian bytes.
    fn read(b: &[u8]) -> Self;
    /// Writes the lane as little-endian bytes.
    fn write(self, b: &mut [u8]);
}

macro_rules! impl_lane {
    ($($t:ty),*) => {$(
        impl Lane for $t {
            const BYTES: usize = core::mem::size_of::<$t>();
            #[inline(always)]
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; core::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
            #[inline(always)]
            fn write(self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
impl_lane!(i8, u8, i16, u16, i32, u32, i64, u64, f32, f64);

/// The `N` lanes of type `T` of `v` (spec: `lanes_{TxN}(v)`).
#[inline(always)]
pub(crate) fn lanes<T: Lane, const N: usize>(v: u128) -> [T; N] {
    debug_assert_eq!(N * T::BYTES, 16);
    let b = v.to_le_bytes();
    core::array::from_fn(|i| T::read(&b[i * T::BYTES..(i + 1) * T::BYTES]))
}

/// The v128 whose lanes are `l` (spec: `lanes^-1_{TxN}(l)`).
#[inline(always)]
pub(crate) fn pack<T: Lane, const N: usize>(l: [T; N]) -> u128 {
    debug_assert_eq!(N * T::BYTES, 16);
    let mut b = [0u8; 16];
    for (i, x) in l.into_iter().enumerate() {
        x.write(&mut b[i * T::BYTES..(i + 1) * T::BYTES]);
    }
    u128::from_le_bytes(b)
}

/// Lane-wise unary operator.
#[inline(always)]
pub(crate) fn map<T: Lane, const N: usize>(a: u128, f: impl Fn(T) -> T) -> u128 {
    pack::<T, N>(lanes::<T, N>(a).map(f))
}

/// Lane-wise binary operator.
#[inline(always)]
pub(crate) fn zip<T: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T, T) -> T) -> u128 {
    let (x, y) = (lanes::<T, N>(a), lanes::<T, N>(b));
    pack::<T, N>(core::array::from_fn(|i| f(x[i], y[i])))
}

/// All-ones in the low `bits` bits (`bits` <= 64).
#[inline(always)]
fn ones(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

/// Lane-wise comparison: each result lane is all ones if `f` holds, else 0
/// (spec: `vrelop`, result `extend_s_{1,N}(b)`).
#[inline(always)]
pub(crate) fn cmp<T: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    let (x, y) = (lanes::<T, N>(a), lanes::<T, N>(b));
    let w = (T::BYTES * 8) as u32;
    let mut r = 0u128;
    for i in 0..N {
        if f(x[i], y[i]) {
            r |= ones(w) << (i as u32 * w);
        }
    }
    r
}

/// Bit select: bits of `a` where `c` is 1, bits of `b` where `c` is 0
/// (spec: `ibitselect`).
#[inline(always)]
pub(crate) fn bitselect(a: u128, b: u128, c: u128) -> u128 {
    (a & c) | (b & !c)
}

/// exec: `q15mulr_sat_s`: `sat_s16((a * b + 2^14) >> 15)`.
#[inline(always)]
pub(crate) fn q15mulr_sat(a: i16, b: i16) -> i16 {
    let p = (a as i32 * b as i32 + 0x4000) >> 15;
    p.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

/// Saturating narrow of two vectors of wide lanes into one of narrow lanes:
/// `a`'s lanes first, then `b`'s (spec: `narrow_s` / `narrow_u`).
#[inline(always)]
fn narrow<W: Lane + Into<i64>, const NW: usize, T: Lane, const NT: usize>(
    a: u128,
    b: u128,
    sat: impl Fn(i64) -> T,
) -> u128 {
    let (x, y) = (lanes::<W, NW>(a), lanes::<W, NW>(b));
    pack::<T, NT>(core::array::from_fn(|i| {
        let w = if i < NW { x[i] } else { y[i - NW] };
        sat(w.into())
    }))
}

/// Extension of half the lanes (`high` selects the upper half) to twice the
/// width (spec: `vcvtop` `extend_low/high_s/u`).
#[inline(always)]
fn extend<S: Lane, const NS: usize, T: Lane, const NT: usize>(
    a: u128,
    high: bool,
    f: impl Fn(S) -> T,
) -> u128 {
    let x = lanes::<S, NS>(a);
    let off = if high { NT } else { 0 };
    pack::<T, NT>(core::array::from_fn(|i| f(x[i + off])))
}

/// Extended multiplication of half the lanes (spec: `vextbinop` `extmul`).
#[inline(always)]
fn extmul<S: Lane, const NS: usize, T: Lane, const NT: usize>(
    a: u128,
    b: u128,
    high: bool,
    f: impl Fn(S, S) -> T,
) -> u128 {
    let (x, y) = (lanes::<S, NS>(a), lanes::<S, NS>(b));
    let off = if high { NT } else { 0 };
    pack::<T, NT>(core::array::from_fn(|i| f(x[i + off], y[i + off])))
}

/// Pairwise sum of adjacent lanes, extended (spec: `vextunop` `extadd_pairwise`).
#[inline(always)]
fn extadd_pairwise<S: Lane, const NS: usize, T: Lane, const NT: usize>(
    a: u128,
    f: impl Fn(S, S) -> T,
) -> u128 {
    let x = lanes::<S, NS>(a);
    pack::<T, NT>(core::array::from_fn(|i| f(x[2 * i], x[2 * i + 1])))
}

/// Unknown opcode for this class: unreachable after validation.
#[cold]
#[inline(never)]
fn bad(kind: &str, op: u32) -> u128 {
    debug_assert!(false, "v128::{kind}: opcode 0x{op:x} is not of this class");
    0
}

// ---------------------------------------------------------------------------
// Unary operators
// ---------------------------------------------------------------------------

/// exec: the unary vector instructions, `v128 -> v128`.
///
/// - `v128.not` (`inot`);
/// - integer `abs`, `neg` (wrapping: `abs(-128) = -128`), `i8x16.popcnt`;
/// - float `abs`, `neg` (sign bit only, payload untouched), `sqrt`, `ceil`,
///   `floor`, `trunc`, `nearest` (the scalar rules of [`super::float`]);
/// - `extend_low/high_s/u` (`vcvtop` extend), `extadd_pairwise_s/u`;
/// - conversions: `trunc_sat_f32x4_s/u`, `trunc_sat_f64x2_s/u_zero` (NaN -> 0,
///   saturating), `convert_i32x4_s/u`, `convert_low_i32x4_s/u` (round to
///   nearest even), `demote_f64x2_zero`, `promote_low_f32x4`;
/// - relaxed `relaxed_trunc_*` (deterministic profile).
pub fn unary(op: u32, a: u128) -> u128 {
    unary_with(op, a, &RelaxedMode::DETERMINISTIC)
}

/// [`unary`] with the relaxed-SIMD parameters of `mode`.
pub fn unary_with(op: u32, a: u128, mode: &RelaxedMode) -> u128 {
    match op {
        0x4D => !a,
        // f32x4.demote_f64x2_zero / f64x2.promote_low_f32x4
        0x5E => {
            let x = lanes::<f64, 2>(a);
            pack::<f32, 4>([f32_demote(x[0]), f32_demote(x[1]), 0.0, 0.0])
        }
        0x5F => {
            let x = lanes::<f32, 4>(a);
            pack::<f64, 2>([f64_promote(x[0]), f64_promote(x[1])])
        }
        // i8x16
        0x60 => map::<i8, 16>(a, i8::wrapping_abs),
        0x61 => map::<i8, 16>(a, i8::wrapping_neg),
        0x62 => map::<u8, 16>(a, |x| x.count_ones() as u8),
        // f32x4 rounding
        0x67 => map::<f32, 4>(a, f32_ceil),
        0x68 => map::<f32, 4>(a, f32_floor),
        0x69 => map::<f32, 4>(a, f32_trunc),
        0x6A => map::<f32, 4>(a, f32_nearest),
        // f64x2 rounding
        0x74 => map::<f64, 2>(a, f64_ceil),
        0x75 => map::<f64, 2>(a, f64_floor),
        0x7A => map::<f64, 2>(a, f64_trunc),
        0x94 => map::<f64, 2>(a, f64_nearest),
        // extadd_pairwise
        0x7C => extadd_pairwise::<i8, 16, i16, 8>(a, |x, y| x as i16 + y as i16),
        0x7D => extadd_pairwise::<u8, 16, u16, 8>(a, |x, y| x as u16 + y as u16),
        0x7E => extadd_pairwise::<i16, 8, i32, 4>(a, |x, y| x as i32 + y as i32),
        0x7F => extadd_pairwise::<u16, 8, u32, 4>(a, |x, y| x as u32 + y as u32),
        // i16x8
        0x80 => map::<i16, 8>(a, i16::wrapping_abs),
        0x81 => map::<i16, 8>(a, i16::wrapping_neg),
        0x87 => extend::<i8, 16, i16, 8>(a, false, i16::from),
        0x88 => extend::<i8, 16, i16, 8>(a, true, i16::from),
        0x89 => extend::<u8, 16, u16, 8>(a, false, u16::from),
        0x8A => extend::<u8, 16, u16, 8>(a, true, u16::from),
        // i32x4
        0xA0 => map::<i32, 4>(a, i32::wrapping_abs),
        0xA1 => map::<i32, 4>(a, i32::wrapping_neg),
        0xA7 => extend::<i16, 8, i32, 4>(a, false, i32::from),
        0xA8 => extend::<i16, 8, i32, 4>(a, true, i32::from),
        0xA9 => extend::<u16, 8, u32, 4>(a, false, u32::from),
        0xAA => extend::<u16, 8, u32, 4>(a, true, u32::from),
        // i64x2
        0xC0 => map::<i64, 2>(a, i64::wrapping_abs),
        0xC1 => map::<i64, 2>(a, i64::wrapping_neg),
        0xC7 => extend::<i32, 4, i64, 2>(a, false, i64::from),
        0xC8 => extend::<i32, 4, i64, 2>(a, true, i64::from),
        0xC9 => extend::<u32, 4, u64, 2>(a, false, u64::from),
        0xCA => extend::<u32, 4, u64, 2>(a, true, u64::from),
        // f32x4 abs / neg / sqrt
        0xE0 => map::<u32, 4>(a, |x| x & 0x7FFF_FFFF),
        0xE1 => map::<u32, 4>(a, |x| x ^ 0x8000_0000),
        0xE3 => map::<f32, 4>(a, f32_sqrt),
        // f64x2 abs / neg / sqrt
        0xEC => map::<u64, 2>(a, |x| x & 0x7FFF_FFFF_FFFF_FFFF),
        0xED => map::<u64, 2>(a, |x| x ^ 0x8000_0000_0000_0000),
        0xEF => map::<f64, 2>(a, f64_sqrt),
        // conversions
        0xF8 => {
            let x = lanes::<f32, 4>(a);
            pack::<u32, 4>(x.map(|z| trunc_sat(z as f64, true, 32) as u32))
        }
        0xF9 => {
            let x = lanes::<f32, 4>(a);
            pack::<u32, 4>(x.map(|z| trunc_sat(z as f64, false, 32) as u32))
        }
        0xFA => pack::<f32, 4>(lanes::<i32, 4>(a).map(|i| i as f32)),
        0xFB => pack::<f32, 4>(lanes::<u32, 4>(a).map(|i| i as f32)),
        0xFC | 0xFD => {
            let signed = op == 0xFC;
            let x = lanes::<f64, 2>(a);
            let t = |z: f64| trunc_sat(z, signed, 32) as u32;
            pack::<u32, 4>([t(x[0]), t(x[1]), 0, 0])
        }
        0xFE => {
            let x = lanes::<i32, 4>(a);
            pack::<f64, 2>([x[0] as f64, x[1] as f64])
        }
        0xFF => {
            let x = lanes::<u32, 4>(a);
            pack::<f64, 2>([x[0] as f64, x[1] as f64])
        }
        0x101..=0x104 => relaxed::eval(op, a, 0, 0, mode),
        _ => bad("unary", op),
    }
}

// ---------------------------------------------------------------------------
// Binary operators
// ---------------------------------------------------------------------------

/// exec: the binary vector instructions, `v128 v128 -> v128`.
///
/// - bitwise `and`, `andnot` (`a & !b`), `or`, `xor`;
/// - comparisons `eq ne lt gt le ge` per shape (all-ones / zero lanes; float
///   comparisons with NaN are false except `ne`);
/// - integer `add sub mul` (wrapping), `add_sat/sub_sat_s/u`, `min/max_s/u`,
///   `avgr_u` (`(a + b + 1) / 2`), `q15mulr_sat_s`, `narrow_s/u`,
///   `extmul_low/high_s/u`, `i32x4.dot_i16x8_s` (wrapping sum);
/// - float `add sub mul div min max` (the rules of [`super::float`]),
///   `pmin` (`b < a ? b : a`), `pmax` (`a < b ? b : a`), bit-exact operands;
/// - `i8x16.swizzle` (index >= 16 selects 0);
/// - relaxed `relaxed_swizzle`, `relaxed_min/max`, `relaxed_q15mulr_s`,
///   `relaxed_dot_i8x16_i7x16_s` (deterministic profile).
pub fn binary(op: u32, a: u128, b: u128) -> u128 {
    binary_with(op, a, b, &RelaxedMode::DETERMINISTIC)
}

/// [`binary`] with the relaxed-SIMD parameters of `mode`.
pub fn binary_with(op: u32, a: u128, b: u128, mode: &RelaxedMode) -> u128 {
    match op {
        0x0E => {
            let (x, s) = (lanes::<u8, 16>(a), lanes::<u8, 16>(b));
            pack::<u8, 16>(s.map(|j| if j < 16 { x[j as usize] } else { 0 }))
        }
        // i8x16 comparisons
        0x23 => cmp::<i8, 16>(a, b, |x, y| x == y),
        0x24 => cmp::<i8, 16>(a, b, |x, y| x != y),
        0x25 => cmp::<i8, 16>(a, b, |x, y| x < y),
        0x26 => cmp::<u8, 16>(a, b, |x, y| x < y),
        0x27 => cmp::<i8, 16>(a, b, |x, y| x > y),
        0x28 => cmp::<u8, 16>(a, b, |x, y| x > y),
        0x29 => cmp::<i8, 16>(a, b, |x, y| x <= y),
        0x2A => cmp::<u8, 16>(a, b, |x, y| x <= y),
        0x2B => cmp::<i8, 16>(a, b, |x, y| x >= y),
        0x2C => cmp::<u8, 16>(a, b, |x, y| x >= y),
        // i16x8 comparisons
        0x2D => cmp::<i16, 8>(a, b, |x, y| x == y),
        0x2E => cmp::<i16, 8>(a, b, |x, y| x != y),
        0x2F => cmp::<i16, 8>(a, b, |x, y| x < y),
        0x30 => cmp::<u16, 8>(a, b, |x, y| x < y),
        0x31 => cmp::<i16, 8>(a, b, |x, y| x > y),
        0x32 => cmp::<u16, 8>(a, b, |x, y| x > y),
        0x33 => cmp::<i16, 8>(a, b, |x, y| x <= y),
        0x34 => cmp::<u16, 8>(a, b, |x, y| x <= y),
        0x35 => cmp::<i16, 8>(a, b, |x, y| x >= y),
        0x36 => cmp::<u16, 8>(a, b, |x, y| x >= y),
        // i32x4 comparisons
        0x37 => cmp::<i32, 4>(a, b, |x, y| x == y),
        0x38 => cmp::<i32, 4>(a, b, |x, y| x != y),
        0x39 => cmp::<i32, 4>(a, b, |x, y| x < y),
        0x3A => cmp::<u32, 4>(a, b, |x, y| x < y),
        0x3B => cmp::<i32, 4>(a, b, |x, y| x > y),
        0x3C => cmp::<u32, 4>(a, b, |x, y| x > y),
        0x3D => cmp::<i32, 4>(a, b, |x, y| x <= y),
        0x3E => cmp::<u32, 4>(a, b, |x, y| x <= y),
        0x3F => cmp::<i32, 4>(a, b, |x, y| x >= y),
        0x40 => cmp::<u32, 4>(a, b, |x, y| x >= y),
        // f32x4 comparisons
        0x41 => cmp::<f32, 4>(a, b, |x, y| x == y),
        0x42 => cmp::<f32, 4>(a, b, |x, y| x != y),
        0x43 => cmp::<f32, 4>(a, b, |x, y| x < y),
        0x44 => cmp::<f32, 4>(a, b, |x, y| x > y),
        0x45 => cmp::<f32, 4>(a, b, |x, y| x <= y),
        0x46 => cmp::<f32, 4>(a, b, |x, y| x >= y),
        // f64x2 comparisons
        0x47 => cmp::<f64, 2>(a, b, |x, y| x == y),
        0x48 => cmp::<f64, 2>(a, b, |x, y| x != y),
        0x49 => cmp::<f64, 2>(a, b, |x, y| x < y),
        0x4A => cmp::<f64, 2>(a, b, |x, y| x > y),
        0x4B => cmp::<f64, 2>(a, b, |x, y| x <= y),
        0x4C => cmp::<f64, 2>(a, b, |x, y| x >= y),
        // bitwise
        0x4E => a & b,
        0x4F => a & !b,
        0x50 => a | b,
        0x51 => a ^ b,
        // narrow
        0x65 => narrow::<i16, 8, i8, 16>(a, b, |w| w.clamp(-128, 127) as i8),
        0x66 => narrow::<i16, 8, u8, 16>(a, b, |w| w.clamp(0, 255) as u8),
        0x85 => narrow::<i32, 4, i16, 8>(a, b, |w| w.clamp(-32768, 32767) as i16),
        0x86 => narrow::<i32, 4, u16, 8>(a, b, |w| w.clamp(0, 65535) as u16),
        // i8x16 arithmetic
        0x6E => zip::<i8, 16>(a, b, i8::wrapping_add),
        0x6F => zip::<i8, 16>(a, b, i8::saturating_add),
        0x70 => zip::<u8, 16>(a, b, u8::saturating_add),
        0x71 => zip::<i8, 16>(a, b, i8::wrapping_sub),
        0x72 => zip::<i8, 16>(a, b, i8::saturating_sub),
        0x73 => zip::<u8, 16>(a, b, u8::saturating_sub),
        0x76 => zip::<i8, 16>(a, b, Ord::min),
        0x77 => zip::<u8, 16>(a, b, Ord::min),
        0x78 => zip::<i8, 16>(a, b, Ord::max),
        0x79 => zip::<u8, 16>(a, b, Ord::max),
        0x7B => zip::<u8, 16>(a, b, |x, y| ((x as u16 + y as u16 + 1) >> 1) as u8),
        // i16x8 arithmetic
        0x82 => zip::<i16, 8>(a, b, q15mulr_sat),
        0x8E => zip::<i16, 8>(a, b, i16::wrapping_add),
        0x8F => zip::<i16, 8>(a, b, i16::saturating_add),
        0x90 => zip::<u16, 8>(a, b, u16::saturating_add),
        0x91 => zip::<i16, 8>(a, b, i16::wrapping_sub),
        0x92 => zip::<i16, 8>(a, b, i16::saturating_sub),
        0x93 => zip::<u16, 8>(a, b, u16::saturating_sub),
        0x95 => zip::<i16, 8>(a, b, i16::wrapping_mul),
        0x96 => zip::<i16, 8>(a, b, Ord::min),
        0x97 => zip::<u16, 8>(a, b, Ord::min),
        0x98 => zip::<i16, 8>(a, b, Ord::max),
        0x99 => zip::<u16, 8>(a, b, Ord::max),
        0x9B => zip::<u16, 8>(a, b, |x, y| ((x as u32 + y as u32 + 1) >> 1) as u16),
        0x9C => extmul::<i8, 16, i16, 8>(a, b, false, |x, y| x as i16 * y as i16),
        0x9D => extmul::<i8, 16, i16, 8>(a, b, true, |x, y| x as i16 * y as i16),
        0x9E => extmul::<u8, 16, u16, 8>(a, b, false, |x, y| x as u16 * y as u16),
        0x9F => extmul::<u8, 16, u16, 8>(a, b, true, |x, y| x as u16 * y as u16),
        // i32x4 arithmetic
        0xAE => zip::<i32, 4>(a, b, i32::wrapping_add),
        0xB1 => zip::<i32, 4>(a, b, i32::wrapping_sub),
        0xB5 => zip::<i32, 4>(a, b, i32::wrapping_mul),
        0xB6 => zip::<i32, 4>(a, b, Ord::min),
        0xB7 => zip::<u32, 4>(a, b, Ord::min),
        0xB8 => zip::<i32, 4>(a, b, Ord::max),
        0xB9 => zip::<u32, 4>(a, b, Ord::max),
        0xBA => {
            let (x, y) = (lanes::<i16, 8>(a), lanes::<i16, 8>(b));
            pack::<i32, 4>(core::array::from_fn(|i| {
                let p = |k: usize| x[k] as i32 * y[k] as i32;
                p(2 * i).wrapping_add(p(2 * i + 1))
            }))
        }
        0xBC => extmul::<i16, 8, i32, 4>(a, b, false, |x, y| x as i32 * y as i32),
        0xBD => extmul::<i16, 8, i32, 4>(a, b, true, |x, y| x as i32 * y as i32),
        0xBE => extmul::<u16, 8, u32, 4>(a, b, false, |x, y| x as u32 * y as u32),
        0xBF => extmul::<u16, 8, u32, 4>(a, b, true, |x, y| x as u32 * y as u32),
        // i64x2 arithmetic and comparisons
        0xCE => zip::<i64, 2>(a, b, i64::wrapping_add),
        0xD1 => zip::<i64, 2>(a, b, i64::wrapping_sub),
        0xD5 => zip::<i64, 2>(a, b, i64::wrapping_mul),
        0xD6 => cmp::<i64, 2>(a, b, |x, y| x == y),
        0xD7 => cmp::<i64, 2>(a, b, |x, y| x != y),
        0xD8 => cmp::<i64, 2>(a, b, |x, y| x < y),
        0xD9 => cmp::<i64, 2>(a, b, |x, y| x > y),
        0xDA => cmp::<i64, 2>(a, b, |x, y| x <= y),
        0xDB => cmp::<i64, 2>(a, b, |x, y| x >= y),
        0xDC => extmul::<i32, 4, i64, 2>(a, b, false, |x, y| x as i64 * y as i64),
        0xDD => extmul::<i32, 4, i64, 2>(a, b, true, |x, y| x as i64 * y as i64),
        0xDE => extmul::<u32, 4, u64, 2>(a, b, false, |x, y| x as u64 * y as u64),
        0xDF => extmul::<u32, 4, u64, 2>(a, b, true, |x, y| x as u64 * y as u64),
        // f32x4 arithmetic
        0xE4 => zip::<f32, 4>(a, b, f32_add),
        0xE5 => zip::<f32, 4>(a, b, f32_sub),
        0xE6 => zip::<f32, 4>(a, b, f32_mul),
        0xE7 => zip::<f32, 4>(a, b, f32_div),
        0xE8 => zip::<f32, 4>(a, b, f32_min),
        0xE9 => zip::<f32, 4>(a, b, f32_max),
        0xEA => zip::<f32, 4>(a, b, |x, y| if y < x { y } else { x }),
        0xEB => zip::<f32, 4>(a, b, |x, y| if x < y { y } else { x }),
        // f64x2 arithmetic
        0xF0 => zip::<f64, 2>(a, b, f64_add),
        0xF1 => zip::<f64, 2>(a, b, f64_sub),
        0xF2 => zip::<f64, 2>(a, b, f64_mul),
        0xF3 => zip::<f64, 2>(a, b, f64_div),
        0xF4 => zip::<f64, 2>(a, b, f64_min),
        0xF5 => zip::<f64, 2>(a, b, f64_max),
        0xF6 => zip::<f64, 2>(a, b, |x, y| if y < x { y } else { x }),
        0xF7 => zip::<f64, 2>(a, b, |x, y| if x < y { y } else { x }),
        0x100 | 0x10D..=0x112 => relaxed::eval(op, a, b, 0, mode),
        _ => bad("binary", op),
    }
}

// ---------------------------------------------------------------------------
// Ternary operators
// ---------------------------------------------------------------------------

/// exec: the ternary vector instructions, `v128 v128 v128 -> v128`:
/// `v128.bitselect` (`ibitselect`: `a` where `c` is 1, `b` where 0) and the
/// relaxed `relaxed_madd/nmadd`, `relaxed_laneselect`,
/// `relaxed_dot_i8x16_i7x16_add_s` (deterministic profile).
pub fn ternary(op: u32, a: u128, b: u128, c: u128) -> u128 {
    ternary_with(op, a, b, c, &RelaxedMode::DETERMINISTIC)
}

/// [`ternary`] with the relaxed-SIMD parameters of `mode`.
pub fn ternary_with(op: u32, a: u128, b: u128, c: u128, mode: &RelaxedMode) -> u128 {
    match op {
        0x52 => bitselect(a, b, c),
        0x105..=0x10C | 0x113 => relaxed::eval(op, a, b, c, mode),
        _ => bad("ternary", op),
    }
}

// ---------------------------------------------------------------------------
// Shifts
// ---------------------------------------------------------------------------

/// exec: `shl`, `shr_s`, `shr_u` per integer shape; the count is taken modulo
/// the lane width (spec: `ishl`, `ishr_s`, `ishr_u` with `k mod N`).
pub fn shift(op: u32, a: u128, count: u32) -> u128 {
    match op {
        0x6B => map::<u8, 16>(a, |x| x << (count & 7)),
        0x6C => map::<i8, 16>(a, |x| x >> (count & 7)),
        0x6D => map::<u8, 16>(a, |x| x >> (count & 7)),
        0x8B => map::<u16, 8>(a, |x| x << (count & 15)),
        0x8C => map::<i16, 8>(a, |x| x >> (count & 15)),
        0x8D => map::<u16, 8>(a, |x| x >> (count & 15)),
        0xAB => map::<u32, 4>(a, |x| x << (count & 31)),
        0xAC => map::<i32, 4>(a, |x| x >> (count & 31)),
        0xAD => map::<u32, 4>(a, |x| x >> (count & 31)),
        0xCB => map::<u64, 2>(a, |x| x << (count & 63)),
        0xCC => map::<i64, 2>(a, |x| x >> (count & 63)),
        0xCD => map::<u64, 2>(a, |x| x >> (count & 63)),
        _ => bad("shift", op),
    }
}

// ---------------------------------------------------------------------------
// Tests (v128 -> i32)
// ---------------------------------------------------------------------------

/// Whether every lane of width `w` bits is non-zero.
#[inline(always)]
fn all_true(a: u128, w: u32) -> u32 {
    (0..128 / w).all(|i| (a >> (i * w)) & ones(w) != 0) as u32
}

/// The sign bits of the lanes of width `w` bits, lane `i` in bit `i`.
#[inline(always)]
fn bitmask(a: u128, w: u32) -> u32 {
    (0..128 / w).fold(0, |m, i| m | ((((a >> (i * w + w - 1)) & 1) as u32) << i))
}

/// exec: `v128.any_true` (any bit set), `all_true` per shape (every lane
/// non-zero), `bitmask` per shape (lane `i`'s top bit in result bit `i`).
pub fn test(op: u32, a: u128) -> u32 {
    match op {
        0x53 => (a != 0) as u32,
        0x63 => all_true(a, 8),
        0x64 => bitmask(a, 8),
        0x83 => all_true(a, 16),
        0x84 => bitmask(a, 16),
        0xA3 => all_true(a, 32),
        0xA4 => bitmask(a, 32),
        0xC3 => all_true(a, 64),
        0xC4 => bitmask(a, 64),
        _ => bad("test", op) as u32,
    }
}

// ---------------------------------------------------------------------------
// Splat, lanes, shuffle
// ---------------------------------------------------------------------------

/// Lane width in bits of a splat / extract / replace opcode.
#[inline(always)]
fn lane_bits(op: u32) -> Option<u32> {
    Some(match op {
        0x0F | 0x15..=0x17 => 8,
        0x10 | 0x18..=0x1A => 16,
        0x11 | 0x13 | 0x1B | 0x1C | 0x1F | 0x20 => 32,
        0x12 | 0x14 | 0x1D | 0x1E | 0x21 | 0x22 => 64,
        _ => return None,
    })
}

/// exec: `splat` per shape: every lane is `x`, the scalar's bits (the low 8 /
/// 16 bits of an i32 for `i8x16` / `i16x8`; f32/f64 as their bits).
pub fn splat(op: u32, x: u64) -> u128 {
    let Some(w) = lane_bits(op).filter(|_| (0x0F..=0x14).contains(&op)) else {
        return bad("splat", op);
    };
    let lane = x as u128 & ones(w);
    (0..128 / w).fold(0, |v, i| v | (lane << (i * w)))
}

/// exec: `extract_lane` per shape, returning the scalar's bits: `_s` sign
/// extends to i32 (then the i32's bits, zero-extended to u64), `_u` and the
/// 32/64-bit shapes zero-extend. `lane` is taken modulo the lane count.
pub fn extract_lane(op: u32, a: u128, lane: u8) -> u64 {
    let Some(w) = lane_bits(op) else {
        return bad("extract_lane", op) as u64;
    };
    debug_assert!((lane as u32) < 128 / w, "lane {lane} out of range");
    let i = lane as u32 % (128 / w);
    let raw = ((a >> (i * w)) & ones(w)) as u64;
    match op {
        0x15 => raw as u8 as i8 as i32 as u32 as u64,
        0x18 => raw as u16 as i16 as i32 as u32 as u64,
        0x16 | 0x19 | 0x1B | 0x1D | 0x1F | 0x21 => raw,
        _ => bad("extract_lane", op) as u64,
    }
}

/// exec: `replace_lane` per shape: lane `lane` becomes the low bits of `x`
/// (the scalar's bits). `lane` is taken modulo the lane count.
pub fn replace_lane(op: u32, a: u128, lane: u8, x: u64) -> u128 {
    let Some(w) = lane_bits(op).filter(|_| matches!(op, 0x17 | 0x1A | 0x1C | 0x1E | 0x20 | 0x22))
    else {
        return bad("replace_lane", op);
    };
    debug_assert!((lane as u32) < 128 / w, "lane {lane} out of range");
    let shift = (lane as u32 % (128 / w)) * w;
    let mask = ones(w) << shift;
    (a & !mask) | ((x as u128 & ones(w)) << shift)
}

/// exec: `i8x16.shuffle`: result byte `i` is byte `lanes[i]` of the 32-byte
/// concatenation `a ++ b` (indices taken modulo 32; validation ensures < 32).
pub fn shuffle(a: u128, b: u128, lanes: &[u8; 16]) -> u128 {
    let mut both = [0u8; 32];
    both[..16].copy_from_slice(&a.to_le_bytes());
    both[16..].copy_from_slice(&b.to_le_bytes());
    u128::from_le_bytes(lanes.map(|l| both[(l & 31) as usize]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // Vector builders from lane values, as in `v128.const` (values wrap).
    pub(crate) fn i8x16(l: [i32; 16]) -> u128 {
        pack::<u8, 16>(l.map(|x| x as u8))
    }
    pub(crate) fn i16x8(l: [i32; 8]) -> u128 {
        pack::<u16, 8>(l.map(|x| x as u16))
    }
    pub(crate) fn i32x4(l: [i64; 4]) -> u128 {
        pack::<u32, 4>(l.map(|x| x as u32))
    }
    pub(crate) fn i64x2(l: [i128; 2]) -> u128 {
        pack::<u64, 2>(l.map(|x| x as u64))
    }
    pub(crate) fn f32x4(l: [f32; 4]) -> u128 {
        pack::<f32, 4>(l)
    }
    pub(crate) fn f64x2(l: [f64; 2]) -> u128 {
        pack::<f64, 2>(l)
    }
    fn splat8(x: i32) -> u128 {
        i8x16([x; 16])
    }
    fn splat16(x: i32) -> u128 {
        i16x8([x; 8])
    }
    fn splat32(x: i64) -> u128 {
        i32x4([x; 4])
    }
    fn f32s(v: u128) -> [u32; 4] {
        lanes::<u32, 4>(v)
    }
    fn f64s(v: u128) -> [u64; 2] {
        lanes::<u64, 2>(v)
    }
    use super::super::float::{
        f32_is_arithmetic_nan, f32_is_canonical_nan, f64_is_arithmetic_nan, f64_is_canonical_nan,
    };

    #[test]
    fn layout_is_little_endian() {
        let v = i32x4([1, 2, 3, 4]);
        assert_eq!(v, 0x0000_0004_0000_0003_0000_0002_0000_0001);
        assert_eq!(extract_lane(0x1B, v, 2), 3);
        assert_eq!(lanes::<u8, 16>(v)[4], 2);
    }

    #[test]
    fn bitwise() {
        // simd_bitwise.wast
        let a = i32x4([0, 0, -1, -1]);
        let b = i32x4([0, -1, 0, -1]);
        assert_eq!(unary(0x4D, a), i32x4([-1, -1, 0, 0]));
        assert_eq!(binary(0x4E, a, b), i32x4([0, 0, 0, -1]));
        assert_eq!(binary(0x4F, a, b), i32x4([0, 0, -1, 0]));
        assert_eq!(binary(0x50, a, b), i32x4([0, -1, -1, -1]));
        assert_eq!(binary(0x51, a, b), i32x4([0, -1, -1, 0]));
        assert_eq!(
            ternary(
                0x52,
                splat32(0xAAAAAAAA),
                splat32(0xBBBBBBBB),
                splat32(0x00112345)
            ),
            splat32(0xBBAABABA)
        );
        assert_eq!(
            ternary(
                0x52,
                splat32(0xAAAAAAAA),
                splat32(0x55555555),
                splat32(0xF0F0F0F0)
            ),
            splat32(0xA5A5A5A5)
        );
    }

    #[test]
    fn boolean_tests() {
        // simd_boolean.wast
        let m8 = i8x16([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xA, 0xB, 0xC, 0xD, 0xF]);
        assert_eq!(test(0x64, m8), 1);
        assert_eq!(test(0x64, splat8(0xFF)), 0xFFFF);
        assert_eq!(test(0x84, i16x8([-1, 0, 1, 2, 0xB, 0xC, 0xD, 0xF])), 1);
        assert_eq!(test(0x84, splat16(0xFFFF)), 0xFF);
        assert_eq!(test(0xA4, i32x4([-1, 0, 1, 0xF])), 1);
        assert_eq!(test(0xA4, splat32(-1)), 0xF);
        assert_eq!(test(0xC4, i64x2([-1, 0xF])), 1);
        assert_eq!(test(0xC4, i64x2([-1, -1])), 3);
        // bitmask uses only the top bit of each lane
        assert_eq!(
            test(0x84, i16x8([0x7FFF, 0x8000, 0, 0, 0, 0, 0, 0x80])),
            0b10
        );
        assert_eq!(test(0x53, 0), 0);
        assert_eq!(test(0x53, 1u128 << 127), 1);
        assert_eq!(test(0x63, m8), 0);
        assert_eq!(test(0x63, splat8(1)), 1);
        assert_eq!(test(0x83, i16x8([1, 1, 1, 1, 1, 1, 1, 0x100])), 1);
        assert_eq!(test(0x83, i16x8([1, 1, 1, 1, 1, 1, 1, 0])), 0);
        // all_true looks at whole lanes, not bytes
        assert_eq!(test(0xA3, splat32(0x100)), 1);
        assert_eq!(test(0xC3, i64x2([1 << 40, 1])), 1);
        assert_eq!(test(0xC3, i64x2([0, 1])), 0);
    }

    #[test]
    fn shifts() {
        // simd_bit_shift.wast
        assert_eq!(shift(0x6B, splat8(0x80), 1), splat8(0));
        assert_eq!(shift(0x6B, splat8(1), 8), splat8(1)); // count mod 8
        assert_eq!(shift(0x6B, splat8(1), 9), splat8(2));
        assert_eq!(shift(0x6C, splat8(-128), 1), splat8(-64));
        assert_eq!(shift(0x6D, splat8(-128), 1), splat8(0x40));
        assert_eq!(shift(0x6C, splat8(-128), 15), splat8(-1));
        assert_eq!(shift(0x8C, splat16(-32768), 16), splat16(-32768));
        assert_eq!(shift(0x8D, splat16(-32768), 17), splat16(0x4000));
        assert_eq!(shift(0xAB, splat32(1), 33), splat32(2));
        assert_eq!(shift(0xAC, splat32(-2), 1), splat32(-1));
        assert_eq!(shift(0xAD, splat32(-2), 1), splat32(0x7FFFFFFF));
        assert_eq!(shift(0xCB, i64x2([1, 2]), 64), i64x2([1, 2]));
        assert_eq!(shift(0xCC, i64x2([-8, 8]), 0xFFFF_FFC2), i64x2([-2, 2]));
        assert_eq!(shift(0xCD, i64x2([-1, 8]), 63), i64x2([1, 0]));
    }

    #[test]
    fn integer_arith() {
        // simd_i8x16_arith.wast, simd_i8x16_sat_arith.wast, arith2
        assert_eq!(binary(0x6E, splat8(0x7F), splat8(1)), splat8(-128));
        assert_eq!(binary(0x6F, splat8(0x7F), splat8(1)), splat8(0x7F));
        assert_eq!(binary(0x6F, splat8(-128), splat8(-1)), splat8(-128));
        assert_eq!(binary(0x70, splat8(0xFF), splat8(1)), splat8(0xFF));
        assert_eq!(binary(0x71, splat8(-128), splat8(1)), splat8(0x7F));
        assert_eq!(binary(0x72, splat8(-128), splat8(1)), splat8(-128));
        assert_eq!(binary(0x72, splat8(0x7F), splat8(-1)), splat8(0x7F));
        assert_eq!(binary(0x73, splat8(1), splat8(2)), splat8(0));
        assert_eq!(binary(0x8F, splat16(0x7FFF), splat16(1)), splat16(0x7FFF));
        assert_eq!(binary(0x90, splat16(0xFFFF), splat16(1)), splat16(0xFFFF));
        assert_eq!(binary(0x92, splat16(-32768), splat16(1)), splat16(-32768));
        assert_eq!(binary(0x93, splat16(0), splat16(1)), splat16(0));
        assert_eq!(binary(0x95, splat16(0x4000), splat16(4)), splat16(0));
        assert_eq!(binary(0xB5, splat32(0x10000), splat32(0x10000)), splat32(0));
        assert_eq!(
            binary(0xD5, i64x2([0x1_0000_0000, -3]), i64x2([0x1_0000_0000, 5])),
            i64x2([0, -15])
        );
        assert_eq!(unary(0x60, splat8(-128)), splat8(-128));
        assert_eq!(unary(0x60, splat8(-1)), splat8(1));
        assert_eq!(unary(0x61, splat8(-128)), splat8(-128));
        assert_eq!(unary(0x80, splat16(-32768)), splat16(-32768));
        assert_eq!(unary(0xA0, splat32(-5)), splat32(5));
        assert_eq!(
            unary(0xC1, i64x2([i64::MIN as i128, 1])),
            i64x2([i64::MIN as i128, -1])
        );
        assert_eq!(
            unary(0xC0, i64x2([i64::MIN as i128, -7])),
            i64x2([i64::MIN as i128, 7])
        );
        // min/max signed vs unsigned
        assert_eq!(binary(0x76, splat8(-1), splat8(1)), splat8(-1));
        assert_eq!(binary(0x77, splat8(-1), splat8(1)), splat8(1));
        assert_eq!(binary(0x78, splat8(-1), splat8(1)), splat8(1));
        assert_eq!(binary(0x79, splat8(-1), splat8(1)), splat8(-1));
        assert_eq!(binary(0xB7, splat32(-1), splat32(0)), splat32(0));
        assert_eq!(binary(0xB8, splat32(-1), splat32(0)), splat32(0));
        // avgr_u (simd_i8x16_arith2.wast)
        assert_eq!(binary(0x7B, splat8(0), splat8(-1)), splat8(128));
        assert_eq!(binary(0x7B, splat8(255), splat8(1)), splat8(128));
        assert_eq!(binary(0x7B, splat8(255), splat8(128)), splat8(192));
        assert_eq!(binary(0x7B, splat8(1), splat8(1)), splat8(1));
        assert_eq!(
            binary(0x9B, splat16(0xFFFF), splat16(0xFFFF)),
            splat16(0xFFFF)
        );
        assert_eq!(binary(0x9B, splat16(0), splat16(1)), splat16(1));
        // popcnt
        assert_eq!(
            unary(
                0x62,
                i8x16([
                    0, 1, 2, 3, 0xFF, 0x80, 0x55, 0xAA, 0x0F, 0xF0, 7, 0x7F, 0, 0, 0, 0
                ])
            ),
            i8x16([0, 1, 1, 2, 8, 1, 4, 4, 4, 4, 3, 7, 0, 0, 0, 0])
        );
    }

    #[test]
    fn q15mulr() {
        // simd_i16x8_q15mulr_sat_s.wast
        assert_eq!(binary(0x82, splat16(1), splat16(1)), splat16(0));
        assert_eq!(binary(0x82, splat16(16383), splat16(16384)), splat16(8192));
        assert_eq!(
            binary(0x82, splat16(-16384), splat16(-16384)),
            splat16(8192)
        );
        assert_eq!(
            binary(0x82, splat16(-32768), splat16(-32768)),
            splat16(32767)
        );
        assert_eq!(
            binary(0x82, splat16(-32767), splat16(-32768)),
            splat16(32767)
        );
        assert_eq!(binary(0x82, splat16(32767), splat16(32767)), splat16(32766));
        assert_eq!(
            binary(0x82, splat16(-32768), splat16(32767)),
            splat16(-32767)
        );
    }

    #[test]
    fn comparisons() {
        let a = i8x16([0, 1, -1, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let b = i8x16([0, 2, 1, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let t = |v: [i32; 5]| {
            let mut l = [-1; 16];
            l[..5].copy_from_slice(&v);
            i8x16(l)
        };
        assert_eq!(binary(0x23, a, b), t([-1, 0, 0, 0, 0]));
        assert_eq!(binary(0x25, a, b), {
            let mut l = [0; 16];
            l[1..4].fill(-1);
            i8x16(l)
        });
        assert_eq!(binary(0x26, a, b), {
            let mut l = [0; 16];
            l[1] = -1; // 1 < 2
            l[4] = -1; // 127 < 128
            i8x16(l)
        });
        assert_eq!(binary(0x2C, a, b), {
            let mut l = [-1; 16];
            l[1] = 0;
            l[4] = 0;
            i8x16(l)
        });
        assert_eq!(binary(0x30, splat16(-1), splat16(1)), 0);
        assert_eq!(binary(0x2F, splat16(-1), splat16(1)), u128::MAX);
        assert_eq!(binary(0x3A, splat32(-1), splat32(1)), 0);
        assert_eq!(binary(0x39, splat32(-1), splat32(1)), u128::MAX);
        assert_eq!(binary(0x40, splat32(-1), splat32(1)), u128::MAX);
        assert_eq!(binary(0xD8, i64x2([-1, 5]), i64x2([0, 5])), i64x2([-1, 0]));
        assert_eq!(binary(0xDB, i64x2([-1, 5]), i64x2([0, 5])), i64x2([0, -1]));
        assert_eq!(binary(0xD7, i64x2([-1, 5]), i64x2([0, 5])), i64x2([-1, 0]));
        // float comparisons: NaN unordered, -0 == +0
        let x = f32x4([f32::NAN, -0.0, 1.0, f32::NEG_INFINITY]);
        let y = f32x4([f32::NAN, 0.0, 2.0, f32::NEG_INFINITY]);
        assert_eq!(binary(0x41, x, y), i32x4([0, -1, 0, -1]));
        assert_eq!(binary(0x42, x, y), i32x4([-1, 0, -1, 0]));
        assert_eq!(binary(0x43, x, y), i32x4([0, 0, -1, 0]));
        assert_eq!(binary(0x44, x, y), i32x4([0, 0, 0, 0]));
        assert_eq!(binary(0x45, x, y), i32x4([0, -1, -1, -1]));
        assert_eq!(binary(0x46, x, y), i32x4([0, -1, 0, -1]));
        let x = f64x2([f64::NAN, 1.0]);
        let y = f64x2([1.0, 1.0]);
        assert_eq!(binary(0x47, x, y), i64x2([0, -1]));
        assert_eq!(binary(0x48, x, y), i64x2([-1, 0]));
        assert_eq!(binary(0x4B, x, y), i64x2([0, -1]));
        assert_eq!(binary(0x49, x, y), 0);
        assert_eq!(binary(0x4A, x, y), 0);
        assert_eq!(binary(0x4C, x, y), i64x2([0, -1]));
    }

    #[test]
    fn narrowing() {
        // simd_conversions.wast
        assert_eq!(binary(0x65, splat16(0x80), splat16(0x7F)), splat8(0x7F));
        assert_eq!(
            binary(0x65, splat16(-129), splat16(1)),
            i8x16([
                -128, -128, -128, -128, -128, -128, -128, -128, 1, 1, 1, 1, 1, 1, 1, 1
            ])
        );
        assert_eq!(binary(0x66, splat16(-1), splat16(0x100)), {
            let mut l = [0; 16];
            l[8..].fill(0xFF);
            i8x16(l)
        });
        assert_eq!(binary(0x66, splat16(0xFF), splat16(0xFF)), splat8(0xFF));
        assert_eq!(binary(0x85, splat32(0x8000), splat32(-0x8001)), {
            i16x8([
                0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF, -0x8000, -0x8000, -0x8000, -0x8000,
            ])
        });
        assert_eq!(binary(0x86, splat32(0x10000), splat32(-1)), {
            i16x8([0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0, 0, 0, 0])
        });
        assert_eq!(binary(0x86, splat32(0xFFFF), splat32(0x7FFF)), {
            i16x8([
                0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF,
            ])
        });
    }

    #[test]
    fn extend_extmul_extadd() {
        let a = i8x16([
            -1, -128, 127, 0, 1, 2, 3, 4, -5, 6, -7, 8, -9, 10, -11, 0x80,
        ]);
        assert_eq!(unary(0x87, a), i16x8([-1, -128, 127, 0, 1, 2, 3, 4]));
        assert_eq!(unary(0x88, a), i16x8([-5, 6, -7, 8, -9, 10, -11, -128]));
        assert_eq!(unary(0x89, a), i16x8([255, 128, 127, 0, 1, 2, 3, 4]));
        assert_eq!(unary(0x8A, a), i16x8([251, 6, 249, 8, 247, 10, 245, 128]));
        let h = i16x8([-1, 2, -32768, 4, 5, 6, 7, -8]);
        assert_eq!(unary(0xA7, h), i32x4([-1, 2, -32768, 4]));
        assert_eq!(unary(0xAA, h), i32x4([5, 6, 7, 0xFFF8]));
        let w = i32x4([-1, 2, 3, -4]);
        assert_eq!(unary(0xC7, w), i64x2([-1, 2]));
        assert_eq!(unary(0xCA, w), i64x2([3, 0xFFFF_FFFC]));
        // extadd_pairwise (simd_i16x8_extadd_pairwise_i8x16.wast)
        assert_eq!(unary(0x7C, splat8(-128)), splat16(-256));
        assert_eq!(unary(0x7C, splat8(0x7F)), splat16(0xFE));
        assert_eq!(unary(0x7D, splat8(0xFF)), splat16(0x1FE));
        assert_eq!(unary(0x7E, splat16(-32768)), splat32(-65536));
        assert_eq!(unary(0x7F, splat16(0xFFFF)), splat32(0x1FFFE));
        // extmul (simd_i16x8_extmul_i8x16.wast, simd_i32x4/i64x2_extmul)
        assert_eq!(binary(0x9C, splat8(-128), splat8(-128)), splat16(0x4000));
        assert_eq!(binary(0x9E, splat8(0xFF), splat8(0xFF)), splat16(0xFE01));
        assert_eq!(
            binary(0xBC, splat16(-32768), splat16(-32768)),
            splat32(0x40000000)
        );
        assert_eq!(
            binary(0xBF, splat16(0xFFFF), splat16(0xFFFF)),
            splat32(0xFFFE0001)
        );
        assert_eq!(
            binary(
                0xDD,
                i32x4([0, 0, i32::MIN as i64, 3]),
                i32x4([0, 0, i32::MIN as i64, -3])
            ),
            i64x2([0x4000_0000_0000_0000, -9])
        );
        assert_eq!(
            binary(0xDF, splat32(-1), splat32(-1)),
            i64x2([0xFFFF_FFFE_0000_0001; 2])
        );
        // i32x4.dot_i16x8_s (simd_i32x4_dot_i16x8.wast): -32768^2 * 2 wraps
        assert_eq!(
            binary(0xBA, splat16(-32768), splat16(-32768)),
            splat32(i32::MIN as i64)
        );
        assert_eq!(
            binary(0xBA, splat16(16384), splat16(16384)),
            splat32(0x20000000)
        );
        assert_eq!(binary(0xBA, splat16(-1), splat16(1)), splat32(-2));
    }

    #[test]
    fn swizzle_shuffle() {
        // simd_lane.wast
        let v = i8x16([
            100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115,
        ]);
        assert_eq!(
            binary(
                0x0E,
                v,
                i8x16([-1, 1, -2, 2, -3, 3, -4, 4, -5, 5, -6, 6, -7, 7, -8, 8])
            ),
            i8x16([
                0, 101, 0, 102, 0, 103, 0, 104, 0, 105, 0, 106, 0, 107, 0, 108
            ])
        );
        assert_eq!(
            binary(
                0x0E,
                v,
                i8x16([
                    9, 16, 10, 17, 11, 18, 12, 19, 13, 20, 14, 21, 15, 22, 16, 23
                ])
            ),
            i8x16([109, 0, 110, 0, 111, 0, 112, 0, 113, 0, 114, 0, 115, 0, 0, 0])
        );
        assert_eq!(
            binary(
                0x0E,
                v,
                i8x16([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
            ),
            i8x16([
                115, 114, 113, 112, 111, 110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100
            ])
        );
        let a = i8x16([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let b = i8x16([
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        ]);
        let idx = [31, 0, 30, 1, 29, 2, 28, 3, 27, 4, 26, 5, 25, 6, 24, 7];
        assert_eq!(shuffle(a, b, &idx), i8x16(idx.map(|x| x as i32)));
        assert_eq!(shuffle(a, b, &[16; 16]), splat8(16));
    }

    #[test]
    fn lanes_splat_extract_replace() {
        assert_eq!(splat(0x0F, 0xFFFF_FF80), splat8(-128));
        assert_eq!(splat(0x10, 0x1_2345), splat16(0x2345));
        assert_eq!(splat(0x11, 0xDEAD_BEEF), splat32(0xDEAD_BEEF));
        assert_eq!(splat(0x12, u64::MAX), u128::MAX);
        assert_eq!(splat(0x13, 1.5f32.to_bits() as u64), f32x4([1.5; 4]));
        assert_eq!(splat(0x14, (-0.0f64).to_bits()), f64x2([-0.0; 2]));
        let v = i8x16([0, -1, 0x7F, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55]);
        assert_eq!(extract_lane(0x15, v, 1), 0xFFFF_FFFF);
        assert_eq!(extract_lane(0x16, v, 1), 0xFF);
        assert_eq!(extract_lane(0x15, v, 3), 0xFFFF_FF80);
        assert_eq!(extract_lane(0x15, v, 2), 0x7F);
        assert_eq!(extract_lane(0x16, v, 15), 0x55);
        let h = i16x8([0, -32768, 0, 0, 0, 0, 0, 0x7FFF]);
        assert_eq!(extract_lane(0x18, h, 1), 0xFFFF_8000);
        assert_eq!(extract_lane(0x19, h, 1), 0x8000);
        assert_eq!(extract_lane(0x18, h, 7), 0x7FFF);
        assert_eq!(extract_lane(0x1B, splat32(-1), 3), 0xFFFF_FFFF);
        assert_eq!(extract_lane(0x1D, i64x2([1, -1]), 1), u64::MAX);
        let f = f32x4([1.0, f32::from_bits(0x7FA0_0001), 3.0, 4.0]);
        assert_eq!(extract_lane(0x1F, f, 1), 0x7FA0_0001); // NaN bits untouched
        assert_eq!(
            extract_lane(0x21, f64x2([0.5, -2.0]), 1),
            (-2.0f64).to_bits()
        );
        assert_eq!(replace_lane(0x17, 0, 15, 0x1FF), (0xFFu128) << 120);
        assert_eq!(replace_lane(0x1A, u128::MAX, 0, 0), u128::MAX << 16);
        assert_eq!(
            replace_lane(0x1C, 0, 2, 0xFFFF_FFFF_1234_5678),
            0x1234_5678u128 << 64
        );
        assert_eq!(replace_lane(0x1E, i64x2([1, 2]), 1, 7), i64x2([1, 7]));
        assert_eq!(
            replace_lane(0x20, f32x4([0.0; 4]), 3, 0x7F80_0001),
            0x7F80_0001u128 << 96
        );
        assert_eq!(
            replace_lane(0x22, 0, 0, (-1.0f64).to_bits()),
            f64x2([-1.0, 0.0])
        );
    }

    #[test]
    fn float_arith_nan_and_zero() {
        // simd_f32x4_arith.wast / simd_f32x4.wast: NaN classes
        let cn = f32::from_bits(0x7FC0_0000);
        let an = f32::from_bits(0x7FA0_0000); // signalling, payload 0x200000
        let r = f32s(binary(
            0xE4,
            f32x4([cn, an, f32::INFINITY, 1.0]),
            f32x4([1.0, 1.0, f32::NEG_INFINITY, 2.0]),
        ));
        assert!(f32_is_canonical_nan(r[0]));
        assert!(f32_is_arithmetic_nan(r[1]) && !f32_is_canonical_nan(r[1]));
        assert!(f32_is_canonical_nan(r[2]));
        assert_eq!(r[3], 3.0f32.to_bits());
        // min / max with ±0 and NaN
        let x = f32x4([-0.0, 0.0, cn, 1.0]);
        let y = f32x4([0.0, -0.0, 1.0, an]);
        let mn = f32s(binary(0xE8, x, y));
        let mx = f32s(binary(0xE9, x, y));
        assert_eq!(mn[0], 0x8000_0000);
        assert_eq!(mn[1], 0x8000_0000);
        assert_eq!(mx[0], 0);
        assert_eq!(mx[1], 0);
        assert!(f32_is_canonical_nan(mn[2]) && f32_is_canonical_nan(mx[2]));
        assert!(f32_is_arithmetic_nan(mn[3]) && f32_is_arithmetic_nan(mx[3]));
        let m = f64s(binary(0xF4, f64x2([-0.0, f64::NAN]), f64x2([0.0, 0.0])));
        assert_eq!(m[0], 0x8000_0000_0000_0000);
        assert!(f64_is_canonical_nan(m[1]));
        let m = f64s(binary(
            0xF5,
            f64x2([-0.0, 1.0]),
            f64x2([0.0, f64::INFINITY]),
        ));
        assert_eq!(m, [0, f64::INFINITY.to_bits()]);
        // div, sqrt
        let r = f64s(binary(0xF3, f64x2([0.0, 1.0]), f64x2([0.0, -0.0])));
        assert!(f64_is_canonical_nan(r[0]));
        assert_eq!(r[1], f64::NEG_INFINITY.to_bits());
        let r = f32s(unary(0xE3, f32x4([-1.0, 4.0, -0.0, f32::INFINITY])));
        assert!(f32_is_canonical_nan(r[0]));
        assert_eq!(
            &r[1..],
            &[2.0f32.to_bits(), 0x8000_0000, f32::INFINITY.to_bits()]
        );
        // abs / neg only touch the sign bit, even of NaNs
        let v = f32x4([an, -cn, -0.0, -1.0]);
        assert_eq!(
            f32s(unary(0xE0, v)),
            [0x7FA0_0000, 0x7FC0_0000, 0, 1.0f32.to_bits()]
        );
        assert_eq!(
            f32s(unary(0xE1, v)),
            [0xFFA0_0000, 0x7FC0_0000, 0, 1.0f32.to_bits()]
        );
        assert_eq!(
            f64s(unary(0xED, f64x2([0.0, -f64::NAN]))),
            [1 << 63, f64::NAN.to_bits() & !(1 << 63)]
        );
        assert_eq!(
            f64s(unary(0xEC, f64x2([-0.0, -2.5]))),
            [0, 2.5f64.to_bits()]
        );
    }

    #[test]
    fn pmin_pmax() {
        // simd_f32x4_pmin_pmax.wast: operands returned bit-exactly
        let n = f32::from_bits(0x7FC0_0001);
        let x = f32x4([-0.0, 0.0, n, 1.0]);
        let y = f32x4([0.0, -0.0, 1.0, n]);
        assert_eq!(
            f32s(binary(0xEA, x, y)),
            [0x8000_0000, 0, 0x7FC0_0001, 1.0f32.to_bits()]
        );
        assert_eq!(
            f32s(binary(0xEB, x, y)),
            [0x8000_0000, 0, 0x7FC0_0001, 1.0f32.to_bits()]
        );
        assert_eq!(
            f32s(binary(0xEA, f32x4([2.0; 4]), f32x4([1.0; 4]))),
            [1.0f32.to_bits(); 4]
        );
        assert_eq!(
            f32s(binary(0xEB, f32x4([2.0; 4]), f32x4([1.0; 4]))),
            [2.0f32.to_bits(); 4]
        );
        let r = f64s(binary(0xF6, f64x2([f64::NAN, 3.0]), f64x2([1.0, -3.0])));
        assert_eq!(r, [f64::NAN.to_bits(), (-3.0f64).to_bits()]);
        let r = f64s(binary(0xF7, f64x2([f64::NAN, 3.0]), f64x2([1.0, -3.0])));
        assert_eq!(r, [f64::NAN.to_bits(), 3.0f64.to_bits()]);
    }

    #[test]
    fn rounding_lanes() {
        // simd_f32x4_rounding.wast / simd_f64x2_rounding.wast
        let v = f32x4([0.5, -0.5, 1.5, 2.5]);
        assert_eq!(unary(0x6A, v), f32x4([0.0, -0.0, 2.0, 2.0]));
        assert_eq!(unary(0x67, v), f32x4([1.0, -0.0, 2.0, 3.0]));
        assert_eq!(unary(0x68, v), f32x4([0.0, -1.0, 1.0, 2.0]));
        assert_eq!(unary(0x69, v), f32x4([0.0, -0.0, 1.0, 2.0]));
        let v = f64x2([-2.5, 4503599627370495.5]);
        assert_eq!(unary(0x94, v), f64x2([-2.0, 4503599627370496.0]));
        assert_eq!(unary(0x74, v), f64x2([-2.0, 4503599627370496.0]));
        assert_eq!(unary(0x75, v), f64x2([-3.0, 4503599627370495.0]));
        assert_eq!(unary(0x7A, f64x2([-0.1, 0.9])), f64x2([-0.0, 0.0]));
        let r = f32s(unary(
            0x6A,
            f32x4([f32::from_bits(0xFF80_0001), f32::INFINITY, -0.0, 8388609.0]),
        ));
        assert_eq!(r[0], 0xFFC0_0001);
        assert_eq!(
            &r[1..],
            &[f32::INFINITY.to_bits(), 0x8000_0000, 8388609.0f32.to_bits()]
        );
    }

    #[test]
    fn conversions() {
        // simd_i32x4_trunc_sat_f32x4.wast
        let v = f32x4([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -2147483904.0]);
        assert_eq!(
            unary(0xF8, v),
            i32x4([0, 0x7FFF_FFFF, i32::MIN as i64, i32::MIN as i64])
        );
        assert_eq!(unary(0xF9, v), i32x4([0, 0xFFFF_FFFF, 0, 0]));
        assert_eq!(
            unary(0xF8, f32x4([-1.9, 1.9, 2147483520.0, -0.0])),
            i32x4([-1, 1, 2147483520, 0])
        );
        assert_eq!(
            unary(0xF9, f32x4([-0.9, 4294967040.0, 4294967296.0, 1.5])),
            i32x4([0, 4294967040, 0xFFFF_FFFF, 1])
        );
        // simd_i32x4_trunc_sat_f64x2.wast: upper lanes zero
        assert_eq!(
            unary(0xFC, f64x2([-2147483649.0, 2147483647.9])),
            i32x4([i32::MIN as i64, 0x7FFF_FFFF, 0, 0])
        );
        assert_eq!(
            unary(0xFD, f64x2([f64::NAN, 4294967295.9])),
            i32x4([0, 0xFFFF_FFFF, 0, 0])
        );
        // convert (round to nearest even)
        assert_eq!(
            unary(
                0xFA,
                i32x4([16777217, -1, i32::MIN as i64, i32::MAX as i64])
            ),
            f32x4([16777216.0, -1.0, -2147483648.0, 2147483648.0])
        );
        assert_eq!(
            unary(0xFB, i32x4([16777219, 0xFFFF_FFFF, 0, 1])),
            f32x4([16777220.0, 4294967296.0, 0.0, 1.0])
        );
        assert_eq!(
            unary(0xFE, i32x4([-1, i32::MIN as i64, 5, 6])),
            f64x2([-1.0, -2147483648.0])
        );
        assert_eq!(
            unary(0xFF, i32x4([-1, 2, 5, 6])),
            f64x2([4294967295.0, 2.0])
        );
        // demote / promote (simd_conversions.wast)
        let r = f32s(unary(0x5E, f64x2([f64::NAN, f64::powi(2.0, -150)])));
        assert!(f32_is_canonical_nan(r[0]));
        assert_eq!(&r[1..], &[0, 0, 0]); // ties-to-even underflow to 0
        let r = f32s(unary(
            0x5E,
            f64x2([f64::from_bits(0x7FF4_0000_0000_0000), 1e40]),
        ));
        assert!(f32_is_arithmetic_nan(r[0]));
        assert_eq!(&r[1..], &[f32::INFINITY.to_bits(), 0, 0]);
        let r = f64s(unary(
            0x5F,
            f32x4([f32::from_bits(0x7FC0_0000), -1.5, 9.0, 9.0]),
        ));
        assert!(f64_is_canonical_nan(r[0]));
        assert_eq!(r[1], (-1.5f64).to_bits());
        let r = f64s(unary(
            0x5F,
            f32x4([f32::from_bits(0x7FA0_0000), 0.0, 0.0, 0.0]),
        ));
        assert!(f64_is_arithmetic_nan(r[0]) && !f64_is_canonical_nan(r[0]));
    }

    #[test]
    fn unknown_ops_return_zero() {
        // Only in release builds (debug builds assert).
        if !cfg!(debug_assertions) {
            assert_eq!(unary(0x0E, 5), 0);
            assert_eq!(binary(0x4D, 5, 5), 0);
            assert_eq!(test(0x00, 5), 0);
        }
    }
}
