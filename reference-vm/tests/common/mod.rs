//! Helpers shared by the integration tests that read `.wast` scripts.

use std::path::{Path, PathBuf};

/// Appends every `.wast` file under `dir` (recursively) to `out`.
pub fn wast_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            wast_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "wast") {
            out.push(p);
        }
    }
}

/// Calls `f` with each directive's module or component (as the `wast`
/// crate encodes it) that `pick` selects, for every script under `dirs` in
/// path order. Scripts that do not read or parse, and modules that do not
/// encode, are skipped.
pub fn for_each_encoded(
    dirs: &[PathBuf],
    pick: impl Fn(wast::WastDirective<'_>) -> Option<wast::QuoteWat<'_>>,
    mut f: impl FnMut(&Path, Vec<u8>),
) {
    let mut files = Vec::new();
    for d in dirs {
        wast_files(d, &mut files);
    }
    files.sort();
    for path in &files {
        let Ok(src) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(buf) = wast::parser::ParseBuffer::new(&src) else {
            continue;
        };
        let Ok(script) = wast::parser::parse::<wast::Wast>(&buf) else {
            continue;
        };
        for d in script.directives {
            if let Some(mut q) = pick(d)
                && let Ok(bytes) = q.encode()
            {
                f(path, bytes);
            }
        }
    }
}
