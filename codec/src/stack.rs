//! Whole stacks: a nested description of a frame (Ethernet / IPv4 / GRE / IPv4 / UDP /
//! payload …) that emits with correct lengths and, on request, correct checksums at every
//! level; and a whole-frame parse whose emit reproduces the frame octet for octet.
//!
//! Every level is one of this crate's owned headers; what this module does not model
//! (MVTP, L2TP, Mobile IP and ESP payloads, unknown protocols) is kept as octets:
//! [`Node::Raw`] for a payload, [`Node::Opaque`] for a header in front of a modelled inner
//! packet (e.g. an RFC 3519 tunnel data header before an inner IPv4 datagram). Lengths
//! (802.3 length, IPv4 Total Length, IPv6 Payload Length, UDP Length) are derived when
//! emitting; checksums are emitted as stored by [`Node::emit`] and recomputed by
//! [`Node::emit_fixed`]. Anything `parse` cannot represent exactly stays raw, so
//! `emit(parse(x)) == x` for every input.

use crate::checksum::PseudoHeader;
use crate::error::{DecodeError, EncodeError};
use crate::ethernet::{self, Ethernet, Mac, TypeLen};
use crate::gre::Gre;
use crate::ieee80211::Ieee80211;
use crate::ipv4::{Ipv4, Ipv4View};
use crate::ipv6::Ipv6;
use crate::llc::Llc;
use crate::numbers::{EtherType, IpProto, LinkType};
use crate::radiotap::{Radiotap, RadiotapView};
use crate::sll::Sll;
use crate::tcp::Tcp;
use crate::udp::Udp;
use crate::vlan::Vlan;

/// Deepest nesting `parse` follows (deeper levels stay raw).
pub const MAX_DEPTH: usize = 16;

/// One level of a stack and what it encloses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Node {
    /// Ethernet II / 802.3; `trailer` is the padding after the payload.
    Ethernet {
        /// Header (an 802.3 length is re-derived from `inner`).
        hdr: Ethernet,
        /// Payload.
        inner: Box<Node>,
        /// Padding / trailer octets.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        trailer: Vec<u8>,
    },
    /// 802.1Q/802.1ad tag (the TPID is the enclosing type field).
    Vlan {
        /// Tag.
        tag: Vlan,
        /// Payload.
        inner: Box<Node>,
    },
    /// IEEE 802.2 LLC (with SNAP).
    Llc {
        /// Header.
        hdr: Llc,
        /// Payload.
        inner: Box<Node>,
    },
    /// Radiotap header and the 802.11 frame; `fcs` the 4 trailing octets when Flags says so.
    Radiotap {
        /// Header.
        hdr: Radiotap,
        /// The 802.11 frame.
        inner: Box<Node>,
        /// FCS octets (empty when none).
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        fcs: Vec<u8>,
    },
    /// IEEE 802.11 header and body.
    Ieee80211 {
        /// Header.
        hdr: Ieee80211,
        /// Frame body.
        inner: Box<Node>,
    },
    /// Linux cooked header.
    Sll {
        /// Header.
        hdr: Sll,
        /// Payload.
        inner: Box<Node>,
    },
    /// IPv4 datagram (Total Length derived).
    Ipv4 {
        /// Header.
        hdr: Ipv4,
        /// Payload.
        inner: Box<Node>,
    },
    /// IPv6 packet (Payload Length derived).
    Ipv6 {
        /// Header and extension headers.
        hdr: Ipv6,
        /// Upper-layer payload.
        inner: Box<Node>,
    },
    /// UDP datagram (Length derived); `trailer` are IP payload octets after it.
    Udp {
        /// Header.
        hdr: Udp,
        /// Payload.
        inner: Box<Node>,
        /// Octets after the datagram in the IP payload.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        trailer: Vec<u8>,
    },
    /// TCP segment.
    Tcp {
        /// Header.
        hdr: Tcp,
        /// Segment data.
        inner: Box<Node>,
    },
    /// GRE packet.
    Gre {
        /// Header.
        hdr: Gre,
        /// Payload.
        inner: Box<Node>,
    },
    /// ESP (RFC 4303) built with [`crate::esp::encrypt`]: `inner` is the plaintext payload.
    /// Padding follows `pad_to` (`None`: the cipher's block); the IV is given, so the
    /// octets are reproducible. `parse` never yields this (ESP stays [`Node::Raw`]).
    Esp {
        /// The security association (cipher, keys, integrity).
        sa: Box<crate::esp::Sa>,
        /// SPI as sent (spec SEC-1: Local Endpoint ID << 16 | SA index).
        spi: u32,
        /// Sequence number.
        seq: u32,
        /// Next Header of the trailer.
        next_header: IpProto,
        /// IV, as long as the cipher needs.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        iv: Vec<u8>,
        /// Padding alignment.
        pad_to: Option<usize>,
        /// The plaintext payload.
        inner: Box<Node>,
    },
    /// A header this module does not model, in front of a modelled packet.
    Opaque {
        /// The header's octets.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        header: Vec<u8>,
        /// What follows it.
        inner: Box<Node>,
    },
    /// Octets kept as they are.
    Raw(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

/// A parsed frame: its link type and its stack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Frame {
    /// pcap link type.
    pub link: LinkType,
    /// The stack.
    pub root: Node,
}

