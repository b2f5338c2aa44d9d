//! Execution tests of the custom descriptors proposal: descriptor allocation,
//! `ref.get_desc`, descriptor casts and branches, exact casts and exact
//! function imports.

use super::*;
use crate::valid::tests::{add_func, func_type, ins, module, rf, strukt, sub};
use crate::{Features, validate_module};

fn global(m: &mut Module, ty: ValType, mut init: Vec<Instr>) {
    init.push(ins(Opcode::End, Imm::None));
    m.globals.push(Global {
        ty: GlobalType::new(ty, false),
        init,
    });
}

fn export_func(m: &mut Module, name: &str, f: u32) {
    m.exports.push(Export {
        name: name.into(),
        desc: ExportDesc::Func(f),
    });
}

fn instantiate(
    m: &Module,
    imports: &[ExternVal],
    s: &mut Store,
) -> Result<ModuleAddr, InstantiateError> {
    let v = validate_module(m, &Features::latest()).expect("valid");
    s.instantiate(&v, imports)
}

/// rec { 0: $a (descriptor $b) (struct i32), 1: $b (describes $a) (struct),
/// 2: $c (sub $a) (descriptor $d) (struct i32), 3: $d (sub $b) (describes $c) (struct) },
/// 4: (func (result i32)); globals $b1, $b2 (exact $b), $a1 = struct.new_desc $a 7 $b1,
/// $d1 (exact $d), $c1 = struct.new_desc $c 9 $d1 typed `(ref $a)`.
fn desc_module() -> Module {
    use HeapType::{Concrete, Exact};
    let i32s = [ValType::I32];
    let mut m = module(vec![
        vec![
            sub(&[], None, Some(1), strukt(&i32s)),
            sub(&[], Some(0), None, strukt(&[])),
            sub(&[0], None, Some(3), strukt(&i32s)),
            sub(&[1], Some(2), None, strukt(&[])),
        ],
        vec![sub(&[], None, None, func_type(&[], &i32s))],
    ]);
    let g = |x| ins(Opcode::GlobalGet, Imm::Idx(x));
    let new = |x| ins(Opcode::StructNew, Imm::Idx(x));
    let new_desc = |x| ins(Opcode::StructNewDesc, Imm::Idx(x));
    let i32c = |v| ins(Opcode::I32Const, Imm::I32(v));
    global(&mut m, rf(false, Exact(1)), vec![new(1)]);
    global(&mut m, rf(false, Exact(1)), vec![new(1)]);
    global(
        &mut m,
        rf(false, Exact(0)),
        vec![i32c(7), g(0), new_desc(0)],
    );
    global(&mut m, rf(false, Exact(3)), vec![new(3)]);
    global(
        &mut m,
        rf(false, Concrete(0)),
        vec![i32c(9), g(3), new_desc(2)],
    );
    m
}

