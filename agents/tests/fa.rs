//! Foreign agent procedures, one test per clause (spec §5, §6).

use agents::harness::{client_mac, fa_coa, fa_mac, FH_SPI, SERVER_ADDR, T0};
use agents::msg::{code, dn_code, Body, Msg, Reg};
use agents::{Action, Addr, AuthRole, Event, Fa, FaConfig, FaFault, Iface, Packet, Rx, Timer};
use codec::agent_adv::flags;
use codec::auth::{Algorithm, AuthKey};
use codec::ethernet::MVTP_MULTICAST;
use codec::gid::Gid;

fn fh_key() -> AuthKey {
    AuthKey { algorithm: Algorithm::HmacMd5, secret: b"foreign-home".to_vec() }
}

fn fa(faults: &[FaFault]) -> Fa {
    let mut cfg = FaConfig::new(fa_mac(0), fa_coa(0));
    cfg.keys.insert(FH_SPI, fh_key());
    cfg.faults = agents::Faults::of(faults);
    Fa::new(cfg)
}

fn from_client(c: usize, msg: Msg) -> Event {
    Event::Received(Rx {
        iface: Iface::Access,
        addr: Addr::Link { src: client_mac(c), dst: fa_mac(0) },
        packet: Packet::Mvtp(msg),
    })
}

fn from_server(msg: Msg) -> Event {
    Event::Received(Rx {
        iface: Iface::Core,
        addr: Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) },
        packet: Packet::Mvtp(msg),
    })
}

fn sent(actions: &[Action]) -> Vec<(Iface, Addr, Packet)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(Rx { iface, addr, packet }) => Some((*iface, *addr, packet.clone())),
            _ => None,
        })
        .collect()
}

fn msgs(actions: &[Action]) -> Vec<(Iface, Addr, Msg)> {
    sent(actions)
        .into_iter()
        .filter_map(|(i, a, p)| match p {
            Packet::Mvtp(m) => Some((i, a, m)),
            Packet::Esp { .. } => None,
        })
        .collect()
}

fn reg(cid: u32) -> Reg {
    Reg {
        reset: true,
        roam_notify: false,
        code: 0,
        lifetime: 1800,
        encap: 2,
        connect_id: cid,
        home: SERVER_ADDR,
        ident: 0x1234_5678_9abc_def0,
    }
}

fn rrq(c: usize, cid: u32) -> Msg {
    let mut m = Msg::new(0, Body::Rrq(reg(cid)));
    m.gid = Some(Gid::mac(client_mac(c)));
    m
}

fn rrp(leid: u16, cid: u32, code: u8) -> Msg {
    let mut r = reg(cid);
    r.code = code;
    Msg::new(leid, Body::Rrp(r))
}

/// Registers client `c` with Connect ID `cid` and returns its LEID.
fn register(f: &mut Fa, c: usize, cid: u32) -> u16 {
    let a = f.handle(T0, from_client(c, rrq(c, cid)));
    let leid = msgs(&a)[0].2.leid;
    f.handle(T0 + 5, from_server(rrp(leid, cid, code::ACCEPTED)));
    leid
}

fn faa_seq(m: &Msg) -> u16 {
    match &m.body {
        Body::Faa { adv, .. } => adv.seq,
        _ => panic!("not an MV-FAA"),
    }
}

#[test]
fn proc_1_fa_advertises_periodically_to_multicast_and_unicast_on_fas() {
    let mut f = fa(&[]);
    let a = f.handle(T0, Event::Start);
    let m = msgs(&a);
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: MVTP_MULTICAST });
    assert!(a.contains(&Action::SetTimer { timer: Timer::Advertise, at: T0 + 1000 }));
    let a = f.handle(T0 + 300, from_client(0, Msg::new(0, Body::Fas)));
    let m = msgs(&a);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(0) }, "FMT-15: unicast answer");
    assert!(matches!(m[0].2.body, Body::Faa { .. }));
}

