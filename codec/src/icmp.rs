//! ICMP (RFC 792) with router discovery in full: Router Advertisement and Solicitation
//! (RFC 1256) and the Mobile IP advertisement extensions of RFC 5944 §2.1 (16 Mobility Agent
//! Advertisement, 19 Prefix-Lengths, 24 Challenge [RFC 3012], 0 one-octet padding) plus the
//! MVTP VPN Mobility Agent Advertisement extension 255 (spec §3 FMT-16). Other types are
//! summarised: type, code, checksum, the 4-octet rest of header and the data (for errors, the
//! quoted IP datagram).
//!
//! ```text
//! Router Advertisement (RFC 1256 §3)               extensions (RFC 5944 §2.1)
//! +--------+--------+-----------------+            +------+--------+--------------+
//! | Type=9 |  Code  |    Checksum     |            | Type | Length | Data ...     |
//! +--------+--------+-----------------+            +------+--------+--------------+
//! |Num Addr|Entry Sz|    Lifetime     |            Type 0 is a single padding octet.
//! +--------+--------+-----------------+            16 and 255 carry the agent_adv body
//! |         Router Address[i]         |            (seq, lifetime, flags, CoAs); 19 one
//! |        Preference Level[i]        |            prefix length per router address.
//! +-----------------------------------+
//! ```

use crate::agent_adv::{self, AgentAdv, AgentAdvView};
use crate::bytes::{be_u16, be_u32};
use crate::checksum;
use crate::emit::to_u8;
use crate::error::{DecodeError, Diagnostic, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use core::fmt;
use std::net::Ipv4Addr;

/// ICMP type (IANA "ICMP Type Numbers").
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct IcmpType(pub u8);

impl IcmpType {
    /// Echo Reply.
    pub const ECHO_REPLY: Self = Self(0);
    /// Destination Unreachable.
    pub const DEST_UNREACHABLE: Self = Self(3);
    /// Source Quench.
    pub const SOURCE_QUENCH: Self = Self(4);
    /// Redirect.
    pub const REDIRECT: Self = Self(5);
    /// Echo Request.
    pub const ECHO: Self = Self(8);
    /// Router Advertisement (RFC 1256); with extension 16 a Mobile IP agent advertisement.
    pub const ROUTER_ADVERTISEMENT: Self = Self(9);
    /// Router Solicitation (RFC 1256).
    pub const ROUTER_SOLICITATION: Self = Self(10);
    /// Time Exceeded.
    pub const TIME_EXCEEDED: Self = Self(11);
    /// Parameter Problem.
    pub const PARAMETER_PROBLEM: Self = Self(12);
    /// Timestamp.
    pub const TIMESTAMP: Self = Self(13);
    /// Timestamp Reply.
    pub const TIMESTAMP_REPLY: Self = Self(14);

    /// True for the error messages that quote an IP header and 8 octets (RFC 792).
    pub const fn is_error(self) -> bool {
        matches!(
            self,
            Self::DEST_UNREACHABLE | Self::SOURCE_QUENCH | Self::REDIRECT | Self::TIME_EXCEEDED | Self::PARAMETER_PROBLEM
        )
    }

    /// A name for summaries.
    pub const fn label(self) -> &'static str {
        match self {
            Self::ECHO_REPLY => "Echo Reply",
            Self::DEST_UNREACHABLE => "Destination Unreachable",
            Self::SOURCE_QUENCH => "Source Quench",
            Self::REDIRECT => "Redirect",
            Self::ECHO => "Echo Request",
            Self::ROUTER_ADVERTISEMENT => "Router Advertisement",
            Self::ROUTER_SOLICITATION => "Router Solicitation",
            Self::TIME_EXCEEDED => "Time Exceeded",
            Self::PARAMETER_PROBLEM => "Parameter Problem",
            Self::TIMESTAMP => "Timestamp",
            Self::TIMESTAMP_REPLY => "Timestamp Reply",
            _ => "ICMP",
        }
    }
}

/// Router Advertisement codes (RFC 5944 §2.1).
pub mod ra_code {
    /// A normal router.
    pub const NORMAL: u8 = 0;
    /// A mobility agent that does not route common traffic.
    pub const NOT_ROUTING_COMMON_TRAFFIC: u8 = 16;
}

/// Router Advertisement extension types (RFC 5944 §2.1, spec §1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RaExtType(pub u8);

impl RaExtType {
    /// One-octet padding: no Length field (RFC 5944 §2.1.3).
    pub const PADDING: Self = Self(0);
    /// Mobility Agent Advertisement (RFC 5944 §2.1.1).
    pub const MOBILITY_AGENT: Self = Self(16);
    /// Prefix-Lengths (RFC 5944 §2.1.2).
    pub const PREFIX_LENGTHS: Self = Self(19);
    /// FA Challenge (RFC 3012 §2).
    pub const CHALLENGE: Self = Self(24);
    /// MVTP VPN Mobility Agent Advertisement (spec FMT-16), RFC 4064 skippable experimental.
    pub const VPN_AGENT: Self = Self(255);
}

