//! IEEE 802.11 MAC header of data and management frames (IEEE 802.11-2020 §9.2.3, §9.3.2).
//!
//! ```text
//! +------+--------+--------+--------+--------+----------+--------+--------+--------+
//! | FC 2 | Dur 2  | Addr1 6| Addr2 6| Addr3 6| SeqCtl 2 | Addr4 6| QoS 2  | HTC 4  |
//! +------+--------+--------+--------+--------+----------+--------+--------+--------+
//!                                                          ToDS&FromDS  QoS   QoS+Order
//! ```
//!
//! Frame Control and the other 16-bit fields are little-endian. Address roles by To DS /
//! From DS (§9.3.2.1): 00 DA SA BSSID; 01 (From DS) DA BSSID SA; 10 (To DS) BSSID SA DA;
//! 11 RA TA DA SA. Addr1 is always the receiver (RA), Addr2 the transmitter (TA).

use crate::bytes::array;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::ethernet::Mac;
use crate::fields::{FieldDef, FieldType};
use core::fmt;

/// Header length of a management or non-QoS data frame between two stations.
pub const BASE_LEN: usize = 24;
/// Frame type: management.
pub const TYPE_MGMT: u8 = 0;
/// Frame type: control.
pub const TYPE_CTRL: u8 = 1;
/// Frame type: data.
pub const TYPE_DATA: u8 = 2;
/// Data subtype bit: QoS.
pub const SUBTYPE_QOS: u8 = 0x08;
/// Data subtype bit: no data (Null, CF-Ack without data…).
pub const SUBTYPE_NODATA: u8 = 0x04;
/// FC flags (second octet): To DS.
pub const FLAG_TODS: u8 = 0x01;
/// From DS.
pub const FLAG_FROMDS: u8 = 0x02;
/// More fragments.
pub const FLAG_MOREFRAG: u8 = 0x04;
/// Retry.
pub const FLAG_RETRY: u8 = 0x08;
/// Protected frame.
pub const FLAG_PROTECTED: u8 = 0x40;
/// +HTC / Order.
pub const FLAG_ORDER: u8 = 0x80;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Frame Control.
    pub const FC: Range<usize> = 0..2;
    /// Duration/ID.
    pub const DURATION: Range<usize> = 2..4;
    /// Address 1.
    pub const ADDR1: Range<usize> = 4..10;
    /// Address 2.
    pub const ADDR2: Range<usize> = 10..16;
    /// Address 3.
    pub const ADDR3: Range<usize> = 16..22;
    /// Sequence Control.
    pub const SEQ: Range<usize> = 22..24;
    /// Address 4 (To DS and From DS).
    pub const ADDR4: Range<usize> = 24..30;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("wlan", FieldType::Protocol, "IEEE 802.11"),
    FieldDef::new("wlan.fc", FieldType::Uint, "Frame Control (first octet high)"),
    FieldDef::new("wlan.fc.type_subtype", FieldType::Uint, "Type << 4 | subtype"),
    FieldDef::new("wlan.fc.type", FieldType::Uint, "Frame type"),
    FieldDef::new("wlan.fc.subtype", FieldType::Uint, "Frame subtype"),
    FieldDef::new("wlan.fc.tods", FieldType::Bool, "To DS"),
    FieldDef::new("wlan.fc.fromds", FieldType::Bool, "From DS"),
    FieldDef::new("wlan.fc.retry", FieldType::Bool, "Retry"),
    FieldDef::new("wlan.fc.protected", FieldType::Bool, "Protected frame"),
    FieldDef::new("wlan.duration", FieldType::Uint, "Duration/ID"),
    FieldDef::new("wlan.ra", FieldType::Mac, "Receiver address"),
    FieldDef::new("wlan.ta", FieldType::Mac, "Transmitter address"),
    FieldDef::new("wlan.da", FieldType::Mac, "Destination address"),
    FieldDef::new("wlan.sa", FieldType::Mac, "Source address"),
    FieldDef::new("wlan.bssid", FieldType::Mac, "BSS Id"),
    FieldDef::new("wlan.frag", FieldType::Uint, "Fragment number"),
    FieldDef::new("wlan.seq", FieldType::Uint, "Sequence number"),
    FieldDef::new("wlan.qos", FieldType::Uint, "QoS Control"),
    FieldDef::new("wlan.qos.tid", FieldType::Uint, "Traffic identifier"),
    FieldDef::new("wlan.htc", FieldType::Uint, "HT Control"),
    FieldDef::new("wlan.fcs", FieldType::Uint, "Frame check sequence"),
];

