//! Rendering a host's raw output into normalised per-step text, and the
//! comparison of two hosts' runs.
//!
//! Each step's line is `name errno=NAME outputs...` (outputs only on
//! success). What the specification leaves to the host is normalised away
//! as the table [`ALLOWED`] says; anything else that differs is a
//! divergence.

use super::encode::{Call, Show};
use super::hosts::{End, HostRun};
use super::program::{MAGIC_TIMES, Program, Step};
use reference_vm::wasi::types::errno;
use std::fmt::Write as _;

/// A difference WASI preview1 allows, and how the comparison ignores it.
pub struct Allowed {
    /// Short name.
    pub name: &'static str,
    /// What is normalised.
    pub rule: &'static str,
    /// Why the specification allows it.
    pub why: &'static str,
}

/// The differences the specification allows (listed in `docs/fuzzing.md`;
/// a test keeps that list and this table in step).
pub const ALLOWED: &[Allowed] = &[
    Allowed {
        name: "fd-numbers",
        rule: "descriptor numbers are never printed; programs name descriptors by slot",
        why: "`path_open` returns some unused descriptor; witx does not say which",
    },
    Allowed {
        name: "inodes",
        rule: "`dev`, `ino` of `filestat` and `d_ino` of dirents are not compared",
        why: "device and inode numbers are host-assigned",
    },
    Allowed {
        name: "times",
        rule: "`mtim` is compared only when it is a timestamp the program set, else shown as `T`; `atim` and `ctim` are not compared",
        why: "hosts keep their own clocks; access-time updates (relatime, noatime) are host policy",
    },
    Allowed {
        name: "directory-size",
        rule: "`size` and `nlink` of directories are not compared",
        why: "a directory's size and link count depend on the file system",
    },
    Allowed {
        name: "readdir-order",
        rule: "dirents are compared as a sorted set of (name, type); `d_next` cookies are ignored; a full buffer (bufused == buf_len) is compared by bufused only; a call with a cookie other than 0 is compared by errno only",
        why: "witx: cookies are opaque (a host's cookie 3 is not another's) and the order of entries is unspecified",
    },
    Allowed {
        name: "rights",
        rule: "`fs_rights_base`/`fs_rights_inheriting` of `fdstat` are compared only between reference-vm hosts",
        why: "which rights a host reports beyond those requested is host policy (wasmtime reports its own fixed sets)",
    },
    Allowed {
        name: "poll-events",
        rule: "`poll_oneoff` is compared by errno and whether any event was reported",
        why: "which of several ready subscriptions are reported, in which order, is up to the host",
    },
    Allowed {
        name: "clock-values",
        rule: "`clock_time_get`/`clock_res_get` values and `random_get` bytes are not compared (only errno)",
        why: "clock readings and random bytes are the host's",
    },
    Allowed {
        name: "bad-pointer",
        rule: "a step passing a bad pointer (or a zero-length range at one) may trap, return an errno or succeed; after it the runs are not compared further",
        why: "preview1 leaves out-of-bounds guest memory to the host: a trap or `fault` (DESIGN.md: \"a bad pointer is EFAULT or a trap\")",
    },
    Allowed {
        name: "error-precedence",
        rule: "`path_link` and `path_rename` failing on both hosts with different errnos, any step failing on both with `badf`, `ilseq`, `inval` or `nametoolong` on one side (an argument check against a file-system check), or `path_open` with `oflags::directory` and without `symlink_follow` answering `notdir` on one side and `loop` on the other (a final symlink: O_DIRECTORY against O_NOFOLLOW), compare equal (the runs are not compared further)",
        why: "POSIX.1-2017 XSH 2.3: \"If more than one error occurs in processing a function call, any one of the possible errors may be returned, as the order of detection is undefined\"; two paths give many such pairs",
    },
    Allowed {
        name: "trailing-slash-symlink",
        rule: "`path_unlink_file`, `path_remove_directory` and `path_create_directory` of a path ending in `/` failing on both hosts with different errnos compare equal (the runs are not compared further)",
        why: "POSIX.1-2017 XBD 4.13 follows a final symlink named with a trailing slash (so `unlink(\"loop/\")` is ELOOP, as on wasmtime, whose cap-std resolves it), while Linux acts on the link itself (ENOTDIR, as on reference-vm); a failure either way leaves the tree as it was",
    },
    Allowed {
        name: "invalid-open-flags",
        rule: "`path_open` with `oflags::directory` and any of `creat`, `excl`, `trunc`: `inval` on either host ends the comparison",
        why: "POSIX leaves O_EXCL without O_CREAT undefined and O_CREAT|O_DIRECTORY unspecified; hosts (Linux since 6.4, cap-std) refuse the combination before resolving",
    },
    Allowed {
        name: "file-size-limit",
        rule: "`fd_seek` to an offset of 2^40 or more ends the comparison; `fd_pwrite`, `fd_pread` and `fd_filestat_set_size` there: a differing result ends it",
        why: "the largest file offset is the file system's (ext4: 16 TiB, `inval`/`fbig` past it); an in-memory file system has none",
    },
    Allowed {
        name: "invalid-values",
        rule: "a step with an operand outside its witx type (enum value past the last case, undefined flag or rights bits) may trap, fail or ignore the value; a difference there ends the comparison",
        why: "the witx defines only the listed cases and bits; wasmtime (wiggle) traps on a value it cannot convert, reference-vm answers `inval` or ignores undefined rights bits; neither is specified",
    },
    Allowed {
        name: "short-io",
        rule: "`fd_write` succeeding on both hosts with different counts, or `fd_read` with one non-empty result a prefix of the other, ends the comparison",
        why: "POSIX write()/read() may transfer fewer bytes than asked (wasmtime writes only the first non-empty iovec); the count returned is the truth",
    },
    Allowed {
        name: "stdio",
        rule: "steps on fd 0 or 2 are not compared (unless one host traps)",
        why: "what the standard streams are (a null device, a closed stream, a pipe) and which rights and file types they report is the embedder's configuration, not the specification's",
    },
    Allowed {
        name: "trap-message",
        rule: "a trap is compared as `trap`, not by message",
        why: "trap messages are the host's wording",
    },
];

