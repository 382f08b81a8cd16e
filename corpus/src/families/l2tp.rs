//! The L2TP family (spec §7): Mobile PPP through the FA's VPN gateway with a roam and the
//! LNS hand-off, Mobile L2TP (the client's own L2TP inside MV-DATA, roaming transparent
//! to L2TP), a client restart (C = 0: a new PPP, the old session replaced), Mobile
//! Multi-link PPP switching from a LAN link (MVTP/L2TP) to a WAN link (L2TP straight from
//! the client's WAN address) in one bundle, and one fault variant per rule.
//!
//! A small scripted event loop drives the reference agents of `mvtp-agents` — client,
//! gateways ([`agents::gateway`]), MVTP server, LNS ([`agents::lns`]) — with one clock
//! and one queue, and records what each link carries (`fa1`, `fa2`: Ethernet II access
//! links; `core`: IPv4 GRE and L2TP/UDP between care-of addresses, the server and the LNS;
//! `wan`: the client's WAN link). Frames are built with the codec's stack builder; the
//! addresses are the simulator's (`crate::sim::topo`). An agent announces a fault it
//! injects just before the frame that carries it (or names the frame that was its
//! occasion), so the expected findings come from the injection, never from the engine.

use crate::built::{Built, BuiltFrame, BuiltLink, Expected};
use crate::sim::topo::{
    client_mac, fa_coa, fa_mac, mh_secret, mh_spi, FH_SECRET, FH_SPI, PEER_HOST, SERVER,
};
use crate::sim::T0;
use agents::gateway::{Gateway, GatewayConfig, GatewayFault, GwIn, GwOut};
use agents::l2tp::{self as l2, Lac, LacEvent};
use agents::l2tp_ppp::{Ppp, PppConfig};
use agents::lns::{Lns, LnsConfig, LnsFault, LnsOut};
use agents::msg::encap;
use agents::{
    Action, Addr, Client, ClientConfig, Event, FaConfig, Iface, Indication, Packet, Rng, Rx,
    Server, ServerConfig, Timer,
};
use codec::auth::{Algorithm, AuthKey};
use codec::ethernet::{BROADCAST, MVTP_MULTICAST};
use codec::gid::Gid;
use codec::l2tp::Message;
use codec::numbers::{EtherType, IpProto};
use codec::stack::Node as S;
use pcap_file::DataLink;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The LNS (Home IP Address of a PPP client).
pub const LNS_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
/// The LNS's PPP address.
pub const LNS_PPP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// First address the LNS hands out by IPCP.
pub const POOL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
/// The client's WAN address (MMP).
pub const WAN_ADDR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 200);
/// One-way latency on an access link and on the WAN link, ms.
const ACCESS_MS: u64 = 2;
/// One-way latency across the core, ms.
const CORE_MS: u64 = 10;
/// UDP ports of the user datagrams (to the echo service of the peer host).
const USER_SPORT: u16 = 40_000;
const ECHO_PORT: u16 = 7;
/// The client's L2TP IDs when it is its own LAC (Mobile L2TP, MMP WAN link).
const CLIENT_TUNNEL: u16 = 7;
const CLIENT_SESSION: u16 = 7;
const WAN_TUNNEL: u16 = 8;
const WAN_SESSION: u16 = 8;
/// Seed of the client's first Connect ID.
const SEED: u64 = 0x12c9;

/// Router-side 802 addresses on the core and the WAN link.
fn gw_core_mac(i: usize) -> [u8; 6] {
    [0x00, 0x1e, 0x49, 0x7a, 0x30, (i as u8).wrapping_add(1)]
}
const HOME_ROUTER_MAC: [u8; 6] = [0x00, 0x50, 0x56, 0x9c, 0x40, 0x01];
const CLIENT_WAN_MAC: [u8; 6] = [0x00, 0x21, 0x6a, 0x4b, 0x50, 0x01];
const WAN_ROUTER_MAC: [u8; 6] = [0x00, 0x0c, 0x42, 0x5e, 0x60, 0x01];

/// What a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Mobile PPP (Encap 1) through gateway 1, roam with hand-off to gateway 2, disconnect.
    Ppp,
    /// Mobile L2TP (Encap 2) through FA 1 and FA 2 to the MVTP server with the LNS behind it.
    L2tp,
    /// Mobile PPP through gateway 1, then the client restarts through gateway 2 (R = 1).
    Restart,
    /// Mobile Multi-link PPP: LAN link through gateway 1, WAN link straight to the LNS.
    Mmp,
    /// Mobile PPP through gateway 1, then two quick roams (FA 2, FA 3); gateway 2's ICRQ
    /// is held up on its way and reaches the LNS after gateway 3's newer one.
    Race,
}

/// One scenario of the family.
struct Spec {
    name: &'static str,
    description: &'static str,
    sections: &'static str,
    kind: Kind,
    gw_faults: &'static [(usize, GatewayFault)],
    lns_faults: &'static [LnsFault],
}

/// The rule a knob breaks.
fn rule_of(knob: &str) -> &'static str {
    match knob {
        "gateway:CsnNotConnectId" | "gateway:NoHandoffAvps" | "gateway:HandoffAvpsMandatory" => {
            "L2TP-1"
        }
        "gateway:ContinueEqualsReset" => "L2TP-2",
        "gateway:RrpBeforeIcrp" => "L2TP-3",
        "gateway:AlterPppFrame" => "L2TP-4",
        "gateway:NoDnOnCdn" | "gateway:NoCdnOnDn" => "L2TP-5",
        "lns:AcceptOlderCsn" | "lns:NoClearOnHandoff" => "L2TP-6",
        "lns:CompareCsnWithoutContinue" => "L2TP-7",
        "gateway:SkipNs" => "RFC2661-5.8",
        "gateway:OwnSessionId" | "lns:WrongTunnelId" => "RFC2661-3.1",
        _ => "UNKNOWN",
    }
}

