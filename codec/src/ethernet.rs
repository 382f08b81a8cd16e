//! Ethernet II (DIX) and IEEE 802.3 MAC headers (IEEE 802.3 §3.1.1), no FCS.
//!
//! ```text
//! +-------------------+-------------------+---------------+----------------
//! | Destination (6)   | Source (6)        | Type/Len (2)  | payload, padding
//! +-------------------+-------------------+---------------+----------------
//! ```
//!
//! Type/Len ≥ 0x0600 is an EtherType (Ethernet II); ≤ 1500 is the length of the LLC
//! payload (IEEE 802.3), the rest of the frame being padding to the 60-octet minimum.
//! In Ethernet II the payload runs to the end of the frame; the upper layer (IPv4 total
//! length, MVTP PDU Length) tells its octets from the padding.

use crate::bytes::{array, be_u16};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::EtherType;
use core::fmt;

/// An IEEE 802 MAC address.
pub type Mac = [u8; 6];

/// Header length.
pub const HEADER_LEN: usize = field::TYPE_LEN.end;
/// Shortest frame without FCS (IEEE 802.3 §4.2.3.3: 64 with FCS).
pub const MIN_FRAME_LEN: usize = 60;
/// The broadcast address.
pub const BROADCAST: Mac = [0xFF; 6];
/// The MVTP 802 multicast address (spec §1).
pub const MVTP_MULTICAST: Mac = [0x03, 0x4D, 0x56, 0x54, 0x50, 0x00];

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Destination address.
    pub const DST: Range<usize> = 0..6;
    /// Source address.
    pub const SRC: Range<usize> = 6..12;
    /// EtherType or 802.3 length.
    pub const TYPE_LEN: Range<usize> = 12..14;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("eth", FieldType::Protocol, "Ethernet II / IEEE 802.3"),
    FieldDef::new("eth.dst", FieldType::Mac, "Destination"),
    FieldDef::new("eth.src", FieldType::Mac, "Source"),
    FieldDef::new("eth.type", FieldType::Uint, "EtherType"),
    FieldDef::new("eth.len", FieldType::Uint, "IEEE 802.3 length"),
    FieldDef::new("eth.padding", FieldType::Bytes, "Padding after the payload"),
    FieldDef::new("eth.trailer", FieldType::Bytes, "Octets after an 802.3 payload and its padding"),
    FieldDef::new("arp", FieldType::Protocol, "ARP (summary)"),
    FieldDef::new("arp.opcode", FieldType::Uint, "ARP opcode"),
    FieldDef::new("arp.src.proto_ipv4", FieldType::Ipv4, "Sender IPv4 address"),
    FieldDef::new("arp.dst.proto_ipv4", FieldType::Ipv4, "Target IPv4 address"),
    FieldDef::new("null", FieldType::Protocol, "BSD loopback"),
    FieldDef::new("null.family", FieldType::Uint, "Address family"),
];

/// Formats a MAC lowercase with colons (spec §10).
pub fn mac_string(m: &Mac) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// What the Type/Len field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeLen {
    /// An EtherType (≥ 0x0600).
    Type(EtherType),
    /// An IEEE 802.3 length (≤ 1500).
    Len(u16),
    /// 1501..=1535: neither (IEEE 802.3 §3.2.6 leaves it undefined).
    Invalid(u16),
}

impl TypeLen {
    /// Classifies a raw Type/Len value.
    pub fn from_raw(v: u16) -> Self {
        if v <= EtherType::MAX_8023_LENGTH {
            TypeLen::Len(v)
        } else if v >= EtherType::MIN_ETHERTYPE {
            TypeLen::Type(EtherType(v))
        } else {
            TypeLen::Invalid(v)
        }
    }
}

/// A checked view of an Ethernet header.
#[derive(Debug, Clone, Copy)]
pub struct EthernetView<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> EthernetView<'a> {
    /// Checks that the 14-octet header is present.
    pub fn new(frame: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr = frame
            .get(..HEADER_LEN)
            .and_then(|h| <&[u8; HEADER_LEN]>::try_from(h).ok())
            .ok_or_else(|| DecodeError::truncated("eth", 0, HEADER_LEN, frame.len()).clause("IEEE802.3-3.1.1"))?;
        Ok(Self { hdr })
    }

    /// Destination address.
    pub fn dst(&self) -> Mac {
        array(self.hdr, field::DST.start).unwrap_or_default() // length checked in `new`
    }

    /// Source address.
    pub fn src(&self) -> Mac {
        array(self.hdr, field::SRC.start).unwrap_or_default() // length checked in `new`
    }

    /// The raw Type/Len value.
    pub fn type_len_raw(&self) -> u16 {
        be_u16(self.hdr, field::TYPE_LEN.start).unwrap_or(0) // length checked in `new`
    }

    /// The Type/Len field, classified.
    pub fn type_len(&self) -> TypeLen {
        TypeLen::from_raw(self.type_len_raw())
    }
}