fn le(b: &[u8], at: usize, n: usize) -> u64 {
    let mut v = 0u64;
    for i in (0..n).rev() {
        v = (v << 8) | u64::from(b.get(at + i).copied().unwrap_or(0));
    }
    v
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn time(t: u64) -> String {
    if MAGIC_TIMES.contains(&t) {
        t.to_string()
    } else {
        "T".into()
    }
}

fn filestat(b: &[u8]) -> String {
    let ft = le(b, 16, 1);
    let (nlink, size) = if ft == 3 {
        ("_".to_string(), "_".to_string())
    } else {
        (le(b, 24, 8).to_string(), le(b, 32, 8).to_string())
    };
    format!(
        "type={ft} nlink={nlink} size={size} mtim={}",
        time(le(b, 48, 8))
    )
}

fn dirents(b: &[u8], used: u64, buflen: u32) -> String {
    if used >= u64::from(buflen) {
        return "full".into();
    }
    let mut names = Vec::new();
    let mut at = 0usize;
    while at + 24 <= b.len() {
        let namlen = le(b, at + 16, 4) as usize;
        let ty = le(b, at + 20, 1);
        let end = at + 24 + namlen;
        if end > b.len() {
            names.push(format!("<partial {ty}>"));
            break;
        }
        names.push(format!(
            "{}:{ty}",
            String::from_utf8_lossy(&b[at + 24..end])
        ));
        at = end;
    }
    if at < b.len() && at + 24 > b.len() {
        names.push("<partial header>".into());
    }
    names.sort();
    format!("[{}]", names.join(" "))
}

/// The normalised text of one step from its printed tokens (after the step
/// number), or `None` when the tokens do not fit the calls.
fn render_step(step: &Step, calls: &[Call], toks: &[&str], strict_rights: bool) -> Option<String> {
    let mut s = String::from(step.name());
    let mut i = 0;
    for c in calls {
        let e: u64 = toks.get(i)?.parse().ok()?;
        i += 1;
        let shows = c.shows();
        let vals = toks.get(i..i + shows.len())?;
        i += shows.len();
        let _ = write!(s, " {}", errno::name(e as u16));
        if e != 0 {
            continue;
        }
        let mut prev_num = 0u64;
        for (show, v) in shows.iter().zip(vals) {
            match show {
                Show::Num => {
                    prev_num = v.parse().ok()?;
                    if matches!(step, Step::Readdir { cookie: 1.., .. }) {
                        s.push_str(" _");
                    } else if !matches!(step, Step::Poll { .. }) {
                        let _ = write!(s, " {v}");
                    } else {
                        let _ = write!(s, " events={}", prev_num > 0);
                    }
                }
                Show::Ignore => s.push_str(" _"),
                Show::Bytes => {
                    if matches!(step, Step::Random { .. }) {
                        s.push_str(" _");
                    } else {
                        let _ = write!(s, " {v}");
                    }
                }
                Show::Filestat => {
                    let _ = write!(s, " {}", filestat(&unhex(v)));
                }
                Show::Fdstat => {
                    let b = unhex(v);
                    let _ = write!(s, " type={} flags={}", le(&b, 0, 1), le(&b, 2, 2));
                    if strict_rights {
                        let _ = write!(s, " base={:x} inh={:x}", le(&b, 8, 8), le(&b, 16, 8));
                    }
                }
                Show::Dirents(buflen) => {
                    if matches!(step, Step::Readdir { cookie: 0, .. }) {
                        let _ = write!(s, " {}", dirents(&unhex(v), prev_num, *buflen));
                    } else {
                        s.push_str(" cookie");
                    }
                }
                Show::Events => {}
                Show::Prestat => {
                    let b = unhex(v);
                    let _ = write!(s, " tag={} len={}", le(&b, 0, 1), le(&b, 4, 4));
                }
            }
        }
    }
    if i != toks.len() {
        return None;
    }
    Some(s)
}

/// A run in comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normal {
    /// One line per step that finished.
    pub steps: Vec<String>,
    /// `exit N`, `trap`, or the setup error.
    pub end: String,
    /// The tree afterwards.
    pub tree: Vec<String>,
}

