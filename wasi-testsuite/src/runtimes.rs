//! The vendor matrix's runtimes (`runtimes.toml`): how each is installed
//! here, the command lines that run a WASI test on it (picked per module:
//! a component, a wasi-threads program, or a plain wasip1 module), and the
//! reason when a runtime cannot be installed from the registries this
//! project reaches. Programs are looked up in `target/runtimes/bin` first
//! (where `scripts/install-runtimes.sh` puts them).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::discover::{WasmKind, wasm_kind};
use super::runtime::{Adapter, CommandRuntime, RunOutput, RunRequest, Running, Runtime};

/// The shipped catalogue.
pub const CATALOGUE: &str = include_str!("../runtimes.toml");

/// One runtime of the matrix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorEntry {
    /// Its name: the matrix row and the `--engines` name.
    pub name: String,
    /// The name shown to people.
    pub title: String,
    /// How it is installed here (registry, package, version).
    #[serde(default)]
    pub route: Option<String>,
    /// Why it cannot be installed here, when it cannot.
    #[serde(default)]
    pub unavailable: Option<String>,
    /// The command template for a wasip1 core module.
    pub command: String,
    /// The template for a module that imports `wasi.thread-spawn`.
    #[serde(default)]
    pub threads: Option<String>,
    /// The template for a component; none: core modules only.
    #[serde(default)]
    pub components: Option<String>,
    /// What `{flags}` expands to for a WASI 0.3 component (as in
    /// `adapters/*.toml`).
    #[serde(default)]
    pub p3_flags: Option<String>,
    /// What `{flags}` adds per WASI proposal a test needs; the proposals
    /// listed are the ones this runtime grants.
    #[serde(default)]
    pub proposal_flags: std::collections::BTreeMap<String, String>,
    /// The command that serves a `wasi:http/service` component (see
    /// [`Adapter::serve_command`]).
    #[serde(default)]
    pub serve: Option<String>,
    /// The command that prints its version.
    #[serde(default)]
    pub version: Option<String>,
    /// Its spec-suite engine (`wasm-conform spec --engine`), if any.
    #[serde(default)]
    pub spec: Option<String>,
    /// Its own `.wast` script runner, if any: a command template where
    /// `{script}` is the file, failing with `failed directive on FILE:LINE`.
    #[serde(default)]
    pub wast: Option<String>,
}

#[derive(Deserialize)]
struct Catalogue {
    runtime: Vec<VendorEntry>,
}

/// Every runtime of the catalogue, in its order.
pub fn catalogue() -> Vec<VendorEntry> {
    parse_catalogue(CATALOGUE).unwrap_or_default()
}

/// Parses a catalogue text.
pub fn parse_catalogue(text: &str) -> Result<Vec<VendorEntry>, String> {
    toml::from_str::<Catalogue>(text)
        .map(|c| c.runtime)
        .map_err(|e| e.to_string())
}

/// A catalogue entry by name.
pub fn vendor_entry(name: &str) -> Option<VendorEntry> {
    catalogue().into_iter().find(|e| e.name == name)
}

/// Where installed runtimes live: `$WASM_CONFORM_RUNTIMES/bin`, else
/// `target/runtimes/bin` of this repository.
pub fn runtimes_bin() -> PathBuf {
    match std::env::var_os("WASM_CONFORM_RUNTIMES") {
        Some(p) => PathBuf::from(p).join("bin"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/runtimes/bin"),
    }
}

/// The program to start for `prog`: an installed runtime's command when a
/// bare name is in [`runtimes_bin`], else `prog` itself (found on PATH).
pub fn resolve_program(prog: &str) -> String {
    if !prog.contains('/') {
        let p = runtimes_bin().join(prog);
        if p.is_file() {
            return p.to_string_lossy().into_owned();
        }
    }
    prog.to_string()
}

/// Whether `prog` (resolved as [`resolve_program`] does) can be started.
pub fn program_exists(prog: &str) -> bool {
    let p = resolve_program(prog);
    if p.contains('/') {
        return Path::new(&p).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(&p).is_file()))
}

/// Whether a module imports `wasi.thread-spawn` (a wasi-threads program):
/// the import's module and field names appear in the binary as
/// length-prefixed strings.
pub fn imports_thread_spawn(bytes: &[u8]) -> bool {
    let needle: &[u8] = b"\x04wasi\x0cthread-spawn";
    bytes.windows(needle.len()).any(|w| w == needle)
}

