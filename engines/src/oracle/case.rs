//! Divergences on disk: saving a case, reducing it with wasm-shrink, writing
//! a `.wast` reproducer, and loading it back for replay.
//!
//! A case folder holds:
//! - `module.wasm`, `module.wat`: the module as generated (with the oracle's
//!   helper exports), `config.txt`: the wasm-smith configuration,
//!   `input.bin`: the fuzz input, when known;
//! - `case.json`: engines, plan seed, rounds, fuel, the divergence, every
//!   call made with each engine's outcome;
//! - `reduced.wasm`, `reduced.wat`: the module after reduction (the same
//!   divergence key still shows);
//! - `repro.wast`: a script that passes on the last engine compared and
//!   fails on the first at the divergent assertion.

use super::compare::Class;
use super::generate::Case;
use super::instrument::{self, PEEK_EXPORT};
use super::{Run, Verdict, run_case};
use crate::outcome::{Outcome, TrapKind};
use crate::value::{NullKind, RefValue, Value, f32_is_canonical_nan, f64_is_canonical_nan};
use crate::value::{f32_is_arithmetic_nan, f64_is_arithmetic_nan};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// The schema tag of `case.json`.
pub const CASE_SCHEMA: &str = "wasm-conform-fuzz-case/1";

/// Reduces a case's module with wasm-shrink, keeping only candidates on
/// which the same engines still diverge with the same key (a memory
/// divergence must also keep the peek helper, for the reproducer).
/// Returns the reduced case, or the original if nothing smaller was found.
pub fn reduce(case: &Case, engines: &[&str], key: &str, attempts: u32) -> Result<Case, String> {
    let mut predicate = |wasm: &[u8]| -> anyhow::Result<bool> {
        let candidate = Case {
            wasm: wasm.to_vec(),
            ..case.clone()
        };
        let run = run_case(&candidate, engines).map_err(anyhow::Error::msg)?;
        Ok(match run.divergence() {
            Some(d) if d.key == key => {
                d.class != Class::Memory
                    || instrument::ModuleInfo::parse(wasm).is_ok_and(|i| i.has_export(PEEK_EXPORT))
            }
            _ => false,
        })
    };
    // wasm-shrink's structural mutations, then a line-by-line pass over the
    // text (removing instructions wasm-mutate has no rule for), in rounds
    // while either still makes progress.
    let mut best = case.wasm.clone();
    // First without the calls of operand shaping (oracle/shape.rs), whose
    // helpers wasm-shrink cannot remove while they are called.
    if let Ok(stripped) =
        instrument::rewrite_bodies(&best, instrument::BodyRewrite::DropSameTypeCalls)
        && stripped != best
        && predicate(&stripped).unwrap_or(false)
    {
        best = stripped;
    }
    for round in 0..6u64 {
        let before = (
            best.len(),
            instrument::count_instructions(&best).unwrap_or(0),
        );
        let info = wasm_shrink::WasmShrink::default()
            .attempts(attempts)
            .seed(42 + round)
            .run(best.clone(), &mut predicate)
            .map_err(|e| format!("reduction failed: {e:#}"))?;
        best = reduce_lines(info.output, &mut predicate);
        let after = (
            best.len(),
            instrument::count_instructions(&best).unwrap_or(0),
        );
        if after.0 >= before.0 && after.1 >= before.1 {
            break;
        }
    }
    Ok(Case {
        wasm: best,
        ..case.clone()
    })
}

/// Text to binary with the `wast` crate.
pub fn assemble(text: &str) -> Option<Vec<u8>> {
    let buf = wast::parser::ParseBuffer::new(text).ok()?;
    let mut module: wast::Wat = wast::parser::parse(&buf).ok()?;
    module.encode().ok()
}

