;; Scenario: test_threads (run_tests.py).
;; A sync-lifted, async-typed task () -> u8 drives cooperative threads of
;; its own:
;;   1. a new thread (start argument 13) is switched to with
;;      thread.yield-then-resume and runs to its end;
;;   2. a new thread given the main thread's index switches straight back to
;;      it with thread.yield-then-resume, after main's
;;      thread.suspend-then-resume (both report not cancelled, 0);
;;   3. a new thread made ready with thread.resume-later makes the suspended
;;      main thread ready again with thread.resume-later; main's
;;      thread.suspend reports 0;
;;   4. five threads each add 1 to a counter, yield, add 1 again; main yields
;;      until the counter is 10, and returns 42.
;; Beyond the Python test, main checks after each step that the thread it
;; switched to did run (globals $seen1..3).
;; Deviation: built-ins are used without `cancellable` (this text format has
;; none; nothing is cancelled here).
(component
  (core module $Table
    (table (export "table") 4 funcref))
  (core instance $table (instantiate $Table))
  (core module $Memory (memory (export "mem") 1))
  (core instance $memory (instantiate $Memory))
  (core module $M
    (import "" "mem" (memory 1))
    (import "" "table" (table 4 funcref))
    (import "" "thread.index" (func $index (result i32)))
    (import "" "thread.new-indirect" (func $new (param i32 i32) (result i32)))
    (import "" "thread.yield-then-resume" (func $yield-then-resume (param i32) (result i32)))
    (import "" "thread.suspend-then-resume" (func $suspend-then-resume (param i32) (result i32)))
    (import "" "thread.resume-later" (func $resume-later (param i32)))
    (import "" "thread.suspend" (func $suspend (result i32)))
    (import "" "thread.yield" (func $yield (result i32)))
    (global $seen1 (mut i32) (i32.const 0))
    (global $seen2 (mut i32) (i32.const 0))
    (global $seen3 (mut i32) (i32.const 0))
    (func $first (param $arg i32)
      (if (i32.ne (local.get $arg) (i32.const 13)) (then unreachable))
      (global.set $seen1 (local.get $arg)))
    (func $second (param $main i32)
      (global.set $seen2 (i32.const 1))
      (if (i32.ne (call $yield-then-resume (local.get $main)) (i32.const 0)) (then unreachable)))
    (func $third (param $main i32)
      (global.set $seen3 (i32.const 1))
      (call $resume-later (local.get $main)))
    (func $counter (param $ptr i32)
      (if (i32.ne (call $yield) (i32.const 0)) (then unreachable))
      (i32.store (local.get $ptr) (i32.add (i32.load (local.get $ptr)) (i32.const 1)))
      (if (i32.ne (call $yield) (i32.const 0)) (then unreachable))
      (i32.store (local.get $ptr) (i32.add (i32.load (local.get $ptr)) (i32.const 1))))
    (elem (table 0) (i32.const 0) func $first $second $third $counter)
    (func (export "run") (result i32)
      (local $main i32) (local $n i32)
      (local.set $main (call $index))
      ;; 1
      (if (i32.ne (call $yield-then-resume (call $new (i32.const 0) (i32.const 13))) (i32.const 0))
        (then unreachable))
      (if (i32.ne (global.get $seen1) (i32.const 13)) (then unreachable))
      ;; 2
      (if (i32.ne (call $suspend-then-resume (call $new (i32.const 1) (local.get $main))) (i32.const 0))
        (then unreachable))
      (if (i32.ne (global.get $seen2) (i32.const 1)) (then unreachable))
      ;; 3
      (call $resume-later (call $new (i32.const 2) (local.get $main)))
      (if (i32.ne (call $suspend) (i32.const 0)) (then unreachable))
      (if (i32.ne (global.get $seen3) (i32.const 1)) (then unreachable))
      ;; 4
      (i32.store (i32.const 4) (i32.const 0))
      (loop $spawn
        (call $resume-later (call $new (i32.const 3) (i32.const 4)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $spawn (i32.lt_u (local.get $n) (i32.const 5))))
      (block $done (loop $again
        (br_if $done (i32.eq (i32.load (i32.const 4)) (i32.const 10)))
        (drop (call $yield))
        (br $again)))
      (i32.const 42))
  )
  (core type $start-ty (func (param i32)))
  (alias core export $table "table" (core table $tbl))
  (core func $new (canon thread.new-indirect $start-ty (core table $tbl)))
  (canon thread.index (core func $index))
  (canon thread.yield-then-resume (core func $yield-then-resume))
  (canon thread.suspend-then-resume (core func $suspend-then-resume))
  (canon thread.resume-later (core func $resume-later))
  (canon thread.suspend (core func $suspend))
  (canon thread.yield (core func $yield))
  (core instance $m (instantiate $M (with "" (instance
    (export "mem" (memory $memory "mem"))
    (export "table" (table $tbl))
    (export "thread.index" (func $index))
    (export "thread.new-indirect" (func $new))
    (export "thread.yield-then-resume" (func $yield-then-resume))
    (export "thread.suspend-then-resume" (func $suspend-then-resume))
    (export "thread.resume-later" (func $resume-later))
    (export "thread.suspend" (func $suspend))
    (export "thread.yield" (func $yield))
  ))))
  (func (export "run") async (result u8)
    (canon lift (core func $m "run")))
)
(assert_return (invoke "run") (u8.const 42))
