//! The engines x proposals matrix every renderer shares.

use crate::proposals::{proposal_of, proposal_order};
use crate::{Category, ResultsDoc, Status, Totals, Unit};
use std::collections::BTreeMap;

/// Counts of one (run, proposal) cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Units (files or WASI tests).
    pub files: u64,
    /// Engine-category verdicts by status.
    pub engine: Totals,
    /// Text-format verdicts by status, counted apart.
    pub text: Totals,
}

impl Cell {
    /// Adds one unit's verdicts.
    pub fn add_unit(&mut self, unit: &Unit) {
        self.files += 1;
        for v in &unit.verdicts {
            match v.category {
                Category::Engine => self.engine.add(v.status),
                Category::TextFormat => self.text.add(v.status),
            }
        }
    }

    /// Adds another cell's counts.
    pub fn merge(&mut self, other: &Cell) {
        self.files += other.files;
        self.engine.merge(&other.engine);
        self.text.merge(&other.text);
    }

    /// Engine verdicts that were judged (pass or fail, timeout, error):
    /// skipped, unsupported and blocked are left out.
    pub fn judged(&self) -> u64 {
        self.engine.pass + self.failing()
    }

    /// Failing engine verdicts: fail, timeout and error.
    pub fn failing(&self) -> u64 {
        self.engine.fail + self.engine.timeout + self.engine.error
    }

    /// The health of the cell, for colours and feature flags.
    pub fn grade(&self) -> Grade {
        let t = &self.engine;
        let total = t.total();
        if total == 0 {
            return Grade::Empty;
        }
        if t.pass == 0 {
            return if self.failing() == 0 {
                Grade::Unsupported
            } else {
                Grade::Bad
            };
        }
        let rate = t.pass as f64 / total as f64;
        if self.failing() == 0 && t.unsupported == 0 && t.blocked == 0 {
            Grade::Full
        } else if rate >= 0.9 {
            Grade::Good
        } else if rate >= 0.5 {
            Grade::Partial
        } else {
            Grade::Bad
        }
    }

    /// Passing share of all engine verdicts, in percent.
    pub fn pass_percent(&self) -> f64 {
        let total = self.engine.total();
        if total == 0 {
            0.0
        } else {
            self.engine.pass as f64 * 100.0 / total as f64
        }
    }
}

/// How well a cell passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    /// Every verdict passes (skips aside).
    Full,
    /// At least 90% pass.
    Good,
    /// At least half pass.
    Partial,
    /// Less than half pass.
    Bad,
    /// Nothing ran: the engine lacks the feature.
    Unsupported,
    /// No verdicts at all.
    Empty,
}

impl Grade {
    /// A CSS class / short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Full => "full",
            Grade::Good => "good",
            Grade::Partial => "partial",
            Grade::Bad => "bad",
            Grade::Unsupported => "unsupported",
            Grade::Empty => "empty",
        }
    }
}

/// One column of the matrix: one results document.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    /// A unique label, e.g. `wasmi` or `wasmi (wasi)`.
    pub label: String,
    /// The document.
    pub doc: &'a ResultsDoc,
    /// Cells by proposal.
    pub cells: BTreeMap<String, Cell>,
}

/// The engines x proposals matrix over several runs.
#[derive(Debug, Clone)]
pub struct Matrix<'a> {
    /// Proposals in display order.
    pub rows: Vec<String>,
    /// One column per document, in the order given.
    pub columns: Vec<Column<'a>>,
}

/// A label for a document: its engine name, with the run kind unless `spec`.
pub fn run_label(doc: &ResultsDoc) -> String {
    match doc.kind {
        crate::RunKind::Spec => doc.engine.name.clone(),
        k => format!(
            "{} ({})",
            doc.engine.name,
            serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
    }
}

impl<'a> Matrix<'a> {
    /// Builds the matrix of `docs`; labels are made unique.
    pub fn new(docs: &'a [ResultsDoc]) -> Matrix<'a> {
        let mut columns: Vec<Column<'a>> = Vec::new();
        let mut rows: Vec<String> = Vec::new();
        // Spec runs first, then WASI and the rest, each in the order given.
        let mut ordered: Vec<&'a ResultsDoc> = docs.iter().collect();
        ordered.sort_by_key(|d| d.kind != crate::RunKind::Spec);
        for doc in ordered {
            let mut label = run_label(doc);
            let mut n = 2;
            while columns.iter().any(|c| c.label == label) {
                label = format!("{} #{n}", run_label(doc));
                n += 1;
            }
            let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
            for unit in &doc.units {
                let p = proposal_of(doc.kind, &unit.id);
                cells.entry(p).or_default().add_unit(unit);
            }
            for p in cells.keys() {
                if !rows.contains(p) {
                    rows.push(p.clone());
                }
            }
            columns.push(Column { label, doc, cells });
        }
        rows.sort_by_key(|r| proposal_order(r));
        Matrix { rows, columns }
    }

    /// The totals of a column over all rows.
    pub fn column_total(&self, col: &Column<'_>) -> Cell {
        let mut total = Cell::default();
        for c in col.cells.values() {
            total.merge(c);
        }
        total
    }
}

/// The pass percentage with one decimal, never rounded up to 100.0 when
/// something did not pass.
pub fn shown_percent(cell: &Cell) -> String {
    let pct = cell.pass_percent();
    if cell.engine.pass < cell.engine.total() && pct > 99.9 {
        "99.9".into()
    } else {
        format!("{pct:.1}")
    }
}

/// Whether a status counts as failing (fail, timeout, error).
pub fn is_failing(status: Status) -> bool {
    matches!(status, Status::Fail | Status::Timeout | Status::Error)
}
