//! # mvtp dissector
//!
//! Reads captures, dissects every layer of every packet through the codec, filters,
//! prints and counts. Knows nothing of terminals: it produces [`model::Dissection`]s that
//! the outputs, the conformance engine, the TUI and replay consume.
#![forbid(unsafe_code)]

pub mod access;
pub mod capture;
pub mod check;
pub mod cx;
pub mod engine;
pub mod filter;
pub mod keys;
pub mod layers;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod reassembly;
pub mod stats;

pub use cx::Cx;
pub use engine::{Config, Dissector, Next, Proto};
pub use keys::Keys;
pub use model::{BufferId, Dissection, Field, Layer, Value};
