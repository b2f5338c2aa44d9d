(module
  (type (;0;) (func))
  (type (;1;) (func (param i32)))
  (table (;0;) 1 10 funcref)
  (table (;1;) i64 1 26 externref)
  (memory (;0;) i64 0 1)
  (memory (;1;) i64 2 2)
  (global (;0;) i64 i64.const 6379435497481908776)
  (global (;1;) i32 i32.const 1290002268 i32.const 400100330 i32.const 500973906 i32.const 685191788 i32.const 1603993925 i32.const 2034374105 i32.const -1438161973 i32.const 2092555149 i32.add i32.const -61063702 i32.mul i32.sub i32.sub i32.sub i32.add i32.sub i32.mul i32.const -2027334109 i32.add)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (global (;5;) (mut i64) i64.const 0)
  (global (;6;) (mut i32) i32.const 500)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (table 0))
  (export "3" (table 1))
  (export "4" (memory 0))
  (export "5" (memory 1))
  (export "6" (global 0))
  (export "7" (global 1))
  (export "\u{16}" (global 2))
  (export "u" (global 3))
  (export "10" (global 4))
  (export "7\u{5}@P" (global 5))
  (export "__oracle_fuel" (func 2))
  (start 1)
  (func (;0;) (type 0)
    (local i32 f64 f64 f64 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    table.size 0
    memory.size
    i64.load8_s 1 offset=18749
    f32.load align=1
    i64.const 0
    call 1
    i64.load32_s 1 offset=131072
    i64.load16_u
    i32.load8_s 1 offset=10695
    block ;; label = @1
      f64.const -0x1.213b8e8989959p-223 (;=-0.00000000000000000000000000000000000000000000000000000000000000000008381433601378741;)
      local.tee 1
      i32.trunc_sat_f64_u
      i64.extend_i32_u
      i64.load16_u align=1
      i32.load 1 offset=14048
      nop
      i64.extend_i32_u
      return_call 0
      f64.load 1 offset=35654 align=4
      f64.nearest
      local.tee 2
      f64.const nan (;=NaN;)
      local.get 2
      local.get 2
      f64.eq
      select
      i64.const 1802456219238702683
      f64.load align=4
      f64.ceil
      local.tee 3
      f64.const nan (;=NaN;)
      local.get 3
      local.get 3
      f64.eq
      select
      return_call 0
      f32.const nan (;=NaN;)
      f32.floor
      local.tee 4
      f32.const nan (;=NaN;)
      local.get 4
      local.get 4
      f32.eq
      select
      i32.reinterpret_f32
      global.get 2
      i32.xor
      global.set 2
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
      i64.reinterpret_f64
      global.get 3
      i64.xor
      global.set 3
    end
    global.get 4
    i32.xor
    global.set 4
    i32.reinterpret_f32
    global.get 2
    i32.xor
    global.set 2
    global.get 4
    i32.xor
    global.set 4
  )
  (func (;1;) (type 0)
    (local i64 f64 f64)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    f64.const -0x1.3351feb962cc8p-331 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000274424390641465;)
    i64.trunc_sat_f64_u
    call 0
    i64.load offset=54290 align=4
    i64.load16_s align=1
    f64.convert_i64_u
    f64.sqrt
    local.tee 1
    f64.const nan (;=NaN;)
    local.get 1
    local.get 1
    f64.eq
    select
    f64.sqrt
    local.tee 2
    f64.const nan (;=NaN;)
    local.get 2
    local.get 2
    f64.eq
    select
    i32.trunc_f64_s
    memory.size 1
    memory.grow 1
    local.tee 0
    local.get 0
    i64.store8 1 offset=109168
    nop
    f64.convert_i32_s
    loop (type 0) ;; label = @1
      global.get 6
      i32.eqz
      if ;; label = @2
        unreachable
      end
      global.get 6
      i32.const 1
      i32.sub
      global.set 6
      ref.null func
      i64.const -8
      local.tee 0
      i64.load8_s
      i64.load8_u 1 offset=81231
      i64.load32_s align=1
      i64.load8_s 1 offset=81067
      i32.const -6
      f32.convert_i32_u
      i64.trunc_f32_s
      block ;; label = @2
        f32.const -0x1.fffffep+64 (;=-36893486000000000000;)
        f32.neg
        global.get 1
        f64.convert_i32_u
        i64.trunc_sat_f64_u
        global.get 5
        i64.xor
        global.set 5
        i32.reinterpret_f32
        global.get 2
        i32.xor
        global.set 2
      end
      global.get 5
      i64.xor
      global.set 5
      global.get 5
      i64.xor
      global.set 5
      drop
    end
    i64.reinterpret_f64
    global.get 3
    i64.xor
    global.set 3
  )
  (func (;2;) (type 1) (param i32)
    local.get 0
    global.set 6
  )
)
