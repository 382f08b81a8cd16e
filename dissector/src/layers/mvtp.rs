//! MVTP v1 (spec §2–§4) with the spec §10 field names. The codec's [`PduView`] checks the
//! structure and [`PduView::check`] runs the decoding order of spec §2.1, so the layer only
//! lays out fields; an MV-DATA payload goes on as FMT-14 says (PPP for Encap Type 1, L2TP
//! for 2, data otherwise).

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::bytes::be_u16;
use codec::gid::Class;
use codec::mvtp::avp::{self as mavp, AvpView, ValueView};
use codec::mvtp::{self, field, AuthRole, Encap, Fixed, PduView, Report, FLAGS_RESERVED, FLAG_RESET, FLAG_ROAM_NOTIFY};
use core::ops::Range;

/// Dissects the MVTP PDU at the start of `data[at]` (octets after PDU Length are padding).
pub fn mvtp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let frame = data.get(at.clone()).unwrap_or_default();
    let v = match PduView::new(frame) {
        Ok(v) => v,
        Err(e) => {
            cx.layer("mvtp", at.clone());
            esp_leid(cx, base);
            header_fields(cx, base, frame);
            return cx.stop_at(base, e);
        }
    };
    let keys = if cx.config().verify_auth {
        Some(&cx.keys().mvtp)
    } else {
        None
    };
    let report = v.check(keys);
    let end = base + v.as_bytes().len();
    cx.layer("mvtp", base..end);
    esp_leid(cx, base);
    header_fields(cx, base, frame);
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let one = |x: usize| base + x..base + x + 1;
    match v.fixed() {
        Fixed::Faa | Fixed::Fas => {}
        Fixed::Data(d) => {
            cx.uint("mvtp.encap", one(field::data::ENCAP), d.encap.0);
            cx.uint("mvtp.reserved", r(field::data::RESERVED), d.reserved);
        }
        Fixed::Rrq(g) | Fixed::Rrp(g) => {
            use field::reg as f;
            cx.push("mvtp.flags", one(f::FLAGS), Value::U64(g.flags.into()));
            cx.flag("mvtp.flags.reset", one(f::FLAGS), g.flags & FLAG_RESET != 0);
            cx.flag("mvtp.flags.roam_notify", one(f::FLAGS), g.flags & FLAG_ROAM_NOTIFY != 0);
            cx.uint("mvtp.flags.reserved", one(f::FLAGS), g.flags & FLAGS_RESERVED);
            cx.pop();
            cx.uint("mvtp.code", one(f::CODE), g.code);
            cx.uint("mvtp.lifetime", r(f::LIFETIME), g.lifetime);
            cx.uint("mvtp.encap", one(f::ENCAP), g.encap.0);
            cx.uint("mvtp.reserved", r(f::RESERVED), g.reserved);
            cx.uint("mvtp.connect_id", r(f::CONNECT_ID), g.connect_id);
            cx.field("mvtp.home_addr", r(f::HOME_ADDR), Value::Ipv4(g.home_addr.octets()));
            cx.field("mvtp.ident", r(f::IDENT), Value::Bytes);
        }
        Fixed::Dn(d) => {
            use field::dn as f;
            cx.uint("mvtp.flags", one(f::FLAGS), d.flags);
            cx.uint("mvtp.code", one(f::CODE), d.code);
            cx.uint("mvtp.reserved", r(f::RESERVED), d.reserved);
            cx.uint("mvtp.connect_id", r(f::CONNECT_ID), d.connect_id);
            cx.field("mvtp.ident", r(f::IDENT), Value::Bytes);
        }
        Fixed::Unknown(o) => {
            // FMT-4: kept opaque; no AVP list (vectors README).
            if !o.is_empty() {
                cx.field("mvtp.opaque", base + mvtp::HEADER_LEN..end, Value::Bytes);
            }
            return Next::Stop;
        }
    }

    // AVPs: always lists (vectors README), declared even when empty.
    let a0 = base + v.avps_offset();
    for name in ["mvtp.avp.type", "mvtp.avp.mandatory", "mvtp.avp.vendor_id"] {
        cx.field(name, a0..a0, Value::Empty);
    }
    for item in v.avps() {
        let Ok(a) = item else { break };
        if !avp(cx, base, &a, &report) {
            break;
        }
    }
    diagnostics(cx, base, &report);
    if !report.complete {
        return Next::Stop;
    }

    // MV-DATA payload [FMT-14].
    if let Fixed::Data(d) = v.fixed() {
        let p = base + v.payload_offset()..end;
        cx.uint("mvtp.payload_length", p.clone(), p.len() as u64);
        if p.is_empty() {
            return Next::Stop;
        }
        return match d.encap {
            Encap::PPP_TO_L2TP => Next::To(Proto::Ppp, p),
            Encap::L2TP_TRANSPORT => Next::To(Proto::L2tp, p),
            _ => Next::To(Proto::Data, p),
        };
    }
    Next::Stop
}

/// The five common-header fields (reported even for a malformed PDU of ≥ 8 octets).
fn header_fields(cx: &mut Cx, base: usize, frame: &[u8]) {
    let Some(h) = frame.get(..mvtp::HEADER_LEN) else { return };
    let r = |x: Range<usize>| base + x.start..base + x.end;
    let u16_at = |x: Range<usize>| be_u16(h, x.start).unwrap_or(0);
    let vr = h.first().copied().unwrap_or(0);
    cx.uint("mvtp.version", base..base + 1, vr >> 4);
    cx.uint("mvtp.rsvd", base..base + 1, vr & 0x0F);
    cx.uint(
        "mvtp.type",
        base + field::PDU_TYPE..base + field::PDU_TYPE + 1,
        h.get(field::PDU_TYPE).copied().unwrap_or(0),
    );
    cx.uint("mvtp.length", r(field::PDU_LENGTH), u16_at(field::PDU_LENGTH));
    cx.uint("mvtp.leid", r(field::LEID), u16_at(field::LEID));
    cx.uint("mvtp.avp_length", r(field::AVP_LENGTH), u16_at(field::AVP_LENGTH));
}

