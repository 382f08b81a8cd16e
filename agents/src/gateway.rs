//! The FA's VPN gateway (spec §7): an MVTP FA whose PPP clients (Encap Type 1,
//! PPP_TO_L2TP) become L2TP incoming calls toward the LNS named by Home IP Address.
//!
//! - MV-RRQ (Encap 1) from a client → an ICRQ on the gateway's control connection to that
//!   LNS (SCCRQ/SCCRP/SCCCN first when there is none; one per LNS, shared by its clients)
//!   with Call Serial Number = Connect ID and the hand-off AVPs (vendor 32473, M = 0:
//!   Global Endpoint ID and Session Status C = NOT R) [L2TP-1, L2TP-2];
//! - MV-RRP only when ICRP arrives; a retransmitted MV-RRQ (same Connect ID) and a
//!   re-registration for a session that exists get one at once [L2TP-3];
//! - PPP frames cross unchanged between MV-DATA (Encap 1) and L2TP data [L2TP-4];
//! - CDN from the LNS → MV-DN code 3 to the client; MV-DN from the client → CDN [L2TP-5].
//!
//! Every other client (Encap Type 0 and 2) is served by an inner [`Fa`], so a gateway is
//! an FA in every respect; its Local Endpoint IDs for PPP clients start at
//! [`LEID_BASE`] so that the two never collide. Sans-IO like every agent: MVTP events in
//! ([`GwIn::Mvtp`]), L2TP messages in ([`GwIn::L2tp`]); [`GwOut`] actions out.

use crate::auth::{self, Verdict};
use crate::common::{Action, Addr, Event, Faults, Iface, Packet, Rx, Time};
use crate::fa::{Fa, FaConfig};
use crate::l2tp::{self, HandoffAvps, Lac, LacEvent, RESULT_ADMINISTRATIVE};
use crate::msg::{code, dn_code, encap, AuthRole, Body, Msg, Reg};
use codec::ethernet::Mac;
use codec::gid::Gid;
use codec::l2tp::{Message, MessageType};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// First Local Endpoint ID of the gateway's PPP clients (the inner FA counts from 1).
pub const LEID_BASE: u16 = 0x4000;

/// Gateway faults: each breaks one rule on purpose (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GatewayFault {
    /// Call Serial Number = Connect ID − 1 [L2TP-1].
    CsnNotConnectId,
    /// Hand-off AVPs with M = 1 [L2TP-1].
    HandoffAvpsMandatory,
    /// No hand-off AVPs in the ICRQ [L2TP-1].
    NoHandoffAvps,
    /// Session Status C = R instead of NOT R [L2TP-2].
    ContinueEqualsReset,
    /// MV-RRP as soon as the ICRQ is sent, before ICRP [L2TP-3].
    RrpBeforeIcrp,
    /// Decrements the TTL of the first IPv4 datagram it relays toward the LNS (checksum
    /// fixed up): the PPP frame is not relayed unchanged [L2TP-4].
    AlterPppFrame,
    /// No MV-DN code 3 when the LNS clears a session with CDN [L2TP-5].
    NoDnOnCdn,
    /// No CDN when the client disconnects with MV-DN [L2TP-5].
    NoCdnOnDn,
    /// Skips one Ns on its ICRQ [RFC 2661 §5.8].
    SkipNs,
    /// Sends the first IPv4 data message with its own Session ID instead of the LNS's
    /// [RFC 2661 §3.1].
    OwnSessionId,
}

/// Gateway configuration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The FA (its care-of address is the LAC's address).
    pub fa: FaConfig,
    /// Host Name in SCCRQ.
    pub host_name: String,
    /// First Tunnel ID this gateway assigns.
    pub first_tunnel_id: u16,
    /// First Session ID this gateway assigns.
    pub first_session_id: u16,
    /// Fault injection.
    pub faults: Faults<GatewayFault>,
}

impl GatewayConfig {
    /// A gateway on FA `fa`.
    pub fn new(fa: FaConfig, host_name: &str) -> Self {
        Self {
            fa,
            host_name: host_name.into(),
            first_tunnel_id: 1,
            first_session_id: 1,
            faults: Faults::none(),
        }
    }
}

/// What a gateway is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GwIn {
    /// An MVTP event (access link, core, timers), as for an [`Fa`].
    Mvtp(Event),
    /// An L2TP message from `src` (UDP 1701).
    L2tp {
        /// The sender's address.
        src: Ipv4Addr,
        /// The message.
        msg: Message,
    },
}

