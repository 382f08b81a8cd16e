//! The owned MVTP PDU (STYLE §5): lossless — reserved nibble and fields, unknown PDU types,
//! unknown AVPs, MV-DATA payload — with `parse` and `emit` that mirror each other. PDU
//! Length and AVP Length are derived: `emit` computes them, `parse` checks them.

use super::avp::{self, Avp, AvpValue};
use super::{auth, DataFields, Disconnect, Fixed, PduType, PduView, Registration, Report, HEADER_LEN, RESERVED24_MAX, VERSION};
use crate::auth::KeyStore;
use crate::emit::{nibbles, LenSlot};
use crate::error::{DecodeError, EncodeError, Kind};
use core::fmt;

/// The type-specific fixed fields (spec §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Body {
    /// MV-FAA: no fixed fields.
    Faa,
    /// MV-FAS: no fixed fields.
    Fas,
    /// MV-DATA.
    Data(DataFields),
    /// MV-RRQ.
    Rrq(Registration),
    /// MV-RRP.
    Rrp(Registration),
    /// MV-DN.
    Dn(Disconnect),
    /// A PDU of unknown type, kept opaque [FMT-4].
    Unknown {
        /// The PDU Type (not 1..=6).
        pdu_type: PduType,
        /// Octets 6..8 as read (not an AVP Length for an unknown type).
        avp_length: u16,
        /// Octets 8..PDU Length.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        octets: Vec<u8>,
    },
}

impl Body {
    /// The PDU Type this body is sent with.
    pub fn pdu_type(&self) -> PduType {
        match self {
            Body::Faa => PduType::FAA,
            Body::Fas => PduType::FAS,
            Body::Data(_) => PduType::DATA,
            Body::Rrq(_) => PduType::RRQ,
            Body::Rrp(_) => PduType::RRP,
            Body::Dn(_) => PduType::DN,
            Body::Unknown { pdu_type, .. } => *pdu_type,
        }
    }

    fn from_fixed(f: Fixed<'_>, avp_length: u16) -> Self {
        match f {
            Fixed::Faa => Body::Faa,
            Fixed::Fas => Body::Fas,
            Fixed::Data(d) => Body::Data(d),
            Fixed::Rrq(g) => Body::Rrq(g),
            Fixed::Rrp(g) => Body::Rrp(g),
            Fixed::Dn(d) => Body::Dn(d),
            // The caller replaces the type: `Fixed` does not carry it.
            Fixed::Unknown(o) => Body::Unknown {
                pdu_type: PduType(0),
                avp_length,
                octets: o.to_vec(),
            },
        }
    }

    /// Octets of the fixed fields `emit_fixed` writes.
    fn fixed_len(&self) -> usize {
        match self {
            Body::Unknown { octets, .. } => octets.len(),
            b => b.pdu_type().fixed_len().unwrap_or(0),
        }
    }

