//! ESP (RFC 4303): header view and Repr, decryption with ICV verification, encryption,
//! security associations ([`sa`]) and their loaders ([`load`]); UDP encapsulation of ESP
//! (RFC 3948) markers.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
//! |               Security Parameters Index (SPI)                 | ^Int.
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
//! |                      Sequence Number                          | |ered
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
//! |                    IV (cipher-dependent)                      | |   ^
//! ~                    Payload Data (variable)                    ~ |   |
//! +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Conf.
//! |               |     Padding (0-255 bytes)                     | |Cov-
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |ered*
//! |                               |  Pad Length   | Next Header   | v   v
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
//! |         Integrity Check Value-ICV   (variable)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Without an SA the body after the header is opaque. With one, [`decrypt`] checks the ICV
//! (HMAC, RFC 2403/2404/4868; or the AES-GCM tag, RFC 4106), decrypts (NULL RFC 2410,
//! DES/3DES-CBC RFC 2405/2451, AES-CBC RFC 3602, AES-GCM RFC 4106) and checks the
//! self-describing padding 1, 2, 3, … (RFC 4303 §2.4). [`SaTable::decrypt`] tries every SA
//! that may apply and says, per SA, why none worked. [`encrypt`] builds a whole packet.
//!
//! The sequence number is the low 32 bits only: extended sequence numbers (RFC 4303 §2.2.1)
//! are not modelled (their high half is never on the wire, so a capture cannot show it).

pub mod load;
pub mod sa;

pub use sa::{Encryption, Integrity, Sa, SaTable};

use crate::bytes::be_u32;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use core::fmt;
use core::ops::Range;
use std::net::IpAddr;

/// SPI and Sequence Number.
pub const HEADER_LEN: usize = field::SEQ.end;
/// Pad Length and Next Header after the padding.
pub const TRAILER_LEN: usize = 2;
/// Next Header 59 "no next header": a dummy packet (RFC 4303 §2.6) to be discarded.
pub const NEXT_HEADER_NONE: u8 = 59;
/// RFC 3948 §2.2: a UDP payload starting with four zero octets (the non-ESP marker) is IKE.
pub const NON_ESP_MARKER: [u8; 4] = [0, 0, 0, 0];
/// RFC 3948 §2.3: a one-octet UDP payload 0xFF is a NAT-keepalive.
pub const NAT_KEEPALIVE: u8 = 0xFF;

/// Field offsets of the ESP header.
pub mod field {
    use core::ops::Range;
    /// Security Parameters Index.
    pub const SPI: Range<usize> = 0..4;
    /// Sequence Number.
    pub const SEQ: Range<usize> = 4..8;
}

/// Display-filter fields this module produces (STYLE §11; names of Wireshark's packet-ipsec.c).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("esp", FieldType::Protocol, "Encapsulating Security Payload"),
    FieldDef::new("esp.spi", FieldType::Uint, "ESP SPI"),
    FieldDef::new("esp.sequence", FieldType::Uint, "ESP Sequence"),
    FieldDef::new("esp.iv", FieldType::Bytes, "ESP IV"),
    FieldDef::new("esp.encrypted_data", FieldType::Bytes, "ESP Encrypted Data (no SA, or decryption failed)"),
    FieldDef::new("esp.decrypted_data", FieldType::Bytes, "ESP Decrypted Data (payload, padding, trailer)"),
    FieldDef::new("esp.contained_data", FieldType::Bytes, "ESP Contained Data (the inner payload)"),
    FieldDef::new("esp.pad", FieldType::Bytes, "ESP Padding"),
    FieldDef::new("esp.pad_len", FieldType::Uint, "ESP Pad Length"),
    FieldDef::new("esp.protocol", FieldType::Uint, "ESP Next Header"),
    FieldDef::new("esp.icv", FieldType::Bytes, "ESP ICV"),
    FieldDef::new("esp.icv_good", FieldType::Bool, "ICV matches the packet (false: mismatch or not checked)"),
    FieldDef::new("esp.icv_bad", FieldType::Bool, "ICV does not match the packet (false: matches or not checked)"),
    FieldDef::new("esp.sa", FieldType::Text, "The SA used: algorithms (mvtp addition)"),
    FieldDef::new("udpencap", FieldType::Protocol, "UDP Encapsulation of IPsec Packets (RFC 3948)"),
    FieldDef::new("udpencap.non_esp_marker", FieldType::None, "Non-ESP Marker: IKE follows"),
    FieldDef::new("udpencap.nat_keepalive", FieldType::None, "NAT-keepalive packet"),
];

/// A checked, zero-copy view of one ESP packet: the header and the opaque body.
#[derive(Debug, Clone, Copy)]
pub struct EspView<'a> {
    hdr: &'a [u8],
    body: &'a [u8],
}

impl<'a> EspView<'a> {
    /// Checks that the 8-octet header is present (RFC 4303 §2).
    pub fn new(b: &'a [u8]) -> Result<Self, DecodeError> {
        if b.len() < HEADER_LEN {
            let f = if b.len() < field::SPI.end { ("esp.spi", 0) } else { ("esp.sequence", field::SEQ.start) };
            return Err(DecodeError::truncated(f.0, f.1, HEADER_LEN - f.1, b.len().saturating_sub(f.1)).clause("RFC4303-2"));
        }
        let (hdr, body) = b.split_at(HEADER_LEN);
        Ok(Self { hdr, body })
    }

