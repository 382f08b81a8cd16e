//! UDP header (RFC 768); checksum over the IPv4 (RFC 768) or IPv6 (RFC 8200 §8.1)
//! pseudo-header.
//!
//! ```text
//! +----------------+----------------+----------------+----------------+
//! |  Source Port   |   Dest. Port   |     Length     |    Checksum    |
//! +----------------+----------------+----------------+----------------+
//! ```
//!
//! Length covers header and data; octets after it in the IP payload are not UDP's.
//! Over IPv4 a zero checksum means "not computed".

use crate::bytes::be_u16;
use crate::checksum::{self, PseudoHeader};
use crate::emit::{to_u16, LenSlot};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::IpProto;
use core::fmt;

/// Header length.
pub const HEADER_LEN: usize = field::CHECKSUM.end;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Source port.
    pub const SRC: Range<usize> = 0..2;
    /// Destination port.
    pub const DST: Range<usize> = 2..4;
    /// Length.
    pub const LEN: Range<usize> = 4..6;
    /// Checksum.
    pub const CHECKSUM: Range<usize> = 6..8;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("udp", FieldType::Protocol, "User Datagram Protocol"),
    FieldDef::new("udp.srcport", FieldType::Uint, "Source port"),
    FieldDef::new("udp.dstport", FieldType::Uint, "Destination port"),
    FieldDef::new("udp.length", FieldType::Uint, "Length (header and data)"),
    FieldDef::new("udp.checksum", FieldType::Uint, "Checksum"),
    FieldDef::new(
        "udp.checksum.status",
        FieldType::Uint,
        "Checksum status: 0 bad, 1 good, 2 not verified / not present",
    ),
];

/// Checksum verdict, numbered as Wireshark's `*.checksum.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// Does not verify.
    Bad = 0,
    /// Verifies.
    Good = 1,
    /// Not checked (zero over IPv4, or no pseudo-header known).
    Unverified = 2,
}

/// A checked view of a UDP datagram (Length within the buffer).
#[derive(Debug, Clone, Copy)]
pub struct UdpView<'a> {
    datagram: &'a [u8],
}

impl<'a> UdpView<'a> {
    /// Checks the header and Length (RFC 768): 8 ≤ Length ≤ octets present.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < HEADER_LEN {
            return Err(DecodeError::truncated("udp", 0, HEADER_LEN, b.len()).clause("RFC768"));
        }
        let len = usize::from(be_u16(b, field::LEN.start).unwrap_or(0));
        if len < HEADER_LEN {
            return Err(DecodeError::new(Kind::BadLength, "udp.length", field::LEN.start, format!("length {len} below 8")).clause("RFC768"));
        }
        let datagram = b
            .get(..len)
            .ok_or_else(|| DecodeError::truncated("udp.length", field::LEN.start, len, b.len()).clause("RFC768"))?;
        Ok(Self { datagram })
    }

    /// Like [`Self::new`], but a datagram that Length says runs past the end of `b` is
    /// accepted with the octets present (a capture cut by its snaplen); the flag says so.
    pub fn new_partial(b: &'a [u8]) -> Result<(Self, bool), DecodeError> {
        match Self::new(b) {
            Err(e) if e.kind == Kind::Truncated && e.field == "udp.length" => Ok((Self { datagram: b }, true)),
            r => r.map(|v| (v, false)),
        }
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be_u16(self.datagram, field::SRC.start).unwrap_or(0) // checked in `new`
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be_u16(self.datagram, field::DST.start).unwrap_or(0) // checked in `new`
    }
    /// Length.
    pub fn len(&self) -> u16 {
        be_u16(self.datagram, field::LEN.start).unwrap_or(0) // checked in `new`
    }
    /// Always false: a checked datagram has its 8-octet header.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Checksum as read.
    pub fn checksum(&self) -> u16 {
        be_u16(self.datagram, field::CHECKSUM.start).unwrap_or(0) // checked in `new`
    }
    /// The data after the header, bounded by Length.
    pub fn payload(&self) -> &'a [u8] {
        self.datagram.get(HEADER_LEN..).unwrap_or(&[])
    }
    /// The whole datagram (header and data).
    pub fn datagram(&self) -> &'a [u8] {
        self.datagram
    }
    /// Verifies the checksum under `ph` (zero over IPv4 is "not computed").
    pub fn checksum_status(&self, ph: Option<&PseudoHeader>) -> ChecksumStatus {
        match ph {
            None => ChecksumStatus::Unverified,
            Some(PseudoHeader::V4 { .. }) if self.checksum() == 0 => ChecksumStatus::Unverified,
            Some(ph) if ph.verifies(IpProto::UDP, self.datagram) => ChecksumStatus::Good,
            Some(_) => ChecksumStatus::Bad,
        }
    }
}

