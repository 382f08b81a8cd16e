//! Mobile IPv4 control messages on UDP port 434 (RFC 5944 §3), the NAT-traversal tunnel
//! data header (RFC 3519 §3.3) and registration revocation (RFC 3543 §4).
//!
//! ```text
//! Registration Request (RFC 5944 §3.3)         Registration Reply (RFC 5944 §3.4)
//! +-------+-+-+-+-+-+-+-+-+---------------+    +-------+-------+---------------+
//! |Type=1 |S|B|D|M|G|r|T|x|   Lifetime    |    |Type=3 | Code  |   Lifetime    |
//! +-------+-+-+-+-+-+-+-+-+---------------+    +-------+-------+---------------+
//! |            Home Address               |    |          Home Address         |
//! |             Home Agent                |    |           Home Agent          |
//! |           Care-of Address             |    |     Identification (64)       |
//! |        Identification (64)            |    |        Extensions ...         |
//! |            Extensions ...             |    +-------------------------------+
//! +---------------------------------------+
//!
//! Tunnel Data (RFC 3519 §3.3)                  Registration Revocation (RFC 3543 §4.1)
//! +-------+-----------+-------------------+    +-------+--------+-+-+-----------+
//! |Type=4 |Next Header|   Reserved (16)   |    |Type=7 |Reserved|A|I| Rsvd(14)  |
//! +-------+-----------+-------------------+    +-------+--------+-+-+-----------+
//! |  the tunnelled packet ...             |    | Home Address | Home Domain Addr|
//! +---------------------------------------+    | Foreign Domain Addr | Rev. Id  |
//!                                              |        Extensions ...          |
//! Revocation Ack (RFC 3543 §4.2)               +--------------------------------+
//! +-------+--------+-+--------------------+
//! |Type=15|Reserved|I|  Reserved (15)     |
//! | Home Address | Revocation Identifier  |
//! |        Extensions ...                 |
//! +---------------------------------------+
//! ```
//!
//! Authenticators (RFC 5944 §3.5.1): HMAC-MD5 by default (HMAC-SHA-256 offered as well)
//! over the UDP payload from its first octet up to and including the SPI of the
//! authentication extension; keys come from a [`KeyStore`] keyed by SPI.

pub mod ext;

use crate::auth::KeyStore;
use crate::bytes::{be_u16, be_u32, be_u64};
use crate::error::{DecodeError, Diagnostic, EncodeError};
use crate::fields::{FieldDef, FieldType};
use core::fmt;
use core::ops::Range;
use ext::{ExtBody, ExtBodyRef, ExtIter, ExtType, ExtView, Extension};
use std::net::Ipv4Addr;

/// Mobile IPv4 message type (IANA "Mobile IPv4 Numbers", message types).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MsgType(pub u8);

impl MsgType {
    /// Registration Request (RFC 5944 §3.3).
    pub const REG_REQUEST: Self = Self(1);
    /// Registration Reply (RFC 5944 §3.4).
    pub const REG_REPLY: Self = Self(3);
    /// NAT traversal Tunnel Data (RFC 3519 §3.3).
    pub const TUNNEL_DATA: Self = Self(4);
    /// Registration Revocation (RFC 3543 §4.1).
    pub const REVOCATION: Self = Self(7);
    /// Registration Revocation Acknowledgement (RFC 3543 §4.2).
    pub const REVOCATION_ACK: Self = Self(15);

    /// Octets of the fixed part, or `None` for a type kept opaque.
    pub const fn fixed_len(self) -> Option<usize> {
        match self {
            Self::REG_REQUEST => Some(field::request::IDENT.end),
            Self::REG_REPLY => Some(field::reply::IDENT.end),
            Self::TUNNEL_DATA => Some(field::tunnel::RESERVED.end),
            Self::REVOCATION => Some(field::revocation::REV_ID.end),
            Self::REVOCATION_ACK => Some(field::ack::REV_ID.end),
            _ => None,
        }
    }

    /// A name for summaries.
    pub const fn label(self) -> &'static str {
        match self {
            Self::REG_REQUEST => "Registration Request",
            Self::REG_REPLY => "Registration Reply",
            Self::TUNNEL_DATA => "Tunnel Data",
            Self::REVOCATION => "Registration Revocation",
            Self::REVOCATION_ACK => "Revocation Ack",
            _ => "Unknown",
        }
    }
}

/// Registration Request flags (RFC 5944 §3.3).
pub mod flags {
    /// S: simultaneous bindings.
    pub const S: u8 = 0x80;
    /// B: broadcast datagrams.
    pub const B: u8 = 0x40;
    /// D: decapsulation by the mobile node (co-located care-of address).
    pub const D: u8 = 0x20;
    /// M: minimal encapsulation.
    pub const M: u8 = 0x10;
    /// G: GRE encapsulation.
    pub const G: u8 = 0x08;
    /// r: reserved (formerly V, Van Jacobson compression).
    pub const R: u8 = 0x04;
    /// T: reverse tunnelling (RFC 3024).
    pub const T: u8 = 0x02;
    /// x: reserved.
    pub const X: u8 = 0x01;
    /// Letters, most significant first.
    pub const LETTERS: [(u8, char); 8] = [(S, 'S'), (B, 'B'), (D, 'D'), (M, 'M'), (G, 'G'), (R, 'r'), (T, 'T'), (X, 'x')];
    /// Registration Revocation A: sent by the home domain (RFC 3543 §4.1).
    pub const REV_A: u16 = 0x8000;
    /// Registration Revocation I: inform the mobile node (RFC 3543 §4.1).
    pub const REV_I: u16 = 0x4000;
    /// Revocation Ack I: the mobile node was informed (RFC 3543 §4.2).
    pub const ACK_I: u16 = 0x8000;
}

/// Registration Reply codes (RFC 5944 §3.4, RFC 3519, RFC 3543 and others).
pub mod code {
    /// Registration accepted.
    pub const ACCEPTED: u8 = 0;
    /// Accepted, but simultaneous mobility bindings unsupported.
    pub const ACCEPTED_NO_SIMULTANEOUS: u8 = 1;
    /// First foreign-agent denial code.
    pub const FA_DENIAL_FIRST: u8 = 64;
    /// First home-agent denial code.
    pub const HA_DENIAL_FIRST: u8 = 128;

