//! Unit tests per clause (spec §2–§4), on byte arrays.

use super::*;
use crate::auth::{Algorithm, AuthKey};
use crate::gid::Gid;

/// Vector 04 (mv-rrq-md5): initial MV-RRQ with a GID AVP and Mobile-Home Authentication.
#[rustfmt::skip]
const RRQ: [u8; 71] = [
    0x10,                   // version 1, Rsvd 0
    0x04,                   // MV-RRQ
    0x00, 0x47,             // PDU Length 71
    0x00, 0x00,             // Local Endpoint ID 0
    0x00, 0x27,             // AVP Length 39
    0x80,                   // R
    0x00,                   // Code 0 [FMT-10]
    0x07, 0x08,             // lifetime 1800
    0x02,                   // Encap Type 2, L2TP_TRANSPORT
    0x00, 0x00, 0x00,       // Reserved
    0x00, 0x00, 0x03, 0xe9, // Connect ID 1001
    0xcb, 0x00, 0x71, 0x05, // Home IP Address 203.0.113.5
    0xe9, 0x9d, 0x41, 0x5e, 0x1a, 0x2b, 0x3c, 0x4d, // Identification
    // AVP: Global Endpoint ID, class 3 (MAC)
    0x80, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d,
    // AVP: Mobile-Home Authentication, SPI 256, HMAC-MD5
    0x80, 0x1a, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00,
    0xa8, 0xbe, 0xff, 0xb3, 0x16, 0x8f, 0x6e, 0xbb, 0x1c, 0x7e, 0xd9, 0x3c, 0x19, 0x6b, 0xb5, 0x4a,
];

/// MV-FAS, spec §2.1: common header only.
#[rustfmt::skip]
const FAS: [u8; 8] = [
    0x10,       // version 1, reserved 0
    0x02,       // MV-FAS
    0x00, 0x08, // PDU Length 8
    0x00, 0x00, // Local Endpoint ID 0 [FMT-6]
    0x00, 0x00, // AVP Length 0
];

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(
        256,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: hex::decode("6d7674702d7075622d6d682d6b657931").unwrap(),
        },
    );
    k
}

/// Builds a PDU from parts, computing PDU Length and AVP Length.
fn build(ty: u8, leid: u16, fixed: &[u8], avps: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = 8 + fixed.len() + avps.len() + payload.len();
    let mut b = vec![0x10, ty];
    b.extend((len as u16).to_be_bytes());
    b.extend(leid.to_be_bytes());
    b.extend((avps.len() as u16).to_be_bytes());
    b.extend(fixed);
    b.extend(avps);
    b.extend(payload);
    b
}

fn avp(flags: u8, vendor: u16, ty: u16, value: &[u8]) -> Vec<u8> {
    let len = 6 + value.len();
    let mut b = vec![flags | (len >> 8) as u8, len as u8];
    b.extend(vendor.to_be_bytes());
    b.extend(ty.to_be_bytes());
    b.extend(value);
    b
}

const FAA_AGENT: [u8; 10] = [0x04, 0xb7, 0x07, 0x08, 0x95, 0x00, 198, 51, 100, 20];
const RRQ_FIXED: [u8; 24] = [
    0x80, 0, 0x07, 0x08, 2, 0, 0, 0, 0, 0, 3, 0xe9, 203, 0, 113, 5, 0xe9, 0x9d, 0x41, 0x5e, 0x1a, 0x2b, 0x3c, 0x4d,
];

fn err(b: &[u8]) -> DecodeError {
    match decode(b, None) {
        Err(e) => e,
        Ok((_, r)) => r.error.expect("an error"),
    }
}

fn warnings(b: &[u8]) -> Vec<(&'static str, usize)> {
    let (_, r) = decode(b, None).unwrap();
    r.warnings.iter().map(|w| (w.clause.unwrap(), w.offset)).collect()
}