#[test]
fn proc_2_sequence_counts_unicast_answers_and_wraps_to_256() {
    let mut f = fa(&[]);
    let s0 = faa_seq(&msgs(&f.handle(T0, Event::Start))[0].2);
    let s1 = faa_seq(&msgs(&f.handle(T0 + 1, from_client(0, Msg::new(0, Body::Fas))))[0].2);
    let s2 = faa_seq(&msgs(&f.handle(T0 + 1000, Event::TimerFired(Timer::Advertise)))[0].2);
    assert_eq!((s0, s1, s2), (0, 1, 2));
    let mut cfg = FaConfig::new(fa_mac(0), fa_coa(0));
    cfg.initial_seq = 0xFFFF;
    let mut f = Fa::new(cfg);
    let a = faa_seq(&msgs(&f.handle(T0, Event::Start))[0].2);
    let b = faa_seq(&msgs(&f.handle(T0 + 1000, Event::TimerFired(Timer::Advertise)))[0].2);
    assert_eq!((a, b), (0xFFFF, 256));
}

#[test]
fn proc_3_avp_7_faa_carries_the_advertisement_with_f_and_prefix_lengths() {
    let mut f = fa(&[]);
    let m = msgs(&f.handle(T0, Event::Start)).remove(0).2;
    let Body::Faa { adv, prefix_lengths } = m.body else { panic!() };
    assert!(adv.flags & flags::F != 0);
    assert_eq!(adv.coas, vec![fa_coa(0)]);
    assert_eq!(prefix_lengths, vec![24]);
    let mut f = fa(&[FaFault::NoPrefixLengths]);
    let m = msgs(&f.handle(T0, Event::Start)).remove(0).2;
    assert!(matches!(m.body, Body::Faa { ref prefix_lengths, .. } if prefix_lengths.is_empty()));
}

#[test]
fn proc_5_fa_allocates_unique_nonzero_leids_and_forwards_in_gre_to_home() {
    let mut f = fa(&[]);
    let a = f.handle(T0, from_client(0, rrq(0, 10)));
    let m = msgs(&a);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].0, Iface::Core);
    assert_eq!(m[0].1, Addr::Ip { src: fa_coa(0), dst: SERVER_ADDR });
    let l0 = m[0].2.leid;
    let l1 = msgs(&f.handle(T0, from_client(1, rrq(1, 10))))[0].2.leid;
    let l0b = msgs(&f.handle(T0 + 1000, from_client(0, rrq(0, 10))))[0].2.leid;
    assert!(l0 != 0 && l1 != 0 && l0 != l1);
    assert_eq!(l0, l0b, "a retransmission keeps the client's LEID");
}

#[test]
fn fault_reuse_leid_gives_two_clients_the_same_leid() {
    let mut f = fa(&[FaFault::ReuseLeid]);
    let l0 = msgs(&f.handle(T0, from_client(0, rrq(0, 10))))[0].2.leid;
    let l1 = msgs(&f.handle(T0, from_client(1, rrq(1, 10))))[0].2.leid;
    assert_eq!(l0, l1);
}

#[test]
fn proc_9_fa_opens_only_when_it_relays_rrp_code_0() {
    let mut f = fa(&[]);
    let leid = msgs(&f.handle(T0, from_client(0, rrq(0, 10))))[0].2.leid;
    assert!(!f.is_open_for(client_mac(0)));
    let a = f.handle(T0 + 5, from_server(rrp(leid, 10, code::ACCEPTED)));
    let m = msgs(&a);
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(0) }, "PROC-8: relayed on the access link");
    assert!(f.is_open_for(client_mac(0)));
    // A denial does not open.
    let leid = msgs(&f.handle(T0, from_client(1, rrq(1, 10))))[0].2.leid;
    f.handle(T0 + 5, from_server(rrp(leid, 10, code::STALE_CONNECT_ID)));
    assert!(!f.is_open_for(client_mac(1)));
}

#[test]
fn proc_11_data_relayed_both_ways_on_open_connection() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    let up = Msg::new(leid, Body::Data { encap: 2, payload: vec![1] });
    let m = msgs(&f.handle(T0 + 10, from_client(0, up)));
    assert_eq!((m[0].0, m[0].1), (Iface::Core, Addr::Ip { src: fa_coa(0), dst: SERVER_ADDR }));
    let down = Msg::new(leid, Body::Data { encap: 2, payload: vec![2] });
    let m = msgs(&f.handle(T0 + 10, from_server(down)));
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(0) });
}

