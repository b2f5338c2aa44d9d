;; wasmi 2.0.0: values below the top of the stack are garbled across an empty
;; `if` (`i32.const 0 if end`); what comes back looks like a host address and
;; changes from run to run. Expectations are the spec's: passes on
;; reference-vm, fails on wasmi (lines marked).
(module
  (memory 1 1)
  ;; `br_if` out of a block with a parameter, then an empty `if`.
  (func (export "f") (param i32 i64) (result i64)
    local.get 1
    f32.const 3
    block (param f32)
      local.get 0
      br_if 0
      i32.const 0
      if
      end
      drop
    end)
  ;; A value returned from a call, an empty `if`, then `br_table` carrying
  ;; that value out of a loop.
  (func $zero (result v128) v128.const i64x2 0 0)
  (func (export "g") (result v128)
    block (result v128)
      loop (result v128)
        i64.const 0
        call $zero
        i32.const 1
        i32.const 0
        if
        end
        memory.grow
        br_table 1 2 1
      end
    end))
(assert_return (invoke "f" (i32.const 1) (i64.const 42)) (i64.const 42)) ;; wasmi: garbage
(assert_return (invoke "f" (i32.const 0) (i64.const 42)) (i64.const 42))
(assert_return (invoke "g") (v128.const i64x2 0 0))                      ;; wasmi: garbage