impl Frame {
    /// The frame's octets, checksums as stored.
    pub fn emit(&self) -> Result<Vec<u8>, EncodeError> {
        self.root.emit()
    }
}

/// Parses a whole frame of link type `link` into nested owned headers. Never fails: what
/// cannot be represented exactly stays [`Node::Raw`].
pub fn parse(link: LinkType, bytes: &[u8]) -> Frame {
    let root = match link {
        LinkType::ETHERNET => parse_ethernet(bytes, 0),
        LinkType::IEEE802_11_RADIOTAP => parse_radiotap(bytes, 0),
        LinkType::IEEE802_11 => parse_80211(bytes, 0),
        LinkType::LINUX_SLL => parse_sll(bytes, false, 0),
        LinkType::LINUX_SLL2 => parse_sll(bytes, true, 0),
        LinkType::RAW => match bytes.first().map(|b| b >> 4) {
            Some(6) => whole(parse_ipv6(bytes, 0), bytes),
            _ => whole(parse_ipv4(bytes, 0), bytes),
        },
        LinkType::IPV4 => whole(parse_ipv4(bytes, 0), bytes),
        LinkType::IPV6 => whole(parse_ipv6(bytes, 0), bytes),
        _ => Node::Raw(bytes.to_vec()),
    };
    Frame { link, root }
}

fn raw(b: &[u8]) -> Node {
    Node::Raw(b.to_vec())
}

/// A node that must cover all of `b`; when the datagram is shorter (octets after it at
/// the top level or in a GRE/LLC payload) the whole is kept raw, losslessly.
fn whole(parsed: Option<(Node, usize)>, b: &[u8]) -> Node {
    match parsed {
        Some((n, used)) if used == b.len() => n,
        _ => raw(b),
    }
}

fn parse_ethernet(b: &[u8], depth: usize) -> Node {
    let Ok((hdr, n)) = Ethernet::parse(b) else { return raw(b) };
    let payload = b.get(n..).unwrap_or(&[]);
    let (inner, used) = match hdr.kind() {
        TypeLen::Type(t) => by_ether(t, payload, depth + 1),
        TypeLen::Len(len) if usize::from(len) <= payload.len() => {
            let l = payload.get(..usize::from(len)).unwrap_or(&[]);
            (parse_llc(l, depth + 1), l.len())
        }
        _ => (raw(payload), payload.len()),
    };
    Node::Ethernet {
        hdr,
        inner: Box::new(inner),
        trailer: payload.get(used..).unwrap_or(&[]).to_vec(),
    }
}

/// Parses an IP payload of protocol `p` (a decrypted ESP payload, an IP-in-IP datagram)
/// into a node covering all of `b`.
pub fn parse_ip_payload(p: IpProto, b: &[u8]) -> Node {
    by_ip(p, b, 1)
}

/// Parses by EtherType; returns the node and the octets it covers.
fn by_ether(t: EtherType, b: &[u8], depth: usize) -> (Node, usize) {
    if depth > MAX_DEPTH {
        return (raw(b), b.len());
    }
    let parsed = match t {
        EtherType::IPV4 => parse_ipv4(b, depth),
        EtherType::IPV6 => parse_ipv6(b, depth),
        EtherType::VLAN | EtherType::QINQ => parse_vlan(b, depth),
        EtherType::TEB => Some((parse_ethernet(b, depth), b.len())),
        _ => None,
    };
    parsed.unwrap_or_else(|| (raw(b), b.len()))
}

