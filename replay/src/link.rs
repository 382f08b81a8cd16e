//! What a link can carry: the IP packet size against an MTU, with IPv4 fragmentation on
//! request (RFC 791 §3.2 "Fragmentation and Reassembly").

use crate::rewrite::{Outcome, Output};
use codec::numbers::{EtherType, LinkType};

/// Ethernet II header octets.
const ETH_HEADER: usize = 14;
/// One 802.1Q/802.1ad tag.
const VLAN_TAG: usize = 4;
/// Linux cooked header (SLL v1).
const SLL_HEADER: usize = 16;
/// IPv4: More Fragments (in the flags/offset word).
const MF: u16 = 0x2000;
/// IPv4: Don't Fragment.
const DF: u16 = 0x4000;
/// IPv4: fragment offset mask (8-octet units).
const OFFSET_MASK: u16 = 0x1FFF;

/// Octets of link header before the network packet, and whether it is IPv4.
pub fn network_offset(link: LinkType, frame: &[u8]) -> Option<(usize, bool)> {
    match link {
        LinkType::ETHERNET => {
            let mut at = ETH_HEADER - 2;
            loop {
                let t = u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?);
                if t == EtherType::VLAN.0 || t == EtherType::QINQ.0 {
                    at += VLAN_TAG;
                    continue;
                }
                if t < EtherType::MIN_ETHERTYPE {
                    return None; // 802.3 length: LLC follows, not IP
                }
                return Some((at + 2, t == EtherType::IPV4.0));
            }
        }
        LinkType::RAW | LinkType::IPV4 => Some((0, frame.first().is_some_and(|b| b >> 4 == 4))),
        LinkType::LINUX_SLL => {
            let t = u16::from_be_bytes(frame.get(14..16)?.try_into().ok()?);
            Some((SLL_HEADER, t == EtherType::IPV4.0))
        }
        _ => None,
    }
}

/// Size of what follows the link header (the L3 packet, Ethernet padding included).
pub fn network_len(link: LinkType, frame: &[u8]) -> usize {
    match network_offset(link, frame) {
        Some((at, _)) => frame.len().saturating_sub(at),
        None => frame.len().saturating_sub(if link == LinkType::ETHERNET {
            ETH_HEADER
        } else {
            0
        }),
    }
}

/// Refuses (drops with the size in the note) or fragments frames whose network packet
/// exceeds `mtu`.
pub fn enforce_mtu(o: &mut Output, mtu: usize, fragment: bool) {
    let mut out = Vec::new();
    for f in std::mem::take(&mut o.frames) {
        let size = network_len(o.link, &f);
        if size <= mtu {
            out.push(f);
            continue;
        }
        if fragment {
            match fragment_ipv4(o.link, &f, mtu) {
                Ok(v) => {
                    out.extend(v);
                    continue;
                }
                Err(reason) => {
                    o.outcome = Outcome::Dropped(reason);
                    o.note = Some(format!(
                        "{size}-octet packet exceeds the MTU of {mtu}: {reason}"
                    ));
                }
            }
        } else {
            o.outcome = Outcome::Dropped("larger than the MTU");
            o.note = Some(format!("{size}-octet packet exceeds the MTU of {mtu}"));
        }
        o.frames.clear();
        return;
    }
    o.frames = out;
}

/// Splits the outermost IPv4 datagram of `frame` into fragments of at most `mtu` octets
/// (RFC 791: payload split on 8-octet boundaries; every fragment but the last has MF; the
/// header is copied with Total Length, Fragment Offset and checksum recomputed). Options
/// are copied only when there are none to choose between (a header with options is
/// refused), and DF is honoured.
pub fn fragment_ipv4(
    link: LinkType,
    frame: &[u8],
    mtu: usize,
) -> Result<Vec<Vec<u8>>, &'static str> {
    let Some((at, true)) = network_offset(link, frame) else {
        return Err("only IPv4 can be fragmented");
    };
    let ip = frame.get(at..).ok_or("truncated IPv4 header")?;
    let ihl = usize::from(ip.first().ok_or("truncated IPv4 header")? & 0x0F) * 4;
    if ihl != 20 {
        return Err("IPv4 header with options: not fragmented");
    }
    let total = usize::from(u16::from_be_bytes(
        ip.get(2..4)
            .ok_or("truncated IPv4 header")?
            .try_into()
            .map_err(|_| "truncated")?,
    ));
    if total < ihl || total > ip.len() {
        return Err("IPv4 Total Length does not match the frame");
    }
    let word = u16::from_be_bytes(
        ip.get(6..8)
            .ok_or("truncated IPv4 header")?
            .try_into()
            .map_err(|_| "truncated")?,
    );
    if word & DF != 0 {
        return Err("Don't Fragment is set");
    }
    let chunk = mtu
        .checked_sub(ihl)
        .map(|c| c / 8 * 8)
        .filter(|&c| c > 0)
        .ok_or("MTU below 28 octets")?;
    let (header, payload) = (
        ip.get(..ihl).ok_or("truncated")?,
        ip.get(ihl..total).ok_or("truncated")?,
    );
    let base = word & OFFSET_MASK;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let last = end == payload.len();
        let mut h = header.to_vec();
        let len = u16::try_from(ihl + end - off).map_err(|_| "fragment too large")?;
        h[2..4].copy_from_slice(&len.to_be_bytes());
        let units = u16::try_from(off / 8).map_err(|_| "offset too large")?;
        let mut w = (word & !OFFSET_MASK & !MF) | ((base + units) & OFFSET_MASK);
        if !last || word & MF != 0 {
            w |= MF;
        }
        h[6..8].copy_from_slice(&w.to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let c = codec::checksum::internet(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        let mut f = frame.get(..at).ok_or("truncated")?.to_vec();
        f.extend_from_slice(&h);
        f.extend_from_slice(payload.get(off..end).ok_or("truncated")?);
        out.push(f);
        off = end;
    }
    Ok(out)
}