#[test]
fn spec_2_1_rrq_getters() {
    let v = PduView::new(&RRQ).unwrap();
    assert_eq!(
        (
            v.version(),
            v.reserved(),
            v.pdu_type(),
            v.pdu_length(),
            v.leid(),
            v.avp_length()
        ),
        (1, 0, PduType::RRQ, 71, 0, 39)
    );
    let Fixed::Rrq(g) = v.fixed() else { panic!("not an RRQ") };
    assert!(g.reset() && !g.roam_notify());
    assert_eq!(
        (g.code, g.lifetime, g.encap, g.connect_id),
        (0, 1800, Encap::L2TP_TRANSPORT, 1001)
    );
    assert_eq!(g.home_addr, Ipv4Addr::new(203, 0, 113, 5));
    assert_eq!(g.ident, 0xe99d415e1a2b3c4d);
    let avps: Vec<_> = v.avps().map(Result::unwrap).collect();
    assert_eq!(
        avps.iter().map(|a| (a.offset, a.attr_type.0)).collect::<Vec<_>>(),
        [(32, 1), (45, 4)]
    );
    assert!(v.payload().is_empty());
    let r = v.check(Some(&keys()));
    assert_eq!(
        r,
        Report {
            complete: true,
            auth: vec![AuthCheck {
                role: AuthRole::MobileHome,
                offset: 45,
                spi: 256,
                valid: true
            }],
            ..Default::default()
        }
    );
}

#[test]
fn spec_2_parse_to_repr_and_emit_back() {
    let p = Pdu::parse(&RRQ).unwrap();
    let want = Pdu {
        version: 1,
        reserved: 0,
        leid: 0,
        body: Body::Rrq(Registration {
            flags: FLAG_RESET,
            code: 0,
            lifetime: 1800,
            encap: Encap::L2TP_TRANSPORT,
            reserved: 0,
            connect_id: 1001,
            home_addr: Ipv4Addr::new(203, 0, 113, 5),
            ident: 0xe99d415e1a2b3c4d,
        }),
        avps: vec![
            Avp::new(AvpValue::Gid(Gid::mac([0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]))),
            Avp::new(AvpValue::Auth(Auth {
                role: AuthRole::MobileHome,
                spi: 256,
                authenticator: RRQ[55..].to_vec(),
            })),
        ],
        payload: vec![],
    };
    assert_eq!(p, want);
    assert_eq!(p.buffer_len(), RRQ.len());
    // Emit after other octets, pre-filled, so a missed byte shows.
    let mut out = vec![0xA5; 3];
    p.emit(&mut out).unwrap();
    assert_eq!(&out[3..], RRQ);
}

#[test]
fn auth_1_2_sign_while_encoding_reproduces_the_vector() {
    let mut p = Pdu::parse(&RRQ).unwrap();
    if let AvpValue::Auth(a) = &mut p.avps[1].value {
        a.authenticator = vec![0; 3]; // wrong length: the signer sizes it
    }
    let mut out = Vec::new();
    assert_eq!(p.emit_signed(&mut out, &keys()).unwrap(), 1);
    assert_eq!(out, RRQ);
    assert_eq!(p.sign(&keys()).unwrap(), 1);
    assert_eq!(p.to_bytes().unwrap(), RRQ);
}

#[test]
fn auth_1_octets_2_to_7_are_not_covered() {
    // An FA writes the Local Endpoint ID: the authenticator still verifies.
    let mut b = RRQ;
    b[5] = 9;
    let (_, r) = decode(&b, Some(&keys())).unwrap();
    assert_eq!(r.auth_valid(45), Some(true));
    assert!(r.error.is_none());
    // A changed lifetime does not verify; fix_up re-signs in place.
    b[11] = 0x09;
    let (_, r) = decode(&b, Some(&keys())).unwrap();
    assert_eq!(r.auth_valid(45), Some(false));
    let e = r.error.unwrap();
    assert_eq!((e.kind, e.clause, e.offset), (Kind::AuthFailed, Some("AUTH-5"), 55));
    assert_eq!(auth::fix_up(&mut b, &keys()).unwrap(), 1);
    assert_eq!(decode(&b, Some(&keys())).unwrap().1.auth_valid(45), Some(true));
}

#[test]
fn auth_5_unknown_spi_is_not_verified() {
    let (_, r) = decode(&RRQ, Some(&KeyStore::new())).unwrap();
    assert!(r.auth.is_empty() && r.error.is_none());
    let (_, r) = decode(&RRQ, None).unwrap();
    assert!(r.auth.is_empty());
}

#[test]
fn auth_5_wrong_algorithm_length_does_not_verify() {
    let mut k = KeyStore::new();
    k.insert(
        256,
        AuthKey {
            algorithm: Algorithm::HmacSha256,
            secret: vec![1; 32],
        },
    );
    let (_, r) = decode(&RRQ, Some(&k)).unwrap();
    assert_eq!(r.error.unwrap().kind, Kind::AuthFailed);
}

