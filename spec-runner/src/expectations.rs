//! Known failures as data: one TOML file per engine, a reason per entry.
//!
//! ```toml
//! [[file]]
//! id = "test/core/gc/array.wast"      # a suite id (exact), or a prefix ending in '/'
//! unsupported = "gc"                  # the feature the engine lacks, or:
//! # fail = true                       # known failures of an implemented feature
//! # error = true                      # directives the runner cannot judge (the
//! #                                   # wast crate cannot parse them)
//! # lines = [12, 40]                  # only these lines (default: the whole file)
//! # except = ["test/core/gc/x.wast"]  # files under a folder entry that pass
//! reason = "wasmi 2.0 does not implement the GC proposal"
//! ```
//!
//! Applying an entry: every non-passing verdict it covers keeps its status
//! (`fail` stays `fail`; with `unsupported` it becomes `unsupported`) and gets
//! the entry's reason, and it no longer fails the run. An entry that covers a
//! file of the run but no non-passing verdict of that file is *stale* for it,
//! which fails the run: lists stay true, file by file.

use reports::{Status, Totals, Unit};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One engine's expectations.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expectations {
    /// The entries.
    #[serde(default, rename = "file")]
    pub files: Vec<Entry>,
}

/// One expected failure (a file, or lines of it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A suite id, or a folder prefix ending in `/`.
    pub id: String,
    /// The feature the engine lacks.
    #[serde(default)]
    pub unsupported: Option<String>,
    /// Known failures of something the engine implements.
    #[serde(default)]
    pub fail: bool,
    /// Directives the runner cannot judge: `error` verdicts (a directive
    /// the `wast` crate cannot parse). Only such an entry covers them.
    #[serde(default)]
    pub error: bool,
    /// Only these lines of the file.
    #[serde(default)]
    pub lines: Vec<u32>,
    /// Files under a folder entry that the entry does not cover (they pass).
    #[serde(default)]
    pub except: Vec<String>,
    /// Why.
    pub reason: String,
}

impl Entry {
    fn covers_unit(&self, id: &str) -> bool {
        if self.except.iter().any(|e| e == id) {
            false
        } else if self.id.ends_with('/') {
            id.starts_with(&self.id)
        } else {
            id == self.id
        }
    }

    fn covers_line(&self, line: u32) -> bool {
        self.lines.is_empty() || self.lines.contains(&line)
    }
}

/// What applying expectations found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A non-passing verdict no entry expects.
    Unexpected {
        /// Unit id.
        id: String,
        /// Line of the verdict.
        line: u32,
        /// Its status.
        status: Status,
        /// What happened.
        detail: String,
    },
    /// An entry whose failures are gone.
    Stale {
        /// The entry's id.
        id: String,
        /// The entry's reason.
        reason: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unexpected {
                id,
                line,
                status,
                detail,
            } => {
                write!(f, "{id}:{line}: unexpected {}: {detail}", status.as_str())
            }
            Problem::Stale { id, reason } => write!(
                f,
                "{id}: stale expectation (now passes; remove it from the expectations file): {reason}"
            ),
        }
    }
}

/// The expectations shipped with this build, by engine name: compiled in,
/// so an installed binary judges runs exactly as the source tree does. An
/// engine may have several files (the core suite's, the component model's):
/// their entries are merged.
const SHIPPED: &[(&str, &str)] = &[
    (
        "reference-vm",
        include_str!("../expectations/reference-vm.toml"),
    ),
    (
        "reference-vm",
        include_str!("../expectations/reference-vm.components.toml"),
    ),
    ("wasmi", include_str!("../expectations/wasmi.toml")),
    ("node", include_str!("../expectations/node.toml")),
];

/// Environment variable naming a folder of `ENGINE.toml` files that replaces
/// the shipped expectations (for vendors keeping their own lists).
pub const DIR_VAR: &str = "WASM_CONFORM_EXPECTATIONS";

