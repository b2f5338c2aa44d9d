//! The sandbox's path rules through `wasi:filesystem` descriptors, at 0.2
//! and at 0.3, on both backends: a small component opens paths with
//! `descriptor.open-at` (following symlinks) relative to its preopen; every
//! path that would leave the preopen (`..` above it, an absolute path, a
//! symlink to an absolute target or out of the directory) is
//! `not-permitted`, and the same file reached without leaving opens.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use reference_vm::component::{Runtime, Value, decode_component, validate_component};
use reference_vm::wasi::memfs::MemFs;
use reference_vm::wasi::{WasiCtx, link_component};
use reference_vm::{Config, Features};

/// `error-code` of wasi:filesystem, in WIT order: 0.2 has `would-block`
/// after `access`, 0.3 drops it and ends with `other(option<string>)`.
const ERROR_CASES: &[&str] = &[
    "access",
    "already",
    "bad-descriptor",
    "busy",
    "deadlock",
    "quota",
    "exist",
    "file-too-large",
    "illegal-byte-sequence",
    "in-progress",
    "interrupted",
    "invalid",
    "io",
    "is-directory",
    "loop",
    "too-many-links",
    "message-size",
    "name-too-long",
    "no-device",
    "no-entry",
    "no-lock",
    "insufficient-memory",
    "insufficient-space",
    "not-directory",
    "not-empty",
    "not-recoverable",
    "unsupported",
    "no-tty",
    "no-such-device",
    "overflow",
    "not-permitted",
    "pipe",
    "read-only",
    "invalid-seek",
    "text-file-busy",
    "cross-device",
];

/// The error cases of one version, in order.
fn cases(p3: bool) -> Vec<&'static str> {
    let mut v = ERROR_CASES.to_vec();
    if !p3 {
        v.insert(1, "would-block");
    }
    v
}

/// A component exporting `check: func(path: string) -> u32`: `open-at` of
/// `path` (symlink-follow, read) on its first preopen; 1000 when it opened,
/// else the error case's index.
fn probe(p3: bool) -> String {
    let (v, async_, ec) = if p3 {
        let c: Vec<String> = cases(true)
            .iter()
            .map(|c| format!("(case \"{c}\")"))
            .collect();
        (
            "0.3.0",
            "async ",
            format!("(variant {} (case \"other\" (option string)))", c.join(" ")),
        )
    } else {
        let c: Vec<String> = cases(false).iter().map(|c| format!("\"{c}\"")).collect();
        ("0.2.6", "", format!("(enum {})", c.join(" ")))
    };
    format!(
        r#"(component
  (import "wasi:filesystem/types@{v}" (instance $t
    (export "descriptor" (type $d (sub resource)))
    (type $ec {ec})
    (export "error-code" (type $eci (eq $ec)))
    (type $pf (flags "symlink-follow"))
    (export "path-flags" (type $pfi (eq $pf)))
    (type $of (flags "create" "directory" "exclusive" "truncate"))
    (export "open-flags" (type $ofi (eq $of)))
    (type $df (flags "read" "write" "file-integrity-sync" "data-integrity-sync"
      "requested-write-sync" "mutate-directory"))
    (export "descriptor-flags" (type $dfi (eq $df)))
    (export "[method]descriptor.open-at"
      (func {async_}(param "self" (borrow $d)) (param "path-flags" $pfi) (param "path" string)
        (param "open-flags" $ofi) (param "flags" $dfi) (result (result (own $d) (error $eci)))))))
  (alias export $t "descriptor" (type $td))
  (import "wasi:filesystem/preopens@{v}" (instance $p
    (export "descriptor" (type $pd (eq $td)))
    (export "get-directories" (func (result (list (tuple (own $pd) string)))))))
  (core module $Libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (local.set $r (i32.and
        (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (local.get $r)))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $dirs (canon lower (func $p "get-directories") (memory $mem) (realloc $realloc)))
  (core func $open (canon lower (func $t "[method]descriptor.open-at")
    (memory $mem) (realloc $realloc)))
  (core module $M
    (import "" "dirs" (func $dirs (param i32)))
    (import "" "open" (func $open (param i32 i32 i32 i32 i32 i32 i32)))
    (import "" "mem" (memory 1))
    (global $h (mut i32) (i32.const -1))
    (func (export "check") (param $ptr i32) (param $len i32) (result i32)
      (if (i32.eq (global.get $h) (i32.const -1))
        (then
          (call $dirs (i32.const 16))
          (global.set $h (i32.load (i32.load (i32.const 16))))))
      (call $open (global.get $h) (i32.const 1) (local.get $ptr) (local.get $len)
        (i32.const 0) (i32.const 1) (i32.const 200))
      (if (result i32) (i32.eqz (i32.load8_u (i32.const 200)))
        (then (i32.const 1000))
        (else (i32.load8_u (i32.const 204))))))
  (core instance $m (instantiate $M (with "" (instance
    (export "dirs" (func $dirs)) (export "open" (func $open)) (export "mem" (memory $mem))))))
  (func (export "check") (param "path" string) (result u32)
    (canon lift (core func $m "check") (memory $mem) (realloc $realloc))))"#
    )
}

