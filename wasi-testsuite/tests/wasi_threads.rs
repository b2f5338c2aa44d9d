//! wasi-threads on the reference VM's WASI host: our own WAT programs, one
//! per behaviour of the upstream `proposals/wasi-threads` tests (spawn, exit
//! from the main or another thread while the rest wait, spin or sit in a WASI
//! call), plus traps, spawn failures, shared memories without threads and the
//! stop request. No timing is asserted: every run has a generous hang guard
//! that fails loudly.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use reference_vm::wasi::{OutputSink, RunError, RunResult, StdinSource, WasiCtx, run_command};
use reference_vm::{Config, Features};

/// Longest a run may take before the test calls it a hang.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The imports and exports every program starts with: thread-spawn, some
/// WASI functions, the shared memory `env.memory` (exported as `memory`).
const PRELUDE: &str = r#"
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (export "memory" (memory 0))

  ;; Memory map: 0 counter, 4 threads done, 8 never-changing wait word,
  ;; 12 "started" flag, 16.. tids seen by threads, 64.. tids returned to main,
  ;; 512 clock subscription, 1024 poll events, 1100 event count,
  ;; 600 iovec, 620 nread, 700 read buffer.

  ;; Sleeps one hour (monotonic clock) in poll_oneoff.
  (func $sleep_long
    (i64.store (i32.const 512) (i64.const 42))          ;; userdata
    (i32.store8 (i32.const 520) (i32.const 0))          ;; tag: clock
    (i32.store (i32.const 528) (i32.const 1))           ;; monotonic
    (i64.store (i32.const 536) (i64.const 3600000000000))
    (i64.store (i32.const 544) (i64.const 0))
    (i32.store16 (i32.const 552) (i32.const 0))         ;; relative
    (drop (call $poll (i32.const 512) (i32.const 1024) (i32.const 1) (i32.const 1100))))

  ;; Reads stdin over and over.
  (func $read_forever
    (i32.store (i32.const 600) (i32.const 700))
    (i32.store (i32.const 604) (i32.const 16))
    (loop $l
      (drop (call $fd_read (i32.const 0) (i32.const 600) (i32.const 1) (i32.const 620)))
      (br $l)))

  ;; Waits forever on a word nobody changes.
  (func $block
    (drop (memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const -1))))

  (func $spin (loop $l (br $l)))

  ;; Marks "started" and wakes the main thread.
  (func $started
    (i32.atomic.store (i32.const 12) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 12) (i32.const -1))))

  ;; Waits until some thread called $started.
  (func $wait_started
    (loop $l
      (if (i32.eqz (i32.atomic.load (i32.const 12)))
        (then
          (drop (memory.atomic.wait32 (i32.const 12) (i32.const 0) (i64.const -1)))
          (br $l)))))

  ;; Spawns one thread with argument 0; exits 1 when that fails.
  (func $spawn_one
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0))
      (then (call $exit (i32.const 1)))))
"#;

fn module(body: &str) -> Vec<u8> {
    wat::parse_str(format!("(module {PRELUDE} {body})")).expect("test program assembles")
}

fn config() -> Config {
    Config {
        features: Features::latest(),
        ..Config::default()
    }
}

/// Runs `wasm` (stdin: empty bytes) on another thread; panics when it does
/// not return within [`HANG_GUARD`]. Returns the result and the stdout.
fn run(wasm: Vec<u8>) -> (Result<RunResult, RunError>, Vec<u8>) {
    let (out, out_h) = OutputSink::capture(1 << 20);
    let ctx = WasiCtx::builder()
        .stdin(StdinSource::Bytes(vec![]))
        .stdout(out)
        .build();
    let r = run_guarded(move || run_command(&wasm, ctx, config()));
    let stdout = out_h.lock().unwrap().bytes.clone();
    (r, stdout)
}

fn run_guarded<F>(f: F) -> Result<RunResult, RunError>
where
    F: FnOnce() -> Result<RunResult, RunError> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG_GUARD)
        .expect("run_command hung (hang guard expired)")
}

fn exit_code(wasm: Vec<u8>) -> i32 {
    match run(wasm).0 {
        Ok(r) => r.exit_code,
        Err(e) => panic!("expected an exit code, got {e}"),
    }
}

const THREADS: i32 = 8;
const ADDS: i32 = 2000;

