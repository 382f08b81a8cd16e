//! Display-filter evaluation cost (issue 7): dissects every frame of the spec-vector corpus
//! and the tcpdump captures once, then evaluates a few compiled filters over all of them
//! repeatedly and prints nanoseconds per (filter, packet). Ignored by default; run with
//! `cargo test --release -p mvtp-dissector --test filter_bench -- --ignored --nocapture`.

use dissector::capture::CaptureReader;
use dissector::filter::Filter;
use dissector::model::Dissection;
use dissector::{Dissector, Keys};
use std::path::PathBuf;
use std::time::Instant;

const FILTERS: &[&str] = &[
    "ip",
    "mvtp && ip.src == 10.0.0.0/8",
    "ip.addr == 192.0.2.10 || udp.port in {434, 1701, 4500}",
    "mvtp.avp.type in {4..6} && !esp",
    "eth.src[0:3] == 00:21:6a",
    "ip.src != 10.172.64.6",
    "frame contains 30:30:30",
];

fn captures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("../shared/testdata/tcpdump"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "pcap"));
    v.push(root.join("corpus/captures/spec-vectors.pcapng"));
    v.retain(|p| p.exists());
    v
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn issue_7_filter_evaluation_cost() {
    let mut packets: Vec<(Dissection, Vec<u8>)> = Vec::new();
    for path in captures() {
        let Ok(file) = std::fs::File::open(&path) else { continue };
        let Ok(mut reader) = CaptureReader::new(std::io::BufReader::new(file)) else {
            continue;
        };
        let mut dissector = Dissector::new(Default::default(), Keys::default());
        while let Ok(Some(p)) = reader.next_packet() {
            let mut d = Dissection::default();
            dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
            packets.push((d, p.data.to_vec()));
        }
    }
    assert!(!packets.is_empty(), "no capture to measure on");
    let rounds = 2_000;
    for expr in FILTERS {
        let f = match Filter::compile(expr) {
            Ok(f) => f,
            Err(e) => {
                println!("{expr}: not compiled: {}", e.message);
                continue;
            }
        };
        let start = Instant::now();
        let mut hits = 0usize;
        for _ in 0..rounds {
            for (d, fr) in &packets {
                hits += usize::from(f.matches(std::hint::black_box(d), fr));
            }
        }
        let ns = start.elapsed().as_nanos() as f64 / (rounds * packets.len()) as f64;
        println!(
            "{ns:8.1} ns/packet  {:6} of {} packets  {expr}",
            hits / rounds,
            packets.len()
        );
    }
}
