//! Keyed authenticators shared by MVTP (spec §4) and Mobile IPv4 (RFC 5944 §3.5.1):
//! HMAC-MD5 (16 octets) and HMAC-SHA-256 (32 octets) from a key store keyed by SPI,
//! compared in constant time.

use hmac::{Hmac, Mac};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// An authentication algorithm of a security association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Algorithm {
    /// HMAC-MD5 (RFC 2104), 16-octet authenticator: the default [AUTH-2].
    #[cfg_attr(feature = "serde", serde(rename = "hmac-md5"))]
    HmacMd5,
    /// HMAC-SHA-256, 32-octet authenticator [AUTH-2].
    #[cfg_attr(feature = "serde", serde(rename = "hmac-sha256"))]
    HmacSha256,
}

impl Algorithm {
    /// Octets of the authenticator this algorithm produces.
    #[allow(clippy::len_without_is_empty)] // an output size, not a collection
    pub const fn len(self) -> usize {
        match self {
            Algorithm::HmacMd5 => 16,
            Algorithm::HmacSha256 => 32,
        }
    }

    /// The name used in keys files (`hmac-md5`, `hmac-sha256`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacMd5 => "hmac-md5",
            Algorithm::HmacSha256 => "hmac-sha256",
        }
    }

    /// Parses a keys-file spelling, leniently (`hmac-md5`, `HMAC_MD5`, `md5`, `hmac-sha-256`…).
    pub fn parse(s: &str) -> Option<Self> {
        let norm: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match norm.as_str() {
            "hmacmd5" | "md5" => Some(Algorithm::HmacMd5),
            "hmacsha256" | "sha256" => Some(Algorithm::HmacSha256),
            _ => None,
        }
    }

    /// Computes the authenticator over the concatenation of `parts`.
    pub fn compute(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Algorithm::HmacMd5 => mac::<Hmac<md5::Md5>>(key, parts),
            Algorithm::HmacSha256 => mac::<Hmac<sha2::Sha256>>(key, parts),
        }
    }

    /// Verifies `authenticator` over `parts` in constant time. An authenticator whose
    /// length differs from this algorithm's does not verify [AVP-10].
    pub fn verify(self, key: &[u8], parts: &[&[u8]], authenticator: &[u8]) -> bool {
        let expected = self.compute(key, parts);
        expected.len() == authenticator.len() && bool::from(expected.ct_eq(authenticator))
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length (RFC 2104 §2), so this cannot fail.
    let mut m = match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// A security association: algorithm and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AuthKey {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The shared secret.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub secret: Vec<u8>,
}

/// Security associations keyed by SPI (spec §4, RFC 5944 §3.5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyStore {
    by_spi: HashMap<u32, AuthKey>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the SA of `spi`.
    pub fn insert(&mut self, spi: u32, key: AuthKey) {
        self.by_spi.insert(spi, key);
    }

    /// The SA of `spi`, if known.
    pub fn get(&self, spi: u32) -> Option<&AuthKey> {
        self.by_spi.get(&spi)
    }

    /// True when the store holds no SA.
    pub fn is_empty(&self) -> bool {
        self.by_spi.is_empty()
    }

    /// Number of SAs.
    pub fn len(&self) -> usize {
        self.by_spi.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2202_hmac_md5_test_case_2() {
        let mac = Algorithm::HmacMd5.compute(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex::encode(&mac), "750c783e6ab0b503eaa86e310a5db738");
        assert!(Algorithm::HmacMd5.verify(b"Jefe", &[b"what do ya want for nothing?"], &mac));
        assert!(!Algorithm::HmacMd5.verify(b"Jefe", &[b"what do ya want for nothing!"], &mac));
        assert!(!Algorithm::HmacMd5.verify(b"Jefe", &[b"what do ya want for nothing?"], &mac[..15]));
    }

    #[test]
    fn rfc4231_hmac_sha256_test_case_2() {
        let mac = Algorithm::HmacSha256.compute(b"Jefe", &[b"what do ya want for nothing?"]);
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn lenient_names() {
        assert_eq!(Algorithm::parse("HMAC_MD5"), Some(Algorithm::HmacMd5));
        assert_eq!(Algorithm::parse("hmac-sha-256"), Some(Algorithm::HmacSha256));
        assert_eq!(Algorithm::parse("des"), None);
    }
}
