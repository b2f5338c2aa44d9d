//! The diff of two runs: which verdicts were fixed, regressed, are new or
//! gone, with counts. CI gates on [`Diff::has_regressions`].
//!
//! Runs are paired by (engine name, kind); verdicts by
//! `unit id:line:col:kind` (DESIGN.md, "reports"), with an occurrence number
//! for the rare directive that yields more than one verdict.

use crate::matrix::{is_failing, run_label};
use crate::{ResultsDoc, RunKind, Status, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One verdict that differs between the runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `id:line:col:kind`.
    pub key: String,
    /// Status in the old run, if the verdict was there.
    pub before: Option<Status>,
    /// Status in the new run, if the verdict is there.
    pub after: Option<Status>,
    /// What the new run says (expected/actual/reason), or the old one for gone verdicts.
    pub detail: String,
}

/// The differences of one pair of runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDiff {
    /// The run's label (engine, and kind unless `spec`).
    pub label: String,
    /// Failing or not passing before, passing now.
    pub fixed: Vec<Change>,
    /// Passing before, not passing now.
    pub regressed: Vec<Change>,
    /// Another non-passing status than before (e.g. fail -> error).
    pub changed: Vec<Change>,
    /// Only in the new run.
    pub new: Vec<Change>,
    /// Only in the old run.
    pub gone: Vec<Change>,
    /// Whether the new run is a partial (killed) run.
    pub partial: bool,
    /// Pass counts before and after.
    pub pass: (u64, u64),
    /// Verdict counts before and after.
    pub total: (u64, u64),
}

/// The diff of two sets of runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// One entry per paired (or unpaired) run, in the order found.
    pub runs: Vec<RunDiff>,
}

type RunKey = (String, RunKind);

fn key_of(doc: &ResultsDoc) -> RunKey {
    (doc.engine.name.clone(), doc.kind)
}

fn detail(v: &Verdict) -> String {
    match (&v.expected, &v.actual, &v.reason) {
        (Some(e), Some(a), _) if v.status != Status::Pass => format!("expected {e}, got {a}"),
        (_, _, Some(r)) => r.clone(),
        _ => String::new(),
    }
}

fn verdict_map(doc: &ResultsDoc) -> BTreeMap<String, &Verdict> {
    let mut map = BTreeMap::new();
    for unit in &doc.units {
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for v in &unit.verdicts {
            let base = format!("{}:{}:{}:{}", unit.id, v.line, v.col, v.kind);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let key = if *n == 1 { base } else { format!("{base}#{n}") };
            map.insert(key, v);
        }
    }
    map
}

impl RunDiff {
    /// Compares one old run with one new run.
    pub fn new(before: Option<&ResultsDoc>, after: Option<&ResultsDoc>) -> RunDiff {
        let label = after.or(before).map(run_label).unwrap_or_default();
        let old = before.map(verdict_map).unwrap_or_default();
        let new = after.map(verdict_map).unwrap_or_default();
        let mut d = RunDiff {
            label,
            partial: after.is_some_and(|a| a.partial),
            pass: (
                before.map_or(0, |b| b.totals.pass),
                after.map_or(0, |a| a.totals.pass),
            ),
            total: (
                before.map_or(0, |b| b.totals.total()),
                after.map_or(0, |a| a.totals.total()),
            ),
            ..RunDiff::default()
        };
        for (key, a) in &new {
            let change = |before: Option<Status>| Change {
                key: key.clone(),
                before,
                after: Some(a.status),
                detail: detail(a),
            };
            match old.get(key) {
                None => d.new.push(change(None)),
                Some(b) if b.status == a.status => {}
                Some(b) if b.status == Status::Pass => d.regressed.push(change(Some(b.status))),
                Some(b) if a.status == Status::Pass => d.fixed.push(change(Some(b.status))),
                Some(b) => d.changed.push(change(Some(b.status))),
            }
        }
        for (key, b) in &old {
            if !new.contains_key(key) {
                d.gone.push(Change {
                    key: key.clone(),
                    before: Some(b.status),
                    after: None,
                    detail: detail(b),
                });
            }
        }
        d
    }

