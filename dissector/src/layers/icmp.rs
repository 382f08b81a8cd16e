//! ICMP with Wireshark's `icmp.*` names: router discovery in full (RFC 1256 with the RFC 5944
//! Mobile IP extensions 16, 19, 24 and padding), the MVTP VPN Mobility Agent Advertisement
//! extension 255 as `mvtp.agent.*` (spec FMT-16, §10), other types summarised. An error
//! message hands its quoted IP datagram on.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::agent_adv::{self, AgentAdvView};
use codec::icmp::{self, field, IcmpType, IcmpView, RaExtType, RaExtView, RouterAdvView};
use codec::Diagnostic;
use core::ops::Range;

/// Flag bits of extension 16 as Wireshark names them (`icmp.mip.*`).
const MIP_FLAGS: [(&str, u16); 10] = [
    ("icmp.mip.r", agent_adv::flags::R),
    ("icmp.mip.b", agent_adv::flags::B),
    ("icmp.mip.h", agent_adv::flags::H),
    ("icmp.mip.f", agent_adv::flags::F),
    ("icmp.mip.m", agent_adv::flags::M),
    ("icmp.mip.g", agent_adv::flags::G),
    ("icmp.mip.v", agent_adv::flags::RSVD_R),
    ("icmp.mip.rt", agent_adv::flags::T),
    ("icmp.mip.u", agent_adv::flags::U),
    ("icmp.mip.x", agent_adv::flags::X),
];
/// The low six bits Wireshark shows as `icmp.mip.reserved` (I and the 5 reserved bits).
const MIP_FLAGS_LOW: u16 = agent_adv::flags::I | agent_adv::flags::RSVD_LOW;

/// Dissects an ICMP message occupying `data[at]`.
pub fn icmp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let buf = data.get(at.clone()).unwrap_or_default();
    cx.layer("icmp", at.clone());
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let one = |x: usize| base + x..base + x + 1;
    let v = match IcmpView::new(buf) {
        Ok(v) => v,
        Err(e) => {
            if let Some(t) = buf.first() {
                cx.uint("icmp.type", one(field::TYPE), *t);
            }
            if let Some(c) = buf.get(field::CODE) {
                cx.uint("icmp.code", one(field::CODE), *c);
            }
            return cx.stop_at(base, e);
        }
    };
    let t = v.icmp_type();
    cx.uint("icmp.type", one(field::TYPE), t.0);
    cx.uint("icmp.code", one(field::CODE), v.code());
    cx.uint("icmp.checksum", r(field::CHECKSUM), v.checksum());
    // A capture cut by its snaplen cannot be checked.
    if cx.missing() == 0 && !v.checksum_ok() {
        cx.diag_at(
            base,
            Diagnostic::warning(
                "icmp.checksum",
                field::CHECKSUM.start,
                "RFC792",
                format!("checksum {:#06x}, should be {:#06x}", v.checksum(), v.computed_checksum()),
            ),
        );
    }
    let data_range = r(icmp::HEADER_LEN..buf.len());
    match t {
        IcmpType::ROUTER_ADVERTISEMENT => return router_adv(cx, base, buf),
        IcmpType::ROUTER_SOLICITATION => cx.field("icmp.reserved", r(field::REST), Value::Bytes),
        IcmpType::ECHO | IcmpType::ECHO_REPLY => {
            cx.uint("icmp.ident", r(field::IDENT), be16(buf, field::IDENT.start));
            cx.uint("icmp.seq", r(field::SEQ), be16(buf, field::SEQ.start));
        }
        IcmpType::DEST_UNREACHABLE if v.code() == 4 => {
            cx.field("icmp.unused", r(field::REST.start..field::MTU.start), Value::Bytes);
            cx.uint("icmp.mtu", r(field::MTU), be16(buf, field::MTU.start));
        }
        IcmpType::REDIRECT => cx.field("icmp.redir_gw", r(field::REST), Value::Ipv4(v.rest().to_be_bytes())),
        IcmpType::PARAMETER_PROBLEM => {
            cx.uint("icmp.pointer", one(field::POINTER), buf.get(field::POINTER).copied().unwrap_or(0));
        }
        t if t.is_error() => cx.field("icmp.unused", r(field::REST), Value::Bytes),
        _ => {}
    }
    if data_range.is_empty() {
        Next::Stop
    } else if t.is_error() && quoted_is_whole(buf.get(icmp::HEADER_LEN..).unwrap_or_default()) {
        // RFC 792: the internet header and (at least) 64 bits of the original datagram. Handed
        // on only when the quote holds the whole datagram its Total Length promises: the IPv4
        // decoder would otherwise, rightly for a real packet, stop on a truncated datagram.
        Next::To(Proto::Ipv4, data_range)
    } else {
        Next::To(Proto::Data, data_range)
    }
}

/// True when `quote` starts with an IPv4 header whose Total Length fits in `quote`.
fn quoted_is_whole(quote: &[u8]) -> bool {
    const IPV4_MIN_HEADER: usize = 20;
    let version_ok = quote.first().is_some_and(|b| b >> 4 == 4);
    let total = codec::bytes::be_u16(quote, 2).map_or(usize::MAX, usize::from);
    version_ok && total >= IPV4_MIN_HEADER && total <= quote.len()
}

