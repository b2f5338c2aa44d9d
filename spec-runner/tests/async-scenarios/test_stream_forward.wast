;; Scenario: test_stream_forward (run_tests.py).
;; A sync function (stream<u8>) -> stream<u8> whose core code returns the
;; handle it was given (handle 1, the first of its instance) hands back the
;; very stream it received.
;; Deviation: the Python test feeds a host stream in and checks that the
;; host gets the same stream object back; here a guest caller creates the
;; stream, has a write of [1,2,3,4] pending on it, passes the readable end
;; through the forwarder and reads the four bytes from the end it gets back,
;; which shows it is the same stream. The caller then sees its write
;; complete with all four elements.
;; Constants: copy COMPLETED=0 (low 4 bits; count above); event
;; STREAM_WRITE=3; BLOCKED=-1.
(component
  (component $Forwarder
    (type $ST (stream u8))
    (core module $M
      (func (export "forward") (param $s i32) (result i32)
        (if (i32.ne (local.get $s) (i32.const 1)) (then unreachable))
        (local.get $s))
    )
    (core instance $m (instantiate $M))
    (func (export "forward") (param "s" $ST) (result $ST) (canon lift (core func $m "forward")))
  )

  (component $Caller
    (type $ST (stream u8))
    (import "forward" (func $forward (param "s" $ST) (result $ST)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "stream.new" (func $stream.new (result i64)))
      (import "" "stream.write" (func $stream.write (param i32 i32 i32) (result i32)))
      (import "" "stream.read" (func $stream.read (param i32 i32 i32) (result i32)))
      (import "" "waitable-set.new" (func $ws.new (result i32)))
      (import "" "waitable-set.wait" (func $ws.wait (param i32 i32) (result i32)))
      (import "" "waitable.join" (func $join (param i32 i32)))
      (import "" "forward" (func $forward (param i32) (result i32)))
      (func (export "run") (result i32)
        (local $ends i64) (local $r i32) (local $w i32) (local $back i32) (local $ws i32)
        (local.set $ends (call $stream.new))
        (local.set $r (i32.wrap_i64 (local.get $ends)))
        (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
        (i32.store (i32.const 0) (i32.const 0x04030201))
        (if (i32.ne (call $stream.write (local.get $w) (i32.const 0) (i32.const 4)) (i32.const -1 (; BLOCKED ;)))
          (then unreachable))
        (local.set $back (call $forward (local.get $r)))
        ;; the returned end reads what was written to the original stream
        (if (i32.ne (call $stream.read (local.get $back) (i32.const 16) (i32.const 4)) (i32.const 0x40 (; 4<<4 | COMPLETED ;)))
          (then unreachable))
        (local.set $ws (call $ws.new))
        (call $join (local.get $w) (local.get $ws))
        (if (i32.ne (call $ws.wait (local.get $ws) (i32.const 8)) (i32.const 3 (; STREAM_WRITE ;)))
          (then unreachable))
        (if (i32.ne (i32.load (i32.const 8)) (local.get $w)) (then unreachable))
        (if (i32.ne (i32.load (i32.const 12)) (i32.const 0x40 (; 4<<4 | COMPLETED ;))) (then unreachable))
        (i32.load (i32.const 16)))
    )
    (canon stream.new $ST (core func $stream.new))
    (canon stream.write $ST async (memory (core memory $memory "mem")) (core func $stream.write))
    (canon stream.read $ST (memory (core memory $memory "mem")) (core func $stream.read))
    (canon waitable-set.new (core func $ws.new))
    (canon waitable-set.wait (memory (core memory $memory "mem")) (core func $ws.wait))
    (canon waitable.join (core func $join))
    (canon lower (func $forward) (core func $forward'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "stream.new" (func $stream.new))
      (export "stream.write" (func $stream.write))
      (export "stream.read" (func $stream.read))
      (export "waitable-set.new" (func $ws.new))
      (export "waitable-set.wait" (func $ws.wait))
      (export "waitable.join" (func $join))
      (export "forward" (func $forward'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
  )

  (instance $forwarder (instantiate $Forwarder))
  (instance $caller (instantiate $Caller (with "forward" (func $forwarder "forward"))))
  (func (export "run") (alias export $caller "run"))
)
(assert_return (invoke "run") (u32.const 0x04030201))
