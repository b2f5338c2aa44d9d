//! Differential fuzzing of WASI preview1 hosts (issue 23).
//!
//! Fuzz bytes become a [`Program`] ([`program`]): a sequence of WASI calls
//! over a fixture tree ([`fixture`]) with every kind of path, flag and
//! descriptor, some bad pointers. [`encode`] lowers it to a command module
//! that prints one line per step (errno and outputs). [`hosts`] runs it on
//! each host with a fresh fixture; [`compare`] normalises what the
//! specification leaves to the host ([`compare::ALLOWED`]) and compares step
//! by step, then the end of the run, then the tree. A divergence is reduced
//! by delta debugging over the steps ([`reduce`]) and saved with a `.wat`
//! and a fixture script that replay it ([`save`]).
//!
//! Divergences whose key is a triaged finding (`fuzz/findings/`, table
//! [`KNOWN`]) are counted apart, never hidden.

pub mod compare;
pub mod encode;
pub mod fixture;
pub mod hosts;
pub mod program;

pub use hosts::{End, HostRun};
pub use program::{Program, Step};

use std::path::Path;

/// The result of one program on every host.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every host agrees with the first.
    Agree,
    /// A host could not run the program (its reason).
    Inconclusive(String),
    /// The first host that differs from the first host.
    Diverge {
        /// Groups divergences (`STEP:ERRNO-vs-ERRNO`, `tree`, `end:...`).
        key: String,
        /// The two hosts.
        hosts: (String, String),
        /// What differs.
        detail: String,
    },
}

/// One program's runs and verdict.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The module.
    pub wasm: Vec<u8>,
    /// Each host's run, in the order given.
    pub runs: Vec<HostRun>,
    /// The verdict.
    pub verdict: Verdict,
}

/// A triaged divergence: its key (with the hosts in the order compared,
/// reference first) and the finding in `fuzz/findings/` that explains it.
pub struct Known {
    /// The other host (the first host is a reference-vm one).
    pub host: &'static str,
    /// Prefix of the divergence key.
    pub key_prefix: &'static str,
    /// The finding's folder in `fuzz/findings/`.
    pub finding: &'static str,
}

/// Divergences already triaged and written up in `fuzz/findings/wasi.md`
/// (one section per finding, with a reduced program `wasi-NAME.json`).
pub const KNOWN: &[Known] = &[
    // wasmtime: rights are not enforced; an operation the descriptor has no
    // right for fails with `badf` (or whatever the OS says), not `notcapable`.
    // (whatever the other host then answers: `badf`, `spipe`, `notsup`,
    // success, or the error of resolving a path it should not have looked at)
    Known {
        host: "wasmtime",
        key_prefix: "*:notcapable-vs-*",
        finding: "wasmtime-rights-not-enforced",
    },
    // wasmtime: `fd_fdstat_set_rights` is not supported at all.
    Known {
        host: "wasmtime",
        key_prefix: "fd_fdstat_set_rights:success-vs-notsup",
        finding: "wasmtime-rights-not-enforced",
    },
    // wasmtime: `fd_allocate` is not supported.
    Known {
        host: "wasmtime",
        key_prefix: "fd_allocate:success-vs-notsup",
        finding: "wasmtime-fd-allocate",
    },
    // wasmtime: a trailing `/.` after a file is ignored by `path_filestat_get`.
    Known {
        host: "wasmtime",
        key_prefix: "path_filestat_get:notdir-vs-success",
        finding: "wasmtime-trailing-slash",
    },
    // wasmtime: `fd_fdstat_set_flags` with `dsync`, `rsync` or `sync` is `inval`.
    Known {
        host: "wasmtime",
        key_prefix: "fd_fdstat_set_flags:success-vs-inval",
        finding: "wasmtime-sync-fdflags",
    },
    // wasmtime: a directory descriptor reports no `fdflags`.
    Known {
        host: "wasmtime",
        key_prefix: "fd_fdstat_get:output",
        finding: "wasmtime-directory-fd-ops",
    },
    // wasmtime: `path_readlink` of a link with an absolute target is `perm`.
    Known {
        host: "wasmtime",
        key_prefix: "path_readlink:success-vs-perm",
        finding: "wasmtime-readlink-absolute",
    },
    // wasmtime: `path_link` with `lookupflags::symlink_follow` is refused.
    Known {
        host: "wasmtime",
        key_prefix: "path_link:success-vs-inval",
        finding: "wasmtime-link-follow",
    },
    // wasmtime: the CPU-time clocks are not offered.
    Known {
        host: "wasmtime",
        key_prefix: "clock_",
        finding: "wasmtime-cputime-clocks",
    },
    // wasmtime: `fdflags::dsync|rsync|sync` in `path_open` are `notsup`.
    Known {
        host: "wasmtime",
        key_prefix: "path_open:*-vs-notsup",
        finding: "wasmtime-sync-fdflags",
    },
    Known {
        host: "wasmtime",
        key_prefix: "poll_oneoff:success-vs-inval",
        finding: "wasmtime-cputime-clocks",
    },
    // wasmtime: fd_fdstat_set_flags, fd_filestat_set_times and fd_sync on a
    // directory descriptor say `badf`.
    Known {
        host: "wasmtime",
        key_prefix: "fd_fdstat_set_flags:success-vs-badf",
        finding: "wasmtime-directory-fd-ops",
    },
    Known {
        host: "wasmtime",
        key_prefix: "fd_filestat_set_times:success-vs-badf",
        finding: "wasmtime-directory-fd-ops",
    },
    Known {
        host: "wasmtime",
        key_prefix: "fd_sync:success-vs-badf",
        finding: "wasmtime-directory-fd-ops",
    },
    // wasmtime: a bad descriptor in one subscription fails all of poll_oneoff.
    Known {
        host: "wasmtime",
        key_prefix: "poll_oneoff:success-vs-badf",
        finding: "wasmtime-poll-bad-fd",
    },
];

