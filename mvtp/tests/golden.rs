//! Golden outputs of the corpus: for every merged capture `corpus/captures/NAME.pcapng`,
//! `mvtp read -r NAME.pcapng --keys NAME.keys.json` and `mvtp stats NAME.pcapng --keys
//! NAME.keys.json` print exactly `corpus/golden/NAME.read.txt` and `NAME.stats.txt`.
//!
//! A change of the dissector that changes what users see shows up here as a diff to review.
//! `MVTP_BLESS=1 cargo test -p mvtp --test golden` rewrites the golden files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mvtp"))
        .args(args)
        .current_dir(root())
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .output()
        .expect("run mvtp");
    assert_eq!(out.status.code(), Some(0), "mvtp {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// First differing line, for the failure message.
fn first_difference(have: &str, want: &str) -> String {
    for (i, (h, w)) in have.lines().zip(want.lines()).enumerate() {
        if h != w {
            return format!("line {}:\n  golden: {h}\n  now:    {w}", i + 1);
        }
    }
    format!("{} lines golden, {} now", have.lines().count(), want.lines().count())
}

fn compare(golden: &Path, now: &str, bless: bool, stale: &mut Vec<String>) {
    if bless {
        std::fs::write(golden, now).expect("write golden file");
    }
    let have = std::fs::read_to_string(golden).unwrap_or_default();
    if have != now {
        stale.push(format!("{}: {}", golden.display(), first_difference(&have, now)));
    }
}

#[test]
fn read_and_stats_print_the_golden_outputs_for_every_corpus_capture() {
    let bless = std::env::var_os("MVTP_BLESS").is_some();
    let captures = root().join("corpus/captures");
    let golden = root().join("corpus/golden");
    std::fs::create_dir_all(&golden).expect("corpus/golden");
    let mut names: Vec<String> = std::fs::read_dir(&captures)
        .expect("corpus/captures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".pcapng").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "the corpus has its captures: {names:?}");
    let mut stale = Vec::new();
    for n in &names {
        let cap = format!("corpus/captures/{n}.pcapng");
        let keys = format!("corpus/captures/{n}.keys.json");
        let read = run(&["read", "-r", &cap, "--keys", &keys]);
        assert!(read.lines().count() > 0, "{n}: no output");
        compare(&golden.join(format!("{n}.read.txt")), &read, bless, &mut stale);
        let stats = run(&["stats", &cap, "--keys", &keys]);
        compare(&golden.join(format!("{n}.stats.txt")), &stats, bless, &mut stale);
    }
    // No golden file without its capture.
    for e in std::fs::read_dir(&golden).expect("corpus/golden").flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let stem = f.strip_suffix(".read.txt").or_else(|| f.strip_suffix(".stats.txt")).unwrap_or(&f);
        if !names.iter().any(|n| n == stem) {
            if bless {
                std::fs::remove_file(e.path()).expect("remove stale golden file");
            } else {
                stale.push(format!("{f}: golden file of no capture"));
            }
        }
    }
    println!("{} captures compared with their golden read and stats outputs", names.len());
    assert!(stale.is_empty(), "golden outputs differ (review, then `MVTP_BLESS=1 cargo test -p mvtp --test golden`):\n{}", stale.join("\n"));
}
