//! tcpdump's GRE captures (shared/testdata/tcpdump, README there) as oracles: every GRE
//! header decodes as tcpdump printed it in the `.out` files (version, key or PPTP call ID,
//! sequence number), the malformed ones give typed errors without panicking, and every
//! frame re-encodes octet for octet through the whole-frame parse.

use codec::gre::{Gre, GreView};
use codec::numbers::{IpProto, LinkType};
use codec::stack;
use codec::Kind;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/tcpdump")
}

/// (link type, packets) of a capture, or None (with a SKIP line) when absent.
fn read(name: &str) -> Option<(u32, Vec<Vec<u8>>)> {
    let Ok(f) = std::fs::File::open(dir().join(name)) else {
        println!("SKIP: {name} not found");
        return None;
    };
    let mut r = pcap_file::pcap::PcapReader::new(f).ok()?;
    let link = u32::from(r.header().datalink);
    let mut out = vec![];
    // Raw records: the malformed captures have orig_len > snaplen, which the checked reader
    // refuses.
    while let Some(p) = r.next_raw_packet() {
        match p {
            Ok(p) => out.push(p.data.into_owned()),
            Err(_) => break,
        }
    }
    assert!(!out.is_empty(), "{name}: no packets read");
    Some((link, out))
}

/// The IPv4 payload of an Ethernet frame carrying protocol 47, if any.
fn gre_payload(frame: &[u8]) -> Option<&[u8]> {
    let (eth, mut n) = codec::ethernet::Ethernet::parse(frame).ok()?;
    let mut ty = eth.type_len;
    // 802.1Q tags (various_gre.pcap is tagged).
    while ty == 0x8100 {
        let (tag, k) = codec::vlan::Vlan::parse(frame.get(n..)?).ok()?;
        ty = tag.type_len;
        n += k;
    }
    if ty != 0x0800 {
        return None;
    }
    let ip = frame.get(n..)?;
    // Take the header by hand so a lying Total Length still reaches the GRE decoder.
    if ip.first()? >> 4 != 4 {
        return None; // tcpdump: "IP [version 0 != 4] (invalid)"
    }
    let hlen = usize::from(ip.first()? & 0x0F) * 4;
    if ip.get(9) != Some(&IpProto::GRE.0) {
        return None;
    }
    ip.get(hlen..)
}

/// tcpdump's summary: (frame number, "GREv0, key=0x28" style text).
fn expected(out: &str) -> Vec<(usize, String)> {
    let mut v = vec![];
    let mut frame = 0usize;
    for line in out.lines() {
        let t = line.trim_start();
        if let Some(num) = t.split_whitespace().next().and_then(|n| n.parse::<usize>().ok()) {
            if line.starts_with(' ') && line.len() > 6 && line.as_bytes().get(5).is_some_and(|b| *b == b' ') {
                frame = num;
            }
        }
        if let Some(at) = line.find("GREv") {
            let rest = &line[at..];
            let mut s = rest
                .split(", ")
                .take_while(|p| !p.starts_with("length"))
                .filter(|p| !p.starts_with("Flags"))
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(i) = s.find(':') {
                s.truncate(i);
            }
            v.push((frame, s.trim_end_matches(", ").to_owned()));
        }
    }
    v
}

fn summary(g: &Gre) -> String {
    let mut s = format!("GREv{}", g.version());
    if let Some((_, call)) = g.pptp_key() {
        s += &format!(", call {call}");
    } else if let Some(k) = g.key {
        s += &format!(", key={k:#x}");
    }
    if let Some(q) = g.seq {
        s += &format!(", seq {q}");
    }
    if let Some(a) = g.ack {
        s += &format!(", ack {a}");
    }
    s
}

fn check(capture: &str, out: &str) -> usize {
    let Some((link, pkts)) = read(capture) else { return 0 };
    let want = expected(&std::fs::read_to_string(dir().join(out)).unwrap_or_default());
    let mut n = 0;
    for (frame, text) in want {
        let Some(p) = pkts.get(frame - 1) else {
            panic!("{capture}: no frame {frame}")
        };
        let b = gre_payload(p).unwrap_or_else(|| panic!("{capture} #{frame}: no GRE"));
        let (g, _) = Gre::parse(b).unwrap_or_else(|e| panic!("{capture} #{frame}: {e}"));
        assert_eq!(summary(&g), text, "{capture} #{frame}");
        n += 1;
    }
    for (i, p) in pkts.iter().enumerate() {
        let f = stack::parse(LinkType(link as u16), p);
        assert_eq!(&f.emit().unwrap(), p, "{capture} #{} re-encodes", i + 1);
    }
    n
}

#[test]
fn rfc2890_various_gre_keys_decode_as_tcpdump() {
    let n = check("various_gre.pcap", "various_gre.out");
    println!("various_gre: {n} GRE headers match tcpdump");
}

#[test]
fn rfc2637_pptp_enhanced_gre_decodes_as_tcpdump() {
    let n = check("pptp.pcap", "pptp.out");
    println!("pptp: {n} GRE headers match tcpdump");
}

#[test]
fn gre_heapoverflow_captures_are_typed_errors() {
    let mut typed = 0;
    for name in ["gre-heapoverflow-1.pcap", "gre-heapoverflow-2.pcap"] {
        let Some((link, pkts)) = read(name) else { continue };
        for p in &pkts {
            // Every prefix of every frame: no panic, and the whole-frame parse is lossless.
            for k in 0..=p.len() {
                let f = stack::parse(LinkType(link as u16), &p[..k]);
                assert_eq!(f.emit().unwrap(), p[..k]);
            }
            if let Some(b) = gre_payload(p) {
                // tcpdump: "Flags [checksum present, routing present] ... [|gre]".
                let e = GreView::new(b).unwrap_err();
                assert_eq!(e.kind, Kind::Truncated, "{name}: {e}");
                assert_eq!(e.field, "gre.routing", "{name}: {e}");
                typed += 1;
            }
        }
    }
    // gre-heapoverflow-2 frame 2 is the one tcpdump shows as GRE ("[|gre]").
    assert!(typed >= 1 || !dir().exists());
}
