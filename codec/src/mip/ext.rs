//! Mobile IPv4 extensions (RFC 5944 §1.9, §1.11) and the ones later RFCs define:
//! Generalized Authentication (RFC 3012), NAI (RFC 2794), CVSE/NVSE (RFC 3115), UDP Tunnel
//! Request/Reply (RFC 3519 §3.1–§3.2), Revocation Support (RFC 3543 §3.2), Message String
//! (RFC 4917), Trusted Networks Configured (RFC 5265 §3.4, spec MIP-1).
//!
//! Three header shapes share one list:
//!
//! ```text
//! short (default):   | Type | Length |  Data ...            Length = data octets (8 bits)
//! long (36, 38, 47): | Type | Sub-Type/Rsvd | Length (16) | Data ...
//! ```
//!
//! Types 0–127 are non-skippable, 128–255 skippable (RFC 5944 §1.9): a receiver that does
//! not recognise a non-skippable extension discards the whole message. This decoder keeps
//! every extension, recognised or not, octet for octet.

use crate::bytes::{be_u16, be_u32};
use crate::emit::{to_u16, to_u8};
use crate::error::{DecodeError, Diagnostic, EncodeError, Kind};

/// A Mobile IPv4 extension type (IANA "Mobile IPv4 Numbers", extensions).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExtType(pub u8);

impl ExtType {
    /// Mobile-Home Authentication (RFC 5944 §3.5.2).
    pub const MN_HA_AUTH: Self = Self(32);
    /// Mobile-Foreign Authentication (RFC 5944 §3.5.3).
    pub const MN_FA_AUTH: Self = Self(33);
    /// Foreign-Home Authentication (RFC 5944 §3.5.4).
    pub const FA_HA_AUTH: Self = Self(34);
    /// Generalized Mobile IP Authentication (RFC 3012 §5), long format.
    pub const GEN_AUTH: Self = Self(36);
    /// Critical Vendor/Organization Specific Extension (RFC 3115 §2), long format.
    pub const CVSE: Self = Self(38);
    /// UDP Tunnel Reply (RFC 3519 §3.2), short format.
    pub const UDP_TUNNEL_REPLY: Self = Self(44);
    /// Proxy Mobile IPv4 non-skippable extension (RFC 5563), long format.
    pub const PMIPV4_NON_SKIP: Self = Self(47);
    /// Mobile Node NAI (RFC 2794 §2).
    pub const NAI: Self = Self(131);
    /// MN-FA Challenge (RFC 3012 §3.1).
    pub const MN_FA_CHALLENGE: Self = Self(132);
    /// Normal Vendor/Organization Specific Extension (RFC 3115 §3).
    pub const NVSE: Self = Self(134);
    /// Revocation Support (RFC 3543 §3.2).
    pub const REVOCATION_SUPPORT: Self = Self(137);
    /// UDP Tunnel Request (RFC 3519 §3.1), short format.
    pub const UDP_TUNNEL_REQUEST: Self = Self(144);
    /// Message String (RFC 4917 §3), short format.
    pub const MESSAGE_STRING: Self = Self(145);
    /// Trusted Networks Configured (RFC 5265 §3.4, spec MIP-1), short format.
    pub const TNC: Self = Self(149);
    /// Skippable experimental extension (RFC 4064).
    pub const SKIP_EXPERIMENTAL: Self = Self(255);

    /// First skippable type (RFC 5944 §1.9).
    pub const FIRST_SKIPPABLE: u8 = 128;

    /// True for types 128–255: a receiver that does not know them skips them.
    pub const fn is_skippable(self) -> bool {
        self.0 >= Self::FIRST_SKIPPABLE
    }

    /// The header shape of this type.
    pub const fn format(self) -> Format {
        match self {
            Self::GEN_AUTH | Self::CVSE | Self::PMIPV4_NON_SKIP => Format::Long,
            _ => Format::Short,
        }
    }

