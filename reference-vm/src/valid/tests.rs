//! Validation tests of the custom descriptors proposal: exact reference
//! types in subtyping and type identity, descriptor clauses, and the typing
//! of the descriptor instructions.

use super::*;
use crate::binary::{DecodeError, decode_module};

/// A non-final sub type.
pub(crate) fn sub(
    supers: &[u32],
    describes: Option<u32>,
    descriptor: Option<u32>,
    comp: CompType,
) -> SubType {
    SubType {
        is_final: false,
        supers: supers.to_vec(),
        describes,
        descriptor,
        comp,
    }
}

pub(crate) fn strukt(fields: &[ValType]) -> CompType {
    CompType::Struct(
        fields
            .iter()
            .map(|&t| FieldType {
                storage: StorageType::Val(t),
                mutable: false,
            })
            .collect(),
    )
}

pub(crate) fn func_type(params: &[ValType], results: &[ValType]) -> CompType {
    CompType::Func(FuncType::new(params, results))
}

/// A module with these rec groups (and nothing else).
pub(crate) fn module(groups: Vec<Vec<SubType>>) -> Module {
    let mut m = Module::default();
    for g in groups {
        m.rec_groups
            .push((m.type_defs.len() as u32, g.len() as u32));
        for st in g {
            m.types.push(match &st.comp {
                CompType::Func(ft) => ft.clone(),
                _ => FuncType::default(),
            });
            m.type_defs.push(st);
        }
    }
    m
}

/// Adds a function of type `ty` with this body (its final `end` added).
pub(crate) fn add_func(m: &mut Module, ty: u32, mut body: Vec<Instr>) {
    body.push(ins(Opcode::End, Imm::None));
    m.funcs.push(Func {
        ty,
        body,
        ..Func::default()
    });
}

pub(crate) fn ins(op: Opcode, imm: Imm) -> Instr {
    Instr { op, imm }
}

pub(crate) fn rf(nullable: bool, heap: HeapType) -> ValType {
    ValType::Ref(RefType::new(nullable, heap))
}

/// Validation context after the type section of `m`.
fn ctx(m: &Module) -> Ctx {
    let mut c = Ctx {
        f: Features::latest(),
        defs: m.type_defs.clone().into(),
        canon: Vec::new(),
        tags: Vec::new(),
        funcs: Vec::new(),
        funcs_exact: Vec::new(),
        tables: Vec::new(),
        mems: Vec::new(),
        globals: Vec::new(),
        elems: Vec::new(),
        datas: 0,
        refs: HashSet::new(),
    };
    types::validate_types(&mut c, m).expect("valid types");
    c
}

/// The validation error message of `m` under the latest feature set.
fn error(m: &Module) -> String {
    validate_module(m, &Features::latest())
        .expect_err("invalid")
        .to_string()
}

#[test]
fn exact_types_take_part_in_subtyping() {
    use HeapType::*;
    // 0: (sub (struct)), 1: (sub 0 (struct)), 2: an equal copy of 0, 3: (sub (func))
    let plain = |supers: &[u32], comp| sub(supers, Option::None, Option::None, comp);
    let m = module(vec![
        vec![plain(&[], strukt(&[]))],
        vec![plain(&[0], strukt(&[]))],
        vec![plain(&[], strukt(&[]))],
        vec![plain(&[], func_type(&[], &[]))],
    ]);
    let c = ctx(&m);
    // (ref exact t) <: (ref t), but not the other way round.
    assert!(c.match_heap(Exact(0), Concrete(0)));
    assert!(!c.match_heap(Concrete(0), Exact(0)));
    // Exact types of equal (iso-recursively equivalent) types match.
    assert!(c.match_heap(Exact(0), Exact(2)));
    // (exact sub) <: super, (exact sub) </: (exact super), sub </: (exact super).
    assert!(c.match_heap(Exact(1), Concrete(0)));
    assert!(!c.match_heap(Exact(1), Exact(0)));
    assert!(!c.match_heap(Concrete(1), Exact(0)));
    // Bottom types are below exact types of their hierarchy only.
    assert!(c.match_heap(None, Exact(0)));
    assert!(c.match_heap(NoFunc, Exact(3)));
    assert!(!c.match_heap(None, Exact(3)));
    assert!(!c.match_heap(NoFunc, Exact(0)));
    // Exact types are below the abstract types of their kind.
    assert!(c.match_heap(Exact(0), Struct));
    assert!(c.match_heap(Exact(3), Func));
    assert!(!c.match_heap(Exact(3), Any));
    // Nullability still matters.
    let exact = |nullable| RefType::new(nullable, Exact(0));
    assert!(c.match_ref(exact(false), exact(true)));
    assert!(!c.match_ref(exact(true), exact(false)));
    assert_eq!(c.top(Exact(3)), Func);
    assert_eq!(
        RefType::new(true, Exact(4)).to_string(),
        "(ref null (exact 4))"
    );
}

