//! The Mobile IPv4 mobile node of RFC 5265 (spec §8) with dual (inner/outer) registration.
//!
//! On every new link it registers **in parallel** with its internal home agent (i-HA,
//! directly) and its external home agent (x-HA) [RFC 5265 §4]. An accepted reply of the
//! i-HA that carries the Trusted Networks Configured extension means **inside**: it uses
//! i-MIP alone (mode `c` with a co-located care-of address, `f` through a foreign agent),
//! may send plaintext, and re-registers with the i-HA at least every T_MONITOR [MIP-3].
//! Without such a reply it is **outside**: x-MIP with the x-HA, an IPsec VPN (ESP tunnel
//! mode) from its external home address (x-HoA) to the VPN gateway, and i-MIP through the
//! VPN with the VPN tunnel inner address (TIA) as co-located care-of address and reverse
//! tunnelling (T) [MIP-6] — the three tunnels of modes `cvc` / `fvc` [MIP-7]. User data
//! outside only ever leaves through the VPN [MIP-2].
//!
//! NAT traversal: with `natt`, the registrations with a co-located care-of address ask for
//! RFC 3519 UDP tunnelling (F set, so without a NAT detected) and the VPN uses ESP in UDP
//! 4500 (RFC 3948); in `fvc` the inner tunnel stays IP-in-IP (spec MIP-7).
//!
//! Sans-IO: [`MobileNode::handle`] takes an [`MnEvent`] and the caller's clock and returns
//! [`MnAction`]s; packets are IPv4 `codec::stack` nodes (the caller frames them for the
//! link, to the router or to the foreign agent).

use crate::common::{Faults, Time};
use crate::ipsec::EspSa;
use crate::mip::{self, AccessMode, Ip, RegRequest, MIP_PORT};
use codec::auth::KeyStore;
use codec::mip::{flags, Body, Message};
use codec::stack::Node;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// T_MONITOR default, ms (spec MIP-3: 60 s).
pub const T_MONITOR_MS: u64 = 60_000;
/// How long the mobile node waits for the i-HA's answer before deciding it is outside, ms.
pub const DECIDE_MS: u64 = 1_000;

/// Mobile node faults (off by default); each breaks one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MnFault {
    /// Puts the TNC extension in its requests to the i-HA [MIP-1].
    TncInRequest,
    /// Outside, sends user data in plaintext instead of through the VPN [MIP-2].
    PlaintextOutside,
    /// Inside, stops re-registering with the i-HA (no T_MONITOR) [MIP-3].
    NoMonitor,
    /// Registers through the VPN without the T bit [MIP-6].
    InnerWithoutT,
}

/// The VPN of the mobile node: gateway, tunnel inner address and the two SAs.
#[derive(Debug, Clone)]
pub struct VpnConfig {
    /// VPN gateway address.
    pub gateway: Ipv4Addr,
    /// Tunnel inner address the VPN gave the mobile node (its i-MIP care-of address outside).
    pub tia: Ipv4Addr,
    /// Outbound SA (mobile node → gateway).
    pub out: EspSa,
    /// Inbound SA (gateway → mobile node).
    pub inbound: EspSa,
}

/// Mobile node configuration.
#[derive(Debug, Clone)]
pub struct MnConfig {
    /// Internal home address (i-HoA).
    pub home: Ipv4Addr,
    /// Internal home agent.
    pub iha: Ipv4Addr,
    /// MN-HA SPI with the i-HA.
    pub iha_spi: u32,
    /// External home agent.
    pub xha: Ipv4Addr,
    /// MN-HA SPI with the x-HA.
    pub xha_spi: u32,
    /// External home address (x-HoA): the VPN tunnel's outer address.
    pub x_home: Ipv4Addr,
    /// MN-HA keys by SPI.
    pub keys: KeyStore,
    /// The VPN.
    pub vpn: VpnConfig,
    /// Requested lifetime, seconds.
    pub lifetime: u16,
    /// T_MONITOR, ms [MIP-3].
    pub t_monitor_ms: u64,
    /// NAT traversal (RFC 3519 UDP tunnels, RFC 3948 ESP in UDP).
    pub natt: bool,
    /// Fault injection.
    pub faults: Faults<MnFault>,
}

