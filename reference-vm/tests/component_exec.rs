//! Component instantiation and the synchronous Canonical ABI end to end:
//! components written in the text format, decoded, validated, instantiated
//! and called through the public API.

use std::sync::Arc;

use reference_vm::component::{Runtime, Value, decode_component, validate_component};
use reference_vm::{Config, Features};

fn component(wat: &str) -> Arc<reference_vm::component::syntax::Component> {
    let buf = wast::parser::ParseBuffer::new(wat).expect("lexes");
    let mut w = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    let bytes = w.encode().expect("encodes");
    let f = Features::v3();
    let c = decode_component(&bytes, &f).expect("decodes");
    validate_component(&c, &f).expect("validates");
    Arc::new(c)
}

fn instance(wat: &str) -> (Runtime, u32) {
    let mut rt = Runtime::new(Config::default());
    let i = rt.instantiate(&component(wat)).expect("instantiates");
    (rt, i)
}

fn trap_text(r: Result<Vec<Value>, reference_vm::component::Trap>) -> String {
    r.expect_err("traps").to_string()
}

#[test]
fn lifted_function_takes_and_returns_values() {
    let (mut rt, i) = instance(
        r#"(component
          (core module $M (func (export "add") (param i32 i32) (result i32)
            (i32.add (local.get 0) (local.get 1))))
          (core instance $m (instantiate $M))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32)
            (canon lift (core func $m "add"))))"#,
    );
    assert_eq!(
        rt.invoke(i, "add", &[Value::U32(40), Value::U32(2)]),
        Ok(vec![Value::U32(42)])
    );
    // Wrapping is the core function's; the ABI passes u32 bits unchanged.
    assert_eq!(
        rt.invoke(i, "add", &[Value::U32(u32::MAX), Value::U32(2)]),
        Ok(vec![Value::U32(1)])
    );
    // A value of the wrong type is an error, never a panic.
    assert!(rt.invoke(i, "add", &[Value::S8(1), Value::U32(2)]).is_err());
    assert!(rt.invoke(i, "add", &[Value::U32(1)]).is_err());
    assert!(rt.invoke(i, "nope", &[]).is_err());
}

