//! `mvtp check` and `mvtp stats` on the corpus capture of the spec vectors, through the
//! real binary: exit codes, JSON, expectation files, annotation.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mvtp(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mvtp")).args(args).current_dir(root()).output().expect("run mvtp");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const CAP: &str = "corpus/captures/spec-vectors.pcapng";
const KEYS: &str = "corpus/captures/spec-vectors.keys.json";

#[test]
fn check_reports_decoder_findings_by_clause_and_sets_the_exit_status() {
    let (code, out, err) = mvtp(&["check", CAP, "--keys", KEYS, "--format", "json"]);
    assert_eq!(code, 1, "errors found → exit 1; stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(v["schema"], "mvtp-check/1");
    let has = |rule: &str, frame: u64| v["findings"].as_array().unwrap().iter().any(|f| f["rule"] == rule && f["frame"] == frame);
    // Vectors 20..25 are the malformed ones: their clauses, at their frames.
    for (rule, frame) in [("FMT-5", 20), ("FMT-2", 21), ("FMT-6", 22), ("AVP-10", 23), ("AVP-4", 24), ("AUTH-5", 25), ("FMT-3", 18), ("AVP-9", 19)] {
        assert!(has(rule, frame), "{rule} at frame {frame} missing: {out}");
    }
    let (code, _, _) = mvtp(&["check", CAP, "--fail-on", "never"]);
    assert_eq!(code, 0);
    let (code, _, err) = mvtp(&["check", "no-such.pcap"]);
    assert_eq!(code, 2, "unreadable input → 2: {err}");
    let (code, _, err) = mvtp(&["check", CAP, "--skip", "PROC-99"]);
    assert_eq!(code, 2, "unknown rule → 2: {err}");
}

#[test]
fn expectation_files_round_trip_and_catch_differences() {
    let dir = std::env::temp_dir().join(format!("mvtp-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exp = dir.join("cap.expect.toml");
    let exp_s = exp.to_str().unwrap();
    let (code, _, err) = mvtp(&["check", CAP, "--keys", KEYS, "--write-expect", exp_s, "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = mvtp(&["check", CAP, "--keys", KEYS, "--expect", exp_s]);
    assert_eq!(code, 0, "the capture meets its own expectations: {err}");
    // Without keys AUTH-5 cannot be found: the expectation is no longer met.
    let (code, _, err) = mvtp(&["check", CAP, "--expect", exp_s]);
    assert_eq!(code, 1);
    assert!(err.contains("AUTH-5"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn annotate_writes_findings_as_packet_comments() {
    let out = std::env::temp_dir().join(format!("mvtp-annotated-{}.pcapng", std::process::id()));
    let (code, _, err) = mvtp(&["check", CAP, "--keys", KEYS, "--annotate", out.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    let f = std::fs::File::open(&out).unwrap();
    let mut r = dissector::capture::CaptureReader::new(f).unwrap();
    let mut n = 0;
    let mut comment21 = None;
    while let Some(p) = r.next_packet().unwrap() {
        n += 1;
        if n == 21 {
            comment21 = p.comment.map(str::to_string);
        }
    }
    assert_eq!(n, 28);
    assert!(comment21.as_deref().is_some_and(|c| c.contains("FMT-2")), "{comment21:?}");
    let _ = std::fs::remove_file(out);
}

#[test]
fn stats_counts_the_capture() {
    let (code, out, err) = mvtp(&["stats", CAP, "--keys", KEYS, "-T", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["total"]["packets"], 28);
    assert!(v["mvtp_types"]["4"].as_u64().unwrap() >= 4, "MV-RRQs counted: {}", v["mvtp_types"]);
    assert!(v["hierarchy"].get("eth/mvtp").is_some());
    let (code, text, _) = mvtp(&["stats", CAP]);
    assert_eq!(code, 0);
    assert!(text.contains("protocol hierarchy") && text.contains("conversations"), "{text}");
}
