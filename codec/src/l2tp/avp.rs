//! L2TP Attribute-Value Pairs (RFC 2661 §4.1, §4.4) and the hand-off AVPs of spec §7.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |M|H| rsvd  |      Length       |           Vendor ID           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Attribute Type        |        Attribute Value...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Every RFC 2661 §4.4 type (0–39) decodes into an [`AvpValue`]; vendor AVPs stay opaque
//! except the hand-off AVPs of vendor 32473 (spec §7, L2TP-1): type 1 Global Endpoint ID
//! (the RFC 1990 value of [`crate::gid`]) and type 2 Session Status (C = 0x8000). A hidden
//! AVP (H = 1, §4.3) keeps its ciphertext as [`AvpValue::Raw`] until
//! [`super::hidden`] reveals it.

use crate::bytes::{be_u16, be_u32, be_u64};
use crate::emit::LenSlot;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::gid::Gid;
use crate::numbers::VendorId;
use core::fmt;

/// M: mandatory (§4.1).
pub const FLAG_M: u16 = 0x8000;
/// H: hidden (§4.1, §4.3).
pub const FLAG_H: u16 = 0x4000;
/// Four reserved bits after M and H.
pub const RESERVED_MASK: u16 = 0x3C00;
/// Shift of the reserved bits.
pub const RESERVED_SHIFT: u32 = 10;
/// The 10-bit Length.
pub const LENGTH_MASK: u16 = 0x03FF;
/// Longest AVP the 10-bit Length can describe.
pub const MAX_LEN: usize = LENGTH_MASK as usize;
/// AVP header: flags/length, Vendor ID, Attribute Type.
pub const HEADER_LEN: usize = field::TYPE.end;

/// Field offsets within one AVP.
pub mod field {
    use core::ops::Range;
    /// M, H, reserved and Length.
    pub const FLAGS_LENGTH: Range<usize> = 0..2;
    /// Vendor ID.
    pub const VENDOR: Range<usize> = 2..4;
    /// Attribute Type.
    pub const TYPE: Range<usize> = 4..6;
}

/// Hand-off AVP (vendor 32473) type 1: Global Endpoint ID (spec §7, L2TP-1).
pub const HANDOFF_GID: u16 = 1;
/// Hand-off AVP (vendor 32473) type 2: Session Status (spec §7, L2TP-1).
pub const HANDOFF_SESSION_STATUS: u16 = 2;
/// Session Status bit 0: C = Continue Session (spec §7, L2TP-2).
pub const SESSION_STATUS_CONTINUE: u16 = 0x8000;

/// Framing Capabilities / Framing Type: A = asynchronous framing (§4.4.2, §4.4.5).
pub const FRAMING_ASYNC: u32 = 0x0000_0002;
/// Framing Capabilities / Framing Type: S = synchronous framing.
pub const FRAMING_SYNC: u32 = 0x0000_0001;
/// Bearer Capabilities / Bearer Type: A = analog access.
pub const BEARER_ANALOG: u32 = 0x0000_0002;
/// Bearer Capabilities / Bearer Type: D = digital access.
pub const BEARER_DIGITAL: u32 = 0x0000_0001;

/// An IETF (vendor 0) attribute type (RFC 2661 §4.4).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AvpType(pub u16);

