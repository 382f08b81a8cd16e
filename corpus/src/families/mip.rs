//! The Mobile IPv4 / RFC 5265 / Mobile IPsec family (spec §6, §8).
//!
//! RFC 5265 scenarios run the agents of `agents::{mn, ha, mip, ipsec}` — the mobile node
//! with dual registration, the internal and external home agents, a foreign agent or proxy,
//! and the VPN gateway's two ESP SAs — in a small scripted world ([`World`]): an event
//! queue, one link per place the mobile node visits (captured: every packet the mobile
//! node sends or receives there, Ethernet II, the router's or the FA's 802 address on the
//! other side) and, where a foreign agent or proxy serves the link, the FA's side toward
//! the home agents (`core`). The world routes between the agents by destination address:
//! home agents (registrations, tunnels in and out), the VPN gateway (ESP opened with the
//! mobile node's outbound SA, packets for the tunnel inner address sealed with its
//! inbound SA), a correspondent that echoes UDP port 7.
//!
//! The Mobile IPsec scenarios (spec §6) run the MVTP simulator (`crate::scenarios`) and
//! add ESP between IP and GRE: the client's upstream packets in SNAP 0x0800 to its FA, the
//! server's downstream packets to the FA's care-of address, forwarded by the FA agent by
//! `SPI >> 16`.
//!
//! Expected findings come from the injection: the frames a fault knob changed, found in
//! the world's own record of what it sent — never from the conformance engine.

use crate::built::{Built, BuiltFrame, BuiltLink, Expected};
use crate::scenarios::{Fault, Scenario, Which};
use crate::sim::net::Net;
use crate::sim::topo::{self, Topology};
use crate::sim::{Frame, Framing, T0};
use agents::ha::{HaConfig, HaFault, HomeAgent};
use agents::harness::Node as Agent;
use agents::ipsec::{split_spi, EspSa};
use agents::mip::{self, FaOut, Ip, MipFa};
use agents::mn::{Attachment, MnAction, MnConfig, MnEvent, MnFault, MnTimer, MobileNode, VpnConfig, T_MONITOR_MS};
use agents::{Addr, Body, Event, FaFault, Faults, Iface, Msg, Packet, Rx, Time};
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::ethernet::Mac;
use codec::mip::Message;
use codec::numbers::{EtherType, IpProto};
use codec::stack::Node;
use pcap_file::DataLink;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

// Addresses: the internal network 10.1.0.0/16 and the VPN's tunnel inner addresses
// 10.99.0.0/16 are the i-HA's trusted subnets; the DMZ and the visited networks use the
// RFC 5737 documentation ranges; a visited network behind a NAT uses 192.168.1.0/24.
const IHA: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
const HOME: Ipv4Addr = Ipv4Addr::new(10, 1, 5, 23);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 1, 80, 80);
const PUBLIC_PEER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 80);
const INSIDE_COA: Ipv4Addr = Ipv4Addr::new(10, 1, 64, 77);
const INTERNAL_FA: Ipv4Addr = Ipv4Addr::new(10, 1, 64, 1);
const XHA: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
const GW: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 30);
const XHOME: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 150);
const TIA: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 17);
const OUT_COA: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 77);
const OUT_COA2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 177);
const NAT_COA: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 77);
const OUT_FA: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const PROXY1: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 65);
const PROXY2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 129);

const IHA_SPI: u32 = 0x0000_1001;
const XHA_SPI: u32 = 0x0000_1002;
const IHA_SECRET: &[u8] = b"corpus mn-ha key (i-HA)";
const XHA_SECRET: &[u8] = b"corpus mn-ha key (x-HA)";
/// MN → VPN gateway and VPN gateway → MN SAs (3DES-CBC, HMAC-SHA1-96).
const VPN_OUT_SPI: u32 = 0x5e11_0a01;
const VPN_IN_SPI: u32 = 0x5e11_0b02;
const VPN_OUT_ENC: &[u8; 24] = b"vpn mn->gw 3des key 0001";
const VPN_OUT_AUTH: &[u8; 20] = b"vpn mn->gw hmac key1";
const VPN_IN_ENC: &[u8; 24] = b"vpn gw->mn 3des key 0002";
const VPN_IN_AUTH: &[u8; 20] = b"vpn gw->mn hmac key2";

/// The mobile node's 802 address (Intel OUI).
const MN_MAC: Mac = [0x00, 0x21, 0x6a, 0x4b, 0x5c, 0x17];
/// Echo port of the correspondent.
const ECHO: u16 = 7;
/// One-way latency on the mobile node's link and across the network, ms.
const LINK_MS: u64 = 1;
const NET_MS: u64 = 6;

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(
        IHA_SPI,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: IHA_SECRET.to_vec(),
        },
    );
    k.insert(
        XHA_SPI,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: XHA_SECRET.to_vec(),
        },
    );
    k
}

fn vpn_out() -> EspSa {
    EspSa::des3_sha1_keys(VPN_OUT_SPI, VPN_OUT_ENC, VPN_OUT_AUTH)
}

fn vpn_in() -> EspSa {
    EspSa::des3_sha1_keys(VPN_IN_SPI, VPN_IN_ENC, VPN_IN_AUTH)
}

/// What serves a link: a plain router (co-located care-of address), a foreign agent, or
/// a proxy registering the x-HoA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serve {
    Router(Ipv4Addr),
    Fa(Ipv4Addr),
    Proxy(Ipv4Addr),
}

#[derive(Debug, Clone)]
struct LinkDef {
    name: &'static str,
    /// The router's or FA's 802 address on the link.
    mac: Mac,
    serve: Serve,
    /// NAT traversal requested by the FA / proxy.
    natt: bool,
}

fn link(name: &'static str, last: u8, serve: Serve) -> LinkDef {
    LinkDef {
        name,
        mac: [0x00, 0x1e, 0x49, 0x7a, 0x60, last],
        serve,
        natt: false,
    }
}

/// What a captured frame carries, from the world's record (used to place the findings).
#[derive(Debug, Clone, Default)]
struct Info {
    from_mn: bool,
    /// The innermost Mobile IP control message and its source address.
    mip: Option<(Message, Ipv4Addr)>,
    /// It travelled in ESP somewhere on its way.
    esp: bool,
    /// The innermost packet is user data (UDP, not Mobile IP control).
    user: bool,
    /// Sent to the all-systems multicast group (an agent advertisement).
    multicast: bool,
}

#[derive(Debug, Clone)]
struct WFrame {
    at: Time,
    link: usize,
    octets: Vec<u8>,
    info: Info,
}

