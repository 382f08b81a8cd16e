//! Octets that parse re-encode to exactly the octets consumed (PDU Length of them), and
//! the re-encoded PDU parses to the same Repr (STYLE §5 round-trip laws).
#![no_main]

use codec::mvtp::{Pdu, PduView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Pdu::parse(data) {
        let n = PduView::new(data).map(|v| usize::from(v.pdu_length())).expect("parsed, so the view checks");
        let out = p.to_bytes().expect("a parsed PDU re-encodes");
        assert_eq!(out, &data[..n], "re-encoding differs");
        assert_eq!(Pdu::parse(&out).expect("re-encoded PDU parses"), p);
    }
});
