//! `mvtp read`'s two ways through a capture give the same bytes: a regular file is
//! dissected on a second thread while the first prints (the default on a multi-core
//! machine), and with `MVTP_THREADS=1` — or from a pipe — everything runs on one thread
//! (the reference).
//! Every corpus capture and every testdata capture is read both ways, in every output
//! form, and each line must be equal. Also: `--follow` ends cleanly on SIGINT / SIGTERM.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mvtp");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(args: &[&str], threads: Option<&str>) -> Output {
    let mut c = Command::new(BIN);
    c.arg("read").args(args).current_dir(root());
    match threads {
        Some(t) => c.env("MVTP_THREADS", t),
        None => c.env_remove("MVTP_THREADS"),
    };
    c.output().expect("run mvtp")
}

/// Every capture of the corpus and of `../shared/testdata/` (when present), with its keys
/// file when it has one.
fn captures() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut v = Vec::new();
    for dir in [
        root().join("corpus/captures"),
        root().join("../shared/testdata/tcpdump"),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            eprintln!("skipping {}: not present", dir.display());
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for p in files {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
                continue;
            }
            let stem = name.split('.').next().unwrap_or(name);
            let keys = p.with_file_name(format!("{stem}.keys.json"));
            v.push((p.clone(), keys.exists().then_some(keys)));
        }
    }
    v
}

fn assert_same(what: &str, fast: &Output, reference: &Output) {
    assert_eq!(
        fast.status.code(),
        reference.status.code(),
        "{what}: exit status"
    );
    let (a, b) = (
        String::from_utf8_lossy(&fast.stdout),
        String::from_utf8_lossy(&reference.stdout),
    );
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 0;
    loop {
        match (la.next(), lb.next()) {
            (None, None) => break,
            (x, y) => assert_eq!(x, y, "{what}: line {} differs", n + 1),
        }
        n += 1;
    }
    assert_eq!(a, b, "{what}: stdout");
    assert_eq!(
        String::from_utf8_lossy(&fast.stderr),
        String::from_utf8_lossy(&reference.stderr),
        "{what}: stderr"
    );
}

#[test]
fn two_thread_path_prints_what_the_one_thread_path_prints_on_every_capture() {
    let caps = captures();
    assert!(caps.len() >= 10, "corpus captures missing: {}", caps.len());
    let mut compared = 0;
    for (cap, keys) in &caps {
        let c = cap.to_str().unwrap();
        let mut forms: Vec<Vec<&str>> = vec![
            vec!["-r", c],
            vec!["-r", c, "-t", "ad"],
            vec!["-r", c, "-V", "-x"],
            vec!["-r", c, "-T", "json"],
            vec!["-r", c, "-q", "--summary"],
            vec!["-r", c, "-Y", "mvtp || l2tp", "-c", "5"],
        ];
        if let Some(k) = keys {
            forms.push(vec!["-r", c, "--keys", k.to_str().unwrap()]);
        }
        for args in &forms {
            let fast = read(args, Some("2"));
            let reference = read(args, Some("1"));
            assert_same(&format!("{args:?}"), &fast, &reference);
            compared += 1;
        }
        // A pipe always takes the one-thread path: the same text again.
        let mut child = Command::new(BIN)
            .args(["read", "-r", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(cap).unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let piped = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let file = read(&["-r", c], None);
        assert_eq!(
            String::from_utf8_lossy(&piped.stdout),
            String::from_utf8_lossy(&file.stdout),
            "{c}: stdin vs file"
        );
    }
    assert!(compared > 0);
}

#[test]
fn counts_and_c_limit_agree_across_a_batch_boundary() {
    // More packets than one batch, cut by -c inside the second batch.
    let cap = root().join("corpus/captures/spec-vectors.pcapng");
    let c = cap.to_str().unwrap();
    let all = read(&["-r", c], None);
    let n = String::from_utf8_lossy(&all.stdout).lines().count();
    assert!(n > 3, "capture too small: {n}");
    for limit in [1, 2, n - 1, n, n + 5] {
        let l = limit.to_string();
        let fast = read(&["-r", c, "-c", &l], Some("2"));
        let reference = read(&["-r", c, "-c", &l], Some("1"));
        assert_same(&format!("-c {limit}"), &fast, &reference);
        assert_eq!(
            String::from_utf8_lossy(&fast.stdout).lines().count(),
            limit.min(n)
        );
    }
}

fn pcap_header() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    v
}

fn record(ts: u32, frame: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&ts.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    v.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    v.extend_from_slice(frame);
    v
}

/// An Ethernet frame with an opaque EtherType: dissects as eth + data.
fn frame(i: u8) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5];
    f.extend(std::iter::repeat_n(i, 46));
    f
}

fn follow_then_signal(signal: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("mvtp-follow-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("growing.pcap");
    let mut bytes = pcap_header();
    bytes.extend(record(1, &frame(1)));
    std::fs::write(&p, &bytes).unwrap();
    let child = Command::new(BIN)
        .args(["read", "-r", p.to_str().unwrap(), "--follow", "--summary"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let mut fh = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    fh.write_all(&record(2, &frame(2))).unwrap();
    drop(fh);
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    let started = Instant::now();
    let k = Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("kill");
    assert!(k.success());
    let o = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        started.elapsed()
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{signal}: exit 0; stderr: {err}");
    // Both packets printed, then the end-of-run counts.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].trim_start().starts_with("1 "), "{out}");
    assert!(lines[1].trim_start().starts_with("2 "), "{out}");
    let v: serde_json::Value = serde_json::from_str(lines[2]).expect("summary JSON");
    assert_eq!(v["schema"], "mvtp-summary/1");
    assert_eq!(v["packets"], 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn follow_ends_cleanly_on_sigint_with_the_end_of_run_counts() {
    follow_then_signal("-INT", "int");
}

#[test]
fn follow_ends_cleanly_on_sigterm_with_the_end_of_run_counts() {
    follow_then_signal("-TERM", "term");
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    // A pipe for stderr: nothing but the end-of-run messages (no carriage returns).
    let cap = root().join("corpus/captures/spec-vectors.pcapng");
    let o = read(&["-r", cap.to_str().unwrap(), "-q"], None);
    assert!(
        !o.stderr.contains(&b'\r'),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
