//! ICMP with router discovery and agent advertisement extensions: any octets parse or fail; a message that parses re-encodes exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = codec::icmp::Icmp::parse(data) {
        let mut out = Vec::new();
        m.emit(&mut out).expect("a parsed message emits");
        assert_eq!(&out[..], data, "ICMP round trip");
    }
});
