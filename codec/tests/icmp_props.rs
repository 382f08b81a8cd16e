//! Property tests for the ICMP codec (RFC 792, RFC 1256, RFC 5944 §2.1, spec FMT-16): no
//! input panics; whatever parses re-encodes to exactly its input; a built advertisement
//! survives emit → parse with a verifying checksum.

use codec::agent_adv::AgentAdv;
use codec::icmp::{self, Icmp, IcmpView, RaExt, RouterAdvView};
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn icmp_bytes() -> impl Strategy<Value = Vec<u8>> {
    let ty = prop_oneof![Just(9u8), Just(10), Just(0), Just(8), Just(3), any::<u8>()];
    (ty, proptest::collection::vec(any::<u8>(), 0..80)).prop_map(|(t, mut rest)| {
        rest.insert(0, t);
        rest
    })
}

/// A Router Advertisement header with a small entry count and random extension bytes.
fn ra_bytes() -> impl Strategy<Value = Vec<u8>> {
    let ext = (
        prop_oneof![Just(0u8), Just(16), Just(19), Just(24), Just(255), any::<u8>()],
        proptest::collection::vec(any::<u8>(), 0..18),
    )
        .prop_map(|(t, d)| {
            let mut e = vec![t];
            if t != 0 {
                e.push(d.len() as u8);
                e.extend_from_slice(&d);
            }
            e
        });
    (0u8..3, 2u8..4, proptest::collection::vec(any::<u8>(), 24), proptest::collection::vec(ext, 0..5)).prop_map(
        |(n, size, entries, exts)| {
            let mut b = vec![9, 0, 0, 0, n, size, 0, 30];
            b.extend_from_slice(&entries[..usize::from(n) * usize::from(size) * 4]);
            exts.iter().for_each(|e| b.extend_from_slice(e));
            b
        },
    )
}

fn agent() -> impl Strategy<Value = AgentAdv> {
    (any::<u16>(), any::<u16>(), any::<u16>(), proptest::collection::vec(any::<u32>().prop_map(Ipv4Addr::from), 0..4))
        .prop_map(|(seq, lifetime, flags, coas)| AgentAdv { seq, lifetime, flags, coas })
}

fn ra_ext() -> impl Strategy<Value = RaExt> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..12);
    prop_oneof![
        Just(RaExt::Padding),
        agent().prop_map(RaExt::MobilityAgent),
        agent().prop_map(RaExt::VpnAgent),
        bytes().prop_map(RaExt::PrefixLengths),
        bytes().prop_map(RaExt::Challenge),
        (1u8..=254, bytes())
            .prop_filter("not an interpreted type", |(t, _)| ![16, 19, 24].contains(t))
            .prop_map(|(ext_type, data)| RaExt::Other { ext_type, data }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_never_panic_and_reencode_exactly(b in icmp_bytes()) {
        if let Ok(m) = Icmp::parse(&b) {
            let mut out = Vec::new();
            m.emit(&mut out).unwrap();
            prop_assert_eq!(out, b.clone());
        }
        if let Ok(v) = IcmpView::new(&b) {
            let _ = v.checksum_ok();
            if let Some(Ok(ra)) = v.router_adv() {
                let _ = icmp::ra_diagnostics(&ra);
            }
        }
    }

    #[test]
    fn advertisements_reencode_exactly(b in ra_bytes()) {
        if let Ok(m) = Icmp::parse(&b) {
            let mut out = Vec::new();
            m.emit(&mut out).unwrap();
            prop_assert_eq!(out, b.clone());
            let _ = icmp::ra_diagnostics(&RouterAdvView::new(&b).unwrap());
        }
    }

    #[test]
    fn built_advertisements_survive_emit_parse(
        routers in proptest::collection::vec((any::<u32>().prop_map(Ipv4Addr::from), any::<i32>()), 0..4),
        exts in proptest::collection::vec(ra_ext(), 0..5),
        lifetime in any::<u16>(),
    ) {
        let m = Icmp::router_advertisement(lifetime, &routers, exts);
        let b = m.to_bytes_fixed().unwrap();
        prop_assert_eq!(b.len(), m.buffer_len());
        prop_assert!(IcmpView::new(&b).unwrap().checksum_ok());
        let back = Icmp::parse(&b).unwrap();
        prop_assert_eq!(Icmp { checksum: 0, ..back }, m);
    }
}