/// Delta debugging over the lines of the module's text: removes chunks of
/// lines (halving the chunk size down to one line) as long as the result
/// assembles and the predicate still holds.
fn reduce_lines(
    wasm: Vec<u8>,
    predicate: &mut dyn FnMut(&[u8]) -> anyhow::Result<bool>,
) -> Vec<u8> {
    let Ok(text) = wasmprinter::print_bytes(&wasm) else {
        return wasm;
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let mut best = wasm;
    let mut chunk = (lines.len() / 2).max(1);
    loop {
        let mut i = 0;
        let mut progress = false;
        while i < lines.len() {
            let end = (i + chunk).min(lines.len());
            let candidate: Vec<&str> = lines[..i].iter().chain(&lines[end..]).copied().collect();
            let interesting = assemble(&candidate.join("\n"))
                .filter(|bytes| bytes.len() <= best.len() + 16)
                .and_then(|bytes| predicate(&bytes).ok().filter(|b| *b).map(|_| bytes));
            match interesting {
                Some(bytes) => {
                    lines = candidate;
                    best = bytes;
                    progress = true;
                }
                None => i += chunk,
            }
        }
        if chunk == 1 && !progress {
            // Pairs of lines: a push and the drop that balances it, a
            // `block` and its `end`.
            if !remove_pairs(&mut lines, &mut best, predicate) {
                return best;
            }
            continue;
        }
        if !progress {
            chunk /= 2;
        }
    }
}

/// The pair pass of [`reduce_lines`] runs on texts of at most this many lines.
const MAX_PAIR_LINES: usize = 120;

/// Tries removing two lines at once; true if one pair could go.
fn remove_pairs(
    lines: &mut Vec<&str>,
    best: &mut Vec<u8>,
    predicate: &mut dyn FnMut(&[u8]) -> anyhow::Result<bool>,
) -> bool {
    // Quadratic: only for modules already small.
    if lines.len() > MAX_PAIR_LINES {
        return false;
    }
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            let candidate: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i && *k != j)
                .map(|(_, l)| *l)
                .collect();
            if let Some(bytes) = assemble(&candidate.join("\n"))
                && predicate(&bytes).is_ok_and(|b| b)
            {
                *lines = candidate;
                *best = bytes;
                return true;
            }
        }
    }
    false
}

/// The text of a module (wasmprinter), or a note when it cannot be printed.
pub fn wat(wasm: &[u8]) -> String {
    wasmprinter::print_bytes(wasm).unwrap_or_else(|e| format!(";; cannot print: {e}\n"))
}

/// `f32` bits as an exact hexadecimal float literal (or `inf`, or a NaN payload).
pub fn f32_literal(bits: u32) -> String {
    let sign = if bits >> 31 == 1 { "-" } else { "" };
    let exp = (bits >> 23) & 0xff;
    let mant = bits & 0x7f_ffff;
    match exp {
        0xff if mant == 0 => format!("{sign}inf"),
        0xff => format!("{sign}nan:0x{mant:x}"),
        0 => format!("{sign}0x0.{:06x}p-126", mant << 1),
        e => format!("{sign}0x1.{:06x}p{}", mant << 1, e as i32 - 127),
    }
}

/// `f64` bits as an exact hexadecimal float literal (or `inf`, or a NaN payload).
pub fn f64_literal(bits: u64) -> String {
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    let exp = (bits >> 52) & 0x7ff;
    let mant = bits & 0xf_ffff_ffff_ffff;
    match exp {
        0x7ff if mant == 0 => format!("{sign}inf"),
        0x7ff => format!("{sign}nan:0x{mant:x}"),
        0 => format!("{sign}0x0.{mant:013x}p-1022"),
        e => format!("{sign}0x1.{mant:013x}p{}", e as i64 - 1023),
    }
}

/// A value as a `.wast` constant (an argument, or an exact expected result).
pub fn wast_const(v: &Value) -> String {
    match v {
        Value::I32(x) => format!("(i32.const {})", *x as i32),
        Value::I64(x) => format!("(i64.const {})", *x as i64),
        Value::F32(x) => format!("(f32.const {})", f32_literal(*x)),
        Value::F64(x) => format!("(f64.const {})", f64_literal(*x)),
        Value::V128(x) => format!(
            "(v128.const i64x2 {} {})",
            *x as u64 as i64,
            (*x >> 64) as u64 as i64
        ),
        Value::Ref(r) => match r {
            RefValue::Null(NullKind::Extern) => "(ref.null extern)".into(),
            RefValue::Null(NullKind::Any) => "(ref.null any)".into(),
            RefValue::Null(NullKind::Exn) => "(ref.null exn)".into(),
            RefValue::Null(_) => "(ref.null func)".into(),
            RefValue::Extern(n) => format!("(ref.extern {n})"),
            RefValue::Host(n) => format!("(ref.host {n})"),
            RefValue::Func(_) => "(ref.func)".into(),
            RefValue::I31(_) => "(ref.i31)".into(),
            RefValue::Struct(_) => "(ref.struct)".into(),
            RefValue::Array(_) => "(ref.array)".into(),
            RefValue::Exn(_) => "(ref.exn)".into(),
            RefValue::Opaque => "(ref.any)".into(),
        },
    }
}