macro_rules! avp_types {
    ($($(#[$m:meta])* $c:ident = $v:expr, $label:expr;)*) => {
        impl AvpType {
            $($(#[$m])* pub const $c: Self = Self($v);)*
            /// RFC 2661 name of the attribute, when it has one.
            pub fn name(self) -> Option<&'static str> {
                match self { $(Self::$c => Some($label),)* _ => None }
            }
        }
    };
}

avp_types! {
    /// Message Type (§4.4.1).
    MESSAGE_TYPE = 0, "Message Type";
    /// Result Code (§4.4.2).
    RESULT_CODE = 1, "Result Code";
    /// Protocol Version (§4.4.3).
    PROTOCOL_VERSION = 2, "Protocol Version";
    /// Framing Capabilities (§4.4.3).
    FRAMING_CAPABILITIES = 3, "Framing Capabilities";
    /// Bearer Capabilities (§4.4.3).
    BEARER_CAPABILITIES = 4, "Bearer Capabilities";
    /// Tie Breaker (§4.4.3).
    TIE_BREAKER = 5, "Tie Breaker";
    /// Firmware Revision (§4.4.3).
    FIRMWARE_REVISION = 6, "Firmware Revision";
    /// Host Name (§4.4.3).
    HOST_NAME = 7, "Host Name";
    /// Vendor Name (§4.4.3).
    VENDOR_NAME = 8, "Vendor Name";
    /// Assigned Tunnel ID (§4.4.3).
    ASSIGNED_TUNNEL_ID = 9, "Assigned Tunnel ID";
    /// Receive Window Size (§4.4.3).
    RECEIVE_WINDOW_SIZE = 10, "Receive Window Size";
    /// Challenge (§4.4.3).
    CHALLENGE = 11, "Challenge";
    /// Q.931 Cause Code (§4.4.5).
    Q931_CAUSE_CODE = 12, "Q.931 Cause Code";
    /// Challenge Response (§4.4.3).
    CHALLENGE_RESPONSE = 13, "Challenge Response";
    /// Assigned Session ID (§4.4.4).
    ASSIGNED_SESSION_ID = 14, "Assigned Session ID";
    /// Call Serial Number (§4.4.4).
    CALL_SERIAL_NUMBER = 15, "Call Serial Number";
    /// Minimum BPS (§4.4.4).
    MINIMUM_BPS = 16, "Minimum BPS";
    /// Maximum BPS (§4.4.4).
    MAXIMUM_BPS = 17, "Maximum BPS";
    /// Bearer Type (§4.4.4).
    BEARER_TYPE = 18, "Bearer Type";
    /// Framing Type (§4.4.4).
    FRAMING_TYPE = 19, "Framing Type";
    /// Called Number (§4.4.4).
    CALLED_NUMBER = 21, "Called Number";
    /// Calling Number (§4.4.4).
    CALLING_NUMBER = 22, "Calling Number";
    /// Sub-Address (§4.4.4).
    SUB_ADDRESS = 23, "Sub-Address";
    /// (Tx) Connect Speed (§4.4.4).
    TX_CONNECT_SPEED = 24, "Connect Speed";
    /// Physical Channel ID (§4.4.4).
    PHYSICAL_CHANNEL_ID = 25, "Physical Channel ID";
    /// Initial Received LCP CONFREQ (§4.4.5).
    INITIAL_RECEIVED_LCP_CONFREQ = 26, "Initial Received LCP CONFREQ";
    /// Last Sent LCP CONFREQ (§4.4.5).
    LAST_SENT_LCP_CONFREQ = 27, "Last Sent LCP CONFREQ";
    /// Last Received LCP CONFREQ (§4.4.5).
    LAST_RECEIVED_LCP_CONFREQ = 28, "Last Received LCP CONFREQ";
    /// Proxy Authen Type (§4.4.5).
    PROXY_AUTHEN_TYPE = 29, "Proxy Authen Type";
    /// Proxy Authen Name (§4.4.5).
    PROXY_AUTHEN_NAME = 30, "Proxy Authen Name";
    /// Proxy Authen Challenge (§4.4.5).
    PROXY_AUTHEN_CHALLENGE = 31, "Proxy Authen Challenge";
    /// Proxy Authen ID (§4.4.5).
    PROXY_AUTHEN_ID = 32, "Proxy Authen ID";
    /// Proxy Authen Response (§4.4.5).
    PROXY_AUTHEN_RESPONSE = 33, "Proxy Authen Response";
    /// Call Errors (§4.4.6).
    CALL_ERRORS = 34, "Call Errors";
    /// ACCM (§4.4.6).
    ACCM = 35, "ACCM";
    /// Random Vector (§4.4.3).
    RANDOM_VECTOR = 36, "Random Vector";
    /// Private Group ID (§4.4.5).
    PRIVATE_GROUP_ID = 37, "Private Group ID";
    /// Rx Connect Speed (§4.4.5).
    RX_CONNECT_SPEED = 38, "Rx Connect Speed";
    /// Sequencing Required (§4.4.5).
    SEQUENCING_REQUIRED = 39, "Sequencing Required";
}

/// The shape of a known AVP's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    U16,
    U32,
    U64,
    Bytes { min: usize },
    Exactly16,
    Empty,
    ResultCode,
    ProtocolVersion,
    Q931,
    ProxyId,
    CallErrors,
    Accm,
    Gid,
    SessionStatus,
    Opaque,
}

fn shape(vendor: VendorId, ty: u16) -> Shape {
    if vendor == VendorId::HANDOFF {
        return match ty {
            HANDOFF_GID => Shape::Gid,
            HANDOFF_SESSION_STATUS => Shape::SessionStatus,
            _ => Shape::Opaque,
        };
    }
    if vendor != VendorId::IETF {
        return Shape::Opaque;
    }
    match AvpType(ty) {
        AvpType::MESSAGE_TYPE
        | AvpType::FIRMWARE_REVISION
        | AvpType::ASSIGNED_TUNNEL_ID
        | AvpType::RECEIVE_WINDOW_SIZE
        | AvpType::ASSIGNED_SESSION_ID
        | AvpType::PROXY_AUTHEN_TYPE => Shape::U16,
        AvpType::FRAMING_CAPABILITIES
        | AvpType::BEARER_CAPABILITIES
        | AvpType::CALL_SERIAL_NUMBER
        | AvpType::MINIMUM_BPS
        | AvpType::MAXIMUM_BPS
        | AvpType::BEARER_TYPE
        | AvpType::FRAMING_TYPE
        | AvpType::TX_CONNECT_SPEED
        | AvpType::PHYSICAL_CHANNEL_ID
        | AvpType::RX_CONNECT_SPEED => Shape::U32,
        AvpType::TIE_BREAKER => Shape::U64,
        AvpType::HOST_NAME | AvpType::CHALLENGE | AvpType::RANDOM_VECTOR => Shape::Bytes { min: 1 },
        AvpType::VENDOR_NAME
        | AvpType::CALLED_NUMBER
        | AvpType::CALLING_NUMBER
        | AvpType::SUB_ADDRESS
        | AvpType::INITIAL_RECEIVED_LCP_CONFREQ
        | AvpType::LAST_SENT_LCP_CONFREQ
        | AvpType::LAST_RECEIVED_LCP_CONFREQ
        | AvpType::PROXY_AUTHEN_NAME
        | AvpType::PROXY_AUTHEN_CHALLENGE
        | AvpType::PROXY_AUTHEN_RESPONSE
        | AvpType::PRIVATE_GROUP_ID => Shape::Bytes { min: 0 },
        AvpType::CHALLENGE_RESPONSE => Shape::Exactly16,
        AvpType::SEQUENCING_REQUIRED => Shape::Empty,
        AvpType::RESULT_CODE => Shape::ResultCode,
        AvpType::PROTOCOL_VERSION => Shape::ProtocolVersion,
        AvpType::Q931_CAUSE_CODE => Shape::Q931,
        AvpType::PROXY_AUTHEN_ID => Shape::ProxyId,
        AvpType::CALL_ERRORS => Shape::CallErrors,
        AvpType::ACCM => Shape::Accm,
        _ => Shape::Opaque,
    }
}

/// Whether an AVP of this vendor and type has a defined meaning here (an unknown one with
/// M = 1 makes the message unusable, §4.1).
pub fn is_known(vendor: VendorId, ty: u16) -> bool {
    shape(vendor, ty) != Shape::Opaque
}

/// Call Errors counters (§4.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CallErrors {
    /// Reserved (2 octets), kept as read.
    pub reserved: u16,
    /// CRC Errors.
    pub crc: u32,
    /// Framing Errors.
    pub framing: u32,
    /// Hardware Overruns.
    pub hardware_overruns: u32,
    /// Buffer Overruns.
    pub buffer_overruns: u32,
    /// Time-out Errors.
    pub timeouts: u32,
    /// Alignment Errors.
    pub alignment: u32,
}

/// Length of the Call Errors value.
pub const CALL_ERRORS_LEN: usize = 26;
/// Length of the ACCM value.
pub const ACCM_LEN: usize = 10;
/// Length of a Challenge Response (an MD5 digest, §4.4.3).
pub const CHALLENGE_RESPONSE_LEN: usize = 16;

/// A decoded AVP value (RFC 2661 §4.4; spec §7 for vendor 32473).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AvpValue {
    /// A 16-bit value (Message Type, Assigned Tunnel/Session ID, …).
    U16(u16),
    /// A 32-bit value (Call Serial Number, capabilities, speeds, …).
    U32(u32),
    /// A 64-bit value (Tie Breaker).
    U64(u64),
    /// Octets or text (Host Name, Challenge, Random Vector, numbers, LCP CONFREQs, …).
    Bytes(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// No value (Sequencing Required).
    Empty,
    /// Result Code (§4.4.2): result, optional error code, optional message (only after
    /// an error code).
    ResultCode {
        /// Result Code.
        result: u16,
        /// Error Code, when present.
        error: Option<u16>,
        /// Error Message, when present.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        message: Vec<u8>,
    },
    /// Protocol Version (§4.4.3).
    ProtocolVersion {
        /// Version (1 for L2TPv2).
        version: u8,
        /// Revision.
        revision: u8,
    },
    /// Q.931 Cause Code (§4.4.5).
    Q931Cause {
        /// Cause Code.
        cause: u16,
        /// Cause Msg.
        msg: u8,
        /// Advisory Msg.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        advisory: Vec<u8>,
    },
    /// Proxy Authen ID (§4.4.5): a reserved octet and the ID.
    ProxyAuthenId {
        /// Reserved octet, kept as read.
        reserved: u8,
        /// The PPP authentication ID.
        id: u8,
    },
    /// Call Errors (§4.4.6).
    CallErrors(CallErrors),
    /// ACCM (§4.4.6).
    Accm {
        /// Reserved (2 octets), kept as read.
        reserved: u16,
        /// Send ACCM.
        send: u32,
        /// Receive ACCM.
        receive: u32,
    },
    /// Hand-off Global Endpoint ID (vendor 32473 type 1, spec §7).
    Gid(Gid),
    /// Hand-off Session Status (vendor 32473 type 2, spec §7): C = 0x8000.
    SessionStatus(u16),
    /// Octets kept as read: unknown or vendor AVPs, hidden ciphertext, or a known AVP
    /// whose length does not fit its type.
    Raw(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

impl AvpValue {
    /// Decodes the value of a non-hidden AVP of `vendor`/`ty`; `Err` names why the octets
    /// do not fit the type (the caller keeps them as [`AvpValue::Raw`]).
    pub fn decode(vendor: VendorId, ty: u16, v: &[u8]) -> Result<AvpValue, String> {
        let exact = |n: usize| {
            if v.len() == n {
                Ok(())
            } else {
                Err(format!("value of {} octets, the type takes {n}", v.len()))
            }
        };
        Ok(match shape(vendor, ty) {
            Shape::U16 => {
                exact(2)?;
                AvpValue::U16(be_u16(v, 0).unwrap_or_default())
            }
            Shape::U32 => {
                exact(4)?;
                AvpValue::U32(be_u32(v, 0).unwrap_or_default())
            }
            Shape::U64 => {
                exact(8)?;
                AvpValue::U64(be_u64(v, 0).unwrap_or_default())
            }
            Shape::Bytes { min } => {
                if v.len() < min {
                    return Err(format!("value of {} octets, the type takes at least {min}", v.len()));
                }
                AvpValue::Bytes(v.to_vec())
            }
            Shape::Exactly16 => {
                exact(CHALLENGE_RESPONSE_LEN)?;
                AvpValue::Bytes(v.to_vec())
            }
            Shape::Empty => {
                exact(0)?;
                AvpValue::Empty
            }
            Shape::ResultCode => match v.len() {
                2 => AvpValue::ResultCode { result: be_u16(v, 0).unwrap_or_default(), error: None, message: Vec::new() },
                n if n >= 4 => AvpValue::ResultCode {
                    result: be_u16(v, 0).unwrap_or_default(),
                    error: be_u16(v, 2),
                    message: v.get(4..).unwrap_or_default().to_vec(),
                },
                n => return Err(format!("value of {n} octets: Result Code takes 2, or 4 and more")),
            },
            Shape::ProtocolVersion => {
                exact(2)?;
                AvpValue::ProtocolVersion { version: v[0], revision: v[1] }
            }
            Shape::Q931 => {
                if v.len() < 3 {
                    return Err(format!("value of {} octets, Q.931 Cause Code takes at least 3", v.len()));
                }
                AvpValue::Q931Cause {
                    cause: be_u16(v, 0).unwrap_or_default(),
                    msg: v[2],
                    advisory: v.get(3..).unwrap_or_default().to_vec(),
                }
            }
            Shape::ProxyId => {
                exact(2)?;
                AvpValue::ProxyAuthenId { reserved: v[0], id: v[1] }
            }
            Shape::CallErrors => {
                exact(CALL_ERRORS_LEN)?;
                let u = |at| be_u32(v, at).unwrap_or_default();
                AvpValue::CallErrors(CallErrors {
                    reserved: be_u16(v, 0).unwrap_or_default(),
                    crc: u(2),
                    framing: u(6),
                    hardware_overruns: u(10),
                    buffer_overruns: u(14),
                    timeouts: u(18),
                    alignment: u(22),
                })
            }
            Shape::Accm => {
                exact(ACCM_LEN)?;
                AvpValue::Accm {
                    reserved: be_u16(v, 0).unwrap_or_default(),
                    send: be_u32(v, 2).unwrap_or_default(),
                    receive: be_u32(v, 6).unwrap_or_default(),
                }
            }
            Shape::Gid => {
                // The RFC 1990 value, one implementation for all users (crate::gid); the
                // class/length check is a meaning check, the octets are kept either way.
                let (&class, address) = v.split_first().ok_or_else(|| "value has no class octet".to_string())?;
                AvpValue::Gid(Gid { class: crate::gid::Class(class), address: address.to_vec() })
            }
            Shape::SessionStatus => {
                exact(2)?;
                AvpValue::SessionStatus(be_u16(v, 0).unwrap_or_default())
            }
            Shape::Opaque => AvpValue::Raw(v.to_vec()),
        })
    }

    /// Appends the value octets.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            AvpValue::U16(x) | AvpValue::SessionStatus(x) => out.extend_from_slice(&x.to_be_bytes()),
            AvpValue::U32(x) => out.extend_from_slice(&x.to_be_bytes()),
            AvpValue::U64(x) => out.extend_from_slice(&x.to_be_bytes()),
            AvpValue::Bytes(b) | AvpValue::Raw(b) => out.extend_from_slice(b),
            AvpValue::Empty => {}
            AvpValue::ResultCode { result, error, message } => {
                out.extend_from_slice(&result.to_be_bytes());
                match error {
                    Some(e) => {
                        out.extend_from_slice(&e.to_be_bytes());
                        out.extend_from_slice(message);
                    }
                    None if !message.is_empty() => {
                        return Err(EncodeError::new("l2tp.avp.error_message", "an error message needs an error code"))
                    }
                    None => {}
                }
            }
            AvpValue::ProtocolVersion { version, revision } => out.extend_from_slice(&[*version, *revision]),
            AvpValue::Q931Cause { cause, msg, advisory } => {
                out.extend_from_slice(&cause.to_be_bytes());
                out.push(*msg);
                out.extend_from_slice(advisory);
            }
            AvpValue::ProxyAuthenId { reserved, id } => out.extend_from_slice(&[*reserved, *id]),
            AvpValue::CallErrors(c) => {
                out.extend_from_slice(&c.reserved.to_be_bytes());
                for x in [c.crc, c.framing, c.hardware_overruns, c.buffer_overruns, c.timeouts, c.alignment] {
                    out.extend_from_slice(&x.to_be_bytes());
                }
            }
            AvpValue::Accm { reserved, send, receive } => {
                out.extend_from_slice(&reserved.to_be_bytes());
                out.extend_from_slice(&send.to_be_bytes());
                out.extend_from_slice(&receive.to_be_bytes());
            }
            AvpValue::Gid(g) => g.emit(out),
        }
        Ok(())
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let mut v = Vec::new();
        // Only the ResultCode misuse fails, and then the length is moot.
        let _ = self.emit(&mut v);
        v.len()
    }
}

/// A checked, zero-copy view of one AVP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvpView<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> AvpView<'a> {
    /// The AVP at the start of `area`; `offset` is its position in the message. Checks the
    /// header and that Length stays within `area` (§4.1).
    pub fn new(area: &'a [u8], offset: usize) -> Result<Self, DecodeError> {
        let fl = be_u16(area, field::FLAGS_LENGTH.start)
            .ok_or_else(|| DecodeError::truncated("l2tp.avp.length", offset, HEADER_LEN, area.len()).clause("RFC2661-4.1"))?;
        let len = usize::from(fl & LENGTH_MASK);
        if len < HEADER_LEN {
            return Err(DecodeError::new(
                Kind::BadLength,
                "l2tp.avp.length",
                offset,
                format!("AVP Length {len} is below the 6-octet header"),
            )
            .clause("RFC2661-4.1"));
        }
        let bytes = area.get(..len).ok_or_else(|| {
            DecodeError::new(
                Kind::Truncated,
                "l2tp.avp.length",
                offset,
                format!("AVP Length {len} runs past the message ({} octets left)", area.len()),
            )
            .clause("RFC2661-4.1")
        })?;
        Ok(Self { bytes, offset })
    }

    /// Offset of the AVP's first octet in the message.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The whole AVP.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    fn flags_length(&self) -> u16 {
        be_u16(self.bytes, 0).unwrap_or_default() // checked in `new`
    }
    /// M bit.
    pub fn mandatory(&self) -> bool {
        self.flags_length() & FLAG_M != 0
    }
    /// H bit.
    pub fn hidden(&self) -> bool {
        self.flags_length() & FLAG_H != 0
    }
    /// The four reserved bits.
    pub fn reserved(&self) -> u8 {
        ((self.flags_length() & RESERVED_MASK) >> RESERVED_SHIFT) as u8 // 4 bits
    }
    /// AVP Length.
    pub fn length(&self) -> usize {
        self.bytes.len()
    }
    /// Vendor ID.
    pub fn vendor(&self) -> VendorId {
        VendorId(be_u16(self.bytes, field::VENDOR.start).unwrap_or_default())
    }
    /// Attribute Type.
    pub fn attr_type(&self) -> u16 {
        be_u16(self.bytes, field::TYPE.start).unwrap_or_default()
    }
    /// The value octets (ciphertext when hidden).
    pub fn value(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or_default()
    }
    /// The typed value: `Raw` when hidden or unknown; `Err` when a known type's value has a
    /// length its type does not allow.
    pub fn typed(&self) -> Result<AvpValue, String> {
        if self.hidden() {
            return Ok(AvpValue::Raw(self.value().to_vec()));
        }
        AvpValue::decode(self.vendor(), self.attr_type(), self.value())
    }
    /// Copies the AVP into an owned value; a value that does not fit its type stays `Raw`.
    pub fn to_owned(&self) -> Avp {
        Avp {
            mandatory: self.mandatory(),
            hidden: self.hidden(),
            reserved: self.reserved(),
            vendor: self.vendor(),
            attr_type: self.attr_type(),
            value: self.typed().unwrap_or_else(|_| AvpValue::Raw(self.value().to_vec())),
        }
    }
}

