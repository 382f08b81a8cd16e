//! `mvtp replay --rewrite-only`: rewrites a capture offline (docs/replay.md).

use crate::{EXIT_ACTION, EXIT_USAGE};
use clap::Args;
use dissector::capture::{CaptureReader, CaptureWriter, Format, Packet};
use replay::{rewrite_frame, Rules, Stats};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// `mvtp replay` arguments.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Only rewrite into a file (sending on an interface is not implemented).
    #[arg(long)]
    pub rewrite_only: bool,
    /// Output capture (same format as the input: pcap or pcapng).
    #[arg(short = 'w', value_name = "OUT")]
    pub write: String,
    /// Input capture (`-` for stdin).
    #[arg(value_name = "IN")]
    pub input: String,
    /// IPv4 map OLD=NEW: a prefix (`198.51.100.0/24=10.9.0.0/24`, host part kept) or one address.
    #[arg(long = "map", value_name = "OLD=NEW")]
    pub map: Vec<String>,
    /// MAC map OLD=NEW (`aa:bb:cc:dd:ee:ff=02:00:00:00:00:01`).
    #[arg(long = "mac-map", value_name = "OLD=NEW")]
    pub mac_map: Vec<String>,
    /// UDP/TCP port map OLD=NEW (source and destination ports).
    #[arg(long = "port-map", value_name = "OLD=NEW")]
    pub port_map: Vec<String>,
    /// GRE key map OLD=NEW (decimal or 0x-hex).
    #[arg(long = "gre-key", value_name = "OLD=NEW")]
    pub gre_key: Vec<String>,
    /// ESP SPI map OLD=NEW (reported as not rewritten: the ICV needs the SA).
    #[arg(long = "spi", value_name = "OLD=NEW")]
    pub spi: Vec<String>,
    /// Recompute every checksum, also those that were wrong in the input.
    #[arg(long)]
    pub fix_checksums: bool,
}

fn rules(a: &ReplayArgs) -> Result<Rules, replay::MapError> {
    let mut r = Rules::default();
    for s in &a.map {
        r.add_map(s)?;
    }
    for s in &a.mac_map {
        r.add_mac(s)?;
    }
    for s in &a.port_map {
        r.add_port(s)?;
    }
    for s in &a.gre_key {
        r.add_gre_key(s)?;
    }
    for s in &a.spi {
        r.add_spi(s)?;
    }
    Ok(r)
}

/// Runs `mvtp replay`.
pub fn run(a: &ReplayArgs) -> ExitCode {
    if !a.rewrite_only {
        eprintln!("mvtp replay: only --rewrite-only is implemented (give -w OUT IN)");
        return ExitCode::from(EXIT_USAGE);
    }
    let rules = match rules(a) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mvtp replay: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let src: Box<dyn std::io::Read> = if a.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&a.input) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("mvtp replay: {}: {e}", a.input);
                return ExitCode::from(EXIT_USAGE);
            }
        }
    };
    let mut reader = match CaptureReader::new(src) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mvtp replay: {}: {e}", a.input);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let out = match std::fs::File::create(&a.write) {
        Ok(f) => BufWriter::new(f),
        Err(e) => {
            eprintln!("mvtp replay: {}: {e}", a.write);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut writer = match reader.format() {
        Format::Pcap {
            nanos, linktype, ..
        } => CaptureWriter::pcap(out, nanos, linktype),
        _ => match CaptureWriter::pcapng(out) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("mvtp replay: {}: {e}", a.write);
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    let mut stats = Stats::default();
    let mut failed_io = false;
    loop {
        let p = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                eprintln!("mvtp replay: {}: {e}", a.input);
                failed_io = true;
                break;
            }
        };
        let (data, o) = rewrite_frame(p.linktype, p.data, &rules, a.fix_checksums);
        stats.add(&o);
        // orig_len keeps the octets the capture cut off (snap length).
        let cut = u64::from(p.orig_len).saturating_sub(p.data.len() as u64);
        let orig_len = u32::try_from(data.len() as u64 + cut).unwrap_or(u32::MAX);
        let q = Packet {
            data: &data,
            orig_len,
            ..p
        };
        if let Err(e) = writer.write(&q) {
            eprintln!("mvtp replay: {}: {e}", a.write);
            failed_io = true;
            break;
        }
    }
    match writer.finish() {
        Ok(mut w) => {
            if let Err(e) = w.flush() {
                eprintln!("mvtp replay: {}: {e}", a.write);
                failed_io = true;
            }
        }
        Err(e) => {
            eprintln!("mvtp replay: {}: {e}", a.write);
            failed_io = true;
        }
    }
    eprintln!("{stats}");
    if failed_io || stats.any_failed() {
        ExitCode::from(EXIT_ACTION)
    } else {
        ExitCode::SUCCESS
    }
}
