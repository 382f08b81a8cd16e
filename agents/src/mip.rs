//! Mobile IPv4 pieces shared by the mobile node ([`crate::mn`]), the home agents
//! ([`crate::ha`]) and the foreign agent / proxy of this module ([`MipFa`]): registration
//! messages built and signed with `codec::mip` (RFC 5944 §3.3–3.5, MN-HA authentication
//! HMAC-MD5), the RFC 5265 Trusted Networks Configured extension (spec MIP-1), RFC 3519
//! UDP tunnelling (UDP Tunnel Request/Reply extensions, Tunnel Data on UDP 434), IP-in-IP
//! (RFC 2003), and a small reader of IPv4 packets for agents that take octets in.
//!
//! Every agent here is sans-IO like the MVTP ones: it takes IPv4 packets (octets) and the
//! caller's clock and returns IPv4 packets to send as `codec::stack` nodes.

use crate::common::Time;
use codec::auth::KeyStore;
use codec::ipv4::Ipv4View;
use codec::mip::ext::{ExtBody, ExtType, Extension};
use codec::mip::{flags, Body, Message, MsgType};
use codec::numbers::IpProto;
use codec::stack::Node;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The Mobile IP UDP port (RFC 5944 §3.1), also the RFC 3519 tunnel port.
pub const MIP_PORT: u16 = 434;
/// RFC 3519 §3.3 Tunnel Data message type.
pub const TUNNEL_DATA: u8 = 4;
/// UDP Tunnel Request F flag (RFC 3519 §3.1): tunnel in UDP even without a NAT detected.
pub const UTRQ_FORCE: u8 = 0x80;
/// Keepalive interval a home agent grants with UDP tunnelling, seconds (RFC 3519 §3.2).
pub const KEEPALIVE_S: u16 = 110;
/// RFC 5944 §3.4 code: registration denied by the home agent, failed authentication.
pub const CODE_HA_BAD_AUTH: u8 = 131;
/// Seconds between 1900 (NTP epoch) and 1970.
const NTP_UNIX: u64 = 2_208_988_800;

/// RFC 5265 §2 access modes (spec §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessMode {
    /// Inside, i-MIP with a co-located care-of address.
    C,
    /// Inside, i-MIP with a foreign agent care-of address.
    F,
    /// Outside: x-MIP co-located, VPN, i-MIP with the VPN tunnel inner address.
    Cvc,
    /// Outside: x-MIP through a foreign agent, VPN, i-MIP with the VPN tunnel inner address.
    Fvc,
}

impl AccessMode {
    /// The RFC 5265 name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::C => "c",
            AccessMode::F => "f",
            AccessMode::Cvc => "cvc",
            AccessMode::Fvc => "fvc",
        }
    }
}

/// An RFC 5944 §5.7.1 timestamp Identification: NTP seconds in the high half; the low
/// half is the fraction, made unique per request by `counter` (replies are matched by it).
pub fn ident(now: Time, counter: u32) -> u64 {
    let secs = now / 1000 + NTP_UNIX;
    let frac = ((now % 1000) << 32) / 1000;
    (secs << 32) | ((frac as u32 & 0xFFFF_F000) | (counter & 0xFFF)) as u64
}

/// What a registration request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegRequest {
    /// S B D M G r T x flags.
    pub flags: u8,
    /// Requested lifetime, seconds.
    pub lifetime: u16,
    /// Home address.
    pub home: Ipv4Addr,
    /// Home agent.
    pub ha: Ipv4Addr,
    /// Care-of address.
    pub coa: Ipv4Addr,
    /// Identification.
    pub ident: u64,
    /// Ask for RFC 3519 UDP tunnelling (F set).
    pub udp_tunnel: bool,
    /// Put the TNC extension in the request: spec MIP-1 fault.
    pub tnc: bool,
    /// MN-HA SPI (HMAC-MD5 key in the key store).
    pub spi: u32,
}