/// Whether `key` matches a [`Known`] pattern: a prefix, or a glob whose
/// `*` stand for any text (`A*B` starts with `A` and ends with `B`;
/// `*:x-vs-*` contains `:x-vs-`).
fn key_matches(pattern: &str, key: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = key.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return true; // no `*`: a prefix
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The finding that explains a divergence of `host` with this key, if any.
pub fn known(host: &str, key: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|k| k.host == host && key_matches(k.key_prefix, key))
        .map(|k| k.finding)
}

/// Whether rights are compared (only between reference-vm hosts).
fn strict_rights(hosts: &[&str]) -> bool {
    hosts.iter().all(|h| h.starts_with("reference-vm"))
}

/// Runs `program` on every host and compares each with the first.
pub fn run_program(program: &Program, hosts: &[&str]) -> Outcome {
    let wasm = encode::encode(program);
    let calls = encode::calls(program);
    let strict = strict_rights(hosts);
    let runs: Vec<HostRun> = hosts.iter().map(|h| hosts::run(h, &wasm)).collect();
    let mut verdict = Verdict::Agree;
    if let Some(r) = runs.iter().find(|r| matches!(r.end, End::Error(_))) {
        let End::Error(e) = &r.end else {
            unreachable!()
        };
        verdict = Verdict::Inconclusive(format!("{}: {e}", r.host));
    } else if let Some(first) = runs.first() {
        let a = compare::normalise(program, &calls, first, strict);
        for r in &runs[1..] {
            let b = compare::normalise(program, &calls, r, strict);
            if let compare::Cmp::Differ { key, detail, .. } =
                compare::compare(program, &a, &b, (&first.host, &r.host))
            {
                verdict = Verdict::Diverge {
                    key,
                    hosts: (first.host.clone(), r.host.clone()),
                    detail,
                };
                break;
            }
        }
    }
    Outcome {
        wasm,
        runs,
        verdict,
    }
}

/// Generates the program of fuzz bytes `data` and runs it.
pub fn run_input(data: &[u8], hosts: &[&str]) -> (Program, Outcome) {
    let p = Program::generate(data);
    let o = run_program(&p, hosts);
    (p, o)
}

/// The divergence key of `o`, if it diverges.
pub fn key_of(o: &Outcome) -> Option<&str> {
    match &o.verdict {
        Verdict::Diverge { key, .. } => Some(key),
        _ => None,
    }
}

