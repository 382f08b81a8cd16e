//! Every fault knob changes what goes on the wire (so a simulator can make a failing
//! capture for its clause), and with no knob set none of these deviations appear.

use agents::harness::{self, client_mac, fa_coa, Net, Node, T0};
use agents::msg::{code, dn_code, Body, Msg};
use agents::{ClientFault, Event, FaFault, Iface, Packet, Rx, ServerFault};

/// Connect through FA 0, roam to FA 1 (Roam Notify), then leave every link so that the
/// 20 s lifetime runs out at the server (a client that goes away breaks no rule).
fn scenario(tweak: impl FnOnce(&mut Net)) -> Net {
    let mut net = harness::standard(1, 2, 5);
    net.clients[0].config_mut().lifetime = 20;
    tweak(&mut net);
    net.schedule(T0 + 10, Node::Client(0), Event::Connect);
    net.schedule(T0 + 2_000, Node::Client(0), Event::SendData { peer: None, payload: vec![1] });
    net.roam(T0 + 5_000, 0, Some(1), true);
    net.schedule(T0 + 6_000, Node::Client(0), Event::SendData { peer: None, payload: vec![2] });
    net.roam(T0 + 8_000, 0, None, false);
    net.run_until(T0 + 60_000);
    net
}

fn from(net: &Net, node: Node) -> Vec<Msg> {
    net.pdus().filter(|(s, _)| s.from == node).map(|(_, m)| m.clone()).collect()
}

fn client_rrqs(net: &Net) -> Vec<agents::Reg> {
    from(net, Node::Client(0)).iter().filter_map(|m| m.reg().cloned()).collect()
}

fn server_rrps(net: &Net) -> Vec<(Msg, agents::Reg)> {
    from(net, Node::Server(0))
        .into_iter()
        .filter_map(|m| match &m.body {
            Body::Rrp(r) => Some((m.clone(), r.clone())),
            _ => None,
        })
        .collect()
}

fn server_dns(net: &Net) -> Vec<(Msg, u8, u32)> {
    from(net, Node::Server(0))
        .into_iter()
        .filter_map(|m| match m.body {
            Body::Dn { code, connect_id, .. } => Some((m.clone(), code, connect_id)),
            _ => None,
        })
        .collect()
}

#[test]
fn baseline_without_faults_keeps_every_rule_the_knobs_break() {
    let net = scenario(|_| {});
    let rrqs = client_rrqs(&net);
    assert!(rrqs[0].reset && rrqs.iter().skip(1).all(|r| !r.reset));
    assert!(rrqs.iter().any(|r| r.roam_notify));
    let rrps = server_rrps(&net);
    assert!(rrps.iter().all(|(m, r)| r.code == 0 && !m.auth.is_empty()));
    let dns = server_dns(&net);
    let codes: Vec<u8> = dns.iter().map(|d| d.1).collect();
    assert_eq!(codes, vec![dn_code::ROAMED, dn_code::EXPIRED]);
    assert!(!from(&net, Node::Fa(1)).iter().any(|m| matches!(m.body, Body::Dn { code: 1, .. }) && m.auth.is_empty()));
}

#[test]
fn client_faults_show_on_the_wire() {
    let r = client_rrqs(&scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::NoResetOnInitial)));
    assert!(!r[0].reset, "NoResetOnInitial");
    let r = client_rrqs(&scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::ResetOnReregistration)));
    assert!(r.iter().all(|r| r.reset), "ResetOnReregistration");
    let r = client_rrqs(&scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::NoRoamNotify)));
    assert!(r.iter().all(|r| !r.roam_notify), "NoRoamNotify");
    let r = client_rrqs(&scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::NonZeroCodeInRrq)));
    assert!(r.iter().all(|r| r.code != 0), "NonZeroCodeInRrq");
    let n = scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::NonZeroLeidInRrq));
    assert!(from(&n, Node::Client(0)).iter().any(|m| m.reg().is_some() && m.leid != 0), "NonZeroLeidInRrq");
    let n = scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::NoGlobalEndpointId));
    assert!(from(&n, Node::Client(0)).iter().all(|m| m.gid.is_none()), "NoGlobalEndpointId");
    let n = scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::BadAuthenticator));
    assert!(server_rrps(&n).iter().all(|(_, r)| r.code == code::CLIENT_AUTH), "BadAuthenticator → 131");
    let n = scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::DataWithZeroLeid));
    assert!(from(&n, Node::Client(0)).iter().any(|m| matches!(m.body, Body::Data { .. }) && m.leid == 0));
    let n = scenario(|n| n.clients[0].config_mut().faults.enable(ClientFault::WrongDataEncap));
    assert!(from(&n, Node::Client(0)).iter().any(|m| matches!(m.body, Body::Data { encap, .. } if encap != 2)));
    // Retransmission with another lifetime: lose the first reply by having no server.
    let mut net = harness::standard(1, 1, 5);
    net.servers.clear();
    net.clients[0].config_mut().faults.enable(ClientFault::ChangeLifetimeOnRetransmit);
    net.schedule(T0 + 10, Node::Client(0), Event::Connect);
    net.run_for(2_500);
    let r = client_rrqs(&net);
    assert!(r.len() >= 2 && r[0].lifetime != r[1].lifetime, "ChangeLifetimeOnRetransmit");
}

