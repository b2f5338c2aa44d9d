;; Runner self-test on reference-vm@latest: every memory instruction on a
;; shared memory (which the reference VM runs off its fast path).
(module $M
  (memory $s 1 2 shared)
  (memory $u 1 1)
  (data (memory $s) (i32.const 8) "\01\02\03\04\05\06\07\08\09")
  (data $p "abcd")
  (func (export "load8") (param i32) (result i32) (i32.load8_u $s (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load $s (local.get 0)))
  (func (export "store32") (param i32 i32) (i32.store $s (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size $s))
  (func (export "grow") (param i32) (result i32) (memory.grow $s (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill $s (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy $s $s (local.get 0) (local.get 1) (local.get 2)))
  (func (export "to_unshared") (param i32 i32 i32) (memory.copy $u $s (local.get 0) (local.get 1) (local.get 2)))
  (func (export "from_unshared") (param i32 i32 i32) (memory.copy $s $u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "u_load32") (param i32) (result i32) (i32.load $u (local.get 0)))
  (func (export "init") (param i32 i32 i32) (memory.init $s $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "v128") (param i32) (result i64)
    (v128.store $s (i32.const 100) (v128.load $s (local.get 0)))
    (i64x2.extract_lane 1 (v128.load $s (i32.const 100))))
  (func (export "wait_timeout") (result i32)
    (memory.atomic.wait64 $s (i32.const 1024) (i64.const 0) (i64.const 1000)))
  (func (export "wait_unshared") (result i32)
    (memory.atomic.wait32 $u (i32.const 0) (i32.const 0) (i64.const 0)))
  (func (export "notify_unshared") (result i32)
    (memory.atomic.notify $u (i32.const 0) (i32.const 5)))
  (func (export "cmpxchg8") (param i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u $s (i32.const 8) (local.get 0) (local.get 1)))
  (func (export "fence") (atomic.fence))
)

(assert_return (invoke "load32" (i32.const 8)) (i32.const 0x04030201))        ;; expect: pass
(assert_return (invoke "load32" (i32.const 9)) (i32.const 0x05040302))        ;; expect: pass
(assert_return (invoke "load32" (i32.const 13)) (i32.const 0x09080706))       ;; expect: pass
(invoke "store32" (i32.const 7) (i32.const -1))
(assert_return (invoke "load8" (i32.const 6)) (i32.const 0))                  ;; expect: pass
(assert_return (invoke "load8" (i32.const 11)) (i32.const 4))                 ;; expect: pass
(assert_return (invoke "load32" (i32.const 8)) (i32.const 0x04ffffff))        ;; expect: pass
(assert_return (invoke "size") (i32.const 1))                                 ;; expect: pass
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))                   ;; expect: pass
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))                  ;; expect: pass
(assert_return (invoke "size") (i32.const 2))                                 ;; expect: pass
(assert_trap (invoke "load32" (i32.const 131069)) "out of bounds memory access") ;; expect: pass
(invoke "fill" (i32.const 70000) (i32.const 0xab) (i32.const 13))
(assert_return (invoke "load32" (i32.const 70009)) (i32.const 0xabababab))    ;; expect: pass
(assert_return (invoke "load8" (i32.const 70013)) (i32.const 0))              ;; expect: pass
(assert_trap (invoke "fill" (i32.const 131070) (i32.const 1) (i32.const 3)) "out of bounds memory access") ;; expect: pass
(invoke "copy" (i32.const 9) (i32.const 8) (i32.const 8))
(assert_return (invoke "load32" (i32.const 8)) (i32.const 0xffffffff))        ;; expect: pass
(assert_return (invoke "load32" (i32.const 12)) (i32.const 0x07060504))       ;; expect: pass
(invoke "to_unshared" (i32.const 0) (i32.const 8) (i32.const 8))
(assert_return (invoke "u_load32" (i32.const 4)) (i32.const 0x07060504))      ;; expect: pass
(invoke "from_unshared" (i32.const 200) (i32.const 4) (i32.const 4))
(assert_return (invoke "load32" (i32.const 200)) (i32.const 0x07060504))      ;; expect: pass
(assert_trap (invoke "to_unshared" (i32.const 65535) (i32.const 0) (i32.const 2)) "out of bounds memory access") ;; expect: pass
(invoke "init" (i32.const 301) (i32.const 1) (i32.const 3))
(assert_return (invoke "load32" (i32.const 300)) (i32.const 0x64636200))      ;; expect: pass
(assert_trap (invoke "init" (i32.const 0) (i32.const 2) (i32.const 3)) "out of bounds memory access") ;; expect: pass
(assert_return (invoke "v128" (i32.const 292)) (i64.const 0x64636200))       ;; expect: pass
(assert_return (invoke "wait_timeout") (i32.const 2))                         ;; expect: pass
(assert_trap (invoke "wait_unshared") "expected shared memory")               ;; expect: pass
(assert_return (invoke "notify_unshared") (i32.const 0))                      ;; expect: pass
;; cmpxchg compares the expected value wrapped to the access width.
(assert_return (invoke "cmpxchg8" (i32.const 0x1ff) (i32.const 0x42)) (i32.const 0xff)) ;; expect: pass
(assert_return (invoke "load8" (i32.const 8)) (i32.const 0x42))               ;; expect: pass
(invoke "fence")

;; A 64-bit shared memory.
(module
  (memory i64 1 1 shared)
  (func (export "rmw") (param i64) (result i64) (i64.atomic.rmw.add (local.get 0) (i64.const 5)))
  (func (export "unaligned") (result i64) (i64.atomic.load (i64.const 65540)))
)
(assert_return (invoke "rmw" (i64.const 8)) (i64.const 0))                    ;; expect: pass
(assert_return (invoke "rmw" (i64.const 8)) (i64.const 5))                    ;; expect: pass
(assert_trap (invoke "rmw" (i64.const 65536)) "out of bounds memory access")  ;; expect: pass
(assert_trap (invoke "unaligned") "unaligned atomic")                         ;; expect: pass
