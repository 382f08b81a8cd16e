//! Replays the fuzz corpora of the L2TP, PPP, MIP, ICMP and whole-frame targets
//! (`fuzz/corpus/roundtrip_{l2tp,ppp,mip,icmp,stack}/`) on stable `cargo test`, with the
//! same law each target asserts: no panic, and what parses re-encodes octet for octet.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).map(|rd| rd.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    // A running fuzzer may reduce its corpus while this reads it: skip files that vanished.
    files.iter().filter_map(|p: &PathBuf| std::fs::read(Path::new(p)).ok()).collect()
}

#[test]
fn l2tp_corpus_round_trips() {
    for data in corpus("roundtrip_l2tp") {
        if let Ok((m, n)) = codec::l2tp::Message::parse(&data) {
            let mut out = Vec::new();
            m.emit(&mut out).unwrap();
            assert_eq!(&out[..], &data[..n]);
        }
    }
}

#[test]
fn ppp_corpus_round_trips() {
    for data in corpus("roundtrip_ppp") {
        for short in [false, true] {
            if let Ok(f) = codec::ppp::Frame::parse_with(&data, codec::ppp::ParseOptions { mp_short_seq: short }) {
                let mut out = Vec::new();
                f.emit(&mut out).unwrap();
                assert_eq!(out, data);
            }
        }
    }
}

#[test]
fn mip_corpus_round_trips() {
    for data in corpus("roundtrip_mip") {
        if let Ok(m) = codec::mip::Message::parse(&data) {
            assert_eq!(m.to_bytes().unwrap(), data);
        }
    }
}

#[test]
fn icmp_corpus_round_trips() {
    for data in corpus("roundtrip_icmp") {
        if let Ok(m) = codec::icmp::Icmp::parse(&data) {
            let mut out = Vec::new();
            m.emit(&mut out).unwrap();
            assert_eq!(out, data);
        }
    }
}

#[test]
fn stack_corpus_round_trips() {
    const LINKS: [u16; 7] = [1, 127, 105, 113, 276, 101, 228];
    for data in corpus("roundtrip_stack") {
        let Some((&pick, frame)) = data.split_first() else { continue };
        let link = codec::numbers::LinkType(LINKS[usize::from(pick) % LINKS.len()]);
        assert_eq!(codec::stack::parse(link, frame).emit().unwrap(), frame);
    }
}
