//! Round-trip laws (STYLE §5) for every link/network/transport header Repr:
//! `parse(emit(r)) == r`, and bytes that parse re-encode to exactly the octets consumed;
//! arbitrary bytes never panic any decoder or the whole-frame parse.

use codec::ethernet::Ethernet;
use codec::gre::{self, Gre};
use codec::ieee80211::Ieee80211;
use codec::ipv4::Ipv4;
use codec::ipv6::{ExtHeader, Ipv6};
use codec::llc::Llc;
use codec::numbers::{EtherType, IpProto, LinkType};
use codec::radiotap::Radiotap;
use codec::sll::Sll;
use codec::stack;
use codec::tcp::Tcp;
use codec::udp::Udp;
use codec::vlan::Vlan;
use proptest::prelude::*;

fn ipv4() -> impl Strategy<Value = Ipv4> {
    (
        any::<(u8, u16, u8, u8, u8, u16)>(),
        0u16..0x2000,
        any::<([u8; 4], [u8; 4])>(),
        0usize..=10,
        any::<u8>(),
    )
        .prop_map(
            |((dsfield, ident, flags, ttl, protocol, checksum), frag_offset, (src, dst), words, fill)| Ipv4 {
                dsfield,
                ident,
                flags: flags & 7,
                frag_offset,
                ttl,
                protocol: IpProto(protocol),
                checksum,
                src,
                dst,
                options: vec![fill; words * 4],
            },
        )
}

fn gre() -> impl Strategy<Value = Gre> {
    (any::<u16>(), any::<u16>(), any::<(u16, u16, u32, u32, u32)>(), 0usize..3).prop_map(|(fv, proto, (c, o, k, s, a), nsre)| {
        let fv = fv & !gre::VERSION_MASK | (fv & 1); // versions 0 and 1
        let cr = fv & (gre::FLAG_C | gre::FLAG_R) != 0;
        let mut routing = vec![];
        for i in 0..nsre {
            routing.extend_from_slice(&[0x08, 0x00, 0, 4, i as u8, 1, 2, 3]);
        }
        routing.extend_from_slice(&[0, 0, 0, 0]);
        Gre {
            flags_and_version: fv,
            proto: EtherType(proto),
            checksum: cr.then_some(c),
            offset: cr.then_some(o),
            key: (fv & gre::FLAG_K != 0).then_some(k),
            seq: (fv & gre::FLAG_S != 0).then_some(s),
            ack: (fv & 7 == 1 && fv & gre::FLAG_A != 0).then_some(a),
            routing: (fv & gre::FLAG_R != 0).then_some(routing),
        }
    })
}

fn wlan() -> impl Strategy<Value = Ieee80211> {
    (
        prop_oneof![Just(0u8), Just(2u8)],
        any::<(u8, u8, u16, u16, u16, u32)>(),
        any::<([u8; 6], [u8; 6], [u8; 6], [u8; 6])>(),
    )
        .prop_map(|(ty, (sub, flags, duration, seq_ctrl, q, h), (a1, a2, a3, a4))| {
            let fc0 = (sub & 0xF0) | ty << 2;
            let data = ty == 2;
            let has_a4 = data && flags & 3 == 3;
            let qos = data && fc0 >> 4 & 8 != 0;
            let htc = flags & 0x80 != 0 && (qos || ty == 0);
            Ieee80211 {
                fc0,
                flags,
                duration,
                addr1: a1,
                addr2: a2,
                addr3: a3,
                seq_ctrl,
                addr4: has_a4.then_some(a4),
                qos: qos.then_some(q),
                htc: htc.then_some(h),
            }
        })
}

