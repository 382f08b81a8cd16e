//! Client procedures, one test per clause (spec §5).

use agents::harness::{client_mac, fa_coa, fa_mac, mh_spi, SERVER_ADDR, T0};
use agents::msg::{code, dn_code, Body, Msg, Reg};
use agents::{
    Action, Addr, Client, ClientConfig, ClientFault, ClientState, Event, Iface, Indication, Packet, Rng, Rx, Timer,
};
use codec::agent_adv::{flags, AgentAdv};
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::ethernet::MVTP_MULTICAST;
use codec::gid::Gid;

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(mh_spi(0), AuthKey { algorithm: Algorithm::HmacMd5, secret: b"mobile-home-0".to_vec() });
    k
}

fn client(faults: &[ClientFault]) -> Client {
    let mut cfg = ClientConfig::new(client_mac(0), Gid::mac(client_mac(0)), SERVER_ADDR);
    cfg.keys = keys();
    cfg.mh_spi = Some(mh_spi(0));
    cfg.initial_connect_id = Some(100);
    cfg.faults = agents::Faults::of(faults);
    Client::new(cfg, Rng::new(1))
}

fn faa(seq: u16, f: usize) -> Event {
    let adv = AgentAdv { seq, lifetime: 1800, flags: flags::F, coas: vec![fa_coa(f)] };
    Event::Received(Rx {
        iface: Iface::Access,
        addr: Addr::Link { src: fa_mac(f), dst: MVTP_MULTICAST },
        packet: Packet::Mvtp(Msg::new(0, Body::Faa { adv, prefix_lengths: vec![24] })),
    })
}

fn from_fa(f: usize, msg: Msg) -> Event {
    Event::Received(Rx {
        iface: Iface::Access,
        addr: Addr::Link { src: fa_mac(f), dst: client_mac(0) },
        packet: Packet::Mvtp(msg),
    })
}

fn sent(actions: &[Action]) -> Vec<(Addr, Msg)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(Rx { addr, packet: Packet::Mvtp(m), .. }) => Some((*addr, m.clone())),
            _ => None,
        })
        .collect()
}

fn rrqs(actions: &[Action]) -> Vec<Reg> {
    sent(actions)
        .into_iter()
        .filter_map(|(_, m)| match m.body {
            Body::Rrq(r) => Some(r),
            _ => None,
        })
        .collect()
}

fn timer_at(actions: &[Action], t: Timer) -> Option<u64> {
    actions.iter().find_map(|a| match a {
        Action::SetTimer { timer, at } if *timer == t => Some(*at),
        _ => None,
    })
}

/// The reply the server would send to `rrq` (code, lifetime), signed like the server.
fn rrp(rrq: &Reg, leid: u16, code: u8, lifetime: u16) -> Msg {
    let mut r = rrq.clone();
    r.code = code;
    r.lifetime = lifetime;
    let mut m = Msg::new(leid, Body::Rrp(r));
    agents::auth::sign_with(&mut m, agents::AuthRole::MobileHome, mh_spi(0), &keys());
    m
}

/// A client that is OPEN through FA 0 with LEID 7; returns it and its last RRQ.
fn open_client(faults: &[ClientFault]) -> (Client, Reg) {
    let mut c = client(faults);
    c.handle(T0, Event::Connect);
    let a = c.handle(T0 + 10, faa(0, 0));
    let rrq = rrqs(&a).pop().unwrap();
    let a = c.handle(T0 + 20, from_fa(0, rrp(&rrq, 7, code::ACCEPTED, 100)));
    assert!(a.contains(&Action::Indicate(Indication::Open { leid: 7, lifetime: 100, gid: None })));
    (c, rrq)
}

#[test]
fn proc_1_client_solicits_when_no_fa_is_known() {
    let mut c = client(&[]);
    let a = c.handle(T0, Event::Connect);
    let s = sent(&a);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, Addr::Link { src: client_mac(0), dst: MVTP_MULTICAST });
    assert_eq!(s[0].1.body, Body::Fas);
    assert_eq!(c.state(), ClientState::Discovering);
    assert_eq!(timer_at(&a, Timer::Solicit), Some(T0 + 1000));
}

