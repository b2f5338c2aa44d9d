(module
  (type (;0;) (func (param i64) (result v128)))
  (type (;1;) (func (result i32 v128 f32 f64 f64 i32 f64 f32 f64 v128)))
  (memory (;0;) 1 1)
  (global (;0;) f64 f64.const 0x0p+0 (;=0;))
  (global (;1;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (global (;5;) (mut i32) i32.const 1)
  (export "" (func 1))
  (func (;0;) (type 1) (result i32 v128 f32 f64 f64 i32 f64 f32 f64 v128)
    unreachable
  )
  (func (;1;) (type 0) (param i64) (result v128)
    (local f32 f64 v128)
    i32.const 0
    if ;; label = @1
    end
    global.get 5
    global.set 5
    local.get 0
    block (type 0) (param i64) (result v128) ;; label = @1
      v128.const i32x4 0x207ca759 0xb089b96d 0xc3f62194 0x05ebb66e
      memory.size
      br_table 0 (;@1;) 1 0 (;@1;)
      block (type 1) (result i32 v128 f32 f64 f64 i32 f64 f32 f64 v128) ;; label = @2
        local.get 2
        global.get 0
        v128.const i32x4 0xd4e13ac4 0x5883bf9b 0x018093fc 0x6d6a25a9
        memory.size
        loop (type 1) (result i32 v128 f32 f64 f64 i32 f64 f32 f64 v128) ;; label = @3
          i32.const 0
          global.set 5
          block (type 1) (result i32 v128 f32 f64 f64 i32 f64 f32 f64 v128) ;; label = @4
            block ;; label = @5
              call 0
              local.get 3
              call 0
              local.set 3
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i32.reinterpret_f32
              global.get 3
              i32.xor
              global.set 3
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              global.get 4
              i32.xor
              global.set 4
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i32.reinterpret_f32
              global.get 3
              i32.xor
              global.set 3
              global.get 1
              v128.xor
              global.set 1
              global.get 4
              i32.xor
              global.set 4
              global.get 1
              v128.xor
              global.set 1
              global.get 1
              v128.xor
              global.set 1
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i32.reinterpret_f32
              global.get 3
              i32.xor
              global.set 3
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              global.get 4
              i32.xor
              global.set 4
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i64.reinterpret_f64
              global.get 2
              i64.xor
              global.set 2
              i32.reinterpret_f32
              global.get 3
              i32.xor
              global.set 3
              global.get 1
              v128.xor
              global.set 1
              global.get 4
              i32.xor
              global.set 4
            end
            i32.const 1
            v128.const i32x4 0xe1528d22 0x444be14b 0xd60ccb4d 0x6dcce395
            f32.const 0x1p-126 (;=0.000000000000000000000000000000000000011754944;)
            f64.const 0x0p+0 (;=0;)
            f64.const -0x1.d38ad238006e4p+778 (;=-2903471333501935600000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            i32.const 0
            f64.const -0x1.11df8c8f416b6p+482 (;=-13358802895586688000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            f32.const -nan:0x7bffff (;=NaN;)
            f64.const 0x1.fffffffff8p-1037 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001358077306213;)
            v128.const i32x4 0xffffffff 0x0000ffff 0xfe000000 0xffffffff
          end
        end
        global.get 1
        v128.xor
        global.set 1
        i64.reinterpret_f64
        i64.const 1
        i64.xor
        global.set 2
        i32.reinterpret_f32
        global.get 3
        i32.xor
        global.set 3
        i64.reinterpret_f64
        global.get 2
        i64.xor
        global.set 2
        global.get 4
        i32.xor
        global.set 4
        i64.reinterpret_f64
        global.get 2
        i64.xor
        global.set 2
        i64.reinterpret_f64
        global.get 2
        i64.xor
        global.set 2
        i32.reinterpret_f32
        global.get 3
        i32.xor
        global.set 3
        global.get 1
        v128.xor
        global.set 1
        global.get 4
        i32.xor
        global.set 4
        global.get 4
        i32.xor
        global.set 4
        global.get 1
        v128.xor
        global.set 1
        i64.reinterpret_f64
        i64.const 1
        i64.xor
        global.set 2
        i64.reinterpret_f64
        global.get 2
        i64.xor
        global.set 2
        i32.const 0
        v128.const i32x4 0x00000000 0x7ff80000 0xffffffff 0x0000007f
        f32.const -0x1p+65 (;=-36893490000000000000;)
        f64.const 0x1.df199bb2d32ebp-485 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018734337402561114;)
        f64.const 0x1.68p-1043 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000014920282905;)
        i32.const 15
        f64.const -0x1.a93ec7f21030ep+690 (;=-8532896978809270000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
        f32.const -0x1.fffffep+124 (;=-42535293000000000000000000000000000000;)
        f64.const 0x1.p-1063 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001012;)
        v128.const i32x4 0xffefffff 0xffffffff 0xf8000000 0xffffffff
      end
      global.get 1
      v128.xor
      global.set 1
      i64.reinterpret_f64
      i64.const 0
      i64.xor
      global.set 2
      i32.reinterpret_f32
      global.get 3
      i32.xor
      global.set 3
      i64.reinterpret_f64
      i64.const 0
      i64.xor
      global.set 2
      global.get 4
      i32.xor
      global.set 4
      i64.reinterpret_f64
      global.get 2
      i64.xor
      global.set 2
      i64.reinterpret_f64
      global.get 2
      i64.xor
      global.set 2
      i32.reinterpret_f32
      global.get 3
      i32.xor
      global.set 3
      global.get 1
      v128.xor
      global.set 1
      global.set 4
    end
  )
)
