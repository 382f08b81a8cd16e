//! Rewriting one frame: apply [`Rules`] at every depth, then re-emit with the lengths
//! derived and the checksums that were valid before recomputed.

use crate::payload::{self, Kind, PayloadCx};
use crate::rules::Rules;
use codec::auth::KeyStore;
use codec::checksum::PseudoHeader;
use codec::esp::EspView;
use codec::ethernet::TypeLen;
use codec::numbers::{EtherType, IpProto, LinkType};
use codec::stack::{self, Node};
use codec::EncodeError;
use std::collections::BTreeMap;

/// UDP port of Mobile IP (RFC 5944 / RFC 3519 tunnel data messages).
const MIP_PORT: u16 = 434;
/// RFC 3519 §3.3: type of the tunnel data message.
const MIP_TUNNEL_DATA: u8 = 4;
/// RFC 3519 §3.3: length of the tunnel data header.
const MIP_TUNNEL_HEADER_LEN: usize = 4;
/// UDP port of L2TP (RFC 2661 §8.1).
const L2TP_PORT: u16 = 1701;
/// UDP port of ESP in UDP (RFC 3948 §2).
const NAT_T_PORT: u16 = 4500;

/// What became of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// At least one field changed and every requested rewrite that applied was done.
    Rewritten,
    /// No rule matched (the octets are written as read).
    Unchanged,
    /// A rule could not be applied (the frame is written with what could be done).
    NotRewritten(&'static str),
    /// The frame cannot be carried as asked (link type, size): nothing is written.
    Dropped(&'static str),
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
    /// Frames not written or sent, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Rewritten => self.rewritten += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::NotRewritten(r) => *self.not_rewritten.entry(r).or_default() += 1,
            Outcome::Dropped(r) => *self.dropped.entry(r).or_default() += 1,
        }
    }

    /// True when some requested rewrite could not be applied or a frame was dropped.
    pub fn any_failed(&self) -> bool {
        self.not_rewritten
            .values()
            .chain(self.dropped.values())
            .any(|&n| n > 0)
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
        for (r, n) in &self.dropped {
            write!(f, "\ndropped ({r}): {n}")?;
        }
        Ok(())
    }
}

/// What the walk found.
#[derive(Default)]
struct Walk {
    changed: usize,
    failure: Option<&'static str>,
    /// Addresses and ports of the innermost IPv4/UDP seen so far, as read (L2TP flows).
    addrs: ([u8; 4], [u8; 4]),
    /// Output SAs of the expanded ESP packets, in traversal order.
    esp_swaps: std::collections::VecDeque<EspSwap>,
}

/// How a frame is rewritten besides the address/port/key maps of [`Rules`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Recompute every checksum (and re-sign every authenticator) even when it was wrong
    /// in the input.
    pub fix_checksums: bool,
    /// Re-sign MVTP and Mobile IPv4 authenticators with [`Config::new_keys`].
    pub resign: bool,
    /// Shift MVTP/MIP Identification timestamps so the first one reads this Unix time.
    pub refresh_ident: Option<u64>,
    /// Convert 802.11 (radiotap) data frames, raw IP and Linux cooked frames to Ethernet II.
    pub to_ethernet: bool,
    /// Ethernet addresses (destination, source) for frames that have none (raw IP;
    /// cooked frames keep their link-layer source): default 02:00:00:00:00:02 and :01.
    pub enet: Option<([u8; 6], [u8; 6])>,
    /// Renumber per loop pass (ESP sequence, MVTP/MIP Identification, L2TP Ns/Nr).
    pub renumber: bool,
    /// Keys of the input: ESP SAs to decrypt with, MVTP/MIP keys the authenticators
    /// verified with.
    pub keys: Option<dissector::keys::Keys>,
    /// Keys to sign and encrypt the output with (default: [`Config::keys`]).
    pub new_keys: Option<dissector::keys::Keys>,
    /// Largest IP packet (octets after the link header); larger frames are refused or,
    /// with [`Config::fragment`], IPv4 is fragmented.
    pub mtu: Option<usize>,
    /// Fragment IPv4 packets larger than [`Config::mtu`] (DF clear) instead of refusing.
    pub fragment: bool,
}

