;; wasm-conform fuzz reproducer
;; engines: reference-vm@latest, wasmi
;; divergence: global (global)
;;   observed: global "2": i64:-2334193688131147964 vs i64:1693365797458249405
;; expectations are wasmi's outcomes: the script passes there and fails on reference-vm@latest
;; wasm-level fuel is reset to 500 before each call

(module
  (type (;0;) (func (param f32)))
  (type (;1;) (func (param f64 i64 i64 i32 i64 i64) (result i32 f32)))
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i64) i64.const 0)
  (export "" (func 0))
  (export "2" (global 0))
  (func (;0;) (type 1) (param f64 i64 i64 i32 i64 i64) (result i32 f32)
    f64.const 0x1.66d18fd2af4dcp-452 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012052494526816191;)
    local.get 4
    f64.const -nan:0xfffffe0000000 (;=NaN;)
    f32.const 0x1.788594p+92 (;=7282990600000000000000000000;)
    block (type 0) (param f32) ;; label = @1
      local.get 3
      br_if 0 (;@1;)
      i32.const 0
      if ;; label = @2
      end
      i32.const 0
      br_table 0 (;@1;) 0 (;@1;)
    end
    i64.reinterpret_f64
    global.set 1
    global.set 0
    i64.reinterpret_f64
    global.get 0
    i64.xor
    global.set 0
    i32.const 0
    f32.const 0x1.8d879ep-3 (;=0.19410633;)
  )
)

(assert_return (invoke "" (f64.const 0x1.5cdc290785745p-241) (i64.const 15) (i64.const 5232239057444456312) (i32.const -141794946) (i64.const -275517625934474344) (i64.const -2147483648)) (i32.const 0) (f32.const 0x1.8d879ep-3))
;; the divergent state after that call: global "2": i64:-2334193688131147964 vs i64:1693365797458249405
(assert_return (get "2") (i64.const 1693365797458249405))
