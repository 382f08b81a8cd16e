//! Frame-level rewriting: the pcap file header kept, 802.11 → Ethernet conversion, MTU
//! refusal and IPv4 fragmentation, per-loop renumbering (L2TP Ns/Nr, ESP sequence, MVTP
//! Identification).

use codec::numbers::{EtherType, IpProto, LinkType};
use codec::stack::Node;
use dissector::capture::CaptureReader;
use dissector::engine::{Config as DConfig, Dissector};
use dissector::keys::Keys;
use dissector::model::{Dissection, Value};
use replay::pcapout::PcapOut;
use replay::{checksum_counts, Config, Outcome, Rewriter, Rules};
use std::path::{Path, PathBuf};

fn cap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/captures")
        .join(name)
}

fn packets(p: &Path) -> Vec<(LinkType, Vec<u8>)> {
    let mut r = CaptureReader::new(std::fs::File::open(p).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(pk) = r.next_packet().unwrap() {
        v.push((pk.linktype, pk.data.to_vec()));
    }
    v
}

/// An identity rewrite of a classic pcap reproduces the whole file, header included
/// (magic, byte order, snap length, link type).
#[test]
fn pcap_identity_rewrite_is_the_same_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/captures");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let mut rw = Rewriter::new(Rules::default(), Config::default());
        let mut w = PcapOut::new(Vec::new(), &bytes, None).unwrap();
        let mut r = CaptureReader::new(&bytes[..]).unwrap();
        while let Some(pk) = r.next_packet().unwrap() {
            let o = rw.frame(pk.linktype, pk.data, 0);
            assert_eq!(o.outcome, Outcome::Unchanged);
            w.write(pk.ts.secs, pk.ts.nanos, pk.orig_len, &o.frames[0])
                .unwrap();
        }
        assert_eq!(w.finish().unwrap(), bytes, "{}", p.display());
        n += 1;
    }
    assert!(n > 10);
}

/// IEEE 802.11 §9.3.2.1 / RFC 1042: radiotap + 802.11 data frames become Ethernet II with
/// DA/SA and the SNAP EtherType; the payload is the same octets.
#[test]
fn radiotap_data_frames_convert_to_ethernet() {
    let cfg = Config {
        to_ethernet: true,
        ..Config::default()
    };
    let mut rw = Rewriter::new(Rules::default(), cfg);
    let mut d = Dissector::new(DConfig::default(), Keys::default());
    let mut converted = 0;
    for (link, data) in packets(&cap("mvtp-roam-wlan.fa2.pcap")) {
        assert_eq!(link, LinkType::IEEE802_11_RADIOTAP);
        let o = rw.frame(link, &data, 0);
        assert_eq!(o.link, LinkType::ETHERNET);
        let eth = &o.frames[0];
        assert_eq!(&eth[12..14], &EtherType::MVTP.0.to_be_bytes());
        assert!(
            data.ends_with(&eth[14..]) || data[..data.len() - 4].ends_with(&eth[14..]),
            "payload kept"
        );
        let mut x = Dissection::default();
        d.dissect(o.link, eth, eth.len(), &mut x);
        assert!(
            x.find("mvtp.type").next().is_some(),
            "MVTP decoded in the Ethernet frame"
        );
        converted += 1;
    }
    assert_eq!(converted, 9);
    // A non-802.11 input is refused with the reason, never written half-converted.
    let mut b = Vec::from(&[0x00u8, 0x00, 0x08, 0x00, 0, 0, 0, 0][..]);
    b.extend_from_slice(&[0x80, 0x00, 0, 0]); // radiotap + a beacon frame control
    b.extend_from_slice(&[0xff; 20]);
    let o = rw.frame(LinkType::IEEE802_11_RADIOTAP, &b, 0);
    assert!(
        matches!(o.outcome, Outcome::Dropped(_)) && o.frames.is_empty(),
        "{o:?}"
    );
}

fn big_frame(df: bool) -> Vec<u8> {
    let mut n = Node::ethernet(
        [2, 0, 0, 0, 0, 2],
        [2, 0, 0, 0, 0, 1],
        EtherType::IPV4,
        Node::ipv4(
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            IpProto::UDP,
            Node::udp(5000, 6000, Node::raw(vec![0xab; 1472])),
        ),
    );
    if let Node::Ethernet { inner, .. } = &mut n {
        if let Node::Ipv4 { hdr, .. } = inner.as_mut() {
            hdr.flags = if df { codec::ipv4::FLAG_DF } else { 0 };
        }
    }
    n.emit_fixed().unwrap()
}

