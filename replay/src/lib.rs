//! Offline rewriting of captured frames (issue 10, `mvtp replay --rewrite-only`).
//!
//! A frame is parsed into nested owned headers ([`codec::stack::parse`]); the rewrite
//! rules ([`Rules`]) are applied at every nesting depth (outer and inner Ethernet, IPv4,
//! UDP/TCP, GRE); the frame is then re-emitted, recomputing each IPv4 header, UDP, TCP and
//! GRE checksum that was valid before the rewrite (or every one with `fix_checksums`).
//! Lengths are always derived from the content. ESP payloads are not decrypted here: an
//! address rule that would reach inside ESP is reported as "not rewritten: encrypted".

#![deny(missing_docs)]

pub mod rewrite;
pub mod rules;

pub use rewrite::{checksum_counts, ipv4_addresses, rewrite_frame, Outcome, Stats};
pub use rules::{parse_mac, Cidr, MapError, Rules};
