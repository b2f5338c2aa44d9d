;; wasmi-local-below-block-params: a local's value left on the stack below a
;; `block` or `if` with parameters, which writes that local on one path, is
;; lost on the path that does not write it (wasmi reads a slot only the
;; writing path fills). Expectations are the spec's: reference-vm passes,
;; wasmi 2.0.0 fails the three calls that skip the write (each call passes a
;; new value, since the stale slot may hold an earlier call's).
(module
  ;; The `else` arm writes local 1, whose earlier value is below the `if`.
  (func (export "else-writes") (param i32 f64) (result f64)
    local.get 1
    i32.const 7
    local.get 0
    if (param i32) (result i32)
    else
      f64.const 1
      local.set 1
    end
    drop)
  ;; The value below is local 2, set by `local.tee`; the `then` arm writes it.
  (func (export "then-writes-teed") (param i32 f64) (result f64) (local f64)
    local.get 1
    local.tee 2
    i32.const 7
    local.get 0
    if (param i32) (result i32)
      f64.const 1
      local.set 2
    end
    drop)
  ;; A `block` with a parameter: leaving early keeps local 1's old value.
  (func (export "block") (param i32 f64) (result f64)
    local.get 1
    i32.const 7
    block (param i32) (result i32)
      local.get 0
      br_if 0
      f64.const 1
      local.set 1
    end
    drop)
)
(assert_return (invoke "else-writes" (i32.const 1) (f64.const -4)) (f64.const -4))
(assert_return (invoke "else-writes" (i32.const 0) (f64.const -5)) (f64.const -5))
(assert_return (invoke "then-writes-teed" (i32.const 0) (f64.const -6)) (f64.const -6))
(assert_return (invoke "then-writes-teed" (i32.const 1) (f64.const -7)) (f64.const -7))
(assert_return (invoke "block" (i32.const 0) (f64.const -8)) (f64.const -8))
(assert_return (invoke "block" (i32.const 1) (f64.const -9)) (f64.const -9))
