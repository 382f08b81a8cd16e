//! The conformance engine (`mvtp check`): judges a capture against every clause of the
//! spec. This module holds the rule catalogue; the evaluation engine builds on it.

pub mod catalogue;
pub mod engine;
mod l2tp_rules;
mod mip_rules;
mod proc_rules;
#[cfg(test)]
mod testutil;
pub mod report;

pub use catalogue::{Rule, Scope, CATALOGUE};
pub use engine::{CheckConfig, Checker, Finding, Report};
pub use mip_rules::MobileNode;
