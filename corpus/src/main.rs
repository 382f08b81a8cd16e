//! `cargo run -p corpus -- generate [DIR]` writes the corpus captures into DIR (default
//! `corpus/captures`); `cargo run -p corpus -- check` regenerates into a temporary folder
//! and compares byte for byte with the committed files.
//!
//! Today the corpus holds `spec-vectors.pcapng`: every public spec vector
//! (`../shared/spec/vectors/public`) as one packet, wrapped as the vectors README says
//! (bare MVTP in Ethernet II 0x88B5, L2TP in IPv4/UDP 1701, Mobile IPv4 in IPv4/UDP 434,
//! ICMP in IPv4 with TTL 1), with the vector's name as the packet comment, and
//! `spec-vectors.keys.json`, the union of the vectors' keys in the `--keys` format.
//! The scenario simulator (reference agents over virtual links) will add one capture per
//! scenario beside it.

use corpus::{generate, VECTORS_DIR};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vectors = root.join(VECTORS_DIR);
    match args.first().map(String::as_str) {
        Some("generate") => {
            let out = args.get(1).map_or_else(|| root.join("captures"), PathBuf::from);
            match generate(&vectors, &out) {
                Ok(files) => {
                    for f in files {
                        println!("wrote {}", f.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("corpus: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("check") => match corpus::check(&vectors, &root.join("captures")) {
            Ok(()) => {
                println!("corpus is up to date");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("corpus: {e}");
                ExitCode::from(1)
            }
        },
        Some("bench-capture") => {
            // `corpus bench-capture OUT.pcap N`: the large mixed capture of the read benchmark.
            let (Some(out), n) = (args.get(1), args.get(2).and_then(|n| n.parse().ok()).unwrap_or(400_000)) else {
                eprintln!("usage: corpus bench-capture OUT.pcap [N]");
                return ExitCode::from(2);
            };
            let file = match std::fs::File::create(out) {
                Ok(f) => std::io::BufWriter::new(f),
                Err(e) => {
                    eprintln!("corpus: {out}: {e}");
                    return ExitCode::from(2);
                }
            };
            match corpus::write_bench_capture(&vectors, n, file) {
                Ok(t) => {
                    println!("wrote {out}: {n} packets cycling through {t} templates");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("corpus: {e}");
                    ExitCode::from(2)
                }
            }
        }
        _ => {
            eprintln!("usage: corpus generate [DIR] | corpus check | corpus bench-capture OUT.pcap [N]");
            ExitCode::from(2)
        }
    }
}
