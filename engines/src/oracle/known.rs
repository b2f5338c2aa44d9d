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
use super::instrument::{self, BodyRewrite};
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
pub const KNOWN_FAULTS: &[KnownFault] = &[
    KnownFault {
        name: "wasmi-select-condition",
        engine: "wasmi",
        summary: "wasmi 2.0.0 picks the wrong operand of a `select` whose condition \
                  is computed by a test (`i32.eqz`, `i32.ne`, `ref.is_null`, ...)",
        rewrite: |wasm| instrument::rewrite_bodies(wasm, BodyRewrite::MaskConditions),
    },
    KnownFault {
        name: "wasmi-empty-if",
        engine: "wasmi",
        summary: "wasmi 2.0.0 garbles values below the top of the stack across an \
                  empty `if` (e.g. after a `br_if` out of a block with a parameter)",
        rewrite: |wasm| instrument::rewrite_bodies(wasm, BodyRewrite::EmptyIfToDrop),
    },
    KnownFault {
        name: "wasmi-memory64-store-panic",
        engine: "wasmi",
        summary: "wasmi 2.0.0 panics (\"entered unreachable code\") translating a store \
                  whose address and value are both computed on the stack",
        rewrite: |wasm| instrument::rewrite_bodies(wasm, BodyRewrite::StoreOperandsViaLocals),
    },
    KnownFault {
        name: "wasmi-local-below-block-params",
        engine: "wasmi",
        summary: "wasmi 2.0.0 loses a local's value left on the stack below a `block` or \
                  `if` with parameters when that block writes the local",
        rewrite: |wasm| instrument::rewrite_bodies(wasm, BodyRewrite::BlockParamsViaLocals),
    },
    KnownFault {
        name: "wasmi-branch-values",
        engine: "wasmi",
        summary: "wasmi 2.0.0 garbles the values a `br_table` with a computed index carries \
                  when other values lie below them (copied over each other)",
        rewrite: |wasm| instrument::rewrite_bodies(wasm, BodyRewrite::BrTableViaLocals),
    },
];

/// An engine name without preset or test suffix (`reference-vm@latest` and
/// `reference-vm-faulty` are both `reference-vm`).
fn base(engine: &str) -> &str {
    let name = engine.split('@').next().unwrap_or(engine);
    name.strip_suffix("-faulty").unwrap_or(name)
}

/// The known faults that explain a diverging run of `case`, if confirmed
/// (see the module documentation): one fault's rewrite alone, or else the
/// rewrites of all known faults of the engine together (a module can show
/// several faults at once). Empty when nothing is confirmed.
pub fn confirm(case: &Case, run: &Run, engines: &[&str]) -> Vec<&'static KnownFault> {
    if !matches!(run.verdict, Verdict::Diverge(_)) {
        return Vec::new();
    }
    let candidates: Vec<&'static KnownFault> = KNOWN_FAULTS
        .iter()
        .filter(|f| {
            let at_fault = engines.iter().filter(|e| base(e) == f.engine).count();
            at_fault > 0 && at_fault < engines.len()
        })
        .collect();
    for fault in &candidates {
        if confirmed_by(case, run, engines, std::slice::from_ref(fault)) {
            return vec![fault];
        }
    }
    let same_engine = candidates.windows(2).all(|w| w[0].engine == w[1].engine);
    if candidates.len() > 1 && same_engine && confirmed_by(case, run, engines, &candidates) {
        return candidates;
    }
    Vec::new()
}

/// Whether applying all `faults`' rewrites makes the engines agree while
/// the engines not at fault answer as before.
fn confirmed_by(case: &Case, run: &Run, engines: &[&str], faults: &[&KnownFault]) -> bool {
    let mut wasm = case.wasm.clone();
    for fault in faults {
        match (fault.rewrite)(&wasm) {
            Ok(w) => wasm = w,
            Err(_) => return false,
        }
    }
    let at_fault: Vec<bool> = engines
        .iter()
        .map(|e| base(e) == faults[0].engine)
        .collect();
    let rewritten = Case {
        wasm,
        ..case.clone()
    };
    run_case(&rewritten, engines)
        .is_ok_and(|again| again.verdict == Verdict::Agree && same_answers(run, &again, &at_fault))
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

    /// `br_if` out of a block with a parameter, then an empty `if`: wasmi
    /// returns garbage for the `i64` parameter below the block's parameter
    /// (the plan of seed 1 passes a non-zero `i32`, so the branch is taken).
    const EMPTY_IF: &str = r#"(module
      (func (export "f") (param i32 i64) (result i64)
        local.get 1
        f32.const 3
        block (param f32)
          local.get 0
          br_if 0
          i32.const 0
          if
          end
          drop
        end))"#;

    /// The module of a finding's `minimal.wast` (the text before its first
    /// assertion).
    fn finding_module(wast: &'static str) -> &'static str {
        wast[wast.find("(module").unwrap()..]
            .split("\n(assert")
            .next()
            .unwrap()
    }

    /// `wasmi-memory64-store-panic`: a store to a 64-bit memory whose
    /// address and value are the same local, with a large offset. wasmi
    /// panics translating it (on the first call: it translates lazily).
    fn store_panic() -> &'static str {
        finding_module(include_str!(
            "../../../fuzz/findings/wasmi-memory64-store-panic/minimal.wast"
        ))
    }

    /// `wasmi-local-below-block-params`: a parameter left below an `if`
    /// and a `block` with parameters, written on one path only; wasmi
    /// reads a slot only the writing path fills on the other.
    fn local_below_block_params() -> &'static str {
        finding_module(include_str!(
            "../../../fuzz/findings/wasmi-local-below-block-params/minimal.wast"
        ))
    }

    /// `wasmi-branch-values`: values carried by a `br_table` with a
    /// computed index over a value of another type.
    fn branch_values() -> &'static str {
        finding_module(include_str!(
            "../../../fuzz/findings/wasmi-branch-values/minimal.wast"
        ))
    }

    #[test]
    fn each_known_fault_is_confirmed_by_its_rewrite() {
        for (module, name) in [
            (EQZ_SELECT, "wasmi-select-condition"),
            (IS_NULL_SELECT, "wasmi-select-condition"),
            (EMPTY_IF, "wasmi-empty-if"),
            (store_panic(), "wasmi-memory64-store-panic"),
            (local_below_block_params(), "wasmi-local-below-block-params"),
            (branch_values(), "wasmi-branch-values"),
        ] {
            let case = case_of(module);
            let engines = ["reference-vm", "wasmi"];
            let run = run_case(&case, &engines).expect("engines");
            assert!(
                matches!(run.verdict, Verdict::Diverge(_)),
                "wasmi no longer shows the fault on {module}: retire the finding ({:?})",
                run.verdict
            );
            let faults = confirm(&case, &run, &engines);
            assert_eq!(faults.len(), 1, "{module}");
            assert_eq!(faults[0].name, name);
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
        assert!(confirm(&case, &run, &engines).is_empty());
    }

    #[test]
    fn base_names() {
        assert_eq!(base("reference-vm@latest"), "reference-vm");
        assert_eq!(base("reference-vm-faulty"), "reference-vm");
        assert_eq!(base("wasmi"), "wasmi");
    }
}