/// N threads add to a counter and say hello through fd_write (WASI on the
/// shared memory); main waits with memory.atomic.wait32 until all are done.
#[test]
fn spawn() {
    let body = format!(
        r#"
  (data (i32.const 300) "hi\n")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $i i32)
    (i32.store (i32.add (i32.const 16) (i32.shl (local.get $arg) (i32.const 2))) (local.get $tid))
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {ADDS}))))
    ;; iovec per thread at 200 + 8 * arg
    (i32.store (i32.add (i32.const 200) (i32.shl (local.get $arg) (i32.const 3))) (i32.const 300))
    (i32.store (i32.add (i32.const 204) (i32.shl (local.get $arg) (i32.const 3))) (i32.const 3))
    (drop (call $fd_write (i32.const 1)
      (i32.add (i32.const 200) (i32.shl (local.get $arg) (i32.const 3))) (i32.const 1)
      (i32.add (i32.const 400) (i32.shl (local.get $arg) (i32.const 2)))))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const -1))))
  (func (export "_start")
    (local $i i32) (local $tid i32) (local $done i32) (local $j i32)
    (loop $l
      (local.set $tid (call $spawn (local.get $i)))
      (if (i32.le_s (local.get $tid) (i32.const 0)) (then (call $exit (i32.const 1))))
      (i32.store (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2))) (local.get $tid))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {THREADS}))))
    (loop $w
      (local.set $done (i32.atomic.load (i32.const 4)))
      (if (i32.lt_u (local.get $done) (i32.const {THREADS}))
        (then
          (drop (memory.atomic.wait32 (i32.const 4) (local.get $done) (i64.const -1)))
          (br $w))))
    (if (i32.ne (i32.atomic.load (i32.const 0)) (i32.const {total}))
      (then (call $exit (i32.const 2))))
    ;; each thread saw the tid main got; tids are distinct
    (local.set $i (i32.const 0))
    (loop $c
      (if (i32.ne (i32.load (i32.add (i32.const 16) (i32.shl (local.get $i) (i32.const 2))))
                  (i32.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2)))))
        (then (call $exit (i32.const 3))))
      (local.set $j (i32.add (local.get $i) (i32.const 1)))
      (block $inner_done
        (loop $inner
          (br_if $inner_done (i32.ge_u (local.get $j) (i32.const {THREADS})))
          (if (i32.eq (i32.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2))))
                      (i32.load (i32.add (i32.const 64) (i32.shl (local.get $j) (i32.const 2)))))
            (then (call $exit (i32.const 4))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $c (i32.lt_u (local.get $i) (i32.const {THREADS}))))
    (call $exit (i32.const 22)))
"#,
        total = THREADS * ADDS
    );
    let (r, stdout) = run(module(&body));
    assert_eq!(r, Ok(RunResult { exit_code: 22 }));
    assert_eq!(stdout, b"hi\n".repeat(THREADS as usize));
}

/// A thread that calls $started and then does `what` forever.
fn nonmain_doing(what: &str) -> String {
    format!(
        r#"(func (export "wasi_thread_start") (param i32 i32)
             (call $started)
             (call {what}))"#
    )
}

/// Main spawns a thread that does `what` forever, waits until it started,
/// then ends with `end`.
fn exit_main(what: &str, end: &str) -> Vec<u8> {
    module(&format!(
        r#"{}
  (func (export "_start")
    (call $spawn_one)
    (call $wait_started)
    {end})"#,
        nonmain_doing(what)
    ))
}

#[test]
fn exit_main_block() {
    assert_eq!(
        exit_code(exit_main("$block", "(call $exit (i32.const 99))")),
        99
    );
}

#[test]
fn exit_main_busy() {
    assert_eq!(
        exit_code(exit_main("$spin", "(call $exit (i32.const 99))")),
        99
    );
}

#[test]
fn exit_main_wasi() {
    assert_eq!(
        exit_code(exit_main("$sleep_long", "(call $exit (i32.const 99))")),
        99
    );
}

#[test]
fn exit_main_wasi_read() {
    assert_eq!(
        exit_code(exit_main("$read_forever", "(call $exit (i32.const 99))")),
        99
    );
}

/// Returning from `_start` ends the program with 0, whatever the other
/// threads do.
#[test]
fn return_from_main_ends_all_threads() {
    for what in ["$block", "$spin", "$sleep_long", "$read_forever"] {
        assert_eq!(exit_code(exit_main(what, "")), 0, "thread doing {what}");
    }
}

/// Main does `what` forever; a thread exits with 99.
fn exit_nonmain(what: &str) -> Vec<u8> {
    module(&format!(
        r#"
  (func (export "wasi_thread_start") (param i32 i32)
    (call $wait_started)
    (call $exit (i32.const 99)))
  (func (export "_start")
    (call $spawn_one)
    (call $started)
    (call {what})
    (call $exit (i32.const 5)))"#
    ))
}

