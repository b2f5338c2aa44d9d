//! Writing every rendering of a set of runs into one folder.

use crate::{ResultsDoc, features, history, html, junit, markdown};
use std::path::{Path, PathBuf};

/// File names written by [`write_all`].
pub const INDEX_HTML: &str = "index.html";
/// The Markdown summary.
pub const SUMMARY_MD: &str = "summary.md";
/// JUnit XML.
pub const JUNIT_XML: &str = "junit.xml";
/// The `features.json`-style fragment.
pub const FEATURES_JSON: &str = "features.json";
/// The run history, one JSON line per run.
pub const HISTORY_JSONL: &str = "history.jsonl";
/// The pass-rate trend chart.
pub const TREND_SVG: &str = "trend.svg";

/// What to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// JUnit test cases per assertion or per file.
    pub junit: junit::Granularity,
    /// Append the runs to `history.jsonl` and redraw `trend.svg`.
    pub history: bool,
}

/// Writes `index.html`, `summary.md`, `junit.xml` and `features.json` for
/// `docs` into `dir` (and the history and its chart when asked); returns
/// the paths written.
pub fn write_all(
    docs: &[ResultsDoc],
    dir: &Path,
    opts: RenderOptions,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> std::io::Result<()> {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        written.push(path);
        Ok(())
    };
    put(INDEX_HTML, html::render(docs))?;
    put(SUMMARY_MD, markdown::render(docs))?;
    put(JUNIT_XML, junit::render(docs, opts.junit))?;
    put(
        FEATURES_JSON,
        serde_json::to_string_pretty(&features::render(docs)).map_err(std::io::Error::other)?
            + "\n",
    )?;
    if opts.history {
        let path = dir.join(HISTORY_JSONL);
        history::append(&path, docs)?;
        let entries = history::read(&path)?;
        put(TREND_SVG, history::render_svg(&entries))?;
        written.push(path);
    }
    Ok(written)
}

/// Reads results documents from files, or from every `*.json` results
/// document in a folder. JSON files without a `schema` (other outputs such
/// as `features.json`) are skipped; a wrong schema is an error.
pub fn load_docs(paths: &[PathBuf]) -> Result<Vec<ResultsDoc>, String> {
    let mut docs = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for f in files {
                if let Ok(text) = std::fs::read_to_string(&f)
                    && let Ok(doc) = ResultsDoc::from_json(&text)
                {
                    docs.push(doc);
                }
            }
        } else {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            // Other JSON next to results (features.json) is skipped, so
            // `out/*.json` works as an argument.
            let is_other = serde_json::from_str::<serde_json::Value>(&text)
                .is_ok_and(|v| v.get("schema").is_none());
            if is_other {
                continue;
            }
            docs.push(ResultsDoc::from_json(&text).map_err(|e| format!("{}: {e}", p.display()))?);
        }
    }
    Ok(docs)
}

/// Merges documents of the same run split over several files (CI shards):
/// documents with the same engine name, version and kind become one, their
/// units concatenated (a unit id seen twice keeps the later one) and sorted
/// by id, totals recomputed; partial if any part is. Order of first
/// appearance is kept.
pub fn merge_runs(docs: Vec<ResultsDoc>) -> Vec<ResultsDoc> {
    let mut out: Vec<ResultsDoc> = Vec::new();
    for doc in docs {
        let same = out.iter_mut().find(|d| {
            d.engine.name == doc.engine.name
                && d.engine.version == doc.engine.version
                && d.kind == doc.kind
        });
        match same {
            None => out.push(doc),
            Some(d) => {
                let mut units = std::mem::take(&mut d.units);
                units.retain(|u| !doc.units.iter().any(|n| n.id == u.id));
                units.extend(doc.units);
                units.sort_by(|a, b| a.id.cmp(&b.id));
                d.totals = Default::default();
                for u in units {
                    d.push(u);
                }
                d.partial |= doc.partial;
                d.duration_ms += doc.duration_ms;
                if doc.started_at < d.started_at {
                    d.started_at = doc.started_at;
                }
                for root in doc.suite.root.split(", ") {
                    if !d.suite.root.split(", ").any(|r| r == root) {
                        d.suite.root = format!("{}, {root}", d.suite.root);
                    }
                }
            }
        }
    }
    out
}
