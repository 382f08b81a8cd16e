//! MVTP AVPs (spec §2.4): the L2TP AVP layout of RFC 2661 §4.1.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |M|H| rsvd  |      Length       |           Vendor ID           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Attribute Type         |     Attribute Value ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Vendor ID 0 is the MVTP attribute space (types 1..=7); every other AVP is unrecognised
//! and kept raw (flags, vendor, type, value) so that re-encoding reproduces it [AVP-4].
//! Recognised values reuse [`crate::gid`] (AVP-5) and [`crate::agent_adv`] (AVP-6/7).

use crate::agent_adv::{AgentAdv, AgentAdvView};
use crate::bytes::{be_u16, be_u32};
use crate::emit::LenSlot;
use crate::error::{DecodeError, EncodeError, Kind};
use crate::gid::{Gid, GidError, GidView};
use core::fmt;

/// Octets of the AVP header (flags/length, vendor, type) [AVP-1].
pub const HEADER_LEN: usize = 6;
/// Largest AVP: the Length field has 10 bits.
pub const MAX_LEN: usize = 0x3FF;
/// Largest value: [`MAX_LEN`] less the header.
pub const MAX_VALUE_LEN: usize = MAX_LEN - HEADER_LEN;

/// M: mandatory.
pub const FLAG_M: u16 = 0x8000;
/// H: hidden; always 0 in MVTP [AVP-3].
pub const FLAG_H: u16 = 0x4000;
/// The four reserved bits [AVP-2].
pub const RSVD_MASK: u16 = 0x3C00;
/// The 10-bit Length.
pub const LEN_MASK: u16 = 0x03FF;
/// Shift of the reserved bits.
pub const RSVD_SHIFT: u32 = 10;

/// Message String length bounds [AVP-11].
pub const MESSAGE_LEN: core::ops::RangeInclusive<usize> = 1..=255;
/// Largest prefix length [AVP-8].
pub const MAX_PREFIX_LEN: u8 = 32;
/// SPI octets before an authenticator.
pub const SPI_LEN: usize = 4;
/// Authenticator lengths allowed by AVP-10 (HMAC-MD5, HMAC-SHA-256).
pub const AUTHENTICATOR_LENS: [usize; 2] = [16, 32];

/// Field offsets within one AVP.
pub mod field {
    use core::ops::Range;
    /// M, H, rsvd and the 10-bit Length.
    pub const FLAGS_LENGTH: Range<usize> = 0..2;
    /// Vendor ID.
    pub const VENDOR_ID: Range<usize> = 2..4;
    /// Attribute Type.
    pub const ATTR_TYPE: Range<usize> = 4..6;
    /// First value octet.
    pub const VALUE: usize = 6;
    /// SPI of an authentication AVP (from the AVP's first octet).
    pub const SPI: Range<usize> = 6..10;
    /// First authenticator octet (AVP + 10) [AUTH-5].
    pub const AUTHENTICATOR: usize = 10;
    /// Flags of a VPN Mobility Agent Advertisement value (AVP + 10) [FMT-3].
    pub const AGENT_FLAGS: usize = 10;
}

/// Attribute Type of the MVTP attribute space (vendor 0, spec §2.4).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AvpType(pub u16);

impl AvpType {
    /// Global Endpoint ID (class + address) [AVP-5].
    pub const GID: Self = Self(1);
    /// VPN Mobility Agent Advertisement [AVP-6, AVP-7].
    pub const AGENT_ADV: Self = Self(2);
    /// Prefix Lengths [AVP-8].
    pub const PREFIX_LENGTHS: Self = Self(3);
    /// Mobile-Home Authentication [AVP-10].
    pub const MH_AUTH: Self = Self(4);
    /// Mobile-Foreign Authentication [AVP-10].
    pub const MF_AUTH: Self = Self(5);
    /// Foreign-Home Authentication [AVP-10].
    pub const FH_AUTH: Self = Self(6);
    /// Message String [AVP-11].
    pub const MESSAGE: Self = Self(7);

    /// The M bit a sender sets (spec §2.4 table, AVP-9); `None` for an unrecognised type.
    pub const fn sender_mandatory(self) -> Option<bool> {
        match self.0 {
            1 | 2 | 4 | 5 | 6 => Some(true),
            3 | 7 => Some(false),
            _ => None,
        }
    }

