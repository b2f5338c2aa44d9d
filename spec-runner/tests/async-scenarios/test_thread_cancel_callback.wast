;; Scenario: test_thread_cancel_callback (run_tests.py).
;; Two callback-lifted producers () -> u32 in one instance:
;;   p1 returns YIELD at once; its callback expects the NONE event (0, 0, 0)
;;      and returns 42;
;;   p2 calls thread.yield inside its first core call, so it holds the
;;      instance exclusively while it is suspended; it then returns 43.
;; The consumer starts both (both STARTED) and asks to cancel p1: p1 cannot
;; be entered while p2 holds the instance, so the cancel is left pending
;; (BLOCKED). p1 is then resumed from its yield normally: its callback gets
;; NONE, not TASK_CANCELLED, and p1 returns 42 (RETURNED). p2 returns 43.
;; Deviation: thread.yield is used without `cancellable` (this text format
;; has none; the Python test passes False too). The consumer returns
;; 1000 * p1's result + p2's result.
;; Constants: STARTED=1 RETURNED=2; events NONE=0 SUBTASK=1; BLOCKED=-1.
(component
  (component $Producer
    (core module $M
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "task.return" (func $return (param i32)))
      (func (export "p1") (result i32) (i32.const 1 (; YIELD ;)))
      (func (export "p1-cb") (param $event i32) (param $p1 i32) (param $p2 i32) (result i32)
        (if (i32.ne (local.get $event) (i32.const 0 (; NONE ;))) (then unreachable))
        (if (i32.ne (local.get $p1) (i32.const 0)) (then unreachable))
        (if (i32.ne (local.get $p2) (i32.const 0)) (then unreachable))
        (call $return (i32.const 42))
        (i32.const 0 (; EXIT ;)))
      (func (export "p2") (result i32)
        (if (i32.ne (call $yield) (i32.const 0)) (then unreachable))
        (call $return (i32.const 43))
        (i32.const 0 (; EXIT ;)))
      (func (export "p2-cb") (param i32 i32 i32) (result i32) unreachable)
    )
    (canon thread.yield (core func $yield))
    (canon task.return (result u32) (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "thread.yield" (func $yield))
      (export "task.return" (func $return))
    ))))
    (func (export "p1") async (result u32)
      (canon lift (core func $m "p1") async (callback (core func $m "p1-cb"))))
    (func (export "p2") async (result u32)
      (canon lift (core func $m "p2") async (callback (core func $m "p2-cb"))))
  )

  (component $Consumer
    (import "p1" (func $p1 async (result u32)))
    (import "p2" (func $p2 async (result u32)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "subtask.cancel" (func $cancel (param i32) (result i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "p1" (func $p1 (param i32) (result i32)))
      (import "" "p2" (func $p2 (param i32) (result i32)))
      (func $expect-returned (param $ws i32) (param $sub i32)
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 16)) (i32.const 1 (; SUBTASK ;)))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 16)) (local.get $sub)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 20)) (i32.const 2 (; RETURNED ;))) (then unreachable)))
      (func (export "run") (result i32)
        (local $ret i32) (local $sub1 i32) (local $sub2 i32) (local $ws i32)
        (local.set $ret (call $p1 (i32.const 8)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1 (; STARTED ;))) (then unreachable))
        (local.set $sub1 (i32.shr_u (local.get $ret) (i32.const 4)))
        (local.set $ret (call $p2 (i32.const 12)))
        (if (i32.ne (i32.and (local.get $ret) (i32.const 0xf)) (i32.const 1 (; STARTED ;))) (then unreachable))
        (local.set $sub2 (i32.shr_u (local.get $ret) (i32.const 4)))
        (if (i32.ne (call $cancel (local.get $sub1)) (i32.const -1 (; BLOCKED ;))) (then unreachable))
        (local.set $ws (call $ws.new))
        (call $join (local.get $sub1) (local.get $ws))
        (call $expect-returned (local.get $ws) (local.get $sub1))
        (call $join (local.get $sub2) (local.get $ws))
        (call $expect-returned (local.get $ws) (local.get $sub2))
        (i32.add (i32.mul (i32.load (i32.const 8)) (i32.const 1000)) (i32.load (i32.const 12))))
    )
    (canon subtask.cancel async (core func $cancel))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable.join (core func $join))
    (canon lower (func $p1) async (memory (core memory $memory "mem")) (core func $p1'))
    (canon lower (func $p2) async (memory (core memory $memory "mem")) (core func $p2'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "subtask.cancel" (func $cancel))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable.join" (func $join))
      (export "p1" (func $p1'))
      (export "p2" (func $p2'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
  )

  (instance $producer (instantiate $Producer))
  (instance $consumer (instantiate $Consumer
    (with "p1" (func $producer "p1"))
    (with "p2" (func $producer "p2"))))
  (func (export "run") (alias export $consumer "run"))
)
(assert_return (invoke "run") (u32.const 42043))