#[test]
fn descriptor_clauses_take_part_in_type_identity() {
    let pair = |d: u32| {
        vec![
            sub(&[], None, Some(d + 1), strukt(&[])),
            sub(&[], Some(d), None, strukt(&[])),
        ]
    };
    let plain = vec![
        sub(&[], None, None, strukt(&[])),
        sub(&[], None, None, strukt(&[])),
    ];
    let m = module(vec![pair(0), pair(2), plain]);
    let c = ctx(&m);
    assert!(c.type_eq(0, 2) && c.type_eq(1, 3));
    assert!(!c.type_eq(0, 4) && !c.type_eq(1, 5));
}

#[test]
fn descriptor_clauses_have_spec_messages() {
    let s = |describes, descriptor| sub(&[], describes, descriptor, strukt(&[]));
    let cases: Vec<(Vec<Vec<SubType>>, &str)> = vec![
        (
            vec![vec![s(None, Some(1))]],
            "descriptor type is outside rec group",
        ),
        (
            vec![vec![s(Some(1), None)]],
            "described type is outside rec group",
        ),
        (
            vec![vec![s(None, Some(1)), s(None, None)]],
            "type is not described by its descriptor",
        ),
        (
            vec![vec![s(None, None), s(Some(0), None)]],
            "described type is not described by descriptor",
        ),
        (
            vec![vec![s(Some(1), None), s(None, Some(0))]],
            "forward use of described type",
        ),
        (
            vec![vec![s(Some(0), Some(0))]],
            "forward use of described type",
        ),
        (
            vec![vec![
                sub(
                    &[],
                    None,
                    Some(1),
                    CompType::Array(FieldType {
                        storage: StorageType::I8,
                        mutable: false,
                    }),
                ),
                s(Some(0), None),
            ]],
            "descriptor type must be a struct",
        ),
        (
            vec![vec![
                s(None, Some(1)),
                sub(&[], Some(0), None, func_type(&[], &[])),
            ]],
            "described type must be a struct",
        ),
        // A supertype with a descriptor needs a subtype with one.
        (
            vec![vec![
                s(None, Some(1)),
                s(Some(0), None),
                sub(&[0], None, None, strukt(&[])),
            ]],
            "sub type 2 does not match super type 0",
        ),
        // The subtype's descriptor must be a subtype of the supertype's.
        (
            vec![vec![
                s(None, Some(1)),
                s(Some(0), None),
                sub(&[0], None, Some(3), strukt(&[])),
                s(Some(2), None),
            ]],
            "descriptor type 3 does not match",
        ),
        // The described type of a sub descriptor must be a subtype.
        (
            vec![vec![
                s(None, Some(1)),
                s(Some(0), None),
                s(None, Some(3)),
                sub(&[1], Some(2), None, strukt(&[])),
            ]],
            "described type 2 does not match",
        ),
    ];
    for (groups, want) in cases {
        let got = error(&module(groups));
        assert!(
            got.starts_with(want),
            "{got:?} does not start with {want:?}"
        );
    }
}

