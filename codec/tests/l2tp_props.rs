//! Property tests for L2TPv2 (RFC 2661) and PPP (RFC 1661): no input panics; whatever
//! parses re-encodes to exactly the octets it consumed; a built message survives
//! emit → parse; hiding then revealing an AVP (RFC 2661 §4.3) gives it back.

use codec::l2tp::avp::{Avp, AvpValue};
use codec::l2tp::{Body, Header, Message, MessageView, Sequence};
use codec::numbers::VendorId;
use codec::ppp::{Frame, ParseOptions};
use proptest::prelude::*;

/// An AVP as a sender would build it: its value is what `decode` makes of random octets,
/// so parse(emit(avp)) == avp is a fair law.
fn avp() -> impl Strategy<Value = Avp> {
    let vendor = prop_oneof![Just(0u16), Just(0), Just(0), Just(32473), Just(9)];
    let ty = prop_oneof![0u16..40, 0u16..4, any::<u16>()];
    let len = prop_oneof![Just(0usize), Just(2), Just(4), Just(8), Just(10), Just(26), 0usize..40];
    (vendor, ty, len, any::<bool>(), any::<bool>(), 0u8..16, proptest::collection::vec(any::<u8>(), 40)).prop_map(
        |(vendor, ty, len, mandatory, hidden, reserved, bytes)| {
            let v = &bytes[..len];
            let vendor = VendorId(vendor);
            let value = if hidden {
                AvpValue::Raw(v.to_vec())
            } else {
                AvpValue::decode(vendor, ty, v).unwrap_or_else(|_| AvpValue::Raw(v.to_vec()))
            };
            Avp { mandatory, hidden, reserved, vendor, attr_type: ty, value }
        },
    )
}

fn header() -> impl Strategy<Value = Header> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        proptest::option::of((any::<u16>(), any::<u16>())),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..6)),
    )
        .prop_map(|(has_length, priority, reserved, tunnel, session, seq, offset_pad)| Header {
            has_length,
            priority,
            reserved: reserved & codec::l2tp::RESERVED_MASK,
            tunnel,
            session,
            sequence: seq.map(|(ns, nr)| Sequence { ns, nr }),
            offset_pad,
        })
}

fn message() -> impl Strategy<Value = Message> {
    let body = prop_oneof![
        proptest::collection::vec(avp(), 0..6).prop_map(Body::Control),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Body::Data),
    ];
    (header(), body).prop_map(|(header, body)| Message { header, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any octets: parse never panics; a success re-encodes to exactly the octets consumed.
    #[test]
    fn l2tp_any_bytes_parse_or_error(b in proptest::collection::vec(any::<u8>(), 0..120)) {
        if let Ok((m, n)) = Message::parse(&b) {
            let mut out = vec![];
            m.emit(&mut out).unwrap();
            prop_assert_eq!(&out[..], &b[..n]);
        }
        if let Ok(v) = MessageView::new(&b) {
            let _ = v.diagnostics();
            let _ = v.message_type();
        }
    }

    /// A built message: emit → parse gives it back, octets and Repr alike.
    #[test]
    fn l2tp_built_message_round_trips(m in message()) {
        let mut out = vec![];
        m.emit(&mut out).unwrap();
        prop_assert_eq!(out.len(), m.buffer_len());
        let (back, n) = Message::parse(&out).unwrap();
        prop_assert_eq!(n, out.len());
        // A data message without Length swallows nothing more; with AVPs the types match.
        prop_assert_eq!(back, m);
    }

    /// RFC 2661 §4.3: hide then unhide is the identity, for any secret, vector and padding.
    #[test]
    fn rfc2661_4_3_hide_unhide_identity(
        a in avp(),
        secret in proptest::collection::vec(any::<u8>(), 0..24),
        rv in proptest::collection::vec(any::<u8>(), 1..24),
        pad in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let a = Avp { hidden: false, ..a };
        let a = match &a.value {
            AvpValue::Raw(v) => Avp { value: AvpValue::decode(a.vendor, a.attr_type, v).unwrap_or(AvpValue::Raw(v.clone())), ..a },
            _ => a,
        };
        let h = a.hidden_with(&secret, &rv, &pad).unwrap();
        prop_assert!(h.hidden);
        prop_assert_eq!(h.unhidden(&secret, &rv, 0).unwrap(), a);
    }

    /// PPP: any octets parse or fail with a typed error; a success re-encodes exactly, in
    /// both Multilink formats.
    #[test]
    fn ppp_any_bytes_parse_or_error(b in proptest::collection::vec(any::<u8>(), 0..80), short in any::<bool>()) {
        if let Ok(f) = Frame::parse_with(&b, ParseOptions { mp_short_seq: short }) {
            let mut out = vec![];
            f.emit(&mut out).unwrap();
            prop_assert_eq!(&out, &b);
            prop_assert_eq!(Frame::parse_with(&out, ParseOptions { mp_short_seq: short }).unwrap(), f);
        }
    }

    /// PPP control packets with plausible option runs (LCP, IPCP, CCP): parse → emit exact.
    #[test]
    fn ppp_control_packets_round_trip(
        proto in prop_oneof![Just(0xc021u16), Just(0x8021), Just(0x80fd), Just(0xc023), Just(0xc223), Just(0x003d)],
        acfc in any::<bool>(),
        code in 1u8..16,
        opts in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..8)), 0..5),
        pad in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut b = vec![];
        if !acfc { b.extend_from_slice(&[0xff, 0x03]); }
        b.extend_from_slice(&proto.to_be_bytes());
        let mut body = vec![];
        for (t, d) in &opts {
            body.push(*t);
            body.push(d.len() as u8 + 2);
            body.extend_from_slice(d);
        }
        b.push(code);
        b.push(7);
        b.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&pad);
        let f = Frame::parse(&b).unwrap();
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        prop_assert_eq!(out, b);
    }
}

/// `arbitrary` Reprs (the fuzz targets' input, STYLE §8): whatever `emit` accepts parses
/// back to a message that emits the same octets (a Raw value may come back typed).
#[cfg(feature = "arbitrary")]
#[test]
fn arbitrary_reprs_emit_parse_emit() {
    use arbitrary::{Arbitrary, Unstructured};
    let mut seed = 0x2661_u64;
    for _ in 0..3000 {
        let raw: Vec<u8> = (0..256)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 33) as u8
            })
            .collect();
        let mut u = Unstructured::new(&raw);
        if let Ok(m) = Message::arbitrary(&mut u) {
            let mut out = vec![];
            if m.emit(&mut out).is_ok() {
                let (back, n) = Message::parse(&out).unwrap();
                assert_eq!(n, out.len());
                let mut again = vec![];
                back.emit(&mut again).unwrap();
                assert_eq!(again, out);
            }
        }
        let mut u = Unstructured::new(&raw);
        if let Ok(f) = Frame::arbitrary(&mut u) {
            let mut out = vec![];
            if f.emit(&mut out).is_ok() {
                if let Ok(back) = Frame::parse(&out) {
                    let mut again = vec![];
                    back.emit(&mut again).unwrap();
                    assert_eq!(again, out);
                }
            }
        }
    }
}