    /// New verdicts that fail.
    pub fn new_failing(&self) -> usize {
        self.new
            .iter()
            .filter(|c| c.after.is_some_and(is_failing))
            .count()
    }
}

impl Diff {
    /// Pairs the runs of `before` and `after` by (engine, kind) and compares them.
    pub fn new(before: &[ResultsDoc], after: &[ResultsDoc]) -> Diff {
        let mut runs = Vec::new();
        for a in after {
            let b = before.iter().find(|b| key_of(b) == key_of(a));
            runs.push(RunDiff::new(b, Some(a)));
        }
        for b in before {
            if !after.iter().any(|a| key_of(a) == key_of(b)) {
                runs.push(RunDiff::new(Some(b), None));
            }
        }
        Diff { runs }
    }

    /// Whether any verdict that passed before no longer passes.
    pub fn has_regressions(&self) -> bool {
        self.runs.iter().any(|r| !r.regressed.is_empty())
    }

    /// A text report: counts per run, then each regression and fix
    /// (at most `limit` of each kind per run).
    pub fn render_text(&self, limit: usize) -> String {
        let mut out = String::new();
        for r in &self.runs {
            let partial = if r.partial {
                " (new run is partial: gone verdicts may just not have run)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{}: pass {} -> {} of {} -> {}; {} fixed, {} regressed, {} changed, {} new ({} failing), {} gone{partial}",
                r.label,
                r.pass.0,
                r.pass.1,
                r.total.0,
                r.total.1,
                r.fixed.len(),
                r.regressed.len(),
                r.changed.len(),
                r.new.len(),
                r.new_failing(),
                r.gone.len()
            );
            for (title, list) in [
                ("regressed", &r.regressed),
                ("fixed", &r.fixed),
                ("changed", &r.changed),
            ] {
                for c in list.iter().take(limit) {
                    let st = |s: Option<Status>| s.map_or("-", Status::as_str);
                    let _ = writeln!(
                        out,
                        "  {title}: {} ({} -> {}){}",
                        c.key,
                        st(c.before),
                        st(c.after),
                        if c.detail.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", c.detail)
                        }
                    );
                }
                if list.len() > limit {
                    let _ = writeln!(out, "  ... {} more {title}", list.len() - limit);
                }
            }
        }
        let regressed: usize = self.runs.iter().map(|r| r.regressed.len()).sum();
        let fixed: usize = self.runs.iter().map(|r| r.fixed.len()).sum();
        let _ = writeln!(
            out,
            "{}: {fixed} fixed, {regressed} regressed",
            if regressed > 0 { "REGRESSION" } else { "ok" }
        );
        out
    }

    /// A Markdown report with the counts table and the regressions.
    pub fn render_markdown(&self, limit: usize) -> String {
        let mut out = String::from("# Conformance diff\n\n");
        let _ = writeln!(
            out,
            "| run | pass before | pass after | fixed | regressed | changed | new | new failing | gone |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in &self.runs {
            let _ = writeln!(
                out,
                "| {}{} | {}/{} | {}/{} | {} | {} | {} | {} | {} | {} |",
                r.label,
                if r.partial { " (partial)" } else { "" },
                r.pass.0,
                r.total.0,
                r.pass.1,
                r.total.1,
                r.fixed.len(),
                r.regressed.len(),
                r.changed.len(),
                r.new.len(),
                r.new_failing(),
                r.gone.len()
            );
        }
        for r in &self.runs {
            if r.regressed.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n## Regressions: {}\n", r.label);
            for c in r.regressed.iter().take(limit) {
                let _ = writeln!(
                    out,
                    "- `{}`: {} {}",
                    c.key,
                    c.after.map_or("-", Status::as_str),
                    c.detail.replace('\n', " ")
                );
            }
            if r.regressed.len() > limit {
                let _ = writeln!(out, "- ... {} more", r.regressed.len() - limit);
            }
        }
        out
    }
}
