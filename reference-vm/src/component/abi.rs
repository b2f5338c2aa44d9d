//! The Canonical ABI, synchronous part (CanonicalABI.md). (Being written.)
