//! `mvtp agent server` end to end (issue 8): the real binary on loopback with a raw GRE
//! socket answers an MV-RRQ that this test sends as an FA would (IP/GRE 0x88B5, spec §3),
//! signed with the client's Mobile-Home key; the reply is checked with the codec: MV-RRP
//! code 0, same Connect ID, the low 32 bits of the Identification echoed [FMT-13], and a
//! Mobile-Home authenticator that verifies [AUTH-4, AUTH-5]. Needs root (raw socket);
//! skipped with the reason printed otherwise.
#![cfg(target_os = "linux")]

use agents::msg::{Body, Msg, Reg};
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::gid::Gid;
use codec::mvtp::{AuthRole, PduView};
use rustix::net::{ipproto, recvfrom, sendto, socket, sockopt, AddressFamily, RecvFlags, SendFlags, SocketAddrV4, SocketType};
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SPI: u32 = 0x100;
const SECRET: &[u8] = b"agent e2e mobile-home key";

#[test]
fn agent_server_answers_a_registration_over_raw_gre_on_loopback() {
    let uid = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    if uid != "0" {
        println!("SKIP: a raw GRE socket needs root (id -u = {uid:?})");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mvtp-agent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let keys = dir.join("keys.json");
    let json = format!(r#"{{"mvtp_auth": [{{"spi": {SPI}, "algorithm": "hmac-md5", "secret_hex": "{}"}}]}}"#, hex::encode(SECRET));
    std::fs::write(&keys, json).expect("keys file");
    // The server on 127.0.0.1; the "FA" sends from 127.0.0.2 (both loopback).
    let (server, fa) = (Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2));
    let agent = Command::new(env!("CARGO_BIN_EXE_mvtp"))
        .args(["agent", "server", "--addr", "127.0.0.1", "--keys"])
        .arg(&keys)
        .args(["--count", "1", "--timeout", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mvtp agent server");
    std::thread::sleep(Duration::from_millis(500));

    let sock = socket(AddressFamily::INET, SocketType::RAW, Some(ipproto::GRE)).expect("raw GRE socket");
    rustix::net::bind(&sock, &SocketAddrV4::new(fa, 0)).expect("bind the FA address");
    sockopt::set_socket_timeout(&sock, sockopt::Timeout::Recv, Some(Duration::from_millis(200))).expect("timeout");
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64;
    let ident = agents::msg::ntp_timestamp(now_ms);
    let reg = Reg { reset: true, roam_notify: false, code: 0, lifetime: 600, encap: 2, connect_id: 4242, home: server, ident };
    let mut msg = Msg::new(7, Body::Rrq(reg));
    msg.gid = Some(Gid::mac([0x02, 0, 0, 0, 0x42, 0x01]));
    agents::auth::sign(&mut msg, AuthRole::MobileHome, SPI, &AuthKey { algorithm: Algorithm::HmacMd5, secret: SECRET.to_vec() });
    let pdu = agents::wire::encode(&msg).expect("encode MV-RRQ");
    let mut gre = vec![0x00, 0x00, 0x88, 0xb5];
    gre.extend_from_slice(&pdu);
    sendto(&sock, &gre, SendFlags::empty(), &SocketAddrV4::new(server, 0)).expect("send MV-RRQ");

    // The reply: GRE 0x88B5 from the server to the FA address, an MV-RRP (type 5).
    let mut keystore = KeyStore::new();
    keystore.insert(SPI, AuthKey { algorithm: Algorithm::HmacMd5, secret: SECRET.to_vec() });
    let mut buf = vec![0u8; 65_536];
    let t0 = Instant::now();
    let reply = loop {
        assert!(t0.elapsed() < Duration::from_secs(8), "no MV-RRP from mvtp agent server");
        let Ok((_, n, _)) = recvfrom(&sock, &mut buf[..], RecvFlags::empty()) else { continue };
        let d = &buf[..n];
        let ihl = usize::from(d[0] & 0x0f) * 4;
        let (src, dst) = (Ipv4Addr::new(d[12], d[13], d[14], d[15]), Ipv4Addr::new(d[16], d[17], d[18], d[19]));
        let g = &d[ihl..];
        if src == server && dst == fa && g.len() > 4 && g[2..4] == [0x88, 0xb5] && g.get(5) == Some(&5) {
            break g[4..].to_vec();
        }
    };
    let v = PduView::new(&reply).expect("reply parses");
    let r = v.check(Some(&keystore));
    assert!(r.error.is_none(), "reply decodes without error: {:?}", r.error);
    let back = agents::wire::decode(&reply).expect("reply decodes");
    let Body::Rrp(rrp) = &back.body else { panic!("not an MV-RRP: {back:?}") };
    assert_eq!(rrp.code, 0, "accepted");
    assert_eq!(rrp.connect_id, 4242);
    assert_eq!(rrp.ident as u32, ident as u32, "low 32 bits of the Identification echoed [FMT-13]");
    assert_eq!(back.leid, 7, "the FA's LEID echoed");
    assert!(
        r.auth.iter().any(|a| a.role == AuthRole::MobileHome && a.valid),
        "Mobile-Home authenticator verifies [AUTH-4/5]: {:?}",
        r.auth
    );
    let out = agent.wait_with_output().expect("agent exits");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "agent exit status {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("in  MV-RRQ code=0 cid=4242") && stdout.contains("from 127.0.0.2"), "{stdout}");
    assert!(stdout.contains("out MV-RRP code=0 cid=4242") && stdout.contains("to 127.0.0.2"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
