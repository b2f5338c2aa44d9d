;; wasm-conform fuzz reproducer
;; engines: reference-vm@latest, wasmi
;; divergence: result (result)
;;   reference-vm@latest: returned [v128:0x9014826346be85274596fd58995a167a]
;;   wasmi: returned [v128:0x4596fd58995a167a4596fd58995a167a]
;; expectations are wasmi's outcomes: the script passes there and fails on reference-vm@latest
;; wasm-level fuel is reset to 500 before each call

(module
  (type (;0;) (func (param v128) (result v128)))
  (export "" (func 0))
  (func (;0;) (type 0) (param v128) (result v128)
    (local f32 f32 f32 f32 f64)
    block (result v128) ;; label = @1
      i32.const 0
      v128.const i32x4 0x995a167a 0x4596fd58 0x46be8527 0x90148263
      local.get 2
      i32.trunc_f32_u
      br_table 0 (;@1;) 1 0 (;@1;)
    end
  )
)

;; the divergent call:
;;   reference-vm@latest: returned [v128:0x9014826346be85274596fd58995a167a]
;;   wasmi: returned [v128:0x4596fd58995a167a4596fd58995a167a]
(assert_return (invoke "" (v128.const i64x2 -225513567009275586 3492036216206865862)) (v128.const i64x2 5014473792095393402 5014473792095393402))
