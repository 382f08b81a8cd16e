//! IPCP configuration options (RFC 1332 §3, RFC 1877 for DNS/NBNS, RFC 2290 for the
//! Mobile-IPv4 home address).
//!
//! The packet format is LCP's ([`super::cp`]); only codes 1..=7 are defined.

use super::cp::OptionSet;
use crate::bytes::{array, be_u16};
use std::net::Ipv4Addr;

/// IPCP option types.
pub mod opt {
    /// IP-Addresses (deprecated, RFC 1172).
    pub const IP_ADDRESSES: u8 = 1;
    /// IP-Compression-Protocol.
    pub const COMPRESSION_PROTOCOL: u8 = 2;
    /// IP-Address.
    pub const IP_ADDRESS: u8 = 3;
    /// Mobile-IPv4 home address (RFC 2290).
    pub const MOBILE_IPV4: u8 = 4;
    /// Primary DNS (RFC 1877).
    pub const PRIMARY_DNS: u8 = 129;
    /// Primary NBNS (RFC 1877).
    pub const PRIMARY_NBNS: u8 = 130;
    /// Secondary DNS (RFC 1877).
    pub const SECONDARY_DNS: u8 = 131;
    /// Secondary NBNS (RFC 1877).
    pub const SECONDARY_NBNS: u8 = 132;
}

/// One IPCP option, typed where its length fits its type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum IpcpOption {
    /// IP-Addresses: source and destination.
    IpAddresses(Ipv4Addr, Ipv4Addr),
    /// IP-Compression-Protocol and its data.
    CompressionProtocol {
        /// The protocol (0x002D Van Jacobson, 0x0061 IPHC).
        protocol: u16,
        /// Data after the protocol.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
    /// An address option (3, 4, 129..=132) and its address.
    Address(u8, Ipv4Addr),
    /// Any other option, or one whose length does not fit its type.
    Unknown {
        /// Type.
        ty: u8,
        /// Data.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        data: Vec<u8>,
    },
}

/// Whether `ty` is an option carrying one IPv4 address.
pub fn is_address(ty: u8) -> bool {
    matches!(
        ty,
        opt::IP_ADDRESS | opt::MOBILE_IPV4 | opt::PRIMARY_DNS | opt::PRIMARY_NBNS | opt::SECONDARY_DNS | opt::SECONDARY_NBNS
    )
}

impl OptionSet for IpcpOption {
    fn decode(ty: u8, d: &[u8]) -> Self {
        match (ty, d.len()) {
            (opt::IP_ADDRESSES, 8) => IpcpOption::IpAddresses(
                Ipv4Addr::from(array::<4>(d, 0).unwrap_or_default()),
                Ipv4Addr::from(array::<4>(d, 4).unwrap_or_default()),
            ),
            (opt::COMPRESSION_PROTOCOL, n) if n >= 2 => IpcpOption::CompressionProtocol {
                protocol: be_u16(d, 0).unwrap_or_default(),
                data: d.get(2..).unwrap_or_default().to_vec(),
            },
            (t, 4) if is_address(t) => IpcpOption::Address(t, Ipv4Addr::from(array::<4>(d, 0).unwrap_or_default())),
            _ => IpcpOption::Unknown { ty, data: d.to_vec() },
        }
    }

    fn ty(&self) -> u8 {
        match self {
            IpcpOption::IpAddresses(..) => opt::IP_ADDRESSES,
            IpcpOption::CompressionProtocol { .. } => opt::COMPRESSION_PROTOCOL,
            IpcpOption::Address(t, _) => *t,
            IpcpOption::Unknown { ty, .. } => *ty,
        }
    }

    fn emit_data(&self, out: &mut Vec<u8>) {
        match self {
            IpcpOption::IpAddresses(a, b) => {
                out.extend_from_slice(&a.octets());
                out.extend_from_slice(&b.octets());
            }
            IpcpOption::CompressionProtocol { protocol, data } => {
                out.extend_from_slice(&protocol.to_be_bytes());
                out.extend_from_slice(data);
            }
            IpcpOption::Address(_, a) => out.extend_from_slice(&a.octets()),
            IpcpOption::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cp::{Cp, CpData};
    use super::*;

    #[test]
    fn rfc1332_rfc1877_address_and_dns() {
        #[rustfmt::skip]
        let b = [
            1, 1, 0, 16,                 // Configure-Request, Length 16
            3, 6, 10, 8, 0, 2,           // IP-Address 10.8.0.2
            129, 6, 192, 0, 2, 53,       // Primary DNS 192.0.2.53
        ];
        let p: Cp<IpcpOption> = Cp::parse(&b, 0, false, "ppp.length", "ipcp.opt.length").unwrap();
        assert_eq!(
            p.data,
            CpData::Options(vec![
                IpcpOption::Address(opt::IP_ADDRESS, Ipv4Addr::new(10, 8, 0, 2)),
                IpcpOption::Address(opt::PRIMARY_DNS, Ipv4Addr::new(192, 0, 2, 53)),
            ])
        );
        let mut out = vec![];
        p.emit(&mut out, "ppp.length").unwrap();
        assert_eq!(out, b);
    }
}
