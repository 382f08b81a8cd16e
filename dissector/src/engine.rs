//! The dissection engine: starts from a link type and chains layer dissectors by
//! EtherType, LLC/SNAP, IP protocol, port, GRE protocol, PPP protocol, ESP next header and
//! MV-DATA encapsulation type, to a bounded depth.

use crate::cx::Cx;
use crate::keys::Keys;
use crate::layers;
use crate::model::{BufferId, Dissection};
use codec::numbers::{EtherType, IpProto, LinkType, Port, PppProto};
use codec::{DecodeError, Kind};
use core::ops::Range;
use std::collections::HashMap;

/// Most layers one frame may have: nesting beyond this stops with an error.
pub const MAX_DEPTH: usize = 32;

/// A decoder the engine can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// Ethernet II / IEEE 802.3.
    Ethernet,
    /// IEEE 802.2 LLC (and SNAP) after an 802.3 length or in an 802.11 body.
    Llc,
    /// IEEE 802.1Q / 802.1ad tag.
    Vlan,
    /// Radiotap header then IEEE 802.11.
    Radiotap,
    /// IEEE 802.11 frame.
    Ieee80211,
    /// Linux cooked capture v1.
    Sll,
    /// Linux cooked capture v2.
    Sll2,
    /// BSD loopback (host byte order family).
    Null,
    /// OpenBSD loopback (network byte order family).
    Loop,
    /// Raw IP: IPv4 or IPv6 by the version nibble.
    RawIp,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// UDP.
    Udp,
    /// TCP (summary fields).
    Tcp,
    /// ICMP (router discovery via the MIP/ICMP codec).
    Icmp,
    /// GRE.
    Gre,
    /// ESP (decrypted when an SA is known).
    Esp,
    /// UDP port 4500: non-ESP marker + IKE, NAT keepalive, or ESP (RFC 3948).
    UdpEsp,
    /// AH.
    Ah,
    /// IKE header.
    Ike,
    /// L2TP (v2 decoded, v3 recognised).
    L2tp,
    /// PPP frame: optional FF 03, then protocol field.
    Ppp,
    /// MVTP PDU.
    Mvtp,
    /// Mobile IPv4 message on UDP 434.
    Mip,
    /// ARP (summary).
    Arp,
    /// Octets nobody decodes, shown as data.
    Data,
}

/// Decoders a frame can start with, in a fixed order: the fuzz target `dissect_frame` picks
/// one by its first octet (`ENTRY_POINTS[octet % len]`), and the stable replay of its corpus
/// uses the same table, so a corpus file means the same thing in both.
pub const ENTRY_POINTS: [Proto; 16] = [
    Proto::Ethernet,
    Proto::Radiotap,
    Proto::Ieee80211,
    Proto::Sll,
    Proto::Sll2,
    Proto::Null,
    Proto::RawIp,
    Proto::Ipv4,
    Proto::Ipv6,
    Proto::Udp,
    Proto::Gre,
    Proto::Esp,
    Proto::L2tp,
    Proto::Ppp,
    Proto::Mvtp,
    Proto::Mip,
];

/// What a layer asks the engine to do next.
#[derive(Debug)]
pub enum Next {
    /// Nothing further.
    Stop,
    /// Run this decoder on this range of the current buffer.
    To(Proto, Range<usize>),
    /// Dispatch by EtherType (also GRE protocol type and SNAP type).
    Ether(EtherType, Range<usize>),
    /// Dispatch by IP protocol (also IPv6 next header, ESP next header).
    Ip(IpProto, Range<usize>),
    /// Dispatch by UDP ports.
    Udp {
        /// Source port.
        src: u16,
        /// Destination port.
        dst: u16,
        /// The payload.
        at: Range<usize>,
    },
    /// Dispatch by TCP ports.
    Tcp {
        /// Source port.
        src: u16,
        /// Destination port.
        dst: u16,
        /// The payload.
        at: Range<usize>,
    },
    /// Dispatch by PPP protocol (the payload after the protocol field).
    Ppp(PppProto, Range<usize>),
    /// Continue in a new derived buffer (decrypted ESP payload…), with this decoder.
    Buffer(Vec<u8>, Box<Next>),
    /// Continue in a derived buffer the layer already added with `Cx::add_buffer` (so its
    /// own fields could point into it), with this decoder.
    InBuffer(BufferId, Box<Next>),
}

