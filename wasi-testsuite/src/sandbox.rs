//! Our sandbox suite (`sandbox/` at the repository root): escape attempts,
//! rights attenuation, descriptor-table abuse, bad pointers and resource
//! bombs, run as ordinary WASI tests through any runtime adapter.
//!
//! `sandbox/probe.wat` is a WASI command that runs a small script of steps
//! given as arguments; `sandbox/cases.toml` lists the cases, each with the
//! behaviour a safe host must show. [`prepare`] compiles the probe and lays
//! the cases out as a regular suite (one `.wasm` + `.json` per case, the
//! `jail/` fixture beside them), which [`super::run_suites`] then runs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One case of `cases.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Test name (the id's last component).
    pub name: String,
    /// What a safe host must do.
    pub safe: String,
    /// The probe's arguments, split on whitespace.
    pub script: String,
}

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

/// The sandbox folder of this repository.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox")
}

/// Reads `cases.toml`.
pub fn cases(dir: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(dir.join("cases.toml"))
        .map_err(|e| format!("{}: {e}", dir.join("cases.toml").display()))?;
    toml::from_str::<Cases>(&text)
        .map(|c| c.case)
        .map_err(|e| e.to_string())
}

fn copy_fixture(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let t = dst.join(e.file_name());
        let ft = e.file_type()?;
        if ft.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &t)?;
        } else if ft.is_dir() {
            copy_fixture(&e.path(), &t)?;
        } else {
            std::fs::copy(e.path(), &t)?;
        }
    }
    Ok(())
}

/// Builds the suite in a fresh temporary folder `<tmp>/sandbox`; returns the
/// folder (keep the guard alive while running) and the cases.
pub fn prepare(dir: &Path) -> Result<(tempfile::TempDir, PathBuf, Vec<Case>), String> {
    let cases = cases(dir)?;
    let wasm = wat::parse_file(dir.join("probe.wat")).map_err(|e| e.to_string())?;
    let tmp = tempfile::Builder::new()
        .prefix("wasm-conform-sandbox-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let suite = tmp.path().join("sandbox");
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(&suite).map_err(io)?;
    std::fs::copy(dir.join("manifest.json"), suite.join("manifest.json")).map_err(io)?;
    copy_fixture(&dir.join("jail"), &suite.join("jail")).map_err(io)?;
    for c in &cases {
        std::fs::write(suite.join(format!("{}.wasm", c.name)), &wasm).map_err(io)?;
        let spec = serde_json::json!({
            "dirs": ["jail"],
            "args": c.script.split_whitespace().collect::<Vec<_>>(),
            "exit_code": 0,
        });
        std::fs::write(suite.join(format!("{}.json", c.name)), spec.to_string()).map_err(io)?;
    }
    Ok((tmp, suite, cases))
}
