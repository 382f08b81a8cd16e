//! The MVTP client (spec §5): discovery, registration with retransmission,
//! re-registration, roaming, data and disconnect.
//!
//! ```text
//!  Idle ──Connect──▶ Discovering ──MV-FAA──▶ Registering ──MV-RRP 0──▶ Open
//!                         ▲                      │  ▲  retransmit 1,2,4,8,8… s │
//!                         └──Roam{None}──────────┘  └──Roam{Some}/FA restart──┘
//! ```
//! A re-registration at 80 % of the lifetime keeps the connection Open (same FA);
//! a roam leaves Open at once, since the new FA has no open connection yet [PROC-11].

use crate::auth::{self, Verdict};
use crate::common::{Action, Addr, Event, Faults, Iface, Indication, Out, Packet, Rng, Rx, Time, Timer};
use crate::msg::{code, dn_code, encap, ntp_timestamp, AuthRole, Body, Msg, Reg};
use codec::agent_adv::{flags as adv_flags, AgentAdv};
use codec::auth::KeyStore;
use codec::ethernet::{Mac, MVTP_MULTICAST};
use codec::gid::Gid;
use codec::serial;
use std::net::Ipv4Addr;

/// Default response timeout before the first retransmission [PROC-4].
pub const RTO_INITIAL_MS: u64 = 1_000;
/// Ceiling of the doubling response timeout [PROC-4].
pub const RTO_MAX_MS: u64 = 8_000;
/// Default re-registration point, percent of the granted lifetime [PROC-10].
pub const REREGISTER_PERCENT: u64 = 80;
/// Default MVTP_SESSION_TIMEOUT [PROC-16].
pub const SESSION_TIMEOUT_MS: u64 = 120_000;
/// Default requested lifetime, seconds [PROC-16].
pub const DEFAULT_LIFETIME: u16 = 1_800;
/// Interval between MV-FAS while no FA is known.
pub const SOLICIT_INTERVAL_MS: u64 = 1_000;
/// A sequence number below this after a higher one means the FA restarted [PROC-2].
pub const SEQ_RESTART_BELOW: u16 = 256;

/// Client faults: each breaks one rule on purpose (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientFault {
    /// Sends MV-DATA whatever the connection state [PROC-9, PROC-11].
    DataBeforeRegistration,
    /// Reuses the Connect ID for a new registration attempt [PROC-4].
    SkipConnectIdIncrement,
    /// Retransmits with a new Connect ID instead of the same one [PROC-4].
    NewConnectIdOnRetransmit,
    /// Leaves R clear in the initial MV-RRQ [§2.2 R].
    NoResetOnInitial,
    /// Sets R in re-registrations too [§2.2 R].
    ResetOnReregistration,
    /// Retransmits with the same Identification [PROC-4, AUTH-6].
    ReuseIdentification,
    /// Sends a corrupted Mobile-Home authenticator [AUTH-5].
    BadAuthenticator,
    /// Registers through a new FA with N = 0 [PROC-15].
    NoRoamNotify,
    /// Never re-registers before the lifetime ends [PROC-10].
    NoReregistration,
    /// Acts on an MV-DN whose Local Endpoint ID is not its own [PROC-12].
    AcceptForeignLeid,
    /// Sends MV-DATA with Local Endpoint ID 0 instead of its own [PROC-11].
    DataWithZeroLeid,
    /// Sends its MV-RRQ with a non-zero Local Endpoint ID [PROC-4].
    NonZeroLeidInRrq,
    /// Sends its MV-RRQ with a non-zero Code [FMT-10].
    NonZeroCodeInRrq,
    /// Changes the requested lifetime in retransmissions [PROC-4].
    ChangeLifetimeOnRetransmit,
    /// Omits the Global Endpoint ID AVP [PROC-4].
    NoGlobalEndpointId,
    /// Sends MV-DATA with an Encap Type other than the registered one [PROC-13].
    WrongDataEncap,
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The client's 802 address.
    pub mac: Mac,
    /// Global Endpoint ID [PROC-4].
    pub gid: Gid,
    /// Home IP Address (the server).
    pub home: Ipv4Addr,
    /// Encap Type of the connection.
    pub encap: u8,
    /// Requested lifetime, seconds.
    pub lifetime: u16,
    /// SPI of the Mobile-Home SA (used with Encap Type 0 and 2) [AUTH-4].
    pub mh_spi: Option<u32>,
    /// SPI of a Mobile-Foreign SA, if the client shares one with its FAs.
    pub mf_spi: Option<u32>,
    /// Security associations.
    pub keys: KeyStore,
    /// First Connect ID; drawn from the PRNG when `None`.
    pub initial_connect_id: Option<u32>,
    /// First response timeout, ms [PROC-4].
    pub rto_initial_ms: u64,
    /// Largest response timeout, ms [PROC-4].
    pub rto_max_ms: u64,
    /// Re-registration point in percent of the granted lifetime [PROC-10].
    pub reregister_percent: u64,
    /// Interval between solicitations, ms.
    pub solicit_interval_ms: u64,
    /// MVTP_SESSION_TIMEOUT, ms [PROC-16].
    pub session_timeout_ms: u64,
    /// Fault injection.
    pub faults: Faults<ClientFault>,
}

