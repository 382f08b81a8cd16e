//! Hidden AVPs (RFC 2661 §4.3) and tunnel authentication (§5.1.1).
//!
//! A hidden value is the subformat
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Length of Original Value         |   Original Attribute Value ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ...                          |             Padding ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! split into 16-octet chunks p1, p2, … and XORed with b1 = MD5(AT + secret + RV),
//! bi = MD5(secret + c(i-1)), where AT is the 2-octet Attribute Type and RV the value of the
//! most recent Random Vector AVP before the hidden AVP. A last chunk shorter than 16 octets
//! uses the first octets of its b.
//!
//! Without a secret a hidden AVP stays opaque: never an error.

use super::avp::{Avp, AvpType, AvpValue};
use super::MessageType;
use crate::error::{DecodeError, EncodeError, Kind};
use md5::{Digest, Md5};

/// MD5 digest length, the chunk size of the hiding algorithm.
pub const CHUNK: usize = 16;
/// Length of the Original Value length prefix.
pub const ORIGINAL_LEN_LEN: usize = 2;

fn xor_stream(attr_type: u16, secret: &[u8], rv: &[u8], input: &[u8], hiding: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut prev_c: Vec<u8> = Vec::new();
    for (i, chunk) in input.chunks(CHUNK).enumerate() {
        let mut h = Md5::new();
        if i == 0 {
            h.update(attr_type.to_be_bytes());
            h.update(secret);
            h.update(rv);
        } else {
            h.update(secret);
            h.update(&prev_c);
        }
        let b = h.finalize();
        let x: Vec<u8> = chunk.iter().zip(b.iter()).map(|(a, k)| a ^ k).collect();
        // The next b is keyed by the previous *ciphertext* chunk in both directions.
        prev_c = if hiding { x.clone() } else { chunk.to_vec() };
        out.extend_from_slice(&x);
    }
    out
}

/// Reveals a hidden value: returns the whole plaintext subformat (length, value, padding).
pub fn unhide_subformat(attr_type: u16, secret: &[u8], random_vector: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    xor_stream(attr_type, secret, random_vector, ciphertext, false)
}

/// The Original Attribute Value inside a plaintext subformat; `Err` when its length prefix
/// is missing or exceeds the subformat (wrong secret or Random Vector, most likely).
pub fn original_value(subformat: &[u8]) -> Result<&[u8], String> {
    let n = crate::bytes::be_u16(subformat, 0).ok_or_else(|| "hidden value shorter than its 2-octet length".to_string())?;
    subformat
        .get(ORIGINAL_LEN_LEN..ORIGINAL_LEN_LEN + usize::from(n))
        .ok_or_else(|| format!("original length {n} exceeds the {} revealed octets (wrong secret?)", subformat.len()))
}

/// Hides `value` of attribute `attr_type`: subformat with `padding`, then XOR.
pub fn hide_value(
    attr_type: u16,
    secret: &[u8],
    random_vector: &[u8],
    value: &[u8],
    padding: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let n = crate::emit::to_u16(value.len(), "l2tp.avp.hidden")?;
    let mut sub = Vec::with_capacity(ORIGINAL_LEN_LEN + value.len() + padding.len());
    sub.extend_from_slice(&n.to_be_bytes());
    sub.extend_from_slice(value);
    sub.extend_from_slice(padding);
    Ok(xor_stream(attr_type, secret, random_vector, &sub, true))
}

impl Avp {
    /// The same AVP revealed (H cleared, typed value) given the secret and the preceding
    /// Random Vector; `offset` is the AVP's position for the error.
    pub fn unhidden(&self, secret: &[u8], random_vector: &[u8], offset: usize) -> Result<Avp, DecodeError> {
        let AvpValue::Raw(ct) = &self.value else {
            return Ok(self.clone());
        };
        if !self.hidden {
            return Ok(self.clone());
        }
        let sub = unhide_subformat(self.attr_type, secret, random_vector, ct);
        let v = original_value(&sub)
            .map_err(|d| DecodeError::new(Kind::BadLength, "l2tp.avp.hidden", offset, d).clause("RFC2661-4.3"))?;
        let value = AvpValue::decode(self.vendor, self.attr_type, v).unwrap_or_else(|_| AvpValue::Raw(v.to_vec()));
        Ok(Avp { hidden: false, value, ..self.clone() })
    }

    /// The same AVP hidden (H set, ciphertext in `Raw`) with the secret, the Random Vector
    /// that will precede it, and `padding` (RFC 2661 §4.3 suggests random padding).
    pub fn hidden_with(&self, secret: &[u8], random_vector: &[u8], padding: &[u8]) -> Result<Avp, EncodeError> {
        let mut v = Vec::new();
        self.value.emit(&mut v)?;
        let ct = hide_value(self.attr_type, secret, random_vector, &v, padding)?;
        Ok(Avp { hidden: true, value: AvpValue::Raw(ct), ..self.clone() })
    }
}

