//! No input makes the dissector panic, hang or point outside its octets: for mutated spec
//! vectors (bit flips, truncations, insertions) and random bytes, started from every
//! decoder, every field's range lies within its buffer, every layer within its buffer,
//! every diagnostic offset within the buffer it names; and the conformance engine and the
//! statistics digest whatever comes out.

use dissector::check::{CheckConfig, Checker};
use dissector::model::{BufferId, Dissection};
use dissector::stats::Stats;
use dissector::{Dissector, Keys, Proto};
use proptest::prelude::*;
use std::path::PathBuf;

const STARTS: [Proto; 12] = [
    Proto::Ethernet,
    Proto::Radiotap,
    Proto::Ieee80211,
    Proto::Ipv4,
    Proto::Ipv6,
    Proto::Udp,
    Proto::Gre,
    Proto::Esp,
    Proto::L2tp,
    Proto::Ppp,
    Proto::Mvtp,
    Proto::Mip,
];

/// (framing decoder, octets, keys) of every public vector.
fn seeds() -> Vec<(Proto, Vec<u8>, Keys)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/vectors/public");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let proto = match v["framing"].as_str().unwrap() {
            "mvtp" => Proto::Mvtp,
            "ethernet" => Proto::Ethernet,
            "ieee80211" => Proto::Ieee80211,
            "radiotap" => Proto::Radiotap,
            "ipv4" => Proto::Ipv4,
            "l2tp" => Proto::L2tp,
            "mip" => Proto::Mip,
            _ => Proto::Icmp,
        };
        let keys = v.get("keys").map(|k| Keys::from_value(k).unwrap()).unwrap_or_default();
        out.push((proto, hex::decode(v["hex"].as_str().unwrap()).unwrap(), keys));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// Every range the dissection holds is inside the octets it names.
fn assert_in_bounds(d: &Dissection, frame: &[u8]) {
    let len = |b: BufferId| d.buffer(frame, b).len() as u32;
    for l in &d.layers {
        assert!(l.range.start <= l.range.end && l.range.end <= len(l.buffer), "layer {} range {:?} outside {} octets", l.proto, l.range, len(l.buffer));
        assert!(l.fields.start <= l.fields.end && l.fields.end as usize <= d.fields.len(), "layer {} field indices", l.proto);
    }
    for f in &d.fields {
        assert!(f.range.start <= f.range.end && f.range.end <= len(f.buffer), "field {} range {:?} outside {} octets", f.name, f.range, len(f.buffer));
        let _ = d.value_string(frame, f);
        let _ = d.to_json(frame, f);
    }
    for p in &d.diagnostics {
        assert!(p.diag.offset <= len(p.buffer) as usize, "diagnostic {} offset {} outside {} octets", p.diag, p.diag.offset, len(p.buffer));
        assert!(p.layer < d.layers.len().max(1), "diagnostic layer index");
    }
}

fn run(proto: Proto, frame: &[u8], keys: &Keys) {
    let mut dis = Dissector::new(Default::default(), keys.clone());
    let mut d = Dissection::default();
    dis.dissect_as(proto, frame, &mut d);
    assert_in_bounds(&d, frame);
    let mut c = Checker::new(CheckConfig::default());
    c.packet(1, 0.0, &d, frame);
    let mut s = Stats::default();
    s.add(1, 0.0, &d, frame);
    let _ = c.finish(false);
}

#[test]
fn every_vector_and_every_prefix_from_every_decoder() {
    for (proto, octets, keys) in seeds() {
        for end in 0..=octets.len() {
            run(proto, &octets[..end], &keys);
        }
        for start in STARTS {
            run(start, &octets, &keys);
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), prop_oneof![Just(0u8), Just(0xFF), Just(0x7F), Just(0x80), any::<u8>()]).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn apply(octets: &mut Vec<u8>, m: &Mutation) {
    let n = octets.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            if let Some(x) = octets.get_mut(i % n) {
                *x ^= b;
            }
        }
        Mutation::Set(i, b) => {
            if let Some(x) = octets.get_mut(i % n) {
                *x = *b;
            }
        }
        Mutation::Insert(i, v) => {
            let at = i % (octets.len() + 1);
            octets.splice(at..at, v.iter().copied());
        }
        Mutation::Cut(i) => octets.truncate(i % n),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_vectors_never_escape_their_octets(pick in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..6), start in 0usize..STARTS.len(), reframe in any::<bool>()) {
        let seeds = seeds();
        let (proto, octets, keys) = &seeds[pick % seeds.len()];
        let mut o = octets.clone();
        for m in &muts {
            apply(&mut o, m);
        }
        run(if reframe { STARTS[start] } else { *proto }, &o, keys);
    }

    #[test]
    fn random_bytes_never_escape_their_octets(bytes in proptest::collection::vec(any::<u8>(), 0..300), start in 0usize..STARTS.len()) {
        run(STARTS[start], &bytes, &Keys::default());
    }
}