    /// The meaning of a code, when registered.
    pub const fn label(c: u8) -> Option<&'static str> {
        Some(match c {
            0 => "registration accepted",
            1 => "accepted, simultaneous bindings unsupported",
            64 => "denied by FA: reason unspecified",
            65 => "denied by FA: administratively prohibited",
            66 => "denied by FA: insufficient resources",
            67 => "denied by FA: mobile node failed authentication",
            68 => "denied by FA: home agent failed authentication",
            69 => "denied by FA: requested lifetime too long",
            70 => "denied by FA: poorly formed request",
            71 => "denied by FA: poorly formed reply",
            72 => "denied by FA: requested encapsulation unavailable",
            73 => "denied by FA: reserved (VJ compression)",
            74 => "denied by FA: requested reverse tunnel unavailable",
            75 => "denied by FA: reverse tunnel mandatory and T bit not set",
            77 => "denied by FA: invalid care-of address",
            78 => "denied by FA: registration timeout",
            80 => "denied by FA: home network unreachable",
            81 => "denied by FA: home agent host unreachable",
            82 => "denied by FA: home agent port unreachable",
            88 => "denied by FA: home agent unreachable",
            89 => "denied by FA: vendor-specific reason",
            96 => "denied by FA: non-zero home address required",
            97 => "denied by FA: missing NAI",
            98 => "denied by FA: missing home agent",
            99 => "denied by FA: missing home address",
            100 => "denied by FA: unable to interpret CVSE sent by MN",
            101 => "denied by FA: unable to interpret CVSE sent by HA",
            104 => "denied by FA: unknown challenge",
            105 => "denied by FA: missing challenge",
            106 => "denied by FA: stale challenge",
            128 => "denied by HA: reason unspecified",
            129 => "denied by HA: administratively prohibited",
            130 => "denied by HA: insufficient resources",
            131 => "denied by HA: mobile node failed authentication",
            132 => "denied by HA: foreign agent failed authentication",
            133 => "denied by HA: registration identification mismatch",
            134 => "denied by HA: poorly formed request",
            135 => "denied by HA: too many simultaneous bindings",
            136 => "denied by HA: unknown home agent address",
            137 => "denied by HA: requested reverse tunnel unavailable",
            138 => "denied by HA: reverse tunnel mandatory and T bit not set",
            139 => "denied by HA: requested encapsulation unavailable",
            140 => "denied by HA: unable to interpret CVSE sent by MN",
            141 => "denied by HA: unable to interpret CVSE sent by FA",
            142 => "denied by HA: UDP encapsulation unavailable (RFC 3519)",
            _ => return None,
        })
    }
}

/// Field offsets, per message type.
pub mod field {
    /// Message Type, in every message.
    pub const TYPE: usize = 0;
    /// Registration Request (RFC 5944 §3.3).
    pub mod request {
        use core::ops::Range;
        /// S B D M G r T x.
        pub const FLAGS: usize = 1;
        /// Lifetime.
        pub const LIFETIME: Range<usize> = 2..4;
        /// Home Address.
        pub const HOME_ADDR: Range<usize> = 4..8;
        /// Home Agent.
        pub const HOME_AGENT: Range<usize> = 8..12;
        /// Care-of Address.
        pub const COA: Range<usize> = 12..16;
        /// Identification.
        pub const IDENT: Range<usize> = 16..24;
    }
    /// Registration Reply (RFC 5944 §3.4).
    pub mod reply {
        use core::ops::Range;
        /// Code.
        pub const CODE: usize = 1;
        /// Lifetime.
        pub const LIFETIME: Range<usize> = 2..4;
        /// Home Address.
        pub const HOME_ADDR: Range<usize> = 4..8;
        /// Home Agent.
        pub const HOME_AGENT: Range<usize> = 8..12;
        /// Identification.
        pub const IDENT: Range<usize> = 12..20;
    }
    /// Tunnel Data (RFC 3519 §3.3).
    pub mod tunnel {
        use core::ops::Range;
        /// Next Header.
        pub const NEXT_HEADER: usize = 1;
        /// Reserved.
        pub const RESERVED: Range<usize> = 2..4;
    }
    /// Registration Revocation (RFC 3543 §4.1).
    pub mod revocation {
        use core::ops::Range;
        /// Reserved octet.
        pub const RESERVED: usize = 1;
        /// A, I and 14 reserved bits.
        pub const FLAGS: Range<usize> = 2..4;
        /// Home Address.
        pub const HOME_ADDR: Range<usize> = 4..8;
        /// Home Domain Address.
        pub const HDA: Range<usize> = 8..12;
        /// Foreign Domain Address.
        pub const FDA: Range<usize> = 12..16;
        /// Revocation Identifier.
        pub const REV_ID: Range<usize> = 16..20;
    }
    /// Registration Revocation Acknowledgement (RFC 3543 §4.2).
    pub mod ack {
        use core::ops::Range;
        /// Reserved octet.
        pub const RESERVED: usize = 1;
        /// I and 15 reserved bits.
        pub const FLAGS: Range<usize> = 2..4;
        /// Home Address.
        pub const HOME_ADDR: Range<usize> = 4..8;
        /// Revocation Identifier.
        pub const REV_ID: Range<usize> = 8..12;
    }
}

/// Display-filter name and end offset of each fixed field of `t`, in wire order.
fn fixed_fields(t: MsgType) -> &'static [(&'static str, usize)] {
    match t {
        MsgType::REG_REQUEST => {
            &[("mip.flags", 2), ("mip.life", 4), ("mip.homeaddr", 8), ("mip.haaddr", 12), ("mip.coa", 16), ("mip.ident", 24)]
        }
        MsgType::REG_REPLY => &[("mip.code", 2), ("mip.life", 4), ("mip.homeaddr", 8), ("mip.haaddr", 12), ("mip.ident", 20)],
        MsgType::TUNNEL_DATA => &[("mip.nattt.nexthdr", 2), ("mip.nattt.reserved", 4)],
        MsgType::REVOCATION => &[
            ("mip.rev.reserved", 2),
            ("mip.flags2", 4),
            ("mip.homeaddr", 8),
            ("mip.rev.hda", 12),
            ("mip.rev.fda", 16),
            ("mip.revid", 20),
        ],
        MsgType::REVOCATION_ACK => &[("mip.ack.reserved", 2), ("mip.flags2", 4), ("mip.homeaddr", 8), ("mip.revid", 12)],
        _ => &[],
    }
}

