//! Radiotap capture header (radiotap.org; Linux `Documentation/networking/radiotap-headers`).
//!
//! ```text
//! +---------+---------+-------------+-------------------+------------------
//! | ver (1) | pad (1) | length (LE) | present (LE) ...  | fields, aligned
//! +---------+---------+-------------+-------------------+------------------
//! ```
//!
//! Bit 31 of a present word says another word follows; bit 29 switches (back) to the
//! radiotap namespace, bit 30 to a vendor namespace whose data the vendor header's skip
//! length covers. Each field is aligned to its natural size from the header's first
//! octet. The walker knows the standard fields' sizes (bits 0–27) and stops at the first
//! unknown bit; the header length always says where the 802.11 frame starts.

use crate::bytes::array;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use core::fmt;

/// Fixed part: version, pad, length, first present word.
pub const MIN_LEN: usize = 8;
/// Bit: TSFT.
pub const TSFT: u8 = 0;
/// Bit: Flags.
pub const FLAGS: u8 = 1;
/// Bit: Rate.
pub const RATE: u8 = 2;
/// Bit: Channel.
pub const CHANNEL: u8 = 3;
/// Bit: FHSS.
pub const FHSS: u8 = 4;
/// Bit: antenna signal, dBm.
pub const DBM_ANTSIGNAL: u8 = 5;
/// Bit: antenna noise, dBm.
pub const DBM_ANTNOISE: u8 = 6;
/// Bit: antenna index.
pub const ANTENNA: u8 = 11;
/// Bit: radiotap namespace next.
pub const EXT_RADIOTAP_NS: u8 = 29;
/// Bit: vendor namespace next.
pub const EXT_VENDOR_NS: u8 = 30;
/// Bit: another present word follows.
pub const EXT: u8 = 31;
/// Flags bit: the frame ends with a 4-octet FCS.
pub const FLAG_FCS: u8 = 0x10;
/// Flags bit: the FCS is bad.
pub const FLAG_BAD_FCS: u8 = 0x40;
/// Most present words walked (a chain longer than this is hostile).
pub const MAX_PRESENT_WORDS: usize = 32;

/// (alignment, size) of the standard fields, by bit (radiotap.org "Defined fields").
const SIZES: [(usize, usize); 28] = [
    (8, 8),  // 0 TSFT
    (1, 1),  // 1 Flags
    (1, 1),  // 2 Rate
    (2, 4),  // 3 Channel
    (2, 2),  // 4 FHSS
    (1, 1),  // 5 dBm antenna signal
    (1, 1),  // 6 dBm antenna noise
    (2, 2),  // 7 Lock quality
    (2, 2),  // 8 TX attenuation
    (2, 2),  // 9 dB TX attenuation
    (1, 1),  // 10 dBm TX power
    (1, 1),  // 11 Antenna
    (1, 1),  // 12 dB antenna signal
    (1, 1),  // 13 dB antenna noise
    (2, 2),  // 14 RX flags
    (2, 2),  // 15 TX flags
    (1, 1),  // 16 RTS retries
    (1, 1),  // 17 data retries
    (4, 8),  // 18 XChannel
    (1, 3),  // 19 MCS
    (4, 8),  // 20 A-MPDU status
    (2, 12), // 21 VHT
    (8, 12), // 22 timestamp
    (2, 12), // 23 HE
    (2, 12), // 24 HE-MU
    (2, 6),  // 25 HE-MU-other-user
    (1, 1),  // 26 0-length PSDU
    (2, 4),  // 27 L-SIG
];

/// Field offsets of the fixed part.
pub mod field {
    use core::ops::Range;
    /// Version.
    pub const VERSION: usize = 0;
    /// Pad.
    pub const PAD: usize = 1;
    /// Header length, little-endian.
    pub const LEN: Range<usize> = 2..4;
    /// First present word, little-endian.
    pub const PRESENT: Range<usize> = 4..8;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("radiotap", FieldType::Protocol, "Radiotap header"),
    FieldDef::new("radiotap.version", FieldType::Uint, "Header revision"),
    FieldDef::new("radiotap.pad", FieldType::Uint, "Header pad"),
    FieldDef::new("radiotap.length", FieldType::Uint, "Header length"),
    FieldDef::new("radiotap.present.word", FieldType::Uint, "Present flags word"),
    FieldDef::new("radiotap.mactime", FieldType::Uint, "TSFT, microseconds"),
    FieldDef::new("radiotap.flags", FieldType::Uint, "Flags"),
    FieldDef::new("radiotap.flags.fcs", FieldType::Bool, "FCS at end"),
    FieldDef::new("radiotap.flags.badfcs", FieldType::Bool, "Bad FCS"),
    FieldDef::new("radiotap.datarate", FieldType::Any, "Data rate, Mbit/s"),
    FieldDef::new("radiotap.channel.freq", FieldType::Uint, "Channel frequency, MHz"),
    FieldDef::new("radiotap.channel.flags", FieldType::Uint, "Channel flags"),
    FieldDef::new("radiotap.dbm_antsignal", FieldType::Int, "Antenna signal, dBm"),
    FieldDef::new("radiotap.dbm_antnoise", FieldType::Int, "Antenna noise, dBm"),
    FieldDef::new("radiotap.antenna", FieldType::Uint, "Antenna index"),
];

