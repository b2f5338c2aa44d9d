//! The serde model of one run's results.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema identifier written into every results document.
pub const SCHEMA: &str = "wasm-conform-results/1";

/// The version of this tool, recorded as provenance.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What kind of run produced a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// `.wast` scripts.
    Spec,
    /// The WASI testsuite.
    Wasi,
    /// Our WASI sandbox suite.
    Sandbox,
    /// Differential fuzzing.
    Fuzz,
}

/// The verdict of one assertion (or one WASI test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The engine did what the test expects.
    Pass,
    /// The engine did something else.
    Fail,
    /// Not run, for a stated reason.
    Skip,
    /// The engine lacks a feature the test needs.
    Unsupported,
    /// Not run because the module it needs failed earlier.
    Blocked,
    /// The engine did not finish in time.
    Timeout,
    /// A fault of the runner or adapter, not a verdict on the engine.
    Error,
}

impl Status {
    /// Every status, in report column order.
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Skip,
        Status::Unsupported,
        Status::Blocked,
        Status::Timeout,
        Status::Error,
    ];

    /// The lowercase name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Unsupported => "unsupported",
            Status::Blocked => "blocked",
            Status::Timeout => "timeout",
            Status::Error => "error",
        }
    }
}

/// Whom a verdict is credited to: the engine, or the text-format parser
/// (`module quote` assertions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The engine under test.
    #[default]
    Engine,
    /// The WebAssembly text parser.
    TextFormat,
}

/// Counts of verdicts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Passing verdicts.
    pub pass: u64,
    /// Failing verdicts.
    pub fail: u64,
    /// Skipped verdicts.
    pub skip: u64,
    /// Unsupported verdicts.
    pub unsupported: u64,
    /// Blocked verdicts.
    pub blocked: u64,
    /// Timed-out verdicts.
    pub timeout: u64,
    /// Runner errors.
    pub error: u64,
}

impl Totals {
    /// Counts one verdict.
    pub fn add(&mut self, status: Status) {
        *self.slot(status) += 1;
    }

    /// Adds all counts of `other`.
    pub fn merge(&mut self, other: &Totals) {
        for s in Status::ALL {
            *self.slot(s) += other.get(s);
        }
    }

    /// The count for one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Skip => self.skip,
            Status::Unsupported => self.unsupported,
            Status::Blocked => self.blocked,
            Status::Timeout => self.timeout,
            Status::Error => self.error,
        }
    }

    fn slot(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Skip => &mut self.skip,
            Status::Unsupported => &mut self.unsupported,
            Status::Blocked => &mut self.blocked,
            Status::Timeout => &mut self.timeout,
            Status::Error => &mut self.error,
        }
    }

    /// The number of verdicts counted.
    pub fn total(&self) -> u64 {
        Status::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

/// One verdict: an assertion of a script, or a WASI test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// 1-based line of the directive.
    pub line: u32,
    /// 1-based column of the directive.
    pub col: u32,
    /// The directive kind (`assert_return`, `assert_trap`, `wasi-test`, ...).
    pub kind: String,
    /// The verdict.
    pub status: Status,
    /// Engine or text-format.
    #[serde(default)]
    pub category: Category,
    /// What the test expects, in script notation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the engine did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// A note on the message (e.g. right error kind, other wording).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why a verdict is skip, unsupported, blocked or expected to fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The command line that reproduces this verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Time taken, in microseconds, where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<u64>,
    /// Listed in the engine's expectations file (a known failure, or a
    /// feature it lacks), whatever `reason` says: the runner also gives
    /// reasons to failures nobody listed (a rejected module, a blocked
    /// assertion), so a reason alone does not make a verdict known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
}

impl Verdict {
    /// A verdict with only position, kind and status set.
    pub fn new(line: u32, col: u32, kind: impl Into<String>, status: Status) -> Verdict {
        Verdict {
            line,
            col,
            kind: kind.into(),
            status,
            category: Category::Engine,
            expected: None,
            actual: None,
            message: None,
            reason: None,
            command: None,
            duration_us: None,
            known: false,
        }
    }
}