/// A value as a `.wast` result pattern: NaNs by class, like the oracle compares.
pub fn wast_result(v: &Value) -> String {
    match v {
        Value::F32(x) if f32::from_bits(*x).is_nan() => {
            if f32_is_canonical_nan(*x) {
                "(f32.const nan:canonical)".into()
            } else if f32_is_arithmetic_nan(*x) {
                "(f32.const nan:arithmetic)".into()
            } else {
                wast_const(v)
            }
        }
        Value::F64(x) if f64::from_bits(*x).is_nan() => {
            if f64_is_canonical_nan(*x) {
                "(f64.const nan:canonical)".into()
            } else if f64_is_arithmetic_nan(*x) {
                "(f64.const nan:arithmetic)".into()
            } else {
                wast_const(v)
            }
        }
        _ => wast_const(v),
    }
}

/// The spec interpreter's message for a trap kind (the testsuite's words).
pub fn spec_message(kind: TrapKind) -> &'static str {
    kind.spec_message()
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

fn invoke(export: &str, args: &[Value]) -> String {
    let mut s = format!("(invoke {}", quote(export));
    for a in args {
        s.push(' ');
        s.push_str(&wast_const(a));
    }
    s.push(')');
    s
}

/// An assertion that the action had this outcome.
fn assertion(action: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Returned(vals) => {
            let mut s = format!("(assert_return {action}");
            for v in vals {
                s.push(' ');
                s.push_str(&wast_result(v));
            }
            s.push(')');
            s
        }
        Outcome::Trapped(t) => format!("(assert_trap {action} {})", quote(spec_message(t.kind))),
        Outcome::Exhausted(t) => {
            format!(
                "(assert_exhaustion {action} {})",
                quote(spec_message(t.kind))
            )
        }
        other => format!(";; {other}\n{action}"),
    }
}

/// The module as a `.wast` module field: text from wasmprinter, or binary.
fn module_field(wasm: &[u8], text: bool) -> String {
    if text && let Ok(t) = wasmprinter::print_bytes(wasm) {
        return t;
    }
    let mut s = String::from("(module binary\n  \"");
    for (i, b) in wasm.iter().enumerate() {
        if i > 0 && i % 32 == 0 {
            s.push_str("\"\n  \"");
        }
        let _ = write!(s, "\\{b:02x}");
    }
    s.push_str("\")");
    s
}

/// Writes the `.wast` reproducer of a divergent run: the module, every call
/// before the divergent one with its agreed outcome, then the divergent
/// step with the *last* engine's outcome as the expectation. It passes on
/// the last engine and fails on the first; comments give both outcomes.
/// `text` prints the module as text (else as `module binary`).
pub fn reproducer(case: &Case, run: &Run, text: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, ";; wasm-conform fuzz reproducer");
    let _ = writeln!(out, ";; engines: {}", run.engines.join(", "));
    let last = run.engines.len().saturating_sub(1);
    if let Some(d) = run.divergence() {
        let _ = writeln!(out, ";; divergence: {} ({})", d.class, d.key);
        for (i, o) in d.observed.iter().enumerate() {
            let who = if d.observed.len() == run.engines.len() {
                run.engines[i].as_str()
            } else {
                "observed"
            };
            let _ = writeln!(out, ";;   {who}: {o}");
        }
        let _ = writeln!(
            out,
            ";; expectations are {}'s outcomes: the script passes there and fails on {}",
            run.engines[last], run.engines[0]
        );
    }
    let _ = writeln!(
        out,
        ";; wasm-level fuel is reset to {} before each call",
        case.fuel
    );
    let _ = writeln!(out);
    let module = module_field(&case.wasm, text);
    let divergence = run.divergence();
    match divergence.map(|d| d.class) {
        Some(Class::Validation) => {
            let valid = divergence
                .and_then(|d| d.observed.get(last))
                .is_some_and(|s| s == "valid");
            if valid {
                let _ = writeln!(out, "{module}");
            } else {
                let binary = module_field(&case.wasm, false);
                let _ = writeln!(out, "(assert_invalid\n{binary}\n\"\")");
            }
            return out;
        }
        Some(Class::Instantiation) => {
            let expected = run
                .instantiation
                .get(last)
                .map(String::as_str)
                .unwrap_or("");
            if expected == "instantiated" {
                let _ = writeln!(out, "{module}");
            } else if let Some(msg) = expected.strip_prefix("uninstantiable: ") {
                let kind = TrapKind::from_spec_message(msg).or_else(|| TrapKind::mentioned_in(msg));
                let msg = kind.map(spec_message).unwrap_or("");
                let _ = writeln!(out, "(assert_trap\n{module}\n{})", quote(msg));
            } else {
                let _ = writeln!(out, ";; {expected}\n{module}");
            }
            return out;
        }
        _ => {
            let _ = writeln!(out, "{module}");
        }
    }
    let end = divergence.and_then(|d| d.call);
    for (i, call) in run.calls.iter().enumerate() {
        if let Some(fuel) = &run.fuel_export {
            let _ = writeln!(out, "(invoke {} (i32.const {}))", quote(fuel), case.fuel);
        }
        let action = invoke(&call.export, &call.args);
        let divergent_call = end == Some(i) && divergence.is_some_and(|d| d.state.is_none());
        let outcome = if divergent_call {
            &call.outcomes[last]
        } else {
            &call.outcomes[0]
        };
        if divergent_call {
            let _ = writeln!(out, ";; the divergent call:");
            for (e, o) in run.engines.iter().zip(&call.outcomes) {
                let _ = writeln!(out, ";;   {e}: {o}");
            }
        }
        let _ = writeln!(out, "{}", assertion(&action, outcome));
        if end == Some(i) {
            if let Some(state) = divergence.and_then(|d| d.state.as_ref()) {
                let _ = writeln!(
                    out,
                    ";; the divergent state after that call: {} {:?}: {}",
                    state.class, state.name, state.detail
                );
                match (state.class, state.values, state.byte) {
                    (Class::Global, Some((_, expected)), _) => {
                        let _ = writeln!(
                            out,
                            "(assert_return (get {}) {})",
                            quote(&state.name),
                            wast_result(&expected)
                        );
                    }
                    (Class::Memory, _, Some((addr, _, Some(byte)))) => {
                        let has_peek = instrument::ModuleInfo::parse(&case.wasm)
                            .is_ok_and(|i| i.has_export(PEEK_EXPORT));
                        if has_peek {
                            let _ = writeln!(
                                out,
                                "(assert_return {} (i32.const {byte}))",
                                invoke(PEEK_EXPORT, &[Value::I32(addr as u32)])
                            );
                        }
                    }
                    _ => {}
                }
            }
            break;
        }
    }
    out
}

