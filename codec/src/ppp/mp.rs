//! Multilink PPP fragment header (RFC 1990 §3).
//!
//! ```text
//! long (default):  |B|E|0|0|0|0|0|0|        sequence number (24)         |
//! short (LCP option 18 negotiated): |B|E|0|0|  sequence number (12)  |
//! ```
//!
//! Which format applies is negotiated by LCP (option 18), not visible in the fragment; the
//! caller says which.

use crate::bytes::{be_u16, be_u32};
use crate::error::{DecodeError, EncodeError};

/// B: beginning fragment.
pub const FLAG_B: u8 = 0x80;
/// E: ending fragment.
pub const FLAG_E: u8 = 0x40;
/// Long header length.
pub const LONG_LEN: usize = 4;
/// Short header length.
pub const SHORT_LEN: usize = 2;

/// An owned Multilink fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Fragment {
    /// Short (12-bit) sequence number format.
    pub short: bool,
    /// B bit.
    pub begin: bool,
    /// E bit.
    pub end: bool,
    /// Reserved bits between E and the sequence number (6 long, 2 short), kept as read.
    pub reserved: u8,
    /// Sequence number (24 or 12 bits).
    pub seq: u32,
    /// The fragment octets.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub payload: Vec<u8>,
}

impl Fragment {
    /// Header length for the format.
    pub fn header_len(short: bool) -> usize {
        if short {
            SHORT_LEN
        } else {
            LONG_LEN
        }
    }

    /// Parses a fragment at `base` in the given format.
    pub fn parse(buf: &[u8], base: usize, short: bool) -> Result<Self, DecodeError> {
        let n = Self::header_len(short);
        if buf.len() < n {
            return Err(DecodeError::truncated("mp.seq", base, n, buf.len()).clause("RFC1990-3"));
        }
        let (reserved, seq) = if short {
            let w = be_u16(buf, 0).unwrap_or_default();
            (((w >> 12) & 0x3) as u8, u32::from(w & 0x0FFF))
        } else {
            let w = be_u32(buf, 0).unwrap_or_default();
            (((w >> 24) & 0x3F) as u8, w & 0x00FF_FFFF)
        };
        Ok(Self {
            short,
            begin: buf[0] & FLAG_B != 0,
            end: buf[0] & FLAG_E != 0,
            reserved,
            seq,
            payload: buf.get(n..).unwrap_or_default().to_vec(),
        })
    }

    /// Appends the fragment.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let be = u32::from(self.begin) << 1 | u32::from(self.end);
        if self.short {
            crate::emit::check_bits(self.seq.into(), 12, "mp.sseq")?;
            crate::emit::check_bits(self.reserved.into(), 2, "mp.short_sequence_num_cls")?;
            let w = (be << 14 | u32::from(self.reserved) << 12 | self.seq) as u16; // 16 bits checked
            out.extend_from_slice(&w.to_be_bytes());
        } else {
            crate::emit::check_bits(self.seq.into(), 24, "mp.seq")?;
            crate::emit::check_bits(self.reserved.into(), 6, "mp.sequence_num_cls")?;
            let w = be << 30 | u32::from(self.reserved) << 24 | self.seq;
            out.extend_from_slice(&w.to_be_bytes());
        }
        out.extend_from_slice(&self.payload);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1990_3_long_and_short() {
        let b = [0xc0, 0x00, 0x01, 0x02, 0x00, 0x21, 0x45];
        let f = Fragment::parse(&b, 0, false).unwrap();
        assert!(f.begin && f.end);
        assert_eq!((f.seq, f.payload.as_slice()), (0x102, &[0x00, 0x21, 0x45][..]));
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        assert_eq!(out, b);
        let b = [0x8a, 0xbc, 0x21];
        let f = Fragment::parse(&b, 0, true).unwrap();
        assert!(f.begin && !f.end);
        assert_eq!(f.seq, 0xabc);
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        assert_eq!(out, b);
        assert!(Fragment::parse(&[0x80, 0, 0], 0, false).is_err());
    }
}