/// Reveals every hidden AVP of a list with `secret`, each with the most recent Random
/// Vector before it (RFC 2661 §4.3); `offsets[i]` is AVP i's position for errors. A hidden
/// AVP with no Random Vector before it is a `bad_value` error.
pub fn reveal_all(avps: &[Avp], secret: &[u8], offsets: &[usize]) -> Result<Vec<Avp>, DecodeError> {
    let mut rv: Option<&[u8]> = None;
    let mut out = Vec::with_capacity(avps.len());
    for (i, a) in avps.iter().enumerate() {
        let at = offsets.get(i).copied().unwrap_or_default();
        if a.hidden {
            let v = rv.ok_or_else(|| {
                DecodeError::new(Kind::BadValue, "l2tp.avp.hidden", at, "hidden AVP without a preceding Random Vector")
                    .clause("RFC2661-4.3")
            })?;
            out.push(a.unhidden(secret, v, at)?);
        } else {
            out.push(a.clone());
        }
        if a.vendor == crate::numbers::VendorId::IETF && a.attr_type == AvpType::RANDOM_VECTOR.0 && !a.hidden {
            if let AvpValue::Bytes(b) | AvpValue::Raw(b) = &a.value {
                rv = Some(b);
            }
        }
    }
    Ok(out)
}

/// Challenge Response for tunnel authentication (RFC 2661 §5.1.1, CHAP-like, RFC 1994):
/// MD5(ID + secret + challenge) where ID is the Message Type of the message carrying the
/// response (2 in SCCRP, 3 in SCCCN).
pub fn challenge_response(carrier: MessageType, secret: &[u8], challenge: &[u8]) -> [u8; CHUNK] {
    let mut h = Md5::new();
    h.update([carrier.0 as u8]); // message types of interest are 2 and 3 (< 256)
    h.update(secret);
    h.update(challenge);
    h.finalize().into()
}

/// Checks a received Challenge Response in constant time.
pub fn verify_challenge_response(carrier: MessageType, secret: &[u8], challenge: &[u8], response: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let want = challenge_response(carrier, secret, challenge);
    response.len() == CHUNK && bool::from(want.ct_eq(response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numbers::VendorId;

    const SECRET: &[u8] = b"pub-l2tp-tunnel-secret";
    const RV: [u8; 16] = [0x7a, 0xec, 0xd7, 0x04, 0xe4, 0x6f, 0xd4, 0x80, 0xab, 0xd4, 0xff, 0xf5, 0xb9, 0x2d, 0x91, 0x39];
    /// The hidden Assigned Session ID of spec vector 26 (ciphertext, 12 octets).
    const CT: [u8; 12] = [0x59, 0xca, 0x71, 0x1e, 0x6d, 0x8a, 0xe6, 0x2e, 0xa3, 0x33, 0x99, 0x01];

    #[test]
    fn rfc2661_4_3_unhide_vector_26() {
        let a = Avp {
            mandatory: true,
            hidden: true,
            reserved: 0,
            vendor: VendorId::IETF,
            attr_type: 14,
            value: AvpValue::Raw(CT.to_vec()),
        };
        let r = a.unhidden(SECRET, &RV, 0).unwrap();
        assert_eq!(r.value, AvpValue::U16(11329));
        assert!(!r.hidden);
        // Hide it again with the same padding: the same ciphertext.
        let sub = unhide_subformat(14, SECRET, &RV, &CT);
        let back = r.hidden_with(SECRET, &RV, &sub[4..]).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn rfc2661_4_3_multi_chunk_identity() {
        let a = Avp::ietf(AvpType::HOST_NAME, AvpValue::Bytes(b"a-rather-long-host-name.example.net".to_vec()));
        let h = a.hidden_with(SECRET, &RV, &[1, 2, 3]).unwrap();
        assert_ne!(h.value, a.value);
        assert_eq!(h.unhidden(SECRET, &RV, 0).unwrap(), a);
    }

    #[test]
    fn rfc2661_4_3_wrong_secret_is_an_error_not_a_panic() {
        let a = Avp {
            mandatory: true,
            hidden: true,
            reserved: 0,
            vendor: VendorId::IETF,
            attr_type: 14,
            value: AvpValue::Raw(CT.to_vec()),
        };
        // A wrong secret gives an error (length prefix beyond the value) or a wrong value,
        // never the right one and never a panic.
        match a.unhidden(b"wrong", &RV, 7) {
            Err(e) => assert_eq!((e.kind, e.offset, e.clause), (Kind::BadLength, 7, Some("RFC2661-4.3"))),
            Ok(r) => assert_ne!(r.value, AvpValue::U16(11329)),
        }
        // A length prefix beyond the revealed octets is reported, not read past.
        assert!(original_value(&[0x00, 0x05, 1, 2]).is_err());
        assert_eq!(original_value(&[0x00, 0x02, 1, 2, 9]).unwrap(), &[1, 2]);
    }

    #[test]
    fn rfc2661_4_3_hidden_without_random_vector() {
        let a = Avp {
            mandatory: true,
            hidden: true,
            reserved: 0,
            vendor: VendorId::IETF,
            attr_type: 14,
            value: AvpValue::Raw(CT.to_vec()),
        };
        let e = reveal_all(&[a], SECRET, &[20]).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::BadValue, 20));
    }

    #[test]
    fn rfc2661_5_1_1_challenge_response() {
        let r = challenge_response(MessageType::SCCRP, b"secret", b"challenge");
        // MD5(0x02 "secret" "challenge") computed independently.
        let mut h = Md5::new();
        h.update(b"\x02secretchallenge");
        assert_eq!(r.to_vec(), h.finalize().to_vec());
        assert!(verify_challenge_response(MessageType::SCCRP, b"secret", b"challenge", &r));
        assert!(!verify_challenge_response(MessageType::SCCCN, b"secret", b"challenge", &r));
        assert!(!verify_challenge_response(MessageType::SCCRP, b"secret", b"challenge", &r[..15]));
    }
}
