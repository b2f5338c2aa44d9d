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

/// A component binary: preamble and the given sections.
fn component(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut b = b"\0asm\x0d\x00\x01\x00".to_vec();
    for (id, body) in sections {
        b.push(*id);
        leb(&mut b, body.len() as u32);
        b.extend_from_slice(body);
    }
    b
}

fn leb(out: &mut Vec<u8>, mut x: u32) {
    loop {
        let byte = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut x: u32) {
    loop {
        let byte = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 && byte & 0x40 == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn check_bytes(b: &[u8]) -> Result<(), String> {
    let c = decode_component(b, &Features::latest()).map_err(|e| format!("decode: {e}"))?;
    validate_component(&c, &Features::latest()).map_err(|e| e.to_string())
}

/// Regression: a long chain of value types (each a list of the previous)
/// is rejected at a bounded depth instead of overflowing the stack in the
/// traversals that follow (flattening, subtyping, substitution).
#[test]
fn deep_value_types_are_bounded() {
    let n = 100_000u32;
    let mut body = Vec::new();
    leb(&mut body, n);
    body.extend_from_slice(&[0x70, 0x79]); // (list u32)
    for i in 0..n - 1 {
        body.push(0x70); // (list i): a valtype index is an s33
        sleb(&mut body, i);
    }
    let e = check_bytes(&component(&[(7, body)])).unwrap_err();
    assert!(e.contains("nesting is too deep"), "{e}");
}

/// Regression: a long chain of bag-of-exports instances, each exporting
/// the previous, is rejected at a bounded depth.
#[test]
fn deep_instances_are_bounded() {
    let n = 100_000u32;
    let mut body = Vec::new();
    leb(&mut body, n);
    body.extend_from_slice(&[0x01, 0x00]); // (instance) with no exports
    for i in 0..n - 1 {
        // (instance (export "a" (instance i)))
        body.extend_from_slice(&[0x01, 0x01, 0x00, 0x01, b'a', 0x05]);
        leb(&mut body, i);
    }
    let e = check_bytes(&component(&[(5, body)])).unwrap_err();
    assert!(e.contains("nesting is too deep"), "{e}");
}

/// Regression: types whose trees are exponential in their definitions are
/// rejected by the effective size limit (and compare in bounded time).
#[test]
fn exponential_types_are_bounded() {
    let mut body = Vec::new();
    leb(&mut body, 40);
    body.extend_from_slice(&[0x6f, 0x02, 0x79, 0x79]); // (tuple u32 u32)
    for i in 0..39u32 {
        body.extend_from_slice(&[0x6f, 0x02]); // (tuple i i)
        sleb(&mut body, i);
        sleb(&mut body, i);
    }
    let e = check_bytes(&component(&[(7, body)])).unwrap_err();
    assert!(e.contains("effective type size exceeds the limit"), "{e}");
}

#[test]
fn value_type_rules() {
    invalid(
        "(component (type (record)))",
        "record type must have at least one field",
    );
    invalid(
        r#"(component (type (record (field "a" u8) (field "A" u8))))"#,
        "record field name `A` conflicts with previous field name `a`",
    );
    invalid(r#"(component (type (enum "aBc")))"#, "is not in kebab case");
    invalid(
        "(component (type (list u8 268435456)))",
        "exceeds maximum byte size",
    );
    valid("(component (type (list u8 268435455)))");
    invalid(
        "(component (type (stream char)))",
        "`stream<char>` is not valid",
    );
    invalid(
        r#"(component (type $r (resource (rep i32))) (type (func (result (borrow $r)))))"#,
        "function result cannot contain a `borrow` type",
    );
}

#[test]
fn names() {
    valid(r#"(component (import "a:b/c@1.0.0" (func)) (import "x-Y-z" (func)))"#);
    invalid(
        r#"(component (import "a" (func)) (import "A" (func)))"#,
        "conflicts with previous name",
    );
    invalid(
        r#"(component (import "a:b/c@1." (func)))"#,
        "unexpected end of input",
    );
    invalid(
        r#"(component (import "a:b" (func)))"#,
        "expected `/` after package name",
    );
    invalid(
        r#"(component (import "[static]a.b" (func)))"#,
        "static resource name is not known in this context",
    );
}

#[test]
fn canon_options() {
    let m = r#"(core module $m
            (memory (export "mem") 1)
            (func (export "f") (param i32 i32))
            (func (export "r") (param i32 i32 i32 i32) (result i32) unreachable))
        (core instance $i (instantiate $m))"#;
    invalid(
        &format!(r#"(component {m} (func (param "s" string) (canon lift (core func $i "f"))))"#),
        "canonical option `memory` is required",
    );
    invalid(
        &format!(
            r#"(component {m} (func (param "s" string) (canon lift (core func $i "f") (memory (core memory $i "mem")))))"#
        ),
        "canonical option `realloc` is required",
    );
    valid(&format!(
        r#"(component {m} (func (param "s" string) (canon lift (core func $i "f") (memory (core memory $i "mem")) (realloc (core func $i "r")))))"#
    ));
    invalid(
        &format!(r#"(component {m} (func (param "x" u32) (canon lift (core func $i "f"))))"#),
        "lowered parameter types `[I32]` do not match parameter types `[I32, I32]`",
    );
}

#[test]
fn resources_and_instantiation() {
    invalid(
        r#"(component (type (component (type (resource (rep i32))))))"#,
        "resources can only be defined within a concrete component",
    );
    invalid(
        r#"(component
            (component $c (import "t" (type $t (sub resource))) (import "u" (type (eq $t))))
            (type $a (resource (rep i32)))
            (type $b (resource (rep i32)))
            (instance (instantiate $c (with "t" (type $a)) (with "u" (type $b)))))"#,
        "resource types are not the same",
    );
    valid(
        r#"(component
            (component $c (import "t" (type $t (sub resource))) (import "u" (type (eq $t))))
            (type $a (resource (rep i32)))
            (instance (instantiate $c (with "t" (type $a)) (with "u" (type $a)))))"#,
    );
    invalid(
        r#"(component (component $c (import "x" (func))) (instance (instantiate $c)))"#,
        "missing import named `x`",
    );
}
