//! The scenario simulator: the reference agents (`mvtp-agents`) on virtual links, and what
//! each link carries written as captures.
//!
//! [`net::Net`] is the clock and event queue (deterministic: one queue ordered by time and
//! insertion; per-link latency; seeded loss and duplication); [`topo`] sets up a topology
//! with documentation addresses and realistic 802 addresses; a scenario runs its schedule,
//! and [`render`] turns every packet of the run's trace into a frame of the link it crossed:
//!
//! - `fa1`, `fa2`, …: the access link of each FA (Ethernet II, IEEE 802.3 + LLC/SNAP, or
//!   radiotap + IEEE 802.11 + LLC/SNAP),
//! - `core`: the internet between the FAs' care-of addresses and the server (Ethernet II /
//!   IPv4 / GRE 0x88B5).
//!
//! A packet is captured once, at the time it was sent. Frames are built with the codec's
//! Reprs only (`codec::stack` for Ethernet/LLC/IPv4/GRE/UDP with lengths and checksums,
//! `agents::wire` → `codec::mvtp` for the PDUs, `codec::l2tp`/`codec::ppp` for user data).

use agents::harness::Node;
use agents::{Addr, Iface, Msg, Packet, Rx};
use codec::ethernet::Mac;
use codec::numbers::{EtherType, IpProto};
use codec::stack::Node as S;
use net::Net;
use pcap_file::DataLink;
use std::net::Ipv4Addr;

pub mod net;
pub mod topo;

/// Simulated clock origin: 2026-01-01T00:00:00Z in milliseconds since the epoch.
pub const T0: u64 = 1_767_225_600_000;

/// Framing of an FA's access link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Ethernet II (DIX), EtherType 0x88B5.
    Dix,
    /// IEEE 802.3 + LLC/SNAP (RFC 1042), SNAP type 0x88B5.
    Snap,
    /// Radiotap + IEEE 802.11 data frames (the FA is the access point), LLC/SNAP 0x88B5.
    Wlan,
}

impl Framing {
    /// Name for the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Framing::Dix => "ethernet-dix",
            Framing::Snap => "ethernet-llc-snap",
            Framing::Wlan => "radiotap-ieee80211-llc-snap",
        }
    }

    /// The capture's link type.
    pub fn datalink(self) -> DataLink {
        match self {
            Framing::Dix | Framing::Snap => DataLink::ETHERNET,
            Framing::Wlan => DataLink::IEEE802_11_RADIOTAP,
        }
    }
}

/// The link type of `link`'s captures.
pub fn datalink(link: Link, framing: &[Framing]) -> DataLink {
    match link {
        Link::Access(f) => framing.get(f).copied().unwrap_or(Framing::Dix).datalink(),
        Link::Core => DataLink::ETHERNET,
    }
}

/// An 802.11 data frame with radiotap between a client and its FA (the access point).
fn wlan(src: Mac, dst: Mac, from_ap: bool, seq: u16, bssid: Mac, inner: S) -> S {
    use codec::ieee80211::Ieee80211;
    use codec::radiotap::Radiotap;
    // Data (type 2, subtype 0); To DS from a station, From DS from the AP.
    let (flags, addr1, addr2, addr3) = if from_ap {
        (0x02, dst, src, src)
    } else {
        (0x01, bssid, src, dst)
    };
    let hdr = Ieee80211 {
        fc0: 0x08,
        flags,
        duration: 44,
        addr1,
        addr2,
        addr3,
        seq_ctrl: (seq & 0x0FFF) << 4,
        addr4: None,
        qos: None,
        htc: None,
    };
    let llc = S::Llc {
        hdr: codec::llc::Llc::snap(EtherType::MVTP.0),
        inner: Box::new(inner),
    };
    S::Radiotap {
        // 6 Mbit/s OFDM on channel 6 (2437 MHz), -48 dBm, antenna 1, no FCS.
        hdr: Radiotap::basic(0x00, 12, 2437, 0x00c0, -48, 1),
        inner: Box::new(S::Ieee80211 {
            hdr,
            inner: Box::new(llc),
        }),
        fcs: vec![],
    }
}

/// A virtual link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Link {
    /// The access link of FA `i`.
    Access(usize),
    /// The core (internet): FAs' care-of addresses and the server.
    Core,
}

impl Link {
    /// Short name (`fa1`, `fa2`, …, `core`), used in file names and interface names.
    pub fn name(self) -> String {
        match self {
            Link::Access(i) => format!("fa{}", i + 1),
            Link::Core => "core".into(),
        }
    }
}

/// One frame of the run, in capture (send) order.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Send time, ms since the Unix epoch.
    pub at: u64,
    /// The link it crossed.
    pub link: Link,
    /// Sender.
    pub from: Node,
    /// The packet as the agent sent it.
    pub tx: Rx,
    /// The frame octets.
    pub octets: Vec<u8>,
}

