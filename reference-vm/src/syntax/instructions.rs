//! Instructions and the one opcode table (spec: Structure › Instructions,
//! Binary Format › Instructions).
//!
//! [`for_each_instr!`](crate::for_each_instr) lists every instruction exactly once:
//! variant name, prefix byte (0x00 = none, 0xFB, 0xFC, 0xFD, 0xFE), (sub)opcode, text
//! name, and either its immediate kind (`special` group), its operand/result number
//! types (`unop`, `binop`), its type and access width in bytes (`load`, `store`), its
//! SIMD class (`simd`) or its atomic class (`atomic`, threads), followed by the
//! proposal that introduced it. The decoder,
//! validator, translator and interpreter are all generated from or checked against it.

use super::types::{HeapType, NumType, RefType, ValType};

/// Invokes `$m!` with the opcode table.
#[macro_export]
macro_rules! for_each_instr {
    ($m:ident) => {
        $m! {
    special {
        Unreachable 0x00 0x00 "unreachable" None Mvp;
        Nop 0x00 0x01 "nop" None Mvp;
        Block 0x00 0x02 "block" Block Mvp;
        Loop 0x00 0x03 "loop" Block Mvp;
        If 0x00 0x04 "if" Block Mvp;
        Else 0x00 0x05 "else" None Mvp;
        End 0x00 0x0b "end" None Mvp;
        Br 0x00 0x0c "br" Label Mvp;
        BrIf 0x00 0x0d "br_if" Label Mvp;
        BrTable 0x00 0x0e "br_table" BrTable Mvp;
        Return 0x00 0x0f "return" None Mvp;
        Call 0x00 0x10 "call" Func Mvp;
        CallIndirect 0x00 0x11 "call_indirect" CallIndirect Mvp;
        ReturnCall 0x00 0x12 "return_call" Func TailCall;
        ReturnCallIndirect 0x00 0x13 "return_call_indirect" CallIndirect TailCall;
        Drop 0x00 0x1a "drop" None Mvp;
        Select 0x00 0x1b "select" None Mvp;
        SelectT 0x00 0x1c "select_t" SelectT RefTypes;
        LocalGet 0x00 0x20 "local.get" Local Mvp;
        LocalSet 0x00 0x21 "local.set" Local Mvp;
        LocalTee 0x00 0x22 "local.tee" Local Mvp;
        GlobalGet 0x00 0x23 "global.get" Global Mvp;
        GlobalSet 0x00 0x24 "global.set" Global Mvp;
        TableGet 0x00 0x25 "table.get" Table RefTypes;
        TableSet 0x00 0x26 "table.set" Table RefTypes;
        MemorySize 0x00 0x3f "memory.size" Mem Mvp;
        MemoryGrow 0x00 0x40 "memory.grow" Mem Mvp;
        I32Const 0x00 0x41 "i32.const" I32 Mvp;
        I64Const 0x00 0x42 "i64.const" I64 Mvp;
        F32Const 0x00 0x43 "f32.const" F32 Mvp;
        F64Const 0x00 0x44 "f64.const" F64 Mvp;
        RefNull 0x00 0xd0 "ref.null" HeapType RefTypes;
        RefIsNull 0x00 0xd1 "ref.is_null" None RefTypes;
        RefFunc 0x00 0xd2 "ref.func" Func RefTypes;
        MemoryInit 0xfc 0x08 "memory.init" MemoryInit BulkMemory;
        DataDrop 0xfc 0x09 "data.drop" Data BulkMemory;
        MemoryCopy 0xfc 0x0a "memory.copy" MemCopy BulkMemory;
        MemoryFill 0xfc 0x0b "memory.fill" Mem BulkMemory;
        TableInit 0xfc 0x0c "table.init" TableInit BulkMemory;
        ElemDrop 0xfc 0x0d "elem.drop" Elem BulkMemory;
        TableCopy 0xfc 0x0e "table.copy" TableCopy BulkMemory;
        TableGrow 0xfc 0x0f "table.grow" Table RefTypes;
        TableSize 0xfc 0x10 "table.size" Table RefTypes;
        TableFill 0xfc 0x11 "table.fill" Table RefTypes;
        I64Add128 0xfc 0x13 "i64.add128" None WideArithmetic;
        I64Sub128 0xfc 0x14 "i64.sub128" None WideArithmetic;
        I64MulWideS 0xfc 0x15 "i64.mul_wide_s" None WideArithmetic;
        I64MulWideU 0xfc 0x16 "i64.mul_wide_u" None WideArithmetic;
        Try 0x00 0x06 "try" Block LegacyExceptions;
        Catch 0x00 0x07 "catch" Tag LegacyExceptions;
        Throw 0x00 0x08 "throw" Tag Exceptions;
        Rethrow 0x00 0x09 "rethrow" Label LegacyExceptions;
        ThrowRef 0x00 0x0a "throw_ref" None Exceptions;
        Delegate 0x00 0x18 "delegate" Label LegacyExceptions;
        CatchAll 0x00 0x19 "catch_all" None LegacyExceptions;
        TryTable 0x00 0x1f "try_table" TryTable Exceptions;
        CallRef 0x00 0x14 "call_ref" TypeIdx FunctionReferences;
        ReturnCallRef 0x00 0x15 "return_call_ref" TypeIdx FunctionReferences;
        RefEq 0x00 0xd3 "ref.eq" None Gc;
        RefAsNonNull 0x00 0xd4 "ref.as_non_null" None FunctionReferences;
        BrOnNull 0x00 0xd5 "br_on_null" Label FunctionReferences;
        BrOnNonNull 0x00 0xd6 "br_on_non_null" Label FunctionReferences;
        StructNew 0xfb 0x00 "struct.new" TypeIdx Gc;
        StructNewDefault 0xfb 0x01 "struct.new_default" TypeIdx Gc;
        StructGet 0xfb 0x02 "struct.get" TypeField Gc;
        StructGetS 0xfb 0x03 "struct.get_s" TypeField Gc;
        StructGetU 0xfb 0x04 "struct.get_u" TypeField Gc;
        StructSet 0xfb 0x05 "struct.set" TypeField Gc;
        ArrayNew 0xfb 0x06 "array.new" TypeIdx Gc;
        ArrayNewDefault 0xfb 0x07 "array.new_default" TypeIdx Gc;
        ArrayNewFixed 0xfb 0x08 "array.new_fixed" TypeField Gc;
        ArrayNewData 0xfb 0x09 "array.new_data" TypeData Gc;
        ArrayNewElem 0xfb 0x0a "array.new_elem" TypeField Gc;
        ArrayGet 0xfb 0x0b "array.get" TypeIdx Gc;
        ArrayGetS 0xfb 0x0c "array.get_s" TypeIdx Gc;
        ArrayGetU 0xfb 0x0d "array.get_u" TypeIdx Gc;
        ArraySet 0xfb 0x0e "array.set" TypeIdx Gc;
        ArrayLen 0xfb 0x0f "array.len" None Gc;
        ArrayFill 0xfb 0x10 "array.fill" TypeIdx Gc;
        ArrayCopy 0xfb 0x11 "array.copy" TypeField Gc;
        ArrayInitData 0xfb 0x12 "array.init_data" TypeData Gc;
        ArrayInitElem 0xfb 0x13 "array.init_elem" TypeField Gc;
        RefTest 0xfb 0x14 "ref.test" RefTest Gc;
        RefTestNull 0xfb 0x15 "ref.test" RefTest Gc;
        RefCast 0xfb 0x16 "ref.cast" RefTest Gc;
        RefCastNull 0xfb 0x17 "ref.cast" RefTest Gc;
        BrOnCast 0xfb 0x18 "br_on_cast" BrOnCast Gc;
        BrOnCastFail 0xfb 0x19 "br_on_cast_fail" BrOnCast Gc;
        AnyConvertExtern 0xfb 0x1a "any.convert_extern" None Gc;
        ExternConvertAny 0xfb 0x1b "extern.convert_any" None Gc;
        RefI31 0xfb 0x1c "ref.i31" None Gc;
        I31GetS 0xfb 0x1d "i31.get_s" None Gc;
        I31GetU 0xfb 0x1e "i31.get_u" None Gc;
        // Custom descriptors proposal.
        StructNewDesc 0xfb 0x20 "struct.new_desc" TypeIdx CustomDescriptors;
        StructNewDefaultDesc 0xfb 0x21 "struct.new_default_desc" TypeIdx CustomDescriptors;
        RefGetDesc 0xfb 0x22 "ref.get_desc" TypeIdx CustomDescriptors;
        RefCastDescEq 0xfb 0x23 "ref.cast_desc_eq" RefTest CustomDescriptors;
        RefCastDescEqNull 0xfb 0x24 "ref.cast_desc_eq" RefTest CustomDescriptors;
        BrOnCastDescEq 0xfb 0x25 "br_on_cast_desc_eq" BrOnCast CustomDescriptors;
        BrOnCastDescEqFail 0xfb 0x26 "br_on_cast_desc_eq_fail" BrOnCast CustomDescriptors;
    }
    unop {
        I32Eqz 0x00 0x45 "i32.eqz" I32 I32 Mvp;
        I64Eqz 0x00 0x50 "i64.eqz" I64 I32 Mvp;
        I32Clz 0x00 0x67 "i32.clz" I32 I32 Mvp;
        I32Ctz 0x00 0x68 "i32.ctz" I32 I32 Mvp;
        I32Popcnt 0x00 0x69 "i32.popcnt" I32 I32 Mvp;
        I64Clz 0x00 0x79 "i64.clz" I64 I64 Mvp;
        I64Ctz 0x00 0x7a "i64.ctz" I64 I64 Mvp;
        I64Popcnt 0x00 0x7b "i64.popcnt" I64 I64 Mvp;
        F32Abs 0x00 0x8b "f32.abs" F32 F32 Mvp;
        F32Neg 0x00 0x8c "f32.neg" F32 F32 Mvp;
        F32Ceil 0x00 0x8d "f32.ceil" F32 F32 Mvp;
        F32Floor 0x00 0x8e "f32.floor" F32 F32 Mvp;
        F32Trunc 0x00 0x8f "f32.trunc" F32 F32 Mvp;
        F32Nearest 0x00 0x90 "f32.nearest" F32 F32 Mvp;
        F32Sqrt 0x00 0x91 "f32.sqrt" F32 F32 Mvp;
        F64Abs 0x00 0x99 "f64.abs" F64 F64 Mvp;
        F64Neg 0x00 0x9a "f64.neg" F64 F64 Mvp;
        F64Ceil 0x00 0x9b "f64.ceil" F64 F64 Mvp;
        F64Floor 0x00 0x9c "f64.floor" F64 F64 Mvp;
        F64Trunc 0x00 0x9d "f64.trunc" F64 F64 Mvp;
        F64Nearest 0x00 0x9e "f64.nearest" F64 F64 Mvp;
        F64Sqrt 0x00 0x9f "f64.sqrt" F64 F64 Mvp;
        I32WrapI64 0x00 0xa7 "i32.wrap_i64" I64 I32 Mvp;
        I32TruncF32S 0x00 0xa8 "i32.trunc_f32_s" F32 I32 Mvp;
        I32TruncF32U 0x00 0xa9 "i32.trunc_f32_u" F32 I32 Mvp;
        I32TruncF64S 0x00 0xaa "i32.trunc_f64_s" F64 I32 Mvp;
        I32TruncF64U 0x00 0xab "i32.trunc_f64_u" F64 I32 Mvp;
        I64ExtendI32S 0x00 0xac "i64.extend_i32_s" I32 I64 Mvp;
        I64ExtendI32U 0x00 0xad "i64.extend_i32_u" I32 I64 Mvp;
        I64TruncF32S 0x00 0xae "i64.trunc_f32_s" F32 I64 Mvp;
        I64TruncF32U 0x00 0xaf "i64.trunc_f32_u" F32 I64 Mvp;
        I64TruncF64S 0x00 0xb0 "i64.trunc_f64_s" F64 I64 Mvp;
        I64TruncF64U 0x00 0xb1 "i64.trunc_f64_u" F64 I64 Mvp;
        F32ConvertI32S 0x00 0xb2 "f32.convert_i32_s" I32 F32 Mvp;
        F32ConvertI32U 0x00 0xb3 "f32.convert_i32_u" I32 F32 Mvp;
        F32ConvertI64S 0x00 0xb4 "f32.convert_i64_s" I64 F32 Mvp;
        F32ConvertI64U 0x00 0xb5 "f32.convert_i64_u" I64 F32 Mvp;
        F32DemoteF64 0x00 0xb6 "f32.demote_f64" F64 F32 Mvp;
        F64ConvertI32S 0x00 0xb7 "f64.convert_i32_s" I32 F64 Mvp;
        F64ConvertI32U 0x00 0xb8 "f64.convert_i32_u" I32 F64 Mvp;
        F64ConvertI64S 0x00 0xb9 "f64.convert_i64_s" I64 F64 Mvp;
        F64ConvertI64U 0x00 0xba "f64.convert_i64_u" I64 F64 Mvp;
        F64PromoteF32 0x00 0xbb "f64.promote_f32" F32 F64 Mvp;
        I32ReinterpretF32 0x00 0xbc "i32.reinterpret_f32" F32 I32 Mvp;
        I64ReinterpretF64 0x00 0xbd "i64.reinterpret_f64" F64 I64 Mvp;
        F32ReinterpretI32 0x00 0xbe "f32.reinterpret_i32" I32 F32 Mvp;
        F64ReinterpretI64 0x00 0xbf "f64.reinterpret_i64" I64 F64 Mvp;
        I32Extend8S 0x00 0xc0 "i32.extend8_s" I32 I32 SignExtension;
        I32Extend16S 0x00 0xc1 "i32.extend16_s" I32 I32 SignExtension;
        I64Extend8S 0x00 0xc2 "i64.extend8_s" I64 I64 SignExtension;
        I64Extend16S 0x00 0xc3 "i64.extend16_s" I64 I64 SignExtension;
        I64Extend32S 0x00 0xc4 "i64.extend32_s" I64 I64 SignExtension;
        I32TruncSatF32S 0xfc 0x00 "i32.trunc_sat_f32_s" F32 I32 SaturatingFloatToInt;
        I32TruncSatF32U 0xfc 0x01 "i32.trunc_sat_f32_u" F32 I32 SaturatingFloatToInt;
        I32TruncSatF64S 0xfc 0x02 "i32.trunc_sat_f64_s" F64 I32 SaturatingFloatToInt;
        I32TruncSatF64U 0xfc 0x03 "i32.trunc_sat_f64_u" F64 I32 SaturatingFloatToInt;
        I64TruncSatF32S 0xfc 0x04 "i64.trunc_sat_f32_s" F32 I64 SaturatingFloatToInt;
        I64TruncSatF32U 0xfc 0x05 "i64.trunc_sat_f32_u" F32 I64 SaturatingFloatToInt;
        I64TruncSatF64S 0xfc 0x06 "i64.trunc_sat_f64_s" F64 I64 SaturatingFloatToInt;
        I64TruncSatF64U 0xfc 0x07 "i64.trunc_sat_f64_u" F64 I64 SaturatingFloatToInt;
    }
    binop {
        I32Eq 0x00 0x46 "i32.eq" I32 I32 Mvp;
        I32Ne 0x00 0x47 "i32.ne" I32 I32 Mvp;
        I32LtS 0x00 0x48 "i32.lt_s" I32 I32 Mvp;
        I32LtU 0x00 0x49 "i32.lt_u" I32 I32 Mvp;
        I32GtS 0x00 0x4a "i32.gt_s" I32 I32 Mvp;
        I32GtU 0x00 0x4b "i32.gt_u" I32 I32 Mvp;
        I32LeS 0x00 0x4c "i32.le_s" I32 I32 Mvp;
        I32LeU 0x00 0x4d "i32.le_u" I32 I32 Mvp;
        I32GeS 0x00 0x4e "i32.ge_s" I32 I32 Mvp;
        I32GeU 0x00 0x4f "i32.ge_u" I32 I32 Mvp;
        I64Eq 0x00 0x51 "i64.eq" I64 I32 Mvp;
        I64Ne 0x00 0x52 "i64.ne" I64 I32 Mvp;
        I64LtS 0x00 0x53 "i64.lt_s" I64 I32 Mvp;
        I64LtU 0x00 0x54 "i64.lt_u" I64 I32 Mvp;
        I64GtS 0x00 0x55 "i64.gt_s" I64 I32 Mvp;
        I64GtU 0x00 0x56 "i64.gt_u" I64 I32 Mvp;
        I64LeS 0x00 0x57 "i64.le_s" I64 I32 Mvp;
        I64LeU 0x00 0x58 "i64.le_u" I64 I32 Mvp;
        I64GeS 0x00 0x59 "i64.ge_s" I64 I32 Mvp;
        I64GeU 0x00 0x5a "i64.ge_u" I64 I32 Mvp;
        F32Eq 0x00 0x5b "f32.eq" F32 I32 Mvp;
        F32Ne 0x00 0x5c "f32.ne" F32 I32 Mvp;
        F32Lt 0x00 0x5d "f32.lt" F32 I32 Mvp;
        F32Gt 0x00 0x5e "f32.gt" F32 I32 Mvp;
        F32Le 0x00 0x5f "f32.le" F32 I32 Mvp;
        F32Ge 0x00 0x60 "f32.ge" F32 I32 Mvp;
        F64Eq 0x00 0x61 "f64.eq" F64 I32 Mvp;
        F64Ne 0x00 0x62 "f64.ne" F64 I32 Mvp;
        F64Lt 0x00 0x63 "f64.lt" F64 I32 Mvp;
        F64Gt 0x00 0x64 "f64.gt" F64 I32 Mvp;
        F64Le 0x00 0x65 "f64.le" F64 I32 Mvp;
        F64Ge 0x00 0x66 "f64.ge" F64 I32 Mvp;
        I32Add 0x00 0x6a "i32.add" I32 I32 Mvp;
        I32Sub 0x00 0x6b "i32.sub" I32 I32 Mvp;
        I32Mul 0x00 0x6c "i32.mul" I32 I32 Mvp;
        I32DivS 0x00 0x6d "i32.div_s" I32 I32 Mvp;
        I32DivU 0x00 0x6e "i32.div_u" I32 I32 Mvp;
        I32RemS 0x00 0x6f "i32.rem_s" I32 I32 Mvp;
        I32RemU 0x00 0x70 "i32.rem_u" I32 I32 Mvp;
        I32And 0x00 0x71 "i32.and" I32 I32 Mvp;
        I32Or 0x00 0x72 "i32.or" I32 I32 Mvp;
        I32Xor 0x00 0x73 "i32.xor" I32 I32 Mvp;
        I32Shl 0x00 0x74 "i32.shl" I32 I32 Mvp;
        I32ShrS 0x00 0x75 "i32.shr_s" I32 I32 Mvp;
        I32ShrU 0x00 0x76 "i32.shr_u" I32 I32 Mvp;
        I32Rotl 0x00 0x77 "i32.rotl" I32 I32 Mvp;
        I32Rotr 0x00 0x78 "i32.rotr" I32 I32 Mvp;
        I64Add 0x00 0x7c "i64.add" I64 I64 Mvp;
        I64Sub 0x00 0x7d "i64.sub" I64 I64 Mvp;
        I64Mul 0x00 0x7e "i64.mul" I64 I64 Mvp;
        I64DivS 0x00 0x7f "i64.div_s" I64 I64 Mvp;
        I64DivU 0x00 0x80 "i64.div_u" I64 I64 Mvp;
        I64RemS 0x00 0x81 "i64.rem_s" I64 I64 Mvp;
        I64RemU 0x00 0x82 "i64.rem_u" I64 I64 Mvp;
        I64And 0x00 0x83 "i64.and" I64 I64 Mvp;
        I64Or 0x00 0x84 "i64.or" I64 I64 Mvp;
        I64Xor 0x00 0x85 "i64.xor" I64 I64 Mvp;
        I64Shl 0x00 0x86 "i64.shl" I64 I64 Mvp;
        I64ShrS 0x00 0x87 "i64.shr_s" I64 I64 Mvp;
        I64ShrU 0x00 0x88 "i64.shr_u" I64 I64 Mvp;
        I64Rotl 0x00 0x89 "i64.rotl" I64 I64 Mvp;
        I64Rotr 0x00 0x8a "i64.rotr" I64 I64 Mvp;
        F32Add 0x00 0x92 "f32.add" F32 F32 Mvp;
        F32Sub 0x00 0x93 "f32.sub" F32 F32 Mvp;
        F32Mul 0x00 0x94 "f32.mul" F32 F32 Mvp;
        F32Div 0x00 0x95 "f32.div" F32 F32 Mvp;
        F32Min 0x00 0x96 "f32.min" F32 F32 Mvp;
        F32Max 0x00 0x97 "f32.max" F32 F32 Mvp;
        F32Copysign 0x00 0x98 "f32.copysign" F32 F32 Mvp;
        F64Add 0x00 0xa0 "f64.add" F64 F64 Mvp;
        F64Sub 0x00 0xa1 "f64.sub" F64 F64 Mvp;
        F64Mul 0x00 0xa2 "f64.mul" F64 F64 Mvp;
        F64Div 0x00 0xa3 "f64.div" F64 F64 Mvp;
        F64Min 0x00 0xa4 "f64.min" F64 F64 Mvp;
        F64Max 0x00 0xa5 "f64.max" F64 F64 Mvp;
        F64Copysign 0x00 0xa6 "f64.copysign" F64 F64 Mvp;
    }
    load {
        I32Load 0x00 0x28 "i32.load" I32 4 Mvp;
        I64Load 0x00 0x29 "i64.load" I64 8 Mvp;
        F32Load 0x00 0x2a "f32.load" F32 4 Mvp;
        F64Load 0x00 0x2b "f64.load" F64 8 Mvp;
        I32Load8S 0x00 0x2c "i32.load8_s" I32 1 Mvp;
        I32Load8U 0x00 0x2d "i32.load8_u" I32 1 Mvp;
        I32Load16S 0x00 0x2e "i32.load16_s" I32 2 Mvp;
        I32Load16U 0x00 0x2f "i32.load16_u" I32 2 Mvp;
        I64Load8S 0x00 0x30 "i64.load8_s" I64 1 Mvp;
        I64Load8U 0x00 0x31 "i64.load8_u" I64 1 Mvp;
        I64Load16S 0x00 0x32 "i64.load16_s" I64 2 Mvp;
        I64Load16U 0x00 0x33 "i64.load16_u" I64 2 Mvp;
        I64Load32S 0x00 0x34 "i64.load32_s" I64 4 Mvp;
        I64Load32U 0x00 0x35 "i64.load32_u" I64 4 Mvp;
    }
    store {
        I32Store 0x00 0x36 "i32.store" I32 4 Mvp;
        I64Store 0x00 0x37 "i64.store" I64 8 Mvp;
        F32Store 0x00 0x38 "f32.store" F32 4 Mvp;
        F64Store 0x00 0x39 "f64.store" F64 8 Mvp;
        I32Store8 0x00 0x3a "i32.store8" I32 1 Mvp;
        I32Store16 0x00 0x3b "i32.store16" I32 2 Mvp;
        I64Store8 0x00 0x3c "i64.store8" I64 1 Mvp;
        I64Store16 0x00 0x3d "i64.store16" I64 2 Mvp;
        I64Store32 0x00 0x3e "i64.store32" I64 4 Mvp;
    }
    simd {
        V128Load 0xfd 0x00 "v128.load" [Load(16)] Simd;
        V128Load8x8S 0xfd 0x01 "v128.load8x8_s" [Load(8)] Simd;
        V128Load8x8U 0xfd 0x02 "v128.load8x8_u" [Load(8)] Simd;
        V128Load16x4S 0xfd 0x03 "v128.load16x4_s" [Load(8)] Simd;
        V128Load16x4U 0xfd 0x04 "v128.load16x4_u" [Load(8)] Simd;
        V128Load32x2S 0xfd 0x05 "v128.load32x2_s" [Load(8)] Simd;
        V128Load32x2U 0xfd 0x06 "v128.load32x2_u" [Load(8)] Simd;
        V128Load8Splat 0xfd 0x07 "v128.load8_splat" [Load(1)] Simd;
        V128Load16Splat 0xfd 0x08 "v128.load16_splat" [Load(2)] Simd;
        V128Load32Splat 0xfd 0x09 "v128.load32_splat" [Load(4)] Simd;
        V128Load64Splat 0xfd 0x0a "v128.load64_splat" [Load(8)] Simd;
        V128Store 0xfd 0x0b "v128.store" [Store] Simd;
        V128Const 0xfd 0x0c "v128.const" [Const] Simd;
        I8x16Shuffle 0xfd 0x0d "i8x16.shuffle" [Shuffle] Simd;
        I8x16Swizzle 0xfd 0x0e "i8x16.swizzle" [Bin] Simd;
        I8x16Splat 0xfd 0x0f "i8x16.splat" [Splat(I32)] Simd;
        I16x8Splat 0xfd 0x10 "i16x8.splat" [Splat(I32)] Simd;
        I32x4Splat 0xfd 0x11 "i32x4.splat" [Splat(I32)] Simd;
        I64x2Splat 0xfd 0x12 "i64x2.splat" [Splat(I64)] Simd;
        F32x4Splat 0xfd 0x13 "f32x4.splat" [Splat(F32)] Simd;
        F64x2Splat 0xfd 0x14 "f64x2.splat" [Splat(F64)] Simd;
        I8x16ExtractLaneS 0xfd 0x15 "i8x16.extract_lane_s" [Extract(I32, 16)] Simd;
        I8x16ExtractLaneU 0xfd 0x16 "i8x16.extract_lane_u" [Extract(I32, 16)] Simd;
        I8x16ReplaceLane 0xfd 0x17 "i8x16.replace_lane" [Replace(I32, 16)] Simd;
        I16x8ExtractLaneS 0xfd 0x18 "i16x8.extract_lane_s" [Extract(I32, 8)] Simd;
        I16x8ExtractLaneU 0xfd 0x19 "i16x8.extract_lane_u" [Extract(I32, 8)] Simd;
        I16x8ReplaceLane 0xfd 0x1a "i16x8.replace_lane" [Replace(I32, 8)] Simd;
        I32x4ExtractLane 0xfd 0x1b "i32x4.extract_lane" [Extract(I32, 4)] Simd;
        I32x4ReplaceLane 0xfd 0x1c "i32x4.replace_lane" [Replace(I32, 4)] Simd;
        I64x2ExtractLane 0xfd 0x1d "i64x2.extract_lane" [Extract(I64, 2)] Simd;
        I64x2ReplaceLane 0xfd 0x1e "i64x2.replace_lane" [Replace(I64, 2)] Simd;
        F32x4ExtractLane 0xfd 0x1f "f32x4.extract_lane" [Extract(F32, 4)] Simd;
        F32x4ReplaceLane 0xfd 0x20 "f32x4.replace_lane" [Replace(F32, 4)] Simd;
        F64x2ExtractLane 0xfd 0x21 "f64x2.extract_lane" [Extract(F64, 2)] Simd;
        F64x2ReplaceLane 0xfd 0x22 "f64x2.replace_lane" [Replace(F64, 2)] Simd;
        I8x16Eq 0xfd 0x23 "i8x16.eq" [Bin] Simd;
        I8x16Ne 0xfd 0x24 "i8x16.ne" [Bin] Simd;
        I8x16LtS 0xfd 0x25 "i8x16.lt_s" [Bin] Simd;
        I8x16LtU 0xfd 0x26 "i8x16.lt_u" [Bin] Simd;
        I8x16GtS 0xfd 0x27 "i8x16.gt_s" [Bin] Simd;
        I8x16GtU 0xfd 0x28 "i8x16.gt_u" [Bin] Simd;
        I8x16LeS 0xfd 0x29 "i8x16.le_s" [Bin] Simd;
        I8x16LeU 0xfd 0x2a "i8x16.le_u" [Bin] Simd;
        I8x16GeS 0xfd 0x2b "i8x16.ge_s" [Bin] Simd;
        I8x16GeU 0xfd 0x2c "i8x16.ge_u" [Bin] Simd;
        I16x8Eq 0xfd 0x2d "i16x8.eq" [Bin] Simd;
        I16x8Ne 0xfd 0x2e "i16x8.ne" [Bin] Simd;
        I16x8LtS 0xfd 0x2f "i16x8.lt_s" [Bin] Simd;
        I16x8LtU 0xfd 0x30 "i16x8.lt_u" [Bin] Simd;
        I16x8GtS 0xfd 0x31 "i16x8.gt_s" [Bin] Simd;
        I16x8GtU 0xfd 0x32 "i16x8.gt_u" [Bin] Simd;
        I16x8LeS 0xfd 0x33 "i16x8.le_s" [Bin] Simd;
        I16x8LeU 0xfd 0x34 "i16x8.le_u" [Bin] Simd;
        I16x8GeS 0xfd 0x35 "i16x8.ge_s" [Bin] Simd;
        I16x8GeU 0xfd 0x36 "i16x8.ge_u" [Bin] Simd;
        I32x4Eq 0xfd 0x37 "i32x4.eq" [Bin] Simd;
        I32x4Ne 0xfd 0x38 "i32x4.ne" [Bin] Simd;
        I32x4LtS 0xfd 0x39 "i32x4.lt_s" [Bin] Simd;
        I32x4LtU 0xfd 0x3a "i32x4.lt_u" [Bin] Simd;
        I32x4GtS 0xfd 0x3b "i32x4.gt_s" [Bin] Simd;
        I32x4GtU 0xfd 0x3c "i32x4.gt_u" [Bin] Simd;
        I32x4LeS 0xfd 0x3d "i32x4.le_s" [Bin] Simd;
        I32x4LeU 0xfd 0x3e "i32x4.le_u" [Bin] Simd;
        I32x4GeS 0xfd 0x3f "i32x4.ge_s" [Bin] Simd;
        I32x4GeU 0xfd 0x40 "i32x4.ge_u" [Bin] Simd;
        F32x4Eq 0xfd 0x41 "f32x4.eq" [Bin] Simd;
        F32x4Ne 0xfd 0x42 "f32x4.ne" [Bin] Simd;
        F32x4Lt 0xfd 0x43 "f32x4.lt" [Bin] Simd;
        F32x4Gt 0xfd 0x44 "f32x4.gt" [Bin] Simd;
        F32x4Le 0xfd 0x45 "f32x4.le" [Bin] Simd;
        F32x4Ge 0xfd 0x46 "f32x4.ge" [Bin] Simd;
        F64x2Eq 0xfd 0x47 "f64x2.eq" [Bin] Simd;
        F64x2Ne 0xfd 0x48 "f64x2.ne" [Bin] Simd;
        F64x2Lt 0xfd 0x49 "f64x2.lt" [Bin] Simd;
        F64x2Gt 0xfd 0x4a "f64x2.gt" [Bin] Simd;
        F64x2Le 0xfd 0x4b "f64x2.le" [Bin] Simd;
        F64x2Ge 0xfd 0x4c "f64x2.ge" [Bin] Simd;
        V128Not 0xfd 0x4d "v128.not" [Un] Simd;
        V128And 0xfd 0x4e "v128.and" [Bin] Simd;
        V128Andnot 0xfd 0x4f "v128.andnot" [Bin] Simd;
        V128Or 0xfd 0x50 "v128.or" [Bin] Simd;
        V128Xor 0xfd 0x51 "v128.xor" [Bin] Simd;
        V128Bitselect 0xfd 0x52 "v128.bitselect" [Tern] Simd;
        V128AnyTrue 0xfd 0x53 "v128.any_true" [Test] Simd;
        V128Load8Lane 0xfd 0x54 "v128.load8_lane" [LoadLane(1)] Simd;
        V128Load16Lane 0xfd 0x55 "v128.load16_lane" [LoadLane(2)] Simd;
        V128Load32Lane 0xfd 0x56 "v128.load32_lane" [LoadLane(4)] Simd;
        V128Load64Lane 0xfd 0x57 "v128.load64_lane" [LoadLane(8)] Simd;
        V128Store8Lane 0xfd 0x58 "v128.store8_lane" [StoreLane(1)] Simd;
        V128Store16Lane 0xfd 0x59 "v128.store16_lane" [StoreLane(2)] Simd;
        V128Store32Lane 0xfd 0x5a "v128.store32_lane" [StoreLane(4)] Simd;
        V128Store64Lane 0xfd 0x5b "v128.store64_lane" [StoreLane(8)] Simd;
        V128Load32Zero 0xfd 0x5c "v128.load32_zero" [Load(4)] Simd;
        V128Load64Zero 0xfd 0x5d "v128.load64_zero" [Load(8)] Simd;
        F32x4DemoteF64x2Zero 0xfd 0x5e "f32x4.demote_f64x2_zero" [Un] Simd;
        F64x2PromoteLowF32x4 0xfd 0x5f "f64x2.promote_low_f32x4" [Un] Simd;
        I8x16Abs 0xfd 0x60 "i8x16.abs" [Un] Simd;
        I8x16Neg 0xfd 0x61 "i8x16.neg" [Un] Simd;
        I8x16Popcnt 0xfd 0x62 "i8x16.popcnt" [Un] Simd;
        I8x16AllTrue 0xfd 0x63 "i8x16.all_true" [Test] Simd;
        I8x16Bitmask 0xfd 0x64 "i8x16.bitmask" [Test] Simd;
        I8x16NarrowI16x8S 0xfd 0x65 "i8x16.narrow_i16x8_s" [Bin] Simd;
        I8x16NarrowI16x8U 0xfd 0x66 "i8x16.narrow_i16x8_u" [Bin] Simd;
        F32x4Ceil 0xfd 0x67 "f32x4.ceil" [Un] Simd;
        F32x4Floor 0xfd 0x68 "f32x4.floor" [Un] Simd;
        F32x4Trunc 0xfd 0x69 "f32x4.trunc" [Un] Simd;
        F32x4Nearest 0xfd 0x6a "f32x4.nearest" [Un] Simd;
        I8x16Shl 0xfd 0x6b "i8x16.shl" [Shift] Simd;
        I8x16ShrS 0xfd 0x6c "i8x16.shr_s" [Shift] Simd;
        I8x16ShrU 0xfd 0x6d "i8x16.shr_u" [Shift] Simd;
        I8x16Add 0xfd 0x6e "i8x16.add" [Bin] Simd;
        I8x16AddSatS 0xfd 0x6f "i8x16.add_sat_s" [Bin] Simd;
        I8x16AddSatU 0xfd 0x70 "i8x16.add_sat_u" [Bin] Simd;
        I8x16Sub 0xfd 0x71 "i8x16.sub" [Bin] Simd;
        I8x16SubSatS 0xfd 0x72 "i8x16.sub_sat_s" [Bin] Simd;
        I8x16SubSatU 0xfd 0x73 "i8x16.sub_sat_u" [Bin] Simd;
        F64x2Ceil 0xfd 0x74 "f64x2.ceil" [Un] Simd;
        F64x2Floor 0xfd 0x75 "f64x2.floor" [Un] Simd;
        I8x16MinS 0xfd 0x76 "i8x16.min_s" [Bin] Simd;
        I8x16MinU 0xfd 0x77 "i8x16.min_u" [Bin] Simd;
        I8x16MaxS 0xfd 0x78 "i8x16.max_s" [Bin] Simd;
        I8x16MaxU 0xfd 0x79 "i8x16.max_u" [Bin] Simd;
        F64x2Trunc 0xfd 0x7a "f64x2.trunc" [Un] Simd;
        I8x16AvgrU 0xfd 0x7b "i8x16.avgr_u" [Bin] Simd;
        I16x8ExtaddPairwiseI8x16S 0xfd 0x7c "i16x8.extadd_pairwise_i8x16_s" [Un] Simd;
        I16x8ExtaddPairwiseI8x16U 0xfd 0x7d "i16x8.extadd_pairwise_i8x16_u" [Un] Simd;
        I32x4ExtaddPairwiseI16x8S 0xfd 0x7e "i32x4.extadd_pairwise_i16x8_s" [Un] Simd;
        I32x4ExtaddPairwiseI16x8U 0xfd 0x7f "i32x4.extadd_pairwise_i16x8_u" [Un] Simd;
        I16x8Abs 0xfd 0x80 "i16x8.abs" [Un] Simd;
        I16x8Neg 0xfd 0x81 "i16x8.neg" [Un] Simd;
        I16x8Q15mulrSatS 0xfd 0x82 "i16x8.q15mulr_sat_s" [Bin] Simd;
        I16x8AllTrue 0xfd 0x83 "i16x8.all_true" [Test] Simd;
        I16x8Bitmask 0xfd 0x84 "i16x8.bitmask" [Test] Simd;
        I16x8NarrowI32x4S 0xfd 0x85 "i16x8.narrow_i32x4_s" [Bin] Simd;
        I16x8NarrowI32x4U 0xfd 0x86 "i16x8.narrow_i32x4_u" [Bin] Simd;
        I16x8ExtendLowI8x16S 0xfd 0x87 "i16x8.extend_low_i8x16_s" [Un] Simd;
        I16x8ExtendHighI8x16S 0xfd 0x88 "i16x8.extend_high_i8x16_s" [Un] Simd;
        I16x8ExtendLowI8x16U 0xfd 0x89 "i16x8.extend_low_i8x16_u" [Un] Simd;
        I16x8ExtendHighI8x16U 0xfd 0x8a "i16x8.extend_high_i8x16_u" [Un] Simd;
        I16x8Shl 0xfd 0x8b "i16x8.shl" [Shift] Simd;
        I16x8ShrS 0xfd 0x8c "i16x8.shr_s" [Shift] Simd;
        I16x8ShrU 0xfd 0x8d "i16x8.shr_u" [Shift] Simd;
        I16x8Add 0xfd 0x8e "i16x8.add" [Bin] Simd;
        I16x8AddSatS 0xfd 0x8f "i16x8.add_sat_s" [Bin] Simd;
        I16x8AddSatU 0xfd 0x90 "i16x8.add_sat_u" [Bin] Simd;
        I16x8Sub 0xfd 0x91 "i16x8.sub" [Bin] Simd;
        I16x8SubSatS 0xfd 0x92 "i16x8.sub_sat_s" [Bin] Simd;
        I16x8SubSatU 0xfd 0x93 "i16x8.sub_sat_u" [Bin] Simd;
        F64x2Nearest 0xfd 0x94 "f64x2.nearest" [Un] Simd;
        I16x8Mul 0xfd 0x95 "i16x8.mul" [Bin] Simd;
        I16x8MinS 0xfd 0x96 "i16x8.min_s" [Bin] Simd;
        I16x8MinU 0xfd 0x97 "i16x8.min_u" [Bin] Simd;
        I16x8MaxS 0xfd 0x98 "i16x8.max_s" [Bin] Simd;
        I16x8MaxU 0xfd 0x99 "i16x8.max_u" [Bin] Simd;
        I16x8AvgrU 0xfd 0x9b "i16x8.avgr_u" [Bin] Simd;
        I16x8ExtmulLowI8x16S 0xfd 0x9c "i16x8.extmul_low_i8x16_s" [Bin] Simd;
        I16x8ExtmulHighI8x16S 0xfd 0x9d "i16x8.extmul_high_i8x16_s" [Bin] Simd;
        I16x8ExtmulLowI8x16U 0xfd 0x9e "i16x8.extmul_low_i8x16_u" [Bin] Simd;
        I16x8ExtmulHighI8x16U 0xfd 0x9f "i16x8.extmul_high_i8x16_u" [Bin] Simd;
        I32x4Abs 0xfd 0xa0 "i32x4.abs" [Un] Simd;
        I32x4Neg 0xfd 0xa1 "i32x4.neg" [Un] Simd;
        I32x4AllTrue 0xfd 0xa3 "i32x4.all_true" [Test] Simd;
        I32x4Bitmask 0xfd 0xa4 "i32x4.bitmask" [Test] Simd;
        I32x4ExtendLowI16x8S 0xfd 0xa7 "i32x4.extend_low_i16x8_s" [Un] Simd;
        I32x4ExtendHighI16x8S 0xfd 0xa8 "i32x4.extend_high_i16x8_s" [Un] Simd;
        I32x4ExtendLowI16x8U 0xfd 0xa9 "i32x4.extend_low_i16x8_u" [Un] Simd;
        I32x4ExtendHighI16x8U 0xfd 0xaa "i32x4.extend_high_i16x8_u" [Un] Simd;
        I32x4Shl 0xfd 0xab "i32x4.shl" [Shift] Simd;
        I32x4ShrS 0xfd 0xac "i32x4.shr_s" [Shift] Simd;
        I32x4ShrU 0xfd 0xad "i32x4.shr_u" [Shift] Simd;
        I32x4Add 0xfd 0xae "i32x4.add" [Bin] Simd;
        I32x4Sub 0xfd 0xb1 "i32x4.sub" [Bin] Simd;
        I32x4Mul 0xfd 0xb5 "i32x4.mul" [Bin] Simd;
        I32x4MinS 0xfd 0xb6 "i32x4.min_s" [Bin] Simd;
        I32x4MinU 0xfd 0xb7 "i32x4.min_u" [Bin] Simd;
        I32x4MaxS 0xfd 0xb8 "i32x4.max_s" [Bin] Simd;
        I32x4MaxU 0xfd 0xb9 "i32x4.max_u" [Bin] Simd;
        I32x4DotI16x8S 0xfd 0xba "i32x4.dot_i16x8_s" [Bin] Simd;
        I32x4ExtmulLowI16x8S 0xfd 0xbc "i32x4.extmul_low_i16x8_s" [Bin] Simd;
        I32x4ExtmulHighI16x8S 0xfd 0xbd "i32x4.extmul_high_i16x8_s" [Bin] Simd;
        I32x4ExtmulLowI16x8U 0xfd 0xbe "i32x4.extmul_low_i16x8_u" [Bin] Simd;
        I32x4ExtmulHighI16x8U 0xfd 0xbf "i32x4.extmul_high_i16x8_u" [Bin] Simd;
        I64x2Abs 0xfd 0xc0 "i64x2.abs" [Un] Simd;
        I64x2Neg 0xfd 0xc1 "i64x2.neg" [Un] Simd;
        I64x2AllTrue 0xfd 0xc3 "i64x2.all_true" [Test] Simd;
        I64x2Bitmask 0xfd 0xc4 "i64x2.bitmask" [Test] Simd;
        I64x2ExtendLowI32x4S 0xfd 0xc7 "i64x2.extend_low_i32x4_s" [Un] Simd;
        I64x2ExtendHighI32x4S 0xfd 0xc8 "i64x2.extend_high_i32x4_s" [Un] Simd;
        I64x2ExtendLowI32x4U 0xfd 0xc9 "i64x2.extend_low_i32x4_u" [Un] Simd;
        I64x2ExtendHighI32x4U 0xfd 0xca "i64x2.extend_high_i32x4_u" [Un] Simd;
        I64x2Shl 0xfd 0xcb "i64x2.shl" [Shift] Simd;
        I64x2ShrS 0xfd 0xcc "i64x2.shr_s" [Shift] Simd;
        I64x2ShrU 0xfd 0xcd "i64x2.shr_u" [Shift] Simd;
        I64x2Add 0xfd 0xce "i64x2.add" [Bin] Simd;
        I64x2Sub 0xfd 0xd1 "i64x2.sub" [Bin] Simd;
        I64x2Mul 0xfd 0xd5 "i64x2.mul" [Bin] Simd;
        I64x2Eq 0xfd 0xd6 "i64x2.eq" [Bin] Simd;
        I64x2Ne 0xfd 0xd7 "i64x2.ne" [Bin] Simd;
        I64x2LtS 0xfd 0xd8 "i64x2.lt_s" [Bin] Simd;
        I64x2GtS 0xfd 0xd9 "i64x2.gt_s" [Bin] Simd;
        I64x2LeS 0xfd 0xda "i64x2.le_s" [Bin] Simd;
        I64x2GeS 0xfd 0xdb "i64x2.ge_s" [Bin] Simd;
        I64x2ExtmulLowI32x4S 0xfd 0xdc "i64x2.extmul_low_i32x4_s" [Bin] Simd;
        I64x2ExtmulHighI32x4S 0xfd 0xdd "i64x2.extmul_high_i32x4_s" [Bin] Simd;
        I64x2ExtmulLowI32x4U 0xfd 0xde "i64x2.extmul_low_i32x4_u" [Bin] Simd;
        I64x2ExtmulHighI32x4U 0xfd 0xdf "i64x2.extmul_high_i32x4_u" [Bin] Simd;
        F32x4Abs 0xfd 0xe0 "f32x4.abs" [Un] Simd;
        F32x4Neg 0xfd 0xe1 "f32x4.neg" [Un] Simd;
        F32x4Sqrt 0xfd 0xe3 "f32x4.sqrt" [Un] Simd;
        F32x4Add 0xfd 0xe4 "f32x4.add" [Bin] Simd;
        F32x4Sub 0xfd 0xe5 "f32x4.sub" [Bin] Simd;
        F32x4Mul 0xfd 0xe6 "f32x4.mul" [Bin] Simd;
        F32x4Div 0xfd 0xe7 "f32x4.div" [Bin] Simd;
        F32x4Min 0xfd 0xe8 "f32x4.min" [Bin] Simd;
        F32x4Max 0xfd 0xe9 "f32x4.max" [Bin] Simd;
        F32x4Pmin 0xfd 0xea "f32x4.pmin" [Bin] Simd;
        F32x4Pmax 0xfd 0xeb "f32x4.pmax" [Bin] Simd;
        F64x2Abs 0xfd 0xec "f64x2.abs" [Un] Simd;
        F64x2Neg 0xfd 0xed "f64x2.neg" [Un] Simd;
        F64x2Sqrt 0xfd 0xef "f64x2.sqrt" [Un] Simd;
        F64x2Add 0xfd 0xf0 "f64x2.add" [Bin] Simd;
        F64x2Sub 0xfd 0xf1 "f64x2.sub" [Bin] Simd;
        F64x2Mul 0xfd 0xf2 "f64x2.mul" [Bin] Simd;
        F64x2Div 0xfd 0xf3 "f64x2.div" [Bin] Simd;
        F64x2Min 0xfd 0xf4 "f64x2.min" [Bin] Simd;
        F64x2Max 0xfd 0xf5 "f64x2.max" [Bin] Simd;
        F64x2Pmin 0xfd 0xf6 "f64x2.pmin" [Bin] Simd;
        F64x2Pmax 0xfd 0xf7 "f64x2.pmax" [Bin] Simd;
        I32x4TruncSatF32x4S 0xfd 0xf8 "i32x4.trunc_sat_f32x4_s" [Un] Simd;
        I32x4TruncSatF32x4U 0xfd 0xf9 "i32x4.trunc_sat_f32x4_u" [Un] Simd;
        F32x4ConvertI32x4S 0xfd 0xfa "f32x4.convert_i32x4_s" [Un] Simd;
        F32x4ConvertI32x4U 0xfd 0xfb "f32x4.convert_i32x4_u" [Un] Simd;
        I32x4TruncSatF64x2SZero 0xfd 0xfc "i32x4.trunc_sat_f64x2_s_zero" [Un] Simd;
        I32x4TruncSatF64x2UZero 0xfd 0xfd "i32x4.trunc_sat_f64x2_u_zero" [Un] Simd;
        F64x2ConvertLowI32x4S 0xfd 0xfe "f64x2.convert_low_i32x4_s" [Un] Simd;
        F64x2ConvertLowI32x4U 0xfd 0xff "f64x2.convert_low_i32x4_u" [Un] Simd;
        I8x16RelaxedSwizzle 0xfd 0x100 "i8x16.relaxed_swizzle" [Bin] RelaxedSimd;
        I32x4RelaxedTruncF32x4S 0xfd 0x101 "i32x4.relaxed_trunc_f32x4_s" [Un] RelaxedSimd;
        I32x4RelaxedTruncF32x4U 0xfd 0x102 "i32x4.relaxed_trunc_f32x4_u" [Un] RelaxedSimd;
        I32x4RelaxedTruncF64x2SZero 0xfd 0x103 "i32x4.relaxed_trunc_f64x2_s_zero" [Un] RelaxedSimd;
        I32x4RelaxedTruncF64x2UZero 0xfd 0x104 "i32x4.relaxed_trunc_f64x2_u_zero" [Un] RelaxedSimd;
        F32x4RelaxedMadd 0xfd 0x105 "f32x4.relaxed_madd" [Tern] RelaxedSimd;
        F32x4RelaxedNmadd 0xfd 0x106 "f32x4.relaxed_nmadd" [Tern] RelaxedSimd;
        F64x2RelaxedMadd 0xfd 0x107 "f64x2.relaxed_madd" [Tern] RelaxedSimd;
        F64x2RelaxedNmadd 0xfd 0x108 "f64x2.relaxed_nmadd" [Tern] RelaxedSimd;
        I8x16RelaxedLaneselect 0xfd 0x109 "i8x16.relaxed_laneselect" [Tern] RelaxedSimd;
        I16x8RelaxedLaneselect 0xfd 0x10a "i16x8.relaxed_laneselect" [Tern] RelaxedSimd;
        I32x4RelaxedLaneselect 0xfd 0x10b "i32x4.relaxed_laneselect" [Tern] RelaxedSimd;
        I64x2RelaxedLaneselect 0xfd 0x10c "i64x2.relaxed_laneselect" [Tern] RelaxedSimd;
        F32x4RelaxedMin 0xfd 0x10d "f32x4.relaxed_min" [Bin] RelaxedSimd;
        F32x4RelaxedMax 0xfd 0x10e "f32x4.relaxed_max" [Bin] RelaxedSimd;
        F64x2RelaxedMin 0xfd 0x10f "f64x2.relaxed_min" [Bin] RelaxedSimd;
        F64x2RelaxedMax 0xfd 0x110 "f64x2.relaxed_max" [Bin] RelaxedSimd;
        I16x8RelaxedQ15mulrS 0xfd 0x111 "i16x8.relaxed_q15mulr_s" [Bin] RelaxedSimd;
        I16x8RelaxedDotI8x16I7x16S 0xfd 0x112 "i16x8.relaxed_dot_i8x16_i7x16_s" [Bin] RelaxedSimd;
        I32x4RelaxedDotI8x16I7x16AddS 0xfd 0x113 "i32x4.relaxed_dot_i8x16_i7x16_add_s" [Tern] RelaxedSimd;
    }
    // Threads proposal: the 0xFE prefix, kept as its own group.
    atomic {
        MemoryAtomicNotify 0xfe 0x00 "memory.atomic.notify" [Notify] Threads;
        MemoryAtomicWait32 0xfe 0x01 "memory.atomic.wait32" [Wait(I32)] Threads;
        MemoryAtomicWait64 0xfe 0x02 "memory.atomic.wait64" [Wait(I64)] Threads;
        AtomicFence 0xfe 0x03 "atomic.fence" [Fence] Threads;
        I32AtomicLoad 0xfe 0x10 "i32.atomic.load" [Load(I32, 4)] Threads;
        I64AtomicLoad 0xfe 0x11 "i64.atomic.load" [Load(I64, 8)] Threads;
        I32AtomicLoad8U 0xfe 0x12 "i32.atomic.load8_u" [Load(I32, 1)] Threads;
        I32AtomicLoad16U 0xfe 0x13 "i32.atomic.load16_u" [Load(I32, 2)] Threads;
        I64AtomicLoad8U 0xfe 0x14 "i64.atomic.load8_u" [Load(I64, 1)] Threads;
        I64AtomicLoad16U 0xfe 0x15 "i64.atomic.load16_u" [Load(I64, 2)] Threads;
        I64AtomicLoad32U 0xfe 0x16 "i64.atomic.load32_u" [Load(I64, 4)] Threads;
        I32AtomicStore 0xfe 0x17 "i32.atomic.store" [Store(I32, 4)] Threads;
        I64AtomicStore 0xfe 0x18 "i64.atomic.store" [Store(I64, 8)] Threads;
        I32AtomicStore8 0xfe 0x19 "i32.atomic.store8" [Store(I32, 1)] Threads;
        I32AtomicStore16 0xfe 0x1a "i32.atomic.store16" [Store(I32, 2)] Threads;
        I64AtomicStore8 0xfe 0x1b "i64.atomic.store8" [Store(I64, 1)] Threads;
        I64AtomicStore16 0xfe 0x1c "i64.atomic.store16" [Store(I64, 2)] Threads;
        I64AtomicStore32 0xfe 0x1d "i64.atomic.store32" [Store(I64, 4)] Threads;
        I32AtomicRmwAdd 0xfe 0x1e "i32.atomic.rmw.add" [Rmw(I32, 4, Add)] Threads;
        I64AtomicRmwAdd 0xfe 0x1f "i64.atomic.rmw.add" [Rmw(I64, 8, Add)] Threads;
        I32AtomicRmw8AddU 0xfe 0x20 "i32.atomic.rmw8.add_u" [Rmw(I32, 1, Add)] Threads;
        I32AtomicRmw16AddU 0xfe 0x21 "i32.atomic.rmw16.add_u" [Rmw(I32, 2, Add)] Threads;
        I64AtomicRmw8AddU 0xfe 0x22 "i64.atomic.rmw8.add_u" [Rmw(I64, 1, Add)] Threads;
        I64AtomicRmw16AddU 0xfe 0x23 "i64.atomic.rmw16.add_u" [Rmw(I64, 2, Add)] Threads;
        I64AtomicRmw32AddU 0xfe 0x24 "i64.atomic.rmw32.add_u" [Rmw(I64, 4, Add)] Threads;
        I32AtomicRmwSub 0xfe 0x25 "i32.atomic.rmw.sub" [Rmw(I32, 4, Sub)] Threads;
        I64AtomicRmwSub 0xfe 0x26 "i64.atomic.rmw.sub" [Rmw(I64, 8, Sub)] Threads;
        I32AtomicRmw8SubU 0xfe 0x27 "i32.atomic.rmw8.sub_u" [Rmw(I32, 1, Sub)] Threads;
        I32AtomicRmw16SubU 0xfe 0x28 "i32.atomic.rmw16.sub_u" [Rmw(I32, 2, Sub)] Threads;
        I64AtomicRmw8SubU 0xfe 0x29 "i64.atomic.rmw8.sub_u" [Rmw(I64, 1, Sub)] Threads;
        I64AtomicRmw16SubU 0xfe 0x2a "i64.atomic.rmw16.sub_u" [Rmw(I64, 2, Sub)] Threads;
        I64AtomicRmw32SubU 0xfe 0x2b "i64.atomic.rmw32.sub_u" [Rmw(I64, 4, Sub)] Threads;
        I32AtomicRmwAnd 0xfe 0x2c "i32.atomic.rmw.and" [Rmw(I32, 4, And)] Threads;
        I64AtomicRmwAnd 0xfe 0x2d "i64.atomic.rmw.and" [Rmw(I64, 8, And)] Threads;
        I32AtomicRmw8AndU 0xfe 0x2e "i32.atomic.rmw8.and_u" [Rmw(I32, 1, And)] Threads;
        I32AtomicRmw16AndU 0xfe 0x2f "i32.atomic.rmw16.and_u" [Rmw(I32, 2, And)] Threads;
        I64AtomicRmw8AndU 0xfe 0x30 "i64.atomic.rmw8.and_u" [Rmw(I64, 1, And)] Threads;
        I64AtomicRmw16AndU 0xfe 0x31 "i64.atomic.rmw16.and_u" [Rmw(I64, 2, And)] Threads;
        I64AtomicRmw32AndU 0xfe 0x32 "i64.atomic.rmw32.and_u" [Rmw(I64, 4, And)] Threads;
        I32AtomicRmwOr 0xfe 0x33 "i32.atomic.rmw.or" [Rmw(I32, 4, Or)] Threads;
        I64AtomicRmwOr 0xfe 0x34 "i64.atomic.rmw.or" [Rmw(I64, 8, Or)] Threads;
        I32AtomicRmw8OrU 0xfe 0x35 "i32.atomic.rmw8.or_u" [Rmw(I32, 1, Or)] Threads;
        I32AtomicRmw16OrU 0xfe 0x36 "i32.atomic.rmw16.or_u" [Rmw(I32, 2, Or)] Threads;
        I64AtomicRmw8OrU 0xfe 0x37 "i64.atomic.rmw8.or_u" [Rmw(I64, 1, Or)] Threads;
        I64AtomicRmw16OrU 0xfe 0x38 "i64.atomic.rmw16.or_u" [Rmw(I64, 2, Or)] Threads;
        I64AtomicRmw32OrU 0xfe 0x39 "i64.atomic.rmw32.or_u" [Rmw(I64, 4, Or)] Threads;
        I32AtomicRmwXor 0xfe 0x3a "i32.atomic.rmw.xor" [Rmw(I32, 4, Xor)] Threads;
        I64AtomicRmwXor 0xfe 0x3b "i64.atomic.rmw.xor" [Rmw(I64, 8, Xor)] Threads;
        I32AtomicRmw8XorU 0xfe 0x3c "i32.atomic.rmw8.xor_u" [Rmw(I32, 1, Xor)] Threads;
        I32AtomicRmw16XorU 0xfe 0x3d "i32.atomic.rmw16.xor_u" [Rmw(I32, 2, Xor)] Threads;
        I64AtomicRmw8XorU 0xfe 0x3e "i64.atomic.rmw8.xor_u" [Rmw(I64, 1, Xor)] Threads;
        I64AtomicRmw16XorU 0xfe 0x3f "i64.atomic.rmw16.xor_u" [Rmw(I64, 2, Xor)] Threads;
        I64AtomicRmw32XorU 0xfe 0x40 "i64.atomic.rmw32.xor_u" [Rmw(I64, 4, Xor)] Threads;
        I32AtomicRmwXchg 0xfe 0x41 "i32.atomic.rmw.xchg" [Rmw(I32, 4, Xchg)] Threads;
        I64AtomicRmwXchg 0xfe 0x42 "i64.atomic.rmw.xchg" [Rmw(I64, 8, Xchg)] Threads;
        I32AtomicRmw8XchgU 0xfe 0x43 "i32.atomic.rmw8.xchg_u" [Rmw(I32, 1, Xchg)] Threads;
        I32AtomicRmw16XchgU 0xfe 0x44 "i32.atomic.rmw16.xchg_u" [Rmw(I32, 2, Xchg)] Threads;
        I64AtomicRmw8XchgU 0xfe 0x45 "i64.atomic.rmw8.xchg_u" [Rmw(I64, 1, Xchg)] Threads;
        I64AtomicRmw16XchgU 0xfe 0x46 "i64.atomic.rmw16.xchg_u" [Rmw(I64, 2, Xchg)] Threads;
        I64AtomicRmw32XchgU 0xfe 0x47 "i64.atomic.rmw32.xchg_u" [Rmw(I64, 4, Xchg)] Threads;
        I32AtomicRmwCmpxchg 0xfe 0x48 "i32.atomic.rmw.cmpxchg" [Cmpxchg(I32, 4)] Threads;
        I64AtomicRmwCmpxchg 0xfe 0x49 "i64.atomic.rmw.cmpxchg" [Cmpxchg(I64, 8)] Threads;
        I32AtomicRmw8CmpxchgU 0xfe 0x4a "i32.atomic.rmw8.cmpxchg_u" [Cmpxchg(I32, 1)] Threads;
        I32AtomicRmw16CmpxchgU 0xfe 0x4b "i32.atomic.rmw16.cmpxchg_u" [Cmpxchg(I32, 2)] Threads;
        I64AtomicRmw8CmpxchgU 0xfe 0x4c "i64.atomic.rmw8.cmpxchg_u" [Cmpxchg(I64, 1)] Threads;
        I64AtomicRmw16CmpxchgU 0xfe 0x4d "i64.atomic.rmw16.cmpxchg_u" [Cmpxchg(I64, 2)] Threads;
        I64AtomicRmw32CmpxchgU 0xfe 0x4e "i64.atomic.rmw32.cmpxchg_u" [Cmpxchg(I64, 4)] Threads;
    }
        }
    };
}