/// A checked, zero-copy view of one Mobile IPv4 message (the whole UDP payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageView<'a> {
    buf: &'a [u8],
    fixed: usize,
}

impl<'a> MessageView<'a> {
    /// Checks that the fixed part of the message's type is present.
    pub fn new(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let t = MsgType(*buf.first().ok_or_else(|| DecodeError::truncated("mip.type", 0, 1, 0))?);
        let Some(fixed) = t.fixed_len() else {
            return Ok(Self { buf, fixed: 1 });
        };
        if buf.len() < fixed {
            // Name the first fixed field that is cut.
            let mut start = 1;
            for &(name, end) in fixed_fields(t) {
                if buf.len() < end {
                    return Err(
                        DecodeError::truncated(name, start, end - start, buf.len().saturating_sub(start)).clause(clause_of(t))
                    );
                }
                start = end;
            }
        }
        Ok(Self { buf, fixed })
    }

    /// The message octets.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Message Type.
    pub fn msg_type(&self) -> MsgType {
        MsgType(self.u8(field::TYPE))
    }

    /// Octets of the fixed part (1 for a type kept opaque).
    pub fn fixed_len(&self) -> usize {
        self.fixed
    }

    fn u8(&self, at: usize) -> u8 {
        self.buf.get(at).copied().unwrap_or(0) // within the fixed part checked in `new`
    }

    fn u16(&self, r: Range<usize>) -> u16 {
        be_u16(self.buf, r.start).unwrap_or(0) // within the fixed part checked in `new`
    }

    fn u32(&self, r: Range<usize>) -> u32 {
        be_u32(self.buf, r.start).unwrap_or(0) // within the fixed part checked in `new`
    }

    fn ip(&self, r: Range<usize>) -> Ipv4Addr {
        Ipv4Addr::from(self.u32(r))
    }

    fn ident(&self, r: Range<usize>) -> u64 {
        be_u64(self.buf, r.start).unwrap_or(0) // within the fixed part checked in `new`
    }

    /// Decodes the fixed part into its owned form.
    pub fn body(&self) -> Body {
        use field::*;
        match self.msg_type() {
            MsgType::REG_REQUEST => Body::Request {
                flags: self.u8(request::FLAGS),
                lifetime: self.u16(request::LIFETIME),
                home_addr: self.ip(request::HOME_ADDR),
                home_agent: self.ip(request::HOME_AGENT),
                coa: self.ip(request::COA),
                ident: self.ident(request::IDENT),
            },
            MsgType::REG_REPLY => Body::Reply {
                code: self.u8(reply::CODE),
                lifetime: self.u16(reply::LIFETIME),
                home_addr: self.ip(reply::HOME_ADDR),
                home_agent: self.ip(reply::HOME_AGENT),
                ident: self.ident(reply::IDENT),
            },
            MsgType::TUNNEL_DATA => {
                Body::TunnelData { next_header: self.u8(tunnel::NEXT_HEADER), reserved: self.u16(tunnel::RESERVED) }
            }
            MsgType::REVOCATION => Body::Revocation {
                reserved: self.u8(revocation::RESERVED),
                flags: self.u16(revocation::FLAGS),
                home_addr: self.ip(revocation::HOME_ADDR),
                home_domain: self.ip(revocation::HDA),
                foreign_domain: self.ip(revocation::FDA),
                rev_id: self.u32(revocation::REV_ID),
            },
            MsgType::REVOCATION_ACK => Body::RevocationAck {
                reserved: self.u8(ack::RESERVED),
                flags: self.u16(ack::FLAGS),
                home_addr: self.ip(ack::HOME_ADDR),
                rev_id: self.u32(ack::REV_ID),
            },
            _ => Body::Unknown,
        }
    }

    /// True when extensions follow the fixed part (every known type but Tunnel Data).
    pub fn has_extensions(&self) -> bool {
        self.msg_type().fixed_len().is_some() && self.msg_type() != MsgType::TUNNEL_DATA
    }

    /// The extensions; none for Tunnel Data and unknown types.
    pub fn extensions(&self) -> ExtIter<'a> {
        let start = if self.has_extensions() { self.fixed } else { self.buf.len() };
        ExtIter::new(self.buf, start)
    }

    /// The tunnelled packet (Tunnel Data) or the opaque rest (unknown type); empty otherwise.
    pub fn payload(&self) -> &'a [u8] {
        if self.has_extensions() {
            &[]
        } else {
            self.buf.get(self.fixed..).unwrap_or_default()
        }
    }

    /// Range of the payload within the message.
    pub fn payload_range(&self) -> Range<usize> {
        if self.has_extensions() {
            self.buf.len()..self.buf.len()
        } else {
            self.fixed.min(self.buf.len())..self.buf.len()
        }
    }

    /// Meaning-level findings about decoded extensions (spec MIP-1, RFC 5944 §1.9), in
    /// offset order, and the first structural error of the extension list if any.
    pub fn diagnostics(&self) -> (Vec<Diagnostic>, Option<DecodeError>) {
        let mut out = Vec::new();
        for e in self.extensions() {
            match e {
                Ok(v) => {
                    let (x, d) = v.interpret();
                    out.extend(d);
                    out.extend(tnc_diagnostics(&v, &x));
                }
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }
}

/// MIP-1, the format half: Sub-Type 0 and Reserved 0 (RFC 5265 §3.4). Where TNC may
/// appear (only in a reply) is judged by the conformance engine, which sees `mip.tnc` in a
/// request ("decode, then judge"), so the decoder does not report it twice.
fn tnc_diagnostics(v: &ExtView<'_>, x: &ExtBodyRef<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if v.ext_type != ExtType::TNC {
        return out;
    }
    if let ExtBodyRef::Tnc { subtype, reserved } = *x {
        if subtype != 0 {
            out.push(Diagnostic::warning("mip.tnc.subtype", v.data_offset(), "MIP-1", format!("sub-type {subtype}, not 0")));
        }
        if reserved != 0 {
            out.push(Diagnostic::warning(
                "mip.tnc.reserved",
                v.data_offset() + 1,
                "MIP-1",
                format!("reserved {reserved:#04x}, not 0"),
            ));
        }
    }
    out
}