/// The link the mobile node attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// A co-located care-of address (DHCP).
    Colocated(Ipv4Addr),
    /// A foreign agent with this care-of address.
    Fa(Ipv4Addr),
    /// A proxy that registers the x-HoA with the x-HA itself, with this care-of address.
    Proxy(Ipv4Addr),
}

/// Mobile node timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MnTimer {
    /// No TNC reply by now: outside.
    Decide,
    /// Re-registration with the i-HA while inside [MIP-3].
    Monitor,
}

/// What happens to the mobile node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MnEvent {
    /// It attached to a new link.
    Attach(Attachment),
    /// An IPv4 packet arrived on its link.
    Received(Vec<u8>),
    /// A timer fired.
    TimerFired(MnTimer),
    /// The user sends a UDP datagram from the home address.
    SendUser {
        /// Destination.
        dst: Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Data.
        payload: Vec<u8>,
    },
}

/// What the mobile node tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MnIndication {
    /// Inside (TNC reply of the i-HA) in this mode.
    Inside(AccessMode),
    /// Outside: x-MIP, VPN and i-MIP in this mode.
    Outside(AccessMode),
    /// A registration with this home agent was accepted (lifetime, through the VPN).
    Registered {
        /// Home agent.
        ha: Ipv4Addr,
        /// Granted lifetime.
        lifetime: u16,
        /// Through the VPN.
        via_vpn: bool,
    },
    /// User data arrived.
    Data(Vec<u8>),
    /// User data could not be sent (no path yet).
    Dropped,
}

/// What the mobile node asks its caller to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MnAction {
    /// Send this IPv4 packet on the link.
    Send(Node),
    /// Arm a timer.
    SetTimer(MnTimer, Time),
    /// Tell the user.
    Indicate(MnIndication),
}

/// Where the mobile node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Detecting (parallel registration sent).
    Unknown,
    /// Inside, last accepted TNC reply at this time.
    Inside(Time),
    /// Outside.
    Outside,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    ha: Ipv4Addr,
    via_vpn: bool,
}

/// The mobile node.
#[derive(Debug, Clone)]
pub struct MobileNode {
    cfg: MnConfig,
    link: Option<Attachment>,
    location: Location,
    x_registered: bool,
    inner_registered: bool,
    pending: BTreeMap<u64, Pending>,
    counter: u32,
}