#[test]
fn fa_faults_show_on_the_wire() {
    let n = scenario(|n| n.fas[0].config_mut().faults.enable(FaFault::ZeroLeid));
    assert!(from(&n, Node::Fa(0)).iter().any(|m| matches!(m.body, Body::Rrq(_)) && m.leid == 0), "ZeroLeid");
    let n = scenario(|n| n.fas[0].config_mut().faults.enable(FaFault::SequenceDecrease));
    let seqs: Vec<u16> = from(&n, Node::Fa(0))
        .iter()
        .filter_map(|m| match &m.body {
            Body::Faa { adv, .. } => Some(adv.seq),
            _ => None,
        })
        .collect();
    assert!(seqs.len() >= 60);
    // Values stay ≥ 256 after a decrease only from 300 on: force a start there.
    let mut f = agents::Fa::new({
        let mut c = agents::FaConfig::new(harness::fa_mac(0), fa_coa(0));
        c.initial_seq = 300;
        c.faults.enable(FaFault::SequenceDecrease);
        c
    });
    let mut seq = Vec::new();
    for i in 0..10 {
        for a in f.handle(T0 + i * 1000, Event::TimerFired(agents::Timer::Advertise)) {
            if let agents::Action::Send(Rx { packet: Packet::Mvtp(Msg { body: Body::Faa { adv, .. }, .. }), .. }) = a {
                seq.push(adv.seq);
            }
        }
    }
    assert!(seq.windows(2).any(|w| w[1] < w[0]), "SequenceDecrease: {seq:?}");
    let n = scenario(|n| n.fas[0].config_mut().faults.enable(FaFault::OpenBeforeReply));
    assert!(n.fas[0].connections().values().next().is_some_and(|c| c.last_cid.is_some()));
    let n = scenario(|n| n.fas[1].config_mut().faults.enable(FaFault::OwnDnOnExpiry));
    assert!(
        from(&n, Node::Fa(1)).iter().any(|m| matches!(m.body, Body::Dn { code: 1, .. }) && m.auth.is_empty()),
        "OwnDnOnExpiry"
    );
    // NoUnicastAnswer: a solicitation gets nothing back.
    let mut f = agents::Fa::new({
        let mut c = agents::FaConfig::new(harness::fa_mac(0), fa_coa(0));
        c.faults.enable(FaFault::NoUnicastAnswer);
        c
    });
    let fas = Event::Received(Rx {
        iface: Iface::Access,
        addr: agents::Addr::Link { src: client_mac(0), dst: codec::ethernet::MVTP_MULTICAST },
        packet: Packet::Mvtp(Msg::new(0, Body::Fas)),
    });
    assert!(f.handle(T0, fas).is_empty(), "NoUnicastAnswer");
}

#[test]
fn fa_esp_by_low_half_misroutes() {
    let mut net = harness::standard(2, 1, 5);
    net.fas[0].config_mut().faults.enable(FaFault::EspByLowHalf);
    net.schedule(T0 + 10, Node::Client(0), Event::Connect);
    net.schedule(T0 + 10, Node::Client(1), Event::Connect);
    net.run_for(1_000);
    let l1 = net.clients[1].leid();
    // SPI for client 1 whose low half names client 0's LEID.
    let spi = u32::from(l1) << 16 | u32::from(net.clients[0].leid());
    let at = net.now;
    net.schedule(
        at,
        Node::Fa(0),
        Event::Received(Rx {
            iface: Iface::Core,
            addr: agents::Addr::Ip { src: harness::SERVER_ADDR, dst: fa_coa(0) },
            packet: Packet::Esp { spi, datagram: vec![0x45] },
        }),
    );
    net.run_for(10);
    let to: Vec<_> = net.trace.iter().filter(|s| matches!(s.tx.packet, Packet::Esp { .. })).map(|s| s.to).collect();
    assert_eq!(to, vec![Some(Node::Client(0))]);
}

