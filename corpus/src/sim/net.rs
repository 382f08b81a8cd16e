//! The simulator's network: a deterministic clock and event queue driving the reference
//! agents, with per-link one-way latency and seeded loss and duplication.
//!
//! Same model as `agents::harness::Net` (whose [`Node`] it uses), with the link knobs
//! the corpus needs: the access links and the core have their own latency; a packet may
//! be lost (it is still on the sender's link, where the capture is taken) or duplicated
//! (on the core only; the copy follows 1 ms later, and is captured as a second frame). Events at the same
//! time run in insertion order; every random draw comes from the seeded PRNGs.

use agents::harness::Node;
use agents::{Action, Addr, Client, Event, Fa, Iface, Packet, Rng, Rx, Server, Time, Timer};
use codec::ethernet::{BROADCAST, MVTP_MULTICAST};
use std::collections::BTreeMap;

/// One packet sent during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// When it was sent (the capture time).
    pub at: Time,
    /// Sender.
    pub from: Node,
    /// Receiver, when one was found.
    pub to: Option<Node>,
    /// True when the loss model dropped it on its way.
    pub lost: bool,
    /// True for the duplicate copy made by the duplication knob.
    pub dup: bool,
    /// The packet as sent.
    pub tx: Rx,
}

#[derive(Debug, Clone)]
enum Item {
    Deliver(Node, Event),
    Timer(Node, Timer, u64),
}

/// Loss or duplication: probability in per mille, drawn from its own PRNG.
#[derive(Debug, Clone)]
pub struct Chance {
    /// Probability, per mille.
    pub per_mille: u32,
    rng: Rng,
}

impl Chance {
    /// `per_mille` ‰ with the PRNG seeded by `seed`.
    pub fn new(per_mille: u32, seed: u64) -> Self {
        Self {
            per_mille,
            rng: Rng::new(seed),
        }
    }
    fn draw(&mut self) -> bool {
        self.rng.next_u32() % 1000 < self.per_mille
    }
}

/// Holds back the first packet matching `pick` by `extra_ms` on its way (it is captured
/// when sent; it arrives late, after packets sent after it).
#[derive(Debug, Clone)]
pub struct Delay {
    /// Which packet: sender and packet.
    pub pick: fn(Node, &Rx) -> bool,
    /// Extra one-way delay, ms.
    pub extra_ms: u64,
    /// Set once it has been applied.
    pub used: bool,
}

/// The network.
#[derive(Debug, Clone)]
pub struct Net {
    /// Current time, ms since the Unix epoch.
    pub now: Time,
    /// Clients.
    pub clients: Vec<Client>,
    /// FAs.
    pub fas: Vec<Fa>,
    /// Servers.
    pub servers: Vec<Server>,
    /// Which FA's access link each client is on (`None`: on no link).
    pub attached: Vec<Option<usize>>,
    /// One-way latency on an access link, ms.
    pub access_latency_ms: u64,
    /// One-way latency across the core, ms.
    pub core_latency_ms: u64,
    /// Loss knob (none by default).
    pub loss: Option<Chance>,
    /// Duplication knob for the core (none by default). Access links never duplicate: a
    /// duplicated client frame cannot be told from a retransmission that repeats its
    /// Identification (a PROC-4 violation) by anyone reading the capture.
    pub duplication: Option<Chance>,
    /// Packets held back on their way (scenario knob).
    pub delays: Vec<Delay>,
    /// Encoding or decoding failures (every MVTP PDU is encoded and decoded between agents).
    pub wire_errors: Vec<(Time, Node, String)>,
    /// Every packet sent.
    pub trace: Vec<Sent>,
    queue: BTreeMap<(Time, u64), Item>,
    seq: u64,
    timers: BTreeMap<(Node, Timer), u64>,
}

impl Net {
    /// An empty network at `now`.
    pub fn new(now: Time) -> Self {
        Self {
            now,
            clients: Vec::new(),
            fas: Vec::new(),
            servers: Vec::new(),
            attached: Vec::new(),
            access_latency_ms: 2,
            core_latency_ms: 2,
            loss: None,
            duplication: None,
            delays: Vec::new(),
            wire_errors: Vec::new(),
            trace: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            timers: BTreeMap::new(),
        }
    }

    /// Adds a client on FA `fa`'s link (or none); returns its index.
    pub fn add_client(&mut self, c: Client, fa: Option<usize>) -> usize {
        self.clients.push(c);
        self.attached.push(fa);
        self.clients.len() - 1
    }

    /// Adds an FA and starts it now; returns its index.
    pub fn add_fa(&mut self, fa: Fa) -> usize {
        self.fas.push(fa);
        let i = self.fas.len() - 1;
        self.schedule(self.now, Node::Fa(i), Event::Start);
        i
    }

    /// Adds a server; returns its index.
    pub fn add_server(&mut self, s: Server) -> usize {
        self.servers.push(s);
        self.servers.len() - 1
    }

