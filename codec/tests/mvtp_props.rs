//! Property tests for the MVTP codec (spec §2, §4): a built PDU survives emit → parse;
//! no input panics; whatever parses re-encodes to exactly the octets it consumed (PDU
//! Length of them); signing makes every keyed authenticator verify [AUTH-1, AUTH-2].

use codec::agent_adv::AgentAdv;
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::gid::{Class, Gid};
use codec::mvtp::{
    self, Auth, AuthRole, Avp, AvpValue, Body, DataFields, Disconnect, Encap, Pdu, PduType, PduView, Registration,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn gid() -> impl Strategy<Value = Gid> {
    (0u8..=9).prop_flat_map(|c| {
        let len = match Class(c) {
            Class::NULL => 0..=0usize,
            Class::IPV4 => 4..=4,
            Class::MAC => 6..=6,
            Class::MAGIC => 1..=5,
            Class::PSTN => 1..=15,
            Class::LOCAL => 1..=20,
            _ => 0..=20,
        };
        len.prop_flat_map(move |n| {
            let n = if Class(c) == Class::MAGIC { 4 * n } else { n };
            let byte = if Class(c) == Class::PSTN {
                (b'0'..=b'9').boxed()
            } else {
                any::<u8>().boxed()
            };
            vec(byte, n).prop_map(move |address| Gid {
                class: Class(c),
                address,
            })
        })
    })
}

fn avp_value() -> impl Strategy<Value = AvpValue> {
    prop_oneof![
        gid().prop_map(AvpValue::Gid),
        (any::<u16>(), any::<u16>(), any::<u16>(), vec(any::<u32>(), 0..4)).prop_map(|(seq, lifetime, flags, c)| {
            AvpValue::AgentAdv(AgentAdv {
                seq,
                lifetime,
                flags,
                coas: c.into_iter().map(Ipv4Addr::from).collect(),
            })
        }),
        vec(0u8..=32, 0..4).prop_map(AvpValue::PrefixLengths),
        (
            prop_oneof![
                Just(AuthRole::MobileHome),
                Just(AuthRole::MobileForeign),
                Just(AuthRole::ForeignHome)
            ],
            any::<u32>(),
            prop_oneof![vec(any::<u8>(), 16), vec(any::<u8>(), 32)]
        )
            .prop_map(|(role, spi, authenticator)| AvpValue::Auth(Auth {
                role,
                spi,
                authenticator
            })),
        vec(any::<u8>(), 1..40).prop_map(AvpValue::Message),
        (1u16.., any::<u16>(), vec(any::<u8>(), 0..24)).prop_map(|(vendor_id, attr_type, value)| AvpValue::Other {
            vendor_id,
            attr_type,
            value
        }),
        (8u16.., vec(any::<u8>(), 0..24)).prop_map(|(attr_type, value)| AvpValue::Other {
            vendor_id: 0,
            attr_type,
            value
        }),
    ]
}

fn avp() -> impl Strategy<Value = Avp> {
    (any::<bool>(), 0u8..16, avp_value()).prop_map(|(mandatory, reserved, value)| Avp {
        mandatory,
        hidden: false,
        reserved,
        value,
    })
}

fn registration() -> impl Strategy<Value = Registration> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u8>(),
        0u32..=0xFF_FFFF,
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
    )
        .prop_map(
            |(flags, code, lifetime, encap, reserved, connect_id, home, ident)| Registration {
                flags,
                code,
                lifetime,
                encap: Encap(encap),
                reserved,
                connect_id,
                home_addr: Ipv4Addr::from(home),
                ident,
            },
        )
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::Faa),
        Just(Body::Fas),
        (any::<u8>(), 0u32..=0xFF_FFFF).prop_map(|(e, reserved)| Body::Data(DataFields {
            encap: Encap(e),
            reserved
        })),
        registration().prop_map(Body::Rrq),
        registration().prop_map(Body::Rrp),
        (any::<u8>(), any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>()).prop_map(
            |(flags, code, reserved, connect_id, ident)| {
                Body::Dn(Disconnect {
                    flags,
                    code,
                    reserved,
                    connect_id,
                    ident,
                })
            }
        ),
        (7u8.., any::<u16>(), vec(any::<u8>(), 0..32)).prop_map(|(t, avp_length, octets)| Body::Unknown {
            pdu_type: PduType(t),
            avp_length,
            octets
        }),
    ]
}

/// Canonical PDUs: what `parse` can give back.
fn pdu() -> impl Strategy<Value = Pdu> {
    (0u8..16, any::<u16>(), body(), vec(avp(), 0..5), vec(any::<u8>(), 0..64)).prop_map(
        |(reserved, leid, body, avps, payload)| {
            let unknown = matches!(body, Body::Unknown { .. });
            let data = matches!(body, Body::Data(_));
            Pdu {
                version: 1,
                reserved,
                leid,
                body,
                avps: if unknown { vec![] } else { avps },
                payload: if data { payload } else { vec![] },
            }
        },
    )
}

/// Decodes `b` and, when it decodes, checks that it re-encodes to the consumed octets.
fn decode_and_roundtrip(b: &[u8]) {
    let _ = mvtp::decode(b, None);
    if let Ok(p) = Pdu::parse(b) {
        let n = usize::from(PduView::new(b).unwrap().pdu_length());
        assert_eq!(p.to_bytes().unwrap(), &b[..n]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn repr_emit_parse_is_identity(p in pdu()) {
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), p.buffer_len());
        let back = Pdu::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &p);
        // The view agrees with the Repr on the header.
        let v = PduView::new(&bytes).unwrap();
        prop_assert_eq!(v.pdu_type(), p.pdu_type());
        prop_assert_eq!(v.leid(), p.leid);
        prop_assert_eq!(usize::from(v.pdu_length()), bytes.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_reencode(b in vec(any::<u8>(), 0..128)) {
        decode_and_roundtrip(&b);
    }

    #[test]
    fn mutated_pdus_never_panic_and_reencode(p in pdu(), flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4), cut in any::<prop::sample::Index>()) {
        let mut b = p.to_bytes().unwrap();
        for (i, x) in flips {
            let i = i.index(b.len());
            b[i] ^= x;
        }
        decode_and_roundtrip(&b);
        let n = cut.index(b.len() + 1);
        decode_and_roundtrip(&b[..n]);
    }

    #[test]
    fn auth_1_signing_makes_every_keyed_authenticator_verify(p in pdu(), md5 in any::<bool>(), secret in vec(any::<u8>(), 1..40)) {
        let mut keys = KeyStore::new();
        let algorithm = if md5 { Algorithm::HmacMd5 } else { Algorithm::HmacSha256 };
        let spis: Vec<u32> = p.avps.iter().filter_map(|a| match &a.value { AvpValue::Auth(x) => Some(x.spi), _ => None }).collect();
        for &spi in &spis {
            keys.insert(spi, AuthKey { algorithm, secret: secret.clone() });
        }
        let mut out = Vec::new();
        let n = p.emit_signed(&mut out, &keys).unwrap();
        prop_assert_eq!(n, spis.len());
        let (_, report) = mvtp::decode(&out, Some(&keys)).unwrap();
        prop_assert_eq!(report.auth.len(), spis.len());
        prop_assert!(report.auth.iter().all(|c| c.valid));
        // The LEID is not covered (AUTH-1): rewriting it keeps them valid.
        out[4] ^= 0xFF;
        let (_, report) = mvtp::decode(&out, Some(&keys)).unwrap();
        prop_assert!(report.auth.iter().all(|c| c.valid));
    }
}
