;; Scenario: test_async_to_sync (run_tests.py).
;; Two sync-lifted, async-typed producers of one instance, called with the
;; async ABI by an async consumer: the first blocks (STARTED, subtask 1) and
;; holds the instance exclusively, so the second waits (STARTING, subtask 2).
;; Once released, the first finishes before the second starts (the second
;; checks it). The consumer collects both RETURNED events by yielding and
;; polling, then returns 83.
;; Deviation: the Python test's host flags ("may finish", "producer N done")
;; are a third component, $Flags (sync set/get): flag 1 releases producer 1,
;; flags 10 and 11 record that producer 1 and 2 finished; a producer waits
;; for a flag with a loop of get and thread.yield.
;; Constants: STARTING=0 STARTED=1 RETURNED=2; events NONE=0 SUBTASK=1.
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

      (func $await (param $i i32)
        (block $up (loop $again
          (br_if $up (call $get (local.get $i)))
          (drop (call $yield))
          (br $again))))
      (func (export "producer1")
        (call $await (i32.const 1))
        (call $set (i32.const 10)))
      (func (export "producer2")
        (if (i32.eqz (call $get (i32.const 10))) (then unreachable))
        (call $set (i32.const 11)))
    )
    (canon lower (func $set) (core func $set'))
    (canon lower (func $get) (core func $get'))
    (canon thread.yield (core func $yield))

    (core instance $m (instantiate $M (with "" (instance
      (export "set" (func $set'))
      (export "get" (func $get'))
      (export "thread.yield" (func $yield))

    ))))
    (func (export "producer1") async (canon lift (core func $m "producer1")))
    (func (export "producer2") async (canon lift (core func $m "producer2")))
  )

  (component $Consumer
    (import "set" (func $set (param "i" u32)))
    (import "get" (func $get (param "i" u32) (result u32)))
    (import "producer1" (func $producer1 async))
    (import "producer2" (func $producer2 async))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "set" (func $set (param i32)))
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "thread.yield" (func $yield (result i32)))
      (import "" "waitable-set.poll" (func $ws.poll (param i32 i32) (result i32)))
      (import "" "task.return" (func $return (param i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.drop" (func $ws.drop (param i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "subtask.drop" (func $subtask.drop (param i32)))
      (import "" "producer1" (func $producer1 (result i32)))
      (import "" "producer2" (func $producer2 (result i32)))
      (func (export "run")
        (local $ws i32) (local $event i32) (local $sub i32) (local $seen i32)
        (if (i32.ne (call $producer1) (i32.const 0x11 (; 1<<4 | STARTED ;))) (then unreachable))
        (if (i32.ne (call $producer2) (i32.const 0x20 (; 2<<4 | STARTING ;))) (then unreachable))
        (local.set $ws (call $ws.new))
        (call $join (i32.const 1) (local.get $ws))
        (call $join (i32.const 2) (local.get $ws))
        (call $set (i32.const 1))
        ;; nothing ran yet: the consumer has not let go
        (if (call $get (i32.const 10)) (then unreachable))
        (if (call $get (i32.const 11)) (then unreachable))
        ;; collect both returns, in whichever order they come; $seen has
        ;; bit k set once subtask k returned
        (loop $again
          (if (i32.ne (call $yield) (i32.const 0)) (then unreachable))
          (local.set $event (call $ws.poll (local.get $ws) (i32.const 8)))
          (br_if $again (i32.eqz (local.get $event (; NONE ;))))
          (if (i32.ne (local.get $event) (i32.const 1 (; SUBTASK ;))) (then unreachable))
          (if (i32.ne (i32.load (i32.const 12)) (i32.const 2 (; RETURNED ;))) (then unreachable))
          (local.set $sub (i32.load (i32.const 8)))
          (if (i32.and (i32.ne (local.get $sub) (i32.const 1)) (i32.ne (local.get $sub) (i32.const 2)))
            (then unreachable))
          (if (i32.and (local.get $seen) (i32.shl (i32.const 1) (local.get $sub))) (then unreachable))
          (local.set $seen (i32.or (local.get $seen) (i32.shl (i32.const 1) (local.get $sub))))
          (call $subtask.drop (local.get $sub))
          (br_if $again (i32.ne (local.get $seen) (i32.const 6))))
        (if (i32.eqz (call $get (i32.const 10))) (then unreachable))
        (if (i32.eqz (call $get (i32.const 11))) (then unreachable))
        (call $ws.drop (local.get $ws))
        (call $return (i32.const 83)))
    )
    (canon lower (func $set) (core func $set'))
    (canon lower (func $get) (core func $get'))
    (canon thread.yield (core func $yield))
    (canon waitable-set.poll (memory (core memory $memory "mem")) (core func $ws.poll))
    (canon task.return (result u8) (core func $return))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.drop (core func $ws.drop))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $subtask.drop))
    (canon lower (func $producer1) async (core func $producer1'))
    (canon lower (func $producer2) async (core func $producer2'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "set" (func $set'))
      (export "get" (func $get'))
      (export "thread.yield" (func $yield))
      (export "waitable-set.poll" (func $ws.poll))
      (export "task.return" (func $return))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.drop" (func $ws.drop))
      (export "waitable.join" (func $join))
      (export "subtask.drop" (func $subtask.drop))
      (export "producer1" (func $producer1'))
      (export "producer2" (func $producer2'))
    ))))
    (func (export "run") async (result u8) (canon lift (core func $m "run") async))
  )

  (instance $flags (instantiate $Flags))
  (instance $producer (instantiate $Producer
    (with "set" (func $flags "set"))
    (with "get" (func $flags "get"))))
  (instance $consumer (instantiate $Consumer
    (with "set" (func $flags "set"))
    (with "get" (func $flags "get"))
    (with "producer1" (func $producer "producer1"))
    (with "producer2" (func $producer "producer2"))))
  (func (export "run") (alias export $consumer "run"))
)
(assert_return (invoke "run") (u8.const 83))