/// What a gateway does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GwOut {
    /// An MVTP action.
    Mvtp(Action),
    /// An L2TP message from the care-of address to `dst` (UDP 1701 both ways).
    L2tp {
        /// The LNS.
        dst: Ipv4Addr,
        /// The message.
        msg: Message,
    },
    /// The next output carries the fault `knob` (for a simulator's expectation files).
    Injected(&'static str),
    /// The input being handled was the occasion of the fault `knob` (the finding belongs
    /// on the frame that brought it).
    InjectedOnInput(&'static str),
}

/// One PPP client's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The client's 802 address.
    pub mac: Mac,
    /// Its Global Endpoint ID.
    pub gid: Gid,
    /// The LNS.
    pub lns: Ipv4Addr,
    /// The gateway's Session ID.
    pub session: u16,
    /// The registration awaiting ICRP.
    pub pending: Option<Reg>,
    /// Connect ID of the latest accepted registration.
    pub last_cid: Option<u32>,
    /// ICRP arrived and MV-RRP was sent: the connection is OPEN [PROC-9].
    pub open: bool,
}

/// The FA's VPN gateway.
#[derive(Debug, Clone)]
pub struct Gateway {
    cfg: GatewayConfig,
    fa: Fa,
    lacs: BTreeMap<Ipv4Addr, Lac>,
    calls: BTreeMap<u16, Call>,
    next_tunnel: u16,
    next_session: u16,
    altered: bool,
    own_session_sent: bool,
}