/// Dissector configuration: port assignments and "decode as" overrides.
#[derive(Debug, Clone)]
pub struct Config {
    /// UDP port → decoder (434 MIP, 500 IKE, 1701 L2TP, 4500 UDP-ESP by default).
    pub udp_ports: HashMap<u16, Proto>,
    /// TCP port → decoder.
    pub tcp_ports: HashMap<u16, Proto>,
    /// EtherType / GRE protocol overrides.
    pub ether_types: HashMap<u16, Proto>,
    /// Verify authenticators when keys are known (spec §2.1 step 8).
    pub verify_auth: bool,
}

impl Default for Config {
    fn default() -> Self {
        let udp_ports = HashMap::from([
            (Port::MIP.0, Proto::Mip),
            (Port::IKE.0, Proto::Ike),
            (Port::L2TP.0, Proto::L2tp),
            (Port::IPSEC_NAT_T.0, Proto::UdpEsp),
        ]);
        Self { udp_ports, tcp_ports: HashMap::new(), ether_types: HashMap::new(), verify_auth: true }
    }
}

/// Dissects frames. Holds configuration, keys and cross-packet state (fragment reassembly).
pub struct Dissector {
    /// Configuration.
    pub config: Config,
    /// Keys.
    pub keys: Keys,
    /// IPv4 fragment reassembly state (cross-packet, bounded).
    pub reassembly: crate::reassembly::Reassembler,
    /// Capture time of the packet being dissected, seconds (see [`Self::set_time`]).
    now: f64,
}

impl Default for Dissector {
    fn default() -> Self {
        Self::new(Config::default(), Keys::default())
    }
}

impl Dissector {
    /// A dissector with this configuration and these keys.
    pub fn new(config: Config, keys: Keys) -> Self {
        Self { config, keys, reassembly: Default::default(), now: 0.0 }
    }

    /// Sets the capture time (seconds) of the next packet: fragment timeouts count in it.
    pub fn set_time(&mut self, seconds: f64) {
        self.now = seconds;
    }

    /// The decoder a pcap link type starts with, if supported.
    pub fn link_proto(link: LinkType) -> Option<Proto> {
        Some(match link {
            LinkType::ETHERNET => Proto::Ethernet,
            LinkType::NULL => Proto::Null,
            LinkType::LOOP => Proto::Loop,
            LinkType::RAW => Proto::RawIp,
            LinkType::IPV4 => Proto::Ipv4,
            LinkType::IPV6 => Proto::Ipv6,
            LinkType::IEEE802_11 => Proto::Ieee80211,
            LinkType::IEEE802_11_RADIOTAP => Proto::Radiotap,
            LinkType::LINUX_SLL => Proto::Sll,
            LinkType::LINUX_SLL2 => Proto::Sll2,
            LinkType::PPP | LinkType::PPP_HDLC => Proto::Ppp,
            _ => return None,
        })
    }

    /// Dissects one frame of link type `link` into `out` (cleared first). `orig_len` is the
    /// length on the wire (≥ `frame.len()` when the capture was cut by its snaplen).
    pub fn dissect(&mut self, link: LinkType, frame: &[u8], orig_len: usize, out: &mut Dissection) {
        out.clear();
        out.truncated_capture = orig_len > frame.len();
        let start = match Self::link_proto(link) {
            Some(p) => Next::To(p, 0..frame.len()),
            None => Next::To(Proto::Data, 0..frame.len()),
        };
        self.run(frame, start, orig_len.saturating_sub(frame.len()), out);
    }

    /// Dissects `data` starting with decoder `proto` (for tests and "decode as").
    pub fn dissect_as(&mut self, proto: Proto, data: &[u8], out: &mut Dissection) {
        out.clear();
        self.run(data, Next::To(proto, 0..data.len()), 0, out);
    }

