//! Byte strings as lowercase hex in serde formats (STYLE §8).
#![cfg(feature = "serde")]

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes bytes as a lowercase hex string.
pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

/// Deserializes a hex string (with or without `0x`) into bytes.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    let s = s.strip_prefix("0x").unwrap_or(&s);
    hex::decode(s).map_err(serde::de::Error::custom)
}
