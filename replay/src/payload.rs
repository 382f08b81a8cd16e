//! Edits inside payloads the stack keeps as octets: MVTP PDUs (Identification, the
//! authenticators of spec §4), Mobile IPv4 registrations (RFC 5944 §3.3/§3.4 Identification,
//! §3.5 authentication extensions) and L2TP control headers (RFC 2661 §5.8 Ns/Nr).
//!
//! Every edit is in place (lengths never change), so the enclosing headers only need
//! their checksums recomputed.

use codec::auth::KeyStore;
use codec::mip::{self, Ident, MessageView, MsgType};
use codec::mvtp::{self, AvpType, PduType, PduView};

/// What the payload edits need to know.
pub(crate) struct PayloadCx<'a> {
    /// Keys the input was signed with (`None`: every authenticator counts as valid).
    pub read: Option<&'a KeyStore>,
    /// Keys to sign with.
    pub write: &'a KeyStore,
    /// Re-sign every authenticator (not only those of an edited message).
    pub resign: bool,
    /// Also re-sign authenticators that did not verify with `read`.
    pub fix_all: bool,
}

/// The result of editing one payload.
#[derive(Debug, Default)]
pub(crate) struct Edit {
    /// Octets changed.
    pub changed: bool,
    /// A requested edit that could not be made.
    pub failure: Option<&'static str>,
    /// Authenticators written.
    pub signed: usize,
    /// Authenticators left as they were because they did not verify before.
    pub kept_bad: usize,
}

/// Shifts the seconds of an NTP-timestamp Identification by `shift` (RFC 5944 §5.7.1:
/// high 32 bits seconds, low 32 bits the fraction, which a reply copies from its request:
/// keeping it keeps the request/reply pairing). Nonces are returned unchanged.
pub(crate) fn shift_ident(ident: u64, shift: i64) -> u64 {
    match Ident::classify(ident) {
        Ident::Timestamp { secs, frac } => {
            // Wrapping arithmetic modulo 2^32 crosses NTP eras as NTP does.
            let s = secs.wrapping_add(shift as u32);
            (u64::from(s) << 32) | u64::from(frac)
        }
        Ident::Nonce(_) => ident,
    }
}

/// Unix seconds of a timestamp Identification.
pub(crate) fn ident_unix(ident: u64) -> Option<u64> {
    Ident::classify(ident).unix_secs()
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(s))
}

fn write_u64(b: &mut [u8], at: usize, v: u64) {
    if let Some(d) = b.get_mut(at..at + 8) {
        d.copy_from_slice(&v.to_be_bytes());
    }
}

/// Offset of the Identification of an MVTP PDU (MV-RRQ, MV-RRP, MV-DN), spec §2.2.
pub(crate) fn mvtp_ident_at(b: &[u8]) -> Option<usize> {
    let v = PduView::new(b).ok()?;
    match v.pdu_type() {
        PduType::RRQ | PduType::RRP => Some(mvtp::field::reg::IDENT.start),
        PduType::DN => Some(mvtp::field::dn::IDENT.start),
        _ => None,
    }
}

/// Offset of the Identification of a Mobile IPv4 registration request or reply.
pub(crate) fn mip_ident_at(b: &[u8]) -> Option<usize> {
    let v = MessageView::new(b).ok()?;
    match v.msg_type() {
        MsgType::REG_REQUEST => Some(mip::field::request::IDENT.start),
        MsgType::REG_REPLY => Some(mip::field::reply::IDENT.start),
        _ => None,
    }
}

/// The Identification of an MVTP PDU or MIP registration, when it has one.
pub(crate) fn ident_of(b: &[u8], kind: Kind) -> Option<u64> {
    let at = match kind {
        Kind::Mvtp => mvtp_ident_at(b)?,
        Kind::Mip => mip_ident_at(b)?,
    };
    read_u64(b, at)
}

/// Which protocol a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// MVTP PDU (EtherType 0x88B5).
    Mvtp,
    /// Mobile IPv4 message (UDP 434).
    Mip,
}