/// Delta debugging (ddmin) over the steps: the smallest program found
/// whose run on `hosts` still diverges with the same key, within `budget`
/// runs.
pub fn reduce(program: &Program, hosts: &[&str], key: &str, budget: usize) -> Program {
    let mut runs = 0;
    let still = |p: &Program, runs: &mut usize| {
        *runs += 1;
        key_of(&run_program(p, hosts)) == Some(key)
    };
    let mut cur = program.steps.clone();
    let mut n = 2usize;
    while cur.len() >= 2 && runs < budget {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        // Try each complement (the program without one chunk).
        for i in 0..n {
            if runs >= budget {
                break;
            }
            let (lo, hi) = (i * chunk, ((i + 1) * chunk).min(cur.len()));
            if lo >= hi {
                continue;
            }
            let mut cand = cur[..lo].to_vec();
            cand.extend_from_slice(&cur[hi..]);
            if still(
                &Program {
                    steps: cand.clone(),
                },
                &mut runs,
            ) {
                cur = cand;
                reduced = true;
                break;
            }
        }
        if reduced {
            n = (n - 1).max(2);
        } else {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    // One more pass removing single steps.
    let mut i = 0;
    while i < cur.len() && runs < budget && cur.len() > 1 {
        let mut cand = cur.clone();
        cand.remove(i);
        if still(
            &Program {
                steps: cand.clone(),
            },
            &mut runs,
        ) {
            cur = cand;
        } else {
            i += 1;
        }
    }
    Program { steps: cur }
}

/// The module's text (wasmprinter), or the error.
pub fn wat(wasm: &[u8]) -> String {
    wasmprinter::print_bytes(wasm).unwrap_or_else(|e| format!(";; cannot print: {e}\n"))
}

/// Saves a divergent program: `program.json`, the reduced program and its
/// `repro.wasm`/`repro.wat`, `fixture.sh`, each host's output on the
/// reduced program (`HOST.out`), `replay.sh` and a `README.md`.
pub fn save(
    dir: &Path,
    program: &Program,
    outcome: &Outcome,
    reduced: &Program,
    hosts: &[&str],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = |p: &Program| serde_json::to_string_pretty(p).unwrap_or_default();
    std::fs::write(dir.join("program.json"), json(program))?;
    std::fs::write(dir.join("program.wasm"), &outcome.wasm)?;
    std::fs::write(dir.join("reduced.json"), json(reduced))?;
    let r = run_program(reduced, hosts);
    std::fs::write(dir.join("repro.wasm"), &r.wasm)?;
    std::fs::write(dir.join("repro.wat"), wat(&r.wasm))?;
    std::fs::write(dir.join("fixture.sh"), fixture::script())?;
    let calls = encode::calls(reduced);
    let mut readme = String::from("# WASI divergence\n\n");
    if let Verdict::Diverge {
        key,
        detail,
        hosts: (a, b),
    } = &outcome.verdict
    {
        readme.push_str(&format!("key `{key}` between {a} and {b}\n\n{detail}\n\n"));
    }
    if let Verdict::Diverge { detail, .. } = &r.verdict {
        readme.push_str(&format!(
            "Reduced ({} steps): {detail}\n\n",
            reduced.steps.len()
        ));
    }
    readme.push_str("Steps of the reduced program:\n\n");
    for (k, s) in reduced.steps.iter().enumerate() {
        readme.push_str(&format!("{k}. `{s:?}`\n"));
    }
    readme.push_str("\nNormalised output of each host on the reduced program:\n\n");
    for run in &r.runs {
        let n = compare::normalise(reduced, &calls, run, strict_rights(hosts));
        std::fs::write(dir.join(format!("{}.out", run.host)), &run.stdout)?;
        readme.push_str(&format!("## {}\n\n```\n", run.host));
        for l in &n.steps {
            readme.push_str(l);
            readme.push('\n');
        }
        readme.push_str(&format!("{} ({:?})\n", n.end, run.end));
        for l in &n.tree {
            readme.push_str(&format!("tree: {l}\n"));
        }
        readme.push_str("```\n\n");
    }
    std::fs::write(dir.join("README.md"), readme)?;
    std::fs::write(
        dir.join("replay.sh"),
        "#!/bin/sh\n# Replays the reduced program: a fresh fixture, then the module with\n# ./sandbox preopened as /sandbox.\nset -e\nd=$(mktemp -d)\nhere=$(cd \"$(dirname \"$0\")\" && pwd)\n(cd \"$d\" && sh \"$here/fixture.sh\")\nwasmtime run --dir \"$d/sandbox::/sandbox\" \"$here/repro.wasm\" 'arg one' \"\u{fc}mlaut\"\n",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