#[derive(Debug, Clone)]
enum Item {
    /// An event for the mobile node.
    Mn(MnEvent),
    /// A timer of the mobile node (with its generation).
    Timer(MnTimer, u64),
    /// A packet the mobile node sent arrives at the router / FA of its link.
    FromMn(Vec<u8>),
    /// A packet in the network, routed by destination.
    Net(Vec<u8>),
    /// A packet arrives at the mobile node.
    ToMn(Vec<u8>),
}

/// The scripted world of the RFC 5265 scenarios.
struct World {
    now: Time,
    mn: MobileNode,
    iha: HomeAgent,
    xha: HomeAgent,
    /// The VPN gateway: opens the mobile node's outbound SA, seals with its inbound SA.
    gw_open: EspSa,
    gw_seal: EspSa,
    natt: bool,
    links: Vec<LinkDef>,
    /// A `core` capture of the FA / proxy side (index into `links` of captures).
    core: Option<usize>,
    fas: BTreeMap<usize, MipFa>,
    at: Option<usize>,
    queue: BTreeMap<(Time, u64), Item>,
    seq: u64,
    timers: BTreeMap<MnTimer, u64>,
    frames: Vec<WFrame>,
    /// Sequence number of the FAs' advertisements.
    adv_seq: u16,
}

impl World {
    fn new(mn: MnConfig, iha: HaConfig, xha: HaConfig, links: Vec<LinkDef>, core: bool) -> Self {
        let natt = mn.natt;
        let mut fas = BTreeMap::new();
        for (i, l) in links.iter().enumerate() {
            match l.serve {
                Serve::Fa(a) => {
                    fas.insert(i, MipFa::new(a, l.natt));
                }
                Serve::Proxy(a) => {
                    let mut fa = MipFa::new(a, l.natt);
                    fa.proxy = Some((mn.x_home, mn.xha, mn.xha_spi, mn.keys.clone(), mn.lifetime));
                    fas.insert(i, fa);
                }
                Serve::Router(_) => {}
            }
        }
        let core = core.then_some(links.len());
        Self {
            now: T0,
            mn: MobileNode::new(mn),
            iha: HomeAgent::new(iha),
            xha: HomeAgent::new(xha),
            gw_open: vpn_out(),
            gw_seal: vpn_in(),
            natt,
            links,
            core,
            fas,
            at: None,
            queue: BTreeMap::new(),
            seq: 0,
            timers: BTreeMap::new(),
            frames: Vec::new(),
            adv_seq: 0,
        }
    }

