;; Scenario: test_sync_using_wait (run_tests.py).
;; A sync-lifted consumer with an async function type starts two async
;; producers (subtasks 1 and 2, both STARTED: stackful async callees do not
;; hold their instance exclusively), and blocks in waitable-set.wait, once per
;; producer, releasing one producer before each wait; each wait reports that
;; producer's subtask RETURNED. It then drops both subtasks and the set.
;; Deviation: each producer's host-side "resolve me" flag is a third
;; component, $Flags (sync set/get); a producer waits for its flag with a
;; loop of get and thread.yield. The Python consumer returns nothing; this
;; one returns 10 * (first subtask reported) + second.
;; Constants: STARTED=1 RETURNED=2; event SUBTASK=1.
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
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "set" (func $set (param i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable-set.drop" (func $ws.drop (param i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask.drop (param i32)))
      (import "" "producer1" (func $producer1 (result i32)))
      (import "" "producer2" (func $producer2 (result i32)))
      ;; waits for a SUBTASK RETURNED event and returns its subtask
      (func $returned (param $ws i32) (result i32)
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 8)) (i32.const 1 (; SUBTASK ;)))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 12)) (i32.const 2 (; RETURNED ;))) (then unreachable))
        (i32.load (i32.const 8)))
      (func (export "run") (result i32)
        (local $ws i32) (local $first i32) (local $second i32)
        (if (i32.ne (call $producer1) (i32.const 0x11 (; 1<<4 | STARTED ;))) (then unreachable))
        (if (i32.ne (call $producer2) (i32.const 0x21 (; 2<<4 | STARTED ;))) (then unreachable))
        (local.set $ws (call $ws.new))
        (call $join (i32.const 1) (local.get $ws))
        (call $join (i32.const 2) (local.get $ws))
        (call $set (i32.const 1))
        (local.set $first (call $returned (local.get $ws)))
        (call $set (i32.const 2))
        (local.set $second (call $returned (local.get $ws)))
        (call $subtask.drop (i32.const 1))
        (call $subtask.drop (i32.const 2))
        (call $ws.drop (local.get $ws))
        (i32.add (i32.mul (local.get $first) (i32.const 10)) (local.get $second)))
    )
    (canon lower (func $set) (core func $set'))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable-set.drop (core func $ws.drop))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask.drop))
    (canon lower (func $producer1) async (core func $producer1'))
    (canon lower (func $producer2) async (core func $producer2'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "set" (func $set'))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable-set.drop" (func $ws.drop))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask.drop))
      (export "producer1" (func $producer1'))
      (export "producer2" (func $producer2'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
  )

  (instance $flags (instantiate $Flags))
  (instance $producer (instantiate $Producer (with "get" (func $flags "get"))))
  (instance $consumer (instantiate $Consumer
    (with "set" (func $flags "set"))
    (with "producer1" (func $producer "producer1"))
    (with "producer2" (func $producer "producer2"))))
  (func (export "run") (alias export $consumer "run"))
)
(assert_return (invoke "run") (u32.const 12))
