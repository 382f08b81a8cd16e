//! IPv6 header and extension headers (RFC 8200 §3, §4).
//!
//! ```text
//! +-------+---------------+---------------------------------------+
//! |Version| Traffic Class |              Flow Label               |
//! +-------+---------------+-------+---------------+---------------+
//! |        Payload Length         |  Next Header  |   Hop Limit   |
//! +-------------------------------+---------------+---------------+
//! |                 Source Address (16) | Destination Address (16) |
//! +---------------------------------------------------------------+
//! ```
//!
//! Hop-by-hop, routing and destination options headers share the layout Next Header (1),
//! Hdr Ext Len (1, 8-octet units beyond the first 8), data; the fragment header is 8 octets:
//! Next Header, Reserved, Fragment Offset (13) Res (2) M (1), Identification (32).

use crate::bytes::{array, be_u16, be_u32};
use crate::checksum;
use crate::emit::{check_bits, to_u16, to_u8, LenSlot};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::IpProto;
use core::fmt;
use std::net::Ipv6Addr;

/// Fixed header length.
pub const HEADER_LEN: usize = field::DST.end;
/// IP version 6.
pub const VERSION: u8 = 6;
/// Fragment header length.
pub const FRAG_LEN: usize = 8;
/// Most extension headers walked before giving up (a chain longer than this is hostile).
pub const MAX_EXT_HEADERS: usize = 16;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Version (4), traffic class (8), flow label (20).
    pub const VTF: Range<usize> = 0..4;
    /// Payload Length.
    pub const PLEN: Range<usize> = 4..6;
    /// Next Header.
    pub const NXT: usize = 6;
    /// Hop Limit.
    pub const HLIM: usize = 7;
    /// Source address.
    pub const SRC: Range<usize> = 8..24;
    /// Destination address.
    pub const DST: Range<usize> = 24..40;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("ipv6", FieldType::Protocol, "Internet Protocol version 6"),
    FieldDef::new("ipv6.version", FieldType::Uint, "Version"),
    FieldDef::new("ipv6.tclass", FieldType::Uint, "Traffic class"),
    FieldDef::new("ipv6.flow", FieldType::Uint, "Flow label"),
    FieldDef::new("ipv6.plen", FieldType::Uint, "Payload length"),
    FieldDef::new("ipv6.nxt", FieldType::Uint, "Next header"),
    FieldDef::new("ipv6.hlim", FieldType::Uint, "Hop limit"),
    FieldDef::new("ipv6.src", FieldType::Ipv6, "Source address"),
    FieldDef::new("ipv6.dst", FieldType::Ipv6, "Destination address"),
    FieldDef::new("ipv6.hopopts", FieldType::None, "Hop-by-hop options header"),
    FieldDef::new("ipv6.hopopts.nxt", FieldType::Uint, "Next header"),
    FieldDef::new("ipv6.hopopts.len", FieldType::Uint, "Header length, 8-octet units beyond the first"),
    FieldDef::new("ipv6.routing", FieldType::None, "Routing header"),
    FieldDef::new("ipv6.routing.nxt", FieldType::Uint, "Next header"),
    FieldDef::new("ipv6.routing.len", FieldType::Uint, "Header length, 8-octet units beyond the first"),
    FieldDef::new("ipv6.routing.type", FieldType::Uint, "Routing type"),
    FieldDef::new("ipv6.routing.segleft", FieldType::Uint, "Segments left"),
    FieldDef::new("ipv6.dstopts", FieldType::None, "Destination options header"),
    FieldDef::new("ipv6.dstopts.nxt", FieldType::Uint, "Next header"),
    FieldDef::new("ipv6.dstopts.len", FieldType::Uint, "Header length, 8-octet units beyond the first"),
    FieldDef::new("ipv6.fraghdr", FieldType::None, "Fragment header"),
    FieldDef::new("ipv6.fraghdr.nxt", FieldType::Uint, "Next header"),
    FieldDef::new("ipv6.fraghdr.offset", FieldType::Uint, "Fragment offset, 8-octet units"),
    FieldDef::new("ipv6.fraghdr.more", FieldType::Bool, "More fragments"),
    FieldDef::new("ipv6.fraghdr.ident", FieldType::Uint, "Identification"),
];

