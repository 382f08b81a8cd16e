//! The mobile-aware LNS (spec §7, LNS side; RFC 2661 for the rest): answers control
//! connections (SCCRQ → SCCRP), assigns Tunnel and Session IDs, accepts incoming calls
//! (ICRQ → ICRP, ICCN), terminates PPP ([`crate::l2tp_ppp`]) and bundles Multilink links
//! by Endpoint Discriminator.
//!
//! The hand-off decision [L2TP-6, L2TP-7]: an ICRQ with C = 1 whose Global Endpoint ID
//! names an existing session is a hand-off; it is accepted only when its Call Serial
//! Number is newer (RFC 1982, 32 bits) than the session's (or either has none). The PPP
//! connection then moves to the new session and the old one is cleared with CDN (Result
//! Code 3, error 0, "session handed off"); an older or equal one is refused with CDN
//! (Result Code 3, "hand-off refused: Call Serial Number not newer"). With C = 0 the Call
//! Serial Number is not compared: PPP starts anew on the new session, and the old session
//! of that Global Endpoint ID is cleared the same way (the spec is silent on the old
//! session; clearing it keeps one session per endpoint).
//!
//! The LNS is generic over how it names a peer (`P`): an IPv4 address for L2TP over UDP,
//! or anything else for L2TP carried another way (Mobile L2TP inside MVTP).

use crate::common::Faults;
use crate::l2tp::{self, Tunnel, RESULT_ADMINISTRATIVE};
use crate::l2tp_ppp::{request_discriminator, Ppp, PppConfig, PppEvent};
use codec::gid::Gid;
use codec::l2tp::avp::AvpType;
use codec::l2tp::{Body, Message, MessageType};
use codec::serial::newer;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// CDN message for the old session of an accepted hand-off [L2TP-6].
pub const MSG_HANDED_OFF: &str = "session handed off";
/// CDN message for a refused hand-off [L2TP-6].
pub const MSG_REFUSED: &str = "hand-off refused: Call Serial Number not newer";
/// CDN message for the old session when a call with C = 0 replaces it [L2TP-7].
pub const MSG_REPLACED: &str = "session replaced: Continue Session = 0";

/// LNS faults: each breaks one rule on purpose (off by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LnsFault {
    /// Accepts a hand-off whose Call Serial Number is not newer [L2TP-6].
    AcceptOlderCsn,
    /// Accepts a hand-off but leaves the old session in place (no CDN) [L2TP-6].
    NoClearOnHandoff,
    /// Compares the Call Serial Number even with C = 0 and refuses [L2TP-7].
    CompareCsnWithoutContinue,
    /// Sends its first ZLB acknowledgement with a wrong Tunnel ID [RFC 2661 §3.1].
    WrongTunnelId,
}

/// LNS configuration.
#[derive(Debug, Clone)]
pub struct LnsConfig {
    /// Host Name in SCCRP.
    pub host_name: String,
    /// First Tunnel ID it assigns.
    pub first_tunnel_id: u16,
    /// First Session ID it assigns.
    pub first_session_id: u16,
    /// Its PPP address.
    pub address: Ipv4Addr,
    /// First address handed to clients by IPCP.
    pub pool: Ipv4Addr,
    /// Hand-off support (spec §7); without it the vendor AVPs are ignored.
    pub mobile_aware: bool,
    /// Offer Multilink (MRRU) in LCP.
    pub multilink: bool,
    /// Fault injection.
    pub faults: Faults<LnsFault>,
}

impl LnsConfig {
    /// A mobile-aware LNS with PPP address `address`, handing out from `pool`.
    pub fn new(host_name: &str, address: Ipv4Addr, pool: Ipv4Addr) -> Self {
        Self {
            host_name: host_name.into(),
            first_tunnel_id: 1,
            first_session_id: 1,
            address,
            pool,
            mobile_aware: true,
            multilink: false,
            faults: Faults::none(),
        }
    }
}

/// What the LNS does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LnsOut<P> {
    /// Send `msg` to `to`.
    Send {
        /// The LAC.
        to: P,
        /// The message.
        msg: Message,
    },
    /// An IPv4 datagram arrived on session `session` (the LNS's Session ID).
    Datagram {
        /// The session.
        session: u16,
        /// The datagram.
        ip: Vec<u8>,
    },
    /// The next output carries the fault `knob`.
    Injected(&'static str),
}

