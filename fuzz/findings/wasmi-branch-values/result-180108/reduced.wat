(module
  (type (;0;) (func (param v128) (result v128)))
  (export "" (func 0))
  (func (;0;) (type 0) (param v128) (result v128)
    (local f32 f32 f32 f32 f64)
    block (result v128) ;; label = @1
      i32.const 0
      v128.const i32x4 0x995a167a 0x4596fd58 0x46be8527 0x90148263
      local.get 2
      i32.trunc_f32_u
      br_table 0 (;@1;) 1 0 (;@1;)
    end
  )
)
