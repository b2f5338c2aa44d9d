//! Instantiation under the rules of the releases before 2.0 ([`crate::Legacy`]).

use super::*;
use crate::{Features, decode_module, validate_module};

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

fn store(f: Features) -> Store {
    Store::new(Config {
        features: f,
        ..Config::default()
    })
}

fn instantiate(
    s: &mut Store,
    bytes: &[u8],
    imports: &[ExternVal],
) -> Result<ModuleAddr, InstantiateError> {
    let f = s.config.features;
    let v = validate_module(&decode_module(bytes, &f).unwrap(), &f).unwrap();
    s.instantiate(&v, imports)
}

/// Instantiates `(memory (export "mem") 1)`, then a module importing it
/// with `(data (i32.const 0) "a") (data (i32.const 0x10000) "b")`: the
/// second segment does not fit. Returns the error and the memory's byte 0.
fn data_does_not_fit(f: Features) -> (InstantiateError, u8) {
    let mut s = store(f);
    let exporter = sections(&[(5, b"\x01\x00\x01"), (7, b"\x01\x03mem\x02\x00")]);
    let a = instantiate(&mut s, &exporter, &[]).unwrap();
    let Some(ExternVal::Mem(mem)) = s.export(a, "mem") else {
        panic!("no memory export")
    };
    let importer = sections(&[
        (2, b"\x01\x01m\x03mem\x02\x00\x01"),
        (
            11,
            b"\x02\x00\x41\x00\x0b\x01a\x00\x41\x80\x80\x04\x0b\x01b",
        ),
    ]);
    let e = instantiate(&mut s, &importer, &[ExternVal::Mem(mem)]).unwrap_err();
    (e, s.memory_data(mem)[0])
}

#[test]
fn drafts_check_all_segments_before_writing_and_do_not_link() {
    let draft = Features::proposal("mutable-global").unwrap();
    let (e, byte0) = data_does_not_fit(draft);
    assert_eq!(e, InstantiateError::Link(LinkError::DataSegmentDoesNotFit));
    assert_eq!(e.to_string(), "data segment does not fit");
    assert_eq!(byte0, 0, "no segment is written when one does not fit");
}

#[test]
fn v1_and_later_write_segments_in_order_until_one_traps() {
    for f in [Features::v1(), Features::v2()] {
        let (e, byte0) = data_does_not_fit(f);
        assert_eq!(e, InstantiateError::Trap(Trap::MemoryOutOfBounds));
        assert_eq!(byte0, b'a');
    }
}

#[test]
fn element_segment_that_does_not_fit() {
    // (table 1 funcref) (func) (elem (i32.const 1) 0)
    let m = sections(&[
        (1, b"\x01\x60\x00\x00"),
        (3, b"\x01\x00"),
        (4, b"\x01\x70\x00\x01"),
        (9, b"\x01\x00\x41\x01\x0b\x01\x00"),
        (10, b"\x01\x02\x00\x0b"),
    ]);
    let draft = Features::proposal("multi-value").unwrap();
    let e = instantiate(&mut store(draft), &m, &[]).unwrap_err();
    assert_eq!(e, InstantiateError::Link(LinkError::ElemSegmentDoesNotFit));
    assert_eq!(e.to_string(), "elements segment does not fit");
    let e = instantiate(&mut store(Features::v1()), &m, &[]).unwrap_err();
    assert_eq!(e, InstantiateError::Trap(Trap::TableOutOfBounds));
}
