//! Mobile IPv4 on UDP 434 (RFC 5944, RFC 3519 tunnel data, RFC 3543 revocation) with
//! Wireshark's `mip.*` field names and the spec's `mip.tnc`, `mip.tnc.subtype` and
//! `mip.auth.valid` (spec §10). Tunnel Data hands its packet on by Next Header.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::mip::ext::{self, ExtBodyRef as B, ExtView};
use codec::mip::{self, field, flags, Body, MessageView};
use codec::numbers::IpProto;
use codec::{Diagnostic, Kind};
use core::ops::Range;

/// Dissects a Mobile IPv4 message occupying `data[at]`.
pub fn mip(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let buf = data.get(at.clone()).unwrap_or_default();
    cx.layer("mip", at.clone());
    let v = match MessageView::new(buf) {
        Ok(v) => v,
        Err(e) => {
            if let Some(t) = buf.first() {
                cx.uint("mip.type", base..base + 1, *t);
            }
            return cx.stop_at(base, e);
        }
    };
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let one = |x: usize| base + x..base + x + 1;
    let t = v.msg_type();
    cx.uint("mip.type", one(field::TYPE), t.0);
    match v.body() {
        Body::Request { flags: fl, lifetime, home_addr, home_agent, coa, .. } => {
            use field::request as f;
            cx.push("mip.flags", one(f::FLAGS), Value::U64(fl.into()));
            for (name, bit) in [
                ("mip.s", flags::S),
                ("mip.b", flags::B),
                ("mip.d", flags::D),
                ("mip.m", flags::M),
                ("mip.g", flags::G),
                ("mip.v", flags::R),
                ("mip.t", flags::T),
                ("mip.x", flags::X),
            ] {
                cx.flag(name, one(f::FLAGS), fl & bit != 0);
            }
            cx.pop();
            cx.uint("mip.life", r(f::LIFETIME), lifetime);
            cx.field("mip.homeaddr", r(f::HOME_ADDR), Value::Ipv4(home_addr.octets()));
            cx.field("mip.haaddr", r(f::HOME_AGENT), Value::Ipv4(home_agent.octets()));
            cx.field("mip.coa", r(f::COA), Value::Ipv4(coa.octets()));
            cx.field("mip.ident", r(f::IDENT), Value::Bytes);
        }
        Body::Reply { code, lifetime, home_addr, home_agent, .. } => {
            use field::reply as f;
            cx.uint("mip.code", one(f::CODE), code);
            cx.uint("mip.life", r(f::LIFETIME), lifetime);
            cx.field("mip.homeaddr", r(f::HOME_ADDR), Value::Ipv4(home_addr.octets()));
            cx.field("mip.haaddr", r(f::HOME_AGENT), Value::Ipv4(home_agent.octets()));
            cx.field("mip.ident", r(f::IDENT), Value::Bytes);
        }
        Body::TunnelData { next_header, reserved } => {
            use field::tunnel as f;
            cx.uint("mip.nattt.nexthdr", one(f::NEXT_HEADER), next_header);
            cx.uint("mip.nattt.reserved", r(f::RESERVED), reserved);
            let p = r(v.payload_range());
            if p.is_empty() {
                return Next::Stop;
            }
            // RFC 3519 §3.3: Next Header is an IP protocol number (4 IPv4, 47 GRE, 55 minimal).
            return Next::Ip(IpProto(next_header), p);
        }
        Body::Revocation { reserved, flags: fl, home_addr, home_domain, foreign_domain, rev_id } => {
            use field::revocation as f;
            cx.uint("mip.rev.reserved", one(f::RESERVED), reserved);
            cx.push("mip.flags2", r(f::FLAGS.clone()), Value::U64(fl.into()));
            cx.flag("mip.rev.a", r(f::FLAGS), fl & flags::REV_A != 0);
            cx.flag("mip.rev.i", r(f::FLAGS), fl & flags::REV_I != 0);
            cx.uint("mip.rev.reserved2", r(f::FLAGS), fl & !(flags::REV_A | flags::REV_I));
            cx.pop();
            cx.field("mip.homeaddr", r(f::HOME_ADDR), Value::Ipv4(home_addr.octets()));
            cx.field("mip.rev.hda", r(f::HDA), Value::Ipv4(home_domain.octets()));
            cx.field("mip.rev.fda", r(f::FDA), Value::Ipv4(foreign_domain.octets()));
            cx.uint("mip.revid", r(f::REV_ID), rev_id);
        }
        Body::RevocationAck { reserved, flags: fl, home_addr, rev_id } => {
            use field::ack as f;
            cx.uint("mip.ack.reserved", one(f::RESERVED), reserved);
            cx.push("mip.flags2", r(f::FLAGS.clone()), Value::U64(fl.into()));
            cx.flag("mip.ack.i", r(f::FLAGS), fl & flags::ACK_I != 0);
            cx.uint("mip.ack.reserved2", r(f::FLAGS), fl & !flags::ACK_I);
            cx.pop();
            cx.field("mip.homeaddr", r(f::HOME_ADDR), Value::Ipv4(home_addr.octets()));
            cx.uint("mip.revid", r(f::REV_ID), rev_id);
        }
        Body::Unknown => {
            let p = r(v.payload_range());
            return if p.is_empty() { Next::Stop } else { Next::To(Proto::Data, p) };
        }
    }

    // Extensions: always a list (vectors README), so declare it even when empty.
    cx.field("mip.ext.type", base + v.fixed_len()..base + v.fixed_len(), Value::Empty);
    let (diags, _) = v.diagnostics();
    for d in diags {
        cx.diag_at(base, d);
    }
    for e in v.extensions() {
        match e {
            Ok(e) => extension(cx, base, buf, &e),
            Err(err) => return cx.stop_at(base, err),
        }
    }
    Next::Stop
}

