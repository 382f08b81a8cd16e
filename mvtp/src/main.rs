//! `mvtp`: the toolkit's one user-facing binary. Thin: clap parses, libraries work.
//!
//! Exit status: 0 the input was read (malformed packets are data), 2 usage error or
//! unreadable input, 3 a requested action could not be applied (a key that decrypts
//! nothing, a failed write).

mod agent_cmd;
mod check_cmd;
mod cli;
mod common;
mod fields_cmd;
mod live;
mod read;
mod stats_cmd;
mod tui_cmd;
mod replay_cmd;

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

/// Exit status: usage error or unreadable input.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: a requested action could not be applied.
pub const EXIT_ACTION: u8 = 3;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Read(args) => read::run(*args),
        cli::Command::Fields(args) => fields_cmd::run(&args),
        cli::Command::Check(args) => check_cmd::run(&args),
        cli::Command::Stats(args) => stats_cmd::run(&args),
        cli::Command::Tui(args) => tui_cmd::run(&args),
        cli::Command::Replay(args) => replay_cmd::run(&args),
        cli::Command::Agent(args) => agent_cmd::run(&args),
        cli::Command::Completions { shell } => {
            let mut cmd = cli::Cli::command();
            clap_complete::generate(shell, &mut cmd, "mvtp", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}