#[test]
fn fmt_5_fewer_than_8_octets_truncated_at_0() {
    for n in 0..8 {
        let e = PduView::new(&FAS[..n]).unwrap_err();
        assert_eq!(
            (e.kind, e.clause, e.offset),
            (Kind::Truncated, Some("FMT-5"), 0),
            "prefix {n}"
        );
    }
}

#[test]
fn truncation_sweep_every_prefix_of_the_rrq() {
    for n in 0..RRQ.len() {
        let e = Pdu::parse(&RRQ[..n]).unwrap_err();
        let want_at = if n < 8 { 0 } else { 2 };
        assert_eq!(
            (e.kind, e.clause, e.offset),
            (Kind::Truncated, Some("FMT-5"), want_at),
            "prefix {n}"
        );
    }
}

#[test]
fn fmt_2_version_other_than_1() {
    let mut b = FAS;
    b[0] = 0xf0;
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::Version, Some("FMT-2"), 0));
}

#[test]
fn fmt_5_pdu_length_below_8_and_beyond_frame() {
    let mut b = FAS;
    b[3] = 7;
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-5"), 2));
    b[3] = 9;
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::Truncated, Some("FMT-5"), 2));
}

#[test]
fn fmt_5_padding_after_pdu_length_is_not_part_of_the_pdu() {
    let mut b = FAS.to_vec();
    b.extend([0; 38]);
    let v = PduView::new(&b).unwrap();
    assert_eq!(v.as_bytes(), FAS);
    assert_eq!(Pdu::parse(&b).unwrap().to_bytes().unwrap(), FAS);
}

#[test]
fn fmt_5_avp_length_beyond_pdu_length() {
    let mut b = build(1, 0, &[], &avp(0x80, 0, 2, &FAA_AGENT), &[]);
    b[7] += 1;
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-5"), 2));
    // MV-RRQ whose PDU Length leaves no room for the 24 fixed octets.
    let b = build(4, 0, &RRQ_FIXED[..20], &[], &[]);
    assert_eq!(err(&b).clause, Some("FMT-5"));
}

#[test]
fn fmt_8_no_payload_outside_mv_data() {
    let b = build(2, 0, &[], &[], &[1, 2]);
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-8"), 2));
    // MV-DATA: payload = PDU Length − 12 − AVP Length, possibly empty.
    let b = build(3, 5, &[1, 0, 0, 0], &[], &[0xff, 0x03]);
    let v = PduView::new(&b).unwrap();
    assert_eq!(v.payload(), [0xff, 0x03]);
    assert_eq!(Pdu::parse(&b).unwrap().to_bytes().unwrap(), b);
    let b = build(3, 5, &[1, 0, 0, 0], &[], &[]);
    assert!(PduView::new(&b).unwrap().payload().is_empty());
}

#[test]
fn fmt_4_unknown_type_kept_opaque() {
    // Vector 11: nothing is checked, not even the Rsvd nibble or the "AVP Length".
    let b = hex::decode("1f2000100505beef8ee828d26d9a95aa").unwrap();
    let (v, r) = decode(&b, None).unwrap();
    assert!(!v.is_known());
    assert_eq!(
        r,
        Report {
            complete: true,
            ..Default::default()
        }
    );
    assert_eq!(v.avps().count(), 0);
    let p = Pdu::parse(&b).unwrap();
    assert!(matches!(
        p.body,
        Body::Unknown {
            pdu_type: PduType(32),
            avp_length: 0xbeef,
            ..
        }
    ));
    assert_eq!(p.to_bytes().unwrap(), b);
}

#[test]
fn fmt_6_faa_fas_carry_leid_0() {
    let mut b = FAS;
    b[5] = 5;
    let (_, r) = decode(&b, None).unwrap();
    let e = r.error.unwrap();
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadValue, Some("FMT-6"), 4));
    assert!(r.complete, "representable: decoded beside the error");
    assert_eq!(Pdu::parse(&b).unwrap().to_bytes().unwrap(), b);
}

#[test]
fn fmt_10_rrq_code_0() {
    let mut f = RRQ_FIXED;
    f[1] = 70;
    let e = err(&build(4, 0, &f, &[], &[]));
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadValue, Some("FMT-10"), 9));
    // In an MV-RRP the code is the result.
    assert!(decode(&build(5, 0, &f, &[], &[]), None).unwrap().1.error.is_none());
}

