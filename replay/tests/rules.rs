//! Rewrite-rule parsing and CIDR mapping.

use replay::{Cidr, Rules};

#[test]
fn cidr_map_keeps_the_host_part() {
    let mut r = Rules::default();
    r.add_map("198.51.100.0/24=10.9.0.0/24").unwrap();
    assert_eq!(r.map_ipv4([198, 51, 100, 7]), Some([10, 9, 0, 7]));
    assert_eq!(r.map_ipv4([198, 51, 101, 7]), None);
}

#[test]
fn single_address_and_odd_prefix() {
    let mut r = Rules::default();
    r.add_map("192.0.2.1=203.0.113.9").unwrap();
    r.add_map("10.0.0.0/9=172.16.0.0/9").unwrap();
    assert_eq!(r.map_ipv4([192, 0, 2, 1]), Some([203, 0, 113, 9]));
    assert_eq!(r.map_ipv4([192, 0, 2, 2]), None);
    assert_eq!(r.map_ipv4([10, 127, 1, 2]), Some([172, 127, 1, 2]));
    assert_eq!(r.map_ipv4([10, 128, 1, 2]), None);
}

#[test]
fn bad_rules_are_refused() {
    let mut r = Rules::default();
    assert!(r.add_map("198.51.100.0/24=10.9.0.0/16").is_err());
    assert!(r.add_map("198.51.100.0/33=10.9.0.0/33").is_err());
    assert!(r.add_map("198.51.100.0").is_err());
    assert!(r.add_map("1.2.3=1.2.3.4").is_err());
    assert!(r.add_mac("aa:bb:cc:dd:ee=00:11:22:33:44:55").is_err());
    assert!(r.add_port("70000=1").is_err());
    assert!(r.add_gre_key("x=1").is_err());
    assert!(r.is_empty());
}

#[test]
fn mac_port_key_spi_maps() {
    let mut r = Rules::default();
    r.add_mac("AA:bb:cc:dd:ee:ff=00:11:22:33:44:55").unwrap();
    r.add_port("1701=1702").unwrap();
    r.add_gre_key("0x10=17").unwrap();
    r.add_spi("4096=0x2000").unwrap();
    assert_eq!(
        r.map_mac([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
        Some([0, 0x11, 0x22, 0x33, 0x44, 0x55])
    );
    assert_eq!(r.map_port(1701), Some(1702));
    assert_eq!(r.map_port(1702), None);
    assert_eq!(r.map_gre_key(16), Some(17));
    assert_eq!(r.map_spi(4096), Some(0x2000));
    assert!(Cidr::parse("0.0.0.0/0").unwrap().contains([255, 1, 2, 3]));
}

/// RFC 8200 / RFC 768 over IPv6: a prefix map rewrites IPv6 source and destination (host
/// part kept) and the UDP checksum over the new pseudo-header verifies.
#[test]
fn ipv6_prefix_map_and_udp_checksum() {
    use codec::numbers::{EtherType, IpProto, LinkType};
    use codec::stack::Node;
    let mut r = Rules::default();
    r.add_map("2001:db8::/32=fd00:1::/32").unwrap();
    assert!(
        r.add_map("2001:db8::/32=fd00::/16").is_err(),
        "prefix lengths differ"
    );
    let src: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
    let dst: std::net::Ipv6Addr = "2001:db8:0:1::2".parse().unwrap();
    assert_eq!(
        r.map_ipv6(src.octets()),
        Some("fd00:1::1".parse::<std::net::Ipv6Addr>().unwrap().octets())
    );
    let ip = codec::ipv6::Ipv6 {
        src: src.octets(),
        dst: dst.octets(),
        next_header: IpProto::UDP,
        hop_limit: 64,
        ..Default::default()
    };
    let n = Node::ethernet(
        [2, 0, 0, 0, 0, 2],
        [2, 0, 0, 0, 0, 1],
        EtherType::IPV6,
        Node::Ipv6 {
            hdr: ip,
            inner: Box::new(Node::udp(4000, 5000, Node::raw(&b"six"[..]))),
        },
    );
    let b = n.emit_fixed().unwrap();
    assert_eq!(replay::checksum_counts(LinkType::ETHERNET, &b), (1, 0));
    let (out, o) = replay::rewrite_frame(LinkType::ETHERNET, &b, &r, false);
    assert_eq!(o, replay::Outcome::Rewritten);
    assert_eq!(
        &out[22..38],
        &"fd00:1::1".parse::<std::net::Ipv6Addr>().unwrap().octets()
    );
    assert_eq!(
        &out[38..54],
        &"fd00:1:0:1::2"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
    );
    assert_eq!(
        replay::checksum_counts(LinkType::ETHERNET, &out),
        (1, 0),
        "UDP checksum recomputed"
    );
}
