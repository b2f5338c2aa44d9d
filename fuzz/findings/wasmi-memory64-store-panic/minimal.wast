;; wasmi 2.0.0 panics ("internal error: entered unreachable code", in its
;; translator's encode_store for i64.store8) on a valid function: a store to
;; a 64-bit memory whose address and value are the same local, set from
;; `memory.size`, with a large offset. Expectations are the spec's (the store
;; is in bounds: 2 + 109168 < 2 pages): passes on reference-vm; wasmi panics.
(module
  (memory i64 2 2)
  (func (export "f") (local i64)
    memory.size
    local.tee 0
    local.get 0
    i64.store8 offset=109168)
  (func (export "peek") (result i32)
    i64.const 109170
    i32.load8_u))
(assert_return (invoke "f"))
(assert_return (invoke "peek") (i32.const 2))