/// One standard field found by the walker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item<'a> {
    /// Present bit (0–27) in the radiotap namespace.
    pub bit: u8,
    /// Offset of the field from the header's first octet.
    pub offset: usize,
    /// The field's octets.
    pub octets: &'a [u8],
}

/// A checked view of a radiotap header: fixed part, present words and length in bounds.
#[derive(Debug, Clone, Copy)]
pub struct RadiotapView<'a> {
    hdr: &'a [u8],
    words: usize,
}

impl<'a> RadiotapView<'a> {
    /// Checks version 0, the present-word chain and the header length against `b`.
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < MIN_LEN {
            return Err(DecodeError::truncated("radiotap", 0, MIN_LEN, b.len()));
        }
        let version = b.first().copied().unwrap_or(0);
        if version != 0 {
            return Err(DecodeError::new(Kind::Version, "radiotap.version", 0, format!("radiotap version {version}")));
        }
        let len = usize::from(array::<2>(b, field::LEN.start).map_or(0, u16::from_le_bytes));
        let mut words = 1usize;
        loop {
            let at = field::PRESENT.start + 4 * (words - 1);
            let w = array::<4>(b, at)
                .map(u32::from_le_bytes)
                .ok_or_else(|| DecodeError::truncated("radiotap.present.word", at, 4, b.len().saturating_sub(at)))?;
            if w >> EXT & 1 == 0 {
                break;
            }
            words += 1;
            if words > MAX_PRESENT_WORDS {
                return Err(DecodeError::new(Kind::Unsupported, "radiotap.present.word", at, "too many present words"));
            }
        }
        let fixed = field::PRESENT.start + 4 * words;
        if len < fixed {
            return Err(DecodeError::new(
                Kind::BadLength,
                "radiotap.length",
                field::LEN.start,
                format!("length {len} shorter than its {fixed} octets of present words"),
            ));
        }
        let hdr = b
            .get(..len)
            .ok_or_else(|| DecodeError::truncated("radiotap.length", field::LEN.start, len, b.len()))?;
        Ok(Self { hdr, words })
    }

    /// Header length.
    pub fn len(&self) -> usize {
        self.hdr.len()
    }
    /// Always false (a header has its fixed part).
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Pad octet.
    pub fn pad(&self) -> u8 {
        self.hdr.get(field::PAD).copied().unwrap_or(0)
    }
    /// The present words.
    pub fn present(&self) -> impl Iterator<Item = u32> + 'a {
        let hdr = self.hdr;
        (0..self.words).map(move |i| array::<4>(hdr, field::PRESENT.start + 4 * i).map_or(0, u32::from_le_bytes))
    }
    /// Offset where the fields start.
    pub fn data_start(&self) -> usize {
        field::PRESENT.start + 4 * self.words
    }
    /// The header octets.
    pub fn header(&self) -> &'a [u8] {
        self.hdr
    }

    /// Walks the standard fields of the radiotap namespace, in order. Stops at the first
    /// unknown bit or a field that does not fit (the rest is still skipped by length).
    pub fn items(&self) -> Vec<Item<'a>> {
        let mut out = Vec::new();
        let mut at = self.data_start();
        let mut radiotap_ns = true;
        let mut vendor_skip = 0usize;
        let words: Vec<u32> = self.present().collect();
        for w in words {
            if !radiotap_ns {
                // Vendor namespace: its fields are opaque, the skip length covers them.
                at = at.saturating_add(vendor_skip);
                vendor_skip = 0;
            }
            for bit in 0..29u8 {
                if w >> bit & 1 == 0 || !radiotap_ns {
                    continue;
                }
                let Some(&(align, size)) = SIZES.get(usize::from(bit)) else { return out };
                at = at.div_ceil(align) * align;
                let Some(octets) = self.hdr.get(at..at + size) else { return out };
                out.push(Item { bit, offset: at, octets });
                at += size;
            }
            if w >> EXT_VENDOR_NS & 1 != 0 {
                at = at.div_ceil(2) * 2;
                // Vendor namespace header: OUI (3), sub-namespace (1), skip length (2, LE).
                let Some(skip) = array::<2>(self.hdr, at + 4).map(u16::from_le_bytes) else {
                    return out;
                };
                vendor_skip = usize::from(skip);
                at += 6;
                radiotap_ns = false;
            } else if w >> EXT_RADIOTAP_NS & 1 != 0 {
                radiotap_ns = true;
            } else if w >> EXT & 1 != 0 && !radiotap_ns {
                // Still in the vendor namespace: its skip length was consumed above.
            }
        }
        out
    }

    /// The Flags field, when present.
    pub fn flags(&self) -> Option<u8> {
        self.items().into_iter().find(|i| i.bit == FLAGS).and_then(|i| i.octets.first().copied())
    }

    /// True when Flags says a 4-octet FCS ends the frame.
    pub fn has_fcs(&self) -> bool {
        self.flags().is_some_and(|f| f & FLAG_FCS != 0)
    }
}

