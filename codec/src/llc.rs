//! IEEE 802.2 LLC header and the SNAP extension (IEEE 802-2014 §10.3, RFC 1042).
//!
//! ```text
//! +------+------+-----------+             +------------+-------------+
//! | DSAP | SSAP | Control   |  if SNAP:   |  OUI (3)   |  PID (2)    |
//! +------+------+-----------+             +------------+-------------+
//! ```
//!
//! Control is one octet for U-format PDUs (low bits `11`) and two for I- and S-format
//! PDUs. SNAP follows DSAP = SSAP = 0xAA with a UI control (0x03); with OUI 00-00-00 the
//! PID is an EtherType (RFC 1042). DSAP = SSAP = 0x86 with UI control is MVTP (spec §1).

use crate::bytes::{array, be_u16};
use crate::error::{DecodeError, EncodeError};
use crate::fields::{FieldDef, FieldType};
use core::fmt;

/// The SNAP SAP.
pub const SAP_SNAP: u8 = 0xAA;
/// The MVTP SAP (spec §1: user-defined SAP, plain 802.2).
pub const SAP_MVTP: u8 = 0x86;
/// The IP SAP (RFC 1042 forbids it for IP, but it is seen).
pub const SAP_IP: u8 = 0x06;
/// Spanning tree SAP.
pub const SAP_STP: u8 = 0x42;
/// Unnumbered information (UI) control.
pub const CONTROL_UI: u8 = 0x03;
/// Low two bits of a U-format control octet.
pub const U_FORMAT: u8 = 0x03;
/// OUI of RFC 1042 encapsulated EtherTypes.
pub const OUI_ENCAP_ETHER: [u8; 3] = [0, 0, 0];
/// OUI of IEEE 802.1H bridge-tunnel encapsulation (PID is an EtherType too).
pub const OUI_BRIDGE_TUNNEL: [u8; 3] = [0x00, 0x00, 0xF8];
/// The C/R bit of the SSAP.
pub const SSAP_CR: u8 = 0x01;
/// SNAP header length.
pub const SNAP_LEN: usize = 5;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Destination SAP.
    pub const DSAP: usize = 0;
    /// Source SAP.
    pub const SSAP: usize = 1;
    /// Control (1 or 2 octets).
    pub const CONTROL: usize = 2;
    /// SNAP OUI (after a 1-octet control).
    pub const OUI: Range<usize> = 3..6;
    /// SNAP protocol identifier.
    pub const PID: Range<usize> = 6..8;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("llc", FieldType::Protocol, "IEEE 802.2 LLC"),
    FieldDef::new("llc.dsap", FieldType::Uint, "Destination SAP"),
    FieldDef::new("llc.ssap", FieldType::Uint, "Source SAP"),
    FieldDef::new("llc.control", FieldType::Uint, "Control field"),
    FieldDef::new("llc.oui", FieldType::Uint, "SNAP organization code"),
    FieldDef::new("llc.type", FieldType::Uint, "SNAP type (EtherType, OUI 00-00-00)"),
    FieldDef::new("llc.pid", FieldType::Uint, "SNAP protocol ID (other OUIs)"),
];

/// SNAP extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Snap {
    /// Organization code.
    pub oui: [u8; 3],
    /// Protocol identifier (an EtherType for OUI 00-00-00 and 00-00-F8).
    pub pid: u16,
}

impl Snap {
    /// The OUI as a 24-bit number.
    pub fn oui_u32(&self) -> u32 {
        u32::from_be_bytes([0, self.oui[0], self.oui[1], self.oui[2]])
    }

    /// True when the PID is an EtherType.
    pub fn pid_is_ethertype(&self) -> bool {
        self.oui == OUI_ENCAP_ETHER || self.oui == OUI_BRIDGE_TUNNEL
    }
}

/// An owned LLC header, with SNAP when DSAP/SSAP/control say so.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Llc {
    /// Destination SAP (with its I/G bit).
    pub dsap: u8,
    /// Source SAP (with its C/R bit).
    pub ssap: u8,
    /// Control: the octet of a U-format PDU, or both octets of I/S (first octet low,
    /// as Wireshark shows it).
    pub control: u16,
    /// SNAP header, present exactly when `has_snap(dsap, ssap, control)`.
    pub snap: Option<Snap>,
}

/// True when this DSAP/SSAP/control introduce a SNAP header.
pub fn has_snap(dsap: u8, ssap: u8, control: u16) -> bool {
    dsap == SAP_SNAP && ssap & !SSAP_CR == SAP_SNAP && control == u16::from(CONTROL_UI)
}

/// Octets of the control field for a first control octet.
pub fn control_len(first: u8) -> usize {
    if first & U_FORMAT == U_FORMAT {
        1
    } else {
        2
    }
}

impl Llc {
    /// A SNAP header for an EtherType (RFC 1042).
    pub fn snap(ether_type: u16) -> Self {
        Self {
            dsap: SAP_SNAP,
            ssap: SAP_SNAP,
            control: u16::from(CONTROL_UI),
            snap: Some(Snap {
                oui: OUI_ENCAP_ETHER,
                pid: ether_type,
            }),
        }
    }

