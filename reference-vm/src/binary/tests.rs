use super::*;

#[test]
fn header_errors_have_spec_messages() {
    let f = Features::v2();
    assert_eq!(
        decode_module(b"", &f).unwrap_err().to_string(),
        "unexpected end of section or function"
    );
    assert_eq!(
        decode_module(b"\0asn\x01\0\0\0", &f).unwrap_err(),
        DecodeError::MagicHeader
    );
    assert_eq!(
        decode_module(b"\0asm\x02\0\0\0", &f).unwrap_err(),
        DecodeError::UnknownVersion
    );
    assert_eq!(
        decode_module(b"\0asm\x01\0\0\0\x0e\x01\0", &f).unwrap_err(),
        DecodeError::MalformedSectionId
    );
}

#[test]
fn leb128_limits() {
    let mut r = Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x10]);
    assert_eq!(r.u32(), Err(DecodeError::IntegerTooLarge));
    let mut r = Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    assert_eq!(r.u32(), Err(DecodeError::IntegerTooLong));
    let mut r = Reader::new(&[0x7f]);
    assert_eq!(r.s32(), Ok(-1));
    let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x4f]);
    assert_eq!(r.s32(), Err(DecodeError::IntegerTooLarge));
}