#[test]
fn proc_12_fa_answers_data_on_a_closed_connection_with_dn_code_2() {
    let mut f = fa(&[]);
    // Never opened: a pending registration with Connect ID 10.
    let leid = msgs(&f.handle(T0, from_client(0, rrq(0, 10))))[0].2.leid;
    let data = Msg::new(leid, Body::Data { encap: 2, payload: vec![1] });
    let m = msgs(&f.handle(T0 + 1, from_client(0, data)));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(0) });
    assert_eq!(m[0].2.leid, leid, "echoes the PDU's LEID");
    assert!(matches!(m[0].2.body, Body::Dn { code: dn_code::INVALID_FOR_STATE, connect_id: 10, .. }));
    // No registration at all: Connect ID 0.
    let data = Msg::new(77, Body::Data { encap: 2, payload: vec![1] });
    let m = msgs(&f.handle(T0 + 1, from_client(1, data)));
    assert!(matches!(m[0].2.body, Body::Dn { code: 2, connect_id: 0, .. }));
    assert_eq!(m[0].2.leid, 77);
}

#[test]
fn proc_12_data_with_another_clients_leid_is_dropped_silently() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    let data = Msg::new(leid, Body::Data { encap: 2, payload: vec![1] });
    assert!(f.handle(T0 + 10, from_client(1, data)).is_empty());
}

#[test]
fn fault_no_dn_for_invalid_pdu_and_forward_data_when_closed() {
    let mut f = fa(&[FaFault::NoDnForInvalidPdu]);
    let data = Msg::new(5, Body::Data { encap: 2, payload: vec![1] });
    assert!(f.handle(T0, from_client(0, data)).is_empty());
    let mut f = fa(&[FaFault::ForwardDataWhenClosed]);
    let leid = msgs(&f.handle(T0, from_client(0, rrq(0, 10))))[0].2.leid;
    let data = Msg::new(leid, Body::Data { encap: 2, payload: vec![1] });
    assert_eq!(msgs(&f.handle(T0 + 1, from_client(0, data)))[0].0, Iface::Core);
}

fn roam_notify(leid: u16, cid: u32, sign: bool) -> Msg {
    let mut dn = Msg::new(leid, Body::Dn { code: dn_code::ROAMED, connect_id: cid, ident: 9 });
    if sign {
        agents::auth::sign(&mut dn, AuthRole::ForeignHome, FH_SPI, &fh_key());
    }
    dn
}

#[test]
fn proc_15_auth_7_fa_closes_on_roam_notify_and_does_not_relay_it() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    let a = f.handle(T0 + 10, from_server(roam_notify(leid, 10, true)));
    assert!(msgs(&a).is_empty(), "AUTH-7: not relayed");
    assert!(!f.is_open_for(client_mac(0)));
}

#[test]
fn auth_7_roam_notify_without_valid_foreign_home_auth_changes_nothing() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    f.handle(T0 + 10, from_server(roam_notify(leid, 10, false)));
    assert!(f.is_open_for(client_mac(0)));
    let mut dn = roam_notify(leid, 10, true);
    dn.auth[0].authenticator[0] ^= 1;
    f.handle(T0 + 10, from_server(dn));
    assert!(f.is_open_for(client_mac(0)), "AUTH-5");
}

#[test]
fn proc_14_roam_notify_with_another_connect_id_is_ignored() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    f.handle(T0 + 10, from_server(roam_notify(leid, 9, true)));
    assert!(f.is_open_for(client_mac(0)));
}

#[test]
fn fault_relay_roam_notify_relays_code_5() {
    let mut f = fa(&[FaFault::RelayRoamNotify]);
    let leid = register(&mut f, 0, 10);
    let m = msgs(&f.handle(T0 + 10, from_server(roam_notify(leid, 10, true))));
    assert_eq!(m[0].0, Iface::Access);
}

#[test]
fn proc_10_fa_relays_dn_code_1_and_closes() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    let dn = Msg::new(leid, Body::Dn { code: dn_code::EXPIRED, connect_id: 10, ident: 9 });
    let m = msgs(&f.handle(T0 + 10, from_server(dn)));
    assert_eq!(m[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(0) });
    assert!(!f.is_open_for(client_mac(0)));
}

#[test]
fn client_dn_code_0_is_forwarded_to_the_server_and_closes() {
    let mut f = fa(&[]);
    let leid = register(&mut f, 0, 10);
    let dn = Msg::new(leid, Body::Dn { code: dn_code::NORMAL, connect_id: 10, ident: 9 });
    let m = msgs(&f.handle(T0 + 10, from_client(0, dn)));
    assert_eq!(m[0].1, Addr::Ip { src: fa_coa(0), dst: SERVER_ADDR });
    assert!(!f.is_open_for(client_mac(0)));
}