/// An owned UDP header; Length is derived by `emit`, the checksum kept as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Checksum as read or set by `fix_up`.
    pub checksum: u16,
}

impl Udp {
    /// Parses a datagram's header; returns it and the view (payload bounded by Length).
    pub fn parse(b: &[u8]) -> Result<(Self, UdpView<'_>), DecodeError> {
        let v = UdpView::new(b)?;
        Ok((
            Self {
                src_port: v.src_port(),
                dst_port: v.dst_port(),
                checksum: v.checksum(),
            },
            v,
        ))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Appends the header for `payload_len` octets of data.
    pub fn emit(&self, out: &mut Vec<u8>, payload_len: usize) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        let len = LenSlot::u16(out);
        out.extend_from_slice(&self.checksum.to_be_bytes());
        let n = HEADER_LEN.checked_add(payload_len).ok_or_else(|| EncodeError::new("udp.length", "overflow"))?;
        to_u16(n, "udp.length")?;
        len.fill(out, n, "udp.length")
    }

    /// Sets the checksum for `payload` under `ph` (RFC 768: a computed zero is sent as ones).
    pub fn fix_up(&mut self, ph: &PseudoHeader, payload: &[u8]) -> Result<(), EncodeError> {
        self.checksum = 0;
        let mut d = Vec::with_capacity(HEADER_LEN + payload.len());
        self.emit(&mut d, payload.len())?;
        d.extend_from_slice(payload);
        self.checksum = checksum::udp_nonzero(ph.checksum(IpProto::UDP, &d));
        Ok(())
    }
}

impl fmt::Display for Udp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UDP {} > {}", self.src_port, self.dst_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vector 28's inner datagram: 10.1.5.25:50125 → 10.1.80.82:33436, 24 octets of data.
    fn inner() -> (PseudoHeader, Vec<u8>) {
        let d = hex::decode("c3cd829c00208128636f2d6c6f63617465642c20626568696e642061206e6174").unwrap();
        (
            PseudoHeader::V4 {
                src: [10, 1, 5, 25],
                dst: [10, 1, 80, 82],
            },
            d,
        )
    }

    #[test]
    fn rfc768_checksum_over_ipv4_pseudo_header() {
        let (ph, d) = inner();
        let (h, v) = Udp::parse(&d).unwrap();
        assert_eq!((v.src_port(), v.dst_port(), v.len()), (50125, 33436, 32));
        assert_eq!(v.checksum_status(Some(&ph)), ChecksumStatus::Good);
        let mut h2 = h.clone();
        h2.fix_up(&ph, v.payload()).unwrap();
        assert_eq!(h2, h);
        let mut out = vec![];
        h.emit(&mut out, v.payload().len()).unwrap();
        assert_eq!(out, d[..8]);
        let mut bad = d.clone();
        bad[20] ^= 1;
        assert_eq!(UdpView::new(&bad).unwrap().checksum_status(Some(&ph)), ChecksumStatus::Bad);
    }

    #[test]
    fn rfc8200_8_1_checksum_over_ipv6_pseudo_header() {
        let ph = PseudoHeader::V6 {
            src: [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            dst: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        };
        let mut h = Udp {
            src_port: 547,
            dst_port: 546,
            checksum: 0,
        };
        h.fix_up(&ph, b"hello").unwrap();
        let mut d = vec![];
        h.emit(&mut d, 5).unwrap();
        d.extend_from_slice(b"hello");
        assert_eq!(UdpView::new(&d).unwrap().checksum_status(Some(&ph)), ChecksumStatus::Good);
        // Over IPv6 zero is not "no checksum" (RFC 8200 §8.1).
        d[6] = 0;
        d[7] = 0;
        assert_eq!(UdpView::new(&d).unwrap().checksum_status(Some(&ph)), ChecksumStatus::Bad);
    }

    #[test]
    fn partial_datagram_of_a_cut_capture() {
        let (_, d) = inner();
        let (v, cut) = UdpView::new_partial(&d[..20]).unwrap();
        assert!(cut);
        assert_eq!((v.len(), v.payload().len()), (32, 12));
        assert!(UdpView::new_partial(&d[..7]).is_err());
    }

    #[test]
    fn rfc768_length_errors_and_truncation_sweep() {
        let (_, d) = inner();
        for n in 0..d.len() {
            assert_eq!(UdpView::new(&d[..n]).unwrap_err().kind, Kind::Truncated, "prefix {n}");
        }
        let mut bad = d.clone();
        bad[5] = 7;
        assert_eq!(UdpView::new(&bad).unwrap_err().kind, Kind::BadLength);
    }
}