/// The proposal that introduced an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// WebAssembly 1.0.
    Mvp,
    /// Sign-extension operators.
    SignExtension,
    /// Non-trapping float-to-int conversions.
    SaturatingFloatToInt,
    /// Bulk memory operations.
    BulkMemory,
    /// Reference types.
    RefTypes,
    /// Fixed-width SIMD.
    Simd,
    /// Relaxed SIMD.
    RelaxedSimd,
    /// Tail calls.
    TailCall,
    /// Wide arithmetic (128-bit add/sub, wide multiplication).
    WideArithmetic,
    /// Typed function references.
    FunctionReferences,
    /// Garbage collection.
    Gc,
    /// Exception handling.
    Exceptions,
    /// Legacy exception handling (`try`, `catch`, `delegate`, `rethrow`).
    LegacyExceptions,
    /// Custom descriptors.
    CustomDescriptors,
    /// Threads: shared memories and atomic instructions (prefix 0xFE).
    Threads,
}

impl Feature {
    /// Whether the feature set enables this feature.
    pub fn enabled(self, f: &crate::Features) -> bool {
        match self {
            Feature::Mvp => true,
            Feature::SignExtension => f.sign_extension,
            Feature::SaturatingFloatToInt => f.saturating_float_to_int,
            Feature::BulkMemory => f.bulk_memory,
            Feature::RefTypes => f.reference_types,
            Feature::Simd => f.simd,
            Feature::RelaxedSimd => f.relaxed_simd,
            Feature::TailCall => f.tail_call,
            Feature::WideArithmetic => f.wide_arithmetic,
            Feature::FunctionReferences => f.function_references,
            Feature::Gc => f.gc,
            Feature::Exceptions | Feature::LegacyExceptions => f.exceptions,
            Feature::CustomDescriptors => f.custom_descriptors,
            Feature::Threads => f.threads,
        }
    }

