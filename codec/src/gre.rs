//! GRE (RFC 2784, key and sequence number RFC 2890, routing RFC 1701) and the enhanced
//! GRE of PPTP (version 1, RFC 2637 §4.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Checksum (optional)      |       Offset (optional)       |  C or R
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Key (optional)                        |  K
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Sequence Number (optional)                    |  S
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Acknowledgment Number (optional, version 1)         |  A
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Routing (optional, RFC 1701)               |  R
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! In version 1 the key is Payload Length (16) and Call ID (16). The protocol type is an
//! EtherType; 0x88B5 carries MVTP [FMT-1].

use crate::bytes::{be_u16, be_u32};
use crate::checksum;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::EtherType;
use core::fmt;

/// Fixed part: flags/version and protocol type.
pub const BASE_LEN: usize = field::PROTO.end;
/// C: checksum present.
pub const FLAG_C: u16 = 0x8000;
/// R: routing present (RFC 1701; RFC 2784 makes it reserved).
pub const FLAG_R: u16 = 0x4000;
/// K: key present (RFC 2890).
pub const FLAG_K: u16 = 0x2000;
/// S: sequence number present (RFC 2890).
pub const FLAG_S: u16 = 0x1000;
/// s: strict source route (RFC 1701).
pub const FLAG_SSR: u16 = 0x0800;
/// Recursion control (RFC 1701), 3 bits.
pub const RECUR_MASK: u16 = 0x0700;
/// A: acknowledgment number present (version 1, RFC 2637).
pub const FLAG_A: u16 = 0x0080;
/// Remaining flag bits (reserved).
pub const FLAGS_MASK: u16 = 0x0078;
/// Version, 3 bits.
pub const VERSION_MASK: u16 = 0x0007;
/// Version 0: RFC 2784.
pub const VERSION_0: u8 = 0;
/// Version 1: enhanced GRE (PPTP).
pub const VERSION_1: u8 = 1;

/// Field offsets of the fixed part (the optional fields follow in order).
pub mod field {
    use core::ops::Range;
    /// Flags and version.
    pub const FLAGS_VERSION: Range<usize> = 0..2;
    /// Protocol type.
    pub const PROTO: Range<usize> = 2..4;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("gre", FieldType::Protocol, "Generic Routing Encapsulation"),
    FieldDef::new("gre.flags_and_version", FieldType::Uint, "Flags and version"),
    FieldDef::new("gre.flags.checksum", FieldType::Bool, "Checksum present"),
    FieldDef::new("gre.flags.routing", FieldType::Bool, "Routing present"),
    FieldDef::new("gre.flags.key", FieldType::Bool, "Key present"),
    FieldDef::new("gre.flags.sequence_number", FieldType::Bool, "Sequence number present"),
    FieldDef::new("gre.flags.strict_source_route", FieldType::Bool, "Strict source route"),
    FieldDef::new("gre.flags.recursion_control", FieldType::Uint, "Recursion control"),
    FieldDef::new("gre.flags.ack", FieldType::Bool, "Acknowledgment present (version 1)"),
    FieldDef::new("gre.flags.flags", FieldType::Uint, "Reserved flags"),
    FieldDef::new("gre.flags.version", FieldType::Uint, "Version"),
    FieldDef::new("gre.proto", FieldType::Uint, "Protocol type"),
    FieldDef::new("gre.checksum", FieldType::Uint, "Checksum"),
    FieldDef::new("gre.checksum.status", FieldType::Uint, "Checksum status: 0 bad, 1 good"),
    FieldDef::new("gre.offset", FieldType::Uint, "Offset (reserved1)"),
    FieldDef::new("gre.key", FieldType::Uint, "Key"),
    FieldDef::new("gre.key.payload_length", FieldType::Uint, "Payload length (version 1 key)"),
    FieldDef::new("gre.key.call_id", FieldType::Uint, "Call ID (version 1 key)"),
    FieldDef::new("gre.sequence_number", FieldType::Uint, "Sequence number"),
    FieldDef::new("gre.ack_number", FieldType::Uint, "Acknowledgment number"),
    FieldDef::new("gre.routing", FieldType::Bytes, "Source route entries (RFC 1701)"),
];

/// Offsets of the optional fields of one header, from its first octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Checksum and offset (4 octets).
    pub checksum: Option<usize>,
    /// Key.
    pub key: Option<usize>,
    /// Sequence number.
    pub seq: Option<usize>,
    /// Acknowledgment number.
    pub ack: Option<usize>,
    /// Routing (variable, to the header end).
    pub routing: Option<usize>,
    /// Header length.
    pub len: usize,
}

