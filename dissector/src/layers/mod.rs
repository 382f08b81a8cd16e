//! One dissector per protocol: each turns a codec view into fields with byte ranges and
//! says what comes next. A layer never aborts the run: a decode error becomes the
//! packet's `stopped` error and a diagnostic, and the layers before it stay.

use crate::cx::Cx;
use crate::engine::{Next, Proto};
use core::ops::Range;

pub mod data;
pub mod esp;
pub mod ethernet;
pub mod icmp;
pub mod ip;
pub mod l2tp;
pub mod mip;
pub mod mvtp;
pub mod ppp;
pub mod tunnel;
pub mod wlan;

/// Runs the decoder `proto` on `data[at]`.
pub fn dissect(proto: Proto, cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    match proto {
        Proto::Ethernet => ethernet::ethernet(cx, data, at),
        Proto::Llc => ethernet::llc(cx, data, at),
        Proto::Vlan => ethernet::vlan(cx, data, at),
        Proto::Sll => ethernet::sll(cx, data, at),
        Proto::Sll2 => ethernet::sll2(cx, data, at),
        Proto::Null => ethernet::null(cx, data, at, false),
        Proto::Loop => ethernet::null(cx, data, at, true),
        Proto::Arp => ethernet::arp(cx, data, at),
        Proto::Radiotap => wlan::radiotap(cx, data, at),
        Proto::Ieee80211 => wlan::ieee80211(cx, data, at),
        Proto::RawIp => ip::raw(cx, data, at),
        Proto::Ipv4 => ip::ipv4(cx, data, at),
        Proto::Ipv6 => ip::ipv6(cx, data, at),
        Proto::Udp => ip::udp(cx, data, at),
        Proto::Tcp => ip::tcp(cx, data, at),
        Proto::Icmp => icmp::icmp(cx, data, at),
        Proto::Gre => tunnel::gre(cx, data, at),
        Proto::Esp => esp::esp(cx, data, at),
        Proto::UdpEsp => esp::udp_esp(cx, data, at),
        Proto::Ah => esp::ah(cx, data, at),
        Proto::Ike => esp::ike(cx, data, at),
        Proto::L2tp => l2tp::l2tp(cx, data, at),
        Proto::Ppp => ppp::ppp(cx, data, at),
        Proto::Mvtp => mvtp::mvtp(cx, data, at),
        Proto::Mip => mip::mip(cx, data, at),
        Proto::Data => data::data(cx, data, at),
    }
}