    /// The proposal's name as used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Mvp => "mvp",
            Feature::SignExtension => "sign_extension",
            Feature::SaturatingFloatToInt => "saturating_float_to_int",
            Feature::BulkMemory => "bulk_memory",
            Feature::RefTypes => "reference_types",
            Feature::Simd => "simd",
            Feature::RelaxedSimd => "relaxed_simd",
            Feature::TailCall => "tail_call",
            Feature::WideArithmetic => "wide_arithmetic",
            Feature::FunctionReferences => "function_references",
            Feature::Gc => "gc",
            Feature::Exceptions | Feature::LegacyExceptions => "exceptions",
            Feature::CustomDescriptors => "custom_descriptors",
            Feature::Threads => "threads",
        }
    }
}

/// The kind of immediate an instruction carries in the binary format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImmKind {
    /// No immediate.
    None,
    /// A block type.
    Block,
    /// A label index.
    Label,
    /// A vector of labels and a default label.
    BrTable,
    /// A function index.
    Func,
    /// Type index, then table index.
    CallIndirect,
    /// A local index.
    Local,
    /// A global index.
    Global,
    /// A table index.
    Table,
    /// Destination and source table index.
    TableCopy,
    /// Element segment index, then table index.
    TableInit,
    /// Element segment index.
    Elem,
    /// Data segment index.
    Data,
    /// Data segment index, then memory index.
    MemoryInit,
    /// A memory index (a zero byte without multi-memory).
    Mem,
    /// Destination and source memory index.
    MemCopy,
    /// Alignment and offset.
    MemArg,
    /// i32 constant.
    I32,
    /// i64 constant.
    I64,
    /// f32 constant (bits).
    F32,
    /// f64 constant (bits).
    F64,
    /// v128 constant.
    V128,
    /// 16 lane indices.
    Shuffle,
    /// One lane index.
    Lane,
    /// Memarg and lane index.
    MemArgLane,
    /// A heap type.
    HeapType,
    /// A vector of value types (typed select).
    SelectT,
    /// A tag index.
    Tag,
    /// A type index.
    TypeIdx,
    /// A type index and a second index (field, count, segment or type).
    TypeField,
    /// A type index and a data segment index.
    TypeData,
    /// A heap type; the nullability comes from the opcode.
    RefTest,
    /// Cast flags, a label and two heap types.
    BrOnCast,
    /// A block type and catch clauses.
    TryTable,
}

