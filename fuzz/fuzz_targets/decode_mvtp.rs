//! Any octets through the MVTP view, the spec §2.1 check (with a key, so the HMAC path
//! runs) and the owned parse: no panic, no hang, no out-of-bounds read.
#![no_main]

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::mvtp::{self, Pdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut keys = KeyStore::new();
    keys.insert(256, AuthKey { algorithm: Algorithm::HmacMd5, secret: b"fuzz".to_vec() });
    if let Ok((v, report)) = mvtp::decode(data, Some(&keys)) {
        for a in v.avps().flatten() {
            let _ = a.decode();
        }
        let _ = report.diagnostics();
        let _ = v.to_string();
    }
    let _ = Pdu::parse(data);
});