    fn push(&mut self, at: Time, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    /// Delivers `event` to `node` at `at`.
    pub fn schedule(&mut self, at: Time, node: Node, event: Event) {
        self.push(at, Item::Deliver(node, event));
    }

    /// Runs every queued item up to `until`, then moves `until` to the link of FA
    /// `fa` and tells it to roam there (`known`: with the FA's 802 address; otherwise
    /// it solicits) [PROC-10, PROC-15].
    pub fn roam(&mut self, until: Time, c: usize, fa: Option<usize>, known: bool) {
        self.run_until(until);
        if let Some(a) = self.attached.get_mut(c) {
            *a = fa;
        }
        let mac = fa
            .and_then(|f| self.fas.get(f))
            .map(|f| f.config().mac)
            .filter(|_| known);
        self.schedule(until, Node::Client(c), Event::Roam { fa: mac });
    }

    /// Runs every queued item up to and including `until`.
    pub fn run_until(&mut self, until: Time) {
        while let Some(entry) = self.queue.first_entry() {
            let (at, _) = *entry.key();
            if at > until {
                break;
            }
            let item = entry.remove();
            self.now = self.now.max(at);
            match item {
                Item::Deliver(node, ev) => self.dispatch(node, ev),
                Item::Timer(node, t, gen) => {
                    if self.timers.get(&(node, t)) == Some(&gen) {
                        self.timers.remove(&(node, t));
                        self.dispatch(node, Event::TimerFired(t));
                    }
                }
            }
        }
        self.now = self.now.max(until);
    }

    fn dispatch(&mut self, node: Node, ev: Event) {
        let now = self.now;
        let actions = match node {
            Node::Client(i) => self.clients.get_mut(i).map(|c| c.handle(now, ev)),
            Node::Fa(i) => self.fas.get_mut(i).map(|f| f.handle(now, ev)),
            Node::Server(i) => self.servers.get_mut(i).map(|s| s.handle(now, ev)),
        };
        for a in actions.unwrap_or_default() {
            match a {
                Action::Send(tx) => self.send(node, tx),
                Action::SetTimer { timer, at } => {
                    self.seq += 1;
                    let gen = self.seq;
                    self.timers.insert((node, timer), gen);
                    self.push(at.max(now), Item::Timer(node, timer, gen));
                }
                Action::CancelTimer(timer) => {
                    self.timers.remove(&(node, timer));
                }
                Action::Indicate(_) => {}
            }
        }
    }

    fn route(&self, from: Node, tx: &Rx) -> Vec<Node> {
        match (tx.iface, tx.addr) {
            (Iface::Access, Addr::Link { dst, .. }) => {
                let group = dst == MVTP_MULTICAST || dst == BROADCAST;
                match from {
                    Node::Client(c) => match self.attached.get(c) {
                        Some(Some(f)) if self.fas.get(*f).is_some_and(|fa| group || fa.config().mac == dst) => {
                            vec![Node::Fa(*f)]
                        }
                        _ => Vec::new(),
                    },
                    Node::Fa(f) => (0..self.clients.len())
                        .filter(|&c| self.attached.get(c) == Some(&Some(f)))
                        .filter(|&c| group || self.clients.get(c).is_some_and(|x| x.config().mac == dst))
                        .map(Node::Client)
                        .collect(),
                    Node::Server(_) => Vec::new(),
                }
            }
            (Iface::Core, Addr::Ip { dst, .. }) => {
                if let Some(s) = self.servers.iter().position(|s| s.config().addr == dst) {
                    vec![Node::Server(s)]
                } else if let Some(f) = self.fas.iter().position(|f| f.config().coa == dst) {
                    vec![Node::Fa(f)]
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    fn send(&mut self, from: Node, mut tx: Rx) {
        if let Packet::Mvtp(m) = &tx.packet {
            let back = agents::wire::encode(m)
                .map_err(|e| e.to_string())
                .and_then(|octets| agents::wire::decode(&octets).map_err(|e| e.to_string()));
            match back {
                Ok(m) => tx.packet = Packet::Mvtp(m),
                Err(e) => {
                    self.wire_errors.push((self.now, from, e));
                    return;
                }
            }
        }
        let mut latency = match tx.iface {
            Iface::Access => self.access_latency_ms,
            Iface::Core => self.core_latency_ms,
        };
        if let Some(d) = self.delays.iter_mut().find(|d| !d.used && (d.pick)(from, &tx)) {
            d.used = true;
            latency += d.extra_ms;
        }
        let to = self.route(from, &tx);
        let dup = tx.iface == Iface::Core && self.duplication.as_mut().is_some_and(Chance::draw);
        for copy in 0..(1 + u64::from(dup)) {
            let at = self.now + copy;
            if to.is_empty() {
                self.trace.push(Sent {
                    at,
                    from,
                    to: None,
                    lost: false,
                    dup: copy > 0,
                    tx: tx.clone(),
                });
                continue;
            }
            for &node in &to {
                let lost = self.loss.as_mut().is_some_and(Chance::draw);
                self.trace.push(Sent {
                    at,
                    from,
                    to: Some(node),
                    lost,
                    dup: copy > 0,
                    tx: tx.clone(),
                });
                if !lost {
                    self.schedule(at + latency, node, Event::Received(tx.clone()));
                }
            }
        }
    }
}
