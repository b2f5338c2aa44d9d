;; Scenario: test_sync_ignores_backpressure (run_tests.py).
;; The callee instance is held exclusively by a sync-lifted, async-typed
;; call (u32 i, future f) -> u32 that blocks in a synchronous read of f.
;; A call of a sync-typed function (u32) -> u32 of the same instance still
;; runs to completion at once: sync-typed calls never wait for backpressure
;; or the exclusive lock. Once the caller writes f the first call returns
;; 42+1.
;; Deviation: the Python test lowers the sync-typed callee with the `async`
;; option and checks RETURNED; `canon lower ... async` of a sync function
;; type is invalid, so this script lowers it synchronously and checks the
;; value it returns (86).
;; Constants: STARTED=1 RETURNED=2; event SUBTASK=1; copy COMPLETED=0.
(component
  (component $Callee
    (type $FT (future))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "future.read" (func $read (param i32 i32) (result i32)))
      (func (export "async-callee") (param $i i32) (param $f i32) (result i32)
        (if (i32.ne (call $read (local.get $f) (i32.const 0xdeadbeef)) (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (i32.add (i32.const 42) (local.get $i)))
      (func (export "sync-callee") (param $i i32) (result i32)
        (i32.add (i32.const 84) (local.get $i)))
    )
    (canon future.read $FT (memory (core memory $memory "mem")) (core func $read))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "future.read" (func $read))
    ))))
    (func (export "async-callee") async (param "i" u32) (param "f" $FT) (result u32)
      (canon lift (core func $m "async-callee")))
    (func (export "sync-callee") (param "i" u32) (result u32)
      (canon lift (core func $m "sync-callee")))
  )

  (component $Caller
    (type $FT (future))
    (import "async-callee" (func $async-callee async (param "i" u32) (param "f" $FT) (result u32)))
    (import "sync-callee" (func $sync-callee (param "i" u32) (result u32)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "future.new" (func $future.new (result i64)))
      (import "" "future.write" (func $future.write (param i32 i32) (result i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask.drop (param i32)))
      (import "" "async-callee" (func $async-callee (param i32 i32 i32) (result i32)))
      (import "" "sync-callee" (func $sync-callee (param i32) (result i32)))
      (func (export "run") (result i32)
        (local $ends i64) (local $ret i32) (local $sub i32) (local $ws i32) (local $sync i32)
        (local.set $ends (call $future.new))
        (local.set $ret (call $async-callee (i32.const 1) (i32.wrap_i64 (local.get $ends)) (i32.const 4)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1 (; STARTED ;))) (then unreachable))
        (local.set $sub (i32.shr_u (local.get $ret) (i32.const 4)))
        ;; the sync-typed call is not held back
        (local.set $sync (call $sync-callee (i32.const 2)))
        (if (i32.ne (local.get $sync) (i32.const 86)) (then unreachable))
        (if (i32.ne
              (call $future.write (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))) (i32.const 0xdeadbeef))
              (i32.const 0 (; COMPLETED ;)))
          (then unreachable))
        (local.set $ws (call $ws.new))
        (call $join (local.get $sub) (local.get $ws))
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 12)) (i32.const 1 (; SUBTASK ;))) (then unreachable))
        (if (i32.ne (i32.load (i32.const 12)) (local.get $sub)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 16)) (i32.const 2 (; RETURNED ;))) (then unreachable))
        (call $subtask.drop (local.get $sub))
        ;; 1000 * async result + sync result
        (i32.add (i32.mul (i32.load (i32.const 4)) (i32.const 1000)) (local.get $sync)))
    )
    (canon future.new $FT (core func $future.new))
    (canon future.write $FT (memory (core memory $memory "mem")) (core func $future.write))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask.drop))
    (canon lower (func $async-callee) async (memory (core memory $memory "mem")) (core func $async-callee'))
    (canon lower (func $sync-callee) (core func $sync-callee'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "future.new" (func $future.new))
      (export "future.write" (func $future.write))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask.drop))
      (export "async-callee" (func $async-callee'))
      (export "sync-callee" (func $sync-callee'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
  )

  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller
    (with "async-callee" (func $callee "async-callee"))
    (with "sync-callee" (func $callee "sync-callee"))))
  (func (export "run") (alias export $caller "run"))
)
(assert_return (invoke "run") (u32.const 43086))
