//! The malformed-PDU family: `mvtp-establish` with extra frames on the FA's access link,
//! each a copy of a PDU of the run with one octet-level fault (spec §2's format rules and
//! AUTH-3). Receivers discard a malformed PDU (or, for a warning, read past it), so the
//! run itself is unchanged; the expected finding of each inserted frame is the clause its
//! mutation breaks, written here from the mutation — never from the engine.
//!
//! Warnings (FMT-3, AVP-2, AVP-9, AVP-11) ride on extra MV-FAAs (same sequence number as
//! the advertisement before them, so PROC-2 sees no step back); errors on extra MV-FAA,
//! MV-FAS, MV-RRQ and MV-DATA copies; FMT-15 on an MV-FAA sent unicast to a station that
//! solicited nothing; FMT-16 on an ICMP Router Advertisement whose extension 255 runs past
//! the message; AUTH-3 on a signed MV-RRQ of another client whose Global Endpoint ID
//! follows its Mobile-Home Authentication AVP.

use crate::built::{Built, BuiltFrame, Expected};
use crate::scenarios;
use crate::sim::topo;
use codec::auth::{Algorithm, AuthKey, KeyStore};

/// Where the MVTP PDU starts in an Ethernet II frame.
const ETH: usize = 14;
/// Ethernet II minimum frame (without FCS).
const MIN_FRAME: usize = 60;
/// The MVTP multicast address (spec §3.1).
const MVTP_MULTICAST: [u8; 6] = [0x03, 0x4d, 0x56, 0x54, 0x50, 0x00];

/// One inserted frame: when, what, and the finding it must produce.
struct Insert {
    at_ms: u64,
    octets: Vec<u8>,
    rule: &'static str,
    severity: &'static str,
    what: &'static str,
}

fn be16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b.get(at).copied().unwrap_or(0), b.get(at + 1).copied().unwrap_or(0)]))
}

fn put16(b: &mut [u8], at: usize, v: usize) {
    if let Some(s) = b.get_mut(at..at + 2) {
        s.copy_from_slice(&(v as u16).to_be_bytes());
    }
}

/// The MVTP PDU of an Ethernet II frame (PDU Length octets; padding dropped).
fn pdu_of(frame: &[u8]) -> Vec<u8> {
    let body = frame.get(ETH..).unwrap_or_default();
    body.get(..be16(body, 2).min(body.len())).unwrap_or_default().to_vec()
}

/// An Ethernet II frame (EtherType 0x88B5) around `pdu`, padded to 60 octets.
fn frame(dst: [u8; 6], src: [u8; 6], pdu: &[u8]) -> Vec<u8> {
    let mut f = [&dst[..], &src[..], &[0x88, 0xb5][..], pdu].concat();
    if f.len() < MIN_FRAME {
        f.resize(MIN_FRAME, 0);
    }
    f
}

/// Appends an AVP (vendor 0) and grows PDU Length and AVP Length.
fn append_avp(pdu: &mut Vec<u8>, flags: u8, ty: u16, value: &[u8]) {
    let len = 6 + value.len();
    pdu.extend_from_slice(&[flags | ((len >> 8) as u8 & 0x03), len as u8, 0, 0]);
    pdu.extend_from_slice(&ty.to_be_bytes());
    pdu.extend_from_slice(value);
    let (l, a) = (be16(pdu, 2), be16(pdu, 6));
    put16(pdu, 2, l + len);
    put16(pdu, 6, a + len);
}

/// The run's frames on FA 1's access link, with their MVTP PDU Type (0: not MVTP over
/// Ethernet II).
fn pdu_type(f: &BuiltFrame) -> u8 {
    if f.octets.get(12..14) == Some(&[0x88, 0xb5][..]) {
        f.octets.get(ETH + 1).copied().unwrap_or(0)
    } else {
        0
    }
}

