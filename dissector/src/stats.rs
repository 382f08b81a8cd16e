//! `mvtp stats`: counts over a whole capture — protocol hierarchy, conversations, MVTP
//! registrations (RRQ → RRP latency, denials by code), mobility bindings, L2TP tunnels and
//! sessions, Mobile IPv4 bindings, encapsulation overhead by access mode.
//!
//! Fed one dissected packet at a time ([`Stats::add`]); memory grows with the number of
//! distinct conversations, bindings and tunnels, not with the number of packets (pending
//! requests expire, latency samples are capped).

use crate::access::{all_layers, ipv4_string, layers, LayerRef};
use crate::model::Dissection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// MVTP PDU type numbers as the `mvtp.type` field carries them (spec §2.1).
mod mvtp_type {
    pub const RRQ: u64 = 4;
    pub const RRP: u64 = 5;
    pub const DN: u64 = 6;
    pub const FAA: u64 = 1;
}

/// Mobile IPv4 message types as `mip.type` carries them (RFC 5944).
mod mip_type {
    pub const RRQ: u64 = 1;
    pub const RRP: u64 = 3;
}

/// Most RRQ → RRP latency samples kept (beyond it, the extremes still update).
const MAX_LATENCY_SAMPLES: usize = 1 << 20;
/// Pending requests older than this (seconds) are forgotten.
const PENDING_EXPIRY_S: f64 = 120.0;

/// Packets and octets.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Count {
    /// Packets.
    pub packets: u64,
    /// Octets (captured length).
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
    }
}

/// One IPv4/IPv6 conversation (outermost addresses, unordered pair).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversation {
    /// Lower address.
    pub a: String,
    /// Higher address.
    pub b: String,
    /// Packets and octets.
    pub count: Count,
    /// First seen, seconds since the epoch.
    pub first: f64,
    /// Last seen.
    pub last: f64,
}

/// An MVTP mobility binding, per Global Endpoint ID.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Binding {
    /// Global Endpoint ID (`class:address`).
    pub gid: String,
    /// Local Endpoint ID of the last accepted registration.
    pub leid: u64,
    /// Connect ID of the last request.
    pub connect_id: u64,
    /// Care-of address (source of the IP/GRE-framed request).
    pub care_of: String,
    /// Home IP Address (server).
    pub server: String,
    /// `requested`, `open`, `denied <code>`, `closed <code>`.
    pub state: String,
    /// Frame number last seen.
    pub last_frame: u64,
    /// Time last seen.
    pub last_seen: f64,
}

/// Registration statistics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Registrations {
    /// Requests seen.
    pub requests: u64,
    /// Replies seen.
    pub replies: u64,
    /// Replies matched to a request (Connect ID + Identification low 32 bits).
    pub matched: u64,
    /// Latency of matched replies, milliseconds: min, median, max.
    pub latency_ms: Option<[f64; 3]>,
    /// Replies by code (0 accepted; others denials).
    pub codes: BTreeMap<u64, u64>,
    #[serde(skip)]
    samples: Vec<f64>,
}

/// An L2TP tunnel.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tunnel {
    /// Tunnel ID as carried in headers.
    pub tunnel: u64,
    /// Endpoints (IP source → destination of the first message).
    pub endpoints: String,
    /// Control messages by type.
    pub control: BTreeMap<u64, u64>,
    /// Data messages.
    pub data: u64,
    /// Session IDs seen.
    pub sessions: Vec<u64>,
}

/// A Mobile IPv4 binding, per home address.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MipBinding {
    /// Home address.
    pub home: String,
    /// Home agent.
    pub home_agent: String,
    /// Care-of address of the last request.
    pub care_of: String,
    /// Last reply code.
    pub code: Option<u64>,
    /// Last granted lifetime.
    pub lifetime: Option<u64>,
    /// Reply carried TNC (RFC 5265: internal home agent).
    pub tnc: bool,
    /// Time last seen.
    pub last_seen: f64,
}

/// Overhead statistics for one access mode.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Overhead {
    /// Packets.
    pub packets: u64,
    /// Smallest overhead, octets.
    pub min: u64,
    /// Largest overhead.
    pub max: u64,
    /// Sum (for the mean).
    pub sum: u64,
}

#[derive(Debug, Clone)]
struct Pending {
    frame: u64,
    ts: f64,
}