/// rec { 0: $a (descriptor $b) (struct i32), 1: $b (describes $a) (struct) },
/// 2: $plain (struct i32), 3: (func (param anyref (ref $b) (ref $a)) (result anyref)).
fn desc_module() -> Module {
    let i32s = [ValType::I32];
    module(vec![
        vec![
            sub(&[], None, Some(1), strukt(&i32s)),
            sub(&[], Some(0), None, strukt(&[])),
        ],
        vec![sub(&[], None, None, strukt(&i32s))],
        vec![sub(
            &[],
            None,
            None,
            func_type(
                &[
                    rf(true, HeapType::Any),
                    rf(false, HeapType::Concrete(1)),
                    rf(false, HeapType::Concrete(0)),
                ],
                &[rf(true, HeapType::Any)],
            ),
        )],
    ])
}

#[test]
fn descriptor_instructions_have_spec_messages() {
    let local = |x| ins(Opcode::LocalGet, Imm::Idx(x));
    let i32c = ins(Opcode::I32Const, Imm::I32(0));
    let cases = vec![
        (
            vec![i32c.clone(), ins(Opcode::StructNew, Imm::Idx(0))],
            "type with descriptor requires descriptor allocation",
        ),
        (
            vec![ins(Opcode::StructNewDefault, Imm::Idx(0))],
            "type with descriptor requires descriptor allocation",
        ),
        (
            vec![i32c.clone(), ins(Opcode::StructNewDesc, Imm::Idx(2))],
            "type without descriptor requires non-descriptor allocation",
        ),
        // The descriptor operand of an allocation must be exact.
        (
            vec![i32c, local(1), ins(Opcode::StructNewDesc, Imm::Idx(0))],
            "type mismatch",
        ),
        (
            vec![local(1), ins(Opcode::RefGetDesc, Imm::Idx(1))],
            "type without descriptor 1",
        ),
        (
            vec![
                local(0),
                local(1),
                ins(
                    Opcode::RefCastDescEq,
                    Imm::Ref(RefType::new(false, HeapType::Any)),
                ),
            ],
            "type any does not have a descriptor",
        ),
        (
            vec![
                local(0),
                local(1),
                ins(
                    Opcode::RefCastDescEq,
                    Imm::Ref(RefType::new(false, HeapType::Concrete(2))),
                ),
            ],
            "type 2 does not have a descriptor",
        ),
        // An exact cast needs an exact descriptor.
        (
            vec![
                local(0),
                local(1),
                ins(
                    Opcode::RefCastDescEq,
                    Imm::Ref(RefType::new(false, HeapType::Exact(0))),
                ),
            ],
            "type mismatch",
        ),
    ];
    for (body, want) in cases {
        let mut m = desc_module();
        add_func(&mut m, 3, body);
        let got = error(&m);
        assert!(
            got.starts_with(want),
            "{got:?} does not start with {want:?}"
        );
    }
    // Valid: an inexact cast with an inexact descriptor; ref.get_desc of an
    // inexact operand (its result is inexact, so it is no `(ref (exact $b))`).
    let mut m = desc_module();
    add_func(
        &mut m,
        3,
        vec![
            ins(Opcode::LocalGet, Imm::Idx(0)),
            ins(Opcode::LocalGet, Imm::Idx(2)),
            ins(Opcode::RefGetDesc, Imm::Idx(0)),
            ins(
                Opcode::RefCastDescEq,
                Imm::Ref(RefType::new(true, HeapType::Concrete(0))),
            ),
        ],
    );
    validate_module(&m, &Features::latest()).expect("valid");
}

