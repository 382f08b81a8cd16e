//! Signing and verifying authentication AVPs of a [`Msg`] (spec §4).
//!
//! The agents only decide *which* AVP to add or check and with which security
//! association; the octets covered by an authenticator are the codec's business
//! [AUTH-1]. [`covered_octets`] is the single place that produces them.
//!
//! INTERIM: until the codec's MVTP module (`codec::mvtp`, being written in parallel)
//! offers its AUTH-1 coverage, [`covered_octets`] digests the semantic fields in a fixed
//! order with the octets that AUTH-1 zeroes (Local Endpoint ID, lengths) left out, so the
//! procedures (FA rewriting the Local Endpoint ID, retransmission needing a new
//! authenticator) behave as on the wire; the authenticators are not yet the wire ones.

use crate::msg::{AuthAvp, AuthKind, Body, Msg};
use codec::auth::{AuthKey, KeyStore};

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

/// The octets covered by the authenticator of the `index`-th auth AVP of `msg`: the PDU
/// up to and including that AVP's SPI, Local Endpoint ID and lengths zeroed [AUTH-1].
pub fn covered_octets(msg: &Msg, index: usize) -> Vec<u8> {
    let mut o = Vec::with_capacity(64);
    o.extend_from_slice(b"mvtp-agents-interim-v1");
    match &msg.body {
        Body::Faa { adv, prefix_lengths } => {
            o.push(1);
            adv.emit(&mut o);
            o.extend_from_slice(prefix_lengths);
        }
        Body::Fas => o.push(2),
        Body::Data { encap, payload } => {
            o.push(3);
            o.push(*encap);
            o.extend_from_slice(&(payload.len() as u64).to_be_bytes());
            o.extend_from_slice(payload);
        }
        Body::Rrq(r) | Body::Rrp(r) => {
            o.push(if matches!(msg.body, Body::Rrq(_)) { 4 } else { 5 });
            o.push(u8::from(r.reset) << 7 | u8::from(r.roam_notify) << 6);
            o.push(r.code);
            o.extend_from_slice(&r.lifetime.to_be_bytes());
            o.push(r.encap);
            o.extend_from_slice(&r.connect_id.to_be_bytes());
            o.extend_from_slice(&r.home.octets());
            o.extend_from_slice(&r.ident.to_be_bytes());
        }
        Body::Dn { code, connect_id, ident } => {
            o.push(6);
            o.push(*code);
            o.extend_from_slice(&connect_id.to_be_bytes());
            o.extend_from_slice(&ident.to_be_bytes());
        }
    }
    if let Some(g) = &msg.gid {
        o.push(0xA1);
        o.extend_from_slice(&(g.buffer_len() as u32).to_be_bytes());
        g.emit(&mut o);
    }
    for (i, a) in msg.auth.iter().enumerate() {
        o.push(0xA4 + a.kind as u8);
        o.extend_from_slice(&a.spi.to_be_bytes());
        if i == index {
            break;
        }
        o.extend_from_slice(&(a.authenticator.len() as u32).to_be_bytes());
        o.extend_from_slice(&a.authenticator);
    }
    o
}

/// Appends an authentication AVP of `kind` with SA `spi`/`key` after the AVPs already in
/// `msg` and computes its authenticator [AUTH-1, AUTH-2, AUTH-3].
pub fn sign(msg: &mut Msg, kind: AuthKind, spi: u32, key: &AuthKey) {
    msg.auth.push(AuthAvp { kind, spi, authenticator: Vec::new() });
    let index = msg.auth.len() - 1;
    let covered = covered_octets(msg, index);
    let tag = key.algorithm.compute(&key.secret, &[&covered]);
    if let Some(a) = msg.auth.get_mut(index) {
        a.authenticator = tag;
    }
}

/// Signs with the SA `spi` from `keys`; without that SA, adds nothing and returns false.
pub fn sign_with(msg: &mut Msg, kind: AuthKind, spi: u32, keys: &KeyStore) -> bool {
    match keys.get(spi) {
        Some(k) => {
            let k = k.clone();
            sign(msg, kind, spi, &k);
            true
        }
        None => false,
    }
}

/// Checks the first authentication AVP of `kind` in `msg` against `keys` [AUTH-5].
pub fn verify(msg: &Msg, kind: AuthKind, keys: &KeyStore) -> Verdict {
    let Some(index) = msg.auth.iter().position(|a| a.kind == kind) else {
        return Verdict::Missing;
    };
    let Some(avp) = msg.auth.get(index) else {
        return Verdict::Missing;
    };
    let Some(key) = keys.get(avp.spi) else {
        return Verdict::UnknownSpi;
    };
    let covered = covered_octets(msg, index);
    if key.algorithm.verify(&key.secret, &[&covered], &avp.authenticator) {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// Removes the authentication AVPs (before re-signing a changed PDU).
pub fn strip(msg: &mut Msg) {
    msg.auth.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Reg;
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
        assert!(sign_with(&mut m, AuthKind::MobileHome, 0x100, &keys()));
        assert_eq!(m.auth[0].authenticator.len(), 16);
        assert_eq!(verify(&m, AuthKind::MobileHome, &keys()), Verdict::Valid);
        m.leid = 9; // the FA writes the Local Endpoint ID in transit
        assert_eq!(verify(&m, AuthKind::MobileHome, &keys()), Verdict::Valid);
        if let Body::Rrq(r) = &mut m.body {
            r.ident = 43;
        }
        assert_eq!(verify(&m, AuthKind::MobileHome, &keys()), Verdict::Invalid);
    }

    #[test]
    fn auth_3_later_avps_are_not_protected_and_unknown_spi_is_reported() {
        let mut m = rrq();
        sign_with(&mut m, AuthKind::MobileHome, 0x100, &keys());
        sign_with(&mut m, AuthKind::ForeignHome, 0x100, &keys());
        m.auth[1].authenticator[0] ^= 1;
        assert_eq!(verify(&m, AuthKind::MobileHome, &keys()), Verdict::Valid);
        assert_eq!(verify(&m, AuthKind::ForeignHome, &keys()), Verdict::Invalid);
        assert_eq!(verify(&m, AuthKind::MobileForeign, &keys()), Verdict::Missing);
        m.auth[0].spi = 5;
        assert_eq!(verify(&m, AuthKind::MobileHome, &keys()), Verdict::UnknownSpi);
    }
}
