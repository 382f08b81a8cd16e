//! (Stub: the protocol work fills this in.)

use crate::cx::Cx;
use crate::engine::Next;
use core::ops::Range;

/// Stub: shows the octets as data.
pub fn l2tp(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next {
    super::data::data(cx, data, at)
}

