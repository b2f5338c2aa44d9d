//! `wasm-conform fuzz --wasi`: differential fuzzing of WASI preview1 hosts
//! (`engines::wasi_fuzz`) in a seeded loop on the stable toolchain, and
//! `--wasi-replay DIR` for a saved divergence.

use engines::wasi_fuzz::{self, Program, Verdict, hosts};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What the WASI loop needs from the command line.
pub struct WasiLoop<'a> {
    /// Hosts to compare (the first is the reference).
    pub engines: &'a [String],
    /// Seed of the input sequence.
    pub seed: u64,
    /// Seconds to run.
    pub time: u64,
    /// Executions at most (0: no limit).
    pub execs: u64,
    /// First input of the sequence.
    pub from: u64,
    /// Where divergences are saved.
    pub out: &'a Path,
    /// Runs spent reducing each saved divergence (0: none).
    pub reduce_attempts: u32,
    /// Worker threads.
    pub jobs: usize,
}

/// The hosts compared when `--engines` is left at the module fuzzer's default.
pub const DEFAULT_HOSTS: &[&str] = &["reference-vm", "reference-vm-memfs"];

/// Cases saved per divergence key.
const SAVED_PER_KEY: usize = 3;

fn check_hosts(names: &[String]) -> Result<Vec<&str>, String> {
    if names.len() < 2 {
        return Err("need at least two WASI hosts to compare".into());
    }
    for n in names {
        if !hosts::is_host(n) {
            return Err(format!(
                "unknown WASI host {n:?} (available: reference-vm, reference-vm-memfs, node{})",
                if cfg!(feature = "wasmtime") {
                    ", wasmtime"
                } else {
                    "; wasmtime needs --features wasmtime"
                }
            ));
        }
    }
    Ok(names.iter().map(String::as_str).collect())
}

#[derive(Default)]
struct Tally {
    execs: u64,
    steps: u64,
    divergences: u64,
    inconclusive: u64,
    by_key: BTreeMap<String, usize>,
    known: BTreeMap<&'static str, u64>,
    saving: Duration,
}

fn sanitize(key: &str) -> String {
    let s: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.chars().take(80).collect()
}