#[test]
fn proc_4_initial_rrq_has_reset_leid_0_gid_and_mobile_home_auth() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let a = c.handle(T0 + 10, faa(0, 0));
    let s = sent(&a);
    assert_eq!(s.len(), 1);
    let (addr, m) = &s[0];
    assert_eq!(*addr, Addr::Link { src: client_mac(0), dst: fa_mac(0) });
    assert_eq!(m.leid, 0);
    assert_eq!(m.gid, Some(Gid::mac(client_mac(0))));
    assert_eq!(agents::auth::verify(m, agents::AuthRole::MobileHome, &keys()), agents::auth::Verdict::Valid);
    let r = m.reg().unwrap();
    assert!(r.reset && !r.roam_notify);
    assert_eq!((r.code, r.connect_id, r.home, r.lifetime), (0, 100, SERVER_ADDR, 1800));
    assert_eq!(r.ident, agents::msg::ntp_timestamp(T0 + 10));
}

#[test]
fn proc_4_retransmission_same_connect_id_fresh_ident_timeout_doubling_to_8s() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let a = c.handle(T0, faa(0, 0));
    let first = sent(&a).pop().unwrap().1;
    let mut t = T0;
    let mut gaps = Vec::new();
    let mut next = timer_at(&a, Timer::Retransmit).unwrap();
    let mut prev = first.clone();
    for _ in 0..5 {
        gaps.push(next - t);
        t = next;
        let a = c.handle(t, Event::TimerFired(Timer::Retransmit));
        let m = sent(&a).pop().unwrap().1;
        let (r, p) = (m.reg().unwrap(), prev.reg().unwrap());
        assert_eq!(r.connect_id, p.connect_id, "PROC-4: same Connect ID");
        assert!(r.ident > p.ident, "PROC-4: fresh Identification");
        assert_ne!(m.auth[0].authenticator, prev.auth[0].authenticator, "new authenticator");
        assert!(r.reset, "R stays set in retransmissions of the initial MV-RRQ");
        let mut same = r.clone();
        same.ident = p.ident;
        assert_eq!(&same, p, "every other field unchanged");
        prev = m;
        next = timer_at(&a, Timer::Retransmit).unwrap();
    }
    gaps.push(next - t);
    assert_eq!(gaps, vec![1000, 2000, 4000, 8000, 8000, 8000]);
}

#[test]
fn proc_4_late_reply_to_an_earlier_transmission_is_accepted() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let first = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    c.handle(T0 + 1000, Event::TimerFired(Timer::Retransmit));
    c.handle(T0 + 1500, from_fa(0, rrp(&first, 3, code::ACCEPTED, 60)));
    assert!(c.is_open());
}

#[test]
fn fmt_13_reply_with_unknown_identification_is_ignored() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let mut first = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    first.ident ^= 0xFFFF;
    c.handle(T0 + 500, from_fa(0, rrp(&first, 3, code::ACCEPTED, 60)));
    assert!(!c.is_open());
}

#[test]
fn auth_5_reply_with_bad_authenticator_changes_nothing() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let first = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    let mut m = rrp(&first, 3, code::ACCEPTED, 60);
    m.auth[0].authenticator[3] ^= 0x40;
    c.handle(T0 + 500, from_fa(0, m.clone()));
    assert_eq!(c.state(), ClientState::Registering);
    m.auth.clear();
    c.handle(T0 + 600, from_fa(0, m));
    assert_eq!(c.state(), ClientState::Registering, "AUTH-4: the server's reply must carry MH");
}

#[test]
fn proc_10_reregisters_at_80_percent_with_new_connect_id_and_no_reset() {
    let (mut c, rrq) = open_client(&[]);
    // open_client accepted at T0+20 with lifetime 100 s → 80 s later.
    let a = c.handle(T0 + 20 + 80_000, Event::TimerFired(Timer::Reregister));
    let r = rrqs(&a).pop().unwrap();
    assert_eq!(r.connect_id, rrq.connect_id + 1, "PROC-4: new attempt, new Connect ID");
    assert!(!r.reset && !r.roam_notify);
    assert!(c.is_open(), "the connection stays OPEN during a re-registration");
}