#[test]
fn sec_2_fa_forwards_esp_to_the_client_named_by_spi_high_half() {
    let mut f = fa(&[]);
    let l0 = register(&mut f, 0, 10);
    let l1 = register(&mut f, 1, 10);
    let spi = u32::from(l1) << 16 | 0x0042;
    let ev = Event::Received(Rx {
        iface: Iface::Core,
        addr: Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) },
        packet: Packet::Esp { spi, datagram: vec![0x45, 0, 1, 2] },
    });
    let s = sent(&f.handle(T0 + 10, ev));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].1, Addr::Link { src: fa_mac(0), dst: client_mac(1) });
    assert_eq!(s[0].2, Packet::Esp { spi, datagram: vec![0x45, 0, 1, 2] }, "unchanged");
    assert_ne!(l0, l1);
    // An SPI naming no open connection goes nowhere.
    let ev = Event::Received(Rx {
        iface: Iface::Core,
        addr: Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) },
        packet: Packet::Esp { spi: 0x7777_0001, datagram: vec![0x45] },
    });
    assert!(f.handle(T0 + 10, ev).is_empty());
}

#[test]
fn fa_denies_ppp_to_l2tp_without_gateway_with_code_72() {
    let mut f = fa(&[]);
    let mut m = rrq(0, 10);
    if let Body::Rrq(r) = &mut m.body {
        r.encap = 1;
    }
    let out = msgs(&f.handle(T0, from_client(0, m)));
    let Body::Rrp(r) = &out[0].2.body else { panic!() };
    assert_eq!((r.code, r.lifetime, r.connect_id), (code::FA_ENCAP_UNAVAILABLE, 0, 10));
    assert_eq!(r.ident, reg(10).ident, "FMT-13");
}

#[test]
fn auth_4_fa_originated_pdus_carry_mobile_foreign_auth_when_an_sa_exists() {
    let mut cfg = FaConfig::new(fa_mac(0), fa_coa(0));
    let mf = AuthKey { algorithm: Algorithm::HmacSha256, secret: b"mobile-foreign".to_vec() };
    cfg.keys.insert(0x300, mf.clone());
    cfg.mf_spi = Some(0x300);
    let mut f = Fa::new(cfg);
    let data = Msg::new(5, Body::Data { encap: 2, payload: vec![1] });
    let m = msgs(&f.handle(T0, from_client(0, data)));
    let mut keys = codec::auth::KeyStore::new();
    keys.insert(0x300, mf);
    assert_eq!(m[0].2.auth.len(), 1);
    assert_eq!(m[0].2.auth[0].authenticator.len(), 32, "HMAC-SHA-256");
    assert_eq!(agents::auth::verify(&m[0].2, AuthRole::MobileForeign, &keys), agents::auth::Verdict::Valid);
    // A client MF authenticator that does not verify: code 67 [AUTH-5].
    let mut req = rrq(0, 10);
    agents::auth::sign(&mut req, AuthRole::MobileForeign, 0x300, &fh_key());
    let out = msgs(&f.handle(T0, from_client(0, req)));
    assert!(matches!(&out[0].2.body, Body::Rrp(r) if r.code == code::FA_CLIENT_AUTH));
    assert!(f.connections().is_empty(), "no state change");
}

#[test]
fn proc_5_leids_stay_unique_and_nonzero_across_many_clients_and_reuse() {
    let mut f = fa(&[]);
    let mac = |i: u16| [0x02, 0x10, 0, 0, (i >> 8) as u8, i as u8];
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..300u16 {
        let mut m = rrq(0, 10);
        m.gid = Some(Gid::mac(mac(i)));
        let ev = Event::Received(Rx {
            iface: Iface::Access,
            addr: Addr::Link { src: mac(i), dst: fa_mac(0) },
            packet: Packet::Mvtp(m),
        });
        let leid = msgs(&f.handle(T0, ev))[0].2.leid;
        assert_ne!(leid, 0);
        assert!(seen.insert(leid), "LEID {leid} given twice");
    }
    assert_eq!(f.connections().len(), 300);
}

#[test]
fn fa_denies_a_lifetime_above_its_advertised_one_with_code_69() {
    let mut f = fa(&[]);
    f.config_mut().adv_lifetime = 600;
    let out = msgs(&f.handle(T0, from_client(0, rrq(0, 10))));
    assert_eq!(out[0].0, Iface::Access);
    assert!(matches!(&out[0].2.body, Body::Rrp(r) if r.code == 69 && r.lifetime == 0));
}
