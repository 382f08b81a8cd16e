//! The packet format shared by PPP control protocols (RFC 1661 §5: LCP, and the NCPs of
//! IPCP RFC 1332, CCP RFC 1962, ECP RFC 1968) and, for the header, PAP and CHAP.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Data ...
//! +-+-+-+-+-+-+-+-+
//! ```
//!
//! Octets after Length are padding (RFC 1661 §5: ignored on reception), kept for
//! octet-exact re-encoding. Configure-Request/Ack/Nak/Reject carry options (§6):
//! Type (1), Length (1, ≥ 2), Data.

use crate::bytes::{be_u16, be_u32};
use crate::emit::LenSlot;
use crate::error::{DecodeError, EncodeError, Kind};
use core::ops::Range;

/// Code, Identifier, Length.
pub const HEADER_LEN: usize = 4;

/// Control packet codes (RFC 1661 §5, RFC 1570, RFC 1962 §2).
pub mod code {
    /// Configure-Request.
    pub const CONFIGURE_REQUEST: u8 = 1;
    /// Configure-Ack.
    pub const CONFIGURE_ACK: u8 = 2;
    /// Configure-Nak.
    pub const CONFIGURE_NAK: u8 = 3;
    /// Configure-Reject.
    pub const CONFIGURE_REJECT: u8 = 4;
    /// Terminate-Request.
    pub const TERMINATE_REQUEST: u8 = 5;
    /// Terminate-Ack.
    pub const TERMINATE_ACK: u8 = 6;
    /// Code-Reject.
    pub const CODE_REJECT: u8 = 7;
    /// Protocol-Reject (LCP).
    pub const PROTOCOL_REJECT: u8 = 8;
    /// Echo-Request (LCP).
    pub const ECHO_REQUEST: u8 = 9;
    /// Echo-Reply (LCP).
    pub const ECHO_REPLY: u8 = 10;
    /// Discard-Request (LCP).
    pub const DISCARD_REQUEST: u8 = 11;
    /// Identification (LCP, RFC 1570).
    pub const IDENTIFICATION: u8 = 12;
    /// Time-Remaining (LCP, RFC 1570).
    pub const TIME_REMAINING: u8 = 13;
    /// Reset-Request (CCP, RFC 1962).
    pub const RESET_REQUEST: u8 = 14;
    /// Reset-Ack (CCP, RFC 1962).
    pub const RESET_ACK: u8 = 15;
}

/// A checked view of a control packet: `data` is within Length, `padding` after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketView<'a> {
    /// Code.
    pub code: u8,
    /// Identifier.
    pub identifier: u8,
    /// Length.
    pub length: u16,
    /// Octets after the header, within Length.
    pub data: &'a [u8],
    /// Octets after Length.
    pub padding: &'a [u8],
}

impl<'a> PacketView<'a> {
    /// Checks the header and Length (≥ 4, within `buf`); `proto` names the fields
    /// (`ppp`, `pap`, `chap`), `base` is the packet's offset for errors.
    pub fn new(buf: &'a [u8], base: usize, length_field: &'static str) -> Result<Self, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::truncated(length_field, base, HEADER_LEN, buf.len()).clause("RFC1661-5"));
        }
        let n = usize::from(be_u16(buf, 2).unwrap_or_default());
        if n < HEADER_LEN {
            return Err(DecodeError::new(
                Kind::BadLength,
                length_field,
                base + 2,
                format!("Length {n} is below the 4-octet header"),
            )
            .clause("RFC1661-5"));
        }
        if n > buf.len() {
            return Err(DecodeError::new(
                Kind::Truncated,
                length_field,
                base + 2,
                format!("Length {n} exceeds the {} octets present", buf.len()),
            )
            .clause("RFC1661-5"));
        }
        Ok(Self {
            code: buf[0],
            identifier: buf[1],
            length: n as u16, // n came from a u16
            data: buf.get(HEADER_LEN..n).unwrap_or_default(),
            padding: buf.get(n..).unwrap_or_default(),
        })
    }
}

