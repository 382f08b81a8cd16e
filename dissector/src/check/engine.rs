//! The evaluation engine: fed one dissected packet at a time (so it runs on a stream as well
//! as a file), it turns decoder diagnostics into findings and judges packet and stateful
//! rules of the catalogue. State is bounded: idle records expire.
//!
//! Rules read packets through their display-filter fields (spec §10), the same names a user
//! filters on, so a finding's evidence can always be shown with `mvtp read -Y`.

use super::catalogue::{rule, Scope, CATALOGUE};
use crate::access::{layers, LayerRef};
use crate::model::{Dissection, Value};
use codec::serial::newer;
use codec::{Kind, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// MVTP numbers as the `mvtp.*` fields carry them (spec §2.1, §2.2, §2.4, §2.5).
pub(crate) mod mv {
    pub const FAA: u64 = 1;
    pub const FAS: u64 = 2;
    pub const DATA: u64 = 3;
    pub const RRQ: u64 = 4;
    pub const RRP: u64 = 5;
    pub const DN: u64 = 6;
    pub const AVP_AGENT_ADV: u64 = 2;
    pub const AVP_PREFIX_LENGTHS: u64 = 3;
    pub const AVP_AUTH_MH: u64 = 4;
    pub const AVP_AUTH_MF: u64 = 5;
    pub const AVP_AUTH_FH: u64 = 6;
    pub const CODE_STALE: u64 = 137;
    pub const CODE_SERVER_AUTH: u64 = 131;
    pub const CODE_IDENT: u64 = 133;
    pub const CODE_FA_AUTH: u64 = 67;
    pub const ENCAP_PPP: u64 = 1;
    pub const ENCAP_L2TP: u64 = 2;
    /// FA denial codes 64..=72 (spec §2.5): the FA answered, not the server.
    pub const FA_CODES: core::ops::RangeInclusive<u64> = 64..=72;
    /// The MVTP 802 multicast address (spec §1).
    pub const MULTICAST: [u8; 6] = [0x03, 0x4D, 0x56, 0x54, 0x50, 0x00];
    /// Sequence numbers restart counting here after 0xFFFF [PROC-2].
    pub const SEQ_WRAP_TO: u64 = 256;
}

/// Mobile IPv4 message types (RFC 5944).
mod mip {
    pub const RRQ: u64 = 1;
}

/// Timers and switches of the engine: the TOML configuration file (`mvtp check --config`,
/// documented in `docs/conformance.md`) maps onto this; absent keys keep their defaults.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckConfig {
    /// MAX_MVTP_PDU_LIFETIME, seconds [PROC-6, PROC-16].
    pub max_pdu_lifetime: f64,
    /// T_MONITOR, seconds [MIP-3].
    pub t_monitor: f64,
    /// Replay window for timestamp Identification, seconds [AUTH-6].
    pub replay_window: f64,
    /// Records idle for longer than this are forgotten (bounded state), seconds.
    pub idle_expiry: f64,
    /// The capture may start in the middle of connections: do not flag MV-DATA on a
    /// connection whose registration the capture did not see.
    pub partial_capture: bool,
    /// MV-FAA period, seconds [PROC-1]; a gap of more than 3 periods is a finding.
    pub adv_period: f64,
    /// The internal network (CIDR, e.g. "10.1.0.0/16") an i-HA serves [MIP-5].
    pub trusted_subnets: Vec<String>,
    /// Rules not to evaluate.
    pub skip: Vec<String>,
    /// Severity overrides by rule.
    pub severity: BTreeMap<String, Severity>,
    /// Findings kept (listed) per rule; later ones are counted only, so memory stays
    /// bounded however many packets break a rule. 0: keep every finding.
    pub max_findings_per_rule: usize,
}

impl CheckConfig {
    /// Parses the TOML configuration file.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let c: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        for id in c.skip.iter().chain(c.severity.keys()) {
            if rule(id).is_none() {
                return Err(format!("unknown rule {id:?} (see mvtp check --list-rules)"));
            }
        }
        Ok(c)
    }
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            max_pdu_lifetime: 10.0,
            t_monitor: 60.0,
            replay_window: 7.0,
            idle_expiry: 3600.0,
            partial_capture: false,
            adv_period: 1.0,
            trusted_subnets: Vec::new(),
            skip: Vec::new(),
            severity: BTreeMap::new(),
            max_findings_per_rule: 1000,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Rule ID (`PROC-7`).
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// 1-based number of the packet that breaks the rule.
    pub frame: u64,
    /// Other packets involved (the request a reply answers, …).
    pub related_frames: Vec<u64>,
    /// Offset of the offending octets in the frame, when one field is at fault.
    pub offset: Option<usize>,
    /// Who: addresses of the parties.
    pub endpoints: Vec<String>,
    /// A sentence a network engineer understands without opening the spec.
    pub message: String,
}

/// A rule the engine could not evaluate, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotEvaluated {
    /// Rule ID.
    pub rule: &'static str,
    /// Why.
    pub reason: String,
}

/// What `mvtp check` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema name and version.
    pub schema: &'static str,
    /// Findings in frame order.
    pub findings: Vec<Finding>,
    /// Rules not evaluated, with reasons.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Counts.
    pub summary: Summary,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Packets judged.
    pub packets: u64,
    /// Findings by severity.
    pub errors: u64,
    /// Warnings.
    pub warnings: u64,
    /// Infos.
    pub infos: u64,
    /// Findings by rule.
    pub by_rule: BTreeMap<&'static str, u64>,
    /// Findings counted but not listed, by rule (past `max_findings_per_rule`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unlisted: BTreeMap<&'static str, u64>,
}

/// One MVTP PDU as the rules see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pdu {
    pub(crate) ty: u64,
    pub(crate) leid: u64,
    pub(crate) cid: Option<u64>,
    pub(crate) ident: Option<[u8; 8]>,
    pub(crate) reset: bool,
    pub(crate) roam: bool,
    pub(crate) code: u64,
    pub(crate) lifetime: u64,
    pub(crate) encap: Option<u64>,
    pub(crate) gid: Option<String>,
    pub(crate) avps: Vec<u64>,
    pub(crate) payload_len: u64,
    pub(crate) auth_failed: bool,
    /// VPN Mobility Agent Advertisement sequence number (MV-FAA).
    pub(crate) agent_seq: Option<u64>,
    /// Data-link source / destination (Ethernet or 802.11 SA/DA).
    pub(crate) mac_src: Option<[u8; 6]>,
    pub(crate) mac_dst: Option<[u8; 6]>,
    /// IP/GRE framing: outer IPv4 source / destination.
    pub(crate) ip_src: Option<[u8; 4]>,
    pub(crate) ip_dst: Option<[u8; 4]>,
    pub(crate) offset: usize,
}

impl Pdu {
    fn from_layer(l: LayerRef<'_>) -> Option<Self> {
        // A PDU the decoder could not represent (truncated, bad length or value, another
        // version) is judged only by its decoder finding: its fields may be half-read.
        // `unsupported` and `auth_failed` PDUs are whole and stay judged [spec §2.1].
        let structural = l.d.diagnostics.iter().any(|pd| {
            pd.layer == l.index && matches!(pd.diag.kind, Some(Kind::Truncated | Kind::BadLength | Kind::BadValue | Kind::Version))
        });
        if structural {
            return None;
        }
        let ty = l.uint("mvtp.type")?;
        let ident = l.bytes("mvtp.ident").and_then(|b| <[u8; 8]>::try_from(b).ok());
        let gid = match (l.uint("mvtp.gid.class"), l.text("mvtp.gid.address")) {
            (Some(c), Some(a)) => Some(format!("{}:{a}", codec::gid::Class(c as u8).label())),
            _ => None,
        };
        let avps = l.all("mvtp.avp.type").filter_map(|f| if let Value::U64(v) = f.value { Some(v) } else { None }).collect();
        let auth_failed = ["mvtp.auth.mh.valid", "mvtp.auth.mf.valid", "mvtp.auth.fh.valid"].iter().any(|n| l.flag(n) == Some(false));
        let in_gre = l.outer("gre").is_some();
        let (ip_src, ip_dst) = match l.outer("ip") {
            Some(ip) if in_gre => (ip.ipv4("ip.src"), ip.ipv4("ip.dst")),
            _ => (None, None),
        };
        let mac = |names: [&str; 2]| {
            names.iter().find_map(|n| {
                l.d.fields[..l.d.layers[l.index].fields.start as usize].iter().rev().find(|f| f.name == *n).and_then(|f| match f.value {
                    Value::Mac(m) => Some(m),
                    _ => None,
                })
            })
        };
        let (mac_src, mac_dst) = if in_gre { (None, None) } else { (mac(["eth.src", "wlan.sa"]), mac(["eth.dst", "wlan.da"])) };
        Some(Pdu {
            ty,
            leid: l.uint("mvtp.leid").unwrap_or(0),
            cid: l.uint("mvtp.connect_id"),
            ident,
            reset: l.flag("mvtp.flags.reset").unwrap_or(false),
            roam: l.flag("mvtp.flags.roam_notify").unwrap_or(false),
            code: l.uint("mvtp.code").unwrap_or(0),
            lifetime: l.uint("mvtp.lifetime").unwrap_or(0),
            encap: l.uint("mvtp.encap"),
            gid,
            avps,
            payload_len: l.uint("mvtp.payload_length").unwrap_or(0),
            auth_failed,
            agent_seq: l.uint("mvtp.agent.seq"),
            mac_src,
            mac_dst,
            ip_src,
            ip_dst,
            offset: l.d.layers[l.index].range.start as usize,
        })
    }