/// Normalises a run of `program` (whose calls are `calls`).
pub fn normalise(
    program: &Program,
    calls: &[Vec<Call>],
    run: &HostRun,
    strict_rights: bool,
) -> Normal {
    let mut steps = Vec::new();
    for (k, line) in run.stdout.lines().enumerate() {
        let toks: Vec<&str> = line.split_ascii_whitespace().collect();
        let text = match (program.steps.get(k), calls.get(k)) {
            (Some(step), Some(c)) if toks.first() == Some(&k.to_string().as_str()) => {
                render_step(step, c, &toks[1..], strict_rights)
            }
            _ => None,
        };
        steps.push(text.unwrap_or_else(|| format!("unparsed output: {line}")));
    }
    let end = match &run.end {
        End::Exit(c) => format!("exit {c}"),
        End::Trap(_) => "trap".into(),
        End::Error(e) => format!("error: {e}"),
    };
    Normal {
        steps,
        end,
        tree: run.tree.clone(),
    }
}

/// How two runs compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmp {
    /// No difference beyond [`ALLOWED`].
    Same,
    /// A difference: a key (step name and what differs) and a description.
    Differ {
        /// Groups divergences: `STEP-NAME:A-vs-B` or `tree` or `end`.
        key: String,
        /// The first step that differs (`None`: the tree or the end).
        step: Option<usize>,
        /// Both sides, for the report.
        detail: String,
    },
}

fn errno_word(line: &str, call: usize) -> &str {
    line.split(' ').nth(1 + call).unwrap_or("?")
}

/// Offsets from which a file system may refuse (`file-size-limit`).
const HUGE_OFFSET: u64 = 1 << 40;

