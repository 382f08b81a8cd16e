//! The MVTP foreign agent (spec §5, §6), without the L2TP gateway of §7: advertisement,
//! Local Endpoint ID allocation, relaying registrations, data and disconnects between
//! the access link (data-link framing) and the core (IP/GRE), and ESP forwarding by SPI.

use crate::auth::{self, Verdict};
use crate::common::{Action, Addr, Event, Faults, Iface, Out, Packet, Rx, Time, Timer};
use crate::msg::{code, dn_code, encap, AuthRole, Body, Msg, Reg};
use codec::agent_adv::{flags as adv_flags, AgentAdv};
use codec::auth::KeyStore;
use codec::ethernet::{Mac, MVTP_MULTICAST};
use codec::gid::Gid;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Default advertisement interval [PROC-1].
pub const ADVERTISE_INTERVAL_MS: u64 = 1_000;
/// The sequence number after 0xFFFF [PROC-2].
pub const SEQ_WRAP_TO: u16 = 256;

/// FA faults: each breaks one rule on purpose (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaFault {
    /// Gives a new client a Local Endpoint ID already in use [PROC-5].
    ReuseLeid,
    /// Forwards registrations with Local Endpoint ID 0 [PROC-5].
    ZeroLeid,
    /// Drops PDUs invalid for the connection state without MV-DN code 2 [PROC-12].
    NoDnForInvalidPdu,
    /// Forwards MV-DATA of a client whose connection is not open [PROC-11].
    ForwardDataWhenClosed,
    /// Relays the server's MV-DN code 5 to the client [AUTH-7].
    RelayRoamNotify,
    /// Keeps the connection open after a Roam Notify [PROC-15].
    IgnoreRoamNotify,
    /// Opens the connection when it forwards the MV-RRQ, before any MV-RRP [PROC-9].
    OpenBeforeReply,
    /// Omits the Prefix Lengths AVP from advertisements [PROC-3].
    NoPrefixLengths,
    /// Steps the advertisement sequence number back now and then [PROC-2].
    SequenceDecrease,
    /// Answers MV-DN code 2 with a wrong Connect ID [PROC-12].
    WrongDnConnectId,
    /// Does not answer MV-FAS [PROC-1].
    NoUnicastAnswer,
    /// Sends an MV-DN code 1 of its own when a granted lifetime ends [PROC-10].
    OwnDnOnExpiry,
    /// Forwards ESP by the low half of the SPI instead of the high half [SEC-2].
    EspByLowHalf,
}

/// FA configuration.
#[derive(Debug, Clone)]
pub struct FaConfig {
    /// 802 address on the access link.
    pub mac: Mac,
    /// Care-of address on the core.
    pub coa: Ipv4Addr,
    /// Prefix length of the care-of address (Prefix Lengths AVP) [PROC-3].
    pub prefix_length: u8,
    /// Registration Lifetime advertised, seconds.
    pub adv_lifetime: u16,
    /// Agent advertisement flags (F is required [AVP-7]).
    pub adv_flags: u16,
    /// Interval of multicast advertisements, ms [PROC-1].
    pub advertise_interval_ms: u64,
    /// Sequence number of the first advertisement (0 after a start) [PROC-2].
    pub initial_seq: u16,
    /// Security associations (Mobile-Foreign with clients, Foreign-Home with servers).
    pub keys: KeyStore,
    /// SPI of the Mobile-Foreign SA to protect PDUs the FA originates [AUTH-4].
    pub mf_spi: Option<u32>,
    /// Fault injection.
    pub faults: Faults<FaFault>,
}

impl FaConfig {
    /// Defaults of spec §5 for an FA with this 802 address and care-of address.
    pub fn new(mac: Mac, coa: Ipv4Addr) -> Self {
        Self {
            mac,
            coa,
            prefix_length: 24,
            adv_lifetime: crate::client::DEFAULT_LIFETIME,
            adv_flags: adv_flags::F | adv_flags::G,
            advertise_interval_ms: ADVERTISE_INTERVAL_MS,
            initial_seq: 0,
            keys: KeyStore::new(),
            mf_spi: None,
            faults: Faults::none(),
        }
    }
}

/// One client connection at the FA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    /// The client's 802 address.
    pub mac: Mac,
    /// Its Global Endpoint ID.
    pub gid: Option<Gid>,
    /// Home IP Address it registers with.
    pub home: Ipv4Addr,
    /// Encap Type.
    pub encap: u8,
    /// OPEN [PROC-9].
    pub open: bool,
    /// Connect ID of the request in flight.
    pub pending_cid: Option<u32>,
    /// Connect ID of the latest accepted registration.
    pub last_cid: Option<u32>,
}

