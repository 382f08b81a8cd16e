//! IKE header (RFC 7296 §3.1; the same layout for ISAKMP/IKEv1, RFC 2408 §3.1). Only the
//! fixed header is decoded; the payload chain is kept as octets.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Initiator's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Responder's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Message ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Length                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::bytes::{be_u32, be_u64};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use core::fmt;

/// The fixed header.
pub const HEADER_LEN: usize = field::LENGTH.end;
/// Flags: Initiator (RFC 7296 §3.1).
pub const FLAG_I: u8 = 0x08;
/// Flags: Version (higher version supported).
pub const FLAG_V: u8 = 0x10;
/// Flags: Response.
pub const FLAG_R: u8 = 0x20;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Initiator's SPI.
    pub const ISPI: Range<usize> = 0..8;
    /// Responder's SPI.
    pub const RSPI: Range<usize> = 8..16;
    /// Next Payload.
    pub const NEXT_PAYLOAD: usize = 16;
    /// Major version (high nibble), minor (low nibble).
    pub const VERSION: usize = 17;
    /// Exchange Type.
    pub const EXCHANGE_TYPE: usize = 18;
    /// Flags.
    pub const FLAGS: usize = 19;
    /// Message ID.
    pub const MESSAGE_ID: Range<usize> = 20..24;
    /// Length of the whole message.
    pub const LENGTH: Range<usize> = 24..28;
}

/// Display-filter fields this module produces (Wireshark's packet-isakmp.c names).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("isakmp", FieldType::Protocol, "Internet Key Exchange (ISAKMP/IKE)"),
    FieldDef::new("isakmp.ispi", FieldType::Bytes, "Initiator SPI"),
    FieldDef::new("isakmp.rspi", FieldType::Bytes, "Responder SPI"),
    FieldDef::new("isakmp.nextpayload", FieldType::Uint, "Next payload"),
    FieldDef::new("isakmp.version", FieldType::Uint, "Version (major << 4 | minor)"),
    FieldDef::new("isakmp.mjver", FieldType::Uint, "Major version"),
    FieldDef::new("isakmp.mnver", FieldType::Uint, "Minor version"),
    FieldDef::new("isakmp.exchangetype", FieldType::Uint, "Exchange type"),
    FieldDef::new("isakmp.flags", FieldType::Uint, "Flags"),
    FieldDef::new("isakmp.flag_i", FieldType::Bool, "Initiator"),
    FieldDef::new("isakmp.flag_v", FieldType::Bool, "Version"),
    FieldDef::new("isakmp.flag_r", FieldType::Bool, "Response"),
    FieldDef::new("isakmp.messageid", FieldType::Uint, "Message ID"),
    FieldDef::new("isakmp.length", FieldType::Uint, "Length"),
    FieldDef::new("isakmp.payloads", FieldType::Bytes, "The payload chain, undecoded"),
];

/// A checked view of an IKE message: header present, Length within the input.
#[derive(Debug, Clone, Copy)]
pub struct IkeView<'a> {
    msg: &'a [u8],
}

impl<'a> IkeView<'a> {
    /// Checks the header and that Length covers at least the header and fits in `b`.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < HEADER_LEN {
            return Err(DecodeError::truncated("isakmp", 0, HEADER_LEN, b.len()).clause("RFC7296-3.1"));
        }
        let len = be_u32(b, field::LENGTH.start).unwrap_or(0) as usize;
        if len < HEADER_LEN {
            return Err(DecodeError::new(
                Kind::BadLength,
                "isakmp.length",
                field::LENGTH.start,
                format!("length {len} is below the {HEADER_LEN}-octet header"),
            )
            .clause("RFC7296-3.1"));
        }
        let msg = b
            .get(..len)
            .ok_or_else(|| DecodeError::truncated("isakmp.length", field::LENGTH.start, len, b.len()).clause("RFC7296-3.1"))?;
        Ok(Self { msg })
    }

    /// Initiator's SPI.
    pub fn ispi(&self) -> u64 {
        be_u64(self.msg, field::ISPI.start).unwrap_or(0)
    }
    /// Responder's SPI.
    pub fn rspi(&self) -> u64 {
        be_u64(self.msg, field::RSPI.start).unwrap_or(0)
    }
    /// Next Payload.
    pub fn next_payload(&self) -> u8 {
        self.msg[field::NEXT_PAYLOAD] // checked in `new`
    }
    /// Version octet (major << 4 | minor).
    pub fn version(&self) -> u8 {
        self.msg[field::VERSION] // checked in `new`
    }
    /// Exchange Type.
    pub fn exchange_type(&self) -> u8 {
        self.msg[field::EXCHANGE_TYPE] // checked in `new`
    }
    /// Flags.
    pub fn flags(&self) -> u8 {
        self.msg[field::FLAGS] // checked in `new`
    }
    /// Message ID.
    pub fn message_id(&self) -> u32 {
        be_u32(self.msg, field::MESSAGE_ID.start).unwrap_or(0)
    }
    /// Length (= the view's length).
    pub fn length(&self) -> usize {
        self.msg.len()
    }
    /// The payloads after the header.
    pub fn payloads(&self) -> &'a [u8] {
        self.msg.get(HEADER_LEN..).unwrap_or(&[])
    }
}

