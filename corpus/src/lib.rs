//! The corpus generator (see `main.rs`).
#![forbid(unsafe_code)]

pub mod built;
pub mod families;
pub mod malformed;
pub mod scenarios;
pub mod sim;

pub use built::{Built, BuiltFrame, BuiltLink, Expected};

use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the public spec vectors are, relative to this crate.
pub const VECTORS_DIR: &str = "../../shared/spec/vectors/public";

/// First packet's timestamp: 2026-01-01T00:00:00Z; one second between packets.
const EPOCH: u64 = 1_767_225_600;

/// One vector as a packet: link type, frame octets, name.
pub struct VectorPacket {
    /// pcap link type.
    pub linktype: u32,
    /// The frame.
    pub frame: Vec<u8>,
    /// The vector's file name without `.json`.
    pub name: String,
    /// Octets this generator put in front of the vector's `hex` (offsets shift by this).
    pub wrapper_len: usize,
}

/// Reads every vector (sorted by file name).
pub fn read_vectors(dir: &Path) -> Result<Vec<(String, Value)>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Ok((name, v))
        })
        .collect()
}

/// The Internet checksum (RFC 1071) of `parts` concatenated.
fn inet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for p in parts {
        for &b in *p {
            match odd.take() {
                Some(h) => sum += u32::from(u16::from_be_bytes([h, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(h) = odd {
        sum += u32::from(u16::from_be_bytes([h, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// IPv4 header (20 octets, DF clear) + payload, checksums filled.
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0, 0, 0, 0, 1, 0, 0, ttl, proto, 0, 0];
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = inet_checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// UDP datagram with its checksum over the IPv4 pseudo-header.
fn udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    let mut u = Vec::with_capacity(usize::from(len));
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let pseudo = [&src[..], &dst[..], &[0, 17], &len.to_be_bytes()[..]].concat();
    let c = match inet_checksum(&[&pseudo, &u]) {
        0 => 0xFFFF,
        c => c,
    };
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// Wraps one vector's octets as the vectors README says for its framing.
pub fn wrap(framing: &str, octets: &[u8]) -> Result<(u32, Vec<u8>, usize), String> {
    const LAC: [u8; 4] = [192, 0, 2, 10];
    const LNS: [u8; 4] = [203, 0, 113, 5];
    const MN: [u8; 4] = [198, 51, 100, 77];
    const HA: [u8; 4] = [203, 0, 113, 20];
    const AGENT: [u8; 4] = [198, 51, 100, 20];
    Ok(match framing {
        "ethernet" => (1, octets.to_vec(), 0),
        "ieee80211" => (105, octets.to_vec(), 0),
        "radiotap" => (127, octets.to_vec(), 0),
        "ipv4" => (228, octets.to_vec(), 0),
        "mvtp" => {
            // Ethernet II to the MVTP multicast address, EtherType 0x88B5; no padding, so the
            // frame of spec §2.1 is exactly the vector's octets.
            let mut f = vec![0x03, 0x4d, 0x56, 0x54, 0x50, 0x00, 0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d, 0x88, 0xb5];
            f.extend_from_slice(octets);
            (1, f, 14)
        }
        "l2tp" => (228, ipv4(LAC, LNS, 17, 64, &udp(LAC, LNS, 1701, 1701, octets)), 28),
        "mip" => (228, ipv4(MN, HA, 17, 64, &udp(MN, HA, 434, 434, octets)), 28),
        "icmp" => (228, ipv4(AGENT, [224, 0, 0, 1], 1, 1, octets), 20),
        other => return Err(format!("unknown framing {other:?}")),
    })
}

/// Every vector as a packet.
pub fn vector_packets(vectors: &[(String, Value)]) -> Result<Vec<VectorPacket>, String> {
    vectors
        .iter()
        .map(|(name, v)| {
            let framing = v["framing"].as_str().ok_or_else(|| format!("{name}: no framing"))?;
            let octets = hex::decode(v["hex"].as_str().unwrap_or_default()).map_err(|e| format!("{name}: {e}"))?;
            let (linktype, frame, wrapper_len) = wrap(framing, &octets)?;
            Ok(VectorPacket { linktype, frame, name: name.clone(), wrapper_len })
        })
        .collect()
}

/// The union of the vectors' `keys` objects.
pub fn merged_keys(vectors: &[(String, Value)]) -> Value {
    let mut out = Map::new();
    for (_, v) in vectors {
        let Some(keys) = v.get("keys").and_then(Value::as_object) else { continue };
        for (kind, val) in keys {
            match val {
                Value::Array(entries) => {
                    let list = out.entry(kind.clone()).or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(l) = list {
                        for e in entries {
                            if !l.contains(e) {
                                l.push(e.clone());
                            }
                        }
                    }
                }
                other => {
                    out.insert(kind.clone(), other.clone());
                }
            }
        }
    }
    Value::Object(out)
}

/// Writes a pcapng with one interface per link type, in first-use order.
pub fn write_pcapng(packets: &[VectorPacket]) -> Result<Vec<u8>, String> {
    let mut w = PcapNgWriter::new(Vec::new()).map_err(|e| e.to_string())?;
    let mut ifaces: Vec<u32> = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let id = match ifaces.iter().position(|&l| l == p.linktype) {
            Some(id) => id,
            None => {
                ifaces.push(p.linktype);
                let mut idb = InterfaceDescriptionBlock::new(DataLink::from(p.linktype), 0xFFFF);
                idb.options.push(InterfaceDescriptionOption::IfName(Cow::Owned(format!("link{}", p.linktype))));
                // pcap-file writes EPB timestamps in nanoseconds: say so (if_tsresol = 10^-9).
                idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
                w.write_pcapng_block(idb).map_err(|e| e.to_string())?;
                ifaces.len() - 1
            }
        };
        let epb = EnhancedPacketBlock {
            interface_id: id as u32,
            timestamp: Duration::from_secs(EPOCH + i as u64),
            original_len: p.frame.len() as u32,
            data: Cow::Borrowed(&p.frame),
            options: vec![EnhancedPacketOption::Comment(Cow::Owned(p.name.clone()))],
        };
        w.write_pcapng_block(epb).map_err(|e| e.to_string())?;
    }
    Ok(w.into_inner())
}

/// The files of the corpus: (file name, contents).
pub fn build(vectors_dir: &Path) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let vectors = read_vectors(vectors_dir)?;
    let packets = vector_packets(&vectors)?;
    let pcap = write_pcapng(&packets)?;
    let mut keys = serde_json::to_vec_pretty(&merged_keys(&vectors)).map_err(|e| e.to_string())?;
    keys.push(b'\n');
    Ok(vec![("spec-vectors.pcapng", pcap), ("spec-vectors.keys.json", keys)])
}

/// Writes the corpus into `out`.
pub fn generate(vectors_dir: &Path, out: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let files = build(vectors_dir)?.into_iter().map(|(n, b)| (n.to_string(), b)).chain(build_scenarios()?);
    files
        .map(|(name, bytes)| {
            let p = out.join(name);
            std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(p)
        })
        .collect()
}

/// Compares a fresh build with the files in `dir`.
pub fn check(vectors_dir: &Path, dir: &Path) -> Result<(), String> {
    let files = build(vectors_dir)?.into_iter().map(|(n, b)| (n.to_string(), b)).chain(build_scenarios()?);
    for (name, bytes) in files {
        let p = dir.join(name);
        let have = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        if have != bytes {
            return Err(format!("{} differs from a fresh generation: run `cargo run -p corpus -- generate`", p.display()));
        }
    }
    Ok(())
}

/// Every scenario of every family, generated: the MVTP simulator's ([`scenarios`]) and
/// the families registered in [`families`].
pub fn all_built() -> Result<Vec<Built>, String> {
    let mut out = Vec::new();
    for s in scenarios::all() {
        out.push(s.build()?);
    }
    for family in families() {
        out.extend(family()?);
    }
    Ok(out)
}

/// A scenario family: generates its scenarios.
pub type Family = fn() -> Result<Vec<Built>, String>;

/// The scenario families besides the MVTP simulator: each returns its generated scenarios.
/// A family registers here with one line.
pub fn families() -> Vec<Family> {
    vec![malformed::all, families::mip::all, families::l2tp::all]
}

/// The files of every scenario: for scenario NAME, the merged capture `NAME.pcapng` (one
/// interface per link), one `NAME.LINK.pcap` per link, `NAME.keys.json` and
/// `NAME.expect.toml` (the findings its injected faults must produce).
pub fn build_scenarios() -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for b in all_built()? {
        out.extend(b.files()?);
    }
    Ok(out)
}

/// `manifest.toml`: every capture of the corpus, its links, faults and expected findings.
pub fn manifest() -> Result<String, String> {
    let mut t = String::from(
        "# The mvtp corpus (generated by `cargo run -p corpus -- generate`; see docs/corpus.md).\n\
         # Times start at 2026-01-01T00:00:00Z; addresses are from RFC 5737.\n\n\
         [[capture]]\nname = \"spec-vectors\"\nfile = \"captures/spec-vectors.pcapng\"\nkeys = \"captures/spec-vectors.keys.json\"\n\
         description = \"every public spec vector as one packet\"\n",
    );
    for b in all_built()? {
        t.push_str(&b.manifest_entry());
    }
    Ok(t)
}

/// Link type 1 frames for the benchmark capture: every vector that can travel on Ethernet
/// (802.11 ones are left out; IPv4-framed ones get an Ethernet II header), plus plain TCP
/// and UDP traffic, so the mix has "the protocol family and ordinary traffic".
pub fn bench_templates(vectors: &[(String, Value)]) -> Result<Vec<Vec<u8>>, String> {
    const ETH_IPV4: [u8; 14] = [0x00, 0x1e, 0x49, 0x7a, 0x20, 0x01, 0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d, 0x08, 0x00];
    let mut out = Vec::new();
    for p in vector_packets(vectors)? {
        match p.linktype {
            1 => out.push(p.frame),
            228 => out.push([&ETH_IPV4[..], &p.frame].concat()),
            _ => {}
        }
    }
    let (a, b) = ([192, 0, 2, 1], [198, 51, 100, 2]);
    // Plain UDP (a DNS-sized datagram) and TCP (an ACK with 100 octets of data).
    out.push([&ETH_IPV4[..], &ipv4(a, b, 17, 64, &udp(a, b, 53000, 53, &[0x42; 40]))].concat());
    let mut tcp = vec![0xd4, 0x31, 0x01, 0xbb, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0];
    tcp.extend_from_slice(&[0x17; 100]);
    let pseudo = [&a[..], &b[..], &[0, 6], &(tcp.len() as u16).to_be_bytes()[..]].concat();
    let c = inet_checksum(&[&pseudo, &tcp]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    let tcp_frame = [&ETH_IPV4[..], &ipv4(a, b, 6, 64, &tcp)].concat();
    // Ordinary traffic is a third of the mix.
    for _ in 0..6 {
        out.push(tcp_frame.clone());
    }
    Ok(out)
}

/// A pcap (link type 1, µs) of `n` packets cycling through [`bench_templates`], 10 µs apart.
pub fn write_bench_capture(vectors_dir: &Path, n: usize, w: impl std::io::Write) -> Result<usize, String> {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    let templates = bench_templates(&read_vectors(vectors_dir)?)?;
    if templates.is_empty() {
        return Err("no templates".into());
    }
    let header = PcapHeader { datalink: DataLink::ETHERNET, ..Default::default() };
    let mut pw = PcapWriter::with_header(w, header).map_err(|e| e.to_string())?;
    for i in 0..n {
        let t = &templates[i % templates.len()];
        let ts = Duration::from_micros(EPOCH * 1_000_000 + i as u64 * 10);
        pw.write_packet(&PcapPacket::new(ts, t.len() as u32, t)).map_err(|e| e.to_string())?;
    }
    Ok(templates.len())
}
