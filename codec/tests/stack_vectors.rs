//! Whole-frame re-encoding of the spec vectors (`shared/spec/vectors/public`, README
//! "Re-encode"): every vector whose framing is a link or network layer (ethernet,
//! ieee80211, radiotap, ipv4) parses into nested owned headers, re-encodes octet for
//! octet, and re-encodes identically with every length and checksum recomputed.

use codec::numbers::LinkType;
use codec::stack::{self, Node};
mod support;

use serde_json::Value as J;
use support::vectors;

fn link_of(framing: &str) -> Option<LinkType> {
    Some(match framing {
        "ethernet" => LinkType::ETHERNET,
        "ieee80211" => LinkType::IEEE802_11,
        "radiotap" => LinkType::IEEE802_11_RADIOTAP,
        "ipv4" => LinkType::IPV4,
        _ => return None,
    })
}

/// Number of IPv4 headers the parse modelled.
fn ipv4_count(n: &Node) -> usize {
    match n {
        Node::Ipv4 { inner, .. } => 1 + ipv4_count(inner),
        Node::Raw(_) => 0,
        Node::Ethernet { inner, .. }
        | Node::Vlan { inner, .. }
        | Node::Llc { inner, .. }
        | Node::Radiotap { inner, .. }
        | Node::Ieee80211 { inner, .. }
        | Node::Sll { inner, .. }
        | Node::Ipv6 { inner, .. }
        | Node::Udp { inner, .. }
        | Node::Tcp { inner, .. }
        | Node::Gre { inner, .. }
        | Node::Esp { inner, .. }
        | Node::Opaque { inner, .. } => ipv4_count(inner),
    }
}

#[test]
fn frame_level_vectors_re_encode_octet_for_octet() {
    let mut done = 0;
    for (name, v) in vectors() {
        let Some(link) = link_of(v["framing"].as_str().unwrap()) else { continue };
        let hex = v["hex"].as_str().unwrap();
        let bytes = hex::decode(hex).unwrap();
        let f = stack::parse(link, &bytes);
        // The link (or outer IPv4) header was modelled, not kept raw.
        // 802.3 and 802.11 framings have LLC under the link header.
        let llc = v["fields"].get("llc.dsap").is_some();
        assert!(f.root.depth() > usize::from(llc), "{name}: parsed only {} levels", f.root.depth());
        assert!(!matches!(f.root, Node::Raw(_)), "{name}: nothing parsed");
        // As many outer IPv4 headers were modelled as the fields list before any ESP.
        let listed = match &v["fields"]["ip.src"] {
            J::Array(a) => a.len(),
            J::String(_) => 1,
            _ => 0,
        };
        let esp = v["fields"].get("esp.spi").is_some();
        let outer_ips = ipv4_count(&f.root);
        if !esp
            && !v["fields"]
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.starts_with("l2tp.") || k.starts_with("mvtp.") || k.starts_with("mip."))
        {
            assert_eq!(outer_ips, listed, "{name}: IPv4 headers modelled");
        } else {
            assert!(outer_ips >= 1.min(listed), "{name}: IPv4 headers modelled");
        }
        assert_eq!(hex::encode(f.emit().unwrap()), hex, "{name}: re-encoded as stored");
        assert_eq!(
            hex::encode(f.root.emit_fixed().unwrap()),
            hex,
            "{name}: re-encoded with lengths and checksums recomputed"
        );
        done += 1;
    }
    println!("{done} frame-level vectors re-encoded");
    assert!(done >= 10 || vectors().is_empty(), "only {done} frame-level vectors found");
}
