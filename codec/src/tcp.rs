//! TCP header (RFC 9293 §3.1): the summary fields a tunnel toolkit shows, and an owned
//! header that round-trips options octet for octet.
//!
//! ```text
//! +---------------+---------------+-------------------------------+
//! |          Source Port          |       Destination Port        |
//! +-------------------------------+-------------------------------+
//! |                        Sequence Number                        |
//! +---------------------------------------------------------------+
//! |                    Acknowledgment Number                      |
//! +-------+-------+---------------+-------------------------------+
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! +-------+-------+---------------+-------------------------------+
//! |           Checksum            |         Urgent Pointer        |
//! +-------------------------------+-------------------------------+
//! ```

use crate::bytes::{be_u16, be_u32};
use crate::checksum::PseudoHeader;
use crate::emit::{check_bits, nibbles};
use crate::error::{DecodeError, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::IpProto;
use core::fmt;

/// Header length without options.
pub const MIN_HEADER_LEN: usize = field::URGENT.end;
/// FIN.
pub const FLAG_FIN: u16 = 0x001;
/// SYN.
pub const FLAG_SYN: u16 = 0x002;
/// RST.
pub const FLAG_RST: u16 = 0x004;
/// PSH.
pub const FLAG_PSH: u16 = 0x008;
/// ACK.
pub const FLAG_ACK: u16 = 0x010;
/// URG.
pub const FLAG_URG: u16 = 0x020;

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Source port.
    pub const SRC: Range<usize> = 0..2;
    /// Destination port.
    pub const DST: Range<usize> = 2..4;
    /// Sequence number.
    pub const SEQ: Range<usize> = 4..8;
    /// Acknowledgment number.
    pub const ACK: Range<usize> = 8..12;
    /// Data offset (4), reserved (3... 4 with AE), flags (8/9): 12 bits of flags as Wireshark.
    pub const OFF_FLAGS: Range<usize> = 12..14;
    /// Window.
    pub const WINDOW: Range<usize> = 14..16;
    /// Checksum.
    pub const CHECKSUM: Range<usize> = 16..18;
    /// Urgent pointer.
    pub const URGENT: Range<usize> = 18..20;
}

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("tcp", FieldType::Protocol, "Transmission Control Protocol"),
    FieldDef::new("tcp.srcport", FieldType::Uint, "Source port"),
    FieldDef::new("tcp.dstport", FieldType::Uint, "Destination port"),
    FieldDef::new("tcp.seq", FieldType::Uint, "Sequence number (absolute)"),
    FieldDef::new("tcp.ack", FieldType::Uint, "Acknowledgment number (absolute)"),
    FieldDef::new("tcp.hdr_len", FieldType::Uint, "Header length in octets"),
    FieldDef::new("tcp.flags", FieldType::Uint, "Flags (12 bits)"),
    FieldDef::new("tcp.flags.syn", FieldType::Bool, "SYN"),
    FieldDef::new("tcp.flags.ack", FieldType::Bool, "ACK"),
    FieldDef::new("tcp.flags.fin", FieldType::Bool, "FIN"),
    FieldDef::new("tcp.flags.reset", FieldType::Bool, "RST"),
    FieldDef::new("tcp.flags.push", FieldType::Bool, "PSH"),
    FieldDef::new("tcp.window_size_value", FieldType::Uint, "Window"),
    FieldDef::new("tcp.checksum", FieldType::Uint, "Checksum"),
    FieldDef::new("tcp.checksum.status", FieldType::Uint, "Checksum status: 0 bad, 1 good, 2 not verified"),
    FieldDef::new("tcp.urgent_pointer", FieldType::Uint, "Urgent pointer"),
    FieldDef::new("tcp.len", FieldType::Uint, "Segment data length"),
];

/// A checked view of a TCP segment: header and options present.
#[derive(Debug, Clone, Copy)]
pub struct TcpView<'a> {
    seg: &'a [u8],
    hlen: usize,
}

impl<'a> TcpView<'a> {
    /// Checks the data offset against `seg` (the IP payload).
    pub fn new(seg: &'a [u8]) -> Result<Self, DecodeError> {
        if seg.len() < MIN_HEADER_LEN {
            return Err(DecodeError::truncated("tcp", 0, MIN_HEADER_LEN, seg.len()).clause("RFC9293-3.1"));
        }
        let hlen = usize::from(seg.get(field::OFF_FLAGS.start).copied().unwrap_or(0) >> 4) * 4;
        if hlen < MIN_HEADER_LEN {
            return Err(DecodeError::new(Kind::BadLength, "tcp.hdr_len", field::OFF_FLAGS.start, format!("data offset {hlen} below 20")).clause("RFC9293-3.1"));
        }
        if hlen > seg.len() {
            return Err(DecodeError::truncated("tcp.hdr_len", field::OFF_FLAGS.start, hlen, seg.len()).clause("RFC9293-3.1"));
        }
        Ok(Self { seg, hlen })
    }
    /// Source port.
    pub fn src_port(&self) -> u16 {
        be_u16(self.seg, field::SRC.start).unwrap_or(0) // checked in `new`
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be_u16(self.seg, field::DST.start).unwrap_or(0) // checked in `new`
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        be_u32(self.seg, field::SEQ.start).unwrap_or(0) // checked in `new`
    }
    /// Acknowledgment number.
    pub fn ack(&self) -> u32 {
        be_u32(self.seg, field::ACK.start).unwrap_or(0) // checked in `new`
    }
    /// Header length in octets.
    pub fn header_len(&self) -> usize {
        self.hlen
    }
    /// The 12 bits after the data offset (reserved and flags), as Wireshark's `tcp.flags`.
    pub fn flags(&self) -> u16 {
        be_u16(self.seg, field::OFF_FLAGS.start).unwrap_or(0) & 0x0FFF // checked in `new`
    }
    /// Window.
    pub fn window(&self) -> u16 {
        be_u16(self.seg, field::WINDOW.start).unwrap_or(0) // checked in `new`
    }
    /// Checksum.
    pub fn checksum(&self) -> u16 {
        be_u16(self.seg, field::CHECKSUM.start).unwrap_or(0) // checked in `new`
    }
    /// Urgent pointer.
    pub fn urgent(&self) -> u16 {
        be_u16(self.seg, field::URGENT.start).unwrap_or(0) // checked in `new`
    }
    /// Options octets.
    pub fn options(&self) -> &'a [u8] {
        self.seg.get(MIN_HEADER_LEN..self.hlen).unwrap_or(&[])
    }
    /// Segment data.
    pub fn payload(&self) -> &'a [u8] {
        self.seg.get(self.hlen..).unwrap_or(&[])
    }
    /// True when the checksum verifies under `ph`.
    pub fn checksum_ok(&self, ph: &PseudoHeader) -> bool {
        ph.verifies(IpProto::TCP, self.seg)
    }
}

