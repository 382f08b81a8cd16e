//! Spec vectors (`shared/spec/vectors/public/*.json`) through the Mobile IPv4 and ICMP codecs:
//! every vector with `mip` or `icmp` framing — and the MIP message inside an `ipv4` vector
//! that lists `mip.type` — decodes, gives the listed `mip.*`/`icmp.*`/`mvtp.agent.*` values,
//! re-encodes octet for octet, and its authenticators verify with the listed keys
//! (RFC 5944 §3.5.1) exactly as `mip.auth.valid` says.

use codec::agent_adv::AgentAdv;
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::icmp::{self, Icmp, IcmpBody, RaExt};
use codec::mip::ext::ExtBody;
use codec::mip::{self, Body, Message};
mod support;

use serde_json::{json, Map, Value as J};
use support::vectors;

fn keys_of(v: &J) -> KeyStore {
    support::keystore(v, "mip_auth")
}

fn push(m: &mut Map<String, J>, name: &str, v: J) {
    if let J::Array(a) = m.entry(name).or_insert_with(|| J::Array(vec![])) {
        a.push(v);
    }
}

/// The fields a Mobile IPv4 Repr gives, by display-filter name.
fn mip_fields(msg: &Message, bytes: &[u8], keys: &KeyStore) -> Map<String, J> {
    let mut m = Map::new();
    push(&mut m, "mip.type", json!(msg.msg_type.0));
    match &msg.body {
        Body::Request { flags, lifetime, home_addr, home_agent, coa, ident } => {
            push(&mut m, "mip.flags", json!(flags));
            push(&mut m, "mip.life", json!(lifetime));
            push(&mut m, "mip.homeaddr", json!(home_addr.to_string()));
            push(&mut m, "mip.haaddr", json!(home_agent.to_string()));
            push(&mut m, "mip.coa", json!(coa.to_string()));
            push(&mut m, "mip.ident", json!(format!("{ident:016x}")));
        }
        Body::Reply { code, lifetime, home_addr, home_agent, ident } => {
            push(&mut m, "mip.code", json!(code));
            push(&mut m, "mip.life", json!(lifetime));
            push(&mut m, "mip.homeaddr", json!(home_addr.to_string()));
            push(&mut m, "mip.haaddr", json!(home_agent.to_string()));
            push(&mut m, "mip.ident", json!(format!("{ident:016x}")));
        }
        Body::TunnelData { next_header, .. } => push(&mut m, "mip.nattt.nexthdr", json!(next_header)),
        _ => {}
    }
    for e in &msg.extensions {
        push(&mut m, "mip.ext.type", json!(e.ext_type.0));
        if let ExtBody::Auth { spi, authenticator } = &e.body {
            push(&mut m, "mip.auth.spi", json!(spi));
            push(&mut m, "mip.auth.auth", json!(hex::encode(authenticator)));
        }
    }
    for c in mip::verify(bytes, keys).unwrap() {
        push(&mut m, "mip.auth.valid", json!(c.valid));
    }
    m
}

fn agent(m: &mut Map<String, J>, a: &AgentAdv, mvtp: bool) {
    let (seq, life, flags, coa) = if mvtp {
        ("mvtp.agent.seq", "mvtp.agent.lifetime", "mvtp.agent.flags", "mvtp.agent.coa")
    } else {
        ("icmp.mip.seq", "icmp.mip.life", "icmp.mip.flags", "icmp.mip.coa")
    };
    push(m, seq, json!(a.seq));
    push(m, life, json!(a.lifetime));
    push(m, flags, json!(a.flags));
    m.entry(coa).or_insert_with(|| J::Array(vec![]));
    for c in &a.coas {
        push(m, coa, json!(c.to_string()));
    }
}

/// The fields an ICMP Repr gives.
fn icmp_fields(msg: &Icmp) -> Map<String, J> {
    let mut m = Map::new();
    push(&mut m, "icmp.type", json!(msg.icmp_type.0));
    push(&mut m, "icmp.code", json!(msg.code));
    if let IcmpBody::RouterAdvertisement { lifetime, routers, extensions, .. } = &msg.body {
        push(&mut m, "icmp.num_addrs", json!(routers.len()));
        push(&mut m, "icmp.lifetime", json!(lifetime));
        for r in routers {
            push(&mut m, "icmp.router_address", json!(r.addr.to_string()));
        }
        for e in extensions {
            push(&mut m, "icmp.mip.type", json!(e.ext_type().0));
            match e {
                RaExt::MobilityAgent(a) => agent(&mut m, a, false),
                RaExt::VpnAgent(a) => agent(&mut m, a, true),
                RaExt::PrefixLengths(p) => p.iter().for_each(|p| push(&mut m, "icmp.mip.prefixlength", json!(p))),
                _ => {}
            }
        }
    }
    m
}

fn compare(name: &str, want: &Map<String, J>, have: &Map<String, J>, prefixes: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for (k, w) in want {
        if !prefixes.iter().any(|p| k.starts_with(p)) {
            continue;
        }
        let ok = match (w, have.get(k)) {
            (J::Array(w), Some(J::Array(h))) => w == h,
            (w, Some(J::Array(h))) => h.len() == 1 && &h[0] == w,
            _ => false,
        };
        if !ok {
            problems.push(format!("{name}: {k}: want {w}, have {:?}", have.get(k)));
        }
    }
    problems
}

#[test]
fn spec_vectors_decode_reencode_and_authenticate() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, v) in vectors() {
        let bytes = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        let want = v["fields"].as_object().unwrap();
        match v["framing"].as_str().unwrap() {
            "mip" => {}
            "icmp" => {
                let m = Icmp::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                let mut out = Vec::new();
                m.emit(&mut out).unwrap();
                assert_eq!(out, bytes, "{name}: re-encoding differs");
                assert!(icmp::IcmpView::new(&bytes).unwrap().checksum_ok(), "{name}: checksum");
                problems.extend(compare(&name, want, &icmp_fields(&m), &["icmp.", "mvtp.agent."]));
                checked += 1;
                continue;
            }
            // Mobile IPv4 inside IPv4/UDP (vector 28): the message after the UDP header.
            "ipv4" if want.contains_key("mip.type") => {}
            _ => continue,
        }
        let start = if v["framing"] == "ipv4" { usize::from(bytes[0] & 0x0f) * 4 + 8 } else { 0 };
        let msg_bytes = &bytes[start..];
        let m = Message::parse(msg_bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.to_bytes().unwrap(), msg_bytes, "{name}: re-encoding differs");
        problems.extend(compare(&name, want, &mip_fields(&m, msg_bytes, &keys_of(&v)), &["mip."]));
        checked += 1;
    }
    assert!(checked >= 3, "expected vectors 12, 14 and 28; checked {checked}");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn rfc5944_3_5_1_vector_14_wrong_key_does_not_verify() {
    let v = vectors().into_iter().find(|(n, _)| n.starts_with("14-")).expect("vector 14").1;
    let bytes = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let mut k = keys_of(&v);
    assert!(mip::verify(&bytes, &k).unwrap()[0].valid);
    k.insert(4097, AuthKey { algorithm: Algorithm::HmacMd5, secret: b"wrong".to_vec() });
    assert!(!mip::verify(&bytes, &k).unwrap()[0].valid);
    // HMAC-SHA-256 under the same SPI: a 16-octet authenticator cannot verify [AVP-10].
    k.insert(4097, AuthKey { algorithm: Algorithm::HmacSha256, secret: b"pub-mnha-secret!".to_vec() });
    assert!(!mip::verify(&bytes, &k).unwrap()[0].valid);
}