/// Whether a difference at `step` is one of the [`ALLOWED`] rules that end
/// the comparison (`error-precedence`, `invalid-open-flags`, `file-size-limit`).
fn lenient(step: &Step, x: Option<&String>, y: Option<&String>) -> bool {
    let word = |l: Option<&String>| l.map(|l| errno_word(l, 0).to_string());
    let (wx, wy) = (word(x), word(y));
    let failed = |w: &Option<String>| w.as_deref().is_some_and(|w| w != "success");
    match step {
        Step::Link { .. } | Step::Rename { .. } => failed(&wx) && failed(&wy),
        // trailing-slash-symlink: POSIX follows the link, Linux does not.
        Step::Unlink { path, .. } | Step::Rmdir { path, .. } | Step::Mkdir { path, .. }
            if path.bytes.ends_with(b"/") && failed(&wx) && failed(&wy) =>
        {
            true
        }
        // Checks of the arguments themselves against checks of the file
        // system: either may come first.
        _ if failed(&wx)
            && failed(&wy)
            && [&wx, &wy].iter().any(|w| {
                matches!(
                    w.as_deref(),
                    Some("badf" | "ilseq" | "inval" | "nametoolong")
                )
            }) =>
        {
            true
        }
        // O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR (Linux) or ELOOP (cap-std).
        Step::Open { oflags, lookup, .. }
            if oflags & 2 != 0
                && lookup & 1 == 0
                && matches!(
                    (wx.as_deref(), wy.as_deref()),
                    (Some("notdir"), Some("loop")) | (Some("loop"), Some("notdir"))
                ) =>
        {
            true
        }
        Step::Open { oflags, .. } => {
            oflags & 2 != 0
                && oflags & (1 | 4 | 8) != 0
                && (wx.as_deref() == Some("inval") || wy.as_deref() == Some("inval"))
        }
        Step::Read { at: Some(o), .. } | Step::Write { at: Some(o), .. } if *o >= HUGE_OFFSET => {
            true
        }
        // short-io: a shorter transfer on one side ends the comparison.
        Step::Write { .. } => wx.as_deref() == Some("success") && wy.as_deref() == Some("success"),
        Step::Read { .. } => {
            let data = |l: Option<&String>| {
                l.and_then(|l| l.split(' ').nth(3))
                    .unwrap_or("")
                    .to_string()
            };
            let (dx, dy) = (data(x), data(y));
            wx.as_deref() == Some("success")
                && wy.as_deref() == Some("success")
                // Zero bytes means end of file, never a short read.
                && dx != "-"
                && dy != "-"
                && (dx.starts_with(&dy) || dy.starts_with(&dx))
        }
        Step::Seek { offset, .. } => offset.unsigned_abs() >= HUGE_OFFSET,
        Step::SetSize { size, .. } => *size >= HUGE_OFFSET,
        _ => false,
    }
}

/// Compares two normalised runs of `program`.
pub fn compare(program: &Program, a: &Normal, b: &Normal, names: (&str, &str)) -> Cmp {
    let n = a.steps.len().max(b.steps.len());
    for k in 0..n {
        let (x, y) = (a.steps.get(k), b.steps.get(k));
        let step = program.steps.get(k);
        // file-size-limit: after a seek this far, reads and writes may fail.
        if let Some(Step::Seek { offset, .. }) = step
            && offset.unsigned_abs() >= HUGE_OFFSET
        {
            return Cmp::Same;
        }
        if x == y {
            continue;
        }
        let bad = step.is_some_and(Step::has_bad_pointer);
        // bad-pointer: a trap here on one side, or both sides failing, ends the comparison.
        // bad-pointer and invalid-values end the comparison at the step.
        if bad || step.is_some_and(Step::has_invalid_value) {
            return Cmp::Same;
        }
        // stdio: steps on fd 0 or 2 are not compared.
        if step.is_some_and(Step::uses_stdio) && x.is_some() && y.is_some() {
            continue;
        }
        if step.is_some_and(|s| lenient(s, x, y)) {
            return Cmp::Same;
        }
        let name = step.map(Step::name).unwrap_or("?");
        let word = |l: Option<&String>, end: &str| match l {
            Some(l) => errno_word(l, 0).to_string(),
            None => format!("none({end})"),
        };
        let (wx, wy) = (word(x, &a.end), word(y, &b.end));
        let key = if wx != wy {
            format!("{name}:{wx}-vs-{wy}")
        } else {
            format!("{name}:output")
        };
        return Cmp::Differ {
            key,
            step: Some(k),
            detail: format!(
                "step {k}: {}: {} | {}: {}",
                names.0,
                x.map(String::as_str).unwrap_or(&a.end),
                names.1,
                y.map(String::as_str).unwrap_or(&b.end)
            ),
        };
    }
    if a.end != b.end {
        return Cmp::Differ {
            key: format!("end:{}-vs-{}", a.end, b.end),
            step: None,
            detail: format!("end: {}: {} | {}: {}", names.0, a.end, names.1, b.end),
        };
    }
    if a.tree != b.tree {
        let only_a: Vec<&String> = a.tree.iter().filter(|l| !b.tree.contains(l)).collect();
        let only_b: Vec<&String> = b.tree.iter().filter(|l| !a.tree.contains(l)).collect();
        let escape = a
            .tree
            .iter()
            .chain(&b.tree)
            .any(|l| l.starts_with("ESCAPE"));
        return Cmp::Differ {
            key: if escape {
                "tree:ESCAPE".into()
            } else {
                "tree".into()
            },
            step: None,
            detail: format!(
                "tree: only {}: {:?} | only {}: {:?}",
                names.0, only_a, names.1, only_b
            ),
        };
    }
    Cmp::Same
}