    fn push(&mut self, at: Time, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    /// The mobile node attaches to link `i` at `t` ms after T0.
    fn attach(&mut self, t: u64, i: usize) {
        self.run_until(T0 + t);
        self.at = Some(i);
        let Some(l) = self.links.get(i) else { return };
        let a = match l.serve {
            Serve::Router(coa) => Attachment::Colocated(coa),
            Serve::Fa(a) => Attachment::Fa(a),
            Serve::Proxy(a) => Attachment::Proxy(a),
        };
        if let (Serve::Fa(_), Some(fa)) = (l.serve, self.fas.get(&i)) {
            // RFC 5944 §2: the FA advertises; the mobile node learns its care-of address.
            self.adv_seq = self.adv_seq.wrapping_add(1);
            if let Ok(octets) = fa.advertisement(self.adv_seq).emit_fixed() {
                let mut info = self.info(&octets, false);
                info.multicast = true;
                self.frames.push(WFrame {
                    at: self.now,
                    link: i,
                    octets,
                    info,
                });
            }
        }
        if let Some(fa) = self.fas.get_mut(&i) {
            let now = self.now;
            for o in fa.attach(now) {
                self.fa_out(i, o);
            }
        }
        // Behind an FA the mobile node registers once it heard the advertisement.
        let heard = if matches!(a, Attachment::Fa(_)) { 2 } else { 0 };
        self.push(self.now + heard, Item::Mn(MnEvent::Attach(a)));
    }

    fn user(&mut self, t: u64, dst: Ipv4Addr, text: &str) {
        self.run_until(T0 + t);
        let ev = MnEvent::SendUser {
            dst,
            sport: 40_123,
            dport: ECHO,
            payload: text.as_bytes().to_vec(),
        };
        self.push(T0 + t, Item::Mn(ev));
    }

    fn run_until(&mut self, until: Time) {
        while let Some(e) = self.queue.first_entry() {
            let (at, _) = *e.key();
            if at > until {
                break;
            }
            let item = e.remove();
            self.now = self.now.max(at);
            self.step(item);
        }
        self.now = self.now.max(until);
    }

    /// Peels a packet with every key of the world: what the frame carries.
    fn info(&self, octets: &[u8], from_mn: bool) -> Info {
        let mut info = Info {
            from_mn,
            ..Default::default()
        };
        let Some(mut ip) = Ip::parse(octets) else { return info };
        for _ in 0..6 {
            if let Some(esp) = ip.esp() {
                let opened = self.gw_open.open(esp).or_else(|| self.gw_seal.open(esp));
                let Some(next) = opened.and_then(|(_, p)| Ip::parse(&p)) else {
                    return info;
                };
                info.esp = true;
                ip = next;
            } else if let Some((inner, _)) = ip.decapsulate() {
                let Some(next) = Ip::parse(&inner) else { return info };
                ip = next;
            } else {
                break;
            }
        }
        match ip.mip() {
            Some((_, m, _)) => info.mip = Some((m, ip.src)),
            None => info.user = ip.udp().is_some(),
        }
        info
    }

    fn capture(&mut self, link: usize, from_mn: bool, octets: &[u8]) {
        let info = self.info(octets, from_mn);
        self.frames.push(WFrame {
            at: self.now,
            link,
            octets: octets.to_vec(),
            info,
        });
    }

    fn step(&mut self, item: Item) {
        match item {
            Item::Mn(ev) => {
                let acts = self.mn.handle(self.now, ev);
                self.mn_actions(acts);
            }
            Item::Timer(t, gen) => {
                if self.timers.get(&t) == Some(&gen) {
                    self.timers.remove(&t);
                    let acts = self.mn.handle(self.now, MnEvent::TimerFired(t));
                    self.mn_actions(acts);
                }
            }
            Item::FromMn(octets) => {
                let Some(i) = self.at else { return };
                if self.fas.contains_key(&i) {
                    let outs = self.fas.get_mut(&i).map(|fa| fa.from_mn(&octets)).unwrap_or_default();
                    for o in outs {
                        self.fa_out(i, o);
                    }
                } else {
                    self.route(octets);
                }
            }
            Item::Net(octets) => self.route(octets),
            Item::ToMn(octets) => {
                let acts = self.mn.handle(self.now, MnEvent::Received(octets));
                self.mn_actions(acts);
            }
        }
    }

    fn mn_actions(&mut self, acts: Vec<MnAction>) {
        for a in acts {
            match a {
                MnAction::Send(n) => {
                    let Some(i) = self.at else { continue };
                    let Ok(octets) = n.emit_fixed() else { continue };
                    self.capture(i, true, &octets);
                    self.push(self.now + LINK_MS, Item::FromMn(octets));
                }
                MnAction::SetTimer(t, at) => {
                    self.seq += 1;
                    let gen = self.seq;
                    self.timers.insert(t, gen);
                    self.push(at, Item::Timer(t, gen));
                }
                MnAction::Indicate(_) => {}
            }
        }
    }

    /// What the FA / proxy of link `i` sends.
    fn fa_out(&mut self, i: usize, o: FaOut) {
        let Ok(octets) = (match o {
            FaOut::ToMn(ref n) | FaOut::ToNet(ref n) => n.emit_fixed(),
        }) else {
            return;
        };
        match o {
            FaOut::ToMn(_) => self.deliver_to_mn(i, octets),
            FaOut::ToNet(_) => {
                if let Some(c) = self.core {
                    self.capture(c, false, &octets);
                }
                self.push(self.now + NET_MS, Item::Net(octets));
            }
        }
    }

    fn deliver_to_mn(&mut self, i: usize, octets: Vec<u8>) {
        if self.at != Some(i) {
            return; // the mobile node left that link
        }
        self.capture(i, false, &octets);
        self.push(self.now + LINK_MS, Item::ToMn(octets));
    }

    fn send(&mut self, n: Option<Node>) {
        if let Some(Ok(octets)) = n.map(|n| n.emit_fixed()) {
            self.push(self.now + NET_MS, Item::Net(octets));
        }
    }

    /// Routes a packet by destination.
    fn route(&mut self, octets: Vec<u8>) {
        let Some(ip) = Ip::parse(&octets) else { return };
        let now = self.now;
        // The FA / proxy of the mobile node's current link, when the packet is for it.
        let link_fa = self.at.filter(|i| self.fas.get(i).is_some_and(|f| f.addr == ip.dst));
        if let Some(i) = link_fa {
            if let Some(c) = self.core {
                self.capture(c, false, &octets);
            }
            let outs = self.fas.get_mut(&i).map(|fa| fa.from_net(&octets)).unwrap_or_default();
            for o in outs {
                self.fa_out(i, o);
            }
            return;
        }
        if ip.dst == self.iha.config().addr || ip.dst == self.xha.config().addr {
            let ha = if ip.dst == self.iha.config().addr {
                &mut self.iha
            } else {
                &mut self.xha
            };
            let (replies, inner) = ha.handle(now, &octets);
            for r in replies {
                self.send(Some(r));
            }
            if let Some(inner) = inner {
                self.push(now + 1, Item::Net(inner));
            }
            return;
        }
        if ip.dst == GW {
            if let Some((_, inner)) = ip.esp().and_then(|e| self.gw_open.open(e)) {
                self.push(now + 1, Item::Net(inner));
            }
            return;
        }
        if ip.dst == PEER || ip.dst == PUBLIC_PEER {
            if let Some((sport, ECHO, data)) = ip.udp() {
                let back = mip::user_udp(ip.dst, ip.src, ECHO, sport, data);
                self.send(Some(back));
            }
            return;
        }
        if ip.dst == TIA {
            let natt = self.natt;
            let n = self.gw_seal.seal_ip(GW, XHOME, natt, Node::raw(octets));
            self.send(Some(n));
            return;
        }
        if ip.dst == HOME || ip.dst == XHOME {
            let t = self
                .iha
                .tunnel(now, ip.dst, Node::raw(octets.clone()))
                .or_else(|| self.xha.tunnel(now, ip.dst, Node::raw(octets)));
            self.send(t);
            return;
        }
        // A co-located care-of address on the mobile node's link.
        if let Some(i) = self.at {
            if matches!(self.links.get(i).map(|l| l.serve), Some(Serve::Router(a)) if a == ip.dst) {
                self.deliver_to_mn(i, octets);
            }
        }
    }

    fn built_links(&self) -> Vec<BuiltLink> {
        let mut v: Vec<BuiltLink> = self
            .links
            .iter()
            .map(|l| BuiltLink {
                name: l.name.into(),
                datalink: DataLink::ETHERNET,
                framing: "ethernet-ipv4".into(),
            })
            .collect();
        if self.core.is_some() {
            v.push(BuiltLink {
                name: "core".into(),
                datalink: DataLink::ETHERNET,
                framing: "ethernet-ipv4".into(),
            });
        }
        v
    }

    /// The frames as Ethernet II: the mobile node ↔ its router / FA, or (core) the FA ↔
    /// the next router.
    fn built_frames(&self) -> Vec<BuiltFrame> {
        let upstream: Mac = [0x00, 0x50, 0x56, 0x9c, 0x60, 0x01];
        self.frames
            .iter()
            .map(|f| {
                let (src, dst) = if Some(f.link) == self.core {
                    let fa_mac = self.at_link_mac_for_core(f);
                    if f.info.from_mn {
                        (fa_mac, upstream)
                    } else {
                        let ip = Ip::parse(&f.octets);
                        let to_fa = ip.is_some_and(|ip| self.fas.values().any(|fa| fa.addr == ip.dst));
                        if to_fa {
                            (upstream, fa_mac)
                        } else {
                            (fa_mac, upstream)
                        }
                    }
                } else {
                    let gw = self.links.get(f.link).map_or([0; 6], |l| l.mac);
                    if f.info.from_mn {
                        (MN_MAC, gw)
                    } else if f.info.multicast {
                        (gw, [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01])
                    } else {
                        (gw, MN_MAC)
                    }
                };
                let octets = Node::ethernet(dst, src, EtherType::IPV4, Node::raw(f.octets.clone()))
                    .padded()
                    .emit()
                    .unwrap_or_default();
                BuiltFrame {
                    at_ms: f.at,
                    link: f.link,
                    octets,
                }
            })
            .collect()
    }

    /// The core-side 802 address of the FA / proxy a core frame belongs to.
    fn at_link_mac_for_core(&self, f: &WFrame) -> Mac {
        let ip = Ip::parse(&f.octets);
        for (i, fa) in &self.fas {
            if ip.as_ref().is_some_and(|ip| ip.src == fa.addr || ip.dst == fa.addr) {
                return [0x00, 0x1e, 0x49, 0x7a, 0x70, *i as u8 + 1];
            }
        }
        [0x00, 0x1e, 0x49, 0x7a, 0x70, 0xff]
    }
}

fn mn_config(natt: bool) -> MnConfig {
    MnConfig {
        home: HOME,
        iha: IHA,
        iha_spi: IHA_SPI,
        xha: XHA,
        xha_spi: XHA_SPI,
        x_home: XHOME,
        keys: keys(),
        vpn: VpnConfig {
            gateway: GW,
            tia: TIA,
            out: vpn_out(),
            inbound: vpn_in(),
        },
        lifetime: 300,
        t_monitor_ms: T_MONITOR_MS,
        natt,
        faults: Faults::none(),
    }
}

fn iha_config() -> HaConfig {
    HaConfig::internal(IHA, vec![(Ipv4Addr::new(10, 1, 0, 0), 16), (Ipv4Addr::new(10, 99, 0, 0), 16)], keys())
}

fn xha_config() -> HaConfig {
    HaConfig::external(XHA, keys())
}

fn keys_json() -> serde_json::Value {
    let esp = |spi: u32, enc: &[u8], auth: &[u8]| json!({"spi": format!("0x{spi:08x}"), "encryption": "3des-cbc", "enc_key_hex": hex::encode(enc), "auth": "hmac-sha1-96", "auth_key_hex": hex::encode(auth)});
    json!({
        "mip_auth": [
            {"spi": IHA_SPI, "algorithm": "hmac-md5", "secret_hex": hex::encode(IHA_SECRET)},
            {"spi": XHA_SPI, "algorithm": "hmac-md5", "secret_hex": hex::encode(XHA_SECRET)},
        ],
        "esp": [esp(VPN_OUT_SPI, VPN_OUT_ENC, VPN_OUT_AUTH), esp(VPN_IN_SPI, VPN_IN_ENC, VPN_IN_AUTH)],
    })
}

/// One RFC 5265 scenario.
struct Rfc5265 {
    name: &'static str,
    description: &'static str,
    sections: &'static str,
    natt: bool,
    links: Vec<LinkDef>,
    core: bool,
    mn_faults: Vec<MnFault>,
    iha_faults: Vec<HaFault>,
    xha_faults: Vec<HaFault>,
    /// The mobile node uses the i-HA's address as its x-HA too [MIP-4].
    same_ha: bool,
    script: fn(&mut World),
    /// (knob, rule, severity, which frames carry the fault).
    faults: Vec<(&'static str, &'static str, &'static str, Pick)>,
}

/// Selects the frames of a fault: frame index and the world's frames.
type Pick = fn(&WFrame, &[WFrame]) -> bool;

impl Rfc5265 {
    fn build(&self) -> Result<Built, String> {
        let mut mc = mn_config(self.natt);
        for f in &self.mn_faults {
            mc.faults.enable(*f);
        }
        if self.same_ha {
            mc.xha = IHA;
        }
        let mut ic = iha_config();
        for f in &self.iha_faults {
            ic.faults.enable(*f);
        }
        let mut xc = xha_config();
        for f in &self.xha_faults {
            xc.faults.enable(*f);
        }
        let mut w = World::new(mc, ic, xc, self.links.clone(), self.core);
        (self.script)(&mut w);
        let end = w.now + 500;
        w.run_until(end);
        let mut expected = Vec::new();
        for (knob, rule, severity, pick) in &self.faults {
            let hits: Vec<u64> = w
                .frames
                .iter()
                .enumerate()
                .filter(|(_, f)| pick(f, &w.frames))
                .map(|(i, _)| i as u64 + 1)
                .collect();
            if hits.is_empty() {
                return Err(format!("{}: fault {knob} injected but no frame carries it", self.name));
            }
            expected.extend(hits.into_iter().map(|frame| Expected {
                rule: rule.to_string(),
                frame,
                severity: severity.to_string(),
                knob: knob.to_string(),
            }));
        }
        expected.sort();
        Ok(Built {
            name: self.name.into(),
            description: self.description.into(),
            sections: self.sections.into(),
            links: w.built_links(),
            frames: w.built_frames(),
            keys: {
                // The ESP SAs only where the VPN carried something (a key matching no packet
                // is reported by `mvtp read`).
                let mut k = keys_json();
                if !w.frames.iter().any(|f| f.info.esp) {
                    if let Some(o) = k.as_object_mut() {
                        o.remove("esp");
                    }
                }
                k
            },
            faults: self.faults.iter().map(|f| f.0.to_string()).collect(),
            expected,
        })
    }
}

// Frame predicates.

fn reply_of(f: &WFrame) -> Option<&Message> {
    f.info
        .mip
        .as_ref()
        .map(|(m, _)| m)
        .filter(|m| matches!(m.body, codec::mip::Body::Reply { .. }))
}

fn request_of(f: &WFrame) -> Option<&Message> {
    f.info
        .mip
        .as_ref()
        .map(|(m, _)| m)
        .filter(|m| matches!(m.body, codec::mip::Body::Request { .. }))
}

fn from_ha(m: &Message, ha: Ipv4Addr) -> bool {
    matches!(m.body, codec::mip::Body::Reply { home_agent, code, .. } if home_agent == ha && code <= 1)
}

/// A plaintext user packet on the mobile node's link (spec §8's definition).
fn plaintext_user(f: &WFrame) -> bool {
    f.info.user && !f.info.esp
}

fn mip1_pick(f: &WFrame, _: &[WFrame]) -> bool {
    f.info.from_mn && request_of(f).is_some_and(mip::has_tnc)
}

/// The x-HA's reply carrying TNC.
fn mip1_external_pick(f: &WFrame, _: &[WFrame]) -> bool {
    reply_of(f).is_some_and(|m| from_ha(m, XHA) && mip::has_tnc(m))
}

/// Plaintext user data on the second link (after the move outside).
fn mip2_moved_pick(f: &WFrame, _: &[WFrame]) -> bool {
    plaintext_user(f) && f.link == 1
}

fn mip2_pick(f: &WFrame, _: &[WFrame]) -> bool {
    plaintext_user(f)
}

/// Plaintext user data more than T_MONITOR after the last accepted TNC reply.
fn mip3_pick(f: &WFrame, all: &[WFrame]) -> bool {
    if !plaintext_user(f) {
        return false;
    }
    let last = all
        .iter()
        .filter(|g| g.at <= f.at && !g.info.from_mn && !g.info.esp && reply_of(g).is_some_and(|m| from_ha(m, IHA) && mip::has_tnc(m)))
        .map(|g| g.at)
        .max();
    last.is_some_and(|t| f.at - t > T_MONITOR_MS)
}

/// The accepted TNC reply (through the VPN) that makes one address both home agents.
fn mip4_pick(f: &WFrame, all: &[WFrame]) -> bool {
    let is = |g: &WFrame| g.info.esp && reply_of(g).is_some_and(|m| from_ha(m, IHA) && mip::has_tnc(m));
    is(f) && all.iter().find(|g| is(g)).is_some_and(|g| std::ptr::eq(g, f))
}

/// An accepted i-HA reply without TNC after one with it.
fn mip5_pick(f: &WFrame, all: &[WFrame]) -> bool {
    let Some(m) = reply_of(f) else { return false };
    if !from_ha(m, IHA) || mip::has_tnc(m) {
        return false;
    }
    all.iter()
        .any(|g| g.at < f.at && reply_of(g).is_some_and(|m| from_ha(m, IHA) && mip::has_tnc(m)))
}

fn mip6_pick(f: &WFrame, _: &[WFrame]) -> bool {
    f.info.from_mn
        && f.info.esp
        && request_of(f).is_some_and(|m| matches!(m.body, codec::mip::Body::Request { flags, .. } if flags & codec::mip::flags::T == 0))
}

/// An accepted x-HA reply granting more than the request asked.
fn lifetime_pick(f: &WFrame, all: &[WFrame]) -> bool {
    let Some(m) = reply_of(f) else { return false };
    let codec::mip::Body::Reply {
        lifetime,
        ident,
        home_agent,
        code,
        ..
    } = m.body
    else {
        return false;
    };
    if home_agent != XHA || code > 1 {
        return false;
    }
    all.iter()
        .filter_map(request_of)
        .any(|r| matches!(r.body, codec::mip::Body::Request { ident: i, lifetime: l, .. } if i == ident && lifetime > l))
}

// Scripts. Times are ms after T0.

fn echo_inside(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "inside: hello from the mobile node");
    w.user(20_000, PEER, "inside: still here");
    // The T_MONITOR re-registration (45 s after the reply) refreshes "inside".
    w.user(50_000, PEER, "inside: after the T_MONITOR re-registration");
    w.run_until(T0 + 52_000);
}

fn echo_outside(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "outside: through x-MIP, the VPN and i-MIP");
    w.user(4_000, PEER, "outside: second datagram");
    w.run_until(T0 + 5_000);
}