#[derive(Debug, Clone)]
struct LnsTunnel<P> {
    peer: P,
    t: Tunnel,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The LNS's Tunnel ID of its control connection.
    pub tunnel: u16,
    /// The LAC's Session ID.
    pub peer_session: u16,
    /// Call Serial Number of its ICRQ.
    pub csn: Option<u32>,
    /// Global Endpoint ID of its ICRQ (hand-off AVP).
    pub gid: Option<Gid>,
    /// ICCN arrived.
    pub connected: bool,
    /// The PPP endpoint.
    pub ppp: Ppp,
    /// Multilink bundle: the peer's Endpoint Discriminator.
    pub bundle: Option<Gid>,
}

/// The LNS.
#[derive(Debug, Clone)]
pub struct Lns<P> {
    cfg: LnsConfig,
    tunnels: BTreeMap<u16, LnsTunnel<P>>,
    sessions: BTreeMap<u16, Session>,
    next_tunnel: u16,
    next_session: u16,
    next_addr: u32,
    bundle_seq: BTreeMap<Vec<u8>, u32>,
    wrong_tunnel_sent: bool,
}

impl<P: Clone + PartialEq + std::fmt::Debug> Lns<P> {
    /// An LNS.
    pub fn new(cfg: LnsConfig) -> Self {
        let (t, s) = (cfg.first_tunnel_id.max(1), cfg.first_session_id.max(1));
        let next_addr = u32::from(cfg.pool);
        Self {
            cfg,
            tunnels: BTreeMap::new(),
            sessions: BTreeMap::new(),
            next_tunnel: t,
            next_session: s,
            next_addr,
            bundle_seq: BTreeMap::new(),
            wrong_tunnel_sent: false,
        }
    }

    /// The configuration, to change (fault knobs) between events.
    pub fn config_mut(&mut self) -> &mut LnsConfig {
        &mut self.cfg
    }

    /// Sessions by the LNS's Session ID.
    pub fn sessions(&self) -> &BTreeMap<u16, Session> {
        &self.sessions
    }

    /// The session of a Global Endpoint ID.
    pub fn session_of(&self, gid: &Gid) -> Option<(u16, &Session)> {
        self.sessions
            .iter()
            .find(|(_, s)| s.gid.as_ref() == Some(gid))
            .map(|(k, s)| (*k, s))
    }

    fn send(
        &mut self,
        tunnel: u16,
        session: u16,
        avps: Vec<codec::l2tp::avp::Avp>,
        out: &mut Vec<LnsOut<P>>,
    ) {
        if let Some(t) = self.tunnels.get_mut(&tunnel) {
            let msg = t.t.control(session, avps);
            out.push(LnsOut::Send {
                to: t.peer.clone(),
                msg,
            });
        }
    }

    fn data_out(&self, local: u16, ppp: Vec<u8>, out: &mut Vec<LnsOut<P>>) {
        let Some(s) = self.sessions.get(&local) else {
            return;
        };
        let Some(t) = self.tunnels.get(&s.tunnel) else {
            return;
        };
        out.push(LnsOut::Send {
            to: t.peer.clone(),
            msg: t.t.data(s.peer_session, ppp),
        });
    }

    /// Sends an IPv4 datagram to the peer of session `local` (in a Multilink fragment when
    /// the link uses Multilink, numbered per bundle).
    pub fn send_datagram(&mut self, local: u16, ip: &[u8]) -> Vec<LnsOut<P>> {
        let mut out = Vec::new();
        let Some(s) = self.sessions.get_mut(&local) else {
            return out;
        };
        let key = s.bundle.as_ref().map(|g| {
            let mut k = Vec::new();
            g.emit(&mut k);
            k
        });
        if let Some(k) = &key {
            s.ppp
                .set_mp_seq(self.bundle_seq.get(k).copied().unwrap_or(0));
        }
        let f = s.ppp.datagram(ip);
        if let Some(k) = key {
            self.bundle_seq.insert(k, s.ppp.mp_seq());
        }
        self.data_out(local, f, &mut out);
        out
    }

