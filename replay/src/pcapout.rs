//! A classic pcap writer that keeps the input's file header: magic (so byte order and
//! timestamp resolution), version, snap length and link type, octet for octet — an
//! identity rewrite reproduces the whole file.

use codec::numbers::LinkType;
use std::io::{self, Write};

/// Octets of the pcap file header.
pub const HEADER_LEN: usize = 24;
/// Microsecond magic, as read in the file's own byte order.
const MAGIC_US: u32 = 0xA1B2_C3D4;
/// Nanosecond magic.
const MAGIC_NS: u32 = 0xA1B2_3C4D;
/// Offset of the link type in the header.
const LINKTYPE_AT: usize = 20;

/// Writes records in the byte order and resolution of a given header.
pub struct PcapOut<W: Write> {
    w: W,
    big: bool,
    nanos: bool,
}

/// Byte order and resolution of a standard pcap header: `(big_endian, nanos)`.
pub fn header_kind(h: &[u8]) -> Option<(bool, bool)> {
    let m: [u8; 4] = h.get(..4)?.try_into().ok()?;
    match (u32::from_le_bytes(m), u32::from_be_bytes(m)) {
        (MAGIC_US, _) => Some((false, false)),
        (MAGIC_NS, _) => Some((false, true)),
        (_, MAGIC_US) => Some((true, false)),
        (_, MAGIC_NS) => Some((true, true)),
        _ => None,
    }
}

impl<W: Write> PcapOut<W> {
    /// Writes `header` (the input's first 24 octets) with the link type replaced by
    /// `link` when given (a converted capture).
    pub fn new(mut w: W, header: &[u8], link: Option<LinkType>) -> io::Result<Self> {
        let (big, nanos) =
            header_kind(header).ok_or_else(|| io::Error::other("not a standard pcap header"))?;
        let mut h = header
            .get(..HEADER_LEN)
            .ok_or_else(|| io::Error::other("short pcap header"))?
            .to_vec();
        if let Some(l) = link {
            let v = u32::from(l.0);
            h[LINKTYPE_AT..].copy_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        w.write_all(&h)?;
        Ok(PcapOut { w, big, nanos })
    }

    fn u32(&mut self, v: u32) -> io::Result<()> {
        self.w.write_all(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    }

    /// Writes one record.
    pub fn write(&mut self, secs: i64, nanos: u32, orig_len: u32, data: &[u8]) -> io::Result<()> {
        let sub = if self.nanos { nanos } else { nanos / 1_000 };
        let caplen = u32::try_from(data.len()).map_err(|_| io::Error::other("record too large"))?;
        self.u32(secs as u32)?; // pcap's 32-bit seconds, as the input had them
        self.u32(sub)?;
        self.u32(caplen)?;
        self.u32(orig_len.max(caplen))?;
        self.w.write_all(data)
    }

    /// The writer, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}