/// One input frame rewritten: the frames to write or send (none when dropped, several
/// when fragmented), their link type, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Link type of the frames.
    pub link: LinkType,
    /// The frames.
    pub frames: Vec<Vec<u8>>,
    /// Outcome.
    pub outcome: Outcome,
    /// Detail for a dropped frame (e.g. its size).
    pub note: Option<String>,
}

/// An L2TP flow: source and destination address and port, control (T bit) or data.
type L2tpFlow = ([u8; 4], [u8; 4], u16, u16, bool);

/// What a pre-pass over the capture learned, for per-loop renumbering.
#[derive(Debug, Clone, Default)]
struct Learned {
    ident_min: Option<u64>,
    ident_max: Option<u64>,
    esp_seq_max: BTreeMap<u32, u32>,
    l2tp_count: BTreeMap<L2tpFlow, u16>,
}

/// Rewrites frames one after the other, keeping what must stay consistent across frames
/// (the Identification shift, per-loop counters).
#[derive(Debug, Clone)]
pub struct Rewriter {
    rules: Rules,
    cfg: Config,
    /// Seconds added to Identification timestamps (fixed by the first one seen).
    ident_shift: Option<i64>,
    learned: Learned,
    empty: KeyStore,
}

/// Per-frame context of the walk.
struct Cx<'a> {
    rules: &'a Rules,
    cfg: &'a Config,
    pass: u32,
    shift: Option<i64>,
    learned: &'a Learned,
    read_mvtp: Option<&'a KeyStore>,
    read_mip: Option<&'a KeyStore>,
    write_mvtp: &'a KeyStore,
    write_mip: &'a KeyStore,
    l2tp_old: Option<&'a [u8]>,
    l2tp_new: Option<&'a [u8]>,
}

impl Rewriter {
    /// A rewriter with these rules and options.
    pub fn new(rules: Rules, cfg: Config) -> Rewriter {
        Rewriter {
            rules,
            cfg,
            ident_shift: None,
            learned: Learned::default(),
            empty: KeyStore::default(),
        }
    }

    /// The rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Pre-pass for `--loop` renumbering: call once per input frame before rewriting
    /// pass 1 and later. Learns the span of Identification timestamps, the highest ESP
    /// sequence number per SPI and the number of L2TP messages with Ns per flow.
    pub fn learn(&mut self, link: LinkType, data: &[u8]) {
        let mut frame = stack::parse(link, data);
        expand_udp_tunnels(&mut frame.root);
        let l = &mut self.learned;
        let mut addrs = ([0u8; 4], [0u8; 4]);
        let mut n = Some(&frame.root);
        let mut ether: Option<EtherType> = None;
        while let Some(node) = n {
            match node {
                Node::Ipv4 { hdr, inner } => {
                    addrs = (hdr.src, hdr.dst);
                    if let (IpProto::ESP, Node::Raw(b)) = (hdr.protocol, inner.as_ref()) {
                        if let Ok(v) = EspView::new(b) {
                            let e = l.esp_seq_max.entry(v.spi()).or_default();
                            *e = (*e).max(v.seq());
                        }
                    }
                }
                Node::Udp { hdr, inner, .. } => {
                    if let Node::Raw(b) = inner.as_ref() {
                        if is_port(hdr, L2TP_PORT) {
                            if let Some((_, control)) = payload::l2tp_ns_at(b) {
                                let k = (addrs.0, addrs.1, hdr.src_port, hdr.dst_port, control);
                                let c = l.l2tp_count.entry(k).or_default();
                                *c = c.wrapping_add(1);
                            }
                        } else if is_port(hdr, MIP_PORT) {
                            note_ident(l, payload::ident_of(b, Kind::Mip));
                        }
                    }
                }
                Node::Raw(b) if ether == Some(EtherType::MVTP) => {
                    note_ident(l, payload::ident_of(b, Kind::Mvtp));
                }
                _ => {}
            }
            ether = ether_of(node);
            n = child(node);
        }
    }