fn parse_vlan(b: &[u8], depth: usize) -> Option<(Node, usize)> {
    let (tag, n) = Vlan::parse(b).ok()?;
    let payload = b.get(n..)?;
    match TypeLen::from_raw(tag.type_len) {
        TypeLen::Type(t) => {
            let (inner, used) = by_ether(t, payload, depth + 1);
            Some((Node::Vlan { tag, inner: Box::new(inner) }, n + used))
        }
        TypeLen::Len(len) if usize::from(len) <= payload.len() => {
            let l = payload.get(..usize::from(len))?;
            Some((
                Node::Vlan {
                    tag,
                    inner: Box::new(parse_llc(l, depth + 1)),
                },
                n + l.len(),
            ))
        }
        _ => Some((
            Node::Vlan {
                tag,
                inner: Box::new(raw(payload)),
            },
            b.len(),
        )),
    }
}

fn parse_llc(b: &[u8], depth: usize) -> Node {
    let Ok((hdr, n)) = Llc::parse(b) else { return raw(b) };
    let payload = b.get(n..).unwrap_or(&[]);
    let inner = match hdr.snap {
        Some(s) if s.pid_is_ethertype() => whole(Some(by_ether(EtherType(s.pid), payload, depth + 1)), payload),
        _ => raw(payload),
    };
    Node::Llc { hdr, inner: Box::new(inner) }
}

fn parse_radiotap(b: &[u8], depth: usize) -> Node {
    let Ok(v) = RadiotapView::new(b) else { return raw(b) };
    let fcs_len = if v.has_fcs() { 4 } else { 0 };
    let Ok((hdr, n)) = Radiotap::parse(b) else { return raw(b) };
    let rest = b.get(n..).unwrap_or(&[]);
    if rest.len() < fcs_len {
        return raw(b);
    }
    let (frame, fcs) = rest.split_at(rest.len() - fcs_len);
    Node::Radiotap {
        hdr,
        inner: Box::new(parse_80211(frame, depth + 1)),
        fcs: fcs.to_vec(),
    }
}

fn parse_80211(b: &[u8], depth: usize) -> Node {
    let Ok((hdr, n)) = Ieee80211::parse(b) else { return raw(b) };
    let body = b.get(n..).unwrap_or(&[]);
    let plain = hdr.has_data() && hdr.flags & crate::ieee80211::FLAG_PROTECTED == 0 && hdr.frag() == 0;
    let inner = if plain { parse_llc(body, depth + 1) } else { raw(body) };
    Node::Ieee80211 { hdr, inner: Box::new(inner) }
}

fn parse_sll(b: &[u8], v2: bool, depth: usize) -> Node {
    let Ok((hdr, n)) = Sll::parse(b, v2) else { return raw(b) };
    let payload = b.get(n..).unwrap_or(&[]);
    let inner = if hdr.protocol >= EtherType::MIN_ETHERTYPE {
        whole(Some(by_ether(EtherType(hdr.protocol), payload, depth + 1)), payload)
    } else {
        raw(payload)
    };
    Node::Sll { hdr, inner: Box::new(inner) }
}

fn parse_ipv4(b: &[u8], depth: usize) -> Option<(Node, usize)> {
    let (hdr, v) = Ipv4::parse(b).ok()?;
    let total = usize::from(v.total_len());
    let payload = v.payload();
    let inner = if hdr.is_fragment() {
        raw(payload)
    } else {
        by_ip(hdr.protocol, payload, depth + 1)
    };
    // Re-emitting must give the same header (IHL, options) — it does when parse succeeded.
    Some((Node::Ipv4 { hdr, inner: Box::new(inner) }, total))
}

fn parse_ipv6(b: &[u8], depth: usize) -> Option<(Node, usize)> {
    let (hdr, upper, at) = Ipv6::parse(b).ok()?;
    let payload = b.get(at.clone())?;
    let frag = hdr.ext.iter().any(|e| e.fragment_fields().is_some_and(|(o, m, _)| o != 0 || m));
    let inner = if frag { raw(payload) } else { by_ip(upper, payload, depth + 1) };
    Some((Node::Ipv6 { hdr, inner: Box::new(inner) }, at.end))
}

