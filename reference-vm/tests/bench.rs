//! Runs the benchmark programs of `../shared/bench` and checks their results
//! (expected values from that folder's README). Skips when the folder is absent,
//! except under CI.

use reference_vm::exec::{Store, Val};
use reference_vm::{Config, Features, decode_module, validate_module};

const EXPECTED: &[(&str, u64)] = &[
    ("hello-nowasi.wasm", 42),
    ("fibrec.wasm", 9227465),
    ("dispatch.wasm", 5928779947579172601),
    ("fib-nowasi.wasm", 24157817),
    ("sieve-nowasi.wasm", 2831460),
    ("fnv-nowasi.wasm", 2960230577249937829),
    ("matmul-nowasi.wasm", 13850837506051159907),
    ("qsort-nowasi.wasm", 9289901299776633409),
];

fn bench_dir() -> Option<std::path::PathBuf> {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench");
    if d.is_dir() {
        return Some(d);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI: ../shared/bench is missing"
    );
    eprintln!("skipping: {} not found", d.display());
    None
}

fn run(path: &std::path::Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let f = Features::v2();
    let m = decode_module(&bytes, &f).unwrap();
    let v = validate_module(&m, &f).unwrap();
    let mut s = Store::new(Config::default());
    let inst = s.instantiate(&v, &[]).unwrap();
    let Some(reference_vm::exec::ExternVal::Func(run)) = s.export(inst, "run") else {
        panic!("no run export")
    };
    match s.invoke(run, &[]).unwrap().as_slice() {
        [Val::I64(x)] => *x,
        other => panic!("unexpected result {other:?}"),
    }
}

#[test]
fn bench_programs_compute_expected_results() {
    let Some(dir) = bench_dir() else { return };
    let quick = std::env::var("BENCH_ALL").is_err();
    for (name, want) in EXPECTED {
        if quick && !matches!(*name, "hello-nowasi.wasm" | "fibrec.wasm" | "dispatch.wasm") {
            continue;
        }
        let t = std::time::Instant::now();
        let got = run(&dir.join(name));
        eprintln!("{name}: {got} in {:?}", t.elapsed());
        assert_eq!(got, *want, "{name}");
    }
}