/// True for the extension headers this module walks (RFC 8200 §4.1; AH and ESP are
/// protocols of their own).
pub fn is_extension(p: IpProto) -> bool {
    matches!(p, IpProto::HOPOPT | IpProto::IPV6_ROUTE | IpProto::IPV6_FRAG | IpProto::IPV6_OPTS)
}

/// A checked view of an IPv6 packet: fixed header present, payload bounded by Payload
/// Length and within the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6View<'a> {
    hdr: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Ipv6View<'a> {
    /// Checks version and Payload Length against `b` (RFC 8200 §3).
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        let first = *b.first().ok_or_else(|| DecodeError::truncated("ipv6", 0, HEADER_LEN, 0).clause("RFC8200-3"))?;
        if first >> 4 != VERSION {
            return Err(DecodeError::new(Kind::Version, "ipv6.version", 0, format!("version {}, not 6", first >> 4)).clause("RFC8200-3"));
        }
        let (hdr, rest) = b
            .split_at_checked(HEADER_LEN)
            .ok_or_else(|| DecodeError::truncated("ipv6", 0, HEADER_LEN, b.len()).clause("RFC8200-3"))?;
        let plen = usize::from(be_u16(hdr, field::PLEN.start).unwrap_or(0));
        let payload = rest
            .get(..plen)
            .ok_or_else(|| DecodeError::truncated("ipv6.plen", field::PLEN.start, plen, rest.len()).clause("RFC8200-3"))?;
        Ok(Self { hdr, payload })
    }

    /// Traffic class.
    pub fn tclass(&self) -> u8 {
        (be_u32(self.hdr, 0).unwrap_or(0) >> 20) as u8 // checked in `new`
    }
    /// Flow label (20 bits).
    pub fn flow(&self) -> u32 {
        be_u32(self.hdr, 0).unwrap_or(0) & 0x000F_FFFF // checked in `new`
    }
    /// Payload Length.
    pub fn payload_len(&self) -> u16 {
        be_u16(self.hdr, field::PLEN.start).unwrap_or(0) // checked in `new`
    }
    /// Next Header.
    pub fn next_header(&self) -> IpProto {
        IpProto(self.hdr.get(field::NXT).copied().unwrap_or(0)) // checked in `new`
    }
    /// Hop Limit.
    pub fn hop_limit(&self) -> u8 {
        self.hdr.get(field::HLIM).copied().unwrap_or(0) // checked in `new`
    }
    /// Source address.
    pub fn src(&self) -> [u8; 16] {
        array(self.hdr, field::SRC.start).unwrap_or_default() // checked in `new`
    }
    /// Destination address.
    pub fn dst(&self) -> [u8; 16] {
        array(self.hdr, field::DST.start).unwrap_or_default() // checked in `new`
    }
    /// Payload (extension headers included), bounded by Payload Length.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// One extension header (RFC 8200 §4.3–§4.6), owned and lossless.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExtHeader {
    /// Which header this is (0, 43, 44 or 60).
    pub kind: IpProto,
    /// Its Next Header field.
    pub next_header: IpProto,
    /// The octets after Next Header and Hdr Ext Len (after Next Header and Reserved for a
    /// fragment header: 6 octets); Hdr Ext Len is derived from them.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub data: Vec<u8>,
}

