//! The mobile-aware LNS (spec §7 LNS side, RFC 2661 §3.1), one test per clause. The LACs
//! are the reference [`Lac`]s, so every message is what a LAC really sends.

use agents::l2tp::{self, HandoffAvps, Lac, LacEvent, RESULT_ADMINISTRATIVE};
use agents::lns::{Lns, LnsConfig, LnsFault, LnsOut, MSG_HANDED_OFF, MSG_REFUSED};
use agents::Faults;
use codec::gid::Gid;
use codec::l2tp::avp::{AvpType, AvpValue};
use codec::l2tp::{Message, MessageType};
use std::net::Ipv4Addr;

const GW1: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const GW2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 40);

fn gid() -> Gid {
    Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d])
}

fn lns(faults: &[LnsFault]) -> Lns<Ipv4Addr> {
    let mut c = LnsConfig::new(
        "lns.example",
        Ipv4Addr::new(192, 0, 2, 1),
        Ipv4Addr::new(192, 0, 2, 100),
    );
    c.first_tunnel_id = 100;
    c.first_session_id = 2000;
    c.faults = Faults::of(faults);
    Lns::new(c)
}

/// Places one call from `lac` (at `addr`) and runs the exchange; returns every message the
/// LNS sent, with its destination, and the LAC's events.
fn call(
    l: &mut Lns<Ipv4Addr>,
    lac: &mut Lac,
    addr: Ipv4Addr,
    session: u16,
    csn: u32,
    cont: bool,
) -> (Vec<(Ipv4Addr, Message)>, Vec<LacEvent>) {
    let h = HandoffAvps {
        gid: gid(),
        cont,
        mandatory: false,
    };
    let mut to_l = lac.place_call(session, Some(csn), Some(h));
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        let mut back = Vec::new();
        for m in std::mem::take(&mut to_l) {
            for o in l.handle(addr, m) {
                if let LnsOut::Send { to, msg } = o {
                    sent.push((to, msg.clone()));
                    if to == addr {
                        back.push(msg);
                    }
                }
            }
        }
        for m in back {
            let (out, ev) = lac.receive(&m);
            to_l.extend(out);
            events.extend(ev);
        }
    }
    (sent, events)
}

fn cdns(sent: &[(Ipv4Addr, Message)]) -> Vec<(Ipv4Addr, u16, Option<u16>, Vec<u8>)> {
    sent.iter()
        .filter(|(_, m)| l2tp::message_type(m) == Some(MessageType::CDN))
        .map(|(to, m)| {
            let text = match l2tp::ietf(m, AvpType::RESULT_CODE) {
                Some(AvpValue::ResultCode { error, message, .. }) => {
                    assert_eq!(*error, Some(0), "error code 0");
                    message.clone()
                }
                _ => Vec::new(),
            };
            (*to, m.header.session, l2tp::result_code(m), text)
        })
        .collect()
}

#[test]
fn rfc2661_3_1_the_lns_assigns_tunnel_and_session_ids_and_uses_the_lacs() {
    let mut l = lns(&[]);
    let mut lac = Lac::new(10, "gw1");
    let (sent, events) = call(&mut l, &mut lac, GW1, 0x100, 7001, false);
    assert_eq!(
        events.first(),
        Some(&LacEvent::Connected {
            session: 0x100,
            peer_session: 2000
        })
    );
    assert_eq!(lac.tunnel.peer_id, 100, "Assigned Tunnel ID of the SCCRP");
    assert!(
        sent.iter().all(|(_, m)| m.header.tunnel == 10),
        "every message names the LAC's tunnel"
    );
    let icrp = sent
        .iter()
        .find(|(_, m)| l2tp::message_type(m) == Some(MessageType::ICRP))
        .expect("ICRP");
    assert_eq!(icrp.1.header.session, 0x100);
}

#[test]
fn l2tp_6_a_newer_csn_hands_off_and_clears_the_old_session() {
    let mut l = lns(&[]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, 7001, false);
    let (sent, events) = call(&mut l, &mut b, GW2, 0x200, 7002, true);
    assert!(events.contains(&LacEvent::Connected {
        session: 0x200,
        peer_session: 2001
    }));
    assert_eq!(
        cdns(&sent),
        vec![(
            GW1,
            0x100,
            Some(RESULT_ADMINISTRATIVE),
            MSG_HANDED_OFF.as_bytes().to_vec()
        )]
    );
    assert_eq!(l.session_of(&gid()).map(|(k, _)| k), Some(2001));
    assert_eq!(l.sessions().len(), 1, "the old session is gone");
}