/// Everything `mvtp stats` reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Packets and octets read.
    pub total: Count,
    /// First and last timestamps.
    pub span: Option<[f64; 2]>,
    /// Protocol hierarchy: `eth/ip/udp/l2tp` → count.
    pub hierarchy: BTreeMap<String, Count>,
    /// Conversations, by outermost IP pair.
    pub conversations: Vec<Conversation>,
    /// MVTP PDUs by type.
    pub mvtp_types: BTreeMap<u64, u64>,
    /// MVTP registrations.
    pub registrations: Registrations,
    /// MVTP mobility bindings.
    pub bindings: Vec<Binding>,
    /// L2TP tunnels.
    pub tunnels: Vec<Tunnel>,
    /// Mobile IPv4 bindings.
    pub mip_bindings: Vec<MipBinding>,
    /// Encapsulation overhead by access mode (spec MIP-7).
    pub overhead: BTreeMap<String, Overhead>,
    /// Packets whose dissection stopped on an error, by error kind.
    pub malformed: BTreeMap<String, u64>,
    #[serde(skip)]
    /// Conversation by its two addresses as raw octets (an unordered pair), so a packet of
    /// a known conversation renders no text.
    conv_index: HashMap<(ConvAddr, ConvAddr), usize>,
    #[serde(skip)]
    binding_index: HashMap<String, usize>,
    #[serde(skip)]
    tunnel_index: HashMap<u64, usize>,
    #[serde(skip)]
    mip_index: HashMap<String, usize>,
    #[serde(skip)]
    pending_rrq: HashMap<(u64, u64), Pending>,
    #[serde(skip)]
    pending_gid: HashMap<(u64, u64), String>,
}

impl Stats {
    /// Counts one packet: frame number (1-based), timestamp (seconds), its dissection.
    pub fn add(&mut self, number: u64, ts: f64, d: &Dissection, frame: &[u8]) {
        self.total.add(frame.len());
        self.span = Some(match self.span {
            None => [ts, ts],
            Some([a, b]) => [a.min(ts), b.max(ts)],
        });
        let mut path = String::new();
        // `overhead` is a computed pseudo-layer (spec MIP-7), not a protocol on the wire.
        for l in d.layers.iter().filter(|l| l.proto != "overhead") {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(l.proto);
            // Allocate a key only for a path not seen before (the hot path is a lookup).
            match self.hierarchy.get_mut(path.as_str()) {
                Some(c) => c.add(frame.len()),
                None => {
                    let mut c = Count::default();
                    c.add(frame.len());
                    self.hierarchy.insert(path.clone(), c);
                }
            }
        }
        if let Some(e) = &d.stopped {
            *self.malformed.entry(e.kind.as_str().to_string()).or_default() += 1;
        }
        self.conversation(ts, d, frame);
        for l in layers(d, frame, "mvtp") {
            self.mvtp(number, ts, l);
        }
        for l in layers(d, frame, "l2tp") {
            self.l2tp(l);
        }
        for l in layers(d, frame, "mip") {
            self.mip(ts, l);
        }
        self.overhead_of(d, frame);
        if self.pending_rrq.len() > 4096 {
            self.pending_rrq.retain(|_, p| ts - p.ts < PENDING_EXPIRY_S);
            let live: std::collections::HashSet<_> = self.pending_rrq.keys().copied().collect();
            self.pending_gid.retain(|k, _| live.contains(k));
        }
    }

    fn conversation(&mut self, ts: f64, d: &Dissection, frame: &[u8]) {
        let Some(ip) = all_layers(d, frame).find(|l| l.proto() == "ip" || l.proto() == "ipv6") else { return };
        let (src, dst) = if ip.proto() == "ip" { (ip.get("ip.src"), ip.get("ip.dst")) } else { (ip.get("ipv6.src"), ip.get("ipv6.dst")) };
        let (Some(s), Some(t)) = (src, dst) else { return };
        let (ks, kt) = (conv_addr(d, frame, s), conv_addr(d, frame, t));
        let key = if ks <= kt { (ks, kt) } else { (kt, ks) };
        let i = match self.conv_index.get(&key) {
            Some(&i) => i,
            None => {
                // Text only for a new conversation; its ends in text order, as shown.
                let (s, t) = (d.value_string(frame, s), d.value_string(frame, t));
                let (a, b) = if s <= t { (s, t) } else { (t, s) };
                self.conversations.push(Conversation { a, b, first: ts, ..Default::default() });
                self.conv_index.insert(key, self.conversations.len() - 1);
                self.conversations.len() - 1
            }
        };
        let c = &mut self.conversations[i];
        c.count.add(frame.len());
        c.last = ts;
    }