    fn emit_fixed(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let u24 = |v: u32, out: &mut Vec<u8>| -> Result<(), EncodeError> {
            if v > RESERVED24_MAX {
                return Err(EncodeError::new("mvtp.reserved", format!("{v:#x} does not fit in 24 bits")));
            }
            out.extend_from_slice(&v.to_be_bytes()[1..]);
            Ok(())
        };
        match self {
            Body::Faa | Body::Fas | Body::Unknown { .. } => {}
            Body::Data(d) => {
                out.push(d.encap.0);
                u24(d.reserved, out)?;
            }
            Body::Rrq(g) | Body::Rrp(g) => {
                out.push(g.flags);
                out.push(g.code);
                out.extend_from_slice(&g.lifetime.to_be_bytes());
                out.push(g.encap.0);
                u24(g.reserved, out)?;
                out.extend_from_slice(&g.connect_id.to_be_bytes());
                out.extend_from_slice(&g.home_addr.octets());
                out.extend_from_slice(&g.ident.to_be_bytes());
            }
            Body::Dn(d) => {
                out.push(d.flags);
                out.push(d.code);
                out.extend_from_slice(&d.reserved.to_be_bytes());
                out.extend_from_slice(&d.connect_id.to_be_bytes());
                out.extend_from_slice(&d.ident.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// One owned MVTP PDU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pdu {
    /// Version, 4 bits (1).
    pub version: u8,
    /// Rsvd nibble, kept so a non-zero value re-encodes as read [FMT-3].
    pub reserved: u8,
    /// Local Endpoint ID.
    pub leid: u16,
    /// Type and fixed fields.
    pub body: Body,
    /// AVPs in order; unknown ones kept raw [AVP-4]. Empty for an unknown type.
    pub avps: Vec<Avp>,
    /// MV-DATA payload [FMT-8]; empty for other types.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub payload: Vec<u8>,
}

impl Pdu {
    /// A version-1 PDU with this body, no AVPs and no payload.
    pub fn new(leid: u16, body: Body) -> Self {
        Self {
            version: VERSION,
            reserved: 0,
            leid,
            body,
            avps: Vec::new(),
            payload: Vec::new(),
        }
    }

    /// The PDU Type.
    pub fn pdu_type(&self) -> PduType {
        self.body.pdu_type()
    }

    /// Parses the PDU at the start of `frame` (octets after PDU Length are padding).
    /// Warnings and meaning-level errors are dropped; see [`Self::decode`].
    pub fn parse(frame: &[u8]) -> Result<Self, DecodeError> {
        Self::decode(frame, None).map(|(p, _)| p)
    }

    /// Parses and checks (spec §2.1 steps 1–8) the PDU at the start of `frame`; returns it
    /// with its [`Report`]. `Err` when the octets cannot be represented (then the error is
    /// the first one in spec order).
    pub fn decode(frame: &[u8], keys: Option<&KeyStore>) -> Result<(Self, Report), DecodeError> {
        let v = PduView::new(frame)?;
        let report = v.check(keys);
        if !report.complete {
            let e = report.error.clone();
            return Err(e.unwrap_or_else(|| DecodeError::new(Kind::BadLength, "mvtp.avp", v.avps_offset(), "malformed AVPs")));
        }
        Ok((Self::from_view(&v)?, report))
    }

    /// Copies a view.
    pub fn from_view(v: &PduView<'_>) -> Result<Self, DecodeError> {
        let mut body = Body::from_fixed(v.fixed(), v.avp_length());
        if let Body::Unknown { pdu_type, .. } = &mut body {
            *pdu_type = v.pdu_type();
        }
        let avps = v
            .avps()
            .map(|a| a.and_then(|a| Avp::from_view(&a)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            version: v.version(),
            reserved: v.reserved(),
            leid: v.leid(),
            body,
            avps,
            payload: v.payload().to_vec(),
        })
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.body.fixed_len() + self.avps.iter().map(Avp::buffer_len).sum::<usize>() + self.payload.len()
    }

    /// Appends the PDU (authenticators as stored; see [`Self::emit_signed`]). On error,
    /// `out` is left as it was.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let r = self.emit_inner(out, None).map(|_| ());
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    /// Appends the PDU and signs it: every authentication AVP whose SPI has a key in
    /// `keys` gets an authenticator of its algorithm's length, computed once the PDU is
    /// complete, in AVP order (later ones cover earlier ones) [AUTH-1, AUTH-3]. Returns
    /// how many were signed.
    pub fn emit_signed(&self, out: &mut Vec<u8>, keys: &KeyStore) -> Result<usize, EncodeError> {
        let start = out.len();
        let r = self.emit_inner(out, Some(keys));
        match r {
            Ok(spots) => {
                let pdu = out.get_mut(start..).unwrap_or_default();
                for &(offset, spi, len) in &spots {
                    let mac = auth::compute_at(pdu, offset, spi, keys)
                        .ok_or_else(|| EncodeError::new("mvtp.auth", "authenticator outside the PDU"))?;
                    let at = offset + avp::field::AUTHENTICATOR;
                    let dst = pdu
                        .get_mut(at..at + len)
                        .ok_or_else(|| EncodeError::new("mvtp.auth", "authenticator outside the PDU"))?;
                    dst.copy_from_slice(&mac);
                }
                Ok(spots.len())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    /// Signs this PDU in place (its authenticators updated as [`Self::emit_signed`] writes
    /// them). Returns how many were signed.
    pub fn sign(&mut self, keys: &KeyStore) -> Result<usize, EncodeError> {
        let mut buf = Vec::with_capacity(self.buffer_len());
        let n = self.emit_signed(&mut buf, keys)?;
        let signed = Pdu::parse(&buf).map_err(|e| EncodeError::new("mvtp", format!("signed PDU does not parse: {e}")))?;
        for (mine, new) in self.avps.iter_mut().zip(signed.avps) {
            if let (AvpValue::Auth(a), AvpValue::Auth(b)) = (&mut mine.value, new.value) {
                a.authenticator = b.authenticator;
            }
        }
        Ok(n)
    }

    /// The PDU as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.buffer_len());
        self.emit(&mut out)?;
        Ok(out)
    }

    /// Emits; with `keys`, keyed authenticators are written as zero placeholders of the
    /// algorithm's length and their (offset in PDU, SPI, length) returned.
    fn emit_inner(&self, out: &mut Vec<u8>, keys: Option<&KeyStore>) -> Result<Vec<(usize, u32, usize)>, EncodeError> {
        let mut spots = Vec::new();
        let start = out.len();
        out.push(nibbles(self.version, self.reserved, "mvtp.version")?);
        out.push(self.pdu_type().0);
        let pdu_len = LenSlot::u16(out);
        out.extend_from_slice(&self.leid.to_be_bytes());
        if let Body::Unknown {
            pdu_type,
            avp_length,
            octets,
        } = &self.body
        {
            if pdu_type.fixed_len().is_some() {
                return Err(EncodeError::new(
                    "mvtp.type",
                    format!("type {} is known: use its body", pdu_type.0),
                ));
            }
            if !self.avps.is_empty() || !self.payload.is_empty() {
                return Err(EncodeError::new("mvtp", "a PDU of unknown type keeps its octets opaque"));
            }
            out.extend_from_slice(&avp_length.to_be_bytes());
            out.extend_from_slice(octets);
        } else {
            let avp_len = LenSlot::u16(out);
            self.body.emit_fixed(out)?;
            let avps_start = out.len();
            for a in &self.avps {
                match (&a.value, keys) {
                    (AvpValue::Auth(x), Some(k)) if !a.hidden && k.get(x.spi).is_some() => {
                        let len = k.get(x.spi).map_or(0, |s| s.algorithm.len());
                        let mut placeholder = a.clone();
                        if let AvpValue::Auth(p) = &mut placeholder.value {
                            p.authenticator = vec![0; len];
                        }
                        spots.push((out.len() - start, x.spi, len));
                        placeholder.emit(out)?;
                    }
                    _ => a.emit(out)?,
                }
            }
            let n = out.len() - avps_start;
            avp_len.fill(out, n, "mvtp.avp_length")?;
            if !self.payload.is_empty() && !matches!(self.body, Body::Data(_)) {
                return Err(EncodeError::new("mvtp.payload_length", "only MV-DATA carries a payload"));
            }
            out.extend_from_slice(&self.payload);
        }
        let n = out.len() - start;
        pdu_len.fill(out, n, "mvtp.length")?;
        Ok(spots)
    }
}

impl fmt::Display for Pdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pdu_type().name() {
            Some(n) => write!(f, "{n} leid={}", self.leid)?,
            None => write!(f, "MVTP type {}", self.pdu_type().0)?,
        }
        match &self.body {
            Body::Rrq(g) | Body::Rrp(g) => write!(
                f,
                " code={} life={} encap={} cid={} home={}",
                g.code, g.lifetime, g.encap.0, g.connect_id, g.home_addr
            )?,
            Body::Dn(d) => write!(f, " code={} cid={}", d.code, d.connect_id)?,
            Body::Data(d) => write!(f, " encap={} payload={}", d.encap.0, self.payload.len())?,
            _ => {}
        }
        for a in &self.avps {
            write!(f, "; {a}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Pdu {
    /// PDUs that `emit` accepts and `parse` gives back unchanged: version 1, values within
    /// their widths, canonical AVPs, a payload only in MV-DATA, at most 65535 octets.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        use super::Encap;
        let reg = |u: &mut arbitrary::Unstructured<'a>| -> arbitrary::Result<Registration> {
            Ok(Registration {
                flags: u8::arbitrary(u)?,
                code: u8::arbitrary(u)?,
                lifetime: u16::arbitrary(u)?,
                encap: Encap::arbitrary(u)?,
                reserved: u.int_in_range(0..=RESERVED24_MAX)?,
                connect_id: u32::arbitrary(u)?,
                home_addr: std::net::Ipv4Addr::arbitrary(u)?,
                ident: u64::arbitrary(u)?,
            })
        };
        let body = match u.int_in_range(0u8..=6)? {
            0 => Body::Faa,
            1 => Body::Fas,
            2 => Body::Data(DataFields {
                encap: Encap::arbitrary(u)?,
                reserved: u.int_in_range(0..=RESERVED24_MAX)?,
            }),
            3 => Body::Rrq(reg(u)?),
            4 => Body::Rrp(reg(u)?),
            5 => Body::Dn(Disconnect::arbitrary(u)?),
            _ => {
                let mut t = u8::arbitrary(u)?;
                if PduType(t).fixed_len().is_some() {
                    t = t.wrapping_add(6);
                }
                let n = u.int_in_range(0..=64)?;
                let octets = (0..n).map(|_| u8::arbitrary(u)).collect::<arbitrary::Result<_>>()?;
                Body::Unknown {
                    pdu_type: PduType(t),
                    avp_length: u16::arbitrary(u)?,
                    octets,
                }
            }
        };
        let mut p = Pdu {
            version: VERSION,
            reserved: u.int_in_range(0..=15)?,
            leid: u16::arbitrary(u)?,
            body,
            avps: Vec::new(),
            payload: Vec::new(),
        };
        if !matches!(p.body, Body::Unknown { .. }) {
            let n = u.int_in_range(0..=6)?;
            for _ in 0..n {
                p.avps.push(Avp::arbitrary(u)?);
            }
        }
        if matches!(p.body, Body::Data(_)) {
            let n = u.int_in_range(0..=1500)?;
            p.payload = u.bytes(n.min(u.len()))?.to_vec();
        }
        Ok(p)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Disconnect {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Disconnect {
            flags: u8::arbitrary(u)?,
            code: u8::arbitrary(u)?,
            reserved: u16::arbitrary(u)?,
            connect_id: u32::arbitrary(u)?,
            ident: u64::arbitrary(u)?,
        })
    }
}
