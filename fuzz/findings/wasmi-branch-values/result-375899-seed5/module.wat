(module
  (type (;0;) (func (result i64 i64)))
  (type (;1;) (func (param i32)))
  (type (;2;) (func (param i32) (result i32)))
  (memory (;0;) 1 1)
  (memory (;1;) 1 2)
  (global (;0;) (mut i64) i64.const -8414264983816748476 i64.const 6891669472864449672 i64.const 4862253366291898257 i64.const 5135123192142675423 i64.mul i64.const -8284069700273233940 i64.const -8420154624471327057 i64.mul i64.const 908887587886403050 i64.sub i64.sub i64.add i64.const -932149198570541825 i64.sub i64.sub)
  (global (;1;) (mut i32) i32.const 500)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (memory 0))
  (export "3" (memory 1))
  (export "4" (global 0))
  (export "__oracle_fuel" (func 2))
  (export "__oracle_peek" (func 3))
  (elem (;0;) func)
  (func (;0;) (type 0) (result i64 i64)
    (local f32 i64 f32 i32 i32 i32 i32 i32 f32 i32 i64)
    global.get 1
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1
    elem.drop 0
    block (type 0) (result i64 i64) ;; label = @1
      elem.drop 0
      elem.drop 0
      f32.const -0x1.333f4p+41 (;=-2639232200000;)
      local.get 1
      i64.const -4611686018427387904
      memory.size
      br_table 0 (;@1;) 1 1
      local.tee 2
      local.get 2
      f32.ne
      local.get 2
      f32.const inf (;=inf;)
      f32.eq
      local.get 2
      f32.const -inf (;=-inf;)
      f32.eq
      i32.or
      i32.or
      if ;; label = @2
        f32.const 0x0p+0 (;=0;)
        local.set 2
      end
      local.get 2
      f32.const 0x0p+0 (;=0;)
      f32.lt
      if ;; label = @2
        f32.const 0x0p+0 (;=0;)
        local.set 2
      end
      local.get 2
      f32.const 0x1.fffffep+30 (;=2147483500;)
      f32.gt
      if ;; label = @2
        f32.const 0x1.fffffep+30 (;=2147483500;)
        local.set 2
      end
      local.get 2
      i32.trunc_f32_u
      local.set 3
      block ;; label = @2
        block ;; label = @3
          memory.size 1
          i32.const 65536
          i32.mul
          i32.const 64377
          local.get 3
          i32.add
          i32.le_u
          br_if 0 (;@3;)
          local.get 3
          i32.const 0
          i32.le_s
          br_if 0 (;@3;)
          local.get 3
          i32.load16_u 1 offset=64373 align=1
          local.set 4
          br 1 (;@2;)
        end
        i32.const 0
        local.set 4
      end
      local.get 4
      local.set 5
      block ;; label = @2
        block ;; label = @3
          memory.size
          i32.const 65536
          i32.mul
          i32.const 11797
          local.get 5
          i32.add
          i32.le_u
          br_if 0 (;@3;)
          local.get 5
          i32.const 0
          i32.le_s
          br_if 0 (;@3;)
          local.get 5
          i32.load8_s offset=11793
          local.set 6
          br 1 (;@2;)
        end
        i32.const 0
        local.set 6
      end
      local.get 6
      i32.popcnt
      memory.size
      i32.mul
      nop
      local.set 7
      block ;; label = @2
        block ;; label = @3
          memory.size
          i32.const 65536
          i32.mul
          i32.const 45707
          local.get 7
          i32.add
          i32.le_u
          br_if 0 (;@3;)
          local.get 7
          i32.const 0
          i32.le_s
          br_if 0 (;@3;)
          local.get 7
          f32.load offset=45703
          local.set 8
          br 1 (;@2;)
        end
        f32.const 0x0p+0 (;=0;)
        local.set 8
      end
      local.get 8
      i32.trunc_sat_f32_u
      elem.drop 0
      local.set 9
      block ;; label = @2
        block ;; label = @3
          memory.size
          i32.const 65536
          i32.mul
          i32.const 41749
          local.get 9
          i32.add
          i32.le_u
          br_if 0 (;@3;)
          local.get 9
          i32.const 0
          i32.le_s
          br_if 0 (;@3;)
          local.get 9
          i64.load32_u offset=41741 align=1
          local.set 10
          br 1 (;@2;)
        end
        i64.const 0
        local.set 10
      end
      local.get 10
      i64.const 8391860217196894431
    end
  )
  (func (;1;) (type 0) (result i64 i64)
    (local f64 f64 f64 i32 f64 i32 f32)
    global.get 1
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 1
    i32.const 1
    i32.sub
    global.set 1
    local.get 1
    i64.trunc_sat_f64_u
    i32.const 1023
    if (type 0) (result i64 i64) ;; label = @1
      call 1
      block (type 0) (result i64 i64) ;; label = @2
        call 1
        i64.const -262144
        call 1
        i64.shr_s
        i64.popcnt
        i64.ge_u
        call 0
        i64.shl
        f64.reinterpret_i64
        f64.neg
        f32.const -0x1p+97 (;=-158456330000000000000000000000;)
        return_call 1
        i64.lt_u
        local.get 0
        f64.trunc
        local.tee 2
        f64.const nan (;=NaN;)
        local.get 2
        local.get 2
        f64.eq
        select
        local.set 4
        local.set 3
        memory.size
        i32.const 65536
        i32.mul
        i32.const 19219
        local.get 3
        i32.add
        i32.le_u
        if ;; label = @3
        else
          local.get 3
          i32.const 0
          i32.le_s
          if ;; label = @4
          else
            local.get 3
            local.get 4
            f64.store offset=19211
          end
        end
        block ;; label = @3
          memory.size
          local.set 5
          block ;; label = @4
            block ;; label = @5
              memory.size 1
              i32.const 65536
              i32.mul
              i32.const 35156
              local.get 5
              i32.add
              i32.le_u
              br_if 0 (;@5;)
              local.get 5
              i32.const 0
              i32.le_s
              br_if 0 (;@5;)
              local.get 5
              f32.load 1 offset=35152
              local.set 6
              br 1 (;@4;)
            end
            f32.const 0x0p+0 (;=0;)
            local.set 6
          end
          local.get 6
          i64.trunc_sat_f32_u
          nop
          drop
        end
        drop
        drop
        drop
      end
      drop
      drop
    else
      i64.const 0
      i64.const 0
    end
    drop
  )
  (func (;2;) (type 1) (param i32)
    local.get 0
    global.set 1
  )
  (func (;3;) (type 2) (param i32) (result i32)
    local.get 0
    i32.load8_u
  )
  (data (;0;) "\fb\88N")
)
