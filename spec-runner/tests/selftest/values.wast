;; Runner self-test: result patterns. Each assertion carries the verdict the
;; runner must give (an "expect" marker); a runner that passes everything fails.
(module
  (func (export "i32") (param i32) (result i32) (local.get 0))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "v128") (param v128) (result v128) (local.get 0))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2))
  (func (export "bits32") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
  (func (export "bits64") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))
  (func (export "externref") (param externref) (result externref) (local.get 0))
  (func $f (export "funcref") (result funcref) (ref.func $f))
  (func (export "null-func") (result funcref) (ref.null func))
  (global (export "g") i32 (i32.const 42))
)

(assert_return (invoke "i32" (i32.const 7)) (i32.const 7))                ;; expect: pass
(assert_return (invoke "i32" (i32.const 7)) (i32.const 8))                ;; expect: fail
(assert_return (invoke "i64" (i64.const -1)) (i64.const -1))              ;; expect: pass
(assert_return (invoke "i64" (i64.const -1)) (i32.const -1))              ;; expect: fail
(assert_return (invoke "f32" (f32.const -0)) (f32.const -0))              ;; expect: pass
(assert_return (invoke "f32" (f32.const -0)) (f32.const 0))               ;; expect: fail
(assert_return (invoke "f64" (f64.const 0x1p-1074)) (f64.const 0x1p-1074));; expect: pass
(assert_return (invoke "f64" (f64.const 0x1p-1074)) (f64.const 0))        ;; expect: fail
(assert_return (invoke "bits32" (i32.const 0xffc00000)) (f32.const nan:canonical))  ;; expect: pass
(assert_return (invoke "bits32" (i32.const 0x7fc00001)) (f32.const nan:canonical))  ;; expect: fail
(assert_return (invoke "bits32" (i32.const 0x7fc00001)) (f32.const nan:arithmetic)) ;; expect: pass
(assert_return (invoke "bits32" (i32.const 0x7f800001)) (f32.const nan:arithmetic)) ;; expect: fail
(assert_return (invoke "bits64" (i64.const 0x7ff8000000000000)) (f64.const nan:canonical))  ;; expect: pass
(assert_return (invoke "bits64" (i64.const 0x7ff8000000000001)) (f64.const nan:canonical))  ;; expect: fail
(assert_return (invoke "bits64" (i64.const 0xfff8000000000001)) (f64.const nan:arithmetic)) ;; expect: pass
(assert_return (invoke "bits64" (i64.const 0x7ff0000000000001)) (f64.const nan:arithmetic)) ;; expect: fail
(assert_return (invoke "bits32" (i32.const 0x7fc00000)) (f32.const nan))  ;; expect: pass
(assert_return (invoke "bits32" (i32.const 0x7fc00001)) (f32.const nan))  ;; expect: fail

(assert_return (invoke "v128" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 4))         ;; expect: pass
(assert_return (invoke "v128" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 5))         ;; expect: fail
(assert_return (invoke "v128" (v128.const i32x4 1 2 3 4)) (v128.const i16x8 1 0 2 0 3 0 4 0)) ;; expect: pass
(assert_return (invoke "v128" (v128.const i32x4 1 2 3 4)) (v128.const i16x8 1 0 2 0 3 0 0 4)) ;; expect: fail
(assert_return (invoke "v128" (v128.const i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2)) (v128.const i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2)) ;; expect: pass
(assert_return (invoke "v128" (v128.const i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2)) (v128.const i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 2 0)) ;; expect: fail
(assert_return (invoke "v128" (v128.const i64x2 -1 7)) (v128.const i64x2 -1 7))               ;; expect: pass
(assert_return (invoke "v128" (v128.const i64x2 -1 7)) (v128.const i64x2 7 -1))               ;; expect: fail
(assert_return (invoke "v128" (v128.const i32x4 0x7fc00000 0x7fc00001 0 0x3f800000))
  (v128.const f32x4 nan:canonical nan:arithmetic 0 1))                                        ;; expect: pass
(assert_return (invoke "v128" (v128.const i32x4 0x7fc00000 0x7fc00001 0 0x3f800000))
  (v128.const f32x4 nan:canonical nan:canonical 0 1))                                         ;; expect: fail
(assert_return (invoke "v128" (v128.const i64x2 0x7ff8000000000001 0x8000000000000000))
  (v128.const f64x2 nan:arithmetic -0))                                                       ;; expect: pass
(assert_return (invoke "v128" (v128.const i64x2 0x7ff8000000000001 0x8000000000000000))
  (v128.const f64x2 nan:arithmetic 0))                                                        ;; expect: fail

(assert_return (invoke "two") (i32.const 1) (i64.const 2))                ;; expect: pass
(assert_return (invoke "two") (i32.const 1))                              ;; expect: fail
(assert_return (invoke "i32" (i32.const 2)) (either (i32.const 1) (i32.const 2)))  ;; expect: pass
(assert_return (invoke "i32" (i32.const 3)) (either (i32.const 1) (i32.const 2)))  ;; expect: fail

(assert_return (invoke "externref" (ref.extern 1)) (ref.extern 1))        ;; expect: pass
(assert_return (invoke "externref" (ref.extern 1)) (ref.extern 2))        ;; expect: fail
(assert_return (invoke "externref" (ref.extern 1)) (ref.extern))          ;; expect: pass
(assert_return (invoke "externref" (ref.null extern)) (ref.extern))       ;; expect: fail
(assert_return (invoke "externref" (ref.null extern)) (ref.null extern))  ;; expect: pass
(assert_return (invoke "externref" (ref.extern 1)) (ref.null extern))     ;; expect: fail
(assert_return (invoke "funcref") (ref.func))                             ;; expect: pass
(assert_return (invoke "null-func") (ref.func))                           ;; expect: fail
(assert_return (invoke "null-func") (ref.null func))                      ;; expect: pass
(assert_return (invoke "null-func") (ref.null extern))                    ;; expect: fail

(assert_return (get "g") (i32.const 42))                                  ;; expect: pass
(assert_return (get "g") (i32.const 43))                                  ;; expect: fail