    pub(crate) fn ident_low(&self) -> Option<u32> {
        self.ident.map(|i| u32::from_be_bytes([i[4], i[5], i[6], i[7]]))
    }

    pub(crate) fn endpoints(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let (Some(s), Some(d)) = (self.ip_src, self.ip_dst) {
            v.push(std::net::Ipv4Addr::from(s).to_string());
            v.push(std::net::Ipv4Addr::from(d).to_string());
        } else if let (Some(s), Some(d)) = (self.mac_src, self.mac_dst) {
            v.push(mac_str(s));
            v.push(mac_str(d));
        }
        v
    }
}

pub(crate) fn mac_str(m: [u8; 6]) -> String {
    // Lowercase, colon-separated (as `{:02x}` each), without the formatting machinery: this
    // runs for most findings.
    let mut s = String::with_capacity(17);
    crate::output::push_mac(&mut s, &m);
    s
}

#[derive(Debug, Clone)]
struct PendingRrq {
    frame: u64,
    ts: f64,
    pdu: Pdu,
}

/// The last answer a server gave for a Global Endpoint ID [PROC-6, PROC-7].
#[derive(Debug, Clone)]
struct Record {
    cid: u64,
    ts: f64,
    frame: u64,
    answer: (u64, u64, bool, bool, u64), // code, lifetime, R, N, LEID
}

/// What a client last asked for [PROC-4].
#[derive(Debug, Clone)]
struct ClientLast {
    frame: u64,
    ts: f64,
    pdu: Pdu,
    answered: bool,
}

/// Where a connection lives: (client 802 address, LEID) on the access link.
type ConnKey = ([u8; 6], u64);

#[derive(Debug, Clone)]
struct Conn {
    open: bool,
    encap: Option<u64>,
    cid: Option<u64>,
    ts: f64,
}

/// The conformance engine.
pub struct Checker {
    pub(crate) cfg: CheckConfig,
    findings: Vec<Finding>,
    /// Every finding counted (listed or not): severities, by rule, unlisted by rule.
    tally: Summary,
    pub(crate) l2tp: super::l2tp_rules::L2tpState,
    pub(crate) rfc5265: super::mip_rules::MipState,
    pub(crate) procs: super::proc_rules::ProcState,
    packets: u64,
    pending: HashMap<(u64, u32), PendingRrq>,
    records: HashMap<String, Record>,
    judged_rrp: HashMap<(u64, [u8; 8]), f64>,
    clients: HashMap<String, ClientLast>,
    conns: HashMap<ConnKey, Conn>,
    fa_seq: HashMap<String, (u64, u64)>, // FA → (last sequence, frame)
    fas_sources: HashMap<[u8; 6], f64>,
    last_sweep: f64,
    now: f64,
    /// Last accepted Identification per Global Endpoint ID [AUTH-6].
    last_ident: HashMap<String, u64>,
    /// Last MV-FAA time per FA [PROC-1].
    fa_last_adv: HashMap<[u8; 6], (f64, u64)>,
    /// The IP/GRE copy of each request: care-of address and LEID, by (Connect ID, ident low) [PROC-8].
    forwarded: HashMap<(u64, u32), ([u8; 4], u64, u64)>,
}

impl Checker {
    /// A checker with this configuration.
    pub fn new(cfg: CheckConfig) -> Self {
        Self {
            cfg,
            findings: Vec::new(),
            tally: Summary::default(),
            l2tp: Default::default(),
            rfc5265: Default::default(),
            procs: Default::default(),
            packets: 0,
            pending: HashMap::new(),
            records: HashMap::new(),
            judged_rrp: HashMap::new(),
            clients: HashMap::new(),
            conns: HashMap::new(),
            fa_seq: HashMap::new(),
            fas_sources: HashMap::new(),
            last_sweep: f64::NEG_INFINITY,
            now: 0.0,
            last_ident: HashMap::new(),
            fa_last_adv: HashMap::new(),
            forwarded: HashMap::new(),
        }
    }

    /// Findings so far (a stream consumer reads the new ones after each packet).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub(crate) fn report(&mut self, rule_id: &'static str, frame: u64, related: Vec<u64>, offset: Option<usize>, endpoints: Vec<String>, message: String) {
        if self.cfg.skip.iter().any(|s| s == rule_id) {
            return;
        }
        let sev = self.cfg.severity.get(rule_id).copied().or_else(|| rule(rule_id).map(|r| r.severity)).unwrap_or(Severity::Error);
        self.report_sev(rule_id, sev, frame, related, offset, endpoints, message);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn report_sev(&mut self, rule_id: &'static str, sev: Severity, frame: u64, related: Vec<u64>, offset: Option<usize>, endpoints: Vec<String>, message: String) {
        if self.cfg.skip.iter().any(|s| s == rule_id) {
            return;
        }
        let severity = self.cfg.severity.get(rule_id).copied().unwrap_or(sev);
        match severity {
            Severity::Error => self.tally.errors += 1,
            Severity::Warning => self.tally.warnings += 1,
            Severity::Info => self.tally.infos += 1,
        }
        let n = self.tally.by_rule.entry(rule_id).or_default();
        *n += 1;
        let cap = self.cfg.max_findings_per_rule;
        if cap != 0 && *n > cap as u64 {
            *self.tally.unlisted.entry(rule_id).or_default() += 1;
            return;
        }
        self.findings.push(Finding { rule: rule_id, severity, frame, related_frames: related, offset, endpoints, message });
    }

    /// Judges one packet: its 1-based number, capture time (seconds) and dissection.
    pub fn packet(&mut self, number: u64, ts: f64, d: &Dissection, frame: &[u8]) {
        self.packets += 1;
        self.now = ts;
        self.proc_due(ts);
        self.l2tp_due(ts);
        self.decoder_findings(number, d);
        for l in layers(d, frame, "mvtp") {
            if let Some(p) = Pdu::from_layer(l) {
                self.mvtp(number, ts, &p, l);
            }
        }
        for l in layers(d, frame, "mip") {
            self.mip_packet(number, l);
        }
        for l in layers(d, frame, "l2tp") {
            self.l2tp_packet(number, ts, l);
        }
        self.rfc5265_packet(number, ts, d, frame);
        self.esp_forwarding(number, d, frame);
        self.decrypted_forwarding(number, d, frame);
        if ts - self.last_sweep > 60.0 {
            self.sweep(ts);
        }
    }

    /// Decoder diagnostics with a clause become findings [spec §2.1].
    fn decoder_findings(&mut self, number: u64, d: &Dissection) {
        for pd in &d.diagnostics {
            let Some(clause) = pd.diag.clause else { continue };
            let Some(r) = rule(clause) else { continue };
            if r.scope != Scope::Decoder && !matches!(clause, "AUTH-5" | "MIP-1") {
                continue;
            }
            let layer = d.layers.get(pd.layer).map_or("", |l| l.proto);
            // "{layer}: {diagnostic}", the diagnostic as its `Display` writes it, built
            // without the formatting machinery (a malformed capture has one per packet).
            let g = &pd.diag;
            let mut m = String::with_capacity(layer.len() + g.field.len() + g.detail.len() + 48);
            m.push_str(layer);
            m.push_str(": ");
            m.push_str(g.field);
            m.push_str(" at offset ");
            crate::output::push_u64(&mut m, g.offset as u64);
            m.push_str(": ");
            m.push_str(&g.detail);
            if let Some(k) = g.kind {
                m.push_str(" (");
                m.push_str(k.as_str());
                m.push(')');
            }
            if let Some(c) = g.clause {
                m.push_str(" [");
                m.push_str(c);
                m.push(']');
            }
            self.report_sev(r.id, pd.diag.severity, number, vec![], Some(pd.diag.offset), vec![], m);
        }
    }

