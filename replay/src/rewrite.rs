//! Rewriting one frame: apply [`Rules`] at every depth, then re-emit with the lengths
//! derived and the checksums that were valid before recomputed.

use crate::rules::Rules;
use codec::checksum::PseudoHeader;
use codec::ethernet::TypeLen;
use codec::numbers::{IpProto, LinkType};
use codec::stack::{self, Node};
use codec::EncodeError;
use std::collections::BTreeMap;

/// UDP port of Mobile IP (RFC 5944 / RFC 3519 tunnel data messages).
const MIP_PORT: u16 = 434;
/// RFC 3519 §3.3: type of the tunnel data message.
const MIP_TUNNEL_DATA: u8 = 4;
/// RFC 3519 §3.3: length of the tunnel data header.
const MIP_TUNNEL_HEADER_LEN: usize = 4;

/// What became of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// At least one field changed and every requested rewrite that applied was done.
    Rewritten,
    /// No rule matched (the octets are written as read).
    Unchanged,
    /// A rule could not be applied (the frame is written with what could be done).
    NotRewritten(&'static str),
}

/// Counts of frames by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames with at least one rewritten field.
    pub rewritten: u64,
    /// Frames no rule touched.
    pub unchanged: u64,
    /// Frames with a rewrite that could not be applied, by reason.
    pub not_rewritten: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Rewritten => self.rewritten += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::NotRewritten(r) => *self.not_rewritten.entry(r).or_default() += 1,
        }
    }

    /// True when some requested rewrite could not be applied.
    pub fn any_failed(&self) -> bool {
        self.not_rewritten.values().any(|&n| n > 0)
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rewritten: {}\nunchanged: {}",
            self.rewritten, self.unchanged
        )?;
        for (r, n) in &self.not_rewritten {
            write!(f, "\nnot rewritten ({r}): {n}")?;
        }
        Ok(())
    }
}

/// What the walk found.
#[derive(Default)]
struct Walk {
    changed: usize,
    failure: Option<&'static str>,
}

/// Rewrites one frame of link type `link`. `fix_checksums` recomputes every checksum,
/// also those that were wrong before; otherwise a wrong checksum stays as it was.
/// Returns the new octets (the input octets when nothing changed) and the outcome.
pub fn rewrite_frame(
    link: LinkType,
    data: &[u8],
    rules: &Rules,
    fix_checksums: bool,
) -> (Vec<u8>, Outcome) {
    let mut frame = stack::parse(link, data);
    expand_udp_tunnels(&mut frame.root);
    // Whether each checksum verified before the rewrite, in traversal order.
    let mut before = Fix::check();
    if emit(&frame.root, &mut Vec::new(), None, &mut before).is_err() {
        return (data.to_vec(), Outcome::NotRewritten("cannot re-encode"));
    }
    let mut w = Walk::default();
    rewrite(&mut frame.root, rules, &mut w);
    if w.changed == 0 && !fix_checksums {
        let o = w.failure.map_or(Outcome::Unchanged, Outcome::NotRewritten);
        return (data.to_vec(), o);
    }
    let mut apply = Fix::apply(before.marks, fix_checksums);
    let mut out = Vec::with_capacity(data.len());
    if emit(&frame.root, &mut out, None, &mut apply).is_err() {
        return (data.to_vec(), Outcome::NotRewritten("cannot re-encode"));
    }
    let o = match (w.failure, w.changed) {
        (Some(r), _) => Outcome::NotRewritten(r),
        (None, 0) if out == data => Outcome::Unchanged,
        _ => Outcome::Rewritten,
    };
    (out, o)
}

/// Parses RFC 3519 tunnel data messages (UDP 434, type 4, next header IPv4) so that the
/// inner datagram is rewritten too; kept raw unless it re-encodes octet for octet.
fn expand_udp_tunnels(n: &mut Node) {
    if let Node::Udp { hdr, inner, .. } = n {
        if hdr.src_port == MIP_PORT || hdr.dst_port == MIP_PORT {
            if let Node::Raw(b) = inner.as_ref() {
                if b.len() > MIP_TUNNEL_HEADER_LEN
                    && b.first() == Some(&MIP_TUNNEL_DATA)
                    && b.get(1) == Some(&4)
                {
                    let (h, rest) = b.split_at(MIP_TUNNEL_HEADER_LEN);
                    let node = stack::parse_ip_payload(IpProto::IPIP, rest);
                    if !matches!(node, Node::Raw(_)) && node.emit().ok().as_deref() == Some(rest) {
                        **inner = Node::Opaque {
                            header: h.to_vec(),
                            inner: Box::new(node),
                        };
                    }
                }
            }
        }
    }
    if let Some(i) = child_mut(n) {
        expand_udp_tunnels(i);
    }
}

