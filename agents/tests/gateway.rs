//! The FA's VPN gateway (spec §7), one test per clause, against the reference LNS.

use agents::gateway::{Gateway, GatewayConfig, GatewayFault, GwIn, GwOut};
use agents::harness::{client_mac, fa_coa, fa_mac};
use agents::l2tp::{self, RESULT_ADMINISTRATIVE};
use agents::lns::{Lns, LnsConfig, LnsOut};
use agents::msg::{code, dn_code, encap, Body, Msg, Reg};
use agents::{Action, Addr, Event, FaConfig, Faults, Iface, Packet, Rx};
use codec::gid::Gid;
use codec::l2tp::{Message, MessageType};
use codec::numbers::VendorId;
use std::net::Ipv4Addr;

const LNS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
const CID: u32 = 7001;
const LCP: &[u8] = &[0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];

fn gateway(faults: &[GatewayFault]) -> Gateway {
    let mut g = GatewayConfig::new(FaConfig::new(fa_mac(0), fa_coa(0)), "gw1.example");
    g.first_session_id = 0x100;
    g.faults = Faults::of(faults);
    Gateway::new(g)
}

fn lns() -> Lns<Ipv4Addr> {
    let mut c = LnsConfig::new(
        "lns.example",
        Ipv4Addr::new(192, 0, 2, 1),
        Ipv4Addr::new(192, 0, 2, 100),
    );
    c.first_session_id = 2000;
    Lns::new(c)
}

fn rrq(cid: u32, reset: bool) -> Msg {
    let r = Reg {
        reset,
        roam_notify: !reset,
        code: 0,
        lifetime: 1800,
        encap: encap::PPP_TO_L2TP,
        connect_id: cid,
        home: LNS,
        ident: u64::from(cid),
    };
    let mut m = Msg::new(0, Body::Rrq(r));
    m.gid = Some(Gid::mac(client_mac(0)));
    m
}

fn from_client(msg: Msg) -> GwIn {
    GwIn::Mvtp(Event::Received(Rx {
        iface: Iface::Access,
        addr: Addr::Link {
            src: client_mac(0),
            dst: fa_mac(0),
        },
        packet: Packet::Mvtp(msg),
    }))
}