/// An owned Ethernet header. `type_len` is kept raw: an EtherType, or the 802.3 length
/// (the stack builder fills it from the LLC payload it encloses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ethernet {
    /// Destination address.
    pub dst: Mac,
    /// Source address.
    pub src: Mac,
    /// EtherType, or IEEE 802.3 length.
    pub type_len: u16,
}

impl Ethernet {
    /// Parses the header; returns it and the header length.
    pub fn parse(frame: &[u8]) -> Result<(Self, usize), DecodeError> {
        let v = EthernetView::new(frame)?;
        Ok((
            Self {
                dst: v.dst(),
                src: v.src(),
                type_len: v.type_len_raw(),
            },
            HEADER_LEN,
        ))
    }

    /// Appends the 14 header octets.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.dst);
        out.extend_from_slice(&self.src);
        out.extend_from_slice(&self.type_len.to_be_bytes());
        Ok(())
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// The Type/Len field, classified.
    pub fn kind(&self) -> TypeLen {
        TypeLen::from_raw(self.type_len)
    }
}

impl fmt::Display for Ethernet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} > {}", mac_string(&self.src), mac_string(&self.dst))?;
        match self.kind() {
            TypeLen::Type(t) => write!(f, ", ethertype {:#06x}", t.0),
            TypeLen::Len(n) => write!(f, ", 802.3 length {n}"),
            TypeLen::Invalid(v) => write!(f, ", type/length {v:#06x} (invalid)"),
        }
    }
}

/// The 802.3 payload bound (IEEE 802.3 §3.2.6): `len` octets after the header must be present.
pub fn check_8023_length(len: u16, available: usize) -> Result<(), DecodeError> {
    if usize::from(len) > available {
        return Err(DecodeError::new(
            Kind::Truncated,
            "eth.len",
            field::TYPE_LEN.start,
            format!("802.3 length {len} but {available} octets follow the header"),
        )
        .clause("IEEE802.3-3.2.6"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vector 01's header: MVTP multicast destination, EtherType 0x88B5 (spec §1).
    #[rustfmt::skip]
    const DIX: [u8; 14] = [
        0x03, 0x4d, 0x56, 0x54, 0x50, 0x00, // destination: MVTP multicast
        0x00, 0x1e, 0x49, 0x7a, 0x10, 0x01, // source
        0x88, 0xb5,                         // EtherType MVTP
    ];

    #[test]
    fn ieee802_3_3_1_1_dix_header_round_trip() {
        let v = EthernetView::new(&DIX).unwrap();
        assert_eq!(v.dst(), MVTP_MULTICAST);
        assert_eq!(v.type_len(), TypeLen::Type(EtherType::MVTP));
        let (h, n) = Ethernet::parse(&DIX).unwrap();
        assert_eq!(n, 14);
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, DIX);
        assert_eq!(h.to_string(), "00:1e:49:7a:10:01 > 03:4d:56:54:50:00, ethertype 0x88b5");
    }

    #[test]
    fn ieee802_3_3_2_6_type_len_classes() {
        assert_eq!(TypeLen::from_raw(16), TypeLen::Len(16));
        assert_eq!(TypeLen::from_raw(1500), TypeLen::Len(1500));
        assert_eq!(TypeLen::from_raw(1501), TypeLen::Invalid(1501));
        assert_eq!(TypeLen::from_raw(0x0600), TypeLen::Type(EtherType(0x0600)));
        assert!(check_8023_length(47, 46).is_err());
        assert!(check_8023_length(46, 46).is_ok());
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..DIX.len() {
            let e = EthernetView::new(&DIX[..n]).unwrap_err();
            assert_eq!((e.kind, e.offset), (Kind::Truncated, 0));
        }
    }
}
