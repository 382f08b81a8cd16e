//! L2TPv2 on UDP 1701 (RFC 2661) with Wireshark's `l2tp.*` field names and the hand-off
//! fields of spec §7/§10 (`l2tp.handoff.gid.class`, `l2tp.handoff.gid.address`,
//! `l2tp.handoff.continue`). Hidden AVPs are revealed with `keys.l2tp_secret` into a
//! derived buffer; without it they stay opaque. Data messages continue as PPP.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::{BufferId, Value};
use codec::gid::Class;
use codec::l2tp::avp::{self, AvpType, AvpView, HANDOFF_GID, HANDOFF_SESSION_STATUS, SESSION_STATUS_CONTINUE};
use codec::l2tp::{hidden, MessageView, FLAG_L, FLAG_O, FLAG_P, FLAG_S, FLAG_T, VERSION_3, VERSION_MASK};
use codec::numbers::VendorId;
use codec::{Diagnostic, Kind, Severity};
use core::ops::Range;

/// Dissects an L2TP message occupying `data[at]`.
pub fn l2tp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let buf = data.get(at.clone()).unwrap_or_default();
    cx.layer("l2tp", at.clone());
    if let Some(fl) = codec::bytes::be_u16(buf, 0) {
        let r = base..base + 2;
        cx.push("l2tp.flags", r.clone(), Value::U64(fl.into()));
        cx.uint("l2tp.type", r.clone(), u16::from(fl & FLAG_T != 0));
        cx.flag("l2tp.length_bit", r.clone(), fl & FLAG_L != 0);
        cx.flag("l2tp.seq_bit", r.clone(), fl & FLAG_S != 0);
        cx.flag("l2tp.offset_bit", r.clone(), fl & FLAG_O != 0);
        cx.flag("l2tp.priority", r.clone(), fl & FLAG_P != 0);
        cx.uint("l2tp.version", r, fl & VERSION_MASK);
        cx.pop();
    }
    // Lax, as Wireshark: a message cut by the snapshot length shows what is present, then
    // its truncation error.
    let (v, short) = match MessageView::new_partial(buf) {
        Ok(v) => v,
        Err(e) if e.kind == Kind::Version && buf.get(1).is_some_and(|b| b & 0x0F == VERSION_3) => {
            // RFC 3931 over UDP: recognised and reported, not decoded.
            cx.diag_at(
                base,
                Diagnostic {
                    severity: Severity::Info,
                    kind: None,
                    field: "l2tp.version",
                    offset: 0,
                    clause: Some("RFC2661-3.1"),
                    detail: "L2TPv3 (RFC 3931): recognised, not decoded".into(),
                },
            );
            return Next::To(Proto::Data, at.start + 2.min(buf.len())..at.end);
        }
        Err(e) => return cx.stop_at(base, e),
    };
    let r = |x: &Range<usize>| base + x.start..base + x.end;
    let lay = v.layout().clone();
    if let (Some(x), Some(n)) = (&lay.length, v.length()) {
        cx.uint("l2tp.length", r(x), n);
    }
    cx.uint("l2tp.tunnel", r(&lay.tunnel), v.tunnel());
    cx.uint("l2tp.session", r(&lay.session), v.session());
    if let (Some(x), Some(n)) = (&lay.ns, v.ns()) {
        cx.uint("l2tp.Ns", r(x), n);
    }
    if let (Some(x), Some(n)) = (&lay.nr, v.nr()) {
        cx.uint("l2tp.Nr", r(x), n);
    }
    if let (Some(x), Some(n)) = (&lay.offset_size, v.offset_size()) {
        cx.uint("l2tp.offset", r(x), n);
    }
    if let Some(x) = lay.offset_pad.as_ref().filter(|p| !p.is_empty()) {
        cx.field("l2tp.offset_padding", r(x), Value::Bytes);
    }
    cx.set_layer_end(base + v.bytes().len());
    for d in v.diagnostics() {
        cx.diag_at(base, d);
    }
    let body = r(&lay.body);
    let had_short = short.is_some();
    if let Some(e) = short {
        // Record the truncation now; the AVPs present still show below.
        let _ = cx.stop_at(base, e);
        if !v.is_control() {
            return Next::Stop;
        }
    }
    if !v.is_control() {
        return if body.is_empty() { Next::Stop } else { Next::To(Proto::Ppp, body) };
    }
    // Always lists (vectors README), even for a ZLB.
    cx.field("l2tp.avp.type", body.start..body.start, Value::Empty);
    cx.field("l2tp.avp.vendor_id", body.start..body.start, Value::Empty);
    if v.is_zlb() {
        cx.field("l2tp.zero_length_body_message", body, Value::None);
        return Next::Stop;
    }
    let secret = cx.keys().l2tp_secret.clone();
    let mut random_vector: Option<Vec<u8>> = None;
    for a in v.avps() {
        match a {
            Ok(a) => {
                avp_fields(cx, base, &a, secret.as_deref(), random_vector.as_deref());
                if a.vendor() == VendorId::IETF && a.attr_type() == AvpType::RANDOM_VECTOR.0 && !a.hidden() {
                    random_vector = Some(a.value().to_vec());
                }
            }
            // After a truncation already reported, the cut AVP is no second error.
            Err(e) if !had_short => return cx.stop_at(base, e),
            Err(_) => return Next::Stop,
        }
    }
    Next::Stop
}