/// An owned TCP header; the data offset is derived from the options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Reserved bits and flags (12 bits).
    pub flags: u16,
    /// Window.
    pub window: u16,
    /// Checksum as read or set by `fix_up`.
    pub checksum: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options and padding, a multiple of 4 octets, at most 40.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub options: Vec<u8>,
}

impl Tcp {
    /// Parses a segment's header; returns it and its length.
    pub fn parse(seg: &[u8]) -> Result<(Self, usize), DecodeError> {
        let v = TcpView::new(seg)?;
        let h = Self {
            src_port: v.src_port(),
            dst_port: v.dst_port(),
            seq: v.seq(),
            ack: v.ack(),
            flags: v.flags(),
            window: v.window(),
            checksum: v.checksum(),
            urgent: v.urgent(),
            options: v.options().to_vec(),
        };
        Ok((h, v.header_len()))
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.len()
    }

    /// Appends the header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.options.len().is_multiple_of(4) || self.options.len() > 40 {
            return Err(EncodeError::new(
                "tcp.hdr_len",
                format!("{} option octets: not a multiple of 4 up to 40", self.options.len()),
            ));
        }
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.ack.to_be_bytes());
        let flags = check_bits(u64::from(self.flags), 12, "tcp.flags")? as u16;
        let off = nibbles((self.buffer_len() / 4) as u8, (flags >> 8) as u8, "tcp.hdr_len")?;
        out.push(off);
        out.push(flags as u8); // low 8 bits
        out.extend_from_slice(&self.window.to_be_bytes());
        out.extend_from_slice(&self.checksum.to_be_bytes());
        out.extend_from_slice(&self.urgent.to_be_bytes());
        out.extend_from_slice(&self.options);
        Ok(())
    }

    /// Sets the checksum for `payload` under `ph`.
    pub fn fix_up(&mut self, ph: &PseudoHeader, payload: &[u8]) -> Result<(), EncodeError> {
        self.checksum = 0;
        let mut s = Vec::with_capacity(self.buffer_len() + payload.len());
        self.emit(&mut s)?;
        s.extend_from_slice(payload);
        self.checksum = ph.checksum(IpProto::TCP, &s);
        Ok(())
    }
}

impl fmt::Display for Tcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP {} > {} seq {} ack {} flags {:#05x}",
            self.src_port, self.dst_port, self.seq, self.ack, self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pptp.pcap packet 1 (tcpdump: `10.1.1.11.3025 > 10.1.1.10.1723: Flags [S], seq
    /// 3648253419, win 16384, options [mss 1460,nop,nop,sackOK]`).
    #[rustfmt::skip]
    const SYN: [u8; 28] = [
        0x0b, 0xd1, 0x06, 0xbb, // 3025 → 1723
        0xd9, 0x73, 0xed, 0xeb, // seq 3648253419
        0x00, 0x00, 0x00, 0x00, // ack 0
        0x70, 0x02, 0x40, 0x00, // data offset 7, SYN; window 16384
        0x00, 0x00, 0x00, 0x00, // checksum (zero here), urgent 0
        0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, // mss 1460, nop, nop, sackOK
    ];

    #[test]
    fn rfc9293_3_1_summary_fields_round_trip() {
        let v = TcpView::new(&SYN).unwrap();
        assert_eq!(
            (v.src_port(), v.dst_port(), v.seq(), v.flags(), v.window()),
            (3025, 1723, 3648253419, FLAG_SYN, 16384)
        );
        assert_eq!(v.header_len(), 28);
        let (h, n) = Tcp::parse(&SYN).unwrap();
        assert_eq!(n, 28);
        let mut out = vec![];
        h.emit(&mut out).unwrap();
        assert_eq!(out, SYN);
        let ph = PseudoHeader::V4 {
            src: [10, 1, 1, 11],
            dst: [10, 1, 1, 10],
        };
        let mut h2 = h.clone();
        h2.fix_up(&ph, &[]).unwrap();
        let mut s = vec![];
        h2.emit(&mut s).unwrap();
        assert!(TcpView::new(&s).unwrap().checksum_ok(&ph));
    }

    #[test]
    fn truncation_sweep() {
        for n in 0..SYN.len() {
            assert_eq!(TcpView::new(&SYN[..n]).unwrap_err().kind, Kind::Truncated, "prefix {n}");
        }
    }
}
