//! Replays the fuzz corpora of the MVTP targets (`fuzz/corpus/*mvtp*/`) and every file under
//! `fuzz/regressions/` through the MVTP decoder on stable `cargo test`: no panic, and
//! whatever parses re-encodes to exactly the octets it consumed (STYLE §5, §9).

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::mvtp::{self, Pdu, PduView};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_none_or(|x| x != "md") {
            out.push(p);
        }
    }
}

fn replay(data: &[u8], keys: &KeyStore) {
    if let Ok((v, report)) = mvtp::decode(data, Some(keys)) {
        for a in v.avps().flatten() {
            let _ = a.decode();
        }
        let _ = report.diagnostics();
        let _ = v.to_string();
    }
    if let Ok(p) = Pdu::parse(data) {
        let n = usize::from(PduView::new(data).unwrap().pdu_length());
        let out = p.to_bytes().unwrap();
        assert_eq!(out, &data[..n], "re-encoding differs");
        assert_eq!(Pdu::parse(&out).unwrap(), p);
    }
}

#[test]
fn fuzz_corpora_and_regressions_replay_without_panic() {
    let mut files = Vec::new();
    if let Ok(rd) = std::fs::read_dir(fuzz_dir().join("corpus")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().contains("mvtp") {
                files_under(&e.path(), &mut files);
            }
        }
    }
    files_under(&fuzz_dir().join("regressions"), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no corpus under fuzz/corpus/*mvtp*/");
    let mut keys = KeyStore::new();
    keys.insert(256, AuthKey { algorithm: Algorithm::HmacMd5, secret: b"fuzz".to_vec() });
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| replay(&data, &keys));
        assert!(r.is_ok(), "{} fails", f.display());
    }
    println!("{} corpus and regression files replayed", files.len());
}
