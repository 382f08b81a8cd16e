//! Events in, actions out: the vocabulary shared by all agents.

use crate::msg::Msg;
use codec::ethernet::Mac;
use codec::gid::Gid;
use std::net::Ipv4Addr;

/// The caller's clock: milliseconds since the Unix epoch (the client derives its NTP
/// Identification from it [AUTH-6]). Agents never read a clock themselves.
pub type Time = u64;

/// Which interface of an agent: the access link (data-link framing between client and
/// FA) or the core network (IP/GRE between FA and server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Iface {
    /// The access link: DIX/SNAP/LLC/802.11 framing, 802 addresses.
    Access,
    /// The core: IPv4 / GRE 0x88B5 (or ESP) between care-of address and home address.
    Core,
}

/// What travels: an MVTP PDU, or an IPv4 packet carrying ESP that an FA forwards
/// unchanged by its SPI [SEC-2].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Packet {
    /// An MVTP PDU (framed in data-link or IP/GRE according to the interface).
    Mvtp(Msg),
    /// An IPv4 packet whose payload is ESP (or ESP in UDP 4500) with this SPI; the octets
    /// are the whole IPv4 packet, never decrypted by an FA.
    Esp {
        /// The ESP SPI: high 16 bits the Local Endpoint ID [SEC-1].
        spi: u32,
        /// The IPv4 packet, opaque.
        datagram: Vec<u8>,
    },
}

/// Where a packet goes (or came from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Addr {
    /// Data-link: source and destination 802 addresses.
    Link {
        /// Source 802 address.
        src: Mac,
        /// Destination 802 address (unicast, or the MVTP multicast address [FMT-15]).
        dst: Mac,
    },
    /// IPv4 (with GRE for MVTP PDUs): source and destination addresses.
    Ip {
        /// IPv4 source.
        src: Ipv4Addr,
        /// IPv4 destination.
        dst: Ipv4Addr,
    },
}

/// A received packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rx {
    /// Interface it arrived on.
    pub iface: Iface,
    /// Link-layer or IP addressing as seen on arrival.
    pub addr: Addr,
    /// The packet.
    pub packet: Packet,
}

/// A packet to send.
pub type Tx = Rx;

/// An agent timer. Each agent uses the variants that concern it; a [`Timer`] value names
/// one timer, so setting it again re-arms it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// Client: registration response timeout [PROC-4].
    Retransmit,
    /// Client: re-registration at 80 % of the granted lifetime [PROC-10].
    Reregister,
    /// Client: re-solicitation while no FA is known [PROC-1].
    Solicit,
    /// Client: no FA found for MVTP_SESSION_TIMEOUT [PROC-16].
    SessionTimeout,
    /// FA: periodic MV-FAA [PROC-1].
    Advertise,
    /// Server: lifetime of the mobility record with this number [PROC-10].
    Expiry(u32),
}

/// What happens to an agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    /// The agent starts (an FA begins advertising).
    Start,
    /// A packet arrived.
    Received(Rx),
    /// A timer set by [`Action::SetTimer`] fired.
    TimerFired(Timer),
    /// The higher layer asks for a connection (client).
    Connect,
    /// The higher layer sends data: the client on its connection; the server to the
    /// client with this Global Endpoint ID.
    SendData {
        /// Server only: the client's Global Endpoint ID; ignored by a client.
        peer: Option<Gid>,
        /// MV-DATA payload.
        payload: Vec<u8>,
    },
    /// The higher layer closes the connection (client).
    Disconnect,
    /// The client moved to another access link: register through the FA with this 802
    /// address at once, or (`None`) solicit first [PROC-10, PROC-15].
    Roam {
        /// The new FA's 802 address, when already known.
        fa: Option<Mac>,
    },
}

/// What an agent tells its higher layer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Indication {
    /// The connection is OPEN [PROC-9] (server: a new or moved registration).
    Open {
        /// The Local Endpoint ID.
        leid: u16,
        /// Granted lifetime, seconds.
        lifetime: u16,
        /// Server only: the client's Global Endpoint ID.
        gid: Option<Gid>,
    },
    /// The connection closed with this MV-DN code (or 0 on a local close).
    Closed {
        /// The Local Endpoint ID.
        leid: u16,
        /// MV-DN code (spec §2.5).
        code: u8,
    },
    /// The registration was denied with this MV-RRP code.
    Denied {
        /// MV-RRP code.
        code: u8,
    },
    /// MV-DATA payload delivered.
    Data {
        /// The Local Endpoint ID it came with.
        leid: u16,
        /// Server only: the client's Global Endpoint ID.
        gid: Option<Gid>,
        /// The payload.
        payload: Vec<u8>,
    },
    /// Client: the FA restarted (PROC-2, info); it re-registers.
    FaRestarted,
    /// Client: no FA for MVTP_SESSION_TIMEOUT: the tunnel is down [PROC-16].
    TunnelDown,
}

/// What an agent asks its caller to do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Send a packet.
    Send(Tx),
    /// Arm (or re-arm) a timer to fire at this absolute time.
    SetTimer {
        /// The timer.
        timer: Timer,
        /// When, on the caller's clock.
        at: Time,
    },
    /// Disarm a timer.
    CancelTimer(Timer),
    /// Tell the higher layer.
    Indicate(Indication),
}

/// A small deterministic PRNG (SplitMix64): the only source of randomness of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// A set of fault-injection knobs of one agent; empty (all off) by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faults<F>(Vec<F>);

impl<F> Default for Faults<F> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<F: PartialEq + Copy> Faults<F> {
    /// No fault.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// These faults.
    pub fn of(faults: &[F]) -> Self {
        Self(faults.to_vec())
    }

    /// Turns `f` on.
    pub fn enable(&mut self, f: F) {
        if !self.0.contains(&f) {
            self.0.push(f);
        }
    }

    /// True when `f` is on.
    pub fn has(&self, f: F) -> bool {
        self.0.contains(&f)
    }
}

/// Collects the actions of one event.
#[derive(Debug, Default)]
pub(crate) struct Out(pub Vec<Action>);

impl Out {
    pub fn send(&mut self, iface: Iface, addr: Addr, msg: Msg) {
        self.0.push(Action::Send(Rx { iface, addr, packet: Packet::Mvtp(msg) }));
    }
    pub fn send_packet(&mut self, iface: Iface, addr: Addr, packet: Packet) {
        self.0.push(Action::Send(Rx { iface, addr, packet }));
    }
    pub fn timer(&mut self, timer: Timer, at: Time) {
        self.0.push(Action::SetTimer { timer, at });
    }
    pub fn cancel(&mut self, timer: Timer) {
        self.0.push(Action::CancelTimer(timer));
    }
    pub fn indicate(&mut self, i: Indication) {
        self.0.push(Action::Indicate(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_per_seed() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }
}