/// A signed Registration Request (RFC 5944 §3.3): extensions in the order MN-HA
/// authentication, then UDP Tunnel Request (RFC 3519 §3.1 places it after the MN-HA
/// authentication extension).
pub fn request(r: &RegRequest, keys: &KeyStore) -> Message {
    let mut extensions = Vec::new();
    if r.tnc {
        extensions.push(Extension::tnc());
    }
    let auth_len = keys.get(r.spi).map_or(16, |k| k.algorithm.len());
    extensions.push(Extension::auth(ExtType::MN_HA_AUTH, r.spi, vec![0; auth_len]));
    if r.udp_tunnel {
        extensions.push(Extension {
            ext_type: ExtType::UDP_TUNNEL_REQUEST,
            body: ExtBody::UdpTunnelRequest {
                subtype: 0,
                reserved1: 0,
                flags: UTRQ_FORCE,
                encapsulation: 4,
                reserved3: 0,
            },
        });
    }
    let mut m = Message {
        msg_type: MsgType::REG_REQUEST,
        body: Body::Request {
            flags: r.flags,
            lifetime: r.lifetime,
            home_addr: r.home,
            home_agent: r.ha,
            coa: r.coa,
            ident: r.ident,
        },
        extensions,
        payload: vec![],
    };
    let _ = m.sign(keys);
    m
}

/// A signed Registration Reply (RFC 5944 §3.4): UDP Tunnel Reply (RFC 3519 §3.2) and TNC
/// (RFC 5265 §3.4) before the MN-HA authentication extension, so it covers them.
#[allow(clippy::too_many_arguments)]
pub fn reply(code: u8, lifetime: u16, home: Ipv4Addr, ha: Ipv4Addr, ident: u64, udp_tunnel: bool, tnc: bool, spi: u32, keys: &KeyStore) -> Message {
    let mut extensions = Vec::new();
    if udp_tunnel {
        extensions.push(Extension {
            ext_type: ExtType::UDP_TUNNEL_REPLY,
            body: ExtBody::UdpTunnelReply {
                subtype: 0,
                code: 0,
                flags: 0,
                keepalive: KEEPALIVE_S,
            },
        });
    }
    if tnc {
        extensions.push(Extension::tnc());
    }
    let auth_len = keys.get(spi).map_or(16, |k| k.algorithm.len());
    extensions.push(Extension::auth(ExtType::MN_HA_AUTH, spi, vec![0; auth_len]));
    let mut m = Message {
        msg_type: MsgType::REG_REPLY,
        body: Body::Reply {
            code,
            lifetime,
            home_addr: home,
            home_agent: ha,
            ident,
        },
        extensions,
        payload: vec![],
    };
    let _ = m.sign(keys);
    m
}

/// True when `m` carries the TNC extension (type 149, sub-type 0).
pub fn has_tnc(m: &Message) -> bool {
    m.extensions.iter().any(|e| matches!(e.body, ExtBody::Tnc { subtype: 0, .. }))
}

/// True when `m` asks for (request) or grants (reply, code 0) RFC 3519 UDP tunnelling.
pub fn has_udp_tunnel(m: &Message) -> bool {
    m.extensions.iter().any(|e| match e.body {
        ExtBody::UdpTunnelRequest { .. } => true,
        ExtBody::UdpTunnelReply { code, .. } => code == 0,
        _ => false,
    })
}

/// The MN-HA SPI of a message.
pub fn mn_ha_spi(m: &Message) -> Option<u32> {
    m.extensions.iter().find_map(|e| match (&e.ext_type, &e.body) {
        (t, ExtBody::Auth { spi, .. }) if *t == ExtType::MN_HA_AUTH => Some(*spi),
        _ => None,
    })
}

/// True when the MN-HA authenticator of the message's octets verifies with `keys`.
pub fn mn_ha_valid(octets: &[u8], keys: &KeyStore) -> bool {
    codec::mip::verify(octets, keys).is_ok_and(|v| v.iter().any(|c| c.ext_type == ExtType::MN_HA_AUTH && c.valid))
}

/// A Mobile IP control message in UDP from `sport` to `dport`, in IPv4 `src` → `dst`.
pub fn udp_msg(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, m: &Message) -> Node {
    let octets = m.to_bytes().unwrap_or_default();
    Node::ipv4(src.octets(), dst.octets(), IpProto::UDP, Node::udp(sport, dport, Node::raw(octets)))
}

/// IP-in-IP (RFC 2003) `src` → `dst` around `inner`.
pub fn ipip(src: Ipv4Addr, dst: Ipv4Addr, inner: Node) -> Node {
    Node::ipv4(src.octets(), dst.octets(), IpProto::IPIP, inner)
}

