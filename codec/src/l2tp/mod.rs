//! L2TPv2 (RFC 2661 §3.1) header and messages, with the session hand-off AVPs of spec §7.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Tunnel ID           |           Session ID          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |             Ns (opt)          |             Nr (opt)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Offset Size (opt)        |    Offset pad... (opt)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A control message (T = 1) carries AVPs ([`avp`]); a control message without AVPs is a
//! ZLB acknowledgement. A data message (T = 0) carries a PPP frame. Version 3 (RFC 3931)
//! over UDP is recognised and reported as such (`version` error naming L2TPv3), not decoded.

pub mod avp;
pub mod hidden;

use crate::bytes::be_u16;
use crate::emit::LenSlot;
use crate::error::{DecodeError, Diagnostic, EncodeError, Kind};
use crate::fields::{FieldDef, FieldType};
use crate::numbers::VendorId;
use avp::{Avp, AvpIter, AvpType, AvpValue};
use core::fmt;
use core::ops::Range;

/// T: control message.
pub const FLAG_T: u16 = 0x8000;
/// L: Length field present.
pub const FLAG_L: u16 = 0x4000;
/// S: Ns and Nr present.
pub const FLAG_S: u16 = 0x0800;
/// O: Offset Size present.
pub const FLAG_O: u16 = 0x0200;
/// P: priority (data messages).
pub const FLAG_P: u16 = 0x0100;
/// Reserved bits (the x of the diagram).
pub const RESERVED_MASK: u16 = 0x34F0;
/// Version nibble.
pub const VERSION_MASK: u16 = 0x000F;
/// L2TPv2.
pub const VERSION_2: u8 = 2;
/// L2TPv3 (RFC 3931) over UDP: recognised, not decoded.
pub const VERSION_3: u8 = 3;
/// Shortest header: flags, Tunnel ID, Session ID.
pub const MIN_HEADER_LEN: usize = 6;
/// Header of a control message: flags, Length, Tunnel, Session, Ns, Nr.
pub const CONTROL_HEADER_LEN: usize = 12;

/// Fixed offsets; the optional fields' positions depend on the flags (see [`Layout`]).
pub mod field {
    use core::ops::Range;
    /// Flags and version.
    pub const FLAGS: Range<usize> = 0..2;
}

/// Control message types (RFC 2661 §3.2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MessageType(pub u16);

impl MessageType {
    /// Start-Control-Connection-Request.
    pub const SCCRQ: Self = Self(1);
    /// Start-Control-Connection-Reply.
    pub const SCCRP: Self = Self(2);
    /// Start-Control-Connection-Connected.
    pub const SCCCN: Self = Self(3);
    /// Stop-Control-Connection-Notification.
    pub const STOPCCN: Self = Self(4);
    /// Hello.
    pub const HELLO: Self = Self(6);
    /// Outgoing-Call-Request.
    pub const OCRQ: Self = Self(7);
    /// Outgoing-Call-Reply.
    pub const OCRP: Self = Self(8);
    /// Outgoing-Call-Connected.
    pub const OCCN: Self = Self(9);
    /// Incoming-Call-Request.
    pub const ICRQ: Self = Self(10);
    /// Incoming-Call-Reply.
    pub const ICRP: Self = Self(11);
    /// Incoming-Call-Connected.
    pub const ICCN: Self = Self(12);
    /// Call-Disconnect-Notify.
    pub const CDN: Self = Self(14);
    /// WAN-Error-Notify.
    pub const WEN: Self = Self(15);
    /// Set-Link-Info.
    pub const SLI: Self = Self(16);

    /// The RFC's abbreviation, when defined.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::SCCRQ => "SCCRQ",
            Self::SCCRP => "SCCRP",
            Self::SCCCN => "SCCCN",
            Self::STOPCCN => "StopCCN",
            Self::HELLO => "HELLO",
            Self::OCRQ => "OCRQ",
            Self::OCRP => "OCRP",
            Self::OCCN => "OCCN",
            Self::ICRQ => "ICRQ",
            Self::ICRP => "ICRP",
            Self::ICCN => "ICCN",
            Self::CDN => "CDN",
            Self::WEN => "WEN",
            Self::SLI => "SLI",
            _ => return None,
        })
    }
}