/// Issue 10 "MTU awareness": a 1500-octet packet against MTU 576 is refused with its size
/// stated; with fragmentation, RFC 791 fragments of ≤ 576 octets carrying the payload on
/// 8-octet boundaries, each header checksum valid; DF is honoured.
#[test]
fn rfc791_mtu_refuse_or_fragment() {
    let f = big_frame(false);
    let mk = |fragment| {
        Rewriter::new(
            Rules::default(),
            Config {
                mtu: Some(576),
                fragment,
                ..Config::default()
            },
        )
    };
    let o = mk(false).frame(LinkType::ETHERNET, &f, 0);
    assert_eq!(o.outcome, Outcome::Dropped("larger than the MTU"));
    assert!(o.frames.is_empty());
    assert!(
        o.note.as_deref().unwrap().contains("1500-octet"),
        "{:?}",
        o.note
    );
    let o = mk(true).frame(LinkType::ETHERNET, &f, 0);
    assert_eq!(o.frames.len(), 3);
    let mut payload = Vec::new();
    for (i, fr) in o.frames.iter().enumerate() {
        let ip = &fr[14..];
        assert!(ip.len() <= 576);
        assert!(
            codec::checksum::verifies(&ip[..20]),
            "fragment {i} header checksum"
        );
        let word = u16::from_be_bytes([ip[6], ip[7]]);
        assert_eq!(
            usize::from(word & 0x1fff) * 8,
            payload.len(),
            "offset of fragment {i}"
        );
        assert_eq!(word & 0x2000 != 0, i < 2, "MF on all but the last");
        payload.extend_from_slice(&ip[20..]);
    }
    assert_eq!(payload, f[34..]);
    let o = mk(true).frame(LinkType::ETHERNET, &big_frame(true), 0);
    assert_eq!(o.outcome, Outcome::Dropped("Don't Fragment is set"));
}

/// RFC 2661 §5.8: on loop pass 1 the L2TP control messages' Ns continue after the
/// messages of pass 0 of the same flow (here 2), Nr after the peer's; UDP checksums stay
/// valid.
#[test]
fn rfc2661_loop_renumbers_l2tp_ns_nr() {
    let pk = packets(&cap("spec-vectors.pcapng"));
    let mut rw = Rewriter::new(
        Rules::default(),
        Config {
            renumber: true,
            ..Config::default()
        },
    );
    for (l, d) in &pk {
        rw.learn(*l, d);
    }
    let mut d = Dissector::new(DConfig::default(), Keys::default());
    let mut seen = 0;
    for (l, data) in &pk {
        let ns = |d: &mut Dissector, f: &[u8]| {
            let mut x = Dissection::default();
            d.dissect(*l, f, f.len(), &mut x);
            let g = |n: &str| {
                x.find(n).find_map(|f| {
                    if let Value::U64(v) = f.value {
                        Some(v)
                    } else {
                        None
                    }
                })
            };
            g("l2tp.Ns").zip(g("l2tp.Nr"))
        };
        let Some((ns0, nr0)) = ns(&mut d, data) else {
            continue;
        };
        let o = rw.frame(*l, data, 1);
        let (ns1, nr1) = ns(&mut d, &o.frames[0]).unwrap();
        assert_eq!((ns1, nr1), (ns0 + 2, nr0), "pass 1");
        assert_eq!(
            checksum_counts(*l, &o.frames[0]).1,
            checksum_counts(*l, data).1
        );
        let o = rw.frame(*l, data, 3);
        assert_eq!(ns(&mut d, &o.frames[0]).unwrap().0, ns0 + 6, "pass 3");
        seen += 1;
    }
    assert_eq!(seen, 2);
}

/// RFC 4303 §3.3.3 and spec MVTP Identification: on loop pass 1, ESP sequence numbers go
/// on after the highest of pass 0 (re-encrypted, ICV good with the same SA) and MVTP
/// Identifications are later than every one of pass 0 (re-signed).
#[test]
fn loop_renumbers_esp_sequence_and_identification() {
    let keys =
        Keys::from_json(&std::fs::read_to_string(cap("spec-vectors.keys.json")).unwrap()).unwrap();
    let pk = packets(&cap("spec-vectors.pcapng"));
    let mut rw = Rewriter::new(
        Rules::default(),
        Config {
            renumber: true,
            keys: Some(keys.clone()),
            ..Config::default()
        },
    );
    for (l, d) in &pk {
        rw.learn(*l, d);
    }
    let mut d = Dissector::new(DConfig::default(), keys);
    let fields = |d: &mut Dissector, l: LinkType, f: &[u8]| {
        let mut x = Dissection::default();
        d.dissect(l, f, f.len(), &mut x);
        let seq: Vec<u64> = x
            .find("esp.sequence")
            .filter_map(|f| {
                if let Value::U64(v) = f.value {
                    Some(v)
                } else {
                    None
                }
            })
            .collect();
        let icv: Vec<bool> = x
            .find("esp.icv_good")
            .map(|f| f.value == Value::Bool(true))
            .collect();
        let ids: Vec<u64> = x
            .find("mvtp.ident")
            .map(|fl| u64::from_be_bytes(x.field_bytes(f, fl).try_into().unwrap()))
            .collect();
        let auth: Vec<bool> = x
            .find("mvtp.auth.mh.valid")
            .map(|f| f.value == Value::Bool(true))
            .collect();
        (seq, icv, ids, auth)
    };
    let mut max_id0 = 0u64;
    let mut ids1 = Vec::new();
    let (mut esp, mut signed) = (0, 0);
    for (l, data) in &pk {
        let (s0, _, id0, a0) = fields(&mut d, *l, data);
        max_id0 = max_id0.max(id0.iter().copied().max().unwrap_or(0));
        let o = rw.frame(*l, data, 1);
        let (s1, icv1, id1, a1) = fields(&mut d, *l, &o.frames[0]);
        for (a, b) in s0.iter().zip(&s1) {
            assert!(b > a, "sequence renumbered: {a} -> {b}");
            esp += 1;
        }
        assert!(icv1.iter().all(|x| *x), "ICV good after renumbering");
        assert_eq!(a0, a1, "authenticators re-signed");
        signed += a1.iter().filter(|x| **x).count();
        ids1.extend(id1);
    }
    assert!(esp >= 3 && signed > 3, "{esp} {signed}");
    assert!(
        ids1.iter().all(|&i| i >> 32 > max_id0 >> 32),
        "pass-1 Identifications after pass 0"
    );
}