/// An RFC 3519 §3.3 MIP UDP tunnel: IPv4 / UDP (`sport` → `dport`) / Tunnel Data header
/// (type 4, Next Header 4) / the inner IPv4 packet.
pub fn udp_tunnel(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, inner: Node) -> Node {
    let td = Node::Opaque {
        header: vec![TUNNEL_DATA, 4, 0, 0],
        inner: Box::new(inner),
    };
    Node::ipv4(src.octets(), dst.octets(), IpProto::UDP, Node::udp(sport, dport, td))
}

/// A tunnel to `dst`: RFC 3519 UDP (from port 434 to `udp_port`) or IP-in-IP.
pub fn tunnel(src: Ipv4Addr, dst: Ipv4Addr, udp_port: Option<u16>, inner: Node) -> Node {
    match udp_port {
        Some(p) => udp_tunnel(src, dst, MIP_PORT, p, inner),
        None => ipip(src, dst, inner),
    }
}

/// A user datagram: IPv4 / UDP / `payload`.
pub fn user_udp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, payload: &[u8]) -> Node {
    Node::ipv4(
        src.octets(),
        dst.octets(),
        IpProto::UDP,
        Node::udp(sport, dport, Node::raw(payload.to_vec())),
    )
}

/// An IPv4 packet as an agent reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Protocol.
    pub proto: IpProto,
    /// Payload octets.
    pub payload: Vec<u8>,
}

impl Ip {
    /// Reads an IPv4 packet (`None` when it is not one).
    pub fn parse(octets: &[u8]) -> Option<Self> {
        let v = Ipv4View::new(octets).ok()?;
        Some(Self {
            src: v.src().into(),
            dst: v.dst().into(),
            proto: v.protocol(),
            payload: v.payload().to_vec(),
        })
    }

    /// UDP: (source port, destination port, payload).
    pub fn udp(&self) -> Option<(u16, u16, &[u8])> {
        if self.proto != IpProto::UDP {
            return None;
        }
        let b = &self.payload;
        let sport = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
        let dport = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
        Some((sport, dport, b.get(8..)?))
    }

    /// A Mobile IP control message on UDP 434 (not Tunnel Data): (source port, message, its octets).
    pub fn mip(&self) -> Option<(u16, Message, Vec<u8>)> {
        let (sport, dport, data) = self.udp()?;
        if sport != MIP_PORT && dport != MIP_PORT || data.first() == Some(&TUNNEL_DATA) {
            return None;
        }
        Message::parse(data).ok().map(|m| (sport, m, data.to_vec()))
    }

    /// The inner packet of IP-in-IP or of an RFC 3519 Tunnel Data message, with the UDP
    /// source port of the latter.
    pub fn decapsulate(&self) -> Option<(Vec<u8>, Option<u16>)> {
        if self.proto == IpProto::IPIP {
            return Some((self.payload.clone(), None));
        }
        let (sport, dport, data) = self.udp()?;
        if (dport == MIP_PORT || sport == MIP_PORT) && data.first() == Some(&TUNNEL_DATA) && data.get(1) == Some(&4) {
            return Some((data.get(4..)?.to_vec(), Some(sport)));
        }
        None
    }

    /// The ESP octets of protocol 50 or of UDP 4500 (RFC 3948; not a keepalive, not IKE).
    pub fn esp(&self) -> Option<&[u8]> {
        if self.proto == IpProto::ESP {
            return Some(&self.payload);
        }
        let (sport, dport, data) = self.udp()?;
        let natt = crate::ipsec::NATT_PORT;
        (sport == natt && dport == natt && data.len() > 8 && data.get(..4) != Some(&[0, 0, 0, 0])).then_some(data)
    }
}