/// One AVP: a subtree with flags, length, vendor, type and the typed value fields.
fn avp_fields(cx: &mut Cx, base: usize, a: &AvpView<'_>, secret: Option<&[u8]>, rv: Option<&[u8]>) {
    let start = base + a.offset();
    let whole = start..start + a.length();
    let fl = start..start + 2;
    cx.push("l2tp.avp", whole, Value::None);
    cx.flag("l2tp.avp.mandatory", fl.clone(), a.mandatory());
    cx.flag("l2tp.avp.hidden", fl.clone(), a.hidden());
    cx.uint("l2tp.avp.length", fl, a.length() as u64);
    cx.uint("l2tp.avp.vendor_id", start + 2..start + 4, a.vendor().0);
    cx.uint("l2tp.avp.type", start + 4..start + 6, a.attr_type());
    let vs = start + avp::HEADER_LEN;
    let ve = start + a.length();
    if a.hidden() {
        // RFC 2661 §4.3: reveal into a derived buffer when the secret and a preceding Random
        // Vector are known; otherwise the ciphertext stays opaque (never an error).
        let revealed = match (secret, rv) {
            (Some(s), Some(rv)) => {
                let sub = hidden::unhide_subformat(a.attr_type(), s, rv, a.value());
                match hidden::original_value(&sub) {
                    Ok(val) => Some((val.len(), sub)),
                    Err(d) => {
                        cx.diag_at(base, Diagnostic::error(Kind::BadLength, "l2tp.avp.hidden", a.offset(), "RFC2661-4.3", d));
                        None
                    }
                }
            }
            _ => None,
        };
        match revealed {
            Some((n, sub)) => {
                let id = cx.add_buffer(sub.clone());
                let val = sub.get(hidden::ORIGINAL_LEN_LEN..hidden::ORIGINAL_LEN_LEN + n).unwrap_or_default();
                value_fields(cx, id, hidden::ORIGINAL_LEN_LEN, a.vendor(), a.attr_type(), val);
            }
            None => cx.field("l2tp.avp.value", vs..ve, Value::Bytes),
        }
    } else {
        let id = cx.buffer();
        value_fields(cx, id, vs, a.vendor(), a.attr_type(), a.value());
    }
    cx.pop();
}

