//! Incremental writing: a run that is killed still leaves a valid document.

use crate::{ResultsDoc, Unit};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Keeps a results document on disk while units arrive.
///
/// The file is rewritten atomically (write to a sibling, then rename) with
/// `partial: true` at most every `interval`, and once more, complete, by
/// [`IncrementalWriter::finish`]. At any moment the path holds a valid
/// document.
pub struct IncrementalWriter {
    path: PathBuf,
    doc: ResultsDoc,
    started: Instant,
    last_flush: Option<Instant>,
    interval: Duration,
}

impl IncrementalWriter {
    /// Starts a document at `path` (written immediately, empty and partial).
    pub fn create(path: &Path, mut doc: ResultsDoc) -> std::io::Result<IncrementalWriter> {
        doc.partial = true;
        let mut w = IncrementalWriter {
            path: path.to_path_buf(),
            doc,
            started: Instant::now(),
            last_flush: None,
            interval: Duration::from_secs(2),
        };
        w.flush()?;
        Ok(w)
    }

    /// Adds a unit; flushes if the interval has passed.
    pub fn push(&mut self, unit: Unit) -> std::io::Result<()> {
        self.doc.push(unit);
        // The first unit is written at once, so a run killed while its
        // second unit is still running leaves something to render.
        let first = self.doc.units.len() == 1;
        if first || self.last_flush.is_none_or(|t| t.elapsed() >= self.interval) {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the current state, marked partial.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.doc.duration_ms = self.started.elapsed().as_millis() as u64;
        write_atomic(&self.path, &self.doc)?;
        self.last_flush = Some(Instant::now());
        Ok(())
    }

    /// Writes the complete document and returns it.
    pub fn finish(self) -> std::io::Result<ResultsDoc> {
        let units = self.doc.units.clone();
        self.finish_with(units)
    }

    /// Writes the complete document with `units` (final order and labels)
    /// replacing what was pushed, and returns it.
    pub fn finish_with(mut self, units: Vec<Unit>) -> std::io::Result<ResultsDoc> {
        self.doc.units.clear();
        self.doc.totals = Default::default();
        for u in units {
            self.doc.push(u);
        }
        self.doc.partial = false;
        self.flush()?;
        Ok(self.doc)
    }
}

/// Writes a document to `path` through a temporary sibling and a rename.
pub fn write_atomic(path: &Path, doc: &ResultsDoc) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(doc).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    #[test]
    fn partial_then_complete() {
        let dir = std::env::temp_dir().join(format!("wc-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        let doc = ResultsDoc::new(
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
        let mut w = IncrementalWriter::create(&path, doc).unwrap();
        let on_disk = ResultsDoc::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(on_disk.partial);
        w.push(Unit::new(
            "u",
            vec![Verdict::new(1, 1, "assert_return", Status::Pass)],
        ))
        .unwrap();
        let done = w.finish().unwrap();
        let on_disk = ResultsDoc::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(!on_disk.partial);
        assert_eq!(on_disk.totals.pass, 1);
        assert_eq!(on_disk, done);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
