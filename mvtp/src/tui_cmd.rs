//! `mvtp tui`: the terminal UI (crate `mvtp-tui`, docs/tui.md), with `read`'s input, key,
//! decode-as and display-filter options, and a live interface (`-i`, `-f`; cargo feature
//! `live`).

use crate::common::InputArgs;
use crate::EXIT_USAGE;
use clap::Args;
use dissector::capture::CaptureReader;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// `mvtp tui`.
#[derive(Args, Debug)]
pub struct TuiArgs {
    /// Input, keys and decode-as.
    #[command(flatten)]
    pub input: InputArgs,
    /// Capture live on this interface (cargo feature `live`: libpcap; needs root or
    /// CAP_NET_RAW). Packets are spilled to a temporary file like a stream's.
    #[arg(short = 'i', long = "interface", value_name = "IFACE", conflicts_with_all = ["read", "file", "follow"])]
    pub interface: Option<String>,
    /// Capture filter (BPF syntax) for `-i`.
    #[arg(short = 'f', value_name = "BPF", requires = "interface")]
    pub capture_filter: Option<String>,
    /// Initial display filter (Wireshark syntax); change it in the UI with `/`.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Packet summary rows kept in memory; older rows are re-read from the file on demand.
    #[arg(long, value_name = "N", default_value_t = tui::DEFAULT_RING)]
    pub ring: usize,
}

/// Runs the UI until `q`.
pub fn run(a: &TuiArgs) -> ExitCode {
    if let Some(iface) = &a.interface {
        return match live(a, iface) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mvtp: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        };
    }
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

/// A live interface: a thread captures and writes a pcap stream into a pipe, which the UI
/// reads as it reads standard input (rows as they come, frames spilled for reopening).
fn live(a: &TuiArgs, iface: &str) -> Result<(), String> {
    let (dissector, _) = a.input.dissector()?;
    let mut cap = crate::live::open(iface, a.capture_filter.as_deref())?;
    let (rx, tx) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let header = pcap_file::pcap::PcapHeader {
        snaplen: 262_144,
        datalink: pcap_file::DataLink::from(u32::from(cap.linktype().0)),
        ts_resolution: pcap_file::TsResolution::NanoSecond,
        ..Default::default()
    };
    // The header goes out now, so the UI starts before the first packet arrives.
    let mut w = pcap_file::pcap::PcapWriter::with_header(tx, header).map_err(|e| format!("pipe: {e}"))?;
    std::thread::spawn(move || {
        while let Ok(Some(p)) = cap.next() {
            let ts = std::time::Duration::new(u64::try_from(p.ts.secs).unwrap_or(0), p.ts.nanos);
            let pkt = pcap_file::pcap::PcapPacket::new(ts, p.orig_len, p.data);
            // The UI quitting closes the pipe (unbuffered): the capture ends with it.
            if w.write_packet(&pkt).is_err() {
                break;
            }
        }
    });
    let reader = CaptureReader::new(Box::new(rx) as Box<dyn Read + Send>).map_err(|e| format!("{iface}: {e}"))?;
    let opts = tui::Options {
        name: format!("live {iface}"),
        path: None,
        ring: a.ring,
        filter: a.display_filter.clone(),
        follow: false,
    };
    tui::run(reader, dissector, opts)
}