/// A checked view of a GRE header: every field its flags announce is present.
#[derive(Debug, Clone, Copy)]
pub struct GreView<'a> {
    b: &'a [u8],
    layout: Layout,
}

fn trunc(field: &'static str, at: usize, need: usize, have: usize) -> DecodeError {
    DecodeError::truncated(field, at, need, have.saturating_sub(at)).clause("RFC2784-2.1")
}

impl<'a> GreView<'a> {
    /// Checks the header against `b` (the IP payload). Versions other than 0 and 1 are a
    /// `version` error.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        let fv = be_u16(b, field::FLAGS_VERSION.start).ok_or_else(|| trunc("gre.flags_and_version", 0, 2, b.len()))?;
        if be_u16(b, field::PROTO.start).is_none() {
            return Err(trunc("gre.proto", field::PROTO.start, 2, b.len()));
        }
        let version = (fv & VERSION_MASK) as u8;
        if version > VERSION_1 {
            return Err(DecodeError::new(Kind::Version, "gre.flags.version", 0, format!("GRE version {version}")).clause("RFC2784-2.1"));
        }
        let mut l = Layout::default();
        let mut at = BASE_LEN;
        let need = |f: &'static str, at: usize, n: usize| -> Result<usize, DecodeError> {
            if b.len() < at + n {
                Err(trunc(f, at, n, b.len()))
            } else {
                Ok(at + n)
            }
        };
        if fv & (FLAG_C | FLAG_R) != 0 {
            l.checksum = Some(at);
            at = need("gre.checksum", at, 4)?;
        }
        if fv & FLAG_K != 0 {
            l.key = Some(at);
            at = need("gre.key", at, 4)?;
        }
        if fv & FLAG_S != 0 {
            l.seq = Some(at);
            at = need("gre.sequence_number", at, 4)?;
        }
        if version == VERSION_1 && fv & FLAG_A != 0 {
            l.ack = Some(at);
            at = need("gre.ack_number", at, 4)?;
        }
        if fv & FLAG_R != 0 {
            l.routing = Some(at);
            // RFC 1701 §2.1: SREs until one with address family 0 and length 0.
            loop {
                let af = be_u16(b, at).ok_or_else(|| trunc("gre.routing", at, 4, b.len()))?;
                let len = *b.get(at + 3).ok_or_else(|| trunc("gre.routing", at, 4, b.len()))?;
                at = need("gre.routing", at, 4 + usize::from(len))?;
                if af == 0 && len == 0 {
                    break;
                }
            }
        }
        l.len = at;
        Ok(Self { b, layout: l })
    }

    /// Where each optional field is.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// Header length.
    pub fn header_len(&self) -> usize {
        self.layout.len
    }
    /// Flags and version.
    pub fn flags_and_version(&self) -> u16 {
        be_u16(self.b, 0).unwrap_or(0) // checked in `new`
    }
    /// Version (0 or 1).
    pub fn version(&self) -> u8 {
        (self.flags_and_version() & VERSION_MASK) as u8
    }
    /// Protocol type.
    pub fn proto(&self) -> EtherType {
        EtherType(be_u16(self.b, field::PROTO.start).unwrap_or(0)) // checked in `new`
    }
    /// Checksum, when present.
    pub fn checksum(&self) -> Option<u16> {
        self.layout.checksum.and_then(|at| be_u16(self.b, at))
    }
    /// Offset / reserved1, when present.
    pub fn offset(&self) -> Option<u16> {
        self.layout.checksum.and_then(|at| be_u16(self.b, at + 2))
    }
    /// Key, when present.
    pub fn key(&self) -> Option<u32> {
        self.layout.key.and_then(|at| be_u32(self.b, at))
    }
    /// Sequence number, when present.
    pub fn seq(&self) -> Option<u32> {
        self.layout.seq.and_then(|at| be_u32(self.b, at))
    }
    /// Acknowledgment number, when present (version 1).
    pub fn ack(&self) -> Option<u32> {
        self.layout.ack.and_then(|at| be_u32(self.b, at))
    }
    /// Routing octets (SREs, null SRE included), when present.
    pub fn routing(&self) -> Option<&'a [u8]> {
        self.layout.routing.and_then(|at| self.b.get(at..self.layout.len))
    }
    /// The payload after the header.
    pub fn payload(&self) -> &'a [u8] {
        self.b.get(self.layout.len..).unwrap_or(&[])
    }
    /// When a checksum is present: whether it verifies over header and payload (RFC 2784 §2.5).
    pub fn checksum_ok(&self) -> Option<bool> {
        self.layout.checksum.map(|_| checksum::verifies(self.b))
    }
}