#[test]
fn proc_10_reregistration_timer_is_80_percent_of_granted_lifetime() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let rrq = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    let a = c.handle(T0 + 5, from_fa(0, rrp(&rrq, 7, code::ACCEPTED, 50)));
    assert_eq!(timer_at(&a, Timer::Reregister), Some(T0 + 5 + 40_000));
}

#[test]
fn proc_15_roam_registers_at_once_with_roam_notify() {
    let (mut c, rrq) = open_client(&[]);
    let a = c.handle(T0 + 1000, Event::Roam { fa: Some(fa_mac(1)) });
    let s = sent(&a);
    assert_eq!(s[0].0, Addr::Link { src: client_mac(0), dst: fa_mac(1) });
    let r = s[0].1.reg().unwrap();
    assert!(r.roam_notify && !r.reset);
    assert_eq!(r.connect_id, rrq.connect_id + 1);
    assert!(!c.is_open(), "PROC-11: not open at the new FA before its MV-RRP");
    assert!(c.handle(T0 + 1001, Event::SendData { peer: None, payload: vec![1] }).is_empty());
}

#[test]
fn proc_15_roam_to_unknown_fa_solicits_then_registers_with_n() {
    let (mut c, _) = open_client(&[]);
    let a = c.handle(T0 + 1000, Event::Roam { fa: None });
    assert_eq!(sent(&a)[0].1.body, Body::Fas);
    let a = c.handle(T0 + 1200, faa(9, 1));
    let r = rrqs(&a).pop().unwrap();
    assert!(r.roam_notify);
    assert_eq!(c.fa(), Some(fa_mac(1)));
}

#[test]
fn proc_2_fa_restart_makes_the_client_register_again() {
    let (mut c, rrq) = open_client(&[]);
    c.handle(T0 + 1000, faa(300, 0));
    let a = c.handle(T0 + 2000, faa(0, 0));
    assert!(a.contains(&Action::Indicate(Indication::FaRestarted)));
    let r = rrqs(&a).pop().unwrap();
    assert_eq!(r.connect_id, rrq.connect_id + 1);
    assert!(!r.reset);
}

#[test]
fn proc_2_sequence_wrap_to_256_is_not_a_restart() {
    let (mut c, _) = open_client(&[]);
    c.handle(T0 + 1000, faa(0xFFFF, 0));
    let a = c.handle(T0 + 2000, faa(256, 0));
    assert!(a.is_empty());
    assert!(c.is_open());
}

#[test]
fn proc_9_proc_11_data_only_when_open() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    c.handle(T0, faa(0, 0));
    assert!(sent(&c.handle(T0 + 1, Event::SendData { peer: None, payload: vec![1] })).is_empty());
    let (mut c, _) = open_client(&[]);
    let s = sent(&c.handle(T0 + 30, Event::SendData { peer: None, payload: vec![1, 2] }));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].1.leid, 7);
    assert_eq!(s[0].1.body, Body::Data { encap: 2, payload: vec![1, 2] });
}

#[test]
fn proc_12_client_ignores_dn_with_a_foreign_leid() {
    let (mut c, rrq) = open_client(&[]);
    let dn = Msg::new(8, Body::Dn { code: dn_code::INVALID_FOR_STATE, connect_id: rrq.connect_id, ident: 0 });
    assert!(c.handle(T0 + 30, from_fa(0, dn.clone())).is_empty());
    assert!(c.is_open());
    // …and with the fault it acts on it.
    let (mut c, _) = open_client(&[ClientFault::AcceptForeignLeid]);
    c.handle(T0 + 30, from_fa(0, dn));
    assert!(!c.is_open());
}

#[test]
fn proc_14_dn_with_another_connect_id_is_ignored() {
    let (mut c, rrq) = open_client(&[]);
    let dn = Msg::new(7, Body::Dn { code: dn_code::INVALID_FOR_STATE, connect_id: rrq.connect_id + 5, ident: 0 });
    c.handle(T0 + 30, from_fa(0, dn));
    assert!(c.is_open());
}