fn knob_of_gw(f: GatewayFault) -> &'static str {
    match f {
        GatewayFault::CsnNotConnectId => "gateway:CsnNotConnectId",
        GatewayFault::HandoffAvpsMandatory => "gateway:HandoffAvpsMandatory",
        GatewayFault::NoHandoffAvps => "gateway:NoHandoffAvps",
        GatewayFault::ContinueEqualsReset => "gateway:ContinueEqualsReset",
        GatewayFault::RrpBeforeIcrp => "gateway:RrpBeforeIcrp",
        GatewayFault::AlterPppFrame => "gateway:AlterPppFrame",
        GatewayFault::NoDnOnCdn => "gateway:NoDnOnCdn",
        GatewayFault::NoCdnOnDn => "gateway:NoCdnOnDn",
        GatewayFault::SkipNs => "gateway:SkipNs",
        GatewayFault::OwnSessionId => "gateway:OwnSessionId",
    }
}

fn knob_of_lns(f: LnsFault) -> &'static str {
    match f {
        LnsFault::AcceptOlderCsn => "lns:AcceptOlderCsn",
        LnsFault::NoClearOnHandoff => "lns:NoClearOnHandoff",
        LnsFault::CompareCsnWithoutContinue => "lns:CompareCsnWithoutContinue",
        LnsFault::WrongTunnelId => "lns:WrongTunnelId",
    }
}

/// A node of the loop (one client per scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum N {
    Client,
    Gw(usize),
    Server,
    Lns,
}

/// How the LNS names a LAC: an address, or the client behind the MVTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Ip(Ipv4Addr),
    Home,
}

#[derive(Debug, Clone)]
enum In {
    Mvtp(Event),
    Timer(Timer, u64),
    L2tp { src: Ipv4Addr, msg: Message },
    Roam(usize),
    User(&'static str),
    WanUp,
    Restart { fa: usize, back: u32 },
}

fn key(secret: &[u8]) -> AuthKey {
    AuthKey {
        algorithm: Algorithm::HmacMd5,
        secret: secret.to_vec(),
    }
}

struct World {
    now: u64,
    seq: u64,
    queue: BTreeMap<(u64, u64), (N, In, Option<u64>)>,
    timers: BTreeMap<(N, Timer), u64>,
    kind: Kind,
    client: Client,
    attached: Option<usize>,
    ppp: Ppp,
    ppp_started: bool,
    lac: Lac,
    wan: Option<(Lac, Ppp)>,
    /// Gateway whose first ICRQ is held up on the core (ms).
    hold_icrq: Option<(usize, u64)>,
    mp_seq: u32,
    gws: Vec<Gateway>,
    server: Server,
    lns: Lns<Peer>,
    n_fa: usize,
    frames: Vec<BuiltFrame>,
    expected: Vec<Expected>,
    marks: Vec<&'static str>,
    input_frame: Option<u64>,
    errors: Vec<String>,
}

fn client_config(kind: Kind) -> ClientConfig {
    let mac = client_mac(0);
    let home = if kind == Kind::L2tp { SERVER } else { LNS_ADDR };
    let mut c = ClientConfig::new(mac, Gid::mac(mac), home);
    c.encap = if kind == Kind::L2tp {
        encap::L2TP_TRANSPORT
    } else {
        encap::PPP_TO_L2TP
    };
    if kind == Kind::L2tp {
        c.keys.insert(mh_spi(0), key(&mh_secret(0)));
        c.mh_spi = Some(mh_spi(0));
    }
    c
}

fn client_ppp(kind: Kind) -> Ppp {
    let multilink = (kind == Kind::Mmp).then(|| (1500, Gid::mac(client_mac(0))));
    Ppp::new(
        PppConfig {
            magic: 0x1c2d_3e4f,
            address: None,
            give: None,
            multilink,
        },
        true,
    )
}

impl World {
    fn new(spec: &Spec) -> Self {
        let n_fa = if spec.kind == Kind::Race { 3 } else { 2 };
        let mut gws = Vec::new();
        for i in 0..n_fa {
            let mut fa = FaConfig::new(fa_mac(i), fa_coa(i));
            fa.keys.insert(FH_SPI, key(FH_SECRET));
            fa.initial_seq = 300 + 100 * i as u16;
            let mut g = GatewayConfig::new(fa, &format!("gw{}.example", i + 1));
            g.first_tunnel_id = 10 * (i as u16 + 1);
            g.first_session_id = 0x100 * (i as u16 + 1);
            for (at, f) in spec.gw_faults {
                if *at == i {
                    g.faults.enable(*f);
                }
            }
            gws.push(Gateway::new(g));
        }
        let mut scfg = ServerConfig::new(SERVER);
        scfg.keys.insert(FH_SPI, key(FH_SECRET));
        scfg.fh_spi = Some(FH_SPI);
        scfg.keys.insert(mh_spi(0), key(&mh_secret(0)));
        let mut lcfg = LnsConfig::new("lns.example", LNS_PPP, POOL);
        lcfg.first_tunnel_id = 100;
        lcfg.first_session_id = 2000;
        lcfg.multilink = spec.kind == Kind::Mmp;
        for f in spec.lns_faults {
            lcfg.faults.enable(*f);
        }
        Self {
            now: T0,
            seq: 0,
            queue: BTreeMap::new(),
            timers: BTreeMap::new(),
            kind: spec.kind,
            client: Client::new(client_config(spec.kind), Rng::new(SEED)),
            attached: Some(0),
            ppp: client_ppp(spec.kind),
            ppp_started: false,
            lac: Lac::new(CLIENT_TUNNEL, "client.example"),
            wan: None,
            hold_icrq: (spec.kind == Kind::Race).then_some((1, 300)),
            mp_seq: 0,
            gws,
            server: Server::new(scfg),
            lns: Lns::new(lcfg),
            n_fa,
            frames: Vec::new(),
            expected: Vec::new(),
            marks: Vec::new(),
            input_frame: None,
            errors: Vec::new(),
        }
    }

