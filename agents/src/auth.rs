//! Signing and verifying authentication AVPs of a [`Msg`] (spec §4).
//!
//! The agents decide *which* AVP to add or check and with which security association;
//! the octets are the codec's: the PDU is laid out by [`crate::wire::to_pdu`] and the
//! authenticator computed over the codec's AUTH-1 coverage
//! ([`codec::mvtp::auth::compute_at`] / [`codec::mvtp::auth::verify_at`]: octets 0..2,
//! six zero octets in place of PDU Length / Local Endpoint ID / AVP Length, then through
//! the SPI of the AVP). So the authenticators an agent writes are exactly the wire ones.

use crate::msg::{Auth, AuthRole, Msg};
use crate::wire;
use codec::auth::{AuthKey, KeyStore};
use codec::mvtp::auth as wire_auth;

/// Outcome of checking one authentication AVP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The AVP is present, its SA known, and it verifies.
    Valid,
    /// The AVP is absent.
    Missing,
    /// The AVP names an SPI without a known SA.
    UnknownSpi,
    /// The authenticator does not verify [AUTH-5].
    Invalid,
}

/// Appends an authentication AVP of `role` with SA `spi`/`key` after the AVPs already in
/// `msg` and computes its authenticator [AUTH-1, AUTH-2, AUTH-3].
pub fn sign(msg: &mut Msg, role: AuthRole, spi: u32, key: &AuthKey) {
    let mut keys = KeyStore::new();
    keys.insert(spi, key.clone());
    msg.auth.push(Auth { role, spi, authenticator: vec![0; key.algorithm.len()] });
    let index = msg.auth.len() - 1;
    let tag = wire::encode(msg).ok().and_then(|bytes| {
        let at = *wire::auth_offsets(msg).get(index)?;
        wire_auth::compute_at(&bytes, at, spi, &keys)
    });
    if let (Some(a), Some(tag)) = (msg.auth.get_mut(index), tag) {
        a.authenticator = tag;
    }
}

/// Signs with the SA `spi` from `keys`; without that SA, adds nothing and returns false.
pub fn sign_with(msg: &mut Msg, role: AuthRole, spi: u32, keys: &KeyStore) -> bool {
    match keys.get(spi) {
        Some(k) => {
            let k = k.clone();
            sign(msg, role, spi, &k);
            true
        }
        None => false,
    }
}

/// Checks the first authentication AVP of `role` in `msg` against `keys` [AUTH-5].
pub fn verify(msg: &Msg, role: AuthRole, keys: &KeyStore) -> Verdict {
    let Some(index) = msg.auth.iter().position(|a| a.role == role) else {
        return Verdict::Missing;
    };
    let Some(avp) = msg.auth.get(index) else {
        return Verdict::Missing;
    };
    if keys.get(avp.spi).is_none() {
        return Verdict::UnknownSpi;
    }
    let Ok(bytes) = wire::encode(msg) else { return Verdict::Invalid };
    let Some(at) = wire::auth_offsets(msg).get(index).copied() else { return Verdict::Invalid };
    match wire_auth::verify_at(&bytes, at, avp.spi, &avp.authenticator, keys) {
        Some(true) => Verdict::Valid,
        Some(false) => Verdict::Invalid,
        None => Verdict::UnknownSpi,
    }
}

/// Removes the authentication AVPs (before re-signing a changed PDU).
pub fn strip(msg: &mut Msg) {
    msg.auth.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Body, Reg};
    use codec::auth::Algorithm;
    use std::net::Ipv4Addr;

    fn keys() -> KeyStore {
        let mut k = KeyStore::new();
        k.insert(0x100, AuthKey { algorithm: Algorithm::HmacMd5, secret: b"secret".to_vec() });
        k
    }

    fn rrq() -> Msg {
        Msg::new(
            0,
            Body::Rrq(Reg {
                reset: true,
                roam_notify: false,
                code: 0,
                lifetime: 1800,
                encap: 2,
                connect_id: 7,
                home: Ipv4Addr::new(10, 0, 0, 1),
                ident: 42,
            }),
        )
    }

    #[test]
    fn auth_1_leid_is_not_covered_but_fields_are() {
        let mut m = rrq();
        assert!(sign_with(&mut m, AuthRole::MobileHome, 0x100, &keys()));
        assert_eq!(m.auth[0].authenticator.len(), 16);
        assert_eq!(verify(&m, AuthRole::MobileHome, &keys()), Verdict::Valid);
        m.leid = 9; // the FA writes the Local Endpoint ID in transit
        assert_eq!(verify(&m, AuthRole::MobileHome, &keys()), Verdict::Valid);
        if let Body::Rrq(r) = &mut m.body {
            r.ident = 43;
        }
        assert_eq!(verify(&m, AuthRole::MobileHome, &keys()), Verdict::Invalid);
    }

    #[test]
    fn auth_1_authenticators_verify_with_the_codec_decoder() {
        let mut m = rrq();
        m.gid = Some(codec::gid::Gid::mac([2, 0, 0, 0, 0, 1]));
        sign_with(&mut m, AuthRole::MobileHome, 0x100, &keys());
        m.leid = 0x1234; // rewritten in transit: not covered [AUTH-1]
        let bytes = crate::wire::encode(&m).unwrap();
        let (pdu, report) = codec::mvtp::Pdu::decode(&bytes, Some(&keys())).unwrap();
        assert!(report.error.is_none(), "{:?}", report.error);
        assert_eq!(report.auth.len(), 1);
        assert!(report.auth[0].valid);
        assert_eq!(crate::wire::from_pdu(&pdu).unwrap(), m);
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let (_, report) = codec::mvtp::Pdu::decode(&bad, Some(&keys())).unwrap();
        assert!(report.auth.iter().all(|a| !a.valid));
    }

    #[test]
    fn auth_3_later_avps_are_not_protected_and_unknown_spi_is_reported() {
        let mut m = rrq();
        sign_with(&mut m, AuthRole::MobileHome, 0x100, &keys());
        sign_with(&mut m, AuthRole::ForeignHome, 0x100, &keys());
        m.auth[1].authenticator[0] ^= 1;
        assert_eq!(verify(&m, AuthRole::MobileHome, &keys()), Verdict::Valid);
        assert_eq!(verify(&m, AuthRole::ForeignHome, &keys()), Verdict::Invalid);
        assert_eq!(verify(&m, AuthRole::MobileForeign, &keys()), Verdict::Missing);
        m.auth[0].spi = 5;
        assert_eq!(verify(&m, AuthRole::MobileHome, &keys()), Verdict::UnknownSpi);
    }
}
