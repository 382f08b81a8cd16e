//! Scenario families besides the MVTP simulator of [`crate::scenarios`]: each module
//! drives its own agents and hands its captures over as [`crate::Built`] values, and is
//! registered with one line in [`crate::families`].

pub mod l2tp;
pub mod mip;