    fn new_ppp(&mut self, ncp: bool) -> Ppp {
        let give = Ipv4Addr::from(self.next_addr);
        self.next_addr = self.next_addr.wrapping_add(1);
        let multilink = self.cfg.multilink.then(|| (1500, Gid::default()));
        Ppp::new(
            PppConfig {
                magic: 0x4c4e_5300 | u32::from(self.next_session & 0xFF),
                address: Some(self.cfg.address),
                give: Some(give),
                multilink,
            },
            ncp,
        )
    }

    /// A message from `from`.
    pub fn handle(&mut self, from: P, msg: Message) -> Vec<LnsOut<P>> {
        let mut out = Vec::new();
        if let Body::Data(ppp) = &msg.body {
            self.data_in(msg.header.session, ppp.clone(), &mut out);
            return out;
        }
        let mt = l2tp::message_type(&msg);
        let local_tunnel = if mt == Some(MessageType::SCCRQ) && msg.header.tunnel == 0 {
            let id = self.next_tunnel;
            self.next_tunnel = self.next_tunnel.checked_add(1).unwrap_or(1);
            let mut t = Tunnel::new(id);
            t.peer_id = l2tp::ietf_u16(&msg, AvpType::ASSIGNED_TUNNEL_ID).unwrap_or(0);
            self.tunnels.insert(id, LnsTunnel { peer: from, t });
            id
        } else {
            msg.header.tunnel
        };
        let Some(t) = self.tunnels.get_mut(&local_tunnel) else {
            return out;
        };
        if !t.t.receive(&msg) {
            return out;
        }
        let before = out.len();
        match mt {
            Some(MessageType::SCCRQ) => {
                let avps = l2tp::start_avps(
                    MessageType::SCCRP,
                    &self.cfg.host_name.clone(),
                    local_tunnel,
                );
                self.send(local_tunnel, 0, avps, &mut out);
            }
            Some(MessageType::ICRQ) => self.icrq(local_tunnel, &msg, &mut out),
            Some(MessageType::ICCN) => {
                let local = msg.header.session;
                let fresh = self
                    .sessions
                    .get(&local)
                    .is_some_and(|s| !s.connected && !s.ppp.link_up());
                if let Some(s) = self.sessions.get_mut(&local) {
                    s.connected = true;
                }
                // Zero-length acknowledgement first, then PPP starts (LCP Configure-Request).
                self.zlb(local_tunnel, &mut out);
                if fresh {
                    if let Some(s) = self.sessions.get_mut(&local) {
                        let frames = s.ppp.open();
                        for f in frames {
                            self.data_out(local, f, &mut out);
                        }
                    }
                }
            }
            Some(MessageType::CDN) => {
                self.sessions.remove(&msg.header.session);
            }
            Some(MessageType::STOPCCN) => {
                self.sessions.retain(|_, s| s.tunnel != local_tunnel);
                self.tunnels.remove(&local_tunnel);
                return out;
            }
            _ => {}
        }
        if out.len() == before {
            self.zlb(local_tunnel, &mut out);
        }
        out
    }

    fn zlb(&mut self, tunnel: u16, out: &mut Vec<LnsOut<P>>) {
        let Some(t) = self.tunnels.get(&tunnel) else {
            return;
        };
        let mut msg = t.t.zlb();
        if self.cfg.faults.has(LnsFault::WrongTunnelId) && !self.wrong_tunnel_sent {
            self.wrong_tunnel_sent = true;
            msg.header.tunnel = t.t.local_id; // its own ID instead of the peer's
            out.push(LnsOut::Injected("lns:WrongTunnelId"));
        }
        out.push(LnsOut::Send {
            to: t.peer.clone(),
            msg,
        });
    }

