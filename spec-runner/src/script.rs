//! Running one `.wast` script against one engine: one verdict per assertion.
//!
//! Assertions (`assert_*`) always produce a verdict. Directives that are not
//! assertions (`module`, `register`, a bare `invoke`) produce a verdict only
//! when they fail, so a broken module is never silent; totals therefore count
//! assertions plus failed setup directives.

use crate::chunk::{self, Lines, line_col};
use crate::patterns::{self, arg_value};
use engines::{
    Budget, ComponentInstanceId, ComponentOutcome, ComponentValue, Engine, InstanceId, ModuleError,
    Outcome, Trap, TrapKind, Value,
};
use reports::{Category, Status, Unit, Verdict};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// How a script is run.
#[derive(Debug, Clone)]
pub struct ScriptConfig {
    /// The engine's CLI name (a fresh engine is created per script).
    pub engine: String,
    /// Hold the engine to the spec interpreter's messages (the expected text
    /// must be a prefix of the engine's). Otherwise a right outcome with other
    /// wording passes with a message note.
    pub strict_messages: bool,
    /// Judge a component that cannot be linked (its imports are provided by
    /// nothing in the script) by validation alone, as the validation-only
    /// suites it comes from do (wasm-tools' component tests).
    pub validation_only: bool,
    /// Wall-clock budget for the whole script; later assertions time out.
    pub timeout: Duration,
    /// Per-call limits.
    pub budget: Budget,
    /// The component scheduler's seed (`None`: the engine's own schedule).
    pub schedule_seed: Option<u64>,
}

impl ScriptConfig {
    /// The defaults for an engine: strict messages for the reference VM only.
    pub fn for_engine(engine: &str) -> ScriptConfig {
        ScriptConfig {
            engine: engine.to_string(),
            strict_messages: engine.split('@').next() == Some("reference-vm"),
            validation_only: false,
            timeout: Duration::from_secs(120),
            budget: Budget::default(),
            schedule_seed: None,
        }
    }
}

/// Runs a script and returns its unit of verdicts (`id` names it).
///
/// The script runs on a thread of its own with a large stack (parsing deeply
/// nested scripts and some engines recurse), and a panic there becomes a
/// runner-error verdict instead of ending the run.
pub fn run_script(id: &str, src: &str, cfg: &ScriptConfig) -> Unit {
    let error = |reason: String| {
        let mut v = Verdict::new(1, 1, "script", Status::Error);
        v.reason = Some(reason);
        Unit::new(id, vec![v])
    };
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name(format!("script {id}"))
            .stack_size(SCRIPT_STACK_BYTES)
            .spawn_scoped(scope, || match engines::create_engine(&cfg.engine) {
                Ok(mut engine) => run_script_on(engine.as_mut(), id, src, cfg),
                Err(e) => error(e),
            });
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| error("the runner panicked on this script".into())),
            Err(e) => error(format!("cannot start a script thread: {e}")),
        }
    })
}

/// Stack of the thread each script runs on.
const SCRIPT_STACK_BYTES: usize = 256 << 20;

/// Runs a script on a given engine (`cfg.engine` is only its name).
pub fn run_script_on(
    engine: &mut (dyn Engine + Send),
    id: &str,
    src: &str,
    cfg: &ScriptConfig,
) -> Unit {
    let started = Instant::now();
    engine.set_budget(cfg.budget);
    engine.set_schedule_seed(cfg.schedule_seed);
    let mut runner = Runner {
        engine,
        cfg,
        src,
        lines: Lines::new(src),
        base: 0,
        current: None,
        named: HashMap::new(),
        definitions: HashMap::new(),
        last_definition: None,
        verdicts: Vec::new(),
        deadline: started + cfg.timeout,
        poisoned: None,
        thread_text: None,
        threads: Vec::new(),
        shared_src: None,
    };
    match chunk::split(src) {
        Ok(chunks) => {
            for c in chunks {
                runner.base = c.offset;
                runner.run_chunk(c.text);
            }
        }
        Err((offset, msg)) => {
            let (line, col) = line_col(src, offset);
            let mut v = Verdict::new(line, col, "script", Status::Error);
            v.reason = Some(format!("cannot split script: {msg}"));
            runner.verdicts.push(v);
        }
    }
    // threads: a thread never waited for is joined at the end.
    runner.join_all_threads();
    let mut unit = Unit::new(id, runner.verdicts);
    unit.duration_ms = Some(started.elapsed().as_millis() as u64);
    unit
}

/// The state of a module a script refers to.
#[derive(Debug, Clone)]
enum ModState {
    /// A core module instance.
    Ready(InstanceId),
    /// A component instance (its own id space in the engine).
    Component(ComponentInstanceId),
    /// Failed: assertions on it get this status and reason.
    Failed(Status, String),
}

