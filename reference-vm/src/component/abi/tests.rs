//! Hand-computed layouts, flattenings, spills and transcodings.

use super::*;
use ValType as T;

fn rec(fields: &[T]) -> T {
    T::Record(
        fields
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("f{i}"), t.clone()))
            .collect(),
    )
}

fn variant(cases: &[Option<T>]) -> T {
    T::Variant(
        cases
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("c{i}"), t.clone()))
            .collect(),
    )
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("l{i}")).collect()
}

fn cx(enc: StringEncoding) -> BumpContext {
    let options = Options {
        string_encoding: enc,
        memory: true,
        realloc: true,
    };
    BumpContext::new(options, 1024, 16)
}

fn flat(t: &T) -> Vec<CoreType> {
    flatten_type(t, 64).expect("small type")
}

#[test]
fn alignment_and_size_of_scalars_strings_lists() {
    // (type, alignment, size)
    let table: [(T, u32, u64); 12] = [
        (T::Bool, 1, 1),
        (T::S8, 1, 1),
        (T::U16, 2, 2),
        (T::S32, 4, 4),
        (T::U64, 8, 8),
        (T::F32, 4, 4),
        (T::F64, 8, 8),
        (T::Char, 4, 4),
        (T::String, 4, 8),
        (T::List(Box::new(T::U64)), 4, 8),
        (T::FixedList(Box::new(T::U16), 3), 2, 6),
        (T::Own(ResourceType(0)), 4, 4),
    ];
    for (t, a, s) in table {
        assert_eq!((alignment(&t), elem_size(&t)), (a, s), "{t:?}");
    }
}

#[test]
fn alignment_and_size_of_records_variants_flags() {
    // {u8, u32, u8}: 0, 4, 8 → 9, rounded to 12
    let r = rec(&[T::U8, T::U32, T::U8]);
    assert_eq!((alignment(&r), elem_size(&r)), (4, 12));
    assert_eq!(elem_size(&T::Tuple(vec![T::U8, T::U64])), 16);
    // u8 discriminant, payload at 8 (u64), size 16
    let v = variant(&[Some(T::U8), Some(T::U64), None]);
    assert_eq!((alignment(&v), elem_size(&v)), (8, 16));
    let o = T::Option(Box::new(T::U32));
    assert_eq!((alignment(&o), elem_size(&o)), (4, 8));
    assert_eq!(elem_size(&T::Result(None, None)), 1);
    // option<string>: discriminant, then the string at 4
    assert_eq!(elem_size(&T::Option(Box::new(T::String))), 12);
    for (n, size) in [(256, 1), (257, 2), (65536, 2), (65537, 4)] {
        assert_eq!(elem_size(&T::Enum(names(n))), size, "enum of {n}");
        assert_eq!(discriminant_size(n), size as u32);
    }
    for (n, size) in [(1, 1), (8, 1), (9, 2), (16, 2), (17, 4), (32, 4)] {
        let f = T::Flags(names(n));
        assert_eq!(
            (alignment(&f), elem_size(&f)),
            (size as u32, size),
            "flags {n}"
        );
    }
}

#[test]
fn flattening_joins_variant_payloads() {
    use CoreType::*;
    assert_eq!(flat(&T::String), [I32, I32]);
    assert_eq!(flat(&T::Option(Box::new(T::F32))), [I32, F32]);
    assert_eq!(flat(&variant(&[Some(T::F32), Some(T::U32)])), [I32, I32]);
    assert_eq!(flat(&variant(&[Some(T::F32), Some(T::U64)])), [I32, I64]);
    assert_eq!(flat(&variant(&[Some(T::F64), Some(T::F32)])), [I32, I64]);
    assert_eq!(
        flat(&T::Result(Some(Box::new(T::U64)), Some(Box::new(T::F64)))),
        [I32, I64]
    );
    // longer payloads extend; shorter ones join the prefix
    assert_eq!(
        flat(&variant(&[
            Some(rec(&[T::F32, T::F32])),
            Some(T::F64),
            None
        ])),
        [I32, I64, F32]
    );
    assert_eq!(flat(&T::FixedList(Box::new(T::U8), 3)), [I32, I32, I32]);
    assert_eq!(flatten_type(&T::FixedList(Box::new(T::U8), 17), 16), None);
    assert_eq!(
        flatten_type(&T::FixedList(Box::new(T::U8), u32::MAX), 16),
        None
    );
}

