//! Rules across MVTP and L2TP (spec §7) and L2TP's own bookkeeping (RFC 2661): the
//! gateway's MV-RRQ → ICRQ mapping (L2TP-1, L2TP-2), MV-RRP only after ICRP (L2TP-3), PPP
//! frames relayed unchanged (L2TP-4), CDN ↔ MV-DN (L2TP-5), the mobile-aware LNS's
//! hand-off decision (L2TP-6, L2TP-7), Ns progression (RFC2661-5.8) and Tunnel/Session IDs
//! in use assigned by the peer (RFC2661-3.1).
//!
//! An L2TP end is named by the addresses of the packet that carries the message: the IPv4
//! source and destination around it, or — for L2TP inside MV-DATA on an access link
//! (Mobile L2TP, Encap Type 2) — the 802 addresses. A roam therefore starts new
//! bookkeeping for the Ns and ID rules, never a false finding.

use super::engine::{mac_str, mv, Checker, Pdu};
use crate::access::LayerRef;
use crate::model::Value;
use codec::serial::newer;
use std::collections::{HashMap, HashSet, VecDeque};

/// L2TP control message types (RFC 2661 §3.2) as `l2tp.avp.message_type` carries them.
mod msg {
    pub const ICRQ: u64 = 10;
    pub const ICRP: u64 = 11;
    pub const CDN: u64 = 14;
}

/// The hand-off AVPs' vendor (spec §1).
const HANDOFF_VENDOR: u64 = 32473;
/// MV-DN code 3: L2TP Call-Disconnect-Notify received (spec §2.5).
const DN_L2TP_CDN: u64 = 3;
/// How long an MV-RRQ waits for its ICRQ, seconds.
const GATEWAY_WINDOW_S: f64 = 10.0;
/// Seconds within which a CDN or MV-DN must follow the event that calls for it.
const CLEAR_WINDOW_S: f64 = 2.0;
/// Gateway-mode MV-RRQs remembered per GID.
const RRQ_HISTORY: usize = 8;
/// PPP frames remembered per direction and connection for L2TP-4 (bounded state).
const RELAY_QUEUE: usize = 64;

#[derive(Debug, Clone)]
struct GatewayRrq {
    frame: u64,
    cid: u64,
    reset: bool,
    ts: f64,
    client: Option<[u8; 6]>,
    fa: Option<[u8; 6]>,
}

/// A gateway's call, by (LAC address, the LAC's Session ID).
#[derive(Debug, Clone)]
struct GwCall {
    gid: String,
    /// Connect ID of the MV-RRQ that caused it.
    cid: u64,
    icrq_frame: u64,
    icrp_seen: bool,
    lns: String,
    lns_session: Option<u64>,
    client: Option<[u8; 6]>,
    fa: Option<[u8; 6]>,
}

/// A CDN that must follow: toward `to` for session `session`.
#[derive(Debug, Clone)]
struct CdnDue {
    rule: &'static str,
    due: f64,
    frame: u64,
    to: String,
    session: u64,
    message: String,
}

/// An MV-DN code 3 that must follow, from FA `fa` to `client` [L2TP-5].
#[derive(Debug, Clone)]
struct DnDue {
    due: f64,
    frame: u64,
    fa: [u8; 6],
    client: [u8; 6],
    message: String,
}

/// An ICRQ awaiting the LNS's answer; the decision is judged when the answer comes, on
/// the LNS's state at that moment (a delayed ICRQ is decided when it arrives).
#[derive(Debug, Clone)]
struct Icrq {
    gid: String,
    csn: Option<u64>,
    cont: Option<bool>,
    frame: u64,
}

/// Tunnel and Session IDs an end assigned to a peer [RFC2661-3.1].
#[derive(Debug, Default, Clone)]
struct Assigned {
    tunnels: HashSet<u64>,
    sessions: HashSet<u64>,
}

/// State of the L2TP rules.
#[derive(Debug, Default)]
pub(crate) struct L2tpState {
    /// Recent gateway-mode MV-RRQs per GID (a client that roams fast has several in flight).
    rrq: HashMap<String, Vec<GatewayRrq>>,
    calls: HashMap<(String, u64), GwCall>,
    /// The latest call of each Global Endpoint ID.
    call_of: HashMap<String, (String, u64)>,
    /// Gateway connections on the access link: (client, LEID) → Global Endpoint ID.
    gw_conn: HashMap<([u8; 6], u64), String>,
    /// LNS sessions per GID: the Call Serial Number of the session in place.
    lns: HashMap<String, Option<u64>>,
    /// ICRQs awaiting ICRP or CDN, by (LAC address, LNS address, assigned session ID).
    pending: HashMap<(String, String, u64), Icrq>,
    /// Last Ns per direction (source, destination) of non-ZLB control messages.
    ns: HashMap<(String, String), (u64, u64)>,
    /// LNS sessions per GID: (LAC address, the LAC's session ID) — for clearing on hand-off.
    lns_where: HashMap<String, (String, u64)>,
    /// CDNs that must follow.
    cdn_due: Vec<CdnDue>,
    /// MV-DNs code 3 that must follow.
    dn_due: Vec<DnDue>,
    /// IDs assigned, by (assigner, peer).
    assigned: HashMap<(String, String), Assigned>,
    /// PPP frames on their way across a gateway, per GID: toward the LNS and toward the client.
    up: HashMap<String, VecDeque<(u64, Vec<u8>)>>,
    down: HashMap<String, VecDeque<(u64, Vec<u8>)>>,
    /// Last capture time each Global Endpoint ID and each pair of L2TP ends was seen:
    /// state of one idle for `idle_expiry` seconds is dropped (bounded state).
    gid_seen: HashMap<String, f64>,
    ends_seen: HashMap<(String, String), f64>,
    last_sweep: f64,
}

