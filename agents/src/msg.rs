//! The MVTP PDUs as the agents reason about them (spec §2): the fields a procedure reads
//! or writes, typed. This is not a wire format: `to_wire`/`from_wire` (module
//! [`crate::auth`]) hand the octets to the codec, which owns the one MVTP encoder.

use codec::agent_adv::AgentAdv;
use codec::gid::Gid;
use std::net::Ipv4Addr;

/// MV-RRP codes (spec §2.5), named as the agents use them; values from the codec.
pub mod code {
    use codec::mvtp::rrp_code;
    /// Registration accepted.
    pub const ACCEPTED: u8 = rrp_code::ACCEPTED;
    /// First FA denial code.
    pub const FA_DENIAL_FIRST: u8 = rrp_code::FA_UNSPECIFIED;
    /// Last code of the FA denial range.
    pub const FA_DENIAL_LAST: u8 = 127;
    /// Denied by FA: insufficient resources.
    pub const FA_INSUFFICIENT_RESOURCES: u8 = rrp_code::FA_RESOURCES;
    /// Denied by FA: client failed authentication [AUTH-5].
    pub const FA_CLIENT_AUTH: u8 = rrp_code::FA_CLIENT_AUTH;
    /// Denied by FA: requested lifetime too long.
    pub const FA_LIFETIME_TOO_LONG: u8 = rrp_code::FA_LIFETIME;
    /// Denied by FA: poorly formed request [AVP-4].
    pub const FA_POORLY_FORMED: u8 = rrp_code::FA_BAD_REQUEST;
    /// Denied by FA: requested encapsulation unavailable.
    pub const FA_ENCAP_UNAVAILABLE: u8 = rrp_code::FA_ENCAP;
    /// Denied by server: client failed authentication [AUTH-5, AUTH-6].
    pub const CLIENT_AUTH: u8 = rrp_code::SERVER_CLIENT_AUTH;
    /// Denied by server: identification mismatch [AUTH-6].
    pub const IDENT_MISMATCH: u8 = rrp_code::SERVER_IDENT;
    /// Denied by server: poorly formed request.
    pub const POORLY_FORMED: u8 = rrp_code::SERVER_BAD_REQUEST;
    /// Denied by server: unknown home address.
    pub const UNKNOWN_HOME: u8 = rrp_code::SERVER_HOME_ADDR;
    /// Denied by server: stale Connect ID [PROC-7].
    pub const STALE_CONNECT_ID: u8 = rrp_code::SERVER_STALE;
}

/// MV-DN codes (spec §2.5); values from the codec.
pub mod dn_code {
    use codec::mvtp::dn_code as codec_dn;
    /// Normal close by the higher layer.
    pub const NORMAL: u8 = codec_dn::NORMAL;
    /// Registration expired [PROC-10].
    pub const EXPIRED: u8 = codec_dn::EXPIRED;
    /// PDU not valid for the connection state [PROC-12].
    pub const INVALID_FOR_STATE: u8 = codec_dn::INVALID_STATE;
    /// L2TP Call-Disconnect-Notify received [L2TP-5].
    pub const L2TP_CDN: u8 = codec_dn::L2TP_CDN;
    /// Session timeout.
    pub const SESSION_TIMEOUT: u8 = codec_dn::SESSION_TIMEOUT;
    /// Client roamed to another FA [PROC-15].
    pub const ROAMED: u8 = codec_dn::ROAMED;
}

/// Encap Type values (spec §2.2) as plain octets; values from the codec.
pub mod encap {
    use codec::mvtp::Encap;
    /// No tunnelling service.
    pub const NONE: u8 = Encap::NONE.0;
    /// PPP to L2TP (gateway mode, §7).
    pub const PPP_TO_L2TP: u8 = Encap::PPP_TO_L2TP.0;
    /// L2TP transport.
    pub const L2TP_TRANSPORT: u8 = Encap::L2TP_TRANSPORT.0;
}

/// Which authentication AVP, and one authentication AVP (SPI + authenticator): the
/// codec's own types (spec §2.4 types 4–6, AVP-10).
pub use codec::mvtp::{Auth, AuthRole};