/// Parses an IP payload by protocol; the node covers all of `b`.
fn by_ip(p: IpProto, b: &[u8], depth: usize) -> Node {
    if depth > MAX_DEPTH {
        return raw(b);
    }
    match p {
        IpProto::IPIP => whole(parse_ipv4(b, depth), b),
        IpProto::IPV6 => whole(parse_ipv6(b, depth), b),
        IpProto::UDP => match Udp::parse(b) {
            Ok((hdr, v)) => {
                let n = v.datagram().len();
                Node::Udp {
                    hdr,
                    inner: Box::new(raw(v.payload())),
                    trailer: b.get(n..).unwrap_or(&[]).to_vec(),
                }
            }
            Err(_) => raw(b),
        },
        IpProto::TCP => match Tcp::parse(b) {
            Ok((hdr, n)) => Node::Tcp {
                hdr,
                inner: Box::new(raw(b.get(n..).unwrap_or(&[]))),
            },
            Err(_) => raw(b),
        },
        IpProto::GRE => match Gre::parse(b) {
            Ok((hdr, n)) => {
                let payload = b.get(n..).unwrap_or(&[]);
                let inner = whole(Some(by_ether(hdr.proto, payload, depth + 1)), payload);
                Node::Gre { hdr, inner: Box::new(inner) }
            }
            Err(_) => raw(b),
        },
        _ => raw(b),
    }
}

impl Node {
    /// Octets, checksums as stored.
    pub fn emit(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.emit_into(&mut out, false, None)?;
        Ok(out)
    }

    /// Octets with every checksum recomputed (IPv4 header, UDP, TCP, GRE).
    pub fn emit_fixed(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.emit_into(&mut out, true, None)?;
        Ok(out)
    }

    fn inner_bytes(inner: &Node, fix: bool, ph: Option<PseudoHeader>) -> Result<Vec<u8>, EncodeError> {
        let mut b = Vec::new();
        inner.emit_into(&mut b, fix, ph)?;
        Ok(b)
    }