fn child_mut(n: &mut Node) -> Option<&mut Node> {
    match n {
        Node::Raw(_) => None,
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
        | Node::Esp { inner, .. }
        | Node::Opaque { inner, .. } => Some(inner),
    }
}

fn set<T: PartialEq + Copy>(field: &mut T, map: impl FnOnce(T) -> Option<T>, w: &mut Walk) {
    if let Some(v) = map(*field) {
        if *field != v {
            *field = v;
            w.changed += 1;
        }
    }
}

fn rewrite(n: &mut Node, r: &Rules, w: &mut Walk) {
    match n {
        Node::Ethernet { hdr, .. } => {
            set(&mut hdr.dst, |v| r.map_mac(v), w);
            set(&mut hdr.src, |v| r.map_mac(v), w);
        }
        Node::Ipv4 { hdr, inner } => {
            set(&mut hdr.src, |v| r.map_ipv4(v), w);
            set(&mut hdr.dst, |v| r.map_ipv4(v), w);
            if hdr.protocol == IpProto::ESP {
                if let Node::Raw(b) = inner.as_mut() {
                    esp(b, r, w);
                }
            }
        }
        Node::Udp { hdr, .. } => {
            set(&mut hdr.src_port, |v| r.map_port(v), w);
            set(&mut hdr.dst_port, |v| r.map_port(v), w);
        }
        Node::Tcp { hdr, .. } => {
            set(&mut hdr.src_port, |v| r.map_port(v), w);
            set(&mut hdr.dst_port, |v| r.map_port(v), w);
        }
        Node::Gre { hdr, .. } => {
            if let Some(k) = hdr.key {
                set(&mut hdr.key, |_| r.map_gre_key(k).map(Some), w);
            }
        }
        _ => {}
    }
    if let Some(i) = child_mut(n) {
        rewrite(i, r, w);
    }
}

/// ESP stays encrypted: an SPI rule would invalidate the ICV and address rules cannot
/// reach inside, so both are reported rather than applied.
fn esp(b: &[u8], r: &Rules, w: &mut Walk) {
    let spi = b
        .get(..4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes);
    if spi
        .and_then(|s| r.map_spi(s))
        .is_some_and(|n| Some(n) != spi)
    {
        w.failure = Some("esp spi: integrity check value needs the SA");
    } else if !r.ipv4.is_empty() || !r.port.is_empty() {
        w.failure = Some("encrypted");
    }
}

/// Checksum state of one header before the rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Valid,
    Bad,
    /// UDP checksum 0 or no GRE checksum: nothing to compute.
    Absent,
}

struct Fix {
    check: bool,
    marks: Vec<Mark>,
    pos: usize,
    fix_all: bool,
}

impl Fix {
    fn check() -> Fix {
        Fix {
            check: true,
            marks: Vec::new(),
            pos: 0,
            fix_all: false,
        }
    }

    fn apply(marks: Vec<Mark>, fix_all: bool) -> Fix {
        Fix {
            check: false,
            marks,
            pos: 0,
            fix_all,
        }
    }

    /// In check mode records whether `stored == computed`; in apply mode tells whether
    /// to use the computed value.
    fn decide(
        &mut self,
        stored_ok: impl FnOnce() -> Result<Mark, EncodeError>,
    ) -> Result<bool, EncodeError> {
        if self.check {
            let m = stored_ok()?;
            self.marks.push(m);
            return Ok(false);
        }
        let m = self.marks.get(self.pos).copied().unwrap_or(Mark::Bad);
        self.pos += 1;
        Ok(match m {
            Mark::Absent => false,
            Mark::Valid => true,
            Mark::Bad => self.fix_all,
        })
    }
}

fn emit_inner(n: &Node, ph: Option<PseudoHeader>, f: &mut Fix) -> Result<Vec<u8>, EncodeError> {
    let mut b = Vec::new();
    emit(n, &mut b, ph, f)?;
    Ok(b)
}