impl Gateway {
    /// A gateway.
    pub fn new(cfg: GatewayConfig) -> Self {
        let fa = Fa::new(cfg.fa.clone());
        let (t, s) = (cfg.first_tunnel_id.max(1), cfg.first_session_id.max(1));
        Self {
            cfg,
            fa,
            lacs: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_tunnel: t,
            next_session: s,
            altered: false,
            own_session_sent: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.cfg
    }

    /// The configuration, to change (fault knobs) between events.
    pub fn config_mut(&mut self) -> &mut GatewayConfig {
        &mut self.cfg
    }

    /// The inner FA (advertisements, Encap 0 and 2 clients).
    pub fn fa(&self) -> &Fa {
        &self.fa
    }

    /// PPP calls by Local Endpoint ID.
    pub fn calls(&self) -> &BTreeMap<u16, Call> {
        &self.calls
    }

    /// The control connection to `lns`, if any.
    pub fn lac(&self, lns: Ipv4Addr) -> Option<&Lac> {
        self.lacs.get(&lns)
    }

    /// True when the client with this 802 address has an OPEN PPP connection here.
    pub fn is_open_for(&self, mac: Mac) -> bool {
        self.calls.values().any(|c| c.mac == mac && c.open) || self.fa.is_open_for(mac)
    }

    fn link(&self, dst: Mac) -> Addr {
        Addr::Link {
            src: self.cfg.fa.mac,
            dst,
        }
    }

    fn send_client(&self, dst: Mac, msg: Msg, out: &mut Vec<GwOut>) {
        out.push(GwOut::Mvtp(Action::Send(Rx {
            iface: Iface::Access,
            addr: self.link(dst),
            packet: Packet::Mvtp(msg),
        })));
    }

    fn l2tp_out(out: &mut Vec<GwOut>, dst: Ipv4Addr, msgs: Vec<Message>) {
        out.extend(msgs.into_iter().map(|msg| GwOut::L2tp { dst, msg }));
    }

    /// Sends `msgs`, each ICRQ announced by the markers of the ICRQ faults turned on.
    fn l2tp_marked(&self, out: &mut Vec<GwOut>, dst: Ipv4Addr, msgs: Vec<Message>) {
        const ICRQ_FAULTS: [(GatewayFault, &str); 5] = [
            (GatewayFault::CsnNotConnectId, "gateway:CsnNotConnectId"),
            (GatewayFault::NoHandoffAvps, "gateway:NoHandoffAvps"),
            (
                GatewayFault::HandoffAvpsMandatory,
                "gateway:HandoffAvpsMandatory",
            ),
            (
                GatewayFault::ContinueEqualsReset,
                "gateway:ContinueEqualsReset",
            ),
            (GatewayFault::SkipNs, "gateway:SkipNs"),
        ];
        for msg in msgs {
            if l2tp::message_type(&msg) == Some(MessageType::ICRQ) {
                for (f, knob) in ICRQ_FAULTS {
                    if self.cfg.faults.has(f) {
                        out.push(GwOut::Injected(knob));
                    }
                }
            }
            out.push(GwOut::L2tp { dst, msg });
        }
    }

    /// Processes one input at `now`.
    pub fn handle(&mut self, now: Time, input: GwIn) -> Vec<GwOut> {
        let mut out = Vec::new();
        match input {
            GwIn::Mvtp(Event::Received(Rx {
                iface: Iface::Access,
                addr: Addr::Link { src, .. },
                packet: Packet::Mvtp(msg),
            })) if self.is_ppp(src, &msg) => self.on_client(src, msg, &mut out),
            GwIn::Mvtp(ev) => out.extend(self.fa.handle(now, ev).into_iter().map(GwOut::Mvtp)),
            GwIn::L2tp { src, msg } => self.on_l2tp(src, msg, &mut out),
        }
        out
    }

    /// A PDU of a PPP client: an Encap 1 MV-RRQ, or a PDU on a gateway LEID.
    fn is_ppp(&self, src: Mac, msg: &Msg) -> bool {
        match &msg.body {
            Body::Rrq(r) => r.encap == encap::PPP_TO_L2TP,
            Body::Data { .. } | Body::Dn { .. } => {
                self.calls.get(&msg.leid).is_some_and(|c| c.mac == src)
            }
            _ => false,
        }
    }

    fn rrp(&self, call_leid: u16, reg: &Reg, code: u8) -> Msg {
        let mut r = reg.clone();
        r.code = code;
        if code != code::ACCEPTED {
            r.lifetime = 0;
        } else {
            r.lifetime = r.lifetime.min(self.cfg.fa.adv_lifetime);
        }
        Msg::new(
            if code == code::ACCEPTED { call_leid } else { 0 },
            Body::Rrp(r),
        )
    }

    fn allocate_leid(&self) -> Option<u16> {
        (LEID_BASE..=u16::MAX).find(|l| !self.calls.contains_key(l))
    }

    fn on_client(&mut self, src: Mac, msg: Msg, out: &mut Vec<GwOut>) {
        match msg.body.clone() {
            Body::Rrq(reg) => self.rrq(src, msg, reg, out),
            Body::Data { encap: e, payload } => self.data_up(src, msg.leid, e, payload, out),
            Body::Dn { connect_id, .. } => {
                let Some(c) = self.calls.get(&msg.leid).cloned() else {
                    return;
                };
                if !c.open || c.last_cid != Some(connect_id) {
                    return; // PROC-14
                }
                self.calls.remove(&msg.leid);
                if self.cfg.faults.has(GatewayFault::NoCdnOnDn) {
                    out.push(GwOut::InjectedOnInput("gateway:NoCdnOnDn"));
                    return;
                }
                // L2TP-5: the client's MV-DN → CDN.
                if let Some(lac) = self.lacs.get_mut(&c.lns) {
                    let m = lac.hang_up(
                        c.session,
                        RESULT_ADMINISTRATIVE,
                        "client disconnected (MV-DN)",
                    );
                    Self::l2tp_out(out, c.lns, m);
                }
            }
            _ => {}
        }
    }

    fn rrq(&mut self, src: Mac, msg: Msg, reg: Reg, out: &mut Vec<GwOut>) {
        let deny = |s: &Self, code: u8, out: &mut Vec<GwOut>| {
            let m = s.rrp(0, &reg, code);
            s.send_client(src, m, out);
        };
        let Some(gid) = msg.gid.clone() else {
            return deny(self, code::FA_POORLY_FORMED, out);
        };
        if reg.lifetime > self.cfg.fa.adv_lifetime {
            return deny(self, code::FA_LIFETIME_TOO_LONG, out);
        }
        // AUTH-4/AUTH-5: Mobile-Foreign Authentication may protect the registration; one
        // that does not verify is denied and changes nothing.
        if matches!(
            auth::verify(&msg, AuthRole::MobileForeign, &self.cfg.fa.keys),
            Verdict::UnknownSpi | Verdict::Invalid
        ) {
            return deny(self, code::FA_CLIENT_AUTH, out);
        }
        let existing = self
            .calls
            .iter()
            .find(|(_, c)| c.mac == src)
            .map(|(l, c)| (*l, c.clone()));
        if let Some((leid, c)) = existing {
            // The initial MV-RRQ's retransmissions carry R = 1 too: the same Connect ID is
            // a retransmission whatever R says.
            if c.open && (!reg.reset || c.last_cid == Some(reg.connect_id)) {
                // A retransmission, or a re-registration of a session that exists: at once [L2TP-3].
                if let Some(call) = self.calls.get_mut(&leid) {
                    call.last_cid = Some(reg.connect_id);
                }
                let m = self.rrp(leid, &reg, code::ACCEPTED);
                return self.send_client(src, m, out);
            }
            if c.pending
                .as_ref()
                .is_some_and(|p| p.connect_id == reg.connect_id)
            {
                return; // retransmission while the ICRQ is outstanding: MV-RRP comes with ICRP
            }
            // A new link (R = 1) or a new attempt: clear the old session, place a new call.
            self.calls.remove(&leid);
            if let Some(lac) = self.lacs.get_mut(&c.lns) {
                let m = lac.hang_up(
                    c.session,
                    RESULT_ADMINISTRATIVE,
                    "new link requested (MV-RRQ with R = 1)",
                );
                Self::l2tp_out(out, c.lns, m);
            }
        }
        let Some(leid) = self.allocate_leid() else {
            return deny(self, code::FA_INSUFFICIENT_RESOURCES, out);
        };
        let session = self.next_session;
        self.next_session = self.next_session.checked_add(1).unwrap_or(1);
        let lns = reg.home;
        let faults = self.cfg.faults.clone();
        let mut csn = reg.connect_id;
        if faults.has(GatewayFault::CsnNotConnectId) {
            csn = csn.wrapping_sub(1);
        }
        let handoff = (!faults.has(GatewayFault::NoHandoffAvps)).then(|| HandoffAvps {
            gid: gid.clone(),
            cont: if faults.has(GatewayFault::ContinueEqualsReset) {
                reg.reset
            } else {
                !reg.reset
            },
            mandatory: faults.has(GatewayFault::HandoffAvpsMandatory),
        });
        if !self.lacs.contains_key(&lns) {
            let t = self.next_tunnel;
            self.next_tunnel = self.next_tunnel.checked_add(1).unwrap_or(1);
            self.lacs.insert(lns, Lac::new(t, &self.cfg.host_name));
        }
        let Some(lac) = self.lacs.get_mut(&lns) else {
            return;
        };
        lac.skip_ns_once = faults.has(GatewayFault::SkipNs);
        let msgs = lac.place_call(session, Some(csn), handoff);
        self.l2tp_marked(out, lns, msgs);
        self.calls.insert(
            leid,
            Call {
                mac: src,
                gid,
                lns,
                session,
                pending: Some(reg.clone()),
                last_cid: None,
                open: false,
            },
        );
        if faults.has(GatewayFault::RrpBeforeIcrp) {
            self.accept(leid, out, true);
        }
    }

    /// MV-RRP code 0 for the pending registration of `leid`: the connection is OPEN.
    fn accept(&mut self, leid: u16, out: &mut Vec<GwOut>, early: bool) {
        let Some(c) = self.calls.get_mut(&leid) else {
            return;
        };
        let Some(reg) = c.pending.take() else { return };
        c.open = true;
        c.last_cid = Some(reg.connect_id);
        let mac = c.mac;
        let m = self.rrp(leid, &reg, code::ACCEPTED);
        if early {
            out.push(GwOut::Injected("gateway:RrpBeforeIcrp"));
        }
        self.send_client(mac, m, out);
    }

    fn data_up(&mut self, src: Mac, leid: u16, e: u8, mut ppp: Vec<u8>, out: &mut Vec<GwOut>) {
        let Some(c) = self
            .calls
            .get(&leid)
            .filter(|c| c.mac == src && c.open && e == encap::PPP_TO_L2TP)
            .cloned()
        else {
            return;
        };
        let Some(lac) = self.lacs.get(&c.lns) else {
            return;
        };
        let is_ip = ppp.get(..4) == Some(&[0xff, 0x03, 0x00, 0x21][..]);
        if is_ip && self.cfg.faults.has(GatewayFault::AlterPppFrame) && !self.altered {
            self.altered = true;
            alter_ttl(&mut ppp, 4);
            out.push(GwOut::Injected("gateway:AlterPppFrame"));
        }
        if is_ip && self.cfg.faults.has(GatewayFault::OwnSessionId) && !self.own_session_sent {
            self.own_session_sent = true;
            out.push(GwOut::Injected("gateway:OwnSessionId"));
            let mut m = lac.tunnel.data(c.session, ppp);
            m.header.session = c.session;
            return out.push(GwOut::L2tp { dst: c.lns, msg: m });
        }
        if let Some(m) = lac.data(c.session, ppp) {
            out.push(GwOut::L2tp { dst: c.lns, msg: m });
        }
    }

    fn on_l2tp(&mut self, src: Ipv4Addr, msg: Message, out: &mut Vec<GwOut>) {
        let Some(lac) = self.lacs.get_mut(&src) else {
            return;
        };
        let (msgs, events) = lac.receive(&msg);
        self.l2tp_marked(out, src, msgs);
        for e in events {
            match e {
                LacEvent::Connected { session, .. } => {
                    let leid = self
                        .calls
                        .iter()
                        .find(|(_, c)| c.lns == src && c.session == session)
                        .map(|(l, _)| *l);
                    if let Some(l) = leid {
                        self.accept(l, out, false);
                    }
                }
                LacEvent::Disconnected { session, .. } => {
                    let hit = self
                        .calls
                        .iter()
                        .find(|(_, c)| c.lns == src && c.session == session)
                        .map(|(l, c)| (*l, c.clone()));
                    let Some((leid, c)) = hit else { continue };
                    self.calls.remove(&leid);
                    if self.cfg.faults.has(GatewayFault::NoDnOnCdn) {
                        out.push(GwOut::InjectedOnInput("gateway:NoDnOnCdn"));
                        continue;
                    }
                    // L2TP-5: CDN → MV-DN code 3, with the Connect ID of the latest
                    // registration (or the pending one) [PROC-14].
                    let cid = c
                        .last_cid
                        .or(c.pending.as_ref().map(|r| r.connect_id))
                        .unwrap_or(0);
                    let dn = Msg::new(
                        leid,
                        Body::Dn {
                            code: dn_code::L2TP_CDN,
                            connect_id: cid,
                            ident: 0,
                        },
                    );
                    self.send_client(c.mac, dn, out);
                }
                LacEvent::Data { session, ppp } => {
                    let leid = self
                        .calls
                        .iter()
                        .find(|(_, c)| c.lns == src && c.session == session && c.open)
                        .map(|(l, c)| (*l, c.mac));
                    if let Some((l, mac)) = leid {
                        let m = Msg::new(
                            l,
                            Body::Data {
                                encap: encap::PPP_TO_L2TP,
                                payload: ppp,
                            },
                        );
                        self.send_client(mac, m, out);
                    }
                }
            }
        }
    }
}

/// Decrements the TTL of the IPv4 header at `at` and fixes its checksum (RFC 1624).
fn alter_ttl(b: &mut [u8], at: usize) {
    let (Some(&ttl), Some(c)) = (b.get(at + 8), b.get(at + 10..at + 12)) else {
        return;
    };
    let old = u16::from_be_bytes([c[0], c[1]]);
    let new_ttl = ttl.wrapping_sub(1);
    // HC' = ~(~HC + ~m + m') over the 16-bit word TTL|Protocol.
    let proto = b.get(at + 9).copied().unwrap_or(0);
    let m = u16::from_be_bytes([ttl, proto]);
    let m2 = u16::from_be_bytes([new_ttl, proto]);
    let mut sum = u32::from(!old) + u32::from(!m) + u32::from(m2);
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    let hc = !(sum as u16);
    if let Some(t) = b.get_mut(at + 8) {
        *t = new_ttl;
    }
    if let Some(c) = b.get_mut(at + 10..at + 12) {
        c.copy_from_slice(&hc.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1624_ttl_decrement_keeps_the_checksum_valid() {
        // IPv4 header: 45 00 0014 0001 0000 40 11 csum c0000201 cb007150.
        let mut h = vec![
            0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 203, 0, 113, 80,
        ];
        let sum = |h: &[u8]| {
            let mut s = 0u32;
            for w in h.chunks(2) {
                s += u32::from(u16::from_be_bytes([w[0], w[1]]));
            }
            while s >> 16 != 0 {
                s = (s & 0xFFFF) + (s >> 16);
            }
            s as u16
        };
        let c = !sum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(sum(&h), 0xFFFF);
        alter_ttl(&mut h, 0);
        assert_eq!(h[8], 63);
        assert_eq!(sum(&h), 0xFFFF);
    }
}
