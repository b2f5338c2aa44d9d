//! The differential oracle (DESIGN.md, "fuzz"): one library behind both
//! `cargo fuzz run differential` and `wasm-conform fuzz`.
//!
//! A fuzz input becomes a [`Case`] ([`generate`]): a wasm-smith module whose
//! configuration is restricted to what every engine in the comparison
//! supports ([`caps`]), made to terminate with wasm-level fuel, plus a seed
//! for the call plan ([`plan`]). [`run_case`] then, on fresh engines:
//! 1. validates the module on every engine (verdicts must agree);
//! 2. instantiates it (success, or the same trap in the start function);
//! 3. calls every export several times, resetting the wasm-level fuel
//!    before each call (engine fuel is only a backstop), and compares the
//!    outcomes ([`compare`]) and, after every call, every exported global,
//!    memory and table.
//!
//! Exhaustion on any side ends the case as inconclusive, with a reason. A
//! divergence is saved, reduced with wasm-shrink and turned into a `.wast`
//! reproducer by [`case`].

pub mod abi;
pub mod caps;
pub mod case;
pub mod compare;
pub mod coverage;
pub mod faulty;
pub mod generate;
pub mod instrument;
pub mod known;
pub mod plan;
pub mod shape;

pub use crate::Coverage;
pub use caps::{FeatureSet, Proposal};
pub use compare::{Class, Cmp, Reason, StateDiff};
pub use generate::{Case, GenOptions, generate};

use crate::outcome::{ModuleError, Outcome};
use crate::value::Value;
use crate::{Budget, Engine};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    /// Where the last panic on this thread happened (`crate/src/file.rs:line`),
    /// recorded by [`install_panic_hook`].
    static PANIC_SITE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook of a fuzzing process: it prints nothing (an
/// engine panic is a divergence, reported with the case) and remembers
/// where the panic happened, so the divergence names the site and its key
/// tells one panic from another while a case is reduced.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let site = info.location().map(|l| panic_site(l.file(), l.line()));
        PANIC_SITE.with(|s| *s.borrow_mut() = site);
    }));
}

/// A panic's site with the file path cut to its crate: a dependency's
/// registry path keeps `NAME-VERSION/src/...`, a workspace path is kept.
fn panic_site(file: &str, line: u32) -> String {
    let file = match file.split_once("/registry/src/") {
        Some((_, rest)) => rest
            .split_once('/')
            .map_or(rest, |(_, crate_path)| crate_path),
        None => file,
    };
    format!("{file}:{line}")
}

/// The engines the oracle can compare, by CLI name (the faulty one is for
/// the oracle's own self-test). `reference-vm@PRESET`, `node` and
/// `external:COMMAND` are accepted too (see [`is_oracle_engine`]).
#[cfg(not(feature = "wasmtime"))]
pub const ORACLE_ENGINES: &[&str] = &["reference-vm", "wasmi", faulty::FAULTY_NAME];
/// The engines the oracle can compare, by CLI name (with wasmtime: the
/// cargo feature `wasmtime` is on).
#[cfg(feature = "wasmtime")]
pub const ORACLE_ENGINES: &[&str] = &["reference-vm", "wasmi", "wasmtime", faulty::FAULTY_NAME];

/// Whether the oracle can create an engine of this name.
pub fn is_oracle_engine(name: &str) -> bool {
    ORACLE_ENGINES.contains(&name)
        || name == "node"
        || name.starts_with("external:")
        || name
            .strip_prefix("reference-vm@")
            .is_some_and(|p| crate::reference_vm_features(Some(p)).is_some())
}

/// Creates a fresh engine for the oracle, with the engine fuel backstop set.
pub fn create_engine(name: &str) -> Result<Box<dyn Engine + Send>, String> {
    let mut engine: Box<dyn Engine + Send> = if name == faulty::FAULTY_NAME {
        Box::new(faulty::FaultyEngine::default())
    } else {
        crate::create_engine(name)?
    };
    engine.set_budget(Budget {
        fuel: Some(generate::ENGINE_FUEL),
    });
    Ok(engine)
}

/// One call made on every engine, with what each engine answered.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The export called.
    pub export: String,
    /// The arguments.
    pub args: Vec<Value>,
    /// Each engine's outcome, in engine order.
    pub outcomes: Vec<Outcome>,
}

/// A disagreement between engines.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The kind of disagreement.
    pub class: Class,
    /// A key that identifies the divergence across reductions.
    pub key: String,
    /// The index in [`Run::calls`] of the call after which it showed, if any.
    pub call: Option<usize>,
    /// The state difference, for global, memory and table divergences.
    pub state: Option<StateDiff>,
    /// What each engine did at that point, in words.
    pub observed: Vec<String>,
}