    /// A plain 802.2 UI header for MVTP (spec §1).
    pub fn mvtp() -> Self {
        Self {
            dsap: SAP_MVTP,
            ssap: SAP_MVTP,
            control: u16::from(CONTROL_UI),
            snap: None,
        }
    }

    /// Parses the header; returns it and its length.
    pub fn parse(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        let short = |need: usize| DecodeError::truncated("llc", 0, need, b.len()).clause("IEEE802.2-3.2");
        let (&dsap, &ssap, &c0) = match (b.first(), b.get(field::SSAP), b.get(field::CONTROL)) {
            (Some(d), Some(s), Some(c)) => (d, s, c),
            _ => return Err(short(3)),
        };
        let (control, mut n) = if control_len(c0) == 1 {
            (u16::from(c0), field::CONTROL + 1)
        } else {
            let c1 = *b.get(field::CONTROL + 1).ok_or_else(|| short(4))?;
            (u16::from(c0) | u16::from(c1) << 8, field::CONTROL + 2)
        };
        let snap = if has_snap(dsap, ssap, control) {
            let oui = array::<3>(b, field::OUI.start).ok_or_else(|| short(field::PID.end))?;
            let pid = be_u16(b, field::PID.start).ok_or_else(|| short(field::PID.end))?;
            n = field::PID.end;
            Some(Snap { oui, pid })
        } else {
            None
        };
        Ok((Self { dsap, ssap, control, snap }, n))
    }

    /// Appends the header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.dsap);
        out.push(self.ssap);
        let [lo, hi] = self.control.to_le_bytes();
        if control_len(lo) == 1 {
            if hi != 0 {
                return Err(EncodeError::new("llc.control", "a U-format control is one octet"));
            }
            out.push(lo);
        } else {
            out.extend_from_slice(&[lo, hi]);
        }
        match (has_snap(self.dsap, self.ssap, self.control), &self.snap) {
            (true, Some(s)) => {
                out.extend_from_slice(&s.oui);
                out.extend_from_slice(&s.pid.to_be_bytes());
            }
            (false, None) => {}
            (true, None) => return Err(EncodeError::new("llc.oui", "DSAP/SSAP 0xAA with UI control need a SNAP header")),
            (false, Some(_)) => return Err(EncodeError::new("llc.oui", "a SNAP header needs DSAP/SSAP 0xAA and UI control")),
        }
        Ok(())
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        2 + control_len(self.control.to_le_bytes()[0]) + if self.snap.is_some() { SNAP_LEN } else { 0 }
    }

    /// True for MVTP's plain 802.2 framing (spec §1, §3 "LLC").
    pub fn is_mvtp(&self) -> bool {
        self.dsap == SAP_MVTP && self.snap.is_none()
    }
}

impl fmt::Display for Llc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LLC dsap {:#04x} ssap {:#04x} ctrl {:#x}", self.dsap, self.ssap, self.control)?;
        if let Some(s) = &self.snap {
            write!(f, ", SNAP oui {:#08x} pid {:#06x}", s.oui_u32(), s.pid)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1042 SNAP header naming MVTP (spec §1 "MVTP LLC SNAP").
    #[rustfmt::skip]
    const SNAP_MVTP: [u8; 8] = [
        0xaa, 0xaa, 0x03,   // DSAP, SSAP: SNAP; control UI
        0x00, 0x00, 0x00,   // OUI 00-00-00
        0x88, 0xb5,         // type MVTP
    ];

    #[test]
    fn rfc1042_snap_round_trip() {
        let (l, n) = Llc::parse(&SNAP_MVTP).unwrap();
        assert_eq!(n, 8);
        assert_eq!(l, Llc::snap(0x88B5));
        let mut out = vec![];
        l.emit(&mut out).unwrap();
        assert_eq!(out, SNAP_MVTP);
        assert_eq!(l.buffer_len(), 8);
    }

    #[test]
    fn spec_1_plain_llc_sap_0x86_is_mvtp() {
        let (l, n) = Llc::parse(&[0x86, 0x86, 0x03, 0x10]).unwrap();
        assert_eq!(n, 3);
        assert!(l.is_mvtp());
        let mut out = vec![];
        l.emit(&mut out).unwrap();
        assert_eq!(out, [0x86, 0x86, 0x03]);
    }

    #[test]
    fn ieee802_2_i_format_control_is_two_octets() {
        let (l, n) = Llc::parse(&[0x42, 0x42, 0x02, 0x05]).unwrap();
        assert_eq!((n, l.control), (4, 0x0502));
        let mut out = vec![];
        l.emit(&mut out).unwrap();
        assert_eq!(out, [0x42, 0x42, 0x02, 0x05]);
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..SNAP_MVTP.len() {
            assert_eq!(Llc::parse(&SNAP_MVTP[..n]).unwrap_err().kind, crate::Kind::Truncated);
        }
    }

    #[test]
    fn inconsistent_snap_is_an_encode_error() {
        let l = Llc {
            snap: None,
            ..Llc::snap(0x0800)
        };
        assert!(l.emit(&mut vec![]).is_err());
    }
}