/// Where each header field sits, from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Length field, when L = 1.
    pub length: Option<Range<usize>>,
    /// Tunnel ID.
    pub tunnel: Range<usize>,
    /// Session ID.
    pub session: Range<usize>,
    /// Ns and Nr, when S = 1.
    pub ns: Option<Range<usize>>,
    /// Nr, when S = 1.
    pub nr: Option<Range<usize>>,
    /// Offset Size, when O = 1.
    pub offset_size: Option<Range<usize>>,
    /// Offset padding octets, when O = 1.
    pub offset_pad: Option<Range<usize>>,
    /// The body: AVPs or the PPP frame.
    pub body: Range<usize>,
}

/// A checked, zero-copy view of an L2TPv2 message.
#[derive(Debug, Clone)]
pub struct MessageView<'a> {
    msg: &'a [u8],
    flags: u16,
    layout: Layout,
}

fn r2(at: usize) -> Range<usize> {
    at..at + 2
}

impl<'a> MessageView<'a> {
    /// Checks the header (version 2, every length the flags promise, Length within the
    /// buffer, §3.1). The message ends at Length when L = 1, else at the end of `buf`.
    pub fn new(buf: &'a [u8]) -> Result<Self, DecodeError> {
        match Self::new_partial(buf)? {
            (v, None) => Ok(v),
            (_, Some(e)) => Err(e),
        }
    }