/// The two ends of the packet carrying L2TP layer `l`: the IPv4 addresses around it, or
/// the 802 addresses when none (L2TP in MV-DATA on an access link).
fn ends(l: &LayerRef<'_>) -> (String, String) {
    if let Some(ip) = l.outer("ip") {
        return (
            ip.text("ip.src").unwrap_or_default(),
            ip.text("ip.dst").unwrap_or_default(),
        );
    }
    let mac = |n: &str| match l.outer("eth").and_then(|e| e.get(n)).map(|f| &f.value) {
        Some(Value::Mac(m)) => mac_str(*m),
        _ => String::new(),
    };
    (mac("eth.src"), mac("eth.dst"))
}

/// The octets of the layer after `l` when it is PPP (the frame a data message carries).
fn ppp_after(l: &LayerRef<'_>) -> Option<Vec<u8>> {
    let next = l.d.layers.get(l.index + 1).filter(|x| x.proto == "ppp")?;
    let buf = l.d.buffer(l.frame, next.buffer);
    buf.get(next.range.start as usize..next.range.end as usize)
        .map(<[u8]>::to_vec)
}

/// A Call Serial Number for a message.
fn csn_text(c: Option<u64>) -> String {
    c.map_or_else(|| "none".to_string(), |c| c.to_string())
}

fn push_bounded(q: &mut VecDeque<(u64, Vec<u8>)>, item: (u64, Vec<u8>)) {
    if q.len() >= RELAY_QUEUE {
        q.pop_front();
    }
    q.push_back(item);
}

/// L2TP-4: a relayed frame must equal one still on its way; frames before the match were
/// lost or dropped (not judged). `None`: it matches; `Some(frame)`: it differs from every
/// pending frame, the earliest of which (frame number returned) it presumably replaces.
fn relayed(q: &mut VecDeque<(u64, Vec<u8>)>, ppp: &[u8]) -> Option<u64> {
    if let Some(i) = q.iter().position(|(_, p)| p == ppp) {
        q.drain(..=i);
        return None;
    }
    q.pop_front().map(|(f, _)| f)
}

impl Checker {
    fn l2tp_now(&self) -> f64 {
        self.procs_now_pub()
    }

    /// A client's MV-DN on a gateway connection: the gateway must send CDN [L2TP-5].
    pub(crate) fn gateway_client_dn(&mut self, number: u64, gid: &str) {
        let Some(key) = self.l2tp.call_of.get(gid).cloned() else {
            return;
        };
        let Some(c) = self.l2tp.calls.get(&key).cloned() else {
            return;
        };
        let Some(session) = c.lns_session else { return };
        let ts = self.l2tp_now();
        self.l2tp.cdn_due.push(CdnDue {
            rule: "L2TP-5",
            due: ts + CLEAR_WINDOW_S,
            frame: number,
            to: c.lns,
            session,
            message: format!("the client of {gid} disconnected (MV-DN) but the gateway sent no CDN for its L2TP session {session}"),
        });
    }

    /// An MV-DN on an access link: code 3 from an FA meets an L2TP-5 obligation.
    pub(crate) fn gateway_dn(&mut self, p: &Pdu) {
        if p.code != DN_L2TP_CDN {
            return;
        }
        if let (Some(fa), Some(client)) = (p.mac_src, p.mac_dst) {
            self.l2tp
                .dn_due
                .retain(|d| !(d.fa == fa && d.client == client));
        }
    }

    fn touch_gid(&mut self, gid: &str) {
        let now = self.l2tp_now();
        self.l2tp.gid_seen.insert(gid.to_string(), now);
    }

    /// Drops the state of Global Endpoint IDs and L2TP ends idle for `idle_expiry`.
    fn l2tp_sweep(&mut self, now: f64) {
        let keep = self.cfg.idle_expiry;
        let L2tpState {
            rrq,
            calls,
            call_of,
            gw_conn,
            lns,
            pending,
            ns,
            lns_where,
            assigned,
            up,
            down,
            gid_seen,
            ends_seen,
            ..
        } = &mut self.l2tp;
        gid_seen.retain(|_, t| now - *t < keep);
        ends_seen.retain(|_, t| now - *t < keep);
        let live = |a: &String, b: &String| {
            ends_seen.contains_key(&(a.clone(), b.clone()))
                || ends_seen.contains_key(&(b.clone(), a.clone()))
        };
        rrq.retain(|g, _| gid_seen.contains_key(g));
        calls.retain(|_, c| gid_seen.contains_key(&c.gid));
        call_of.retain(|g, _| gid_seen.contains_key(g));
        gw_conn.retain(|_, g| gid_seen.contains_key(g));
        lns.retain(|g, _| gid_seen.contains_key(g));
        lns_where.retain(|g, _| gid_seen.contains_key(g));
        up.retain(|g, _| gid_seen.contains_key(g));
        down.retain(|g, _| gid_seen.contains_key(g));
        pending.retain(|(a, b, _), _| live(a, b));
        ns.retain(|(a, b), _| live(a, b));
        assigned.retain(|(a, b), _| live(a, b));
    }

    /// Obligations past their deadline become findings; idle state is dropped.
    pub(crate) fn l2tp_due(&mut self, now: f64) {
        if now - self.l2tp.last_sweep > 60.0 {
            self.l2tp.last_sweep = now;
            self.l2tp_sweep(now);
        }
        let (due, keep): (Vec<CdnDue>, Vec<CdnDue>) = std::mem::take(&mut self.l2tp.cdn_due)
            .into_iter()
            .partition(|c| c.due < now);
        self.l2tp.cdn_due = keep;
        for c in due {
            self.report(c.rule, c.frame, vec![], None, vec![c.to], c.message);
        }
        let (due, keep): (Vec<DnDue>, Vec<DnDue>) = std::mem::take(&mut self.l2tp.dn_due)
            .into_iter()
            .partition(|c| c.due < now);
        self.l2tp.dn_due = keep;
        for d in due {
            self.report(
                "L2TP-5",
                d.frame,
                vec![],
                None,
                vec![mac_str(d.fa), mac_str(d.client)],
                d.message,
            );
        }
    }