/// An exported function: its name, body and expected result.
type Case = (&'static str, Vec<Instr>, Result<Vec<Val>, Trap>);

#[test]
fn descriptors_are_allocated_read_and_compared() {
    use HeapType::{Concrete, Exact};
    let g = |x| ins(Opcode::GlobalGet, Imm::Idx(x));
    let i32c = |v| ins(Opcode::I32Const, Imm::I32(v));
    let drop = || ins(Opcode::Drop, Imm::None);
    let cast_desc = |nullable, x| {
        let op = if nullable {
            Opcode::RefCastDescEqNull
        } else {
            Opcode::RefCastDescEq
        };
        ins(op, Imm::Ref(RefType::new(nullable, Concrete(x))))
    };
    let anyref = RefType::new(true, HeapType::Any);
    let br_desc = |op, x| {
        ins(
            op,
            Imm::Cast(Box::new((0, anyref, RefType::new(false, Concrete(x))))),
        )
    };
    let bodies: Vec<Case> = vec![
        (
            "get_desc",
            vec![
                g(2),
                ins(Opcode::RefGetDesc, Imm::Idx(0)),
                g(0),
                ins(Opcode::RefEq, Imm::None),
            ],
            Ok(vec![Val::I32(1)]),
        ),
        (
            "cast_field",
            vec![
                g(2),
                g(0),
                cast_desc(false, 0),
                ins(Opcode::StructGet, Imm::Idx2(0, 0)),
            ],
            Ok(vec![Val::I32(7)]),
        ),
        (
            "cast_other",
            vec![g(2), g(1), cast_desc(false, 0), drop(), i32c(0)],
            Err(Trap::DescriptorCastFailure),
        ),
        (
            "cast_null_desc",
            vec![
                g(2),
                ins(Opcode::RefNull, Imm::Heap(HeapType::None)),
                cast_desc(true, 0),
                drop(),
                i32c(0),
            ],
            Err(Trap::NullDescriptorRef),
        ),
        (
            "cast_null_to_non_null",
            vec![
                ins(Opcode::RefNull, Imm::Heap(HeapType::None)),
                g(0),
                cast_desc(false, 0),
                drop(),
                i32c(0),
            ],
            Err(Trap::DescriptorCastFailure),
        ),
        (
            "exact_test_of_subtype",
            vec![
                g(4),
                ins(Opcode::RefTest, Imm::Ref(RefType::new(false, Exact(0)))),
            ],
            Ok(vec![Val::I32(0)]),
        ),
        (
            "exact_test_of_type",
            vec![
                g(4),
                ins(Opcode::RefTest, Imm::Ref(RefType::new(false, Exact(2)))),
            ],
            Ok(vec![Val::I32(1)]),
        ),
        (
            "new_null_desc",
            vec![
                ins(Opcode::RefNull, Imm::Heap(HeapType::None)),
                ins(Opcode::StructNewDefaultDesc, Imm::Idx(0)),
                drop(),
                i32c(0),
            ],
            Err(Trap::NullDescriptorRef),
        ),
        (
            "get_desc_null",
            vec![
                ins(Opcode::RefNull, Imm::Heap(HeapType::None)),
                ins(Opcode::RefGetDesc, Imm::Idx(0)),
                drop(),
                i32c(0),
            ],
            Err(Trap::NullReference),
        ),
        (
            "br_on_cast_desc_eq",
            vec![
                ins(
                    Opcode::Block,
                    Imm::Block(BlockType::Val(ValType::Ref(anyref))),
                ),
                g(4),
                g(3),
                br_desc(Opcode::BrOnCastDescEq, 2),
                drop(),
                i32c(0),
                ins(Opcode::Return, Imm::None),
                ins(Opcode::End, Imm::None),
                drop(),
                i32c(1),
            ],
            Ok(vec![Val::I32(1)]),
        ),
        (
            "br_on_cast_desc_eq_fail",
            vec![
                ins(
                    Opcode::Block,
                    Imm::Block(BlockType::Val(ValType::Ref(anyref))),
                ),
                g(4),
                g(3),
                br_desc(Opcode::BrOnCastDescEqFail, 2),
                drop(),
                i32c(0),
                ins(Opcode::Return, Imm::None),
                ins(Opcode::End, Imm::None),
                drop(),
                i32c(1),
            ],
            Ok(vec![Val::I32(0)]),
        ),
    ];
    let mut m = desc_module();
    for (i, (name, body, _)) in bodies.iter().enumerate() {
        add_func(&mut m, 4, body.clone());
        export_func(&mut m, name, i as u32);
    }
    let mut s = Store::new(Config::default());
    let inst = instantiate(&m, &[], &mut s).expect("instantiates");
    for (name, _, want) in bodies {
        let Some(ExternVal::Func(f)) = s.export(inst, name) else {
            panic!("{name}")
        };
        assert_eq!(s.invoke(f, &[]), want, "{name}");
    }
}

/// A global initialiser allocating with a null descriptor traps at instantiation.
#[test]
fn null_descriptor_in_a_global_initialiser_traps() {
    let mut m = desc_module();
    global(
        &mut m,
        rf(true, HeapType::Concrete(0)),
        vec![
            ins(Opcode::I32Const, Imm::I32(1)),
            ins(Opcode::RefNull, Imm::Heap(HeapType::None)),
            ins(Opcode::StructNewDesc, Imm::Idx(0)),
        ],
    );
    let mut s = Store::new(Config::default());
    assert_eq!(
        instantiate(&m, &[], &mut s).unwrap_err(),
        InstantiateError::Trap(Trap::NullDescriptorRef)
    );
}

#[test]
fn exact_function_imports_match_only_their_type() {
    // 0: $super (sub (func)), 1: $sub (sub $super (func))
    let types = || {
        module(vec![
            vec![sub(&[], None, None, func_type(&[], &[]))],
            vec![sub(&[0], None, None, func_type(&[], &[]))],
        ])
    };
    let mut a = types();
    add_func(&mut a, 1, vec![]);
    export_func(&mut a, "f", 0);
    let mut s = Store::new(Config::default());
    let ia = instantiate(&a, &[], &mut s).expect("A");
    let f = s.export(ia, "f").expect("f");
    for (desc, ok) in [
        (ImportDesc::FuncExact(0), false),
        (ImportDesc::Func(0), true),
        (ImportDesc::FuncExact(1), true),
    ] {
        let mut b = types();
        b.imports.push(Import {
            module: "A".into(),
            name: "f".into(),
            desc: desc.clone(),
        });
        let r = instantiate(&b, &[f], &mut s);
        assert_eq!(r.is_ok(), ok, "{desc:?}: {r:?}");
        if !ok {
            assert!(matches!(
                r,
                Err(InstantiateError::Link(LinkError::IncompatibleImportType(_)))
            ));
        }
    }
}