#[test]
fn server_faults_show_on_the_wire() {
    let en = |f: ServerFault| move |n: &mut Net| n.servers[0].config_mut().faults.enable(f);
    let n = scenario(en(ServerFault::WrongIdentEcho));
    let c = client_rrqs(&n);
    assert!(server_rrps(&n).iter().all(|(_, r)| c.iter().all(|q| q.ident as u32 != r.ident as u32)));
    let n = scenario(en(ServerFault::NoFlagEcho));
    assert!(server_rrps(&n).iter().all(|(_, r)| !r.reset && !r.roam_notify));
    let n = scenario(en(ServerFault::WrongEncapEcho));
    assert!(server_rrps(&n).iter().all(|(_, r)| r.encap != 2));
    let n = scenario(en(ServerFault::UnauthenticatedReplies));
    assert!(server_rrps(&n).iter().all(|(m, _)| m.auth.is_empty()));
    let n = scenario(en(ServerFault::NoRoamNotify));
    assert!(!server_dns(&n).iter().any(|d| d.1 == dn_code::ROAMED));
    assert!(n.fas[0].is_open_for(client_mac(0)));
    let n = scenario(en(ServerFault::RoamNotifyWithoutAuth));
    assert!(server_dns(&n).iter().any(|d| d.1 == dn_code::ROAMED && d.0.auth.is_empty()));
    let n = scenario(en(ServerFault::NoExpiryNotify));
    assert!(!server_dns(&n).iter().any(|d| d.1 == dn_code::EXPIRED));
    let n = scenario(en(ServerFault::WrongDnConnectId));
    let last = client_rrqs(&n).last().map(|r| r.connect_id);
    assert!(server_dns(&n).iter().any(|d| d.1 == dn_code::EXPIRED && Some(d.2) != last));
    let n = scenario(en(ServerFault::ReplyToOldCareOf));
    assert!(n.pdus().any(|(s, m)| s.from == Node::Server(0)
        && matches!(m.body, Body::Rrp(_))
        && s.tx.addr == agents::Addr::Ip { src: harness::SERVER_ADDR, dst: fa_coa(0) }
        && m.reg().is_some_and(|r| r.roam_notify)));
    let n = scenario(|n| {
        n.clients[0].config_mut().faults.enable(ClientFault::BadAuthenticator);
        n.servers[0].config_mut().faults.enable(ServerFault::SkipAuthentication);
    });
    assert!(server_rrps(&n).iter().all(|(_, r)| r.code == 0), "SkipAuthentication");
    let n = scenario(|n| {
        n.clients[0].config_mut().faults.enable(ClientFault::ReuseIdentification);
        n.servers[0].config_mut().faults.enable(ServerFault::SkipReplayCheck);
    });
    assert!(server_rrps(&n).iter().filter(|(_, r)| r.code == 0).count() >= 2, "SkipReplayCheck");
    let n = scenario(|n| {
        n.clients[0].config_mut().faults.enable(ClientFault::ReuseIdentification);
    });
    assert!(server_rrps(&n).iter().any(|(_, r)| r.code == code::IDENT_MISMATCH), "AUTH-6 without the knob");
}

#[test]
fn server_retransmission_as_new_updates_the_record() {
    // Two copies of one request: the second is a retransmission unless the knob is on.
    for (fault, expect_changed) in [(false, false), (true, true)] {
        let mut net = harness::standard(1, 1, 5);
        if fault {
            net.servers[0].config_mut().faults.enable(ServerFault::RetransmissionAsNew);
        }
        net.schedule(T0 + 10, Node::Client(0), Event::Connect);
        net.run_for(100);
        let before = net.servers[0].records()[0].registered_at;
        // A retransmission of the same Connect ID, 2 s later, as the client would.
        let rrq = net
            .pdus()
            .find_map(|(s, m)| (s.from == Node::Fa(0) && matches!(m.body, Body::Rrq(_))).then(|| m.clone()))
            .unwrap();
        let mut again = rrq.clone();
        if let Body::Rrq(r) = &mut again.body {
            r.ident = agents::msg::ntp_timestamp(T0 + 2_000);
        }
        again.auth.clear();
        let keys = net.clients[0].config().keys.clone();
        agents::auth::sign_with(&mut again, agents::AuthRole::MobileHome, harness::mh_spi(0), &keys);
        net.schedule(
            T0 + 2_000,
            Node::Server(0),
            Event::Received(Rx {
                iface: Iface::Core,
                addr: agents::Addr::Ip { src: fa_coa(0), dst: harness::SERVER_ADDR },
                packet: Packet::Mvtp(again),
            }),
        );
        net.run_until(T0 + 2_100);
        let after = net.servers[0].records()[0].registered_at;
        assert_eq!(after != before, expect_changed, "fault {fault}");
    }
}