    /// Rewrites one frame of link type `link`; `pass` is the loop pass (0 for the first;
    /// later passes renumber when [`Config::renumber`] is set).
    pub fn frame(&mut self, link: LinkType, data: &[u8], pass: u32) -> Output {
        let unchanged = |o: Outcome| Output {
            link,
            frames: vec![data.to_vec()],
            outcome: o,
            note: None,
        };
        let mut frame = stack::parse(link, data);
        expand_udp_tunnels(&mut frame.root);
        let mut w = Walk::default();
        if self.cfg.refresh_ident.is_some() && self.ident_shift.is_none() {
            self.ident_shift = first_ident(&frame.root).and_then(|u| {
                let start = self.cfg.refresh_ident?;
                Some(i64::try_from(start).ok()? - i64::try_from(u).ok()?)
            });
        }
        let mut shift = self.ident_shift;
        if self.cfg.renumber && pass > 0 {
            if let (Some(a), Some(b)) = (self.learned.ident_min, self.learned.ident_max) {
                let span = i64::try_from(b.saturating_sub(a)).unwrap_or(0) + 1;
                shift = Some(shift.unwrap_or(0) + span * i64::from(pass));
            }
        }
        let read = self.cfg.keys.as_ref();
        let write = self.cfg.new_keys.as_ref().or(read);
        let cx = Cx {
            rules: &self.rules,
            cfg: &self.cfg,
            pass,
            shift,
            learned: &self.learned,
            read_mvtp: read.map(|k| &k.mvtp),
            read_mip: read.map(|k| &k.mip),
            write_mvtp: write.map_or(&self.empty, |k| &k.mvtp),
            write_mip: write.map_or(&self.empty, |k| &k.mip),
            l2tp_old: read.and_then(|k| k.l2tp_secret.as_deref()),
            l2tp_new: write.and_then(|k| k.l2tp_secret.as_deref()),
        };
        expand_esp(&mut frame.root, &cx, &mut w);
        let mut out_link = link;
        let mut converted = false;
        if self.cfg.to_ethernet
            && matches!(
                link,
                LinkType::IEEE802_11_RADIOTAP
                    | LinkType::IEEE802_11
                    | LinkType::RAW
                    | LinkType::IPV4
                    | LinkType::IPV6
                    | LinkType::LINUX_SLL
                    | LinkType::LINUX_SLL2
            )
        {
            let root = std::mem::replace(&mut frame.root, Node::Raw(Vec::new()));
            match to_ethernet(root, self.cfg.enet.unwrap_or(DEFAULT_ENET)) {
                Ok(n) => {
                    frame.root = n;
                    out_link = LinkType::ETHERNET;
                    converted = true;
                }
                Err(reason) => {
                    return Output {
                        link,
                        frames: Vec::new(),
                        outcome: Outcome::Dropped(reason),
                        note: None,
                    }
                }
            }
        }
        // Whether each checksum verified before the rewrite, in traversal order.
        let mut before = Fix::check();
        if emit(&frame.root, &mut Vec::new(), None, &mut before).is_err() {
            return unchanged(Outcome::NotRewritten("cannot re-encode"));
        }
        rewrite(&mut frame.root, &cx, &mut w, None);
        let out = if w.changed == 0 && !self.cfg.fix_checksums && !converted {
            data.to_vec()
        } else {
            let mut apply = Fix::apply(before.marks, self.cfg.fix_checksums);
            let mut out = Vec::with_capacity(data.len());
            if emit(&frame.root, &mut out, None, &mut apply).is_err() {
                return unchanged(Outcome::NotRewritten("cannot re-encode"));
            }
            out
        };
        let outcome = match (w.failure, w.changed) {
            (Some(r), _) => Outcome::NotRewritten(r),
            _ if out == data => Outcome::Unchanged,
            _ => Outcome::Rewritten,
        };
        let mut o = Output {
            link: out_link,
            frames: vec![out],
            outcome,
            note: None,
        };
        if let Some(mtu) = self.cfg.mtu {
            crate::link::enforce_mtu(&mut o, mtu, self.cfg.fragment);
        }
        o
    }
}

