//! Known faults of the engines under test (written up in `fuzz/findings/`).
//!
//! A fault that shows in every run would drown anything new, so a divergence
//! is put down to a known fault, and not counted as a divergence, only when
//! the fault is *confirmed* on that very case: a rewrite that keeps the
//! module's meaning but avoids the faulty pattern must make every engine
//! agree, while each engine not at fault answers exactly as it did on the
//! original module. An engine whose answer changes under a meaning-preserving
//! rewrite was wrong before it; an unconfirmed divergence stays a divergence.

use super::generate::Case;
use super::instrument;
use super::{Run, Verdict, run_case};

/// A fault of one engine, with the rewrite that avoids it.
pub struct KnownFault {
    /// The finding's folder under `fuzz/findings/`.
    pub name: &'static str,
    /// The engine at fault (base name, e.g. `wasmi`).
    pub engine: &'static str,
    /// One line on what goes wrong.
    pub summary: &'static str,
    /// Rewrites a module to the same meaning without the faulty pattern.
    rewrite: fn(&[u8]) -> Result<Vec<u8>, String>,
}

/// Every known fault.
pub const KNOWN_FAULTS: &[KnownFault] = &[KnownFault {
    name: "wasmi-select-condition",
    engine: "wasmi",
    summary: "wasmi 2.0.0 picks the wrong operand of a `select` whose condition \
              is computed by `i32.eqz` or `ref.is_null`",
    rewrite: instrument::mask_conditions,
}];

/// An engine name without preset or test suffix (`reference-vm@latest` and
/// `reference-vm-faulty` are both `reference-vm`).
fn base(engine: &str) -> &str {
    let name = engine.split('@').next().unwrap_or(engine);
    name.strip_suffix("-faulty").unwrap_or(name)
}

/// The known fault that explains a diverging run of `case`, if one is
/// confirmed by its rewrite (see the module documentation).
pub fn confirm(case: &Case, run: &Run, engines: &[&str]) -> Option<&'static KnownFault> {
    if !matches!(run.verdict, Verdict::Diverge(_)) {
        return None;
    }
    KNOWN_FAULTS.iter().find(|fault| {
        let at_fault: Vec<bool> = engines.iter().map(|e| base(e) == fault.engine).collect();
        if !at_fault.contains(&true) || !at_fault.contains(&false) {
            return false;
        }
        let Ok(wasm) = (fault.rewrite)(&case.wasm) else {
            return false;
        };
        let rewritten = Case {
            wasm,
            ..case.clone()
        };
        let Ok(again) = run_case(&rewritten, engines) else {
            return false;
        };
        again.verdict == Verdict::Agree && same_answers(run, &again, &at_fault)
    })
}

/// Whether every engine not at fault answered `again` as it answered `run`
/// (instantiation and every call `run` made).
fn same_answers(run: &Run, again: &Run, at_fault: &[bool]) -> bool {
    let innocent = |j: &usize| !at_fault[*j];
    (0..at_fault.len()).filter(innocent).all(|j| {
        run.instantiation.get(j) == again.instantiation.get(j)
            && run.calls.iter().enumerate().all(|(i, call)| {
                again.calls.get(i).is_some_and(|c| {
                    c.export == call.export && c.outcomes.get(j) == call.outcomes.get(j)
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finding's minimal module: `select` of a global and a local that
    /// holds 0, on `i32.eqz` of that local. wasmi answers 0 where the spec
    /// says 7. (No parameters: the outcome does not hang on the plan's
    /// arguments.)
    const EQZ_SELECT: &str = r#"(module
      (global $g (mut i32) (i32.const 7))
      (global $zero (mut i32) (i32.const 0))
      (func (export "f") (result i32) (local i32)
        global.get $zero local.set 0
        global.get $g local.get 0 local.get 0 i32.eqz select))"#;

    fn case_of(wat: &str) -> Case {
        Case {
            wasm: super::super::case::assemble(wat).expect("test module"),
            plan_seed: 1,
            rounds: 4,
            fuel: 100,
            config: String::new(),
        }
    }

    /// The same with `v128` operands and `ref.is_null` of a parameter: for
    /// a non-null argument wasmi answers 1 1 1 1 where the spec says
    /// 2 2 2 2 (the plan of seed 1 passes non-null references).
    const IS_NULL_SELECT: &str = r#"(module
      (func (export "f") (param externref) (result v128)
        v128.const i32x4 1 1 1 1 v128.const i32x4 2 2 2 2
        local.get 0 ref.is_null select))"#;

    #[test]
    fn the_wasmi_select_condition_fault_is_confirmed_by_its_rewrite() {
        for module in [EQZ_SELECT, IS_NULL_SELECT] {
            let case = case_of(module);
            let engines = ["reference-vm", "wasmi"];
            let run = run_case(&case, &engines).expect("engines");
            assert!(
                matches!(run.verdict, Verdict::Diverge(_)),
                "wasmi no longer shows the fault on {module}: retire the finding ({:?})",
                run.verdict
            );
            let fault = confirm(&case, &run, &engines).expect("confirmed");
            assert_eq!(fault.name, "wasmi-select-condition");
        }
    }

    #[test]
    fn a_fault_of_the_engine_not_named_is_not_explained_away() {
        // The seeded rem_s fault of the faulty engine against wasmi: the eqz
        // rewrite is tried (wasmi takes part) but cannot make them agree, so
        // the divergence stays a divergence.
        let case = case_of(
            r#"(module (global $seven (mut i32) (i32.const 7))
                 (func (export "f") (result i32)
                   global.get $seven i32.eqz drop
                   i32.const 15 global.get $seven i32.rem_s))"#,
        );
        let engines = [super::super::faulty::FAULTY_NAME, "wasmi"];
        let run = run_case(&case, &engines).expect("engines");
        assert!(matches!(run.verdict, Verdict::Diverge(_)));
        assert!(confirm(&case, &run, &engines).is_none());
    }

    #[test]
    fn base_names() {
        assert_eq!(base("reference-vm@latest"), "reference-vm");
        assert_eq!(base("reference-vm-faulty"), "reference-vm");
        assert_eq!(base("wasmi"), "wasmi");
    }
}