    fn icrq(&mut self, tunnel: u16, msg: &Message, out: &mut Vec<LnsOut<P>>) {
        let Some(peer_session) = l2tp::ietf_u16(msg, AvpType::ASSIGNED_SESSION_ID) else {
            return;
        };
        let csn = l2tp::call_serial_number(msg);
        let (gid, cont) = if self.cfg.mobile_aware {
            l2tp::handoff(msg)
        } else {
            (None, None)
        };
        let local = self.next_session;
        self.next_session = self.next_session.checked_add(1).unwrap_or(1);
        let existing = gid
            .as_ref()
            .and_then(|g| self.session_of(g).map(|(k, s)| (k, s.csn)));
        let faults = self.cfg.faults.clone();
        let mut moved_ppp = None;
        if let Some((old, old_csn)) = existing {
            let not_newer = matches!((csn, old_csn), (Some(n), Some(o)) if !newer(n, o));
            let handoff = cont == Some(true);
            if handoff {
                // L2TP-6: only a newer Call Serial Number takes the session over.
                if not_newer && !faults.has(LnsFault::AcceptOlderCsn) {
                    return self.refuse(tunnel, peer_session, local, out);
                }
                if not_newer {
                    out.push(LnsOut::Injected("lns:AcceptOlderCsn"));
                }
                moved_ppp = self
                    .sessions
                    .get(&old)
                    .map(|s| (s.ppp.clone(), s.bundle.clone()));
            } else if not_newer && faults.has(LnsFault::CompareCsnWithoutContinue) {
                // L2TP-7 broken: C = 0, yet the number is compared.
                out.push(LnsOut::Injected("lns:CompareCsnWithoutContinue"));
                return self.refuse(tunnel, peer_session, local, out);
            }
            if handoff && faults.has(LnsFault::NoClearOnHandoff) {
                out.push(LnsOut::Injected("lns:NoClearOnHandoff"));
            }
            let connected = moved_ppp.is_some();
            let (ppp, bundle) = moved_ppp.unwrap_or_else(|| (self.new_ppp(true), None));
            self.sessions.insert(
                local,
                Session {
                    tunnel,
                    peer_session,
                    csn,
                    gid: gid.clone(),
                    connected,
                    ppp,
                    bundle,
                },
            );
            self.send(tunnel, peer_session, l2tp::icrp_avps(local), out);
            if !(handoff && faults.has(LnsFault::NoClearOnHandoff)) {
                let text = if handoff {
                    MSG_HANDED_OFF
                } else {
                    MSG_REPLACED
                };
                if let Some(o) = self.sessions.remove(&old) {
                    self.send(
                        o.tunnel,
                        o.peer_session,
                        l2tp::cdn_avps(RESULT_ADMINISTRATIVE, text, old),
                        out,
                    );
                }
            } else if let Some(o) = self.sessions.get_mut(&old) {
                o.gid = None; // kept, but no longer the endpoint's session
            }
            return;
        }
        let ppp = self.new_ppp(true);
        self.sessions.insert(
            local,
            Session {
                tunnel,
                peer_session,
                csn,
                gid,
                connected: false,
                ppp,
                bundle: None,
            },
        );
        self.send(tunnel, peer_session, l2tp::icrp_avps(local), out);
    }

    fn refuse(&mut self, tunnel: u16, peer_session: u16, local: u16, out: &mut Vec<LnsOut<P>>) {
        self.send(
            tunnel,
            peer_session,
            l2tp::cdn_avps(RESULT_ADMINISTRATIVE, MSG_REFUSED, local),
            out,
        );
    }

    fn data_in(&mut self, local: u16, ppp: Vec<u8>, out: &mut Vec<LnsOut<P>>) {
        // A link whose LCP names the Endpoint Discriminator of an up link joins its bundle
        // and runs no IPCP of its own (RFC 1990 §3).
        if let Some(d) = request_discriminator(&ppp) {
            let joins = self
                .sessions
                .iter()
                .any(|(k, s)| *k != local && s.bundle.as_ref() == Some(&d) && s.ppp.is_up());
            if let Some(s) = self.sessions.get_mut(&local) {
                if self.cfg.multilink {
                    s.bundle = Some(d);
                }
                if joins {
                    s.ppp.set_ncp(false);
                }
            }
        }
        let Some(s) = self.sessions.get_mut(&local) else {
            return;
        };
        let (frames, events) = s.ppp.input(&ppp);
        for f in frames {
            self.data_out(local, f, out);
        }
        for e in events {
            if let PppEvent::Datagram(ip) = e {
                out.push(LnsOut::Datagram { session: local, ip });
            }
        }
    }
}
