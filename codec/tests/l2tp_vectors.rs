//! L2TP and PPP against the spec vectors and tcpdump's captures (shared/testdata/tcpdump):
//! every `l2tp`-framed vector decodes with the codec and re-encodes octet for octet, a
//! hidden AVP reveals with the vector's secret, the PPP payloads of vectors 08/09 round-trip,
//! and the malformed captures give typed errors, never panics.

use codec::l2tp::avp::{AvpType, AvpValue, HANDOFF_GID, HANDOFF_SESSION_STATUS};
use codec::l2tp::{Body, Message, MessageView};
use codec::numbers::{PppProto, VendorId};
use codec::ppp::{Frame, Payload};
use codec::Kind;
mod support;

use serde_json::Value as J;
use support::vector;

fn hex_of(v: &J) -> Vec<u8> {
    hex::decode(v["hex"].as_str().unwrap()).unwrap()
}

fn field_u64(v: &J, name: &str) -> Option<u64> {
    v["fields"].get(name).and_then(J::as_u64)
}

#[test]
fn every_l2tp_vector_decodes_and_reencodes() {
    let mut n = 0;
    for (p, v) in support::vectors() {
        if v["framing"] != "l2tp" {
            continue;
        }
        n += 1;
        let b = hex_of(&v);
        let (m, used) = Message::parse(&b).unwrap_or_else(|e| panic!("{}: {e}", p));
        assert_eq!(used, b.len());
        let mut out = vec![];
        m.emit(&mut out).unwrap();
        assert_eq!(out, b, "{}: re-encoding differs", p);
        let view = MessageView::new(&b).unwrap();
        assert_eq!(Some(u64::from(view.tunnel())), field_u64(&v, "l2tp.tunnel"));
        assert_eq!(Some(u64::from(view.session())), field_u64(&v, "l2tp.session"));
        assert_eq!(view.ns().map(u64::from), field_u64(&v, "l2tp.Ns"));
        assert_eq!(view.nr().map(u64::from), field_u64(&v, "l2tp.Nr"));
        assert_eq!(view.message_type().map(|t| u64::from(t.0)), field_u64(&v, "l2tp.avp.message_type"));
        let types: Vec<u64> = view.avps().map(|a| u64::from(a.unwrap().attr_type())).collect();
        let want: Vec<u64> = v["fields"]["l2tp.avp.type"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
        assert_eq!(types, want);
        // Reveal hidden AVPs with the vector's secret; the fields name the clear values.
        let secret = v["keys"]["l2tp_secret"].as_str().map(str::as_bytes);
        let m = match secret {
            Some(s) => m.revealed(s).unwrap(),
            None => m,
        };
        let Body::Control(avps) = &m.body else { panic!("control expected") };
        for a in avps {
            assert!(!a.hidden, "{}: AVP {} still hidden", p, a.attr_type);
            match (a.vendor, a.attr_type, &a.value) {
                (VendorId::IETF, t, AvpValue::U16(x)) if t == AvpType::ASSIGNED_SESSION_ID.0 => {
                    assert_eq!(Some(u64::from(*x)), field_u64(&v, "l2tp.avp.assigned_session_id"))
                }
                (VendorId::IETF, t, AvpValue::U32(x)) if t == AvpType::CALL_SERIAL_NUMBER.0 => {
                    assert_eq!(Some(u64::from(*x)), field_u64(&v, "l2tp.avp.call_serial_number"))
                }
                (VendorId::HANDOFF, HANDOFF_GID, AvpValue::Gid(g)) => {
                    assert_eq!(Some(u64::from(g.class.0)), field_u64(&v, "l2tp.handoff.gid.class"));
                    let addr = codec::gid::DisplayAddress(g.class, &g.address).to_string();
                    assert_eq!(Some(addr.as_str()), v["fields"]["l2tp.handoff.gid.address"].as_str());
                }
                (VendorId::HANDOFF, HANDOFF_SESSION_STATUS, AvpValue::SessionStatus(s)) => {
                    assert_eq!(Some(s & 0x8000 != 0), v["fields"]["l2tp.handoff.continue"].as_bool());
                }
                _ => {}
            }
        }
    }
    assert!(n >= 2, "expected the l2tp vectors 13 and 26");
}

#[test]
fn rfc2661_4_3_vector_26_hidden_without_secret_stays_opaque() {
    let b = hex_of(&vector("26-"));
    let (m, _) = Message::parse(&b).unwrap();
    let Body::Control(avps) = &m.body else { panic!() };
    let h = avps.iter().find(|a| a.hidden).unwrap();
    assert!(matches!(h.value, AvpValue::Raw(_)));
    // A wrong secret: an error or a different value, never a panic, never the right one.
    if let Ok(r) = m.revealed(b"not-the-secret") {
        let Body::Control(a) = r.body else { panic!() };
        assert_ne!(a[2].value, AvpValue::U16(11329));
    }
}

/// The PPP frame inside vector 08 (LLC/SNAP MV-DATA) and the L2TP data message inside
/// vector 09 (bare MV-DATA): both decode and re-encode.
#[test]
fn l2tp_4_ppp_payloads_of_vectors_08_and_09() {
    let b = hex_of(&vector("08-"));
    let pdu = &b[22..]; // Ethernet 802.3 header (14) + LLC/SNAP (8)
    let plen = usize::from(u16::from_be_bytes([pdu[2], pdu[3]]));
    let avp_len = usize::from(u16::from_be_bytes([pdu[6], pdu[7]]));
    let ppp = &pdu[12 + avp_len..plen];
    let f = Frame::parse(ppp).unwrap();
    assert_eq!(f.protocol, PppProto::LCP);
    let mut out = vec![];
    f.emit(&mut out).unwrap();
    assert_eq!(out, ppp);

    let b = hex_of(&vector("09-"));
    let l2tp = &b[12..];
    let (m, n) = Message::parse(l2tp).unwrap();
    assert_eq!(n, l2tp.len());
    assert_eq!((m.header.tunnel, m.header.session), (0x1c2e, 0x0a11));
    let Body::Data(ppp) = &m.body else { panic!("data message expected") };
    let f = Frame::parse(ppp).unwrap();
    assert_eq!(f.protocol, PppProto::IPV4);
    assert!(matches!(&f.payload, Payload::Other(p) if p[0] == 0x45));
    let mut out = vec![];
    m.emit(&mut out).unwrap();
    assert_eq!(out, l2tp);
}

/// (link type, packets) of a capture; raw records, since malformed ones have orig_len >
/// snaplen.
fn read(name: &str) -> Option<(u32, Vec<Vec<u8>>)> {
    let Ok(f) = std::fs::File::open(support::shared_dir().join("testdata/tcpdump").join(name)) else {
        println!("SKIP: {name} not found");
        return None;
    };
    let mut r = pcap_file::pcap::PcapReader::new(f).ok()?;
    let link = u32::from(r.header().datalink) & 0xFFFF; // upper bits: FCS length flags
    let mut out = vec![];
    while let Some(p) = r.next_raw_packet() {
        match p {
            Ok(p) => out.push(p.data.into_owned()),
            Err(_) => break,
        }
    }
    Some((link, out))
}

/// The IPv4 payload and protocol of an Ethernet II frame, by hand (lying lengths allowed).
fn ipv4_payload(frame: &[u8]) -> Option<(u8, &[u8])> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = frame.get(14..)?;
    let hlen = usize::from(ip.first()? & 0x0F) * 4;
    Some((*ip.get(9)?, ip.get(hlen..)?))
}

