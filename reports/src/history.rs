//! Run history: one JSON line per run appended to a file, and an SVG chart
//! of the pass rate over time per engine.

use crate::matrix::run_label;
use crate::{ResultsDoc, Totals};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::io::Write as _;
use std::path::Path;

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The run's start, RFC 3339.
    pub started_at: String,
    /// The run's label (engine, and kind unless `spec`).
    pub label: String,
    /// The engine's version.
    pub engine_version: String,
    /// The suite root.
    pub suite: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Verdict counts.
    pub totals: Totals,
    /// Whether the run was cut short.
    #[serde(default)]
    pub partial: bool,
    /// The wasm-conform version.
    pub tool_version: String,
}

impl Entry {
    /// The history line of a run.
    pub fn of(doc: &ResultsDoc) -> Entry {
        Entry {
            started_at: doc.started_at.clone(),
            label: run_label(doc),
            engine_version: doc.engine.version.clone(),
            suite: doc.suite.root.clone(),
            duration_ms: doc.duration_ms,
            totals: doc.totals,
            partial: doc.partial,
            tool_version: doc.tool_version.clone(),
        }
    }

    /// Passing share of all verdicts, in percent.
    pub fn pass_percent(&self) -> f64 {
        let total = self.totals.total();
        if total == 0 {
            0.0
        } else {
            self.totals.pass as f64 * 100.0 / total as f64
        }
    }
}

/// Appends one line per run to the history file (created if missing).
pub fn append(path: &Path, docs: &[ResultsDoc]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut text = String::new();
    for doc in docs {
        text.push_str(&serde_json::to_string(&Entry::of(doc)).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    file.write_all(text.as_bytes())
}

/// Reads a history file; lines that do not parse are skipped (a history
/// survives a torn write).
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Colours of the series, in order.
const COLOURS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
];

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG line chart of the pass rate per run label over the history, one
/// point per run in file order.
pub fn render_svg(entries: &[Entry]) -> String {
    let (w, h) = (800.0f64, 320.0f64);
    let (left, right, top, bottom) = (50.0, 170.0, 20.0, 40.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let mut labels: Vec<&str> = Vec::new();
    for e in entries {
        if !labels.contains(&e.label.as_str()) {
            labels.push(&e.label);
        }
    }
    let n = entries.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + pw * i as f64 / n;
    let y = |pct: f64| top + ph * (1.0 - pct / 100.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        out,
        "<title>wasm-conform pass rate per run</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>"
    );
    for pct in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = writeln!(
            out,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"{2:.1}\" y=\"{3:.1}\" text-anchor=\"end\">{pct}%</text>",
            y(pct),
            left + pw,
            left - 6.0,
            y(pct) + 4.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">runs ({} recorded)</text>",
        left + pw / 2.0,
        h - 10.0,
        entries.len()
    );
    if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
        let _ = writeln!(
            out,
            "<text x=\"{left}\" y=\"{:.1}\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            top + ph + 16.0,
            esc(&first.started_at),
            left + pw,
            top + ph + 16.0,
            esc(&last.started_at)
        );
    }
    for (si, label) in labels.iter().enumerate() {
        let colour = COLOURS[si % COLOURS.len()];
        let points: Vec<(usize, &Entry)> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.label == *label)
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(i, e)| format!("{:.1},{:.1}", x(*i), y(e.pass_percent())))
            .collect();
        let _ = writeln!(
            out,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for (i, e) in &points {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{} {} {}: {}/{} pass ({:.2}%)</title></circle>",
                x(*i),
                y(e.pass_percent()),
                esc(&e.started_at),
                esc(&e.label),
                esc(&e.engine_version),
                e.totals.pass,
                e.totals.total(),
                e.pass_percent()
            );
        }
        let ly = top + 14.0 * si as f64 + 6.0;
        let last = points.last().map(|(_, e)| e.pass_percent()).unwrap_or(0.0);
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{} {last:.1}%</text>",
            left + pw + 12.0,
            ly - 8.0,
            left + pw + 26.0,
            ly + 1.0,
            esc(label)
        );
    }
    out.push_str("</svg>\n");
    out
}
