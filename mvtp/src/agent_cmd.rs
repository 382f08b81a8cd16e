//! `mvtp agent server`: the reference MVTP server (`agents::Server`, sans-IO) on a real
//! network. It owns a raw IPv4 socket for GRE (protocol 47), takes MVTP PDUs in GRE with
//! protocol type 0x88B5 (spec §3: the FA ↔ server framing), feeds them to the agent, and
//! sends what the agent answers the same way; timers wake a read timeout. One line per PDU
//! in and out on stdout. Needs root or CAP_NET_RAW (docs/agent.md).

use crate::EXIT_USAGE;
use agents::{Action, Addr, Event, Iface, Packet, Rx, Server, ServerConfig, Time, Timer};
use clap::{Args, Subcommand};
use codec::gre::{Gre, GreView};
use codec::ipv4::Ipv4View;
use codec::numbers::{EtherType, IpProto};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `mvtp agent`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    /// Which agent.
    #[command(subcommand)]
    pub role: Role,
}

/// The agents `mvtp agent` runs.
#[derive(Subcommand, Debug)]
pub enum Role {
    /// The MVTP server: answers MV-RRQ relayed over IP/GRE, sends MV-DN (expiry, Roam Notify).
    Server(ServerArgs),
}

/// `mvtp agent server`.
#[derive(Args, Debug)]
pub struct ServerArgs {
    /// The server's address (its Home IP Address); GRE is received and sent from it.
    #[arg(long, value_name = "IPV4")]
    pub addr: Ipv4Addr,
    /// Keys file (`mvtp_auth`: Mobile-Home SAs of the clients, Foreign-Home SAs of the FAs).
    #[arg(long, value_name = "FILE")]
    pub keys: String,
    /// SPI of the Foreign-Home SA used for Roam Notify (MV-DN code 5) to FAs.
    #[arg(long, value_name = "SPI")]
    pub fh_spi: Option<u32>,
    /// Largest lifetime granted, seconds.
    #[arg(long, value_name = "S")]
    pub lifetime: Option<u16>,
    /// Exit 0 after answering this many MV-RRQs.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Exit 0 after this many seconds without a PDU.
    #[arg(long, value_name = "S")]
    pub timeout: Option<u64>,
}

