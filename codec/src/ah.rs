//! AH, the IP Authentication Header (RFC 4302 §2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Header   |  Payload Len  |          RESERVED             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Security Parameters Index (SPI)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sequence Number Field                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                Integrity Check Value-ICV (variable)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Payload Len is the header's length in 32-bit words minus 2 (RFC 4302 §2.2), so the ICV
//! is `(Payload Len + 2) * 4 - 12` octets. The ICV is kept as read: checking it needs the
//! IP header with its mutable fields zeroed, which is the IP layer's business.

use crate::bytes::be_u32;
use crate::error::{DecodeError, EncodeError};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::IpProto;
use core::fmt;

/// Next Header, Payload Len, Reserved, SPI, Sequence Number.
pub const FIXED_LEN: usize = field::SEQ.end;

/// Field offsets of the fixed part.
pub mod field {
    use core::ops::Range;
    /// Next Header.
    pub const NEXT_HEADER: usize = 0;
    /// Payload Len (32-bit words minus 2).
    pub const PAYLOAD_LEN: usize = 1;
    /// Reserved.
    pub const RESERVED: Range<usize> = 2..4;
    /// Security Parameters Index.
    pub const SPI: Range<usize> = 4..8;
    /// Sequence Number.
    pub const SEQ: Range<usize> = 8..12;
}

/// Display-filter fields this module produces (Wireshark's packet-ipsec.c names).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("ah", FieldType::Protocol, "Authentication Header"),
    FieldDef::new("ah.next_header", FieldType::Uint, "Next header"),
    FieldDef::new("ah.length", FieldType::Uint, "Header length in octets"),
    FieldDef::new("ah.reserved", FieldType::Bytes, "Reserved"),
    FieldDef::new("ah.spi", FieldType::Uint, "AH SPI"),
    FieldDef::new("ah.sequence", FieldType::Uint, "AH Sequence"),
    FieldDef::new("ah.icv", FieldType::Bytes, "AH ICV"),
];

/// A checked view of an AH header.
#[derive(Debug, Clone, Copy)]
pub struct AhView<'a> {
    hdr: &'a [u8],
}

impl<'a> AhView<'a> {
    /// Checks the fixed part and that the length Payload Len declares is present and at
    /// least the fixed part.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < FIXED_LEN {
            return Err(DecodeError::truncated("ah", 0, FIXED_LEN, b.len()).clause("RFC4302-2"));
        }
        let len = (usize::from(b[field::PAYLOAD_LEN]) + 2) * 4;
        if len < FIXED_LEN {
            return Err(DecodeError::new(
                crate::Kind::BadLength,
                "ah.length",
                field::PAYLOAD_LEN,
                format!("header length {len} is shorter than the fixed {FIXED_LEN} octets"),
            )
            .clause("RFC4302-2.2"));
        }
        let hdr = b
            .get(..len)
            .ok_or_else(|| DecodeError::truncated("ah.length", field::PAYLOAD_LEN, len, b.len()).clause("RFC4302-2.2"))?;
        Ok(Self { hdr })
    }

    /// Next Header.
    pub fn next_header(&self) -> IpProto {
        IpProto(self.hdr[field::NEXT_HEADER]) // checked in `new`
    }
    /// Header length in octets ((Payload Len + 2) × 4).
    pub fn header_len(&self) -> usize {
        self.hdr.len()
    }
    /// Reserved (should be 0).
    pub fn reserved(&self) -> u16 {
        u16::from_be_bytes([self.hdr[2], self.hdr[3]]) // checked in `new`
    }
    /// SPI.
    pub fn spi(&self) -> u32 {
        be_u32(self.hdr, field::SPI.start).unwrap_or(0)
    }
    /// Sequence Number.
    pub fn seq(&self) -> u32 {
        be_u32(self.hdr, field::SEQ.start).unwrap_or(0)
    }
    /// ICV.
    pub fn icv(&self) -> &'a [u8] {
        self.hdr.get(FIXED_LEN..).unwrap_or(&[])
    }
}

/// An AH header (the payload is the next layer's).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ah {
    /// Next Header.
    pub next_header: u8,
    /// Reserved, kept for octet-exact re-encoding.
    pub reserved: u16,
    /// SPI.
    pub spi: u32,
    /// Sequence Number.
    pub seq: u32,
    /// ICV (a multiple of 4 octets for IPv4, of 8 for IPv6).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub icv: Vec<u8>,
}

impl Ah {
    /// Parses the header at the start of `b`.
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        let v = AhView::new(b)?;
        Ok(Self { next_header: v.next_header().0, reserved: v.reserved(), spi: v.spi(), seq: v.seq(), icv: v.icv().to_vec() })
    }

    /// Appends the header; Payload Len is computed.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len = self.buffer_len();
        if !len.is_multiple_of(4) {
            return Err(EncodeError::new("ah.icv", format!("ICV of {} octets is not a multiple of 4", self.icv.len())));
        }
        let plen = u8::try_from(len / 4 - 2).map_err(|_| EncodeError::new("ah.length", format!("header of {len} octets")))?;
        out.push(self.next_header);
        out.push(plen);
        out.extend_from_slice(&self.reserved.to_be_bytes());
        out.extend_from_slice(&self.spi.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.icv);
        Ok(())
    }

    /// Octets [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        FIXED_LEN + self.icv.len()
    }
}

impl fmt::Display for Ah {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AH(spi={:#010x},seq={:#x}), next header {}", self.spi, self.seq, self.next_header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4302 §2: AH with HMAC-SHA1-96 (Payload Len 4 = 6 words), next header 6 (TCP).
    #[rustfmt::skip]
    const AH: [u8; 24] = [
        0x06,                   // Next Header: TCP
        0x04,                   // Payload Len: (24 / 4) - 2
        0x00, 0x00,             // Reserved
        0x00, 0x00, 0x10, 0x01, // SPI
        0x00, 0x00, 0x00, 0x07, // Sequence Number
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, // ICV
    ];

    #[test]
    fn rfc4302_2_parse_emit() {
        let v = AhView::new(&AH).unwrap();
        assert_eq!((v.next_header(), v.header_len(), v.spi(), v.seq()), (IpProto::TCP, 24, 0x1001, 7));
        let r = Ah::parse(&AH).unwrap();
        assert_eq!(r.icv, (1..=12).collect::<Vec<u8>>());
        let mut out = vec![];
        r.emit(&mut out).unwrap();
        assert_eq!(out, AH);
    }

    #[test]
    fn rfc4302_2_2_truncation_and_bad_length() {
        for n in 0..AH.len() {
            let e = AhView::new(&AH[..n]).unwrap_err();
            assert_eq!(e.kind, crate::Kind::Truncated, "prefix {n}");
        }
        let mut b = AH;
        b[1] = 0; // 8 octets: shorter than the fixed part
        assert_eq!(AhView::new(&b).unwrap_err().kind, crate::Kind::BadLength);
    }

    #[test]
    fn emit_refuses_unaligned_icv() {
        let r = Ah { next_header: 4, reserved: 0, spi: 1, seq: 1, icv: vec![0; 5] };
        assert!(r.emit(&mut vec![]).is_err());
    }
}