/// A foreign agent (RFC 5944 §3.7) on a mobile node's link, or — with `proxy` — a proxy
/// registration agent that registers the mobile node's external home address with the
/// x-HA itself, so that the mobile node keeps one VPN tunnel outer address (its x-HoA)
/// while the care-of address (this agent's) changes from one access router to the next.
#[derive(Debug, Clone)]
pub struct MipFa {
    /// The care-of address (on the link and toward home agents).
    pub addr: Ipv4Addr,
    /// Add an RFC 3519 UDP Tunnel Request when relaying (NAT traversal between FA and HA).
    pub natt: bool,
    /// Proxy registration: (home address, home agent, MN-HA SPI, key store, lifetime).
    pub proxy: Option<(Ipv4Addr, Ipv4Addr, u32, KeyStore, u16)>,
    /// Requests relayed, by Identification: (home address, home agent, T bit).
    pending: BTreeMap<u64, (Ipv4Addr, Ipv4Addr, bool)>,
    /// Visitors: home address → (home agent, reverse tunnelling, UDP tunnel source port).
    visitors: BTreeMap<Ipv4Addr, (Ipv4Addr, bool, Option<u16>)>,
    counter: u32,
}

/// What a [`MipFa`] sends: on the mobile node's link, or toward the home agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaOut {
    /// To the mobile node on the link.
    ToMn(Node),
    /// To the network.
    ToNet(Node),
}

impl MipFa {
    /// An FA with this care-of address.
    pub fn new(addr: Ipv4Addr, natt: bool) -> Self {
        Self {
            addr,
            natt,
            proxy: None,
            pending: BTreeMap::new(),
            visitors: BTreeMap::new(),
            counter: 0,
        }
    }

