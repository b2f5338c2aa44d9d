//! `wasm-conform`: the command line. Each subcommand parses its arguments and
//! calls into the crates; the logic lives there.

mod cmd_spec;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Spec(args) => cmd_spec::spec(args),
        Command::Wast(args) => cmd_spec::wast(args),
    };
    ExitCode::from(code)
}