    /// An MV-RRQ in gateway mode (Encap Type 1) on the access link.
    pub(crate) fn gateway_rrq(&mut self, number: u64, ts: f64, p: &Pdu) {
        if let (Some(gid), Some(cid)) = (p.gid.clone(), p.cid) {
            self.touch_gid(&gid);
            let h = self.l2tp.rrq.entry(gid).or_default();
            if h.len() >= RRQ_HISTORY {
                h.remove(0);
            }
            h.push(GatewayRrq {
                frame: number,
                cid,
                reset: p.reset,
                ts,
                client: p.mac_src,
                fa: p.mac_dst,
            });
        }
    }

    /// An MV-RRP code 0 answering a gateway-mode request [L2TP-3].
    pub(crate) fn gateway_rrp(&mut self, number: u64, req_frame: u64, req: &Pdu, p: &Pdu) {
        let Some(gid) = &req.gid else { return };
        self.touch_gid(gid);
        if let Some(client) = p.mac_dst {
            self.l2tp
                .gw_conn
                .retain(|(c, _), g| !(*c == client && g == gid));
            self.l2tp.gw_conn.insert((client, p.leid), gid.clone());
        }
        // The call this registration caused (a client that roams fast has several).
        let own = self
            .l2tp
            .calls
            .values()
            .filter(|c| &c.gid == gid && Some(c.cid) == req.cid)
            .max_by_key(|c| c.icrq_frame)
            .cloned();
        let call = own.or_else(|| {
            self.l2tp
                .call_of
                .get(gid)
                .and_then(|k| self.l2tp.calls.get(k))
                .cloned()
        });
        match call {
            Some(c) if c.icrp_seen => {}
            Some(c) => {
                let f = c.icrq_frame;
                self.report("L2TP-3", number, vec![req_frame, f], Some(p.offset), p.endpoints(), format!("gateway accepted {gid} (MV-RRP code 0) before the LNS answered its ICRQ (frame {f}) with ICRP"));
            }
            None if self.l2tp.rrq.contains_key(gid) => {
                self.report("L2TP-3", number, vec![req_frame], Some(p.offset), p.endpoints(), format!("gateway accepted {gid} (MV-RRP code 0) without an L2TP incoming call (no ICRQ/ICRP seen)"));
            }
            None => {}
        }
    }

    /// MV-DATA with Encap Type 1 on an access link: a PPP frame that must cross the
    /// gateway unchanged [L2TP-4].
    pub(crate) fn gateway_data(&mut self, number: u64, p: &Pdu, l: LayerRef<'_>) {
        if p.encap != Some(mv::ENCAP_PPP) {
            return;
        }
        let Some(ppp) = ppp_after(&l) else { return };
        if let Some(gid) = p
            .mac_src
            .and_then(|m| self.l2tp.gw_conn.get(&(m, p.leid)))
            .cloned()
        {
            self.touch_gid(&gid);
            push_bounded(self.l2tp.up.entry(gid).or_default(), (number, ppp));
        } else if let Some(gid) = p
            .mac_dst
            .and_then(|m| self.l2tp.gw_conn.get(&(m, p.leid)))
            .cloned()
        {
            if let Some(was) = self.l2tp.down.get_mut(&gid).and_then(|q| relayed(q, &ppp)) {
                self.report("L2TP-4", number, vec![was], Some(p.offset), p.endpoints(), format!("the gateway relayed to {gid} a PPP frame (MV-DATA) that differs from the one the LNS sent (frame {was}); PPP frames cross the gateway unchanged"));
            }
        }
    }

    /// An L2TP data message of a gateway's session [L2TP-4].
    fn l2tp_data(&mut self, number: u64, l: &LayerRef<'_>, src: &str, dst: &str, at: usize) {
        let Some(session) = l.uint("l2tp.session") else {
            return;
        };
        let Some(ppp) = ppp_after(l) else { return };
        // Toward the LNS: the session is the LNS's.
        let up = self
            .l2tp
            .calls
            .values()
            .find(|c| c.lns == dst && c.lns_session == Some(session))
            .map(|c| c.gid.clone());
        if let Some(gid) =
            up.filter(|g| self.l2tp.call_of.get(g).is_some_and(|(lac, _)| lac == src))
        {
            if let Some(was) = self.l2tp.up.get_mut(&gid).and_then(|q| relayed(q, &ppp)) {
                self.report("L2TP-4", number, vec![was], Some(at), vec![src.to_string(), dst.to_string()], format!("the gateway relayed a PPP frame of {gid} to the LNS (L2TP data) that differs from the one the client sent (MV-DATA, frame {was}); PPP frames cross the gateway unchanged"));
            }
            return;
        }
        // Toward the gateway: the session is the LAC's.
        if let Some(c) = self
            .l2tp
            .calls
            .get(&(dst.to_string(), session))
            .filter(|c| c.lns == src)
        {
            let gid = c.gid.clone();
            push_bounded(self.l2tp.down.entry(gid).or_default(), (number, ppp));
        }
    }

