//! Server procedures, one test per clause (spec §4, §5.2–§5.4).

use agents::auth::{self, Verdict};
use agents::harness::{client_mac, fa_coa, mh_spi, FH_SPI, SERVER_ADDR, T0};
use agents::msg::{code, dn_code, ntp_timestamp, Body, Msg, Reg};
use agents::{Action, Addr, AuthRole, Event, Iface, Indication, Packet, Rx, Server, ServerConfig, ServerFault, Timer};
use codec::auth::{Algorithm, AuthKey};
use codec::gid::Gid;

fn key(s: &str) -> AuthKey {
    AuthKey { algorithm: Algorithm::HmacMd5, secret: s.as_bytes().to_vec() }
}

fn server(faults: &[ServerFault]) -> Server {
    let mut cfg = ServerConfig::new(SERVER_ADDR);
    cfg.keys.insert(mh_spi(0), key("mh"));
    cfg.keys.insert(FH_SPI, key("fh"));
    cfg.fh_spi = Some(FH_SPI);
    cfg.faults = agents::Faults::of(faults);
    Server::new(cfg)
}

struct Req {
    cid: u32,
    at: u64,
    leid: u16,
    roam: bool,
    lifetime: u16,
}

fn req(cid: u32, at: u64) -> Req {
    Req { cid, at, leid: 5, roam: false, lifetime: 1800 }
}

fn rrq(r: &Req) -> Msg {
    let reg = Reg {
        reset: false,
        roam_notify: r.roam,
        code: 0,
        lifetime: r.lifetime,
        encap: 2,
        connect_id: r.cid,
        home: SERVER_ADDR,
        ident: ntp_timestamp(r.at),
    };
    let mut m = Msg::new(0, Body::Rrq(reg));
    m.gid = Some(Gid::mac(client_mac(0)));
    auth::sign(&mut m, AuthRole::MobileHome, mh_spi(0), &key("mh"));
    m.leid = r.leid; // written by the FA after signing [AUTH-1]
    m
}

fn via(fa: usize, m: Msg) -> Event {
    Event::Received(Rx {
        iface: Iface::Core,
        addr: Addr::Ip { src: fa_coa(fa), dst: SERVER_ADDR },
        packet: Packet::Mvtp(m),
    })
}

fn msgs(actions: &[Action]) -> Vec<(Addr, Msg)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(Rx { iface: Iface::Core, addr, packet: Packet::Mvtp(m) }) => Some((*addr, m.clone())),
            _ => None,
        })
        .collect()
}

/// The single MV-RRP of `actions`.
fn reply(actions: &[Action]) -> (Addr, u16, Reg) {
    let (a, m) = msgs(actions).into_iter().find(|(_, m)| matches!(m.body, Body::Rrp(_))).expect("an MV-RRP");
    let r = m.reg().cloned().unwrap();
    (a, m.leid, r)
}

fn code_of(actions: &[Action]) -> u8 {
    reply(actions).2.code
}

#[test]
fn proc_6_proc_8_first_valid_rrq_creates_record_and_answers_to_care_of() {
    let mut s = server(&[]);
    let a = s.handle(T0, via(0, rrq(&req(10, T0))));
    let (addr, leid, r) = reply(&a);
    assert_eq!(addr, Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) });
    assert_eq!((leid, r.code, r.connect_id, r.lifetime), (5, 0, 10, 1800));
    assert_eq!(r.ident, ntp_timestamp(T0), "FMT-13");
    let rec = s.record(&Gid::mac(client_mac(0))).unwrap();
    assert_eq!((rec.coa, rec.leid, rec.connect_id, rec.open), (fa_coa(0), 5, 10, true));
    assert!(a.contains(&Action::SetTimer { timer: Timer::Expiry(rec.id), at: T0 + 1_800_000 }));
    let (_, m) = msgs(&a).remove(0);
    assert_eq!(auth::verify(&m, AuthRole::MobileHome, &s.config().keys), Verdict::Valid, "AUTH-4");
}

