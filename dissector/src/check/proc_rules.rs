//! Procedure rules that expect a packet to follow another, as obligations with a deadline:
//! the Roam Notify after a roam (PROC-15), the FA's MV-DN code 2 answer to an invalid PDU
//! (PROC-12), the server's MV-DN code 1 at lifetime expiry (PROC-10). An obligation still
//! open when capture time passes its deadline becomes a finding on the packet that created
//! it; one whose deadline lies beyond the end of the capture is not judged. Also the direct
//! checks AUTH-4, AUTH-7 and PROC-14 on MV-RRQ, MV-RRP and MV-DN.

use super::engine::{mac_str, mv, Checker, Pdu};
use std::collections::HashMap;

/// Seconds the server has to send the Roam Notify after accepting the roam.
const ROAM_NOTIFY_WINDOW_S: f64 = 5.0;
/// Seconds an FA has to answer an MV-FAS ("at once").
const FAS_ANSWER_WINDOW_S: f64 = 1.0;
/// Seconds an FA has to answer an invalid PDU.
const INVALID_ANSWER_WINDOW_S: f64 = 2.0;
/// Seconds after the lifetime ends within which the expiry MV-DN must appear.
const EXPIRY_GRACE_S: f64 = 10.0;

/// MV-DN codes (spec §2.5).
mod dn {
    pub const NORMAL: u64 = 0;
    pub const EXPIRED: u64 = 1;
    pub const INVALID_STATE: u64 = 2;
    pub const SESSION_TIMEOUT: u64 = 4;
    pub const ROAM_NOTIFY: u64 = 5;
}

