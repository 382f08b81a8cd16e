//! L2TPv2 (RFC 2661): any octets parse or fail with a typed error; a message that parses re-encodes to exactly the octets it covers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((m, n)) = codec::l2tp::Message::parse(data) {
        let mut out = Vec::new();
        m.emit(&mut out).expect("a parsed message emits");
        assert_eq!(&out[..], &data[..n], "L2TP round trip");
    }
});