    fn core_link(&self) -> usize {
        self.n_fa
    }

    fn wan_link(&self) -> usize {
        self.n_fa + 1
    }

    fn push(&mut self, at: u64, node: N, input: In, frame: Option<u64>) {
        self.seq += 1;
        self.queue.insert((at, self.seq), (node, input, frame));
    }

    fn set_timer(&mut self, node: N, timer: Timer, at: u64) {
        self.seq += 1;
        let gen = self.seq;
        self.timers.insert((node, timer), gen);
        let at = at.max(self.now);
        self.push(at, node, In::Timer(timer, gen), None);
    }

    fn run_until(&mut self, until: u64) {
        while let Some(entry) = self.queue.first_entry() {
            let (at, _) = *entry.key();
            if at > until {
                break;
            }
            let (node, input, frame) = entry.remove();
            self.now = self.now.max(at);
            self.dispatch(node, input, frame);
        }
        self.now = self.now.max(until);
    }

    /// Records a frame on `link` now; pending fault marks land on it.
    fn record(&mut self, link: usize, node: Result<S, String>) -> Option<u64> {
        let octets = match node.and_then(|n| n.padded().emit_fixed().map_err(|e| e.to_string())) {
            Ok(o) => o,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        self.frames.push(BuiltFrame {
            at_ms: self.now,
            link,
            octets,
        });
        let n = self.frames.len() as u64;
        for knob in std::mem::take(&mut self.marks) {
            self.expected.push(Expected {
                rule: rule_of(knob).into(),
                frame: n,
                severity: "error".into(),
                knob: knob.into(),
            });
        }
        Some(n)
    }

    fn dispatch(&mut self, node: N, input: In, frame: Option<u64>) {
        self.input_frame = frame;
        let input = match input {
            In::Timer(t, gen) => {
                if self.timers.get(&(node, t)) != Some(&gen) {
                    return;
                }
                self.timers.remove(&(node, t));
                In::Mvtp(Event::TimerFired(t))
            }
            other => other,
        };
        match node {
            N::Client => self.client_in(input),
            N::Gw(i) => {
                let gin = match input {
                    In::Mvtp(ev) => GwIn::Mvtp(ev),
                    In::L2tp { src, msg } => GwIn::L2tp { src, msg },
                    _ => return,
                };
                let now = self.now;
                let outs = match self.gws.get_mut(i) {
                    Some(g) => g.handle(now, gin),
                    None => return,
                };
                self.gw_outs(i, outs);
            }
            N::Server => {
                if let In::Mvtp(ev) = input {
                    let acts = self.server.handle(self.now, ev);
                    self.server_actions(acts);
                }
            }
            N::Lns => {
                if let In::L2tp { src, msg } = input {
                    let outs = self.lns.handle(Peer::Ip(src), msg);
                    self.lns_outs(outs);
                }
            }
        }
    }

    fn gw_outs(&mut self, i: usize, outs: Vec<GwOut>) {
        for o in outs {
            match o {
                GwOut::Mvtp(Action::Send(tx)) => self.send_mvtp(N::Gw(i), tx),
                GwOut::Mvtp(Action::SetTimer { timer, at }) => self.set_timer(N::Gw(i), timer, at),
                GwOut::Mvtp(Action::CancelTimer(t)) => {
                    self.timers.remove(&(N::Gw(i), t));
                }
                GwOut::Mvtp(Action::Indicate(_)) => {}
                GwOut::L2tp { dst, msg } => self.send_l2tp(fa_coa(i), dst, &msg),
                GwOut::Injected(k) => self.marks.push(k),
                GwOut::InjectedOnInput(k) => {
                    if let Some(n) = self.input_frame {
                        self.expected.push(Expected {
                            rule: rule_of(k).into(),
                            frame: n,
                            severity: "error".into(),
                            knob: k.into(),
                        });
                    }
                }
            }
        }
    }

    fn server_actions(&mut self, acts: Vec<Action>) {
        for a in acts {
            match a {
                Action::Send(tx) => self.send_mvtp(N::Server, tx),
                Action::SetTimer { timer, at } => self.set_timer(N::Server, timer, at),
                Action::CancelTimer(t) => {
                    self.timers.remove(&(N::Server, t));
                }
                Action::Indicate(Indication::Data { payload, .. }) => match l2::decode(&payload) {
                    Ok(msg) => {
                        let outs = self.lns.handle(Peer::Home, msg);
                        self.lns_outs(outs);
                    }
                    Err(e) => self
                        .errors
                        .push(format!("server got a non-L2TP payload: {e}")),
                },
                Action::Indicate(_) => {}
            }
        }
    }

    fn lns_outs(&mut self, outs: Vec<LnsOut<Peer>>) {
        for o in outs {
            match o {
                LnsOut::Send {
                    to: Peer::Ip(a),
                    msg,
                } => self.send_l2tp(LNS_ADDR, a, &msg),
                LnsOut::Send {
                    to: Peer::Home,
                    msg,
                } => match l2::encode(&msg) {
                    Ok(payload) => {
                        let gid = Some(Gid::mac(client_mac(0)));
                        let acts = self
                            .server
                            .handle(self.now, Event::SendData { peer: gid, payload });
                        self.server_actions(acts);
                    }
                    Err(e) => self.errors.push(e.to_string()),
                },
                LnsOut::Datagram { session, ip } => {
                    // The peer host's echo service answers through the LNS.
                    if let Some(reply) = echo_reply(&ip) {
                        let outs = self.lns.send_datagram(session, &reply);
                        self.lns_outs(outs);
                    }
                }
                LnsOut::Injected(k) => self.marks.push(k),
            }
        }
    }

    /// An MVTP PDU on its link, delivered (decoded from its octets) after the latency.
    fn send_mvtp(&mut self, from: N, tx: Rx) {
        let Packet::Mvtp(msg) = &tx.packet else {
            return;
        };
        let (pdu, back) = match agents::wire::encode(msg)
            .map_err(|e| e.to_string())
            .and_then(|o| {
                agents::wire::decode(&o)
                    .map(|m| (o, m))
                    .map_err(|e| e.to_string())
            }) {
            Ok(x) => x,
            Err(e) => return self.errors.push(e),
        };
        let rx = Rx {
            iface: tx.iface,
            addr: tx.addr,
            packet: Packet::Mvtp(back),
        };
        match (from, tx.iface, tx.addr) {
            (N::Client, Iface::Access, Addr::Link { src, dst }) => {
                let Some(f) = self.attached else { return };
                let n = self.record(f, Ok(S::ethernet(dst, src, EtherType::MVTP, S::raw(pdu))));
                if dst == fa_mac(f) || dst == MVTP_MULTICAST || dst == BROADCAST {
                    self.push(
                        self.now + ACCESS_MS,
                        N::Gw(f),
                        In::Mvtp(Event::Received(rx)),
                        n,
                    );
                }
            }
            (N::Gw(f), Iface::Access, Addr::Link { src, dst }) => {
                let n = self.record(f, Ok(S::ethernet(dst, src, EtherType::MVTP, S::raw(pdu))));
                let here = self.attached == Some(f);
                if here && (dst == client_mac(0) || dst == MVTP_MULTICAST || dst == BROADCAST) {
                    self.push(
                        self.now + ACCESS_MS,
                        N::Client,
                        In::Mvtp(Event::Received(rx)),
                        n,
                    );
                }
            }
            (N::Gw(f), Iface::Core, Addr::Ip { src, dst }) => {
                let ip = S::ipv4(
                    src.octets(),
                    dst.octets(),
                    IpProto::GRE,
                    S::gre(EtherType::MVTP, S::raw(pdu)),
                );
                let core = self.core_link();
                let n = self.record(
                    core,
                    Ok(S::ethernet(
                        HOME_ROUTER_MAC,
                        gw_core_mac(f),
                        EtherType::IPV4,
                        ip,
                    )),
                );
                if dst == SERVER {
                    self.push(
                        self.now + CORE_MS,
                        N::Server,
                        In::Mvtp(Event::Received(rx)),
                        n,
                    );
                }
            }
            (N::Server, Iface::Core, Addr::Ip { src, dst }) => {
                let ip = S::ipv4(
                    src.octets(),
                    dst.octets(),
                    IpProto::GRE,
                    S::gre(EtherType::MVTP, S::raw(pdu)),
                );
                let g = (0..self.n_fa).find(|&g| fa_coa(g) == dst);
                let core = self.core_link();
                let n = self.record(
                    core,
                    Ok(S::ethernet(
                        gw_core_mac(g.unwrap_or(0)),
                        HOME_ROUTER_MAC,
                        EtherType::IPV4,
                        ip,
                    )),
                );
                if let Some(g) = g {
                    self.push(
                        self.now + CORE_MS,
                        N::Gw(g),
                        In::Mvtp(Event::Received(rx)),
                        n,
                    );
                }
            }
            _ => self
                .errors
                .push(format!("{from:?} sent an MVTP PDU it cannot send: {tx:?}")),
        }
    }

    /// An L2TP message over UDP 1701 on the core or the WAN link.
    fn send_l2tp(&mut self, src: Ipv4Addr, dst: Ipv4Addr, msg: &Message) {
        let (octets, back) = match l2::encode(msg)
            .map_err(|e| e.to_string())
            .and_then(|o| l2::decode(&o).map(|m| (o, m)).map_err(|e| e.to_string()))
        {
            Ok(x) => x,
            Err(e) => return self.errors.push(e),
        };
        let ip = S::ipv4(
            src.octets(),
            dst.octets(),
            IpProto::UDP,
            S::udp(l2::PORT, l2::PORT, S::raw(octets)),
        );
        let wan = src == WAN_ADDR || dst == WAN_ADDR;
        let (link, eth, latency) = if wan {
            let (d, s) = if src == WAN_ADDR {
                (WAN_ROUTER_MAC, CLIENT_WAN_MAC)
            } else {
                (CLIENT_WAN_MAC, WAN_ROUTER_MAC)
            };
            (
                self.wan_link(),
                S::ethernet(d, s, EtherType::IPV4, ip),
                ACCESS_MS + CORE_MS,
            )
        } else {
            let g = |a: Ipv4Addr| (0..self.n_fa).find(|&g| fa_coa(g) == a).unwrap_or(0);
            let (d, s) = if src == LNS_ADDR {
                (gw_core_mac(g(dst)), HOME_ROUTER_MAC)
            } else {
                (HOME_ROUTER_MAC, gw_core_mac(g(src)))
            };
            (
                self.core_link(),
                S::ethernet(d, s, EtherType::IPV4, ip),
                CORE_MS,
            )
        };
        let n = self.record(link, Ok(eth));
        let mut latency = latency;
        if let Some((g, extra)) = self.hold_icrq {
            if src == fa_coa(g) && l2::message_type(msg) == Some(codec::l2tp::MessageType::ICRQ) {
                self.hold_icrq = None;
                latency += extra;
            }
        }
        let to = if dst == LNS_ADDR {
            Some(N::Lns)
        } else if dst == WAN_ADDR {
            Some(N::Client)
        } else {
            (0..self.n_fa).find(|&g| fa_coa(g) == dst).map(N::Gw)
        };
        if let Some(to) = to {
            self.push(self.now + latency, to, In::L2tp { src, msg: back }, n);
        }
    }

    fn client_in(&mut self, input: In) {
        let now = self.now;
        match input {
            In::Mvtp(ev) => {
                let acts = self.client.handle(now, ev);
                self.client_actions(acts);
            }
            In::Roam(f) => {
                self.attached = Some(f);
                let acts = self.client.handle(
                    now,
                    Event::Roam {
                        fa: Some(fa_mac(f)),
                    },
                );
                self.client_actions(acts);
            }
            In::User(text) => self.user(text),
            In::WanUp => {
                let gid = Gid::mac(client_mac(0));
                let addr = self.ppp.address();
                let mut ppp = Ppp::new(
                    PppConfig {
                        magic: 0x1c2d_3e50,
                        address: addr,
                        give: None,
                        multilink: Some((1500, gid)),
                    },
                    false,
                );
                let _ = &mut ppp;
                let mut lac = Lac::new(WAN_TUNNEL, "client-wan.example");
                let msgs = lac.place_call(WAN_SESSION, Some(1), None);
                self.wan = Some((lac, ppp));
                for m in msgs {
                    self.send_l2tp(WAN_ADDR, LNS_ADDR, &m);
                }
            }
            In::L2tp { msg, .. } => self.wan_in(msg),
            In::Restart { fa, back } => {
                // The client starts over (a reboot): a new agent whose first Connect ID is
                // `back` below the last one, a new PPP; R = 1 in its first MV-RRQ.
                let last = self.client.connect_id().unwrap_or(0);
                let mut cfg = client_config(self.kind);
                cfg.initial_connect_id = Some(last.wrapping_sub(back));
                self.client = Client::new(cfg, Rng::new(SEED));
                self.timers.retain(|(n, _), _| *n != N::Client);
                self.attached = Some(fa);
                self.ppp = client_ppp(self.kind);
                self.ppp_started = false;
                let acts = self.client.handle(now, Event::Connect);
                self.client_actions(acts);
            }
            In::Timer(..) => {}
        }
    }

    fn client_actions(&mut self, acts: Vec<Action>) {
        for a in acts {
            match a {
                Action::Send(tx) => self.send_mvtp(N::Client, tx),
                Action::SetTimer { timer, at } => self.set_timer(N::Client, timer, at),
                Action::CancelTimer(t) => {
                    self.timers.remove(&(N::Client, t));
                }
                Action::Indicate(Indication::Open { .. }) if !self.ppp_started => {
                    self.ppp_started = true;
                    if self.kind == Kind::L2tp {
                        let msgs = self.lac.place_call(CLIENT_SESSION, Some(1), None);
                        self.lac_send(msgs);
                    } else {
                        let frames = self.ppp.open();
                        self.client_data_frames(frames);
                    }
                }
                Action::Indicate(Indication::Data { payload, .. }) => self.link_data(payload),
                Action::Indicate(_) => {}
            }
        }
    }

    fn client_send(&mut self, payload: Vec<u8>) {
        let acts = self.client.handle(
            self.now,
            Event::SendData {
                peer: None,
                payload,
            },
        );
        self.client_actions(acts);
    }

    fn lac_send(&mut self, msgs: Vec<Message>) {
        for m in msgs {
            match l2::encode(&m) {
                Ok(o) => self.client_send(o),
                Err(e) => self.errors.push(e.to_string()),
            }
        }
    }

    /// PPP frames of the LAN link: in MV-DATA (Encap 1) or in the client's own L2TP (Encap 2).
    fn client_data_frames(&mut self, frames: Vec<Vec<u8>>) {
        for f in frames {
            if self.kind == Kind::L2tp {
                if let Some(m) = self.lac.data(CLIENT_SESSION, f) {
                    self.lac_send(vec![m]);
                }
            } else {
                self.client_send(f);
            }
        }
    }

    fn link_data(&mut self, payload: Vec<u8>) {
        if self.kind != Kind::L2tp {
            let (frames, _) = self.ppp.input(&payload);
            return self.client_data_frames(frames);
        }
        let Ok(msg) = l2::decode(&payload) else {
            return;
        };
        let (msgs, events) = self.lac.receive(&msg);
        self.lac_send(msgs);
        for e in events {
            match e {
                LacEvent::Connected { .. } => {
                    let frames = self.ppp.open();
                    self.client_data_frames(frames);
                }
                LacEvent::Data { ppp, .. } => {
                    let (frames, _) = self.ppp.input(&ppp);
                    self.client_data_frames(frames);
                }
                LacEvent::Disconnected { .. } => {}
            }
        }
    }

    fn wan_in(&mut self, msg: Message) {
        let Some((mut lac, mut ppp)) = self.wan.take() else {
            return;
        };
        let (msgs, events) = lac.receive(&msg);
        let mut out = msgs;
        for e in events {
            let frames = match e {
                LacEvent::Connected { .. } => ppp.open(),
                LacEvent::Data { ppp: f, .. } => ppp.input(&f).0,
                LacEvent::Disconnected { .. } => Vec::new(),
            };
            out.extend(frames.into_iter().filter_map(|f| lac.data(WAN_SESSION, f)));
        }
        self.wan = Some((lac, ppp));
        for m in out {
            self.send_l2tp(WAN_ADDR, LNS_ADDR, &m);
        }
    }

    /// The user sends a datagram to the peer host: over the LAN link while the MVTP
    /// connection is open, else over the WAN link (MMP), Multilink numbering continued.
    fn user(&mut self, text: &str) {
        let lan = self.client.is_open() && self.ppp.is_up();
        let wan_up = self.wan.as_ref().is_some_and(|(_, p)| p.is_up());
        let Some(src) = self.ppp.address() else {
            return;
        };
        let Ok(ip) = S::ipv4(
            src.octets(),
            PEER_HOST.octets(),
            IpProto::UDP,
            S::udp(USER_SPORT, ECHO_PORT, S::raw(text.as_bytes().to_vec())),
        )
        .emit_fixed() else {
            return;
        };
        if lan {
            self.ppp.set_mp_seq(self.mp_seq);
            let f = self.ppp.datagram(&ip);
            self.mp_seq = self.ppp.mp_seq();
            self.client_data_frames(vec![f]);
        } else if wan_up {
            let Some((lac, mut ppp)) = self.wan.take() else {
                return;
            };
            ppp.set_mp_seq(self.mp_seq);
            let f = ppp.datagram(&ip);
            self.mp_seq = ppp.mp_seq();
            let m = lac.data(WAN_SESSION, f);
            self.wan = Some((lac, ppp));
            if let Some(m) = m {
                self.send_l2tp(WAN_ADDR, LNS_ADDR, &m);
            }
        }
    }
}

/// The echo service's answer to a UDP datagram (addresses and ports swapped).
fn echo_reply(ip: &[u8]) -> Option<Vec<u8>> {
    let hl = usize::from(ip.first()? & 0x0F) * 4;
    if ip.get(9) != Some(&17) {
        return None;
    }
    let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
    let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
    let udp = ip.get(hl..)?;
    let sport = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let data = udp.get(8..)?.to_vec();
    S::ipv4(dst, src, IpProto::UDP, S::udp(dport, sport, S::raw(data)))
        .emit_fixed()
        .ok()
}

/// The scenario's schedule, ms after T0, and its end.
fn script(kind: Kind) -> (Vec<(u64, N, In)>, u64) {
    let mut s = vec![
        (300, N::Client, In::Mvtp(Event::Connect)),
        (1500, N::Client, In::User("hello from the LAN through FA 1")),
    ];
    let end = match kind {
        Kind::Ppp => {
            s.push((2000, N::Client, In::Roam(1)));
            s.push((
                3000,
                N::Client,
                In::User("hello after the hand-off, through FA 2"),
            ));
            s.push((3600, N::Client, In::Mvtp(Event::Disconnect)));
            6000
        }
        Kind::L2tp => {
            s.push((2000, N::Client, In::Roam(1)));
            s.push((
                3000,
                N::Client,
                In::User("hello after the roam, same L2TP session"),
            ));
            3500
        }
        Kind::Restart => {
            // More than MAX_MVTP_PDU_LIFETIME after the last registration [PROC-6].
            s.push((13_000, N::Client, In::Restart { fa: 1, back: 3 }));
            s.push((
                14_200,
                N::Client,
                In::User("hello after the restart, through FA 2"),
            ));
            14_500
        }
        Kind::Race => {
            s.push((2000, N::Client, In::Roam(1)));
            s.push((2005, N::Client, In::Roam(2)));
            s.push((3000, N::Client, In::User("hello through FA 3")));
            5000
        }
        Kind::Mmp => {
            s.push((2000, N::Client, In::WanUp));
            s.push((3000, N::Client, In::Mvtp(Event::Disconnect)));
            s.push((
                3500,
                N::Client,
                In::User("hello over the WAN link, same bundle"),
            ));
            4000
        }
    };
    (s, end)
}

fn run(spec: &Spec) -> Result<Built, String> {
    let mut w = World::new(spec);
    for i in 0..w.n_fa {
        w.push(T0, N::Gw(i), In::Mvtp(Event::Start), None);
    }
    let (script, end) = script(spec.kind);
    for (at, node, input) in script {
        w.push(T0 + at, node, input, None);
    }
    w.run_until(T0 + end);
    if let Some(e) = w.errors.first() {
        return Err(format!("{}: {e}", spec.name));
    }
    let mut faults: Vec<String> = spec
        .gw_faults
        .iter()
        .map(|(_, f)| knob_of_gw(*f).to_string())
        .collect();
    faults.extend(spec.lns_faults.iter().map(|f| knob_of_lns(*f).to_string()));
    for f in &faults {
        if !w.expected.iter().any(|e| &e.knob == f) {
            return Err(format!(
                "{}: fault {f} was turned on but never injected",
                spec.name
            ));
        }
    }
    let mut links: Vec<BuiltLink> = (0..w.n_fa)
        .map(|i| BuiltLink {
            name: format!("fa{}", i + 1),
            datalink: DataLink::ETHERNET,
            framing: "ethernet-dix".into(),
        })
        .collect();
    links.push(BuiltLink {
        name: "core".into(),
        datalink: DataLink::ETHERNET,
        framing: "ethernet-ipv4-gre-udp-l2tp".into(),
    });
    if spec.kind == Kind::Mmp {
        links.push(BuiltLink {
            name: "wan".into(),
            datalink: DataLink::ETHERNET,
            framing: "ethernet-ipv4-udp-l2tp".into(),
        });
    }
    let mut expected = w.expected;
    expected.sort();
    let keys = json!({ "mvtp_auth": [
        {"spi": FH_SPI, "algorithm": "hmac-md5", "secret_hex": hex::encode(FH_SECRET)},
        {"spi": mh_spi(0), "algorithm": "hmac-md5", "secret_hex": hex::encode(mh_secret(0))},
    ]});
    Ok(Built {
        name: spec.name.into(),
        description: spec.description.into(),
        sections: spec.sections.into(),
        links,
        frames: w.frames,
        keys,
        faults,
        expected,
    })
}

use GatewayFault as G;
use LnsFault as L;

const PPP: &str = "spec §7 L2TP-1..7; §5.2; RFC 2661 §5.8, §6; RFC 1661; RFC 1332";

/// The scenarios of the family.
const SPECS: &[Spec] = &[
    Spec { name: "l2tp-mobile-ppp", description: "Mobile PPP (Encap 1) through FA 1's gateway to the LNS (SCCRQ/SCCRP/SCCCN, ICRQ with CSN = Connect ID and the hand-off AVPs, ICRP, ICCN; LCP/IPCP and user data through), a roam to FA 2 with hand-off (C = 1, newer CSN; the old session cleared with CDN Result Code 3, MV-DN code 3), disconnect (MV-DN → CDN)", sections: PPP, kind: Kind::Ppp, gw_faults: &[], lns_faults: &[] },
    Spec { name: "l2tp-mobile-l2tp", description: "Mobile L2TP (Encap 2): the client's own L2TP control connection, call and PPP inside MV-DATA to the MVTP server with the LNS behind it; the roam to FA 2 (Roam Notify) is transparent to L2TP: no new tunnel or session", sections: "spec §2.3 FMT-14, §5, §7; RFC 2661", kind: Kind::L2tp, gw_faults: &[], lns_faults: &[] },
    Spec { name: "l2tp-restart", description: "Mobile PPP through FA 1, then the client restarts through FA 2 with R = 1 and an older Connect ID: C = 0, the LNS does not compare the Call Serial Number, PPP starts anew, the old session is cleared", sections: "spec §7 L2TP-2, L2TP-7; §5.2 PROC-6", kind: Kind::Restart, gw_faults: &[], lns_faults: &[] },
    Spec { name: "l2tp-mmp-lan-wan", description: "Mobile Multi-link PPP: a LAN link through FA 1's gateway (MVTP/L2TP) and a WAN link (L2TP from the client's WAN address) bundled by Endpoint Discriminator = Global Endpoint ID (LCP option 19, class 3); the LAN link goes away and the bundle carries on over the WAN link", sections: "spec §7; RFC 1990 §5.1.3; RFC 2661", kind: Kind::Mmp, gw_faults: &[], lns_faults: &[] },
    Spec { name: "l2tp-handoff-race", description: "Mobile PPP through FA 1, then two quick roams to FA 2 and FA 3: gateway 2's ICRQ is held up and reaches the LNS after gateway 3's newer one; the LNS refuses it (Call Serial Number not newer, CDN Result Code 3) and gateway 2 sends MV-DN code 3", sections: "spec §7 L2TP-5, L2TP-6; RFC 1982", kind: Kind::Race, gw_faults: &[], lns_faults: &[] },
    Spec { name: "l2tp-fault-csn-not-connect-id", description: "gateway sends ICRQ with Call Serial Number = Connect ID − 1", sections: "spec §7 L2TP-1", kind: Kind::Ppp, gw_faults: &[(0, G::CsnNotConnectId)], lns_faults: &[] },
    Spec { name: "l2tp-fault-handoff-avps-mandatory", description: "gateway sends the hand-off AVPs (vendor 32473) with M = 1", sections: "spec §7 L2TP-1", kind: Kind::Ppp, gw_faults: &[(0, G::HandoffAvpsMandatory)], lns_faults: &[] },
    Spec { name: "l2tp-fault-no-handoff-avps", description: "gateway sends ICRQ without the hand-off AVPs", sections: "spec §7 L2TP-1", kind: Kind::Ppp, gw_faults: &[(0, G::NoHandoffAvps)], lns_faults: &[] },
    Spec { name: "l2tp-fault-continue-equals-reset", description: "gateway sets Session Status C = R (C = 1 on the initial MV-RRQ)", sections: "spec §7 L2TP-2", kind: Kind::Ppp, gw_faults: &[(0, G::ContinueEqualsReset)], lns_faults: &[] },
    Spec { name: "l2tp-fault-rrp-before-icrp", description: "gateway answers MV-RRP before the LNS answered the call (ICRP)", sections: "spec §7 L2TP-3", kind: Kind::Ppp, gw_faults: &[(0, G::RrpBeforeIcrp)], lns_faults: &[] },
    Spec { name: "l2tp-fault-ppp-altered", description: "gateway decrements the TTL of a datagram in a PPP frame it relays toward the LNS", sections: "spec §7 L2TP-4", kind: Kind::Ppp, gw_faults: &[(0, G::AlterPppFrame)], lns_faults: &[] },
    Spec { name: "l2tp-fault-cdn-without-dn", description: "gateway 1 sends no MV-DN code 3 when the LNS clears its session after the hand-off", sections: "spec §7 L2TP-5", kind: Kind::Ppp, gw_faults: &[(0, G::NoDnOnCdn)], lns_faults: &[] },
    Spec { name: "l2tp-fault-dn-without-cdn", description: "gateway 2 sends no CDN when the client disconnects (MV-DN); the LNS keeps the session", sections: "spec §7 L2TP-5", kind: Kind::Ppp, gw_faults: &[(1, G::NoCdnOnDn)], lns_faults: &[] },
    Spec { name: "l2tp-fault-old-session-kept", description: "LNS accepts the hand-off but does not clear the old session", sections: "spec §7 L2TP-6", kind: Kind::Ppp, gw_faults: &[], lns_faults: &[L::NoClearOnHandoff] },
    Spec { name: "l2tp-fault-older-csn-accepted", description: "LNS accepts the held-up hand-off whose Call Serial Number is older than the session's", sections: "spec §7 L2TP-6", kind: Kind::Race, gw_faults: &[], lns_faults: &[L::AcceptOlderCsn] },
    Spec { name: "l2tp-fault-csn-compared-without-continue", description: "LNS compares the Call Serial Number of an ICRQ with C = 0 and refuses the restarted client", sections: "spec §7 L2TP-7", kind: Kind::Restart, gw_faults: &[], lns_faults: &[L::CompareCsnWithoutContinue] },
    Spec { name: "l2tp-fault-ns-skip", description: "gateway skips one Ns on its ICRQ", sections: "RFC 2661 §5.8", kind: Kind::Ppp, gw_faults: &[(0, G::SkipNs)], lns_faults: &[] },
    Spec { name: "l2tp-fault-wrong-session-id", description: "gateway sends a data message with its own Session ID instead of the one the LNS assigned", sections: "RFC 2661 §3.1", kind: Kind::Ppp, gw_faults: &[(0, G::OwnSessionId)], lns_faults: &[] },
    Spec { name: "l2tp-fault-wrong-tunnel-id", description: "LNS acknowledges the gateway's SCCCN with a ZLB carrying its own Tunnel ID instead of the gateway's", sections: "RFC 2661 §3.1", kind: Kind::Ppp, gw_faults: &[], lns_faults: &[L::WrongTunnelId] },
];

/// Every scenario of the family, generated.
pub fn all() -> Result<Vec<Built>, String> {
    SPECS.iter().map(run).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_runs_and_every_fault_lands_on_a_frame() {
        let built = all().expect("the family generates");
        assert_eq!(built.len(), SPECS.len());
        for b in &built {
            assert!(!b.frames.is_empty(), "{}", b.name);
            assert_eq!(b.expected.is_empty(), b.faults.is_empty(), "{}", b.name);
            for e in &b.expected {
                assert!(
                    e.frame >= 1 && e.frame <= b.frames.len() as u64,
                    "{}: {e:?}",
                    b.name
                );
                assert_ne!(e.rule, "UNKNOWN");
            }
            if let Ok(dir) = std::env::var("L2TP_FAMILY_OUT") {
                for (name, bytes) in b.files().expect("files") {
                    std::fs::write(std::path::Path::new(&dir).join(name), bytes).expect("write");
                }
            }
        }
    }

    /// The L2TP message types each capture carries, in frame order (L2TP over UDP and
    /// L2TP inside MV-DATA alike), and the CDN messages.
    fn l2tp_messages(b: &Built) -> (Vec<u64>, Vec<String>) {
        use dissector::model::Value;
        let mut dis =
            dissector::Dissector::new(dissector::Config::default(), dissector::Keys::default());
        let mut d = dissector::Dissection::default();
        let (mut types, mut cdn) = (Vec::new(), Vec::new());
        for f in &b.frames {
            dis.dissect(
                codec::numbers::LinkType(1),
                &f.octets,
                f.octets.len(),
                &mut d,
            );
            for x in d.find("l2tp.avp.message_type") {
                if let Value::U64(t) = x.value {
                    types.push(t);
                }
            }
            for x in d.find("l2tp.avp.error_message") {
                cdn.push(String::from_utf8_lossy(d.field_bytes(&f.octets, x)).into_owned());
            }
        }
        (types, cdn)
    }

    fn built(name: &str) -> Built {
        let spec = SPECS.iter().find(|s| s.name == name).expect("spec");
        run(spec).expect("runs")
    }

    #[test]
    fn l2tp_6_a_roam_with_hand_off_opens_a_new_call_and_clears_the_old() {
        const SCCRQ: u64 = 1;
        const ICRQ: u64 = 10;
        let (types, cdn) = l2tp_messages(&built("l2tp-mobile-ppp"));
        assert_eq!(
            types.iter().filter(|&&t| t == SCCRQ).count(),
            2,
            "one control connection per gateway"
        );
        assert_eq!(types.iter().filter(|&&t| t == ICRQ).count(), 2);
        assert!(
            cdn.iter().any(|m| m == agents::lns::MSG_HANDED_OFF),
            "{cdn:?}"
        );
    }

    #[test]
    fn mobile_l2tp_roaming_is_transparent_to_l2tp() {
        // Each L2TP message is captured twice (access link and core).
        let (types, cdn) = l2tp_messages(&built("l2tp-mobile-l2tp"));
        assert_eq!(
            types.iter().filter(|&&t| t == 1).count(),
            2,
            "one SCCRQ, seen on two links"
        );
        assert_eq!(
            types.iter().filter(|&&t| t == 10).count(),
            2,
            "one ICRQ, no new call after the roam"
        );
        assert!(cdn.is_empty());
    }

    #[test]
    fn frames_are_codec_exact_with_correct_checksums() {
        for b in all().expect("the family generates") {
            for (i, f) in b.frames.iter().enumerate() {
                let parsed = codec::stack::parse(codec::numbers::LinkType(1), &f.octets);
                assert_eq!(
                    parsed.emit().expect("emit"),
                    f.octets,
                    "{} frame {}: re-emit differs",
                    b.name,
                    i + 1
                );
                assert_eq!(
                    parsed.root.emit_fixed().expect("emit_fixed"),
                    f.octets,
                    "{} frame {}: lengths or checksums",
                    b.name,
                    i + 1
                );
                assert!(f.at_ms >= T0);
            }
        }
    }
}