fn move_in_out(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "inside: plaintext is fine here");
    w.attach(10_000, 1);
    w.user(12_500, PEER, "outside: three tunnels");
    w.attach(20_000, 0);
    w.user(22_500, PEER, "inside again");
    w.run_until(T0 + 24_000);
}

fn two_visited(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "first visited network");
    w.attach(10_000, 1);
    w.user(12_500, PEER, "second visited network, same VPN tunnel outer address");
    w.run_until(T0 + 14_000);
}

fn no_monitor(w: &mut World) {
    w.attach(1_000, 0);
    w.user(10_000, PEER, "inside: within T_MONITOR");
    w.user(70_000, PEER, "inside: T_MONITOR expired without re-registration");
    w.user(75_000, PEER, "inside: still not re-registered");
    w.run_until(T0 + 76_000);
}

fn plaintext_outside(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PUBLIC_PEER, "outside, in the clear");
    w.user(4_000, PUBLIC_PEER, "outside, in the clear again");
    w.run_until(T0 + 5_000);
}

fn move_out_plaintext(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "inside: plaintext is fine here");
    w.attach(10_000, 1);
    w.user(12_500, PUBLIC_PEER, "outside, still in the clear");
    w.run_until(T0 + 14_000);
}

fn short_inside(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "inside");
    w.run_until(T0 + 4_000);
}