#[test]
fn proc_7_equal_connect_id_is_a_retransmission() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let before = s.records().to_vec();
    let mut again = req(10, T0 + 1000);
    again.leid = 9; // even from elsewhere the answer is the recorded one
    let a = s.handle(T0 + 1000, via(0, rrq(&again)));
    let (_, leid, r) = reply(&a);
    assert_eq!((leid, r.code, r.lifetime), (5, 0, 1800), "same code, lifetime and LEID");
    assert_eq!(r.ident, ntp_timestamp(T0 + 1000), "Identification from the new request");
    assert_eq!(s.records(), &before[..], "changes nothing");
    assert!(!a.iter().any(|x| matches!(x, Action::SetTimer { .. })));
}

#[test]
fn proc_7_older_connect_id_is_stale_137_and_record_unchanged() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let before = s.records().to_vec();
    let a = s.handle(T0 + 1000, via(1, rrq(&req(9, T0 + 1000))));
    let (addr, _, r) = reply(&a);
    assert_eq!((r.code, r.lifetime), (code::STALE_CONNECT_ID, 0));
    assert_eq!(addr, Addr::Ip { src: SERVER_ADDR, dst: fa_coa(1) });
    assert_eq!(s.records(), &before[..]);
}

#[test]
fn proc_6_rfc1982_newer_connect_id_across_the_wrap_is_valid() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(0xFFFF_FFFF, T0))));
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(0, T0 + 100))))), 0);
    assert_eq!(s.records()[0].connect_id, 0);
}

#[test]
fn proc_6_older_connect_id_is_valid_after_max_pdu_lifetime() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    assert_eq!(code_of(&s.handle(T0 + 10_000, via(0, rrq(&req(3, T0 + 10_000))))), 137, "age = 10 s is not > 10 s");
    assert_eq!(code_of(&s.handle(T0 + 10_001, via(0, rrq(&req(3, T0 + 10_001))))), 0);
    assert_eq!(s.records()[0].connect_id, 3);
}

#[test]
fn proc_16_max_pdu_lifetime_is_configurable() {
    let mut s = server(&[]);
    s.config_mut().max_pdu_lifetime_ms = 2_000;
    s.handle(T0, via(0, rrq(&req(10, T0))));
    assert_eq!(code_of(&s.handle(T0 + 2_001, via(0, rrq(&req(3, T0 + 2_001))))), 0);
}

#[test]
fn auth_5_bad_authenticator_is_denied_131_and_changes_no_state() {
    let mut s = server(&[]);
    let mut m = rrq(&req(10, T0));
    m.auth[0].authenticator[0] ^= 1;
    assert_eq!(code_of(&s.handle(T0, via(0, m))), code::CLIENT_AUTH);
    assert!(s.records().is_empty());
    let mut m = rrq(&req(10, T0));
    m.auth.clear();
    assert_eq!(code_of(&s.handle(T0, via(0, m))), code::CLIENT_AUTH, "AUTH-4: MH required");
}

#[test]
fn auth_6_identification_not_newer_or_far_off_is_133() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    // Not newer than the last accepted.
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(11, T0))))), code::IDENT_MISMATCH);
    // More than 7 s away from the server's clock.
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(11, T0 + 7_200))))), code::IDENT_MISMATCH);
    assert_eq!(s.records()[0].connect_id, 10);
}

#[test]
fn auth_6_check_order_131_then_133_then_137() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    // Stale Connect ID + old Identification + bad authenticator → 131.
    let mut m = rrq(&req(9, T0));
    m.auth[0].authenticator[0] ^= 1;
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, m))), 131);
    // Stale Connect ID + old Identification → 133.
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(9, T0))))), 133);
    // Stale Connect ID only → 137.
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(9, T0 + 100))))), 137);
    // With the fault, the Connect ID is judged first.
    let mut s = server(&[ServerFault::ConnectIdFirst]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let mut m = rrq(&req(9, T0));
    m.auth[0].authenticator[0] ^= 1;
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, m))), 137);
}