/// Iterates over the AVPs of a control message; stops for good after the first error.
#[derive(Debug, Clone)]
pub struct AvpIter<'a> {
    rest: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> AvpIter<'a> {
    /// AVPs in `area`, whose first octet is at `offset` in the message.
    pub fn new(area: &'a [u8], offset: usize) -> Self {
        Self { rest: area, offset, failed: false }
    }
}

impl<'a> Iterator for AvpIter<'a> {
    type Item = Result<AvpView<'a>, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        match AvpView::new(self.rest, self.offset) {
            Ok(v) => {
                let n = v.length();
                self.rest = self.rest.get(n..).unwrap_or_default();
                self.offset += n;
                Some(Ok(v))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// An owned AVP: flags, reserved bits, vendor, type and value, re-encoded as read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Avp {
    /// M bit.
    pub mandatory: bool,
    /// H bit: the value is hidden (ciphertext in `Raw`).
    pub hidden: bool,
    /// The four reserved bits, kept for octet-exact re-encoding.
    pub reserved: u8,
    /// Vendor ID.
    pub vendor: VendorId,
    /// Attribute Type.
    pub attr_type: u16,
    /// The value.
    pub value: AvpValue,
}

impl Avp {
    /// An IETF AVP with M = 1, not hidden.
    pub fn ietf(ty: AvpType, value: AvpValue) -> Self {
        Self { mandatory: true, hidden: false, reserved: 0, vendor: VendorId::IETF, attr_type: ty.0, value }
    }

