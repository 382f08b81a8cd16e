//! End-to-end runs of client ↔ FA ↔ server through the in-memory harness.

use agents::harness::{self, fa_coa, Node, T0};
use agents::msg::{dn_code, Body};
use agents::{ClientState, Event, Iface, Indication};

fn opened(net: &harness::Net, node: Node) -> usize {
    net.indications.iter().filter(|(_, n, i)| *n == node && matches!(i, Indication::Open { .. })).count()
}

#[test]
fn proc_4_to_10_registration_data_roam_and_expiry() {
    let mut net = harness::standard(1, 2, 1);
    net.schedule(T0 + 10, Node::Client(0), Event::Connect);
    net.run_for(3_000);

    // Registration through FA 0 [PROC-4, PROC-5, PROC-8, PROC-9].
    let c = &net.clients[0];
    assert_eq!(c.state(), ClientState::Open);
    let leid = c.leid();
    assert_ne!(leid, 0);
    assert!(net.fas[0].is_open_for(harness::client_mac(0)));
    let rec = net.servers[0].records()[0].clone();
    assert_eq!((rec.coa, rec.leid, rec.open), (fa_coa(0), leid, true));
    assert_eq!(opened(&net, Node::Client(0)), 1);
    let first_rrq = net
        .pdus()
        .find_map(|(s, m)| match &m.body {
            Body::Rrq(r) if s.from == Node::Client(0) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert!(first_rrq.reset && !first_rrq.roam_notify, "R on the initial MV-RRQ");

    // Data both ways [PROC-11].
    net.schedule(net.now, Node::Client(0), Event::SendData { peer: None, payload: b"up".to_vec() });
    let gid = rec.gid.clone();
    net.schedule(net.now, Node::Server(0), Event::SendData { peer: Some(gid), payload: b"down".to_vec() });
    net.run_for(100);
    let got = |node| {
        net.indications.iter().any(|(_, n, i)| {
            *n == node && matches!(i, Indication::Data { payload, .. } if payload == b"up" || payload == b"down")
        })
    };
    assert!(got(Node::Server(0)) && got(Node::Client(0)));

    // Roam to FA 1 with Roam Notify [PROC-10, PROC-15, AUTH-7].
    let cid_before = net.clients[0].registered_connect_id().unwrap();
    let at = net.now;
    net.roam(at, 0, Some(1), true);
    net.run_for(2_000);
    let c = &net.clients[0];
    assert_eq!(c.state(), ClientState::Open);
    assert_eq!(c.registered_connect_id(), Some(cid_before.wrapping_add(1)));
    assert!(net.fas[1].is_open_for(harness::client_mac(0)));
    assert!(!net.fas[0].is_open_for(harness::client_mac(0)), "old FA closed on MV-DN code 5");
    let roam_rrq = net
        .pdus()
        .filter(|(s, _)| s.at >= at && s.from == Node::Client(0))
        .find_map(|(_, m)| m.reg().cloned())
        .unwrap();
    assert!(roam_rrq.roam_notify && !roam_rrq.reset);
    let dn5: Vec<_> = net.pdus().filter(|(_, m)| matches!(m.body, Body::Dn { code: dn_code::ROAMED, .. })).collect();
    assert_eq!(dn5.len(), 1);
    assert_eq!(dn5[0].0.to, Some(Node::Fa(0)));
    assert!(dn5[0].1.auth.iter().any(|a| a.role == agents::AuthRole::ForeignHome));
    assert!(
        !net.pdus()
            .any(|(s, m)| s.from == Node::Fa(0) && s.tx.iface == Iface::Access && matches!(m.body, Body::Dn { .. })),
        "AUTH-7: code 5 is not relayed"
    );

    // Expiry [PROC-10]: the client stops re-registering; the server sends MV-DN code 1.
    net.clients[0].config_mut().faults.enable(agents::ClientFault::NoReregistration);
    net.run_for(1_800 * 1000 + 5_000);
    let c = &net.clients[0];
    assert_eq!(c.state(), ClientState::Idle);
    assert!(net
        .indications
        .iter()
        .any(|(_, n, i)| *n == Node::Client(0) && matches!(i, Indication::Closed { code: dn_code::EXPIRED, .. })));
    assert!(net
        .indications
        .iter()
        .any(|(_, n, i)| *n == Node::Server(0) && matches!(i, Indication::Closed { code: dn_code::EXPIRED, .. })));
    assert!(!net.servers[0].records()[0].open);
    assert!(!net.fas[1].is_open_for(harness::client_mac(0)));
}

/// Every PDU the agents send in a run with roaming, data, denials and expiry decodes with
/// the codec's decoder (spec §2.1 order) without error or warning, every authenticator
/// verifies, and decoding gives back the agent's message.
#[test]
fn fmt_auth_every_pdu_of_a_run_passes_the_codec_decoder() {
    let mut net = harness::standard(2, 2, 11);
    net.clients[0].config_mut().lifetime = 20;
    net.schedule(T0 + 10, Node::Client(0), Event::Connect);
    net.schedule(T0 + 10, Node::Client(1), Event::Connect);
    net.schedule(T0 + 2_000, Node::Client(0), Event::SendData { peer: None, payload: b"abc".to_vec() });
    net.roam(T0 + 5_000, 0, Some(1), true);
    net.roam(T0 + 8_000, 0, None, false); // goes away: expiry at the server
    net.schedule(T0 + 9_000, Node::Client(1), Event::Disconnect);
    net.run_until(T0 + 40_000);
    let keys = net.servers[0].config().keys.clone();
    let mut n = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for (_, m) in net.pdus() {
        let bytes = agents::wire::encode(m).unwrap();
        let (pdu, report) = codec::mvtp::Pdu::decode(&bytes, Some(&keys)).unwrap();
        assert!(
            report.error.is_none() && report.warnings.is_empty(),
            "{} {:?} {:?}",
            m.type_name(),
            report.error,
            report.warnings
        );
        assert_eq!(report.auth.len(), m.auth.len());
        assert!(report.auth.iter().all(|a| a.valid), "{}", m.type_name());
        assert_eq!(&agents::wire::from_pdu(&pdu).unwrap(), m);
        kinds.insert(m.type_name());
        n += 1;
    }
    assert!(n > 50);
    assert_eq!(kinds.len(), 6, "{kinds:?}");
}