/// SEC-1: the Local Endpoint ID in the high half of the SPI of an ESP layer before us.
fn esp_leid(cx: &mut Cx, base: usize) {
    if let Some(&Value::U64(spi)) = cx.last_value("esp.spi") {
        cx.uint("mvtp.esp.leid", base..base, spi >> 16);
    }
}

/// Warnings in offset order, then the first error (stopping the chain when the PDU could
/// not be represented).
fn diagnostics(cx: &mut Cx, base: usize, report: &Report) {
    for w in &report.warnings {
        cx.diag_at(base, w.clone());
    }
    if let Some(e) = &report.error {
        if report.complete {
            cx.diag_at(base, e.to_diagnostic());
        } else {
            let _ = cx.stop_at(base, e.clone());
        }
    }
}

/// One AVP as `mvtp.avp.type` with its fields as children. False when its value is
/// malformed (the walk ends there).
fn avp(cx: &mut Cx, base: usize, a: &AvpView<'_>, report: &Report) -> bool {
    let off = base + a.offset;
    let at = |o: usize, len: usize| base + o..base + o + len;
    let head = at(a.offset, 2);
    cx.push("mvtp.avp.type", off..off + a.len(), Value::U64(a.attr_type.0.into()));
    cx.flag("mvtp.avp.mandatory", head.clone(), a.mandatory());
    cx.flag("mvtp.avp.hidden", head.clone(), a.hidden());
    cx.uint("mvtp.avp.reserved", head.clone(), a.reserved());
    cx.uint("mvtp.avp.length", head, a.len() as u64);
    cx.uint(
        "mvtp.avp.vendor_id",
        at(a.offset + mavp::field::VENDOR_ID.start, 2),
        a.vendor_id,
    );
    let v0 = a.value_offset();
    let ok = match a.decode() {
        Ok(ValueView::Gid(g)) => {
            cx.uint("mvtp.gid.class", at(v0, 1), g.class.0);
            let ar = at(v0 + 1, g.address.len());
            let value = match (g.class, g.address) {
                (Class::IPV4, &[a, b, c, d]) => Value::Ipv4([a, b, c, d]),
                (Class::MAC, &[a, b, c, d, e, f]) => Value::Mac([a, b, c, d, e, f]),
                (Class::PSTN, _) => Value::Text,
                _ => Value::Bytes,
            };
            cx.field("mvtp.gid.address", ar, value);
            true
        }
        Ok(ValueView::AgentAdv(ad)) => {
            use codec::agent_adv::{field as af, FIXED_LEN};
            let fr = |x: Range<usize>| at(v0 + x.start, x.len());
            cx.uint("mvtp.agent.seq", fr(af::SEQ), ad.seq());
            cx.uint("mvtp.agent.lifetime", fr(af::LIFETIME), ad.lifetime());
            cx.uint("mvtp.agent.flags", fr(af::FLAGS), ad.flags());
            cx.field("mvtp.agent.coa", at(v0 + FIXED_LEN, 0), Value::Empty);
            for (i, c) in ad.coas().enumerate() {
                let o = v0 + codec::agent_adv::AgentAdvView::coa_offset(i);
                cx.field("mvtp.agent.coa", at(o, 4), Value::Ipv4(c.octets()));
            }
            true
        }
        Ok(ValueView::PrefixLengths(p)) => {
            cx.field("mvtp.prefix_lengths", at(v0, 0), Value::Empty);
            for (i, &l) in p.iter().enumerate() {
                cx.uint("mvtp.prefix_lengths", at(v0 + i, 1), l);
            }
            true
        }
        Ok(ValueView::Auth {
            role,
            spi,
            authenticator,
        }) => {
            let (spi_name, auth_name, valid_name) = auth_names(role);
            cx.uint(spi_name, at(v0, mavp::SPI_LEN), spi);
            let ar = at(a.offset + mavp::field::AUTHENTICATOR, authenticator.len());
            cx.field(auth_name, ar.clone(), Value::Bytes);
            if let Some(ok) = report.auth_valid(a.offset) {
                cx.flag(valid_name, ar, ok);
            }
            true
        }
        Ok(ValueView::Message(m)) => {
            cx.field("mvtp.msg", at(v0, m.len()), Value::Text);
            true
        }
        Ok(ValueView::Other(o)) => {
            if !o.is_empty() {
                cx.field("mvtp.avp.value", at(v0, o.len()), Value::Bytes);
            }
            true
        }
        Err(_) => false, // reported through the report's error
    };
    cx.pop();
    ok
}

fn auth_names(role: AuthRole) -> (&'static str, &'static str, &'static str) {
    match role {
        AuthRole::MobileHome => ("mvtp.auth.mh.spi", "mvtp.auth.mh.authenticator", "mvtp.auth.mh.valid"),
        AuthRole::MobileForeign => ("mvtp.auth.mf.spi", "mvtp.auth.mf.authenticator", "mvtp.auth.mf.valid"),
        AuthRole::ForeignHome => ("mvtp.auth.fh.spi", "mvtp.auth.fh.authenticator", "mvtp.auth.fh.valid"),
    }
}