    /// True when this decoder interprets the type's data.
    pub const fn is_known(self) -> bool {
        matches!(
            self,
            Self::MN_HA_AUTH
                | Self::MN_FA_AUTH
                | Self::FA_HA_AUTH
                | Self::GEN_AUTH
                | Self::CVSE
                | Self::UDP_TUNNEL_REPLY
                | Self::NAI
                | Self::MN_FA_CHALLENGE
                | Self::NVSE
                | Self::REVOCATION_SUPPORT
                | Self::UDP_TUNNEL_REQUEST
                | Self::MESSAGE_STRING
                | Self::TNC
                | Self::PMIPV4_NON_SKIP
        )
    }

    /// True for the SPI-keyed authentication extensions 32, 33 and 34 (RFC 5944 §3.5).
    pub const fn is_keyed_auth(self) -> bool {
        matches!(self, Self::MN_HA_AUTH | Self::MN_FA_AUTH | Self::FA_HA_AUTH)
    }

    /// A name for summaries.
    pub const fn label(self) -> &'static str {
        match self {
            Self::MN_HA_AUTH => "MN-HA Auth",
            Self::MN_FA_AUTH => "MN-FA Auth",
            Self::FA_HA_AUTH => "FA-HA Auth",
            Self::GEN_AUTH => "Generalized Auth",
            Self::CVSE => "CVSE",
            Self::UDP_TUNNEL_REPLY => "UDP Tunnel Reply",
            Self::PMIPV4_NON_SKIP => "PMIPv4 Non-skippable",
            Self::NAI => "NAI",
            Self::MN_FA_CHALLENGE => "MN-FA Challenge",
            Self::NVSE => "NVSE",
            Self::REVOCATION_SUPPORT => "Revocation Support",
            Self::UDP_TUNNEL_REQUEST => "UDP Tunnel Request",
            Self::MESSAGE_STRING => "Message String",
            Self::TNC => "TNC",
            _ => "Unknown",
        }
    }
}

/// Extension header shapes (RFC 5944 §1.11).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// Type (1), Length (1) = data octets.
    Short,
    /// Type (1), Sub-Type or Reserved (1), Length (2) = data octets.
    Long,
}

impl Format {
    /// Octets of the header.
    pub const fn header_len(self) -> usize {
        match self {
            Format::Short => 2,
            Format::Long => 4,
        }
    }
}

/// Layouts of the interpreted extension data (offsets within the data, after the header).
pub mod field {
    use core::ops::Range;
    /// Authentication: SPI (RFC 5944 §3.5.1); the authenticator follows.
    pub const SPI: Range<usize> = 0..4;
    /// UDP Tunnel Request: Sub-Type (RFC 3519 §3.1).
    pub const UTRQ_SUBTYPE: usize = 0;
    /// UDP Tunnel Request: Reserved 1.
    pub const UTRQ_RESERVED1: usize = 1;
    /// UDP Tunnel Request: F, R and Reserved 2.
    pub const UTRQ_FLAGS: usize = 2;
    /// UDP Tunnel Request: Encapsulation.
    pub const UTRQ_ENCAP: usize = 3;
    /// UDP Tunnel Request: Reserved 3.
    pub const UTRQ_RESERVED3: Range<usize> = 4..6;
    /// UDP Tunnel Reply: Sub-Type (RFC 3519 §3.2).
    pub const UTRP_SUBTYPE: usize = 0;
    /// UDP Tunnel Reply: Reply Code.
    pub const UTRP_CODE: usize = 1;
    /// UDP Tunnel Reply: F and Reserved.
    pub const UTRP_FLAGS: Range<usize> = 2..4;
    /// UDP Tunnel Reply: Keepalive Interval.
    pub const UTRP_KEEPALIVE: Range<usize> = 4..6;
    /// Revocation Support: I and Reserved (RFC 3543 §3.2).
    pub const REV_FLAGS: Range<usize> = 0..2;
    /// Revocation Support: Timestamp.
    pub const REV_TIMESTAMP: Range<usize> = 2..6;
    /// Message String / TNC: Sub-Type.
    pub const SUBTYPE: usize = 0;
    /// TNC: Reserved (RFC 5265 §3.4).
    pub const TNC_RESERVED: usize = 1;
    /// CVSE (after the long header): Vendor/Org-ID (RFC 3115 §2).
    pub const CVSE_VENDOR: Range<usize> = 0..4;
    /// CVSE: Vendor-CVSE-Type.
    pub const CVSE_TYPE: Range<usize> = 4..6;
    /// NVSE: Reserved (RFC 3115 §3).
    pub const NVSE_RESERVED: Range<usize> = 0..2;
    /// NVSE: Vendor/Org-ID.
    pub const NVSE_VENDOR: Range<usize> = 2..6;
    /// NVSE: Vendor-NVSE-Type.
    pub const NVSE_TYPE: Range<usize> = 6..8;
}