impl Divergence {
    /// Whether reduction can keep to this divergence: every kind but a
    /// panic whose site is unknown (its key cannot tell it from another).
    pub fn reducible(&self) -> bool {
        self.class != Class::Panic || self.key != "panic"
    }
}

/// The verdict on one case.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every engine did the same thing.
    Agree,
    /// Nothing could be concluded.
    Inconclusive(Reason),
    /// The engines disagree.
    Diverge(Box<Divergence>),
}

/// Everything a run of one case observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The engines compared, in order.
    pub engines: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Each engine's instantiation result, in words.
    pub instantiation: Vec<String>,
    /// The calls made, up to the one that ended the run.
    pub calls: Vec<CallRecord>,
    /// The fuel setter's export, if the module has one.
    pub fuel_export: Option<String>,
}

impl Run {
    fn new(engines: &[&str]) -> Run {
        Run {
            engines: engines.iter().map(|s| s.to_string()).collect(),
            verdict: Verdict::Agree,
            instantiation: Vec::new(),
            calls: Vec::new(),
            fuel_export: None,
        }
    }

    /// The divergence, if the engines disagreed.
    pub fn divergence(&self) -> Option<&Divergence> {
        match &self.verdict {
            Verdict::Diverge(d) => Some(d),
            _ => None,
        }
    }
}

/// Whether the engines number functions the same way, so that function
/// references can be compared by identity.
fn identity_comparable(engines: &[&str]) -> bool {
    let base = |e: &str| e.strip_suffix("-faulty").unwrap_or(e).to_string();
    engines.windows(2).all(|w| base(w[0]) == base(w[1]))
}

/// Runs a case on fresh engines. An engine that panics is a divergence of
/// class [`Class::Panic`] (a panic on any input is a bug), keyed by the
/// panic's site when [`install_panic_hook`] is in place.
pub fn run_case(case: &Case, engines: &[&str]) -> Result<Run, String> {
    run_case_with(case, engines, &mut None)
}

/// [`run_case`], adding what the first engine that counts executed
/// coverage (reference-vm) executed to `coverage`, when given.
pub fn run_case_with(
    case: &Case,
    engines: &[&str],
    coverage: &mut Option<Box<Coverage>>,
) -> Result<Run, String> {
    let mut instances = Vec::with_capacity(engines.len());
    for name in engines {
        instances.push(create_engine(name)?);
    }
    // The counters are lent to the first engine that counts, for the case
    // (no allocation per case), and taken back after it.
    let mut counting = None;
    for (i, e) in instances.iter_mut().enumerate() {
        let Some(c) = coverage.take() else { break };
        match e.lend_coverage(c) {
            Some(back) => *coverage = Some(back),
            None => {
                counting = Some(i);
                break;
            }
        }
    }
    let mut run = Run::new(engines);
    PANIC_SITE.with(|s| s.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(|| {
        run_on(case, &mut instances, engines, &mut run)
    }));
    if let Some(i) = counting {
        *coverage = instances[i].take_coverage();
    }
    if let Err(payload) = result {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        let (key, observed) = match PANIC_SITE.with(|s| s.borrow_mut().take()) {
            Some(site) => (
                format!("panic at {site}"),
                format!("panicked at {site}: {msg}"),
            ),
            None => ("panic".into(), format!("panicked: {msg}")),
        };
        run.verdict = Verdict::Diverge(Box::new(Divergence {
            class: Class::Panic,
            key,
            call: None,
            state: None,
            observed: vec![observed],
        }));
    }
    Ok(run)
}

fn diverge(run: &mut Run, class: Class, key: String, call: Option<usize>, observed: Vec<String>) {
    run.verdict = Verdict::Diverge(Box::new(Divergence {
        class,
        key,
        call,
        state: None,
        observed,
    }));
}

