//! IPv4 header (RFC 791 §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |    DS field   |          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Total Length bounds the datagram: octets after it (Ethernet padding) are not IP's.

use crate::bytes::{array, be_u16};
use crate::checksum;
use crate::emit::{check_bits, nibbles, to_u16, LenSlot};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::IpProto;
use core::fmt;
use std::net::Ipv4Addr;

/// Header length without options.
pub const MIN_HEADER_LEN: usize = field::DST.end;
/// Longest header (IHL 15).
pub const MAX_HEADER_LEN: usize = 60;
/// IP version 4.
pub const VERSION: u8 = 4;
/// Reserved flag (must be zero; RFC 3514 aside).
pub const FLAG_RB: u8 = 0b100;
/// Don't fragment.
pub const FLAG_DF: u8 = 0b010;
/// More fragments.
pub const FLAG_MF: u8 = 0b001;
/// Option: end of option list (RFC 791 §3.1).
pub const OPT_EOL: u8 = 0;
/// Option: no operation.
pub const OPT_NOP: u8 = 1;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Version (high nibble) and IHL (low nibble).
    pub const VER_IHL: usize = 0;
    /// DS field (DSCP, ECN).
    pub const DSFIELD: usize = 1;
    /// Total Length.
    pub const LEN: Range<usize> = 2..4;
    /// Identification.
    pub const ID: Range<usize> = 4..6;
    /// Flags (3 bits) and Fragment Offset (13 bits, 8-octet units).
    pub const FLAGS_FRAG: Range<usize> = 6..8;
    /// Time to Live.
    pub const TTL: usize = 8;
    /// Protocol.
    pub const PROTO: usize = 9;
    /// Header Checksum.
    pub const CHECKSUM: Range<usize> = 10..12;
    /// Source address.
    pub const SRC: Range<usize> = 12..16;
    /// Destination address.
    pub const DST: Range<usize> = 16..20;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("ip", FieldType::Protocol, "Internet Protocol version 4"),
    FieldDef::new("ip.version", FieldType::Uint, "Version"),
    FieldDef::new("ip.hdr_len", FieldType::Uint, "Header length in octets"),
    FieldDef::new("ip.dsfield", FieldType::Uint, "Differentiated services field"),
    FieldDef::new("ip.dsfield.dscp", FieldType::Uint, "DSCP"),
    FieldDef::new("ip.dsfield.ecn", FieldType::Uint, "ECN"),
    FieldDef::new("ip.len", FieldType::Uint, "Total length"),
    FieldDef::new("ip.id", FieldType::Uint, "Identification"),
    FieldDef::new("ip.flags", FieldType::Uint, "Flags (3 bits)"),
    FieldDef::new("ip.flags.rb", FieldType::Bool, "Reserved bit"),
    FieldDef::new("ip.flags.df", FieldType::Bool, "Don't fragment"),
    FieldDef::new("ip.flags.mf", FieldType::Bool, "More fragments"),
    FieldDef::new("ip.frag_offset", FieldType::Uint, "Fragment offset in octets"),
    FieldDef::new("ip.ttl", FieldType::Uint, "Time to live"),
    FieldDef::new("ip.proto", FieldType::Uint, "Protocol"),
    FieldDef::new("ip.checksum", FieldType::Uint, "Header checksum"),
    FieldDef::new("ip.checksum.status", FieldType::Uint, "Header checksum status: 0 bad, 1 good"),
    FieldDef::new("ip.src", FieldType::Ipv4, "Source address"),
    FieldDef::new("ip.dst", FieldType::Ipv4, "Destination address"),
    FieldDef::new("ip.opt.type", FieldType::Uint, "Option type"),
    FieldDef::new("ip.opt.len", FieldType::Uint, "Option length"),
    FieldDef::new("ip.fragment", FieldType::Bytes, "Fragment payload (not reassembled)"),
];