/// Field offsets.
pub mod field {
    use core::ops::Range;
    /// Type.
    pub const TYPE: usize = 0;
    /// Code.
    pub const CODE: usize = 1;
    /// Checksum.
    pub const CHECKSUM: Range<usize> = 2..4;
    /// The 4-octet rest of the header.
    pub const REST: Range<usize> = 4..8;
    /// Router Advertisement: Num Addrs.
    pub const NUM_ADDRS: usize = 4;
    /// Router Advertisement: Addr Entry Size (32-bit words per entry).
    pub const ADDR_ENTRY_SIZE: usize = 5;
    /// Router Advertisement: Lifetime.
    pub const LIFETIME: Range<usize> = 6..8;
    /// Echo: Identifier.
    pub const IDENT: Range<usize> = 4..6;
    /// Echo: Sequence Number.
    pub const SEQ: Range<usize> = 6..8;
    /// Parameter Problem: Pointer.
    pub const POINTER: usize = 4;
    /// Destination Unreachable code 4: Next-Hop MTU (RFC 1191).
    pub const MTU: Range<usize> = 6..8;
}

/// Octets of the ICMP header.
pub const HEADER_LEN: usize = field::REST.end;
/// Address Entry Size of RFC 1256: router address + preference level, in 32-bit words.
pub const RA_ENTRY_WORDS: u8 = 2;

/// A checked view of an ICMP message: the 8-octet header is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpView<'a> {
    buf: &'a [u8],
}

impl<'a> IcmpView<'a> {
    /// Checks the header.
    pub fn new(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            let (f, at) = match buf.len() {
                0 => ("icmp.type", 0),
                1 => ("icmp.code", 1),
                2 | 3 => ("icmp.checksum", 2),
                _ => ("icmp", 4),
            };
            return Err(DecodeError::truncated(f, at, HEADER_LEN - at, buf.len().saturating_sub(at)).clause("RFC792"));
        }
        Ok(Self { buf })
    }

    /// The octets.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Type.
    pub fn icmp_type(&self) -> IcmpType {
        IcmpType(self.buf.get(field::TYPE).copied().unwrap_or(0)) // checked in `new`
    }

    /// Code.
    pub fn code(&self) -> u8 {
        self.buf.get(field::CODE).copied().unwrap_or(0) // checked in `new`
    }

    /// Checksum as stored.
    pub fn checksum(&self) -> u16 {
        be_u16(self.buf, field::CHECKSUM.start).unwrap_or(0) // checked in `new`
    }

    /// The rest of the header.
    pub fn rest(&self) -> u32 {
        be_u32(self.buf, field::REST.start).unwrap_or(0) // checked in `new`
    }

    /// The octets after the 8-octet header.
    pub fn data(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..).unwrap_or_default()
    }

    /// True when the checksum over the whole message verifies (RFC 792).
    pub fn checksum_ok(&self) -> bool {
        checksum::verifies(self.buf)
    }

    /// The checksum the message should carry.
    pub fn computed_checksum(&self) -> u16 {
        compute_checksum(self.buf)
    }

    /// For a Router Advertisement: its checked layout.
    pub fn router_adv(&self) -> Option<Result<RouterAdvView<'a>, DecodeError>> {
        (self.icmp_type() == IcmpType::ROUTER_ADVERTISEMENT).then(|| RouterAdvView::new(self.buf))
    }
}

/// The checksum `buf` (an ICMP message) should carry: computed with the field as zero.
pub fn compute_checksum(buf: &[u8]) -> u16 {
    let head = buf.get(..field::CHECKSUM.start).unwrap_or(buf);
    let tail = buf.get(field::CHECKSUM.end..).unwrap_or_default();
    !checksum::fold(checksum::sum(tail, checksum::sum(head, 0)))
}

/// Writes the right checksum into `buf` (an ICMP message of at least 4 octets).
pub fn fix_checksum(buf: &mut [u8]) {
    let c = compute_checksum(buf);
    if let Some(s) = buf.get_mut(field::CHECKSUM) {
        s.copy_from_slice(&c.to_be_bytes());
    }
}

/// A checked view of a Router Advertisement: the address entries are present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterAdvView<'a> {
    buf: &'a [u8],
    entries_end: usize,
}

