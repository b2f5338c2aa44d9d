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

#[test]
fn section_size_beyond_the_input_is_length_out_of_bounds() {
    // Type section of declared size 7 with only 4 bytes left (spec binary.wast).
    let m = b"\0asm\x01\0\0\0\x01\x07\x02\x60\0\0";
    for f in [Features::v2(), Features::v3()] {
        assert_eq!(
            decode_module(m, &f).unwrap_err(),
            DecodeError::LengthOutOfBounds
        );
    }
    // A vector count beyond the section is still an unexpected end.
    let m = b"\0asm\x01\0\0\0\x04\x01\x01";
    assert_eq!(
        decode_module(m, &Features::v3()).unwrap_err(),
        DecodeError::UnexpectedEnd
    );
}

#[test]
fn function_type_form_is_a_signed_leb128() {
    // -0x20 encoded in two bytes: too long for s7 (spec binary-leb128.wast).
    let m = b"\0asm\x01\0\0\0\x01\x05\x01\xe0\x7f\0\0";
    assert_eq!(
        decode_module(m, &Features::v3()).unwrap_err(),
        DecodeError::IntegerTooLong
    );
}

#[test]
fn custom_page_sizes_are_decoded_only_when_enabled() {
    // (memory 0 (pagesize 1)): limits flags 0x08, page size log2 0.
    let m = b"\0asm\x01\0\0\0\x05\x04\x01\x08\x00\x00";
    assert_eq!(
        decode_module(m, &Features::v3()).unwrap_err(),
        DecodeError::MalformedLimitsFlags
    );
    let d = decode_module(m, &Features::latest()).unwrap();
    assert_eq!(d.mems[0].page_size_log2, 0);
    // A page size of 2^65 is malformed.
    let m = b"\0asm\x01\0\0\0\x05\x04\x01\x08\x00\x41";
    assert_eq!(
        decode_module(m, &Features::latest()).unwrap_err(),
        DecodeError::InvalidCustomPageSize
    );
}
