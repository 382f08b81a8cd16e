//! L2TPv2 (RFC 2661) pieces shared by the FA's VPN gateway ([`crate::gateway`]), the
//! mobile-aware LNS ([`crate::lns`]) and a client that runs its own L2TP (Mobile L2TP,
//! the MMP WAN link): the control connection's sequence numbers and tunnel IDs
//! ([`Tunnel`], RFC 2661 §5.8 and §3.1), the control messages the agents send, and a
//! small LAC ([`Lac`]) that opens a control connection and places incoming calls on it,
//! with the hand-off AVPs of spec §7 when asked.
//!
//! Messages are the codec's owned [`Message`]; the codec writes the octets.

use codec::gid::Gid;
use codec::l2tp::avp::{self, Avp, AvpType, AvpValue};
use codec::l2tp::{Body, Header, Message, MessageType, Sequence};
use codec::numbers::VendorId;
use std::collections::BTreeMap;

/// The L2TP UDP port (RFC 2661 §8.1).
pub const PORT: u16 = 1701;
/// CDN / StopCCN Result Code: general request to clear control connection / general error.
pub const RESULT_GENERAL_ERROR: u16 = 2;
/// CDN Result Code 3: session disconnected for administrative reasons (spec L2TP-6).
pub const RESULT_ADMINISTRATIVE: u16 = 3;
/// The Tx Connect Speed the agents report in ICCN, bits/s.
pub const CONNECT_SPEED: u32 = 100_000_000;

/// One end's view of a control connection: its own and the peer's Tunnel ID, and Ns/Nr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// The Tunnel ID this end assigned (peers put it in the header of what they send).
    pub local_id: u16,
    /// The Tunnel ID the peer assigned (0 until its SCCRQ/SCCRP arrives).
    pub peer_id: u16,
    /// Ns of the next non-ZLB control message to send.
    pub ns: u16,
    /// Nr: the next Ns expected from the peer.
    pub nr: u16,
}

impl Tunnel {
    /// A connection whose local Tunnel ID is `local_id`.
    pub fn new(local_id: u16) -> Self {
        Self {
            local_id,
            peer_id: 0,
            ns: 0,
            nr: 0,
        }
    }

    /// A control message to the peer: header Tunnel ID = the peer's, Ns counted
    /// [RFC 2661 §5.8]. `avps` must start with Message Type.
    pub fn control(&mut self, session: u16, avps: Vec<Avp>) -> Message {
        let m = Message {
            header: Header {
                has_length: true,
                tunnel: self.peer_id,
                session,
                sequence: Some(Sequence {
                    ns: self.ns,
                    nr: self.nr,
                }),
                ..Default::default()
            },
            body: Body::Control(avps),
        };
        self.ns = self.ns.wrapping_add(1);
        m
    }

    /// A zero-length-body acknowledgement (Ns not incremented) [RFC 2661 §5.8].
    pub fn zlb(&self) -> Message {
        Message {
            header: Header {
                has_length: true,
                tunnel: self.peer_id,
                session: 0,
                sequence: Some(Sequence {
                    ns: self.ns,
                    nr: self.nr,
                }),
                ..Default::default()
            },
            body: Body::Control(Vec::new()),
        }
    }

    /// A data message carrying `ppp` for the peer's session `session`.
    pub fn data(&self, session: u16, ppp: Vec<u8>) -> Message {
        Message {
            header: Header {
                has_length: true,
                tunnel: self.peer_id,
                session,
                ..Default::default()
            },
            body: Body::Data(ppp),
        }
    }

    /// Takes a received control message into account: true when it is a new non-ZLB
    /// message in sequence (Nr advances), false for a ZLB or a duplicate.
    pub fn receive(&mut self, m: &Message) -> bool {
        let (Body::Control(avps), Some(seq)) = (&m.body, m.header.sequence) else {
            return false;
        };
        // Lenient on gaps: a message ahead of Nr is taken (Nr moves past it), so a peer
        // that skips an Ns is still understood; an older one is a duplicate.
        let ahead = seq.ns.wrapping_sub(self.nr);
        if avps.is_empty() || ahead >= 0x8000 {
            return false;
        }
        self.nr = seq.ns.wrapping_add(1);
        true
    }
}

/// The Message Type of a control message.
pub fn message_type(m: &Message) -> Option<MessageType> {
    m.message_type()
}

/// The AVPs of a control message (none for data).
pub fn avps(m: &Message) -> &[Avp] {
    match &m.body {
        Body::Control(a) => a,
        Body::Data(_) => &[],
    }
}

/// The value of the IETF AVP `ty`.
pub fn ietf(m: &Message, ty: AvpType) -> Option<&AvpValue> {
    avps(m)
        .iter()
        .find(|a| a.vendor == VendorId::IETF && a.attr_type == ty.0)
        .map(|a| &a.value)
}