    /// As [`Self::new`], but a Length beyond the buffer (a capture cut by its snapshot
    /// length) still gives a view of the octets present, with the `truncated` error beside
    /// it, so a dissector can show what is there as Wireshark does.
    pub fn new_partial(buf: &'a [u8]) -> Result<(Self, Option<DecodeError>), DecodeError> {
        let mut short = None;
        let trunc = |f: &'static str, at: usize, need: usize| {
            DecodeError::truncated(f, at, need, buf.len().saturating_sub(at)).clause("RFC2661-3.1")
        };
        let flags = be_u16(buf, field::FLAGS.start).ok_or_else(|| trunc("l2tp.flags", 0, 2))?;
        let version = (flags & VERSION_MASK) as u8; // 4 bits
        if version != VERSION_2 {
            let detail = if version == VERSION_3 {
                "L2TPv3 (RFC 3931): recognised, not decoded".to_string()
            } else {
                format!("version {version}; only L2TPv2 is decoded")
            };
            return Err(DecodeError::new(Kind::Version, "l2tp.version", 0, detail).clause("RFC2661-3.1"));
        }
        let mut at = field::FLAGS.end;
        let length = if flags & FLAG_L != 0 {
            let r = r2(at);
            at += 2;
            Some(r)
        } else {
            None
        };
        let tunnel = r2(at);
        let session = r2(at + 2);
        at += 4;
        let (ns, nr) = if flags & FLAG_S != 0 {
            at += 4;
            (Some(r2(at - 4)), Some(r2(at - 2)))
        } else {
            (None, None)
        };
        let fixed_end = at + if flags & FLAG_O != 0 { 2 } else { 0 };
        if buf.len() < fixed_end {
            return Err(trunc("l2tp.flags", 0, fixed_end));
        }
        // The message's extent: Length when present (§3.1), else the whole buffer.
        let end = match &length {
            Some(r) => {
                let n = usize::from(be_u16(buf, r.start).unwrap_or_default());
                if n < fixed_end {
                    return Err(DecodeError::new(
                        Kind::BadLength,
                        "l2tp.length",
                        r.start,
                        format!("Length {n} is shorter than the {fixed_end}-octet header"),
                    )
                    .clause("RFC2661-3.1"));
                }
                if n > buf.len() {
                    short = Some(
                        DecodeError::new(
                            Kind::Truncated,
                            "l2tp.length",
                            r.start,
                            format!("Length {n} exceeds the {} octets present", buf.len()),
                        )
                        .clause("RFC2661-3.1"),
                    );
                    buf.len()
                } else {
                    n
                }
            }
            None => buf.len(),
        };
        let (offset_size, offset_pad) = if flags & FLAG_O != 0 {
            let r = r2(at);
            let n = usize::from(be_u16(buf, at).unwrap_or_default());
            let pad = r.end..r.end + n;
            if pad.end > end {
                // With a Length beyond the octets present, that is the first error.
                if let Some(e) = short {
                    return Err(e);
                }
                return Err(DecodeError::new(
                    Kind::Truncated,
                    "l2tp.offset",
                    r.start,
                    format!("Offset Size {n} runs past the message ({} octets left)", end - r.end),
                )
                .clause("RFC2661-3.1"));
            }
            at = pad.end;
            (Some(r), Some(pad))
        } else {
            (None, None)
        };
        let msg = buf.get(..end).unwrap_or_default();
        Ok((
            Self { msg, flags, layout: Layout { length, tunnel, session, ns, nr, offset_size, offset_pad, body: at..end } },
            short,
        ))
    }

    /// The message octets (up to Length).
    pub fn bytes(&self) -> &'a [u8] {
        self.msg
    }
    /// Field positions.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    /// The flags/version word.
    pub fn flags(&self) -> u16 {
        self.flags
    }
    /// T: control message.
    pub fn is_control(&self) -> bool {
        self.flags & FLAG_T != 0
    }
    /// Version (2).
    pub fn version(&self) -> u8 {
        (self.flags & VERSION_MASK) as u8
    }
    fn u16_at(&self, r: &Range<usize>) -> u16 {
        be_u16(self.msg, r.start).unwrap_or_default() // ranges checked in `new`
    }
    /// Length, when present.
    pub fn length(&self) -> Option<u16> {
        self.layout.length.as_ref().map(|r| self.u16_at(r))
    }
    /// Tunnel ID.
    pub fn tunnel(&self) -> u16 {
        self.u16_at(&self.layout.tunnel)
    }
    /// Session ID.
    pub fn session(&self) -> u16 {
        self.u16_at(&self.layout.session)
    }
    /// Ns, when S = 1.
    pub fn ns(&self) -> Option<u16> {
        self.layout.ns.as_ref().map(|r| self.u16_at(r))
    }
    /// Nr, when S = 1.
    pub fn nr(&self) -> Option<u16> {
        self.layout.nr.as_ref().map(|r| self.u16_at(r))
    }
    /// Offset Size, when O = 1.
    pub fn offset_size(&self) -> Option<u16> {
        self.layout.offset_size.as_ref().map(|r| self.u16_at(r))
    }
    /// The body octets: AVPs of a control message, the PPP frame of a data message.
    pub fn body(&self) -> &'a [u8] {
        self.msg.get(self.layout.body.clone()).unwrap_or_default()
    }
    /// The AVPs of a control message (empty for a ZLB or a data message).
    pub fn avps(&self) -> AvpIter<'a> {
        if self.is_control() {
            AvpIter::new(self.body(), self.layout.body.start)
        } else {
            AvpIter::new(&[], self.layout.body.start)
        }
    }
    /// A ZLB acknowledgement: a control message without AVPs (§5.8).
    pub fn is_zlb(&self) -> bool {
        self.is_control() && self.body().is_empty()
    }
    /// The Message Type, when the first AVP is a readable, non-hidden Message Type.
    pub fn message_type(&self) -> Option<MessageType> {
        let a = self.avps().next()?.ok()?;
        match (a.vendor(), a.attr_type(), a.hidden(), a.typed()) {
            (VendorId::IETF, 0, false, Ok(AvpValue::U16(t))) => Some(MessageType(t)),
            _ => None,
        }
    }

    /// Meaning checks (RFC 2661 §3.1, §4.1, §4.4.1): control messages have L = 1, S = 1,
    /// O = 0, P = 0; reserved bits are 0 (warning); the Message Type AVP comes first;
    /// an unknown AVP with M = 1 is `unsupported`. Offsets are message-relative.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut d = Vec::new();
        if self.flags & RESERVED_MASK != 0 {
            d.push(Diagnostic::warning(
                "l2tp.flags",
                0,
                "RFC2661-3.1",
                format!("reserved bits {:#06x} set", self.flags & RESERVED_MASK),
            ));
        }
        if self.is_control() {
            for (bit, want, name) in [
                (FLAG_L, true, "l2tp.length_bit"),
                (FLAG_S, true, "l2tp.seq_bit"),
                (FLAG_O, false, "l2tp.offset_bit"),
                (FLAG_P, false, "l2tp.priority"),
            ] {
                if (self.flags & bit != 0) != want {
                    d.push(Diagnostic::error(
                        Kind::BadValue,
                        name,
                        0,
                        "RFC2661-3.1",
                        format!("a control message has this bit {}", if want { "set" } else { "clear" }),
                    ));
                }
            }
            for (i, a) in self.avps().enumerate() {
                let Ok(a) = a else { break };
                let is_mt = a.vendor() == VendorId::IETF && a.attr_type() == AvpType::MESSAGE_TYPE.0;
                if i == 0 && !is_mt {
                    d.push(Diagnostic::error(
                        Kind::BadValue,
                        "l2tp.avp.type",
                        a.offset(),
                        "RFC2661-4.4.1",
                        "the first AVP is not Message Type",
                    ));
                }
                if a.mandatory() && !avp::is_known(a.vendor(), a.attr_type()) {
                    d.push(Diagnostic::error(
                        Kind::Unsupported,
                        "l2tp.avp.type",
                        a.offset(),
                        "RFC2661-4.1",
                        format!("unrecognised AVP vendor {} type {} with M = 1", a.vendor().0, a.attr_type()),
                    ));
                }
                if !a.hidden() {
                    if let Err(m) = a.typed() {
                        d.push(Diagnostic::error(Kind::BadLength, "l2tp.avp.length", a.offset(), "RFC2661-4.4", m));
                    } else if let Ok(AvpValue::Gid(g)) = a.typed() {
                        if let Err(e) = g.check() {
                            d.push(Diagnostic::error(
                                Kind::BadLength,
                                "l2tp.handoff.gid.address",
                                a.offset(),
                                "L2TP-1",
                                e.to_string(),
                            ));
                        }
                    }
                }
            }
        }
        d
    }
}

