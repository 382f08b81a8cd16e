//! Property tests for the Mobile IPv4 codec (RFC 5944 §3, RFC 3519 §3.3, RFC 3543 §4):
//! no input panics; whatever parses re-encodes to exactly its input; a built message
//! survives emit → parse; signing makes every keyed authenticator verify.

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::mip::ext::{ExtBody, ExtType, Extension};
use codec::mip::{self, Body, Message, MessageView, MsgType};
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn message_bytes() -> impl Strategy<Value = Vec<u8>> {
    let ty = prop_oneof![Just(1u8), Just(3), Just(4), Just(7), Just(15), any::<u8>()];
    (ty, proptest::collection::vec(any::<u8>(), 0..96)).prop_map(|(t, mut rest)| {
        rest.insert(0, t);
        rest
    })
}

/// Fixed part followed by a run of plausible extension headers.
fn with_extensions() -> impl Strategy<Value = Vec<u8>> {
    let ext = (
        prop_oneof![
            Just(32u8),
            Just(36),
            Just(38),
            Just(44),
            Just(131),
            Just(134),
            Just(137),
            Just(144),
            Just(145),
            Just(149),
            any::<u8>()
        ],
        proptest::collection::vec(any::<u8>(), 0..24),
    )
        .prop_map(|(t, data)| {
            let mut e = vec![t];
            if matches!(t, 36 | 38 | 47) {
                e.push(1);
                e.extend_from_slice(&(data.len() as u16).to_be_bytes());
            } else {
                e.push(data.len() as u8);
            }
            e.extend_from_slice(&data);
            e
        });
    (
        prop_oneof![Just(1u8), Just(3), Just(7), Just(15)],
        proptest::collection::vec(any::<u8>(), 24),
        proptest::collection::vec(ext, 0..5),
    )
        .prop_map(|(t, fixed, exts)| {
            let n = MsgType(t).fixed_len().unwrap();
            let mut b = vec![t];
            b.extend_from_slice(&fixed[..n - 1]);
            exts.iter().for_each(|e| b.extend_from_slice(e));
            b
        })
}

