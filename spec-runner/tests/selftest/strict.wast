;; Runner self-test for engines held to the spec interpreter's messages and
;; decode/validate stages (run with a scripted engine that reports stages).
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")  ;; expect: pass
(assert_invalid (module binary "\00asm\02\00\00\00") "type mismatch")             ;; expect: fail
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")       ;; expect: pass
(assert_malformed (module (func (result i32) (i64.const 0))) "type mismatch")     ;; expect: fail
(assert_invalid (module (func (result i32) (i64.const 0))) "unknown label")       ;; expect: fail
