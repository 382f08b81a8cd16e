//! The `mvtp` binary end to end: capture formats, stdin, `-c`, `-w` round trips, `-T json`
//! against every public spec vector, `-T fields`, exit statuses, closed pipes, and the
//! tcpdump test captures (no panic).

use serde_json::{Map, Value as J};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mvtp");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mvtp-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn mvtp(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run mvtp")
}

fn mvtp_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let t = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    t.join().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

// ---- capture builders ---------------------------------------------------------------

/// A classic pcap: `(ts_sec, ts_frac, data, orig_len)` records.
fn pcap(big: bool, nanos: bool, linktype: u32, recs: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
    let mut v = Vec::new();
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    w32(&mut v, if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 });
    w16(&mut v, 2);
    w16(&mut v, 4);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, 65535);
    w32(&mut v, linktype);
    for (s, f, d, orig) in recs {
        w32(&mut v, *s);
        w32(&mut v, *f);
        w32(&mut v, d.len() as u32);
        w32(&mut v, *orig);
        v.extend_from_slice(d);
    }
    v
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() & 3 != 0 {
        v.push(0);
    }
}

fn block(ty: u32, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    pad4(&mut b);
    let total = (b.len() + 12) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(&b);
    v.extend_from_slice(&total.to_le_bytes());
    v
}

fn option(code: u16, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&code.to_le_bytes());
    v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    v.extend_from_slice(value);
    pad4(&mut v);
    v
}