/// The 16-bit IETF AVP `ty` (Assigned Tunnel ID, Assigned Session ID).
pub fn ietf_u16(m: &Message, ty: AvpType) -> Option<u16> {
    match ietf(m, ty)? {
        AvpValue::U16(v) => Some(*v),
        _ => None,
    }
}

/// The Call Serial Number of an ICRQ.
pub fn call_serial_number(m: &Message) -> Option<u32> {
    match ietf(m, AvpType::CALL_SERIAL_NUMBER)? {
        AvpValue::U32(v) => Some(*v),
        _ => None,
    }
}

/// The Result Code of a CDN or StopCCN.
pub fn result_code(m: &Message) -> Option<u16> {
    match ietf(m, AvpType::RESULT_CODE)? {
        AvpValue::ResultCode { result, .. } => Some(*result),
        _ => None,
    }
}

/// The hand-off AVPs of an ICRQ (spec §7): Global Endpoint ID and the C flag.
pub fn handoff(m: &Message) -> (Option<Gid>, Option<bool>) {
    let mut gid = None;
    let mut cont = None;
    for a in avps(m).iter().filter(|a| a.vendor == VendorId::HANDOFF) {
        match (a.attr_type, &a.value) {
            (avp::HANDOFF_GID, AvpValue::Gid(g)) => gid = Some(g.clone()),
            (avp::HANDOFF_SESSION_STATUS, AvpValue::SessionStatus(s)) => {
                cont = Some(s & avp::SESSION_STATUS_CONTINUE != 0)
            }
            _ => {}
        }
    }
    (gid, cont)
}

fn mt(t: MessageType) -> Avp {
    Avp::ietf(AvpType::MESSAGE_TYPE, AvpValue::U16(t.0))
}

/// SCCRQ / SCCRP AVPs (RFC 2661 §6.1, §6.2).
pub fn start_avps(t: MessageType, host: &str, assigned_tunnel: u16) -> Vec<Avp> {
    let mut a = vec![
        mt(t),
        Avp::ietf(
            AvpType::PROTOCOL_VERSION,
            AvpValue::ProtocolVersion {
                version: 1,
                revision: 0,
            },
        ),
        Avp::ietf(
            AvpType::HOST_NAME,
            AvpValue::Bytes(host.as_bytes().to_vec()),
        ),
        Avp::ietf(
            AvpType::FRAMING_CAPABILITIES,
            AvpValue::U32(avp::FRAMING_SYNC | avp::FRAMING_ASYNC),
        ),
        Avp::ietf(AvpType::ASSIGNED_TUNNEL_ID, AvpValue::U16(assigned_tunnel)),
    ];
    let mut w = Avp::ietf(AvpType::RECEIVE_WINDOW_SIZE, AvpValue::U16(4));
    w.mandatory = false;
    a.push(w);
    a
}

/// SCCCN (RFC 2661 §6.3).
pub fn scccn_avps() -> Vec<Avp> {
    vec![mt(MessageType::SCCCN)]
}

/// How a call's ICRQ carries the hand-off AVPs of spec §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffAvps {
    /// Global Endpoint ID (vendor 32473 type 1): the MVTP AVP's value.
    pub gid: Gid,
    /// Continue Session (C) [L2TP-2].
    pub cont: bool,
    /// M bit of both AVPs: 0 as L2TP-1 says (1 only for a fault).
    pub mandatory: bool,
}

/// ICRQ AVPs (RFC 2661 §6.6) with the hand-off AVPs of spec §7 [L2TP-1].
pub fn icrq_avps(session: u16, csn: Option<u32>, h: Option<&HandoffAvps>) -> Vec<Avp> {
    let mut a = vec![
        mt(MessageType::ICRQ),
        Avp::ietf(AvpType::ASSIGNED_SESSION_ID, AvpValue::U16(session)),
    ];
    if let Some(c) = csn {
        a.push(Avp::ietf(AvpType::CALL_SERIAL_NUMBER, AvpValue::U32(c)));
    }
    a.push(Avp::ietf(
        AvpType::BEARER_TYPE,
        AvpValue::U32(avp::BEARER_DIGITAL),
    ));
    if let Some(h) = h {
        let status = if h.cont {
            avp::SESSION_STATUS_CONTINUE
        } else {
            0
        };
        let mut g = Avp::handoff(avp::HANDOFF_GID, AvpValue::Gid(h.gid.clone()));
        let mut s = Avp::handoff(avp::HANDOFF_SESSION_STATUS, AvpValue::SessionStatus(status));
        g.mandatory = h.mandatory;
        s.mandatory = h.mandatory;
        a.push(g);
        a.push(s);
    }
    a
}