#[test]
fn proc_10_dn_code_1_from_server_closes() {
    let (mut c, rrq) = open_client(&[]);
    let mut dn = Msg::new(7, Body::Dn { code: dn_code::EXPIRED, connect_id: rrq.connect_id, ident: 1 });
    agents::auth::sign_with(&mut dn, agents::AuthRole::MobileHome, mh_spi(0), &keys());
    let a = c.handle(T0 + 30, from_fa(0, dn));
    assert!(a.contains(&Action::Indicate(Indication::Closed { leid: 7, code: dn_code::EXPIRED })));
    assert_eq!(c.state(), ClientState::Idle);
}

#[test]
fn proc_16_no_fa_for_session_timeout_reports_tunnel_down() {
    let mut c = client(&[]);
    let a = c.handle(T0, Event::Connect);
    assert_eq!(timer_at(&a, Timer::SessionTimeout), Some(T0 + 120_000));
    let a = c.handle(T0 + 120_000, Event::TimerFired(Timer::SessionTimeout));
    assert!(a.contains(&Action::Indicate(Indication::TunnelDown)));
}

#[test]
fn denial_is_indicated_with_its_code() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let rrq = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    let a = c.handle(T0 + 5, from_fa(0, rrp(&rrq, 0, code::STALE_CONNECT_ID, 0)));
    assert!(a.contains(&Action::Indicate(Indication::Denied { code: 137 })));
    assert_eq!(c.state(), ClientState::Idle);
}

#[test]
fn disconnect_sends_dn_code_0_and_closes() {
    let (mut c, rrq) = open_client(&[]);
    let a = c.handle(T0 + 30, Event::Disconnect);
    let s = sent(&a);
    assert!(matches!(s[0].1.body, Body::Dn { code: 0, connect_id, .. } if connect_id == rrq.connect_id));
    assert_eq!(s[0].1.leid, 7);
    assert_eq!(c.state(), ClientState::Idle);
}

#[test]
fn fault_data_before_registration_sends_mv_data() {
    let mut c = client(&[ClientFault::DataBeforeRegistration]);
    c.handle(T0, Event::Connect);
    c.handle(T0, faa(0, 0));
    let s = sent(&c.handle(T0 + 1, Event::SendData { peer: None, payload: vec![1] }));
    assert!(matches!(s[0].1.body, Body::Data { .. }));
}

#[test]
fn fault_skip_connect_id_increment_reuses_the_connect_id() {
    let (mut c, rrq) = open_client(&[ClientFault::SkipConnectIdIncrement]);
    let r = rrqs(&c.handle(T0 + 80_020, Event::TimerFired(Timer::Reregister))).pop().unwrap();
    assert_eq!(r.connect_id, rrq.connect_id);
}

#[test]
fn fault_reuse_identification_and_new_connect_id_on_retransmit() {
    let mut c = client(&[ClientFault::ReuseIdentification, ClientFault::NewConnectIdOnRetransmit]);
    c.handle(T0, Event::Connect);
    let a = rrqs(&c.handle(T0, faa(0, 0))).pop().unwrap();
    let b = rrqs(&c.handle(T0 + 1000, Event::TimerFired(Timer::Retransmit))).pop().unwrap();
    assert_eq!(a.ident, b.ident);
    assert_eq!(b.connect_id, a.connect_id + 1);
}

#[test]
fn client_requests_no_more_than_the_advertised_lifetime_on_every_transmission() {
    let mut c = client(&[]);
    c.handle(T0, Event::Connect);
    let adv = AgentAdv { seq: 0, lifetime: 300, flags: flags::F, coas: vec![fa_coa(0)] };
    let ev = Event::Received(Rx {
        iface: Iface::Access,
        addr: Addr::Link { src: fa_mac(0), dst: MVTP_MULTICAST },
        packet: Packet::Mvtp(Msg::new(0, Body::Faa { adv, prefix_lengths: vec![24] })),
    });
    let a = rrqs(&c.handle(T0, ev)).pop().unwrap();
    c.handle(T0 + 500, faa(1, 0)); // now advertises 1800: the attempt keeps 300
    let b = rrqs(&c.handle(T0 + 1000, Event::TimerFired(Timer::Retransmit))).pop().unwrap();
    assert_eq!((a.lifetime, b.lifetime), (300, 300));
}
