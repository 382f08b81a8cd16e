//! The bridge to the codec: a [`Msg`] becomes the codec's owned [`Pdu`] (and octets) and
//! back. The codec owns the one MVTP encoder; this module only maps fields.
//!
//! AVP order on the wire: MV-FAA — VPN Mobility Agent Advertisement, Prefix Lengths;
//! other PDUs — Global Endpoint ID, then the authentication AVPs in `Msg::auth` order
//! [AUTH-3]. `from_pdu` keeps what the agents act on: reserved bits, Message String and
//! skippable unknown AVPs are dropped (so an agent verifies the canonical re-encoding; a
//! peer that sets reserved bits under an authenticator fails verification here).

use crate::msg::{Auth, Body, Msg, Reg};
use codec::agent_adv::AgentAdv;
use codec::error::EncodeError;
use codec::mvtp::{
    pdu, Avp, AvpValue, DataFields, Disconnect, Encap, Pdu, Registration, FLAG_RESET, FLAG_ROAM_NOTIFY, HEADER_LEN,
    VERSION,
};
use codec::DecodeError;
use core::fmt;

/// Why octets or a codec PDU are not a PDU the agents can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The codec could not decode the octets.
    Decode(DecodeError),
    /// Not MVTP version 1 [FMT-2].
    Version(u8),
    /// An unknown PDU type [FMT-4].
    UnknownType(u8),
    /// An unrecognised AVP with M = 1 [AVP-4].
    UnsupportedAvp {
        /// Vendor ID.
        vendor_id: u16,
        /// Attribute Type.
        attr_type: u16,
    },
    /// An MV-FAA without its VPN Mobility Agent Advertisement AVP [PROC-3].
    NoAdvertisement,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Decode(e) => write!(f, "{e}"),
            WireError::Version(v) => write!(f, "MVTP version {v} [FMT-2]"),
            WireError::UnknownType(t) => write!(f, "unknown PDU type {t} [FMT-4]"),
            WireError::UnsupportedAvp { vendor_id, attr_type } => {
                write!(f, "unrecognised mandatory AVP {vendor_id}/{attr_type} [AVP-4]")
            }
            WireError::NoAdvertisement => write!(f, "MV-FAA without an advertisement [PROC-3]"),
        }
    }
}

impl std::error::Error for WireError {}

fn registration(r: &Reg) -> Registration {
    let mut flags = 0;
    if r.reset {
        flags |= FLAG_RESET;
    }
    if r.roam_notify {
        flags |= FLAG_ROAM_NOTIFY;
    }
    Registration {
        flags,
        code: r.code,
        lifetime: r.lifetime,
        encap: Encap(r.encap),
        reserved: 0,
        connect_id: r.connect_id,
        home_addr: r.home,
        ident: r.ident,
    }
}

fn reg(r: &Registration) -> Reg {
    Reg {
        reset: r.reset(),
        roam_notify: r.roam_notify(),
        code: r.code,
        lifetime: r.lifetime,
        encap: r.encap.0,
        connect_id: r.connect_id,
        home: r.home_addr,
        ident: r.ident,
    }
}

/// The codec PDU for `msg`, authenticators as stored.
pub fn to_pdu(msg: &Msg) -> Pdu {
    let body = match &msg.body {
        Body::Faa { .. } => pdu::Body::Faa,
        Body::Fas => pdu::Body::Fas,
        Body::Data { encap, .. } => pdu::Body::Data(DataFields { encap: Encap(*encap), reserved: 0 }),
        Body::Rrq(r) => pdu::Body::Rrq(registration(r)),
        Body::Rrp(r) => pdu::Body::Rrp(registration(r)),
        Body::Dn { code, connect_id, ident } => {
            pdu::Body::Dn(Disconnect { flags: 0, code: *code, reserved: 0, connect_id: *connect_id, ident: *ident })
        }
    };
    let mut p = Pdu::new(msg.leid, body);
    match &msg.body {
        Body::Faa { adv, prefix_lengths } => {
            p.avps.push(Avp::new(AvpValue::AgentAdv(adv.clone())));
            if !prefix_lengths.is_empty() {
                p.avps.push(Avp::new(AvpValue::PrefixLengths(prefix_lengths.clone())));
            }
        }
        Body::Data { payload, .. } => p.payload = payload.clone(),
        _ => {}
    }
    if let Some(g) = &msg.gid {
        p.avps.push(Avp::new(AvpValue::Gid(g.clone())));
    }
    for a in &msg.auth {
        p.avps.push(Avp::new(AvpValue::Auth(a.clone())));
    }
    p
}

/// The octets of `msg` (authenticators as stored).
pub fn encode(msg: &Msg) -> Result<Vec<u8>, EncodeError> {
    to_pdu(msg).to_bytes()
}

/// Offsets (from the PDU's first octet) of the authentication AVPs of `msg` as
/// [`to_pdu`] lays them out, in `msg.auth` order.
pub fn auth_offsets(msg: &Msg) -> Vec<usize> {
    let p = to_pdu(msg);
    let mut at = HEADER_LEN + p.pdu_type().fixed_len().unwrap_or(0);
    let mut out = Vec::with_capacity(msg.auth.len());
    for a in &p.avps {
        if matches!(a.value, AvpValue::Auth(_)) {
            out.push(at);
        }
        at += a.buffer_len();
    }
    out
}

/// The agents' view of a codec PDU.
pub fn from_pdu(p: &Pdu) -> Result<Msg, WireError> {
    if p.version != VERSION {
        return Err(WireError::Version(p.version));
    }
    let mut adv: Option<AgentAdv> = None;
    let mut prefix_lengths = Vec::new();
    let mut gid = None;
    let mut auth: Vec<Auth> = Vec::new();
    for a in &p.avps {
        match &a.value {
            AvpValue::Gid(g) => {
                gid.get_or_insert_with(|| g.clone());
            }
            AvpValue::AgentAdv(x) => {
                adv.get_or_insert_with(|| x.clone());
            }
            AvpValue::PrefixLengths(v) => prefix_lengths.clone_from(v),
            AvpValue::Auth(x) => auth.push(x.clone()),
            AvpValue::Message(_) => {}
            AvpValue::Other { vendor_id, attr_type, .. } => {
                if a.mandatory {
                    return Err(WireError::UnsupportedAvp { vendor_id: *vendor_id, attr_type: *attr_type });
                }
            }
        }
    }
    let body = match &p.body {
        pdu::Body::Faa => Body::Faa { adv: adv.ok_or(WireError::NoAdvertisement)?, prefix_lengths },
        pdu::Body::Fas => Body::Fas,
        pdu::Body::Data(d) => Body::Data { encap: d.encap.0, payload: p.payload.clone() },
        pdu::Body::Rrq(r) => Body::Rrq(reg(r)),
        pdu::Body::Rrp(r) => Body::Rrp(reg(r)),
        pdu::Body::Dn(d) => Body::Dn { code: d.code, connect_id: d.connect_id, ident: d.ident },
        pdu::Body::Unknown { pdu_type, .. } => return Err(WireError::UnknownType(pdu_type.0)),
    };
    Ok(Msg { leid: p.leid, body, gid, auth })
}

/// Decodes the PDU at the start of `frame` (padding after PDU Length ignored).
pub fn decode(frame: &[u8]) -> Result<Msg, WireError> {
    let p = Pdu::parse(frame).map_err(WireError::Decode)?;
    from_pdu(&p)
}
