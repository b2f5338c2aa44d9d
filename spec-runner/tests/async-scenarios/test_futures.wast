;; Scenario: test_futures (run_tests.py).
;; An async function (future<u8>) -> future<u8> resolves at once with a new
;; future, then reads 42 from the future it was given and writes 43 to the one
;; it returned. The caller (sync-lifted, async-typed):
;;   1. passes a future, gets RETURNED and a future back, starts an async
;;      read of it (BLOCKED), writes 42 (COMPLETED), and waits: FUTURE_READ
;;      on that handle, COMPLETED, 43 read;
;;   2. does the same, but instead of waiting lets the callee finish writing
;;      and then cancels the read: the cancel reports COMPLETED and 43 is
;;      there;
;;   3. (export "drop-unwritten") drops a future's writable end before
;;      writing it: a trap.
;; Deviation: the Python test's host function is a guest component ($Callee,
;; async stackful lift). In step 2 the Python test yields until the read's
;; event is pending, which a guest cannot see; here the callee raises a flag
;; in a third component ($Flags) once its write has completed, and the
;; caller yields until it sees it.
;; Constants: copy COMPLETED=0; event FUTURE_READ=4; RETURNED=2; BLOCKED=-1.
(component
  (component $Flags
    (core module $M
      (memory 1)
      (func (export "set") (param $i i32)
        (i32.store (i32.shl (i32.and (local.get $i) (i32.const 0xff)) (i32.const 2)) (i32.const 1)))
      (func (export "get") (param $i i32) (result i32)
        (i32.load (i32.shl (i32.and (local.get $i) (i32.const 0xff)) (i32.const 2))))
    )
    (core instance $m (instantiate $M))
    (func (export "set") (param "i" u32) (canon lift (core func $m "set")))
    (func (export "get") (param "i" u32) (result u32) (canon lift (core func $m "get")))
  )

  (component $Callee
    (type $FT (future u8))
    (import "set" (func $set (param "i" u32)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "set" (func $set (param i32)))
      (import "" "future.new" (func $future.new (result i64)))
      (import "" "future.read" (func $read (param i32 i32) (result i32)))
      (import "" "future.write" (func $write (param i32 i32) (result i32)))
      (import "" "future.drop-readable" (func $drop-readable (param i32)))
      (import "" "future.drop-writable" (func $drop-writable (param i32)))
      (import "" "task.return" (func $return (param i32)))
      (global $calls (mut i32) (i32.const 0))
      (func (export "f") (param $in i32)
        (local $ends i64) (local $w i32)
        (local.set $ends (call $future.new))
        (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
        (call $return (i32.wrap_i64 (local.get $ends)))
        (if (i32.ne (call $read (local.get $in) (i32.const 0)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (if (i32.ne (i32.load8_u (i32.const 0)) (i32.const 42)) (then unreachable))
        (i32.store8 (i32.const 4) (i32.const 43))
        (if (i32.ne (call $write (local.get $w) (i32.const 4)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (call $drop-readable (local.get $in))
        (call $drop-writable (local.get $w))
        ;; flag k: the k-th call has written its value
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (call $set (global.get $calls)))
    )
    (canon lower (func $set) (core func $set'))
    (canon future.new $FT (core func $future.new))
    (canon future.read $FT (memory (core memory $memory "mem")) (core func $read))
    (canon future.write $FT (memory (core memory $memory "mem")) (core func $write))
    (canon future.drop-readable $FT (core func $drop-readable))
    (canon future.drop-writable $FT (core func $drop-writable))
    (canon task.return (result $FT) (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "set" (func $set'))
      (export "future.new" (func $future.new))
      (export "future.read" (func $read))
      (export "future.write" (func $write))
      (export "future.drop-readable" (func $drop-readable))
      (export "future.drop-writable" (func $drop-writable))
      (export "task.return" (func $return))
    ))))
    (func (export "f") async (param "in" $FT) (result $FT) (canon lift (core func $m "f") async))
  )

  (component $Caller
    (type $FT (future u8))
    (import "get" (func $get (param "i" u32) (result u32)))
    (import "f" (func $f async (param "in" $FT) (result $FT)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "future.new" (func $future.new (result i64)))
      (import "" "future.read" (func $read (param i32 i32) (result i32)))
      (import "" "future.write" (func $write (param i32 i32) (result i32)))
      (import "" "future.cancel-read" (func $cancel-read (param i32) (result i32)))
      (import "" "future.drop-readable" (func $drop-readable (param i32)))
      (import "" "future.drop-writable" (func $drop-writable (param i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable-set.drop" (func $ws.drop (param i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "f" (func $f (param i32 i32) (result i32)))
      ;; calls f with a new future; starts reading the future f returns into
      ;; address 0, writes 42 to the one passed; returns (rf << 16) | wf
      (func $start (result i32)
        (local $ends i64) (local $rf i32) (local $wf i32)
        (local.set $ends (call $future.new))
        (local.set $wf (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
        (if (i32.ne (call $f (i32.wrap_i64 (local.get $ends)) (i32.const 16)) (i32.const 2 (; RETURNED ;)))
          (then unreachable))
        (local.set $rf (i32.load (i32.const 16)))
        (i32.store8 (i32.const 0) (i32.const 0))
        (if (i32.ne (call $read (local.get $rf) (i32.const 0)) (i32.const -1 (; BLOCKED ;)))
          (then unreachable))
        (i32.store8 (i32.const 8) (i32.const 42))
        (if (i32.ne (call $write (local.get $wf) (i32.const 8)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (i32.or (i32.shl (local.get $rf) (i32.const 16)) (local.get $wf)))
      (func (export "run") (result i32)
        (local $ends i32) (local $rf i32) (local $ws i32) (local $first i32)
        ;; 1: wait for the read
        (local.set $ends (call $start))
        (local.set $rf (i32.shr_u (local.get $ends) (i32.const 16)))
        (local.set $ws (call $ws.new))
        (call $join (local.get $rf) (local.get $ws))
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 16)) (i32.const 4 (; FUTURE_READ ;)))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 16)) (local.get $rf)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 20)) (i32.const 0 (; COMPLETED ;))) (then unreachable))
        (local.set $first (i32.load8_u (i32.const 0)))
        (call $drop-writable (i32.and (local.get $ends) (i32.const 0xffff)))
        (call $drop-readable (local.get $rf))
        (call $ws.drop (local.get $ws))
        ;; 2: let the callee write, then cancel the read
        (local.set $ends (call $start))
        (local.set $rf (i32.shr_u (local.get $ends) (i32.const 16)))
        (block $written (loop $again
          (br_if $written (call $get (i32.const 2)))
          (drop (call $yield))
          (br $again)))
        (if (i32.ne (call $cancel-read (local.get $rf)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (call $drop-writable (i32.and (local.get $ends) (i32.const 0xffff)))
        (call $drop-readable (local.get $rf))
        ;; both values read, as (first << 8) | second
        (i32.or (i32.shl (local.get $first) (i32.const 8)) (i32.load8_u (i32.const 0))))
      (func (export "drop-unwritten")
        (call $drop-writable (i32.wrap_i64 (i64.shr_u (call $future.new) (i64.const 32)))))
    )
    (canon lower (func $get) (core func $get'))
    (canon future.new $FT (core func $future.new))
    (canon future.read $FT async (memory (core memory $memory "mem")) (core func $read))
    (canon future.write $FT async (memory (core memory $memory "mem")) (core func $write))
    (canon future.cancel-read $FT (core func $cancel-read))
    (canon future.drop-readable $FT (core func $drop-readable))
    (canon future.drop-writable $FT (core func $drop-writable))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable-set.drop (core func $ws.drop))
    (canon waitable.join (core func $join))
    (canon thread.yield (core func $yield))
    (canon lower (func $f) async (memory (core memory $memory "mem")) (core func $f'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "get" (func $get'))
      (export "future.new" (func $future.new))
      (export "future.read" (func $read))
      (export "future.write" (func $write))
      (export "future.cancel-read" (func $cancel-read))
      (export "future.drop-readable" (func $drop-readable))
      (export "future.drop-writable" (func $drop-writable))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable-set.drop" (func $ws.drop))
      (export "waitable.join" (func $join))
      (export "thread.yield" (func $yield))
      (export "f" (func $f'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
    (func (export "drop-unwritten") async (canon lift (core func $m "drop-unwritten")))
  )

  (instance $flags (instantiate $Flags))
  (instance $callee (instantiate $Callee (with "set" (func $flags "set"))))
  (instance $caller (instantiate $Caller
    (with "get" (func $flags "get"))
    (with "f" (func $callee "f"))))
  (func (export "run") (alias export $caller "run"))
  (func (export "drop-unwritten") (alias export $caller "drop-unwritten"))
)
;; 43 read in both steps
(assert_return (invoke "run") (u32.const 0x2b2b))
(assert_trap (invoke "drop-unwritten") "cannot drop future write end without first writing a value")