/// The MVTP foreign agent state machine.
#[derive(Debug, Clone)]
pub struct Fa {
    cfg: FaConfig,
    seq: u16,
    adverts: u64,
    conns: BTreeMap<u16, Conn>,
    next_leid: u16,
}

impl Fa {
    /// An FA; it advertises from [`Event::Start`] on.
    pub fn new(cfg: FaConfig) -> Self {
        let seq = cfg.initial_seq;
        Self { cfg, seq, adverts: 0, conns: BTreeMap::new(), next_leid: 1 }
    }

    /// The configuration.
    pub fn config(&self) -> &FaConfig {
        &self.cfg
    }
    /// The configuration, to change (fault knobs, timers) between events.
    pub fn config_mut(&mut self) -> &mut FaConfig {
        &mut self.cfg
    }
    /// Connections by Local Endpoint ID.
    pub fn connections(&self) -> &BTreeMap<u16, Conn> {
        &self.conns
    }
    /// The connection of the client with this 802 address.
    pub fn conn_of(&self, mac: Mac) -> Option<(u16, &Conn)> {
        self.conns.iter().find(|(_, c)| c.mac == mac).map(|(l, c)| (*l, c))
    }
    /// True when the client with this 802 address has an OPEN connection here.
    pub fn is_open_for(&self, mac: Mac) -> bool {
        self.conns.values().any(|c| c.mac == mac && c.open)
    }
    /// The sequence number of the next advertisement.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Processes one event at `now`.
    pub fn handle(&mut self, now: Time, event: Event) -> Vec<Action> {
        let mut out = Out::default();
        match event {
            Event::Start => {
                self.advertise(MVTP_MULTICAST, &mut out);
                out.timer(Timer::Advertise, now + self.cfg.advertise_interval_ms);
            }
            Event::TimerFired(Timer::Advertise) => {
                self.advertise(MVTP_MULTICAST, &mut out);
                out.timer(Timer::Advertise, now + self.cfg.advertise_interval_ms);
            }
            Event::TimerFired(Timer::Expiry(leid)) => self.own_expiry(leid, &mut out),
            Event::Received(Rx { iface: Iface::Access, addr: Addr::Link { src, .. }, packet }) => match packet {
                Packet::Mvtp(msg) => self.on_client(src, msg, &mut out),
                Packet::Esp { spi, datagram } => self.esp_up(src, spi, datagram, &mut out),
            },
            Event::Received(Rx { iface: Iface::Core, addr: Addr::Ip { src, dst }, packet }) => match packet {
                Packet::Mvtp(msg) => self.on_core(now, src, msg, &mut out),
                Packet::Esp { spi, datagram } if dst == self.cfg.coa => self.esp_down(spi, datagram, &mut out),
                Packet::Esp { .. } => {}
            },
            _ => {}
        }
        out.0
    }

    /// Sends one MV-FAA to `dst` [PROC-1, PROC-2, PROC-3].
    fn advertise(&mut self, dst: Mac, out: &mut Out) {
        let adv = AgentAdv {
            seq: self.seq,
            lifetime: self.cfg.adv_lifetime,
            flags: self.cfg.adv_flags,
            coas: vec![self.cfg.coa],
        };
        let prefix_lengths =
            if self.cfg.faults.has(FaFault::NoPrefixLengths) { Vec::new() } else { vec![self.cfg.prefix_length] };
        out.send(Iface::Access, Addr::Link { src: self.cfg.mac, dst }, Msg::new(0, Body::Faa { adv, prefix_lengths }));
        self.adverts += 1;
        self.seq = match self.seq {
            0xFFFF => SEQ_WRAP_TO,
            s if self.cfg.faults.has(FaFault::SequenceDecrease) && self.adverts.is_multiple_of(5) && s >= 300 => s - 3,
            s => s + 1,
        };
    }

    fn link(&self, dst: Mac) -> Addr {
        Addr::Link { src: self.cfg.mac, dst }
    }

    fn to_home(&self, home: Ipv4Addr) -> Addr {
        Addr::Ip { src: self.cfg.coa, dst: home }
    }

    /// A Local Endpoint ID ≠ 0 not in use [PROC-5]; `None` when all are taken.
    fn allocate_leid(&mut self) -> Option<u16> {
        if self.cfg.faults.has(FaFault::ReuseLeid) {
            if let Some(l) = self.conns.keys().next() {
                return Some(*l);
            }
        }
        let start = self.next_leid.max(1);
        let mut l = start;
        loop {
            if !self.conns.contains_key(&l) {
                self.next_leid = l.checked_add(1).unwrap_or(1);
                return Some(l);
            }
            l = l.checked_add(1).unwrap_or(1);
            if l == start {
                return None;
            }
        }
    }