fn note_ident(l: &mut Learned, ident: Option<u64>) {
    if let Some(u) = ident.and_then(payload::ident_unix) {
        l.ident_min = Some(l.ident_min.map_or(u, |m| m.min(u)));
        l.ident_max = Some(l.ident_max.map_or(u, |m| m.max(u)));
    }
}

/// Unix seconds of the first Identification timestamp in a frame.
fn first_ident(root: &Node) -> Option<u64> {
    let mut n = Some(root);
    let mut ether = None;
    while let Some(node) = n {
        let found = match node {
            Node::Udp { hdr, inner, .. } if is_port(hdr, MIP_PORT) => match inner.as_ref() {
                Node::Raw(b) => payload::ident_of(b, Kind::Mip),
                _ => None,
            },
            Node::Raw(b) if ether == Some(EtherType::MVTP) => payload::ident_of(b, Kind::Mvtp),
            _ => None,
        };
        if let Some(u) = found.and_then(payload::ident_unix) {
            return Some(u);
        }
        ether = ether_of(node);
        n = child(node);
    }
    None
}

fn is_port(h: &codec::udp::Udp, p: u16) -> bool {
    h.src_port == p || h.dst_port == p
}

/// The EtherType a node announces for its payload.
fn ether_of(n: &Node) -> Option<EtherType> {
    match n {
        Node::Ethernet { hdr, .. } => match hdr.kind() {
            TypeLen::Type(t) => Some(t),
            _ => None,
        },
        Node::Vlan { tag, .. } => match TypeLen::from_raw(tag.type_len) {
            TypeLen::Type(t) => Some(t),
            _ => None,
        },
        Node::Llc { hdr, .. } => hdr
            .snap
            .filter(|s| s.pid_is_ethertype())
            .map(|s| EtherType(s.pid)),
        Node::Sll { hdr, .. } => Some(EtherType(hdr.protocol)),
        Node::Gre { hdr, .. } => Some(hdr.proto),
        _ => None,
    }
}

