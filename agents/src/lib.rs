//! # mvtp agents
//!
//! Deterministic reference endpoints of MVTP v1 (`../shared/spec/mvtp-v1.md` §4–§6) in a
//! sans-IO style: a [`Client`], a foreign agent ([`Fa`]) and a [`Server`] are state
//! machines that take an [`Event`] and the caller's clock ([`Time`], milliseconds) and
//! return the [`Action`]s to perform — send a PDU on an interface to an address, set or
//! cancel a timer, tell the higher layer something. They open no socket, read no clock
//! and draw randomness only from the seeded [`Rng`] given to them, so one seed and one
//! event schedule always give the same run: a simulator, replay responders and
//! `mvtp agent` can all drive them.
//!
//! Every agent has fault-injection knobs ([`ClientFault`], [`FaFault`], [`ServerFault`]),
//! all off by default, that break one rule each so that a simulator can produce a failing
//! capture for every clause.
//!
//! PDUs are [`Msg`] values (the fields the procedures use); [`wire`] maps them to the
//! codec's owned `codec::mvtp::Pdu` and octets, and [`auth`] computes the AUTH-1
//! authenticators with the codec. [`harness`] wires agents together in memory (used by
//! the tests and usable by a simulator).
//!
//! Mobile IPv4 across a VPN (spec §8, RFC 5265) has its own sans-IO agents, which take and
//! return IPv4 packets: [`mn::MobileNode`] (parallel registration with the internal and
//! external home agents, inside on a TNC reply, T_MONITOR, outside → VPN + inner
//! registration; access modes c, f, cvc, fvc; RFC 3519 / RFC 3948 NAT traversal),
//! [`ha::HomeAgent`] (i-HA with trusted subnets and TNC, or x-HA), [`mip::MipFa`] (foreign
//! agent or proxy registration agent) and [`ipsec::EspSa`] (ESP with real encryption,
//! the SPI split of spec §6).
//!
//! ```
//! use agents::harness::{self, Node, T0};
//! use agents::{Event, Indication};
//!
//! // One server, two FAs, one client on FA 0's link; Connect IDs from seed 1.
//! let mut net = harness::standard(1, 2, 1);
//! net.schedule(T0 + 10, Node::Client(0), Event::Connect);
//! net.run_for(2_000);
//! assert!(net.clients[0].is_open());
//! net.roam(net.now, 0, Some(1), true); // PROC-15: re-register at once with N = 1
//! net.run_for(2_000);
//! assert!(net.fas[1].is_open_for(harness::client_mac(0)));
//! assert!(!net.fas[0].is_open_for(harness::client_mac(0)));
//! // Every PDU sent is in the trace, ready to be framed and encoded:
//! let octets = agents::wire::encode(net.pdus().next().unwrap().1).unwrap();
//! assert_eq!(octets[0] >> 4, 1); // MVTP version 1
//! assert!(net.indications.iter().any(|(_, n, i)| *n == Node::Client(0) && matches!(i, Indication::Open { .. })));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod common;
pub mod fa;
pub mod gateway;
pub mod ha;
pub mod harness;
pub mod l2tp;
pub mod l2tp_ppp;
pub mod lns;
pub mod ipsec;
pub mod mip;
pub mod mn;
pub mod msg;
pub mod server;
pub mod wire;

pub use client::{Client, ClientConfig, ClientFault, ClientState};
pub use common::{Action, Addr, Event, Faults, Iface, Indication, Packet, Rng, Rx, Time, Timer, Tx};

pub use fa::{Fa, FaConfig, FaFault};
pub use msg::{Auth, AuthRole, Body, Msg, Reg};
pub use server::{Server, ServerConfig, ServerFault};
