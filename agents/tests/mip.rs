//! The RFC 5265 mobile node against real home agents and a VPN gateway, wired by a small
//! router: end-to-end runs and property runs over random move / send / wait schedules.
//!
//! Properties (spec §8): plaintext user data leaves only while inside [MIP-2], and never
//! more than T_MONITOR after the last TNC reply [MIP-3]; inside only on a link where the
//! i-HA answered with TNC; no request carries TNC [MIP-1]; every registration through the
//! VPN sets T [MIP-6]; outside, user data leaves only through ESP.

use agents::ha::{HaConfig, HomeAgent};
use agents::ipsec::EspSa;
use agents::mip::{self, AccessMode, Ip};
use agents::mn::{Attachment, Location, MnAction, MnConfig, MnEvent, MnIndication, MnTimer, MobileNode, VpnConfig, T_MONITOR_MS};
use agents::{Faults, Time};
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::mip::{flags, Body};
use codec::stack::Node;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

const T0: Time = 1_767_225_600_000;
const IHA: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
const XHA: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
const GW: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 30);
const HOME: Ipv4Addr = Ipv4Addr::new(10, 1, 5, 23);
const XHOME: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 150);
const TIA: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 17);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 1, 80, 80);
const INSIDE: Ipv4Addr = Ipv4Addr::new(10, 1, 64, 77);
const OUTSIDE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 77);

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(
        0x100,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: b"i-ha".to_vec(),
        },
    );
    k.insert(
        0x200,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: b"x-ha".to_vec(),
        },
    );
    k
}

fn sa(spi: u32, seed: u8) -> EspSa {
    EspSa::des3_sha1(
        spi,
        &[seed; 24]
            .map(|b| b ^ 0x5a)
            .iter()
            .enumerate()
            .map(|(i, b)| b.wrapping_add(i as u8))
            .collect::<Vec<_>>(),
        &[seed; 20],
    )
    .unwrap()
}

/// What the mobile node sent: time, where it was, the packet, what it carries.
#[derive(Debug, Clone)]
struct Sent {
    at: Time,
    inside_link: bool,
    location: Location,
    last_tnc: Option<Time>,
    via_esp: bool,
    user: bool,
    request: Option<codec::mip::Message>,
}

enum Item {
    Mn(MnEvent),
    Timer(MnTimer, u64),
    Net(Vec<u8>),
}

struct World {
    now: Time,
    mn: MobileNode,
    iha: HomeAgent,
    xha: HomeAgent,
    gw_open: EspSa,
    gw_seal: EspSa,
    link: Option<Ipv4Addr>,
    q: BTreeMap<(Time, u64), Item>,
    seq: u64,
    timers: BTreeMap<MnTimer, u64>,
    sent: Vec<Sent>,
    last_tnc: Option<Time>,
    modes: Vec<AccessMode>,
    echoed: usize,
}

impl World {
    fn new(natt: bool) -> Self {
        let cfg = MnConfig {
            home: HOME,
            iha: IHA,
            iha_spi: 0x100,
            xha: XHA,
            xha_spi: 0x200,
            x_home: XHOME,
            keys: keys(),
            vpn: VpnConfig {
                gateway: GW,
                tia: TIA,
                out: sa(0x1001, 1),
                inbound: sa(0x2002, 2),
            },
            lifetime: 300,
            t_monitor_ms: T_MONITOR_MS,
            natt,
            faults: Faults::none(),
        };
        Self {
            now: T0,
            mn: MobileNode::new(cfg),
            iha: HomeAgent::new(HaConfig::internal(
                IHA,
                vec![(Ipv4Addr::new(10, 1, 0, 0), 16), (Ipv4Addr::new(10, 99, 0, 0), 16)],
                keys(),
            )),
            xha: HomeAgent::new(HaConfig::external(XHA, keys())),
            gw_open: sa(0x1001, 1),
            gw_seal: sa(0x2002, 2),
            link: None,
            q: BTreeMap::new(),
            seq: 0,
            timers: BTreeMap::new(),
            sent: vec![],
            last_tnc: None,
            modes: vec![],
            echoed: 0,
        }
    }

    fn push(&mut self, at: Time, i: Item) {
        self.seq += 1;
        self.q.insert((at, self.seq), i);
    }

    fn run_until(&mut self, until: Time) {
        while let Some(e) = self.q.first_entry() {
            if e.key().0 > until {
                break;
            }
            let ((at, _), item) = e.remove_entry();
            self.now = at;
            match item {
                Item::Mn(ev) => self.mn_event(ev),
                Item::Timer(t, g) => {
                    if self.timers.get(&t) == Some(&g) {
                        self.mn_event(MnEvent::TimerFired(t));
                    }
                }
                Item::Net(o) => self.route(o),
            }
        }
        self.now = until;
    }

