//! Vector operators on v128 (spec: exec/numerics, SIMD).
