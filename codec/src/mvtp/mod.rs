//! MVTP version 1 (spec §2–§4): the common header, the fixed fields of the six PDU types,
//! the AVP list and the MV-DATA payload; authentication in [`auth`].
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Rsvd  |   PDU Type    |          PDU Length           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |       Local Endpoint ID       |          AVP Length           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  fixed fields of the type (0, 4, 24 or 16 octets)  ...        |
//! |  AVPs (AVP Length octets)  ...                                |
//! |  MV-DATA payload  ...                                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Two ways in, mirrored (STYLE §4–§5):
//! - [`PduView::new`] checks the structure of spec §2.1 steps 1–5 once; its getters then
//!   cannot fail, [`PduView::avps`] walks the AVPs as an iterator of `Result`, and
//!   [`PduView::check`] runs the whole decoding order of §2.1 (steps 6–8, warnings).
//! - [`Pdu`] is the owned, lossless Repr with [`Pdu::parse`] and [`Pdu::emit`].
//!
//! **Errors.** Spec §2.1 asks for the *first* error in its order. Structure that cannot be
//! represented (`truncated`, `bad_length`, `version`) ends decoding: `Err`. Meaning that is
//! wrong in representable octets (`bad_value`: FMT-6, FMT-10, AVP-3, AVP-5 digits, AVP-7,
//! AVP-8 above 32; `unsupported` AVP-4; the AVP-8 count; `auth_failed` AUTH-5) travels as
//! `Report::error` beside a fully decoded PDU (STYLE §6). When both occur, the first in
//! spec order is the one reported; the PDU then cannot be represented.

pub mod auth;
pub mod avp;
pub mod pdu;

pub use avp::{Auth, AuthRole, Avp, AvpIter, AvpType, AvpValue, AvpView, ValueView};
pub use pdu::{Body, Pdu};

use crate::agent_adv::flags as agent_flags;
use crate::auth::KeyStore;
use crate::bytes::{be_u16, be_u32, be_u64};
use crate::error::{DecodeError, Diagnostic, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::gid::{self, Known};
use core::fmt;
use std::net::Ipv4Addr;

/// MVTP version 1 (spec §1) [FMT-2].
pub const VERSION: u8 = 1;

/// Octets of the common header (spec §2.1).
pub const HEADER_LEN: usize = field::AVP_LENGTH.end;

/// PDU Type (spec §2.1). Open: unknown types are kept opaque [FMT-4].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PduType(pub u8);

impl PduType {
    /// MV-FAA, foreign agent advertisement.
    pub const FAA: Self = Self(1);
    /// MV-FAS, foreign agent solicitation.
    pub const FAS: Self = Self(2);
    /// MV-DATA.
    pub const DATA: Self = Self(3);
    /// MV-RRQ, registration request.
    pub const RRQ: Self = Self(4);
    /// MV-RRP, registration reply.
    pub const RRP: Self = Self(5);
    /// MV-DN, disconnect notify.
    pub const DN: Self = Self(6);

    /// Octets of the type's fixed fields (spec §2.2); `None` for an unknown type.
    pub const fn fixed_len(self) -> Option<usize> {
        match self {
            Self::FAA | Self::FAS => Some(0),
            Self::DATA => Some(4),
            Self::RRQ | Self::RRP => Some(24),
            Self::DN => Some(16),
            _ => None,
        }
    }

    /// Short name (`MV-RRQ`), if known.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::FAA => "MV-FAA",
            Self::FAS => "MV-FAS",
            Self::DATA => "MV-DATA",
            Self::RRQ => "MV-RRQ",
            Self::RRP => "MV-RRP",
            Self::DN => "MV-DN",
            _ => return None,
        })
    }
}

/// Encap Type (spec §2.2, FMT-14).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Encap(pub u8);

impl Encap {
    /// NONE: no tunnelling service.
    pub const NONE: Self = Self(0);
    /// PPP_TO_L2TP: the MV-DATA payload is a PPP frame (Mobile PPP, gateway mode).
    pub const PPP_TO_L2TP: Self = Self(1);
    /// L2TP_TRANSPORT: the MV-DATA payload is a whole L2TP message.
    pub const L2TP_TRANSPORT: Self = Self(2);

    /// Short name, if defined.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NONE => "NONE",
            Self::PPP_TO_L2TP => "PPP_TO_L2TP",
            Self::L2TP_TRANSPORT => "L2TP_TRANSPORT",
            _ => return None,
        })
    }
}

