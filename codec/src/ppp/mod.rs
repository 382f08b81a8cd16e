//! PPP frames (RFC 1661 §2, HDLC-like framing RFC 1662 §3.1) and the protocols PPP
//! carries: LCP ([`lcp`]), IPCP ([`ipcp`]), CCP/ECP headers ([`cp`]), PAP and CHAP
//! ([`auth`]), Multilink ([`mp`]); IPv4 and IPv6 go to the network layer.
//!
//! ```text
//! +----------+----------+----------+-------------+
//! | Address  | Control  | Protocol | Information |
//! | 11111111 | 00000011 | 8/16 bits|      *      |
//! +----------+----------+----------+-------------+
//! ```
//!
//! Address and Control are absent when ACFC was negotiated (the frame then starts with the
//! protocol); the protocol field is one octet when PFC was negotiated (an odd first octet,
//! RFC 1661 §6.5). Captures hold no flags, escapes or FCS.

pub mod auth;
pub mod cp;
pub mod ipcp;
pub mod lcp;
pub mod mp;

use crate::error::{DecodeError, Diagnostic, EncodeError};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::PppProto;
use auth::AuthPacket;
use core::fmt;
use core::ops::Range;
use cp::{Cp, RawOption};
use ipcp::IpcpOption;
use lcp::LcpOption;

/// HDLC All-Stations address (RFC 1662 §3.1).
pub const ADDRESS_ALL_STATIONS: u8 = 0xFF;
/// HDLC Unnumbered Information control (RFC 1662 §3.1).
pub const CONTROL_UI: u8 = 0x03;

/// A checked view of the PPP header: where the address/control and protocol fields are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderView {
    /// Address and Control, when present (0..2).
    pub address_control: Option<Range<usize>>,
    /// The Control octet, when present.
    pub control: Option<u8>,
    /// The protocol field (1 or 2 octets).
    pub protocol_range: Range<usize>,
    /// The protocol.
    pub protocol: PppProto,
}

impl HeaderView {
    /// Reads the header of `buf` (offsets relative to `buf`).
    pub fn new(buf: &[u8]) -> Result<Self, DecodeError> {
        // As Wireshark and tcpdump read it: a first octet 0xFF is the All-Stations address
        // followed by Control (0x03 expected; another value draws a warning).
        let ac = buf.first() == Some(&ADDRESS_ALL_STATIONS);
        if ac && buf.len() < 2 {
            return Err(DecodeError::truncated("ppp.control", 1, 1, 0).clause("RFC1662-3.1"));
        }
        let at = if ac { 2 } else { 0 };
        let &p0 = buf.get(at).ok_or_else(|| DecodeError::truncated("ppp.protocol", at, 1, 0).clause("RFC1661-2"))?;
        let (protocol, n) = if p0 & 1 == 1 {
            (PppProto(u16::from(p0)), 1)
        } else {
            let &p1 = buf.get(at + 1).ok_or_else(|| DecodeError::truncated("ppp.protocol", at, 2, 1).clause("RFC1661-2"))?;
            (PppProto(u16::from_be_bytes([p0, p1])), 2)
        };
        let control = if ac { buf.get(1).copied() } else { None };
        Ok(Self { address_control: ac.then_some(0..2), control, protocol_range: at..at + n, protocol })
    }

    /// Where the information field starts.
    pub fn payload_start(&self) -> usize {
        self.protocol_range.end
    }

    /// RFC 1661 §2: a two-octet protocol's low octet is odd (warning otherwise).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut d = Vec::new();
        if let Some(c) = self.control.filter(|&c| c != CONTROL_UI) {
            d.push(Diagnostic::warning("ppp.control", 1, "RFC1662-3.1", format!("control {c:#04x}, expected 0x03")));
        }
        if self.protocol_range.len() == 2 && self.protocol.0 & 1 == 0 {
            d.push(Diagnostic::warning(
                "ppp.protocol",
                self.protocol_range.start,
                "RFC1661-2",
                format!("protocol {:#06x} is even", self.protocol.0),
            ));
        }
        d
    }
}

/// Decoding choices negotiated out of band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Multilink fragments use the short (12-bit) sequence format (LCP option 18).
    pub mp_short_seq: bool,
}