/// A checked view of an IPv4 datagram: header present, IHL and Total Length consistent and
/// within the buffer.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4View<'a> {
    hdr: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Ipv4View<'a> {
    /// Checks version, IHL and Total Length against `b` (RFC 791 §3.1).
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        let first = *b
            .first()
            .ok_or_else(|| DecodeError::truncated("ip", 0, MIN_HEADER_LEN, 0).clause("RFC791-3.1"))?;
        let version = first >> 4;
        if version != VERSION {
            return Err(DecodeError::new(Kind::Version, "ip.version", 0, format!("version {version}, not 4")).clause("RFC791-3.1"));
        }
        if b.len() < MIN_HEADER_LEN {
            return Err(DecodeError::truncated("ip", 0, MIN_HEADER_LEN, b.len()).clause("RFC791-3.1"));
        }
        let hlen = usize::from(first & 0x0F) * 4;
        if hlen < MIN_HEADER_LEN {
            return Err(DecodeError::new(Kind::BadLength, "ip.hdr_len", 0, format!("header length {hlen} below 20")).clause("RFC791-3.1"));
        }
        let total = usize::from(be_u16(b, field::LEN.start).unwrap_or(0));
        if total < hlen {
            return Err(DecodeError::new(
                Kind::BadLength,
                "ip.len",
                field::LEN.start,
                format!("total length {total} below header length {hlen}"),
            )
            .clause("RFC791-3.1"));
        }
        if hlen > b.len() {
            return Err(DecodeError::truncated("ip.hdr_len", 0, hlen, b.len()).clause("RFC791-3.1"));
        }
        let datagram = b
            .get(..total)
            .ok_or_else(|| DecodeError::truncated("ip.len", field::LEN.start, total, b.len()).clause("RFC791-3.1"))?;
        let (hdr, payload) = datagram.split_at(hlen); // hlen ≤ total checked above
        Ok(Self { hdr, payload })
    }

    /// Like [`Self::new`], but a datagram that Total Length says runs past the end of `b`
    /// is accepted with the octets present (a capture cut by its snaplen); the flag says so.
    pub fn new_partial(b: &'a [u8]) -> Result<(Self, bool), DecodeError> {
        match Self::new(b) {
            Err(e) if e.kind == Kind::Truncated && e.field == "ip.len" => {
                let hlen = usize::from(b.first().copied().unwrap_or(0) & 0x0F) * 4;
                let (hdr, payload) = b.split_at_checked(hlen).ok_or(e)?; // the header is present: checked by `new`
                Ok((Self { hdr, payload }, true))
            }
            r => r.map(|v| (v, false)),
        }
    }

    /// Header octets (options included).
    pub fn header(&self) -> &'a [u8] {
        self.hdr
    }
    /// Header length in octets.
    pub fn header_len(&self) -> usize {
        self.hdr.len()
    }
    /// The payload as bounded by Total Length.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// DS field.
    pub fn dsfield(&self) -> u8 {
        self.hdr.get(field::DSFIELD).copied().unwrap_or(0) // checked in `new`
    }
    /// Total Length.
    pub fn total_len(&self) -> u16 {
        be_u16(self.hdr, field::LEN.start).unwrap_or(0) // checked in `new`
    }
    /// Identification.
    pub fn ident(&self) -> u16 {
        be_u16(self.hdr, field::ID.start).unwrap_or(0) // checked in `new`
    }
    /// The 3 flag bits (RB, DF, MF).
    pub fn flags(&self) -> u8 {
        (be_u16(self.hdr, field::FLAGS_FRAG.start).unwrap_or(0) >> 13) as u8 // checked in `new`
    }
    /// Fragment offset in 8-octet units.
    pub fn frag_offset(&self) -> u16 {
        be_u16(self.hdr, field::FLAGS_FRAG.start).unwrap_or(0) & 0x1FFF // checked in `new`
    }
    /// True for a fragment (MF set or a non-zero offset).
    pub fn is_fragment(&self) -> bool {
        self.flags() & FLAG_MF != 0 || self.frag_offset() != 0
    }
    /// Time to Live.
    pub fn ttl(&self) -> u8 {
        self.hdr.get(field::TTL).copied().unwrap_or(0) // checked in `new`
    }
    /// Protocol.
    pub fn protocol(&self) -> IpProto {
        IpProto(self.hdr.get(field::PROTO).copied().unwrap_or(0)) // checked in `new`
    }
    /// Header Checksum as read.
    pub fn checksum(&self) -> u16 {
        be_u16(self.hdr, field::CHECKSUM.start).unwrap_or(0) // checked in `new`
    }
    /// True when the header checksum verifies (RFC 791 §3.1, RFC 1071).
    pub fn checksum_ok(&self) -> bool {
        checksum::verifies(self.hdr)
    }
    /// Source address.
    pub fn src(&self) -> [u8; 4] {
        array(self.hdr, field::SRC.start).unwrap_or_default() // checked in `new`
    }
    /// Destination address.
    pub fn dst(&self) -> [u8; 4] {
        array(self.hdr, field::DST.start).unwrap_or_default() // checked in `new`
    }
    /// Option octets (after the fixed 20).
    pub fn options(&self) -> &'a [u8] {
        self.hdr.get(MIN_HEADER_LEN..).unwrap_or(&[])
    }
}

/// One option of the options area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionView<'a> {
    /// Offset of the option within the options area.
    pub offset: usize,
    /// Option type.
    pub kind: u8,
    /// The whole option (type, length and data; one octet for EOL and NOP).
    pub octets: &'a [u8],
}

