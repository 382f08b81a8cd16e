//! Mobile IPv4 (RFC 5944, 3519, 3543, 5265): any octets parse or fail; a message that parses re-encodes exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = codec::mip::Message::parse(data) {
        assert_eq!(m.to_bytes().expect("a parsed message emits"), data, "MIP round trip");
    }
    if let Ok(v) = codec::mip::MessageView::new(data) {
        let _ = v.diagnostics();
    }
});