struct Runner<'a> {
    engine: &'a mut (dyn Engine + Send),
    cfg: &'a ScriptConfig,
    /// The whole script (positions are offsets into it).
    src: &'a str,
    lines: Lines<'a>,
    /// Offset of the chunk being run, for positions.
    base: usize,
    current: Option<ModState>,
    named: HashMap<String, ModState>,
    /// `module definition`s and `component definition`s by name.
    definitions: HashMap<String, Definition>,
    last_definition: Option<Definition>,
    verdicts: Vec<Verdict>,
    deadline: Instant,
    /// Set when the engine panicked: its state is no longer trusted.
    poisoned: Option<String>,
    /// The text of the chunk being run when it is a `thread` block (the
    /// thread re-parses it on its own OS thread).
    thread_text: Option<String>,
    /// `thread` blocks not yet waited for, in start order; `None` for one
    /// that did not start (its assertions already have verdicts).
    threads: Vec<(String, Option<ThreadHandle>)>,
    /// The script, shared with threads (made on the first `thread`).
    shared_src: Option<Arc<str>>,
}

/// A `(module definition ...)` or `(component definition ...)`: its binary
/// and which of the two it is.
#[derive(Debug, Clone)]
struct Definition {
    bytes: Vec<u8>,
    component: bool,
}

/// What running an action gave: a core outcome, or a component call's.
#[derive(Debug, Clone)]
enum Ran {
    Core(Outcome),
    Component(ComponentOutcome),
}

impl Ran {
    fn returned(&self) -> bool {
        matches!(
            self,
            Ran::Core(Outcome::Returned(_)) | Ran::Component(ComponentOutcome::Returned(_))
        )
    }

    fn unsupported(&self) -> bool {
        matches!(
            self,
            Ran::Core(Outcome::Unsupported(_)) | Ran::Component(ComponentOutcome::Unsupported(_))
        )
    }

    fn engine_error(&self) -> bool {
        matches!(
            self,
            Ran::Core(Outcome::EngineError(_)) | Ran::Component(ComponentOutcome::EngineError(_))
        )
    }

    /// The trap, and whether it is an exhaustion.
    fn trap(&self) -> Option<(&Trap, bool)> {
        match self {
            Ran::Core(Outcome::Trapped(t)) | Ran::Component(ComponentOutcome::Trapped(t)) => {
                Some((t, false))
            }
            Ran::Core(Outcome::Exhausted(t)) | Ran::Component(ComponentOutcome::Exhausted(t)) => {
                Some((t, true))
            }
            _ => None,
        }
    }

    fn is_component(&self) -> bool {
        matches!(self, Ran::Component(_))
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ran::Core(o) => o.fmt(f),
            Ran::Component(o) => o.fmt(f),
        }
    }
}

/// Whether a script's module is a component (`(component ...)`,
/// `(component binary ...)`, `(component quote ...)`).
fn is_component(module: &QuoteWat<'_>) -> bool {
    matches!(
        module,
        QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
    )
}

/// The keyword a directive starts with, for directives that fail to parse.
fn leading_keyword(text: &str) -> &str {
    text.trim_start_matches('(')
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .next()
        .unwrap_or("")
}

/// Keywords that start a script directive.
fn is_directive_keyword(kw: &str) -> bool {
    kw.starts_with("assert_")
        || matches!(
            kw,
            "module" | "component" | "register" | "invoke" | "thread" | "wait"
        )
}

/// One parenthesised directive, parsed with the standard custom annotations
/// registered as the `wast` crate does for whole scripts.
struct OneDirective<'a>(WastDirective<'a>);

impl<'a> parser::Parse<'a> for OneDirective<'a> {
    fn parse(parser: parser::Parser<'a>) -> parser::Result<Self> {
        let _annotations = [
            "custom",
            "producers",
            "name",
            "dylink.0",
            "metadata.code.branch_hint",
        ]
        .map(|a| parser.register_annotation(a));
        parser.parens(|p| p.parse()).map(OneDirective)
    }
}

fn is_assertion(kind: &str) -> bool {
    kind.starts_with("assert_")
}

/// Whether an assertion's module is text the parser must judge.
fn text_category(module: &QuoteWat<'_>) -> Category {
    match module {
        QuoteWat::QuoteModule(..) | QuoteWat::QuoteComponent(..) => Category::TextFormat,
        QuoteWat::Wat(_) => Category::Engine,
    }
}