#[test]
fn fault_accept_stale_connect_id() {
    let mut s = server(&[ServerFault::AcceptStaleConnectId]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    assert_eq!(code_of(&s.handle(T0 + 100, via(0, rrq(&req(9, T0 + 100))))), 0);
    assert_eq!(s.records()[0].connect_id, 9);
}

#[test]
fn fmt_11_granted_lifetime_is_capped_and_fault_exceeds_it() {
    let mut s = server(&[]);
    s.config_mut().max_lifetime = 600;
    assert_eq!(reply(&s.handle(T0, via(0, rrq(&req(10, T0))))).2.lifetime, 600);
    let mut s = server(&[ServerFault::GrantLongerLifetime]);
    assert_eq!(reply(&s.handle(T0, via(0, rrq(&req(10, T0))))).2.lifetime, 1860);
}

#[test]
fn fmt_9_reply_echoes_r_and_n() {
    let mut s = server(&[]);
    let mut r = req(10, T0);
    r.roam = true;
    let rr = reply(&s.handle(T0, via(0, rrq(&r)))).2;
    assert!(rr.roam_notify && !rr.reset);
}

#[test]
fn proc_10_lifetime_expiry_sends_dn_code_1_to_care_of() {
    let mut s = server(&[]);
    let mut r = req(10, T0);
    r.lifetime = 30;
    s.handle(T0, via(0, rrq(&r)));
    let id = s.records()[0].id;
    // A timer firing early (re-armed elsewhere) does nothing.
    assert!(s.handle(T0 + 29_000, Event::TimerFired(Timer::Expiry(id))).is_empty());
    let a = s.handle(T0 + 30_000, Event::TimerFired(Timer::Expiry(id)));
    let (addr, m) = msgs(&a).remove(0);
    assert_eq!(addr, Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) });
    assert_eq!(m.leid, 5);
    assert!(matches!(m.body, Body::Dn { code: dn_code::EXPIRED, connect_id: 10, .. }));
    assert_eq!(auth::verify(&m, AuthRole::MobileHome, &s.config().keys), Verdict::Valid, "AUTH-4");
    assert!(a.contains(&Action::Indicate(Indication::Closed { leid: 5, code: dn_code::EXPIRED })));
    assert!(!s.records()[0].open);
}

#[test]
fn proc_10_reregistration_postpones_expiry() {
    let mut s = server(&[]);
    let mut r = req(10, T0);
    r.lifetime = 30;
    s.handle(T0, via(0, rrq(&r)));
    let id = s.records()[0].id;
    let mut r = req(11, T0 + 24_000);
    r.lifetime = 30;
    s.handle(T0 + 24_000, via(0, rrq(&r)));
    assert!(s.handle(T0 + 30_000, Event::TimerFired(Timer::Expiry(id))).is_empty());
    assert!(s.records()[0].open);
}

#[test]
fn proc_15_auth_7_roam_notify_goes_to_old_care_of_with_foreign_home_auth() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let mut r = req(11, T0 + 5_000);
    r.roam = true;
    r.leid = 1;
    let a = s.handle(T0 + 5_000, via(1, rrq(&r)));
    let out = msgs(&a);
    let (addr, rrp) = &out[0];
    assert_eq!(*addr, Addr::Ip { src: SERVER_ADDR, dst: fa_coa(1) });
    assert_eq!(rrp.leid, 1);
    let (addr, dn) = &out[1];
    assert_eq!(*addr, Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) });
    assert_eq!(dn.leid, 5, "old LEID");
    assert!(matches!(dn.body, Body::Dn { code: dn_code::ROAMED, connect_id: 10, .. }), "old Connect ID");
    assert_eq!(auth::verify(dn, AuthRole::ForeignHome, &s.config().keys), Verdict::Valid);
    let rec = &s.records()[0];
    assert_eq!((rec.coa, rec.leid, rec.connect_id), (fa_coa(1), 1, 11), "PROC-8: care-of updated");
}

