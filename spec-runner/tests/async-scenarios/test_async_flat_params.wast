;; Scenario: test_async_flat_params (run_tests.py).
;; With the async lowering ABI at most 4 flat parameters are passed as core
;; arguments; more are stored in the caller's memory and passed as one
;; pointer. Three callees check what they receive:
;;   f1 (f32 1.1, f64 2.2, u32 3, s64 4)  4 flat values of mixed types;
;;   f2 (u32 1, u8 2, u8 3, u8 4)         exactly 4: still flat;
;;   f3 (u32 1, u8 2, u8 3, u8 4, u8 5)   5: one pointer to a tuple laid out
;;                                        as u32 at +0 and u8s at +4..+7.
;; Each call reports RETURNED at once.
;; Deviations: the Python test's host functions are a guest component
;; ($Callee, sync-lifted core code that traps on a wrong argument); the
;; function types are async (an async lowering requires one). The caller
;; returns the number of calls that reported RETURNED, weighted 1, 10, 100.
;; Constants: RETURNED=2.
(component
  (component $Callee
    (core module $M
      (func (export "f1") (param $a f32) (param $b f64) (param $c i32) (param $d i64)
        (if (f32.ne (local.get $a) (f32.const 1.1)) (then unreachable))
        (if (f64.ne (local.get $b) (f64.const 2.2)) (then unreachable))
        (if (i32.ne (local.get $c) (i32.const 3)) (then unreachable))
        (if (i64.ne (local.get $d) (i64.const 4)) (then unreachable)))
      (func (export "f2") (param i32 i32 i32 i32)
        (if (i32.ne (local.get 0) (i32.const 1)) (then unreachable))
        (if (i32.ne (local.get 1) (i32.const 2)) (then unreachable))
        (if (i32.ne (local.get 2) (i32.const 3)) (then unreachable))
        (if (i32.ne (local.get 3) (i32.const 4)) (then unreachable)))
      (func (export "f3") (param i32 i32 i32 i32 i32)
        (if (i32.ne (local.get 0) (i32.const 1)) (then unreachable))
        (if (i32.ne (local.get 1) (i32.const 2)) (then unreachable))
        (if (i32.ne (local.get 2) (i32.const 3)) (then unreachable))
        (if (i32.ne (local.get 3) (i32.const 4)) (then unreachable))
        (if (i32.ne (local.get 4) (i32.const 5)) (then unreachable)))
    )
    (core instance $m (instantiate $M))
    (func (export "f1") async (param "a" f32) (param "b" f64) (param "c" u32) (param "d" s64)
      (canon lift (core func $m "f1")))
    (func (export "f2") async (param "a" u32) (param "b" u8) (param "c" u8) (param "d" u8)
      (canon lift (core func $m "f2")))
    (func (export "f3") async (param "a" u32) (param "b" u8) (param "c" u8) (param "d" u8) (param "e" u8)
      (canon lift (core func $m "f3")))
  )

  (component $Caller
    (import "f1" (func $f1 async (param "a" f32) (param "b" f64) (param "c" u32) (param "d" s64)))
    (import "f2" (func $f2 async (param "a" u32) (param "b" u8) (param "c" u8) (param "d" u8)))
    (import "f3" (func $f3 async (param "a" u32) (param "b" u8) (param "c" u8) (param "d" u8) (param "e" u8)))
    (core module $Memory (memory (export "mem") 1))
    (core instance $memory (instantiate $Memory))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "task.return" (func $return (param i32)))
      (import "" "f1" (func $f1 (param f32 f64 i32 i64) (result i32)))
      (import "" "f2" (func $f2 (param i32 i32 i32 i32) (result i32)))
      (import "" "f3" (func $f3 (param i32) (result i32)))
      (func $returned (param $ret i32) (result i32)
        (i32.eq (local.get $ret) (i32.const 2 (; RETURNED ;))))
      (func (export "run")
        (local $n i32)
        (local.set $n (call $returned
          (call $f1 (f32.const 1.1) (f64.const 2.2) (i32.const 3) (i64.const 4))))
        (local.set $n (i32.add (local.get $n) (i32.mul (i32.const 10) (call $returned
          (call $f2 (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4))))))
        (i64.store (i32.const 12) (i64.const 0x0504030200000001))
        (local.set $n (i32.add (local.get $n) (i32.mul (i32.const 100) (call $returned
          (call $f3 (i32.const 12))))))
        (call $return (local.get $n)))
    )
    (canon task.return (result u32) (core func $return))
    (canon lower (func $f1) async (memory (core memory $memory "mem")) (core func $f1'))
    (canon lower (func $f2) async (memory (core memory $memory "mem")) (core func $f2'))
    (canon lower (func $f3) async (memory (core memory $memory "mem")) (core func $f3'))
    (core instance $m (instantiate $M (with "" (instance
      (export "mem" (memory $memory "mem"))
      (export "task.return" (func $return))
      (export "f1" (func $f1'))
      (export "f2" (func $f2'))
      (export "f3" (func $f3'))
    ))))
    (func (export "run") async (result u32) (canon lift (core func $m "run") async))
  )

  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller
    (with "f1" (func $callee "f1"))
    (with "f2" (func $callee "f2"))
    (with "f3" (func $callee "f3"))))
  (func (export "run") (alias export $caller "run"))
)
(assert_return (invoke "run") (u32.const 111))