/// SIMD validation classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdClass {
    /// `[i32] -> [v128]`, reads this many bytes (natural alignment).
    Load(u32),
    /// `[i32 v128] -> []`.
    Store,
    /// `[i32 v128] -> [v128]`, lane of this many bytes.
    LoadLane(u32),
    /// `[i32 v128] -> []`, lane of this many bytes.
    StoreLane(u32),
    /// `[] -> [v128]`.
    Const,
    /// `[v128 v128] -> [v128]` with 16 lane immediates.
    Shuffle,
    /// `[v128] -> [v128]`.
    Un,
    /// `[v128 v128] -> [v128]`.
    Bin,
    /// `[v128 v128 v128] -> [v128]`.
    Tern,
    /// `[v128] -> [i32]`.
    Test,
    /// `[v128 i32] -> [v128]`.
    Shift,
    /// `[t] -> [v128]`.
    Splat(NumType),
    /// `[v128] -> [t]` with a lane immediate below the count.
    Extract(NumType, u8),
    /// `[v128 t] -> [v128]` with a lane immediate below the count.
    Replace(NumType, u8),
}

/// How an instruction is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Typed by its own rule in the validator.
    Special(ImmKind),
    /// `[t1] -> [t2]`.
    Unop(NumType, NumType),
    /// `[t1 t1] -> [t2]`.
    Binop(NumType, NumType),
    /// `[i32] -> [t]`, accessing this many bytes.
    Load(NumType, u32),
    /// `[i32 t] -> []`, accessing this many bytes.
    Store(NumType, u32),
    /// A SIMD instruction.
    Simd(SimdClass),
    /// An atomic instruction (threads).
    Atomic(AtomicClass),
}

