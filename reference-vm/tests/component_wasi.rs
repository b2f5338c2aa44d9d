//! The component WASI host (`reference_vm::wasi::component`): small
//! components in the text format import WASI 0.2/0.3 interfaces, and the
//! tests check what the host gave them (through a lifted export) or what
//! the run did (exit code, captured output), over a `WasiCtx` built as for
//! preview1.

use std::sync::{Arc, Mutex};

use reference_vm::component::{Runtime, Value, decode_component, validate_component};
use reference_vm::wasi::fs::WasiDir;
use reference_vm::wasi::memfs::MemFs;
use reference_vm::wasi::{
    Clock, OutputSink, RandomSource, RunError, WasiCtx, link_component, run_component,
};
use reference_vm::{Config, Features};

fn encode(wat: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(wat).expect("lexes");
    let mut w = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    w.encode().expect("encodes")
}

/// Instantiates `wat` with the WASI host over `ctx`.
fn instance(wat: &str, ctx: WasiCtx) -> (Runtime, u32) {
    let f = Features::v3();
    let c = decode_component(&encode(wat), &f).expect("decodes");
    validate_component(&c, &f).expect("validates");
    let mut rt = Runtime::new(Config::default());
    link_component(&mut rt, Arc::new(Mutex::new(ctx)));
    let i = rt.instantiate(&Arc::new(c)).expect("instantiates");
    (rt, i)
}

/// A memory and a bump allocator for lowering lists and strings.
const LIBC: &str = r#"
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
"#;

/// A component that imports `func() -> T` from `iface` and exports it
/// again as `get` (a result passed through memory when `indirect`).
fn passthrough(iface: &str, func: &str, ty: &str, indirect: bool) -> String {
    let (core_ty, body) = if indirect {
        (
            "(param i32)",
            "(func (export \"get\") (result i32) (call $f (i32.const 16)) (i32.const 16))",
        )
    } else {
        ("", "")
    };
    let (import_sig, export_body) = if indirect {
        (core_ty.to_string(), body.to_string())
    } else {
        (
            format!("(result {})", core_result(ty)),
            format!(
                "(func (export \"get\") (result {}) (call $f))",
                core_result(ty)
            ),
        )
    };
    format!(
        r#"(component
  (import "{iface}" (instance $i (export "{func}" (func (result {ty})))))
  {LIBC}
  (core func $f (canon lower (func $i "{func}") (memory $mem) (realloc $realloc)))
  (core module $M
    (import "" "f" (func $f {import_sig}))
    {export_body})
  (core instance $m (instantiate $M (with "" (instance (export "f" (func $f))))))
  (func (export "get") (result {ty})
    (canon lift (core func $m "get") (memory $mem) (realloc $realloc))))"#
    )
}

fn core_result(ty: &str) -> &'static str {
    if ty == "u64" { "i64" } else { "i32" }
}

fn get(wat: &str, ctx: WasiCtx) -> Value {
    let (mut rt, i) = instance(wat, ctx);
    let mut r = rt.invoke(i, "get", &[]).expect("runs");
    assert_eq!(r.len(), 1);
    r.remove(0)
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => panic!("not a string: {other:?}"),
            })
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

#[test]
fn environment_arguments_both_versions() {
    for v in ["0.2.4", "0.3.0"] {
        let ctx = WasiCtx::builder().args(["prog", "a", "b c"]).build();
        let wat = passthrough(
            &format!("wasi:cli/environment@{v}"),
            "get-arguments",
            "(list string)",
            true,
        );
        assert_eq!(strings(&get(&wat, ctx)), ["prog", "a", "b c"], "@{v}");
    }
}

