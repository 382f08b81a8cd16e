//! Spec vectors (`../shared/spec/vectors/public/*.json`, format in its README): each vector
//! is dissected from its framing's first octet with its keys; every listed field must have
//! exactly the listed value(s), the listed `expect_error` must be the packet's only error
//! (kind, clause, offset) and `expect_warning` exactly its warnings, in order.
//! The files are read at test time, so new vectors are picked up without changes.
//! `MVTP_VECTOR=04` restricts the run to matching file names.

use dissector::model::Dissection;
use dissector::{Dissector, Keys, Proto};
use serde_json::{Map, Value as J};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.join("../../shared/spec/vectors/public")
}

fn framing_proto(framing: &str) -> Proto {
    match framing {
        "mvtp" => Proto::Mvtp,
        "ethernet" => Proto::Ethernet,
        "ieee80211" => Proto::Ieee80211,
        "radiotap" => Proto::Radiotap,
        "ipv4" => Proto::Ipv4,
        "l2tp" => Proto::L2tp,
        "mip" => Proto::Mip,
        "icmp" => Proto::Icmp,
        other => panic!("unknown framing {other}"),
    }
}

/// Field name → values in packet order.
fn collect(d: &Dissection, frame: &[u8]) -> Map<String, J> {
    let mut m = Map::new();
    for f in &d.fields {
        let entry = m.entry(f.name.to_string()).or_insert_with(|| J::Array(vec![]));
        if f.value == dissector::Value::Empty {
            continue; // list marker: the list exists, possibly empty
        }
        let v = d.to_json(frame, f);
        if let J::Array(a) = entry {
            a.push(v);
        }
    }
    m
}

/// Checks one vector; returns the list of problems.
fn check(v: &J) -> Vec<String> {
    let mut problems = Vec::new();
    let hex = v["hex"].as_str().expect("hex");
    let frame = hex::decode(hex).expect("hex decodes");
    let keys = match v.get("keys") {
        Some(k) => Keys::from_value(k).expect("vector keys parse"),
        None => Keys::default(),
    };
    let mut dis = Dissector::new(Default::default(), keys);
    let mut d = Dissection::default();
    dis.dissect_as(framing_proto(v["framing"].as_str().expect("framing")), &frame, &mut d);
    let got = collect(&d, &frame);

    for (name, want) in v["fields"].as_object().expect("fields") {
        let have = got.get(name);
        // A listed list must be present even when empty: layers emit a `Value::Empty`
        // marker for always-a-list fields.
        let ok = match (want, have) {
            (J::Array(w), Some(J::Array(h))) => w == h,
            (w, Some(J::Array(h))) => h.len() == 1 && &h[0] == w,
            (_, _) => false,
        };
        if !ok {
            problems.push(format!(
                "field {name}: want {want}, have {}",
                have.map_or("(absent)".to_string(), |h| h.to_string())
            ));
        }
    }

    let errors: Vec<_> = d.diagnostics.iter().filter(|p| p.diag.severity == codec::Severity::Error).collect();
    let warnings: Vec<_> = d.diagnostics.iter().filter(|p| p.diag.severity == codec::Severity::Warning).collect();
    match v.get("expect_error") {
        Some(e) => {
            let want = (
                e["kind"].as_str().unwrap().to_string(),
                e["clause"].as_str().unwrap().to_string(),
                e["offset"].as_u64().unwrap() as usize,
            );
            let have: Vec<_> = errors
                .iter()
                .map(|p| {
                    (
                        p.diag.kind.map_or("-", |k| k.as_str()).to_string(),
                        p.diag.clause.unwrap_or("-").to_string(),
                        p.diag.offset,
                    )
                })
                .collect();
            if have != vec![want.clone()] {
                problems.push(format!("errors: want [{want:?}], have {have:?}"));
            }
        }
        None => {
            for p in &errors {
                problems.push(format!("unexpected error: {}", p.diag));
            }
        }
    }
    let want_w: Vec<(String, usize)> = v
        .get("expect_warning")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .map(|w| (w["clause"].as_str().unwrap().to_string(), w["offset"].as_u64().unwrap() as usize))
                .collect()
        })
        .unwrap_or_default();
    let have_w: Vec<(String, usize)> =
        warnings.iter().map(|p| (p.diag.clause.unwrap_or("-").to_string(), p.diag.offset)).collect();
    if want_w != have_w {
        problems.push(format!(
            "warnings: want {want_w:?}, have {have_w:?} ({})",
            warnings.iter().map(|p| p.diag.to_string()).collect::<Vec<_>>().join("; ")
        ));
    }
    problems
}

#[test]
fn every_public_vector_dissects_to_its_fields() {
    let filter = std::env::var("MVTP_VECTOR").unwrap_or_default();
    let mut paths: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("shared/spec/vectors/public is beside the repo")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(&filter))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors found");
    let mut failed = 0;
    for p in &paths {
        let v: J = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let problems = check(&v);
        let name = p.file_name().unwrap().to_string_lossy();
        if problems.is_empty() {
            println!("PASS {name}");
        } else {
            failed += 1;
            println!("FAIL {name}");
            for pr in problems {
                println!("     {pr}");
            }
        }
    }
    println!("{} vectors, {} passed, {} failed", paths.len(), paths.len() - failed, failed);
    assert_eq!(failed, 0, "{failed} of {} vectors failed (run with --nocapture for details)", paths.len());
}