    /// Security Parameters Index.
    pub fn spi(&self) -> u32 {
        be_u32(self.hdr, field::SPI.start).unwrap_or(0) // present: checked in `new`
    }

    /// Sequence Number.
    pub fn seq(&self) -> u32 {
        be_u32(self.hdr, field::SEQ.start).unwrap_or(0) // present: checked in `new`
    }

    /// IV, ciphertext and ICV, undivided (their split depends on the SA).
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// An ESP packet as seen without keys: lossless (the body is kept as read).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Esp {
    /// Security Parameters Index.
    pub spi: u32,
    /// Sequence Number.
    pub seq: u32,
    /// IV, ciphertext, ICV.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub body: Vec<u8>,
}

impl Esp {
    /// Parses a whole ESP packet.
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        let v = EspView::new(b)?;
        Ok(Self { spi: v.spi(), seq: v.seq(), body: v.body().to_vec() })
    }

    /// Appends the packet to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.spi.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.body);
        Ok(())
    }

    /// Octets [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body.len()
    }
}

impl fmt::Display for Esp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ESP(spi={:#010x},seq={:#x}), length {}", self.spi, self.seq, self.buffer_len())
    }
}

/// What the ICV check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum IcvStatus {
    /// The ICV verified.
    Good,
    /// The ICV did not verify (HMAC only: an AEAD tag mismatch yields no plaintext).
    Bad,
    /// No key to check it with, or no ICV.
    Unchecked,
}

/// A decrypted ESP packet. Ranges are offsets in the ESP packet (header included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The IV.
    pub iv: Range<usize>,
    /// The ciphertext (payload, padding, pad length, next header once decrypted).
    pub ciphertext: Range<usize>,
    /// The ICV (empty without one).
    pub icv: Range<usize>,
    /// What the ICV check found.
    pub icv_status: IcvStatus,
    /// The decrypted ciphertext: payload data, padding, Pad Length, Next Header.
    pub plaintext: Vec<u8>,
    /// Octets of payload data at the start of `plaintext`.
    pub payload_len: usize,
    /// Pad Length.
    pub pad_len: u8,
    /// Next Header (an IP protocol number; 59: dummy packet).
    pub next_header: u8,
}

impl Decrypted {
    /// The inner payload (what Next Header describes).
    pub fn payload(&self) -> &[u8] {
        self.plaintext.get(..self.payload_len).unwrap_or(&[])
    }
}

/// Why one SA could not decrypt a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    /// No SA applies to this SPI and destination.
    NoSa,
    /// The SA names an algorithm this build cannot run.
    UnknownAlgorithm(String),
    /// The SA's key does not fit its algorithm.
    BadKey(String),
    /// Fewer octets than IV + one block/trailer + ICV, or a ciphertext that is not a
    /// whole number of blocks.
    ShortPayload {
        /// What was needed.
        need: usize,
        /// What was there.
        have: usize,
    },
    /// The HMAC over header and ciphertext differs from the ICV, or the AES-GCM tag did
    /// not verify (then no plaintext exists).
    IcvMismatch,
    /// The padding is not 1, 2, 3, … or Pad Length exceeds the plaintext (RFC 4303 §2.4):
    /// wrong key or corrupted packet.
    BadPadding {
        /// Pad Length as decrypted.
        pad_len: u8,
    },
    /// Padding verified but Next Header is not a protocol an ESP payload may carry, or the
    /// payload does not look like it (tried only for wildcard SAs).
    Implausible {
        /// Next Header as decrypted.
        next_header: u8,
    },
}

impl DecryptError {
    /// The spec kind this failure maps to.
    pub fn kind(&self) -> Kind {
        match self {
            DecryptError::NoSa | DecryptError::UnknownAlgorithm(_) => Kind::Unsupported,
            DecryptError::BadKey(_) | DecryptError::Implausible { .. } => Kind::BadValue,
            DecryptError::ShortPayload { .. } => Kind::Truncated,
            DecryptError::IcvMismatch => Kind::AuthFailed,
            DecryptError::BadPadding { .. } => Kind::BadValue,
        }
    }
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::NoSa => f.write_str("no SA for this SPI and destination"),
            DecryptError::UnknownAlgorithm(a) => write!(f, "unknown or unsupported algorithm {a:?}"),
            DecryptError::BadKey(m) => write!(f, "bad key: {m}"),
            DecryptError::ShortPayload { need, have } => write!(f, "payload too short: needs {need} octets, has {have}"),
            DecryptError::IcvMismatch => f.write_str("ICV mismatch"),
            DecryptError::BadPadding { pad_len } => {
                write!(f, "bad padding (pad length {pad_len}): wrong key or corrupted packet")
            }
            DecryptError::Implausible { next_header } => {
                write!(f, "next header {next_header} after decryption is implausible: wrong key")
            }
        }
    }
}

impl std::error::Error for DecryptError {}

/// Outcome of [`SaTable::decrypt`] when no SA worked: per SA tried, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// (SA index in the table, reason); empty when no SA applies.
    pub tried: Vec<(usize, DecryptError)>,
}

impl Failure {
    /// True when no SA applied at all.
    pub fn no_sa(&self) -> bool {
        self.tried.is_empty()
    }