/// The fields of one value `v` whose first octet is at `vs` in buffer `id`.
fn value_fields(cx: &mut Cx, id: BufferId, vs: usize, vendor: VendorId, ty: u16, v: &[u8]) {
    let end = vs + v.len();
    let mut put = |name: &'static str, r: Range<usize>, val: Value| cx.field_in(id, name, r, val);
    let r2 = |o: usize| vs + o..vs + o + 2;
    let r4 = |o: usize| vs + o..vs + o + 4;
    let u16_at = |o: usize| u64::from(codec::bytes::be_u16(v, o).unwrap_or_default());
    let u32_at = |o: usize| u64::from(codec::bytes::be_u32(v, o).unwrap_or_default());
    let fits = avp::AvpValue::decode(vendor, ty, v).is_ok();
    if !fits {
        put("l2tp.avp.value", vs..end, Value::Bytes);
        return;
    }
    if vendor == VendorId::HANDOFF {
        match ty {
            HANDOFF_GID => {
                let class = v.first().copied().unwrap_or_default();
                put("l2tp.handoff.gid.class", vs..vs + 1, Value::U64(class.into()));
                put("l2tp.handoff.gid.address", vs + 1..end, gid_address(Class(class), v.get(1..).unwrap_or_default()));
            }
            HANDOFF_SESSION_STATUS => {
                let s = u16_at(0);
                put("l2tp.handoff.session_status", r2(0), Value::U64(s));
                put("l2tp.handoff.continue", r2(0), Value::Bool(s & u64::from(SESSION_STATUS_CONTINUE) != 0));
            }
            _ => put("l2tp.avp.value", vs..end, Value::Bytes),
        }
        return;
    }
    if vendor != VendorId::IETF {
        put("l2tp.avp.value", vs..end, Value::Bytes);
        return;
    }
    let whole = vs..end;
    let uint = |name| (name, whole.clone());
    let simple: Option<(&'static str, Range<usize>)> = match AvpType(ty) {
        AvpType::MESSAGE_TYPE => Some(uint("l2tp.avp.message_type")),
        AvpType::TIE_BREAKER => Some(uint("l2tp.tie_breaker")),
        AvpType::FIRMWARE_REVISION => Some(uint("l2tp.avp.firmware_revision")),
        AvpType::ASSIGNED_TUNNEL_ID => Some(uint("l2tp.avp.assigned_tunnel_id")),
        AvpType::RECEIVE_WINDOW_SIZE => Some(uint("l2tp.avp.receive_window_size")),
        AvpType::ASSIGNED_SESSION_ID => Some(uint("l2tp.avp.assigned_session_id")),
        AvpType::CALL_SERIAL_NUMBER => Some(uint("l2tp.avp.call_serial_number")),
        AvpType::MINIMUM_BPS => Some(uint("l2tp.avp.minimum_bps")),
        AvpType::MAXIMUM_BPS => Some(uint("l2tp.avp.maximum_bps")),
        AvpType::TX_CONNECT_SPEED => Some(uint("l2tp.avp.connect_speed")),
        AvpType::PHYSICAL_CHANNEL_ID => Some(uint("l2tp.avp.physical_channel")),
        AvpType::PROXY_AUTHEN_TYPE => Some(uint("l2tp.avp.proxy_authen_type")),
        AvpType::RX_CONNECT_SPEED => Some(uint("l2tp.avp.rx_connect_speed")),
        _ => None,
    };
    if let Some((name, r)) = simple {
        let n = match v.len() {
            2 => u16_at(0),
            4 => u32_at(0),
            _ => codec::bytes::be_u64(v, 0).unwrap_or_default(),
        };
        put(name, r, Value::U64(n));
        return;
    }
    let text = |name: &'static str| (name, Value::Text);
    let bytes = |name: &'static str| (name, Value::Bytes);
    let opaque: Option<(&'static str, Value)> = match AvpType(ty) {
        AvpType::HOST_NAME => Some(text("l2tp.avp.host_name")),
        AvpType::VENDOR_NAME => Some(text("l2tp.avp.vendor_name")),
        AvpType::CHALLENGE => Some(bytes("l2tp.avp.chap_challenge")),
        AvpType::CHALLENGE_RESPONSE => Some(bytes("l2tp.avp.chap_challenge_response")),
        AvpType::CALLED_NUMBER => Some(text("l2tp.avp.called_number")),
        AvpType::CALLING_NUMBER => Some(text("l2tp.avp.calling_number")),
        AvpType::SUB_ADDRESS => Some(text("l2tp.avp.sub_address")),
        AvpType::INITIAL_RECEIVED_LCP_CONFREQ => Some(bytes("l2tp.avp.initial_received_lcp_confreq")),
        AvpType::LAST_SENT_LCP_CONFREQ => Some(bytes("l2tp.avp.last_sent_lcp_confreq")),
        AvpType::LAST_RECEIVED_LCP_CONFREQ => Some(bytes("l2tp.avp.last_received_lcp_confreq")),
        AvpType::PROXY_AUTHEN_NAME => Some(text("l2tp.avp.proxy_authen_name")),
        AvpType::PROXY_AUTHEN_CHALLENGE => Some(bytes("l2tp.avp.proxy_authen_challenge")),
        AvpType::PROXY_AUTHEN_RESPONSE => Some(bytes("l2tp.avp.proxy_authen_response")),
        AvpType::RANDOM_VECTOR => Some(bytes("l2tp.avp.random_vector")),
        AvpType::PRIVATE_GROUP_ID => Some(bytes("l2tp.avp.private_group_id")),
        _ => None,
    };
    if let Some((name, val)) = opaque {
        if !v.is_empty() {
            put(name, whole.clone(), val);
        }
        let confreq = matches!(
            AvpType(ty),
            AvpType::INITIAL_RECEIVED_LCP_CONFREQ | AvpType::LAST_SENT_LCP_CONFREQ | AvpType::LAST_RECEIVED_LCP_CONFREQ
        );
        // The options of the proxied LCP CONFREQ, as Wireshark shows them (frame octets only).
        if confreq && id == cx.buffer() {
            super::ppp::lcp_options(cx, vs, v);
        }
        return;
    }
    match AvpType(ty) {
        AvpType::RESULT_CODE => {
            put("l2tp.result_code", r2(0), Value::U64(u16_at(0)));
            if v.len() >= 4 {
                put("l2tp.avp.error_code", r2(2), Value::U64(u16_at(2)));
            }
            if v.len() > 4 {
                put("l2tp.avp.error_message", vs + 4..end, Value::Text);
            }
        }
        AvpType::PROTOCOL_VERSION => {
            put("l2tp.avp.protocol_version", vs..vs + 1, Value::U64(u64::from(v[0])));
            put("l2tp.avp.protocol_revision", vs + 1..vs + 2, Value::U64(u64::from(v[1])));
        }
        AvpType::FRAMING_CAPABILITIES | AvpType::FRAMING_TYPE | AvpType::BEARER_CAPABILITIES | AvpType::BEARER_TYPE => {
            let x = u32_at(0);
            let (a, s) = match AvpType(ty) {
                AvpType::FRAMING_CAPABILITIES => ("l2tp.avp.async_framing_supported", "l2tp.avp.sync_framing_supported"),
                AvpType::FRAMING_TYPE => ("l2tp.avp.async_framing_type", "l2tp.avp.sync_framing_type"),
                AvpType::BEARER_CAPABILITIES => ("l2tp.avp.analog_access_supported", "l2tp.avp.digital_access_supported"),
                _ => ("l2tp.avp.analog_bearer_type", "l2tp.avp.digital_bearer_type"),
            };
            // A/analog is 0x2, S/digital is 0x1 in all four (RFC 2661 §4.4.3, §4.4.4).
            put(a, r4(0), Value::Bool(x & u64::from(avp::FRAMING_ASYNC) != 0));
            put(s, r4(0), Value::Bool(x & u64::from(avp::FRAMING_SYNC) != 0));
        }
        AvpType::Q931_CAUSE_CODE => {
            put("l2tp.avp.cause_code", r2(0), Value::U64(u16_at(0)));
            put("l2tp.avp.cause_msg", vs + 2..vs + 3, Value::U64(u64::from(v[2])));
            if v.len() > 3 {
                put("l2tp.avp.advisory_msg", vs + 3..end, Value::Text);
            }
        }
        AvpType::PROXY_AUTHEN_ID => put("l2tp.avp.proxy_authen_id", vs + 1..vs + 2, Value::U64(u64::from(v[1]))),
        AvpType::CALL_ERRORS => {
            for (i, name) in [
                "l2tp.avp.crc_errors",
                "l2tp.avp.framing_errors",
                "l2tp.avp.hardware_overruns",
                "l2tp.avp.buffer_overruns",
                "l2tp.avp.time_out_errors",
                "l2tp.avp.alignment_errors",
            ]
            .into_iter()
            .enumerate()
            {
                put(name, r4(2 + 4 * i), Value::U64(u32_at(2 + 4 * i)));
            }
        }
        AvpType::ACCM => {
            put("l2tp.avp.send_accm", r4(2), Value::U64(u32_at(2)));
            put("l2tp.avp.receive_accm", r4(6), Value::U64(u32_at(6)));
        }
        AvpType::SEQUENCING_REQUIRED => put("l2tp.avp.sequencing_required", whole, Value::None),
        _ => put("l2tp.avp.value", whole, Value::Bytes),
    }
}

/// Spec §10 rendering, as `mvtp.gid.address`: class 2 dotted IPv4, class 3 a MAC, class 5
/// its digits, otherwise lowercase hex (class 0: the empty string).
fn gid_address(class: Class, a: &[u8]) -> Value {
    match (class, a.len()) {
        (Class::IPV4, 4) => Value::Ipv4([a[0], a[1], a[2], a[3]]),
        (Class::MAC, 6) => Value::Mac([a[0], a[1], a[2], a[3], a[4], a[5]]),
        (Class::PSTN, _) if a.iter().all(u8::is_ascii_digit) => Value::Text,
        _ => Value::Bytes,
    }
}
