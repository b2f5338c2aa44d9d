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

/// A module of the given sections (id, contents), sizes filled in.
fn sections(list: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in list {
        m.push(*id);
        m.push(body.len() as u8);
        m.extend_from_slice(body);
    }
    m
}

/// The reference-types draft's preset (2.0 binary format, pre-2.0 rules).
fn reference_types_draft() -> Features {
    Features::proposal("reference-types").unwrap()
}

#[test]
fn v1_says_invalid_utf8_encoding() {
    // An import whose module name is the lone byte 0xff (utf8-import-module.wast).
    let m = sections(&[(2, b"\x01\x01\xff\x00\x00\x00")]);
    assert_eq!(
        decode_module(&m, &Features::v1()).unwrap_err().to_string(),
        "invalid UTF-8 encoding"
    );
    assert_eq!(
        decode_module(&m, &Features::v2()).unwrap_err().to_string(),
        "malformed UTF-8 encoding"
    );
    // The mutable-global draft is 1.0: same wording.
    let draft = Features::proposal("mutable-global").unwrap();
    assert_eq!(
        decode_module(&m, &draft).unwrap_err(),
        DecodeError::InvalidUtf8
    );
}

#[test]
fn v1_says_invalid_mutability() {
    // A global of type i32 with mutability byte 2 (globals.wast).
    let m = sections(&[(6, b"\x01\x7f\x02\x41\x00\x0b")]);
    assert_eq!(
        decode_module(&m, &Features::v1()).unwrap_err().to_string(),
        "invalid mutability"
    );
    assert_eq!(
        decode_module(&m, &Features::v2()).unwrap_err(),
        DecodeError::MalformedMutability
    );
    // The reference-types draft already used the 2.0 word.
    assert_eq!(
        decode_module(&m, &reference_types_draft()).unwrap_err(),
        DecodeError::MalformedMutability
    );
}

#[test]
fn v1_says_invalid_section_id() {
    let m = b"\0asm\x01\0\0\0\x0e\x01\0";
    assert_eq!(
        decode_module(m, &Features::v1()).unwrap_err().to_string(),
        "invalid section id"
    );
    // The data count section came with bulk memory.
    let m = sections(&[(12, b"\x00")]);
    assert_eq!(
        decode_module(&m, &Features::v1()).unwrap_err(),
        DecodeError::InvalidSectionId
    );
    assert!(decode_module(&m, &Features::v2()).is_ok());
}

#[test]
fn v1_says_invalid_value_type() {
    // A function type with parameter type 0x6f (externref, not a 1.0 type).
    let m = sections(&[(1, b"\x01\x60\x01\x6f\x00")]);
    assert!(
        decode_module(&m, &Features::v1())
            .unwrap_err()
            .to_string()
            .starts_with("invalid value type")
    );
    // Block type 0x0b: neither 0x40 nor a value type (binary.wast, br_table).
    let m = sections(&[
        (1, b"\x01\x60\x00\x00"),
        (3, b"\x01\x00"),
        (10, b"\x01\x04\x00\x02\x0b\x0b"),
    ]);
    let e = decode_module(&m, &Features::v1()).unwrap_err().to_string();
    assert!(e.starts_with("invalid value type"), "{e}");
    assert!(e.contains("multi_value"), "{e}");
}

#[test]
fn pre_v2_says_zero_flag_expected() {
    // memory.size with reserved byte 1 (binary.wast of the drafts).
    let m = sections(&[
        (1, b"\x01\x60\x00\x00"),
        (3, b"\x01\x00"),
        (5, b"\x01\x00\x00"),
        (10, b"\x01\x05\x00\x3f\x01\x1a\x0b"),
    ]);
    for f in [Features::v1(), reference_types_draft()] {
        assert_eq!(
            decode_module(&m, &f).unwrap_err().to_string(),
            "zero flag expected"
        );
    }
    assert_eq!(
        decode_module(&m, &Features::v2()).unwrap_err(),
        DecodeError::ZeroByteExpected
    );
}

#[test]
fn pre_v2_says_junk_after_last_section() {
    // A type section after the code section ends the module early.
    let m = sections(&[(10, b"\x00"), (1, b"\x00")]);
    for f in [Features::v1(), reference_types_draft()] {
        assert_eq!(
            decode_module(&m, &f).unwrap_err().to_string(),
            "junk after last section"
        );
    }
    assert_eq!(
        decode_module(&m, &Features::v2()).unwrap_err(),
        DecodeError::UnexpectedContent
    );
}

#[test]
fn pre_v2_bounds_section_sizes_by_the_input_length() {
    // Type section of declared size 7 with only 4 bytes left: reading runs
    // off the end. A size beyond the whole input is still out of bounds.
    let m = b"\0asm\x01\0\0\0\x01\x07\x02\x60\0\0";
    for f in [Features::v1(), reference_types_draft()] {
        assert_eq!(
            decode_module(m, &f).unwrap_err(),
            DecodeError::UnexpectedEnd
        );
    }
    let m = b"\0asm\x01\0\0\0\x00\x61sm\x01\0\0\0";
    assert_eq!(
        decode_module(m, &Features::v1()).unwrap_err(),
        DecodeError::LengthOutOfBounds
    );
}

#[test]
fn v1_element_segment_prefix_is_a_table_index() {
    let f = Features::v1();
    let active = |m: &Module| match &m.elems[0].mode {
        ElemMode::Active { table, .. } => *table,
        other => panic!("{other:?}"),
    };
    // 0: table 0, offset, function indices (the 1.0 form).
    let m = sections(&[(9, b"\x01\x00\x41\x00\x0b\x01\x00")]);
    assert_eq!(active(&decode_module(&m, &f).unwrap()), 0);
    // 2: the 2.0 explicit-table form (what text tools emit for 1.0 inline
    // table elements): table index, offset, elemkind 0, function indices.
    let m = sections(&[(9, b"\x01\x02\x00\x41\x00\x0b\x00\x01\x00")]);
    let d = decode_module(&m, &f).unwrap();
    assert_eq!(active(&d), 0);
    assert_eq!(d.elems[0].init.len(), 1);
    // Any other prefix is a table index, left to validation (unknown table).
    let m = sections(&[(9, b"\x01\x0a\x41\x00\x0b\x01\x00")]);
    assert_eq!(active(&decode_module(&m, &f).unwrap()), 10);
    // With bulk memory, 0x0a is not a segment kind.
    assert_eq!(
        decode_module(&m, &Features::v2()).unwrap_err(),
        DecodeError::MalformedElemSegmentKind
    );
    // Data segments likewise start with a memory index in 1.0.
    let m = sections(&[(11, b"\x01\x01\x41\x00\x0b\x00")]);
    match &decode_module(&m, &f).unwrap().datas[0].mode {
        DataMode::Active { mem, .. } => assert_eq!(*mem, 1),
        other => panic!("{other:?}"),
    }
}