#[test]
fn environment_variables() {
    let ctx = WasiCtx::builder()
        .env("foo", "bar")
        .env("baz", "4=2")
        .build();
    let wat = passthrough(
        "wasi:cli/environment@0.3.0",
        "get-environment",
        "(list (tuple string string))",
        true,
    );
    let pair =
        |k: &str, v: &str| Value::Tuple(vec![Value::String(k.into()), Value::String(v.into())]);
    assert_eq!(
        get(&wat, ctx),
        Value::List(vec![pair("foo", "bar"), pair("baz", "4=2")])
    );
}

#[test]
fn seeded_random_is_deterministic() {
    let read = |seed: u64, iface: &str, func: &str| {
        let ctx = WasiCtx::builder()
            .random(RandomSource::Seeded(seed))
            .build();
        get(&passthrough(iface, func, "u64", false), ctx)
    };
    for (iface, func) in [
        ("wasi:random/random@0.3.0", "get-random-u64"),
        ("wasi:random/insecure@0.3.0", "get-insecure-random-u64"),
        ("wasi:random/random@0.2.4", "get-random-u64"),
    ] {
        assert_eq!(read(7, iface, func), read(7, iface, func), "{iface}");
        assert_ne!(read(7, iface, func), read(8, iface, func), "{iface}");
    }
}

#[test]
fn virtual_monotonic_clock() {
    let ctx = WasiCtx::builder()
        .clock(Clock::Deterministic {
            start_ns: 1_000,
            step_ns: 10,
        })
        .build();
    let wat = passthrough("wasi:clocks/monotonic-clock@0.3.0", "now", "u64", false);
    assert_eq!(get(&wat, ctx), Value::U64(1_000));
}

/// `wait-for` lowered `async` completes at once (Subtask RETURNED = 2) and
/// moves the virtual clock by the duration.
#[test]
fn wait_for_advances_the_virtual_clock() {
    let wat = r#"(component
  (import "wasi:clocks/monotonic-clock@0.3.0" (instance $c
    (export "now" (func (result u64)))
    (export "wait-for" (func async (param "how-long" u64)))))
  (core func $now (canon lower (func $c "now")))
  (core func $wait (canon lower (func $c "wait-for") async))
  (core module $M
    (import "" "now" (func $now (result i64)))
    (import "" "wait" (func $wait (param i64) (result i32)))
    (func (export "get") (result i64)
      (local $t i64)
      (local.set $t (call $now))
      (if (i32.ne (call $wait (i64.const 5000)) (i32.const 2)) (then unreachable))
      (i64.sub (call $now) (local.get $t))))
  (core instance $m (instantiate $M (with "" (instance
    (export "now" (func $now)) (export "wait" (func $wait))))))
  (func (export "get") (result u64) (canon lift (core func $m "get"))))"#;
    let ctx = WasiCtx::builder()
        .clock(Clock::Deterministic {
            start_ns: 0,
            step_ns: 1,
        })
        .build();
    // One step for the first reading, then the wait.
    assert_eq!(get(wat, ctx), Value::U64(5_001));
}

#[test]
fn terminals_are_absent_for_captured_stdio() {
    let (out, _) = OutputSink::capture(100);
    let ctx = WasiCtx::builder().stdout(out).build();
    let wat = r#"(component
  (import "wasi:cli/terminal-output@0.2.4" (instance $t
    (export "terminal-output" (type (sub resource)))))
  (alias export $t "terminal-output" (type $to))
  (import "wasi:cli/terminal-stdout@0.2.4" (instance $s
    (export "terminal-output" (type (eq $to)))
    (export "get-terminal-stdout" (func (result (option (own 0)))))))
  (core module $Libc (memory (export "mem") 1))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "mem" (core memory $mem))
  (core func $f (canon lower (func $s "get-terminal-stdout") (memory $mem)))
  (core module $M
    (import "" "f" (func $f (param i32)))
    (import "" "mem" (memory 1))
    (func (export "get") (result i32)
      (call $f (i32.const 8)) (i32.load8_u (i32.const 8))))
  (core instance $m (instantiate $M (with "" (instance
    (export "f" (func $f)) (export "mem" (memory $mem))))))
  (func (export "get") (result u32) (canon lift (core func $m "get"))))"#;
    assert_eq!(get(wat, ctx), Value::U32(0));
}