    /// A hand-off AVP (vendor 32473, M = 0 as spec L2TP-1 says).
    pub fn handoff(ty: u16, value: AvpValue) -> Self {
        Self { mandatory: false, hidden: false, reserved: 0, vendor: VendorId::HANDOFF, attr_type: ty, value }
    }

    /// Parses one AVP at the start of `b` (`offset` = its position, for errors); returns it
    /// and the octets consumed.
    pub fn parse(b: &[u8], offset: usize) -> Result<(Avp, usize), DecodeError> {
        let v = AvpView::new(b, offset)?;
        Ok((v.to_owned(), v.length()))
    }

    /// Appends the AVP; Length is computed (at most 1023 octets, §4.1).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.reserved > 0x0F {
            return Err(EncodeError::new("l2tp.avp.reserved", format!("{:#x} does not fit in 4 bits", self.reserved)));
        }
        let start = out.len();
        let slot = LenSlot::u16(out);
        out.extend_from_slice(&self.vendor.0.to_be_bytes());
        out.extend_from_slice(&self.attr_type.to_be_bytes());
        self.value.emit(out)?;
        let n = out.len() - start;
        if n > MAX_LEN {
            return Err(EncodeError::new("l2tp.avp.length", format!("{n} does not fit in 10 bits")));
        }
        let mut high = u16::from(self.reserved) << RESERVED_SHIFT;
        if self.mandatory {
            high |= FLAG_M;
        }
        if self.hidden {
            high |= FLAG_H;
        }
        slot.fill_masked(out, n, high, "l2tp.avp.length")
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.value.buffer_len()
    }
}