    /// True for types 1..=7 (in vendor 0).
    pub const fn is_defined(self) -> bool {
        self.sender_mandatory().is_some()
    }

    /// The table's name.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Global Endpoint ID",
            2 => "VPN Mobility Agent Advertisement",
            3 => "Prefix Lengths",
            4 => "Mobile-Home Authentication",
            5 => "Mobile-Foreign Authentication",
            6 => "Foreign-Home Authentication",
            7 => "Message String",
            _ => return None,
        })
    }
}

/// Which of the three authentication AVPs (spec §4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AuthRole {
    /// Mobile-Home (type 4): client ↔ server.
    MobileHome,
    /// Mobile-Foreign (type 5): client ↔ FA.
    MobileForeign,
    /// Foreign-Home (type 6): FA ↔ server.
    ForeignHome,
}

impl AuthRole {
    /// The AVP type.
    pub const fn avp_type(self) -> AvpType {
        match self {
            AuthRole::MobileHome => AvpType::MH_AUTH,
            AuthRole::MobileForeign => AvpType::MF_AUTH,
            AuthRole::ForeignHome => AvpType::FH_AUTH,
        }
    }

    /// The role of an AVP type, if it is an authentication type.
    pub const fn from_type(t: AvpType) -> Option<Self> {
        match t {
            AvpType::MH_AUTH => Some(AuthRole::MobileHome),
            AvpType::MF_AUTH => Some(AuthRole::MobileForeign),
            AvpType::FH_AUTH => Some(AuthRole::ForeignHome),
            _ => None,
        }
    }

    /// `mh`, `mf` or `fh`, as in `mvtp.auth.mh.spi`.
    pub const fn label(self) -> &'static str {
        match self {
            AuthRole::MobileHome => "mh",
            AuthRole::MobileForeign => "mf",
            AuthRole::ForeignHome => "fh",
        }
    }
}

/// A checked, zero-copy view of one AVP: its header is complete, its Length ≥ 6 and
/// within the AVP area (FMT-7, AVP-1 checked by [`AvpIter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvpView<'a> {
    /// Offset of the AVP's first octet from the first octet of the PDU.
    pub offset: usize,
    head: u16,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Attribute Type.
    pub attr_type: AvpType,
    /// The value octets.
    pub value: &'a [u8],
}

impl<'a> AvpView<'a> {
    /// M bit.
    pub fn mandatory(&self) -> bool {
        self.head & FLAG_M != 0
    }

    /// H bit [AVP-3].
    pub fn hidden(&self) -> bool {
        self.head & FLAG_H != 0
    }

    /// The 4 reserved bits [AVP-2].
    pub fn reserved(&self) -> u8 {
        ((self.head & RSVD_MASK) >> RSVD_SHIFT) as u8 // 4 bits
    }

    /// The Length field (6 + value octets).
    pub fn len(&self) -> usize {
        usize::from(self.head & LEN_MASK)
    }

    /// Never true: an AVP has at least its 6-octet header (AVP-1 checked by the iterator).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Offset just past the AVP, from the first octet of the PDU.
    pub fn end(&self) -> usize {
        self.offset + self.len()
    }

    /// Offset of the first value octet, from the first octet of the PDU.
    pub fn value_offset(&self) -> usize {
        self.offset + field::VALUE
    }

    /// True for vendor 0 types 1..=7: an AVP this decoder interprets.
    pub fn is_recognised(&self) -> bool {
        self.vendor_id == 0 && self.attr_type.is_defined()
    }

    /// The authentication role, for a (recognised) authentication AVP.
    pub fn auth_role(&self) -> Option<AuthRole> {
        if self.vendor_id == 0 {
            AuthRole::from_type(self.attr_type)
        } else {
            None
        }
    }