/// 802.11 data frame (behind radiotap or bare) → Ethernet II with the same payload:
/// destination and source from the DA/SA the To DS / From DS bits name (IEEE 802.11
/// §9.3.2.1), EtherType from the LLC/SNAP header (RFC 1042). Anything else has no
/// Ethernet equivalent and is refused with the reason.
fn to_ethernet(n: Node, enet: ([u8; 6], [u8; 6])) -> Result<Node, &'static str> {
    let eth = |dst, src, t: EtherType, inner: Node| Node::Ethernet {
        hdr: codec::ethernet::Ethernet {
            dst,
            src,
            type_len: t.0,
        },
        inner: Box::new(inner),
        trailer: Vec::new(),
    };
    match n {
        Node::Radiotap { inner, .. } => to_ethernet(*inner, enet),
        // Raw IP (LINKTYPE_RAW/IPV4/IPV6): the given addresses.
        n @ Node::Ipv4 { .. } => Ok(eth(enet.0, enet.1, EtherType::IPV4, n)),
        n @ Node::Ipv6 { .. } => Ok(eth(enet.0, enet.1, EtherType::IPV6, n)),
        Node::Raw(b) => match b.first().map(|v| v >> 4) {
            Some(4) => Ok(eth(enet.0, enet.1, EtherType::IPV4, Node::Raw(b))),
            Some(6) => Ok(eth(enet.0, enet.1, EtherType::IPV6, Node::Raw(b))),
            _ => Err("neither IP nor 802.11: cannot convert to Ethernet"),
        },
        // Linux cooked: the EtherType it names, its 6-octet link-layer source when it has one.
        Node::Sll { hdr, inner } => {
            if hdr.protocol < EtherType::MIN_ETHERTYPE {
                return Err("cooked frame without an EtherType: cannot convert to Ethernet");
            }
            let src = match (hdr.halen, hdr.addr) {
                (6, a) => [a[0], a[1], a[2], a[3], a[4], a[5]],
                _ => enet.1,
            };
            Ok(eth(enet.0, src, EtherType(hdr.protocol), *inner))
        }
        Node::Ieee80211 { hdr, inner } => {
            if !hdr.has_data() {
                return Err("802.11 frame without data (management, control or null): no Ethernet equivalent");
            }
            if hdr.flags & codec::ieee80211::FLAG_PROTECTED != 0 {
                return Err("protected (encrypted) 802.11 frame: cannot convert to Ethernet");
            }
            if hdr.frag() != 0 || hdr.flags & codec::ieee80211::FLAG_MOREFRAG != 0 {
                return Err("fragmented 802.11 frame: cannot convert to Ethernet");
            }
            let roles = hdr.roles();
            let (Some(da), Some(sa)) = (roles.da, roles.sa) else {
                return Err("802.11 frame without source or destination address");
            };
            match *inner {
                Node::Llc { hdr: llc, inner } => match llc.snap {
                    Some(s) if s.pid_is_ethertype() => Ok(Node::Ethernet {
                        hdr: codec::ethernet::Ethernet {
                            dst: da,
                            src: sa,
                            type_len: s.pid,
                        },
                        inner,
                        trailer: Vec::new(),
                    }),
                    _ => Err("802.11 frame whose LLC header carries no EtherType"),
                },
                _ => Err("802.11 frame without an LLC/SNAP header"),
            }
        }
        _ => Err("not an 802.11 frame"),
    }
}

/// Ethernet addresses given to raw IP frames converted to Ethernet (locally administered).
const DEFAULT_ENET: ([u8; 6], [u8; 6]) = ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]);

