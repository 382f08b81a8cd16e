//! Link layers: Ethernet II / IEEE 802.3, IEEE 802.2 LLC and SNAP, IEEE 802.1Q/802.1ad
//! tags, Linux cooked captures (SLL, SLL2), BSD loopback, and an ARP summary.
//!
//! Ethernet II hands the rest of the frame on: the upper layer (IPv4 Total Length, MVTP
//! PDU Length) tells its octets from the padding. IEEE 802.3 bounds the LLC payload by the
//! length field; the octets after it are shown as `eth.padding`.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::bytes::{array, be_u16};
use codec::ethernet::{self, EthernetView, TypeLen};
use codec::llc::{self, Llc};
use codec::numbers::EtherType;
use codec::sll::{self, Sll};
use codec::vlan::{self, VlanView};
use core::ops::Range;

fn slice<'a>(data: &'a [u8], at: &Range<usize>) -> &'a [u8] {
    data.get(at.clone()).unwrap_or(&[])
}

/// Shared tail of Ethernet and VLAN: an EtherType hands on, an 802.3 length bounds LLC.
fn type_or_len(cx: &mut Cx, tl: TypeLen, field_at: Range<usize>, prefix: (&'static str, &'static str), payload: Range<usize>) -> Next {
    match tl {
        TypeLen::Type(t) => {
            cx.uint(prefix.0, field_at, t.0);
            Next::Ether(t, payload)
        }
        TypeLen::Len(n) => {
            cx.uint(prefix.1, field_at.clone(), n);
            if let Err(e) = ethernet::check_8023_length(n, payload.len()) {
                return cx.stop_at(field_at.start - ethernet::field::TYPE_LEN.start, e);
            }
            let end = payload.start + usize::from(n);
            if end < payload.end {
                cx.field("eth.padding", end..payload.end, Value::Bytes);
            }
            Next::To(Proto::Llc, payload.start..end)
        }
        TypeLen::Invalid(v) => {
            cx.uint(prefix.0, field_at, v);
            Next::To(Proto::Data, payload)
        }
    }
}

