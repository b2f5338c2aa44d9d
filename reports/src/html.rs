//! The single-file HTML dashboard: inline CSS and JS, no network.
//!
//! The engines x proposals matrix is rendered here, in HTML, so it reads
//! without JavaScript; the drill-down (files of a cell, then each non-passing
//! assertion with expected vs actual, message note, reason, `file:line` and
//! the reproducing command) and the filters by engine and status are built
//! by the inline script from a JSON island of the non-passing verdicts.
//!
//! Deep links: `#cell=COL:PROPOSAL` opens a cell, `&file=ID` a file in it.

use crate::matrix::{Cell, Matrix};
use crate::proposals::proposal_of;
use crate::{ResultsDoc, Status};
use serde_json::{Value, json};
use std::fmt::Write;

/// Longest expected/actual/message text kept in the page, in characters.
const MAX_TEXT: usize = 4000;

/// Escapes text for HTML content and attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn clip(text: &Option<String>) -> Value {
    match text {
        None => Value::Null,
        Some(t) if t.chars().count() > MAX_TEXT => {
            let mut s: String = t.chars().take(MAX_TEXT).collect();
            s.push_str(" ... (cut)");
            Value::String(s)
        }
        Some(t) => Value::String(t.clone()),
    }
}

fn totals_array(t: &crate::Totals) -> Value {
    json!(Status::ALL.iter().map(|s| t.get(*s)).collect::<Vec<_>>())
}

/// The JSON island: per run, per unit, its counts and non-passing verdicts.
fn data(m: &Matrix<'_>) -> Value {
    let runs: Vec<Value> = m
        .columns
        .iter()
        .map(|col| {
            let d = col.doc;
            let units: Vec<Value> = d
                .units
                .iter()
                .map(|u| {
                    let mut cell = Cell::default();
                    cell.add_unit(u);
                    let verdicts: Vec<Value> = u
                        .verdicts
                        .iter()
                        .filter(|v| v.status != Status::Pass)
                        .map(|v| {
                            json!({
                                "l": v.line, "c": v.col, "k": v.kind, "s": v.status.as_str(),
                                "t": v.category == crate::Category::TextFormat,
                                "e": clip(&v.expected), "a": clip(&v.actual),
                                "m": clip(&v.message), "r": clip(&v.reason),
                                "x": clip(&v.command),
                            })
                        })
                        .collect();
                    json!({
                        "id": u.id,
                        "p": proposal_of(d.kind, &u.id),
                        "n": totals_array(&cell.engine),
                        "tx": [cell.text.pass, cell.text.total()],
                        "v": verdicts,
                    })
                })
                .collect();
            json!({
                "label": col.label, "engine": d.engine.name, "version": d.engine.version,
                "suite": d.suite.root, "partial": d.partial, "units": units,
            })
        })
        .collect();
    json!({ "statuses": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "runs": runs })
}

/// A suite root for the runs table: long lists of bundled suites are
/// shortened, the full text kept in a tooltip.
fn short_suite(root: &str) -> String {
    let parts: Vec<&str> = root.split(", ").collect();
    let short = if parts.len() > 3 {
        format!("{}, {} and {} more", parts[0], parts[1], parts.len() - 2)
    } else {
        root.to_string()
    };
    format!("<span title=\"{}\">{}</span>", esc(root), esc(&short))
}

