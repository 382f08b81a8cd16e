//! An in-memory network of agents: clients on access links to FAs, FAs and servers on a
//! core. Deterministic: one event queue ordered by (time, insertion), fixed latency per
//! hop (the core's may differ from the access links'), optional loss, jitter and core
//! duplication drawn from seeded [`Rng`]s, and packets held back on purpose ([`Delay`]).
//! Every packet sent is kept in [`Net::trace`] and every indication in
//! [`Net::indications`], so tests — and the corpus simulator, which runs on this network —
//! can check procedures on the whole run.

use crate::client::Client;
use crate::common::{Action, Addr, Event, Iface, Indication, Packet, Rng, Rx, Time, Timer};
use crate::fa::Fa;
use crate::server::Server;
use codec::ethernet::{BROADCAST, MVTP_MULTICAST};
use std::collections::BTreeMap;

/// A node of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// Client by index.
    Client(usize),
    /// FA by index.
    Fa(usize),
    /// Server by index.
    Server(usize),
}

/// One packet sent during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// When it was sent.
    pub at: Time,
    /// When it arrives (sent + latency + jitter); meaningless when lost.
    pub arrives: Time,
    /// Sender.
    pub from: Node,
    /// Receiver, when one was found.
    pub to: Option<Node>,
    /// True when the loss model dropped it.
    pub lost: bool,
    /// True for the copy made by the duplication knob (sent 1 ms after the original).
    pub dup: bool,
    /// The packet as sent.
    pub tx: Rx,
}

/// Holds back the first packet matching `pick` by `extra_ms` on its way (it is sent, and
/// traced, on time; it arrives late, after packets sent after it).
#[derive(Debug, Clone)]
pub struct Delay {
    /// Which packet: sender and packet.
    pub pick: fn(Node, &Rx) -> bool,
    /// Extra one-way delay, ms.
    pub extra_ms: u64,
    /// Set once it has been applied.
    pub used: bool,
}

#[derive(Debug, Clone)]
enum Item {
    Deliver(Node, Event),
    Timer(Node, Timer, u64),
    Attach(usize, Option<usize>),
}

/// The network.
#[derive(Debug, Clone)]
pub struct Net {
    /// Current time.
    pub now: Time,
    /// Clients.
    pub clients: Vec<Client>,
    /// FAs.
    pub fas: Vec<Fa>,
    /// Servers.
    pub servers: Vec<Server>,
    /// Which FA's access link each client is on.
    pub attached: Vec<Option<usize>>,
    /// One-way latency of every hop, ms.
    pub latency_ms: u64,
    /// One-way latency across the core when it differs from `latency_ms`, ms.
    pub core_latency_ms: Option<u64>,
    /// Loss: probability in per mille and its PRNG.
    pub loss: Option<(u32, Rng)>,
    /// Jitter: extra delay of each packet drawn from 0..=ms with its PRNG. Packets
    /// between two nodes stay in order when `fifo` is set; paths still race each other.
    pub jitter: Option<(u64, Rng)>,
    /// Keep packets between the same two nodes in order (default true).
    pub fifo: bool,
    /// Duplication on the core: probability in per mille and its PRNG (access links never
    /// duplicate: a duplicated client frame cannot be told from a retransmission that
    /// repeats its Identification).
    pub duplication: Option<(u32, Rng)>,
    /// Packets held back on their way.
    pub delays: Vec<Delay>,
    /// Encode every MVTP PDU with the codec and deliver what decoding gives back
    /// (default false); failures are kept in `wire_errors` and the packet dropped.
    pub through_wire: bool,
    /// Encoding or decoding failures seen with `through_wire`.
    pub wire_errors: Vec<(Time, Node, String)>,
    /// Every packet sent.
    pub trace: Vec<Sent>,
    /// Every indication, with time and node.
    pub indications: Vec<(Time, Node, Indication)>,
    queue: BTreeMap<(Time, u64), Item>,
    seq: u64,
    timers: BTreeMap<(Node, Timer), u64>,
    last_arrival: BTreeMap<(Node, Node), Time>,
}