/// Mirrors [`Node::emit`], recomputing a checksum where `f` says so.
fn emit(
    n: &Node,
    out: &mut Vec<u8>,
    ph: Option<PseudoHeader>,
    f: &mut Fix,
) -> Result<(), EncodeError> {
    match n {
        Node::Ethernet {
            hdr,
            inner,
            trailer,
        } => {
            let body = emit_inner(inner, None, f)?;
            let mut h = hdr.clone();
            if let (TypeLen::Len(_), Node::Llc { .. }) = (hdr.kind(), inner.as_ref()) {
                h.type_len = codec::emit::to_u16(body.len(), "eth.len")?;
            }
            h.emit(out)?;
            out.extend_from_slice(&body);
            out.extend_from_slice(trailer);
        }
        Node::Vlan { tag, inner } => {
            let body = emit_inner(inner, None, f)?;
            let mut t = tag.clone();
            if let (TypeLen::Len(_), Node::Llc { .. }) =
                (TypeLen::from_raw(tag.type_len), inner.as_ref())
            {
                t.type_len = codec::emit::to_u16(body.len(), "vlan.len")?;
            }
            t.emit(out)?;
            out.extend_from_slice(&body);
        }
        Node::Llc { hdr, inner } => {
            hdr.emit(out)?;
            emit(inner, out, None, f)?;
        }
        Node::Radiotap { hdr, inner, fcs } => {
            hdr.emit(out)?;
            emit(inner, out, None, f)?;
            out.extend_from_slice(fcs);
        }
        Node::Ieee80211 { hdr, inner } => {
            hdr.emit(out)?;
            emit(inner, out, None, f)?;
        }
        Node::Sll { hdr, inner } => {
            hdr.emit(out)?;
            emit(inner, out, None, f)?;
        }
        Node::Ipv4 { hdr, inner } => {
            let body = emit_inner(inner, Some(hdr.pseudo_header()), f)?;
            let mut h = hdr.clone();
            h.fix_up(body.len())?;
            if f.decide(|| {
                Ok(if h.checksum == hdr.checksum {
                    Mark::Valid
                } else {
                    Mark::Bad
                })
            })? {
                h.emit(out, body.len())?;
            } else {
                hdr.emit(out, body.len())?;
            }
            out.extend_from_slice(&body);
        }
        Node::Ipv6 { hdr, inner } => {
            let body = emit_inner(inner, Some(hdr.pseudo_header()), f)?;
            hdr.emit(out, body.len())?;
            out.extend_from_slice(&body);
        }
        Node::Udp {
            hdr,
            inner,
            trailer,
        } => {
            let body = emit_inner(inner, None, f)?;
            let mut h = hdr.clone();
            let m = match ph {
                Some(p) if hdr.checksum != 0 => {
                    h.fix_up(&p, &body)?;
                    if h.checksum == hdr.checksum {
                        Mark::Valid
                    } else {
                        Mark::Bad
                    }
                }
                _ => Mark::Absent,
            };
            if !f.decide(|| Ok(m))? {
                h = hdr.clone();
            }
            h.emit(out, body.len())?;
            out.extend_from_slice(&body);
            out.extend_from_slice(trailer);
        }
        Node::Tcp { hdr, inner } => {
            let body = emit_inner(inner, None, f)?;
            let mut h = hdr.clone();
            if let Some(p) = ph {
                h.fix_up(&p, &body)?;
            }
            let valid = ph.is_some() && h.checksum == hdr.checksum;
            let m = if ph.is_none() {
                Mark::Absent
            } else if valid {
                Mark::Valid
            } else {
                Mark::Bad
            };
            if f.decide(|| Ok(m))? {
                h.emit(out)?;
            } else {
                hdr.emit(out)?;
            }
            out.extend_from_slice(&body);
        }
        Node::Gre { hdr, inner } => {
            let body = emit_inner(inner, None, f)?;
            let mut h = hdr.clone();
            h.fix_up(&body)?;
            let m = match hdr.checksum {
                None => Mark::Absent,
                Some(c) if Some(c) == h.checksum => Mark::Valid,
                Some(_) => Mark::Bad,
            };
            if f.decide(|| Ok(m))? {
                h.emit(out)?;
            } else {
                hdr.emit(out)?;
            }
            out.extend_from_slice(&body);
        }
        Node::Esp { .. } => out.extend(n.emit()?),
        Node::Opaque { header, inner } => {
            out.extend_from_slice(header);
            emit(inner, out, None, f)?;
        }
        Node::Raw(b) => out.extend_from_slice(b),
    }
    Ok(())
}

/// Counts the IPv4 header, UDP, TCP and GRE checksums of a frame that verify and those
/// that do not (absent ones are not counted): `(valid, bad)`.
pub fn checksum_counts(link: LinkType, data: &[u8]) -> (usize, usize) {
    let mut frame = stack::parse(link, data);
    expand_udp_tunnels(&mut frame.root);
    let mut f = Fix::check();
    if emit(&frame.root, &mut Vec::new(), None, &mut f).is_err() {
        return (0, 0);
    }
    let valid = f.marks.iter().filter(|m| **m == Mark::Valid).count();
    let bad = f.marks.iter().filter(|m| **m == Mark::Bad).count();
    (valid, bad)
}

/// The IPv4 source and destination addresses of a frame at every depth, outermost first
/// (RFC 3519 UDP tunnels included).
pub fn ipv4_addresses(link: LinkType, data: &[u8]) -> Vec<[u8; 4]> {
    let mut frame = stack::parse(link, data);
    expand_udp_tunnels(&mut frame.root);
    let mut v = Vec::new();
    let mut n = Some(&mut frame.root);
    while let Some(node) = n {
        if let Node::Ipv4 { hdr, .. } = node {
            v.push(hdr.src);
            v.push(hdr.dst);
        }
        n = child_mut(node);
    }
    v
}