/// RFC 4303 §3.3.3 with an SPI rule: the sequence numbers of a re-keyed SA still go on
/// after pass 0's highest (learned under the input's SPI).
#[test]
fn loop_renumbers_esp_sequence_under_a_new_spi() {
    let text = std::fs::read_to_string(cap("spec-vectors.keys.json")).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let old_keys = Keys::from_value(&j).unwrap();
    let mut rules = Rules::default();
    let sas = j["esp"].as_array().unwrap().clone();
    for mut e in sas {
        let s = e["spi"].as_u64().unwrap() as u32;
        rules.add_spi(&format!("{s}={}", s ^ 0x0100_0000)).unwrap();
        e["spi"] = serde_json::json!(s ^ 0x0100_0000);
        j["esp"].as_array_mut().unwrap().push(e);
    }
    let keys = Keys::from_value(&j).unwrap();
    let mut rw = Rewriter::new(
        rules,
        Config {
            renumber: true,
            keys: Some(old_keys),
            new_keys: Some(keys.clone()),
            ..Config::default()
        },
    );
    let pk = packets(&cap("spec-vectors.pcapng"));
    for (l, d) in &pk {
        rw.learn(*l, d);
    }
    let mut d = Dissector::new(DConfig::default(), keys);
    let seqs = |d: &mut Dissector, l: LinkType, f: &[u8]| {
        let mut x = Dissection::default();
        d.dissect(l, f, f.len(), &mut x);
        let s: Vec<u64> = x
            .find("esp.sequence")
            .filter_map(|f| {
                if let Value::U64(v) = f.value {
                    Some(v)
                } else {
                    None
                }
            })
            .collect();
        let good = x.find("esp.icv_good").all(|f| f.value == Value::Bool(true));
        (s, good)
    };
    let mut n = 0;
    for (l, data) in &pk {
        let (s0, _) = seqs(&mut d, *l, data);
        let o0 = rw.frame(*l, data, 0);
        let o1 = rw.frame(*l, data, 1);
        let (a, g0) = seqs(&mut d, *l, &o0.frames[0]);
        let (b, g1) = seqs(&mut d, *l, &o1.frames[0]);
        assert!(g0 && g1);
        assert_eq!(a, s0);
        for (x, y) in a.iter().zip(&b) {
            assert!(y > x, "pass 1 sequence {y} after pass 0 {x}");
            n += 1;
        }
    }
    assert!(n >= 3);
}

/// RFC 2661 §4.3: with --resign and a new L2TP secret, hidden AVPs are hidden again under
/// the new secret (same Random Vector, same length): the new secret reveals the original
/// value, the old one no longer does.
#[test]
fn rfc2661_hidden_avps_rehidden_with_new_secret() {
    let text = std::fs::read_to_string(cap("spec-vectors.keys.json")).unwrap();
    let old = Keys::from_json(&text).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["l2tp_secret"] = serde_json::json!("a new tunnel secret");
    let new = Keys::from_value(&j).unwrap();
    let mut rw = Rewriter::new(
        Rules::default(),
        Config {
            resign: true,
            keys: Some(old.clone()),
            new_keys: Some(new.clone()),
            ..Config::default()
        },
    );
    let session = |k: &Keys, l: LinkType, f: &[u8]| {
        let mut d = Dissector::new(DConfig::default(), k.clone());
        let mut x = Dissection::default();
        d.dissect(l, f, f.len(), &mut x);
        let v: Vec<Value> = x
            .find("l2tp.avp.assigned_session_id")
            .map(|f| f.value.clone())
            .collect();
        v
    };
    let mut seen = 0;
    for (l, data) in packets(&cap("spec-vectors.pcapng")) {
        let o = rw.frame(l, &data, 0);
        let out = &o.frames[0];
        let before = session(&old, l, &data);
        if before.is_empty() || data == *out {
            assert_eq!(data, *out, "only frames with hidden AVPs change");
            continue;
        }
        assert_eq!(out.len(), data.len());
        assert_eq!(
            session(&new, l, out),
            before,
            "the new secret reveals the same value"
        );
        assert_ne!(
            session(&old, l, out),
            before,
            "the old secret no longer does"
        );
        assert_eq!(checksum_counts(l, out).1, 0, "UDP checksum fixed");
        seen += 1;
    }
    assert_eq!(seen, 1);
}