/// Data length of a UDP Tunnel Request/Reply and of Revocation Support.
pub const FIXED6_LEN: usize = 6;
/// Data length of the TNC extension (RFC 5265 §3.4: Length 2).
pub const TNC_LEN: usize = 2;
/// UDP Tunnel Request flag F: forced (RFC 3519 §3.1).
pub const UTRQ_F: u8 = 0x80;
/// UDP Tunnel Request flag R: FA registration required.
pub const UTRQ_R: u8 = 0x40;
/// UDP Tunnel Reply flag F: forced (RFC 3519 §3.2).
pub const UTRP_F: u16 = 0x8000;
/// Revocation Support flag I (RFC 3543 §3.2).
pub const REV_I: u16 = 0x8000;

/// One extension as it sits in a message: zero-copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtView<'a> {
    /// Offset of the Type octet from the first octet of the message.
    pub offset: usize,
    /// The type.
    pub ext_type: ExtType,
    /// The Sub-Type / Reserved octet of the long format; `None` in the short format.
    pub lead: Option<u8>,
    /// The data after the header.
    pub data: &'a [u8],
}

impl<'a> ExtView<'a> {
    /// Octets of the header.
    pub fn header_len(&self) -> usize {
        self.ext_type.format().header_len()
    }

    /// Offset of the data from the first octet of the message.
    pub fn data_offset(&self) -> usize {
        self.offset + self.header_len()
    }

    /// Offset of the Length field from the first octet of the message.
    pub fn length_offset(&self) -> usize {
        match self.ext_type.format() {
            Format::Short => self.offset + 1,
            Format::Long => self.offset + 2,
        }
    }

    /// Offset just after this extension.
    pub fn end(&self) -> usize {
        self.data_offset() + self.data.len()
    }

    /// For 32/33/34 (and 36): the SPI and authenticator, when the data holds an SPI.
    pub fn spi_auth(&self) -> Option<(u32, &'a [u8])> {
        if !(self.ext_type.is_keyed_auth() || self.ext_type == ExtType::GEN_AUTH) {
            return None;
        }
        let spi = be_u32(self.data, field::SPI.start)?;
        Some((spi, self.data.get(field::SPI.end..)?))
    }
}

/// Walks the extensions of `msg` from `start` to its end; stops for good after an error.
#[derive(Debug, Clone)]
pub struct ExtIter<'a> {
    msg: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> ExtIter<'a> {
    /// Extensions of `msg` starting at offset `start`.
    pub fn new(msg: &'a [u8], start: usize) -> Self {
        Self { msg, pos: start, done: false }
    }
}

impl<'a> Iterator for ExtIter<'a> {
    type Item = Result<ExtView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.msg.len() {
            return None;
        }
        let r = parse_one(self.msg, self.pos);
        match &r {
            Ok(v) => self.pos = v.end(),
            Err(_) => self.done = true,
        }
        Some(r)
    }
}

/// Reads one extension header at `at` and bounds its data by its Length [RFC 5944 §1.9].
fn parse_one(msg: &[u8], at: usize) -> Result<ExtView<'_>, DecodeError> {
    let t = ExtType(*msg.get(at).ok_or_else(|| DecodeError::truncated("mip.ext.type", at, 1, 0))?);
    let rest = msg.len().saturating_sub(at);
    let (lead, len, hdr) = match t.format() {
        Format::Short => {
            let len = *msg.get(at + 1).ok_or_else(|| DecodeError::truncated("mip.ext.len", at, 2, rest).clause("RFC5944-1.9"))?;
            (None, usize::from(len), 2)
        }
        Format::Long => {
            let lead = msg.get(at + 1).copied();
            let len = be_u16(msg, at + 2);
            match (lead, len) {
                (Some(l), Some(n)) => (Some(l), usize::from(n), 4),
                _ => return Err(DecodeError::truncated("mip.ext.len", at, 4, rest).clause("RFC5944-1.11")),
            }
        }
    };
    let data_at = at + hdr;
    let len_at = if hdr == 2 { at + 1 } else { at + 2 };
    let data = msg.get(data_at..data_at + len).ok_or_else(|| {
        DecodeError::truncated("mip.ext.len", len_at, len, msg.len().saturating_sub(data_at)).clause("RFC5944-1.9")
    })?;
    Ok(ExtView { offset: at, ext_type: t, lead, data })
}

