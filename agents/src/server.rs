//! The MVTP server (spec §4, §5.2–§5.4): mobility records per Global Endpoint ID,
//! validity of registrations, replies, expiry and Roam Notify.
//!
//! An MV-RRQ is checked in this order: well-formed (134), home address (136),
//! authentication (131), Identification (133), Connect ID (137) [AUTH-6, PROC-6, PROC-7].

use crate::auth::{self, Verdict};
use crate::common::{Action, Addr, Event, Faults, Iface, Indication, Out, Packet, Rx, Time, Timer};
use crate::msg::{code, dn_code, encap, ntp_timestamp, ntp_to_ms, AuthRole, Body, Msg, Reg};
use codec::auth::KeyStore;
use codec::gid::Gid;
use codec::serial;
use std::net::Ipv4Addr;

/// MAX_MVTP_PDU_LIFETIME default [PROC-6, PROC-16].
pub const MAX_MVTP_PDU_LIFETIME_MS: u64 = 10_000;
/// Replay window of timestamp Identifications [AUTH-6].
pub const REPLAY_WINDOW_MS: u64 = 7_000;

/// Server faults: each breaks one rule on purpose (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerFault {
    /// Accepts an older Connect ID as a valid registration [PROC-7].
    AcceptStaleConnectId,
    /// Treats a retransmission (equal Connect ID) as a new registration [PROC-7].
    RetransmissionAsNew,
    /// Accepts requests whose authenticator does not verify [AUTH-5].
    SkipAuthentication,
    /// Accepts old or far-off Identifications [AUTH-6].
    SkipReplayCheck,
    /// Checks the Connect ID before authentication and Identification [AUTH-6].
    ConnectIdFirst,
    /// Grants more lifetime than requested [FMT-11].
    GrantLongerLifetime,
    /// Puts a wrong Identification into replies [FMT-13].
    WrongIdentEcho,
    /// Does not echo the R and N flags [FMT-9].
    NoFlagEcho,
    /// Sends no Roam Notify [PROC-15].
    NoRoamNotify,
    /// Sends the Roam Notify without Foreign-Home Authentication [AUTH-7].
    RoamNotifyWithoutAuth,
    /// Closes expired registrations silently [PROC-10].
    NoExpiryNotify,
    /// Replies without Mobile-Home Authentication [AUTH-4].
    UnauthenticatedReplies,
    /// Puts another Encap Type into replies [FMT-12].
    WrongEncapEcho,
    /// Sends the reply to a moved client to the old care-of address [PROC-8].
    ReplyToOldCareOf,
    /// Sends MV-DN code 1 with a Connect ID other than the latest valid one [PROC-14].
    WrongDnConnectId,
    /// Refuses a request whose Connect ID is not newer than its record's as stale (137)
    /// even when the record is older than MAX_MVTP_PDU_LIFETIME [PROC-6].
    IgnoreRecordAge,
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's address: the Home IP Address clients register with.
    pub addr: Ipv4Addr,
    /// Security associations (Mobile-Home with clients, Foreign-Home with FAs).
    pub keys: KeyStore,
    /// SPI of the Foreign-Home SA for Roam Notify [AUTH-7]; by care-of address first.
    pub fh_spi: Option<u32>,
    /// Foreign-Home SPIs per FA care-of address (override `fh_spi`).
    pub fh_spi_by_coa: Vec<(Ipv4Addr, u32)>,
    /// MAX_MVTP_PDU_LIFETIME, ms [PROC-6].
    pub max_pdu_lifetime_ms: u64,
    /// Largest lifetime granted, seconds [PROC-16].
    pub max_lifetime: u16,
    /// Replay window, ms [AUTH-6].
    pub replay_window_ms: u64,
    /// Fault injection.
    pub faults: Faults<ServerFault>,
}

impl ServerConfig {
    /// Defaults of spec §5 for a server at `addr`.
    pub fn new(addr: Ipv4Addr) -> Self {
        Self {
            addr,
            keys: KeyStore::new(),
            fh_spi: None,
            fh_spi_by_coa: Vec::new(),
            max_pdu_lifetime_ms: MAX_MVTP_PDU_LIFETIME_MS,
            max_lifetime: crate::client::DEFAULT_LIFETIME,
            replay_window_ms: REPLAY_WINDOW_MS,
            faults: Faults::none(),
        }
    }
}

/// The answer a registration got, repeated for retransmissions [PROC-7].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Code.
    pub code: u8,
    /// Granted lifetime.
    pub lifetime: u16,
    /// R flag as echoed.
    pub reset: bool,
    /// N flag as echoed.
    pub roam_notify: bool,
    /// Local Endpoint ID.
    pub leid: u16,
}

