//! `wasm-conform bench`: engines timed against each other in one run.

use clap::Args;
use engines::bench::{self, BenchPlan};
use std::path::PathBuf;

/// Arguments of `wasm-conform bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Engines, comma-separated; ratios are to the last one.
    #[arg(long, default_value = "reference-vm,wasmi", value_delimiter = ',')]
    engines: Vec<String>,
    /// The export to call in each program.
    #[arg(long, default_value = "run")]
    invoke: String,
    /// Timed rounds per engine and program (the median is reported).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// A README whose table gives the expected results (default: the
    /// README.md beside the first program).
    #[arg(long)]
    expected: Option<PathBuf>,
    /// Programs: `.wasm` files without imports exporting the function.
    #[arg(required = true)]
    programs: Vec<PathBuf>,
}

/// Runs `wasm-conform bench`; exits 1 if any result was wrong.
pub fn bench(args: BenchArgs) -> u8 {
    let readme = args.expected.clone().or_else(|| {
        args.programs
            .first()
            .and_then(|p| p.parent())
            .map(|d| d.join("README.md"))
    });
    let expected = readme
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| bench::expected_from_readme(&t))
        .unwrap_or_default();
    let plan = BenchPlan {
        engines: args.engines,
        programs: args.programs,
        export: args.invoke,
        rounds: args.rounds.max(1),
        expected,
    };
    match bench::run(&plan, |msg| eprintln!("bench: {msg}")) {
        Ok(report) => {
            print!("{}", report.markdown());
            if report.all_correct() { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("wasm-conform bench: {e}");
            2
        }
    }
}