/// A fresh host folder: `jail/` with a file, a subfolder, and symlinks
/// inside (`sub/up -> ..`) and out (`sub/upup -> ../..`, absolute ones,
/// a relative one climbing far up).
fn fixture() -> PathBuf {
    let base = std::env::temp_dir().join(format!(
        "wasm-conform-p2p3-sandbox-{}-{}",
        std::process::id(),
        std::thread::current()
            .name()
            .unwrap_or("main")
            .replace(':', "_")
    ));
    let _ = std::fs::remove_dir_all(&base);
    let jail = base.join("jail");
    std::fs::create_dir_all(jail.join("sub")).expect("fixture");
    std::fs::write(jail.join("file"), b"inside").expect("fixture");
    std::fs::write(base.join("outside"), b"outside").expect("fixture");
    let link = |target: &str, at: &str| {
        std::os::unix::fs::symlink(target, jail.join(at)).expect("fixture symlink")
    };
    link("..", "sub/up");
    link("../..", "sub/upup");
    link("/etc/passwd", "abs-out");
    link("/etc", "abs-dir");
    link("../outside", "rel-out");
    link("../../../../../../../../../../etc/passwd", "far-out");
    base
}

/// Paths that leave the preopen: each must be `not-permitted`.
const ESCAPES: &[&str] = &[
    "../outside",
    "sub/../../outside",
    "sub/../sub/../../outside",
    "/etc/passwd",
    "/",
    "abs-out",
    "abs-dir",
    "abs-dir/passwd",
    "rel-out",
    "far-out",
    "sub/upup",
    "sub/upup/outside",
    "sub/up/../outside",
];

/// Paths that stay inside: each must open.
const INSIDE: &[&str] = &[
    "file",
    "./file",
    "sub/../file",
    "sub/up/file",
    "sub",
    "sub/up",
];

fn check_all(p3: bool, ctx: WasiCtx, label: &str) {
    let text = probe(p3);
    let buf = wast::parser::ParseBuffer::new(&text).expect("lexes");
    let mut w = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    let bytes = w.encode().expect("encodes");
    let f = Features::v3();
    let c = decode_component(&bytes, &f).expect("decodes");
    validate_component(&c, &f).expect("validates");
    let mut rt = Runtime::new(Config::default());
    link_component(&mut rt, Arc::new(Mutex::new(ctx)));
    let i = rt.instantiate(&Arc::new(c)).expect("instantiates");
    let not_permitted = cases(p3)
        .iter()
        .position(|c| *c == "not-permitted")
        .expect("case") as u32;
    for (paths, want) in [(ESCAPES, not_permitted), (INSIDE, 1000)] {
        for p in paths {
            let r = rt
                .invoke(i, "check", &[Value::String(p.to_string())])
                .expect("runs");
            assert_eq!(
                r,
                vec![Value::U32(want)],
                "{label} p3={p3}: open-at {p:?} (1000 = opened, else the error case)"
            );
        }
    }
}

fn host_ctx(base: &Path) -> WasiCtx {
    WasiCtx::builder()
        .preopen_host_dir(base.join("jail"), "jail")
        .expect("preopen")
        .build()
}

fn mem_ctx(base: &Path) -> WasiCtx {
    let fs = MemFs::new();
    let d = fs.load_host_dir(&base.join("jail"), "jail").expect("load");
    WasiCtx::builder().preopen(Box::new(d), "jail").build()
}

fn both_backends(p3: bool) {
    let base = fixture();
    check_all(p3, host_ctx(&base), "host fs");
    check_all(p3, mem_ctx(&base), "memory fs");
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn open_at_never_leaves_the_preopen_p2() {
    both_backends(false);
}

/// The 0.3 `open-at` is `async`: lowered synchronously from a synchronous
/// export, it completes at once (the host never blocks here).
#[test]
fn open_at_never_leaves_the_preopen_p3() {
    both_backends(true);
}