#[test]
fn l2tp_6_an_older_or_equal_csn_is_refused() {
    for csn in [7001, 7000] {
        let mut l = lns(&[]);
        let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
        call(&mut l, &mut a, GW1, 0x100, 7001, false);
        let (sent, events) = call(&mut l, &mut b, GW2, 0x200, csn, true);
        assert_eq!(
            events,
            vec![LacEvent::Disconnected {
                session: 0x200,
                result: RESULT_ADMINISTRATIVE
            }],
            "CSN {csn}"
        );
        assert_eq!(
            cdns(&sent),
            vec![(
                GW2,
                0x200,
                Some(RESULT_ADMINISTRATIVE),
                MSG_REFUSED.as_bytes().to_vec()
            )]
        );
        assert_eq!(
            l.session_of(&gid()).map(|(k, _)| k),
            Some(2000),
            "the session stays where it was"
        );
    }
}

#[test]
fn l2tp_6_serial_arithmetic_across_the_wrap() {
    let mut l = lns(&[]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, u32::MAX, false);
    let (_, events) = call(&mut l, &mut b, GW2, 0x200, 0, true);
    assert!(
        events.contains(&LacEvent::Connected {
            session: 0x200,
            peer_session: 2001
        }),
        "0 is newer than 0xFFFFFFFF (RFC 1982)"
    );
}

#[test]
fn l2tp_7_with_continue_clear_the_csn_is_not_compared() {
    let mut l = lns(&[]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, 7001, false);
    let (sent, events) = call(&mut l, &mut b, GW2, 0x200, 6000, false);
    assert!(
        events.contains(&LacEvent::Connected {
            session: 0x200,
            peer_session: 2001
        }),
        "accepted although older"
    );
    // PPP starts anew on the new session: the LNS's LCP Configure-Request after ICCN.
    assert!(sent.iter().any(|(to, m)| *to == GW2 && matches!(&m.body, codec::l2tp::Body::Data(p) if p.get(2..4) == Some(&[0xc0, 0x21][..]))));
    // The faulty LNS compares and refuses.
    let mut l = lns(&[LnsFault::CompareCsnWithoutContinue]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, 7001, false);
    let (_, events) = call(&mut l, &mut b, GW2, 0x200, 6000, false);
    assert_eq!(
        events,
        vec![LacEvent::Disconnected {
            session: 0x200,
            result: RESULT_ADMINISTRATIVE
        }]
    );
}

#[test]
fn l2tp_6_faults_accept_older_and_keep_old_session() {
    let mut l = lns(&[LnsFault::AcceptOlderCsn]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, 7001, false);
    let (_, events) = call(&mut l, &mut b, GW2, 0x200, 7000, true);
    assert!(events.contains(&LacEvent::Connected {
        session: 0x200,
        peer_session: 2001
    }));
    let mut l = lns(&[LnsFault::NoClearOnHandoff]);
    let (mut a, mut b) = (Lac::new(10, "gw1"), Lac::new(20, "gw2"));
    call(&mut l, &mut a, GW1, 0x100, 7001, false);
    let (sent, _) = call(&mut l, &mut b, GW2, 0x200, 7002, true);
    assert!(cdns(&sent).is_empty());
    assert_eq!(l.sessions().len(), 2);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// L2TP-6 / L2TP-7 over random call schedules from three LACs: a hand-off (C = 1)
        /// is accepted exactly when its Call Serial Number is newer than the session's; a
        /// call with C = 0 is always accepted; the endpoint never has two sessions.
        #[test]
        fn l2tp_6_never_accepts_an_older_call_serial_number(calls in proptest::collection::vec((0usize..3, -4i64..6, any::<bool>()), 1..12)) {
            let mut l = lns(&[]);
            let mut lacs: Vec<Lac> = (0..3).map(|i| Lac::new(10 * (i as u16 + 1), "gw")).collect();
            let addrs = [GW1, GW2, Ipv4Addr::new(198, 51, 100, 60)];
            let mut csn: u32 = 0xFFFF_FFF0; // close to the wrap
            for (k, (i, delta, cont)) in calls.into_iter().enumerate() {
                let before = l.session_of(&gid()).map(|(_, s)| s.csn);
                let this = csn.wrapping_add(delta as u32);
                if delta > 0 {
                    csn = this;
                }
                let session = 0x100 * (i as u16 + 1) + k as u16;
                let (_, events) = call(&mut l, &mut lacs[i], addrs[i], session, this, cont);
                let accepted = events.iter().any(|e| matches!(e, LacEvent::Connected { session: s, .. } if *s == session));
                let expect = match before {
                    Some(Some(old)) if cont => codec::serial::newer(this, old),
                    _ => true,
                };
                prop_assert_eq!(accepted, expect, "call {} csn {} cont {} before {:?}", k, this, cont, before);
                prop_assert!(l.sessions().values().filter(|s| s.gid.as_ref() == Some(&gid())).count() <= 1);
            }
        }
    }
}
