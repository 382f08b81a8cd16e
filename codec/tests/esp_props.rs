//! ESP properties (RFC 4303): encrypt → decrypt gives the payload back for every cipher and
//! MAC; any changed octet is caught by the ICV; arbitrary octets never panic the decoder.

use codec::esp::{self, Encryption, IcvStatus, Integrity, Sa, SaTable};
use proptest::prelude::*;

/// (encryption name, key length, integrity name, integrity key length)
const SUITES: &[(&str, usize, &str, usize)] = &[
    ("null", 0, "hmac-sha1-96", 20),
    ("null", 0, "hmac-md5-96", 16),
    ("des-cbc", 8, "hmac-sha1-96", 20),
    ("3des-cbc", 24, "hmac-sha1-96", 20),
    ("3des-cbc", 24, "hmac-md5-96", 16),
    ("aes128-cbc", 16, "hmac-sha1-96", 20),
    ("aes192-cbc", 24, "hmac-sha256-128", 32),
    ("aes256-cbc", 32, "hmac-sha256-128", 32),
    ("aes256-cbc", 32, "hmac-sha384-192", 48),
    ("aes256-cbc", 32, "hmac-sha512-256", 64),
    ("aes128-cbc", 16, "none", 0),
    ("aes128-gcm16", 20, "none", 0),
    ("aes192-gcm16", 28, "none", 0),
    ("aes256-gcm16", 36, "none", 0),
    ("aes256-gcm12", 36, "none", 0),
];

fn sa(i: usize, seed: u8) -> Sa {
    let (enc, ek, auth, ak) = SUITES[i];
    let key = |n: usize, s: u8| (0..n).map(|j| (j as u8).wrapping_mul(31).wrapping_add(s)).collect::<Vec<u8>>();
    Sa::from_names(None, None, enc, key(ek, seed), auth, key(ak, seed ^ 0x5a)).unwrap()
}

proptest! {
    #[test]
    fn encrypt_then_decrypt_round_trips(
        suite in 0..SUITES.len(),
        seed: u8,
        spi: u32,
        seq: u32,
        nh in prop::sample::select(vec![4u8, 6, 17, 41, 47]),
        payload in prop::collection::vec(any::<u8>(), 0..300),
        iv_seed: u8,
        align_mul in 1usize..4,
    ) {
        let mut s = sa(suite, seed);
        s.spi = Some(spi);
        let iv: Vec<u8> = (0..s.encryption.iv_len()).map(|j| iv_seed.wrapping_add(j as u8)).collect();
        let pad_to = s.encryption.block_len() * align_mul;
        let pkt = esp::encrypt(&s, spi, seq, nh, &payload, &iv, Some(pad_to)).unwrap();
        // Header as given, ciphertext aligned, ICV of the SA's length (RFC 4303 §2).
        prop_assert_eq!(&pkt[..4], &spi.to_be_bytes()[..]);
        prop_assert_eq!(&pkt[4..8], &seq.to_be_bytes()[..]);
        let ct = pkt.len() - 8 - iv.len() - s.icv_len().unwrap();
        prop_assert_eq!(ct % pad_to, 0);
        let d = esp::decrypt(&s, &pkt).unwrap();
        prop_assert_eq!(d.payload(), &payload[..]);
        prop_assert_eq!(d.next_header, nh);
        let expect = if matches!(s.auth, Integrity::None) && !matches!(s.encryption, Encryption::AesGcm { .. }) {
            IcvStatus::Unchecked
        } else {
            IcvStatus::Good
        };
        prop_assert_eq!(d.icv_status, expect);
        // Through the table, as an exact SA.
        let mut t = SaTable::default();
        t.insert(s.clone());
        let (i, d2) = t.decrypt(&pkt, None).unwrap();
        prop_assert_eq!((i, d2.payload()), (0, &payload[..]));
    }

    /// RFC 4303 §3.4.4: with integrity, a changed octet anywhere is never accepted as good.
    #[test]
    fn any_flipped_octet_is_caught(suite in 0..SUITES.len(), payload in prop::collection::vec(any::<u8>(), 1..100), at: prop::sample::Index, bit in 0u8..8) {
        let s = sa(suite, 1);
        prop_assume!(!matches!(s.auth, Integrity::None) || matches!(s.encryption, Encryption::AesGcm { .. }));
        let iv = vec![7; s.encryption.iv_len()];
        let mut pkt = esp::encrypt(&s, 9, 1, 4, &payload, &iv, None).unwrap();
        let i = at.index(pkt.len());
        pkt[i] ^= 1 << bit;
        if let Ok(d) = esp::decrypt(&s, &pkt) {
            prop_assert_eq!(d.icv_status, IcvStatus::Bad);
        }
    }

    /// No input panics the decoder, with any SA.
    #[test]
    fn arbitrary_octets_never_panic(suite in 0..SUITES.len(), b in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = esp::decrypt(&sa(suite, 3), &b);
        let _ = esp::Esp::parse(&b);
        let _ = codec::ah::Ah::parse(&b);
        let _ = codec::ike::Ike::parse(&b);
    }

    /// Repr laws: parse → emit gives the input back.
    #[test]
    fn esp_ah_ike_reprs_reencode(b in prop::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(r) = esp::Esp::parse(&b) {
            let mut out = vec![];
            r.emit(&mut out).unwrap();
            prop_assert_eq!(&out, &b);
        }
        if let Ok(r) = codec::ah::Ah::parse(&b) {
            let mut out = vec![];
            r.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..r.buffer_len()]);
        }
        if let Ok(r) = codec::ike::Ike::parse(&b) {
            let mut out = vec![];
            r.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..r.buffer_len()]);
        }
    }
}

/// Wildcard SAs (tcpdump `-E` without SPI@DST): the one whose padding and next header check
/// out is picked, whatever the order.
#[test]
fn wildcard_sas_pick_the_plausible_one() {
    let right = sa(3, 1); // 3DES + HMAC-SHA1
    let mut ipv4 = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    ipv4.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
    let pkt = esp::encrypt(&right, 0x1234, 1, 4, &ipv4, &[1; 8], None).unwrap();
    let mut wrongs: Vec<Sa> = (2..40).map(|s| sa(3, s)).collect();
    for w in &mut wrongs {
        w.auth = Integrity::Unchecked(12); // no key: only padding/next header can tell
        w.auth_key.clear();
    }
    let mut t = SaTable::default();
    for w in wrongs {
        t.insert(w);
    }
    let mut r = right.clone();
    r.auth = Integrity::Unchecked(12);
    r.auth_key.clear();
    t.insert(r);
    let (i, d) = t.decrypt(&pkt, None).unwrap();
    assert_eq!((i, d.payload()), (t.len() - 1, &ipv4[..]));
}