#[test]
fn flatten_functype_spills_params_and_results() {
    use CoreType::*;
    let ft = |n: usize, result: Option<T>| FuncType {
        is_async: false,
        params: (0..n).map(|i| (format!("p{i}"), T::U32)).collect(),
        result,
    };
    let pair = Some(T::Tuple(vec![T::U32, T::U32]));
    let f = flatten_functype(&ft(16, None), FlattenContext::Lift, false);
    assert_eq!((f.params.len(), f.results), (16, vec![]));
    let f = flatten_functype(&ft(17, pair.clone()), FlattenContext::Lift, false);
    assert_eq!((f.params, f.results), (vec![I32], vec![I32]));
    let f = flatten_functype(&ft(2, pair.clone()), FlattenContext::Lower, false);
    assert_eq!((f.params, f.results), (vec![I32, I32, I32], vec![]));
    let f = flatten_functype(&ft(1, Some(T::U64)), FlattenContext::Lower, false);
    assert_eq!((f.params, f.results), (vec![I32], vec![I64]));
    let async_ft = FuncType {
        is_async: true,
        ..ft(5, pair)
    };
    let f = flatten_functype(&async_ft, FlattenContext::Lower, false);
    assert_eq!((f.params, f.results), (vec![I32, I32], vec![I32]));
    let f = flatten_functype(&async_ft, FlattenContext::Lift, true);
    assert_eq!((f.params.len(), f.results), (5, vec![I32]));
}

#[test]
fn params_spill_through_realloc_and_results_through_retptr() {
    let t = T::FixedList(Box::new(T::U32), 17);
    let v = Value::List((0..17).map(Value::U32).collect());
    let mut c = cx(StringEncoding::Utf8);
    let flat = lower_flat_values(
        &mut c,
        MAX_FLAT_PARAMS,
        std::slice::from_ref(&v),
        std::slice::from_ref(&t),
        None,
    )
    .expect("lowered");
    assert_eq!(flat, [Val::I32(16)]);
    assert_eq!(c.reallocs, [[0, 0, 4, 68, 16]]);
    assert_eq!(c.memory[16 + 4 * 5], 5);
    let back = lift_flat_values(
        &mut c,
        MAX_FLAT_PARAMS,
        &mut CoreValueIter::new(&flat),
        &[t],
    )
    .expect("lifted");
    assert_eq!(back, [v]);

    // a two-value result goes to the return area, flat results are none
    let t = T::Tuple(vec![T::U8, T::U32]);
    let v = Value::Tuple(vec![Value::U8(7), Value::U32(0x0102_0304)]);
    let mut c = cx(StringEncoding::Utf8);
    let retptr = [Val::I32(8)];
    let flat = lower_flat_values(
        &mut c,
        MAX_FLAT_RESULTS,
        &[v],
        std::slice::from_ref(&t),
        Some(&mut CoreValueIter::new(&retptr)),
    )
    .expect("lowered");
    assert!(flat.is_empty() && c.reallocs.is_empty());
    assert_eq!(&c.memory[8..16], [7, 0, 0, 0, 4, 3, 2, 1]);
    // a misaligned return area traps
    let bad = [Val::I32(10)];
    let r = lower_flat_values(
        &mut c,
        MAX_FLAT_RESULTS,
        &[Value::Tuple(vec![Value::U8(0), Value::U32(0)])],
        &[t],
        Some(&mut CoreValueIter::new(&bad)),
    );
    assert_eq!(r, Err(Trap::UnalignedPointer));
}

/// Lowers `s` (from `src`, forced UTF-16 or not) into `enc`; returns the
/// flat pointer and length, the realloc calls, and the memory.
fn lower_string(
    s: &str,
    src: StringEncoding,
    force: bool,
    enc: StringEncoding,
) -> (u32, u32, Vec<[u32; 5]>, Vec<u8>) {
    let mut c = cx(enc);
    c.src_encoding = (src, force);
    let flat = lower_flat_values(
        &mut c,
        MAX_FLAT_PARAMS,
        &[Value::String(s.into())],
        &[T::String],
        None,
    )
    .expect("lowered");
    let [Val::I32(p), Val::I32(n)] = flat[..] else {
        panic!("{flat:?}")
    };
    (p, n, c.reallocs, c.memory)
}