    fn emit_into(&self, out: &mut Vec<u8>, fix: bool, ph: Option<PseudoHeader>) -> Result<(), EncodeError> {
        match self {
            Node::Ethernet { hdr, inner, trailer } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                let mut h = hdr.clone();
                // The 802.3 length is derived for an LLC payload; raw octets keep the field
                // as given (a length that the frame does not honour stays as read).
                if let (TypeLen::Len(_), Node::Llc { .. }) = (hdr.kind(), inner.as_ref()) {
                    h.type_len = crate::emit::to_u16(body.len(), "eth.len")?;
                }
                h.emit(out)?;
                out.extend_from_slice(&body);
                out.extend_from_slice(trailer);
            }
            Node::Vlan { tag, inner } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                let mut t = tag.clone();
                if let (TypeLen::Len(_), Node::Llc { .. }) = (TypeLen::from_raw(tag.type_len), inner.as_ref()) {
                    t.type_len = crate::emit::to_u16(body.len(), "vlan.len")?;
                }
                t.emit(out)?;
                out.extend_from_slice(&body);
            }
            Node::Llc { hdr, inner } => {
                hdr.emit(out)?;
                inner.emit_into(out, fix, None)?;
            }
            Node::Radiotap { hdr, inner, fcs } => {
                hdr.emit(out)?;
                inner.emit_into(out, fix, None)?;
                out.extend_from_slice(fcs);
            }
            Node::Ieee80211 { hdr, inner } => {
                hdr.emit(out)?;
                inner.emit_into(out, fix, None)?;
            }
            Node::Sll { hdr, inner } => {
                hdr.emit(out)?;
                inner.emit_into(out, fix, None)?;
            }
            Node::Ipv4 { hdr, inner } => {
                let body = Self::inner_bytes(inner, fix, Some(hdr.pseudo_header()))?;
                let mut h = hdr.clone();
                if fix {
                    h.fix_up(body.len())?;
                }
                h.emit(out, body.len())?;
                out.extend_from_slice(&body);
            }
            Node::Ipv6 { hdr, inner } => {
                let body = Self::inner_bytes(inner, fix, Some(hdr.pseudo_header()))?;
                hdr.emit(out, body.len())?;
                out.extend_from_slice(&body);
            }
            Node::Udp { hdr, inner, trailer } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                let mut h = hdr.clone();
                if let (true, Some(ph)) = (fix, ph) {
                    h.fix_up(&ph, &body)?;
                }
                h.emit(out, body.len())?;
                out.extend_from_slice(&body);
                out.extend_from_slice(trailer);
            }
            Node::Tcp { hdr, inner } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                let mut h = hdr.clone();
                if let (true, Some(ph)) = (fix, ph) {
                    h.fix_up(&ph, &body)?;
                }
                h.emit(out)?;
                out.extend_from_slice(&body);
            }
            Node::Gre { hdr, inner } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                let mut h = hdr.clone();
                if fix {
                    h.fix_up(&body)?;
                }
                h.emit(out)?;
                out.extend_from_slice(&body);
            }
            Node::Esp {
                sa,
                spi,
                seq,
                next_header,
                iv,
                pad_to,
                inner,
            } => {
                let body = Self::inner_bytes(inner, fix, None)?;
                out.extend(crate::esp::encrypt(sa, *spi, *seq, next_header.0, &body, iv, *pad_to)?);
            }
            Node::Opaque { header, inner } => {
                out.extend_from_slice(header);
                inner.emit_into(out, fix, None)?;
            }
            Node::Raw(b) => out.extend_from_slice(b),
        }
        Ok(())
    }

    /// The EtherType that introduces this node (for the enclosing header).
    pub fn ether_type(&self) -> Option<EtherType> {
        match self {
            Node::Ipv4 { .. } => Some(EtherType::IPV4),
            Node::Ipv6 { .. } => Some(EtherType::IPV6),
            Node::Ethernet { .. } => Some(EtherType::TEB),
            _ => None,
        }
    }

    /// The IP protocol number that introduces this node.
    pub fn ip_proto(&self) -> Option<IpProto> {
        match self {
            Node::Ipv4 { .. } => Some(IpProto::IPIP),
            Node::Ipv6 { .. } => Some(IpProto::IPV6),
            Node::Udp { .. } => Some(IpProto::UDP),
            Node::Tcp { .. } => Some(IpProto::TCP),
            Node::Gre { .. } => Some(IpProto::GRE),
            Node::Esp { .. } => Some(IpProto::ESP),
            _ => None,
        }
    }

    /// Levels of modelled headers (Raw counts 0, Opaque counts as its inner).
    pub fn depth(&self) -> usize {
        match self {
            Node::Raw(_) => 0,
            Node::Opaque { inner, .. } => inner.depth(),
            Node::Ethernet { inner, .. }
            | Node::Vlan { inner, .. }
            | Node::Llc { inner, .. }
            | Node::Radiotap { inner, .. }
            | Node::Ieee80211 { inner, .. }
            | Node::Sll { inner, .. }
            | Node::Ipv4 { inner, .. }
            | Node::Ipv6 { inner, .. }
            | Node::Udp { inner, .. }
            | Node::Tcp { inner, .. }
            | Node::Gre { inner, .. }
            | Node::Esp { inner, .. } => 1 + inner.depth(),
        }
    }

    // Builders: each picks the enclosing type/protocol field from what it wraps.

    /// Ethernet II around `inner` (EtherType from `inner`, or `fallback`).
    pub fn ethernet(dst: Mac, src: Mac, fallback: EtherType, inner: Node) -> Node {
        let t = inner.ether_type().unwrap_or(fallback);
        Node::Ethernet {
            hdr: Ethernet { dst, src, type_len: t.0 },
            inner: Box::new(inner),
            trailer: vec![],
        }
    }

    /// IEEE 802.3 + LLC/SNAP (RFC 1042) around `inner`; the 802.3 length is derived.
    pub fn ethernet_snap(dst: Mac, src: Mac, ether_type: EtherType, inner: Node) -> Node {
        let llc = Node::Llc {
            hdr: Llc::snap(ether_type.0),
            inner: Box::new(inner),
        };
        Node::Ethernet {
            hdr: Ethernet { dst, src, type_len: 0 },
            inner: Box::new(llc),
            trailer: vec![],
        }
    }

    /// Pads an Ethernet frame to the 60-octet minimum (IEEE 802.3 §4.2.3.3).
    #[must_use]
    pub fn padded(self) -> Node {
        match self {
            Node::Ethernet { hdr, inner, mut trailer } => {
                let len = ethernet::HEADER_LEN + inner.emit().map_or(0, |b| b.len()) + trailer.len();
                if len < ethernet::MIN_FRAME_LEN {
                    trailer.resize(trailer.len() + ethernet::MIN_FRAME_LEN - len, 0);
                }
                Node::Ethernet { hdr, inner, trailer }
            }
            other => other,
        }
    }

    /// IPv4 around `inner` (protocol from `inner`, or `fallback`); DF, TTL 64.
    pub fn ipv4(src: [u8; 4], dst: [u8; 4], fallback: IpProto, inner: Node) -> Node {
        let p = inner.ip_proto().unwrap_or(fallback);
        Node::Ipv4 {
            hdr: Ipv4::new(src, dst, p),
            inner: Box::new(inner),
        }
    }

    /// UDP around `inner`.
    pub fn udp(src_port: u16, dst_port: u16, inner: Node) -> Node {
        Node::Udp {
            hdr: Udp {
                src_port,
                dst_port,
                checksum: 0,
            },
            inner: Box::new(inner),
            trailer: vec![],
        }
    }

    /// GRE around `inner` (protocol type from `inner`, or `fallback`, e.g. MVTP).
    pub fn gre(fallback: EtherType, inner: Node) -> Node {
        let t = inner.ether_type().unwrap_or(fallback);
        Node::Gre {
            hdr: Gre::new(t),
            inner: Box::new(inner),
        }
    }

    /// ESP around `inner` (Next Header from `inner`, or `fallback`), padded to the cipher's block.
    pub fn esp(sa: crate::esp::Sa, spi: u32, seq: u32, iv: Vec<u8>, fallback: IpProto, inner: Node) -> Node {
        let next_header = inner.ip_proto().unwrap_or(fallback);
        Node::Esp {
            sa: Box::new(sa),
            spi,
            seq,
            next_header,
            iv,
            pad_to: None,
            inner: Box::new(inner),
        }
    }

    /// Octets as a payload.
    pub fn raw(b: impl Into<Vec<u8>>) -> Node {
        Node::Raw(b.into())
    }
}