    fn on_client(&mut self, src: Mac, msg: Msg, out: &mut Out) {
        match &msg.body {
            Body::Fas if self.cfg.faults.has(FaFault::NoUnicastAnswer) => {}
            Body::Fas => self.advertise(src, out),
            Body::Faa { .. } => {} // another FA's advertisement heard on the link
            Body::Rrq(reg) => {
                let reg = reg.clone();
                self.rrq(src, msg, &reg, out)
            }
            Body::Data { .. } => self.data_up(src, msg, out),
            Body::Dn { connect_id, .. } => {
                let cid = *connect_id;
                let hit = self.conns.get_mut(&msg.leid).filter(|c| c.mac == src && c.open && c.last_cid == Some(cid));
                if let Some(c) = hit {
                    c.open = false;
                    let home = c.home;
                    out.send(Iface::Core, self.to_home(home), msg);
                }
                // PROC-14: otherwise ignored
            }
            Body::Rrp(_) => self.invalid_for_state(src, msg.leid, out),
        }
    }

    /// MV-DN code 2 to the source of a PDU not valid for the connection state [PROC-12].
    fn invalid_for_state(&mut self, src: Mac, leid: u16, out: &mut Out) {
        if self.cfg.faults.has(FaFault::NoDnForInvalidPdu) {
            return;
        }
        let mut cid = self.conn_of(src).and_then(|(_, c)| c.pending_cid.or(c.last_cid)).unwrap_or(0);
        if self.cfg.faults.has(FaFault::WrongDnConnectId) {
            cid = cid.wrapping_add(0x1000);
        }
        let mut dn = Msg::new(leid, Body::Dn { code: dn_code::INVALID_FOR_STATE, connect_id: cid, ident: 0 });
        if let Some(spi) = self.cfg.mf_spi {
            auth::sign_with(&mut dn, AuthRole::MobileForeign, spi, &self.cfg.keys);
        }
        out.send(Iface::Access, self.link(src), dn);
    }

    /// An MV-RRP denial from the FA itself (codes 64..72) [AUTH-4, FMT-9, FMT-13].
    fn deny(&self, src: Mac, reg: &Reg, code: u8, out: &mut Out) {
        let mut r = reg.clone();
        r.code = code;
        r.lifetime = 0;
        let mut rrp = Msg::new(0, Body::Rrp(r));
        if let Some(spi) = self.cfg.mf_spi {
            auth::sign_with(&mut rrp, AuthRole::MobileForeign, spi, &self.cfg.keys);
        }
        out.send(Iface::Access, self.link(src), rrp);
    }

    fn rrq(&mut self, src: Mac, mut msg: Msg, reg: &Reg, out: &mut Out) {
        if !matches!(reg.encap, encap::NONE | encap::L2TP_TRANSPORT) {
            // PPP_TO_L2TP needs the gateway of §7 (not built); others are unknown.
            return self.deny(src, reg, code::FA_ENCAP_UNAVAILABLE, out);
        }
        if msg.gid.is_none() {
            return self.deny(src, reg, code::FA_POORLY_FORMED, out);
        }
        if reg.lifetime > self.cfg.adv_lifetime {
            return self.deny(src, reg, code::FA_LIFETIME_TOO_LONG, out);
        }
        match auth::verify(&msg, AuthRole::MobileForeign, &self.cfg.keys) {
            Verdict::Valid | Verdict::Missing => {}
            Verdict::UnknownSpi | Verdict::Invalid => {
                return self.deny(src, reg, code::FA_CLIENT_AUTH, out); // AUTH-5
            }
        }
        let leid = match self.conn_of(src) {
            Some((l, _)) => l,
            None => match self.allocate_leid() {
                Some(l) => l,
                None => return self.deny(src, reg, code::FA_INSUFFICIENT_RESOURCES, out),
            },
        };
        let open_now = self.cfg.faults.has(FaFault::OpenBeforeReply);
        let conn = self.conns.entry(leid).or_insert(Conn {
            mac: src,
            gid: None,
            home: reg.home,
            encap: reg.encap,
            open: false,
            pending_cid: None,
            last_cid: None,
        });
        conn.mac = src;
        conn.gid = msg.gid.clone();
        conn.home = reg.home;
        conn.encap = reg.encap;
        conn.pending_cid = Some(reg.connect_id);
        if open_now {
            conn.open = true;
            conn.last_cid = Some(reg.connect_id);
        }
        msg.leid = if self.cfg.faults.has(FaFault::ZeroLeid) { 0 } else { leid };
        out.send(Iface::Core, self.to_home(reg.home), msg);
    }