    fn mvtp(&mut self, number: u64, ts: f64, p: &Pdu, l: LayerRef<'_>) {
        self.packet_rules(number, p, l);
        self.proc_pdu(number, ts, p);
        // SEC-1: the SPI's high half names the connection (LEID) of the MVTP PDU inside.
        if let (Some(esp_leid), Some(spi)) = (l.uint("mvtp.esp.leid"), l.outer("esp").and_then(|e| e.uint("esp.spi"))) {
            if p.ty != mv::FAA && p.ty != mv::FAS && esp_leid != p.leid {
                self.report("SEC-1", number, vec![], Some(p.offset + 4), p.endpoints(), format!("ESP SPI {spi:#010x} carries LEID {esp_leid} in its high half, but the MVTP PDU inside belongs to LEID {}", p.leid));
            }
        }
        if p.ty == mv::RRQ && p.encap == Some(mv::ENCAP_PPP) && p.ip_src.is_none() {
            self.gateway_rrq(number, ts, p);
        }
        // L2TP-4 / L2TP-5: PPP frames and MV-DN code 3 on a gateway's access link.
        if p.ty == mv::DATA && p.ip_src.is_none() {
            self.gateway_data(number, p, l);
        }
        if p.ty == mv::DN && p.ip_src.is_none() {
            self.gateway_dn(p);
        }
        match p.ty {
            mv::FAA => {
                self.faa(number, p);
                self.advertisement_timing(number, ts, p);
            }
            mv::FAS => {
                if let Some(src) = p.mac_src {
                    self.fas_sources.insert(src, ts);
                    if !self.fa_last_adv.is_empty() {
                        self.proc_expect_fas_answer(number, ts, src);
                    }
                }
            }
            mv::RRQ => self.rrq(number, ts, p),
            mv::RRP => self.rrp(number, ts, p),
            mv::DATA => self.data(number, p),
            mv::DN => self.dn(p),
            _ => {}
        }
    }

    /// Rules on one PDU: PROC-3, AUTH-3, FMT-14, FMT-15.
    fn packet_rules(&mut self, number: u64, p: &Pdu, l: LayerRef<'_>) {
        // Rendered only for a finding (most PDUs have none).
        let eps = || p.endpoints();
        if p.ty == mv::FAA {
            if !p.avps.contains(&mv::AVP_AGENT_ADV) {
                self.report_sev("PROC-3", Severity::Error, number, vec![], Some(p.offset), eps(), "MV-FAA without a VPN Mobility Agent Advertisement AVP: clients cannot learn a care-of address from it".into());
            } else if !p.avps.contains(&mv::AVP_PREFIX_LENGTHS) {
                self.report_sev("PROC-3", Severity::Warning, number, vec![], Some(p.offset), eps(), "MV-FAA without a Prefix Lengths AVP (should carry one)".into());
            }
        }
        // AUTH-3: Mobile-Foreign follows Mobile-Home; Foreign-Home is last.
        let pos = |t| p.avps.iter().position(|&a| a == t);
        if let (Some(mh), Some(mf)) = (pos(mv::AVP_AUTH_MH), pos(mv::AVP_AUTH_MF)) {
            if mf < mh {
                self.report("AUTH-3", number, vec![], Some(p.offset), eps(), "Mobile-Foreign Authentication comes before Mobile-Home Authentication; it must follow it".into());
            }
        }
        if let Some(fh) = pos(mv::AVP_AUTH_FH) {
            if fh + 1 != p.avps.len() {
                self.report("AUTH-3", number, vec![], Some(p.offset), eps(), "Foreign-Home Authentication is not the last AVP; AVPs after it are unprotected".into());
            }
        } else {
            // Mobile-Home follows every AVP it protects: an AVP after the last
            // authentication AVP is protected by none.
            let is_auth = |t: &u64| matches!(*t, mv::AVP_AUTH_MH | mv::AVP_AUTH_MF | mv::AVP_AUTH_FH);
            if let Some(last) = p.avps.iter().rposition(is_auth) {
                if let Some(t) = p.avps.get(last + 1..).and_then(|rest| rest.iter().find(|t| !is_auth(t))) {
                    self.report("AUTH-3", number, vec![], Some(p.offset), eps(), format!("AVP type {t} follows the last authentication AVP, so no authenticator protects it; Mobile-Home Authentication must follow every AVP it protects"));
                }
            }
        }
        // FMT-4: a PDU of unknown type is kept opaque; its receiver discards it.
        if !(mv::FAA..=mv::DN).contains(&p.ty) {
            self.report_sev("FMT-4", Severity::Info, number, vec![], Some(p.offset + 1), eps(), format!("PDU of unknown type {}: kept opaque, discarded by its receiver", p.ty));
        }
        // FMT-14: the MV-DATA payload is what its Encap Type says.
        if p.ty == mv::DATA && p.payload_len > 0 {
            let want = match p.encap {
                Some(mv::ENCAP_PPP) => Some("ppp"),
                Some(mv::ENCAP_L2TP) => Some("l2tp"),
                _ => None,
            };
            if let Some(want) = want {
                let next = l.d.layers.get(l.index + 1).map(|x| x.proto);
                let stopped_inside = l.d.stopped.as_ref().is_some_and(|_| l.d.diagnostics.iter().any(|pd| pd.layer > l.index && pd.diag.severity == Severity::Error));
                if next != Some(want) || stopped_inside {
                    self.report("FMT-14", number, vec![], Some(p.offset), eps(), format!("MV-DATA with Encap Type {} carries a payload that is not a well-formed {}", p.encap.unwrap_or(0), if want == "ppp" { "PPP frame" } else { "L2TP message" }));
                }
            }
        }
        // FMT-15: data-link discovery goes to the MVTP multicast address (an MV-FAA may answer an MV-FAS unicast).
        if let Some(dst) = p.mac_dst {
            let to_group = dst == mv::MULTICAST;
            if p.ty == mv::FAS && !to_group {
                self.report("FMT-15", number, vec![], Some(p.offset), eps(), format!("MV-FAS sent to {} instead of the MVTP multicast address 03:4d:56:54:50:00", mac_str(dst)));
            }
            if p.ty == mv::FAA && !to_group && !self.fas_sources.contains_key(&dst) {
                self.report("FMT-15", number, vec![], Some(p.offset), eps(), format!("MV-FAA sent unicast to {} which sent no MV-FAS", mac_str(dst)));
            }
        }
    }

    /// PROC-2: advertisement sequence numbers per FA.
    fn faa(&mut self, number: u64, p: &Pdu) {
        let fa = p.mac_src.map(mac_str).or_else(|| p.ip_src.map(|a| std::net::Ipv4Addr::from(a).to_string()));
        let (Some(fa), Some(seq)) = (fa, p.agent_seq) else { return };
        if let Some(&(last, last_frame)) = self.fa_seq.get(&fa) {
            if seq < last {
                if seq < mv::SEQ_WRAP_TO {
                    self.report_sev("PROC-2", Severity::Info, number, vec![last_frame], Some(p.offset), vec![fa.clone()], format!("FA {fa} restarted: advertisement sequence {seq} after {last}; its clients re-register"));
                } else if !(last == 0xFFFF && seq == mv::SEQ_WRAP_TO) {
                    self.report_sev("PROC-2", Severity::Warning, number, vec![last_frame], Some(p.offset), vec![fa.clone()], format!("FA {fa} advertisement sequence went back from {last} to {seq}"));
                }
            }
        }
        self.fa_seq.insert(fa, (seq, number));
    }