impl ClientConfig {
    /// Defaults of spec §5 for a client with this address, discriminator and server.
    pub fn new(mac: Mac, gid: Gid, home: Ipv4Addr) -> Self {
        Self {
            mac,
            gid,
            home,
            encap: encap::L2TP_TRANSPORT,
            lifetime: DEFAULT_LIFETIME,
            mh_spi: None,
            mf_spi: None,
            keys: KeyStore::new(),
            initial_connect_id: None,
            rto_initial_ms: RTO_INITIAL_MS,
            rto_max_ms: RTO_MAX_MS,
            reregister_percent: REREGISTER_PERCENT,
            solicit_interval_ms: SOLICIT_INTERVAL_MS,
            session_timeout_ms: SESSION_TIMEOUT_MS,
            faults: Faults::none(),
        }
    }
}

/// Where the client is in its procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// No connection asked for (or it closed).
    Idle,
    /// Looking for an FA.
    Discovering,
    /// An MV-RRQ is outstanding and the connection is not open at the current FA.
    Registering,
    /// The connection is OPEN [PROC-9] (a re-registration may be outstanding).
    Open,
}

#[derive(Debug, Clone)]
struct FaSeen {
    mac: Mac,
    seq: Option<u16>,
    /// Registration Lifetime the FA advertises (the most it grants).
    lifetime: Option<u16>,
}

#[derive(Debug, Clone)]
struct Pending {
    connect_id: u32,
    reset: bool,
    roam_notify: bool,
    rto: u64,
    /// Requested lifetime, fixed for the attempt [PROC-4].
    lifetime: u16,
    /// Low 32 bits of every Identification sent for this attempt [FMT-13].
    idents: Vec<u32>,
}

/// The MVTP client state machine.
#[derive(Debug, Clone)]
pub struct Client {
    cfg: ClientConfig,
    state: ClientState,
    wanted: bool,
    fa: Option<FaSeen>,
    /// Connect ID of the latest attempt (None before the first).
    connect_id: Option<u32>,
    pending: Option<Pending>,
    leid: u16,
    /// Connect ID of the latest accepted registration.
    registered_cid: Option<u32>,
    granted: u16,
    last_ident: u64,
    /// The next MV-RRQ is the initial one of a connection (R = 1).
    initial: bool,
    /// The next attempt goes through a new FA after a registration elsewhere (N = 1).
    roamed: bool,
    next_cid: u32,
}

impl Client {
    /// A client; `rng` supplies the first Connect ID unless configured.
    pub fn new(cfg: ClientConfig, mut rng: Rng) -> Self {
        let next_cid = cfg.initial_connect_id.unwrap_or_else(|| rng.next_u32());
        Self {
            cfg,
            state: ClientState::Idle,
            wanted: false,
            fa: None,
            connect_id: None,
            pending: None,
            leid: 0,
            registered_cid: None,
            granted: 0,
            last_ident: 0,
            initial: false,
            roamed: false,
            next_cid,
        }
    }