/// The read-modify-write operators of the threads proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmwOp {
    /// Wrapping addition.
    Add,
    /// Wrapping subtraction.
    Sub,
    /// Bitwise and.
    And,
    /// Bitwise or.
    Or,
    /// Bitwise exclusive or.
    Xor,
    /// Exchange: the new value is the operand.
    Xchg,
}

/// Validation classes of the atomic instructions (prefix 0xFE). Widths are
/// the accessed bytes; narrow accesses zero-extend (`_u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicClass {
    /// `memory.atomic.notify`: `[addr i32] -> [i32]`, a 4-byte access.
    Notify,
    /// `memory.atomic.waitN`: `[addr t i64] -> [i32]`.
    Wait(NumType),
    /// `atomic.fence`: `[] -> []`, a zero byte immediate.
    Fence,
    /// `[addr] -> [t]`.
    Load(NumType, u32),
    /// `[addr t] -> []`.
    Store(NumType, u32),
    /// `[addr t] -> [t]`, returns the old value.
    Rmw(NumType, u32, RmwOp),
    /// `[addr t t] -> [t]` (expected, replacement), returns the old value.
    Cmpxchg(NumType, u32),
}

impl AtomicClass {
    /// The accessed width in bytes (0 for the fence).
    pub const fn width(self) -> u32 {
        match self {
            AtomicClass::Notify => 4,
            AtomicClass::Wait(NumType::I64) => 8,
            AtomicClass::Wait(_) => 4,
            AtomicClass::Fence => 0,
            AtomicClass::Load(_, w)
            | AtomicClass::Store(_, w)
            | AtomicClass::Rmw(_, w, _)
            | AtomicClass::Cmpxchg(_, w) => w,
        }
    }
}