/// ICRP AVPs (RFC 2661 §6.7).
pub fn icrp_avps(session: u16) -> Vec<Avp> {
    vec![
        mt(MessageType::ICRP),
        Avp::ietf(AvpType::ASSIGNED_SESSION_ID, AvpValue::U16(session)),
    ]
}

/// ICCN AVPs (RFC 2661 §6.8).
pub fn iccn_avps() -> Vec<Avp> {
    vec![
        mt(MessageType::ICCN),
        Avp::ietf(AvpType::TX_CONNECT_SPEED, AvpValue::U32(CONNECT_SPEED)),
        Avp::ietf(AvpType::FRAMING_TYPE, AvpValue::U32(avp::FRAMING_SYNC)),
    ]
}

/// CDN AVPs (RFC 2661 §6.11): Result Code with error code 0 and a message, and the
/// sender's Assigned Session ID.
pub fn cdn_avps(result: u16, message: &str, session: u16) -> Vec<Avp> {
    vec![
        mt(MessageType::CDN),
        Avp::ietf(
            AvpType::RESULT_CODE,
            AvpValue::ResultCode {
                result,
                error: Some(0),
                message: message.as_bytes().to_vec(),
            },
        ),
        Avp::ietf(AvpType::ASSIGNED_SESSION_ID, AvpValue::U16(session)),
    ]
}

/// What happened to a call of a [`Lac`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LacEvent {
    /// ICRP arrived: the LNS assigned `peer_session`; ICCN was sent.
    Connected {
        /// The LAC's session ID.
        session: u16,
        /// The LNS's session ID.
        peer_session: u16,
    },
    /// CDN arrived for the call.
    Disconnected {
        /// The LAC's session ID.
        session: u16,
        /// Result Code.
        result: u16,
    },
    /// A data message for the call.
    Data {
        /// The LAC's session ID.
        session: u16,
        /// The PPP frame, as carried.
        ppp: Vec<u8>,
    },
}

/// One call of a [`Lac`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LacCall {
    /// The LNS's session ID, once ICRP arrived.
    pub peer_session: Option<u16>,
    /// Call Serial Number sent in the ICRQ.
    pub csn: Option<u32>,
    /// Hand-off AVPs sent in the ICRQ.
    pub handoff: Option<HandoffAvps>,
    /// ICRQ sent.
    pub requested: bool,
}

/// Where a [`Lac`]'s control connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LacState {
    /// No control connection.
    Idle,
    /// SCCRQ sent.
    WaitReply,
    /// SCCCN sent: calls may be placed.
    Established,
}

/// A LAC's control connection to one LNS with its calls: SCCRQ/SCCRP/SCCCN first, ICRQ
/// per call (queued until the connection is up), ICCN on ICRP, ZLB acknowledgements.
#[derive(Debug, Clone)]
pub struct Lac {
    /// The control connection.
    pub tunnel: Tunnel,
    /// Its state.
    pub state: LacState,
    /// Calls by the LAC's session ID.
    pub calls: BTreeMap<u16, LacCall>,
    /// Fault hook: skip one Ns before the next ICRQ [RFC 2661 §5.8].
    pub skip_ns_once: bool,
    host: String,
}

impl Lac {
    /// A LAC whose Tunnel ID is `local_tunnel`, naming itself `host`.
    pub fn new(local_tunnel: u16, host: &str) -> Self {
        Self {
            tunnel: Tunnel::new(local_tunnel),
            state: LacState::Idle,
            calls: BTreeMap::new(),
            skip_ns_once: false,
            host: host.into(),
        }
    }

    /// Places an incoming call with the LAC's session ID `session`: SCCRQ first if there is
    /// no control connection; ICRQ now if there is one [L2TP-1].
    pub fn place_call(
        &mut self,
        session: u16,
        csn: Option<u32>,
        handoff: Option<HandoffAvps>,
    ) -> Vec<Message> {
        self.calls.insert(
            session,
            LacCall {
                peer_session: None,
                csn,
                handoff,
                requested: false,
            },
        );
        match self.state {
            LacState::Idle => {
                self.state = LacState::WaitReply;
                let avps = start_avps(MessageType::SCCRQ, &self.host, self.tunnel.local_id);
                vec![self.tunnel.control(0, avps)]
            }
            LacState::WaitReply => Vec::new(),
            LacState::Established => self.requests(),
        }
    }

    fn requests(&mut self) -> Vec<Message> {
        let mut out = Vec::new();
        for (s, c) in self.calls.iter_mut().filter(|(_, c)| !c.requested) {
            c.requested = true;
            if std::mem::take(&mut self.skip_ns_once) {
                self.tunnel.ns = self.tunnel.ns.wrapping_add(1);
            }
            out.push(
                self.tunnel
                    .control(0, icrq_avps(*s, c.csn, c.handoff.as_ref())),
            );
        }
        out
    }

