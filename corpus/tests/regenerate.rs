//! The committed corpus is exactly what the generator writes today (byte for byte).

#[test]
fn committed_corpus_matches_a_fresh_generation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("mvtp-corpus-{}", std::process::id()));
    let files = corpus::generate(&root.join(corpus::VECTORS_DIR), &tmp).expect("generate");
    assert!(!files.is_empty());
    for f in files {
        let name = f.file_name().unwrap();
        let fresh = std::fs::read(&f).unwrap();
        let committed = std::fs::read(root.join("captures").join(name)).expect("committed file exists");
        assert!(fresh == committed, "{} differs: run `cargo run -p corpus -- generate`", name.to_string_lossy());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn wrappers_put_the_vector_octets_at_the_stated_offset() {
    let pdu = [0x10, 0x02, 0x00, 0x08, 0, 0, 0, 0];
    for framing in ["mvtp", "l2tp", "mip", "icmp", "ethernet"] {
        let (_, frame, off) = corpus::wrap(framing, &pdu).unwrap();
        assert_eq!(&frame[off..], &pdu, "{framing}");
    }
}
