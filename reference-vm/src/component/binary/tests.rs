//! Decoder tests with hand-made bytes (Binary.md).

use super::*;

const PRE: &[u8] = b"\0asm\x0d\x00\x01\x00";

fn dec(sections: &[u8]) -> Result<Component> {
    let mut b = PRE.to_vec();
    b.extend_from_slice(sections);
    decode_component(&b, &Features::default())
}

fn err(sections: &[u8]) -> String {
    dec(sections).expect_err("should be malformed").to_string()
}

#[test]
fn preamble() {
    assert!(dec(b"").unwrap().defs.is_empty());
    assert_eq!(
        decode_component(b"\0asm\x0c\x00\x01\x00", &Features::default())
            .unwrap_err()
            .to_string(),
        "unknown binary version: 0xc"
    );
    assert!(
        decode_component(b"\0asm\x01\x00\x00\x00", &Features::default())
            .unwrap_err()
            .to_string()
            .contains("expected a version header for a component")
    );
    assert_eq!(
        decode_component(b"\0as", &Features::default()).unwrap_err(),
        DecodeError::UnexpectedEof
    );
}

#[test]
fn sections_are_bounded() {
    assert!(err(b"\x07\x03\x00").contains("unexpected end-of-file"));
    assert!(err(b"\x07\x01\x01\x73").contains("unexpected end-of-file"));
    assert!(err(b"\x0d\x00").contains("malformed section id"));
    assert!(err(b"\x07\x81\x80\x80\x80\x70\x00").contains("integer too large"));
    assert!(err(b"\x07\x04\xbf\x84\x3d\x73").contains("unexpected end-of-file"));
    assert!(err(b"\x00\x03\x02\xff\xfe").contains("malformed UTF-8 encoding"));
}

#[test]
fn types_decode() {
    // (type (func (param "a" u32) (result string))) and a record of it.
    let c = dec(b"\x07\x0d\x02\x40\x01\x01a\x79\x00\x73\x72\x01\x01x\x00").unwrap();
    match &c.defs[..] {
        [
            Definition::Type(DefType::Func(f)),
            Definition::Type(DefType::Val(DefValType::Record(r))),
        ] => {
            assert_eq!(
                f.params,
                vec![("a".to_string(), ValType::Prim(PrimValType::U32))]
            );
            assert_eq!(f.result, Some(ValType::Prim(PrimValType::String)));
            assert_eq!(r, &vec![("x".to_string(), ValType::Idx(0))]);
        }
        d => panic!("unexpected {d:?}"),
    }
    assert!(
        err(b"\x07\x02\x01\x44").contains("invalid leading byte (0x44) for component defined type")
    );
    assert!(err(b"\x07\x07\x01\x71\x01\x01c\x00\x01").contains("(0x1) for zero byte required"));
}

#[test]
fn leading_bytes() {
    assert!(err(b"\x05\x04\x01\x02\x00\x00").contains("invalid leading byte (0x2) for instance"));
    assert!(err(b"\x06\x05\x01\x05\x02\x00\x00").contains("(0x5) for component outer alias kind"));
    assert!(err(b"\x08\x03\x01\x0c\x02").contains("invalid boolean value"));
    assert!(err(b"\x08\x06\x01\x01\x00\x00\x01\x0a").contains("(0xa) for canonical option"));
    assert!(err(b"\x0a\x06\x01\x03\x01a\x01\x00").contains("(0x3) for component name"));
}

#[test]
fn attributes_repeat_for_validation() {
    // import with attributes: implements twice.
    let c = dec(b"\x0a\x11\x01\x02\x01a\x02\x00\x03a:b\x00\x03a:c\x05\x00").unwrap();
    let Definition::Import(i) = &c.defs[0] else {
        panic!()
    };
    assert_eq!(i.name.implements.as_deref(), Some("a:b"));
    assert_eq!(i.name.repeated_attribute, Some("implements"));
}

#[test]
fn nesting_is_bounded() {
    // 200 nested instance types: (type (instance (type (instance ...)))).
    let mut ty = vec![0x42, 0x00];
    for _ in 0..200 {
        let mut t = vec![0x42, 0x01, 0x01];
        t.extend_from_slice(&ty);
        ty = t;
    }
    let mut sec = vec![0x01];
    sec.extend_from_slice(&ty);
    let mut b = vec![0x07];
    let n = sec.len() as u32;
    b.extend_from_slice(&[(n & 0x7f) as u8 | 0x80, (n >> 7) as u8]);
    b.extend_from_slice(&sec);
    assert!(err(&b).contains("nesting is too deep"));
}

#[test]
fn core_modules_and_names() {
    let c = dec(b"\x01\x08\0asm\x01\0\0\0\x00\x13\x0ecomponent-name\x00\x02\x01c").unwrap();
    assert!(matches!(c.defs[..], [Definition::CoreModule(_)]));
    assert_eq!(c.name.as_deref(), Some("c"));
    assert!(err(b"\x01\x08\0asm\x0d\0\x01\0").contains("expected a version header for a module"));
    assert!(
        err(b"\x01\x11\0asm\x01\0\0\0\x01\x01\x00\x0b\x01\x00\x01\x01\x00")
            .contains("section out of order")
    );
}
