//! IPsec layers: ESP (RFC 4303) with decryption when an SA is known, UDP-encapsulated ESP
//! on port 4500 (RFC 3948), AH (RFC 4302) and the IKE header (RFC 7296 §3.1). Field names
//! are Wireshark's (packet-ipsec.c, packet-udp-encap… `udpencap.*`, packet-isakmp.c).
//!
//! A decrypted ESP payload continues in a derived buffer holding the plaintext (payload
//! data, padding, Pad Length, Next Header): the inner layers' ranges and the trailer fields
//! (`esp.pad`, `esp.pad_len`, `esp.protocol`) point into it; `esp.spi`, `esp.sequence`,
//! `esp.iv` and `esp.icv` point into the frame. A packet that no SA decrypts keeps its body
//! as `esp.encrypted_data`, with one diagnostic per SA tried saying why (no garbage is
//! ever dissected as an inner packet).

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::esp::{self, DecryptError, EspView, IcvStatus};
use codec::numbers::IpProto;
use codec::{ah, ike, Diagnostic, Kind, Severity};
use core::ops::Range;
use std::net::IpAddr;

/// ESP header, then the decrypted payload by Next Header (or the opaque body).
pub fn esp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("esp", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    let v = match EspView::new(b) {
        Ok(v) => v,
        Err(e) => {
            if b.len() >= esp::field::SPI.end {
                cx.uint("esp.spi", base..base + 4, codec::bytes::be_u32(b, 0).unwrap_or(0));
            }
            return cx.stop_at(base, e);
        }
    };
    cx.uint("esp.spi", span(base, esp::field::SPI), v.spi());
    cx.uint("esp.sequence", span(base, esp::field::SEQ), v.seq());
    let body = base + esp::HEADER_LEN..at.end;
    if cx.keys().esp.is_empty() {
        if !body.is_empty() {
            cx.field("esp.encrypted_data", body, Value::Bytes);
        }
        return Next::Stop;
    }
    let dst = outer_dst(cx);
    let table = &cx.keys().esp;
    match table.decrypt(b, dst) {
        Ok((i, mut d)) => {
            if let Some(sa) = table.sas.get(i) {
                let name = format!("{}/{}", sa.encryption.name(), sa.auth.name());
                cx.field("esp.sa", body.clone(), Value::Owned(name));
            }
            if !d.iv.is_empty() {
                cx.field("esp.iv", span(base, d.iv.clone()), Value::Bytes);
            }
            // The plaintext becomes a derived buffer now, so the trailer fields can point
            // into it; dissection continues in it below.
            let n = d.plaintext.len();
            let (payload_len, next_header) = (d.payload_len, d.next_header);
            let next_id = cx.add_buffer(std::mem::take(&mut d.plaintext));
            let (pay, pad_end) = (d.payload_len, n - esp::TRAILER_LEN);
            if pad_end > pay {
                cx.field_in(next_id, "esp.pad", pay..pad_end, Value::Bytes);
            }
            cx.field_in(next_id, "esp.pad_len", pad_end..pad_end + 1, Value::U64(u64::from(d.pad_len)));
            cx.field_in(next_id, "esp.protocol", pad_end + 1..n, Value::U64(u64::from(d.next_header)));
            if !d.icv.is_empty() {
                let icv = span(base, d.icv.clone());
                cx.field("esp.icv", icv.clone(), Value::Bytes);
                if d.icv_status != IcvStatus::Unchecked {
                    cx.flag("esp.icv_good", icv.clone(), d.icv_status == IcvStatus::Good);
                    cx.flag("esp.icv_bad", icv, d.icv_status == IcvStatus::Bad);
                }
            }
            if d.icv_status == IcvStatus::Bad {
                let off = d.icv.start;
                cx.diag_at(
                    base,
                    Diagnostic::error(
                        Kind::AuthFailed,
                        "esp.icv",
                        off,
                        "RFC4303-3.4.4",
                        "ICV does not verify; payload shown as decrypted",
                    ),
                );
            }
            if next_header == esp::NEXT_HEADER_NONE {
                // RFC 4303 §2.6: a dummy packet, to be discarded: nothing to dissect in it.
                return Next::Stop;
            }
            Next::InBuffer(next_id, Box::new(Next::Ip(IpProto(next_header), 0..payload_len)))
        }
        Err(f) => {
            if !body.is_empty() {
                cx.field("esp.encrypted_data", body, Value::Bytes);
            }
            if f.no_sa() {
                let detail = format!("no SA for SPI {:#010x}{}", v.spi(), dst.map(|a| format!(" to {a}")).unwrap_or_default());
                let d = Diagnostic {
                    severity: Severity::Info,
                    kind: None,
                    field: "esp.spi",
                    offset: 0,
                    clause: Some("RFC4303-3.4.2"),
                    detail,
                };
                cx.diag_at(base, d);
            }
            let truncated = cx.missing() > 0;
            let sas: Vec<String> = f
                .tried
                .iter()
                .map(|(i, _)| match cx.keys().esp.sas.get(*i) {
                    Some(sa) => match sa.spi {
                        Some(s) => format!("SA {s:#010x}"),
                        None => format!("wildcard SA #{}", i + 1),
                    },
                    None => String::new(),
                })
                .collect();
            for ((_, e), who) in f.tried.iter().zip(sas) {
                let (kind, clause) = match e {
                    // Cut by the snaplen, the ICV and trailer are not where the SA says:
                    // whatever failed, the cut is the cause.
                    _ if truncated => (Kind::Truncated, "RFC4303-2"),
                    DecryptError::IcvMismatch => (Kind::AuthFailed, "RFC4303-3.4.4"),
                    DecryptError::BadPadding { .. } | DecryptError::Implausible { .. } => (Kind::BadValue, "RFC4303-2.4"),
                    other => (other.kind(), "RFC4303-3.4"),
                };
                let detail = format!("{who}: cannot decrypt: {e}{}", if truncated { " (capture cut by snaplen)" } else { "" });
                cx.diag_at(base, Diagnostic::error(kind, "esp", 0, clause, detail));
            }
            Next::Stop
        }
    }
}