/// MV-RRP codes (spec §2.5, mirroring RFC 5944 §3.4).
pub mod rrp_code {
    /// Registration accepted.
    pub const ACCEPTED: u8 = 0;
    /// Denied by FA: reason unspecified.
    pub const FA_UNSPECIFIED: u8 = 64;
    /// Denied by FA: administratively prohibited.
    pub const FA_PROHIBITED: u8 = 65;
    /// Denied by FA: insufficient resources.
    pub const FA_RESOURCES: u8 = 66;
    /// Denied by FA: client failed authentication.
    pub const FA_CLIENT_AUTH: u8 = 67;
    /// Denied by FA: server failed authentication.
    pub const FA_SERVER_AUTH: u8 = 68;
    /// Denied by FA: requested lifetime too long.
    pub const FA_LIFETIME: u8 = 69;
    /// Denied by FA: poorly formed request.
    pub const FA_BAD_REQUEST: u8 = 70;
    /// Denied by FA: poorly formed reply.
    pub const FA_BAD_REPLY: u8 = 71;
    /// Denied by FA: requested encapsulation unavailable.
    pub const FA_ENCAP: u8 = 72;
    /// Denied by server: reason unspecified.
    pub const SERVER_UNSPECIFIED: u8 = 128;
    /// Denied by server: administratively prohibited.
    pub const SERVER_PROHIBITED: u8 = 129;
    /// Denied by server: insufficient resources.
    pub const SERVER_RESOURCES: u8 = 130;
    /// Denied by server: client failed authentication.
    pub const SERVER_CLIENT_AUTH: u8 = 131;
    /// Denied by server: FA failed authentication.
    pub const SERVER_FA_AUTH: u8 = 132;
    /// Denied by server: identification mismatch.
    pub const SERVER_IDENT: u8 = 133;
    /// Denied by server: poorly formed request.
    pub const SERVER_BAD_REQUEST: u8 = 134;
    /// Denied by server: unknown home address.
    pub const SERVER_HOME_ADDR: u8 = 136;
    /// Denied by server: stale Connect ID.
    pub const SERVER_STALE: u8 = 137;

    /// The meaning of a code, if listed.
    pub const fn name(code: u8) -> Option<&'static str> {
        Some(match code {
            ACCEPTED => "registration accepted",
            FA_UNSPECIFIED => "denied by FA: reason unspecified",
            FA_PROHIBITED => "denied by FA: administratively prohibited",
            FA_RESOURCES => "denied by FA: insufficient resources",
            FA_CLIENT_AUTH => "denied by FA: client failed authentication",
            FA_SERVER_AUTH => "denied by FA: server failed authentication",
            FA_LIFETIME => "denied by FA: requested lifetime too long",
            FA_BAD_REQUEST => "denied by FA: poorly formed request",
            FA_BAD_REPLY => "denied by FA: poorly formed reply",
            FA_ENCAP => "denied by FA: requested encapsulation unavailable",
            SERVER_UNSPECIFIED => "denied by server: reason unspecified",
            SERVER_PROHIBITED => "denied by server: administratively prohibited",
            SERVER_RESOURCES => "denied by server: insufficient resources",
            SERVER_CLIENT_AUTH => "denied by server: client failed authentication",
            SERVER_FA_AUTH => "denied by server: FA failed authentication",
            SERVER_IDENT => "denied by server: identification mismatch",
            SERVER_BAD_REQUEST => "denied by server: poorly formed request",
            SERVER_HOME_ADDR => "denied by server: unknown home address",
            SERVER_STALE => "denied by server: stale Connect ID",
            _ => return None,
        })
    }
}

/// MV-DN codes (spec §2.5).
pub mod dn_code {
    /// Normal close by the higher layer.
    pub const NORMAL: u8 = 0;
    /// Registration expired.
    pub const EXPIRED: u8 = 1;
    /// PDU not valid for the connection state [PROC-12].
    pub const INVALID_STATE: u8 = 2;
    /// L2TP Call-Disconnect-Notify received [L2TP-5].
    pub const L2TP_CDN: u8 = 3;
    /// Session timeout.
    pub const SESSION_TIMEOUT: u8 = 4;
    /// Client roamed to another FA (Roam Notify) [PROC-15].
    pub const ROAMED: u8 = 5;

    /// The meaning of a code, if listed.
    pub const fn name(code: u8) -> Option<&'static str> {
        Some(match code {
            NORMAL => "normal close",
            EXPIRED => "registration expired",
            INVALID_STATE => "PDU not valid for the connection state",
            L2TP_CDN => "L2TP Call-Disconnect-Notify received",
            SESSION_TIMEOUT => "session timeout",
            ROAMED => "client roamed to another FA",
            _ => return None,
        })
    }
}

/// R, Reset (Status octet of MV-RRQ/MV-RRP).
pub const FLAG_RESET: u8 = 0x80;
/// N, Roam Notify.
pub const FLAG_ROAM_NOTIFY: u8 = 0x40;
/// The 6 reserved bits of the Status octet [FMT-3].
pub const FLAGS_RESERVED: u8 = 0x3F;
/// Largest 24-bit Reserved field value (MV-DATA, MV-RRQ/MV-RRP).
pub const RESERVED24_MAX: u32 = 0x00FF_FFFF;

