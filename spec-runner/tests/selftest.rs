//! The runner's own test suite: scripts under `tests/selftest/` mark every
//! directive with the verdict the runner must give (`;; expect: STATUS`).
//! Passing and deliberately failing cases sit side by side, so a runner that
//! says "pass" to everything (or "fail" to everything) fails here.

use engines::{
    Budget, ComponentInstanceId, ComponentOutcome, ComponentValue, Engine, InstanceId,
    InstanceState, ModuleError, Outcome, Trap, TrapKind, Value,
};
use reports::{Status, Unit};
use spec_runner::{ScriptConfig, run_script, run_script_on};
use std::collections::BTreeMap;
use std::path::Path;

/// The verdict each marked line expects, keyed by the line its directive starts on.
fn expected_verdicts(src: &str) -> BTreeMap<u32, Status> {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((_, status)) = line.split_once(";; expect: ") else {
            continue;
        };
        let status = match status.trim() {
            "pass" => Status::Pass,
            "fail" => Status::Fail,
            "blocked" => Status::Blocked,
            "unsupported" => Status::Unsupported,
            "error" => Status::Error,
            other => panic!("unknown expected status {other:?}"),
        };
        // The marker belongs to the directive that starts on this line or above.
        let start = (0..=i)
            .rev()
            .find(|j| {
                let t = lines[*j].trim_start();
                ["(assert_", "(invoke", "(module", "(component", "(register"]
                    .iter()
                    .any(|p| t.starts_with(p))
            })
            .expect("a marker follows a directive");
        out.insert(start as u32 + 1, status);
    }
    out
}

