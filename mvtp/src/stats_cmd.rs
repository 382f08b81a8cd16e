//! `mvtp stats`: protocol hierarchy, conversations, MVTP registrations and bindings, L2TP
//! tunnels, Mobile IPv4 bindings and encapsulation overhead, as tables or JSON.

use crate::common::InputArgs;
use crate::EXIT_USAGE;
use clap::{Args, ValueEnum};
use dissector::stats::Stats;
use std::process::ExitCode;

/// Output of `mvtp stats`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFormat {
    /// Plain-text tables.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `mvtp stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(short = 'T', value_enum, default_value = "text", value_name = "FORMAT")]
    pub format: StatsFormat,
}

pub fn run(a: &StatsArgs) -> ExitCode {
    let o = match a.input.open() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mvtp stats: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut stats = Stats::default();
    if let Err(e) = o.for_each(|n, ts, d, data| stats.add(n, ts, d, data)) {
        eprintln!("mvtp stats: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    stats.finish();
    match a.format {
        StatsFormat::Text => print!("{}", stats.render_text()),
        StatsFormat::Json => println!("{}", serde_json::to_string_pretty(&stats).unwrap_or_default()),
    }
    ExitCode::SUCCESS
}
