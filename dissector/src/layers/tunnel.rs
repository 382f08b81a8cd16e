//! GRE (RFC 2784/2890; RFC 1701 routing) and enhanced GRE version 1 (PPTP, RFC 2637 §4.1).
//! The payload goes on by protocol type (an EtherType): 0x88B5 MVTP [FMT-1], 0x0800 IPv4,
//! 0x880B PPP, 0x6558 Ethernet…; a keepalive (empty payload) ends the chain.

use crate::cx::Cx;
use crate::engine::Next;
use crate::model::Value;
use codec::gre::{self, GreView};
use codec::Diagnostic;
use core::ops::Range;

/// GRE header fields, then the payload by protocol type.
pub fn gre(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("gre", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    let v = match GreView::new(b) {
        Ok(v) => v,
        Err(e) => {
            // Show the flags that were read before the error, as tcpdump does.
            if let Some(fv) = codec::bytes::be_u16(b, 0) {
                cx.uint("gre.flags_and_version", base..base + 2, fv);
            }
            return cx.stop_at(base, e);
        }
    };
    let fv = v.flags_and_version();
    let f = base..base + 2;
    cx.push("gre.flags_and_version", f.clone(), Value::U64(u64::from(fv)));
    cx.flag("gre.flags.checksum", f.clone(), fv & gre::FLAG_C != 0);
    cx.flag("gre.flags.routing", f.clone(), fv & gre::FLAG_R != 0);
    cx.flag("gre.flags.key", f.clone(), fv & gre::FLAG_K != 0);
    cx.flag("gre.flags.sequence_number", f.clone(), fv & gre::FLAG_S != 0);
    cx.flag("gre.flags.strict_source_route", f.clone(), fv & gre::FLAG_SSR != 0);
    cx.uint("gre.flags.recursion_control", f.clone(), (fv & gre::RECUR_MASK) >> 8);
    if v.version() == gre::VERSION_1 {
        cx.flag("gre.flags.ack", f.clone(), fv & gre::FLAG_A != 0);
    }
    cx.uint("gre.flags.flags", f.clone(), (fv & gre::FLAGS_MASK) >> 3);
    cx.uint("gre.flags.version", f, v.version());
    cx.pop();
    cx.uint("gre.proto", base + 2..base + 4, v.proto().0);
    let l = v.layout();
    if let (Some(o), Some(c), Some(off)) = (l.checksum, v.checksum(), v.offset()) {
        cx.uint("gre.checksum", base + o..base + o + 2, c);
        let ok = v.checksum_ok().unwrap_or(true);
        cx.uint("gre.checksum.status", base + o..base + o + 2, u64::from(ok));
        if !ok {
            cx.diag_at(
                base,
                Diagnostic::warning("gre.checksum", o, "RFC2784-2.5", format!("checksum {c:#06x} does not verify")),
            );
        }
        cx.uint("gre.offset", base + o + 2..base + o + 4, off);
    }
    let mut payload = base + v.header_len()..at.end;
    if let (Some(o), Some(k)) = (l.key, v.key()) {
        if v.version() == gre::VERSION_1 {
            let plen = (k >> 16) as u16;
            cx.uint("gre.key.payload_length", base + o..base + o + 2, plen);
            cx.uint("gre.key.call_id", base + o + 2..base + o + 4, k & 0xFFFF);
            // RFC 2637 §4.1: the payload is Payload Length octets (none in an ack-only packet).
            let end = payload.start.saturating_add(usize::from(plen)).min(payload.end);
            if v.seq().is_none() {
                payload.end = payload.start;
            } else if end < payload.end {
                payload.end = end;
            }
        } else {
            cx.uint("gre.key", base + o..base + o + 4, k);
        }
    }
    if let (Some(o), Some(s)) = (l.seq, v.seq()) {
        cx.uint("gre.sequence_number", base + o..base + o + 4, s);
    }
    if let (Some(o), Some(a)) = (l.ack, v.ack()) {
        cx.uint("gre.ack_number", base + o..base + o + 4, a);
    }
    if let Some(o) = l.routing {
        cx.field("gre.routing", base + o..base + l.len, Value::Bytes);
    }
    Next::Ether(v.proto(), payload)
}

#[cfg(test)]
mod tests {
    use crate::engine::{Dissector, Proto};
    use crate::model::Dissection;
    use codec::gre::Gre;
    use codec::numbers::{EtherType, IpProto, LinkType};
    use codec::stack::Node;
    use std::path::PathBuf;

    fn run(p: Proto, b: &[u8]) -> Dissection {
        let mut d = Dissection::default();
        Dissector::default().dissect_as(p, b, &mut d);
        d
    }

    fn vals(d: &Dissection, b: &[u8], name: &str) -> Vec<String> {
        d.find(name).map(|f| d.value_string(b, f)).collect()
    }

    #[test]
    fn rfc2890_key_sequence_checksum_then_inner_ipv4() {
        let user = Node::ipv4([10, 0, 0, 1], [10, 0, 0, 2], IpProto::UDP, Node::udp(7, 9, Node::raw(vec![1, 2, 3])));
        let g = Node::Gre {
            hdr: Gre::new(EtherType::IPV4).with_checksum().with_key(0x28).with_seq(5),
            inner: Box::new(user),
        };
        let b = Node::ipv4([198, 51, 100, 20], [203, 0, 113, 5], IpProto::GRE, g).emit_fixed().unwrap();
        let d = run(Proto::Ipv4, &b);
        assert_eq!(vals(&d, &b, "gre.key"), ["40"]);
        assert_eq!(vals(&d, &b, "gre.sequence_number"), ["5"]);
        assert_eq!(vals(&d, &b, "gre.checksum.status"), ["1"]);
        assert_eq!(vals(&d, &b, "gre.proto"), ["2048"]);
        assert_eq!(vals(&d, &b, "ip.dst"), ["203.0.113.5", "10.0.0.2"]);
        assert!(d.diagnostics.is_empty());
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1; // breaks the GRE checksum and the inner UDP checksum
        let d = run(Proto::Ipv4, &bad);
        assert_eq!(vals(&d, &bad, "gre.checksum.status"), ["0"]);
        assert!(d.diagnostics.iter().any(|p| p.diag.clause == Some("RFC2784-2.5") && p.diag.offset == 24));
    }

    #[test]
    fn rfc2637_enhanced_gre_call_id_and_payload_length() {
        let ppp = [0xff, 0x03, 0xc0, 0x21, 1, 0, 0, 4];
        let mut g = vec![0x30, 0x81, 0x88, 0x0b, 0x00, 0x08, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0];
        g.extend_from_slice(&ppp);
        g.extend_from_slice(&[0xEE; 3]); // beyond Payload Length: not PPP's
        let d = run(Proto::Gre, &g);
        assert_eq!(vals(&d, &g, "gre.key.call_id"), ["6"]);
        assert_eq!(vals(&d, &g, "gre.key.payload_length"), ["8"]);
        assert_eq!(vals(&d, &g, "gre.ack_number"), ["0"]);
        let next = d.layers.get(1).expect("payload layer");
        assert_eq!(next.range, 16..24);
    }

    /// (original length, captured octets) of each record.
    type Records = Vec<(usize, Vec<u8>)>;

    fn capture(name: &str) -> Option<(u32, Records)> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/tcpdump").join(name);
        let Ok(f) = std::fs::File::open(&p) else {
            println!("SKIP: {} not found", p.display());
            return None;
        };
        let mut r = pcap_file::pcap::PcapReader::new(f).ok()?;
        let link = u32::from(r.header().datalink);
        let mut v = vec![];
        // Raw records: the malformed captures have orig_len > snaplen, which the checked
        // reader refuses.
        while let Some(Ok(p)) = r.next_raw_packet() {
            v.push((p.orig_len as usize, p.data.into_owned()));
        }
        assert!(!v.is_empty(), "{name}: no packets read");
        Some((link, v))
    }

    /// tcpdump's GRE captures: every frame dissects without panicking; GRE layers appear where
    /// tcpdump printed "GREv", the malformed ones stop with a typed error at the GRE layer.
    #[test]
    fn tcpdump_gre_captures_dissect() {
        for (name, gre_frames, errors) in [
            ("various_gre.pcap", 30, 0),
            ("pptp.pcap", 1, 0),
            ("gre-heapoverflow-1.pcap", 0, 1),
            ("gre-heapoverflow-2.pcap", 1, 1),
        ] {
            let Some((link, pkts)) = capture(name) else { continue };
            let mut dis = Dissector::default();
            let mut d = Dissection::default();
            let mut n = 0;
            let mut stopped = 0;
            for (orig, p) in &pkts {
                dis.dissect(LinkType(link as u16), p, *orig, &mut d);
                n += usize::from(d.has_proto("gre"));
                stopped += usize::from(d.stopped.is_some());
                if std::env::var("NET_DEBUG").is_ok() {
                    println!("{name} orig {orig}: {:?} {:?}", d.layers.iter().map(|l| l.proto).collect::<Vec<_>>(), d.stopped);
                }
                for f in &d.fields {
                    assert!(
                        f.range.end as usize <= d.buffer(p, f.buffer).len(),
                        "{name}: field {} out of its buffer",
                        f.name
                    );
                }
            }
            assert_eq!(n, gre_frames, "{name}: frames with a GRE layer");
            // tcpdump: heapoverflow-1 "IP [version 0 != 4]", heapoverflow-2 "[|gre]".
            assert_eq!(stopped, errors, "{name}: frames stopped by an error");
        }
    }
}