/// Ns and Nr (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Sequence {
    /// Ns.
    pub ns: u16,
    /// Nr.
    pub nr: u16,
}

/// The owned header; Length is derived (computed by `emit`, checked by `parse`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Header {
    /// L: whether the Length field is present.
    pub has_length: bool,
    /// P: priority.
    pub priority: bool,
    /// Reserved bits (within [`RESERVED_MASK`]), kept for octet-exact re-encoding.
    pub reserved: u16,
    /// Tunnel ID.
    pub tunnel: u16,
    /// Session ID.
    pub session: u16,
    /// Ns/Nr, when S = 1.
    pub sequence: Option<Sequence>,
    /// Offset padding octets, when O = 1 (Offset Size is their count).
    pub offset_pad: Option<Vec<u8>>,
}

/// The body: AVPs of a control message or the PPP frame of a data message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Body {
    /// T = 1: the AVPs (none for a ZLB).
    Control(Vec<Avp>),
    /// T = 0: the payload (a PPP frame).
    Data(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

/// An owned L2TPv2 message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message {
    /// The header.
    pub header: Header,
    /// Control AVPs or data payload.
    pub body: Body,
}

impl Message {
    /// Parses one message; returns it and the octets it covers (Length when L = 1).
    pub fn parse(buf: &[u8]) -> Result<(Message, usize), DecodeError> {
        let v = MessageView::new(buf)?;
        let f = v.flags();
        let header = Header {
            has_length: f & FLAG_L != 0,
            priority: f & FLAG_P != 0,
            reserved: f & RESERVED_MASK,
            tunnel: v.tunnel(),
            session: v.session(),
            sequence: match (v.ns(), v.nr()) {
                (Some(ns), Some(nr)) => Some(Sequence { ns, nr }),
                _ => None,
            },
            offset_pad: v.layout().offset_pad.as_ref().map(|r| v.bytes().get(r.clone()).unwrap_or_default().to_vec()),
        };
        let body = if v.is_control() {
            let mut avps = Vec::new();
            for a in v.avps() {
                avps.push(a?.to_owned());
            }
            Body::Control(avps)
        } else {
            Body::Data(v.body().to_vec())
        };
        Ok((Message { header, body }, v.bytes().len()))
    }

