(module
  (type (;0;) (func))
  (type (;1;) (func (param i32)))
  (table (;0;) 1 10 funcref)
  (memory (;0;) i64 0 1)
  (memory (;1;) i64 2 2)
  (global (;0;) i64 i64.const 6379435497481908776)
  (global (;1;) i32 i32.const 1290002268 i32.const 400100330 i32.const 500973906 i32.const 685191788 i32.const 1603993925 i32.const 2034374105 i32.const -1438161973 i32.const 2092555149 i32.add i32.const -61063702 i32.mul i32.sub i32.sub i32.sub i32.add i32.sub i32.mul i32.const -2027334109 i32.add)
  (global (;2;) (mut i32) i32.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (global (;5;) (mut i64) i64.const 0)
  (global (;6;) (mut i32) i32.const 500)
  (start 1)
  (func (;0;) (type 0)
    global.get 6
    if ;; label = @1
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    table.size 0
    memory.size
    f32.load align=1
    i64.const 0
    i32.load8_s 1 offset=10695
    block ;; label = @1
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
    if ;; label = @1
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    f64.const -0x1.3351feb962cc8p-331 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000274424390641465;)
    i64.trunc_sat_f64_u
    f64.convert_i64_u
    f64.const nan (;=NaN;)
    local.get 1
    local.get 1
    f64.eq
    select
    f64.const nan (;=NaN;)
    local.get 2
    local.get 2
    f64.eq
    select
    i32.trunc_f64_s
    memory.size 1
    local.tee 0
    local.get 0
    i64.store8 1 offset=109168
    f64.convert_i32_s
    loop (type 0) ;; label = @1
      global.get 6
      if ;; label = @2
      end
      global.get 6
      i32.const 1
      i32.sub
      global.set 6
      ref.null func
      i64.const -8
      i32.const -6
      f32.convert_i32_u
      i64.trunc_f32_s
      block ;; label = @2
        f32.const -0x1.fffffep+64 (;=-36893486000000000000;)
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