fn clause_of(t: MsgType) -> &'static str {
    match t {
        MsgType::REG_REQUEST => "RFC5944-3.3",
        MsgType::REG_REPLY => "RFC5944-3.4",
        MsgType::TUNNEL_DATA => "RFC3519-3.3",
        MsgType::REVOCATION => "RFC3543-4.1",
        _ => "RFC3543-4.2",
    }
}

/// The fixed part of a message, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Body {
    /// Registration Request (RFC 5944 §3.3).
    Request {
        /// S B D M G r T x, reserved bits kept.
        flags: u8,
        /// Requested lifetime, seconds (0 deregisters, 0xFFFF infinite).
        lifetime: u16,
        /// Home Address.
        home_addr: Ipv4Addr,
        /// Home Agent.
        home_agent: Ipv4Addr,
        /// Care-of Address.
        coa: Ipv4Addr,
        /// Identification (RFC 5944 §5.7: NTP timestamp or nonces).
        ident: u64,
    },
    /// Registration Reply (RFC 5944 §3.4).
    Reply {
        /// Code ([`code::label`]).
        code: u8,
        /// Granted lifetime, seconds.
        lifetime: u16,
        /// Home Address.
        home_addr: Ipv4Addr,
        /// Home Agent.
        home_agent: Ipv4Addr,
        /// Identification.
        ident: u64,
    },
    /// Tunnel Data header (RFC 3519 §3.3); the packet is the message's payload.
    TunnelData {
        /// Next Header: 4 IPv4, 47 GRE, 55 minimal encapsulation.
        next_header: u8,
        /// Reserved, kept as read.
        reserved: u16,
    },
    /// Registration Revocation (RFC 3543 §4.1).
    Revocation {
        /// Reserved octet, kept as read.
        reserved: u8,
        /// A, I and 14 reserved bits.
        flags: u16,
        /// Home Address.
        home_addr: Ipv4Addr,
        /// Home Domain Address.
        home_domain: Ipv4Addr,
        /// Foreign Domain Address.
        foreign_domain: Ipv4Addr,
        /// Revocation Identifier.
        rev_id: u32,
    },
    /// Registration Revocation Acknowledgement (RFC 3543 §4.2).
    RevocationAck {
        /// Reserved octet, kept as read.
        reserved: u8,
        /// I and 15 reserved bits.
        flags: u16,
        /// Home Address.
        home_addr: Ipv4Addr,
        /// Revocation Identifier.
        rev_id: u32,
    },
    /// Any other type: everything after the Type octet is the payload.
    Unknown,
}

impl Body {
    /// The message type this body belongs to, when it fixes one.
    pub fn msg_type(&self) -> Option<MsgType> {
        Some(match self {
            Body::Request { .. } => MsgType::REG_REQUEST,
            Body::Reply { .. } => MsgType::REG_REPLY,
            Body::TunnelData { .. } => MsgType::TUNNEL_DATA,
            Body::Revocation { .. } => MsgType::REVOCATION,
            Body::RevocationAck { .. } => MsgType::REVOCATION_ACK,
            Body::Unknown => return None,
        })
    }

    /// The Identification field, for requests and replies.
    pub fn ident(&self) -> Option<u64> {
        match self {
            Body::Request { ident, .. } | Body::Reply { ident, .. } => Some(*ident),
            _ => None,
        }
    }

    fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Body::Request { flags, lifetime, home_addr, home_agent, coa, ident } => {
                out.push(*flags);
                out.extend_from_slice(&lifetime.to_be_bytes());
                out.extend_from_slice(&home_addr.octets());
                out.extend_from_slice(&home_agent.octets());
                out.extend_from_slice(&coa.octets());
                out.extend_from_slice(&ident.to_be_bytes());
            }
            Body::Reply { code, lifetime, home_addr, home_agent, ident } => {
                out.push(*code);
                out.extend_from_slice(&lifetime.to_be_bytes());
                out.extend_from_slice(&home_addr.octets());
                out.extend_from_slice(&home_agent.octets());
                out.extend_from_slice(&ident.to_be_bytes());
            }
            Body::TunnelData { next_header, reserved } => {
                out.push(*next_header);
                out.extend_from_slice(&reserved.to_be_bytes());
            }
            Body::Revocation { reserved, flags, home_addr, home_domain, foreign_domain, rev_id } => {
                out.push(*reserved);
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&home_addr.octets());
                out.extend_from_slice(&home_domain.octets());
                out.extend_from_slice(&foreign_domain.octets());
                out.extend_from_slice(&rev_id.to_be_bytes());
            }
            Body::RevocationAck { reserved, flags, home_addr, rev_id } => {
                out.push(*reserved);
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&home_addr.octets());
                out.extend_from_slice(&rev_id.to_be_bytes());
            }
            Body::Unknown => {}
        }
    }
}

/// One owned Mobile IPv4 message: lossless (reserved bits, unknown extensions, payload).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message {
    /// Message Type; must match `body` for the known types.
    pub msg_type: MsgType,
    /// The fixed part.
    pub body: Body,
    /// Extensions, in order (none for Tunnel Data and unknown types).
    pub extensions: Vec<Extension>,
    /// Tunnel Data: the tunnelled packet; unknown type: the octets after Type.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub payload: Vec<u8>,
}