fn no_tnc(w: &mut World) {
    w.attach(1_000, 0);
    w.user(3_000, PEER, "inside");
    w.run_until(T0 + 49_000);
    w.user(50_000, PEER, "after a reply without TNC: through the VPN");
    w.run_until(T0 + 51_000);
}

fn lan() -> LinkDef {
    link("lan", 1, Serve::Router(INSIDE_COA))
}
fn lan_fa() -> LinkDef {
    link("lan-fa", 2, Serve::Fa(INTERNAL_FA))
}
fn visited() -> LinkDef {
    link("visited", 3, Serve::Router(OUT_COA))
}
fn visited_nat() -> LinkDef {
    link("visited-nat", 4, Serve::Router(NAT_COA))
}
fn visited_fa() -> LinkDef {
    link("visited-fa", 5, Serve::Fa(OUT_FA))
}

fn natt(mut l: LinkDef) -> LinkDef {
    l.natt = true;
    l
}

#[allow(clippy::too_many_lines)]
fn rfc5265_scenarios() -> Vec<Rfc5265> {
    let base = |name, description, sections, natt, links: Vec<LinkDef>, core, script| Rfc5265 {
        name,
        description,
        sections,
        natt,
        links,
        core,
        mn_faults: vec![],
        iha_faults: vec![],
        xha_faults: vec![],
        same_ha: false,
        script,
        faults: vec![],
    };
    vec![
        base("mip5265-c", "RFC 5265 mode c: inside with a co-located care-of address; parallel registration with i-HA and x-HA, the i-HA's reply carries TNC, user data reverse-tunnelled (IP-in-IP) to the i-HA, re-registration within T_MONITOR", "§8 MIP-1 MIP-2 MIP-3 MIP-7; RFC 5265 §2.1 §3 §4", false, vec![lan()], false, echo_inside),
        base("mip5265-c-natt", "mode c with RFC 3519 NAT traversal: UDP Tunnel Request (F) / Reply, user data in MIP UDP tunnels (UDP 434, Tunnel Data)", "§8 MIP-7; RFC 5265 §2.1 §2.5; RFC 3519 §3", true, vec![lan()], false, echo_inside),
        base("mip5265-f", "RFC 5265 mode f: inside through an internal foreign agent (FA care-of address); the FA relays both registrations and reverse-tunnels user data (core: FA ↔ i-HA)", "§8; RFC 5265 §2.2", false, vec![lan_fa()], true, echo_inside),
        base("mip5265-f-natt", "mode f with NAT traversal between the FA and the home agents (RFC 3519 UDP tunnel requested by the FA)", "§8 MIP-7; RFC 5265 §2.2 §2.5; RFC 3519", false, vec![natt(lan_fa())], true, echo_inside),
        base("mip5265-cvc", "RFC 5265 mode cvc (dual mobility, three tunnels): outside with a co-located care-of address; no TNC reply, so x-MIP reverse tunnel to the x-HA, ESP tunnel from the x-HoA to the VPN gateway, inner registration with the tunnel inner address and T, user data IP-in-IP to the i-HA inside", "§8 MIP-2 MIP-6 MIP-7; RFC 5265 §2.3 §4", false, vec![visited()], false, echo_outside),
        base("mip5265-cvc-natt", "mode cvc behind a NAT: MIP UDP tunnels on both Mobile IP levels and ESP in UDP 4500", "§8 MIP-7; RFC 5265 §2.3 §2.5; RFC 3519; RFC 3948", true, vec![visited_nat()], false, echo_outside),
        base("mip5265-fvc", "RFC 5265 mode fvc: outside behind an external foreign agent; ESP from the x-HoA to the VPN gateway on the link, the FA reverse-tunnels it to the x-HA (core), inner registration through the VPN", "§8 MIP-7; RFC 5265 §2.4", false, vec![visited_fa()], true, echo_outside),
        base("mip5265-fvc-natt", "mode fvc with NAT traversal: ESP in UDP 4500 on the link (the inner Mobile IP tunnel stays IP-in-IP), RFC 3519 UDP tunnel between FA and x-HA", "§8 MIP-7; RFC 5265 §2.4 §2.5; RFC 3948", true, vec![natt(visited_fa())], true, echo_outside),
        base("mip5265-move", "moves inside → outside → inside: mode c on the internal LAN, cvc on a visited network (parallel registration answered by the x-HA only), back to c (TNC again)", "§8 MIP-2 MIP-3; RFC 5265 §3 §4", false, vec![lan(), visited()], false, move_in_out),
        base("mip5265-dual-mobility", "dual mobility: cvc on one visited network, then another (new co-located care-of address): the x-MIP binding moves, the VPN tunnel (x-HoA ↔ gateway, same SAs) and the inner registration stay", "§8 MIP-7; RFC 5265 §1.1 §2.3", false, vec![visited(), link("visited2", 6, Serve::Router(OUT_COA2))], false, two_visited),
        base("mip5265-proxy", "proxy variant: access routers register the mobile node's x-HoA with the x-HA themselves (proxy Mobile IP); the mobile node moves between them and its VPN tunnel's outer address (x-HoA) stays the same while the care-of address changes (core: proxy ↔ x-HA)", "§8; RFC 5265 §2.4", false, vec![link("proxy-a", 7, Serve::Proxy(PROXY1)), link("proxy-b", 8, Serve::Proxy(PROXY2))], true, two_visited),
        Rfc5265 {
            mn_faults: vec![MnFault::TncInRequest],
            faults: vec![("mn:TncInRequest", "MIP-1", "error", mip1_pick)],
            ..base("mip5265-fault-tnc-in-request", "mode c where the mobile node puts the TNC extension in its Registration Request to the i-HA", "§8 MIP-1", false, vec![lan()], false, short_inside)
        },
        Rfc5265 {
            xha_faults: vec![HaFault::TncFromExternal],
            faults: vec![("xha:TncFromExternal", "MIP-1", "error", mip1_external_pick)],
            ..base(
                "mip5265-fault-tnc-from-x-ha",
                "mode cvc where the external home agent puts TNC in its reply (the mobile node rightly ignores it and uses the VPN, whose outer address is the home address that reply granted)",
                "§8 MIP-1",
                false,
                vec![visited()],
                false,
                echo_outside,
            )
        },
        Rfc5265 {
            mn_faults: vec![MnFault::PlaintextOutside],
            faults: vec![("mn:PlaintextOutside", "MIP-2", "error", mip2_pick)],
            ..base("mip5265-fault-plaintext-outside", "outside (no TNC reply) the mobile node skips the VPN and exchanges user data in the clear", "§8 MIP-2", false, vec![visited()], false, plaintext_outside)
        },
        Rfc5265 {
            mn_faults: vec![MnFault::PlaintextOutside],
            faults: vec![("mn:PlaintextOutside", "MIP-2", "error", mip2_moved_pick)],
            ..base(
                "mip5265-fault-plaintext-after-move",
                "inside (mode c) on the internal LAN, then on a visited network the mobile node keeps sending in the clear (the new care-of address in its registrations shows the link changed)",
                "§8 MIP-2",
                false,
                vec![lan(), visited()],
                false,
                move_out_plaintext,
            )
        },
        Rfc5265 {
            mn_faults: vec![MnFault::NoMonitor],
            faults: vec![("mn:NoMonitor", "MIP-3", "error", mip3_pick)],
            ..base("mip5265-fault-t-monitor", "inside, the mobile node stops re-registering; plaintext user data more than T_MONITOR (60 s) after the last TNC reply", "§8 MIP-3", false, vec![lan()], false, no_monitor)
        },
        Rfc5265 {
            iha_faults: vec![HaFault::AlsoExternal],
            same_ha: true,
            faults: vec![("mn:SameHomeAgent", "MIP-4", "error", mip4_pick)],
            ..base("mip5265-fault-same-ha", "the mobile node's x-HA and i-HA are one address: it answers the outside registration without TNC and the inner one through the VPN with TNC", "§8 MIP-4", false, vec![visited()], false, echo_outside)
        },
        Rfc5265 {
            iha_faults: vec![HaFault::NoTncAfterFirst],
            faults: vec![("iha:NoTncAfterFirst", "MIP-5", "error", mip5_pick)],
            ..base("mip5265-fault-no-tnc", "the i-HA answers the T_MONITOR re-registration (and the one through the VPN the mobile node falls back to) without TNC", "§8 MIP-5", false, vec![lan()], false, no_tnc)
        },
        Rfc5265 {
            mn_faults: vec![MnFault::InnerWithoutT],
            faults: vec![("mn:InnerWithoutT", "MIP-6", "warning", mip6_pick)],
            ..base("mip5265-fault-no-t", "mode cvc whose inner registration through the VPN lacks the T bit (no reverse tunnelling)", "§8 MIP-6", false, vec![visited()], false, echo_outside)
        },
        Rfc5265 {
            xha_faults: vec![HaFault::GrantLonger],
            faults: vec![("xha:GrantLonger", "RFC5944-3.4", "error", lifetime_pick)],
            ..base("mip5265-fault-lifetime", "mode cvc where the x-HA grants twice the lifetime the mobile node asked for", "RFC 5944 §3.4", false, vec![visited()], false, echo_outside)
        },
    ]
}

