//! The HTML dashboard in a real headless Chromium: the matrix and a
//! drill-down render with the right content once the page's script has run.
//!
//! Needs Debian's `chromium` (or `$CHROMIUM`). Without it the test fails
//! under `CI=true` and is skipped, with a printed reason, elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs headless Chromium on `url` with the flags that work in containers.
fn chromium(bin: &Path, profile: &Path, extra: &[&str], url: &str) -> std::process::Output {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url);
    cmd.output().expect("run chromium")
}

#[test]
fn matrix_and_drill_down_render_in_chromium() {
    let Some(bin) = find_chromium() else {
        let why = "headless Chromium not found (install Debian's `chromium`, or set $CHROMIUM)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}; CI must run this test");
        }
        eprintln!("skipping matrix_and_drill_down_render_in_chromium: {why}");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wc-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("index.html");
    std::fs::write(&page, reports::html::render(&common::fixtures())).unwrap();
    // Column 1 is wasmi; open its core cell and the i32 file in it.
    let url = format!(
        "file://{}#cell=1:core&file=wasm-latest/i32.wast",
        page.display()
    );
    let out = chromium(&bin, &dir.join("profile"), &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The script ran to the end.
    assert!(
        dom.contains("data-ready=\"1\""),
        "script did not finish:\n{dom}"
    );
    // Matrix: both engines' columns, wasmi's core cell with its counts and colour.
    assert!(
        dom.contains("<th class=\"col-0\" data-col=\"0\">reference-vm"),
        "{dom}"
    );
    assert!(
        dom.contains("<th class=\"col-1\" data-col=\"1\">wasmi"),
        "{dom}"
    );
    assert!(
        dom.contains("class=\"cell partial col-1 selected\" data-col=\"1\" data-proposal=\"core\""),
        "the selected wasmi/core cell:\n{dom}"
    );
    assert!(
        dom.contains("<b>66.7%</b> <span class=\"cnt\">2/3</span>"),
        "{dom}"
    );
    // Drill-down: the detail title, the file table, and the failing assertion.
    assert!(
        dom.contains("id=\"detail-title\">wasmi 2.0.0 · core<"),
        "{dom}"
    );
    assert!(
        dom.contains("<tr class=\"file\" data-id=\"wasm-latest/i32.wast\">"),
        "{dom}"
    );
    assert!(
        dom.contains("id=\"file-title\">wasmi: wasm-latest/i32.wast (2 shown)<"),
        "{dom}"
    );
    assert!(
        dom.contains("<span class=\"pos\">wasm-latest/i32.wast:3:1</span>"),
        "file:line of the failure:\n{dom}"
    );
    assert!(dom.contains("<dt>expected</dt><dd>[i32:1]</dd>"), "{dom}");
    assert!(dom.contains("<dt>actual</dt><dd>[i32:2]</dd>"), "{dom}");
    assert!(
        dom.contains("<dt>reproduce</dt><dd>wasm-conform spec --engine E"),
        "{dom}"
    );
    // Text-format failure listed as such; a passing line is not.
    assert!(dom.contains("wasm-latest/i32.wast:9:1"), "{dom}");
    assert!(!dom.contains("wasm-latest/i32.wast:4:1"), "{dom}");

    // The status filter from the URL: unsupported verdicts of wasmi/gc, with their reason.
    let url = format!("file://{}#status=unsupported&cell=1:gc", page.display());
    let out = chromium(&bin, &dir.join("profile2"), &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("gc: wasmi 2.0 does not implement the GC proposal"),
        "{dom}"
    );
    assert!(dom.contains("proposals/gc/array.wast:11:1"), "{dom}");

    // A screenshot for people to look at (kept next to the page).
    let shot = dir.join("dashboard.png");
    let url = format!("file://{}#cell=1:core", page.display());
    let _ = chromium(
        &bin,
        &dir.join("profile3"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000",
        ],
        &url,
    );
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "no screenshot at {}",
        shot.display()
    );
    eprintln!("screenshot: {}", shot.display());
    let _ = std::fs::remove_dir_all(dir.join("profile"));
    let _ = std::fs::remove_dir_all(dir.join("profile2"));
    let _ = std::fs::remove_dir_all(dir.join("profile3"));
}
