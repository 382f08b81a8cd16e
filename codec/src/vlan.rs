//! IEEE 802.1Q customer and IEEE 802.1ad service VLAN tags (IEEE 802.1Q §9.6).
//!
//! The tag follows an EtherType 0x8100 (C-tag) or 0x88A8 (S-tag); that TPID belongs to the
//! enclosing header, so this module holds the 4 octets after it:
//!
//! ```text
//! +-----+---+--------------+-----------------+
//! | PCP |DEI|   VID (12)   |  Type/Len (2)   |
//! +-----+---+--------------+-----------------+
//! ```

use crate::bytes::be_u16;
use crate::error::{DecodeError, EncodeError};
use crate::fields::{FieldDef, FieldType};
use core::fmt;

/// Tag length after the TPID.
pub const HEADER_LEN: usize = field::TYPE_LEN.end;
/// PCP mask in the TCI.
pub const PCP_MASK: u16 = 0xE000;
/// DEI bit in the TCI.
pub const DEI_BIT: u16 = 0x1000;
/// VID mask in the TCI.
pub const VID_MASK: u16 = 0x0FFF;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Tag control information: PCP(3) DEI(1) VID(12).
    pub const TCI: Range<usize> = 0..2;
    /// The inner EtherType or 802.3 length.
    pub const TYPE_LEN: Range<usize> = 2..4;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("vlan", FieldType::Protocol, "IEEE 802.1Q / 802.1ad tag"),
    FieldDef::new("vlan.priority", FieldType::Uint, "Priority code point"),
    FieldDef::new("vlan.dei", FieldType::Bool, "Drop eligible indicator"),
    FieldDef::new("vlan.id", FieldType::Uint, "VLAN identifier"),
    FieldDef::new("vlan.etype", FieldType::Uint, "Inner EtherType"),
    FieldDef::new("vlan.len", FieldType::Uint, "Inner 802.3 length"),
];

/// A checked view of a tag.
#[derive(Debug, Clone, Copy)]
pub struct VlanView<'a> {
    hdr: &'a [u8],
}

impl<'a> VlanView<'a> {
    /// Checks that the 4 octets are present.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr = b
            .get(..HEADER_LEN)
            .ok_or_else(|| DecodeError::truncated("vlan", 0, HEADER_LEN, b.len()).clause("IEEE802.1Q-9.6"))?;
        Ok(Self { hdr })
    }

    /// The whole TCI.
    pub fn tci(&self) -> u16 {
        be_u16(self.hdr, field::TCI.start).unwrap_or(0) // length checked in `new`
    }

    /// Priority code point (3 bits).
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// Drop eligible indicator.
    pub fn dei(&self) -> bool {
        self.tci() & DEI_BIT != 0
    }

    /// VLAN identifier (12 bits).
    pub fn vid(&self) -> u16 {
        self.tci() & VID_MASK
    }

    /// The inner EtherType or 802.3 length.
    pub fn type_len(&self) -> u16 {
        be_u16(self.hdr, field::TYPE_LEN.start).unwrap_or(0) // length checked in `new`
    }
}

/// An owned tag (the 4 octets after the TPID).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Vlan {
    /// Priority code point, 3 bits.
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier, 12 bits.
    pub vid: u16,
    /// Inner EtherType, or 802.3 length.
    pub type_len: u16,
}

impl Vlan {
    /// Parses the tag; returns it and its length.
    pub fn parse(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        let v = VlanView::new(b)?;
        Ok((
            Self {
                pcp: v.pcp(),
                dei: v.dei(),
                vid: v.vid(),
                type_len: v.type_len(),
            },
            HEADER_LEN,
        ))
    }

    /// Appends the 4 octets.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let pcp = crate::emit::check_bits(u64::from(self.pcp), 3, "vlan.priority")? as u16;
        let vid = crate::emit::check_bits(u64::from(self.vid), 12, "vlan.id")? as u16;
        let tci = pcp << 13 | if self.dei { DEI_BIT } else { 0 } | vid;
        out.extend_from_slice(&tci.to_be_bytes());
        out.extend_from_slice(&self.type_len.to_be_bytes());
        Ok(())
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
}

impl fmt::Display for Vlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vlan {}, p {}, ethertype {:#06x}", self.vid, self.pcp, self.type_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IEEE 802.1Q §9.6: PCP 5, DEI 1, VID 0x123, inner IPv4.
    const TAG: [u8; 4] = [0xB1, 0x23, 0x08, 0x00];

    #[test]
    fn ieee802_1q_9_6_tci_fields_round_trip() {
        let v = VlanView::new(&TAG).unwrap();
        assert_eq!((v.pcp(), v.dei(), v.vid(), v.type_len()), (5, true, 0x123, 0x0800));
        let (t, n) = Vlan::parse(&TAG).unwrap();
        assert_eq!(n, 4);
        let mut out = vec![];
        t.emit(&mut out).unwrap();
        assert_eq!(out, TAG);
    }

    #[test]
    fn too_wide_values_are_encode_errors() {
        let t = Vlan {
            vid: 0x1000,
            ..Vlan::default()
        };
        assert_eq!(t.emit(&mut vec![]).unwrap_err().field, "vlan.id");
        let t = Vlan { pcp: 8, ..Vlan::default() };
        assert_eq!(t.emit(&mut vec![]).unwrap_err().field, "vlan.priority");
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..TAG.len() {
            assert_eq!(VlanView::new(&TAG[..n]).unwrap_err().kind, crate::Kind::Truncated);
        }
    }
}
