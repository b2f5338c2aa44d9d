;; wasmi 2.0.0: `select` whose condition is `i32.eqz` or `ref.is_null` of a
;; parameter picks the wrong operand. The expectations are the spec's: this
;; script passes on reference-vm and fails on wasmi 2.0.0 (lines marked).
(module
  (func (export "eqz") (param i32) (result i32)
    i32.const 1 i32.const 2 local.get 0 i32.eqz select)
  (func (export "is_null") (param externref) (result i32)
    i32.const 1 i32.const 2 local.get 0 ref.is_null select)
  (func (export "is_null_v128") (param externref) (result v128)
    v128.const i32x4 1 1 1 1 v128.const i32x4 2 2 2 2
    local.get 0 ref.is_null select)
  ;; A local holding 0 that is both the condition's operand and `select`'s
  ;; second operand (wasm-smith's guard in front of a division has this shape).
  (global $g (mut i32) (i32.const 7))
  (global $zero (mut i32) (i32.const 0))
  (func (export "guard") (result i32) (local i32)
    global.get $zero local.set 0
    global.get $g local.get 0 local.get 0 i32.eqz select)
)
(assert_return (invoke "eqz" (i32.const 0)) (i32.const 1))
(assert_return (invoke "eqz" (i32.const 1)) (i32.const 2))                        ;; wasmi: 1
(assert_return (invoke "is_null" (ref.null extern)) (i32.const 1))
(assert_return (invoke "is_null" (ref.extern 1)) (i32.const 2))                   ;; wasmi: 1
(assert_return (invoke "is_null_v128" (ref.extern 1)) (v128.const i32x4 2 2 2 2)) ;; wasmi: 1 1 1 1
(assert_return (invoke "guard") (i32.const 7))                                    ;; wasmi: 0
