//! A deliberately faulty engine, to prove that the oracle catches, reduces
//! and reproduces a wrong instruction.
//!
//! Design: the fault lives in the *instruction*, not in a post-processed
//! result. Every module this engine validates or instantiates is rewritten
//! so that each `i32.rem_s` becomes a call to an appended function that
//! computes `rem_s` and adds 1 when the divisor is 7; the rewritten module
//! then runs on the real reference VM. So the wrong remainder flows wherever
//! the real one would (into locals, memory, globals, branch conditions,
//! addresses, traps) and every observation channel of the oracle sees it,
//! exactly as it would see a bug in the interpreter's `i32.rem_s`. The only
//! side effects of the rewrite are one extra call frame per `rem_s` and a
//! little engine fuel, neither of which a fuel-bounded generated module can
//! observe.

use super::instrument::fault_rem_s_by_7;
use crate::outcome::{ModuleError, Outcome};
use crate::value::Value;
use crate::{Budget, Engine, InstanceId, InstanceState, ReferenceVmEngine};
use std::borrow::Cow;

/// The faulty engine's CLI name (accepted by `wasm-conform fuzz --engines`).
pub const FAULTY_NAME: &str = "reference-vm-faulty";

/// The reference VM with `i32.rem_s` wrong by one when the divisor is 7.
#[derive(Default)]
pub struct FaultyEngine {
    inner: ReferenceVmEngine,
}

impl FaultyEngine {
    fn rewrite<'a>(bytes: &'a [u8]) -> Cow<'a, [u8]> {
        // A module the rewriter cannot read is passed on as it is, so the
        // inner engine reports it malformed in its own words.
        match fault_rem_s_by_7(bytes) {
            Ok(w) => Cow::Owned(w),
            Err(_) => Cow::Borrowed(bytes),
        }
    }
}

impl Engine for FaultyEngine {
    fn name(&self) -> &str {
        FAULTY_NAME
    }

    fn version(&self) -> String {
        self.inner.version()
    }

    fn config(&self) -> Vec<(String, String)> {
        let mut c = self.inner.config();
        c.push(("fault".into(), "i32.rem_s by 7 is one too large".into()));
        c
    }

    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        self.inner.validate(&Self::rewrite(bytes))
    }

    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        self.inner.instantiate(&Self::rewrite(bytes))
    }

    fn register(&mut self, name: &str, instance: InstanceId) -> Result<(), String> {
        self.inner.register(name, instance)
    }

    fn invoke(&mut self, instance: InstanceId, export: &str, args: &[Value]) -> Outcome {
        self.inner.invoke(instance, export, args)
    }

    fn get_global(&mut self, instance: InstanceId, export: &str) -> Outcome {
        self.inner.get_global(instance, export)
    }

    fn snapshot(&mut self, instance: InstanceId) -> Result<InstanceState, String> {
        self.inner.snapshot(instance)
    }

    fn set_budget(&mut self, budget: Budget) {
        self.inner.set_budget(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (module (func (export "rem") (param i32 i32) (result i32)
    ///   local.get 0 local.get 1 i32.rem_s))
    const REM: &[u8] = &[
        0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 7, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 3, 2, 1, 0, 7, 7,
        1, 3, b'r', b'e', b'm', 0, 0, 10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6f, 0x0b,
    ];

    #[test]
    fn rem_s_by_7_is_off_by_one_and_nothing_else() {
        let mut e = FaultyEngine::default();
        let id = e.instantiate(REM).unwrap();
        let call = |e: &mut FaultyEngine, a: i32, b: i32| {
            e.invoke(id, "rem", &[Value::I32(a as u32), Value::I32(b as u32)])
        };
        assert_eq!(
            call(&mut e, 20, 7),
            Outcome::Returned(vec![Value::I32(7)]),
            "20 rem 7 is 6, plus the fault"
        );
        assert_eq!(call(&mut e, 20, 6), Outcome::Returned(vec![Value::I32(2)]));
        assert!(matches!(call(&mut e, 1, 0), Outcome::Trapped(_)));
    }
}
