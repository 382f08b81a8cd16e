//! Sending frames on a Linux interface through an AF_PACKET raw socket (packet(7)): no
//! libpcap. The socket is bound to the one interface named, so frames leave only there.

use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender};
use rustix::event::{poll, PollFd, PollFlags};
use rustix::io::Errno;
use rustix::net::{sendmmsg, AddressFamily, MMsgHdr, SendAncillaryBuffer, SendFlags, SocketType};
use std::io::IoSlice;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};

/// ARPHRD_ETHER (linux/if_arp.h): what `/sys/class/net/IFACE/type` says for Ethernet and veth.
const ARPHRD_ETHER: u32 = 1;
/// Octets of an Ethernet II header, on top of the MTU.
pub const ETH_HEADER: usize = 14;

/// An AF_PACKET socket bound to one interface.
pub struct Sender {
    fd: Option<OwnedFd>,
    // pnet did the bind (it owns the descriptor's close); kept alive with the socket.
    _tx: Box<dyn DataLinkSender>,
    _rx: Box<dyn DataLinkReceiver>,
    /// The interface's MTU (IP packet octets).
    pub mtu: usize,
    /// The interface name.
    pub name: String,
}

fn sys(iface: &str, what: &str) -> Result<String, String> {
    let p = format!("/sys/class/net/{iface}/{what}");
    std::fs::read_to_string(&p)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("{p}: {e} (no interface {iface:?}?)"))
}

/// The MTU of an interface.
pub fn interface_mtu(iface: &str) -> Result<usize, String> {
    sys(iface, "mtu")?
        .parse()
        .map_err(|e| format!("{iface}: MTU: {e}"))
}

impl Sender {
    /// Opens a raw socket on `iface` (needs CAP_NET_RAW). Refuses interfaces that are
    /// not Ethernet, since the frames sent are Ethernet frames.
    pub fn open(iface: &str) -> Result<Sender, String> {
        let kind: u32 = sys(iface, "type")?
            .parse()
            .map_err(|e| format!("{iface}: type: {e}"))?;
        if kind != ARPHRD_ETHER {
            return Err(format!("{iface} is not an Ethernet interface (ARPHRD {kind}); frame replay sends Ethernet frames"));
        }
        let mtu = interface_mtu(iface)?;
        let ni = pnet_datalink::interfaces()
            .into_iter()
            .find(|i| i.name == iface)
            .ok_or_else(|| format!("no interface {iface:?}"))?;
        let fd = rustix::net::socket(AddressFamily::PACKET, SocketType::RAW, None)
            .map_err(|e| format!("{iface}: AF_PACKET socket: {e} (needs root or CAP_NET_RAW)"))?;
        let cfg = Config {
            socket_fd: Some(fd.as_raw_fd()),
            write_buffer_size: mtu + ETH_HEADER,
            ..Config::default()
        };
        let (tx, rx) = match pnet_datalink::channel(&ni, cfg) {
            Ok(Channel::Ethernet(tx, rx)) => (tx, rx),
            Ok(_) => return Err(format!("{iface}: not an Ethernet channel")),
            Err(e) => {
                // pnet closed the descriptor when binding failed.
                let _ = fd.into_raw_fd();
                return Err(format!("{iface}: bind: {e}"));
            }
        };
        Ok(Sender {
            fd: Some(fd),
            _tx: tx,
            _rx: rx,
            mtu,
            name: iface.to_string(),
        })
    }

    /// Sends one frame (one `send` system call; waits for room when the queue is full).
    pub fn send(&mut self, frame: &[u8]) -> std::io::Result<()> {
        let Some(fd) = self.fd.as_ref() else {
            return Err(std::io::Error::other("socket closed"));
        };
        loop {
            match rustix::net::send(fd, frame, SendFlags::empty()) {
                Ok(n) if n == frame.len() => return Ok(()),
                Ok(n) => {
                    return Err(std::io::Error::other(format!(
                        "short send: {n} of {} octets",
                        frame.len()
                    )))
                }
                Err(Errno::AGAIN) => {
                    let mut p = [PollFd::new(fd, PollFlags::OUT)];
                    poll(&mut p, None).map_err(std::io::Error::from)?;
                }
                Err(Errno::NOBUFS) => std::thread::yield_now(),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Sender {
    /// Sends the first frames of `frames` with one `sendmmsg` system call (top speed);
    /// returns how many went (at least one unless an error is returned).
    pub fn send_batch(&mut self, frames: &[&[u8]]) -> std::io::Result<usize> {
        let Some(fd) = self.fd.as_ref() else {
            return Err(std::io::Error::other("socket closed"));
        };
        if frames.is_empty() {
            return Ok(0);
        }
        let iovs: Vec<[IoSlice<'_>; 1]> = frames.iter().map(|f| [IoSlice::new(f)]).collect();
        let mut ctrl: Vec<SendAncillaryBuffer<'_, '_, '_>> = frames
            .iter()
            .map(|_| SendAncillaryBuffer::default())
            .collect();
        let mut msgs: Vec<MMsgHdr<'_>> = iovs
            .iter()
            .zip(ctrl.iter_mut())
            .map(|(i, c)| MMsgHdr::new(i, c))
            .collect();
        loop {
            match sendmmsg(fd, &mut msgs, SendFlags::empty()) {
                Ok(0) => {}
                Ok(n) => return Ok(n),
                Err(Errno::AGAIN) => {
                    let mut p = [PollFd::new(fd, PollFlags::OUT)];
                    poll(&mut p, None).map_err(std::io::Error::from)?;
                }
                Err(Errno::NOBUFS) => std::thread::yield_now(),
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // pnet's sender and receiver close the descriptor; give up our ownership first.
        if let Some(fd) = self.fd.take() {
            let _ = fd.into_raw_fd();
        }
    }
}