/// Field offsets from the PDU's first octet (spec §2.1, §2.2).
pub mod field {
    use core::ops::Range;
    /// Version << 4 | Rsvd.
    pub const VER_RSVD: usize = 0;
    /// PDU Type.
    pub const PDU_TYPE: usize = 1;
    /// PDU Length.
    pub const PDU_LENGTH: Range<usize> = 2..4;
    /// Local Endpoint ID.
    pub const LEID: Range<usize> = 4..6;
    /// AVP Length.
    pub const AVP_LENGTH: Range<usize> = 6..8;

    /// MV-DATA fixed fields.
    pub mod data {
        use core::ops::Range;
        /// Encap Type.
        pub const ENCAP: usize = 8;
        /// Reserved (24 bits).
        pub const RESERVED: Range<usize> = 9..12;
    }

    /// MV-RRQ / MV-RRP fixed fields.
    pub mod reg {
        use core::ops::Range;
        /// Status: R, N, Rsvd(6).
        pub const FLAGS: usize = 8;
        /// Code.
        pub const CODE: usize = 9;
        /// Registration Lifetime.
        pub const LIFETIME: Range<usize> = 10..12;
        /// Encap Type.
        pub const ENCAP: usize = 12;
        /// Reserved (24 bits).
        pub const RESERVED: Range<usize> = 13..16;
        /// Connect ID.
        pub const CONNECT_ID: Range<usize> = 16..20;
        /// Home IP Address.
        pub const HOME_ADDR: Range<usize> = 20..24;
        /// Identification.
        pub const IDENT: Range<usize> = 24..32;
    }

    /// MV-DN fixed fields.
    pub mod dn {
        use core::ops::Range;
        /// Flags (all reserved).
        pub const FLAGS: usize = 8;
        /// Code.
        pub const CODE: usize = 9;
        /// Reserved (16 bits).
        pub const RESERVED: Range<usize> = 10..12;
        /// Connect ID.
        pub const CONNECT_ID: Range<usize> = 12..16;
        /// Identification.
        pub const IDENT: Range<usize> = 16..24;
    }
}

/// MV-DATA fixed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataFields {
    /// Encap Type [FMT-14].
    pub encap: Encap,
    /// Reserved, 24 bits, kept as read [FMT-3].
    pub reserved: u32,
}

/// MV-RRQ / MV-RRP fixed fields (one layout, spec §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Registration {
    /// The Status octet: R (0x80), N (0x40), 6 reserved bits kept as read.
    pub flags: u8,
    /// Code: 0 in an MV-RRQ [FMT-10], the result in an MV-RRP (§2.5).
    pub code: u8,
    /// Registration Lifetime, seconds.
    pub lifetime: u16,
    /// Encap Type.
    pub encap: Encap,
    /// Reserved, 24 bits, kept as read [FMT-3].
    pub reserved: u32,
    /// Connect ID (RFC 1982 serial number).
    pub connect_id: u32,
    /// Home IP Address.
    pub home_addr: Ipv4Addr,
    /// Identification (RFC 5944 §5.7).
    pub ident: u64,
}

impl Registration {
    /// R, Reset.
    pub fn reset(&self) -> bool {
        self.flags & FLAG_RESET != 0
    }

    /// N, Roam Notify.
    pub fn roam_notify(&self) -> bool {
        self.flags & FLAG_ROAM_NOTIFY != 0
    }
}

impl Default for Registration {
    fn default() -> Self {
        Self {
            flags: 0,
            code: 0,
            lifetime: 0,
            encap: Encap::NONE,
            reserved: 0,
            connect_id: 0,
            home_addr: Ipv4Addr::UNSPECIFIED,
            ident: 0,
        }
    }
}

/// MV-DN fixed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Disconnect {
    /// Flags: no bit defined, all reserved, kept as read [FMT-3].
    pub flags: u8,
    /// Code (§2.5).
    pub code: u8,
    /// Reserved, kept as read [FMT-3].
    pub reserved: u16,
    /// Connect ID of the latest valid registration [PROC-14].
    pub connect_id: u32,
    /// Identification.
    pub ident: u64,
}

/// The fixed fields of a PDU as the view reads them (zero-copy for an unknown type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixed<'a> {
    /// MV-FAA: none.
    Faa,
    /// MV-FAS: none.
    Fas,
    /// MV-DATA.
    Data(DataFields),
    /// MV-RRQ.
    Rrq(Registration),
    /// MV-RRP.
    Rrp(Registration),
    /// MV-DN.
    Dn(Disconnect),
    /// Unknown type: the PDU Length − 8 octets after the header, opaque [FMT-4].
    Unknown(&'a [u8]),
}

/// A checked, zero-copy view of one MVTP PDU (spec §2). `new` checks the structure once;
/// the getters then read proven octets and cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PduView<'a> {
    /// Exactly PDU Length octets.
    pdu: &'a [u8],
    /// Fixed length of the type (0 for an unknown type).
    fixed: usize,
    /// AVP Length (0 for an unknown type).
    avp_len: usize,
}