    /// Appends the message; Length and Offset Size are computed.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let h = &self.header;
        if h.reserved & !RESERVED_MASK != 0 {
            return Err(EncodeError::new("l2tp.flags", format!("reserved {:#06x} outside {RESERVED_MASK:#06x}", h.reserved)));
        }
        let start = out.len();
        let mut flags = h.reserved | u16::from(VERSION_2);
        if matches!(self.body, Body::Control(_)) {
            flags |= FLAG_T;
        }
        for (on, bit) in
            [(h.has_length, FLAG_L), (h.sequence.is_some(), FLAG_S), (h.offset_pad.is_some(), FLAG_O), (h.priority, FLAG_P)]
        {
            if on {
                flags |= bit;
            }
        }
        out.extend_from_slice(&flags.to_be_bytes());
        let len = h.has_length.then(|| LenSlot::u16(out));
        out.extend_from_slice(&h.tunnel.to_be_bytes());
        out.extend_from_slice(&h.session.to_be_bytes());
        if let Some(s) = h.sequence {
            out.extend_from_slice(&s.ns.to_be_bytes());
            out.extend_from_slice(&s.nr.to_be_bytes());
        }
        if let Some(pad) = &h.offset_pad {
            out.extend_from_slice(&crate::emit::to_u16(pad.len(), "l2tp.offset")?.to_be_bytes());
            out.extend_from_slice(pad);
        }
        match &self.body {
            Body::Control(avps) => {
                for a in avps {
                    a.emit(out)?;
                }
            }
            Body::Data(p) => out.extend_from_slice(p),
        }
        if let Some(slot) = len {
            let n = out.len() - start;
            slot.fill(out, n, "l2tp.length")?;
        }
        Ok(())
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let h = &self.header;
        let mut n = MIN_HEADER_LEN;
        n += if h.has_length { 2 } else { 0 };
        n += if h.sequence.is_some() { 4 } else { 0 };
        n += h.offset_pad.as_ref().map_or(0, |p| 2 + p.len());
        n + match &self.body {
            Body::Control(a) => a.iter().map(Avp::buffer_len).sum(),
            Body::Data(p) => p.len(),
        }
    }

    /// The Message Type (first AVP), if readable.
    pub fn message_type(&self) -> Option<MessageType> {
        match &self.body {
            Body::Control(a) => match a.first() {
                Some(Avp { vendor: VendorId::IETF, attr_type: 0, hidden: false, value: AvpValue::U16(t), .. }) => {
                    Some(MessageType(*t))
                }
                _ => None,
            },
            Body::Data(_) => None,
        }
    }

    /// Message offsets of each AVP (for errors from [`hidden::reveal_all`]).
    pub fn avp_offsets(&self) -> Vec<usize> {
        let h = &self.header;
        let mut at = MIN_HEADER_LEN
            + if h.has_length { 2 } else { 0 }
            + if h.sequence.is_some() { 4 } else { 0 }
            + h.offset_pad.as_ref().map_or(0, |p| 2 + p.len());
        match &self.body {
            Body::Control(avps) => avps
                .iter()
                .map(|a| {
                    let here = at;
                    at += a.buffer_len();
                    here
                })
                .collect(),
            Body::Data(_) => Vec::new(),
        }
    }

    /// The same message with every hidden AVP revealed with `secret` (RFC 2661 §4.3).
    pub fn revealed(&self, secret: &[u8]) -> Result<Message, DecodeError> {
        match &self.body {
            Body::Control(avps) => {
                let avps = hidden::reveal_all(avps, secret, &self.avp_offsets())?;
                Ok(Message { header: self.header.clone(), body: Body::Control(avps) })
            }
            Body::Data(_) => Ok(self.clone()),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.header;
        match &self.body {
            Body::Control(a) if a.is_empty() => {
                write!(f, "L2TP ZLB tunnel {} session {}", h.tunnel, h.session)
            }
            Body::Control(_) => {
                let t = self.message_type();
                let name = t.and_then(MessageType::name).unwrap_or("control");
                write!(f, "L2TP {name} tunnel {} session {}", h.tunnel, h.session)
            }
            Body::Data(p) => write!(f, "L2TP data tunnel {} session {} ({} octets)", h.tunnel, h.session, p.len()),
        }
    }
}

use FieldType::{Bool, Bytes, Protocol, Text, Uint};

