//! ESP (RFC 4303): header view, security associations and decryption.
//! (Stub: filled in by the codec IV work.)

use std::net::IpAddr;

/// One ESP security association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sa {
    /// SPI, or `None` for a wildcard SA (tcpdump `-E` without `SPI@DST`).
    pub spi: Option<u32>,
    /// Destination address, or `None` for any.
    pub dst: Option<IpAddr>,
    /// Encryption algorithm name as given.
    pub encryption: String,
    /// Encryption key.
    pub enc_key: Vec<u8>,
    /// Integrity algorithm name as given.
    pub auth: String,
    /// Integrity key (empty: ICV not verified).
    pub auth_key: Vec<u8>,
}

impl Sa {
    /// Builds an SA from algorithm names (keys-file spellings, leniently).
    pub fn from_names(spi: Option<u32>, dst: Option<IpAddr>, encryption: &str, enc_key: Vec<u8>, auth: &str, auth_key: Vec<u8>) -> Result<Self, String> {
        Ok(Self { spi, dst, encryption: encryption.to_owned(), enc_key, auth: auth.to_owned(), auth_key })
    }
}

/// Security associations, looked up by SPI and destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaTable {
    /// The SAs, in the order given.
    pub sas: Vec<Sa>,
}

impl SaTable {
    /// Adds an SA.
    pub fn insert(&mut self, sa: Sa) {
        self.sas.push(sa);
    }

    /// True when no SA is known.
    pub fn is_empty(&self) -> bool {
        self.sas.is_empty()
    }
}

use crate::fields::FieldDef;

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[];