    fn mvtp(&mut self, number: u64, ts: f64, l: LayerRef<'_>) {
        let Some(ty) = l.uint("mvtp.type") else { return };
        *self.mvtp_types.entry(ty).or_default() += 1;
        let cid = l.uint("mvtp.connect_id");
        let ident_low = l.bytes("mvtp.ident").filter(|b| b.len() == 8).map(|b| u64::from(u32::from_be_bytes([b[4], b[5], b[6], b[7]])));
        let in_gre = l.outer("gre").is_some();
        match ty {
            mvtp_type::RRQ => {
                self.registrations.requests += 1;
                let (Some(cid), Some(low)) = (cid, ident_low) else { return };
                // The same request is seen on the access link and again in IP/GRE: the first copy starts the clock.
                self.pending_rrq.entry((cid, low)).or_insert(Pending { frame: number, ts });
                let gid = match (l.uint("mvtp.gid.class"), l.text("mvtp.gid.address")) {
                    (Some(c), Some(a)) => format!("{}:{a}", codec::gid::Class(c as u8).label()),
                    _ => return,
                };
                self.pending_gid.insert((cid, low), gid.clone());
                let b = self.binding(&gid);
                b.connect_id = cid;
                b.state = "requested".into();
                b.last_frame = number;
                b.last_seen = ts;
                if let Some(h) = l.text("mvtp.home_addr") {
                    b.server = h;
                }
                if in_gre {
                    if let Some(ip) = l.outer("ip") {
                        if let Some(src) = ip.ipv4("ip.src") {
                            b.care_of = ipv4_string(src);
                        }
                    }
                }
            }
            mvtp_type::RRP => {
                self.registrations.replies += 1;
                let code = l.uint("mvtp.code").unwrap_or(0);
                *self.registrations.codes.entry(code).or_default() += 1;
                let (Some(cid), Some(low)) = (cid, ident_low) else { return };
                if let Some(p) = self.pending_rrq.remove(&(cid, low)) {
                    self.registrations.matched += 1;
                    let ms = (ts - p.ts) * 1000.0;
                    let _ = p.frame;
                    if self.registrations.samples.len() < MAX_LATENCY_SAMPLES {
                        self.registrations.samples.push(ms);
                    }
                }
                if let Some(gid) = self.pending_gid.get(&(cid, low)).cloned() {
                    let leid = l.uint("mvtp.leid").unwrap_or(0);
                    let b = self.binding(&gid);
                    b.state = if code == 0 { "open".into() } else { format!("denied {code}") };
                    if code == 0 {
                        b.leid = leid;
                    }
                    b.last_frame = number;
                    b.last_seen = ts;
                }
            }
            mvtp_type::DN => {
                let leid = l.uint("mvtp.leid");
                let code = l.uint("mvtp.code").unwrap_or(0);
                if let (Some(cid), Some(leid)) = (cid, leid) {
                    for b in &mut self.bindings {
                        if b.connect_id == cid && b.leid == leid && b.state == "open" {
                            b.state = format!("closed {code}");
                            b.last_frame = number;
                            b.last_seen = ts;
                        }
                    }
                }
            }
            mvtp_type::FAA => {}
            _ => {}
        }
    }

    fn binding(&mut self, gid: &str) -> &mut Binding {
        let i = match self.binding_index.get(gid) {
            Some(&i) => i,
            None => {
                self.bindings.push(Binding { gid: gid.to_string(), ..Default::default() });
                self.binding_index.insert(gid.to_string(), self.bindings.len() - 1);
                self.bindings.len() - 1
            }
        };
        &mut self.bindings[i]
    }