    fn rrq(&mut self, number: u64, ts: f64, p: &Pdu) {
        let (Some(cid), Some(low)) = (p.cid, p.ident_low()) else { return };
        // A request is keyed by what its reply echoes (Connect ID, low-order Identification
        // bits); a retransmission whose Identification differs only in the high-order bits
        // (a timestamp one whole second later) is a new request, not a copy of the old one.
        let first_copy = self.pending.get(&(cid, low)).is_none_or(|r| r.pdu.ident != p.ident);
        if first_copy {
            self.pending.insert((cid, low), PendingRrq { frame: number, ts, pdu: p.clone() });
        }
        if let Some(coa) = p.ip_src {
            self.forwarded.insert((cid, low), (coa, p.leid, number));
        }
        // Rendered only for a finding (most PDUs have none).
        let eps = || p.endpoints();
        // PROC-5: the LEID the FA writes is unique among its clients.
        if let (Some(coa), Some(gid)) = (p.ip_src, &p.gid) {
            if let Some(other) = self.leid_holder(coa, p.leid, gid) {
                self.report("PROC-5", number, vec![], Some(p.offset + 4), eps(), format!("FA {} forwarded {gid}'s MV-RRQ with LEID {}, which its client {other} holds", std::net::Ipv4Addr::from(coa), p.leid));
            }
        }
        // PROC-5: in IP/GRE the FA has written a LEID and addressed the Home IP Address.
        if p.ip_src.is_some() && p.leid == 0 {
            self.report("PROC-5", number, vec![], Some(p.offset + 4), eps(), "MV-RRQ forwarded in IP/GRE with Local Endpoint ID 0: the FA must assign one".into());
        }
        // PROC-4: client discipline, judged on the client's own copies (access link); the
        // FA's relayed copy in IP/GRE carries the same Identification and is not judged here.
        if p.ip_src.is_none() {
            if p.leid != 0 {
                self.report("PROC-4", number, vec![], Some(p.offset + 4), eps(), format!("client MV-RRQ with Local Endpoint ID {} (a client sends 0)", p.leid));
            }
            let Some(gid) = p.gid.clone() else {
                self.report("PROC-4", number, vec![], Some(p.offset), eps(), "client MV-RRQ without a Global Endpoint ID AVP".into());
                return;
            };
            // A client that starts over (R = 1, more than MAX_MVTP_PDU_LIFETIME after its
            // last request) may start a new Connect ID sequence: PROC-6 accepts it by age.
            let restart = |last: &ClientLast| p.reset && ts - last.ts > self.cfg.max_pdu_lifetime;
            if let Some(last) = self.clients.get(&gid).cloned().filter(|l| !restart(l)) {
                let lc = last.pdu.cid.unwrap_or(0);
                if cid == lc {
                    if last.answered {
                        self.report("PROC-4", number, vec![last.frame], Some(p.offset + 12), eps(), format!("client {gid} reused Connect ID {cid} for a new registration attempt after it was answered"));
                    } else if last.pdu.ident == p.ident {
                        self.report("PROC-4", number, vec![last.frame], Some(p.offset + 20), eps(), format!("retransmission of Connect ID {cid} by {gid} repeats the Identification; it must be fresh"));
                    } else if (last.pdu.reset, last.pdu.roam, last.pdu.lifetime, last.pdu.encap) != (p.reset, p.roam, p.lifetime, p.encap) {
                        self.report("PROC-4", number, vec![last.frame], Some(p.offset + 8), eps(), format!("retransmission of Connect ID {cid} by {gid} changed its flags, lifetime or Encap Type"));
                    }
                } else if !newer(cid as u32, lc as u32) {
                    self.report("PROC-4", number, vec![last.frame], Some(p.offset + 12), eps(), format!("client {gid} sent Connect ID {cid}, not newer than its previous {lc} (RFC 1982)"));
                }
            }
            self.clients.insert(gid, ClientLast { frame: number, ts, pdu: p.clone(), answered: false });
        }
    }

    /// The care-of address of the FA that forwarded request (`cid`, `low`), when seen.
    pub(crate) fn forwarded_coa(&self, cid: u64, low: u32) -> Option<[u8; 4]> {
        self.forwarded.get(&(cid, low)).map(|&(coa, _, _)| coa)
    }

    /// True when this MV-RRP (Connect ID, Identification) was already judged on an
    /// earlier copy (the FA relays the server's reply).
    pub(crate) fn rrp_seen(&self, p: &Pdu) -> bool {
        matches!((p.cid, p.ident), (Some(cid), Some(ident)) if self.judged_rrp.contains_key(&(cid, ident)))
    }

    fn rrp(&mut self, number: u64, ts: f64, p: &Pdu) {
        let (Some(cid), Some(ident), Some(low)) = (p.cid, p.ident, p.ident_low()) else { return };
        // The same reply is seen in IP/GRE and again relayed on the access link: judge it once.
        if self.judged_rrp.insert((cid, ident), ts).is_some() {
            self.relay_rrp(p, ts);
            return;
        }
        // Rendered only for a finding (most PDUs have none).
        let eps = || p.endpoints();
        let exact = self.pending.contains_key(&(cid, low));
        let req = match self.pending.get(&(cid, low)).cloned() {
            Some(r) => Some(r),
            None => {
                let by_cid = self.pending.values().filter(|r| r.pdu.cid == Some(cid)).max_by_key(|r| r.frame).cloned();
                if let Some(r) = &by_cid {
                    self.report("FMT-13", number, vec![r.frame], Some(p.offset + 20), eps(), format!("MV-RRP for Connect ID {cid}: Identification low-order 32 bits {low:#010x} differ from the request's {:#010x}", r.pdu.ident_low().unwrap_or(0)));
                }
                by_cid
            }
        };
        if let Some(r) = &req {
            let q = &r.pdu;
            if (q.reset, q.roam) != (p.reset, p.roam) {
                self.report("FMT-9", number, vec![r.frame], Some(p.offset + 8), eps(), format!("MV-RRP flags R={} N={} do not echo the request's R={} N={}", p.reset as u8, p.roam as u8, q.reset as u8, q.roam as u8));
            }
            if p.code != 0 && p.lifetime != 0 {
                self.report("FMT-11", number, vec![r.frame], Some(p.offset + 10), eps(), format!("denial (code {}) grants lifetime {} s; a denial carries 0", p.code, p.lifetime));
            } else if q.lifetime == 0 && p.lifetime != 0 {
                self.report("FMT-11", number, vec![r.frame], Some(p.offset + 10), eps(), format!("reply to a deregistration grants lifetime {} s; it must carry 0", p.lifetime));
            } else if p.lifetime > q.lifetime {
                self.report("FMT-11", number, vec![r.frame], Some(p.offset + 10), eps(), format!("granted lifetime {} s exceeds the requested {} s", p.lifetime, q.lifetime));
            }
            if q.encap != p.encap {
                self.report("FMT-12", number, vec![r.frame], Some(p.offset + 12), eps(), format!("MV-RRP Encap Type {:?} differs from the request's {:?}", p.encap, q.encap));
            }
            if q.auth_failed && p.code == 0 {
                self.report("AUTH-5", number, vec![r.frame], Some(p.offset + 9), eps(), "a request whose authenticator failed was accepted (code 0); it must be denied (131 by a server, 67 by an FA)".into());
            } else if q.auth_failed && p.code != mv::CODE_SERVER_AUTH && p.code != mv::CODE_FA_AUTH {
                self.report("AUTH-5", number, vec![r.frame], Some(p.offset + 9), eps(), format!("a request whose authenticator failed was denied with code {}; expected 131 (server) or 67 (FA)", p.code));
            }
            if !mv::FA_CODES.contains(&p.code) && !q.auth_failed {
                self.server_validity(number, ts, r, p);
            }
            // The client takes the reply as its answer only when it echoes the request's
            // Identification and, where AUTH-4 requires one, carries a Mobile-Home
            // authenticator that verifies; otherwise it keeps retransmitting [PROC-4, AUTH-5].
            let needs_mh = matches!(p.encap, Some(0) | Some(mv::ENCAP_L2TP)) && !mv::FA_CODES.contains(&p.code);
            // In IP/GRE it must also go to the FA that forwarded the request [PROC-8].
            let to_its_fa = match (p.ip_dst, self.forwarded.get(&(cid, low))) {
                (Some(dst), Some(&(coa, _, _))) => dst == coa,
                _ => true,
            };
            let acceptable = exact && to_its_fa && !p.auth_failed && (!needs_mh || p.avps.contains(&mv::AVP_AUTH_MH));
            if let (Some(gid), true) = (&q.gid, acceptable) {
                if let Some(c) = self.clients.get_mut(gid) {
                    if c.pdu.cid == Some(cid) {
                        c.answered = true;
                    }
                }
            }
        }
        if let (Some(r), 0) = (&req, p.code) {
            if r.pdu.encap == Some(mv::ENCAP_PPP) {
                self.gateway_rrp(number, r.frame, &r.pdu, p);
            }
        }
        self.relay_rrp(p, ts);
    }

