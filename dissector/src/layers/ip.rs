//! (Stub: the protocol work fills this in.)

use crate::cx::Cx;
use crate::engine::Next;
use core::ops::Range;

/// Stub: shows the octets as data.
pub fn raw(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn ipv4(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn ipv6(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn udp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

/// Stub: shows the octets as data.
pub fn tcp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

