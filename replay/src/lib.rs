//! Capture replay (issue 10): offline rewriting (`mvtp replay -w`) and frame replay on an
//! interface (`mvtp replay -i`), see docs/replay.md.
//!
//! A frame is parsed into nested owned headers ([`codec::stack::parse`]); the rewrite
//! rules ([`Rules`]) are applied at every nesting depth (outer and inner Ethernet, IPv4,
//! UDP/TCP, GRE, and inside ESP when the SAs are given); MVTP and Mobile IPv4
//! Identifications can be refreshed and their authenticators re-signed; the frame is then
//! re-emitted, recomputing each IPv4 header, UDP, TCP and GRE checksum that was valid
//! before the rewrite (or every one with `fix_checksums`) and re-encrypting ESP.
//! Lengths are always derived from the content.

#![deny(missing_docs)]

pub mod link;
pub mod pace;
mod payload;
pub mod pcapout;
pub mod rewrite;
pub mod rules;
#[cfg(target_os = "linux")]
pub mod send;

pub use rewrite::{
    checksum_counts, ipv4_addresses, rewrite_frame, Config, Outcome, Output, Rewriter, Stats,
};
pub use rules::{parse_mac, Cidr, Cidr6, MapError, Rules};
