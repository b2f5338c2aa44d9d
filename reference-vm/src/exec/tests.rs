use super::*;
use crate::{Features, decode_module, validate_module};

/// (module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))
const DIV: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 7, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 3, 2, 1, 0, 7, 7, 1, 3,
    b'd', b'i', b'v', 0, 0, 10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6d, 0x0b,
];

#[test]
fn invoke_returns_and_traps() {
    let f = Features::v2();
    let v = validate_module(&decode_module(DIV, &f).unwrap(), &f).unwrap();
    let mut s = Store::new(Config::default());
    let m = s.instantiate(&v, &[]).unwrap();
    let Some(ExternVal::Func(div)) = s.export(m, "div") else {
        panic!()
    };
    assert_eq!(
        s.invoke(div, &[Val::I32(7), Val::I32(2)]),
        Ok(vec![Val::I32(3)])
    );
    assert_eq!(
        s.invoke(div, &[Val::I32(1), Val::I32(0)]),
        Err(Trap::IntegerDivideByZero)
    );
    assert_eq!(
        s.invoke(div, &[Val::I32(i32::MIN as u32), Val::I32(u32::MAX)]),
        Err(Trap::IntegerOverflow)
    );
    assert!(matches!(
        s.invoke(div, &[Val::I64(1)]),
        Err(Trap::BadArguments(_))
    ));
    assert_eq!(
        Trap::IntegerDivideByZero.to_string(),
        "integer divide by zero"
    );
}

#[test]
fn extern_refs_round_trip() {
    for r in [
        Ref::Extern(7),
        Ref::Func(FuncAddr(3)),
        Ref::Null(HeapType::Extern),
    ] {
        assert_eq!(Ref::from_bits(r.to_bits(), HeapType::Extern), r);
    }
}

/// (func $loop (export "loop") (param i64) (result i64)
///   (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 42))
///     (else (return_call $loop (i64.sub (local.get 0) (i64.const 1))))))
const TAIL_LOOP: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7e, 1, 0x7e, 3, 2, 1, 0, 7, 8, 1, 4, b'l',
    b'o', b'o', b'p', 0, 0, 10, 20, 1, 18, 0, 0x20, 0, 0x50, 0x04, 0x7e, 0x42, 42, 0x05, 0x20, 0,
    0x42, 1, 0x7d, 0x12, 0, 0x0b, 0x0b,
];

#[test]
fn tail_calls_run_in_constant_frame_space() {
    let f = Features::v3();
    let v = validate_module(&decode_module(TAIL_LOOP, &f).unwrap(), &f).unwrap();
    let mut s = Store::new(Config::default());
    let m = s.instantiate(&v, &[]).unwrap();
    let Some(ExternVal::Func(tail_loop)) = s.export(m, "loop") else {
        panic!()
    };
    // 10^7 tail calls, far beyond the call-depth budget of 20 000 frames.
    assert_eq!(
        s.invoke(tail_loop, &[Val::I64(10_000_000)]),
        Ok(vec![Val::I64(42)])
    );
    assert!(s.stack.len() <= 4096, "stack grew to {}", s.stack.len());
    // Without the feature, return_call is rejected with a message naming it.
    let err = decode_module(TAIL_LOOP, &Features::v2()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal opcode 12 (feature tail_call is not enabled)"
    );
}

/// (memory (export "m") i64 1 0x1_0000_0000_0000)
const MEM64_HUGE_MAX: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 10, 1, 5, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 7,
    5, 1, 1, b'm', 2, 0,
];

#[test]
fn memory64_with_a_huge_maximum_allocates_only_its_minimum() {
    let f = Features::v3();
    let v = validate_module(&decode_module(MEM64_HUGE_MAX, &f).unwrap(), &f).unwrap();
    let mut s = Store::new(Config::default());
    let m = s.instantiate(&v, &[]).unwrap();
    let Some(ExternVal::Mem(mem)) = s.export(m, "m") else {
        panic!()
    };
    assert_eq!(s.memory_data(mem).len(), 65536);
    let t = s.memory_type(mem).unwrap();
    assert!(t.idx64);
    assert_eq!(t.limits.max, Some(1 << 48));
    // Growing to 2^48 pages is refused by the configured cap, not attempted.
    assert_eq!(s.mems[mem.0 as usize].grow((1 << 48) - 1, 4 << 30), None);
}

/// (func $inner unreachable) (func $outer (export "run") call $inner), with a
/// name section naming both.
const NAMED: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 3, 2, 0, 0, 7, 7, 1, 3, b'r', b'u',
    b'n', 0, 1, 10, 10, 2, 3, 0, 0, 0x0b, 4, 0, 0x10, 0, 0x0b, 0, 22, 4, b'n', b'a', b'm', b'e', 1,
    15, 2, 0, 5, b'i', b'n', b'n', b'e', b'r', 1, 5, b'o', b'u', b't', b'e', b'r',
];

#[test]
fn traps_carry_a_backtrace_with_names() {
    let f = Features::v3();
    let m = decode_module(NAMED, &f).unwrap();
    assert_eq!(m.names().funcs.get(&1).map(String::as_str), Some("outer"));
    let v = validate_module(&m, &f).unwrap();
    let mut s = Store::new(Config::default());
    let inst = s.instantiate(&v, &[]).unwrap();
    let Some(ExternVal::Func(run)) = s.export(inst, "run") else {
        panic!()
    };
    assert_eq!(s.func_name(run), Some("outer"));
    assert_eq!(s.invoke(run, &[]), Err(Trap::Unreachable));
    let bt: Vec<String> = s.last_backtrace().iter().map(|f| f.to_string()).collect();
    assert_eq!(bt, ["$inner (func 0) at 0", "$outer (func 1) at 0"]);
}
