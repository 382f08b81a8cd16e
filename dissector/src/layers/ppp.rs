//! PPP (RFC 1661, HDLC-like framing RFC 1662) with Wireshark's field names: `ppp.address`,
//! `ppp.control`, `ppp.protocol`; control packets `ppp.code`/`ppp.identifier`/`ppp.length`
//! with `lcp.*`, `ipcp.*`, `ccp.*` options; `pap.*`, `chap.*`, `mp.*`. IPv4 and IPv6 (and
//! any other network protocol) are handed on with `Next::Ppp`.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::bytes::{array, be_u16, be_u32};
use codec::gid::Class;
use codec::numbers::PppProto;
use codec::ppp::auth::{chap_code, counted, pap_code};
use codec::ppp::cp::{self, code, OptIter, OptView, PacketView};
use codec::ppp::{ipcp, lcp, mp, HeaderView};
use core::ops::Range;

/// Dissects a PPP frame occupying `data[at]`.
pub fn ppp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let buf = data.get(at.clone()).unwrap_or_default();
    cx.layer("ppp", at.clone());
    let h = match HeaderView::new(buf) {
        Ok(h) => h,
        Err(e) => return cx.stop_at(base, e),
    };
    if h.address_control.is_some() {
        cx.uint("ppp.address", base..base + 1, buf[0]);
        cx.uint("ppp.control", base + 1..base + 2, buf[1]);
    }
    let pr = &h.protocol_range;
    cx.uint("ppp.protocol", base + pr.start..base + pr.end, h.protocol.0);
    for d in h.diagnostics() {
        cx.diag_at(base, d);
    }
    let p0 = h.payload_start();
    let pbase = base + p0;
    let payload = buf.get(p0..).unwrap_or_default();
    let prange = pbase..at.end;
    match h.protocol {
        PppProto::LCP => control(cx, pbase, payload, Ncp::Lcp),
        PppProto::IPCP => control(cx, pbase, payload, Ncp::Ipcp),
        PppProto::CCP => control(cx, pbase, payload, Ncp::Ccp),
        PppProto::ECP => control(cx, pbase, payload, Ncp::Ecp),
        PppProto::PAP => pap(cx, pbase, payload),
        PppProto::CHAP => chap(cx, pbase, payload),
        PppProto::MP => multilink(cx, pbase, payload),
        p => {
            if prange.is_empty() {
                Next::Stop
            } else {
                Next::Ppp(p, prange)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ncp {
    Lcp,
    Ipcp,
    Ccp,
    Ecp,
}

/// LCP and the NCPs (RFC 1661 §5).
fn control(cx: &mut Cx, base: usize, b: &[u8], which: Ncp) -> Next {
    let (layer, opt_len) = match which {
        Ncp::Lcp => (Some("lcp"), "lcp.opt.length"),
        Ncp::Ipcp => (Some("ipcp"), "ipcp.opt.length"),
        Ncp::Ccp => (Some("ccp"), "ccp.opt.length"),
        // Wireshark 4.0 registers no PPP ECP protocol: its header stays in the PPP layer.
        Ncp::Ecp => (None, "ppp.length"),
    };
    if let Some(l) = layer {
        cx.layer(l, base..base + b.len());
    }
    let v = match PacketView::new(b, 0, "ppp.length") {
        Ok(v) => v,
        Err(e) => {
            if let Some(&c) = b.first() {
                cx.uint("ppp.code", base..base + 1, c);
            }
            return cx.stop_at(base, e);
        }
    };
    cx.uint("ppp.code", base..base + 1, v.code);
    cx.uint("ppp.identifier", base + 1..base + 2, v.identifier);
    cx.uint("ppp.length", base + 2..base + 4, v.length);
    let ds = base + cp::HEADER_LEN;
    let d = v.data;
    let de = ds + d.len();
    if cp::has_options(v.code) {
        for o in OptIter::new(d, ds, opt_len) {
            match o {
                Ok(o) => match which {
                    Ncp::Lcp => lcp_option(cx, &o),
                    Ncp::Ipcp => ipcp_option(cx, &o),
                    Ncp::Ccp => raw_option(cx, &o, "ccp.opt.type", "ccp.opt.length", "ccp.opt.data"),
                    Ncp::Ecp => raw_option(cx, &o, "ppp.code", "ppp.length", "ppp.data"),
                },
                Err(e) => return cx.stop_at(0, e),
            }
        }
        return Next::Stop;
    }
    if which != Ncp::Lcp {
        if !d.is_empty() {
            cx.field("ppp.data", ds..de, Value::Bytes);
        }
        return Next::Stop;
    }
    match v.code {
        code::PROTOCOL_REJECT if d.len() >= 2 => {
            cx.uint("lcp.rej_proto", ds..ds + 2, be_u16(d, 0).unwrap_or_default());
            if d.len() > 2 {
                cx.field("lcp.data", ds + 2..de, Value::Bytes);
            }
        }
        code::ECHO_REQUEST | code::ECHO_REPLY | code::DISCARD_REQUEST | code::IDENTIFICATION | code::TIME_REMAINING
            if d.len() >= 4 =>
        {
            cx.uint("lcp.magic_number", ds..ds + 4, be_u32(d, 0).unwrap_or_default());
            let mut rest = ds + 4;
            if v.code == code::TIME_REMAINING && d.len() >= 8 {
                cx.uint("lcp.secs_remaining", ds + 4..ds + 8, be_u32(d, 4).unwrap_or_default());
                rest = ds + 8;
            }
            if rest < de {
                let name = if matches!(v.code, code::IDENTIFICATION | code::TIME_REMAINING) { "lcp.message" } else { "lcp.data" };
                let val = if name == "lcp.message" { Value::Text } else { Value::Bytes };
                cx.field(name, rest..de, val);
            }
        }
        _ if !d.is_empty() => cx.field("lcp.data", ds..de, Value::Bytes),
        _ => {}
    }
    Next::Stop
}

/// LCP options in `b`, whose first octet is at `start` in the current buffer (the L2TP
/// proxy-LCP AVPs carry them bare, RFC 2661 §4.4.5); stops quietly at a malformed one.
pub(crate) fn lcp_options(cx: &mut Cx, start: usize, b: &[u8]) {
    for o in OptIter::new(b, start, "lcp.opt.length") {
        match o {
            Ok(o) => lcp_option(cx, &o),
            Err(_) => break,
        }
    }
}

fn opt_header(cx: &mut Cx, o: &OptView<'_>, ty: &'static str, len: &'static str) -> Range<usize> {
    let r = o.range();
    cx.push(ty, r.start..r.start + 1, Value::U64(o.ty.into()));
    cx.uint(len, r.start + 1..r.start + 2, r.len() as u64);
    r.start + 2..r.end
}

fn raw_option(cx: &mut Cx, o: &OptView<'_>, ty: &'static str, len: &'static str, data: &'static str) {
    let d = opt_header(cx, o, ty, len);
    if !d.is_empty() {
        cx.field(data, d, Value::Bytes);
    }
    cx.pop();
}

/// One LCP option (RFC 1661 §6, RFC 1990 §5.1).
fn lcp_option(cx: &mut Cx, o: &OptView<'_>) {
    let d = opt_header(cx, o, "lcp.opt.type", "lcp.opt.length");
    let s = d.start;
    let v = o.data;
    let u16v = || u64::from(be_u16(v, 0).unwrap_or_default());
    let u32v = || u64::from(be_u32(v, 0).unwrap_or_default());
    match (o.ty, v.len()) {
        (lcp::opt::MRU, 2) => cx.field("lcp.opt.mru", d, Value::U64(u16v())),
        (lcp::opt::ACCM, 4) => cx.field("lcp.opt.asyncmap", d, Value::U64(u32v())),
        (lcp::opt::AUTH_PROTOCOL, n) if n >= 2 => {
            cx.uint("lcp.opt.auth_protocol", s..s + 2, u16v());
            if be_u16(v, 0) == Some(PppProto::CHAP.0) && n == 3 {
                cx.uint("lcp.opt.algorithm", s + 2..s + 3, v[2]);
            } else if n > 2 {
                cx.field("lcp.opt.data", s + 2..d.end, Value::Bytes);
            }
        }
        (lcp::opt::QUALITY_PROTOCOL, n) if n >= 2 => {
            cx.uint("lcp.opt.quality_protocol", s..s + 2, u16v());
            if n > 2 {
                cx.field("lcp.opt.data", s + 2..d.end, Value::Bytes);
            }
        }
        (lcp::opt::MAGIC_NUMBER, 4) => cx.field("lcp.opt.magic_number", d, Value::U64(u32v())),
        (lcp::opt::PFC, 0) => cx.field("lcp.opt.field_compress", o.range(), Value::None),
        (lcp::opt::ACFC, 0) => cx.field("lcp.opt.addr_field_compress", o.range(), Value::None),
        (lcp::opt::MRRU, 2) => cx.field("lcp.opt.mrru", d, Value::U64(u16v())),
        (lcp::opt::SHORT_SEQUENCE, 0) => cx.field("lcp.opt.multilink_ssnh", o.range(), Value::None),
        (lcp::opt::ENDPOINT_DISCRIMINATOR, n) if n >= 1 => {
            // The RFC 1990 class + address of codec::gid.
            cx.uint("lcp.opt.ep_disc_class", s..s + 1, v[0]);
            let a = v.get(1..).unwrap_or_default();
            let ar = s + 1..d.end;
            match (Class(v[0]), a.len()) {
                (Class::IPV4, 4) => cx.field("lcp.opt.ip_address", ar, Value::Ipv4(array::<4>(a, 0).unwrap_or_default())),
                (Class::MAC, 6) => cx.field("lcp.opt.802_1_address", ar, Value::Mac(array::<6>(a, 0).unwrap_or_default())),
                (Class::MAGIC, _) if !a.is_empty() => cx.field("lcp.opt.magic_block", ar, Value::Bytes),
                (Class::PSTN, _) if !a.is_empty() => cx.field("lcp.opt.psndn", ar, Value::Bytes),
                (_, 0) => {}
                _ => cx.field("lcp.opt.data", ar, Value::Bytes),
            }
        }
        (_, 0) => {}
        _ => cx.field("lcp.opt.data", d, Value::Bytes),
    }
    cx.pop();
}

/// One IPCP option (RFC 1332 §3, RFC 1877).
fn ipcp_option(cx: &mut Cx, o: &OptView<'_>) {
    let d = opt_header(cx, o, "ipcp.opt.type", "ipcp.opt.length");
    let s = d.start;
    let v = o.data;
    let addr = |at: usize| Value::Ipv4(array::<4>(v, at).unwrap_or_default());
    match (o.ty, v.len()) {
        (ipcp::opt::IP_ADDRESSES, 8) => {
            cx.field("ipcp.opt.src_address", s..s + 4, addr(0));
            cx.field("ipcp.opt.dst_address", s + 4..s + 8, addr(4));
        }
        (ipcp::opt::COMPRESSION_PROTOCOL, n) if n >= 2 => {
            cx.uint("ipcp.opt.compress_proto", s..s + 2, be_u16(v, 0).unwrap_or_default());
            if n > 2 {
                cx.field("ipcp.data", s + 2..d.end, Value::Bytes);
            }
        }
        (t, 4) if ipcp::is_address(t) => {
            let name = match t {
                ipcp::opt::IP_ADDRESS => "ipcp.opt.ip_address",
                ipcp::opt::MOBILE_IPV4 => "ipcp.opt.mobilenodehomeaddress",
                ipcp::opt::PRIMARY_DNS => "ipcp.opt.pri_dns_address",
                ipcp::opt::PRIMARY_NBNS => "ipcp.opt.pri_nbns_address",
                ipcp::opt::SECONDARY_DNS => "ipcp.opt.sec_dns_address",
                _ => "ipcp.opt.sec_nbns_address",
            };
            cx.field(name, d, addr(0));
        }
        (_, 0) => {}
        _ => cx.field("ipcp.data", d, Value::Bytes),
    }
    cx.pop();
}

/// PAP (RFC 1334 §2.2).
fn pap(cx: &mut Cx, base: usize, b: &[u8]) -> Next {
    cx.layer("pap", base..base + b.len());
    let v = match PacketView::new(b, 0, "pap.length") {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.uint("pap.code", base..base + 1, v.code);
    cx.uint("pap.identifier", base + 1..base + 2, v.identifier);
    cx.uint("pap.length", base + 2..base + 4, v.length);
    let ds = base + cp::HEADER_LEN;
    let d = v.data;
    let ok = match v.code {
        pap_code::REQUEST => match counted(d).and_then(|(p, r)| Some((p, counted(r)?))) {
            Some((peer, (pass, []))) => {
                cx.uint("pap.peer_id.length", ds..ds + 1, peer.len() as u64);
                cx.field("pap.peer_id", ds + 1..ds + 1 + peer.len(), Value::Text);
                let p = ds + 1 + peer.len();
                cx.uint("pap.password.length", p..p + 1, pass.len() as u64);
                cx.field("pap.password", p + 1..p + 1 + pass.len(), Value::Text);
                true
            }
            _ => false,
        },
        pap_code::ACK | pap_code::NAK => match counted(d) {
            Some((m, [])) => {
                cx.uint("pap.message.length", ds..ds + 1, m.len() as u64);
                if !m.is_empty() {
                    cx.field("pap.message", ds + 1..ds + 1 + m.len(), Value::Text);
                }
                true
            }
            _ => false,
        },
        _ => false,
    };
    if !ok && !d.is_empty() {
        cx.field("pap.stuff", ds..ds + d.len(), Value::Bytes);
    }
    Next::Stop
}

/// CHAP (RFC 1994 §4).
fn chap(cx: &mut Cx, base: usize, b: &[u8]) -> Next {
    cx.layer("chap", base..base + b.len());
    let v = match PacketView::new(b, 0, "chap.length") {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.uint("chap.code", base..base + 1, v.code);
    cx.uint("chap.identifier", base + 1..base + 2, v.identifier);
    cx.uint("chap.length", base + 2..base + 4, v.length);
    let ds = base + cp::HEADER_LEN;
    let d = v.data;
    let de = ds + d.len();
    match v.code {
        chap_code::CHALLENGE | chap_code::RESPONSE => match counted(d) {
            Some((value, name)) => {
                cx.uint("chap.value_size", ds..ds + 1, value.len() as u64);
                cx.field("chap.value", ds + 1..ds + 1 + value.len(), Value::Bytes);
                if !name.is_empty() {
                    cx.field("chap.name", ds + 1 + value.len()..de, Value::Text);
                }
            }
            None if !d.is_empty() => cx.field("chap.stuff", ds..de, Value::Bytes),
            None => {}
        },
        chap_code::SUCCESS | chap_code::FAILURE if !d.is_empty() => cx.field("chap.message", ds..de, Value::Text),
        _ if !d.is_empty() => cx.field("chap.stuff", ds..de, Value::Bytes),
        _ => {}
    }
    Next::Stop
}

/// Multilink fragment (RFC 1990 §3), long sequence format (Wireshark's default; the short
/// format is negotiated out of band).
fn multilink(cx: &mut Cx, base: usize, b: &[u8]) -> Next {
    cx.layer("mp", base..base + b.len());
    let f = match mp::Fragment::parse(b, 0, false) {
        Ok(f) => f,
        Err(e) => return cx.stop_at(base, e),
    };
    let h = base..base + mp::LONG_LEN;
    cx.flag("mp.first", base..base + 1, f.begin);
    cx.flag("mp.last", base..base + 1, f.end);
    cx.uint("mp.sequence_num_cls", base..base + 1, f.reserved);
    cx.uint("mp.seq", h.clone(), f.seq);
    let p = h.end..base + b.len();
    if p.is_empty() {
        return Next::Stop;
    }
    cx.field("mp.payload", p.clone(), Value::Bytes);
    // A single-fragment packet (B and E) is a whole PPP frame without address/control.
    if f.begin && f.end {
        Next::To(Proto::Ppp, p)
    } else {
        Next::Stop
    }
}