impl<'a> RouterAdvView<'a> {
    /// Checks Num Addrs × Addr Entry Size against the message (RFC 1256 §3).
    pub fn new(buf: &'a [u8]) -> Result<Self, DecodeError> {
        IcmpView::new(buf)?;
        let n = usize::from(buf.get(field::NUM_ADDRS).copied().unwrap_or(0));
        let size = buf.get(field::ADDR_ENTRY_SIZE).copied().unwrap_or(0);
        if n > 0 && size < RA_ENTRY_WORDS {
            return Err(DecodeError::new(
                Kind::BadValue,
                "icmp.addr_entry_size",
                field::ADDR_ENTRY_SIZE,
                format!("address entry size {size} cannot hold an address and a preference (RFC 1256: 2)"),
            )
            .clause("RFC1256-3"));
        }
        let need = n * usize::from(size) * 4;
        let entries_end = HEADER_LEN + need;
        if buf.len() < entries_end {
            return Err(
                DecodeError::truncated("icmp.num_addrs", field::NUM_ADDRS, need, buf.len() - HEADER_LEN).clause("RFC1256-3")
            );
        }
        Ok(Self { buf, entries_end })
    }

    /// Num Addrs.
    pub fn num_addrs(&self) -> usize {
        usize::from(self.buf.get(field::NUM_ADDRS).copied().unwrap_or(0))
    }

    /// Addr Entry Size in 32-bit words.
    pub fn entry_size(&self) -> u8 {
        self.buf.get(field::ADDR_ENTRY_SIZE).copied().unwrap_or(0)
    }

    /// Lifetime, seconds.
    pub fn lifetime(&self) -> u16 {
        be_u16(self.buf, field::LIFETIME.start).unwrap_or(0)
    }

    /// Offset of entry `i`.
    pub fn entry_offset(&self, i: usize) -> usize {
        HEADER_LEN + i * usize::from(self.entry_size()) * 4
    }

    /// Router address and preference level of entry `i` (checked in `new`).
    pub fn entry(&self, i: usize) -> (Ipv4Addr, i32) {
        let at = self.entry_offset(i);
        let a = be_u32(self.buf, at).unwrap_or(0);
        let p = be_u32(self.buf, at + 4).unwrap_or(0);
        (Ipv4Addr::from(a), p as i32) // two's complement preference (RFC 1256 §3)
    }

    /// Offset of the first extension.
    pub fn extensions_offset(&self) -> usize {
        self.entries_end
    }

    /// The extensions after the address entries (RFC 5944 §2.1).
    pub fn extensions(&self) -> RaExtIter<'a> {
        RaExtIter { buf: self.buf, pos: self.entries_end, done: false }
    }
}

/// One Router Advertisement extension in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaExtView<'a> {
    /// Offset of the Type octet in the ICMP message.
    pub offset: usize,
    /// Type.
    pub ext_type: RaExtType,
    /// The data after Type and Length (empty for padding).
    pub data: &'a [u8],
}

impl RaExtView<'_> {
    /// Offset of the data.
    pub fn data_offset(&self) -> usize {
        if self.ext_type == RaExtType::PADDING {
            self.offset + 1
        } else {
            self.offset + 2
        }
    }
}

/// Walks the extensions of a Router Advertisement; stops for good after an error.
#[derive(Debug, Clone)]
pub struct RaExtIter<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for RaExtIter<'a> {
    type Item = Result<RaExtView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        let t = RaExtType(*self.buf.get(at)?);
        if t == RaExtType::PADDING {
            self.pos += 1;
            return Some(Ok(RaExtView { offset: at, ext_type: t, data: &[] }));
        }
        // Extension 255 is MVTP's: its layout is spec FMT-16 (RFC 5944's, same clause text).
        let clause = if t == RaExtType::VPN_AGENT { "FMT-16" } else { "RFC5944-2.1" };
        let r =
            match self.buf.get(at + 1) {
                None => Err(DecodeError::truncated("icmp.mip.length", at, 2, 1).clause(clause)),
                Some(&len) => {
                    let len = usize::from(len);
                    match self.buf.get(at + 2..at + 2 + len) {
                        Some(data) => Ok(RaExtView { offset: at, ext_type: t, data }),
                        None => Err(DecodeError::truncated("icmp.mip.length", at + 1, len, self.buf.len() - (at + 2))
                            .clause(clause)),
                    }
                }
            };
        match &r {
            Ok(v) => self.pos = v.data_offset() + v.data.len(),
            Err(_) => self.done = true,
        }
        Some(r)
    }
}

/// One router entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RouterEntry {
    /// Router Address.
    pub addr: Ipv4Addr,
    /// Preference Level (signed, RFC 1256 §3).
    pub pref: i32,
    /// Octets beyond the first 8 when Addr Entry Size > 2, kept as read.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub extra: Vec<u8>,
}

