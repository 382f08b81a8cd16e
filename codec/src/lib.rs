//! # mvtp codec
//!
//! Symmetric, zero-copy-capable encoders and decoders for MVTP v1 (`../shared/spec/mvtp-v1.md`)
//! and the protocols it travels with. Each layer has a borrowed view (checked once, then
//! infallible getters) for fast dissection and an owned `Repr` with mirrored `parse` /
//! `emit` for building, serde and fuzzing (STYLE §4–§5).
//!
//! The codec knows nothing of captures or terminals: it turns octets into typed values and
//! back, and reports every problem as a [`DecodeError`] or [`Diagnostic`] with a kind, a
//! clause and an offset (spec §2.1).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

// Core.
pub mod auth;
pub mod bytes;
pub mod emit;
pub mod error;
pub mod fields;
pub mod numbers;
#[cfg(feature = "serde")]
pub mod serde_hex;
pub mod serial;

// Values shared by several protocols.
pub mod agent_adv;
pub mod gid;

// Link layers.
pub mod ethernet;
pub mod ieee80211;
pub mod llc;
pub mod radiotap;
pub mod sll;
pub mod vlan;

// Network and transport.
pub mod checksum;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

// Tunnels and security.
pub mod ah;
pub mod esp;
pub mod gre;
pub mod ike;

// PPP, L2TP, Mobile IPv4, MVTP.
pub mod l2tp;
pub mod mip;
pub mod mvtp;
pub mod ppp;

// Whole stacks: builder and encapsulation overhead (spec MIP-7).
pub mod overhead;
pub mod stack;

pub use error::{DecodeError, Diagnostic, EncodeError, Kind, Severity};