impl Frame {
    /// The MVTP PDU it carries.
    pub fn msg(&self) -> Option<&Msg> {
        match &self.tx.packet {
            Packet::Mvtp(m) => Some(m),
            Packet::Esp { .. } => None,
        }
    }
}

/// 802 address of the router port facing the core, per node (realistic OUIs).
fn core_mac(n: Node) -> Mac {
    match n {
        Node::Fa(i) => [0x00, 0x1e, 0x49, 0x7a, 0x30, (i as u8).wrapping_add(1)],
        Node::Server(i) => [0x00, 0x50, 0x56, 0x9c, 0x40, (i as u8).wrapping_add(1)],
        Node::Client(i) => [0x00, 0x21, 0x6a, 0x4b, 0x50, (i as u8).wrapping_add(1)],
    }
}

/// Which link a packet of the trace crossed (`None`: sent by a client on no access link).
fn link_of(net: &Net, from: Node, to: Option<Node>, tx: &Rx) -> Option<Link> {
    match (tx.iface, from) {
        (Iface::Core, _) => Some(Link::Core),
        (Iface::Access, Node::Fa(f)) => Some(Link::Access(f)),
        (Iface::Access, _) => {
            // A client's packet is on the link of the FA that hears it; one nobody hears
            // was sent by a client on no access link (gone), and is on no capture.
            let _ = net;
            match to {
                Some(Node::Fa(f)) => Some(Link::Access(f)),
                _ => None,
            }
        }
    }
}

/// The octets of one packet on `link`.
fn encode(tx: &Rx, from: Node, link: Link, framing: &[Framing], seq: u16, bssid: Mac) -> Result<Vec<u8>, String> {
    let inner = match &tx.packet {
        Packet::Mvtp(m) => S::raw(agents::wire::encode(m).map_err(|e| e.to_string())?),
        Packet::Esp { datagram, .. } => S::raw(datagram.clone()),
    };
    let node = match (tx.addr, &tx.packet, link) {
        (Addr::Link { src, dst }, Packet::Mvtp(_), Link::Access(f)) => {
            match framing.get(f).copied().unwrap_or(Framing::Dix) {
                Framing::Dix => S::ethernet(dst, src, EtherType::MVTP, inner),
                Framing::Snap => S::ethernet_snap(dst, src, EtherType::MVTP, inner),
                Framing::Wlan => {
                    // The FA is the access point: a station sends To DS (address 1 = BSSID,
                    // address 3 = destination), the FA sends From DS.
                    let from_ap = matches!(from, Node::Fa(_));
                    return wlan(src, dst, from_ap, seq, bssid, inner)
                        .emit_fixed()
                        .map_err(|e| e.to_string());
                }
            }
        }
        (Addr::Link { src, dst }, Packet::Esp { .. }, _) => S::ethernet_snap(dst, src, EtherType::IPV4, inner),
        (Addr::Ip { src, dst }, Packet::Mvtp(_), _) => {
            let to = match from {
                Node::Server(_) => Node::Fa(0),
                _ => Node::Server(0),
            };
            let ip = S::ipv4(src.octets(), dst.octets(), IpProto::GRE, S::gre(EtherType::MVTP, inner));
            S::ethernet(core_mac(to), core_mac(from), EtherType::IPV4, ip)
        }
        (Addr::Ip { .. }, Packet::Esp { .. }, _) => {
            S::ethernet(core_mac(Node::Server(0)), core_mac(from), EtherType::IPV4, inner)
        }
        (Addr::Link { .. }, Packet::Mvtp(_), Link::Core) => return Err("link-layer PDU on the core".into()),
    };
    node.padded().emit_fixed().map_err(|e| e.to_string())
}

/// Every packet of the run as a frame of its link, in send order (a multicast sent to
/// several receivers is one frame).
pub fn render(net: &Net, framing: &[Framing]) -> Result<Vec<Frame>, String> {
    let mut out: Vec<Frame> = Vec::new();
    let mut last: Option<(u64, Node, bool, &Rx)> = None;
    let mut seq: std::collections::BTreeMap<Link, u16> = std::collections::BTreeMap::new();
    for s in &net.trace {
        if let Some((at, from, dup, tx)) = last {
            if at == s.at && from == s.from && dup == s.dup && tx == &s.tx {
                continue;
            }
        }
        last = Some((s.at, s.from, s.dup, &s.tx));
        let Some(link) = link_of(net, s.from, s.to, &s.tx) else {
            continue;
        };
        let n = seq.entry(link).or_insert(0);
        *n = n.wrapping_add(1);
        let bssid = match link {
            Link::Access(f) => net.fas.get(f).map_or([0; 6], |fa| fa.config().mac),
            Link::Core => [0; 6],
        };
        let octets = encode(&s.tx, s.from, link, framing, *n, bssid)?;
        out.push(Frame {
            at: s.at,
            link,
            from: s.from,
            tx: s.tx.clone(),
            octets,
        });
    }
    Ok(out)
}

/// An address as the `[u8; 4]` the codec uses.
pub fn v4(a: Ipv4Addr) -> [u8; 4] {
    a.octets()
}