#[test]
fn strings_copy_without_transcoding() {
    use StringEncoding::*;
    let (p, n, r, m) = lower_string("hé", Utf8, false, Utf8);
    assert_eq!((p, n, r), (16, 3, vec![[0, 0, 1, 3, 16]]));
    assert_eq!(&m[16..19], "hé".as_bytes());
    let (p, n, r, m) = lower_string("hé", Latin1Utf16, false, Latin1Utf16);
    assert_eq!((p, n, r), (16, 2, vec![[0, 0, 2, 2, 16]]));
    assert_eq!(&m[16..18], [b'h', 0xe9]);
    // Latin-1 into UTF-16: two bytes a unit
    let (_, n, r, m) = lower_string("hé", Latin1Utf16, false, Utf16);
    assert_eq!((n, r), (2, vec![[0, 0, 2, 4, 16]]));
    assert_eq!(&m[16..20], [b'h', 0, 0xe9, 0]);
}

#[test]
fn strings_utf8_to_utf16_shrinks() {
    use StringEncoding::*;
    // 6 UTF-8 bytes: worst case 12, then 10
    let (p, n, r, _) = lower_string("héllo", Utf8, false, Utf16);
    assert_eq!((n, r), (5, vec![[0, 0, 2, 12, 16], [16, 12, 2, 10, 28]]));
    assert_eq!(p, 28);
    // all ASCII: no shrink... no: worst case 2 × bytes is exact
    let (_, n, r, _) = lower_string("ab", Utf8, false, Utf16);
    assert_eq!((n, r), (2, vec![[0, 0, 2, 4, 16]]));
}

#[test]
fn strings_to_utf8_grow_at_the_first_non_ascii() {
    use StringEncoding::*;
    // from UTF-16 (2 units): optimistic 2 bytes, then 6, then 3
    let (p, n, r, m) = lower_string("aé", Utf16, false, Utf8);
    assert_eq!(
        r,
        vec![[0, 0, 1, 2, 16], [16, 2, 1, 6, 18], [18, 6, 1, 3, 24]]
    );
    assert_eq!((p, n), (24, 3));
    assert_eq!(&m[24..27], "aé".as_bytes());
    assert_eq!(m[16], b'a', "the ASCII prefix was written before growing");
    // from Latin-1: worst case 2 a unit; all ASCII needs one allocation
    let (_, n, r, _) = lower_string("abc", Latin1Utf16, false, Utf8);
    assert_eq!((n, r), (3, vec![[0, 0, 1, 3, 16]]));
    let (_, n, r, _) = lower_string("ÿ", Latin1Utf16, false, Utf8);
    assert_eq!((n, r), (2, vec![[0, 0, 1, 1, 16], [16, 1, 1, 2, 17]]));
}

#[test]
fn strings_to_latin1_or_utf16() {
    use StringEncoding::*;
    // all Latin-1 from UTF-8: "é" is 2 bytes, 1 Latin-1 byte: shrink
    let (p, n, r, m) = lower_string("é", Utf8, false, Latin1Utf16);
    assert_eq!(r, vec![[0, 0, 2, 2, 16], [16, 2, 2, 1, 18]]);
    assert_eq!((p, n, m[18]), (18, 1, 0xe9));
    // "a😀": 5 UTF-8 bytes; 'a' as Latin-1, then grow to 10, inflate, 6 bytes
    let (p, n, r, m) = lower_string("a😀", Utf8, false, Latin1Utf16);
    assert_eq!(
        r,
        vec![[0, 0, 2, 5, 16], [16, 5, 2, 10, 22], [22, 10, 2, 6, 32]]
    );
    assert_eq!((p, n), (32, 3 | UTF16_TAG));
    assert_eq!(&m[32..38], [b'a', 0, 0x3d, 0xd8, 0x00, 0xde]);
    // a UTF-16-tagged source that is all Latin-1 after all: compacted, shrunk
    let (p, n, r, m) = lower_string("ab", Latin1Utf16, true, Latin1Utf16);
    assert_eq!(r, vec![[0, 0, 2, 4, 16], [16, 4, 1, 2, 20]]);
    assert_eq!((p, n, &m[20..22]), (20, 2, &b"ab"[..]));
    // ... and one that is not stays UTF-16
    let (_, n, r, _) = lower_string("aā", Latin1Utf16, true, Latin1Utf16);
    assert_eq!((n, r), (2 | UTF16_TAG, vec![[0, 0, 2, 4, 16]]));
}

/// Lifts a string of `units` at `ptr` from a memory holding `bytes` at 8.
fn lift_string(enc: StringEncoding, bytes: &[u8], ptr: u32, units: u32) -> Result<Value, Trap> {
    let mut c = cx(enc);
    c.memory[8..8 + bytes.len()].copy_from_slice(bytes);
    let flat = [Val::I32(ptr), Val::I32(units)];
    lift_flat(&mut c, &mut CoreValueIter::new(&flat), &T::String)
}

