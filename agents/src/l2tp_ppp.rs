//! A small PPP endpoint (RFC 1661 LCP, RFC 1332 IPCP, RFC 1990 Multilink) for the ends of
//! a Mobile PPP connection: the client's PPP and the LNS's. It negotiates what the
//! corpus needs — MRU, Magic-Number, and for Multilink MRRU and Endpoint Discriminator
//! (the client's Global Endpoint ID, RFC 1990 §5.1.3 classes, `codec::gid`); IPCP with an
//! address handed out by Configure-Nak — and carries IPv4 datagrams, in Multilink
//! fragments once MRRU was negotiated both ways. Every Configure-Request of the peer is
//! acknowledged as sent (or Nak'ed for an IP-Address of 0.0.0.0); a Configure-Request in
//! the Opened state restarts the negotiation (RFC 1661 §4.1, event RCR+ in Opened).
//!
//! Frames carry Address/Control `FF 03` and two-octet protocol fields, as an L2TP data
//! message and an MV-DATA (Encap Type 1) carry them [FMT-14].

use codec::gid::Gid;
use codec::numbers::PppProto;
use codec::ppp::cp::{code, Cp, CpData};
use codec::ppp::ipcp::{opt as ipcp_opt, IpcpOption};
use codec::ppp::lcp::LcpOption;
use codec::ppp::mp::Fragment;
use codec::ppp::{Frame, ParseOptions, Payload, CONTROL_UI};
use std::net::Ipv4Addr;

/// Default MRU (fits an L2TP/UDP/IPv4 path of 1500 octets).
pub const MRU: u16 = 1400;

/// What one end asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppConfig {
    /// LCP Magic-Number.
    pub magic: u32,
    /// This end's IPv4 address; `None`: ask the peer (IP-Address 0.0.0.0).
    pub address: Option<Ipv4Addr>,
    /// Address to give a peer that asks with 0.0.0.0 (Configure-Nak).
    pub give: Option<Ipv4Addr>,
    /// Multilink: MRRU and Endpoint Discriminator to offer (RFC 1990 §5.1).
    pub multilink: Option<(u16, Gid)>,
}

/// What the endpoint tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PppEvent {
    /// LCP is Opened both ways; the peer's Endpoint Discriminator, if it sent one.
    LinkUp {
        /// The peer's Endpoint Discriminator (LCP option 19).
        discriminator: Option<Gid>,
    },
    /// IPCP is Opened: this end's address.
    NetworkUp {
        /// The negotiated local address.
        address: Ipv4Addr,
    },
    /// An IPv4 datagram arrived.
    Datagram(Vec<u8>),
}

/// One PPP endpoint.
#[derive(Debug, Clone)]
pub struct Ppp {
    cfg: PppConfig,
    id: u8,
    lcp_acked: bool,
    lcp_peer_acked: bool,
    ipcp_acked: bool,
    ipcp_peer_acked: bool,
    /// Run IPCP on this link (false for a link that joins an existing bundle).
    ncp: bool,
    address: Option<Ipv4Addr>,
    peer_mrru: bool,
    peer_discriminator: Option<Gid>,
    mp_seq: u32,
}

fn frame(protocol: PppProto, payload: Payload) -> Vec<u8> {
    let f = Frame {
        address_control: Some(CONTROL_UI),
        protocol_compressed: false,
        protocol,
        payload,
    };
    let mut out = Vec::new();
    // The options built here always fit their fields; an encoding error yields no frame.
    if f.emit(&mut out).is_err() {
        out.clear();
    }
    out
}

impl Ppp {
    /// An endpoint; `ncp` = run IPCP on this link.
    pub fn new(cfg: PppConfig, ncp: bool) -> Self {
        let address = cfg.address;
        Self {
            cfg,
            id: 0,
            lcp_acked: false,
            lcp_peer_acked: false,
            ipcp_acked: false,
            ipcp_peer_acked: false,
            ncp,
            address,
            peer_mrru: false,
            peer_discriminator: None,
            mp_seq: 0,
        }
    }

