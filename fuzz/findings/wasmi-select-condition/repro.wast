;; wasm-conform fuzz reproducer
;; engines: reference-vm, wasmi
;; divergence: instantiation (instantiation:uninstantiable)
;;   reference-vm: instantiated
;;   wasmi: uninstantiable: integer divide by zero
;; expectations are wasmi's outcomes: the script passes there and fails on reference-vm
;; wasm-level fuel is reset to 1000 before each call

(assert_trap
(module
  (type (;0;) (func))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i32) i32.const 3)
  (start 0)
  (func (;0;) (type 0)
    (local funcref i32 i32)
    global.get 3
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 3
    global.set 3
    local.get 0
    nop
    i32.const 0
    i32.const -3
    local.get 2
    local.get 2
    i32.eqz
    select
    i32.rem_u
    i64.extend_i32_s
    global.get 0
    global.set 2
    global.get 1
    i64.xor
    global.set 1
    drop
  )
)

"integer divide by zero")