impl<'a> PduView<'a> {
    /// Checks spec §2.1 steps 1–5 on `frame` (the octets the framing delivers; octets after
    /// PDU Length are padding, not part of the PDU). Offsets in the error count from the
    /// first octet of `frame`.
    pub fn new(frame: &'a [u8]) -> Result<Self, DecodeError> {
        // 1. The common header.
        let Some(hdr) = frame.get(..HEADER_LEN) else {
            return Err(DecodeError::truncated("mvtp", 0, HEADER_LEN, frame.len()).clause("FMT-5"));
        };
        // 2. Version.
        let version = hdr[field::VER_RSVD] >> 4; // hdr has HEADER_LEN octets
        if version != VERSION {
            return Err(DecodeError::new(
                Kind::Version,
                "mvtp.version",
                field::VER_RSVD,
                format!("version {version}, not 1"),
            )
            .clause("FMT-2"));
        }
        // 3. PDU Length within 8..=frame.
        let pdu_len = usize::from(be_u16(hdr, field::PDU_LENGTH.start).unwrap_or(0));
        let at = field::PDU_LENGTH.start;
        if pdu_len < HEADER_LEN {
            return Err(
                DecodeError::new(Kind::BadLength, "mvtp.length", at, format!("PDU Length {pdu_len} < 8")).clause("FMT-5"),
            );
        }
        let Some(pdu) = frame.get(..pdu_len) else {
            return Err(DecodeError::new(
                Kind::Truncated,
                "mvtp.length",
                at,
                format!("PDU Length {pdu_len} but the frame has {} octets", frame.len()),
            )
            .clause("FMT-5"));
        };
        // 4. Unknown type: opaque.
        let ty = PduType(hdr[field::PDU_TYPE]);
        let Some(fixed) = ty.fixed_len() else {
            return Ok(Self {
                pdu,
                fixed: 0,
                avp_len: 0,
            });
        };
        // 5. PDU Length against fixed length + AVP Length.
        let avp_len = usize::from(be_u16(hdr, field::AVP_LENGTH.start).unwrap_or(0));
        let need = HEADER_LEN + fixed + avp_len;
        if pdu_len < need {
            return Err(DecodeError::new(
                Kind::BadLength,
                "mvtp.length",
                at,
                format!("PDU Length {pdu_len} < 8 + {fixed} + AVP Length {avp_len}"),
            )
            .clause("FMT-5"));
        }
        if ty != PduType::DATA && pdu_len != need {
            return Err(DecodeError::new(
                Kind::BadLength,
                "mvtp.length",
                at,
                format!("PDU Length {pdu_len} ≠ 8 + {fixed} + AVP Length {avp_len}: no payload outside MV-DATA"),
            )
            .clause("FMT-8"));
        }
        Ok(Self { pdu, fixed, avp_len })
    }

