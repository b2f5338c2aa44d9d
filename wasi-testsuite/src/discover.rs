//! Suite discovery: every folder holding a `manifest.json`, and the `.wasm`
//! tests in it.

use std::path::{Path, PathBuf};

/// One suite folder.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The `name` from `manifest.json`.
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// Id prefix of its tests (the folder relative to the `--testsuite` root).
    pub id_prefix: String,
    /// The tests, sorted by name: each `.wasm`, and the `.wasm` path of each
    /// test spec (`NAME.json`) whose module is missing.
    pub tests: Vec<PathBuf>,
}

/// What a `.wasm` file holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKind {
    /// A core module (version 1).
    Core,
    /// A component (layer 1).
    Component,
    /// Neither.
    Unknown,
}

/// Reads the 8-byte preamble of `path`.
pub fn wasm_kind(path: &Path) -> WasmKind {
    use std::io::Read;
    let mut b = [0u8; 8];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !ok || &b[..4] != b"\0asm" {
        return WasmKind::Unknown;
    }
    match &b[4..8] {
        [1, 0, 0, 0] => WasmKind::Core,
        [_, _, 1, 0] => WasmKind::Component,
        _ => WasmKind::Unknown,
    }
}

/// Finds every suite under `root` (which may itself be a suite), in path order.
pub fn discover(root: &Path) -> std::io::Result<Vec<Suite>> {
    let mut out = Vec::new();
    // Ids are relative to the upstream `tests/` folder when the root lies in
    // one (so `rust/testsuite/wasm32-wasip1/x` whichever folder was given),
    // else to the root (or its parent when the root is itself a suite).
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let root = root.as_path();
    let base = root
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "tests"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| {
            if root.join("manifest.json").is_file() {
                root.parent().unwrap_or(root).to_path_buf()
            } else {
                root.to_path_buf()
            }
        });
    walk(root, &base, &mut out)?;
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(out)
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<Suite>) -> std::io::Result<()> {
    let manifest = dir.join("manifest.json");
    if manifest.is_file() {
        let text = std::fs::read_to_string(&manifest)?;
        let name = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| dir.display().to_string());
        let files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        let mut tests: Vec<PathBuf> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .cloned()
            .collect();
        // A test spec without its module (e.g. a suite whose modules are
        // built from sources not shipped): listed by its would-be `.wasm`
        // path, which the runner reports as a missing test module.
        for p in &files {
            if p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "manifest.json")
                && !p.with_extension("wasm").is_file()
            {
                tests.push(p.with_extension("wasm"));
            }
        }
        tests.sort();
        let id_prefix = dir
            .strip_prefix(base)
            .unwrap_or(dir)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(Suite {
            name,
            dir: dir.to_path_buf(),
            id_prefix,
            tests,
        });
    }
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|e| e != "dir"))
        .collect();
    subdirs.sort();
    for d in subdirs {
        walk(&d, base, out)?;
    }
    Ok(())
}

/// The test id of `wasm` in `suite`: `PREFIX/NAME` without `.wasm`.
pub fn test_id(suite: &Suite, wasm: &Path) -> String {
    let stem = wasm
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if suite.id_prefix.is_empty() {
        stem
    } else {
        format!("{}/{}", suite.id_prefix, stem)
    }
}
