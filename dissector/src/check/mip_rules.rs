//! RFC 5265 inside/outside state per mobile node (spec §8: MIP-1 for TNC from an external
//! home agent, MIP-2, MIP-3, MIP-4, MIP-5) and the Mobile IPv4 reply lifetime rule (RFC 5944
//! §3.4).
//!
//! An **interface** is the mobile node's 802 address on the captured link (learnt from the
//! source of its Registration Requests); the node is **inside** on it after a registration
//! sent directly (not through ESP) whose accepted reply carried TNC, until a registration
//! there fails or the link changes — seen as a direct registration with another care-of
//! address. An accepted reply without TNC (the x-HA answering the parallel registration)
//! neither makes nor ends "inside". A reply is matched to the request of the interface that
//! receives it (a foreign agent relays it with the same Identification), and its home agent
//! is the reply's Home Agent field, not the relaying FA.
//!
//! Home agent roles [MIP-4]: a home address registered with TNC or through the VPN is the
//! internal home address, its home agent the i-HA; others are external. The outer source
//! address of the mobile node's ESP is its external home address (the VPN tunnel's outer
//! address), so a TNC reply granting that address comes from the x-HA [MIP-1].
//! **Plaintext user data** is an IPv4 packet to or from that address with no
//! ESP layer (protocol 50 or UDP 4500) and that is not Mobile IP control (UDP 434 message
//! types other than Tunnel Data), IKE (UDP 500), ARP, DHCP or ICMP router discovery. Choice
//! where the spec is silent: RFC 3519 Tunnel Data on UDP 434 carries user packets, so it
//! counts as user data, not as Mobile IP control.

use super::engine::{mac_str, Checker};
use crate::access::{all_layers, layers, LayerRef};
use crate::model::{Dissection, Value};
use std::collections::HashMap;

/// Mobile IPv4 message types (RFC 5944, RFC 3519).
mod mip {
    pub const RRQ: u64 = 1;
    pub const RRP: u64 = 3;
    pub const TUNNEL_DATA: u64 = 4;
    /// Codes 0 and 1 accept a registration.
    pub const ACCEPTED_MAX: u64 = 1;
}

/// Ports whose traffic is not user data (spec §8).
const CONTROL_PORTS: [u64; 5] = [500, 4500, 67, 68, 434];
/// ICMP router discovery types.
const ICMP_RD: [u64; 2] = [9, 10];

#[derive(Debug, Clone)]
struct Request {
    frame: u64,
    life: u64,
    mac: Option<[u8; 6]>,
    via_esp: bool,
    ha: Option<[u8; 4]>,
    src: Option<[u8; 4]>,
    home: Option<[u8; 4]>,
    coa: Option<[u8; 4]>,
    ts: f64,
}

/// One mobile-node interface as the RFC 5265 rules see it (see `Checker::mobile_nodes`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MobileNode {
    /// The interface's 802 address.
    pub interface: String,
    /// Inside the trusted network on this interface (an accepted direct registration
    /// whose reply carried TNC, and no link change or failed registration since).
    pub inside: bool,
    /// The care-of address of the registration that made it inside.
    pub care_of: Option<String>,
    /// The frame of the TNC reply that made it inside.
    pub since_frame: Option<u64>,
    /// Internal home agents (they answered with TNC).
    pub internal_home_agents: Vec<String>,
    /// External home agents.
    pub external_home_agents: Vec<String>,
}

/// Home agents seen for one mobile node [MIP-4].
#[derive(Debug, Clone, Default)]
struct HomeAgents {
    internal: Vec<([u8; 4], u64)>,
    external: Vec<([u8; 4], u64)>,
    /// Home addresses registered with TNC or through ESP: the internal home address.
    internal_homes: Vec<[u8; 4]>,
}

#[derive(Debug, Clone, Copy)]
struct Inside {
    last_reply: f64,
    reply_frame: u64,
    /// The care-of address of the registration that made it inside.
    coa: Option<[u8; 4]>,
}

