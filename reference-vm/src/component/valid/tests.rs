//! Validation rules, from component text through the `wast` parser.

use crate::Features;
use crate::component::{decode_component, validate_component};

/// Validates a component written in the text format; the error's message.
fn check(text: &str) -> Result<(), String> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut wat: wast::Wat = wast::parser::parse(&buf).expect("parses");
    let bytes = wat.encode().expect("encodes");
    let c = decode_component(&bytes, &Features::latest()).map_err(|e| format!("decode: {e}"))?;
    validate_component(&c, &Features::latest()).map_err(|e| e.to_string())
}

#[track_caller]
fn invalid(text: &str, msg: &str) {
    match check(text) {
        Ok(()) => panic!("accepted, expected `{msg}`"),
        Err(e) => assert!(e.contains(msg), "`{e}` does not contain `{msg}`"),
    }
}

#[track_caller]
fn valid(text: &str) {
    if let Err(e) = check(text) {
        panic!("rejected: {e}");
    }
}

#[test]
fn unexported_resource_in_export() {
    invalid(
        r#"(component
            (core module $m (func (export "f") (result i32) unreachable))
            (core instance $i (instantiate $m))
            (type $R (resource (rep i32)))
            (func $f (result (own $R)) (canon lift (core func $i "f")))
            (export "f" (func $f)))"#,
        "func not valid to be used as export",
    );
    valid(
        r#"(component
            (core module $m (func (export "f") (result i32) unreachable))
            (core instance $i (instantiate $m))
            (type $R (resource (rep i32)))
            (export $R2 "r" (type $R))
            (func $f (result (own $R2)) (canon lift (core func $i "f")))
            (export "f" (func $f)))"#,
    );
}

#[test]
fn instance_resources_have_no_root_name() {
    invalid(
        r#"(component
            (import "i" (instance $i
              (export "t" (type (sub resource)))))
            (alias export $i "t" (type $t))
            (import "[method]t.foo" (func (param "self" (borrow $t)))))"#,
        "resource used in function does not have a name in this context",
    );
}
