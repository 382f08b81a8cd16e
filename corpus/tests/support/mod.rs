//! Shared by the corpus tests: the manifest's entries and judging a capture as
//! `mvtp check --keys` does.

use dissector::capture::CaptureReader;
use dissector::check::{CheckConfig, Checker, Report};
use dissector::{Config, Dissection, Dissector, Keys};
use std::path::{Path, PathBuf};

/// The corpus crate's folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One `[[capture]]` of `corpus/manifest.toml`.
#[allow(dead_code)]
pub struct Entry {
    pub name: String,
    pub file: PathBuf,
    pub keys: PathBuf,
    pub expect: Option<PathBuf>,
    pub faults: usize,
    pub link_files: Vec<PathBuf>,
}

/// Every capture the manifest lists.
pub fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(root().join("manifest.toml")).expect("corpus/manifest.toml");
    let v: toml::Value = toml::from_str(&text).expect("manifest parses");
    let caps = v.get("capture").and_then(|c| c.as_array()).expect("[[capture]] entries");
    let p = |x: &toml::Value, k: &str| x.get(k).and_then(|s| s.as_str()).map(|s| root().join(s));
    caps.iter()
        .map(|c| Entry {
            name: c.get("name").and_then(|s| s.as_str()).unwrap_or_default().to_string(),
            file: p(c, "file").expect("file"),
            keys: p(c, "keys").expect("keys"),
            expect: p(c, "expect"),
            faults: c.get("faults").and_then(|f| f.as_array()).map_or(0, Vec::len),
            link_files: c
                .get("link_files")
                .and_then(|f| f.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str()).map(|s| root().join(s)).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Dissects and judges a capture as `mvtp check --keys` does.
pub fn judge(file: &Path, keys: &Path) -> Report {
    let keys = Keys::from_json(&std::fs::read_to_string(keys).expect("keys file")).expect("keys parse");
    let mut dissector = Dissector::new(Config::default(), keys);
    let mut reader = CaptureReader::new(std::fs::File::open(file).expect("capture")).expect("capture header");
    let mut checker = Checker::new(CheckConfig::default());
    let mut d = Dissection::default();
    let mut n = 0u64;
    while let Some(p) = reader.next_packet().expect("capture reads") {
        n += 1;
        let ts = p.ts.as_f64();
        dissector.set_time(ts);
        dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
        checker.packet(n, ts, &d, p.data);
    }
    checker.finish(true)
}