fn check(name: &str, unit: &Unit, src: &str) {
    let expected = expected_verdicts(src);
    assert!(!expected.is_empty(), "{name} has no markers");
    let actual: BTreeMap<u32, Status> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
    let mut wrong = Vec::new();
    for (line, want) in &expected {
        match actual.get(line) {
            Some(got) if got == want => {}
            got => {
                let v = unit.verdicts.iter().find(|v| v.line == *line);
                wrong.push(format!("{name}:{line}: want {want:?}, got {got:?} {v:?}"));
            }
        }
    }
    for v in &unit.verdicts {
        if !expected.contains_key(&v.line) {
            wrong.push(format!("{name}:{}: unmarked verdict {v:?}", v.line));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn selftest_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/selftest")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run_on_wasmi(name: &str) {
    let src = selftest_file(name);
    let unit = run_script(name, &src, &ScriptConfig::for_engine("wasmi"));
    check(name, &unit, &src);
}

#[test]
fn values_on_wasmi() {
    run_on_wasmi("values.wast");
}

#[test]
fn traps_on_wasmi() {
    run_on_wasmi("traps.wast");
}

#[test]
fn modules_on_wasmi() {
    run_on_wasmi("modules.wast");
}

/// Runs a self-test script on the reference VM with every proposal on.
fn run_on_reference_latest(name: &str) {
    let src = selftest_file(name);
    let unit = run_script(name, &src, &ScriptConfig::for_engine("reference-vm@latest"));
    check(name, &unit, &src);
}

#[test]
fn threads_on_reference_vm() {
    run_on_reference_latest("threads.wast");
}

#[test]
fn shared_memory_on_reference_vm() {
    run_on_reference_latest("shared_memory.wast");
}

/// A thread that never ends (it waits on a value nobody changes) costs its
/// assertions a timeout verdict each at the script's deadline; the script
/// does not hang, and the other verdicts stay.
#[test]
fn a_hung_thread_times_out_without_losing_verdicts() {
    let src = r#"(module $M (memory (export "m") 1 1 shared))
(thread $T (shared (module $M))
  (register "m" $M)
  (module
    (memory (import "m" "m") 1 1 shared)
    (func (export "one") (result i32) (i32.const 1))
    (func (export "forever") (result i32)
      (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (assert_return (invoke "one") (i32.const 1))
  (assert_return (invoke "forever") (i32.const 0))
)
(wait $T)
"#;
    let mut cfg = ScriptConfig::for_engine("reference-vm@latest");
    cfg.timeout = std::time::Duration::from_millis(300);
    let unit = run_script("hung", src, &cfg);
    let got: Vec<(u32, Status)> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
    assert_eq!(got, vec![(9, Status::Pass), (10, Status::Timeout)]);
}

/// An engine without threads reports every assertion inside a `thread`
/// block as unsupported, and runs the rest of the script.
#[test]
fn thread_blocks_are_unsupported_without_threads() {
    let src = "(thread $T\n  (module (func (export \"f\")))\n  (assert_return (invoke \"f\"))\n)\n(wait $T)\n(module (func (export \"g\") (result i32) (i32.const 1)))\n(assert_return (invoke \"g\") (i32.const 1))";
    for engine in ["wasmi", "reference-vm"] {
        let unit = run_script("t", src, &ScriptConfig::for_engine(engine));
        let got: Vec<(u32, Status)> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
        assert_eq!(
            got,
            vec![(3, Status::Unsupported), (7, Status::Pass)],
            "{engine}"
        );
    }
}

/// An engine that promises threads but keeps the default `spawn_thread`
/// (like an external driver): its thread assertions are unsupported, not errors.
struct ClaimsThreads(Box<dyn Engine + Send>);

impl Engine for ClaimsThreads {
    fn name(&self) -> &str {
        "claims-threads"
    }
    fn version(&self) -> String {
        self.0.version()
    }
    fn config(&self) -> Vec<(String, String)> {
        self.0.config()
    }
    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        self.0.validate(bytes)
    }
    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        self.0.instantiate(bytes)
    }
    fn register(&mut self, name: &str, id: InstanceId) -> Result<(), String> {
        self.0.register(name, id)
    }
    fn invoke(&mut self, id: InstanceId, export: &str, args: &[Value]) -> Outcome {
        self.0.invoke(id, export, args)
    }
    fn get_global(&mut self, id: InstanceId, export: &str) -> Outcome {
        self.0.get_global(id, export)
    }
    fn snapshot(&mut self, id: InstanceId) -> Result<InstanceState, String> {
        self.0.snapshot(id)
    }
    fn set_budget(&mut self, budget: Budget) {
        self.0.set_budget(budget)
    }
    fn supports_threads(&self) -> bool {
        true
    }
}

#[test]
fn a_promise_of_threads_without_spawn_is_unsupported() {
    let src = "(thread $T\n  (module (func (export \"f\")))\n  (assert_return (invoke \"f\"))\n)\n(wait $T)";
    let mut engine = ClaimsThreads(engines::create_engine("wasmi").unwrap());
    let unit = run_script_on(
        &mut engine,
        "t",
        src,
        &ScriptConfig::for_engine("claims-threads"),
    );
    let got: Vec<(u32, Status)> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
    assert_eq!(got, vec![(3, Status::Unsupported)]);
}

/// The threads folder of the suite and the thread self-test, many times in a
/// row: every verdict as expected each time (a race would show as a flake).
#[test]
fn threads_stress_fifty_runs() {
    let suite_dir = std::env::var_os("WASM_CONFORM_SPEC_SUITE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(spec_runner::suite::default_suite_dir)
        .join("proposals/threads");
    // The suite's files run as `cargo test` runs them: plain reference-vm,
    // which picks the threads proposal's own preset for them.
    let expectations = spec_runner::Expectations::load("reference-vm").expect("expectations");
    let cfg = ScriptConfig::for_engine(&spec_runner::engine_for_file(
        "reference-vm",
        "proposals/threads/atomic.wast",
    ));
    let selftest_cfg = ScriptConfig::for_engine("reference-vm@latest");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&suite_dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "wast"))
                .map(|p| {
                    let id = format!(
                        "proposals/threads/{}",
                        p.file_name().unwrap().to_string_lossy()
                    );
                    (id, std::fs::read_to_string(&p).unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "no threads suite at {} (CI requires it)",
            suite_dir.display()
        );
        eprintln!(
            "note: no suite at {}; stressing the self-test only",
            suite_dir.display()
        );
    }
    let selftest = selftest_file("threads.wast");
    for round in 0..50 {
        for (id, src) in &files {
            let mut unit = run_script(id, src, &cfg);
            let problems = expectations.apply_file(&mut unit);
            assert!(problems.is_empty(), "round {round}: {id}: {problems:?}");
            assert!(
                unit.verdicts.iter().all(|v| v.status == Status::Pass
                    || expectations
                        .files
                        .iter()
                        .any(|e| e.id == *id && e.lines.contains(&v.line))),
                "round {round}: {id}"
            );
        }
        let unit = run_script("threads.wast", &selftest, &selftest_cfg);
        check("threads.wast", &unit, &selftest);
    }
}

/// An engine that reports decode and validation stages the way the
/// reference interpreter does, with fixed messages: a wrong binary version
/// is malformed, anything else invalid.
struct StagedEngine;

impl Engine for StagedEngine {
    fn name(&self) -> &str {
        "staged"
    }
    fn version(&self) -> String {
        "0".into()
    }
    fn config(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        if bytes.get(4..8) != Some(&[1, 0, 0, 0]) {
            Err(ModuleError::Malformed("unknown binary version".into()))
        } else {
            Err(ModuleError::Invalid("type mismatch".into()))
        }
    }
    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        self.validate(bytes).map(|_| 0)
    }
    fn register(&mut self, _: &str, _: InstanceId) -> Result<(), String> {
        Err("no instances".into())
    }
    fn invoke(&mut self, _: InstanceId, _: &str, _: &[Value]) -> Outcome {
        Outcome::EngineError("no instances".into())
    }
    fn get_global(&mut self, _: InstanceId, _: &str) -> Outcome {
        Outcome::EngineError("no instances".into())
    }
    fn snapshot(&mut self, _: InstanceId) -> Result<InstanceState, String> {
        Err("no instances".into())
    }
    fn set_budget(&mut self, _: Budget) {}
}

#[test]
fn stages_and_strict_messages() {
    let src = selftest_file("strict.wast");
    let mut cfg = ScriptConfig::for_engine("staged");
    cfg.strict_messages = true;
    let unit = run_script_on(&mut StagedEngine, "strict.wast", &src, &cfg);
    check("strict.wast", &unit, &src);
}

#[test]
fn lenient_messages_pass_with_a_note() {
    let src = "(assert_invalid (module (func (result i32) (i64.const 0))) \"unknown label\")";
    let unit = run_script_on(
        &mut StagedEngine,
        "lenient",
        src,
        &ScriptConfig::for_engine("staged"),
    );
    assert_eq!(unit.verdicts.len(), 1);
    assert_eq!(unit.verdicts[0].status, Status::Pass);
    assert!(
        unit.verdicts[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("unknown label")
    );
}

#[test]
fn unbalanced_script_is_a_runner_error() {
    let unit = run_script(
        "broken",
        "(module (func)",
        &ScriptConfig::for_engine("wasmi"),
    );
    assert_eq!(unit.verdicts.len(), 1);
    assert_eq!(unit.verdicts[0].status, Status::Error);
}

/// A scripted component engine: core modules run on wasmi; components are
/// never run, their binaries only searched for names, which choose what
/// happens (so the runner is tested without a real component engine):
///
/// - validation: a version other than `0x0d` is malformed ("unknown binary
///   version"); a binary naming `invalid` is invalid ("type mismatch ...");
/// - instantiation: one naming `needs-dep` is unlinkable ("missing import
///   named `dep`") until something is registered as `dep`; one naming
///   `start-traps` traps ("start trapped");
/// - calls, by export name: `echo` returns its arguments, `nothing` nothing,
///   `nan` an f32 NaN with payload 1, `handle` an own handle,
///   `handle-trap` traps with a component-model trap ("unknown handle index
///   7"), `unreachable` with a core one (wasmtime's wording).
struct ScriptedComponents {
    core: Box<dyn Engine + Send>,
    components: usize,
    registered: Vec<String>,
}

impl ScriptedComponents {
    fn new() -> ScriptedComponents {
        ScriptedComponents {
            core: engines::create_engine("wasmi").expect("wasmi"),
            components: 0,
            registered: Vec::new(),
        }
    }
}

fn names(bytes: &[u8], name: &str) -> bool {
    bytes.windows(name.len()).any(|w| w == name.as_bytes())
}

impl Engine for ScriptedComponents {
    fn name(&self) -> &str {
        "scripted-components"
    }
    fn version(&self) -> String {
        "0".into()
    }
    fn config(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn validate(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        self.core.validate(bytes)
    }
    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, ModuleError> {
        self.core.instantiate(bytes)
    }
    fn register(&mut self, name: &str, id: InstanceId) -> Result<(), String> {
        self.core.register(name, id)
    }
    fn invoke(&mut self, id: InstanceId, export: &str, args: &[Value]) -> Outcome {
        self.core.invoke(id, export, args)
    }
    fn get_global(&mut self, id: InstanceId, export: &str) -> Outcome {
        self.core.get_global(id, export)
    }
    fn snapshot(&mut self, id: InstanceId) -> Result<InstanceState, String> {
        self.core.snapshot(id)
    }
    fn set_budget(&mut self, budget: Budget) {
        self.core.set_budget(budget)
    }
    fn validate_component(&mut self, bytes: &[u8]) -> Result<(), ModuleError> {
        if bytes.get(4..8) != Some(&[0x0d, 0, 1, 0]) {
            Err(ModuleError::Malformed("unknown binary version".into()))
        } else if names(bytes, "invalid") {
            Err(ModuleError::Invalid(
                "type mismatch for import `invalid` (at offset 0x9)".into(),
            ))
        } else {
            Ok(())
        }
    }
    fn instantiate_component(&mut self, bytes: &[u8]) -> Result<ComponentInstanceId, ModuleError> {
        self.validate_component(bytes)?;
        if names(bytes, "needs-dep") && !self.registered.iter().any(|n| n == "dep") {
            return Err(ModuleError::Unlinkable(
                "component imports instance `needs-dep`, but a matching implementation was not found: missing import named `dep`".into(),
            ));
        }
        if names(bytes, "start-traps") {
            return Err(ModuleError::Uninstantiable(Outcome::Trapped(Trap {
                kind: TrapKind::Component,
                message: "start trapped".into(),
            })));
        }
        self.components += 1;
        Ok(self.components - 1)
    }
    fn register_component(&mut self, name: &str, id: ComponentInstanceId) -> Result<(), String> {
        if id >= self.components {
            return Err(format!("no component instance #{id}"));
        }
        self.registered.push(name.to_string());
        Ok(())
    }
    fn invoke_component(
        &mut self,
        id: ComponentInstanceId,
        export: &str,
        args: &[ComponentValue],
    ) -> ComponentOutcome {
        if id >= self.components {
            return ComponentOutcome::EngineError(format!("no component instance #{id}"));
        }
        let trap = |kind, message: &str| {
            ComponentOutcome::Trapped(Trap {
                kind,
                message: message.into(),
            })
        };
        match export {
            "echo" => ComponentOutcome::Returned(args.to_vec()),
            "nothing" => ComponentOutcome::Returned(Vec::new()),
            "nan" => ComponentOutcome::Returned(vec![ComponentValue::F32(0x7fc0_0001)]),
            "handle" => ComponentOutcome::Returned(vec![ComponentValue::Own(3)]),
            "handle-trap" => trap(TrapKind::Component, "unknown handle index 7"),
            "unreachable" => trap(
                TrapKind::Unreachable,
                "wasm trap: wasm `unreachable` instruction executed",
            ),
            other => ComponentOutcome::EngineError(format!("no export {other:?}")),
        }
    }
}

#[test]
fn components_on_a_scripted_engine() {
    let src = selftest_file("components.wast");
    let mut cfg = ScriptConfig::for_engine("scripted-components");
    cfg.strict_messages = true;
    let unit = run_script_on(
        &mut ScriptedComponents::new(),
        "components.wast",
        &src,
        &cfg,
    );
    check("components.wast", &unit, &src);
}

/// Without strict messages, a component trap or rejection of the right kind
/// with other wording passes with a note naming both texts; a trap of the
/// wrong kind still fails.
#[test]
fn component_messages_are_lenient_for_other_engines() {
    let src = "(component)\n\
               (assert_trap (invoke \"handle-trap\") \"cannot leave component instance\")\n\
               (assert_invalid (component (import \"invalid\" (func))) \"duplicate name\")\n\
               (assert_trap (invoke \"handle-trap\") \"unreachable\")";
    let unit = run_script_on(
        &mut ScriptedComponents::new(),
        "lenient",
        src,
        &ScriptConfig::for_engine("scripted-components"),
    );
    let got: Vec<(u32, Status)> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
    assert_eq!(
        got,
        vec![(2, Status::Pass), (3, Status::Pass), (4, Status::Fail)]
    );
    let note = unit.verdicts[0].message.as_deref().unwrap_or("");
    assert!(
        note.contains("cannot leave") && note.contains("unknown handle index"),
        "{note}"
    );
}

/// An engine without components (wasmi) reports component directives as
/// unsupported, never as failures, and runs the core rest of the script.
#[test]
fn components_are_unsupported_without_a_component_engine() {
    let src = "(component $C)\n\
               (assert_return (invoke \"f\") (u32.const 1))\n\
               (assert_invalid (component (import \"a\" (func)) (import \"a\" (func))) \"duplicate\")\n\
               (module (func (export \"g\") (result i32) (i32.const 1)))\n\
               (assert_return (invoke \"g\") (i32.const 1))";
    let unit = run_script("u", src, &ScriptConfig::for_engine("wasmi"));
    let got: Vec<(u32, Status)> = unit.verdicts.iter().map(|v| (v.line, v.status)).collect();
    assert_eq!(
        got,
        vec![
            (1, Status::Unsupported),
            (2, Status::Unsupported),
            (3, Status::Unsupported),
            (5, Status::Pass)
        ]
    );
    assert_eq!(unit.verdicts[0].kind, "component");
}