/// Runs the loop; returns the exit status (0 clean, 1 divergence, 2 usage).
pub fn run(args: &WasiLoop) -> u8 {
    let hosts = match check_hosts(args.engines) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("wasm-conform fuzz --wasi: {e}");
            return 2;
        }
    };
    eprintln!(
        "fuzz --wasi: {} with seed {}, {} s",
        hosts.join(" vs "),
        args.seed,
        args.time
    );
    let tally = Mutex::new(Tally::default());
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.time);
    let tty = std::io::stderr().is_terminal();
    std::thread::scope(|s| {
        for _ in 0..args.jobs.max(1) {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if args.execs > 0 && n >= args.execs {
                        break;
                    }
                    let i = args.from.wrapping_add(n);
                    let data = crate::cmd_fuzz::loop_input(args.seed, i);
                    let (program, outcome) = wasi_fuzz::run_input(&data, &hosts);
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.execs += 1;
                    t.steps += program.steps.len() as u64;
                    match &outcome.verdict {
                        Verdict::Agree => {}
                        Verdict::Inconclusive(r) => {
                            t.inconclusive += 1;
                            if t.inconclusive == 1 {
                                eprintln!("\rfuzz --wasi: inconclusive at exec {i}: {r}");
                            }
                        }
                        Verdict::Diverge {
                            key,
                            hosts: (_, other),
                            detail,
                        } => {
                            if let Some(f) = wasi_fuzz::known(other, key) {
                                let c = t.known.entry(f).or_default();
                                *c += 1;
                                if *c == 1 {
                                    eprintln!(
                                        "\rfuzz --wasi: known finding {f} at exec {i} ({key}; not counted as a divergence, see fuzz/findings/)"
                                    );
                                }
                                continue;
                            }
                            t.divergences += 1;
                            let seen = t.by_key.entry(key.clone()).or_default();
                            *seen += 1;
                            let nth = *seen;
                            drop(t);
                            let begun = Instant::now();
                            let mut line = format!(
                                "\rfuzz --wasi: divergence #{nth} of {key} at exec {i} (seed {}): {detail}",
                                args.seed
                            );
                            if nth <= SAVED_PER_KEY {
                                let dir = args.out.join(format!("wasi-{}-{i}", sanitize(key)));
                                let reduced = if args.reduce_attempts > 0 {
                                    wasi_fuzz::reduce(&program, &hosts, key, args.reduce_attempts as usize)
                                } else {
                                    program.clone()
                                };
                                match wasi_fuzz::save(&dir, &program, &outcome, &reduced, &hosts) {
                                    Ok(()) => line.push_str(&format!(
                                        "\n      saved {} (reduced {} -> {} steps)",
                                        dir.display(),
                                        program.steps.len(),
                                        reduced.steps.len()
                                    )),
                                    Err(e) => line.push_str(&format!(
                                        "\n      could not save {}: {e}",
                                        dir.display()
                                    )),
                                }
                            }
                            eprintln!("{line}");
                            tally.lock().unwrap_or_else(|p| p.into_inner()).saving +=
                                begun.elapsed();
                        }
                    }
                }
            });
        }
        let mut last_plain = Instant::now();
        while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(250));
            let t = tally.lock().unwrap_or_else(|p| p.into_inner());
            if args.execs > 0 && t.execs >= args.execs {
                break;
            }
            let secs = (started.elapsed().saturating_sub(t.saving))
                .as_secs_f64()
                .max(1e-9);
            let status = format!(
                "fuzz --wasi: {} execs ({:.0}/s), {} steps, {} divergences, {} inconclusive, {}s/{}s",
                t.execs,
                t.execs as f64 / secs,
                t.steps,
                t.divergences,
                t.inconclusive,
                started.elapsed().as_secs(),
                args.time
            );
            crate::cmd_fuzz::show_status(tty, &status, &mut last_plain, Duration::from_secs(30));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    if tty {
        eprintln!();
    }
    let secs = (started.elapsed().saturating_sub(t.saving))
        .as_secs_f64()
        .max(1e-9);
    println!(
        "fuzz: {} execs, {:.0} exec/s, {} divergences, {} inconclusive",
        t.execs,
        t.execs as f64 / secs,
        t.divergences,
        t.inconclusive
    );
    if !t.known.is_empty() {
        let parts: Vec<String> = t.known.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("known findings (fuzz/findings/): {}", parts.join(", "));
    }
    if !t.by_key.is_empty() {
        let parts: Vec<String> = t.by_key.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "divergences: {} (cases in {})",
            parts.join(", "),
            args.out.display()
        );
    }
    if t.divergences > 0 { 1 } else { 0 }
}