/// Iterates over the options area; stops for good after an error or EOL.
pub fn options(area: &[u8]) -> impl Iterator<Item = Result<OptionView<'_>, DecodeError>> + '_ {
    let mut at = 0usize;
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let kind = *area.get(at)?;
        let start = at;
        if kind == OPT_EOL || kind == OPT_NOP {
            at += 1;
            done = kind == OPT_EOL;
            return Some(Ok(OptionView {
                offset: start,
                kind,
                octets: area.get(start..at).unwrap_or(&[]),
            }));
        }
        let len = match area.get(at + 1) {
            Some(&l) if l >= 2 && start + usize::from(l) <= area.len() => usize::from(l),
            other => {
                done = true;
                let l = other.copied().unwrap_or(0);
                return Some(Err(DecodeError::new(
                    Kind::BadLength,
                    "ip.opt.len",
                    MIN_HEADER_LEN + start,
                    format!("option {kind} length {l} does not fit the {} octets left", area.len() - start),
                )
                .clause("RFC791-3.1")));
            }
        };
        at += len;
        Some(Ok(OptionView {
            offset: start,
            kind,
            octets: area.get(start..at).unwrap_or(&[]),
        }))
    })
}

/// An owned IPv4 header; Total Length and IHL are derived by `emit` (from the payload
/// length and the options), the checksum is kept as read (see [`Ipv4::fix_up`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ipv4 {
    /// DS field (DSCP << 2 | ECN).
    pub dsfield: u8,
    /// Identification.
    pub ident: u16,
    /// Flags: RB, DF, MF (3 bits).
    pub flags: u8,
    /// Fragment offset, 8-octet units (13 bits).
    pub frag_offset: u16,
    /// Time to Live.
    pub ttl: u8,
    /// Protocol of the payload.
    pub protocol: IpProto,
    /// Header checksum as read or as set by `fix_up`.
    pub checksum: u16,
    /// Source address.
    pub src: [u8; 4],
    /// Destination address.
    pub dst: [u8; 4],
    /// Options and padding, a multiple of 4 octets, at most 40.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub options: Vec<u8>,
}

impl Ipv4 {
    /// A header with DF set, TTL 64 and no options (checksum zero until `fix_up`).
    pub fn new(src: [u8; 4], dst: [u8; 4], protocol: IpProto) -> Self {
        Self {
            flags: FLAG_DF,
            ttl: 64,
            protocol,
            src,
            dst,
            ..Self::default()
        }
    }

    /// Parses a datagram's header; returns it and the view (payload bounded by Total Length).
    pub fn parse(b: &[u8]) -> Result<(Self, Ipv4View<'_>), DecodeError> {
        let v = Ipv4View::new(b)?;
        let h = Self {
            dsfield: v.dsfield(),
            ident: v.ident(),
            flags: v.flags(),
            frag_offset: v.frag_offset(),
            ttl: v.ttl(),
            protocol: v.protocol(),
            checksum: v.checksum(),
            src: v.src(),
            dst: v.dst(),
            options: v.options().to_vec(),
        };
        Ok((h, v))
    }