    /// An Agent Advertisement (RFC 5944 §2.1): ICMP Router Advertisement to 224.0.0.1 with
    /// TTL 1, the agent's address as router address, and a Mobility Agent Advertisement
    /// extension (type 16) offering its care-of address with R (registration required),
    /// F (foreign agent) and T (reverse tunnelling, RFC 3024).
    pub fn advertisement(&self, seq: u16) -> Node {
        const LIFETIME: u16 = 1800;
        let mut b = vec![9, 0, 0, 0, 1, 2];
        b.extend_from_slice(&LIFETIME.to_be_bytes());
        b.extend_from_slice(&self.addr.octets());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&[16, 10]);
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(&LIFETIME.to_be_bytes());
        // R (0x8000), F (0x1000), T (0x0100) of the 16-bit flags field.
        b.extend_from_slice(&[0x80 | 0x10 | 0x01, 0]);
        b.extend_from_slice(&self.addr.octets());
        codec::icmp::fix_checksum(&mut b);
        let mut n = Node::ipv4(self.addr.octets(), [224, 0, 0, 1], IpProto::ICMP, Node::raw(b));
        if let Node::Ipv4 { hdr, .. } = &mut n {
            hdr.ttl = 1;
        }
        n
    }

    /// Proxy mode: the registration the agent sends for the mobile node when it attaches.
    pub fn attach(&mut self, now: Time) -> Vec<FaOut> {
        let Some((home, ha, spi, keys, lifetime)) = self.proxy.clone() else {
            return vec![];
        };
        self.counter += 1;
        let r = RegRequest {
            flags: flags::T,
            lifetime,
            home,
            ha,
            coa: self.addr,
            ident: ident(now, self.counter),
            udp_tunnel: self.natt,
            tnc: false,
            spi,
        };
        let m = request(&r, &keys);
        self.pending.insert(r.ident, (home, ha, true));
        vec![FaOut::ToNet(udp_msg(self.addr, ha, MIP_PORT, MIP_PORT, &m))]
    }

    /// A packet from the mobile node: a registration to relay, or user data to reverse-
    /// tunnel to its home agent (T bit) [RFC 5944 §3.7.1, RFC 3024].
    pub fn from_mn(&mut self, octets: &[u8]) -> Vec<FaOut> {
        let Some(ip) = Ip::parse(octets) else { return vec![] };
        if ip.dst == self.addr {
            if let Some((_, mut m, _)) = ip.mip() {
                let Body::Request {
                    home_addr,
                    home_agent,
                    ident,
                    flags: reg_flags,
                    ..
                } = m.body
                else {
                    return vec![];
                };
                if self.natt {
                    m.extensions.push(Extension {
                        ext_type: ExtType::UDP_TUNNEL_REQUEST,
                        body: ExtBody::UdpTunnelRequest {
                            subtype: 0,
                            reserved1: 0,
                            flags: UTRQ_FORCE,
                            encapsulation: 4,
                            reserved3: 0,
                        },
                    });
                }
                self.pending.insert(ident, (home_addr, home_agent, reg_flags & flags::T != 0));
                return vec![FaOut::ToNet(udp_msg(self.addr, home_agent, MIP_PORT, MIP_PORT, &m))];
            }
            return vec![];
        }
        match self.visitors.get(&ip.src) {
            Some(&(ha, true, udp)) => vec![FaOut::ToNet(tunnel(self.addr, ha, udp.map(|_| MIP_PORT), Node::raw(octets.to_vec())))],
            _ => vec![FaOut::ToNet(Node::raw(octets.to_vec()))],
        }
    }

    /// A packet from the network to the care-of address: a reply to relay, or a tunnelled
    /// packet for a visitor.
    pub fn from_net(&mut self, octets: &[u8]) -> Vec<FaOut> {
        let Some(ip) = Ip::parse(octets) else { return vec![] };
        if ip.dst != self.addr {
            return vec![];
        }
        if let Some((_, m, _)) = ip.mip() {
            let Body::Reply { code, home_addr, ident, .. } = m.body else {
                return vec![];
            };
            let Some((home, ha, reverse)) = self.pending.remove(&ident) else {
                return vec![];
            };
            if code <= 1 {
                // RFC 3024: reverse tunnelling only for a registration that asked for it (T).
                let udp = has_udp_tunnel(&m).then_some(MIP_PORT);
                self.visitors.insert(home, (ha, reverse, udp));
            }
            if self.proxy.is_some() {
                return vec![];
            }
            return vec![FaOut::ToMn(udp_msg(self.addr, home_addr, MIP_PORT, MIP_PORT, &m))];
        }
        match ip.decapsulate() {
            Some((inner, _)) => vec![FaOut::ToMn(Node::raw(inner))],
            None => vec![],
        }
    }

    /// True when the agent holds an accepted registration for `home`.
    pub fn serves(&self, home: Ipv4Addr) -> bool {
        self.visitors.contains_key(&home)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::auth::{Algorithm, AuthKey};

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

    fn req(udp: bool) -> RegRequest {
        RegRequest {
            flags: flags::D | flags::T,
            lifetime: 300,
            home: Ipv4Addr::new(10, 1, 5, 23),
            ha: Ipv4Addr::new(10, 1, 0, 1),
            coa: Ipv4Addr::new(10, 1, 64, 77),
            ident: ident(1_767_225_600_000, 1),
            udp_tunnel: udp,
            tnc: false,
            spi: 0x100,
        }
    }

    #[test]
    fn rfc5944_3_3_request_is_signed_and_round_trips() {
        let m = request(&req(false), &keys());
        let octets = m.to_bytes().unwrap();
        assert_eq!(octets[0], 1);
        assert!(mn_ha_valid(&octets, &keys()));
        assert_eq!(Message::parse(&octets).unwrap(), m);
        assert!(!has_tnc(&m));
    }

    #[test]
    fn rfc5265_3_4_tnc_in_a_reply_is_covered_by_the_mn_ha_authenticator() {
        let r = req(false);
        let m = reply(0, 300, r.home, r.ha, r.ident, false, true, 0x100, &keys());
        assert!(has_tnc(&m));
        let octets = m.to_bytes().unwrap();
        let tnc_at = octets.windows(4).position(|w| w == [149, 2, 0, 0]).expect("TNC 149/2/0/0");
        let auth_at = octets.iter().position(|&b| b == 32).unwrap_or(0);
        assert!(tnc_at < octets.len() - 20 && tnc_at >= 20 && auth_at > 0);
        assert!(mn_ha_valid(&octets, &keys()));
    }

    #[test]
    fn rfc3519_3_1_udp_tunnel_request_after_mn_ha_auth_with_force() {
        let m = request(&req(true), &keys());
        assert!(matches!(
            m.extensions.last().map(|e| &e.body),
            Some(ExtBody::UdpTunnelRequest {
                flags: UTRQ_FORCE,
                encapsulation: 4,
                ..
            })
        ));
        assert!(mn_ha_valid(&m.to_bytes().unwrap(), &keys()));
    }

    #[test]
    fn rfc3519_3_3_tunnel_data_decapsulates() {
        let inner = user_udp(Ipv4Addr::new(10, 1, 5, 23), Ipv4Addr::new(10, 1, 80, 80), 5000, 7, b"x");
        let t = udp_tunnel(
            Ipv4Addr::new(192, 168, 1, 77),
            Ipv4Addr::new(10, 1, 0, 1),
            MIP_PORT,
            MIP_PORT,
            inner.clone(),
        );
        let ip = Ip::parse(&t.emit_fixed().unwrap()).unwrap();
        assert!(ip.mip().is_none(), "Tunnel Data is not a control message");
        assert_eq!(ip.decapsulate(), Some((inner.emit_fixed().unwrap(), Some(MIP_PORT))));
    }

    #[test]
    fn rfc5944_3_7_fa_relays_and_reverse_tunnels_only_with_t_rfc3024() {
        let fa_addr = Ipv4Addr::new(10, 1, 64, 1);
        let home = Ipv4Addr::new(10, 1, 5, 23);
        let ha = Ipv4Addr::new(10, 1, 0, 1);
        let user = user_udp(home, Ipv4Addr::new(10, 1, 80, 80), 5000, 7, b"x").emit_fixed().unwrap();
        for t in [true, false] {
            let mut fa = MipFa::new(fa_addr, false);
            let r = RegRequest {
                flags: if t { flags::T } else { 0 },
                coa: fa_addr,
                ..req(false)
            };
            let out = fa.from_mn(&udp_msg(home, fa_addr, MIP_PORT, MIP_PORT, &request(&r, &keys())).emit_fixed().unwrap());
            let FaOut::ToNet(relayed) = &out[0] else { panic!("relayed to the HA") };
            let relayed = Ip::parse(&relayed.emit_fixed().unwrap()).unwrap();
            assert_eq!((relayed.src, relayed.dst), (fa_addr, ha));
            let rep = reply(0, 300, home, ha, r.ident, false, true, 0x100, &keys());
            let back = fa.from_net(&udp_msg(ha, fa_addr, MIP_PORT, MIP_PORT, &rep).emit_fixed().unwrap());
            let FaOut::ToMn(to_mn) = &back[0] else {
                panic!("relayed to the mobile node")
            };
            assert!(
                has_tnc(&Ip::parse(&to_mn.emit_fixed().unwrap()).unwrap().mip().unwrap().1),
                "TNC relayed unchanged"
            );
            assert!(fa.serves(home));
            let FaOut::ToNet(up) = &fa.from_mn(&user)[0] else { panic!() };
            let up = Ip::parse(&up.emit_fixed().unwrap()).unwrap();
            assert_eq!(up.proto == IpProto::IPIP, t, "reverse tunnel to the HA only with T");
            // Downstream: the HA's tunnel to the care-of address is decapsulated for the visitor.
            let down = fa.from_net(&ipip(ha, fa_addr, Node::raw(user.clone())).emit_fixed().unwrap());
            assert_eq!(down, vec![FaOut::ToMn(Node::raw(user.clone()))]);
        }
    }

    #[test]
    fn rfc5944_2_1_agent_advertisement_with_mobility_extension() {
        let fa = MipFa::new(Ipv4Addr::new(10, 1, 64, 1), false);
        let ip = Ip::parse(&fa.advertisement(7).emit_fixed().unwrap()).unwrap();
        assert_eq!((ip.dst, ip.proto), (Ipv4Addr::new(224, 0, 0, 1), IpProto::ICMP));
        let v = codec::icmp::IcmpView::new(&ip.payload).unwrap();
        assert_eq!(v.icmp_type().0, 9);
        assert!(v.checksum_ok());
        // Extension 16 after the one address entry: sequence 7, flags R F T.
        assert_eq!(&ip.payload[16..22], &[16, 10, 0, 7, 0x07, 0x08]);
        assert_eq!(u16::from_be_bytes([ip.payload[22], ip.payload[23]]), 0x8000 | 0x1000 | 0x0100);
    }

    #[test]
    fn rfc5944_5_7_identifications_differ_in_their_low_half() {
        let t = 1_767_225_600_123;
        assert_ne!(ident(t, 1) as u32, ident(t, 2) as u32);
        assert_eq!(ident(t, 1) >> 32, 1_767_225_600 + NTP_UNIX);
    }
}