macro_rules! define_opcodes {
    (
        special { $( $sn:ident $sp:literal $sc:literal $st:literal $simm:ident $sf:ident; )* }
        unop { $( $un:ident $up:literal $uc:literal $ut:literal $ua:ident $ub:ident $uf:ident; )* }
        binop { $( $bn:ident $bp:literal $bc:literal $bt:literal $ba:ident $bb:ident $bf:ident; )* }
        load { $( $ln:ident $lp:literal $lc:literal $lt:literal $la:ident $lw:literal $lf:ident; )* }
        store { $( $tn:ident $tp:literal $tc:literal $tt:literal $ta:ident $tw:literal $tf:ident; )* }
        simd { $( $vn:ident $vp:literal $vc:literal $vt:literal [$($vk:tt)*] $vf:ident; )* }
        atomic { $( $an:ident $ap:literal $ac:literal $at:literal [$($ak:tt)*] $af:ident; )* }
    ) => {
        /// Every instruction's opcode.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Opcode {
            $($sn,)* $($un,)* $($bn,)* $($ln,)* $($tn,)* $($vn,)*
            $($an,)*
        }

        impl Opcode {
            /// All opcodes, in table order.
            pub const ALL: &'static [Opcode] = &[
                $(Opcode::$sn,)* $(Opcode::$un,)* $(Opcode::$bn,)* $(Opcode::$ln,)* $(Opcode::$tn,)* $(Opcode::$vn,)*
                $(Opcode::$an,)*
            ];

            /// The text-format name.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Opcode::$sn => $st,)* $(Opcode::$un => $ut,)* $(Opcode::$bn => $bt,)*
                    $(Opcode::$ln => $lt,)* $(Opcode::$tn => $tt,)* $(Opcode::$vn => $vt,)*
                    $(Opcode::$an => $at,)*
                }
            }

            /// Prefix byte (0 for none) and (sub)opcode.
            pub const fn encoding(self) -> (u8, u32) {
                match self {
                    $(Opcode::$sn => ($sp, $sc),)* $(Opcode::$un => ($up, $uc),)* $(Opcode::$bn => ($bp, $bc),)*
                    $(Opcode::$ln => ($lp, $lc),)* $(Opcode::$tn => ($tp, $tc),)* $(Opcode::$vn => ($vp, $vc),)*
                    $(Opcode::$an => ($ap, $ac),)*
                }
            }

            /// The proposal that introduced the instruction.
            pub const fn feature(self) -> Feature {
                match self {
                    $(Opcode::$sn => Feature::$sf,)* $(Opcode::$un => Feature::$uf,)* $(Opcode::$bn => Feature::$bf,)*
                    $(Opcode::$ln => Feature::$lf,)* $(Opcode::$tn => Feature::$tf,)* $(Opcode::$vn => Feature::$vf,)*
                    $(Opcode::$an => Feature::$af,)*
                }
            }

            /// The typing class (the table's entry, for [`Opcode::class`]).
            const fn class_of(self) -> Class {
                use NumType::*;
                use RmwOp::*;
                match self {
                    $(Opcode::$sn => Class::Special(ImmKind::$simm),)*
                    $(Opcode::$un => Class::Unop($ua, $ub),)*
                    $(Opcode::$bn => Class::Binop($ba, $bb),)*
                    $(Opcode::$ln => Class::Load($la, $lw),)*
                    $(Opcode::$tn => Class::Store($ta, $tw),)*
                    $(Opcode::$vn => Class::Simd(SimdClass::$($vk)*),)*
                    $(Opcode::$an => Class::Atomic(AtomicClass::$($ak)*),)*
                }
            }
        }
    };
}

