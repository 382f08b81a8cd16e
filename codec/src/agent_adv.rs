//! The Mobility Agent Advertisement extension body of RFC 5944 §2.1.1, shared by the MVTP
//! VPN Mobility Agent Advertisement AVP (type 2, spec §2.4), the ICMP router advertisement
//! extension 16 (Mobile IP) and extension 255 (MVTP, spec FMT-16): one implementation.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Sequence Number        |     Registration Lifetime     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|B|H|F|M|G|r|T|U|X|I|  rsvd   |  zero or more Care-of Addresses ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use crate::bytes::{array, be_u16};
use std::net::Ipv4Addr;

/// Octets before the care-of addresses.
pub const FIXED_LEN: usize = 6;

/// Field offsets of the body.
pub mod field {
    use core::ops::Range;
    /// Sequence Number.
    pub const SEQ: Range<usize> = 0..2;
    /// Registration Lifetime.
    pub const LIFETIME: Range<usize> = 2..4;
    /// Flags (16 bits).
    pub const FLAGS: Range<usize> = 4..6;
}

/// Flag bits of the 16-bit Flags field (RFC 5944 §2.1.1, RFC 3519, RFC 3543).
pub mod flags {
    /// R: registration required.
    pub const R: u16 = 0x8000;
    /// B: busy.
    pub const B: u16 = 0x4000;
    /// H: home agent.
    pub const H: u16 = 0x2000;
    /// F: foreign agent.
    pub const F: u16 = 0x1000;
    /// M: minimal encapsulation.
    pub const M: u16 = 0x0800;
    /// G: GRE encapsulation.
    pub const G: u16 = 0x0400;
    /// r: reserved (FMT-3).
    pub const RSVD_R: u16 = 0x0200;
    /// T: reverse tunnelling.
    pub const T: u16 = 0x0100;
    /// U: UDP tunnelling (RFC 3519).
    pub const U: u16 = 0x0080;
    /// X: revocation support (RFC 3543).
    pub const X: u16 = 0x0040;
    /// I: (RFC 3543).
    pub const I: u16 = 0x0020;
    /// The 5 low reserved bits.
    pub const RSVD_LOW: u16 = 0x001F;
    /// Every reserved bit: one FMT-3 warning at the Flags field when any is set.
    pub const RESERVED: u16 = RSVD_R | RSVD_LOW;
    /// Letters of the defined bits, most significant first, for summaries.
    pub const LETTERS: [(u16, char); 11] =
        [(R, 'R'), (B, 'B'), (H, 'H'), (F, 'F'), (M, 'M'), (G, 'G'), (T, 'T'), (U, 'U'), (X, 'X'), (I, 'I'), (RSVD_R, 'r')];
}

/// Why a body is malformed: its length is not 6 + 4k (spec AVP-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadBodyLength(pub usize);

/// A checked, zero-copy view of an advertisement body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentAdvView<'a> {
    body: &'a [u8],
}

impl<'a> AgentAdvView<'a> {
    /// Checks the length: 6 + 4k octets, k ≥ 0 [AVP-6].
    pub fn new(body: &'a [u8]) -> Result<Self, BadBodyLength> {
        if body.len() < FIXED_LEN || !(body.len() - FIXED_LEN).is_multiple_of(4) {
            return Err(BadBodyLength(body.len()));
        }
        Ok(Self { body })
    }

    /// Sequence Number.
    pub fn seq(&self) -> u16 {
        be_u16(self.body, field::SEQ.start).unwrap_or(0) // length checked in `new`
    }

    /// Registration Lifetime, seconds.
    pub fn lifetime(&self) -> u16 {
        be_u16(self.body, field::LIFETIME.start).unwrap_or(0) // length checked in `new`
    }

    /// The whole 16-bit Flags field, reserved bits included.
    pub fn flags(&self) -> u16 {
        be_u16(self.body, field::FLAGS.start).unwrap_or(0) // length checked in `new`
    }

    /// True when a reserved flag bit is set (FMT-3 warning).
    pub fn reserved_set(&self) -> bool {
        self.flags() & flags::RESERVED != 0
    }

    /// Number of care-of addresses.
    pub fn coa_count(&self) -> usize {
        (self.body.len() - FIXED_LEN) / 4
    }

    /// The care-of addresses.
    pub fn coas(&self) -> impl ExactSizeIterator<Item = Ipv4Addr> + 'a {
        let body = self.body;
        (0..(body.len() - FIXED_LEN) / 4).map(move |i| Ipv4Addr::from(array::<4>(body, FIXED_LEN + 4 * i).unwrap_or([0; 4])))
    }

    /// Offset of care-of address `i` within the body.
    pub fn coa_offset(i: usize) -> usize {
        FIXED_LEN + 4 * i
    }

    /// Copies the body into an owned value.
    pub fn to_owned(&self) -> AgentAdv {
        AgentAdv { seq: self.seq(), lifetime: self.lifetime(), flags: self.flags(), coas: self.coas().collect() }
    }
}

/// An owned advertisement body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AgentAdv {
    /// Sequence Number [PROC-2].
    pub seq: u16,
    /// Registration Lifetime, seconds.
    pub lifetime: u16,
    /// The 16-bit Flags field, reserved bits kept as read.
    pub flags: u16,
    /// Care-of addresses.
    pub coas: Vec<Ipv4Addr>,
}

impl AgentAdv {
    /// Parses a body [AVP-6].
    pub fn parse(body: &[u8]) -> Result<Self, BadBodyLength> {
        AgentAdvView::new(body).map(|v| v.to_owned())
    }

    /// Appends the body.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for c in &self.coas {
            out.extend_from_slice(&c.octets());
        }
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        FIXED_LEN + 4 * self.coas.len()
    }
}

/// Writes the set flag letters (`RFGT`) of `f`.
pub fn flag_letters(f: u16) -> String {
    flags::LETTERS.iter().filter(|(b, _)| f & b != 0).map(|(_, c)| *c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const BODY: [u8; 10] = [
        0x04, 0xb9,             // sequence 1209
        0x07, 0x08,             // lifetime 1800
        0x95, 0xc0,             // R F G T U X
        198, 51, 100, 20,       // care-of address
    ];

    #[test]
    fn view_and_round_trip() {
        let v = AgentAdvView::new(&BODY).unwrap();
        assert_eq!((v.seq(), v.lifetime(), v.flags()), (1209, 1800, 0x95c0));
        assert_eq!(v.coas().collect::<Vec<_>>(), vec![Ipv4Addr::new(198, 51, 100, 20)]);
        assert!(!v.reserved_set());
        let mut out = Vec::new();
        v.to_owned().emit(&mut out);
        assert_eq!(out, BODY);
        assert_eq!(flag_letters(0x95c0), "RFGTUX");
    }

    #[test]
    fn avp_6_length_must_be_6_plus_4k() {
        assert_eq!(AgentAdvView::new(&BODY[..5]), Err(BadBodyLength(5)));
        assert_eq!(AgentAdvView::new(&BODY[..8]), Err(BadBodyLength(8)));
        assert!(AgentAdvView::new(&BODY[..6]).is_ok());
    }
}