fn to_lns(out: &[GwOut]) -> Vec<Message> {
    out.iter()
        .filter_map(|o| match o {
            GwOut::L2tp { dst, msg } if *dst == LNS => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

fn to_client(out: &[GwOut]) -> Vec<Msg> {
    out.iter()
        .filter_map(|o| match o {
            GwOut::Mvtp(Action::Send(Rx {
                iface: Iface::Access,
                packet: Packet::Mvtp(m),
                ..
            })) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Runs messages between the gateway and the LNS until both are quiet; returns every
/// gateway output.
fn exchange(g: &mut Gateway, l: &mut Lns<Ipv4Addr>, first: Vec<GwOut>) -> Vec<GwOut> {
    let mut all = first.clone();
    let mut to_l = to_lns(&first);
    for _ in 0..10 {
        let mut back = Vec::new();
        for m in std::mem::take(&mut to_l) {
            back.extend(l.handle(fa_coa(0), m).into_iter().filter_map(|o| match o {
                LnsOut::Send { msg, .. } => Some(msg),
                _ => None,
            }));
        }
        for m in back {
            let out = g.handle(0, GwIn::L2tp { src: LNS, msg: m });
            to_l.extend(to_lns(&out));
            all.extend(out);
        }
    }
    all
}

fn types(ms: &[Message]) -> Vec<Option<MessageType>> {
    ms.iter().map(l2tp::message_type).collect()
}

#[test]
fn l2tp_1_first_rrq_opens_the_control_connection_then_icrq_with_csn_and_handoff_avps() {
    let mut g = gateway(&[]);
    let out = g.handle(0, from_client(rrq(CID, true)));
    assert_eq!(
        types(&to_lns(&out)),
        vec![Some(MessageType::SCCRQ)],
        "no control connection yet: SCCRQ first"
    );
    assert!(to_client(&out).is_empty(), "L2TP-3: no MV-RRP before ICRP");
    let mut l = lns();
    let all = exchange(&mut g, &mut l, out);
    let icrq = to_lns(&all)
        .into_iter()
        .find(|m| l2tp::message_type(m) == Some(MessageType::ICRQ))
        .expect("ICRQ");
    assert_eq!(
        l2tp::call_serial_number(&icrq),
        Some(CID),
        "Call Serial Number = Connect ID"
    );
    assert_eq!(
        l2tp::handoff(&icrq),
        (Some(Gid::mac(client_mac(0))), Some(false)),
        "L2TP-2: C = NOT R"
    );
    assert!(
        l2tp::avps(&icrq)
            .iter()
            .filter(|a| a.vendor == VendorId::HANDOFF)
            .all(|a| !a.mandatory),
        "M = 0"
    );
    assert_eq!(
        l2tp::avps(&icrq)
            .iter()
            .filter(|a| a.vendor == VendorId::HANDOFF)
            .count(),
        2
    );
}

#[test]
fn l2tp_3_mv_rrp_after_icrp_and_a_retransmission_at_once() {
    let mut g = gateway(&[]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID, true)));
    let all = exchange(&mut g, &mut l, first);
    let sent = to_lns(&all);
    let iccn = sent
        .iter()
        .position(|m| l2tp::message_type(m) == Some(MessageType::ICCN))
        .expect("ICCN after ICRP");
    assert!(sent[..iccn]
        .iter()
        .any(|m| l2tp::message_type(m) == Some(MessageType::ICRQ)));
    let rrps: Vec<Msg> = to_client(&all)
        .into_iter()
        .filter(|m| matches!(m.body, Body::Rrp(_)))
        .collect();
    assert_eq!(rrps.len(), 1);
    let Body::Rrp(r) = &rrps[0].body else {
        panic!("an MV-RRP")
    };
    assert_eq!((r.code, r.connect_id, r.reset), (code::ACCEPTED, CID, true));
    assert!(rrps[0].leid >= agents::gateway::LEID_BASE);
    assert!(
        g.is_open_for(client_mac(0)),
        "PROC-9: OPEN when the gateway sends MV-RRP"
    );
    // A retransmission (same Connect ID) for the session that exists: MV-RRP at once.
    let again = g.handle(0, from_client(rrq(CID, true)));
    assert!(to_lns(&again).is_empty());
    assert!(matches!(
        to_client(&again)[..],
        [Msg {
            body: Body::Rrp(_),
            ..
        }]
    ));
}

#[test]
fn l2tp_4_ppp_frames_cross_unchanged_both_ways() {
    let mut g = gateway(&[]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID, true)));
    let all = exchange(&mut g, &mut l, first);
    let leid = to_client(&all)
        .iter()
        .find(|m| matches!(m.body, Body::Rrp(_)))
        .expect("MV-RRP")
        .leid;
    let out = g.handle(
        0,
        from_client(Msg::new(
            leid,
            Body::Data {
                encap: encap::PPP_TO_L2TP,
                payload: LCP.to_vec(),
            },
        )),
    );
    let data = to_lns(&out);
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].body, codec::l2tp::Body::Data(LCP.to_vec()));
    let (_, s) = l.session_of(&Gid::mac(client_mac(0))).expect("LNS session");
    assert_eq!(
        data[0].header.session, 2000,
        "the LNS's Session ID [RFC 2661 §3.1]"
    );
    let down = Message {
        header: codec::l2tp::Header {
            has_length: true,
            tunnel: 1,
            session: s.peer_session,
            ..Default::default()
        },
        body: codec::l2tp::Body::Data(LCP.to_vec()),
    };
    let out = g.handle(
        0,
        GwIn::L2tp {
            src: LNS,
            msg: down,
        },
    );
    let m = to_client(&out);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].body,
        Body::Data {
            encap: encap::PPP_TO_L2TP,
            payload: LCP.to_vec()
        }
    );
}