/// A command component: `run` writes `hi\n` to stdout through
/// `blocking-write-and-flush`, then returns `code` (0 ok, 1 err), or calls
/// `exit` with err when `code` is 2, or traps when it is 3.
fn command(code: i32) -> Vec<u8> {
    encode(&format!(
        r#"(component
  (import "wasi:io/error@0.2.4" (instance $e (export "error" (type (sub resource)))))
  (alias export $e "error" (type $err))
  (import "wasi:io/streams@0.2.4" (instance $s
    (export "error" (type $ie (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $ie)) (case "closed")))
    (export "stream-error" (type $sei (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $sei)))))))
  (alias export $s "output-stream" (type $os))
  (import "wasi:cli/stdout@0.2.4" (instance $o
    (export "output-stream" (type $o (eq $os)))
    (export "get-stdout" (func (result (own $o))))))
  (import "wasi:cli/exit@0.2.4" (instance $x
    (export "exit" (func (param "status" (result))))))
  {LIBC}
  (core func $get (canon lower (func $o "get-stdout")))
  (core func $write (canon lower (func $s "[method]output-stream.blocking-write-and-flush")
    (memory $mem) (realloc $realloc)))
  (core func $exit (canon lower (func $x "exit")))
  (core module $M
    (import "" "get" (func $get (result i32)))
    (import "" "write" (func $write (param i32 i32 i32 i32)))
    (import "" "exit" (func $exit (param i32)))
    (import "" "mem" (memory 1))
    (data (i32.const 100) "hi\n")
    (func (export "run") (result i32)
      (call $write (call $get) (i32.const 100) (i32.const 3) (i32.const 200))
      (if (i32.load8_u (i32.const 200)) (then unreachable))
      (if (i32.eq (i32.const {code}) (i32.const 2)) (then (call $exit (i32.const 1))))
      (if (i32.eq (i32.const {code}) (i32.const 3)) (then unreachable))
      (i32.const {code})))
  (core instance $m (instantiate $M (with "" (instance
    (export "get" (func $get)) (export "write" (func $write))
    (export "exit" (func $exit)) (export "mem" (memory $mem))))))
  (func $run (result (result)) (canon lift (core func $m "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))"#
    ))
}

fn run(code: i32) -> (Result<i32, RunError>, Vec<u8>) {
    let (out, h) = OutputSink::capture(1 << 10);
    let ctx = WasiCtx::builder().stdout(out).build();
    let r = run_component(&command(code), ctx, Config::default()).map(|r| r.exit_code);
    let bytes = h.lock().unwrap().bytes.clone();
    (r, bytes)
}

#[test]
fn run_writes_stdout_and_maps_the_result() {
    assert_eq!(run(0), (Ok(0), b"hi\n".to_vec()));
    assert_eq!(run(1), (Ok(1), b"hi\n".to_vec()));
}

#[test]
fn exit_ends_the_run_with_its_status() {
    assert_eq!(run(2), (Ok(1), b"hi\n".to_vec()));
}