    /// Interprets the value by its definition (spec §2.4) and checks what makes the value
    /// impossible to represent: AVP-5 lengths, AVP-6, AVP-10, AVP-11 lengths. Unrecognised
    /// and hidden AVPs are [`ValueView::Other`]. Meaning-level checks (class 5 digits,
    /// prefix lengths above 32, AVP-7, UTF-8) are [`crate::mvtp::PduView::check`]'s.
    #[inline]
    pub fn decode(&self) -> Result<ValueView<'a>, DecodeError> {
        if !self.is_recognised() || self.hidden() {
            return Ok(ValueView::Other(self.value));
        }
        let at = self.offset;
        let v = self.value;
        Ok(match self.attr_type {
            AvpType::GID => match GidView::new(v) {
                Ok((g, _)) => ValueView::Gid(g),
                // Digits are a meaning check (bad_value, representable): keep the view.
                Err(GidError::NonDigit { .. }) => match v.split_first() {
                    Some((&class, address)) => ValueView::Gid(GidView {
                        class: crate::gid::Class(class),
                        address,
                    }),
                    None => return Err(bad_len("mvtp.gid.class", at, "AVP-5", "value has no class octet")),
                },
                Err(e) => return Err(bad_len("mvtp.gid.address", at, "AVP-5", e.to_string())),
            },
            AvpType::AGENT_ADV => match AgentAdvView::new(v) {
                Ok(a) => ValueView::AgentAdv(a),
                Err(e) => {
                    return Err(bad_len(
                        "mvtp.agent",
                        at,
                        "AVP-6",
                        format!("value of {} octets is not 6 + 4k", e.0),
                    ));
                }
            },
            AvpType::PREFIX_LENGTHS => ValueView::PrefixLengths(v),
            AvpType::MESSAGE => {
                if !MESSAGE_LEN.contains(&v.len()) {
                    return Err(bad_len("mvtp.msg", at, "AVP-11", format!("{} octets, not 1..255", v.len())));
                }
                ValueView::Message(v)
            }
            t => {
                let role = AuthRole::from_type(t).unwrap_or(AuthRole::MobileHome); // types 4..=6 here
                let spi = be_u32(v, 0);
                match (spi, v.get(SPI_LEN..)) {
                    (Some(spi), Some(a)) if AUTHENTICATOR_LENS.contains(&a.len()) => ValueView::Auth {
                        role,
                        spi,
                        authenticator: a,
                    },
                    _ => {
                        return Err(bad_len(
                            "mvtp.avp.length",
                            at,
                            "AVP-10",
                            format!("authentication value of {} octets, not 20 or 36", v.len()),
                        ))
                    }
                }
            }
        })
    }
}

#[cold]
#[inline(never)]
fn bad_len(field: &'static str, at: usize, clause: &'static str, detail: impl Into<String>) -> DecodeError {
    DecodeError::new(Kind::BadLength, field, at, detail).clause(clause)
}

