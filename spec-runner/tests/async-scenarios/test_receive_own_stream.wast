;; Scenario: test_receive_own_stream (run_tests.py).
;; A task creates a stream (readable end 1, writable end 2), starts a write
;; that blocks, and passes the readable end to a function that returns it:
;; the end comes back into the same slot (1). Cancelling the write then
;; reports CANCELLED with nothing copied.
;; Deviation: the Python test's host function that returns its argument is
;; a guest component ($Echo), and it is lowered synchronously (the Python
;; test lowers it with `async` and checks RETURNED; `canon lower ... async`
;; of a sync function type is invalid).
;; The result is (handle received back << 8) | cancel-write's result.
;; Constants: copy CANCELLED=2 (count 0 above it); BLOCKED=-1.
(component
  (component $Echo
    (type $ST (stream u8))
    (core module $M
      (func (export "echo") (param $s i32) (result i32) (local.get $s))
    )
    (core instance $m (instantiate $M))
    (func (export "echo") (param "s" $ST) (result $ST) (canon lift (core func $m "echo")))
  )

  (component $Caller
    (type $ST (stream u8))
    (import "echo" (func $echo (param "s" $ST) (result $ST)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "stream.new" (func $stream.new (result i64)))
      (import "" "stream.write" (func $stream.write (param i32 i32 i32) (result i32)))
      (import "" "stream.cancel-write" (func $stream.cancel-write (param i32) (result i32)))
      (import "" "stream.drop-writable" (func $stream.drop-writable (param i32)))
      (import "" "echo" (func $echo (param i32) (result i32)))
      (func (export "run") (result i32)
        (local $ends i64) (local $r i32) (local $w i32) (local $back i32) (local $cancel i32)
        (local.set $ends (call $stream.new))
        (local.set $r (i32.wrap_i64 (local.get $ends)))
        (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
        (if (i32.ne (local.get $r) (i32.const 1)) (then unreachable))
        (if (i32.ne (local.get $w) (i32.const 2)) (then unreachable))
        (if (i32.ne (call $stream.write (local.get $w) (i32.const 0) (i32.const 4)) (i32.const -1 (; BLOCKED ;)))
          (then unreachable))
        (local.set $back (call $echo (local.get $r)))
        (local.set $cancel (call $stream.cancel-write (local.get $w)))
        (call $stream.drop-writable (local.get $w))
        (i32.or (i32.shl (local.get $back) (i32.const 8)) (local.get $cancel)))
    )
    (canon stream.new $ST (core func $stream.new))
    (canon stream.write $ST async (memory (core memory $memory "mem")) (core func $stream.write))
    (canon stream.cancel-write $ST (core func $stream.cancel-write))
    (canon stream.drop-writable $ST (core func $stream.drop-writable))
    (canon lower (func $echo) (core func $echo'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "stream.new" (func $stream.new))
      (export "stream.write" (func $stream.write))
      (export "stream.cancel-write" (func $stream.cancel-write))
      (export "stream.drop-writable" (func $stream.drop-writable))
      (export "echo" (func $echo'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run")))
  )

  (instance $echo (instantiate $Echo))
  (instance $caller (instantiate $Caller (with "echo" (func $echo "echo"))))
  (func (export "run") (alias export $caller "run"))
)
;; handle 1 came back; the write was cancelled (2) with 0 elements copied
(assert_return (invoke "run") (u32.const 0x102))