fn be16(b: &[u8], at: usize) -> u16 {
    codec::bytes::be_u16(b, at).unwrap_or(0) // header checked by IcmpView::new
}

fn router_adv(cx: &mut Cx, base: usize, buf: &[u8]) -> Next {
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let one = |x: usize| base + x..base + x + 1;
    let ra = match RouterAdvView::new(buf) {
        Ok(ra) => ra,
        Err(e) => {
            if let Some(n) = buf.get(field::NUM_ADDRS) {
                cx.uint("icmp.num_addrs", one(field::NUM_ADDRS), *n);
            }
            return cx.stop_at(base, e);
        }
    };
    cx.uint("icmp.num_addrs", one(field::NUM_ADDRS), ra.num_addrs() as u64);
    cx.uint("icmp.addr_entry_size", one(field::ADDR_ENTRY_SIZE), ra.entry_size());
    cx.uint("icmp.lifetime", r(field::LIFETIME), ra.lifetime());
    // Always-a-list fields (vectors README).
    let ext_at = base + ra.extensions_offset();
    for name in ["icmp.router_address", "icmp.mip.type", "icmp.mip.coa", "icmp.mip.prefixlength"] {
        cx.field(name, ext_at..ext_at, Value::Empty);
    }
    for i in 0..ra.num_addrs() {
        let (addr, pref) = ra.entry(i);
        let o = ra.entry_offset(i);
        cx.field("icmp.router_address", r(o..o + 4), Value::Ipv4(addr.octets()));
        cx.field("icmp.pref_level", r(o + 4..o + 8), Value::I64(pref.into()));
    }
    for d in icmp::ra_diagnostics(&ra) {
        cx.diag_at(base, d);
    }
    for e in ra.extensions() {
        match e {
            Ok(e) => ra_extension(cx, base, &e),
            Err(err) => return cx.stop_at(base, err),
        }
    }
    Next::Stop
}

fn ra_extension(cx: &mut Cx, base: usize, e: &RaExtView<'_>) {
    let at = |off: usize, len: usize| base + off..base + off + len;
    let d0 = e.data_offset();
    let end = d0 + e.data.len();
    cx.push("icmp.mip.type", at(e.offset, end - e.offset), Value::U64(e.ext_type.0.into()));
    if e.ext_type != RaExtType::PADDING {
        cx.uint("icmp.mip.length", at(e.offset + 1, 1), e.data.len() as u64);
    }
    let agent = AgentAdvView::new(e.data).ok();
    let fld = |f: Range<usize>| at(d0 + f.start, f.len());
    match (e.ext_type, agent) {
        (RaExtType::PADDING, _) => {}
        (RaExtType::MOBILITY_AGENT, Some(a)) => {
            cx.uint("icmp.mip.seq", fld(agent_adv::field::SEQ), a.seq());
            cx.uint("icmp.mip.life", fld(agent_adv::field::LIFETIME), a.lifetime());
            let fr = fld(agent_adv::field::FLAGS);
            cx.push("icmp.mip.flags", fr.clone(), Value::U64(a.flags().into()));
            for (name, bit) in MIP_FLAGS {
                cx.flag(name, fr.clone(), a.flags() & bit != 0);
            }
            cx.uint("icmp.mip.reserved", fr, a.flags() & MIP_FLAGS_LOW);
            cx.pop();
            for (i, c) in a.coas().enumerate() {
                cx.field("icmp.mip.coa", at(d0 + AgentAdvView::coa_offset(i), 4), Value::Ipv4(c.octets()));
            }
        }
        (RaExtType::VPN_AGENT, Some(a)) => {
            // spec FMT-16: the value of the MVTP VPN Mobility Agent Advertisement AVP.
            cx.uint("mvtp.agent.seq", fld(agent_adv::field::SEQ), a.seq());
            cx.uint("mvtp.agent.lifetime", fld(agent_adv::field::LIFETIME), a.lifetime());
            cx.uint("mvtp.agent.flags", fld(agent_adv::field::FLAGS), a.flags());
            cx.field("mvtp.agent.coa", at(d0 + agent_adv::FIXED_LEN, 0), Value::Empty);
            for (i, c) in a.coas().enumerate() {
                cx.field("mvtp.agent.coa", at(d0 + AgentAdvView::coa_offset(i), 4), Value::Ipv4(c.octets()));
            }
        }
        (RaExtType::PREFIX_LENGTHS, _) => {
            for i in 0..e.data.len() {
                let p = e.data.get(i).copied().unwrap_or(0);
                cx.uint("icmp.mip.prefixlength", at(d0 + i, 1), p);
            }
        }
        (RaExtType::CHALLENGE, _) => cx.field("icmp.mip.challenge", at(d0, e.data.len()), Value::Bytes),
        _ => {
            if !e.data.is_empty() {
                cx.field("icmp.mip.content", at(d0, e.data.len()), Value::Bytes);
            }
        }
    }
    cx.pop();
}