/// A recognised value, zero-copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueView<'a> {
    /// Global Endpoint ID (type 1).
    Gid(GidView<'a>),
    /// VPN Mobility Agent Advertisement (type 2).
    AgentAdv(AgentAdvView<'a>),
    /// Prefix Lengths (type 3): one octet per care-of address.
    PrefixLengths(&'a [u8]),
    /// Mobile-Home / Mobile-Foreign / Foreign-Home Authentication (types 4..=6).
    Auth {
        /// Which one.
        role: AuthRole,
        /// SPI.
        spi: u32,
        /// The authenticator (16 or 32 octets).
        authenticator: &'a [u8],
    },
    /// Message String (type 7), octets as read (possibly not UTF-8).
    Message(&'a [u8]),
    /// An unrecognised or hidden AVP's value.
    Other(&'a [u8]),
}

/// The AVPs of a PDU: yields each AVP or the first structural error (FMT-7, AVP-1), then
/// stops for good.
#[derive(Debug, Clone)]
pub struct AvpIter<'a> {
    area: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> AvpIter<'a> {
    /// Walks `area` (exactly AVP Length octets), which starts `base` octets into the PDU.
    pub fn new(area: &'a [u8], base: usize) -> Self {
        Self {
            area,
            pos: 0,
            base,
            done: false,
        }
    }

    #[inline]
    fn next_avp(&mut self) -> Result<AvpView<'a>, DecodeError> {
        let at = self.base + self.pos;
        let rest = self.area.get(self.pos..).unwrap_or_default();
        let (Some(head), Some(vendor_id), Some(attr_type)) = (be_u16(rest, 0), be_u16(rest, 2), be_u16(rest, 4)) else {
            return Err(walk_error(at, rest.len(), None));
        };
        let len = usize::from(head & LEN_MASK);
        if len > rest.len() || len < HEADER_LEN {
            return Err(walk_error(at, rest.len(), Some(len)));
        }
        let value = rest.get(HEADER_LEN..len).unwrap_or_default();
        self.pos += len;
        Ok(AvpView {
            offset: at,
            head,
            vendor_id,
            attr_type: AvpType(attr_type),
            value,
        })
    }
}

/// The FMT-7 / AVP-1 error at `at` with `left` octets before the end of AVP Length and
/// the AVP's Length, if its header is complete (kept out of the hot path).
#[cold]
#[inline(never)]
fn walk_error(at: usize, left: usize, len: Option<usize>) -> DecodeError {
    match len {
        None => DecodeError::new(
            Kind::BadLength,
            "mvtp.avp",
            at,
            format!("{left} octets left in AVP Length, an AVP header needs 6"),
        )
        .clause("FMT-7"),
        Some(len) if len > left => DecodeError::new(
            Kind::BadLength,
            "mvtp.avp.length",
            at,
            format!("AVP Length {len} crosses the end of AVP Length ({left} octets left)"),
        )
        .clause("FMT-7"),
        Some(len) => DecodeError::new(Kind::BadLength, "mvtp.avp.length", at, format!("AVP Length {len} < 6")).clause("AVP-1"),
    }
}

impl<'a> Iterator for AvpIter<'a> {
    type Item = Result<AvpView<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.area.len() {
            return None;
        }
        let r = self.next_avp();
        self.done = r.is_err();
        Some(r)
    }
}

/// An owned authentication value: SPI and authenticator (spec §2.4, §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Auth {
    /// Which authentication AVP.
    pub role: AuthRole,
    /// Security Parameter Index.
    pub spi: u32,
    /// The authenticator as read or as signed (16 or 32 octets).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub authenticator: Vec<u8>,
}

/// An owned AVP value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AvpValue {
    /// Global Endpoint ID (type 1).
    Gid(Gid),
    /// VPN Mobility Agent Advertisement (type 2).
    AgentAdv(AgentAdv),
    /// Prefix Lengths (type 3).
    PrefixLengths(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// Authentication (types 4..=6).
    Auth(Auth),
    /// Message String (type 7), octets as read.
    Message(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// Any other AVP — another vendor, an undefined type, or a hidden one — kept raw [AVP-4].
    Other {
        /// Vendor ID.
        vendor_id: u16,
        /// Attribute Type.
        attr_type: u16,
        /// The value octets.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        value: Vec<u8>,
    },
}

impl AvpValue {
    /// Vendor ID and Attribute Type this value is sent with.
    pub fn vendor_type(&self) -> (u16, AvpType) {
        match self {
            AvpValue::Gid(_) => (0, AvpType::GID),
            AvpValue::AgentAdv(_) => (0, AvpType::AGENT_ADV),
            AvpValue::PrefixLengths(_) => (0, AvpType::PREFIX_LENGTHS),
            AvpValue::Auth(a) => (0, a.role.avp_type()),
            AvpValue::Message(_) => (0, AvpType::MESSAGE),
            AvpValue::Other {
                vendor_id, attr_type, ..
            } => (*vendor_id, AvpType(*attr_type)),
        }
    }

    /// Octets of the value.
    pub fn buffer_len(&self) -> usize {
        match self {
            AvpValue::Gid(g) => g.buffer_len(),
            AvpValue::AgentAdv(a) => a.buffer_len(),
            AvpValue::PrefixLengths(v) | AvpValue::Message(v) | AvpValue::Other { value: v, .. } => v.len(),
            AvpValue::Auth(a) => SPI_LEN + a.authenticator.len(),
        }
    }

    fn emit(&self, out: &mut Vec<u8>) {
        match self {
            AvpValue::Gid(g) => g.emit(out),
            AvpValue::AgentAdv(a) => a.emit(out),
            AvpValue::PrefixLengths(v) | AvpValue::Message(v) | AvpValue::Other { value: v, .. } => out.extend_from_slice(v),
            AvpValue::Auth(a) => {
                out.extend_from_slice(&a.spi.to_be_bytes());
                out.extend_from_slice(&a.authenticator);
            }
        }
    }
}

/// One owned AVP: flags kept as read (reserved bits included) for octet-exact re-encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Avp {
    /// M bit.
    pub mandatory: bool,
    /// H bit (always 0 in MVTP; a hidden AVP is kept as [`AvpValue::Other`]) [AVP-3].
    pub hidden: bool,
    /// The 4 reserved bits [AVP-2].
    pub reserved: u8,
    /// Vendor, type and value.
    pub value: AvpValue,
}