    fn data_up(&mut self, src: Mac, msg: Msg, out: &mut Out) {
        match self.conns.get(&msg.leid) {
            Some(c) if c.mac == src && c.open => {
                let home = c.home;
                out.send(Iface::Core, self.to_home(home), msg);
            }
            Some(c) if c.mac != src => {} // PROC-12: another client's LEID, dropped silently
            Some(c) if self.cfg.faults.has(FaFault::ForwardDataWhenClosed) => {
                let home = c.home;
                out.send(Iface::Core, self.to_home(home), msg);
            }
            _ => self.invalid_for_state(src, msg.leid, out),
        }
    }

    fn esp_up(&mut self, src: Mac, spi: u32, datagram: Vec<u8>, out: &mut Out) {
        let leid = (spi >> 16) as u16;
        if let Some(c) = self.conns.get(&leid).filter(|c| c.mac == src && c.open) {
            let home = c.home;
            out.send_packet(Iface::Core, self.to_home(home), Packet::Esp { spi, datagram });
        }
    }

    /// SEC-2: ESP to the care-of address goes to the client whose LEID is `SPI >> 16`.
    fn esp_down(&mut self, spi: u32, datagram: Vec<u8>, out: &mut Out) {
        let leid = if self.cfg.faults.has(FaFault::EspByLowHalf) { spi as u16 } else { (spi >> 16) as u16 };
        if let Some(c) = self.conns.get(&leid).filter(|c| c.open) {
            let dst = c.mac;
            out.send_packet(Iface::Access, self.link(dst), Packet::Esp { spi, datagram });
        }
    }

    /// Fault [`FaFault::OwnDnOnExpiry`]: an MV-DN code 1 the FA must not send [PROC-10].
    fn own_expiry(&mut self, leid: u32, out: &mut Out) {
        let Ok(leid) = u16::try_from(leid) else { return };
        let Some(c) = self.conns.get_mut(&leid).filter(|c| c.open) else { return };
        c.open = false;
        let (mac, cid) = (c.mac, c.last_cid.unwrap_or(0));
        let dn = Msg::new(leid, Body::Dn { code: dn_code::EXPIRED, connect_id: cid, ident: 0 });
        out.send(Iface::Access, self.link(mac), dn);
    }

    fn on_core(&mut self, now: Time, src: Ipv4Addr, msg: Msg, out: &mut Out) {
        let leid = msg.leid;
        match &msg.body {
            Body::Rrp(reg) => {
                let Some(c) = self.conns.get_mut(&leid) else { return };
                if c.home != src {
                    return;
                }
                let cid = reg.connect_id;
                if c.pending_cid != Some(cid) && c.last_cid != Some(cid) {
                    return;
                }
                if c.pending_cid == Some(cid) {
                    c.pending_cid = None;
                }
                if reg.code == code::ACCEPTED && reg.lifetime > 0 {
                    c.open = true; // PROC-9
                    c.last_cid = Some(cid);
                    if self.cfg.faults.has(FaFault::OwnDnOnExpiry) {
                        out.timer(Timer::Expiry(u32::from(leid)), now + u64::from(reg.lifetime) * 1000);
                    }
                } else {
                    c.open = false; // a denial, or the reply to a deregistration
                }
                let mac = c.mac;
                out.send(Iface::Access, self.link(mac), msg);
            }
            Body::Dn { code: dn, connect_id, .. } => {
                let (dn, cid) = (*dn, *connect_id);
                if dn == dn_code::ROAMED {
                    // AUTH-7: only with a valid Foreign-Home authenticator.
                    if auth::verify(&msg, AuthRole::ForeignHome, &self.cfg.keys) != Verdict::Valid {
                        return;
                    }
                    if self.cfg.faults.has(FaFault::IgnoreRoamNotify) {
                        return;
                    }
                }
                let Some(c) = self.conns.get_mut(&leid) else { return };
                if !c.open || c.last_cid != Some(cid) || c.home != src {
                    return; // PROC-14
                }
                c.open = false;
                let mac = c.mac;
                if dn != dn_code::ROAMED || self.cfg.faults.has(FaFault::RelayRoamNotify) {
                    out.send(Iface::Access, self.link(mac), msg);
                }
            }
            Body::Data { .. } => {
                if let Some(c) = self.conns.get(&leid).filter(|c| c.open && c.home == src) {
                    let mac = c.mac;
                    out.send(Iface::Access, self.link(mac), msg);
                }
            }
            Body::Faa { .. } | Body::Fas | Body::Rrq(_) => {}
        }
    }
}