/// State of the RFC 5265 rules.
#[derive(Debug, Default)]
pub(crate) struct MipState {
    /// Requests by the low half of their Identification and the sender's 802 address (a
    /// foreign agent relays a request with the same Identification on another link).
    requests: HashMap<(u32, Option<[u8; 6]>), Request>,
    /// Interfaces of mobile nodes: true once the node registered there.
    nodes: HashMap<[u8; 6], Option<Inside>>,
    /// Home agents per mobile node interface [MIP-4].
    agents: HashMap<[u8; 6], HomeAgents>,
    /// Addresses known to be internal home agents (they sent TNC) [MIP-5].
    internal: HashMap<[u8; 4], u64>,
    /// Home addresses granted in a reply with TNC: (reply frame, home agent, reported) [MIP-1].
    tnc_homes: HashMap<[u8; 4], (u64, [u8; 4], bool, f64)>,
    /// Outer source addresses of ESP: VPN tunnel outer addresses, i.e. external home
    /// addresses (RFC 5265 §2.3/2.4) [MIP-1].
    vpn_outer: HashMap<[u8; 4], (u64, f64)>,
}

/// `a` lies in one of the CIDR blocks (`10.1.0.0/16`); malformed blocks match nothing.
fn in_subnets(a: [u8; 4], subnets: &[String]) -> bool {
    subnets.iter().any(|s| {
        let (net, len) = s.split_once('/').unwrap_or((s, "32"));
        match (net.parse::<std::net::Ipv4Addr>(), len.parse::<u32>()) {
            (Ok(n), Ok(l)) if l <= 32 => {
                let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
                u32::from_be_bytes(a) & mask == u32::from(n) & mask
            }
            _ => false,
        }
    })
}

fn outer_mac(l: &LayerRef<'_>, name: &str) -> Option<[u8; 6]> {
    let eth = l.outer("eth")?;
    match eth.get(name)?.value {
        Value::Mac(m) => Some(m),
        _ => None,
    }
}

impl MipState {
    /// Forgets requests older than `keep` seconds (bounded state on long captures).
    pub(crate) fn sweep(&mut self, now: f64, keep: f64) {
        self.requests.retain(|_, r| now - r.ts < keep);
        self.tnc_homes.retain(|_, v| now - v.3 < keep);
        self.vpn_outer.retain(|_, v| now - v.1 < keep);
    }
}

impl Checker {
    pub(crate) fn rfc5265_packet(&mut self, number: u64, ts: f64, d: &Dissection, frame: &[u8]) {
        for l in layers(d, frame, "mip") {
            self.mip_registration(number, ts, l);
        }
        if let Some(src) = layers(d, frame, "esp").next().and_then(|e| e.outer("ip")).and_then(|ip| ip.ipv4("ip.src")) {
            self.rfc5265.vpn_outer.entry(src).or_insert((number, ts)).1 = ts;
            self.tnc_for_external(src);
        }
        self.plaintext(number, ts, d, frame);
    }

    /// MIP-1: TNC only from an internal home agent. A home address that is also the outer
    /// address of the mobile node's VPN tunnel is its external home address, so the home
    /// agent that granted it with TNC is the x-HA. Reported on that reply, once.
    fn tnc_for_external(&mut self, home: [u8; 4]) {
        let Some(&(reply, ha, false, ts)) = self.rfc5265.tnc_homes.get(&home) else { return };
        let vpn = self.rfc5265.vpn_outer.get(&home).map_or(reply, |v| v.0);
        self.rfc5265.tnc_homes.insert(home, (reply, ha, true, ts));
        let (ha_s, home_s) = (std::net::Ipv4Addr::from(ha).to_string(), std::net::Ipv4Addr::from(home).to_string());
        self.report(
            "MIP-1",
            reply,
            vec![vpn],
            None,
            vec![ha_s.clone()],
            format!("home agent {ha_s} sent TNC for {home_s}, the outer address of the mobile node's VPN tunnel (its external home address): only an internal home agent may"),
        );
    }