/// `case.json` for a run.
pub fn case_json(case: &Case, run: &Run, reduced_instructions: Option<usize>) -> serde_json::Value {
    let divergence = run.divergence().map(|d| {
        json!({
            "class": d.class.name(),
            "key": d.key,
            "call": d.call,
            "observed": d.observed,
            "state": d.state.as_ref().map(|s| json!({
                "class": s.class.name(), "name": s.name, "detail": s.detail,
            })),
        })
    });
    let verdict = match &run.verdict {
        Verdict::Agree => "agree".to_string(),
        Verdict::Inconclusive(r) => format!("inconclusive: {}", r.name()),
        Verdict::Diverge(d) => format!("divergence: {}", d.key),
    };
    json!({
        "schema": CASE_SCHEMA,
        "engines": run.engines,
        "plan_seed": format!("{:#018x}", case.plan_seed),
        "rounds": case.rounds,
        "fuel": case.fuel,
        "verdict": verdict,
        "divergence": divergence,
        "instantiation": run.instantiation,
        "calls": run.calls.iter().map(|c| json!({
            "export": c.export,
            "args": c.args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "outcomes": c.outcomes.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "module": "module.wasm",
        "reduced": reduced_instructions.map(|_| "reduced.wasm"),
        "reduced_instructions": reduced_instructions,
        "reproducer": "repro.wast",
    })
}

/// A case read back from its folder.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The case as generated.
    pub case: Case,
    /// The reduced module, if the folder has one.
    pub reduced: Option<Vec<u8>>,
    /// The engines it was found with.
    pub engines: Vec<String>,
    /// The divergence key recorded.
    pub key: Option<String>,
}

/// Reads a case folder written by [`save`].
pub fn load(dir: &Path) -> Result<Loaded, String> {
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let json: serde_json::Value = serde_json::from_slice(&read("case.json")?)
        .map_err(|e| format!("{}: {e}", dir.join("case.json").display()))?;
    if json["schema"] != CASE_SCHEMA {
        return Err(format!("{}: not a {CASE_SCHEMA} document", dir.display()));
    }
    let seed = json["plan_seed"].as_str().unwrap_or("0");
    let plan_seed = u64::from_str_radix(seed.trim_start_matches("0x"), 16)
        .map_err(|e| format!("plan_seed {seed:?}: {e}"))?;
    let case = Case {
        wasm: read("module.wasm")?,
        plan_seed,
        rounds: json["rounds"].as_u64().unwrap_or(1) as u32,
        fuel: json["fuel"]
            .as_u64()
            .unwrap_or(u64::from(super::generate::WASM_FUEL)) as u32,
        config: String::from_utf8_lossy(&read("config.txt").unwrap_or_default()).into_owned(),
    };
    let reduced = read("reduced.wasm").ok();
    let engines = json["engines"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let key = json["divergence"]["key"].as_str().map(String::from);
    Ok(Loaded {
        case,
        reduced,
        engines,
        key,
    })
}

/// What [`save`] wrote.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The reduced case's run, if reduction kept the divergence.
    pub reduced: Option<(Case, Run)>,
    /// Instructions in the original and the reduced module.
    pub instructions: (usize, Option<usize>),
}

/// Saves a divergent case into `dir` (created): module, text, config,
/// input, `case.json`, the reduced module when `reduce_attempts > 0`, and the
/// reproducer (of the reduced module when there is one). `text_ok` tells
/// whether a text-format reproducer of a module is accepted by the script
/// runner; when it says no, the module is written in binary form.
pub fn save(
    dir: &Path,
    case: &Case,
    run: &Run,
    input: Option<&[u8]>,
    reduce_attempts: u32,
    text_ok: &dyn Fn(&str) -> bool,
) -> Result<Saved, String> {
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(io)?;
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).map_err(io);
    write("module.wasm", &case.wasm)?;
    write("module.wat", wat(&case.wasm).as_bytes())?;
    write("config.txt", case.config.as_bytes())?;
    if let Some(data) = input {
        write("input.bin", data)?;
    }
    let engines: Vec<&str> = run.engines.iter().map(String::as_str).collect();
    let original_count = instrument::count_instructions(&case.wasm).unwrap_or(0);
    let mut reduced = None;
    if let (Some(d), true) = (run.divergence(), reduce_attempts > 0)
        && d.reducible()
        && let Ok(small) = reduce(case, &engines, &d.key, reduce_attempts)
        && small.wasm != case.wasm
    {
        let small_run = run_case(&small, &engines)?;
        if small_run.divergence().is_some_and(|sd| sd.key == d.key) {
            write("reduced.wasm", &small.wasm)?;
            write("reduced.wat", wat(&small.wasm).as_bytes())?;
            reduced = Some((small, small_run));
        }
    }
    let reduced_count = reduced
        .as_ref()
        .and_then(|(c, _)| instrument::count_instructions(&c.wasm).ok());
    let json = case_json(case, run, reduced_count);
    write(
        "case.json",
        serde_json::to_string_pretty(&json)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    let (rcase, rrun) = reduced.as_ref().map_or((case, run), |(c, r)| (c, r));
    let mut script = reproducer(rcase, rrun, true);
    if !text_ok(&script) {
        script = reproducer(rcase, rrun, false);
    }
    write("repro.wast", script.as_bytes())?;
    Ok(Saved {
        reduced,
        instructions: (original_count, reduced_count),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_literals_are_exact() {
        assert_eq!(f32_literal(0x3f80_0000), "0x1.000000p0");
        assert_eq!(f32_literal(0xc040_0000), "-0x1.800000p1");
        assert_eq!(f32_literal(0x0000_0001), "0x0.000002p-126");
        assert_eq!(f32_literal(0x7f80_0000), "inf");
        assert_eq!(f32_literal(0xffc0_0001), "-nan:0x400001");
        assert_eq!(f64_literal(0x3ff8_0000_0000_0000), "0x1.8000000000000p0");
        assert_eq!(
            f64_literal(0x0000_0000_0000_0001),
            "0x0.0000000000001p-1022"
        );
        assert_eq!(
            wast_result(&Value::F32(0xffc0_0000)),
            "(f32.const nan:canonical)"
        );
        assert_eq!(
            wast_result(&Value::F64(0x7ff8_0000_0000_0001)),
            "(f64.const nan:arithmetic)"
        );
        assert_eq!(
            wast_const(&Value::V128(1 | (2u128 << 64))),
            "(v128.const i64x2 1 2)"
        );
    }

    #[test]
    fn spec_messages_round_trip() {
        use TrapKind::*;
        for k in [
            Unreachable,
            MemoryOutOfBounds,
            TableOutOfBounds,
            UndefinedElement,
            UninitializedElement,
            IndirectCallTypeMismatch,
            IntegerDivideByZero,
            IntegerOverflow,
            InvalidConversionToInteger,
        ] {
            assert_eq!(TrapKind::from_spec_message(spec_message(k)), Some(k));
        }
        assert_eq!(quote("a\"b\n"), "\"a\\\"b\\0a\"");
    }
}