impl ExtHeader {
    /// Parses one extension header of type `kind` at the start of `b` (offset `base` in the
    /// packet for errors); returns it and its length.
    pub fn parse(kind: IpProto, b: &[u8], base: usize) -> Result<(Self, usize), DecodeError> {
        let name = ext_name(kind);
        let next_header = IpProto(*b.first().ok_or_else(|| DecodeError::truncated(name, base, 2, b.len()).clause("RFC8200-4"))?);
        let len = if kind == IpProto::IPV6_FRAG {
            FRAG_LEN
        } else {
            8 * (1 + usize::from(*b.get(1).ok_or_else(|| DecodeError::truncated(name, base, 2, b.len()).clause("RFC8200-4"))?))
        };
        let all = b
            .get(..len)
            .ok_or_else(|| DecodeError::truncated(name, base, len, b.len()).clause("RFC8200-4"))?;
        let data = if kind == IpProto::IPV6_FRAG { all.get(1..) } else { all.get(2..) };
        Ok((
            Self {
                kind,
                next_header,
                data: data.unwrap_or(&[]).to_vec(),
            },
            len,
        ))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        if self.kind == IpProto::IPV6_FRAG {
            1 + self.data.len()
        } else {
            2 + self.data.len()
        }
    }

    /// Appends the header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.next_header.0);
        if self.kind == IpProto::IPV6_FRAG {
            if self.data.len() != FRAG_LEN - 1 {
                return Err(EncodeError::new("ipv6.fraghdr", "a fragment header has 7 octets after Next Header"));
            }
        } else {
            let n = self.buffer_len();
            if !n.is_multiple_of(8) {
                return Err(EncodeError::new(ext_name(self.kind), format!("{n} octets: not a multiple of 8")));
            }
            out.push(to_u8(n / 8 - 1, ext_name(self.kind))?);
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }

    /// A fragment header (RFC 8200 §4.5).
    pub fn fragment(next_header: IpProto, offset: u16, more: bool, ident: u32) -> Result<Self, EncodeError> {
        let off = check_bits(u64::from(offset), 13, "ipv6.fraghdr.offset")? as u16;
        let mut data = vec![0u8];
        data.extend_from_slice(&(off << 3 | u16::from(more)).to_be_bytes());
        data.extend_from_slice(&ident.to_be_bytes());
        Ok(Self {
            kind: IpProto::IPV6_FRAG,
            next_header,
            data,
        })
    }

    /// For a fragment header: (offset in 8-octet units, more fragments, identification).
    pub fn fragment_fields(&self) -> Option<(u16, bool, u32)> {
        if self.kind != IpProto::IPV6_FRAG {
            return None;
        }
        let om = be_u16(&self.data, 1)?;
        Some((om >> 3, om & 1 != 0, be_u32(&self.data, 3)?))
    }
}

/// The Wireshark name of an extension header's subtree.
pub fn ext_name(kind: IpProto) -> &'static str {
    match kind {
        IpProto::HOPOPT => "ipv6.hopopts",
        IpProto::IPV6_ROUTE => "ipv6.routing",
        IpProto::IPV6_FRAG => "ipv6.fraghdr",
        _ => "ipv6.dstopts",
    }
}

/// An owned IPv6 header with its extension headers; Payload Length is derived by `emit`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ipv6 {
    /// Traffic class.
    pub tclass: u8,
    /// Flow label, 20 bits.
    pub flow: u32,
    /// Next Header of the fixed header.
    pub next_header: IpProto,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source address.
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
    /// Extension headers in order; each one's `kind` equals the previous Next Header.
    pub ext: Vec<ExtHeader>,
}

impl Ipv6 {
    /// Parses the fixed header and the extension headers; returns the header, the upper-layer
    /// protocol, and the offset of the upper-layer payload within the packet (its end is
    /// 40 + Payload Length).
    pub fn parse(b: &[u8]) -> Result<(Self, IpProto, core::ops::Range<usize>), DecodeError> {
        let v = Ipv6View::new(b)?;
        let mut h = Self {
            tclass: v.tclass(),
            flow: v.flow(),
            next_header: v.next_header(),
            hop_limit: v.hop_limit(),
            src: v.src(),
            dst: v.dst(),
            ext: Vec::new(),
        };
        let payload = v.payload();
        let mut at = 0usize;
        let mut nxt = h.next_header;
        while is_extension(nxt) {
            if h.ext.len() >= MAX_EXT_HEADERS {
                return Err(DecodeError::new(
                    Kind::Unsupported,
                    ext_name(nxt),
                    HEADER_LEN + at,
                    "too many extension headers",
                ));
            }
            let (e, n) = ExtHeader::parse(nxt, payload.get(at..).unwrap_or(&[]), HEADER_LEN + at)?;
            nxt = e.next_header;
            h.ext.push(e);
            at += n;
        }
        Ok((h, nxt, HEADER_LEN + at..HEADER_LEN + payload.len()))
    }

