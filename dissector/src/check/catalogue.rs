//! The rule catalogue: one entry per normative clause of `mvtp-v1.md` (FMT, AVP, AUTH,
//! PROC, SEC, L2TP, MIP) and per RFC check, with its severity, how it is evaluated and
//! what it needs. A clause a capture cannot show has an entry saying why, so nothing is
//! silently passed. `mvtp check --list-rules` prints this table.
//!
//! Severity follows the spec's introduction: *must*/*is*/*carries* → error, *should* or
//! "(warning)" → warning, "(info)" → info.

use codec::Severity;

/// How a rule is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Reported by the decoder as a diagnostic of the packet (spec §2.1).
    Decoder,
    /// Judged on one packet by the conformance engine.
    Packet,
    /// Judged over the capture, with state (mobility records, sessions, bindings).
    Stateful,
    /// Not a finding: a definition or a default the other rules use.
    Definition,
    /// A capture cannot show it; the reason is the rule's `needs`.
    NotObservable,
}

impl Scope {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Decoder => "decoder",
            Scope::Packet => "packet",
            Scope::Stateful => "stateful",
            Scope::Definition => "definition",
            Scope::NotObservable => "not-observable",
        }
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Clause ID as the spec writes it (`PROC-7`) or an RFC check (`RFC2661-5.8`).
    pub id: &'static str,
    /// Severity of a finding.
    pub severity: Severity,
    /// How it is evaluated.
    pub scope: Scope,
    /// What the rule requires, in one line.
    pub text: &'static str,
    /// State and configuration it needs (or, for `NotObservable`, why a capture cannot show it).
    pub needs: &'static str,
}

const fn r(id: &'static str, severity: Severity, scope: Scope, text: &'static str, needs: &'static str) -> Rule {
    Rule { id, severity, scope, text, needs }
}

use Scope::{Decoder, Definition, Packet, Stateful};
use Severity::{Error as E, Info as I, Warning as W};

