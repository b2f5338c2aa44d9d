;; Runner self-test: traps, exhaustion and exceptions.
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "unreachable") (unreachable))
  (func $rec (export "rec") (call $rec))
  (memory 1)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
)

(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")   ;; expect: pass
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")         ;; expect: fail
(assert_trap (invoke "div" (i32.const 1) (i32.const 1)) "integer divide by zero")   ;; expect: fail
(assert_trap (invoke "div" (i32.const 0x80000000) (i32.const -1)) "integer overflow") ;; expect: pass
(assert_trap (invoke "unreachable") "unreachable")                                  ;; expect: pass
(assert_trap (invoke "load" (i32.const 65536)) "out of bounds memory access")       ;; expect: pass
(assert_trap (invoke "load" (i32.const 65532)) "out of bounds memory access")       ;; expect: fail
(assert_exhaustion (invoke "rec") "call stack exhausted")                           ;; expect: pass
(assert_exhaustion (invoke "div" (i32.const 1) (i32.const 1)) "call stack exhausted") ;; expect: fail
(assert_trap (invoke "rec") "unreachable")                                          ;; expect: fail
(assert_exception (invoke "div" (i32.const 1) (i32.const 1)))                       ;; expect: fail
(assert_exception (invoke "unreachable"))                                           ;; expect: fail

(assert_trap (module (func $start (unreachable)) (start $start)) "unreachable")     ;; expect: pass
(assert_trap (module (func $start) (start $start)) "unreachable")                   ;; expect: fail
(assert_trap (module (memory 1) (data (i32.const 65536) "x")) "out of bounds memory access") ;; expect: pass

;; A bare invoke reports only when it does not return.
(invoke "div" (i32.const 4) (i32.const 2))
(invoke "unreachable")                                                              ;; expect: fail
