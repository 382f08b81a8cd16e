//! Radiotap capture header and IEEE 802.11 data frames (spec §3: MVTP on 802.11 follows
//! the LLC/SNAP header of a data frame, plain or QoS).

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use crate::model::Value;
use codec::ieee80211::{self, Ieee80211};
use codec::radiotap::{self, RadiotapView};
use core::ops::Range;

/// Radiotap header; the 802.11 frame follows (its FCS excluded when Flags says so).
pub fn radiotap(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("radiotap", at.clone());
    let v = match RadiotapView::new(data.get(at.clone()).unwrap_or(&[])) {
        Ok(v) => v,
        Err(e) => return cx.stop_at(base, e),
    };
    cx.set_layer_end(base + v.len());
    cx.uint("radiotap.version", base..base + 1, 0u8);
    cx.uint("radiotap.pad", base + 1..base + 2, v.pad());
    cx.uint("radiotap.length", base + 2..base + 4, v.len() as u64);
    for (i, w) in v.present().enumerate() {
        let at = base + 4 + 4 * i;
        cx.uint("radiotap.present.word", at..at + 4, w);
    }
    let mut fcs = false;
    for it in v.items() {
        let f = base + it.offset..base + it.offset + it.octets.len();
        let o = it.octets;
        let u8_0 = o.first().copied().unwrap_or(0);
        let le16 = |i: usize| codec::bytes::array::<2>(o, i).map_or(0, u16::from_le_bytes);
        match it.bit {
            radiotap::TSFT => cx.uint("radiotap.mactime", f, codec::bytes::array::<8>(o, 0).map_or(0, u64::from_le_bytes)),
            radiotap::FLAGS => {
                fcs = u8_0 & radiotap::FLAG_FCS != 0;
                cx.push("radiotap.flags", f.clone(), Value::U64(u64::from(u8_0)));
                cx.flag("radiotap.flags.fcs", f.clone(), fcs);
                cx.flag("radiotap.flags.badfcs", f, u8_0 & radiotap::FLAG_BAD_FCS != 0);
                cx.pop();
            }
            radiotap::RATE => {
                // 500 kbit/s units; Wireshark shows Mbit/s.
                if u8_0 % 2 == 0 {
                    cx.uint("radiotap.datarate", f, u8_0 / 2);
                } else {
                    cx.field("radiotap.datarate", f, Value::Owned(format!("{}.5", u8_0 / 2)));
                }
            }
            radiotap::CHANNEL => {
                cx.uint("radiotap.channel.freq", f.start..f.start + 2, le16(0));
                cx.uint("radiotap.channel.flags", f.start + 2..f.end, le16(2));
            }
            radiotap::DBM_ANTSIGNAL => cx.field("radiotap.dbm_antsignal", f, Value::I64(i64::from(u8_0 as i8))),
            radiotap::DBM_ANTNOISE => cx.field("radiotap.dbm_antnoise", f, Value::I64(i64::from(u8_0 as i8))),
            radiotap::ANTENNA => cx.uint("radiotap.antenna", f, u8_0),
            _ => {}
        }
    }
    let mut end = at.end;
    if fcs {
        end = end.saturating_sub(4).max(base + v.len());
    }
    Next::To(Proto::Ieee80211, base + v.len()..end)
}

