//! ESP security associations as the agents use them (RFC 4303, real encryption through
//! `codec::esp`): an outbound SA that seals packets with a sequence number and a
//! deterministic IV, an inbound SA that opens them (ICV checked), tunnel mode (RFC 4301
//! §4.1: Next Header 4, an inner IPv4 packet), optionally in UDP 4500 (RFC 3948), and the
//! Mobile IPsec SPI split of spec §6 [SEC-1].
//!
//! The IV of each packet is derived from the SPI and the sequence number, so a run is
//! reproducible octet for octet; a real implementation draws it at random (the receiver
//! cannot tell).

use codec::esp::{self, IcvStatus, Sa};
use codec::numbers::IpProto;
use codec::stack::Node;
use std::net::Ipv4Addr;

/// UDP port of ESP in UDP (RFC 3948 §2) and of IKE behind a NAT (RFC 7296 §2.23).
pub const NATT_PORT: u16 = 4500;

/// The SPI of spec §6 [SEC-1]: the Local Endpoint ID in the high 16 bits, the SA's own
/// index in the low 16 bits.
pub fn split_spi(leid: u16, index: u16) -> u32 {
    (u32::from(leid) << 16) | u32::from(index)
}

/// The Local Endpoint ID an SPI names [SEC-1, SEC-2].
pub fn spi_leid(spi: u32) -> u16 {
    (spi >> 16) as u16
}