impl Message {
    /// Parses a whole UDP payload. Meaning-level findings are dropped; see
    /// [`Self::parse_with_diagnostics`].
    pub fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::parse_with_diagnostics(buf).map(|(m, _)| m)
    }

    /// Parses a whole UDP payload and returns the findings of [`MessageView::diagnostics`].
    pub fn parse_with_diagnostics(buf: &[u8]) -> Result<(Self, Vec<Diagnostic>), DecodeError> {
        let v = MessageView::new(buf)?;
        let mut extensions = Vec::new();
        let mut diags = Vec::new();
        for e in v.extensions() {
            let e = e?;
            let (x, d) = e.interpret();
            diags.extend(d);
            diags.extend(tnc_diagnostics(&e, &x));
            extensions.push(Extension { ext_type: e.ext_type, body: x.to_owned() });
        }
        let m = Message { msg_type: v.msg_type(), body: v.body(), extensions, payload: v.payload().to_vec() };
        Ok((m, diags))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let fixed = self.msg_type.fixed_len().unwrap_or(1);
        fixed + self.extensions.iter().map(Extension::buffer_len).sum::<usize>() + self.payload.len()
    }

    fn check_shape(&self) -> Result<(), EncodeError> {
        match (self.msg_type.fixed_len(), self.body.msg_type()) {
            (None, None) if self.extensions.is_empty() => Ok(()),
            (None, None) => Err(EncodeError::new("mip.ext.type", "a message of unknown type keeps its octets as payload")),
            (Some(_), Some(t)) if t == self.msg_type => {
                let tunnel = t == MsgType::TUNNEL_DATA;
                if tunnel && !self.extensions.is_empty() {
                    Err(EncodeError::new("mip.ext.type", "Tunnel Data carries no extensions"))
                } else if !tunnel && !self.payload.is_empty() {
                    Err(EncodeError::new("mip", "only Tunnel Data and unknown types carry a payload"))
                } else {
                    Ok(())
                }
            }
            _ => Err(EncodeError::new("mip.type", format!("type {} does not match the body", self.msg_type.0))),
        }
    }

    fn emit_fixed(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.check_shape()?;
        out.push(self.msg_type.0);
        self.body.emit(out);
        Ok(())
    }

    /// Appends the message (authenticators as stored; see [`Self::sign`]).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.emit_fixed(out)?;
        for e in &self.extensions {
            e.emit(out)?;
        }
        out.extend_from_slice(&self.payload);
        Ok(())
    }

    /// The message as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit(&mut out)?;
        Ok(out)
    }

    /// Recomputes, in order, the authenticator of every MN-HA, MN-FA and FA-HA extension
    /// whose SPI has a key in `keys` (RFC 5944 §3.5.1: over the message up to and
    /// including the SPI; each covers the authenticators before it). Returns how many.
    pub fn sign(&mut self, keys: &KeyStore) -> Result<usize, EncodeError> {
        let mut buf = Vec::with_capacity(self.buffer_len());
        self.emit_fixed(&mut buf)?;
        let mut n = 0;
        for e in &mut self.extensions {
            if let (true, ExtBody::Auth { spi, authenticator }) = (e.ext_type.is_keyed_auth(), &mut e.body) {
                if let Some(k) = keys.get(*spi) {
                    let len = crate::emit::to_u8(4 + k.algorithm.len(), "mip.ext.len")?;
                    let mut head = vec![e.ext_type.0, len];
                    head.extend_from_slice(&spi.to_be_bytes());
                    *authenticator = k.algorithm.compute(&k.secret, &[&buf, &head]);
                    n += 1;
                }
            }
            e.emit(&mut buf)?;
        }
        Ok(n)
    }
}

/// The octets an authentication extension covers (RFC 5944 §3.5.1): the message from its
/// first octet through the SPI of `ext`.
pub fn auth_covered<'a>(msg: &'a [u8], ext: &ExtView<'_>) -> Option<&'a [u8]> {
    msg.get(..ext.data_offset().checked_add(ext::field::SPI.end)?)
}

/// Verifies the MN-HA / MN-FA / FA-HA authenticator of `ext` in `msg`: `None` when the
/// extension is not one of those or no key for its SPI is known.
pub fn verify_ext(msg: &[u8], ext: &ExtView<'_>, keys: &KeyStore) -> Option<bool> {
    if !ext.ext_type.is_keyed_auth() {
        return None;
    }
    let (spi, auth) = ext.spi_auth()?;
    let key = keys.get(spi)?;
    Some(key.algorithm.verify(&key.secret, &[auth_covered(msg, ext)?], auth))
}

/// Result of checking one authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCheck {
    /// The extension type (32, 33 or 34).
    pub ext_type: ExtType,
    /// Offset of the extension in the message.
    pub offset: usize,
    /// SPI.
    pub spi: u32,
    /// True when the authenticator verifies.
    pub valid: bool,
}

/// Verifies every keyed authenticator of `msg` whose SPI is in `keys`.
pub fn verify(msg: &[u8], keys: &KeyStore) -> Result<Vec<AuthCheck>, DecodeError> {
    let v = MessageView::new(msg)?;
    let mut out = Vec::new();
    for e in v.extensions() {
        let e = e?;
        if let (Some(valid), Some((spi, _))) = (verify_ext(msg, &e, keys), e.spi_auth()) {
            out.push(AuthCheck { ext_type: e.ext_type, offset: e.offset, spi, valid });
        }
    }
    Ok(out)
}

/// How an Identification reads (RFC 5944 §5.7): an NTP timestamp or nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ident {
    /// NTP 32.32 fixed point: seconds since 1900 and fraction.
    Timestamp {
        /// Seconds since 1900-01-01 (NTP era 0 or, below 1990, era 1).
        secs: u32,
        /// Fraction of a second, 2^-32 units.
        frac: u32,
    },
    /// Not a plausible timestamp: high-order and low-order nonces.
    Nonce(u64),
}

/// NTP seconds of 1990-01-01: earlier era-0 values are not taken for timestamps.
pub const NTP_1990: u32 = 2_840_140_800;
/// NTP seconds (era 1) of 2050-01-01: era-1 values below this are taken for timestamps.
pub const NTP_ERA1_2050: u32 = 441_763_200;
/// Seconds from 1900-01-01 to 1970-01-01.
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

impl Ident {
    /// Reads `ident` as a timestamp when its seconds fall in 1990–2050, else as nonces.
    pub fn classify(ident: u64) -> Self {
        let secs = (ident >> 32) as u32; // the high half, exact
        let frac = ident as u32; // the low half, exact
        if !(NTP_ERA1_2050..NTP_1990).contains(&secs) {
            Ident::Timestamp { secs, frac }
        } else {
            Ident::Nonce(ident)
        }
    }

