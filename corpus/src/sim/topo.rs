//! The scenario topology: one MVTP server, FAs, clients; documentation addresses
//! (RFC 5737), vendor-looking 802 addresses, HMAC-MD5 security associations.

use super::net::{self, Net};
use super::T0;
use agents::{Client, ClientConfig, Fa, FaConfig, Rng, Server, ServerConfig};
use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::ethernet::Mac;
use codec::gid::Gid;
use codec::numbers::{IpProto, PppProto};
use codec::stack::Node as S;
use serde_json::json;
use std::net::Ipv4Addr;

/// The MVTP server (home address of every client).
pub const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
/// Foreign-Home SA shared by the server and every FA.
pub const FH_SPI: u32 = 0x0000_0200;
/// Foreign-Home secret.
pub const FH_SECRET: &[u8] = b"corpus foreign-home key";
/// One-way latency on an access link, ms.
pub const ACCESS_LATENCY_MS: u64 = 2;
/// One-way latency across the core (internet), ms.
pub const CORE_LATENCY_MS: u64 = 10;

/// Care-of address of FA `f`.
pub fn fa_coa(f: usize) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, 20 * (f as u8).wrapping_add(1))
}
/// Access-link 802 address of FA `f` (Cisco OUI).
pub fn fa_mac(f: usize) -> Mac {
    [0x00, 0x1e, 0x49, 0x7a, 0x10, (f as u8).wrapping_add(1)]
}
/// 802 address of client `c` (Intel OUI).
pub fn client_mac(c: usize) -> Mac {
    [0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d_u8.wrapping_add(c as u8)]
}
/// Mobile-Home SPI of client `c`.
pub fn mh_spi(c: usize) -> u32 {
    0x0000_0100 + c as u32
}
/// Mobile-Home secret of client `c`.
pub fn mh_secret(c: usize) -> Vec<u8> {
    format!("corpus mobile-home key {c}").into_bytes()
}
/// Inner (tunnelled) address of client `c`.
pub fn inner_addr(c: usize) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 100 + c as u8)
}
/// A host the clients talk to through the tunnel.
pub const PEER_HOST: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 80);

fn key(secret: &[u8]) -> AuthKey {
    AuthKey {
        algorithm: Algorithm::HmacMd5,
        secret: secret.to_vec(),
    }
}

/// Knobs of one network.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Number of FAs.
    pub fas: usize,
    /// Number of clients (on no link until a scenario brings them to an FA's link).
    pub clients: usize,
    /// Seed of the clients' Connect IDs.
    pub seed: u64,
    /// Requested lifetime, seconds.
    pub lifetime: u16,
    /// Loss on every hop, per mille (seeded by `seed`).
    pub loss_per_mille: u32,
    /// Duplication on every hop, per mille (seeded by `seed`).
    pub dup_per_mille: u32,
}

impl Topology {
    /// The network at [`T0`], FAs started, nobody connected.
    pub fn build(&self) -> Net {
        let mut rng = Rng::new(self.seed);
        let mut net = net::new(T0, ACCESS_LATENCY_MS, CORE_LATENCY_MS);
        if self.loss_per_mille > 0 {
            net.loss = Some(net::chance(self.loss_per_mille, self.seed ^ 0x105));
        }
        if self.dup_per_mille > 0 {
            net.duplication = Some(net::chance(self.dup_per_mille, self.seed ^ 0xD0B));
        }
        let mut scfg = ServerConfig::new(SERVER);
        scfg.keys.insert(FH_SPI, key(FH_SECRET));
        scfg.fh_spi = Some(FH_SPI);
        for c in 0..self.clients {
            scfg.keys.insert(mh_spi(c), key(&mh_secret(c)));
        }
        net.add_server(Server::new(scfg));
        for f in 0..self.fas {
            let mut cfg = FaConfig::new(fa_mac(f), fa_coa(f));
            cfg.keys.insert(FH_SPI, key(FH_SECRET));
            // Different sequence origins per FA, above the restart threshold (PROC-2).
            cfg.initial_seq = 300 + 100 * f as u16;
            net.add_fa(Fa::new(cfg));
        }
        for c in 0..self.clients {
            let mut cfg = ClientConfig::new(client_mac(c), Gid::mac(client_mac(c)), SERVER);
            let mut keys = KeyStore::new();
            keys.insert(mh_spi(c), key(&mh_secret(c)));
            cfg.keys = keys;
            cfg.mh_spi = Some(mh_spi(c));
            cfg.lifetime = self.lifetime;
            net.add_client(Client::new(cfg, Rng::new(rng.next_u64())), None);
        }
        net
    }

    /// The `--keys` file of this network (every MVTP SA).
    pub fn keys_json(&self) -> serde_json::Value {
        let mut entries = vec![json!({"spi": FH_SPI, "algorithm": "hmac-md5", "secret_hex": hex::encode(FH_SECRET)})];
        for c in 0..self.clients {
            entries.push(json!({"spi": mh_spi(c), "algorithm": "hmac-md5", "secret_hex": hex::encode(mh_secret(c))}));
        }
        json!({ "mvtp_auth": entries })
    }
}

/// An MV-DATA payload for Encap Type 2 (L2TP transport): an L2TP data message (tunnel
/// `tunnel`, session `session`) carrying a PPP frame with an IPv4/UDP datagram
/// `src:sport → dst:dport` of `text`. Built with the codec's Reprs.
pub fn l2tp_user_data(
    tunnel: u16,
    session: u16,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    text: &[u8],
) -> Result<Vec<u8>, String> {
    use codec::l2tp::{Body, Header, Message};
    use codec::ppp::{Frame, Payload};
    let ip = S::ipv4(
        src.octets(),
        dst.octets(),
        IpProto::UDP,
        S::udp(sport, dport, S::raw(text.to_vec())),
    );
    let datagram = ip.emit_fixed().map_err(|e| e.to_string())?;
    let ppp = Frame {
        address_control: Some(0x03),
        protocol_compressed: false,
        protocol: PppProto::IPV4,
        payload: Payload::Other(datagram),
    };
    let mut ppp_octets = Vec::new();
    ppp.emit(&mut ppp_octets).map_err(|e| e.to_string())?;
    let msg = Message {
        header: Header {
            has_length: true,
            priority: false,
            reserved: 0,
            tunnel,
            session,
            sequence: None,
            offset_pad: None,
        },
        body: Body::Data(ppp_octets),
    };
    let mut out = Vec::new();
    msg.emit(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