#[test]
fn fmt_3_reserved_fields_warn_in_offset_order() {
    let mut f = RRQ_FIXED;
    f[0] |= 0x01;
    f[6] = 0x80;
    let mut b = build(4, 0, &f, &[], &[]);
    b[0] = 0x13;
    assert_eq!(warnings(&b), [("FMT-3", 0), ("FMT-3", 8), ("FMT-3", 13)]);
    assert_eq!(
        Pdu::parse(&b).unwrap().to_bytes().unwrap(),
        b,
        "reserved values re-encode as read"
    );
    // MV-DATA Reserved at PDU + 9.
    assert_eq!(warnings(&build(3, 1, &[2, 0, 1, 0], &[], &[])), [("FMT-3", 9)]);
    // MV-DN Flags at + 8 and Reserved at + 10.
    let dn = [0x01, 5, 0, 2, 0, 0, 3, 0xe9, 1, 2, 3, 4, 5, 6, 7, 8];
    assert_eq!(warnings(&build(6, 5, &dn, &[], &[])), [("FMT-3", 8), ("FMT-3", 10)]);
}

#[test]
fn fmt_3_agent_flags_reserved_at_avp_plus_10() {
    let mut a = FAA_AGENT;
    a[5] = 0x01;
    let b = build(1, 0, &[], &avp(0x80, 0, 2, &a), &[]);
    assert_eq!(warnings(&b), [("FMT-3", 18)]);
}

#[test]
fn fmt_7_partial_avp_header_at_the_end() {
    let mut avps = avp(0x80, 0, 2, &FAA_AGENT);
    avps.extend([0x80, 0x06, 0x00]);
    let e = err(&build(1, 0, &[], &avps, &[]));
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-7"), 24));
}

#[test]
fn avp_1_length_below_6() {
    let avps = [0x00, 0x04, 0, 0, 0, 0x63, 0, 0];
    let e = err(&build(2, 0, &[], &avps, &[]));
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("AVP-1"), 8));
}

#[test]
fn avp_2_reserved_bits_warn() {
    let b = build(2, 0, &[], &avp(0x04, 0, 99, &[1]), &[]);
    assert_eq!(warnings(&b), [("AVP-2", 8)]);
}

#[test]
fn avp_3_hidden_is_bad_value_and_kept() {
    let b = build(2, 0, &[], &avp(0xC0, 0, 1, &[3, 0, 1, 2, 3, 4, 5]), &[]);
    let (_, r) = decode(&b, None).unwrap();
    let e = r.error.unwrap();
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadValue, Some("AVP-3"), 8));
    let p = Pdu::parse(&b).unwrap();
    assert!(
        p.avps[0].hidden
            && matches!(
                p.avps[0].value,
                AvpValue::Other {
                    vendor_id: 0,
                    attr_type: 1,
                    ..
                }
            )
    );
    assert_eq!(p.to_bytes().unwrap(), b);
}

#[test]
fn avp_4_unrecognised_mandatory_unsupported_beside_decoded_pdu() {
    // Vector 24: vendor 9 type 3 with M = 1.
    let b = hex::decode("1004004f0000002f8000070802000000000003efcb007105e99d419b13579bdf800d000000010300216a4b77e08008000900030001801a00000004000001000c88c4c8983db8003f963f7d0e114915").unwrap();
    let (_, r) = decode(&b, None).unwrap();
    let e = r.error.unwrap();
    assert_eq!((e.kind, e.clause, e.offset), (Kind::Unsupported, Some("AVP-4"), 45));
    assert!(r.complete);
    assert_eq!(Pdu::parse(&b).unwrap().to_bytes().unwrap(), b);
    // M = 0: skipped, no error.
    let b = build(2, 0, &[], &avp(0x00, 9, 3, &[0, 1]), &[]);
    assert!(decode(&b, None).unwrap().1.error.is_none());
}

