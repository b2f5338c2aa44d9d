//! Validation under the rules of the releases before 2.0 ([`crate::Legacy`]).

use crate::binary::decode_module;
use crate::{Features, validate_module};

/// `(block (result f64) (block (result f32) unreachable (br_table 0 1 1 (i32.const 1)))
/// drop (f64.const 0)) drop` — labels of two types after `unreachable`
/// (unreached-invalid.wast of the reference-types draft).
const BR_TABLE_MIXED_LABELS: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
    1, 4, 1, 0x60, 0, 0, // type () -> ()
    3, 2, 1, 0, // func section
    10, 29, 1, 27, 0, // code section, one body, no locals
    0x02, 0x7c, 0x02, 0x7d, 0x00, 0x41, 0x01, 0x0e, 0x02, 0x00, 0x01, 0x01, 0x0b, 0x1a, 0x44, 0, 0,
    0, 0, 0, 0, 0, 0, 0x0b, 0x1a, 0x0b,
];

fn check(f: &Features) -> Result<(), String> {
    let m = decode_module(BR_TABLE_MIXED_LABELS, f).map_err(|e| e.to_string())?;
    validate_module(&m, f)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn pre_v2_br_table_labels_have_one_type() {
    for f in [
        Features::v1(),
        Features::proposal("reference-types").unwrap(),
    ] {
        let e = check(&f).unwrap_err();
        assert!(e.starts_with("type mismatch"), "{e}");
    }
    // 2.0 checks each label against the (polymorphic) operand stack.
    assert_eq!(check(&Features::v2()), Ok(()));
    assert_eq!(check(&Features::v3()), Ok(()));
}