#[test]
fn string_lifting_traps() {
    use StringEncoding::*;
    assert_eq!(
        lift_string(Utf8, &[0xff], 8, 1),
        Err(Trap::InvalidUtf8 { incomplete: false })
    );
    assert_eq!(
        lift_string(Utf8, &[0xc3], 8, 1),
        Err(Trap::InvalidUtf8 { incomplete: true })
    );
    assert_eq!(
        lift_string(Utf16, &[0x00, 0xd8], 8, 1),
        Err(Trap::InvalidUtf16)
    );
    assert_eq!(
        lift_string(Utf16, b"a\0", 9, 1),
        Err(Trap::UnalignedPointer)
    );
    assert_eq!(
        lift_string(Utf8, b"", 1023, 2),
        Err(Trap::StringOutOfBounds)
    );
    assert_eq!(
        lift_string(Utf8, b"", 0x8000_0000, 0),
        Err(Trap::StringOutOfBounds)
    );
    assert_eq!(lift_string(Utf8, b"", 0, 1 << 28), Err(Trap::StringTooLong));
    assert_eq!(
        lift_string(Latin1Utf16, &[0xe9, b'a'], 8, 2),
        Ok(Value::String("éa".into()))
    );
    assert_eq!(
        lift_string(Latin1Utf16, &[0xe9, 0, b'a', 0], 8, 2 | UTF16_TAG),
        Ok(Value::String("éa".into()))
    );
    assert_eq!(
        Trap::StringOutOfBounds.adapter_message(),
        "string content out-of-bounds"
    );
}

#[test]
fn lists_lift_with_bounds_and_alignment_checks() {
    let t = T::List(Box::new(T::U32));
    let mut c = cx(StringEncoding::Utf8);
    c.memory[8] = 1;
    let lift = |c: &mut BumpContext, p: u32, n: u32| {
        lift_flat(c, &mut CoreValueIter::new(&[Val::I32(p), Val::I32(n)]), &t)
    };
    assert_eq!(lift(&mut c, 8, 1), Ok(Value::List(vec![Value::U32(1)])));
    assert_eq!(lift(&mut c, 0, 0), Ok(Value::List(vec![])));
    assert_eq!(lift(&mut c, 6, 1), Err(Trap::UnalignedPointer));
    assert_eq!(lift(&mut c, 1020, 2), Err(Trap::ListOutOfBounds));
    assert_eq!(lift(&mut c, 0, u32::MAX), Err(Trap::ListTooLong));
}

#[test]
fn realloc_results_are_checked() {
    let t = T::List(Box::new(T::U32));
    let v = Value::List(vec![Value::U32(1), Value::U32(2)]);
    let mut c = cx(StringEncoding::Utf8);
    c.misalign_call = Some(0);
    let r = lower_flat_values(
        &mut c,
        MAX_FLAT_PARAMS,
        std::slice::from_ref(&v),
        std::slice::from_ref(&t),
        None,
    );
    assert_eq!(r, Err(Trap::ReallocUnaligned));
    assert_eq!(
        Trap::ReallocUnaligned.to_string(),
        "realloc return: result not aligned"
    );
    let mut c = cx(StringEncoding::Utf8);
    c.next = 1020;
    let r = lower_flat_values(&mut c, MAX_FLAT_PARAMS, &[v], &[t], None);
    assert_eq!(r, Err(Trap::ReallocOutOfBounds(Region::List)));
    assert_eq!(
        r.unwrap_err().to_string(),
        "realloc return: beyond end of memory"
    );
    let mut c = cx(StringEncoding::Utf8);
    c.options.realloc = false;
    let r = lower_flat_values(&mut c, 16, &[Value::String("x".into())], &[T::String], None);
    assert_eq!(r, Err(Trap::NoRealloc));
}

