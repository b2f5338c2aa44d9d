//! Timing engines against each other on the same programs, in one run.
//!
//! Each program exports a function (default `run: [] -> [i64]`). For every
//! round, every engine instantiates the program afresh and calls the export
//! once; rounds alternate engines so that machine noise hits all alike. The
//! median call time per engine is reported with the ratio to the baseline
//! engine (the last one named), and each result is checked against the
//! expected value when one is known.

use crate::{Budget, Outcome, Value, create_engine};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    /// Engine names; the last one is the baseline of the ratios.
    pub engines: Vec<String>,
    /// Programs (`.wasm` files without imports).
    pub programs: Vec<PathBuf>,
    /// The export to call.
    pub export: String,
    /// Timed rounds per engine and program.
    pub rounds: usize,
    /// Expected results by program stem, e.g. `fib-nowasi` -> `i64:24157817`.
    pub expected: BTreeMap<String, Value>,
}

/// The measurements of one program on one engine.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Call times of every round.
    pub times: Vec<Duration>,
    /// What the last call returned (or how it failed).
    pub outcome: String,
    /// Whether every call returned the expected value (None: nothing expected).
    pub correct: Option<bool>,
}

impl Measurement {
    /// The median call time.
    pub fn median(&self) -> Option<Duration> {
        let mut t = self.times.clone();
        t.sort();
        t.get(t.len() / 2).copied()
    }
}

/// All measurements, by program then engine.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The plan measured.
    pub plan: BenchPlan,
    /// `results[program][engine]`.
    pub results: Vec<Vec<Measurement>>,
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs the plan. Errors are per measurement (recorded as outcomes), except
/// an unreadable program or unknown engine, which end the run.
pub fn run(plan: &BenchPlan, mut progress: impl FnMut(&str)) -> Result<BenchReport, String> {
    for e in &plan.engines {
        create_engine(e)?;
    }
    let mut results = Vec::new();
    for program in &plan.programs {
        let bytes = std::fs::read(program).map_err(|e| format!("{}: {e}", program.display()))?;
        let expected = plan.expected.get(&stem(program));
        let mut row: Vec<Measurement> = plan
            .engines
            .iter()
            .map(|_| Measurement {
                times: Vec::new(),
                outcome: String::new(),
                correct: expected.map(|_| true),
            })
            .collect();
        for round in 0..plan.rounds {
            for (i, name) in plan.engines.iter().enumerate() {
                progress(&format!(
                    "{} on {name}, round {}/{}",
                    stem(program),
                    round + 1,
                    plan.rounds
                ));
                let m = &mut row[i];
                let mut engine = create_engine(name)?;
                engine.set_budget(Budget { fuel: None });
                let outcome = match engine.instantiate(&bytes) {
                    Ok(id) => {
                        let start = Instant::now();
                        let o = engine.invoke(id, &plan.export, &[]);
                        m.times.push(start.elapsed());
                        o
                    }
                    Err(e) => Outcome::EngineError(e.to_string()),
                };
                m.outcome = match &outcome {
                    Outcome::Returned(v) => v
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                    o => o.to_string(),
                };
                if let Some(want) = expected {
                    let ok = matches!(&outcome, Outcome::Returned(v) if v.as_slice() == [*want]);
                    m.correct = Some(m.correct.unwrap_or(true) && ok);
                }
            }
        }
        results.push(row);
    }
    Ok(BenchReport {
        plan: plan.clone(),
        results,
    })
}

impl BenchReport {
    /// The Markdown table: median per engine, ratio to the baseline, and
    /// whether results matched.
    pub fn markdown(&self) -> String {
        let engines = &self.plan.engines;
        let base = engines.len().saturating_sub(1);
        let mut out = String::new();
        let mut header = String::from("| program |");
        let mut rule = String::from("|---|");
        for e in engines {
            let _ = write!(header, " {e} (ms) |");
            rule.push_str("---:|");
        }
        for e in &engines[..base] {
            let _ = write!(header, " {e} / {} |", engines[base]);
            rule.push_str("---:|");
        }
        header.push_str(" result |");
        rule.push_str("---|");
        let _ = writeln!(out, "{header}\n{rule}");
        for (program, row) in self.plan.programs.iter().zip(&self.results) {
            let mut line = format!("| {} |", stem(program));
            let medians: Vec<Option<Duration>> = row.iter().map(Measurement::median).collect();
            for m in &medians {
                match m {
                    Some(d) => {
                        let _ = write!(line, " {:.1} |", d.as_secs_f64() * 1e3);
                    }
                    None => line.push_str(" - |"),
                }
            }
            for m in &medians[..base] {
                match (m, medians[base]) {
                    (Some(a), Some(b)) if !b.is_zero() => {
                        let _ = write!(line, " {:.2} |", a.as_secs_f64() / b.as_secs_f64());
                    }
                    _ => line.push_str(" - |"),
                }
            }
            let verdict = if row.iter().all(|m| m.correct == Some(true)) {
                format!("ok ({})", row[0].outcome)
            } else {
                let parts: Vec<String> = engines
                    .iter()
                    .zip(row)
                    .map(|(e, m)| format!("{e}: {}", m.outcome))
                    .collect();
                format!("MISMATCH {}", parts.join("; "))
            };
            let _ = writeln!(line, " {verdict} |");
            out.push_str(&line);
        }
        out
    }

    /// Whether every engine returned the expected value on every program.
    pub fn all_correct(&self) -> bool {
        self.results
            .iter()
            .flatten()
            .all(|m| m.correct != Some(false))
    }
}

/// Reads the expected `run()` results from a bench folder's README table:
/// rows `| name | ... | 0xHEX / DECIMAL |`, for `name-nowasi` and `name`.
pub fn expected_from_readme(text: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // A table row splits into ["", name, ..., last, ""].
        if cells.len() < 4 {
            continue;
        }
        // `dispatch (WAT only)` names the program `dispatch`.
        let name = cells[1].split_whitespace().next().unwrap_or("");
        let last = cells[cells.len() - 2];
        let Some((_, dec)) = last.split_once('/') else {
            continue;
        };
        let Ok(v) = dec.trim().parse::<u64>() else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.insert(format!("{name}-nowasi"), Value::I64(v));
        out.insert(name.to_string(), Value::I64(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_expected_results() {
        let readme = "| file | what | out | `run()` result (hex / unsigned decimal) |\n\
                      |---|---|---|---|\n\
                      | fib | fib | `x` | 0x1709e79 / 24157817 |\n\
                      | dispatch (WAT only) | y | — | 0x5 / 5 |\n\
                      | fibrec | z | — | 0x8cccc9 / 9227465 |\n";
        let e = expected_from_readme(readme);
        assert_eq!(e.get("fib-nowasi"), Some(&Value::I64(24_157_817)));
        assert_eq!(e.get("fibrec"), Some(&Value::I64(9_227_465)));
        assert_eq!(e.get("dispatch"), Some(&Value::I64(5)));
        assert!(!e.contains_key("file"));
    }
}
