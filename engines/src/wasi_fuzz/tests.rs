use super::program::{Fd, Path, Program, Step};
use super::*;

fn path(s: &str) -> Path {
    Path {
        bytes: s.as_bytes().to_vec(),
        bad: None,
    }
}

/// Generated programs are valid modules (wasmparser's validator).
#[test]
fn generated_programs_validate() {
    let mut rng = crate::oracle::plan::Rng::new(5);
    for _ in 0..200 {
        let mut data = vec![0u8; 2048];
        rng.fill(&mut data);
        let p = Program::generate(&data);
        assert!(!p.steps.is_empty());
        let wasm = encode::encode(&p);
        wasmparser::Validator::new()
            .validate_all(&wasm)
            .unwrap_or_else(|e| panic!("{e}\n{}", wat(&wasm)));
    }
}

/// A program that opens and reads a fixture file prints the file's bytes,
/// and both reference-vm file systems agree on it step by step and on the tree.
#[test]
fn open_read_write_agree_on_both_file_systems() {
    let (content, name) = fixture::TREE
        .iter()
        .find_map(|(p, n)| match n {
            fixture::Node::File(b) if !b.is_empty() => Some((*b, *p)),
            _ => None,
        })
        .unwrap();
    let p = Program {
        steps: vec![
            Step::Open {
                dir: Fd::Pre,
                lookup: 1,
                path: path(name),
                oflags: 0,
                base: u64::MAX,
                inheriting: u64::MAX,
                fdflags: 0,
                slot: 2,
            },
            Step::Read {
                fd: Fd::Slot(2),
                iovs: vec![2, 100],
                at: None,
                bad: None,
            },
            Step::Write {
                fd: Fd::Slot(2),
                data: b"xyz".to_vec(),
                split: 1,
                at: Some(1),
                bad: None,
            },
            Step::Mkdir {
                dir: Fd::Pre,
                path: path("made"),
            },
        ],
    };
    let o = run_program(&p, &["reference-vm", "reference-vm-memfs"]);
    assert!(matches!(o.verdict, Verdict::Agree), "{:?}", o.verdict);
    let calls = encode::calls(&p);
    let n = compare::normalise(&p, &calls, &o.runs[0], true);
    let hex: String = content.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(n.steps.len(), 4, "{:?}", n.steps);
    assert!(
        n.steps[0].starts_with("path_open success"),
        "{}",
        n.steps[0]
    );
    assert_eq!(
        n.steps[1],
        format!("fd_read success {} {hex}", content.len())
    );
    assert!(n.steps[2].starts_with("fd_pwrite "), "{}", n.steps[2]);
    assert!(n.tree.iter().any(|l| l == "made dir"), "{:?}", n.tree);
    assert_eq!(n.end, "exit 0");
}