/// `--wasi-replay PATH`: runs a saved divergence's program and reduced
/// program (`program.json`, `reduced.json` of a folder, or one program JSON
/// file such as a finding's `fuzz/findings/wasi-*.json`) again on the hosts.
pub fn replay(dir: &Path, engines: &[String]) -> u8 {
    let hosts = match check_hosts(engines) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("wasm-conform fuzz --wasi-replay: {e}");
            return 2;
        }
    };
    let mut diverges = false;
    let files = if dir.is_dir() {
        vec![dir.join("program.json"), dir.join("reduced.json")]
    } else {
        vec![dir.to_path_buf()]
    };
    for path in files {
        let program: Program = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
        {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                return 2;
            }
        };
        let o = wasi_fuzz::run_program(&program, &hosts);
        let what = match &o.verdict {
            Verdict::Agree => "hosts agree".to_string(),
            Verdict::Inconclusive(r) => format!("inconclusive ({r})"),
            Verdict::Diverge {
                key,
                detail,
                hosts: (_, other),
            } => match wasi_fuzz::known(other, key) {
                Some(f) => format!("known finding {f} ({key})"),
                None => {
                    diverges = true;
                    format!("DIVERGES: {key} | {detail}")
                }
            },
        };
        println!("{}: {what}", path.display());
        for r in &o.runs {
            println!("  {}: {:?}", r.host, r.end);
        }
    }
    if diverges { 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every triaged WASI finding (`engines::wasi_fuzz::KNOWN`) has its
    /// section in `fuzz/findings/wasi.md` and a reduced program that still
    /// diverges between the reference VM's two file systems with a key that
    /// the finding explains: once fixed, this test says to retire it.
    #[test]
    fn wasi_findings_are_written_up_and_still_reproduce() {
        let findings = root().join("fuzz/findings");
        let doc = std::fs::read_to_string(findings.join("wasi.md")).unwrap();
        let mut names: Vec<(&str, &str)> = wasi_fuzz::KNOWN
            .iter()
            .map(|k| (k.finding, k.host))
            .collect();
        names.dedup();
        for (name, other) in names {
            assert!(doc.contains(&format!("## {name}:")), "{name}");
            // wasmtime's findings replay only in a build with the feature.
            if other == "wasmtime" && !cfg!(feature = "wasmtime") {
                continue;
            }
            let hosts = ["reference-vm", other];
            let path = findings.join(format!("wasi-{name}.json"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let program: Program = serde_json::from_str(&text).unwrap();
            let o = wasi_fuzz::run_program(&program, &hosts);
            let key = wasi_fuzz::key_of(&o).unwrap_or_else(|| {
                panic!(
                    "{name} no longer diverges ({:?}): retire the finding",
                    o.verdict
                )
            });
            assert_eq!(wasi_fuzz::known(other, key), Some(name), "{name}: {key}");
        }
    }

    /// The regression corpus of fixed reference-vm findings
    /// (`fuzz/findings/wasi-fixed-NAME.json`, each the reduced program of a
    /// finding once written up in `fuzz/findings/wasi.md`): every program
    /// now runs alike on the host and the in-memory file system.
    #[test]
    fn fixed_wasi_findings_agree() {
        let dir = root().join("fuzz/findings");
        let doc = std::fs::read_to_string(dir.join("wasi.md")).unwrap();
        let mut n = 0;
        for ent in std::fs::read_dir(&dir).unwrap() {
            let path = ent.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(name) = file
                .strip_prefix("wasi-fixed-")
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string)
            else {
                continue;
            };
            assert!(
                doc.contains(&format!("`{name}`")),
                "{name} is not in wasi.md"
            );
            let program: Program =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let o = wasi_fuzz::run_program(&program, &["reference-vm", "reference-vm-memfs"]);
            assert!(
                matches!(o.verdict, wasi_fuzz::Verdict::Agree),
                "{name}: {:?}",
                o.verdict
            );
            n += 1;
        }
        assert!(n >= 5, "{n} fixed findings in {}", dir.display());
    }

    /// `docs/fuzzing.md` lists every allowed difference of the comparison.
    #[test]
    fn allowed_differences_are_documented() {
        let doc = std::fs::read_to_string(root().join("docs/fuzzing.md")).unwrap();
        for a in wasi_fuzz::compare::ALLOWED {
            assert!(
                doc.contains(&format!("| `{}` | {} |", a.name, a.rule)),
                "{}",
                a.name
            );
        }
    }

    /// The loop's exit status says whether a divergence was found: the
    /// reference VM's host file system against itself never diverges.
    #[test]
    fn the_loop_runs_and_counts() {
        let out = std::env::temp_dir().join(format!("wc-wasi-loop-{}", std::process::id()));
        let engines = vec!["reference-vm".to_string(), "reference-vm".to_string()];
        let status = run(&WasiLoop {
            engines: &engines,
            seed: 0,
            time: 600,
            execs: 20,
            from: 0,
            out: &out,
            reduce_attempts: 0,
            jobs: 1,
        });
        assert_eq!(status, 0);
        let _ = std::fs::remove_dir_all(&out);
    }
}
