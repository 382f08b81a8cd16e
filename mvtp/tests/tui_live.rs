//! `mvtp tui -i lo -f BPF` (cargo feature `live`): the real binary under tmux, capturing
//! UDP datagrams the test sends on loopback; rows appear as they arrive, with no key press.
//! Needs root (or CAP_NET_RAW) and tmux; skipped with the reason printed otherwise.
//! Run: `cargo test -p mvtp --features live --test tui_live` (`.ci/run` does).
#![cfg(feature = "live")]

use std::process::Command;
use std::time::{Duration, Instant};

fn pane(session: &str) -> String {
    let out = Command::new("tmux").args(["capture-pane", "-p", "-t", session]).output().expect("tmux capture-pane");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Session(String);
impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).output();
    }
}

#[test]
fn live_interface_rows_appear_as_packets_arrive() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("SKIP: tmux is not installed");
        return;
    }
    let uid = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    if uid != "0" {
        println!("SKIP: live capture on lo needs root (id -u = {uid:?})");
        return;
    }
    let port = 40_000 + (std::process::id() % 20_000) as u16;
    let session = Session(format!("mvtp-tui-live-{}", std::process::id()));
    let cmd = format!("{} tui -i lo -f 'udp port {port}'; sleep 3", env!("CARGO_BIN_EXE_mvtp"));
    let ok = Command::new("tmux").args(["new-session", "-d", "-s", &session.0, "-x", "160", "-y", "40", &cmd]).status().expect("tmux");
    assert!(ok.success());
    // The capture is open once the UI is drawn.
    let t0 = Instant::now();
    while !pane(&session.0).contains("Packets") {
        assert!(t0.elapsed() < Duration::from_secs(10), "the UI did not start: {}", pane(&session.0));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    for i in 0..3 {
        sock.send_to(format!("mvtp tui live {i}").as_bytes(), ("127.0.0.1", port)).expect("send");
        std::thread::sleep(Duration::from_millis(100));
    }
    let t0 = Instant::now();
    loop {
        let screen = pane(&session.0);
        if screen.contains("Packets 3/3") {
            assert!(screen.contains(&format!("→ 127.0.0.1:{port}")), "{screen}");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "rows did not appear: {screen}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("tmux").args(["send-keys", "-t", &session.0, "q"]).status();
}
