//! The vendor matrix: one row per runtime, one column per suite (spec,
//! wasip1, wasip1 as components, wasip3, wasi-threads, sandbox), over the
//! results documents of a `wasm-conform report --matrix` run. A runtime that
//! could not be run here has a document without units whose engine config
//! says why ([`UNAVAILABLE_KEY`]); its row says so instead of showing
//! numbers. A runtime that runs core modules only ([`COMPONENTS_KEY`]
//! false) says so in the columns made of components it was not given.

use std::fmt::Write;

use crate::html::esc;
use crate::{ResultsDoc, RunKind, Status};

/// Engine-config key of a document standing for a runtime not run here.
pub const UNAVAILABLE_KEY: &str = "unavailable";
/// Engine-config key with how the runtime was installed.
pub const ROUTE_KEY: &str = "route";
/// Engine-config key with the runtime's display name.
pub const TITLE_KEY: &str = "title";
/// Engine-config key (a boolean): whether the runtime runs components.
pub const COMPONENTS_KEY: &str = "components";

/// The column of the wasip1 tests turned into WASI 0.2 components with the
/// official preview1 adapter (test ids `.../wasm32-wasip1-as-component/NAME`).
pub const P1_COMPONENT: &str = "wasip1 (as component)";
/// The text of a [`P1_COMPONENT`] cell of a runtime that runs core modules
/// only (it was not given the components).
pub const MODULES_ONLY: &str = "not run (modules only)";

/// The section's colours, by [`VendorCell::grade`].
const CSS: &str = "<style>#runtime-matrix td,#runtime-matrix th{white-space:nowrap}\
#runtime-matrix td.g-full{background:#c9efc9}#runtime-matrix td.g-good{background:#e3f5c6}\
#runtime-matrix td.g-partial{background:#fbeec0}#runtime-matrix td.g-bad{background:#f8cfcf}\
#runtime-matrix td.g-none{background:#eee;color:#555;white-space:normal}</style>\n";

/// The matrix's columns, in order.
pub const SUITES: &[&str] = &[
    "spec",
    "wasip1",
    P1_COMPONENT,
    "wasip3",
    "wasi-threads",
    "sandbox",
];

/// The matrix column of one unit.
pub fn suite_of(kind: RunKind, unit_id: &str) -> &'static str {
    match kind {
        RunKind::Spec => "spec",
        RunKind::Sandbox => "sandbox",
        RunKind::Fuzz => "fuzz",
        RunKind::Wasi if unit_id.contains("wasm32-wasip3") => "wasip3",
        RunKind::Wasi if unit_id.contains("wasi-threads") => "wasi-threads",
        RunKind::Wasi if unit_id.contains("wasm32-wasip1-as-component/") => P1_COMPONENT,
        RunKind::Wasi => "wasip1",
    }
}

/// Counts of one (runtime, suite) cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VendorCell {
    /// Verdicts that passed.
    pub pass: u64,
    /// Failing verdicts (fail, timeout, error) listed in the expectations.
    pub known: u64,
    /// Failing verdicts nobody expected.
    pub unexpected: u64,
    /// Not judged: skipped, unsupported, blocked.
    pub not_run: u64,
    /// Passing verdicts whose expectation says they fail (stale entries,
    /// which fail the run until removed).
    pub stale: u64,
}

impl VendorCell {
    /// Verdicts that were judged.
    pub fn judged(&self) -> u64 {
        self.pass + self.known + self.unexpected
    }

    /// The cell's text: `pass/judged (pct%)`, never `0/0`: a cell with
    /// nothing judged says why.
    pub fn text(&self) -> String {
        match self.not_run_note() {
            Some(n) if self.judged() == 0 => format!("{} ({n})", self.share()),
            Some(n) => format!("{}, {n}", self.share()),
            None => self.share(),
        }
    }

    /// The share alone: `pass/judged (pct%)`, or "not run" / "no tests"
    /// when nothing was judged.
    pub fn share(&self) -> String {
        if self.judged() == 0 {
            return if self.not_run > 0 {
                "not run"
            } else {
                "no tests"
            }
            .to_string();
        }
        let pct = self.pass as f64 * 100.0 / self.judged() as f64;
        let pct = if self.pass < self.judged() && pct > 99.9 {
            "99.9".to_string()
        } else {
            format!("{pct:.1}")
        };
        format!("{}/{} ({pct}%)", self.pass, self.judged())
    }