/// Regression: the proposal relaxes `br_on_cast`'s `rt2 <: rt1` to "same top
/// type" (`(ref any)` to `(ref null $t)` is valid); 3.0 keeps the rule.
#[test]
fn br_on_cast_target_need_not_match_source_with_custom_descriptors() {
    // 0: $t (struct), 1: (func (param (ref any)) (result (ref null $t)))
    let mut m = module(vec![
        vec![sub(&[], None, None, strukt(&[]))],
        vec![sub(
            &[],
            None,
            None,
            func_type(
                &[rf(false, HeapType::Any)],
                &[rf(true, HeapType::Concrete(0))],
            ),
        )],
    ]);
    let cast = Imm::Cast(Box::new((
        1,
        RefType::new(false, HeapType::Any),
        RefType::new(true, HeapType::Concrete(0)),
    )));
    add_func(
        &mut m,
        1,
        vec![
            ins(
                Opcode::Block,
                Imm::Block(BlockType::Val(rf(false, HeapType::Any))),
            ),
            ins(Opcode::LocalGet, Imm::Idx(0)),
            ins(Opcode::BrOnCast, cast),
            ins(Opcode::End, Imm::None),
            ins(Opcode::Unreachable, Imm::None),
        ],
    );
    validate_module(&m, &Features::latest()).expect("valid with custom descriptors");
    let err = validate_module(&m, &Features::v3()).expect_err("invalid in 3.0");
    assert!(err.to_string().starts_with("type mismatch"), "{err}");
    // Different top types stay invalid, with the reference interpreter's message.
    let Imm::Cast(c) = &mut m.funcs[0].body[2].imm else {
        panic!("br_on_cast")
    };
    c.2 = RefType::new(true, HeapType::Func);
    assert_eq!(
        error(&m),
        "type mismatch on cast: type any has a different top type than type func"
    );
}

/// A type section holding the given bytes of one type definition.
fn type_section(def: &[u8]) -> Vec<u8> {
    let mut b = b"\0asm\x01\0\0\0\x01".to_vec();
    b.push(def.len() as u8 + 1);
    b.push(1);
    b.extend_from_slice(def);
    b
}

#[test]
fn exact_and_descriptor_encodings_decode() {
    let latest = Features::latest();
    // (struct (field (ref (exact 0))))
    let m = decode_module(&type_section(b"\x5f\x01\x64\x62\x00\x00"), &latest).unwrap();
    let CompType::Struct(fs) = &m.type_defs[0].comp else {
        panic!("struct")
    };
    assert_eq!(
        fs[0].storage,
        StorageType::Val(rf(false, HeapType::Exact(0)))
    );
    // rec { (descriptor 1) (struct), (describes 0) (struct) }
    let m = decode_module(
        &type_section(b"\x4e\x02\x4d\x01\x5f\x00\x4c\x00\x5f\x00"),
        &latest,
    )
    .unwrap();
    assert_eq!(m.type_defs[0].descriptor, Some(1));
    assert_eq!(m.type_defs[1].describes, Some(0));
    // Descriptor before describes is malformed.
    assert_eq!(
        decode_module(
            &type_section(b"\x4e\x02\x4d\x01\x5f\x00\x4d\x00\x4c\x00\x5f\x00"),
            &latest
        )
        .unwrap_err(),
        DecodeError::MalformedDefType
    );
    // 3.0 knows neither form.
    let v3 = Features::v3();
    assert!(decode_module(&type_section(b"\x5f\x01\x64\x62\x00\x00"), &v3).is_err());
    assert!(decode_module(&type_section(b"\x4d\x00\x5f\x00"), &v3).is_err());
}

