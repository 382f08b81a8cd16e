//! Decode of a 5-level nested stack without decryption:
//! Ethernet / IPv4 / GRE / IPv4 / UDP / 64-octet payload, built with `codec::stack`.
//! `views` walks the zero-copy views (the dissector's hot path); `owned` builds the nested
//! owned Reprs with `stack::parse`; `emit` re-encodes them.

use codec::ethernet::EthernetView;
use codec::gre::GreView;
use codec::ipv4::Ipv4View;
use codec::numbers::{EtherType, IpProto, LinkType};
use codec::stack::{self, Node};
use codec::udp::UdpView;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn frame() -> Vec<u8> {
    let user = Node::ipv4(
        [10, 1, 5, 23],
        [10, 1, 80, 80],
        IpProto::UDP,
        Node::udp(50123, 33434, Node::raw(vec![0x5A; 64])),
    );
    let gre = Node::gre(EtherType::IPV4, user);
    let outer = Node::ipv4([198, 51, 100, 20], [203, 0, 113, 5], IpProto::GRE, gre);
    Node::ethernet([0, 0, 0x5e, 0, 1, 10], [0, 0x1e, 0x49, 0x7a, 0x10, 1], EtherType::IPV4, outer)
        .emit_fixed()
        .unwrap_or_default()
}

fn views(b: &[u8]) -> Option<(u16, u16, usize)> {
    EthernetView::new(b).ok()?;
    let ip = Ipv4View::new(b.get(14..)?).ok()?;
    let g = GreView::new(ip.payload()).ok()?;
    let ip2 = Ipv4View::new(g.payload()).ok()?;
    let ok = ip.checksum_ok() && ip2.checksum_ok();
    let u = UdpView::new(ip2.payload()).ok()?;
    let ph = codec::checksum::PseudoHeader::V4 {
        src: ip2.src(),
        dst: ip2.dst(),
    };
    let status = u.checksum_status(Some(&ph)) as usize;
    Some((u.src_port(), u.dst_port(), u.payload().len() + status + usize::from(ok)))
}

fn bench(c: &mut Criterion) {
    let b = frame();
    assert_eq!(views(&b).map(|v| v.0), Some(50123));
    let mut g = c.benchmark_group("stack5");
    g.throughput(Throughput::Elements(1));
    g.bench_function("views", |z| z.iter(|| views(black_box(&b))));
    g.bench_function("owned", |z| z.iter(|| stack::parse(LinkType::ETHERNET, black_box(&b))));
    let f = stack::parse(LinkType::ETHERNET, &b);
    g.bench_function("emit", |z| z.iter(|| black_box(&f).emit()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
