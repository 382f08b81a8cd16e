//! Smoke tests of the real `mvtp tui` binary under tmux (send-keys / capture-pane).
//!
//! The binary: `$MVTP_BIN` if set, else `mvtp` next to this test's `deps/` directory (the
//! same target directory: `cargo test --workspace` builds it, or `cargo build -p mvtp`).
//! Skipped, with the reason printed, when tmux or the binary is missing.

use dissector::capture::{CaptureReader, CaptureWriter, Packet, Timestamp};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/captures")
        .join(name)
}

fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("MVTP_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("mvtp");
    p.exists().then_some(p)
}

fn ready() -> Option<PathBuf> {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("SKIP: tmux is not installed");
        return None;
    }
    let Some(b) = binary() else {
        println!("SKIP: mvtp binary not built (cargo build -p mvtp, or set MVTP_BIN)");
        return None;
    };
    Some(b)
}

struct Session(String);

impl Session {
    fn start(name: &str, cwd: &Path, cmd: &str) -> Session {
        let s = Session(format!("mvtp-tui-{name}-{}", std::process::id()));
        let st = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &s.0,
                "-x",
                "200",
                "-y",
                "50",
                "-c",
            ])
            .arg(cwd)
            .arg(cmd)
            .status()
            .expect("tmux new-session");
        assert!(st.success());
        s
    }
    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.0])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(st.success());
    }
    fn wait_for(&self, what: &str) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if t.elapsed() > Duration::from_secs(20) {
                panic!("{what:?} did not appear; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.0])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .stderr(Stdio::null())
            .status();
    }
}

/// The findings count of the status line (`| N findings |`).
fn findings(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains(" findings | ? help"))?;
    let head = line.split(" findings | ? help").next()?;
    head.rsplit("| ").next()?.trim().parse().ok()
}

fn count(path: &Path) -> (usize, Vec<String>) {
    let mut r =
        CaptureReader::new(std::fs::File::open(path).expect("saved file")).expect("capture");
    let mut n = 0;
    let mut comments = Vec::new();
    while let Some(p) = r.next_packet().expect("read") {
        n += 1;
        if let Some(c) = p.comment {
            comments.push(c.to_string());
        }
    }
    (n, comments)
}

#[test]
fn tmux_open_filter_open_packet_jump_finding_save_quit() {
    let Some(bin) = ready() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let cmd = format!(
        "{} tui {} --keys {}",
        bin.display(),
        corpus("spec-vectors.pcapng").display(),
        corpus("spec-vectors.keys.json").display()
    );
    let s = Session::start("smoke", dir.path(), &cmd);
    s.wait_for("end of input");
    s.wait_for("Packets 28/28");
    // Display filter.
    s.keys(&["/"]);
    s.keys(&["-l", "mvtp.type == 4"]);
    s.keys(&["Enter"]);
    s.wait_for("filter: mvtp.type == 4");
    let screen = s.wait_for("filter applied");
    assert!(!screen.contains("Packets 28/28"), "{screen}");
    // Open a packet.
    s.keys(&["g"]);
    s.keys(&["-l", "5"]);
    s.keys(&["Enter"]);
    let screen = s.wait_for("Frame 5");
    assert!(
        screen.contains("mvtp.leid") || screen.contains("eth"),
        "{screen}"
    );
    // Clear the filter, jump to the next finding.
    s.keys(&["/"]);
    for _ in 0..20 {
        s.keys(&["BSpace"]);
    }
    s.keys(&["Enter"]);
    s.wait_for("Packets 28/28");
    s.keys(&["n"]);
    s.wait_for("finding at frame");
    // Save the displayed packets.
    s.keys(&["w"]);
    s.keys(&["Enter"]);
    let screen = s.wait_for("saved 28 packets to mvtp-tui-saved.pcapng");
    assert!(screen.contains("saved"), "{screen}");
    s.keys(&["q"]);
    let t = Instant::now();
    while s.alive() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!s.alive(), "q did not quit");
    let (n, comments) = count(&dir.path().join("mvtp-tui-saved.pcapng"));
    assert_eq!(n, 28);
    assert!(
        comments.iter().any(|c| c.contains("AUTH-5")),
        "{comments:?}"
    );
}

#[test]
fn tmux_follow_shows_appended_rows_and_findings_without_keys() {
    let Some(bin) = ready() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let mut packets = Vec::new();
    let mut r =
        CaptureReader::new(std::fs::File::open(corpus("spec-vectors.pcapng")).expect("capture"))
            .expect("header");
    while let Some(p) = r.next_packet().expect("read") {
        packets.push((p.ts, p.linktype, p.orig_len, p.data.to_vec()));
    }
    let path = dir.path().join("growing.pcapng");
    let write = |range: std::ops::Range<usize>| {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open");
        // Each append is a new pcapng section (SHB, IDB, EPBs): readers continue across it.
        let mut w = CaptureWriter::pcapng(f).expect("writer");
        for (ts, lt, ol, data) in &packets[range] {
            let ts: Timestamp = *ts;
            w.write(&Packet {
                ts,
                linktype: *lt,
                interface: 0,
                orig_len: *ol,
                data,
                comment: None,
            })
            .expect("write");
        }
        w.finish().expect("finish");
    };
    write(0..3);
    let cmd = format!(
        "{} tui --follow {} --keys {}",
        bin.display(),
        path.display(),
        corpus("spec-vectors.keys.json").display()
    );
    let s = Session::start("follow", dir.path(), &cmd);
    s.wait_for("Packets 3/3");
    std::thread::sleep(Duration::from_millis(500));
    let before = findings(&s.screen()).expect("findings count in the status line");
    write(3..packets.len());
    s.wait_for(&format!("Packets {0}/{0}", packets.len()));
    // New findings appear with no key press.
    let t = Instant::now();
    loop {
        let screen = s.screen();
        if findings(&screen).is_some_and(|n| n > before) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no new findings after {before}: {screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    s.keys(&["q"]);
}