fn cell_html(col: usize, proposal: &str, cell: Option<&Cell>, flag: Option<&str>) -> String {
    match cell {
        Some(c) if c.engine.total() > 0 || c.text.total() > 0 => {
            let t = &c.engine;
            let mut title = format!("{} files", c.files);
            for s in Status::ALL {
                let _ = write!(title, ", {} {}", t.get(s), s.as_str());
            }
            let text = if c.text.total() > 0 {
                format!(
                    "<small class=\"tx\">text {}/{}</small>",
                    c.text.pass,
                    c.text.total()
                )
            } else {
                String::new()
            };
            let fails = if c.failing() > 0 {
                format!("<small class=\"nf\">{} failing</small>", c.failing())
            } else if t.unsupported > 0 {
                format!("<small class=\"nu\">{} unsupported</small>", t.unsupported)
            } else {
                String::new()
            };
            let flag = flag.map_or(String::new(), |f| {
                format!("<small class=\"fl\">behind {}</small>", esc(f))
            });
            // Nothing judged (only text-format verdicts, or every engine
            // verdict unsupported, skipped or blocked): no share to show,
            // and never a "0.0%" that reads as all failing.
            if c.judged() == 0 {
                let what = if t.total() == 0 {
                    "text format only"
                } else {
                    "not run"
                };
                let fails = if t.total() > 0 {
                    format!(
                        "<small class=\"nu\">{} unsupported/skipped/blocked</small>",
                        t.total()
                    )
                } else {
                    String::new()
                };
                return format!(
                    "<td class=\"cell {} col-{col}\" data-col=\"{col}\" data-proposal=\"{}\" tabindex=\"0\" title=\"{}\"><span class=\"nr\">{what}</span>{fails}{text}{flag}</td>",
                    if t.total() == 0 {
                        "textonly"
                    } else {
                        c.grade().as_str()
                    },
                    esc(proposal),
                    esc(&title),
                );
            }
            format!(
                "<td class=\"cell {} col-{col}\" data-col=\"{col}\" data-proposal=\"{}\" tabindex=\"0\" title=\"{}\"><b>{}%</b> <span class=\"cnt\">{}/{}</span>{fails}{text}{flag}</td>",
                c.grade().as_str(),
                esc(proposal),
                esc(&title),
                crate::matrix::shown_percent(c),
                t.pass,
                t.total()
            )
        }
        _ => format!("<td class=\"cell empty col-{col}\" data-col=\"{col}\">-</td>"),
    }
}