#[test]
fn exit_nonmain_block() {
    assert_eq!(exit_code(exit_nonmain("$block")), 99);
}

#[test]
fn exit_nonmain_busy() {
    assert_eq!(exit_code(exit_nonmain("$spin")), 99);
}

#[test]
fn exit_nonmain_wasi() {
    assert_eq!(exit_code(exit_nonmain("$sleep_long")), 99);
}

#[test]
fn exit_nonmain_wasi_read() {
    assert_eq!(exit_code(exit_nonmain("$read_forever")), 99);
}

/// Several threads blocked in different ways, one of them exits.
#[test]
fn exit_nonmain_with_many_blocked_threads() {
    let wasm = module(
        r#"
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (if (i32.eq (local.get $arg) (i32.const 0)) (then (call $block)))
    (if (i32.eq (local.get $arg) (i32.const 1)) (then (call $spin)))
    (if (i32.eq (local.get $arg) (i32.const 2)) (then (call $sleep_long)))
    (if (i32.eq (local.get $arg) (i32.const 3)) (then (call $read_forever)))
    (call $exit (i32.const 77)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (call $spawn (i32.const 1)))
    (drop (call $spawn (i32.const 2)))
    (drop (call $spawn (i32.const 3)))
    (drop (call $spawn (i32.const 4)))
    (call $block))"#,
    );
    assert_eq!(exit_code(wasm), 77);
}

/// A trap in a thread ends every thread; run_command reports the trap (the
/// CLI and the testsuite runner turn it into exit code 134).
#[test]
fn trap_nonmain_ends_all() {
    for what in ["$block", "$spin", "$sleep_long"] {
        let wasm = module(&format!(
            r#"
  (func (export "wasi_thread_start") (param i32 i32)
    (call $wait_started)
    (unreachable))
  (func (export "_start")
    (call $spawn_one)
    (call $started)
    (call {what})
    (call $exit (i32.const 5)))"#
        ));
        match run(wasm).0 {
            Err(RunError::Trap { message, .. }) => {
                assert!(message.contains("unreachable"), "{message}")
            }
            other => panic!("main doing {what}: expected a trap, got {other:?}"),
        }
    }
}

/// thread-spawn fails (a negative result) when the module has no
/// `wasi_thread_start`.
#[test]
fn spawn_without_thread_start_fails() {
    let wasm = module(
        r#"
  (func (export "_start")
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0))
      (then (call $exit (i32.const 0))))
    (call $exit (i32.const 1)))"#,
    );
    assert_eq!(exit_code(wasm), 0);
}

/// thread-spawn fails when the memory is the module's own (not imported):
/// a new instance could not share it.
#[test]
fn spawn_with_own_memory_fails() {
    let wasm = wat::parse_str(
        r#"(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1 shared)
  (func (export "wasi_thread_start") (param i32 i32))
  (func (export "_start")
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0))
      (then (call $exit (i32.const 0))))
    (call $exit (i32.const 1))))"#,
    )
    .unwrap();
    assert_eq!(exit_code(wasm), 0);
}

/// A thread's `proc_exit` in the middle of other threads spawning: the run
/// ends, and later spawns fail instead of starting threads nobody joins.
#[test]
fn spawn_storm_then_exit() {
    let wasm = module(
        r#"
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (if (i32.ge_u (local.get $tid) (i32.const 20)) (then (call $exit (i32.const 33))))
    (drop (call $spawn (i32.const 0)))
    (call $block))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (call $block))"#,
    );
    assert_eq!(exit_code(wasm), 33);
}

/// The WASI functions work on a shared memory that the module defines and
/// exports, without any threads.
#[test]
fn wasi_on_exported_shared_memory() {
    let wasm = wat::parse_str(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1 shared)
  (data (i32.const 100) "shared hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 13))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $exit (i32.const 1))))
    (if (i32.ne (i32.load (i32.const 8)) (i32.const 13)) (then (call $exit (i32.const 2))))
    (drop (call $sizes (i32.const 16) (i32.const 20)))
    (if (i32.ne (i32.load (i32.const 16)) (i32.const 2)) (then (call $exit (i32.const 3))))
    (drop (call $args (i32.const 200) (i32.const 300)))
    ;; argv[1] is "xy"
    (if (i32.ne (i32.load16_u (i32.load (i32.const 204))) (i32.const 0x7978))
      (then (call $exit (i32.const 4))))))"#,
    )
    .unwrap();
    let (out, out_h) = OutputSink::capture(1 << 10);
    let ctx = WasiCtx::builder().arg("prog").arg("xy").stdout(out).build();
    let r = run_guarded(move || run_command(&wasm, ctx, config()));
    assert_eq!(r, Ok(RunResult { exit_code: 0 }));
    assert_eq!(out_h.lock().unwrap().bytes, b"shared hello\n");
}