/// A mobility record [PROC-6].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Number naming the record's expiry timer.
    pub id: u32,
    /// Global Endpoint ID.
    pub gid: Gid,
    /// Local Endpoint ID at the current FA.
    pub leid: u16,
    /// Connect ID of the last valid registration.
    pub connect_id: u32,
    /// Care-of address.
    pub coa: Ipv4Addr,
    /// Time of the last valid MV-RRQ (registration age = now − this).
    pub registered_at: Time,
    /// Connection state: OPEN.
    pub open: bool,
    /// Granted lifetime, seconds.
    pub lifetime: u16,
    /// Encap Type.
    pub encap: u8,
    /// Last accepted Identification [AUTH-6].
    pub last_ident: u64,
    /// Mobile-Home SPI the client used.
    pub mh_spi: Option<u32>,
    /// Answer of the last valid registration.
    pub answer: Answer,
}

/// The MVTP server state machine.
#[derive(Debug, Clone)]
pub struct Server {
    cfg: ServerConfig,
    records: Vec<Record>,
    next_id: u32,
    last_ident_sent: u64,
}

impl Server {
    /// A server.
    pub fn new(cfg: ServerConfig) -> Self {
        Self { cfg, records: Vec::new(), next_id: 0, last_ident_sent: 0 }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }
    /// The configuration, to change (fault knobs, timers) between events.
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.cfg
    }
    /// Mobility records.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
    /// The record of `gid`.
    pub fn record(&self, gid: &Gid) -> Option<&Record> {
        self.records.iter().find(|r| &r.gid == gid)
    }

    /// Processes one event at `now`.
    pub fn handle(&mut self, now: Time, event: Event) -> Vec<Action> {
        let mut out = Out::default();
        match event {
            Event::Received(Rx { iface: Iface::Core, addr: Addr::Ip { src, .. }, packet: Packet::Mvtp(msg) }) => {
                match &msg.body {
                    Body::Rrq(reg) => {
                        let reg = reg.clone();
                        self.rrq(now, src, &msg, &reg, &mut out)
                    }
                    Body::Dn { connect_id, ident, .. } => {
                        let (cid, ident) = (*connect_id, *ident);
                        self.dn(now, src, &msg, cid, ident, &mut out)
                    }
                    Body::Data { payload, .. } => {
                        if let Some(r) = self.records.iter().find(|r| r.open && r.coa == src && r.leid == msg.leid) {
                            out.indicate(Indication::Data {
                                leid: msg.leid,
                                gid: Some(r.gid.clone()),
                                payload: payload.clone(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::SendData { peer: Some(gid), payload } => {
                if let Some(r) = self.records.iter().find(|r| r.open && r.gid == gid) {
                    let msg = Msg::new(r.leid, Body::Data { encap: r.encap, payload });
                    out.send(Iface::Core, Addr::Ip { src: self.cfg.addr, dst: r.coa }, msg);
                }
            }
            Event::TimerFired(Timer::Expiry(id)) => self.expiry(now, id, &mut out),
            _ => {}
        }
        out.0
    }

    fn uses_mh(encap_type: u8) -> bool {
        matches!(encap_type, encap::NONE | encap::L2TP_TRANSPORT)
    }

    /// Identification fresh: newer than the last accepted and within the window [AUTH-6].
    fn fresh(&self, now: Time, ident: u64, last: Option<u64>) -> bool {
        if self.cfg.faults.has(ServerFault::SkipReplayCheck) {
            return true;
        }
        let newer = last.is_none_or(|l| ident > l);
        newer && ntp_to_ms(ident).abs_diff(now) <= self.cfg.replay_window_ms
    }

    fn next_ident(&mut self, now: Time) -> u64 {
        let i = ntp_timestamp(now).max(self.last_ident_sent.wrapping_add(1));
        self.last_ident_sent = i;
        i
    }

    /// Sends an MV-RRP for `req` [FMT-9, FMT-12, FMT-13, AUTH-4].
    fn reply(&self, to: Ipv4Addr, req: &Msg, reg: &Reg, a: &Answer, out: &mut Out) {
        let f = &self.cfg.faults;
        let mut r = reg.clone();
        r.code = a.code;
        r.lifetime = a.lifetime;
        r.reset = a.reset && !f.has(ServerFault::NoFlagEcho);
        r.roam_notify = a.roam_notify && !f.has(ServerFault::NoFlagEcho);
        if f.has(ServerFault::WrongIdentEcho) {
            r.ident ^= 0x0000_0000_5A5A_5A5A;
        }
        if f.has(ServerFault::WrongEncapEcho) {
            r.encap ^= 0x02;
        }
        let mut rrp = Msg::new(a.leid, Body::Rrp(r));
        if Self::uses_mh(reg.encap) && !f.has(ServerFault::UnauthenticatedReplies) {
            if let Some(spi) = req.auth_avp(AuthRole::MobileHome).map(|a| a.spi) {
                auth::sign_with(&mut rrp, AuthRole::MobileHome, spi, &self.cfg.keys);
            }
        }
        out.send(Iface::Core, Addr::Ip { src: self.cfg.addr, dst: to }, rrp);
    }

    fn deny(&self, to: Ipv4Addr, req: &Msg, reg: &Reg, code: u8, out: &mut Out) {
        let a = Answer { code, lifetime: 0, reset: reg.reset, roam_notify: reg.roam_notify, leid: req.leid };
        self.reply(to, req, reg, &a, out);
    }

    fn rrq(&mut self, now: Time, coa: Ipv4Addr, msg: &Msg, reg: &Reg, out: &mut Out) {
        let Some(gid) = msg.gid.clone().filter(|g| g.check().is_ok()) else {
            return self.deny(coa, msg, reg, code::POORLY_FORMED, out);
        };
        if reg.encap > encap::L2TP_TRANSPORT || reg.encap == encap::PPP_TO_L2TP {
            return self.deny(coa, msg, reg, code::POORLY_FORMED, out);
        }
        if reg.home != self.cfg.addr {
            return self.deny(coa, msg, reg, code::UNKNOWN_HOME, out);
        }
        let idx = self.records.iter().position(|r| r.gid == gid);
        let f = self.cfg.faults.clone();

        // PROC-6/7: valid, retransmission or stale.
        enum Cid {
            Valid,
            Retransmission,
            Stale,
        }
        let cid_check = |rec: Option<&Record>| match rec {
            None => Cid::Valid,
            Some(r) if now.saturating_sub(r.registered_at) > self.cfg.max_pdu_lifetime_ms => {
                if f.has(ServerFault::IgnoreRecordAge) && !serial::newer(reg.connect_id, r.connect_id) {
                    Cid::Stale
                } else {
                    Cid::Valid
                }
            }
            Some(r) if serial::newer(reg.connect_id, r.connect_id) => Cid::Valid,
            Some(r) if reg.connect_id == r.connect_id => {
                if f.has(ServerFault::RetransmissionAsNew) {
                    Cid::Valid
                } else {
                    Cid::Retransmission
                }
            }
            Some(_) if f.has(ServerFault::AcceptStaleConnectId) => Cid::Valid,
            Some(_) => Cid::Stale,
        };
        let rec = idx.and_then(|i| self.records.get(i));
        if f.has(ServerFault::ConnectIdFirst) {
            if let Cid::Stale = cid_check(rec) {
                return self.deny(coa, msg, reg, code::STALE_CONNECT_ID, out);
            }
        }
        // AUTH-5/6: authentication (131) before Identification (133).
        if Self::uses_mh(reg.encap)
            && !f.has(ServerFault::SkipAuthentication)
            && auth::verify(msg, AuthRole::MobileHome, &self.cfg.keys) != Verdict::Valid
        {
            return self.deny(coa, msg, reg, code::CLIENT_AUTH, out);
        }
        if !self.fresh(now, reg.ident, rec.map(|r| r.last_ident)) {
            return self.deny(coa, msg, reg, code::IDENT_MISMATCH, out);
        }
        match cid_check(rec) {
            Cid::Retransmission => {
                if let Some(r) = rec {
                    // Same answer, fresh Identification echo and authenticator; no change.
                    let a = r.answer.clone();
                    self.reply(coa, msg, reg, &a, out);
                }
                return;
            }
            Cid::Stale => return self.deny(coa, msg, reg, code::STALE_CONNECT_ID, out),
            Cid::Valid => {}
        }

        // PROC-8: a valid registration.
        let granted = if reg.lifetime == 0 {
            0
        } else if f.has(ServerFault::GrantLongerLifetime) {
            reg.lifetime.saturating_add(60)
        } else {
            reg.lifetime.min(self.cfg.max_lifetime)
        };
        let answer = Answer {
            code: code::ACCEPTED,
            lifetime: granted,
            reset: reg.reset,
            roam_notify: reg.roam_notify,
            leid: msg.leid,
        };
        let old = rec.map(|r| (r.open, r.coa, r.leid, r.connect_id, r.encap, r.mh_spi));
        let id = match idx.and_then(|i| self.records.get(i)) {
            Some(r) => r.id,
            None => {
                self.next_id = self.next_id.wrapping_add(1);
                self.next_id
            }
        };
        let record = Record {
            id,
            gid: gid.clone(),
            leid: msg.leid,
            connect_id: reg.connect_id,
            coa,
            registered_at: now,
            open: granted > 0,
            lifetime: granted,
            encap: reg.encap,
            last_ident: reg.ident,
            mh_spi: msg.auth_avp(AuthRole::MobileHome).map(|a| a.spi),
            answer: answer.clone(),
        };
        match idx.and_then(|i| self.records.get_mut(i)) {
            Some(r) => *r = record,
            None => self.records.push(record),
        }
        let reply_to = match old {
            Some((_, old_coa, ..)) if f.has(ServerFault::ReplyToOldCareOf) => old_coa,
            _ => coa,
        };
        self.reply(reply_to, msg, reg, &answer, out);
        if granted > 0 {
            out.timer(Timer::Expiry(id), now + u64::from(granted) * 1000);
        } else {
            out.cancel(Timer::Expiry(id));
        }
        let was_open = old.is_some_and(|o| o.0);
        let moved = old.is_some_and(|o| o.1 != coa || o.2 != msg.leid);
        if granted == 0 {
            if was_open {
                out.indicate(Indication::Closed { leid: msg.leid, code: dn_code::NORMAL });
            }
        } else if !was_open || moved {
            out.indicate(Indication::Open { leid: msg.leid, lifetime: granted, gid: Some(gid) });
        }
        // PROC-15: Roam Notify to the old care-of address.
        if let Some((true, old_coa, old_leid, old_cid, _, _)) = old {
            if reg.roam_notify && old_coa != coa && !f.has(ServerFault::NoRoamNotify) {
                let ident = self.next_ident(now);
                let mut dn = Msg::new(old_leid, Body::Dn { code: dn_code::ROAMED, connect_id: old_cid, ident });
                if !f.has(ServerFault::RoamNotifyWithoutAuth) {
                    let spi =
                        self.cfg.fh_spi_by_coa.iter().find(|(a, _)| *a == old_coa).map(|(_, s)| *s).or(self.cfg.fh_spi);
                    if let Some(spi) = spi {
                        auth::sign_with(&mut dn, AuthRole::ForeignHome, spi, &self.cfg.keys);
                    }
                }
                out.send(Iface::Core, Addr::Ip { src: self.cfg.addr, dst: old_coa }, dn);
            }
        }
    }

    /// An MV-DN from a client (relayed by its FA): close on a match [PROC-14, AUTH-5/6].
    fn dn(&mut self, now: Time, coa: Ipv4Addr, msg: &Msg, cid: u32, ident: u64, out: &mut Out) {
        let Some(i) =
            self.records.iter().position(|r| r.open && r.coa == coa && r.leid == msg.leid && r.connect_id == cid)
        else {
            return;
        };
        let Some(r) = self.records.get(i) else { return };
        if Self::uses_mh(r.encap)
            && !self.cfg.faults.has(ServerFault::SkipAuthentication)
            && auth::verify(msg, AuthRole::MobileHome, &self.cfg.keys) != Verdict::Valid
        {
            return;
        }
        if !self.fresh(now, ident, Some(r.last_ident)) {
            return;
        }
        let (id, leid) = (r.id, r.leid);
        if let Some(r) = self.records.get_mut(i) {
            r.open = false;
            r.last_ident = ident;
        }
        out.cancel(Timer::Expiry(id));
        out.indicate(Indication::Closed { leid, code: dn_code::NORMAL });
    }

    /// PROC-10: the lifetime ran out without re-registration.
    fn expiry(&mut self, now: Time, id: u32, out: &mut Out) {
        let Some(i) = self.records.iter().position(|r| r.id == id) else { return };
        let Some(r) = self.records.get(i) else { return };
        let end = r.registered_at + u64::from(r.lifetime) * 1000;
        if !r.open || now < end {
            return;
        }
        let (coa, leid, cid, encap_type, spi) = (r.coa, r.leid, r.connect_id, r.encap, r.mh_spi);
        if let Some(r) = self.records.get_mut(i) {
            r.open = false;
        }
        out.indicate(Indication::Closed { leid, code: dn_code::EXPIRED });
        if self.cfg.faults.has(ServerFault::NoExpiryNotify) {
            return;
        }
        let ident = self.next_ident(now);
        let cid = if self.cfg.faults.has(ServerFault::WrongDnConnectId) { cid.wrapping_sub(1) } else { cid };
        let mut dn = Msg::new(leid, Body::Dn { code: dn_code::EXPIRED, connect_id: cid, ident });
        if Self::uses_mh(encap_type) && !self.cfg.faults.has(ServerFault::UnauthenticatedReplies) {
            if let Some(spi) = spi {
                auth::sign_with(&mut dn, AuthRole::MobileHome, spi, &self.cfg.keys);
            }
        }
        out.send(Iface::Core, Addr::Ip { src: self.cfg.addr, dst: coa }, dn);
    }
}
