//! Scalar float operators (spec: exec/numerics).
