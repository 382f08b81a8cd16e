//! (Stub: the protocol work fills this in.)

use crate::cx::Cx;
use crate::engine::Next;
use core::ops::Range;

/// Stub: shows the octets as data.
pub fn ethernet(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn llc(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn vlan(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn sll(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn sll2(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn arp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: BSD/OpenBSD loopback.
pub fn null(cx: &mut Cx, data: &[u8], at: Range<usize>, _network_order: bool) -> Next {
    super::data::data(cx, data, at)
}