/// One Router Advertisement extension, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum RaExt {
    /// Type 0: one padding octet.
    Padding,
    /// Type 16: Mobility Agent Advertisement (RFC 5944 §2.1.1).
    MobilityAgent(AgentAdv),
    /// Type 19: Prefix-Lengths, one per router address (RFC 5944 §2.1.2).
    PrefixLengths(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// Type 24: FA Challenge (RFC 3012 §2).
    Challenge(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// Type 255: MVTP VPN Mobility Agent Advertisement (spec FMT-16).
    VpnAgent(AgentAdv),
    /// Any other type, or a 16/255 whose body length is not 6 + 4k: kept as read.
    Other {
        /// Type.
        ext_type: u8,
        /// Data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
}

impl RaExt {
    /// The type octet.
    pub fn ext_type(&self) -> RaExtType {
        match self {
            RaExt::Padding => RaExtType::PADDING,
            RaExt::MobilityAgent(_) => RaExtType::MOBILITY_AGENT,
            RaExt::PrefixLengths(_) => RaExtType::PREFIX_LENGTHS,
            RaExt::Challenge(_) => RaExtType::CHALLENGE,
            RaExt::VpnAgent(_) => RaExtType::VPN_AGENT,
            RaExt::Other { ext_type, .. } => RaExtType(*ext_type),
        }
    }

    fn from_view(v: &RaExtView<'_>) -> Self {
        let d = v.data;
        match v.ext_type {
            RaExtType::PADDING => RaExt::Padding,
            RaExtType::MOBILITY_AGENT | RaExtType::VPN_AGENT => match AgentAdv::parse(d) {
                Ok(a) if v.ext_type == RaExtType::MOBILITY_AGENT => RaExt::MobilityAgent(a),
                Ok(a) => RaExt::VpnAgent(a),
                Err(_) => RaExt::Other { ext_type: v.ext_type.0, data: d.to_vec() },
            },
            RaExtType::PREFIX_LENGTHS => RaExt::PrefixLengths(d.to_vec()),
            RaExtType::CHALLENGE => RaExt::Challenge(d.to_vec()),
            t => RaExt::Other { ext_type: t.0, data: d.to_vec() },
        }
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            RaExt::Padding => 1,
            RaExt::MobilityAgent(a) | RaExt::VpnAgent(a) => 2 + a.buffer_len(),
            RaExt::PrefixLengths(d) | RaExt::Challenge(d) | RaExt::Other { data: d, .. } => 2 + d.len(),
        }
    }

    /// Appends the extension; Length is computed.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let t = self.ext_type();
        out.push(t.0);
        match self {
            RaExt::Padding => {}
            RaExt::Other { ext_type: 0, .. } => {
                return Err(EncodeError::new("icmp.mip.type", "type 0 is the one-octet padding"));
            }
            RaExt::MobilityAgent(a) | RaExt::VpnAgent(a) => {
                out.push(to_u8(a.buffer_len(), "icmp.mip.length")?);
                a.emit(out);
            }
            RaExt::PrefixLengths(d) | RaExt::Challenge(d) | RaExt::Other { data: d, .. } => {
                out.push(to_u8(d.len(), "icmp.mip.length")?);
                out.extend_from_slice(d);
            }
        }
        Ok(())
    }
}