impl MobileNode {
    /// A mobile node on no link.
    pub fn new(cfg: MnConfig) -> Self {
        Self {
            cfg,
            link: None,
            location: Location::Unknown,
            x_registered: false,
            inner_registered: false,
            pending: BTreeMap::new(),
            counter: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MnConfig {
        &self.cfg
    }

    /// Inside, outside or not yet known.
    pub fn location(&self) -> Location {
        self.location
    }

    /// The current access mode (RFC 5265 §2), once known.
    pub fn mode(&self) -> Option<AccessMode> {
        let link = self.link?;
        Some(match (self.location, link) {
            (Location::Inside(_), Attachment::Colocated(_)) => AccessMode::C,
            (Location::Inside(_), _) => AccessMode::F,
            (Location::Outside, Attachment::Colocated(_)) => AccessMode::Cvc,
            (Location::Outside, _) => AccessMode::Fvc,
            (Location::Unknown, _) => return None,
        })
    }

    /// The source address of packets the mobile node sends directly on its link.
    fn link_src(&self, x: bool) -> Ipv4Addr {
        match self.link {
            Some(Attachment::Colocated(coa)) => coa,
            _ if x => self.cfg.x_home,
            _ => self.cfg.home,
        }
    }

    fn colocated(&self) -> Option<Ipv4Addr> {
        match self.link {
            Some(Attachment::Colocated(coa)) => Some(coa),
            _ => None,
        }
    }

    /// Handles one event.
    pub fn handle(&mut self, now: Time, ev: MnEvent) -> Vec<MnAction> {
        let mut out = Vec::new();
        match ev {
            MnEvent::Attach(a) => self.attach(now, a, &mut out),
            MnEvent::Received(octets) => self.received(now, &octets, &mut out),
            MnEvent::TimerFired(MnTimer::Decide) => self.decide(now, &mut out),
            MnEvent::TimerFired(MnTimer::Monitor) => {
                if let Location::Inside(_) = self.location {
                    self.register_direct(now, true, &mut out);
                }
            }
            MnEvent::SendUser { dst, sport, dport, payload } => self.send_user(dst, sport, dport, &payload, &mut out),
        }
        out
    }

    fn attach(&mut self, now: Time, a: Attachment, out: &mut Vec<MnAction>) {
        self.link = Some(a);
        self.location = Location::Unknown;
        self.inner_registered = false;
        self.pending.clear();
        // RFC 5265 §4: parallel registration with the i-HA and the x-HA. Behind a proxy,
        // the proxy registers the x-HoA itself.
        self.x_registered = matches!(a, Attachment::Proxy(_));
        self.register_direct(now, true, out);
        if !self.x_registered {
            self.register_direct(now, false, out);
        }
        out.push(MnAction::SetTimer(MnTimer::Decide, now + DECIDE_MS));
    }

    fn next_ident(&mut self, now: Time) -> u64 {
        self.counter += 1;
        mip::ident(now, self.counter)
    }

    /// A registration sent directly on the link: to the i-HA (`internal`) or the x-HA.
    fn register_direct(&mut self, now: Time, internal: bool, out: &mut Vec<MnAction>) {
        let Some(link) = self.link else { return };
        let (ha, spi, home) = if internal {
            (self.cfg.iha, self.cfg.iha_spi, self.cfg.home)
        } else {
            (self.cfg.xha, self.cfg.xha_spi, self.cfg.x_home)
        };
        let ident = self.next_ident(now);
        let (coa, dst, co) = match link {
            Attachment::Colocated(coa) => (coa, ha, true),
            Attachment::Fa(fa) | Attachment::Proxy(fa) => (fa, fa, false),
        };
        let r = RegRequest {
            flags: flags::T | if co { flags::D } else { 0 },
            lifetime: self.cfg.lifetime,
            home,
            ha,
            coa,
            ident,
            udp_tunnel: co && self.cfg.natt,
            tnc: internal && self.cfg.faults.has(MnFault::TncInRequest),
            spi,
        };
        let m = mip::request(&r, &self.cfg.keys);
        self.pending.insert(ident, Pending { ha, via_vpn: false });
        let src = if co { coa } else { home };
        out.push(MnAction::Send(mip::udp_msg(src, dst, MIP_PORT, MIP_PORT, &m)));
    }

    /// Wraps a packet from the x-HoA for the outer x-MIP level: reverse-tunnelled to the
    /// x-HA from a co-located care-of address (`cvc`), as is through an FA or proxy.
    fn outer(&self, pkt: Node) -> Node {
        match self.colocated() {
            Some(coa) => mip::tunnel(coa, self.cfg.xha, self.cfg.natt.then_some(MIP_PORT), pkt),
            None => pkt,
        }
    }

    /// Through the VPN: ESP tunnel mode from the x-HoA to the gateway (ESP in UDP with NAT
    /// traversal), then the outer level.
    fn through_vpn(&mut self, inner: Node) -> Node {
        let (x_home, gw, natt) = (self.cfg.x_home, self.cfg.vpn.gateway, self.cfg.natt);
        let esp = self.cfg.vpn.out.seal_ip(x_home, gw, natt, inner);
        self.outer(esp)
    }

    /// The inner registration through the VPN: TIA as co-located care-of address [MIP-6].
    fn register_inner(&mut self, now: Time, out: &mut Vec<MnAction>) {
        let ident = self.next_ident(now);
        let t = if self.cfg.faults.has(MnFault::InnerWithoutT) { 0 } else { flags::T };
        let tia = self.cfg.vpn.tia;
        let r = RegRequest {
            flags: t | flags::D,
            lifetime: self.cfg.lifetime,
            home: self.cfg.home,
            ha: self.cfg.iha,
            coa: tia,
            ident,
            // MIP-7: the inner level tunnels in UDP only in cvc.
            udp_tunnel: self.cfg.natt && self.colocated().is_some(),
            tnc: self.cfg.faults.has(MnFault::TncInRequest),
            spi: self.cfg.iha_spi,
        };
        let m = mip::request(&r, &self.cfg.keys);
        self.pending.insert(
            ident,
            Pending {
                ha: self.cfg.iha,
                via_vpn: true,
            },
        );
        let pkt = mip::udp_msg(tia, self.cfg.iha, MIP_PORT, MIP_PORT, &m);
        let sealed = self.through_vpn(pkt);
        out.push(MnAction::Send(sealed));
    }

    fn decide(&mut self, now: Time, out: &mut Vec<MnAction>) {
        if self.location != Location::Unknown {
            return;
        }
        if !self.x_registered {
            // Neither answered: try both again.
            self.register_direct(now, true, out);
            self.register_direct(now, false, out);
            out.push(MnAction::SetTimer(MnTimer::Decide, now + DECIDE_MS));
            return;
        }
        self.location = Location::Outside;
        if let Some(m) = self.mode() {
            out.push(MnAction::Indicate(MnIndication::Outside(m)));
        }
        if !self.cfg.faults.has(MnFault::PlaintextOutside) {
            self.register_inner(now, out);
        }
    }

    /// Peels the levels a packet for the mobile node came in: the x-MIP tunnel, ESP of the
    /// VPN, the i-MIP tunnel. Returns the innermost packet and whether it came through the VPN.
    fn peel(&self, octets: &[u8]) -> Option<(Ip, bool)> {
        let mut ip = Ip::parse(octets)?;
        let mut via_vpn = false;
        for _ in 0..4 {
            if let Some(esp) = ip.esp() {
                let (_, inner) = self.cfg.vpn.inbound.open(esp)?;
                ip = Ip::parse(&inner)?;
                via_vpn = true;
            } else if let Some((inner, _)) = ip.decapsulate() {
                ip = Ip::parse(&inner)?;
            } else {
                break;
            }
        }
        Some((ip, via_vpn))
    }

    fn received(&mut self, now: Time, octets: &[u8], out: &mut Vec<MnAction>) {
        let Some((ip, via_vpn)) = self.peel(octets) else { return };
        let Some((_, m, raw)) = ip.mip() else {
            if let Some((_, _, data)) = ip.udp() {
                out.push(MnAction::Indicate(MnIndication::Data(data.to_vec())));
            }
            return;
        };
        self.reply(now, &m, &raw, via_vpn, out);
    }

    fn reply(&mut self, now: Time, m: &Message, raw: &[u8], via_vpn: bool, out: &mut Vec<MnAction>) {
        let Body::Reply { code, lifetime, ident, .. } = m.body else { return };
        let Some(p) = self.pending.get(&ident).copied().filter(|p| p.via_vpn == via_vpn) else {
            return;
        };
        if !mip::mn_ha_valid(raw, &self.cfg.keys) {
            return;
        }
        self.pending.remove(&ident);
        if code > 1 {
            if p.ha == self.cfg.iha && !via_vpn {
                // A failed registration with the i-HA ends "inside" (spec §8).
                if let Location::Inside(_) = self.location {
                    self.location = Location::Unknown;
                }
            }
            return;
        }
        out.push(MnAction::Indicate(MnIndication::Registered { ha: p.ha, lifetime, via_vpn }));
        if via_vpn {
            self.inner_registered = true;
            return;
        }
        if p.ha == self.cfg.xha && p.ha != self.cfg.iha {
            self.x_registered = true;
            return;
        }
        if mip::has_tnc(m) {
            // RFC 5265 §3: an accepted, authenticated reply of the i-HA with TNC: inside.
            let was_inside = matches!(self.location, Location::Inside(_));
            self.location = Location::Inside(now);
            if !was_inside {
                if let Some(mode) = self.mode() {
                    out.push(MnAction::Indicate(MnIndication::Inside(mode)));
                }
            }
            if !self.cfg.faults.has(MnFault::NoMonitor) {
                // MIP-3: re-register well within T_MONITOR (and the lifetime).
                let every = (self.cfg.t_monitor_ms * 3 / 4).min(u64::from(lifetime) * 800);
                out.push(MnAction::SetTimer(MnTimer::Monitor, now + every));
            }
        } else if p.ha == self.cfg.iha {
            // MIP-5: a reply without TNC is not a trusted network; keep to the VPN.
            if let Location::Inside(_) = self.location {
                self.location = Location::Outside;
                if let Some(mode) = self.mode() {
                    out.push(MnAction::Indicate(MnIndication::Outside(mode)));
                }
                self.register_inner(now, out);
            } else {
                // The same address answered as external home agent (MIP-4 fault setups).
                self.x_registered = true;
            }
        }
    }

    fn send_user(&mut self, dst: Ipv4Addr, sport: u16, dport: u16, payload: &[u8], out: &mut Vec<MnAction>) {
        let user = mip::user_udp(self.cfg.home, dst, sport, dport, payload);
        let pkt = match (self.location, self.link) {
            (Location::Inside(_), Some(Attachment::Colocated(coa))) => {
                // Mode c: reverse tunnel to the i-HA (RFC 3519 UDP with NAT traversal).
                mip::tunnel(coa, self.cfg.iha, self.cfg.natt.then_some(MIP_PORT), user)
            }
            // Mode f: plain to the FA, which reverse-tunnels it.
            (Location::Inside(_), Some(_)) => user,
            (Location::Outside, Some(_)) if self.cfg.faults.has(MnFault::PlaintextOutside) => {
                mip::user_udp(self.link_src(true), dst, sport, dport, payload)
            }
            (Location::Outside, Some(_)) if self.inner_registered => {
                // Three tunnels: i-MIP reverse tunnel to the i-HA from the TIA, the VPN,
                // and the x-MIP level [MIP-7].
                let udp = (self.cfg.natt && self.colocated().is_some()).then_some(MIP_PORT);
                let inner = mip::tunnel(self.cfg.vpn.tia, self.cfg.iha, udp, user);
                self.through_vpn(inner)
            }
            _ => {
                out.push(MnAction::Indicate(MnIndication::Dropped));
                return;
            }
        };
        out.push(MnAction::Send(pkt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ha::{HaConfig, HomeAgent};
    use codec::auth::{Algorithm, AuthKey};

    const T0: Time = 1_767_225_600_000;
    const IHA: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
    const XHA: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
    const GW: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 30);

    fn keys() -> KeyStore {
        let mut k = KeyStore::new();
        k.insert(
            0x100,
            AuthKey {
                algorithm: Algorithm::HmacMd5,
                secret: b"i".to_vec(),
            },
        );
        k.insert(
            0x200,
            AuthKey {
                algorithm: Algorithm::HmacMd5,
                secret: b"x".to_vec(),
            },
        );
        k
    }

    fn cfg() -> MnConfig {
        let sa = EspSa::des3_sha1(0x1001, b"0123456789abcdefghijklmn", b"authentication key 1").unwrap();
        let back = EspSa::des3_sha1(0x2001, b"nmlkjihgfedcba9876543210", b"authentication key 2").unwrap();
        MnConfig {
            home: Ipv4Addr::new(10, 1, 5, 23),
            iha: IHA,
            iha_spi: 0x100,
            xha: XHA,
            xha_spi: 0x200,
            x_home: Ipv4Addr::new(203, 0, 113, 150),
            keys: keys(),
            vpn: VpnConfig {
                gateway: GW,
                tia: Ipv4Addr::new(10, 99, 0, 17),
                out: sa,
                inbound: back,
            },
            lifetime: 300,
            t_monitor_ms: T_MONITOR_MS,
            natt: false,
            faults: Faults::none(),
        }
    }

    fn sent(a: &[MnAction]) -> Vec<Ip> {
        a.iter()
            .filter_map(|a| {
                if let MnAction::Send(n) = a {
                    Ip::parse(&n.emit_fixed().unwrap())
                } else {
                    None
                }
            })
            .collect()
    }

    fn iha() -> HomeAgent {
        HomeAgent::new(HaConfig::internal(
            IHA,
            vec![(Ipv4Addr::new(10, 1, 0, 0), 16), (Ipv4Addr::new(10, 99, 0, 0), 16)],
            keys(),
        ))
    }

    fn xha() -> HomeAgent {
        HomeAgent::new(HaConfig::external(XHA, keys()))
    }

    #[test]
    fn rfc5265_4_parallel_registration_to_i_ha_and_x_ha() {
        let mut mn = MobileNode::new(cfg());
        let a = mn.handle(T0, MnEvent::Attach(Attachment::Colocated(Ipv4Addr::new(10, 1, 64, 77))));
        let dsts: Vec<Ipv4Addr> = sent(&a).iter().map(|i| i.dst).collect();
        assert_eq!(dsts, vec![IHA, XHA]);
        assert!(a.contains(&MnAction::SetTimer(MnTimer::Decide, T0 + DECIDE_MS)));
    }

    #[test]
    fn mip_3_inside_on_tnc_then_re_register_within_t_monitor() {
        let mut mn = MobileNode::new(cfg());
        let mut ha = iha();
        let a = mn.handle(T0, MnEvent::Attach(Attachment::Colocated(Ipv4Addr::new(10, 1, 64, 77))));
        let rrq = sent(&a).into_iter().find(|i| i.dst == IHA).unwrap();
        let (rep, _) = ha.handle(
            T0 + 5,
            &mip::udp_msg(rrq.src, rrq.dst, MIP_PORT, MIP_PORT, &rrq.mip().unwrap().1)
                .emit_fixed()
                .unwrap(),
        );
        let b = mn.handle(T0 + 10, MnEvent::Received(rep[0].emit_fixed().unwrap()));
        assert!(b.contains(&MnAction::Indicate(MnIndication::Inside(AccessMode::C))));
        assert_eq!(mn.location(), Location::Inside(T0 + 10));
        let at = b
            .iter()
            .find_map(|a| {
                if let MnAction::SetTimer(MnTimer::Monitor, t) = a {
                    Some(*t)
                } else {
                    None
                }
            })
            .unwrap();
        assert!(at - (T0 + 10) < T_MONITOR_MS);
        // Inside, mode c: user data reverse-tunnelled in IP-in-IP to the i-HA.
        let u = mn.handle(
            T0 + 20,
            MnEvent::SendUser {
                dst: Ipv4Addr::new(10, 1, 80, 80),
                sport: 5000,
                dport: 7,
                payload: b"x".to_vec(),
            },
        );
        let ip = &sent(&u)[0];
        assert_eq!((ip.dst, ip.proto), (IHA, codec::numbers::IpProto::IPIP));
        // The decide timer no longer changes anything.
        assert!(mn.handle(T0 + DECIDE_MS, MnEvent::TimerFired(MnTimer::Decide)).is_empty());
    }

    fn outside(natt: bool) -> (MobileNode, Vec<MnAction>) {
        let mut c = cfg();
        c.natt = natt;
        let mut mn = MobileNode::new(c);
        let a = mn.handle(T0, MnEvent::Attach(Attachment::Colocated(Ipv4Addr::new(198, 51, 100, 77))));
        let mut x = xha();
        let rrq = sent(&a).into_iter().find(|i| i.dst == XHA).unwrap();
        let octets = mip::udp_msg(rrq.src, rrq.dst, MIP_PORT, MIP_PORT, &rrq.mip().unwrap().1)
            .emit_fixed()
            .unwrap();
        let (rep, _) = x.handle(T0 + 5, &octets);
        let b = mn.handle(T0 + 10, MnEvent::Received(rep[0].emit_fixed().unwrap()));
        assert_eq!(mn.location(), Location::Unknown, "an x-HA reply (no TNC) does not decide");
        assert!(!b.iter().any(|a| matches!(a, MnAction::Indicate(MnIndication::Inside(_)))));
        let d = mn.handle(T0 + DECIDE_MS, MnEvent::TimerFired(MnTimer::Decide));
        (mn, d)
    }

    #[test]
    fn rfc5265_outside_without_tnc_reply_inner_registration_through_vpn_with_t_mip_6() {
        let (mn, d) = outside(false);
        assert!(d.contains(&MnAction::Indicate(MnIndication::Outside(AccessMode::Cvc))));
        let pkt = &sent(&d)[0];
        // cvc: IP-in-IP to the x-HA around IP/ESP to the gateway around the inner RRQ.
        assert_eq!((pkt.dst, pkt.proto), (XHA, codec::numbers::IpProto::IPIP));
        let vpn = Ip::parse(&pkt.payload).unwrap();
        assert_eq!((vpn.src, vpn.dst), (mn.cfg.x_home, GW));
        let (_, inner) = mn.cfg.vpn.out.open(vpn.esp().unwrap()).unwrap();
        let inner = Ip::parse(&inner).unwrap();
        let m = inner.mip().unwrap().1;
        assert!(matches!(m.body, Body::Request { flags: f, coa, .. } if f & flags::T != 0 && coa == mn.cfg.vpn.tia));
    }

    #[test]
    fn mip_7_cvc_with_nat_traversal_uses_udp_tunnels_and_esp_in_udp() {
        let (mn, d) = outside(true);
        let pkt = &sent(&d)[0];
        let (inner, port) = pkt.decapsulate().unwrap();
        assert_eq!(port, Some(MIP_PORT), "x-MIP in an RFC 3519 UDP tunnel");
        let vpn = Ip::parse(&inner).unwrap();
        assert_eq!(vpn.udp().map(|u| (u.0, u.1)), Some((4500, 4500)), "ESP in UDP 4500");
        let (_, inner) = mn.cfg.vpn.out.open(vpn.esp().unwrap()).unwrap();
        let m = Ip::parse(&inner).unwrap().mip().unwrap().1;
        assert!(mip::has_udp_tunnel(&m), "inner level asks for UDP tunnelling in cvc");
    }

    #[test]
    fn mip_2_outside_user_data_only_through_the_vpn() {
        let (mut mn, _) = outside(false);
        let dst = Ipv4Addr::new(10, 1, 80, 80);
        // Before the inner registration is accepted nothing leaves.
        let u = mn.handle(
            T0 + 1_100,
            MnEvent::SendUser {
                dst,
                sport: 5000,
                dport: 7,
                payload: b"x".to_vec(),
            },
        );
        assert_eq!(u, vec![MnAction::Indicate(MnIndication::Dropped)]);
        mn.inner_registered = true;
        let u = mn.handle(
            T0 + 1_200,
            MnEvent::SendUser {
                dst,
                sport: 5000,
                dport: 7,
                payload: b"x".to_vec(),
            },
        );
        let ip = &sent(&u)[0];
        let vpn = Ip::parse(&ip.decapsulate().unwrap().0).unwrap();
        assert!(vpn.esp().is_some());
    }

    #[test]
    fn mip_6_fault_inner_registration_without_t() {
        let mut c = cfg();
        c.faults.enable(MnFault::InnerWithoutT);
        let mut mn = MobileNode::new(c);
        mn.link = Some(Attachment::Fa(Ipv4Addr::new(198, 51, 100, 20)));
        mn.location = Location::Outside;
        let mut out = vec![];
        mn.register_inner(T0, &mut out);
        let vpn = &sent(&out)[0];
        assert_eq!(vpn.dst, GW, "fvc: no outer tunnel on the link");
        let (_, inner) = mn.cfg.vpn.out.open(vpn.esp().unwrap()).unwrap();
        let m = Ip::parse(&inner).unwrap().mip().unwrap().1;
        assert!(matches!(m.body, Body::Request { flags: f, .. } if f & flags::T == 0));
    }
}
