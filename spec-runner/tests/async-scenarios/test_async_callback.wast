;; Scenario: test_async_callback (run_tests.py).
;; A callback-lifted consumer starts two async producers (subtasks 1 and 2,
;; both STARTED), joins them to a new waitable set (handle 3) and waits. Its
;; callback, steered by the task's context slot 0 (42, 52, 62):
;;   42: gets SUBTASK for subtask 1 RETURNED, drops it, yields;
;;   52: gets the NONE event a yield resumes with (0, 0, 0), lets producer 2
;;       finish and waits again;
;;   62: gets SUBTASK for subtask 2 RETURNED, drops it and returns 83.
;; Deviation: each producer's host-side "resolve me" flag is a third
;; component, $Flags (sync set/get); a producer waits for its flag with a
;; loop of get and thread.yield.
;; Constants: event NONE=0 SUBTASK=1; RETURNED=2; callback EXIT=0 YIELD=1 WAIT=2.
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
    (import "get" (func $get (param "i" u32) (result u32)))
    (core module $M
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "task.return" (func $return))
      (func $await-then-return (param $i i32)
        (block $up (loop $again
          (br_if $up (call $get (local.get $i)))
          (drop (call $yield))
          (br $again)))
        (call $return))
      (func (export "producer1") (call $await-then-return (i32.const 1)))
      (func (export "producer2") (call $await-then-return (i32.const 2)))
    )
    (canon lower (func $get) (core func $get'))
    (canon thread.yield (core func $yield))
    (canon task.return (core func $return))
    (core instance $m (instantiate $M (with "" (instance
      (export "get" (func $get'))
      (export "thread.yield" (func $yield))
      (export "task.return" (func $return))
    ))))
    (func (export "producer1") async (canon lift (core func $m "producer1") async))
    (func (export "producer2") async (canon lift (core func $m "producer2") async))
  )

  (component $Consumer
    (import "set" (func $set (param "i" u32)))
    (import "producer1" (func $producer1 async))
    (import "producer2" (func $producer2 async))
    (core module $M
      (import "" "set" (func $set (param i32)))
      (import "" "context.get" (func $context.get (result i32)))
      (import "" "context.set" (func $context.set (param i32)))
      (import "" "task.return" (func $return (param i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask.drop (param i32)))
      (import "" "producer1" (func $producer1 (result i32)))
      (import "" "producer2" (func $producer2 (result i32)))
      (global $ws (mut i32) (i32.const 0))
      (func (export "run") (result i32)
        (if (i32.ne (call $producer1) (i32.const 0x11 (; 1<<4 | STARTED ;))) (then unreachable))
        (if (i32.ne (call $producer2) (i32.const 0x21 (; 2<<4 | STARTED ;))) (then unreachable))
        (global.set $ws (call $ws.new))
        (if (i32.ne (global.get $ws) (i32.const 3)) (then unreachable))
        (call $join (i32.const 1) (global.get $ws))
        (call $join (i32.const 2) (global.get $ws))
        (call $set (i32.const 1))
        (call $context.set (i32.const 42))
        (i32.or (i32.const 2 (; WAIT ;)) (i32.shl (global.get $ws) (i32.const 4))))
      (func (export "cb") (param $event i32) (param $index i32) (param $payload i32) (result i32)
        (local $ctx i32)
        (local.set $ctx (call $context.get))
        (if (i32.eq (local.get $ctx) (i32.const 42)) (then
          (if (i32.ne (local.get $event) (i32.const 1)) (then unreachable))
          (if (i32.ne (local.get $index) (i32.const 1)) (then unreachable))
          (if (i32.ne (local.get $payload) (i32.const 2)) (then unreachable))
          (call $subtask.drop (local.get $index))
          (call $context.set (i32.const 52))
          (return (i32.const 1 (; YIELD ;)))))
        (if (i32.eq (local.get $ctx) (i32.const 52)) (then
          (if (i32.ne (local.get $event) (i32.const 0)) (then unreachable))
          (if (i32.ne (local.get $index) (i32.const 0)) (then unreachable))
          (if (i32.ne (local.get $payload) (i32.const 0)) (then unreachable))
          (call $set (i32.const 2))
          (call $context.set (i32.const 62))
          (return (i32.or (i32.const 2 (; WAIT ;)) (i32.shl (global.get $ws) (i32.const 4))))))
        (if (i32.eq (local.get $ctx) (i32.const 62)) (then
          (if (i32.ne (local.get $event) (i32.const 1)) (then unreachable))
          (if (i32.ne (local.get $index) (i32.const 2)) (then unreachable))
          (if (i32.ne (local.get $payload) (i32.const 2)) (then unreachable))
          (call $subtask.drop (local.get $index))
          (call $return (i32.const 83))
          (return (i32.const 0 (; EXIT ;)))))
        unreachable)
    )
    (canon lower (func $set) (core func $set'))
    (canon context.get i32 0 (core func $context.get))
    (canon context.set i32 0 (core func $context.set))
    (canon task.return (result u32) (core func $return))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask.drop))
    (canon lower (func $producer1) async (core func $producer1'))
    (canon lower (func $producer2) async (core func $producer2'))
    (core instance $m (instantiate $M (with "" (instance
      (export "set" (func $set'))
      (export "context.get" (func $context.get))
      (export "context.set" (func $context.set))
      (export "task.return" (func $return))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask.drop))
      (export "producer1" (func $producer1'))
      (export "producer2" (func $producer2'))
    ))))
    (func (export "run") async (result u32)
      (canon lift (core func $m "run") async (callback (core func $m "cb"))))
  )

  (instance $flags (instantiate $Flags))
  (instance $producer (instantiate $Producer (with "get" (func $flags "get"))))
  (instance $consumer (instantiate $Consumer
    (with "set" (func $flags "set"))
    (with "producer1" (func $producer "producer1"))
    (with "producer2" (func $producer "producer2"))))
  (func (export "run") (alias export $consumer "run"))
)
(assert_return (invoke "run") (u32.const 83))
