//! PPP (RFC 1661/1990): any octets parse or fail; a frame that parses re-encodes exactly, in both Multilink sequence formats.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for short in [false, true] {
        let opts = codec::ppp::ParseOptions { mp_short_seq: short };
        if let Ok(f) = codec::ppp::Frame::parse_with(data, opts) {
            let mut out = Vec::new();
            f.emit(&mut out).expect("a parsed frame emits");
            assert_eq!(&out[..], data, "PPP round trip");
        }
    }
});
