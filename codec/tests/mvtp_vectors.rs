//! Spec vectors (`shared/spec/vectors/public/*.json`) through the MVTP codec: every vector
//! with framing `mvtp` — and the MVTP PDU inside every other vector that lists
//! `mvtp.length` — decodes with the error of `expect_error` (kind, clause, offset) or none,
//! exactly the warnings of `expect_warning`, gives the listed `mvtp.*` values from the
//! owned Repr, re-encodes octet for octet, and its authenticators verify with the listed
//! keys exactly as `mvtp.auth.*.valid` says (spec §2.1, §4, §9).

use codec::auth::KeyStore;
use codec::gid::DisplayAddress;
use codec::mvtp::{self, AuthRole, AvpValue, Body, Pdu, PduView};
mod support;

use serde_json::{json, Map, Value as J};
use support::vectors;

fn keys_of(v: &J) -> KeyStore {
    support::keystore(v, "mvtp_auth")
}

fn push(m: &mut Map<String, J>, name: &str, v: J) {
    if let J::Array(a) = m.entry(name).or_insert_with(|| J::Array(vec![])) {
        a.push(v);
    }
}

fn list(m: &mut Map<String, J>, name: &str) {
    m.entry(name).or_insert_with(|| J::Array(vec![]));
}

/// The five header fields from raw octets (reported for malformed PDUs too).
fn header_fields(b: &[u8]) -> Map<String, J> {
    let mut m = Map::new();
    push(&mut m, "mvtp.version", json!(b[0] >> 4));
    push(&mut m, "mvtp.type", json!(b[1]));
    push(&mut m, "mvtp.length", json!(u16::from_be_bytes([b[2], b[3]])));
    push(&mut m, "mvtp.leid", json!(u16::from_be_bytes([b[4], b[5]])));
    push(&mut m, "mvtp.avp_length", json!(u16::from_be_bytes([b[6], b[7]])));
    m
}

/// The `mvtp.*` fields the owned Repr gives, by display-filter name.
fn repr_fields(p: &Pdu, bytes: &[u8], report: &mvtp::Report) -> Map<String, J> {
    let mut m = header_fields(bytes);
    match &p.body {
        Body::Rrq(g) | Body::Rrp(g) => {
            push(&mut m, "mvtp.flags.reset", json!(g.reset()));
            push(&mut m, "mvtp.flags.roam_notify", json!(g.roam_notify()));
            push(&mut m, "mvtp.code", json!(g.code));
            push(&mut m, "mvtp.lifetime", json!(g.lifetime));
            push(&mut m, "mvtp.encap", json!(g.encap.0));
            push(&mut m, "mvtp.connect_id", json!(g.connect_id));
            push(&mut m, "mvtp.home_addr", json!(g.home_addr.to_string()));
            push(&mut m, "mvtp.ident", json!(format!("{:016x}", g.ident)));
        }
        Body::Dn(d) => {
            push(&mut m, "mvtp.code", json!(d.code));
            push(&mut m, "mvtp.connect_id", json!(d.connect_id));
            push(&mut m, "mvtp.ident", json!(format!("{:016x}", d.ident)));
        }
        Body::Data(d) => {
            push(&mut m, "mvtp.encap", json!(d.encap.0));
            push(&mut m, "mvtp.payload_length", json!(p.payload.len()));
        }
        Body::Faa | Body::Fas | Body::Unknown { .. } => {}
    }
    if matches!(p.body, Body::Unknown { .. }) {
        return m;
    }
    for name in ["mvtp.avp.type", "mvtp.avp.mandatory", "mvtp.avp.vendor_id"] {
        list(&mut m, name);
    }
    let mut offset = PduView::new(bytes).unwrap().avps_offset();
    for a in &p.avps {
        let (vendor, t) = a.value.vendor_type();
        push(&mut m, "mvtp.avp.type", json!(t.0));
        push(&mut m, "mvtp.avp.mandatory", json!(a.mandatory));
        push(&mut m, "mvtp.avp.vendor_id", json!(vendor));
        match &a.value {
            AvpValue::Gid(g) => {
                push(&mut m, "mvtp.gid.class", json!(g.class.0));
                push(
                    &mut m,
                    "mvtp.gid.address",
                    json!(DisplayAddress(g.class, &g.address).to_string()),
                );
            }
            AvpValue::AgentAdv(ad) => {
                push(&mut m, "mvtp.agent.seq", json!(ad.seq));
                push(&mut m, "mvtp.agent.lifetime", json!(ad.lifetime));
                push(&mut m, "mvtp.agent.flags", json!(ad.flags));
                list(&mut m, "mvtp.agent.coa");
                for c in &ad.coas {
                    push(&mut m, "mvtp.agent.coa", json!(c.to_string()));
                }
            }
            AvpValue::PrefixLengths(pl) => {
                list(&mut m, "mvtp.prefix_lengths");
                for l in pl {
                    push(&mut m, "mvtp.prefix_lengths", json!(l));
                }
            }
            AvpValue::Auth(x) => {
                let r = match x.role {
                    AuthRole::MobileHome => "mh",
                    AuthRole::MobileForeign => "mf",
                    AuthRole::ForeignHome => "fh",
                };
                push(&mut m, &format!("mvtp.auth.{r}.spi"), json!(x.spi));
                push(
                    &mut m,
                    &format!("mvtp.auth.{r}.authenticator"),
                    json!(hex::encode(&x.authenticator)),
                );
                if let Some(ok) = report.auth_valid(offset) {
                    push(&mut m, &format!("mvtp.auth.{r}.valid"), json!(ok));
                }
            }
            AvpValue::Message(s) => push(&mut m, "mvtp.msg", json!(String::from_utf8_lossy(s))),
            AvpValue::Other { .. } => {}
        }
        offset += a.buffer_len();
    }
    m
}

