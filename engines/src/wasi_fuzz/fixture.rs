//! The fixture tree every program starts from, its creation on the host file
//! system and in a [`MemFs`], and snapshots of the tree after a run.
//!
//! On the host the preopened directory is `ROOT/sandbox`; its sibling
//! `ROOT/outside` holds a file the sandbox links to. A run that changes
//! anything outside the sandbox shows an `ESCAPE` line in its snapshot.

use reference_vm::wasi::fs::{OpenOptions, Opened, WasiDir};
use reference_vm::wasi::types::filetype;
use std::fmt::Write as _;
use std::path::Path;

/// A fixture entry.
#[derive(Debug, Clone, Copy)]
pub enum Node {
    /// A regular file with these bytes.
    File(&'static [u8]),
    /// A directory.
    Dir,
    /// A symbolic link with this target (not resolved).
    Link(&'static str),
}

/// The sandbox's initial tree, parents before children: files, directories,
/// symlinks inside the sandbox, leading out of it (relative and absolute),
/// dangling, in a loop, to themselves, with a trailing slash.
pub const TREE: &[(&str, Node)] = &[
    ("file.txt", Node::File(b"hello, world\n")),
    ("empty", Node::File(b"")),
    ("dir", Node::Dir),
    ("dir/a.txt", Node::File(b"abc")),
    ("dir/sub", Node::Dir),
    ("dir/sub/deep", Node::File(b"deep")),
    ("emptydir", Node::Dir),
    ("ln_file", Node::Link("file.txt")),
    ("ln_dir", Node::Link("dir")),
    ("dir/ln_up", Node::Link("../file.txt")),
    ("ln_esc", Node::Link("../outside/secret")),
    ("ln_abs", Node::Link("/etc/passwd")),
    ("ln_dangling", Node::Link("nothing")),
    ("loop1", Node::Link("loop2")),
    ("loop2", Node::Link("loop1")),
    ("ln_self", Node::Link("ln_self")),
    ("ln_trail", Node::Link("dir/")),
    ("dir/sub/ln_root", Node::Link("../..")),
    ("dir/sub/ln_out", Node::Link("../../..")),
];

/// The tree beside the sandbox (host runs only).
pub const OUTSIDE: &[(&str, Node)] = &[("secret", Node::File(b"secret\n"))];

fn create_std(root: &Path, tree: &[(&str, Node)]) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    for (p, n) in tree {
        let at = root.join(p);
        match n {
            Node::File(b) => std::fs::write(&at, b)?,
            Node::Dir => std::fs::create_dir(&at)?,
            Node::Link(t) => std::os::unix::fs::symlink(t, &at)?,
        }
    }
    Ok(())
}

/// Creates `ROOT/sandbox` and `ROOT/outside`; returns the sandbox path.
pub fn create_host(root: &Path) -> std::io::Result<std::path::PathBuf> {
    create_std(&root.join("sandbox"), TREE)?;
    create_std(&root.join("outside"), OUTSIDE)?;
    Ok(root.join("sandbox"))
}

/// Creates the sandbox tree under `dir` through the backend contract.
pub fn create_wasi(dir: &dyn WasiDir) -> Result<(), String> {
    let e = |p: &str, e: u16| format!("fixture {p}: {}", reference_vm::wasi::types::errno::name(e));
    for (p, n) in TREE {
        match n {
            Node::Dir => dir.create_dir(p).map_err(|x| e(p, x))?,
            Node::Link(t) => dir.symlink(t, p).map_err(|x| e(p, x))?,
            Node::File(b) => {
                let o = OpenOptions {
                    create: true,
                    exclusive: true,
                    write: true,
                    ..OpenOptions::default()
                };
                match dir.open(p, &o).map_err(|x| e(p, x))? {
                    Opened::File(mut f) => {
                        f.write(b, false).map_err(|x| e(p, x))?;
                    }
                    Opened::Dir(_) => return Err(format!("fixture {p}: a directory")),
                }
            }
        }
    }
    Ok(())
}

/// One line per entry: `path type [size content | -> target]`. Content up
/// to 64 bytes is hex, longer content its length and FNV-1a hash.
fn line(out: &mut Vec<String>, path: &str, kind: u8, data: &[u8]) {
    let mut s = String::from(path);
    match kind {
        filetype::DIRECTORY => s.push_str(" dir"),
        filetype::SYMBOLIC_LINK => {
            let _ = write!(s, " link -> {}", String::from_utf8_lossy(data));
        }
        filetype::REGULAR_FILE => {
            let _ = write!(s, " file {} ", data.len());
            if data.len() <= 64 {
                for b in data {
                    let _ = write!(s, "{b:02x}");
                }
            } else {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for b in data {
                    h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
                }
                let _ = write!(s, "#{h:016x}");
            }
        }
        k => {
            let _ = write!(s, " type{k}");
        }
    }
    out.push(s);
}

/// Entries at most in a snapshot (a program cannot make more, but a fault could).
const MAX_ENTRIES: usize = 4096;

/// The tree under the host directory `root`, sorted.
pub fn snapshot_std(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk_std(root, "", &mut out);
    out.sort();
    out
}

fn walk_std(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        out.push(format!("{prefix}: unreadable"));
        return;
    };
    for ent in rd.flatten() {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        let name = ent.file_name().to_string_lossy().into_owned();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(ft) = ent.file_type() else { continue };
        if ft.is_symlink() {
            let t = std::fs::read_link(ent.path()).unwrap_or_default();
            line(
                out,
                &path,
                filetype::SYMBOLIC_LINK,
                t.to_string_lossy().as_bytes(),
            );
        } else if ft.is_dir() {
            line(out, &path, filetype::DIRECTORY, &[]);
            walk_std(&ent.path(), &path, out);
        } else if ft.is_file() {
            let data = std::fs::read(ent.path()).unwrap_or_default();
            line(out, &path, filetype::REGULAR_FILE, &data);
        } else {
            line(out, &path, filetype::UNKNOWN, &[]);
        }
    }
}