/// IEEE 802.11 data or management frame header; a data frame's body goes to LLC.
pub fn ieee80211(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    let base = at.start;
    cx.layer("wlan", at.clone());
    let b = data.get(at.clone()).unwrap_or(&[]);
    // Frame Control is shown even for frames this decoder does not go into.
    if let (Some(&fc0), Some(&flags)) = (b.first(), b.get(1)) {
        let fc = base..base + 2;
        cx.uint("wlan.fc", fc.clone(), u16::from_be_bytes([fc0, flags]));
        cx.uint("wlan.fc.type_subtype", fc.clone(), u16::from((fc0 >> 2) & 3) << 4 | u16::from(fc0 >> 4));
        cx.uint("wlan.fc.type", base..base + 1, (fc0 >> 2) & 3);
        cx.uint("wlan.fc.subtype", base..base + 1, fc0 >> 4);
        cx.flag("wlan.fc.tods", base + 1..base + 2, flags & ieee80211::FLAG_TODS != 0);
        cx.flag("wlan.fc.fromds", base + 1..base + 2, flags & ieee80211::FLAG_FROMDS != 0);
        cx.flag("wlan.fc.retry", base + 1..base + 2, flags & ieee80211::FLAG_RETRY != 0);
        cx.flag("wlan.fc.protected", base + 1..base + 2, flags & ieee80211::FLAG_PROTECTED != 0);
    }
    let (h, n) = match Ieee80211::parse(b) {
        Ok(x) => x,
        Err(e) if e.kind == codec::Kind::Unsupported => return Next::To(Proto::Data, (base + 2).min(at.end)..at.end),
        Err(e) => return cx.stop_at(base, e),
    };
    let r = |f: Range<usize>| base + f.start..base + f.end;
    cx.uint("wlan.duration", r(ieee80211::field::DURATION), h.duration);
    cx.field("wlan.ra", r(ieee80211::field::ADDR1), Value::Mac(h.addr1));
    cx.field("wlan.ta", r(ieee80211::field::ADDR2), Value::Mac(h.addr2));
    // The roles of addresses 1–4 by To DS / From DS (IEEE 802.11-2020 §9.3.2.1).
    let (da, sa, bssid) = match (h.to_ds(), h.from_ds()) {
        (false, false) => (ieee80211::field::ADDR1, Some(ieee80211::field::ADDR2), Some(ieee80211::field::ADDR3)),
        (false, true) => (ieee80211::field::ADDR1, Some(ieee80211::field::ADDR3), Some(ieee80211::field::ADDR2)),
        (true, false) => (ieee80211::field::ADDR3, Some(ieee80211::field::ADDR2), Some(ieee80211::field::ADDR1)),
        (true, true) => (ieee80211::field::ADDR3, Some(ieee80211::field::ADDR4), None),
    };
    let roles = h.roles();
    if let Some(m) = roles.da {
        cx.field("wlan.da", r(da), Value::Mac(m));
    }
    if let (Some(m), Some(f)) = (roles.sa, sa) {
        cx.field("wlan.sa", r(f), Value::Mac(m));
    }
    if let (Some(m), Some(f)) = (roles.bssid, bssid) {
        cx.field("wlan.bssid", r(f), Value::Mac(m));
    }
    cx.uint("wlan.frag", r(ieee80211::field::SEQ), h.frag());
    cx.uint("wlan.seq", r(ieee80211::field::SEQ), h.seq());
    let mut off = ieee80211::field::SEQ.end + h.addr4.map_or(0, |_| 6);
    if let Some(q) = h.qos {
        cx.uint("wlan.qos", base + off..base + off + 2, q);
        cx.uint("wlan.qos.tid", base + off..base + off + 1, q & 0x0F);
        off += 2;
    }
    if let Some(c) = h.htc {
        cx.uint("wlan.htc", base + off..base + off + 4, c);
    }
    let body = base + n..at.end;
    if !h.has_data() || h.flags & ieee80211::FLAG_PROTECTED != 0 || h.frag() != 0 || h.flags & ieee80211::FLAG_MOREFRAG != 0 {
        return Next::To(Proto::Data, body);
    }
    Next::To(Proto::Llc, body)
}

#[cfg(test)]
mod tests {
    use crate::engine::{Dissector, Proto};
    use crate::model::Dissection;

    fn run(p: Proto, b: &[u8]) -> Dissection {
        let mut d = Dissection::default();
        Dissector::default().dissect_as(p, b, &mut d);
        d
    }