impl fmt::Display for Avp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.vendor, AvpType(self.attr_type).name()) {
            (VendorId::IETF, Some(n)) => write!(f, "{n}")?,
            (VendorId::HANDOFF, _) if self.attr_type == HANDOFF_GID => f.write_str("Global Endpoint ID")?,
            (VendorId::HANDOFF, _) if self.attr_type == HANDOFF_SESSION_STATUS => f.write_str("Session Status")?,
            (v, _) => write!(f, "vendor {} type {}", v.0, self.attr_type)?,
        }
        if self.hidden {
            f.write_str(" (hidden)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Result Code AVP, RFC 2661 §4.4.2: result 3, error 0, message "x".
    #[rustfmt::skip]
    const RESULT: [u8; 11] = [
        0x80, 0x0b,             // M, Length 11
        0x00, 0x00,             // vendor 0
        0x00, 0x01,             // Result Code
        0x00, 0x03, 0x00, 0x00, // result 3, error 0
        b'x',                   // message
    ];

    #[test]
    fn rfc2661_4_4_2_result_code_round_trip() {
        let (a, n) = Avp::parse(&RESULT, 0).unwrap();
        assert_eq!(n, 11);
        assert_eq!(a.value, AvpValue::ResultCode { result: 3, error: Some(0), message: b"x".to_vec() });
        let mut out = Vec::new();
        a.emit(&mut out).unwrap();
        assert_eq!(out, RESULT);
    }

    #[test]
    fn rfc2661_4_1_avp_length_below_6() {
        let e = AvpView::new(&[0x80, 0x05, 0, 0, 0, 0], 12).unwrap_err();
        assert_eq!((e.kind, e.offset, e.clause), (Kind::BadLength, 12, Some("RFC2661-4.1")));
    }

    #[test]
    fn rfc2661_4_1_avp_length_beyond_message() {
        let e = AvpView::new(&[0x80, 0x09, 0, 0, 0, 0, 1], 12).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::Truncated, 12));
    }

    #[test]
    fn wrong_length_known_avp_stays_raw_and_reencodes() {
        let b = [0x80, 0x09, 0, 0, 0, 0, 1, 2, 3]; // Message Type of 3 octets
        let v = AvpView::new(&b, 0).unwrap();
        assert!(v.typed().is_err());
        let a = v.to_owned();
        assert_eq!(a.value, AvpValue::Raw(vec![1, 2, 3]));
        let mut out = Vec::new();
        a.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn rfc2661_4_4_6_call_errors_and_accm() {
        let mut b = vec![0x80, 32, 0, 0, 0, 34, 0, 0];
        for i in 1..=6u32 {
            b.extend_from_slice(&i.to_be_bytes());
        }
        let (a, _) = Avp::parse(&b, 0).unwrap();
        let AvpValue::CallErrors(c) = a.value else { panic!("{a:?}") };
        assert_eq!((c.crc, c.alignment), (1, 6));
        let b = [0x80, 16, 0, 0, 0, 35, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
        let (a, _) = Avp::parse(&b, 0).unwrap();
        assert_eq!(a.value, AvpValue::Accm { reserved: 0, send: 0xff, receive: 0xffff_ffff });
    }

    #[test]
    fn spec_7_handoff_avps() {
        let b = [0x00, 0x08, 0x7e, 0xd9, 0x00, 0x02, 0x80, 0x00];
        let (a, _) = Avp::parse(&b, 0).unwrap();
        assert_eq!(a.value, AvpValue::SessionStatus(SESSION_STATUS_CONTINUE));
        assert!(!a.mandatory);
        let b = [0x00, 0x0b, 0x7e, 0xd9, 0x00, 0x01, 0x02, 10, 0, 0, 1];
        let (a, _) = Avp::parse(&b, 0).unwrap();
        assert_eq!(a.value, AvpValue::Gid(Gid { class: crate::gid::Class::IPV4, address: vec![10, 0, 0, 1] }));
    }

    #[test]
    fn emit_refuses_oversized_value() {
        let a = Avp::ietf(AvpType::HOST_NAME, AvpValue::Bytes(vec![b'a'; 1018]));
        assert!(a.emit(&mut Vec::new()).is_err());
        let a = Avp::ietf(AvpType::HOST_NAME, AvpValue::Bytes(vec![b'a'; 1017]));
        assert!(a.emit(&mut Vec::new()).is_ok());
    }
}