/// Where a client is attached: its FA's care-of address (IP/GRE) or FA 802 address.
fn attachment(p: &Pdu) -> Option<String> {
    match (p.ip_dst, p.mac_src) {
        (Some(coa), _) => Some(std::net::Ipv4Addr::from(coa).to_string()),
        (None, Some(fa)) => Some(mac_str(fa)),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Binding {
    attach: String,
    leid: u64,
    cid: u64,
    encap: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// An MV-DN with this code, LEID and (when known) Connect ID, toward `to`.
    Dn { code: u64, leid: u64, cid: Option<u64>, to: String },
    /// A unicast MV-FAA to this 802 address.
    Faa { to: [u8; 6] },
}

#[derive(Debug, Clone)]
struct Obligation {
    rule: &'static str,
    due: f64,
    frame: u64,
    related: Vec<u64>,
    gid: Option<String>,
    expect: Expect,
    message: String,
}

/// State of the procedure rules.
#[derive(Debug, Default)]
pub(crate) struct ProcState {
    bindings: HashMap<String, Binding>,
    obligations: Obligations,
    last_ts: f64,
}

impl ProcState {
    fn oblige(&mut self, o: Obligation) {
        self.obligations.push(o);
    }
}

/// Open obligations, indexed so that each packet costs what it touches, not what is open:
/// by deadline (a heap), by the MV-FAA address and the MV-DN LEID they wait for, and by
/// client (PROC-10). Kept in creation order (`seq`), the order they are reported in.
#[derive(Debug, Default)]
struct Obligations {
    next_seq: u64,
    items: std::collections::BTreeMap<u64, Obligation>,
    /// (deadline, seq), earliest first; entries of obligations already met are skipped.
    by_due: std::collections::BinaryHeap<std::cmp::Reverse<(Due, u64)>>,
    by_faa: HashMap<[u8; 6], std::collections::VecDeque<u64>>,
    by_leid: HashMap<u64, std::collections::VecDeque<u64>>,
    by_gid: HashMap<String, std::collections::VecDeque<u64>>,
}

/// A deadline ordered by `f64::total_cmp`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Due(f64);
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Due {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

impl Obligations {
    fn index<K: std::hash::Hash + Eq>(map: &mut HashMap<K, std::collections::VecDeque<u64>>, items: &std::collections::BTreeMap<u64, Obligation>, key: K, seq: u64) {
        let q = map.entry(key).or_default();
        // Entries of obligations gone by their deadline are dropped from the front (the
        // oldest go first), so an index never outgrows what is open by much.
        while q.front().is_some_and(|s| !items.contains_key(s)) {
            q.pop_front();
        }
        q.push_back(seq);
    }

    fn push(&mut self, o: Obligation) {
        let seq = self.next_seq;
        self.next_seq += 1;
        // A deadline that is not a number never passes (as `due < now` is never true).
        if !o.due.is_nan() {
            self.by_due.push(std::cmp::Reverse((Due(o.due), seq)));
        }
        match &o.expect {
            Expect::Faa { to } => Self::index(&mut self.by_faa, &self.items, *to, seq),
            Expect::Dn { leid, .. } => Self::index(&mut self.by_leid, &self.items, *leid, seq),
        }
        if let Some(g) = &o.gid {
            Self::index(&mut self.by_gid, &self.items, g.clone(), seq);
        }
        self.items.insert(seq, o);
    }

    /// Removes the obligations among `seqs` for which `gone` is true (and forgets the
    /// index entries of those no longer open).
    fn remove_where(items: &mut std::collections::BTreeMap<u64, Obligation>, seqs: &mut std::collections::VecDeque<u64>, mut gone: impl FnMut(&Obligation) -> bool) {
        seqs.retain(|s| match items.get(s) {
            Some(o) if gone(o) => {
                items.remove(s);
                false
            }
            Some(_) => true,
            None => false,
        });
    }

    /// Every obligation waiting for a unicast MV-FAA to `to` is met.
    fn faa_sent(&mut self, to: [u8; 6]) {
        if let Some(mut q) = self.by_faa.remove(&to) {
            Self::remove_where(&mut self.items, &mut q, |o| o.expect == Expect::Faa { to });
        }
    }

    /// Removes the MV-DN obligations on `leid` for which `gone` is true.
    fn dn_sent(&mut self, leid: u64, gone: impl FnMut(&Obligation) -> bool) {
        if let Some(q) = self.by_leid.get_mut(&leid) {
            Self::remove_where(&mut self.items, q, gone);
            if q.is_empty() {
                self.by_leid.remove(&leid);
            }
        }
    }

    /// Removes the obligations of client `gid` for which `gone` is true.
    fn client(&mut self, gid: &str, gone: impl FnMut(&Obligation) -> bool) {
        if let Some(q) = self.by_gid.get_mut(gid) {
            Self::remove_where(&mut self.items, q, gone);
            if q.is_empty() {
                self.by_gid.remove(gid);
            }
        }
    }

    /// Takes out the obligations whose deadline is before `now`, in creation order.
    fn take_due(&mut self, now: f64) -> Vec<Obligation> {
        let mut seqs = Vec::new();
        while let Some(std::cmp::Reverse((Due(d), seq))) = self.by_due.peek().copied() {
            if d.partial_cmp(&now) != Some(std::cmp::Ordering::Less) {
                break;
            }
            self.by_due.pop();
            seqs.push(seq);
        }
        seqs.sort_unstable();
        seqs.into_iter().filter_map(|s| self.items.remove(&s)).collect()
    }
}

impl Checker {
    /// An MV-RRP code 0 that the server gave to a valid request of `gid`.
    pub(crate) fn proc_accepted(&mut self, number: u64, ts: f64, gid: &str, req_frame: u64, req: &Pdu, p: &Pdu) {
        let Some(cid) = p.cid else { return };
        // The server's record holds the care-of address the request came from [PROC-8],
        // whatever address its reply went to.
        let forwarded_from = req.ident_low().and_then(|low| self.forwarded_coa(cid, low));
        let Some(attach) = forwarded_from.map(|coa| std::net::Ipv4Addr::from(coa).to_string()).or_else(|| attachment(p)) else { return };
        if let Some(old) = self.procs.bindings.get(gid).cloned() {
            // In gateway mode (Encap Type 1) there is no MVTP server to send Roam Notify:
            // the LNS hand-off clears the old session instead (§7).
            if old.attach != attach && req.roam && req.encap != Some(mv::ENCAP_PPP) {
                self.procs.oblige(Obligation {
                    rule: "PROC-15",
                    due: ts + ROAM_NOTIFY_WINDOW_S,
                    frame: number,
                    related: vec![req_frame],
                    gid: None,
                    expect: Expect::Dn { code: dn::ROAM_NOTIFY, leid: old.leid, cid: Some(old.cid), to: old.attach.clone() },
                    message: format!("{gid} roamed from {} to {attach} with Roam Notify set, but the server sent no MV-DN code 5 (LEID {}, Connect ID {}) to the old FA", old.attach, old.leid, old.cid),
                });
            }
        }
        // A new registration replaces the expiry watch of the old one [PROC-10].
        self.procs.obligations.client(gid, |o| o.rule == "PROC-10");
        if p.lifetime > 0 {
            self.procs.oblige(Obligation {
                rule: "PROC-10",
                due: ts + p.lifetime as f64 + EXPIRY_GRACE_S,
                frame: number,
                related: vec![req_frame],
                gid: Some(gid.to_string()),
                expect: Expect::Dn { code: dn::EXPIRED, leid: p.leid, cid: Some(cid), to: attach.clone() },
                message: format!("the registration of {gid} (lifetime {} s) expired without re-registration and the server sent no MV-DN code 1", p.lifetime),
            });
        }
        self.procs.bindings.insert(gid.to_string(), Binding { attach, leid: p.leid, cid, encap: req.encap });
    }

    /// The client other than `gid` that holds `leid` at care-of address `coa`, if any [PROC-5].
    pub(crate) fn leid_holder(&self, coa: [u8; 4], leid: u64, gid: &str) -> Option<String> {
        let at = std::net::Ipv4Addr::from(coa).to_string();
        self.procs.bindings.iter().find(|(g, b)| g.as_str() != gid && b.leid == leid && b.attach == at).map(|(g, _)| g.clone())
    }

    /// An FA must answer the invalid PDU of frame `number` from `client` [PROC-12].
    pub(crate) fn proc_expect_invalid_answer(&mut self, number: u64, ts: f64, client: [u8; 6], leid: u64) {
        self.procs.oblige(Obligation {
            rule: "PROC-12",
            due: ts + INVALID_ANSWER_WINDOW_S,
            frame: number,
            related: vec![],
            gid: None,
            expect: Expect::Dn { code: dn::INVALID_STATE, leid, cid: None, to: mac_str(client) },
            message: format!("the FA did not answer the PDU from {} (LEID {leid}), invalid for the connection state, with MV-DN code 2", mac_str(client)),
        });
    }

    /// An FA must answer the MV-FAS of frame `number` from `client` at once [PROC-1].
    pub(crate) fn proc_expect_fas_answer(&mut self, number: u64, ts: f64, client: [u8; 6]) {
        self.procs.oblige(Obligation {
            rule: "PROC-1",
            due: ts + FAS_ANSWER_WINDOW_S,
            frame: number,
            related: vec![],
            gid: None,
            expect: Expect::Faa { to: client },
            message: format!("no FA answered the MV-FAS of {} with a unicast MV-FAA", mac_str(client)),
        });
    }

    /// The connection of `gid` must see an MV-DN with `code` toward its client [L2TP-5].
    pub(crate) fn proc_faa(&mut self, p: &Pdu) {
        if let Some(to) = p.mac_dst {
            self.procs.obligations.faa_sent(to);
        }
    }

    /// AUTH-4 on MV-RRQ / MV-RRP, and AUTH-4, AUTH-7, PROC-14 on MV-DN.
    pub(crate) fn proc_pdu(&mut self, number: u64, ts: f64, p: &Pdu) {
        self.procs.last_ts = ts;
        let has = |t| p.avps.contains(&t);
        let needs_mh = |encap: Option<u64>| matches!(encap, Some(0) | Some(mv::ENCAP_L2TP));
        match p.ty {
            mv::RRQ if needs_mh(p.encap) && !has(mv::AVP_AUTH_MH) => {
                self.report("AUTH-4", number, vec![], Some(p.offset), p.endpoints(), format!("MV-RRQ with Encap Type {} carries no Mobile-Home Authentication AVP", p.encap.unwrap_or(0)));
            }
            // Judged once, on the reply's first copy (the FA's relay of it repeats the
            // server's fault, it does not commit one).
            mv::RRP if needs_mh(p.encap) && !mv::FA_CODES.contains(&p.code) && !has(mv::AVP_AUTH_MH) && !self.rrp_seen(p) => {
                self.report("AUTH-4", number, vec![], Some(p.offset), p.endpoints(), format!("server MV-RRP (code {}) with Encap Type {} carries no Mobile-Home Authentication AVP", p.code, p.encap.unwrap_or(0)));
            }
            mv::DN => self.proc_dn(number, p),
            mv::FAA => self.proc_faa(p),
            _ => {}
        }
    }

    fn proc_dn(&mut self, number: u64, p: &Pdu) {
        let eps = p.endpoints();
        if p.code == dn::ROAM_NOTIFY {
            if p.ip_src.is_some() && !p.avps.contains(&mv::AVP_AUTH_FH) {
                self.report("AUTH-7", number, vec![], Some(p.offset), eps.clone(), "Roam Notify (MV-DN code 5) from the server carries no Foreign-Home Authentication AVP".into());
            }
            if p.ip_src.is_none() {
                self.report("AUTH-7", number, vec![], Some(p.offset), eps.clone(), "the FA relayed a Roam Notify (MV-DN code 5) to the client; it must not".into());
            }
        }
        // The connection this MV-DN names, by LEID at this attachment.
        let here: Vec<String> = [p.ip_dst, p.ip_src].into_iter().flatten().map(|a| std::net::Ipv4Addr::from(a).to_string()).chain([p.mac_src, p.mac_dst].into_iter().flatten().map(mac_str)).collect();
        let conn = self.procs.bindings.iter().find(|(_, b)| b.leid == p.leid && here.contains(&b.attach)).map(|(g, b)| (g.clone(), b.clone()));
        if let Some((gid, b)) = &conn {
            if matches!(p.code, dn::NORMAL | dn::EXPIRED | dn::SESSION_TIMEOUT) && matches!(b.encap, Some(0) | Some(mv::ENCAP_L2TP)) && !p.avps.contains(&mv::AVP_AUTH_MH) {
                self.report("AUTH-4", number, vec![], Some(p.offset), eps.clone(), format!("MV-DN code {} on {gid}'s connection (Encap Type {}) carries no Mobile-Home Authentication AVP", p.code, b.encap.unwrap_or(0)));
            }
            if p.code != dn::INVALID_STATE && p.cid.is_some_and(|c| c != b.cid) {
                self.report("PROC-14", number, vec![], Some(p.offset + 12), eps.clone(), format!("MV-DN for LEID {} carries Connect ID {}, but the latest valid registration of {gid} is {}", p.leid, p.cid.unwrap_or(0), b.cid));
            }
        }
        // Satisfy obligations; any MV-DN that closes the connection ends its expiry watch.
        let dn_to: Vec<String> = here;
        self.procs.obligations.dn_sent(p.leid, |o| {
            let Expect::Dn { code, leid, cid, to } = &o.expect else { return false };
            let same_conn = *leid == p.leid && dn_to.contains(to);
            let met = same_conn && *code == p.code && cid.is_none_or(|c| Some(c) == p.cid);
            let closed = o.rule == "PROC-10" && same_conn;
            met || closed
        });
        if let Some((gid, b)) = &conn {
            // A client's own MV-DN (toward its FA) on a gateway connection calls for a CDN.
            if p.ip_src.is_none() && p.mac_dst.map(mac_str).as_deref() == Some(b.attach.as_str()) && b.encap == Some(mv::ENCAP_PPP) {
                self.gateway_client_dn(number, gid);
            }
        }
        if let Some((gid, _)) = conn {
            if matches!(p.code, dn::NORMAL | dn::EXPIRED | dn::SESSION_TIMEOUT | dn::ROAM_NOTIFY) {
                self.procs.bindings.remove(&gid);
            }
        }
    }

    /// Obligations past their deadline become findings.
    pub(crate) fn proc_due(&mut self, now: f64) {
        let due = self.procs.obligations.take_due(now);
        for o in due {
            self.report(o.rule, o.frame, o.related, None, vec![], o.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{run, Pkt};
    use crate::model::Value;

    const CLIENT: [u8; 6] = [0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d];
    const FA1: [u8; 6] = [0, 0x1e, 0x49, 0, 0, 1];
    const SERVER: [u8; 4] = [203, 0, 113, 5];
    const COA1: [u8; 4] = [198, 51, 100, 20];
    const COA2: [u8; 4] = [198, 51, 100, 40];

    fn gre(src: [u8; 4], dst: [u8; 4]) -> Pkt {
        Pkt::new().layer("ip").f("ip.src", Value::Ipv4(src)).f("ip.dst", Value::Ipv4(dst)).layer("gre").u("gre.proto", 0x88b5).layer("mvtp")
    }

    fn rrq(coa: [u8; 4], cid: u64, leid: u64, roam: bool, ident: u8) -> Pkt {
        gre(coa, SERVER)
            .u("mvtp.type", 4)
            .u("mvtp.leid", leid)
            .b("mvtp.flags.reset", false)
            .b("mvtp.flags.roam_notify", roam)
            .u("mvtp.lifetime", 1800)
            .u("mvtp.encap", 2)
            .u("mvtp.connect_id", cid)
            .bytes("mvtp.ident", &[0, 0, 0, 1, 0, 0, 0, ident])
            .u("mvtp.gid.class", 3)
            .f("mvtp.gid.address", Value::Mac(CLIENT))
            .u("mvtp.avp.type", 1)
            .u("mvtp.avp.type", 4)
    }

    fn rrp(coa: [u8; 4], cid: u64, leid: u64, roam: bool, ident: u8, lifetime: u64) -> Pkt {
        gre(SERVER, coa)
            .u("mvtp.type", 5)
            .u("mvtp.leid", leid)
            .b("mvtp.flags.reset", false)
            .b("mvtp.flags.roam_notify", roam)
            .u("mvtp.code", 0)
            .u("mvtp.lifetime", lifetime)
            .u("mvtp.encap", 2)
            .u("mvtp.connect_id", cid)
            .bytes("mvtp.ident", &[0, 0, 0, 2, 0, 0, 0, ident])
            .u("mvtp.avp.type", 4)
    }

    fn dn(coa: [u8; 4], code: u64, cid: u64, leid: u64, avp: u64) -> Pkt {
        gre(SERVER, coa).u("mvtp.type", 6).u("mvtp.leid", leid).u("mvtp.code", code).u("mvtp.connect_id", cid).bytes("mvtp.ident", &[0, 0, 0, 3, 0, 0, 0, cid as u8]).u("mvtp.avp.type", avp)
    }

    #[test]
    fn proc_15_roam_notify_required_and_auth_7_fh_auth() {
        let roam = |with_dn: Option<u64>| {
            let mut v = vec![(0.0, rrq(COA1, 10, 5, false, 1)), (0.1, rrp(COA1, 10, 5, false, 1, 1800)), (20.0, rrq(COA2, 11, 7, true, 2)), (20.1, rrp(COA2, 11, 7, true, 2, 1800))];
            if let Some(avp) = with_dn {
                v.push((20.2, dn(COA1, 5, 10, 5, avp)));
            }
            v.push((40.0, rrq(COA2, 12, 7, false, 3)));
            v
        };
        assert_eq!(run(Default::default(), roam(Some(6))), vec![]);
        assert_eq!(run(Default::default(), roam(None)), vec![("PROC-15", 4)]);
        assert_eq!(run(Default::default(), roam(Some(4))), vec![("AUTH-7", 5)], "Roam Notify authenticated with Mobile-Home instead of Foreign-Home");
    }

    #[test]
    fn proc_10_expiry_needs_mv_dn_code_1_and_proc_14_connect_id() {
        let base = || vec![(0.0, rrq(COA1, 10, 5, false, 1)), (0.1, rrp(COA1, 10, 5, false, 1, 30))];
        let mut silent = base();
        silent.push((100.0, Pkt::new().layer("ip")));
        assert_eq!(run(Default::default(), silent), vec![("PROC-10", 2)]);
        let mut closed = base();
        closed.push((31.0, dn(COA1, 1, 10, 5, 4)));
        closed.push((100.0, Pkt::new().layer("ip")));
        assert_eq!(run(Default::default(), closed), vec![]);
        let mut wrong_cid = base();
        wrong_cid.push((31.0, dn(COA1, 1, 9, 5, 4)));
        assert_eq!(run(Default::default(), wrong_cid), vec![("PROC-14", 3)]);
        let mut short = base();
        short.push((20.0, Pkt::new().layer("ip")));
        assert_eq!(run(Default::default(), short), vec![], "a deadline beyond the capture's end is not judged");
    }

    #[test]
    fn proc_12_fa_answers_invalid_data() {
        let data = || Pkt::new().layer("eth").f("eth.dst", Value::Mac(FA1)).f("eth.src", Value::Mac(CLIENT)).layer("mvtp").u("mvtp.type", 3).u("mvtp.leid", 9).u("mvtp.encap", 2).u("mvtp.payload_length", 0);
        let answer = Pkt::new().layer("eth").f("eth.dst", Value::Mac(CLIENT)).f("eth.src", Value::Mac(FA1)).layer("mvtp").u("mvtp.type", 6).u("mvtp.leid", 9).u("mvtp.code", 2).u("mvtp.connect_id", 0).bytes("mvtp.ident", &[0; 8]);
        assert_eq!(run(Default::default(), vec![(0.0, data()), (0.5, answer), (5.0, Pkt::new())]), vec![("PROC-11", 1)]);
        assert_eq!(run(Default::default(), vec![(0.0, data()), (5.0, Pkt::new())]), vec![("PROC-11", 1), ("PROC-12", 1)]);
    }
}