/// Which address is which, by To DS / From DS (§9.3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    /// Destination address.
    pub da: Option<Mac>,
    /// Source address.
    pub sa: Option<Mac>,
    /// BSSID.
    pub bssid: Option<Mac>,
}

/// An owned 802.11 header of a data or management frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Ieee80211 {
    /// First FC octet: protocol version (2), type (2), subtype (4) from the low bits.
    pub fc0: u8,
    /// Second FC octet: the flags.
    pub flags: u8,
    /// Duration/ID.
    pub duration: u16,
    /// Address 1 (RA).
    pub addr1: Mac,
    /// Address 2 (TA).
    pub addr2: Mac,
    /// Address 3.
    pub addr3: Mac,
    /// Sequence Control: fragment (4 low bits) and sequence number (12).
    pub seq_ctrl: u16,
    /// Address 4, present exactly with To DS and From DS.
    pub addr4: Option<Mac>,
    /// QoS Control, present exactly in QoS data subtypes.
    pub qos: Option<u16>,
    /// HT Control, present exactly in QoS data frames with the Order flag.
    pub htc: Option<u32>,
}

impl Ieee80211 {
    /// Frame type (0 management, 1 control, 2 data).
    pub fn frame_type(&self) -> u8 {
        (self.fc0 >> 2) & 0x03
    }
    /// Subtype.
    pub fn subtype(&self) -> u8 {
        self.fc0 >> 4
    }
    /// Wireshark's `wlan.fc.type_subtype`: type << 4 | subtype (32 Data, 40 QoS Data).
    pub fn type_subtype(&self) -> u16 {
        u16::from(self.frame_type()) << 4 | u16::from(self.subtype())
    }
    /// To DS.
    pub fn to_ds(&self) -> bool {
        self.flags & FLAG_TODS != 0
    }
    /// From DS.
    pub fn from_ds(&self) -> bool {
        self.flags & FLAG_FROMDS != 0
    }
    /// Sequence number (12 bits).
    pub fn seq(&self) -> u16 {
        self.seq_ctrl >> 4
    }
    /// Fragment number (4 bits).
    pub fn frag(&self) -> u8 {
        (self.seq_ctrl & 0x0F) as u8
    }
    /// True for a QoS data subtype.
    pub fn is_qos(&self) -> bool {
        self.frame_type() == TYPE_DATA && self.subtype() & SUBTYPE_QOS != 0
    }
    /// True when the frame body carries data (not Null and friends).
    pub fn has_data(&self) -> bool {
        self.frame_type() == TYPE_DATA && self.subtype() & SUBTYPE_NODATA == 0
    }

    fn wants(fc0: u8, flags: u8) -> (bool, bool, bool) {
        let data = (fc0 >> 2) & 0x03 == TYPE_DATA;
        let a4 = data && flags & (FLAG_TODS | FLAG_FROMDS) == FLAG_TODS | FLAG_FROMDS;
        let qos = data && (fc0 >> 4) & SUBTYPE_QOS != 0;
        let htc = flags & FLAG_ORDER != 0 && (qos || (fc0 >> 2) & 0x03 == TYPE_MGMT);
        (a4, qos, htc)
    }

    /// Parses a data or management frame header; returns it and its length. Control frames
    /// and protocol versions other than 0 are `unsupported`.
    pub fn parse(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        let short = |need: usize| DecodeError::truncated("wlan", 0, need, b.len()).clause("IEEE802.11-9.2.3");
        let (fc0, flags) = match (b.first(), b.get(1)) {
            (Some(a), Some(f)) => (*a, *f),
            _ => return Err(short(BASE_LEN)),
        };
        if fc0 & 0x03 != 0 {
            return Err(DecodeError::new(Kind::Version, "wlan.fc", 0, format!("protocol version {}", fc0 & 3)).clause("IEEE802.11-9.2.4.1.2"));
        }
        if (fc0 >> 2) & 0x03 == TYPE_CTRL || (fc0 >> 2) & 0x03 == 3 {
            return Err(DecodeError::new(
                Kind::Unsupported,
                "wlan.fc.type_subtype",
                0,
                "control and extension frames are not decoded",
            ));
        }
        let (a4, qos, htc) = Self::wants(fc0, flags);
        let len = BASE_LEN + if a4 { 6 } else { 0 } + if qos { 2 } else { 0 } + if htc { 4 } else { 0 };
        if b.len() < len {
            return Err(short(len));
        }
        let le16 = |at: usize| array::<2>(b, at).map_or(0, u16::from_le_bytes);
        let mut at = field::ADDR4.start;
        let addr4 = if a4 {
            at += 6;
            array::<6>(b, field::ADDR4.start)
        } else {
            None
        };
        let qos_v = if qos {
            at += 2;
            Some(le16(at - 2))
        } else {
            None
        };
        let htc_v = if htc { array::<4>(b, at).map(u32::from_le_bytes) } else { None };
        let h = Self {
            fc0,
            flags,
            duration: le16(field::DURATION.start),
            addr1: array(b, field::ADDR1.start).unwrap_or_default(),
            addr2: array(b, field::ADDR2.start).unwrap_or_default(),
            addr3: array(b, field::ADDR3.start).unwrap_or_default(),
            seq_ctrl: le16(field::SEQ.start),
            addr4,
            qos: qos_v,
            htc: htc_v,
        };
        Ok((h, len))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        BASE_LEN + self.addr4.map_or(0, |_| 6) + self.qos.map_or(0, |_| 2) + self.htc.map_or(0, |_| 4)
    }