impl VendorEntry {
    /// Why this runtime cannot run here: unavailable in the registries, or
    /// not installed (its program is not found).
    pub fn missing(&self) -> Option<String> {
        if let Some(why) = &self.unavailable {
            return Some(why.clone());
        }
        let prog = self.command.split_whitespace().next().unwrap_or_default();
        if prog.starts_with('{') || program_exists(prog) {
            None
        } else {
            Some(format!(
                "not installed: `{prog}` not found (run scripts/install-runtimes.sh)"
            ))
        }
    }

    fn adapter(&self, command: &str) -> CommandRuntime {
        CommandRuntime {
            adapter: Adapter {
                name: self.name.clone(),
                command: command.to_string(),
                version: self.version.clone(),
                components: self.components.is_some(),
                p3_flags: self.p3_flags.clone(),
                proposal_flags: self.proposal_flags.clone(),
                serve_command: self.serve.clone(),
            },
        }
    }
}

/// A catalogue runtime as a [`Runtime`]: each test runs with the command
/// its module needs.
#[derive(Debug, Clone)]
pub struct VendorRuntime {
    /// The entry.
    pub entry: VendorEntry,
}

impl Runtime for VendorRuntime {
    fn name(&self) -> String {
        self.entry.name.clone()
    }

    fn version(&self) -> String {
        self.entry.adapter(&self.entry.command).version()
    }

    fn supports_components(&self) -> bool {
        self.entry.components.is_some()
    }

    fn supports_proposal(&self, p: &str) -> bool {
        self.entry.proposal_flags.contains_key(p)
    }

    fn run(&self, req: &RunRequest) -> RunOutput {
        let e = &self.entry;
        let template = match wasm_kind(&req.wasm) {
            WasmKind::Component => e.components.as_deref().unwrap_or(&e.command),
            _ => match &e.threads {
                Some(t) if std::fs::read(&req.wasm).is_ok_and(|b| imports_thread_spawn(&b)) => t,
                _ => &e.command,
            },
        };
        e.adapter(template).run(req)
    }

    fn spawn(&self, req: &RunRequest) -> Option<Result<Box<dyn Running>, String>> {
        let e = &self.entry;
        let template = match wasm_kind(&req.wasm) {
            WasmKind::Component => e.components.as_deref().unwrap_or(&e.command),
            _ => &e.command,
        };
        e.adapter(template).spawn(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_every_runtime_once_with_a_route_or_a_reason() {
        let c = parse_catalogue(CATALOGUE).expect("runtimes.toml parses");
        let names: Vec<&str> = c.iter().map(|e| e.name.as_str()).collect();
        for want in [
            "reference-vm",
            "wasmtime",
            "wasmer",
            "wasmedge",
            "wasm3",
            "wamr",
            "wavm",
            "node",
            "jco",
            "pywasm",
        ] {
            assert_eq!(names.iter().filter(|n| **n == want).count(), 1, "{want}");
        }
        for e in &c {
            assert!(
                e.route.is_some() != e.unavailable.is_some(),
                "{}: exactly one of route and unavailable",
                e.name
            );
            assert!(
                e.command.contains("{wasm}"),
                "{}: command runs {{wasm}}",
                e.name
            );
        }
        let gone = vendor_entry("wavm").unwrap();
        assert!(gone.missing().unwrap().starts_with("not installable here"));
    }

    #[test]
    fn every_expectations_file_parses_and_gives_reasons() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("expectations");
        let mut n = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let e = crate::Expectations::parse(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            assert!(
                e.tests.iter().all(|t| !t.reason.trim().is_empty()),
                "{}",
                path.display()
            );
            n += 1;
        }
        assert!(n >= 2);
    }

    #[test]
    fn thread_programs_are_recognised_by_their_import() {
        let threads = wat::parse_str(
            r#"(module (import "wasi" "thread-spawn" (func (param i32) (result i32))))"#,
        )
        .unwrap();
        let plain = wat::parse_str(
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#,
        )
        .unwrap();
        assert!(imports_thread_spawn(&threads));
        assert!(!imports_thread_spawn(&plain));
    }

    #[test]
    fn bare_programs_resolve_to_installed_runtimes_first() {
        assert_eq!(resolve_program("/bin/sh"), "/bin/sh");
        assert!(program_exists("sh"));
        assert!(!program_exists("no-such-runtime-here"));
    }
}