impl Net {
    /// A network starting at `now` with no loss and 1 ms latency.
    pub fn new(now: Time) -> Self {
        Self {
            now,
            clients: Vec::new(),
            fas: Vec::new(),
            servers: Vec::new(),
            attached: Vec::new(),
            latency_ms: 1,
            core_latency_ms: None,
            loss: None,
            jitter: None,
            fifo: true,
            duplication: None,
            delays: Vec::new(),
            through_wire: false,
            wire_errors: Vec::new(),
            last_arrival: BTreeMap::new(),
            trace: Vec::new(),
            indications: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            timers: BTreeMap::new(),
        }
    }

    /// Adds a client on the access link of FA `fa` (or none); returns its index.
    pub fn add_client(&mut self, c: Client, fa: Option<usize>) -> usize {
        self.clients.push(c);
        self.attached.push(fa);
        self.clients.len() - 1
    }

    /// Adds an FA and schedules its start now; returns its index.
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

    /// At `at`, moves client `c` to the access link of FA `fa` and tells it to roam
    /// (`known`: the client is told the new FA's address, otherwise it solicits).
    pub fn roam(&mut self, at: Time, c: usize, fa: Option<usize>, known: bool) {
        self.push(at, Item::Attach(c, fa));
        let mac = fa.and_then(|f| self.fas.get(f)).map(|f| f.config().mac).filter(|_| known);
        self.schedule(at, Node::Client(c), Event::Roam { fa: mac });
    }