    /// Appends the header; fails when an optional field disagrees with Frame Control.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (a4, qos, htc) = Self::wants(self.fc0, self.flags);
        if a4 != self.addr4.is_some() || qos != self.qos.is_some() || htc != self.htc.is_some() {
            return Err(EncodeError::new("wlan.fc", "Address 4 / QoS / HT Control disagree with Frame Control"));
        }
        out.push(self.fc0);
        out.push(self.flags);
        out.extend_from_slice(&self.duration.to_le_bytes());
        out.extend_from_slice(&self.addr1);
        out.extend_from_slice(&self.addr2);
        out.extend_from_slice(&self.addr3);
        out.extend_from_slice(&self.seq_ctrl.to_le_bytes());
        if let Some(a) = &self.addr4 {
            out.extend_from_slice(a);
        }
        if let Some(q) = self.qos {
            out.extend_from_slice(&q.to_le_bytes());
        }
        if let Some(h) = self.htc {
            out.extend_from_slice(&h.to_le_bytes());
        }
        Ok(())
    }

    /// DA, SA and BSSID by To DS / From DS (IEEE 802.11-2020 §9.3.2.1, Table 9-30).
    pub fn roles(&self) -> Roles {
        match (self.to_ds(), self.from_ds()) {
            (false, false) => Roles {
                da: Some(self.addr1),
                sa: Some(self.addr2),
                bssid: Some(self.addr3),
            },
            (false, true) => Roles {
                da: Some(self.addr1),
                sa: Some(self.addr3),
                bssid: Some(self.addr2),
            },
            (true, false) => Roles {
                da: Some(self.addr3),
                sa: Some(self.addr2),
                bssid: Some(self.addr1),
            },
            (true, true) => Roles {
                da: Some(self.addr3),
                sa: self.addr4,
                bssid: None,
            },
        }
    }
}

impl fmt::Display for Ieee80211 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.roles();
        let m = |x: Option<Mac>| x.map_or_else(|| "-".to_owned(), |m| crate::ethernet::mac_string(&m));
        write!(
            f,
            "802.11 type/subtype {:#04x} SA {} DA {} BSSID {} seq {}",
            self.type_subtype(),
            m(r.sa),
            m(r.da),
            m(r.bssid),
            self.seq()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vector 03's 802.11 header: data, From DS, DA multicast, BSSID AP, SA the FA.
    fn hdr() -> Vec<u8> {
        hex::decode("08020000034d56545000001e497a2001001e497a1001208a").unwrap()
    }

    #[test]
    fn ieee802_11_9_3_2_1_from_ds_roles() {
        let b = hdr();
        let (h, n) = Ieee80211::parse(&b).unwrap();
        assert_eq!((n, h.type_subtype(), h.to_ds(), h.from_ds(), h.seq()), (24, 32, false, true, 2210));
        let r = h.roles();
        assert_eq!(r.da, Some(crate::ethernet::MVTP_MULTICAST));
        assert_eq!(r.bssid, Some([0x00, 0x1e, 0x49, 0x7a, 0x20, 0x01]));
        assert_eq!(r.sa, Some([0x00, 0x1e, 0x49, 0x7a, 0x10, 0x01]));
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn ieee802_11_9_2_4_qos_and_four_addresses() {
        let mut b = hdr();
        b[0] = 0x88; // QoS data
        b[1] = 0x03; // To DS and From DS
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6, 0x05, 0x00]);
        let (h, n) = Ieee80211::parse(&b).unwrap();
        assert_eq!((n, h.type_subtype(), h.qos, h.roles().sa), (32, 40, Some(5), Some([1, 2, 3, 4, 5, 6])));
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, b);
        for k in 0..b.len() {
            assert!(Ieee80211::parse(&b[..k]).is_err());
        }
    }
}