/// Rewrites one frame of link type `link` with `rules` only (no keys, no loop): the
/// new octets (the input octets when nothing changed) and the outcome.
/// `fix_checksums` recomputes every checksum, also those that were wrong before;
/// otherwise a wrong checksum stays as it was.
pub fn rewrite_frame(
    link: LinkType,
    data: &[u8],
    rules: &Rules,
    fix_checksums: bool,
) -> (Vec<u8>, Outcome) {
    let cfg = Config {
        fix_checksums,
        ..Config::default()
    };
    let mut r = Rewriter::new(rules.clone(), cfg);
    let o = r.frame(link, data, 0);
    let out = o.frames.into_iter().next().unwrap_or_default();
    (out, o.outcome)
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

/// A deterministic IV for a re-encrypted packet whose original IV cannot be kept: from
/// SPI and sequence number, so unique per SA and packet (AES-GCM needs that, RFC 4106 §3.1).
fn derived_iv(spi: u32, seq: u32, len: usize) -> Vec<u8> {
    let a = [
        seq.to_be_bytes(),
        spi.to_be_bytes(),
        (!seq).to_be_bytes(),
        (!spi).to_be_bytes(),
    ]
    .concat();
    a.iter().copied().cycle().take(len).collect()
}

/// The SA to encrypt with for `spi` toward `dst`: the output keys first, then the input's.
fn out_sa(cx: &Cx<'_>, spi: u32, dst: [u8; 4]) -> Option<codec::esp::Sa> {
    let dst = Some(std::net::IpAddr::V4(dst.into()));
    let tables = [cx.cfg.new_keys.as_ref(), cx.cfg.keys.as_ref()];
    for t in tables.into_iter().flatten() {
        let mut c: Vec<&codec::esp::Sa> = t
            .esp
            .sas
            .iter()
            .filter(|s| s.spi == Some(spi) && s.matches(spi, dst))
            .collect();
        c.sort_by_key(|s| s.dst.is_none());
        if let Some(s) = c.first() {
            return Some((*s).clone());
        }
    }
    None
}

/// Replaces ESP payloads that the input's SAs decrypt (ICV good or unchecked) with
/// [`Node::Esp`] nodes holding the parsed plaintext, so rules reach inside and the packet
/// is re-encrypted on emit with the SA of the (possibly mapped) SPI.
fn expand_esp(n: &mut Node, cx: &Cx<'_>, w: &mut Walk) {
    let Some(keys) = cx.cfg.keys.as_ref().or(cx.cfg.new_keys.as_ref()) else {
        return;
    };
    let dst = match n {
        Node::Ipv4 { hdr, .. } => Some(hdr.dst),
        _ => None,
    };
    if let Node::Ipv4 { hdr, inner } = n {
        if hdr.protocol == IpProto::ESP && !hdr.is_fragment() {
            if let Node::Raw(b) = inner.as_ref() {
                if let Some(e) = esp_node(b, hdr.dst, keys, cx, w) {
                    **inner = e;
                }
            }
        } else if hdr.protocol == IpProto::UDP {
            if let Node::Udp {
                hdr: u, inner: ui, ..
            } = inner.as_mut()
            {
                if is_port(u, NAT_T_PORT) {
                    if let Node::Raw(b) = ui.as_ref() {
                        // RFC 3948 §2.2: a zero first word is the Non-ESP Marker (IKE).
                        if b.len() > 8 && b.get(..4) != Some(&[0, 0, 0, 0]) {
                            if let Some(e) = esp_node(b, dst.unwrap_or_default(), keys, cx, w) {
                                **ui = e;
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(i) = child_mut(n) {
        expand_esp(i, cx, w);
    }
}

fn esp_node(
    b: &[u8],
    dst: [u8; 4],
    keys: &dissector::keys::Keys,
    cx: &Cx<'_>,
    w: &mut Walk,
) -> Option<Node> {
    let v = EspView::new(b).ok()?;
    let (old_spi, seq) = (v.spi(), v.seq());
    let (i, d) = keys
        .esp
        .decrypt(b, Some(std::net::IpAddr::V4(dst.into())))
        .ok()?;
    if d.icv_status == codec::esp::IcvStatus::Bad {
        return None;
    }
    let old_sa = keys.esp.sas.get(i)?;
    let new_spi = cx.rules.map_spi(old_spi).unwrap_or(old_spi);
    let new_dst = cx.rules.map_ipv4(dst).unwrap_or(dst);
    let sa = match out_sa(cx, new_spi, new_dst) {
        Some(s) => s,
        None if new_spi == old_spi => old_sa.clone(),
        None => {
            w.failure = Some("esp: no SA for the new SPI");
            return None;
        }
    };
    let payload = d.payload();
    let next_header = IpProto(d.next_header);
    let mut inner = match stack::parse_ip_payload(next_header, payload) {
        n if n.emit().ok().as_deref() == Some(payload) => n,
        _ => Node::raw(payload),
    };
    // RFC 3519 tunnels inside the ESP payload are rewritten too.
    expand_udp_tunnels(&mut inner);
    // The node first reproduces the input octets with the input's SA (same IV, same
    // padding): the checksum pass must see the frame as it was. The output SA, SPI and
    // IV are put in by the rewrite walk (`EspSwap`).
    let total = payload.len() + 2 + usize::from(d.pad_len);
    let pad_for = |block: usize| {
        let natural = (payload.len() + 2).next_multiple_of(block);
        (total != natural && total.is_multiple_of(block)).then_some(total)
    };
    let old_iv = b.get(d.iv.clone())?.to_vec();
    let old_pad = pad_for(old_sa.encryption.block_len());
    let same = codec::esp::encrypt(
        old_sa,
        old_spi,
        seq,
        d.next_header,
        payload,
        &old_iv,
        old_pad,
    );
    if same.ok().as_deref() != Some(b) {
        return None; // not reproducible (e.g. odd padding): stays encrypted
    }
    let mut iv = old_iv.clone();
    if iv.len() != sa.encryption.iv_len()
        || (new_spi != old_spi && matches!(sa.encryption, codec::esp::Encryption::AesGcm { .. }))
    {
        iv = derived_iv(new_spi, seq, sa.encryption.iv_len());
    }
    // Keep the original padding when the new cipher's block allows it.
    let pad_to = pad_for(sa.encryption.block_len());
    if new_spi != old_spi || sa != *old_sa {
        w.changed += 1;
    }
    w.esp_swaps.push_back(EspSwap {
        sa,
        spi: new_spi,
        iv,
        pad_to,
    });
    Some(Node::Esp {
        sa: Box::new(old_sa.clone()),
        spi: old_spi,
        seq,
        next_header,
        iv: old_iv,
        pad_to: old_pad,
        inner: Box::new(inner),
    })
}

/// What an expanded ESP packet is re-encrypted with (applied after the checksum pass).
struct EspSwap {
    sa: codec::esp::Sa,
    spi: u32,
    iv: Vec<u8>,
    pad_to: Option<usize>,
}

fn child(n: &Node) -> Option<&Node> {
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

fn apply_edit(e: payload::Edit, w: &mut Walk) {
    if e.changed {
        w.changed += 1;
    }
    if e.failure.is_some() {
        w.failure = e.failure;
    }
}

fn rewrite(n: &mut Node, cx: &Cx<'_>, w: &mut Walk, ether: Option<EtherType>) {
    let r = cx.rules;
    let edit_payloads = cx.cfg.resign || cx.shift.is_some();
    let renumber = cx.cfg.renumber && cx.pass > 0;
    match n {
        Node::Ethernet { hdr, .. } => {
            set(&mut hdr.dst, |v| r.map_mac(v), w);
            set(&mut hdr.src, |v| r.map_mac(v), w);
        }
        Node::Ipv4 { hdr, inner } => {
            w.addrs = (hdr.src, hdr.dst);
            set(&mut hdr.src, |v| r.map_ipv4(v), w);
            set(&mut hdr.dst, |v| r.map_ipv4(v), w);
            if hdr.protocol == IpProto::ESP {
                if let Node::Raw(b) = inner.as_mut() {
                    esp_raw(b, r, w, renumber);
                }
            }
        }
        Node::Ipv6 { hdr, .. } => {
            set(&mut hdr.src, |v| r.map_ipv6(v), w);
            set(&mut hdr.dst, |v| r.map_ipv6(v), w);
        }
        Node::Udp { hdr, inner, .. } => {
            let (sp, dp) = (hdr.src_port, hdr.dst_port);
            set(&mut hdr.src_port, |v| r.map_port(v), w);
            set(&mut hdr.dst_port, |v| r.map_port(v), w);
            if let Node::Raw(b) = inner.as_mut() {
                if (sp == MIP_PORT || dp == MIP_PORT) && edit_payloads {
                    let pcx = payload_cx(cx, Kind::Mip);
                    apply_edit(payload::edit(b, Kind::Mip, cx.shift, &pcx), w);
                } else if sp == L2TP_PORT || dp == L2TP_PORT {
                    if let (true, Some(old), Some(new)) = (cx.cfg.resign, cx.l2tp_old, cx.l2tp_new)
                    {
                        if old != new {
                            apply_edit(payload::l2tp_rehide(b, old, new), w);
                        }
                    }
                }
                if (sp == L2TP_PORT || dp == L2TP_PORT) && renumber {
                    if let Some((_, control)) = payload::l2tp_ns_at(b) {
                        let (a, z) = w.addrs;
                        let own = cx
                            .learned
                            .l2tp_count
                            .get(&(a, z, sp, dp, control))
                            .copied()
                            .unwrap_or(0);
                        let peer = cx
                            .learned
                            .l2tp_count
                            .get(&(z, a, dp, sp, control))
                            .copied()
                            .unwrap_or(0);
                        let p = cx.pass as u16; // modulo 2^16, as Ns/Nr count
                        if payload::l2tp_renumber(b, own.wrapping_mul(p), peer.wrapping_mul(p)) {
                            w.changed += 1;
                        }
                    }
                }
            }
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
        Node::Esp {
            spi,
            seq,
            iv,
            sa,
            pad_to,
            ..
        } => {
            // Expansion and this walk visit ESP nodes in the same (pre-)order.
            if let Some(x) = w.esp_swaps.pop_front() {
                **sa = x.sa;
                *spi = x.spi;
                *iv = x.iv;
                *pad_to = x.pad_to;
            }
            if !renumber {
                return rewrite_child(n, cx, w);
            }
            // Learned under the input's SPI, which an --spi rule may have replaced.
            let learned = |s: &u32| cx.learned.esp_seq_max.get(s).copied();
            let old = cx.rules.spi.iter().find(|(_, n)| n == spi).map(|(o, _)| *o);
            let max = learned(spi)
                .or_else(|| old.as_ref().and_then(learned))
                .unwrap_or(0);
            let new = seq.wrapping_add(max.wrapping_mul(cx.pass));
            if new != *seq {
                *seq = new;
                w.changed += 1;
                if matches!(sa.encryption, codec::esp::Encryption::AesGcm { .. }) {
                    *iv = derived_iv(*spi, new, iv.len());
                }
            }
        }
        Node::Raw(b) if ether == Some(EtherType::MVTP) && edit_payloads => {
            let pcx = payload_cx(cx, Kind::Mvtp);
            apply_edit(payload::edit(b, Kind::Mvtp, cx.shift, &pcx), w);
        }
        _ => {}
    }
    rewrite_child(n, cx, w);
}

fn rewrite_child(n: &mut Node, cx: &Cx<'_>, w: &mut Walk) {
    let e = ether_of(n);
    if let Some(i) = child_mut(n) {
        rewrite(i, cx, w, e);
    }
}

fn payload_cx<'a>(cx: &Cx<'a>, kind: Kind) -> PayloadCx<'a> {
    let (read, write) = match kind {
        Kind::Mvtp => (cx.read_mvtp, cx.write_mvtp),
        Kind::Mip => (cx.read_mip, cx.write_mip),
    };
    PayloadCx {
        read,
        write,
        resign: cx.cfg.resign,
        fix_all: cx.cfg.fix_checksums,
    }
}

/// ESP that stayed encrypted (no SA given, or none decrypts it): an SPI rule would
/// invalidate the ICV and address rules cannot reach inside, so both are reported
/// rather than applied.
fn esp_raw(b: &[u8], r: &Rules, w: &mut Walk, renumber: bool) {
    let spi = b
        .get(..4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes);
    if spi
        .and_then(|s| r.map_spi(s))
        .is_some_and(|n| Some(n) != spi)
    {
        w.failure = Some("esp spi: integrity check value needs the SA");
    } else if renumber {
        w.failure = Some("esp sequence: integrity check value needs the SA");
    } else if !r.ipv4.is_empty() || !r.ipv6.is_empty() || !r.port.is_empty() {
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
            // ESP in UDP (RFC 3948): a transport-mode inner checksum uses the outer
            // IP pseudo-header, as for ESP directly in IP.
            let inner_ph = if matches!(inner.as_ref(), Node::Esp { .. }) {
                ph
            } else {
                None
            };
            let body = emit_inner(inner, inner_ph, f)?;
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
        Node::Esp {
            sa,
            spi,
            seq,
            next_header,
            iv,
            pad_to,
            inner,
        } => {
            // Transport mode: an inner UDP/TCP checksum uses the outer IP pseudo-header.
            let body = emit_inner(inner, ph, f)?;
            out.extend(codec::esp::encrypt(
                sa,
                *spi,
                *seq,
                next_header.0,
                &body,
                iv,
                *pad_to,
            )?);
        }
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