/// A deterministic IV of `len` octets for packet `seq` of SA `spi`.
pub fn iv_for(spi: u32, seq: u32, len: usize) -> Vec<u8> {
    let mut x = (u64::from(spi) << 32 | u64::from(seq)) ^ 0x6d76_7470_6976_2121;
    (0..len)
        .map(|_| {
            // SplitMix64 step: every octet depends on SPI and sequence number.
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// One direction of an ESP security association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspSa {
    /// Cipher, integrity and keys.
    pub sa: Sa,
    /// SPI as sent.
    pub spi: u32,
    /// Sequence number of the last packet sealed (0: none yet; RFC 4303 §3.3.3).
    pub seq: u32,
}

impl EspSa {
    /// An outbound SA with this SPI; the first packet gets sequence number 1.
    pub fn new(sa: Sa, spi: u32) -> Self {
        Self { sa, spi, seq: 0 }
    }

    /// 3DES-CBC with HMAC-SHA1-96 from keys of the right sizes (cannot fail).
    pub fn des3_sha1_keys(spi: u32, enc_key: &[u8; 24], auth_key: &[u8; 20]) -> Self {
        let sa = Sa {
            spi: Some(spi),
            dst: None,
            encryption: codec::esp::Encryption::TripleDesCbc,
            enc_key: enc_key.to_vec(),
            auth: codec::esp::Integrity::HmacSha1_96,
            auth_key: auth_key.to_vec(),
        };
        Self::new(sa, spi)
    }

    /// 3DES-CBC with HMAC-SHA1-96 (the ESP of spec MIP-7's overhead figures).
    pub fn des3_sha1(spi: u32, enc_key: &[u8], auth_key: &[u8]) -> Result<Self, String> {
        let sa = Sa::from_names(Some(spi), None, "3des-cbc", enc_key.to_vec(), "hmac-sha1-96", auth_key.to_vec())?;
        Ok(Self::new(sa, spi))
    }

    /// ESP around `inner` (tunnel mode when `inner` is an IPv4 packet), next sequence number.
    pub fn seal(&mut self, inner: Node) -> Node {
        self.seq = self.seq.wrapping_add(1);
        let iv = iv_for(self.spi, self.seq, self.sa.encryption.iv_len());
        Node::esp(self.sa.clone(), self.spi, self.seq, iv, IpProto::IPIP, inner)
    }

    /// IPv4 `src` → `dst` carrying ESP around `inner`, in UDP 4500 when `udp` (RFC 3948).
    pub fn seal_ip(&mut self, src: Ipv4Addr, dst: Ipv4Addr, udp: bool, inner: Node) -> Node {
        let esp = self.seal(inner);
        let payload = if udp { Node::udp(NATT_PORT, NATT_PORT, esp) } else { esp };
        Node::ipv4(src.octets(), dst.octets(), IpProto::ESP, payload)
    }

    /// Opens an ESP packet (from its SPI field on) of this SA: (Next Header, payload).
    /// `None` when the SPI differs, the ICV fails or the padding is wrong.
    pub fn open(&self, esp_octets: &[u8]) -> Option<(u8, Vec<u8>)> {
        let spi = u32::from_be_bytes(esp_octets.get(..4)?.try_into().ok()?);
        // SEC-1: the SA is found by the SPI's low half; the high half is the LEID.
        if spi & 0xFFFF != self.spi & 0xFFFF {
            return None;
        }
        let d = esp::decrypt(&self.sa, esp_octets).ok()?;
        (d.icv_status == IcvStatus::Good).then(|| (d.next_header, d.payload().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENC: [u8; 24] = *b"0123456789abcdefghijklmn";
    const AUTH: [u8; 20] = *b"authentication key 1";

    fn user() -> Node {
        Node::ipv4(
            [10, 1, 5, 23],
            [10, 1, 80, 80],
            IpProto::UDP,
            Node::udp(5000, 7, Node::raw(b"hi".to_vec())),
        )
    }

    #[test]
    fn sec_1_spi_high_half_is_the_leid() {
        assert_eq!(split_spi(0x0102, 0x0304), 0x0102_0304);
        assert_eq!(spi_leid(0x0102_0304), 0x0102);
    }

    #[test]
    fn rfc4303_seal_then_open_round_trips_with_a_good_icv() {
        let mut out = EspSa::des3_sha1(split_spi(7, 0x101), &ENC, &AUTH).unwrap();
        let inbound = out.clone();
        let ip = out.seal_ip(Ipv4Addr::new(198, 51, 100, 9), Ipv4Addr::new(203, 0, 113, 30), false, user());
        let octets = ip.emit_fixed().unwrap();
        assert_eq!(octets[9], 50, "IPv4 protocol ESP");
        let (nh, payload) = inbound.open(&octets[20..]).expect("opens");
        assert_eq!(nh, 4, "tunnel mode: Next Header IPv4");
        assert_eq!(payload, user().emit_fixed().unwrap());
        assert_eq!(out.seq, 1);
        // A flipped ciphertext octet fails the ICV.
        let mut bad = octets[20..].to_vec();
        bad[20] ^= 1;
        assert!(inbound.open(&bad).is_none());
    }

    #[test]
    fn sec_1_sa_survives_a_new_leid_in_the_high_half() {
        let mut out = EspSa::des3_sha1(split_spi(7, 0x101), &ENC, &AUTH).unwrap();
        let inbound = out.clone();
        out.spi = split_spi(9, 0x101);
        let esp = out.seal(user()).emit_fixed().unwrap();
        assert!(inbound.open(&esp).is_some(), "looked up by the low half; the ICV covers the SPI as sent");
    }

    #[test]
    fn rfc2451_fixed_size_keys_build_the_same_sa_as_the_names() {
        assert_eq!(EspSa::des3_sha1_keys(0x101, &ENC, &AUTH), EspSa::des3_sha1(0x101, &ENC, &AUTH).unwrap());
    }

    #[test]
    fn rfc3948_esp_in_udp_4500() {
        let mut out = EspSa::des3_sha1(0x101, &ENC, &AUTH).unwrap();
        let octets = out
            .seal_ip(Ipv4Addr::new(198, 51, 100, 9), Ipv4Addr::new(203, 0, 113, 30), true, user())
            .emit_fixed()
            .unwrap();
        assert_eq!(octets[9], 17);
        assert_eq!(&octets[20..24], &[0x11, 0x94, 0x11, 0x94]);
        assert!(out.open(&octets[28..]).is_some());
    }
}