/// An ICMP Router Advertisement from the FA to 224.0.0.1 (TTL 1), carrying the Mobility
/// Agent Advertisement (16) and a VPN Mobility Agent Advertisement (255) whose Length
/// claims more octets than the message has.
fn icmp_ra_ext255_past_the_end(fa_mac: [u8; 6], coa: [u8; 4]) -> Vec<u8> {
    let mut icmp = vec![9, 0, 0, 0, 1, 2, 0x07, 0x08];
    icmp.extend_from_slice(&coa);
    icmp.extend_from_slice(&[0, 0, 0, 0]);
    // Extension 16: seq 300, lifetime 1800, flags F|G, one care-of address.
    icmp.extend_from_slice(&[16, 10, 0x01, 0x2c, 0x07, 0x08, 0x14, 0x00]);
    icmp.extend_from_slice(&coa);
    // Extension 255, the last one, whose Length (14) runs 4 octets past the message
    // [FMT-16: Length = the value octets that follow].
    icmp.extend_from_slice(&[255, 14, 0x01, 0x2c, 0x07, 0x08, 0x14, 0x00]);
    icmp.extend_from_slice(&coa);
    let c = crate::inet_checksum(&[&icmp]);
    put16(&mut icmp, 2, usize::from(c));
    let ip = crate::ipv4(coa, [224, 0, 0, 1], 1, 1, &icmp);
    [&[0x01, 0x00, 0x5e, 0x00, 0x00, 0x01][..], &fa_mac[..], &[0x08, 0x00][..], &ip].concat()
}

/// A signed MV-RRQ of a client unknown to the run whose Global Endpoint ID AVP follows
/// its Mobile-Home Authentication AVP [AUTH-3].
fn rrq_auth_before_gid(spi: u32, secret: &[u8], home: [u8; 4]) -> Result<Vec<u8>, String> {
    let mut pdu = vec![0x10, 0x04, 0, 8, 0, 0, 0, 0];
    // R, code 0, lifetime 1800, Encap 2, Connect ID 7, Home IP Address, Identification.
    pdu.extend_from_slice(&[0x80, 0, 0x07, 0x08, 2, 0, 0, 0, 0, 0, 0, 7]);
    pdu.extend_from_slice(&home);
    pdu.extend_from_slice(&[0xed, 0x00, 0x37, 0x80, 0x80, 0, 0, 0]);
    let n = pdu.len();
    put16(&mut pdu, 2, n);
    let mut mh = spi.to_be_bytes().to_vec();
    mh.extend_from_slice(&[0; 16]);
    append_avp(&mut pdu, 0x80, 4, &mh);
    append_avp(&mut pdu, 0x80, 1, &[3, 0x00, 0x21, 0x6a, 0x4b, 0x1c, 0x99]);
    let mut keys = KeyStore::new();
    keys.insert(spi, AuthKey { algorithm: Algorithm::HmacMd5, secret: secret.to_vec() });
    codec::mvtp::auth::fix_up(&mut pdu, &keys).map_err(|e| e.to_string())?;
    Ok(pdu)
}

