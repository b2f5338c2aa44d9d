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
