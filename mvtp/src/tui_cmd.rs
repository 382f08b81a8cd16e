//! `mvtp tui`: the terminal UI (crate `mvtp-tui`, docs/tui.md), with `read`'s input, key,
//! decode-as and display-filter options.

use crate::common::InputArgs;
use crate::EXIT_USAGE;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// `mvtp tui`.
#[derive(Args, Debug)]
pub struct TuiArgs {
    /// Input, keys and decode-as.
    #[command(flatten)]
    pub input: InputArgs,
    /// Initial display filter (Wireshark syntax); change it in the UI with `/`.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Packet summary rows kept in memory; older rows are re-read from the file on demand.
    #[arg(long, value_name = "N", default_value_t = tui::DEFAULT_RING)]
    pub ring: usize,
}

/// Runs the UI until `q`.
pub fn run(a: &TuiArgs) -> ExitCode {
    let opened = match a.input.open() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mvtp: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let path = a.input.path().filter(|p| *p != "-").map(PathBuf::from);
    let opts = tui::Options {
        name: opened.name.clone(),
        path,
        ring: a.ring,
        filter: a.display_filter.clone(),
        follow: a.input.follow,
    };
    match tui::run(opened.reader, opened.dissector, opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mvtp: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
