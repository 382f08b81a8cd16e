//! LCP configuration options (RFC 1661 §6, RFC 1990 §5.1 for Multilink, RFC 1570).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     |    Data ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The Endpoint Discriminator (type 19) is the RFC 1990 value of [`crate::gid`], the same
//! codec as the MVTP Global Endpoint ID and the L2TP hand-off AVP.

use super::cp::OptionSet;
use crate::bytes::{be_u16, be_u32};
use crate::gid::{Class, Gid};

/// LCP option types.
pub mod opt {
    /// Maximum-Receive-Unit.
    pub const MRU: u8 = 1;
    /// Async-Control-Character-Map.
    pub const ACCM: u8 = 2;
    /// Authentication-Protocol.
    pub const AUTH_PROTOCOL: u8 = 3;
    /// Quality-Protocol.
    pub const QUALITY_PROTOCOL: u8 = 4;
    /// Magic-Number.
    pub const MAGIC_NUMBER: u8 = 5;
    /// Protocol-Field-Compression.
    pub const PFC: u8 = 7;
    /// Address-and-Control-Field-Compression.
    pub const ACFC: u8 = 8;
    /// Multilink MRRU (RFC 1990 §5.1.1).
    pub const MRRU: u8 = 17;
    /// Multilink Short Sequence Number Header Format (RFC 1990 §5.1.2).
    pub const SHORT_SEQUENCE: u8 = 18;
    /// Endpoint Discriminator (RFC 1990 §5.1.3).
    pub const ENDPOINT_DISCRIMINATOR: u8 = 19;
}

/// CHAP algorithm: MD5 (RFC 1994).
pub const CHAP_MD5: u8 = 5;