fn directive_kind(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// Counts the assertions in a list of directives, threads included.
fn assertions_in(directives: &[WastDirective<'_>]) -> Vec<(wast::token::Span, &'static str)> {
    let mut out = Vec::new();
    for d in directives {
        match d {
            WastDirective::Thread(t) => out.extend(assertions_in(&t.directives)),
            d if is_assertion(directive_kind(d)) => out.push((d.span(), directive_kind(d))),
            _ => {}
        }
    }
    out
}

impl Runner<'_> {
    fn pos(&self, span: wast::token::Span) -> (u32, u32) {
        self.lines.line_col(self.base + span.offset())
    }

    fn verdict(&mut self, span: wast::token::Span, kind: &str, status: Status) -> &mut Verdict {
        let (line, col) = self.pos(span);
        self.verdicts.push(Verdict::new(line, col, kind, status));
        self.verdicts.last_mut().expect("just pushed")
    }

    fn run_chunk(&mut self, text: &str) {
        // Same length is not kept, so positions inside a rewritten directive
        // may shift; the directive's own position is unaffected.
        let unfolded = chunk::unfold_legacy_try(text);
        let text = unfolded.as_str();
        self.thread_text = (leading_keyword(text) == "thread").then(|| text.to_string());
        let mut lexer = Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buf| {
            let mut directives = if is_directive_keyword(leading_keyword(text)) {
                vec![parser::parse::<OneDirective>(&buf)?.0]
            } else {
                // A script of bare module fields is one inline module.
                parser::parse::<Wast>(&buf)?.directives
            };
            for d in directives.iter_mut() {
                self.run_directive_guarded(d);
            }
            Ok(())
        });
        if let Err(e) = parsed {
            self.parse_failure(text, &e.message());
        }
    }

    /// A directive the `wast` crate cannot parse: a runner error, never dropped.
    fn parse_failure(&mut self, text: &str, message: &str) {
        let kind = leading_keyword(text).to_string();
        let (line, col) = self.lines.line_col(self.base);
        let reason = format!("the wast parser cannot read this directive: {message}");
        if kind == "module" || kind == "component" {
            let state = ModState::Failed(
                Status::Blocked,
                format!("{kind} at line {line} could not be parsed"),
            );
            if let Some(name) = text
                .split_whitespace()
                .nth(1)
                .filter(|n| n.starts_with('$'))
            {
                self.named.insert(name.to_string(), state.clone());
            }
            self.current = Some(state);
        }
        let mut v = Verdict::new(line, col, kind, Status::Error);
        v.reason = Some(reason);
        self.verdicts.push(v);
    }

    fn run_directive_guarded(&mut self, d: &mut WastDirective<'_>) {
        let kind = directive_kind(d);
        let span = d.span();
        if let Some(why) = self.poisoned.clone() {
            if is_assertion(kind) {
                self.verdict(span, kind, Status::Error).reason = Some(why);
            }
            return;
        }
        if Instant::now() > self.deadline {
            if is_assertion(kind) {
                self.verdict(span, kind, Status::Timeout).reason =
                    Some(format!("script exceeded {:?}", self.cfg.timeout));
            }
            return;
        }
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.run_directive(d))) {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let (line, _) = self.pos(span);
            self.verdict(span, kind, Status::Error).reason =
                Some(format!("engine panicked: {msg}"));
            self.poisoned = Some(format!("engine panicked earlier, at line {line}"));
        }
    }

    fn run_directive(&mut self, d: &mut WastDirective<'_>) {
        let kind = directive_kind(d);
        let span = d.span();
        match d {
            WastDirective::Module(module) => {
                let name = module.name().map(|n| n.name().to_string());
                let component = is_component(module);
                match module.encode() {
                    Ok(bytes) => self.instantiate_named(span, &bytes, component, name),
                    Err(e) => self.module_failed(
                        span,
                        name,
                        component,
                        Status::Error,
                        format!("text format: {}", e.message()),
                    ),
                }
            }
            WastDirective::ModuleDefinition(module) => {
                let name = module.name().map(|n| n.name().to_string());
                let component = is_component(module);
                match module.encode() {
                    Ok(bytes) => {
                        let def = Definition { bytes, component };
                        if let Some(n) = name {
                            self.definitions.insert(n, def.clone());
                        }
                        self.last_definition = Some(def);
                    }
                    Err(e) => self.module_failed(
                        span,
                        name,
                        component,
                        Status::Error,
                        format!("text format: {}", e.message()),
                    ),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let def = match module {
                    Some(m) => self.definitions.get(m.name()).cloned(),
                    None => self.last_definition.clone(),
                };
                let name = instance.map(|i| i.name().to_string());
                match def {
                    Some(d) => self.instantiate_named(span, &d.bytes, d.component, name),
                    None => self.module_failed(
                        span,
                        name,
                        false,
                        Status::Error,
                        "no such module definition".into(),
                    ),
                }
            }
            WastDirective::Register { name, module, .. } => {
                match self.lookup(module.map(|m| m.name())) {
                    ModState::Ready(id) => {
                        if let Err(e) = self.engine.register(name, id) {
                            self.verdict(span, kind, Status::Error).reason = Some(e);
                        }
                    }
                    ModState::Component(id) => {
                        if let Err(e) = self.engine.register_component(name, id) {
                            self.verdict(span, kind, Status::Error).reason = Some(e);
                        }
                    }
                    // The failure was reported where the module failed.
                    ModState::Failed(..) => {}
                }
            }
            WastDirective::Invoke(invoke) => {
                if let Ok(outcome) = self.invoke(invoke)
                    && !outcome.returned()
                {
                    let v = self.verdict(span, kind, Status::Fail);
                    v.expected = Some("returns".into());
                    v.actual = Some(outcome.to_string());
                }
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                self.assert_return(span, exec, results)
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                self.assert_trap(span, exec, message)
            }
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(call) {
                Ok(outcome) => self.score_trap(span, kind, outcome, message),
                Err((status, reason)) => self.verdict(span, kind, status).reason = Some(reason),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Ok(outcome) => {
                    let caught = matches!(&outcome, Ran::Core(Outcome::Exception(_)))
                        || matches!(outcome.trap(), Some((t, false)) if t.kind == TrapKind::UncaughtException);
                    let status = self
                        .unsupported_or(&outcome, if caught { Status::Pass } else { Status::Fail });
                    let v = self.verdict(span, kind, status);
                    v.expected = Some("uncaught exception".into());
                    v.actual = Some(outcome.to_string());
                }
                Err((status, reason)) => self.verdict(span, kind, status).reason = Some(reason),
            },
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.assert_rejected(span, kind, module, message, Stage::Malformed),
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.assert_rejected(span, kind, module, message, Stage::Invalid),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let expected = format!("unlinkable: {message}");
                let component = matches!(module, Wat::Component(_));
                match module.encode() {
                    Ok(bytes) => {
                        let result = if component {
                            self.engine.instantiate_component(&bytes).map(|_| ())
                        } else {
                            self.engine.instantiate(&bytes).map(|_| ())
                        };
                        let (status, note) = match &result {
                            Err(ModuleError::Unlinkable(m)) => {
                                self.score_message(message, m, component)
                            }
                            Err(ModuleError::Unsupported(_)) => (Status::Unsupported, None),
                            _ => (Status::Fail, None),
                        };
                        let actual = match result {
                            Ok(_) => "instantiated".to_string(),
                            Err(e) => e.to_string(),
                        };
                        let v = self.verdict(span, kind, status);
                        v.expected = Some(expected);
                        v.actual = Some(actual);
                        v.message = note;
                    }
                    Err(e) => {
                        self.verdict(span, kind, Status::Error).reason = Some(format!(
                            "the wast crate cannot encode this module: {}",
                            e.message()
                        ))
                    }
                }
            }
            WastDirective::AssertMalformedCustom {
                module, message, ..
            } => self.assert_rejected(span, kind, module, message, Stage::MalformedCustom),
            WastDirective::AssertInvalidCustom {
                module, message, ..
            } => self.assert_rejected(span, kind, module, message, Stage::InvalidCustom),
            WastDirective::AssertSuspension { .. } => {
                self.verdict(span, kind, Status::Unsupported).reason =
                    Some("stack-switching".into());
            }
            WastDirective::Thread(thread) => self.start_thread(span, thread),
            WastDirective::Wait { thread, .. } => self.wait_thread(span, thread.name()),
        }
    }

    fn lookup(&self, name: Option<&str>) -> ModState {
        let found = match name {
            Some(n) => self.named.get(n).cloned(),
            None => self.current.clone(),
        };
        found.unwrap_or_else(|| {
            ModState::Failed(
                Status::Error,
                format!("no module {}", name.unwrap_or("defined yet")),
            )
        })
    }

    fn module_failed(
        &mut self,
        span: wast::token::Span,
        name: Option<String>,
        component: bool,
        status: Status,
        reason: String,
    ) {
        let (line, _) = self.pos(span);
        let verdict_status = if status == Status::Unsupported {
            Status::Unsupported
        } else {
            status
        };
        let blocked = if status == Status::Unsupported {
            Status::Unsupported
        } else {
            Status::Blocked
        };
        let what = if component { "component" } else { "module" };
        let state = ModState::Failed(blocked, format!("{what} at line {line} failed: {reason}"));
        if let Some(n) = name {
            self.named.insert(n, state.clone());
        }
        self.current = Some(state);
        self.verdict(span, what, verdict_status).reason = Some(reason);
    }

    /// Instantiates a module or a component, naming it (and making it the
    /// current one) on success.
    fn instantiate_named(
        &mut self,
        span: wast::token::Span,
        bytes: &[u8],
        component: bool,
        name: Option<String>,
    ) {
        let made = if component {
            self.engine
                .instantiate_component(bytes)
                .map(ModState::Component)
        } else {
            self.engine.instantiate(bytes).map(ModState::Ready)
        };
        match made {
            Ok(state) => {
                if let Some(n) = name {
                    self.named.insert(n, state.clone());
                }
                self.current = Some(state);
            }
            Err(ModuleError::Unlinkable(reason))
                if component
                    && self.cfg.validation_only
                    && self.engine.validate_component(bytes).is_ok() =>
            {
                // Valid, and nothing here provides its imports: no verdict,
                // and what uses it later is blocked with this reason.
                let state = ModState::Failed(
                    Status::Blocked,
                    format!("component not linked (validation-only suite): {reason}"),
                );
                if let Some(n) = name {
                    self.named.insert(n, state.clone());
                }
                self.current = Some(state);
            }
            Err(e) => {
                let status = match e {
                    ModuleError::Unsupported(_) => Status::Unsupported,
                    ModuleError::EngineError(_) => Status::Error,
                    _ => Status::Fail,
                };
                self.module_failed(span, name, component, status, e.to_string());
            }
        }
    }

    /// Runs an `invoke` on a module or a component instance; `Err` carries
    /// the status for an unusable one.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Ran, (Status, String)> {
        match self.lookup(invoke.module.map(|m| m.name())) {
            ModState::Ready(id) => {
                let mut args: Vec<Value> = Vec::with_capacity(invoke.args.len());
                for a in &invoke.args {
                    args.push(arg_value(a).map_err(|e| (Status::Error, e))?);
                }
                Ok(Ran::Core(self.engine.invoke(id, invoke.name, &args)))
            }
            ModState::Component(id) => {
                let mut args: Vec<ComponentValue> = Vec::with_capacity(invoke.args.len());
                for a in &invoke.args {
                    args.push(patterns::component_arg(a).map_err(|e| (Status::Error, e))?);
                }
                Ok(Ran::Component(self.engine.invoke_component(
                    id,
                    invoke.name,
                    &args,
                )))
            }
            ModState::Failed(s, r) => Err((s, r)),
        }
    }

    fn execute(&mut self, exec: &mut WastExecute<'_>) -> Result<Ran, (Status, String)> {
        match exec {
            WastExecute::Invoke(i) => self.invoke(i),
            WastExecute::Get { module, global, .. } => {
                match self.lookup(module.map(|m| m.name())) {
                    ModState::Ready(id) => Ok(Ran::Core(self.engine.get_global(id, global))),
                    ModState::Component(_) => Err((
                        Status::Error,
                        format!(
                            "`get {global}` on a component instance: components export no globals"
                        ),
                    )),
                    ModState::Failed(s, r) => Err((s, r)),
                }
            }
            WastExecute::Wat(wat) => {
                let component = matches!(wat, Wat::Component(_));
                let bytes = wat
                    .encode()
                    .map_err(|e| (Status::Error, format!("text format: {}", e.message())))?;
                let made = if component {
                    self.engine.instantiate_component(&bytes).map(|_| ())
                } else {
                    self.engine.instantiate(&bytes).map(|_| ())
                };
                let done = |o: Outcome| {
                    if component {
                        Ran::Component(match o {
                            Outcome::Trapped(t) => ComponentOutcome::Trapped(t),
                            Outcome::Exhausted(t) => ComponentOutcome::Exhausted(t),
                            Outcome::Unsupported(m) => ComponentOutcome::Unsupported(m),
                            Outcome::Returned(_) => ComponentOutcome::Returned(Vec::new()),
                            o => ComponentOutcome::EngineError(o.to_string()),
                        })
                    } else {
                        Ran::Core(o)
                    }
                };
                match made {
                    Ok(()) => Ok(done(Outcome::Returned(vec![]))),
                    Err(ModuleError::Uninstantiable(o)) => Ok(done(o)),
                    Err(ModuleError::Unsupported(m)) => Ok(done(Outcome::Unsupported(m))),
                    Err(ModuleError::EngineError(m)) => Ok(done(Outcome::EngineError(m))),
                    Err(e) => Err((Status::Fail, format!("module not instantiated: {e}"))),
                }
            }
        }
    }

    fn unsupported_or(&self, outcome: &Ran, status: Status) -> Status {
        if outcome.unsupported() {
            Status::Unsupported
        } else if outcome.engine_error() && status != Status::Pass {
            Status::Error
        } else {
            status
        }
    }

    fn assert_return(
        &mut self,
        span: wast::token::Span,
        exec: &mut WastExecute<'_>,
        results: &[WastRet<'_>],
    ) {
        let expected: Vec<String> = results.iter().map(patterns::describe).collect();
        let expected = format!("[{}]", expected.join(", "));
        match self.execute(exec) {
            Ok(outcome) => {
                let ok = match &outcome {
                    Ran::Core(Outcome::Returned(vals)) => {
                        vals.len() == results.len()
                            && results
                                .iter()
                                .zip(vals)
                                .all(|(r, v)| patterns::matches(r, v))
                    }
                    Ran::Component(ComponentOutcome::Returned(vals)) => {
                        vals.len() == results.len()
                            && results
                                .iter()
                                .zip(vals)
                                .all(|(r, v)| patterns::matches_component(r, v))
                    }
                    _ => false,
                };
                let status =
                    self.unsupported_or(&outcome, if ok { Status::Pass } else { Status::Fail });
                let v = self.verdict(span, "assert_return", status);
                v.expected = Some(expected);
                v.actual = Some(outcome.to_string());
            }
            Err((status, reason)) => {
                let v = self.verdict(span, "assert_return", status);
                v.expected = Some(expected);
                v.reason = Some(reason);
            }
        }
    }

    fn assert_trap(&mut self, span: wast::token::Span, exec: &mut WastExecute<'_>, message: &str) {
        match self.execute(exec) {
            Ok(outcome) => self.score_trap(span, "assert_trap", outcome, message),
            Err((status, reason)) => {
                self.verdict(span, "assert_trap", status).reason = Some(reason)
            }
        }
    }

    /// Scores a trap (or, for `assert_exhaustion`, an exhaustion) against the
    /// expected spec message: kind first, then wording.
    ///
    /// A component call's trap has the right kind when the expected text
    /// names a core trap (`unreachable`, ...) and the kinds match, or when
    /// it names none (a component-model rule: "unknown handle index", ...)
    /// and the trap is [`TrapKind::Component`]; an actual message that
    /// contains the expected text is always the right kind.
    fn score_trap(&mut self, span: wast::token::Span, kind: &str, outcome: Ran, message: &str) {
        let expected_kinds = TrapKind::candidates(message);
        let component = outcome.is_component();
        let (status, note) = match outcome.trap() {
            Some((t, _)) => {
                let kind_ok = if component {
                    t.message.contains(message)
                        || if expected_kinds.is_empty() {
                            t.kind == TrapKind::Component
                        } else {
                            expected_kinds.iter().any(|k| t.kind.matches(*k))
                        }
                } else {
                    t.message.starts_with(message)
                        || expected_kinds.iter().any(|k| t.kind.matches(*k))
                };
                if kind_ok {
                    self.score_message(message, &t.message, component)
                } else {
                    (Status::Fail, None)
                }
            }
            None => (self.unsupported_or(&outcome, Status::Fail), None),
        };
        let v = self.verdict(span, kind, status);
        v.expected = Some(format!("trap: {message}"));
        v.actual = Some(outcome.to_string());
        v.message = note;
    }

    /// The message rule: the expected text must be a prefix of the engine's
    /// (for components, `contains`: the reference tests' messages are
    /// wasmtime's and wasmparser's, which come inside longer texts).
    /// Strict engines fail on other wording; others pass with a note.
    fn score_message(
        &self,
        expected: &str,
        actual: &str,
        component: bool,
    ) -> (Status, Option<String>) {
        let same = if component {
            actual.contains(expected)
        } else {
            actual.starts_with(expected)
        };
        if same {
            (Status::Pass, None)
        } else {
            let note = format!("expected message {expected:?}, engine said {actual:?}");
            (
                if self.cfg.strict_messages {
                    Status::Fail
                } else {
                    Status::Pass
                },
                Some(note),
            )
        }
    }

    fn assert_rejected(
        &mut self,
        span: wast::token::Span,
        kind: &str,
        module: &mut QuoteWat<'_>,
        message: &str,
        stage: Stage,
    ) {
        let mut category = text_category(module);
        let component = is_component(module);
        let expected = format!("{}: {message}", stage.name());
        let bytes = match module.encode() {
            Ok(b) => b,
            Err(e) => {
                // The text parser rejected the module before any engine saw
                // it. A component whose names the wast crate cannot resolve
                // (an `assert_invalid` of the reference tests) is credited to
                // the text parser when its message is the expected one.
                if component && e.message().contains(message) {
                    category = Category::TextFormat;
                }
                let status = if category == Category::TextFormat {
                    Status::Pass
                } else {
                    Status::Error
                };
                let v = self.verdict(span, kind, status);
                v.category = category;
                v.expected = Some(expected);
                v.actual = Some(format!("rejected by the text parser: {}", e.message()));
                return;
            }
        };
        let result = match stage {
            Stage::Malformed | Stage::Invalid if component => {
                self.engine.validate_component(&bytes)
            }
            Stage::Malformed | Stage::Invalid => self.engine.validate(&bytes),
            Stage::MalformedCustom | Stage::InvalidCustom => {
                self.engine.check_custom_sections(&bytes)
            }
        };
        let (status, note) = match (&result, stage) {
            (Err(ModuleError::Malformed(m)), Stage::Malformed | Stage::MalformedCustom)
            | (Err(ModuleError::Invalid(m)), Stage::Invalid | Stage::InvalidCustom) => {
                let same = if component {
                    m.contains(message)
                } else {
                    m.starts_with(message)
                };
                if category == Category::TextFormat && !same {
                    // The expected wording is the spec's text parser's; when
                    // our text parser let the module through and the engine
                    // rejected it at the right stage, the engine is not at fault.
                    let note = format!(
                        "text parser accepted it; engine rejected it at the right stage: {m:?}"
                    );
                    (Status::Pass, Some(note))
                } else {
                    self.score_message(message, m, component)
                }
            }
            (Err(ModuleError::Rejected(_)), _) => (
                Status::Pass,
                Some("the engine does not report whether decoding or validation failed".into()),
            ),
            (Err(ModuleError::Unsupported(_)), _) => (Status::Unsupported, None),
            (Err(ModuleError::EngineError(_)), _) => (Status::Error, None),
            _ => (Status::Fail, None),
        };
        let actual = match result {
            Ok(()) => "accepted".to_string(),
            Err(e) => e.to_string(),
        };
        let v = self.verdict(span, kind, status);
        v.category = category;
        v.expected = Some(expected);
        v.actual = Some(actual);
        v.message = note;
    }
}