fn ip() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn extension() -> impl Strategy<Value = Extension> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..20);
    prop_oneof![
        (prop_oneof![Just(32u8), Just(33), Just(34)], any::<u32>(), bytes()).prop_map(|(t, spi, a)| Extension::auth(
            ExtType(t),
            spi,
            a
        )),
        (any::<u8>(), any::<u32>(), bytes()).prop_map(|(subtype, spi, authenticator)| Extension {
            ext_type: ExtType::GEN_AUTH,
            body: ExtBody::GenAuth { subtype, spi, authenticator }
        }),
        bytes().prop_map(|n| Extension { ext_type: ExtType::NAI, body: ExtBody::Nai(n) }),
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>(), any::<u16>()).prop_map(|(a, b, c, d, e)| Extension {
            ext_type: ExtType::UDP_TUNNEL_REQUEST,
            body: ExtBody::UdpTunnelRequest { subtype: a, reserved1: b, flags: c, encapsulation: d, reserved3: e }
        }),
        (any::<u8>(), any::<u8>(), any::<u16>(), any::<u16>()).prop_map(|(a, b, c, d)| Extension {
            ext_type: ExtType::UDP_TUNNEL_REPLY,
            body: ExtBody::UdpTunnelReply { subtype: a, code: b, flags: c, keepalive: d }
        }),
        (any::<u16>(), any::<u32>()).prop_map(|(flags, timestamp)| Extension {
            ext_type: ExtType::REVOCATION_SUPPORT,
            body: ExtBody::RevocationSupport { flags, timestamp }
        }),
        (any::<u8>(), bytes()).prop_map(|(subtype, text)| Extension {
            ext_type: ExtType::MESSAGE_STRING,
            body: ExtBody::MessageString { subtype, text }
        }),
        (any::<u8>(), any::<u8>())
            .prop_map(|(subtype, reserved)| Extension { ext_type: ExtType::TNC, body: ExtBody::Tnc { subtype, reserved } }),
        (any::<u8>(), any::<u32>(), any::<u16>(), bytes()).prop_map(|(reserved, vendor_id, vendor_type, value)| Extension {
            ext_type: ExtType::CVSE,
            body: ExtBody::Cvse { reserved, vendor_id, vendor_type, value }
        }),
        (any::<u16>(), any::<u32>(), any::<u16>(), bytes()).prop_map(|(reserved, vendor_id, vendor_type, value)| Extension {
            ext_type: ExtType::NVSE,
            body: ExtBody::Nvse { reserved, vendor_id, vendor_type, value }
        }),
        (128u8..=255, bytes())
            .prop_filter("not a known skippable type", |(t, _)| !ExtType(*t).is_known())
            .prop_map(|(t, data)| Extension { ext_type: ExtType(t), body: ExtBody::Opaque { lead: None, data } }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let req = (any::<u8>(), any::<u16>(), ip(), ip(), ip(), any::<u64>()).prop_map(
        |(flags, lifetime, home_addr, home_agent, coa, ident)| {
            (MsgType::REG_REQUEST, Body::Request { flags, lifetime, home_addr, home_agent, coa, ident })
        },
    );
    let rep = (any::<u8>(), any::<u16>(), ip(), ip(), any::<u64>()).prop_map(|(code, lifetime, home_addr, home_agent, ident)| {
        (MsgType::REG_REPLY, Body::Reply { code, lifetime, home_addr, home_agent, ident })
    });
    let rev = (any::<u8>(), any::<u16>(), ip(), ip(), ip(), any::<u32>()).prop_map(
        |(reserved, flags, home_addr, home_domain, foreign_domain, rev_id)| {
            (MsgType::REVOCATION, Body::Revocation { reserved, flags, home_addr, home_domain, foreign_domain, rev_id })
        },
    );
    let ack = (any::<u8>(), any::<u16>(), ip(), any::<u32>()).prop_map(|(reserved, flags, home_addr, rev_id)| {
        (MsgType::REVOCATION_ACK, Body::RevocationAck { reserved, flags, home_addr, rev_id })
    });
    (prop_oneof![req, rep, rev, ack], proptest::collection::vec(extension(), 0..6))
        .prop_map(|((msg_type, body), extensions)| Message { msg_type, body, extensions, payload: vec![] })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_never_panic_and_reencode_exactly(b in message_bytes()) {
        if let Ok(m) = Message::parse(&b) {
            prop_assert_eq!(m.to_bytes().unwrap(), b.clone());
        }
        if let Ok(v) = MessageView::new(&b) {
            let _ = v.diagnostics();
            let _ = v.payload();
        }
        let mut k = KeyStore::new();
        k.insert(0, AuthKey { algorithm: Algorithm::HmacMd5, secret: vec![1] });
        let _ = mip::verify(&b, &k);
    }

    #[test]
    fn extension_runs_reencode_exactly(b in with_extensions()) {
        if let Ok(m) = Message::parse(&b) {
            prop_assert_eq!(m.to_bytes().unwrap(), b);
        }
    }

    #[test]
    fn built_messages_survive_emit_parse(m in message()) {
        let b = m.to_bytes().unwrap();
        prop_assert_eq!(b.len(), m.buffer_len());
        prop_assert_eq!(Message::parse(&b).unwrap(), m);
    }

    #[test]
    fn rfc5944_3_5_1_signed_messages_verify(mut m in message(), spi in any::<u32>(), sha in any::<bool>()) {
        let algorithm = if sha { Algorithm::HmacSha256 } else { Algorithm::HmacMd5 };
        let mut k = KeyStore::new();
        k.insert(spi, AuthKey { algorithm, secret: b"k".to_vec() });
        m.extensions.push(Extension::auth(ExtType::MN_HA_AUTH, spi, vec![]));
        m.sign(&k).unwrap();
        let b = m.to_bytes().unwrap();
        let checks = mip::verify(&b, &k).unwrap();
        prop_assert!(!checks.is_empty());
        prop_assert!(checks.iter().all(|c| c.valid));
    }
}