/// Ethernet II / IEEE 802.3 (no FCS).
pub fn ethernet(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("eth", at.clone());
    let v = match EthernetView::new(slice(data, &at)) {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.field("eth.dst", base..base + 6, Value::Mac(v.dst()));
    cx.field("eth.src", base + 6..base + 12, Value::Mac(v.src()));
    let tl = base + ethernet::field::TYPE_LEN.start..base + ethernet::field::TYPE_LEN.end;
    type_or_len(cx, v.type_len(), tl, ("eth.type", "eth.len"), base + ethernet::HEADER_LEN..at.end)
}

/// IEEE 802.1Q / 802.1ad tag (the 4 octets after the TPID).
pub fn vlan(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("vlan", at.clone());
    let v = match VlanView::new(slice(data, &at)) {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    let tci = base..base + 2;
    cx.uint("vlan.priority", tci.clone(), v.pcp());
    cx.flag("vlan.dei", tci.clone(), v.dei());
    cx.uint("vlan.id", tci, v.vid());
    let tl = base + 2..base + 4;
    let payload = base + vlan::HEADER_LEN..at.end;
    match ethernet::TypeLen::from_raw(v.type_len()) {
        TypeLen::Type(t) => {
            cx.uint("vlan.etype", tl, t.0);
            Next::Ether(t, payload)
        }
        TypeLen::Len(n) => {
            cx.uint("vlan.len", tl, n);
            let end = (payload.start + usize::from(n)).min(payload.end);
            Next::To(Proto::Llc, payload.start..end)
        }
        TypeLen::Invalid(n) => {
            cx.uint("vlan.etype", tl, n);
            Next::To(Proto::Data, payload)
        }
    }
}

/// IEEE 802.2 LLC, with SNAP; DSAP 0x86 is MVTP (spec §1).
pub fn llc(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("llc", at.clone());
    let (h, n) = match Llc::parse(slice(data, &at)) {
        Ok(x) => x,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.uint("llc.dsap", base..base + 1, h.dsap);
    cx.uint("llc.ssap", base + 1..base + 2, h.ssap);
    let clen = llc::control_len(h.control.to_le_bytes()[0]);
    cx.uint("llc.control", base + 2..base + 2 + clen, h.control);
    let payload = base + n..at.end;
    cx.set_layer_end(at.end);
    if let Some(s) = h.snap {
        cx.uint("llc.oui", base + 3..base + 6, s.oui_u32());
        if s.pid_is_ethertype() {
            cx.uint("llc.type", base + 6..base + 8, s.pid);
            return Next::Ether(EtherType(s.pid), payload);
        }
        cx.uint("llc.pid", base + 6..base + 8, s.pid);
        return Next::To(Proto::Data, payload);
    }
    match h.dsap {
        llc::SAP_MVTP => Next::To(Proto::Mvtp, payload),
        llc::SAP_IP => Next::To(Proto::Ipv4, payload),
        _ => Next::To(Proto::Data, payload),
    }
}

fn sll_common(cx: &mut Cx, data: &[u8], at: Range<usize>, v2: bool) -> Next {
    let base = at.start;
    cx.layer("sll", at.clone());
    let (h, n) = match Sll::parse(slice(data, &at), v2) {
        Ok(x) => x,
        Err(e) => return cx.stop_at(base, e),
    };
    // (pkttype, hatype, halen, addr, protocol) positions differ between v1 and v2.
    let (pk, ha, hl, ad, pr) = if v2 {
        (10..11, 8..10, 11..12, 12..20, 0..2)
    } else {
        (0..2, 2..4, 4..6, 6..14, 14..16)
    };
    let r = |x: Range<usize>| base + x.start..base + x.end;
    if v2 {
        cx.uint("sll.ifindex", r(4..8), h.ifindex);
    }
    cx.uint("sll.pkttype", r(pk), h.pkttype);
    cx.uint("sll.hatype", r(ha), h.hatype);
    cx.uint("sll.halen", r(hl), h.halen);
    let alen = usize::from(h.halen).min(8);
    if h.hatype == 1 && h.halen == 6 {
        cx.field("sll.src.eth", r(ad.start..ad.start + 6), Value::Mac(array(&h.addr, 0).unwrap_or_default()));
    } else if alen > 0 {
        cx.field("sll.src.other", r(ad.start..ad.start + alen), Value::Bytes);
    }
    let payload = base + n..at.end;
    if h.protocol >= EtherType::MIN_ETHERTYPE {
        cx.uint("sll.etype", r(pr), h.protocol);
        Next::Ether(EtherType(h.protocol), payload)
    } else {
        cx.uint("sll.ltype", r(pr), h.protocol);
        match h.protocol {
            sll::PROTO_8022 => Next::To(Proto::Llc, payload),
            _ => Next::To(Proto::Data, payload),
        }
    }
}

/// Linux cooked capture v1.
pub fn sll(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    sll_common(cx, data, at, false)
}

/// Linux cooked capture v2.
pub fn sll2(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    sll_common(cx, data, at, true)
}

/// ARP (RFC 826) summary: opcode and the IPv4 protocol addresses of Ethernet ARP.
pub fn arp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    let b = slice(data, &at);
    cx.layer("arp", at.clone());
    let (Some(op), Some(hlen), Some(plen)) = (be_u16(b, 6), b.get(4), b.get(5)) else {
        return cx.stop_at(base, codec::DecodeError::truncated("arp", 0, 8, b.len()).clause("RFC826"));
    };
    cx.uint("arp.opcode", base + 6..base + 8, op);
    let (h, p) = (usize::from(*hlen), usize::from(*plen));
    if p == 4 {
        let spa = 8 + h;
        let tpa = 8 + 2 * h + 4;
        if let (Some(s), Some(t)) = (array::<4>(b, spa), array::<4>(b, tpa)) {
            cx.field("arp.src.proto_ipv4", base + spa..base + spa + 4, Value::Ipv4(s));
            cx.field("arp.dst.proto_ipv4", base + tpa..base + tpa + 4, Value::Ipv4(t));
        }
    }
    Next::Stop
}

/// BSD loopback: a 4-octet address family, host order (`network_order` false) or
/// network order (OpenBSD `LOOP`).
pub fn null(cx: &mut Cx, data: &[u8], at: Range<usize>, network_order: bool) -> Next {
    let base = at.start;
    cx.layer("null", at.clone());
    let Some(fam) = array::<4>(slice(data, &at), 0) else {
        return cx.stop_at(base, codec::DecodeError::truncated("null", 0, 4, at.len()));
    };
    let family = sll::null_family(fam, network_order);
    cx.uint("null.family", base..base + 4, family);
    let payload = base + 4..at.end;
    if family == sll::AF_INET {
        Next::To(Proto::Ipv4, payload)
    } else if sll::AF_INET6.contains(&family) {
        Next::To(Proto::Ipv6, payload)
    } else {
        Next::To(Proto::Data, payload)
    }
}

/// Post-pass: Ethernet II padding (IEEE 802.3 §3.2.7). An Ethernet II header hands the rest
/// of the frame on; once the layers inside have said where they end (IPv4 Total Length, MVTP
/// PDU Length…), the octets after the last of them are the frame's padding, shown as
/// `eth.padding` in the Ethernet layer as Wireshark does.
pub fn padding(out: &mut crate::model::Dissection) {
    use crate::model::{BufferId, Field};
    let Some(i) = out.layers.iter().position(|l| l.proto == "eth" && l.buffer == BufferId::Frame) else {
        return;
    };
    let Some(eth) = out.layers.get(i) else { return };
    let (eth_end, fields) = (eth.range.end, eth.fields.clone());
    let dix = out
        .fields
        .get(fields.start as usize..fields.end as usize)
        .is_some_and(|f| f.iter().any(|f| f.name == "eth.type"));
    if !dix {
        return;
    }
    // Tags pass the whole rest on; the layers that bound themselves decide.
    let inner = out.layers.iter().skip(i + 1).filter(|l| l.buffer == BufferId::Frame && l.proto != "vlan");
    let Some(end) = inner.map(|l| l.range.end).max() else { return };
    if end >= eth_end || out.stopped.is_some() {
        return;
    }
    let at = fields.end as usize;
    if at > out.fields.len() {
        return;
    }
    out.fields.insert(
        at,
        Field {
            name: "eth.padding",
            buffer: BufferId::Frame,
            range: end..eth_end,
            value: Value::Bytes,
            depth: 0,
        },
    );
    if let Some(l) = out.layers.get_mut(i) {
        l.fields.end += 1;
    }
    for l in out.layers.iter_mut().skip(i + 1) {
        l.fields.start += 1;
        l.fields.end += 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Dissector;
    use crate::model::Dissection;
    use codec::numbers::{EtherType, IpProto, LinkType};
    use codec::stack::Node;

    fn run_link(link: LinkType, b: &[u8]) -> Dissection {
        let mut d = Dissection::default();
        Dissector::default().dissect(link, b, b.len(), &mut d);
        d
    }

    fn vals(d: &Dissection, b: &[u8], name: &str) -> Vec<String> {
        d.find(name).map(|f| d.value_string(b, f)).collect()
    }

    fn ip() -> Node {
        Node::ipv4([192, 0, 2, 1], [192, 0, 2, 2], IpProto::UDP, Node::udp(1, 2, Node::raw(vec![9])))
    }

    #[test]
    fn ieee802_1q_tag_then_ipv4_and_padding_not_ip() {
        let tagged = Node::Vlan {
            tag: codec::vlan::Vlan {
                pcp: 5,
                dei: false,
                vid: 42,
                type_len: EtherType::IPV4.0,
            },
            inner: Box::new(ip()),
        };
        let f = Node::Ethernet {
            hdr: codec::ethernet::Ethernet {
                dst: [2; 6],
                src: [4; 6],
                type_len: EtherType::VLAN.0,
            },
            inner: Box::new(tagged),
            trailer: vec![],
        }
        .padded();
        let b = f.emit_fixed().unwrap();
        assert_eq!(b.len(), 60);
        let d = run_link(LinkType::ETHERNET, &b);
        assert_eq!(vals(&d, &b, "eth.type"), ["33024"]);
        assert_eq!(vals(&d, &b, "vlan.id"), ["42"]);
        assert_eq!(vals(&d, &b, "vlan.priority"), ["5"]);
        assert_eq!(vals(&d, &b, "vlan.etype"), ["2048"]);
        assert_eq!(vals(&d, &b, "udp.checksum.status"), ["1"]);
        let ipl = d.layers.iter().find(|l| l.proto == "ip").unwrap();
        assert_eq!(ipl.range, 18..47, "the IPv4 layer ends at its Total Length, before the padding");
        assert!(d.diagnostics.is_empty());
        // The padding is shown in the Ethernet layer, and the layers' field runs stay right.
        assert_eq!(vals(&d, &b, "eth.padding"), ["00".repeat(13)]);
        assert!(d.layer_fields(0).iter().any(|f| f.name == "eth.padding"));
        assert_eq!(d.layer_fields(1)[0].name, "vlan.priority");
        assert_eq!(d.layer_fields(2)[0].name, "ip.version");
    }

    #[test]
    fn ieee802_3_length_beyond_frame_is_truncated_at_the_length_field() {
        let mut b = Node::ethernet_snap([1; 6], [2; 6], EtherType::IPV4, ip()).emit_fixed().unwrap();
        b[13] += 1;
        let d = run_link(LinkType::ETHERNET, &b);
        let e = d.stopped.unwrap();
        assert_eq!((e.kind, e.field, e.offset), (codec::Kind::Truncated, "eth.len", 12));
    }

    #[test]
    fn rfc1042_snap_dispatches_by_ethertype_and_padding_is_shown() {
        let b = Node::ethernet_snap([1; 6], [2; 6], EtherType::IPV4, ip()).padded().emit_fixed().unwrap();
        let d = run_link(LinkType::ETHERNET, &b);
        assert_eq!(vals(&d, &b, "eth.len"), ["37"]);
        assert_eq!(vals(&d, &b, "llc.type"), ["2048"]);
        assert_eq!(vals(&d, &b, "llc.oui"), ["0"]);
        assert_eq!(vals(&d, &b, "ip.dst"), ["192.0.2.2"]);
        assert_eq!(vals(&d, &b, "eth.padding"), ["000000000000000000"]);
    }

    #[test]
    fn linktype_linux_sll_and_null() {
        let mut b = vec![0, 0, 0, 1, 0, 6, 0, 0x1e, 0x49, 0x7a, 0x10, 0x01, 0, 0, 0x08, 0x00];
        b.extend(ip().emit_fixed().unwrap());
        let d = run_link(LinkType::LINUX_SLL, &b);
        assert_eq!(vals(&d, &b, "sll.src.eth"), ["00:1e:49:7a:10:01"]);
        assert_eq!(vals(&d, &b, "sll.etype"), ["2048"]);
        assert!(d.has_proto("udp"));
        let mut n = vec![2, 0, 0, 0];
        n.extend(ip().emit_fixed().unwrap());
        let d = run_link(LinkType::NULL, &n);
        assert_eq!(vals(&d, &n, "null.family"), ["2"]);
        assert!(d.has_proto("udp"));
    }
}