/// Where a vendor's expectations file for `engine` is looked for.
pub fn path_in(dir: &Path, engine: &str) -> PathBuf {
    dir.join(format!("{engine}.toml"))
}

impl Expectations {
    /// Loads an engine's expectations: from `$WASM_CONFORM_EXPECTATIONS/ENGINE.toml`
    /// and `ENGINE.components.toml` when that variable is set (a missing file
    /// there means none), else the shipped lists (none for engines without one).
    pub fn load(engine: &str) -> Result<Expectations, String> {
        if let Some(dir) = std::env::var_os(DIR_VAR) {
            let mut all = Expectations::default();
            for path in [
                path_in(Path::new(&dir), engine),
                path_in(Path::new(&dir), &format!("{engine}.components")),
            ] {
                match std::fs::read_to_string(&path) {
                    Ok(text) => all.files.extend(
                        Self::parse(&text)
                            .map_err(|e| format!("{}: {e}", path.display()))?
                            .files,
                    ),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", path.display())),
                }
            }
            return Ok(all);
        }
        let mut all = Expectations::default();
        for (_, text) in SHIPPED.iter().filter(|(name, _)| *name == engine) {
            all.files.extend(
                Self::parse(text)
                    .map_err(|e| format!("shipped expectations of {engine}: {e}"))?
                    .files,
            );
        }
        Ok(all)
    }

    /// Parses expectations from TOML text.
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let e: Expectations = toml::from_str(text).map_err(|e| e.to_string())?;
        for entry in &e.files {
            let kinds = [entry.unsupported.is_some(), entry.fail, entry.error];
            if kinds.iter().filter(|k| **k).count() != 1 {
                return Err(format!(
                    "{}: say exactly one of `unsupported = \"feature\"`, `fail = true` or `error = true`",
                    entry.id
                ));
            }
            if entry.reason.trim().is_empty() {
                return Err(format!("{}: every entry needs a reason", entry.id));
            }
        }
        Ok(e)
    }

    /// Applies the expectations to the units of a run, relabelling expected
    /// verdicts, and returns the unexpected failures and stale entries.
    pub fn apply(&self, units: &mut [Unit]) -> Vec<Problem> {
        units.iter_mut().flat_map(|u| self.apply_file(u)).collect()
    }

    /// Applies the expectations to one file's unit. Every entry covering the
    /// file (exactly or as a folder) must cover a non-passing verdict of it,
    /// or it is stale for that file: so one file is enough to judge.
    pub fn apply_file(&self, unit: &mut Unit) -> Vec<Problem> {
        let mut used = vec![false; self.files.len()];
        let mut problems = Vec::new();
        for v in unit.verdicts.iter_mut() {
            if matches!(v.status, Status::Pass | Status::Skip) {
                continue;
            }
            let entry = self
                .files
                .iter()
                .enumerate()
                .find(|(_, e)| e.covers_unit(&unit.id) && e.covers_line(v.line));
            let Some((i, e)) = entry else {
                problems.push(unexpected(&unit.id, v));
                continue;
            };
            used[i] = true;
            if (v.status == Status::Error) != e.error {
                // A runner fault is never an expected engine failure, and an
                // entry for directives the runner cannot read covers no other.
                problems.push(unexpected(&unit.id, v));
                continue;
            }
            // Listed: reports count it as known, whatever reason it carries.
            v.known = true;
            if let Some(feature) = &e.unsupported {
                v.status = Status::Unsupported;
                v.reason = Some(format!("{feature}: {}", e.reason));
            } else if v.reason.is_none() {
                v.reason = Some(format!("expected: {}", e.reason));
            }
        }
        let mut totals = Totals::default();
        for v in &unit.verdicts {
            totals.add(v.status);
        }
        unit.totals = totals;
        for (i, e) in self.files.iter().enumerate() {
            if e.covers_unit(&unit.id) && !used[i] {
                problems.push(Problem::Stale {
                    id: unit.id.clone(),
                    reason: e.reason.clone(),
                });
            }
        }
        problems
    }
}