    fn l2tp(&mut self, l: LayerRef<'_>) {
        let Some(tunnel) = l.uint("l2tp.tunnel") else { return };
        let i = match self.tunnel_index.get(&tunnel) {
            Some(&i) => i,
            None => {
                let endpoints = match l.outer("ip") {
                    Some(ip) => format!("{} → {}", ip.text("ip.src").unwrap_or_default(), ip.text("ip.dst").unwrap_or_default()),
                    None => String::new(),
                };
                self.tunnels.push(Tunnel { tunnel, endpoints, ..Default::default() });
                self.tunnel_index.insert(tunnel, self.tunnels.len() - 1);
                self.tunnels.len() - 1
            }
        };
        let t = &mut self.tunnels[i];
        match l.uint("l2tp.avp.message_type") {
            Some(m) => *t.control.entry(m).or_default() += 1,
            None if l.flag("l2tp.type") == Some(false) => t.data += 1,
            None => {}
        }
        if let Some(s) = l.uint("l2tp.session").filter(|&s| s != 0) {
            if !t.sessions.contains(&s) && t.sessions.len() < 65536 {
                t.sessions.push(s);
            }
        }
    }

    fn mip(&mut self, ts: f64, l: LayerRef<'_>) {
        let Some(ty) = l.uint("mip.type") else { return };
        if ty != mip_type::RRQ && ty != mip_type::RRP {
            return;
        }
        let Some(home) = l.text("mip.homeaddr") else { return };
        let i = match self.mip_index.get(&home) {
            Some(&i) => i,
            None => {
                self.mip_bindings.push(MipBinding { home: home.clone(), ..Default::default() });
                self.mip_index.insert(home, self.mip_bindings.len() - 1);
                self.mip_bindings.len() - 1
            }
        };
        let b = &mut self.mip_bindings[i];
        b.last_seen = ts;
        if let Some(ha) = l.text("mip.haaddr") {
            b.home_agent = ha;
        }
        if ty == mip_type::RRQ {
            if let Some(coa) = l.text("mip.coa") {
                b.care_of = coa;
            }
        } else {
            b.code = l.uint("mip.code");
            b.lifetime = l.uint("mip.life");
            b.tnc = l.get("mip.tnc").is_some();
        }
    }

    fn overhead_of(&mut self, d: &Dissection, frame: &[u8]) {
        let (mut bytes, mut mode) = (None, None);
        for f in &d.fields {
            match f.name {
                "overhead.bytes" => bytes = Some(f),
                "overhead.mode" => mode = Some(f),
                _ => {}
            }
        }
        let (Some(b), Some(m)) = (bytes, mode) else { return };
        let crate::model::Value::U64(n) = b.value else { return };
        let o = self.overhead.entry(d.value_string(frame, m)).or_default();
        o.min = if o.packets == 0 { n } else { o.min.min(n) };
        o.max = o.max.max(n);
        o.sum += n;
        o.packets += 1;
    }

    /// Completes derived figures (latency quantiles); call once after the last packet.
    pub fn finish(&mut self) {
        let s = &mut self.registrations.samples;
        if !s.is_empty() {
            s.sort_by(f64::total_cmp);
            let med = if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 };
            self.registrations.latency_ms = Some([s[0], med, s[s.len() - 1]]);
        }
    }
}


/// MVTP PDU type names (spec §2.1).
fn mvtp_type_name(t: u64) -> String {
    match t {
        1 => "MV-FAA".into(),
        2 => "MV-FAS".into(),
        3 => "MV-DATA".into(),
        4 => "MV-RRQ".into(),
        5 => "MV-RRP".into(),
        6 => "MV-DN".into(),
        t => format!("type {t}"),
    }
}

/// L2TP control message names (RFC 2661 §3.2).
fn l2tp_msg_name(t: u64) -> String {
    const NAMES: [&str; 17] = ["", "SCCRQ", "SCCRP", "SCCCN", "StopCCN", "", "HELLO", "OCRQ", "OCRP", "OCCN", "ICRQ", "ICRP", "ICCN", "", "CDN", "WEN", "SLI"];
    NAMES.get(t as usize).filter(|n| !n.is_empty()).map_or_else(|| format!("type {t}"), |n| (*n).to_string())
}

impl Stats {
    /// The statistics as plain-text tables (comfy-table), one section per topic; sections
    /// with nothing to show are left out.
    pub fn render_text(&self) -> String {
        use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
        let table = |header: &[&str]| {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED).set_header(header.to_vec());
            t
        };
        let mut out = String::new();
        let span = self.span.map_or(0.0, |[a, b]| b - a);
        out.push_str(&format!("{} packets, {} octets, {span:.3} s\n\n", self.total.packets, self.total.bytes));

