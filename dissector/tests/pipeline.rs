//! End to end: the corpus capture of every spec vector (`corpus/captures/spec-vectors.pcapng`)
//! is read, dissected, judged and counted. The expected findings are derived from the
//! vectors' own `expect_error` / `expect_warning` (rule = clause, frame = the vector's
//! position, offset = the vector's offset + the corpus wrapper's length), not written here.

use dissector::check::{CheckConfig, Checker};
use dissector::model::Dissection;
use dissector::stats::Stats;
use dissector::{Dissector, Keys};
use pcap_file::pcapng::{Block, PcapNgReader};
use serde_json::Value as J;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// (file name, vector JSON), sorted as the corpus generator sorts them.
fn vectors() -> Vec<(String, J)> {
    let dir = root().join("../shared/spec/vectors/public");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v.into_iter().map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap())).collect()
}

/// Octets the corpus generator puts in front of a vector of this framing.
fn wrapper_len(framing: &str) -> usize {
    match framing {
        "mvtp" => 14,
        "l2tp" | "mip" => 28,
        "icmp" => 20,
        _ => 0,
    }
}

#[test]
fn corpus_spec_vectors_read_dissect_check_and_count() {
    let keys = Keys::from_json(&std::fs::read_to_string(root().join("corpus/captures/spec-vectors.keys.json")).unwrap()).unwrap();
    let file = std::fs::File::open(root().join("corpus/captures/spec-vectors.pcapng")).unwrap();
    let mut reader = PcapNgReader::new(std::io::BufReader::new(file)).unwrap();
    let mut dissector = Dissector::new(Default::default(), keys);
    let mut checker = Checker::new(CheckConfig { partial_capture: true, ..Default::default() });
    let mut stats = Stats::default();
    let mut d = Dissection::default();
    let mut n = 0u64;
    let mut links: Vec<u32> = Vec::new();
    while let Some(block) = reader.next_block() {
        let epb = match block.unwrap() {
            Block::InterfaceDescription(idb) => {
                links.push(u32::from(idb.linktype));
                continue;
            }
            Block::EnhancedPacket(epb) => epb,
            _ => continue,
        };
        n += 1;
        let link = links[epb.interface_id as usize];
        let ts = epb.timestamp.as_secs_f64();
        dissector.set_time(ts);
        dissector.dissect(codec::numbers::LinkType(link as u16), &epb.data, epb.original_len as usize, &mut d);
        assert!(!d.layers.is_empty(), "frame {n}: no layer");
        checker.packet(n, ts, &d, &epb.data);
        stats.add(n, ts, &d, &epb.data);
    }
    stats.finish();
    let vs = vectors();
    assert_eq!(n as usize, vs.len(), "one packet per vector");
    assert_eq!(stats.total.packets, n);

    let report = checker.finish(true);
    for (i, (name, v)) in vs.iter().enumerate() {
        let frame = i as u64 + 1;
        let shift = wrapper_len(v["framing"].as_str().unwrap());
        let mut want: Vec<(String, usize)> = Vec::new();
        if let Some(e) = v.get("expect_error") {
            want.push((e["clause"].as_str().unwrap().into(), e["offset"].as_u64().unwrap() as usize + shift));
        }
        for w in v.get("expect_warning").and_then(J::as_array).into_iter().flatten() {
            want.push((w["clause"].as_str().unwrap().into(), w["offset"].as_u64().unwrap() as usize + shift));
        }
        let rules: Vec<&str> = want.iter().map(|(c, _)| c.as_str()).collect();
        let have: Vec<(String, usize)> = report
            .findings
            .iter()
            .filter(|f| f.frame == frame && rules.contains(&f.rule) && f.offset.is_some())
            .map(|f| (f.rule.to_string(), f.offset.unwrap_or(0)))
            .collect();
        for w in &want {
            assert!(have.contains(w), "{name} (frame {frame}): expected finding {w:?}, have {have:?}");
        }
    }
}