    /// Header length `emit` writes.
    pub fn buffer_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.len()
    }

    /// Appends the header for a payload of `payload_len` octets, checksum as stored.
    pub fn emit(&self, out: &mut Vec<u8>, payload_len: usize) -> Result<(), EncodeError> {
        if !self.options.len().is_multiple_of(4) || self.options.len() > MAX_HEADER_LEN - MIN_HEADER_LEN {
            return Err(EncodeError::new(
                "ip.hdr_len",
                format!("{} option octets: not a multiple of 4 up to 40", self.options.len()),
            ));
        }
        let ihl = (self.buffer_len() / 4) as u8; // ≤ 15 checked above
        out.push(nibbles(VERSION, ihl, "ip.hdr_len")?);
        out.push(self.dsfield);
        let len = LenSlot::u16(out);
        out.extend_from_slice(&self.ident.to_be_bytes());
        let flags = check_bits(u64::from(self.flags), 3, "ip.flags")? as u16;
        let off = check_bits(u64::from(self.frag_offset), 13, "ip.frag_offset")? as u16;
        out.extend_from_slice(&(flags << 13 | off).to_be_bytes());
        out.push(self.ttl);
        out.push(self.protocol.0);
        out.extend_from_slice(&self.checksum.to_be_bytes());
        out.extend_from_slice(&self.src);
        out.extend_from_slice(&self.dst);
        out.extend_from_slice(&self.options);
        let total = self
            .buffer_len()
            .checked_add(payload_len)
            .ok_or_else(|| EncodeError::new("ip.len", "overflow"))?;
        to_u16(total, "ip.len")?;
        len.fill(out, total, "ip.len")
    }

    /// Sets `checksum` to the value that makes the header verify for this payload length.
    pub fn fix_up(&mut self, payload_len: usize) -> Result<(), EncodeError> {
        self.checksum = 0;
        let mut h = Vec::with_capacity(self.buffer_len());
        self.emit(&mut h, payload_len)?;
        self.checksum = checksum::internet(&h);
        Ok(())
    }

    /// True for a fragment.
    pub fn is_fragment(&self) -> bool {
        self.flags & FLAG_MF != 0 || self.frag_offset != 0
    }

    /// The pseudo-header for UDP/TCP checksums.
    pub fn pseudo_header(&self) -> checksum::PseudoHeader {
        checksum::PseudoHeader::V4 { src: self.src, dst: self.dst }
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IP {} > {}: proto {}, ttl {}, id {}",
            Ipv4Addr::from(self.src),
            Ipv4Addr::from(self.dst),
            self.protocol.0,
            self.ttl,
            self.ident
        )?;
        if self.is_fragment() {
            write!(f, ", frag offset {}", u32::from(self.frag_offset) * 8)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vector 05's header: 198.51.100.20 → 203.0.113.5, GRE, DF, TTL 64, total 109.
    #[rustfmt::skip]
    const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x6d, // version 4, IHL 5, DS 0, total length 109
        0x1c, 0x41, 0x40, 0x00, // id 0x1c41, DF
        0x40, 0x2f, 0xb7, 0xd3, // TTL 64, GRE, checksum
        0xc6, 0x33, 0x64, 0x14, // 198.51.100.20
        0xcb, 0x00, 0x71, 0x05, // 203.0.113.5
    ];

    fn datagram() -> Vec<u8> {
        let mut d = HDR.to_vec();
        d.resize(109, 0xA5);
        d
    }

    #[test]
    fn rfc791_3_1_getters_and_round_trip() {
        let d = datagram();
        let (h, v) = Ipv4::parse(&d).unwrap();
        assert_eq!((v.total_len(), v.ttl(), v.protocol(), v.flags()), (109, 64, IpProto::GRE, FLAG_DF));
        assert!(v.checksum_ok());
        assert_eq!(v.payload().len(), 89);
        let mut out = vec![];
        h.emit(&mut out, 89).unwrap();
        assert_eq!(out, HDR);
        let mut h2 = h.clone();
        h2.checksum = 0;
        h2.fix_up(89).unwrap();
        assert_eq!(h2, h);
    }

    #[test]
    fn rfc791_3_1_padding_after_total_length_is_not_payload() {
        let mut d = datagram();
        d.extend_from_slice(&[0; 6]);
        assert_eq!(Ipv4View::new(&d).unwrap().payload().len(), 89);
    }

    #[test]
    fn rfc791_3_1_errors() {
        let d = datagram();
        let e = Ipv4View::new(&d[..108]).unwrap_err();
        assert_eq!((e.kind, e.field, e.offset), (Kind::Truncated, "ip.len", 2));
        let mut bad = d.clone();
        bad[0] = 0x44;
        assert_eq!(Ipv4View::new(&bad).unwrap_err().field, "ip.hdr_len");
        bad[0] = 0x65;
        assert_eq!(Ipv4View::new(&bad).unwrap_err().kind, Kind::Version);
        let mut bad = d.clone();
        bad[3] = 19;
        bad[2] = 0;
        assert_eq!(Ipv4View::new(&bad).unwrap_err().kind, Kind::BadLength);
    }

    #[test]
    fn partial_datagram_of_a_cut_capture() {
        let d = datagram();
        let (v, cut) = Ipv4View::new_partial(&d[..50]).unwrap();
        assert!(cut);
        assert_eq!(v.payload().len(), 30);
        assert!(!Ipv4View::new_partial(&d).unwrap().1);
        assert!(Ipv4View::new_partial(&d[..19]).is_err());
    }

    #[test]
    fn truncation_sweep() {
        let d = datagram();
        for n in 0..d.len() {
            let e = Ipv4View::new(&d[..n]).unwrap_err();
            assert_eq!(e.kind, Kind::Truncated, "prefix {n}");
        }
    }

    #[test]
    fn rfc791_3_1_options_walk() {
        let area = [OPT_NOP, 0x44, 4, 5, OPT_EOL, 0, 0, 0];
        let got: Vec<_> = options(&area).map(|o| o.unwrap().kind).collect();
        assert_eq!(got, [OPT_NOP, 0x44, OPT_EOL]);
        let bad = [0x44, 9, 0, 0];
        assert!(options(&bad).next().unwrap().is_err());
        assert_eq!(options(&bad).count(), 1);
    }

    #[test]
    fn options_must_be_whole_words() {
        let h = Ipv4 {
            options: vec![1, 1, 1],
            ..Ipv4::default()
        };
        assert_eq!(h.emit(&mut vec![], 0).unwrap_err().field, "ip.hdr_len");
    }
}
