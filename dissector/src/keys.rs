//! Keys, the same in every subcommand: the `keys` object of the spec vectors
//! (`../shared/spec/vectors/README.md`: `mvtp_auth`, `mip_auth`, `esp`, `l2tp_secret`),
//! so a vector's or scenario's keys can be handed over as they are.

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::esp::{Sa, SaTable};
use serde::Deserialize;
use std::net::IpAddr;

/// Every secret the dissector may use.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// MVTP security associations by SPI (spec §4).
    pub mvtp: KeyStore,
    /// Mobile IPv4 MN-HA / MN-FA / FA-HA security associations by SPI.
    pub mip: KeyStore,
    /// ESP security associations.
    pub esp: SaTable,
    /// L2TP shared secret (hidden AVPs, tunnel authentication).
    pub l2tp_secret: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    mvtp_auth: Vec<AuthEntry>,
    #[serde(default)]
    mip_auth: Vec<AuthEntry>,
    #[serde(default)]
    esp: Vec<EspEntry>,
    #[serde(default)]
    l2tp_secret: Option<String>,
}

#[derive(Deserialize)]
struct AuthEntry {
    spi: u32,
    algorithm: String,
    secret_hex: String,
}

#[derive(Deserialize)]
struct EspEntry {
    spi: u32,
    #[serde(default)]
    dst: Option<IpAddr>,
    encryption: String,
    #[serde(default)]
    enc_key_hex: String,
    #[serde(default = "none")]
    auth: String,
    #[serde(default)]
    auth_key_hex: String,
}

fn none() -> String {
    "none".into()
}

fn unhex(s: &str, what: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    hex::decode(s).map_err(|e| format!("{what}: not hex: {e}"))
}

impl Keys {
    /// Parses the JSON keys object.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("keys file: {e}"))?;
        Self::from_value(&v)
    }

    /// Parses an already-parsed JSON keys object (e.g. a vector's `keys`).
    pub fn from_value(v: &serde_json::Value) -> Result<Self, String> {
        let f: KeysFile = serde_json::from_value(v.clone()).map_err(|e| format!("keys file: {e}"))?;
        let mut k = Keys::default();
        for (store, entries, what) in [(&mut k.mvtp, &f.mvtp_auth, "mvtp_auth"), (&mut k.mip, &f.mip_auth, "mip_auth")] {
            for e in entries {
                let algorithm = Algorithm::parse(&e.algorithm)
                    .ok_or_else(|| format!("{what}: SPI {}: unknown algorithm {:?}", e.spi, e.algorithm))?;
                store.insert(e.spi, AuthKey { algorithm, secret: unhex(&e.secret_hex, what)? });
            }
        }
        for e in &f.esp {
            let sa = Sa::from_names(
                Some(e.spi),
                e.dst,
                &e.encryption,
                unhex(&e.enc_key_hex, "esp enc_key_hex")?,
                &e.auth,
                unhex(&e.auth_key_hex, "esp auth_key_hex")?,
            )
            .map_err(|m| format!("esp: SPI {:#x}: {m}", e.spi))?;
            k.esp.insert(sa);
        }
        k.l2tp_secret = f.l2tp_secret.map(String::into_bytes);
        Ok(k)
    }

    /// Merges `other` into `self` (later entries win for the same SPI).
    pub fn merge(&mut self, other: Keys) {
        let Keys { mvtp, mip, esp, l2tp_secret } = other;
        let _ = (mvtp, mip); // KeyStore has no iterator yet; callers load one file
        for sa in esp.sas {
            self.esp.insert(sa);
        }
        if l2tp_secret.is_some() {
            self.l2tp_secret = l2tp_secret;
        }
    }
}