/// One LCP option, typed where its length fits its type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum LcpOption {
    /// Maximum-Receive-Unit.
    Mru(u16),
    /// Async-Control-Character-Map.
    Accm(u32),
    /// Authentication-Protocol and its data (CHAP: the algorithm).
    AuthProtocol {
        /// The protocol (0xC023 PAP, 0xC223 CHAP).
        protocol: u16,
        /// Data after the protocol.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Quality-Protocol and its data.
    QualityProtocol {
        /// The protocol (0xC025 LQR).
        protocol: u16,
        /// Data after the protocol.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// Magic-Number.
    MagicNumber(u32),
    /// Protocol-Field-Compression.
    Pfc,
    /// Address-and-Control-Field-Compression.
    Acfc,
    /// Multilink MRRU.
    Mrru(u16),
    /// Multilink Short Sequence Number Header Format.
    ShortSequence,
    /// Endpoint Discriminator (class + address, RFC 1990 §5.1.3).
    EndpointDiscriminator(Gid),
    /// Any other option, or one whose length does not fit its type.
    Unknown {
        /// Type.
        ty: u8,
        /// Data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
}

impl OptionSet for LcpOption {
    fn decode(ty: u8, d: &[u8]) -> Self {
        let unknown = || LcpOption::Unknown { ty, data: d.to_vec() };
        match (ty, d.len()) {
            (opt::MRU, 2) => LcpOption::Mru(be_u16(d, 0).unwrap_or_default()),
            (opt::ACCM, 4) => LcpOption::Accm(be_u32(d, 0).unwrap_or_default()),
            (opt::AUTH_PROTOCOL, n) if n >= 2 => LcpOption::AuthProtocol {
                protocol: be_u16(d, 0).unwrap_or_default(),
                data: d.get(2..).unwrap_or_default().to_vec(),
            },
            (opt::QUALITY_PROTOCOL, n) if n >= 2 => LcpOption::QualityProtocol {
                protocol: be_u16(d, 0).unwrap_or_default(),
                data: d.get(2..).unwrap_or_default().to_vec(),
            },
            (opt::MAGIC_NUMBER, 4) => LcpOption::MagicNumber(be_u32(d, 0).unwrap_or_default()),
            (opt::PFC, 0) => LcpOption::Pfc,
            (opt::ACFC, 0) => LcpOption::Acfc,
            (opt::MRRU, 2) => LcpOption::Mrru(be_u16(d, 0).unwrap_or_default()),
            (opt::SHORT_SEQUENCE, 0) => LcpOption::ShortSequence,
            (opt::ENDPOINT_DISCRIMINATOR, n) if n >= 1 => {
                LcpOption::EndpointDiscriminator(Gid { class: Class(d[0]), address: d.get(1..).unwrap_or_default().to_vec() })
            }
            _ => unknown(),
        }
    }

    fn ty(&self) -> u8 {
        match self {
            LcpOption::Mru(_) => opt::MRU,
            LcpOption::Accm(_) => opt::ACCM,
            LcpOption::AuthProtocol { .. } => opt::AUTH_PROTOCOL,
            LcpOption::QualityProtocol { .. } => opt::QUALITY_PROTOCOL,
            LcpOption::MagicNumber(_) => opt::MAGIC_NUMBER,
            LcpOption::Pfc => opt::PFC,
            LcpOption::Acfc => opt::ACFC,
            LcpOption::Mrru(_) => opt::MRRU,
            LcpOption::ShortSequence => opt::SHORT_SEQUENCE,
            LcpOption::EndpointDiscriminator(_) => opt::ENDPOINT_DISCRIMINATOR,
            LcpOption::Unknown { ty, .. } => *ty,
        }
    }

    fn emit_data(&self, out: &mut Vec<u8>) {
        match self {
            LcpOption::Mru(v) | LcpOption::Mrru(v) => out.extend_from_slice(&v.to_be_bytes()),
            LcpOption::Accm(v) | LcpOption::MagicNumber(v) => out.extend_from_slice(&v.to_be_bytes()),
            LcpOption::AuthProtocol { protocol, data } | LcpOption::QualityProtocol { protocol, data } => {
                out.extend_from_slice(&protocol.to_be_bytes());
                out.extend_from_slice(data);
            }
            LcpOption::Pfc | LcpOption::Acfc | LcpOption::ShortSequence => {}
            LcpOption::EndpointDiscriminator(g) => g.emit(out),
            LcpOption::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cp::{Cp, CpData};
    use super::*;

    /// LCP Configure-Request of spec vector 08: MRU 1400, Magic-Number 0x5a3c9e01.
    #[rustfmt::skip]
    const CONFREQ: [u8; 14] = [
        0x01, 0x01, 0x00, 0x0e,       // Configure-Request, id 1, Length 14
        0x01, 0x04, 0x05, 0x78,       // MRU 1400
        0x05, 0x06, 0x5a, 0x3c, 0x9e, 0x01, // Magic-Number
    ];

    #[test]
    fn rfc1661_6_confreq_options() {
        let p: Cp<LcpOption> = Cp::parse(&CONFREQ, 0, true, "ppp.length", "lcp.opt.length").unwrap();
        assert_eq!(p.data, CpData::Options(vec![LcpOption::Mru(1400), LcpOption::MagicNumber(0x5a3c9e01)]));
        let mut out = vec![];
        p.emit(&mut out, "ppp.length").unwrap();
        assert_eq!(out, CONFREQ);
    }

    #[test]
    fn rfc1990_5_1_multilink_options_and_endpoint_discriminator() {
        let b = [1, 7, 0, 19, 17, 4, 0x05, 0xdc, 18, 2, 19, 9, 3, 0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d];
        let p: Cp<LcpOption> = Cp::parse(&b, 0, true, "ppp.length", "lcp.opt.length").unwrap();
        assert_eq!(
            p.data,
            CpData::Options(vec![
                LcpOption::Mrru(1500),
                LcpOption::ShortSequence,
                LcpOption::EndpointDiscriminator(Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d])),
            ])
        );
        let mut out = vec![];
        p.emit(&mut out, "ppp.length").unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn rfc1661_5_8_echo_request_and_protocol_reject() {
        let b = [9, 2, 0, 8, 0xde, 0xad, 0xbe, 0xef];
        let p: Cp<LcpOption> = Cp::parse(&b, 0, true, "ppp.length", "lcp.opt.length").unwrap();
        assert_eq!(p.data, CpData::Magic { magic: 0xdeadbeef, data: vec![] });
        let b = [8, 3, 0, 7, 0x80, 0x57, 0x01];
        let p: Cp<LcpOption> = Cp::parse(&b, 0, true, "ppp.length", "lcp.opt.length").unwrap();
        assert_eq!(p.data, CpData::ProtocolReject { protocol: 0x8057, data: vec![1] });
    }

    #[test]
    fn wrong_length_option_stays_unknown() {
        assert_eq!(LcpOption::decode(opt::MRU, &[1]), LcpOption::Unknown { ty: 1, data: vec![1] });
    }
}
