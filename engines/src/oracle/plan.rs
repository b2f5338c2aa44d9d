//! The call plan: which exports are called, in which order, with which
//! arguments. It is a pure function of the module's exports and a seed, so a
//! saved case (or a reduced module) replays the same way.

use super::instrument::{ExportedFunc, ORACLE_PREFIX, ParamType};
use crate::value::{NullKind, RefValue, Value};

/// A small deterministic random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// Fills a buffer with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Interesting 64-bit patterns: zero, extremes, powers of two and their
/// neighbours, repeating bytes (the 32-bit ones are their low halves).
fn boundary_bits(rng: &mut Rng) -> u64 {
    let k = rng.below(64);
    match rng.below(10) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => 1 << k,
        4 => (1 << k) - 1,
        5 => !(1 << k),
        6 => ((1i64 << 63) >> k) as u64,
        7 => [
            i8::MIN as u64,
            i16::MIN as u64,
            i32::MIN as u64,
            i64::MIN as u64,
        ][k as usize % 4],
        8 => [
            u8::MAX as u64,
            u16::MAX as u64,
            u32::MAX as u64,
            i64::MAX as u64,
        ][k as usize % 4],
        _ => u64::from_ne_bytes([[0x55u8, 0x11, 0x01, 0xaa, 0xee, 0xfe][k as usize % 6]; 8]),
    }
}

/// Interesting `f32` bits.
const F32_BOUNDARY: &[u32] = &[
    0x0000_0000, // 0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x3f00_0000, // 0.5
    0x7f80_0000, // inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical NaN
    0xffc0_0000, // negative canonical NaN
    0x7fc0_0001, // arithmetic NaN
    0x7fa0_0000, // signalling NaN
    0x0000_0001, // smallest subnormal
    0x0080_0000, // smallest normal
    0x7f7f_ffff, // largest finite
    0x4f00_0000, // 2^31
    0x4f80_0000, // 2^32
    0x5f00_0000, // 2^63
    0xcf00_0000, // -2^31
    0x3400_0000, // epsilon
    0x4b00_0000, // 2^23
];

/// Interesting `f64` bits.
const F64_BOUNDARY: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff8_0000_0000_0001,
    0x7ff4_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x41e0_0000_0000_0000, // 2^31
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
    0xc1e0_0000_0000_0000, // -2^31
    0x3cb0_0000_0000_0000, // epsilon
    0x4330_0000_0000_0000, // 2^52
];

/// An argument of a type: a boundary value half the time (for integers,
/// half of those small), random bits otherwise.
pub fn arg(rng: &mut Rng, ty: ParamType) -> Value {
    let boundary = rng.chance(1, 2);
    // Half of the boundary integers are small ones (-16..=16): divisors,
    // shift counts, lane and table indices, loop bounds.
    let small = |rng: &mut Rng| (rng.below(33) as i64 - 16) as u64;
    match ty {
        ParamType::I32 => Value::I32(if boundary {
            if rng.chance(1, 2) {
                small(rng) as u32
            } else {
                boundary_bits(rng) as u32
            }
        } else {
            rng.next() as u32
        }),
        ParamType::I64 => Value::I64(if boundary {
            if rng.chance(1, 2) {
                small(rng)
            } else {
                boundary_bits(rng)
            }
        } else {
            rng.next()
        }),
        ParamType::F32 => Value::F32(if boundary {
            F32_BOUNDARY[rng.below(F32_BOUNDARY.len() as u64) as usize]
        } else {
            rng.next() as u32
        }),
        ParamType::F64 => Value::F64(if boundary {
            F64_BOUNDARY[rng.below(F64_BOUNDARY.len() as u64) as usize]
        } else {
            rng.next()
        }),
        ParamType::V128 => Value::V128(if boundary {
            let lane = match rng.below(3) {
                0 => boundary_bits(rng),
                1 => {
                    u64::from(F32_BOUNDARY[rng.below(F32_BOUNDARY.len() as u64) as usize])
                        * 0x1_0000_0001
                }
                _ => F64_BOUNDARY[rng.below(F64_BOUNDARY.len() as u64) as usize],
            };
            (u128::from(lane) << 64) | u128::from(lane)
        } else {
            (u128::from(rng.next()) << 64) | u128::from(rng.next())
        }),
        ParamType::FuncRef => Value::Ref(RefValue::Null(NullKind::Func)),
        ParamType::ExternRef => Value::Ref(if boundary {
            RefValue::Null(NullKind::Extern)
        } else {
            RefValue::Extern(rng.below(4) as u32)
        }),
        // Callers skip exports with such parameters.
        ParamType::OtherRef => Value::Ref(RefValue::Null(NullKind::Unknown)),
    }
}

/// One planned call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The export called.
    pub export: String,
    /// Its arguments.
    pub args: Vec<Value>,
}

/// The calls made on a module: `rounds` rounds, each calling every callable
/// export once in export order (so state carries from call to call).
pub fn plan(exports: &[ExportedFunc], seed: u64, rounds: u32) -> Vec<Call> {
    let mut rng = Rng::new(seed);
    let callable: Vec<&ExportedFunc> = exports
        .iter()
        .filter(|f| !f.name.starts_with(ORACLE_PREFIX))
        .filter(|f| !f.params.contains(&ParamType::OtherRef))
        .collect();
    let mut calls = Vec::new();
    for _ in 0..rounds {
        for f in &callable {
            calls.push(Call {
                export: f.name.clone(),
                args: f.params.iter().map(|t| arg(&mut rng, *t)).collect(),
            });
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_deterministic_and_skip_helpers() {
        let exports = vec![
            ExportedFunc {
                name: "f".into(),
                params: vec![ParamType::I32, ParamType::F64],
                results: vec![],
            },
            ExportedFunc {
                name: "__oracle_fuel".into(),
                params: vec![ParamType::I32],
                results: vec![],
            },
        ];
        let a = plan(&exports, 7, 3);
        assert_eq!(a, plan(&exports, 7, 3));
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|c| c.export == "f" && c.args.len() == 2));
    }

    #[test]
    fn half_the_arguments_are_boundary_values() {
        let mut rng = Rng::new(1);
        let n = 4000;
        let small = (0..n)
            .filter(|_| match arg(&mut rng, ParamType::I32) {
                Value::I32(v) => v.count_ones() <= 1 || v.count_ones() >= 31 || v == 0x7fff_ffff,
                _ => false,
            })
            .count();
        assert!(small > n / 5, "{small} of {n}");
        let mut rng = Rng::new(2);
        let sevens = (0..n)
            .filter(|_| arg(&mut rng, ParamType::I32) == Value::I32(7))
            .count();
        assert!(sevens > 0, "2^3-1 is a boundary value");
    }
}