/// The interpreted content of an extension. Every variant re-encodes octet for octet; data
/// that does not fit a known layout is kept as [`ExtBody::Opaque`] (with a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ExtBody {
    /// 32, 33, 34: SPI and authenticator (RFC 5944 §3.5.1).
    Auth {
        /// Security Parameter Index.
        spi: u32,
        /// The authenticator (16 octets for HMAC-MD5).
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        authenticator: Vec<u8>,
    },
    /// 36: Generalized Authentication (RFC 3012 §5), long format.
    GenAuth {
        /// Sub-Type (1 MN-AAA).
        subtype: u8,
        /// SPI.
        spi: u32,
        /// Authenticator.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        authenticator: Vec<u8>,
    },
    /// 131: the mobile node's NAI (RFC 2794), as octets (normally UTF-8).
    Nai(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// 144: UDP Tunnel Request (RFC 3519 §3.1).
    UdpTunnelRequest {
        /// Sub-Type (0).
        subtype: u8,
        /// Reserved 1, kept as read.
        reserved1: u8,
        /// F (0x80), R (0x40) and Reserved 2 (6 bits).
        flags: u8,
        /// Encapsulation: the next header of tunnelled packets (4 IP-in-IP, 47 GRE, 55 minimal).
        encapsulation: u8,
        /// Reserved 3, kept as read.
        reserved3: u16,
    },
    /// 44: UDP Tunnel Reply (RFC 3519 §3.2).
    UdpTunnelReply {
        /// Sub-Type (0).
        subtype: u8,
        /// Reply Code (0 will tunnel, 64 declined).
        code: u8,
        /// F (0x8000) and Reserved (15 bits).
        flags: u16,
        /// Keepalive Interval, seconds.
        keepalive: u16,
    },
    /// 137: Revocation Support (RFC 3543 §3.2).
    RevocationSupport {
        /// I (0x8000) and Reserved (15 bits).
        flags: u16,
        /// Timestamp.
        timestamp: u32,
    },
    /// 145: Message String (RFC 4917): sub-type and text.
    MessageString {
        /// Sub-Type (1 from the HA, 2 from the FA).
        subtype: u8,
        /// The text (UTF-8 intended), kept as octets.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        text: Vec<u8>,
    },
    /// 149: Trusted Networks Configured (RFC 5265 §3.4, spec MIP-1): Length 2.
    Tnc {
        /// Sub-Type (0).
        subtype: u8,
        /// Reserved (0), kept as read.
        reserved: u8,
    },
    /// 38: Critical Vendor/Organization Specific Extension (RFC 3115 §2), long format.
    Cvse {
        /// The Reserved octet between Type and Length.
        reserved: u8,
        /// Vendor/Org-ID (SMI enterprise number).
        vendor_id: u32,
        /// Vendor-CVSE-Type.
        vendor_type: u16,
        /// Vendor-CVSE-Value.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        value: Vec<u8>,
    },
    /// 134: Normal Vendor/Organization Specific Extension (RFC 3115 §3).
    Nvse {
        /// Reserved (16 bits).
        reserved: u16,
        /// Vendor/Org-ID.
        vendor_id: u32,
        /// Vendor-NVSE-Type.
        vendor_type: u16,
        /// Vendor-NVSE-Value.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        value: Vec<u8>,
    },
    /// Anything else, or a known type whose data does not fit its layout: kept as read.
    Opaque {
        /// The Sub-Type/Reserved octet of a long-format type; `None` for the short format.
        lead: Option<u8>,
        /// The data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
}

/// [`ExtBody`] borrowed from the message: the dissector's allocation-free view of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // the fields mirror ExtBody's, documented there
pub enum ExtBodyRef<'a> {
    Auth { spi: u32, authenticator: &'a [u8] },
    GenAuth { subtype: u8, spi: u32, authenticator: &'a [u8] },
    Nai(&'a [u8]),
    UdpTunnelRequest { subtype: u8, reserved1: u8, flags: u8, encapsulation: u8, reserved3: u16 },
    UdpTunnelReply { subtype: u8, code: u8, flags: u16, keepalive: u16 },
    RevocationSupport { flags: u16, timestamp: u32 },
    MessageString { subtype: u8, text: &'a [u8] },
    Tnc { subtype: u8, reserved: u8 },
    Cvse { reserved: u8, vendor_id: u32, vendor_type: u16, value: &'a [u8] },
    Nvse { reserved: u16, vendor_id: u32, vendor_type: u16, value: &'a [u8] },
    Opaque { lead: Option<u8>, data: &'a [u8] },
}

impl ExtBodyRef<'_> {
    /// The owned form.
    pub fn to_owned(&self) -> ExtBody {
        match *self {
            ExtBodyRef::Auth { spi, authenticator } => ExtBody::Auth { spi, authenticator: authenticator.to_vec() },
            ExtBodyRef::GenAuth { subtype, spi, authenticator } => {
                ExtBody::GenAuth { subtype, spi, authenticator: authenticator.to_vec() }
            }
            ExtBodyRef::Nai(n) => ExtBody::Nai(n.to_vec()),
            ExtBodyRef::UdpTunnelRequest { subtype, reserved1, flags, encapsulation, reserved3 } => {
                ExtBody::UdpTunnelRequest { subtype, reserved1, flags, encapsulation, reserved3 }
            }
            ExtBodyRef::UdpTunnelReply { subtype, code, flags, keepalive } => {
                ExtBody::UdpTunnelReply { subtype, code, flags, keepalive }
            }
            ExtBodyRef::RevocationSupport { flags, timestamp } => ExtBody::RevocationSupport { flags, timestamp },
            ExtBodyRef::MessageString { subtype, text } => ExtBody::MessageString { subtype, text: text.to_vec() },
            ExtBodyRef::Tnc { subtype, reserved } => ExtBody::Tnc { subtype, reserved },
            ExtBodyRef::Cvse { reserved, vendor_id, vendor_type, value } => {
                ExtBody::Cvse { reserved, vendor_id, vendor_type, value: value.to_vec() }
            }
            ExtBodyRef::Nvse { reserved, vendor_id, vendor_type, value } => {
                ExtBody::Nvse { reserved, vendor_id, vendor_type, value: value.to_vec() }
            }
            ExtBodyRef::Opaque { lead, data } => ExtBody::Opaque { lead, data: data.to_vec() },
        }
    }
}

/// One owned extension.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Extension {
    /// The type; it also fixes the header shape.
    pub ext_type: ExtType,
    /// The content.
    pub body: ExtBody,
}

fn bad_len(v: &ExtView<'_>, want: &str, clause: &'static str) -> Diagnostic {
    Diagnostic::error(
        Kind::BadLength,
        "mip.ext.len",
        v.length_offset(),
        clause,
        format!("extension {} needs {want} data octets, has {}", v.ext_type.0, v.data.len()),
    )
}

impl<'a> ExtView<'a> {
    /// Interprets the data without copying; a layout that does not fit is kept opaque with a
    /// diagnostic.
    pub fn interpret(&self) -> (ExtBodyRef<'a>, Option<Diagnostic>) {
        let d = self.data;
        let t = self.ext_type;
        let opaque = || ExtBodyRef::Opaque { lead: self.lead, data: d };
        let (body, diag) = match t {
            ExtType::MN_HA_AUTH | ExtType::MN_FA_AUTH | ExtType::FA_HA_AUTH => match self.spi_auth() {
                Some((spi, a)) => (ExtBodyRef::Auth { spi, authenticator: a }, None),
                None => (opaque(), Some(bad_len(self, "at least 4", "RFC5944-3.5.1"))),
            },
            ExtType::GEN_AUTH => match (self.lead, self.spi_auth()) {
                (Some(subtype), Some((spi, a))) => (ExtBodyRef::GenAuth { subtype, spi, authenticator: a }, None),
                _ => (opaque(), Some(bad_len(self, "at least 4", "RFC3012-5"))),
            },
            ExtType::NAI => (ExtBodyRef::Nai(d), None),
            ExtType::UDP_TUNNEL_REQUEST => match fixed6(d) {
                Some(_) => (
                    ExtBodyRef::UdpTunnelRequest {
                        subtype: byte(d, field::UTRQ_SUBTYPE),
                        reserved1: byte(d, field::UTRQ_RESERVED1),
                        flags: byte(d, field::UTRQ_FLAGS),
                        encapsulation: byte(d, field::UTRQ_ENCAP),
                        reserved3: be_u16(d, field::UTRQ_RESERVED3.start).unwrap_or(0),
                    },
                    None,
                ),
                None => (opaque(), Some(bad_len(self, "6", "RFC3519-3.1"))),
            },
            ExtType::UDP_TUNNEL_REPLY => match fixed6(d) {
                Some(_) => (
                    ExtBodyRef::UdpTunnelReply {
                        subtype: byte(d, field::UTRP_SUBTYPE),
                        code: byte(d, field::UTRP_CODE),
                        flags: be_u16(d, field::UTRP_FLAGS.start).unwrap_or(0),
                        keepalive: be_u16(d, field::UTRP_KEEPALIVE.start).unwrap_or(0),
                    },
                    None,
                ),
                None => (opaque(), Some(bad_len(self, "6", "RFC3519-3.2"))),
            },
            ExtType::REVOCATION_SUPPORT => match fixed6(d) {
                Some(_) => (
                    ExtBodyRef::RevocationSupport {
                        flags: be_u16(d, field::REV_FLAGS.start).unwrap_or(0),
                        timestamp: be_u32(d, field::REV_TIMESTAMP.start).unwrap_or(0),
                    },
                    None,
                ),
                None => (opaque(), Some(bad_len(self, "6", "RFC3543-3.2"))),
            },
            ExtType::MESSAGE_STRING => match d.split_first() {
                Some((s, text)) => (ExtBodyRef::MessageString { subtype: *s, text }, None),
                None => (opaque(), Some(bad_len(self, "at least 1", "RFC4917-3"))),
            },
            ExtType::TNC => {
                if d.len() == TNC_LEN {
                    (ExtBodyRef::Tnc { subtype: byte(d, field::SUBTYPE), reserved: byte(d, field::TNC_RESERVED) }, None)
                } else {
                    (opaque(), Some(bad_len(self, "2", "MIP-1")))
                }
            }
            ExtType::CVSE => match (self.lead, be_u32(d, field::CVSE_VENDOR.start), be_u16(d, field::CVSE_TYPE.start)) {
                (Some(reserved), Some(vendor_id), Some(vendor_type)) => (
                    ExtBodyRef::Cvse {
                        reserved,
                        vendor_id,
                        vendor_type,
                        value: d.get(field::CVSE_TYPE.end..).unwrap_or_default(),
                    },
                    None,
                ),
                _ => (opaque(), Some(bad_len(self, "at least 6", "RFC3115-2"))),
            },
            ExtType::NVSE => match (be_u16(d, 0), be_u32(d, field::NVSE_VENDOR.start), be_u16(d, field::NVSE_TYPE.start)) {
                (Some(reserved), Some(vendor_id), Some(vendor_type)) => (
                    ExtBodyRef::Nvse {
                        reserved,
                        vendor_id,
                        vendor_type,
                        value: d.get(field::NVSE_TYPE.end..).unwrap_or_default(),
                    },
                    None,
                ),
                _ => (opaque(), Some(bad_len(self, "at least 8", "RFC3115-3"))),
            },
            _ if !t.is_skippable() && !t.is_known() => (
                opaque(),
                Some(Diagnostic::error(
                    Kind::Unsupported,
                    "mip.ext.type",
                    self.offset,
                    "RFC5944-1.9",
                    format!("unknown non-skippable extension {}: a receiver discards the message", t.0),
                )),
            ),
            _ => (opaque(), None),
        };
        (body, diag)
    }

    /// Interprets the data into an owned [`Extension`] (see [`Self::interpret`]).
    pub fn decode(&self) -> (Extension, Option<Diagnostic>) {
        let (b, d) = self.interpret();
        (Extension { ext_type: self.ext_type, body: b.to_owned() }, d)
    }
}

fn byte(d: &[u8], at: usize) -> u8 {
    d.get(at).copied().unwrap_or(0) // callers checked the length
}

fn fixed6(d: &[u8]) -> Option<()> {
    (d.len() == FIXED6_LEN).then_some(())
}

impl Extension {
    /// Parses one extension at `at` of `msg` (see [`ExtIter`]).
    pub fn parse(msg: &[u8], at: usize) -> Result<(Self, Option<Diagnostic>), DecodeError> {
        parse_one(msg, at).map(|v| v.decode())
    }

    /// The long-format lead octet this body carries, if any.
    fn lead(&self) -> Option<u8> {
        match &self.body {
            ExtBody::GenAuth { subtype, .. } => Some(*subtype),
            ExtBody::Cvse { reserved, .. } => Some(*reserved),
            ExtBody::Opaque { lead, .. } => *lead,
            _ => None,
        }
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        self.ext_type.format().header_len() + self.data_len()
    }

    fn data_len(&self) -> usize {
        match &self.body {
            ExtBody::Auth { authenticator, .. } | ExtBody::GenAuth { authenticator, .. } => 4 + authenticator.len(),
            ExtBody::Nai(n) => n.len(),
            ExtBody::UdpTunnelRequest { .. } | ExtBody::UdpTunnelReply { .. } | ExtBody::RevocationSupport { .. } => FIXED6_LEN,
            ExtBody::MessageString { text, .. } => 1 + text.len(),
            ExtBody::Tnc { .. } => TNC_LEN,
            ExtBody::Cvse { value, .. } => 6 + value.len(),
            ExtBody::Nvse { value, .. } => 8 + value.len(),
            ExtBody::Opaque { data, .. } => data.len(),
        }
    }

    /// Appends the extension; the Length is computed. A long-format type needs a body with
    /// a lead octet and a short-format type one without.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.ext_type.0);
        let n = self.data_len();
        match (self.ext_type.format(), self.lead()) {
            (Format::Short, None) => out.push(to_u8(n, "mip.ext.len")?),
            (Format::Long, Some(lead)) => {
                out.push(lead);
                out.extend_from_slice(&to_u16(n, "mip.ext.len")?.to_be_bytes());
            }
            (Format::Short, Some(_)) => {
                return Err(EncodeError::new("mip.ext.type", format!("type {} has the short format", self.ext_type.0)))
            }
            (Format::Long, None) => {
                return Err(EncodeError::new("mip.ext.type", format!("type {} has the long format", self.ext_type.0)))
            }
        }
        match &self.body {
            ExtBody::Auth { spi, authenticator } | ExtBody::GenAuth { spi, authenticator, .. } => {
                out.extend_from_slice(&spi.to_be_bytes());
                out.extend_from_slice(authenticator);
            }
            ExtBody::Nai(n) => out.extend_from_slice(n),
            ExtBody::UdpTunnelRequest { subtype, reserved1, flags, encapsulation, reserved3 } => {
                out.extend_from_slice(&[*subtype, *reserved1, *flags, *encapsulation]);
                out.extend_from_slice(&reserved3.to_be_bytes());
            }
            ExtBody::UdpTunnelReply { subtype, code, flags, keepalive } => {
                out.extend_from_slice(&[*subtype, *code]);
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&keepalive.to_be_bytes());
            }
            ExtBody::RevocationSupport { flags, timestamp } => {
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&timestamp.to_be_bytes());
            }
            ExtBody::MessageString { subtype, text } => {
                out.push(*subtype);
                out.extend_from_slice(text);
            }
            ExtBody::Tnc { subtype, reserved } => out.extend_from_slice(&[*subtype, *reserved]),
            ExtBody::Cvse { vendor_id, vendor_type, value, .. } => {
                out.extend_from_slice(&vendor_id.to_be_bytes());
                out.extend_from_slice(&vendor_type.to_be_bytes());
                out.extend_from_slice(value);
            }
            ExtBody::Nvse { reserved, vendor_id, vendor_type, value } => {
                out.extend_from_slice(&reserved.to_be_bytes());
                out.extend_from_slice(&vendor_id.to_be_bytes());
                out.extend_from_slice(&vendor_type.to_be_bytes());
                out.extend_from_slice(value);
            }
            ExtBody::Opaque { data, .. } => out.extend_from_slice(data),
        }
        Ok(())
    }

    /// An MN-HA (32), MN-FA (33) or FA-HA (34) authentication extension.
    pub fn auth(ext_type: ExtType, spi: u32, authenticator: Vec<u8>) -> Self {
        Self { ext_type, body: ExtBody::Auth { spi, authenticator } }
    }

    /// The Trusted Networks Configured extension of RFC 5265 §3.4 (spec MIP-1).
    pub fn tnc() -> Self {
        Self { ext_type: ExtType::TNC, body: ExtBody::Tnc { subtype: 0, reserved: 0 } }
    }

    /// A Mobile Node NAI extension (RFC 2794).
    pub fn nai(nai: &str) -> Self {
        Self { ext_type: ExtType::NAI, body: ExtBody::Nai(nai.as_bytes().to_vec()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5944_1_11_long_format_for_generalized_auth() {
        #[rustfmt::skip]
        let b = [
            36, 1, 0x00, 0x08,        // type 36, sub-type 1 MN-AAA, length 8
            0, 0, 0, 2,               // SPI 2
            0xde, 0xad, 0xbe, 0xef,   // authenticator
        ];
        let (e, d) = Extension::parse(&b, 0).unwrap();
        assert!(d.is_none());
        assert_eq!(e.body, ExtBody::GenAuth { subtype: 1, spi: 2, authenticator: vec![0xde, 0xad, 0xbe, 0xef] });
        let mut out = Vec::new();
        e.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn rfc5265_3_4_tnc_and_bad_length() {
        let (e, d) = Extension::parse(&[149, 2, 0, 0], 0).unwrap();
        assert_eq!(e, Extension::tnc());
        assert!(d.is_none());
        let (e, d) = Extension::parse(&[149, 3, 0, 0, 7], 0).unwrap();
        assert!(matches!(e.body, ExtBody::Opaque { .. }));
        let d = d.unwrap();
        assert_eq!((d.kind, d.clause, d.offset), (Some(Kind::BadLength), Some("MIP-1"), 1));
        let mut out = Vec::new();
        e.emit(&mut out).unwrap();
        assert_eq!(out, [149, 3, 0, 0, 7]);
    }

    #[test]
    fn rfc5944_1_9_unknown_non_skippable_is_flagged_skippable_is_not() {
        let (_, d) = Extension::parse(&[100, 1, 9], 0).unwrap();
        assert_eq!(d.unwrap().kind, Some(Kind::Unsupported));
        let (e, d) = Extension::parse(&[200, 1, 9], 0).unwrap();
        assert!(d.is_none());
        assert_eq!(e.body, ExtBody::Opaque { lead: None, data: vec![9] });
    }

    #[test]
    fn rfc5944_1_9_length_beyond_message_is_truncated_at_length() {
        let e = Extension::parse(&[32, 20, 0, 0], 0).unwrap_err();
        assert_eq!((e.kind, e.field, e.offset), (Kind::Truncated, "mip.ext.len", 1));
        let e = Extension::parse(&[36, 1, 0], 0).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::Truncated, 0));
    }

    #[test]
    fn emit_refuses_a_lead_octet_on_a_short_type() {
        let e = Extension { ext_type: ExtType::NAI, body: ExtBody::Opaque { lead: Some(1), data: vec![] } };
        assert!(e.emit(&mut Vec::new()).is_err());
        let e = Extension { ext_type: ExtType::GEN_AUTH, body: ExtBody::Nai(vec![]) };
        assert!(e.emit(&mut Vec::new()).is_err());
    }
}