#[test]
fn chars_bools_and_integers_lift_per_spec() {
    let mut c = cx(StringEncoding::Utf8);
    let mut lift = |t: &T, v: Val| lift_flat(&mut c, &mut CoreValueIter::new(&[v]), t);
    assert_eq!(lift(&T::Char, Val::I32(0xD800)), Err(Trap::InvalidChar));
    assert_eq!(lift(&T::Char, Val::I32(0x110000)), Err(Trap::InvalidChar));
    assert_eq!(lift(&T::Char, Val::I32(0x1F600)), Ok(Value::Char('😀')));
    assert_eq!(lift(&T::Bool, Val::I32(2)), Ok(Value::Bool(true)));
    assert_eq!(lift(&T::U8, Val::I32(0x1ff)), Ok(Value::U8(0xff)));
    assert_eq!(lift(&T::S8, Val::I32(0xff)), Ok(Value::S8(-1)));
    assert_eq!(lift(&T::S16, Val::I32(0x18000)), Ok(Value::S16(-32768)));
    assert!(matches!(
        lift(&T::U32, Val::I64(0)),
        Err(Trap::FlatMismatch(_))
    ));
    let mut out = Vec::new();
    lower_flat(&mut c, &Value::S8(-1), &T::S8, &mut out).unwrap();
    assert_eq!(out, [Val::I32(u32::MAX)]);
}

#[test]
fn floats_canonicalize_nans() {
    let mut c = cx(StringEncoding::Utf8);
    let lifted = lift_flat(
        &mut c,
        &mut CoreValueIter::new(&[Val::F32(0xffa0_0001)]),
        &T::F32,
    );
    assert_eq!(lifted, Ok(Value::F32(CANONICAL_FLOAT32_NAN)));
    let mut out = Vec::new();
    lower_flat(
        &mut c,
        &Value::F64(0x7ff0_0000_0000_0001),
        &T::F64,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, [Val::F64(CANONICAL_FLOAT64_NAN)]);
    // -0.0 is not a NaN and survives
    let mut out = Vec::new();
    lower_flat(&mut c, &Value::F32(0x8000_0000), &T::F32, &mut out).unwrap();
    assert_eq!(out, [Val::F32(0x8000_0000)]);
}