/// The part after Type, Code and Checksum, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum IcmpBody {
    /// Router Advertisement (RFC 1256 §3) with Mobile IP / MVTP extensions.
    RouterAdvertisement {
        /// Addr Entry Size in 32-bit words (2 in RFC 1256).
        entry_size: u8,
        /// Lifetime, seconds.
        lifetime: u16,
        /// Router entries; Num Addrs is their count.
        routers: Vec<RouterEntry>,
        /// Extensions (RFC 5944 §2.1).
        extensions: Vec<RaExt>,
    },
    /// Router Solicitation (RFC 1256 §3): a reserved word, and any octets after it.
    RouterSolicitation {
        /// Reserved, kept as read.
        reserved: u32,
        /// Octets after the header.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Echo Request / Reply (RFC 792).
    Echo {
        /// Identifier.
        ident: u16,
        /// Sequence Number.
        seq: u16,
        /// Data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Every other type: the rest of the header and the data (errors: the quoted datagram).
    Other {
        /// The rest of the header.
        rest: u32,
        /// Data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
}

/// One owned ICMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Icmp {
    /// Type.
    pub icmp_type: IcmpType,
    /// Code.
    pub code: u8,
    /// Checksum as read (emitted as stored; [`fix_checksum`] recomputes it).
    pub checksum: u16,
    /// The rest.
    pub body: IcmpBody,
}

impl Icmp {
    /// Parses an ICMP message (the IPv4 payload).
    pub fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        let v = IcmpView::new(buf)?;
        let t = v.icmp_type();
        let body = match t {
            IcmpType::ROUTER_ADVERTISEMENT => {
                let ra = RouterAdvView::new(buf)?;
                let size = usize::from(ra.entry_size());
                let routers = (0..ra.num_addrs())
                    .map(|i| {
                        let (addr, pref) = ra.entry(i);
                        let at = ra.entry_offset(i);
                        let extra = buf.get(at + 8..at + size * 4).unwrap_or_default().to_vec();
                        RouterEntry { addr, pref, extra }
                    })
                    .collect();
                let mut extensions = Vec::new();
                for e in ra.extensions() {
                    extensions.push(RaExt::from_view(&e?));
                }
                IcmpBody::RouterAdvertisement { entry_size: ra.entry_size(), lifetime: ra.lifetime(), routers, extensions }
            }
            IcmpType::ROUTER_SOLICITATION => IcmpBody::RouterSolicitation { reserved: v.rest(), data: v.data().to_vec() },
            IcmpType::ECHO | IcmpType::ECHO_REPLY => IcmpBody::Echo {
                ident: be_u16(buf, field::IDENT.start).unwrap_or(0),
                seq: be_u16(buf, field::SEQ.start).unwrap_or(0),
                data: v.data().to_vec(),
            },
            _ => IcmpBody::Other { rest: v.rest(), data: v.data().to_vec() },
        };
        Ok(Icmp { icmp_type: t, code: v.code(), checksum: v.checksum(), body })
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match &self.body {
                IcmpBody::RouterAdvertisement { entry_size, routers, extensions, .. } => {
                    routers.len() * usize::from(*entry_size) * 4 + extensions.iter().map(RaExt::buffer_len).sum::<usize>()
                }
                IcmpBody::RouterSolicitation { data, .. } | IcmpBody::Echo { data, .. } | IcmpBody::Other { data, .. } => {
                    data.len()
                }
            }
    }

    /// Appends the message with the checksum as stored.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let expect = match &self.body {
            IcmpBody::RouterAdvertisement { .. } => Some(IcmpType::ROUTER_ADVERTISEMENT),
            IcmpBody::RouterSolicitation { .. } => Some(IcmpType::ROUTER_SOLICITATION),
            IcmpBody::Echo { .. } if matches!(self.icmp_type, IcmpType::ECHO | IcmpType::ECHO_REPLY) => None,
            IcmpBody::Echo { .. } => return Err(EncodeError::new("icmp.type", "an echo body needs type 0 or 8")),
            IcmpBody::Other { .. } => None,
        };
        if let Some(t) = expect {
            if t != self.icmp_type {
                return Err(EncodeError::new("icmp.type", format!("type {} does not match the body", self.icmp_type.0)));
            }
        } else if matches!(self.body, IcmpBody::Other { .. })
            && matches!(
                self.icmp_type,
                IcmpType::ROUTER_ADVERTISEMENT | IcmpType::ROUTER_SOLICITATION | IcmpType::ECHO | IcmpType::ECHO_REPLY
            )
        {
            return Err(EncodeError::new("icmp.type", format!("type {} has its own body", self.icmp_type.0)));
        }
        out.push(self.icmp_type.0);
        out.push(self.code);
        out.extend_from_slice(&self.checksum.to_be_bytes());
        match &self.body {
            IcmpBody::RouterAdvertisement { entry_size, lifetime, routers, extensions } => {
                out.push(to_u8(routers.len(), "icmp.num_addrs")?);
                out.push(*entry_size);
                out.extend_from_slice(&lifetime.to_be_bytes());
                if !routers.is_empty() && *entry_size < RA_ENTRY_WORDS {
                    return Err(EncodeError::new("icmp.addr_entry_size", "an entry needs at least 2 words"));
                }
                let extra = usize::from(*entry_size).saturating_sub(2) * 4;
                for r in routers {
                    if r.extra.len() != extra {
                        return Err(EncodeError::new("icmp.addr_entry_size", format!("entry needs {extra} extra octets")));
                    }
                    out.extend_from_slice(&r.addr.octets());
                    out.extend_from_slice(&r.pref.to_be_bytes());
                    out.extend_from_slice(&r.extra);
                }
                for e in extensions {
                    e.emit(out)?;
                }
            }
            IcmpBody::RouterSolicitation { reserved: rest, data } | IcmpBody::Other { rest, data } => {
                out.extend_from_slice(&rest.to_be_bytes());
                out.extend_from_slice(data);
            }
            IcmpBody::Echo { ident, seq, data } => {
                out.extend_from_slice(&ident.to_be_bytes());
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }

    /// The message with its checksum recomputed.
    pub fn to_bytes_fixed(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit(&mut out)?;
        fix_checksum(&mut out);
        Ok(out)
    }

    /// A Router Advertisement (code 0, entry size 2, checksum left 0: see [`Self::to_bytes_fixed`]).
    pub fn router_advertisement(lifetime: u16, routers: &[(Ipv4Addr, i32)], extensions: Vec<RaExt>) -> Self {
        Icmp {
            icmp_type: IcmpType::ROUTER_ADVERTISEMENT,
            code: ra_code::NORMAL,
            checksum: 0,
            body: IcmpBody::RouterAdvertisement {
                entry_size: RA_ENTRY_WORDS,
                lifetime,
                routers: routers.iter().map(|&(addr, pref)| RouterEntry { addr, pref, extra: Vec::new() }).collect(),
                extensions,
            },
        }
    }
}

