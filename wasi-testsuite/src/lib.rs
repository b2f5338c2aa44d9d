//! wasi-testsuite
