;; wasmi 2.0.0: after a `br_if` out of a block with a parameter, followed by
;; an `if` in the same block, the value below the block's parameter is
;; garbage (it looks like a host address and changes from run to run).
;; Expectations are the spec's: passes on reference-vm, fails on wasmi.
(module
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
    end))
(assert_return (invoke "f" (i32.const 1) (i64.const 42)) (i64.const 42)) ;; wasmi: garbage
(assert_return (invoke "f" (i32.const 0) (i64.const 42)) (i64.const 42))