    fn vals(d: &Dissection, b: &[u8], name: &str) -> Vec<String> {
        d.find(name).map(|f| d.value_string(b, f)).collect()
    }

    /// Spec vector 03 (radiotap, From DS data frame, LLC/SNAP, MVTP).
    const V03: &str = "000010002e08000000303c144001cc0008020000034d56545000001e497a2001001e497a1001208aaaaa0300000088b51001001f0000001780100000000204b9070895c0c633641400070000000318";

    #[test]
    fn vector_03_radiotap_and_from_ds_roles() {
        let b = hex::decode(V03).unwrap();
        let d = run(Proto::Radiotap, &b);
        assert_eq!(vals(&d, &b, "radiotap.length"), ["16"]);
        assert_eq!(vals(&d, &b, "radiotap.datarate"), ["24"]);
        assert_eq!(vals(&d, &b, "radiotap.channel.freq"), ["5180"]);
        assert_eq!(vals(&d, &b, "radiotap.dbm_antsignal"), ["-52"]);
        assert_eq!(vals(&d, &b, "radiotap.antenna"), ["0"]);
        assert_eq!(vals(&d, &b, "wlan.fc.type_subtype"), ["32"]);
        assert_eq!(vals(&d, &b, "wlan.fc.fromds"), ["true"]);
        assert_eq!(vals(&d, &b, "wlan.da"), ["03:4d:56:54:50:00"]);
        assert_eq!(vals(&d, &b, "wlan.bssid"), ["00:1e:49:7a:20:01"]);
        assert_eq!(vals(&d, &b, "wlan.sa"), ["00:1e:49:7a:10:01"]);
        assert_eq!(vals(&d, &b, "wlan.seq"), ["2210"]);
        assert_eq!(vals(&d, &b, "llc.type"), ["34997"]);
    }

    #[test]
    fn radiotap_fcs_flag_excludes_the_fcs_from_the_80211_frame() {
        let mut b = hex::decode(V03).unwrap();
        b[8] = codec::radiotap::FLAG_FCS;
        b.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let d = run(Proto::Radiotap, &b);
        assert_eq!(vals(&d, &b, "radiotap.flags.fcs"), ["true"]);
        let w = d.layers.iter().find(|l| l.proto == "wlan").unwrap();
        assert_eq!(w.range.end as usize, b.len() - 4);
    }

    #[test]
    fn ieee802_11_qos_to_ds_roles() {
        // QoS data, To DS: addr1 BSSID, addr2 SA, addr3 DA; QoS control TID 5.
        let mut b = vec![0x88, 0x01, 0, 0];
        b.extend_from_slice(&[0xa1; 6]);
        b.extend_from_slice(&[0xa2; 6]);
        b.extend_from_slice(&[0xa3; 6]);
        b.extend_from_slice(&[0x10, 0x00, 0x05, 0x00]);
        b.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0xb5]);
        let d = run(Proto::Ieee80211, &b);
        assert_eq!(vals(&d, &b, "wlan.fc.type_subtype"), ["40"]);
        assert_eq!(vals(&d, &b, "wlan.bssid"), ["a1:a1:a1:a1:a1:a1"]);
        assert_eq!(vals(&d, &b, "wlan.sa"), ["a2:a2:a2:a2:a2:a2"]);
        assert_eq!(vals(&d, &b, "wlan.da"), ["a3:a3:a3:a3:a3:a3"]);
        assert_eq!(vals(&d, &b, "wlan.qos.tid"), ["5"]);
        assert_eq!(vals(&d, &b, "wlan.seq"), ["1"]);
        assert_eq!(vals(&d, &b, "llc.type"), ["34997"]);
    }

    #[test]
    fn truncation_sweep_never_panics_and_stops() {
        let b = hex::decode(V03).unwrap();
        for n in 0..40 {
            let d = run(Proto::Radiotap, &b[..n]);
            assert!(d.stopped.is_some(), "prefix {n}");
        }
    }
}
