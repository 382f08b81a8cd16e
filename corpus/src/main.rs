//! `cargo run -p corpus -- generate [DIR]` writes the corpus captures into DIR (default
//! `corpus/captures`); `cargo run -p corpus -- check` regenerates into a temporary folder
//! and compares byte for byte with the committed files.
//!
//! Today the corpus holds `spec-vectors.pcapng`: every public spec vector
//! (`../shared/spec/vectors/public`) as one packet, wrapped as the vectors README says
//! (bare MVTP in Ethernet II 0x88B5, L2TP in IPv4/UDP 1701, Mobile IPv4 in IPv4/UDP 434,
//! ICMP in IPv4 with TTL 1), with the vector's name as the packet comment, and
//! `spec-vectors.keys.json`, the union of the vectors' keys in the `--keys` format.
//! Beside it, one set of files per scenario of the simulator (reference agents over virtual
//! links; `src/sim`, `src/scenarios.rs`) and `corpus/manifest.toml`; see docs/corpus.md.

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
            // The manifest goes beside the captures folder (corpus/manifest.toml), or into DIR.
            let manifest_path = if args.get(1).is_some() { out.join("manifest.toml") } else { root.join("manifest.toml") };
            let manifest = corpus::manifest().and_then(|m| {
                std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
                std::fs::write(&manifest_path, m).map_err(|e| format!("{}: {e}", manifest_path.display()))
            });
            if let Err(e) = manifest {
                eprintln!("corpus: {e}");
                return ExitCode::from(2);
            }
            println!("wrote {}", manifest_path.display());
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
        Some("check") => match corpus::check(&vectors, &root.join("captures")).and_then(|()| {
            let m = corpus::manifest()?;
            let have = std::fs::read_to_string(root.join("manifest.toml")).map_err(|e| format!("manifest.toml: {e}"))?;
            if m == have { Ok(()) } else { Err("manifest.toml differs from a fresh generation".into()) }
        }) {
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