/// An owned radiotap header: the present words and the field octets as read (lossless);
/// the length is derived. Use [`RadiotapView::items`] on the emitted octets to read fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Radiotap {
    /// Pad octet (zero).
    pub pad: u8,
    /// Present words; every word but the last has bit 31 set.
    pub present: Vec<u32>,
    /// The field octets after the present words.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub data: Vec<u8>,
}

impl Radiotap {
    /// A header with Flags, Rate (500 kbit/s units), Channel, dBm antenna signal and
    /// Antenna, as vector 03 has them.
    pub fn basic(flags: u8, rate: u8, freq: u16, chan_flags: u16, signal: i8, antenna: u8) -> Self {
        let present = 1 << FLAGS | 1 << RATE | 1 << CHANNEL | 1 << DBM_ANTSIGNAL | 1 << ANTENNA;
        let mut data = vec![flags, rate];
        data.extend_from_slice(&freq.to_le_bytes());
        data.extend_from_slice(&chan_flags.to_le_bytes());
        data.extend_from_slice(&signal.to_le_bytes());
        data.push(antenna);
        Self {
            pad: 0,
            present: vec![present],
            data,
        }
    }

    /// Parses the header; returns it and its length.
    pub fn parse(b: &[u8]) -> Result<(Self, usize), DecodeError> {
        let v = RadiotapView::new(b)?;
        let h = Self {
            pad: v.pad(),
            present: v.present().collect(),
            data: v.header().get(v.data_start()..).unwrap_or(&[]).to_vec(),
        };
        Ok((h, v.len()))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        4 + 4 * self.present.len() + self.data.len()
    }

    /// Appends the header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let n = self.present.len();
        if n == 0 || self.present.iter().enumerate().any(|(i, w)| (w >> EXT & 1 == 1) != (i + 1 < n)) {
            return Err(EncodeError::new(
                "radiotap.present.word",
                "bit 31 must be set on every present word but the last",
            ));
        }
        out.push(0);
        out.push(self.pad);
        let len = crate::emit::to_u16(self.buffer_len(), "radiotap.length")?;
        out.extend_from_slice(&len.to_le_bytes());
        for w in &self.present {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl fmt::Display for Radiotap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "radiotap, {} octets", self.buffer_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vector 03's header: flags 0, 24 Mbit/s, 5180 MHz (OFDM 5 GHz), −52 dBm, antenna 0.
    #[rustfmt::skip]
    const HDR: [u8; 16] = [
        0x00, 0x00, 0x10, 0x00,   // version 0, pad, length 16
        0x2e, 0x08, 0x00, 0x00,   // present: flags, rate, channel, dBm signal, antenna
        0x00,                     // flags: no FCS
        0x30,                     // rate 48 × 500 kbit/s
        0x3c, 0x14, 0x40, 0x01,   // 5180 MHz, flags 0x0140
        0xcc,                     // −52 dBm
        0x00,                     // antenna 0
    ];

    #[test]
    fn radiotap_standard_fields_walk_with_alignment() {
        let v = RadiotapView::new(&HDR).unwrap();
        let items: Vec<_> = v.items().into_iter().map(|i| (i.bit, i.offset)).collect();
        assert_eq!(items, [(FLAGS, 8), (RATE, 9), (CHANNEL, 10), (DBM_ANTSIGNAL, 14), (ANTENNA, 15)]);
        assert!(!v.has_fcs());
        let (h, n) = Radiotap::parse(&HDR).unwrap();
        assert_eq!(n, 16);
        assert_eq!(h, Radiotap::basic(0, 48, 5180, 0x0140, -52, 0));
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, HDR);
    }

    #[test]
    fn radiotap_tsft_is_8_aligned_after_extended_words() {
        // Two present words (bit 31 then bit 29 radiotap ns); TSFT aligned to 16.
        let mut b = vec![0, 0, 24, 0];
        b.extend_from_slice(&(1u32 << TSFT | 1 << EXT_RADIOTAP_NS | 1 << EXT).to_le_bytes());
        b.extend_from_slice(&(1u32 << FLAGS).to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, FLAG_FCS]);
        b[2] = b.len() as u8;
        let v = RadiotapView::new(&b).unwrap();
        let items: Vec<_> = v.items().into_iter().map(|i| (i.bit, i.offset)).collect();
        assert_eq!(items, [(TSFT, 16), (FLAGS, 24)]);
        assert!(v.has_fcs());
    }

    #[test]
    fn truncation_and_bad_length() {
        for n in 0..HDR.len() {
            assert!(RadiotapView::new(&HDR[..n]).is_err());
        }
        let mut b = HDR;
        b[2] = 4;
        assert_eq!(RadiotapView::new(&b).unwrap_err().kind, Kind::BadLength);
        // An endless chain of present words stops.
        let mut b = vec![0, 0, 0xff, 0xff];
        b.extend(std::iter::repeat_n([0xff, 0xff, 0xff, 0xff], 40).flatten());
        assert!(RadiotapView::new(&b).is_err());
    }
}