    /// Seconds since the Unix epoch of a timestamp (era 1 for small values).
    pub fn unix_secs(&self) -> Option<u64> {
        match *self {
            Ident::Timestamp { secs, .. } if secs >= NTP_1990 => Some(u64::from(secs) - NTP_UNIX_OFFSET),
            Ident::Timestamp { secs, .. } => Some(u64::from(secs) + (1u64 << 32) - NTP_UNIX_OFFSET),
            Ident::Nonce(_) => None,
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ident::Nonce(n) => write!(f, "nonce {n:016x}"),
            Ident::Timestamp { frac, .. } => {
                let u = self.unix_secs().unwrap_or(0);
                let (y, mo, d) = civil_from_days((u / 86_400) as i64);
                let s = u % 86_400;
                let micros = (u64::from(frac) * 1_000_000) >> 32;
                write!(f, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", s / 3600, s / 60 % 60, s % 60)
            }
        }
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.body {
            Body::Request { flags: fl, lifetime, home_addr, home_agent, coa, ident } => {
                let letters: String = flags::LETTERS.iter().filter(|(b, _)| fl & b != 0).map(|(_, c)| *c).collect();
                write!(
                    f,
                    "MIP Registration Request [{letters}] HoA={home_addr} HA={home_agent} CoA={coa} lifetime={lifetime} ident={}",
                    Ident::classify(*ident)
                )?;
            }
            Body::Reply { code: c, lifetime, home_addr, home_agent, ident } => write!(
                f,
                "MIP Registration Reply code={c} ({}) HoA={home_addr} HA={home_agent} lifetime={lifetime} ident={}",
                code::label(*c).unwrap_or("unknown"),
                Ident::classify(*ident)
            )?,
            Body::TunnelData { next_header, .. } => {
                write!(f, "MIP Tunnel Data next header {next_header}, {} octets", self.payload.len())?
            }
            Body::Revocation { home_addr, home_domain, foreign_domain, rev_id, .. } => {
                write!(f, "MIP Registration Revocation HoA={home_addr} HDA={home_domain} FDA={foreign_domain} id={rev_id}")?
            }
            Body::RevocationAck { home_addr, rev_id, .. } => write!(f, "MIP Revocation Ack HoA={home_addr} id={rev_id}")?,
            Body::Unknown => write!(f, "MIP type {} ({} octets)", self.msg_type.0, self.payload.len())?,
        }
        for e in &self.extensions {
            write!(f, ", {}", e.ext_type.label())?;
        }
        Ok(())
    }
}

/// Display-filter fields this module produces (STYLE §11): Wireshark's `mip.*` names plus
/// the spec's `mip.tnc`, `mip.tnc.subtype` and `mip.auth.valid` (spec §10).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("mip", FieldType::Protocol, "Mobile IPv4 (RFC 5944)"),
    FieldDef::new("mip.type", FieldType::Uint, "Message Type"),
    FieldDef::new("mip.flags", FieldType::Uint, "Registration Request flags"),
    FieldDef::new("mip.s", FieldType::Bool, "S: simultaneous bindings"),
    FieldDef::new("mip.b", FieldType::Bool, "B: broadcast datagrams"),
    FieldDef::new("mip.d", FieldType::Bool, "D: co-located care-of address"),
    FieldDef::new("mip.m", FieldType::Bool, "M: minimal encapsulation"),
    FieldDef::new("mip.g", FieldType::Bool, "G: GRE encapsulation"),
    FieldDef::new("mip.v", FieldType::Bool, "r: reserved (formerly Van Jacobson compression)"),
    FieldDef::new("mip.t", FieldType::Bool, "T: reverse tunnelling"),
    FieldDef::new("mip.x", FieldType::Bool, "x: reserved"),
    FieldDef::new("mip.code", FieldType::Uint, "Reply Code"),
    FieldDef::new("mip.life", FieldType::Uint, "Lifetime, seconds"),
    FieldDef::new("mip.homeaddr", FieldType::Ipv4, "Home Address"),
    FieldDef::new("mip.haaddr", FieldType::Ipv4, "Home Agent"),
    FieldDef::new("mip.coa", FieldType::Ipv4, "Care-of Address"),
    FieldDef::new("mip.ident", FieldType::Bytes, "Identification (64 bits, hex)"),
    FieldDef::new("mip.nattt.nexthdr", FieldType::Uint, "Tunnel Data Next Header (RFC 3519)"),
    FieldDef::new("mip.nattt.reserved", FieldType::Uint, "Tunnel Data Reserved"),
    FieldDef::new("mip.rev.reserved", FieldType::Uint, "Registration Revocation reserved octet"),
    FieldDef::new("mip.flags2", FieldType::Uint, "Revocation / Revocation Ack flags (16 bits)"),
    FieldDef::new("mip.rev.a", FieldType::Bool, "Revocation A: sent by the home domain"),
    FieldDef::new("mip.rev.i", FieldType::Bool, "Revocation I: inform the mobile node"),
    FieldDef::new("mip.rev.reserved2", FieldType::Uint, "Revocation reserved flag bits"),
    FieldDef::new("mip.rev.hda", FieldType::Ipv4, "Home Domain Address"),
    FieldDef::new("mip.rev.fda", FieldType::Ipv4, "Foreign Domain Address"),
    FieldDef::new("mip.revid", FieldType::Uint, "Revocation Identifier"),
    FieldDef::new("mip.ack.reserved", FieldType::Uint, "Revocation Ack reserved octet"),
    FieldDef::new("mip.ack.i", FieldType::Bool, "Revocation Ack I: mobile node informed"),
    FieldDef::new("mip.ack.reserved2", FieldType::Uint, "Revocation Ack reserved flag bits"),
    FieldDef::new("mip.ext.type", FieldType::Uint, "Extension Type"),
    FieldDef::new("mip.ext.len", FieldType::Uint, "Extension Length"),
    FieldDef::new("mip.ext.auth.subtype", FieldType::Uint, "Generalized Authentication sub-type"),
    FieldDef::new("mip.extension", FieldType::Bytes, "Extension data not interpreted"),
    FieldDef::new("mip.auth.spi", FieldType::Uint, "Authentication SPI"),
    FieldDef::new("mip.auth.auth", FieldType::Bytes, "Authenticator"),
    FieldDef::new("mip.auth.valid", FieldType::Bool, "Authenticator verifies (key known, verification on)"),
    FieldDef::new("mip.nai", FieldType::Text, "Mobile Node NAI"),
    FieldDef::new("mip.ext.rev.flags", FieldType::Uint, "Revocation Support flags"),
    FieldDef::new("mip.ext.rev.i", FieldType::Bool, "Revocation Support I bit"),
    FieldDef::new("mip.ext.rev.reserved", FieldType::Uint, "Revocation Support reserved bits"),
    FieldDef::new("mip.ext.rev.tstamp", FieldType::Uint, "Revocation Support timestamp"),
    FieldDef::new("mip.ext.msgstr.subtype", FieldType::Uint, "Message String sub-type"),
    FieldDef::new("mip.ext.msgstr.text", FieldType::Text, "Message String text"),
    FieldDef::new("mip.ext.utrq.subtype", FieldType::Uint, "UDP Tunnel Request sub-type"),
    FieldDef::new("mip.ext.utrq.reserved1", FieldType::Uint, "UDP Tunnel Request Reserved 1"),
    FieldDef::new("mip.ext.utrq.flags", FieldType::Uint, "UDP Tunnel Request flags"),
    FieldDef::new("mip.ext.utrq.f", FieldType::Bool, "UDP Tunnel Request F: forced"),
    FieldDef::new("mip.ext.utrq.r", FieldType::Bool, "UDP Tunnel Request R: FA registration required"),
    FieldDef::new("mip.ext.utrq.reserved2", FieldType::Uint, "UDP Tunnel Request Reserved 2"),
    FieldDef::new("mip.ext.utrq.encaptype", FieldType::Uint, "UDP Tunnel Request encapsulation"),
    FieldDef::new("mip.ext.utrq.reserved3", FieldType::Uint, "UDP Tunnel Request Reserved 3"),
    FieldDef::new("mip.ext.utrp.subtype", FieldType::Uint, "UDP Tunnel Reply sub-type"),
    FieldDef::new("mip.ext.utrp.code", FieldType::Uint, "UDP Tunnel Reply code"),
    FieldDef::new("mip.ext.utrp.flags", FieldType::Uint, "UDP Tunnel Reply flags"),
    FieldDef::new("mip.ext.utrp.f", FieldType::Bool, "UDP Tunnel Reply F: forced"),
    FieldDef::new("mip.ext.utrp.reserved", FieldType::Uint, "UDP Tunnel Reply reserved bits"),
    FieldDef::new("mip.ext.utrp.keepalive", FieldType::Uint, "UDP Tunnel Reply keepalive interval"),
    FieldDef::new("mip.ext.cvse.reserved", FieldType::Uint, "CVSE reserved octet"),
    FieldDef::new("mip.ext.cvse.vendor_id", FieldType::Uint, "CVSE Vendor/Org-ID"),
    FieldDef::new("mip.ext.cvse.vendor_type", FieldType::Uint, "CVSE vendor type"),
    FieldDef::new("mip.ext.cvse.vendor_value", FieldType::Bytes, "CVSE vendor value"),
    FieldDef::new("mip.ext.nvse.reserved", FieldType::Uint, "NVSE reserved"),
    FieldDef::new("mip.ext.nvse.vendor_id", FieldType::Uint, "NVSE Vendor/Org-ID"),
    FieldDef::new("mip.ext.nvse.vendor_type", FieldType::Uint, "NVSE vendor type"),
    FieldDef::new("mip.ext.nvse.vendor_value", FieldType::Bytes, "NVSE vendor value"),
    FieldDef::new("mip.tnc", FieldType::Bool, "Trusted Networks Configured extension present (RFC 5265 §3.4)"),
    FieldDef::new("mip.tnc.subtype", FieldType::Uint, "TNC sub-type (0)"),
    FieldDef::new("mip.tnc.reserved", FieldType::Uint, "TNC reserved octet (0)"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Algorithm, AuthKey};
    use crate::error::Kind;