/// Display-filter fields this module produces (STYLE §11); Wireshark's `l2tp.*` names plus
/// spec §10's `l2tp.handoff.*`.
pub const FIELDS: &[FieldDef] = &[
    FieldDef::new("l2tp", Protocol, "Layer 2 Tunneling Protocol (RFC 2661)"),
    FieldDef::new("l2tp.flags", Uint, "Flags and version word"),
    FieldDef::new("l2tp.type", Uint, "Type: 1 control, 0 data (T bit)"),
    FieldDef::new("l2tp.length_bit", Bool, "L: Length present"),
    FieldDef::new("l2tp.seq_bit", Bool, "S: Ns/Nr present"),
    FieldDef::new("l2tp.offset_bit", Bool, "O: Offset Size present"),
    FieldDef::new("l2tp.priority", Bool, "P: priority"),
    FieldDef::new("l2tp.version", Uint, "Version"),
    FieldDef::new("l2tp.length", Uint, "Length"),
    FieldDef::new("l2tp.tunnel", Uint, "Tunnel ID"),
    FieldDef::new("l2tp.session", Uint, "Session ID"),
    FieldDef::new("l2tp.Ns", Uint, "Ns"),
    FieldDef::new("l2tp.Nr", Uint, "Nr"),
    FieldDef::new("l2tp.offset", Uint, "Offset Size"),
    FieldDef::new("l2tp.offset_padding", Bytes, "Offset padding"),
    FieldDef::new("l2tp.zero_length_body_message", FieldType::None, "Zero Length Body message (ZLB)"),
    FieldDef::new("l2tp.avp", FieldType::None, "One AVP"),
    FieldDef::new("l2tp.avp.mandatory", Bool, "AVP M bit"),
    FieldDef::new("l2tp.avp.hidden", Bool, "AVP H bit"),
    FieldDef::new("l2tp.avp.length", Uint, "AVP Length"),
    FieldDef::new("l2tp.avp.vendor_id", Uint, "AVP Vendor ID (always a list)"),
    FieldDef::new("l2tp.avp.type", Uint, "AVP Attribute Type (always a list)"),
    FieldDef::new("l2tp.avp.value", Bytes, "AVP value kept opaque (vendor, unknown or hidden without a secret)"),
    FieldDef::new("l2tp.avp.message_type", Uint, "Message Type"),
    FieldDef::new("l2tp.result_code", Uint, "Result Code"),
    FieldDef::new("l2tp.avp.error_code", Uint, "Error Code"),
    FieldDef::new("l2tp.avp.error_message", Text, "Error Message"),
    FieldDef::new("l2tp.avp.protocol_version", Uint, "Protocol Version"),
    FieldDef::new("l2tp.avp.protocol_revision", Uint, "Protocol Revision"),
    FieldDef::new("l2tp.avp.async_framing_supported", Bool, "Framing Capabilities A"),
    FieldDef::new("l2tp.avp.sync_framing_supported", Bool, "Framing Capabilities S"),
    FieldDef::new("l2tp.avp.analog_access_supported", Bool, "Bearer Capabilities A"),
    FieldDef::new("l2tp.avp.digital_access_supported", Bool, "Bearer Capabilities D"),
    FieldDef::new("l2tp.tie_breaker", Uint, "Tie Breaker"),
    FieldDef::new("l2tp.avp.firmware_revision", Uint, "Firmware Revision"),
    FieldDef::new("l2tp.avp.host_name", Text, "Host Name"),
    FieldDef::new("l2tp.avp.vendor_name", Text, "Vendor Name"),
    FieldDef::new("l2tp.avp.assigned_tunnel_id", Uint, "Assigned Tunnel ID"),
    FieldDef::new("l2tp.avp.receive_window_size", Uint, "Receive Window Size"),
    FieldDef::new("l2tp.avp.chap_challenge", Bytes, "Challenge"),
    FieldDef::new("l2tp.avp.cause_code", Uint, "Q.931 Cause Code"),
    FieldDef::new("l2tp.avp.cause_msg", Uint, "Q.931 Cause Msg"),
    FieldDef::new("l2tp.avp.advisory_msg", Text, "Q.931 Advisory Msg"),
    FieldDef::new("l2tp.avp.chap_challenge_response", Bytes, "Challenge Response"),
    FieldDef::new("l2tp.avp.assigned_session_id", Uint, "Assigned Session ID"),
    FieldDef::new("l2tp.avp.call_serial_number", Uint, "Call Serial Number"),
    FieldDef::new("l2tp.avp.minimum_bps", Uint, "Minimum BPS"),
    FieldDef::new("l2tp.avp.maximum_bps", Uint, "Maximum BPS"),
    FieldDef::new("l2tp.avp.analog_bearer_type", Bool, "Bearer Type A"),
    FieldDef::new("l2tp.avp.digital_bearer_type", Bool, "Bearer Type D"),
    FieldDef::new("l2tp.avp.async_framing_type", Bool, "Framing Type A"),
    FieldDef::new("l2tp.avp.sync_framing_type", Bool, "Framing Type S"),
    FieldDef::new("l2tp.avp.called_number", Text, "Called Number"),
    FieldDef::new("l2tp.avp.calling_number", Text, "Calling Number"),
    FieldDef::new("l2tp.avp.sub_address", Text, "Sub-Address"),
    FieldDef::new("l2tp.avp.connect_speed", Uint, "(Tx) Connect Speed"),
    FieldDef::new("l2tp.avp.physical_channel", Uint, "Physical Channel ID"),
    FieldDef::new("l2tp.avp.initial_received_lcp_confreq", Bytes, "Initial Received LCP CONFREQ"),
    FieldDef::new("l2tp.avp.last_sent_lcp_confreq", Bytes, "Last Sent LCP CONFREQ"),
    FieldDef::new("l2tp.avp.last_received_lcp_confreq", Bytes, "Last Received LCP CONFREQ"),
    FieldDef::new("l2tp.avp.proxy_authen_type", Uint, "Proxy Authen Type"),
    FieldDef::new("l2tp.avp.proxy_authen_name", Text, "Proxy Authen Name"),
    FieldDef::new("l2tp.avp.proxy_authen_challenge", Bytes, "Proxy Authen Challenge"),
    FieldDef::new("l2tp.avp.proxy_authen_id", Uint, "Proxy Authen ID"),
    FieldDef::new("l2tp.avp.proxy_authen_response", Bytes, "Proxy Authen Response"),
    FieldDef::new("l2tp.avp.crc_errors", Uint, "CRC Errors"),
    FieldDef::new("l2tp.avp.framing_errors", Uint, "Framing Errors"),
    FieldDef::new("l2tp.avp.hardware_overruns", Uint, "Hardware Overruns"),
    FieldDef::new("l2tp.avp.buffer_overruns", Uint, "Buffer Overruns"),
    FieldDef::new("l2tp.avp.time_out_errors", Uint, "Time-out Errors"),
    FieldDef::new("l2tp.avp.alignment_errors", Uint, "Alignment Errors"),
    FieldDef::new("l2tp.avp.send_accm", Uint, "Send ACCM"),
    FieldDef::new("l2tp.avp.receive_accm", Uint, "Receive ACCM"),
    FieldDef::new("l2tp.avp.random_vector", Bytes, "Random Vector"),
    FieldDef::new("l2tp.avp.private_group_id", Bytes, "Private Group ID"),
    FieldDef::new("l2tp.avp.rx_connect_speed", Uint, "Rx Connect Speed"),
    FieldDef::new("l2tp.avp.sequencing_required", FieldType::None, "Sequencing Required"),
    FieldDef::new("l2tp.handoff.gid.class", Uint, "Hand-off Global Endpoint ID class (spec §7)"),
    FieldDef::new(
        "l2tp.handoff.gid.address",
        FieldType::Any,
        "Hand-off Global Endpoint ID address, rendered as mvtp.gid.address",
    ),
    FieldDef::new("l2tp.handoff.session_status", Uint, "Hand-off Session Status (spec §7)"),
    FieldDef::new("l2tp.handoff.continue", Bool, "Hand-off Session Status C = Continue Session (spec §7, L2TP-2)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec vector 13 (L2TP-1, L2TP-2): ICRQ with the hand-off AVPs.
    #[rustfmt::skip]
    const ICRQ: [u8; 59] = [
        0xc8, 0x02,             // T, L, S, version 2
        0x00, 0x3b,             // Length 59
        0x4a, 0x11, 0x00, 0x00, // tunnel 18961, session 0
        0x00, 0x02, 0x00, 0x01, // Ns 2, Nr 1
        0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,             // Message Type ICRQ
        0x80, 0x08, 0x00, 0x00, 0x00, 0x0e, 0x3b, 0x07,             // Assigned Session ID
        0x80, 0x0a, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x1b, 0x59, // Call Serial Number 7001
        0x00, 0x0d, 0x7e, 0xd9, 0x00, 0x01, 0x03,                   // hand-off GID, class 3
        0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d,
        0x00, 0x08, 0x7e, 0xd9, 0x00, 0x02, 0x00, 0x00,             // Session Status C = 0
    ];

    #[test]
    fn rfc2661_3_1_header_getters() {
        let v = MessageView::new(&ICRQ).unwrap();
        assert!(v.is_control());
        assert_eq!((v.length(), v.tunnel(), v.session(), v.ns(), v.nr()), (Some(59), 18961, 0, Some(2), Some(1)));
        assert_eq!(v.message_type(), Some(MessageType::ICRQ));
        assert_eq!(v.avps().count(), 5);
        assert!(v.diagnostics().is_empty(), "{:?}", v.diagnostics());
    }

    #[test]
    fn spec_7_icrq_parse_and_emit() {
        let (m, n) = Message::parse(&ICRQ).unwrap();
        assert_eq!(n, ICRQ.len());
        let Body::Control(a) = &m.body else { panic!() };
        assert_eq!(a[2].value, AvpValue::U32(7001));
        assert_eq!(a[3].value, AvpValue::Gid(crate::gid::Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d])));
        assert_eq!(a[4].value, AvpValue::SessionStatus(0));
        let mut out = vec![];
        m.emit(&mut out).unwrap();
        assert_eq!(out, ICRQ);
        assert_eq!(m.buffer_len(), ICRQ.len());
        assert_eq!(Message::parse(&out).unwrap().0, m);
    }

    #[test]
    fn rfc2661_3_1_truncation_sweep() {
        for n in 0..ICRQ.len() {
            let e = Message::parse(&ICRQ[..n]).unwrap_err();
            let want = if n < 12 { "l2tp.flags" } else { "l2tp.length" };
            assert_eq!((e.kind, e.field), (Kind::Truncated, want), "prefix {n}: {e}");
        }
    }

    #[test]
    fn rfc2661_3_1_length_below_header() {
        let mut b = ICRQ;
        b[3] = 10;
        let e = Message::parse(&b).unwrap_err();
        assert_eq!((e.kind, e.offset), (Kind::BadLength, 2));
    }

    #[test]
    fn rfc3931_version_3_recognised() {
        let e = Message::parse(&[0xc8, 0x03, 0x00, 0x0c, 0, 0, 0, 1, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(e.kind, Kind::Version);
        assert!(e.detail.contains("L2TPv3"));
    }

    #[test]
    fn rfc2661_3_1_data_with_offset_and_priority() {
        // T=0 L=0 S=0 O=1 P=1: tunnel 1 session 2, Offset Size 2 + pad, PPP payload.
        let b = [0x03, 0x02, 0, 1, 0, 2, 0, 2, 0xaa, 0xbb, 0xff, 0x03, 0xc0, 0x21];
        let v = MessageView::new(&b).unwrap();
        assert!(!v.is_control());
        assert_eq!(v.offset_size(), Some(2));
        assert_eq!(v.body(), &[0xff, 0x03, 0xc0, 0x21]);
        let (m, _) = Message::parse(&b).unwrap();
        assert!(m.header.priority);
        let mut out = vec![];
        m.emit(&mut out).unwrap();
        assert_eq!(out, b);
        // Offset Size beyond the message.
        let e = MessageView::new(&b[..9]).unwrap_err();
        assert_eq!((e.kind, e.field, e.offset), (Kind::Truncated, "l2tp.offset", 6));
    }

    #[test]
    fn rfc2661_5_8_zlb() {
        let b = [0xc8, 0x02, 0, 12, 0, 1, 0, 0, 0, 5, 0, 6];
        let v = MessageView::new(&b).unwrap();
        assert!(v.is_zlb());
        assert_eq!(v.message_type(), None);
    }

    #[test]
    fn rfc2661_4_1_unknown_mandatory_avp_unsupported() {
        let mut b = vec![0xc8, 0x02, 0, 26, 0, 1, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[0x80, 8, 0, 0, 0, 0, 0, 6]);
        b.extend_from_slice(&[0x80, 6, 0, 0, 0, 99]);
        let v = MessageView::new(&b).unwrap();
        let d = v.diagnostics();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].kind, d[0].offset), (Some(Kind::Unsupported), 20));
    }

    #[test]
    fn rfc2661_3_1_control_without_sequence_is_flagged() {
        let b = [0xc0, 0x02, 0, 16, 0, 1, 0, 0, 0x80, 8, 0, 0, 0, 0, 0, 6];
        let v = MessageView::new(&b).unwrap();
        assert!(v.diagnostics().iter().any(|d| d.field == "l2tp.seq_bit"));
    }
}