    /// LCP is Opened.
    pub fn link_up(&self) -> bool {
        self.lcp_acked && self.lcp_peer_acked
    }

    /// IPCP is Opened (or, on a link without NCP, LCP is).
    pub fn is_up(&self) -> bool {
        self.link_up() && (!self.ncp || (self.ipcp_acked && self.ipcp_peer_acked))
    }

    /// The negotiated address.
    pub fn address(&self) -> Option<Ipv4Addr> {
        self.address
    }

    /// Multilink is in use on this link (MRRU offered and received).
    pub fn multilink(&self) -> bool {
        self.cfg.multilink.is_some() && self.peer_mrru
    }

    fn next_id(&mut self) -> u8 {
        self.id = self.id.wrapping_add(1);
        self.id
    }

    fn lcp_request(&mut self) -> Vec<u8> {
        let mut opts = vec![LcpOption::Mru(MRU), LcpOption::MagicNumber(self.cfg.magic)];
        if let Some((mrru, gid)) = &self.cfg.multilink {
            opts.push(LcpOption::Mrru(*mrru));
            opts.push(LcpOption::EndpointDiscriminator(gid.clone()));
        }
        let id = self.next_id();
        frame(
            PppProto::LCP,
            Payload::Lcp(Cp {
                code: code::CONFIGURE_REQUEST,
                identifier: id,
                data: CpData::Options(opts),
                padding: vec![],
            }),
        )
    }

    fn ipcp_request(&mut self) -> Vec<u8> {
        let a = self.address.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let id = self.next_id();
        let opts = vec![IpcpOption::Address(ipcp_opt::IP_ADDRESS, a)];
        frame(
            PppProto::IPCP,
            Payload::Ipcp(Cp {
                code: code::CONFIGURE_REQUEST,
                identifier: id,
                data: CpData::Options(opts),
                padding: vec![],
            }),
        )
    }

    /// Starts LCP: the first Configure-Request.
    pub fn open(&mut self) -> Vec<Vec<u8>> {
        vec![self.lcp_request()]
    }

    /// A PPP frame of an IPv4 datagram (a Multilink fragment with B and E set once
    /// Multilink is in use, RFC 1990 §3).
    pub fn datagram(&mut self, ip: &[u8]) -> Vec<u8> {
        if self.multilink() {
            let mut inner = PppProto::IPV4.0.to_be_bytes().to_vec();
            inner.extend_from_slice(ip);
            let seq = self.mp_seq;
            self.mp_seq = (self.mp_seq + 1) & 0x00FF_FFFF;
            frame(
                PppProto::MP,
                Payload::Mp(Fragment {
                    short: false,
                    begin: true,
                    end: true,
                    reserved: 0,
                    seq,
                    payload: inner,
                }),
            )
        } else {
            frame(PppProto::IPV4, Payload::Other(ip.to_vec()))
        }
    }

    /// Runs IPCP on this link or not (a link joining an existing bundle runs none, RFC 1990 §3).
    pub fn set_ncp(&mut self, ncp: bool) {
        self.ncp = ncp;
    }

    /// Continues the Multilink sequence of another link of the same bundle.
    pub fn set_mp_seq(&mut self, seq: u32) {
        self.mp_seq = seq;
    }

    /// The next Multilink sequence number.
    pub fn mp_seq(&self) -> u32 {
        self.mp_seq
    }

    /// A received frame: frames to send back and events.
    pub fn input(&mut self, octets: &[u8]) -> (Vec<Vec<u8>>, Vec<PppEvent>) {
        let mut out = Vec::new();
        let mut ev = Vec::new();
        let Ok(f) = Frame::parse_with(octets, ParseOptions::default()) else {
            return (out, ev);
        };
        match f.payload {
            Payload::Lcp(cp) => self.lcp(cp, &mut out, &mut ev),
            Payload::Ipcp(cp) => self.ipcp(cp, &mut out, &mut ev),
            Payload::Mp(frag)
                if frag.payload.get(..2) == Some(&PppProto::IPV4.0.to_be_bytes()[..]) =>
            {
                ev.push(PppEvent::Datagram(
                    frag.payload.get(2..).unwrap_or_default().to_vec(),
                ));
            }
            Payload::Other(ip) if f.protocol == PppProto::IPV4 => ev.push(PppEvent::Datagram(ip)),
            _ => {}
        }
        (out, ev)
    }

