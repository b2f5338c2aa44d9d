;; Runner self-test: every component directive, against the scripted engine of
;; tests/selftest.rs (`ScriptedComponents`), which runs no component: the
;; names inside a component's binary and the export called choose what it
;; does (see that engine's doc comment). Core modules run on wasmi.
;; Run with strict messages, as the reference VM is.

(component $A (import "f" (func)))

;; assert_return with every kind of component value, matching and not.
(assert_return (invoke "echo" (u32.const 7)) (u32.const 7))                         ;; expect: pass
(assert_return (invoke "echo" (u32.const 7)) (u32.const 8))                         ;; expect: fail
(assert_return (invoke "echo" (u32.const 7)) (s32.const 7))                         ;; expect: fail
(assert_return (invoke "echo" (bool.const true)) (bool.const true))                 ;; expect: pass
(assert_return (invoke "echo" (s64.const -1)) (s64.const -1))                       ;; expect: pass
(assert_return (invoke "echo" (str.const "héllo")) (str.const "héllo"))             ;; expect: pass
(assert_return (invoke "echo" (str.const "a")) (str.const "b"))                     ;; expect: fail
(assert_return (invoke "echo" (char.const "x")) (char.const "x"))                   ;; expect: pass
(assert_return (invoke "echo" (list.const (u8.const 1) (u8.const 2))) (list.const (u8.const 1) (u8.const 2))) ;; expect: pass
(assert_return (invoke "echo" (list.const (u8.const 1) (u8.const 2))) (list.const (u8.const 1)))              ;; expect: fail
(assert_return (invoke "echo" (record.const (field "a" u8.const 1) (field "b" str.const "x")))
  (record.const (field "a" u8.const 1) (field "b" str.const "x")))              ;; expect: pass
(assert_return (invoke "echo" (record.const (field "a" u8.const 1)))
  (record.const (field "b" u8.const 1)))                                           ;; expect: fail
(assert_return (invoke "echo" (tuple.const (u8.const 1) (str.const "x"))) (tuple.const (u8.const 1) (str.const "x"))) ;; expect: pass
(assert_return (invoke "echo" (variant.const "c" (u32.const 1))) (variant.const "c" (u32.const 1)))  ;; expect: pass
(assert_return (invoke "echo" (variant.const "c" (u32.const 1))) (variant.const "c"))                ;; expect: fail
(assert_return (invoke "echo" (enum.const "e")) (enum.const "e"))                   ;; expect: pass
(assert_return (invoke "echo" (enum.const "e")) (enum.const "f"))                   ;; expect: fail
(assert_return (invoke "echo" (option.some (u8.const 1))) (option.some (u8.const 1)))  ;; expect: pass
(assert_return (invoke "echo" (option.none)) (option.some (u8.const 1)))               ;; expect: fail
(assert_return (invoke "echo" (result.ok (u8.const 1))) (result.ok (u8.const 1)))      ;; expect: pass
(assert_return (invoke "echo" (result.ok (u8.const 1))) (result.err (u8.const 1)))     ;; expect: fail
(assert_return (invoke "echo" (result.err)) (result.err))                              ;; expect: pass
(assert_return (invoke "echo" (flags.const "a" "b")) (flags.const "b" "a"))            ;; expect: pass
(assert_return (invoke "echo" (flags.const "a")) (flags.const "a" "b"))                ;; expect: fail
(assert_return (invoke "echo" (f32.const 1.5)) (f32.const 1.5))                        ;; expect: pass
(assert_return (invoke "echo" (f64.const -0)) (f64.const 0))                           ;; expect: fail
;; "nan" returns f32 NaN 0x7fc00001: any expected NaN matches it.
(assert_return (invoke "nan") (f32.const nan))                                      ;; expect: pass
(assert_return (invoke "nan") (f32.const 0))                                        ;; expect: fail
(assert_return (invoke "nan") (f32.const nan:canonical))                            ;; expect: fail
(assert_return (invoke "nan") (f32.const nan:arithmetic))                           ;; expect: pass
(assert_return (invoke "nothing"))                                                  ;; expect: pass
(assert_return (invoke "nothing") (u32.const 1))                                    ;; expect: fail
;; A handle never matches a written value.
(assert_return (invoke "handle") (u32.const 3))                                     ;; expect: fail
;; A core argument to a component function is a script error.
(assert_return (invoke "echo" (i32.const 1)) (u32.const 1))                         ;; expect: error

;; assert_trap: the actual message must contain the expected text.
(assert_trap (invoke "handle-trap") "unknown handle index")                         ;; expect: pass
(assert_trap (invoke "handle-trap") "cannot leave component instance")              ;; expect: fail
(assert_trap (invoke "unreachable") "unreachable")                                  ;; expect: pass
(assert_trap (invoke "handle-trap") "unreachable")                                  ;; expect: fail
(assert_trap (invoke "echo" (u32.const 1)) "unknown handle index")                  ;; expect: fail

;; A bare invoke reports only when it does not return.
(invoke "echo" (u32.const 1))
(invoke "handle-trap")                                                              ;; expect: fail

;; Validation and decoding of components.
(assert_invalid (component (import "invalid" (func))) "type mismatch")              ;; expect: pass
(assert_invalid (component (import "invalid" (func))) "duplicate name")             ;; expect: fail
(assert_invalid (component (import "fine" (func))) "type mismatch")                 ;; expect: fail
(assert_malformed (component binary "\00asm\0e\00\01\00") "unknown binary version") ;; expect: pass
(assert_malformed (component binary "\00asm\0d\00\01\00") "unknown binary version") ;; expect: fail
;; A quoted component the text parser rejects is the text parser's pass.
(assert_malformed (component quote "(import \"x\" (func)") "unexpected token")      ;; expect: pass
;; One it accepts must be rejected by the engine at the decoding stage.
(assert_malformed (component quote "(import \"invalid\" (func))") "type mismatch") ;; expect: fail

;; Definitions, instances, register and assert_unlinkable.
(component definition $D (import "needs-dep" (instance)))
(component instance $d1 $D)                                                         ;; expect: fail
(assert_return (invoke $d1 "echo" (u32.const 1)) (u32.const 1))                     ;; expect: blocked
(assert_unlinkable (component (import "needs-dep" (instance))) "missing import named `dep`") ;; expect: pass
(component $Dep)
(register "dep" $Dep)
(assert_unlinkable (component (import "needs-dep" (instance))) "missing import")   ;; expect: fail
(component instance $d2 $D)
(assert_return (invoke $d2 "echo" (u32.const 2)) (u32.const 2))                     ;; expect: pass

;; An instantiation that traps.
(assert_trap (component (import "start-traps" (func))) "start trapped")            ;; expect: pass
(assert_trap (component (import "f" (func))) "start trapped")                      ;; expect: fail

;; Core modules and components side by side: their ids stay apart.
(module $core (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke $core "one") (i32.const 1))                                  ;; expect: pass
(assert_return (invoke "one") (i32.const 1))                                        ;; expect: pass
(assert_return (invoke $A "echo" (u32.const 3)) (u32.const 3))                      ;; expect: pass
(assert_return (invoke $d2 "echo" (u32.const 4)) (u32.const 4))                     ;; expect: pass

;; A component directive the wast crate cannot parse is one runner error,
;; and what follows on its instance is blocked.
(component (frobnicate))                                                            ;; expect: error
(assert_return (invoke "echo" (u32.const 1)) (u32.const 1))                         ;; expect: blocked