    /// Clears call `session` with CDN (Result Code `result`).
    pub fn hang_up(&mut self, session: u16, result: u16, message: &str) -> Vec<Message> {
        match self.calls.remove(&session) {
            Some(LacCall {
                peer_session: Some(p),
                ..
            }) => vec![self.tunnel.control(p, cdn_avps(result, message, session))],
            _ => Vec::new(),
        }
    }

    /// A data message of call `session`, once connected.
    pub fn data(&self, session: u16, ppp: Vec<u8>) -> Option<Message> {
        let p = self.calls.get(&session)?.peer_session?;
        Some(self.tunnel.data(p, ppp))
    }

    /// A message from the LNS: what to send back and what happened to the calls.
    pub fn receive(&mut self, m: &Message) -> (Vec<Message>, Vec<LacEvent>) {
        let mut out = Vec::new();
        let mut ev = Vec::new();
        if let Body::Data(ppp) = &m.body {
            let s = m.header.session;
            if self.calls.get(&s).is_some_and(|c| c.peer_session.is_some()) {
                ev.push(LacEvent::Data {
                    session: s,
                    ppp: ppp.clone(),
                });
            }
            return (out, ev);
        }
        if !self.tunnel.receive(m) {
            return (out, ev);
        }
        match message_type(m) {
            Some(MessageType::SCCRP) if self.state == LacState::WaitReply => {
                self.tunnel.peer_id = ietf_u16(m, AvpType::ASSIGNED_TUNNEL_ID).unwrap_or(0);
                self.state = LacState::Established;
                out.push(self.tunnel.control(0, scccn_avps()));
                out.extend(self.requests());
            }
            Some(MessageType::ICRP) => {
                let s = m.header.session;
                let peer = ietf_u16(m, AvpType::ASSIGNED_SESSION_ID);
                if let (Some(c), Some(p)) = (self.calls.get_mut(&s), peer) {
                    c.peer_session = Some(p);
                    out.push(self.tunnel.control(p, iccn_avps()));
                    ev.push(LacEvent::Connected {
                        session: s,
                        peer_session: p,
                    });
                }
            }
            Some(MessageType::CDN) => {
                let s = m.header.session;
                if self.calls.remove(&s).is_some() {
                    ev.push(LacEvent::Disconnected {
                        session: s,
                        result: result_code(m).unwrap_or(0),
                    });
                }
            }
            Some(MessageType::STOPCCN) => {
                for s in std::mem::take(&mut self.calls).into_keys() {
                    ev.push(LacEvent::Disconnected {
                        session: s,
                        result: RESULT_GENERAL_ERROR,
                    });
                }
                self.state = LacState::Idle;
            }
            Some(MessageType::HELLO) | Some(_) | None => {}
        }
        if out.is_empty() {
            out.push(self.tunnel.zlb());
        }
        (out, ev)
    }
}

/// The octets of a message.
pub fn encode(m: &Message) -> Result<Vec<u8>, codec::EncodeError> {
    let mut v = Vec::with_capacity(m.buffer_len());
    m.emit(&mut v)?;
    Ok(v)
}

/// A message from octets.
pub fn decode(b: &[u8]) -> Result<Message, codec::DecodeError> {
    Message::parse(b).map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2661_5_8_ns_counts_non_zlb_messages_and_zlb_acknowledges() {
        let mut t = Tunnel::new(7);
        t.peer_id = 9;
        let a = t.control(0, scccn_avps());
        let z = t.zlb();
        let b = t.control(0, scccn_avps());
        assert_eq!(a.header.sequence.map(|s| s.ns), Some(0));
        assert_eq!(
            z.header.sequence.map(|s| s.ns),
            Some(1),
            "a ZLB carries the next Ns without using it"
        );
        assert_eq!(b.header.sequence.map(|s| s.ns), Some(1));
        assert_eq!(
            a.header.tunnel, 9,
            "RFC 2661 §3.1: the header names the peer's Tunnel ID"
        );
        let mut r = Tunnel::new(9);
        assert!(r.receive(&a));
        assert!(!r.receive(&a), "a duplicate does not advance Nr");
        assert!(!r.receive(&z));
        assert_eq!(r.nr, 1);
    }

    #[test]
    fn l2tp_1_icrq_carries_csn_and_handoff_avps_with_m_clear() {
        let h = HandoffAvps {
            gid: Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]),
            cont: true,
            mandatory: false,
        };
        let m = Message {
            header: Header::default(),
            body: Body::Control(icrq_avps(40, Some(7001), Some(&h))),
        };
        assert_eq!(call_serial_number(&m), Some(7001));
        assert_eq!(handoff(&m), (Some(h.gid.clone()), Some(true)));
        assert!(avps(&m)
            .iter()
            .filter(|a| a.vendor == VendorId::HANDOFF)
            .all(|a| !a.mandatory));
        let back = decode(&encode(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
