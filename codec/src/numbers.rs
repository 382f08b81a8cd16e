//! Shared protocol registries: each number is a named constant, defined once (STYLE §2).
//! Numbers owned by one protocol (MVTP PDU types, Mobile IP extensions, L2TP AVP types…)
//! live in that protocol's module.

macro_rules! registry {
    ($(#[$m:meta])* $name:ident($ty:ty) { $($(#[$cm:meta])* $c:ident = $v:expr;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $ty);
        impl $name {
            $($(#[$cm])* pub const $c: Self = Self($v);)*
            /// The constant's name, when this value has one.
            pub fn name(self) -> Option<&'static str> {
                match self { $(Self::$c => Some(stringify!($c)),)* _ => None }
            }
        }
        impl From<$ty> for $name { fn from(v: $ty) -> Self { Self(v) } }
    };
}

registry! {
    /// IEEE 802 EtherType; also the GRE protocol type (RFC 2784) [FMT-1].
    EtherType(u16) {
        /// IPv4.
        IPV4 = 0x0800;
        /// ARP.
        ARP = 0x0806;
        /// Transparent Ethernet bridging (GRE payload).
        TEB = 0x6558;
        /// IEEE 802.1Q customer VLAN tag.
        VLAN = 0x8100;
        /// IEEE 802.1ad service VLAN tag.
        QINQ = 0x88A8;
        /// IPv6.
        IPV6 = 0x86DD;
        /// PPP (GRE protocol type for PPP, RFC 2637).
        PPP = 0x880B;
        /// PPPoE discovery.
        PPPOE_DISCOVERY = 0x8863;
        /// PPPoE session.
        PPPOE_SESSION = 0x8864;
        /// MVTP: IEEE 802 Local Experimental EtherType 1 (spec §1) [FMT-1].
        MVTP = 0x88B5;
    }
}

impl EtherType {
    /// Values at or below this in the EtherType position are 802.3 lengths, not types.
    pub const MAX_8023_LENGTH: u16 = 1500;
    /// Values from this up are EtherTypes.
    pub const MIN_ETHERTYPE: u16 = 0x0600;
}

registry! {
    /// IP protocol number (IANA "Assigned Internet Protocol Numbers").
    IpProto(u8) {
        /// IPv6 hop-by-hop options.
        HOPOPT = 0;
        /// ICMP.
        ICMP = 1;
        /// IP-in-IP (RFC 2003).
        IPIP = 4;
        /// TCP.
        TCP = 6;
        /// UDP.
        UDP = 17;
        /// IPv6 in IPv4 (RFC 4213).
        IPV6 = 41;
        /// IPv6 routing header.
        IPV6_ROUTE = 43;
        /// IPv6 fragment header.
        IPV6_FRAG = 44;
        /// GRE (RFC 2784).
        GRE = 47;
        /// ESP (RFC 4303).
        ESP = 50;
        /// AH (RFC 4302).
        AH = 51;
        /// ICMPv6.
        ICMPV6 = 58;
        /// IPv6 no next header.
        IPV6_NONXT = 59;
        /// IPv6 destination options.
        IPV6_OPTS = 60;
        /// L2TPv3 over IP.
        L2TP = 115;
    }
}

registry! {
    /// UDP/TCP port numbers this toolkit dispatches on.
    Port(u16) {
        /// ISAKMP / IKE (RFC 7296).
        IKE = 500;
        /// Mobile IPv4 registration (RFC 5944).
        MIP = 434;
        /// L2TP (RFC 2661).
        L2TP = 1701;
        /// PPTP control (TCP).
        PPTP = 1723;
        /// IKE NAT traversal / UDP-encapsulated ESP (RFC 3948).
        IPSEC_NAT_T = 4500;
        /// DHCP server.
        DHCP_SERVER = 67;
        /// DHCP client.
        DHCP_CLIENT = 68;
    }
}

registry! {
    /// pcap / pcapng link-layer header type (tcpdump.org "LINK-LAYER HEADER TYPES").
    LinkType(u16) {
        /// BSD loopback (4-octet host-order address family).
        NULL = 0;
        /// Ethernet II / IEEE 802.3.
        ETHERNET = 1;
        /// PPP, with address/control/protocol.
        PPP = 9;
        /// Raw IP (IPv4 or IPv6 by version nibble).
        RAW = 101;
        /// IEEE 802.11 without radiotap.
        IEEE802_11 = 105;
        /// PPP in HDLC-like framing, Cisco.
        PPP_HDLC = 50;
        /// OpenBSD loopback (network-order address family).
        LOOP = 108;
        /// Linux cooked capture v1.
        LINUX_SLL = 113;
        /// IEEE 802.11 with radiotap.
        IEEE802_11_RADIOTAP = 127;
        /// Raw IPv4.
        IPV4 = 228;
        /// Raw IPv6.
        IPV6 = 229;
        /// Linux cooked capture v2.
        LINUX_SLL2 = 276;
    }
}

registry! {
    /// PPP protocol field (IANA "PPP DLL Protocol Numbers").
    PppProto(u16) {
        /// Padding protocol.
        PADDING = 0x0001;
        /// IPv4.
        IPV4 = 0x0021;
        /// Multilink PPP (RFC 1990).
        MP = 0x003D;
        /// IPv6.
        IPV6 = 0x0057;
        /// Compressed datagram (CCP).
        COMP = 0x00FD;
        /// Encrypted datagram (ECP).
        CRYPT = 0x0053;
        /// IP Control Protocol.
        IPCP = 0x8021;
        /// IPv6 Control Protocol.
        IPV6CP = 0x8057;
        /// Compression Control Protocol.
        CCP = 0x80FD;
        /// Encryption Control Protocol.
        ECP = 0x8053;
        /// Link Control Protocol.
        LCP = 0xC021;
        /// Password Authentication Protocol.
        PAP = 0xC023;
        /// Challenge Handshake Authentication Protocol.
        CHAP = 0xC223;
    }
}

registry! {
    /// SMI network management private enterprise codes used as L2TP Vendor IDs.
    VendorId(u16) {
        /// IETF (RFC 2661 AVPs).
        IETF = 0;
        /// Hand-off AVPs (spec §1, §7): the example enterprise number of RFC 5612.
        HANDOFF = 32473;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_unknown_values_survive() {
        assert_eq!(EtherType::MVTP.name(), Some("MVTP"));
        assert_eq!(EtherType(0x1234).name(), None);
        assert_eq!(EtherType::from(0x88B5), EtherType::MVTP);
        assert_eq!(IpProto::GRE.0, 47);
        assert_eq!(VendorId::HANDOFF.0, 32473);
    }
}
