(module
  (type (;0;) (func (result f64 i32 f64)))
  (type (;1;) (func (param i32)))
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;5;) (mut i32) i32.const 500)
  (export "FD" (func 0))
  (export "" (func 1))
  (export "B" (global 0))
  (export "3" (global 1))
  (export "4" (global 2))
  (export "5" (global 3))
  (export "6" (global 4))
  (export "__oracle_fuel" (func 2))
  (func (;0;) (type 0) (result f64 i32 f64)
    (local f32 f32 f64 i32 i32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    nop
    block (type 0) (result f64 i32 f64) ;; label = @1
      block (type 0) (result f64 i32 f64) ;; label = @2
        i64.const 0
        i32.wrap_i64
        v128.const i32x4 0xf14f86b7 0x2b1f20c9 0x852bcf93 0x29ef746d
        call 1
        f32.const 0x1.d140b2p-40 (;=0.0000000000016529097;)
        f32.const -nan:0x7fffbf (;=NaN;)
        f32.const 0x1.020202p-125 (;=0.000000000000000000000000000000000000023694278;)
        local.tee 0
        local.get 0
        f32.ne
        local.get 0
        f32.const inf (;=inf;)
        f32.eq
        local.get 0
        f32.const -inf (;=-inf;)
        f32.eq
        i32.or
        i32.or
        if ;; label = @3
          f32.const 0x0p+0 (;=0;)
          local.set 0
        end
        local.get 0
        f32.const 0x0p+0 (;=0;)
        f32.lt
        if ;; label = @3
          f32.const 0x0p+0 (;=0;)
          local.set 0
        end
        local.get 0
        f32.const 0x1.fffffep+62 (;=9223371500000000000;)
        f32.gt
        if ;; label = @3
          f32.const 0x1.fffffep+62 (;=9223371500000000000;)
          local.set 0
        end
        local.get 0
        i64.trunc_f32_u
        f64.convert_i64_s
        f32.demote_f64
        f32.min
        local.tee 1
        f32.const nan (;=NaN;)
        local.get 1
        local.get 1
        f32.eq
        select
        f32.gt
        br_table 0 (;@2;) 1 (;@1;) 2 0 (;@2;)
        call 1
        block ;; label = @3
          i32.const -2
          f32.const -0x1.95dc4ep+44 (;=-27890526000000;)
          f64.const -0x1.ddb46d07669d5p+573 (;=-57690877520612500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
          local.tee 2
          local.get 2
          f64.ne
          local.get 2
          f64.const inf (;=inf;)
          f64.eq
          local.get 2
          f64.const -inf (;=-inf;)
          f64.eq
          i32.or
          i32.or
          if ;; label = @4
            f64.const 0x0p+0 (;=0;)
            local.set 2
          end
          local.get 2
          f64.const -0x1p+31 (;=-2147483648;)
          f64.lt
          if ;; label = @4
            f64.const -0x1p+31 (;=-2147483648;)
            local.set 2
          end
          local.get 2
          f64.const 0x1.fffffffcp+30 (;=2147483647;)
          f64.gt
          if ;; label = @4
            f64.const 0x1.fffffffcp+30 (;=2147483647;)
            local.set 2
          end
          local.get 2
          i32.trunc_f64_s
          br_table 0 (;@3;) 0 (;@3;)
          call 1
          call 1
          i64.const 4462144841036221336
          f32.convert_i64_s
          block (result f32) ;; label = @4
            br 1 (;@3;)
            i64.const -20949779250486797
            i64.ctz
            return_call 0
            return_call 0
            br 4
            call 0
            f64.const 0x1.fffffffp-1046 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002652494734;)
            f64.ge
            local.set 3
            i32.const 1
            local.get 3
            local.get 3
            i32.eqz
            select
            local.set 3
            local.set 4
            block ;; label = @5
              block ;; label = @6
                local.get 4
                local.get 3
                local.set 3
                local.tee 4
                i32.const -2147483648
                i32.ne
                br_if 0 (;@6;)
                local.get 3
                i32.const 6
                i32.ne
                br_if 0 (;@6;)
                i32.const 2
                local.set 3
                br 1 (;@5;)
              end
            end
            local.get 4
            local.get 3
            i32.div_s
            global.get 0
            i32.xor
            global.set 0
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
            global.get 0
            i32.xor
            global.set 0
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
            global.get 2
            i64.xor
            global.set 2
            f32.const -0x1p+65 (;=-36893490000000000000;)
          end
          i32.reinterpret_f32
          global.get 3
          i32.xor
          global.set 3
          i32.reinterpret_f32
          global.get 3
          i32.xor
          global.set 3
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          global.get 0
          i32.xor
          global.set 0
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          global.get 0
          i32.xor
          global.set 0
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          i32.reinterpret_f32
          global.get 3
          i32.xor
          global.set 3
          global.get 0
          i32.xor
          global.set 0
        end
        i64.reinterpret_f64
        global.get 1
        i64.xor
        global.set 1
        global.get 0
        i32.xor
        global.set 0
        i64.reinterpret_f64
        global.get 1
        i64.xor
        global.set 1
        global.get 4
        v128.xor
        global.set 4
        global.get 0
        i32.xor
        global.set 0
        f64.const -0x1.9753c7266369p+295 (;=-101286654998147970000000000000000000000000000000000000000000000000000000000000000000000000;)
        i32.const -5
        f64.const -nan:0xffffffffdffff (;=NaN;)
      end
    end
  )
  (func (;1;) (type 0) (result f64 i32 f64)
    (local f64 f32 f32 f32 f32 f64)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    block ;; label = @1
      f64.const -nan:0xffff800000000 (;=NaN;)
      f64.neg
      local.tee 0
      local.get 0
      f64.ne
      local.get 0
      f64.const inf (;=inf;)
      f64.eq
      local.get 0
      f64.const -inf (;=-inf;)
      f64.eq
      i32.or
      i32.or
      if ;; label = @2
        f64.const 0x0p+0 (;=0;)
        local.set 0
      end
      local.get 0
      f64.const -0x1p+31 (;=-2147483648;)
      f64.lt
      if ;; label = @2
        f64.const -0x1p+31 (;=-2147483648;)
        local.set 0
      end
      local.get 0
      f64.const 0x1.fffffffcp+30 (;=2147483647;)
      f64.gt
      if ;; label = @2
        f64.const 0x1.fffffffcp+30 (;=2147483647;)
        local.set 0
      end
      local.get 0
      i32.trunc_f64_s
      loop ;; label = @2
        global.get 5
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 5
        i32.const 1
        i32.sub
        global.set 5
        block ;; label = @3
          i32.const 4
          i32.clz
          br_if 2 (;@1;)
          i64.const -4
          f32.const -nan:0x7ffff7 (;=NaN;)
          f32.floor
          local.tee 1
          f32.const nan (;=NaN;)
          local.get 1
          local.get 1
          f32.eq
          select
          f32.abs
          block (type 0) (result f64 i32 f64) ;; label = @4
            i32.const 1
            i32.const -7
            i32.ge_u
            i32.const 8
            br 1 (;@3;)
            loop (type 0) (result f64 i32 f64) ;; label = @5
              global.get 5
              i32.eqz
              if ;; label = @6
                unreachable
              end
              global.get 5
              i32.const 1
              i32.sub
              global.set 5
              loop (type 0) (result f64 i32 f64) ;; label = @6
                global.get 5
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 5
                i32.const 1
                i32.sub
                global.set 5
                loop ;; label = @7
                  global.get 5
                  i32.eqz
                  if ;; label = @8
                    unreachable
                  end
                  global.get 5
                  i32.const 1
                  i32.sub
                  global.set 5
                  i32.const 63
                  i32.const 1
                  f32.convert_i32_u
                  f32.ceil
                  local.tee 2
                  f32.const nan (;=NaN;)
                  local.get 2
                  local.get 2
                  f32.eq
                  select
                  f32.trunc
                  local.tee 3
                  f32.const nan (;=NaN;)
                  local.get 3
                  local.get 3
                  f32.eq
                  select
                  local.tee 4
                  local.get 4
                  f32.ne
                  local.get 4
                  f32.const inf (;=inf;)
                  f32.eq
                  local.get 4
                  f32.const -inf (;=-inf;)
                  f32.eq
                  i32.or
                  i32.or
                  if ;; label = @8
                    f32.const 0x0p+0 (;=0;)
                    local.set 4
                  end
                  local.get 4
                  f32.const -0x1p+63 (;=-9223372000000000000;)
                  f32.lt
                  if ;; label = @8
                    f32.const -0x1p+63 (;=-9223372000000000000;)
                    local.set 4
                  end
                  local.get 4
                  f32.const 0x1.fffffep+62 (;=9223371500000000000;)
                  f32.gt
                  if ;; label = @8
                    f32.const 0x1.fffffep+62 (;=9223371500000000000;)
                    local.set 4
                  end
                  local.get 4
                  i64.trunc_f32_s
                  i64.extend16_s
                  f64.reinterpret_i64
                  local.tee 5
                  local.get 5
                  f64.ne
                  local.get 5
                  f64.const inf (;=inf;)
                  f64.eq
                  local.get 5
                  f64.const -inf (;=-inf;)
                  f64.eq
                  i32.or
                  i32.or
                  if ;; label = @8
                    f64.const 0x0p+0 (;=0;)
                    local.set 5
                  end
                  local.get 5
                  f64.const -0x1.fffffffffffffp+62 (;=-9223372036854775000;)
                  f64.lt
                  if ;; label = @8
                    f64.const -0x1.fffffffffffffp+62 (;=-9223372036854775000;)
                    local.set 5
                  end
                  local.get 5
                  f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
                  f64.gt
                  if ;; label = @8
                    f64.const 0x1.fffffffffffffp+62 (;=9223372036854775000;)
                    local.set 5
                  end
                  local.get 5
                  i64.trunc_f64_s
                  global.get 2
                  i64.xor
                  global.set 2
                  global.get 0
                  i32.xor
                  global.set 0
                end
                f64.const -nan:0xfff0000000000 (;=NaN;)
                i32.const -4
                f64.const 0x1.ffffep-1055 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000518065;)
              end
            end
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
            global.get 0
            i32.xor
            global.set 0
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
            global.get 0
            i32.xor
            global.set 0
            global.get 0
            i32.xor
            global.set 0
            f64.const -0x1.fffffffffffffp+960 (;=-19490628022799996000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            i32.const -2
            f64.const -0x1.19ab2de645b07p+306 (;=-143442303101332000000000000000000000000000000000000000000000000000000000000000000000000000000;)
          end
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          global.get 0
          i32.xor
          global.set 0
          i64.reinterpret_f64
          global.get 1
          i64.xor
          global.set 1
          i32.reinterpret_f32
          global.get 3
          i32.xor
          global.set 3
          global.get 2
          i64.xor
          global.set 2
        end
      end
      global.get 0
      i32.xor
      global.set 0
    end
    f64.const 0x1.p-1044 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005304989477;)
    i32.const -29018180
    f64.const -0x1.c03ef7b835a0dp-813 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000032054569680800615;)
  )
  (func (;2;) (type 1) (param i32)
    local.get 0
    global.set 5
  )
)