    /// The PDU's octets (PDU Length of them).
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.pdu
    }

    #[inline]
    fn u8(&self, at: usize) -> u8 {
        self.pdu.get(at).copied().unwrap_or(0) // within the header/fixed fields checked in `new`
    }

    #[inline]
    fn u16(&self, at: usize) -> u16 {
        be_u16(self.pdu, at).unwrap_or(0) // checked in `new`
    }

    #[inline]
    fn u24(&self, at: usize) -> u32 {
        u32::from(self.u8(at)) << 16 | u32::from(self.u16(at + 1))
    }

    #[inline]
    fn u32(&self, at: usize) -> u32 {
        be_u32(self.pdu, at).unwrap_or(0) // checked in `new`
    }

    #[inline]
    fn u64(&self, at: usize) -> u64 {
        be_u64(self.pdu, at).unwrap_or(0) // checked in `new`
    }

    /// Version (always 1 in a view).
    #[inline]
    pub fn version(&self) -> u8 {
        self.u8(field::VER_RSVD) >> 4
    }

    /// The Rsvd nibble [FMT-3].
    #[inline]
    pub fn reserved(&self) -> u8 {
        self.u8(field::VER_RSVD) & 0x0F
    }

    /// PDU Type.
    #[inline]
    pub fn pdu_type(&self) -> PduType {
        PduType(self.u8(field::PDU_TYPE))
    }

    /// True for a type this decoder knows (1..=6).
    #[inline]
    pub fn is_known(&self) -> bool {
        self.pdu_type().fixed_len().is_some()
    }

    /// PDU Length (= octets of the view).
    #[inline]
    pub fn pdu_length(&self) -> u16 {
        self.u16(field::PDU_LENGTH.start)
    }

    /// Local Endpoint ID.
    #[inline]
    pub fn leid(&self) -> u16 {
        self.u16(field::LEID.start)
    }

    /// AVP Length as the header carries it (for an unknown type, not a length at all).
    #[inline]
    pub fn avp_length(&self) -> u16 {
        self.u16(field::AVP_LENGTH.start)
    }

    /// Octets of the fixed fields (0 for an unknown type).
    #[inline]
    pub fn fixed_len(&self) -> usize {
        self.fixed
    }

    /// Offset of the first AVP.
    #[inline]
    pub fn avps_offset(&self) -> usize {
        HEADER_LEN + self.fixed
    }

    fn registration(&self) -> Registration {
        use field::reg as f;
        Registration {
            flags: self.u8(f::FLAGS),
            code: self.u8(f::CODE),
            lifetime: self.u16(f::LIFETIME.start),
            encap: Encap(self.u8(f::ENCAP)),
            reserved: self.u24(f::RESERVED.start),
            connect_id: self.u32(f::CONNECT_ID.start),
            home_addr: Ipv4Addr::from(self.u32(f::HOME_ADDR.start)),
            ident: self.u64(f::IDENT.start),
        }
    }

    /// The fixed fields of the type.
    pub fn fixed(&self) -> Fixed<'a> {
        match self.pdu_type() {
            PduType::FAA => Fixed::Faa,
            PduType::FAS => Fixed::Fas,
            PduType::DATA => Fixed::Data(DataFields {
                encap: Encap(self.u8(field::data::ENCAP)),
                reserved: self.u24(field::data::RESERVED.start),
            }),
            PduType::RRQ => Fixed::Rrq(self.registration()),
            PduType::RRP => Fixed::Rrp(self.registration()),
            PduType::DN => {
                use field::dn as f;
                Fixed::Dn(Disconnect {
                    flags: self.u8(f::FLAGS),
                    code: self.u8(f::CODE),
                    reserved: self.u16(f::RESERVED.start),
                    connect_id: self.u32(f::CONNECT_ID.start),
                    ident: self.u64(f::IDENT.start),
                })
            }
            _ => Fixed::Unknown(self.pdu.get(HEADER_LEN..).unwrap_or_default()),
        }
    }

    /// The AVP area (AVP Length octets; empty for an unknown type).
    #[inline]
    pub fn avp_area(&self) -> &'a [u8] {
        let s = self.avps_offset();
        self.pdu.get(s..s + self.avp_len).unwrap_or_default() // checked in `new`
    }

    /// The AVPs, each a `Result` (FMT-7, AVP-1); the walk stops after the first error.
    #[inline]
    pub fn avps(&self) -> AvpIter<'a> {
        AvpIter::new(self.avp_area(), self.avps_offset())
    }

    /// Offset of the MV-DATA payload (the PDU's end for other types).
    #[inline]
    pub fn payload_offset(&self) -> usize {
        if self.is_known() {
            self.avps_offset() + self.avp_len
        } else {
            self.pdu.len()
        }
    }

    /// The MV-DATA payload (empty for other types) [FMT-8].
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.pdu.get(self.payload_offset()..).unwrap_or_default()
    }

    /// Runs the rest of the decoding order of spec §2.1 (steps 6–8) and collects the
    /// format warnings; verifies authenticators when `keys` is given.
    pub fn check(&self, keys: Option<&KeyStore>) -> Report {
        let mut r = Report {
            complete: true,
            ..Report::default()
        };
        if !self.is_known() {
            return r; // FMT-4: nothing more checked, the Rsvd nibble included
        }
        if self.reserved() != 0 {
            r.warn(Diagnostic::warning(
                "mvtp.rsvd",
                field::VER_RSVD,
                "FMT-3",
                format!("Rsvd {:#x}, not 0", self.reserved()),
            ));
        }
        // 6. Fixed fields.
        match self.fixed() {
            Fixed::Faa | Fixed::Fas if self.leid() != 0 => r.error(
                DecodeError::new(
                    Kind::BadValue,
                    "mvtp.leid",
                    field::LEID.start,
                    format!("Local Endpoint ID {}, not 0", self.leid()),
                )
                .clause("FMT-6"),
            ),
            Fixed::Data(d) if d.reserved != 0 => r.warn(reserved_warning(field::data::RESERVED.start, d.reserved)),
            Fixed::Rrq(g) | Fixed::Rrp(g) => {
                if self.pdu_type() == PduType::RRQ && g.code != 0 {
                    r.error(
                        DecodeError::new(
                            Kind::BadValue,
                            "mvtp.code",
                            field::reg::CODE,
                            format!("code {} in an MV-RRQ", g.code),
                        )
                        .clause("FMT-10"),
                    );
                }
                if g.flags & FLAGS_RESERVED != 0 {
                    r.warn(Diagnostic::warning(
                        "mvtp.flags",
                        field::reg::FLAGS,
                        "FMT-3",
                        format!("reserved Status bits {:#04x}", g.flags & FLAGS_RESERVED),
                    ));
                }
                if g.reserved != 0 {
                    r.warn(reserved_warning(field::reg::RESERVED.start, g.reserved));
                }
            }
            Fixed::Dn(d) => {
                if d.flags != 0 {
                    r.warn(Diagnostic::warning(
                        "mvtp.flags",
                        field::dn::FLAGS,
                        "FMT-3",
                        format!("Flags {:#04x}, not 0", d.flags),
                    ));
                }
                if d.reserved != 0 {
                    r.warn(reserved_warning(field::dn::RESERVED.start, u32::from(d.reserved)));
                }
            }
            _ => {}
        }
        // 7. AVPs in order.
        let mut coa_count: Option<usize> = None;
        for item in self.avps() {
            let a = match item {
                Ok(a) => a,
                Err(e) => {
                    r.fail(e);
                    return r;
                }
            };
            let at = a.offset;
            if a.reserved() != 0 {
                r.warn(Diagnostic::warning(
                    "mvtp.avp.reserved",
                    at,
                    "AVP-2",
                    format!("rsvd bits {:#x}", a.reserved()),
                ));
            }
            let recognised = a.is_recognised();
            if recognised && a.attr_type.sender_mandatory() != Some(a.mandatory()) {
                r.warn(Diagnostic::warning(
                    "mvtp.avp.mandatory",
                    at,
                    "AVP-9",
                    format!("M = {} on AVP type {}", u8::from(a.mandatory()), a.attr_type.0),
                ));
            }
            if a.hidden() {
                r.error(DecodeError::new(Kind::BadValue, "mvtp.avp.hidden", at, "H = 1: MVTP defines no hiding").clause("AVP-3"));
                continue;
            }
            if !recognised {
                if a.mandatory() {
                    r.error(
                        DecodeError::new(
                            Kind::Unsupported,
                            "mvtp.avp.type",
                            at,
                            format!("unrecognised mandatory AVP vendor {} type {}", a.vendor_id, a.attr_type.0),
                        )
                        .clause("AVP-4"),
                    );
                }
                continue;
            }
            let v = match a.decode() {
                Ok(v) => v,
                Err(e) => {
                    r.fail(e);
                    return r;
                }
            };
            match v {
                ValueView::Gid(g) => match gid::check(g.class.0, g.address) {
                    Ok(Known::Undefined) => r.warn(Diagnostic::warning(
                        "mvtp.gid.class",
                        at,
                        "AVP-5",
                        format!("class {} is not defined by RFC 1990; address kept opaque", g.class.0),
                    )),
                    Err(e @ gid::GidError::NonDigit { .. }) => {
                        r.error(DecodeError::new(Kind::BadValue, "mvtp.gid.address", at, e.to_string()).clause("AVP-5"))
                    }
                    _ => {}
                },
                ValueView::AgentAdv(ad) => {
                    if ad.reserved_set() {
                        r.warn(Diagnostic::warning(
                            "mvtp.agent.flags",
                            at + avp::field::AGENT_FLAGS,
                            "FMT-3",
                            format!("reserved flag bits {:#06x}", ad.flags() & agent_flags::RESERVED),
                        ));
                    }
                    if self.pdu_type() == PduType::FAA && (ad.flags() & agent_flags::F == 0 || ad.coa_count() == 0) {
                        r.error(
                            DecodeError::new(
                                Kind::BadValue,
                                "mvtp.agent.flags",
                                at,
                                format!(
                                    "MV-FAA advertisement with F = {} and {} care-of addresses",
                                    u8::from(ad.flags() & agent_flags::F != 0),
                                    ad.coa_count()
                                ),
                            )
                            .clause("AVP-7"),
                        );
                    }
                    coa_count.get_or_insert(ad.coa_count());
                }
                ValueView::PrefixLengths(p) => {
                    if let Some(bad) = p.iter().find(|&&l| l > avp::MAX_PREFIX_LEN) {
                        r.error(
                            DecodeError::new(Kind::BadValue, "mvtp.prefix_lengths", at, format!("prefix length {bad} > 32"))
                                .clause("AVP-8"),
                        );
                    }
                }
                ValueView::Message(m) => {
                    if core::str::from_utf8(m).is_err() {
                        r.warn(Diagnostic::warning(
                            "mvtp.msg",
                            at,
                            "AVP-11",
                            "Message String is not valid UTF-8",
                        ));
                    }
                }
                ValueView::Auth {
                    role,
                    spi,
                    authenticator,
                } => {
                    if let Some(keys) = keys {
                        if let Some(valid) = auth::verify_at(self.pdu, at, spi, authenticator, keys) {
                            r.auth.push(AuthCheck {
                                role,
                                offset: at,
                                spi,
                                valid,
                            });
                        }
                    }
                }
                ValueView::Other(_) => {}
            }
        }
        // After the walk: the Prefix Lengths count of AVP-8.
        if let Some(k) = coa_count {
            let bad = self
                .avps()
                .flatten()
                .find(|a| a.vendor_id == 0 && a.attr_type == AvpType::PREFIX_LENGTHS && !a.hidden() && a.value.len() != k);
            if let Some(a) = bad {
                r.error(
                    DecodeError::new(
                        Kind::BadLength,
                        "mvtp.prefix_lengths",
                        a.offset,
                        format!("{} prefix lengths for {k} care-of addresses", a.value.len()),
                    )
                    .clause("AVP-8"),
                );
            }
        }
        // 8. Authenticators.
        if let Some(c) = r.auth.iter().find(|c| !c.valid) {
            let (offset, spi) = (c.offset, c.spi);
            r.error(
                DecodeError::new(
                    Kind::AuthFailed,
                    auth_field(c.role),
                    offset + avp::field::AUTHENTICATOR,
                    format!("authenticator of SPI {spi} does not verify"),
                )
                .clause("AUTH-5"),
            );
        }
        r
    }
}