// ---------------------------------------------------------------------------------------
// Mobile IPsec (spec §6) on the MVTP simulator.

/// SA index (low half of the SPI) client → server.
const SA_UP: u16 = 0x0a01;
/// SA index server → client.
const SA_DOWN: u16 = 0x0b02;
const MVTP_ESP_ENC: &[u8; 24] = b"mobile ipsec 3des key 01";
const MVTP_ESP_AUTH: &[u8; 20] = b"mobile ipsec hmac k1";

fn mvtp_sa(index: u16) -> EspSa {
    EspSa::des3_sha1_keys(u32::from(index), MVTP_ESP_ENC, MVTP_ESP_AUTH)
}

fn at(ms: u64) -> Time {
    T0 + ms
}

/// IPv4 `src` → `dst` / ESP (SPI `leid << 16 | index`) / GRE 0x88B5 / MV-DATA of `leid`.
#[allow(clippy::too_many_arguments)]
fn esp_mvtp(src: Ipv4Addr, dst: Ipv4Addr, spi_leid: u16, index: u16, seq: u32, leid: u16, c: usize, up: bool, text: &str) -> Vec<u8> {
    let (a, b) = if up {
        (topo::inner_addr(c), topo::PEER_HOST)
    } else {
        (topo::PEER_HOST, topo::inner_addr(c))
    };
    let payload = topo::l2tp_user_data(1, 1 + c as u16, a, b, 40_000, 7, text.as_bytes()).unwrap_or_default();
    let pdu = agents::wire::encode(&Msg::new(
        leid,
        Body::Data {
            encap: agents::msg::encap::L2TP_TRANSPORT,
            payload,
        },
    ))
    .unwrap_or_default();
    let mut sa = mvtp_sa(index);
    sa.spi = split_spi(spi_leid, index);
    sa.seq = seq - 1;
    let esp = sa.seal(Node::gre(EtherType::MVTP, Node::raw(pdu)));
    Node::ipv4(src.octets(), dst.octets(), IpProto::ESP, esp).emit_fixed().unwrap_or_default()
}