    /// PROC-6 / PROC-7: what the server should have answered, given its mobility record.
    fn server_validity(&mut self, number: u64, ts: f64, req: &PendingRrq, p: &Pdu) {
        let (Some(gid), Some(cid)) = (req.pdu.gid.clone(), p.cid) else { return };
        // Gateway mode (Encap Type 1) has no MVTP server (§7, AUTH-4): no server record to
        // judge (PROC-6/7, AUTH-6); the LNS decides by Call Serial Number (L2TP-6). The
        // accepted registration still binds the client to its gateway.
        if req.pdu.encap == Some(mv::ENCAP_PPP) {
            if p.code == 0 {
                let answer = (p.code, p.lifetime, p.reset, p.roam, p.leid);
                self.records.insert(gid.clone(), Record { cid, ts, frame: number, answer });
                self.proc_accepted(number, ts, &gid, req.frame, &req.pdu, p);
            }
            return;
        }
        // Rendered only for a finding (most PDUs have none).
        let eps = || p.endpoints();
        // AUTH-6 comes before the Connect ID check (131 → 133 → 137).
        if let Some(ident) = req.pdu.ident.map(u64::from_be_bytes) {
            if let Some(bad) = self.replay_problem(&gid, ident, req.ts) {
                if p.code == 0 {
                    // Accepting it breaks replay protection; the Connect ID is judged too below
                    // (a stale Connect ID accepted as well is a second fault, PROC-7).
                    self.report("AUTH-6", number, vec![req.frame], Some(p.offset + 9), eps(), format!("server accepted a request from {gid} whose Identification {bad}; it must answer 133"));
                } else {
                    return; // a rejection (133 or other): the server stopped before the Connect ID
                }
            } else if p.code == mv::CODE_IDENT {
                self.report("AUTH-6", number, vec![req.frame], Some(p.offset + 9), eps(), format!("server answered 133 (identification mismatch) to a fresh Identification from {gid}"));
                return;
            }
            if p.code == 0 {
                self.last_ident.insert(gid.clone(), ident);
            }
        }
        let answer = (p.code, p.lifetime, p.reset, p.roam, p.leid);
        let Some(rec) = self.records.get(&gid).cloned() else {
            if p.code == 0 {
                self.proc_8(number, p);
                self.records.insert(gid.clone(), Record { cid, ts, frame: number, answer });
                self.proc_accepted(number, ts, &gid, req.frame, &req.pdu, p);
            }
            return;
        };
        // The server decides when it answers: the record's age at the reply (a request held
        // back in the network may have been captured first long before).
        let age = ts - rec.ts;
        let fresh = age <= self.cfg.max_pdu_lifetime;
        let rc = rec.cid as u32;
        if !fresh || newer(cid as u32, rc) {
            // Valid request [PROC-6].
            if p.code == 0 {
                self.proc_8(number, p);
            }
            if p.code == mv::CODE_STALE {
                self.report("PROC-6", number, vec![req.frame, rec.frame], Some(p.offset + 9), eps(), format!("server answered code 137 (stale) to Connect ID {cid} from {gid}, which is valid (record Connect ID {}, age {age:.1} s)", rec.cid));
            } else if p.code == 0 {
                self.records.insert(gid.clone(), Record { cid, ts, frame: number, answer });
                self.proc_accepted(number, ts, &gid, req.frame, &req.pdu, p);
            }
        } else if cid as u32 == rc {
            // Retransmission [PROC-7]: the same answer again.
            if answer != rec.answer {
                self.report("PROC-7", number, vec![req.frame, rec.frame], Some(p.offset + 8), eps(), format!("retransmitted Connect ID {cid} from {gid} got a different answer (code/lifetime/flags/LEID {:?} vs {:?})", answer, rec.answer));
            }
        } else if p.code != mv::CODE_STALE {
            self.report("PROC-7", number, vec![req.frame, rec.frame], Some(p.offset + 9), eps(), format!("server answered code {} to stale Connect ID {cid} from {gid} (its record holds the newer {} from {age:.1} s before); it must answer 137 and change nothing", p.code, rec.cid));
        }
    }

    /// PROC-8: the server answers a valid request in IP/GRE to the care-of address the
    /// request came from, with the LEID the FA wrote into it.
    fn proc_8(&mut self, number: u64, p: &Pdu) {
        let (Some(cid), Some(low), Some(dst)) = (p.cid, p.ident_low(), p.ip_dst) else { return };
        let Some(&(coa, leid, req_frame)) = self.forwarded.get(&(cid, low)) else { return };
        let (coa_s, dst_s) = (std::net::Ipv4Addr::from(coa), std::net::Ipv4Addr::from(dst));
        if dst != coa {
            self.report("PROC-8", number, vec![req_frame], None, p.endpoints(), format!("MV-RRP sent to {dst_s}, but the request came from care-of address {coa_s}"));
        } else if p.leid != leid {
            self.report("PROC-8", number, vec![req_frame], Some(p.offset + 4), p.endpoints(), format!("MV-RRP carries LEID {}, but the FA's request carried {leid}", p.leid));
        }
    }

    /// Why `ident` fails replay protection at capture time `ts`, if it does and the client
    /// uses timestamps (RFC 5944 §5.7; a value more than a day from the capture clock is
    /// taken for a nonce and not judged).
    fn replay_problem(&self, gid: &str, ident: u64, ts: f64) -> Option<String> {
        const NTP_UNIX_OFFSET: f64 = 2_208_988_800.0;
        let secs = (ident >> 32) as f64 + (ident & 0xFFFF_FFFF) as f64 / 4_294_967_296.0 - NTP_UNIX_OFFSET;
        let skew = secs - ts;
        if skew.abs() > 86_400.0 {
            return None;
        }
        if skew.abs() > self.cfg.replay_window {
            return Some(format!("is {skew:+.1} s from the receiver's clock (window {} s)", self.cfg.replay_window));
        }
        match self.last_ident.get(gid) {
            Some(&last) if ident <= last => Some(format!("{ident:#018x} is not newer than the last accepted {last:#018x}")),
            _ => None,
        }
    }

    /// PROC-1: an FA advertises periodically and answers an MV-FAS at once.
    fn advertisement_timing(&mut self, number: u64, ts: f64, p: &Pdu) {
        let Some(fa) = p.mac_src else { return };
        if p.mac_dst == Some(mv::MULTICAST) {
            if let Some(&(last, last_frame)) = self.fa_last_adv.get(&fa) {
                let gap = ts - last;
                if gap > 3.0 * self.cfg.adv_period {
                    self.report("PROC-1", number, vec![last_frame], None, vec![mac_str(fa)], format!("FA {} sent no MV-FAA for {gap:.1} s (period {} s)", mac_str(fa), self.cfg.adv_period));
                }
            }
            self.fa_last_adv.insert(fa, (ts, number));
        }
    }

    /// SEC-2 ("it never decrypts"): IPv4/GRE/MVTP sent to a client on the access link.
    /// MVTP reaches a client in data-link framing; IP/GRE only travels there as the FA's
    /// unchanged forward of Mobile IPsec ESP, so a plaintext IP/GRE/MVTP packet to a
    /// client with an open connection is a forward the FA decrypted.
    fn decrypted_forwarding(&mut self, number: u64, d: &Dissection, frame: &[u8]) {
        if d.has_proto("esp") || !d.has_proto("gre") {
            return;
        }
        let Some(pdu) = layers(d, frame, "mvtp").next() else { return };
        if pdu.outer("gre").is_none() {
            return;
        }
        let Some(eth) = layers(d, frame, "eth").next() else { return };
        let Some(Value::Mac(client)) = eth.get("eth.dst").map(|f| f.value.clone()) else { return };
        if !self.conns.iter().any(|((m, _), c)| *m == client && c.open) {
            return;
        }
        let leid = pdu.uint("mvtp.leid").unwrap_or(0);
        self.report("SEC-2", number, vec![], None, vec![mac_str(client)], format!("IP/GRE/MVTP (LEID {leid}) forwarded to {} without ESP: the FA decrypted a Mobile IPsec packet it must forward unchanged", mac_str(client)));
    }

    /// SEC-2: ESP to a client on the access link goes to the client whose LEID is
    /// SPI >> 16, in SNAP framing with type 0x0800.
    fn esp_forwarding(&mut self, number: u64, d: &Dissection, frame: &[u8]) {
        let Some(esp) = layers(d, frame, "esp").next() else { return };
        let Some(spi) = esp.uint("esp.spi") else { return };
        let Some(eth) = layers(d, frame, "eth").next() else { return };
        let Some(Value::Mac(client)) = eth.get("eth.dst").map(|f| f.value.clone()) else { return };
        let leid = spi >> 16;
        let client_conns: Vec<u64> = self.conns.iter().filter(|((m, _), c)| *m == client && c.open).map(|((_, l), _)| *l).collect();
        if client_conns.is_empty() {
            return; // not a client we know: the packet may be on another link
        }
        let eps = vec![mac_str(client)];
        if !client_conns.contains(&leid) {
            self.report("SEC-2", number, vec![], None, eps, format!("ESP SPI {spi:#010x} (LEID {leid}) forwarded to {}, whose open connection has LEID {:?}", mac_str(client), client_conns));
        } else if layers(d, frame, "llc").next().is_none() {
            self.report("SEC-2", number, vec![], None, eps, format!("ESP for LEID {leid} forwarded to {} without SNAP framing (LLC/SNAP type 0x0800 required)", mac_str(client)));
        }
    }

