//! An arbitrary (canonical) owned PDU → emit → parse gives it back; signing with a key for
//! every SPI makes every authenticator verify (spec §4).
#![no_main]

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::mvtp::{self, AvpValue, Pdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|p: Pdu| {
    let Ok(bytes) = p.to_bytes() else { return }; // e.g. more than 65535 octets
    assert_eq!(bytes.len(), p.buffer_len());
    let back = Pdu::parse(&bytes).expect("an emitted canonical PDU parses");
    assert_eq!(back, p);
    let mut keys = KeyStore::new();
    for a in &p.avps {
        if let AvpValue::Auth(x) = &a.value {
            let algorithm = if x.spi % 2 == 0 { Algorithm::HmacMd5 } else { Algorithm::HmacSha256 };
            keys.insert(x.spi, AuthKey { algorithm, secret: x.spi.to_be_bytes().to_vec() });
        }
    }
    let mut signed = Vec::new();
    if p.emit_signed(&mut signed, &keys).is_ok() {
        let (_, report) = mvtp::decode(&signed, Some(&keys)).expect("signed PDU decodes");
        assert!(report.auth.iter().all(|c| c.valid), "signed authenticator does not verify");
    }
});