/// Meaning-level findings about a Router Advertisement's extensions, offsets within the
/// ICMP message: a 16/255 body of the wrong length (RFC 5944 §2.1.1, spec AVP-6), an
/// extension 255 without F or care-of address (AVP-7) or with reserved flag bits (FMT-3),
/// and a Prefix-Lengths extension with the wrong count or a length above 32 (AVP-8 when the
/// advertisement is an MVTP one, RFC 5944 §2.1.2 otherwise).
pub fn ra_diagnostics(ra: &RouterAdvView<'_>) -> Vec<Diagnostic> {
    let exts: Vec<RaExtView<'_>> = ra.extensions().filter_map(Result::ok).collect();
    let mvtp = exts.iter().any(|e| e.ext_type == RaExtType::VPN_AGENT);
    let mut out = Vec::new();
    for e in &exts {
        match e.ext_type {
            RaExtType::MOBILITY_AGENT | RaExtType::VPN_AGENT => {
                let vpn = e.ext_type == RaExtType::VPN_AGENT;
                match AgentAdvView::new(e.data) {
                    Err(_) => out.push(Diagnostic::error(
                        Kind::BadLength,
                        "icmp.mip.length",
                        e.offset + 1,
                        if vpn { "AVP-6" } else { "RFC5944-2.1.1" },
                        format!("agent advertisement body of {} octets is not 6 + 4k", e.data.len()),
                    )),
                    Ok(a) if vpn => {
                        let flags_at = e.data_offset() + agent_adv::field::FLAGS.start;
                        if a.reserved_set() {
                            out.push(Diagnostic::warning(
                                "mvtp.agent.flags",
                                flags_at,
                                "FMT-3",
                                format!("reserved flag bits set in {:#06x}", a.flags()),
                            ));
                        }
                        if a.flags() & agent_adv::flags::F == 0 || a.coa_count() == 0 {
                            out.push(Diagnostic::error(
                                Kind::BadValue,
                                "mvtp.agent.flags",
                                flags_at,
                                "AVP-7",
                                "an FA advertisement has F = 1 and at least one care-of address",
                            ));
                        }
                    }
                    Ok(_) => {}
                }
            }
            RaExtType::PREFIX_LENGTHS => {
                let clause = if mvtp { "AVP-8" } else { "RFC5944-2.1.2" };
                if let Some(i) = e.data.iter().position(|&p| p > 32) {
                    out.push(Diagnostic::error(
                        Kind::BadValue,
                        "icmp.mip.prefixlength",
                        e.data_offset() + i,
                        clause,
                        format!("prefix length {} above 32", e.data.get(i).copied().unwrap_or(0)),
                    ));
                } else if e.data.len() != ra.num_addrs() {
                    out.push(Diagnostic::error(
                        Kind::BadLength,
                        "icmp.mip.length",
                        e.offset,
                        clause,
                        format!("{} prefix lengths for {} router addresses", e.data.len(), ra.num_addrs()),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

impl fmt::Display for Icmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ICMP {} (type {}, code {})", self.icmp_type.label(), self.icmp_type.0, self.code)?;
        match &self.body {
            IcmpBody::RouterAdvertisement { lifetime, routers, extensions, .. } => {
                write!(f, " lifetime {lifetime}, {} router(s)", routers.len())?;
                for e in extensions {
                    match e {
                        RaExt::MobilityAgent(a) => write!(f, ", MIP agent seq {} [{}]", a.seq, agent_adv::flag_letters(a.flags))?,
                        RaExt::VpnAgent(a) => write!(f, ", MVTP agent seq {} [{}]", a.seq, agent_adv::flag_letters(a.flags))?,
                        RaExt::PrefixLengths(p) => write!(f, ", prefix lengths {p:?}")?,
                        _ => {}
                    }
                }
                Ok(())
            }
            IcmpBody::Echo { ident, seq, .. } => write!(f, " id {ident} seq {seq}"),
            _ => Ok(()),
        }
    }
}

/// Display-filter fields this module produces (STYLE §11): Wireshark's `icmp.*` names.
/// The `mvtp.agent.*` fields of extension 255 are registered by the MVTP module.
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("icmp", FieldType::Protocol, "Internet Control Message Protocol"),
    FieldDef::new("icmp.type", FieldType::Uint, "Type"),
    FieldDef::new("icmp.code", FieldType::Uint, "Code"),
    FieldDef::new("icmp.checksum", FieldType::Uint, "Checksum"),
    FieldDef::new("icmp.ident", FieldType::Uint, "Echo identifier"),
    FieldDef::new("icmp.seq", FieldType::Uint, "Echo sequence number"),
    FieldDef::new("icmp.unused", FieldType::Bytes, "Unused rest of header"),
    FieldDef::new("icmp.reserved", FieldType::Bytes, "Reserved rest of header (Router Solicitation)"),
    FieldDef::new("icmp.mtu", FieldType::Uint, "Next-hop MTU"),
    FieldDef::new("icmp.pointer", FieldType::Uint, "Parameter Problem pointer"),
    FieldDef::new("icmp.redir_gw", FieldType::Ipv4, "Redirect gateway address"),
    FieldDef::new("icmp.num_addrs", FieldType::Uint, "Number of addresses"),
    FieldDef::new("icmp.addr_entry_size", FieldType::Uint, "Address entry size, 32-bit words"),
    FieldDef::new("icmp.lifetime", FieldType::Uint, "Advertisement lifetime, seconds"),
    FieldDef::new("icmp.router_address", FieldType::Ipv4, "Router address"),
    FieldDef::new("icmp.pref_level", FieldType::Int, "Preference level"),
    FieldDef::new("icmp.mip.type", FieldType::Uint, "Advertisement extension type"),
    FieldDef::new("icmp.mip.length", FieldType::Uint, "Advertisement extension length"),
    FieldDef::new("icmp.mip.seq", FieldType::Uint, "Mobility agent sequence number"),
    FieldDef::new("icmp.mip.life", FieldType::Uint, "Mobility agent registration lifetime"),
    FieldDef::new("icmp.mip.flags", FieldType::Uint, "Mobility agent flags (16 bits)"),
    FieldDef::new("icmp.mip.r", FieldType::Bool, "R: registration required"),
    FieldDef::new("icmp.mip.b", FieldType::Bool, "B: busy"),
    FieldDef::new("icmp.mip.h", FieldType::Bool, "H: home agent"),
    FieldDef::new("icmp.mip.f", FieldType::Bool, "F: foreign agent"),
    FieldDef::new("icmp.mip.m", FieldType::Bool, "M: minimal encapsulation"),
    FieldDef::new("icmp.mip.g", FieldType::Bool, "G: GRE"),
    FieldDef::new("icmp.mip.v", FieldType::Bool, "r: reserved (formerly VJ compression)"),
    FieldDef::new("icmp.mip.rt", FieldType::Bool, "T: reverse tunnelling"),
    FieldDef::new("icmp.mip.u", FieldType::Bool, "U: UDP tunnelling (RFC 3519)"),
    FieldDef::new("icmp.mip.x", FieldType::Bool, "X: revocation support (RFC 3543)"),
    FieldDef::new("icmp.mip.reserved", FieldType::Uint, "Low 6 flag bits (I and reserved)"),
    FieldDef::new("icmp.mip.coa", FieldType::Ipv4, "Care-of address"),
    FieldDef::new("icmp.mip.prefixlength", FieldType::Uint, "Prefix length"),
    FieldDef::new("icmp.mip.challenge", FieldType::Bytes, "FA challenge"),
    FieldDef::new("icmp.mip.content", FieldType::Bytes, "Extension content not interpreted"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec FMT-16: an extension 255 whose Length runs past the message breaks the
    /// extension layout (reported under the spec's clause; other types under RFC 5944).
    #[test]
    fn fmt_16_ext_255_length_past_the_end() {
        let mut m = vec![9, 0, 0, 0, 1, 2, 0x07, 0x08, 198, 51, 100, 20, 0, 0, 0, 0];
        m.extend_from_slice(&[255, 14, 0x01, 0x2c, 0x07, 0x08, 0x14, 0x00, 198, 51, 100, 20]);
        let clause = |m: &[u8]| {
            let ra = RouterAdvView::new(m).ok()?;
            let e = ra.extensions().find_map(Result::err)?;
            e.clause
        };
        assert_eq!(clause(&m), Some("FMT-16"));
        m[16] = 16;
        assert_eq!(clause(&m), Some("RFC5944-2.1"));
    }

    /// Spec vector 12: Router Advertisement with extensions 16, 255 and 19 (FMT-16).
    #[rustfmt::skip]
    const RA: [u8; 43] = [
        0x09, 0x00, 0xfa, 0x0a, // type 9, code 0, checksum
        0x01, 0x02, 0x00, 0x03, // 1 address, entry size 2, lifetime 3
        198, 51, 100, 20,       // router address
        0, 0, 0, 0,             // preference 0
        16, 10,                 // Mobility Agent Advertisement, length 10
        0x04, 0xb8, 0x07, 0x08, 0x95, 0xc0, 198, 51, 100, 20,
        255, 10,                // MVTP VPN Mobility Agent Advertisement, length 10
        0x04, 0xb8, 0x07, 0x08, 0x95, 0xc0, 198, 51, 100, 20,
        19, 1, 24,              // Prefix-Lengths: /24
    ];

    #[test]
    fn fmt_16_router_advertisement_parse_emit_checksum() {
        let v = IcmpView::new(&RA).unwrap();
        assert!(v.checksum_ok());
        assert_eq!(v.computed_checksum(), 0xfa0a);
        let m = Icmp::parse(&RA).unwrap();
        let IcmpBody::RouterAdvertisement { routers, extensions, lifetime, .. } = &m.body else { panic!() };
        assert_eq!(*lifetime, 3);
        assert_eq!(routers[0].addr, Ipv4Addr::new(198, 51, 100, 20));
        assert_eq!(extensions.len(), 3);
        let RaExt::VpnAgent(a) = &extensions[1] else { panic!() };
        assert_eq!((a.seq, a.lifetime, a.flags), (1208, 1800, 0x95c0));
        assert_eq!(extensions[2], RaExt::PrefixLengths(vec![24]));
        let mut out = Vec::new();
        m.emit(&mut out).unwrap();
        assert_eq!(out, RA);
        assert_eq!(m.to_bytes_fixed().unwrap(), RA);
        assert!(ra_diagnostics(&RouterAdvView::new(&RA).unwrap()).is_empty());
    }

    #[test]
    fn rfc1256_truncation_sweep() {
        for n in 0..RA.len() {
            let r = Icmp::parse(&RA[..n]);
            match n {
                0..=7 => assert_eq!(r.unwrap_err().kind, Kind::Truncated),
                8..=15 => assert_eq!(r.unwrap_err().field, "icmp.num_addrs"),
                16 | 28 | 40 => assert!(r.is_ok(), "prefix {n} ends on an extension boundary"),
                _ => {
                    let e = r.unwrap_err();
                    assert_eq!((e.kind, e.field), (Kind::Truncated, "icmp.mip.length"), "prefix {n}");
                }
            }
        }
    }

    #[test]
    fn rfc5944_2_1_2_prefix_count_and_avp_7() {
        let mut b = RA.to_vec();
        b[41] = 2; // two prefix lengths for one router address
        b.push(16);
        let d = ra_diagnostics(&RouterAdvView::new(&b).unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].clause, d[0].offset), (Some("AVP-8"), 40));
        let mut b = RA.to_vec();
        b[34] = 0x85; // 255's flags without F
        let d = ra_diagnostics(&RouterAdvView::new(&b).unwrap());
        assert_eq!((d[0].clause, d[0].offset), (Some("AVP-7"), 34));
        let mut b = RA.to_vec();
        b[42] = 33;
        let d = ra_diagnostics(&RouterAdvView::new(&b).unwrap());
        assert_eq!((d[0].kind, d[0].offset), (Some(Kind::BadValue), 42));
    }

    #[test]
    fn rfc1256_solicitation_and_echo_round_trip() {
        let mut rs = vec![10, 0, 0, 0, 0, 0, 0, 0];
        fix_checksum(&mut rs);
        assert_eq!(rs, [10, 0, 0xf5, 0xff, 0, 0, 0, 0]);
        let m = Icmp::parse(&rs).unwrap();
        assert_eq!(m.body, IcmpBody::RouterSolicitation { reserved: 0, data: vec![] });
        let echo = [8, 0, 0, 0, 0x12, 0x34, 0, 7, 0xaa];
        let m = Icmp::parse(&echo).unwrap();
        assert_eq!(m.body, IcmpBody::Echo { ident: 0x1234, seq: 7, data: vec![0xaa] });
        let mut out = Vec::new();
        m.emit(&mut out).unwrap();
        assert_eq!(out, echo);
    }

    #[test]
    fn rfc5944_2_1_3_padding_and_bad_entry_size() {
        let mut b = vec![9, 0, 0, 0, 0, 2, 0, 5, 0, 0, 19, 0];
        fix_checksum(&mut b);
        let m = Icmp::parse(&b).unwrap();
        let IcmpBody::RouterAdvertisement { extensions, .. } = &m.body else { panic!() };
        assert_eq!(extensions, &[RaExt::Padding, RaExt::Padding, RaExt::PrefixLengths(vec![])]);
        assert_eq!(m.to_bytes_fixed().unwrap(), b);
        let e = Icmp::parse(&[9, 0, 0, 0, 1, 1, 0, 5, 1, 2, 3, 4]).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::BadValue, 5));
    }
}
