//! `wasm-conform run`: exit statuses, traps, `--invoke`, `--dir`.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasm-conform"))
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} not found (required under CI=true)", p.display());
    }
    eprintln!("skipping: {} not found", p.display());
    None
}

/// `(module (func (export "_start") unreachable))`
const TRAPS: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
    1, 4, 1, 0x60, 0, 0, // type () -> ()
    3, 2, 1, 0, // one function
    7, 10, 1, 6, b'_', b's', b't', b'a', b'r', b't', 0, 0, // export _start
    10, 5, 1, 3, 0, 0, 0x0b, // body: unreachable
];

#[test]
fn trap_exits_134_with_message() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("trap.wasm");
    std::fs::write(&f, TRAPS).unwrap();
    let out = bin().arg("run").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(134));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn malformed_module_exits_125() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.wasm");
    std::fs::write(&f, b"\0asm\x01\0\0\0\x99").unwrap();
    let out = bin().arg("run").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(125));
}

#[test]
fn exit_code_and_stdout_of_a_command() {
    let Some(t) = shared("wasi-testsuite/tests/assemblyscript/testsuite/wasm32-wasip1") else {
        return;
    };
    let out = bin()
        .arg("run")
        .arg(t.join("proc_exit-failure.wasm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(33));
    let out = bin()
        .arg("run")
        .arg(t.join("fd_write-to-stdout.wasm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"hello"));
}

#[test]
fn bench_programs_print_their_checksums() {
    let Some(b) = shared("bench") else { return };
    let out = bin().arg("run").arg(b.join("hello.wasm")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello\nchecksum 000000000000002a\n"
    );
    let out = bin()
        .args(["run", "--invoke", "run"])
        .arg(b.join("hello-nowasi.wasm"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "i64:42\n");
}

#[test]
fn dir_preopens_on_both_file_systems() {
    let Some(t) = shared("wasi-testsuite/tests/rust/testsuite/wasm32-wasip1") else {
        return;
    };
    for fs in ["host", "memory"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fs-tests.dir")).unwrap();
        let d = format!(
            "{}::fs-tests.dir",
            dir.path().join("fs-tests.dir").display()
        );
        let out = bin()
            .args(["run", "--fs", fs, "--dir", &d])
            .arg(t.join("fd_readdir.wasm"))
            .arg("fs-tests.dir")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{fs}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `_start` ($main) calls $boom, which traps; a name section names both.
const NAMED_TRAP: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
    1, 4, 1, 0x60, 0, 0, // type () -> ()
    3, 3, 2, 0, 0, // two functions
    7, 10, 1, 6, b'_', b's', b't', b'a', b'r', b't', 0, 1, // export _start = func 1
    10, 10, 2, 3, 0, 0, 0x0b, 4, 0, 0x10, 0, 0x0b, // boom: unreachable; main: call 0
    0, 20, 4, b'n', b'a', b'm', b'e', 1, 13, 2, 0, 4, b'b', b'o', b'o', b'm', 1, 4, b'm', b'a',
    b'i', b'n', // name section: function names
];

#[test]
fn trap_prints_backtrace_with_names() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("named.wasm");
    std::fs::write(&f, NAMED_TRAP).unwrap();
    let out = bin().arg("run").arg(&f).output().unwrap();
    assert_eq!(out.status.code(), Some(134));
    let err = String::from_utf8_lossy(&out.stderr);
    let boom = err
        .find("$boom")
        .unwrap_or_else(|| panic!("no $boom frame in {err}"));
    let main = err
        .find("$main")
        .unwrap_or_else(|| panic!("no $main frame in {err}"));
    assert!(boom < main, "innermost frame first: {err}");
}

/// The official wasip3 components (WASI 0.3 with 0.2 through Rust std).
const WASIP3: &str = "wasi-testsuite/tests/rust/testsuite/wasm32-wasip3";

#[test]
fn component_exit_status_is_the_run_result_or_exit() {
    let Some(dir) = shared(WASIP3) else { return };
    // `exit(err)` and `run` returning `err` both end with status 1.
    for t in ["cli-exit.wasm", "run-with-err.wasm"] {
        let out = bin().arg("run").arg(dir.join(t)).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{t}: {out:?}");
    }
}

#[test]
fn component_gets_args_and_env() {
    let Some(dir) = shared(WASIP3) else { return };
    // The test checks argv[0] too: the program as named on the command line.
    let out = bin()
        .current_dir(&dir)
        .args(["run", "--env", "foo=bar", "--env", "baz=42", "cli-env.wasm"])
        .args(["a", "b", "42"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Without them its assertions fail: a trap, 134.
    let out = bin()
        .current_dir(&dir)
        .args(["run", "cli-env.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134), "{out:?}");
}

#[test]
fn component_dir_is_a_preopen() {
    let Some(dir) = shared(WASIP3) else { return };
    let tmp = tempfile::tempdir().unwrap();
    for f in ["a.txt", "b.txt"] {
        std::fs::copy(dir.join("fs-tests.dir").join(f), tmp.path().join(f)).unwrap();
    }
    let out = bin()
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::/", tmp.path().display()))
        .arg(dir.join("filesystem-dotdot.wasm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // No preopen: the program finds no directory and fails.
    let out = bin()
        .arg("run")
        .arg(dir.join("filesystem-dotdot.wasm"))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{out:?}");
}