/// The information field, decoded by protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Payload {
    /// LCP (0xC021).
    Lcp(Cp<LcpOption>),
    /// IPCP (0x8021).
    Ipcp(Cp<IpcpOption>),
    /// CCP (0x80FD): header and raw options.
    Ccp(Cp<RawOption>),
    /// ECP (0x8053): header and raw options.
    Ecp(Cp<RawOption>),
    /// PAP (0xC023).
    Pap(AuthPacket),
    /// CHAP (0xC223).
    Chap(AuthPacket),
    /// Multilink fragment (0x003D).
    Mp(mp::Fragment),
    /// Any other protocol (IPv4, IPv6, …): the octets, for the next layer.
    Other(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

/// An owned PPP frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Frame {
    /// The Control octet when Address (0xFF) and Control are present (0x03 normally);
    /// `None` when they are compressed away (ACFC).
    pub address_control: Option<u8>,
    /// Protocol sent in one octet (PFC).
    pub protocol_compressed: bool,
    /// The protocol.
    pub protocol: PppProto,
    /// The information field.
    pub payload: Payload,
}

/// The payload for `protocol` at `base` (the information field `b`).
pub fn parse_payload(protocol: PppProto, b: &[u8], base: usize, opts: ParseOptions) -> Result<Payload, DecodeError> {
    Ok(match protocol {
        PppProto::LCP => Payload::Lcp(Cp::parse(b, base, true, "ppp.length", "lcp.opt.length")?),
        PppProto::IPCP => Payload::Ipcp(Cp::parse(b, base, false, "ppp.length", "ipcp.opt.length")?),
        PppProto::CCP => Payload::Ccp(Cp::parse(b, base, false, "ppp.length", "ccp.opt.length")?),
        PppProto::ECP => Payload::Ecp(Cp::parse(b, base, false, "ppp.length", "ppp.length")?),
        PppProto::PAP => Payload::Pap(AuthPacket::parse_pap(b, base)?),
        PppProto::CHAP => Payload::Chap(AuthPacket::parse_chap(b, base)?),
        PppProto::MP => Payload::Mp(mp::Fragment::parse(b, base, opts.mp_short_seq)?),
        _ => Payload::Other(b.to_vec()),
    })
}

impl Frame {
    /// Parses a whole frame (long Multilink sequence numbers).
    pub fn parse(buf: &[u8]) -> Result<Frame, DecodeError> {
        Self::parse_with(buf, ParseOptions::default())
    }

    /// Parses a whole frame with negotiated options.
    pub fn parse_with(buf: &[u8], opts: ParseOptions) -> Result<Frame, DecodeError> {
        let h = HeaderView::new(buf)?;
        let at = h.payload_start();
        let payload = parse_payload(h.protocol, buf.get(at..).unwrap_or_default(), at, opts)?;
        Ok(Frame { address_control: h.control, protocol_compressed: h.protocol_range.len() == 1, protocol: h.protocol, payload })
    }

    /// Appends the frame.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if let Some(c) = self.address_control {
            out.extend_from_slice(&[ADDRESS_ALL_STATIONS, c]);
        } else if self.protocol_compressed && self.protocol.0 == u16::from(ADDRESS_ALL_STATIONS) {
            return Err(EncodeError::new("ppp.protocol", "a compressed protocol 0xFF would read back as the address"));
        }
        if self.protocol_compressed {
            let p = crate::emit::to_u8(usize::from(self.protocol.0), "ppp.protocol")?;
            if p & 1 == 0 {
                return Err(EncodeError::new("ppp.protocol", "a one-octet protocol is odd (RFC 1661 §6.5)"));
            }
            out.push(p);
        } else {
            if self.protocol.0 >> 8 & 1 == 1 {
                // An odd first octet would read back as a compressed protocol.
                return Err(EncodeError::new("ppp.protocol", "the first octet of a two-octet protocol is even (RFC 1661 §2)"));
            }
            out.extend_from_slice(&self.protocol.0.to_be_bytes());
        }
        match &self.payload {
            Payload::Lcp(p) => p.emit(out, "ppp.length"),
            Payload::Ipcp(p) => p.emit(out, "ppp.length"),
            Payload::Ccp(p) | Payload::Ecp(p) => p.emit(out, "ppp.length"),
            Payload::Pap(p) => p.emit(out, "pap.length"),
            Payload::Chap(p) => p.emit(out, "chap.length"),
            Payload::Mp(f) => f.emit(out),
            Payload::Other(b) => {
                out.extend_from_slice(b);
                Ok(())
            }
        }
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.protocol.name() {
            Some(n) => write!(f, "PPP {n}"),
            None => write!(f, "PPP protocol {:#06x}", self.protocol.0),
        }
    }
}

