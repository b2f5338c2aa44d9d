//! The Markdown summary of one or more runs: the engines x proposals matrix,
//! a per-proposal table for each run (text-format counted apart), the
//! per-folder table, and the files with failures.

use crate::matrix::{Cell, Matrix, is_failing};
use crate::{ResultsDoc, Status, summary};
use std::fmt::Write;

/// How many failing files each run lists.
const MAX_FAILING_FILES: usize = 25;

/// `pass/total (pct%)` of a cell's engine verdicts, or `-` when empty.
pub fn cell_text(cell: Option<&Cell>) -> String {
    match cell {
        Some(c) if c.engine.total() > 0 => format!(
            "{}/{} ({}%)",
            c.engine.pass,
            c.engine.total(),
            crate::matrix::shown_percent(c)
        ),
        _ => "-".into(),
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn proposal_row(name: &str, c: &Cell, out: &mut String) {
    let cells: Vec<String> = Status::ALL
        .iter()
        .map(|s| c.engine.get(*s).to_string())
        .collect();
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {}/{} |",
        c.files,
        cells.join(" | "),
        c.text.pass,
        c.text.total()
    );
}

/// Renders the summary of `docs` (one column per document).
pub fn render(docs: &[ResultsDoc]) -> String {
    let m = Matrix::new(docs);
    let mut out = String::new();
    let _ = writeln!(out, "# WebAssembly conformance\n");
    let _ = writeln!(
        out,
        "| run | engine version | kind | suite | started | duration | verdicts | pass |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---:|---:|---:|");
    for col in &m.columns {
        let d = col.doc;
        let partial = if d.partial { " **(partial)**" } else { "" };
        let _ = writeln!(
            out,
            "| {}{partial} | {} | {} | {} | {} | {:.1} s | {} | {} |",
            escape(&col.label),
            escape(&d.engine.version),
            kind_name(d),
            escape(&d.suite.root),
            d.started_at,
            d.duration_ms as f64 / 1000.0,
            d.totals.total(),
            d.totals.pass
        );
    }

    let _ = writeln!(
        out,
        "\n## Engines x proposals\n\nEngine verdicts passing out of all engine verdicts \
         (skipped, unsupported and blocked count in the total; text-format assertions are apart).\n"
    );
    let header: Vec<String> = m.columns.iter().map(|c| escape(&c.label)).collect();
    let _ = writeln!(out, "| proposal | {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(m.columns.len()));
    for row in &m.rows {
        let cells: Vec<String> = m
            .columns
            .iter()
            .map(|c| cell_text(c.cells.get(row)))
            .collect();
        let _ = writeln!(out, "| {row} | {} |", cells.join(" | "));
    }
    let totals: Vec<String> = m
        .columns
        .iter()
        .map(|c| cell_text(Some(&m.column_total(c))))
        .collect();
    let _ = writeln!(out, "| **total** | {} |", totals.join(" | "));

    for col in &m.columns {
        let _ = writeln!(out, "\n## {}\n", escape(&col.label));
        let _ = writeln!(
            out,
            "| proposal | files | pass | fail | skip | unsupported | blocked | timeout | error | text-format |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in &m.rows {
            if let Some(c) = col.cells.get(row) {
                proposal_row(row, c, &mut out);
            }
        }
        proposal_row("**total**", &m.column_total(col), &mut out);

        let _ = writeln!(
            out,
            "\n<details><summary>per folder</summary>\n\n{}\n</details>",
            summary::folder_table(col.doc)
        );

        let mut failing: Vec<(&str, u64, String)> = col
            .doc
            .units
            .iter()
            .filter_map(|u| {
                let bad: Vec<_> = u.verdicts.iter().filter(|v| is_failing(v.status)).collect();
                let first = bad.first()?;
                let what = match (&first.expected, &first.actual, &first.reason) {
                    (Some(e), Some(a), _) => format!("expected {e}, got {a}"),
                    (_, _, Some(r)) => r.clone(),
                    _ => first
                        .message
                        .clone()
                        .unwrap_or_else(|| first.status.as_str().to_string()),
                };
                Some((
                    u.id.as_str(),
                    bad.len() as u64,
                    format!("line {} {}: {}", first.line, first.kind, what),
                ))
            })
            .collect();
        if failing.is_empty() {
            let _ = writeln!(out, "\nNo failing verdicts.");
            continue;
        }
        failing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let _ = writeln!(out, "\n### Files with failures ({} files)\n", failing.len());
        let _ = writeln!(out, "| file | failing | first failure |");
        let _ = writeln!(out, "|---|---:|---|");
        for (id, n, first) in failing.iter().take(MAX_FAILING_FILES) {
            let mut first = escape(first);
            if first.chars().count() > 160 {
                first = first.chars().take(157).collect::<String>() + "...";
            }
            let _ = writeln!(out, "| {id} | {n} | {first} |");
        }
        if failing.len() > MAX_FAILING_FILES {
            let _ = writeln!(
                out,
                "\n... and {} more (see the HTML report).",
                failing.len() - MAX_FAILING_FILES
            );
        }
    }
    out
}

fn kind_name(doc: &ResultsDoc) -> String {
    serde_json::to_value(doc.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
