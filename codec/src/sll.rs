//! Linux cooked captures: SLL (link type 113) and SLL2 (link type 276)
//! (tcpdump.org "LINKTYPE_LINUX_SLL", "LINKTYPE_LINUX_SLL2"), and the BSD null/loopback
//! headers (link types 0 and 108).
//!
//! ```text
//! SLL:  packet type (2) | ARPHRD (2) | addr len (2) | addr (8) | protocol (2)
//! SLL2: protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) | packet type (1) |
//!       addr len (1) | addr (8)
//! ```

use crate::bytes::{array, be_u16, be_u32};
use crate::error::{DecodeError, EncodeError};
use crate::fields::{FieldDef, FieldType};

/// SLL header length.
pub const SLL_LEN: usize = 16;
/// SLL2 header length.
pub const SLL2_LEN: usize = 20;
/// Protocol value: 802.3 frame without LLC (Novell raw).
pub const PROTO_8023: u16 = 0x0001;
/// Protocol value: 802.2 LLC frame.
pub const PROTO_8022: u16 = 0x0004;
/// ARPHRD_IPGRE: the protocol field is a GRE protocol type.
pub const ARPHRD_IPGRE: u16 = 778;
/// BSD address family: IPv4.
pub const AF_INET: u32 = 2;
/// IPv6 address families of the BSDs and Linux (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30, Linux 10).
pub const AF_INET6: [u32; 4] = [24, 28, 30, 10];

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("sll", FieldType::Protocol, "Linux cooked capture"),
    FieldDef::new("sll.pkttype", FieldType::Uint, "Packet type"),
    FieldDef::new("sll.hatype", FieldType::Uint, "Link-layer address type (ARPHRD)"),
    FieldDef::new("sll.halen", FieldType::Uint, "Link-layer address length"),
    FieldDef::new("sll.src.eth", FieldType::Mac, "Source (Ethernet)"),
    FieldDef::new("sll.src.other", FieldType::Bytes, "Source (other)"),
    FieldDef::new("sll.ltype", FieldType::Uint, "Protocol (not an EtherType)"),
    FieldDef::new("sll.etype", FieldType::Uint, "Protocol (EtherType)"),
    FieldDef::new("sll.ifindex", FieldType::Uint, "Interface index (SLL2)"),
    FieldDef::new("sll.reserved", FieldType::Uint, "Reserved (SLL2)"),
];

/// An owned SLL or SLL2 header (both carry the same information; SLL2 adds ifindex).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Sll {
    /// SLL2 (link type 276) rather than SLL (113).
    pub v2: bool,
    /// Packet type (0 to us, 1 broadcast, 2 multicast, 3 other host, 4 outgoing).
    pub pkttype: u16,
    /// ARPHRD type.
    pub hatype: u16,
    /// Address length as sent (may exceed 8; only 8 octets are stored).
    pub halen: u16,
    /// Address field (8 octets, zero padded).
    pub addr: [u8; 8],
    /// Protocol: an EtherType, or a small value naming 802.2/802.3.
    pub protocol: u16,
    /// Reserved (SLL2 only).
    pub reserved: u16,
    /// Interface index (SLL2 only).
    pub ifindex: u32,
}

impl Sll {
    /// Parses an SLL (`v2` false) or SLL2 header; returns it and its length.
    pub fn parse(b: &[u8], v2: bool) -> Result<(Self, usize), DecodeError> {
        let len = if v2 { SLL2_LEN } else { SLL_LEN };
        if b.len() < len {
            return Err(DecodeError::truncated("sll", 0, len, b.len()));
        }
        let u16_at = |at| be_u16(b, at).unwrap_or(0); // length checked above
        let h = if v2 {
            Self {
                v2,
                protocol: u16_at(0),
                reserved: u16_at(2),
                ifindex: be_u32(b, 4).unwrap_or(0),
                hatype: u16_at(8),
                pkttype: u16::from(b.get(10).copied().unwrap_or(0)),
                halen: u16::from(b.get(11).copied().unwrap_or(0)),
                addr: array(b, 12).unwrap_or_default(),
            }
        } else {
            Self {
                v2,
                pkttype: u16_at(0),
                hatype: u16_at(2),
                halen: u16_at(4),
                addr: array(b, 6).unwrap_or_default(),
                protocol: u16_at(14),
                reserved: 0,
                ifindex: 0,
            }
        };
        Ok((h, len))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        if self.v2 {
            SLL2_LEN
        } else {
            SLL_LEN
        }
    }

    /// Appends the header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.v2 {
            out.extend_from_slice(&self.protocol.to_be_bytes());
            out.extend_from_slice(&self.reserved.to_be_bytes());
            out.extend_from_slice(&self.ifindex.to_be_bytes());
            out.extend_from_slice(&self.hatype.to_be_bytes());
            out.push(crate::emit::to_u8(usize::from(self.pkttype), "sll.pkttype")?);
            out.push(crate::emit::to_u8(usize::from(self.halen), "sll.halen")?);
        } else {
            out.extend_from_slice(&self.pkttype.to_be_bytes());
            out.extend_from_slice(&self.hatype.to_be_bytes());
            out.extend_from_slice(&self.halen.to_be_bytes());
        }
        out.extend_from_slice(&self.addr);
        if !self.v2 {
            out.extend_from_slice(&self.protocol.to_be_bytes());
        }
        Ok(())
    }
}

/// The BSD null header's address family: host byte order, guessed as Wireshark does
/// (a value whose low 16 bits are zero was written big-endian on a little-endian reader).
pub fn null_family(b: [u8; 4], network_order: bool) -> u32 {
    let be = u32::from_be_bytes(b);
    if network_order {
        return be;
    }
    let le = u32::from_le_bytes(b);
    if le & 0xFFFF == 0 && le != 0 {
        be
    } else {
        le
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLL: [u8; 16] = [0, 0, 0, 1, 0, 6, 0, 0x1e, 0x49, 0x7a, 0x10, 0x01, 0, 0, 0x08, 0x00];

    #[test]
    fn linktype_linux_sll_round_trip() {
        let (h, n) = Sll::parse(&SLL, false).unwrap();
        assert_eq!((n, h.hatype, h.halen, h.protocol), (16, 1, 6, 0x0800));
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, SLL);
        for k in 0..SLL.len() {
            assert!(Sll::parse(&SLL[..k], false).is_err());
        }
    }

    #[test]
    fn linktype_linux_sll2_round_trip() {
        let b = [0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0];
        let (h, n) = Sll::parse(&b, true).unwrap();
        assert_eq!((n, h.protocol, h.ifindex, h.pkttype), (20, 0x86dd, 3, 4));
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn linktype_null_family_byte_order() {
        assert_eq!(null_family([2, 0, 0, 0], false), 2);
        assert_eq!(null_family([0, 0, 0, 2], false), 2);
        assert_eq!(null_family([0, 0, 0, 24], true), 24);
    }
}