/// A component defining a resource with a destructor that counts, and
/// functions over its handles.
const RESOURCES: &str = r#"(component
  (core module $Dtor
    (global $dropped (export "dropped") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32)
      (global.set $dropped (i32.add (global.get $dropped) (local.get 0)))))
  (core instance $d (instantiate $Dtor))
  (type $R (resource (rep i32) (dtor (core func $d "dtor"))))
  (type $S (resource (rep i32)))
  (core func $new (canon resource.new $R))
  (core func $rep (canon resource.rep $R))
  (core func $drop (canon resource.drop $R))
  (core func $new-s (canon resource.new $S))
  (core module $M
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "rep" (func $rep (param i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (import "" "new-s" (func $new-s (param i32) (result i32)))
    (import "" "dropped" (global $dropped (mut i32)))
    (func (export "cycle") (param i32) (result i32)
      (local $h i32)
      (local.set $h (call $new (local.get 0)))
      (if (i32.ne (call $rep (local.get $h)) (local.get 0)) (then unreachable))
      (call $drop (local.get $h))
      (global.get $dropped))
    (func (export "double-drop")
      (local $h i32)
      (local.set $h (call $new (i32.const 1)))
      (call $drop (local.get $h))
      (call $drop (local.get $h)))
    (func (export "wrong-type")
      (call $drop (call $new-s (i32.const 1))))
    (func (export "rep-of") (param i32) (result i32) (call $rep (local.get 0))))
  (core instance $m (instantiate $M (with "" (instance
    (export "new" (func $new)) (export "rep" (func $rep))
    (export "drop" (func $drop)) (export "new-s" (func $new-s))
    (export "dropped" (global $d "dropped"))))))
  (func (export "cycle") (param "rep" u32) (result u32) (canon lift (core func $m "cycle")))
  (func (export "double-drop") (canon lift (core func $m "double-drop")))
  (func (export "wrong-type") (canon lift (core func $m "wrong-type")))
  (func (export "rep-of") (param "h" u32) (result u32) (canon lift (core func $m "rep-of"))))"#;

#[test]
fn resources_run_their_destructor_once_and_check_handles() {
    let (mut rt, i) = instance(RESOURCES);
    assert_eq!(
        rt.invoke(i, "cycle", &[Value::U32(5)]),
        Ok(vec![Value::U32(5)])
    );
    // The slot freed by the drop is reused; the destructor saw 5 then 7.
    assert_eq!(
        rt.invoke(i, "cycle", &[Value::U32(7)]),
        Ok(vec![Value::U32(12)])
    );
    assert_eq!(
        trap_text(rt.invoke(i, "rep-of", &[Value::U32(9)])),
        "wasm trap: unknown handle index 9"
    );
    // A trap poisons the instance: nothing enters it afterwards.
    assert_eq!(
        trap_text(rt.invoke(i, "cycle", &[Value::U32(1)])),
        "wasm trap: cannot enter component instance"
    );
    let (mut rt, i) = instance(RESOURCES);
    assert_eq!(
        trap_text(rt.invoke(i, "double-drop", &[])),
        "wasm trap: unknown handle index 1"
    );
    let (mut rt, i) = instance(RESOURCES);
    assert!(trap_text(rt.invoke(i, "wrong-type", &[])).contains("used with the wrong type"));
}

#[test]
fn strings_cross_components_in_their_encodings() {
    // The callee keeps strings in UTF-16 and returns their length in code
    // units; the caller passes a UTF-8 string through its import.
    let (mut rt, i) = instance(
        r#"(component
          (component $Callee
            (core module $M
              (memory (export "mem") 1)
              (global $next (mut i32) (i32.const 64))
              (func (export "realloc") (param i32 i32 i32 i32) (result i32)
                (local $p i32)
                (local.set $p (global.get $next))
                (global.set $next (i32.add (global.get $next) (local.get 3)))
                (local.get $p))
              (func (export "units") (param i32 i32) (result i32) (local.get 1)))
            (core instance $m (instantiate $M))
            (func (export "units") (param "s" string) (result u32)
              (canon lift (core func $m "units") string-encoding=utf16
                (memory (core memory $m "mem")) (realloc (core func $m "realloc")))))
          (instance $callee (instantiate $Callee))
          (core module $Mem (memory (export "mem") 1)
            (data (i32.const 0) "h\c3\a9llo \f0\9f\98\80"))
          (core instance $mem (instantiate $Mem))
          (core func $units (canon lower (func $callee "units") (memory (core memory $mem "mem"))))
          (core module $Caller
            (import "" "units" (func $units (param i32 i32) (result i32)))
            (func (export "run") (result i32) (call $units (i32.const 0) (i32.const 11))))
          (core instance $c (instantiate $Caller (with "" (instance (export "units" (func $units))))))
          (func (export "run") (result u32) (canon lift (core func $c "run")))
          (func (export "units") (alias export $callee "units")))"#,
    );
    // "héllo 😀": 11 UTF-8 bytes, 7 code points, 8 UTF-16 code units.
    assert_eq!(rt.invoke(i, "run", &[]), Ok(vec![Value::U32(8)]));
    assert_eq!(
        rt.invoke(i, "units", &[Value::String("héllo 😀".into())]),
        Ok(vec![Value::U32(8)])
    );
}

