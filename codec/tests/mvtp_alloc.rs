//! The zero-copy view decode of an MVTP PDU allocates nothing (STYLE §4): a counting
//! global allocator around `PduView::new`, every getter, the AVP walk with typed values
//! and the spec §2.1 check of a well-formed MV-RRQ (three AVPs) and MV-DATA.
//! In its own test binary so that no other test allocates concurrently.

use codec::gid::Gid;
use codec::mvtp::{self, Auth, AuthRole, Avp, AvpValue, Body, DataFields, Encap, Fixed, Pdu, PduView, Registration, ValueView};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::hint::black_box;
use std::net::Ipv4Addr;

// A counting allocator without `unsafe` in this crate (the workspace forbids it).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn rrq() -> Vec<u8> {
    let mut p = Pdu::new(
        0,
        Body::Rrq(Registration {
            flags: mvtp::FLAG_RESET,
            lifetime: 1800,
            encap: Encap::L2TP_TRANSPORT,
            connect_id: 1001,
            home_addr: Ipv4Addr::new(203, 0, 113, 5),
            ident: 0xe99d415e1a2b3c4d,
            ..Registration::default()
        }),
    );
    p.avps
        .push(Avp::new(AvpValue::Gid(Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]))));
    p.avps.push(Avp::new(AvpValue::Message(b"hello".to_vec())));
    p.avps.push(Avp::new(AvpValue::Auth(Auth {
        role: AuthRole::MobileHome,
        spi: 256,
        authenticator: vec![7; 16],
    })));
    p.to_bytes().unwrap()
}

fn data() -> Vec<u8> {
    let mut p = Pdu::new(
        5,
        Body::Data(DataFields {
            encap: Encap::L2TP_TRANSPORT,
            reserved: 0,
        }),
    );
    p.payload = vec![0x5a; 1400];
    p.to_bytes().unwrap()
}

/// Everything a dissector reads from a PDU, through `black_box`.
fn view_decode(b: &[u8]) -> usize {
    let v = PduView::new(b).unwrap();
    black_box((
        v.version(),
        v.reserved(),
        v.pdu_type(),
        v.pdu_length(),
        v.leid(),
        v.avp_length(),
    ));
    black_box(v.fixed());
    if let Fixed::Rrq(g) = v.fixed() {
        black_box((
            g.reset(),
            g.roam_notify(),
            g.code,
            g.lifetime,
            g.encap,
            g.connect_id,
            g.home_addr,
            g.ident,
        ));
    }
    let mut n = 0;
    for a in v.avps() {
        let a = a.unwrap();
        black_box((a.mandatory(), a.vendor_id, a.attr_type));
        match a.decode().unwrap() {
            ValueView::Gid(g) => {
                black_box((g.class, g.address));
            }
            ValueView::Auth { spi, authenticator, .. } => {
                black_box((spi, authenticator));
            }
            x => {
                black_box(x);
            }
        }
        n += 1;
    }
    let r = v.check(None);
    assert!(r.error.is_none() && r.warnings.is_empty());
    black_box(v.payload());
    n
}

#[test]
fn view_decode_allocates_nothing() {
    let (rrq, data) = (rrq(), data());
    // Warm up (lazy statics, thread-locals of the test harness).
    view_decode(&rrq);
    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        assert_eq!(view_decode(&rrq), 3);
        assert_eq!(view_decode(&data), 0);
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "view decode allocated: {stats:?}"
    );
    // The counter works: an owned parse allocates.
    let region = Region::new(GLOBAL);
    black_box(Pdu::parse(&rrq).unwrap());
    assert!(region.change().allocations > 0);
}