#[test]
fn variants_coerce_payloads_and_check_discriminants() {
    let t = variant(&[Some(T::F32), Some(T::U64), None]);
    let mut c = cx(StringEncoding::Utf8);
    let mut out = Vec::new();
    let v = Value::Variant("c0".into(), Some(Box::new(Value::F32(0x3f80_0000))));
    lower_flat(&mut c, &v, &t, &mut out).unwrap();
    assert_eq!(out, [Val::I32(0), Val::I64(0x3f80_0000)]);
    let back = lift_flat(&mut c, &mut CoreValueIter::new(&out), &t);
    assert_eq!(back, Ok(v));
    let none = Value::Variant("c2".into(), None);
    let mut out = Vec::new();
    lower_flat(&mut c, &none, &t, &mut out).unwrap();
    assert_eq!(out, [Val::I32(2), Val::I64(0)]);
    // a NaN in an i64 slot lifts canonical
    let nan = [Val::I32(0), Val::I64(0xdead_7fa0_0000)];
    let back = lift_flat(&mut c, &mut CoreValueIter::new(&nan), &t);
    assert_eq!(
        back,
        Ok(Value::Variant(
            "c0".into(),
            Some(Box::new(Value::F32(CANONICAL_FLOAT32_NAN)))
        ))
    );
    let bad = [Val::I32(3), Val::I64(0)];
    assert_eq!(
        lift_flat(&mut c, &mut CoreValueIter::new(&bad), &t),
        Err(Trap::InvalidDiscriminant)
    );
    c.memory[0] = 3;
    assert_eq!(load(&mut c, 0, &t), Err(Trap::InvalidDiscriminant));
    // store: discriminant at 0, payload at 8
    store(
        &mut c,
        &Value::Variant("c1".into(), Some(Box::new(Value::U64(9)))),
        &t,
        0,
    )
    .unwrap();
    assert_eq!(
        &c.memory[0..16],
        [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn records_flags_options_results_round_trip_through_memory() {
    let t = T::Tuple(vec![
        rec(&[T::U8, T::U32]),
        T::Flags(names(10)),
        T::Option(Box::new(T::String)),
        T::Result(None, Some(Box::new(T::Char))),
        T::Enum(names(3)),
        T::Map(Box::new(T::U8), Box::new(T::S16)),
    ]);
    let v = Value::Tuple(vec![
        Value::Record(vec![
            ("f0".into(), Value::U8(1)),
            ("f1".into(), Value::U32(2)),
        ]),
        Value::Flags(vec!["l0".into(), "l9".into()]),
        Value::Option(Some(Box::new(Value::String("x".into())))),
        Value::Result(Err(Some(Box::new(Value::Char('z'))))),
        Value::Enum("l2".into()),
        Value::Map(vec![(Value::U8(3), Value::S16(-4))]),
    ]);
    let mut c = cx(StringEncoding::Utf8);
    c.next = 512; // allocations after the tuple
    store(&mut c, &v, &t, 0).unwrap();
    // record at 0 (8 bytes), flags at 8 (2 bytes: bits 0 and 9)
    assert_eq!(&c.memory[8..10], [1, 2]);
    assert_eq!(load(&mut c, 0, &t), Ok(v));
}

#[test]
fn handles_go_through_the_context() {
    let own = T::Own(ResourceType(3));
    let borrow = T::Borrow(ResourceType(3));
    let mut c = cx(StringEncoding::Utf8);
    let mut out = Vec::new();
    lower_flat(&mut c, &Value::Own(42), &own, &mut out).unwrap();
    lower_flat(&mut c, &Value::Borrow(43), &borrow, &mut out).unwrap();
    assert_eq!(out, [Val::I32(1), Val::I32(2)]);
    let mut vi = CoreValueIter::new(&out);
    assert_eq!(lift_flat(&mut c, &mut vi, &own), Ok(Value::Own(42)));
    assert_eq!(lift_flat(&mut c, &mut vi, &borrow), Ok(Value::Borrow(43)));
    // the own handle is gone; a borrow handle cannot be lifted as own
    assert!(lift_flat(&mut c, &mut CoreValueIter::new(&[Val::I32(1)]), &own).is_err());
    assert!(lift_flat(&mut c, &mut CoreValueIter::new(&[Val::I32(2)]), &own).is_err());
    // the wrong resource type
    let other = T::Borrow(ResourceType(4));
    assert!(lift_flat(&mut c, &mut CoreValueIter::new(&[Val::I32(2)]), &other).is_err());
}

#[test]
fn mismatched_values_are_errors_not_panics() {
    let mut c = cx(StringEncoding::Utf8);
    let cases: [(Value, T); 7] = [
        (Value::U8(1), T::U32),
        (
            Value::List(vec![Value::U8(1)]),
            T::FixedList(Box::new(T::U8), 2),
        ),
        (
            Value::Record(vec![("x".into(), Value::U8(1))]),
            rec(&[T::U8]),
        ),
        (Value::Variant("nope".into(), None), variant(&[None])),
        (Value::Variant("c0".into(), None), variant(&[Some(T::U8)])),
        (Value::Flags(vec!["zz".into()]), T::Flags(names(2))),
        (
            Value::Option(Some(Box::new(Value::U8(1)))),
            T::Result(None, None),
        ),
    ];
    for (v, t) in cases {
        let mut out = Vec::new();
        assert!(
            matches!(
                lower_flat(&mut c, &v, &t, &mut out),
                Err(Trap::ValueMismatch(_))
            ),
            "{v:?} as {t:?}"
        );
        assert!(matches!(
            store(&mut c, &v, &t, 0),
            Err(Trap::ValueMismatch(_))
        ));
    }
    assert!(lower_flat_values(&mut c, 16, &[], &[T::U8], None).is_err());
}

/// The texts the reference tests (`test/values/*.wast`) expect, from the
/// host's side (`Display`) and inside a component-to-component call
/// ([`Trap::adapter_message`]).
#[test]
fn trap_texts_are_the_reference_tests() {
    let host: [(Trap, &str); 8] = [
        (Trap::UnalignedPointer, "unaligned pointer"),
        (Trap::InvalidDiscriminant, "invalid variant discriminant"),
        (Trap::InvalidChar, "invalid `char` bit pattern"),
        (
            Trap::StringOutOfBounds,
            "string pointer/length out of bounds of memory",
        ),
        (Trap::InvalidUtf8 { incomplete: false }, "invalid utf-8"),
        (
            Trap::InvalidUtf8 { incomplete: true },
            "incomplete utf-8 byte sequence",
        ),
        (
            Trap::ReallocOutOfBounds(Region::List),
            "realloc return: beyond end of memory",
        ),
        (Trap::ReallocUnaligned, "realloc return: result not aligned"),
    ];
    for (t, text) in host {
        assert_eq!(t.to_string(), text);
    }
    let adapter: [(Trap, &str); 4] = [
        (Trap::StringOutOfBounds, "string content out-of-bounds"),
        (
            Trap::ReallocOutOfBounds(Region::List),
            "list content out-of-bounds",
        ),
        (Trap::ReallocUnaligned, "unaligned pointer"),
        (Trap::InvalidChar, "invalid `char` bit pattern"),
    ];
    for (t, text) in adapter {
        assert_eq!(t.adapter_message(), text);
    }
}