/// `mvtp.auth.{mh,mf,fh}.authenticator` for a role.
pub const fn auth_field(role: AuthRole) -> &'static str {
    match role {
        AuthRole::MobileHome => "mvtp.auth.mh.authenticator",
        AuthRole::MobileForeign => "mvtp.auth.mf.authenticator",
        AuthRole::ForeignHome => "mvtp.auth.fh.authenticator",
    }
}

fn reserved_warning(at: usize, v: u32) -> Diagnostic {
    Diagnostic::warning("mvtp.reserved", at, "FMT-3", format!("Reserved {v:#x}, not 0"))
}

/// One verified authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCheck {
    /// Which authentication AVP.
    pub role: AuthRole,
    /// Offset of the AVP from the PDU's first octet.
    pub offset: usize,
    /// SPI.
    pub spi: u32,
    /// True when the authenticator verifies [AUTH-1, AUTH-2].
    pub valid: bool,
}

/// What [`PduView::check`] found: the format warnings in offset order, the first error of
/// spec §2.1 and the authenticators it verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// FMT-3, AVP-2, AVP-5, AVP-9, AVP-11 warnings, in offset order.
    pub warnings: Vec<Diagnostic>,
    /// The first error in the order of spec §2.1, if any.
    pub error: Option<DecodeError>,
    /// False when a structural error ended the AVP walk: the PDU cannot be represented.
    pub complete: bool,
    /// Authenticators verified (key known, keys given), in AVP order.
    pub auth: Vec<AuthCheck>,
}