for_each_instr!(define_opcodes);

/// Every opcode's typing class, indexed by the opcode (one load instead of
/// a match over 600 opcodes on every instruction decoded and validated).
const CLASSES: [Class; Opcode::ALL.len()] = {
    let mut t = [Class::Special(ImmKind::None); Opcode::ALL.len()];
    let mut i = 0;
    while i < t.len() {
        t[i] = Opcode::ALL[i].class_of();
        i += 1;
    }
    t
};

impl Opcode {
    /// The typing class.
    pub const fn class(self) -> Class {
        // `ALL` lists the opcodes in declaration order, so an opcode's
        // discriminant is its index there.
        CLASSES[self as usize]
    }

    /// The immediate kind in the binary format.
    pub const fn imm_kind(self) -> ImmKind {
        match self.class() {
            Class::Special(k) => k,
            Class::Unop(..) | Class::Binop(..) => ImmKind::None,
            Class::Load(..) | Class::Store(..) => ImmKind::MemArg,
            Class::Simd(c) => match c {
                SimdClass::Load(_) | SimdClass::Store => ImmKind::MemArg,
                SimdClass::LoadLane(_) | SimdClass::StoreLane(_) => ImmKind::MemArgLane,
                SimdClass::Const => ImmKind::V128,
                SimdClass::Shuffle => ImmKind::Shuffle,
                SimdClass::Extract(..) | SimdClass::Replace(..) => ImmKind::Lane,
                _ => ImmKind::None,
            },
            // binary: the fence's zero byte is read by the decoder itself.
            Class::Atomic(AtomicClass::Fence) => ImmKind::None,
            Class::Atomic(_) => ImmKind::MemArg,
        }
    }