#[test]
fn a_trap_is_a_run_error() {
    match run(3).0 {
        Err(RunError::Trap { message, .. }) => {
            assert!(message.contains("unreachable"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_component_without_run_is_refused() {
    let bytes = encode("(component)");
    assert_eq!(
        run_component(&bytes, WasiCtx::builder().build(), Config::default()),
        Err(RunError::NoStart)
    );
}

#[test]
fn a_missing_import_is_unlinkable() {
    let bytes = encode(r#"(component (import "wasi:nope/nope@0.2.0" (instance)))"#);
    match run_component(&bytes, WasiCtx::builder().build(), Config::default()) {
        Err(RunError::NoStart | RunError::Link(_)) => {}
        other => panic!("{other:?}"),
    }
}

/// `preopens.get-directories` gives the context's preopens by name, and
/// `stat-at` resolves paths inside them; `..` above is `not-permitted`.
#[test]
fn filesystem_preopens_and_stat_at() {
    let fs = MemFs::new();
    let root = fs.root();
    root.create_dir("sub").unwrap();
    let ctx = WasiCtx::builder().preopen(Box::new(root), "/").build();
    let wat = format!(
        r#"(component
  (import "wasi:filesystem/types@0.3.0" (instance $t
    (export "descriptor" (type $d (sub resource)))
    (type $ec (variant (case "access") (case "already") (case "bad-descriptor") (case "busy")
      (case "deadlock") (case "quota") (case "exist") (case "file-too-large")
      (case "illegal-byte-sequence") (case "in-progress") (case "interrupted") (case "invalid")
      (case "io") (case "is-directory") (case "loop") (case "too-many-links")
      (case "message-size") (case "name-too-long") (case "no-device") (case "no-entry")
      (case "no-lock") (case "insufficient-memory") (case "insufficient-space")
      (case "not-directory") (case "not-empty") (case "not-recoverable") (case "unsupported")
      (case "no-tty") (case "no-such-device") (case "overflow") (case "not-permitted")
      (case "pipe") (case "read-only") (case "invalid-seek") (case "text-file-busy")
      (case "cross-device") (case "other" (option string))))
    (export "error-code" (type $eci (eq $ec)))
    (type $pf (flags "symlink-follow"))
    (export "path-flags" (type (eq $pf)))
    (export "[method]descriptor.create-directory-at"
      (func async (param "self" (borrow $d)) (param "path" string) (result (result (error $eci)))))))
  (alias export $t "descriptor" (type $td))
  (import "wasi:filesystem/preopens@0.3.0" (instance $p
    (export "descriptor" (type $pd (eq $td)))
    (export "get-directories" (func (result (list (tuple (own $pd) string)))))))
  {LIBC}
  (core func $dirs (canon lower (func $p "get-directories") (memory $mem) (realloc $realloc)))
  (core func $mkdir (canon lower (func $t "[method]descriptor.create-directory-at")
    (memory $mem) (realloc $realloc)))
  (core module $M
    (import "" "dirs" (func $dirs (param i32)))
    (import "" "mkdir" (func $mkdir (param i32 i32 i32 i32)))
    (import "" "mem" (memory 1))
    (data (i32.const 100) "../x")
    (data (i32.const 110) "new")
    ;; [count, name of the first, mkdir ../x case, mkdir new disc, mkdir new again case]
    (func (export "get") (result i32)
      (local $h i32)
      (call $dirs (i32.const 16))
      (i32.store (i32.const 300) (i32.load (i32.const 20)))
      (local.set $h (i32.load (i32.load (i32.const 16))))
      (i32.store (i32.const 304) (i32.load offset=4 (i32.load (i32.const 16))))
      (i32.store (i32.const 308) (i32.load offset=8 (i32.load (i32.const 16))))
      (call $mkdir (local.get $h) (i32.const 100) (i32.const 4) (i32.const 200))
      (i32.store (i32.const 312) (i32.load8_u (i32.const 204)))
      (call $mkdir (local.get $h) (i32.const 110) (i32.const 3) (i32.const 200))
      (i32.store (i32.const 316) (i32.load8_u (i32.const 200)))
      (call $mkdir (local.get $h) (i32.const 110) (i32.const 3) (i32.const 200))
      (i32.store (i32.const 320) (i32.load8_u (i32.const 204)))
      (i32.const 300)))
  (core instance $m (instantiate $M (with "" (instance
    (export "dirs" (func $dirs)) (export "mkdir" (func $mkdir)) (export "mem" (memory $mem))))))
  (func (export "get") (result (tuple u32 string u32 u32 u32))
    (canon lift (core func $m "get") (memory $mem) (realloc $realloc))))"#
    );
    let v = get(&wat, ctx);
    let Value::Tuple(t) = v else { panic!("{v:?}") };
    assert_eq!(t[0], Value::U32(1));
    assert_eq!(t[1], Value::String("/".into()));
    // `..` above the preopen: not-permitted (case 30).
    assert_eq!(t[2], Value::U32(30));
    // The first mkdir succeeds (disc 0), the second: exist (case 6).
    assert_eq!(t[3], Value::U32(0));
    assert_eq!(t[4], Value::U32(6));
}

/// Regression: importing an instance type freshens its resources; a
/// defined type that holds one (`stream-error` holds `own<error>`) must
/// stay one type in the exports and in the functions that use it, or the
/// import is refused as "instance not valid to be used as import" (every
/// wasip3 component imports `wasi:io/streams` like this).
#[test]
fn an_exported_type_with_handles_keeps_its_identity_in_an_import() {
    let wat = r#"(component
  (import "wasi:io/streams@0.2.4" (instance
    (export "error" (type $e (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $e)) (case "closed")))
    (export "stream-error" (type $sei (eq $se)))
    (export "f" (func (result (result (error $sei))))))))"#;
    let f = Features::v3();
    let c = decode_component(&encode(wat), &f).expect("decodes");
    assert_eq!(
        validate_component(&c, &f).map_err(|e| e.to_string()),
        Ok(())
    );
    // The same function using the unexported variant is refused, as before.
    let bad = wat.replace("(error $sei)", "(error $se)");
    let c = decode_component(&encode(&bad), &f).expect("decodes");
    assert!(
        validate_component(&c, &f)
            .expect_err("an unexported type in an import")
            .to_string()
            .contains("instance not valid to be used as import")
    );
}

/// Regression: `insecure-seed` is one value per run (the wasip3 `random`
/// test calls it twice and compares).
#[test]
fn insecure_seed_is_the_same_on_every_call() {
    let wat = r#"(component
  (import "wasi:random/insecure-seed@0.3.0" (instance $i
    (export "get-insecure-seed" (func (result (tuple u64 u64))))))
  (core module $Libc (memory (export "mem") 1))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "mem" (core memory $mem))
  (core func $f (canon lower (func $i "get-insecure-seed") (memory $mem)))
  (core module $M
    (import "" "f" (func $f (param i32)))
    (import "" "mem" (memory 1))
    (func (export "get") (result i32)
      (call $f (i32.const 16))
      (call $f (i32.const 32))
      (i32.and
        (i64.eq (i64.load (i32.const 16)) (i64.load (i32.const 32)))
        (i64.eq (i64.load (i32.const 24)) (i64.load (i32.const 40))))))
  (core instance $m (instantiate $M (with "" (instance
    (export "f" (func $f)) (export "mem" (memory $mem))))))
  (func (export "get") (result bool) (canon lift (core func $m "get"))))"#;
    let ctx = WasiCtx::builder().random(RandomSource::Seeded(3)).build();
    assert_eq!(get(wat, ctx), Value::Bool(true));
}

/// Regression: a stream or future is one i32 handle, whatever its element
/// type, so lowering `func() -> future<result<_, string>>` needs no
/// `memory` (wasi:cli/stdout@0.3.0 `write-via-stream` is lowered so).
#[test]
fn lowering_a_future_of_a_string_needs_no_memory() {
    let wat = r#"(component
  (import "i" (instance $i
    (export "f" (func (result (future (result (error string))))))))
  (core func $f (canon lower (func $i "f"))))"#;
    let f = Features::v3();
    let c = decode_component(&encode(wat), &f).expect("decodes");
    assert_eq!(
        validate_component(&c, &f).map_err(|e| e.to_string()),
        Ok(())
    );
}