#[test]
fn avp_5_gid_checks() {
    let gid = |v: &[u8]| build(2, 0, &[], &avp(0x80, 0, 1, v), &[]);
    // No class octet, wrong length for the class: bad_length at the AVP.
    for v in [&[][..], &[2, 10, 0, 0], &[3, 1, 2, 3], &[9; 22]] {
        let e = err(&gid(v));
        assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("AVP-5"), 8), "{v:?}");
    }
    // Class 5 with a non-digit: bad_value (length checked first).
    let e = err(&gid(b"\x05123x"));
    assert_eq!((e.kind, e.clause), (Kind::BadValue, Some("AVP-5")));
    assert_eq!(err(&gid(&[&[5u8][..], &[b'x'; 16]].concat())).kind, Kind::BadLength);
    // Class above 5: kept opaque with a warning.
    assert_eq!(warnings(&gid(&[9, 1, 2])), [("AVP-5", 8)]);
    assert!(decode(&gid(b"\x054915"), None).unwrap().1.error.is_none());
}

#[test]
fn avp_6_agent_adv_length_6_plus_4k() {
    let e = err(&build(1, 0, &[], &avp(0x80, 0, 2, &FAA_AGENT[..8]), &[]));
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("AVP-6"), 8));
}

#[test]
fn avp_7_faa_has_f_and_a_coa() {
    let mut a = FAA_AGENT;
    a[4] = 0x85; // F clear
    let e = err(&build(1, 0, &[], &avp(0x80, 0, 2, &a), &[]));
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadValue, Some("AVP-7"), 8));
    let e = err(&build(1, 0, &[], &avp(0x80, 0, 2, &FAA_AGENT[..6]), &[]));
    assert_eq!(e.clause, Some("AVP-7"));
    // Only in an MV-FAA.
    assert!(decode(&build(2, 0, &[], &avp(0x80, 0, 2, &FAA_AGENT[..6]), &[]), None)
        .unwrap()
        .1
        .error
        .is_none());
}

#[test]
fn avp_8_prefix_lengths() {
    let agent = avp(0x80, 0, 2, &FAA_AGENT);
    let ok = [agent.clone(), avp(0, 0, 3, &[24])].concat();
    assert!(decode(&build(1, 0, &[], &ok, &[]), None).unwrap().1.error.is_none());
    // Either order.
    let ok = [avp(0, 0, 3, &[24]), agent.clone()].concat();
    assert!(decode(&build(1, 0, &[], &ok, &[]), None).unwrap().1.error.is_none());
    // Above 32: bad_value when walked.
    let b = build(1, 0, &[], &[agent.clone(), avp(0, 0, 3, &[33])].concat(), &[]);
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadValue, Some("AVP-8"), 24));
    // Count: bad_length at the Prefix Lengths AVP.
    let b = build(1, 0, &[], &[avp(0, 0, 3, &[24, 24]), agent.clone()].concat(), &[]);
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("AVP-8"), 8));
    // The count is checked after the walk, so after an AVP-4 error.
    let b = build(
        1,
        0,
        &[],
        &[avp(0, 0, 3, &[24, 24]), agent, avp(0x80, 9, 1, &[])].concat(),
        &[],
    );
    assert_eq!(err(&b).clause, Some("AVP-4"));
    // No advertisement: no count to check.
    assert!(decode(&build(2, 0, &[], &avp(0, 0, 3, &[1, 2]), &[]), None)
        .unwrap()
        .1
        .error
        .is_none());
}

#[test]
fn avp_9_m_bit_other_than_the_table_warns() {
    // Vector 19: Prefix Lengths with M = 1.
    let b = build(
        1,
        0,
        &[],
        &[avp(0x80, 0, 2, &FAA_AGENT), avp(0x80, 0, 3, &[24])].concat(),
        &[],
    );
    assert_eq!(warnings(&b), [("AVP-9", 24)]);
    // GID with M = 0.
    let b = build(2, 0, &[], &avp(0x00, 0, 1, &[0]), &[]);
    assert_eq!(warnings(&b), [("AVP-9", 8)]);
}

#[test]
fn warnings_at_equal_offsets_in_check_order() {
    // rsvd bits + M = 0 on a class-9 GID: AVP-2, AVP-9, AVP-5.
    let b = build(2, 0, &[], &avp(0x08, 0, 1, &[9, 1]), &[]);
    assert_eq!(warnings(&b), [("AVP-2", 8), ("AVP-9", 8), ("AVP-5", 8)]);
}

#[test]
fn avp_10_auth_value_length() {
    // Vector 23: 20-octet authenticator.
    let b = hex::decode("10040049000000298000070802000000000003eecb007105e99d419a2468ace0800b00000001020a141e28801e00000004000001013b969b4e94325100b01e2884b7e520e268766225").unwrap();
    let e = err(&b);
    assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("AVP-10"), 43));
    assert_eq!(Pdu::parse(&b).unwrap_err().clause, Some("AVP-10"));
}

