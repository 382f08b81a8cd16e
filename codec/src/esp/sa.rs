//! Security associations: algorithms (RFC 8221's list and the older ones captures still
//! carry), the SA itself and the table ESP packets are looked up in.
//!
//! Algorithm names are read leniently: the spellings of the keys file (`3des-cbc`,
//! `hmac-sha1-96`), tcpdump `-E` (`3des-cbc-hmac96`), Linux `ip xfrm` (`cbc(des3_ede)`,
//! `hmac(sha1)`), Wireshark's ESP SA table (`TripleDES-CBC [RFC2451]`) and strongSwan
//! proposals (`aes128gcm16`) all name the same algorithms.

use std::net::IpAddr;

/// An ESP encryption (confidentiality) algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Encryption {
    /// ENCR_NULL (RFC 2410): the payload is in clear, no IV, 4-octet alignment.
    Null,
    /// DES-CBC (RFC 2405): 8-octet key and IV.
    DesCbc,
    /// 3DES-CBC (RFC 2451): 24-octet key, 8-octet IV.
    TripleDesCbc,
    /// AES-CBC (RFC 3602): 16, 24 or 32-octet key, 16-octet IV.
    AesCbc,
    /// AES-GCM (RFC 4106): 20, 28 or 36-octet key (the last 4 octets are the salt),
    /// 8-octet IV, an ICV of `icv_len` octets (8, 12 or 16) made by the cipher itself.
    AesGcm {
        /// ICV length in octets.
        icv_len: u8,
    },
    /// An algorithm this build cannot run (Blowfish, CAST…), kept by name so that
    /// decryption can say why it did not happen.
    Unsupported(String),
}

impl Encryption {
    /// Reads a name in any of the usual spellings; `None` when it names no cipher at all.
    /// Unknown cipher-looking names (`blowfish-cbc`, `cast128-cbc`) give `Unsupported`.
    pub fn from_name(name: &str) -> Option<Self> {
        let n = norm(name);
        Some(match n.as_str() {
            "null" | "none" | "encrnull" | "ciphernull" | "ecbciphernull" | "enull" => Encryption::Null,
            "des" | "descbc" | "cbcdes" | "encrdes" => Encryption::DesCbc,
            "3des" | "3descbc" | "des3" | "des3cbc" | "des3ede" | "cbcdes3ede" | "desede3" | "desede3cbc" | "tripledes"
            | "tripledescbc" | "encr3des" => Encryption::TripleDesCbc,
            "aes" | "aescbc" | "cbcaes" | "aes128" | "aes128cbc" | "aes192" | "aes192cbc" | "aes256" | "aes256cbc"
            | "encraescbc" => Encryption::AesCbc,
            "aesgcm"
            | "gcmaes"
            | "rfc4106gcmaes"
            | "aesgcm16"
            | "aes128gcm16"
            | "aes192gcm16"
            | "aes256gcm16"
            | "aesgcmwith16octeticv"
            | "aes128gcm"
            | "aes192gcm"
            | "aes256gcm"
            | "encraesgcm16" => Encryption::AesGcm { icv_len: 16 },
            "aesgcm12" | "aes128gcm12" | "aes192gcm12" | "aes256gcm12" | "aesgcmwith12octeticv" | "encraesgcm12" => {
                Encryption::AesGcm { icv_len: 12 }
            }
            "aesgcm8" | "aes128gcm8" | "aes192gcm8" | "aes256gcm8" | "aesgcmwith8octeticv" | "encraesgcm8" => {
                Encryption::AesGcm { icv_len: 8 }
            }
            "" => return None,
            _ => Encryption::Unsupported(name.trim().to_owned()),
        })
    }

    /// The key length a name implies (`aes256-cbc` → 32), when it implies one.
    pub fn implied_key_len(name: &str) -> Option<usize> {
        let n = norm(name);
        let gcm = n.contains("gcm");
        let salt = if gcm { 4 } else { 0 };
        if n.contains("aes128") {
            Some(16 + salt)
        } else if n.contains("aes192") {
            Some(24 + salt)
        } else if n.contains("aes256") {
            Some(32 + salt)
        } else {
            None
        }
    }

    /// Octets of IV in front of the ciphertext.
    pub fn iv_len(&self) -> usize {
        match self {
            Encryption::Null | Encryption::Unsupported(_) => 0,
            Encryption::DesCbc | Encryption::TripleDesCbc | Encryption::AesGcm { .. } => 8,
            Encryption::AesCbc => 16,
        }
    }

    /// Alignment of payload + padding + 2 (RFC 4303 §2.4: the cipher block, at least 4).
    pub fn block_len(&self) -> usize {
        match self {
            Encryption::DesCbc | Encryption::TripleDesCbc => 8,
            Encryption::AesCbc => 16,
            Encryption::Null | Encryption::AesGcm { .. } | Encryption::Unsupported(_) => 4,
        }
    }

    /// ICV octets the cipher itself produces (AEAD), 0 otherwise.
    pub fn aead_icv_len(&self) -> usize {
        match self {
            Encryption::AesGcm { icv_len } => usize::from(*icv_len),
            _ => 0,
        }
    }

