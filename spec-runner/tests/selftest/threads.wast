;; Runner self-test: `thread` blocks run on OS threads over shared memory, and
;; `wait` joins them. Assertions inside a thread are verdicts of their own.

;; Message passing: $Writer stores the data, then the flag (atomically), then
;; notifies; $Reader waits for the flag and reads the data.
(module $Mem
  (memory (export "shared") 1 1 shared)
  (func (export "flag") (result i32) (i32.atomic.load (i32.const 4)))
  (func (export "data") (result i32) (i32.load (i32.const 0)))
)
(register "mem" $Mem)

(thread $Reader (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run") (result i32)
      (block $done
        (loop $again
          (br_if $done (i32.atomic.load (i32.const 4)))
          (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1)))
          (br $again)))
      (i32.load (i32.const 0)))
  )
  (assert_return (invoke "run") (i32.const 42))                                ;; expect: pass
  (assert_return (invoke "run") (i32.const 41))                                ;; expect: fail
)

(thread $Writer (shared (module $Mem))
  (register "mem" $Mem)
  (module
    (memory (import "mem" "shared") 1 1 shared)
    (func (export "run")
      (i32.store (i32.const 0) (i32.const 42))
      (i32.atomic.store (i32.const 4) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
    (func (export "misaligned") (result i32) (i32.atomic.load (i32.const 2)))
  )
  (invoke "run")
  (assert_trap (invoke "misaligned") "unaligned atomic")                       ;; expect: pass
)

(wait $Reader)
(wait $Writer)
(assert_return (invoke $Mem "flag") (i32.const 1))                             ;; expect: pass
(assert_return (invoke $Mem "data") (i32.const 42))                            ;; expect: pass

;; A counter: two threads add 5000 each with i32.atomic.rmw.add.
(module $Counter
  (memory (export "m") 1 1 shared)
  (func (export "get") (result i32) (i32.atomic.load (i32.const 0)))
)

(thread $A (shared (module $Counter))
  (register "c" $Counter)
  (module
    (memory (import "c" "m") 1 1 shared)
    (func (export "add") (param $n i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $n)))
          (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again))))
  )
  (invoke "add" (i32.const 5000))
)

(thread $B (shared (module $Counter))
  (register "c" $Counter)
  (module
    (memory (import "c" "m") 1 1 shared)
    (func (export "add") (param $n i32)
      (block $done
        (loop $again
          (br_if $done (i32.eqz (local.get $n)))
          (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again))))
  )
  (invoke "add" (i32.const 5000))
)

(wait $A)
(wait $B)
(assert_return (invoke $Counter "get") (i32.const 10000))                      ;; expect: pass

;; spectest.shared_memory is one memory for every thread.
(module $Main
  (memory (import "spectest" "shared_memory") 1 1 shared)
  (func (export "get") (result i32) (i32.atomic.load (i32.const 64)))
)
(thread $S
  (module
    (memory (import "spectest" "shared_memory") 1 1 shared)
    (func (export "set") (i32.atomic.store (i32.const 64) (i32.const 7)))
    (func (export "wait_unshared") (result i32) (i32.const 0))
  )
  (invoke "set")
  (assert_unlinkable (module (import "spectest" "shared_memory" (memory 1 1))) "incompatible import type") ;; expect: pass
)
(wait $S)
(assert_return (invoke $Main "get") (i32.const 7))                             ;; expect: pass

;; A thread that is never waited for is joined at the end of the script.
(thread $Late
  (module (func (export "one") (result i32) (i32.const 1)))
  (assert_return (invoke "one") (i32.const 1))                                 ;; expect: pass
  (assert_return (invoke "one") (i32.const 2))                                 ;; expect: fail
)

;; A thread may start threads of its own.
(thread $Outer
  (module (func (export "two") (result i32) (i32.const 2)))
  (thread $Inner
    (module (func (export "three") (result i32) (i32.const 3)))
    (assert_return (invoke "three") (i32.const 3))                             ;; expect: pass
  )
  (wait $Inner)
  (assert_return (invoke "two") (i32.const 2))                                 ;; expect: pass
)
(wait $Outer)