/// An owned GRE header. `flags_and_version` is kept whole (reserved bits, recursion,
/// version); each optional field must be present exactly when its flag says so.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Gre {
    /// Flags and version, all 16 bits.
    pub flags_and_version: u16,
    /// Protocol type of the payload.
    pub proto: EtherType,
    /// Checksum (with C or R).
    pub checksum: Option<u16>,
    /// Offset / reserved1 (with C or R).
    pub offset: Option<u16>,
    /// Key (with K).
    pub key: Option<u32>,
    /// Sequence number (with S).
    pub seq: Option<u32>,
    /// Acknowledgment number (version 1 with A).
    pub ack: Option<u32>,
    /// RFC 1701 source route entries, null SRE included (with R).
    #[cfg_attr(feature = "serde", serde(with = "opt_hex"))]
    pub routing: Option<Vec<u8>>,
}

#[cfg(feature = "serde")]
mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|h| hex::decode(h).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Gre {
    /// An RFC 2784 header for `proto` with no optional field.
    pub fn new(proto: EtherType) -> Self {
        Self { proto, ..Self::default() }
    }

    /// Adds a key (RFC 2890 §2.1).
    #[must_use]
    pub fn with_key(mut self, key: u32) -> Self {
        self.flags_and_version |= FLAG_K;
        self.key = Some(key);
        self
    }

    /// Adds a sequence number (RFC 2890 §2.2).
    #[must_use]
    pub fn with_seq(mut self, seq: u32) -> Self {
        self.flags_and_version |= FLAG_S;
        self.seq = Some(seq);
        self
    }

    /// Adds a checksum field (zero until `fix_up`, RFC 2784 §2.5).
    #[must_use]
    pub fn with_checksum(mut self) -> Self {
        self.flags_and_version |= FLAG_C;
        self.checksum = Some(0);
        self.offset = Some(0);
        self
    }

    /// Parses a header; returns it and its length.
    pub fn parse(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        let v = GreView::new(b)?;
        let h = Self {
            flags_and_version: v.flags_and_version(),
            proto: v.proto(),
            checksum: v.checksum(),
            offset: v.offset(),
            key: v.key(),
            seq: v.seq(),
            ack: v.ack(),
            routing: v.routing().map(<[u8]>::to_vec),
        };
        Ok((h, v.header_len()))
    }

    /// Version (0 or 1).
    pub fn version(&self) -> u8 {
        (self.flags_and_version & VERSION_MASK) as u8
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let o4 = |p: bool| if p { 4 } else { 0 };
        BASE_LEN
            + o4(self.checksum.is_some())
            + o4(self.key.is_some())
            + o4(self.seq.is_some())
            + o4(self.ack.is_some())
            + self.routing.as_ref().map_or(0, Vec::len)
    }

    /// Appends the header; fails when an optional field disagrees with its flag.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let fv = self.flags_and_version;
        let agree = |flag: bool, present: bool, name: &'static str| {
            if flag == present {
                Ok(())
            } else {
                Err(EncodeError::new(name, "optional field and its flag disagree"))
            }
        };
        agree(fv & (FLAG_C | FLAG_R) != 0, self.checksum.is_some(), "gre.checksum")?;
        agree(self.checksum.is_some(), self.offset.is_some(), "gre.offset")?;
        agree(fv & FLAG_K != 0, self.key.is_some(), "gre.key")?;
        agree(fv & FLAG_S != 0, self.seq.is_some(), "gre.sequence_number")?;
        agree(self.version() == VERSION_1 && fv & FLAG_A != 0, self.ack.is_some(), "gre.ack_number")?;
        agree(fv & FLAG_R != 0, self.routing.is_some(), "gre.routing")?;
        out.extend_from_slice(&fv.to_be_bytes());
        out.extend_from_slice(&self.proto.0.to_be_bytes());
        if let (Some(c), Some(o)) = (self.checksum, self.offset) {
            out.extend_from_slice(&c.to_be_bytes());
            out.extend_from_slice(&o.to_be_bytes());
        }
        for v in [self.key, self.seq, self.ack].into_iter().flatten() {
            out.extend_from_slice(&v.to_be_bytes());
        }
        if let Some(r) = &self.routing {
            out.extend_from_slice(r);
        }
        Ok(())
    }

    /// Recomputes the checksum (when present) over this header and `payload`.
    pub fn fix_up(&mut self, payload: &[u8]) -> Result<(), EncodeError> {
        if self.checksum.is_none() {
            return Ok(());
        }
        self.checksum = Some(0);
        let mut b = Vec::with_capacity(self.buffer_len() + payload.len());
        self.emit(&mut b)?;
        b.extend_from_slice(payload);
        self.checksum = Some(checksum::internet(&b));
        Ok(())
    }

    /// Version 1: (payload length, call ID) from the key (RFC 2637 §4.1).
    pub fn pptp_key(&self) -> Option<(u16, u16)> {
        if self.version() != VERSION_1 {
            return None;
        }
        self.key.map(|k| ((k >> 16) as u16, k as u16))
    }
}