    fn lcp(&mut self, cp: Cp<LcpOption>, out: &mut Vec<Vec<u8>>, ev: &mut Vec<PppEvent>) {
        let was_up = self.link_up();
        match (cp.code, cp.data) {
            (code::CONFIGURE_REQUEST, CpData::Options(opts)) => {
                if was_up {
                    // RFC 1661 §4.1: RCR+ in Opened → this-layer-down, send CR and CA.
                    self.lcp_acked = false;
                    self.ipcp_acked = false;
                    self.ipcp_peer_acked = false;
                    if self.cfg.address.is_none() {
                        self.address = None;
                    }
                    out.push(self.lcp_request());
                }
                self.peer_mrru = opts.iter().any(|o| matches!(o, LcpOption::Mrru(_)));
                self.peer_discriminator = opts.iter().find_map(|o| match o {
                    LcpOption::EndpointDiscriminator(g) => Some(g.clone()),
                    _ => None,
                });
                self.lcp_peer_acked = true;
                out.push(frame(
                    PppProto::LCP,
                    Payload::Lcp(Cp {
                        code: code::CONFIGURE_ACK,
                        identifier: cp.identifier,
                        data: CpData::Options(opts),
                        padding: vec![],
                    }),
                ));
            }
            (code::CONFIGURE_ACK, _) if cp.identifier == self.id => self.lcp_acked = true,
            _ => {}
        }
        if !was_up && self.link_up() {
            ev.push(PppEvent::LinkUp {
                discriminator: self.peer_discriminator.clone(),
            });
            if self.ncp {
                out.push(self.ipcp_request());
            }
        }
    }

    fn ipcp(&mut self, cp: Cp<IpcpOption>, out: &mut Vec<Vec<u8>>, ev: &mut Vec<PppEvent>) {
        if !self.link_up() || !self.ncp {
            return;
        }
        let was_up = self.is_up();
        match (cp.code, cp.data) {
            (code::CONFIGURE_REQUEST, CpData::Options(opts)) => {
                let asks = opts.iter().any(|o| matches!(o, IpcpOption::Address(ipcp_opt::IP_ADDRESS, a) if a.is_unspecified()));
                match (asks, self.cfg.give) {
                    (true, Some(g)) => {
                        let nak = vec![IpcpOption::Address(ipcp_opt::IP_ADDRESS, g)];
                        out.push(frame(
                            PppProto::IPCP,
                            Payload::Ipcp(Cp {
                                code: code::CONFIGURE_NAK,
                                identifier: cp.identifier,
                                data: CpData::Options(nak),
                                padding: vec![],
                            }),
                        ));
                    }
                    _ => {
                        self.ipcp_peer_acked = true;
                        out.push(frame(
                            PppProto::IPCP,
                            Payload::Ipcp(Cp {
                                code: code::CONFIGURE_ACK,
                                identifier: cp.identifier,
                                data: CpData::Options(opts),
                                padding: vec![],
                            }),
                        ));
                    }
                }
            }
            (code::CONFIGURE_NAK, CpData::Options(opts)) if cp.identifier == self.id => {
                if let Some(a) = opts.iter().find_map(|o| match o {
                    IpcpOption::Address(ipcp_opt::IP_ADDRESS, a) => Some(*a),
                    _ => None,
                }) {
                    self.address = Some(a);
                    out.push(self.ipcp_request());
                }
            }
            (code::CONFIGURE_ACK, _) if cp.identifier == self.id => self.ipcp_acked = true,
            _ => {}
        }
        if !was_up && self.is_up() {
            if let Some(a) = self.address {
                ev.push(PppEvent::NetworkUp { address: a });
            }
        }
    }
}

