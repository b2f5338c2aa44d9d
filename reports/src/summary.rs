//! The Markdown summary: one row per suite folder.

use crate::{Category, ResultsDoc, Status, Totals};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts for one folder: engine verdicts by status, text-format apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderRow {
    /// Units (files) in the folder.
    pub files: u64,
    /// Engine-category verdicts by status.
    pub engine: Totals,
    /// Text-format verdicts by status.
    pub text: Totals,
}

/// The folder of a unit id (`test/core/simd/x.wast` -> `test/core/simd`).
pub fn folder_of(id: &str) -> &str {
    id.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// Groups a run's verdicts by folder, in folder order.
pub fn folder_rows(doc: &ResultsDoc) -> BTreeMap<String, FolderRow> {
    let mut rows: BTreeMap<String, FolderRow> = BTreeMap::new();
    for unit in &doc.units {
        let row = rows.entry(folder_of(&unit.id).to_string()).or_default();
        row.files += 1;
        for v in &unit.verdicts {
            match v.category {
                Category::Engine => row.engine.add(v.status),
                Category::TextFormat => row.text.add(v.status),
            }
        }
    }
    rows
}

/// The per-folder Markdown table of a run, with a total row.
pub fn folder_table(doc: &ResultsDoc) -> String {
    let rows = folder_rows(doc);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| folder | files | pass | fail | skip | unsupported | blocked | timeout | error | text-format |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut total = FolderRow::default();
    let line = |name: &str, r: &FolderRow, out: &mut String| {
        let cells: Vec<String> = Status::ALL
            .iter()
            .map(|s| r.engine.get(*s).to_string())
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {}/{} |",
            r.files,
            cells.join(" | "),
            r.text.pass,
            r.text.total()
        );
    };
    for (name, r) in &rows {
        line(name, r, &mut out);
        total.files += r.files;
        total.engine.merge(&r.engine);
        total.text.merge(&r.text);
    }
    line("**total**", &total, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    #[test]
    fn folders_and_text_format_apart() {
        let mut doc = ResultsDoc::new(
            RunKind::Spec,
            EngineInfo {
                name: "e".into(),
                version: "0".into(),
                config: Default::default(),
            },
            SuiteInfo {
                root: "s".into(),
                revision: None,
            },
        );
        let mut quoted = Verdict::new(3, 1, "assert_malformed", Status::Pass);
        quoted.category = Category::TextFormat;
        doc.push(Unit::new(
            "test/core/a.wast",
            vec![Verdict::new(1, 1, "assert_return", Status::Pass), quoted],
        ));
        doc.push(Unit::new(
            "test/core/simd/b.wast",
            vec![Verdict::new(1, 1, "assert_return", Status::Fail)],
        ));
        let table = folder_table(&doc);
        assert!(
            table.contains("| test/core | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1/1 |"),
            "{table}"
        );
        assert!(
            table.contains("| test/core/simd | 1 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0/0 |"),
            "{table}"
        );
        assert!(table.contains("| **total** | 2 | 1 | 1 |"), "{table}");
    }
}