impl Avp {
    /// An AVP with the M bit the spec's table gives a sender (AVP-9), H = 0, rsvd = 0.
    pub fn new(value: AvpValue) -> Self {
        let (vendor, t) = value.vendor_type();
        let mandatory = if vendor == 0 {
            t.sender_mandatory().unwrap_or(false)
        } else {
            false
        };
        Self {
            mandatory,
            hidden: false,
            reserved: 0,
            value,
        }
    }

    /// Copies a view (its value decoded by [`AvpView::decode`]).
    pub fn from_view(v: &AvpView<'_>) -> Result<Self, DecodeError> {
        let value = match v.decode()? {
            ValueView::Gid(g) => AvpValue::Gid(g.to_owned()),
            ValueView::AgentAdv(a) => AvpValue::AgentAdv(a.to_owned()),
            ValueView::PrefixLengths(p) => AvpValue::PrefixLengths(p.to_vec()),
            ValueView::Auth {
                role,
                spi,
                authenticator,
            } => AvpValue::Auth(Auth {
                role,
                spi,
                authenticator: authenticator.to_vec(),
            }),
            ValueView::Message(m) => AvpValue::Message(m.to_vec()),
            ValueView::Other(o) => AvpValue::Other {
                vendor_id: v.vendor_id,
                attr_type: v.attr_type.0,
                value: o.to_vec(),
            },
        };
        Ok(Self {
            mandatory: v.mandatory(),
            hidden: v.hidden(),
            reserved: v.reserved(),
            value,
        })
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.value.buffer_len()
    }

    /// Appends the AVP; its Length is computed (≤ 1023, 10 bits).
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.reserved > 0x0F {
            return Err(EncodeError::new(
                "mvtp.avp.reserved",
                format!("{:#x} does not fit in 4 bits", self.reserved),
            ));
        }
        let start = out.len();
        let (vendor, t) = self.value.vendor_type();
        let slot = LenSlot::u16(out);
        out.extend_from_slice(&vendor.to_be_bytes());
        out.extend_from_slice(&t.0.to_be_bytes());
        self.value.emit(out);
        let n = out.len() - start;
        if n > MAX_LEN {
            out.truncate(start);
            return Err(EncodeError::new(
                "mvtp.avp.length",
                format!("{n} octets do not fit in 10 bits"),
            ));
        }
        let high = if self.mandatory { FLAG_M } else { 0 }
            | if self.hidden { FLAG_H } else { 0 }
            | u16::from(self.reserved) << RSVD_SHIFT;
        slot.fill_masked(out, n, high, "mvtp.avp.length")
    }

    /// True when parsing what `emit` writes gives this AVP back: a recognised type is
    /// typed unless hidden, and a typed value has a length its definition allows.
    pub fn is_canonical(&self) -> bool {
        if self.reserved > 0x0F || self.buffer_len() > MAX_LEN {
            return false;
        }
        match &self.value {
            AvpValue::Other {
                vendor_id, attr_type, ..
            } => *vendor_id != 0 || !AvpType(*attr_type).is_defined() || self.hidden,
            _ if self.hidden => false,
            AvpValue::Gid(g) => !matches!(g.check(), Err(GidError::BadLength { .. } | GidError::NoClass)),
            AvpValue::AgentAdv(_) | AvpValue::PrefixLengths(_) => true,
            AvpValue::Auth(a) => AUTHENTICATOR_LENS.contains(&a.authenticator.len()),
            AvpValue::Message(m) => MESSAGE_LEN.contains(&m.len()),
        }
    }
}

