;; Scenario: test_async_to_async (run_tests.py).
;; An async stackful consumer calls three async stackful producers in one
;; component instance:
;;   eager    returns 43 before it could block: the call reports RETURNED and
;;            no subtask handle;
;;   toggle   raises backpressure, resolves once flag 1 is set, and lowers
;;            backpressure again once flag 2 is set;
;;   blocking (83) cannot start while toggle holds backpressure (STARTING),
;;            then resolves with 44 once flag 3 is set and raises flag 5 once
;;            flag 4 is set.
;; Deviation: the Python test's host-side flags (set by the consumer, awaited
;; by the producers) are a third component, $Flags, with sync `set`/`get`;
;; waiting for a flag is a loop of `get` and `thread.yield`.
;; Constants: subtask states STARTING=0 STARTED=1 RETURNED=2; event SUBTASK=1.
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

  (component $Producer
    (import "set" (func $set (param "i" u32)))
    (import "get" (func $get (param "i" u32) (result u32)))
    (core module $M
      (import "" "set" (func $set (param i32)))
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "backpressure.inc" (func $bp.inc))
      (import "" "backpressure.dec" (func $bp.dec))
      (import "" "task.return-u8" (func $return-u8 (param i32)))
      (import "" "task.return" (func $return))
      ;; Cooperatively waits until flag $i is raised.
      (func $await (param $i i32)
        (block $up (loop $again
          (br_if $up (call $get (local.get $i)))
          (drop (call $yield))
          (br $again))))
      (func (export "eager")
        (call $return-u8 (i32.const 43)))
      (func (export "toggle")
        (call $bp.inc)
        (call $await (i32.const 1))
        (call $return)
        (call $await (i32.const 2))
        (call $bp.dec))
      (func (export "blocking") (param $x i32)
        (if (i32.ne (local.get $x) (i32.const 83)) (then unreachable))
        (call $await (i32.const 3))
        (call $return-u8 (i32.const 44))
        (call $await (i32.const 4))
        (call $set (i32.const 5)))
    )
    (canon lower (func $set) (core func $set'))
    (canon lower (func $get) (core func $get'))
    (canon thread.yield (core func $yield))
    (canon backpressure.inc (core func $bp.inc))
    (canon backpressure.dec (core func $bp.dec))
    (canon task.return (result u8) (core func $return-u8))
    (canon task.return (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "set" (func $set'))
      (export "get" (func $get'))
      (export "thread.yield" (func $yield))
      (export "backpressure.inc" (func $bp.inc))
      (export "backpressure.dec" (func $bp.dec))
      (export "task.return-u8" (func $return-u8))
      (export "task.return" (func $return))
    ))))
    (func (export "eager") async (result u8) (canon lift (core func $m "eager") async))
    (func (export "toggle") async (canon lift (core func $m "toggle") async))
    (func (export "blocking") async (param "x" u8) (result u8) (canon lift (core func $m "blocking") async))
  )

  (component $Consumer
    (import "set" (func $set (param "i" u32)))
    (import "get" (func $get (param "i" u32) (result u32)))
    (import "eager" (func $eager async (result u8)))
    (import "toggle" (func $toggle async))
    (import "blocking" (func $blocking async (param "x" u8) (result u8)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "set" (func $set (param i32)))
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "task.return" (func $return (param i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask.drop (param i32)))
      (import "" "eager" (func $eager (param i32) (result i32)))
      (import "" "toggle" (func $toggle (result i32)))
      (import "" "blocking" (func $blocking (param i32 i32) (result i32)))
      (func $await (param $i i32)
        (block $up (loop $again
          (br_if $up (call $get (local.get $i)))
          (drop (call $yield))
          (br $again))))
      ;; Waits on $ws and checks the event: SUBTASK for $sub in $state.
      (func $expect-subtask (param $ws i32) (param $sub i32) (param $state i32)
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 16)) (i32.const 1))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 16)) (local.get $sub)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 20)) (local.get $state)) (then unreachable)))
      (func (export "run") (param $b i32)
        (local $ws i32)
        (if (i32.ne (local.get $b) (i32.const 1)) (then unreachable))
        (local.set $ws (call $ws.new))
        (if (i32.ne (local.get $ws) (i32.const 1)) (then unreachable))
        ;; eager: resolved during the call, result already in memory
        (if (i32.ne (call $eager (i32.const 0)) (i32.const 2 (; RETURNED ;)))
          (then unreachable))
        (if (i32.ne (i32.load8_u (i32.const 0)) (i32.const 43)) (then unreachable))
        ;; toggle: blocks, subtask 2 STARTED
        (if (i32.ne (call $toggle) (i32.const 0x21 (; 2<<4 | STARTED ;)))
          (then unreachable))
        (call $join (i32.const 2) (local.get $ws))
        ;; blocking: held back by backpressure, subtask 3 STARTING
        (i32.store8 (i32.const 4) (i32.const 13))
        (if (i32.ne (call $blocking (i32.const 83) (i32.const 4)) (i32.const 0x30 (; 3<<4 | STARTING ;)))
          (then unreachable))
        (if (i32.ne (i32.load8_u (i32.const 4)) (i32.const 13)) (then unreachable))
        (call $join (i32.const 3) (local.get $ws))
        ;; let toggle return
        (call $set (i32.const 1))
        (call $expect-subtask (local.get $ws) (i32.const 2) (i32.const 2 (; RETURNED ;)))
        (call $subtask.drop (i32.const 2))
        ;; let toggle lower backpressure: blocking starts
        (call $set (i32.const 2))
        (call $expect-subtask (local.get $ws) (i32.const 3) (i32.const 1 (; STARTED ;)))
        (if (i32.ne (i32.load8_u (i32.const 4)) (i32.const 13)) (then unreachable))
        ;; let blocking return
        (call $set (i32.const 3))
        (call $expect-subtask (local.get $ws) (i32.const 3) (i32.const 2 (; RETURNED ;)))
        (call $subtask.drop (i32.const 3))
        ;; let blocking finish, and wait for it
        (call $set (i32.const 4))
        (call $await (i32.const 5))
        ;; the result is the u8 blocking wrote, less 2
        (call $return (i32.sub (i32.load8_u (i32.const 4)) (i32.const 2))))
    )
    (canon lower (func $set) (core func $set'))
    (canon lower (func $get) (core func $get'))
    (canon thread.yield (core func $yield))
    (canon task.return (result u8) (core func $return))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask.drop))
    (canon lower (func $eager) async (memory (core memory $memory "mem")) (core func $eager'))
    (canon lower (func $toggle) async (memory (core memory $memory "mem")) (core func $toggle'))
    (canon lower (func $blocking) async (memory (core memory $memory "mem")) (core func $blocking'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "set" (func $set'))
      (export "get" (func $get'))
      (export "thread.yield" (func $yield))
      (export "task.return" (func $return))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask.drop))
      (export "eager" (func $eager'))
      (export "toggle" (func $toggle'))
      (export "blocking" (func $blocking'))
    ))))
    (func (export "run") async (param "b" bool) (result u8) (canon lift (core func $m "run") async))
  )

  (instance $flags (instantiate $Flags))
  (instance $producer (instantiate $Producer
    (with "set" (func $flags "set"))
    (with "get" (func $flags "get"))))
  (instance $consumer (instantiate $Consumer
    (with "set" (func $flags "set"))
    (with "get" (func $flags "get"))
    (with "eager" (func $producer "eager"))
    (with "toggle" (func $producer "toggle"))
    (with "blocking" (func $producer "blocking"))))
  (func (export "run") (alias export $consumer "run"))
)
(assert_return (invoke "run" (bool.const true)) (u8.const 42))
