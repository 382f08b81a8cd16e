//! Rules across MVTP and L2TP (spec §7) and L2TP's own sequencing (RFC 2661 §5.8):
//! the gateway's MV-RRQ → ICRQ mapping (L2TP-1, L2TP-2), MV-RRP only after ICRP (L2TP-3),
//! the mobile-aware LNS's hand-off decision (L2TP-6, L2TP-7), and Ns progression.

use super::engine::{Checker, Pdu};
use crate::access::LayerRef;
use codec::serial::newer;
use std::collections::HashMap;

/// L2TP control message types (RFC 2661 §3.2) as `l2tp.avp.message_type` carries them.
mod msg {
    pub const ICRQ: u64 = 10;
    pub const ICRP: u64 = 11;
    pub const CDN: u64 = 14;
}

/// How long an MV-RRQ waits for its ICRQ, seconds.
const GATEWAY_WINDOW_S: f64 = 10.0;

#[derive(Debug, Clone)]
struct GatewayRrq {
    frame: u64,
    cid: u64,
    reset: bool,
    ts: f64,
}

#[derive(Debug, Clone)]
struct GatewayCall {
    icrq_frame: u64,
    icrp_seen: bool,
    /// (LAC address, LNS address, session ID the LAC assigned, session ID the LNS assigned).
    lac: String,
    lns: String,
    lac_session: Option<u64>,
    lns_session: Option<u64>,
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

#[derive(Debug, Clone)]
struct HandoffDecision {
    gid: String,
    csn: Option<u64>,
    old_csn: Option<u64>,
    frame: u64,
    must_accept: bool,
    handoff: bool,
}

/// State of the L2TP rules.
#[derive(Debug, Default)]
pub(crate) struct L2tpState {
    rrq: HashMap<String, GatewayRrq>,
    calls: HashMap<String, GatewayCall>,
    /// LNS sessions per GID: the Call Serial Number of the session in place.
    lns: HashMap<String, Option<u64>>,
    /// ICRQs awaiting ICRP or CDN, by (LAC address, LNS address, assigned session ID).
    pending: HashMap<(String, String, u64), HandoffDecision>,
    /// Last Ns per direction (source, destination) of non-ZLB control messages.
    ns: HashMap<(String, String), (u64, u64)>,
    /// LNS sessions per GID: (LAC address, the LAC's session ID) — for clearing on hand-off.
    lns_where: HashMap<String, (String, u64)>,
    /// CDNs that must follow.
    cdn_due: Vec<CdnDue>,
}

/// Seconds within which a CDN or MV-DN must follow the event that calls for it.
const CLEAR_WINDOW_S: f64 = 5.0;

fn addr(l: &LayerRef<'_>, name: &str) -> String {
    l.outer("ip").and_then(|ip| ip.text(name)).unwrap_or_default()
}

impl Checker {
    fn l2tp_now(&self) -> f64 {
        self.procs_now_pub()
    }

    /// A CDN from `from` to `to` for `session`: satisfies obligations and starts L2TP-5.
    fn cdn_seen(&mut self, number: u64, _l: &LayerRef<'_>, to: &str, from: &str, session: u64) {
        self.l2tp.cdn_due.retain(|c| !(c.to == to && c.session == session));
        // A CDN from the LNS for a gateway session: the gateway must send MV-DN code 3.
        let gw = self.l2tp.calls.iter().find(|(_, c)| c.lac == to && c.lns == from && c.lac_session == Some(session)).map(|(g, _)| g.clone());
        if let Some(gid) = gw {
            self.proc_expect_dn_for(number, &gid, 3, format!("the LNS cleared the L2TP session of {gid} (CDN) but the gateway sent no MV-DN code 3 to the client"));
        }
    }