use FieldType::{Bool, Bytes, Ipv4, Mac, Protocol, Text, Uint};

/// Display-filter fields this module produces (STYLE §11), Wireshark's names.
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("ppp", Protocol, "Point-to-Point Protocol (RFC 1661)"),
    FieldDef::new("ppp.address", Uint, "HDLC Address"),
    FieldDef::new("ppp.control", Uint, "HDLC Control"),
    FieldDef::new("ppp.protocol", Uint, "Protocol"),
    FieldDef::new("ppp.code", Uint, "Control packet Code"),
    FieldDef::new("ppp.identifier", Uint, "Control packet Identifier"),
    FieldDef::new("ppp.length", Uint, "Control packet Length"),
    FieldDef::new("ppp.data", Bytes, "Control packet data"),
    FieldDef::new("lcp", Protocol, "PPP Link Control Protocol"),
    FieldDef::new("lcp.magic_number", Uint, "Magic-Number (Echo, Discard, Identification, Time-Remaining)"),
    FieldDef::new("lcp.data", Bytes, "Echo/Discard/Terminate data"),
    FieldDef::new("lcp.message", Text, "Identification / Time-Remaining message"),
    FieldDef::new("lcp.secs_remaining", Uint, "Seconds-Remaining"),
    FieldDef::new("lcp.rej_proto", Uint, "Rejected-Protocol"),
    FieldDef::new("lcp.opt.type", Uint, "LCP option Type"),
    FieldDef::new("lcp.opt.length", Uint, "LCP option Length"),
    FieldDef::new("lcp.opt.data", Bytes, "LCP option data"),
    FieldDef::new("lcp.opt.mru", Uint, "Maximum-Receive-Unit"),
    FieldDef::new("lcp.opt.asyncmap", Uint, "Async-Control-Character-Map"),
    FieldDef::new("lcp.opt.auth_protocol", Uint, "Authentication-Protocol"),
    FieldDef::new("lcp.opt.algorithm", Uint, "CHAP algorithm"),
    FieldDef::new("lcp.opt.quality_protocol", Uint, "Quality-Protocol"),
    FieldDef::new("lcp.opt.magic_number", Uint, "Magic-Number"),
    FieldDef::new("lcp.opt.field_compress", FieldType::None, "Protocol-Field-Compression"),
    FieldDef::new("lcp.opt.addr_field_compress", FieldType::None, "Address-and-Control-Field-Compression"),
    FieldDef::new("lcp.opt.mrru", Uint, "Multilink MRRU"),
    FieldDef::new("lcp.opt.multilink_ssnh", FieldType::None, "Multilink Short Sequence Number Header Format"),
    FieldDef::new("lcp.opt.ep_disc_class", Uint, "Endpoint Discriminator class"),
    FieldDef::new("lcp.opt.ip_address", Ipv4, "Endpoint Discriminator class 2 address"),
    FieldDef::new("lcp.opt.802_1_address", Mac, "Endpoint Discriminator class 3 address"),
    FieldDef::new("lcp.opt.magic_block", Bytes, "Endpoint Discriminator class 4 address"),
    FieldDef::new("lcp.opt.psndn", Bytes, "Endpoint Discriminator class 5 address"),
    FieldDef::new("ipcp", Protocol, "PPP IP Control Protocol"),
    FieldDef::new("ipcp.opt.type", Uint, "IPCP option Type"),
    FieldDef::new("ipcp.opt.length", Uint, "IPCP option Length"),
    FieldDef::new("ipcp.opt.src_address", Ipv4, "IP-Addresses source"),
    FieldDef::new("ipcp.opt.dst_address", Ipv4, "IP-Addresses destination"),
    FieldDef::new("ipcp.opt.compress_proto", Uint, "IP-Compression-Protocol"),
    FieldDef::new("ipcp.opt.ip_address", Ipv4, "IP-Address"),
    FieldDef::new("ipcp.opt.mobilenodehomeaddress", Ipv4, "Mobile-IPv4 home address"),
    FieldDef::new("ipcp.opt.pri_dns_address", Ipv4, "Primary DNS"),
    FieldDef::new("ipcp.opt.pri_nbns_address", Ipv4, "Primary NBNS"),
    FieldDef::new("ipcp.opt.sec_dns_address", Ipv4, "Secondary DNS"),
    FieldDef::new("ipcp.opt.sec_nbns_address", Ipv4, "Secondary NBNS"),
    FieldDef::new("ipcp.data", Bytes, "IPCP option data"),
    FieldDef::new("ccp", Protocol, "PPP Compression Control Protocol"),
    FieldDef::new("ccp.opt.type", Uint, "CCP option Type"),
    FieldDef::new("ccp.opt.length", Uint, "CCP option Length"),
    FieldDef::new("ccp.opt.data", Bytes, "CCP option data"),
    FieldDef::new("pap", Protocol, "PPP Password Authentication Protocol"),
    FieldDef::new("pap.code", Uint, "Code"),
    FieldDef::new("pap.identifier", Uint, "Identifier"),
    FieldDef::new("pap.length", Uint, "Length"),
    FieldDef::new("pap.peer_id.length", Uint, "Peer-ID-Length"),
    FieldDef::new("pap.peer_id", Text, "Peer-ID"),
    FieldDef::new("pap.password.length", Uint, "Passwd-Length"),
    FieldDef::new("pap.password", Text, "Password"),
    FieldDef::new("pap.message.length", Uint, "Msg-Length"),
    FieldDef::new("pap.message", Text, "Message"),
    FieldDef::new("pap.stuff", Bytes, "Data that does not fit the code"),
    FieldDef::new("chap", Protocol, "PPP Challenge Handshake Authentication Protocol"),
    FieldDef::new("chap.code", Uint, "Code"),
    FieldDef::new("chap.identifier", Uint, "Identifier"),
    FieldDef::new("chap.length", Uint, "Length"),
    FieldDef::new("chap.value_size", Uint, "Value-Size"),
    FieldDef::new("chap.value", Bytes, "Value"),
    FieldDef::new("chap.name", Text, "Name"),
    FieldDef::new("chap.message", Text, "Message"),
    FieldDef::new("chap.stuff", Bytes, "Data that does not fit the code"),
    FieldDef::new("mp", Protocol, "PPP Multilink Protocol (RFC 1990)"),
    FieldDef::new("mp.first", Bool, "B: first fragment"),
    FieldDef::new("mp.last", Bool, "E: last fragment"),
    FieldDef::new("mp.sequence_num_cls", Uint, "Reserved bits (long format)"),
    FieldDef::new("mp.short_sequence_num_cls", Uint, "Reserved bits (short format)"),
    FieldDef::new("mp.seq", Uint, "Sequence number (24 bits)"),
    FieldDef::new("mp.sseq", Uint, "Short sequence number (12 bits)"),
    FieldDef::new("mp.payload", Bytes, "Fragment octets"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    /// The PPP frame of spec vector 08: FF 03, C021, LCP Configure-Request.
    #[rustfmt::skip]
    const LCP_FRAME: [u8; 18] = [
        0xff, 0x03, 0xc0, 0x21,
        0x01, 0x01, 0x00, 0x0e, 0x01, 0x04, 0x05, 0x78, 0x05, 0x06, 0x5a, 0x3c, 0x9e, 0x01,
    ];

    #[test]
    fn rfc1662_3_1_address_control_and_protocol() {
        let f = Frame::parse(&LCP_FRAME).unwrap();
        assert!(f.address_control == Some(CONTROL_UI) && !f.protocol_compressed);
        assert_eq!(f.protocol, PppProto::LCP);
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        assert_eq!(out, LCP_FRAME);
    }

    #[test]
    fn rfc1661_6_5_6_6_compressed_fields() {
        // ACFC + PFC: 0x21 then an IPv4 header start.
        let b = [0x21, 0x45, 0x00];
        let f = Frame::parse(&b).unwrap();
        assert!(f.address_control.is_none() && f.protocol_compressed);
        assert_eq!(f.protocol, PppProto::IPV4);
        assert_eq!(f.payload, Payload::Other(vec![0x45, 0]));
        let mut out = vec![];
        f.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn rfc1661_2_truncation_sweep() {
        for n in 0..LCP_FRAME.len() {
            let e = Frame::parse(&LCP_FRAME[..n]).unwrap_err();
            assert!(matches!(e.kind, Kind::Truncated | Kind::BadLength), "prefix {n}: {e}");
        }
    }
}
