//! The scenarios of the corpus: a schedule of higher-layer events for the reference
//! agents, the fault knobs turned on, and — for each injected fault — where its finding
//! must be: the rule, the severity and the frames of the merged capture that carry the
//! fault, picked from the simulator's own record of what each agent sent (never from the
//! conformance engine).

use crate::sim::net::Net;
use crate::sim::topo::{self, Topology};
use crate::sim::{self, Frame, Framing, Link, T0};
use agents::harness::Node;
use agents::msg::dn_code;
use agents::{Body, ClientFault, Event, FaFault, ServerFault};
use codec::gid::Gid;
use crate::built::{Built, BuiltFrame, BuiltLink, Expected};

mod faults;

/// Which of the frames a fault's predicate matches carry a finding.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// The first matching frame.
    First,
    /// Every matching frame.
    All,
    /// The matching frames whose key is lower than the previous matching frame's (a
    /// counter that stepped back).
    Lower(fn(&Frame) -> u64),
}

/// One injected fault and the finding it must produce.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The agent and knob, e.g. `server:GrantLongerLifetime`.
    pub knob: &'static str,
    /// The rule the knob breaks.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: &'static str,
    /// Selects the frames that carry the fault.
    pub pick: fn(&Frame) -> bool,
    /// First or all matching frames.
    pub which: Which,
    /// Why these frames.
    pub why: &'static str,
}

/// A scenario.
pub struct Scenario {
    /// Name: the capture's file stem.
    pub name: &'static str,
    /// One line for the manifest.
    pub description: &'static str,
    /// Spec sections it exercises.
    pub sections: &'static str,
    /// The network.
    pub topo: Topology,
    /// Framing of each FA's access link.
    pub framing: Vec<Framing>,
    /// The injected faults.
    pub faults: Vec<Fault>,
    /// Turns the knobs on and runs the schedule.
    pub run: fn(&mut Net),
}