/// The stop request ends a single-threaded spin, a wait and a sleep:
/// `run_command` returns `Interrupted`.
#[test]
fn stop_request_interrupts_a_run() {
    for body in [
        "(loop $l (br $l))",
        "(drop (memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const -1)))",
        "(call $sleep_long)",
    ] {
        let wasm = module(&format!(
            r#"(func (export "wasi_thread_start") (param i32 i32))
               (func (export "_start") {body})"#
        ));
        let ctx = WasiCtx::builder().build();
        let stop = ctx.interrupt_handle();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(run_command(&wasm, ctx, config()));
        });
        // Whether the flag is set before or during the run, it stops.
        std::thread::sleep(Duration::from_millis(20));
        stop.store(true, Ordering::SeqCst);
        let r = rx
            .recv_timeout(HANG_GUARD)
            .expect("interrupt ignored (hang)");
        assert_eq!(r, Err(RunError::Interrupted), "{body}");
    }
}

/// The runner: a test spec without its module is reported as a missing
/// test module (skipped, neither a pass nor a crash); a wasi-threads
/// program runs in process, and one that never ends is a timeout, stopped
/// through the stop request (its blocked thread too).
#[test]
fn runner_missing_modules_threads_and_timeouts() {
    use wasi_testsuite::refvm::RefVm;
    use wasi_testsuite::{Options, Outcome, run_suites};

    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("threads-suite");
    std::fs::create_dir(&suite).unwrap();
    std::fs::write(suite.join("manifest.json"), r#"{"name": "threads"}"#).unwrap();
    std::fs::write(suite.join("only_spec.json"), r#"{"exit_code": 99}"#).unwrap();
    std::fs::write(
        suite.join("exits.wasm"),
        exit_main("$block", "(call $exit (i32.const 99))"),
    )
    .unwrap();
    std::fs::write(suite.join("exits.json"), r#"{"exit_code": 99}"#).unwrap();
    std::fs::write(
        suite.join("hangs.wasm"),
        exit_main("$block", "(call $spin)"),
    )
    .unwrap();
    let opts = Options {
        testsuites: vec![suite],
        timeout: Duration::from_secs(1),
        jobs: 1,
        ..Options::default()
    };
    let report = run_suites(&RefVm { memfs: true }, &opts).unwrap();
    let got: Vec<(String, Outcome)> = report
        .results
        .iter()
        .map(|r| (r.id.rsplit('/').next().unwrap().to_string(), r.outcome))
        .collect();
    assert_eq!(
        got,
        vec![
            ("exits".to_string(), Outcome::Pass),
            ("hangs".to_string(), Outcome::Timeout),
            ("only_spec".to_string(), Outcome::Skip),
        ],
        "{:#?}",
        report.results
    );
    let missing = &report.results[2];
    assert!(
        missing.message.contains("missing test module"),
        "{}",
        missing.message
    );
}

/// With a stdin that stays open (as the WASI testsuite gives every test),
/// the main thread's read waits without holding the WASI context: another
/// thread still makes WASI calls (here a write, then `proc_exit`) and ends
/// the program. A read that waited under the context's lock would hang
/// this program (the hang guard fails it).
#[test]
fn open_stdin_read_lets_other_threads_call_wasi() {
    let body = r#"
  (data (i32.const 300) "x")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call $wait_started)
    (i32.store (i32.const 200) (i32.const 300))
    (i32.store (i32.const 204) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208)))
    (call $exit (i32.const 99)))
  (func (export "_start")
    (call $spawn_one)
    (call $started)
    (i32.store (i32.const 600) (i32.const 700))
    (i32.store (i32.const 604) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 600) (i32.const 1) (i32.const 620)))
    ;; The read never returns: stdin stays open with nothing in it.
    (call $exit (i32.const 1)))
"#;
    let wasm = module(body);
    let (out, out_h) = OutputSink::capture(1 << 20);
    let ctx = WasiCtx::builder()
        .stdin(StdinSource::Open(vec![]))
        .stdout(out)
        .build();
    let r = run_guarded(move || run_command(&wasm, ctx, config()));
    assert_eq!(r.expect("exits").exit_code, 99);
    assert_eq!(out_h.lock().unwrap().bytes, b"x");
}
