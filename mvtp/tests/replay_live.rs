//! `mvtp replay -i` into a veth pair inside a network namespace the test creates: a
//! receiver on the peer end (AF_PACKET, in this test) gets every frame byte-identical and
//! in order, or as rewritten; frames above the interface MTU are refused with their size.
//! Needs root and `ip netns`; skips with the failing command printed otherwise.

#![cfg(target_os = "linux")]

use codec::numbers::LinkType;
use dissector::capture::CaptureReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const MVTP: &str = env!("CARGO_BIN_EXE_mvtp");

fn cap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/captures")
        .join(name)
}

/// A network namespace with a veth pair `va` ↔ `vb`, deleted on drop.
struct Netns {
    name: String,
}

fn run(args: &[&str]) -> Result<Output, String> {
    let o = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("`{}`: {e}", args.join(" ")))?;
    if o.status.success() {
        Ok(o)
    } else {
        Err(format!(
            "`{}`: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    }
}

impl Netns {
    fn new(tag: &str) -> Result<Netns, String> {
        let name = format!("mvtp-rpl-{tag}-{}", std::process::id());
        run(&["ip", "netns", "add", &name])?;
        let ns = Netns { name };
        // No IPv6: no router solicitations or MLD reports among the frames received.
        ns.exec(&[
            "sysctl",
            "-qw",
            "net.ipv6.conf.default.disable_ipv6=1",
            "net.ipv6.conf.all.disable_ipv6=1",
        ])?;
        ns.exec(&[
            "ip", "link", "add", "va", "type", "veth", "peer", "name", "vb",
        ])?;
        ns.exec(&["ip", "link", "set", "va", "up"])?;
        ns.exec(&["ip", "link", "set", "vb", "up"])?;
        Ok(ns)
    }

    fn exec(&self, args: &[&str]) -> Result<Output, String> {
        let mut v = vec!["ip", "netns", "exec", &self.name];
        v.extend_from_slice(args);
        run(&v)
    }

    /// Starts a receiver on `vb` (inside the namespace); returns when it listens.
    fn receive(&self, want: usize) -> mpsc::Receiver<Vec<Vec<u8>>> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (tx, rx) = mpsc::channel();
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path).expect("netns file");
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&f),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .expect("setns");
            let ni = pnet_datalink::interfaces()
                .into_iter()
                .find(|i| i.name == "vb")
                .expect("vb");
            let cfg = pnet_datalink::Config {
                read_timeout: Some(Duration::from_millis(100)),
                ..Default::default()
            };
            let Ok(pnet_datalink::Channel::Ethernet(_t, mut r)) = pnet_datalink::channel(&ni, cfg)
            else {
                panic!("AF_PACKET on vb")
            };
            ready_tx.send(()).unwrap();
            let mut got = Vec::new();
            let end = Instant::now() + Duration::from_secs(20);
            while got.len() < want && Instant::now() < end {
                if let Ok(f) = r.next() {
                    got.push(f.to_vec());
                }
            }
            // A short grace period shows extra frames, if any were sent.
            let grace = Instant::now() + Duration::from_millis(300);
            while Instant::now() < grace {
                if let Ok(f) = r.next() {
                    got.push(f.to_vec());
                }
            }
            tx.send(got).unwrap();
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("receiver ready");
        rx
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

fn frames(p: &Path) -> Vec<(LinkType, Vec<u8>)> {
    let mut r = CaptureReader::new(std::fs::File::open(p).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(pk) = r.next_packet().unwrap() {
        v.push((pk.linktype, pk.data.to_vec()));
    }
    v
}

fn setup(tag: &str) -> Option<Netns> {
    match Netns::new(tag) {
        Ok(n) => Some(n),
        Err(m) => {
            eprintln!("SKIP: cannot create a network namespace with a veth pair (needs root and ip netns): {m}");
            None
        }
    }
}

fn replay(ns: &Netns, args: &[&str]) -> Output {
    let mut v = vec!["ip", "netns", "exec", &ns.name, MVTP, "replay", "-i", "va"];
    v.extend_from_slice(args);
    Command::new(v[0]).args(&v[1..]).output().unwrap()
}

/// Every frame of a corpus capture arrives byte-identical and in order.
#[test]
fn frames_arrive_identical_and_in_order() {
    let Some(ns) = setup("id") else { return };
    let c = cap("mvtp-roam.pcapng");
    let want: Vec<Vec<u8>> = frames(&c).into_iter().map(|f| f.1).collect();
    let rx = ns.receive(want.len());
    let o = replay(&ns, &["--pps", "2000", c.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("Actual: {} packets", want.len())),
        "{out}"
    );
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(got.len(), want.len(), "frames received");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "frame {}", i + 1);
    }
}