fn run_on(case: &Case, engines: &mut [Box<dyn Engine + Send>], names: &[&str], run: &mut Run) {
    let identity = identity_comparable(names);
    // 1. Validation verdicts, from one decode and validation per engine:
    // `Engine::instantiate` decodes and validates before it instantiates,
    // so its `Malformed`/`Invalid`/`Rejected` answer is the verdict that
    // `Engine::validate` would give (a separate call did the work twice:
    // ~20% of a case in the libFuzzer target's profile).
    let instantiated: Vec<Result<usize, ModuleError>> = engines
        .iter_mut()
        .map(|e| e.instantiate(&case.wasm))
        .collect();
    let verdicts: Vec<Result<(), ModuleError>> =
        instantiated.iter().map(validation_verdict).collect();
    for v in &verdicts[1..] {
        match compare::compare_validation(&verdicts[0], v) {
            Cmp::Same => {}
            Cmp::Inconclusive(r) => return run.verdict = Verdict::Inconclusive(r),
            Cmp::Differ(class, key) => {
                let observed = verdicts.iter().map(verdict_text).collect();
                return diverge(run, class, key, None, observed);
            }
        }
    }
    // 2. Instantiation, start function included.
    run.instantiation = instantiated
        .iter()
        .map(|r| match r {
            Ok(_) => "instantiated".to_string(),
            Err(e) => e.to_string(),
        })
        .collect();
    for r in &instantiated[1..] {
        match compare::compare_instantiation(&instantiated[0], r, identity) {
            Cmp::Same => {}
            Cmp::Inconclusive(reason) => return run.verdict = Verdict::Inconclusive(reason),
            Cmp::Differ(class, key) => {
                let observed = run.instantiation.clone();
                return diverge(run, class, key, None, observed);
            }
        }
    }
    let ids: Vec<usize> = match instantiated.into_iter().collect() {
        Ok(ids) => ids,
        // Every engine failed the same way: agreed.
        Err(_) => return,
    };
    // 3. Calls.
    let Ok(info) = instrument::ModuleInfo::parse(&case.wasm) else {
        return;
    };
    let fuel_export = info
        .has_export(instrument::FUEL_EXPORT)
        .then(|| instrument::FUEL_EXPORT.to_string());
    run.fuel_export = fuel_export.clone();
    let calls = plan::plan(&info.exported_funcs(), case.plan_seed, case.rounds);
    for call in calls {
        if let Some(fuel) = &fuel_export {
            for (e, id) in engines.iter_mut().zip(&ids) {
                let o = e.invoke(*id, fuel, &[Value::I32(case.fuel)]);
                if o != Outcome::Returned(Vec::new()) {
                    return run.verdict = Verdict::Inconclusive(Reason::EngineError);
                }
            }
        }
        let outcomes: Vec<Outcome> = engines
            .iter_mut()
            .zip(&ids)
            .map(|(e, id)| e.invoke(*id, &call.export, &call.args))
            .collect();
        let index = run.calls.len();
        run.calls.push(CallRecord {
            export: call.export,
            args: call.args,
            outcomes: outcomes.clone(),
        });
        for o in &outcomes[1..] {
            match compare::compare_outcomes(&outcomes[0], o, identity) {
                Cmp::Same => {}
                Cmp::Inconclusive(reason) => return run.verdict = Verdict::Inconclusive(reason),
                Cmp::Differ(class, key) => {
                    let observed = outcomes.iter().map(|o| o.to_string()).collect();
                    return diverge(run, class, key, Some(index), observed);
                }
            }
        }
        let mut states = Vec::with_capacity(engines.len());
        for (e, id) in engines.iter_mut().zip(&ids) {
            match e.snapshot(*id) {
                Ok(s) => states.push(s),
                Err(_) => return run.verdict = Verdict::Inconclusive(Reason::EngineError),
            }
        }
        for s in &states[1..] {
            if let Some(d) = compare::compare_states(&states[0], s, identity) {
                let observed = vec![format!("{} {:?}: {}", d.class, d.name, d.detail)];
                run.verdict = Verdict::Diverge(Box::new(Divergence {
                    class: d.class,
                    key: d.class.name().to_string(),
                    call: Some(index),
                    state: Some(d),
                    observed,
                }));
                return;
            }
        }
    }
}

/// The validation verdict contained in an instantiation result: a decode or
/// validation error, or valid (instantiated, or failed at a later stage).
fn validation_verdict(r: &Result<usize, ModuleError>) -> Result<(), ModuleError> {
    match r {
        Err(
            e @ (ModuleError::Malformed(_)
            | ModuleError::Invalid(_)
            | ModuleError::Rejected(_)
            | ModuleError::Unsupported(_)
            | ModuleError::EngineError(_)),
        ) => Err(e.clone()),
        _ => Ok(()),
    }
}

fn verdict_text(v: &Result<(), ModuleError>) -> String {
    match v {
        Ok(()) => "valid".into(),
        Err(e) => e.to_string(),
    }
}

/// Runs the oracle on one fuzz input: generation, then [`run_case`]. A fuzz
/// input that makes no module is inconclusive ([`Reason::Generation`]).
pub fn run_input(
    data: &[u8],
    engines: &[&str],
    opts: &GenOptions,
) -> Result<(Option<Case>, Run), String> {
    run_input_with(data, engines, opts, &mut None)
}

/// [`run_input`], adding the executed coverage to `coverage` when given
/// (see [`run_case_with`]).
pub fn run_input_with(
    data: &[u8],
    engines: &[&str],
    opts: &GenOptions,
    coverage: &mut Option<Box<Coverage>>,
) -> Result<(Option<Case>, Run), String> {
    match generate(data, opts) {
        Ok(case) => {
            let run = run_case_with(&case, engines, coverage)?;
            Ok((Some(case), run))
        }
        Err(_) => {
            let mut run = Run::new(engines);
            run.verdict = Verdict::Inconclusive(Reason::Generation);
            Ok((None, run))
        }
    }
}

#[cfg(test)]
mod tests;
