//! MVTP decode speed (spec §2): `view_rrq` walks the zero-copy view of an MV-RRQ with
//! three AVPs (GID, Message String, Mobile-Home Authentication), every field through
//! `black_box`, plus the spec §2.1 check (target < 100 ns); `view_data` the same for an
//! MV-DATA with a 1,400-octet payload; `owned_rrq`/`emit_rrq` the Repr; `verify_rrq` adds
//! HMAC-MD5 verification of the authenticator.

use codec::auth::{Algorithm, AuthKey, KeyStore};
use codec::gid::Gid;
use codec::mvtp::{self, Auth, AuthRole, Avp, AvpValue, Body, DataFields, Encap, Fixed, Pdu, PduView, Registration, ValueView};
use criterion::{black_box, criterion_group, Criterion, Throughput};
use std::net::Ipv4Addr;

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(
        256,
        AuthKey {
            algorithm: Algorithm::HmacMd5,
            secret: b"mvtp-pub-mh-key1".to_vec(),
        },
    );
    k
}

fn rrq() -> Vec<u8> {
    let mut p = Pdu::new(
        0,
        Body::Rrq(Registration {
            flags: mvtp::FLAG_RESET,
            lifetime: 1800,
            encap: Encap::L2TP_TRANSPORT,
            connect_id: 1001,
            home_addr: Ipv4Addr::new(203, 0, 113, 5),
            ident: 0xe99d415e1a2b3c4d,
            ..Registration::default()
        }),
    );
    p.avps
        .push(Avp::new(AvpValue::Gid(Gid::mac([0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]))));
    p.avps.push(Avp::new(AvpValue::Message(b"re-registration".to_vec())));
    p.avps.push(Avp::new(AvpValue::Auth(Auth {
        role: AuthRole::MobileHome,
        spi: 256,
        authenticator: vec![0; 16],
    })));
    let mut out = Vec::new();
    p.emit_signed(&mut out, &keys()).unwrap_or_default();
    out
}

fn data() -> Vec<u8> {
    let mut p = Pdu::new(
        5,
        Body::Data(DataFields {
            encap: Encap::L2TP_TRANSPORT,
            reserved: 0,
        }),
    );
    p.payload = vec![0x5a; 1400];
    p.to_bytes().unwrap_or_default()
}

/// Every field of the PDU through `black_box`, and the §2.1 check without keys.
fn view_decode(b: &[u8]) -> usize {
    let Ok(v) = PduView::new(b) else { return 0 };
    black_box((
        v.version(),
        v.reserved(),
        v.pdu_type(),
        v.pdu_length(),
        v.leid(),
        v.avp_length(),
    ));
    match v.fixed() {
        Fixed::Rrq(g) | Fixed::Rrp(g) => {
            black_box((g.reset(), g.roam_notify(), g.flags, g.code, g.lifetime, g.encap, g.reserved));
            black_box((g.connect_id, g.home_addr, g.ident));
        }
        Fixed::Data(d) => {
            black_box((d.encap, d.reserved));
        }
        f => {
            black_box(f);
        }
    }
    let mut n = 0;
    for a in v.avps().flatten() {
        black_box((
            a.offset,
            a.mandatory(),
            a.hidden(),
            a.reserved(),
            a.len(),
            a.vendor_id,
            a.attr_type,
        ));
        match a.decode() {
            Ok(ValueView::Gid(g)) => {
                black_box((g.class, g.address));
            }
            Ok(ValueView::Auth {
                role,
                spi,
                authenticator,
            }) => {
                black_box((role, spi, authenticator));
            }
            Ok(ValueView::Message(m)) => {
                black_box(m);
            }
            other => {
                black_box(other.is_ok());
            }
        }
        n += 1;
    }
    if CHECK.load(std::sync::atomic::Ordering::Relaxed) {
        black_box(v.check(None));
    }
    black_box(v.payload());
    n
}

/// Whether `view_decode` also runs the spec §2.1 check (a second AVP walk).
static CHECK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

fn bench(c: &mut Criterion) {
    let (rrq, data) = (rrq(), data());
    assert_eq!(view_decode(&rrq), 3);
    let mut g = c.benchmark_group("mvtp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("view_rrq_3_avps", |b| b.iter(|| view_decode(black_box(&rrq))));
    CHECK.store(false, std::sync::atomic::Ordering::Relaxed);
    g.bench_function("view_rrq_3_avps_walk_only", |b| b.iter(|| view_decode(black_box(&rrq))));
    CHECK.store(true, std::sync::atomic::Ordering::Relaxed);
    g.bench_function("view_data_1400", |b| b.iter(|| view_decode(black_box(&data))));
    g.bench_function("owned_rrq", |b| b.iter(|| Pdu::parse(black_box(&rrq))));
    let p = Pdu::parse(&rrq).unwrap_or_else(|_| Pdu::new(0, Body::Fas));
    g.bench_function("emit_rrq", |b| {
        let mut out = Vec::with_capacity(256);
        b.iter(|| {
            out.clear();
            black_box(p.emit(&mut out))
        })
    });
    let k = keys();
    g.bench_function("verify_rrq_md5", |b| {
        b.iter(|| mvtp::decode(black_box(&rrq), Some(&k)).map(|(_, r)| r.auth.len()))
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `MVTP_BENCH_LOOP=<n> [MVTP_BENCH_PDU=data]` runs n view decodes and exits, for
/// `perf stat -e task-clock,instructions` (CPU time per PDU, independent of machine load);
/// otherwise the criterion benchmarks.
fn main() {
    if let Some(n) = std::env::var("MVTP_BENCH_LOOP").ok().and_then(|s| s.parse::<u64>().ok()) {
        CHECK.store(
            std::env::var_os("MVTP_BENCH_NOCHECK").is_none(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let pdu = if std::env::var("MVTP_BENCH_PDU").is_ok_and(|s| s == "data") {
            data()
        } else {
            rrq()
        };
        let mut total = 0;
        for _ in 0..n {
            total += view_decode(black_box(&pdu));
        }
        println!("{n} view decodes, {total} AVPs");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