/// The family: one capture.
pub fn all() -> Result<Vec<Built>, String> {
    let base = scenarios::all()
        .into_iter()
        .find(|s| s.name == "mvtp-establish")
        .ok_or("no mvtp-establish scenario")?
        .build()?;
    let access = base.links.iter().position(|l| l.name == "fa1").ok_or("no fa1 link")?;
    let on_access = |ty: u8| {
        base.frames
            .iter()
            .find(|f| f.link == access && pdu_type(f) == ty)
            .ok_or(format!("mvtp-establish has no PDU type {ty} on fa1"))
    };
    let (faa, fas, rrq, data) = (on_access(1)?, on_access(2)?, on_access(4)?, on_access(3)?);
    let fa_mac = topo::fa_mac(0);
    let client_mac = topo::client_mac(0);
    let coa = topo::fa_coa(0).octets();
    // A variant of the first MV-FAA (sent at 0 ms), inserted 100 ms after it.
    let faa_pdu = pdu_of(&faa.octets);
    let faa_with = |f: fn(&mut Vec<u8>)| {
        let mut p = faa_pdu.clone();
        f(&mut p);
        frame(MVTP_MULTICAST, fa_mac, &p)
    };
    let fas_pdu = pdu_of(&fas.octets);
    let rrq_pdu = pdu_of(&rrq.octets);
    let data_pdu = pdu_of(&data.octets);
    // The FAA's AVPs: the advertisement at PDU + 8 (16 octets), Prefix Lengths at + 24.
    const ADV: usize = 8;
    const PLEN: usize = 24;
    let mut ins = vec![
        Insert { at_ms: 100, octets: faa_with(|p| p[0] = 0x11), rule: "FMT-3", severity: "warning", what: "MV-FAA with Rsvd nibble 1" },
        Insert { at_ms: 110, octets: faa_with(|p| p[ADV] |= 0x04), rule: "AVP-2", severity: "warning", what: "MV-FAA whose advertisement AVP has a reserved bit set" },
        Insert { at_ms: 120, octets: faa_with(|p| p[PLEN] |= 0x80), rule: "AVP-9", severity: "warning", what: "MV-FAA whose Prefix Lengths AVP has M = 1" },
        Insert { at_ms: 130, octets: faa_with(|p| append_avp(p, 0, 7, &[0x6f, 0x6b, 0xff, 0xfe])), rule: "AVP-11", severity: "warning", what: "MV-FAA with a Message String that is not UTF-8" },
        Insert { at_ms: 200, octets: faa_with(|p| p[0] = 0xf0), rule: "FMT-2", severity: "error", what: "MV-FAA with Version 15" },
        Insert { at_ms: 210, octets: faa_with(|p| put16(p, 2, 0xff)), rule: "FMT-5", severity: "error", what: "MV-FAA whose PDU Length (255) runs past the frame" },
        Insert { at_ms: 220, octets: faa_with(|p| { let (l, a) = (be16(p, 2), be16(p, 6)); put16(p, 2, l - 1); put16(p, 6, a - 1) }), rule: "FMT-7", severity: "error", what: "MV-FAA whose Prefix Lengths AVP crosses the end of AVP Length" },
        Insert { at_ms: 230, octets: faa_with(|p| { p.extend_from_slice(&[0xaa, 0xbb]); let l = be16(p, 2); put16(p, 2, l + 2) }), rule: "FMT-8", severity: "error", what: "MV-FAA with two octets of payload" },
        Insert { at_ms: 240, octets: faa_with(|p| p[PLEN + 1] = 5), rule: "AVP-1", severity: "error", what: "MV-FAA whose Prefix Lengths AVP has Length 5" },
        Insert { at_ms: 250, octets: faa_with(|p| p[PLEN] |= 0x40), rule: "AVP-3", severity: "error", what: "MV-FAA whose Prefix Lengths AVP has H = 1" },
        Insert { at_ms: 260, octets: faa_with(|p| append_avp(p, 0x80, 99, &[])), rule: "AVP-4", severity: "error", what: "MV-FAA with an unrecognised AVP (type 99) with M = 1" },
        Insert { at_ms: 270, octets: faa_with(|p| { p.remove(ADV + 15); p[ADV + 1] -= 1; let (l, a) = (be16(p, 2), be16(p, 6)); put16(p, 2, l - 1); put16(p, 6, a - 1) }), rule: "AVP-6", severity: "error", what: "MV-FAA whose advertisement value is 9 octets" },
        Insert { at_ms: 280, octets: faa_with(|p| p[ADV + 10] &= !0x10), rule: "AVP-7", severity: "error", what: "MV-FAA whose advertisement has F = 0" },
        Insert { at_ms: 290, octets: faa_with(|p| p[PLEN + 6] = 33), rule: "AVP-8", severity: "error", what: "MV-FAA with a prefix length of 33" },
        Insert { at_ms: 300, octets: faa_with(|p| append_avp(p, 0x80, 6, &[0, 0, 2, 0, 1, 2, 3, 4])), rule: "AVP-10", severity: "error", what: "MV-FAA with an authentication AVP of 8 value octets" },
        Insert { at_ms: 500, octets: frame(client_mac, fa_mac, &faa_pdu), rule: "FMT-15", severity: "error", what: "MV-FAA sent unicast to a station that sent no MV-FAS" },
        Insert { at_ms: 600, octets: icmp_ra_ext255_past_the_end(fa_mac, coa), rule: "FMT-16", severity: "error", what: "ICMP Router Advertisement whose extension 255 Length runs past the message" },
    ];
    let mut fas_leid = fas_pdu.clone();
    put16(&mut fas_leid, 4, 5);
    ins.push(Insert { at_ms: 700, octets: frame(MVTP_MULTICAST, client_mac, &fas_leid), rule: "FMT-6", severity: "error", what: "MV-FAS with Local Endpoint ID 5" });
    let mut fas_gid = fas_pdu.clone();
    append_avp(&mut fas_gid, 0x80, 1, &[3, 0x00, 0x21, 0x6a, 0x4b, 0x1c]);
    ins.push(Insert { at_ms: 710, octets: frame(MVTP_MULTICAST, client_mac, &fas_gid), rule: "AVP-5", severity: "error", what: "MV-FAS whose Global Endpoint ID of class 3 has 5 address octets" });
    // After the registration (MV-RRP at ~1.23 s), before the disconnect at 3 s.
    let mut rrq_code = rrq_pdu.clone();
    if let Some(c) = rrq_code.get_mut(9) {
        *c = 1;
    }
    ins.push(Insert { at_ms: 2_300, octets: frame(fa_mac, client_mac, &rrq_code), rule: "FMT-10", severity: "error", what: "MV-RRQ with Code 1" });
    let mut data_bad = data_pdu.clone();
    let start = 12 + be16(&data_bad, 6);
    if let Some(b) = data_bad.get_mut(start) {
        *b = 0xff; // the L2TP header's first octet: T, L, S, O, P set and reserved bits
    }
    ins.push(Insert { at_ms: 2_400, octets: frame(fa_mac, client_mac, &data_bad), rule: "FMT-14", severity: "error", what: "MV-DATA (Encap 2) whose payload is not an L2TP message" });
    let unknown = frame(fa_mac, client_mac, &[0x10, 0x20, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 1, 2, 3, 4]);
    ins.push(Insert { at_ms: 2_500, octets: unknown, rule: "FMT-4", severity: "info", what: "PDU of unknown type 32" });
    let keys = base.keys.clone();
    let (spi, secret) = (topo::mh_spi(0), topo::mh_secret(0));
    let auth3 = rrq_auth_before_gid(spi, &secret, topo::SERVER.octets())?;
    ins.push(Insert { at_ms: 2_600, octets: frame(fa_mac, client_mac, &auth3), rule: "AUTH-3", severity: "error", what: "MV-RRQ whose Global Endpoint ID follows its Mobile-Home Authentication AVP" });

    // Merge by time (an inserted frame goes after the run's frames of the same time).
    let t0 = faa.at_ms;
    let mut frames: Vec<(BuiltFrame, Option<usize>)> = base.frames.iter().cloned().map(|f| (f, None)).collect();
    for (i, x) in ins.iter().enumerate() {
        let at = t0 + x.at_ms;
        let pos = frames.iter().position(|(f, _)| f.at_ms > at).unwrap_or(frames.len());
        frames.insert(pos, (BuiltFrame { at_ms: at, link: access, octets: x.octets.clone() }, Some(i)));
    }
    let mut expected: Vec<Expected> = frames
        .iter()
        .enumerate()
        .filter_map(|(n, (_, i))| {
            let x = ins.get((*i)?)?;
            Some(Expected { rule: x.rule.into(), frame: n as u64 + 1, severity: x.severity.into(), knob: format!("malformed: {}", x.what) })
        })
        .collect();
    expected.sort();
    Ok(vec![Built {
        name: "mvtp-establish-malformed".into(),
        description: "mvtp-establish with one extra frame per format rule on the FA's access link: each a copy of a PDU of the run with one octet-level fault (receivers discard it or read past it)".into(),
        sections: "§2 FMT-2..8 FMT-10 FMT-14..16 AVP-1..11 AUTH-3".into(),
        links: base.links.clone(),
        frames: frames.into_iter().map(|(f, _)| f).collect(),
        keys,
        faults: ins.iter().map(|x| format!("malformed: {}", x.what)).collect(),
        expected,
    }])
}