    /// Checks a key's length; `Err` says what was expected.
    pub fn check_key(&self, key: &[u8]) -> Result<(), String> {
        let ok: &[usize] = match self {
            Encryption::Null => &[0],
            Encryption::DesCbc => &[8],
            Encryption::TripleDesCbc => &[24],
            Encryption::AesCbc => &[16, 24, 32],
            Encryption::AesGcm { .. } => &[20, 28, 36],
            Encryption::Unsupported(_) => return Ok(()),
        };
        if ok.contains(&key.len()) || (matches!(self, Encryption::Null) && key.is_empty()) {
            Ok(())
        } else {
            Err(format!("{} needs a key of {:?} octets, got {}", self.name(), ok, key.len()))
        }
    }

    /// Canonical name (keys-file spelling).
    pub fn name(&self) -> &str {
        match self {
            Encryption::Null => "null",
            Encryption::DesCbc => "des-cbc",
            Encryption::TripleDesCbc => "3des-cbc",
            Encryption::AesCbc => "aes-cbc",
            Encryption::AesGcm { icv_len: 8 } => "aes-gcm-8",
            Encryption::AesGcm { icv_len: 12 } => "aes-gcm-12",
            Encryption::AesGcm { .. } => "aes-gcm-16",
            Encryption::Unsupported(n) => n,
        }
    }
}

/// An ESP integrity algorithm (the ICV after the ciphertext).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Integrity {
    /// No separate ICV (NULL, or an AEAD cipher).
    None,
    /// HMAC-MD5-96 (RFC 2403).
    HmacMd5_96,
    /// HMAC-SHA1-96 (RFC 2404).
    HmacSha1_96,
    /// HMAC-SHA-256-96 (pre-RFC 4868 Linux/KAME truncation).
    HmacSha256_96,
    /// HMAC-SHA-256-128 (RFC 4868).
    HmacSha256_128,
    /// HMAC-SHA-384-192 (RFC 4868).
    HmacSha384_192,
    /// HMAC-SHA-512-256 (RFC 4868).
    HmacSha512_256,
    /// An ICV of this many octets that cannot be checked (tcpdump's `-hmac96` gives no
    /// key; Wireshark's "ANY 96 bit authentication").
    Unchecked(u8),
    /// An integrity algorithm this build cannot run, kept by name.
    Unsupported(String),
}

impl Integrity {
    /// Reads a name in any of the usual spellings.
    pub fn from_name(name: &str) -> Self {
        let n = norm(name);
        match n.as_str() {
            "" | "none" | "null" | "authnull" | "digestnull" | "nullauth" => Integrity::None,
            "hmacmd596" | "md5" | "hmacmd5" | "md596" | "authhmacmd596" => Integrity::HmacMd5_96,
            "hmacsha196" | "sha1" | "hmacsha1" | "sha196" | "sha" | "authhmacsha196" => Integrity::HmacSha1_96,
            "hmacsha25696" | "sha25696" => Integrity::HmacSha256_96,
            "hmacsha256128" | "sha256" | "sha2256" | "hmacsha256" | "sha256128" | "authhmacsha2256128" => {
                Integrity::HmacSha256_128
            }
            "hmacsha384192" | "sha384" | "sha2384" | "hmacsha384" | "sha384192" | "authhmacsha2384192" => {
                Integrity::HmacSha384_192
            }
            "hmacsha512256" | "sha512" | "sha2512" | "hmacsha512" | "sha512256" | "authhmacsha2512256" => {
                Integrity::HmacSha512_256
            }
            "hmac96" | "any96bitauthentication" | "any96bit" => Integrity::Unchecked(12),
            "any64bitauthentication" | "any64bit" => Integrity::Unchecked(8),
            "any128bitauthentication" | "any128bit" => Integrity::Unchecked(16),
            "any192bitauthentication" | "any192bit" => Integrity::Unchecked(24),
            "any256bitauthentication" | "any256bit" => Integrity::Unchecked(32),
            _ => Integrity::Unsupported(name.trim().to_owned()),
        }
    }

    /// ICV length in octets; `None` for an unsupported algorithm (the trailer cannot be found).
    pub fn icv_len(&self) -> Option<usize> {
        Some(match self {
            Integrity::None => 0,
            Integrity::HmacMd5_96 | Integrity::HmacSha1_96 | Integrity::HmacSha256_96 => 12,
            Integrity::HmacSha256_128 => 16,
            Integrity::HmacSha384_192 => 24,
            Integrity::HmacSha512_256 => 32,
            Integrity::Unchecked(n) => usize::from(*n),
            Integrity::Unsupported(_) => return None,
        })
    }

