//! A `features.json`-style fragment (the WebAssembly website's feature table)
//! backed by results.
//!
//! For each engine, each proposal that has a key in the website's table gets:
//! - the engine's version string, when every judged assertion passes;
//! - `["flag", note]` when the engine needs a flag for it (the engine's
//!   config has `flag.<proposal>`) and at least half passes;
//! - `[version, note]` when at least half passes (the note gives the numbers);
//! - `[false, note]` when less than half passes, `false` when nothing ran.
//!
//! Every value also carries the counts under `"_evidence"`, so the numbers
//! behind a claim stay next to it.

use crate::matrix::{Grade, Matrix};
use crate::proposals::feature_key;
use crate::{ResultsDoc, RunKind};
use serde_json::{Map, Value, json};

/// The fragment: `{"shells": {ENGINE: {"version", "features", "_evidence"}}}`.
pub fn render(docs: &[ResultsDoc]) -> Value {
    let spec: Vec<ResultsDoc> = docs
        .iter()
        .filter(|d| d.kind == RunKind::Spec)
        .cloned()
        .collect();
    let m = Matrix::new(&spec);
    let mut shells = Map::new();
    for col in &m.columns {
        let doc = col.doc;
        let version = doc.engine.version.clone();
        let mut features = Map::new();
        let mut evidence = Map::new();
        for (proposal, cell) in &col.cells {
            let Some(key) = feature_key(proposal) else {
                continue;
            };
            let t = &cell.engine;
            let counts = format!(
                "{}/{} assertions pass ({} fail, {} unsupported, {} other)",
                t.pass,
                t.total(),
                cell.failing(),
                t.unsupported,
                t.skip + t.blocked
            );
            let flag = doc
                .engine
                .config
                .get(&format!("flag.{proposal}"))
                .and_then(|v| v.as_str().map(str::to_string));
            let value = match (cell.grade(), flag) {
                (Grade::Unsupported | Grade::Empty, _) => Value::Bool(false),
                (Grade::Bad, Some(flag)) => {
                    json!([false, format!("Behind flag `{flag}`, but only {counts}")])
                }
                (Grade::Bad, None) => json!([false, format!("Only {counts}")]),
                (_, Some(flag)) => json!(["flag", format!("Requires flag `{flag}`; {counts}")]),
                (Grade::Full, None) => Value::String(version.clone()),
                (Grade::Good, None) => json!([version.clone(), counts]),
                (_, None) => json!([version.clone(), format!("Partial: {counts}")]),
            };
            features.insert(key.to_string(), value);
            evidence.insert(
                key.to_string(),
                json!({
                    "proposal": proposal,
                    "files": cell.files,
                    "pass": t.pass,
                    "fail": t.fail,
                    "timeout": t.timeout,
                    "error": t.error,
                    "unsupported": t.unsupported,
                    "skip": t.skip,
                    "blocked": t.blocked,
                }),
            );
        }
        shells.insert(
            col.label.clone(),
            json!({
                "version": version,
                "suite": doc.suite.root,
                "suite_revision": doc.suite.revision,
                "tested_at": doc.started_at,
                "features": Value::Object(features),
                "_evidence": Value::Object(evidence),
            }),
        );
    }
    json!({ "shells": Value::Object(shells) })
}
