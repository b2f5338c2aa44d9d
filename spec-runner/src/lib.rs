//! spec-runner