    fn attach(&mut self, inside: bool) {
        let coa = if inside { INSIDE } else { OUTSIDE };
        self.push(self.now, Item::Mn(MnEvent::Attach(Attachment::Colocated(coa))));
    }

    fn send_user(&mut self) {
        let ev = MnEvent::SendUser {
            dst: PEER,
            sport: 40_000,
            dport: 7,
            payload: b"property".to_vec(),
        };
        self.push(self.now, Item::Mn(ev));
    }

    /// Peels a packet with the world's keys: innermost packet and whether ESP was on the way.
    fn peel(&self, octets: &[u8]) -> Option<(Ip, bool)> {
        let mut ip = Ip::parse(octets)?;
        let mut esp = false;
        for _ in 0..6 {
            if let Some(e) = ip.esp() {
                let (_, inner) = self.gw_open.open(e).or_else(|| self.gw_seal.open(e))?;
                ip = Ip::parse(&inner)?;
                esp = true;
            } else if let Some((inner, _)) = ip.decapsulate() {
                ip = Ip::parse(&inner)?;
            } else {
                break;
            }
        }
        Some((ip, esp))
    }

    fn mn_event(&mut self, ev: MnEvent) {
        // The move happens when the mobile node handles it (events at the same time keep
        // their order).
        if let MnEvent::Attach(Attachment::Colocated(coa)) = ev {
            self.link = Some(coa);
            self.last_tnc = None;
        }
        for a in self.mn.handle(self.now, ev) {
            match a {
                MnAction::Send(n) => {
                    let o = n.emit_fixed().unwrap();
                    let (inner, via_esp) = self.peel(&o).unwrap();
                    let request = inner.mip().map(|m| m.1).filter(|m| matches!(m.body, Body::Request { .. }));
                    let user = inner.mip().is_none() && inner.udp().is_some();
                    self.sent.push(Sent {
                        at: self.now,
                        inside_link: self.link == Some(INSIDE),
                        location: self.mn.location(),
                        last_tnc: self.last_tnc,
                        via_esp,
                        user,
                        request,
                    });
                    self.push(self.now + 1, Item::Net(o));
                }
                MnAction::SetTimer(t, at) => {
                    self.seq += 1;
                    self.timers.insert(t, self.seq);
                    let g = self.seq;
                    self.push(at, Item::Timer(t, g));
                }
                MnAction::Indicate(MnIndication::Inside(m) | MnIndication::Outside(m)) => self.modes.push(m),
                MnAction::Indicate(MnIndication::Data(_)) => self.echoed += 1,
                MnAction::Indicate(_) => {}
            }
        }
    }

    fn send(&mut self, n: Option<Node>) {
        if let Some(n) = n {
            let o = n.emit_fixed().unwrap();
            self.push(self.now + 3, Item::Net(o));
        }
    }

    fn route(&mut self, o: Vec<u8>) {
        let Some(ip) = Ip::parse(&o) else { return };
        let now = self.now;
        match ip.dst {
            d if d == IHA || d == XHA => {
                let ha = if d == IHA { &mut self.iha } else { &mut self.xha };
                let (replies, inner) = ha.handle(now, &o);
                for r in replies {
                    self.send(Some(r));
                }
                if let Some(i) = inner {
                    self.push(now + 1, Item::Net(i));
                }
            }
            GW => {
                if let Some((_, inner)) = ip.esp().and_then(|e| self.gw_open.open(e)) {
                    self.push(now + 1, Item::Net(inner));
                }
            }
            PEER => {
                if let Some((sport, 7, data)) = ip.udp() {
                    self.send(Some(mip::user_udp(PEER, ip.src, 7, sport, data)));
                }
            }
            TIA => {
                let natt = self.mn.config().natt;
                let n = self.gw_seal.seal_ip(GW, XHOME, natt, Node::raw(o));
                self.send(Some(n));
            }
            HOME | XHOME => {
                let t = self
                    .iha
                    .tunnel(now, ip.dst, Node::raw(o.clone()))
                    .or_else(|| self.xha.tunnel(now, ip.dst, Node::raw(o)));
                self.send(t);
            }
            d if Some(d) == self.link => {
                // Delivered on the mobile node's link: note TNC replies of the i-HA.
                if let Some((inner, false)) = self.peel(&o) {
                    if let Some((_, m, _)) = inner.mip() {
                        if matches!(
                            m.body,
                            Body::Reply {
                                code: 0,
                                home_agent: IHA,
                                ..
                            }
                        ) && mip::has_tnc(&m)
                        {
                            self.last_tnc = Some(now);
                        }
                    }
                }
                self.push(now + 1, Item::Mn(MnEvent::Received(o)));
            }
            _ => {}
        }
    }
}

