;; wasmi 2.0.0: a value carried out of a loop by `br_table`, when the index
;; comes from `memory.grow` and a value of another type lies below it, comes
;; back garbled (address-like or stale bits). Expectations are the spec's:
;; passes on reference-vm, fails on wasmi (marked line).
(module
  (memory 1 1)
  (func $zero (result v128) v128.const i64x2 0 0)
  (func (export "grow-index") (result v128)
    block (result v128)
      loop (result v128)
        i64.const 0
        call $zero
        i32.const 1
        memory.grow
        br_table 1 2 1
      end
    end)
  ;; The same with a constant index is right on wasmi.
  (func (export "const-index") (result v128)
    block (result v128)
      loop (result v128)
        i64.const 0
        call $zero
        i32.const -1
        br_table 1 2 1
      end
    end))
(assert_return (invoke "grow-index") (v128.const i64x2 0 0)) ;; wasmi: garbage
(assert_return (invoke "const-index") (v128.const i64x2 0 0))