fn unexpected(id: &str, v: &reports::Verdict) -> Problem {
    let detail = match (&v.expected, &v.actual, &v.reason) {
        (Some(e), Some(a), _) => format!("{}: expected {e}, got {a}", v.kind),
        (_, _, Some(r)) => format!("{}: {r}", v.kind),
        _ => v.kind.clone(),
    };
    Problem::Unexpected {
        id: id.to_string(),
        line: v.line,
        status: v.status,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::Verdict;

    fn unit(id: &str, statuses: &[(u32, Status)]) -> Unit {
        Unit::new(
            id,
            statuses
                .iter()
                .map(|(l, s)| Verdict::new(*l, 1, "assert_return", *s))
                .collect(),
        )
    }

    #[test]
    fn entries_need_reason_and_one_kind() {
        assert!(Expectations::parse("[[file]]\nid = \"a\"\nfail = true\nreason = \"\"").is_err());
        assert!(Expectations::parse("[[file]]\nid = \"a\"\nreason = \"r\"").is_err());
        assert!(
            Expectations::parse(
                "[[file]]\nid = \"a\"\nfail = true\nunsupported = \"gc\"\nreason = \"r\""
            )
            .is_err()
        );
        assert!(Expectations::parse("[[file]]\nid = \"a\"\nfail = true\nreason = \"r\"").is_ok());
        assert!(Expectations::parse("[[file]]\nid = \"a\"\nerror = true\nreason = \"r\"").is_ok());
        assert!(
            Expectations::parse("[[file]]\nid = \"a\"\nfail = true\nerror = true\nreason = \"r\"")
                .is_err()
        );
    }

    #[test]
    fn expected_unexpected_and_stale() {
        let exp = Expectations::parse(
            r#"
            [[file]]
            id = "gc/"
            unsupported = "gc"
            reason = "no gc"
            [[file]]
            id = "a.wast"
            fail = true
            lines = [2]
            reason = "known bug"
            [[file]]
            id = "b.wast"
            fail = true
            reason = "was broken"
            [[file]]
            id = "not-run.wast"
            fail = true
            reason = "not in this run, so not stale"
            "#,
        )
        .unwrap();
        let mut units = vec![
            unit("gc/x.wast", &[(1, Status::Fail), (2, Status::Pass)]),
            unit("a.wast", &[(2, Status::Fail), (3, Status::Fail)]),
            unit("b.wast", &[(1, Status::Pass)]),
        ];
        let problems = exp.apply(&mut units);
        assert_eq!(units[0].verdicts[0].status, Status::Unsupported);
        assert_eq!(units[0].totals.unsupported, 1);
        assert_eq!(
            units[1].verdicts[0].reason.as_deref(),
            Some("expected: known bug")
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(&problems[0], Problem::Unexpected { id, line: 3, .. } if id == "a.wast"));
        assert!(matches!(&problems[1], Problem::Stale { id, .. } if id == "b.wast"));
    }

    #[test]
    fn runner_errors_need_an_error_entry() {
        let exp = Expectations::parse(
            r#"
            [[file]]
            id = "e.wast"
            error = true
            lines = [1]
            reason = "the wast crate cannot parse it"
            [[file]]
            id = "f.wast"
            fail = true
            reason = "a failure entry does not cover runner errors"
            "#,
        )
        .unwrap();
        let mut units = vec![
            unit("e.wast", &[(1, Status::Error), (2, Status::Fail)]),
            unit("f.wast", &[(1, Status::Error)]),
        ];
        let problems = exp.apply(&mut units);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(&problems[0], Problem::Unexpected { id, line: 2, .. } if id == "e.wast"));
        assert!(matches!(&problems[1], Problem::Unexpected { id, line: 1, .. } if id == "f.wast"));
    }
}