/// One extension: `mip.ext.type` with the extension's fields as children.
fn extension(cx: &mut Cx, base: usize, msg: &[u8], e: &ExtView<'_>) {
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let at = |off: usize, len: usize| base + off..base + off + len;
    let d0 = e.data_offset();
    let len_at = e.length_offset();
    cx.push("mip.ext.type", r(e.offset..e.end()), Value::U64(e.ext_type.0.into()));
    let (x, _) = e.interpret();
    // Header: the long formats carry a sub-type or reserved octet before a 16-bit Length.
    match x {
        B::GenAuth { subtype, .. } => cx.uint("mip.ext.auth.subtype", at(e.offset + 1, 1), subtype),
        B::Cvse { reserved, .. } => cx.uint("mip.ext.cvse.reserved", at(e.offset + 1, 1), reserved),
        _ => {}
    }
    cx.uint("mip.ext.len", at(len_at, d0 - len_at), e.data.len() as u64);
    match &x {
        B::Auth { spi, authenticator } | B::GenAuth { spi, authenticator, .. } => {
            cx.uint("mip.auth.spi", at(d0, 4), *spi);
            let auth_at = d0 + ext::field::SPI.end;
            cx.field("mip.auth.auth", at(auth_at, authenticator.len()), Value::Bytes);
            if cx.config().verify_auth {
                if let Some(ok) = mip::verify_ext(msg, e, &cx.keys().mip) {
                    cx.flag("mip.auth.valid", at(auth_at, authenticator.len()), ok);
                    if !ok {
                        cx.diag_at(
                            base,
                            Diagnostic::error(
                                Kind::AuthFailed,
                                "mip.auth.auth",
                                auth_at,
                                "RFC5944-3.5.1",
                                format!("authenticator of SPI {spi} does not verify"),
                            ),
                        );
                    }
                }
            }
        }
        B::Nai(n) => cx.field("mip.nai", at(d0, n.len()), Value::Text),
        B::UdpTunnelRequest { subtype, reserved1, flags, encapsulation, reserved3 } => {
            use ext::field as f;
            cx.uint("mip.ext.utrq.subtype", at(d0 + f::UTRQ_SUBTYPE, 1), *subtype);
            cx.uint("mip.ext.utrq.reserved1", at(d0 + f::UTRQ_RESERVED1, 1), *reserved1);
            let fr = at(d0 + f::UTRQ_FLAGS, 1);
            cx.push("mip.ext.utrq.flags", fr.clone(), Value::U64((*flags).into()));
            cx.flag("mip.ext.utrq.f", fr.clone(), flags & ext::UTRQ_F != 0);
            cx.flag("mip.ext.utrq.r", fr.clone(), flags & ext::UTRQ_R != 0);
            cx.uint("mip.ext.utrq.reserved2", fr, flags & !(ext::UTRQ_F | ext::UTRQ_R));
            cx.pop();
            cx.uint("mip.ext.utrq.encaptype", at(d0 + f::UTRQ_ENCAP, 1), *encapsulation);
            cx.uint("mip.ext.utrq.reserved3", r(d0 + f::UTRQ_RESERVED3.start..d0 + f::UTRQ_RESERVED3.end), *reserved3);
        }
        B::UdpTunnelReply { subtype, code, flags, keepalive } => {
            use ext::field as f;
            cx.uint("mip.ext.utrp.subtype", at(d0 + f::UTRP_SUBTYPE, 1), *subtype);
            cx.uint("mip.ext.utrp.code", at(d0 + f::UTRP_CODE, 1), *code);
            let fr = at(d0 + f::UTRP_FLAGS.start, 2);
            cx.push("mip.ext.utrp.flags", fr.clone(), Value::U64((*flags).into()));
            cx.flag("mip.ext.utrp.f", fr.clone(), flags & ext::UTRP_F != 0);
            cx.uint("mip.ext.utrp.reserved", fr, flags & !ext::UTRP_F);
            cx.pop();
            cx.uint("mip.ext.utrp.keepalive", at(d0 + f::UTRP_KEEPALIVE.start, 2), *keepalive);
        }
        B::RevocationSupport { flags, timestamp } => {
            use ext::field as f;
            let fr = at(d0 + f::REV_FLAGS.start, 2);
            cx.push("mip.ext.rev.flags", fr.clone(), Value::U64((*flags).into()));
            cx.flag("mip.ext.rev.i", fr.clone(), flags & ext::REV_I != 0);
            cx.uint("mip.ext.rev.reserved", fr, flags & !ext::REV_I);
            cx.pop();
            cx.uint("mip.ext.rev.tstamp", at(d0 + f::REV_TIMESTAMP.start, 4), *timestamp);
        }
        B::MessageString { subtype, text } => {
            cx.uint("mip.ext.msgstr.subtype", at(d0, 1), *subtype);
            cx.field("mip.ext.msgstr.text", at(d0 + 1, text.len()), Value::Text);
        }
        B::Tnc { subtype, reserved } => {
            cx.push("mip.tnc", at(e.offset, e.end() - e.offset), Value::Bool(true));
            cx.uint("mip.tnc.subtype", at(d0 + ext::field::SUBTYPE, 1), *subtype);
            cx.uint("mip.tnc.reserved", at(d0 + ext::field::TNC_RESERVED, 1), *reserved);
            cx.pop();
        }
        B::Cvse { vendor_id, vendor_type, value, .. } => {
            cx.uint("mip.ext.cvse.vendor_id", at(d0, 4), *vendor_id);
            cx.uint("mip.ext.cvse.vendor_type", at(d0 + 4, 2), *vendor_type);
            cx.field("mip.ext.cvse.vendor_value", at(d0 + 6, value.len()), Value::Bytes);
        }
        B::Nvse { reserved, vendor_id, vendor_type, value } => {
            use ext::field as f;
            cx.uint("mip.ext.nvse.reserved", at(d0 + f::NVSE_RESERVED.start, 2), *reserved);
            cx.uint("mip.ext.nvse.vendor_id", at(d0 + f::NVSE_VENDOR.start, 4), *vendor_id);
            cx.uint("mip.ext.nvse.vendor_type", at(d0 + f::NVSE_TYPE.start, 2), *vendor_type);
            cx.field("mip.ext.nvse.vendor_value", at(d0 + f::NVSE_TYPE.end, value.len()), Value::Bytes);
        }
        B::Opaque { data, .. } => {
            if !data.is_empty() {
                cx.field("mip.extension", at(d0, data.len()), Value::Bytes);
            }
        }
    }
    cx.pop();
}