/// Regression: memfs `set_size` near u64::MAX wrapped its byte count and
/// panicked (capacity overflow) — reachable from `descriptor.set-size` and
/// preview1's `fd_filestat_set_size`.
#[test]
fn memfs_set_size_huge_fails_without_panic() {
    use reference_vm::wasi::fs::{OpenOptions, Opened};
    let fs = MemFs::new();
    let root = fs.root();
    let opts = OpenOptions {
        create: true,
        write: true,
        read: true,
        ..OpenOptions::default()
    };
    let Ok(Opened::File(mut f)) = root.open("f", &opts) else {
        panic!("opens")
    };
    f.write(b"abc", false).expect("writes");
    for size in [u64::MAX, u64::MAX - 2, 1 << 62] {
        assert!(f.set_size(size).is_err(), "{size}");
    }
    assert!(f.set_size(10).is_ok());
}

/// An empty path is `no-entry` and an absolute one `not-permitted` on both
/// backends (memfs took "" as the directory itself: `exist` for mkdir).
#[test]
fn empty_and_absolute_paths_are_refused_before_the_backend() {
    let fs = MemFs::new();
    let ctx = WasiCtx::builder().preopen(Box::new(fs.root()), "/").build();
    let wat = format!(
        r#"(component
  (import "wasi:filesystem/types@0.3.0" (instance $t
    (export "descriptor" (type $d (sub resource)))
    (type $ec (variant (case "access") (case "already") (case "bad-descriptor") (case "busy")
      (case "deadlock") (case "quota") (case "exist") (case "file-too-large")
      (case "illegal-byte-sequence") (case "in-progress") (case "interrupted") (case "invalid")
      (case "io") (case "is-directory") (case "loop") (case "too-many-links")
      (case "message-size") (case "name-too-long") (case "no-device") (case "no-entry")
      (case "no-lock") (case "insufficient-memory") (case "insufficient-space")
      (case "not-directory") (case "not-empty") (case "not-recoverable") (case "unsupported")
      (case "no-tty") (case "no-such-device") (case "overflow") (case "not-permitted")
      (case "pipe") (case "read-only") (case "invalid-seek") (case "text-file-busy")
      (case "cross-device") (case "other" (option string))))
    (export "error-code" (type $eci (eq $ec)))
    (export "[method]descriptor.create-directory-at"
      (func async (param "self" (borrow $d)) (param "path" string) (result (result (error $eci)))))))
  (alias export $t "descriptor" (type $td))
  (import "wasi:filesystem/preopens@0.3.0" (instance $p
    (export "descriptor" (type $pd (eq $td)))
    (export "get-directories" (func (result (list (tuple (own $pd) string)))))))
  {LIBC}
  (core func $dirs (canon lower (func $p "get-directories") (memory $mem) (realloc $realloc)))
  (core func $mkdir (canon lower (func $t "[method]descriptor.create-directory-at")
    (memory $mem) (realloc $realloc)))
  (core module $M
    (import "" "dirs" (func $dirs (param i32)))
    (import "" "mkdir" (func $mkdir (param i32 i32 i32 i32)))
    (import "" "mem" (memory 1))
    (data (i32.const 100) "/x")
    (func (export "get") (result i64)
      (local $h i32)
      (call $dirs (i32.const 16))
      (local.set $h (i32.load (i32.load (i32.const 16))))
      (call $mkdir (local.get $h) (i32.const 100) (i32.const 0) (i32.const 200))
      (call $mkdir (local.get $h) (i32.const 100) (i32.const 2) (i32.const 300))
      (i64.or (i64.load8_u (i32.const 204))
        (i64.shl (i64.load8_u (i32.const 304)) (i64.const 8)))))
  (core instance $m (instantiate $M (with "" (instance
    (export "dirs" (func $dirs)) (export "mkdir" (func $mkdir)) (export "mem" (memory $mem))))))
  (func (export "get") (result u64)
    (canon lift (core func $m "get"))))"#
    );
    // no-entry is case 19, not-permitted case 30.
    assert_eq!(get(&wat, ctx), Value::U64(19 | (30 << 8)));
}
