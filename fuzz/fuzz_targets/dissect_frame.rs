//! The whole dissector on arbitrary octets: the first octet picks the decoder to start
//! with, the rest is the frame. With the corpus keys loaded, ESP decryption, hidden-AVP
//! reveal and authenticator verification run too; the conformance engine and the
//! statistics then digest the dissection. Nothing may panic, and every field's range must
//! lie inside its buffer.
#![no_main]

use dissector::check::{CheckConfig, Checker};
use dissector::model::Dissection;
use dissector::stats::Stats;
use dissector::engine::ENTRY_POINTS;
use dissector::{Dissector, Keys};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;


fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::from_json(include_str!("../../corpus/captures/spec-vectors.keys.json")).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else { return };
    let mut dis = Dissector::new(Default::default(), keys().clone());
    let mut d = Dissection::default();
    dis.dissect_as(ENTRY_POINTS[usize::from(pick) % ENTRY_POINTS.len()], frame, &mut d);
    for f in &d.fields {
        let len = d.buffer(frame, f.buffer).len() as u32;
        assert!(f.range.start <= f.range.end && f.range.end <= len, "{} outside its buffer", f.name);
        let _ = d.to_json(frame, f);
    }
    let mut c = Checker::new(CheckConfig::default());
    c.packet(1, 0.0, &d, frame);
    let mut s = Stats::default();
    s.add(1, 0.0, &d, frame);
    let _ = c.finish(true);
});