/// Every rule, in spec order, then the RFC checks.
pub const CATALOGUE: &[Rule] = &[
    // §1–§3 formats
    r("FMT-1", E, Definition, "MVTP is identified by EtherType/SNAP type/GRE type 0x88B5, LLC SAP 0x86, or ICMP RA extension 255", "applied by the dissector's dispatch"),
    r("FMT-2", E, Decoder, "Version is 1; a PDU with another version is not MVTP v1 and is discarded", "nothing"),
    r("FMT-3", W, Decoder, "Reserved fields and flag bits are sent as 0", "nothing"),
    r("FMT-4", I, Decoder, "A PDU of unknown type is kept opaque and discarded by a receiver", "nothing"),
    r("FMT-5", E, Decoder, "8 <= PDU Length <= frame, and PDU Length >= 8 + fixed length + AVP Length", "nothing"),
    r("FMT-6", E, Decoder, "MV-FAA and MV-FAS carry Local Endpoint ID 0", "nothing"),
    r("FMT-7", E, Decoder, "AVPs exactly fill AVP Length", "nothing"),
    r("FMT-8", E, Decoder, "Only MV-DATA has a payload: PDU Length = 8 + fixed length + AVP Length otherwise", "nothing"),
    r("FMT-9", E, Stateful, "An MV-RRP echoes the R and N flags of its request", "the matching MV-RRQ (by Connect ID and Identification)"),
    r("FMT-10", E, Decoder, "Code is 0 in an MV-RRQ", "nothing"),
    r("FMT-11", E, Stateful, "Granted lifetime <= requested; a denial and the reply to a deregistration carry 0", "the matching MV-RRQ"),
    r("FMT-12", E, Stateful, "An MV-RRP carries the Encap Type of its request", "the matching MV-RRQ"),
    r("FMT-13", E, Stateful, "An MV-RRP's Identification low-order 32 bits equal its request's", "the matching MV-RRQ"),
    r("FMT-14", E, Packet, "An MV-DATA payload is a PPP frame (Encap 1) or a complete L2TP message (Encap 2)", "nothing"),
    r("FMT-15", E, Packet, "Discovery addressing: MVTP multicast address, ICMP TTL 1, broadcast/all-systems addresses", "for unicast answers, the MV-FAS being answered"),
    r("FMT-16", E, Decoder, "ICMP extension 255 has RFC 5944's extension layout around the AVP type 2 value", "nothing"),
    // §2.4 AVPs
    r("AVP-1", E, Decoder, "AVP Length >= 6", "nothing"),
    r("AVP-2", W, Decoder, "AVP reserved bits are sent as 0", "nothing"),
    r("AVP-3", E, Decoder, "H (hidden) is 0 in MVTP", "nothing"),
    r("AVP-4", E, Decoder, "An unrecognised AVP with M = 1 makes the PDU unacceptable", "nothing"),
    r("AVP-5", E, Decoder, "Global Endpoint ID: class octet, an address length that fits the class, digits for class 5", "nothing"),
    r("AVP-6", E, Decoder, "VPN Mobility Agent Advertisement value is 6 + 4k octets", "nothing"),
    r("AVP-7", E, Decoder, "An MV-FAA from an FA has F = 1 and at least one care-of address", "nothing"),
    r("AVP-8", E, Decoder, "Prefix Lengths: one octet <= 32 per care-of address", "nothing"),
    r("AVP-9", W, Decoder, "A sender sets the M bit the AVP table gives", "nothing"),
    r("AVP-10", E, Decoder, "Authentication AVP values are 20 or 36 octets", "nothing"),
    r("AVP-11", E, Decoder, "Message String is 1..255 octets of UTF-8 (non-UTF-8: warning)", "nothing"),
    // §4 authentication
    r("AUTH-1", E, Definition, "Authenticators cover octets 0 through the SPI with octets 2..7 zeroed", "evaluated as AUTH-5 when keys are given"),
    r("AUTH-2", E, Definition, "HMAC-MD5 gives 16 octets, HMAC-SHA-256 32", "evaluated as AUTH-5 when keys are given"),
    r("AUTH-3", E, Packet, "Mobile-Home auth follows the AVPs it protects; Mobile-Foreign follows it; Foreign-Home is last", "nothing"),
    r("AUTH-4", E, Stateful, "RRQ/RRP/DN between client and server carry Mobile-Home auth for Encap 0 and 2", "for MV-DN, the connection's Encap Type; roles (server vs FA originated)"),
    r("AUTH-5", E, Stateful, "A PDU whose authenticator fails changes no state; a failing MV-RRQ is denied (131 server, 67 FA)", "keys (--keys) for the SPI"),
    r("AUTH-6", E, Stateful, "Replay protection: Identification newer than the last accepted and within 7 s of the receiver's clock", "timestamps in Identification; capture time stands for the receiver's clock"),
    r("AUTH-7", E, Stateful, "MV-DN code 5 from the server to an FA carries Foreign-Home auth and is not relayed to the client", "captures of the FA's access link to see relaying"),
    // §5 procedures
    r("PROC-1", E, Stateful, "An FA advertises periodically (default 1 s) and answers an MV-FAS at once, unicast", "advertisement period (config, default 1 s)"),
    r("PROC-2", W, Stateful, "Advertisement Sequence Numbers count up; a drop below 256 is an FA restart (info)", "per-FA state"),
    r("PROC-3", E, Packet, "An MV-FAA carries a VPN Mobility Agent Advertisement AVP and should carry Prefix Lengths", "nothing"),
    r("PROC-4", E, Stateful, "Client RRQ: LEID 0, GID, auth; new attempts increment Connect ID; retransmissions keep it with a fresh Identification", "per-client state"),
    r("PROC-5", E, Stateful, "The FA assigns a unique non-zero LEID and forwards in IP/GRE from its care-of address to the Home IP Address", "per-FA LEID table; both links captured for forwarding"),
    r("PROC-6", E, Stateful, "The server keeps a mobility record per GID; an RRQ is valid when newer, or the record is older than MAX_MVTP_PDU_LIFETIME", "mobility records; MAX_MVTP_PDU_LIFETIME (default 10 s)"),
    r("PROC-7", E, Stateful, "Equal Connect ID within MAX_MVTP_PDU_LIFETIME is a retransmission (same answer); older is stale (137)", "mobility records"),
    r("PROC-8", E, Stateful, "On a valid RRQ the server updates the care-of address and answers code 0 in IP/GRE", "mobility records"),
    r("PROC-9", E, Definition, "The connection is OPEN when the FA relays (or the client receives) an MV-RRP code 0", "used by PROC-11/12"),
    r("PROC-10", E, Stateful, "Clients re-register before the lifetime ends; on expiry the server sends MV-DN code 1", "lifetimes; capture time"),
    r("PROC-11", E, Stateful, "MV-DATA flows only on an OPEN connection with its LEID, from the registered 802 address", "connection state per FA"),
    r("PROC-12", E, Stateful, "An FA answers a PDU invalid for the connection state with MV-DN code 2", "connection state per FA"),
    r("PROC-13", E, Stateful, "An MV-DATA's Encap Type equals the registered one", "connection state"),
    r("PROC-14", E, Stateful, "MV-DN carries the connection's LEID and the Connect ID of its latest valid registration", "connection state"),
    r("PROC-15", E, Stateful, "A valid RRQ with N = 1 from a new care-of address triggers MV-DN code 5 to the old one", "mobility records"),
    r("PROC-16", I, Definition, "Defaults: MAX_MVTP_PDU_LIFETIME 10 s, MVTP_SESSION_TIMEOUT 120 s, lifetime 1800 s", "configuration for the other rules"),
    // §6 Mobile IPsec
    r("SEC-1", E, Stateful, "ESP protecting MVTP: SPI high 16 bits = the client's current LEID", "the client's LEID from its registration"),
    r("SEC-2", E, Stateful, "The FA forwards ESP to the client whose LEID is SPI >> 16, in SNAP 0x0800, without decrypting", "captures of both the FA's links"),
    // §7 L2TP hand-off
    r("L2TP-1", E, Stateful, "The gateway's ICRQ carries Call Serial Number = Connect ID and the hand-off AVPs (vendor 32473, M = 0)", "the MV-RRQ that caused it"),
    r("L2TP-2", E, Stateful, "Session Status C = NOT R of the MV-RRQ", "the MV-RRQ that caused it"),
    r("L2TP-3", E, Stateful, "The gateway answers MV-RRP only after ICRP (a retransmitted RRQ for an existing session at once)", "L2TP session state"),
    r("L2TP-4", E, Stateful, "PPP frames cross between MV-DATA (Encap 1) and L2TP data unchanged", "both sides of the gateway captured"),
    r("L2TP-5", E, Stateful, "L2TP CDN → MV-DN code 3; MV-DN from the client → CDN", "both sides of the gateway captured"),
    r("L2TP-6", E, Stateful, "A mobile-aware LNS accepts a hand-off only with a newer Call Serial Number and clears the old session (Result Code 3)", "LNS sessions per GID"),
    r("L2TP-7", E, Stateful, "With C = 0 the Call Serial Number is not compared", "LNS sessions per GID"),
    // §8 Mobile IPv4 across a VPN
    r("MIP-1", E, Packet, "TNC (149/0) appears only in a Registration Reply from an internal home agent", "nothing"),
    r("MIP-2", E, Stateful, "No plaintext user data on an interface unless the mobile node is inside on it", "inside/outside state per mobile node"),
    r("MIP-3", E, Stateful, "Inside, re-register at least every T_MONITOR s; plaintext data after that is a violation", "T_MONITOR (default 60 s)"),
    r("MIP-4", E, Stateful, "The internal and external home agent addresses differ", "home agent roles (inferred: a TNC reply or one through the VPN marks the i-HA and the internal home address)"),
    r("MIP-5", E, Stateful, "The i-HA answers only its trusted subnets, always with TNC", "trusted subnets (config) or inference"),
    r("MIP-6", W, Packet, "The inner registration through the VPN should set T (reverse tunnelling)", "nothing"),
    r("MIP-7", I, Definition, "Encapsulation overhead per access mode", "reported by the dissector as overhead.bytes / overhead.mode"),
    // RFC checks
    r("RFC2661-5.8", E, Stateful, "L2TP control Ns/Nr progress by one per non-ZLB message; Nr acknowledges the peer", "per-tunnel state"),
    r("RFC2661-3.1", E, Stateful, "Tunnel and Session IDs in use were assigned by the peer's Assigned Tunnel/Session ID AVP", "per-tunnel state"),
    r("RFC5944-3.4", E, Stateful, "An accepting Registration Reply's lifetime is <= the request's (a denial's lifetime is unspecified and ignored)", "the matching Registration Request (by Identification)"),
];

/// The rule with this ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every clause ID of the spec has exactly one rule.
    #[test]
    fn every_spec_clause_has_a_rule() {
        let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/spec/mvtp-v1.md"))
            .expect("the spec is beside the repo");
        let mut ids: Vec<String> = Vec::new();
        for part in spec.split('[').skip(1) {
            if let Some((id, _)) = part.split_once(']') {
                let ok = id.split_once('-').is_some_and(|(p, n)| {
                    !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) && n.parse::<u32>().is_ok()
                });
                if ok && !ids.contains(&id.to_string()) {
                    ids.push(id.to_string());
                }
            }
        }
        assert!(ids.len() >= 60, "found only {} clause IDs in the spec", ids.len());
        for id in &ids {
            assert!(rule(id).is_some(), "clause {id} has no rule in the catalogue");
        }
        let mut seen = std::collections::HashSet::new();
        for r in CATALOGUE {
            assert!(seen.insert(r.id), "{} listed twice", r.id);
        }
    }
}