#[test]
fn l2tp_5_cdn_gives_mv_dn_code_3_and_mv_dn_gives_cdn() {
    let mut g = gateway(&[]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID, true)));
    let all = exchange(&mut g, &mut l, first);
    let leid = to_client(&all)
        .iter()
        .find(|m| matches!(m.body, Body::Rrp(_)))
        .expect("MV-RRP")
        .leid;
    // The client's MV-DN → CDN with Result Code 3 for the LNS's session.
    let out = g.handle(
        0,
        from_client(Msg::new(
            leid,
            Body::Dn {
                code: dn_code::NORMAL,
                connect_id: CID,
                ident: 1,
            },
        )),
    );
    let cdn = to_lns(&out);
    assert_eq!(types(&cdn), vec![Some(MessageType::CDN)]);
    assert_eq!(
        (cdn[0].header.session, l2tp::result_code(&cdn[0])),
        (2000, Some(RESULT_ADMINISTRATIVE))
    );
    // A CDN from the LNS → MV-DN code 3 to the client.
    let mut g = gateway(&[]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID, true)));
    exchange(&mut g, &mut l, first);
    let mut t = l2tp::Tunnel::new(1);
    t.peer_id = 1;
    t.ns = 2; // SCCRP and ICRP went before
    let clear = t.control(
        0x100,
        l2tp::cdn_avps(RESULT_ADMINISTRATIVE, "session handed off", 2000),
    );
    let out = g.handle(
        0,
        GwIn::L2tp {
            src: LNS,
            msg: clear,
        },
    );
    let dn = to_client(&out);
    assert_eq!(dn.len(), 1);
    assert!(matches!(
        dn[0].body,
        Body::Dn {
            code: dn_code::L2TP_CDN,
            connect_id: CID,
            ..
        }
    ));
    assert!(!g.is_open_for(client_mac(0)));
}

#[test]
fn l2tp_2_a_roam_registration_asks_to_continue() {
    let mut g = gateway(&[]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID + 1, false)));
    let all = exchange(&mut g, &mut l, first);
    let icrq = to_lns(&all)
        .into_iter()
        .find(|m| l2tp::message_type(m) == Some(MessageType::ICRQ))
        .expect("ICRQ");
    assert_eq!(l2tp::handoff(&icrq).1, Some(true), "R = 0 → C = 1");
}

#[test]
fn fault_knobs_break_their_clause_and_announce_it() {
    let mut g = gateway(&[
        GatewayFault::CsnNotConnectId,
        GatewayFault::HandoffAvpsMandatory,
    ]);
    let mut l = lns();
    let first = g.handle(0, from_client(rrq(CID, true)));
    let all = exchange(&mut g, &mut l, first);
    let at = all.iter().position(|o| matches!(o, GwOut::L2tp { msg, .. } if l2tp::message_type(msg) == Some(MessageType::ICRQ))).expect("ICRQ");
    assert!(
        matches!(all[at - 1], GwOut::Injected(_)),
        "the marker comes just before the faulty message"
    );
    let GwOut::L2tp { msg, .. } = &all[at] else {
        unreachable!()
    };
    assert_eq!(
        l2tp::call_serial_number(msg),
        Some(CID - 1),
        "L2TP-1 broken on purpose"
    );
    assert!(l2tp::avps(msg)
        .iter()
        .filter(|a| a.vendor == VendorId::HANDOFF)
        .all(|a| a.mandatory));
    let mut early = gateway(&[GatewayFault::RrpBeforeIcrp]);
    let out = early.handle(0, from_client(rrq(CID, true)));
    assert_eq!(
        to_client(&out).len(),
        1,
        "L2TP-3 broken on purpose: MV-RRP with the SCCRQ"
    );
}

#[test]
fn auth_5_a_mobile_foreign_authenticator_that_fails_is_denied_with_67() {
    use codec::auth::{Algorithm, AuthKey, KeyStore};
    let key = |s: &[u8]| AuthKey {
        algorithm: Algorithm::HmacMd5,
        secret: s.to_vec(),
    };
    let mut cfg = GatewayConfig::new(FaConfig::new(fa_mac(0), fa_coa(0)), "gw1.example");
    cfg.fa.keys.insert(0x300, key(b"client-fa key"));
    let mut g = Gateway::new(cfg);
    let mut wrong = KeyStore::new();
    wrong.insert(0x300, key(b"not the key"));
    let mut m = rrq(CID, true);
    agents::auth::sign_with(&mut m, agents::AuthRole::MobileForeign, 0x300, &wrong);
    let out = g.handle(0, from_client(m));
    assert!(
        to_lns(&out).is_empty(),
        "no call for a request that does not authenticate"
    );
    let r = to_client(&out);
    assert!(matches!(
        &r[..],
        [Msg {
            body: Body::Rrp(Reg {
                code: code::FA_CLIENT_AUTH,
                lifetime: 0,
                ..
            }),
            ..
        }]
    ));
    // Signed with the right key: the call is placed.
    let mut right = KeyStore::new();
    right.insert(0x300, key(b"client-fa key"));
    let mut m = rrq(CID, true);
    agents::auth::sign_with(&mut m, agents::AuthRole::MobileForeign, 0x300, &right);
    assert_eq!(
        types(&to_lns(&g.handle(0, from_client(m)))),
        vec![Some(MessageType::SCCRQ)]
    );
}
