//! `wasm-conform`: the command line. Each subcommand parses its arguments and
//! calls into the crates; the logic lives there.

mod cmd_bench;
mod cmd_fuzz;
mod cmd_fuzz_wasi;
mod cmd_report;
mod cmd_run;
mod cmd_serve;
mod cmd_spec;
mod cmd_vendor;
mod cmd_wasi;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tells the truth about WebAssembly runtimes.
#[derive(Parser)]
#[command(name = "wasm-conform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run .wast suites against an engine and report one verdict per assertion.
    Spec(cmd_spec::SpecArgs),
    /// Run one .wast script and print each failure.
    Wast(cmd_spec::WastArgs),
    /// Run the WASI testsuite against a runtime.
    Wasi(cmd_wasi::WasiArgs),
    /// Run a WASI command (or `--invoke` an export) on the reference VM.
    Run(cmd_run::RunArgs),
    /// Serve a `wasi:http/service` component on the reference VM (SIGINT stops it).
    Serve(cmd_serve::ServeArgs),
    /// Time engines against each other on the same programs.
    Bench(cmd_bench::BenchArgs),
    /// Run the suites on engines and write the conformance dashboard
    /// (also `report diff A B`, `report render RESULTS...`).
    Report(cmd_report::ReportArgs),
    /// Differential fuzzing: compare engines on generated modules (also `fuzz replay DIR`).
    Fuzz(cmd_fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Spec(args) => cmd_spec::spec(args),
        Command::Wast(args) => cmd_spec::wast(args),
        Command::Wasi(args) => cmd_wasi::wasi(args),
        Command::Run(args) => cmd_run::run(args),
        Command::Serve(args) => cmd_serve::serve(args),
        Command::Bench(args) => cmd_bench::bench(args),
        Command::Report(args) => cmd_report::report(args),
        Command::Fuzz(args) => cmd_fuzz::fuzz(args),
    };
    ExitCode::from(code)
}
