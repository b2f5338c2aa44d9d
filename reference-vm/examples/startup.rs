//! Start-up cost of the reference VM on the programs given (core modules
//! and components), as a Markdown table for BENCHMARKS.md
//! (`scripts/update-docs.sh --startup`):
//!
//! - *start-up*: what a run pays before the first call — a core module is
//!   decoded, validated and instantiated with its WASI imports linked; a
//!   component is decoded and validated (its core modules included).
//! - *translate all*: translating every function into internal code (each
//!   through a second pass of the validator, which feeds the translator the
//!   operand types): the work translation on first call (exec/translate.rs)
//!   defers, and which a run pays only for the functions it calls.
//!
//! Usage: `cargo run --release -p reference-vm --example startup -- [--rounds N] FILE...`
//! (times are medians of N rounds, 5 by default).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use reference_vm::component::{self as cm, syntax::Definition};
use reference_vm::wasi::WasiCtx;
use reference_vm::{Config, ValidModule, decode_module, validate_module};

/// Median wall time of `rounds` runs of `f` after one untimed warm-up run,
/// in milliseconds.
fn median_ms(rounds: usize, mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    f()?;
    let mut ts = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        f()?;
        ts.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ts.sort_by(f64::total_cmp);
    Ok(ts[ts.len() / 2])
}

/// The validated core modules of a component, nested components included.
fn core_modules(c: &cm::syntax::Component, out: &mut Vec<Arc<ValidModule>>) {
    for d in &c.defs {
        match d {
            Definition::CoreModule(m) => out.extend(m.valid.get().cloned()),
            Definition::Component(c) => core_modules(c, out),
            _ => {}
        }
    }
}

/// One row: name, size, functions, start-up and translate-all times.
fn row(path: &str, rounds: usize) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let features = reference_vm::Features::default();
    let component = bytes.get(4..8) != Some(&[1, 0, 0, 0]);
    // Each module validated once more, for the translation timing.
    let modules: Vec<Arc<ValidModule>> = if component {
        let c = cm::decode_component(&bytes, &features).map_err(|e| e.to_string())?;
        cm::validate_component(&c, &features).map_err(|e| e.to_string())?;
        let mut v = Vec::new();
        core_modules(&c, &mut v);
        v
    } else {
        let m = decode_module(&bytes, &features).map_err(|e| e.to_string())?;
        vec![Arc::new(
            validate_module(&m, &features).map_err(|e| e.to_string())?,
        )]
    };
    let funcs: usize = modules.iter().map(|m| m.code.len()).sum();
    let startup = median_ms(rounds, || {
        if component {
            let c = cm::decode_component(&bytes, &features).map_err(|e| e.to_string())?;
            cm::validate_component(&c, &features).map_err(|e| e.to_string())
        } else {
            let ctx = Arc::new(Mutex::new(WasiCtx::builder().build()));
            let config = Config::default();
            match reference_vm::wasi::run::instantiate(&bytes, ctx, config) {
                Ok(_) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        }
    })?;
    let translate = median_ms(rounds, || {
        for m in &modules {
            // A fresh copy of the module's code: nothing translated yet.
            let fresh = validate_module(&m.module, &m.features).map_err(|e| e.to_string())?;
            fresh.translate_all().map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let validate_only = median_ms(rounds, || {
        for m in &modules {
            validate_module(&m.module, &m.features).map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let name = path
        .split("/shared/")
        .nth(1)
        .map_or(path.to_string(), |p| format!("../shared/{p}"));
    Ok(format!(
        "| `{name}` | {} | {} | {funcs} | {startup:.1} | {:.1} |",
        if component { "component" } else { "module" },
        bytes.len() / 1024,
        // Translation alone: validating and translating, less validating.
        (translate - validate_only).max(0.0)
    ))
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 5;
    if args.first().map(String::as_str) == Some("--rounds") && args.len() > 1 {
        rounds = args[1].parse().unwrap_or(5).max(1);
        args.drain(..2);
    }
    println!("| program | kind | KiB | functions | start-up (ms) | translate all (ms) |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut failed = false;
    for p in &args {
        match row(p, rounds) {
            Ok(r) => println!("{r}"),
            Err(e) => {
                eprintln!("startup: {p}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
