//! Mobile IPv4 home agents (RFC 5944 §3.8) in the roles of RFC 5265 (spec §8): the
//! **internal** home agent (i-HA) answers only requests from its trusted subnets (the
//! internal network and the VPN's tunnel inner addresses) and always with the Trusted
//! Networks Configured extension [MIP-1, MIP-5]; the **external** home agent (x-HA) in the
//! DMZ answers anyone, never with TNC. Both keep bindings, tunnel packets for a home address
//! to its care-of address (IP-in-IP, or RFC 3519 UDP when the registration asked for it)
//! and decapsulate reverse-tunnelled packets (RFC 3024).
//!
//! Fault knobs ([`HaFault`]) each break one rule on purpose.

use crate::common::{Faults, Time};
use crate::mip::{self, Ip, MIP_PORT};
use codec::auth::KeyStore;
use codec::mip::Body;
use codec::stack::Node;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Home agent faults (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HaFault {
    /// An i-HA that leaves TNC out of every reply after its first [MIP-5].
    NoTncAfterFirst,
    /// Grants twice the requested lifetime [RFC 5944 §3.4].
    GrantLonger,
    /// An i-HA that also serves as external home agent: it answers requests from outside
    /// its trusted subnets, without TNC [MIP-4 when the mobile node uses it for both].
    AlsoExternal,
    /// An external home agent that puts TNC in its replies [MIP-1].
    TncFromExternal,
}

/// Home agent configuration.
#[derive(Debug, Clone)]
pub struct HaConfig {
    /// The home agent's address.
    pub addr: Ipv4Addr,
    /// Internal home agent (RFC 5265): trusted subnets only, TNC in every reply.
    pub internal: bool,
    /// Trusted subnets (address, prefix length) [MIP-5].
    pub trusted: Vec<(Ipv4Addr, u8)>,
    /// Longest lifetime granted, seconds.
    pub max_lifetime: u16,
    /// MN-HA security associations.
    pub keys: KeyStore,
    /// Fault injection.
    pub faults: Faults<HaFault>,
}

impl HaConfig {
    /// An external home agent at `addr`.
    pub fn external(addr: Ipv4Addr, keys: KeyStore) -> Self {
        Self {
            addr,
            internal: false,
            trusted: vec![],
            max_lifetime: 1800,
            keys,
            faults: Faults::none(),
        }
    }

    /// An internal home agent at `addr` serving `trusted`.
    pub fn internal(addr: Ipv4Addr, trusted: Vec<(Ipv4Addr, u8)>, keys: KeyStore) -> Self {
        Self {
            addr,
            internal: true,
            trusted,
            max_lifetime: 1800,
            keys,
            faults: Faults::none(),
        }
    }
}

/// One mobility binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Care-of address.
    pub coa: Ipv4Addr,
    /// Where tunnelled packets go: the request's source (the care-of address, or a NAT's
    /// public address) and, with RFC 3519 UDP tunnelling, its UDP port.
    pub tunnel_dst: Ipv4Addr,
    /// RFC 3519 UDP tunnel source port of the mobile node (or its NAT).
    pub udp_port: Option<u16>,
    /// Expiry time.
    pub expires: Time,
}

/// A home agent.
#[derive(Debug, Clone)]
pub struct HomeAgent {
    cfg: HaConfig,
    bindings: BTreeMap<Ipv4Addr, Binding>,
    replies: u32,
}

/// `a` lies in `net/len`.
pub fn in_subnet(a: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len.min(32))) };
    u32::from(a) & mask == u32::from(net) & mask
}

