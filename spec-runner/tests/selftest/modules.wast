;; Runner self-test: module assertions, registration, definitions, blocking.
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")   ;; expect: pass
(assert_malformed (module binary "\00asm\01\00\00\00") "unknown binary version")   ;; expect: fail
(assert_malformed (module quote "(func (i32.const 0) oops)") "unexpected token")   ;; expect: pass
(assert_malformed (module quote "(func)") "unexpected token")                      ;; expect: fail
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")        ;; expect: pass
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")        ;; expect: fail
(assert_invalid (module quote "(func (result i32) (i64.const 0))") "type mismatch") ;; expect: pass
(assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import") ;; expect: pass
(assert_unlinkable (module (import "spectest" "print_i32" (func))) "incompatible import type") ;; expect: pass
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import") ;; expect: fail

;; The spectest module of the reference interpreter.
(module
  (import "spectest" "global_i32" (global $gi i32))
  (import "spectest" "global_i64" (global $gl i64))
  (import "spectest" "global_f32" (global $gf f32))
  (import "spectest" "global_f64" (global $gd f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (import "spectest" "print" (func))
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "print_i64" (func (param i64)))
  (import "spectest" "print_f32" (func (param f32)))
  (import "spectest" "print_f64" (func (param f64)))
  (import "spectest" "print_i32_f32" (func (param i32 f32)))
  (import "spectest" "print_f64_f64" (func (param f64 f64)))
  (func (export "gi") (result i32) (global.get $gi))
  (func (export "gl") (result i64) (global.get $gl))
  (func (export "gf") (result f32) (global.get $gf))
  (func (export "gd") (result f64) (global.get $gd))
  (func (export "pages") (result i32) (memory.size))
)
(assert_return (invoke "gi") (i32.const 666))                    ;; expect: pass
(assert_return (invoke "gl") (i64.const 666))                    ;; expect: pass
(assert_return (invoke "gf") (f32.const 666.6))                  ;; expect: pass
(assert_return (invoke "gd") (f64.const 666.6))                  ;; expect: pass
(assert_return (invoke "pages") (i32.const 1))                   ;; expect: pass
(assert_unlinkable (module (import "spectest" "table" (table 21 funcref))) "incompatible import type") ;; expect: pass
(assert_unlinkable (module (import "spectest" "memory" (memory 3))) "incompatible import type")       ;; expect: pass

(module $M (func (export "f") (result i32) (i32.const 5)))
(register "M" $M)
(module $N (import "M" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f)))
(assert_return (invoke "g") (i32.const 5))                       ;; expect: pass
(assert_return (invoke $M "f") (i32.const 5))                    ;; expect: pass
(assert_return (invoke $M "f") (i32.const 6))                    ;; expect: fail

(module definition $D (func (export "h") (result i32) (i32.const 9)))
(module instance $I $D)
(assert_return (invoke $I "h") (i32.const 9))                    ;; expect: pass
(assert_return (invoke $I "h") (i32.const 8))                    ;; expect: fail
(assert_return (invoke $N "g") (i32.const 5))                    ;; expect: pass

;; A module that fails blocks the assertions that need it.
(module (func (export "x") (result i32) (i64.const 0)))          ;; expect: fail
(assert_return (invoke "x") (i32.const 0))                       ;; expect: blocked
(assert_trap (invoke "x") "unreachable")                         ;; expect: blocked
(assert_return (invoke $I "h") (i32.const 9))                    ;; expect: pass

;; Engines without threads report thread blocks as unsupported.
(thread $T
  (assert_return (invoke $I "h") (i32.const 9))                  ;; expect: unsupported
)
(wait $T)

;; A directive the parser cannot read is a runner error, never dropped.
(assert_return (invoke "h" (i32.const)) (i32.const 9))           ;; expect: error