    /// The verdicts not judged, in words, when there are any.
    pub fn not_run_note(&self) -> Option<String> {
        match (self.not_run, self.judged()) {
            (0, _) => None,
            (n, 0) => Some(format!("{n} unsupported/skipped")),
            (n, _) => Some(format!("{n} not run")),
        }
    }

    /// What follows the share: (count, word, needs attention) for known
    /// failures, unexpected ones and stale expectations, those not zero.
    pub fn notes(&self) -> Vec<(u64, &'static str, bool)> {
        [
            (self.known, "known", false),
            (self.unexpected, "unexpected", true),
            (self.stale, "stale", true),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .collect()
    }

    /// A CSS class: full, good (>= 90%), partial, bad, none.
    pub fn grade(&self) -> &'static str {
        let j = self.judged();
        if j == 0 {
            "none"
        } else if self.pass == j {
            "full"
        } else if self.pass * 10 >= j * 9 {
            "good"
        } else if self.pass * 2 >= j {
            "partial"
        } else {
            "bad"
        }
    }
}

/// One row of the matrix.
#[derive(Debug, Clone)]
pub struct VendorRow {
    /// The runtime's name.
    pub name: String,
    /// Its display name.
    pub title: String,
    /// Versions seen in its documents (normally one).
    pub version: String,
    /// How it was installed, when it was.
    pub route: Option<String>,
    /// Why it was not run, when it was not.
    pub unavailable: Option<String>,
    /// Whether it runs components, when its documents say.
    pub components: Option<bool>,
    /// Cells by suite, in [`SUITES`] order.
    pub cells: Vec<Option<VendorCell>>,
    /// Failing verdicts: (suite, unit id, status, expectation reason or message).
    pub failures: Vec<(String, String, Status, String)>,
}

impl VendorRow {
    /// The text of a column this runtime has no verdicts in: "not run", or
    /// [`MODULES_ONLY`] for the adapter's components on a runtime that runs
    /// core modules only.
    pub fn empty_cell(&self, suite: &str) -> &'static str {
        if suite == P1_COMPONENT && self.components == Some(false) {
            MODULES_ONLY
        } else {
            "not run"
        }
    }
}

/// What the runtimes that ran one column have in common.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnFacts {
    /// The runtimes with verdicts in the column.
    pub runtimes: Vec<String>,
    /// The most tests (units) any of them ran in it.
    pub tests: usize,
    /// Tests that failed as listed (known) on every one of them.
    pub known_everywhere: std::collections::BTreeSet<String>,
}

/// The [`ColumnFacts`] of `suite` over a matrix run's documents.
pub fn column_facts(docs: &[ResultsDoc], suite: &str) -> ColumnFacts {
    use std::collections::{BTreeMap, BTreeSet};
    // Per runtime: its units in the column, and those failing as known.
    let mut seen: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for doc in docs {
        for unit in doc
            .units
            .iter()
            .filter(|u| suite_of(doc.kind, &u.id) == suite)
        {
            let name = doc.engine.name.as_str();
            if !order.contains(&name) {
                order.push(name);
            }
            let (all, known) = seen.entry(name).or_default();
            all.insert(&unit.id);
            let listed = unit.verdicts.iter().any(|v| {
                matches!(v.status, Status::Fail | Status::Timeout | Status::Error)
                    && is_known(doc.kind, v)
            });
            if listed {
                known.insert(&unit.id);
            }
        }
    }
    let mut everywhere: Option<BTreeSet<String>> = None;
    for (_, known) in seen.values() {
        let k: BTreeSet<String> = known.iter().map(|s| s.to_string()).collect();
        everywhere = Some(match everywhere {
            None => k,
            Some(e) => e.intersection(&k).cloned().collect(),
        });
    }
    ColumnFacts {
        runtimes: order.iter().map(|s| s.to_string()).collect(),
        tests: seen.values().map(|(all, _)| all.len()).max().unwrap_or(0),
        known_everywhere: everywhere.unwrap_or_default(),
    }
}