impl HomeAgent {
    /// A home agent without bindings.
    pub fn new(cfg: HaConfig) -> Self {
        Self {
            cfg,
            bindings: BTreeMap::new(),
            replies: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &HaConfig {
        &self.cfg
    }

    /// The binding of `home`, if current at `now`.
    pub fn binding(&self, now: Time, home: Ipv4Addr) -> Option<Binding> {
        self.bindings.get(&home).copied().filter(|b| b.expires > now)
    }

    fn trusted(&self, src: Ipv4Addr) -> bool {
        self.cfg.trusted.iter().any(|&(n, l)| in_subnet(src, n, l))
    }

    /// A packet addressed to the home agent: a Registration Request (answered with a
    /// reply to its source and port) or a reverse-tunnelled packet (its inner packet is
    /// returned for forwarding). Returns (packets to send, inner packet to forward).
    pub fn handle(&mut self, now: Time, octets: &[u8]) -> (Vec<Node>, Option<Vec<u8>>) {
        let Some(ip) = Ip::parse(octets) else { return (vec![], None) };
        if ip.dst != self.cfg.addr {
            return (vec![], None);
        }
        if let Some((sport, m, raw)) = ip.mip() {
            return (self.register(now, &ip, sport, &m, &raw).into_iter().collect(), None);
        }
        (vec![], ip.decapsulate().map(|(inner, _)| inner))
    }

    fn register(&mut self, now: Time, ip: &Ip, sport: u16, m: &codec::mip::Message, raw: &[u8]) -> Option<Node> {
        let Body::Request {
            lifetime,
            home_addr,
            coa,
            ident,
            ..
        } = m.body
        else {
            return None;
        };
        let trusted = self.trusted(ip.src);
        let also_external = self.cfg.faults.has(HaFault::AlsoExternal);
        // MIP-5: an i-HA silently drops requests from outside its trusted subnets.
        if self.cfg.internal && !trusted && !also_external {
            return None;
        }
        let spi = mip::mn_ha_spi(m)?;
        let udp = mip::has_udp_tunnel(m);
        let ha = self.cfg.addr;
        if !mip::mn_ha_valid(raw, &self.cfg.keys) {
            let r = mip::reply(mip::CODE_HA_BAD_AUTH, 0, home_addr, ha, ident, false, false, spi, &self.cfg.keys);
            return Some(mip::udp_msg(ha, ip.src, MIP_PORT, sport, &r));
        }
        let granted = if self.cfg.faults.has(HaFault::GrantLonger) {
            lifetime.saturating_mul(2)
        } else {
            lifetime.min(self.cfg.max_lifetime)
        };
        if granted == 0 {
            self.bindings.remove(&home_addr);
        } else {
            let udp_port = udp.then_some(sport);
            self.bindings.insert(
                home_addr,
                Binding {
                    coa,
                    tunnel_dst: if udp { ip.src } else { coa },
                    udp_port,
                    expires: now + u64::from(granted) * 1000,
                },
            );
        }
        self.replies += 1;
        let mut tnc = (self.cfg.internal && trusted) || self.cfg.faults.has(HaFault::TncFromExternal);
        if self.cfg.faults.has(HaFault::NoTncAfterFirst) && self.replies > 1 {
            tnc = false;
        }
        let r = mip::reply(0, granted, home_addr, ha, ident, udp, tnc, spi, &self.cfg.keys);
        Some(mip::udp_msg(ha, ip.src, MIP_PORT, sport, &r))
    }

    /// A packet for a home address of this agent: tunnelled to the binding's care-of
    /// address (RFC 5944 §4.2.3), or `None` without a binding.
    pub fn tunnel(&self, now: Time, home: Ipv4Addr, inner: Node) -> Option<Node> {
        let b = self.binding(now, home)?;
        Some(mip::tunnel(self.cfg.addr, b.tunnel_dst, b.udp_port, inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mip::RegRequest;
    use codec::auth::{Algorithm, AuthKey};
    use codec::mip::{flags, Message};

    const IHA: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 1);
    const HOME: Ipv4Addr = Ipv4Addr::new(10, 1, 5, 23);
    const T: Time = 1_767_225_600_000;

    fn keys() -> KeyStore {
        let mut k = KeyStore::new();
        k.insert(
            0x100,
            AuthKey {
                algorithm: Algorithm::HmacMd5,
                secret: b"mn-ha".to_vec(),
            },
        );
        k
    }

    fn iha() -> HomeAgent {
        HomeAgent::new(HaConfig::internal(
            IHA,
            vec![(Ipv4Addr::new(10, 1, 0, 0), 16), (Ipv4Addr::new(10, 99, 0, 0), 16)],
            keys(),
        ))
    }

    fn rrq(src: Ipv4Addr, ha: Ipv4Addr, lifetime: u16, k: &KeyStore) -> Vec<u8> {
        let r = RegRequest {
            flags: flags::D | flags::T,
            lifetime,
            home: HOME,
            ha,
            coa: src,
            ident: mip::ident(T, 1),
            udp_tunnel: false,
            tnc: false,
            spi: 0x100,
        };
        mip::udp_msg(src, ha, MIP_PORT, MIP_PORT, &mip::request(&r, k)).emit_fixed().unwrap()
    }

    fn reply_of(n: &Node) -> Message {
        let ip = Ip::parse(&n.emit_fixed().unwrap()).unwrap();
        ip.mip().unwrap().1
    }

    #[test]
    fn mip_5_internal_ha_answers_trusted_sources_with_tnc() {
        let mut ha = iha();
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(10, 1, 64, 77), IHA, 300, &keys()));
        let m = reply_of(&out[0]);
        assert!(matches!(m.body, Body::Reply { code: 0, lifetime: 300, .. }));
        assert!(mip::has_tnc(&m));
        assert!(ha.binding(T, HOME).is_some());
    }

    #[test]
    fn mip_5_internal_ha_drops_untrusted_sources_silently() {
        let mut ha = iha();
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(198, 51, 100, 77), IHA, 300, &keys()));
        assert!(out.is_empty());
        assert!(ha.binding(T, HOME).is_none());
    }

