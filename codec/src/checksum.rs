//! The Internet checksum (RFC 1071) and the pseudo-headers of UDP/TCP over IPv4 (RFC 768,
//! RFC 793) and IPv6 (RFC 8200 §8.1).
//!
//! The 16-bit one's complement of the one's complement sum of the 16-bit words; an odd
//! final octet is padded with zero. A region whose stored checksum is right sums to 0xFFFF.

use crate::numbers::IpProto;

/// One's complement sum of `data` as big-endian 16-bit words, added to `acc`, unfolded.
#[inline]
pub fn sum(data: &[u8], acc: u32) -> u32 {
    let mut acc = u64::from(acc);
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(u16::from_be_bytes([*last, 0]));
    }
    // Fold to 32 bits: at most 2^32 / 2^16 words per packet keeps this exact.
    while acc > 0xFFFF_FFFF {
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
    }
    acc as u32 // ≤ 0xFFFF_FFFF after the loop
}

/// Folds a 32-bit sum to 16 bits (end-around carry).
#[inline]
pub fn fold(mut acc: u32) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc as u16 // ≤ 0xFFFF after the loop
}

/// The Internet checksum of `data` (whose checksum field must be zero to compute one).
#[inline]
pub fn internet(data: &[u8]) -> u16 {
    !fold(sum(data, 0))
}

/// True when `data`, checksum field included, sums to 0xFFFF (RFC 1071 §1 verification).
#[inline]
pub fn verifies(data: &[u8]) -> bool {
    fold(sum(data, 0)) == 0xFFFF
}

/// The addresses of the pseudo-header an upper-layer checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PseudoHeader {
    /// RFC 768 / RFC 793: source, destination, zero, protocol, length (16 bits).
    V4 {
        /// Source address.
        src: [u8; 4],
        /// Destination address.
        dst: [u8; 4],
    },
    /// RFC 8200 §8.1: source, destination, length (32 bits), zero, next header.
    V6 {
        /// Source address.
        src: [u8; 16],
        /// Destination address (the final one when a routing header is present).
        dst: [u8; 16],
    },
}

impl PseudoHeader {
    /// Sum of the pseudo-header for an upper-layer packet of `len` octets of `proto`.
    pub fn sum(&self, proto: IpProto, len: usize) -> u32 {
        match self {
            PseudoHeader::V4 { src, dst } => {
                let acc = sum(src, 0);
                let acc = sum(dst, acc);
                // The 16-bit length field; a longer segment cannot be carried by IPv4 anyway.
                acc + u32::from(proto.0) + (len as u32 & 0xFFFF) + (len as u32 >> 16)
            }
            PseudoHeader::V6 { src, dst } => {
                let acc = sum(src, 0);
                let acc = sum(dst, acc);
                let len = len as u64;
                let l = ((len >> 16) & 0xFFFF) as u32 + (len & 0xFFFF) as u32;
                acc.saturating_add(l).saturating_add(u32::from(proto.0))
            }
        }
    }

    /// The checksum of `segment` (its checksum field zero) under this pseudo-header.
    pub fn checksum(&self, proto: IpProto, segment: &[u8]) -> u16 {
        !fold(sum(segment, self.sum(proto, segment.len())))
    }

    /// True when `segment`, its checksum field included, verifies under this pseudo-header.
    pub fn verifies(&self, proto: IpProto, segment: &[u8]) -> bool {
        fold(sum(segment, self.sum(proto, segment.len()))) == 0xFFFF
    }
}

/// UDP's rule (RFC 768): a computed checksum of zero is sent as all ones.
pub fn udp_nonzero(c: u16) -> u16 {
    if c == 0 {
        0xFFFF
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
    #[test]
    fn rfc1071_3_example_sum() {
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&d, 0)), 0xddf2);
        assert_eq!(internet(&d), !0xddf2);
    }

    /// An odd trailing octet is padded with a zero octet on the right (RFC 1071 §4.1).
    #[test]
    fn rfc1071_odd_length_pads_right() {
        assert_eq!(fold(sum(&[0x12], 0)), 0x1200);
        assert_eq!(fold(sum(&[0x00, 0x01, 0x12], 0)), 0x1201);
    }

    /// An IPv4 header from vector 05 verifies, and recomputing gives the stored value.
    #[test]
    fn rfc791_header_checksum_verifies() {
        let h = hex::decode("4500006d1c414000402fb7d3c6336414cb007105").unwrap();
        assert!(verifies(&h));
        let mut z = h.clone();
        z[10] = 0;
        z[11] = 0;
        assert_eq!(internet(&z), 0xb7d3);
    }

    #[test]
    fn rfc768_zero_checksum_is_sent_as_ones() {
        assert_eq!(udp_nonzero(0), 0xFFFF);
        assert_eq!(udp_nonzero(5), 5);
    }
}
