//! The RFC 5265 captures against spec MIP-7: on the mobile node's link, every user
//! datagram of a `c`, `cvc` or `fvc` scenario is dissected (ESP decrypted with the
//! capture's keys) as that access mode, with an encapsulation overhead within the
//! spec's maximum for the mode (with and without NAT traversal); in `f` the mobile node's
//! link carries the plain packet (no mode, no overhead).

use codec::numbers::LinkType;
use dissector::capture::CaptureReader;
use dissector::{Config, Dissection, Dissector, Keys};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (mode, overhead) of every frame that carries a user datagram to or from port 7.
fn user_frames(name: &str, link: &str) -> Vec<(Option<String>, Option<String>)> {
    let dir = root().join("captures");
    let keys = Keys::from_json(&std::fs::read_to_string(dir.join(format!("{name}.keys.json"))).expect("keys")).expect("keys parse");
    let file = std::fs::File::open(dir.join(format!("{name}.{link}.pcap"))).expect("link capture");
    let mut reader = CaptureReader::new(file).expect("capture header");
    let mut dissector = Dissector::new(Config::default(), keys);
    let mut d = Dissection::default();
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet().expect("reads") {
        assert_eq!(p.linktype, LinkType::ETHERNET.0.into());
        dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
        let user = d
            .find("udp.dstport")
            .chain(d.find("udp.srcport"))
            .any(|f| d.value_string(p.data, f) == "7");
        if user {
            let get = |n: &str| d.find(n).next().map(|f| d.value_string(p.data, f));
            out.push((get("overhead.mode"), get("overhead.bytes")));
        }
    }
    out
}

#[test]
fn mip_7_access_mode_and_overhead_of_every_user_datagram() {
    // (capture, link, mode, maximum overhead of spec MIP-7)
    let cases = [
        ("mip5265-c", "lan", "c", 20),
        ("mip5265-c-natt", "lan", "c", 32),
        ("mip5265-cvc", "visited", "cvc", 97),
        ("mip5265-cvc-natt", "visited-nat", "cvc", 129),
        ("mip5265-fvc", "visited-fa", "fvc", 77),
        ("mip5265-fvc-natt", "visited-fa", "fvc", 85),
        ("mip5265-dual-mobility", "visited2", "cvc", 97),
        ("mip5265-proxy", "proxy-b", "fvc", 77),
    ];
    for (name, link, mode, max) in cases {
        let frames = user_frames(name, link);
        assert!(frames.len() >= 2, "{name}: user data both ways");
        for (m, bytes) in frames {
            assert_eq!(m.as_deref(), Some(mode), "{name}");
            let n: usize = bytes.as_deref().and_then(|b| b.parse().ok()).unwrap_or(usize::MAX);
            assert!(n <= max, "{name}: overhead {n} > {max}");
        }
    }
    // Mode f: the FA does the tunnelling; the mobile node's link carries plain packets.
    for (m, _) in user_frames("mip5265-f", "lan-fa") {
        assert_eq!(m, None, "mode f adds nothing on the mobile node's link");
    }
}