/// The Endpoint Discriminator of an LCP Configure-Request frame, if it is one and has one.
pub fn request_discriminator(octets: &[u8]) -> Option<Gid> {
    let f = Frame::parse_with(octets, ParseOptions::default()).ok()?;
    match f.payload {
        Payload::Lcp(Cp {
            code: code::CONFIGURE_REQUEST,
            data: CpData::Options(opts),
            ..
        }) => opts.into_iter().find_map(|o| match o {
            LcpOption::EndpointDiscriminator(g) => Some(g),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pump(a: &mut Ppp, b: &mut Ppp, first: Vec<Vec<u8>>) -> (Vec<PppEvent>, Vec<PppEvent>) {
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        let mut to_b = first;
        let mut to_a: Vec<Vec<u8>> = Vec::new();
        for _ in 0..10 {
            for f in std::mem::take(&mut to_b) {
                let (o, e) = b.input(&f);
                to_a.extend(o);
                eb.extend(e);
            }
            for f in std::mem::take(&mut to_a) {
                let (o, e) = a.input(&f);
                to_b.extend(o);
                ea.extend(e);
            }
        }
        (ea, eb)
    }

    #[test]
    fn rfc1661_lcp_then_rfc1332_ipcp_with_an_address_handed_out() {
        let mut client = Ppp::new(
            PppConfig {
                magic: 1,
                address: None,
                give: None,
                multilink: None,
            },
            true,
        );
        let lns_addr = Ipv4Addr::new(192, 0, 2, 1);
        let mut lns = Ppp::new(
            PppConfig {
                magic: 2,
                address: Some(lns_addr),
                give: Some(Ipv4Addr::new(192, 0, 2, 100)),
                multilink: None,
            },
            true,
        );
        let mut first = client.open();
        first.extend(lns.open());
        // Both requests cross: deliver the LNS's own request to the client first.
        let (o, _) = client.input(&first[1]);
        let (ec, el) = pump(&mut client, &mut lns, [vec![first[0].clone()], o].concat());
        assert!(client.is_up() && lns.is_up());
        assert_eq!(client.address(), Some(Ipv4Addr::new(192, 0, 2, 100)));
        assert!(ec.contains(&PppEvent::NetworkUp {
            address: Ipv4Addr::new(192, 0, 2, 100)
        }));
        assert!(el.contains(&PppEvent::NetworkUp { address: lns_addr }));
        let f = client.datagram(&[0x45, 0, 0, 20]);
        assert_eq!(&f[..4], &[0xff, 0x03, 0x00, 0x21]);
        assert_eq!(
            lns.input(&f).1,
            vec![PppEvent::Datagram(vec![0x45, 0, 0, 20])]
        );
    }

    #[test]
    fn rfc1990_multilink_with_endpoint_discriminator_is_the_gid() {
        let gid = Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]);
        let mut c = Ppp::new(
            PppConfig {
                magic: 1,
                address: Some(Ipv4Addr::new(192, 0, 2, 100)),
                give: None,
                multilink: Some((1500, gid.clone())),
            },
            false,
        );
        let mut l = Ppp::new(
            PppConfig {
                magic: 2,
                address: None,
                give: None,
                multilink: Some((1500, Gid::default())),
            },
            false,
        );
        let mut first = c.open();
        let (o, _) = c.input(&l.open()[0]);
        first.extend(o);
        let (_, el) = pump(&mut c, &mut l, first);
        assert!(el.contains(&PppEvent::LinkUp {
            discriminator: Some(gid)
        }));
        assert!(c.multilink());
        let f = c.datagram(&[0x45, 1]);
        assert_eq!(&f[2..4], &[0x00, 0x3d]);
        assert_eq!(l.input(&f).1, vec![PppEvent::Datagram(vec![0x45, 1])]);
    }
}
