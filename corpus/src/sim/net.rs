//! The simulator's network: the agents' own deterministic network
//! ([`agents::harness::Net`]: one event queue ordered by time and insertion, seeded loss
//! and duplication, packets held back on purpose), set up for the corpus: the access links
//! and the core have their own latency, packets keep no per-path order (a held-back packet
//! is overtaken), and every MVTP PDU goes through the codec on its way (encoded and decoded
//! between agents; failures are kept in `wire_errors`).
//!
//! A packet the loss model drops is still in the trace (it was on the sender's link, where
//! the capture is taken); a duplicate follows its original 1 ms later, on the core only.

pub use agents::harness::{Delay, Net, Sent};
use agents::{Event, Rng, Time};

/// The corpus's network at `now`: `access_ms` one-way on an access link, `core_ms` across
/// the core, no loss and no duplication yet.
pub fn new(now: Time, access_ms: u64, core_ms: u64) -> Net {
    let mut net = Net::new(now);
    net.latency_ms = access_ms;
    net.core_latency_ms = Some(core_ms);
    net.fifo = false;
    net.through_wire = true;
    net
}

/// A per-mille chance drawn from its own PRNG seeded by `seed`.
pub fn chance(per_mille: u32, seed: u64) -> (u32, Rng) {
    (per_mille, Rng::new(seed))
}

/// Runs every queued item up to `until`, then moves client `c` to the link of FA `fa` and
/// tells it to roam there (`known`: with the FA's 802 address; otherwise it solicits)
/// [PROC-10, PROC-15].
pub fn roam(net: &mut Net, until: Time, c: usize, fa: Option<usize>, known: bool) {
    net.run_until(until);
    if let Some(a) = net.attached.get_mut(c) {
        *a = fa;
    }
    let mac = fa.and_then(|f| net.fas.get(f)).map(|f| f.config().mac).filter(|_| known);
    net.schedule(until, agents::harness::Node::Client(c), Event::Roam { fa: mac });
}