/// The tree under a backend directory, sorted.
pub fn snapshot_wasi(dir: &dyn WasiDir) -> Vec<String> {
    let mut out = Vec::new();
    walk_wasi(dir, "", &mut out);
    out.sort();
    out
}

fn walk_wasi(dir: &dyn WasiDir, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = dir.entries() else {
        out.push(format!("{prefix}: unreadable"));
        return;
    };
    for ent in entries {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        let name = String::from_utf8_lossy(&ent.name).into_owned();
        if name == "." || name == ".." {
            continue;
        }
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = dir
            .path_stat(&name, false)
            .map(|s| s.filetype)
            .unwrap_or(ent.filetype);
        match kind {
            filetype::SYMBOLIC_LINK => {
                let t = dir.readlink(&name).unwrap_or_default();
                line(out, &path, kind, &t);
            }
            filetype::DIRECTORY => {
                line(out, &path, kind, &[]);
                let o = OpenOptions {
                    directory: true,
                    read: true,
                    ..OpenOptions::default()
                };
                if let Ok(Opened::Dir(d)) = dir.open(&name, &o) {
                    walk_wasi(d.as_ref(), &path, out);
                }
            }
            filetype::REGULAR_FILE => {
                let o = OpenOptions {
                    read: true,
                    ..OpenOptions::default()
                };
                let mut data = Vec::new();
                if let Ok(Opened::File(mut f)) = dir.open(&name, &o) {
                    let mut buf = vec![0; 1 << 16];
                    while let Ok(n) = f.read(&mut buf) {
                        if n == 0 || data.len() > 1 << 24 {
                            break;
                        }
                        data.extend_from_slice(&buf[..n]);
                    }
                }
                line(out, &path, kind, &data);
            }
            k => line(out, &path, k, &[]),
        }
    }
}

/// The lines of the untouched `outside` tree.
pub fn outside_expected() -> Vec<String> {
    let mut out = Vec::new();
    for (p, n) in OUTSIDE {
        match n {
            Node::File(b) => line(&mut out, p, filetype::REGULAR_FILE, b),
            Node::Dir => line(&mut out, p, filetype::DIRECTORY, &[]),
            Node::Link(t) => line(&mut out, p, filetype::SYMBOLIC_LINK, t.as_bytes()),
        }
    }
    out.sort();
    out
}

/// A shell script that recreates the fixture in the current directory
/// (`sandbox/` and `outside/`), for reproducers.
pub fn script() -> String {
    let mut s = String::from(
        "#!/bin/sh\n# Recreates the WASI fuzzer's fixture tree: run in an empty directory,\n# then preopen ./sandbox as /sandbox.\nset -e\nmkdir -p sandbox outside\n",
    );
    for (root, tree) in [("sandbox", TREE), ("outside", OUTSIDE)] {
        for (p, n) in tree {
            let at = format!("{root}/{p}");
            match n {
                Node::Dir => {
                    let _ = writeln!(s, "mkdir '{at}'");
                }
                Node::Link(t) => {
                    let _ = writeln!(s, "ln -s '{t}' '{at}'");
                }
                Node::File(b) => {
                    let _ = writeln!(s, "printf '%b' '{}' > '{at}'", shell_octal(b));
                }
            }
        }
    }
    s
}

fn shell_octal(b: &[u8]) -> String {
    // Octal escapes for printf's `%b`.
    b.iter().map(|c| format!("\\0{c:o}")).collect()
}