proptest! {
    #[test]
    fn ethernet_repr_round_trip(dst in any::<[u8; 6]>(), src in any::<[u8; 6]>(), t in any::<u16>()) {
        let h = Ethernet { dst, src, type_len: t };
        let mut b = vec![];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(Ethernet::parse(&b).unwrap(), (h, 14));
    }

    #[test]
    fn vlan_repr_round_trip(pcp in 0u8..8, dei in any::<bool>(), vid in 0u16..0x1000, t in any::<u16>()) {
        let h = Vlan { pcp, dei, vid, type_len: t };
        let mut b = vec![];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(Vlan::parse(&b).unwrap(), (h, 4));
    }

    #[test]
    fn llc_bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..12)) {
        if let Ok((h, n)) = Llc::parse(&b) {
            let mut out = vec![];
            h.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..n]);
            prop_assert_eq!(h.buffer_len(), n);
        }
    }

    #[test]
    fn ipv4_repr_round_trip(h in ipv4(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut b = vec![];
        h.emit(&mut b, payload.len()).unwrap();
        b.extend_from_slice(&payload);
        let (p, v) = Ipv4::parse(&b).unwrap();
        prop_assert_eq!(p, h.clone());
        prop_assert_eq!(v.payload(), &payload[..]);
        let mut f = h.clone();
        f.fix_up(payload.len()).unwrap();
        let mut b2 = vec![];
        f.emit(&mut b2, payload.len()).unwrap();
        prop_assert!(codec::checksum::verifies(&b2));
    }

    #[test]
    fn ipv6_repr_round_trip(tclass in any::<u8>(), flow in 0u32..0x10_0000, hlim in any::<u8>(), src in any::<[u8; 16]>(),
                            dst in any::<[u8; 16]>(), hop in 0usize..3, frag in any::<Option<(u16, bool, u32)>>()) {
        let mut ext = vec![];
        let mut kinds = vec![];
        if hop > 0 { kinds.push(IpProto::HOPOPT); }
        if frag.is_some() { kinds.push(IpProto::IPV6_FRAG); }
        let first = kinds.first().copied().unwrap_or(IpProto::UDP);
        for (i, k) in kinds.iter().enumerate() {
            let nxt = kinds.get(i + 1).copied().unwrap_or(IpProto::UDP);
            if *k == IpProto::IPV6_FRAG {
                let (o, m, id) = frag.unwrap_or_default();
                ext.push(ExtHeader::fragment(nxt, o & 0x1FFF, m, id).unwrap());
            } else {
                ext.push(ExtHeader { kind: *k, next_header: nxt, data: vec![0; 8 * hop - 2] });
            }
        }
        let h = Ipv6 { tclass, flow, next_header: first, hop_limit: hlim, src, dst, ext };
        let mut b = vec![];
        h.emit(&mut b, 3).unwrap();
        b.extend_from_slice(&[1, 2, 3]);
        let (p, upper, at) = Ipv6::parse(&b).unwrap();
        prop_assert_eq!(p, h);
        prop_assert_eq!(upper, IpProto::UDP);
        prop_assert_eq!(at.len(), 3);
    }

    #[test]
    fn udp_repr_round_trip(s in any::<u16>(), d in any::<u16>(), c in any::<u16>(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let h = Udp { src_port: s, dst_port: d, checksum: c };
        let mut b = vec![];
        h.emit(&mut b, payload.len()).unwrap();
        b.extend_from_slice(&payload);
        let (p, v) = Udp::parse(&b).unwrap();
        prop_assert_eq!(p, h);
        prop_assert_eq!(v.payload(), &payload[..]);
    }

    #[test]
    fn tcp_repr_round_trip(ports in any::<(u16, u16)>(), sa in any::<(u32, u32)>(), flags in 0u16..0x1000, w in any::<(u16, u16, u16)>(), words in 0usize..=10) {
        let h = Tcp { src_port: ports.0, dst_port: ports.1, seq: sa.0, ack: sa.1, flags, window: w.0, checksum: w.1, urgent: w.2, options: vec![1; words * 4] };
        let mut b = vec![];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(Tcp::parse(&b).unwrap(), (h.clone(), h.buffer_len()));
    }

    #[test]
    fn gre_repr_round_trip(h in gre()) {
        let mut b = vec![];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(b.len(), h.buffer_len());
        prop_assert_eq!(Gre::parse(&b).unwrap(), (h, b.len()));
    }

    #[test]
    fn gre_bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok((h, n)) = Gre::parse(&b) {
            let mut out = vec![];
            h.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..n]);
        }
    }

    #[test]
    fn ieee80211_repr_round_trip(h in wlan()) {
        let mut b = vec![];
        h.emit(&mut b).unwrap();
        prop_assert_eq!(Ieee80211::parse(&b).unwrap(), (h, b.len()));
    }

    #[test]
    fn radiotap_bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..48)) {
        let mut b = b;
        if b.len() >= 4 { b[0] = 0; b[2] = b.len() as u8; b[3] = 0; }
        if let Ok((h, n)) = Radiotap::parse(&b) {
            let mut out = vec![];
            h.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..n]);
        }
    }

    #[test]
    fn sll_repr_round_trip(v2 in any::<bool>(), b in proptest::collection::vec(any::<u8>(), 20)) {
        let (h, n) = Sll::parse(&b, v2).unwrap();
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        prop_assert_eq!(&out[..], &b[..n]);
    }

    #[test]
    fn whole_frame_parse_is_lossless(b in proptest::collection::vec(any::<u8>(), 0..200), link in prop_oneof![
        Just(LinkType::ETHERNET), Just(LinkType::IPV4), Just(LinkType::RAW), Just(LinkType::IEEE802_11),
        Just(LinkType::IEEE802_11_RADIOTAP), Just(LinkType::LINUX_SLL), Just(LinkType::LINUX_SLL2)]) {
        prop_assert_eq!(stack::parse(link, &b).emit().unwrap(), b);
    }
}

/// Frame-level spec vectors (link type, octets), the seeds of the mutation test below.
fn seeds() -> Vec<(LinkType, Vec<u8>)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/vectors/public");
    let mut out = vec![];
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(e.path()).unwrap_or_default()) else {
            continue;
        };
        let link = match v["framing"].as_str() {
            Some("ethernet") => LinkType::ETHERNET,
            Some("radiotap") => LinkType::IEEE802_11_RADIOTAP,
            Some("ipv4") => LinkType::IPV4,
            _ => continue,
        };
        if let Some(b) = v["hex"].as_str().and_then(|h| hex::decode(h).ok()) {
            out.push((link, b));
        }
    }
    out
}

proptest! {
    /// Vector frames with a few octets changed (lengths, flags, types) and cut anywhere still
    /// parse to a stack whose emit gives back exactly those octets.
    #[test]
    fn mutated_vector_frames_parse_losslessly(pick in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let s = seeds();
        prop_assume!(!s.is_empty());
        let (link, mut b) = s[pick.index(s.len())].clone();
        for (i, v) in edits {
            let at = i.index(b.len());
            b[at] = v;
        }
        let n = cut.index(b.len() + 1);
        prop_assert_eq!(stack::parse(link, &b[..n]).emit().unwrap(), &b[..n]);
        prop_assert_eq!(stack::parse(link, &b).emit().unwrap(), b);
    }
}