#[test]
fn avp_11_message_string() {
    let e = err(&build(2, 0, &[], &avp(0, 0, 7, &[]), &[]));
    assert_eq!((e.kind, e.clause), (Kind::BadLength, Some("AVP-11")));
    let e = err(&build(2, 0, &[], &avp(0, 0, 7, &[b'a'; 256]), &[]));
    assert_eq!(e.clause, Some("AVP-11"));
    assert_eq!(warnings(&build(2, 0, &[], &avp(0, 0, 7, b"ok \xff"), &[])), [("AVP-11", 8)]);
}

#[test]
fn spec_2_1_first_error_in_order_wins() {
    // FMT-6 (step 6) before a later FMT-7 (step 7): FMT-6 is reported, the PDU cannot be
    // represented.
    let b = build(2, 5, &[], &[0x80, 0x06, 0], &[]);
    let (_, r) = decode(&b, None).unwrap();
    assert_eq!(r.error.as_ref().unwrap().clause, Some("FMT-6"));
    assert!(!r.complete);
    assert_eq!(Pdu::parse(&b).unwrap_err().clause, Some("FMT-6"));
    // AVP-4 before AUTH-5.
    let mut b = RRQ.to_vec();
    b.splice(45..45, avp(0x80, 9, 1, &[]));
    b[3] += 6;
    b[7] += 6;
    let (_, r) = decode(&b, Some(&keys())).unwrap();
    assert_eq!(r.auth_valid(51), Some(false));
    assert_eq!(r.error.unwrap().clause, Some("AVP-4"));
}

#[test]
fn emit_refuses_what_the_wire_cannot_say() {
    let mut p = Pdu::parse(&FAS).unwrap();
    p.version = 16;
    assert_eq!(p.to_bytes().unwrap_err().field, "mvtp.version");
    let mut p = Pdu::parse(&FAS).unwrap();
    p.payload = vec![1];
    assert!(p.to_bytes().is_err());
    let p = Pdu::new(
        0,
        Body::Data(DataFields {
            encap: Encap::NONE,
            reserved: 1 << 24,
        }),
    );
    assert_eq!(p.to_bytes().unwrap_err().field, "mvtp.reserved");
    let p = Pdu::new(
        0,
        Body::Unknown {
            pdu_type: PduType::RRQ,
            avp_length: 0,
            octets: vec![],
        },
    );
    assert!(p.to_bytes().is_err());
    let mut p = Pdu::new(0, Body::Data(DataFields::default()));
    p.payload = vec![0; 65536];
    let mut out = vec![7];
    assert_eq!(p.emit(&mut out).unwrap_err().field, "mvtp.length");
    assert_eq!(out, [7], "output unchanged on error");
}

#[test]
fn fields_registry_names_every_spec_10_field() {
    for name in [
        "mvtp",
        "mvtp.version",
        "mvtp.type",
        "mvtp.length",
        "mvtp.leid",
        "mvtp.avp_length",
        "mvtp.flags.reset",
        "mvtp.flags.roam_notify",
        "mvtp.code",
        "mvtp.lifetime",
        "mvtp.encap",
        "mvtp.connect_id",
        "mvtp.home_addr",
        "mvtp.ident",
        "mvtp.payload_length",
        "mvtp.avp.type",
        "mvtp.avp.mandatory",
        "mvtp.avp.vendor_id",
        "mvtp.gid.class",
        "mvtp.gid.address",
        "mvtp.agent.seq",
        "mvtp.agent.lifetime",
        "mvtp.agent.flags",
        "mvtp.agent.coa",
        "mvtp.prefix_lengths",
        "mvtp.auth.mh.spi",
        "mvtp.auth.mh.authenticator",
        "mvtp.auth.mh.valid",
        "mvtp.auth.mf.spi",
        "mvtp.auth.mf.authenticator",
        "mvtp.auth.mf.valid",
        "mvtp.auth.fh.spi",
        "mvtp.auth.fh.authenticator",
        "mvtp.auth.fh.valid",
        "mvtp.msg",
        "mvtp.esp.leid",
    ] {
        assert!(FIELDS.iter().any(|f| f.name == name), "{name} not registered");
    }
}
