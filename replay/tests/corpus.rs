//! Rewriting every corpus capture: addresses change at every depth, checksums verify,
//! an identity rewrite reproduces every packet, bad checksums stay bad unless asked.

use codec::numbers::{IpProto, LinkType};
use codec::stack::Node;
use dissector::capture::{CaptureReader, CaptureWriter, Packet};
use replay::{checksum_counts, ipv4_addresses, rewrite_frame, Outcome, Rules, Stats};
use std::path::{Path, PathBuf};

fn captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/captures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no captures in {}", dir.display());
    v
}

fn packets(p: &Path) -> Vec<(LinkType, Vec<u8>)> {
    let mut r = CaptureReader::new(std::fs::File::open(p).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(pk) = r.next_packet().unwrap() {
        v.push((pk.linktype, pk.data.to_vec()));
    }
    v
}

/// Flips the top bit of every IPv4 address: every address changes, at every depth.
fn flip_rules() -> Rules {
    let mut r = Rules::default();
    r.add_map("0.0.0.0/1=128.0.0.0/1").unwrap();
    r.add_map("128.0.0.0/1=0.0.0.0/1").unwrap();
    r
}

#[test]
fn address_map_changes_every_depth_and_checksums_verify() {
    let rules = flip_rules();
    let (mut inner_seen, mut checked) = (0usize, 0usize);
    for cap in captures() {
        let mut stats = Stats::default();
        for (i, (link, data)) in packets(&cap).into_iter().enumerate() {
            let before = ipv4_addresses(link, &data);
            let (_, bad_before) = checksum_counts(link, &data);
            let (out, o) = rewrite_frame(link, &data, &rules, false);
            stats.add(&o);
            let after = ipv4_addresses(link, &out);
            assert_eq!(
                before.len(),
                after.len(),
                "{} #{i}: stack shape changed",
                cap.display()
            );
            for (b, a) in before.iter().zip(&after) {
                assert_eq!(a[0], b[0] ^ 0x80, "{} #{i}: {b:?} -> {a:?}", cap.display());
                assert_eq!(a[1..], b[1..]);
            }
            if before.len() > 2 {
                inner_seen += 1;
            }
            let (valid, bad) = checksum_counts(link, &out);
            assert_eq!(
                bad,
                bad_before,
                "{} #{i}: a valid checksum went bad",
                cap.display()
            );
            if !before.is_empty() {
                assert_ne!(o, Outcome::Unchanged, "{} #{i}", cap.display());
                checked += valid;
            }
        }
        eprintln!("{}: {stats}", cap.display());
    }
    assert!(inner_seen > 0, "no tunnelled IPv4 in the corpus");
    assert!(checked > 0);
}

#[test]
fn identity_rewrite_reproduces_every_packet() {
    let rules = Rules::default();
    for cap in captures() {
        for (i, (link, data)) in packets(&cap).into_iter().enumerate() {
            let (out, o) = rewrite_frame(link, &data, &rules, false);
            assert_eq!(out, data, "{} #{i}", cap.display());
            assert_eq!(o, Outcome::Unchanged);
        }
    }
}

fn datagram() -> Vec<u8> {
    let n = Node::ipv4(
        [198, 51, 100, 7],
        [192, 0, 2, 1],
        IpProto::GRE,
        Node::gre(
            codec::numbers::EtherType::IPV4,
            Node::ipv4(
                [10, 0, 0, 1],
                [198, 51, 100, 9],
                IpProto::UDP,
                Node::udp(1701, 1701, Node::raw(&b"payload"[..])),
            ),
        ),
    );
    n.emit_fixed().unwrap()
}

/// RFC 768 checksum: a wrong inner UDP checksum stays wrong unless --fix-checksums.
#[test]
fn rfc768_bad_checksum_kept_unless_fix_checksums() {
    let mut b = datagram();
    assert_eq!(checksum_counts(LinkType::IPV4, &b), (3, 0));
    let last = b.len() - 7 - 2; // inner UDP checksum is the 2 octets before the payload
    b[last] ^= 0xff;
    assert_eq!(checksum_counts(LinkType::IPV4, &b), (2, 1));
    let mut r = Rules::default();
    r.add_map("198.51.100.0/24=10.9.0.0/24").unwrap();
    r.add_port("1701=1702").unwrap();
    let (out, o) = rewrite_frame(LinkType::IPV4, &b, &r, false);
    assert_eq!(o, Outcome::Rewritten);
    assert_eq!(
        ipv4_addresses(LinkType::IPV4, &out),
        vec![[10, 9, 0, 7], [192, 0, 2, 1], [10, 0, 0, 1], [10, 9, 0, 9]]
    );
    assert_eq!(checksum_counts(LinkType::IPV4, &out), (2, 1));
    assert_eq!(
        out[last..last + 2],
        b[last..last + 2],
        "bad checksum kept as it was"
    );
    let (fixed, _) = rewrite_frame(LinkType::IPV4, &b, &r, true);
    assert_eq!(checksum_counts(LinkType::IPV4, &fixed), (3, 0));
}

/// RFC 4303: an SPI rule on an ESP packet cannot be applied without the SA.
#[test]
fn esp_spi_rule_is_reported_not_applied() {
    let n = Node::ipv4(
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        IpProto::ESP,
        Node::raw(vec![0, 0, 0x10, 0, 0, 0, 0, 1, 9, 9, 9, 9]),
    );
    let b = n.emit_fixed().unwrap();
    let mut r = Rules::default();
    r.add_spi("0x1000=0x2000").unwrap();
    let (out, o) = rewrite_frame(LinkType::IPV4, &b, &r, false);
    assert!(matches!(o, Outcome::NotRewritten(_)), "{o:?}");
    assert_eq!(out, b);
}

#[test]
fn tshark_finds_no_bad_checksum_in_rewritten_corpus() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("SKIP: tshark not installed");
        return;
    }
    let rules = flip_rules();
    let dir = std::env::temp_dir().join(format!("mvtp-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for cap in captures() {
        let out_path = dir.join("out.pcapng");
        let mut w = CaptureWriter::pcapng(std::fs::File::create(&out_path).unwrap()).unwrap();
        let mut r = CaptureReader::new(std::fs::File::open(&cap).unwrap()).unwrap();
        while let Some(p) = r.next_packet().unwrap() {
            let (out, _) = rewrite_frame(p.linktype, p.data, &rules, false);
            let q = Packet {
                data: &out,
                orig_len: u32::try_from(out.len()).unwrap(),
                ..p
            };
            w.write(&q).unwrap();
        }
        w.finish().unwrap();
        let o = std::process::Command::new("tshark")
            .args(["-r"])
            .arg(&out_path)
            .args([
                "-V",
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "udp.check_checksum:TRUE",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        let bad: Vec<&str> = text
            .lines()
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("checksum")
                    && (l.contains("bad checksum")
                        || l.contains("status: bad")
                        || l.contains("[expert info (error")
                        || l.contains("[expert info (warning")
                        || l.contains("incorrect"))
            })
            .collect();
        assert!(
            bad.is_empty(),
            "{}: {:?}",
            cap.display(),
            &bad[..bad.len().min(5)]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