/// One unit of a run: a `.wast` file, or a WASI test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// The path inside the suite, e.g. `test/core/i32.wast`.
    pub id: String,
    /// Counts over `verdicts`.
    pub totals: Totals,
    /// Every verdict, in file order.
    pub verdicts: Vec<Verdict>,
    /// Time taken by the whole unit, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl Unit {
    /// Builds a unit and computes its totals.
    pub fn new(id: impl Into<String>, verdicts: Vec<Verdict>) -> Unit {
        let mut totals = Totals::default();
        for v in &verdicts {
            totals.add(v.status);
        }
        Unit {
            id: id.into(),
            totals,
            verdicts,
            duration_ms: None,
        }
    }
}

/// The engine a run tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// e.g. `reference-vm`, `wasmi`.
    pub name: String,
    /// The engine's version.
    pub version: String,
    /// The configuration it ran with (features, limits).
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
}

/// The suite a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// A path, or a bundled name.
    pub root: String,
    /// A commit or crate version, if known.
    pub revision: Option<String>,
}

/// One run's results document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsDoc {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The kind of run.
    pub kind: RunKind,
    /// The wasm-conform version.
    pub tool_version: String,
    /// The engine tested.
    pub engine: EngineInfo,
    /// The suite used (the first, if several).
    pub suite: SuiteInfo,
    /// RFC 3339 start time.
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Counts over all units.
    pub totals: Totals,
    /// Every unit, in a deterministic order.
    pub units: Vec<Unit>,
    /// True when the run did not finish (a killed run's partial report).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl ResultsDoc {
    /// An empty document for a run starting now.
    pub fn new(kind: RunKind, engine: EngineInfo, suite: SuiteInfo) -> ResultsDoc {
        ResultsDoc {
            schema: SCHEMA.to_string(),
            kind,
            tool_version: TOOL_VERSION.to_string(),
            engine,
            suite,
            started_at: now_rfc3339(),
            duration_ms: 0,
            totals: Totals::default(),
            units: Vec::new(),
            partial: false,
        }
    }

    /// Appends a unit and updates the totals.
    pub fn push(&mut self, unit: Unit) {
        self.totals.merge(&unit.totals);
        self.units.push(unit);
    }

    /// Reads a document, checking its schema.
    pub fn from_json(text: &str) -> Result<ResultsDoc, String> {
        let doc: ResultsDoc = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if doc.schema != SCHEMA {
            return Err(format!(
                "unknown schema {:?}, expected {SCHEMA:?}",
                doc.schema
            ));
        }
        Ok(doc)
    }
}

/// The current UTC time as RFC 3339, without a date library.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Gregorian date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_311_919), "2026-11-22T01:45:19Z");
    }

    #[test]
    fn totals_count_and_merge() {
        let unit = Unit::new(
            "a.wast",
            vec![
                Verdict::new(1, 1, "assert_return", Status::Pass),
                Verdict::new(2, 1, "assert_trap", Status::Fail),
                Verdict::new(3, 1, "assert_trap", Status::Fail),
            ],
        );
        assert_eq!((unit.totals.pass, unit.totals.fail), (1, 2));
        let mut doc = ResultsDoc::new(
            RunKind::Spec,
            EngineInfo {
                name: "e".into(),
                version: "1".into(),
                config: BTreeMap::new(),
            },
            SuiteInfo {
                root: "s".into(),
                revision: None,
            },
        );
        doc.push(unit.clone());
        doc.push(unit);
        assert_eq!(doc.totals.fail, 4);
        assert_eq!(doc.totals.total(), 6);
        let back = ResultsDoc::from_json(&serde_json::to_string(&doc).unwrap()).unwrap();
        assert_eq!(back, doc);
        assert!(ResultsDoc::from_json(r#"{"schema":"x"}"#).is_err());
    }
}