    /// Runs every queued item up to and including time `until`.
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
                Item::Attach(c, fa) => {
                    if let Some(a) = self.attached.get_mut(c) {
                        *a = fa;
                    }
                }
            }
        }
        self.now = self.now.max(until);
    }

    /// Runs `ms` milliseconds further.
    pub fn run_for(&mut self, ms: u64) {
        let until = self.now + ms;
        self.run_until(until);
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
                Action::Indicate(i) => self.indications.push((now, node, i)),
            }
        }
    }

    /// The receivers of a packet.
    fn route(&self, from: Node, tx: &Rx) -> Vec<Node> {
        match (tx.iface, tx.addr) {
            (Iface::Access, Addr::Link { dst, .. }) => {
                let group = dst == MVTP_MULTICAST || dst == BROADCAST;
                match from {
                    Node::Client(c) => {
                        let Some(Some(f)) = self.attached.get(c) else { return Vec::new() };
                        let hit = self.fas.get(*f).is_some_and(|fa| group || fa.config().mac == dst);
                        if hit {
                            vec![Node::Fa(*f)]
                        } else {
                            Vec::new()
                        }
                    }
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
        if self.through_wire {
            if let Packet::Mvtp(m) = &tx.packet {
                let back = crate::wire::encode(m)
                    .map_err(|e| e.to_string())
                    .and_then(|octets| crate::wire::decode(&octets).map_err(|e| e.to_string()));
                match back {
                    Ok(m) => tx.packet = Packet::Mvtp(m),
                    Err(e) => {
                        self.wire_errors.push((self.now, from, e));
                        return;
                    }
                }
            }
        }
        let mut latency = match tx.iface {
            Iface::Core => self.core_latency_ms.unwrap_or(self.latency_ms),
            Iface::Access => self.latency_ms,
        };
        if let Some(d) = self.delays.iter_mut().find(|d| !d.used && (d.pick)(from, &tx)) {
            d.used = true;
            latency += d.extra_ms;
        }
        let to = self.route(from, &tx);
        let dup = tx.iface == Iface::Core && self.duplication.as_mut().is_some_and(|(p, rng)| draw(*p, rng));
        for copy in 0..(1 + u64::from(dup)) {
            let sent = self.now + copy;
            if to.is_empty() {
                self.trace.push(Sent { at: sent, arrives: sent, from, to: None, lost: false, dup: copy > 0, tx: tx.clone() });
                continue;
            }
            for &node in &to {
                let lost = self.loss.as_mut().is_some_and(|(p, rng)| draw(*p, rng));
                let extra = match self.jitter.as_mut() {
                    Some((ms, rng)) if *ms > 0 => rng.next_u64() % (*ms + 1),
                    _ => 0,
                };
                let mut arrives = sent + latency + extra;
                if self.fifo {
                    let last = self.last_arrival.entry((from, node)).or_insert(0);
                    arrives = arrives.max(*last);
                    if !lost {
                        *last = arrives;
                    }
                }
                self.trace.push(Sent { at: sent, arrives, from, to: Some(node), lost, dup: copy > 0, tx: tx.clone() });
                if !lost {
                    self.schedule(arrives, node, Event::Received(tx.clone()));
                }
            }
        }
    }

    /// Packets of the trace that carry an MVTP PDU, with the PDU.
    pub fn pdus(&self) -> impl Iterator<Item = (&Sent, &crate::msg::Msg)> {
        self.trace.iter().filter_map(|s| match &s.tx.packet {
            Packet::Mvtp(m) => Some((s, m)),
            Packet::Esp { .. } => None,
        })
    }
}

/// One draw of a per-mille chance.
fn draw(per_mille: u32, rng: &mut Rng) -> bool {
    rng.next_u32() % 1000 < per_mille
}

/// Start time of [`standard`] networks: 2023-11-14T22:13:20Z, in ms since the epoch.
pub const T0: Time = 1_700_000_000_000;
/// The server address of [`standard`] networks.
pub const SERVER_ADDR: std::net::Ipv4Addr = std::net::Ipv4Addr::new(10, 0, 0, 1);
/// SPI of the Foreign-Home SA shared by the server and every FA of [`standard`].
pub const FH_SPI: u32 = 0x0000_0200;
/// SPI of the Mobile-Home SA of client `c` in [`standard`] networks.
pub const fn mh_spi(c: usize) -> u32 {
    0x0000_0100 + c as u32
}
/// 802 address of client `c` in [`standard`] networks.
pub const fn client_mac(c: usize) -> codec::ethernet::Mac {
    [0x02, 0, 0, 0, 0, (c as u8).wrapping_add(1)]
}
/// 802 address of FA `f` in [`standard`] networks.
pub const fn fa_mac(f: usize) -> codec::ethernet::Mac {
    [0x02, 0, 0, 0, 0x0f, (f as u8).wrapping_add(1)]
}
/// Care-of address of FA `f` in [`standard`] networks.
pub const fn fa_coa(f: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(192, 0, 2, (f as u8).wrapping_add(1))
}

/// A network of one server, `fas` FAs and `clients` clients (all on FA 0's link, none
/// connected yet), with HMAC-MD5 Mobile-Home SAs per client and one Foreign-Home SA;
/// client Connect IDs drawn from `seed`.
pub fn standard(clients: usize, fas: usize, seed: u64) -> Net {
    use crate::client::ClientConfig;
    use crate::fa::FaConfig;
    use crate::server::ServerConfig;
    use codec::auth::{Algorithm, AuthKey, KeyStore};
    use codec::gid::Gid;

    let key = |s: &str| AuthKey { algorithm: Algorithm::HmacMd5, secret: s.as_bytes().to_vec() };
    let mut rng = Rng::new(seed);
    let mut net = Net::new(T0);
    let mut scfg = ServerConfig::new(SERVER_ADDR);
    scfg.keys.insert(FH_SPI, key("foreign-home"));
    scfg.fh_spi = Some(FH_SPI);
    for c in 0..clients {
        scfg.keys.insert(mh_spi(c), key(&format!("mobile-home-{c}")));
    }
    net.add_server(Server::new(scfg));
    for f in 0..fas {
        let mut cfg = FaConfig::new(fa_mac(f), fa_coa(f));
        cfg.keys.insert(FH_SPI, key("foreign-home"));
        net.add_fa(Fa::new(cfg));
    }
    for c in 0..clients {
        let mut cfg = ClientConfig::new(client_mac(c), Gid::mac(client_mac(c)), SERVER_ADDR);
        let mut keys = KeyStore::new();
        keys.insert(mh_spi(c), key(&format!("mobile-home-{c}")));
        cfg.keys = keys;
        cfg.mh_spi = Some(mh_spi(c));
        net.add_client(Client::new(cfg, Rng::new(rng.next_u64())), (fas > 0).then_some(0));
    }
    net
}
