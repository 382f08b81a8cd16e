//! PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4) packets.
//!
//! ```text
//! PAP Authenticate-Request:  Code | Identifier | Length | Peer-ID Len | Peer-ID | Passwd-Len | Password
//! PAP Authenticate-Ack/Nak:  Code | Identifier | Length | Msg-Length | Message
//! CHAP Challenge/Response:   Code | Identifier | Length | Value-Size | Value | Name
//! CHAP Success/Failure:      Code | Identifier | Length | Message
//! ```
//!
//! The header is the control-packet header of [`super::cp`]; octets after Length are kept
//! as padding. A body whose inner lengths do not add up stays opaque (`Other`).

use super::cp::PacketView;
use crate::emit::{to_u8, LenSlot};
use crate::error::{DecodeError, EncodeError};

/// PAP codes.
pub mod pap_code {
    /// Authenticate-Request.
    pub const REQUEST: u8 = 1;
    /// Authenticate-Ack.
    pub const ACK: u8 = 2;
    /// Authenticate-Nak.
    pub const NAK: u8 = 3;
}

/// CHAP codes.
pub mod chap_code {
    /// Challenge.
    pub const CHALLENGE: u8 = 1;
    /// Response.
    pub const RESPONSE: u8 = 2;
    /// Success.
    pub const SUCCESS: u8 = 3;
    /// Failure.
    pub const FAILURE: u8 = 4;
}

/// The body of a PAP or CHAP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AuthData {
    /// PAP Authenticate-Request.
    PapRequest {
        /// Peer-ID.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        peer_id: Vec<u8>,
        /// Password.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        password: Vec<u8>,
    },
    /// PAP Authenticate-Ack/Nak: Msg-Length + Message.
    PapReply(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// CHAP Challenge/Response: Value-Size + Value, Name.
    ChapValue {
        /// Value.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        value: Vec<u8>,
        /// Name.
        #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
        name: Vec<u8>,
    },
    /// CHAP Success/Failure: Message.
    ChapMessage(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
    /// Anything else, as read.
    Other(#[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))] Vec<u8>),
}

/// An owned PAP or CHAP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AuthPacket {
    /// Code.
    pub code: u8,
    /// Identifier.
    pub identifier: u8,
    /// Body.
    pub data: AuthData,
    /// Octets after Length.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub padding: Vec<u8>,
}

/// Splits `len-prefixed string + rest`: `(string, rest)` when the prefix fits.
pub fn counted(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&n, rest) = d.split_first()?;
    let n = usize::from(n);
    Some((rest.get(..n)?, rest.get(n..)?))
}

impl AuthPacket {
    /// Parses a PAP packet at `base`.
    pub fn parse_pap(buf: &[u8], base: usize) -> Result<Self, DecodeError> {
        let v = PacketView::new(buf, base, "pap.length")?;
        let d = v.data;
        let data = match v.code {
            pap_code::REQUEST => match counted(d).and_then(|(p, r)| Some((p, counted(r)?))) {
                Some((peer, (pass, []))) => AuthData::PapRequest { peer_id: peer.to_vec(), password: pass.to_vec() },
                _ => AuthData::Other(d.to_vec()),
            },
            pap_code::ACK | pap_code::NAK => match counted(d) {
                Some((m, [])) => AuthData::PapReply(m.to_vec()),
                _ => AuthData::Other(d.to_vec()),
            },
            _ => AuthData::Other(d.to_vec()),
        };
        Ok(Self { code: v.code, identifier: v.identifier, data, padding: v.padding.to_vec() })
    }

    /// Parses a CHAP packet at `base`.
    pub fn parse_chap(buf: &[u8], base: usize) -> Result<Self, DecodeError> {
        let v = PacketView::new(buf, base, "chap.length")?;
        let d = v.data;
        let data = match v.code {
            chap_code::CHALLENGE | chap_code::RESPONSE => match counted(d) {
                Some((value, name)) => AuthData::ChapValue { value: value.to_vec(), name: name.to_vec() },
                None => AuthData::Other(d.to_vec()),
            },
            chap_code::SUCCESS | chap_code::FAILURE => AuthData::ChapMessage(d.to_vec()),
            _ => AuthData::Other(d.to_vec()),
        };
        Ok(Self { code: v.code, identifier: v.identifier, data, padding: v.padding.to_vec() })
    }

    /// Appends the packet; Length and the inner counts are computed.
    pub fn emit(&self, out: &mut Vec<u8>, length_field: &'static str) -> Result<(), EncodeError> {
        let start = out.len();
        out.push(self.code);
        out.push(self.identifier);
        let len = LenSlot::u16(out);
        match &self.data {
            AuthData::PapRequest { peer_id, password } => {
                out.push(to_u8(peer_id.len(), "pap.peer_id.length")?);
                out.extend_from_slice(peer_id);
                out.push(to_u8(password.len(), "pap.password.length")?);
                out.extend_from_slice(password);
            }
            AuthData::PapReply(m) => {
                out.push(to_u8(m.len(), "pap.message.length")?);
                out.extend_from_slice(m);
            }
            AuthData::ChapValue { value, name } => {
                out.push(to_u8(value.len(), "chap.value_size")?);
                out.extend_from_slice(value);
                out.extend_from_slice(name);
            }
            AuthData::ChapMessage(m) | AuthData::Other(m) => out.extend_from_slice(m),
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
    fn rfc1334_2_2_pap_request() {
        let b = [1, 7, 0, 13, 4, b'u', b's', b'e', b'r', 3, b'p', b'w', b'd'];
        let p = AuthPacket::parse_pap(&b, 0).unwrap();
        assert_eq!(p.data, AuthData::PapRequest { peer_id: b"user".to_vec(), password: b"pwd".to_vec() });
        let mut out = vec![];
        p.emit(&mut out, "pap.length").unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn rfc1994_4_1_chap_challenge() {
        let b = [1, 9, 0, 10, 3, 0xaa, 0xbb, 0xcc, b'l', b'n'];
        let p = AuthPacket::parse_chap(&b, 0).unwrap();
        assert_eq!(p.data, AuthData::ChapValue { value: vec![0xaa, 0xbb, 0xcc], name: b"ln".to_vec() });
        let mut out = vec![];
        p.emit(&mut out, "chap.length").unwrap();
        assert_eq!(out, b);
        // Value-Size beyond Length: opaque, never an error.
        let p = AuthPacket::parse_chap(&[1, 9, 0, 6, 9, 1], 0).unwrap();
        assert_eq!(p.data, AuthData::Other(vec![9, 1]));
    }
}