        let mut t = table(&["protocol hierarchy", "packets", "octets"]);
        for (path, c) in &self.hierarchy {
            let depth = path.matches('/').count();
            let name = path.rsplit('/').next().unwrap_or(path);
            t.add_row(vec![format!("{}{name}", "  ".repeat(depth)), c.packets.to_string(), c.bytes.to_string()]);
        }
        out.push_str(&format!("{t}\n\n"));

        if !self.conversations.is_empty() {
            let mut t = table(&["address A", "address B", "packets", "octets", "first", "duration s"]);
            let mut convs: Vec<_> = self.conversations.iter().collect();
            convs.sort_by_key(|c| std::cmp::Reverse(c.count.packets));
            for c in convs {
                t.add_row(vec![c.a.clone(), c.b.clone(), c.count.packets.to_string(), c.count.bytes.to_string(), format!("{:.6}", c.first), format!("{:.3}", c.last - c.first)]);
            }
            out.push_str(&format!("conversations\n{t}\n\n"));
        }

        if !self.mvtp_types.is_empty() {
            let r = &self.registrations;
            let mut t = table(&["MVTP", "count"]);
            for (ty, n) in &self.mvtp_types {
                t.add_row(vec![mvtp_type_name(*ty), n.to_string()]);
            }
            out.push_str(&format!("{t}\n"));
            let latency = r.latency_ms.map_or("-".to_string(), |[a, m, b]| format!("{a:.3} / {m:.3} / {b:.3} ms"));
            out.push_str(&format!("registrations: {} requests, {} replies, {} matched; RRQ→RRP latency min/median/max {latency}\n", r.requests, r.replies, r.matched));
            let denials: Vec<String> = r.codes.iter().filter(|(c, _)| **c != 0).map(|(c, n)| format!("{n}× code {c}")).collect();
            if !denials.is_empty() {
                out.push_str(&format!("denials: {}\n", denials.join(", ")));
            }
            out.push('\n');
        }

        if !self.bindings.is_empty() {
            let mut t = table(&["Global Endpoint ID", "LEID", "Connect ID", "care-of", "server", "state", "last frame", "last seen"]);
            for b in &self.bindings {
                t.add_row(vec![b.gid.clone(), b.leid.to_string(), b.connect_id.to_string(), b.care_of.clone(), b.server.clone(), b.state.clone(), b.last_frame.to_string(), format!("{:.6}", b.last_seen)]);
            }
            out.push_str(&format!("mobility bindings\n{t}\n\n"));
        }

        if !self.tunnels.is_empty() {
            let mut t = table(&["L2TP tunnel", "endpoints", "control", "data", "sessions"]);
            for tu in &self.tunnels {
                let control: Vec<String> = tu.control.iter().map(|(m, n)| format!("{} {n}", l2tp_msg_name(*m))).collect();
                let sessions: Vec<String> = tu.sessions.iter().map(u64::to_string).collect();
                t.add_row(vec![tu.tunnel.to_string(), tu.endpoints.clone(), control.join(", "), tu.data.to_string(), sessions.join(" ")]);
            }
            out.push_str(&format!("{t}\n\n"));
        }

        if !self.mip_bindings.is_empty() {
            let mut t = table(&["home address", "home agent", "care-of", "code", "lifetime", "TNC"]);
            for m in &self.mip_bindings {
                let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
                t.add_row(vec![m.home.clone(), m.home_agent.clone(), m.care_of.clone(), opt(m.code), opt(m.lifetime), if m.tnc { "yes" } else { "no" }.to_string()]);
            }
            out.push_str(&format!("Mobile IPv4 bindings\n{t}\n\n"));
        }

        if !self.overhead.is_empty() {
            let mut t = table(&["access mode", "packets", "overhead min", "mean", "max"]);
            for (mode, o) in &self.overhead {
                let mean = if o.packets == 0 { 0.0 } else { o.sum as f64 / o.packets as f64 };
                t.add_row(vec![mode.clone(), o.packets.to_string(), o.min.to_string(), format!("{mean:.1}"), o.max.to_string()]);
            }
            out.push_str(&format!("encapsulation overhead (spec MIP-7)\n{t}\n\n"));
        }

        if !self.malformed.is_empty() {
            let m: Vec<String> = self.malformed.iter().map(|(k, n)| format!("{n} {k}")).collect();
            out.push_str(&format!("dissection stopped on an error: {}\n", m.join(", ")));
        }
        out
    }
}