    /// The most telling reason: that of the first SA tried (the best match).
    pub fn reason(&self) -> DecryptError {
        self.tried.first().map_or(DecryptError::NoSa, |(_, e)| e.clone())
    }
}

impl SaTable {
    /// Decrypts the ESP packet `pkt` (header included) sent to `dst`. Exact SAs (this SPI)
    /// are tried first, then SAs whose SPI has the same low-order 16 bits (spec SEC-1: the
    /// high half is the client's Local Endpoint ID, which a roam changes), then wildcard SAs; a wildcard SA must also give a plausible next
    /// header and payload (tcpdump `-E` without `SPI@DST`). An exact SA whose HMAC fails
    /// but whose padding verifies still yields the plaintext, with [`IcvStatus::Bad`],
    /// unless a later SA verifies. Returns the index of the SA used.
    pub fn decrypt(&self, pkt: &[u8], dst: Option<IpAddr>) -> Result<(usize, Decrypted), Failure> {
        let mut tried = Vec::new();
        let Ok(v) = EspView::new(pkt) else {
            return Err(Failure { tried });
        };
        let spi = v.spi();
        let mut fallback: Option<(usize, Decrypted)> = None;
        let mut order: Vec<usize> = (0..self.sas.len()).filter(|&i| self.sas[i].spi == Some(spi)).collect();
        order.retain(|&i| self.sas[i].matches(spi, dst));
        order.sort_by_key(|&i| self.sas[i].dst.is_none());
        // SEC-1: MVTP puts the Local Endpoint ID in the SPI's high half and a receiver looks
        // the SA up by the low half, so an SA keyed before a roam still applies after it.
        // Such SAs are tried after exact ones and, like wildcards, must decrypt plausibly.
        let same_dst = |s: &Sa| s.dst.is_none() || dst.is_none() || s.dst == dst;
        let mut wild: Vec<usize> = (0..self.sas.len())
            .filter(|&i| self.sas[i].spi.is_some_and(|s| s != spi && s & 0xFFFF == spi & 0xFFFF) && same_dst(&self.sas[i]))
            .collect();
        wild.extend((0..self.sas.len()).filter(|&i| self.sas[i].is_wildcard() && self.sas[i].matches(spi, dst)));
        for (i, wildcard) in order.into_iter().map(|i| (i, false)).chain(wild.into_iter().map(|i| (i, true))) {
            let Some(sa) = self.sas.get(i) else { continue };
            match decrypt(sa, pkt) {
                Ok(d) => {
                    if wildcard && !plausible(&d) {
                        tried.push((i, DecryptError::Implausible { next_header: d.next_header }));
                    } else if d.icv_status == IcvStatus::Bad {
                        tried.push((i, DecryptError::IcvMismatch));
                        if fallback.is_none() && !wildcard {
                            fallback = Some((i, d));
                        }
                    } else {
                        return Ok((i, d));
                    }
                }
                Err(e) => tried.push((i, e)),
            }
        }
        fallback.ok_or(Failure { tried })
    }
}

/// Next headers an ESP payload plausibly carries, and a first look at the payload: used to
/// pick among wildcard SAs, where a wrong key still passes the padding check now and then.
fn plausible(d: &Decrypted) -> bool {
    use crate::numbers::IpProto;
    let p = d.payload();
    let nibble = p.first().map(|b| b >> 4);
    match IpProto(d.next_header) {
        IpProto::IPIP => nibble == Some(4),
        IpProto::IPV6 => nibble == Some(6),
        IpProto::TCP => p.len() >= 20,
        IpProto::UDP => p.len() >= 8 && crate::bytes::be_u16(p, 4).is_some_and(|l| usize::from(l) == p.len()),
        IpProto::ICMP | IpProto::GRE | IpProto::ESP | IpProto::AH => !p.is_empty(),
        IpProto(NEXT_HEADER_NONE) => true,
        IpProto(58) | IpProto(132) | IpProto(2) => !p.is_empty(), // ICMPv6, SCTP, IGMP
        _ => false,
    }
}