impl fmt::Display for Avp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            AvpValue::Gid(g) => write!(f, "GID {g}"),
            AvpValue::AgentAdv(a) => write!(
                f,
                "Agent-Adv seq={} life={} flags={} coa={:?}",
                a.seq,
                a.lifetime,
                crate::agent_adv::flag_letters(a.flags),
                a.coas
            ),
            AvpValue::PrefixLengths(p) => write!(f, "Prefix-Lengths {p:?}"),
            AvpValue::Auth(a) => write!(f, "{}-Auth spi={}", a.role.label().to_uppercase(), a.spi),
            AvpValue::Message(m) => write!(f, "Message {:?}", String::from_utf8_lossy(m)),
            AvpValue::Other {
                vendor_id,
                attr_type,
                value,
            } => {
                write!(
                    f,
                    "AVP vendor={vendor_id} type={attr_type} M={} len={}",
                    u8::from(self.mandatory),
                    value.len()
                )
            }
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Avp {
    /// Canonical AVPs only (see [`Avp::is_canonical`]), so Repr → emit → parse is the identity.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        use crate::gid::Class;
        let mandatory = bool::arbitrary(u)?;
        let reserved = u.int_in_range(0..=15)?;
        let small = |u: &mut arbitrary::Unstructured<'a>, lo: usize, hi: usize| -> arbitrary::Result<Vec<u8>> {
            let n = u.int_in_range(lo..=hi)?;
            (0..n).map(|_| u8::arbitrary(u)).collect()
        };
        let value = match u.int_in_range(0u8..=6)? {
            0 => {
                let class = Class(u.int_in_range(0..=8)?);
                let len = match class {
                    Class::NULL => 0,
                    Class::IPV4 => 4,
                    Class::MAC => 6,
                    Class::MAGIC => 4 * u.int_in_range(1..=5)?,
                    Class::PSTN => u.int_in_range(1..=15)?,
                    Class::LOCAL => u.int_in_range(1..=20)?,
                    _ => u.int_in_range(0..=20)?,
                };
                let address = (0..len).map(|_| u8::arbitrary(u)).collect::<arbitrary::Result<Vec<u8>>>()?;
                AvpValue::Gid(Gid { class, address })
            }
            1 => {
                let n = u.int_in_range(0..=8)?;
                let coas = (0..n)
                    .map(|_| std::net::Ipv4Addr::arbitrary(u))
                    .collect::<arbitrary::Result<_>>()?;
                AvpValue::AgentAdv(AgentAdv {
                    seq: u16::arbitrary(u)?,
                    lifetime: u16::arbitrary(u)?,
                    flags: u16::arbitrary(u)?,
                    coas,
                })
            }
            2 => AvpValue::PrefixLengths(small(u, 0, 8)?),
            3 => {
                let role = AuthRole::arbitrary(u)?;
                let n = if bool::arbitrary(u)? { 16 } else { 32 };
                AvpValue::Auth(Auth {
                    role,
                    spi: u32::arbitrary(u)?,
                    authenticator: small(u, n, n)?,
                })
            }
            4 => AvpValue::Message(small(u, 1, 40)?),
            5 => AvpValue::Other {
                vendor_id: u16::arbitrary(u)?.max(1),
                attr_type: u16::arbitrary(u)?,
                value: small(u, 0, 40)?,
            },
            _ => AvpValue::Other {
                vendor_id: 0,
                attr_type: u.int_in_range(8..=u16::MAX)?,
                value: small(u, 0, 40)?,
            },
        };
        Ok(Self {
            mandatory,
            hidden: false,
            reserved,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rustfmt::skip]
    const GID_MAC: [u8; 13] = [
        0x80, 0x0d,             // M=1, H=0, rsvd 0, Length 13
        0x00, 0x00,             // Vendor ID 0
        0x00, 0x01,             // Global Endpoint ID
        0x03,                   // class 3: MAC
        0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d,
    ];

    #[test]
    fn spec_2_4_gid_avp_view_and_round_trip() {
        let mut it = AvpIter::new(&GID_MAC, 32);
        let v = it.next().unwrap().unwrap();
        assert!(it.next().is_none());
        assert_eq!((v.offset, v.len(), v.vendor_id, v.attr_type), (32, 13, 0, AvpType::GID));
        assert!(v.mandatory() && !v.hidden() && v.reserved() == 0 && v.is_recognised());
        let a = Avp::from_view(&v).unwrap();
        assert_eq!(a, Avp::new(AvpValue::Gid(Gid::mac([0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]))));
        let mut out = Vec::new();
        a.emit(&mut out).unwrap();
        assert_eq!(out, GID_MAC);
        assert!(a.is_canonical());
    }

    #[test]
    fn fmt_7_partial_header_and_crossing_avp() {
        let e = AvpIter::new(&GID_MAC[..5], 0).next().unwrap().unwrap_err();
        assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-7"), 0));
        let e = AvpIter::new(&GID_MAC[..12], 40).next().unwrap().unwrap_err();
        assert_eq!((e.kind, e.clause, e.offset), (Kind::BadLength, Some("FMT-7"), 40));
    }

    #[test]
    fn avp_1_length_below_6() {
        let b = [0x80, 0x05, 0, 0, 0, 7, 0, 0];
        let e = AvpIter::new(&b, 0).next().unwrap().unwrap_err();
        assert_eq!((e.kind, e.clause), (Kind::BadLength, Some("AVP-1")));
    }

    #[test]
    fn avp_iter_stops_after_first_error() {
        let b = [0x80, 0x05, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0];
        let mut it = AvpIter::new(&b, 0);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn avp_10_auth_value_20_or_36() {
        let mut b = vec![0x80, 30, 0, 0, 0, 4, 0, 0, 1, 0];
        b.extend([0xAA; 20]);
        let v = AvpIter::new(&b, 0).next().unwrap().unwrap();
        let e = v.decode().unwrap_err();
        assert_eq!((e.kind, e.clause), (Kind::BadLength, Some("AVP-10")));
    }

    #[test]
    fn avp_11_message_length() {
        let b = [0x00, 0x06, 0, 0, 0, 7];
        let v = AvpIter::new(&b, 0).next().unwrap().unwrap();
        assert_eq!(v.decode().unwrap_err().clause, Some("AVP-11"));
    }

    #[test]
    fn avp_6_agent_adv_length() {
        let b = [0x80, 13, 0, 0, 0, 2, 0, 1, 0, 2, 0x10, 0, 9];
        let v = AvpIter::new(&b, 0).next().unwrap().unwrap();
        assert_eq!(v.decode().unwrap_err().clause, Some("AVP-6"));
    }

    #[test]
    fn avp_4_unknown_vendor_kept_raw() {
        let b = [0x00, 0x08, 0x00, 0x09, 0x00, 0x01, 0xab, 0xcd];
        let v = AvpIter::new(&b, 0).next().unwrap().unwrap();
        assert!(!v.is_recognised());
        let a = Avp::from_view(&v).unwrap();
        assert_eq!(
            a.value,
            AvpValue::Other {
                vendor_id: 9,
                attr_type: 1,
                value: vec![0xab, 0xcd]
            }
        );
        let mut out = Vec::new();
        a.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn avp_2_reserved_bits_kept() {
        let b = [0x3c, 0x08, 0x00, 0x00, 0x00, 0x63, 1, 2];
        let v = AvpIter::new(&b, 0).next().unwrap().unwrap();
        assert_eq!(v.reserved(), 0x0F);
        let a = Avp::from_view(&v).unwrap();
        let mut out = Vec::new();
        a.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn emit_refuses_value_wider_than_10_bit_length() {
        let a = Avp::new(AvpValue::Other {
            vendor_id: 9,
            attr_type: 1,
            value: vec![0; MAX_VALUE_LEN + 1],
        });
        let mut out = vec![1];
        assert_eq!(a.emit(&mut out).unwrap_err().field, "mvtp.avp.length");
        assert_eq!(out, [1]);
        let a = Avp::new(AvpValue::Other {
            vendor_id: 9,
            attr_type: 1,
            value: vec![0; MAX_VALUE_LEN],
        });
        a.emit(&mut out).unwrap();
        assert_eq!(out.len(), 1 + MAX_LEN);
    }
}