    /// Looks up an opcode by prefix (0, 0xFB, 0xFC, 0xFD, 0xFE) and (sub)opcode.
    pub fn from_encoding(prefix: u8, code: u32) -> Option<Opcode> {
        let table: &[Option<Opcode>] = match prefix {
            0x00 => &TABLE_PLAIN,
            0xfc => &TABLE_FC,
            0xfd => &TABLE_FD,
            0xfb => &TABLE_FB,
            0xfe => &TABLE_FE,
            _ => return None,
        };
        table.get(usize::try_from(code).ok()?).copied().flatten()
    }
}

const fn build_table<const N: usize>(prefix: u8) -> [Option<Opcode>; N] {
    let mut t = [None; N];
    let mut i = 0;
    while i < Opcode::ALL.len() {
        let op = Opcode::ALL[i];
        let (p, c) = op.encoding();
        if p == prefix && (c as usize) < N {
            t[c as usize] = Some(op);
        }
        i += 1;
    }
    t
}

static TABLE_PLAIN: [Option<Opcode>; 256] = build_table(0x00);
static TABLE_FC: [Option<Opcode>; 32] = build_table(0xfc);
static TABLE_FB: [Option<Opcode>; 40] = build_table(0xfb);
static TABLE_FD: [Option<Opcode>; 0x120] = build_table(0xfd);
static TABLE_FE: [Option<Opcode>; 0x50] = build_table(0xfe);

/// A memory operand: alignment exponent, offset, memory index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemArg {
    /// log2 of the alignment hint.
    pub align: u32,
    /// Static offset.
    pub offset: u64,
    /// Memory index.
    pub mem: u32,
}

/// Block types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// `[] -> []`
    Empty,
    /// `[] -> [t]`
    Val(ValType),
    /// A type index.
    Func(u32),
}

/// Decoded immediates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Imm {
    /// None.
    None,
    /// Block type.
    Block(BlockType),
    /// One index (label, function, local, global, table, memory, segment).
    Idx(u32),
    /// Two indices, in binary order.
    Idx2(u32, u32),
    /// `br_table` labels, the default label last.
    BrTable(Box<[u32]>),
    /// Memory operand.
    MemArg(MemArg),
    /// i32 constant.
    I32(u32),
    /// i64 constant.
    I64(u64),
    /// f32 constant bits.
    F32(u32),
    /// f64 constant bits.
    F64(u64),
    /// v128 constant, little-endian bytes.
    V128([u8; 16]),
    /// Lane index.
    Lane(u8),
    /// Memory operand and lane index.
    MemArgLane(MemArg, u8),
    /// Shuffle lane indices.
    Shuffle([u8; 16]),
    /// Heap type.
    Heap(HeapType),
    /// Value types of a typed select.
    Types(Box<[ValType]>),
    /// A reference type (`ref.test`, `ref.cast`).
    Ref(RefType),
    /// `br_on_cast(_fail)`: label, source and target types.
    Cast(Box<(u32, RefType, RefType)>),
    /// `try_table`: block type and catch clauses.
    TryTable(Box<(BlockType, Vec<Catch>)>),
}

/// Catch clause kinds of `try_table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchKind {
    /// `catch x l`
    Catch,
    /// `catch_ref x l`
    CatchRef,
    /// `catch_all l`
    CatchAll,
    /// `catch_all_ref l`
    CatchAllRef,
}

/// A catch clause of `try_table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Catch {
    /// Its kind.
    pub kind: CatchKind,
    /// Tag index (unused for `catch_all`).
    pub tag: u32,
    /// Label index.
    pub label: u32,
}

/// One instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instr {
    /// The opcode.
    pub op: Opcode,
    /// Its immediates.
    pub imm: Imm,
}

impl Instr {
    /// The single index immediate, or 0.
    pub fn idx(&self) -> u32 {
        match self.imm {
            Imm::Idx(x) => x,
            _ => 0,
        }
    }
    /// Both index immediates, or zeros.
    pub fn idx2(&self) -> (u32, u32) {
        match self.imm {
            Imm::Idx2(x, y) => (x, y),
            _ => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_table_is_indexed_by_opcode() {
        for (i, &op) in Opcode::ALL.iter().enumerate() {
            assert_eq!(op as usize, i, "{}", op.name());
            assert_eq!(op.class(), op.class_of(), "{}", op.name());
        }
    }

    #[test]
    fn table_round_trips() {
        for &op in Opcode::ALL {
            let (p, c) = op.encoding();
            assert_eq!(Opcode::from_encoding(p, c), Some(op), "{}", op.name());
        }
        let atomic = Opcode::ALL
            .iter()
            .filter(|o| o.feature() == Feature::Threads)
            .count();
        assert_eq!(atomic, 67, "threads: 4 + 7 loads + 7 stores + 7 x 7 rmw");
        assert_eq!(
            Opcode::ALL.len() - atomic,
            48 + 45 + 60 + 76 + 14 + 9 + 256 + 7
        );
    }
}