/// Decrypts one ESP packet (header included) with one SA: locates IV, ciphertext and ICV,
/// verifies the ICV (before decrypting, RFC 4303 §3.4.4), decrypts, checks the padding.
/// An HMAC mismatch is not an error here: the result says [`IcvStatus::Bad`] (the caller
/// decides); an AES-GCM tag mismatch is [`DecryptError::IcvMismatch`].
pub fn decrypt(sa: &Sa, pkt: &[u8]) -> Result<Decrypted, DecryptError> {
    if let Encryption::Unsupported(n) = &sa.encryption {
        return Err(DecryptError::UnknownAlgorithm(n.clone()));
    }
    if let Integrity::Unsupported(n) = &sa.auth {
        return Err(DecryptError::UnknownAlgorithm(n.clone()));
    }
    sa.encryption.check_key(&sa.enc_key).map_err(DecryptError::BadKey)?;
    let icv_len = sa.icv_len().unwrap_or(0);
    let iv_len = sa.encryption.iv_len();
    let block = sa.encryption.block_len();
    let min = HEADER_LEN + iv_len + block.max(TRAILER_LEN) + icv_len;
    if pkt.len() < min {
        return Err(DecryptError::ShortPayload { need: min, have: pkt.len() });
    }
    let iv = HEADER_LEN..HEADER_LEN + iv_len;
    let icv = pkt.len() - icv_len..pkt.len();
    let ciphertext = iv.end..icv.start;
    if ciphertext.len() % block != 0 {
        let need = HEADER_LEN + iv_len + ciphertext.len().next_multiple_of(block) + icv_len;
        return Err(DecryptError::ShortPayload { need, have: pkt.len() });
    }
    let (ivb, ctb, icvb) = (&pkt[iv.clone()], &pkt[ciphertext.clone()], &pkt[icv.clone()]);
    let mut icv_status = IcvStatus::Unchecked;
    if let Some(expected) = crypto::icv(&sa.auth, &sa.auth_key, &pkt[..icv.start]) {
        icv_status = if crypto::ct_eq(&expected[..icv_len.min(expected.len())], icvb) { IcvStatus::Good } else { IcvStatus::Bad };
    }
    let mut plaintext = ctb.to_vec();
    match &sa.encryption {
        Encryption::AesGcm { .. } => {
            crypto::gcm_open(&sa.enc_key, ivb, &pkt[..HEADER_LEN], &mut plaintext, icvb)?;
            icv_status = IcvStatus::Good;
        }
        e => crypto::cbc_decrypt(e, &sa.enc_key, ivb, &mut plaintext)?,
    }
    let n = plaintext.len();
    let (pad_len, next_header) = match plaintext.get(n.wrapping_sub(TRAILER_LEN)..) {
        Some(&[p, h]) => (p, h),
        _ => return Err(DecryptError::ShortPayload { need: min, have: pkt.len() }),
    };
    let payload_len = n.checked_sub(TRAILER_LEN + usize::from(pad_len)).ok_or(DecryptError::BadPadding { pad_len })?;
    let pad = &plaintext[payload_len..n - TRAILER_LEN];
    if !pad.iter().enumerate().all(|(i, &b)| usize::from(b) == i + 1) {
        return Err(DecryptError::BadPadding { pad_len });
    }
    Ok(Decrypted { iv, ciphertext, icv, icv_status, plaintext, payload_len, pad_len, next_header })
}