// ---- threads: `(thread $T (shared (module $M)) ...)` and `(wait $T)` ----

/// A `thread` block running on an OS thread of its own. It streams its
/// verdicts as it produces them, so none is lost if it panics or hangs.
struct ThreadHandle {
    verdicts: mpsc::Receiver<Verdict>,
    join: std::thread::JoinHandle<()>,
    /// Where the block starts, for a verdict about the thread itself.
    line: u32,
    col: u32,
    /// Every assertion inside: (line, col, kind).
    assertions: Vec<(u32, u32, &'static str)>,
}

/// What a thread needs to run its block without borrowing the main runner.
struct ThreadJob {
    engine: Box<dyn Engine + Send>,
    cfg: ScriptConfig,
    src: Arc<str>,
    /// Offset of the block in `src`, and its (unfolded) text.
    base: usize,
    text: String,
    /// The shared module's name and its instance in the thread's engine.
    shared: Option<(String, InstanceId)>,
    deadline: Instant,
}

impl ThreadJob {
    /// Runs the block's directives with the main script's verdict logic.
    fn run(mut self, out: mpsc::Sender<Verdict>) {
        let mut runner = Runner {
            engine: self.engine.as_mut(),
            cfg: &self.cfg,
            src: &self.src,
            lines: Lines::new(&self.src),
            base: self.base,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            verdicts: Vec::new(),
            deadline: self.deadline,
            poisoned: None,
            thread_text: None,
            threads: Vec::new(),
            shared_src: Some(self.src.clone()),
        };
        if let Some((name, id)) = self.shared.take() {
            runner.named.insert(name, ModState::Ready(id));
        }
        let text = self.text.as_str();
        let mut lexer = Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buf| {
            let OneDirective(d) = parser::parse::<OneDirective>(&buf)?;
            if let WastDirective::Thread(mut t) = d {
                for d in t.directives.iter_mut() {
                    if matches!(d, WastDirective::Thread(_)) {
                        // A nested block finds its own text in this one.
                        runner.thread_text = Some(text.to_string());
                    }
                    runner.run_directive_guarded(d);
                    for v in runner.verdicts.drain(..) {
                        let _ = out.send(v);
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = parsed {
            runner.parse_failure(text, &e.message());
        }
        runner.join_all_threads();
        for v in runner.verdicts.drain(..) {
            let _ = out.send(v);
        }
    }
}

impl Runner<'_> {
    /// threads: starts a `thread` block on an OS thread with an engine of
    /// its own that sees the shared module's shared memories.
    fn start_thread(&mut self, span: wast::token::Span, thread: &wast::WastThread<'_>) {
        let name = thread.name.name().to_string();
        let assertions: Vec<(u32, u32, &'static str)> = assertions_in(&thread.directives)
            .into_iter()
            .map(|(sp, kind)| {
                let (l, c) = self.pos(sp);
                (l, c, kind)
            })
            .collect();
        let all = |me: &mut Self, status: Status, reason: String| {
            me.threads.push((name.clone(), None));
            for (line, col, kind) in &assertions {
                let mut v = Verdict::new(*line, *col, *kind, status);
                v.reason = Some(reason.clone());
                me.verdicts.push(v);
            }
        };
        if !self.engine.supports_threads() {
            // Every assertion inside is unsupported rather than silently dropped.
            let reason = format!("threads: {} does not run thread blocks", self.engine.name());
            return all(self, Status::Unsupported, reason);
        }
        let shared_name = thread.shared_module.map(|m| m.name().to_string());
        let mut ids = Vec::new();
        if let Some(n) = &shared_name {
            match self.lookup(Some(n)) {
                ModState::Ready(id) => ids.push(id),
                ModState::Component(_) => {
                    return all(
                        self,
                        Status::Error,
                        format!("thread: the shared {n} is a component, not a module"),
                    );
                }
                ModState::Failed(status, reason) => return all(self, status, reason),
            }
        }
        let spawned = match self.engine.spawn_thread(&ids) {
            Ok(s) => s,
            // E.g. an external driver that promises threads the host cannot
            // give it yet: the engine's answer, not a runner error.
            Err(e) => return all(self, Status::Unsupported, e),
        };
        // The block's own text: from its '(' to the matching ')'.
        let own = self.thread_text.as_deref().and_then(|t| {
            let start = t.get(..span.offset())?.rfind('(')?;
            Some((start, chunk::first_form(&t[start..])?.to_string()))
        });
        let Some((start, text)) = own else {
            return all(self, Status::Error, "internal: thread text missing".into());
        };
        let src = self
            .shared_src
            .get_or_insert_with(|| Arc::from(self.src))
            .clone();
        let job = ThreadJob {
            engine: spawned.engine,
            cfg: self.cfg.clone(),
            src,
            base: self.base + start,
            text,
            shared: shared_name.zip(spawned.instances.first().copied()),
            deadline: self.deadline,
        };
        let (line, col) = self.pos(span);
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(format!("wast thread ${name}"))
            .stack_size(SCRIPT_STACK_BYTES)
            .spawn(move || job.run(tx));
        match spawned {
            Ok(join) => self.threads.push((
                name,
                Some(ThreadHandle {
                    verdicts: rx,
                    join,
                    line,
                    col,
                    assertions,
                }),
            )),
            Err(e) => all(
                self,
                Status::Error,
                format!("cannot start an OS thread: {e}"),
            ),
        }
    }

    /// threads: `(wait $T)` joins the thread and takes its verdicts.
    fn wait_thread(&mut self, span: wast::token::Span, name: &str) {
        match self.threads.iter().position(|(n, _)| n == name) {
            Some(i) => {
                if let (_, Some(h)) = self.threads.remove(i) {
                    self.join_thread(h);
                }
            }
            None => {
                self.verdict(span, "wait", Status::Error).reason =
                    Some(format!("no running thread ${name}"));
            }
        }
    }

    /// Joins every thread still running, in start order.
    fn join_all_threads(&mut self) {
        for (_, h) in std::mem::take(&mut self.threads) {
            if let Some(h) = h {
                self.join_thread(h);
            }
        }
    }

    /// Takes a thread's verdicts until it ends or the script's deadline
    /// passes; assertions it never reported become timeouts (it is left
    /// running) or errors (it panicked).
    fn join_thread(&mut self, h: ThreadHandle) {
        let mut got: Vec<Verdict> = Vec::new();
        let ended = loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match h.verdicts.recv_timeout(left) {
                Ok(v) => got.push(v),
                Err(RecvTimeoutError::Disconnected) => break true,
                Err(RecvTimeoutError::Timeout) => break false,
            }
        };
        let reported: std::collections::HashSet<(u32, u32)> =
            got.iter().map(|v| (v.line, v.col)).collect();
        self.verdicts.extend(got);
        let (status, reason) = if ended {
            match h.join.join() {
                Ok(()) => return,
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    (Status::Error, format!("the thread panicked: {msg}"))
                }
            }
        } else {
            (
                Status::Timeout,
                format!("thread still running after {:?}", self.cfg.timeout),
            )
        };
        let mut missing = 0;
        for (line, col, kind) in &h.assertions {
            if !reported.contains(&(*line, *col)) {
                let mut v = Verdict::new(*line, *col, *kind, status);
                v.reason = Some(reason.clone());
                self.verdicts.push(v);
                missing += 1;
            }
        }
        if missing == 0 {
            let mut v = Verdict::new(h.line, h.col, "thread", status);
            v.reason = Some(reason);
            self.verdicts.push(v);
        }
    }
}

/// The stage an `assert_malformed` / `assert_invalid` expects.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Malformed,
    Invalid,
    /// A custom section (name, branch hints, ...) that does not decode.
    MalformedCustom,
    /// A custom section that decodes but does not fit its module.
    InvalidCustom,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Malformed => "malformed",
            Stage::Invalid => "invalid",
            Stage::MalformedCustom => "malformed custom section",
            Stage::InvalidCustom => "invalid custom section",
        }
    }
}
