//! MVTP authentication (spec §4).
//!
//! [AUTH-1] An authenticator is computed over the PDU from octet 0 of the common header
//! through the SPI field of the authentication AVP itself, with octets 2..7 of the common
//! header (PDU Length, Local Endpoint ID, AVP Length) set to zero — the octets an FA
//! changes in transit. [AUTH-2] HMAC-MD5 (16 octets) or HMAC-SHA-256 (32 octets), by the
//! security association of the SPI ([`KeyStore`]); compared in constant time
//! ([`crate::auth::Algorithm::verify`]).
//!
//! Signing: [`super::Pdu::emit_signed`] writes placeholders and fills them once the PDU is
//! complete; [`fix_up`] re-signs a PDU in place (replay after editing octets).

use super::avp::{self, AvpType};
use super::{PduView, HEADER_LEN};
use crate::auth::KeyStore;
use crate::error::DecodeError;

/// Octets 2..8 of the common header, zeroed for the computation [AUTH-1].
const ZEROED: [u8; HEADER_LEN - 2] = [0; HEADER_LEN - 2];

/// The covered octets of the authentication AVP at `avp_offset` in `pdu`, as the three
/// parts HMAC runs over: octets 0..2, six zeros, octets 8 through the SPI [AUTH-1].
/// `None` when `pdu` is too short to hold them.
pub fn covered(pdu: &[u8], avp_offset: usize) -> Option<[&[u8]; 3]> {
    let end = avp_offset.checked_add(avp::field::AUTHENTICATOR)?;
    if end < HEADER_LEN {
        return None;
    }
    Some([pdu.get(..2)?, &ZEROED, pdu.get(HEADER_LEN..end)?])
}

/// Verifies the authenticator of the AVP at `avp_offset` given the keys: `None` when no
/// key for `spi` is known. A length other than the algorithm's does not verify [AVP-10].
pub fn verify_at(pdu: &[u8], avp_offset: usize, spi: u32, authenticator: &[u8], keys: &KeyStore) -> Option<bool> {
    let key = keys.get(spi)?;
    let parts = covered(pdu, avp_offset)?;
    Some(key.algorithm.verify(&key.secret, &parts, authenticator))
}

/// Computes the authenticator for the AVP at `avp_offset` with the SA of `spi`.
pub fn compute_at(pdu: &[u8], avp_offset: usize, spi: u32, keys: &KeyStore) -> Option<Vec<u8>> {
    let key = keys.get(spi)?;
    let parts = covered(pdu, avp_offset)?;
    Some(key.algorithm.compute(&key.secret, &parts))
}

/// Re-signs, in order, every authentication AVP of the PDU in `buf` whose SPI has a key
/// and whose authenticator already has the algorithm's length (an in-place edit cannot
/// resize it). Later authenticators cover earlier ones, so order matters [AUTH-3].
/// Returns how many were written.
pub fn fix_up(buf: &mut [u8], keys: &KeyStore) -> Result<usize, DecodeError> {
    // Collect positions first: the view borrows `buf` immutably.
    let mut spots = Vec::new();
    {
        let v = PduView::new(buf)?;
        for a in v.avps() {
            let a = a?;
            if a.vendor_id != 0 || a.hidden() || !matches!(a.attr_type, AvpType::MH_AUTH | AvpType::MF_AUTH | AvpType::FH_AUTH) {
                continue;
            }
            if let Some(spi) = crate::bytes::be_u32(a.value, 0) {
                spots.push((a.offset, spi, a.value.len().saturating_sub(avp::SPI_LEN)));
            }
        }
    }
    let mut n = 0;
    for (offset, spi, len) in spots {
        let Some(key) = keys.get(spi) else { continue };
        if key.algorithm.len() != len {
            continue;
        }
        let Some(mac) = compute_at(buf, offset, spi, keys) else {
            continue;
        };
        let start = offset + avp::field::AUTHENTICATOR;
        if let Some(dst) = buf.get_mut(start..start + len) {
            dst.copy_from_slice(&mac);
            n += 1;
        }
    }
    Ok(n)
}
