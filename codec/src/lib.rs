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

pub mod agent_adv;
pub mod auth;
pub mod bytes;
pub mod emit;
pub mod error;
pub mod esp;
pub mod gid;
pub mod numbers;
#[cfg(feature = "serde")]
pub mod serde_hex;
pub mod serial;

pub use error::{DecodeError, Diagnostic, EncodeError, Kind, Severity};