/// Regression: a storage type that is neither a value type nor a packed type
/// is a `malformed storage type` (the exact prefix alone, or repeated).
#[test]
fn bad_storage_types_are_malformed_storage_types() {
    let latest = Features::latest();
    for def in [
        &b"\x5f\x01\x62\x00\x00"[..],
        b"\x5f\x01\x64\x62\x62\x00\x00",
    ] {
        assert_eq!(
            decode_module(&type_section(def), &latest).unwrap_err(),
            DecodeError::MalformedStorageType
        );
    }
    // 3.0 keeps its message.
    assert_eq!(
        decode_module(&type_section(b"\x5f\x01\x62\x00\x00"), &Features::v3()).unwrap_err(),
        DecodeError::MalformedRefType
    );
}

#[test]
fn exact_function_imports_decode_with_kind_0x20() {
    // (type (func)) (import "" "" (func exact (type 0)))
    let bytes = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x05\x01\0\0\x20\0";
    let m = decode_module(bytes, &Features::latest()).unwrap();
    assert_eq!(m.imports[0].desc, ImportDesc::FuncExact(0));
    assert_eq!(m.num_imported_funcs(), 1);
    assert_eq!(
        decode_module(bytes, &Features::v3()).unwrap_err(),
        DecodeError::MalformedImportKind
    );
}

/// A module given away ([`validate_module_owned`]), translated while it is
/// validated or not, gets the verdict and message of [`validate_module`]:
/// block types named by value and by type index, `if`/`else`, branches and
/// constant expressions (whose plain `t.const` form skips the validator).
#[test]
fn owned_and_eager_validation_agree_with_validate_module() {
    let (i32t, i64t) = (ValType::I32, ValType::I64);
    let f = Features::latest();
    let base = || {
        let ft = func_type(&[i32t], &[i32t]);
        module(vec![vec![SubType {
            is_final: true,
            ..sub(&[], None, None, ft)
        }]])
    };
    let body = |tail: Vec<Instr>| {
        let mut b = vec![
            ins(Opcode::LocalGet, Imm::Idx(0)),
            ins(Opcode::Block, Imm::Block(BlockType::Func(0))),
            ins(Opcode::If, Imm::Block(BlockType::Val(i32t))),
            ins(Opcode::I32Const, Imm::I32(1)),
            ins(Opcode::Br, Imm::Idx(1)),
            ins(Opcode::Else, Imm::None),
            ins(Opcode::LocalGet, Imm::Idx(0)),
            ins(Opcode::End, Imm::None),
            ins(Opcode::End, Imm::None),
        ];
        b.extend(tail);
        b
    };
    let global = |t: ValType, init: Instr| Global {
        ty: GlobalType::new(t, false),
        init: vec![init, ins(Opcode::End, Imm::None)],
    };
    let mut cases = Vec::new();
    // Valid.
    let mut m = base();
    add_func(&mut m, 0, body(vec![]));
    m.globals
        .push(global(i64t, ins(Opcode::I64Const, Imm::I64(7))));
    cases.push(m);
    // A result of the wrong type.
    let mut m = base();
    add_func(&mut m, 0, body(vec![ins(Opcode::I64Const, Imm::I64(0))]));
    cases.push(m);
    // A value left over at the function's end.
    let mut m = base();
    add_func(&mut m, 0, body(vec![ins(Opcode::I32Const, Imm::I32(0))]));
    cases.push(m);
    // A constant of the wrong type.
    let mut m = base();
    add_func(&mut m, 0, body(vec![]));
    m.globals
        .push(global(i32t, ins(Opcode::I64Const, Imm::I64(7))));
    cases.push(m);
    for (i, m) in cases.into_iter().enumerate() {
        let want = validate_module(&m, &f)
            .map(|_| ())
            .map_err(|e| e.to_string());
        // The first case is the valid one.
        assert_eq!(want.is_ok(), i == 0, "case {i}: {want:?}");
        for eager in [false, true] {
            let got = validate_module_owned(m.clone(), &f, eager);
            if let Ok(v) = &got {
                assert!(v.translate_all().is_ok());
            }
            assert_eq!(got.map(|_| ()).map_err(|e| e.to_string()), want);
        }
    }
}
