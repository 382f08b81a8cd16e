//! ESP decryption against tcpdump's regression captures (`../shared/testdata/tcpdump/`):
//! with the secrets of `../shared/testdata/README.md`, every packet decrypts to the inner
//! packet tcpdump printed (`esp1.out`: one ESP layer; `esp2.out`: ESP in ESP), with the keys
//! given inline (`-E "SPI@DST ALGO:KEY,…"`), as a wildcard (no `SPI@DST`) and as
//! `file esp-secrets.txt`; the truncated capture gives errors, never a panic.

use codec::numbers::LinkType;
use dissector::{BufferId, Dissection, Dissector, Keys, Value};
use pcap_file::pcap::PcapReader;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/tcpdump")
}

/// (link type, frame, original length) of every packet.
fn packets(name: &str) -> Vec<(LinkType, Vec<u8>, usize)> {
    let f = std::fs::File::open(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut r = PcapReader::new(f).unwrap();
    // The upper bits of the link-type word carry FCS information (pcap format, §LinkType).
    let link = LinkType((u32::from(r.header().datalink) & 0xFFFF) as u16);
    let mut out = vec![];
    while let Some(p) = r.next_packet() {
        match p {
            Ok(p) => out.push((link, p.data.to_vec(), p.orig_len as usize)),
            // pcap-file refuses a record whose original length exceeds the file's snaplen
            // (esp_truncated.pcap: snaplen 46, packet 84); read such files by hand.
            Err(pcap_file::PcapError::InvalidField(_)) => return raw_records(name, link),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    out
}

/// Little-endian microsecond pcap records, read without pcap-file's snaplen check.
fn raw_records(name: &str, link: LinkType) -> Vec<(LinkType, Vec<u8>, usize)> {
    let b = std::fs::read(dir().join(name)).unwrap();
    assert_eq!(b[..4], [0xd4, 0xc3, 0xb2, 0xa1], "{name}: little-endian pcap");
    let u32le = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let (mut at, mut out) = (24, vec![]);
    while at + 16 <= b.len() {
        let (incl, orig) = (u32le(at + 8), u32le(at + 12));
        let data = b[at + 16..(at + 16 + incl).min(b.len())].to_vec();
        out.push((link, data, orig));
        at += 16 + incl;
    }
    out
}

/// What tcpdump printed for one packet: the SPI/sequence of every ESP layer, outer first,
/// and the innermost IPv4 ICMP echo request.
#[derive(Debug, PartialEq)]
struct Expect {
    esp: Vec<(u64, u64)>,
    ip: Vec<(String, String)>,
    icmp_id: u64,
    icmp_seq: u64,
}

fn expectations(out: &str) -> Vec<Expect> {
    out.lines()
        .map(|l| {
            let mut esp = vec![];
            for part in l.split("ESP(spi=").skip(1) {
                let (spi, rest) = part.split_once(",seq=").unwrap();
                let seq = rest.split(')').next().unwrap();
                esp.push((u64::from_str_radix(&spi[2..], 16).unwrap(), u64::from_str_radix(&seq[2..], 16).unwrap()));
            }
            let ip = l
                .split("IP ")
                .skip(1)
                .map(|p| {
                    let (a, rest) = p.split_once(" > ").unwrap();
                    (a.to_owned(), rest.split(':').next().unwrap().to_owned())
                })
                .collect();
            let id = l.split("id ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
            let seq = l.split(", seq ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
            Expect { esp, ip, icmp_id: id, icmp_seq: seq }
        })
        .collect()
}

fn uints(d: &Dissection, name: &str) -> Vec<u64> {
    d.find(name).filter_map(|f| if let Value::U64(v) = f.value { Some(v) } else { None }).collect()
}

fn addrs(d: &Dissection, frame: &[u8], name: &str) -> Vec<String> {
    d.find(name).map(|f| d.value_string(frame, f)).collect()
}

fn check(capture: &str, expected: &str, keys: Keys) {
    let want = expectations(&std::fs::read_to_string(dir().join(expected)).unwrap());
    let pk = packets(capture);
    assert_eq!(pk.len(), want.len(), "{capture}: packet count");
    let mut dis = Dissector::new(Default::default(), keys);
    let mut d = Dissection::default();
    for (n, ((link, frame, orig), w)) in pk.iter().zip(&want).enumerate() {
        dis.dissect(*link, frame, *orig, &mut d);
        let errs: Vec<String> = d.diagnostics.iter().map(|x| x.diag.to_string()).collect();
        assert!(errs.is_empty(), "{capture} #{}: {errs:?}", n + 1);
        let spis = uints(&d, "esp.spi");
        let seqs = uints(&d, "esp.sequence");
        let got: Vec<(u64, u64)> = spis.into_iter().zip(seqs).collect();
        assert_eq!(got, w.esp, "{capture} #{}: ESP layers", n + 1);
        let ip: Vec<(String, String)> = addrs(&d, frame, "ip.src").into_iter().zip(addrs(&d, frame, "ip.dst")).collect();
        assert_eq!(ip, w.ip, "{capture} #{}: IP layers", n + 1);
        // Each ESP layer has a good trailer: RFC 4303 §2.4 padding checked, next header IPv4.
        assert_eq!(uints(&d, "esp.protocol"), vec![4; w.esp.len()], "{capture} #{}", n + 1);
        assert_eq!(uints(&d, "icmp.type"), vec![8], "{capture} #{}: echo request", n + 1);
        assert_eq!(uints(&d, "icmp.ident"), vec![w.icmp_id], "{capture} #{}", n + 1);
        assert_eq!(uints(&d, "icmp.seq"), vec![w.icmp_seq], "{capture} #{}", n + 1);
        // The inner packets live in derived buffers (decrypted octets), one per ESP layer.
        let icmp = d.layers.iter().find(|l| l.proto == "icmp").unwrap();
        assert_eq!(icmp.buffer, BufferId::Derived(w.esp.len() as u16 - 1));
        // tcpdump's "-hmac96" carries no key: the ICV is located but not judged.
        assert_eq!(d.find("esp.icv").count(), w.esp.len());
        assert_eq!(d.find("esp.icv_good").count(), 0);
    }
}

fn keys(spec: &str) -> Keys {
    let mut k = Keys::default();
    k.add_tcpdump_secrets(spec).unwrap();
    k
}

#[test]
fn esp1_3des_hmac96_spi_at_dst() {
    check(
        "02-sunrise-sunset-esp.pcap",
        "esp1.out",
        keys("0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758"),
    );
}

#[test]
fn esp1_wildcard_sa_applies_to_any_spi() {
    check("02-sunrise-sunset-esp.pcap", "esp1.out", keys("3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758"));
}

#[test]
fn esp1_wildcard_picks_the_sa_whose_padding_checks_out() {
    // A wrong wildcard key first: its padding/next header fail, the right one is chosen.
    check(
        "02-sunrise-sunset-esp.pcap",
        "esp1.out",
        keys("3des-cbc-hmac96:0x434545464649494a4a4c4c4f4f5151525254545757584043\n3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758"),
    );
}

#[test]
fn esp2_nested_inline() {
    check(
        "08-sunrise-sunset-esp2.pcap",
        "esp2.out",
        keys("0x12345678@192.1.2.45 3des-cbc-hmac96:0x43434545464649494a4a4c4c4f4f51515252545457575840,0xabcdabcd@192.0.1.1 3des-cbc-hmac96:0x434545464649494a4a4c4c4f4f5151525254545757584043"),
    );
}

#[test]
fn esp2_nested_secrets_file() {
    let path = dir().join("esp-secrets.txt");
    check("08-sunrise-sunset-esp2.pcap", "esp2.out", keys(&format!("file {}", path.display())));
}

#[test]
fn esp_without_the_right_key_says_why_and_shows_no_inner_packet() {
    // Keys for another SPI: "no SA"; a wrong key for the right SPI: bad padding.
    for (spec, want) in [
        ("0x1@192.1.2.45 3des-cbc:0x4043434545464649494a4a4c4c4f4f515152525454575758", "no SA"),
        ("0x12345678@192.1.2.45 3des-cbc-hmac96:0x434545464649494a4a4c4c4f4f5151525254545757584043", "padding"),
        ("0x12345678@192.1.2.45 blowfish-cbc-hmac96:0x00112233", "unknown"),
    ] {
        let mut dis = Dissector::new(Default::default(), keys(spec));
        let mut d = Dissection::default();
        for (link, frame, orig) in packets("02-sunrise-sunset-esp.pcap") {
            dis.dissect(link, &frame, orig, &mut d);
            let msgs: Vec<String> = d.diagnostics.iter().map(|x| x.diag.to_string()).collect();
            assert!(msgs.iter().any(|m| m.contains(want)), "{spec}: {msgs:?}");
            assert!(!d.has_proto("icmp"), "{spec}: garbage dissected as an inner packet");
            assert_eq!(d.find("esp.encrypted_data").count(), 1);
        }
    }
}

#[test]
fn esp_truncated_gives_errors_not_panics() {
    let pk = packets("esp_truncated.pcap");
    assert_eq!(pk.len(), 1);
    for k in [Keys::default(), keys("3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758")] {
        let mut dis = Dissector::new(Default::default(), k);
        let mut d = Dissection::default();
        let (link, frame, orig) = &pk[0];
        dis.dissect(*link, frame, *orig, &mut d);
        // The IPv4 header has MF set (a first fragment), so the chain may wait for
        // reassembly; whatever it reaches, a cut ESP header is a truncation error.
        if d.has_proto("esp") {
            assert_eq!(d.stopped.as_ref().map(|e| e.kind), Some(codec::Kind::Truncated));
        }
        // tcpdump: "UDP-encap: ESP(spi=0xc0f7d4c3 [|esp]": the SPI is there, the rest is cut.
        // The UDP payload (after 14 + 20 + 8 octets) as the port-4500 decoder sees it:
        let udp_payload = &frame[42..];
        dis.dissect_as(dissector::Proto::UdpEsp, udp_payload, &mut d);
        assert!(d.has_proto("esp"));
        assert_eq!(uints(&d, "esp.spi"), vec![0xc0f7_d4c3]);
        let e = d.stopped.as_ref().expect("a truncation error");
        assert_eq!((e.kind, e.field, e.offset), (codec::Kind::Truncated, "esp.sequence", 4));
        // Every prefix of the frame dissects without panicking.
        for n in 0..frame.len() {
            dis.dissect(*link, &frame[..n], *orig, &mut d);
        }
    }
}

/// Vectors 15, 16 and 27 (ESP with NULL, 3DES-CBC and AES-128-CBC, HMAC-SHA1-96): the same
/// Wireshark `esp_sa` UAT record is given to tshark and to our loader, and every `esp.*`
/// field agrees. Skips (with a message) when tshark is not installed.
#[test]
fn esp_fields_agree_with_tshark_on_vectors() {
    if std::process::Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("SKIP: tshark not found");
        return;
    }
    let vdir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/vectors/public");
    let fields =
        ["esp.spi", "esp.sequence", "esp.iv", "esp.pad", "esp.pad_len", "esp.protocol", "esp.icv", "esp.icv_good", "esp.icv_bad"];
    for (file, link) in [("15-esp-null-gre-mvtp.json", 1u16), ("16-stack-cvc-97.json", 228), ("27-stack-fvc-aes.json", 228)] {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(vdir.join(file)).unwrap()).unwrap();
        let e = &v["keys"]["esp"][0];
        let enc = match e["encryption"].as_str().unwrap() {
            "null" => "NULL",
            "3des-cbc" => "TripleDES-CBC [RFC2451]",
            _ => "AES-CBC [RFC3602]",
        };
        let key = |k: &str| if k.is_empty() { String::new() } else { format!("0x{k}") };
        let uat = format!(
            "\"IPv4\",\"*\",\"{}\",\"0x{:08x}\",\"{enc}\",\"{}\",\"HMAC-SHA-1-96 [RFC2404]\",\"{}\"",
            e["dst"].as_str().unwrap(),
            e["spi"].as_u64().unwrap(),
            key(e["enc_key_hex"].as_str().unwrap()),
            key(e["auth_key_hex"].as_str().unwrap())
        );
        let frame = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        // A one-packet pcap.
        let mut pcap = vec![];
        for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, u32::from(link)] {
            pcap.extend_from_slice(&w.to_le_bytes());
        }
        for w in [0, 0, frame.len() as u32, frame.len() as u32] {
            pcap.extend_from_slice(&w.to_le_bytes());
        }
        pcap.extend_from_slice(&frame);
        let path = std::env::temp_dir().join(format!("mvtp-esp-{}-{file}.pcap", std::process::id()));
        std::fs::write(&path, &pcap).unwrap();
        let mut cmd = std::process::Command::new("tshark");
        cmd.arg("-r").arg(&path).args(["-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"]);
        cmd.args(["-o", &format!("uat:esp_sa:{uat}"), "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().unwrap();
        let _ = std::fs::remove_file(&path);
        let line = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
        let theirs: Vec<&str> = line.split('|').collect();
        assert_eq!(theirs.len(), fields.len(), "{file}: tshark said {line:?}");
        assert!(
            [0, 1, 4, 5, 6].iter().all(|&i| !theirs[i].is_empty()) && theirs[7] == "1",
            "{file}: tshark did not decrypt: {line:?}"
        );

        let mut keys = Keys::default();
        keys.add_esp_sa_text(&uat).unwrap();
        let mut d = Dissection::default();
        Dissector::new(Default::default(), keys).dissect(LinkType(link), &frame, frame.len(), &mut d);
        for (f, t) in fields.iter().zip(theirs) {
            let ours = d.find(f).next().map(|x| match &x.value {
                Value::Bool(b) => u8::from(*b).to_string(),
                Value::U64(n) if *f == "esp.spi" || *f == "esp.protocol" => {
                    format!("{n:#0w$x}", w = if *f == "esp.spi" { 10 } else { 4 })
                }
                _ => d.value_string(&frame, x),
            });
            // tshark leaves esp.icv_bad/esp.pad out when false/empty in some versions.
            let ours = ours.unwrap_or_default();
            assert_eq!(ours, t, "{file}: {f}");
        }
    }
}