/// Parses, and when it succeeds, re-encodes to the octets consumed.
fn l2tp_round_trip(b: &[u8]) -> Result<Message, codec::DecodeError> {
    let (m, n) = Message::parse(b)?;
    let mut out = vec![];
    m.emit(&mut out).unwrap();
    assert_eq!(out, &b[..n]);
    Ok(m)
}

fn ppp_round_trip(b: &[u8]) -> Result<Frame, codec::DecodeError> {
    let f = Frame::parse(b)?;
    let mut out = vec![];
    f.emit(&mut out).unwrap();
    assert_eq!(out, b);
    Ok(f)
}

#[test]
fn rfc2661_4_1_l2tp_avp_overflow_capture_errors_without_panic() {
    let Some((link, pkts)) = read("l2tp-avp-overflow.pcap") else {
        return;
    };
    assert_eq!(link, 1);
    let mut errors = 0;
    for p in &pkts {
        let Some((17, udp)) = ipv4_payload(p) else {
            continue;
        };
        let Some(l2tp) = udp.get(8..) else { continue };
        match l2tp_round_trip(l2tp) {
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                assert!(matches!(e.kind, Kind::Truncated | Kind::BadLength | Kind::Version), "{e}");
                assert!(e.offset <= l2tp.len());
            }
        }
        // The lax view never panics either.
        if let Ok(v) = MessageView::new(l2tp) {
            let _ = v.diagnostics();
            let _ = v.avps().count();
        }
    }
    assert!(errors > 0, "the overflow capture holds malformed AVPs");
}

