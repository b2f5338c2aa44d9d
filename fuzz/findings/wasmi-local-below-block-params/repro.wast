;; wasm-conform fuzz reproducer
;; engines: reference-vm@latest, wasmi
;; divergence: return-vs-trap (return-vs-trap:integer divide by zero)
;;   reference-vm@latest: returned [v128:0xfffffffffffc00000000000000003fff]
;;   wasmi: trap: integer divide by zero
;; expectations are wasmi's outcomes: the script passes there and fails on reference-vm@latest
;; wasm-level fuel is reset to 500 before each call

(module
  (type (;0;) (func (param i32) (result v128)))
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 15)
  (export "" (func 0))
  (func (;0;) (type 0) (param i32) (result v128)
    (local f32 i32 v128 f64 i32 f64 f64 f64 f64 f64 f64 f64)
    global.get 4
    if ;; label = @1
    end
    i32.const 0
    i32.const -2
    local.get 5
    local.get 5
    i32.eqz
    select
    i32.div_u
    f64.const 0x1.ffffffffffff8p-1025 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005562684646268;)
    f64.const -0x1.8749112a09c41p+969 (;=-7626398536006475000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
    i32.const 0
    i32.const 0
    if (type 0) (param i32) (result v128) ;; label = @1
      local.set 0
      v128.const i32x4 0xad7865ae 0x3514ea2a 0x5ea94685 0x2663341a
    else
      global.set 1
      v128.const i32x4 0xffffffff 0xfeffffff 0x00000000 0xfff80000
    end
    global.set 2
    i64.reinterpret_f64
    global.set 3
    i64.reinterpret_f64
    global.set 0
    global.set 1
    v128.const i32x4 0x00003fff 0x00000000 0xfffc0000 0xffffffff
  )
)

;; the divergent call:
;;   reference-vm@latest: returned [v128:0xfffffffffffc00000000000000003fff]
;;   wasmi: trap: integer divide by zero
(assert_trap (invoke "" (i32.const -2147483648)) "integer divide by zero")