    fn run(&mut self, frame: &[u8], mut next: Next, missing: usize, out: &mut Dissection) {
        let mut buffer = BufferId::Frame;
        let mut steps = 0usize;
        loop {
            let (proto, range) = match self.resolve(next) {
                Resolved::Run(p, r) => (p, r),
                Resolved::Stop => break,
                Resolved::Buffer(buf, then) => {
                    let Ok(id) = u16::try_from(out.buffers.len()) else { break };
                    out.buffers.push(buf);
                    buffer = BufferId::Derived(id);
                    next = *then;
                    continue;
                }
                Resolved::InBuffer(id, then) => {
                    buffer = id;
                    next = *then;
                    continue;
                }
            };
            steps += 1;
            let data: &[u8] = match buffer {
                BufferId::Frame => frame,
                BufferId::Derived(i) => match out.buffers.get(usize::from(i)) {
                    // Moved out so the layer can write into `out` while reading it; put back below.
                    Some(_) => &[],
                    None => break,
                },
            };
            let derived = match buffer {
                BufferId::Derived(i) => Some(std::mem::take(&mut out.buffers[usize::from(i)])),
                BufferId::Frame => None,
            };
            let data = derived.as_deref().unwrap_or(data);
            let mut cx = Cx {
                out,
                buffer,
                depth: 0,
                keys: &self.keys,
                config: &self.config,
                missing,
                reassembly: &mut self.reassembly,
                now: self.now,
            };
            if steps > MAX_DEPTH {
                let e = DecodeError::new(Kind::Unsupported, "frame", range.start, format!("more than {MAX_DEPTH} nested layers"));
                cx.stop_at(0, e);
                cx.close_layer();
                if let (BufferId::Derived(i), Some(d)) = (buffer, derived) {
                    out.buffers[usize::from(i)] = d;
                }
                break;
            }
            let range = clamp(range, data.len());
            next = layers::dissect(proto, &mut cx, data, range);
            cx.close_layer();
            if let (BufferId::Derived(i), Some(d)) = (buffer, derived) {
                out.buffers[usize::from(i)] = d;
            }
        }
        // Post-pass over the whole stack: encapsulation overhead (spec MIP-7).
        layers::ip::finish(out);
    }

    fn resolve(&self, next: Next) -> Resolved {
        let c = &self.config;
        match next {
            Next::Stop => Resolved::Stop,
            Next::To(p, r) => Resolved::Run(p, r),
            Next::Buffer(b, then) => Resolved::Buffer(b, then),
            Next::InBuffer(id, then) => Resolved::InBuffer(id, then),
            Next::Ether(t, r) => match c.ether_types.get(&t.0).copied().or_else(|| ether_proto(t)) {
                Some(p) => Resolved::Run(p, r),
                None => data_or_stop(r),
            },
            Next::Ip(p, r) => match ip_proto(p) {
                Some(p) => Resolved::Run(p, r),
                None => data_or_stop(r),
            },
            Next::Udp { src, dst, at } => {
                // The lower port wins when both are known (as Wireshark tries the lower first).
                let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
                match c.udp_ports.get(&lo).or_else(|| c.udp_ports.get(&hi)) {
                    Some(p) => Resolved::Run(*p, at),
                    None => data_or_stop(at),
                }
            }
            Next::Tcp { src, dst, at } => {
                let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
                match c.tcp_ports.get(&lo).or_else(|| c.tcp_ports.get(&hi)) {
                    Some(p) => Resolved::Run(*p, at),
                    None => data_or_stop(at),
                }
            }
            Next::Ppp(p, r) => match ppp_proto(p) {
                Some(p) => Resolved::Run(p, r),
                None => data_or_stop(r),
            },
        }
    }
}

enum Resolved {
    Run(Proto, Range<usize>),
    Buffer(Vec<u8>, Box<Next>),
    InBuffer(BufferId, Box<Next>),
    Stop,
}

fn data_or_stop(r: Range<usize>) -> Resolved {
    if r.is_empty() {
        Resolved::Stop
    } else {
        Resolved::Run(Proto::Data, r)
    }
}

fn clamp(r: Range<usize>, len: usize) -> Range<usize> {
    let end = r.end.min(len);
    r.start.min(end)..end
}

/// Decoder for an EtherType (also GRE protocol type, SNAP type).
pub fn ether_proto(t: EtherType) -> Option<Proto> {
    Some(match t {
        EtherType::IPV4 => Proto::Ipv4,
        EtherType::IPV6 => Proto::Ipv6,
        EtherType::VLAN | EtherType::QINQ => Proto::Vlan,
        EtherType::MVTP => Proto::Mvtp,
        EtherType::TEB => Proto::Ethernet,
        EtherType::PPP => Proto::Ppp,
        EtherType::ARP => Proto::Arp,
        _ => return None,
    })
}

/// Decoder for an IP protocol number (also ESP next header, IPv6 next header).
pub fn ip_proto(p: IpProto) -> Option<Proto> {
    Some(match p {
        IpProto::IPIP => Proto::Ipv4,
        IpProto::IPV6 => Proto::Ipv6,
        IpProto::UDP => Proto::Udp,
        IpProto::TCP => Proto::Tcp,
        IpProto::ICMP => Proto::Icmp,
        IpProto::GRE => Proto::Gre,
        IpProto::ESP => Proto::Esp,
        IpProto::AH => Proto::Ah,
        _ => return None,
    })
}

/// Decoder for a PPP protocol number (the payload after the protocol field).
pub fn ppp_proto(p: PppProto) -> Option<Proto> {
    Some(match p {
        PppProto::IPV4 => Proto::Ipv4,
        PppProto::IPV6 => Proto::Ipv6,
        _ => return None,
    })
}
