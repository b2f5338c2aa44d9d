//! `--preview1-as-component`: the wasip1 suites turned into WASI 0.2
//! command components with the official preview1 adapter
//! (`wasi_snapshot_preview1.command.wasm` of the
//! `wasi-preview1-component-adapter-provider` crate), each test keeping its
//! original spec and fixtures. This is test tooling of the runner: the
//! reference VM never sees `wit-component`, only the components it makes.
//!
//! [`prepare`] lays out, for every suite found under the given roots, a copy
//! in `<target>/wasip1-as-component/<key>/tests/<suite path>` where the
//! suite folder's last component gets an `-as-component` suffix (so
//! `rust/testsuite/wasm32-wasip1/fd_advise` becomes
//! `rust/testsuite/wasm32-wasip1-as-component/fd_advise`). The key hashes
//! the inputs and the adapter version: an up-to-date copy is reused, and a
//! copy is built in a temporary folder and renamed into place, so parallel
//! runs never see half a suite.

use std::path::{Path, PathBuf};

use super::discover::{WasmKind, discover, wasm_kind};

/// The adapter crate's version (the adapter is the upstream release
/// artefact of wasmtime with this version).
pub const ADAPTER_VERSION: &str = "50.0.1";

/// The expectations (`expectations/NAME.toml`) of the adapter itself,
/// added to a runtime's own in this mode.
pub const EXPECTATIONS: &str = "preview1-adapter";

/// Suffix of the suite folders of the generated copy.
pub const SUITE_SUFFIX: &str = "-as-component";

/// The languages of the official suite whose `testsuite/wasm32-wasip1`
/// folders are the default input of this mode.
pub const WASIP1_LANGUAGES: &[&str] = &["rust", "c", "assemblyscript"];

/// The default input of this mode under the official suite's `tests/`
/// folder: `LANG/testsuite/wasm32-wasip1` for each of [`WASIP1_LANGUAGES`]
/// (whether present or not: [`prepare`] reports a missing one).
pub fn wasip1_suites(tests: &Path) -> Vec<PathBuf> {
    WASIP1_LANGUAGES
        .iter()
        .map(|l| tests.join(l).join("testsuite/wasm32-wasip1"))
        .collect()
}

/// Wraps a preview1 command module into a component with the preview1
/// adapter (`wasi_snapshot_preview1` imports are satisfied by the adapter,
/// which imports WASI 0.2).
pub fn wrap_module(core: &[u8]) -> Result<Vec<u8>, String> {
    let adapter = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER;
    wit_component::ComponentEncoder::default()
        .module(core)
        .and_then(|e| e.adapter("wasi_snapshot_preview1", adapter))
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| format!("{e:#}"))
}

/// The folder generated copies go in: `$CARGO_TARGET_DIR`, else this
/// workspace's `target/`, then `wasip1-as-component`.
pub fn default_out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("wasip1-as-component")
}

/// FNV-1a, 64 bits: the cache key of a set of inputs.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= *b as u64;
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

fn hash_tree(h: &mut u64, dir: &Path) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ft = e.file_type()?;
        fnv(h, e.file_name().as_encoded_bytes());
        if ft.is_symlink() {
            fnv(
                h,
                std::fs::read_link(e.path())?.as_os_str().as_encoded_bytes(),
            );
        } else if ft.is_dir() {
            fnv(h, b"/");
            hash_tree(h, &e.path())?;
        } else {
            fnv(h, &std::fs::read(e.path())?);
        }
    }
    Ok(())
}

/// Copies a suite folder to `dst`, wrapping each core `.wasm` (components
/// and other files are copied as they are).
fn convert_suite(src: &Path, dst: &Path, name: &str) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(dst).map_err(|e| io(dst, e))?;
    for e in std::fs::read_dir(src).map_err(|e| io(src, e))? {
        let e = e.map_err(|e| io(src, e))?;
        let (from, to) = (e.path(), dst.join(e.file_name()));
        let ft = e.file_type().map_err(|e| io(&from, e))?;
        if ft.is_dir() || ft.is_symlink() {
            // Fixtures (`*.dir`); nested suites are converted on their own.
            if !from.join("manifest.json").is_file() {
                super::runner::copy_tree(&from, &to).map_err(|e| io(&from, e))?;
            }
        } else if e.file_name() == "manifest.json" {
            let m = serde_json::json!({ "name": format!("{name} (preview1 adapter {ADAPTER_VERSION})") });
            std::fs::write(&to, m.to_string()).map_err(|e| io(&to, e))?;
        } else if from.extension().is_some_and(|x| x == "wasm")
            && wasm_kind(&from) == WasmKind::Core
        {
            let core = std::fs::read(&from).map_err(|e| io(&from, e))?;
            let c = wrap_module(&core).map_err(|e| format!("{}: {e}", from.display()))?;
            std::fs::write(&to, c).map_err(|e| io(&to, e))?;
        } else {
            std::fs::copy(&from, &to).map_err(|e| io(&from, e))?;
        }
    }
    Ok(())
}

/// Builds (or reuses) the component copy of every suite under `roots` in
/// `out`; returns the root to run (`.../tests`).
pub fn prepare(roots: &[PathBuf], out: &Path) -> Result<PathBuf, String> {
    let mut suites = Vec::new();
    for r in roots {
        let found = discover(r).map_err(|e| format!("{}: {e}", r.display()))?;
        if found.is_empty() {
            return Err(format!(
                "{}: no suite (no manifest.json) found",
                r.display()
            ));
        }
        suites.extend(found);
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut h, ADAPTER_VERSION.as_bytes());
    for s in &suites {
        fnv(&mut h, s.id_prefix.as_bytes());
        hash_tree(&mut h, &s.dir).map_err(|e| format!("{}: {e}", s.dir.display()))?;
    }
    let done = out.join(format!("{h:016x}"));
    if done.join("tests").is_dir() {
        return Ok(done.join("tests"));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".building-")
        .tempdir_in(out)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    for s in &suites {
        let rel = if s.id_prefix.is_empty() {
            s.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "suite".into())
        } else {
            s.id_prefix.clone()
        };
        let dst = tmp
            .path()
            .join("tests")
            .join(format!("{rel}{SUITE_SUFFIX}"));
        convert_suite(&s.dir, &dst, &s.name)?;
    }
    let built = tmp.keep();
    if let Err(e) = std::fs::rename(&built, &done) {
        let _ = std::fs::remove_dir_all(&built);
        // Another run finished the same copy first: use that one.
        if !done.join("tests").is_dir() {
            return Err(format!("{}: {e}", done.display()));
        }
    }
    Ok(done.join("tests"))
}