    /// RFC 2661 §3.1: IDs a message carries were assigned by its receiver; IDs it assigns
    /// are remembered for the other direction.
    fn l2tp_ids(&mut self, number: u64, l: &LayerRef<'_>, src: &str, dst: &str, at: usize) {
        let key = (src.to_string(), dst.to_string());
        for f in l.all("l2tp.avp.assigned_tunnel_id") {
            if let Value::U64(t) = f.value {
                self.l2tp
                    .assigned
                    .entry(key.clone())
                    .or_default()
                    .tunnels
                    .insert(t);
            }
        }
        for f in l.all("l2tp.avp.assigned_session_id") {
            if let Value::U64(s) = f.value {
                self.l2tp
                    .assigned
                    .entry(key.clone())
                    .or_default()
                    .sessions
                    .insert(s);
            }
        }
        let (tunnel, session) = (
            l.uint("l2tp.tunnel").unwrap_or(0),
            l.uint("l2tp.session").unwrap_or(0),
        );
        // Judged only where the receiver's assignments were seen (the tunnel was set up in
        // the capture, so every session of it was too).
        let Some(a) = self
            .l2tp
            .assigned
            .get(&(dst.to_string(), src.to_string()))
            .filter(|a| !a.tunnels.is_empty())
        else {
            return;
        };
        let eps = vec![src.to_string(), dst.to_string()];
        if tunnel != 0 && !a.tunnels.contains(&tunnel) {
            let mut known: Vec<_> = a.tunnels.iter().copied().collect();
            known.sort_unstable();
            self.report("RFC2661-3.1", number, vec![], Some(at + 4), eps, format!("L2TP message from {src} to {dst} uses Tunnel ID {tunnel}, which {dst} never assigned (it assigned {known:?})"));
        } else if session != 0 && !a.sessions.contains(&session) {
            let mut known: Vec<_> = a.sessions.iter().copied().collect();
            known.sort_unstable();
            self.report("RFC2661-3.1", number, vec![], Some(at + 6), eps, format!("L2TP message from {src} to {dst} uses Session ID {session}, which {dst} never assigned (it assigned {known:?})"));
        }
    }

    pub(crate) fn l2tp_packet(&mut self, number: u64, ts: f64, l: LayerRef<'_>) {
        let (src, dst) = ends(&l);
        let at = l.d.layers[l.index].range.start as usize;
        self.l2tp.ends_seen.insert((src.clone(), dst.clone()), ts);
        self.l2tp_ids(number, &l, &src, &dst, at);
        if l.uint("l2tp.type") != Some(1) {
            return self.l2tp_data(number, &l, &src, &dst, at);
        }
        let mt = l.uint("l2tp.avp.message_type");
        // RFC 2661 §5.8: Ns counts non-ZLB control messages; a retransmission repeats an
        // old Ns. After a skip the count goes on from the new value (one finding per skip).
        if let (Some(ns), Some(_)) = (l.uint("l2tp.Ns"), mt) {
            let key = (src.clone(), dst.clone());
            let mut take = true;
            if let Some(&(last, last_frame)) = self.l2tp.ns.get(&key) {
                let expected = (last + 1) & 0xFFFF;
                let d = ns.wrapping_sub(last) & 0xFFFF;
                take = d != 0 && d < 0x8000;
                if take && ns != expected {
                    self.report("RFC2661-5.8", number, vec![last_frame], Some(at + 8), vec![src.clone(), dst.clone()], format!("control message Ns {ns} after {last}: expected {expected} (messages skipped or Ns not incremented per message)"));
                }
            }
            if take {
                self.l2tp.ns.insert(key, (ns, number));
            }
        }
        match mt {
            Some(msg::ICRQ) => self.icrq(number, ts, &l, src, dst, at),
            Some(msg::ICRP) => self.icrp_or_cdn(number, &l, dst, src, true, at),
            Some(msg::CDN) => self.icrp_or_cdn(number, &l, dst, src, false, at),
            _ => {}
        }
    }

    fn icrq(
        &mut self,
        number: u64,
        ts: f64,
        l: &LayerRef<'_>,
        lac: String,
        lns: String,
        at: usize,
    ) {
        let csn = l.uint("l2tp.avp.call_serial_number");
        let cont = l.flag("l2tp.handoff.continue");
        let gid = match (
            l.uint("l2tp.handoff.gid.class"),
            l.text("l2tp.handoff.gid.address"),
        ) {
            (Some(c), Some(a)) => Some(format!("{}:{a}", codec::gid::Class(c as u8).label())),
            _ => None,
        };
        let eps = vec![lac.clone(), lns.clone()];
        let lac_session = l.uint("l2tp.avp.assigned_session_id");
        // The gateway side: which MV-RRQ caused this ICRQ?
        // The MV-RRQ whose Connect ID the ICRQ carries, else the latest of that client.
        let recent = |r: &&GatewayRrq| ts - r.ts <= GATEWAY_WINDOW_S;
        let cause = match &gid {
            Some(g) => self.l2tp.rrq.get(g).and_then(|h| {
                let by_csn = h.iter().rev().filter(recent).find(|r| Some(r.cid) == csn);
                by_csn.or_else(|| h.last()).cloned().map(|r| (g.clone(), r))
            }),
            None => csn.and_then(|c| {
                self.l2tp.rrq.iter().find_map(|(g, h)| {
                    h.iter()
                        .rev()
                        .filter(recent)
                        .find(|r| r.cid == c)
                        .map(|r| (g.clone(), r.clone()))
                })
            }),
        };
        if let Some((g, r)) = cause.filter(|(_, r)| ts - r.ts <= GATEWAY_WINDOW_S) {
            if gid.is_none() || cont.is_none() {
                self.report("L2TP-1", number, vec![r.frame], Some(at), eps.clone(), format!("ICRQ for the MV-RRQ of {g} lacks the hand-off AVPs (vendor 32473 Global Endpoint ID and Session Status)"));
            } else {
                // M = 0, so that an LNS without hand-off support ignores them.
                let vendors = l.all("l2tp.avp.vendor_id").map(|f| f.value.clone());
                let m_bits = l.all("l2tp.avp.mandatory").map(|f| f.value.clone());
                if vendors
                    .zip(m_bits)
                    .any(|(v, m)| v == Value::U64(HANDOFF_VENDOR) && m == Value::Bool(true))
                {
                    self.report("L2TP-1", number, vec![r.frame], Some(at), eps.clone(), format!("ICRQ for the MV-RRQ of {g} carries a hand-off AVP (vendor 32473) with M = 1; it must be 0 so that an LNS without hand-off support ignores it"));
                }
            }
            match csn {
                None => self.report("L2TP-1", number, vec![r.frame], Some(at), eps.clone(), format!("ICRQ for the MV-RRQ of {g} has no Call Serial Number; it must equal Connect ID {}", r.cid)),
                Some(c) if c != r.cid => self.report("L2TP-1", number, vec![r.frame], Some(at), eps.clone(), format!("ICRQ Call Serial Number {c} differs from the MV-RRQ's Connect ID {}", r.cid)),
                _ => {}
            }
            if let Some(c) = cont {
                if c == r.reset {
                    self.report("L2TP-2", number, vec![r.frame], Some(at), eps.clone(), format!("Session Status Continue = {} but the MV-RRQ had Reset = {}; Continue must be NOT Reset", c as u8, r.reset as u8));
                }
            }
            if let Some(s) = lac_session {
                let key = (lac.clone(), s);
                self.l2tp.calls.insert(
                    key.clone(),
                    GwCall {
                        gid: g.clone(),
                        cid: r.cid,
                        icrq_frame: number,
                        icrp_seen: false,
                        lns: lns.clone(),
                        lns_session: None,
                        client: r.client,
                        fa: r.fa,
                    },
                );
                self.l2tp.call_of.insert(g, key);
            }
        }
        // The LNS side: judged when it answers [L2TP-6, L2TP-7].
        if let (Some(g), Some(session)) = (gid, lac_session) {
            self.touch_gid(&g);
            self.l2tp.pending.insert(
                (lac, lns, session),
                Icrq {
                    gid: g,
                    csn,
                    cont,
                    frame: number,
                },
            );
        }
    }