impl Report {
    fn warn(&mut self, d: Diagnostic) {
        self.warnings.push(d);
    }

    fn error(&mut self, e: DecodeError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn fail(&mut self, e: DecodeError) {
        self.error(e);
        self.complete = false;
    }

    /// The validity of the authenticator of the AVP at `offset`, if verified.
    pub fn auth_valid(&self, offset: usize) -> Option<bool> {
        self.auth.iter().find(|c| c.offset == offset).map(|c| c.valid)
    }

    /// Warnings and the error as diagnostics, in offset order (the error after warnings at
    /// the same offset); offsets from the PDU's first octet.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = self.warnings.clone();
        if let Some(e) = &self.error {
            let d = e.to_diagnostic();
            let at = out.iter().position(|w| w.offset > d.offset).unwrap_or(out.len());
            out.insert(at, d);
        }
        out
    }
}

/// Decodes and checks one PDU (spec §2.1 steps 1–8): the view and its report, or the
/// structural error of steps 1–5.
pub fn decode<'a>(frame: &'a [u8], keys: Option<&KeyStore>) -> Result<(PduView<'a>, Report), DecodeError> {
    let v = PduView::new(frame)?;
    let r = v.check(keys);
    Ok((v, r))
}

impl fmt::Display for PduView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.pdu_type();
        match t.name() {
            Some(n) => write!(f, "{n} leid={}", self.leid())?,
            None => write!(f, "MVTP type {} len={}", t.0, self.pdu_length())?,
        }
        match self.fixed() {
            Fixed::Rrq(g) | Fixed::Rrp(g) => write!(
                f,
                " {}{}code={} life={} encap={} cid={} home={}",
                if g.reset() { "R " } else { "" },
                if g.roam_notify() { "N " } else { "" },
                g.code,
                g.lifetime,
                g.encap.0,
                g.connect_id,
                g.home_addr
            ),
            Fixed::Dn(d) => write!(f, " code={} cid={}", d.code, d.connect_id),
            Fixed::Data(d) => write!(f, " encap={} payload={}", d.encap.0, self.payload().len()),
            _ => Ok(()),
        }
    }
}