/// A little-endian pcapng: interfaces `(linktype, tsresol)`, packets `(iface, ticks, data, comment)`.
fn pcapng(ifaces: &[(u16, u8)], pkts: &[(u32, u64, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    shb.extend_from_slice(&option(1, b"section comment"));
    shb.extend_from_slice(&option(0, &[]));
    let mut v = block(0x0A0D_0D0A, &shb);
    for (lt, res) in ifaces {
        let mut b = Vec::new();
        b.extend_from_slice(&lt.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&option(9, &[*res]));
        b.extend_from_slice(&option(0, &[]));
        v.extend_from_slice(&block(1, &b));
    }
    for (iface, ticks, data, comment) in pkts {
        let mut b = Vec::new();
        b.extend_from_slice(&iface.to_le_bytes());
        b.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(*ticks as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        pad4(&mut b);
        if let Some(c) = comment {
            b.extend_from_slice(&option(1, c.as_bytes()));
            b.extend_from_slice(&option(0, &[]));
        }
        v.extend_from_slice(&block(6, &b));
    }
    // A name resolution block, to be skipped.
    v.extend_from_slice(&block(4, &[0, 0, 0, 0]));
    v
}

fn ipv4_header(proto: u8, ttl: u8, payload_len: usize, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let total = (20 + payload_len) as u16;
    let mut h = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        ttl,
        proto,
        0,
        0,
    ];
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let mut sum = 0u32;
    for c in h.chunks(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    let ck = !(sum as u16);
    h[10] = (ck >> 8) as u8;
    h[11] = ck as u8;
    h
}

fn udp_in_ipv4(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let ulen = (8 + payload.len()) as u16;
    let mut v = ipv4_header(17, 64, 8 + payload.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&ulen.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

/// (link type, frame, wrapper length) for a vector's octets, as the vectors README says.
fn wrap(framing: &str, octets: &[u8]) -> (u32, Vec<u8>, usize) {
    match framing {
        "mvtp" => {
            let mut f = vec![
                0x00, 0x1e, 0x49, 0x7a, 0x10, 0x01, 0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d, 0x88, 0xb5,
            ];
            f.extend_from_slice(octets);
            (1, f, 14)
        }
        "l2tp" => (228, udp_in_ipv4(1701, 1701, octets), 28),
        "mip" => (228, udp_in_ipv4(49152, 434, octets), 28),
        "icmp" => {
            let mut f = ipv4_header(1, 1, octets.len(), [198, 51, 100, 20], [255, 255, 255, 255]);
            f.extend_from_slice(octets);
            (228, f, 20)
        }
        "ethernet" => (1, octets.to_vec(), 0),
        "radiotap" => (127, octets.to_vec(), 0),
        "ieee80211" => (105, octets.to_vec(), 0),
        "ipv4" => (228, octets.to_vec(), 0),
        other => panic!("unknown framing {other}"),
    }
}

fn wrapper_layers(framing: &str) -> usize {
    match framing {
        "mvtp" | "icmp" => 1,
        "l2tp" | "mip" => 2,
        _ => 0,
    }
}

// ---- vectors ------------------------------------------------------------------------

fn vectors() -> Vec<(String, J)> {
    let dir = root().join("../shared/spec/vectors/public");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("shared/spec/vectors/public beside the repo")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Field name → values across `layers` (in order).
fn collect_layers(layers: &[J]) -> Map<String, J> {
    let mut m = Map::new();
    for l in layers {
        for (name, vals) in l["fields"].as_object().unwrap() {
            let e = m.entry(name.clone()).or_insert_with(|| J::Array(vec![]));
            if let (J::Array(a), J::Array(v)) = (e, vals) {
                a.extend(v.iter().cloned());
            }
        }
    }
    m
}

/// Compares one packet object with a vector's expectations; the problems found.
fn check_vector(v: &J, pkt: &J, wrapper: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let got = collect_layers(pkt["layers"].as_array().unwrap());
    for (name, want) in v["fields"].as_object().unwrap() {
        let have = got.get(name);
        let ok = match (want, have) {
            (J::Array(w), Some(J::Array(h))) => w == h,
            (w, Some(J::Array(h))) => h.len() == 1 && &h[0] == w,
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "field {name}: want {want}, have {}",
                have.map_or("(absent)".into(), |h| h.to_string())
            ));
        }
    }
    let diags = pkt["diagnostics"].as_array().unwrap();
    let errors: Vec<(String, String, u64)> = diags
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or("-").into(),
                d["clause"].as_str().unwrap_or("-").into(),
                d["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    let want_errors: Vec<(String, String, u64)> = v
        .get("expect_error")
        .map(|e| {
            vec![(
                e["kind"].as_str().unwrap().into(),
                e["clause"].as_str().unwrap().into(),
                e["offset"].as_u64().unwrap() + wrapper as u64,
            )]
        })
        .unwrap_or_default();
    if errors != want_errors {
        problems.push(format!("errors: want {want_errors:?}, have {errors:?}"));
    }
    let warnings: Vec<(String, u64)> = diags
        .iter()
        .filter(|d| d["severity"] == "warning")
        .map(|d| {
            (
                d["clause"].as_str().unwrap_or("-").into(),
                d["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    let want_w: Vec<(String, u64)> = v
        .get("expect_warning")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .map(|w| {
                    (
                        w["clause"].as_str().unwrap().into(),
                        w["offset"].as_u64().unwrap() + wrapper as u64,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if warnings != want_w {
        problems.push(format!("warnings: want {want_w:?}, have {warnings:?}"));
    }
    problems
}

/// What the library itself finds for a vector (dissected from its framing's first octet):
/// the CLI must render exactly this, whatever the state of the layers.
/// (severity, kind, clause, offset).
type DiagTuple = (String, Option<String>, Option<String>, u64);

fn library_view(v: &J) -> (Map<String, J>, Vec<DiagTuple>) {
    use dissector::{Dissector, Keys, Proto};
    let frame = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let keys = v
        .get("keys")
        .map(|k| Keys::from_value(k).unwrap())
        .unwrap_or_default();
    let proto = match v["framing"].as_str().unwrap() {
        "mvtp" => Proto::Mvtp,
        "ethernet" => Proto::Ethernet,
        "ieee80211" => Proto::Ieee80211,
        "radiotap" => Proto::Radiotap,
        "ipv4" => Proto::Ipv4,
        "l2tp" => Proto::L2tp,
        "mip" => Proto::Mip,
        "icmp" => Proto::Icmp,
        f => panic!("{f}"),
    };
    let mut d = dissector::Dissection::default();
    Dissector::new(Default::default(), keys).dissect_as(proto, &frame, &mut d);
    let mut m = Map::new();
    for f in &d.fields {
        let e = m
            .entry(f.name.to_string())
            .or_insert_with(|| J::Array(vec![]));
        if f.value == dissector::Value::Empty {
            continue;
        }
        let val = d.to_json(&frame, f);
        if let J::Array(a) = e {
            a.push(val);
        }
    }
    let diags = d
        .diagnostics
        .iter()
        .map(|p| {
            (
                p.diag.severity.as_str().to_string(),
                p.diag.kind.map(|k| k.as_str().to_string()),
                p.diag.clause.map(str::to_string),
                p.diag.offset as u64,
            )
        })
        .collect();
    (m, diags)
}

#[test]
fn every_public_vector_read_from_a_capture_as_json() {
    let vs = vectors();
    assert!(!vs.is_empty());
    let (mut pass, mut lib_pass, mut faithful) = (0, 0, 0);
    let mut failures = Vec::new();
    for (name, v) in &vs {
        let framing = v["framing"].as_str().unwrap();
        let octets = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        let (lt, frame, wrapper) = wrap(framing, &octets);
        let cap = tmp(&format!("{name}.pcap"));
        std::fs::write(
            &cap,
            pcap(
                false,
                false,
                lt,
                &[(1_700_000_000, 0, &frame, frame.len() as u32)],
            ),
        )
        .unwrap();
        let keys = tmp(&format!("{name}.keys.json"));
        std::fs::write(
            &keys,
            v.get("keys")
                .cloned()
                .unwrap_or(J::Object(Map::new()))
                .to_string(),
        )
        .unwrap();
        let o = mvtp(&[
            "read",
            "-r",
            cap.to_str().unwrap(),
            "-T",
            "json",
            "--keys",
            keys.to_str().unwrap(),
        ]);
        assert!(!stderr(&o).contains("panicked"), "{name}: {}", stderr(&o));
        // An ESP vector's key decrypts it, so the status is 0 whenever the layers work; a key
        // that decrypts nothing gives 3 (checked separately).
        assert!(
            matches!(code(&o), 0 | 3),
            "{name}: exit {} {}",
            code(&o),
            stderr(&o)
        );
        let arr: J = serde_json::from_str(&stdout(&o))
            .unwrap_or_else(|e| panic!("{name}: JSON: {e}\n{}", stdout(&o)));
        let pkts = arr.as_array().unwrap();
        assert_eq!(pkts.len(), 1, "{name}");
        let pkt = &pkts[0];
        assert_eq!(pkt["schema"], "mvtp-packet/1");
        assert_eq!(pkt["frame"], 1);
        assert_eq!(pkt["ts"], "2023-11-14T22:13:20.000000000Z");
        assert_eq!(pkt["caplen"], frame.len());
        assert_eq!(pkt["linktype"], lt);

        // 1. The CLI renders the library's dissection faithfully (wrapper layers aside).
        let inner = &pkt["layers"].as_array().unwrap()[wrapper_layers(framing)..];
        let (lib_fields, lib_diags) = library_view(v);
        let cli_fields = collect_layers(inner);
        let cli_diags: Vec<DiagTuple> = pkt["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["severity"].as_str().unwrap().to_string(),
                    d["kind"].as_str().map(str::to_string),
                    d["clause"].as_str().map(str::to_string),
                    d["offset"].as_u64().unwrap() - wrapper as u64,
                )
            })
            .collect();
        if cli_fields == lib_fields && cli_diags == lib_diags {
            faithful += 1;
        } else {
            failures.push(format!("{name}: CLI JSON differs from the library's dissection:\n  cli {cli_fields:?} {cli_diags:?}\n  lib {lib_fields:?} {lib_diags:?}"));
        }

        // 2. The vector's expectations, through the capture (offsets shifted by the wrapper).
        let problems = check_vector(v, pkt, wrapper);
        let lib_ok = {
            let fake = serde_json::json!({
                "layers": [{"fields": lib_fields}],
                "diagnostics": lib_diags.iter().map(|(s, k, c, o)| serde_json::json!({"severity": s, "kind": k, "clause": c, "offset": o + wrapper as u64})).collect::<Vec<_>>(),
            });
            check_vector(v, &fake, wrapper).is_empty()
        };
        lib_pass += usize::from(lib_ok);
        if problems.is_empty() {
            pass += 1;
            println!("PASS {name}");
        } else {
            println!(
                "FAIL {name}{}",
                if lib_ok {
                    ""
                } else {
                    " (layers not there yet)"
                }
            );
            for p in &problems {
                println!("     {p}");
            }
            if lib_ok {
                failures.push(format!(
                    "{name}: the library passes but the CLI does not: {problems:?}"
                ));
            }
        }
    }
    println!(
        "{} vectors: {pass} pass through the CLI, {lib_pass} pass in the library, {faithful} rendered faithfully",
        vs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- formats, stdin, -c, -w ---------------------------------------------------------

/// An Ethernet/IPv4/UDP frame with a payload byte.
fn udp_frame(i: u8) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
    f.extend_from_slice(&udp_in_ipv4(40000, 9, &[i; 4]));
    f
}

fn json_packets(o: &Output) -> Vec<J> {
    let v: J = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("JSON: {e}: {}{}", stdout(o), stderr(o)));
    v.as_array().unwrap().clone()
}

#[test]
fn pcap_in_both_byte_orders_and_resolutions() {
    let f1 = udp_frame(1);
    let f2 = udp_frame(2);
    for big in [false, true] {
        for nanos in [false, true] {
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let p = tmp(&format!("fmt-{big}-{nanos}.pcap"));
            std::fs::write(
                &p,
                pcap(
                    big,
                    nanos,
                    1,
                    &[
                        (1_600_000_000, frac, &f1, f1.len() as u32),
                        (1_600_000_001, 0, &f2, 1000),
                    ],
                ),
            )
            .unwrap();
            let o = mvtp(&["read", "-r", p.to_str().unwrap(), "-T", "json"]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let pk = json_packets(&o);
            assert_eq!(pk.len(), 2);
            let want_ts = if nanos {
                "2020-09-13T12:26:40.123456789Z"
            } else {
                "2020-09-13T12:26:40.123456000Z"
            };
            assert_eq!(pk[0]["ts"], want_ts);
            assert_eq!(pk[0]["layers"][0]["proto"], "eth");
            assert_eq!(pk[1]["frame"], 2);
            // caplen < len: a cut packet.
            assert_eq!(
                (pk[1]["caplen"].as_u64(), pk[1]["len"].as_u64()),
                (Some(f2.len() as u64), Some(1000))
            );
        }
    }
}

#[test]
fn snaplen_cut_packet_is_reported_truncated_not_malformed() {
    let f = udp_frame(7);
    let cut = &f[..30]; // inside the IPv4 header's promised length
    let p = tmp("cut.pcap");
    std::fs::write(&p, pcap(false, false, 1, &[(1, 0, cut, f.len() as u32)])).unwrap();
    let o = mvtp(&["read", "-r", p.to_str().unwrap(), "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("[truncated capture: 30 of 46 octets]"), "{s}");
    assert!(!s.contains("malformed"), "{s}");
    assert!(
        stderr(&o).contains("cut short by the capture's snapshot length"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn pcapng_with_interfaces_of_different_link_types_resolutions_and_comments() {
    let eth = udp_frame(3);
    let raw = udp_in_ipv4(1, 2, &[9]);
    let ng = pcapng(
        &[(1, 6), (228, 9)],
        &[
            (0, 1_500_000, &eth, Some("first one")),
            (1, 2_000_000_123, &raw, None),
        ],
    );
    let p = tmp("mixed.pcapng");
    std::fs::write(&p, &ng).unwrap();
    let o = mvtp(&["read", "-r", p.to_str().unwrap(), "-T", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let pk = json_packets(&o);
    assert_eq!(pk.len(), 2);
    assert_eq!(pk[0]["linktype"], 1);
    assert_eq!(pk[0]["ts"], "1970-01-01T00:00:01.500000000Z");
    assert_eq!(pk[1]["linktype"], 228);
    assert_eq!(pk[1]["ts"], "1970-01-01T00:00:02.000000123Z");
    assert_eq!(pk[1]["layers"][0]["proto"], "ip");
    // The comment shows in the tree.
    let o = mvtp(&["read", "-r", p.to_str().unwrap(), "-V", "--color", "never"]);
    assert!(stdout(&o).contains("comment: first one"), "{}", stdout(&o));
    // Mixed link types cannot go into one pcap: exit 3, reason on stderr; pcapng keeps both.
    let out = tmp("mixed-out.pcap");
    let o = mvtp(&[
        "read",
        "-r",
        p.to_str().unwrap(),
        "-q",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("link type 228 differs"),
        "{}",
        stderr(&o)
    );
    let out = tmp("mixed-out.pcapng");
    let o = mvtp(&[
        "read",
        "-r",
        p.to_str().unwrap(),
        "-q",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o2 = mvtp(&["read", "-r", out.to_str().unwrap(), "-T", "json"]);
    let back = json_packets(&o2);
    assert_eq!(back.len(), 2);
    assert_eq!(back[0]["ts"], pk[0]["ts"]);
    assert_eq!(back[1]["layers"], pk[1]["layers"]);
}

#[test]
fn stdin_count_and_jsonl() {
    let frames: Vec<Vec<u8>> = (0..5).map(udp_frame).collect();
    let recs: Vec<(u32, u32, &[u8], u32)> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u32, 0, f.as_slice(), f.len() as u32))
        .collect();
    let cap = pcap(false, false, 1, &recs);
    let o = mvtp_stdin(&["read", "-r", "-", "-c", "3", "-T", "jsonl"], &cap);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines: Vec<J> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["frame"], 3);
    // The positional FILE form and the summary line.
    let p = tmp("five.pcap");
    std::fs::write(&p, &cap).unwrap();
    let o = mvtp(&["read", p.to_str().unwrap(), "-t", "d", "--color", "never"]);
    assert_eq!(stdout(&o).lines().count(), 5);
    assert!(
        stdout(&o)
            .lines()
            .nth(1)
            .unwrap()
            .contains(" 1.000000000 UDP 192.0.2.1:40000 → 192.0.2.2:9"),
        "{}",
        stdout(&o)
    );
    let o = mvtp(&["read", p.to_str().unwrap(), "-q", "--summary"]);
    let s: J = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (s["schema"].as_str(), s["packets"].as_u64()),
        (Some("mvtp-summary/1"), Some(5))
    );
    assert_eq!(s["protocols"]["udp"], 5);
}

#[test]
fn write_round_trip_keeps_every_octet() {
    let frames: Vec<Vec<u8>> = (0..4).map(udp_frame).collect();
    let recs: Vec<(u32, u32, &[u8], u32)> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (100 + i as u32, 5, f.as_slice(), f.len() as u32))
        .collect();
    let cap = pcap(false, false, 1, &recs);
    let inp = tmp("rt-in.pcap");
    std::fs::write(&inp, &cap).unwrap();
    let out = tmp("rt-out.pcap");
    let o = mvtp(&[
        "read",
        "-r",
        inp.to_str().unwrap(),
        "-w",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Same records (the header's snaplen may differ: ours is 262144).
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written[24..], cap[24..]);
    // -w - to stdout, read back from stdin.
    let o = mvtp(&["read", "-r", inp.to_str().unwrap(), "-w", "-", "-c", "2"]);
    assert_eq!(code(&o), 0);
    let o2 = mvtp_stdin(&["read", "-r", "-", "-T", "json"], &o.stdout);
    assert_eq!(json_packets(&o2).len(), 2);
}

#[test]
fn display_filter_selects_what_is_printed_counted_and_written() {
    let mut frames: Vec<Vec<u8>> = (0..3).map(udp_frame).collect();
    frames[1][14 + 20 + 2..14 + 20 + 4].copy_from_slice(&1701u16.to_be_bytes()); // UDP dst 1701
    let recs: Vec<(u32, u32, &[u8], u32)> = frames
        .iter()
        .map(|f| (1, 0, f.as_slice(), f.len() as u32))
        .collect();
    let p = tmp("filter.pcap");
    std::fs::write(&p, pcap(false, false, 1, &recs)).unwrap();
    let o = mvtp(&[
        "read",
        "-r",
        p.to_str().unwrap(),
        "-Y",
        "udp.dstport == 9",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "1\n3\n");
    let o = mvtp(&["read", "-r", p.to_str().unwrap(), "-Y", "udp.dstport =="]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("-Y"), "{}", stderr(&o));
}

#[test]
fn fields_output_separator_header_and_errors() {
    let f = udp_frame(1);
    let p = tmp("fields.pcap");
    std::fs::write(&p, pcap(false, false, 1, &[(1, 0, &f, f.len() as u32)])).unwrap();
    let ps = p.to_str().unwrap();
    let o = mvtp(&[
        "read",
        "-r",
        ps,
        "-T",
        "fields",
        "-e",
        "ip.src",
        "-e",
        "udp.dstport",
        "-e",
        "mvtp.leid",
        "-e",
        "frame.protocols",
    ]);
    assert_eq!(
        stdout(&o),
        "192.0.2.1\t9\t\teth:ip:udp:data\n",
        "{}",
        stderr(&o)
    );
    let o = mvtp(&[
        "read",
        "-r",
        ps,
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
        "--separator",
        ",",
        "--header",
    ]);
    assert_eq!(stdout(&o), "ip.src,ip.dst\n192.0.2.1,192.0.2.2\n");
    // tshark's -E separator=, is an error that names the long flag.
    let o = mvtp(&[
        "read",
        "-r",
        ps,
        "-T",
        "fields",
        "-e",
        "ip.src",
        "-E",
        "separator=,",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--separator"), "{}", stderr(&o));
    // Unknown field: usage error with a suggestion.
    let o = mvtp(&["read", "-r", ps, "-e", "ip.srcc"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("ip.src"), "{}", stderr(&o));
    let o = mvtp(&["read", "-r", ps, "-T", "fields"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn exit_statuses() {
    // Unreadable or not a capture: 2.
    assert_eq!(code(&mvtp(&["read", "-r", "/nonexistent/x.pcap"])), 2);
    let junk = tmp("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").unwrap();
    let o = mvtp(&["read", "-r", junk.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a pcap or pcapng"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&mvtp(&["read", "--no-such-flag"])), 2);
    assert_eq!(code(&mvtp(&["read"])), 2);
    // A file cut inside a record: the packets before it are printed, then 2.
    let f = udp_frame(1);
    let mut cap = pcap(
        false,
        false,
        1,
        &[(1, 0, &f, f.len() as u32), (2, 0, &f, f.len() as u32)],
    );
    cap.truncate(cap.len() - 5);
    let p = tmp("cut-file.pcap");
    std::fs::write(&p, &cap).unwrap();
    let o = mvtp(&["read", "-r", p.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stderr(&o).contains("middle of a record"), "{}", stderr(&o));
    // Malformed packets are data: 0.
    let mut bad = udp_frame(1);
    bad[14] = 0x44; // IPv4 IHL 4 (< 5)
    let p = tmp("bad.pcap");
    std::fs::write(&p, pcap(false, false, 1, &[(1, 0, &bad, bad.len() as u32)])).unwrap();
    let o = mvtp(&["read", "-r", p.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A key that decrypts nothing of the ESP packets it applies to: 3 (RFC 4303 §2.4: the
    // 32 octets of payload do not end in valid padding under this key).
    let key = "0x1000@192.0.2.2 aes128-cbc:0x00112233445566778899aabbccddeeff";
    let mut esp = vec![0, 0, 0x10, 0, 0, 0, 0, 1];
    esp.extend_from_slice(&[0x5a; 32]);
    let mut ef = ipv4_header(50, 64, esp.len(), [192, 0, 2, 1], [192, 0, 2, 2]);
    ef.extend_from_slice(&esp);
    let espcap = tmp("esp.pcap");
    std::fs::write(
        &espcap,
        pcap(false, false, 228, &[(1, 0, &ef, ef.len() as u32)]),
    )
    .unwrap();
    let o = mvtp(&["read", "-r", espcap.to_str().unwrap(), "-E", key]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("SPI 0x00001000 decrypted none of the 1 ESP packet(s)"),
        "{}",
        stderr(&o)
    );
    // A key for an SPI the capture does not have: reported, not a failure.
    let good = tmp("good.pcap");
    std::fs::write(&good, pcap(false, false, 1, &[(1, 0, &f, f.len() as u32)])).unwrap();
    let o = mvtp(&["read", "-r", good.to_str().unwrap(), "-E", key]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("matched no packet"), "{}", stderr(&o));
    // A write that cannot happen: 3.
    let o = mvtp(&[
        "read",
        "-r",
        good.to_str().unwrap(),
        "-w",
        "/nonexistent-dir/out.pcap",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    // Live capture on an interface that does not exist: a clear error and exit 2, whether
    // the binary was built without the `live` feature (the error names the feature) or with
    // it (the error names the interface). Never a capture that waits for packets: the
    // binary under test may have been rebuilt with other features than this test crate.
    let o = mvtp(&["read", "-i", "mvtp-no-such-if0", "-c", "1"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("`live` feature") || e.contains("mvtp-no-such-if0"), "{e}");
}

#[test]
fn closed_pipe_ends_quietly() {
    let f = udp_frame(1);
    let recs: Vec<(u32, u32, &[u8], u32)> = (0..200_000)
        .map(|i| (i, 0, f.as_slice(), f.len() as u32))
        .collect();
    let p = tmp("many.pcap");
    std::fs::write(&p, pcap(false, false, 1, &recs)).unwrap();
    let mut child = Command::new(BIN)
        .args(["read", "-r", p.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    so.read_exact(&mut first).unwrap();
    drop(so); // like `| head`
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("Broken pipe") && !stderr(&o).contains("panicked"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn follow_reads_a_growing_file() {
    let f = udp_frame(1);
    let full = pcap(
        false,
        false,
        1,
        &[(1, 0, &f, f.len() as u32), (2, 0, &f, f.len() as u32)],
    );
    let p = tmp("growing.pcap");
    let split = 24 + 16 + f.len() + 7; // inside the second record
    std::fs::write(&p, &full[..split]).unwrap();
    let child = Command::new(BIN)
        .args([
            "read",
            "-r",
            p.to_str().unwrap(),
            "--follow",
            "-c",
            "2",
            "-T",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    let mut fh = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    fh.write_all(&full[split..]).unwrap();
    drop(fh);
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn tree_hex_and_time_formats() {
    let f = udp_frame(0x41);
    let p = tmp("tree.pcap");
    std::fs::write(
        &p,
        pcap(false, false, 1, &[(86_400 + 3661, 5, &f, f.len() as u32)]),
    )
    .unwrap();
    let ps = p.to_str().unwrap();
    let o = mvtp(&["read", "-r", ps, "-V", "-x", "--color", "never"]);
    let s = stdout(&o);
    assert!(
        s.starts_with(
            "Frame 1: 46 octets on wire, 46 captured, link type 1, 1970-01-02T01:01:01.000005000Z"
        ),
        "{s}"
    );
    assert!(
        s.contains("\nip (offset 14, 32 octets)\n    ip.version: 4\n"),
        "{s}"
    );
    assert!(s.contains("    udp.dstport: 9\n"), "{s}");
    assert!(
        s.contains("\n0020  02 02 9c 40 00 09 00 0c  00 00 41 41 41 41         ...@......AAAA\n"),
        "{s}"
    );
    let o = mvtp(&["read", "-r", ps, "-t", "ad", "--color", "never"]);
    assert!(
        stdout(&o).starts_with("    1 1970-01-02 01:01:01.000005000 UDP"),
        "{}",
        stdout(&o)
    );
    let o = mvtp(&["read", "-r", ps, "-t", "e", "--color", "never"]);
    assert!(
        stdout(&o).starts_with("    1 90061.000005000 "),
        "{}",
        stdout(&o)
    );
    assert_eq!(code(&mvtp(&["read", "-r", ps, "-t", "x"])), 2);
}

#[test]
fn fields_subcommand_and_completions() {
    let o = mvtp(&["fields"]);
    assert_eq!(code(&o), 0);
    let s = stdout(&o);
    assert!(
        s.lines().any(|l| l.starts_with("mvtp.leid\tuint\tmvtp\t")),
        "mvtp.leid missing"
    );
    assert!(s.lines().any(|l| l.starts_with("frame.number\t")));
    assert_eq!(
        s.lines().count(),
        codec::fields::all().count() + dissector::output::fields::FRAME_FIELDS.len()
    );
    let o = mvtp(&["fields", "l2tp.handoff"]);
    assert!(stdout(&o).lines().all(|l| l.starts_with("l2tp.handoff")) && !stdout(&o).is_empty());
    let o = mvtp(&["completions", "bash"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("mvtp"));
    let o = mvtp(&["read", "--help"]);
    assert!(stdout(&o).contains("Examples:"));
}

#[test]
fn tcpdump_captures_read_without_panic() {
    let dir = root().join("../shared/testdata/tcpdump");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("SKIP: {} not found", dir.display());
        return;
    };
    let secrets = dir.join("esp-secrets.txt");
    let mut n = 0;
    for e in rd {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "pcap") {
            continue;
        }
        n += 1;
        for extra in [
            &["-V", "-x"][..],
            &["-T", "json"][..],
            &["-E", &format!("file {}", secrets.display())][..],
        ] {
            let mut args = vec!["read", "-r", p.to_str().unwrap()];
            args.extend_from_slice(extra);
            let o = mvtp(&args);
            assert!(
                !stderr(&o).contains("panicked"),
                "{}: {}",
                p.display(),
                stderr(&o)
            );
            assert!(
                matches!(code(&o), 0 | 2 | 3),
                "{} {extra:?}: exit {}",
                p.display(),
                code(&o)
            );
            if extra[0] == "-T" && code(&o) == 0 {
                let _: J = serde_json::from_str(&stdout(&o))
                    .unwrap_or_else(|e| panic!("{}: JSON {e}", p.display()));
            }
        }
    }
    assert!(n >= 10, "only {n} captures");
}

#[allow(dead_code)]
fn _path(_: &Path) {}