    /// RFC 5265 state of every mobile-node interface seen registering (spec §8): inside
    /// (with the care-of address and the frame of the TNC reply that made it so) or
    /// outside, and the home agents seen for it — for live views (the TUI's bindings).
    pub fn mobile_nodes(&self) -> Vec<MobileNode> {
        let ip = |a: [u8; 4]| std::net::Ipv4Addr::from(a).to_string();
        let mut out: Vec<MobileNode> = self
            .rfc5265
            .nodes
            .iter()
            .map(|(mac, state)| {
                let agents = self.rfc5265.agents.get(mac);
                MobileNode {
                    interface: mac_str(*mac),
                    inside: state.is_some(),
                    care_of: state.and_then(|i| i.coa).map(ip),
                    since_frame: state.map(|i| i.reply_frame),
                    internal_home_agents: agents.map(|a| a.internal.iter().map(|x| ip(x.0)).collect()).unwrap_or_default(),
                    external_home_agents: agents.map(|a| a.external.iter().map(|x| ip(x.0)).collect()).unwrap_or_default(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.interface.cmp(&b.interface));
        out
    }

    fn mip_registration(&mut self, number: u64, ts: f64, l: LayerRef<'_>) {
        let Some(ty) = l.uint("mip.type") else { return };
        let Some(low) = l.bytes("mip.ident").filter(|b| b.len() == 8).map(|b| u32::from_be_bytes([b[4], b[5], b[6], b[7]])) else { return };
        let via_esp = l.outer("esp").is_some();
        if ty == mip::RRQ {
            let mac = outer_mac(&l, "eth.src");
            let coa = l.ipv4("mip.coa");
            if let (Some(m), false) = (mac, via_esp) {
                let state = self.rfc5265.nodes.entry(m).or_insert(None);
                // Spec §8: inside until the link changes. A direct registration with another
                // care-of address (co-located, or another FA's) is a new link.
                if state.is_some_and(|i| i.coa.is_some() && coa.is_some() && i.coa != coa) {
                    *state = None;
                }
            }
            let ha = l.ipv4("mip.haaddr");
            let src = l.outer("ip").and_then(|ip| ip.ipv4("ip.src"));
            let home = l.ipv4("mip.homeaddr");
            self.rfc5265.requests.insert((low, mac), Request { frame: number, life: l.uint("mip.life").unwrap_or(0), mac, via_esp, ha, src, home, coa, ts });
        } else if ty == mip::RRP {
            // The request of the interface that receives the reply, else the latest one.
            let to = outer_mac(&l, "eth.dst");
            let req = self.rfc5265.requests.get(&(low, to)).cloned().or_else(|| {
                self.rfc5265.requests.iter().filter(|((i, _), _)| *i == low).map(|(_, r)| r).max_by_key(|r| r.frame).cloned()
            });
            let Some(req) = req else { return };
            let code = l.uint("mip.code").unwrap_or(0);
            let life = l.uint("mip.life").unwrap_or(0);
            let at = l.d.layers[l.index].range.start as usize;
            let tnc = l.get("mip.tnc").is_some();
            let accepted = code <= mip::ACCEPTED_MAX;
            // The reply's Home Agent field names the home agent (RFC 5944 §3.4); the IP
            // source may be a foreign agent relaying it.
            let replier = l.ipv4("mip.haaddr").or(req.ha).or_else(|| l.outer("ip").and_then(|ip| ip.ipv4("ip.src")));
            if let (Some(ha), true) = (replier, accepted) {
                self.home_agent_roles(number, &req, ha, tnc);
                if let (true, Some(home)) = (tnc, l.ipv4("mip.homeaddr")) {
                    self.rfc5265.tnc_homes.entry(home).or_insert((number, ha, false, ts));
                    if self.rfc5265.vpn_outer.contains_key(&home) {
                        self.tnc_for_external(home);
                    }
                }
            }
            if code <= mip::ACCEPTED_MAX && life > req.life {
                self.report("RFC5944-3.4", number, vec![req.frame], Some(at + 2), vec![], format!("Registration Reply grants lifetime {life} s, more than the {} s requested", req.life));
            }
            if let (Some(m), false) = (req.mac, req.via_esp) {
                // Spec §8: inside from an accepted direct registration whose reply carried
                // TNC, until a registration there fails. An accepted reply without TNC (the
                // x-HA answering the parallel registration, or a home agent without RFC
                // 5265) neither makes nor ends "inside" [MIP-5].
                if !accepted {
                    self.rfc5265.nodes.insert(m, None);
                } else if tnc {
                    self.rfc5265.nodes.insert(m, Some(Inside { last_reply: ts, reply_frame: number, coa: req.coa }));
                }
            }
        }
    }

    /// MIP-4 (i-HA ≠ x-HA) and MIP-5 (an i-HA always answers with TNC, and only its trusted
    /// subnets) for the accepted reply of `ha` to `req`.
    fn home_agent_roles(&mut self, number: u64, req: &Request, ha: [u8; 4], tnc: bool) {
        let ha_s = std::net::Ipv4Addr::from(ha).to_string();
        if tnc {
            self.rfc5265.internal.insert(ha, number);
        } else if let Some(&first) = self.rfc5265.internal.get(&ha) {
            self.report("MIP-5", number, vec![req.frame, first], None, vec![ha_s.clone()], format!("internal home agent {ha_s} (it sent TNC in frame {first}) accepted a registration without TNC"));
        }
        if tnc && !self.cfg.trusted_subnets.is_empty() {
            if let Some(src) = req.src.filter(|s| !in_subnets(*s, &self.cfg.trusted_subnets)) {
                self.report("MIP-5", number, vec![req.frame], None, vec![ha_s.clone()], format!("internal home agent {ha_s} answered a request from {}, outside its trusted subnets; it must drop it", std::net::Ipv4Addr::from(src)));
            }
        }
        let Some(mac) = req.mac else { return };
        // The role follows the home address: the one registered with TNC or through the
        // VPN is the internal home address, so a later reply without TNC for it (an i-HA
        // breaking MIP-5) does not make its home agent external.
        let agents = self.rfc5265.agents.entry(mac).or_default();
        let internal = tnc || req.via_esp || req.home.is_some_and(|h| agents.internal_homes.contains(&h));
        if let (true, Some(h)) = (tnc || req.via_esp, req.home) {
            if !agents.internal_homes.contains(&h) {
                agents.internal_homes.push(h);
            }
        }
        let (same, other) = if internal { (&mut agents.internal, &agents.external) } else { (&mut agents.external, &agents.internal) };
        let clash = other.iter().find(|(a, _)| *a == ha).map(|(_, f)| *f);
        if !same.iter().any(|(a, _)| *a == ha) {
            same.push((ha, number));
        }
        if let Some(f) = clash {
            self.report("MIP-4", number, vec![f], None, vec![ha_s.clone()], format!("mobile node {} uses {ha_s} as both its internal and its external home agent", mac_str(mac)));
        }
    }

    /// MIP-2 / MIP-3 on packets to or from a known mobile node's interface.
    fn plaintext(&mut self, number: u64, ts: f64, d: &Dissection, frame: &[u8]) {
        if self.rfc5265.nodes.is_empty() {
            return;
        }
        let mut ls = all_layers(d, frame);
        let Some(eth) = ls.find(|l| l.proto() == "eth") else { return };
        let (src, dst) = (eth.get("eth.src"), eth.get("eth.dst"));
        let mac_of = |f: Option<&crate::model::Field>| match f.map(|f| &f.value) {
            Some(Value::Mac(m)) => Some(*m),
            _ => None,
        };
        let node = [mac_of(src), mac_of(dst)].into_iter().flatten().find(|m| self.rfc5265.nodes.contains_key(m));
        let Some(node) = node else { return };
        if !d.has_proto("ip") || d.has_proto("esp") {
            return;
        }
        for l in all_layers(d, frame) {
            match l.proto() {
                "udp" => {
                    let ports = [l.uint("udp.srcport"), l.uint("udp.dstport")];
                    let control = ports.iter().flatten().any(|p| CONTROL_PORTS.contains(p));
                    let tunnel_data = layers(d, frame, "mip").any(|m| m.uint("mip.type") == Some(mip::TUNNEL_DATA));
                    if control && !tunnel_data {
                        return;
                    }
                }
                "icmp" if l.uint("icmp.type").is_some_and(|t| ICMP_RD.contains(&t)) => return,
                "arp" => return,
                _ => {}
            }
        }
        let state = self.rfc5265.nodes.get(&node).copied().flatten();
        let who = vec![mac_str(node)];
        match state {
            None => self.report("MIP-2", number, vec![], None, who, format!("plaintext user data to/from mobile node {} which is not inside on this interface (no accepted registration with TNC sent directly here)", mac_str(node))),
            Some(i) if ts - i.last_reply > self.cfg.t_monitor => self.report(
                "MIP-3",
                number,
                vec![i.reply_frame],
                None,
                who,
                format!("plaintext user data {:.0} s after the last successful registration of {} (T_MONITOR {} s)", ts - i.last_reply, mac_str(node), self.cfg.t_monitor),
            ),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{run, Pkt};
    use super::super::CheckConfig;

    const MN: [u8; 6] = [0, 0x21, 0x6a, 0, 0, 1];
    const GW: [u8; 6] = [0, 0x1e, 0x49, 0, 0, 2];
    const MN_IP: [u8; 4] = [10, 1, 5, 23];
    const IHA: [u8; 4] = [10, 1, 0, 1];

    fn reg(ident: u8, life: u64) -> Pkt {
        Pkt::new().eth_ip(MN, GW, MN_IP, IHA, 17).udp(434, 434).layer("mip").u("mip.type", 1).u("mip.life", life).b("mip.t", false).bytes("mip.ident", &[0, 0, 0, 0, 0, 0, 0, ident])
    }

    fn reply(ident: u8, code: u64, life: u64, tnc: bool) -> Pkt {
        let p = Pkt::new().eth_ip(GW, MN, IHA, MN_IP, 17).udp(434, 434).layer("mip").u("mip.type", 3).u("mip.code", code).u("mip.life", life).bytes("mip.ident", &[0, 0, 0, 9, 0, 0, 0, ident]);
        if tnc {
            p.u("mip.tnc", 149).u("mip.tnc.subtype", 0)
        } else {
            p
        }
    }

    fn user_data(from_mn: bool) -> Pkt {
        let (a, b, s, d) = if from_mn { (MN, GW, MN_IP, [10, 1, 80, 80]) } else { (GW, MN, [10, 1, 80, 80], MN_IP) };
        Pkt::new().eth_ip(a, b, s, d, 17).udp(50123, 33434)
    }

    fn esp() -> Pkt {
        Pkt::new().eth_ip(MN, GW, MN_IP, [203, 0, 113, 30], 50).layer("esp").u("esp.spi", 1)
    }

    #[test]
    fn mip_2_plaintext_only_inside() {
        let xha = [203, 0, 113, 20];
        let pkts = vec![
            (0.0, reg_to(xha, 1, false)),
            (0.1, reply_from(xha, 1, false)), // accepted without TNC (an external HA): outside
            (0.2, user_data(true)),         // MIP-2
            (0.3, esp()),                   // protected: fine
            (1.0, reg(2, 300)),
            (1.1, reply(2, 0, 300, true)), // inside now
            (1.2, user_data(false)),       // fine
            (2.0, reg(3, 300)),
            (2.1, reply(3, 130, 0, false)), // failed: outside again
            (2.2, user_data(true)),         // MIP-2
        ];
        assert_eq!(run(Default::default(), pkts), vec![("MIP-2", 3), ("MIP-2", 10)]);
    }

    fn reg_to(ha: [u8; 4], ident: u8, via_esp: bool) -> Pkt {
        let p = if via_esp { Pkt::new().eth_ip(MN, GW, MN_IP, [203, 0, 113, 30], 50).layer("esp").u("esp.spi", 1).layer("ip").f("ip.src", crate::model::Value::Ipv4([10, 99, 0, 17])) } else { Pkt::new().eth_ip(MN, GW, MN_IP, ha, 17) };
        p.udp(434, 434).layer("mip").u("mip.type", 1).u("mip.life", 300).b("mip.t", true).f("mip.haaddr", crate::model::Value::Ipv4(ha)).bytes("mip.ident", &[0, 0, 0, 0, 0, 0, 0, ident])
    }

    fn reply_from(ha: [u8; 4], ident: u8, tnc: bool) -> Pkt {
        let p = Pkt::new().eth_ip(GW, MN, ha, MN_IP, 17).udp(434, 434).layer("mip").u("mip.type", 3).u("mip.code", 0).u("mip.life", 300).bytes("mip.ident", &[0, 0, 0, 9, 0, 0, 0, ident]);
        if tnc {
            p.u("mip.tnc", 149)
        } else {
            p
        }
    }

    #[test]
    fn mip_4_and_mip_5_home_agent_roles() {
        let xha = [203, 0, 113, 20];
        // Clean: x-HA outside without TNC, i-HA through the VPN with TNC.
        let clean = vec![(0.0, reg_to(xha, 1, false)), (0.1, reply_from(xha, 1, false)), (1.0, reg_to(IHA, 2, true)), (1.1, reply_from(IHA, 2, true))];
        assert_eq!(run(Default::default(), clean), vec![]);
        // The same address as both; then the i-HA answering without TNC.
        let bad = vec![(0.0, reg_to(IHA, 1, true)), (0.1, reply_from(IHA, 1, true)), (1.0, reg_to(IHA, 2, false)), (1.1, reply_from(IHA, 2, false))];
        assert_eq!(run(Default::default(), bad), vec![("MIP-5", 4), ("MIP-4", 4)]);
        // Trusted subnets configured: an i-HA answering an outside source.
        let cfg = CheckConfig { trusted_subnets: vec!["10.99.0.0/16".into()], ..Default::default() };
        let outside = vec![(0.0, reg_to(IHA, 1, false)), (0.1, reply_from(IHA, 1, true))];
        assert_eq!(run(cfg, outside), vec![("MIP-5", 2)]);
    }

    #[test]
    fn spec_8_parallel_x_ha_reply_neither_makes_nor_ends_inside() {
        let xha = [203, 0, 113, 20];
        // RFC 5265 §4 parallel registration: the i-HA's TNC reply, then the x-HA's (no TNC).
        let pkts = vec![(0.0, reg(1, 300)), (0.0, reg_to(xha, 2, false)), (0.1, reply(1, 0, 300, true)), (0.1, reply_from(xha, 2, false)), (1.0, user_data(true))];
        assert_eq!(run(Default::default(), pkts), vec![]);
    }

    #[test]
    fn mip_4_home_agent_named_by_the_reply_not_by_the_relaying_fa() {
        // Mode f: both replies come from the FA's address; their Home Agent fields differ.
        let fa = [10, 1, 64, 1];
        let xha = [203, 0, 113, 20];
        let relayed = |ha: [u8; 4], ident: u8, tnc: bool| {
            let p = Pkt::new().eth_ip(GW, MN, fa, MN_IP, 17).udp(434, 434).layer("mip").u("mip.type", 3).u("mip.code", 0).u("mip.life", 300).f("mip.haaddr", crate::model::Value::Ipv4(ha)).bytes("mip.ident", &[0, 0, 0, 9, 0, 0, 0, ident]);
            if tnc {
                p.u("mip.tnc", 149)
            } else {
                p
            }
        };
        let pkts = vec![(0.0, reg_to(fa, 1, false)), (0.0, reg_to(fa, 2, false)), (0.1, relayed(IHA, 1, true)), (0.1, relayed(xha, 2, false)), (1.0, user_data(true))];
        assert_eq!(run(Default::default(), pkts), vec![]);
    }

    #[test]
    fn issue_9_bounded_state_requests_expire_after_idle_expiry() {
        let cfg = CheckConfig { idle_expiry: 10.0, ..Default::default() };
        // The reply 100 s later no longer finds its request (swept at 70 s): no RFC5944-3.4.
        let pkts = vec![(0.0, reg(1, 300)), (70.0, user_data(true)), (100.0, reply(1, 0, 600, true))];
        assert_eq!(run(cfg, pkts), vec![("MIP-2", 2)]);
    }

    #[test]
    fn mip_1_tnc_for_the_vpn_outer_address_comes_from_the_x_ha() {
        let xha = [203, 0, 113, 20];
        let xhome = [203, 0, 113, 150];
        let tnc_reply = || reply_from(xha, 1, true).f("mip.homeaddr", crate::model::Value::Ipv4(xhome));
        let vpn = || Pkt::new().eth_ip(MN, GW, xhome, [203, 0, 113, 30], 50).layer("esp").u("esp.spi", 1);
        // Reply first, VPN traffic later: reported on the reply, once.
        let pkts = vec![(0.0, reg_to(xha, 1, false)), (0.1, tnc_reply()), (1.0, vpn()), (2.0, vpn())];
        assert_eq!(run(Default::default(), pkts), vec![("MIP-1", 2)]);
        // VPN traffic first, then the reply.
        let pkts = vec![(0.0, vpn()), (0.5, reg_to(xha, 1, false)), (0.6, tnc_reply())];
        assert_eq!(run(Default::default(), pkts), vec![("MIP-1", 3)]);
        // The i-HA's TNC for the internal home address is fine.
        let pkts = vec![(0.0, reg(1, 300)), (0.1, reply(1, 0, 300, true).f("mip.homeaddr", crate::model::Value::Ipv4(MN_IP))), (1.0, vpn())];
        assert_eq!(run(Default::default(), pkts), vec![]);
    }

    #[test]
    fn spec_8_a_registration_with_another_care_of_address_is_a_new_link() {
        let xha = [203, 0, 113, 20];
        let with_coa = |p: Pkt, coa: [u8; 4]| p.f("mip.coa", crate::model::Value::Ipv4(coa));
        let pkts = vec![
            (0.0, with_coa(reg(1, 300), [10, 1, 64, 77])),
            (0.1, reply(1, 0, 300, true)),
            (1.0, user_data(true)), // inside: fine
            (2.0, with_coa(reg_to(xha, 2, false), [198, 51, 100, 77])),
            (2.1, reply_from(xha, 2, false)),
            (3.0, user_data(true)), // moved: MIP-2
            (4.0, with_coa(reg(3, 300), [10, 1, 64, 77])),
            (4.1, reply(3, 0, 300, true)),
            (5.0, user_data(true)), // back inside: fine
        ];
        assert_eq!(run(Default::default(), pkts), vec![("MIP-2", 6)]);
    }

    #[test]
    fn mip_3_t_monitor_and_rfc5944_lifetime() {
        let pkts = vec![(0.0, reg(1, 300)), (0.1, reply(1, 0, 600, true)), (30.0, user_data(true)), (61.0, user_data(true))];
        assert_eq!(run(CheckConfig { t_monitor: 60.0, ..Default::default() }, pkts), vec![("RFC5944-3.4", 2), ("MIP-3", 4)]);
    }
}
