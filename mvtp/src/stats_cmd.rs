//! `mvtp stats`: protocol hierarchy, conversations, MVTP registrations and bindings, L2TP
//! tunnels, Mobile IPv4 bindings and encapsulation overhead, as tables or JSON.

use crate::common::InputArgs;
use crate::EXIT_USAGE;
use clap::{Args, ValueEnum};
use dissector::model::Dissection;
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
    let mut o = match a.input.open() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("mvtp stats: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut stats = Stats::default();
    let mut d = Dissection::default();
    let mut n = 0u64;
    loop {
        let p = match o.reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                eprintln!("mvtp stats: {}: {e} (after {n} packets)", o.name);
                return ExitCode::from(EXIT_USAGE);
            }
        };
        n += 1;
        let ts = p.ts.as_f64();
        o.dissector.set_time(ts);
        o.dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
        stats.add(n, ts, &d, p.data);
    }
    stats.finish();
    match a.format {
        StatsFormat::Text => print!("{}", stats.render_text()),
        StatsFormat::Json => println!("{}", serde_json::to_string_pretty(&stats).unwrap_or_default()),
    }
    ExitCode::SUCCESS
}
