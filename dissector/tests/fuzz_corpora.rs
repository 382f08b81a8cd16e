//! Replays the corpus and the regressions of the `dissect_frame` fuzz target
//! (`fuzz/corpus/dissect_frame/`, `fuzz/regressions/dissect_frame/`) on
//! stable `cargo test`: the first octet picks the decoder (the target's table), the rest is
//! dissected with the corpus keys; no panic, every field inside its buffer, and the
//! conformance engine and statistics digest the result.

use dissector::check::{CheckConfig, Checker};
use dissector::model::Dissection;
use dissector::stats::Stats;
use dissector::engine::ENTRY_POINTS;
use dissector::{Dissector, Keys};
use std::path::PathBuf;


#[test]
fn dissect_frame_corpus_replays() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let keys = Keys::from_json(&std::fs::read_to_string(root.join("corpus/captures/spec-vectors.keys.json")).unwrap()).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fuzz/corpus/dissect_frame")).unwrap().map(|e| e.unwrap().path()).collect();
    // Crash inputs found by the fuzzer, kept as regressions.
    if let Ok(rd) = std::fs::read_dir(root.join("fuzz/regressions/dissect_frame")) {
        files.extend(rd.map(|e| e.unwrap().path()));
    }
    files.sort();
    assert!(!files.is_empty());
    let mut d = Dissection::default();
    for p in files {
        // A running fuzzer may reduce its corpus while this reads it: skip files that vanished.
        let Ok(data) = std::fs::read(&p) else { continue };
        let Some((&pick, frame)) = data.split_first() else { continue };
        let mut dis = Dissector::new(Default::default(), keys.clone());
        dis.dissect_as(ENTRY_POINTS[usize::from(pick) % ENTRY_POINTS.len()], frame, &mut d);
        for f in &d.fields {
            let len = d.buffer(frame, f.buffer).len() as u32;
            assert!(f.range.start <= f.range.end && f.range.end <= len, "{}: {} outside its buffer", p.display(), f.name);
        }
        let mut c = Checker::new(CheckConfig::default());
        c.packet(1, 0.0, &d, frame);
        Stats::default().add(1, 0.0, &d, frame);
    }
}