    #[test]
    fn mip_1_external_ha_never_sends_tnc() {
        let xha = Ipv4Addr::new(203, 0, 113, 20);
        let mut ha = HomeAgent::new(HaConfig::external(xha, keys()));
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(198, 51, 100, 77), xha, 300, &keys()));
        assert!(!mip::has_tnc(&reply_of(&out[0])));
    }

    #[test]
    fn rfc5944_3_4_lifetime_granted_at_most_requested_and_bad_auth_denied() {
        let mut ha = iha();
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(10, 1, 64, 77), IHA, 7200, &keys()));
        assert!(matches!(reply_of(&out[0]).body, Body::Reply { code: 0, lifetime: 1800, .. }));
        let mut wrong = KeyStore::new();
        wrong.insert(
            0x100,
            AuthKey {
                algorithm: Algorithm::HmacMd5,
                secret: b"other".to_vec(),
            },
        );
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(10, 1, 64, 77), IHA, 300, &wrong));
        assert!(matches!(reply_of(&out[0]).body, Body::Reply { code: 131, lifetime: 0, .. }));
    }

    #[test]
    fn rfc5944_4_2_3_tunnels_to_the_care_of_address_and_decapsulates_reverse_tunnel() {
        let mut ha = iha();
        let coa = Ipv4Addr::new(10, 1, 64, 77);
        ha.handle(T, &rrq(coa, IHA, 300, &keys()));
        let user = mip::user_udp(Ipv4Addr::new(10, 1, 80, 80), HOME, 7, 5000, b"x");
        let t = Ip::parse(&ha.tunnel(T, HOME, user.clone()).unwrap().emit_fixed().unwrap()).unwrap();
        assert_eq!((t.src, t.dst), (IHA, coa));
        let back = mip::ipip(coa, IHA, user.clone()).emit_fixed().unwrap();
        assert_eq!(ha.handle(T, &back).1, Some(user.emit_fixed().unwrap()));
        assert!(ha.tunnel(T + 301_000, HOME, user).is_none(), "binding expired");
    }

    #[test]
    fn fault_tnc_from_external_mip_1() {
        let xha = Ipv4Addr::new(203, 0, 113, 20);
        let mut cfg = HaConfig::external(xha, keys());
        cfg.faults.enable(HaFault::TncFromExternal);
        let mut ha = HomeAgent::new(cfg);
        let (out, _) = ha.handle(T, &rrq(Ipv4Addr::new(198, 51, 100, 77), xha, 300, &keys()));
        assert!(mip::has_tnc(&reply_of(&out[0])));
    }

    #[test]
    fn rfc3519_binding_behind_a_nat_tunnels_to_the_public_address_and_port() {
        let xha = Ipv4Addr::new(203, 0, 113, 20);
        let mut ha = HomeAgent::new(HaConfig::external(xha, keys()));
        let r = RegRequest {
            flags: flags::D | flags::T,
            lifetime: 300,
            home: HOME,
            ha: xha,
            coa: Ipv4Addr::new(192, 168, 1, 77),
            ident: mip::ident(T, 3),
            udp_tunnel: true,
            tnc: false,
            spi: 0x100,
        };
        // The NAT rewrote the source to 198.51.100.1:61001.
        let nat = Ipv4Addr::new(198, 51, 100, 1);
        let octets = mip::udp_msg(nat, xha, 61_001, MIP_PORT, &mip::request(&r, &keys())).emit_fixed().unwrap();
        let (out, _) = ha.handle(T, &octets);
        let rep = Ip::parse(&out[0].emit_fixed().unwrap()).unwrap();
        assert_eq!((rep.dst, rep.udp().map(|u| u.1)), (nat, Some(61_001)));
        assert!(mip::has_udp_tunnel(&rep.mip().unwrap().1), "UDP Tunnel Reply code 0");
        let t = Ip::parse(
            &ha.tunnel(T, HOME, mip::user_udp(Ipv4Addr::new(10, 1, 80, 80), HOME, 7, 5000, b"x"))
                .unwrap()
                .emit_fixed()
                .unwrap(),
        )
        .unwrap();
        assert_eq!((t.dst, t.udp().map(|u| (u.0, u.1))), (nat, Some((MIP_PORT, 61_001))));
        assert!(t.decapsulate().is_some());
    }

    #[test]
    fn fault_no_tnc_after_first_reply() {
        let mut ha = iha();
        ha.cfg.faults.enable(HaFault::NoTncAfterFirst);
        let src = Ipv4Addr::new(10, 1, 64, 77);
        assert!(mip::has_tnc(&reply_of(&ha.handle(T, &rrq(src, IHA, 300, &keys())).0[0])));
        assert!(!mip::has_tnc(&reply_of(&ha.handle(T, &rrq(src, IHA, 300, &keys())).0[0])));
    }
}