    fn icrp_or_cdn(
        &mut self,
        number: u64,
        l: &LayerRef<'_>,
        lac: String,
        lns: String,
        accepted: bool,
        at: usize,
    ) {
        let Some(session) = l.uint("l2tp.session") else {
            return;
        };
        let eps = vec![lns.clone(), lac.clone()];
        let key = (lac.clone(), session);
        if accepted {
            if let Some(c) = self.l2tp.calls.get_mut(&key).filter(|c| c.lns == lns) {
                c.icrp_seen = true;
                c.lns_session = l.uint("l2tp.avp.assigned_session_id");
            }
        } else {
            // A CDN: it meets the obligations for this session and, from the LNS to a
            // gateway, calls for MV-DN code 3 to the client [L2TP-5].
            self.l2tp
                .cdn_due
                .retain(|c| !(c.to == lac && c.session == session));
            if let Some(c) = self.l2tp.calls.get(&key).filter(|c| c.lns == lns).cloned() {
                if let (Some(fa), Some(client)) = (c.fa, c.client) {
                    let ts = self.l2tp_now();
                    self.l2tp.dn_due.push(DnDue {
                        due: ts + CLEAR_WINDOW_S,
                        frame: number,
                        fa,
                        client,
                        message: format!("the LNS cleared the L2TP session of {} (CDN) but the gateway {} sent no MV-DN code 3 to the client", c.gid, mac_str(fa)),
                    });
                }
                self.l2tp.calls.remove(&key);
            }
        }
        let Some(dec) = self
            .l2tp
            .pending
            .remove(&(lac.clone(), lns.clone(), session))
        else {
            return;
        };
        self.touch_gid(&dec.gid);
        let existing = self.l2tp.lns.get(&dec.gid).copied();
        let handoff = dec.cont == Some(true) && existing.is_some();
        let old_csn = existing.flatten();
        let not_newer =
            matches!((dec.csn, old_csn), (Some(n), Some(o)) if !newer(n as u32, o as u32));
        if accepted {
            if handoff && not_newer {
                self.report("L2TP-6", number, vec![dec.frame], Some(at), eps.clone(), format!("LNS accepted the hand-off of {} although its Call Serial Number {} is not newer than the session's {}", dec.gid, csn_text(dec.csn), csn_text(old_csn)));
            }
            // An accepted hand-off clears the old session with CDN [L2TP-6].
            if handoff {
                if let Some((old_lac, old_session)) = self.l2tp.lns_where.get(&dec.gid).cloned() {
                    let ts = self.l2tp_now();
                    self.l2tp.cdn_due.push(CdnDue {
                        rule: "L2TP-6",
                        due: ts + CLEAR_WINDOW_S,
                        frame: number,
                        to: old_lac,
                        session: old_session,
                        message: format!("LNS accepted the hand-off of {} but did not clear the old session (CDN, Result Code 3)", dec.gid),
                    });
                }
            }
            self.l2tp.lns_where.insert(dec.gid.clone(), (lac, session));
            self.l2tp.lns.insert(dec.gid, dec.csn);
        } else if handoff && !not_newer {
            self.report("L2TP-6", number, vec![dec.frame], Some(at), eps, format!("LNS refused the hand-off of {} although its Call Serial Number {} is newer than the session's {}", dec.gid, csn_text(dec.csn), csn_text(old_csn)));
        } else if dec.cont == Some(false) && existing.is_some() && not_newer {
            self.report("L2TP-7", number, vec![dec.frame], Some(at), eps, format!("LNS refused the call of {} (Continue = 0) whose Call Serial Number {} is not newer than the session's {}: with C = 0 the number must not be compared, PPP starts anew", dec.gid, csn_text(dec.csn), csn_text(old_csn)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{run, Pkt};
    use crate::model::Value;

    const CLIENT: [u8; 6] = [0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d];
    const FA: [u8; 6] = [0, 0x1e, 0x49, 0x7a, 0x10, 1];
    const LAC: [u8; 4] = [198, 51, 100, 20];
    const LNS: [u8; 4] = [203, 0, 113, 5];

    fn rrq(cid: u64, reset: bool) -> Pkt {
        Pkt::new()
            .layer("eth")
            .f("eth.dst", Value::Mac(FA))
            .f("eth.src", Value::Mac(CLIENT))
            .layer("mvtp")
            .u("mvtp.type", 4)
            .u("mvtp.leid", 0)
            .b("mvtp.flags.reset", reset)
            .b("mvtp.flags.roam_notify", false)
            .u("mvtp.lifetime", 1800)
            .u("mvtp.encap", 1)
            .u("mvtp.connect_id", cid)
            .bytes("mvtp.ident", &[0, 0, 0, 1, 0, 0, 0, cid as u8])
            .u("mvtp.gid.class", 3)
            .f("mvtp.gid.address", Value::Mac(CLIENT))
    }

    fn rrp(cid: u64, reset: bool) -> Pkt {
        Pkt::new()
            .layer("eth")
            .f("eth.dst", Value::Mac(CLIENT))
            .f("eth.src", Value::Mac(FA))
            .layer("mvtp")
            .u("mvtp.type", 5)
            .u("mvtp.leid", 9)
            .b("mvtp.flags.reset", reset)
            .b("mvtp.flags.roam_notify", false)
            .u("mvtp.code", 0)
            .u("mvtp.lifetime", 1800)
            .u("mvtp.encap", 1)
            .u("mvtp.connect_id", cid)
            .bytes("mvtp.ident", &[0, 0, 0, 2, 0, 0, 0, cid as u8])
    }

    fn l2tp(from_lac: bool, ns: u64, session: u64, mt: u64) -> Pkt {
        let (s, d) = if from_lac { (LAC, LNS) } else { (LNS, LAC) };
        Pkt::new()
            .eth_ip(FA, FA, s, d, 17)
            .udp(1701, 1701)
            .layer("l2tp")
            .u("l2tp.type", 1)
            .u("l2tp.tunnel", 7)
            .u("l2tp.session", session)
            .u("l2tp.Ns", ns)
            .u("l2tp.Nr", 0)
            .u("l2tp.avp.message_type", mt)
    }

    fn icrq(ns: u64, csn: u64, cont: Option<bool>, session: u64) -> Pkt {
        let p = l2tp(true, ns, 0, 10)
            .u("l2tp.avp.assigned_session_id", session)
            .u("l2tp.avp.call_serial_number", csn);
        match cont {
            Some(c) => p
                .u("l2tp.handoff.gid.class", 3)
                .f("l2tp.handoff.gid.address", Value::Mac(CLIENT))
                .b("l2tp.handoff.continue", c),
            None => p,
        }
    }

    #[test]
    fn l2tp_1_2_3_gateway_mapping() {
        // Clean: RRQ (R=1) → ICRQ (CSN = Connect ID, C = 0) → ICRP → RRP.
        let clean = vec![
            (0.0, rrq(7001, true)),
            (0.1, icrq(2, 7001, Some(false), 40)),
            (0.2, l2tp(false, 1, 40, 11)),
            (0.3, rrp(7001, true)),
        ];
        assert_eq!(run(Default::default(), clean), vec![]);
        // CSN ≠ Connect ID, C = R, and the MV-RRP before the ICRP.
        let bad = vec![
            (0.0, rrq(7001, true)),
            (0.1, icrq(2, 7000, Some(true), 40)),
            (0.2, rrp(7001, true)),
            (0.3, l2tp(false, 1, 40, 11)),
        ];
        assert_eq!(
            run(Default::default(), bad),
            vec![("L2TP-1", 2), ("L2TP-2", 2), ("L2TP-3", 3)]
        );
        // Hand-off AVPs missing.
        let bare = vec![(0.0, rrq(7001, true)), (0.1, icrq(2, 7001, None, 40))];
        assert_eq!(run(Default::default(), bare), vec![("L2TP-1", 2)]);
    }

    #[test]
    fn l2tp_6_lns_hand_off_decision() {
        let first = vec![
            (0.0, icrq(2, 100, Some(false), 40)),
            (0.1, l2tp(false, 1, 40, 11)),
        ];
        // A newer hand-off refused, then an older one accepted: both wrong.
        let mut pkts = first;
        pkts.push((1.0, icrq(3, 101, Some(true), 41)));
        pkts.push((1.1, l2tp(false, 2, 41, 14)));
        pkts.push((2.0, icrq(4, 99, Some(true), 42)));
        pkts.push((2.1, l2tp(false, 3, 42, 11)));
        assert_eq!(
            run(Default::default(), pkts),
            vec![("L2TP-6", 4), ("L2TP-6", 6)]
        );
        // L2TP-7: with C = 0 the Call Serial Number is not compared.
        let fresh = vec![
            (0.0, icrq(2, 100, Some(false), 40)),
            (0.1, l2tp(false, 1, 40, 11)),
            (1.0, icrq(3, 5, Some(false), 41)),
            (1.1, l2tp(false, 2, 41, 11)),
        ];
        assert_eq!(run(Default::default(), fresh), vec![]);
    }

    fn icrp(ns: u64, lac_session: u64, lns_session: u64) -> Pkt {
        l2tp(false, ns, lac_session, 11).u("l2tp.avp.assigned_session_id", lns_session)
    }

    fn client_dn(leid: u64) -> Pkt {
        Pkt::new()
            .layer("eth")
            .f("eth.dst", Value::Mac(FA))
            .f("eth.src", Value::Mac(CLIENT))
            .layer("mvtp")
            .u("mvtp.type", 6)
            .u("mvtp.leid", leid)
            .u("mvtp.code", 0)
            .u("mvtp.connect_id", 7001)
            .bytes("mvtp.ident", &[0, 0, 0, 5, 0, 0, 0, 5])
    }

    #[test]
    fn l2tp_5_cdn_and_mv_dn_cross_the_gateway() {
        let setup = || {
            vec![
                (0.0, rrq(7001, true)),
                (0.1, icrq(2, 7001, Some(false), 40)),
                (0.2, icrp(1, 40, 900)),
                (0.3, rrp(7001, true)),
            ]
        };
        // The LNS clears the session: the gateway must send MV-DN code 3.
        let mut lns_clears = setup();
        lns_clears.push((1.0, l2tp(false, 2, 40, 14)));
        lns_clears.push((10.0, Pkt::new()));
        assert_eq!(run(Default::default(), lns_clears), vec![("L2TP-5", 5)]);
        // The client disconnects: the gateway must send CDN for the LNS's session 900.
        let mut client_leaves = setup();
        client_leaves.push((1.0, client_dn(9)));
        client_leaves.push((10.0, Pkt::new()));
        assert_eq!(run(Default::default(), client_leaves), vec![("L2TP-5", 5)]);
        let mut answered = setup();
        answered.push((1.0, client_dn(9)));
        answered.push((1.1, l2tp(true, 3, 900, 14)));
        answered.push((10.0, Pkt::new()));
        assert_eq!(run(Default::default(), answered), vec![]);
    }

    #[test]
    fn l2tp_6_accepted_hand_off_clears_the_old_session() {
        let base = || {
            vec![
                (0.0, icrq(2, 100, Some(false), 40)),
                (0.1, icrp(1, 40, 900)),
                (1.0, icrq(3, 101, Some(true), 41)),
                (1.1, icrp(2, 41, 901)),
            ]
        };
        let mut silent = base();
        silent.push((10.0, Pkt::new()));
        assert_eq!(run(Default::default(), silent), vec![("L2TP-6", 4)]);
        let mut cleared = base();
        cleared.push((1.2, l2tp(false, 3, 40, 14)));
        cleared.push((10.0, Pkt::new()));
        assert_eq!(run(Default::default(), cleared), vec![]);
    }

    #[test]
    fn rfc2661_5_8_ns_skips_are_found_retransmissions_are_not() {
        let pkts = vec![
            (0.0, l2tp(true, 0, 0, 1)),
            (0.1, l2tp(true, 1, 0, 3)),
            (0.2, l2tp(true, 1, 0, 3)),
            (0.3, l2tp(true, 4, 0, 6)),
        ];
        assert_eq!(run(Default::default(), pkts), vec![("RFC2661-5.8", 4)]);
    }

    fn with_ppp(p: Pkt, octets: &[u8]) -> Pkt {
        let mut p = p.layer("ppp");
        let at = p.frame.len() as u32;
        p.frame.extend_from_slice(octets);
        if let Some(l) = p.d.layers.last_mut() {
            l.range = at..at + octets.len() as u32;
        }
        p
    }

    fn mv_data(up: bool, leid: u64, ppp: &[u8]) -> Pkt {
        let (s, d) = if up { (CLIENT, FA) } else { (FA, CLIENT) };
        let p = Pkt::new()
            .layer("eth")
            .f("eth.dst", Value::Mac(d))
            .f("eth.src", Value::Mac(s))
            .layer("mvtp")
            .u("mvtp.type", 3)
            .u("mvtp.leid", leid)
            .u("mvtp.encap", 1)
            .u("mvtp.payload_length", ppp.len() as u64);
        with_ppp(p, ppp)
    }

    fn l2tp_data(from_lac: bool, session: u64, ppp: &[u8]) -> Pkt {
        let (s, d) = if from_lac { (LAC, LNS) } else { (LNS, LAC) };
        let p = Pkt::new()
            .eth_ip(FA, FA, s, d, 17)
            .udp(1701, 1701)
            .layer("l2tp")
            .u("l2tp.type", 0)
            .u("l2tp.tunnel", 7)
            .u("l2tp.session", session);
        with_ppp(p, ppp)
    }

    #[test]
    fn l2tp_4_ppp_frames_cross_the_gateway_unchanged() {
        const LCP: &[u8] = &[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4];
        const IP: &[u8] = &[0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17];
        const IP_TTL63: &[u8] = &[0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 20, 0, 1, 0, 0, 63, 17];
        let setup = || {
            vec![
                (0.0, rrq(7001, true)),
                (0.1, icrq(2, 7001, Some(false), 40)),
                (0.2, icrp(1, 40, 900)),
                (0.3, rrp(7001, true)),
            ]
        };
        // The rrp helper carries LEID 9.
        let mut clean = setup();
        clean.extend([
            (1.0, mv_data(true, 9, LCP)),
            (1.01, l2tp_data(true, 900, LCP)),
            (1.1, mv_data(true, 9, IP)),
            (1.11, l2tp_data(true, 900, IP)),
            (1.2, l2tp_data(false, 40, IP)),
            (1.21, mv_data(false, 9, IP)),
        ]);
        assert_eq!(run(Default::default(), clean), vec![]);
        // Upstream altered (TTL decremented), then downstream altered.
        let mut up = setup();
        up.extend([
            (1.0, mv_data(true, 9, IP)),
            (1.01, l2tp_data(true, 900, IP_TTL63)),
        ]);
        assert_eq!(run(Default::default(), up), vec![("L2TP-4", 6)]);
        let mut down = setup();
        down.extend([
            (1.0, l2tp_data(false, 40, IP)),
            (1.01, mv_data(false, 9, IP_TTL63)),
        ]);
        assert_eq!(run(Default::default(), down), vec![("L2TP-4", 6)]);
        // A frame the gateway dropped is not an alteration: the next one matches a later entry.
        let mut dropped = setup();
        dropped.extend([
            (1.0, mv_data(true, 9, LCP)),
            (1.1, mv_data(true, 9, IP)),
            (1.11, l2tp_data(true, 900, IP)),
        ]);
        assert_eq!(run(Default::default(), dropped), vec![]);
    }

    fn ctl(from_lac: bool, ns: u64, tunnel: u64, session: u64, mt: u64) -> Pkt {
        let (s, d) = if from_lac { (LAC, LNS) } else { (LNS, LAC) };
        Pkt::new()
            .eth_ip(FA, FA, s, d, 17)
            .udp(1701, 1701)
            .layer("l2tp")
            .u("l2tp.type", 1)
            .u("l2tp.tunnel", tunnel)
            .u("l2tp.session", session)
            .u("l2tp.Ns", ns)
            .u("l2tp.Nr", 0)
            .u("l2tp.avp.message_type", mt)
    }

    #[test]
    fn rfc2661_3_1_ids_in_use_were_assigned_by_the_receiver() {
        // SCCRQ (LAC assigns tunnel 10), SCCRP (LNS assigns 100), ICRQ (LAC session 256),
        // ICRP (LNS session 2000), then data both ways.
        let base = || {
            vec![
                (
                    0.0,
                    ctl(true, 0, 0, 0, 1).u("l2tp.avp.assigned_tunnel_id", 10),
                ),
                (
                    0.1,
                    ctl(false, 0, 10, 0, 2).u("l2tp.avp.assigned_tunnel_id", 100),
                ),
                (
                    0.2,
                    ctl(true, 1, 100, 0, 10).u("l2tp.avp.assigned_session_id", 256),
                ),
                (
                    0.3,
                    ctl(false, 1, 10, 256, 11).u("l2tp.avp.assigned_session_id", 2000),
                ),
            ]
        };
        let data = |from_lac: bool, tunnel: u64, session: u64| {
            let (s, d) = if from_lac { (LAC, LNS) } else { (LNS, LAC) };
            Pkt::new()
                .eth_ip(FA, FA, s, d, 17)
                .udp(1701, 1701)
                .layer("l2tp")
                .u("l2tp.type", 0)
                .u("l2tp.tunnel", tunnel)
                .u("l2tp.session", session)
        };
        let mut ok = base();
        ok.extend([(1.0, data(true, 100, 2000)), (1.1, data(false, 10, 256))]);
        assert_eq!(run(Default::default(), ok), vec![]);
        let mut own_session = base();
        own_session.push((1.0, data(true, 100, 256)));
        assert_eq!(
            run(Default::default(), own_session),
            vec![("RFC2661-3.1", 5)]
        );
        let mut own_tunnel = base();
        own_tunnel.push((1.0, data(false, 100, 256)));
        assert_eq!(
            run(Default::default(), own_tunnel),
            vec![("RFC2661-3.1", 5)]
        );
    }

    #[test]
    fn rfc2661_5_8_one_finding_per_skip_then_counting_resumes() {
        let pkts = vec![
            (0.0, l2tp(true, 0, 0, 1)),
            (0.1, l2tp(true, 1, 0, 3)),
            (0.2, l2tp(true, 3, 0, 10)),
            (0.3, l2tp(true, 4, 0, 12)),
        ];
        assert_eq!(run(Default::default(), pkts), vec![("RFC2661-5.8", 3)]);
    }

    #[test]
    fn l2tp_1_hand_off_avps_must_have_m_clear() {
        let m = |mandatory: bool| {
            icrq(2, 7001, Some(false), 40)
                .u("l2tp.avp.vendor_id", 0)
                .b("l2tp.avp.mandatory", true)
                .u("l2tp.avp.vendor_id", 32473)
                .b("l2tp.avp.mandatory", mandatory)
        };
        assert_eq!(
            run(
                Default::default(),
                vec![(0.0, rrq(7001, true)), (0.1, m(false))]
            ),
            vec![]
        );
        assert_eq!(
            run(
                Default::default(),
                vec![(0.0, rrq(7001, true)), (0.1, m(true))]
            ),
            vec![("L2TP-1", 2)]
        );
    }

    #[test]
    fn l2tp_7_continue_clear_means_no_comparison() {
        let first = || {
            vec![
                (0.0, icrq(2, 100, Some(false), 40)),
                (0.1, icrp(1, 40, 900)),
            ]
        };
        // C = 0 with an older number refused: the LNS compared.
        let mut refused = first();
        refused.extend([
            (20.0, icrq(3, 97, Some(false), 41)),
            (20.1, l2tp(false, 2, 41, 14)),
        ]);
        assert_eq!(run(Default::default(), refused), vec![("L2TP-7", 4)]);
        // Accepted: right (and the LNS may clear the old session).
        let mut accepted = first();
        accepted.extend([
            (20.0, icrq(3, 97, Some(false), 41)),
            (20.1, icrp(2, 41, 901)),
            (20.2, l2tp(false, 3, 40, 14)),
            (30.0, Pkt::new()),
        ]);
        assert_eq!(run(Default::default(), accepted), vec![]);
        // C = 0 with a newer number refused: some other reason, not a comparison.
        let mut other = first();
        other.extend([
            (20.0, icrq(3, 101, Some(false), 41)),
            (20.1, l2tp(false, 2, 41, 14)),
        ]);
        assert_eq!(run(Default::default(), other), vec![]);
    }

    #[test]
    fn state_of_idle_endpoints_expires() {
        // The session of 100 is established; an older hand-off accepted within the idle
        // time is found; after idle_expiry the endpoint's state is gone (bounded state).
        let run_at = |t: f64| {
            let pkts = vec![
                (0.0, icrq(2, 100, Some(false), 40)),
                (0.1, icrp(1, 40, 900)),
                (t, icrq(3, 99, Some(true), 41)),
                (t + 0.1, icrp(2, 41, 901)),
            ];
            run(Default::default(), pkts)
        };
        assert_eq!(run_at(100.0), vec![("L2TP-6", 4)]);
        assert_eq!(run_at(4000.0), vec![]);
    }
}