fn check(w: &World) -> Result<(), TestCaseError> {
    for s in &w.sent {
        if s.user && !s.via_esp {
            // MIP-2: plaintext only inside, and inside only where the i-HA answered with TNC.
            prop_assert!(
                matches!(s.location, Location::Inside(_)),
                "plaintext user data while {:?} at {}",
                s.location,
                s.at
            );
            prop_assert!(s.inside_link, "plaintext on the outside link at {}", s.at);
            // MIP-3: within T_MONITOR of the last TNC reply.
            let last = s.last_tnc.ok_or_else(|| TestCaseError::fail("inside without a TNC reply"))?;
            prop_assert!(s.at - last <= T_MONITOR_MS, "plaintext {} ms after the last TNC reply", s.at - last);
        }
        if let Some(r) = &s.request {
            prop_assert!(!mip::has_tnc(r), "MIP-1: TNC in a request");
            if s.via_esp {
                prop_assert!(
                    matches!(r.body, Body::Request { flags: f, coa: TIA, .. } if f & flags::T != 0),
                    "MIP-6: inner registration with T and the TIA"
                );
            }
        }
        if s.user && !s.inside_link {
            prop_assert!(s.via_esp, "outside, user data only through the VPN");
        }
    }
    Ok(())
}

#[test]
fn rfc5265_end_to_end_inside_outside_inside_with_echoes() {
    for natt in [false, true] {
        let mut w = World::new(natt);
        w.attach(true);
        w.run_until(T0 + 2_000);
        assert!(matches!(w.mn.location(), Location::Inside(_)));
        w.send_user();
        w.run_until(T0 + 50_000);
        w.send_user();
        w.run_until(T0 + 51_000);
        w.attach(false);
        w.run_until(T0 + 53_000);
        assert_eq!(w.mn.location(), Location::Outside);
        w.send_user();
        w.run_until(T0 + 54_000);
        w.attach(true);
        w.run_until(T0 + 56_000);
        w.send_user();
        w.run_until(T0 + 57_000);
        assert_eq!(w.modes, vec![AccessMode::C, AccessMode::Cvc, AccessMode::C]);
        assert_eq!(w.echoed, 4, "every datagram came back through the same path (natt {natt})");
        check(&w).unwrap();
        // T_MONITOR: the inside registration was refreshed before 60 s.
        let refreshes = w
            .sent
            .iter()
            .filter(|s| {
                s.inside_link
                    && s.request
                        .as_ref()
                        .is_some_and(|m| matches!(m.body, Body::Request { home_agent: IHA, .. }))
            })
            .count();
        assert!(refreshes >= 2, "{refreshes}");
    }
}

#[derive(Debug, Clone)]
enum Op {
    Move(bool),
    Send,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![any::<bool>().prop_map(Op::Move), Just(Op::Send), (1u64..70_000).prop_map(Op::Wait)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn rfc5265_random_moves_never_leak_plaintext_or_miss_t_monitor(natt in any::<bool>(), ops in proptest::collection::vec(op(), 1..24)) {
        let mut w = World::new(natt);
        for o in ops {
            match o {
                Op::Move(inside) => w.attach(inside),
                Op::Send => w.send_user(),
                Op::Wait(ms) => {
                    let until = w.now + ms;
                    w.run_until(until);
                }
            }
        }
        let until = w.now + 2_000;
        w.run_until(until);
        check(&w)?;
    }
}

/// The checker is not vacuous: each mobile node fault it guards against makes it fail.
#[test]
fn checker_self_test_catches_mip_2_mip_3_mip_6_faults() {
    use agents::mn::MnFault;
    let run = |fault: MnFault, inside: bool, wait: u64| {
        let mut w = World::new(false);
        let mut cfg = w.mn.config().clone();
        cfg.faults.enable(fault);
        w.mn = MobileNode::new(cfg);
        w.attach(inside);
        w.run_until(T0 + 2_000);
        w.run_until(T0 + wait);
        w.send_user();
        w.run_until(T0 + wait + 1_000);
        check(&w)
    };
    assert!(run(MnFault::PlaintextOutside, false, 3_000).is_err(), "MIP-2");
    assert!(run(MnFault::NoMonitor, true, 70_000).is_err(), "MIP-3");
    assert!(run(MnFault::InnerWithoutT, false, 3_000).is_err(), "MIP-6");
    assert!(run(MnFault::TncInRequest, true, 3_000).is_err(), "MIP-1");
}
