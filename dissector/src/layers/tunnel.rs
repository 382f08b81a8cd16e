//! GRE (RFC 2784/2890; RFC 1701 routing) and enhanced GRE version 1 (PPTP, RFC 2637 §4.1).
//! The payload goes on by protocol type (an EtherType): 0x88B5 MVTP [FMT-1], 0x0800 IPv4,
//! 0x880B PPP, 0x6558 Ethernet…; a keepalive (empty payload) ends the chain.

use crate::cx::Cx;
use crate::engine::Next;
use crate::model::Value;
use codec::gre::{self, GreView};
use codec::Diagnostic;
use core::ops::Range;

/// GRE header fields, then the payload by protocol type.
pub fn gre(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("gre", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    let v = match GreView::new(b) {
        Ok(v) => v,
        Err(e) => {
            // Show the flags that were read before the error, as tcpdump does.
            if let Some(fv) = codec::bytes::be_u16(b, 0) {
                cx.uint("gre.flags_and_version", base..base + 2, fv);
            }
            return cx.stop_at(base, e);
        }
    };
    let fv = v.flags_and_version();
    let f = base..base + 2;
    cx.push("gre.flags_and_version", f.clone(), Value::U64(u64::from(fv)));
    cx.flag("gre.flags.checksum", f.clone(), fv & gre::FLAG_C != 0);
    cx.flag("gre.flags.routing", f.clone(), fv & gre::FLAG_R != 0);
    cx.flag("gre.flags.key", f.clone(), fv & gre::FLAG_K != 0);
    cx.flag("gre.flags.sequence_number", f.clone(), fv & gre::FLAG_S != 0);
    cx.flag("gre.flags.strict_source_route", f.clone(), fv & gre::FLAG_SSR != 0);
    cx.uint("gre.flags.recursion_control", f.clone(), (fv & gre::RECUR_MASK) >> 8);
    if v.version() == gre::VERSION_1 {
        cx.flag("gre.flags.ack", f.clone(), fv & gre::FLAG_A != 0);
    }
    cx.uint("gre.flags.flags", f.clone(), (fv & gre::FLAGS_MASK) >> 3);
    cx.uint("gre.flags.version", f, v.version());
    cx.pop();
    cx.uint("gre.proto", base + 2..base + 4, v.proto().0);
    let l = v.layout();
    if let (Some(o), Some(c), Some(off)) = (l.checksum, v.checksum(), v.offset()) {
        cx.uint("gre.checksum", base + o..base + o + 2, c);
        let ok = v.checksum_ok().unwrap_or(true);
        cx.uint("gre.checksum.status", base + o..base + o + 2, u64::from(ok));
        if !ok {
            cx.diag_at(
                base,
                Diagnostic::warning("gre.checksum", o, "RFC2784-2.5", format!("checksum {c:#06x} does not verify")),
            );
        }
        cx.uint("gre.offset", base + o + 2..base + o + 4, off);
    }
    let mut payload = base + v.header_len()..at.end;
    if let (Some(o), Some(k)) = (l.key, v.key()) {
        if v.version() == gre::VERSION_1 {
            let plen = (k >> 16) as u16;
            cx.uint("gre.key.payload_length", base + o..base + o + 2, plen);
            cx.uint("gre.key.call_id", base + o + 2..base + o + 4, k & 0xFFFF);
            // RFC 2637 §4.1: the payload is Payload Length octets (none in an ack-only packet).
            let end = payload.start.saturating_add(usize::from(plen)).min(payload.end);
            if v.seq().is_none() {
                payload.end = payload.start;
            } else if end < payload.end {
                payload.end = end;
            }
        } else {
            cx.uint("gre.key", base + o..base + o + 4, k);
        }
    }
    if let (Some(o), Some(s)) = (l.seq, v.seq()) {
        cx.uint("gre.sequence_number", base + o..base + o + 4, s);
    }
    if let (Some(o), Some(a)) = (l.ack, v.ack()) {
        cx.uint("gre.ack_number", base + o..base + o + 4, a);
    }
    if let Some(o) = l.routing {
        cx.field("gre.routing", base + o..base + l.len, Value::Bytes);
    }
    Next::Ether(v.proto(), payload)
}
