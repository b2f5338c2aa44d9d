//! The spec suite through a runtime's own script runner (`wasmtime wast`),
//! with one verdict per directive, for runtimes without an in-process
//! adapter or a protocol driver.
//!
//! A script runner stops at the first directive that fails and names its
//! line. So each file runs whole; a failure becomes that directive's
//! verdict, the directive is taken out (a failed module takes the directives
//! that use it, up to the next module, with it: they are `blocked`), and the
//! rest runs again, until the runner gets through. Each run is the runner's
//! own verdict on the remaining directives; every assertion it got through
//! passes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reports::{Status, Unit, Verdict};

use crate::chunk;

/// A script runner: the command (a `{script}` token is the file) and how
/// its failures name a line.
#[derive(Debug, Clone)]
pub struct ScriptRunner {
    /// Its name in reports (`wasmtime`).
    pub name: String,
    /// The command template, split on whitespace; `{script}` is the file.
    pub command: String,
    /// The text just before the failing line number in its output, e.g.
    /// `failed directive on {script}:`.
    pub failure_marker: String,
    /// At most this many re-runs per file; later directives are `error`.
    pub max_runs: usize,
    /// Per-run wall-clock limit.
    pub timeout: Duration,
}

impl ScriptRunner {
    /// `wasmtime wast` with every proposal it implements enabled.
    pub fn wasmtime(program: &str) -> ScriptRunner {
        ScriptRunner {
            name: "wasmtime".into(),
            command: format!("{program} wast -W all-proposals=y {{script}}"),
            failure_marker: "failed directive on {script}:".into(),
            max_runs: 200,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The directive kind of a top-level form: its first word.
fn head(text: &str) -> &str {
    text.trim_start_matches('(')
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .next()
        .unwrap_or("")
}

/// Whether a directive is an assertion (it always gets a verdict).
fn is_assertion(kind: &str) -> bool {
    kind.starts_with("assert_")
}

/// Whether a directive defines the module later directives act on.
fn is_module(kind: &str, text: &str) -> bool {
    kind == "module" && !text.contains("(module definition") && !text.starts_with("(module quote")
        || kind == "component"
}

/// Whether a directive acts on the current module (so a failed module
/// blocks it): an invoke or get, bare or inside an assertion.
fn uses_current_module(kind: &str, text: &str) -> bool {
    if kind == "invoke" || kind == "get" || kind == "register" {
        return true;
    }
    if !is_assertion(kind) {
        return false;
    }
    let inner = text.trim_start_matches('(')[kind.len()..].trim_start();
    inner.starts_with("(invoke") || inner.starts_with("(get")
}

/// A runner's failure whose only complaint is the message of an expected
/// error (`expected "X", got "Y"`): the outcome was right, the wording is
/// the runtime's own.
fn wording_only(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    (d.contains("expected \"") || d.contains("expected '"))
        && d.contains(", got ")
        && !d.contains("didn't trap")
        && !d.contains("expected trap")
        && !d.contains("succeeded")
}

struct Run {
    ok: bool,
    failed_line: Option<u32>,
    detail: String,
}

fn run_once(runner: &ScriptRunner, script: &Path) -> Run {
    let script_s = script.to_string_lossy();
    let argv: Vec<String> = runner
        .command
        .split_whitespace()
        .map(|t| t.replace("{script}", &script_s))
        .collect();
    let Some((prog, rest)) = argv.split_first() else {
        return Run {
            ok: false,
            failed_line: None,
            detail: "empty command".into(),
        };
    };
    let child = Command::new(prog)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "0")
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Run {
                ok: false,
                failed_line: None,
                detail: format!("cannot start `{prog}`: {e}"),
            };
        }
    };
    let out = child.stdout.take();
    let err = child.stderr.take();
    let read = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = std::io::Read::read_to_end(&mut r, &mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = read(out.map(|o| Box::new(o) as Box<dyn std::io::Read + Send>));
    let err = read(err.map(|e| Box::new(e) as Box<dyn std::io::Read + Send>));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > runner.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let text = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    let Some(status) = status else {
        return Run {
            ok: false,
            failed_line: None,
            detail: format!("timeout after {:?}", runner.timeout),
        };
    };
    if status.success() {
        return Run {
            ok: true,
            failed_line: None,
            detail: String::new(),
        };
    }
    let marker = runner.failure_marker.replace("{script}", &script_s);
    let failed_line = text.find(&marker).and_then(|i| {
        text[i + marker.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse()
            .ok()
    });
    // The runner's explanation: its "Caused by" lines, without backtraces.
    let detail = text
        .lines()
        .skip_while(|l| !l.starts_with("Caused by"))
        .skip(1)
        .take_while(|l| !l.starts_with("Stack backtrace"))
        .map(str::trim)
        // "0: failed directive on SCRATCH:LINE" names the reduced script.
        .filter(|l| !l.is_empty() && !l.contains(&marker))
        .collect::<Vec<_>>()
        .join(" ");
    let detail = if detail.is_empty() {
        text.trim().chars().take(400).collect()
    } else {
        detail
    };
    Run {
        ok: false,
        failed_line,
        detail,
    }
}

/// Runs one script through `runner`; `id` names the unit. `scratch` is a
/// folder for the reduced scripts.
pub fn run_script_cli(runner: &ScriptRunner, id: &str, source: &str, scratch: &Path) -> Unit {
    let started = Instant::now();
    let lines = chunk::Lines::new(source);
    let chunks = match chunk::split(source) {
        Ok(c) => c,
        Err((off, why)) => {
            let (l, c) = lines.line_col(off);
            let mut v = Verdict::new(l, c, "script", Status::Error);
            v.message = Some(format!("script does not split: {why}"));
            return Unit::new(id.to_string(), vec![v]);
        }
    };
    let unfolded: Vec<String> = chunks
        .iter()
        .map(|c| chunk::unfold_legacy_try(c.text))
        .collect();
    let pos: Vec<(u32, u32)> = chunks.iter().map(|c| lines.line_col(c.offset)).collect();
    let kinds: Vec<&str> = chunks.iter().map(|c| head(c.text)).collect();
    // Per directive: None (not yet judged) or its verdict.
    let mut verdicts: Vec<Option<Verdict>> = vec![None; chunks.len()];
    let mut included: Vec<bool> = vec![true; chunks.len()];
    let script = scratch.join(format!(
        "{}.wast",
        id.replace(['/', '\\'], "_").trim_end_matches(".wast")
    ));
    let mut runs = 0;
    loop {
        // The remaining directives, each at a known line of the reduced script.
        let mut text = String::new();
        let mut line_of = Vec::new();
        let mut line = 1u32;
        for (i, t) in unfolded.iter().enumerate() {
            if included[i] {
                line_of.push((line, i));
                text.push_str(t);
                text.push_str("\n\n");
                line += t.matches('\n').count() as u32 + 2;
            }
        }
        if line_of.is_empty() {
            break;
        }
        runs += 1;
        if runs > runner.max_runs || std::fs::write(&script, &text).is_err() {
            for (_, i) in line_of {
                let mut v = Verdict::new(pos[i].0, pos[i].1, kinds[i], Status::Error);
                v.message = Some(format!(
                    "not judged: more than {} failures in one file",
                    runner.max_runs
                ));
                verdicts[i] = Some(v);
            }
            break;
        }
        let r = run_once(runner, &script);
        if r.ok {
            for (_, i) in line_of {
                if verdicts[i].is_none() && is_assertion(kinds[i]) {
                    verdicts[i] = Some(Verdict::new(pos[i].0, pos[i].1, kinds[i], Status::Pass));
                }
            }
            break;
        }
        // The directive that failed: the last one starting at or before the line.
        let failed = r.failed_line.and_then(|l| {
            line_of
                .iter()
                .rev()
                .find(|(start, _)| *start <= l)
                .map(|(_, i)| *i)
        });
        let Some(k) = failed else {
            // No directive named: the runner failed as a whole (a parse error
            // of the file, a crash, a timeout); nothing left is judged.
            for (_, i) in line_of {
                if is_assertion(kinds[i]) || i == 0 {
                    let mut v = Verdict::new(pos[i].0, pos[i].1, kinds[i], Status::Error);
                    v.message = Some(format!("the script runner failed: {}", r.detail));
                    verdicts[i] = Some(v);
                }
            }
            break;
        };
        included[k] = false;
        let mut v = if is_assertion(kinds[k]) && wording_only(&r.detail) {
            let mut v = Verdict::new(pos[k].0, pos[k].1, kinds[k], Status::Pass);
            v.message = Some(format!("right outcome, other wording: {}", r.detail));
            v
        } else {
            let mut v = Verdict::new(pos[k].0, pos[k].1, kinds[k], Status::Fail);
            v.actual = Some(r.detail.clone());
            v
        };
        v.command = Some(
            runner
                .command
                .replace("{script}", &script.to_string_lossy()),
        );
        verdicts[k] = Some(v);
        if is_module(kinds[k], chunks[k].text) {
            // What used the module is blocked, up to the next module.
            for j in k + 1..chunks.len() {
                if is_module(kinds[j], chunks[j].text) {
                    break;
                }
                if included[j] && uses_current_module(kinds[j], chunks[j].text) {
                    included[j] = false;
                    if kinds[j] != "register" {
                        let mut b = Verdict::new(pos[j].0, pos[j].1, kinds[j], Status::Blocked);
                        b.reason = Some(format!("its module (line {}) failed", pos[k].0));
                        verdicts[j] = Some(b);
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&script);
    let mut unit = Unit::new(id.to_string(), verdicts.into_iter().flatten().collect());
    unit.duration_ms = Some(started.elapsed().as_millis() as u64);
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake runner in shell (written to `dir`): fails on the first line
    /// holding `BAD`, naming it as `wasmtime wast` does.
    fn fake(dir: &Path) -> ScriptRunner {
        let sh = dir.join("fake.sh");
        std::fs::write(
            &sh,
            "n=$(grep -n BAD \"$1\" | head -n1 | cut -d: -f1)\n\
             [ -z \"$n\" ] && exit 0\n\
             printf 'Error: x\\n\\nCaused by:\\n    0: failed directive on %s:%s\\n' \"$1\" \"$n\" >&2\n\
             exit 1\n",
        )
        .unwrap();
        ScriptRunner {
            name: "fake".into(),
            command: format!("sh {} {{script}}", sh.display()),
            failure_marker: "failed directive on {script}:".into(),
            max_runs: 10,
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn head_and_module_kinds() {
        assert_eq!(head("(assert_return (invoke \"f\"))"), "assert_return");
        assert!(is_module("module", "(module (func))"));
        assert!(!is_module("module", "(module quote \"\")"));
        assert!(wording_only(
            "assert_invalid: expected \"type mismatch\", got \"bad type\""
        ));
        assert!(!wording_only("result 0 didn't match"));
        assert!(uses_current_module(
            "assert_trap",
            "(assert_trap (invoke \"f\") \"x\")"
        ));
        assert!(!uses_current_module(
            "assert_trap",
            "(assert_trap (module) \"x\")"
        ));
        assert!(!uses_current_module(
            "assert_invalid",
            "(assert_invalid (module) \"x\")"
        ));
    }

    #[test]
    fn failures_are_taken_out_and_the_rest_runs_again() {
        let src = "(module $m)\n(assert_return (invoke \"a\"))\n(assert_return (invoke \"BAD\"))\n\
                   (assert_trap (invoke \"c\") \"x\")\n(module $BAD)\n(assert_return (invoke \"d\"))\n\
                   (assert_invalid (module) \"y\")\n(module $n)\n(assert_return (invoke \"e\"))\n";
        let dir = std::env::temp_dir().join(format!("script-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let u = run_script_cli(&fake(&dir), "t.wast", src, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        let got: Vec<(u32, &str, Status)> = u
            .verdicts
            .iter()
            .map(|v| (v.line, v.kind.as_str(), v.status))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "assert_return", Status::Pass),
                (3, "assert_return", Status::Fail),
                (4, "assert_trap", Status::Pass),
                (5, "module", Status::Fail),
                (6, "assert_return", Status::Blocked),
                (7, "assert_invalid", Status::Pass),
                (9, "assert_return", Status::Pass),
            ]
        );
    }
}