/// An IKE message: header fields and the undecoded payload chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ike {
    /// Initiator's SPI.
    pub ispi: u64,
    /// Responder's SPI.
    pub rspi: u64,
    /// Next Payload.
    pub next_payload: u8,
    /// Version octet (0x20 for IKEv2, 0x10 for IKEv1).
    pub version: u8,
    /// Exchange Type (34 IKE_SA_INIT, 35 IKE_AUTH, 36 CREATE_CHILD_SA, 37 INFORMATIONAL).
    pub exchange_type: u8,
    /// Flags.
    pub flags: u8,
    /// Message ID.
    pub message_id: u32,
    /// Payloads, as read.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub payloads: Vec<u8>,
}

impl Ike {
    /// Parses a message (Length octets of `b`).
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        let v = IkeView::new(b)?;
        Ok(Self {
            ispi: v.ispi(),
            rspi: v.rspi(),
            next_payload: v.next_payload(),
            version: v.version(),
            exchange_type: v.exchange_type(),
            flags: v.flags(),
            message_id: v.message_id(),
            payloads: v.payloads().to_vec(),
        })
    }

    /// Appends the message; Length is computed.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len = u32::try_from(self.buffer_len()).map_err(|_| EncodeError::new("isakmp.length", "message over 4 GiB"))?;
        out.extend_from_slice(&self.ispi.to_be_bytes());
        out.extend_from_slice(&self.rspi.to_be_bytes());
        out.extend_from_slice(&[self.next_payload, self.version, self.exchange_type, self.flags]);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payloads);
        Ok(())
    }

    /// Octets [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payloads.len()
    }
}

impl fmt::Display for Ike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IKEv{} exchange {} msgid {} ispi {:016x} rspi {:016x}",
            self.version >> 4,
            self.exchange_type,
            self.message_id,
            self.ispi,
            self.rspi
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7296 §3.1: an IKE_SA_INIT request header (no payloads), Length 28.
    #[rustfmt::skip]
    const INIT: [u8; 28] = [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // Initiator's SPI
        0, 0, 0, 0, 0, 0, 0, 0,                         // Responder's SPI: 0 in the first message
        0x21,                                           // Next Payload: SA (33)
        0x20,                                           // Version 2.0
        0x22,                                           // Exchange Type: IKE_SA_INIT (34)
        0x08,                                           // Flags: Initiator
        0, 0, 0, 0,                                     // Message ID
        0, 0, 0, 28,                                    // Length
    ];

    #[test]
    fn rfc7296_3_1_header() {
        let v = IkeView::new(&INIT).unwrap();
        assert_eq!(
            (v.ispi(), v.rspi(), v.next_payload(), v.version(), v.exchange_type(), v.flags()),
            (0x0102030405060708, 0, 33, 0x20, 34, FLAG_I)
        );
        let r = Ike::parse(&INIT).unwrap();
        let mut out = vec![];
        r.emit(&mut out).unwrap();
        assert_eq!(out, INIT);
    }

    #[test]
    fn rfc7296_3_1_length_checks() {
        for n in 0..INIT.len() {
            assert_eq!(IkeView::new(&INIT[..n]).unwrap_err().kind, Kind::Truncated);
        }
        let mut b = INIT;
        b[27] = 20;
        assert_eq!(IkeView::new(&b).unwrap_err().kind, Kind::BadLength);
        b[27] = 40;
        let e = IkeView::new(&b).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::Truncated, 24));
    }
}