fn config_str(doc: &ResultsDoc, key: &str) -> Option<String> {
    doc.engine
        .config
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Adds a document's version to a row's `; `-separated list, unless the
/// list already says it: `v20.20.2` (a CLI's `--version`) is said by
/// `20.20.2 (V8 11.3)` (a driver's), and a longer form replaces a shorter.
fn add_version(list: &mut String, version: &str) {
    let v = version.trim();
    let bare = |s: &str| s.trim_start_matches('v').to_string();
    if v.is_empty() {
        return;
    }
    let mut parts: Vec<String> = list
        .split("; ")
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if parts.iter().any(|p| bare(p).contains(&bare(v))) {
        return;
    }
    parts.retain(|p| !bare(v).contains(&bare(p)));
    parts.push(v.to_string());
    *list = parts.join("; ");
}

/// The rows of the matrix, one per engine name, in first-seen order.
pub fn rows(docs: &[ResultsDoc]) -> Vec<VendorRow> {
    let mut rows: Vec<VendorRow> = Vec::new();
    for doc in docs {
        let name = &doc.engine.name;
        let i = match rows.iter().position(|r| &r.name == name) {
            Some(i) => i,
            None => {
                rows.push(VendorRow {
                    name: name.clone(),
                    title: name.clone(),
                    version: String::new(),
                    route: None,
                    unavailable: None,
                    components: None,
                    cells: vec![None; SUITES.len()],
                    failures: Vec::new(),
                });
                rows.len() - 1
            }
        };
        let row = &mut rows[i];
        if let Some(t) = config_str(doc, TITLE_KEY) {
            row.title = t;
        }
        if let Some(r) = config_str(doc, ROUTE_KEY) {
            row.route = Some(r);
        }
        if let Some(c) = doc
            .engine
            .config
            .get(COMPONENTS_KEY)
            .and_then(|v| v.as_bool())
        {
            row.components = Some(c);
        }
        if let Some(u) = config_str(doc, UNAVAILABLE_KEY) {
            row.unavailable = Some(u);
            continue;
        }
        add_version(&mut row.version, &doc.engine.version);
        for unit in &doc.units {
            let suite = suite_of(doc.kind, &unit.id);
            let Some(col) = SUITES.iter().position(|s| *s == suite) else {
                continue;
            };
            let cell = row.cells[col].get_or_insert_with(VendorCell::default);
            // Text-format verdicts (`module quote`) judge the text parser,
            // not the runtime: counted apart elsewhere, left out here.
            for verdict in unit
                .verdicts
                .iter()
                .filter(|v| v.category == crate::Category::Engine)
            {
                match verdict.status {
                    Status::Pass => {
                        cell.pass += 1;
                        if is_stale(doc.kind, verdict) {
                            cell.stale += 1;
                        }
                    }
                    Status::Fail | Status::Timeout | Status::Error => {
                        if is_known(doc.kind, verdict) {
                            cell.known += 1;
                        } else {
                            cell.unexpected += 1;
                        }
                        let why = verdict
                            .reason
                            .clone()
                            .or_else(|| verdict.message.clone())
                            .unwrap_or_default();
                        let why = why.lines().next().unwrap_or_default().to_string();
                        let at = if verdict.line > 0 {
                            format!("{}:{}", unit.id, verdict.line)
                        } else {
                            unit.id.clone()
                        };
                        row.failures
                            .push((suite.to_string(), at, verdict.status, why));
                    }
                    _ => cell.not_run += 1,
                }
            }
        }
    }
    rows
}

/// Whether a failing verdict is listed in the runtime's expectations: the
/// spec runner marks the verdicts it matched ([`crate::Verdict::known`]); the
/// WASI runner names an expected failure's kind `xfail`. A reason alone does
/// not count: runners explain unlisted failures too (a rejected module).
fn is_known(kind: RunKind, v: &crate::Verdict) -> bool {
    v.known || (matches!(kind, RunKind::Wasi | RunKind::Sandbox) && v.kind == "xfail")
}

/// Whether a passing verdict passed against an expectation that says it
/// fails (the WASI runner's `xpass`): the entry is stale and fails the run.
fn is_stale(kind: RunKind, v: &crate::Verdict) -> bool {
    matches!(kind, RunKind::Wasi | RunKind::Sandbox) && v.kind == "xpass"
}

/// The short form of why a runtime was not run, for its row: the reason's
/// lead-in before a colon when it is short ("not installable here",
/// "retired"), else "not installable here".
fn unavailable_label(why: &str) -> &str {
    match why.split_once(':') {
        Some((lead, _)) if lead.len() <= 24 && !lead.trim().is_empty() => lead.trim(),
        _ => "not installable here",
    }
}

/// The README table: one row per runtime, one column per suite; each
/// runtime links to `link(name)` (its failures and their reasons). The
/// `notes` (paragraphs about columns) follow the table; then how each
/// runtime got here, or why it could not, as a list: long texts in a column
/// would squeeze the numbers.
pub fn markdown(docs: &[ResultsDoc], link: &dyn Fn(&str) -> String, notes: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| runtime | version | {} |", SUITES.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---:|".repeat(SUITES.len()));
    let rows = rows(docs);
    for r in &rows {
        let name = format!("[{}]({})", r.title, link(&r.name));
        if let Some(why) = &r.unavailable {
            let _ = writeln!(
                s,
                "| {name} | {} | {} |",
                unavailable_label(why),
                vec!["-"; SUITES.len()].join(" | ")
            );
            continue;
        }
        let cells: Vec<String> = r
            .cells
            .iter()
            .zip(SUITES)
            .map(|(c, suite)| match c {
                None => r.empty_cell(suite).to_string(),
                Some(c) => {
                    let mut t = c.text();
                    for (n, what, strong) in c.notes() {
                        if strong {
                            let _ = write!(t, ", **{n} {what}**");
                        } else {
                            let _ = write!(t, ", {n} {what}");
                        }
                    }
                    t
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "| {name} | {} | {} |",
            r.version.replace('|', "\\|"),
            cells.join(" | ")
        );
    }
    for n in notes {
        let _ = writeln!(s);
        let _ = writeln!(s, "{}", n.trim_end());
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "How each got here:");
    let _ = writeln!(s);
    for r in &rows {
        let how = match (&r.unavailable, &r.route) {
            (Some(why), _) => why.as_str(),
            (None, Some(route)) => route.as_str(),
            (None, None) => continue,
        };
        let _ = writeln!(s, "- **{}**: {how}", r.title);
    }
    s
}

/// The dashboard's section: the matrix, then each runtime's failures with
/// their reasons (anchors `rt-NAME`). Empty when no document is a matrix run.
pub fn section_html(docs: &[ResultsDoc]) -> String {
    if !docs.iter().any(|d| {
        d.engine.config.contains_key(ROUTE_KEY) || d.engine.config.contains_key(UNAVAILABLE_KEY)
    }) {
        return String::new();
    }
    let rows = rows(docs);
    let mut out = String::new();
    out.push_str(CSS);
    out.push_str("<section id=\"runtimes\"><h2>Runtimes &times; suites</h2>\n<p class=\"hint\">Passing share of the judged verdicts (spec: assertions; WASI and sandbox: tests). Known failures are listed in each runtime's expectations with a reason; click a runtime for its failures.</p>\n<div class=\"scroll\"><table id=\"runtime-matrix\"><thead><tr><th>runtime</th><th>version</th>");
    for s in SUITES {
        let _ = write!(out, "<th>{}</th>", esc(s));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in &rows {
        let _ = write!(
            out,
            "<tr><th><a href=\"#rt-{0}\">{1}</a></th>",
            esc(&r.name),
            esc(&r.title)
        );
        if let Some(why) = &r.unavailable {
            // The reason is in the runtime's section below (and the
            // tooltip): a long text in the table would stretch its columns.
            let _ = writeln!(
                out,
                "<td>-</td><td class=\"g-none\" colspan=\"{}\" title=\"{}\">{} (<a href=\"#rt-{}\">why</a>)</td></tr>",
                SUITES.len(),
                esc(why),
                esc(unavailable_label(why)),
                esc(&r.name)
            );
            continue;
        }
        let _ = write!(out, "<td>{}</td>", esc(&r.version));
        for (c, suite) in r.cells.iter().zip(SUITES) {
            match c {
                None => {
                    let _ = write!(out, "<td class=\"g-none\">{}</td>", r.empty_cell(suite));
                }
                Some(c) => {
                    // The share on the first line, the rest small below it,
                    // so that the columns stay narrow.
                    let extra = c
                        .not_run_note()
                        .map(|n| esc(&n))
                        .into_iter()
                        .chain(c.notes().iter().map(|(n, what, strong)| {
                            if *strong {
                                format!("<b>{n} {what}</b>")
                            } else {
                                format!("{n} {what}")
                            }
                        }))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let extra = if extra.is_empty() {
                        extra
                    } else {
                        format!("<br><small>{extra}</small>")
                    };
                    let _ = write!(
                        out,
                        "<td class=\"g-{}\">{}{extra}</td>",
                        c.grade(),
                        esc(&c.share())
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    for r in &rows {
        let _ = write!(out, "<h3 id=\"rt-{}\">{}</h3>", esc(&r.name), esc(&r.title));
        if let Some(why) = &r.unavailable {
            let _ = writeln!(out, "<p>{}</p>", esc(why));
            continue;
        }
        if let Some(route) = &r.route {
            let _ = write!(out, "<p class=\"hint\">{}</p>", esc(route));
        }
        if r.failures.is_empty() {
            out.push_str("<p>No failures.</p>\n");
            continue;
        }
        out.push_str("<details><summary>");
        let _ = write!(out, "{} failing", r.failures.len());
        out.push_str("</summary><table class=\"runs\"><thead><tr><th>suite</th><th>test</th><th>status</th><th>reason</th></tr></thead><tbody>\n");
        for (suite, id, status, why) in &r.failures {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(suite),
                esc(id),
                esc(&format!("{status:?}").to_lowercase()),
                esc(why)
            );
        }
        out.push_str("</tbody></table></details>\n");
    }
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngineInfo, SuiteInfo, Unit, Verdict};

    fn doc(name: &str, kind: RunKind, units: &[(&str, Status, bool)]) -> ResultsDoc {
        let mut config = std::collections::BTreeMap::new();
        config.insert(ROUTE_KEY.into(), serde_json::json!("test"));
        let mut d = ResultsDoc::new(
            kind,
            EngineInfo {
                name: name.into(),
                version: "1.0".into(),
                config,
            },
            SuiteInfo {
                root: "x".into(),
                revision: None,
            },
        );
        for (id, st, known) in units {
            let mut v = Verdict::new(0, 0, "t", *st);
            if *known {
                v.known = true;
                v.reason = Some("why".into());
            }
            d.push(Unit::new(id.to_string(), vec![v]));
        }
        d
    }

    #[test]
    fn cells_split_suites_and_never_show_zero_over_zero() {
        let docs = vec![
            doc(
                "rt",
                RunKind::Wasi,
                &[
                    ("rust/testsuite/wasm32-wasip1/a", Status::Pass, false),
                    ("rust/testsuite/wasm32-wasip1/b", Status::Fail, true),
                    ("rust/testsuite/wasm32-wasip3/c", Status::Unsupported, false),
                    ("proposals/wasi-threads/d", Status::Pass, false),
                ],
            ),
            doc("rt", RunKind::Sandbox, &[]),
        ];
        let r = &rows(&docs)[0];
        let p1 = r.cells[1].unwrap();
        assert_eq!((p1.pass, p1.known, p1.unexpected), (1, 1, 0));
        assert_eq!(p1.text(), "1/2 (50.0%)");
        assert!(markdown(&docs, &|n| n.to_string(), &[]).contains("1/2 (50.0%), 1 known |"));
        let col = |s: &str| SUITES.iter().position(|x| *x == s).unwrap_or(usize::MAX);
        assert_eq!(
            r.cells[col("wasip3")].unwrap().text(),
            "not run (1 unsupported/skipped)"
        );
        assert_eq!(r.cells[col("wasi-threads")].unwrap().text(), "1/1 (100.0%)");
        assert!(r.cells[0].is_none() && r.cells[col("sandbox")].is_none());
        let md = markdown(&docs, &|n| format!("#{n}"), &[]);
        assert!(!md.contains(" 0/0") && !md.contains("(0.0%)"), "{md}");
        // The dashboard: the share on the first line, the rest small under it.
        let html = section_html(&docs);
        assert!(html.contains("rt-rt"));
        assert!(
            html.contains(">1/2 (50.0%)<br><small>1 known</small></td>")
                && html.contains(">not run<br><small>1 unsupported/skipped</small></td>"),
            "{html}"
        );
    }

    #[test]
    fn known_means_listed_not_merely_explained() {
        // A spec failure the runner explains (a rejected module) but no
        // expectation lists is unexpected; a listed one is known.
        let mut spec = doc("rt", RunKind::Spec, &[("a.wast", Status::Fail, true)]);
        let mut explained = Verdict::new(3, 1, "module", Status::Fail);
        explained.reason = Some("rejected: something".into());
        spec.push(Unit::new("b.wast", vec![explained]));
        // The WASI runner: `xfail` is listed, `xpass` is a stale entry.
        let mut wasi = doc("rt", RunKind::Wasi, &[]);
        let mut xfail = Verdict::new(0, 0, "xfail", Status::Fail);
        xfail.reason = Some("listed".into());
        let mut fail = Verdict::new(0, 0, "fail", Status::Fail);
        fail.message = Some("exit code 1".into());
        let xpass = Verdict::new(0, 0, "xpass", Status::Pass);
        for (id, v) in [
            ("x/wasm32-wasip1/a", xfail),
            ("x/wasm32-wasip1/b", fail),
            ("x/wasm32-wasip1/c", xpass),
        ] {
            wasi.push(Unit::new(id, vec![v]));
        }
        let docs = [spec, wasi];
        let r = &rows(&docs)[0];
        let s = r.cells[0].unwrap();
        assert_eq!((s.pass, s.known, s.unexpected), (0, 1, 1));
        let w = r.cells[1].unwrap();
        assert_eq!((w.pass, w.known, w.unexpected, w.stale), (1, 1, 1, 1));
        let md = markdown(&docs, &|n| n.to_string(), &[]);
        assert!(
            md.contains("0/2 (0.0%), 1 known, **1 unexpected**")
                && md.contains("1/3 (33.3%), 1 known, **1 unexpected**, **1 stale**"),
            "{md}"
        );
        let html = section_html(&docs);
        assert!(html.contains("<b>1 stale</b>"), "{html}");
    }

    #[test]
    fn unavailable_runtimes_get_a_row_with_the_reason() {
        let long = "not installable here: a reason long enough to stretch every column of a table it sat in";
        let mut d = doc("wavm", RunKind::Wasi, &[]);
        d.engine
            .config
            .insert(UNAVAILABLE_KEY.into(), serde_json::json!(long));
        let ok = doc(
            "rt",
            RunKind::Sandbox,
            &[("sandbox/a", Status::Pass, false)],
        );
        let docs = [ok, d];
        let md = markdown(&docs, &|n| n.to_string(), &[]);
        let (table, notes) = md.split_once("\n\n").unwrap_or((&md, ""));
        // The row says so; the reason and the routes follow the table.
        assert!(
            table.contains("| [wavm](wavm) | not installable here | - |") && !table.contains(long),
            "{md}"
        );
        assert!(
            notes.contains(&format!("- **wavm**: {long}")) && notes.contains("- **rt**: test"),
            "{md}"
        );
        // The dashboard: a short cell linking to the reason, which is in
        // the runtime's section (and the cell's tooltip) only.
        let html = section_html(&docs);
        let (matrix, sections) = html.split_once("</table>").unwrap_or((&html, ""));
        assert!(
            matrix.contains("not installable here (<a href=\"#rt-wavm\">why</a>)")
                && !matrix.contains(&format!(">{long}<")),
            "{html}"
        );
        assert!(sections.contains(&format!("<p>{long}</p>")), "{html}");
    }

    #[test]
    fn an_unavailable_row_says_the_reasons_lead_in() {
        assert_eq!(
            unavailable_label("retired: merged into Wasmtime"),
            "retired"
        );
        assert_eq!(
            unavailable_label("not installable here: no route"),
            "not installable here"
        );
        assert_eq!(
            unavailable_label("no build anywhere in the registries: see"),
            "not installable here"
        );
        assert_eq!(unavailable_label("no colon"), "not installable here");
    }

    /// A WASI document of `name` whose engine config says whether it runs
    /// components; units as (id, verdict kind, status).
    fn wasi_doc(name: &str, components: bool, units: &[(&str, &str, Status)]) -> ResultsDoc {
        let mut d = doc(name, RunKind::Wasi, &[]);
        d.engine
            .config
            .insert(COMPONENTS_KEY.into(), serde_json::json!(components));
        for (id, kind, st) in units {
            d.push(Unit::new(
                id.to_string(),
                vec![Verdict::new(0, 0, *kind, *st)],
            ));
        }
        d
    }

    #[test]
    fn the_adapter_column_counts_its_own_units_and_says_modules_only() {
        let p1 = "rust/testsuite/wasm32-wasip1/a";
        let (a, b, c) = (
            "rust/testsuite/wasm32-wasip1-as-component/a",
            "rust/testsuite/wasm32-wasip1-as-component/b",
            "assemblyscript/testsuite/wasm32-wasip1-as-component/c",
        );
        let docs = [
            wasi_doc(
                "vm",
                true,
                &[
                    (p1, "pass", Status::Pass),
                    (a, "pass", Status::Pass),
                    (b, "pass", Status::Pass),
                    (c, "xfail", Status::Fail),
                ],
            ),
            wasi_doc(
                "cli",
                true,
                &[
                    (a, "pass", Status::Pass),
                    (b, "xfail", Status::Fail),
                    (c, "xfail", Status::Fail),
                ],
            ),
            wasi_doc("old", false, &[(p1, "fail", Status::Fail)]),
        ];
        assert_eq!(suite_of(RunKind::Wasi, a), P1_COMPONENT);
        assert_eq!(suite_of(RunKind::Wasi, p1), "wasip1");
        let col = SUITES
            .iter()
            .position(|s| *s == P1_COMPONENT)
            .unwrap_or(usize::MAX);
        let rows = rows(&docs);
        let vm = rows[0].cells[col].unwrap();
        assert_eq!((vm.pass, vm.known, vm.unexpected), (2, 1, 0));
        // The wasip1 column keeps the module run only.
        assert_eq!(rows[0].cells[1].unwrap().judged(), 1);
        let cli = rows[1].cells[col].unwrap();
        assert_eq!((cli.pass, cli.known), (1, 2));
        assert!(rows[2].cells[col].is_none());
        let note = "Note about the column.".to_string();
        let md = markdown(&docs, &|n| n.to_string(), std::slice::from_ref(&note));
        let line = |name: &str| {
            md.lines()
                .find(|l| l.starts_with(&format!("| [{name}]")))
                .unwrap_or_default()
                .to_string()
        };
        let cells = |l: String| -> Vec<String> {
            l.split(" | ")
                .map(|c| c.trim_matches('|').trim().to_string())
                .collect()
        };
        assert_eq!(cells(line("vm"))[col + 2], "2/3 (66.7%), 1 known", "{md}");
        assert_eq!(cells(line("cli"))[col + 2], "1/3 (33.3%), 2 known", "{md}");
        assert_eq!(cells(line("old"))[col + 2], MODULES_ONLY, "{md}");
        assert!(md.lines().next().unwrap_or_default().contains(P1_COMPONENT));
        // The note sits between the table and the list of routes.
        let (table, rest) = md.split_once("\n\n").unwrap_or((&md, ""));
        assert!(!table.contains(&note) && rest.starts_with(&note), "{md}");
        let html = section_html(&docs);
        assert!(
            html.contains(&format!("<td class=\"g-none\">{MODULES_ONLY}</td>")),
            "{html}"
        );
        // What the two runtimes have in common: c fails as listed on both.
        let f = column_facts(&docs, P1_COMPONENT);
        assert_eq!(f.runtimes, ["vm", "cli"]);
        assert_eq!(f.tests, 3);
        assert_eq!(f.known_everywhere.iter().collect::<Vec<_>>(), [c]);
    }

    #[test]
    fn a_runtime_that_does_not_say_is_not_called_modules_only() {
        let docs = [doc(
            "rt",
            RunKind::Wasi,
            &[("x/wasm32-wasip1/a", Status::Pass, false)],
        )];
        let r = &rows(&docs)[0];
        assert_eq!(r.components, None);
        assert_eq!(r.empty_cell(P1_COMPONENT), "not run");
        let md = markdown(&docs, &|n| n.to_string(), &[]);
        assert!(!md.contains(MODULES_ONLY), "{md}");
        assert_eq!(column_facts(&docs, P1_COMPONENT), ColumnFacts::default());
    }

    #[test]
    fn versions_said_twice_are_listed_once() {
        let mut v = String::new();
        add_version(&mut v, "v20.20.2");
        add_version(&mut v, "20.20.2 (V8 11.3.244.8-node.38)");
        add_version(&mut v, "v20.20.2");
        assert_eq!(v, "20.20.2 (V8 11.3.244.8-node.38)");
        add_version(&mut v, "wasmtime 49");
        assert_eq!(v, "20.20.2 (V8 11.3.244.8-node.38); wasmtime 49");
    }
}