/// Builds a whole ESP packet — header, IV, ciphertext, ICV — for the stack builder and
/// replay (RFC 4303 §3.3).
///
/// - `sa`: algorithms and keys (its own `spi` is ignored: `spi` is written as given, so a
///   caller can put a Local Endpoint ID in the high half, SEC-1).
/// - `next_header`: the IP protocol of `payload` (4 tunnel mode, 47 GRE, 17 UDP…).
/// - `iv`: exactly [`Encryption::iv_len`] octets (0 for NULL, 8 for DES/3DES/AES-GCM,
///   16 for AES-CBC); the caller chooses it, so output is reproducible. For AES-GCM it
///   must never repeat under one key.
/// - `pad_to`: payload + padding + 2 is padded with 1, 2, 3, … to a multiple of this
///   (`None`: the cipher's block, 4 for NULL and AES-GCM); it must be a multiple of the
///   cipher's block size and the padding may not exceed 255 octets.
///
/// The ICV is computed with the SA's integrity key (HMAC over header, IV and ciphertext)
/// or by AES-GCM (with SPI and sequence number as additional data, RFC 4106 §5). An SA whose
/// integrity cannot be computed (no key, unsupported) or whose cipher is unsupported is an
/// error.
pub fn encrypt(
    sa: &Sa,
    spi: u32,
    seq: u32,
    next_header: u8,
    payload: &[u8],
    iv: &[u8],
    pad_to: Option<usize>,
) -> Result<Vec<u8>, EncodeError> {
    let enc = &sa.encryption;
    if let Encryption::Unsupported(n) = enc {
        return Err(EncodeError::new("esp.encrypted_data", format!("unsupported cipher {n:?}")));
    }
    enc.check_key(&sa.enc_key).map_err(|m| EncodeError::new("esp.encrypted_data", m))?;
    if iv.len() != enc.iv_len() {
        return Err(EncodeError::new("esp.iv", format!("{} needs a {}-octet IV, got {}", enc.name(), enc.iv_len(), iv.len())));
    }
    let block = enc.block_len();
    let align = pad_to.unwrap_or(block);
    if align == 0 || !align.is_multiple_of(block) {
        return Err(EncodeError::new("esp.pad", format!("pad_to {align} is not a multiple of the block size {block}")));
    }
    let unpadded = payload.len() + TRAILER_LEN;
    let pad_len = unpadded.next_multiple_of(align) - unpadded;
    let pad_u8 =
        u8::try_from(pad_len).map_err(|_| EncodeError::new("esp.pad_len", format!("{pad_len} octets of padding exceed 255")))?;
    let mut pt = Vec::with_capacity(unpadded + pad_len);
    pt.extend_from_slice(payload);
    pt.extend(1..=pad_u8);
    pt.push(pad_u8);
    pt.push(next_header);
    let mut out = Vec::with_capacity(HEADER_LEN + iv.len() + pt.len() + 32);
    out.extend_from_slice(&spi.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(iv);
    match enc {
        Encryption::AesGcm { .. } => {
            let aad = [spi.to_be_bytes(), seq.to_be_bytes()].concat();
            let tag = crypto::gcm_seal(&sa.enc_key, iv, &aad, &mut pt, enc.aead_icv_len())
                .map_err(|e| EncodeError::new("esp.encrypted_data", e.to_string()))?;
            out.extend_from_slice(&pt);
            out.extend_from_slice(&tag);
        }
        e => {
            crypto::cbc_encrypt(e, &sa.enc_key, iv, &mut pt)
                .map_err(|e| EncodeError::new("esp.encrypted_data", e.to_string()))?;
            out.extend_from_slice(&pt);
        }
    }
    match &sa.auth {
        Integrity::None => {}
        Integrity::Unchecked(_) | Integrity::Unsupported(_) => {
            return Err(EncodeError::new("esp.icv", format!("cannot compute a {} ICV (no key or algorithm)", sa.auth.name())));
        }
        a => {
            let full = crypto::icv(a, &sa.auth_key, &out).ok_or_else(|| EncodeError::new("esp.icv", "no integrity key"))?;
            let n = a.icv_len().unwrap_or(0);
            out.extend_from_slice(full.get(..n).unwrap_or(&full));
        }
    }
    Ok(out)
}

/// The ciphers and MACs, all from RustCrypto; nothing here is written by hand.
mod crypto {
    use super::{DecryptError, Encryption, Integrity};
    use aes::{Aes128, Aes192, Aes256};
    use aes_gcm::aead::consts::{U12, U16};
    use aes_gcm::aead::generic_array::GenericArray;
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    use aes_gcm::AesGcm;
    use cbc::cipher::block_padding::NoPadding;
    use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
    use hmac::{Hmac, Mac};
    use subtle::ConstantTimeEq;

    /// Constant-time comparison (RFC 4303 §3.4.4: a timing-safe ICV check).
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }

    macro_rules! hmac {
        ($d:ty, $key:expr, $data:expr) => {{
            let mut m = <Hmac<$d> as Mac>::new_from_slice($key).ok()?;
            m.update($data);
            Some(m.finalize().into_bytes().to_vec())
        }};
    }

    /// The full (untruncated) MAC of `data`, or `None` when there is nothing to check with.
    pub fn icv(a: &Integrity, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        if key.is_empty() {
            return None;
        }
        match a {
            Integrity::HmacMd5_96 => hmac!(md5::Md5, key, data),
            Integrity::HmacSha1_96 => hmac!(sha1::Sha1, key, data),
            Integrity::HmacSha256_96 | Integrity::HmacSha256_128 => hmac!(sha2::Sha256, key, data),
            Integrity::HmacSha384_192 => hmac!(sha2::Sha384, key, data),
            Integrity::HmacSha512_256 => hmac!(sha2::Sha512, key, data),
            Integrity::None | Integrity::Unchecked(_) | Integrity::Unsupported(_) => None,
        }
    }

    fn bad_key<E>(_: E) -> DecryptError {
        DecryptError::BadKey("key or IV length does not fit the cipher".into())
    }

    fn cbc_dec<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), DecryptError>
    where
        C: cbc::cipher::BlockDecryptMut + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
    {
        let d = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
        d.decrypt_padded_mut::<NoPadding>(buf).map(|_| ()).map_err(|_| DecryptError::ShortPayload { need: 0, have: buf.len() })
    }

    fn cbc_enc<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), DecryptError>
    where
        C: cbc::cipher::BlockEncryptMut + cbc::cipher::BlockCipher + cbc::cipher::KeyInit,
    {
        let e = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
        let n = buf.len();
        e.encrypt_padded_mut::<NoPadding>(buf, n).map(|_| ()).map_err(|_| DecryptError::ShortPayload { need: 0, have: n })
    }

    /// Decrypts whole blocks in place (NULL: nothing to do).
    pub fn cbc_decrypt(e: &Encryption, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), DecryptError> {
        match (e, key.len()) {
            (Encryption::Null, _) => Ok(()),
            (Encryption::DesCbc, _) => cbc_dec::<des::Des>(key, iv, buf),
            (Encryption::TripleDesCbc, _) => cbc_dec::<des::TdesEde3>(key, iv, buf),
            (Encryption::AesCbc, 16) => cbc_dec::<Aes128>(key, iv, buf),
            (Encryption::AesCbc, 24) => cbc_dec::<Aes192>(key, iv, buf),
            (Encryption::AesCbc, 32) => cbc_dec::<Aes256>(key, iv, buf),
            (e, _) => Err(DecryptError::BadKey(format!("{}: key of {} octets", e.name(), key.len()))),
        }
    }

    /// Encrypts whole blocks in place (NULL: nothing to do).
    pub fn cbc_encrypt(e: &Encryption, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), DecryptError> {
        match (e, key.len()) {
            (Encryption::Null, _) => Ok(()),
            (Encryption::DesCbc, _) => cbc_enc::<des::Des>(key, iv, buf),
            (Encryption::TripleDesCbc, _) => cbc_enc::<des::TdesEde3>(key, iv, buf),
            (Encryption::AesCbc, 16) => cbc_enc::<Aes128>(key, iv, buf),
            (Encryption::AesCbc, 24) => cbc_enc::<Aes192>(key, iv, buf),
            (Encryption::AesCbc, 32) => cbc_enc::<Aes256>(key, iv, buf),
            (e, _) => Err(DecryptError::BadKey(format!("{}: key of {} octets", e.name(), key.len()))),
        }
    }

    /// RFC 4106 §4: nonce = salt (last 4 octets of the key material) ‖ the 8-octet IV.
    fn split_key<'k>(key: &'k [u8], iv: &[u8]) -> Result<(&'k [u8], [u8; 12]), DecryptError> {
        let cut = key.len().checked_sub(4).ok_or_else(|| DecryptError::BadKey("AES-GCM key shorter than its salt".into()))?;
        let (k, salt) = key.split_at(cut);
        if iv.len() != 8 {
            return Err(DecryptError::BadKey(format!("AES-GCM IV of {} octets, not 8", iv.len())));
        }
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(salt);
        nonce[4..].copy_from_slice(iv);
        Ok((k, nonce))
    }

    macro_rules! gcm {
        ($k:expr, $tag:ty, $body:expr) => {
            match $k.len() {
                16 => $body(AesGcm::<Aes128, U12, $tag>::new_from_slice($k).map_err(bad_key)?),
                24 => $body(AesGcm::<Aes192, U12, $tag>::new_from_slice($k).map_err(bad_key)?),
                32 => $body(AesGcm::<Aes256, U12, $tag>::new_from_slice($k).map_err(bad_key)?),
                n => Err(DecryptError::BadKey(format!("AES-GCM key of {n} octets (+4 salt)"))),
            }
        };
    }

    /// Verifies the tag and decrypts in place (RFC 4106 §5: AAD = SPI ‖ sequence number).
    pub fn gcm_open(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), DecryptError> {
        let (k, nonce) = split_key(key, iv)?;
        let n = GenericArray::from_slice(&nonce);
        match tag.len() {
            16 => gcm!(k, U16, |c: AesGcm<_, U12, U16>| c
                .decrypt_in_place_detached(n, aad, buf, GenericArray::from_slice(tag))
                .map_err(|_| DecryptError::IcvMismatch)),
            12 => gcm!(k, U12, |c: AesGcm<_, U12, U12>| c
                .decrypt_in_place_detached(n, aad, buf, GenericArray::from_slice(tag))
                .map_err(|_| DecryptError::IcvMismatch)),
            t => Err(DecryptError::UnknownAlgorithm(format!("AES-GCM with a {t}-octet ICV"))),
        }
    }

    /// Encrypts in place and returns the tag of `tag_len` octets.
    pub fn gcm_seal(key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8], tag_len: usize) -> Result<Vec<u8>, DecryptError> {
        let (k, nonce) = split_key(key, iv)?;
        let n = GenericArray::from_slice(&nonce);
        match tag_len {
            16 => gcm!(k, U16, |c: AesGcm<_, U12, U16>| c
                .encrypt_in_place_detached(n, aad, buf)
                .map(|t| t.to_vec())
                .map_err(|_| DecryptError::BadKey("AES-GCM refused the input".into()))),
            12 => gcm!(k, U12, |c: AesGcm<_, U12, U12>| c
                .encrypt_in_place_detached(n, aad, buf)
                .map(|t| t.to_vec())
                .map_err(|_| DecryptError::BadKey("AES-GCM refused the input".into()))),
            t => Err(DecryptError::UnknownAlgorithm(format!("AES-GCM with a {t}-octet ICV"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::crypto;
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// RFC 3602 §4 Case #1 and #2: AES-128-CBC.
    #[test]
    fn rfc3602_4_aes128_cbc_cases_1_2() {
        let mut b = b"Single block msg".to_vec();
        crypto::cbc_encrypt(
            &Encryption::AesCbc,
            &h("06a9214036b8a15b512e03d534120006"),
            &h("3dafba429d9eb430b422da802c9fac41"),
            &mut b,
        )
        .unwrap();
        assert_eq!(b, h("e353779c1079aeb82708942dbe77181a"));
        let mut c = h("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1");
        crypto::cbc_decrypt(
            &Encryption::AesCbc,
            &h("c286696d887c9aa0611bbb3e2025a45a"),
            &h("562e17996d093d28ddb3ba695a2e6f58"),
            &mut c,
        )
        .unwrap();
        assert_eq!(c, (0u8..32).collect::<Vec<_>>());
    }

    /// FIPS 81 Appendix C (CBC example): DES-CBC.
    #[test]
    fn fips81_des_cbc() {
        let mut b = b"Now is the time for all ".to_vec();
        crypto::cbc_encrypt(&Encryption::DesCbc, &h("0123456789abcdef"), &h("1234567890abcdef"), &mut b).unwrap();
        assert_eq!(b, h("e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"));
    }

    /// NIST SP 800-67 example (TDEA, first block: CBC with a zero IV equals ECB there).
    #[test]
    fn sp800_67_3des_first_block() {
        let key = h("0123456789abcdef23456789abcdef01456789abcdef0123");
        let mut b = b"The qufck brown fox jump".to_vec();
        crypto::cbc_encrypt(&Encryption::TripleDesCbc, &key, &[0; 8], &mut b).unwrap();
        assert_eq!(b[..8], h("a826fd8ce53b855f")[..]);
        crypto::cbc_decrypt(&Encryption::TripleDesCbc, &key, &[0; 8], &mut b).unwrap();
        assert_eq!(b, b"The qufck brown fox jump");
    }

    /// GCM spec (McGrew–Viega) test case 4, framed as RFC 4106 does: the first 4 octets of
    /// the 12-octet nonce are the salt at the end of the key, the other 8 the ESP IV.
    #[test]
    fn rfc4106_4_gcm_nonce_is_salt_then_iv() {
        let key = h("feffe9928665731c6d6a8f9467308308 cafebabe");
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let p = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        let c = h("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
        let t = h("5bc94fbc3221a5db94fae95ae7121a47");
        let iv = h("facedbaddecaf888");
        let mut b = c.clone();
        crypto::gcm_open(&key, &iv, &aad, &mut b, &t).unwrap();
        assert_eq!(b, p);
        let mut b = p.clone();
        assert_eq!(crypto::gcm_seal(&key, &iv, &aad, &mut b, 16).unwrap(), t);
        assert_eq!(b, c);
        let mut b = c.clone();
        let mut bad = t.clone();
        bad[0] ^= 1;
        assert_eq!(crypto::gcm_open(&key, &iv, &aad, &mut b, &bad), Err(DecryptError::IcvMismatch));
    }

    /// RFC 2202 test case 1 (HMAC-MD5, HMAC-SHA-1) and RFC 4231 test cases 1 and 2
    /// (HMAC-SHA-256/384/512); ESP truncates them (RFC 2403/2404/4868).
    #[test]
    fn rfc2202_rfc4231_hmac() {
        let k20 = [0x0b; 20];
        let hi = b"Hi There";
        assert_eq!(crypto::icv(&Integrity::HmacMd5_96, &[0x0b; 16], hi).unwrap(), h("9294727a3638bb1c13f48ef8158bfc9d"));
        assert_eq!(crypto::icv(&Integrity::HmacSha1_96, &k20, hi).unwrap(), h("b617318655057264e28bc0b6fb378c8ef146be00"));
        assert_eq!(
            crypto::icv(&Integrity::HmacSha256_128, &k20, hi).unwrap(),
            h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        assert_eq!(
            crypto::icv(&Integrity::HmacSha256_128, b"Jefe", b"what do ya want for nothing?").unwrap(),
            h("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            crypto::icv(&Integrity::HmacSha384_192, &k20, hi).unwrap(),
            h("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6")
        );
        assert_eq!(
            crypto::icv(&Integrity::HmacSha512_256, &k20, hi).unwrap(),
            h("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        );
        assert!(crypto::icv(&Integrity::HmacSha1_96, &[], hi).is_none(), "no key: nothing to check");
    }

    /// RFC 4303 §2.4: padding must be 1, 2, 3, …; a wrong octet is bad padding, not data.
    #[test]
    fn rfc4303_2_4_padding_checked() {
        let sa = Sa::from_names(Some(1), None, "null", vec![], "none", vec![]).unwrap();
        let pkt = encrypt(&sa, 1, 1, 17, &[0xAA; 5], &[], None).unwrap();
        // NULL aligns to 4 octets: 5 payload + 1 padding + 2 trailer = 8.
        assert_eq!(pkt[HEADER_LEN..], [0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 1, 1, 17]);
        let d = decrypt(&sa, &pkt).unwrap();
        assert_eq!((d.payload(), d.pad_len, d.next_header), (&[0xAA; 5][..], 1, 17));
        let mut bad = pkt.clone();
        bad[13] = 2;
        assert_eq!(decrypt(&sa, &bad), Err(DecryptError::BadPadding { pad_len: 1 }));
        let mut bad = pkt;
        bad[14] = 9; // pad length beyond the plaintext
        assert_eq!(decrypt(&sa, &bad), Err(DecryptError::BadPadding { pad_len: 9 }));
    }

    #[test]
    fn rfc4303_2_header_view_and_repr() {
        #[rustfmt::skip]
        let b = [
            0x00, 0x05, 0x00, 0x01, // SPI: LEID 5, SA index 1 (SEC-1)
            0x00, 0x00, 0x00, 0x01, // Sequence Number
            0xde, 0xad,             // body
        ];
        let v = EspView::new(&b).unwrap();
        assert_eq!((v.spi(), v.seq(), v.body()), (0x0005_0001, 1, &b[8..]));
        let r = Esp::parse(&b).unwrap();
        let mut out = vec![];
        r.emit(&mut out).unwrap();
        assert_eq!((out.as_slice(), r.buffer_len()), (&b[..], b.len()));
        for n in 0..HEADER_LEN {
            let e = EspView::new(&b[..n]).unwrap_err();
            assert_eq!(e.kind, Kind::Truncated);
            assert_eq!(e.field, if n < 4 { "esp.spi" } else { "esp.sequence" });
        }
    }

    #[test]
    fn decryption_failures_are_reasons_not_garbage() {
        let good = Sa::from_names(Some(7), None, "aes128-cbc", vec![1; 16], "hmac-sha1-96", vec![2; 20]).unwrap();
        let pkt = encrypt(&good, 7, 1, 4, &[0x45; 40], &[3; 16], None).unwrap();
        let mut t = SaTable::default();
        assert!(t.decrypt(&pkt, None).unwrap_err().no_sa());
        // Wrong auth key, right cipher key: the plaintext is still shown, marked bad.
        let mut wrong_auth = good.clone();
        wrong_auth.auth_key = vec![9; 20];
        t.insert(wrong_auth);
        let (_, d) = t.decrypt(&pkt, None).unwrap();
        assert_eq!(d.icv_status, IcvStatus::Bad);
        // Wrong cipher key: bad padding (overwhelmingly likely) or a bad ICV, never Ok+Good.
        let mut wrong = good.clone();
        wrong.enc_key = vec![5; 16];
        wrong.auth_key = vec![2; 20];
        let mut t = SaTable::default();
        t.insert(wrong);
        match t.decrypt(&pkt, None) {
            Err(f) => assert!(matches!(f.reason(), DecryptError::BadPadding { .. } | DecryptError::Implausible { .. })),
            Ok((_, d)) => assert_ne!(d.payload(), &[0x45; 40][..]),
        }
        // Unsupported algorithm and short payload.
        let mut t = SaTable::default();
        t.insert(Sa::from_names(Some(7), None, "blowfish-cbc", vec![1; 16], "none", vec![]).unwrap());
        assert!(matches!(t.decrypt(&pkt, None).unwrap_err().reason(), DecryptError::UnknownAlgorithm(_)));
        assert!(matches!(decrypt(&good, &pkt[..30]), Err(DecryptError::ShortPayload { .. })));
        // A ciphertext that is not whole blocks.
        assert!(matches!(decrypt(&good, &pkt[..pkt.len() - 1]), Err(DecryptError::ShortPayload { .. })));
    }

    /// SEC-1: after a roam the SPI's high half (LEID) changes; the SA keyed under the old
    /// SPI still decrypts by its low half (the ICV covers the SPI as sent).
    #[test]
    fn sec_1_sa_found_by_the_low_half_of_the_spi() {
        let sa = Sa::from_names(Some(0x0005_0001), None, "null", vec![], "hmac-sha1-96", vec![7; 20]).unwrap();
        let mut t = SaTable::default();
        t.insert(sa.clone());
        let ipv4 = [0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let pkt = encrypt(&sa, 0x0009_0001, 1, 4, &ipv4, &[], None).unwrap();
        let (i, d) = t.decrypt(&pkt, None).unwrap();
        assert_eq!((i, d.icv_status, d.payload()), (0, IcvStatus::Good, &ipv4[..]));
        let other = encrypt(&sa, 0x0009_0002, 1, 4, &ipv4, &[], None).unwrap();
        assert!(t.decrypt(&other, None).unwrap_err().no_sa());
    }

    #[test]
    fn encrypt_argument_errors() {
        let sa = Sa::from_names(None, None, "3des-cbc", vec![7; 24], "hmac-sha1-96", vec![1; 20]).unwrap();
        assert_eq!(encrypt(&sa, 1, 1, 4, b"x", &[0; 16], None).unwrap_err().field, "esp.iv");
        assert_eq!(encrypt(&sa, 1, 1, 4, b"x", &[0; 8], Some(12)).unwrap_err().field, "esp.pad");
        assert_eq!(encrypt(&sa, 1, 1, 4, b"x", &[0; 8], Some(512)).unwrap_err().field, "esp.pad_len");
        let nokey = Sa::from_names(None, None, "3des-cbc", vec![7; 24], "hmac-sha1-96", vec![]).unwrap();
        assert_eq!(nokey.auth, Integrity::Unchecked(12));
        assert_eq!(encrypt(&nokey, 1, 1, 4, b"x", &[0; 8], None).unwrap_err().field, "esp.icv");
        // 1 + 5 padding + 2 = 8 with the 3DES block; with pad_to 16: 13 octets of padding.
        let p = encrypt(&sa, 1, 1, 4, b"x", &[0; 8], Some(16)).unwrap();
        assert_eq!(p.len(), HEADER_LEN + 8 + 16 + 12);
    }

    #[test]
    fn algorithm_names_are_lenient() {
        for n in ["3des-cbc", "3DES_CBC", "cbc(des3_ede)", "TripleDES-CBC [RFC2451]", "des-ede3-cbc"] {
            assert_eq!(Encryption::from_name(n), Some(Encryption::TripleDesCbc), "{n}");
        }
        for n in ["aes128-cbc", "AES-CBC [RFC3602]", "cbc(aes)", "aes256cbc"] {
            assert_eq!(Encryption::from_name(n), Some(Encryption::AesCbc), "{n}");
        }
        for n in ["rfc4106(gcm(aes))", "aes128gcm16", "AES-GCM with 16 octet ICV [RFC4106]"] {
            assert_eq!(Encryption::from_name(n), Some(Encryption::AesGcm { icv_len: 16 }), "{n}");
        }
        for n in ["hmac-sha1-96", "HMAC-SHA-1-96 [RFC2404]", "hmac(sha1)", "sha1"] {
            assert_eq!(Integrity::from_name(n), Integrity::HmacSha1_96, "{n}");
        }
        assert_eq!(Integrity::from_name("HMAC-MD5-96 [RFC2403]"), Integrity::HmacMd5_96);
        assert_eq!(Integrity::from_name("none"), Integrity::None);
        assert!(Sa::from_names(None, None, "aes128-gcm16", vec![0; 20], "hmac-sha1-96", vec![1; 20]).is_err());
        assert!(Sa::from_names(None, None, "aes256-cbc", vec![0; 16], "none", vec![]).is_err());
    }
}
