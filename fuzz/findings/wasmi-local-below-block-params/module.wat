(module
  (type (;0;) (func (param i32) (result v128)))
  (type (;1;) (func (param i32)))
  (table (;0;) i64 1 3 funcref)
  (global (;0;) (mut i64) i64.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 500)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (table 0))
  (export "=" (global 0))
  (export "\u{4}" (global 1))
  (export "'" (global 2))
  (export "6" (global 3))
  (export "__oracle_fuel" (func 2))
  (func (;0;) (type 0) (param i32) (result v128)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    block ;; label = @1
    end
    v128.const i32x4 0xffffffff 0x01ffffff 0xffffdfff 0xffffffff
  )
  (func (;1;) (type 0) (param i32) (result v128)
    (local f32 i32 v128 f64 i32 f64 f64 f64 f64 f64 f64 f64)
    global.get 4
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 4
    i32.const 1
    i32.sub
    global.set 4
    f32.const 0x1.ba759cp-111 (;=0.00000000000000000000000000000000066573893;)
    i32.trunc_sat_f32_s
    f64.const -0x1.9d3c9c35933e7p-456 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008675229209776267;)
    i32.trunc_sat_f64_u
    local.set 5
    i32.const -2
    local.get 5
    local.get 5
    i32.eqz
    select
    i32.div_u
    f64.const 0x1.ffffffffffff8p-1025 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005562684646268;)
    i64.const -524288
    i32.const -4
    f64.convert_i32_s
    f64.trunc
    local.tee 6
    f64.const nan (;=NaN;)
    local.get 6
    local.get 6
    f64.eq
    select
    f64.abs
    local.tee 4
    v128.const i32x4 0x512d1fd2 0xc3a70b6c 0x9501f623 0x9ba5dbd7
    local.set 3
    i32.const -1712639138
    f64.const -0x1.61f75dcdf955bp+312 (;=-11536672588422040000000000000000000000000000000000000000000000000000000000000000000000000000000;)
    local.get 2
    f64.convert_i32_s
    f64.trunc
    local.tee 7
    f64.const nan (;=NaN;)
    local.get 7
    local.get 7
    f64.eq
    select
    f64.max
    local.tee 8
    f64.const nan (;=NaN;)
    local.get 8
    local.get 8
    f64.eq
    select
    f64.trunc
    local.tee 9
    f64.const nan (;=NaN;)
    local.get 9
    local.get 9
    f64.eq
    select
    f64.trunc
    local.tee 10
    f64.const nan (;=NaN;)
    local.get 10
    local.get 10
    f64.eq
    select
    i32.trunc_sat_f64_s
    if (type 0) (param i32) (result v128) ;; label = @1
      local.set 0
      i64.const 1
      f64.convert_i64_u
      local.tee 4
      f64.floor
      local.tee 11
      f64.const nan (;=NaN;)
      local.get 11
      local.get 11
      f64.eq
      select
      v128.const i32x4 0x1205e674 0x80849c53 0x7ad4a4e6 0x177a6c1d
      local.tee 3
      f64.const -nan:0xfffffffff0000 (;=NaN;)
      f32.const 0x0p+0 (;=0;)
      i32.trunc_sat_f32_s
      i32.const 2
      i32.gt_s
      f64.const 0x1.fffffffffffffp-1008 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007291122019556397;)
      i64.reinterpret_f64
      f64.convert_i64_u
      i64.trunc_sat_f64_u
      i64.clz
      f64.reinterpret_i64
      f64.abs
      f64.const 0x1.p-1028 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000034766779039175;)
      f64.floor
      local.tee 12
      f64.const nan (;=NaN;)
      local.get 12
      local.get 12
      f64.eq
      select
      i64.reinterpret_f64
      global.get 0
      i64.xor
      global.set 0
      i64.reinterpret_f64
      global.get 0
      i64.xor
      global.set 0
      global.get 1
      i32.xor
      global.set 1
      i64.reinterpret_f64
      global.get 0
      i64.xor
      global.set 0
      global.get 2
      v128.xor
      global.set 2
      i64.reinterpret_f64
      global.get 0
      i64.xor
      global.set 0
      v128.const i32x4 0xad7865ae 0x3514ea2a 0x5ea94685 0x2663341a
    else
      global.get 1
      i32.xor
      global.set 1
      v128.const i32x4 0xffffffff 0xfeffffff 0x00000000 0xfff80000
    end
    global.get 2
    v128.xor
    global.set 2
    i64.reinterpret_f64
    global.get 0
    i64.xor
    global.set 0
    global.get 3
    i64.xor
    global.set 3
    i64.reinterpret_f64
    global.get 0
    i64.xor
    global.set 0
    global.get 1
    i32.xor
    global.set 1
    v128.const i32x4 0x00003fff 0x00000000 0xfffc0000 0xffffffff
  )
  (func (;2;) (type 1) (param i32)
    local.get 0
    global.set 4
  )
)