    /// Current state.
    pub fn state(&self) -> ClientState {
        self.state
    }
    /// True when the connection is OPEN [PROC-9].
    pub fn is_open(&self) -> bool {
        self.state == ClientState::Open
    }
    /// The Local Endpoint ID granted by the current FA (0 if none).
    pub fn leid(&self) -> u16 {
        self.leid
    }
    /// Connect ID of the latest attempt.
    pub fn connect_id(&self) -> Option<u32> {
        self.connect_id
    }
    /// Connect ID of the outstanding MV-RRQ.
    pub fn pending_connect_id(&self) -> Option<u32> {
        self.pending.as_ref().map(|p| p.connect_id)
    }
    /// Connect ID of the latest accepted registration.
    pub fn registered_connect_id(&self) -> Option<u32> {
        self.registered_cid
    }
    /// 802 address of the FA in use.
    pub fn fa(&self) -> Option<Mac> {
        self.fa.as_ref().map(|f| f.mac)
    }
    /// Granted lifetime of the current registration, seconds.
    pub fn granted_lifetime(&self) -> u16 {
        self.granted
    }
    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }
    /// The configuration, to change (fault knobs, timers) between events.
    pub fn config_mut(&mut self) -> &mut ClientConfig {
        &mut self.cfg
    }

    /// Processes one event at `now`.
    pub fn handle(&mut self, now: Time, event: Event) -> Vec<Action> {
        let mut out = Out::default();
        match event {
            Event::Start => {}
            Event::Connect => self.on_connect(now, &mut out),
            Event::Disconnect => self.on_disconnect(now, &mut out),
            Event::SendData { payload, .. } => self.on_send(payload, &mut out),
            Event::Roam { fa } => self.on_roam(now, fa, &mut out),
            Event::TimerFired(t) => self.on_timer(now, t, &mut out),
            Event::Received(Rx { iface: Iface::Access, addr: Addr::Link { src, .. }, packet }) => match packet {
                Packet::Mvtp(msg) => self.on_pdu(now, src, msg, &mut out),
                Packet::Esp { .. } => {}
            },
            Event::Received(_) => {}
        }
        out.0
    }

    fn on_connect(&mut self, now: Time, out: &mut Out) {
        if self.wanted {
            return;
        }
        self.wanted = true;
        self.initial = true;
        self.roamed = false;
        if self.fa.is_some() {
            self.start_attempt(now, out);
        } else {
            self.discover(now, out);
        }
    }

    fn discover(&mut self, now: Time, out: &mut Out) {
        self.state = ClientState::Discovering;
        self.solicit(out);
        out.timer(Timer::Solicit, now + self.cfg.solicit_interval_ms);
        out.timer(Timer::SessionTimeout, now + self.cfg.session_timeout_ms);
    }

    fn solicit(&self, out: &mut Out) {
        let addr = Addr::Link { src: self.cfg.mac, dst: MVTP_MULTICAST };
        out.send(Iface::Access, addr, Msg::new(0, Body::Fas));
    }

    fn on_disconnect(&mut self, now: Time, out: &mut Out) {
        if !self.wanted {
            return;
        }
        if self.state == ClientState::Open {
            if let (Some(fa), Some(cid)) = (self.fa.as_ref().map(|f| f.mac), self.registered_cid) {
                let ident = self.fresh_ident(now);
                let mut dn = Msg::new(self.leid, Body::Dn { code: dn_code::NORMAL, connect_id: cid, ident });
                self.sign(&mut dn);
                out.send(Iface::Access, Addr::Link { src: self.cfg.mac, dst: fa }, dn);
            }
            out.indicate(Indication::Closed { leid: self.leid, code: dn_code::NORMAL });
        }
        self.close(out);
    }

    /// Local close: forget the connection, disarm every timer.
    fn close(&mut self, out: &mut Out) {
        self.wanted = false;
        self.state = ClientState::Idle;
        self.pending = None;
        self.leid = 0;
        self.granted = 0;
        for t in [Timer::Retransmit, Timer::Reregister, Timer::Solicit, Timer::SessionTimeout] {
            out.cancel(t);
        }
    }

    fn on_send(&mut self, payload: Vec<u8>, out: &mut Out) {
        let faulty = self.cfg.faults.has(ClientFault::DataBeforeRegistration);
        if self.state != ClientState::Open && !faulty {
            return; // PROC-9/11: MV-DATA only on an OPEN connection
        }
        let Some(fa) = self.fa.as_ref().map(|f| f.mac) else { return };
        let leid = if self.cfg.faults.has(ClientFault::DataWithZeroLeid) { 0 } else { self.leid };
        let mut encap_type = self.cfg.encap;
        if self.cfg.faults.has(ClientFault::WrongDataEncap) {
            encap_type ^= 0x03;
        }
        let msg = Msg::new(leid, Body::Data { encap: encap_type, payload });
        out.send(Iface::Access, Addr::Link { src: self.cfg.mac, dst: fa }, msg);
    }

    fn on_roam(&mut self, now: Time, fa: Option<Mac>, out: &mut Out) {
        // The old FA's Local Endpoint ID means nothing at the new one.
        let was_registered = self.registered_cid.is_some();
        self.pending = None;
        out.cancel(Timer::Retransmit);
        out.cancel(Timer::Reregister);
        self.leid = 0;
        self.roamed = was_registered;
        match fa {
            Some(mac) => {
                self.fa = Some(FaSeen { mac, seq: None, lifetime: None });
                if self.wanted {
                    self.state = ClientState::Registering;
                    self.start_attempt(now, out);
                }
            }
            None => {
                self.fa = None;
                if self.wanted {
                    self.discover(now, out);
                }
            }
        }
    }

    fn on_timer(&mut self, now: Time, t: Timer, out: &mut Out) {
        match t {
            Timer::Retransmit => {
                let Some(p) = self.pending.as_mut() else { return };
                p.rto = (p.rto * 2).min(self.cfg.rto_max_ms);
                if self.cfg.faults.has(ClientFault::NewConnectIdOnRetransmit) {
                    p.connect_id = serial::next(p.connect_id);
                    self.connect_id = Some(p.connect_id);
                }
                let rto = p.rto;
                self.send_rrq(now, out);
                out.timer(Timer::Retransmit, now + rto);
            }
            Timer::Reregister => {
                if self.cfg.faults.has(ClientFault::NoReregistration) {
                    return;
                }
                if self.wanted && self.state == ClientState::Open && self.pending.is_none() {
                    self.start_attempt(now, out);
                }
            }
            Timer::Solicit => {
                if self.wanted && self.fa.is_none() {
                    self.solicit(out);
                    out.timer(Timer::Solicit, now + self.cfg.solicit_interval_ms);
                }
            }
            Timer::SessionTimeout => {
                if self.wanted && self.fa.is_none() {
                    out.indicate(Indication::TunnelDown);
                    self.close(out);
                }
            }
            Timer::Advertise | Timer::Expiry(_) => {}
        }
    }

    fn on_pdu(&mut self, now: Time, src: Mac, msg: Msg, out: &mut Out) {
        match &msg.body {
            Body::Faa { adv, .. } => self.on_faa(now, src, adv, out),
            Body::Rrp(reg) => self.on_rrp(now, src, &msg, reg, out),
            Body::Dn { code, connect_id, .. } => self.on_dn(now, src, &msg, *code, *connect_id, out),
            Body::Data { payload, .. } => {
                let from_fa = self.fa.as_ref().is_some_and(|f| f.mac == src);
                if self.state == ClientState::Open && msg.leid == self.leid && from_fa {
                    out.indicate(Indication::Data { leid: msg.leid, gid: None, payload: payload.clone() });
                }
            }
            Body::Fas | Body::Rrq(_) => {}
        }
    }

    fn on_faa(&mut self, now: Time, src: Mac, adv: &AgentAdv, out: &mut Out) {
        if adv.flags & adv_flags::F == 0 || adv.coas.is_empty() {
            return; // not an FA's advertisement [AVP-7]
        }
        match self.fa.as_mut() {
            Some(f) if f.mac == src => {
                let restarted = f.seq.is_some_and(|prev| adv.seq < SEQ_RESTART_BELOW && adv.seq < prev);
                f.seq = Some(adv.seq);
                f.lifetime = Some(adv.lifetime);
                if restarted {
                    // PROC-2: the FA lost its state; register again through it.
                    out.indicate(Indication::FaRestarted);
                    if self.wanted && self.registered_cid.is_some() {
                        if self.state == ClientState::Open {
                            out.indicate(Indication::Closed { leid: self.leid, code: dn_code::INVALID_FOR_STATE });
                        }
                        self.leid = 0;
                        self.state = ClientState::Registering;
                        self.pending = None;
                        self.start_attempt(now, out);
                    }
                }
            }
            Some(_) => {} // another FA: moving is the caller's Roam event
            None => {
                self.fa = Some(FaSeen { mac: src, seq: Some(adv.seq), lifetime: Some(adv.lifetime) });
                out.cancel(Timer::Solicit);
                out.cancel(Timer::SessionTimeout);
                if self.wanted {
                    self.state = ClientState::Registering;
                    self.start_attempt(now, out);
                }
            }
        }
    }

    /// A new registration attempt: a new Connect ID [PROC-4].
    fn start_attempt(&mut self, now: Time, out: &mut Out) {
        let cid = match self.connect_id {
            None => self.next_cid,
            Some(c) if self.cfg.faults.has(ClientFault::SkipConnectIdIncrement) => c,
            Some(c) => serial::next(c),
        };
        self.connect_id = Some(cid);
        let reset = (self.initial && !self.cfg.faults.has(ClientFault::NoResetOnInitial))
            || (!self.initial && self.cfg.faults.has(ClientFault::ResetOnReregistration));
        let roam_notify = self.roamed && !self.cfg.faults.has(ClientFault::NoRoamNotify);
        // Not more than the FA advertises (RFC 5944 §3.6.1.1; else code 69).
        let lifetime = match self.fa.as_ref().and_then(|f| f.lifetime) {
            Some(adv) => self.cfg.lifetime.min(adv),
            None => self.cfg.lifetime,
        };
        self.pending = Some(Pending {
            connect_id: cid,
            reset,
            roam_notify,
            rto: self.cfg.rto_initial_ms,
            lifetime,
            idents: Vec::new(),
        });
        if self.state != ClientState::Open {
            self.state = ClientState::Registering;
        }
        self.send_rrq(now, out);
        out.timer(Timer::Retransmit, now + self.cfg.rto_initial_ms);
    }

    /// Identification: the NTP time of `now`, strictly increasing [AUTH-6].
    fn fresh_ident(&mut self, now: Time) -> u64 {
        let ident = if self.cfg.faults.has(ClientFault::ReuseIdentification) && self.last_ident != 0 {
            self.last_ident
        } else {
            ntp_timestamp(now).max(self.last_ident.wrapping_add(1))
        };
        self.last_ident = ident;
        ident
    }

    fn uses_mh(&self) -> bool {
        matches!(self.cfg.encap, encap::NONE | encap::L2TP_TRANSPORT)
    }

    fn sign(&self, msg: &mut Msg) {
        if self.uses_mh() {
            if let Some(spi) = self.cfg.mh_spi {
                auth::sign_with(msg, AuthRole::MobileHome, spi, &self.cfg.keys);
                if self.cfg.faults.has(ClientFault::BadAuthenticator) {
                    if let Some(b) = msg.auth.last_mut().and_then(|a| a.authenticator.first_mut()) {
                        *b ^= 0x01;
                    }
                }
            }
        }
        if let Some(spi) = self.cfg.mf_spi {
            auth::sign_with(msg, AuthRole::MobileForeign, spi, &self.cfg.keys);
        }
    }

    /// Sends (or re-sends) the MV-RRQ of the pending attempt, fresh Identification and
    /// authenticator, every other field unchanged [PROC-4].
    fn send_rrq(&mut self, now: Time, out: &mut Out) {
        let Some(fa) = self.fa.as_ref().map(|f| f.mac) else { return };
        let ident = self.fresh_ident(now);
        let Some(p) = self.pending.as_mut() else { return };
        p.idents.push(ident as u32);
        let f = &self.cfg.faults;
        let retransmission = p.idents.len() > 1;
        let reg = Reg {
            reset: p.reset,
            roam_notify: p.roam_notify,
            code: if f.has(ClientFault::NonZeroCodeInRrq) { code::POORLY_FORMED } else { code::ACCEPTED },
            lifetime: if retransmission && f.has(ClientFault::ChangeLifetimeOnRetransmit) {
                p.lifetime / 2
            } else {
                p.lifetime
            },
            encap: self.cfg.encap,
            connect_id: p.connect_id,
            home: self.cfg.home,
            ident,
        };
        let leid = if f.has(ClientFault::NonZeroLeidInRrq) { 0x0BAD } else { 0 };
        let no_gid = f.has(ClientFault::NoGlobalEndpointId);
        let mut msg = Msg::new(leid, Body::Rrq(reg));
        if !no_gid {
            msg.gid = Some(self.cfg.gid.clone());
        }
        self.sign(&mut msg);
        out.send(Iface::Access, Addr::Link { src: self.cfg.mac, dst: fa }, msg);
    }

    /// Checks the authentication AVPs a reply carries: any present must verify; the
    /// server's PDUs must carry Mobile-Home when the client has that SA [AUTH-4, AUTH-5].
    fn authentic(&self, msg: &Msg, from_server: bool) -> bool {
        for kind in [AuthRole::MobileHome, AuthRole::MobileForeign] {
            match auth::verify(msg, kind, &self.cfg.keys) {
                Verdict::Valid => {}
                Verdict::Missing => {
                    if kind == AuthRole::MobileHome && from_server && self.uses_mh() && self.cfg.mh_spi.is_some() {
                        return false;
                    }
                }
                Verdict::UnknownSpi | Verdict::Invalid => return false,
            }
        }
        true
    }

    fn on_rrp(&mut self, now: Time, src: Mac, msg: &Msg, reg: &Reg, out: &mut Out) {
        if self.fa.as_ref().is_none_or(|f| f.mac != src) {
            return;
        }
        let Some(p) = self.pending.as_ref() else { return };
        if reg.connect_id != p.connect_id || !p.idents.contains(&(reg.ident as u32)) {
            return; // not an answer to the outstanding request [FMT-13]
        }
        let from_server = !(code::FA_DENIAL_FIRST..=code::FA_DENIAL_LAST).contains(&reg.code);
        if !self.authentic(msg, from_server) {
            return; // AUTH-5: changes no state
        }
        self.pending = None;
        out.cancel(Timer::Retransmit);
        if reg.code != code::ACCEPTED {
            out.indicate(Indication::Denied { code: reg.code });
            if self.state == ClientState::Open {
                out.indicate(Indication::Closed { leid: self.leid, code: dn_code::NORMAL });
            }
            self.close(out);
            return;
        }
        if reg.lifetime == 0 {
            self.close(out);
            return;
        }
        let was_open = self.state == ClientState::Open;
        self.state = ClientState::Open;
        self.leid = msg.leid;
        self.registered_cid = Some(reg.connect_id);
        self.granted = reg.lifetime;
        self.initial = false;
        self.roamed = false;
        if !self.cfg.faults.has(ClientFault::NoReregistration) {
            let at = now + u64::from(reg.lifetime) * 1000 * self.cfg.reregister_percent / 100;
            out.timer(Timer::Reregister, at);
        }
        if !was_open {
            out.indicate(Indication::Open { leid: self.leid, lifetime: reg.lifetime, gid: None });
        }
    }

    fn on_dn(&mut self, now: Time, src: Mac, msg: &Msg, dn: u8, cid: u32, out: &mut Out) {
        if self.fa.as_ref().is_none_or(|f| f.mac != src) {
            return;
        }
        if self.leid == 0 || (msg.leid != self.leid && !self.cfg.faults.has(ClientFault::AcceptForeignLeid)) {
            return; // PROC-12: not our Local Endpoint ID
        }
        let ours = Some(cid) == self.registered_cid || Some(cid) == self.pending_connect_id();
        if !ours {
            return; // PROC-14
        }
        let from_server = !matches!(dn, dn_code::INVALID_FOR_STATE | dn_code::L2TP_CDN);
        if !self.authentic(msg, from_server) {
            return; // AUTH-5
        }
        let leid = self.leid;
        let again = dn == dn_code::INVALID_FOR_STATE && self.wanted;
        if self.state == ClientState::Open {
            out.indicate(Indication::Closed { leid, code: dn });
        }
        self.close(out);
        if again {
            // The FA has no open connection for us (it may have restarted): register anew.
            self.wanted = true;
            self.state = ClientState::Registering;
            self.start_attempt(now, out);
        }
    }
}