/// UDP port 4500 (RFC 3948 §2): a non-ESP marker (four zero octets) then IKE, a one-octet
/// 0xFF NAT-keepalive, or ESP.
pub fn udp_esp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let b = data.get(at.clone()).unwrap_or(&[]);
    if b == [esp::NAT_KEEPALIVE] {
        cx.layer("udpencap", at.clone());
        cx.field("udpencap.nat_keepalive", at, Value::None);
        return Next::Stop;
    }
    if b.get(..4) == Some(&esp::NON_ESP_MARKER[..]) {
        cx.layer("udpencap", at.clone());
        cx.field("udpencap.non_esp_marker", at.start..at.start + 4, Value::None);
        return Next::To(Proto::Ike, at.start + 4..at.end);
    }
    Next::To(Proto::Esp, at)
}

/// AH header fields, then the payload by Next Header.
pub fn ah(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("ah", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    let v = match ah::AhView::new(b) {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.uint("ah.next_header", base..base + 1, v.next_header().0);
    cx.uint("ah.length", base + 1..base + 2, v.header_len() as u64);
    cx.field("ah.reserved", span(base, ah::field::RESERVED), Value::Bytes);
    cx.uint("ah.spi", span(base, ah::field::SPI), v.spi());
    cx.uint("ah.sequence", span(base, ah::field::SEQ), v.seq());
    let end = base + v.header_len();
    if end > base + ah::FIXED_LEN {
        cx.field("ah.icv", base + ah::FIXED_LEN..end, Value::Bytes);
    }
    Next::Ip(v.next_header(), end..at.end)
}

/// IKE header summary fields (RFC 7296 §3.1); the payload chain is not decoded.
pub fn ike(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("isakmp", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    let v = match ike::IkeView::new(b) {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    use ike::field as f;
    cx.field("isakmp.ispi", span(base, f::ISPI), Value::Bytes);
    cx.field("isakmp.rspi", span(base, f::RSPI), Value::Bytes);
    cx.uint("isakmp.nextpayload", base + f::NEXT_PAYLOAD..base + f::NEXT_PAYLOAD + 1, v.next_payload());
    let ver = base + f::VERSION..base + f::VERSION + 1;
    cx.push("isakmp.version", ver.clone(), Value::U64(u64::from(v.version())));
    cx.uint("isakmp.mjver", ver.clone(), v.version() >> 4);
    cx.uint("isakmp.mnver", ver, v.version() & 0x0F);
    cx.pop();
    cx.uint("isakmp.exchangetype", base + f::EXCHANGE_TYPE..base + f::EXCHANGE_TYPE + 1, v.exchange_type());
    let fl = base + f::FLAGS..base + f::FLAGS + 1;
    cx.push("isakmp.flags", fl.clone(), Value::U64(u64::from(v.flags())));
    cx.flag("isakmp.flag_i", fl.clone(), v.flags() & ike::FLAG_I != 0);
    cx.flag("isakmp.flag_v", fl.clone(), v.flags() & ike::FLAG_V != 0);
    cx.flag("isakmp.flag_r", fl, v.flags() & ike::FLAG_R != 0);
    cx.pop();
    cx.uint("isakmp.messageid", span(base, f::MESSAGE_ID), v.message_id());
    cx.uint("isakmp.length", span(base, f::LENGTH), v.length() as u64);
    if !v.payloads().is_empty() {
        cx.field("isakmp.payloads", base + ike::HEADER_LEN..base + v.length(), Value::Bytes);
    }
    Next::Stop
}

/// The destination of the innermost IP header so far (the SA's destination).
fn outer_dst(cx: &Cx) -> Option<IpAddr> {
    let l = cx.layers().iter().rev().find(|l| l.proto == "ip" || l.proto == "ipv6")?;
    match (l.proto, cx.last_value(if l.proto == "ip" { "ip.dst" } else { "ipv6.dst" })) {
        ("ip", Some(Value::Ipv4(a))) => Some(IpAddr::from(*a)),
        ("ipv6", Some(Value::Ipv6(a))) => Some(IpAddr::from(*a)),
        _ => None,
    }
}

fn span(base: usize, r: Range<usize>) -> Range<usize> {
    base + r.start..base + r.end
}

#[cfg(test)]
mod tests {
    use crate::engine::{Dissector, Proto};
    use crate::keys::Keys;
    use crate::model::{Dissection, Value};
    use codec::esp::{self, Sa};

    fn run(keys: Keys, proto: Proto, b: &[u8]) -> Dissection {
        let mut d = Dissection::default();
        Dissector::new(Default::default(), keys).dissect_as(proto, b, &mut d);
        d
    }

    fn u(d: &Dissection, name: &str) -> Vec<u64> {
        d.find(name).filter_map(|f| if let Value::U64(v) = f.value { Some(v) } else { None }).collect()
    }

    /// RFC 3948 §2.2/§2.3: the non-ESP marker leads to IKE, 0xFF is a NAT-keepalive.
    #[test]
    fn rfc3948_udp_4500_demultiplexing() {
        let d = run(Keys::default(), Proto::UdpEsp, &[0xFF]);
        assert_eq!(d.layers.iter().map(|l| l.proto).collect::<Vec<_>>(), ["udpencap"]);
        assert_eq!(d.find("udpencap.nat_keepalive").count(), 1);
        #[rustfmt::skip]
        let ike = [
            0, 0, 0, 0,                               // non-ESP marker
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, // SPIs
            0x21, 0x20, 0x22, 0x08,                   // SA, 2.0, IKE_SA_INIT, I
            0, 0, 0, 0, 0, 0, 0, 28,                  // message ID, length
        ];
        let d = run(Keys::default(), Proto::UdpEsp, &ike);
        assert_eq!(d.layers.iter().map(|l| l.proto).collect::<Vec<_>>(), ["udpencap", "isakmp"]);
        assert_eq!(u(&d, "isakmp.exchangetype"), [34]);
        assert_eq!(u(&d, "isakmp.version"), [0x20]);
        assert_eq!(u(&d, "isakmp.length"), [28]);
        assert!(d.stopped.is_none());
        let d = run(Keys::default(), Proto::UdpEsp, &[0, 0, 0, 9, 0, 0, 0, 1, 0xAB]);
        assert_eq!(u(&d, "esp.spi"), [9]);
        assert_eq!(d.find("esp.encrypted_data").count(), 1);
    }

    /// RFC 4302 §2: AH fields, then the payload by Next Header.
    #[test]
    fn rfc4302_ah_then_next_header() {
        let mut b = vec![50, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 7];
        b.extend_from_slice(&[0xEE; 12]);
        b.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 1, 0xAB, 0xCD]); // ESP follows
        let d = run(Keys::default(), Proto::Ah, &b);
        assert_eq!(d.layers.iter().map(|l| l.proto).collect::<Vec<_>>(), ["ah", "esp"]);
        assert_eq!((u(&d, "ah.spi"), u(&d, "ah.sequence"), u(&d, "ah.length")), (vec![0x1001], vec![7], vec![24]));
        let d = run(Keys::default(), Proto::Ah, &b[..20]);
        assert_eq!(d.stopped.as_ref().map(|e| e.kind), Some(codec::Kind::Truncated));
    }

    /// Decryption continues in a derived buffer; a bad ICV is reported and flagged.
    #[test]
    fn rfc4303_decrypted_payload_and_bad_icv() {
        let sa = Sa::from_names(Some(0x0005_0001), None, "aes128-cbc", vec![1; 16], "hmac-sha1-96", vec![2; 20]).unwrap();
        let mut keys = Keys::default();
        keys.esp.insert(sa.clone());
        let gre_keepalive = [0, 0, 0x12, 0x34]; // GRE with an unknown type, no payload
        let pkt = esp::encrypt(&sa, 0x0005_0001, 3, 47, &gre_keepalive, &[9; 16], None).unwrap();
        let d = run(keys.clone(), Proto::Esp, &pkt);
        assert_eq!(d.layers.iter().map(|l| l.proto).collect::<Vec<_>>(), ["esp", "gre"]);
        assert_eq!((u(&d, "esp.protocol"), u(&d, "esp.pad_len")), (vec![47], vec![10]));
        assert_eq!(d.find("esp.icv_good").map(|f| f.value.clone()).collect::<Vec<_>>(), [Value::Bool(true)]);
        assert!(d.diagnostics.is_empty());
        let mut bad = pkt.clone();
        *bad.last_mut().unwrap() ^= 1;
        let d = run(keys, Proto::Esp, &bad);
        assert_eq!(d.find("esp.icv_bad").map(|f| f.value.clone()).collect::<Vec<_>>(), [Value::Bool(true)]);
        assert_eq!(d.diagnostics.iter().map(|x| x.diag.kind).collect::<Vec<_>>(), [Some(codec::Kind::AuthFailed)]);
    }
}