    /// Spec vector 14: Registration Request with D and T, MN-HA authentication (RFC 5944
    /// §3.3, §3.5.2).
    #[rustfmt::skip]
    const RRQ: [u8; 46] = [
        0x01,                   // type 1: Registration Request
        0x22,                   // D, T
        0x01, 0x2c,             // lifetime 300
        10, 40, 1, 23,          // home address
        10, 40, 0, 1,           // home agent
        10, 40, 7, 66,          // care-of address
        0xe9, 0x9d, 0x41, 0x62, 0x0b, 0xad, 0xc0, 0xde, // identification
        0x20, 0x14,             // MN-HA auth, length 20
        0x00, 0x00, 0x10, 0x01, // SPI 4097
        0xa6, 0xe4, 0x6d, 0x2d, 0x0b, 0x0b, 0x07, 0x30,
        0x30, 0x51, 0xea, 0xdd, 0x38, 0x8e, 0xa5, 0xca, // HMAC-MD5
    ];

    fn keys() -> KeyStore {
        let mut k = KeyStore::new();
        k.insert(4097, AuthKey { algorithm: Algorithm::HmacMd5, secret: b"pub-mnha-secret!".to_vec() });
        k
    }

    #[test]
    fn rfc5944_3_3_request_view_parse_emit() {
        let v = MessageView::new(&RRQ).unwrap();
        assert_eq!(v.msg_type(), MsgType::REG_REQUEST);
        let m = Message::parse(&RRQ).unwrap();
        assert_eq!(
            m.body,
            Body::Request {
                flags: flags::D | flags::T,
                lifetime: 300,
                home_addr: Ipv4Addr::new(10, 40, 1, 23),
                home_agent: Ipv4Addr::new(10, 40, 0, 1),
                coa: Ipv4Addr::new(10, 40, 7, 66),
                ident: 0xe99d_4162_0bad_c0de,
            }
        );
        assert_eq!(m.extensions.len(), 1);
        assert_eq!(m.to_bytes().unwrap(), RRQ);
        assert_eq!(m.buffer_len(), RRQ.len());
    }