/// Display-filter fields this module produces (STYLE §11, spec §10).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("mvtp", FieldType::Protocol, "Mobile VPN Tunnelling Protocol v1"),
    FieldDef::new("mvtp.version", FieldType::Uint, "Version (1)"),
    FieldDef::new("mvtp.rsvd", FieldType::Uint, "Reserved nibble of the common header"),
    FieldDef::new("mvtp.type", FieldType::Uint, "PDU Type"),
    FieldDef::new("mvtp.length", FieldType::Uint, "PDU Length"),
    FieldDef::new("mvtp.leid", FieldType::Uint, "Local Endpoint ID"),
    FieldDef::new("mvtp.avp_length", FieldType::Uint, "AVP Length"),
    FieldDef::new(
        "mvtp.flags",
        FieldType::Uint,
        "Status flags octet (MV-RRQ/MV-RRP) or Flags (MV-DN)",
    ),
    FieldDef::new("mvtp.flags.reset", FieldType::Bool, "R, Reset"),
    FieldDef::new("mvtp.flags.roam_notify", FieldType::Bool, "N, Roam Notify"),
    FieldDef::new("mvtp.flags.reserved", FieldType::Uint, "Reserved Status bits"),
    FieldDef::new("mvtp.code", FieldType::Uint, "Code"),
    FieldDef::new("mvtp.lifetime", FieldType::Uint, "Registration Lifetime (s)"),
    FieldDef::new("mvtp.encap", FieldType::Uint, "Encap Type"),
    FieldDef::new("mvtp.reserved", FieldType::Uint, "Reserved field of the fixed fields"),
    FieldDef::new("mvtp.connect_id", FieldType::Uint, "Connect ID"),
    FieldDef::new("mvtp.home_addr", FieldType::Ipv4, "Home IP Address"),
    FieldDef::new("mvtp.ident", FieldType::Bytes, "Identification (64 bits)"),
    FieldDef::new("mvtp.payload_length", FieldType::Uint, "MV-DATA payload length"),
    FieldDef::new("mvtp.opaque", FieldType::Bytes, "Octets of a PDU of unknown type"),
    FieldDef::new("mvtp.avp", FieldType::None, "One AVP"),
    FieldDef::new("mvtp.avp.mandatory", FieldType::Bool, "AVP M bit"),
    FieldDef::new("mvtp.avp.hidden", FieldType::Bool, "AVP H bit"),
    FieldDef::new("mvtp.avp.reserved", FieldType::Uint, "AVP reserved bits"),
    FieldDef::new("mvtp.avp.length", FieldType::Uint, "AVP Length"),
    FieldDef::new("mvtp.avp.vendor_id", FieldType::Uint, "AVP Vendor ID"),
    FieldDef::new("mvtp.avp.type", FieldType::Uint, "AVP Attribute Type"),
    FieldDef::new("mvtp.avp.value", FieldType::Bytes, "Value of an unrecognised or hidden AVP"),
    FieldDef::new("mvtp.gid.class", FieldType::Uint, "Global Endpoint ID class"),
    FieldDef::new("mvtp.gid.address", FieldType::Any, "Global Endpoint ID address"),
    FieldDef::new(
        "mvtp.agent.seq",
        FieldType::Uint,
        "VPN Mobility Agent Advertisement sequence number",
    ),
    FieldDef::new(
        "mvtp.agent.lifetime",
        FieldType::Uint,
        "VPN Mobility Agent Advertisement registration lifetime",
    ),
    FieldDef::new(
        "mvtp.agent.flags",
        FieldType::Uint,
        "VPN Mobility Agent Advertisement flags (16 bits)",
    ),
    FieldDef::new("mvtp.agent.coa", FieldType::Ipv4, "Advertised care-of address"),
    FieldDef::new("mvtp.prefix_lengths", FieldType::Uint, "Prefix length of a care-of address"),
    FieldDef::new("mvtp.auth.mh.spi", FieldType::Uint, "Mobile-Home Authentication SPI"),
    FieldDef::new("mvtp.auth.mh.authenticator", FieldType::Bytes, "Mobile-Home authenticator"),
    FieldDef::new("mvtp.auth.mh.valid", FieldType::Bool, "Mobile-Home authenticator verifies"),
    FieldDef::new("mvtp.auth.mf.spi", FieldType::Uint, "Mobile-Foreign Authentication SPI"),
    FieldDef::new("mvtp.auth.mf.authenticator", FieldType::Bytes, "Mobile-Foreign authenticator"),
    FieldDef::new("mvtp.auth.mf.valid", FieldType::Bool, "Mobile-Foreign authenticator verifies"),
    FieldDef::new("mvtp.auth.fh.spi", FieldType::Uint, "Foreign-Home Authentication SPI"),
    FieldDef::new("mvtp.auth.fh.authenticator", FieldType::Bytes, "Foreign-Home authenticator"),
    FieldDef::new("mvtp.auth.fh.valid", FieldType::Bool, "Foreign-Home authenticator verifies"),
    FieldDef::new("mvtp.msg", FieldType::Text, "Message String"),
    FieldDef::new(
        "mvtp.esp.leid",
        FieldType::Uint,
        "Local Endpoint ID in the ESP SPI (SPI >> 16, SEC-1)",
    ),
];

#[cfg(test)]
mod tests;
