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

/// `(func (param i32) local.get 0 if end)` with a branch hint section of the
/// given hint entry (offset, reserved size, value).
fn hinted(entry: &[u8]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0\x01\x05\x01\x60\x01\x7f\x00\x03\x02\x01\x00".to_vec();
    // Code: locals at offset 0, local.get at 1, if at 3, end at 5, end at 6.
    m.extend_from_slice(b"\x0a\x09\x01\x07\x00\x20\x00\x04\x40\x0b\x0b");
    let name = custom::BRANCH_HINT_SECTION.as_bytes();
    let mut content = vec![name.len() as u8];
    content.extend_from_slice(name);
    content.extend_from_slice(&[1, 0, 1]); // one function (0), one hint
    content.extend_from_slice(entry);
    m.push(0);
    m.push(content.len() as u8);
    m.extend_from_slice(&content);
    m
}

#[test]
fn branch_hints_are_decoded_and_validated() {
    let f = Features::v3();
    let check = |entry: &[u8]| {
        let m = decode_module(&hinted(entry), &f).unwrap();
        custom::check_custom_sections(&m).map(|c| c.branch_hints)
    };
    assert_eq!(
        check(&[3, 1, 1]),
        Ok(vec![custom::BranchHint {
            func: 0,
            instr: 1,
            likely: true
        }])
    );
    let err = |e: std::result::Result<_, custom::CustomError>| e.unwrap_err().to_string();
    assert_eq!(
        err(check(&[1, 1, 0])),
        "@metadata.code.branch_hint annotation: invalid target"
    );
    assert_eq!(
        err(check(&[7, 1, 0])),
        "metadata.code.branch_hint section: invalid offset"
    );
    assert_eq!(
        err(check(&[3, 2, 0])),
        "metadata.code.branch_hint section: missing reserved byte"
    );
    assert_eq!(
        err(check(&[3, 1, 2])),
        "metadata.code.branch_hint section: invalid hint value"
    );
    // Custom section errors never make the module itself malformed.
    assert!(crate::validate_module(&decode_module(&hinted(&[1, 1, 0]), &f).unwrap(), &f).is_ok());
}