#[test]
fn proc_15_no_roam_notify_without_n_or_from_the_same_care_of() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let a = s.handle(T0 + 1_000, via(1, rrq(&req(11, T0 + 1_000))));
    assert_eq!(msgs(&a).len(), 1, "N = 0: no MV-DN");
    let mut r = req(12, T0 + 2_000);
    r.roam = true;
    let a = s.handle(T0 + 2_000, via(1, rrq(&r)));
    assert_eq!(msgs(&a).len(), 1, "same care-of address: no MV-DN");
}

#[test]
fn deregistration_closes_the_record_and_replies_lifetime_0() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let mut r = req(11, T0 + 1_000);
    r.lifetime = 0;
    let a = s.handle(T0 + 1_000, via(0, rrq(&r)));
    let (_, _, rr) = reply(&a);
    assert_eq!((rr.code, rr.lifetime), (0, 0));
    assert!(!s.records()[0].open);
}

#[test]
fn data_both_ways_only_on_an_open_record() {
    let mut s = server(&[]);
    let gid = Gid::mac(client_mac(0));
    assert!(s.handle(T0, Event::SendData { peer: Some(gid.clone()), payload: vec![1] }).is_empty());
    s.handle(T0, via(0, rrq(&req(10, T0))));
    let a = s.handle(T0 + 1, Event::SendData { peer: Some(gid.clone()), payload: vec![1] });
    let (addr, m) = msgs(&a).remove(0);
    assert_eq!((addr, m.leid), (Addr::Ip { src: SERVER_ADDR, dst: fa_coa(0) }, 5));
    let a = s.handle(T0 + 2, via(0, Msg::new(5, Body::Data { encap: 2, payload: vec![9] })));
    assert_eq!(a, vec![Action::Indicate(Indication::Data { leid: 5, gid: Some(gid), payload: vec![9] })]);
    assert!(s.handle(T0 + 2, via(1, Msg::new(5, Body::Data { encap: 2, payload: vec![9] }))).is_empty());
}

#[test]
fn unknown_home_address_is_136_and_missing_gid_134() {
    let mut s = server(&[]);
    let mut m = rrq(&req(10, T0));
    if let Body::Rrq(r) = &mut m.body {
        r.home = std::net::Ipv4Addr::new(10, 9, 9, 9);
    }
    assert_eq!(code_of(&s.handle(T0, via(0, m))), code::UNKNOWN_HOME);
    let mut m = rrq(&req(10, T0));
    m.gid = None;
    assert_eq!(code_of(&s.handle(T0, via(0, m))), code::POORLY_FORMED);
}

fn client_dn(cid: u32, at: u64, leid: u16) -> Msg {
    let mut m = Msg::new(0, Body::Dn { code: dn_code::NORMAL, connect_id: cid, ident: ntp_timestamp(at) });
    auth::sign(&mut m, AuthRole::MobileHome, mh_spi(0), &key("mh"));
    m.leid = leid;
    m
}

#[test]
fn proc_14_auth_6_client_dn_closes_only_when_it_matches_and_is_fresh() {
    let mut s = server(&[]);
    s.handle(T0, via(0, rrq(&req(10, T0))));
    // Wrong Connect ID, wrong LEID, stale Identification, bad authenticator: ignored.
    assert!(s.handle(T0 + 100, via(0, client_dn(9, T0 + 100, 5))).is_empty());
    assert!(s.handle(T0 + 100, via(0, client_dn(10, T0 + 100, 6))).is_empty());
    assert!(s.handle(T0 + 100, via(0, client_dn(10, T0, 5))).is_empty());
    let mut bad = client_dn(10, T0 + 100, 5);
    bad.auth[0].authenticator[0] ^= 1;
    assert!(s.handle(T0 + 100, via(0, bad)).is_empty());
    assert!(s.records()[0].open);
    let a = s.handle(T0 + 100, via(0, client_dn(10, T0 + 100, 5)));
    assert!(a.contains(&Action::Indicate(Indication::Closed { leid: 5, code: dn_code::NORMAL })));
    assert!(!s.records()[0].open);
}