/// An address as the conversation table keys it: IPv4, IPv6, or (any other value) its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ConvAddr {
    V4([u8; 4]),
    V6([u8; 16]),
    Other(String),
}

fn conv_addr(d: &Dissection, frame: &[u8], f: &crate::model::Field) -> ConvAddr {
    match f.value {
        crate::model::Value::Ipv4(a) => ConvAddr::V4(a),
        crate::model::Value::Ipv6(a) => ConvAddr::V6(a),
        _ => ConvAddr::Other(d.value_string(frame, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BufferId, Field, Layer, Value};

    /// A frame holding the 8 Identification octets at 0..8; fields point at them.
    fn pdu(d: &mut Dissection, ty: u64, cid: u64, code: u64, leid: u64, gid: Option<[u8; 6]>) {
        d.clear();
        let mut fields = vec![
            ("mvtp.type", 0..1, Value::U64(ty)),
            ("mvtp.leid", 0..1, Value::U64(leid)),
            ("mvtp.code", 0..1, Value::U64(code)),
            ("mvtp.connect_id", 0..1, Value::U64(cid)),
            ("mvtp.ident", 0..8, Value::Bytes),
        ];
        if let Some(mac) = gid {
            fields.push(("mvtp.gid.class", 0..1, Value::U64(3)));
            fields.push(("mvtp.gid.address", 0..1, Value::Mac(mac)));
        }
        d.layers.push(Layer { proto: "mvtp", buffer: BufferId::Frame, range: 0..8, fields: 0..fields.len() as u32 });
        for (name, range, value) in fields {
            d.fields.push(Field { name, buffer: BufferId::Frame, range, value, depth: 0 });
        }
    }

    #[test]
    fn rrq_rrp_matched_by_connect_id_and_ident_low_bits() {
        let ident = [0xe9, 0x9d, 0x41, 0x5e, 0x1a, 0x2b, 0x3c, 0x4d];
        let mut reply_ident = ident;
        reply_ident[0] = 0x01; // high 32 bits differ (server's clock), low 32 equal [FMT-13]
        let mut s = Stats::default();
        let mut d = Dissection::default();
        let mac = [0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d];
        pdu(&mut d, 4, 1001, 0, 0, Some(mac));
        s.add(1, 10.0, &d, &ident);
        pdu(&mut d, 5, 1001, 0, 5, None);
        s.add(2, 10.040, &d, &reply_ident);
        // A second request answered with a denial.
        pdu(&mut d, 4, 1002, 0, 0, Some(mac));
        s.add(3, 20.0, &d, &[0, 0, 0, 0, 0, 0, 0, 9]);
        pdu(&mut d, 5, 1002, 137, 0, None);
        s.add(4, 20.010, &d, &[0, 0, 0, 0, 0, 0, 0, 9]);
        // A reply matching nothing.
        pdu(&mut d, 5, 7, 0, 0, None);
        s.add(5, 21.0, &d, &[1; 8]);
        s.finish();
        let r = &s.registrations;
        assert_eq!((r.requests, r.replies, r.matched), (2, 3, 2));
        let [min, med, max] = r.latency_ms.expect("latencies");
        assert!((min - 10.0).abs() < 1e-6 && (max - 40.0).abs() < 1e-6 && (med - 25.0).abs() < 1e-6, "{min} {med} {max}");
        assert_eq!(r.codes.get(&137), Some(&1));
        assert_eq!(r.codes.get(&0), Some(&2));
        assert_eq!(s.bindings.len(), 1);
        let b = &s.bindings[0];
        assert_eq!(b.gid, "mac:00:21:6a:4b:1c:2d");
        assert_eq!((b.leid, b.connect_id, b.state.as_str(), b.last_frame), (5, 1002, "denied 137", 4));
        assert_eq!(s.hierarchy.get("mvtp").map(|c| c.packets), Some(5));
        assert_eq!(s.mvtp_types.get(&4), Some(&2));
        let text = s.render_text();
        assert!(text.contains("mac:00:21:6a:4b:1c:2d") && text.contains("denied 137"), "{text}");
        assert!(text.contains("latency min/median/max 10.000 / 25.000 / 40.000 ms"), "{text}");
        assert!(text.contains("1× code 137"), "{text}");
        assert!(text.contains("MV-RRQ"), "{text}");
    }
}