/// MV-RRQ / MV-RRP fixed fields (spec §2.2, one layout).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reg {
    /// R, Reset.
    pub reset: bool,
    /// N, Roam Notify.
    pub roam_notify: bool,
    /// Code: 0 in a request [FMT-10], the result in a reply.
    pub code: u8,
    /// Registration Lifetime, seconds: requested or granted.
    pub lifetime: u16,
    /// Encap Type.
    pub encap: u8,
    /// Connect ID [PROC-4].
    pub connect_id: u32,
    /// Home IP Address.
    pub home: Ipv4Addr,
    /// Identification (NTP timestamp) [AUTH-6].
    pub ident: u64,
}

/// The type-specific part of a PDU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// MV-FAA: the VPN Mobility Agent Advertisement and Prefix Lengths AVPs [PROC-3].
    Faa {
        /// The advertisement body (AVP type 2).
        adv: AgentAdv,
        /// Prefix Lengths (AVP type 3); empty when absent.
        prefix_lengths: Vec<u8>,
    },
    /// MV-FAS.
    Fas,
    /// MV-DATA.
    Data {
        /// Encap Type.
        encap: u8,
        /// Encapsulated payload.
        payload: Vec<u8>,
    },
    /// MV-RRQ.
    Rrq(Reg),
    /// MV-RRP.
    Rrp(Reg),
    /// MV-DN.
    Dn {
        /// Code (spec §2.5).
        code: u8,
        /// Connect ID [PROC-14].
        connect_id: u32,
        /// Identification.
        ident: u64,
    },
}

/// One MVTP PDU as an agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msg {
    /// Local Endpoint ID.
    pub leid: u16,
    /// Type-specific fields.
    pub body: Body,
    /// Global Endpoint ID AVP (type 1), when present.
    pub gid: Option<Gid>,
    /// Authentication AVPs in wire order [AUTH-3].
    pub auth: Vec<Auth>,
}

impl Msg {
    /// A PDU without AVPs.
    pub fn new(leid: u16, body: Body) -> Self {
        Self { leid, body, gid: None, auth: Vec::new() }
    }

    /// The authentication AVP of `kind`, if any.
    pub fn auth_avp(&self, role: AuthRole) -> Option<&Auth> {
        self.auth.iter().find(|a| a.role == role)
    }

    /// The registration fields of an MV-RRQ or MV-RRP.
    pub fn reg(&self) -> Option<&Reg> {
        match &self.body {
            Body::Rrq(r) | Body::Rrp(r) => Some(r),
            _ => None,
        }
    }

    /// Short name of the PDU type (for traces).
    pub fn type_name(&self) -> &'static str {
        match self.body {
            Body::Faa { .. } => "MV-FAA",
            Body::Fas => "MV-FAS",
            Body::Data { .. } => "MV-DATA",
            Body::Rrq(_) => "MV-RRQ",
            Body::Rrp(_) => "MV-RRP",
            Body::Dn { .. } => "MV-DN",
        }
    }
}

/// The NTP timestamp (RFC 5905: seconds since 1900 << 32 | fraction) of `now`, given in
/// milliseconds since the Unix epoch [AUTH-6, RFC 5944 §5.7].
pub fn ntp_timestamp(now_ms: u64) -> u64 {
    const UNIX_TO_NTP: u64 = 2_208_988_800;
    let secs = (now_ms / 1000).wrapping_add(UNIX_TO_NTP) & 0xFFFF_FFFF;
    let frac = ((now_ms % 1000) << 32) / 1000;
    (secs << 32) | frac
}

/// Milliseconds since the Unix epoch of an NTP timestamp (inverse of [`ntp_timestamp`]
/// up to rounding, for timestamps after 1970 in NTP era 0).
pub fn ntp_to_ms(ntp: u64) -> u64 {
    const UNIX_TO_NTP: u64 = 2_208_988_800;
    let secs = (ntp >> 32).saturating_sub(UNIX_TO_NTP);
    let frac_ms = ((ntp & 0xFFFF_FFFF) * 1000) >> 32;
    secs * 1000 + frac_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_6_ntp_timestamp_round_trip() {
        let t = 1_700_000_000_123;
        let n = ntp_timestamp(t);
        assert_eq!(n >> 32, 1_700_000_000 + 2_208_988_800);
        assert!(ntp_to_ms(n).abs_diff(t) <= 1);
        assert!(ntp_timestamp(t + 1) > n);
    }
}
