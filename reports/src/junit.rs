//! JUnit XML for CI systems: one `<testsuite>` per run, and one `<testcase>`
//! per assertion or per file.

use crate::matrix::{is_failing, run_label};
use crate::proposals::proposal_of;
use crate::{ResultsDoc, Status, Unit, Verdict};
use std::fmt::Write;

/// What a `<testcase>` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    /// One test case per assertion (verdict).
    #[default]
    Assertion,
    /// One test case per file (unit); it fails if any assertion fails.
    File,
}

impl std::str::FromStr for Granularity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "assertion" | "assert" => Ok(Granularity::Assertion),
            "file" | "unit" => Ok(Granularity::File),
            other => Err(format!("unknown granularity {other:?} (assertion, file)")),
        }
    }
}

/// Escapes text for XML attributes and content, dropping characters XML 1.0
/// cannot carry.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn seconds(us: Option<u64>) -> String {
    format!("{:.3}", us.unwrap_or(0) as f64 / 1e6)
}

/// The detail text of a verdict: expected, actual, message, reason, command.
pub fn verdict_detail(unit: &Unit, v: &Verdict) -> String {
    let mut out = format!(
        "{}:{}:{} {} [{}]",
        unit.id,
        v.line,
        v.col,
        v.kind,
        v.status.as_str()
    );
    for (label, field) in [
        ("expected", &v.expected),
        ("actual", &v.actual),
        ("message", &v.message),
        ("reason", &v.reason),
        ("reproduce", &v.command),
    ] {
        if let Some(text) = field {
            let _ = write!(out, "\n{label}: {text}");
        }
    }
    out
}

fn outcome_element(status: Status, summary: &str, detail: &str, out: &mut String) {
    let (tag, ty) = match status {
        Status::Pass => return,
        Status::Fail => ("failure", "fail"),
        Status::Timeout => ("failure", "timeout"),
        Status::Error => ("error", "error"),
        Status::Skip | Status::Unsupported | Status::Blocked => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                xml_escape(&format!("{}: {summary}", status.as_str()))
            );
            return;
        }
    };
    let _ = writeln!(
        out,
        "      <{tag} type=\"{ty}\" message=\"{}\">{}</{tag}>",
        xml_escape(summary),
        xml_escape(detail)
    );
}

fn verdict_summary(v: &Verdict) -> String {
    match (&v.expected, &v.actual, &v.reason) {
        (Some(e), Some(a), _) => format!("expected {e}, got {a}"),
        (_, _, Some(r)) => r.clone(),
        (_, Some(a), None) => a.clone(),
        _ => v
            .message
            .clone()
            .unwrap_or_else(|| v.status.as_str().to_string()),
    }
}

/// Renders `docs` as one JUnit XML document.
pub fn render(docs: &[ResultsDoc], granularity: Granularity) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut all = (0u64, 0u64, 0u64, 0u64);
    let mut body = String::new();
    for doc in docs {
        let label = run_label(doc);
        let (mut tests, mut failures, mut errors, mut skipped) = (0u64, 0u64, 0u64, 0u64);
        let mut cases = String::new();
        for unit in &doc.units {
            let class = format!(
                "{}.{}",
                label.replace(['.', ' ', '(', ')'], "_"),
                proposal_of(doc.kind, &unit.id)
            );
            match granularity {
                Granularity::Assertion => {
                    for v in &unit.verdicts {
                        tests += 1;
                        match v.status {
                            Status::Pass => {}
                            Status::Fail | Status::Timeout => failures += 1,
                            Status::Error => errors += 1,
                            _ => skipped += 1,
                        }
                        let _ = writeln!(
                            cases,
                            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{}\">",
                            xml_escape(&class),
                            xml_escape(&format!("{}:{}:{} {}", unit.id, v.line, v.col, v.kind)),
                            xml_escape(&unit.id),
                            v.line,
                            seconds(v.duration_us)
                        );
                        outcome_element(
                            v.status,
                            &verdict_summary(v),
                            &verdict_detail(unit, v),
                            &mut cases,
                        );
                        let _ = writeln!(cases, "    </testcase>");
                    }
                }
                Granularity::File => {
                    tests += 1;
                    let bad: Vec<&Verdict> = unit
                        .verdicts
                        .iter()
                        .filter(|v| is_failing(v.status))
                        .collect();
                    let status = if bad.iter().any(|v| v.status == Status::Error)
                        && !bad.iter().any(|v| v.status != Status::Error)
                    {
                        Status::Error
                    } else if !bad.is_empty() {
                        Status::Fail
                    } else if unit.totals.pass == 0 && unit.totals.total() > 0 {
                        Status::Skip
                    } else {
                        Status::Pass
                    };
                    match status {
                        Status::Pass => {}
                        Status::Error => errors += 1,
                        Status::Fail => failures += 1,
                        _ => skipped += 1,
                    }
                    let _ = writeln!(
                        cases,
                        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" time=\"{}\">",
                        xml_escape(&class),
                        xml_escape(&unit.id),
                        xml_escape(&unit.id),
                        seconds(unit.duration_ms.map(|ms| ms * 1000))
                    );
                    let summary = format!(
                        "{} of {} assertions failing",
                        bad.len(),
                        unit.verdicts.len()
                    );
                    let detail: Vec<String> = bad.iter().map(|v| verdict_detail(unit, v)).collect();
                    let summary = if status == Status::Skip {
                        unit.verdicts
                            .iter()
                            .find_map(|v| v.reason.clone())
                            .unwrap_or_else(|| "nothing passed or failed".into())
                    } else {
                        summary
                    };
                    outcome_element(status, &summary, &detail.join("\n\n"), &mut cases);
                    let _ = writeln!(cases, "    </testcase>");
                }
            }
        }
        all.0 += tests;
        all.1 += failures;
        all.2 += errors;
        all.3 += skipped;
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\" timestamp=\"{}\">",
            xml_escape(&label),
            doc.duration_ms as f64 / 1000.0,
            xml_escape(doc.started_at.trim_end_matches('Z'))
        );
        let _ = writeln!(body, "    <properties>");
        for (k, v) in [
            ("engine", doc.engine.name.as_str()),
            ("engine.version", doc.engine.version.as_str()),
            ("suite", doc.suite.root.as_str()),
            (
                "suite.revision",
                doc.suite.revision.as_deref().unwrap_or(""),
            ),
            ("tool_version", doc.tool_version.as_str()),
            ("partial", if doc.partial { "true" } else { "false" }),
        ] {
            let _ = writeln!(
                body,
                "      <property name=\"{k}\" value=\"{}\"/>",
                xml_escape(v)
            );
        }
        let _ = writeln!(body, "    </properties>");
        body.push_str(&cases);
        let _ = writeln!(body, "  </testsuite>");
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"wasm-conform\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        all.0, all.1, all.2, all.3
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}