/// Frames rewritten on the way (addresses at every depth, ESP re-encrypted under a new
/// SPI, 802.11 converted to Ethernet) arrive exactly as the offline rewrite produces them.
#[test]
fn rewritten_frames_arrive_as_rewritten() {
    let Some(ns) = setup("rw") else { return };
    let c = cap("spec-vectors.pcapng");
    let keys = cap("spec-vectors.keys.json");
    let mut rules = replay::Rules::default();
    let maps = ["0.0.0.0/1=128.0.0.0/1", "128.0.0.0/1=0.0.0.0/1"];
    for m in maps {
        rules.add_map(m).unwrap();
    }
    let cfg = replay::Config {
        to_ethernet: true,
        keys: Some(
            dissector::keys::Keys::from_json(&std::fs::read_to_string(&keys).unwrap()).unwrap(),
        ),
        mtu: Some(1500),
        ..Default::default()
    };
    let mut rw = replay::Rewriter::new(rules, cfg);
    // Radiotap and raw-IP frames are converted (--to-ethernet): all of them go out.
    let all = frames(&c);
    let raw = all.iter().filter(|f| f.0 != LinkType::ETHERNET).count();
    let mut want: Vec<Vec<u8>> = Vec::new();
    for (l, d) in &all {
        let o = rw.frame(*l, d, 0);
        assert_eq!(o.link, LinkType::ETHERNET);
        want.extend(o.frames);
    }
    assert!(raw > 1 && want.len() == all.len());
    let rx = ns.receive(want.len());
    let mut args = vec![
        "--topspeed",
        "--to-ethernet",
        "--keys",
        keys.to_str().unwrap(),
    ];
    for m in maps {
        args.extend(["--map", m]);
    }
    args.push(c.to_str().unwrap());
    let o = replay(&ns, &args);
    let err = String::from_utf8_lossy(&o.stderr);
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(o.status.success(), "{err}");
    assert_eq!(got.len(), want.len(), "frames received; stderr: {err}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "frame {}", i + 1);
    }
    tshark_accepts_received(&got);
    // Without --to-ethernet, the frames an Ethernet interface cannot carry are refused
    // with the reason and counted; the exit status says so.
    let o = replay(&ns, &["--topspeed", c.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("dropped (802.11 frame on an Ethernet interface: give --to-ethernet): 1"),
        "{err}"
    );
    let msg = format!("dropped (link type without an Ethernet header: cannot be sent on an Ethernet interface): {}", raw - 1);
    assert!(err.contains(&msg), "{err}");
}

/// The frames as received, judged by tshark: IPv4/UDP checksums and ESP decryption with
/// ICV check (the SAs by SPI, any destination: the addresses were rewritten) — no bad
/// checksum, every ESP ICV good.
fn tshark_accepts_received(got: &[Vec<u8>]) {
    if !Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIP (tshark part): `tshark -v` failed");
        return;
    }
    let path = std::env::temp_dir().join(format!("mvtp-replay-live-{}.pcap", std::process::id()));
    let mut w = dissector::capture::CaptureWriter::pcap(
        std::fs::File::create(&path).unwrap(),
        true,
        LinkType::ETHERNET,
    );
    for (i, f) in got.iter().enumerate() {
        let p = dissector::capture::Packet {
            ts: dissector::capture::Timestamp {
                secs: i as i64,
                nanos: 0,
            },
            linktype: LinkType::ETHERNET,
            interface: 0,
            orig_len: f.len() as u32,
            data: f,
            comment: None,
        };
        w.write(&p).unwrap();
    }
    w.finish().unwrap();
    let keys: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cap("spec-vectors.keys.json")).unwrap())
            .unwrap();
    let name = |n: &str| match n {
        "null" => "NULL",
        "3des-cbc" => "TripleDES-CBC [RFC2451]",
        "aes128-cbc" => "AES-CBC [RFC3602]",
        "hmac-sha1-96" => "HMAC-SHA-1-96 [RFC2404]",
        _ => panic!("algorithm {n}"),
    };
    let mut c = Command::new("tshark");
    c.arg("-r").arg(&path);
    c.args([
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
    ]);
    c.args([
        "-o",
        "esp.enable_encryption_decode:TRUE",
        "-o",
        "esp.enable_authentication_check:TRUE",
    ]);
    for e in keys["esp"].as_array().unwrap() {
        let hexk = |f: &str| {
            e[f].as_str()
                .filter(|s| !s.is_empty())
                .map(|s| format!("0x{s}"))
                .unwrap_or_default()
        };
        c.args([
            "-o",
            &format!(
                "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"0x{:08x}\",\"{}\",\"{}\",\"{}\",\"{}\"",
                e["spi"].as_u64().unwrap(),
                name(e["encryption"].as_str().unwrap()),
                hexk("enc_key_hex"),
                name(e["auth"].as_str().unwrap()),
                hexk("auth_key_hex")
            ),
        ]);
    }
    let mut f = Command::new("tshark");
    f.args(c.get_args().collect::<Vec<_>>());
    let v = String::from_utf8_lossy(&c.arg("-V").output().unwrap().stdout).to_string();
    assert!(
        !v.contains("Bad checksum") && !v.contains("Checksum Status: Bad"),
        "tshark: bad checksum in the received frames"
    );
    let icv = f
        .args(["-Y", "esp", "-T", "fields", "-e", "esp.icv_good"])
        .output()
        .unwrap();
    let rows: Vec<String> = String::from_utf8_lossy(&icv.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(rows.len(), 3, "ESP frames received: {rows:?}");
    assert!(rows.iter().all(|r| r == "1"), "ICV good: {rows:?}");
    let _ = std::fs::remove_file(&path);
}

