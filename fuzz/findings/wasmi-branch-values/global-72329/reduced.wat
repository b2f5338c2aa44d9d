(module
  (type (;0;) (func (result i32)))
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;2;) (mut i32) i32.const 0)
  (export "v" (func 0))
  (export "" (global 1))
  (func (;0;) (type 0) (result i32)
    (local v128 f64 i32 i32 f32)
    block (result v128) ;; label = @1
      block (result v128) ;; label = @2
        block (result i32) ;; label = @3
          block ;; label = @4
            local.get 1
            f64.neg
            block (result f64) ;; label = @5
              local.get 0
              local.get 2
              br_table 3 (;@2;) 4 (;@1;) 4 (;@1;)
            end
            i64.reinterpret_f64
            global.set 0
            i64.reinterpret_f64
            global.set 0
          end
          i32.const 1
        end
        global.set 2
        v128.const i32x4 0x00000000 0x40000000 0xffffffff 0x00000fff
      end
    end
    global.set 1
    unreachable
  )
)