/// Renders the dashboard of `docs` (one matrix column per document).
pub fn render(docs: &[ResultsDoc]) -> String {
    let m = Matrix::new(docs);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>WebAssembly conformance</title>\n<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n<header><h1>WebAssembly conformance</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"sub\">wasm-conform {} &middot; {} run(s)</p></header>",
        esc(docs.first().map_or("", |d| d.tool_version.as_str())),
        docs.len()
    );

    out.push_str("<section id=\"filters\"><span class=\"lbl\">Engines:</span>");
    for (i, col) in m.columns.iter().enumerate() {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" class=\"f-engine\" value=\"{i}\" checked> {}</label>",
            esc(&col.label)
        );
    }
    out.push_str(
        "<span class=\"lbl\">Status:</span><select id=\"f-status\">\
         <option value=\"failing\">failing (fail, timeout, error)</option>\
         <option value=\"nonpass\">everything not passing</option>\
         <option value=\"fail\">fail</option><option value=\"timeout\">timeout</option>\
         <option value=\"error\">error</option><option value=\"unsupported\">unsupported</option>\
         <option value=\"blocked\">blocked</option><option value=\"skip\">skip</option></select>\
         <label><input type=\"checkbox\" id=\"f-hide-full\"> hide rows every engine passes</label>\
         </section>\n",
    );

    // The vendor matrix (runtimes x suites), when these are matrix runs.
    out.push_str(&crate::runtimes::section_html(docs));

    out.push_str("<section id=\"matrix-section\"><h2>Engines &times; proposals</h2>\n<p class=\"hint\">Share of engine verdicts passing; text-format (<code>module quote</code>) assertions are counted apart. Click a cell for its files and failing assertions.</p>\n<div class=\"scroll\"><table id=\"matrix\"><thead><tr><th>proposal</th>");
    for (i, col) in m.columns.iter().enumerate() {
        let _ = write!(
            out,
            "<th class=\"col-{i}\" data-col=\"{i}\">{}<br><small>{}</small></th>",
            esc(&col.label),
            esc(&col.doc.engine.version)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &m.rows {
        let full = m.columns.iter().all(|c| {
            c.cells
                .get(row)
                .is_none_or(|c| c.failing() == 0 && c.engine.pass == c.engine.total())
        });
        let _ = write!(
            out,
            "<tr data-proposal=\"{}\"{}><th>{}</th>",
            esc(row),
            if full { " class=\"allpass\"" } else { "" },
            esc(row)
        );
        for (i, col) in m.columns.iter().enumerate() {
            let flag = col.doc.engine.config.get(&format!("flag.{row}"));
            out.push_str(&cell_html(
                i,
                row,
                col.cells.get(row),
                flag.and_then(|f| f.as_str()),
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody><tfoot><tr><th>total</th>");
    for (i, col) in m.columns.iter().enumerate() {
        out.push_str(&cell_html(i, "*", Some(&m.column_total(col)), None));
    }
    out.push_str("</tr></tfoot></table></div>\n<p class=\"legend\"><span class=\"cell full\">all pass</span><span class=\"cell good\">&ge; 90%</span><span class=\"cell partial\">&ge; 50%</span><span class=\"cell bad\">&lt; 50%</span><span class=\"cell unsupported\">unsupported</span></p></section>\n");

    out.push_str("<section id=\"runs\"><h2>Runs</h2><table class=\"runs\"><thead><tr><th>run</th><th>engine version</th><th>suite</th><th>revision</th><th>started</th><th>duration</th><th>verdicts</th><th>pass</th></tr></thead><tbody>\n");
    for (i, col) in m.columns.iter().enumerate() {
        let d = col.doc;
        let partial = if d.partial {
            " <span class=\"badge partial\">partial</span>"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr class=\"col-{i}\"><td>{}{partial}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td></tr>",
            esc(&col.label),
            esc(&d.engine.version),
            short_suite(&d.suite.root),
            esc(d.suite.revision.as_deref().unwrap_or("-")),
            esc(&d.started_at),
            d.duration_ms as f64 / 1000.0,
            d.totals.total(),
            d.totals.pass
        );
    }
    out.push_str("</tbody></table></section>\n");
    out.push_str("<section id=\"detail\"><h2 id=\"detail-title\">Details</h2><div id=\"detail-body\"><p class=\"hint\">Select a cell of the matrix.</p></div></section>\n");

    let json = serde_json::to_string(&data(&m))
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/")
        .replace("<!--", "<\\!--");
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"data\">{json}</script>"
    );
    out.push_str("<script>\n");
    out.push_str(JS);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

const CSS: &str = r#"body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 24px 40px;color:#1d1d1f;background:#fafafa}
h1{margin:16px 0 0;font-size:24px}h2{font-size:18px;margin:24px 0 8px}.sub,.hint{color:#666;margin:4px 0}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
table.runs td,table.runs th{font-size:13px}
#filters{margin:16px 0;padding:8px 12px;background:#fff;border:1px solid #ddd;display:flex;flex-wrap:wrap;gap:12px;align-items:center}
#filters .lbl{font-weight:600}
#matrix th{background:#f3f3f3}#matrix tbody th{font-weight:600;white-space:nowrap}
#matrix td.cell{min-width:120px;text-align:right;cursor:pointer;white-space:nowrap}
#matrix td.cell b{font-size:15px}#matrix td.cell small{display:block;font-size:11px}
#matrix td.cell .cnt{color:#333}#matrix td.cell .fl{color:#0a58ca}
.cell.full{background:#b7e4b7}.cell.good{background:#dff0c0}.cell.partial{background:#fbe3a8}.cell.bad{background:#f5b5b0}
.cell.unsupported{background:#e0e0e0;color:#555}.cell.empty{background:#fff;color:#aaa;cursor:default}
.cell.textonly{background:#fff;color:#555}#matrix td.cell .nr{font-style:italic;color:#555}
.scroll{overflow-x:auto;max-width:100%}
#matrix td.cell.selected{outline:3px solid #0a58ca;outline-offset:-3px}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #ccc;font-size:12px}
.hidden{display:none!important}.badge{font-size:11px;padding:1px 5px;border-radius:3px}.badge.partial{background:#f0ad4e;color:#fff}
.st{display:inline-block;min-width:70px;text-align:center;font-size:12px;border-radius:3px;padding:0 4px}
.st-pass{background:#b7e4b7}.st-fail{background:#f5b5b0}.st-error{background:#e06666;color:#fff}.st-timeout{background:#c27ba0;color:#fff}
.st-unsupported,.st-skip{background:#e0e0e0}.st-blocked{background:#fbe3a8}
table.files td.num{text-align:right}table.files tr.file{cursor:pointer}table.files tr.file:hover{background:#eef4ff}
.verdict{border:1px solid #ddd;border-left:4px solid #f5b5b0;background:#fff;margin:6px 0;padding:6px 10px}
.verdict.s-error{border-left-color:#e06666}.verdict.s-unsupported,.verdict.s-skip{border-left-color:#ccc}.verdict.s-blocked{border-left-color:#f0ad4e}
.verdict .pos{font-family:ui-monospace,monospace;font-weight:600}
.verdict dl{display:grid;grid-template-columns:90px 1fr;gap:2px 8px;margin:6px 0 0}.verdict dt{color:#666}
.verdict dd{margin:0;font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
button.copy{font-size:11px;margin-left:6px}
"#;

const JS: &str = r#"(function(){
'use strict';
var DATA = JSON.parse(document.getElementById('data').textContent);
var ST = DATA.statuses;
var FAILING = {fail:1, timeout:1, error:1};
var state = {col: null, proposal: null, file: null};
function el(tag, attrs, children){
  var e = document.createElement(tag);
  if (attrs) for (var k in attrs) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
  (children || []).forEach(function(c){ if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
function statusFilter(){ return document.getElementById('f-status').value; }
function keep(s){
  var f = statusFilter();
  if (f === 'failing') return !!FAILING[s];
  if (f === 'nonpass') return s !== 'pass';
  return s === f;
}
function enabledCols(){
  var on = {};
  document.querySelectorAll('.f-engine').forEach(function(c){ if (c.checked) on[c.value] = true; });
  return on;
}
function applyEngineFilter(){
  var on = enabledCols();
  document.querySelectorAll('[class*="col-"]').forEach(function(e){
    var m = /col-(\d+)/.exec(e.className); if (!m) return;
    e.classList.toggle('hidden', !on[m[1]]);
  });
  var hideFull = document.getElementById('f-hide-full').checked;
  document.querySelectorAll('#matrix tbody tr').forEach(function(tr){
    tr.classList.toggle('hidden', hideFull && tr.classList.contains('allpass'));
  });
}
function unitsOf(col, proposal){
  return DATA.runs[col].units.filter(function(u){ return proposal === '*' || u.p === proposal; });
}
function verdictBox(run, u, v){
  var rows = [];
  function add(label, text, copy){
    if (text === null || text === undefined || text === '') return;
    var dd = el('dd', null, [text]);
    if (copy) {
      var b = el('button', {'class':'copy', type:'button', text:'copy'});
      b.addEventListener('click', function(ev){ ev.stopPropagation(); if (navigator.clipboard) navigator.clipboard.writeText(text); });
      dd.appendChild(b);
    }
    rows.push(el('dt', {text: label}), dd);
  }
  add('expected', v.e); add('actual', v.a); add('message', v.m); add('reason', v.r); add('reproduce', v.x, true);
  var head = el('div', null, [
    el('span', {'class':'st st-' + v.s, text: v.s}), ' ',
    el('span', {'class':'pos', text: u.id + ':' + v.l + ':' + v.c}), ' ', el('span', {'class':'kind', text: v.k}),
    v.t ? el('small', {text: ' (text format)'}) : null
  ]);
  return el('div', {'class':'verdict s-' + v.s, 'data-line': String(v.l)}, [head, el('dl', null, rows)]);
}
function showFile(col, u){
  state.file = u.id;
  var box = document.getElementById('file-verdicts');
  box.innerHTML = '';
  var list = u.v.filter(function(v){ return keep(v.s); });
  box.appendChild(el('h3', {id:'file-title', text: DATA.runs[col].label + ': ' + u.id + ' (' + list.length + ' shown)'}));
  if (!list.length) box.appendChild(el('p', {'class':'hint', text:'No verdicts with this status filter.'}));
  var cap = 500;
  list.slice(0, cap).forEach(function(v){ box.appendChild(verdictBox(DATA.runs[col], u, v)); });
  if (list.length > cap) box.appendChild(el('p', {'class':'hint', text: (list.length - cap) + ' more not shown.'}));
  location.hash = 'cell=' + col + ':' + encodeURIComponent(state.proposal) + '&file=' + encodeURIComponent(u.id);
}
function showCell(col, proposal, fileId){
  state.col = col; state.proposal = proposal; state.file = null;
  document.querySelectorAll('#matrix td.selected').forEach(function(t){ t.classList.remove('selected'); });
  var td = document.querySelector('#matrix td.cell[data-col="' + col + '"][data-proposal="' + CSS.escape(proposal) + '"]');
  if (td) td.classList.add('selected');
  var run = DATA.runs[col];
  document.getElementById('detail-title').textContent = run.label + ' ' + run.version + ' \u00b7 ' + (proposal === '*' ? 'all proposals' : proposal);
  var body = document.getElementById('detail-body');
  body.innerHTML = '';
  var units = unitsOf(col, proposal);
  var shown = units.filter(function(u){ return statusFilter() === 'all' || u.v.some(function(v){ return keep(v.s); }); });
  var head = el('tr', null, [el('th', {text:'file'})].concat(ST.map(function(s){ return el('th', {text:s}); })).concat([el('th', {text:'text-format'})]));
  var tb = el('tbody');
  shown.forEach(function(u){
    var tr = el('tr', {'class':'file', 'data-id': u.id}, [el('td', {text:u.id})].concat(u.n.map(function(n){ return el('td', {'class':'num', text:String(n)}); })).concat([el('td', {'class':'num', text: u.tx[0] + '/' + u.tx[1]})]));
    tr.addEventListener('click', function(){ showFile(col, u); });
    tb.appendChild(tr);
  });
  body.appendChild(el('p', {'class':'hint', text: shown.length + ' of ' + units.length + ' files have verdicts matching the status filter.'}));
  body.appendChild(el('table', {'class':'files', id:'files'}, [el('thead', null, [head]), tb]));
  body.appendChild(el('div', {id:'file-verdicts'}));
  var pick = null;
  if (fileId) pick = units.filter(function(u){ return u.id === fileId; })[0];
  if (!pick && shown.length) pick = shown[0];
  if (pick) showFile(col, pick); else location.hash = 'cell=' + col + ':' + encodeURIComponent(proposal);
}
document.querySelectorAll('#matrix td.cell').forEach(function(td){
  if (!td.hasAttribute('data-proposal')) return;
  function open(){ showCell(Number(td.getAttribute('data-col')), td.getAttribute('data-proposal')); }
  td.addEventListener('click', open);
  td.addEventListener('keydown', function(e){ if (e.key === 'Enter') open(); });
});
document.querySelectorAll('.f-engine, #f-hide-full').forEach(function(c){ c.addEventListener('change', applyEngineFilter); });
document.getElementById('f-status').addEventListener('change', function(){ if (state.col !== null) showCell(state.col, state.proposal, state.file); });
function fromHash(){
  var h = location.hash.replace(/^#/, '');
  var params = {};
  h.split('&').forEach(function(kv){ var i = kv.indexOf('='); if (i > 0) params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); });
  if (params.status) document.getElementById('f-status').value = params.status;
  if (params.cell) {
    var i = params.cell.indexOf(':');
    var col = Number(params.cell.slice(0, i));
    if (DATA.runs[col]) showCell(col, params.cell.slice(i + 1), params.file || null);
  }
}
applyEngineFilter();
fromHash();
document.body.setAttribute('data-ready', '1');
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Category, EngineInfo, RunKind, SuiteInfo, Unit, Verdict};

    #[test]
    fn cells_with_nothing_judged_say_so_instead_of_a_percentage() {
        let mut d = ResultsDoc::new(
            RunKind::Spec,
            EngineInfo {
                name: "e".into(),
                version: "1".into(),
                config: Default::default(),
            },
            SuiteInfo {
                root: "s".into(),
                revision: None,
            },
        );
        // Only text-format verdicts (the annotations folder), only
        // unsupported ones (a proposal the engine lacks), and a judged file.
        let mut quoted = Verdict::new(1, 1, "assert_malformed", Status::Pass);
        quoted.category = Category::TextFormat;
        d.push(Unit::new("test/core/annotations/a.wast", vec![quoted]));
        d.push(Unit::new(
            "test/core/gc/b.wast",
            vec![Verdict::new(1, 1, "module", Status::Unsupported)],
        ));
        d.push(Unit::new(
            "test/core/c.wast",
            vec![
                Verdict::new(1, 1, "assert_return", Status::Pass),
                Verdict::new(2, 1, "assert_return", Status::Fail),
            ],
        ));
        let html = render(&[d]);
        let cell = |proposal: &str| {
            let at = html
                .find(&format!("data-col=\"0\" data-proposal=\"{proposal}\""))
                .unwrap_or_else(|| panic!("no {proposal} cell in {html}"));
            let end = html[at..].find("</td>").map_or(html.len(), |e| at + e);
            html[at..end].to_string()
        };
        let annotations = cell("annotations");
        assert!(
            annotations.contains("text format only")
                && annotations.contains("text 1/1")
                && !annotations.contains('%'),
            "{annotations}"
        );
        let gc = cell("gc");
        assert!(
            gc.contains("not run")
                && gc.contains("1 unsupported/skipped/blocked")
                && !gc.contains('%'),
            "{gc}"
        );
        assert!(cell("core").contains("<b>50.0%</b>"), "{html}");
        assert!(!html.contains("0/0"), "{html}");
        // Wide tables scroll inside the page instead of widening it.
        assert!(html.contains("<div class=\"scroll\"><table id=\"matrix\">"));
    }
}