#[test]
fn pptp_capture_ppp_in_enhanced_gre() {
    let Some((_, pkts)) = read("pptp.pcap") else {
        return;
    };
    let mut lcp = 0;
    for p in &pkts {
        let Some((47, gre)) = ipv4_payload(p) else {
            continue;
        };
        let Ok(g) = codec::gre::GreView::new(gre) else {
            continue;
        };
        if g.payload().is_empty() {
            continue;
        }
        let f = ppp_round_trip(g.payload()).unwrap();
        if let Payload::Lcp(c) = &f.payload {
            assert_eq!(c.code, 1, "tshark: Configuration Request");
            lcp += 1;
        }
    }
    assert_eq!(lcp, 1, "tshark shows one LCP Configuration Request (frame 16)");
}

#[test]
fn ppp_malformed_captures_never_panic() {
    // ppp_ip_udp_dns: PPP-in-HDLC (link 50) with address FF, control 0x5f, protocol 0x7e08
    // (tcpdump: "unknown PPP protocol (0x7e08)").
    if let Some((link, pkts)) = read("ppp_ip_udp_dns.pcap") {
        assert_eq!(link, 50);
        let f = ppp_round_trip(&pkts[0]).unwrap();
        assert_eq!((f.address_control, f.protocol), (Some(0x5f), PppProto(0x7e08)));
    }
    // ppp-invalid-lengths: IPCP Configure-Nak (Length 8451) whose last option claims 230
    // octets with 38 left (tcpdump: "remaining options length 38 < 230").
    if let Some((link, pkts)) = read("ppp-invalid-lengths.pcap") {
        assert_eq!(link, 9);
        let e = Frame::parse(&pkts[0]).unwrap_err();
        assert_eq!((e.kind, e.field), (Kind::Truncated, "ipcp.opt.length"));
    }
    // mlppp-oobr: a Multilink fragment cut short by the snaplen.
    if let Some((link, pkts)) = read("mlppp-oobr.pcap") {
        assert_eq!(link, 9);
        for p in &pkts {
            match Frame::parse(p) {
                Ok(f) => {
                    let mut out = vec![];
                    f.emit(&mut out).unwrap();
                    assert_eq!(&out, p);
                }
                Err(e) => assert!(e.offset <= p.len()),
            }
            // Every prefix: an error or a round trip, never a panic.
            for n in 0..p.len().min(64) {
                if let Ok(f) = Frame::parse(&p[..n]) {
                    let mut out = vec![];
                    f.emit(&mut out).unwrap();
                    assert_eq!(out, &p[..n]);
                }
            }
        }
    }
}
