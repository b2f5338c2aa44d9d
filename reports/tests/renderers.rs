//! Snapshot tests of every renderer on fixed fixtures.

mod common;

use common::fixtures;
use reports::junit::Granularity;
use reports::*;

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
    i32.verdicts[1] = common::failing(4, "[i32:0]", "[i32:7]");
    after[1].units[2].verdicts.clear();
    after[1].units[2]
        .verdicts
        .push(common::failing(20, "[f32:1.0]", "[f32:2.0]"));
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
    let loaded = render::load_docs(std::slice::from_ref(&dir)).unwrap();
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

#[test]
fn shards_merge_into_one_run() {
    let docs = fixtures();
    let mut a = docs[1].clone();
    let mut b = docs[1].clone();
    a.units.truncate(1);
    b.units.remove(0);
    b.partial = true;
    for d in [&mut a, &mut b] {
        let units = std::mem::take(&mut d.units);
        d.totals = Totals::default();
        for u in units {
            d.push(u);
        }
    }
    let merged = render::merge_runs(vec![docs[0].clone(), a, b, docs[2].clone()]);
    assert_eq!(merged.len(), 3);
    assert_eq!(merged[1].totals, docs[1].totals);
    assert_eq!(merged[1].units.len(), 3);
    assert!(merged[1].partial);
    assert!(!merged[0].partial);
}