    #[test]
    fn rfc5944_3_5_1_hmac_md5_verifies_and_sign_reproduces() {
        let checks = verify(&RRQ, &keys()).unwrap();
        assert_eq!(checks.len(), 1);
        assert!(checks[0].valid);
        let mut bad = RRQ;
        bad[2] ^= 1; // lifetime is covered
        assert!(!verify(&bad, &keys()).unwrap()[0].valid);
        let mut m = Message::parse(&bad).unwrap();
        assert_eq!(m.sign(&keys()).unwrap(), 1);
        let signed = m.to_bytes().unwrap();
        assert!(verify(&signed, &keys()).unwrap()[0].valid);
        // Unknown SPI: nothing to check.
        assert!(verify(&RRQ, &KeyStore::new()).unwrap().is_empty());
    }

    #[test]
    fn rfc5944_3_5_1_sha256_sign_grows_authenticator() {
        let mut k = KeyStore::new();
        k.insert(7, AuthKey { algorithm: Algorithm::HmacSha256, secret: vec![1; 20] });
        let mut m = Message::parse(&RRQ).unwrap();
        m.extensions[0] = Extension::auth(ExtType::MN_HA_AUTH, 7, vec![]);
        m.sign(&k).unwrap();
        let b = m.to_bytes().unwrap();
        assert_eq!(b.len(), 24 + 2 + 4 + 32);
        assert!(verify(&b, &k).unwrap()[0].valid);
    }

    #[test]
    fn rfc5944_3_3_truncation_sweep() {
        for n in (0..RRQ.len()).filter(|&n| n != 24) {
            // 24 octets: a whole request without extensions.
            let r = Message::parse(&RRQ[..n]);
            let e = r.expect_err("every prefix is short");
            assert_eq!(e.kind, Kind::Truncated, "prefix {n}");
            if n == 0 {
                assert_eq!((e.field, e.offset), ("mip.type", 0));
            } else if n < 24 {
                assert!(e.offset < 24 && e.offset <= n, "prefix {n}: {e}");
            } else if n == 25 {
                assert_eq!((e.field, e.offset), ("mip.ext.len", 24));
            } else if n > 25 {
                assert_eq!((e.field, e.offset), ("mip.ext.len", 25), "prefix {n}");
            }
        }
        let e = Message::parse(&RRQ[..5]).unwrap_err();
        assert_eq!((e.field, e.offset), ("mip.homeaddr", 4));
    }

    #[test]
    fn rfc3519_3_3_tunnel_data_keeps_payload() {
        let b = [4, 4, 0, 0, 0x45, 0, 0, 20];
        let m = Message::parse(&b).unwrap();
        assert_eq!(m.body, Body::TunnelData { next_header: 4, reserved: 0 });
        assert_eq!(m.payload, &b[4..]);
        assert_eq!(m.to_bytes().unwrap(), b);
        assert_eq!(MessageView::new(&b).unwrap().payload_range(), 4..8);
    }

    #[test]
    fn rfc3543_4_revocation_and_ack_round_trip() {
        #[rustfmt::skip]
        let rev = [
            7, 0, 0xc0, 0x00,       // type 7, reserved, A and I
            10, 0, 0, 1,            // home address
            10, 0, 0, 2,            // home domain address
            10, 0, 0, 3,            // foreign domain address
            0, 0, 0, 9,             // revocation identifier
            137, 6, 0x80, 0, 0, 0, 0, 5, // revocation support, I, timestamp 5
        ];
        let m = Message::parse(&rev).unwrap();
        assert!(matches!(m.body, Body::Revocation { flags: 0xc000, rev_id: 9, .. }));
        assert_eq!(m.extensions[0].body, ExtBody::RevocationSupport { flags: 0x8000, timestamp: 5 });
        assert_eq!(m.to_bytes().unwrap(), rev);
        let ack = [15, 0, 0x80, 0, 10, 0, 0, 1, 0, 0, 0, 9];
        let m = Message::parse(&ack).unwrap();
        assert_eq!(m.body, Body::RevocationAck { reserved: 0, flags: 0x8000, home_addr: Ipv4Addr::new(10, 0, 0, 1), rev_id: 9 });
        assert_eq!(m.to_bytes().unwrap(), ack);
    }

    #[test]
    fn unknown_type_is_opaque() {
        let b = [200, 1, 2, 3];
        let m = Message::parse(&b).unwrap();
        assert_eq!((m.body.clone(), m.payload.clone()), (Body::Unknown, vec![1, 2, 3]));
        assert_eq!(m.to_bytes().unwrap(), b);
    }

    #[test]
    fn mip_1_tnc_decodes_in_both_and_subtype_is_checked() {
        // In a request TNC still decodes (the conformance engine judges its place).
        let mut req = RRQ[..24].to_vec();
        req.extend_from_slice(&[149, 2, 5, 0]);
        let (m, d) = Message::parse_with_diagnostics(&req).unwrap();
        assert_eq!(m.extensions[0].body, ExtBody::Tnc { subtype: 5, reserved: 0 });
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].clause, d[0].offset, d[0].kind), (Some("MIP-1"), 26, None));
        let mut rep = vec![3, 0, 0, 60, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
        rep.extend_from_slice(&[149, 2, 0, 0]);
        let (m, d) = Message::parse_with_diagnostics(&rep).unwrap();
        assert!(d.is_empty());
        assert_eq!(m.extensions[0], Extension::tnc());
    }

    #[test]
    fn rfc5944_5_7_ident_display() {
        // e99d4162 = 2024-03-14T09:26:58Z (tshark shows the same instant).
        let s = Ident::classify(0xe99d_4162_0bad_c0de).to_string();
        assert!(s.starts_with("2024-03-14T09:26:58."), "{s}");
        assert_eq!(Ident::classify(0x8000_0000_0000_0001), Ident::Nonce(0x8000_0000_0000_0001));
        assert!(Ident::classify(0x8000_0000_0000_0001).to_string().starts_with("nonce"));
    }

    #[test]
    fn emit_refuses_mismatched_type_and_body() {
        let mut m = Message::parse(&RRQ).unwrap();
        m.msg_type = MsgType::REG_REPLY;
        assert!(m.to_bytes().is_err());
    }
}