#[test]
fn post_return_may_not_leave_and_a_child_may_call_its_parent() {
    // post-return runs with may_leave cleared: calling an import traps.
    let (mut rt, i) = instance(
        r#"(component
          (type $R (resource (rep i32)))
          (core func $new (canon resource.new $R))
          (core module $M
            (import "" "new" (func $new (param i32) (result i32)))
            (func (export "f") (result i32) (i32.const 7))
            (func (export "f-pr") (param i32) (drop (call $new (local.get 0)))))
          (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
          (func (export "f") (result u32)
            (canon lift (core func $m "f") (post-return (core func $m "f-pr")))))"#,
    );
    assert_eq!(
        trap_text(rt.invoke(i, "f", &[])),
        "wasm trap: cannot leave component instance"
    );
    // A child calls its parent's function while the parent is in the
    // call (the entering set excludes the caller's ancestors); the child's
    // type comes from the parent through an outer alias.
    let (mut rt, i) = instance(
        r#"(component $P
          (type $T (func (param "x" u32) (result u32)))
          (core module $Double (func (export "double") (param i32) (result i32)
            (i32.mul (local.get 0) (i32.const 2))))
          (core instance $d (instantiate $Double))
          (func $double (type $T) (canon lift (core func $d "double")))
          (component $C
            (alias outer $P $T (type $T'))
            (import "double" (func $double (type $T')))
            (core func $double' (canon lower (func $double)))
            (core module $M
              (import "" "double" (func $double (param i32) (result i32)))
              (func (export "quad") (param i32) (result i32)
                (call $double (call $double (local.get 0)))))
            (core instance $m (instantiate $M (with "" (instance (export "double" (func $double'))))))
            (func (export "quad") (type $T') (canon lift (core func $m "quad"))))
          (instance $c (instantiate $C (with "double" (func $double))))
          (core func $quad (canon lower (func $c "quad")))
          (core module $Outer
            (import "" "quad" (func $quad (param i32) (result i32)))
            (func (export "octo") (param i32) (result i32)
              (call $quad (i32.add (local.get 0) (local.get 0)))))
          (core instance $o (instantiate $Outer (with "" (instance (export "quad" (func $quad))))))
          (func (export "octo") (type $T) (canon lift (core func $o "octo"))))"#,
    );
    assert_eq!(
        rt.invoke(i, "octo", &[Value::U32(3)]),
        Ok(vec![Value::U32(24)])
    );
}

#[test]
fn host_functions_and_resources_link_by_semver() {
    use reference_vm::component::exec::{HostFunc, HostItem};
    use reference_vm::component::{FuncType, ValType};
    use std::sync::Mutex;
    let mut rt = Runtime::new(Config::default());
    let dropped: Arc<Mutex<Vec<u32>>> = Arc::default();
    let d = dropped.clone();
    let r = rt.host_resource(Some(Arc::new(move |rep| d.lock().unwrap().push(rep))));
    let make: HostFunc = Arc::new(|args: &[Value]| match args {
        [Value::U32(x)] => Ok(Some(Value::Own(x + 100))),
        _ => unreachable!("lifted by its type"),
    });
    let rep: HostFunc = Arc::new(|args: &[Value]| match args {
        [Value::Borrow(rep)] => Ok(Some(Value::U32(*rep))),
        _ => unreachable!("lifted by its type"),
    });
    let func = |params: Vec<(&str, ValType)>, result: ValType| FuncType {
        is_async: false,
        params: params
            .into_iter()
            .map(|(n, t)| (n.to_string(), t))
            .collect(),
        result: Some(result),
    };
    rt.register_host(
        "test:host/api@0.1.5",
        HostItem::Instance(vec![
            ("thing".into(), HostItem::Resource(r)),
            (
                "make".into(),
                HostItem::Func(func(vec![("x", ValType::U32)], ValType::Own(r)), make),
            ),
            (
                "[method]thing.rep".into(),
                HostItem::Func(func(vec![("self", ValType::Borrow(r))], ValType::U32), rep),
            ),
        ]),
    );
    let guest = |version: &str| {
        component(&format!(
            r#"(component
          (import "test:host/api@{version}" (instance $api
            (export "thing" (type $t (sub resource)))
            (export "make" (func (param "x" u32) (result (own $t))))
            (export "[method]thing.rep" (func (param "self" (borrow $t)) (result u32)))))
          (alias export $api "thing" (type $t))
          (core func $make (canon lower (func $api "make")))
          (core func $rep (canon lower (func $api "[method]thing.rep")))
          (core func $drop (canon resource.drop $t))
          (core module $M
            (import "" "make" (func $make (param i32) (result i32)))
            (import "" "rep" (func $rep (param i32) (result i32)))
            (import "" "drop" (func $drop (param i32)))
            (func (export "run") (param i32) (result i32)
              (local $h i32) (local $r i32)
              (local.set $h (call $make (local.get 0)))
              (local.set $r (call $rep (local.get $h)))
              (call $drop (local.get $h))
              (local.get $r)))
          (core instance $m (instantiate $M (with "" (instance
            (export "make" (func $make)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
          (func (export "run") (param "x" u32) (result u32) (canon lift (core func $m "run"))))"#
        ))
    };
    // 0.1.2 is satisfied by the host's 0.1.5; 0.2.0 and 0.1.9 are not.
    let i = rt.instantiate(&guest("0.1.2")).expect("links by semver");
    assert_eq!(
        rt.invoke(i, "run", &[Value::U32(5)]),
        Ok(vec![Value::U32(105)])
    );
    assert_eq!(*dropped.lock().unwrap(), vec![105]);
    for v in ["0.2.0", "0.1.9"] {
        let e = rt
            .instantiate(&guest(v))
            .expect_err("no compatible version");
        assert!(e.to_string().contains("missing import"), "{e}");
    }
}

/// A payload-less stream may be as long as `Buffer.MAX_LENGTH` without any
/// memory behind it: a host reading it keeps no room per element (a
/// regression: the host sink reserved room sized by the guest's length).
#[test]
fn host_reads_a_long_payloadless_stream_without_room_per_element() {
    use reference_vm::component::exec::{HostFuncCx, HostItem};
    use reference_vm::component::{FuncType, ValType};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut rt = Runtime::new(Config::default());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let sink: HostFuncCx = Arc::new(move |cx, args| {
        let count = count.clone();
        cx.stream_into(
            &args[0],
            Box::new(move |vs| {
                count.fetch_add(1 + vs.len(), Ordering::Relaxed);
            }),
        )?;
        Ok(None)
    });
    let ty = FuncType {
        is_async: false,
        params: vec![("s".into(), ValType::Stream(None))],
        result: None,
    };
    rt.register_host(
        "host",
        HostItem::Instance(vec![("sink".into(), HostItem::FuncCx(ty, sink))]),
    );
    let c = component(
        r#"(component
          (import "host" (instance $h (export "sink" (func (param "s" (stream))))))
          (type $ST (stream))
          (core module $Mem (memory (export "mem") 1))
          (core instance $mem (instantiate $Mem))
          (canon stream.new $ST (core func $new))
          (canon stream.write $ST async (memory (core memory $mem "mem")) (core func $write))
          (canon lower (func $h "sink") (core func $sink))
          (core module $M
            (import "" "new" (func $new (result i64)))
            (import "" "write" (func $write (param i32 i32 i32) (result i32)))
            (import "" "sink" (func $sink (param i32)))
            (func (export "run") (result i32)
              (local $ends i64)
              (local.set $ends (call $new))
              (call $sink (i32.wrap_i64 (local.get $ends)))
              (call $write (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32)))
                (i32.const 0) (i32.const 0x0fffffff))))
          (core instance $m (instantiate $M (with "" (instance
            (export "new" (func $new)) (export "write" (func $write))
            (export "sink" (func $sink))))))
          (func (export "run") (result u32) (canon lift (core func $m "run"))))"#,
    );
    let i = rt.instantiate(&c).expect("instantiates");
    // COMPLETED (0) with progress 2^28 - 1 in the upper 28 bits.
    assert_eq!(
        rt.invoke(i, "run", &[]),
        Ok(vec![Value::U32(0x0fff_ffff << 4)])
    );
    // One delivery, with no values (nothing is kept per element).
    assert_eq!(seen.load(Ordering::Relaxed), 1);
}

/// Host work that finishes later: a stream the host fills only after a few
/// polls, an `async` host function that returns after a few polls (lowered
/// asynchronously and synchronously), and a host sink that takes nothing at
/// first and then two bytes at a time. The component waits on each as it
/// would on another component; the event loop polls the host meanwhile.
#[test]
fn host_work_that_finishes_later_unblocks_the_waiting_component() {
    use reference_vm::component::exec::{HostCall, HostFuncAsync, HostFuncCx, HostItem};
    use reference_vm::component::{FuncType, ValType};
    use std::sync::Mutex;
    use std::task::Poll;
    let mut rt = Runtime::new(Config::default());
    let polls = Arc::new(Mutex::new(0u32));
    let p = polls.clone();
    let numbers: HostFuncCx = Arc::new(move |cx, _| {
        let p = p.clone();
        let mut n = 0;
        let s = cx.stream_polled(
            Some(ValType::U8),
            Box::new(move |_| {
                n += 1;
                *p.lock().unwrap() += 1;
                if n < 4 {
                    Poll::Pending
                } else {
                    Poll::Ready(Some(vec![Value::U8(7), Value::U8(9)]))
                }
            }),
        )?;
        Ok(Some(s))
    });
    let later: HostFuncAsync = Arc::new(|_, args| {
        let Some(Value::U32(x)) = args.first().cloned() else {
            return Err(reference_vm::component::Trap::Component("bad arg".into()));
        };
        let mut n = 0;
        Ok(HostCall::Later(Box::new(move |_| {
            n += 1;
            if n < 3 {
                Poll::Pending
            } else {
                Poll::Ready(Ok(Some(Value::U32(x + 1))))
            }
        })))
    });
    let got = Arc::new(Mutex::new((Vec::new(), false)));
    let g = got.clone();
    let drain: HostFuncCx = Arc::new(move |cx, args| {
        let g = g.clone();
        let mut first = true;
        cx.stream_into_polled(
            &args[0],
            Box::new(move |vs| {
                let Some(vs) = vs else {
                    g.lock().unwrap().1 = true;
                    return Poll::Ready(0);
                };
                if std::mem::take(&mut first) {
                    return Poll::Pending;
                }
                let take = vs.len().min(2);
                g.lock().unwrap().0.extend_from_slice(&vs[..take]);
                Poll::Ready(take)
            }),
        )?;
        Ok(None)
    });
    let stream = ValType::Stream(Some(Box::new(ValType::U8)));
    let fty = |is_async, params: Vec<(String, ValType)>, result| FuncType {
        is_async,
        params,
        result,
    };
    rt.register_host(
        "host",
        HostItem::Instance(vec![
            (
                "numbers".into(),
                HostItem::FuncCx(fty(false, vec![], Some(stream.clone())), numbers),
            ),
            (
                "later".into(),
                HostItem::FuncAsync(
                    fty(true, vec![("x".into(), ValType::U32)], Some(ValType::U32)),
                    later,
                ),
            ),
            (
                "drain".into(),
                HostItem::FuncCx(fty(false, vec![("s".into(), stream)], None), drain),
            ),
        ]),
    );
    let c = component(
        r#"(component
          (import "host" (instance $h
            (export "numbers" (func (result (stream u8))))
            (export "later" (func async (param "x" u32) (result u32)))
            (export "drain" (func (param "s" (stream u8))))))
          (type $ST (stream u8))
          (core module $Mem (memory (export "mem") 1))
          (core instance $mem (instantiate $Mem))
          (canon stream.new $ST (core func $new))
          (canon stream.read $ST async (memory (core memory $mem "mem")) (core func $read))
          (canon stream.write $ST async (memory (core memory $mem "mem")) (core func $write))
          (canon stream.drop-writable $ST (core func $drop-w))
          (canon waitable-set.new (core func $wsnew))
          (canon waitable.join (core func $join))
          (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $wait))
          (canon lower (func $h "numbers") (core func $numbers))
          (canon lower (func $h "later") async (memory (core memory $mem "mem")) (core func $later))
          (canon lower (func $h "later") (core func $later-sync))
          (canon lower (func $h "drain") (core func $drain))
          (core module $M
            (import "" "mem" (memory 1))
            (import "" "new" (func $new (result i64)))
            (import "" "read" (func $read (param i32 i32 i32) (result i32)))
            (import "" "write" (func $write (param i32 i32 i32) (result i32)))
            (import "" "drop-w" (func $drop-w (param i32)))
            (import "" "wsnew" (func $wsnew (result i32)))
            (import "" "join" (func $join (param i32 i32)))
            (import "" "wait" (func $wait (param i32 i32) (result i32)))
            (import "" "numbers" (func $numbers (result i32)))
            (import "" "later" (func $later (param i32 i32) (result i32)))
            (import "" "later-sync" (func $later-sync (param i32) (result i32)))
            (import "" "drain" (func $drain (param i32)))
            (func $wait-on (param $w i32) (result i32)
              (local $ws i32)
              (local.set $ws (call $wsnew))
              (call $join (local.get $w) (local.get $ws))
              (call $wait (local.get $ws) (i32.const 0)))
            (func (export "read") (result i32)
              (local $s i32)
              (local.set $s (call $numbers))
              ;; BLOCKED: the host has nothing yet
              (if (i32.ne (call $read (local.get $s) (i32.const 100) (i32.const 8)) (i32.const -1))
                (then unreachable))
              ;; STREAM_READ, COMPLETED with 2 values
              (if (i32.ne (call $wait-on (local.get $s)) (i32.const 2)) (then unreachable))
              (if (i32.ne (i32.load (i32.const 4)) (i32.const 32)) (then unreachable))
              (i32.add (i32.mul (i32.load8_u (i32.const 100)) (i32.const 10))
                (i32.load8_u (i32.const 101))))
            (func (export "call") (result i32)
              (local $r i32)
              (local.set $r (call $later (i32.const 41) (i32.const 200)))
              ;; STARTED, in a subtask
              (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))
              ;; SUBTASK event, RETURNED
              (if (i32.ne (call $wait-on (i32.shr_u (local.get $r) (i32.const 4))) (i32.const 1))
                (then unreachable))
              (if (i32.ne (i32.load (i32.const 4)) (i32.const 2)) (then unreachable))
              (i32.add (i32.load (i32.const 200)) (call $later-sync (i32.const 99))))
            (func (export "send") (result i32)
              (local $ends i64) (local $w i32)
              (local.set $ends (call $new))
              (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
              (call $drain (i32.wrap_i64 (local.get $ends)))
              (i32.store (i32.const 300) (i32.const 0x04030201))
              (i32.store8 (i32.const 304) (i32.const 5))
              ;; BLOCKED: the host takes nothing at first
              (if (i32.ne (call $write (local.get $w) (i32.const 300) (i32.const 5)) (i32.const -1))
                (then unreachable))
              ;; STREAM_WRITE, COMPLETED with the 2 values the host took
              (if (i32.ne (call $wait-on (local.get $w)) (i32.const 3)) (then unreachable))
              (if (i32.ne (i32.load (i32.const 4)) (i32.const 32)) (then unreachable))
              (call $drop-w (local.get $w))
              (i32.const 0)))
          (core instance $m (instantiate $M (with "" (instance
            (export "mem" (memory $mem "mem"))
            (export "new" (func $new)) (export "read" (func $read))
            (export "write" (func $write)) (export "drop-w" (func $drop-w))
            (export "wsnew" (func $wsnew)) (export "join" (func $join)) (export "wait" (func $wait))
            (export "numbers" (func $numbers)) (export "later" (func $later))
            (export "later-sync" (func $later-sync)) (export "drain" (func $drain))))))
          (func (export "read") async (result u32) (canon lift (core func $m "read")))
          (func (export "call") async (result u32) (canon lift (core func $m "call")))
          (func (export "send") async (result u32) (canon lift (core func $m "send"))))"#,
    );
    let i = rt.instantiate(&c).expect("instantiates");
    assert_eq!(rt.invoke(i, "read", &[]), Ok(vec![Value::U32(79)]));
    assert!(*polls.lock().unwrap() >= 4);
    assert_eq!(rt.invoke(i, "call", &[]), Ok(vec![Value::U32(42 + 100)]));
    assert_eq!(rt.invoke(i, "send", &[]), Ok(vec![Value::U32(0)]));
    let (bytes, ended) = got.lock().unwrap().clone();
    assert_eq!(bytes, vec![Value::U8(1), Value::U8(2)]);
    assert!(ended, "the host's sink learns the stream's end");
}

/// A component may go on after it returned: here it returns a stream and
/// only then writes it. The host reads the stream it got back through
/// `with_host_cx` and runs the event loop (`run_until`) until the
/// component dropped its end.
#[test]
fn host_reads_a_stream_the_component_writes_after_returning() {
    use std::sync::Mutex;
    use std::task::Poll;
    let c = component(
        r#"(component
          (type $ST (stream u8))
          (core module $Mem (memory (export "mem") 1))
          (core instance $mem (instantiate $Mem))
          (canon stream.new $ST (core func $new))
          (canon stream.write $ST async (memory (core memory $mem "mem")) (core func $write))
          (canon stream.drop-writable $ST (core func $drop-w))
          (canon task.return (result $ST) (core func $ret))
          (canon waitable-set.new (core func $wsnew))
          (canon waitable.join (core func $join))
          (canon waitable-set.wait (memory (core memory $mem "mem")) (core func $wait))
          (core module $M
            (import "" "mem" (memory 1))
            (import "" "new" (func $new (result i64)))
            (import "" "write" (func $write (param i32 i32 i32) (result i32)))
            (import "" "drop-w" (func $drop-w (param i32)))
            (import "" "ret" (func $ret (param i32)))
            (import "" "wsnew" (func $wsnew (result i32)))
            (import "" "join" (func $join (param i32 i32)))
            (import "" "wait" (func $wait (param i32 i32) (result i32)))
            (func (export "produce")
              (local $ends i64) (local $w i32) (local $ws i32)
              (local.set $ends (call $new))
              (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $ends) (i64.const 32))))
              (call $ret (i32.wrap_i64 (local.get $ends)))
              (i32.store (i32.const 100) (i32.const 0x030201))
              ;; BLOCKED until the host reads
              (if (i32.ne (call $write (local.get $w) (i32.const 100) (i32.const 3)) (i32.const -1))
                (then unreachable))
              (local.set $ws (call $wsnew))
              (call $join (local.get $w) (local.get $ws))
              (if (i32.ne (call $wait (local.get $ws) (i32.const 0)) (i32.const 3)) (then unreachable))
              (call $drop-w (local.get $w))))
          (core instance $m (instantiate $M (with "" (instance
            (export "mem" (memory $mem "mem"))
            (export "new" (func $new)) (export "write" (func $write))
            (export "drop-w" (func $drop-w)) (export "ret" (func $ret))
            (export "wsnew" (func $wsnew)) (export "join" (func $join)) (export "wait" (func $wait))))))
          (func (export "produce") async (result $ST) (canon lift (core func $m "produce") async)))"#,
    );
    let mut rt = Runtime::new(Config::default());
    let i = rt.instantiate(&c).expect("instantiates");
    let out = rt.invoke(i, "produce", &[]).expect("returns");
    let got = Arc::new(Mutex::new((Vec::new(), false)));
    let g = got.clone();
    rt.with_host_cx(|cx| {
        cx.stream_into_polled(
            &out[0],
            Box::new(move |vs| {
                let mut g = g.lock().unwrap();
                match vs {
                    Some(vs) => {
                        g.0.extend_from_slice(vs);
                        Poll::Ready(vs.len())
                    }
                    None => {
                        g.1 = true;
                        Poll::Ready(0)
                    }
                }
            }),
        )
    })
    .expect("reads the stream");
    let g2 = got.clone();
    assert_eq!(rt.run_until(move || g2.lock().unwrap().1), Ok(true));
    let (bytes, ended) = got.lock().unwrap().clone();
    assert_eq!(bytes, vec![Value::U8(1), Value::U8(2), Value::U8(3)]);
    assert!(ended);
    // Nothing is left to run: the loop says so instead of spinning.
    assert_eq!(rt.run_until(|| false), Ok(false));
}

/// A component waiting on host work that never finishes (a peer that never
/// writes) waits without spinning the interpreter, and the run's stop
/// request ends the wait with `interrupted`: a hang becomes a verdict.
#[test]
fn a_wait_on_host_work_that_never_finishes_ends_at_the_stop_request() {
    use reference_vm::component::exec::{HostFuncCx, HostItem};
    use reference_vm::component::{FuncType, ValType};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Poll;
    let stop = Arc::new(AtomicBool::new(false));
    let mut rt = Runtime::new(Config {
        interrupt: Some(stop.clone()),
        ..Config::default()
    });
    let never: HostFuncCx = Arc::new(|cx, _| {
        let s = cx.stream_polled(Some(ValType::U8), Box::new(|_| Poll::Pending))?;
        Ok(Some(s))
    });
    let ty = FuncType {
        is_async: false,
        params: vec![],
        result: Some(ValType::Stream(Some(Box::new(ValType::U8)))),
    };
    rt.register_host(
        "host",
        HostItem::Instance(vec![("never".into(), HostItem::FuncCx(ty, never))]),
    );
    let c = component(
        r#"(component
          (import "host" (instance $h (export "never" (func (result (stream u8))))))
          (type $ST (stream u8))
          (core module $Mem (memory (export "mem") 1))
          (core instance $mem (instantiate $Mem))
          (canon stream.read $ST (memory (core memory $mem "mem")) (core func $read))
          (canon lower (func $h "never") (core func $never))
          (core module $M
            (import "" "read" (func $read (param i32 i32 i32) (result i32)))
            (import "" "never" (func $never (result i32)))
            (func (export "run") (result i32)
              (call $read (call $never) (i32.const 0) (i32.const 4))))
          (core instance $m (instantiate $M (with "" (instance
            (export "read" (func $read)) (export "never" (func $never))))))
          (func (export "run") async (result u32) (canon lift (core func $m "run"))))"#,
    );
    let i = rt.instantiate(&c).expect("instantiates");
    let flag = stop.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, Ordering::SeqCst);
    });
    let r = rt.invoke(i, "run", &[]);
    stopper.join().unwrap();
    assert!(trap_text(r).ends_with("interrupted"));
}