    /// An MV-RRP code 0 relayed on the access link opens the connection [PROC-9].
    fn relay_rrp(&mut self, p: &Pdu, ts: f64) {
        if let (Some(client), 0) = (p.mac_dst, p.code) {
            let encap = self.pending.values().find(|r| r.pdu.cid == p.cid).and_then(|r| r.pdu.encap).or(p.encap);
            self.conns.insert((client, p.leid), Conn { open: true, encap, cid: p.cid, ts });
        }
    }

    /// PROC-11 / PROC-13 on the access link.
    fn data(&mut self, number: u64, p: &Pdu) {
        // Rendered only for a finding (most PDUs have none).
        let eps = || p.endpoints();
        for mac in [p.mac_src, p.mac_dst].into_iter().flatten() {
            if let Some(c) = self.conns.get(&(mac, p.leid)).cloned() {
                if !c.open {
                    self.report("PROC-11", number, vec![], Some(p.offset + 4), eps(), format!("MV-DATA on closed connection LEID {} of {}", p.leid, mac_str(mac)));
                    if p.mac_src == Some(mac) {
                        self.proc_expect_invalid_answer(number, self.procs_now(), mac, p.leid);
                    }
                } else if c.encap.is_some() && c.encap != p.encap {
                    self.report("PROC-13", number, vec![], Some(p.offset + 8), eps(), format!("MV-DATA Encap Type {:?} differs from the registered {:?}", p.encap, c.encap));
                }
                return;
            }
        }
        if let (Some(src), false) = (p.mac_src, self.cfg.partial_capture) {
            self.report("PROC-11", number, vec![], Some(p.offset + 4), eps(), format!("MV-DATA with LEID {} on a connection that was never opened (no MV-RRP code 0 relayed to this client)", p.leid));
            self.proc_expect_invalid_answer(number, self.procs_now(), src, p.leid);
        }
    }

    fn dn(&mut self, p: &Pdu) {
        for mac in [p.mac_src, p.mac_dst].into_iter().flatten() {
            if let Some(c) = self.conns.get_mut(&(mac, p.leid)) {
                if c.cid == p.cid {
                    c.open = false;
                }
            }
        }
    }

    /// MIP-1 (TNC only in replies) and MIP-6 (T bit through the VPN).
    fn mip_packet(&mut self, number: u64, l: LayerRef<'_>) {
        if l.uint("mip.type") != Some(mip::RRQ) {
            return;
        }
        let at = l.d.layers[l.index].range.start as usize;
        if l.get("mip.tnc").is_some() {
            self.report("MIP-1", number, vec![], Some(at), vec![], "Registration Request carries the Trusted Networks Configured extension; only an internal home agent's reply may".into());
        }
        if l.outer("esp").is_some() && l.flag("mip.t") == Some(false) {
            self.report("MIP-6", number, vec![], Some(at + 1), vec![], "inner registration through the VPN without the T bit (reverse tunnelling)".into());
        }
    }

    fn sweep(&mut self, now: f64) {
        self.last_sweep = now;
        let keep = self.cfg.idle_expiry;
        self.pending.retain(|_, r| now - r.ts < keep);
        self.records.retain(|_, r| now - r.ts < keep);
        self.judged_rrp.retain(|_, t| now - *t < keep);
        let pending = &self.pending;
        self.forwarded.retain(|k, _| pending.contains_key(k));
        self.clients.retain(|_, c| now - c.ts < keep);
        self.conns.retain(|_, c| now - c.ts < keep);
        self.fas_sources.retain(|_, t| now - *t < keep);
        self.rfc5265.sweep(now, keep);
    }

    fn procs_now(&self) -> f64 {
        self.now
    }

    /// Capture time of the packet being judged.
    pub(crate) fn procs_now_pub(&self) -> f64 {
        self.now
    }

    /// Ends the run: the report, with the rules that could not be evaluated.
    pub fn finish(mut self, keys_given: bool) -> Report {
        let end = self.now;
        self.proc_due(end);
        self.l2tp_due(end);
        let summary = Summary { packets: self.packets, ..std::mem::take(&mut self.tally) };
        let mut not_evaluated = Vec::new();
        for r in CATALOGUE {
            if self.cfg.skip.iter().any(|s| s == r.id) {
                not_evaluated.push(NotEvaluated { rule: r.id, reason: "skipped by configuration".into() });
            } else if matches!(r.scope, Scope::Stateful | Scope::Packet) && !IMPLEMENTED.contains(&r.id) {
                not_evaluated.push(NotEvaluated { rule: r.id, reason: format!("not implemented yet (needs {})", r.needs) });
            } else if r.id == "AUTH-5" && !keys_given {
                not_evaluated.push(NotEvaluated { rule: r.id, reason: "no keys given (--keys): authenticators cannot be verified".into() });
            }
        }
        let mut findings = self.findings;
        findings.sort_by_key(|f| f.frame);
        Report { schema: "mvtp-check/1", findings, not_evaluated, summary }
    }
}