/// One authenticator: where the covered octets end (exclusive: the SPI's end), the
/// authenticator's range, and its SPI.
struct Spot {
    covered_end: usize,
    auth: std::ops::Range<usize>,
    spi: u32,
}

fn mvtp_spots(b: &[u8]) -> Vec<Spot> {
    let Ok(v) = PduView::new(b) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in v.avps() {
        let Ok(a) = a else { break };
        if a.vendor_id != 0
            || a.hidden()
            || !matches!(
                a.attr_type,
                AvpType::MH_AUTH | AvpType::MF_AUTH | AvpType::FH_AUTH
            )
        {
            continue;
        }
        let Some(spi) = a
            .value
            .get(..4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map(u32::from_be_bytes)
        else {
            continue;
        };
        let start = a.offset + mvtp::avp::field::AUTHENTICATOR;
        let len = a.value.len().saturating_sub(mvtp::avp::SPI_LEN);
        out.push(Spot {
            covered_end: start,
            auth: start..start + len,
            spi,
        });
    }
    out
}

fn mip_spots(b: &[u8]) -> Vec<Spot> {
    let Ok(v) = MessageView::new(b) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in v.extensions() {
        let Ok(e) = e else { break };
        if !e.ext_type.is_keyed_auth() {
            continue;
        }
        let Some((spi, auth)) = e.spi_auth() else {
            continue;
        };
        let start = e.data_offset() + mip::ext::field::SPI.end;
        out.push(Spot {
            covered_end: start,
            auth: start..start + auth.len(),
            spi,
        });
    }
    out
}

/// The authenticator of `s` computed over `b` with `keys`: `None` without a key.
fn compute(b: &[u8], s: &Spot, kind: Kind, keys: &KeyStore) -> Option<Vec<u8>> {
    match kind {
        Kind::Mvtp => mvtp::auth::compute_at(
            b,
            s.covered_end - mvtp::avp::field::AUTHENTICATOR,
            s.spi,
            keys,
        ),
        Kind::Mip => {
            let k = keys.get(s.spi)?;
            Some(k.algorithm.compute(&k.secret, &[b.get(..s.covered_end)?]))
        }
    }
}

/// Edits one MVTP PDU or MIP message in place: shifts its Identification by `shift`
/// seconds (when `Some` and a timestamp), then re-signs its authenticators in order —
/// each covers the ones before it (spec AUTH-3, RFC 5944 §3.5.1). An authenticator that
/// did not verify with the input's keys stays as it was (a deliberately bad one) unless
/// `fix_all`.
pub(crate) fn edit(b: &mut [u8], kind: Kind, shift: Option<i64>, cx: &PayloadCx<'_>) -> Edit {
    let mut e = Edit::default();
    let spots = match kind {
        Kind::Mvtp => mvtp_spots(b),
        Kind::Mip => mip_spots(b),
    };
    // Validity before any edit, with the input's keys.
    let before: Vec<Option<bool>> = spots
        .iter()
        .map(|s| {
            let k = cx.read?;
            let want = compute(b, s, kind, k)?;
            Some(b.get(s.auth.clone()) == Some(&want[..]))
        })
        .collect();
    let mut touched = false;
    if let Some(shift) = shift {
        let at = match kind {
            Kind::Mvtp => mvtp_ident_at(b),
            Kind::Mip => mip_ident_at(b),
        };
        if let Some(at) = at {
            if let Some(old) = read_u64(b, at) {
                let new = shift_ident(old, shift);
                if new != old {
                    write_u64(b, at, new);
                    touched = true;
                    e.changed = true;
                }
            }
        }
    }
    if !(touched || cx.resign) {
        return e;
    }
    for (s, ok) in spots.iter().zip(before) {
        if ok == Some(false) && !cx.fix_all {
            e.kept_bad += 1;
            continue;
        }
        let Some(key) = cx.write.get(s.spi) else {
            if touched {
                e.failure = Some("authenticator: no key to re-sign with");
            }
            continue;
        };
        if key.algorithm.len() != s.auth.len() {
            e.failure = Some("authenticator: the new key's algorithm has another length");
            continue;
        }
        let Some(mac) = compute(b, s, kind, cx.write) else {
            continue;
        };
        if let Some(d) = b.get_mut(s.auth.clone()) {
            if d != &mac[..] {
                d.copy_from_slice(&mac);
                e.changed = true;
            }
            e.signed += 1;
        }
    }
    e
}

/// L2TP (RFC 2661 §3.1) header bits.
const L2TP_T: u16 = 0x8000;
const L2TP_L: u16 = 0x4000;
const L2TP_S: u16 = 0x0800;
const L2TP_VERSION_MASK: u16 = 0x000F;
const L2TP_VERSION: u16 = 2;

/// Offsets of Ns and whether the message is a control message, for an L2TPv2 header
/// with the S bit.
pub(crate) fn l2tp_ns_at(b: &[u8]) -> Option<(usize, bool)> {
    let flags = u16::from_be_bytes(b.get(..2)?.try_into().ok()?);
    if flags & L2TP_VERSION_MASK != L2TP_VERSION || flags & L2TP_S == 0 {
        return None;
    }
    let mut at = 2;
    if flags & L2TP_L != 0 {
        at += 2;
    }
    at += 4; // Tunnel ID, Session ID
    b.get(at..at + 4)?;
    Some((at, flags & L2TP_T != 0))
}

/// Adds `ns` to Ns and (control messages) `nr` to Nr, modulo 2^16 (RFC 2661 §5.8).
pub(crate) fn l2tp_renumber(b: &mut [u8], ns: u16, nr: u16) -> bool {
    let Some((at, control)) = l2tp_ns_at(b) else {
        return false;
    };
    let mut changed = false;
    let mut add = |at: usize, d: u16| {
        if d == 0 {
            return;
        }
        if let Some(f) = b.get_mut(at..at + 2) {
            let v = u16::from_be_bytes([f[0], f[1]]).wrapping_add(d);
            f.copy_from_slice(&v.to_be_bytes());
            changed = true;
        }
    };
    add(at, ns);
    if control {
        add(at + 2, nr);
    }
    changed
}

/// Random Vector AVP type (RFC 2661 §4.4.3).
const L2TP_RANDOM_VECTOR: u16 = 36;

/// Re-hides every hidden AVP of an L2TP control message with a new shared secret (RFC 2661
/// §4.3), in place: revealed with `old` and the most recent Random Vector, hidden again
/// with `new`, same Random Vector, same padding (so the same length). A hidden AVP that
/// `old` does not reveal (its length prefix does not fit) stays as it was.
pub(crate) fn l2tp_rehide(b: &mut [u8], old: &[u8], new: &[u8]) -> Edit {
    use codec::l2tp::hidden;
    let mut e = Edit::default();
    let mut spots = Vec::new();
    {
        let Ok(v) = codec::l2tp::MessageView::new(b) else {
            return e;
        };
        let mut rv: Option<Vec<u8>> = None;
        for a in v.avps() {
            let Ok(a) = a else { break };
            if a.vendor().0 == 0 && a.attr_type() == L2TP_RANDOM_VECTOR && !a.hidden() {
                rv = Some(a.value().to_vec());
            } else if a.hidden() {
                let at = a.offset() + codec::l2tp::avp::HEADER_LEN;
                spots.push((at, a.attr_type(), rv.clone(), a.value().to_vec()));
            }
        }
    }
    for (at, attr_type, rv, ct) in spots {
        let Some(rv) = rv else {
            e.failure = Some("l2tp hidden AVP without a Random Vector");
            continue;
        };
        let plain = hidden::unhide_subformat(attr_type, old, &rv, &ct);
        let Ok(value) = hidden::original_value(&plain) else {
            e.kept_bad += 1;
            continue;
        };
        let padding = plain
            .get(hidden::ORIGINAL_LEN_LEN + value.len()..)
            .unwrap_or_default();
        let Ok(h) = hidden::hide_value(attr_type, new, &rv, value, padding) else {
            continue;
        };
        if let Some(d) = b.get_mut(at..at + h.len()) {
            if d != &h[..] {
                d.copy_from_slice(&h);
                e.changed = true;
            }
            e.signed += 1;
        }
    }
    e
}
