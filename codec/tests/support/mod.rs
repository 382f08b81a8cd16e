//! Shared by the codec's integration tests: the public spec vectors
//! (`shared/spec/vectors/public/*.json`, format in its README) and their keys.
#![allow(dead_code)]

use codec::auth::{Algorithm, AuthKey, KeyStore};
use serde_json::Value as J;
use std::path::PathBuf;

/// `shared/`, beside the repository (spec, vectors, test data).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The folder of the public spec vectors.
pub fn vectors_dir() -> PathBuf {
    shared_dir().join("spec/vectors/public")
}

/// Every vector as (file name, JSON), sorted by name. Empty, with a printed SKIP, when the
/// folder is not there.
pub fn vectors() -> Vec<(String, J)> {
    let dir = vectors_dir();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        println!("SKIP: no vectors at {}", dir.display());
        return vec![];
    };
    let mut out: Vec<(String, J)> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The vector whose file name starts with `prefix` (`"13-"`).
pub fn vector(prefix: &str) -> J {
    vectors()
        .into_iter()
        .find(|(n, _)| n.starts_with(prefix))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("vector {prefix} missing"))
}

/// The vector's octets (`hex`).
pub fn octets(v: &J) -> Vec<u8> {
    hex::decode(v["hex"].as_str().unwrap_or_default()).expect("hex")
}

/// The authentication keys of one section of a vector's `keys` (`mvtp_auth`, `mip_auth`).
pub fn keystore(v: &J, section: &str) -> KeyStore {
    let mut k = KeyStore::new();
    for e in v["keys"][section].as_array().into_iter().flatten() {
        let algorithm = Algorithm::parse(e["algorithm"].as_str().unwrap_or_default()).expect("algorithm");
        let secret = hex::decode(e["secret_hex"].as_str().unwrap_or_default()).expect("secret_hex");
        k.insert(e["spi"].as_u64().expect("spi") as u32, AuthKey { algorithm, secret });
    }
    k
}