/// Puts a packet a node sends outside the agents' own logic on the trace (captured on its
/// link) and delivers it to `to`.
fn inject(net: &mut Net, t: Time, from: Agent, to: Agent, tx: Rx, latency: u64) {
    net.run_until(t);
    let Some(template) = net.trace.last().cloned() else { return };
    net.trace.push(crate::sim::net::Sent {
        at: t,
        from,
        to: Some(to),
        lost: false,
        dup: false,
        tx: tx.clone(),
        ..template
    });
    net.schedule(t + latency, to, Event::Received(tx));
}

/// Client `c` sends ESP upstream through its FA `f`: SNAP 0x0800 to the FA [SEC-1].
fn esp_up(net: &mut Net, t: u64, c: usize, f: usize, spi_leid_delta: u16, seq: u32, text: &str) {
    net.run_until(at(t));
    let leid = net.clients.get(c).map_or(0, |x| x.leid());
    let spi_leid = leid.wrapping_add(spi_leid_delta);
    let datagram = esp_mvtp(topo::fa_coa(f), topo::SERVER, spi_leid, SA_UP, seq, leid, c, true, text);
    let tx = Rx {
        iface: Iface::Access,
        addr: Addr::Link {
            src: topo::client_mac(c),
            dst: topo::fa_mac(f),
        },
        packet: Packet::Esp {
            spi: split_spi(spi_leid, SA_UP),
            datagram,
        },
    };
    inject(net, at(t), Agent::Client(c), Agent::Fa(f), tx, topo::ACCESS_LATENCY_MS);
}

/// The server sends ESP downstream to FA `f`'s care-of address for client `c`, SA index
/// `index` [SEC-1, SEC-2].
fn esp_down(net: &mut Net, t: u64, c: usize, f: usize, index: u16, seq: u32, text: &str) {
    net.run_until(at(t));
    let leid = net.clients.get(c).map_or(0, |x| x.leid());
    let datagram = esp_mvtp(topo::SERVER, topo::fa_coa(f), leid, index, seq, leid, c, false, text);
    let tx = Rx {
        iface: Iface::Core,
        addr: Addr::Ip {
            src: topo::SERVER,
            dst: topo::fa_coa(f),
        },
        packet: Packet::Esp {
            spi: split_spi(leid, index),
            datagram,
        },
    };
    inject(net, at(t), Agent::Server(0), Agent::Fa(f), tx, topo::CORE_LATENCY_MS);
}

fn connect(net: &mut Net, t: u64, c: usize, f: usize) {
    net.run_until(at(t));
    if let Some(a) = net.attached.get_mut(c) {
        *a = Some(f);
    }
    net.schedule(at(t), Agent::Client(c), Event::Connect);
}

fn ipsec_roam(net: &mut Net) {
    connect(net, 1_200, 0, 0);
    esp_up(net, 2_000, 0, 0, 0, 1, "mobile ipsec: upstream at FA1");
    esp_down(net, 2_100, 0, 0, SA_DOWN, 1, "mobile ipsec: downstream at FA1");
    crate::sim::net::roam(net, at(3_000), 0, Some(1), true);
    // After the roam the client has a new LEID: the SPI's high half follows, the SA stays.
    esp_up(net, 3_500, 0, 1, 0, 2, "mobile ipsec: upstream at FA2, same SA");
    esp_down(net, 3_600, 0, 1, SA_DOWN, 2, "mobile ipsec: downstream at FA2, same SA");
    net.run_until(at(4_000));
}

fn ipsec_wrong_leid(net: &mut Net) {
    connect(net, 1_200, 0, 0);
    esp_up(net, 2_000, 0, 0, 0, 1, "mobile ipsec: correct SPI");
    esp_up(net, 2_200, 0, 0, 1, 2, "mobile ipsec: SPI high half is not the LEID");
    net.run_until(at(2_600));
}

fn ipsec_wrong_client(net: &mut Net) {
    if let Some(fa) = net.fas.get_mut(0) {
        fa.config_mut().faults.enable(FaFault::EspByLowHalf);
    }
    connect(net, 1_200, 0, 0);
    connect(net, 1_300, 1, 0);
    net.run_until(at(2_000));
    // The SA index equals client 1's LEID: an FA forwarding by the low half picks client 1.
    let other = net.clients.get(1).map_or(0, |x| x.leid());
    esp_down(net, 2_100, 0, 0, other, 1, "mobile ipsec: for client 0");
    net.run_until(at(2_500));
}

/// The FA that decrypts (scripted: the FA agent has no such knob): the server's ESP
/// reaches FA 1's care-of address, and what goes to the client is the decrypted IP/GRE/MVTP
/// packet in SNAP 0x0800 [SEC-2].
fn ipsec_decrypting_fa(net: &mut Net) {
    connect(net, 1_200, 0, 0);
    esp_down(net, 2_000, 0, 0, SA_DOWN, 1, "mobile ipsec: forwarded unchanged");
    net.run_until(at(2_100));
    let leid = net.clients.first().map_or(0, |x| x.leid());
    let datagram = esp_mvtp(
        topo::SERVER,
        topo::fa_coa(0),
        leid,
        SA_DOWN,
        2,
        leid,
        0,
        false,
        "mobile ipsec: decrypted by the FA",
    );
    // The server's packet, on the core only (the faulty FA's handling is scripted below).
    let core = Rx {
        iface: Iface::Core,
        addr: Addr::Ip {
            src: topo::SERVER,
            dst: topo::fa_coa(0),
        },
        packet: Packet::Esp {
            spi: split_spi(leid, SA_DOWN),
            datagram: datagram.clone(),
        },
    };
    trace_only(net, at(2_100), Agent::Server(0), Agent::Fa(0), core);
    let plain = Ip::parse(&datagram)
        .and_then(|ip| ip.esp().and_then(|e| mvtp_sa(SA_DOWN).open(e)))
        .map(|(_, p)| p)
        .unwrap_or_default();
    let ip = Node::ipv4(topo::SERVER.octets(), topo::fa_coa(0).octets(), IpProto::GRE, Node::raw(plain))
        .emit_fixed()
        .unwrap_or_default();
    let access = Rx {
        iface: Iface::Access,
        addr: Addr::Link {
            src: topo::fa_mac(0),
            dst: topo::client_mac(0),
        },
        packet: Packet::Esp {
            spi: split_spi(leid, SA_DOWN),
            datagram: ip,
        },
    };
    trace_only(net, at(2_111), Agent::Fa(0), Agent::Client(0), access);
    net.run_until(at(2_500));
}

