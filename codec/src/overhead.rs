//! Encapsulation overhead per RFC 5265 access mode (spec §8 MIP-7).
//!
//! The dissector reports, for a packet whose IPv4 stack matches a mode, the octets around
//! the innermost user packet (outer datagram length minus inner datagram length: IP
//! headers, UDP and MIP tunnel headers, ESP header, IV, padding, trailer and ICV as
//! observed) and the mode: `c` = IP-in-IP (or a MIP UDP tunnel) to a home agent around the
//! user packet; `fvc` = IP / ESP (or ESP in UDP) / IP-in-IP; `cvc` = IP-in-IP around `fvc`.

use crate::fields::{FieldDef, FieldType};

/// Access modes of RFC 5265 §2 that show on the mobile node's link.
pub const MODES: [&str; 3] = ["c", "fvc", "cvc"];

/// Maximum overhead per mode with 3DES/HMAC-SHA1-96 style ESP, without NAT traversal
/// (spec MIP-7): (mode, octets).
pub const MAX_PLAIN: [(&str, usize); 3] = [("c", 20), ("fvc", 77), ("cvc", 97)];

/// Maximum overhead per mode with NAT traversal (spec MIP-7).
pub const MAX_NAT_T: [(&str, usize); 3] = [("c", 32), ("fvc", 85), ("cvc", 129)];

/// IPv4 header without options.
const IP: usize = 20;
/// UDP header.
const UDP: usize = 8;
/// MIP UDP tunnel data header (RFC 3519 §3.1).
const MIP_TUNNEL: usize = 4;
/// ESP header (SPI, sequence).
const ESP_HDR: usize = 8;

/// The overhead of a stack described by its parts: `esp` is (IV, padding, ICV) when the
/// mode has ESP; `nat` adds UDP encapsulation of ESP and MIP UDP tunnels.
pub fn predicted(mode: &str, esp: (usize, usize, usize), nat: bool) -> Option<usize> {
    let tunnel = if nat { IP + UDP + MIP_TUNNEL } else { IP };
    let (iv, pad, icv) = esp;
    let esp_total = IP + if nat { UDP } else { 0 } + ESP_HDR + iv + pad + 2 + icv;
    match mode {
        "c" => Some(tunnel),
        "fvc" => Some(esp_total + IP), // the inner Mobile IP tunnel stays IP-in-IP
        "cvc" => Some(tunnel + esp_total + tunnel),
        _ => None,
    }
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("overhead", FieldType::Protocol, "Encapsulation overhead (spec MIP-7)"),
    FieldDef::new("overhead.bytes", FieldType::Uint, "Octets around the innermost user packet"),
    FieldDef::new("overhead.mode", FieldType::Text, "RFC 5265 access mode the stack matches: c, fvc, cvc"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The maxima of spec MIP-7 follow from the parts (8-octet IV, 7 padding, 12 ICV).
    #[test]
    fn mip_7_maxima() {
        for (m, n) in MAX_PLAIN {
            assert_eq!(predicted(m, (8, 7, 12), false), Some(n), "{m}");
        }
        assert_eq!(predicted("c", (0, 0, 0), true), Some(32));
        // fvc with NAT-T: ESP in UDP only (85); cvc: MIP UDP tunnels on both levels (129).
        assert_eq!(predicted("fvc", (8, 7, 12), true), Some(85));
        assert_eq!(predicted("cvc", (8, 7, 12), true), Some(129));
    }
}
