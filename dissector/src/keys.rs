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
    #[serde(deserialize_with = "spi_number_or_text")]
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

/// An SPI as a JSON number or as text (`"0x12345678"`, decimal).
fn spi_number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spi {
        N(u32),
        S(String),
    }
    match Spi::deserialize(d)? {
        Spi::N(n) => Ok(n),
        Spi::S(s) => codec::esp::load::parse_spi(&s).ok_or_else(|| serde::de::Error::custom(format!("bad SPI {s:?}"))),
    }
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

    /// Adds the ESP SAs of a tcpdump `-E` argument (`[SPI@DST] ALGO:0xKEY[:0xAUTHKEY]`,
    /// comma- or newline-separated, or `file PATH`; see [`codec::esp::load::tcpdump`]).
    /// A relative `file` path is read relative to the current directory, as tcpdump does.
    pub fn add_tcpdump_secrets(&mut self, spec: &str) -> Result<(), String> {
        self.add_tcpdump_depth(spec, 0)
    }

    fn add_tcpdump_depth(&mut self, spec: &str, depth: u8) -> Result<(), String> {
        use codec::esp::load::{tcpdump, TcpdumpItem};
        for item in tcpdump(spec).map_err(|m| format!("ESP secrets: {m}"))? {
            match item {
                TcpdumpItem::Sa(sa) => self.esp.insert(sa),
                TcpdumpItem::File(path) => {
                    // A secrets file naming itself (or a cycle) stops here.
                    if depth >= 4 {
                        return Err(format!("ESP secrets: {path}: `file` nested too deeply"));
                    }
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("ESP secrets file {path}: {e}"))?;
                    self.add_tcpdump_depth(&text, depth + 1).map_err(|m| format!("{path}: {m}"))?;
                }
            }
        }
        Ok(())
    }

    /// Adds the ESP SAs of an SA file in any supported format, told apart by content:
    /// `ip xfrm state` output (a `proto esp spi` line), Wireshark's `esp_sa` UAT (quoted
    /// CSV records), else tcpdump's secrets-file syntax.
    pub fn add_esp_sa_text(&mut self, text: &str) -> Result<(), String> {
        use codec::esp::load;
        let sas = if text.lines().any(|l| l.trim_start().starts_with("proto ") && l.contains(" spi ")) {
            load::xfrm_state(text).map_err(|m| format!("ip xfrm state: {m}"))?
        } else if text.lines().map(str::trim).any(|l| l.starts_with('"')) {
            load::wireshark_esp_sa(text).map_err(|m| format!("esp_sa: {m}"))?
        } else {
            return self.add_tcpdump_secrets(text);
        };
        for sa in sas {
            self.esp.insert(sa);
        }
        Ok(())
    }

    /// Reads an SA file (see [`Self::add_esp_sa_text`]).
    pub fn add_esp_sa_file(&mut self, path: &std::path::Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.add_esp_sa_text(&text).map_err(|m| format!("{}: {m}", path.display()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use codec::esp::{Encryption, Integrity};

    #[test]
    fn keys_json_esp_entries() {
        let k = Keys::from_json(
            r#"{"esp":[{"spi":327681,"dst":"198.51.100.20","encryption":"null","enc_key_hex":"","auth":"hmac-sha1-96","auth_key_hex":"9f0a0c3f31f8aaa43b005de95bec83f76d32010b"},
                     {"spi":"0x10","encryption":"aes256-cbc","enc_key_hex":"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}]}"#,
        )
        .unwrap();
        assert_eq!(k.esp.len(), 2);
        assert_eq!((k.esp.sas[0].encryption.clone(), k.esp.sas[0].auth.clone()), (Encryption::Null, Integrity::HmacSha1_96));
        assert_eq!(
            (k.esp.sas[1].spi, k.esp.sas[1].encryption.clone(), k.esp.sas[1].auth.clone()),
            (Some(16), Encryption::AesCbc, Integrity::None)
        );
        // aes128-cbc with a 32-octet key is refused with the SPI in the message.
        let e = Keys::from_json(r#"{"esp":[{"spi":1,"encryption":"aes128-cbc","enc_key_hex":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}]}"#).unwrap_err();
        assert!(e.contains("0x1"), "{e}");
    }

    #[test]
    fn tcpdump_secrets_inline_and_file() {
        let mut k = Keys::default();
        k.add_tcpdump_secrets("0x12345678@192.1.2.45 3des-cbc-hmac96:0x43434545464649494a4a4c4c4f4f51515252545457575840,0xabcdabcd@192.0.1.1 3des-cbc-hmac96:0x434545464649494a4a4c4c4f4f5151525254545757584043").unwrap();
        assert_eq!(k.esp.len(), 2);
        let dir = std::env::temp_dir().join(format!("mvtp-esp-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("secrets.txt");
        std::fs::write(&f, "# c\n\n0x1@10.0.0.1 des-cbc:0x0001020304050607\n").unwrap();
        let mut k = Keys::default();
        k.add_tcpdump_secrets(&format!("file {}", f.display())).unwrap();
        assert_eq!(k.esp.sas[0].encryption, Encryption::DesCbc);
        // A file that includes itself stops with an error, not a stack overflow.
        std::fs::write(&f, format!("file {}\n", f.display())).unwrap();
        assert!(Keys::default().add_tcpdump_secrets(&format!("file {}", f.display())).unwrap_err().contains("nested"));
        assert!(Keys::default().add_tcpdump_secrets("file /nonexistent/secrets").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sa_text_format_is_detected() {
        let mut k = Keys::default();
        k.add_esp_sa_text("src 10.0.0.1 dst 10.0.0.2\n\tproto esp spi 0x00000300 reqid 4 mode transport\n\tenc cbc(aes) 0x00112233445566778899aabbccddeeff\n").unwrap();
        k.add_esp_sa_text("\"IPv4\",\"*\",\"10.0.0.9\",\"0x9\",\"NULL\",\"\",\"NULL\",\"\"\n").unwrap();
        k.add_esp_sa_text("0x7@10.0.0.7 null:").unwrap();
        let spis: Vec<_> = k.esp.sas.iter().map(|s| s.spi).collect();
        assert_eq!(spis, [Some(0x300), Some(9), Some(7)]);
    }
}