impl fmt::Display for Gre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GREv{}, proto {:#06x}", self.version(), self.proto.0)?;
        if let Some((len, call)) = self.pptp_key() {
            write!(f, ", call {call}, length {len}")?;
        } else if let Some(k) = self.key {
            write!(f, ", key={k:#x}")?;
        }
        if let Some(s) = self.seq {
            write!(f, ", seq {s}")?;
        }
        if let Some(a) = self.ack {
            write!(f, ", ack {a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2890 header with checksum, key and sequence number, carrying MVTP [FMT-1].
    #[rustfmt::skip]
    const CKS: [u8; 16] = [
        0xb0, 0x00, 0x88, 0xb5, // C K S, version 0; protocol MVTP
        0x00, 0x00, 0x00, 0x00, // checksum (computed in the test), reserved1
        0x00, 0x00, 0x00, 0x28, // key 0x28
        0x00, 0x00, 0x00, 0x07, // sequence number 7
    ];

    #[test]
    fn rfc2890_key_and_sequence_round_trip_with_checksum() {
        let mut g = Gre::new(EtherType::MVTP).with_checksum().with_key(0x28).with_seq(7);
        let payload = [0x10, 0x02, 0x00, 0x08, 0, 0, 0, 0];
        g.fix_up(&payload).unwrap();
        let mut b = vec![];
        g.emit(&mut b).unwrap();
        assert_eq!(b[..4], CKS[..4]);
        assert_eq!(b[8..], CKS[8..]);
        b.extend_from_slice(&payload);
        let v = GreView::new(&b).unwrap();
        assert_eq!((v.key(), v.seq(), v.header_len(), v.checksum_ok()), (Some(0x28), Some(7), 16, Some(true)));
        let (g2, n) = Gre::parse(&b).unwrap();
        assert_eq!((g2, n), (g, 16));
        b[20] ^= 0xFF;
        assert_eq!(GreView::new(&b).unwrap().checksum_ok(), Some(false));
    }

    /// RFC 2637 §4.1 enhanced GRE: K, S, A, version 1, PPP, payload length 0x20, call 6.
    #[rustfmt::skip]
    const PPTP: [u8; 16] = [
        0x30, 0x81, 0x88, 0x0b,
        0x00, 0x20, 0x00, 0x06,
        0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn rfc2637_4_1_enhanced_gre_round_trip() {
        let (g, n) = Gre::parse(&PPTP).unwrap();
        assert_eq!(n, 16);
        assert_eq!(g.pptp_key(), Some((0x20, 6)));
        assert_eq!((g.seq, g.ack), (Some(1), Some(0)));
        let mut out = vec![];
        g.emit(&mut out).unwrap();
        assert_eq!(out, PPTP);
    }

    #[test]
    fn rfc1701_routing_walks_to_the_null_sre() {
        let b = [0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 0xEE];
        let (g, n) = Gre::parse(&b).unwrap();
        assert_eq!(n, 20);
        let mut out = vec![];
        g.emit(&mut out).unwrap();
        assert_eq!(out, b[..20]);
        // gre-heapoverflow-2: C and R with SRE octets running off the end is truncated.
        let e = Gre::parse(&b[..14]).unwrap_err();
        assert_eq!((e.kind, e.field), (Kind::Truncated, "gre.routing"));
    }

    #[test]
    fn rfc2784_2_1_unknown_version_and_truncation_sweep() {
        assert_eq!(GreView::new(&[0, 2, 8, 0]).unwrap_err().kind, Kind::Version);
        for n in 0..CKS.len() {
            assert_eq!(GreView::new(&CKS[..n]).unwrap_err().kind, Kind::Truncated, "prefix {n}");
        }
    }

    #[test]
    fn flag_and_field_must_agree() {
        let g = Gre {
            key: Some(1),
            ..Gre::new(EtherType::IPV4)
        };
        assert_eq!(g.emit(&mut vec![]).unwrap_err().field, "gre.key");
    }
}