/// Where the MVTP PDU starts in a vector's octets: 0 for framing `mvtp`, else the offset
/// whose header matches the listed five header fields.
fn pdu_offset(v: &J, frame: &[u8]) -> Option<usize> {
    if v["framing"] == "mvtp" {
        return Some(0);
    }
    let f = &v["fields"];
    let want = |n: &str| f[n].as_u64();
    let (ver, ty, len, leid, avpl) = (
        want("mvtp.version")?,
        want("mvtp.type")?,
        want("mvtp.length")?,
        want("mvtp.leid")?,
        want("mvtp.avp_length")?,
    );
    (0..frame.len().saturating_sub(8)).find(|&o| {
        let h = header_fields(&frame[o..]);
        h["mvtp.version"][0] == ver
            && h["mvtp.type"][0] == ty
            && h["mvtp.length"][0] == len
            && h["mvtp.leid"][0] == leid
            && h["mvtp.avp_length"][0] == avpl
    })
}

#[test]
fn every_vector_with_an_mvtp_pdu_decodes_reencodes_and_verifies() {
    let mut checked = 0;
    let mut mvtp_framed = 0;
    for (name, v) in vectors() {
        if v["framing"] != "mvtp" && v["fields"].get("mvtp.length").is_none() {
            continue;
        }
        let frame = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        let base = pdu_offset(&v, &frame).unwrap_or_else(|| panic!("{name}: PDU not found"));
        let pdu_frame = &frame[base..];
        let keys = keys_of(&v);
        checked += 1;
        if v["framing"] == "mvtp" {
            mvtp_framed += 1;
        }

        // Errors: the first one in spec §2.1 order, whether structural or beside the PDU.
        let decoded = mvtp::decode(pdu_frame, Some(&keys));
        let error = match &decoded {
            Err(e) => Some(e.clone()),
            Ok((_, r)) => r.error.clone(),
        };
        let have_err = error
            .as_ref()
            .map(|e| (e.kind.as_str().to_string(), e.clause.unwrap().to_string(), e.offset + base));
        let want_err = v.get("expect_error").map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["clause"].as_str().unwrap().to_string(),
                e["offset"].as_u64().unwrap() as usize,
            )
        });
        assert_eq!(have_err, want_err, "{name}: error");

        // Warnings, in offset order.
        let have_w: Vec<(String, usize)> = match &decoded {
            Ok((_, r)) => r
                .warnings
                .iter()
                .map(|w| (w.clause.unwrap().to_string(), w.offset + base))
                .collect(),
            Err(_) => vec![],
        };
        let want_w: Vec<(String, usize)> = v
            .get("expect_warning")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .map(|w| {
                (
                    w["clause"].as_str().unwrap().to_string(),
                    w["offset"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(have_w, want_w, "{name}: warnings");

        // Fields and re-encoding.
        let listed: Vec<(&String, &J)> = v["fields"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with("mvtp.") && k.as_str() != "mvtp.esp.leid")
            .collect();
        let (have, reencoded) = match Pdu::decode(pdu_frame, Some(&keys)) {
            Ok((p, report)) => {
                let n = usize::from(PduView::new(pdu_frame).unwrap().pdu_length());
                let bytes = p.to_bytes().unwrap();
                assert_eq!(hex::encode(&bytes), hex::encode(&pdu_frame[..n]), "{name}: re-encoding");
                // Signing with the listed keys reproduces every keyed authenticator
                // (except where the vector's authenticator is deliberately wrong).
                if !keys.is_empty() && !report.auth.iter().any(|c| !c.valid) {
                    let mut signed = Vec::new();
                    p.emit_signed(&mut signed, &keys).unwrap();
                    assert_eq!(signed, bytes, "{name}: signing");
                }
                (repr_fields(&p, pdu_frame, &report), true)
            }
            Err(_) => (header_fields(pdu_frame), false),
        };
        assert!(reencoded || v.get("expect_error").is_some(), "{name}: no Repr");
        for (k, want) in listed {
            let got = have.get(k.as_str());
            let ok = match (want, got) {
                (J::Array(w), Some(J::Array(h))) => w == h,
                (w, Some(J::Array(h))) => h.len() == 1 && &h[0] == w,
                _ => false,
            };
            assert!(ok, "{name}: field {k}: want {want}, have {got:?}");
        }
    }
    assert!(mvtp_framed >= 11, "only {mvtp_framed} mvtp-framed vectors");
    println!("{checked} vectors with an MVTP PDU checked ({mvtp_framed} framed mvtp)");
}