/// One generated scenario: its frames and the expected (rule, frame, severity) findings.
pub struct Generated {
    /// The frames in capture order (frame numbers from 1).
    pub frames: Vec<Frame>,
    /// The links, in interface order of the merged capture.
    pub links: Vec<Link>,
    /// (rule, frame number, severity, knob) of every expected finding.
    pub expected: Vec<(&'static str, u64, &'static str, &'static str)>,
}

impl Scenario {
    /// Runs the scenario and locates its faults' frames.
    pub fn generate(&self) -> Result<Generated, String> {
        let mut net = self.topo.build();
        (self.run)(&mut net);
        if let Some((t, n, e)) = net.wire_errors.first() {
            return Err(format!("{}: {n:?} at {t}: {e}", self.name));
        }
        let frames = sim::render(&net, &self.framing)?;
        let mut links: Vec<Link> = (0..self.topo.fas).map(Link::Access).collect();
        links.push(Link::Core);
        let mut expected = Vec::new();
        for f in &self.faults {
            let hits: Vec<u64> = frames
                .iter()
                .enumerate()
                .filter(|(_, fr)| (f.pick)(fr))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            if hits.is_empty() {
                return Err(format!(
                    "{}: fault {} was injected but no frame carries it",
                    self.name, f.knob
                ));
            }
            let take: Vec<u64> = match f.which {
                Which::First => hits[..1].to_vec(),
                Which::All => hits,
                Which::Lower(key) => hits
                    .windows(2)
                    .filter(|w| key(&frames[w[1] as usize - 1]) < key(&frames[w[0] as usize - 1]))
                    .map(|w| w[1])
                    .collect(),
            };
            if take.is_empty() {
                return Err(format!("{}: fault {} was injected but no frame shows it", self.name, f.knob));
            }
            expected.extend(take.iter().map(|&n| (f.rule, n, f.severity, f.knob)));
        }
        expected.sort();
        Ok(Generated {
            frames,
            links,
            expected,
        })
    }
}

impl Scenario {
    /// Runs the scenario and hands it over as a [`Built`] (links, frames, keys, expected
    /// findings) for the corpus files and the manifest.
    pub fn build(&self) -> Result<Built, String> {
        let g = self.generate()?;
        let links: Vec<BuiltLink> = g
            .links
            .iter()
            .map(|l| BuiltLink {
                name: l.name(),
                datalink: sim::datalink(*l, &self.framing),
                framing: match l {
                    Link::Access(i) => self.framing.get(*i).map_or("ethernet-dix", |f| f.as_str()).to_string(),
                    Link::Core => "ethernet-ipv4-gre".to_string(),
                },
            })
            .collect();
        let frames = g
            .frames
            .iter()
            .map(|f| {
                let link = g.links.iter().position(|l| *l == f.link).ok_or("frame on an undeclared link")?;
                Ok(BuiltFrame {
                    at_ms: f.at,
                    link,
                    octets: f.octets.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Built {
            name: self.name.to_string(),
            description: self.description.to_string(),
            sections: self.sections.to_string(),
            links,
            frames,
            keys: self.topo.keys_json(),
            faults: self.faults.iter().map(|f| f.knob.to_string()).collect(),
            expected: g
                .expected
                .iter()
                .map(|(rule, frame, severity, knob)| Expected {
                    rule: rule.to_string(),
                    frame: *frame,
                    severity: severity.to_string(),
                    knob: knob.to_string(),
                })
                .collect(),
        })
    }
}

fn at(ms: u64) -> u64 {
    T0 + ms
}

fn gid(c: usize) -> Gid {
    Gid::mac(topo::client_mac(c))
}

/// User data from client `c` (upstream) or to it (downstream), as an L2TP data message.
fn data(c: usize, up: bool, text: &str) -> Vec<u8> {
    let (src, dst, sport, dport) = if up {
        (topo::inner_addr(c), topo::PEER_HOST, 40000 + c as u16, 7)
    } else {
        (topo::PEER_HOST, topo::inner_addr(c), 7, 40000 + c as u16)
    };
    topo::l2tp_user_data(1, 1 + c as u16, src, dst, sport, dport, text.as_bytes()).unwrap_or_default()
}

fn send_up(net: &mut Net, t: u64, c: usize, text: &str) {
    net.schedule(
        at(t),
        Node::Client(c),
        Event::SendData {
            peer: None,
            payload: data(c, true, text),
        },
    );
}

fn send_down(net: &mut Net, t: u64, c: usize, text: &str) {
    net.schedule(
        at(t),
        Node::Server(0),
        Event::SendData {
            peer: Some(gid(c)),
            payload: data(c, false, text),
        },
    );
}

/// Client `c` arrives on FA `fa`'s link at `t` (after the FA's first advertisements) and
/// asks for a connection: it solicits, the FA answers, it registers [PROC-1, PROC-4].
fn arrive_and_connect(net: &mut Net, t: u64, c: usize, fa: usize) {
    net.run_until(at(t));
    if let Some(a) = net.attached.get_mut(c) {
        *a = Some(fa);
    }
    net.schedule(at(t), Node::Client(c), Event::Connect);
}

fn establish(net: &mut Net) {
    arrive_and_connect(net, 1_200, 0, 0);
    send_up(net, 2_000, 0, "hello from the mobile client");
    send_down(net, 2_100, 0, "hello from the home network");
    net.schedule(at(3_000), Node::Client(0), Event::Disconnect);
    net.run_until(at(3_500));
}

/// The client sends MV-DATA 2 ms after its MV-RRQ, before the MV-RRP, then again once
/// registered; the run ends at `until` ms.
fn data_before_registration(net: &mut Net, until: u64) {
    arrive_and_connect(net, 1_200, 0, 0);
    // RRQ at +4 ms (after the unicast MV-FAA), MV-RRP back at +28 ms.
    send_up(net, 1_206, 0, "too early");
    send_up(net, 2_000, 0, "on time");
    net.run_until(at(until));
}

fn roam_at(net: &mut Net, t: u64) {
    arrive_and_connect(net, 1_200, 0, 0);
    send_up(net, 2_000, 0, "before the roam");
    send_down(net, 2_100, 0, "before the roam (reply)");
    crate::sim::net::roam(net, at(t), 0, Some(1), true);
    send_up(net, t + 500, 0, "after the roam");
    send_down(net, t + 600, 0, "after the roam (reply)");
    net.run_until(at(t + 1_000));
}

fn roam(net: &mut Net) {
    roam_at(net, 3_000);
}

fn expiry(net: &mut Net) {
    arrive_and_connect(net, 1_200, 0, 0);
    send_up(net, 2_000, 0, "last words");
    // The client leaves the FA's link without a word; the server's record expires after
    // the 20 s lifetime [PROC-10]. The capture runs 12 s past the expiry, so that a
    // checker's grace period after the lifetime ends inside the capture.
    net.run_until(at(2_500));
    if let Some(a) = net.attached.get_mut(0) {
        *a = None;
    }
    net.run_until(at(33_500));
}

fn is_from(fr: &Frame, n: Node) -> bool {
    fr.from == n
}

fn server_rrp(fr: &Frame) -> bool {
    is_from(fr, Node::Server(0))
        && fr.link == Link::Core
        && matches!(fr.msg().map(|m| &m.body), Some(Body::Rrp(r)) if r.code == 0)
}

/// The server's accepting MV-RRP sent after the late MV-RRQ arrived (t > 4 s).
fn late_rrp(fr: &Frame) -> bool {
    server_rrp(fr) && fr.at > at(4_000)
}

/// Every scenario of the corpus, in manifest order.
pub fn all() -> Vec<Scenario> {
    let one = |fas| Topology {
        fas,
        clients: 1,
        seed: 2026,
        lifetime: 1_800,
        loss_per_mille: 0,
        dup_per_mille: 0,
    };
    let dix1 = vec![Framing::Dix];
    let two = vec![Framing::Dix, Framing::Snap];
    vec![
        Scenario {
            name: "mvtp-establish",
            description: "FA advertising, client discovery (MV-FAS, unicast MV-FAA), registration relayed over IP/GRE and accepted, MV-DATA both ways, disconnect",
            sections: "§5.1 §5.2 §5.3 §5.4",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![],
            run: establish,
        },
        Scenario {
            name: "mvtp-roam",
            description: "registration at FA1 (Ethernet II), roam to FA2 (LLC/SNAP) with Roam Notify; the server sends MV-DN code 5 to FA1",
            sections: "§5.2 §5.4 PROC-15",
            topo: one(2),
            framing: two.clone(),
            faults: vec![],
            run: roam,
        },
        Scenario {
            name: "mvtp-expiry",
            description: "registration with a 20 s lifetime, then the client leaves silently; the server expires the record with MV-DN code 1 (capture runs to 33.5 s)",
            sections: "§5.4 PROC-10",
            topo: Topology { lifetime: 20, ..one(1) },
            framing: dix1.clone(),
            faults: vec![],
            run: expiry,
        },
        Scenario {
            name: "mvtp-roam-wlan",
            description: "mvtp-roam where FA2's access link is IEEE 802.11 (radiotap, data frames To/From DS, LLC/SNAP)",
            sections: "§2.1 §5.2 §5.4",
            topo: one(2),
            framing: vec![Framing::Dix, Framing::Wlan],
            faults: vec![],
            run: roam,
        },
        Scenario {
            name: "mvtp-roam-lossy",
            description: "mvtp-roam over links that lose 15 % of the packets, and a core that duplicates 20 % (seeded): retransmissions and duplicates",
            sections: "§5.2 PROC-4 PROC-7",
            topo: Topology { loss_per_mille: 150, dup_per_mille: 200, seed: 7, ..one(2) },
            framing: two.clone(),
            faults: vec![],
            run: roam,
        },
        Scenario {
            name: "mvtp-roam-stale-connect-id",
            description: "FA1's first IP/GRE copy of the MV-RRQ is held 3 s in the core; the client retransmits, registers, roams to FA2 with a newer Connect ID; the late copy then reaches a server that skips the replay check and accepts the stale Connect ID",
            sections: "PROC-7 AUTH-6",
            topo: one(2),
            framing: two.clone(),
            faults: vec![
                Fault {
                    knob: "server:AcceptStaleConnectId",
                    rule: "PROC-7",
                    severity: "error",
                    pick: late_rrp,
                    which: Which::First,
                    why: "the server's MV-RRP code 0 to the late, stale MV-RRQ",
                },
                Fault {
                    knob: "server:SkipReplayCheck",
                    rule: "AUTH-6",
                    severity: "error",
                    pick: late_rrp,
                    which: Which::First,
                    why: "the same reply accepts an Identification older than the last accepted one",
                },
            ],
            run: |net| {
                if let Some(s) = net.servers.get_mut(0) {
                    s.config_mut().faults.enable(ServerFault::AcceptStaleConnectId);
                    s.config_mut().faults.enable(ServerFault::SkipReplayCheck);
                }
                net.delays.push(crate::sim::net::Delay {
                    pick: |from, rx| {
                        from == Node::Fa(0) && matches!(&rx.packet, agents::Packet::Mvtp(m) if matches!(m.body, Body::Rrq(_)))
                    },
                    extra_ms: 3_000,
                    used: false,
                });
                arrive_and_connect(net, 1_200, 0, 0);
                crate::sim::net::roam(net, at(2_500), 0, Some(1), true);
                net.run_until(at(5_000));
            },
        },
        Scenario {
            name: "mvtp-establish-data-before-registration",
            description: "mvtp-establish where the client sends MV-DATA while its MV-RRQ is unanswered",
            sections: "PROC-11",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "client:DataBeforeRegistration",
                rule: "PROC-11",
                severity: "error",
                pick: |fr| is_from(fr, Node::Client(0)) && matches!(fr.msg().map(|m| &m.body), Some(Body::Data { .. })),
                which: Which::First,
                why: "the client's MV-DATA sent before the MV-RRP",
            }],
            run: |net| {
                if let Some(c) = net.clients.get_mut(0) {
                    c.config_mut().faults.enable(ClientFault::DataBeforeRegistration);
                }
                data_before_registration(net, 2_500);
            },
        },
        Scenario {
            name: "mvtp-establish-reuse-leid",
            description: "two clients register through one FA, which gives the second the Local Endpoint ID of the first",
            sections: "PROC-5",
            topo: Topology { clients: 2, ..one(1) },
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "fa:ReuseLeid",
                rule: "PROC-5",
                severity: "error",
                pick: |fr| {
                    is_from(fr, Node::Fa(0))
                        && fr.link == Link::Core
                        && matches!(fr.msg(), Some(m) if matches!(m.body, Body::Rrq(_)) && m.gid == Some(gid(1)))
                },
                which: Which::First,
                why: "the FA's IP/GRE copy of the second client's MV-RRQ, carrying the LEID already in use",
            }],
            run: |net| {
                if let Some(f) = net.fas.get_mut(0) {
                    f.config_mut().faults.enable(FaFault::ReuseLeid);
                }
                arrive_and_connect(net, 1_200, 0, 0);
                arrive_and_connect(net, 2_200, 1, 0);
                net.run_until(at(3_000));
            },
        },
        Scenario {
            name: "mvtp-roam-skip-connect-id",
            description: "mvtp-roam 11 s after registering, where the client reuses its Connect ID for the registration at FA2",
            sections: "PROC-4",
            topo: one(2),
            framing: two.clone(),
            faults: vec![Fault {
                knob: "client:SkipConnectIdIncrement",
                rule: "PROC-4",
                severity: "error",
                pick: |fr| {
                    is_from(fr, Node::Client(0))
                        && fr.link == Link::Access(1)
                        && matches!(fr.msg().map(|m| &m.body), Some(Body::Rrq(_)))
                },
                which: Which::First,
                why: "the client's MV-RRQ on FA2's link, a new attempt with the old Connect ID",
            }],
            run: |net| {
                if let Some(c) = net.clients.get_mut(0) {
                    c.config_mut().faults.enable(ClientFault::SkipConnectIdIncrement);
                }
                roam_at(net, 12_500);
            },
        },
        Scenario {
            name: "mvtp-roam-relay-roam-notify",
            description: "mvtp-roam where FA1 relays the server's Roam Notify (MV-DN code 5) to the client",
            sections: "AUTH-7",
            topo: one(2),
            framing: two.clone(),
            faults: vec![Fault {
                knob: "fa:RelayRoamNotify",
                rule: "AUTH-7",
                severity: "error",
                pick: |fr| {
                    is_from(fr, Node::Fa(0))
                        && fr.link == Link::Access(0)
                        && matches!(fr.msg().map(|m| &m.body), Some(Body::Dn { code, .. }) if *code == dn_code::ROAMED)
                },
                which: Which::All,
                why: "FA1's MV-DN code 5 on its access link",
            }],
            run: |net| {
                if let Some(f) = net.fas.get_mut(0) {
                    f.config_mut().faults.enable(FaFault::RelayRoamNotify);
                }
                roam(net);
            },
        },
        Scenario {
            name: "mvtp-establish-longer-lifetime",
            description: "mvtp-establish where the server grants 60 s more than the requested lifetime",
            sections: "FMT-11",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:GrantLongerLifetime",
                rule: "FMT-11",
                severity: "error",
                pick: server_rrp,
                which: Which::All,
                why: "every accepting MV-RRP of the server (its IP/GRE copy, the first)",
            }],
            run: |net| {
                if let Some(s) = net.servers.get_mut(0) {
                    s.config_mut().faults.enable(ServerFault::GrantLongerLifetime);
                }
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-no-flag-echo",
            description: "mvtp-establish where the server's MV-RRP does not echo the request's R flag",
            sections: "FMT-9",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:NoFlagEcho",
                rule: "FMT-9",
                severity: "error",
                pick: server_rrp,
                which: Which::All,
                why: "every accepting MV-RRP of the server to a request with R or N set (here: the initial one)",
            }],
            run: |net| {
                if let Some(s) = net.servers.get_mut(0) {
                    s.config_mut().faults.enable(ServerFault::NoFlagEcho);
                }
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-expiry-no-expiry-notify",
            description: "mvtp-expiry where the server closes the expired record silently (no MV-DN code 1)",
            sections: "PROC-10",
            topo: Topology { lifetime: 20, ..one(1) },
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:NoExpiryNotify",
                rule: "PROC-10",
                severity: "error",
                pick: server_rrp,
                which: Which::First,
                why: "the missing MV-DN has no frame: the finding is on the MV-RRP that granted the lifetime that expired",
            }],
            run: |net| {
                if let Some(s) = net.servers.get_mut(0) {
                    s.config_mut().faults.enable(ServerFault::NoExpiryNotify);
                }
                expiry(net);
            },
        },
    ]
    .into_iter()
    .chain(faults::all())
    .collect()
}