    /// A client's MV-DN on a gateway connection: the gateway must send CDN [L2TP-5].
    pub(crate) fn gateway_client_dn(&mut self, number: u64, gid: &str) {
        let Some(c) = self.l2tp.calls.get(gid).cloned() else { return };
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

    /// CDN obligations past their deadline become findings.
    pub(crate) fn l2tp_due(&mut self, now: f64) {
        let (due, keep): (Vec<CdnDue>, Vec<CdnDue>) = std::mem::take(&mut self.l2tp.cdn_due).into_iter().partition(|c| c.due < now);
        self.l2tp.cdn_due = keep;
        for c in due {
            self.report(c.rule, c.frame, vec![], None, vec![c.to], c.message);
        }
    }

    /// An MV-RRQ in gateway mode (Encap Type 1) on the access link.
    pub(crate) fn gateway_rrq(&mut self, number: u64, ts: f64, p: &Pdu) {
        if let (Some(gid), Some(cid)) = (p.gid.clone(), p.cid) {
            self.l2tp.rrq.insert(gid, GatewayRrq { frame: number, cid, reset: p.reset, ts });
        }
    }

    /// An MV-RRP code 0 answering a gateway-mode request [L2TP-3].
    pub(crate) fn gateway_rrp(&mut self, number: u64, req_frame: u64, req: &Pdu, p: &Pdu) {
        let Some(gid) = &req.gid else { return };
        match self.l2tp.calls.get(gid) {
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

    pub(crate) fn l2tp_packet(&mut self, number: u64, ts: f64, l: LayerRef<'_>) {
        if l.uint("l2tp.type") != Some(1) {
            return;
        }
        let (src, dst) = (addr(&l, "ip.src"), addr(&l, "ip.dst"));
        let at = l.d.layers[l.index].range.start as usize;
        let mt = l.uint("l2tp.avp.message_type");
        // RFC 2661 §5.8: Ns counts non-ZLB control messages; a retransmission repeats an old Ns.
        if let (Some(ns), Some(_)) = (l.uint("l2tp.Ns"), mt) {
            let key = (src.clone(), dst.clone());
            if let Some(&(last, last_frame)) = self.l2tp.ns.get(&key) {
                let expected = (last + 1) & 0xFFFF;
                let retransmission = !newer(ns as u32 & 0xFFFF, last as u32 & 0xFFFF) || ns == last;
                let d = ns.wrapping_sub(last) & 0xFFFF;
                if ns != expected && !(retransmission || d >= 0x8000) {
                    self.report("RFC2661-5.8", number, vec![last_frame], Some(at + 8), vec![src.clone(), dst.clone()], format!("control message Ns {ns} after {last}: expected {expected} (messages skipped or Ns not incremented per message)"));
                }
            }
            if self.l2tp.ns.get(&key).is_none_or(|&(last, _)| ns == (last + 1) & 0xFFFF) {
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

    fn icrq(&mut self, number: u64, ts: f64, l: &LayerRef<'_>, lac: String, lns: String, at: usize) {
        let csn = l.uint("l2tp.avp.call_serial_number");
        let cont = l.flag("l2tp.handoff.continue");
        let gid = match (l.uint("l2tp.handoff.gid.class"), l.text("l2tp.handoff.gid.address")) {
            (Some(c), Some(a)) => Some(format!("{}:{a}", codec::gid::Class(c as u8).label())),
            _ => None,
        };
        let eps = vec![lac.clone(), lns.clone()];
        // The gateway side: which MV-RRQ caused this ICRQ?
        let cause = match &gid {
            Some(g) => self.l2tp.rrq.get(g).cloned().map(|r| (g.clone(), r)),
            None => csn.and_then(|c| self.l2tp.rrq.iter().find(|(_, r)| r.cid == c).map(|(g, r)| (g.clone(), r.clone()))),
        };
        if let Some((g, r)) = cause.filter(|(_, r)| ts - r.ts <= GATEWAY_WINDOW_S) {
            if gid.is_none() || cont.is_none() {
                self.report("L2TP-1", number, vec![r.frame], Some(at), eps.clone(), format!("ICRQ for the MV-RRQ of {g} lacks the hand-off AVPs (vendor 32473 Global Endpoint ID and Session Status)"));
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
            let lac_session = l.uint("l2tp.avp.assigned_session_id");
            self.l2tp.calls.insert(g, GatewayCall { icrq_frame: number, icrp_seen: false, lac: lac.clone(), lns: lns.clone(), lac_session, lns_session: None });
        }
        // The LNS side: is this a hand-off the LNS must accept or refuse [L2TP-6, L2TP-7]?
        if let (Some(g), Some(session)) = (gid, l.uint("l2tp.avp.assigned_session_id")) {
            let existing = self.l2tp.lns.get(&g).copied();
            let handoff = cont == Some(true) && existing.is_some();
            let old_csn = existing.flatten();
            let must_accept = match (csn, old_csn) {
                _ if !handoff => true,
                (None, _) | (_, None) => true, // no CSN is always newer (spec §7)
                (Some(n), Some(o)) => newer(n as u32, o as u32),
            };
            self.l2tp.pending.insert((lac, lns, session), HandoffDecision { gid: g, csn, old_csn, frame: number, must_accept, handoff });
        }
    }

    fn icrp_or_cdn(&mut self, number: u64, l: &LayerRef<'_>, lac: String, lns: String, accepted: bool, at: usize) {
        let Some(session) = l.uint("l2tp.session") else { return };
        if !accepted {
            self.cdn_seen(number, l, &lac, &lns, session);
        }
        let Some(dec) = self.l2tp.pending.remove(&(lac.clone(), lns.clone(), session)) else { return };
        let eps = vec![lns, lac.clone()];
        if accepted {
            if let Some(c) = self.l2tp.calls.get_mut(&dec.gid) {
                c.icrp_seen = true;
                c.lns_session = l.uint("l2tp.avp.assigned_session_id");
            }
            // L2TP-6: an accepted hand-off clears the old session with CDN.
            if dec.handoff {
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
            self.l2tp.lns_where.insert(dec.gid.clone(), (lac.clone(), session));
            if dec.handoff && !dec.must_accept {
                self.report("L2TP-6", number, vec![dec.frame], Some(at), eps, format!("LNS accepted the hand-off of {} although its Call Serial Number {:?} is not newer than the session's {:?}", dec.gid, dec.csn, dec.old_csn));
            }
            self.l2tp.lns.insert(dec.gid, dec.csn);
        } else if dec.handoff && dec.must_accept {
            self.report("L2TP-6", number, vec![dec.frame], Some(at), eps, format!("LNS refused the hand-off of {} although its Call Serial Number {:?} is newer than the session's {:?}", dec.gid, dec.csn, dec.old_csn));
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
        Pkt::new().eth_ip(FA, FA, s, d, 17).udp(1701, 1701).layer("l2tp").u("l2tp.type", 1).u("l2tp.tunnel", 7).u("l2tp.session", session).u("l2tp.Ns", ns).u("l2tp.Nr", 0).u("l2tp.avp.message_type", mt)
    }

    fn icrq(ns: u64, csn: u64, cont: Option<bool>, session: u64) -> Pkt {
        let p = l2tp(true, ns, 0, 10).u("l2tp.avp.assigned_session_id", session).u("l2tp.avp.call_serial_number", csn);
        match cont {
            Some(c) => p.u("l2tp.handoff.gid.class", 3).f("l2tp.handoff.gid.address", Value::Mac(CLIENT)).b("l2tp.handoff.continue", c),
            None => p,
        }
    }

    #[test]
    fn l2tp_1_2_3_gateway_mapping() {
        // Clean: RRQ (R=1) → ICRQ (CSN = Connect ID, C = 0) → ICRP → RRP.
        let clean = vec![(0.0, rrq(7001, true)), (0.1, icrq(2, 7001, Some(false), 40)), (0.2, l2tp(false, 1, 40, 11)), (0.3, rrp(7001, true))];
        assert_eq!(run(Default::default(), clean), vec![]);
        // CSN ≠ Connect ID, C = R, and the MV-RRP before the ICRP.
        let bad = vec![(0.0, rrq(7001, true)), (0.1, icrq(2, 7000, Some(true), 40)), (0.2, rrp(7001, true)), (0.3, l2tp(false, 1, 40, 11))];
        assert_eq!(run(Default::default(), bad), vec![("L2TP-1", 2), ("L2TP-2", 2), ("L2TP-3", 3)]);
        // Hand-off AVPs missing.
        let bare = vec![(0.0, rrq(7001, true)), (0.1, icrq(2, 7001, None, 40))];
        assert_eq!(run(Default::default(), bare), vec![("L2TP-1", 2)]);
    }

    #[test]
    fn l2tp_6_lns_hand_off_decision() {
        let first = vec![(0.0, icrq(2, 100, Some(false), 40)), (0.1, l2tp(false, 1, 40, 11))];
        // A newer hand-off refused, then an older one accepted: both wrong.
        let mut pkts = first;
        pkts.push((1.0, icrq(3, 101, Some(true), 41)));
        pkts.push((1.1, l2tp(false, 2, 41, 14)));
        pkts.push((2.0, icrq(4, 99, Some(true), 42)));
        pkts.push((2.1, l2tp(false, 3, 42, 11)));
        assert_eq!(run(Default::default(), pkts), vec![("L2TP-6", 4), ("L2TP-6", 6)]);
        // L2TP-7: with C = 0 the Call Serial Number is not compared.
        let fresh = vec![(0.0, icrq(2, 100, Some(false), 40)), (0.1, l2tp(false, 1, 40, 11)), (1.0, icrq(3, 5, Some(false), 41)), (1.1, l2tp(false, 2, 41, 11))];
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
        let setup = || vec![(0.0, rrq(7001, true)), (0.1, icrq(2, 7001, Some(false), 40)), (0.2, icrp(1, 40, 900)), (0.3, rrp(7001, true))];
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
        let base = || vec![(0.0, icrq(2, 100, Some(false), 40)), (0.1, icrp(1, 40, 900)), (1.0, icrq(3, 101, Some(true), 41)), (1.1, icrp(2, 41, 901))];
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
        let pkts = vec![(0.0, l2tp(true, 0, 0, 1)), (0.1, l2tp(true, 1, 0, 3)), (0.2, l2tp(true, 1, 0, 3)), (0.3, l2tp(true, 4, 0, 6))];
        assert_eq!(run(Default::default(), pkts), vec![("RFC2661-5.8", 4)]);
    }
}