fn now_ms() -> Time {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

pub fn run(a: &AgentArgs) -> ExitCode {
    match &a.role {
        Role::Server(s) => match server(s) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mvtp agent server: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}

/// The PDU of an IPv4 datagram carrying GRE 0x88B5, with its addresses.
fn mvtp_in(datagram: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, &[u8])> {
    let ip = Ipv4View::new(datagram).ok()?;
    if ip.protocol() != IpProto::GRE || ip.is_fragment() {
        return None;
    }
    let gre = GreView::new(ip.payload()).ok()?;
    (gre.proto() == EtherType::MVTP).then(|| (Ipv4Addr::from(ip.src()), Ipv4Addr::from(ip.dst()), gre.payload()))
}

fn describe(m: &agents::Msg) -> String {
    let mut s = m.type_name().to_string();
    if let Some(r) = m.reg() {
        s.push_str(&format!(" code={} cid={} lifetime={} leid={}", r.code, r.connect_id, r.lifetime, m.leid));
    }
    if let agents::Body::Dn { code, connect_id, .. } = &m.body {
        s.push_str(&format!(" code={code} cid={connect_id} leid={}", m.leid));
    }
    s
}

#[cfg(target_os = "linux")]
fn server(a: &ServerArgs) -> Result<(), String> {
    use rustix::net::{ipproto, recvfrom, sendto, socket, sockopt, AddressFamily, RecvFlags, SendFlags, SocketAddrV4, SocketType};
    let text = std::fs::read_to_string(&a.keys).map_err(|e| format!("--keys {}: {e}", a.keys))?;
    let keys = dissector::Keys::from_json(&text).map_err(|e| format!("--keys {}: {e}", a.keys))?;
    let mut cfg = ServerConfig::new(a.addr);
    cfg.keys = keys.mvtp;
    cfg.fh_spi = a.fh_spi;
    if let Some(l) = a.lifetime {
        cfg.max_lifetime = l;
    }
    let sock = socket(AddressFamily::INET, SocketType::RAW, Some(ipproto::GRE))
        .map_err(|e| format!("raw IPv4 socket for GRE: {e} (needs root or CAP_NET_RAW)"))?;
    rustix::net::bind(&sock, &SocketAddrV4::new(a.addr, 0)).map_err(|e| format!("bind {}: {e}", a.addr))?;
    let mut agent = Server::new(cfg);
    let mut timers: BTreeMap<Timer, Time> = BTreeMap::new();
    let mut answered = 0u64;
    let mut last_pdu = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let out = std::io::stdout();
    println!("mvtp agent server on {} (GRE 0x88B5)", a.addr);
    let mut pending: Vec<Event> = vec![Event::Start];
    loop {
        // Due timers become events.
        let now = now_ms();
        let due: Vec<Timer> = timers.iter().filter(|(_, &at)| at <= now).map(|(t, _)| *t).collect();
        for t in due {
            timers.remove(&t);
            pending.push(Event::TimerFired(t));
        }
        for ev in pending.drain(..) {
            for act in agent.handle(now_ms(), ev) {
                match act {
                    Action::Send(Rx { addr: Addr::Ip { dst, .. }, packet: Packet::Mvtp(m), .. }) => {
                        let pdu = agents::wire::encode(&m).map_err(|e| e.to_string())?;
                        let mut frame = Vec::with_capacity(4 + pdu.len());
                        Gre::new(EtherType::MVTP).emit(&mut frame).map_err(|e| e.to_string())?;
                        frame.extend_from_slice(&pdu);
                        sendto(&sock, &frame, SendFlags::empty(), &SocketAddrV4::new(dst, 0)).map_err(|e| format!("send to {dst}: {e}"))?;
                        if matches!(m.body, agents::Body::Rrp(_)) {
                            answered += 1;
                        }
                        let mut o = out.lock();
                        let _ = writeln!(o, "out {} to {dst}", describe(&m));
                        let _ = o.flush();
                    }
                    Action::Send(_) => {}
                    Action::SetTimer { timer, at } => {
                        timers.insert(timer, at);
                    }
                    Action::CancelTimer(timer) => {
                        timers.remove(&timer);
                    }
                    Action::Indicate(_) => {}
                }
            }
        }
        if a.count.is_some_and(|n| answered >= n) {
            return Ok(());
        }
        if a.timeout.is_some_and(|s| last_pdu.elapsed() >= Duration::from_secs(s)) {
            return Ok(());
        }
        // Sleep in the socket until a datagram or the next timer (at most 200 ms).
        let wait = timers.values().min().map_or(200, |&at| at.saturating_sub(now_ms()).clamp(1, 200));
        sockopt::set_socket_timeout(&sock, sockopt::Timeout::Recv, Some(Duration::from_millis(wait))).map_err(|e| e.to_string())?;
        let n = match recvfrom(&sock, &mut buf[..], RecvFlags::empty()) {
            Ok((_, n, _)) => n,
            Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::INTR => continue,
            Err(e) => return Err(format!("receive: {e}")),
        };
        let Some((src, dst, pdu)) = buf.get(..n).and_then(mvtp_in) else { continue };
        if dst != a.addr || src == a.addr {
            continue; // not for us, or our own datagram seen on loopback
        }
        match agents::wire::decode(pdu) {
            Ok(m) => {
                last_pdu = Instant::now();
                let mut o = out.lock();
                let _ = writeln!(o, "in  {} from {src}", describe(&m));
                let _ = o.flush();
                drop(o);
                pending.push(Event::Received(Rx { iface: Iface::Core, addr: Addr::Ip { src, dst }, packet: Packet::Mvtp(m) }));
            }
            Err(e) => println!("in  undecodable MVTP PDU from {src}: {e}"),
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn server(_a: &ServerArgs) -> Result<(), String> {
    Err("raw GRE sockets are implemented for Linux only".into())
}