/// Parses a single IPv4 datagram's header checks only (for callers holding a view).
pub fn ipv4_total_len(b: &[u8]) -> Result<usize, DecodeError> {
    Ipv4View::new(b).map(|v| usize::from(v.total_len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec vector 28 (RFC 3519 MIP UDP tunnel, mode c with NAT traversal), built from its
    /// description: every length and checksum comes out as the independent implementation's.
    #[test]
    fn mip_7_build_stack_c_natt_matches_vector_28() {
        let want = hex::decode(
            "450000540e22400040115ab4c0a807190a010001c03a01b20040d15804040000450000340e2140004011c32b0a0105190a015052c3cd829c00208128636f2d6c6f63617465642c20626568696e642061206e6174",
        )
        .unwrap();
        let user = Node::ipv4(
            [10, 1, 5, 25],
            [10, 1, 80, 82],
            IpProto::UDP,
            Node::udp(50125, 33436, Node::raw(&b"co-located, behind a nat"[..])),
        );
        let mut user = user;
        if let Node::Ipv4 { hdr, .. } = &mut user {
            hdr.ident = 0x0e21;
        }
        let tunnel = Node::Opaque {
            header: vec![4, 4, 0, 0],
            inner: Box::new(user),
        };
        let mut outer = Node::ipv4([192, 168, 7, 25], [10, 1, 0, 1], IpProto::UDP, Node::udp(49210, 434, tunnel));
        if let Node::Ipv4 { hdr, .. } = &mut outer {
            hdr.ident = 0x0e22;
        }
        assert_eq!(hex::encode(outer.emit_fixed().unwrap()), hex::encode(&want));
        // And the parse of the octets re-encodes to them.
        let f = parse(LinkType::IPV4, &want);
        assert_eq!(f.emit().unwrap(), want);
        assert_eq!(f.root.emit_fixed().unwrap(), want);
    }

    #[test]
    fn ieee802_3_length_and_padding_are_derived() {
        let mvtp = Node::raw(vec![0x10, 0x02, 0x00, 0x08, 0, 0, 0, 0]);
        let f = Node::ethernet_snap(ethernet::MVTP_MULTICAST, [0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d], EtherType::MVTP, mvtp).padded();
        let b = f.emit().unwrap();
        assert_eq!(b.len(), 60);
        assert_eq!(&b[12..14], &[0, 16]); // 8 LLC/SNAP + 8 MVTP
        let p = parse(LinkType::ETHERNET, &b);
        assert_eq!(p.root.depth(), 2);
        assert_eq!(p.emit().unwrap(), b);
    }

    #[test]
    fn garbage_and_prefixes_round_trip() {
        let b = hex::decode("00005e00010a001e497a100108004500006d1c414000402fb7d3c6336414cb007105000088b5100400550005").unwrap();
        for n in 0..=b.len() {
            for link in [
                LinkType::ETHERNET,
                LinkType::IPV4,
                LinkType::RAW,
                LinkType::IEEE802_11_RADIOTAP,
                LinkType::LINUX_SLL,
            ] {
                assert_eq!(parse(link, &b[..n]).emit().unwrap(), b[..n], "{link:?} prefix {n}");
            }
        }
    }
}