/// A different errno at a step is a divergence keyed by the step and both errnos.
#[test]
fn a_different_errno_is_a_divergence() {
    let p = Program {
        steps: vec![Step::Mkdir {
            dir: Fd::Pre,
            path: path("x"),
        }],
    };
    let calls = encode::calls(&p);
    let run = |out: &str| HostRun {
        host: "h".into(),
        stdout: out.into(),
        end: End::Exit(0),
        tree: vec![],
    };
    let a = compare::normalise(&p, &calls, &run("0 0\n"), true);
    let b = compare::normalise(&p, &calls, &run("0 20\n"), true);
    match compare::compare(&p, &a, &b, ("a", "b")) {
        compare::Cmp::Differ { key, step, .. } => {
            assert_eq!(key, "path_create_directory:success-vs-exist");
            assert_eq!(step, Some(0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(compare::compare(&p, &a, &a, ("a", "a")), compare::Cmp::Same);
}

/// Escaping the sandbox through a symlink is refused on both file systems,
/// and the tree outside the sandbox is untouched.
#[test]
fn writes_through_escaping_links_are_refused() {
    let p = Program {
        steps: [
            "ln_esc",
            "ln_abs",
            "dir/sub/ln_out/outside/secret",
            "../outside/secret",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| Step::Open {
            dir: Fd::Pre,
            lookup: 1,
            path: path(s),
            oflags: 8, // trunc
            base: u64::MAX,
            inheriting: u64::MAX,
            fdflags: 0,
            slot: i as u8,
        })
        .collect(),
    };
    let o = run_program(&p, &["reference-vm", "reference-vm-memfs"]);
    assert!(matches!(o.verdict, Verdict::Agree), "{:?}", o.verdict);
    let calls = encode::calls(&p);
    for r in &o.runs {
        let n = compare::normalise(&p, &calls, r, true);
        assert_eq!(n.steps.len(), 4);
        for s in &n.steps {
            assert!(!s.contains("success"), "{}: {s}", r.host);
        }
        assert!(
            !n.tree.iter().any(|l| l.starts_with("ESCAPE")),
            "{:?}",
            n.tree
        );
    }
}

fn open(p: &str, oflags: u16, lookup: u32) -> Step {
    Step::Open {
        dir: Fd::Pre,
        lookup,
        path: path(p),
        oflags,
        base: 1 << 1, // fd_read only
        inheriting: 0,
        fdflags: 0,
        slot: 0,
    }
}

/// The first word after the step name on each reference-vm file system.
fn errno_on_both(step: Step) -> Vec<String> {
    let p = Program { steps: vec![step] };
    let calls = encode::calls(&p);
    let o = run_program(&p, &["reference-vm", "reference-vm-memfs"]);
    o.runs
        .iter()
        .map(|r| {
            let n = compare::normalise(&p, &calls, r, true);
            let line = n.steps.first().cloned().unwrap_or_default();
            format!("{}: {}", r.host, line.split(' ').nth(1).unwrap_or("?"))
        })
        .collect()
}

/// Regression (found by `fuzz --wasi`, memfs): POSIX open(): with O_CREAT
/// and O_EXCL a final symlink is not followed, so an existing link (even
/// one leading out of the sandbox) is EEXIST, not the error of following it.
#[test]
fn creat_excl_does_not_follow_a_final_symlink() {
    for link in ["ln_abs", "ln_esc", "ln_dangling", "ln_file"] {
        assert_eq!(
            errno_on_both(open(link, 1 | 4, 1)),
            ["reference-vm: exist", "reference-vm-memfs: exist"],
            "{link}"
        );
    }
}

/// Regression (found by `fuzz --wasi`, host file system): POSIX open():
/// [EISDIR] the named file is a directory and oflag includes O_CREAT
/// without O_DIRECTORY, also when opening for reading only.
#[test]
fn creat_on_a_directory_is_eisdir() {
    for dir in ["dir", "emptydir", "ln_dir"] {
        assert_eq!(
            errno_on_both(open(dir, 1, 1)),
            ["reference-vm: isdir", "reference-vm-memfs: isdir"],
            "{dir}"
        );
    }
}

/// Regression (found by `fuzz --wasi`, host file system): `path_open` with
/// `oflags::directory` and write rights resolves the path first: a missing
/// path is NOENT, a file NOTDIR, a symlink loop LOOP; only a directory is
/// EISDIR (POSIX open()).
#[test]
fn directory_open_for_writing_resolves_the_path_first() {
    for (p, want) in [
        ("new/", "noent"),
        ("file.txt", "notdir"),
        ("loop1", "loop"),
        ("dir", "isdir"),
    ] {
        let step = Step::Open {
            dir: Fd::Pre,
            lookup: 1,
            path: path(p),
            oflags: 2,
            base: (1 << 1) | (1 << 6),
            inheriting: 0,
            fdflags: 0,
            slot: 0,
        };
        assert_eq!(
            errno_on_both(step),
            [
                format!("reference-vm: {want}"),
                format!("reference-vm-memfs: {want}")
            ],
            "{p}"
        );
    }
}

/// Regression (found by `fuzz --wasi`, host file system):
/// `path_filestat_set_times` with no time to set still resolves the path
/// (POSIX utimensat with UTIME_OMIT twice), so a missing path is NOENT.
#[test]
fn set_times_with_nothing_to_set_still_resolves_the_path() {
    for lookup in [0, 1] {
        let step = Step::PathTimes {
            dir: Fd::Pre,
            lookup,
            path: path("x.txt"),
            atim: 0,
            mtim: 0,
            fst: 0,
        };
        assert_eq!(
            errno_on_both(step),
            ["reference-vm: noent", "reference-vm-memfs: noent"],
        );
    }
}