    /// Header octets `emit` writes (extension headers included).
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.ext.iter().map(ExtHeader::buffer_len).sum::<usize>()
    }

    /// Appends the header and extension headers for an upper-layer payload of `payload_len`.
    pub fn emit(&self, out: &mut Vec<u8>, payload_len: usize) -> Result<(), EncodeError> {
        let flow = check_bits(u64::from(self.flow), 20, "ipv6.flow")? as u32;
        let vtf = u32::from(VERSION) << 28 | u32::from(self.tclass) << 20 | flow;
        out.extend_from_slice(&vtf.to_be_bytes());
        let plen = LenSlot::u16(out);
        out.push(self.next_header.0);
        out.push(self.hop_limit);
        out.extend_from_slice(&self.src);
        out.extend_from_slice(&self.dst);
        let start = out.len();
        for e in &self.ext {
            e.emit(out)?;
        }
        let n = (out.len() - start)
            .checked_add(payload_len)
            .ok_or_else(|| EncodeError::new("ipv6.plen", "overflow"))?;
        to_u16(n, "ipv6.plen")?;
        plen.fill(out, n, "ipv6.plen")
    }

    /// The upper-layer protocol (the last Next Header).
    pub fn upper_protocol(&self) -> IpProto {
        self.ext.last().map_or(self.next_header, |e| e.next_header)
    }

    /// The pseudo-header for UDP/TCP checksums.
    pub fn pseudo_header(&self) -> checksum::PseudoHeader {
        checksum::PseudoHeader::V6 { src: self.src, dst: self.dst }
    }
}

impl fmt::Display for Ipv6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP6 {} > {}: next header {}, hlim {}",
            Ipv6Addr::from(self.src),
            Ipv6Addr::from(self.dst),
            self.upper_protocol().0,
            self.hop_limit
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2001:db8::1 → 2001:db8::2, hop-by-hop (8 octets of PadN) then fragment then UDP.
    fn packet() -> Vec<u8> {
        let mut p = vec![0x60, 0x12, 0x34, 0x56, 0x00, 0x18, 0x00, 0x40];
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop: next fragment, PadN
        p.extend_from_slice(&[17, 0, 0x00, 0x09, 0xde, 0xad, 0xbe, 0xef]); // frag: off 1, M
        p.extend_from_slice(&[0xA5; 8]);
        p
    }

    #[test]
    fn rfc8200_4_extension_chain_round_trip() {
        let p = packet();
        let (h, upper, at) = Ipv6::parse(&p).unwrap();
        assert_eq!(upper, IpProto::UDP);
        assert_eq!(at, 56..64);
        assert_eq!((h.tclass, h.flow, h.hop_limit), (0x01, 0x23456, 64));
        assert_eq!(h.ext[1].fragment_fields(), Some((1, true, 0xdeadbeef)));
        let mut out = vec![];
        h.emit(&mut out, 8).unwrap();
        assert_eq!(out, p[..56]);
    }

    #[test]
    fn rfc8200_4_5_fragment_builder() {
        let f = ExtHeader::fragment(IpProto::UDP, 1, true, 0xdeadbeef).unwrap();
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        assert_eq!(out, [17, 0, 0x00, 0x09, 0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn truncation_sweep() {
        let p = packet();
        for n in 0..p.len() {
            assert_eq!(Ipv6::parse(&p[..n]).unwrap_err().kind, Kind::Truncated, "prefix {n}");
        }
    }

    #[test]
    fn extension_beyond_payload_length_is_truncated() {
        let mut p = packet();
        p[5] = 12; // payload length covers the hop-by-hop header and half the fragment header
        let e = Ipv6::parse(&p).unwrap_err();
        assert_eq!((e.kind, e.field, e.offset), (Kind::Truncated, "ipv6.fraghdr", 48));
    }
}