/// Packet and stateful rules this engine evaluates today.
pub const IMPLEMENTED: &[&str] = &[
    "FMT-9", "FMT-11", "FMT-12", "FMT-13", "FMT-14", "FMT-15", "AUTH-3", "AUTH-5", "AUTH-6", "PROC-1", "PROC-2", "PROC-8", "PROC-3", "PROC-4", "PROC-5", "PROC-6",
    "PROC-7", "PROC-10", "PROC-11", "PROC-12", "PROC-13", "PROC-14", "PROC-15", "AUTH-4", "AUTH-7", "SEC-1", "L2TP-1", "L2TP-2", "L2TP-3", "L2TP-4", "L2TP-5", "L2TP-6", "L2TP-7", "MIP-1", "MIP-2", "MIP-3", "MIP-4", "MIP-5", "MIP-6", "SEC-2",
    "RFC2661-5.8", "RFC2661-3.1", "RFC5944-3.4",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BufferId, Field, Layer};

    /// Bounded memory on captures where a rule breaks on every packet: past
    /// `max_findings_per_rule` a finding is counted (summary, exit status) but not listed.
    #[test]
    fn findings_past_the_per_rule_cap_are_counted_not_listed() {
        let mut c = Checker::new(CheckConfig { max_findings_per_rule: 2, ..Default::default() });
        for f in 1..=5 {
            c.report_sev("PROC-11", Severity::Error, f, vec![], None, vec![], "m".into());
        }
        c.report_sev("FMT-3", Severity::Warning, 6, vec![], None, vec![], "w".into());
        assert_eq!(c.findings().len(), 3);
        let r = c.finish(false);
        assert_eq!((r.summary.errors, r.summary.warnings), (5, 1));
        assert_eq!(r.summary.by_rule.get("PROC-11"), Some(&5));
        assert_eq!(r.summary.unlisted.get("PROC-11"), Some(&3));
        assert_eq!(r.summary.unlisted.get("FMT-3"), None);
        let t = crate::check::report::render(&r, crate::check::report::Format::Text, "x");
        assert!(t.contains("PROC-11 (5 findings)") && t.contains("and 3 more"), "{t}");
        let mut all = Checker::new(CheckConfig { max_findings_per_rule: 0, ..Default::default() });
        for f in 1..=5 {
            all.report_sev("PROC-11", Severity::Error, f, vec![], None, vec![], "m".into());
        }
        assert_eq!(all.findings().len(), 5);
    }

    const FA_MAC: [u8; 6] = [0, 0x1e, 0x49, 0x7a, 0x10, 1];
    const CLIENT: [u8; 6] = [0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d];
    const COA: [u8; 4] = [198, 51, 100, 20];
    const SERVER: [u8; 4] = [203, 0, 113, 5];

    /// How a PDU travels.
    #[derive(Clone, Copy)]
    enum Via {
        /// Ethernet from → to.
        Link([u8; 6], [u8; 6]),
        /// IPv4/GRE from → to.
        Gre([u8; 4], [u8; 4]),
    }

    /// A packet: the frame is the 8 Identification octets; `mvtp.ident` points at them.
    struct Pkt {
        d: Dissection,
        frame: Vec<u8>,
    }

    fn layer(d: &mut Dissection, proto: &'static str, fields: Vec<(&'static str, Value)>) {
        let start = d.fields.len() as u32;
        for (name, value) in fields {
            let range = if name == "mvtp.ident" { 0..8 } else { 0..0 };
            d.fields.push(Field { name, buffer: BufferId::Frame, range, value, depth: 0 });
        }
        d.layers.push(Layer { proto, buffer: BufferId::Frame, range: 0..8, fields: start..d.fields.len() as u32 });
    }

    fn pdu(via: Via, ty: u64, extra: Vec<(&'static str, Value)>, ident: u64) -> Pkt {
        let mut d = Dissection::default();
        match via {
            Via::Link(s, t) => layer(&mut d, "eth", vec![("eth.dst", Value::Mac(t)), ("eth.src", Value::Mac(s))]),
            Via::Gre(s, t) => {
                layer(&mut d, "ip", vec![("ip.src", Value::Ipv4(s)), ("ip.dst", Value::Ipv4(t))]);
                layer(&mut d, "gre", vec![("gre.proto", Value::U64(0x88b5))]);
            }
        }
        let mut f = vec![("mvtp.type", Value::U64(ty))];
        f.extend(extra);
        if ty != mv::FAA && ty != mv::FAS {
            f.push(("mvtp.ident", Value::Bytes));
        }
        layer(&mut d, "mvtp", f);
        Pkt { d, frame: ident.to_be_bytes().to_vec() }
    }

    fn rrq(via: Via, cid: u64, leid: u64, reset: bool, lifetime: u64, ident: u64) -> Pkt {
        pdu(
            via,
            mv::RRQ,
            vec![
                ("mvtp.leid", Value::U64(leid)),
                ("mvtp.flags.reset", Value::Bool(reset)),
                ("mvtp.flags.roam_notify", Value::Bool(false)),
                ("mvtp.code", Value::U64(0)),
                ("mvtp.lifetime", Value::U64(lifetime)),
                ("mvtp.encap", Value::U64(2)),
                ("mvtp.connect_id", Value::U64(cid)),
                ("mvtp.gid.class", Value::U64(3)),
                ("mvtp.gid.address", Value::Mac(CLIENT)),
                ("mvtp.avp.type", Value::U64(1)),
                ("mvtp.avp.type", Value::U64(4)),
            ],
            ident,
        )
    }

    fn rrp(via: Via, cid: u64, leid: u64, reset: bool, code: u64, lifetime: u64, ident: u64) -> Pkt {
        pdu(
            via,
            mv::RRP,
            vec![
                ("mvtp.leid", Value::U64(leid)),
                ("mvtp.flags.reset", Value::Bool(reset)),
                ("mvtp.flags.roam_notify", Value::Bool(false)),
                ("mvtp.code", Value::U64(code)),
                ("mvtp.lifetime", Value::U64(lifetime)),
                ("mvtp.encap", Value::U64(2)),
                ("mvtp.connect_id", Value::U64(cid)),
                ("mvtp.avp.type", Value::U64(4)),
            ],
            ident,
        )
    }

    fn faa(seq: u64) -> Pkt {
        pdu(
            Via::Link(FA_MAC, mv::MULTICAST),
            mv::FAA,
            vec![("mvtp.leid", Value::U64(0)), ("mvtp.agent.seq", Value::U64(seq)), ("mvtp.avp.type", Value::U64(2)), ("mvtp.avp.type", Value::U64(3))],
            0,
        )
    }

    fn run(pkts: &[(f64, Pkt)]) -> Vec<(&'static str, u64, Severity)> {
        let mut c = Checker::new(CheckConfig::default());
        for (i, (ts, p)) in pkts.iter().enumerate() {
            c.packet(i as u64 + 1, *ts, &p.d, &p.frame);
        }
        c.finish(true).findings.iter().map(|f| (f.rule, f.frame, f.severity)).collect()
    }

    const UP: Via = Via::Gre(COA, SERVER);
    const DOWN: Via = Via::Gre(SERVER, COA);

    /// A clean registration, seen on both links, then a re-registration: no finding.
    #[test]
    fn clean_registration_has_no_findings() {
        let link_up = Via::Link(CLIENT, FA_MAC);
        let link_down = Via::Link(FA_MAC, CLIENT);
        let f = run(&[
            (0.0, faa(0)),
            (0.5, rrq(link_up, 1001, 0, true, 1800, 0xAAAA_0000_0000_0001)),
            (0.51, rrq(UP, 1001, 5, true, 1800, 0xAAAA_0000_0000_0001)),
            // the server's Identification: its own high 32 bits, the request's low 32 [FMT-13]
            (0.55, rrp(DOWN, 1001, 5, true, 0, 1800, 0xBBBB_0000_0000_0001)),
            (0.56, rrp(link_down, 1001, 5, true, 0, 1800, 0xBBBB_0000_0000_0001)),
            (1.0, faa(1)),
            (1440.0, rrq(link_up, 1002, 0, false, 1800, 0xAAAA_0000_0000_0002)),
            (1440.01, rrq(UP, 1002, 5, false, 1800, 0xAAAA_0000_0000_0002)),
            (1440.05, rrp(DOWN, 1002, 5, false, 0, 1800, 0xBBBB_0000_0000_0002)),
        ]);
        assert_eq!(f, vec![]);
    }

    #[test]
    fn proc_7_server_accepting_a_stale_connect_id() {
        let f = run(&[
            (0.0, rrq(UP, 10, 5, true, 1800, 1)),
            (0.1, rrp(DOWN, 10, 5, true, 0, 1800, 1)),
            (1.0, rrq(UP, 9, 5, true, 1800, 2)),
            (1.1, rrp(DOWN, 9, 5, true, 0, 1800, 2)),
        ]);
        assert_eq!(f, vec![("PROC-7", 4, Severity::Error)]);
    }

    #[test]
    fn proc_7_retransmission_answered_differently_and_proc_6_valid_called_stale() {
        let f = run(&[
            (0.0, rrq(UP, 10, 5, true, 1800, 1)),
            (0.1, rrp(DOWN, 10, 5, true, 0, 1800, 1)),
            (1.0, rrq(UP, 10, 5, true, 1800, 2)),
            (1.1, rrp(DOWN, 10, 5, true, 0, 900, 2)), // same Connect ID, other lifetime
            (2.0, rrq(UP, 11, 5, false, 1800, 3)),
            (2.1, rrp(DOWN, 11, 5, false, 137, 0, 3)), // newer Connect ID called stale
        ]);
        assert_eq!(f, vec![("PROC-7", 4, Severity::Error), ("PROC-6", 6, Severity::Error)]);
    }

    #[test]
    fn proc_6_old_record_makes_any_connect_id_valid() {
        let f = run(&[
            (0.0, rrq(UP, 10, 5, true, 1800, 1)),
            (0.1, rrp(DOWN, 10, 5, true, 0, 1800, 1)),
            (30.0, rrq(UP, 3, 5, true, 1800, 2)), // older, but the record is 30 s old > 10 s
            (30.1, rrp(DOWN, 3, 5, true, 0, 1800, 2)),
        ]);
        assert_eq!(f, vec![]);
    }

    #[test]
    fn fmt_9_11_12_13_reply_against_request() {
        let mut bad_encap = rrp(DOWN, 20, 5, true, 0, 1800, 7);
        for fl in &mut bad_encap.d.fields {
            if fl.name == "mvtp.encap" {
                fl.value = Value::U64(1);
            }
        }
        let f = run(&[
            (0.0, rrq(UP, 20, 5, true, 600, 7)),
            (0.1, rrp(DOWN, 20, 5, false, 0, 1800, 7)), // R not echoed, lifetime too long
            (1.0, rrq(UP, 21, 5, false, 600, 8)),
            (1.1, rrp(DOWN, 21, 5, false, 66, 600, 8)), // denial with a lifetime
            (2.0, rrq(UP, 22, 5, false, 600, 0x0000_0001_0000_0009)),
            (2.1, rrp(DOWN, 22, 5, false, 0, 600, 0x0000_0002_0000_000A)), // low bits differ
            (3.0, rrq(UP, 20, 5, true, 1800, 0x55)),
            (3.1, bad_encap),
        ]);
        let rules: Vec<_> = f.iter().map(|x| (x.0, x.1)).collect();
        assert!(rules.contains(&("FMT-9", 2)), "{f:?}");
        assert!(rules.contains(&("FMT-11", 2)), "{f:?}");
        assert!(rules.contains(&("FMT-11", 4)), "{f:?}");
        assert!(rules.contains(&("FMT-13", 6)), "{f:?}");
    }

    #[test]
    fn proc_2_restart_is_info_decrease_is_warning_wrap_is_fine() {
        let f = run(&[(0.0, faa(500)), (1.0, faa(501)), (2.0, faa(3)), (3.0, faa(4)), (4.0, faa(300)), (5.0, faa(299)), (6.0, faa(0xFFFF)), (7.0, faa(256))]);
        assert_eq!(f, vec![("PROC-2", 3, Severity::Info), ("PROC-2", 6, Severity::Warning)]);
    }

    #[test]
    fn proc_4_client_connect_id_discipline() {
        let up = Via::Link(CLIENT, FA_MAC);
        let down = Via::Link(FA_MAC, CLIENT);
        let f = run(&[
            (0.0, rrq(up, 100, 0, true, 1800, 1)),
            (1.0, rrq(up, 100, 0, true, 1800, 1)), // retransmission repeating the Identification
            (2.0, rrp(down, 100, 5, true, 0, 1800, 1)),
            (3.0, rrq(up, 100, 0, false, 1800, 3)), // new attempt reusing the Connect ID
            (4.0, rrq(up, 99, 0, false, 1800, 4)),  // older Connect ID
        ]);
        let rules: Vec<_> = f.iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(rules, vec![("PROC-4", 2), ("PROC-4", 4), ("PROC-4", 5)]);
    }

    #[test]
    fn proc_11_data_before_registration_and_after_close() {
        let up = Via::Link(CLIENT, FA_MAC);
        let data = |leid| pdu(up, mv::DATA, vec![("mvtp.leid", Value::U64(leid)), ("mvtp.encap", Value::U64(2)), ("mvtp.payload_length", Value::U64(0))], 0);
        let f = run(&[(0.0, data(5))]);
        assert_eq!(f, vec![("PROC-11", 1, Severity::Error)]);
        let mut c = Checker::new(CheckConfig { partial_capture: true, ..Default::default() });
        let p = data(5);
        c.packet(1, 0.0, &p.d, &p.frame);
        assert!(c.findings().is_empty(), "partial captures do not judge never-seen connections");
    }


    /// NTP timestamp Identification for capture time `ts` (seconds since 1970).
    fn ntp(ts: f64) -> u64 {
        ((ts as u64 + 2_208_988_800) << 32) | 0x1234
    }

    #[test]
    fn auth_6_replay_protection_with_timestamps() {
        let t0 = 1_767_225_600.0;
        let f = run(&[
            (t0, rrq(UP, 10, 5, true, 1800, ntp(t0))),
            (t0 + 0.1, rrp(DOWN, 10, 5, true, 0, 1800, ntp(t0))), // fresh: fine
            (t0 + 100.0, rrq(UP, 11, 5, false, 1800, ntp(t0 + 80.0))),
            (t0 + 100.1, rrp(DOWN, 11, 5, false, 0, 1800, ntp(t0 + 80.0))), // 20 s old, accepted
            (t0 + 200.0, rrq(UP, 12, 5, false, 1800, ntp(t0 + 200.0))),
            (t0 + 200.1, rrp(DOWN, 12, 5, false, 133, 0, ntp(t0 + 200.0))), // fresh, rejected 133
        ]);
        assert_eq!(f, vec![("AUTH-6", 4, Severity::Error), ("AUTH-6", 6, Severity::Error)]);
    }

    #[test]
    fn proc_1_advertisement_gaps_and_unanswered_solicitations() {
        let fas = || pdu(Via::Link(CLIENT, mv::MULTICAST), mv::FAS, vec![("mvtp.leid", Value::U64(0))], 0);
        let answer = pdu(Via::Link(FA_MAC, CLIENT), mv::FAA, vec![("mvtp.leid", Value::U64(0)), ("mvtp.agent.seq", Value::U64(2)), ("mvtp.avp.type", Value::U64(2)), ("mvtp.avp.type", Value::U64(3))], 0);
        let f = run(&[(0.0, faa(0)), (1.0, faa(1)), (1.2, fas()), (1.3, answer), (2.0, faa(3)), (6.0, faa(4)), (6.5, fas()), (9.0, faa(5))]);
        let rules: Vec<_> = f.iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(rules, vec![("PROC-1", 6), ("PROC-1", 7)], "a 4 s gap, then a solicitation nobody answered");
    }

    #[test]
    fn sec_2_esp_to_the_client_of_spi_high_half() {
        let link_down = Via::Link(FA_MAC, CLIENT);
        let esp = |spi: u64, snap: bool| {
            let mut p = pdu(link_down, mv::DATA, vec![], 0);
            p.d.layers.truncate(1);
            p.d.fields.truncate(2);
            p.d.layers[0].fields = 0..2;
            let mut add = |proto: &'static str, fields: Vec<(&'static str, Value)>| {
                let start = p.d.fields.len() as u32;
                for (name, value) in fields {
                    p.d.fields.push(Field { name, buffer: BufferId::Frame, range: 0..0, value, depth: 0 });
                }
                p.d.layers.push(Layer { proto, buffer: BufferId::Frame, range: 0..0, fields: start..p.d.fields.len() as u32 });
            };
            if snap {
                add("llc", vec![("llc.type", Value::U64(0x0800))]);
            }
            add("ip", vec![("ip.proto", Value::U64(50))]);
            add("esp", vec![("esp.spi", Value::U64(spi))]);
            p
        };
        let f = run(&[(0.0, rrp(link_down, 1, 5, true, 0, 1800, 1)), (1.0, esp(0x0005_0001, true)), (2.0, esp(0x0007_0001, true)), (3.0, esp(0x0005_0001, false))]);
        let rules: Vec<_> = f.iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(rules, vec![("SEC-2", 3), ("SEC-2", 4)]);
    }

    #[test]
    fn proc_8_reply_to_the_care_of_address_with_the_fa_leid() {
        let other = Via::Gre(SERVER, [198, 51, 100, 99]);
        let f = run(&[(0.0, rrq(UP, 10, 5, true, 1800, 1)), (0.1, rrp(other, 10, 5, true, 0, 1800, 1)), (1.0, rrq(UP, 11, 5, false, 1800, 2)), (1.1, rrp(DOWN, 11, 6, false, 0, 1800, 2))]);
        let rules: Vec<_> = f.iter().map(|x| (x.0, x.1)).collect();
        assert_eq!(rules, vec![("PROC-8", 2), ("PROC-8", 4)]);
    }

    #[test]
    fn structurally_broken_pdus_feed_no_rule() {
        let mut p = pdu(Via::Link(CLIENT, FA_MAC), mv::DN, vec![("mvtp.leid", Value::U64(5)), ("mvtp.code", Value::U64(0))], 0);
        let mvtp = p.d.layers.len() - 1;
        p.d.diagnostics.push(crate::model::PacketDiagnostic {
            layer: mvtp,
            buffer: BufferId::Frame,
            diag: codec::DecodeError::new(Kind::Version, "mvtp.version", 0, "version 15").clause("FMT-2").to_diagnostic(),
        });
        let f = run(&[(0.0, rrp(Via::Link(FA_MAC, CLIENT), 1, 5, true, 0, 1800, 1)), (1.0, p)]);
        assert_eq!(f, vec![("FMT-2", 2, Severity::Error)], "only the decoder's finding");
    }

    #[test]
    fn skipped_rules_and_overrides() {
        let mut c = Checker::new(CheckConfig { skip: vec!["PROC-7".into()], ..Default::default() });
        for (i, (ts, p)) in [(0.0, rrq(UP, 10, 5, true, 1800, 1)), (0.1, rrp(DOWN, 10, 5, true, 0, 1800, 1)), (1.0, rrq(UP, 9, 5, true, 1800, 2)), (1.1, rrp(DOWN, 9, 5, true, 0, 1800, 2))].iter().enumerate() {
            c.packet(i as u64 + 1, *ts, &p.d, &p.frame);
        }
        let r = c.finish(false);
        assert!(r.findings.is_empty());
        assert!(r.not_evaluated.iter().any(|n| n.rule == "PROC-7" && n.reason.contains("skipped")));
        assert!(r.not_evaluated.iter().any(|n| n.rule == "AUTH-5" && n.reason.contains("no keys")));
        for unimplemented in CATALOGUE.iter().filter(|x| matches!(x.scope, Scope::Stateful | Scope::Packet) && !IMPLEMENTED.contains(&x.id)) {
            assert!(r.not_evaluated.iter().any(|n| n.rule == unimplemented.id), "unimplemented stateful rules are listed, never silently passed");
        }
    }
}