/// Issue 10 "MTU awareness": with the interface MTU lowered, larger frames are refused
/// with their size stated (exit status 3), smaller ones are sent, none truncated.
#[test]
fn frames_above_interface_mtu_are_refused_with_size() {
    let Some(ns) = setup("mtu") else { return };
    ns.exec(&["ip", "link", "set", "va", "mtu", "80"]).unwrap();
    let c = cap("mvtp-roam.pcapng");
    let all = frames(&c);
    let small: Vec<&Vec<u8>> = all
        .iter()
        .map(|f| &f.1)
        .filter(|f| f.len() - 14 <= 80)
        .collect();
    assert!(small.len() < all.len() && !small.is_empty());
    let rx = ns.receive(small.len());
    let o = replay(&ns, &["--topspeed", c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exceeds the MTU of 80"), "{err}");
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(got.len(), small.len());
    assert!(got.iter().zip(&small).all(|(g, w)| g == *w));
}

/// `--dry-run` prints every frame and sends nothing.
#[test]
fn dry_run_sends_nothing() {
    let Some(ns) = setup("dry") else { return };
    let c = cap("mvtp-roam.pcapng");
    let n = frames(&c).len();
    let rx = ns.receive(1);
    let o = replay(&ns, &["--dry-run", "--pps", "100", c.to_str().unwrap()]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("dry run: {n} frames, nothing sent")),
        "{out}"
    );
    assert!(out.contains("MV-RRQ"), "{out}");
    assert!(rx.recv_timeout(Duration::from_secs(30)).unwrap().is_empty());
}