/// One option as read (RFC 1661 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptView<'a> {
    /// Type.
    pub ty: u8,
    /// Data (Length − 2 octets).
    pub data: &'a [u8],
    /// Offset of the option's Type octet.
    pub offset: usize,
}

impl OptView<'_> {
    /// Range of the whole option.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + 2 + self.data.len()
    }
}

/// Iterates over options; stops for good after the first error.
#[derive(Debug, Clone)]
pub struct OptIter<'a> {
    rest: &'a [u8],
    offset: usize,
    field: &'static str,
    failed: bool,
}

impl<'a> OptIter<'a> {
    /// Options in `area` whose first octet is at `offset`; `field` names the length field
    /// in errors (`lcp.opt.length`, `ipcp.opt.length`).
    pub fn new(area: &'a [u8], offset: usize, field: &'static str) -> Self {
        Self { rest: area, offset, field, failed: false }
    }
}

impl<'a> Iterator for OptIter<'a> {
    type Item = Result<OptView<'a>, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = (|| {
            let (&ty, rest) = self.rest.split_first().ok_or_else(|| DecodeError::truncated(self.field, self.offset, 2, 0))?;
            let &len = rest.first().ok_or_else(|| DecodeError::truncated(self.field, self.offset, 2, 1).clause("RFC1661-6"))?;
            let len = usize::from(len);
            if len < 2 {
                return Err(DecodeError::new(
                    Kind::BadLength,
                    self.field,
                    self.offset + 1,
                    format!("option Length {len} is below 2"),
                )
                .clause("RFC1661-6"));
            }
            let data = self.rest.get(2..len).ok_or_else(|| {
                DecodeError::new(
                    Kind::Truncated,
                    self.field,
                    self.offset + 1,
                    format!("option Length {len} exceeds the {} octets left", self.rest.len()),
                )
                .clause("RFC1661-6")
            })?;
            Ok((OptView { ty, data, offset: self.offset }, len))
        })();
        match r {
            Ok((v, len)) => {
                self.rest = self.rest.get(len..).unwrap_or_default();
                self.offset += len;
                Some(Ok(v))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A protocol's option set: decoded from (type, data) losslessly, emitted back.
pub trait OptionSet: Sized {
    /// Decodes one option; a value that does not fit its type stays unknown.
    fn decode(ty: u8, data: &[u8]) -> Self;
    /// The option type.
    fn ty(&self) -> u8;
    /// Appends the option data (after Type and Length).
    fn emit_data(&self, out: &mut Vec<u8>);
}

/// An option kept as read (CCP, ECP and unknown types).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RawOption {
    /// Type.
    pub ty: u8,
    /// Data.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub data: Vec<u8>,
}

impl OptionSet for RawOption {
    fn decode(ty: u8, data: &[u8]) -> Self {
        Self { ty, data: data.to_vec() }
    }
    fn ty(&self) -> u8 {
        self.ty
    }
    fn emit_data(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.data);
    }
}