    /// Canonical name (keys-file spelling).
    pub fn name(&self) -> String {
        match self {
            Integrity::None => "none".into(),
            Integrity::HmacMd5_96 => "hmac-md5-96".into(),
            Integrity::HmacSha1_96 => "hmac-sha1-96".into(),
            Integrity::HmacSha256_96 => "hmac-sha256-96".into(),
            Integrity::HmacSha256_128 => "hmac-sha256-128".into(),
            Integrity::HmacSha384_192 => "hmac-sha384-192".into(),
            Integrity::HmacSha512_256 => "hmac-sha512-256".into(),
            Integrity::Unchecked(n) => format!("unchecked-{}", u32::from(*n) * 8),
            Integrity::Unsupported(n) => n.clone(),
        }
    }
}

/// Lower case, text in brackets dropped (`"TripleDES-CBC [RFC2451]"`), only letters and
/// digits kept: every spelling of a name collapses to one key.
fn norm(s: &str) -> String {
    let s = s.split('[').next().unwrap_or("");
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// One ESP security association (RFC 4303 §1, RFC 4301 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sa {
    /// SPI, or `None` for a wildcard SA (tcpdump `-E` without `SPI@DST`): tried on any packet.
    pub spi: Option<u32>,
    /// Destination address, or `None` for any.
    pub dst: Option<IpAddr>,
    /// Encryption algorithm.
    pub encryption: Encryption,
    /// Encryption key (for AES-GCM: key then 4-octet salt, RFC 4106 §8.1).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub enc_key: Vec<u8>,
    /// Integrity algorithm.
    pub auth: Integrity,
    /// Integrity key (empty with [`Integrity::Unchecked`]).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub auth_key: Vec<u8>,
}

impl Sa {
    /// Builds an SA from algorithm names (any usual spelling). Checks the key lengths the
    /// names imply; an unknown name gives an SA whose decryption reports "unknown algorithm".
    pub fn from_names(
        spi: Option<u32>,
        dst: Option<IpAddr>,
        encryption: &str,
        enc_key: Vec<u8>,
        auth: &str,
        auth_key: Vec<u8>,
    ) -> Result<Self, String> {
        let enc = Encryption::from_name(encryption).ok_or_else(|| "no encryption algorithm given".to_owned())?;
        if let Some(n) = Encryption::implied_key_len(encryption) {
            if n != enc_key.len() {
                return Err(format!("{encryption} needs a {n}-octet key, got {}", enc_key.len()));
            }
        }
        enc.check_key(&enc_key)?;
        let mut integ = Integrity::from_name(auth);
        // An AEAD cipher carries its own ICV; "none" is then the only sensible integrity.
        if matches!(enc, Encryption::AesGcm { .. }) && !matches!(integ, Integrity::None) {
            return Err(format!("{} is combined-mode: integrity must be none, not {auth}", enc.name()));
        }
        if integ.icv_len().is_some_and(|n| n > 0) && auth_key.is_empty() && !matches!(integ, Integrity::Unchecked(_)) {
            // A MAC without a key: the ICV can be skipped but not checked.
            integ = Integrity::Unchecked(integ.icv_len().and_then(|n| u8::try_from(n).ok()).unwrap_or(12));
        }
        Ok(Self { spi, dst, encryption: enc, enc_key, auth: integ, auth_key })
    }

    /// ICV octets at the end of a packet of this SA; `None` for an unsupported integrity
    /// algorithm.
    pub fn icv_len(&self) -> Option<usize> {
        Some(self.auth.icv_len()? + self.encryption.aead_icv_len())
    }

    /// True when this SA applies to a packet with `spi` sent to `dst` (wildcards match all).
    pub fn matches(&self, spi: u32, dst: Option<IpAddr>) -> bool {
        self.spi.is_none_or(|s| s == spi)
            && match (self.dst, dst) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    /// True for a wildcard SA (no SPI).
    pub fn is_wildcard(&self) -> bool {
        self.spi.is_none()
    }
}

/// Security associations, looked up by SPI and destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaTable {
    /// The SAs, in the order given.
    pub sas: Vec<Sa>,
}

impl SaTable {
    /// Adds an SA; a later SA with the same SPI and destination replaces the earlier one.
    pub fn insert(&mut self, sa: Sa) {
        if sa.spi.is_some() {
            if let Some(old) = self.sas.iter_mut().find(|o| o.spi == sa.spi && o.dst == sa.dst) {
                *old = sa;
                return;
            }
        }
        self.sas.push(sa);
    }

    /// True when no SA is known.
    pub fn is_empty(&self) -> bool {
        self.sas.is_empty()
    }

    /// Number of SAs.
    pub fn len(&self) -> usize {
        self.sas.len()
    }

    /// The SAs to try for a packet, best first: SAs naming this SPI (those naming this
    /// destination before those naming none), then wildcard SAs in the order given.
    pub fn candidates(&self, spi: u32, dst: Option<IpAddr>) -> Vec<&Sa> {
        let mut exact: Vec<&Sa> = self.sas.iter().filter(|s| s.spi == Some(spi) && s.matches(spi, dst)).collect();
        exact.sort_by_key(|s| s.dst.is_none());
        exact.extend(self.sas.iter().filter(|s| s.is_wildcard() && s.matches(spi, dst)));
        exact
    }
}