/// Puts a packet on the trace (captured) without delivering it.
fn trace_only(net: &mut Net, t: Time, from: Agent, to: Agent, tx: Rx) {
    net.run_until(t);
    let Some(template) = net.trace.last().cloned() else { return };
    net.trace.push(crate::sim::net::Sent {
        at: t,
        from,
        to: Some(to),
        lost: false,
        dup: false,
        tx,
        ..template
    });
}

fn decrypted_pick(fr: &Frame) -> bool {
    fr.from == Agent::Fa(0) && fr.tx.iface == Iface::Access && matches!(&fr.tx.packet, Packet::Esp { datagram, .. } if datagram.get(9) == Some(&47))
}

fn is_esp_from(fr: &Frame, n: Agent) -> bool {
    fr.from == n && matches!(fr.tx.packet, Packet::Esp { .. })
}

fn sec1_pick(fr: &Frame) -> bool {
    is_esp_from(fr, Agent::Client(0)) && matches!(fr.tx.packet, Packet::Esp { spi, .. } if spi & 0xFFFF == u32::from(SA_UP) && (spi >> 16) == 2)
}

fn sec2_pick(fr: &Frame) -> bool {
    is_esp_from(fr, Agent::Fa(0)) && matches!(fr.tx.addr, Addr::Link { dst, .. } if dst == topo::client_mac(1))
}

fn ipsec_scenarios() -> Vec<Scenario> {
    let one = |fas, clients| Topology {
        fas,
        clients,
        seed: 2026,
        lifetime: 1_800,
        loss_per_mille: 0,
        dup_per_mille: 0,
    };
    vec![
        Scenario {
            name: "mvtp-mobile-ipsec",
            description: "Mobile IPsec: ESP (3DES/HMAC-SHA1-96) between IP and GRE; the client sends IP/ESP/GRE/MVTP in SNAP 0x0800 to its FA, which forwards it unchanged; the server's ESP to the care-of address is forwarded by SPI >> 16; after a roam the SPI's high half is the new LEID and the SA stays",
            sections: "§6 SEC-1 SEC-2",
            topo: one(2, 1),
            framing: vec![Framing::Dix, Framing::Dix],
            faults: vec![],
            run: ipsec_roam,
        },
        Scenario {
            name: "mvtp-mobile-ipsec-wrong-leid",
            description: "Mobile IPsec where the client puts another LEID in the SPI's high half (the FA drops it)",
            sections: "§6 SEC-1",
            topo: one(1, 1),
            framing: vec![Framing::Dix],
            faults: vec![Fault { knob: "client:EspSpiNotLeid (scripted)", rule: "SEC-1", severity: "error", pick: sec1_pick, which: Which::All, why: "the ESP packet whose SPI high half is not the client's LEID" }],
            run: ipsec_wrong_leid,
        },
        Scenario {
            name: "mvtp-mobile-ipsec-wrong-client",
            description: "Mobile IPsec with two clients at one FA that forwards ESP by the SPI's low half: the server's packet for client 0 goes to client 1",
            sections: "§6 SEC-2",
            topo: one(1, 2),
            framing: vec![Framing::Dix],
            faults: vec![Fault { knob: "fa:EspByLowHalf", rule: "SEC-2", severity: "error", pick: sec2_pick, which: Which::All, why: "the ESP packet forwarded to the client whose LEID is not SPI >> 16" }],
            run: ipsec_wrong_client,
        },
        Scenario {
            name: "mvtp-mobile-ipsec-decrypting-fa",
            description: "Mobile IPsec where the FA decrypts the server's ESP and hands the client the plaintext IP/GRE/MVTP packet in SNAP 0x0800 (scripted FA fault)",
            sections: "§6 SEC-2",
            topo: one(1, 1),
            framing: vec![Framing::Dix],
            faults: vec![Fault { knob: "fa:DecryptsEsp (scripted)", rule: "SEC-2", severity: "error", pick: decrypted_pick, which: Which::All, why: "the plaintext IP/GRE/MVTP packet the FA sent to the client" }],
            run: ipsec_decrypting_fa,
        },
    ]
}

/// The ESP SAs of a Mobile IPsec scenario, one `esp` entry per SPI its packets carry.
fn ipsec_keys(b: &Built, base: serde_json::Value) -> serde_json::Value {
    let mut spis: Vec<u32> = Vec::new();
    for f in &b.frames {
        // Ethernet II + IPv4 (protocol 50) or LLC/SNAP + IPv4.
        let ip_at = if f.octets.get(12..14) == Some(&[0x08, 0x00]) { 14 } else { 22 };
        let Some(ip) = f.octets.get(ip_at..).and_then(Ip::parse) else { continue };
        if let Some(esp) = ip.esp() {
            if let Some(s) = esp.get(..4) {
                let spi = u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
                if !spis.contains(&spi) {
                    spis.push(spi);
                }
            }
        }
    }
    spis.sort_unstable();
    let mut v = base;
    let entries: Vec<serde_json::Value> = spis
        .iter()
        .map(|spi| json!({"spi": format!("0x{spi:08x}"), "encryption": "3des-cbc", "enc_key_hex": hex::encode(MVTP_ESP_ENC), "auth": "hmac-sha1-96", "auth_key_hex": hex::encode(MVTP_ESP_AUTH)}))
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.insert("esp".into(), serde_json::Value::Array(entries));
    }
    v
}

/// Every scenario of the family.
pub fn all() -> Result<Vec<Built>, String> {
    let mut out = Vec::new();
    for s in rfc5265_scenarios() {
        out.push(s.build()?);
    }
    for s in ipsec_scenarios() {
        let mut b = s.build()?;
        b.keys = ipsec_keys(&b, b.keys.clone());
        out.push(b);
    }
    Ok(out)
}