/// What follows the header of a control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum CpData<O> {
    /// Configure-Request/Ack/Nak/Reject: options.
    Options(Vec<O>),
    /// Protocol-Reject (LCP): the rejected protocol and packet.
    ProtocolReject {
        /// Rejected-Protocol.
        protocol: u16,
        /// Rejected-Information.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Echo-Request/Reply, Discard-Request, Identification (LCP): Magic-Number and data.
    Magic {
        /// Magic-Number.
        magic: u32,
        /// Data (the message for Identification).
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Time-Remaining (LCP, RFC 1570).
    TimeRemaining {
        /// Magic-Number.
        magic: u32,
        /// Seconds-Remaining.
        seconds: u32,
        /// Message.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        message: Vec<u8>,
    },
    /// Any other code, or a body that does not fit its code: octets as read.
    Data(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

/// An owned control packet of a protocol whose options are `O`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Cp<O> {
    /// Code.
    pub code: u8,
    /// Identifier.
    pub identifier: u8,
    /// The body.
    pub data: CpData<O>,
    /// Octets after Length.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub padding: Vec<u8>,
}

/// Whether `code` carries options (codes 1..=4).
pub fn has_options(code: u8) -> bool {
    (code::CONFIGURE_REQUEST..=code::CONFIGURE_REJECT).contains(&code)
}

impl<O: OptionSet> Cp<O> {
    /// Parses a control packet at `base`; `lcp` enables the LCP-only codes 8..=13.
    pub fn parse(
        buf: &[u8],
        base: usize,
        lcp: bool,
        length_field: &'static str,
        opt_field: &'static str,
    ) -> Result<Self, DecodeError> {
        let v = PacketView::new(buf, base, length_field)?;
        let d = v.data;
        let data = match v.code {
            c if has_options(c) => {
                let mut opts = Vec::new();
                for o in OptIter::new(d, base + HEADER_LEN, opt_field) {
                    let o = o?;
                    opts.push(O::decode(o.ty, o.data));
                }
                CpData::Options(opts)
            }
            code::PROTOCOL_REJECT if lcp && d.len() >= 2 => CpData::ProtocolReject {
                protocol: be_u16(d, 0).unwrap_or_default(),
                data: d.get(2..).unwrap_or_default().to_vec(),
            },
            code::ECHO_REQUEST | code::ECHO_REPLY | code::DISCARD_REQUEST | code::IDENTIFICATION if lcp && d.len() >= 4 => {
                CpData::Magic { magic: be_u32(d, 0).unwrap_or_default(), data: d.get(4..).unwrap_or_default().to_vec() }
            }
            code::TIME_REMAINING if lcp && d.len() >= 8 => CpData::TimeRemaining {
                magic: be_u32(d, 0).unwrap_or_default(),
                seconds: be_u32(d, 4).unwrap_or_default(),
                message: d.get(8..).unwrap_or_default().to_vec(),
            },
            _ => CpData::Data(d.to_vec()),
        };
        Ok(Self { code: v.code, identifier: v.identifier, data, padding: v.padding.to_vec() })
    }

    /// Appends the packet; Length is computed.
    pub fn emit(&self, out: &mut Vec<u8>, length_field: &'static str) -> Result<(), EncodeError> {
        let start = out.len();
        out.push(self.code);
        out.push(self.identifier);
        let len = LenSlot::u16(out);
        match &self.data {
            CpData::Options(opts) => {
                for o in opts {
                    out.push(o.ty());
                    let l = LenSlot::u8(out);
                    let s = out.len();
                    o.emit_data(out);
                    let n = out.len() - s + 2;
                    l.fill(out, n, "ppp.opt.length")?;
                }
            }
            CpData::ProtocolReject { protocol, data } => {
                out.extend_from_slice(&protocol.to_be_bytes());
                out.extend_from_slice(data);
            }
            CpData::Magic { magic, data } => {
                out.extend_from_slice(&magic.to_be_bytes());
                out.extend_from_slice(data);
            }
            CpData::TimeRemaining { magic, seconds, message } => {
                out.extend_from_slice(&magic.to_be_bytes());
                out.extend_from_slice(&seconds.to_be_bytes());
                out.extend_from_slice(message);
            }
            CpData::Data(d) => out.extend_from_slice(d),
        }
        let n = out.len() - start;
        len.fill(out, n, length_field)?;
        out.extend_from_slice(&self.padding);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1661_5_length_checks() {
        assert_eq!(PacketView::new(&[1, 1, 0], 7, "ppp.length").unwrap_err().kind, Kind::Truncated);
        let e = PacketView::new(&[1, 1, 0, 3], 7, "ppp.length").unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::BadLength, 9));
        let e = PacketView::new(&[1, 1, 0, 9, 0], 7, "ppp.length").unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::Truncated, 9));
        let v = PacketView::new(&[5, 1, 0, 4, 0xee], 0, "ppp.length").unwrap();
        assert_eq!((v.data, v.padding), (&[][..], &[0xee][..]));
    }

    #[test]
    fn rfc1661_6_option_length_below_2() {
        let mut it = OptIter::new(&[1, 1, 0], 4, "lcp.opt.length");
        let e = it.next().unwrap().unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::BadLength, 5));
        assert!(it.next().is_none());
    }
}
